"""Celery: tasks leave only after commit; a real worker process answers."""

import os
import subprocess
import sys

import pytest
import redis
import transaction
from pyramid.scripting import prepare

from jimucrm.core.celery import get_celery
from jimucrm.core.tasks import health

QUEUE = "jimu-test-after-commit"


@pytest.fixture
def broker(settings):
    client = redis.Redis.from_url(settings["jimu.redis_url"])
    client.delete(QUEUE)
    yield client
    client.delete(QUEUE)


@pytest.fixture
def request_with_tm(registry):
    env = prepare(registry=registry)
    request = env["request"]
    request.tm = transaction.TransactionManager(explicit=True)
    yield request
    env["closer"]()


def test_task_is_sent_only_after_commit(request_with_tm, broker):
    request = request_with_tm
    get_celery(request.registry)
    request.tm.begin()
    request.task(health).apply_async(queue=QUEUE)
    assert broker.llen(QUEUE) == 0  # still inside the transaction
    request.tm.commit()
    assert broker.llen(QUEUE) == 1


def test_task_is_dropped_when_transaction_aborts(request_with_tm, broker):
    request = request_with_tm
    get_celery(request.registry)
    request.tm.begin()
    request.task(health).delay()
    request.task(health).apply_async(queue=QUEUE)
    request.tm.abort()
    assert broker.llen(QUEUE) == 0


@pytest.mark.slow
def test_real_worker_process_answers_health(registry, servers, settings):
    # The worker loads the same app, which refuses to start without the master key.
    env = dict(os.environ, JIMU_SECRET_KEY=settings["jimu.secret_key"],
               JIMU_MASTER_KEY_FILE=settings["jimu.master_key_file"])
    worker = subprocess.Popen(
        [sys.executable, "-m", "jimucrm.core.cli", "--database-url", servers.database_url,
         "--redis-url", servers.redis_url, "worker", "--concurrency=1", "--loglevel=warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        get_celery(registry)
        answer = health.apply_async(queue="celery").get(timeout=60)
        assert answer["ok"] is True
        assert answer["postgresql"]
        assert answer["worker"]
    finally:
        worker.terminate()
        worker.wait(timeout=30)
