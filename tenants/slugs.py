"""Tenant slugs: the only input a schema name is ever built from, so checked hard."""

from __future__ import annotations

import re

from jimucrm.core.i18n import _

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
RESERVED = frozenset({
    "admin", "api", "app", "assets", "auth", "cdn", "dashboard", "default", "help", "info",
    "internal", "jimu", "locale", "login", "logout", "mail", "operator", "platform", "pg",
    "postgres", "public", "root", "static", "status", "support", "system", "t", "tenant",
    "test", "www",
})


class InvalidSlug(ValueError):
    """The slug was refused; ``message`` is a TranslationString for the user."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message


def validate_slug(slug: str) -> str:
    """Return ``slug`` if acceptable, else raise :class:`InvalidSlug` saying why."""
    if not isinstance(slug, str) or not SLUG_PATTERN.fullmatch(slug):
        raise InvalidSlug(_(
            "slug_rules",
            default="A workspace slug is 3–40 characters: lower-case letters, digits and "
                    "dashes, starting with a letter and not ending with a dash.",
        ))
    if "--" in slug:
        raise InvalidSlug(_("A workspace slug may not contain two dashes in a row."))
    if slug in RESERVED:
        raise InvalidSlug(_("“${slug}” is reserved; choose another slug.",
                            mapping={"slug": slug}))
    return slug


def schema_for(slug: str) -> str:
    """The PostgreSQL schema of a (validated) slug: ``t_`` + slug, dashes as underscores."""
    return "t_" + validate_slug(slug).replace("-", "_")
