"""The audit log and its daily seals, in each tenant's schema.

Both tables are append-only: a trigger refuses every UPDATE, DELETE and
TRUNCATE, so a bug or an injected statement in the app cannot rewrite history.
(The schema's owner can still disable the trigger; the signed daily seals of
:mod:`.seal` are what make that detectable.)
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    DDL,
    BigInteger,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jimucrm.core.models import TenantBase

# Tables flagged this way are never captured by the automatic change log.
NOT_AUDITED = {"audited": False}

APPEND_ONLY_FUNCTION = "audit_append_only"


class AuditEntry(TenantBase):
    """One thing that happened: a record changed, a login, an export, a permission change."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_occurred_at", "occurred_at"),
        Index("ix_audit_log_model_record_id", "model", "record_id"),
        Index("ix_audit_log_user_id", "user_id"),
        {"info": NOT_AUDITED},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # The database's clock, at the moment of the insert: one clock for every app server.
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()"))
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(64))  # as it was at the time
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(String(100))
    record_id: Mapped[str | None] = mapped_column(String(100))
    # {"field": {"before": …, "after": …}}; a sensitive field: {"field": {"redacted": true}}.
    changes: Mapped[dict | None] = mapped_column(JSONB(none_as_null=True))
    details: Mapped[dict | None] = mapped_column(JSONB(none_as_null=True))
    request_id: Mapped[str | None] = mapped_column(String(64))


class AuditSeal(TenantBase):
    """One UTC day of the log, sealed: digest chained to the day before, and signed.

    ``rows`` holds, in id order, each row's id (8 bytes, big-endian) and hash,
    so verification can name the first row that differs.
    """

    __tablename__ = "audit_seals"
    __table_args__ = ({"info": NOT_AUDITED},)

    day: Mapped[date] = mapped_column(Date, primary_key=True, autoincrement=False)
    row_count: Mapped[int] = mapped_column(Integer)
    rows: Mapped[bytes] = mapped_column(LargeBinary)
    previous_digest: Mapped[bytes] = mapped_column(LargeBinary)
    digest: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    provider: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                server_default=text("now()"))


def append_only_ddl(table: Table) -> list[DDL]:
    """The function and trigger making ``table`` append-only, schema-qualified.

    ``%(schema)s`` and ``%(fullname)s`` follow the session's schema translation,
    so the same statements serve every tenant. ``OR REPLACE``: running them
    twice (provisioning and a compiled script both creating them) is harmless.
    """
    function = f"%(schema)s.{APPEND_ONLY_FUNCTION}"
    return [
        DDL(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger "
            "LANGUAGE plpgsql SET search_path = pg_catalog AS $$ BEGIN "
            "RAISE EXCEPTION 'the audit log is append-only: %% on %%.%% refused', "
            "TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; "
            "END $$"
        ).against(table),
        DDL(
            f"CREATE OR REPLACE TRIGGER {table.name}_append_only "
            "BEFORE UPDATE OR DELETE OR TRUNCATE ON %(fullname)s "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        ).against(table),
    ]


APPEND_ONLY_TABLES = (AuditEntry.__table__, AuditSeal.__table__)

for _table in APPEND_ONLY_TABLES:
    for _ddl in append_only_ddl(_table):
        event.listen(_table, "after_create", _ddl)
