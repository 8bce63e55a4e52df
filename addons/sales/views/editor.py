"""The quote/order form with its line editor, for new drafts and draft edits.

Works without JavaScript: "Add line", "Remove" and "Recalculate" are submit
buttons that come back to the same page with the lines as typed and the totals
recomputed on the server; only "Save" writes, and only when every field is valid.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import or_, select

from jimucrm.addons.contacts.models import Company, Contact
from jimucrm.core.i18n import _
from jimucrm.core.interfaces import IRecordRules

from ..forms import CURRENCIES, OrderForm, blank_line, validate
from ..interfaces import ITaxPolicy
from ..models import Order, OrderLine, PriceList, Product
from ..pricing import (
    Amounts,
    current_settings,
    default_price,
    exchange_rate,
    line_amounts,
    recompute,
    sum_amounts,
)
from ..workflow import STATE_LABELS, create, is_editable
from . import TEMPLATES, actor, money, order_for, shown

MAX_CHOICES = 1000  # customers offered in the form's list


def _plain(value: Decimal) -> str:
    """``Decimal('2.500')`` → ``2.5``: how a number is shown back in an input."""
    return f"{value.normalize():f}"


class Editor:
    """One request to the form: choices, the form as posted, its preview, saving."""

    def __init__(self, request: Request, kind: str, order: Order | None) -> None:
        self.request = request
        self.session = request.dbsession
        self.kind = kind
        self.order = order
        self.policy = request.find_service(ITaxPolicy)
        self.prices_include_tax = (order.prices_include_tax if order is not None
                                   else current_settings(self.session).prices_include_tax)
        self.show = shown(request)

    # -- choices -----------------------------------------------------------------------
    def customers(self) -> list[tuple[int, str]]:
        columns = (Contact.id, Contact.name, Contact.company_id)
        query = self.request.find_service(IRecordRules).apply(self.request, select(*columns),
                                                              Contact)
        if self.order is not None:  # the order's own customer stays choosable
            query = query.union(select(*columns).where(Contact.id == self.order.customer_id))
        chosen = query.subquery()
        query = (select(chosen.c.id, chosen.c.name, Company.name.label("company"))
                 .outerjoin(Company, Company.id == chosen.c.company_id))
        rows = self.session.execute(
            query.order_by(chosen.c.name, chosen.c.id).limit(MAX_CHOICES)).all()
        return [(row.id, f"{row.name} · {row.company}" if row.company else row.name)
                for row in rows]

    def pricelists(self) -> list[PriceList]:
        query = select(PriceList).where(PriceList.active.is_(True))
        if self.order is not None and self.order.pricelist_id is not None:
            query = select(PriceList).where(or_(PriceList.active.is_(True),
                                                PriceList.id == self.order.pricelist_id))
        return list(self.session.scalars(query.order_by(PriceList.name, PriceList.id)))

    def products(self) -> list[Product]:
        query = select(Product).where(Product.active.is_(True))
        if self.order is not None:
            on_order = select(OrderLine.product_id).where(OrderLine.order_id == self.order.id)
            query = select(Product).where(or_(Product.active.is_(True),
                                              Product.id.in_(on_order)))
        return list(self.session.scalars(query.order_by(Product.code)))

    # -- what the form shows -----------------------------------------------------------
    def initial(self) -> dict[str, str]:
        """The form's fields as they are first shown, as if they had been posted."""
        order = self.order
        if order is None:
            settings = current_settings(self.session)
            return {"customer": self.request.params.get("customer", ""),
                    "order_date": datetime.now(UTC).date().isoformat(),
                    "currency": settings.default_currency, "pricelist": "", "notes": "",
                    "line-0-quantity": "1"}
        data = {"customer": str(order.customer_id), "order_date": order.order_date.isoformat(),
                "currency": order.currency,
                "pricelist": str(order.pricelist_id or ""),
                "notes": order.notes if self.show["notes"] else ""}
        for position, line in enumerate(order.lines):
            data.update({f"line-{position}-product": str(line.product_id),
                         f"line-{position}-description": line.description,
                         f"line-{position}-quantity": _plain(line.quantity),
                         f"line-{position}-unit_price": str(line.unit_price),
                         f"line-{position}-discount": _plain(line.discount_pct)})
        return data

    def check(self, form: OrderForm, products: dict[int, Product]) -> Amounts:
        """Checks that need the database, and each line's price, tax and amounts."""
        pricelist = None
        if form.pricelist_id is not None and "pricelist" not in form.errors:
            pricelist = self.session.get(PriceList, form.pricelist_id)
        header_ok = form.order_date is not None and "currency" not in form.errors
        self.rate = None
        if header_ok:
            self.rate = exchange_rate(self.session, form.values["currency"], form.order_date)
            if self.rate is None:
                form.errors["currency"] = _(
                    "There is no exchange rate for ${currency} on or before ${date}; add one "
                    "in the sales settings.",
                    mapping={"currency": form.values["currency"],
                             "date": form.order_date.isoformat()})
                header_ok = False
        if pricelist is not None and header_ok:
            if pricelist.currency != form.values["currency"]:
                form.errors["pricelist"] = _("This price list is in ${currency}.",
                                             mapping={"currency": pricelist.currency})
            elif not pricelist.valid_on(form.order_date):
                form.errors["pricelist"] = _("This price list is not valid on the order date.")
        # Never added to the session: only the pricing functions look at it.
        draft = Order(kind=self.kind, currency=form.values["currency"],
                      order_date=form.order_date, prices_include_tax=self.prices_include_tax,
                      pricelist=pricelist if "pricelist" not in form.errors else None)
        found = []
        for line in form.lines:
            if line.blank or "product" in line.errors:
                continue
            line.product = products.get(line.product_id)
            if line.product is None:
                line.errors["product"] = _("Choose one of the products.")
                continue
            if not header_ok:
                continue
            default = default_price(self.session, line.product, draft)
            if default is None and line.unit_price is None:
                line.errors["unit_price"] = _("No exchange rate converts this product's price; "
                                              "enter the price.")
                continue
            line.price_used = line.unit_price if line.unit_price is not None else default[0]
            line.discount_used = line.discount if line.discount is not None else (
                default[1] if default is not None else Decimal(0))
            line.rate = self.policy.rate(line.product, draft)
            if line.errors or line.quantity is None:
                continue
            line.amounts = line_amounts(self.policy, line.quantity, line.price_used,
                                        line.discount_used, line.rate, self.prices_include_tax)
            found.append(line.amounts)
        return sum_amounts(found)

    # -- saving ------------------------------------------------------------------------
    def save(self, form: OrderForm) -> Order:
        order = self.order
        if order is None:
            order = Order(kind=self.kind, owner_id=self.request.identity.user_id,
                          prices_include_tax=self.prices_include_tax)
        order.customer_id = form.customer_id
        order.order_date = form.order_date
        order.currency = form.values["currency"]
        order.exchange_rate = self.rate
        order.pricelist_id = form.pricelist_id
        if self.show["notes_writable"]:
            order.notes = form.values["notes"]
        elif self.order is None:
            order.notes = ""
        order.lines = [OrderLine(
            position=position, product_id=line.product.id, product=line.product,
            description=line.raw["description"] or line.product.name,
            quantity=line.quantity, unit_price=line.price_used,
            discount_pct=line.discount_used, tax_rate=line.rate)
            for position, line in enumerate(line for line in form.lines if not line.blank)]
        recompute(order, self.policy)
        if self.order is None:
            create(actor(self.request), order)
        self.session.flush()
        return order

    def handle(self) -> dict | HTTPSeeOther:
        request = self.request
        customers = self.customers()
        pricelists = self.pricelists()
        products = self.products()
        totals = None
        choosable = {"customers": {id_ for id_, _label in customers},
                     "pricelists": {pricelist.id for pricelist in pricelists}}
        by_id = {product.id: product for product in products}
        if request.method == "GET":
            # Read back through the same checks, for the prices and totals; a form
            # shown for the first time shows no errors.
            form = validate(self.initial(), **choosable)
            totals = self.check(form, by_id)
            errors = {}
            for line in form.lines:
                line.errors = {}
        else:
            form = validate(request.POST, **choosable)
            operation = request.POST.get("op", "save")
            if operation == "add":
                form.lines.append(blank_line(len(form.lines)))
            elif operation.startswith("remove-"):
                removed = operation.removeprefix("remove-")
                form.lines = [line for line in form.lines if str(line.index) != removed]
                for position, line in enumerate(form.lines):
                    line.index = position
            totals = self.check(form, by_id)
            errors = form.errors
            if operation == "save":
                if form.valid:
                    order = self.save(form)
                    request.session.flash(request.localizer.translate(_(
                        "${number} saved.", mapping={"number": order.number})))
                    return HTTPSeeOther(request.route_url("sales_order", id=order.id))
                request.response.status_int = 400
        if not form.lines:
            form.lines.append(blank_line(0))
        return {"kind": self.kind, "order": self.order, "values": form.values,
                "errors": errors, "lines": form.lines, "totals": totals,
                "has_errors": not form.valid and request.method == "POST",
                "customers": customers, "pricelists": pricelists, "products": products,
                "currencies": CURRENCIES, "states": STATE_LABELS, "money": money,
                "prices_include_tax": self.prices_include_tax, "show": self.show}


@view_config(route_name="sales_order_new", permission="orders.create", tenant=True,
             renderer=TEMPLATES + "form.pt", request_method=("GET", "POST"))
def order_new(request: Request):
    kind = "quote" if request.params.get("kind") == "quote" else "order"
    return Editor(request, kind, None).handle()


@view_config(route_name="sales_order_edit", permission="orders.edit", tenant=True,
             renderer=TEMPLATES + "form.pt", request_method=("GET", "POST"))
def order_edit(request: Request):
    order = order_for(request, "write", lock=request.method == "POST")
    if not is_editable(order):
        request.session.flash(request.localizer.translate(_(
            "${number} is ${state}: only drafts can be edited.",
            mapping={"number": order.number,
                     # Translated first: a mapping's TranslationString is not.
                     "state": request.localizer.translate(STATE_LABELS[order.state])})))
        return HTTPSeeOther(request.route_url("sales_order", id=order.id))
    return Editor(request, order.kind, order).handle()
