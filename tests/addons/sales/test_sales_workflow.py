"""The state machine (every allowed and refused move), status history, numbering."""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from jimucrm.addons.sales.models import Order, OrderHistory, OrderLine, Product
from jimucrm.addons.sales.numbering import next_number
from jimucrm.addons.sales.pricing import recompute
from jimucrm.addons.sales.services import VatPolicy
from jimucrm.addons.sales.workflow import (
    EVENT_FOR,
    FLOWS,
    Actor,
    TransitionRefused,
    convert,
    create,
    transition,
)
from jimucrm.core.interfaces import IDatabase

ORDER_STATES = ("draft", "confirmed", "paid", "shipped", "completed", "cancelled", "refunded")
QUOTE_STATES = ("draft", "sent", "accepted", "rejected", "cancelled", "converted")
ALLOWED = {
    ("order", "draft", "confirmed"), ("order", "draft", "cancelled"),
    ("order", "confirmed", "paid"), ("order", "confirmed", "cancelled"),
    ("order", "paid", "shipped"), ("order", "paid", "refunded"),
    ("order", "shipped", "completed"), ("order", "shipped", "refunded"),
    ("order", "completed", "refunded"),
    ("quote", "draft", "sent"), ("quote", "draft", "cancelled"),
    ("quote", "sent", "accepted"), ("quote", "sent", "rejected"), ("quote", "sent", "cancelled"),
    ("quote", "accepted", "converted"),
}


@pytest.fixture
def session(registry, tenant, catalogue):
    """A session on ``tenant``'s schema, rolled back at the end."""
    database = registry.getUtility(IDatabase)
    with database.session(tenant.schema_name) as session:
        session.begin()
        yield session
        session.rollback()


def _order(session, catalogue, kind="order") -> Order:
    order = Order(kind=kind, customer_id=catalogue.customer, currency="CNY",
                  exchange_rate=Decimal(1), order_date=date(2026, 3, 1), notes="")
    order.lines.append(OrderLine(position=0, product=session.get(Product, catalogue.laptop),
                                 description="积木笔记本", quantity=Decimal(2),
                                 unit_price=Decimal("6999.00"), discount_pct=Decimal(0),
                                 tax_rate=Decimal(13)))
    recompute(order, VatPolicy())
    return order


def test_the_rules_are_the_ones_the_issue_asks_for():
    assert set(FLOWS["order"]) == set(ORDER_STATES)
    assert set(FLOWS["quote"]) == set(QUOTE_STATES)
    table = {(kind, source, target) for kind, flow in FLOWS.items()
             for source, targets in flow.items() for target in targets}
    assert table == ALLOWED


@pytest.mark.parametrize("kind", ["order", "quote"])
def test_every_move_is_allowed_or_refused_as_the_rules_say(session, catalogue, kind):
    events = []
    actor = Actor(session, None, lambda name, payload: events.append((name, payload)))
    order = create(actor, _order(session, catalogue, kind))
    session.flush()
    states = ORDER_STATES if kind == "order" else QUOTE_STATES
    checked = 0
    for source in states:
        for target in states:
            savepoint = session.begin_nested()
            order.state = source
            session.flush()
            events.clear()
            if (kind, source, target) in ALLOWED:
                entry = transition(actor, order, target, note=f"{source}->{target}")
                assert order.state == target
                assert (entry.from_state, entry.to_state, entry.note) == \
                    (source, target, f"{source}->{target}")
                expected = EVENT_FOR.get((kind, target))
                assert [name for name, _ in events] == ([expected] if expected else [])
            else:
                with pytest.raises(TransitionRefused):
                    transition(actor, order, target)
                assert order.state == source and events == []
            checked += 1
            savepoint.rollback()
    assert checked == len(states) ** 2


