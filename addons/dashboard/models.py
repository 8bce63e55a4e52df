"""Aggregate tables the dashboard reads: kept current by outbox handlers, rebuilt from
the source tables by :func:`jimucrm.addons.dashboard.aggregates.rebuild`.

Days are calendar days in :data:`~jimucrm.addons.dashboard.aggregates.DAY_ZONE`.
Amounts in CNY are rounded to cents per order (per line for products), the way the
sales payload's ``total_cny`` is, so a rebuild gives the same figures as the events.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, DateTime, Integer, Numeric, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from jimucrm.core.models import TenantBase

Amount = Numeric(16, 2)
ZERO = text("0")


class RevenueDay(TenantBase):
    """Paid orders of a day in one currency, and the refunds made that day."""

    __tablename__ = "dashboard_revenue_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer, default=0, server_default=ZERO)
    amount: Mapped[Decimal] = mapped_column(Amount, default=0, server_default=ZERO)
    amount_cny: Mapped[Decimal] = mapped_column(Amount, default=0, server_default=ZERO)
    refunds: Mapped[int] = mapped_column(Integer, default=0, server_default=ZERO)
    refunded: Mapped[Decimal] = mapped_column(Amount, default=0, server_default=ZERO)
    refunded_cny: Mapped[Decimal] = mapped_column(Amount, default=0, server_default=ZERO)


class ProductDay(TenantBase):
    """Quantity and amount (CNY) of a product on the orders paid that day."""

    __tablename__ = "dashboard_product_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    quantity: Mapped[Decimal] = mapped_column(Numeric(16, 3), default=0, server_default=ZERO)
    amount_cny: Mapped[Decimal] = mapped_column(Amount, default=0, server_default=ZERO)


class FunnelStage(TenantBase):
    """How many opportunities are in a stage now."""

    __tablename__ = "dashboard_funnel"

    stage_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    opportunities: Mapped[int] = mapped_column(Integer, default=0, server_default=ZERO)


class LeadDay(TenantBase):
    """Leads created and leads converted on a day."""

    __tablename__ = "dashboard_lead_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    created: Mapped[int] = mapped_column(Integer, default=0, server_default=ZERO)
    converted: Mapped[int] = mapped_column(Integer, default=0, server_default=ZERO)


class CustomerDay(TenantBase):
    """Contacts (customers) created on a day."""

    __tablename__ = "dashboard_customer_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    created: Mapped[int] = mapped_column(Integer, default=0, server_default=ZERO)


class AppliedEvent(TenantBase):
    """An outbox event already counted: a replayed event, or one a rebuild already saw,
    is not counted again."""

    __tablename__ = "dashboard_applied_events"

    event_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
