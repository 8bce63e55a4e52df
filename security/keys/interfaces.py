"""Extension points of the key layer.

:class:`IKeyStore` is what an external KMS or HSM implements: the deployment's
master keys never leave it, Jimu only asks it to wrap and unwrap tenant data keys.
"""

from __future__ import annotations

from zope.interface import Attribute, Interface, taggedValue

from jimucrm.core.interfaces import INTERNAL


class IKeyStore(Interface):
    """The deployment's master key(s): wraps and unwraps every tenant's data keys.

    The default (:class:`jimucrm.security.keys.keystore.MasterKeyStore`) reads the
    master keys from ``jimu.master_key_file`` or the ``JIMU_MASTER_KEY`` environment
    variable and wraps with the crypto provider's authenticated encryption
    (AES-256-GCM or SM4-GCM). A deployment that keeps its master key in a KMS or an
    HSM registers its own implementation from a package listed in ``jimu.includes``
    (after ``jimucrm.security``): ``config.register_service(store, IKeyStore)``.

    Several master keys coexist during a master-key rotation: each wrapped data key
    records the id of the master key that wrapped it; new keys are wrapped with
    :attr:`active_key_id`, and ``jimu keys rewrap`` re-wraps the older ones.
    """

    active_key_id = Attribute("Id (str, ≤ 64 characters) of the master key that wraps new keys")

    def key_ids():
        """Every master key id this store can unwrap with, the active one first (tuple)."""

    def wrap(data_key, context):
        """Encrypt ``data_key`` (bytes) under the active master key.

        ``context`` (bytes) is bound to the result as associated data: unwrapping
        with another context fails. Return ``(key_id, wrapped)``: the id of the master
        key used and an opaque, self-describing byte string.
        """

    def unwrap(key_id, wrapped, context):
        """Inverse of :meth:`wrap`: the data key, or ``KeysUnavailable`` when ``key_id``
        is unknown here, ``wrapped`` was altered or ``context`` differs."""

    def check_value(key_id):
        """A short, non-secret value (bytes) computed from master key ``key_id``.

        Stored beside every data key the master key wraps, so start-up and rotation
        notice a missing or replaced master key before anything is decrypted or
        written. Raises ``KeysUnavailable`` for an unknown ``key_id``.
        """

    def matches(key_id, check_value):
        """True when ``check_value`` (from an earlier :meth:`check_value`, possibly
        under another crypto provider) belongs to the configured master key ``key_id``."""


class IFieldKeys(Interface):
    """Finds the key ring of the tenant a database connection works for."""

    taggedValue(INTERNAL, True)

    keystore = Attribute("The registered IKeyStore, or None when no master key is configured")

    def ring(connection, schema=None):
        """The KeyRing of ``schema`` (default: the connection's tenant schema)."""
