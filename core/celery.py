"""Celery in core: one app per process, configured from the Pyramid settings.

Tasks are queued from a request through ``request.task(task).delay(...)``, which sends them only
after the request's transaction commits, so a worker never sees a row that a
rolled-back request was about to write.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import celery
import transaction
from celery import bootsteps
from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.scripting import prepare


def celery_broker_url(redis_url: str) -> str:
    """Celery's spelling of a Redis URL (kombu names unix sockets ``redis+socket``)."""
    parts = urlsplit(redis_url)
    if parts.scheme == "unix":
        return f"redis+socket://{parts.path}"
    return redis_url


class JimuTask(celery.Task):
    """Base task: runs with a Pyramid request of its own and its own transaction.

    A task function receives ``request`` as its first argument; its database
    work commits when it returns and rolls back when it raises.
    """

    abstract = True
    # Celery checks call arguments against the function's signature, which here
    # starts with the injected ``request``; the check would refuse every call.
    typing = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        registry: Registry = self.app.pyramid_registry
        env = prepare(registry=registry)
        request = env["request"]
        request.tm = transaction.TransactionManager(explicit=True)
        try:
            with request.tm:
                return super().__call__(request, *args, **kwargs)
        finally:
            env["closer"]()


def _queue_after_commit(
    request: Request, task: celery.Task, args: tuple, kwargs: dict, options: dict
) -> None:
    def send(success: bool) -> None:
        if success:
            task.apply_async(args, kwargs, **options)

    request.tm.get().addAfterCommitHook(send)


class _RequestTask:
    """What ``request.task(...)`` returns: ``delay``/``apply_async`` after commit."""

    def __init__(self, request: Request, task: JimuTask) -> None:
        self._request = request
        self._task = task

    def delay(self, *args: Any, **kwargs: Any) -> None:
        _queue_after_commit(self._request, self._task, args, kwargs, {})

    def apply_async(
        self, args: tuple = (), kwargs: dict | None = None, **options: Any
    ) -> None:
        _queue_after_commit(self._request, self._task, tuple(args), kwargs or {}, options)


def make_celery(registry: Registry) -> celery.Celery:
    """Create the process's Celery app from the registry's settings."""
    settings = registry.settings
    app = celery.Celery("jimucrm", task_cls=JimuTask)
    broker = celery_broker_url(settings["jimu.redis_url"])
    app.conf.update(
        broker_url=broker,
        result_backend=broker,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=3600,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        task_always_eager=settings["jimu.celery_eager"],
        task_eager_propagates=True,
        timezone="Asia/Shanghai",
        imports=list(registry.jimu_task_modules),
    )
    app.pyramid_registry = registry
    for step in registry.jimu_worker_steps:
        app.steps["worker"].add(step)
    return app


def add_task_module(config: Configurator, module: str) -> None:
    """Config directive: a module whose tasks (``@celery.shared_task``) workers load."""
    config.registry.jimu_task_modules.append(module)


def add_worker_step(config: Configurator, step: type) -> None:
    """Config directive: a Celery bootstep (``celery.bootsteps.StartStopStep``) every worker runs.

    For work a worker does on its own, such as a periodic sweep, without a separate
    beat process that a deployment could forget to start.
    """
    config.registry.jimu_worker_steps.append(step)


class RepeatingTaskStep(bootsteps.StartStopStep):
    """A worker bootstep that queues task :attr:`task` at start and every :attr:`interval`
    seconds after: periodic work without a beat process a deployment could forget.

    Subclass it with ``task`` (the task's name) and ``interval``, and add it with
    ``config.add_worker_step``. Each message expires after one interval, so a busy
    worker's queue does not fill with them; every worker queues its own, so the task
    must tolerate running twice at once.
    """

    requires = {"celery.worker.components:Timer"}
    task: str = ""
    interval: int = 60

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self.timer_ref = None

    def start(self, worker) -> None:
        self.send(worker)
        self.timer_ref = worker.timer.call_repeatedly(self.interval, self.send, (worker,),
                                                      priority=10)

    def stop(self, worker) -> None:
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None

    def send(self, worker) -> None:
        try:
            worker.app.tasks[self.task].apply_async(expires=self.interval)
        except Exception:  # the broker is away: the next tick tries again
            logging.getLogger(__name__).warning("%s not queued", self.task, exc_info=True)


def get_celery(registry: Registry) -> celery.Celery:
    """The process's Celery app, created on first use."""
    app = registry.__dict__.get("jimu_celery")
    if app is None:
        app = registry.jimu_celery = make_celery(registry)
        app.set_current()
        app.set_default()
    return app


def _request_task(request: Request, task: JimuTask) -> _RequestTask:
    get_celery(request.registry)
    return _RequestTask(request, task)


def includeme(config: Configurator) -> None:
    config.registry.jimu_task_modules = []
    config.registry.jimu_worker_steps = []
    config.add_directive("add_task_module", add_task_module)
    config.add_directive("add_worker_step", add_worker_step)
    config.add_request_method(_request_task, "task", reify=False)
    config.add_task_module("jimucrm.core.tasks")
