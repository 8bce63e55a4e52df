"""Automatic capture of record changes: every insert, update and delete of a tenant model.

One SQLAlchemy ``after_flush`` listener, registered once per process on every
session, writes an entry per changed object, in the flush's own transaction:

* on the session of a tenant request (``request.dbsession``): the actor is the
  request's user, address and agent;
* on any session marked with :func:`audit_session` (a task, a command): the
  actor given there.

Other sessions (provisioning, migrations, the platform schema) are not captured.
Models of :class:`~jimucrm.core.models.TenantBase` are captured unless their
table says ``info={"audited": False}`` (the audit tables themselves); changes
of sensitive columns are recorded without their values (see :mod:`.values`).
Bulk ``UPDATE``/``DELETE`` statements and raw SQL bypass the flush and are not
captured.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from pyramid.request import Request
from pyramid.threadlocal import get_current_request
from sqlalchemy import Column, event, insert, inspect
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.state import InstanceState

from jimucrm.core.models import TenantBase

from .log import CREATE, DELETE, UPDATE, Actor, request_actor
from .models import AuditEntry
from .values import REDACTED, is_audited, is_sensitive, jsonable

ACTOR_KEY = "jimu.audit.actor"


def audit_session(session: Session, actor: Actor) -> Session:
    """Capture the changes flushed by ``session`` (bound to a tenant schema) as ``actor``'s."""
    session.info[ACTOR_KEY] = actor
    return session


def _request_of(session: Session) -> Request | None:
    """The tenant request being served whose ``dbsession`` is ``session``, if any."""
    request = get_current_request()
    if request is None or request.__dict__.get("dbsession") is not session:
        return None
    return request if getattr(request, "tenant", None) is not None else None


def _actor_for(session: Session) -> Actor:
    actor = session.info.get(ACTOR_KEY)
    return actor if actor is not None else request_actor(_request_of(session))


def _audited(mapper: Mapper) -> bool:
    return issubclass(mapper.class_, TenantBase) and \
        mapper.local_table.info.get("audited", True) is not False


def _columns(mapper: Mapper):
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if isinstance(column, Column) and is_audited(column):
            yield prop.key, column


def _record_id(mapper: Mapper, state: InstanceState) -> str | None:
    values = [state.dict.get(mapper.get_property_by_column(column).key)
              for column in mapper.primary_key]
    if any(value is None for value in values) and state.key is not None:
        values = list(state.key[1])
    if all(value is None for value in values):
        return None
    return ",".join(str(value) for value in values)


def _snapshot(mapper: Mapper, state: InstanceState, side: str) -> dict[str, Any]:
    """The loaded values of a created (``after``) or deleted (``before``) row.

    Empty values and the primary key (the entry's record id) are left out.
    """
    found = {}
    for key, column in _columns(mapper):
        value = state.dict.get(key)
        if value is None or value == "" or column.primary_key:
            continue
        found[column.name] = dict(REDACTED) if is_sensitive(column) else {side: jsonable(value)}
    return found


def _changes(mapper: Mapper, state: InstanceState) -> dict[str, Any]:
    """The columns an update changed; ``before`` is left out when it was never loaded."""
    found = {}
    for key, column in _columns(mapper):
        history = state.attrs[key].history
        if not history.added and not history.deleted:
            continue
        if is_sensitive(column):
            found[column.name] = dict(REDACTED)
            continue
        change = {"after": jsonable(history.added[0]) if history.added else None}
        if history.deleted:
            change["before"] = jsonable(history.deleted[0])
        found[column.name] = change
    return found


def _entries(session: Session, actor: Callable[[], Actor]) -> list[dict[str, Any]]:
    """The entries of a flush; ``actor`` is asked only when there is something to record."""
    entries = []
    for objects, action in ((session.new, CREATE), (session.dirty, UPDATE),
                            (session.deleted, DELETE)):
        batch = []
        for obj in objects:
            state = inspect(obj)
            mapper = state.mapper
            if not _audited(mapper):
                continue
            if action == CREATE:
                changes = _snapshot(mapper, state, "after")
            elif action == DELETE:
                changes = _snapshot(mapper, state, "before")
            else:
                changes = _changes(mapper, state)
                if not changes:
                    continue  # only relationships or unchanged values
            batch.append(actor().entry(action, model=mapper.local_table.name,
                                       record_id=_record_id(mapper, state), changes=changes))
        batch.sort(key=lambda entry: (entry["model"], entry["record_id"] or ""))
        entries.extend(batch)
    return entries


def after_flush(session: Session, flush_context) -> None:
    if ACTOR_KEY not in session.info and _request_of(session) is None:
        return
    entries = _entries(session, functools.cache(lambda: _actor_for(session)))
    if entries:
        # Core, on the flush's connection: no new objects for the flush in progress.
        session.connection().execute(insert(AuditEntry.__table__), entries)


def install() -> None:
    """Listen on every session of the process (once, however many apps are configured)."""
    if not event.contains(Session, "after_flush", after_flush):
        event.listen(Session, "after_flush", after_flush)
