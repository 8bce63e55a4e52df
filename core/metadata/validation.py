"""Validation of submitted values against field metadata, with pydantic v2.

:func:`validation_model` builds a pydantic model for a set of fields with
``create_model`` (fields a tenant defines at run time are validated the same
way as built-in ones); :func:`validate` runs it on what a form or an API
client sent and returns the clean values, or one translated message per field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StringConstraints,
    ValidationError,
    create_model,
)
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError

from ..i18n import _
from .fields import (
    BOOLEAN,
    CHOICE,
    DATE,
    DATETIME,
    DECIMAL,
    INTEGER,
    NUMBER,
    STRING,
    TEXT,
    Field,
)

PATTERN_ERROR = "jimu_pattern"
CHECK_ERROR = "jimu_check"

REQUIRED = _("This field is required.")
MESSAGES = {
    "int_parsing": _("Enter a whole number."),
    "int_from_float": _("Enter a whole number."),
    "float_parsing": _("Enter a number."),
    "decimal_parsing": _("Enter a number."),
    "finite_number": _("Enter a number."),
    "decimal_max_digits": _("This number is too large."),
    "decimal_whole_digits": _("This number is too large."),
    "decimal_max_places": _("Too many digits after the decimal point."),
    "less_than_equal": _("This number is too large."),
    "greater_than_equal": _("This number is too small."),
    "bool_parsing": _("Choose yes or no."),
    "date_parsing": _("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": _("Enter a date as YYYY-MM-DD."),
    "datetime_parsing": _("Enter a date and time."),
    "datetime_from_date_parsing": _("Enter a date and time."),
    "literal_error": _("Choose one of the offered values."),
    PATTERN_ERROR: _("This value is not in the expected form."),
    CHECK_ERROR: _("This value is not valid."),
}
INVALID = _("This value is not valid.")


def _pattern(field: Field):
    expression = re.compile(field.pattern)

    def check(value: str) -> str:
        if value and not expression.fullmatch(value):
            raise PydanticCustomError(PATTERN_ERROR, "the value does not match the pattern")
        return value

    return AfterValidator(check)


def _check(field: Field):
    def check(value: str) -> str:
        if value and not field.check(value):
            raise PydanticCustomError(CHECK_ERROR, "the value does not pass the field's check")
        return value

    return AfterValidator(check)


def _annotation(field: Field) -> Any:
    """The Python type (with constraints) a value of ``field`` must have."""
    if field.kind in (STRING, TEXT):
        constraints = StringConstraints(strip_whitespace=True, max_length=field.max_length,
                                        min_length=1 if field.required else None)
        checks = [_pattern(field)] if field.pattern else []
        if field.check is not None:
            checks.append(_check(field))
        return Annotated[str, constraints, *checks]
    if field.kind == CHOICE:
        return Literal[tuple(value for value, _label in field.choices or ())]
    if field.kind == INTEGER:
        return Annotated[int, PydanticField(ge=field.minimum, le=field.maximum)]
    if field.kind == DECIMAL:
        return Annotated[Decimal, PydanticField(max_digits=field.max_digits,
                                                decimal_places=field.decimal_places,
                                                ge=field.minimum, le=field.maximum,
                                                allow_inf_nan=False)]
    if field.kind == NUMBER:
        return Annotated[float, PydanticField(allow_inf_nan=False)]
    if field.kind == BOOLEAN:
        return bool
    if field.kind == DATE:
        return date
    if field.kind == DATETIME:
        return datetime
    raise ValueError(f"no validation for kind {field.kind!r}")


@lru_cache(maxsize=512)
def validation_model(name: str, fields: tuple[Field, ...]) -> type[BaseModel]:
    """A pydantic model checking ``fields`` (cached: one model per distinct field set).

    Attributes are ``f_<field>`` with the field's name as alias, so a field may be
    called anything (``json``, ``schema``…) without shadowing pydantic's own names.
    """
    definitions: dict[str, Any] = {}
    for item in fields:
        annotation = _annotation(item)
        if item.required:
            definitions[f"f_{item.name}"] = (annotation, PydanticField(alias=item.name))
        else:
            empty = "" if item.kind in (STRING, TEXT) else (False if item.kind == BOOLEAN
                                                            else None)
            optional = annotation if item.kind in (STRING, TEXT, BOOLEAN) else annotation | None
            definitions[f"f_{item.name}"] = (optional, PydanticField(empty, alias=item.name))
    config = ConfigDict(extra="ignore", str_strip_whitespace=True, validate_default=False)
    return create_model(name, __config__=config, **definitions)


@dataclass
class Validated:
    """What :func:`validate` found: clean ``values``, or ``errors`` keyed by field."""

    values: dict[str, Any]
    errors: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


def message(item: Field, error: Mapping[str, Any]) -> Any:
    """The translatable message for one pydantic error on ``item``."""
    kind = error["type"]
    if kind == "missing" or (kind == "string_too_short" and item.required):
        return REQUIRED
    if kind == "string_too_long":
        return _("At most ${limit} characters.", mapping={"limit": item.max_length})
    if kind == PATTERN_ERROR and item.pattern_message:
        return item.pattern_message
    if kind == CHECK_ERROR and item.check_message:
        return item.check_message
    return MESSAGES.get(kind, INVALID)


def validate(name: str, fields: Sequence[Field], data: Mapping[str, Any]) -> Validated:
    """Check ``data`` (field name → submitted value) against ``fields``.

    Empty strings count as "not given" for fields that do not hold text, so a
    blank number input is a missing value, not a parsing error. Keys that are
    not among ``fields`` are ignored: what a user may not write never gets in.
    """
    fields = tuple(fields)
    raw = {}
    for item in fields:
        if item.name not in data:
            continue
        value = data[item.name]
        if item.kind not in (STRING, TEXT) and isinstance(value, str) and not value.strip():
            continue
        raw[item.name] = value
    model = validation_model(name, fields)
    try:
        parsed = model.model_validate(raw)
    except ValidationError as exc:
        by_name = {item.name: item for item in fields}
        errors: dict[str, Any] = {}
        for error in exc.errors():
            name_ = str(error["loc"][0]) if error["loc"] else ""
            if name_ in by_name and name_ not in errors:
                errors[name_] = message(by_name[name_], error)
        return Validated({key: data.get(key, "") for key in by_name}, errors or
                         {"": INVALID})
    return Validated(parsed.model_dump(by_alias=True))
