"""Default implementations of the sales addon's extension points."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from zope.interface import implementer

from jimucrm.core.i18n import _

from .interfaces import ITaxPolicy

CENT = Decimal("0.01")

# China's VAT rates (增值税) by the tax class a product carries.
TAX_CLASSES = {
    "standard": (Decimal("13"), _("13% standard rate (goods, processing, repairs)")),
    "reduced": (Decimal("9"), _("9% (farm produce, utilities, transport, construction)")),
    "services": (Decimal("6"), _("6% (modern services, finance, telecom value-added)")),
    "zero": (Decimal("0"), _("0% (exports, exempt)")),
}


def cents(value: Decimal) -> Decimal:
    """``value`` rounded half up to cents, the way Chinese invoices round."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@implementer(ITaxPolicy)
class VatPolicy:
    """China VAT by product tax class; tax-exclusive or tax-inclusive prices."""

    def classes(self) -> list[tuple[str, object]]:
        return [(key, label) for key, (_rate, label) in TAX_CLASSES.items()]

    def rate(self, product, order) -> Decimal:
        entry = TAX_CLASSES.get(getattr(product, "tax_class", None) or "standard")
        return (entry or TAX_CLASSES["standard"])[0]

    def split(self, amount: Decimal, rate: Decimal,
              prices_include_tax: bool) -> tuple[Decimal, Decimal]:
        amount = cents(amount)
        if prices_include_tax:
            untaxed = cents(amount * 100 / (100 + rate))
            return untaxed, amount - untaxed
        return amount, cents(amount * rate / 100)
