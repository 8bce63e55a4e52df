"""Extension points provided by the tenants package."""

from __future__ import annotations

from zope.interface import Interface, taggedValue

from jimucrm.core.interfaces import INTERNAL


class ITenantProvisioner(Interface):
    """Creates, lists and archives tenants (default: :class:`.provisioning.Provisioner`)."""

    taggedValue(INTERNAL, True)

    def create(slug, name, *, admin_email=None, admin_password=None, demo=False):
        """Provision ``slug`` idempotently; return ``(tenant, created_now)``."""

    def archive(slug):
        """Archive ``slug``: data kept, its URLs answer 410."""

    def all():
        """Every tenant in slug order."""


class ITenantAddons(Interface):
    """Which addons a tenant has enabled, and switching them on and off."""

    taggedValue(INTERNAL, True)

    def enabled(slug):
        """The names of the addons ``slug`` has enabled."""

    def enable(slug, names):
        """Enable ``names`` with their dependencies (migrations, data); return the new ones."""

    def disable(slug, names):
        """Disable ``names`` keeping their data; refused while an enabled addon needs one."""
