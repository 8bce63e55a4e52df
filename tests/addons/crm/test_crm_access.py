"""Permissions and record rules on the crm pages: own leads plus the pool, not a colleague's."""

from __future__ import annotations

import pytest


def test_staff_sees_own_leads_and_the_pool_not_a_colleagues(as_user, make_user, tenant, crm):
    make_user(tenant, "colleague", teams=("华东组",))
    app = as_user("me1", teams=("华东组",))
    mine_id = crm.add_lead("我的线索甲", owner="me1")
    theirs_id = crm.add_lead("同事的线索乙", owner="colleague")
    pool_id = crm.add_lead("公海线索丙")

    listing = app.get(f"{tenant.prefix}/crm/leads/").text
    assert "我的线索甲" in listing and "同事的线索乙" not in listing
    assert "公海线索丙" in app.get(f"{tenant.prefix}/crm/pool/").text
    app.get(f"{tenant.prefix}/crm/leads/{mine_id}", status=200)
    app.get(f"{tenant.prefix}/crm/leads/{pool_id}", status=200)
    app.get(f"{tenant.prefix}/crm/leads/{theirs_id}", status=404)
    assert "同事的线索乙" not in app.get(f"{tenant.prefix}/crm/leads/",
                                        params={"q": "同事"}).text

    # A manager of the team sees both members' leads; the pool too.
    manager = as_user("boss", roles=("manager",), teams=("华东组",))
    listing = manager.get(f"{tenant.prefix}/crm/leads/").text
    assert "我的线索甲" in listing and "同事的线索乙" in listing
    manager.get(f"{tenant.prefix}/crm/leads/{theirs_id}", status=200)


def test_opportunities_follow_record_rules(as_user, make_user, tenant, crm):
    make_user(tenant, "rival")
    theirs = crm.add_opportunity("别人的商机", "谈判", "1000", owner="rival")
    app = as_user("viewer")
    assert "别人的商机" not in app.get(f"{tenant.prefix}/crm/opportunities/").text
    app.get(f"{tenant.prefix}/crm/deals/{theirs}", status=404)
    app.get(f"{tenant.prefix}/crm/opportunities/{theirs}", status=404)


def test_writing_needs_the_write_scope(as_user, make_user, tenant, crm, csrf):
    make_user(tenant, "holder")
    theirs = crm.add_lead("不可改", owner="holder")
    deal = crm.add_opportunity("不可移", "初步接洽", "1", owner="holder")
    app = as_user("intruder")
    token = csrf()
    for path, data in ((f"/crm/leads/{theirs}/follow-ups", {"kind": "call", "content": "x"}),
                       (f"/crm/leads/{theirs}/status", {"status": "lost"}),
                       (f"/crm/leads/{theirs}/return", {"reason": "x"}),
                       (f"/crm/opportunities/{deal}/move",
                        {"stage_id": str(crm.stage_id("谈判"))})):
        app.post(tenant.prefix + path, {"csrf_token": token, **data}, status=404)
    assert crm.lead(theirs).owner_id == crm.user_id("holder")
    assert crm.opportunity(deal).stage_id == crm.stage_id("初步接洽")


@pytest.mark.parametrize("path", ["/crm/leads/", "/crm/leads/new", "/crm/pool/",
                                  "/crm/opportunities/", "/crm/deals/", "/crm/deals/new",
                                  "/crm/forecast", "/crm/settings"])
def test_no_role_no_crm(as_user, tenant, path):
    app = as_user(f"nobody{abs(hash(path)) % 1000}", roles=())
    app.get(tenant.prefix + path, status=403)


def test_staff_without_settings_permission(as_user, tenant):
    app = as_user("notadmin")
    app.get(f"{tenant.prefix}/crm/settings", status=403)
    page = app.get(f"{tenant.prefix}/")
    assert "/crm/settings" not in page.text and "/crm/pool/" in page.text


def test_crm_is_a_404_where_not_enabled(app, registry, tenant, make_user, login):
    from jimucrm.tenants.interfaces import ITenantAddons

    registry.getUtility(ITenantAddons).disable(tenant.slug, ["dashboard", "crm"])
    make_user(tenant, "disabled", is_admin=True)
    login(app, tenant, "disabled").follow()
    for path in ("/crm/leads/", "/crm/pool/", "/crm/opportunities/", "/crm/forecast"):
        app.get(tenant.prefix + path, status=404)
    assert "/crm/" not in app.get(f"{tenant.prefix}/").text
