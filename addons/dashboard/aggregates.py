"""Keeping the dashboard's aggregates current: outbox handlers and the rebuild.

Each handler applies its event's delta with ``INSERT … ON CONFLICT DO UPDATE``, in
the relay's transaction. The outbox runs a handler's database work once; an event
id is also recorded in ``dashboard_applied_events`` so that an event delivered again
(an operator's replay) or one a rebuild has already seen in the source tables is
not counted twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from jimucrm.addons.contacts.events import CUSTOMER_CREATED
from jimucrm.addons.contacts.models import Contact
from jimucrm.addons.crm.models import Lead, Opportunity
from jimucrm.addons.sales.models import Order, OrderLine
from jimucrm.core.outbox.models import OutboxEvent

from .models import AppliedEvent, CustomerDay, FunnelStage, LeadDay, ProductDay, RevenueDay

# The calendar the dashboard counts days in (the workers' Celery timezone too).
DAY_ZONE_NAME = "Asia/Shanghai"
DAY_ZONE = ZoneInfo(DAY_ZONE_NAME)
CENT = Decimal("0.01")


def day_of(moment: datetime | str) -> date:
    """The dashboard day of an aware time (or its ISO 8601 text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(DAY_ZONE).date()


def today() -> date:
    return datetime.now(DAY_ZONE).date()


def _cny(amount: str | Decimal, rate: str | Decimal) -> Decimal:
    return (Decimal(amount) * Decimal(rate)).quantize(CENT, rounding=ROUND_HALF_UP)


def _upsert(session: Session, model, keys: dict, deltas: dict) -> None:
    """Add ``deltas`` to the row ``keys`` (made with them when missing)."""
    statement = insert(model).values(**keys, **deltas)
    table = model.__table__
    session.execute(statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + statement.excluded[name] for name in deltas}))


# -- the deltas, one function per event ------------------------------------------------

def order_paid(session: Session, payload: dict, event) -> None:
    if payload.get("kind", "order") != "order" or not payload.get("paid_at"):
        return
    day = day_of(payload["paid_at"])
    rate = payload["exchange_rate"]
    _upsert(session, RevenueDay, {"day": day, "currency": payload["currency"]},
            {"orders": 1, "amount": Decimal(payload["total"]),
             "amount_cny": _cny(payload["total"], rate)})
    for line in payload["lines"]:
        _upsert(session, ProductDay, {"day": day, "product_id": line["product_id"]},
                {"quantity": Decimal(line["quantity"]),
                 "amount_cny": _cny(line["total"], rate)})


def order_refunded(session: Session, payload: dict, event) -> None:
    if not payload.get("refunded_at") or payload.get("refunded_amount") is None:
        return
    _upsert(session, RevenueDay,
            {"day": day_of(payload["refunded_at"]), "currency": payload["currency"]},
            {"refunds": 1, "refunded": Decimal(payload["refunded_amount"]),
             "refunded_cny": _cny(payload["refunded_amount"], payload["exchange_rate"])})


def opportunity_created(session: Session, payload: dict, event) -> None:
    _upsert(session, FunnelStage, {"stage_id": payload["stage_id"]}, {"opportunities": 1})


def opportunity_moved(session: Session, payload: dict, event) -> None:
    # Out of order with the creation, the count dips below zero for a moment only.
    if payload.get("from_stage_id") is not None:
        _upsert(session, FunnelStage, {"stage_id": payload["from_stage_id"]},
                {"opportunities": -1})
    _upsert(session, FunnelStage, {"stage_id": payload["to_stage_id"]}, {"opportunities": 1})


def _lead_time(session: Session, lead_id: int, column, fallback: datetime) -> datetime:
    # The lead's own time, as the rebuild reads it (the event is written a moment later).
    found = session.scalar(select(column).where(Lead.id == lead_id))
    return found or fallback


def lead_created(session: Session, payload: dict, event) -> None:
    moment = _lead_time(session, payload["lead_id"], Lead.created_at, event.created_at)
    _upsert(session, LeadDay, {"day": day_of(moment)}, {"created": 1})


def lead_converted(session: Session, payload: dict, event) -> None:
    moment = _lead_time(session, payload["lead_id"], Lead.converted_at, event.created_at)
    _upsert(session, LeadDay, {"day": day_of(moment)}, {"converted": 1})


def customer_created(session: Session, payload: dict, event) -> None:
    """One more customer on the day the contact was created (contacts' outbox event)."""
    count_new_customer(session, payload.get("created_at") or event.created_at)


DELTAS: dict[str, Callable] = {
    "order.paid": order_paid,
    "order.refunded": order_refunded,
    "opportunity.created": opportunity_created,
    "opportunity.stage_changed": opportunity_moved,
    "lead.created": lead_created,
    "lead.converted": lead_converted,
    CUSTOMER_CREATED: customer_created,
}


