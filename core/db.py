"""The database service and the request's session."""

from __future__ import annotations

import functools

import zope.sqlalchemy
from pyramid.config import Configurator
from pyramid.request import Request
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker
from zope.interface import implementer

from .interfaces import IDatabase
from .models import TENANT_SCHEMA


@implementer(IDatabase)
class Database:
    """One engine; a cached ``schema_translate_map`` proxy of it per tenant schema.

    Binding a session to a proxy (rather than setting execution options on a
    connection) keeps the mapping across commits, and SQLAlchemy applies the map
    after compilation, so one compiled-statement cache serves every tenant.
    """

    def __init__(self, url: str, *, pool_size: int = 5, pool_recycle: int = 600) -> None:
        self.engine: Engine = create_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size * 2,
            pool_pre_ping=True,
            # A backend caches catalog entries for every schema it touched;
            # recycling bounds that memory when thousands of tenants share a pool.
            pool_recycle=pool_recycle,
        )
        self._sessionmaker = sessionmaker(expire_on_commit=False)
        self.bind_for = functools.lru_cache(maxsize=4096)(self._bind_for)

    def _bind_for(self, schema_name: str | None) -> Engine:
        return self.engine.execution_options(
            schema_translate_map={TENANT_SCHEMA: schema_name}
        )

    def session(self, schema_name: str | None = None) -> Session:
        return self._sessionmaker(bind=self.bind_for(schema_name))

    def dispose(self) -> None:
        self.engine.dispose()


def _dbsession(request: Request) -> Session:
    database = request.registry.getUtility(IDatabase)
    tenant = request.tenant
    session = database.session(tenant.schema_name if tenant is not None else None)
    zope.sqlalchemy.register(session, transaction_manager=request.tm)
    return session


def includeme(config: Configurator) -> None:
    settings = config.get_settings()
    database = Database(
        settings["jimu.database_url"],
        pool_size=settings["jimu.pool_size"],
        pool_recycle=settings["jimu.pool_recycle_seconds"],
    )
    config.registry.registerUtility(database, IDatabase)
    config.add_request_method(_dbsession, "dbsession", reify=True)
