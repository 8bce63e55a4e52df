"""Password policy: what a new password must not be (ASVS 4.0 V2.1).

The default :class:`.policy.PasswordPolicy` is registered as
:class:`jimucrm.security.interfaces.IPasswordPolicy`; every page that sets a
password (the user's own change, the administrator's user page) asks it::

    problems = request.find_service(IPasswordPolicy).problems(
        new_password, username=user.username, display_name=user.display_name,
        email=user.email or "")

``/account/password`` (:mod:`.views`) is where users change their own password.

Settings read (declared in ``jimucrm.core.settings``): ``jimu.password_min_length``.
"""

from __future__ import annotations

from pyramid.config import Configurator

from jimucrm.core.settings import ConfigurationError

from ..interfaces import IPasswordPolicy
from .policy import MAX_LENGTH, MIN_SCORE, PasswordPolicy

__all__ = ["MAX_LENGTH", "MIN_SCORE", "PasswordPolicy", "includeme"]


def includeme(config: Configurator) -> None:
    min_length = config.get_settings()["jimu.password_min_length"]
    if min_length > MAX_LENGTH:
        raise ConfigurationError(f"setting jimu.password_min_length is malformed: expected a "
                                 f"number ≤ {MAX_LENGTH}")
    config.register_service(PasswordPolicy(min_length=min_length), IPasswordPolicy)
    config.add_route("account_password", "/account/password")
    config.scan(".views")
