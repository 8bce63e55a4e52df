"""The extension-point catalogue of core.

Core knows no tenant, user or CRM concept; it declares what it needs as interfaces
and the packages above it (tenants, security, addons) implement and register them.
"""

from __future__ import annotations

from zope.interface import Attribute, Interface, taggedValue

# Tagged on contracts between Jimu's own packages: they are not extension points
# for addons, so `jimu extension-points` leaves them out.
INTERNAL = "jimu.internal"


class ITenant(Interface):
    """The tenant a request or task runs for."""

    taggedValue(INTERNAL, True)

    id = Attribute("Primary key in the platform registry (int)")
    slug = Attribute("URL-safe identifier, validated at creation")
    name = Attribute("Display name shown in the header")
    schema_name = Attribute("PostgreSQL schema holding all of the tenant's data")
    status = Attribute("'active' or 'archived'")
    addons = Attribute("frozenset of the names of the addons the tenant has enabled")


class ITenantDirectory(Interface):
    """Looks tenants up by slug or host name; registered by ``jimucrm.tenants``."""

    def by_slug(slug: str) -> ITenant | None:
        """Return the tenant with that slug, or None."""

    def by_host(host: str) -> ITenant | None:
        """Return the tenant served at that host name, or None."""

    def by_schema(schema_name: str) -> ITenant | None:
        """Return the tenant whose data lives in that schema, or None."""

    def invalidate() -> None:
        """A tenant changed: drop cached answers in every process."""


class IDatabase(Interface):
    """The deployment's PostgreSQL: one engine, and per-schema bindings of it."""

    taggedValue(INTERNAL, True)

    engine = Attribute("The SQLAlchemy engine for the public schema")

    def bind_for(schema_name: str | None):
        """Return an engine whose ``tenant`` placeholder schema maps to ``schema_name``."""

    def session(schema_name: str | None = None):
        """Return a new ORM session bound with :meth:`bind_for`."""



class IMenuItem(Interface):
    """One entry of the main menu, contributed by a package or addon."""

    taggedValue(INTERNAL, True)

    name = Attribute("Unique key, e.g. 'contacts'")
    addon = Attribute("The addon that contributed it, or None for core packages")
    title = Attribute("TranslationString shown in the menu")
    route = Attribute("Route name the entry links to")
    order = Attribute("Sort key; lower comes first")
    permission = Attribute("Permission the user needs to see the entry")


class IMigrationBranch(Interface):
    """An Alembic branch of tenant-schema (or public-schema) migrations."""

    taggedValue(INTERNAL, True)

    name = Attribute("Branch label, e.g. 'security' or the addon's name")
    location = Attribute("Folder holding the branch's revision files")
    scope = Attribute("'tenant' (runs in every tenant schema) or 'public'")
    addon = Attribute("The addon owning the branch, or None for core packages")



