"""The default :class:`~.interfaces.IKeyStore`: master keys from a file or the environment.

Where the master keys come from (exactly one of):

* ``jimu.master_key_file`` (setting, or ``JIMU_MASTER_KEY_FILE``): a file readable
  by the Jimu processes only;
* ``JIMU_MASTER_KEY`` (environment only, never the ini file).

Either holds one or more entries, one per line in the file (``#`` starts a
comment), separated by spaces or commas in the variable. An entry is
``ID:KEY`` or just ``KEY``: ``KEY`` is base64 (standard or URL-safe, padding
optional) of at least 32 random bytes (``jimu keys generate-master-key`` prints
one); ``ID`` names it (letters, digits, ``.``, ``_``, ``-``; default ``mk-`` and 12
hex digits of the key's SHA-256, an identifier only). The first entry is the
active key, which wraps new data keys; the others only unwrap, until ``jimu keys
rewrap`` has moved every data key to the active one.

The embedded default (``jimu serve`` without configuration) keeps a generated
master key in ``master_key`` in its data directory.

Wrapping: the key-encryption key is HMAC(master key, a fixed label) with the
provider's digest (SHA-256 / SM3), cut to the cipher's key length; a wrapped key
is ``format ‖ algorithm ‖ AEAD(nonce ‖ ciphertext ‖ tag)`` with the header, the
master key id and the caller's context as associated data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zope.interface import implementer

from jimucrm.core.i18n import _

from ..crypto import CryptoError
from .algorithms import Algorithm, Providers, algorithm_numbered
from .errors import KeysUnavailable, MasterKeyError
from .interfaces import IKeyStore

log = logging.getLogger(__name__)

MASTER_KEY_ENV = "JIMU_MASTER_KEY"
MASTER_KEY_FILE_SETTING = "jimu.master_key_file"
MIN_KEY_BYTES = 32
CHECK_VALUE_BYTES = 8
WRAP_FORMAT = 1
_KEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_WRAP_LABEL = b"jimu-crm master key: wrap data keys v1"
_CHECK_LABEL = b"jimu-crm master key: key check value v1"


@dataclass(frozen=True)
class MasterKey:
    key_id: str
    material: bytes = field(repr=False)


def _decode(encoded: str) -> bytes:
    text = encoded.strip().replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    return base64.b64decode(text, validate=True)


def default_key_id(material: bytes) -> str:
    """``mk-`` and 12 hex digits of the key's SHA-256: names the key, reveals nothing."""
    return "mk-" + hashlib.sha256(material).hexdigest()[:12]


def parse_master_keys(entries: list[str], source: str) -> list[MasterKey]:
    """The master keys in ``entries``; ``MasterKeyError`` naming ``source``, never a key."""
    keys: list[MasterKey] = []
    for number, entry in enumerate(entries, start=1):
        key_id, _sep, encoded = entry.rpartition(":")
        try:
            material = _decode(encoded)
        except (binascii.Error, ValueError):
            raise MasterKeyError(_("Master key ${number} in ${source} is not base64.",
                                   mapping={"number": str(number), "source": source})) from None
        if len(material) < MIN_KEY_BYTES:
            raise MasterKeyError(_(
                "Master key ${number} in ${source} is too short: it needs at least "
                "${bytes} random bytes (jimu keys generate-master-key makes one).",
                mapping={"number": str(number), "source": source,
                         "bytes": str(MIN_KEY_BYTES)}))
        key_id = key_id.strip() or default_key_id(material)
        if not _KEY_ID.fullmatch(key_id):
            raise MasterKeyError(_(
                "Master key ${number} in ${source} has an unusable id: use letters, digits, "
                "dots, dashes and underscores (at most 64).",
                mapping={"number": str(number), "source": source}))
        if any(key.key_id == key_id for key in keys):
            raise MasterKeyError(_("Master key id ${key_id} appears twice in ${source}.",
                                   mapping={"key_id": key_id, "source": source}))
        keys.append(MasterKey(key_id, material))
    if not keys:
        raise MasterKeyError(_("${source} holds no master key.", mapping={"source": source}))
    return keys


