"""Request → tenant: by host name, or by the ``/t/<slug>/`` path prefix.

The prefix moves into ``SCRIPT_NAME``, so routes are declared once without it and
``request.route_url`` puts it back; the tenant's schema is reached only through
the session the request then binds (see :mod:`jimucrm.core.db`).
"""

from __future__ import annotations

from collections.abc import Callable

from pyramid.httpexceptions import HTTPFound, HTTPGone, HTTPNotFound
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response

from jimucrm.core.interfaces import ITenantDirectory

from .slugs import SLUG_PATTERN

PREFIX = "/t/"


def tenant_tween_factory(handler: Callable[[Request], Response],
                         registry: Registry) -> Callable[[Request], Response]:
    directory: ITenantDirectory = registry.getUtility(ITenantDirectory)
    mode = registry.settings["jimu.routing"]
    by_host = mode in {"host", "both"}
    by_prefix = mode in {"prefix", "both"}
    base_suffix = "." + registry.settings["jimu.base_domain"].lower().strip(".")

    def tenant_tween(request: Request) -> Response:
        tenant = directory.by_host(request.host) if by_host else None
        if tenant is None and by_host and base_suffix != "." and \
                request.host.split(":", 1)[0].lower().endswith(base_suffix):
            raise HTTPNotFound()  # a tenant's address, but no such tenant
        if tenant is None and by_prefix and request.path_info.startswith(PREFIX):
            slug = request.path_info.split("/", 3)[2]
            if not SLUG_PATTERN.fullmatch(slug):
                raise HTTPNotFound()
            if request.path_info == PREFIX + slug:
                return HTTPFound(request.host_url + request.script_name + PREFIX + slug + "/")
            tenant = directory.by_slug(slug)
            if tenant is None:
                raise HTTPNotFound()
            request.path_info_pop()
            request.path_info_pop()
        if tenant is not None and tenant.status != "active":
            raise HTTPGone()
        request.tenant = tenant
        return handler(request)

    return tenant_tween
