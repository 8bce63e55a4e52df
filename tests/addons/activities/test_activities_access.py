"""Who reaches a timeline: record rules, permissions, tenants without the addon."""

from __future__ import annotations

import re

import pytest

from jimucrm.addons.activities.records import record_types
from jimucrm.tenants.interfaces import ITenantAddons


def _token(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_posting_to_a_record_out_of_scope_is_a_404(app, tenant, make_user, login, records):
    make_user(tenant, "owner")
    make_user(tenant, "outsider")
    contact_id = records.add_contact("只给本人", owner="owner")
    login(app, tenant, "outsider").follow()
    token = _token(app.get(f"{tenant.prefix}/"))
    url = f"{tenant.prefix}/activities/records/contact/{contact_id}"
    app.post(url, {"csrf_token": token, "kind": "note", "body": "偷偷记一笔"}, status=404)
    app.get(url, status=404)
    app.post(f"{tenant.prefix}/activities/records/nosuchtype/{contact_id}",
             {"csrf_token": token, "kind": "note", "body": "x"}, status=404)
    assert records.activities(contact_id) == []
    # An entry on the record is out of reach through its own routes too.
    entry = records.add_activity(contact_id, kind="task", subject="别人的任务",
                                 assignee_id=records.user_id("outsider"))
    app.post(f"{tenant.prefix}/activities/{entry}/done", {"csrf_token": token}, status=404)
    app.get(f"{tenant.prefix}/activities/{entry}/edit", status=404)
    assert records.activity(entry).done_at is None


def test_users_without_activity_permissions_see_no_timeline(app, tenant, make_user, login,
                                                            records):
    make_user(tenant, "nobody", roles=())
    contact_id = records.add_contact("无权限", owner="nobody")
    login(app, tenant, "nobody").follow()
    app.get(f"{tenant.prefix}/activities/tasks", status=403)
    app.get(f"{tenant.prefix}/activities/records/contact/{contact_id}", status=403)


def test_a_tenant_without_the_addon_has_no_timeline(app, registry, make_tenant, make_user,
                                                    login, records):
    other = make_tenant("乙公司")
    registry.getUtility(ITenantAddons).disable(other.slug, ["activities"])
    make_user(other, "admin2", is_admin=True)
    login(app, other, "admin2").follow()
    form = app.get(f"{other.prefix}/contacts/new").forms["contact-form"]
    form["name"] = "没有时间线"
    page = form.submit().follow()
    contact_id = re.search(r"/contacts/(\d+)$", page.request.path).group(1)
    assert "activity-form" not in page.text and "timeline-contact" not in page.text
    token = _token(page)
    for path in ("/activities/tasks", f"/activities/records/contact/{contact_id}",
                 "/notifications", "/activities/1/edit"):
        app.get(other.prefix + path, status=404)
    app.post(f"{other.prefix}/activities/records/contact/{contact_id}",
             {"csrf_token": token, "kind": "note", "body": "x"}, status=404)
    home = app.get(f"{other.prefix}/")
    assert "/activities/" not in home.text and "notifications-link" not in home.text


def test_models_under_record_rules_get_a_record_type(registry):
    """contact is declared here; the rest come from add_model_permissions of other addons."""
    types = record_types(registry)
    assert types["contact"].permission == "contacts.view" and types["contact"].route == "contact"
    assert types["lead"].addon == "crm" and types["lead"].permission == "leads.view"
    assert types["lead"].route == "crm_lead"
    assert types["order"].addon == "sales" and types["order"].route == "sales_order"
    assert types["opportunity"].route == "crm_opportunity"


def test_a_lead_page_has_a_timeline_and_a_disabled_crm_hides_it(app, registry, tenant,
                                                              make_user, login, records):
    from jimucrm.addons.crm.models import Lead

    make_user(tenant, "leadadmin", is_admin=True)
    with records.session() as session:
        lead = Lead(name="展会线索", company="某公司", phone="", email="", region="",
                    notes="", status="new", owner_id=records.user_id("leadadmin"))
        session.add(lead)
        session.flush()
        lead_id = lead.id
    login(app, tenant, "leadadmin").follow()
    form = app.get(f"{tenant.prefix}/crm/leads/{lead_id}").forms["activity-form"]
    form["kind"], form["body"] = "call", "电话沟通了需求"
    assert form.submit().status_int == 303
    assert [row.body for row in records.activities(lead_id, "lead")] == ["电话沟通了需求"]
    token = _token(app.get(f"{tenant.prefix}/"))
    registry.getUtility(ITenantAddons).disable(tenant.slug, ["dashboard", "crm"])
    app.post(f"{tenant.prefix}/activities/records/lead/{lead_id}",
             {"csrf_token": token, "kind": "note", "body": "x"}, status=404)


@pytest.mark.parametrize("path", ["/activities/tasks", "/notifications"])
def test_pages_need_a_login(app, tenant, path):
    response = app.get(tenant.prefix + path, status="*")
    assert response.status_int in (302, 303) and "/login" in response.location
