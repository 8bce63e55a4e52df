"""Possible duplicates, and merging two contacts without losing what refers to them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from zope.interface import implementer

from jimucrm.addons.contacts.events import CUSTOMER_MERGED
from jimucrm.addons.contacts.interfaces import IDuplicateFinder
from jimucrm.addons.contacts.merge import MERGED
from jimucrm.addons.contacts.models import Contact, ContactTag
from jimucrm.addons.crm.models import Lead, Opportunity, OpportunityStage
from jimucrm.addons.sales.models import Order
from jimucrm.core.interfaces import IAddonCatalogue
from jimucrm.security.audit.models import AuditEntry


def _names(found) -> set[str]:
    return {a.get_text() for a in found}


def test_duplicates_by_name_phone_and_email(admin, tenant, add_contacts):
    wang, _wang2, li, _li2, han, _han2, alone = add_contacts(
        tenant, {"name": "王伟"}, {"name": " 王 伟 "},
        {"name": "李雷", "mobile": "138-0013-8000"}, {"name": "李磊", "mobile": "13800138000"},
        {"name": "韩梅梅", "email": "Han@Example.cn"}, {"name": "韩 梅", "email": "han@example.cn"},
        {"name": "独一无二", "mobile": "13900000000", "email": "one@example.cn"})
    panel = admin.get(f"{tenant.prefix}/contacts/{wang}").html.find(
        "section", class_="contact-duplicates")
    assert _names(panel.select("li > a:first-child")) == {" 王 伟 "}
    assert _names(admin.get(f"{tenant.prefix}/contacts/{li}").html.find(
        "section", class_="contact-duplicates").select("li > a:first-child")) == {"李磊"}
    assert _names(admin.get(f"{tenant.prefix}/contacts/{han}").html.find(
        "section", class_="contact-duplicates").select("li > a:first-child")) == {"韩 梅"}
    # No panel where there is nothing to show.
    assert admin.get(f"{tenant.prefix}/contacts/{alone}").html.find(
        "section", class_="contact-duplicates") is None
    page = admin.get(f"{tenant.prefix}/contacts/duplicates")
    groups = [sorted(a.get_text().strip() for a in table.select("tbody td:first-child a"))
              for table in page.html.select("section.duplicate-group")]
    assert sorted(groups) == [["李磊", "李雷"], ["王 伟", "王伟"], ["韩 梅", "韩梅梅"]]


@implementer(IDuplicateFinder)
class SameCity:
    """A replacement: everyone in the same city is a possible duplicate."""

    def duplicates_of(self, request, contact):
        return list(request.dbsession.scalars(select(Contact).where(
            Contact.city == contact.city, Contact.id != contact.id)))

    def groups(self, request, limit=50):
        return []


@pytest.mark.extension_point("jimucrm.addons.contacts.interfaces.IDuplicateFinder")
def test_the_duplicate_finder_can_be_replaced(registry, admin, tenant, add_contacts):
    first, _second = add_contacts(tenant, {"name": "甲", "city": "杭州"},
                                  {"name": "乙", "city": "杭州"})
    components = registry.getUtility(IAddonCatalogue).components["contacts"]
    default = components.getUtility(IDuplicateFinder)
    components.registerUtility(SameCity(), IDuplicateFinder)
    try:
        panel = admin.get(f"{tenant.prefix}/contacts/{first}").html.find(
            "section", class_="contact-duplicates")
    finally:
        components.registerUtility(default, IDuplicateFinder)
    assert _names(panel.select("li > a:first-child")) == {"乙"}
    assert admin.get(f"{tenant.prefix}/contacts/{first}").html.find(
        "section", class_="contact-duplicates") is None


def test_staff_see_only_duplicates_they_may_read(client_for, tenant, add_contacts):
    seller = client_for(tenant, "seller")
    client_for(tenant, "other")
    [mine] = add_contacts(tenant, {"name": "王伟"}, owner="seller")
    add_contacts(tenant, {"name": "王伟"}, owner="other")
    assert seller.get(f"{tenant.prefix}/contacts/{mine}").html.find(
        "section", class_="contact-duplicates") is None
    assert not seller.get(f"{tenant.prefix}/contacts/duplicates").html.select(
        "section.duplicate-group")
    # Merging is a manager's permission.
    seller.get(f"{tenant.prefix}/contacts/{mine}/merge/{mine + 1}", status=403)


@pytest.mark.extension_point("jimucrm.addons.contacts.interfaces.IContactsMerging")
@pytest.mark.extension_point("customer.merged")
def test_merge_keeps_every_order_lead_opportunity_and_tag(make_tenant, client_for, db,
                                                          outbox):
    tenant = make_tenant("演示公司", demo=True)
    admin = client_for(tenant, "boss", is_admin=True)
    with db(tenant) as session:
        keep, other = session.scalars(
            select(Contact).join(Order, Order.customer_id == Contact.id)
            .group_by(Contact.id).order_by(Contact.id).limit(2)).all()
        keep_id, other_id, other_name, other_email = keep.id, other.id, other.name, other.email
        stage = session.scalars(select(OpportunityStage).order_by(OpportunityStage.id)).first()
        lead = Lead(name=other.name, contact_id=other.id, status="converted")
        opportunity = Opportunity(name="合并测试商机", contact_id=other.id, stage_id=stage.id)
        other.tags.append(ContactTag(name="合并标签"))
        session.add_all([lead, opportunity])
        session.flush()
        lead_id, opportunity_id = lead.id, opportunity.id
        orders = set(session.scalars(select(Order.id).where(
            Order.customer_id.in_((keep_id, other_id)))))
        tags = {tag.name for tag in keep.tags} | {tag.name for tag in other.tags}
    assert len(orders) >= 2
    detail = admin.get(f"{tenant.prefix}/contacts/{keep_id}")
    assert detail.html.find("section", class_="customer-sales")
    form = admin.get(f"{tenant.prefix}/contacts/{keep_id}/merge/{other_id}").forms["merge-form"]
    assert form["take-email"].value == "survivor"
    form["take-email"] = "other"
    page = form.submit(status=303).follow()
    assert other_email in page.text
    with db(tenant) as session:
        assert session.get(Contact, other_id) is None
        survivor = session.get(Contact, keep_id)
        assert survivor.email == other_email
        assert {tag.name for tag in survivor.tags} == tags
        assert set(session.scalars(select(Order.id).where(Order.customer_id == keep_id))) \
            == orders
        assert session.get(Lead, lead_id).contact_id == keep_id
        assert session.get(Opportunity, opportunity_id).contact_id == keep_id
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == MERGED)).all()
        assert entry.record_id == str(keep_id)
        assert entry.details["merged_id"] == other_id and entry.details["fields"] == ["email"]
        assert entry.username == "boss"
    assert outbox(tenant, CUSTOMER_MERGED) == [{
        "survivor_id": keep_id, "merged_id": other_id, "fields": ["email"],
        "by": entry.user_id}]
    assert other_name  # the merged name is in the audit entry's details
    assert entry.details["merged_name"] == other_name


def test_merge_refused_while_an_unknown_table_refers_to_the_contact(admin, tenant, db,
                                                                   add_contacts, outbox):
    keep, other = add_contacts(tenant, {"name": "王伟"}, {"name": "王伟"})
    probe = f'"{tenant.schema_name}".visits_probe'
    with db(tenant) as session:
        # A table of some addon that does not move its rows on IContactsMerging.
        session.execute(text(f"CREATE TABLE {probe} (id serial PRIMARY KEY, contact_id integer "
                             f'REFERENCES "{tenant.schema_name}".contacts (id) '
                             f"ON DELETE CASCADE)"))
        session.execute(text(f"INSERT INTO {probe} (contact_id) VALUES (:id)"), {"id": other})
    form = admin.get(f"{tenant.prefix}/contacts/{keep}/merge/{other}").forms["merge-form"]
    refused = form.submit(status=409)
    assert "visits_probe.contact_id" in refused.html.find("p", class_="form-error").get_text()
    with db(tenant) as session:
        assert session.get(Contact, other) is not None
        assert session.scalar(select(func.count()).select_from(text(probe))) == 1
        assert session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == MERGED)) == 0
    assert outbox(tenant, CUSTOMER_MERGED) == []
