"""Customers: companies, the people a tenant works with, and the tags on both.

A person (:class:`Contact`) may belong to a company (:class:`Company`). Phones and
the ID-card number are encrypted at rest (``EncryptedText``) with a blind index,
so they can be found by exact value and never by prefix.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Index, String, Table, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from jimucrm.core.i18n import _
from jimucrm.core.metadata.search import prefix_index
from jimucrm.core.models import TenantBase
from jimucrm.security.keys import BlindIndex, EncryptedText, normalise_compact

from .validators import credit_code_valid, id_number_valid

# What a phone number and an e-mail address look like (checked when not empty).
PHONE = r"\+?[0-9 ()\-]{5,40}"
EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
PHONE_MESSAGE = _("Use digits, spaces, dashes and an optional leading +.")

# Where a customer came from, and how much they matter (stored values are stable codes).
SOURCES = (("referral", _("Referral")), ("website", _("Website")),
           ("exhibition", _("Trade show")), ("advertising", _("Advertising")),
           ("cold_call", _("Cold call")), ("lead", _("Converted lead")),
           ("partner", _("Partner")), ("other", _("Other source")))
LEVELS = (("vip", _("VIP")), ("important", _("Important")), ("regular", _("Regular")),
          ("potential", _("Potential")))


def _address(label, *, length: int = 50, filterable: bool = False,
             listed: bool = False):
    return mapped_column(String(length), default="", info={
        "label": label, "filter": filterable, "list": listed, "sort": filterable})


# A tag on a customer: one table of tags, used by people and companies alike.
contact_tag_links = Table(
    "contact_tag_links", TenantBase.metadata,
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("contact_tags.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_contact_tag_links_tag_id", "tag_id"),
)
company_tag_links = Table(
    "company_tag_links", TenantBase.metadata,
    Column("company_id", ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("contact_tags.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_company_tag_links_tag_id", "tag_id"),
)


class ContactTag(TenantBase):
    """A label such as 老客户 or 华东区 that customers are grouped and filtered by."""

    __tablename__ = "contact_tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())


class CustomerFields:
    """What companies and people both have: an address, where they came from, how much
    they matter, notes, an owner. Declared after each model's own columns, so forms
    and lists show them last."""

    province: Mapped[str] = _address(_("Province"), filterable=True)
    city: Mapped[str] = _address(_("City"), length=100, filterable=True, listed=True)
    district: Mapped[str] = _address(_("District"))
    street: Mapped[str] = _address(_("Street address"), length=200)
    source: Mapped[str | None] = mapped_column(String(20), info={
        "label": _("Source"), "choices": SOURCES, "filter": True, "list": False})
    level: Mapped[str | None] = mapped_column(String(20), default="regular", info={
        "label": _("Customer level"), "choices": LEVELS, "filter": True})
    notes: Mapped[str] = mapped_column(Text, default="", info={
        "label": _("Notes"), "max_length": 5000})
    # Who the record belongs to, for record rules; empty for imported or demo rows.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(),
        info={"label": _("Created at"), "form": False, "list": False, "filter": True})


class Company(CustomerFields, TenantBase):
    """An organisation a tenant sells to; its people are :class:`Contact` rows."""

    __tablename__ = "companies"
    __table_args__ = (Index("ix_companies_name", "name"),
                      Index("ix_companies_owner_id", "owner_id"),
                      Index("ix_companies_credit_code", "credit_code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), info={
        "label": _("Company name"), "search": "prefix"})
    credit_code: Mapped[str] = mapped_column(String(18), default="", info={
        "label": _("Unified social credit code"), "search": "exact", "list": False,
        "check": credit_code_valid,
        "check_message": _("Not a valid unified social credit code (18 characters, the "
                           "last one a check character).")})
    industry: Mapped[str] = mapped_column(String(100), default="", info={
        "label": _("Industry"), "filter": True})
    phone: Mapped[str] = mapped_column(String(40), default="", info={
        "label": _("Phone"), "widget": "tel", "pattern": PHONE,
        "pattern_message": PHONE_MESSAGE})
    website: Mapped[str] = mapped_column(String(200), default="", info={
        "label": _("Website"), "list": False})
    tags: Mapped[list[ContactTag]] = relationship(secondary=company_tag_links,
                                                  order_by=ContactTag.name)
    contacts: Mapped[list[Contact]] = relationship(back_populates="company",
                                                   order_by="Contact.name")


class Contact(CustomerFields, TenantBase):
    """A person: a customer, or someone at a customer company."""

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_name", "name"),
                      Index("ix_contacts_owner_id", "owner_id"),
                      Index("ix_contacts_company_id", "company_id"),
                      Index("ix_contacts_phone_index", "phone_index"),
                      Index("ix_contacts_mobile_index", "mobile_index"),
                      Index("ix_contacts_id_number_index", "id_number_index"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # ``info`` describes each field to the generated list, form, detail, export and API
    # (see jimucrm.core.metadata); ``label`` is also what field rules list.
    name: Mapped[str] = mapped_column(String(100), info={
        "label": _("Name"), "search": "prefix"})
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), info={
            "label": _("Company"), "relation": {"label": "name"}, "filter": True})
    title: Mapped[str] = mapped_column(String(100), default="", info={"label": _("Title")})
    # Encrypted at rest; found by exact number through the blind index (the list's
    # search box, the API's ``phone=`` filter), never by prefix.
    phone: Mapped[str | None] = mapped_column(
        EncryptedText(blind_index="phone_index", normalise=normalise_compact), info={
            "label": _("Phone"), "search": "exact", "widget": "tel", "pattern": PHONE,
            "max_length": 40, "list": True, "pattern_message": PHONE_MESSAGE})
    phone_index: Mapped[bytes | None] = mapped_column(BlindIndex())
    mobile: Mapped[str | None] = mapped_column(
        EncryptedText(blind_index="mobile_index", normalise=normalise_compact), info={
            "label": _("Mobile"), "search": "exact", "widget": "tel", "pattern": PHONE,
            "max_length": 40, "list": False, "pattern_message": PHONE_MESSAGE})
    mobile_index: Mapped[bytes | None] = mapped_column(BlindIndex())
    email: Mapped[str] = mapped_column(String(254), default="", info={
        "label": _("E-mail"), "widget": "email", "list": False, "pattern": EMAIL,
        "pattern_message": _("This does not look like an e-mail address.")})
    id_number: Mapped[str | None] = mapped_column(
        EncryptedText(blind_index="id_number_index", normalise=normalise_compact), info={
            "label": _("ID card number"), "search": "exact", "widget": "text",
            "max_length": 18, "list": False, "check": id_number_valid,
            "check_message": _("Not a valid resident ID card number (18 characters, the "
                               "last one a check digit or X).")})
    id_number_index: Mapped[bytes | None] = mapped_column(BlindIndex())
    company: Mapped[Company | None] = relationship(back_populates="contacts")
    tags: Mapped[list[ContactTag]] = relationship(secondary=contact_tag_links,
                                                  order_by=ContactTag.name)

    @validates("phone", "mobile", "id_number")
    def _empty_is_none(self, key: str, value: str | None) -> str | None:
        # An empty field stores NULL, not the ciphertext of "" (whose blind index would
        # make every empty phone "equal" to every other).
        return value if value and value.strip() else None

    @property
    def company_name(self) -> str:
        """The company's name, or empty (for one-line labels: ``王伟 · 云帆贸易``)."""
        return self.company.name if self.company is not None else ""


# What the search box's name search uses (see jimucrm.core.metadata.search).
prefix_index("ix_contacts_name_prefix", Contact.name)
prefix_index("ix_companies_name_prefix", Company.name)
