"""Daily seals: each UTC day of a tenant's log hashed, chained and signed.

A day's digest covers, in id order, every row of that day (each row hashed
from a canonical form of all its columns) and the previous day's digest; it is
signed with the deployment's audit key through the crypto provider (Ed25519 in
standard mode, SM2 with SM3 in national mode). Every calendar day from the
first entry on is sealed, empty ones too, so a missing seal shows.

Verification recomputes everything from the rows and names the first day and
row that differ: a row changed, deleted, or added after its day was sealed.
It cannot see rows removed after the last seal together with their seals
(keep seal output or the last digest somewhere else if that matters).

The signing key is one PEM file per deployment (``jimu.audit_key_file``; by
default ``audit-signing-key.<provider>.pem`` in the data directory): the
private key wrapped by the deployment's master key (:class:`IKeyStore`, as
tenant data keys are), then the public key in the clear. It is created with
mode 0600 and refused if anyone but its owner can read it. Auditors need only
the public key (``jimu audit public-key``), which needs no master key.

A key file written before wrapping (a plain ``PRIVATE KEY`` block), or wrapped
by a master key that is no longer the active one, is still read and is
rewritten wrapped by the active master key the next time the private key is
loaded (``jimu audit seal``, the daily task). Without any master key configured
the private key stays a plain PEM block, as before.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from pyramid.i18n import TranslationString
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from jimucrm.core.i18n import _
from jimucrm.core.interfaces import ICryptoProvider, IDatabase
from jimucrm.core.models import TENANT_SCHEMA

from ..crypto import CryptoError
from ..keys.errors import KeysUnavailable
from ..keys.interfaces import IKeyStore
from .models import AuditEntry, AuditSeal

log = logging.getLogger(__name__)

ROW_DOMAIN = b"jimu-audit-row-v1\x00"
DAY_DOMAIN = b"jimu-audit-day-v1\x00"
ID_BYTES = 8
# A day is sealed once it has been over this long (transactions still running
# at midnight get time to commit).
GRACE = timedelta(minutes=15)
# pg_advisory_xact_lock(classid, objid): "JIMU", then the schema.
LOCK_CLASS = 0x4A494D55
PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----\s*", re.DOTALL)
PRIVATE = b"PRIVATE KEY"
PUBLIC = b"PUBLIC KEY"
WRAPPED = b"JIMU WRAPPED PRIVATE KEY"
# The wrapped private key is bound to its public key: neither can be swapped alone.
WRAP_CONTEXT = b"jimu audit signing key v1\x00"

LOG = AuditEntry.__table__
COLUMNS = [column.name for column in LOG.columns]


class AuditKeyError(Exception):
    """The audit signing key is missing, unreadable, unprotected or of another provider."""

    def __init__(self, message: TranslationString) -> None:
        super().__init__(message)
        self.message = message


class SealError(Exception):
    """A day cannot be sealed (not over yet, already sealed)."""

    def __init__(self, message: TranslationString) -> None:
        super().__init__(message)
        self.message = message


# -- the key ------------------------------------------------------------------------------

@dataclass(frozen=True)
class SigningKey:
    public_pem: bytes
    key_id: str
    private_pem: bytes | None = field(default=None, repr=False)


def key_path(settings: Mapping[str, Any], data_dir: Path | None = None) -> Path:
    """Where the deployment's audit key lives."""
    configured = (settings.get("jimu.audit_key_file") or "").strip()
    if configured:
        return Path(configured).expanduser()
    if data_dir is None:
        from jimucrm.core.embedded import default_data_dir

        data_dir = default_data_dir()
    return data_dir / f"audit-signing-key.{settings.get('jimu.crypto', 'standard')}.pem"


def key_id(provider: ICryptoProvider, public_pem: bytes) -> str:
    """A short fingerprint of a public key, stored in each seal."""
    return provider.hash(public_pem.strip()).hex()[:32]


