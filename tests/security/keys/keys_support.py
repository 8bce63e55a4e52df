"""A test model with encrypted columns, kept out of the tenant metadata.

Its table lives in the tenant placeholder schema of a metadata of its own, so
provisioning never creates it (the compiled DDL stays equal to the migrations):
a test creates it in a tenant's schema with :func:`create_people` and the
``keys_cleanup`` fixture drops it again.
"""

from __future__ import annotations

import base64
import secrets

from sqlalchemy import MetaData, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from jimucrm.core.interfaces import IDatabase
from jimucrm.core.models import TENANT_SCHEMA
from jimucrm.security.keys import BlindIndex, EncryptedText, normalise_compact

TEST_KEY_PREFIX = "test-"
PEOPLE = "keys_test_people"


class TestBase(DeclarativeBase):
    metadata = MetaData(schema=TENANT_SCHEMA)


class Person(TestBase):
    __tablename__ = PEOPLE

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(
        EncryptedText(blind_index="phone_index", normalise=normalise_compact))
    phone_index: Mapped[bytes | None] = mapped_column(BlindIndex(), index=True)
    id_number: Mapped[str | None] = mapped_column(EncryptedText())


def new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def create_people(registry, schema: str) -> None:
    database = registry.getUtility(IDatabase)
    with database.bind_for(schema).begin() as connection:
        TestBase.metadata.create_all(connection)


def raw_rows(registry, schema: str) -> list:
    """(id, phone bytes, phone_index, id_number bytes) straight from the table."""
    database = registry.getUtility(IDatabase)
    with database.engine.connect() as connection:
        return connection.execute(text(
            f'SELECT id, phone, phone_index, id_number FROM "{schema}".{PEOPLE} ORDER BY id'
        )).all()


def key_rows(registry, schema: str) -> list:
    database = registry.getUtility(IDatabase)
    with database.engine.connect() as connection:
        return connection.execute(text(
            f'SELECT version, status, algorithm, master_key_id, progress '
            f'FROM "{schema}".data_keys ORDER BY version')).all()
