"""``GET /api/v1/openapi.json``: the OpenAPI 3 document of the generated REST API.

Built per request from the same registrations and field metadata as the
endpoints (:func:`jimucrm.core.api.resources.api_fields`), so it cannot drift
from them. It describes what the caller can use: models of the addons the
tenant has enabled, the operations whose permission the caller holds, and the
fields the caller may read (``readOnly`` when they may not write them). It needs
``api.me`` like every API endpoint: it names the tenant's models and fields,
which are not for anonymous callers, and a token scoped to ``api.me`` alone can
still fetch it to learn what to ask for.
"""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from ..i18n import _
from ..metadata import Field
from ..metadata.fields import (
    BOOLEAN,
    CHOICE,
    DATE,
    DATETIME,
    DECIMAL,
    INTEGER,
    NUMBER,
    STRING,
    TEXT,
)
from .errors import CODES, CSRF_FAILED
from .resources import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    ApiField,
    api_fields,
    api_path,
    filter_operators,
    operations,
)

OPENAPI_VERSION = "3.0.3"
API_ME = "api.me"
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _schema_name(spec) -> str:
    return spec.model.__name__


def field_schema(item: Field, translate, *, nullable: bool = True) -> dict[str, Any]:
    """The JSON schema of one field's value."""
    schema: dict[str, Any]
    if item.kind in (STRING, TEXT):
        schema = {"type": "string"}
        if item.max_length:
            schema["maxLength"] = item.max_length
        if item.required:
            schema["minLength"] = 1
        if item.pattern:
            # A non-empty value must match in full; empty is allowed when not required.
            schema["pattern"] = f"^(?:{item.pattern})$" if item.required \
                else f"^(?:(?:{item.pattern})?)$"
    elif item.kind == CHOICE:
        schema = {"type": "string", "enum": [value for value, _label in item.choices or ()]}
    elif item.kind == INTEGER:
        schema = {"type": "integer"}
        if item.minimum is not None:
            schema.update(minimum=item.minimum, maximum=item.maximum)
    elif item.kind == DECIMAL:
        schema = {"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d+)?$"}
    elif item.kind == NUMBER:
        schema = {"type": "number"}
    elif item.kind == BOOLEAN:
        schema = {"type": "boolean"}
    elif item.kind == DATE:
        schema = {"type": "string", "format": "date"}
    elif item.kind == DATETIME:
        schema = {"type": "string", "format": "date-time"}
    else:  # pragma: no cover - fields_of knows no other kind
        raise ValueError(item.kind)
    schema["title"] = translate(item.label)
    if item.help:
        schema["description"] = translate(item.help)
    if item.relation is not None:
        # The id of a row of another model; the extension names it for generators.
        schema["minimum"] = 1
        schema["x-jimu-relation"] = {"table": item.relation.table, "key": item.relation.key,
                                     "label": item.relation.label}
        target = translate(_("The id of a record of ${table}.",
                             mapping={"table": item.relation.table}))
        schema["description"] = f"{schema['description']} {target}" if item.help else target
    # Empty text is "", except in encrypted columns, which hold null rather than the
    # ciphertext (and blind index) of nothing.
    if nullable and not item.required and (item.kind not in (STRING, TEXT, BOOLEAN)
                                           or item.encrypted):
        schema["nullable"] = True
    return schema


def _record_schema(spec, fields: tuple[ApiField, ...], translate) -> dict[str, Any]:
    properties: dict[str, Any] = {"id": {"type": "integer", "readOnly": True,
                                         "minimum": 1}}
    for entry in fields:
        schema = field_schema(entry.field, translate)
        if not entry.writable:
            schema["readOnly"] = True
        properties[entry.name] = schema
    for name, schema in (spec.api_detail_schema or {}).items():
        properties[name] = {**schema, "readOnly": True}  # in the one-record GET only
    return {"type": "object", "title": translate(spec.item_title), "properties": properties,
            "required": ["id", *(entry.name for entry in fields if entry.field.required)]}


def _input_schema(fields: tuple[ApiField, ...], translate, creating: bool) -> dict[str, Any]:
    writable = [entry for entry in fields if entry.writable]
    schema: dict[str, Any] = {
        "type": "object", "additionalProperties": False,
        "properties": {entry.name: field_schema(entry.field, translate) for entry in writable}}
    required = [entry.name for entry in writable if entry.field.required]
    if creating and required:
        schema["required"] = required
    return schema


