"""Security: sessions, authentication, the security policy and HTTP hardening."""

from __future__ import annotations

from pyramid.config import Configurator

from jimucrm.core.events import ITenantProvisioned

from .policy import UNDECLARED, SessionSecurityPolicy
from .subscribers import create_first_admin
from .tokens import csrf_required


def includeme(config: Configurator) -> None:
    # First: the branches of the sub-packages below create tables that refer to users.
    config.add_migration_branch("security", "jimucrm.security:migrations/versions")
    config.include(".crypto")
    config.include(".keys")
    config.include(".sessions")
    config.include(".throttle")
    config.include(".passwords")
    config.include(".mfa")
    config.include(".rbac")
    config.include(".tokens")
    config.set_security_policy(SessionSecurityPolicy())
    # A view registered without a permission needs one nobody holds: it fails closed.
    config.set_default_permission(UNDECLARED)
    # Token requests carry no ambient credential: no CSRF token (see .tokens.identity).
    config.set_default_csrf_options(require_csrf=True, callback=csrf_required)
    config.add_message_catalogues("jimucrm.security:locale")
    config.include(".http")
    config.add_route("login", "/login")
    config.add_route("logout", "/logout")
    config.scan(".views")
    config.add_event_subscriber(create_first_admin, ITenantProvisioned)
    config.include(".audit")