def _blocks(data: bytes) -> dict[bytes, bytes]:
    return {match.group(1): match.group(0).strip() + b"\n" for match in PEM_BLOCK.finditer(data)}


def _wrap_context(public_pem: bytes) -> bytes:
    return WRAP_CONTEXT + public_pem.strip()


def _wrapped_block(keystore, private_pem: bytes, public_pem: bytes) -> bytes:
    """The private key wrapped by ``keystore``'s active master key, as a PEM block whose
    ``Master-Key`` header names that key."""
    master_key_id, wrapped = keystore.wrap(private_pem.strip(), _wrap_context(public_pem))
    body = base64.encodebytes(wrapped).strip()
    return (b"-----BEGIN " + WRAPPED + b"-----\nMaster-Key: " + master_key_id.encode("ascii")
            + b"\n\n" + body + b"\n-----END " + WRAPPED + b"-----\n")


def _unwrap(keystore, block: bytes, public_pem: bytes, path: Path) -> tuple[bytes, str]:
    """The private key in a wrapped block, and the id of the master key that wrapped it."""
    lines = block.strip().splitlines()[1:-1]
    header = lines[0].decode("ascii", "replace") if lines else ""
    name, _sep, master_key_id = header.partition(":")
    master_key_id = master_key_id.strip()
    try:
        if name.strip() != "Master-Key" or not master_key_id:
            raise ValueError("no Master-Key header")
        wrapped = base64.b64decode(b"".join(lines[1:]), validate=True)
    except (ValueError, binascii.Error):
        raise AuditKeyError(_("The audit key ${path} is damaged.",
                              mapping={"path": str(path)})) from None
    if keystore is None:
        raise AuditKeyError(_(
            "The audit key ${path} is wrapped by master key ${key_id}, and no master key is "
            "configured (jimu.master_key_file or JIMU_MASTER_KEY).",
            mapping={"path": str(path), "key_id": master_key_id}))
    try:
        private_pem = keystore.unwrap(master_key_id, wrapped, _wrap_context(public_pem))
    except KeysUnavailable:
        raise AuditKeyError(_(
            "The audit key ${path} could not be unwrapped with master key ${key_id}: that "
            "master key is not configured here, or the file was altered.",
            mapping={"path": str(path), "key_id": master_key_id})) from None
    return private_pem.strip() + b"\n", master_key_id


def _write_private(path: Path, content: bytes, *, replace: bool) -> None:
    """Write a file only its owner can read: a new one, or atomically over ``path``."""
    target = path.with_name(f".{path.name}.{os.getpid()}.tmp") if replace else path
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(target, path)
    except BaseException:
        if replace:
            target.unlink(missing_ok=True)
        raise


def _key_file(keystore, private_pem: bytes, public_pem: bytes) -> bytes:
    private = (_wrapped_block(keystore, private_pem, public_pem) if keystore is not None
               else private_pem.strip() + b"\n")
    return private + public_pem.strip() + b"\n"


def _check_pair(provider: ICryptoProvider, private_pem: bytes, public_pem: bytes,
                path: Path) -> None:
    probe = b"jimu audit key check"
    try:
        ok = provider.verify(public_pem, probe, provider.sign(private_pem, probe))
    except CryptoError:
        ok = False
    if not ok:
        raise AuditKeyError(_(
            "The audit key ${path} does not work with the ${provider} crypto provider: it "
            "was made for another one, or it is damaged.",
            mapping={"path": str(path), "provider": provider.name}))


