"""Every crm event reaches an outbox handler, with the payload the catalogue describes."""

from __future__ import annotations

import pytest
import webtest
from crm_event_support import RECEIVED

from jimucrm.core import configure
from jimucrm.core.interfaces import IDatabase
from jimucrm.core.outbox import IOutbox


@pytest.fixture(scope="module")
def events_app(settings):
    """The app with test handlers subscribed to every crm event."""
    config = configure({**settings,
                        "jimu.includes": "jimucrm.tenants jimucrm.security crm_event_support"})
    yield config
    config.registry.getUtility(IDatabase).dispose()


@pytest.mark.extension_point("lead.created")
@pytest.mark.extension_point("lead.claimed")
@pytest.mark.extension_point("lead.returned")
@pytest.mark.extension_point("lead.assigned")
@pytest.mark.extension_point("lead.converted")
@pytest.mark.extension_point("opportunity.created")
@pytest.mark.extension_point("opportunity.stage_changed")
@pytest.mark.extension_point("opportunity.won")
@pytest.mark.extension_point("opportunity.lost")
def test_handlers_receive_every_crm_event(events_app, tenant, make_user, login, crm):
    make_user(tenant, "evmanager", roles=("manager",))
    make_user(tenant, "evstaff")
    app = webtest.TestApp(events_app.make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})
    login(app, tenant, "evmanager").follow()
    token = re_token(app, tenant)
    prefix = tenant.prefix
    form = app.get(f"{prefix}/crm/leads/new").forms["crm_lead-form"]
    form["name"] = "事件线索"
    form.submit(status=303)
    lead_id = crm.events("lead.created")[-1]["lead_id"]
    app.post(f"{prefix}/crm/leads/{lead_id}/return", {"csrf_token": token, "reason": "入池"},
             status=303)
    app.post(f"{prefix}/crm/leads/{lead_id}/claim", {"csrf_token": token}, status=303)
    app.post(f"{prefix}/crm/leads/{lead_id}/return", {"csrf_token": token, "reason": "测试"},
             status=303)
    app.post(f"{prefix}/crm/leads/{lead_id}/assign",
             {"csrf_token": token, "owner": str(crm.user_id("evmanager"))}, status=303)
    form = app.get(f"{prefix}/crm/leads/{lead_id}").forms["convert-form"]
    form["amount"] = "1000"
    form.submit(status=303)
    deal_id = crm.events("opportunity.created")[-1]["opportunity_id"]
    move = f"{prefix}/crm/opportunities/{deal_id}/move"
    app.post(move, {"csrf_token": token, "stage_id": str(crm.stage_id("赢单")),
                    "reason": "赢了"}, status=303)
    app.post(move, {"csrf_token": token, "stage_id": str(crm.stage_id("输单")),
                    "reason": "又丢了"}, status=303)

    del RECEIVED[:]
    report = events_app.registry.getUtility(IOutbox).relay(tenant.schema_name)
    assert report.done >= 9
    got = {name: payload for schema, name, payload in RECEIVED
           if schema == tenant.schema_name}
    assert set(got) == {"lead.created", "lead.claimed", "lead.returned", "lead.assigned",
                        "lead.converted", "opportunity.created",
                        "opportunity.stage_changed", "opportunity.won", "opportunity.lost"}
    manager = crm.user_id("evmanager")
    # Created with the generated form in the default assignment mode: the creator's.
    assert got["lead.created"] == {"lead_id": lead_id, "owner_id": manager, "source_id": None,
                                   "region": "", "by": manager}
    assert got["lead.assigned"]["method"] == "manual"
    assert got["lead.converted"]["opportunity_id"] == deal_id
    assert got["opportunity.won"]["reason"] == "赢了"
    assert got["opportunity.lost"]["reason"] == "又丢了"
    assert got["opportunity.stage_changed"]["to_stage_id"] == crm.stage_id("输单")


def re_token(app, tenant) -> str:
    import re

    page = app.get(f"{tenant.prefix}/")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
