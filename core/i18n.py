"""Translation machinery: Simplified Chinese first, English second.

Catalogues are kept as ``.po`` files in each package's ``locale/`` folder and
compiled to ``.mo`` at start-up when missing or older than their source.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from pyramid.config import Configurator
from pyramid.i18n import TranslationStringFactory
from pyramid.path import AssetResolver
from pyramid.request import Request

DOMAIN = "jimu"
LOCALES = ("zh_CN", "en")
LOCALE_NAMES = {"zh_CN": "简体中文", "en": "English"}
LOCALE_COOKIE = "_LOCALE_"

_ = TranslationStringFactory(DOMAIN)


# Accept-Language tags an API client may send, and the locale each chooses.
ACCEPTED_LANGUAGES = {"zh-CN": "zh_CN", "zh": "zh_CN", "en": "en"}


def negotiate_locale(request: Request) -> str:
    """Cookie first, then (API requests only) Accept-Language, then the deployment's
    default (zh_CN unless set otherwise).

    Pages keep the default for browsers that did not choose: a browser's
    Accept-Language says little about what a Chinese company's staff read; an API
    client sets the header on purpose.
    """
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in LOCALES:
        return chosen
    from .api.base import is_api_request  # core.api imports this module

    if is_api_request(request) and "Accept-Language" in request.headers:
        tag = request.accept_language.lookup(list(ACCEPTED_LANGUAGES), default="")
        if tag:
            return ACCEPTED_LANGUAGES[tag]
    return request.registry.settings.get("jimu.default_locale", "zh_CN")


def compile_catalogues(source: Path) -> Path:
    """Compile every ``<locale>/LC_MESSAGES/*.po`` under ``source``; return the .mo root.

    The .mo files go beside the .po files when that folder is writable (an
    editable install), else into a private temporary folder of this process.
    """
    writable = os.access(source, os.W_OK)
    target = source if writable else Path(tempfile.mkdtemp(prefix="jimu-locale-"))
    for po_path in source.glob("*/LC_MESSAGES/*.po"):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        # Several processes may compile at once: each writes its own file, then renames.
        fd, partial = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(partial, mo_path)
    return target


def add_message_catalogues(config: Configurator, spec: str) -> None:
    """Config directive: compile and register the catalogues at asset ``spec``."""
    source = Path(AssetResolver().resolve(spec).abspath())
    config.add_translation_dirs(str(compile_catalogues(source)))


def includeme(config: Configurator) -> None:
    config.set_locale_negotiator(negotiate_locale)
    config.add_directive("add_message_catalogues", add_message_catalogues)
    config.add_message_catalogues("jimucrm.core:locale")
