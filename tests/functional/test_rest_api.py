"""The REST API generated from model views (``/api/v1/<list>``), through contacts:
CRUD, filters, sort and cursor pages, permissions, record rules, field rules,
validation errors, and the OpenAPI document."""

from __future__ import annotations

import pytest
import schemathesis
import webtest
from openapi_spec_validator import validate as validate_spec
from sqlalchemy import select
from tenant_records import user_id as _user_id

from jimucrm.addons.contacts.models import Contact
from jimucrm.core.interfaces import IDatabase
from jimucrm.security.audit.models import AuditEntry
from jimucrm.security.rbac.models import Role, RoleFieldRule

ALL = ("api.me", "contacts.view", "contacts.create", "contacts.edit", "contacts.delete")


class Api:
    """A cookie-less client sending one token: what a script is."""

    def __init__(self, wsgi_app, tenant, token: str, language: str = "en") -> None:
        self.client = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
        self.base = f"{tenant.prefix}/api/v1"
        self.headers = {"Authorization": f"Bearer {token}", "Accept-Language": language}

    def get(self, path: str, params=None, status: int = 200):
        return self.client.get(self.base + path, params or {}, headers=self.headers,
                               status=status)

    def post(self, path: str, body, status: int = 201):
        return self.client.post_json(self.base + path, body, headers=self.headers,
                                     status=status)

    def patch(self, path: str, body, status: int = 200):
        return self.client.patch_json(self.base + path, body, headers=self.headers,
                                      status=status)

    def delete(self, path: str, status: int = 204):
        return self.client.delete(self.base + path, headers=self.headers, status=status)


def _add(registry, tenant, rows, owner: str | None = None) -> list[int]:
    owner_id = _user_id(registry, tenant, owner) if owner else None
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session, \
            session.begin():
        contacts = [Contact(owner_id=owner_id, **row) for row in rows]
        session.add_all(contacts)
        session.flush()
        return [contact.id for contact in contacts]


def _contact(registry, tenant, contact_id: int) -> Contact | None:
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        contact = session.get(Contact, contact_id)
        if contact is not None:
            session.expunge(contact)
        return contact


@pytest.fixture
def boss_api(wsgi_app, make_token, tenant, make_user) -> Api:
    make_user(tenant, "boss", is_admin=True)
    return Api(wsgi_app, tenant, make_token(tenant, "boss", ALL))


def test_crud_round_trip(boss_api, registry, tenant):
    created = boss_api.post("/contacts", {"name": " 王小明 ", "title": "采购经理",
                                          "phone": "+86 139 1234 5678"})
    assert created.content_type == "application/json"
    body = created.json
    assert body["name"] == "王小明" and body["title"] == "采购经理" and body["id"] >= 1
    assert body["created_at"] and body["notes"] == ""
    assert created.location.endswith(f"{tenant.prefix}/api/v1/contacts/{body['id']}")
    stored = _contact(registry, tenant, body["id"])
    assert stored.owner_id == _user_id(registry, tenant, "boss")
    assert boss_api.get(f"/contacts/{body['id']}").json == body
    changed = boss_api.patch(f"/contacts/{body['id']}", {"city": "杭州"}).json
    assert changed["city"] == "杭州" and changed["name"] == "王小明"
    assert _contact(registry, tenant, body["id"]).title == "采购经理"  # untouched
    boss_api.delete(f"/contacts/{body['id']}")
    assert _contact(registry, tenant, body["id"]) is None
    missing = boss_api.get(f"/contacts/{body['id']}", status=404)
    assert missing.json["error"]["code"] == "not_found"
    # Captured by the audit log like a form's changes.
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        actions = list(session.scalars(select(AuditEntry.action).where(
            AuditEntry.model == "contacts", AuditEntry.record_id == str(body["id"]))
            .order_by(AuditEntry.id)))
    assert actions == ["create", "update", "delete"]


def test_create_fires_the_contact_created_event(boss_api, registry, tenant):
    from jimucrm.addons.contacts.events import ContactCreated

    seen = []

    def handler(event):
        seen.append(event.contact.name)

    registry.registerHandler(handler, (ContactCreated,))
    try:
        boss_api.post("/contacts", {"name": "事件客户"})
    finally:
        registry.unregisterHandler(handler, (ContactCreated,))
    assert seen == ["事件客户"]


