"""API tokens: hashed, scoped, revocable credentials for scripts and other systems.

* a token string ``jimu_<prefix>_<secret>`` is shown once, when it is made; each
  tenant's ``api_tokens`` table keeps the public prefix and a digest of the
  secret (:mod:`.secret`), the scopes (permission names), expiry, last use and
  revocation;
* a request with ``Authorization: Bearer jimu_…`` is its owner, holding the
  token's scopes of what the owner holds now (:mod:`.identity`); it needs no
  CSRF token, and a refused token answers 401 ``invalid_token``, audited;
* ``/account/tokens``: each user makes, lists and revokes their own (browser
  sessions only: a token cannot make tokens); ``/settings/tokens``: the
  tenant's administrators list and revoke every token;
* ``GET /api/v1/me`` (who am I) and ``DELETE /api/v1/token`` (revoke the token
  the request came with) (:mod:`.api`), under permission ``api.me``, which the
  system roles hold and a new token's form offers ticked.
"""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.events import ContextFound

from jimucrm.core.api import API_PREFIX
from jimucrm.core.i18n import _

from .api import API_ME
from .identity import csrf_required, identity_from_token, is_token_request, refuse_invalid_tokens

__all__ = ["API_ME", "csrf_required", "identity_from_token", "includeme", "is_token_request"]


def includeme(config: Configurator) -> None:
    config.add_migration_branch("security_tokens", "jimucrm.security.tokens:migrations/versions")
    # Held by every session through the system roles, and by a token scoped to it.
    config.declare_permission(API_ME, _("Use the API: see who I am, revoke the token in use"),
                              group=_("API"), roles=("manager", "staff"))
    config.add_subscriber(refuse_invalid_tokens, ContextFound)
    config.add_route("account_tokens", "/account/tokens")
    config.add_route("account_token_revoke", "/account/tokens/{id}/revoke")
    config.add_route("settings_tokens", "/settings/tokens")
    config.add_route("settings_token_revoke", "/settings/tokens/{id}/revoke")
    config.add_route("api_me", API_PREFIX + "/v1/me")
    config.add_route("api_token", API_PREFIX + "/v1/token")
    config.add_menu_item("tokens", _("API tokens"), "settings_tokens", order=920,
                         permission="settings.users")
    config.scan(".views")
    config.scan(".api")
