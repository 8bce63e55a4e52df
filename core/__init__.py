"""Jimu core: the app factory and the machinery every package builds on.

Core knows no tenant, user or CRM concept. The packages named in the
``jimu.includes`` setting (``jimucrm.tenants jimucrm.security`` by default)
implement the interfaces in :mod:`jimucrm.core.interfaces`, and addons found
through the ``jimucrm.addons`` entry-point group add every business feature.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyramid.config import Configurator
from pyramid.router import Router

from .addons import include_addons
from .settings import ConfigurationError, parse_settings

__all__ = ["ConfigurationError", "configure", "main"]


def configure(settings: Mapping[str, Any] | None = None) -> Configurator:
    """Build the Configurator: core, the included packages, then the addons."""
    settings = parse_settings(settings or {})
    settings.setdefault("tm.manager_hook", "pyramid_tm.explicit_manager")
    # pyramid_tm would ask for the user before the tenant is known (its tween runs first),
    # which costs a lookup and would cache "nobody" for the request; the audit log names users.
    settings.setdefault("tm.annotate_user", "false")
    settings.setdefault("pyramid.default_locale_name", settings["jimu.default_locale"])
    config = Configurator(settings=settings)
    config.include("pyramid_retry")
    config.include("pyramid_tm")
    config.include("pyramid_chameleon")
    config.include(".")
    for name in settings["jimu.includes"]:
        config.include(name)
    include_addons(config)
    config.commit()
    return config


def main(global_config: Mapping[str, Any] | None = None, **settings: Any) -> Router:
    """PasteDeploy app factory, used by ``pserve`` and ``jimu serve``."""
    return configure(settings).make_wsgi_app()


def includeme(config: Configurator) -> None:
    config.add_request_method(lambda request: None, "tenant", reify=True)
    config.include(".predicates")
    config.include(".addons")
    config.include(".db")
    config.include(".cache")
    config.include(".i18n")
    config.include(".permissions")
    config.include(".menus")
    config.include(".panels")
    config.include(".migrations")
    config.include(".celery")
    config.include(".outbox")
    config.include(".modelviews")
    config.include(".views")
    config.include(".api")
