"""REST resources generated for every model registered with ``config.add_model_views``.

For a model whose views are listed as ``contacts`` (the spec's ``list_name``)::

    GET    /api/v1/contacts        list: filters, sort, cursor pages   <prefix>.view
    POST   /api/v1/contacts        create (201, Location)              <prefix>.create
    GET    /api/v1/contacts/{id}   one record                         <prefix>.view
    PATCH  /api/v1/contacts/{id}   change the fields sent             <prefix>.edit
    DELETE /api/v1/contacts/{id}   delete (204)                       <prefix>.delete

Everything the HTML pages apply applies here: record rules (read scope for GET,
write scope for PATCH and DELETE; a record out of reach is a 404, like no
record), field access (an unreadable field is in no response and no filter; a
field the user may not write is refused with 422 naming it), the same pydantic
validation with translated per-field messages, the owner set to the caller on
create, and the spec's ``on_created``/``on_updated`` hooks (so the domain events
an addon sends from them fire for API writes too).

Fields are read through :func:`api_fields`, the one place the API learns a
model's fields, so the OpenAPI document (:mod:`.openapi`) always says what the
endpoints do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPNoContent
from pyramid.request import Request
from sqlalchemy import Date, Select, and_, cast, or_, select
from sqlalchemy.exc import IntegrityError

from ..i18n import _
from ..interfaces import IFieldAccess
from ..metadata import EXACT, PREFIX, Field, validate
from ..metadata.fields import BOOLEAN, CHOICE, DATE, DATETIME, DECIMAL, INTEGER, NUMBER
from ..metadata.search import matches_term, starts_with
from ..modelviews.conflicts import save
from ..modelviews.relations import check as check_relations
from ..urls import parse_id
from .base import API_PREFIX
from .cursor import CursorError, decode_cursor, encode_cursor
from .errors import api_error

API_V1 = API_PREFIX + "/v1"
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
MAX_TERM, MAX_VALUE = 100, 200
MAX_SORT_KEYS = 3
# Query parameters of a list that are not filters.
LIST_PARAMS = ("limit", "cursor", "sort", "q")
# Names under /api/v1/ that are not generated resources.
RESERVED = frozenset({"me", "token", "openapi.json"})
JSON_TYPES = ("application/json", "application/merge-patch+json")

# Filter operators: ``field`` (or ``field__eq``), ``field__gte``… and what allows each.
EQ, PREFIX_OP = "eq", "prefix"
RANGE_OPS = {"gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__"}

UNKNOWN_FIELD = _("There is no such field.")
NOT_WRITABLE = _("You may not change this field.")
SYSTEM_FIELD = _("This field is set by the system.")
CANNOT_CREATE = _("You may not fill in this field, so you cannot create this record.")
UNKNOWN_PARAM = _("Unknown parameter.")
BAD_VALUE = _("This value is not valid.")


# -- fields -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ApiField:
    """A field as the caller meets it in the API: readable, and whether writable."""

    field: Field
    writable: bool

    @property
    def name(self) -> str:
        return self.field.name


def api_fields(request: Request, spec) -> tuple[ApiField, ...]:
    """The fields of ``spec``'s model the caller may read, each marked writable or not.

    Writable means: on the model's form (values the system sets are not) and
    writable for the caller under the field rules.
    """
    access = request.find_service(IFieldAccess)
    found = []
    for item in spec.fields:
        if not access.readable(request, spec.model, item.name):
            continue
        writable = item.name in spec.form_fields and access.writable(request, spec.model,
                                                                      item.name)
        found.append(ApiField(item, writable))
    return tuple(found)


def filter_operators(item: Field) -> tuple[str, ...]:
    """The operators a list may filter ``item`` by, as the metadata allows."""
    ops: list[str] = []
    if item.filterable or item.search == EXACT:
        ops.append(EQ)
    if item.search == PREFIX:
        ops.append(PREFIX_OP)
    if item.filterable and item.is_range:
        ops.extend(RANGE_OPS)
    return tuple(ops)


def json_value(record: Any, item: Field) -> Any:
    value = getattr(record, item.name)
    return getattr(value, "value", value)  # enum members as their value


def serialize(spec, record: Any, fields: tuple[ApiField, ...]) -> dict[str, Any]:
    """``record`` as the API shows it: its id and the caller's readable fields."""
    body = {"id": getattr(record, spec.id_attr)}
    body.update((entry.name, json_value(record, entry.field)) for entry in fields)
    return body


