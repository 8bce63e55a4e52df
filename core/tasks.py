"""Core's own tasks."""

from __future__ import annotations

import socket
from typing import Any

import celery
from pyramid.request import Request
from sqlalchemy import text

from .interfaces import IDatabase


@celery.shared_task(name="jimu.health")
def health(request: Request) -> dict[str, Any]:
    """Answer from a worker: it runs, reaches PostgreSQL, and which host it is."""
    database = request.registry.getUtility(IDatabase)
    with database.engine.connect() as connection:
        server_version = connection.execute(text("SHOW server_version")).scalar_one()
    return {"ok": True, "worker": socket.gethostname(), "postgresql": server_version}
