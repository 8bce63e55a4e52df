"""Test addon overriding the sales tax policy: orders in a foreign currency are exports,
zero-rated; the rest keeps China's VAT. Made discoverable by the tests themselves."""

from __future__ import annotations

from decimal import Decimal

from zope.interface import implementer

from jimucrm.addons.sales.interfaces import ITaxPolicy
from jimucrm.addons.sales.services import VatPolicy


@implementer(ITaxPolicy)
class ExportTaxPolicy(VatPolicy):
    def rate(self, product, order) -> Decimal:
        if order is not None and order.currency != "CNY":
            return Decimal(0)
        if getattr(product, "tax_class", None) == "zero":
            return Decimal(0)
        return Decimal(3)  # a small-scale taxpayer's levy, to tell it from VAT


def includeme(config) -> None:
    config.register_service(ExportTaxPolicy(), ITaxPolicy)
