"""Contacts: the people a tenant works with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from jimucrm.core.i18n import _
from jimucrm.core.models import TenantBase

# What a phone number and an e-mail address look like (checked when not empty).
PHONE = r"\+?[0-9 ()\-]{5,40}"
EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"


class Contact(TenantBase):
    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_name", "name"),
                      Index("ix_contacts_owner_id", "owner_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # ``info`` describes each field to the generated list, form, detail, export and API
    # (see jimucrm.core.metadata); ``label`` is also what field rules list.
    name: Mapped[str] = mapped_column(String(100), info={
        "label": _("Name"), "search": "prefix"})
    company: Mapped[str] = mapped_column(String(200), default="", info={
        "label": _("Company"), "search": "prefix", "filter": True})
    title: Mapped[str] = mapped_column(String(100), default="", info={"label": _("Title")})
    phone: Mapped[str] = mapped_column(String(40), default="", info={
        "label": _("Phone"), "search": "prefix", "widget": "tel", "pattern": PHONE,
        "pattern_message": _("Use digits, spaces, dashes and an optional leading +.")})
    email: Mapped[str] = mapped_column(String(254), default="", info={
        "label": _("E-mail"), "widget": "email", "list": False, "pattern": EMAIL,
        "pattern_message": _("This does not look like an e-mail address.")})
    city: Mapped[str] = mapped_column(String(100), default="", info={
        "label": _("City"), "filter": True})
    notes: Mapped[str] = mapped_column(Text, default="", info={
        "label": _("Notes"), "max_length": 5000})
    # Who the record belongs to, for record rules; empty for imported or demo rows.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(),
        info={"label": _("Created at"), "form": False, "list": False, "filter": True})
