"""Every message the code shows has a Simplified Chinese translation.

The messages are extracted here with lingua, the extractor that
``scripts/extract-messages`` runs, from each package's Python sources
(``_("…")``) and Chameleon templates (``i18n:translate``, ``i18n:attributes``),
and looked up in that package's own catalogues with Babel, the reader that
:func:`jimucrm.core.i18n.compile_catalogues` uses at start-up.

When a test here fails after you added or changed a string, run
``scripts/extract-messages`` and translate what is empty or fuzzy in the
package's ``locale/zh_CN/LC_MESSAGES/jimu.po``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from lingua.extract import ExtractorOptions
from lingua.extractors import get_extractor, register_extractors

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = "jimu"
LOCALES = ("zh_CN", "en")
# What translationstring interpolates: ``${name}`` and ``$name`` (``$$`` escapes).
PLACEHOLDER = re.compile(r"(?<!\$)\$(?:\{([a-zA-Z][-a-zA-Z0-9_]*)\}|([a-zA-Z][-a-zA-Z0-9_]*))")
HINT = "run scripts/extract-messages, then translate it in {po}"


def _packages() -> list[str]:
    found = ["core", "tenants", "security"]
    found += sorted(p.parent.relative_to(ROOT).as_posix()
                    for p in ROOT.glob("addons/*/manifest.toml"))
    return found


PACKAGES = _packages()


@dataclass
class Message:
    msgctxt: str | None
    msgid: str
    text: str  # the English source: the default= text for explicit msgids, else the msgid
    locations: list[str]


@cache
def extract(package: str) -> dict[tuple[str | None, str], Message]:
    register_extractors()
    options = ExtractorOptions(comment_tag=True, domain=DOMAIN, keywords=())
    found: dict[tuple[str | None, str], Message] = {}
    for path in sorted((ROOT / package).rglob("*")):
        extractor = get_extractor(str(path)) if path.is_file() else None
        if extractor is None:
            continue
        for message in extractor(str(path), options):
            default = None
            for line in (message.comment or "").splitlines():
                if line.startswith("Default: "):
                    default = line[len("Default: "):]
            key = (message.msgctxt, message.msgid)
            where = f"{path.relative_to(ROOT)}:{message.location[1]}"
            if key in found:
                found[key].locations.append(where)
            else:
                found[key] = Message(message.msgctxt, message.msgid, default or message.msgid,
                                     [where])
    return found


def po_path(package: str, locale: str) -> Path:
    return ROOT / package / "locale" / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalogue(package: str, locale: str) -> Catalog | None:
    path = po_path(package, locale)
    if not path.exists():
        return None
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def translation(package: str, locale: str, message: Message) -> str | None:
    """The msgstr the running app would use, or None (missing, empty or fuzzy)."""
    found = catalogue(package, locale)
    entry = found.get(message.msgid, message.msgctxt) if found is not None else None
    if entry is None or entry.fuzzy or not entry.string:
        return None
    return entry.string


def placeholders(text: str) -> set[str]:
    return {braced or bare for braced, bare in PLACEHOLDER.findall(text)}


def describe(message: Message) -> str:
    context = f" (context {message.msgctxt!r})" if message.msgctxt else ""
    return f"{message.msgid!r}{context} used at {', '.join(message.locations)}"


def test_lingua_finds_the_known_messages():
    """Guards the extraction itself: a broken extractor must not pass everything."""
    assert ("Log in" in {m.msgid for m in extract("security").values()})
    core = {m.msgid: m for m in extract("core").values()}
    assert "Welcome, ${name}" in core  # template text with an i18n:name
    assert "Main menu" in core  # i18n:attributes
    assert "Bad request" in core  # Python _()
    slug_rules = extract("tenants")[(None, "slug_rules")]
    assert slug_rules.text.startswith("A workspace slug is 3–40 characters")


@pytest.mark.parametrize("package", PACKAGES)
def test_templates_declare_the_domain(package):
    """Lingua skips, and Chameleon does not translate, i18n outside ``i18n:domain``."""
    offenders = [
        str(path.relative_to(ROOT)) for path in sorted((ROOT / package).rglob("*.pt"))
        if re.search(r"i18n:(translate|attributes)", text := path.read_text(encoding="utf-8"))
        and f'i18n:domain="{DOMAIN}"' not in text
    ]
    assert not offenders, f'templates without i18n:domain="{DOMAIN}": {offenders}'


@pytest.mark.parametrize("package", PACKAGES)
def test_every_message_has_a_chinese_translation(package):
    untranslated = [describe(m) for m in extract(package).values()
                    if translation(package, "zh_CN", m) is None]
    assert not untranslated, (
        f"{len(untranslated)} message(s) of {package} without a zh_CN translation "
        f"({HINT.format(po=po_path(package, 'zh_CN').relative_to(ROOT))}):\n  "
        + "\n  ".join(untranslated))


@pytest.mark.parametrize("package", PACKAGES)
def test_english_catalogue_holds_the_source_text(package):
    """English msgstr = the English in the code, so explicit msgids read as sentences."""
    wrong = [f"{describe(m)}: has {translation(package, 'en', m)!r}, expected {m.text!r}"
             for m in extract(package).values() if translation(package, "en", m) != m.text]
    assert not wrong, (
        f"{len(wrong)} message(s) of {package} stale or missing in the en catalogue "
        f"(run scripts/extract-messages):\n  " + "\n  ".join(wrong))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("package", PACKAGES)
def test_placeholders_match(package, locale):
    mismatched = []
    for message in extract(package).values():
        translated = translation(package, locale, message)
        if translated is None:
            continue  # reported by the tests above
        expected, got = placeholders(message.text), placeholders(translated)
        if expected != got:
            mismatched.append(f"{describe(message)}: msgstr {translated!r} has "
                              f"{sorted(got)}, the source has {sorted(expected)}")
    assert not mismatched, (
        f"placeholders differ in {po_path(package, locale).relative_to(ROOT)}:\n  "
        + "\n  ".join(mismatched))


@pytest.mark.parametrize("locale", LOCALES)
def test_shared_messages_translate_alike(locale):
    """Every package's catalogue joins one ``jimu`` domain, where the first one loaded wins.

    A msgid used by two packages must read the same in both, or which translation
    shows would depend on the order the packages are included in.
    """
    seen: dict[tuple[str | None, str], dict[str, set[str]]] = defaultdict(
        lambda: defaultdict(set))
    for package in PACKAGES:
        for key, message in extract(package).items():
            translated = translation(package, locale, message)
            if translated is not None:
                seen[key][translated].add(package)
    conflicts = [f"{msgid!r}: " + "; ".join(f"{text!r} in {sorted(where)}"
                                          for text, where in variants.items())
                 for (_, msgid), variants in seen.items() if len(variants) > 1]
    assert not conflicts, (
        f"the same msgid translated differently in {locale}:\n  " + "\n  ".join(conflicts))
