"""Relation fields at run time: the rows a foreign key may point at, and their labels.

A field whose column's ``info`` has ``relation`` (see :mod:`jimucrm.core.metadata.fields`)
holds the id of a row of another model. This module finds that model, and reads
its rows only through :class:`~jimucrm.core.interfaces.IRecordRules` (read scope),
so a relation never shows, offers or accepts a row the user could not open
themselves: such an id is a field error, and an existing value out of reach is
shown as ``#id``, never by its label.

Labels are loaded for a whole page at once (:class:`Labels`: one query per
relation field and page, whatever the number of rows), and choices are offered
as a select only while the target holds at most :data:`MAX_OPTIONS` rows the
user may reach; beyond that the form takes an id and offers a search
(:func:`search`), so a 100,000-row table is never loaded into a page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pyramid.i18n import TranslationString
from pyramid.request import Request
from sqlalchemy import Select, func, select

from ..i18n import _
from ..interfaces import IRecordRules
from ..metadata import Field
from ..metadata.search import starts_with

MAX_OPTIONS = 200
SEARCH_RESULTS = 20
MAX_SEARCH = 100
NOT_FOUND = _("Choose one of the offered records.")


def target_model(model: type, item: Field) -> type:
    """The mapped class of the table ``item`` points at (same declarative registry)."""
    table = item.relation.table
    for mapper in model.registry.mappers:
        if mapper.local_table.name == table:
            return mapper.class_
    raise LookupError(f"{model.__name__}.{item.name}: no model maps table {table!r}")


def _reachable(request: Request, target: type, statement: Select) -> Select:
    return request.find_service(IRecordRules).apply(request, statement, target, "read")


def _columns(model: type, item: Field):
    target = target_model(model, item)
    relation = item.relation
    return target, getattr(target, relation.key), getattr(target, relation.label)


def labels(request: Request, model: type, item: Field, ids: Iterable[Any]) -> dict[Any, str]:
    """Labels of the rows ``ids`` of ``item``'s target the user may read (one query)."""
    wanted = sorted({value for value in ids if value is not None})
    if not wanted:
        return {}
    target, key, label = _columns(model, item)
    rows = request.dbsession.execute(_reachable(request, target, select(key, label).where(
        key.in_(wanted))))
    return {row_id: str(text) for row_id, text in rows}


def _offered(request: Request, model: type, item: Field) -> Select:
    target, key, label = _columns(model, item)
    statement = select(key, label)
    if item.relation.active:
        statement = statement.where(getattr(target, item.relation.active).is_(True))
    order = getattr(target, item.relation.order) if item.relation.order else label
    return _reachable(request, target, statement).order_by(order, key)


def options(request: Request, model: type, item: Field) -> list[tuple[Any, str]] | None:
    """(id, label) of every row the user may choose, or None when there are too many
    for a select (the form then takes an id, with :func:`search`)."""
    statement = _offered(request, model, item)
    rows = request.dbsession.execute(statement.limit(MAX_OPTIONS + 1)).all()
    if len(rows) > MAX_OPTIONS:
        return None
    return [(row_id, str(text)) for row_id, text in rows]


def search(request: Request, model: type, item: Field, term: str) -> list[tuple[Any, str]]:
    """The first rows the user may choose whose label starts with ``term``."""
    _target, _key, label = _columns(model, item)
    statement = _offered(request, model, item)
    term = term.strip()[:MAX_SEARCH]
    if term:
        statement = statement.where(starts_with(label, term))
    return [(row_id, str(text)) for row_id, text in
            request.dbsession.execute(statement.limit(SEARCH_RESULTS))]


def check(request: Request, model: type, fields: Sequence[Field], values: Mapping[str, Any],
          current: Any = None) -> dict[str, TranslationString]:
    """Errors for relation ``values`` that name no row the user may choose.

    A value equal to ``current``'s (the record being edited) stays valid even when
    it is no longer offered (an inactive user still owns what they owned); any
    other value must be a row the user may read and, when the relation says so,
    an active one. One query per relation field given a value.
    """
    errors: dict[str, TranslationString] = {}
    for item in fields:
        value = values.get(item.name)
        if item.relation is None or value is None:
            continue
        if current is not None and getattr(current, item.name) == value:
            continue
        target, key, _label = _columns(model, item)
        statement = select(func.count()).select_from(target).where(key == value)
        if item.relation.active:
            statement = statement.where(getattr(target, item.relation.active).is_(True))
        if not request.dbsession.scalar(_reachable(request, target, statement)):
            errors[item.name] = NOT_FOUND
    return errors


class Labels:
    """The labels of the relation fields of a page's rows, loaded once per field."""

    def __init__(self) -> None:
        self.by_field: dict[str, dict[Any, str]] = {}

    def load(self, request: Request, model: type, fields: Iterable[Field],
             rows: Sequence[Any]) -> Labels:
        for item in fields:
            if item.relation is not None and item.name not in self.by_field:
                self.by_field[item.name] = labels(
                    request, model, item, (getattr(row, item.name) for row in rows))
        return self

    def text(self, item: Field, value: Any) -> str:
        """The label of ``value``, or ``#id`` when the user may not read that row."""
        if value is None:
            return ""
        return self.by_field.get(item.name, {}).get(value, f"#{value}")


__all__ = ["MAX_OPTIONS", "Labels", "check", "labels", "options", "search", "target_model"]
