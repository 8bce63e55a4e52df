"""Each tenant's key ring, found from the database connection a statement runs on.

How an encrypted column finds its tenant's keys
-----------------------------------------------
A SQLAlchemy column type sees a value and the dialect, never the session. But
every tenant session (a request's ``dbsession``, a task's or a command's session,
the provisioning session) runs on a connection whose ``schema_translate_map``
names the tenant's schema: core binds it that way. :meth:`FieldKeys.install` puts
one ``before_execute`` listener on the deployment's engine; before each statement
it records, in a context variable, the connection and the tenant schema the
statement runs on. The column type takes its key ring from there while that
statement's parameters are bound and its rows are read. Nothing in core needed to
change, and every way of reaching a tenant schema is covered, including sessions
core never sees (provisioning binds its own).

A key ring belongs to one connection: it reads the tenant's ``data_keys`` on that
connection, in its transaction, the first time a value needs a key (one query),
so it sees a key created earlier in the same transaction and never a key of
another tenant. Unwrapped keys are cached per process by their wrapped form.

Rows are processed as they are fetched: read the rows of one tenant's query before
running a statement for another tenant on the same thread (``.all()``, ``.one()``
and ORM queries do). Done the other way round, decryption fails loudly; it never
returns another tenant's plaintext.

Ciphertext (``EncryptedText`` stores it as ``bytea``)::

    format (1 byte, 1) ‖ algorithm (1 byte: 1 AES-256-GCM, 2 SM4-GCM)
    ‖ key version (4 bytes, big-endian) ‖ nonce ‖ ciphertext ‖ tag

with the 6-byte header and the column's label (``table.column``) as associated
data, so a value cannot be moved to another column or given another header
unnoticed.
"""

from __future__ import annotations

import struct
import threading
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from pyramid.i18n import TranslationString
from pyramid.registry import Registry
from sqlalchemy import Connection, Engine, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from zope.interface import implementer

from jimucrm.core.i18n import _
from jimucrm.core.interfaces import ICryptoProvider
from jimucrm.core.models import TENANT_SCHEMA

from ..crypto import CryptoError
from .algorithms import Algorithm, Providers, algorithm_named
from .errors import FieldDecryptionError, KeysUnavailable
from .interfaces import IFieldKeys, IKeyStore
from .models import ACTIVE, RETIRING, DataKey

FIELD_FORMAT = 1
HEADER = struct.Struct(">BBI")  # format, algorithm id, key version
INDEX_BYTES = 16
_ENCRYPTION_LABEL = b"jimu-crm data key: field encryption v1"
_INDEX_LABEL = b"jimu-crm data key: blind index v1"
_FIELD_AAD = b"jimu-crm field\0"
_UNWRAPPED_CACHE = 4096

_KEY_COLUMNS = tuple(DataKey.__table__.c[name] for name in (
    "version", "status", "algorithm", "master_key_id", "wrapped_key", "check_value"))

# (connection, tenant schema) of the statement running in this thread or task.
_SCOPE: ContextVar[tuple[Connection, str | None] | None] = ContextVar("jimu_keys_scope",
                                                                      default=None)
# The FieldKeys of each deployment engine, by its pool (shared with the engine's
# execution_options() proxies, one per tenant schema).
_BY_POOL: WeakKeyDictionary[Any, FieldKeys] = WeakKeyDictionary()


def translate_options(schema: str) -> dict[str, Any]:
    return {"schema_translate_map": {TENANT_SCHEMA: schema}}


def schema_of(connection: Connection) -> str | None:
    """The tenant schema ``connection`` is bound to, or None."""
    translate = connection.get_execution_options().get("schema_translate_map") or {}
    return translate.get(TENANT_SCHEMA)


def key_context(version: int, algorithm: Algorithm) -> bytes:
    """What a wrapped data key is bound to: its version and algorithm."""
    return f"jimu-crm data key v{version} {algorithm.name}".encode("ascii")


