"""Sales settings: tax-inclusive prices, the default currency, exchange rates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from jimucrm.core.i18n import _

from ..forms import CURRENCIES, parse_decimal
from ..models import DEFAULT_CURRENCY, ExchangeRate, SalesSettings
from ..pricing import current_settings
from . import TEMPLATES


def _page(request: Request, *, values: dict | None = None, errors: dict | None = None,
          rate_values: dict | None = None, rate_errors: dict | None = None) -> dict:
    settings = current_settings(request.dbsession)
    rates = request.dbsession.scalars(
        select(ExchangeRate).order_by(ExchangeRate.currency, ExchangeRate.valid_from.desc())).all()
    return {
        "values": values or {"prices_include_tax": settings.prices_include_tax,
                             "default_currency": settings.default_currency},
        "errors": errors or {}, "rates": rates, "currencies": CURRENCIES,
        "rate_values": rate_values or {"currency": "USD", "valid_from": "", "rate": ""},
        "rate_errors": rate_errors or {},
    }


@view_config(route_name="sales_settings", permission="sales.settings", tenant=True,
             renderer=TEMPLATES + "settings.pt", request_method="GET")
def settings_page(request: Request) -> dict:
    return _page(request)


@view_config(route_name="sales_settings", permission="sales.settings", tenant=True,
             renderer=TEMPLATES + "settings.pt", request_method="POST")
def settings_save(request: Request):
    if request.POST.get("form") == "rate":
        return _save_rate(request)
    values = {"prices_include_tax": request.POST.get("prices_include_tax") == "on",
              "default_currency": request.POST.get("default_currency", "")}
    if values["default_currency"] not in CURRENCIES:
        request.response.status_int = 400
        return _page(request, values=values,
                     errors={"default_currency": _("Choose a currency.")})
    request.dbsession.execute(
        insert(SalesSettings).values(id=1, **values)
        .on_conflict_do_update(index_elements=[SalesSettings.id], set_=values))
    request.session.flash(request.localizer.translate(_("Sales settings saved.")))
    return HTTPSeeOther(request.route_url("sales_settings"))


def _save_rate(request: Request):
    values = {name: request.POST.get(name, "").strip() for name in ("currency", "valid_from",
                                                                     "rate")}
    errors = {}
    if values["currency"] not in CURRENCIES or values["currency"] == DEFAULT_CURRENCY:
        errors["currency"] = _("Choose a currency other than CNY.")
    try:
        valid_from = date.fromisoformat(values["valid_from"])
    except ValueError:
        errors["valid_from"] = _("Enter a date like 2026-03-31.")
    rate = parse_decimal(values["rate"], places=6, maximum=Decimal("999999"))
    if rate is None or rate <= 0:
        errors["rate"] = _("Enter how many yuan one unit is worth, above 0, with at most 6 "
                           "decimals.")
    if errors:
        request.response.status_int = 400
        return _page(request, rate_values=values, rate_errors=errors)
    request.dbsession.execute(
        insert(ExchangeRate).values(currency=values["currency"], valid_from=valid_from, rate=rate)
        .on_conflict_do_update(index_elements=[ExchangeRate.currency, ExchangeRate.valid_from],
                               set_={"rate": rate}))
    request.session.flash(request.localizer.translate(_(
        "Exchange rate for ${currency} from ${date} saved.",
        mapping={"currency": values["currency"], "date": valid_from.isoformat()})))
    return HTTPSeeOther(request.route_url("sales_settings"))
