"""Checking, rotating and re-wrapping tenant data keys, while the application serves.

Data-key rotation of one tenant (``jimu keys rotate``):

1. **switch**, one short transaction: a new version becomes ``active``, the old
   one ``retiring``. From its commit on, every transaction that loads the key
   ring encrypts with the new key; reads use whichever version a value names,
   searches match the blind indexes of both.
2. **drain**: wait until every transaction that started before the switch has
   ended (``pg_stat_activity``), since one of them may still write with the old
   key. No lock is taken on the application's path.
3. **re-encrypt**, table by table in primary-key order, in batches: each batch
   is its own transaction that locks its rows, re-encrypts the values (and
   recomputes their blind indexes) and records how far it got in the new key's
   ``progress``. Killed at any point, the next run resumes after the last batch.
4. **retire**: once no value names the old version, it becomes ``retired``
   (kept: a backup restored later may still hold such values).

Master-key rotation (``jimu keys rewrap``): each data key still wrapped by
another master key than the active one is unwrapped and wrapped again, one
transaction per tenant; values are untouched.

Tenants are found through the catalogue (every schema with a ``data_keys`` table,
archived tenants included): security does not depend on the tenants package.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Connection,
    LargeBinary,
    Table,
    and_,
    bindparam,
    func,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.exc import DBAPIError, OperationalError

from jimucrm.core.i18n import _
from jimucrm.core.interfaces import IDatabase

from .algorithms import algorithm_named
from .errors import KeysUnavailable, MasterKeyError, RotationError
from .fields import EncryptedText, encrypted_columns
from .models import ACTIVE, RETIRED, RETIRING, DataKey
from .ring import (
    FieldKeys,
    KeyRing,
    key_context,
    key_version,
    master_key_problem,
    translate_options,
)

KEYS = DataKey.__table__
DEFAULT_BATCH = 500
DEFAULT_DRAIN_SECONDS = 300.0
_LOCK_PREFIX = "jimu-keys:"

TENANT_SCHEMAS = text("""
SELECT n.nspname FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname = 'data_keys' AND c.relkind IN ('r', 'p')
ORDER BY n.oid DESC
""")

OLDER_TRANSACTIONS = text("""
SELECT count(*) FROM pg_catalog.pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
  AND backend_type = 'client backend' AND xact_start < :cutoff
""")


def tenant_schemas(connection: Connection, limit: int | None = None) -> list[str]:
    """Schemas holding tenant data keys, newest first."""
    rows = connection.execute(TENANT_SCHEMAS).scalars().all()
    return list(rows if limit is None else rows[:limit])


def _table_exists(connection: Connection, schema: str, table: str) -> bool:
    quote = connection.dialect.identifier_preparer.quote
    return connection.execute(select(func.to_regclass(f"{quote(schema)}.{quote(table)}"))
                              ).scalar() is not None


# -- checking ----------------------------------------------------------------------------

def check_schema(field_keys: FieldKeys, connection: Connection, schema: str) -> None:
    """``MasterKeyError`` if the configured master key cannot unwrap ``schema``'s keys."""
    rows = connection.execute(
        select(KEYS.c.master_key_id, KEYS.c.check_value).where(KEYS.c.status != RETIRED)
        .distinct(), execution_options=translate_options(schema)).all()
    keystore = field_keys.keystore
    for master_key_id, check_value in rows:
        problem = master_key_problem(keystore, schema, master_key_id, check_value)
        if problem is not None:
            raise MasterKeyError(problem)


def check_master_keys(field_keys: FieldKeys, schemas: list[str] | None = None,
                      limit: int | None = None) -> int:
    """Check the tenants' key check values against the configured master keys.

    Every schema in ``schemas`` (default: every tenant, or the ``limit`` newest);
    return how many were checked; raise ``MasterKeyError`` at the first mismatch.
    """
    database = field_keys.registry.getUtility(IDatabase)
    with database.engine.connect() as connection:
        if schemas is None:
            schemas = tenant_schemas(connection, limit)
        for schema in schemas:
            if _table_exists(connection, schema, "data_keys"):  # else: not migrated yet
                check_schema(field_keys, connection, schema)
    return len(schemas)


# -- rotation ----------------------------------------------------------------------------

@dataclass
class RotationReport:
    schema: str
    new_version: int | None = None
    retired: list[int] = field(default_factory=list)
    reencrypted: int = 0
    resumed: bool = False
    created: bool = False  # the tenant had no key: its first one was made


@contextmanager
def _rotation_lock(database, schema: str) -> Iterator[None]:
    """One rotation or re-wrap per tenant at a time (a session-level advisory lock)."""
    key = zlib.crc32((_LOCK_PREFIX + schema).encode()) - 2**31
    with database.engine.connect() as connection:
        acquired = connection.execute(select(func.pg_try_advisory_lock(key))).scalar()
        connection.commit()  # the lock outlives the transaction; we must not look old
        if not acquired:
            raise RotationError(_("A key rotation of tenant schema ${schema} is already "
                                  "running.", mapping={"schema": schema}))
        try:
            yield
        finally:
            connection.execute(select(func.pg_advisory_unlock(key)))
            connection.commit()


