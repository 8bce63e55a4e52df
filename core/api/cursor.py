"""Opaque, signed cursors for keyset pagination of the generated API lists.

A cursor holds the sort it was made for and the last row's sort values and id.
It is base64url JSON with an HMAC (the deployment's secret key), so a client can
pass it back but not forge one; the values are bound parameters either way.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..metadata import Field
from ..metadata.fields import BOOLEAN, DATE, DATETIME, DECIMAL, INTEGER, NUMBER

SIGNATURE_BYTES = 16
# A cursor is far smaller than this; a longer value is refused before any decoding.
MAX_CURSOR = 2048


class CursorError(ValueError):
    """The cursor is malformed, forged or made for another sort."""


def _sign(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, b"jimu.api.cursor:" + payload, hashlib.sha256).digest()[:SIGNATURE_BYTES]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return getattr(value, "value", value)  # enum members


def encode_cursor(key: bytes, sort: str, values: list[Any], last_id: int) -> str:
    """The cursor after a row with sort ``values`` and id ``last_id``."""
    payload = json.dumps({"s": sort, "v": [_plain(value) for value in values], "i": last_id},
                         separators=(",", ":"), ensure_ascii=False).encode()
    token = payload + _sign(key, payload)
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def _typed(item: Field, value: Any) -> Any:
    if value is None:
        return None
    if item.kind == INTEGER and isinstance(value, int) and not isinstance(value, bool):
        return value
    if item.kind == BOOLEAN and isinstance(value, bool):
        return value
    if not isinstance(value, str) and item.kind != NUMBER:
        raise CursorError("value of the wrong type")
    try:
        if item.kind == DECIMAL:
            return Decimal(value)
        if item.kind == NUMBER:
            return float(value)
        if item.kind == DATE:
            return date.fromisoformat(value)
        if item.kind == DATETIME:
            return datetime.fromisoformat(value)
    except (ValueError, TypeError, ArithmeticError):
        raise CursorError("value does not parse") from None
    if item.kind in (INTEGER, BOOLEAN):
        raise CursorError("value of the wrong type")
    return value


def decode_cursor(key: bytes, cursor: str, sort: str,
                  fields: list[Field]) -> tuple[list[Any], int]:
    """(sort values, last id) from ``cursor``, which must be made for ``sort`` and signed."""
    if len(cursor) > MAX_CURSOR:
        raise CursorError("too long")
    try:
        token = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise CursorError("not base64") from None
    payload, signature = token[:-SIGNATURE_BYTES], token[-SIGNATURE_BYTES:]
    if len(token) <= SIGNATURE_BYTES or not hmac.compare_digest(signature, _sign(key, payload)):
        raise CursorError("bad signature")
    try:
        data = json.loads(payload)
        made_for, values, last_id = data["s"], data["v"], data["i"]
    except (ValueError, KeyError, TypeError):
        raise CursorError("not a cursor") from None
    if made_for != sort or not isinstance(values, list) or len(values) != len(fields) \
            or not isinstance(last_id, int) or isinstance(last_id, bool):
        raise CursorError("made for another sort")
    return [_typed(item, value) for item, value in zip(fields, values, strict=True)], last_id
