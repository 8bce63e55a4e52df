"""Leads and opportunities on core's generated model views: relation fields (labels,
choices, checks under record rules), the read-only stage, the REST resources."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from jimucrm.addons.contacts.models import Contact
from jimucrm.addons.crm.models import Opportunity, StageChange
from jimucrm.core.interfaces import IDatabase

NOT_OFFERED = "请从提供的记录中选择。"


def _contact(crm, name: str, owner: str | None) -> int:
    owner_id = crm.user_id(owner) if owner else None
    with crm.session() as session:
        contact = Contact(name=name, owner_id=owner_id)
        session.add(contact)
        session.flush()
        return contact.id


def _deal_form(app, tenant):
    return app.get(f"{tenant.prefix}/crm/deals/new").forms["crm_opportunity-form"]


def test_the_contact_choice_and_check_follow_the_contacts_record_rules(as_user, make_user,
                                                                      tenant, crm):
    make_user(tenant, "colleague")
    app = as_user("seller")
    mine = _contact(crm, "我的联系人", "seller")
    theirs = _contact(crm, "同事的联系人", "colleague")
    form = _deal_form(app, tenant)
    offered = [value for value, *_ in form["contact_id"].options]
    assert str(mine) in offered and str(theirs) not in offered
    # A forged id (a colleague's contact, or none at all) is a field error, not a 500.
    for forged in (str(theirs), "2147483647", "-3"):
        form["name"] = "伪造"
        form["contact_id"].force_value(forged)
        page = form.submit(status=400)
        assert NOT_OFFERED in page.text
        assert page.forms["crm_opportunity-form"]["name"].value == "伪造"
    form = _deal_form(app, tenant)
    form["name"], form["contact_id"], form["amount"] = "真单", str(mine), "100"
    detail = form.submit(status=303).follow()
    # The page shows the contact's name and the stage's, never the ids.
    assert "我的联系人" in detail.text and "初步接洽" in detail.text


def test_a_new_deal_starts_in_the_first_open_stage_with_its_history(as_user, tenant, crm):
    app = as_user("starter")
    form = _deal_form(app, tenant)
    assert "stage_id" not in form.fields and "owner_id" not in form.fields
    form["name"], form["amount"], form["probability"] = "新商机", "5000", "101"
    page = form.submit(status=400)  # the probability's bounds come from the metadata
    form = page.forms["crm_opportunity-form"]
    form["probability"] = "40"
    form.submit(status=303)
    created = crm.events("opportunity.created")[-1]
    deal = crm.opportunity(created["opportunity_id"])
    assert (deal.name, deal.stage_id, deal.owner_id) == (
        "新商机", crm.stage_id("初步接洽"), crm.user_id("starter"))
    with crm.session() as session:
        history = session.scalars(select(StageChange).where(
            StageChange.opportunity_id == deal.id)).all()
    assert [(change.from_stage_id, change.to_stage_id) for change in history] == [
        (None, deal.stage_id)]


def test_editing_a_deal_cannot_move_its_stage(as_user, tenant, crm, csrf):
    app = as_user("editor")
    deal = crm.add_opportunity("要改的单", "初步接洽", "100", owner="editor")
    form = app.get(f"{tenant.prefix}/crm/deals/{deal}/edit").forms["crm_opportunity-form"]
    form["amount"] = "250"
    form.submit(status=303)
    app.post(f"{tenant.prefix}/crm/deals/{deal}/edit",
             {"csrf_token": csrf(), "name": "要改的单", "amount": "250",
              "stage_id": str(crm.stage_id("赢单"))}, status=303)
    changed = crm.opportunity(deal)
    assert changed.amount == 250 and changed.stage_id == crm.stage_id("初步接洽")
    assert crm.events("opportunity.stage_changed") == []


def _count_queries(registry):
    engine = registry.getUtility(IDatabase).engine
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    return seen, lambda: event.remove(engine, "before_cursor_execute", count)


def test_labels_are_loaded_once_per_page_not_per_row(registry, as_user, make_user, tenant,
                                                     crm):
    app = as_user("lister", roles=("manager",))
    contact = _contact(crm, "列表联系人", "lister")
    for number in range(3):
        crm.add_opportunity(f"少{number}", "初步接洽", "10", owner="lister")
    seen, stop = _count_queries(registry)
    try:
        app.get(f"{tenant.prefix}/crm/deals/")
        few = len(seen)
        for number in range(25):
            make_user(tenant, f"owner{number}")
            crm.add_opportunity(f"多{number}", "赢单" if number % 2 else "初步接洽", "10",
                                owner=f"owner{number}")
        del seen[:]
        page = app.get(f"{tenant.prefix}/crm/deals/")
        many = len(seen)
    finally:
        stop()
    assert many == few
    assert "owner7" in page.text or "owner 7" in page.text or "赢单" in page.text
    with crm.session() as session:
        session.execute(Opportunity.__table__.update().values(contact_id=contact))
    assert "列表联系人" in app.get(f"{tenant.prefix}/crm/deals/").text


def test_lists_filter_by_a_relation(as_user, tenant, crm):
    app = as_user("filterer", roles=("manager",))
    crm.add_opportunity("开局单", "初步接洽", "10", owner="filterer")
    crm.add_opportunity("赢的单", "赢单", "10", owner="filterer")
    page = app.get(f"{tenant.prefix}/crm/deals/", {"f_stage_id": str(crm.stage_id("赢单"))})
    assert "赢的单" in page.text and "开局单" not in page.text
    select_ = page.html.find("select", id="f_stage_id")
    assert select_ is not None and "赢单" in select_.get_text()


def test_the_relation_search_offers_only_reachable_rows(as_user, make_user, tenant, crm):
    make_user(tenant, "other")
    app = as_user("searcher")
    _contact(crm, "搜索甲", "searcher")
    _contact(crm, "搜索乙", "other")
    found = app.get(f"{tenant.prefix}/crm/deals/relations/contact_id", {"q": "搜索"})
    assert "搜索甲" in found.text and "搜索乙" not in found.text
    app.get(f"{tenant.prefix}/crm/deals/relations/name", status=404)
    app.get(f"{tenant.prefix}/crm/deals/relations/owner_id", status=404)  # not on the form


@pytest.fixture
def api(token_api, make_token, make_user, tenant):
    make_user(tenant, "apiuser")
    return token_api(tenant, make_token(tenant, "apiuser", (
        "api.me", "opportunities.view", "opportunities.create", "opportunities.edit",
        "leads.view", "leads.create")), language="zh-CN")


def test_the_api_takes_and_returns_relation_ids(api, make_user, tenant, crm):
    make_user(tenant, "stranger")
    mine = _contact(crm, "接口联系人", "apiuser")
    theirs = _contact(crm, "别人的联系人", "stranger")
    refused = api("POST", "/crm_opportunities", {"name": "接口单", "contact_id": theirs},
                  status=422).json
    assert set(refused["error"]["fields"]) == {"contact_id"}
    assert api("POST", "/crm_opportunities", {"name": "接口单", "stage_id": 1},
               status=422).json["error"]["fields"]["stage_id"]
    created = api("POST", "/crm_opportunities", {"name": "接口单", "contact_id": mine},
                  status=201).json
    assert created["contact_id"] == mine and created["stage_id"] == crm.stage_id("初步接洽")
    assert created["owner_id"] == crm.user_id("apiuser")
    assert crm.events("opportunity.created")[-1]["opportunity_id"] == created["id"]
    listed = api("GET", "/crm_opportunities", {"contact_id": str(mine)}).json
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    api("PATCH", f"/crm_opportunities/{created['id']}", {"contact_id": 2147483647},
        status=422)
    lead = api("POST", "/crm_leads", {"name": "接口线索", "email": "not-an-address"},
               status=422).json
    assert set(lead["error"]["fields"]) == {"email"}
    lead = api("POST", "/crm_leads", {"name": "接口线索"}, status=201).json
    assert lead["owner_id"] == crm.user_id("apiuser") and lead["status"] == "new"
    assert crm.events("lead.created")[-1]["lead_id"] == lead["id"]


def test_openapi_describes_the_relations(api):
    document = api("GET", "/openapi.json").json
    schema = document["components"]["schemas"]["Opportunity"]["properties"]
    assert schema["contact_id"]["type"] == "integer"
    assert schema["contact_id"]["x-jimu-relation"]["table"] == "contacts"
    assert schema["stage_id"]["readOnly"] and schema["owner_id"]["readOnly"]
    assert "stage_id" not in document["components"]["schemas"]["OpportunityCreate"][
        "properties"]
