"""The addon guard: a view of an addon the tenant has not enabled is a 404."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPNotFound

from ..interfaces import IAddonCatalogue


def addon_guard(view, info):
    """View deriver applied to every view: registered once, answered per tenant.

    The addon is the one whose package registered the view, so an addon author
    cannot forget the guard. Views of core, tenants and security pass through.
    """
    catalogue = info.registry.queryUtility(IAddonCatalogue)
    package = getattr(info.package, "__name__", "")
    addon = catalogue.addon_of(package) if catalogue is not None else None
    if addon is None or info.exception_only:
        return view

    def guarded(context, request):
        tenant = request.tenant
        if tenant is None or addon not in tenant.addons:
            raise HTTPNotFound()
        return view(context, request)

    return guarded


addon_guard.options = ()
