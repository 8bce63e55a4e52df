"""How lists, the REST API and relation pickers search: the one place that builds the SQL.

A prefix search is case-insensitive and compares ``lower(column)`` with ``LIKE``, so a
B-tree index on ``lower(column) text_pattern_ops`` serves it in any database collation
(``ILIKE`` can use no ordinary index, and a search ORs every searchable column, so one
unindexed column made every search a full scan). Declare that index with
:func:`prefix_index` on each large table with a prefix-searchable column.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Index, false, func, or_

from .fields import EXACT, PREFIX, Field


def escape_like(term: str) -> str:
    """``term`` with ``\\``, ``%`` and ``_`` escaped for ``LIKE … ESCAPE '\\'``."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def starts_with(column, term: str) -> ColumnElement[bool]:
    """``column`` starts with ``term``, ignoring case; served by :func:`prefix_index`."""
    return func.lower(column).like(escape_like(term.lower()) + "%", escape="\\")


def matches_term(model: type, fields: Iterable[Field], term: str) -> ColumnElement[bool]:
    """The search box: any prefix-searchable field starts with ``term``, or any exact one
    equals it (an encrypted column compares through its blind index)."""
    conditions = []
    for item in fields:
        column = getattr(model, item.name)
        if item.search == PREFIX:
            conditions.append(starts_with(column, term))
        elif item.search == EXACT:
            conditions.append(column == term)
    return or_(*conditions) if conditions else false()


def prefix_index(name: str, column) -> Index:
    """The index a prefix search on ``column`` uses (declare it after the model class)."""
    label = f"lower_{column.key}"
    return Index(name, func.lower(column).label(label),
                 postgresql_ops={label: "text_pattern_ops"})