def load_key(path: Path, provider: ICryptoProvider, *, create: bool = False,
             private: bool = True, keystore=None) -> SigningKey:
    """The key pair in ``path`` (made there first when ``create``); public only unless
    ``private``.

    ``keystore`` (the deployment's :class:`IKeyStore`, None when no master key is
    configured) wraps the private key of a new file and unwraps it on reading; a
    plain private key, or one wrapped by a master key that is not the active one,
    is rewritten wrapped by the active one when ``private`` is asked for.
    """
    if not path.exists():
        if not create:
            raise AuditKeyError(_("There is no audit key at ${path}.",
                                  mapping={"path": str(path)}))
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        private_pem, public_pem = provider.generate_signing_key()
        _write_private(path, _key_file(keystore, private_pem, public_pem), replace=False)
    blocks = _blocks(path.read_bytes())
    public_pem = blocks.get(PUBLIC)
    private_pem, wrapped = blocks.get(PRIVATE), blocks.get(WRAPPED)
    if public_pem is None or (private and private_pem is None and wrapped is None):
        raise AuditKeyError(_("The audit key ${path} holds no key pair.",
                              mapping={"path": str(path)}))
    if (private_pem is not None or wrapped is not None) and path.stat().st_mode & 0o077:
        raise AuditKeyError(_(
            "The audit key ${path} can be read by other users; make it private "
            "(chmod 600) and check who read it.", mapping={"path": str(path)}))
    wrapped_by = None
    if wrapped is not None and private:
        private_pem, wrapped_by = _unwrap(keystore, wrapped, public_pem, path)
    if private_pem is not None:
        _check_pair(provider, private_pem, public_pem, path)
    if private and keystore is not None and wrapped_by != keystore.active_key_id:
        _write_private(path, _key_file(keystore, private_pem, public_pem), replace=True)
        log.info("audit key %s is now wrapped by master key %s", path, keystore.active_key_id)
    return SigningKey(public_pem, key_id(provider, public_pem),
                      private_pem if private else None)


# -- digests ------------------------------------------------------------------------------

def canonical_row(row: Mapping[str, Any]) -> bytes:
    """Every column of a row, in a fixed order and form (JSON, UTC times, sorted keys)."""
    values = []
    for name in COLUMNS:
        value = row[name]
        if isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat(timespec="microseconds")
        values.append(value)
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode()


def row_hash(provider: ICryptoProvider, row: Mapping[str, Any]) -> bytes:
    return provider.hash(ROW_DOMAIN + canonical_row(row))


def day_digest(provider: ICryptoProvider, day: date, previous: bytes, row_count: int,
               rows: bytes) -> bytes:
    """The digest a seal signs: the day, the previous digest, and the (id, hash) list."""
    return provider.hash(DAY_DOMAIN + day.isoformat().encode() + b"\x00"
                         + len(previous).to_bytes(2, "big") + previous
                         + row_count.to_bytes(ID_BYTES, "big") + rows)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


def _rows_of(session: Session, day: date) -> Iterator[Mapping[str, Any]]:
    start, end = _day_bounds(day)
    result = session.execute(
        select(LOG).where(LOG.c.occurred_at >= start, LOG.c.occurred_at < end)
        .order_by(LOG.c.id).execution_options(yield_per=2000))
    yield from result.mappings()


def _hashed_rows(session: Session, provider: ICryptoProvider,
                 day: date) -> Iterator[tuple[int, bytes]]:
    for row in _rows_of(session, day):
        yield row["id"], row_hash(provider, row)


def _pack(pairs: Iterable[tuple[int, bytes]]) -> tuple[bytes, int]:
    parts = [row_id.to_bytes(ID_BYTES, "big") + digest for row_id, digest in pairs]
    return b"".join(parts), len(parts)


def _unpack(blob: bytes, hash_size: int) -> list[tuple[int, bytes]] | None:
    size = ID_BYTES + hash_size
    if len(blob) % size:
        return None
    return [(int.from_bytes(blob[i:i + ID_BYTES], "big"), blob[i + ID_BYTES:i + size])
            for i in range(0, len(blob), size)]


def _first_day(session: Session) -> date | None:
    first = session.scalar(select(func.min(LOG.c.occurred_at)))
    return first.astimezone(UTC).date() if first is not None else None


# -- sealing ------------------------------------------------------------------------------

