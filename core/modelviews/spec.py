"""``config.add_model_views``: list, form, detail, delete and export pages for a model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pyramid.config import Configurator
from pyramid.i18n import TranslationString
from pyramid.registry import Registry
from sqlalchemy import Select, inspect

from ..interfaces import IAddonCatalogue, IRecordRules
from ..metadata import Field, MetadataError, fields_of

# Hooks an addon may give: called in the request's transaction, after the flush.
RecordHook = Callable[[Any, Any], None]
# ``scope(request, statement, action)``: the statement narrowed to the rows the user
# may reach for ``action`` ("read" or "write"), in place of the plain record rules.
ScopeHook = Callable[[Any, Select, str], Select]
# ``clean(request, values, record)``: errors by field name for what field metadata cannot
# say (one field against another); ``record`` is None for a new one.
CleanHook = Callable[[Any, dict[str, Any], Any], dict[str, Any]]


@dataclass(frozen=True)
class ModelViews:
    """How one model is listed, edited and shown; built by ``config.add_model_views``.

    ``key`` (the table name) keys users' saved filters and column choices, the
    detail panels' UI slot (``<key>.detail``) and the audit log's export entries.
    """

    model: type
    key: str
    name: str
    list_name: str
    route_prefix: str
    permission: str
    title: TranslationString | str
    item_title: TranslationString | str
    fields: tuple[Field, ...]
    id_attr: str
    list_columns: tuple[str, ...]
    form_fields: tuple[str, ...]
    default_sort: tuple[str, ...]
    title_field: str
    owner: str | None
    page_size: int
    on_created: RecordHook | None
    on_updated: RecordHook | None
    addon: str | None
    scope: ScopeHook | None = None
    # False: no new/edit/delete pages nor POST/PATCH/DELETE (an addon's own editor is
    # the one way to change such records).
    editable: bool = True
    # False: the addon registers the record's page itself, as route ``<name>`` with ``id``.
    detail: bool = True
    # Extra members of the API's one-record GET (lines of an order…), and their schema.
    api_detail: Callable[[Any, Any], dict[str, Any]] | None = None
    api_detail_schema: dict[str, Any] | None = None
    clean: CleanHook | None = None

    @property
    def actions(self) -> tuple[str, ...]:
        """The generated page actions (see :meth:`route`) this spec registers."""
        found = ["list", "export", "columns", "filters", "filter_delete", "relation_search"]
        if self.detail:
            found.append("detail")
        if self.editable:
            found += ["new", "edit", "delete"]
        return tuple(found)

    # -- fields --------------------------------------------------------------------
    def field(self, name: str) -> Field | None:
        for item in self.fields:
            if item.name == name:
                return item
        return None

    @property
    def searchable(self) -> tuple[Field, ...]:
        return tuple(item for item in self.fields if item.search)

    @property
    def filterable(self) -> tuple[Field, ...]:
        return tuple(item for item in self.fields if item.filterable)

    @property
    def list_slot(self) -> str:
        """The UI slot addons fill with panels above the list (links to their own pages)."""
        return f"{self.key}.list"

    @property
    def detail_slot(self) -> str:
        """The UI slot addons fill with panels on the detail page (``add_panel``)."""
        return f"{self.key}.detail"

    def scoped(self, request: Any, statement: Select, action: str) -> Select:
        """``statement`` narrowed to the rows the user may reach: the spec's ``scope``
        hook, else :class:`~jimucrm.core.interfaces.IRecordRules`."""
        if self.scope is not None:
            return self.scope(request, statement, action)
        return request.find_service(IRecordRules).apply(request, statement, self.model, action)

    # -- routes and permissions ----------------------------------------------------
    def route(self, action: str) -> str:
        """Route name of ``action``: list, new, detail, edit, delete, export, columns,
        filters, filter_delete, relation_search."""
        if action == "list":
            return self.list_name
        if action == "detail":
            return self.name
        if action in ("export", "columns", "filters", "filter_delete", "relation_search"):
            return f"{self.list_name}_{action}"
        return f"{self.name}_{action}"

    def can(self, action: str) -> str:
        """Permission name of ``action`` (view, create, edit, delete, export)."""
        return f"{self.permission}.{action}"


def _checked_names(spec_fields: tuple[Field, ...], names: Sequence[str], what: str,
                   model: type) -> tuple[str, ...]:
    known = {item.name for item in spec_fields}
    unknown = [name for name in names if name.lstrip("-") not in known]
    if unknown:
        raise MetadataError(f"{model.__name__}: {what} names fields without a label: "
                            f"{', '.join(unknown)}")
    return tuple(names)


def add_model_views(
    config: Configurator,
    model: type,
    *,
    name: str,
    route_prefix: str,
    permission: str,
    title: TranslationString | str,
    item_title: TranslationString | str,
    list_name: str | None = None,
    list_columns: Sequence[str] | None = None,
    form_fields: Sequence[str] | None = None,
    default_sort: Sequence[str] | None = None,
    title_field: str | None = None,
    owner: str | None = "owner_id",
    page_size: int = 50,
    on_created: RecordHook | None = None,
    on_updated: RecordHook | None = None,
    scope: ScopeHook | None = None,
    editable: bool = True,
    detail: bool = True,
    api_detail: Callable[[Any, Any], dict[str, Any]] | None = None,
    api_detail_schema: dict[str, Any] | None = None,
    clean: CleanHook | None = None,
) -> ModelViews:
    """Config directive: generic pages for ``model``, driven by its field metadata.

    Registers, under ``route_prefix`` (e.g. ``/contacts``), the routes ``<list_name>``
    (``<prefix>/``: search, filters, sort, pages, column choice, saved filters),
    ``<name>_new``, ``<name>`` (``<prefix>/{id}``), ``<name>_edit``, ``<name>_delete``,
    ``<list_name>_export`` (CSV or XLSX of the filtered list), ``<list_name>_columns``,
    ``<list_name>_filters``, ``<list_name>_filter_delete`` and ``<list_name>_relation_search``
    (``<prefix>/relations/<field>?q=``: choices of a relation field with many rows).
    ``list_name`` defaults to ``name + "s"``. The same spec makes the REST resource
    ``/api/v1/<list_name>`` (routes ``api_<list_name>`` and ``api_<name>``, see
    :mod:`jimucrm.core.api.resources`).

    ``permission`` is the prefix of the model's permissions (``contacts`` →
    ``contacts.view|create|edit|delete|export``), declared elsewhere (security's
    ``config.add_model_permissions``). Fields are the columns with ``info["label"]``
    (see :mod:`jimucrm.core.metadata`); ``list_columns`` and ``form_fields`` choose
    among them (default: every field that is ``list`` / ``form``), ``default_sort``
    names fields, ``-`` first for descending, ``title_field`` names a record
    (default: the first list column). ``owner`` is the column set to the current user
    on create (``None``: no owner). ``on_created(request, record)`` and
    ``on_updated(request, record)`` run in the request's transaction after the flush
    (an addon sends its domain events there). ``scope(request, statement, action)``
    replaces the record rules for a model with rules of its own (it must apply
    :class:`~jimucrm.core.interfaces.IRecordRules` itself: crm's leads add the
    public pool to what ``leads.claim`` holders read). ``editable=False`` leaves out
    the new, edit and delete pages and the API's POST, PATCH and DELETE (records an
    addon's own editor and state machine change: sales orders); ``detail=False`` leaves
    out the detail page, which the addon registers itself as route ``<name>`` (``id``
    in the path), so the list links to it. ``api_detail(request, record)`` returns
    extra members of the API's one-record GET, described by ``api_detail_schema``
    (``{"lines": {...JSON schema...}}``). ``clean(request, values, record)`` checks
    what the field metadata cannot (one field against another: a period's end not
    before its start) and returns errors by field name; ``values`` are the checked values
    sent, ``record`` the one edited (None on create). Returns the :class:`ModelViews`.
    """
    fields = fields_of(model)
    if not fields:
        raise MetadataError(f"{model.__name__}: no column carries info['label']")
    columns = _checked_names(
        fields, list_columns if list_columns is not None
        else [item.name for item in fields if item.list_default], "list_columns", model)
    form = _checked_names(
        fields, form_fields if form_fields is not None
        else [item.name for item in fields if item.in_form], "form_fields", model)
    sort = _checked_names(fields, default_sort or (), "default_sort", model)
    for entry in sort:
        if not fields_by_name(fields)[entry.lstrip("-")].sortable:
            raise MetadataError(f"{model.__name__}: default_sort names {entry}, which is "
                                f"not sortable")
    mapper = inspect(model)
    if len(mapper.primary_key) != 1:
        raise MetadataError(f"{model.__name__}: model views need a one-column primary key")
    id_attr = mapper.get_property_by_column(mapper.primary_key[0]).key
    if owner is not None and owner not in mapper.columns:
        raise MetadataError(f"{model.__name__}: no owner column {owner!r}")
    spec = ModelViews(
        model=model, key=model.__tablename__, name=name, list_name=list_name or f"{name}s",
        route_prefix=route_prefix.rstrip("/"), permission=permission, title=title,
        item_title=item_title, fields=fields, id_attr=id_attr, list_columns=columns,
        form_fields=form,
        default_sort=sort, title_field=title_field or columns[0], owner=owner,
        page_size=page_size, on_created=on_created, on_updated=on_updated, scope=scope,
        editable=editable, detail=detail, api_detail=api_detail,
        api_detail_schema=api_detail_schema, clean=clean,
        addon=config.registry.getUtility(IAddonCatalogue).addon_of(config.package_name),
    )
    config.add_ui_slot(spec.list_slot,
                       f"The list of {model.__name__}: panels above its search (the spec "
                       f"is passed as ``spec``).")
    if detail:
        config.add_ui_slot(spec.detail_slot,
                           f"The detail page of {model.__name__}: panels below its fields "
                           f"(the record is passed as ``record``).")
    _add_routes(config, spec)

    def register() -> None:
        config.registry.jimu_model_views[spec.key] = spec

    config.action(("jimu.model_views", spec.key), register)
    from .views import add_views  # the views import this module

    add_views(config, spec)
    from ..api.resources import add_resource  # the REST resource, from the same spec

    add_resource(config, spec)
    return spec


def fields_by_name(fields: tuple[Field, ...]) -> dict[str, Field]:
    return {item.name: item for item in fields}


def _add_routes(config: Configurator, spec: ModelViews) -> None:
    prefix = spec.route_prefix
    # Fixed paths before ``{id}``; ids are digits only, anything else is no route.
    paths = (("list", "/"), ("new", "/new"), ("export", "/export"), ("columns", "/columns"),
             ("filters", "/filters"), ("filter_delete", "/filters/{id:\\d+}/delete"),
             ("relation_search", "/relations/{field}"), ("detail", "/{id:\\d+}"),
             ("edit", "/{id:\\d+}/edit"), ("delete", "/{id:\\d+}/delete"))
    for action, path in paths:
        if action in spec.actions:
            config.add_route(spec.route(action), prefix + path)


def model_views(registry: Registry, key: str) -> ModelViews | None:
    """The registered views of the model whose table is ``key``, or None."""
    return registry.jimu_model_views.get(key)