# -- list -------------------------------------------------------------------------------
def _bad(param: str, message=BAD_VALUE):
    return api_error(400, fields={param: message})


def _parse_filter(item: Field, op: str, raw: str) -> Any:
    """The filter value as the column compares it, or None when it does not parse."""
    try:
        if item.kind == INTEGER:
            number = int(raw)
            if (item.minimum is not None and number < item.minimum) or \
                    (item.maximum is not None and number > item.maximum):
                return None
            return number
        if item.kind in (DECIMAL, NUMBER):
            number = Decimal(raw)
            return number if number.is_finite() else None
        if item.kind == DATE:
            return date.fromisoformat(raw)
        if item.kind == DATETIME:
            return date.fromisoformat(raw) if len(raw) == 10 else datetime.fromisoformat(raw)
    except (ValueError, InvalidOperation):
        return None
    if item.kind == BOOLEAN:
        return {"true": True, "false": False, "1": True, "0": False}.get(raw.lower())
    if item.kind == CHOICE:
        return raw if raw in {value for value, _label in item.choices or ()} else None
    return raw


def _apply_filters(statement: Select, spec, request: Request,
                   fields: tuple[ApiField, ...]) -> Select:
    by_name = {entry.name: entry.field for entry in fields}
    model = spec.model
    for param in request.GET:
        if param in LIST_PARAMS:
            continue
        name, _sep, op = param.partition("__")
        op = op or EQ
        item = by_name.get(name)
        if item is None or op not in filter_operators(item):
            raise _bad(param, UNKNOWN_PARAM)
        values = request.GET.getall(param)
        if len(values) != 1:
            raise _bad(param)
        raw = values[0].strip()
        if len(raw) > MAX_VALUE:
            raise _bad(param)
        value = _parse_filter(item, op, raw)
        if value is None:
            raise _bad(param)
        column = getattr(model, name)
        if item.kind == DATETIME and not isinstance(value, datetime):
            column = cast(column, Date)
        if op == PREFIX_OP:
            statement = statement.where(starts_with(column, value))
        elif op == EQ:
            enum_class = getattr(column.type, "enum_class", None)
            statement = statement.where(column == (enum_class(value) if enum_class else value))
        else:
            statement = statement.where(getattr(column, RANGE_OPS[op])(value))
    term = request.GET.get("q", "").strip()
    if term:
        if len(term) > MAX_TERM:
            raise _bad("q")
        statement = statement.where(matches_term(model, by_name.values(), term))
    return statement


def _sort_keys(spec, request: Request, fields: tuple[ApiField, ...]) -> tuple[str, list]:
    """(the sort as given or defaulted, [(field, descending)]), checked against the metadata."""
    by_name = {entry.name: entry.field for entry in fields}
    raw = request.GET.get("sort", "").strip()
    entries = [part.strip() for part in raw.split(",")] if raw else []
    if not entries:
        entries = [key for key in spec.default_sort if key.lstrip("-") in by_name]
    if len(entries) > MAX_SORT_KEYS:
        raise _bad("sort")
    keys, seen = [], set()
    for entry in entries:
        name = entry[1:] if entry.startswith("-") else entry
        item = by_name.get(name)
        if item is None or not item.sortable or name in seen:
            raise _bad("sort")
        seen.add(name)
        keys.append((item, entry.startswith("-")))
    return ",".join(entries), keys


def _after(spec, keys: list, values: list[Any], last_id: int):
    """Rows after the cursor in the order (keys…, id), NULLs last in both directions."""
    model = spec.model
    id_column = getattr(model, spec.id_attr)
    # (k1 after v1) OR (k1 = v1 AND k2 after v2) OR … OR (all equal AND id > last id)
    options, equal = [], []
    for (item, descending), value in zip(keys, values, strict=True):
        column = getattr(model, item.name)
        if value is None:
            after = None  # nothing non-null comes after a NULL: NULLs are last
            same = column.is_(None)
        else:
            after = or_(column < value if descending else column > value, column.is_(None))
            same = column == value
        if after is not None:
            options.append(and_(*equal, after))
        equal.append(same)
    options.append(and_(*equal, id_column > last_id))
    return or_(*options)


def _cursor_key(request: Request) -> bytes:
    return request.registry.settings["jimu.secret_key"].encode()


