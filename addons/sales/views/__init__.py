"""Sales pages: what the order pages share."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from sqlalchemy import select

from jimucrm.core.interfaces import IFieldAccess, IRecordRules
from jimucrm.core.urls import matched_id

from ..models import Order
from ..workflow import Actor

TEMPLATES = "jimucrm.addons.sales:templates/"


def money(value: Decimal | None) -> str:
    """``1234.5`` → ``1,234.50`` (empty for None)."""
    return "" if value is None else f"{value:,.2f}"


def when(value: datetime | None) -> str:
    """A time as the other pages show it: UTC, to the minute."""
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def actor(request: Request) -> Actor:
    """The workflow's view of the request: its session, user and outbox."""
    return Actor(request.dbsession, request.identity.user_id, request.emit_event)


def order_for(request: Request, action: str = "read", *, lock: bool = False) -> Order:
    """The route's order if the user may reach it for ``action``; else 404 (no probing)."""
    query = select(Order).where(Order.id == matched_id(request))
    if lock:
        query = query.with_for_update()
    order = request.dbsession.scalars(query).one_or_none()
    if order is None or not request.find_service(IRecordRules).allows(request, order, action):
        raise HTTPNotFound()
    return order


AMOUNTS = ("untaxed_amount", "tax_amount", "total_amount")


def shown(request: Request) -> dict[str, bool]:
    """Which guarded parts of a quote or order the user may see (field permissions).

    Amounts go together: lines would give away a hidden total. ``notes_writable``
    is False where a role makes the notes read-only.
    """
    access = request.find_service(IFieldAccess)
    return {
        "amounts": all(access.readable(request, Order, name) for name in AMOUNTS),
        "notes": access.readable(request, Order, "notes"),
        "notes_writable": access.writable(request, Order, "notes"),
        "paid_at": access.readable(request, Order, "paid_at"),
        "refunded_amount": access.readable(request, Order, "refunded_amount"),
    }