def key_version(ciphertext: bytes) -> int:
    """The data key version an encrypted value was written with."""
    if len(ciphertext) < HEADER.size or ciphertext[0] != FIELD_FORMAT:
        raise FieldDecryptionError(_("An encrypted value is damaged (unknown format)."))
    return HEADER.unpack_from(ciphertext)[2]


def master_key_problem(keystore, schema: str, master_key_id: str,
                       check_value: bytes) -> TranslationString | None:
    """Why ``keystore`` cannot unwrap keys of ``master_key_id`` in ``schema`` (None: it can)."""
    mapping = {"schema": schema, "key_id": master_key_id}
    if keystore is None:
        return _("Tenant schema ${schema} has data keys wrapped by master key ${key_id}, but no "
                 "master key is configured (set jimu.master_key_file or JIMU_MASTER_KEY).",
                 mapping=mapping)
    if master_key_id not in keystore.key_ids():
        return _("Master key ${key_id}, which wraps the data keys of tenant schema ${schema}, "
                 "is not configured; add it to jimu.master_key_file or JIMU_MASTER_KEY.",
                 mapping=mapping)
    if not keystore.matches(master_key_id, bytes(check_value)):
        return _("The configured master key ${key_id} is not the one that wrapped the data "
                 "keys of tenant schema ${schema} (its key check value differs); restore the "
                 "right key.", mapping=mapping)
    return None


@dataclass(eq=False)
class UnwrappedKey:
    """One unwrapped data key version, with the keys derived from it."""

    version: int
    algorithm: Algorithm
    provider: ICryptoProvider
    encryption_key: bytes = field(repr=False)
    index_root: bytes = field(repr=False)
    _index_keys: dict[str, bytes] = field(default_factory=dict, repr=False)

    @classmethod
    def derive(cls, version: int, algorithm: Algorithm, provider: ICryptoProvider,
               material: bytes) -> UnwrappedKey:
        # Separate keys for encryption and for blind indexes, from the one data key.
        return cls(version, algorithm, provider,
                   provider.hmac(material, _ENCRYPTION_LABEL)[:algorithm.key_bytes],
                   provider.hmac(material, _INDEX_LABEL))

    def index(self, label: str, normalised: str) -> bytes:
        """The blind index of a normalised value of column ``label`` under this key."""
        key = self._index_keys.get(label)
        if key is None:
            key = self._index_keys[label] = self.provider.hmac(self.index_root,
                                                               label.encode("utf-8"))
        return self.provider.hmac(key, normalised.encode("utf-8"))[:INDEX_BYTES]


