"""The tenant admin's settings: which addons this workspace uses."""

from __future__ import annotations

import logging

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config

from jimucrm.core.addons import AddonGraphError, ManifestError
from jimucrm.core.i18n import _
from jimucrm.core.interfaces import IAddonCatalogue

from .interfaces import ITenantAddons

log = logging.getLogger(__name__)


@view_config(route_name="settings_addons", permission="settings.addons", tenant=True,
             request_method="GET", renderer="jimucrm.tenants:templates/addons.pt")
def addon_settings(request: Request) -> dict:
    catalogue = request.registry.getUtility(IAddonCatalogue)
    enabled = request.tenant.addons
    rows = []
    for name in catalogue.order:
        manifest = catalogue.manifests[name]
        rows.append({
            "name": name,
            "summary": manifest.summary,
            "version": str(manifest.version),
            "distribution": manifest.distribution or "",
            "depends": ", ".join(r.name for r in manifest.depends),
            "enabled": name in enabled,
        })
    return {"addons": rows}


@view_config(route_name="settings_addons", permission="settings.addons", tenant=True,
             request_method="POST")
def change_addon(request: Request) -> HTTPSeeOther:
    name = request.POST.get("addon", "")
    action = request.POST.get("action")
    service = request.registry.getUtility(ITenantAddons)
    slug = request.tenant.slug
    try:
        if action == "enable":
            changed = service.enable(slug, [name])
            message = _("Enabled: ${names}.", mapping={"names": ", ".join(changed)})
        elif action == "disable":
            changed = service.disable(slug, [name])
            message = _("Disabled: ${names}. Its data is kept and returns when you enable it "
                        "again.", mapping={"names": ", ".join(changed)})
        else:
            message = _("Choose enable or disable.")
    except AddonGraphError as exc:
        message = exc.message
    except ManifestError:
        log.exception("addon %s has a broken data file", name)
        message = _("${name} could not be enabled: its package is damaged. Nothing was "
                    "changed; the error was logged.", mapping={"name": name})
    request.session.flash(request.localizer.translate(message))
    return HTTPSeeOther(request.route_url("settings_addons"))
