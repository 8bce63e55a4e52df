"""SQL metacharacters through every search and filter parameter.

Parameters are discovered from the app itself: the fields of every GET form and the
query parameters of every link on the pages an administrator reaches, plus the usual
list parameters (page, sort, …) on every page that has such a form or link. Each gets
quotes, comment markers, wildcards, boolean tautologies, NUL bytes, bytes that are not
UTF-8 and oversized values. No response may be a server error or show a database error,
and a tautology must not widen a search.

Every value goes to every parameter of a page at once, and each parameter on its own gets
the values most likely to break a query builder (``SINGLE``): the full cross product grew
with every list the addons add, to thousands of requests per page.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import webtest

from jimucrm.addons.contacts.models import Contact
from jimucrm.core.interfaces import IDatabase
from jimucrm.core.permissions import permissions

VALUES = (
    "'", '"', "\\", "%", "_", "%%", "\\%", "';", "'; DROP TABLE contacts; --",
    "' OR '1'='1", "' OR 1=1 --", "1 OR 1=1", "\") OR (\"1\"=\"1", "*/ SELECT pg_sleep(0) /*",
    "$$", "$1", ":name", "%(name)s", "{name}", "王%' OR '1'='1", "\x00", "a\x00b", "ＯＲ",
    "-1", "0", "99999999999999999999999", "1e309", "NaN", "x" * 5000,
)
# Each parameter on its own: a quote, a backslash, a tautology, a wildcard, an overflow,
# an oversized value.
SINGLE = ("'", "\\", "' OR '1'='1", "%", "99999999999999999999999", "x" * 5000)
COMMON = ("q", "page", "sort", "order", "limit", "offset", "filter", "status", "from", "to")
# Raw query strings: an encoded NUL, bytes that are not UTF-8, broken escapes.
RAW = ("%00", "a%00b", "%ff%fe", "%c0%27", "%e5%b9", "%", "%zz", "%27%20OR%20%271%27%3D%271")
DATABASE_ERRORS = ("psycopg", "syntax error", "ProgrammingError", "DataError",
                   "sqlalchemy", "Traceback", "unterminated quoted string")


def _parameters(pages) -> dict[str, set[str]]:
    """path → parameter names seen for it (GET forms, links) plus the common ones."""
    found: dict[str, set[str]] = {}
    for url, response in pages.items():
        if "html" not in response.content_type or response.status_int != 200:
            continue
        path = urlsplit(url).path
        for form in response.forms.values():
            if form.method.upper() == "GET":  # a search or filter form: a list page
                target = urlsplit(form.action or url).path
                found.setdefault(target, set(COMMON)).update(
                    name for name in form.fields if name and name != "csrf_token")
        for name, _ in parse_qsl(urlsplit(url).query):
            found.setdefault(path, set(COMMON)).add(name)
    return found


def _expect_no_database_error(app, path: str, params=None) -> int:
    response = app.get(path, params, status="*")
    where = (path, str(params)[:120])
    assert response.status_int < 500, where
    assert not any(e in response.text for e in DATABASE_ERRORS), where
    return 1


def test_sql_metacharacters_in_every_search_and_filter(app, tenant, make_user, login, sweep):
    login(app, tenant, make_user(tenant, "sqladmin", is_admin=True)).follow()
    for name in ("王小明", "李四"):
        form = app.get(f"{tenant.prefix}/contacts/new").forms["contact-form"]
        form["name"] = name
        form.submit(status=303)
    pages = sweep.crawl(app, tenant.prefix, ("/",))
    parameters = _parameters(pages)
    assert "q" in parameters.get(f"{tenant.prefix}/contacts/", set())
    tried = 0
    for path, names in sorted(parameters.items()):
        for value in VALUES:
            tried += _expect_no_database_error(app, path, dict.fromkeys(names, value))
        for raw in RAW:
            query = "&".join(f"{name}={raw}" for name in sorted(names))
            tried += _expect_no_database_error(app, f"{path}?{query}")
        for name in sorted(names):
            for value in SINGLE:
                tried += _expect_no_database_error(app, path, {name: value})
    assert tried > 100
    # A tautology does not widen the search; the data is still there afterwards.
    for value in ("' OR '1'='1", "王%' OR '1'='1", "%' --"):
        listing = app.get(f"{tenant.prefix}/contacts/", {"q": value})
        assert "李四" not in listing.text, value
    assert "李四" in app.get(f"{tenant.prefix}/contacts/", {"q": "李"}).text
    assert "王小明" in app.get(f"{tenant.prefix}/contacts/").text


def test_nul_in_parameters_is_a_bad_request(app, tenant, make_user, login):
    login(app, tenant, make_user(tenant, "nuluser")).follow()
    page = app.get(f"{tenant.prefix}/contacts/", {"q": "a\x00b"}, status=400)
    assert "400" in page.text
    form = app.get(f"{tenant.prefix}/contacts/new").forms["contact-form"]
    form["name"] = "名字\x00"
    form.submit(status=400)


def test_page_numbers_out_of_range_give_the_first_or_last_page(app, tenant, make_user,
                                                              login, registry):
    """A page number PostgreSQL's OFFSET cannot hold (10**23) once failed the request and
    then its 500 page; any page parameter now lands on a page that exists."""
    login(app, tenant, make_user(tenant, "pageuser", is_admin=True)).follow()
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session, \
            session.begin():
        session.add_all(Contact(name=f"翻页{number:02d}") for number in range(51))
    contacts = f"{tenant.prefix}/contacts/"
    for value in ("99999999999999999999999", str(2**63), "9" * 5000, "3"):
        last = app.get(contacts, {"page": value})
        assert "翻页50" in last.text and "翻页49" not in last.text, value
    for value in ("-99999999999999999999999", "-1", "0", "1.5", "1e309", "NaN", "二"):
        first = app.get(contacts, {"page": value})
        assert "翻页00" in first.text and "翻页50" not in first.text, value
    second = app.get(contacts, {"page": "2"})
    assert "翻页50" in second.text and "翻页00" not in second.text


def _expect_a_json_answer(client, url: str, params, headers) -> int:
    response = client.get(url, params, headers=headers, status="*")
    where = (url, str(params)[:120])
    assert response.status_int in (200, 400), where
    assert response.content_type == "application/json", where
    assert not any(e in response.text for e in DATABASE_ERRORS), where
    if response.status_int == 400:
        assert response.json["error"]["code"] == "bad_request", where
    return 1


def test_sql_metacharacters_through_the_api_filters_and_sort(app, wsgi_app, tenant,
                                                             make_user, make_token, login,
                                                             registry):
    """Every query parameter the OpenAPI document names for a list, and sort, cursor,
    limit and q, with the same values: a 400 in the API's error shape at worst."""
    login(app, tenant, make_user(tenant, "sqlapi", is_admin=True)).follow()
    # Every list the API has, not only the contacts'.
    views = tuple(name for name in permissions(registry) if name.endswith(".view"))
    token = make_token(tenant, "sqlapi", ("api.me", *views))
    client = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
    headers = {"Authorization": f"Bearer {token}"}
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session, \
            session.begin():
        session.add_all([Contact(name="王小明", city="上海"), Contact(name="李四", city="北京")])
    document = client.get(f"{tenant.prefix}/api/v1/openapi.json", headers=headers).json
    tried = 0
    for path, operations in document["paths"].items():
        if "{" in path or "get" not in operations:
            continue
        names = {item["name"] for item in operations["get"]["parameters"]}
        assert {"sort", "cursor", "limit"} <= names
        names |= {"bogus", "name__gte"}
        url = f"{tenant.prefix}{path}"
        for value in VALUES:
            tried += _expect_a_json_answer(client, url, dict.fromkeys(names, value), headers)
        for raw in RAW:
            query = "&".join(f"{name}={raw}" for name in sorted(names))
            tried += _expect_a_json_answer(client, f"{url}?{query}", None, headers)
        for name in sorted(names):
            for value in SINGLE:
                tried += _expect_a_json_answer(client, url, {name: value}, headers)
    assert tried > 100
    # A tautology does not widen a filter.
    contacts = f"{tenant.prefix}/api/v1/contacts"
    for value in ("' OR '1'='1", "王%' OR '1'='1", "%' --", "%"):
        for param in ("q", "name__prefix", "city"):
            found = client.get(contacts, {param: value}, headers=headers).json["items"]
            assert found == [], (param, value)
    assert len(client.get(contacts, headers=headers).json["items"]) == 2