class KeyRing:
    """One tenant's data keys, as seen from one connection."""

    def __init__(self, owner: FieldKeys, connection: Connection, schema: str) -> None:
        self.owner = owner
        self.connection = connection
        self.schema = schema
        self._rows: dict[int, Any] | None = None
        self._keys: dict[int, UnwrappedKey] = {}
        self._transaction: object | None = None

    # -- loading ----------------------------------------------------------------------

    def _execute(self, statement):
        return self.connection.execute(statement,
                                       execution_options=translate_options(self.schema))

    def _load(self) -> dict[int, Any]:
        connection = self.connection
        if connection.closed or not connection.in_transaction():
            raise KeysUnavailable(_(
                "Encrypted values of tenant schema ${schema} were used outside a database "
                "transaction.", mapping={"schema": self.schema}))
        rows = self._execute(select(*_KEY_COLUMNS).order_by(DataKey.version)).all()
        self._rows = {row.version: row for row in rows}
        self._transaction = connection.get_transaction()
        return self._rows

    def _current(self) -> dict[int, Any]:
        """The key rows as this connection's current transaction sees them."""
        if self._rows is None or self._transaction is not self.connection.get_transaction():
            return self._load()
        return self._rows

    def _unwrapped(self, row) -> UnwrappedKey:
        key = self._keys.get(row.version)
        if key is None:
            key = self._keys[row.version] = self.owner.data_key(self.schema, row)
        return key

    # -- the keys ---------------------------------------------------------------------

    def key(self, version: int) -> UnwrappedKey:
        """Data key ``version`` (for reading), whatever its status."""
        rows = self._rows or {}
        if version not in rows and not self.connection.closed \
                and self.connection.in_transaction():
            rows = self._load()  # created since this ring last looked
        row = rows.get(version)
        if row is None:
            raise KeysUnavailable(_("Tenant schema ${schema} has no data key version ${version}.",
                                    mapping={"schema": self.schema, "version": str(version)}))
        return self._unwrapped(row)

    def active(self) -> UnwrappedKey:
        """The key new values are encrypted with; made now if the tenant has none yet."""
        rows = self._current()
        if not rows:
            self._execute(pg_insert(DataKey.__table__)
                          .values(**self.owner.new_key_values(1)).on_conflict_do_nothing())
            rows = self._load()
        for row in rows.values():
            if row.status == ACTIVE:
                return self._unwrapped(row)
        raise KeysUnavailable(_("Tenant schema ${schema} has no active data key.",
                                mapping={"schema": self.schema}))

    def searchable(self) -> list[UnwrappedKey]:
        """Keys whose blind indexes rows may hold now: the active one, and a retiring one."""
        return [self._unwrapped(row) for row in self._current().values()
                if row.status in (ACTIVE, RETIRING)]

    # -- values -----------------------------------------------------------------------

    @staticmethod
    def _associated(header: bytes, label: str) -> bytes:
        return header + _FIELD_AAD + label.encode("utf-8")

    def encrypt(self, label: str, plaintext: str, key: UnwrappedKey | None = None) -> bytes:
        """Encrypt a value of column ``label`` with the active key (or ``key``)."""
        key = key or self.active()
        header = HEADER.pack(FIELD_FORMAT, key.algorithm.id, key.version)
        return header + key.provider.encrypt(key.encryption_key, plaintext.encode("utf-8"),
                                             self._associated(header, label))

    def decrypt(self, label: str, ciphertext: bytes) -> str:
        """Decrypt a value of column ``label``; ``FieldDecryptionError`` if it was altered."""
        version = key_version(ciphertext)
        key = self.key(version)
        header = ciphertext[:HEADER.size]
        if header[1] != key.algorithm.id:
            raise FieldDecryptionError(_("An encrypted value of ${label} names another "
                                         "algorithm than its key.", mapping={"label": label}))
        try:
            plaintext = key.provider.decrypt(key.encryption_key, ciphertext[HEADER.size:],
                                             self._associated(header, label))
        except CryptoError:
            raise FieldDecryptionError(_(
                "An encrypted value of ${label} could not be decrypted: it was altered, copied "
                "from another column, or written with another tenant's key.",
                mapping={"label": label})) from None
        return plaintext.decode("utf-8")

    def blind_index(self, label: str, normalised: str, key: UnwrappedKey | None = None) -> bytes:
        """What a row written now stores as the blind index of this value."""
        return (key or self.active()).index(label, normalised)

    def blind_indexes(self, label: str, normalised: str) -> list[bytes]:
        """Every blind index a row holding this value may have now (one, or two mid-rotation)."""
        return [key.index(label, normalised) for key in self.searchable()]


