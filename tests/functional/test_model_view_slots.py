"""Every generated list and detail page renders the panels addons put into its slots."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import webtest

from jimucrm.addons.contacts.models import Company, Contact
from jimucrm.addons.crm.models import Lead, Opportunity
from jimucrm.addons.sales.models import Product, ProductCategory
from jimucrm.core import configure
from jimucrm.core.interfaces import IDatabase

PROBE = "slot-probe"
LISTS = {
    "contacts.list": "/contacts/", "companies.list": "/companies/",
    "crm_leads.list": "/crm/leads/", "crm_opportunities.list": "/crm/deals/",
    "sales_orders.list": "/sales/orders/", "sales_pricelists.list": "/sales/pricelists/",
    "sales_products.list": "/sales/products/", "sales_categories.list": "/sales/categories/",
}
DETAILS = {
    "crm_leads.detail": (Lead, "/crm/leads/{}", {"name": "槽位线索"}),
    "crm_opportunities.detail": (Opportunity, "/crm/deals/{}", {"name": "槽位商机"}),
    "sales_categories.detail": (ProductCategory, "/sales/categories/{}", {"name": "槽位分类"}),
    "sales_products.detail": (Product, "/sales/products/{}",
                              {"code": "SLOT-1", "name": "槽位产品",
                               "list_price": Decimal("9.90")}),
    "contacts.detail": (Contact, "/contacts/{}", {"name": "槽位联系人"}),
    "companies.detail": (Company, "/companies/{}", {"name": "槽位公司"}),
}


@pytest.fixture(scope="module")
def probe_app(settings) -> Iterator[webtest.TestApp]:
    """The app with ``slot_probe`` included: a panel in every model's list and detail slot."""
    includes = "jimucrm.tenants jimucrm.security slot_probe"
    configured = configure({**settings, "jimu.includes": includes})
    yield webtest.TestApp(configured.make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})
    configured.registry.getUtility(IDatabase).dispose()


@pytest.fixture
def admin(probe_app, tenant, make_user, login) -> webtest.TestApp:
    login(probe_app, tenant, make_user(tenant, "slotadmin", is_admin=True)).follow()
    return probe_app


@pytest.mark.extension_point("contacts.list")
@pytest.mark.extension_point("companies.list")
@pytest.mark.extension_point("crm_leads.list")
@pytest.mark.extension_point("crm_opportunities.list")
@pytest.mark.extension_point("sales_orders.list")
@pytest.mark.extension_point("sales_pricelists.list")
@pytest.mark.extension_point("sales_products.list")
@pytest.mark.extension_point("sales_categories.list")
def test_list_slots_render_their_panels(admin, tenant, probe_app):
    for slot, path in LISTS.items():
        assert PROBE in admin.get(tenant.prefix + path).text, slot
    probe_app.reset()  # logged out: the panels' pages are not shown, nor their panels
    assert PROBE not in probe_app.get(tenant.prefix + LISTS["contacts.list"]).text


@pytest.mark.extension_point("crm_leads.detail")
@pytest.mark.extension_point("crm_opportunities.detail")
@pytest.mark.extension_point("sales_categories.detail")
@pytest.mark.extension_point("sales_products.detail")
def test_detail_slots_render_their_panels(admin, tenant, registry):
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session, \
            session.begin():
        records = {slot: model(**values) for slot, (model, _, values) in DETAILS.items()}
        session.add_all(records.values())
        session.flush()
        paths = {slot: DETAILS[slot][1].format(record.id) for slot, record in records.items()}
    for slot, path in paths.items():
        assert PROBE in admin.get(tenant.prefix + path).text, slot