def _read_key_file(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="ascii")
        mode = path.stat().st_mode
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise MasterKeyError(_(
            "setting jimu.master_key_file: cannot read ${path} (${reason}).",
            mapping={"path": str(path), "reason": reason})) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("master key file %s is readable by other users; chmod 600 it", path)
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def load_master_keys(settings: Mapping[str, Any],
                     environ: Mapping[str, str]) -> list[MasterKey] | None:
    """The configured master keys, None when none is configured (see the module doc)."""
    path = str(settings.get(MASTER_KEY_FILE_SETTING) or "").strip()
    value = environ.get(MASTER_KEY_ENV, "").strip()
    if path and value:
        raise MasterKeyError(_(
            "Both jimu.master_key_file and JIMU_MASTER_KEY are set; keep only one of them."))
    if path:
        return parse_master_keys(_read_key_file(Path(path).expanduser()),
                                 "jimu.master_key_file")
    if value:
        return parse_master_keys(re.split(r"[\s,]+", value), MASTER_KEY_ENV)
    return None


@implementer(IKeyStore)
class MasterKeyStore:
    """Master keys held in this process; wraps with the crypto provider's AEAD."""

    def __init__(self, keys: list[MasterKey], providers: Providers) -> None:
        if not keys:
            raise ValueError("MasterKeyStore needs at least one master key")
        self._keys = {key.key_id: key for key in keys}
        self._providers = providers
        self.active_key_id = keys[0].key_id
        self._keks: dict[tuple[str, int], bytes] = {}

    @classmethod
    def from_environment(cls, settings: Mapping[str, Any], environ: Mapping[str, str],
                         providers: Providers) -> MasterKeyStore | None:
        keys = load_master_keys(settings, environ)
        return cls(keys, providers) if keys else None

    def key_ids(self) -> tuple[str, ...]:
        return (self.active_key_id,
                *(key_id for key_id in self._keys if key_id != self.active_key_id))

    def _material(self, key_id: str) -> bytes:
        key = self._keys.get(key_id)
        if key is None:
            raise KeysUnavailable(_("Master key ${key_id} is not configured here.",
                                    mapping={"key_id": key_id}))
        return key.material

    def _kek(self, key_id: str, algorithm: Algorithm) -> bytes:
        kek = self._keks.get((key_id, algorithm.id))
        if kek is None:
            provider = self._providers.for_algorithm(algorithm)
            kek = provider.hmac(self._material(key_id), _WRAP_LABEL)[:algorithm.key_bytes]
            self._keks[(key_id, algorithm.id)] = kek
        return kek

    @staticmethod
    def _associated(header: bytes, key_id: str, context: bytes) -> bytes:
        return b"\0".join((header, key_id.encode("ascii"), context))

    def wrap(self, data_key: bytes, context: bytes) -> tuple[str, bytes]:
        algorithm = self._providers.algorithm
        header = bytes((WRAP_FORMAT, algorithm.id))
        key_id = self.active_key_id
        sealed = self._providers.active.encrypt(
            self._kek(key_id, algorithm), data_key, self._associated(header, key_id, context))
        return key_id, header + sealed

    def unwrap(self, key_id: str, wrapped: bytes, context: bytes) -> bytes:
        if len(wrapped) < 2 or wrapped[0] != WRAP_FORMAT:
            raise KeysUnavailable(_("A wrapped data key is damaged (unknown format)."))
        algorithm = algorithm_numbered(wrapped[1])
        provider = self._providers.for_algorithm(algorithm)
        try:
            return provider.decrypt(self._kek(key_id, algorithm), bytes(wrapped[2:]),
                                    self._associated(bytes(wrapped[:2]), key_id, context))
        except CryptoError:
            raise KeysUnavailable(_(
                "A data key could not be unwrapped with master key ${key_id}: the master key "
                "is not the one that wrapped it, or the wrapped key was altered.",
                mapping={"key_id": key_id})) from None

    def _check_value(self, key_id: str, algorithm: Algorithm) -> bytes:
        provider = self._providers.for_algorithm(algorithm)
        digest = provider.hmac(self._material(key_id), _CHECK_LABEL)
        return bytes((algorithm.id,)) + digest[:CHECK_VALUE_BYTES]

    def check_value(self, key_id: str) -> bytes:
        return self._check_value(key_id, self._providers.algorithm)

    def matches(self, key_id: str, check_value: bytes) -> bool:
        if key_id not in self._keys or len(check_value) != CHECK_VALUE_BYTES + 1:
            return False
        try:
            algorithm = algorithm_numbered(check_value[0])
            expected = self._check_value(key_id, algorithm)
        except KeysUnavailable:
            return False
        return hmac.compare_digest(expected, bytes(check_value))
