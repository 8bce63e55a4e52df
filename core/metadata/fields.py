"""Field metadata: what a model's columns say about themselves.

A column becomes a *field* when its ``info`` carries a ``label``. Everything
else is read from the column type (kind, maximum length, choices of an Enum)
and nullability/defaults (required), and may be overridden in ``info``:

=================  =========================================================
``label``          the field's name wherever it is shown (required)
``help``           a sentence shown under the input and in the API schema
``widget``         ``text`` ``textarea`` ``email`` ``tel`` ``number`` ``checkbox``
                   ``date`` ``datetime-local`` ``select`` (default: from the kind)
``required``       bool (default: NOT NULL without a default)
``max_length``     int (default: the String's length; needed on ``Text``)
``choices``        ``[(value, label), …]`` (default: an Enum's values)
``pattern``        a regular expression a non-empty value must match in full
``pattern_message`` what to tell the user when it does not
``search``         ``"prefix"`` (case-insensitive ``LIKE 'term%'``; see
                   :mod:`.search` for its index), ``"exact"`` or ``None`` (default ``None``)
``filter``         bool: a filter control on the list (default ``False``)
``sort``           bool: the list can be sorted by it (default ``True``, ``False``
                   for ``Text`` and encrypted columns)
``list``           bool: a list column unless the user chose otherwise
                   (default ``True``, ``False`` for ``Text``)
``form``           bool: an input on the form (default ``True``); ``False`` for
                   values the system sets (creation time…)
``check``          a function of the submitted text returning whether it is valid
                   (a checksum a pattern cannot express: ID-card numbers…); empty
                   values are not checked
``check_message``  what to tell the user when the check fails
``minimum``        the smallest and largest value a number may take (integers:
``maximum``        default the column type's range; decimals: no default)
``relation``       on a foreign-key column: a dict saying how to show the row it
                   points at (the target table comes from the foreign key):
                   ``{"label": "name"}`` (required: the target's column that names
                   a row), ``"active": "is_active"`` (optional: a boolean column;
                   only active rows are offered for a new value, a current value
                   stays valid), ``"order": "position"`` (optional: how choices are
                   ordered, default the label). A relation is an ``integer`` value
                   (the id) shown by its label in lists, details and exports; the
                   form offers a ``select`` (or, for targets with many rows, an id
                   input with a search); it filters by one value and is not
                   sorted by default. A submitted id must exist, in the tenant and
                   within the user's record rules for the target model.
=================  =========================================================

The same :class:`Field` serves the HTML views, the validation model
(:mod:`.validation`) and the REST API's schema, so a field declared once (or
added by a tenant at run time) shows up everywhere.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pyramid.i18n import TranslationString
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    inspect,
)
from sqlalchemy.types import NullType

# Kinds of value, named as the API schema will name them.
STRING, TEXT, INTEGER, DECIMAL, NUMBER = "string", "text", "integer", "decimal", "number"
BOOLEAN, DATE, DATETIME, CHOICE = "boolean", "date", "datetime", "choice"
KINDS = (STRING, TEXT, INTEGER, DECIMAL, NUMBER, BOOLEAN, DATE, DATETIME, CHOICE)

PREFIX, EXACT = "prefix", "exact"
SEARCHES = (PREFIX, EXACT, None)

WIDGETS = ("text", "textarea", "email", "tel", "number", "checkbox", "date", "datetime-local",
           "select")
DEFAULT_WIDGET = {STRING: "text", TEXT: "textarea", INTEGER: "number", DECIMAL: "number",
                  NUMBER: "number", BOOLEAN: "checkbox", DATE: "date",
                  DATETIME: "datetime-local", CHOICE: "select"}
# Kinds filtered by a range (from / to) rather than by one value.
RANGE_KINDS = (INTEGER, DECIMAL, NUMBER, DATE, DATETIME)

INFO_KEYS = frozenset({"label", "help", "widget", "required", "max_length", "choices",
                       "pattern", "pattern_message", "search", "filter", "sort", "list",
                       "form", "relation", "check", "check_message", "minimum", "maximum"})
RELATION_KEYS = frozenset({"label", "active", "order"})
# Keys other packages keep in ``info`` for their own purposes (audit, encryption).
FOREIGN_KEYS = frozenset({"sensitive", "audited"})


class MetadataError(ValueError):
    """A column's ``info`` cannot be turned into a field (raised at start-up)."""


