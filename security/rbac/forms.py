"""The forms of the users, roles and teams pages: what was typed, and what is wrong with it.

Parsing here needs no database; the views add what only the database can tell
(a taken username, a role that does not exist, the last administrator).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pyramid.i18n import TranslationString

from jimucrm.core.i18n import _
from jimucrm.core.urls import parse_id

from .models import SCOPES

# The record-rule scopes and field accesses as the role editor names them.
SCOPE_TITLES = {
    "none": _("No records"),
    "own": _("Own records"),
    "team": _("Their teams' records"),
    "all": _("All records"),
}
# A field rule stores "read" or "none"; "write" is the absence of a rule.
FIELD_ACCESS_TITLES = {
    "write": _("No restriction"),
    "read": _("Read-only"),
    "none": _("Hidden"),
}
DEFAULT = "default"

USERNAME_LENGTH, DISPLAY_NAME_LENGTH, EMAIL_LENGTH = 64, 200, 254
ROLE_NAME_LENGTH, ROLE_DESCRIPTION_LENGTH = 100, 500
TEAM_NAME_LENGTH = 100
# Letters (any script), digits, dot, dash and underscore: no "@", so a username is
# never mistaken for an e-mail address at login, and no spaces.
USERNAME = re.compile(r"^[\w.\-]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")

Errors = dict[str, list[TranslationString]]


def _text(params: Mapping[str, str], name: str) -> str:
    # Single line: a pasted newline or tab must not land in a name.
    return " ".join(str(params.get(name, "")).split())


def _ids(params, name: str) -> set[int]:
    """The ids ticked in checkboxes ``name``; values that cannot be ids are dropped."""
    return {number for number in map(parse_id, params.getall(name)) if number is not None}


def _required(errors: Errors, name: str, value: str, limit: int) -> None:
    if not value:
        errors.setdefault(name, []).append(_("Required."))
    elif len(value) > limit:
        errors.setdefault(name, []).append(
            _("At most ${count} characters.", mapping={"count": limit}))


@dataclass
class UserForm:
    """The user page's fields. The password is never shown again once typed."""

    username: str = ""
    display_name: str = ""
    email: str = ""
    password: str = ""
    is_admin: bool = False
    role_ids: set[int] = field(default_factory=set)
    team_ids: set[int] = field(default_factory=set)
    errors: Errors = field(default_factory=dict)

    @classmethod
    def parse(cls, params) -> UserForm:
        form = cls(
            username=_text(params, "username"),
            display_name=_text(params, "display_name"),
            email=_text(params, "email").lower(),
            password=str(params.get("password", "")),
            is_admin=params.get("is_admin") == "on",
            role_ids=_ids(params, "roles"),
            team_ids=_ids(params, "teams"),
        )
        errors = form.errors
        _required(errors, "username", form.username, USERNAME_LENGTH)
        if "username" not in errors and not USERNAME.match(form.username):
            errors["username"] = [_("Letters, digits, dots, dashes and underscores only.")]
        _required(errors, "display_name", form.display_name, DISPLAY_NAME_LENGTH)
        if len(form.email) > EMAIL_LENGTH:
            errors["email"] = [_("At most ${count} characters.", mapping={"count": EMAIL_LENGTH})]
        elif form.email and not EMAIL.match(form.email):
            errors["email"] = [_("Not an e-mail address.")]
        return form

    def error(self, name: str, message: TranslationString) -> None:
        self.errors.setdefault(name, []).append(message)


@dataclass
class RoleForm:
    """The role editor's fields.

    ``record_rules``: model → (read, write), each a scope or ``default``;
    ``field_rules``: (model, field) → ``write`` (no rule), ``read`` or ``none``.
    """

    name: str = ""
    description: str = ""
    read_scope: str = "own"
    write_scope: str = "own"
    permissions: set[str] = field(default_factory=set)
    record_rules: dict[str, tuple[str, str]] = field(default_factory=dict)
    field_rules: dict[tuple[str, str], str] = field(default_factory=dict)
    errors: Errors = field(default_factory=dict)

    @classmethod
    def parse(cls, params, *, permissions: Iterable[str],
              models: Mapping[str, Iterable[str]], name_required: bool = True) -> RoleForm:
        """Read the posted form; only ``permissions`` and ``models`` (key → field names)
        on offer are read, so a forged name can add nothing."""
        offered = set(permissions)
        form = cls(
            name=_text(params, "name"),
            description=" ".join(str(params.get("description", "")).split()),
            read_scope=str(params.get("read_scope", "")),
            write_scope=str(params.get("write_scope", "")),
            permissions={name for name in params.getall("permissions") if name in offered},
        )
        errors = form.errors
        if name_required:
            _required(errors, "name", form.name, ROLE_NAME_LENGTH)
        if len(form.description) > ROLE_DESCRIPTION_LENGTH:
            errors["description"] = [_("At most ${count} characters.",
                                       mapping={"count": ROLE_DESCRIPTION_LENGTH})]
        for name in ("read_scope", "write_scope"):
            if getattr(form, name) not in SCOPES:
                errors[name] = [_("Choose one of the listed scopes.")]
        for key, fields in models.items():
            read = str(params.get(f"read:{key}", DEFAULT))
            write = str(params.get(f"write:{key}", DEFAULT))
            if read not in SCOPES and read != DEFAULT or write not in SCOPES and write != DEFAULT:
                errors[f"rule:{key}"] = [_("Choose one of the listed scopes.")]
                read, write = DEFAULT, DEFAULT
            form.record_rules[key] = (read, write)
            for name in fields:
                access = str(params.get(f"field:{key}:{name}", "write"))
                if access not in FIELD_ACCESS_TITLES:
                    errors[f"field:{key}:{name}"] = [_("Choose one of the listed options.")]
                    access = "write"
                form.field_rules[(key, name)] = access
        return form


@dataclass
class TeamForm:
    name: str = ""
    errors: Errors = field(default_factory=dict)

    @classmethod
    def parse(cls, params) -> TeamForm:
        form = cls(name=_text(params, "name"))
        _required(form.errors, "name", form.name, TEAM_NAME_LENGTH)
        return form