@implementer(IFieldKeys)
class FieldKeys:
    """The key rings of one deployment (one per application registry)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._rings: WeakKeyDictionary[Connection, dict[str, KeyRing]] = WeakKeyDictionary()
        self._providers: Providers | None = None
        self._unwrapped: dict[tuple, UnwrappedKey] = {}
        self._unwrapped_by: object | None = None
        self._lock = threading.Lock()

    @property
    def keystore(self):
        return self.registry.queryUtility(IKeyStore)

    @property
    def providers(self) -> Providers:
        if self._providers is None:
            self._providers = Providers(self.registry.getUtility(ICryptoProvider))
        return self._providers

    def install(self, engine: Engine) -> None:
        """Serve the connections of ``engine`` (and of its per-schema proxies)."""
        _BY_POOL[engine.pool] = self
        if not event.contains(engine, "before_execute", _before_execute):
            event.listen(engine, "before_execute", _before_execute)

    def ring(self, connection: Connection, schema: str | None = None) -> KeyRing:
        schema = schema or schema_of(connection)
        if not schema:
            raise KeysUnavailable(_("Encrypted values live in tenant schemas; this statement "
                                    "runs outside any tenant."))
        rings = self._rings.get(connection)
        if rings is None:
            rings = self._rings[connection] = {}
        ring = rings.get(schema)
        if ring is None:
            ring = rings[schema] = KeyRing(self, connection, schema)
        return ring

    # -- wrapping ---------------------------------------------------------------------

    def _require_keystore(self):
        keystore = self.keystore
        if keystore is None:
            raise KeysUnavailable(_(
                "No master key is configured (jimu.master_key_file or JIMU_MASTER_KEY): "
                "encrypted fields can be neither written nor read."))
        return keystore

    def new_key_values(self, version: int, status: str = ACTIVE) -> dict[str, Any]:
        """The ``data_keys`` row of a fresh data key, wrapped with the active master key."""
        keystore = self._require_keystore()
        providers = self.providers
        algorithm = providers.algorithm
        material = providers.active.generate_symmetric_key()
        key_id, wrapped = keystore.wrap(material, key_context(version, algorithm))
        return {"version": version, "status": status, "algorithm": algorithm.name,
                "master_key_id": key_id, "wrapped_key": wrapped,
                "check_value": keystore.check_value(key_id)}

    def unwrap(self, schema: str, row) -> bytes:
        """The key material of a ``data_keys`` row."""
        keystore = self._require_keystore()
        algorithm = algorithm_named(row.algorithm)
        try:
            material = keystore.unwrap(row.master_key_id, bytes(row.wrapped_key),
                                       key_context(row.version, algorithm))
        except KeysUnavailable:
            problem = master_key_problem(keystore, schema, row.master_key_id, row.check_value)
            if problem is not None:
                raise KeysUnavailable(problem) from None
            raise
        if len(material) != algorithm.key_bytes:
            raise KeysUnavailable(_("Data key version ${version} of tenant schema ${schema} has "
                                    "the wrong length.",
                                    mapping={"version": str(row.version), "schema": schema}))
        return material

    def data_key(self, schema: str, row) -> UnwrappedKey:
        """The unwrapped key of a ``data_keys`` row (cached by its wrapped form)."""
        keystore = self.keystore
        cache_key = (row.master_key_id, bytes(row.wrapped_key), row.version, row.algorithm)
        with self._lock:
            if self._unwrapped_by is not keystore:  # another store was registered
                self._unwrapped.clear()
                self._unwrapped_by = keystore
            key = self._unwrapped.get(cache_key)
        if key is not None:
            return key
        algorithm = algorithm_named(row.algorithm)
        key = UnwrappedKey.derive(row.version, algorithm, self.providers.for_algorithm(algorithm),
                             self.unwrap(schema, row))
        with self._lock:
            if len(self._unwrapped) >= _UNWRAPPED_CACHE:
                self._unwrapped.clear()
            self._unwrapped[cache_key] = key
        return key


def _before_execute(connection, clauseelement, multiparams, params, execution_options):
    translate = execution_options.get("schema_translate_map") if execution_options else None
    _SCOPE.set((connection, translate.get(TENANT_SCHEMA) if translate else None))


def field_keys_for(connection: Connection) -> FieldKeys:
    field_keys = _BY_POOL.get(connection.engine.pool)
    if field_keys is None:
        raise KeysUnavailable(_("This database connection belongs to no configured Jimu "
                                "application; encrypted values cannot be used on it."))
    return field_keys


def ring_for(connection: Connection, schema: str | None = None) -> KeyRing:
    """The key ring of the tenant ``connection`` works for."""
    return field_keys_for(connection).ring(connection, schema)


def current_ring() -> KeyRing:
    """The key ring of the statement being executed in this thread or task."""
    scope = _SCOPE.get()
    if scope is None:
        raise KeysUnavailable(_("Encrypted values can only be written and read through a "
                                "tenant's database session."))
    connection, schema = scope
    return ring_for(connection, schema)
