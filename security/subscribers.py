"""What security does when others' events happen."""

from __future__ import annotations

from jimucrm.core.events import ITenantProvisioned
from jimucrm.core.interfaces import ICryptoProvider

from .models import User


def create_first_admin(event: ITenantProvisioned) -> None:
    """Every tenant created with an admin e-mail gets its admin user, ``admin``."""
    if not event.admin_email or not event.admin_password:
        return
    event.session.add(User(
        username="admin",
        email=event.admin_email.strip().lower(),
        display_name=event.admin_email.split("@", 1)[0],
        password_hash=event.registry.getUtility(ICryptoProvider).hash_password(
            event.admin_password),
        is_admin=True,
        is_active=True,
    ))