def _switch(field_keys: FieldKeys, connection: Connection, schema: str,
            report: RotationReport) -> int:
    """Make a new version active and the old one retiring; or find the rotation to resume."""
    options = translate_options(schema)
    rows = connection.execute(select(KEYS.c.version, KEYS.c.status).with_for_update(),
                              execution_options=options).all()
    if not rows:
        connection.execute(KEYS.insert().values(**field_keys.new_key_values(1)),
                           execution_options=options)
        report.created = True
        return 1
    check_schema(field_keys, connection, schema)
    active = [version for version, status in rows if status == ACTIVE]
    if not active:
        raise KeysUnavailable(_("Tenant schema ${schema} has no active data key.",
                                mapping={"schema": schema}))
    if any(status == RETIRING for _version, status in rows):
        report.resumed = True
        return active[0]
    new_version = max(version for version, _status in rows) + 1
    connection.execute(update(KEYS).where(KEYS.c.status == ACTIVE).values(status=RETIRING),
                       execution_options=options)
    values = field_keys.new_key_values(new_version)
    connection.execute(KEYS.insert().values(progress={}, **values), execution_options=options)
    return new_version


def _drain(database, deadline: float, poll: float = 0.2) -> None:
    """Wait for every transaction older than now (one may hold the old key) to end."""
    with database.engine.connect() as connection:
        cutoff = connection.execute(select(func.clock_timestamp())).scalar()
        connection.commit()
        while True:
            # Statistics are a snapshot per transaction: ask in a new one each time.
            older = connection.execute(OLDER_TRANSACTIONS, {"cutoff": cutoff}).scalar()
            connection.commit()
            if not older:
                return
            if time.monotonic() >= deadline:
                raise RotationError(_(
                    "${count} database transaction(s) older than the key switch are still "
                    "running; the new key is active, run the rotation again to finish it.",
                    mapping={"count": str(older)}))
            time.sleep(poll)


def _plan(connection: Connection, schema: str) -> list[tuple[Table, list[Any]]]:
    """The tables of ``schema`` with encrypted columns, with those columns."""
    plan = []
    for table, columns in sorted(encrypted_columns().items(), key=lambda item: item[0].name):
        if not _table_exists(connection, schema, table.name):
            continue
        if len(table.primary_key.columns) != 1:
            raise RotationError(_("Table ${table} has encrypted columns but no single-column "
                                  "primary key, so it cannot be re-encrypted in batches.",
                                  mapping={"table": table.name}))
        plan.append((table, columns))
    return plan


def _stale(columns: list[Any], version: int):
    """SQL: some encrypted column of the row names another key version than ``version``."""
    wanted = version.to_bytes(4, "big")
    raw = [type_coerce(column, LargeBinary) for column in columns]
    return or_(*(and_(value.isnot(None), func.substr(value, 3, 4) != wanted) for value in raw))


def count_stale(connection: Connection, schema: str, version: int) -> int:
    """How many rows hold a value encrypted with another key than ``version``."""
    total = 0
    for table, columns in _plan(connection, schema):
        total += connection.execute(select(func.count()).select_from(table)
                                    .where(_stale(columns, version)),
                                    execution_options=translate_options(schema)).scalar()
    return total


def _reencrypt_batch(ring: KeyRing, connection: Connection, schema: str, table: Table,
                     columns: list[Any], version: int, after: Any, size: int
                     ) -> tuple[int, Any]:
    """Re-encrypt the next ``size`` stale rows after primary key ``after``."""
    options = translate_options(schema)
    pk = table.primary_key.columns[0]
    query = (select(pk, *(type_coerce(column, LargeBinary).label(column.name)
                          for column in columns))
             .where(_stale(columns, version)).order_by(pk).limit(size)
             .with_for_update(of=table))
    if after is not None:
        query = query.where(pk > after)
    rows = connection.execute(query, execution_options=options).all()
    if not rows:
        return 0, after
    key = ring.active()
    if key.version != version:
        raise RotationError(_("The active data key of tenant schema ${schema} changed during "
                              "the rotation.", mapping={"schema": schema}))
    values: dict[Any, Any] = {}
    for column in columns:
        values[column] = bindparam(f"_v_{column.name}", type_=LargeBinary)
        encrypted: EncryptedText = column.type
        if encrypted.blind_index:
            index = table.c[encrypted.blind_index]
            values[index] = bindparam(f"_i_{column.name}", type_=LargeBinary)
    parameters = []
    for row in rows:
        params = {"_pk": row[0]}
        for column in columns:
            encrypted = column.type
            stored = row._mapping[column.name]
            plaintext = None if stored is None else ring.decrypt(encrypted.label, bytes(stored))
            if stored is not None and key_version(bytes(stored)) != version:
                stored = ring.encrypt(encrypted.label, plaintext, key)
            params[f"_v_{column.name}"] = stored
            if encrypted.blind_index:
                params[f"_i_{column.name}"] = (
                    None if plaintext is None
                    else key.index(encrypted.label, encrypted.normalise(plaintext)))
        parameters.append(params)
    connection.execute(update(table).where(pk == bindparam("_pk")).values(values), parameters,
                       execution_options=options)
    return len(rows), rows[-1][0]


