"""What a ``jimu`` command runs against: settings, embedded servers, the registry."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from pyramid.config import Configurator
from pyramid.i18n import TranslationString, make_localizer
from pyramid.interfaces import ITranslationDirectories
from pyramid.path import AssetResolver
from pyramid.registry import Registry

from ..embedded import EmbeddedServices, default_data_dir, read_or_create_secret
from ..i18n import compile_catalogues
from ..interfaces import IDatabase
from ..settings import parse_settings


class Environment:
    """Resolves settings (option > environment > ini file > embedded default).

    Nothing starts until a command asks for :attr:`settings` or :attr:`config`;
    ``jimu --help`` touches no server.
    """

    def __init__(self, *, config_file: Path | None = None, data_dir: Path | None = None,
                 database_url: str | None = None, redis_url: str | None = None) -> None:
        self.config_file = config_file
        self.data_dir = (data_dir or default_data_dir()).expanduser().resolve()
        self._options = {"JIMU_DATABASE_URL": database_url, "JIMU_REDIS_URL": redis_url}
        self.embedded = EmbeddedServices(self.data_dir)
        self.uses_embedded = False

    @functools.cached_property
    def raw_settings(self) -> dict[str, Any]:
        if self.config_file is None:
            return {}
        import plaster

        return dict(plaster.get_settings(str(self.config_file), "app:main"))

    @functools.cached_property
    def environ(self) -> dict[str, str]:
        """The environment the settings are parsed with, embedded URLs filled in."""
        environ = dict(os.environ)
        environ.update({k: v for k, v in self._options.items() if v})
        if self.config_file is not None:
            # A config file describes a real deployment: nothing embedded, no demo.
            return environ
        if not environ.get("JIMU_DATABASE_URL"):
            environ["JIMU_DATABASE_URL"] = self.embedded.database_url()
            self.uses_embedded = True
        if not environ.get("JIMU_REDIS_URL"):
            environ["JIMU_REDIS_URL"] = self.embedded.redis_url()
            self.uses_embedded = True
        if self.uses_embedded:
            if not environ.get("JIMU_SECRET_KEY"):
                environ["JIMU_SECRET_KEY"] = read_or_create_secret(self.data_dir / "secret_key")
            environ.setdefault("JIMU_DEFAULT_TENANT", "demo")
            if not environ.get("JIMU_MASTER_KEY_FILE") and not environ.get("JIMU_MASTER_KEY"):
                read_or_create_secret(self.data_dir / "master_key")
                environ["JIMU_MASTER_KEY_FILE"] = str(self.data_dir / "master_key")
        return environ

    @functools.cached_property
    def settings(self) -> dict[str, Any]:
        return parse_settings(self.raw_settings, self.environ)

    @functools.cached_property
    def config(self) -> Configurator:
        from .. import configure

        return configure(self.settings)

    @property
    def registry(self) -> Registry:
        return self.config.registry

    def child_environ(self) -> dict[str, str]:
        """Environment for a child process (the worker): same servers, nothing new."""
        environ = dict(self.environ)
        settings = self.settings
        environ["JIMU_DATABASE_URL"] = settings["jimu.database_url"]
        environ["JIMU_REDIS_URL"] = settings["jimu.redis_url"]
        environ["JIMU_SECRET_KEY"] = settings["jimu.secret_key"]
        if self.config_file is not None:
            environ["JIMU_CONFIG"] = str(self.config_file)
        return environ

    def translate(self, message: str | TranslationString) -> str:
        """Translate a message for the terminal, in the deployment's default locale."""
        if "config" in self.__dict__:
            dirs = self.registry.queryUtility(ITranslationDirectories, default=[])
            locale = self.settings["jimu.default_locale"]
        else:
            # No app yet (e.g. `jimu addon new`): core's own catalogue is enough.
            dirs = [str(compile_catalogues(Path(AssetResolver().resolve(
                "jimucrm.core:locale").abspath())))]
            locale = os.environ.get("JIMU_DEFAULT_LOCALE", "zh_CN")
        return make_localizer(locale, dirs).translate(message)

    def close(self) -> None:
        """Release the database pool and let go of any embedded server."""
        if "config" in self.__dict__:
            database = self.registry.queryUtility(IDatabase)
            if database is not None:
                database.engine.dispose()
        self.embedded.stop()
