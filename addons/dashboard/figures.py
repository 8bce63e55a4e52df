"""Reading the aggregates: the figures the page, its JSON and the home panel show.

The figures are tenant-wide (every order, lead and contact of the tenant, whoever
owns it): whoever holds ``dashboard.view`` sees them, record rules do not narrow them.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jimucrm.addons.crm.models import OpportunityStage
from jimucrm.addons.sales.models import Product

from .aggregates import today
from .models import CustomerDay, FunnelStage, LeadDay, ProductDay, RevenueDay

PERIODS = (30, 90)
TOP_PRODUCTS = 10


def period(value: object) -> int:
    """The period asked for, in days (30 unless 90 was asked for)."""
    try:
        days = int(str(value))
    except ValueError:
        return PERIODS[0]
    return days if days in PERIODS else PERIODS[0]


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _money(value: Decimal | None) -> str:
    return str((value or Decimal(0)).quantize(Decimal("0.01")))


def revenue(session: Session, start: date, end: date) -> dict:
    """Paid, refunded and net CNY per day."""
    rows = session.execute(
        select(RevenueDay.day, func.sum(RevenueDay.amount_cny), func.sum(RevenueDay.refunded_cny),
               func.sum(RevenueDay.orders))
        .where(RevenueDay.day.between(start, end)).group_by(RevenueDay.day)).all()
    by_day = {row[0]: row[1:] for row in rows}
    days = _days(start, end)
    paid = [by_day.get(day, (Decimal(0),) * 3)[0] for day in days]
    refunded = [by_day.get(day, (Decimal(0),) * 3)[1] for day in days]
    return {"days": [day.isoformat() for day in days],
            "paid": [_money(value) for value in paid],
            "refunded": [_money(value) for value in refunded],
            "net": [_money(p - r) for p, r in zip(paid, refunded, strict=True)],
            "orders": sum(int(row[3] or 0) for row in rows),
            "total": _money(sum(paid, Decimal(0)) - sum(refunded, Decimal(0)))}


def funnel(session: Session) -> list[dict]:
    """Open and won stages in their order, with how many opportunities each holds."""
    rows = session.execute(
        select(OpportunityStage.name, FunnelStage.opportunities, OpportunityStage.is_won)
        .join(FunnelStage, FunnelStage.stage_id == OpportunityStage.id, isouter=True)
        .where(OpportunityStage.is_lost.is_(False))
        .order_by(OpportunityStage.position, OpportunityStage.id)).all()
    return [{"stage": name, "count": max(count or 0, 0), "won": won}
            for name, count, won in rows]


def customers(session: Session, start: date, end: date) -> dict:
    found = dict(session.execute(
        select(CustomerDay.day, CustomerDay.created)
        .where(CustomerDay.day.between(start, end))).all())
    days = _days(start, end)
    counts = [found.get(day, 0) for day in days]
    return {"days": [day.isoformat() for day in days], "counts": counts, "total": sum(counts)}


def leads(session: Session, start: date, end: date) -> dict:
    found = {day: (created, converted) for day, created, converted in session.execute(
        select(LeadDay.day, LeadDay.created, LeadDay.converted)
        .where(LeadDay.day.between(start, end)))}
    days = _days(start, end)
    created = [found.get(day, (0, 0))[0] for day in days]
    converted = [found.get(day, (0, 0))[1] for day in days]
    total_created, total_converted = sum(created), sum(converted)
    rate = round(100 * total_converted / total_created, 1) if total_created else None
    return {"days": [day.isoformat() for day in days], "created": created,
            "converted": converted, "total_created": total_created,
            "total_converted": total_converted, "rate": rate}


def top_products(session: Session, start: date, end: date) -> list[dict]:
    amount = func.sum(ProductDay.amount_cny).label("amount")
    rows = session.execute(
        select(Product.code, Product.name, func.sum(ProductDay.quantity), amount)
        .join(Product, Product.id == ProductDay.product_id)
        .where(ProductDay.day.between(start, end))
        .group_by(Product.id, Product.code, Product.name)
        .order_by(amount.desc(), Product.code).limit(TOP_PRODUCTS)).all()
    return [{"code": code, "name": name, "quantity": str(quantity.normalize()),
             "amount": _money(total)} for code, name, quantity, total in rows]


def dashboard(session: Session, days: int) -> dict:
    """Everything the dashboard page draws, for the last ``days`` days (today included)."""
    end = today()
    start = end - timedelta(days=days - 1)
    return {"period": days, "start": start.isoformat(), "end": end.isoformat(),
            "currency": "CNY",
            "revenue": revenue(session, start, end), "funnel": funnel(session),
            "customers": customers(session, start, end), "leads": leads(session, start, end),
            "top_products": top_products(session, start, end)}


def key_figures(session: Session, days: int = PERIODS[0]) -> dict:
    """The home panel's numbers."""
    end = today()
    start = end - timedelta(days=days - 1)
    paid = revenue(session, start, end)
    lead_figures = leads(session, start, end)
    return {"days": days, "revenue": paid["total"], "orders": paid["orders"],
            "customers": customers(session, start, end)["total"],
            "rate": lead_figures["rate"], "leads": lead_figures["total_created"],
            "open": sum(stage["count"] for stage in funnel(session) if not stage["won"])}
