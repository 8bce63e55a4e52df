"""The generic pages of a model: list, form (new and edit), detail, delete, export.

Every query goes through :class:`~jimucrm.core.interfaces.IRecordRules` (read
for list, detail and export; write for edit and delete: a record out of reach
is a 404, the same answer as no record) and every field through
:class:`~jimucrm.core.interfaces.IFieldAccess`: a field the user may not read
is in no page or file, one they may not write is shown read-only and never
taken from what was posted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from ..events import RecordsExported, notify
from ..i18n import _
from ..interfaces import IFieldAccess, IRecordRules
from ..metadata import Field, validate
from ..metadata.fields import BOOLEAN, CHOICE, DATETIME
from ..pagination import paginate
from ..panels import RECORD_DETAIL
from .conflicts import save
from .export import FORMATS, csv_body, xlsx_body
from .listing import (
    ListState,
    apply_state,
    column_value,
    filter_params,
    list_state,
    order_by,
    readable_fields,
)
from .models import ListColumns, SavedFilter
from .relations import Labels, check, options, search
from .spec import ModelViews

TEMPLATES = "jimucrm.core.modelviews:templates"
MAX_EXPORT_ROWS = 20_000
MAX_ID_DIGITS = 18
FILTER_NAME_LENGTH = 100


# -- helpers the templates use -------------------------------------------------------
class Page:
    """What a template needs besides the data: URLs, permissions, formatted values."""

    def __init__(self, spec: ModelViews, request: Request) -> None:
        self.spec = spec
        self.request = request
        self.translate = request.localizer.translate
        # Labels of the relation fields of the rows on the page (see ``load``).
        self.labels = Labels()

    def load(self, fields, rows) -> Page:
        """Load the labels of ``fields``' relations for ``rows``: one query per field."""
        self.labels.load(self.request, self.spec.model, fields, rows)
        return self

    def url(self, action: str, _query: dict | None = None, **parts: Any) -> str:
        return self.request.route_url(self.spec.route(action), _query=_query or {}, **parts)

    def record_url(self, action: str, record: Any) -> str:
        return self.url(action, id=getattr(record, self.spec.id_attr))

    def can(self, action: str) -> bool:
        if action in ("create", "edit", "delete") and not self.spec.editable:
            return False
        return bool(self.request.has_permission(self.spec.can(action)))

    def can_change(self, record: Any, action: str) -> bool:
        """The user holds ``action`` (edit/delete) and may write this record."""
        return self.can(action) and self.request.find_service(IRecordRules).allows(
            self.request, record, "write")

    def show(self, record: Any, item: Field) -> str:
        """The value of ``item`` as text for a page or a file."""
        if item.relation is not None:
            return self.labels.text(item, getattr(record, item.name))
        return display(item, getattr(record, item.name), self.translate)

    def title_of(self, record: Any, readable: tuple[Field, ...]) -> str:
        """What names ``record``: its title field if readable, else ``#id``."""
        if any(item.name == self.spec.title_field for item in readable):
            text = str(getattr(record, self.spec.title_field) or "")
            if text:
                return text
        return f"#{getattr(record, self.spec.id_attr)}"

    def sort_url(self, params: dict, item: Field) -> str:
        """The list sorted by ``item``: ascending, or descending when it already is."""
        query = dict(params)
        query["sort"] = f"-{item.name}" if params.get("sort") == item.name else item.name
        return self.url("list", _query=query)

    def t(self, message: Any) -> str:
        return self.translate(message) if message else ""


def display(item: Field, value: Any, translate) -> str:
    """``value`` of ``item`` as a person reads it."""
    if value is None:
        return ""
    if item.kind == BOOLEAN:
        return translate(_("Yes") if value else _("No"))
    if item.kind == CHOICE:
        label = item.choice_label(str(getattr(value, "value", value)))
        return translate(label) if label is not None else str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value.tzinfo \
            else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def input_value(item: Field, value: Any) -> Any:
    """``value`` as a form input holds it."""
    if value is None:
        return ""
    if item.kind == BOOLEAN:
        return bool(value)
    if item.kind == DATETIME and isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(getattr(value, "value", value))


