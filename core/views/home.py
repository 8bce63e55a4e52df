"""The tenant's home page, and the platform page when no tenant is addressed."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPFound
from pyramid.request import Request
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from ..permissions import AUTHENTICATED


@view_config(route_name="home", tenant=True, permission=AUTHENTICATED,
             renderer="jimucrm.core:templates/home.pt")
def tenant_home(request: Request) -> dict:
    return {"menu": request.menu_items}


@view_config(route_name="home", tenant=False, permission=NO_PERMISSION_REQUIRED,
             renderer="jimucrm.core:templates/platform.pt")
def platform_home(request: Request):
    settings = request.registry.settings
    default = settings.get("jimu.default_tenant")
    if default and settings["jimu.routing"] in {"prefix", "both"}:
        # Single-host installs: the root address leads to the default tenant.
        return HTTPFound(request.application_url + f"/t/{default}/")
    return {}
