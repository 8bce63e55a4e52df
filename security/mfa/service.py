"""TOTP (RFC 6238) and recovery codes: enrolment, checking a code, resetting.

Codes are checked within one 30-second step either side of the server's clock
(``valid_window=1`` in pyotp's terms), and never for a step at or before the last
one accepted, so an observed code cannot be replayed. The row is locked while a
code is checked, so two requests racing with the same code cannot both pass.

Recovery codes are ten single-use codes of 12 characters (``abcd-efgh-ijkl``,
about 59 bits each) kept only as digests (SHA-256 / SM3 through the crypto
provider) of the user id and the code.
"""

from __future__ import annotations

import hmac
import io
import re
import secrets
import time
from datetime import UTC, datetime

import pyotp
import qrcode
import qrcode.image.svg
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from jimucrm.core.interfaces import ICryptoProvider

from .models import UserRecoveryCode, UserTotp

STEP_SECONDS = 30
VALID_WINDOW = 1
DIGITS = 6
SECRET_LENGTH = 32  # base32 characters: 160 bits, the RFC 4226 recommendation
RECOVERY_CODE_COUNT = 10
RECOVERY_GROUPS, RECOVERY_GROUP_LENGTH = 3, 4
# Lower-case letters and digits without the ones read alike (0/o, 1/l/i).
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"

_SEPARATORS = re.compile(r"[\s\-]+")


def clock() -> float:
    """The time codes are checked against (tests move it forward)."""
    return time.time()


def normalise_totp_code(code: str) -> str | None:
    """The six digits of ``code`` (spaces allowed), or None if it is not such a code."""
    digits = _SEPARATORS.sub("", code or "")
    return digits if len(digits) == DIGITS and digits.isascii() and digits.isdigit() else None


def normalise_recovery_code(code: str) -> str | None:
    """``code`` without dashes or spaces, lower-cased, or None if it cannot be one."""
    compact = _SEPARATORS.sub("", code or "").lower()
    length = RECOVERY_GROUPS * RECOVERY_GROUP_LENGTH
    if len(compact) != length or any(c not in RECOVERY_ALPHABET for c in compact):
        return None
    return compact


def format_secret(secret: str) -> str:
    """The secret in groups of four, for typing into an authenticator by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


# -- the authenticator ---------------------------------------------------------------------

def totp_of(dbsession: Session, user_id: int, *, lock: bool = False) -> UserTotp | None:
    """The user's TOTP row (confirmed or still being enrolled), if any."""
    query = select(UserTotp).where(UserTotp.user_id == user_id)
    if lock:
        query = query.with_for_update()
    return dbsession.scalars(query).first()


def is_enabled(dbsession: Session, user_id: int) -> bool:
    """True when the user has a confirmed authenticator: logins need a second step."""
    return dbsession.scalar(select(func.count()).select_from(UserTotp).where(
        UserTotp.user_id == user_id, UserTotp.confirmed_at.is_not(None))) > 0


def start_enrolment(dbsession: Session, user_id: int) -> UserTotp:
    """A fresh, unconfirmed secret for the user (replacing an unconfirmed one).

    Raises ``ValueError`` when the second factor is already on.
    """
    existing = totp_of(dbsession, user_id, lock=True)
    if existing is not None:
        if existing.confirmed_at is not None:
            raise ValueError("two-step verification is already on")
        dbsession.delete(existing)
        dbsession.flush()
    row = UserTotp(user_id=user_id, secret=pyotp.random_base32(SECRET_LENGTH))
    dbsession.add(row)
    dbsession.flush()
    return row


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://totp/…`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """``uri`` as a QR code: an ``<svg>`` element of paths only (no text, no script)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10,
                        border=2)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode("utf-8")
    return svg[svg.index("<svg"):]  # without the XML declaration


def check_code(row: UserTotp, code: str, *, at: float | None = None) -> bool:
    """True when ``code`` is the row's code for a step near ``at`` (default: now), and
    that step is later than the last one accepted.

    On success the step is remembered (``row.last_step``): the same code, or an
    older one, is refused from then on. Lock the row (``totp_of(…, lock=True)``)
    before calling this.
    """
    digits = normalise_totp_code(code)
    if digits is None:
        return False
    totp = pyotp.TOTP(row.secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int((clock() if at is None else at) // STEP_SECONDS)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if row.last_step is not None and step <= row.last_step:
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), digits):
            row.last_step = step
            return True
    return False


def confirm(row: UserTotp, code: str) -> bool:
    """Turn the second factor on if ``code`` proves the authenticator has the secret."""
    if row.confirmed_at is not None or not check_code(row, code):
        return False
    row.confirmed_at = datetime.now(UTC)
    return True


# -- recovery codes ------------------------------------------------------------------------

def _digest(crypto: ICryptoProvider, user_id: int, code: str) -> bytes:
    return crypto.hash(f"{user_id}:{code}".encode())


def new_recovery_code() -> str:
    """A random code like ``abcd-efgh-ijkl``."""
    return "-".join("".join(secrets.choice(RECOVERY_ALPHABET)
                            for _ in range(RECOVERY_GROUP_LENGTH))
                    for _ in range(RECOVERY_GROUPS))


def replace_recovery_codes(dbsession: Session, crypto: ICryptoProvider,
                           user_id: int) -> list[str]:
    """Ten new codes for the user (the old ones stop working); shown once, stored hashed."""
    dbsession.execute(delete(UserRecoveryCode).where(UserRecoveryCode.user_id == user_id))
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    dbsession.add_all(UserRecoveryCode(user_id=user_id,
                                       code_hash=_digest(crypto, user_id,
                                                         normalise_recovery_code(code)))
                      for code in codes)
    dbsession.flush()
    return codes


def use_recovery_code(dbsession: Session, crypto: ICryptoProvider, user_id: int,
                      code: str) -> bool:
    """True, and the code is spent, when ``code`` is one of the user's unused codes."""
    compact = normalise_recovery_code(code)
    if compact is None:
        return False
    digest = _digest(crypto, user_id, compact)
    rows = dbsession.scalars(select(UserRecoveryCode).where(
        UserRecoveryCode.user_id == user_id, UserRecoveryCode.used_at.is_(None)
    ).with_for_update()).all()
    found = None
    for row in rows:  # every row compared, in constant time each
        if hmac.compare_digest(bytes(row.code_hash), digest):
            found = row
    if found is None:
        return False
    found.used_at = datetime.now(UTC)
    dbsession.flush()
    return True


def unused_recovery_codes(dbsession: Session, user_id: int) -> int:
    return dbsession.scalar(select(func.count()).select_from(UserRecoveryCode).where(
        UserRecoveryCode.user_id == user_id, UserRecoveryCode.used_at.is_(None)))


# -- turning it off ------------------------------------------------------------------------

def reset_mfa(dbsession: Session, user_id: int) -> bool:
    """Turn the user's second factor off: secret and recovery codes deleted.

    For the user's own "turn off" page and for an administrator helping a user who
    lost the authenticator. Returns whether it was on. The caller records the audit
    event (``MFA_DISABLED`` by the user, ``MFA_RESET`` by an administrator, from
    :mod:`jimucrm.security.audit.log`).
    """
    was_on = is_enabled(dbsession, user_id)
    dbsession.execute(delete(UserRecoveryCode).where(UserRecoveryCode.user_id == user_id))
    dbsession.execute(delete(UserTotp).where(UserTotp.user_id == user_id))
    return was_on
