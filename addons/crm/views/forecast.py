"""The weighted forecast page: a table by month of expected close and one by owner."""

from __future__ import annotations

from pyramid.request import Request
from pyramid.view import view_config

from ..forecast import forecast, totals
from ..leads import user_names
from . import money


@view_config(route_name="crm_forecast", permission="opportunities.view", tenant=True,
             renderer="jimucrm.addons.crm:templates/forecast.pt")
def forecast_page(request: Request) -> dict:
    by_month = forecast(request, "month")
    by_owner = forecast(request, "owner")
    names = user_names(request.dbsession, (row.key for row in by_owner))
    # Owners by name; deals without an owner last.
    by_owner.sort(key=lambda row: (row.key is None, names.get(row.key, ""), row.currency))
    return {"by_month": by_month, "by_owner": by_owner, "totals": totals(by_month),
            "names": names, "money": money}
