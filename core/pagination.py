"""Page numbers from query parameters, safe to turn into ``OFFSET``.

A ``page`` parameter is typed by whoever builds the URL: ``10**23`` overflows
PostgreSQL's bigint ``OFFSET`` and fails the request's transaction, so no list
view turns one into a query by itself. :func:`paginate` (when the total is known)
and :func:`page_number` (when it is not) clamp it instead: anything that is not a
whole number, or below 1, is the first page; anything past the end is the last.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Without a known total a page number stops here (far past any list a person
# pages through, and ``MAX_PAGE * size`` stays far inside bigint).
MAX_PAGE = 100_000
_MAX_DIGITS = 18


def page_number(params: Mapping[str, str], name: str = "page", *,
                last: int = MAX_PAGE) -> int:
    """The page asked for in ``params[name]``, from 1 to ``last``.

    Missing, empty, non-numeric, fractional or negative values give 1; values
    past ``last`` (however many digits) give ``last``.
    """
    last = max(1, last)
    value = str(params.get(name, "")).strip()
    if not value.isascii() or not value.isdigit():
        return 1
    if len(value) > _MAX_DIGITS:  # no need to build a huge int to know it is too big
        return last
    return min(max(1, int(value)), last)


@dataclass(frozen=True)
class Page:
    """One page of a list of ``total`` items, ``size`` at a time."""

    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are (1 for an empty list)."""
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def paginate(params: Mapping[str, str], total: int, size: int, name: str = "page") -> Page:
    """The page of a ``total``-item list that ``params[name]`` asks for, clamped to it."""
    pages = Page(1, size, total).pages
    return Page(page_number(params, name, last=pages), size, total)