# -- loading --------------------------------------------------------------------------
def _record(spec: ModelViews, request: Request, action: str) -> Any:
    """The record named in the URL if the user may reach it for ``action``, else 404."""
    raw = request.matchdict["id"]
    if len(raw) > MAX_ID_DIGITS:
        raise HTTPNotFound()
    model = spec.model
    query = select(model).where(getattr(model, spec.id_attr) == int(raw))
    query = spec.scoped(request, query, action)
    record = request.dbsession.scalars(query).one_or_none()
    # Out of the user's records is the same answer as no such record: no probing.
    if record is None:
        raise HTTPNotFound()
    return record


def _user_id(request: Request) -> int:
    return request.identity.user_id


def visible_columns(request: Request, spec: ModelViews,
                    readable: tuple[Field, ...]) -> tuple[Field, ...]:
    """The list columns the user chose (or the defaults), that they may read."""
    chosen = request.dbsession.scalar(select(ListColumns.columns).where(
        ListColumns.user_id == _user_id(request), ListColumns.view == spec.key))
    names = chosen if chosen else spec.list_columns
    by_name = {item.name: item for item in readable}
    columns = tuple(by_name[name] for name in names if name in by_name)
    return columns or readable[:1]


# -- list -----------------------------------------------------------------------------
def _list_data(spec: ModelViews, request: Request, state: ListState,
               readable: tuple[Field, ...]) -> dict:
    model = spec.model
    query = spec.scoped(request, select(model), "read")
    query = apply_state(query, spec, state, readable)
    total = request.dbsession.scalar(select(func.count()).select_from(query.subquery()))
    page = paginate(request.params, total, spec.page_size)
    rows = request.dbsession.scalars(
        order_by(query, spec, state).limit(page.size).offset(page.offset)).all()
    saved = request.dbsession.scalars(select(SavedFilter).where(
        SavedFilter.user_id == _user_id(request), SavedFilter.view == spec.key)
        .order_by(SavedFilter.name)).all()
    params = state.params()
    columns = visible_columns(request, spec, readable)
    filters = [(item, filter_params(item)) for item in readable if item.filterable]
    return {
        "view": Page(spec, request).load(columns, rows), "spec": spec, "rows": rows,
        "state": state,
        "params": params, "total": total, "page": page.number, "pages": page.pages,
        "columns": columns, "column_names": {item.name for item in columns},
        "readable": readable, "saved": saved, "filters": filters,
        # A relation filter is a select while its target is small, an id input beyond.
        "filter_options": {item.name: options(request, spec.model, item)
                           for item, _params in filters if item.relation is not None},
        "searchable": [item for item in readable if item.search],
        "panels": request.panels(spec.list_slot, spec=spec),
        "filter_name": "", "filter_error": None,
    }


def list_view(spec: ModelViews, request: Request) -> dict:
    """The list: search, filters, sortable headers, pages, columns, saved filters."""
    readable = readable_fields(request, spec)
    return _list_data(spec, request, list_state(request.params, spec, readable), readable)


def columns_view(spec: ModelViews, request: Request):
    """Save the columns the user chose for this list (none chosen: back to defaults)."""
    readable = readable_fields(request, spec)
    allowed = {item.name for item in readable}
    chosen = [name for name in request.POST.getall("columns") if name in allowed]
    chosen = [item.name for item in spec.fields if item.name in chosen]  # declaration order
    user_id = _user_id(request)
    if chosen:
        statement = insert(ListColumns).values(user_id=user_id, view=spec.key, columns=chosen)
        request.dbsession.execute(statement.on_conflict_do_update(
            index_elements=[ListColumns.user_id, ListColumns.view],
            set_={"columns": statement.excluded.columns}))
    else:
        request.dbsession.execute(delete(ListColumns).where(
            ListColumns.user_id == user_id, ListColumns.view == spec.key))
    state = list_state(request.POST, spec, readable)
    return HTTPSeeOther(request.route_url(spec.route("list"), _query=state.params()))


