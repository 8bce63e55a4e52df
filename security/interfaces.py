"""Contracts inside the security package (not extension points for addons)."""

from __future__ import annotations

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
