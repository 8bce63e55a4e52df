"""activities-only helpers: rows written straight into a tenant's schema, and read back.

Tenants, users, the app and logging in come from ``tests/conftest.py``; every tenant
there starts with every installed addon, activities included.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tenant_records import TenantRecords

from jimucrm.addons.activities.models import Activity, Notification
from jimucrm.addons.contacts.models import Contact
from jimucrm.core.outbox.models import OutboxEvent


class Records(TenantRecords):
    """Direct access to one tenant's contacts, activities and notifications."""

    def add_contact(self, name: str, owner: str | None = None) -> int:
        owner_id = self.user_id(owner) if owner else None
        with self.session() as session:
            contact = Contact(name=name, owner_id=owner_id)
            session.add(contact)
            session.flush()
            return contact.id

    def add_activity(self, record_id: int, record_type: str = "contact", **values) -> int:
        with self.session() as session:
            activity = Activity(record_type=record_type, record_id=record_id,
                                subject=values.pop("subject", ""), body=values.pop("body", ""),
                                kind=values.pop("kind", "note"), **values)
            session.add(activity)
            session.flush()
            return activity.id

    def activities(self, record_id: int, record_type: str = "contact") -> list[Activity]:
        with self.session() as session:
            rows = session.scalars(select(Activity).where(
                Activity.record_type == record_type, Activity.record_id == record_id)
                .order_by(Activity.id)).all()
            session.expunge_all()
            return list(rows)

    def activity(self, activity_id: int) -> Activity | None:
        with self.session() as session:
            row = session.get(Activity, activity_id)
            if row is not None:
                session.expunge(row)
            return row

    def notifications(self, username: str) -> list[Notification]:
        user_id = self.user_id(username)
        with self.session() as session:
            rows = session.scalars(select(Notification).where(Notification.user_id == user_id)
                                   .order_by(Notification.id)).all()
            session.expunge_all()
            return list(rows)

    def events(self, name: str) -> list[dict]:
        with self.session() as session:
            return list(session.scalars(select(OutboxEvent.payload)
                                        .where(OutboxEvent.name == name)
                                        .order_by(OutboxEvent.id)))


@pytest.fixture
def records(registry, tenant) -> Records:
    return Records(registry, tenant)