def save_filter_view(spec: ModelViews, request: Request):
    """Save the list's current search, filters and sort under a name (same name: replace)."""
    readable = readable_fields(request, spec)
    state = list_state(request.POST, spec, readable)
    name = request.POST.get("filter_name", "").strip()
    error = None
    if not name:
        error = _("Give the filter a name.")
    elif len(name) > FILTER_NAME_LENGTH:
        error = _("At most ${limit} characters.", mapping={"limit": FILTER_NAME_LENGTH})
    elif not state.params():
        error = _("Search or filter the list first: there is nothing to save.")
    if error is not None:
        request.response.status_int = 400
        data = _list_data(spec, request, state, readable)
        data.update(filter_name=name, filter_error=error)
        return render_list(request, data)
    statement = insert(SavedFilter).values(user_id=_user_id(request), view=spec.key,
                                           name=name, params=state.params())
    request.dbsession.execute(statement.on_conflict_do_update(
        index_elements=[SavedFilter.user_id, SavedFilter.view, SavedFilter.name],
        set_={"params": statement.excluded.params}))
    request.session.flash(request.localizer.translate(
        _("Filter ${name} saved.", mapping={"name": name})))
    return HTTPSeeOther(request.route_url(spec.route("list"), _query=state.params()))


def delete_filter_view(spec: ModelViews, request: Request):
    """Delete one of the user's saved filters of this list."""
    raw = request.matchdict["id"]
    if len(raw) > MAX_ID_DIGITS:
        raise HTTPNotFound()
    deleted = request.dbsession.execute(delete(SavedFilter).where(
        SavedFilter.id == int(raw), SavedFilter.user_id == _user_id(request),
        SavedFilter.view == spec.key).returning(SavedFilter.id)).first()
    if deleted is None:
        raise HTTPNotFound()
    return HTTPSeeOther(request.route_url(spec.route("list")))


def render_list(request: Request, data: dict) -> Response:
    from pyramid.renderers import render_to_response

    return render_to_response(f"{TEMPLATES}/list.pt", data, request=request,
                              response=request.response)


# -- export ---------------------------------------------------------------------------
def export_view(spec: ModelViews, request: Request) -> Response:
    """The filtered, sorted list (the user's columns) as CSV or XLSX; audited."""
    kind = request.params.get("format", "csv")
    if kind not in FORMATS:
        raise HTTPBadRequest()
    readable = readable_fields(request, spec)
    state = list_state(request.params, spec, readable)
    model = spec.model
    query = spec.scoped(request, select(model), "read")
    query = order_by(apply_state(query, spec, state, readable), spec, state)
    rows = request.dbsession.scalars(query.limit(MAX_EXPORT_ROWS + 1)).all()
    truncated = len(rows) > MAX_EXPORT_ROWS
    rows = rows[:MAX_EXPORT_ROWS]
    columns = visible_columns(request, spec, readable)
    translate = request.localizer.translate
    page = Page(spec, request).load(columns, rows)
    header = ["ID", *(translate(item.label) for item in columns)]
    typed = kind == "xlsx"  # spreadsheets keep numbers and dates; CSV is text anyway
    table = ([getattr(row, spec.id_attr), *(
        _typed(item, getattr(row, item.name), translate)
        if typed and item.relation is None else page.show(row, item) for item in columns)]
        for row in rows)
    title = translate(spec.title)
    body = xlsx_body(title, header, table) if typed else csv_body(header, table)
    notify(request.registry, RecordsExported(request, spec.key, len(rows), kind,
                                             state.params(), truncated),
           request.tenant.addons)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    response = Response(body=body, content_type=FORMATS[kind],
                        content_disposition=f'attachment; filename="{spec.key}-{stamp}.{kind}"')
    if kind == "csv":
        response.charset = "utf-8"
    response.cache_control = "no-store"
    return response


