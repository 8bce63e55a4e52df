"""A price list's page: its header, and per product a price or a discount.

The header (name, currency, period, active) has core's generated list, forms, delete,
export and REST resource (see the package); this page is where its prices are kept."""

from __future__ import annotations

from decimal import Decimal

from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import select

from jimucrm.core.i18n import _
from jimucrm.core.urls import matched_id, parse_id

from ..forms import CURRENCIES, parse_decimal
from ..models import PriceList, PriceListItem, Product
from . import TEMPLATES, money

MAX_PRICE = Decimal("999999999999.99")


def pricelist_period(request: Request, values: dict, pricelist: PriceList | None) -> dict:
    """The generated header form's and API's check: the end is not before the start."""
    start = values.get("valid_from", pricelist.valid_from if pricelist else None)
    end = values.get("valid_to", pricelist.valid_to if pricelist else None)
    if start and end and end < start:
        return {"valid_to": _("The end must not be before the start.")}
    return {}


def _page(request: Request, pricelist: PriceList, *, item: dict | None = None,
          item_errors: dict | None = None) -> dict:
    products = request.dbsession.scalars(
        select(Product).where(Product.active.is_(True)).order_by(Product.code)).all()
    return {"pricelist": pricelist, "item": item or {"product": "", "price": "", "discount": ""},
            "item_errors": item_errors or {}, "products": products,
            "currencies": CURRENCIES, "money": money}


def _pricelist(request: Request, lock: bool = False) -> PriceList:
    pricelist = request.dbsession.get(PriceList, matched_id(request), with_for_update=lock)
    if pricelist is None:
        raise HTTPNotFound()
    return pricelist


@view_config(route_name="sales_pricelist", permission="products.view", tenant=True,
             renderer=TEMPLATES + "pricelist.pt", request_method="GET")
def pricelist_page(request: Request) -> dict:
    pricelist = _pricelist(request)
    return _page(request, pricelist)


@view_config(route_name="sales_pricelist", permission="products.edit", tenant=True,
             renderer=TEMPLATES + "pricelist.pt", request_method="POST")
def pricelist_save(request: Request):
    pricelist = _pricelist(request, lock=True)
    operation = request.POST.get("op", "")
    if operation == "add":
        return _add_item(request, pricelist)
    if operation.startswith("remove-"):
        item_id = parse_id(operation.removeprefix("remove-"))
        for item in list(pricelist.items):
            if item.id == item_id:
                pricelist.items.remove(item)
        return HTTPSeeOther(request.route_url("sales_pricelist", id=pricelist.id))
    raise HTTPBadRequest()


def _add_item(request: Request, pricelist: PriceList):
    item = {name: request.POST.get(name, "").strip() for name in ("product", "price",
                                                                   "discount")}
    errors = {}
    product = request.dbsession.get(Product, parse_id(item["product"]) or 0)
    if product is None:
        errors["product"] = _("Choose one of the products.")
    elif any(existing.product_id == product.id for existing in pricelist.items):
        errors["product"] = _("This product is already in the list.")
    price = discount = None
    if bool(item["price"]) == bool(item["discount"]):
        errors["price"] = _("Enter either a price or a discount.")
    elif item["price"]:
        price = parse_decimal(item["price"], places=2, maximum=MAX_PRICE)
        if price is None:
            errors["price"] = _("Enter a price of 0 or more, with at most 2 decimals.")
    else:
        discount = parse_decimal(item["discount"], places=2, maximum=Decimal(100))
        if discount is None:
            errors["discount"] = _("Enter a discount from 0 to 100 (%).")
    if errors:
        request.response.status_int = 400
        return _page(request, pricelist, item=item, item_errors=errors)
    pricelist.items.append(PriceListItem(product=product, price=price, discount_pct=discount))
    return HTTPSeeOther(request.route_url("sales_pricelist", id=pricelist.id))
