"""Small helpers: safe redirects and Celery's spelling of Redis URLs."""

import pytest
from pyramid import testing

from jimucrm.core.celery import celery_broker_url
from jimucrm.core.urls import safe_next


@pytest.fixture
def request_():
    config = testing.setUp()
    config.add_route("home", "/")
    request = testing.DummyRequest()
    yield request
    testing.tearDown()


@pytest.mark.parametrize("target", ["/t/acme/contacts/", "/contacts/?q=%E7%8E%8B"])
def test_local_paths_are_kept(request_, target):
    assert safe_next(request_, target) == "http://example.com" + target


@pytest.mark.parametrize("target", [None, "", "https://evil.example/", "//evil.example/x",
                                    "/\\evil.example", "javascript:alert(1)", "contacts"])
def test_anything_else_goes_home(request_, target):
    assert safe_next(request_, target) == "http://example.com/"


def test_celery_broker_url():
    assert celery_broker_url("redis://h:6379/2") == "redis://h:6379/2"
    assert celery_broker_url("unix:///tmp/x/redis.socket") == "redis+socket:///tmp/x/redis.socket"
