"""Which records have a timeline: the record-type registry, and loading a record safely.

A record type is a short name (``contact``, ``lead``, ``order``) for one model, with
the permission that lets a user view its records, the addon that owns it and the
route of its page. Two sources fill the registry:

* ``config.add_timeline(record_type, model, permission=…)``, the extension point
  for an addon that depends on activities;
* every model under ``config.add_model_permissions`` (security's record rules), so
  that addons which do not depend on activities (crm's leads and opportunities,
  sales orders) get a timeline without naming it: the type is the class name in
  snake case (``Opportunity`` → ``opportunity``), which stays put when pages are
  reworked; the permission is ``<prefix>.view``; the route is the model views'
  detail page, else the one page ``/…/{id}`` guarded by that permission whose
  route name ends with the type (``crm_opportunity``).

Whoever adds to or reads a timeline goes through :func:`load_record`, which
narrows the query as the record's own pages do (:meth:`RecordType.scoped`:
:class:`~jimucrm.core.interfaces.IRecordRules`, or the model views' scope): a
record out of the user's scope is a 404, the same answer as no record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.httpexceptions import HTTPNotFound
from pyramid.interfaces import IRoutesMapper
from pyramid.registry import Registry
from pyramid.request import Request
from sqlalchemy import Select, inspect, select

from jimucrm.core.interfaces import IAddonCatalogue, IRecordRules
from jimucrm.security.rbac.permissions import ProtectedModel

from .models import RECORD_TYPE_LENGTH

RECORD_TYPE = re.compile(rf"[a-z][a-z0-9_]{{0,{RECORD_TYPE_LENGTH - 1}}}")
MAX_ID_DIGITS = 18
# A record's own page: a route whose only placeholder is the id, at the end.
_DETAIL_PATTERN = re.compile(r"^/.*/\{id(?::[^}]*)?\}$")


@dataclass(frozen=True)
class RecordType:
    """A model whose records have a timeline."""

    name: str
    model: type
    permission: str  # needed to view the records (and so their timeline)
    addon: str | None  # the addon owning the model: its tenants only
    route: str | None  # the record's page, a route taking ``id``; None: no page known

    def scoped(self, request: Request, statement: Select) -> Select:
        """``statement`` narrowed to the records the user may view: as the model's own
        pages narrow it (model views with a scope of their own, such as crm's lead
        pool), else by :class:`~jimucrm.core.interfaces.IRecordRules`."""
        views = next((spec for spec in request.registry.jimu_model_views.values()
                      if spec.model is self.model), None)
        if views is not None:
            return views.scoped(request, statement, "read")
        return request.find_service(IRecordRules).apply(request, statement, self.model, "read")

    def enabled_for(self, tenant: Any) -> bool:
        return self.addon is None or (tenant is not None and self.addon in tenant.addons)

    def path(self, request: Request, record_id: int) -> str:
        """The record page's path inside the tenant (``/contacts/5``), or ``""``."""
        if self.route is None:
            return ""
        return request.route_path(self.route, id=record_id)[len(request.script_name):]


def add_timeline(config: Configurator, record_type: str, model: type, *, permission: str,
                 route: str | None = None) -> None:
    """Config directive: records of ``model`` get a timeline, under ``record_type``.

    ``record_type`` (lower case, digits and ``_``, at most 40 characters) is stored
    with every activity: keep it when the model moves or is renamed. Users need
    ``permission`` (e.g. ``contacts.view``) to see or add to a record's timeline,
    and the record itself must be within their record rules. ``route`` names the
    record's page (a route taking ``id``), for links from task lists and reminders.

    Models under ``config.add_model_permissions`` are registered without this
    call; call it to choose their type name, permission or route yourself.
    """
    if not RECORD_TYPE.fullmatch(record_type):
        raise ConfigurationError(f"add_timeline: record type {record_type!r} must be lower "
                                 f"case letters, digits and _ (at most "
                                 f"{RECORD_TYPE_LENGTH} characters)")
    addon = config.registry.getUtility(IAddonCatalogue).addon_of(model.__module__)
    declared = RecordType(record_type, model, permission, addon, route)

    def register() -> None:
        config.registry.jimu_timeline_declared[record_type] = declared

    # Two declarations of one type name are a configuration conflict at start-up.
    config.action(("jimu.activities.timeline", record_type), register)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _detail_routes(registry: Registry) -> dict[str, list[str]]:
    """Permission → the routes of record pages (``/…/{id}``) guarded by it."""
    mapper = registry.queryUtility(IRoutesMapper)
    found: dict[str, list[str]] = {}
    for item in registry.introspector.get_category("views"):
        view = item["introspectable"]
        name = view["route_name"]
        route = mapper.get_route(name) if name and mapper is not None else None
        if route is None or not _DETAIL_PATTERN.match(route.pattern):
            continue
        for related in item["related"]:
            if related.category_name == "permissions" and \
                    name not in found.setdefault(related.title, []):
                found[related.title].append(name)
    return found


