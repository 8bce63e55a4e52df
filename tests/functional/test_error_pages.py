"""The 500 page still renders, layout and all, when the database failed the request."""

import pytest
import webtest
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from sqlalchemy import select, text

from jimucrm.addons.contacts.models import Contact
from jimucrm.core import configure
from jimucrm.core.interfaces import IDatabase


def _aborted_in_postgresql(request):
    # PostgreSQL refuses every later statement of this transaction.
    request.dbsession.execute(text("SELECT 1 / 0"))


def _failed_flush(request):
    # SQLAlchemy refuses the session until it is rolled back.
    request.dbsession.add(Contact(name=None))
    request.dbsession.flush()


def _serialization_failure_once(request):
    # The first attempt fails as a serialization failure would; pyramid_retry tries again.
    if request.environ["retry.attempt"] == 0:
        request.dbsession.execute(text(
            "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$"))
    return Response(f"attempt {request.environ['retry.attempt'] + 1}")


def _failing_root_factory(request):
    # Fails before the router has made the request's context.
    raise RuntimeError("no context")


def _committed_then_failed(request):
    request.dbsession.add(Contact(name="不应保存"))
    request.dbsession.flush()
    raise RuntimeError("after the write")


@pytest.fixture(scope="module")
def failing_app(settings):
    config = configure(settings)
    for name, view in (("aborted", _aborted_in_postgresql), ("flush", _failed_flush),
                       ("after_write", _committed_then_failed),
                       ("retry", _serialization_failure_once)):
        config.add_route(f"fail_{name}", f"/fail-for-test/{name}")
        config.add_view(view, route_name=f"fail_{name}", permission=NO_PERMISSION_REQUIRED)
    config.add_route("fail_context", "/fail-for-test/context", factory=_failing_root_factory)
    config.add_view(lambda request: Response("unreachable"), route_name="fail_context",
                    permission=NO_PERMISSION_REQUIRED)
    yield config.make_wsgi_app()
    config.registry.getUtility(IDatabase).dispose()


@pytest.mark.parametrize("failure", ["aborted", "flush", "after_write"])
def test_the_error_page_renders_after_a_database_failure(failing_app, tenant, make_user,
                                                         login, registry, failure):
    client = webtest.TestApp(failing_app, extra_environ={"HTTP_HOST": "localhost"})
    login(client, tenant, make_user(tenant, "failuser", is_admin=True)).follow()
    page = client.get(f"{tenant.prefix}/fail-for-test/{failure}", status=500)
    # The whole layout, including what it loads from the database: the user's name.
    assert "failuser 用户" in page.text
    assert "500" in page.text and "Traceback" not in page.text
    # Nothing the failed request wrote was kept, and the app serves the next request.
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        assert session.scalars(select(Contact.name)).all() == []
    assert "failuser 用户" in client.get(f"{tenant.prefix}/").text


def test_a_serialization_failure_is_still_retried(failing_app, tenant):
    """The error view starts a new transaction; the failure is still known as retryable
    (anonymous: the error page then needs no database, so the new transaction alone
    could not tell)."""
    client = webtest.TestApp(failing_app, extra_environ={"HTTP_HOST": "localhost"})
    assert client.get(f"{tenant.prefix}/fail-for-test/retry").text == "attempt 2"


def test_the_error_page_renders_when_the_failure_came_before_the_context(failing_app, tenant,
                                                                         make_user, login):
    """The layout's menu asks ``request.has_permission``, which needs a context."""
    client = webtest.TestApp(failing_app, extra_environ={"HTTP_HOST": "localhost"})
    login(client, tenant, make_user(tenant, "ctxuser", is_admin=True)).follow()
    page = client.get(f"{tenant.prefix}/fail-for-test/context", status=500)
    assert "ctxuser 用户" in page.text and "Traceback" not in page.text
