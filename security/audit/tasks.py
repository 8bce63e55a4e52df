"""The audit log's Celery task: seal the days that are over, for every tenant."""

from __future__ import annotations

import celery
from pyramid.request import Request

from .seal import key_path, seal_all


@celery.shared_task(name="jimu.audit.seal")
def seal_audit_logs(request: Request) -> dict[str, list[str]]:
    """Seal every tenant's finished days (schedule it daily, after midnight UTC)."""
    done = seal_all(request.registry, key_path(request.registry.settings))
    return {schema: [day.isoformat() for day in days] for schema, days in done.items() if days}