def _save_progress(connection: Connection, schema: str, version: int,
                   progress: dict[str, Any]) -> None:
    connection.execute(update(KEYS).where(KEYS.c.version == version).values(progress=progress),
                       execution_options=translate_options(schema))


def rotate(field_keys: FieldKeys, schema: str, *, batch_size: int = DEFAULT_BATCH,
           drain_seconds: float = DEFAULT_DRAIN_SECONDS,
           on_start: Callable[[int], None] | None = None,
           on_batch: Callable[[int], None] | None = None) -> RotationReport:
    """Rotate ``schema``'s data key (see the module documentation); resumable.

    ``on_start(total)`` is told how many rows are to be re-encrypted, ``on_batch(n)``
    after each committed batch.
    """
    database = field_keys.registry.getUtility(IDatabase)
    engine = database.bind_for(schema)
    report = RotationReport(schema)
    with _rotation_lock(database, schema):
        with engine.begin() as connection:
            if not _table_exists(connection, schema, "data_keys"):
                raise RotationError(_("Tenant schema ${schema} has no key table yet; run "
                                      "jimu tenant migrate first.", mapping={"schema": schema}))
            version = report.new_version = _switch(field_keys, connection, schema, report)
        if report.created:
            return report
        _drain(database, time.monotonic() + drain_seconds)
        with engine.begin() as connection:
            progress = dict(connection.execute(
                select(KEYS.c.progress).where(KEYS.c.version == version)).scalar() or {})
            plan = _plan(connection, schema)
            if on_start is not None:
                on_start(count_stale(connection, schema, version))
        for table, columns in plan:
            after = progress.get(table.name)
            while True:
                for attempt in range(3):
                    try:
                        with engine.begin() as connection:
                            ring = field_keys.ring(connection, schema)
                            done, after_batch = _reencrypt_batch(
                                ring, connection, schema, table, columns, version, after,
                                batch_size)
                            if done:
                                progress[table.name] = after_batch
                                _save_progress(connection, schema, version, progress)
                        break
                    except OperationalError as exc:  # a deadlock with the app: try again
                        if attempt == 2 or not _retryable(exc):
                            raise
                if not done:
                    break
                after = after_batch
                report.reencrypted += done
                if on_batch is not None:
                    on_batch(done)
        with engine.begin() as connection:
            left = count_stale(connection, schema, version)
            if left:
                # Only a value copied from an old row by raw SQL gets here: go again.
                _save_progress(connection, schema, version, {})
                raise RotationError(_(
                    "${count} row(s) of tenant schema ${schema} still hold values of the old "
                    "key; run the rotation again.", mapping={"count": str(left),
                                                             "schema": schema}))
            report.retired = list(connection.execute(
                update(KEYS).where(KEYS.c.status == RETIRING)
                .values(status=RETIRED, retired_at=func.now()).returning(KEYS.c.version)
            ).scalars())
            _save_progress(connection, schema, version, None)
    return report


def _retryable(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    return code in {"40P01", "40001"}  # deadlock detected, serialization failure


# -- master-key rotation -----------------------------------------------------------------

def rewrap(field_keys: FieldKeys, schema: str) -> int:
    """Wrap every data key of ``schema`` with the active master key; return how many moved."""
    keystore = field_keys.keystore
    if keystore is None:
        raise MasterKeyError(master_key_problem(None, schema, "?", b""))
    database = field_keys.registry.getUtility(IDatabase)
    active = keystore.active_key_id
    with _rotation_lock(database, schema), database.bind_for(schema).begin() as connection:
        rows = connection.execute(select(KEYS).where(KEYS.c.master_key_id != active)
                                  .order_by(KEYS.c.version).with_for_update()).all()
        for row in rows:
            material = field_keys.unwrap(schema, row)
            key_id, wrapped = keystore.wrap(material,
                                            key_context(row.version,
                                                        algorithm_named(row.algorithm)))
            connection.execute(update(KEYS).where(KEYS.c.version == row.version).values(
                master_key_id=key_id, wrapped_key=wrapped,
                check_value=keystore.check_value(key_id)))
    return len(rows)


def key_rows(field_keys: FieldKeys, schema: str) -> list[Any]:
    """The ``data_keys`` rows of ``schema`` (for ``jimu keys status``)."""
    database = field_keys.registry.getUtility(IDatabase)
    with database.bind_for(schema).connect() as connection:
        if not _table_exists(connection, schema, "data_keys"):
            return []
        return connection.execute(select(KEYS).order_by(KEYS.c.version)).all()
