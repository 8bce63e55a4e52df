"""The new-token form: every error is kept beside its field."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from pyramid.i18n import TranslationString
from webob.multidict import MultiDict

from jimucrm.core.i18n import _

from .lifecycle import DEFAULT_EXPIRY, EXPIRY_DAYS
from .models import NAME_LENGTH


@dataclass
class TokenForm:
    name: str = ""
    scopes: list[str] = field(default_factory=list)
    expires: str = DEFAULT_EXPIRY
    errors: dict[str, TranslationString] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def days(self) -> int | None:
        return EXPIRY_DAYS[self.expires]


def validate(data: MultiDict, holdable: Collection[str]) -> TokenForm:
    """Clean the submitted form; ``holdable``: the permissions a scope may name."""
    form = TokenForm(name=str(data.get("name", "")).strip(),
                     scopes=sorted({str(value) for value in data.getall("scopes")}),
                     expires=str(data.get("expires", "")))
    if not form.name:
        form.errors["name"] = _("Enter a name that says what the token is for.")
    elif len(form.name) > NAME_LENGTH:
        form.errors["name"] = _("At most ${limit} characters.", mapping={"limit": NAME_LENGTH})
    if any(scope not in holdable for scope in form.scopes):
        form.scopes = [scope for scope in form.scopes if scope in holdable]
        form.errors["scopes"] = _("A token can only hold permissions you hold yourself.")
    if form.expires not in EXPIRY_DAYS:
        form.expires = DEFAULT_EXPIRY
        form.errors["expires"] = _("Choose how long the token stays valid.")
    return form
