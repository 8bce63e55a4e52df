"""Sales' part of merging two contacts: their quotes and orders move to the survivor."""

from __future__ import annotations

from sqlalchemy import select

from jimucrm.addons.contacts.interfaces import IContactsMerging

from .models import Order


def move_orders(event: IContactsMerging) -> None:
    """Every quote and order of the merged contact becomes the survivor's (audited rows)."""
    session = event.request.dbsession
    for order in session.scalars(select(Order).where(Order.customer_id == event.merged.id)):
        order.customer = event.survivor
