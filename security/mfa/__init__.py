"""Optional second factor: TOTP (RFC 6238) with single-use recovery codes.

* :mod:`.service`: enrolment, checking codes (replay refused), recovery codes,
  :func:`reset_mfa` for an administrator's user page;
* :mod:`.pending`: the login between its password step and its code step
  (the steps themselves are in :mod:`jimucrm.security.views`);
* :mod:`.views`: ``/account/security`` and the pages under it, for the user.

The secret is an encrypted column (:class:`jimucrm.security.keys.EncryptedText`),
so a deployment needs a master key (``jimu.master_key_file`` / ``JIMU_MASTER_KEY``).
"""

from __future__ import annotations

from pyramid.config import Configurator

from .service import is_enabled, reset_mfa

__all__ = ["includeme", "is_enabled", "reset_mfa"]


def includeme(config: Configurator) -> None:
    config.add_migration_branch("security_mfa", "jimucrm.security.mfa:migrations/versions")
    config.add_route("login_totp", "/login/totp")
    config.add_route("account_security", "/account/security")
    config.add_route("account_totp_setup", "/account/security/totp/setup")
    config.add_route("account_totp_enrol", "/account/security/totp")
    config.add_route("account_totp_disable", "/account/security/totp/disable")
    config.add_route("account_recovery_codes", "/account/security/recovery-codes")
    config.scan(".views")
