"""Extension points the sales addon provides."""

from __future__ import annotations

from zope.interface import Interface


class ITaxPolicy(Interface):
    """Decides the tax of every quote and order line: its rate and the net/tax split.

    The default, :class:`~jimucrm.addons.sales.services.VatPolicy`, applies
    China's VAT by the product's tax class (13 % standard, 9 %, 6 %, 0 %). An
    addon overrides it for other rules: export orders at zero rate, a
    small-scale taxpayer's 3 % levy, another country's VAT or sales tax.

    Amounts are :class:`decimal.Decimal`; rates are percentages (``Decimal("13")``).
    The line amount given to :meth:`split` is already discounted and rounded to
    cents, and the two amounts returned must add up to the line's total exactly:
    the order's totals are the sums of its lines'.
    """

    def classes() -> list[tuple[str, object]]:
        """The tax classes a product may have: ``(key, label)``, the default first."""

    def rate(product, order) -> object:
        """The rate (a Decimal percentage) for ``product`` on ``order`` (Product, Order rows)."""

    def split(amount, rate, prices_include_tax: bool) -> tuple[object, object]:
        """``(untaxed, tax)`` of a line amount (Decimals rounded half up to cents).

        ``prices_include_tax`` tells whether ``amount`` already contains the tax
        (then untaxed + tax == amount) or not (then untaxed == amount).
        """