@dataclass(frozen=True)
class Relation:
    """What a foreign-key field points at: the target table and how to name its rows.

    Only names are kept (the target may be mapped by a package loaded later);
    :mod:`jimucrm.core.modelviews.relations` finds the target model when asked.
    """

    table: str
    key: str
    label: str
    active: str | None = None
    order: str | None = None


@dataclass(frozen=True)
class Field:
    """One field of a model, as views, validation and the API see it."""

    name: str
    label: TranslationString | str
    kind: str
    widget: str
    required: bool
    max_length: int | None = None
    choices: tuple[tuple[str, TranslationString | str], ...] | None = None
    pattern: str | None = None
    pattern_message: TranslationString | str | None = None
    help: TranslationString | str | None = None
    search: str | None = None
    filterable: bool = False
    sortable: bool = True
    list_default: bool = True
    in_form: bool = True
    # Encrypted at rest: searchable only by exact value (its blind index), never sorted.
    encrypted: bool = False
    # Bounds the database column can hold (integers) and digits (numerics).
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None
    max_digits: int | None = None
    decimal_places: int | None = None
    # A foreign key shown by the label of the row it points at.
    relation: Relation | None = None
    # A further check of a non-empty text value, and its message.
    check: Callable[[str], bool] | None = None
    check_message: TranslationString | str | None = None

    @property
    def is_range(self) -> bool:
        """Filtered by a from/to range rather than one value."""
        return self.kind in RANGE_KINDS and self.relation is None

    def choice_label(self, value: Any) -> TranslationString | str | None:
        for choice, label in self.choices or ():
            if choice == value:
                return label
        return None


def _kind(column: Column) -> str:
    kind = column.type
    if isinstance(kind, Enum):
        return CHOICE
    if isinstance(kind, Boolean):
        return BOOLEAN
    if isinstance(kind, Integer | BigInteger | SmallInteger):
        return INTEGER
    if isinstance(kind, Float):
        return NUMBER
    if isinstance(kind, Numeric):
        return DECIMAL
    if isinstance(kind, DateTime):
        return DATETIME
    if isinstance(kind, Date):
        return DATE
    if isinstance(kind, Text):
        return TEXT
    if isinstance(kind, String):
        return STRING
    # Custom types (the encrypted text type) store text.
    return TEXT if getattr(kind, "length", None) is None else STRING


# The range each integer column type holds: a larger value is a validation error,
# never a database error.
INTEGER_BOUNDS = ((SmallInteger, 2**15 - 1), (BigInteger, 2**63 - 1), (Integer, 2**31 - 1))


def _bounds(column: Column) -> dict[str, int | None]:
    kind = column.type
    for type_, limit in INTEGER_BOUNDS:
        if isinstance(kind, type_):
            return {"minimum": -limit, "maximum": limit}
    if isinstance(kind, Numeric) and not isinstance(kind, Float) and kind.precision:
        return {"max_digits": kind.precision, "decimal_places": kind.scale or 0}
    return {}


def _enum_choices(column: Column) -> tuple[tuple[str, str], ...] | None:
    kind = column.type
    if not isinstance(kind, Enum):
        return None
    if kind.enum_class is not None:
        return tuple((member.value if isinstance(member, enum.Enum) else str(member),
                      str(member.value)) for member in kind.enum_class)
    return tuple((value, value) for value in kind.enums)


def _relation(column: Column, where: str) -> Relation | None:
    spec = column.info.get("relation")
    if spec is None:
        return None
    if not isinstance(spec, dict) or set(spec) - RELATION_KEYS or \
            not isinstance(spec.get("label"), str):
        raise MetadataError(f"{where}: relation must be a dict with a 'label' column name "
                            f"and optionally 'active' and 'order'")
    keys = list(column.foreign_keys)
    if len(keys) != 1:
        raise MetadataError(f"{where}: a relation needs exactly one foreign key")
    # "table.column" or "schema.table.column": read from the string, so the target
    # table need not be defined yet.
    table, key = keys[0].target_fullname.rsplit(".", 2)[-2:]
    return Relation(table=table, key=key, label=spec["label"], active=spec.get("active"),
                    order=spec.get("order"))


