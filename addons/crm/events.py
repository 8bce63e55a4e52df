"""The domain events the crm addon emits through the outbox, and their payloads.

Every payload holds ids and figures only (amounts as decimal strings, times in
ISO 8601), never a lead's phone or e-mail: a handler loads what else it needs.
"""

from __future__ import annotations

from pyramid.config import Configurator

EVENTS = {
    "lead.created": (
        "A lead was created. Payload: lead_id, owner_id (null: in the public pool), "
        "source_id, region, by (user id or null)."),
    "lead.claimed": (
        "A user claimed a lead from the public pool. Payload: lead_id, owner_id, "
        "claimed_at."),
    "lead.returned": (
        "A lead went back to the public pool, returned by its owner or automatically after "
        "days without a follow-up. Payload: lead_id, previous_owner_id, reason, automatic "
        "(bool), by (user id or null)."),
    "lead.assigned": (
        "A lead was given to a user by a manager or by the assignment rules. Payload: "
        "lead_id, owner_id, previous_owner_id, method ('manual', 'automatic'), by."),
    "lead.converted": (
        "A lead became a contact and an opportunity, in one transaction. Payload: lead_id, "
        "contact_id, opportunity_id, by."),
    "opportunity.created": (
        "An opportunity was created. Payload: opportunity_id, stage_id, amount (decimal "
        "string), currency, expected_close_date (ISO date or null), owner_id, lead_id, "
        "contact_id, by."),
    "opportunity.stage_changed": (
        "An opportunity moved to another stage of the funnel. Payload: opportunity_id, "
        "from_stage_id, to_stage_id, probability (the effective %), by."),
    "opportunity.won": (
        "An opportunity moved to a won stage. Payload: opportunity_id, stage_id, amount, "
        "currency, owner_id, reason, closed_at, by."),
    "opportunity.lost": (
        "An opportunity moved to a lost stage. Payload: opportunity_id, stage_id, amount, "
        "currency, owner_id, reason, closed_at, by."),
}


def declare_events(config: Configurator) -> None:
    for name, doc in EVENTS.items():
        config.add_domain_event(name, doc)
