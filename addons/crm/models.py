"""CRM tables: leads and their follow-ups, the public pool's settings, assignment rules,
opportunity stages, opportunities and their stage history.

A lead whose ``owner_id`` is NULL is in the public lead pool (公海).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jimucrm.core.i18n import _
from jimucrm.core.models import TenantBase

LEAD_STATUSES = ("new", "contacted", "qualified", "converted", "lost")
# Leads still being worked: they count against the claim limit and can go back to the pool.
OPEN_LEAD_STATUSES = ("new", "contacted", "qualified")
# What a user records on a lead; each one is a follow-up (it moves last_follow_up_at).
FOLLOW_UP_KINDS = ("note", "call", "visit")
# What the system records on a lead's timeline: not follow-ups.
EVENT_KINDS = ("created", "claimed", "returned", "auto_returned", "assigned", "converted",
               "status")
ACTIVITY_KINDS = FOLLOW_UP_KINDS + EVENT_KINDS
ASSIGNMENT_MODES = ("pool", "round_robin", "rules", "rules_round_robin")
STATUS_CHOICES = (("new", _("New")), ("contacted", _("Contacted")), ("qualified", _("Qualified")),
                  ("converted", _("Converted")), ("lost", _("Lost")))
# The patterns the lead form has always checked (shared with the conversion form).
EMAIL_PATTERN = r"[^@\s]+@[^@\s]+\.[^@\s]+"
PHONE_PATTERN = r"\+?[0-9 ()\-]{5,40}"
# Set by the system or by a dedicated action (claim, assign, status, conversion, stage
# move), never by the generic form or a PATCH: those keep their events and history.
SYSTEM = {"form": False}
USER = {"label": "display_name", "active": "is_active"}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class CrmSettings(TenantBase):
    """The tenant's CRM settings: one row, id 1 (loaded as data when crm is enabled)."""

    __tablename__ = "crm_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("claim_limit >= 0", name="claim_limit"),
        CheckConstraint("auto_return_days >= 0", name="auto_return_days"),
        CheckConstraint(_in("assignment_mode", ASSIGNMENT_MODES), name="assignment_mode"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=1)
    # How many open leads one user may hold; 0: no limit.
    claim_limit: Mapped[int] = mapped_column(Integer, default=50)
    # Leads without a follow-up for this many days go back to the pool; 0: never.
    auto_return_days: Mapped[int] = mapped_column(Integer, default=30)
    assignment_mode: Mapped[str] = mapped_column(String(20), default="pool")
    # Round robin remembers whom it chose last, so the next lead goes to the next user.
    round_robin_last_user_id: Mapped[int | None] = mapped_column(Integer)


class LeadSource(TenantBase):
    """Where leads come from (官网, 展会…): a list each tenant edits."""

    __tablename__ = "crm_lead_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True, info={"label": _("Source")})
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Lead(TenantBase):
    __tablename__ = "crm_leads"
    __table_args__ = (
        Index("ix_crm_leads_owner_id", "owner_id"),
        Index("ix_crm_leads_status", "status"),
        CheckConstraint(_in("status", LEAD_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), info={"label": _("Name"),
                                                         "search": "prefix"})
    company: Mapped[str] = mapped_column(String(200), default="", info={
        "label": _("Company"), "search": "prefix"})
    phone: Mapped[str] = mapped_column(String(40), default="", info={
        "label": _("Phone"), "search": "prefix", "pattern": PHONE_PATTERN,
        "pattern_message": _("Use digits, spaces, dashes and an optional leading +.")})
    email: Mapped[str] = mapped_column(String(254), default="", info={
        "label": _("E-mail"), "widget": "email", "pattern": EMAIL_PATTERN,
        "pattern_message": _("This does not look like an e-mail address.")})
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_lead_sources.id", ondelete="SET NULL"), info={
            "label": _("Source"), "filter": True,
            "relation": {"label": "name", "active": "is_active", "order": "position"}})
    region: Mapped[str] = mapped_column(String(100), default="", info={"label": _("Region")})
    status: Mapped[str] = mapped_column(String(20), default="new", info={
        "label": _("Status"), "choices": STATUS_CHOICES, "filter": True, **SYSTEM})
    # NULL: the lead is in the public pool, claimable by anyone holding leads.claim.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                 info={"label": _("Owner"), "relation": USER,
                                                       "filter": True, **SYSTEM})
    pooled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info={
        "label": _("In the pool since"), "list": False, **SYSTEM})
    last_follow_up_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), info={"label": _("Last follow-up"), **SYSTEM})
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info={
        "label": _("Claimed at"), "list": False, **SYSTEM})
    notes: Mapped[str] = mapped_column(Text, default="", info={"label": _("Notes"),
                                                               "max_length": 5000})
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), info={
            "label": _("Contact"), "relation": {"label": "name"}, "list": False, **SYSTEM})
    converted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info={
        "label": _("Converted at"), "list": False, **SYSTEM})
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), info={
                                                     "label": _("Created at"), "filter": True,
                                                     **SYSTEM})

    source: Mapped[LeadSource | None] = relationship(lazy="joined")

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_LEAD_STATUSES