def _check(info: dict, where: str) -> Callable[[str], bool] | None:
    check = info.get("check")
    if check is not None and not callable(check):
        raise MetadataError(f"{where}: check must be a function of the value")
    return check


def field_of(column: Column) -> Field:
    """The :class:`Field` described by ``column`` (which must carry ``info["label"]``)."""
    info = column.info
    where = f"{column.table.name}.{column.key}"
    unknown = set(info) - INFO_KEYS - FOREIGN_KEYS
    if unknown:
        raise MetadataError(f"{where}: unknown info keys {sorted(unknown)}")
    if "label" not in info:
        raise MetadataError(f"{where}: a field needs info['label']")
    kind = _kind(column)
    relation = _relation(column, where)
    if relation is not None and isinstance(column.type, NullType):
        kind = INTEGER  # typed from the target's key once that table is defined
    if relation is not None and kind != INTEGER:
        raise MetadataError(f"{where}: a relation must be an integer foreign key")
    encrypted = bool(getattr(column.type, "sensitive", False))
    choices = info.get("choices")
    if choices is not None:
        choices = tuple((str(value), label) for value, label in choices)
        kind = CHOICE if kind in (STRING, TEXT) else kind
    else:
        choices = _enum_choices(column)
    max_length = info.get("max_length", getattr(column.type, "length", None))
    has_default = column.default is not None or column.server_default is not None
    required = info.get("required", not column.nullable and not has_default)
    search = info.get("search")
    if search not in SEARCHES:
        raise MetadataError(f"{where}: search must be 'prefix', 'exact' or None")
    if search == PREFIX and (encrypted or kind not in (STRING, TEXT)):
        raise MetadataError(f"{where}: only plain text can be searched by prefix")
    # Ids sort in no order a person expects: relations are not sorted unless asked.
    sortable = info.get("sort", kind != TEXT and not encrypted and relation is None)
    if sortable and encrypted:
        raise MetadataError(f"{where}: an encrypted column cannot be sorted")
    filterable = info.get("filter", False)
    if encrypted and (search or filterable) and not getattr(column.type, "blind_index", None):
        raise MetadataError(f"{where}: an encrypted column needs a blind index to be "
                            f"searched or filtered")
    widget = info.get("widget", "select" if relation is not None else DEFAULT_WIDGET[kind])
    if widget not in WIDGETS:
        raise MetadataError(f"{where}: widget must be one of {', '.join(WIDGETS)}")
    pattern = info.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)  # a broken expression fails at start-up, not on a request
        except re.error as exc:
            raise MetadataError(f"{where}: pattern: {exc}") from None
    bounds = _bounds(column)
    for key in ("minimum", "maximum"):
        if key in info:
            if kind not in (INTEGER, DECIMAL) or isinstance(info[key], bool) or \
                    not isinstance(info[key], int | Decimal):
                raise MetadataError(f"{where}: {key} must be an integer or a Decimal, "
                                    f"on a number")
            bounds[key] = info[key]
    return Field(
        name=column.key,
        label=info["label"],
        kind=kind,
        widget=widget,
        required=bool(required),
        max_length=max_length,
        choices=choices,
        pattern=pattern,
        pattern_message=info.get("pattern_message"),
        help=info.get("help"),
        search=search,
        filterable=bool(filterable),
        sortable=bool(sortable),
        list_default=bool(info.get("list", kind != TEXT)),
        in_form=bool(info.get("form", True)),
        encrypted=encrypted,
        relation=relation,
        check=_check(info, where),
        check_message=info.get("check_message"),
        **bounds,
    )


def fields_of(model: type) -> tuple[Field, ...]:
    """The fields of ``model``: its columns that carry a ``label``, in table order."""
    columns = inspect(model).columns
    return tuple(field_of(column) for column in columns if "label" in column.info)
