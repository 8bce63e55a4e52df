"""Encrypted columns for sensitive fields (phone, e-mail, ID-card number, bank account).

Declare the field and, when it must be searchable by exact value, its blind index::

    from jimucrm.security.keys import BlindIndex, EncryptedText, normalise_compact

    class Contact(TenantBase):
        __tablename__ = "contacts"
        phone: Mapped[str | None] = mapped_column(
            EncryptedText(blind_index="phone_index", normalise=normalise_compact))
        phone_index: Mapped[bytes | None] = mapped_column(BlindIndex(), index=True)
        id_number: Mapped[str | None] = mapped_column(EncryptedText())

The attribute holds plain text in Python; the column holds the tenant's ciphertext
(``bytea``, see :mod:`.ring` for the format), encrypted with the tenant's active
data key by the deployment's provider (AES-256-GCM or SM4-GCM). The blind index
column is filled by the ORM on insert and update: a keyed HMAC (HMAC-SHA-256 or
HMAC-SM3, 16 bytes) of the normalised value, with a per-tenant, per-column key
derived from the data key. Search by exact value with the column itself::

    session.scalars(select(Contact).where(Contact.phone == "138 0013 8000"))

which compares the blind index with every index the value may have (two while a
key rotation runs). ``!=`` works the same way; ``IS NULL`` as usual; anything
else (``LIKE``, ``<``, ``IN``) raises :class:`.errors.EncryptedFieldUsage`.

The associated data of each value is its column's label, ``table.column`` by
default. Renaming the table or the column changes it: give the old one as
``label=`` so existing values keep decrypting.

Writes that bypass the ORM's unit of work (``insert()``/``update()`` statements)
still encrypt, but leave the blind index to the caller
(:func:`blind_index` computes it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, LargeBinary, Table, any_, bindparam, event, inspect
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Mapper, Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import TypeDecorator

from jimucrm.core.i18n import _
from jimucrm.core.models import TENANT_SCHEMA

from .errors import EncryptedFieldUsage
from .ring import KeyRing, current_ring, ring_for

__all__ = ["BlindIndex", "EncryptedText", "blind_index", "encrypted_columns",
           "normalise_compact", "normalise_text"]

_SPACES = re.compile(r"\s+")
_SEPARATORS = re.compile(r"[\s\-().,/_·]+")


def normalise_text(value: str) -> str:
    """Unicode NFKC, trimmed, inner whitespace collapsed, case folded (names, e-mail)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", value)).strip().casefold()


def normalise_compact(value: str) -> str:
    """NFKC without spaces, dashes, dots, brackets or slashes, upper case.

    For numbers written in groups: phones (``138-0013-8000`` = ``13800138000``),
    ID-card numbers (a final ``x`` = ``X``), bank accounts.
    """
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value)).upper()


# Every encrypted column of a tenant table, by table (for rotation).
_ENCRYPTED: dict[Table, list[Column]] = {}


def encrypted_columns() -> dict[Table, list[Column]]:
    """Tenant tables that have encrypted columns, with those columns."""
    return {table: list(columns) for table, columns in _ENCRYPTED.items()}


class EncryptedText(TypeDecorator):
    """Text stored encrypted with the tenant's data key; see the module documentation."""

    impl = LargeBinary
    cache_ok = True
    #: The audit log records that such a field changed, never its values.
    sensitive = True

    def __init__(self, *, blind_index: str | None = None,
                 normalise: Callable[[str], str] = normalise_text,
                 label: str | None = None) -> None:
        super().__init__()
        self.blind_index = blind_index
        self.normalise = normalise
        self.label = label
        self._explicit_label = label is not None
        self._column: Column | None = None

    class Comparator(TypeDecorator.Comparator):
        def operate(self, op, *other, **kwargs):
            if op in (operators.is_, operators.is_not) or (
                    op in (operators.eq, operators.ne) and other and other[0] is None):
                return super().operate(op, *other, **kwargs)
            if op in (operators.eq, operators.ne):
                return self._search(op, other[0])
            raise EncryptedFieldUsage(_(
                "Encrypted column ${label} can only be compared with == and != (through its "
                "blind index) or tested for NULL.", mapping={"label": self.type.label or "?"}))

        def reverse_operate(self, op, other, **kwargs):
            return self.operate(op, other, **kwargs)

        def _search(self, op, value):
            encrypted: EncryptedText = self.type
            if encrypted.blind_index is None:
                raise EncryptedFieldUsage(_(
                    "Encrypted column ${label} has no blind index, so it cannot be searched.",
                    mapping={"label": encrypted.label or "?"}))
            if isinstance(value, ClauseElement) or not isinstance(value, str):
                raise EncryptedFieldUsage(_(
                    "Encrypted column ${label} can only be compared with a text value.",
                    mapping={"label": encrypted.label or "?"}))
            index = _index_column(self.expr.table, encrypted.blind_index)
            candidates = bindparam(None, value, type_=_IndexCandidates(encrypted.label,
                                                                       encrypted.normalise),
                                   unique=True)
            matches = index == any_(candidates)
            return matches if op is operators.eq else ~matches

    comparator_factory = Comparator

    # -- attaching to a column ------------------------------------------------------------

    def _attach(self, column: Column, table: Table) -> None:
        label = self.label if self._explicit_label else f"{table.name}.{column.name}"
        self.label = label
        self._column = column

    def process_bind_param(self, value: Any, dialect) -> bytes | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise EncryptedFieldUsage(_("Encrypted column ${label} holds text only.",
                                        mapping={"label": self.label or "?"}))
        return current_ring().encrypt(self._require_label(), value)

    def process_result_value(self, value: Any, dialect) -> str | None:
        if value is None:
            return None
        return current_ring().decrypt(self._require_label(), bytes(value))

    def process_literal_param(self, value: Any, dialect) -> str:
        # Rendering the value into SQL text would put plaintext (or a key) in logs.
        raise EncryptedFieldUsage(_("Encrypted values are never rendered into SQL text."))

    def _require_label(self) -> str:
        if not self.label:
            raise EncryptedFieldUsage(_("An EncryptedText column must belong to a table."))
        return self.label

    def index_value(self, ring: KeyRing, value: str | None) -> bytes | None:
        """The blind index a row holding ``value`` stores now."""
        if value is None:
            return None
        return ring.blind_index(self._require_label(), self.normalise(value))

    def index_values(self, ring: KeyRing, value: str) -> list[bytes]:
        """Every blind index a row holding ``value`` may have now."""
        return ring.blind_indexes(self._require_label(), self.normalise(value))


