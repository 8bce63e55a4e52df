"""Merging two contacts into one, in one transaction.

The survivor takes the values chosen field by field and the other's tags; every
addon holding rows that refer to contacts moves them to the survivor on the
:class:`~.interfaces.IContactsMerging` event (contacts knows none of them). Then,
before the merged contact is deleted, the live schema's foreign keys are read:
a row still referring to it stops the merge with the table's name, so nothing
is lost to ``ON DELETE CASCADE`` or ``SET NULL``. The merge is audited and sent
to the outbox as ``customer.merged``.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyramid.request import Request
from sqlalchemy import column, exists, inspect, select, table

from jimucrm.core.events import notify
from jimucrm.core.i18n import _
from jimucrm.core.outbox.service import session_schema
from jimucrm.security.audit import record

from .events import CUSTOMER_MERGED, ContactsMerging
from .models import Contact

MERGED = "contact.merged"  # the audit log's action
# The sides a field's value may come from.
SURVIVOR, OTHER = "survivor", "other"


class MergeRefused(Exception):
    """Rows still refer to the contact being merged away; ``message`` says where."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message


def remaining_references(session, contact_id: int) -> list[str]:
    """``table.column`` of each live foreign key with rows still pointing at ``contact_id``."""
    connection = session.connection()
    schema = session_schema(session)
    found = []
    keys = inspect(connection).get_multi_foreign_keys(schema=schema)
    for (_schema, name), constraints in sorted(keys.items(), key=lambda item: item[0][1]):
        for constraint in constraints:
            if constraint["referred_table"] != Contact.__tablename__:
                continue
            [key] = constraint["constrained_columns"]  # contacts has a one-column key
            referring = table(name, column(key), schema=schema)
            if session.scalar(select(exists().where(referring.c[key] == contact_id))):
                found.append(f"{name}.{key}")
    return found


def merge_contacts(request: Request, survivor: Contact, merged: Contact,
                   choices: Mapping[str, str]) -> list[str]:
    """Merge ``merged`` into ``survivor``; return the fields that took the other's value.

    ``choices`` maps field names to :data:`SURVIVOR` or :data:`OTHER`; fields left
    out keep the survivor's value (or take the other's when the survivor has none).
    Raises :class:`MergeRefused` (the caller rolls back) when rows still refer to
    ``merged`` once every subscriber has moved its own.
    """
    if survivor.id == merged.id:
        raise MergeRefused(_("A contact cannot be merged with itself."))
    session = request.dbsession
    taken = []
    for name, side in choices.items():
        if side == OTHER and getattr(survivor, name) != getattr(merged, name):
            setattr(survivor, name, getattr(merged, name))
            taken.append(name)
    survivor.tags = sorted({*survivor.tags, *merged.tags}, key=lambda tag: tag.name)
    merged.tags = []
    session.flush()
    notify(request.registry, ContactsMerging(request, survivor, merged), request.tenant.addons)
    session.flush()
    left = remaining_references(session, merged.id)
    if left:
        raise MergeRefused(_(
            "Rows of ${tables} still refer to the contact being merged and no installed "
            "addon moved them: the merge was stopped so that nothing is lost.",
            mapping={"tables": ", ".join(left)}))
    merged_id = merged.id
    session.delete(merged)
    session.flush()
    details = {"merged_id": merged_id, "merged_name": merged.name, "fields": taken}
    record(request, MERGED, model=Contact.__tablename__, record_id=survivor.id,
           details=details)
    request.emit_event(CUSTOMER_MERGED, {"survivor_id": survivor.id, "merged_id": merged_id,
                                         "fields": taken, "by": request.identity.user_id})
    return taken
