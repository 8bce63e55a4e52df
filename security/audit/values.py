"""Turning column values into what an audit entry keeps, and hiding sensitive ones."""

from __future__ import annotations

import enum
import math
import re
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Column

# Longer texts are cut: the log says what changed, it is not a second copy of the data.
TEXT_LIMIT = 2000

# Column names that are sensitive whatever their flags say (hashes, secrets, tokens).
SENSITIVE_NAME = re.compile(
    r"passw|secret|token|private_key|api_key|recovery_code|(^|_)t?otp(_|$)", re.IGNORECASE)

REDACTED = {"redacted": True}


def is_sensitive(column: Column) -> bool:
    """Whether the log may show this column's values.

    Sensitive: ``info={"sensitive": True}`` on the column, a column type with a
    true ``sensitive`` attribute (the encrypted field type), or a name that
    says password, secret, token…
    """
    return bool(column.info.get("sensitive")
                or getattr(column.type, "sensitive", False)
                or SENSITIVE_NAME.search(column.key or column.name or ""))


def is_audited(column: Column) -> bool:
    """False for columns flagged ``info={"audited": False}`` (e.g. a last-seen time)."""
    return column.info.get("audited", True) is not False


def jsonable(value: Any) -> Any:
    """``value`` as JSON can hold it: text, numbers, booleans, null, lists, objects."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return value if len(value) <= TEXT_LIMIT else value[:TEXT_LIMIT] + "…"
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    return jsonable(str(value))
