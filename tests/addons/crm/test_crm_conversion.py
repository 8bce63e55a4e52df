"""Lead → contact + opportunity in one transaction, with its events in the outbox."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from jimucrm.addons.contacts.models import Contact
from jimucrm.addons.crm.models import Opportunity, StageChange


def test_conversion_makes_a_contact_and_an_opportunity(as_user, tenant, crm):
    app = as_user("converter")
    lead_id = crm.add_lead("王总", owner="converter", company="华夏机械有限公司",
                           region="华东")
    page = app.get(f"{tenant.prefix}/crm/leads/{lead_id}")
    form = page.forms["convert-form"]
    assert form["contact_name"].value == "王总"
    assert form["company"].value == "华夏机械有限公司"
    form["opportunity_name"] = "华夏机械 CRM 项目"
    form["amount"] = "120,000.50"
    form["expected_close_date"] = "2030-03-31"
    form["stage_id"] = str(crm.stage_id("需求确认"))
    deal_page = form.submit(status=303).follow()
    assert "华夏机械 CRM 项目" in deal_page.text and "120000.50" in deal_page.text

    lead = crm.lead(lead_id)
    assert lead.status == "converted" and lead.converted_at is not None
    with crm.session() as session:
        contact = session.get(Contact, lead.contact_id)
        assert (contact.name, contact.company_name, contact.city, contact.owner_id,
                contact.source) == ("王总", "华夏机械有限公司", "华东",
                                    crm.user_id("converter"), "lead")
        deal = session.scalars(select(Opportunity).where(Opportunity.lead_id == lead_id)).one()
        assert deal.amount == Decimal("120000.50") and deal.contact_id == contact.id
        assert deal.stage.name == "需求确认" and deal.owner_id == crm.user_id("converter")
        history = session.scalars(select(StageChange)
                                  .where(StageChange.opportunity_id == deal.id)).all()
        assert [(h.from_stage_id, h.to_stage_id) for h in history] == [(None, deal.stage_id)]
        deal_id, contact_id, stage_id = deal.id, contact.id, deal.stage_id
    assert crm.events("lead.converted") == [{
        "lead_id": lead_id, "contact_id": contact_id, "opportunity_id": deal_id,
        "by": crm.user_id("converter")}]
    assert crm.events("opportunity.created") == [{
        "opportunity_id": deal_id, "stage_id": stage_id, "amount": "120000.50",
        "currency": "CNY", "expected_close_date": "2030-03-31",
        "owner_id": crm.user_id("converter"), "lead_id": lead_id, "contact_id": contact_id,
        "by": crm.user_id("converter")}]
    # Converted: no second conversion, no claim, no return.
    again = app.get(f"{tenant.prefix}/crm/leads/{lead_id}")
    assert "convert-form" not in again.text and "return-form" not in again.text


def test_a_refused_conversion_changes_nothing_and_keeps_the_input(as_user, tenant, crm):
    app = as_user("careful")
    lead_id = crm.add_lead("李经理", owner="careful")
    form = app.get(f"{tenant.prefix}/crm/leads/{lead_id}").forms["convert-form"]
    form["contact_name"], form["amount"], form["expected_close_date"] = "", "-5", "明年"
    page = form.submit(status=400)
    assert "请输入联系人姓名。" in page.text
    assert "请输入不小于 0 的金额" in page.text and "请输入日期，如 2025-06-30。" in page.text
    assert page.forms["convert-form"]["amount"].value == "-5"
    assert crm.lead(lead_id).status == "new"
    assert crm.events("lead.converted") == [] and crm.events("opportunity.created") == []
    with crm.session() as session:
        assert session.scalars(select(Contact)).all() == []


def test_a_pool_lead_must_be_claimed_before_conversion(as_user, tenant, crm, csrf):
    app = as_user("eager")
    lead_id = crm.add_lead("池中客户")
    assert "convert-form" not in app.get(f"{tenant.prefix}/crm/leads/{lead_id}").text
    app.post(f"{tenant.prefix}/crm/leads/{lead_id}/convert",
             {"csrf_token": csrf(), "contact_name": "x", "opportunity_name": "y",
              "stage_id": str(crm.stage_id("初步接洽")), "amount": "1"}, status=403)
    assert crm.lead(lead_id).status == "new"
