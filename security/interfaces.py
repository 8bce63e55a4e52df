"""Contracts inside the security package (not extension points for addons)."""

from __future__ import annotations

from pyramid.i18n import TranslationString
from zope.interface import Interface, taggedValue

from jimucrm.core.interfaces import INTERNAL


class ILoginThrottle(Interface):
    """Counts failed logins and tells when an account or address must wait."""

    taggedValue(INTERNAL, True)

    def retry_after(tenant: str, login: str, address: str) -> int:
        """Seconds the caller must wait before trying again (0: may try now)."""

    def failed(tenant: str, login: str, address: str) -> int:
        """Record a failure; return the seconds of lockout it triggered (0: none)."""

    def succeeded(tenant: str, login: str) -> None:
        """Forget the account's failures after a successful login."""


class IPasswordPolicy(Interface):
    """Says what is wrong with a password a user wants to set (nothing: it may be set)."""

    taggedValue(INTERNAL, True)

    def problems(password: str, *, username: str = "", display_name: str = "",
                 email: str = "") -> list[TranslationString]:
        """Translatable messages saying what is wrong; an empty list when acceptable.

        ``username``, ``display_name`` and ``email`` are the account's, so that a
        password made of them is refused.
        """