def _typed(item: Field, value: Any, translate) -> Any:
    """A spreadsheet cell's value: numbers and dates keep their type."""
    if isinstance(value, int | float | Decimal | date) and not isinstance(value, bool) \
            and item.kind not in (BOOLEAN, CHOICE):
        return value
    return display(item, value, translate)


# -- form -----------------------------------------------------------------------------
def _form_fields(spec: ModelViews, request: Request) -> list[tuple[Field, bool]]:
    """(field, writable) for the form's fields the user may read."""
    access = request.find_service(IFieldAccess)
    found = []
    for name in spec.form_fields:
        item = spec.field(name)
        if access.readable(request, spec.model, name):
            found.append((item, access.writable(request, spec.model, name)))
    return found


def _submitted(item: Field, params) -> Any:
    if item.kind == BOOLEAN:
        return params.get(item.name) in ("1", "on", "true")
    return str(params.get(item.name, ""))


def form_view(spec: ModelViews, request: Request, record: Any = None):
    """New (``record`` None) or edit: server-side validation, errors beside each field."""
    fields = _form_fields(spec, request)
    writable = tuple(item for item, can_write in fields if can_write)
    current = {item.name: input_value(item, getattr(record, item.name, None)
                                      if record is not None else _default(spec, item))
               for item, _can_write in fields}
    page = Page(spec, request)
    if record is not None:
        page.load([item for item, _can_write in fields], [record])
    heading = page.title_of(record, readable_fields(request, spec)) if record is not None \
        else None
    data = {"view": page, "spec": spec, "record": record, "fields": fields,
            "values": current, "errors": {}, "heading": heading,
            # (id, label) choices of writable relations; None: too many, an id input.
            "choices": {item.name: options(request, spec.model, item)
                        for item in writable if item.relation is not None}}
    if request.method != "POST":
        return data
    submitted = {item.name: _submitted(item, request.POST) for item in writable}
    result = validate(f"{spec.model.__name__}Form", writable, submitted)
    if record is None:
        # A required field the user may not set: they cannot create such a record.
        for name in spec.form_fields:
            item = spec.field(name)
            if item.required and item not in writable:
                result.errors[name] = _("You may not fill in this field, so you cannot "
                                        "create this record.")
    if result.valid:
        # A forged id (another tenant's, out of the user's records, none) is a field
        # error here, never a foreign-key violation at the flush.
        result.errors.update(check(request, spec.model, writable, result.values, record))
    if result.valid and spec.clean is not None:
        result.errors.update(spec.clean(request, result.values, record))
    if not result.valid:
        request.response.status_int = 400
        data["values"] = {**current, **submitted}
        data["errors"] = result.errors
        return data
    values = {name: column_value(spec.model, spec.field(name), value)
              for name, value in result.values.items()}
    creating = record is None
    if creating:
        record = spec.model(**values)
        if spec.owner is not None:
            setattr(record, spec.owner, _user_id(request))

        def change() -> None:
            request.dbsession.add(record)
    else:
        def change() -> None:
            for name, value in values.items():
                setattr(record, name, value)
    taken = save(request, spec, set(values), change)
    if taken:
        # The savepoint's rollback undid the change (a new record left the session,
        # an edited one has its stored values again).
        request.response.status_int = 400
        data["values"] = {**current, **submitted}
        data["errors"] = taken
        return data
    hook = spec.on_created if creating else spec.on_updated
    if hook is not None:
        hook(request, record)
    request.session.flash(request.localizer.translate(
        _("${name} saved.", mapping={"name": page.title_of(record, readable_fields(
            request, spec))})))
    return HTTPSeeOther(page.record_url("detail", record))


