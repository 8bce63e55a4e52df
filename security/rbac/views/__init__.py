"""The tenant admin's pages for users (:mod:`.users`), roles (:mod:`.roles`) and teams
(:mod:`.teams`); all of them need ``settings.users``.

What the pages offer follows the tenant: permissions and protected models of
addons the tenant has not enabled are neither shown nor changed.
"""

from __future__ import annotations

from pyramid.i18n import TranslationString
from pyramid.request import Request

from jimucrm.core.permissions import Permission, permissions

from ..permissions import ProtectedModel

PERMISSION = "settings.users"
TEMPLATES = "jimucrm.security.rbac:templates/"


def translated(request: Request, value: TranslationString | str | None) -> str:
    """``value`` in the request's language; plain strings (names users typed) unchanged."""
    if value is None:
        return ""
    if isinstance(value, TranslationString):
        if value.mapping:
            # The localizer leaves translation strings inside the mapping untranslated
            # ("${action}: ${model}" of add_model_permissions): translate them first.
            value = TranslationString(value, mapping={
                key: translated(request, item) for key, item in value.mapping.items()})
        return request.localizer.translate(value)
    return value


def _in_tenant(request: Request, addon: str | None) -> bool:
    return addon is None or addon in request.tenant.addons


def available_permissions(request: Request) -> list[Permission]:
    """The permissions of core packages and of the addons the tenant has enabled."""
    return [permission for permission in permissions(request.registry).values()
            if _in_tenant(request, permission.addon)]


def available_models(request: Request) -> list[ProtectedModel]:
    """The models under record and field rules that the tenant has, by title."""
    found = [spec for spec in request.registry.jimu_protected_models.values()
             if _in_tenant(request, spec.addon)]
    return sorted(found, key=lambda spec: (translated(request, spec.title), spec.key))


def like_pattern(term: str) -> str:
    """``%term%`` for ``LIKE … ESCAPE '\\'``, with the term's own wildcards escaped."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
