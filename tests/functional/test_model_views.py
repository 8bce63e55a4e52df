"""Core's generated model views, through the contacts addon: list, form, detail, delete,
export, column choice and saved filters, under record rules and field permissions."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
import webtest
from sqlalchemy import select
from tenant_records import user_id as _user_id

from jimucrm.addons.contacts.models import Company, Contact
from jimucrm.core.interfaces import IDatabase
from jimucrm.security.audit.models import AuditEntry
from jimucrm.security.rbac.models import Role, RoleFieldRule, RolePermission


def _add(registry, tenant, *rows: dict, owner: str | None = None) -> list[int]:
    owner_id = _user_id(registry, tenant, owner) if owner else None
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session, \
            session.begin():
        companies: dict[str, Company] = {}
        contacts = []
        for row in rows:
            values = dict(row)
            if "company" in values:  # a company name: one company per name
                name = values.pop("company")
                values["company"] = companies.setdefault(name, Company(name=name))
            contacts.append(Contact(owner_id=owner_id, **values))
        session.add_all(contacts)
        session.flush()
        return [contact.id for contact in contacts]


def _contact(registry, tenant, contact_id: int) -> Contact | None:
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        contact = session.get(Contact, contact_id)
        if contact is not None:
            session.expunge(contact)
        return contact


def _client(wsgi_app, login, tenant, username: str) -> webtest.TestApp:
    client = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
    login(client, tenant, username).follow()
    return client


def _names(page) -> list[str]:
    """The linked first cells of the list's rows, in order."""
    body = page.html.find("table", class_="list").find("tbody")
    return [row.find("a").get_text() for row in body.find_all("tr")]


def _saved(client, page, name: str):
    """Follow the saved filter called ``name`` on a list page."""
    links = page.html.find("div", class_="saved-filters").find_all("a")
    [link] = [link for link in links if link.get_text() == name]
    return client.get(link["href"])


def _headers(page) -> list[str]:
    return [th.get_text(" ", strip=True).rstrip(" ▲▼")
            for th in page.html.find("table", class_="list").find("thead").find_all("th")]


@pytest.fixture
def boss(wsgi_app, tenant, make_user, login) -> webtest.TestApp:
    """An administrator of ``tenant``, English pages."""
    make_user(tenant, "boss", is_admin=True)
    client = _client(wsgi_app, login, tenant, "boss")
    client.set_cookie("_LOCALE_", "en")
    return client


def test_search_filters_sort_and_pages(boss, registry, tenant):
    _add(registry, tenant, *({"name": f"客户{number:02d}", "city": "上海"} for number in range(55)))
    _add(registry, tenant, {"name": "王小明", "company": "积木科技", "city": "杭州"},
         {"name": "王大力", "company": "百分百_公司", "city": "杭州", "phone": "13800138000"},
         {"name": "李四", "company": "王氏集团", "city": "北京"},
         {"name": "百分百_李", "city": "北京"})
    contacts = f"{tenant.prefix}/contacts/"
    # Prefix search over the name, exact over the (encrypted) phone; LIKE characters literal.
    assert sorted(_names(boss.get(contacts, {"q": "王"}))) == ["王大力", "王小明"]
    assert _names(boss.get(contacts, {"q": "13800138000"})) == ["王大力"]
    assert "Nothing found" in boss.get(contacts, {"q": "138001"}).text  # no prefix of a number
    assert _names(boss.get(contacts, {"q": "百分百_"})) == ["百分百_李"]
    assert "Nothing found" in boss.get(contacts, {"q": "百分百%"}).text
    assert "Nothing found" in boss.get(contacts, {"q": "小明"}).text  # a prefix, not a substring
    # Filters: exact city, a date range on the creation time.
    assert sorted(_names(boss.get(contacts, {"f_city": "杭州"}))) == ["王大力", "王小明"]
    assert sorted(_names(boss.get(contacts, {"f_city": "杭州", "q": "王小"}))) == ["王小明"]
    assert "Nothing found" in boss.get(contacts, {"f_created_at_to": "2001-01-01"}).text
    assert len(_names(boss.get(contacts, {"f_created_at_from": "2001-01-01"}))) == 50
    # A filter on a field that is not filterable, or a value that does not parse: ignored.
    assert len(_names(boss.get(contacts, {"f_notes": "x", "f_created_at_from": "昨天"}))) == 50
    # Sorting by a header, both ways; unknown or unsortable fields fall back to the default.
    page = boss.get(contacts, {"f_city": "杭州", "sort": "-name"})
    assert _names(page) == ["王小明", "王大力"]
    assert _names(boss.get(contacts, {"f_city": "杭州", "sort": "name"})) == ["王大力", "王小明"]
    link = page.html.find("th", attrs={"aria-sort": "descending"}).find("a")["href"]
    assert "sort=name" in link and "f_city=" in link  # the header flips the order, keeps filters
    for bad in ("notes", "password_hash", "-id; DROP TABLE contacts", "--name"):
        assert _names(boss.get(contacts, {"sort": bad}))[0] == "客户00", bad
    # Pages of 50: the second one holds the rest, in the same order, with the filters kept.
    first = boss.get(contacts, {"f_city": "上海"})
    assert len(_names(first)) == 50 and "55 records" in first.text
    second = first.click(href=r"page=2")
    assert _names(second) == [f"客户{number:02d}" for number in range(50, 55)]


