"""Quote and order numbers: ``SO-2026-000123``, per tenant (schema), prefix and year.

The counter row is taken with ``INSERT … ON CONFLICT DO UPDATE … RETURNING``: the
first creator of a year inserts it, the others increment it, and each holds the
row lock until its transaction ends. A second transaction numbering at the same
time waits for the first, so numbers are never given twice; they have no gaps
unless a transaction that took one rolls back.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from .models import NumberSequence

PREFIXES = {"order": "SO", "quote": "QT"}


def next_number(session: Session, kind: str, year: int) -> str:
    """The next number for ``kind`` (``order`` or ``quote``) in ``year``."""
    prefix = PREFIXES[kind]
    statement = insert(NumberSequence).values(prefix=prefix, year=year, last_value=1)
    statement = statement.on_conflict_do_update(
        index_elements=[NumberSequence.prefix, NumberSequence.year],
        set_={"last_value": NumberSequence.last_value + 1},
    ).returning(NumberSequence.last_value)
    value = session.execute(statement).scalar_one()
    return f"{prefix}-{year}-{value:06d}"


def reserve(session: Session, kind: str, year: int, count: int) -> list[str]:
    """``count`` consecutive numbers for ``kind`` in ``year`` at once (bulk loads)."""
    prefix = PREFIXES[kind]
    statement = insert(NumberSequence).values(prefix=prefix, year=year, last_value=count)
    statement = statement.on_conflict_do_update(
        index_elements=[NumberSequence.prefix, NumberSequence.year],
        set_={"last_value": NumberSequence.last_value + count},
    ).returning(NumberSequence.last_value)
    last = session.execute(statement).scalar_one()
    return [f"{prefix}-{year}-{value:06d}" for value in range(last - count + 1, last + 1)]
