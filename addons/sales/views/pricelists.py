"""Price lists: a name, a currency, an optional period, and per product a price or a discount."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from jimucrm.core.i18n import _
from jimucrm.core.urls import matched_id, parse_id

from ..forms import CURRENCIES, parse_decimal
from ..models import PriceList, PriceListItem, Product
from . import TEMPLATES, money

MAX_PRICE = Decimal("999999999999.99")


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _header(data: Mapping[str, str]) -> tuple[dict, dict]:
    values = {name: str(data.get(name, "")).strip()
              for name in ("name", "currency", "valid_from", "valid_to")}
    values["active"] = data.get("active") == "on"
    errors = {}
    if not values["name"]:
        errors["name"] = _("This field is required.")
    elif len(values["name"]) > 100:
        errors["name"] = _("At most ${limit} characters.", mapping={"limit": 100})
    if values["currency"] not in CURRENCIES:
        errors["currency"] = _("Choose a currency.")
    for name in ("valid_from", "valid_to"):
        if values[name] and _date(values[name]) is None:
            errors[name] = _("Enter a date like 2026-03-31.")
    start, end = _date(values["valid_from"]), _date(values["valid_to"])
    if start and end and end < start and "valid_to" not in errors:
        errors["valid_to"] = _("The end must not be before the start.")
    return values, errors


def _apply(pricelist: PriceList, values: dict) -> None:
    pricelist.name, pricelist.currency = values["name"], values["currency"]
    pricelist.valid_from = _date(values["valid_from"])
    pricelist.valid_to = _date(values["valid_to"])
    pricelist.active = values["active"]


def _values_of(pricelist: PriceList) -> dict:
    return {"name": pricelist.name, "currency": pricelist.currency,
            "valid_from": pricelist.valid_from.isoformat() if pricelist.valid_from else "",
            "valid_to": pricelist.valid_to.isoformat() if pricelist.valid_to else "",
            "active": pricelist.active}


@view_config(route_name="sales_pricelists", permission="products.view", tenant=True,
             renderer=TEMPLATES + "pricelists.pt")
def pricelist_list(request: Request) -> dict:
    rows = request.dbsession.scalars(
        select(PriceList).options(selectinload(PriceList.items))
        .order_by(PriceList.active.desc(), PriceList.name)).all()
    return {"pricelists": rows}


@view_config(route_name="sales_pricelist_new", permission="products.create", tenant=True,
             renderer=TEMPLATES + "pricelist.pt", request_method=("GET", "POST"))
def pricelist_new(request: Request):
    if request.method == "GET":
        values = {"name": "", "currency": "CNY", "valid_from": "", "valid_to": "",
                  "active": True}
        return _page(request, None, values=values)
    values, errors = _header(request.POST)
    if errors:
        request.response.status_int = 400
        return _page(request, None, values=values, errors=errors)
    pricelist = PriceList()
    _apply(pricelist, values)
    request.dbsession.add(pricelist)
    request.dbsession.flush()
    return HTTPSeeOther(request.route_url("sales_pricelist", id=pricelist.id))


def _page(request: Request, pricelist: PriceList | None, *, values: dict,
          errors: dict | None = None, item: dict | None = None,
          item_errors: dict | None = None) -> dict:
    products = request.dbsession.scalars(
        select(Product).where(Product.active.is_(True)).order_by(Product.code)).all()
    return {"pricelist": pricelist, "values": values, "errors": errors or {},
            "item": item or {"product": "", "price": "", "discount": ""},
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
    return _page(request, pricelist, values=_values_of(pricelist))


@view_config(route_name="sales_pricelist", permission="products.edit", tenant=True,
             renderer=TEMPLATES + "pricelist.pt", request_method="POST")
def pricelist_save(request: Request):
    pricelist = _pricelist(request, lock=True)
    operation = request.POST.get("op", "save")
    if operation == "add":
        return _add_item(request, pricelist)
    if operation.startswith("remove-"):
        item_id = parse_id(operation.removeprefix("remove-"))
        for item in list(pricelist.items):
            if item.id == item_id:
                pricelist.items.remove(item)
        return HTTPSeeOther(request.route_url("sales_pricelist", id=pricelist.id))
    values, errors = _header(request.POST)
    if errors:
        request.response.status_int = 400
        return _page(request, pricelist, values=values, errors=errors)
    _apply(pricelist, values)
    request.session.flash(request.localizer.translate(
        _("Price list ${name} saved.", mapping={"name": pricelist.name})))
    return HTTPSeeOther(request.route_url("sales_pricelist", id=pricelist.id))


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
        return _page(request, pricelist, values=_values_of(pricelist), item=item,
                     item_errors=errors)
    pricelist.items.append(PriceListItem(product=product, price=price, discount_pct=discount))
    return HTTPSeeOther(request.route_url("sales_pricelist", id=pricelist.id))