def _list_parameters(spec, fields: tuple[ApiField, ...], translate) -> list[dict[str, Any]]:
    sortable = [entry.name for entry in fields if entry.field.sortable]
    parameters: list[dict[str, Any]] = [
        {"name": "limit", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                    "default": DEFAULT_LIMIT}},
        {"name": "cursor", "in": "query", "required": False,
         "description": translate(_("The next_cursor of the previous page.")),
         "schema": {"type": "string", "maxLength": 2048}},
    ]
    if sortable:
        keys = "|".join(sortable)
        parameters.append({
            "name": "sort", "in": "query", "required": False,
            "description": translate(_("Fields to sort by, separated by commas; a leading - "
                                       "sorts descending.")),
            "schema": {"type": "string", "pattern": f"^-?({keys})(,-?({keys})){{0,2}}$"}})
    if any(entry.field.search for entry in fields):
        parameters.append({"name": "q", "in": "query", "required": False,
                           "description": translate(_("Search term.")),
                           "schema": {"type": "string", "maxLength": 100}})
    for entry in fields:
        for op in filter_operators(entry.field):
            if op == "prefix":
                schema: dict[str, Any] = {"type": "string", "maxLength": 100}
            elif entry.field.kind == DATETIME:
                schema = {"type": "string"}  # a date, or a date and time
            else:
                schema = field_schema(entry.field, translate, nullable=False)
                for key in ("title", "description", "minLength"):
                    schema.pop(key, None)
            parameters.append({
                "name": entry.name if op == "eq" else f"{entry.name}__{op}", "in": "query",
                "required": False, "schema": schema,
                "description": translate(entry.field.label) + ("" if op == "eq" else f" ({op})")})
    return parameters


def _error_responses(*statuses: int) -> dict[str, Any]:
    return {str(status): {"description": CODES[status],
                          "content": {"application/json": {"schema": ERROR_REF}}}
            for status in statuses}


def _operations(spec, fields, request: Request) -> dict[str, dict[str, Any]]:
    translate = request.localizer.translate
    name = _schema_name(spec)
    ref = {"$ref": f"#/components/schemas/{name}"}
    title = translate(spec.title)
    item_title = translate(spec.item_title)
    paths: dict[str, dict[str, Any]] = {}
    id_parameter = {"name": "id", "in": "path", "required": True,
                    "schema": {"type": "integer", "minimum": 1}}
    for _view, kind, method, action, _renderer in operations(spec):
        if not request.has_permission(spec.can(action)):
            continue
        operation: dict[str, Any] = {"operationId": f"{action}_{spec.name}"
                                     if kind == "item" or action != "view"
                                     else f"list_{spec.list_name}",
                                     "tags": [title], "x-permission": spec.can(action)}
        if kind == "list" and method == "GET":
            operation.update(summary=title, parameters=_list_parameters(spec, fields, translate))
            operation["responses"] = {"200": {"description": title, "content": {
                "application/json": {"schema": {
                    "$ref": f"#/components/schemas/{name}List"}}}},
                **_error_responses(400, 401, 403)}
        elif method == "POST":
            operation["summary"] = item_title
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{name}Create"}}}}
            operation["responses"] = {"201": {
                "description": item_title, "headers": {"Location": {"schema": {
                    "type": "string"}}},
                "content": {"application/json": {"schema": ref}}},
                **_error_responses(400, 401, 403, 415, 422)}
        elif method == "GET":
            operation.update(summary=item_title, parameters=[id_parameter])
            operation["responses"] = {"200": {"description": item_title, "content": {
                "application/json": {"schema": ref}}}, **_error_responses(401, 403, 404)}
        elif method == "PATCH":
            operation.update(summary=item_title, parameters=[id_parameter])
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{name}Update"}}}}
            operation["responses"] = {"200": {"description": item_title, "content": {
                "application/json": {"schema": ref}}},
                **_error_responses(400, 401, 403, 404, 415, 422)}
        else:
            operation.update(summary=item_title, parameters=[id_parameter])
            operation["responses"] = {"204": {"description": item_title},
                                      **_error_responses(401, 403, 404, 409)}
        paths.setdefault(api_path(spec, kind), {})[method.lower()] = operation
    return paths


def document(request: Request) -> dict[str, Any]:
    """The OpenAPI document for the request's caller and tenant."""
    translate = request.localizer.translate
    schemas: dict[str, Any] = {"Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {
                "code": {"type": "string",
                         "enum": sorted({*CODES.values(), CSRF_FAILED, "error"})},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}}}}
    paths: dict[str, Any] = {}
    addons = request.tenant.addons
    for spec in sorted(request.registry.jimu_model_views.values(), key=lambda s: s.list_name):
        if spec.addon is not None and spec.addon not in addons:
            continue
        fields = api_fields(request, spec)
        operations = _operations(spec, fields, request)
        if not operations:
            continue
        paths.update(operations)
        name = _schema_name(spec)
        schemas[name] = _record_schema(spec, fields, translate)
        schemas[f"{name}Create"] = _input_schema(fields, translate, creating=True)
        schemas[f"{name}Update"] = _input_schema(fields, translate, creating=False)
        schemas[f"{name}List"] = {
            "type": "object", "required": ["items", "next_cursor"],
            "properties": {"items": {"type": "array", "items": {
                "$ref": f"#/components/schemas/{name}"}},
                "next_cursor": {"type": "string", "nullable": True}}}
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": translate(_("Jimu CRM API")), "version": "1",
                 "description": translate(_(
                     "The records this caller may reach, generated from the field metadata. "
                     "Errors share one shape; lists page with next_cursor."))},
        "servers": [{"url": request.application_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": translate(_("An API token made on the account page."))}}},
    }


@view_config(route_name="api_openapi", tenant=True, permission=API_ME, request_method="GET",
             renderer="json")
def openapi_view(request: Request) -> dict[str, Any]:
    return document(request)


__all__ = ["document", "field_schema"]
