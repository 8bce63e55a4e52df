"""The SSRF guard on webhooks: loopback, private, metadata addresses and names resolving to
loopback are refused when an endpoint is saved and again when a delivery is sent, unless
the operator listed the network in jimu.webhooks_allowed_networks."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from test_webhooks import emit, log_rows
from webhook_helpers import relay_until_idle

from jimucrm.addons.webhooks.models import WebhookEndpoint
from jimucrm.core.interfaces import IDatabase
from jimucrm.security.http.ssrf import OutboundURLRefused, check_outbound_url

NETWORKS = [ipaddress.ip_network(n) for n in ("127.0.0.0/8", "10.0.0.0/8", "169.254.0.0/16")]


def loopback_name() -> str:
    """This machine's host name, which its resolver maps to a loopback address."""
    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, 80)}
    except OSError:
        addresses = set()
    if not addresses or not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        pytest.skip(f"{name} does not resolve to loopback here ({sorted(addresses)})")
    return name


def refused_urls(receiver) -> list[str]:
    port = receiver.base_url.rsplit(":", 1)[1]
    return [receiver.url("/hook"), "http://10.1.2.3/hook",
            "http://169.254.169.254/latest/meta-data/", f"http://{loopback_name()}:{port}/hook"]


def test_refused_addresses_are_field_errors_on_save(app, tenant, make_user, login, receiver):
    """The suite's app has no allowed networks: every one of these is refused."""
    login(app, tenant, make_user(tenant, "admin", is_admin=True)).follow()
    reached = ["127.0.0.1", "10.1.2.3", "169.254.169.254", "127."]
    for url, address in zip(refused_urls(receiver), reached, strict=True):
        form = app.get(f"{tenant.prefix}/settings/webhooks/new").forms["webhook-form"]
        form["url"] = url
        page = form.submit(status=400)
        assert page.html.find(id="webhook-url")["value"] == url
        error = page.html.select_one(".field.has-error .error").text
        assert address in error, (url, error)  # the reason names the address reached
    assert "webhook-list" not in app.get(f"{tenant.prefix}/settings/webhooks").text


def test_allowed_networks_let_the_receiver_in_on_save(admin_client, tenant, receiver):
    form = admin_client.get(f"{tenant.prefix}/settings/webhooks/new").forms["webhook-form"]
    form["url"] = "http://169.254.169.254/latest/meta-data/"  # never, whatever is allowed
    form.submit(status=400)
    form["url"] = receiver.url("/hook")
    form.submit(status=201)


def test_refused_addresses_are_not_posted_to_at_delivery(registry, tenant, receiver):
    """Endpoints saved while allowed (or before DNS changed), delivered by an app
    whose operator allows nothing: no request leaves, each try is logged refused."""
    database = registry.getUtility(IDatabase)
    urls = refused_urls(receiver)
    with database.session(tenant.schema_name) as session, session.begin():
        session.add_all(WebhookEndpoint(url=url, description="", events=["*"],
                                        secret="whsec_x", is_active=True) for url in urls)
    emit(registry, tenant)
    relay_until_idle(registry, tenant.schema_name)
    assert receiver.posts() == []
    rows = log_rows(registry, tenant)
    assert len(rows) == len(urls)
    for row in rows:
        assert row.error.startswith("Refused by the SSRF guard"), row.error
        assert row.status_code is None and row.delivered_at is None
        assert row.next_retry_at is not None  # retried: DNS may change back


def test_allowed_networks_never_let_metadata_or_localhost_through():
    assert check_outbound_url("http://10.1.2.3/x", allowed_networks=NETWORKS) == "10.1.2.3"
    assert check_outbound_url("http://127.0.0.1:8080/", allowed_networks=NETWORKS) == \
        "127.0.0.1"
    for url in ("http://169.254.169.254/", "http://localhost/", "http://[::1]/",
                "http://192.168.1.1/", "http://metadata.google.internal/"):
        with pytest.raises(OutboundURLRefused):
            check_outbound_url(url, allowed_networks=NETWORKS)
    with pytest.raises(OutboundURLRefused):
        check_outbound_url("http://10.1.2.3/x")