def test_column_choice_is_kept_per_user(boss, wsgi_app, registry, tenant, make_user, login):
    _add(registry, tenant, {"name": "赵六", "city": "成都", "email": "zl@example.cn"})
    contacts = f"{tenant.prefix}/contacts/"
    page = boss.get(contacts)
    assert _headers(page) == ["Name", "Company", "Title", "Phone", "City", "Customer level"]
    form = page.forms["columns-form"]
    for box in form.fields["columns"]:
        box.checked = box._value in ("name", "email", "city")
    form.submit(status=303)
    page = boss.get(contacts)
    assert _headers(page) == ["Name", "E-mail", "City"]
    assert "zl@example.cn" in page.text
    # Another user still has the defaults; a column that is not a field is ignored.
    make_user(tenant, "other", is_admin=True)
    other = _client(wsgi_app, login, tenant, "other")
    other.set_cookie("_LOCALE_", "en")
    assert _headers(other.get(contacts)) == ["Name", "Company", "Title", "Phone", "City",
                                             "Customer level"]
    token = page.forms["columns-form"]["csrf_token"].value
    boss.post(f"{tenant.prefix}/contacts/columns",
              {"csrf_token": token, "columns": ["owner_id", "password_hash", "city"]}, status=303)
    assert _headers(boss.get(contacts)) == ["City"]
    # Nothing chosen: back to the defaults.
    boss.post(f"{tenant.prefix}/contacts/columns", {"csrf_token": token}, status=303)
    assert _headers(boss.get(contacts)) == ["Name", "Company", "Title", "Phone", "City",
                                            "Customer level"]


def test_saved_filters(boss, wsgi_app, registry, tenant, make_user, login):
    _add(registry, tenant, {"name": "王小明", "city": "杭州"}, {"name": "李四", "city": "北京"})
    contacts = f"{tenant.prefix}/contacts/"
    assert "save-filter-form" not in boss.get(contacts).forms  # nothing to save yet
    page = boss.get(contacts, {"f_city": "杭州", "sort": "-name"})
    form = page.forms["save-filter-form"]
    form["filter_name"] = ""
    refused = form.submit(status=400)
    assert refused.html.find("form", id="save-filter-form").find("p", class_="error")
    assert _names(refused) == ["王小明"]  # the list is still the filtered one
    form = refused.forms["save-filter-form"]
    form["filter_name"] = "杭州的<客户>"
    saved = form.submit(status=303).follow()
    assert "杭州的&lt;客户&gt;" in saved.text
    listing = boss.get(contacts)
    assert sorted(_names(listing)) == ["李四", "王小明"]
    applied = _saved(boss, listing, "杭州的<客户>")
    assert _names(applied) == ["王小明"]
    # Saving under the same name replaces it.
    form = boss.get(contacts, {"f_city": "北京"}).forms["save-filter-form"]
    form["filter_name"] = "杭州的<客户>"
    form.submit(status=303)
    assert _names(_saved(boss, boss.get(contacts), "杭州的<客户>")) == ["李四"]
    # Someone else neither sees nor deletes it.
    make_user(tenant, "peer", is_admin=True)
    peer = _client(wsgi_app, login, tenant, "peer")
    assert "杭州的" not in peer.get(contacts).text
    delete = boss.get(contacts).html.find("div", class_="saved-filters").find("form")["action"]
    token = peer.get(contacts).forms["list-search"].response.html.find(
        "input", attrs={"name": "csrf_token"})["value"]
    peer.post(delete, {"csrf_token": token}, status=404)
    assert "杭州的" in boss.get(contacts).text
    boss_token = boss.get(contacts).forms["columns-form"]["csrf_token"].value
    boss.post(delete, {"csrf_token": boss_token}, status=303)
    assert "杭州的" not in boss.get(contacts).text