def last_sealable_day(now: datetime | None = None) -> date:
    """The latest UTC day that is over (with :data:`GRACE` to spare)."""
    now = now or datetime.now(UTC)
    return (now - GRACE).astimezone(UTC).date() - timedelta(days=1)


def _lock(session: Session, schema: str) -> None:
    objid = zlib.crc32(schema.encode()) - (1 << 31)  # into int4
    session.execute(text("SELECT pg_advisory_xact_lock(:classid, :objid)"),
                    {"classid": LOCK_CLASS, "objid": objid})


def seal_schema(session: Session, schema: str, provider: ICryptoProvider, key: SigningKey,
                through: date | None = None, now: datetime | None = None) -> list[date]:
    """Seal every unsealed day of one tenant up to ``through`` (default: the last one over).

    ``session`` is bound to the tenant's schema; the caller commits.
    """
    last = last_sealable_day(now)
    if through is not None and through > last:
        raise SealError(_("${day} is not over yet; days are sealed once they end (UTC).",
                          mapping={"day": through.isoformat()}))
    through = through or last
    _lock(session, schema)
    previous = session.scalars(select(AuditSeal).order_by(AuditSeal.day.desc()).limit(1)).first()
    if previous is not None:
        start, previous_digest = previous.day + timedelta(days=1), previous.digest
    else:
        start, previous_digest = _first_day(session), b""
    sealed = []
    day = start
    while day is not None and day <= through:
        blob, count = _pack(_hashed_rows(session, provider, day))
        digest = day_digest(provider, day, previous_digest, count, blob)
        session.add(AuditSeal(
            day=day, row_count=count, rows=blob, previous_digest=previous_digest,
            digest=digest, signature=provider.sign(key.private_pem, digest),
            provider=provider.name, key_id=key.key_id))
        session.flush()
        sealed.append(day)
        previous_digest = digest
        day += timedelta(days=1)
    return sealed


# -- verifying ----------------------------------------------------------------------------

@dataclass
class Problem:
    """The first thing found wrong: which day, which row (if one), and what."""

    day: date | None
    row_id: int | None
    message: TranslationString


@dataclass
class Report:
    schema: str
    days: int = 0
    rows: int = 0
    unsealed_rows: int = 0
    problem: Problem | None = None


def _compare(day: date, sealed: list[tuple[int, bytes]],
             actual: Iterator[tuple[int, bytes]]) -> Problem | None:
    """The first (by id) row whose hash, presence or absence differs from the seal."""
    mapping = {"day": day.isoformat()}
    expected = iter(sealed)
    want = next(expected, None)
    have = next(actual, None)
    while want is not None or have is not None:
        if have is None or (want is not None and want[0] < have[0]):
            return Problem(day, want[0], _("Row ${row} of ${day} was deleted.",
                                           mapping={**mapping, "row": want[0]}))
        if want is None or have[0] < want[0]:
            return Problem(day, have[0], _("Row ${row} of ${day} was added after the day "
                                           "was sealed.", mapping={**mapping, "row": have[0]}))
        if want[1] != have[1]:
            return Problem(day, have[0], _("Row ${row} of ${day} was altered.",
                                           mapping={**mapping, "row": have[0]}))
        want, have = next(expected, None), next(actual, None)
    return None


