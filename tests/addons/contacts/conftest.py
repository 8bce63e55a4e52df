"""Fixtures for the contacts addon's tests: clients, rows written straight to a tenant,
the tenant's outbox.

Tenants, users and the app come from ``tests/conftest.py``; everything here goes
through the real database, the real key ring and the real pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import webtest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jimucrm.addons.contacts.models import Company, Contact
from jimucrm.core.interfaces import IDatabase
from jimucrm.core.outbox.models import OutboxEvent
from jimucrm.security.models import User


@pytest.fixture
def db(registry) -> Callable:
    """``with db(tenant) as session:`` a session of the tenant, committed at the end."""

    @contextmanager
    def open_(tenant) -> Iterator[Session]:
        with registry.getUtility(IDatabase).session(tenant.schema_name) as session, \
                session.begin():
            yield session

    return open_


@pytest.fixture
def client_for(wsgi_app, make_user, login):
    """``client_for(tenant, username, roles=("staff",), is_admin=False)``: a new user,
    logged in with a browser of its own (English pages)."""

    def make(tenant, username: str, *, roles=("staff",), is_admin: bool = False):
        make_user(tenant, username, roles=roles, is_admin=is_admin)
        client = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
        client.set_cookie("_LOCALE_", "en")
        login(client, tenant, username).follow()
        return client

    return make


@pytest.fixture
def admin(client_for, tenant) -> webtest.TestApp:
    """An administrator of ``tenant``."""
    return client_for(tenant, "boss", is_admin=True)


@pytest.fixture
def add_contacts(db):
    """``add_contacts(tenant, {...}, ..., owner=None)``: contacts written straight to the
    table (no events); ``company`` may name a company, made when new. Returns ids."""

    def add(tenant, *rows: dict, owner: str | None = None) -> list[int]:
        with db(tenant) as session:
            owner_id = session.scalar(select(User.id).where(User.username == owner)) \
                if owner else None
            companies: dict[str, Company] = {}
            contacts = []
            for row in rows:
                values = dict(row)
                name = values.pop("company", None)
                if name:
                    company = companies.get(name) or session.scalars(
                        select(Company).where(Company.name == name)).first()
                    values["company"] = companies.setdefault(name, company or Company(name=name))
                contacts.append(Contact(owner_id=owner_id, **values))
            session.add_all(contacts)
            session.flush()
            return [contact.id for contact in contacts]

    return add


@pytest.fixture
def outbox(db):
    """``outbox(tenant, name)``: the payloads of the tenant's outbox events called ``name``."""

    def read(tenant, name: str) -> list[dict]:
        with db(tenant) as session:
            return list(session.scalars(select(OutboxEvent.payload)
                                        .where(OutboxEvent.name == name)
                                        .order_by(OutboxEvent.id)))

    return read
