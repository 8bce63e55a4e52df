"""Fixtures for the outbox tests: an app and worker processes that know the test handlers."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from celery.signals import after_task_publish
from outbox_helpers import OUTBOX_SETTINGS, outbox_environ
from sqlalchemy import func, select

from jimucrm.core import configure
from jimucrm.core.celery import get_celery
from jimucrm.core.interfaces import IDatabase, ITenantDirectory
from jimucrm.core.outbox.models import OutboxDeadLetter, OutboxDelivery
from jimucrm.core.tasks import health


@pytest.fixture(scope="session")
def outbox_registry(settings):
    """The app with the test events and handlers (tenants are provisioned by the main one)."""
    config = configure({**settings, **OUTBOX_SETTINGS})
    get_celery(config.registry)
    yield config.registry
    config.registry.getUtility(IDatabase).dispose()


@pytest.fixture
def outbox_tenant(make_tenant, outbox_registry):
    """A new tenant (an ITenant, with its addons) with the test handlers' tables."""
    from outbox_support import METADATA

    handle = make_tenant("事件公司")
    database = outbox_registry.getUtility(IDatabase)
    METADATA.create_all(bind=database.bind_for(handle.schema_name))
    return outbox_registry.getUtility(ITenantDirectory).by_slug(handle.slug)


@pytest.fixture
def published() -> Iterator[list[tuple[str, tuple]]]:
    """The outbox tasks this process sends to the broker: (task name, args), as sent."""
    sent: list[tuple[str, tuple]] = []

    def record(sender=None, headers=None, body=None, **kwargs) -> None:
        if headers["task"].startswith("jimu.outbox."):
            sent.append((headers["task"], tuple(body[0])))

    after_task_publish.connect(record, weak=False)
    yield sent
    after_task_publish.disconnect(record)


class Worker:
    """A real ``jimu worker`` process (prefork, one child) with the test handlers."""

    def __init__(self, servers, settings, log: Path) -> None:
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jimucrm.core.cli", "--database-url",
                 servers.database_url, "--redis-url", servers.redis_url, "worker",
                 "--concurrency=1", "--loglevel=warning"],
                env=outbox_environ(settings), stdout=output, stderr=subprocess.STDOUT)

    def wait_ready(self, registry, timeout: float = 90) -> None:
        # Asked again every few seconds: another test session sharing the Redis
        # database may flush it (conftest does at its end), message and answer with it.
        deadline = time.monotonic() + timeout
        while True:
            try:
                get_celery(registry).tasks[health.name].apply_async().get(timeout=5)
                return
            except Exception as exc:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise AssertionError(f"worker did not answer: {exc!r}; its log:\n"
                                         f"{self.log.read_text(errors='replace')[-3000:]}"
                                         ) from None

    def kill(self) -> None:
        """SIGKILL the worker and its pool at once: no clean-up, no acknowledgement."""
        try:
            processes = [psutil.Process(self.process.pid)]
            processes += processes[0].children(recursive=True)
        except psutil.NoSuchProcess:
            processes = []
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(processes, timeout=10)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()


@pytest.fixture
def start_worker(servers, settings, outbox_registry,
                 tmp_path) -> Iterator[Callable[[], Worker]]:
    """``start_worker()``: a worker process, ready; every one is killed at the end."""
    workers: list[Worker] = []

    def start(wait: bool = True) -> Worker:
        worker = Worker(servers, settings, tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        if wait:
            worker.wait_ready(outbox_registry)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def outbox_counts(outbox_registry):
    """``outbox_counts(schema)``: deliveries per state and dead letters, read now."""
    database = outbox_registry.getUtility(IDatabase)

    def counts(schema: str) -> dict[str, int]:
        with database.session(schema) as session:
            found = dict(session.execute(
                select(OutboxDelivery.state, func.count()).group_by(OutboxDelivery.state)).all())
            found["letters"] = session.scalar(select(func.count()).select_from(OutboxDeadLetter))
        return found

    return counts
