"""Direct access to one tenant's schema, for tests' set-up and checks.

A module of its own, not ``conftest``: ``from conftest import`` resolves to whichever
folder's conftest was loaded first. Folders subclass :class:`TenantRecords` for their
own tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session

from jimucrm.core.interfaces import IDatabase
from jimucrm.security.models import User


class TenantRecords:
    """A session in ``tenant``'s schema, one transaction per ``with``, and its users."""

    def __init__(self, registry, tenant) -> None:
        self.registry = registry
        self.tenant = tenant
        self.database = registry.getUtility(IDatabase)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.database.session(self.tenant.schema_name) as session, session.begin():
            yield session

    def user_id(self, username: str) -> int:
        with self.session() as session:
            return session.scalar(select(User.id).where(User.username == username))


def user_id(registry, tenant, username: str) -> int:
    """The id of ``username`` in ``tenant``."""
    return TenantRecords(registry, tenant).user_id(username)