def handler_name(event: str) -> str:
    """The outbox handler's name for ``event``: ``order.paid`` -> ``dashboard.order_paid``."""
    return "dashboard." + event.replace(".", "_")


def apply_event(session: Session, event) -> None:
    """The outbox handler of every event in :data:`DELTAS` (one name per event)."""
    first = session.execute(
        insert(AppliedEvent).values(event_id=event.id)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(AppliedEvent.event_id)).first()
    if first is None:
        return  # counted already
    DELTAS[event.name](session, event.payload, event)


def count_new_customer(session: Session, created_at: datetime | str | None = None) -> None:
    """One more customer on the day of ``created_at`` (today when not given)."""
    day = day_of(created_at) if created_at is not None else today()
    _upsert(session, CustomerDay, {"day": day}, {"created": 1})


# -- the rebuild -----------------------------------------------------------------------

def _local_day(column):
    return cast(func.timezone(DAY_ZONE_NAME, column), Date)


def _round_cny(amount, rate):
    return func.round(amount * rate, 2)


def rebuild(session: Session) -> None:
    """Recompute every aggregate of the session's tenant from the source tables.

    For a tenant that enabled the dashboard after it had data, or after a repair.
    The outbox events already written are marked as counted: their changes are in
    the source tables this reads. Run it in one transaction (repeatable read when
    others write at the same time, so the events and the tables agree).
    """
    for model in (RevenueDay, ProductDay, FunnelStage, LeadDay, CustomerDay):
        session.execute(delete(model))
    orders = Order.__table__
    lines = OrderLine.__table__
    paid = (orders.c.kind == "order") & orders.c.paid_at.is_not(None)
    paid_day = _local_day(orders.c.paid_at)
    session.execute(insert(RevenueDay).from_select(
        ["day", "currency", "orders", "amount", "amount_cny"],
        select(paid_day, orders.c.currency, func.count(), func.sum(orders.c.total_amount),
               func.sum(_round_cny(orders.c.total_amount, orders.c.exchange_rate)))
        .where(paid).group_by(paid_day, orders.c.currency)))
    refunded = (orders.c.kind == "order") & orders.c.refunded_at.is_not(None) & \
        orders.c.refunded_amount.is_not(None)
    refund_day = _local_day(orders.c.refunded_at)
    refunds = (select(refund_day.label("day"), orders.c.currency.label("currency"),
                      func.count().label("refunds"),
                      func.sum(orders.c.refunded_amount).label("refunded"),
                      func.sum(_round_cny(orders.c.refunded_amount, orders.c.exchange_rate))
                      .label("refunded_cny"))
               .where(refunded).group_by(refund_day, orders.c.currency))
    statement = insert(RevenueDay).from_select(
        ["day", "currency", "refunds", "refunded", "refunded_cny"], refunds)
    session.execute(statement.on_conflict_do_update(
        index_elements=["day", "currency"],
        set_={name: statement.excluded[name] for name in ("refunds", "refunded",
                                                          "refunded_cny")}))
    session.execute(insert(ProductDay).from_select(
        ["day", "product_id", "quantity", "amount_cny"],
        select(paid_day, lines.c.product_id, func.sum(lines.c.quantity),
               func.sum(_round_cny(lines.c.total_amount, orders.c.exchange_rate)))
        .select_from(lines.join(orders, lines.c.order_id == orders.c.id))
        .where(paid).group_by(paid_day, lines.c.product_id)))
    opportunities = Opportunity.__table__
    session.execute(insert(FunnelStage).from_select(
        ["stage_id", "opportunities"],
        select(opportunities.c.stage_id, func.count()).group_by(opportunities.c.stage_id)))
    leads = Lead.__table__
    created_day = _local_day(leads.c.created_at)
    session.execute(insert(LeadDay).from_select(
        ["day", "created"], select(created_day, func.count()).group_by(created_day)))
    converted_day = _local_day(leads.c.converted_at)
    statement = insert(LeadDay).from_select(
        ["day", "converted"],
        select(converted_day, func.count()).where(leads.c.converted_at.is_not(None))
        .group_by(converted_day))
    session.execute(statement.on_conflict_do_update(
        index_elements=["day"], set_={"converted": statement.excluded.converted}))
    contacts = Contact.__table__
    contact_day = _local_day(contacts.c.created_at)
    session.execute(insert(CustomerDay).from_select(
        ["day", "created"], select(contact_day, func.count()).group_by(contact_day)))
    events = OutboxEvent.__table__
    session.execute(insert(AppliedEvent).from_select(
        ["event_id"], select(events.c.id).where(events.c.name.in_(list(DELTAS))))
        .on_conflict_do_nothing(index_elements=["event_id"]))