def _limit(request: Request) -> int:
    raw = request.GET.get("limit", "")
    if not raw:
        return DEFAULT_LIMIT
    if not raw.isascii() or not raw.isdigit() or len(raw) > 3 or not 1 <= int(raw) <= MAX_LIMIT:
        raise _bad("limit", _("A whole number from 1 to ${limit}.", mapping={"limit": MAX_LIMIT}))
    return int(raw)


def list_resource(spec, request: Request) -> dict:
    """A page of records: ``items``, and ``next_cursor`` (null on the last page)."""
    fields = api_fields(request, spec)
    model = spec.model
    limit = _limit(request)
    sort, keys = _sort_keys(spec, request, fields)
    statement = spec.scoped(request, select(model), "read")
    statement = _apply_filters(statement, spec, request, fields)
    cursor = request.GET.get("cursor", "")
    if cursor:
        try:
            values, last_id = decode_cursor(_cursor_key(request), cursor, sort,
                                            [item for item, _desc in keys])
        except CursorError:
            raise _bad("cursor", _("This cursor is not valid for this list.")) from None
        statement = statement.where(_after(spec, keys, values, last_id))
    order = [(getattr(model, item.name).desc() if descending
              else getattr(model, item.name).asc()).nulls_last() for item, descending in keys]
    statement = statement.order_by(*order, getattr(model, spec.id_attr).asc())
    rows = request.dbsession.scalars(statement.limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = encode_cursor(_cursor_key(request), sort,
                                    [getattr(last, item.name) for item, _desc in keys],
                                    getattr(last, spec.id_attr))
    return {"items": [serialize(spec, row, fields) for row in rows], "next_cursor": next_cursor}


# -- one record -------------------------------------------------------------------------
def _record(spec, request: Request, action: str) -> Any:
    """The record named in the URL if the caller may reach it for ``action``, else 404."""
    record_id = parse_id(request.matchdict["id"])
    if record_id is None:
        raise api_error(404)
    model = spec.model
    statement = select(model).where(getattr(model, spec.id_attr) == record_id)
    statement = spec.scoped(request, statement, action)
    record = request.dbsession.scalars(statement).one_or_none()
    if record is None:  # out of reach answers like no such record: nothing to probe
        raise api_error(404)
    return record


def get_resource(spec, request: Request) -> dict:
    record = _record(spec, request, "read")
    body = serialize(spec, record, api_fields(request, spec))
    if spec.api_detail is not None:
        body.update(spec.api_detail(request, record))
    return body


def _body(request: Request) -> dict[str, Any]:
    """The request's JSON object: 415 for another content type, 400 when it is not JSON."""
    if request.content_type not in JSON_TYPES:
        raise api_error(415)
    try:
        data = json.loads(request.body.decode(request.charset or "utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise api_error(400, _("The body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise api_error(400, _("The body must be a JSON object."))
    return data


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _checked(spec, request: Request, data: dict[str, Any], creating: bool,
             current: Any = None) -> dict[str, Any]:
    """The clean values of ``data`` for the fields it names, or a 422 naming every problem."""
    fields = api_fields(request, spec)
    by_name = {entry.name: entry for entry in fields}
    hidden = {item.name for item in spec.fields} - set(by_name)
    errors: dict[str, Any] = {}
    for name in data:
        entry = by_name.get(name)
        if name in hidden:
            errors[name] = NOT_WRITABLE
        elif entry is None and name != "id":
            errors[name] = UNKNOWN_FIELD
        elif name == "id" or name not in spec.form_fields:
            errors[name] = SYSTEM_FIELD
        elif not entry.writable:
            errors[name] = NOT_WRITABLE
    for name, value in data.items():
        # What PostgreSQL cannot store as text (NUL, lone surrogates) is refused here,
        # not left to fail the statement.
        if isinstance(value, str) and not _storable(value):
            errors.setdefault(name, BAD_VALUE)
    sent = tuple(entry.field for entry in fields if entry.name in data and entry.writable
                 and entry.name in spec.form_fields)
    checked = sent
    if creating:
        # Required fields are checked whether sent or not; one the caller may not set
        # means they cannot create such a record.
        for entry in fields:
            if entry.field.required and entry.name in spec.form_fields:
                if entry.writable:
                    checked += (entry.field,) if entry.field not in checked else ()
                elif entry.name not in errors:
                    errors[entry.name] = CANNOT_CREATE
        for item in spec.fields:
            if item.required and item.name in hidden and item.name in spec.form_fields:
                errors.setdefault(item.name, CANNOT_CREATE)
    result = validate(f"{spec.model.__name__}Api", checked, data)
    for name, message in result.errors.items():
        errors.setdefault(name, message)
    if not errors:
        # Ids of related records must name rows the caller may reach: a 422, never
        # a foreign-key violation.
        errors.update(check_relations(request, spec.model, sent, result.values, current))
    if not errors and spec.clean is not None:
        errors.update(spec.clean(request, {item.name: result.values[item.name]
                                           for item in sent}, current))
    if errors:
        raise api_error(422, fields=errors)
    values = {}
    for item in sent:
        value = result.values[item.name]
        enum_class = getattr(getattr(spec.model, item.name).type, "enum_class", None)
        values[item.name] = enum_class(value) if enum_class and value is not None else value
    return values


def create_resource(spec, request: Request) -> dict:
    """Create a record from the JSON body: 201 with its URL in ``Location``."""
    values = _checked(spec, request, _body(request), creating=True)
    record = spec.model(**values)
    if spec.owner is not None:
        setattr(record, spec.owner, request.identity.user_id)
    taken = save(request, spec, set(values), lambda: request.dbsession.add(record))
    if taken:
        raise api_error(422, fields=taken)
    if spec.on_created is not None:
        spec.on_created(request, record)
    request.response.status_int = 201
    request.response.location = request.route_url(
        api_route(spec, "item"), id=getattr(record, spec.id_attr))
    return serialize(spec, record, api_fields(request, spec))


def update_resource(spec, request: Request) -> dict:
    """Change the fields the JSON body names; the others stay as they are."""
    record = _record(spec, request, "write")
    values = _checked(spec, request, _body(request), creating=False, current=record)
    def change() -> None:
        for name, value in values.items():
            setattr(record, name, value)

    taken = save(request, spec, set(values), change)
    if taken:
        raise api_error(422, fields=taken)
    if spec.on_updated is not None:
        spec.on_updated(request, record)
    return serialize(spec, record, api_fields(request, spec))


def delete_resource(spec, request: Request) -> HTTPNoContent:
    """Delete the record: 204; 409 while other records refer to it."""
    record = _record(spec, request, "write")
    try:
        with request.dbsession.begin_nested():  # a refused delete keeps the transaction
            request.dbsession.delete(record)
            request.dbsession.flush()
    except IntegrityError:
        raise api_error(409, _("Other records refer to this one, so it cannot be deleted.")) \
            from None
    return HTTPNoContent()


# -- registration -----------------------------------------------------------------------
def api_route(spec, kind: str) -> str:
    """Route name of the collection (``kind="list"``) or of one record (``"item"``)."""
    return f"api_{spec.list_name}" if kind == "list" else f"api_{spec.name}"


def api_path(spec, kind: str) -> str:
    base = f"{API_V1}/{spec.list_name}"
    return base if kind == "list" else base + "/{id}"


OPERATIONS = (
    # (view, route kind, method, permission action, renderer)
    (list_resource, "list", "GET", "view", "json"),
    (create_resource, "list", "POST", "create", "json"),
    (get_resource, "item", "GET", "view", "json"),
    (update_resource, "item", "PATCH", "edit", "json"),
    (delete_resource, "item", "DELETE", "delete", None),
)


def operations(spec) -> tuple:
    """The :data:`OPERATIONS` ``spec`` offers: reading only, when it is not editable."""
    return tuple(entry for entry in OPERATIONS if spec.editable or entry[3] == "view")


def add_resource(config: Configurator, spec) -> None:
    """Register the REST resource of ``spec`` (called by ``config.add_model_views``).

    Registered from the addon's own configurator, so the addon guard answers 404
    for tenants that have not enabled the addon, as for its pages.
    """
    if spec.list_name in RESERVED or spec.name in RESERVED:
        raise ValueError(f"{spec.model.__name__}: {spec.list_name!r} is reserved under "
                         f"{API_V1}/")
    config.add_route(api_route(spec, "list"), api_path(spec, "list"))
    config.add_route(api_route(spec, "item"), api_path(spec, "item"))
    for function, kind, method, action, renderer in operations(spec):
        def view(request: Request, function=function):
            return function(spec, request)

        view.__name__ = f"api_{spec.name}_{function.__name__}"
        view.__doc__ = function.__doc__
        config.add_view(view, route_name=api_route(spec, kind), request_method=method,
                        permission=spec.can(action), tenant=True, renderer=renderer)


__all__ = ["ApiField", "add_resource", "api_fields", "api_path", "api_route", "operations",
           "filter_operators", "serialize"]
