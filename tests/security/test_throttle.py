"""Login throttling with a real Redis: per account, per address, window, reset."""

import uuid

import pytest
import redis

from jimucrm.security.throttle import Limits, RedisLoginThrottle


@pytest.fixture
def throttle(servers):
    client = redis.Redis.from_url(servers.redis_url)
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    yield RedisLoginThrottle(client, Limits(account_failures=3, address_failures=5,
                                            window_seconds=60), namespace)
    for key in client.scan_iter(f"jimu:{namespace}:*"):
        client.delete(key)


def test_account_locks_after_the_limit_and_only_that_account(throttle):
    assert throttle.failed("acme", "wang", "10.0.0.1") == 0
    assert throttle.failed("acme", "WANG ", "10.0.0.2") == 0  # same account, normalised
    locked_for = throttle.failed("acme", "wang", "10.0.0.3")
    assert 0 < locked_for <= 60
    assert throttle.retry_after("acme", "wang", "10.0.0.9") > 0
    assert throttle.retry_after("acme", "li", "10.0.0.9") == 0
    assert throttle.retry_after("other-tenant", "wang", "10.0.0.9") == 0


def test_address_locks_after_its_own_limit(throttle):
    for index in range(4):
        assert throttle.failed("acme", f"user{index}", "10.9.9.9") == 0
    assert throttle.failed("acme", "user9", "10.9.9.9") > 0
    assert throttle.retry_after("acme", "fresh-user", "10.9.9.9") > 0
    assert throttle.retry_after("acme", "fresh-user", "10.9.9.8") == 0


def test_success_resets_the_account(throttle):
    throttle.failed("acme", "zhao", "10.1.1.1")
    throttle.failed("acme", "zhao", "10.1.1.1")
    throttle.succeeded("acme", "zhao")
    assert throttle.failed("acme", "zhao", "10.1.1.1") == 0
