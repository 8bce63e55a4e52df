"""The sweep every worker runs on its own timer: no beat process to start or forget."""

from __future__ import annotations

import logging

from celery import bootsteps

log = logging.getLogger(__name__)

SWEEP_TASK = "jimu.outbox.sweep"


class OutboxSweep(bootsteps.StartStopStep):
    """Queues ``jimu.outbox.sweep`` when the worker starts and every
    ``jimu.outbox_sweep_seconds`` after (0: never).

    Each worker of a deployment does it; two sweeps at once only queue a relay
    twice, and a relay finding its deliveries claimed by another returns at once.
    A sweep message not taken within one interval expires, so a busy worker's
    queue does not fill with them.
    """

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self.timer_ref = None

    def start(self, worker) -> None:
        interval = worker.app.pyramid_registry.settings["jimu.outbox_sweep_seconds"]
        if not interval:
            return
        self.send(worker, interval)
        self.timer_ref = worker.timer.call_repeatedly(interval, self.send, (worker, interval),
                                                      priority=10)

    def stop(self, worker) -> None:
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None

    @staticmethod
    def send(worker, interval: int) -> None:
        try:
            worker.app.tasks[SWEEP_TASK].apply_async(expires=interval)
        except Exception:  # the broker is away: the next tick tries again
            log.warning("outbox sweep not queued", exc_info=True)
