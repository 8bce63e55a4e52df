"""Events: platform events core declares, and how any event is delivered.

Platform events (a tenant was provisioned, the server is starting) go to the
subscribers of core, tenants and security, and to those of the addons the
tenant concerned has enabled. Addons declare their own domain events in their
``events.py``; :func:`notify` delivers them the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyramid.registry import Registry
from zope.interface import Attribute, Interface, implementer

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


class IRecordsExported(Interface):
    """Event: a user exported records from a list (CSV, XLSX…), in the request's transaction.

    Sent by core's model views for every export; security records it in the
    tenant's audit log (who exported how many rows of what, with which filters).
    """

    request = Attribute("The request that exported")
    model = Attribute("Key of the model exported (its table name, e.g. 'contacts')")
    count = Attribute("How many rows the file holds")
    format = Attribute("'csv' or 'xlsx'")
    filters = Attribute("dict of the search, filters and sort the list was exported with")
    truncated = Attribute("True when the list had more rows than an export holds")


@implementer(IRecordsExported)
@dataclass(frozen=True)
class RecordsExported:
    request: Any
    model: str
    count: int
    format: str
    filters: Mapping[str, str] = field(default_factory=dict)
    truncated: bool = False


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