class BlindIndex(TypeDecorator):
    """The companion column of a searchable :class:`EncryptedText` (``bytea``)."""

    impl = LargeBinary
    cache_ok = True
    sensitive = True  # equal values have equal indexes: keep them out of the audit log too


class _IndexCandidates(TypeDecorator):
    """A bound value given as text, sent as the array of its possible blind indexes."""

    impl = ARRAY(LargeBinary)
    cache_ok = True

    def __init__(self, label: str | None, normalise: Callable[[str], str]) -> None:
        super().__init__()
        self.label = label
        self.normalise = normalise

    def process_bind_param(self, value: Any, dialect) -> list[bytes]:
        if not self.label:
            raise EncryptedFieldUsage(_("An EncryptedText column must belong to a table."))
        return current_ring().blind_indexes(self.label, self.normalise(value))

    def process_literal_param(self, value: Any, dialect) -> str:
        raise EncryptedFieldUsage(_("Encrypted values are never rendered into SQL text."))


def _index_column(table, name: str):
    for column in table.c:
        if column.name == name:
            return column
    raise EncryptedFieldUsage(_("Table ${table} has no blind index column ${name}.",
                                mapping={"table": getattr(table, "name", "?"), "name": name}))


@event.listens_for(Column, "after_parent_attach")
def _column_attached(column: Column, table: Any) -> None:
    if not isinstance(column.type, EncryptedText) or not isinstance(table, Table):
        return
    if column.type._column is not None and column.type._column is not column:
        # One EncryptedText() shared by two columns (a mixin): each gets its own.
        column.type = column.type.copy()
        if not column.type._explicit_label:
            column.type.label = None
    column.type._attach(column, table)
    if table.schema == TENANT_SCHEMA:
        columns = _ENCRYPTED.setdefault(table, [])
        if not any(known is column for known in columns):
            columns.append(column)


# -- the ORM fills blind indexes -------------------------------------------------------------

def _indexed(mapper: Mapper) -> list[tuple[str, str, EncryptedText]]:
    found = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if isinstance(column, Column) and isinstance(column.type, EncryptedText) \
                and column.type.blind_index:
            index = _index_column(column.table, column.type.blind_index)
            found.append((prop.key, mapper.get_property_by_column(index).key, column.type))
    return found


@event.listens_for(Mapper, "mapper_configured")
def _watch_mapper(mapper: Mapper, class_: type) -> None:
    pairs = _indexed(mapper)
    if not pairs:
        return

    def before_insert(mapper, connection, target) -> None:
        ring = ring_for(connection)
        for key, index_key, encrypted in pairs:
            setattr(target, index_key, encrypted.index_value(ring, getattr(target, key)))

    def before_update(mapper, connection, target) -> None:
        state = inspect(target)
        changed = [pair for pair in pairs if state.attrs[pair[0]].history.has_changes()]
        if not changed:
            return
        ring = ring_for(connection)
        for key, index_key, encrypted in changed:
            setattr(target, index_key, encrypted.index_value(ring, getattr(target, key)))

    event.listen(mapper, "before_insert", before_insert)
    event.listen(mapper, "before_update", before_update)


def blind_index(session: Session, attribute: InstrumentedAttribute | Column,
                value: str) -> bytes:
    """The blind index ``session``'s tenant stores for ``value`` in ``attribute`` now.

    For bulk ``insert()``/``update()`` statements, which the ORM does not fill.
    To search, compare the encrypted attribute itself (``Contact.phone == value``):
    it also matches rows a running rotation has not reached yet.
    """
    column = attribute.expression if isinstance(attribute, InstrumentedAttribute) else attribute
    encrypted = column.type
    if not isinstance(encrypted, EncryptedText):
        raise EncryptedFieldUsage(_("blind_index() needs an EncryptedText column."))
    return encrypted.index_value(ring_for(session.connection()), value)