class ICryptoProvider(Interface):
    """The deployment's cryptography, chosen by ``jimu.crypto`` (standard | national).

    Everything that encrypts, signs, hashes or checks passwords goes through this
    interface, so a private install swaps AES/Ed25519/SHA-256/Argon2id for
    SM4/SM2/SM3/PBKDF2-HMAC-SM3 by configuration alone. Byte strings in and out;
    keys are the provider's own serialisations (see each method).
    """

    name = Attribute("'standard' or 'national'")

    def generate_symmetric_key() -> bytes:
        """A fresh random key for :meth:`encrypt` (32 bytes AES-256, 16 bytes SM4)."""

    def encrypt(key: bytes, plaintext: bytes, associated_data: bytes = b"") -> bytes:
        """Authenticated encryption (AES-256-GCM / SM4-GCM): nonce ‖ ciphertext ‖ tag."""

    def decrypt(key: bytes, ciphertext: bytes, associated_data: bytes = b"") -> bytes:
        """Inverse of :meth:`encrypt`; raises ``CryptoError`` if anything was altered."""

    def generate_signing_key() -> tuple[bytes, bytes]:
        """A (private, public) key pair for :meth:`sign`, as PEM."""

    def sign(private_key: bytes, message: bytes) -> bytes:
        """A signature (Ed25519 raw / SM2 DER with the GB/T 32918 user ID)."""

    def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
        """True only for a valid signature; malformed input is False, never an exception."""

    def generate_encryption_key() -> tuple[bytes, bytes]:
        """A (private, public) key pair for :meth:`asymmetric_encrypt`, as PEM."""

    def asymmetric_encrypt(public_key: bytes, plaintext: bytes) -> bytes:
        """Public-key encryption (X25519 ECIES / SM2 encryption, C1C3C2)."""

    def asymmetric_decrypt(private_key: bytes, ciphertext: bytes) -> bytes:
        """Inverse of :meth:`asymmetric_encrypt`; raises ``CryptoError`` when tampered."""

    def hash(data: bytes) -> bytes:
        """Digest (SHA-256 / SM3)."""

    def hmac(key: bytes, data: bytes) -> bytes:
        """Keyed digest (HMAC-SHA-256 / HMAC-SM3); used for blind indexes."""

    def hash_password(password: str) -> str:
        """A self-describing password hash (Argon2id / PBKDF2-HMAC-SM3)."""

    def verify_password(password_hash: str, password: str) -> bool:
        """True when ``password`` matches ``password_hash`` (constant time)."""

    def needs_rehash(password_hash: str) -> bool:
        """True when the hash uses another scheme or weaker parameters than configured."""


class IAddonCatalogue(Interface):
    """Every installed addon: manifests, dependency order, per-addon registries.

    ``composed(names)`` is the component registry a tenant with the enabled
    addons ``names`` sees: each addon's own registry, dependents before their
    dependencies (so an override wins over what it overrides), then the base
    registry of core, tenants and security. One registry per distinct set.
    """

    taggedValue(INTERNAL, True)

    manifests = Attribute("dict: addon name -> Manifest")
    order = Attribute("Addon names, every addon after those it depends on")

    def composed(names):
        """The registry for a tenant whose enabled addons are ``names`` (a frozenset)."""

    def check_set(names):
        """Raise AddonGraphError if ``names`` cannot be enabled together."""

    def addon_of(package_name):
        """The addon whose package holds the dotted module ``package_name``, or None."""


class ICacheGeneration(Interface):
    """A deployment-wide counter: bumping it tells every process its caches are stale.

    Processes compare the counter they cached with against :meth:`current` before
    trusting a cached entry (one Redis read), so a change made by one process (a
    tenant archived, an addon enabled) shows at once in every web and worker process.
    """

    taggedValue(INTERNAL, True)

    def current() -> int:
        """The counter's value now."""

    def bump() -> None:
        """Invalidate every process's caches."""


class IRecordRules(Interface):
    """Which rows of a model the request's user may see or change (own / team / all).

    Implemented by ``jimucrm.security``. Every list, detail, API and export query
    of a model with an owner goes through :meth:`apply`, so a rule holds in every
    place a record can be reached, not only in the pages that remember to check.
    """

    taggedValue(INTERNAL, True)

    def scope(request, model, action: str = "read") -> str:
        """'own', 'team', 'all' or 'none' for the request's user on ``model``."""

    def apply(request, statement, model, action: str = "read"):
        """``statement`` (a SQLAlchemy Select) narrowed to the rows the user may reach."""

    def allows(request, record, action: str = "read") -> bool:
        """True when the user may reach this one record for ``action``."""


class IFieldAccess(Interface):
    """Field-level permissions: which fields of a model the request's user may read or write.

    Implemented by ``jimucrm.security``. Views, forms, the REST API and exports
    ask it, so a hidden field is hidden everywhere and a read-only field is
    refused on the server even when a client sends it.
    """

    taggedValue(INTERNAL, True)

    def readable(request, model, field: str) -> bool:
        """True when the user may see ``field`` of ``model``."""

    def writable(request, model, field: str) -> bool:
        """True when the user may change ``field`` of ``model``."""
