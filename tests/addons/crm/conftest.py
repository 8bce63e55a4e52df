"""crm-only helpers: rows written straight into a tenant's schema, and read back.

Tenants, users, the app and logging in come from ``tests/conftest.py``; every
tenant there starts with every installed addon, crm included.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from tenant_records import TenantRecords

from jimucrm.addons.crm.models import (
    CrmSettings,
    Lead,
    LeadSource,
    Opportunity,
    OpportunityStage,
)
from jimucrm.core.outbox.models import OutboxEvent


class Crm(TenantRecords):
    """Direct access to one tenant's crm tables (the app is tested through HTTP)."""

    def settings(self, **values) -> None:
        with self.session() as session:
            session.execute(update(CrmSettings).where(CrmSettings.id == 1).values(**values))

    def source_id(self, name: str) -> int:
        with self.session() as session:
            return session.scalar(select(LeadSource.id).where(LeadSource.name == name))

    def stage_id(self, name: str) -> int:
        with self.session() as session:
            return session.scalar(select(OpportunityStage.id)
                                  .where(OpportunityStage.name == name))

    def add_lead(self, name: str = "测试线索", *, owner: str | None = None,
                 days_since_follow_up: int | None = None, **values) -> int:
        """A lead owned by ``owner`` (a username), or in the pool; returns its id."""
        moment = datetime.now(UTC)
        owner_id = self.user_id(owner) if owner else None
        with self.session() as session:
            lead = Lead(name=name, company=values.pop("company", "某某公司"), phone="",
                        email="", region=values.pop("region", ""), notes="",
                        status=values.pop("status", "new"), owner_id=owner_id,
                        pooled_at=None if owner_id else moment,
                        claimed_at=moment if owner_id else None, **values)
            if days_since_follow_up is not None:
                lead.last_follow_up_at = moment - timedelta(days=days_since_follow_up)
                lead.claimed_at = moment - timedelta(days=days_since_follow_up + 1)
            session.add(lead)
            session.flush()
            return lead.id

    def lead(self, lead_id: int) -> Lead:
        with self.session() as session:
            lead = session.get(Lead, lead_id)
            session.expunge(lead)
            return lead

    def add_opportunity(self, name: str, stage: str, amount: str, *, owner: str | None = None,
                        close_in_days: int | None = 10, probability: int | None = None) -> int:
        owner_id = self.user_id(owner) if owner else None
        stage_id = self.stage_id(stage)
        with self.session() as session:
            opportunity = Opportunity(
                name=name, stage_id=stage_id, amount=amount, currency="CNY",
                probability=probability, owner_id=owner_id, close_reason="",
                expected_close_date=(datetime.now(UTC).date() + timedelta(days=close_in_days))
                if close_in_days is not None else None)
            session.add(opportunity)
            session.flush()
            return opportunity.id

    def opportunity(self, opportunity_id: int) -> Opportunity:
        with self.session() as session:
            opportunity = session.get(Opportunity, opportunity_id)
            session.expunge(opportunity)
            return opportunity

    def events(self, name: str) -> list[dict]:
        """Payloads of the outbox events ``name``, oldest first."""
        with self.session() as session:
            return list(session.scalars(select(OutboxEvent.payload)
                                        .where(OutboxEvent.name == name)
                                        .order_by(OutboxEvent.id)))


@pytest.fixture
def crm(registry, tenant) -> Crm:
    return Crm(registry, tenant)


@pytest.fixture
def as_user(app, tenant, make_user, login):
    """``as_user(username, roles=("staff",), teams=())``: a new user, logged in on ``app``."""

    def log_in(username: str, *, roles=("staff",), teams=(), is_admin=False):
        make_user(tenant, username, roles=roles, teams=teams, is_admin=is_admin)
        app.reset()
        login(app, tenant, username).follow()
        return app

    return log_in


@pytest.fixture
def csrf(app, tenant):
    """``csrf()``: the CSRF token of ``app``'s session, read from a page's hidden field."""

    def token() -> str:
        page = app.get(f"{tenant.prefix}/")
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    return token
