"""Companies through their generated pages, and a contact's company."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jimucrm.addons.contacts.models import Company, Contact

VALID_CODE = "91350100M000100Y43"


def test_company_crud_and_credit_code_check(admin, tenant, db):
    listing = admin.get(f"{tenant.prefix}/companies/")
    assert admin.get(f"{tenant.prefix}/").html.find("a", href=f"http://localhost{tenant.prefix}/companies/")
    form = listing.click(href="/companies/new").forms["company-form"]
    form["name"], form["credit_code"], form["industry"] = "福州闽江软件有限公司", \
        "91350100M000100Y44", "软件"
    form["province"], form["city"], form["level"] = "福建省", "福州", "vip"
    refused = form.submit(status=400)
    # The wrong check character is named beside the field, and what was typed stays.
    field = refused.html.find("input", id="credit_code").find_parent("div")
    assert "unified social credit code" in field.find("p", class_="error").get_text()
    assert refused.forms["company-form"]["credit_code"].value == "91350100M000100Y44"
    assert refused.forms["company-form"]["industry"].value == "软件"
    again = refused.forms["company-form"]
    again["credit_code"] = VALID_CODE
    detail = again.submit(status=303).follow()
    assert "福州闽江软件有限公司" in detail.text and "VIP" in detail.text
    with db(tenant) as session:
        company = session.scalars(select(Company)).one()
        assert (company.credit_code, company.city, company.owner_id is not None) == \
            (VALID_CODE, "福州", True)
        company_id = company.id
    edit = admin.get(f"{tenant.prefix}/companies/{company_id}/edit").forms["company-form"]
    edit["street"] = "软件大道 89 号"
    edit.submit(status=303)
    # Exact search by the credit code.
    found = admin.get(f"{tenant.prefix}/companies/", {"q": VALID_CODE})
    assert "福州闽江软件有限公司" in found.text
    confirm = admin.get(f"{tenant.prefix}/companies/{company_id}/delete")
    confirm.forms["delete-form"].submit(status=303)
    with db(tenant) as session:
        assert session.scalar(select(Company.id)) is None


@pytest.mark.extension_point("companies.detail")
def test_contact_chooses_a_company_and_shows_it(admin, tenant, db, add_contacts):
    add_contacts(tenant, {"name": "占位", "company": "上海云帆贸易有限公司"})
    form = admin.get(f"{tenant.prefix}/contacts/new").forms["contact-form"]
    with db(tenant) as session:
        company_id = session.scalar(select(Company.id))
    assert str(company_id) in [value for value, *_ in form["company_id"].options]
    form["name"], form["company_id"] = "王伟", str(company_id)
    detail = form.submit(status=303).follow()
    profile = detail.html.find("section", class_="contact-profile")
    assert profile.find("a", href=f"http://localhost{tenant.prefix}/companies/{company_id}")
    # The company's page lists its people.
    people = admin.get(f"{tenant.prefix}/companies/{company_id}").html.find(
        "section", class_="company-people").get_text()
    assert "王伟" in people and "占位" in people
    # The list filters by company.
    listed = admin.get(f"{tenant.prefix}/contacts/", {"f_company_id": str(company_id)})
    assert {"王伟", "占位"} <= {a.get_text() for a in listed.html.select("table.list tbody a")}


def test_record_rules_apply_to_companies(client_for, tenant, db):
    seller = client_for(tenant, "seller")
    other = client_for(tenant, "other")
    form = seller.get(f"{tenant.prefix}/companies/new").forms["company-form"]
    form["name"] = "卖家的公司"
    form.submit(status=303)
    with db(tenant) as session:
        company_id = session.scalar(select(Company.id))
    assert "卖家的公司" not in other.get(f"{tenant.prefix}/companies/").text
    other.get(f"{tenant.prefix}/companies/{company_id}", status=404)
    # A contact form of the other user does not offer it, and a forged id is refused.
    contact_form = other.get(f"{tenant.prefix}/contacts/new").forms["contact-form"]
    assert str(company_id) not in [value for value, *_ in contact_form["company_id"].options]
    token = contact_form["csrf_token"].value
    other.post(f"{tenant.prefix}/contacts/new", {"csrf_token": token, "name": "伪造",
                                                 "company_id": str(company_id)}, status=400)
    with db(tenant) as session:
        assert session.scalar(select(Contact.id).where(Contact.name == "伪造")) is None
