"""customer.created: in the outbox, in the transaction that creates the contact."""

from __future__ import annotations

import pytest
import webtest
from sqlalchemy import func, select

from jimucrm.addons.contacts.events import CUSTOMER_CREATED
from jimucrm.addons.contacts.models import Company, Contact
from jimucrm.addons.contacts.services import announce_contact
from jimucrm.addons.crm.models import Lead
from jimucrm.addons.dashboard.models import CustomerDay
from jimucrm.core.interfaces import IDatabase, ITenantDirectory
from jimucrm.core.outbox.models import OutboxEvent
from jimucrm.security.models import User


def test_the_form_emits_customer_created(admin, tenant, db, outbox):
    with db(tenant) as session:
        company = Company(name="上海云帆贸易有限公司")
        session.add(company)
        session.flush()
        company_id = company.id
    form = admin.get(f"{tenant.prefix}/contacts/new").forms["contact-form"]
    form["name"], form["company_id"], form["source"] = "王伟", str(company_id), "exhibition"
    form.submit(status=303)
    [payload] = outbox(tenant, CUSTOMER_CREATED)
    with db(tenant) as session:
        contact = session.scalars(select(Contact)).one()
        assert payload == {"contact_id": contact.id, "company_id": company_id,
                           "owner_id": contact.owner_id, "source": "exhibition",
                           "created_at": contact.created_at.isoformat()}
        assert contact.owner_id is not None


def test_the_api_emits_customer_created(wsgi_app, make_user, make_token, tenant, outbox):
    make_user(tenant, "boss", is_admin=True)
    token = make_token(tenant, "boss", ("api.me", "contacts.view", "contacts.create"))
    api = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
    created = api.post_json(f"{tenant.prefix}/api/v1/contacts",
                            {"name": "李娜", "mobile": "13900139000", "source": "website"},
                            headers={"Authorization": f"Bearer {token}"}, status=201).json
    [payload] = outbox(tenant, CUSTOMER_CREATED)
    assert (payload["contact_id"], payload["source"], payload["company_id"]) == \
        (created["id"], "website", None)


@pytest.mark.parametrize("commit", [True, False])
def test_the_event_commits_and_rolls_back_with_the_contact(registry, tenant, commit):
    database = registry.getUtility(IDatabase)
    info = registry.getUtility(ITenantDirectory).by_slug(tenant.slug)
    with database.session(tenant.schema_name) as session:
        session.begin()
        contact = Contact(name="回滚测试")
        session.add(contact)
        session.flush()
        announce_contact(registry, session, info, contact)
        assert session.scalar(select(func.count()).select_from(OutboxEvent)
                              .where(OutboxEvent.name == CUSTOMER_CREATED)) == 1
        session.commit() if commit else session.rollback()
    with database.session(tenant.schema_name) as session:
        contacts = session.scalar(select(func.count()).select_from(Contact))
        events = session.scalar(select(func.count()).select_from(OutboxEvent)
                                .where(OutboxEvent.name == CUSTOMER_CREATED))
    assert (contacts, events) == ((1, 1) if commit else (0, 0))


@pytest.mark.extension_point("customer.created")
def test_lead_conversion_and_demo_data_emit_it(make_tenant, client_for, db, outbox):
    tenant = make_tenant("演示公司", demo=True)
    with db(tenant) as session:
        people = session.scalar(select(func.count()).select_from(Contact))
        # The dashboard counted each demo customer once (its events and its rebuild).
        assert session.scalar(select(func.sum(CustomerDay.created))) == people
    assert people == 60 and len(outbox(tenant, CUSTOMER_CREATED)) == people
    admin = client_for(tenant, "boss", is_admin=True)
    with db(tenant) as session:
        # An open lead of the converting user.
        lead = session.scalars(select(Lead).where(Lead.status.in_(("new", "contacted",
                                                                   "qualified")))
                               .order_by(Lead.id)).first()
        lead.owner_id = session.scalar(select(User.id).where(User.username == "boss"))
        lead_id = lead.id
    form = admin.get(f"{tenant.prefix}/crm/leads/{lead_id}").forms["convert-form"]
    form.submit(status=303)
    events = outbox(tenant, CUSTOMER_CREATED)
    assert len(events) == people + 1 and events[-1]["source"] == "lead"
    with db(tenant) as session:
        contact = session.get(Contact, events[-1]["contact_id"])
        assert contact.source == "lead" and session.get(Lead, lead_id).contact_id == contact.id
