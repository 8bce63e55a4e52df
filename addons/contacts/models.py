"""Contacts: the people a tenant works with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from jimucrm.core.i18n import _
from jimucrm.core.models import TenantBase


class Contact(TenantBase):
    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_name", "name"),
                      Index("ix_contacts_owner_id", "owner_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # ``label``: the field's name wherever it is shown, and what field rules list.
    name: Mapped[str] = mapped_column(String(100), info={"label": _("Name")})
    company: Mapped[str] = mapped_column(String(200), default="", info={"label": _("Company")})
    title: Mapped[str] = mapped_column(String(100), default="", info={"label": _("Title")})
    phone: Mapped[str] = mapped_column(String(40), default="", info={"label": _("Phone")})
    email: Mapped[str] = mapped_column(String(254), default="", info={"label": _("E-mail")})
    city: Mapped[str] = mapped_column(String(100), default="", info={"label": _("City")})
    notes: Mapped[str] = mapped_column(Text, default="", info={"label": _("Notes")})
    # Who the record belongs to, for record rules; empty for imported or demo rows.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
