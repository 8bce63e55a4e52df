"""Two-step verification end to end: enrolment, login with a code, recovery codes, lockout.

Codes are computed with pyotp from the secret read off the enrolment page, as an
authenticator app would. The clock the server checks codes against is moved forward
where a test needs a fresh 30-second step instead of waiting for one.
"""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select, text
from tenant_records import user_id as _user_id

from jimucrm.core.interfaces import IDatabase
from jimucrm.security.audit.log import (
    LOGIN,
    LOGIN_FAILED,
    MFA_CODE_USED,
    MFA_CODES_REPLACED,
    MFA_DISABLED,
    MFA_ENABLED,
)
from jimucrm.security.audit.models import AuditEntry
from jimucrm.security.mfa import reset_mfa, service
from jimucrm.security.mfa.models import UserRecoveryCode, UserTotp

PASSWORD = "correct-horse-电池-staple"  # tests/conftest.py's
RECOVERY_CODE = re.compile(r"^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$")


class Clock:
    """The server's clock for codes, moved on by whole 30-second steps."""

    def __init__(self, monkeypatch) -> None:
        self.offset = 0.0
        monkeypatch.setattr(service, "clock", lambda: time.time() + self.offset)

    def now(self) -> float:
        return time.time() + self.offset

    def next_step(self) -> None:
        self.offset += service.STEP_SECONDS


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def _enrol(app, tenant, clock: Clock) -> tuple[pyotp.TOTP, list[str]]:
    """Turn two-step verification on through the pages; return the authenticator and codes."""
    overview = app.get(f"{tenant.prefix}/account/security")
    enrol = overview.forms["totp-setup-form"].submit().follow()
    secret = enrol.html.find(id="totp-secret").get_text().replace(" ", "")
    svg = enrol.html.select_one(".qr svg")
    assert svg is not None and svg.find("path") is not None
    assert not enrol.html.select(".qr script, .qr text")
    totp = pyotp.TOTP(secret)
    form = enrol.forms["totp-confirm-form"]
    form["code"] = totp.at(clock.now())
    shown = form.submit()
    codes = [code.get_text() for code in shown.html.select("#recovery-codes code")]
    return totp, codes


def _password_step(app, tenant, username: str, password: str = PASSWORD):
    form = app.get(f"{tenant.prefix}/login").forms["login-form"]
    form["login"], form["password"] = username, password
    return form.submit(expect_errors=True)


def _code_step(app, tenant, code: str):
    page = app.get(f"{tenant.prefix}/login/totp")
    form = page.forms["totp-form"]
    form["code"] = code
    return form.submit(expect_errors=True)


def _audit(registry, tenant, *actions: str) -> list[AuditEntry]:
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action.in_(actions))
                                    .order_by(AuditEntry.id)))


def test_enrolment_shows_a_qr_code_then_ten_recovery_codes_once(
        app, tenant, make_user, login, registry, clock):
    login(app, tenant, make_user(tenant, "zhoujie")).follow()
    overview = app.get(f"{tenant.prefix}/account/security")
    assert "totp-setup-form" in overview.forms
    # The secret is not on before it is confirmed; a wrong code changes nothing.
    enrol = overview.forms["totp-setup-form"].submit().follow()
    secret = enrol.html.find(id="totp-secret").get_text().replace(" ", "")
    assert len(secret) == 32
    assert "totp-setup-form" in app.get(f"{tenant.prefix}/account/security").forms  # still off
    form = enrol.forms["totp-confirm-form"]
    form["code"] = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    wrong = form.submit(status=400)
    assert wrong.html.select(".field.has-error #code")
    form = wrong.forms["totp-confirm-form"]
    form["code"] = pyotp.TOTP(secret).at(clock.now())
    shown = form.submit(status=200)
    codes = [code.get_text() for code in shown.html.select("#recovery-codes code")]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(RECOVERY_CODE.match(code) for code in codes)
    # Only the response to that POST shows them: not the overview, not the database.
    overview = app.get(f"{tenant.prefix}/account/security")
    assert not any(code in overview.text for code in codes)
    assert "totp-setup-form" not in overview.forms
    assert overview.html.find(id="two-step").find("strong").get_text() == "10"
    user_id = _user_id(registry, tenant, "zhoujie")
    with registry.getUtility(IDatabase).engine.connect() as connection:
        raw = connection.execute(text(
            f'SELECT secret, confirmed_at FROM "{tenant.schema_name}".user_totp')).one()
        hashes = connection.execute(text(
            f'SELECT code_hash FROM "{tenant.schema_name}".user_recovery_codes')).scalars().all()
    assert raw.confirmed_at is not None and secret.encode() not in bytes(raw.secret)
    assert len(hashes) == 10 and not any(code.encode() in bytes(h) for code in codes
                                         for h in hashes)
    # The enrolment page has nothing more to offer once it is on.
    assert app.get(f"{tenant.prefix}/account/security/totp", status=303)
    [entry] = _audit(registry, tenant, MFA_ENABLED)
    assert entry.user_id == user_id


