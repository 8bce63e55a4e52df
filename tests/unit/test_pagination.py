"""Page numbers from query parameters are clamped, never passed on to OFFSET as typed."""

import pytest

from jimucrm.core.pagination import MAX_PAGE, Page, page_number, paginate


@pytest.mark.parametrize("value", [
    "", "0", "-1", "-99999999999999999999999", "abc", "1.5", "1e309", "NaN", "inf", "٣",
    "1 2", "0x10", "+3", "\x00", "x" * 5000,
])
def test_anything_but_a_whole_number_from_1_is_the_first_page(value):
    assert page_number({"page": value}) == 1


def test_a_missing_parameter_is_the_first_page():
    assert page_number({}) == 1


@pytest.mark.parametrize("value", [
    "99999999999999999999999", str(10**23), "9" * 5000, str(2**63), str(MAX_PAGE + 1),
])
def test_past_the_end_is_the_last_page(value):
    assert page_number({"page": value}) == MAX_PAGE
    assert page_number({"page": value}, last=7) == 7


def test_a_page_in_range_is_kept():
    assert page_number({"page": "3"}) == 3
    assert page_number({"page": " 3 "}, last=3) == 3
    assert page_number({"p": "2"}, "p", last=5) == 2


def test_paginate_clamps_to_the_pages_the_total_makes():
    assert paginate({"page": "2"}, 120, 50) == Page(2, 50, 120)
    last = paginate({"page": str(10**23)}, 120, 50)
    assert (last.number, last.pages, last.offset) == (3, 3, 100)
    empty = paginate({"page": "5"}, 0, 50)
    assert (empty.number, empty.pages, empty.offset) == (1, 1, 0)
    assert paginate({"page": "-4"}, 120, 50).offset == 0
    assert paginate({"page": "2"}, 100, 50).pages == 2
    assert paginate({"page": "3"}, 101, 50).pages == 3