@pytest.mark.extension_point("jimucrm.core.events.IRecordsExported")
def test_csv_and_xlsx_export_the_filtered_list_and_are_audited(boss, registry, tenant):
    _add(registry, tenant, {"name": "王小明", "city": "杭州", "phone": "13800138000"},
         {"name": "=HYPERLINK(\"http://evil\")", "city": "杭州"},
         {"name": "李四", "city": "北京"})
    page = boss.get(f"{tenant.prefix}/contacts/", {"f_city": "杭州", "sort": "name"})
    exported = page.click(linkid="export-csv")
    assert exported.content_type == "text/csv"
    assert "attachment" in exported.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.body.decode("utf-8-sig"))))
    assert rows[0][1:] == ["Name", "Company", "Title", "Phone", "City", "Customer level"]
    assert [row[1] for row in rows[1:]] == ["'=HYPERLINK(\"http://evil\")", "王小明"]
    assert rows[2][4] == "13800138000" and rows[2][6] == "Regular"
    workbook = page.click(linkid="export-xlsx")
    assert workbook.content_type.startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.body)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][1:] == ["Name", "Company", "Title", "Phone", "City", "Customer level"]
    assert [row[1] for row in values[1:]] == ["=HYPERLINK(\"http://evil\")", "王小明"]
    assert sheet.cell(row=2, column=2).data_type == "s"  # text, never a formula
    assert isinstance(values[1][0], int)
    boss.get(f"{tenant.prefix}/contacts/export", {"format": "pdf"}, status=400)
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        exports = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")
                                  .order_by(AuditEntry.id)).all()
    assert [(entry.model, entry.details["count"], entry.details["format"]) for entry in exports] \
        == [("contacts", 2, "csv"), ("contacts", 2, "xlsx")]
    assert exports[0].details["filters"] == {"f_city": "杭州", "sort": "name"}
    assert exports[0].username == "boss"


def test_export_needs_the_export_permission(wsgi_app, registry, tenant, make_user, login):
    make_user(tenant, "clerk", roles=("staff",))
    clerk = _client(wsgi_app, login, tenant, "clerk")
    page = clerk.get(f"{tenant.prefix}/contacts/")
    assert "export-csv" not in page.text
    clerk.get(f"{tenant.prefix}/contacts/export", {"format": "csv"}, status=403)
    clerk.get(f"{tenant.prefix}/contacts/export", {"format": "xlsx"}, status=403)
    make_user(tenant, "chief", roles=("manager",))
    chief = _client(wsgi_app, login, tenant, "chief")
    chief.get(f"{tenant.prefix}/contacts/export", {"format": "csv"}, status=200)