def test_login_needs_the_code_after_the_password(app, tenant, make_user, login, registry,
                                                 clock):
    login(app, tenant, make_user(tenant, "wujing")).follow()
    totp, _codes = _enrol(app, tenant, clock)
    app.reset()
    before = app.get(f"{tenant.prefix}/login") and app.cookies.get("jimu_session")
    step = _password_step(app, tenant, "wujing")
    assert step.status_int == 303 and step.location.endswith(f"{tenant.prefix}/login/totp")
    # Half-way: a new session id, and nobody logged in yet.
    assert app.cookies.get("jimu_session") != before
    assert app.get(f"{tenant.prefix}/contacts/", status=302).location.split("?")[0] \
        .endswith("/login")
    clock.next_step()
    done = _code_step(app, tenant, totp.at(clock.now()))
    assert done.status_int == 303
    assert "wujing 用户" in done.follow().text
    assert [e.user_id for e in _audit(registry, tenant, LOGIN)][-1] == \
        _user_id(registry, tenant, "wujing")


def test_the_second_step_keeps_next_and_expires(app, tenant, make_user, login, clock,
                                                monkeypatch):
    login(app, tenant, make_user(tenant, "yangmi")).follow()
    totp, _codes = _enrol(app, tenant, clock)
    app.reset()
    form = app.get(f"{tenant.prefix}/login", params={"next": f"{tenant.prefix}/contacts/"}) \
        .forms["login-form"]
    form["login"], form["password"] = "yangmi", PASSWORD
    form.submit(status=303)
    clock.next_step()
    done = _code_step(app, tenant, totp.at(clock.now()))
    assert done.location == f"http://localhost{tenant.prefix}/contacts/"
    # A pending login older than five minutes is gone: back to the password.
    app.reset()
    _password_step(app, tenant, "yangmi")
    from jimucrm.security.mfa import pending

    real = time.time
    monkeypatch.setattr(pending.time, "time", lambda: real() + pending.PENDING_SECONDS + 1)
    expired = app.get(f"{tenant.prefix}/login/totp", status=303)
    assert expired.location.endswith(f"{tenant.prefix}/login")


def test_a_used_code_is_refused_and_wrong_codes_are_audited(app, tenant, make_user, login,
                                                            registry, clock):
    login(app, tenant, make_user(tenant, "majun")).follow()
    totp, _codes = _enrol(app, tenant, clock)
    app.reset()
    _password_step(app, tenant, "majun")
    clock.next_step()
    code = totp.at(clock.now())
    assert _code_step(app, tenant, code).status_int == 303
    app.reset()
    _password_step(app, tenant, "majun")
    replay = _code_step(app, tenant, code)
    assert replay.status_int == 400
    assert replay.html.select('[role="alert"]')
    # The code of the step before was never used, but it is older than the last one used.
    assert _code_step(app, tenant, totp.at(clock.now() - 30)).status_int == 400
    failures = _audit(registry, tenant, LOGIN_FAILED)
    assert [e.details["reason"] for e in failures] == ["second_factor", "second_factor"]
    assert {e.user_id for e in failures} == {_user_id(registry, tenant, "majun")}
    clock.next_step()
    assert _code_step(app, tenant, totp.at(clock.now())).status_int == 303


def test_a_code_from_outside_the_window_is_refused(app, tenant, make_user, login, clock):
    login(app, tenant, make_user(tenant, "hejing")).follow()
    totp, _codes = _enrol(app, tenant, clock)
    app.reset()
    _password_step(app, tenant, "hejing")
    clock.next_step()
    assert _code_step(app, tenant, totp.at(clock.now() + 90)).status_int == 400
    assert _code_step(app, tenant, totp.at(clock.now() - 90)).status_int == 400
    assert _code_step(app, tenant, totp.at(clock.now() + 30)).status_int == 303


def test_a_recovery_code_works_once(app, tenant, make_user, login, registry, clock):
    login(app, tenant, make_user(tenant, "linfeng")).follow()
    _totp, codes = _enrol(app, tenant, clock)
    app.reset()
    _password_step(app, tenant, "linfeng")
    done = _code_step(app, tenant, codes[3].upper().replace("-", " "))  # as typed
    assert done.status_int == 303
    home = done.follow()
    assert "9" in home.html.select_one(".flash").get_text()
    assert app.get(f"{tenant.prefix}/account/security").html.find(id="two-step") \
        .find("strong").get_text() == "9"
    app.reset()
    _password_step(app, tenant, "linfeng")
    assert _code_step(app, tenant, codes[3]).status_int == 400
    assert _code_step(app, tenant, codes[4]).status_int == 303
    used = _audit(registry, tenant, MFA_CODE_USED)
    assert [e.details["left"] for e in used] == [9, 8]
    # A recovery code of another user is no good.
    app.reset()
    login(app, tenant, make_user(tenant, "other")).follow()
    _other_totp, other_codes = _enrol(app, tenant, clock)
    app.reset()
    _password_step(app, tenant, "linfeng")
    assert _code_step(app, tenant, other_codes[0]).status_int == 400


