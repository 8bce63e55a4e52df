"""TOTP codes and recovery codes, without a database: windows, replay, formats."""

from __future__ import annotations

import re

import pyotp
import pytest

from jimucrm.security.mfa import service
from jimucrm.security.mfa.models import UserTotp

SECRET = pyotp.random_base32(32)
T = 1_700_000_000.0  # a fixed moment: step 56,666,666


def _row() -> UserTotp:
    return UserTotp(user_id=1, secret=SECRET, last_step=None)


@pytest.mark.parametrize(("typed", "expected"), [
    ("123456", "123456"), (" 123 456 ", "123456"), ("123-456", "123456"),
    ("12345", None), ("1234567", None), ("12345a", None), ("１２３４５６", None), ("", None),
])
def test_totp_codes_are_six_ascii_digits(typed, expected):
    assert service.normalise_totp_code(typed) == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("abcd-efgh-jkmn", "abcdefghjkmn"), ("ABCD EFGH JKMN", "abcdefghjkmn"),
    ("abcdefghjkmn", "abcdefghjkmn"), ("abcd-efgh-jkm", None), ("abcd-efgh-jkm0", None),
    ("abcd-efgh-jkml", None), ("", None),
])
def test_recovery_codes_are_normalised(typed, expected):
    assert service.normalise_recovery_code(typed) == expected


def test_new_recovery_codes_look_alike_and_differ():
    codes = {service.new_recovery_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", code) for code in codes)
    assert all(service.normalise_recovery_code(code) is not None for code in codes)


def test_one_step_either_side_is_accepted_and_no_more():
    totp = pyotp.TOTP(SECRET)
    for offset in (-30, 0, 30):
        assert service.check_code(_row(), totp.at(T + offset), at=T), offset
    for offset in (-90, -60, 60, 90):
        assert not service.check_code(_row(), totp.at(T + offset), at=T), offset


def test_a_code_is_accepted_once_and_older_ones_never_after_it():
    totp, row = pyotp.TOTP(SECRET), _row()
    assert service.check_code(row, totp.at(T), at=T)
    assert row.last_step == int(T // 30)
    assert not service.check_code(row, totp.at(T), at=T)  # replayed
    assert not service.check_code(row, totp.at(T - 30), at=T)  # older than the last used
    assert service.check_code(row, totp.at(T + 30), at=T)  # the next step is still fine
    assert not service.check_code(row, totp.at(T + 30), at=T + 30)


def test_confirming_needs_a_right_code_and_happens_once():
    totp, row = pyotp.TOTP(SECRET), _row()
    assert not service.confirm(row, "000000" if totp.at(T) != "000000" else "111111")
    assert row.confirmed_at is None
    assert service.check_code(row, totp.at(T), at=T)
    row.last_step = None
    assert service.confirm(row, totp.now()) and row.confirmed_at is not None
    assert not service.confirm(row, totp.at(service.clock() + 30))


def test_the_qr_code_is_paths_only_and_the_uri_names_the_account():
    uri = service.provisioning_uri(SECRET, "王芳", "甲公司 <script>")
    assert uri.startswith("otpauth://totp/") and f"secret={SECRET}" in uri
    svg = service.qr_svg(uri)
    assert svg.startswith("<svg") and "<path" in svg
    assert "script" not in svg and "王芳" not in svg and "style" not in svg


def test_secrets_are_grouped_for_typing():
    assert service.format_secret("ABCDEFGHIJ") == "ABCD EFGH IJ"