def _derived(registry: Registry, protected: ProtectedModel,
             routes: dict[str, list[str]]) -> RecordType:
    name = _snake(protected.model.__name__)
    permission = f"{protected.permission_prefix}.view"
    views = next((spec for spec in registry.jimu_model_views.values()
                  if spec.model is protected.model), None)
    if views is not None:
        route = views.route("detail")
    else:
        route = next((candidate for candidate in routes.get(permission, ())
                      if candidate == name or candidate.endswith(f"_{name}")), None)
    return RecordType(name, protected.model, permission, protected.addon, route)


def record_types(registry: Registry) -> dict[str, RecordType]:
    """Every record type by name: declared ones, then the derived ones (built on first use,
    once configuration is complete)."""
    types = registry.__dict__.get("jimu_timeline_types")
    if types is None:
        types = dict(registry.jimu_timeline_declared)
        declared_models = {item.model for item in types.values()}
        routes = _detail_routes(registry)
        for model, protected in sorted(registry.jimu_protected_models.items(),
                                       key=lambda pair: pair[1].key):
            if model in declared_models:
                continue
            derived = _derived(registry, protected, routes)
            if derived.name in types:
                raise ConfigurationError(
                    f"record type {derived.name!r} of {model.__name__} is taken by "
                    f"{types[derived.name].model.__name__}: declare one of them with "
                    f"config.add_timeline")
            types[derived.name] = derived
        registry.jimu_timeline_types = types
    return types


def type_of_model(registry: Registry, model: type) -> RecordType | None:
    """The record type of ``model``, or None when its records have no timeline."""
    return next((item for item in record_types(registry).values() if item.model is model),
                None)


def usable_type(request: Request, name: str) -> RecordType | None:
    """The record type ``name`` if this tenant has its addon and the user may view it."""
    found = record_types(request.registry).get(name)
    if found is None or not found.enabled_for(request.tenant) or \
            not request.has_permission(found.permission):
        return None
    return found


def load_record(request: Request, name: str, raw_id: str | int) -> tuple[RecordType, Any]:
    """The record type and the record ``raw_id`` of it, if the user may view it; else 404."""
    found = usable_type(request, name)
    raw = str(raw_id)
    if found is None or not raw.isdigit() or len(raw) > MAX_ID_DIGITS:
        raise HTTPNotFound()
    model = found.model
    key = inspect(model).primary_key[0]
    query = found.scoped(request, select(model).where(key == int(raw)))
    record = request.dbsession.scalars(query).unique().one_or_none()
    if record is None:
        raise HTTPNotFound()
    return found, record


def record_id_of(record: Any) -> int:
    return inspect(record).identity[0]


def record_title(record: Any) -> str:
    """What names a record in a list: its ``name``, ``number``, ``subject`` or ``#id``."""
    for attribute in ("name", "number", "title", "subject"):
        value = getattr(record, attribute, None)
        if isinstance(value, str) and value:
            return value
    return f"#{record_id_of(record)}"


def includeme(config: Configurator) -> None:
    config.registry.jimu_timeline_declared = {}
    config.add_directive("add_timeline", add_timeline)
