"""The activities addon's Celery task: send due task reminders, every minute.

Every worker queues it on its own timer (:class:`ReminderTimer`, added with
``config.add_worker_step``), so it runs wherever a worker runs, the embedded
``jimu serve`` included, with no beat process to start. Runs overlapping on
several workers send each reminder once (see :mod:`.reminders`).
"""

from __future__ import annotations

import celery
from pyramid.request import Request

from jimucrm.core.celery import RepeatingTaskStep

from .reminders import send_all

TASK = "jimu.activities.send_reminders"
INTERVAL_SECONDS = 60


@celery.shared_task(name=TASK)
def send_reminders(request: Request) -> dict[str, list[int]]:
    """Deliver the reminders that are due, in every tenant with activities enabled."""
    return send_all(request)


class ReminderTimer(RepeatingTaskStep):
    """Queues :data:`TASK` when the worker starts and every minute after."""

    task = TASK
    interval = INTERVAL_SECONDS
