"""Validation of the crm forms that are not generated (follow-ups, status, conversion,
settings): every error is kept beside its field. The lead and opportunity forms are
core's generated ones, checked from the models' field metadata."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from pyramid.i18n import TranslationString

from jimucrm.core.i18n import _
from jimucrm.core.urls import parse_id

from .models import ASSIGNMENT_MODES, FOLLOW_UP_KINDS, LEAD_STATUSES

MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)


@dataclass
class Form:
    values: dict[str, str]
    errors: dict[str, TranslationString] = field(default_factory=dict)
    cleaned: dict[str, object] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


def _read(data: Mapping[str, str], names: tuple[str, ...]) -> Form:
    return Form({name: str(data.get(name, "")).strip() for name in names})


def _text(form: Form, name: str, limit: int, *, required: TranslationString | None = None):
    value = form.values[name]
    if not value and required is not None:
        form.errors[name] = required
    elif len(value) > limit:
        form.errors[name] = _("At most ${limit} characters.", mapping={"limit": limit})
    else:
        form.cleaned[name] = value


def _amount(form: Form, name: str = "amount") -> None:
    value = form.values[name].replace(",", "") or "0"
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        form.errors[name] = _("Enter an amount of 0 or more, like 120000 or 9999.50.")
    elif amount != amount.quantize(Decimal("0.01")):
        form.errors[name] = _("At most two decimal places.")
    else:
        form.cleaned[name] = amount.quantize(Decimal("0.01"))


def _date(form: Form, name: str) -> None:
    value = form.values[name]
    if not value:
        form.cleaned[name] = None
        return
    try:
        form.cleaned[name] = date.fromisoformat(value)
    except ValueError:
        form.errors[name] = _("Enter a date like 2025-06-30.")


def _probability(form: Form, name: str = "probability") -> None:
    value = form.values[name]
    if not value:
        form.cleaned[name] = None
    elif value.isascii() and value.isdigit() and len(value) <= 3 and int(value) <= 100:
        form.cleaned[name] = int(value)
    else:
        form.errors[name] = _("A whole number from 0 to 100.")


def _choice(form: Form, name: str, choices: Mapping[int, object] | tuple,
            message: TranslationString, *, optional: bool = False) -> None:
    value = form.values[name]
    if not value and optional:
        form.cleaned[name] = None
        return
    key = parse_id(value) if isinstance(choices, Mapping) else value
    if key is None or key not in choices:
        form.errors[name] = message
    else:
        form.cleaned[name] = key


def validate_follow_up(data: Mapping[str, str]) -> Form:
    form = _read(data, ("kind", "content"))
    _choice(form, "kind", FOLLOW_UP_KINDS, _("Choose note, call or visit."))
    _text(form, "content", 5000, required=_("Write what happened."))
    return form


def validate_status(data: Mapping[str, str]) -> Form:
    form = _read(data, ("status",))
    # Conversion has its own form: it makes the contact and the opportunity.
    _choice(form, "status", tuple(s for s in LEAD_STATUSES if s != "converted"),
            _("Choose a status from the list."))
    return form


CONVERT_FIELDS = ("contact_name", "company", "opportunity_name", "stage_id", "amount",
                  "expected_close_date")


def validate_conversion(data: Mapping[str, str], stages: Mapping[int, object]) -> Form:
    form = _read(data, CONVERT_FIELDS)
    _text(form, "contact_name", 100, required=_("Enter the contact's name."))
    _text(form, "company", 200)
    _text(form, "opportunity_name", 200, required=_("Name the opportunity."))
    _choice(form, "stage_id", stages, _("Choose a stage from the list."))
    _amount(form)
    _date(form, "expected_close_date")
    return form


SETTINGS_FIELDS = ("claim_limit", "auto_return_days", "assignment_mode")


def validate_settings(data: Mapping[str, str]) -> Form:
    form = _read(data, SETTINGS_FIELDS)
    for name, limit in (("claim_limit", 100000), ("auto_return_days", 3650)):
        value = form.values[name]
        if value.isascii() and value.isdigit() and len(value) <= 6 and int(value) <= limit:
            form.cleaned[name] = int(value)
        else:
            form.errors[name] = _("A whole number from 0 to ${limit}.", mapping={"limit": limit})
    _choice(form, "assignment_mode", ASSIGNMENT_MODES, _("Choose how leads are assigned."))
    return form


def validate_stage(data: Mapping[str, str]) -> Form:
    form = _read(data, ("name", "position", "probability", "kind"))
    _text(form, "name", 50, required=_("Name the stage."))
    position = form.values["position"] or "0"
    if position.isascii() and position.isdigit() and len(position) <= 4:
        form.cleaned["position"] = int(position)
    else:
        form.errors["position"] = _("A whole number from 0 to 9999.")
    _probability(form)
    if form.cleaned.get("probability") is None and "probability" not in form.errors:
        form.errors["probability"] = _("A whole number from 0 to 100.")
    _choice(form, "kind", ("open", "won", "lost"), _("Choose open, won or lost."))
    return form


def validate_rule(data: Mapping[str, str], sources: Mapping[int, object],
                  users: Mapping[int, object]) -> Form:
    form = _read(data, ("region", "source_id", "user_id", "position"))
    _text(form, "region", 100)
    _choice(form, "source_id", sources, _("Choose a source from the list."), optional=True)
    _choice(form, "user_id", users, _("Choose who gets the leads."))
    position = form.values["position"] or "0"
    if position.isascii() and position.isdigit() and len(position) <= 4:
        form.cleaned["position"] = int(position)
    else:
        form.errors["position"] = _("A whole number from 0 to 9999.")
    if not form.values["region"] and not form.values["source_id"] and "region" not in form.errors:
        form.errors["region"] = _("Give a region, a source, or both.")
    return form
