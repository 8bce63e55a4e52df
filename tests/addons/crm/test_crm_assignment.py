"""Lead assignment: round robin, region/source rules, by hand, and ILeadAssignment replaced."""

from __future__ import annotations

import pytest
from zope.interface import implementer

from jimucrm.addons.crm.interfaces import ILeadAssignment
from jimucrm.core.interfaces import IAddonCatalogue


def _new_lead(app, tenant, name, *, region="", source_id=""):
    """Create a lead with the generated form: with an assignment mode other than
    ``pool`` the settings choose its owner (ILeadAssignment), as tested here."""
    form = app.get(f"{tenant.prefix}/crm/leads/new").forms["crm_lead-form"]
    form["name"], form["region"] = name, region
    form["source_id"] = str(source_id)
    form.submit(status=303)


def _owner_of(crm, name):
    from sqlalchemy import select

    from jimucrm.addons.crm.models import Lead

    with crm.session() as session:
        return session.scalar(select(Lead.owner_id).where(Lead.name == name))


def test_round_robin_among_users_who_may_claim(as_user, make_user, tenant, crm):
    for name in ("rr1", "rr2", "rr3"):
        make_user(tenant, name)
    make_user(tenant, "norole", roles=())  # holds no leads.claim: never chosen
    crm.settings(assignment_mode="round_robin")
    app = as_user("rrmanager", roles=("manager",))
    ids = [crm.user_id(name) for name in ("rr1", "rr2", "rr3", "rrmanager")]
    for number in range(5):
        _new_lead(app, tenant, f"轮询{number}")
    owners = [_owner_of(crm, f"轮询{number}") for number in range(5)]
    assert owners == [*sorted(ids), sorted(ids)[0]]
    assigned = crm.events("lead.assigned")
    assert [event["owner_id"] for event in assigned] == owners
    assert all(event["method"] == "automatic" and event["previous_owner_id"] is None
               for event in assigned)
    created = crm.events("lead.created")
    assert all(event["owner_id"] is None for event in created)  # created in the pool first


def test_rules_by_region_and_source_then_the_pool(as_user, make_user, tenant, crm):
    make_user(tenant, "south")
    make_user(tenant, "fairs")
    admin = as_user("rulesadmin", is_admin=True)
    fair = crm.source_id("展会")
    page = admin.get(f"{tenant.prefix}/crm/settings")
    form = page.forms["crm-rule-form"]
    form["region"], form["user_id"], form["position"] = "华南", str(crm.user_id("south")), "1"
    form.submit(status=303)
    form = admin.get(f"{tenant.prefix}/crm/settings").forms["crm-rule-form"]
    form["source_id"], form["user_id"], form["position"] = str(fair), \
        str(crm.user_id("fairs")), "2"
    form.submit(status=303)
    form = admin.get(f"{tenant.prefix}/crm/settings").forms["crm-settings-form"]
    form["assignment_mode"] = "rules"
    form.submit(status=303)

    _new_lead(admin, tenant, "南方客户", region="华南", source_id=fair)  # first rule wins
    _new_lead(admin, tenant, "展会客户", region="华北", source_id=fair)
    _new_lead(admin, tenant, "无规则客户", region="西北")
    assert _owner_of(crm, "南方客户") == crm.user_id("south")
    assert _owner_of(crm, "展会客户") == crm.user_id("fairs")
    assert _owner_of(crm, "无规则客户") is None  # no rule matches: stays in the pool

    crm.settings(assignment_mode="rules_round_robin")
    _new_lead(admin, tenant, "轮到谁")
    assert _owner_of(crm, "轮到谁") is not None


def test_rule_form_keeps_input_and_explains_errors(as_user, tenant):
    admin = as_user("ruleform", is_admin=True)
    form = admin.get(f"{tenant.prefix}/crm/settings").forms["crm-rule-form"]
    form["position"] = "第一"
    page = form.submit(status=400)
    assert "请填写地区或来源，或两者都填。" in page.text
    assert "请输入 0 到 9999 之间的整数。" in page.text
    assert page.forms["crm-rule-form"]["position"].value == "第一"


def test_manager_assigns_by_hand_staff_cannot(as_user, make_user, tenant, crm, csrf):
    make_user(tenant, "receiver")
    lead_id = crm.add_lead("待分配")
    app = as_user("assigner", roles=("manager",))
    form = app.get(f"{tenant.prefix}/crm/leads/{lead_id}").forms["assign-form"]
    form["owner"] = str(crm.user_id("receiver"))
    form.submit(status=303)
    assert crm.lead(lead_id).owner_id == crm.user_id("receiver")
    assert crm.events("lead.assigned")[-1] == {
        "lead_id": lead_id, "owner_id": crm.user_id("receiver"), "previous_owner_id": None,
        "method": "manual", "by": crm.user_id("assigner")}
    staff = as_user("plainstaff")
    assert "assign-form" not in staff.get(f"{tenant.prefix}/crm/pool/").text
    other = crm.add_lead("别人的池中线索")
    staff.post(f"{tenant.prefix}/crm/leads/{other}/assign",
               {"csrf_token": csrf(), "owner": str(crm.user_id("plainstaff"))}, status=403)
    assert crm.lead(other).owner_id is None


@implementer(ILeadAssignment)
class EverythingToOne:
    """A replacement that sends every lead to one user."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    def assign(self, request, lead):
        return self.user_id

    def describe(self, request):
        return "all to one"


@pytest.mark.extension_point("jimucrm.addons.crm.interfaces.ILeadAssignment")
def test_ilead_assignment_can_be_replaced(registry, as_user, make_user, tenant, crm):
    """An addon registering its own ILeadAssignment decides; here through crm's registry."""
    make_user(tenant, "chosen")
    # Without rules the default would leave the lead in the pool.
    crm.settings(assignment_mode="rules")
    components = registry.getUtility(IAddonCatalogue).components["crm"]
    default = components.getUtility(ILeadAssignment)
    components.registerUtility(EverythingToOne(crm.user_id("chosen")), ILeadAssignment)
    try:
        app = as_user("creator")
        _new_lead(app, tenant, "替换后的分配")
    finally:
        components.registerUtility(default, ILeadAssignment)
    assert _owner_of(crm, "替换后的分配") == crm.user_id("chosen")
    _new_lead(app, tenant, "恢复默认")
    assert _owner_of(crm, "恢复默认") is None


def test_lead_form_keeps_input_and_explains_errors(as_user, tenant):
    app = as_user("formuser")
    form = app.get(f"{tenant.prefix}/crm/leads/new").forms["crm_lead-form"]
    form["email"], form["company"] = "不是邮箱", "某公司"
    page = form.submit(status=400)
    assert "此项必填。" in page.text and "这似乎不是有效的邮箱地址。" in page.text
    assert page.forms["crm_lead-form"]["company"].value == "某公司"
    # The owner is not on the generated form: a new lead is the creator's, and only
    # the assign action (leads.assign) gives it to someone else.
    assert "owner_id" not in page.forms["crm_lead-form"].fields
