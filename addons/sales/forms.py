"""Validation of the quote/order form and its line editor: errors kept beside each field.

The form posts the header fields and every line as ``line-<n>-<field>``; nothing
is saved until every field is valid, and whatever was typed comes back as typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from pyramid.i18n import TranslationString

from jimucrm.core.i18n import _
from jimucrm.core.urls import parse_id

LINE_FIELDS = ("product", "description", "quantity", "unit_price", "discount")
HEADER_FIELDS = ("customer", "order_date", "currency", "pricelist", "notes")
LINE_KEY = re.compile(r"^line-(\d{1,3})-(product|description|quantity|unit_price|discount)$")
MAX_LINES = 200
MAX_NOTES = 5000
MAX_DESCRIPTION = 200

# Currencies an order may be in; anything but CNY needs an exchange rate.
CURRENCIES = {
    "CNY": _("Chinese yuan (CNY)"),
    "USD": _("US dollar (USD)"),
    "EUR": _("Euro (EUR)"),
    "HKD": _("Hong Kong dollar (HKD)"),
    "JPY": _("Japanese yen (JPY)"),
}

Errors = dict[str, TranslationString]


def parse_decimal(text: str, *, places: int, maximum: Decimal) -> Decimal | None:
    """``text`` as a plain non-negative decimal with at most ``places`` decimals, or None.

    Thousands separators (``1,234.50``) are accepted; exponents, signs, NaN and
    infinity are not.
    """
    cleaned = text.replace(",", "").replace("，", "").strip()
    if not re.fullmatch(rf"[0-9]{{1,15}}(\.[0-9]{{1,{places}}})?", cleaned):
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value <= maximum else None


@dataclass
class LineInput:
    """One row of the line editor as typed, and what it means once valid."""

    index: int
    raw: dict[str, str]
    errors: Errors = field(default_factory=dict)
    product_id: int | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None  # None: the price list's / product's price
    discount: Decimal | None = None  # None: the price list's discount, or none
    # Filled in by the editor once the product and the header are known.
    product: object = None
    price_used: Decimal | None = None
    discount_used: Decimal | None = None
    rate: Decimal | None = None
    amounts: object = None

    @property
    def blank(self) -> bool:
        """An untouched row (no product; the quantity still the suggested 1, or empty)."""
        return not self.raw["product"] and self.raw["quantity"] in ("", "1") and not any(
            self.raw[name] for name in ("description", "unit_price", "discount"))


@dataclass
class OrderForm:
    values: dict[str, str]
    lines: list[LineInput]
    errors: Errors = field(default_factory=dict)
    customer_id: int | None = None
    order_date: date | None = None
    pricelist_id: int | None = None

    @property
    def valid(self) -> bool:
        return not self.errors and not any(line.errors for line in self.lines)


def blank_line(index: int) -> LineInput:
    """An empty row for a new line (quantity 1 suggested)."""
    return LineInput(index, {**dict.fromkeys(LINE_FIELDS, ""), "quantity": "1"})


def _line(index: int, raw: dict[str, str]) -> LineInput:
    line = LineInput(index, raw)
    if line.blank:
        return line
    line.product_id = parse_id(raw["product"])
    if line.product_id is None:
        line.errors["product"] = _("Choose a product.")
    line.quantity = parse_decimal(raw["quantity"], places=3, maximum=Decimal("99999999999"))
    if line.quantity is None or line.quantity <= 0:
        line.errors["quantity"] = _("Enter a quantity above 0, with at most 3 decimals.")
    if raw["unit_price"]:
        line.unit_price = parse_decimal(raw["unit_price"], places=2,
                                        maximum=Decimal("999999999999.99"))
        if line.unit_price is None:
            line.errors["unit_price"] = _("Enter a price of 0 or more, with at most 2 decimals.")
    if raw["discount"]:
        line.discount = parse_decimal(raw["discount"], places=2, maximum=Decimal(100))
        if line.discount is None:
            line.errors["discount"] = _("Enter a discount from 0 to 100 (%).")
    if len(raw["description"]) > MAX_DESCRIPTION:
        line.errors["description"] = _("At most ${limit} characters.",
                                       mapping={"limit": MAX_DESCRIPTION})
    return line


def read_lines(data: Mapping[str, str]) -> list[LineInput]:
    """The rows posted, in their order (at most :data:`MAX_LINES`)."""
    rows: dict[int, dict[str, str]] = {}
    for key in data:
        match = LINE_KEY.match(key)
        if match:
            row = rows.setdefault(int(match.group(1)), dict.fromkeys(LINE_FIELDS, ""))
            row[match.group(2)] = str(data.get(key, "")).strip()
    return [_line(position, rows[index])
            for position, index in enumerate(sorted(rows)[:MAX_LINES])]


def validate(data: Mapping[str, str], *, customers: set[int], pricelists: set[int]) -> OrderForm:
    """Check the header and the lines; ``customers``/``pricelists``: the ids one may pick.

    Cross-field checks that need the database (exchange rate, price list period,
    products) are added by the view through :meth:`OrderForm.errors`.
    """
    values = {name: str(data.get(name, "")).strip() for name in HEADER_FIELDS}
    form = OrderForm(values, read_lines(data))
    form.customer_id = parse_id(values["customer"])
    if form.customer_id is None or form.customer_id not in customers:
        form.errors["customer"] = _("Choose the customer.")
    try:
        form.order_date = date.fromisoformat(values["order_date"])
    except ValueError:
        form.errors["order_date"] = _("Enter a date like 2026-03-31.")
    if form.order_date is not None and not 2000 <= form.order_date.year <= 2999:
        form.errors["order_date"] = _("Enter a date like 2026-03-31.")
    if values["currency"] not in CURRENCIES:
        form.errors["currency"] = _("Choose a currency.")
    if values["pricelist"]:
        form.pricelist_id = parse_id(values["pricelist"])
        if form.pricelist_id is None or form.pricelist_id not in pricelists:
            form.errors["pricelist"] = _("Choose one of the price lists.")
    if len(values["notes"]) > MAX_NOTES:
        form.errors["notes"] = _("At most ${limit} characters.", mapping={"limit": MAX_NOTES})
    return form
