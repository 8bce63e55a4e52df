"""A save refused by a unique constraint, told as an error beside the field it names.

The metadata cannot know whether a value is taken without asking the database,
so the generated form and the REST API flush in a savepoint and, when PostgreSQL
refuses a duplicate, turn the constraint back into the field: "this value is
already taken" beside ``code``, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyramid.i18n import TranslationString
from pyramid.request import Request
from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import IntegrityError

from ..i18n import _

TAKEN = _("This value is already taken.")
UNIQUE_VIOLATION = "23505"


def _unique_fields(model: type, constraint: str | None) -> list[str]:
    """The columns of ``model``'s unique constraint called ``constraint``."""
    table = model.__table__
    for item in table.constraints:
        if isinstance(item, UniqueConstraint) and item.name == constraint:
            return [column.key for column in item.columns]
    for index in table.indexes:
        if index.unique and index.name == constraint:
            return [column.key for column in index.columns]
    return []


def save(request: Request, spec: Any, fields: set[str],
         change: Callable[[], None]) -> dict[str, TranslationString]:
    """Run ``change`` (add the record, or set its values) and flush, in a savepoint:
    {} when it worked, else the fields (among ``fields``, the ones the user sent)
    whose value a unique constraint refused; the savepoint's rollback undoes it all.

    ``change`` runs inside the savepoint because opening one flushes what is pending:
    a change made before would fail the request's whole transaction instead. Other
    integrity errors are not the user's to fix here: they are raised again.
    """
    try:
        with request.dbsession.begin_nested():
            change()
            request.dbsession.flush()
    except IntegrityError as exc:
        diag = getattr(exc.orig, "diag", None)
        if getattr(exc.orig, "sqlstate", None) != UNIQUE_VIOLATION or diag is None:
            raise
        names = [name for name in _unique_fields(spec.model, diag.constraint_name)
                 if name in fields]
        if not names:
            raise
        return dict.fromkeys(names, TAKEN)
    return {}
