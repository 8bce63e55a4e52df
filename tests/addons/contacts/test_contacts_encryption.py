"""Phones, mobiles and ID-card numbers: encrypted at rest, found by exact value only."""

from __future__ import annotations

import webtest
from sqlalchemy import select, text

from jimucrm.addons.contacts.models import Contact
from jimucrm.core.interfaces import IDatabase
from jimucrm.security.rbac.models import Role

ID_NUMBER = "11010519491231002X"


def test_phone_and_id_number_are_not_stored_in_plain_text(admin, tenant, registry, db):
    form = admin.get(f"{tenant.prefix}/contacts/new").forms["contact-form"]
    form["name"], form["phone"], form["mobile"] = "李雷", "021-6200 1234", "138 0013 8000"
    form["id_number"] = ID_NUMBER
    form.submit(status=303)
    with registry.getUtility(IDatabase).engine.connect() as connection:
        raw = connection.execute(text(
            f'SELECT phone, mobile, id_number, phone_index FROM "{tenant.schema_name}".contacts'
        )).one()
    for value, plain in zip(raw[:3], ("6200 1234", "13800138000", ID_NUMBER), strict=True):
        stored = bytes(value)
        assert plain.encode() not in stored and b"0013" not in stored and len(stored) > 20
    assert len(bytes(raw.phone_index)) == 16
    with db(tenant) as session:
        contact = session.scalars(select(Contact)).one()
        assert (contact.phone, contact.mobile, contact.id_number) == \
            ("021-6200 1234", "138 0013 8000", ID_NUMBER)


def test_list_search_finds_exact_numbers_however_written(admin, tenant, add_contacts):
    add_contacts(tenant, {"name": "韩梅梅", "mobile": "13800138000"},
                 {"name": "李雷", "phone": "13800138001"})

    def names(term: str) -> set[str]:
        page = admin.get(f"{tenant.prefix}/contacts/", {"q": term})
        return {a.get_text() for a in page.html.select("table.list tbody a")}

    assert names("138-0013-8000") == {"韩梅梅"}
    assert names("13800138001") == {"李雷"}
    # No prefix search on numbers any more: a part of a number finds nothing.
    assert names("1380013") == set()


def test_api_filters_by_exact_phone(wsgi_app, make_user, make_token, tenant, add_contacts):
    make_user(tenant, "boss", is_admin=True)
    token = make_token(tenant, "boss", ("api.me", "contacts.view"))
    add_contacts(tenant, {"name": "韩梅梅", "phone": "13800138000"},
                 {"name": "李雷", "phone": "13900139000"})
    api = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    url = f"{tenant.prefix}/api/v1/contacts"
    found = api.get(url, {"phone": "138 0013 8000"}, headers=headers).json["items"]
    assert [item["name"] for item in found] == ["韩梅梅"] and found[0]["phone"] == "13800138000"
    assert [item["name"] for item in api.get(url, {"q": "13900139000"},
                                             headers=headers).json["items"]] == ["李雷"]
    error = api.get(url, {"phone__prefix": "138"}, headers=headers, status=400).json["error"]
    assert "phone__prefix" in error["fields"]


def test_id_number_checksum_is_checked_and_the_input_kept(admin, tenant, db):
    form = admin.get(f"{tenant.prefix}/contacts/new").forms["contact-form"]
    form["name"], form["id_number"], form["city"] = "张三", "110105194912310021", "北京"
    refused = form.submit(status=400)
    field = refused.html.find("input", id="id_number").find_parent("div")
    assert "ID card number" in field.find("p", class_="error").get_text()
    again = refused.forms["contact-form"]
    assert (again["id_number"].value, again["city"].value) == ("110105194912310021", "北京")
    for wrong in ("11010519491331002X", "1101051949123100", "A1010519491231002X"):
        again["id_number"] = wrong
        again.submit(status=400)
    again["id_number"] = "11010519491231002x"  # a lower-case x is the same check character
    again.submit(status=303)
    with db(tenant) as session:
        assert session.scalar(select(Contact.id).where(Contact.id_number == ID_NUMBER))


def test_field_rules_can_hide_the_id_number(admin, client_for, tenant, db, add_contacts):
    seller = client_for(tenant, "seller")
    [contact_id] = add_contacts(tenant, {"name": "张三", "id_number": ID_NUMBER}, owner="seller")
    with db(tenant) as session:
        staff = session.scalar(select(Role.id).where(Role.key == "staff"))
    form = admin.get(f"{tenant.prefix}/settings/roles/{staff}").forms["role-form"]
    form["field:contacts:id_number"] = "none"
    form.submit(status=303)
    assert ID_NUMBER not in seller.get(f"{tenant.prefix}/contacts/{contact_id}").text
    assert "id_number" not in seller.get(f"{tenant.prefix}/contacts/new").forms[
        "contact-form"].fields
    assert ID_NUMBER in admin.get(f"{tenant.prefix}/contacts/{contact_id}").text
