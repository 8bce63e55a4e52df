"""The weighted forecast: amount × win probability, by month of expected close and by owner.

An open deal counts with its probability (the override, else its stage's); a won
deal with its won stage's (100% by default); lost deals are left out. Amounts in
different currencies are never added together.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pyramid.request import Request
from sqlalchemy import case, func, select

from .access import scoped_opportunities
from .models import Opportunity, OpportunityStage


@dataclass(frozen=True)
class ForecastRow:
    key: object  # 'YYYY-MM' (None: no close date), or an owner id (None: nobody)
    currency: str
    count: int
    amount: Decimal
    weighted: Decimal


def _probability():
    return case((OpportunityStage.is_won | OpportunityStage.is_lost,
                 OpportunityStage.probability),
                else_=func.coalesce(Opportunity.probability, OpportunityStage.probability))


def forecast(request: Request, by: str) -> list[ForecastRow]:
    """Rows by ``'month'`` (of the expected close date) or by ``'owner'``."""
    if by == "month":
        key = func.to_char(Opportunity.expected_close_date, "YYYY-MM")
    elif by == "owner":
        key = Opportunity.owner_id
    else:
        raise ValueError(by)
    weighted = func.sum(Opportunity.amount * _probability() / 100)
    query = (select(key.label("key"), Opportunity.currency, func.count(),
                    func.sum(Opportunity.amount), weighted)
             .select_from(Opportunity)
             .join(OpportunityStage, OpportunityStage.id == Opportunity.stage_id)
             .where(OpportunityStage.is_lost.is_(False))
             .group_by(key, Opportunity.currency)
             .order_by(key.asc().nulls_last(), Opportunity.currency))
    query = scoped_opportunities(request, query)
    cent = Decimal("0.01")
    return [ForecastRow(row[0], row[1], row[2], Decimal(row[3]).quantize(cent),
                        Decimal(row[4]).quantize(cent))
            for row in request.dbsession.execute(query)]


def totals(rows: list[ForecastRow]) -> list[ForecastRow]:
    """One row per currency: the sums of ``rows``."""
    sums: dict[str, list] = {}
    for row in rows:
        entry = sums.setdefault(row.currency, [0, Decimal("0"), Decimal("0")])
        entry[0] += row.count
        entry[1] += row.amount
        entry[2] += row.weighted
    return [ForecastRow(None, currency, *values) for currency, values in sorted(sums.items())]
