"""Events: platform events core declares, and how any event is delivered.

Platform events (a tenant was provisioned, the server is starting) go to the
subscribers of core, tenants and security, and to those of the addons the
tenant concerned has enabled. Addons declare their own domain events in their
``events.py``; :func:`notify` delivers them the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyramid.registry import Registry
from zope.interface import Attribute, Interface

from .interfaces import IAddonCatalogue


class ITenantProvisioned(Interface):
    """Event: a tenant's schema was just created, inside the provisioning transaction.

    Subscribers add what every new tenant needs (security creates the admin user;
    an addon may load its default data, and its demo data when ``demo`` is true).
    """

    registry = Attribute("The application registry")
    tenant = Attribute("The ITenant just created")
    session = Attribute("ORM session bound to the new tenant's schema")
    admin_email = Attribute("E-mail for the tenant's first admin, or None")
    admin_password = Attribute("Password for the first admin (plain text, never stored)")
    demo = Attribute("True when the tenant should be filled with sample data")


class ITenantAddonsChanged(Interface):
    """Event: addons were enabled or disabled for a tenant, inside that change's transaction.

    What a tenant's users may do changed with it: security records it in the
    tenant's audit log. Sent from the settings page and ``jimu addon`` alike.
    """

    registry = Attribute("The application registry")
    tenant = Attribute("The ITenant concerned, its addons as they are after the change")
    session = Attribute("ORM session bound to the tenant's schema, in the change's transaction")
    enabled = Attribute("Names of the addons this change enabled (list)")
    disabled = Attribute("Names of the addons this change disabled (list)")


class IServeStarting(Interface):
    """Event: ``jimu serve`` is about to start serving; the database is reachable.

    Subscribers prepare what serving needs (tenants upgrades the schemas and, on
    the embedded default, creates the demo tenant) and may ``echo`` a line to the
    operator's terminal.
    """

    registry = Attribute("The application registry")
    embedded = Attribute("True when PostgreSQL and Redis are the embedded ones")
    data_dir = Attribute("pathlib.Path of the data directory")
    echo = Attribute("Callable printing one line to the terminal")
    base_url = Attribute("The URL the web server listens on, without a trailing slash")


def notify(registry: Registry, event: object, addons: Iterable[str] | None = None) -> None:
    """Deliver ``event`` to the platform's subscribers, then to those of ``addons``.

    Subscribers run synchronously, in the caller's transaction.
    """
    if addons is None:
        registry.notify(event)
        return
    # A tenant's composed registry has the application registry as its last base:
    # one lookup reaches the platform's subscribers and the enabled addons'.
    registry.getUtility(IAddonCatalogue).composed(frozenset(addons)).subscribers((event,), None)
