"""HTTP hardening: proxy trust, request size limit, security headers, cookie flags.

Tweens, outermost first::

    trusted_proxy_tween      X-Forwarded-Proto/-For honoured from jimu.trusted_proxies only
    security_headers_tween   CSP, HSTS on https, nosniff, … on every response (errors too)
    pyramid_tm, excview      (error pages render here)
    tenant_tween             (jimucrm.tenants, when included)
    request_size_tween       413 for bodies over jimu.max_request_bytes, body never read
    MAIN                     CSRF check, views

Cookies get their Secure/HttpOnly/SameSite flags in a ``NewResponse`` subscriber, which
runs after the session's response callback has set its cookie.
:mod:`.ssrf` guards the outbound URLs a tenant can configure.
"""

from __future__ import annotations

import ipaddress

from pyramid.config import Configurator
from pyramid.events import NewResponse
from pyramid.tweens import EXCVIEW, INGRESS, MAIN

from jimucrm.core.settings import ConfigurationError

from .cookies import harden_cookies
from .limits import retry_activate_hook_factory

TENANT_TWEEN = "jimucrm.tenants.routing.tenant_tween_factory"


def parse_networks(words: list[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network,
                                               ...]:
    """``jimu.trusted_proxies``: addresses or CIDR networks, IPv4 or IPv6."""
    networks = []
    for word in words:
        try:
            networks.append(ipaddress.ip_network(word, strict=False))
        except ValueError:
            raise ConfigurationError(
                f"setting jimu.trusted_proxies is malformed: {word!r} is not an IP address "
                "or network (e.g. 127.0.0.1 10.0.0.0/8 ::1)") from None
    return tuple(networks)


def includeme(config: Configurator) -> None:
    settings = config.get_settings()
    settings["jimu.trusted_proxies"] = parse_networks(settings["jimu.trusted_proxies"])
    config.add_tween("jimucrm.security.http.proxy.trusted_proxy_tween_factory",
                     under=INGRESS)
    config.add_tween("jimucrm.security.http.headers.security_headers_tween_factory",
                     over=EXCVIEW)
    # After tenant routing when there is one, so the 413 page shows the tenant's layout.
    config.add_tween("jimucrm.security.http.limits.request_size_tween_factory",
                     under=(TENANT_TWEEN, EXCVIEW), over=MAIN)
    config.add_subscriber(harden_cookies, NewResponse)
    # pyramid_retry reads this setting when the configuration is committed.
    settings["retry.activate_hook"] = retry_activate_hook_factory(
        settings["jimu.max_request_bytes"], config.maybe_dotted(
            settings.get("retry.activate_hook")))
