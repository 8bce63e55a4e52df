"""The dashboard page, the JSON its charts read, and the home panel's figures."""

from __future__ import annotations

from pyramid.request import Request
from pyramid.view import view_config

from . import figures


@view_config(route_name="dashboard", permission="dashboard.view", tenant=True,
             renderer="jimucrm.addons.dashboard:templates/dashboard.pt")
def dashboard_page(request: Request) -> dict:
    days = figures.period(request.params.get("days", figures.PERIODS[0]))
    data = figures.dashboard(request.dbsession, days)
    return {"data": data, "days": days, "periods": figures.PERIODS,
            "figures": figures.key_figures(request.dbsession, days),
            "data_url": request.route_url("dashboard_data", _query={"days": days})}


@view_config(route_name="dashboard_data", permission="dashboard.view", tenant=True,
             request_method="GET", renderer="json")
def dashboard_data(request: Request) -> dict:
    """Every widget's series; the page's script draws them (``data-chart`` names a key)."""
    days = figures.period(request.params.get("days", figures.PERIODS[0]))
    request.response.cache_control = "no-store"
    return figures.dashboard(request.dbsession, days)


def dashboard_figures(request: Request) -> dict:
    """The home panel's numbers (``request.dashboard_figures``)."""
    return figures.key_figures(request.dbsession)