def test_history_keeps_every_step_with_who_and_why(session, catalogue, make_user, tenant):
    actor = Actor(session, None, lambda name, payload: None)
    order = create(actor, _order(session, catalogue), note="电话下单")
    for target, note in (("confirmed", "客户确认"), ("paid", "银行转账"), ("shipped", ""),
                         ("completed", ""), ("refunded", "质量问题")):
        transition(actor, order, target, note=note,
                   amount=Decimal("100.00") if target == "refunded" else None)
    rows = session.scalars(select(OrderHistory).where(OrderHistory.order_id == order.id)
                           .order_by(OrderHistory.id)).all()
    assert [(row.from_state, row.to_state, row.note) for row in rows] == [
        (None, "draft", "电话下单"), ("draft", "confirmed", "客户确认"),
        ("confirmed", "paid", "银行转账"), ("paid", "shipped", ""),
        ("shipped", "completed", ""), ("completed", "refunded", "质量问题")]
    assert order.paid_at is not None and order.refunded_amount == Decimal("100.00")


def test_refund_amount_must_be_within_the_total(session, catalogue):
    actor = Actor(session, None, lambda name, payload: None)
    order = create(actor, _order(session, catalogue))
    for target in ("confirmed", "paid"):
        transition(actor, order, target)
    for amount in (Decimal(0), order.total_amount + Decimal("0.01")):
        with pytest.raises(TransitionRefused) as refused:
            transition(actor, order, "refunded", amount=amount)
        assert refused.value.field == "amount"
    assert order.state == "paid"
    transition(actor, order, "refunded")
    assert order.refunded_amount == order.total_amount


def test_an_order_without_lines_cannot_be_confirmed(session, catalogue):
    actor = Actor(session, None, lambda name, payload: None)
    order = _order(session, catalogue)
    order.lines = []
    create(actor, order)
    with pytest.raises(TransitionRefused):
        transition(actor, order, "confirmed")


def test_converting_a_sent_quote_accepts_it_and_copies_the_lines(session, catalogue):
    events = []
    actor = Actor(session, None, lambda name, payload: events.append((name, payload)))
    quote = create(actor, _order(session, catalogue, "quote"))
    with pytest.raises(TransitionRefused):
        convert(actor, quote)  # a draft is not converted
    transition(actor, quote, "sent")
    order = convert(actor, quote)
    assert quote.state == "converted" and order.state == "draft"
    assert order.quote_id == quote.id and order.number.startswith("SO-")
    assert [(line.product_id, line.quantity) for line in order.lines] == \
        [(catalogue.laptop, Decimal(2))]
    assert order.total_amount == quote.total_amount
    assert [name for name, _ in events] == ["quote.sent", "quote.accepted", "order.created"]
    assert events[-1][1]["quote_id"] == quote.id
    with pytest.raises(TransitionRefused):
        convert(actor, quote)  # once only


def test_numbers_are_per_kind_and_year(session):
    assert next_number(session, "order", 2026) == "SO-2026-000001"
    assert next_number(session, "order", 2026) == "SO-2026-000002"
    assert next_number(session, "quote", 2026) == "QT-2026-000001"
    assert next_number(session, "order", 2027) == "SO-2027-000001"


def test_two_sessions_never_get_the_same_number(registry, tenant):
    """The second creator waits for the first one's commit, then takes the next number."""
    database = registry.getUtility(IDatabase)
    got: dict[str, str] = {}
    with database.session(tenant.schema_name) as first:
        first.begin()
        got["first"] = next_number(first, "order", 2030)

        def second() -> None:
            with database.session(tenant.schema_name) as other, other.begin():
                got["second"] = next_number(other, "order", 2030)

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        assert "second" not in got  # blocked on the first one's row lock
        first.commit()
    thread.join(timeout=10)
    assert got == {"first": "SO-2030-000001", "second": "SO-2030-000002"}


def test_many_concurrent_creators_get_consecutive_numbers(registry, tenant):
    database = registry.getUtility(IDatabase)
    numbers: list[str] = []
    lock = threading.Lock()

    def take(count: int) -> None:
        for _ in range(count):
            with database.session(tenant.schema_name) as session, session.begin():
                number = next_number(session, "quote", 2031)
            with lock:
                numbers.append(number)

    threads = [threading.Thread(target=take, args=(10,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(numbers) == [f"QT-2031-{n:06d}" for n in range(1, 61)]
