"""The tenant admin's audit page: search, pages, CSV export (itself audited), access."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from audit_support import entries

from jimucrm.addons.contacts.models import Contact
from jimucrm.core.interfaces import IDatabase
from jimucrm.security.audit import Actor, audit_session
from jimucrm.security.audit.views import PAGE_SIZE

XSS = '<img src=x onerror="alert(1)">'


@pytest.fixture
def admin_app(app, tenant, make_user, login):
    login(app, tenant, make_user(tenant, "boss", is_admin=True)).follow()
    return app


def _new_contact(app, tenant, name, **values):
    form = app.get(f"{tenant.prefix}/contacts/new").forms["contact-form"]
    form["name"] = name
    for field, value in values.items():
        form[field] = value
    form.submit().follow()


def test_admins_find_the_page_in_the_menu_and_others_get_403(admin_app, tenant, make_user,
                                                            login, app):
    home = admin_app.get(f"{tenant.prefix}/")
    assert home.html.find("a", href=lambda h: h and h.endswith("/settings/audit"))
    admin_app.get(f"{tenant.prefix}/settings/audit", status=200)

    admin_app.reset()
    login(app, tenant, make_user(tenant, "clerk")).follow()
    assert not app.get(f"{tenant.prefix}/").html.find(
        "a", href=lambda h: h and h.endswith("/settings/audit"))
    app.get(f"{tenant.prefix}/settings/audit", status=403)
    app.get(f"{tenant.prefix}/settings/audit.csv", status=403)
    app.reset()
    app.get(f"{tenant.prefix}/settings/audit.csv", status=302)  # anonymous: to the login


def test_search_by_user_action_table_record_and_dates(admin_app, registry, tenant):
    _new_contact(admin_app, tenant, "李雷")
    contact_id = entries(registry, tenant, model="contacts")[0].record_id
    page = admin_app.get(f"{tenant.prefix}/settings/audit")
    assert "李雷" in page.text and "boss" in page.text

    def found(**params):
        page = admin_app.get(f"{tenant.prefix}/settings/audit", params)
        return [row.get("id") for row in page.html.select("#audit-entries tbody tr")]

    creates = found(action="create", model="contacts")
    assert len(creates) == 1
    assert found(model="contacts", record=contact_id) == creates
    assert found(model="contacts", record="999999") == []
    assert len(found(user="BOSS", action="login")) == 1
    assert found(user="nobody") == []
    today = datetime.now(UTC).date()
    assert found(action="create", **{"from": today.isoformat(), "to": today.isoformat()}) \
        == creates
    assert found(action="create", to=(today - timedelta(days=1)).isoformat()) == []
    assert found(action="create", **{"from": (today + timedelta(days=1)).isoformat()}) == []
    bad = admin_app.get(f"{tenant.prefix}/settings/audit", {"from": "yesterday",
                                                            "action": "drop table"})
    assert bad.html.select_one(".form-error")
    assert bad.status_int == 200


def test_pages(admin_app, registry, tenant):
    database = registry.getUtility(IDatabase)
    session = audit_session(database.session(tenant.schema_name), Actor(username="bulk"))
    with session, session.begin():
        session.add_all(Contact(name=f"客户{i}") for i in range(PAGE_SIZE + 5))
    first = admin_app.get(f"{tenant.prefix}/settings/audit", {"user": "bulk"})
    assert len(first.html.select("#audit-entries tbody tr")) == PAGE_SIZE
    assert not first.html.select("a[href*='page=0']")
    second = first.click(href="page=2")
    assert len(second.html.select("#audit-entries tbody tr")) == 5
    # The search is kept from page to page; there is no third page.
    assert all("user=bulk" in link["href"] for link in second.html.select(".pager a"))
    assert not second.html.select("a[href*='page=3']")


def test_everything_shown_is_escaped(admin_app, tenant, login, app):
    _new_contact(admin_app, tenant, XSS, title="\"><script>alert('x')</script>")
    admin_app.reset()
    login(app, tenant, XSS, "x")
    login(app, tenant, "boss").follow()
    page = app.get(f"{tenant.prefix}/settings/audit")
    assert "<img src=x" not in page.text
    assert "<script>alert('x')</script>" not in page.text
    assert "&lt;img src=x" in page.text


def test_csv_export_holds_the_search_and_is_audited(admin_app, registry, tenant):
    _new_contact(admin_app, tenant, "=HYPERLINK(\"http://evil\")", title="韩梅梅")
    response = admin_app.get(f"{tenant.prefix}/settings/audit.csv",
                             {"action": "create", "model": "contacts"})
    assert response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))
    header, [row] = rows[0], rows[1:]
    assert len(header) == len(row) == 12
    assert row[6] == "create" and row[7] == "contacts" and row[3] == "boss"
    assert "韩梅梅" in row[9]
    # A cell a spreadsheet would run as a formula starts with a quote.
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)

    [export] = entries(registry, tenant, action="export")
    assert export.model == "audit_log" and export.username == "boss"
    assert export.details["count"] == 1 and export.details["format"] == "csv"
    assert export.details["filters"] == {"action": "create", "model": "contacts"}
    # The export shows on the page, searchable like the rest.
    page = admin_app.get(f"{tenant.prefix}/settings/audit", {"action": "export"})
    assert len(page.html.select("#audit-entries tbody tr")) == 1
