"""Record ids from paths and forms: a value no row can have is None (a 404), never an error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyramid.httpexceptions import HTTPNotFound
from pyramid.testing import DummyRequest

from jimucrm.core.urls import MAX_ID, matched_id, parse_id


@pytest.mark.parametrize("value, expected", [
    ("1", 1), ("42", 42), ("007", 7), (str(MAX_ID), MAX_ID), (17, 17),
    ("0", None), ("-1", None), ("+1", None), (" 1", None), ("1 ", None), ("1.0", None),
    ("1e3", None), ("0x10", None), ("", None), (None, None), ("abc", None),
    ("４２", None), ("٤٢", None), (str(MAX_ID + 1), None), ("9" * 30, None), ("9" * 5000, None),
])
def test_parse_id(value, expected):
    assert parse_id(value) == expected


@given(st.text(max_size=40))
def test_parse_id_gives_an_id_postgresql_can_take_or_none(value):
    number = parse_id(value)
    assert number is None or (1 <= number <= 2**31 - 1 and str(number) == value.lstrip("0"))


def test_matched_id_is_a_404_for_anything_else():
    assert matched_id(DummyRequest(matchdict={"id": "12"})) == 12
    assert matched_id(DummyRequest(matchdict={"team": "3"}), "team") == 3
    for value in ("0", "x", "99999999999999999999"):
        with pytest.raises(HTTPNotFound):
            matched_id(DummyRequest(matchdict={"id": value}))
    with pytest.raises(HTTPNotFound):
        matched_id(DummyRequest(matchdict={}))