class LeadActivity(TenantBase):
    """A lead's timeline: follow-ups (notes, calls, visits) and what happened to it."""

    __tablename__ = "crm_lead_activities"
    __table_args__ = (
        Index("ix_crm_lead_activities_lead_id", "lead_id"),
        CheckConstraint(_in("kind", ACTIVITY_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("crm_leads.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())


class AssignmentRule(TenantBase):
    """Leads of a region and/or source go to one user (the first matching rule wins)."""

    __tablename__ = "crm_assignment_rules"
    __table_args__ = (
        CheckConstraint("region IS NOT NULL OR source_id IS NOT NULL", name="criterion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region: Mapped[str | None] = mapped_column(String(100))
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_lead_sources.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)


class OpportunityStage(TenantBase):
    """A column of the funnel: its order, win probability and whether it closes a deal."""

    __tablename__ = "crm_opportunity_stages"
    __table_args__ = (
        CheckConstraint("probability BETWEEN 0 AND 100", name="probability"),
        CheckConstraint("NOT (is_won AND is_lost)", name="won_or_lost"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True, info={"label": _("Stage")})
    position: Mapped[int] = mapped_column(Integer, default=0)
    probability: Mapped[int] = mapped_column(Integer, default=0)
    is_won: Mapped[bool] = mapped_column(Boolean, default=False)
    is_lost: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def is_closed(self) -> bool:
        return self.is_won or self.is_lost


class Opportunity(TenantBase):
    __tablename__ = "crm_opportunities"
    __table_args__ = (
        Index("ix_crm_opportunities_owner_id", "owner_id"),
        Index("ix_crm_opportunities_stage_id", "stage_id"),
        Index("ix_crm_opportunities_expected_close_date", "expected_close_date"),
        CheckConstraint("amount >= 0", name="amount"),
        CheckConstraint("probability IS NULL OR probability BETWEEN 0 AND 100",
                        name="probability"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), info={"label": _("Opportunity"),
                                                         "search": "prefix"})
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), info={
            "label": _("Contact"), "relation": {"label": "name"}, "filter": True})
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_leads.id", ondelete="SET NULL"), info={
            "label": _("Lead"), "relation": {"label": "name"}, "list": False, **SYSTEM})
    # Moves go through the funnel (history, events): a new deal starts in the first
    # open stage, and the kanban or the deal's move form changes it.
    stage_id: Mapped[int] = mapped_column(
        ForeignKey("crm_opportunity_stages.id", ondelete="RESTRICT"),
        default=select(OpportunityStage.id).where(
            OpportunityStage.is_active.is_(True), OpportunityStage.is_won.is_(False),
            OpportunityStage.is_lost.is_(False))
        .order_by(OpportunityStage.position, OpportunityStage.id).limit(1).scalar_subquery(),
        info={"label": _("Stage"), "filter": True, **SYSTEM,
              "relation": {"label": "name", "order": "position"}})
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"), info={
        "label": _("Expected amount"), "minimum": 0, "filter": True})
    currency: Mapped[str] = mapped_column(String(3), default="CNY", info={
        "label": _("Currency"), "pattern": "[A-Z]{3}",
        "pattern_message": _("Three capital letters, like CNY or USD.")})
    expected_close_date: Mapped[date | None] = mapped_column(
        Date, info={"label": _("Expected close date"), "filter": True})
    # NULL: the stage's probability applies.
    probability: Mapped[int | None] = mapped_column(Integer, info={
        "label": _("Win probability"), "minimum": 0, "maximum": 100,
        "help": _("Leave empty to use the stage's probability.")})
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                 info={"label": _("Owner"), "relation": USER,
                                                       "filter": True, **SYSTEM})
    close_reason: Mapped[str] = mapped_column(Text, default="", info={
        "label": _("Won or lost reason"), **SYSTEM})
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info={
        "label": _("Closed at"), "list": False, **SYSTEM})
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), info={
                                                     "label": _("Created at"), "list": False,
                                                     **SYSTEM})

    stage: Mapped[OpportunityStage] = relationship(lazy="joined")

    @property
    def effective_probability(self) -> int:
        """The override while the deal is open; a closed stage's own figure once closed."""
        if self.probability is None or self.stage.is_closed:
            return self.stage.probability
        return self.probability

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.effective_probability / 100).quantize(Decimal("0.01"))


class StageChange(TenantBase):
    """One move of an opportunity between stages: from, to, who, when."""

    __tablename__ = "crm_stage_history"
    __table_args__ = (Index("ix_crm_stage_history_opportunity_id", "opportunity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("crm_opportunities.id", ondelete="CASCADE"))
    # NULL: the opportunity was created in ``to_stage_id``.
    from_stage_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_opportunity_stages.id", ondelete="SET NULL"))
    to_stage_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_opportunity_stages.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
