"""Line amounts, discounts and China VAT in Decimal, rounded half up to cents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jimucrm.addons.sales.forms import parse_decimal
from jimucrm.addons.sales.models import Order, OrderLine, Product
from jimucrm.addons.sales.pricing import line_amounts, recompute
from jimucrm.addons.sales.services import VatPolicy

VAT = VatPolicy()
D = Decimal


@pytest.mark.parametrize(("quantity", "price", "discount", "rate", "inclusive", "expected"), [
    # 3 × 9.99 = 29.97; 13 % of it is 3.8961 → 3.90
    ("3", "9.99", "0", "13", False, ("29.97", "3.90", "33.87")),
    # half up, not to even: 0.50 × 13 % = 0.065 → 0.07 (banker's rounding would give 0.06)
    ("1", "0.50", "0", "13", False, ("0.50", "0.07", "0.57")),
    # the discount first, rounded: 7 × 6999 × 0.85 = 41644.05
    ("7", "6999.00", "15", "13", False, ("41644.05", "5413.73", "47057.78")),
    # 2.5 × 19.99 × 0.9 = 44.9775 → 44.98 before tax
    ("2.5", "19.99", "10", "9", False, ("44.98", "4.05", "49.03")),
    ("4", "600.00", "0", "6", False, ("2400.00", "144.00", "2544.00")),
    ("4", "139.00", "0", "0", False, ("556.00", "0.00", "556.00")),
    # tax-inclusive: 113.00 holds 100.00 + 13.00
    ("1", "113.00", "0", "13", True, ("100.00", "13.00", "113.00")),
    # 99.99 inclusive at 13 %: 88.4867… → 88.49 untaxed, the rest is tax
    ("1", "99.99", "0", "13", True, ("88.49", "11.50", "99.99")),
    ("1", "100.00", "100", "13", False, ("0.00", "0.00", "0.00")),
])
def test_line_amounts(quantity, price, discount, rate, inclusive, expected):
    amounts = line_amounts(VAT, D(quantity), D(price), D(discount), D(rate), inclusive)
    assert (str(amounts.untaxed), str(amounts.tax), str(amounts.total)) == expected


def test_vat_rates_by_tax_class():
    rates = {key: VAT.rate(Product(tax_class=key), None) for key, _label in VAT.classes()}
    assert rates == {"standard": D(13), "reduced": D(9), "services": D(6), "zero": D(0)}
    assert VAT.classes()[0][0] == "standard"
    assert VAT.rate(Product(tax_class="unknown"), None) == D(13)


def test_order_totals_are_the_sums_of_the_lines():
    order = Order(prices_include_tax=False, lines=[
        OrderLine(quantity=D("3"), unit_price=D("9.99"), discount_pct=D("0"), tax_rate=D("13")),
        OrderLine(quantity=D("1"), unit_price=D("0.50"), discount_pct=D("0"), tax_rate=D("13")),
        OrderLine(quantity=D("2"), unit_price=D("680.00"), discount_pct=D("5"), tax_rate=D("9")),
    ])
    totals = recompute(order, VAT)
    # Per line: 29.97 + 3.90, 0.50 + 0.07, 1292.00 + 116.28
    assert [line.tax_amount for line in order.lines] == [D("3.90"), D("0.07"), D("116.28")]
    assert (order.untaxed_amount, order.tax_amount, order.total_amount) == \
        (D("1322.47"), D("120.25"), D("1442.72"))
    assert totals.total == order.total_amount


money = st.decimals(min_value=0, max_value=D("9999999.99"), places=2, allow_nan=False,
                    allow_infinity=False)
quantities = st.decimals(min_value=D("0.001"), max_value=D("99999.999"), places=3,
                         allow_nan=False, allow_infinity=False)
discounts = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False,
                        allow_infinity=False)
rates = st.sampled_from([D(0), D(3), D(6), D(9), D(13)])
CENT = D("0.01")


@given(quantities, money, discounts, rates)
def test_tax_exclusive_lines_add_up(quantity, price, discount, rate):
    amounts = line_amounts(VAT, quantity, price, discount, rate, False)
    exact = quantity * price * (100 - discount) / 100
    assert amounts.untaxed == exact.quantize(CENT, rounding=ROUND_HALF_UP)
    assert amounts.tax == (amounts.untaxed * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    assert amounts.total == amounts.untaxed + amounts.tax
    for value in (amounts.untaxed, amounts.tax, amounts.total):
        assert value == value.quantize(CENT) and value >= 0


@given(quantities, money, discounts, rates)
def test_tax_inclusive_lines_keep_their_total(quantity, price, discount, rate):
    amounts = line_amounts(VAT, quantity, price, discount, rate, True)
    gross = (quantity * price * (100 - discount) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    assert amounts.total == gross
    assert amounts.untaxed + amounts.tax == gross
    assert amounts.tax >= 0
    # The tax is the rate of the untaxed amount, to within the cent rounding took.
    assert abs(amounts.untaxed * rate / 100 - amounts.tax) <= CENT


@given(st.lists(st.tuples(quantities, money, discounts, rates), min_size=1, max_size=8),
       st.booleans())
def test_totals_never_drift_from_the_lines(lines, inclusive):
    order = Order(prices_include_tax=inclusive, lines=[
        OrderLine(quantity=q, unit_price=p, discount_pct=d, tax_rate=r) for q, p, d, r in lines])
    recompute(order, VAT)
    assert order.untaxed_amount == sum(line.untaxed_amount for line in order.lines)
    assert order.tax_amount == sum(line.tax_amount for line in order.lines)
    assert order.total_amount == order.untaxed_amount + order.tax_amount


@pytest.mark.parametrize(("text", "expected"), [
    ("12", D("12")), ("1,234.50", D("1234.50")), (" 0.5 ", D("0.5")),
    ("12.345", None), ("-1", None), ("1e3", None), ("NaN", None), ("", None), ("１２", None),
    ("99999999999999999", None),
])
def test_parse_decimal(text, expected):
    assert parse_decimal(text, places=2, maximum=D("1e12")) == expected
