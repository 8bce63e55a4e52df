"""A list's search, filters and sort: read from query parameters, applied to a query.

Only fields the user may read, and that the metadata marks searchable,
filterable or sortable, are ever turned into SQL; every value is a bound
parameter, and ``LIKE`` metacharacters in a search term are escaped. Values
that do not parse (a letter in a number filter) are dropped, not passed on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pyramid.request import Request
from sqlalchemy import Date, Select, cast

from ..interfaces import IFieldAccess
from ..metadata import Field
from ..metadata.fields import BOOLEAN, CHOICE, DATE, DATETIME, DECIMAL, INTEGER, NUMBER
from ..metadata.search import matches_term
from .spec import ModelViews

MAX_TERM = 100
MAX_FILTER = 200
SEARCH, SORT = "q", "sort"


def column_value(model: type, item: Field, value: Any) -> Any:
    """``value`` as the column takes it: an Enum column with an enum class wants members."""
    enum_class = getattr(getattr(model, item.name).type, "enum_class", None)
    if enum_class is not None and item.kind == CHOICE and value is not None:
        return enum_class(value)
    return value


def readable_fields(request: Request, spec: ModelViews) -> tuple[Field, ...]:
    """The model's fields the request's user may see, in declaration order."""
    access = request.find_service(IFieldAccess)
    return tuple(item for item in spec.fields
                 if access.readable(request, spec.model, item.name))


def filter_params(item: Field) -> tuple[str, ...]:
    """The query parameters of ``item``'s filter: one value, or a from/to range."""
    if item.is_range:
        return (f"f_{item.name}_from", f"f_{item.name}_to")
    return (f"f_{item.name}",)


def _parse(item: Field, value: str) -> Any:
    """The filter value as the column's type, or None when it does not parse."""
    try:
        if item.kind == INTEGER:
            number = int(value)
            if (item.minimum is not None and number < item.minimum) or \
                    (item.maximum is not None and number > item.maximum):
                return None
            return number
        if item.kind in (DECIMAL, NUMBER):
            number = Decimal(value)
            return number if number.is_finite() else None
        if item.kind in (DATE, DATETIME):
            return date.fromisoformat(value)
    except (ValueError, InvalidOperation):
        return None
    if item.kind == BOOLEAN:
        return {"1": True, "0": False}.get(value)
    if item.kind == CHOICE:
        return value if value in {choice for choice, _label in item.choices or ()} else None
    return value


@dataclass(frozen=True)
class ListState:
    """What a list shows: a search term, filters and a sort, all already checked."""

    term: str = ""
    filters: dict[str, tuple[Field, str, Any]] = field(default_factory=dict)
    sort: str | None = None

    def params(self) -> dict[str, str]:
        """The state as query parameters (empty ones left out): links, saved filters."""
        found = {SEARCH: self.term} if self.term else {}
        found.update({param: raw for param, (_item, raw, _value) in self.filters.items()})
        if self.sort:
            found[SORT] = self.sort
        return found

    def raw(self, param: str) -> str:
        """What the user typed in filter ``param`` (empty when not given or dropped)."""
        entry = self.filters.get(param)
        return entry[1] if entry else ""


def list_state(params: Mapping[str, str], spec: ModelViews,
               readable: tuple[Field, ...]) -> ListState:
    """The search, filters and sort asked for in ``params``, restricted to what is allowed."""
    term = str(params.get(SEARCH, "")).strip()[:MAX_TERM]
    filters = {}
    for item in readable:
        if not item.filterable:
            continue
        for param in filter_params(item):
            raw = str(params.get(param, "")).strip()[:MAX_FILTER]
            if not raw:
                continue
            value = _parse(item, raw)
            if value is not None:
                filters[param] = (item, raw, value)
    sort = str(params.get(SORT, "")).strip()
    sortable = {item.name for item in readable if item.sortable}
    name = sort[1:] if sort.startswith("-") else sort
    return ListState(term, filters, sort if name in sortable else None)


def apply_state(statement: Select, spec: ModelViews, state: ListState,
                readable: tuple[Field, ...]) -> Select:
    """``statement`` narrowed by the search and filters of ``state``."""
    model = spec.model
    if state.term:
        statement = statement.where(matches_term(model, readable, state.term))
    for param, (item, _raw, value) in state.filters.items():
        column = getattr(model, item.name)
        if item.kind == DATETIME:
            column = cast(column, Date)
        if param.endswith("_from") and item.is_range:
            statement = statement.where(column >= value)
        elif param.endswith("_to") and item.is_range:
            statement = statement.where(column <= value)
        else:
            statement = statement.where(column == column_value(model, item, value))
    return statement


def order_by(statement: Select, spec: ModelViews, state: ListState) -> Select:
    """``statement`` sorted by the state's sort, then the default sort, then id."""
    model = spec.model
    keys = [state.sort] if state.sort else []
    keys += [key for key in spec.default_sort if key.lstrip("-") != (state.sort or "").lstrip("-")]
    clauses = [getattr(model, key.lstrip("-")).desc() if key.startswith("-")
               else getattr(model, key).asc() for key in keys]
    return statement.order_by(*clauses, getattr(model, spec.id_attr))
