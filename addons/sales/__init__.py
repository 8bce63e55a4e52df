"""Sales addon: products, price lists, quotes and orders with taxes, currencies and tracking.

* Models (:mod:`.models`): categories, products, price lists, exchange rates, the
  tenant's sales settings, number sequences, quotes/orders with lines and status
  history; migration branch ``sales``.
* Extension point :class:`~.interfaces.ITaxPolicy`, default China VAT
  (:class:`~.services.VatPolicy`); prices and totals in :mod:`.pricing`.
* The state machine, status history and events in one place: :mod:`.workflow`;
  the outbox events it emits and their payload: :mod:`.events`.
* Permissions: ``products.*`` and ``orders.*`` (record rules by owner), plus
  ``orders.pay``, ``orders.refund`` and ``sales.settings`` for managers.
"""

from __future__ import annotations

from pyramid.config import Configurator

from jimucrm.addons.contacts.interfaces import CONTACT_DETAIL_SLOT, IContactsMerging
from jimucrm.core.events import ITenantProvisioned
from jimucrm.core.i18n import _

from . import events
from .api import DETAIL_SCHEMA, order_detail
from .interfaces import ITaxPolicy
from .merge import move_orders
from .models import Order, PriceList, Product, ProductCategory
from .profile import customer_sales
from .services import VatPolicy
from .subscribers import fill_demo_tenant
from .views.pricelists import pricelist_period


def includeme(config: Configurator) -> None:
    config.add_migration_branch("sales", "jimucrm.addons.sales:migrations/versions")
    config.add_message_catalogues("jimucrm.addons.sales:locale")

    config.add_model_permissions(Product, "products", _("Products"), owner=None)
    config.add_model_permissions(Order, "orders", _("Quotes and orders"))
    config.declare_permission("orders.pay", _("Record payments of orders"),
                              group=_("Quotes and orders"), roles=("manager",))
    config.declare_permission("orders.refund", _("Refund orders"),
                              group=_("Quotes and orders"), roles=("manager",))
    config.declare_permission("sales.settings",
                              _("Change sales settings: taxes, currencies, exchange rates"),
                              group=_("Quotes and orders"), roles=("manager",))

    config.register_service(VatPolicy(), ITaxPolicy)
    events.declare(config)
    config.add_event_subscriber(fill_demo_tenant, ITenantProvisioned)
    config.add_event_subscriber(move_orders, IContactsMerging)
    config.add_panel(CONTACT_DETAIL_SLOT, "jimucrm.addons.sales:templates/customer.pt",
                     order=20, permission="orders.view")
    config.add_request_method(customer_sales, "customer_sales")

    # The quote and order list, its export and the read-only REST resource are generated
    # (before the editor's routes: /sales/orders/export is no order id); the order's page,
    # the editor and the state actions are the addon's own (detail=False, editable=False).
    config.add_model_views(
        Order, name="sales_order", list_name="sales_orders", route_prefix="/sales/orders",
        permission="orders", title=_("Quotes and orders"), item_title=_("Order"),
        list_columns=("number", "kind", "state", "customer_id", "order_date", "total_amount",
                      "owner_id"),
        default_sort=("-order_date",), editable=False, detail=False,
        api_detail=order_detail, api_detail_schema=DETAIL_SCHEMA)
    config.add_route("sales_order_new", "/sales/orders/new")
    config.add_route("sales_order", "/sales/orders/{id}")
    config.add_route("sales_order_edit", "/sales/orders/{id}/edit")
    config.add_route("sales_order_action", "/sales/orders/{id}/{action}")
    # Price lists: the header (list, new, edit, delete, export, /api/v1/sales_pricelists) is
    # generated; the page with the prices of products is the addon's own (detail=False),
    # its route after the generated ones (/sales/pricelists/export is no price list).
    config.add_model_views(
        PriceList, name="sales_pricelist", route_prefix="/sales/pricelists",
        permission="products", title=_("Price lists"), item_title=_("Price list"),
        default_sort=("-active", "name"), owner=None, detail=False, clean=pricelist_period)
    config.add_route("sales_pricelist", "/sales/pricelists/{id:\\d+}")
    config.add_route("sales_settings", "/sales/settings")
    # Products and categories: core's generated pages and REST resources (routes
    # sales_products, sales_product_new, sales_product, sales_product_edit… and
    # sales_categories, sales_category…; /api/v1/sales_products, /api/v1/sales_categories).
    config.add_model_views(
        Product, name="sales_product", route_prefix="/sales/products", permission="products",
        title=_("Products"), item_title=_("Product"), default_sort=("code",), owner=None)
    config.add_model_views(
        ProductCategory, name="sales_category", list_name="sales_categories",
        route_prefix="/sales/categories", permission="products", title=_("Categories"),
        item_title=_("Category"), default_sort=("name",), owner=None)
    # The sales pages' navigation (orders, quotes, new ones, products…) above the
    # generated lists too.
    for key in ("sales_orders", "sales_products", "sales_categories", "sales_pricelists"):
        config.add_panel(f"{key}.list", "jimucrm.addons.sales:templates/nav_panel.pt",
                         order=1, permission="orders.view" if key == "sales_orders"
                         else "products.view")
    config.add_menu_item("sales", _("Sales"), "sales_orders", order=40,
                         permission="orders.view")
    config.scan(".views")
