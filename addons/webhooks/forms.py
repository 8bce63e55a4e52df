"""The endpoint form: cleaned input, with every error beside its field."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from pyramid.i18n import TranslationString
from webob.multidict import MultiDict

from jimucrm.core.i18n import _
from jimucrm.security.http.ssrf import OutboundURLRefused

from .models import ALL_EVENTS, DESCRIPTION_LENGTH, URL_LENGTH


@dataclass
class EndpointForm:
    url: str = ""
    description: str = ""
    events: list[str] = field(default_factory=lambda: [ALL_EVENTS])
    errors: dict[str, TranslationString] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


def validate(data: MultiDict, known_events: Collection[str],
             check_url: Callable[[str], str]) -> EndpointForm:
    """Clean the submitted form; ``check_url`` raises ``OutboundURLRefused`` with a reason."""
    form = EndpointForm(url=str(data.get("url", "")).strip(),
                        description=str(data.get("description", "")).strip(),
                        events=sorted({str(value) for value in data.getall("events")}))
    if not form.url:
        form.errors["url"] = _("Enter the address that receives the events.")
    elif len(form.url) > URL_LENGTH:
        form.errors["url"] = _("At most ${limit} characters.", mapping={"limit": URL_LENGTH})
    else:
        try:
            check_url(form.url)
        except OutboundURLRefused as refused:
            form.errors["url"] = refused.message
    if len(form.description) > DESCRIPTION_LENGTH:
        form.errors["description"] = _("At most ${limit} characters.",
                                       mapping={"limit": DESCRIPTION_LENGTH})
    if ALL_EVENTS in form.events:
        form.events = [ALL_EVENTS]
    elif not form.events:
        form.errors["events"] = _("Choose the events to send, or all events.")
    elif any(name not in known_events for name in form.events):
        form.events = [name for name in form.events if name in known_events]
        form.errors["events"] = _("Choose events from the list.")
    return form
