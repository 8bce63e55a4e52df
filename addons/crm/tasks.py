"""The crm addon's Celery task: return neglected leads to the pool, for every tenant.

Every worker queues it on its own timer (:class:`AutoReturnTimer`, added with
``config.add_worker_step``), so it runs wherever a worker runs, the embedded
``jimu serve`` included, with no beat process to start.
"""

from __future__ import annotations

import logging
from datetime import datetime

import celery
from celery import bootsteps
from pyramid.registry import Registry
from pyramid.request import Request
from sqlalchemy import select

from jimucrm.core.interfaces import IDatabase, ITenantDirectory
from jimucrm.tenants.models import Tenant, TenantAddon

from .pool import auto_return

log = logging.getLogger(__name__)

TASK = "jimu.crm.auto_return"
# Hourly: the rule counts whole days, so a lead is back in the pool within an hour
# of its deadline.
INTERVAL_SECONDS = 3600


def crm_schemas(registry: Registry) -> list[str]:
    """The schemas of the active tenants that have crm enabled."""
    database = registry.getUtility(IDatabase)
    with database.session() as session:
        return list(session.scalars(
            select(Tenant.schema_name).join(TenantAddon, TenantAddon.tenant_id == Tenant.id)
            .where(TenantAddon.addon == "crm", TenantAddon.enabled.is_(True),
                   Tenant.status == "active")
            .order_by(Tenant.schema_name)))


def auto_return_all(registry: Registry, at: datetime | None = None) -> dict[str, list[int]]:
    """Return overdue leads in every crm tenant, each in its own transaction.

    One tenant's failure is logged and does not stop the others. Returns the ids
    returned per schema (schemas with none left out).
    """
    database = registry.getUtility(IDatabase)
    directory = registry.getUtility(ITenantDirectory)
    done = {}
    for schema in crm_schemas(registry):
        tenant = directory.by_schema(schema)
        if tenant is None or "crm" not in tenant.addons:
            continue
        try:
            with database.session(schema) as session, session.begin():
                returned = auto_return(registry, session, tenant, at)
        except Exception:
            log.exception("automatic return of leads failed for %s", schema)
            continue
        if returned:
            done[schema] = returned
    return done


@celery.shared_task(name=TASK)
def auto_return_leads(request: Request) -> dict[str, list[int]]:
    """Return the leads nobody followed up within the tenant's limit to the public pool."""
    return auto_return_all(request.registry)


class AutoReturnTimer(bootsteps.StartStopStep):
    """Queues :data:`TASK` when the worker starts and every :data:`INTERVAL_SECONDS` after.

    Every worker of a deployment does it; two runs at once skip each other's
    locked leads, so nothing is returned twice.
    """

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self.timer_ref = None

    def start(self, worker) -> None:
        self.send(worker)
        self.timer_ref = worker.timer.call_repeatedly(INTERVAL_SECONDS, self.send, (worker,),
                                                      priority=10)

    def stop(self, worker) -> None:
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None

    @staticmethod
    def send(worker) -> None:
        try:
            worker.app.tasks[TASK].apply_async(expires=INTERVAL_SECONDS)
        except Exception:  # the broker is away: the next tick tries again
            log.warning("automatic lead return not queued", exc_info=True)
