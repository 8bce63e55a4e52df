"""Products and their category tree.

Hand-written rather than generated from field metadata: the category is a choice
among the tenant's own categories, which static field choices cannot express.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import func, or_, select

from jimucrm.core.i18n import _
from jimucrm.core.pagination import paginate
from jimucrm.core.urls import matched_id, parse_id

from ..forms import CURRENCIES, parse_decimal
from ..interfaces import ITaxPolicy
from ..models import Product, ProductCategory
from . import TEMPLATES, money

PAGE_SIZE = 50
MAX_PRICE = Decimal("999999999999.99")
PRODUCT_FIELDS = ("code", "name", "category", "unit", "list_price", "currency", "tax_class",
                  "description")
LIMITS = {"code": 40, "name": 200, "unit": 20, "description": 5000}


def category_choices(session) -> list[tuple[int, str]]:
    """Every category as (id, "parent / child"), parents before their children."""
    rows = session.execute(select(ProductCategory.id, ProductCategory.name,
                                  ProductCategory.parent_id)
                           .order_by(ProductCategory.position, ProductCategory.name)).all()
    children: dict[int | None, list] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    found: list[tuple[int, str]] = []

    def walk(parent: int | None, path: str, depth: int) -> None:
        for row in children.get(parent, ()):
            label = f"{path} / {row.name}" if path else row.name
            found.append((row.id, label))
            if depth < 20:  # the tree is shallow; a cycle must not loop forever
                walk(row.id, label, depth + 1)

    walk(None, "", 0)
    return found


def _like_prefix(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


@view_config(route_name="sales_products", permission="products.view", tenant=True,
             renderer=TEMPLATES + "products.pt")
def product_list(request: Request) -> dict:
    session = request.dbsession
    term = request.params.get("q", "").strip()[:100]
    categories = category_choices(session)
    category = parse_id(request.params.get("category"))
    if category not in {id_ for id_, _label in categories}:
        category = None
    query = select(Product)
    if term:
        pattern = _like_prefix(term)
        query = query.where(or_(Product.code.ilike(pattern), Product.name.ilike(pattern)))
    if category is not None:
        query = query.where(Product.category_id == category)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    page = paginate(request.params, total, PAGE_SIZE)
    rows = session.scalars(query.order_by(Product.code).limit(page.size)
                           .offset(page.offset)).all()
    return {"products": rows, "q": term, "category": category, "categories": categories,
            "names": dict(categories), "page": page.number, "pages": page.pages,
            "money": money}


def _validate(request: Request, data: Mapping[str, str], categories: set[int],
              product: Product | None) -> tuple[dict[str, str], dict]:
    values = {name: str(data.get(name, "")).strip() for name in PRODUCT_FIELDS}
    values["active"] = data.get("active") == "on"
    errors = {}
    for name in ("code", "name", "unit"):
        if not values[name]:
            errors[name] = _("This field is required.")
    for name, limit in LIMITS.items():
        if len(values[name]) > limit and name not in errors:
            errors[name] = _("At most ${limit} characters.", mapping={"limit": limit})
    if values["category"] and parse_id(values["category"]) not in categories:
        errors["category"] = _("Choose one of the categories.")
    if parse_decimal(values["list_price"], places=2, maximum=MAX_PRICE) is None:
        errors["list_price"] = _("Enter a price of 0 or more, with at most 2 decimals.")
    if values["currency"] not in CURRENCIES:
        errors["currency"] = _("Choose a currency.")
    classes = {key for key, _label in request.find_service(ITaxPolicy).classes()}
    if values["tax_class"] not in classes:
        errors["tax_class"] = _("Choose a tax class.")
    if "code" not in errors:
        clash = select(Product.id).where(func.lower(Product.code) == values["code"].lower())
        if product is not None:
            clash = clash.where(Product.id != product.id)
        if request.dbsession.scalar(clash) is not None:
            errors["code"] = _("Another product has this code.")
    return values, errors


def _form(request: Request, product: Product | None, values: dict, errors: dict) -> dict:
    return {"product": product, "values": values, "errors": errors,
            "categories": category_choices(request.dbsession), "currencies": CURRENCIES,
            "tax_classes": request.find_service(ITaxPolicy).classes()}


def _save(request: Request, product: Product | None):
    categories = {id_ for id_, _label in category_choices(request.dbsession)}
    values, errors = _validate(request, request.POST, categories, product)
    if errors:
        request.response.status_int = 400
        return _form(request, product, values, errors)
    if product is None:
        product = Product()
        request.dbsession.add(product)
    product.code, product.name, product.unit = values["code"], values["name"], values["unit"]
    product.category_id = parse_id(values["category"]) if values["category"] else None
    product.list_price = parse_decimal(values["list_price"], places=2, maximum=MAX_PRICE)
    product.currency, product.tax_class = values["currency"], values["tax_class"]
    product.description, product.active = values["description"], values["active"]
    request.dbsession.flush()
    request.session.flash(request.localizer.translate(
        _("Product ${code} saved.", mapping={"code": product.code})))
    return HTTPSeeOther(request.route_url("sales_products"))


@view_config(route_name="sales_product_new", permission="products.create", tenant=True,
             renderer=TEMPLATES + "product.pt", request_method=("GET", "POST"))
def product_new(request: Request):
    if request.method == "POST":
        return _save(request, None)
    values = dict.fromkeys(PRODUCT_FIELDS, "")
    values.update(unit="件", currency="CNY", tax_class="standard", active=True)
    return _form(request, None, values, {})


@view_config(route_name="sales_product", permission="products.view", tenant=True,
             renderer=TEMPLATES + "product.pt", request_method="GET")
def product_page(request: Request) -> dict:
    product = request.dbsession.get(Product, matched_id(request))
    if product is None:
        raise HTTPNotFound()
    values = {"code": product.code, "name": product.name,
              "category": str(product.category_id or ""), "unit": product.unit,
              "list_price": str(product.list_price), "currency": product.currency,
              "tax_class": product.tax_class, "description": product.description,
              "active": product.active}
    return _form(request, product, values, {})


@view_config(route_name="sales_product", permission="products.edit", tenant=True,
             renderer=TEMPLATES + "product.pt", request_method="POST")
def product_save(request: Request):
    product = request.dbsession.get(Product, matched_id(request), with_for_update=True)
    if product is None:
        raise HTTPNotFound()
    return _save(request, product)


@view_config(route_name="sales_categories", permission="products.view", tenant=True,
             renderer=TEMPLATES + "categories.pt", request_method="GET")
def category_list(request: Request) -> dict:
    return {"categories": category_choices(request.dbsession),
            "values": {"name": "", "parent": ""}, "errors": {}}


@view_config(route_name="sales_categories", permission="products.edit", tenant=True,
             renderer=TEMPLATES + "categories.pt", request_method="POST")
def category_add(request: Request):
    categories = category_choices(request.dbsession)
    values = {"name": request.POST.get("name", "").strip(),
              "parent": request.POST.get("parent", "").strip()}
    errors = {}
    if not values["name"]:
        errors["name"] = _("This field is required.")
    elif len(values["name"]) > 100:
        errors["name"] = _("At most ${limit} characters.", mapping={"limit": 100})
    parent = parse_id(values["parent"]) if values["parent"] else None
    if values["parent"] and parent not in {id_ for id_, _label in categories}:
        errors["parent"] = _("Choose one of the categories.")
    if errors:
        request.response.status_int = 400
        return {"categories": categories, "values": values, "errors": errors}
    request.dbsession.add(ProductCategory(name=values["name"], parent_id=parent))
    request.session.flash(request.localizer.translate(
        _("Category ${name} added.", mapping={"name": values["name"]})))
    return HTTPSeeOther(request.route_url("sales_categories"))