def _check_seal(seal: AuditSeal, previous: AuditSeal | None, expected_day: date | None,
                provider: ICryptoProvider, key: SigningKey) -> Problem | None:
    day = seal.day
    mapping = {"day": day.isoformat()}
    if expected_day is not None and day != expected_day:
        return Problem(expected_day, None, _("The seal of ${day} is missing.",
                                             mapping={"day": expected_day.isoformat()}))
    if seal.provider != provider.name:
        return Problem(day, None, _(
            "${day} was sealed with the ${provider} crypto provider; verify with "
            "jimu.crypto = ${provider}.", mapping={**mapping, "provider": seal.provider}))
    if seal.key_id != key.key_id:
        return Problem(day, None, _("${day} was sealed with another key (${key_id}).",
                                    mapping={**mapping, "key_id": seal.key_id}))
    if previous is not None and seal.previous_digest != previous.digest:
        return Problem(day, None, _("The seal of ${day} does not follow the seal of the day "
                                    "before: a seal was replaced.", mapping=mapping))
    pairs = _unpack(seal.rows, len(provider.hash(b"")))
    if pairs is None or len(pairs) != seal.row_count or \
            day_digest(provider, day, seal.previous_digest, seal.row_count, seal.rows) \
            != seal.digest:
        return Problem(day, None, _("The seal of ${day} was altered.", mapping=mapping))
    if not provider.verify(key.public_pem, seal.digest, seal.signature):
        return Problem(day, None, _("The signature of ${day} is not valid.", mapping=mapping))
    return None


def verify_schema(session: Session, schema: str, provider: ICryptoProvider, key: SigningKey,
                  since: date | None = None) -> Report:
    """Check one tenant's seals and rows from ``since`` (default: the first day)."""
    report = Report(schema)
    query = select(AuditSeal).order_by(AuditSeal.day)
    if since is not None:
        query = query.where(AuditSeal.day >= since - timedelta(days=1))
    seals = list(session.scalars(query))
    previous = None
    if since is not None and seals and seals[0].day < since:
        previous = seals.pop(0)
    if since is None and seals:
        start, _end = _day_bounds(seals[0].day)
        early = session.scalar(select(func.min(LOG.c.id)).where(LOG.c.occurred_at < start))
        if early is not None:
            report.problem = Problem(seals[0].day, early, _(
                "Row ${row} is dated before the first sealed day, ${day}: it was added "
                "later.", mapping={"row": early, "day": seals[0].day.isoformat()}))
            return report
        if seals[0].previous_digest:
            report.problem = Problem(seals[0].day, None, _(
                "The seals before ${day} are missing.",
                mapping={"day": seals[0].day.isoformat()}))
            return report
    expected_day = previous.day + timedelta(days=1) if previous is not None else None
    for seal in seals:
        problem = _check_seal(seal, previous, expected_day, provider, key)
        if problem is None:
            problem = _compare(seal.day, _unpack(seal.rows, len(provider.hash(b""))) or [],
                               _hashed_rows(session, provider, seal.day))
        if problem is not None:
            report.problem = problem
            return report
        report.days += 1
        report.rows += seal.row_count
        previous, expected_day = seal, seal.day + timedelta(days=1)
    unsealed = select(func.count()).select_from(LOG)
    if previous is not None:
        unsealed = unsealed.where(LOG.c.occurred_at >= _day_bounds(expected_day)[0])
    report.unsealed_rows = session.scalar(unsealed)
    return report


# -- every tenant -------------------------------------------------------------------------

def audited_schemas(registry) -> list[str]:
    """The schemas that hold an audit log: every tenant's, archived ones included."""
    database = registry.getUtility(IDatabase)
    with database.engine.connect() as connection:
        return list(connection.execute(text(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'audit_seals' AND table_schema <> :placeholder "
            "ORDER BY table_schema"), {"placeholder": TENANT_SCHEMA}).scalars())


def seal_all(registry, key_file: Path, schemas: Iterable[str] | None = None,
             through: date | None = None) -> dict[str, list[date]]:
    """Seal each schema in its own transaction; return the days sealed per schema."""
    provider = registry.getUtility(ICryptoProvider)
    key = load_key(key_file, provider, create=True, keystore=registry.queryUtility(IKeyStore))
    database = registry.getUtility(IDatabase)
    done = {}
    for schema in (audited_schemas(registry) if schemas is None else schemas):
        with database.session(schema) as session, session.begin():
            done[schema] = seal_schema(session, schema, provider, key, through)
    return done
