"""Validation of the contact form: every error is kept beside its field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from pyramid.i18n import TranslationString

from jimucrm.core.i18n import _

FIELDS = ("name", "company", "title", "phone", "email", "city", "notes")
MAX_LENGTH = {"name": 100, "company": 200, "title": 100, "phone": 40, "email": 254,
              "city": 100, "notes": 5000}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()\-]{5,40}$")


@dataclass
class ContactForm:
    values: dict[str, str]
    errors: dict[str, TranslationString] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


def validate(data: Mapping[str, str]) -> ContactForm:
    """Clean the submitted fields; ``errors`` maps a field to what is wrong with it."""
    values = {name: str(data.get(name, "")).strip() for name in FIELDS}
    form = ContactForm(values)
    if not values["name"]:
        form.errors["name"] = _("Enter the contact's name.")
    for name, limit in MAX_LENGTH.items():
        if len(values[name]) > limit and name not in form.errors:
            form.errors[name] = _("At most ${limit} characters.", mapping={"limit": limit})
    if values["email"] and "email" not in form.errors and not EMAIL.fullmatch(values["email"]):
        form.errors["email"] = _("This does not look like an e-mail address.")
    if values["phone"] and "phone" not in form.errors and not PHONE.fullmatch(values["phone"]):
        form.errors["phone"] = _("Use digits, spaces, dashes and an optional leading +.")
    return form