def test_form_errors_are_shown_beside_the_fields_with_the_input(boss, registry, tenant):
    form = boss.get(f"{tenant.prefix}/contacts/new").forms["contact-form"]
    form["name"] = "   "
    form["email"] = "not-an-email"
    form["phone"] = "call me"
    form["city"] = "杭州" * 60
    form["notes"] = "<b>留着</b>"
    page = form.submit(status=400)
    errors = {div.find("input") and div.find("input").get("id") or div.find("textarea")["id"]:
              div.find("p", class_="error").get_text()
              for div in page.html.find_all("div", class_="has-error")}
    assert errors == {"name": "This field is required.",
                      "email": "This does not look like an e-mail address.",
                      "phone": "Use digits, spaces, dashes and an optional leading +.",
                      "city": "At most 100 characters."}
    again = page.forms["contact-form"]
    assert again["email"].value == "not-an-email" and again["notes"].value == "<b>留着</b>"
    assert "&lt;b&gt;留着&lt;/b&gt;" in page.text
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        assert session.scalars(select(Contact)).all() == []
    # Corrected, it is saved with its owner, and the detail page shows it.
    again["name"], again["email"], again["phone"], again["city"] = \
        " 刘洋 ", "liu@example.cn", "+86 138-0013-8000", "杭州"
    detail = again.submit(status=303).follow()
    assert detail.html.find("h1").get_text() == "刘洋"
    contact_id = int(re.search(r"/contacts/(\d+)$", detail.request.path).group(1))
    saved = _contact(registry, tenant, contact_id)
    assert (saved.name, saved.owner_id) == ("刘洋", _user_id(registry, tenant, "boss"))
    assert detail.html.find("p", class_="score").get_text() == "60"  # phone, e-mail, city


def test_edit_and_delete(boss, registry, tenant):
    [contact_id] = _add(registry, tenant, {"name": "张三", "city": "上海"})
    detail = boss.get(f"{tenant.prefix}/contacts/{contact_id}")
    form = detail.click(linkid="edit-record").forms["contact-form"]
    assert form["name"].value == "张三"
    form["city"] = "深圳"
    form["email"] = "bad@"
    refused = form.submit(status=400)
    assert refused.forms["contact-form"]["city"].value == "深圳"
    assert _contact(registry, tenant, contact_id).city == "上海"
    form = refused.forms["contact-form"]
    form["email"] = "zs@example.cn"
    shown = form.submit(status=303).follow()
    assert "深圳" in shown.text and _contact(registry, tenant, contact_id).city == "深圳"
    # Delete asks first; GET changes nothing.
    confirm = shown.click(linkid="delete-record")
    assert _contact(registry, tenant, contact_id) is not None
    listing = confirm.forms["delete-form"].submit(status=303).follow()
    assert "张三 deleted." in listing.text and "Nothing found" in listing.text
    assert _contact(registry, tenant, contact_id) is None
    boss.get(f"{tenant.prefix}/contacts/{contact_id}", status=404)
    boss.get(f"{tenant.prefix}/contacts/{contact_id}/edit", status=404)
    boss.get(f"{tenant.prefix}/contacts/{'9' * 40}", status=404)


def test_staff_cannot_delete(wsgi_app, registry, tenant, make_user, login):
    make_user(tenant, "clerk", roles=("staff",))
    [contact_id] = _add(registry, tenant, {"name": "自己的"}, owner="clerk")
    clerk = _client(wsgi_app, login, tenant, "clerk")
    detail = clerk.get(f"{tenant.prefix}/contacts/{contact_id}")
    assert "edit-record" in detail.text and "delete-record" not in detail.text
    clerk.get(f"{tenant.prefix}/contacts/{contact_id}/delete", status=403)
    token = detail.forms[0]["csrf_token"].value
    clerk.post(f"{tenant.prefix}/contacts/{contact_id}/delete", {"csrf_token": token},
               status=403)
    assert _contact(registry, tenant, contact_id) is not None