def test_wrong_codes_lock_the_account_like_wrong_passwords(app, tenant, make_user, login,
                                                           registry, clock):
    login(app, tenant, make_user(tenant, "sunyue")).follow()
    totp, codes = _enrol(app, tenant, clock)
    app.reset()
    _password_step(app, tenant, "sunyue")
    right = totp.at(clock.now() + 30)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(4):
        assert _code_step(app, tenant, wrong).status_int == 400
    locked = _code_step(app, tenant, wrong)
    assert locked.status_int == 429 and int(locked.headers["Retry-After"]) > 0
    # The half-finished login is gone, and the password step is locked too.
    assert app.get(f"{tenant.prefix}/login/totp", status=303).location.endswith("/login")
    assert _password_step(app, tenant, "sunyue").status_int == 429
    assert _audit(registry, tenant, LOGIN_FAILED)[-1].details["reason"] == "locked"
    # Getting the password right does not wipe the failures: the code must be passed too.


def test_a_right_password_does_not_reset_the_code_failures(app, tenant, make_user, login,
                                                           clock):
    login(app, tenant, make_user(tenant, "tangli")).follow()
    totp, _codes = _enrol(app, tenant, clock)
    app.reset()
    wrong = f"{(int(totp.at(clock.now() + 30)) + 1) % 1_000_000:06d}"
    for _ in range(2):
        _password_step(app, tenant, "tangli")
        assert _code_step(app, tenant, wrong).status_int == 400
        assert _code_step(app, tenant, wrong).status_int == 400
    _password_step(app, tenant, "tangli")
    assert _code_step(app, tenant, wrong).status_int == 429


def test_new_recovery_codes_need_a_code_and_replace_the_old(app, tenant, make_user, login,
                                                            registry, clock):
    login(app, tenant, make_user(tenant, "xuli")).follow()
    totp, old_codes = _enrol(app, tenant, clock)
    page = app.get(f"{tenant.prefix}/account/security/recovery-codes")
    form = page.forms["recovery-codes-form"]
    form["code"] = "12345"
    assert form.submit(status=400)
    form = page.forms["recovery-codes-form"]
    clock.next_step()
    form["code"] = totp.at(clock.now())
    shown = form.submit(status=200)
    new_codes = [code.get_text() for code in shown.html.select("#recovery-codes code")]
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert len(_audit(registry, tenant, MFA_CODES_REPLACED)) == 1
    app.reset()
    _password_step(app, tenant, "xuli")
    assert _code_step(app, tenant, old_codes[0]).status_int == 400
    assert _code_step(app, tenant, new_codes[0]).status_int == 303


def test_turning_it_off_needs_the_password_and_a_code(app, tenant, make_user, login,
                                                      registry, clock):
    login(app, tenant, make_user(tenant, "dengchao")).follow()
    totp, codes = _enrol(app, tenant, clock)
    page = app.get(f"{tenant.prefix}/account/security/totp/disable")
    clock.next_step()
    form = page.forms["totp-disable-form"]
    form["password"], form["code"] = "wrong password", totp.at(clock.now())
    refused = form.submit(status=400)
    assert refused.html.select(".field.has-error #password")
    assert refused.forms["totp-disable-form"]["password"].value == ""
    form = refused.forms["totp-disable-form"]
    form["password"], form["code"] = PASSWORD, "000000"
    assert form.submit(status=400).html.select(".field.has-error #code")
    # A recovery code will do instead of the authenticator.
    form = app.get(f"{tenant.prefix}/account/security/totp/disable").forms["totp-disable-form"]
    form["password"], form["code"] = PASSWORD, codes[0]
    done = form.submit(status=303).follow()
    assert "totp-setup-form" in done.forms
    user_id = _user_id(registry, tenant, "dengchao")
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        assert session.scalars(select(UserTotp).where(UserTotp.user_id == user_id)).all() == []
        assert session.scalars(select(UserRecoveryCode)
                               .where(UserRecoveryCode.user_id == user_id)).all() == []
    assert len(_audit(registry, tenant, MFA_DISABLED)) == 1
    app.reset()
    assert _password_step(app, tenant, "dengchao").location.endswith(f"{tenant.prefix}/")


def test_an_administrator_can_reset_it(app, tenant, make_user, login, registry, clock):
    login(app, tenant, make_user(tenant, "fanbing")).follow()
    _enrol(app, tenant, clock)
    user_id = _user_id(registry, tenant, "fanbing")
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session, \
            session.begin():
        assert reset_mfa(session, user_id) is True
        assert reset_mfa(session, user_id) is False
    app.reset()
    assert _password_step(app, tenant, "fanbing").location.endswith(f"{tenant.prefix}/")


def test_account_pages_need_a_login(app, tenant):
    for path in ("/account/security", "/account/security/totp",
                 "/account/security/recovery-codes", "/account/security/totp/disable"):
        assert "/login?next=" in app.get(f"{tenant.prefix}{path}", status=302).location
    # No pending login: the code step sends back to the password step.
    assert app.get(f"{tenant.prefix}/login/totp", status=303).location.endswith("/login")
