"""Prices, discounts, exchange rates and totals, all in Decimal.

A line's amount is ``quantity × unit price × (1 − discount %)`` rounded half up
to cents; the tax policy splits it into untaxed and tax; an order's totals are
the sums of its lines' (so the totals always equal what the lines show).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from .interfaces import ITaxPolicy
from .models import DEFAULT_CURRENCY, ExchangeRate, Order, PriceListItem, Product, SalesSettings
from .services import cents

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Amounts:
    untaxed: Decimal
    tax: Decimal
    total: Decimal


def line_amounts(policy: ITaxPolicy, quantity: Decimal, unit_price: Decimal,
                 discount_pct: Decimal, rate: Decimal, prices_include_tax: bool) -> Amounts:
    """The untaxed, tax and total amounts of one line."""
    amount = cents(quantity * unit_price * (HUNDRED - discount_pct) / HUNDRED)
    untaxed, tax = policy.split(amount, rate, prices_include_tax)
    return Amounts(untaxed, tax, untaxed + tax)


def sum_amounts(amounts: list[Amounts]) -> Amounts:
    untaxed = sum((a.untaxed for a in amounts), ZERO)
    tax = sum((a.tax for a in amounts), ZERO)
    return Amounts(untaxed, tax, untaxed + tax)


def recompute(order: Order, policy: ITaxPolicy) -> Amounts:
    """Set every line's amounts and the order's totals from quantities, prices and rates."""
    found = []
    for line in order.lines:
        amounts = line_amounts(policy, line.quantity, line.unit_price, line.discount_pct,
                               line.tax_rate, order.prices_include_tax)
        line.untaxed_amount, line.tax_amount, line.total_amount = \
            amounts.untaxed, amounts.tax, amounts.total
        found.append(amounts)
    totals = sum_amounts(found)
    order.untaxed_amount, order.tax_amount, order.total_amount = \
        totals.untaxed, totals.tax, totals.total
    return totals


def exchange_rate(session: Session, currency: str, day: date) -> Decimal | None:
    """CNY per unit of ``currency`` on ``day`` (the latest rate from before it), or None."""
    if currency == DEFAULT_CURRENCY:
        return Decimal(1)
    return session.scalar(
        select(ExchangeRate.rate).where(ExchangeRate.currency == currency,
                                        ExchangeRate.valid_from <= day)
        .order_by(ExchangeRate.valid_from.desc()).limit(1))


def convert(session: Session, amount: Decimal, source: str, target: str,
            day: date) -> Decimal | None:
    """``amount`` in ``source`` currency as ``target`` currency through CNY; None: no rate."""
    if source == target:
        return amount
    source_rate, target_rate = (exchange_rate(session, source, day),
                                exchange_rate(session, target, day))
    if source_rate is None or target_rate is None:
        return None
    return cents(amount * source_rate / target_rate)


def default_price(session: Session, product: Product,
                  order: Order) -> tuple[Decimal, Decimal] | None:
    """``(unit price, discount %)`` of ``product`` on ``order``; None when no rate converts it.

    The order's price list decides when it is valid on the order date and lists the
    product: a fixed price as it is, or a discount off the list price shown as the
    line's discount. Otherwise the product's list price, in the order's currency.
    """
    pricelist = order.pricelist
    discount = ZERO
    if pricelist is not None and pricelist.valid_on(order.order_date) and \
            pricelist.currency == order.currency:
        item = session.scalar(select(PriceListItem).where(
            PriceListItem.pricelist_id == pricelist.id, PriceListItem.product_id == product.id))
        if item is not None and item.price is not None:
            return item.price, ZERO
        if item is not None:
            discount = item.discount_pct
    price = convert(session, product.list_price, product.currency, order.currency,
                    order.order_date)
    return None if price is None else (price, discount)


def current_settings(session: Session) -> SalesSettings:
    """The tenant's sales settings (defaults until they are first saved)."""
    return session.get(SalesSettings, 1) or SalesSettings(
        id=1, prices_include_tax=False, default_currency=DEFAULT_CURRENCY)
