"""What tenants does on others' events."""

from __future__ import annotations

import os
import secrets

from jimucrm.core.events import IServeStarting
from jimucrm.core.i18n import _

from .interfaces import ITenantProvisioner
from .upgrade import migrate_tenants, upgrade_public

DEMO_SLUG = "demo"
DEMO_NAME = "积木示例科技有限公司"
DEMO_ADMIN = "admin@demo.jimu.local"
DEMO_LOGIN_FILE = "demo-login.txt"


def prepare_to_serve(event: IServeStarting) -> None:
    """Schemas up to date before the first request; a demo tenant on the embedded default."""
    upgrade_public(event.registry)
    report = migrate_tenants(event.registry)
    for slug, reason in report.failed.items():
        event.echo(_("Tenant ${slug} could not be migrated: ${reason}",
                     mapping={"slug": slug, "reason": reason}))
    if event.embedded:
        password = ensure_demo_tenant(event)
        event.echo(_("Demo workspace: ${url}", mapping={"url": f"{event.base_url}/t/demo/"}))
        if password:
            event.echo(_("Demo login: admin / ${password}", mapping={"password": password}))


def ensure_demo_tenant(event: IServeStarting) -> str | None:
    """Create the demo tenant on first start; return its admin password if known."""
    login_file = event.data_dir / DEMO_LOGIN_FILE
    provisioner = event.registry.getUtility(ITenantProvisioner)
    if any(t.slug == DEMO_SLUG for t in provisioner.all()):
        return login_file.read_text().strip() if login_file.exists() else None
    password = secrets.token_urlsafe(9)
    provisioner.create(DEMO_SLUG, DEMO_NAME, admin_email=DEMO_ADMIN, admin_password=password,
                       demo=True)
    # The operator's own machine: kept so every start can print the demo login again.
    fd = os.open(login_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password)
    return password