def test_record_rules_own_and_team(wsgi_app, registry, tenant, make_user, login):
    make_user(tenant, "amy", roles=("staff",), teams=("华东",))
    make_user(tenant, "ben", roles=("staff",), teams=("华东",))
    make_user(tenant, "lead", roles=("manager",), teams=("华东",))
    make_user(tenant, "far", roles=("manager",), teams=("华南",))
    [amys] = _add(registry, tenant, {"name": "艾米的客户", "city": "杭州"}, owner="amy")
    [bens] = _add(registry, tenant, {"name": "本的客户", "city": "杭州"}, owner="ben")
    contacts = f"{tenant.prefix}/contacts/"
    amy = _client(wsgi_app, login, tenant, "amy")
    assert _names(amy.get(contacts)) == ["艾米的客户"]
    assert _names(amy.get(contacts, {"f_city": "杭州"})) == ["艾米的客户"]
    amy.get(f"{tenant.prefix}/contacts/{bens}", status=404)
    amy.get(f"{tenant.prefix}/contacts/{bens}/edit", status=404)
    token = amy.get(contacts).forms["columns-form"]["csrf_token"].value
    amy.post(f"{tenant.prefix}/contacts/{bens}/edit",
             {"csrf_token": token, "name": "改掉"}, status=404)
    assert _contact(registry, tenant, bens).name == "本的客户"
    # A new contact is the creator's own.
    form = amy.get(f"{tenant.prefix}/contacts/new").forms["contact-form"]
    form["name"] = "艾米新客户"
    form.submit(status=303)
    assert sorted(_names(amy.get(contacts))) == ["艾米新客户", "艾米的客户"]
    lead = _client(wsgi_app, login, tenant, "lead")
    assert sorted(_names(lead.get(contacts))) == ["本的客户", "艾米新客户", "艾米的客户"]
    lead.get(f"{tenant.prefix}/contacts/{amys}/delete", status=200)
    rows = list(csv.reader(io.StringIO(lead.get(
        f"{tenant.prefix}/contacts/export", {"format": "csv"}).body.decode("utf-8-sig"))))
    assert len(rows) == 4
    far = _client(wsgi_app, login, tenant, "far")
    assert "Nothing found" in far.get(contacts).text or "没有" in far.get(contacts).text
    far.get(f"{tenant.prefix}/contacts/{amys}", status=404)
    far.get(f"{tenant.prefix}/contacts/{amys}/delete", status=404)
    far_token = far.get(contacts).forms["columns-form"]["csrf_token"].value
    far.post(f"{tenant.prefix}/contacts/{amys}/delete", {"csrf_token": far_token}, status=404)
    rows = list(csv.reader(io.StringIO(far.get(
        f"{tenant.prefix}/contacts/export", {"format": "csv"}).body.decode("utf-8-sig"))))
    assert len(rows) == 1  # the header alone
    assert _contact(registry, tenant, amys) is not None


def _restrict(registry, tenant, role_key: str, field: str, access: str,
              grant: tuple[str, ...] = ()) -> None:
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session, \
            session.begin():
        role_id = session.scalar(select(Role.id).where(Role.key == role_key))
        session.add(RoleFieldRule(role_id=role_id, model="contacts", field=field,
                                  access=access))
        session.add_all(RolePermission(role_id=role_id, permission=name) for name in grant)


