"""Keys and field encryption: the master key, per-tenant data keys, encrypted columns.

* :mod:`.keystore`: the deployment's master key(s) (``jimu.master_key_file`` or
  ``JIMU_MASTER_KEY``) behind :class:`.interfaces.IKeyStore`, which a KMS or HSM
  package may replace;
* :mod:`.models`: each tenant's wrapped data keys (versions: active, retiring,
  retired), made when the tenant is provisioned;
* :mod:`.fields`: :class:`EncryptedText` columns and their blind indexes;
* :mod:`.ring`: how a column finds its tenant's keys (from the connection);
* :mod:`.rotation` and ``jimu keys …`` (:mod:`.cli`): checks, data-key rotation
  without downtime, master-key re-wrapping.

Start-up stops with one line (``MasterKeyError``, a ``ConfigurationError``) when
the master key source is malformed, when models have encrypted fields and no
master key is configured, or when the tenants' key check values say their keys
were wrapped by another master key. No value is ever written unencrypted: without
usable keys, writing an encrypted field fails.
"""

from __future__ import annotations

import os

from pyramid.config import Configurator
from pyramid.interfaces import IApplicationCreated

from jimucrm.core.events import ITenantProvisioned
from jimucrm.core.interfaces import ICryptoProvider, IDatabase

from .algorithms import Providers
from .errors import (
    EncryptedFieldUsage,
    FieldDecryptionError,
    KeysError,
    KeysUnavailable,
    MasterKeyError,
    RotationError,
)
from .fields import BlindIndex, EncryptedText, blind_index, normalise_compact, normalise_text
from .interfaces import IFieldKeys, IKeyStore
from .keystore import MasterKeyStore
from .ring import FieldKeys, ring_for
from .subscribers import check_keys_on_start, create_data_key

__all__ = ["BlindIndex", "EncryptedFieldUsage", "EncryptedText", "FieldDecryptionError",
           "FieldKeys", "IKeyStore", "KeysError", "KeysUnavailable", "MasterKeyError",
           "RotationError", "blind_index", "includeme", "normalise_compact", "normalise_text",
           "ring_for"]


def includeme(config: Configurator) -> None:
    registry = config.registry
    config.add_extension_points("jimucrm.security.keys.interfaces")
    store = MasterKeyStore.from_environment(config.get_settings(), os.environ,
                                            Providers(registry.getUtility(ICryptoProvider)))
    if store is not None:
        config.register_service(store, IKeyStore)
    field_keys = FieldKeys(registry)
    registry.registerUtility(field_keys, IFieldKeys)
    field_keys.install(registry.getUtility(IDatabase).engine)
    config.add_migration_branch("security_keys", "jimucrm.security.keys:migrations/versions")
    config.add_event_subscriber(create_data_key, ITenantProvisioned)
    config.add_subscriber(check_keys_on_start, IApplicationCreated)