def test_filter_sort_and_cursor_pages(boss_api, registry, tenant):
    cities = ("上海", "杭州", "北京")
    _add(registry, tenant, ({"name": f"客户{number:03d}", "city": cities[number % 3],
                             "title": f"职位{number % 7}"} for number in range(120)))
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 25, "sort": "title,-name"}
        if cursor:
            params["cursor"] = cursor
        page = boss_api.get("/contacts", params).json
        seen += [(row["title"], row["name"], row["id"]) for row in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 5 and len(seen) == 120 and len({row[2] for row in seen}) == 120
    assert seen == sorted(seen, key=lambda row: (row[0], [-ord(c) for c in row[1]]))
    # Filters: equality and range on filterable fields, prefix on prefix-searchable ones.
    shanghai = boss_api.get("/contacts", {"city": "上海", "limit": 200}).json["items"]
    assert len(shanghai) == 40 and {row["city"] for row in shanghai} == {"上海"}
    assert len(boss_api.get("/contacts", {"name__prefix": "客户11", "limit": 200})
               .json["items"]) == 10
    assert len(boss_api.get("/contacts", {"created_at__gte": "2000-01-01", "limit": 200})
               .json["items"]) == 120
    assert boss_api.get("/contacts", {"created_at__lt": "2000-01-01"}).json["items"] == []
    # A cursor made for one sort is not taken for another; a forged one is refused.
    first = boss_api.get("/contacts", {"limit": 10, "sort": "name"}).json
    wrong = boss_api.get("/contacts", {"cursor": first["next_cursor"], "sort": "-name"},
                         status=400)
    assert set(wrong.json["error"]["fields"]) == {"cursor"}
    forged = first["next_cursor"][:-3] + ("AAA" if first["next_cursor"][-3:] != "AAA"
                                          else "BBB")
    boss_api.get("/contacts", {"cursor": forged, "sort": "name"}, status=400)
    for params in ({"limit": 201}, {"limit": 0}, {"limit": "ten"}, {"sort": "notes"},
                   {"sort": "owner_id"}, {"notes": "x"}, {"phone__gte": "1"},
                   {"created_at__gte": "yesterday"}, {"bogus": "1"}):
        error = boss_api.get("/contacts", params, status=400).json["error"]
        assert error["code"] == "bad_request" and error["fields"]


def test_permissions_come_from_the_token_scopes(wsgi_app, make_token, tenant, make_user):
    make_user(tenant, "viewer", roles=("staff",))
    api = Api(wsgi_app, tenant, make_token(tenant, "viewer",
                                       ("api.me", "contacts.view")))
    api.get("/contacts")
    refused = api.post("/contacts", {"name": "不许"}, status=403)
    assert refused.json["error"]["code"] == "forbidden"
    # No token at all: 401 in JSON, with the Bearer challenge.
    anonymous = api.client.get(f"{api.base}/contacts", status=401)
    assert anonymous.json["error"]["code"] == "unauthenticated"
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")


def test_record_rules_staff_see_only_their_own(wsgi_app, make_token, registry, tenant,
                                               make_user):
    make_user(tenant, "amy", roles=("staff",))
    make_user(tenant, "ben", roles=("staff",))
    [amys] = _add(registry, tenant, [{"name": "艾米的客户"}], owner="amy")
    [bens] = _add(registry, tenant, [{"name": "本的客户"}], owner="ben")
    amy = Api(wsgi_app, tenant, make_token(tenant, "amy",
                                       ("api.me", "contacts.view", "contacts.edit")))
    assert [row["id"] for row in amy.get("/contacts").json["items"]] == [amys]
    amy.get(f"/contacts/{amys}")
    assert amy.get(f"/contacts/{bens}", status=404).json["error"]["code"] == "not_found"
    amy.patch(f"/contacts/{bens}", {"name": "改掉"}, status=404)
    assert _contact(registry, tenant, bens).name == "本的客户"
    for huge in ("99999999999999999999999", "2147483648", "0", "-1", "1e3", "abc"):
        amy.get(f"/contacts/{huge}", status=404)


def test_field_rules_hide_and_refuse(wsgi_app, make_token, registry, tenant, make_user):
    make_user(tenant, "clerk", roles=("staff",))
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session, \
            session.begin():
        staff = session.scalar(select(Role.id).where(Role.key == "staff"))
        session.add(RoleFieldRule(role_id=staff, model="contacts", field="phone", access="none"))
        session.add(RoleFieldRule(role_id=staff, model="contacts", field="city", access="read"))
    [contact_id] = _add(registry, tenant, [{"name": "藏号码", "phone": "13912345678",
                                            "city": "苏州"}], owner="clerk")
    clerk = Api(wsgi_app, tenant, make_token(tenant, "clerk", ALL))
    record = clerk.get(f"/contacts/{contact_id}").json
    assert "phone" not in record and record["city"] == "苏州"
    assert "phone" not in clerk.get("/contacts").json["items"][0]
    # Not filterable or sortable through it either.
    clerk.get("/contacts", {"phone__prefix": "139"}, status=400)
    clerk.get("/contacts", {"sort": "phone"}, status=400)
    for body in ({"phone": "10000000000"}, {"city": "上海"}):
        error = clerk.patch(f"/contacts/{contact_id}", body, status=422).json["error"]
        assert error["code"] == "validation_failed" and list(error["fields"]) == list(body)
    stored = _contact(registry, tenant, contact_id)
    assert (stored.phone, stored.city) == ("13912345678", "苏州")
    document = clerk.get("/openapi.json").json
    properties = document["components"]["schemas"]["Contact"]["properties"]
    assert "phone" not in properties and properties["city"]["readOnly"] is True
    assert "city" not in document["components"]["schemas"]["ContactUpdate"]["properties"]


def test_validation_errors_share_one_shape(boss_api, wsgi_app, tenant, registry):
    error = boss_api.post("/contacts", {"title": "无名", "email": "not-an-address",
                                        "name2": "x", "id": 5, "created_at": "2020-01-01"},
                          status=422).json["error"]
    assert error["code"] == "validation_failed"
    assert error["message"] == "Some fields are not valid."
    assert error["fields"] == {"name": "This field is required.",
                               "email": "This does not look like an e-mail address.",
                               "name2": "There is no such field.",
                               "id": "This field is set by the system.",
                               "created_at": "This field is set by the system."}
    long = boss_api.post("/contacts", {"name": "长" * 101}, status=422).json["error"]
    assert long["fields"] == {"name": "At most 100 characters."}
    wrong_type = boss_api.post("/contacts", {"name": 42}, status=422).json["error"]
    assert list(wrong_type["fields"]) == ["name"]
    # Translated by Accept-Language.
    chinese = Api(wsgi_app, tenant, boss_api.headers["Authorization"].split()[1], "zh-CN")
    translated = chinese.post("/contacts", {}, status=422).json["error"]
    assert translated["message"] == "部分字段无效。"
    assert translated["fields"]["name"] != "This field is required."
    # Not JSON, not an object, not JSON at all: 400 and 415.
    client, url = boss_api.client, f"{boss_api.base}/contacts"
    headers = boss_api.headers
    bad = client.post(url, "{name:", headers={**headers, "Content-Type": "application/json"},
                      status=400)
    assert bad.json["error"]["code"] == "bad_request"
    client.post(url, "[1, 2]", headers={**headers, "Content-Type": "application/json"},
                status=400)
    client.post(url, "\xff".encode("latin-1"),
                headers={**headers, "Content-Type": "application/json"}, status=400)
    form = client.post(url, {"name": "表单"}, headers=headers, status=415)
    assert form.json["error"]["code"] == "unsupported_media_type"
    # The tenant's data is untouched by every refusal.
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        assert session.scalar(select(Contact.id)) is None


def test_delete_needs_its_permission(wsgi_app, make_token, tenant, make_user, registry):
    make_user(tenant, "staffer", roles=("staff",))
    [own] = _add(registry, tenant, [{"name": "自己的"}], owner="staffer")
    api = Api(wsgi_app, tenant, make_token(tenant, "staffer",
                                       ("api.me", "contacts.view", "contacts.edit")))
    assert api.delete(f"/contacts/{own}", status=403).json["error"]["code"] == "forbidden"
    assert _contact(registry, tenant, own) is not None


def test_openapi_document_is_valid_and_lists_contacts(boss_api, wsgi_app, make_token, tenant,
                                                      make_user):
    document = boss_api.get("/openapi.json").json
    validate_spec(document)
    assert set(document["paths"]) >= {"/api/v1/contacts", "/api/v1/contacts/{id}"}
    assert set(document["paths"]["/api/v1/contacts"]) == {"get", "post"}
    assert set(document["paths"]["/api/v1/contacts/{id}"]) == {"get", "patch", "delete"}
    contact = document["components"]["schemas"]["Contact"]
    assert contact["properties"]["name"]["maxLength"] == 100
    assert contact["properties"]["id"]["readOnly"] is True
    assert contact["properties"]["created_at"]["readOnly"] is True
    assert document["components"]["schemas"]["ContactCreate"]["required"] == ["name"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    names = {item["name"] for item in document["paths"]["/api/v1/contacts"]["get"]
             ["parameters"]}
    assert {"limit", "cursor", "sort", "q", "city", "company_id", "phone", "name__prefix",
            "created_at__gte", "created_at__lte"} <= names
    assert document["servers"][0]["url"].endswith(tenant.prefix)
    # A caller with only api.me sees the document, without the operations it cannot use.
    make_user(tenant, "reader", roles=("staff",))
    reader = Api(wsgi_app, tenant, make_token(tenant, "reader", ("api.me",)))
    narrow = reader.get("/openapi.json").json
    validate_spec(narrow)
    assert narrow["paths"] == {}
    # Without api.me: refused.
    other = Api(wsgi_app, tenant, make_token(tenant, "reader",
                                         ("contacts.view",)))
    other.get("/openapi.json", status=403)
    # Nobody: 401.
    boss_api.client.get(f"{boss_api.base}/openapi.json", status=401)


def test_schemathesis_finds_no_server_error_and_no_drift(boss_api, wsgi_app, registry, tenant):
    """Generated requests for every operation of the document (WSGI, offline): no 5xx,
    and every response conforms to the document (status, content type, schema)."""
    _add(registry, tenant, [{"name": f"样本{number}"} for number in range(3)])
    statuses = _fuzz(boss_api, wsgi_app, operations=5, examples=15)
    # The requests reached the records, not only the error paths.
    assert {("GET", 200), ("POST", 201)} <= statuses, statuses


def _fuzz(api: Api, wsgi_app, *, operations: int, examples: int) -> set[tuple[str, int]]:
    """Run schemathesis on every operation of ``api``'s document: no 5xx, and every
    response conforms to the document. Returns the (method, status) pairs seen."""
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    headers = {"Authorization": api.headers["Authorization"]}
    schema = schemathesis.openapi.from_wsgi(f"{api.base}/openapi.json", wsgi_app,
                                            headers={**headers, "Host": "localhost"})
    checks = (not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance)
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) == operations
    statuses = set()
    for operation in found:
        @given(case=operation.as_strategy())
        @settings(max_examples=examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            response = case.call(headers={**headers, "Host": "localhost"})
            statuses.add((case.method, response.status_code))
            case.validate_response(response, checks=checks)

        run()
    return statuses


CRM_AND_SALES = ("api.me", *(f"{model}.{action}" for model in ("leads", "opportunities",
                                                               "products")
                             for action in ("view", "create", "edit", "delete")),
                 "orders.view")


def test_schemathesis_covers_the_crm_and_sales_resources(wsgi_app, make_token, make_user,
                                                         tenant):
    """The resources of crm (leads, opportunities) and sales (products, categories, price
    lists, read-only orders), with their relation fields: no 5xx, no drift from the
    document."""
    make_user(tenant, "fuzzer", is_admin=True)
    api = Api(wsgi_app, tenant, make_token(tenant, "fuzzer", CRM_AND_SALES))
    document = api.get("/openapi.json").json
    validate_spec(document)
    assert document["components"]["schemas"]["Lead"]["properties"]["source_id"][
        "x-jimu-relation"]["table"] == "crm_lead_sources"
    # Leads, opportunities, products, categories, price lists: 5 each; orders: 2 GETs.
    statuses = _fuzz(api, wsgi_app, operations=5 * 5 + 2, examples=8)
    assert ("GET", 200) in statuses and ("POST", 201) in statuses, statuses