def test_a_hidden_field_is_in_no_page_form_or_file(wsgi_app, registry, tenant, make_user,
                                                   login):
    make_user(tenant, "clerk", roles=("staff",))
    _restrict(registry, tenant, "staff", "phone", "none", grant=("contacts.export",))
    [contact_id] = _add(registry, tenant, {"name": "藏号码", "phone": "13912345678"},
                        owner="clerk")
    clerk = _client(wsgi_app, login, tenant, "clerk")
    clerk.set_cookie("_LOCALE_", "en")
    listing = clerk.get(f"{tenant.prefix}/contacts/")
    assert "13912345678" not in listing.text and "Phone" not in _headers(listing)
    assert "phone" not in [box._value for box in listing.forms["columns-form"].fields["columns"]]
    # Not searchable through it either: a search would tell the number exists.
    assert "Nothing found" in clerk.get(f"{tenant.prefix}/contacts/",
                                        {"q": "13912345678"}).text
    assert _names(clerk.get(f"{tenant.prefix}/contacts/", {"sort": "-phone"})) == ["藏号码"]
    detail = clerk.get(f"{tenant.prefix}/contacts/{contact_id}")
    assert "13912345678" not in detail.text and "Phone" not in detail.text
    for path in ("new", f"{contact_id}/edit"):
        form = clerk.get(f"{tenant.prefix}/contacts/{path}").forms["contact-form"]
        assert "phone" not in form.fields
    exported = clerk.get(f"{tenant.prefix}/contacts/export", {"format": "csv"}).body
    assert b"13912345678" not in exported and b"Phone" not in exported
    sheet = openpyxl.load_workbook(io.BytesIO(clerk.get(
        f"{tenant.prefix}/contacts/export", {"format": "xlsx"}).body)).active
    assert "13912345678" not in str([[c.value for c in row] for row in sheet.iter_rows()])
    # Posted anyway, the value is not taken: not on edit, not on create.
    form = clerk.get(f"{tenant.prefix}/contacts/{contact_id}/edit").forms["contact-form"]
    token = form["csrf_token"].value
    clerk.post(f"{tenant.prefix}/contacts/{contact_id}/edit",
               {"csrf_token": token, "name": "藏号码", "phone": "10000000000"}, status=303)
    assert _contact(registry, tenant, contact_id).phone == "13912345678"
    created = clerk.post(f"{tenant.prefix}/contacts/new",
                         {"csrf_token": token, "name": "新的", "phone": "10000000001"},
                         status=303)
    new_id = int(created.location.rsplit("/", 1)[1])
    assert _contact(registry, tenant, new_id).phone is None


def test_a_read_only_field_is_shown_but_not_taken(wsgi_app, registry, tenant, make_user, login):
    make_user(tenant, "clerk", roles=("staff",))
    _restrict(registry, tenant, "staff", "city", "read")
    [contact_id] = _add(registry, tenant, {"name": "只读城市", "city": "苏州"}, owner="clerk")
    clerk = _client(wsgi_app, login, tenant, "clerk")
    page = clerk.get(f"{tenant.prefix}/contacts/{contact_id}/edit")
    shown = page.html.find("input", id="city")
    assert shown.get("value") == "苏州" and shown.has_attr("readonly") and not shown.get("name")
    form = page.forms["contact-form"]
    assert "city" not in form.fields
    clerk.post(f"{tenant.prefix}/contacts/{contact_id}/edit",
               {"csrf_token": form["csrf_token"].value, "name": "只读城市", "city": "北京"},
               status=303)
    assert _contact(registry, tenant, contact_id).city == "苏州"
    assert "苏州" in clerk.get(f"{tenant.prefix}/contacts/{contact_id}").text


@pytest.mark.extension_point("contacts.detail")
def test_addons_put_panels_on_the_detail_page(boss, registry, tenant):
    """The contacts addon fills its own detail slot with the score panel."""
    [contact_id] = _add(registry, tenant, {"name": "满分", "company": "甲", "title": "乙",
                                           "phone": "13800138000", "email": "a@b.cn",
                                           "city": "丙"})
    detail = boss.get(f"{tenant.prefix}/contacts/{contact_id}")
    panel = detail.html.find("section", class_="contact-score")
    assert panel is not None and panel.find("p", class_="score").get_text() == "100"


def test_a_record_others_refer_to_is_not_deleted(boss, registry, tenant):
    from sqlalchemy import text

    [contact_id] = _add(registry, tenant, {"name": "被引用"})
    with registry.getUtility(IDatabase).engine.begin() as connection:
        connection.execute(text(
            f"CREATE TABLE {tenant.schema_name}.refs_probe "
            f"(contact_id integer REFERENCES {tenant.schema_name}.contacts (id))"))
        connection.execute(text(f"INSERT INTO {tenant.schema_name}.refs_probe VALUES (:id)"),
                           {"id": contact_id})
    form = boss.get(f"{tenant.prefix}/contacts/{contact_id}/delete").forms["delete-form"]
    refused = form.submit(status=409)
    assert "Other records refer to this one" in refused.text
    assert "被引用" in boss.get(f"{tenant.prefix}/contacts/{contact_id}").text