def _default(spec: ModelViews, item: Field) -> Any:
    """The column's Python-side default, for a new record's form."""
    column = spec.model.__table__.columns[item.name]
    default = column.default
    if default is not None and default.is_scalar:
        return default.arg
    return None


def new_view(spec: ModelViews, request: Request):
    return form_view(spec, request)


def edit_view(spec: ModelViews, request: Request):
    return form_view(spec, request, _record(spec, request, "write"))


# -- detail and delete ----------------------------------------------------------------
def detail_view(spec: ModelViews, request: Request) -> dict:
    """The record's readable fields, and the panels addons put in its detail slot and in
    the slot of every record's page."""
    record = _record(spec, request, "read")
    readable = readable_fields(request, spec)
    panels = request.panels(spec.detail_slot, record=record) + request.panels(
        RECORD_DETAIL, record=record, spec=spec)
    return {"view": Page(spec, request).load(readable, [record]), "spec": spec,
            "record": record, "fields": readable, "panels": panels}


def delete_view(spec: ModelViews, request: Request):
    """GET: ask to confirm; POST: delete the record (refused while others refer to it)."""
    record = _record(spec, request, "write")
    page = Page(spec, request)
    readable = readable_fields(request, spec)
    data = {"view": page, "spec": spec, "record": record, "readable": readable, "error": None}
    if request.method != "POST":
        return data
    title = page.title_of(record, readable)
    try:
        # In a savepoint: a refused delete leaves the request's transaction usable.
        with request.dbsession.begin_nested():
            request.dbsession.delete(record)
            request.dbsession.flush()
    except IntegrityError:
        request.response.status_int = 409
        data["error"] = _("Other records refer to this one, so it cannot be deleted.")
        return data
    request.session.flash(request.localizer.translate(
        _("${name} deleted.", mapping={"name": title})))
    return HTTPSeeOther(page.url("list"))


# -- relation search -----------------------------------------------------------------
def relation_search_view(spec: ModelViews, request: Request) -> Response:
    """``<option>`` elements for a relation input's datalist (htmx, large targets)."""
    name = request.matchdict["field"]
    item = spec.field(name)
    if item is None or item.relation is None or name not in spec.form_fields or \
            not request.find_service(IFieldAccess).readable(request, spec.model, name):
        raise HTTPNotFound()
    from pyramid.renderers import render_to_response

    found = search(request, spec.model, item, str(request.params.get("q", "")))
    return render_to_response(f"{TEMPLATES}/options.pt", {"options": found}, request=request)


# -- registration ---------------------------------------------------------------------
VIEWS = (
    # (view, route action, permission action, template, methods)
    (list_view, "list", "view", "list", ("GET",)),
    (export_view, "export", "export", None, ("GET",)),
    (columns_view, "columns", "view", None, ("POST",)),
    (save_filter_view, "filters", "view", None, ("POST",)),
    (delete_filter_view, "filter_delete", "view", None, ("POST",)),
    (relation_search_view, "relation_search", "view", None, ("GET",)),
    (new_view, "new", "create", "form", ("GET", "POST")),
    (detail_view, "detail", "view", "detail", ("GET",)),
    (edit_view, "edit", "edit", "form", ("GET", "POST")),
    (delete_view, "delete", "delete", "delete", ("GET", "POST")),
)


def add_views(config: Configurator, spec: ModelViews) -> None:
    """Register the generic views of ``spec`` (called by ``config.add_model_views``)."""
    for function, route, permission, template, methods in VIEWS:
        if route not in spec.actions:
            continue

        def view(request: Request, function=function):
            return function(spec, request)

        view.__name__ = f"{spec.name}_{function.__name__}"
        view.__doc__ = function.__doc__
        config.add_view(view, route_name=spec.route(route), permission=spec.can(permission),
                        tenant=True, request_method=methods,
                        renderer=f"{TEMPLATES}/{template}.pt" if template else None)
