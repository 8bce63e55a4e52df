"""What the key layer does on others' events: a key per new tenant, a check at start-up."""

from __future__ import annotations

import logging

from pyramid.i18n import make_localizer
from pyramid.interfaces import IApplicationCreated, ITranslationDirectories
from sqlalchemy.exc import OperationalError

from jimucrm.core.events import ITenantProvisioned
from jimucrm.core.i18n import _
from jimucrm.core.models import TenantBase

from .errors import MasterKeyError
from .fields import encrypted_columns
from .interfaces import IFieldKeys
from .rotation import check_master_keys

log = logging.getLogger(__name__)

# Tenants whose key check values are compared at start-up (the newest ones): a wrong
# master key shows in every tenant; `jimu keys status` checks them all.
STARTUP_SAMPLE = 50


def create_data_key(event: ITenantProvisioned) -> None:
    """Every new tenant gets its first data key, in the provisioning transaction."""
    field_keys = event.registry.getUtility(IFieldKeys)
    if field_keys.keystore is None:
        log.warning("tenant %s was provisioned without a data key: no master key is "
                    "configured", event.tenant.slug)
        return
    field_keys.ring(event.session.connection(), event.tenant.schema_name).active()


def require_master_key(field_keys) -> None:
    """Installed models with encrypted fields and no master key: ``MasterKeyError``."""
    if field_keys.keystore is not None:
        return
    fields = sorted(f"{table.name}.{column.name}"
                    for table, columns in encrypted_columns().items()
                    if table.metadata is TenantBase.metadata for column in columns)
    if fields:
        raise MasterKeyError(_(
            "Encrypted fields (${fields}) need a master key: set jimu.master_key_file or "
            "JIMU_MASTER_KEY (jimu keys generate-master-key makes one).",
            mapping={"fields": ", ".join(fields)}))


def check_keys_on_start(event: IApplicationCreated) -> None:
    """Stop start-up when the master key is missing or is not the tenants' one.

    The one line says why in the deployment's language (``jimu.default_locale``).
    """
    registry = event.app.registry
    field_keys = registry.getUtility(IFieldKeys)
    try:
        require_master_key(field_keys)
        check_master_keys(field_keys, limit=STARTUP_SAMPLE)
    except MasterKeyError as exc:
        localizer = make_localizer(registry.settings.get("jimu.default_locale", "zh_CN"),
                                   registry.queryUtility(ITranslationDirectories, default=[]))
        raise MasterKeyError(exc.message, localizer.translate(exc.message)) from None
    except OperationalError:
        # No database yet: the key ring checks every tenant's keys on first use anyway.
        log.warning("the master key could not be checked at start-up: database unreachable")
