"""Default implementations of the crm addon's extension points: lead assignment."""

from __future__ import annotations

from pyramid.i18n import TranslationString
from pyramid.request import Request
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from zope.interface import implementer

from jimucrm.core.i18n import _
from jimucrm.security.models import User
from jimucrm.security.rbac.models import RolePermission, UserRole

from .interfaces import ILeadAssignment
from .leads import crm_settings
from .models import AssignmentRule, Lead

CLAIM = "leads.claim"


def claimers(session: Session) -> list[int]:
    """Ids of the active users whose roles grant ``leads.claim``, in order.

    Administrators hold every permission without a role; they take part only
    when a role gives them ``leads.claim`` too (they are rarely salespeople).
    """
    return list(session.scalars(
        select(User.id).distinct()
        .join(UserRole, UserRole.user_id == User.id)
        .join(RolePermission, RolePermission.role_id == UserRole.role_id)
        .where(User.is_active.is_(True), RolePermission.permission == CLAIM)
        .order_by(User.id)))


@implementer(ILeadAssignment)
class RoundRobinAssignment:
    """Each lead to the next active user holding ``leads.claim``, in turn."""

    def assign(self, request: Request, lead: Lead) -> int | None:
        session = request.dbsession
        candidates = claimers(session)
        if not candidates:
            return None
        # The settings row's lock makes concurrent assignments take turns, not share one.
        settings = crm_settings(session, for_update=True)
        last = settings.round_robin_last_user_id or 0
        chosen = next((user_id for user_id in candidates if user_id > last), candidates[0])
        settings.round_robin_last_user_id = chosen
        return chosen

    def describe(self, request: Request) -> TranslationString:
        return _("Round robin among the users who may claim leads.")


@implementer(ILeadAssignment)
class RuleAssignment:
    """The user of the first rule (by position) whose region and source match the lead."""

    def assign(self, request: Request, lead: Lead) -> int | None:
        region = (lead.region or "").strip().lower()
        criteria = [AssignmentRule.region.is_(None),
                    func.lower(func.trim(AssignmentRule.region)) == region]
        sources = [AssignmentRule.source_id.is_(None)]
        if lead.source_id is not None:
            sources.append(AssignmentRule.source_id == lead.source_id)
        return request.dbsession.scalar(
            select(AssignmentRule.user_id)
            .join(User, User.id == AssignmentRule.user_id)
            .where(User.is_active.is_(True), or_(*criteria), or_(*sources))
            .order_by(AssignmentRule.position, AssignmentRule.id).limit(1))

    def describe(self, request: Request) -> TranslationString:
        return _("By the region and source rules.")


@implementer(ILeadAssignment)
class SettingsAssignment:
    """What the tenant chose in the CRM settings: the pool, round robin, the rules, or
    the rules with round robin for the leads no rule matches."""

    def __init__(self) -> None:
        self.rules = RuleAssignment()
        self.round_robin = RoundRobinAssignment()

    def assign(self, request: Request, lead: Lead) -> int | None:
        mode = crm_settings(request.dbsession).assignment_mode
        chosen = None
        if mode in ("rules", "rules_round_robin"):
            chosen = self.rules.assign(request, lead)
        if chosen is None and mode in ("round_robin", "rules_round_robin"):
            chosen = self.round_robin.assign(request, lead)
        return chosen

    def describe(self, request: Request) -> TranslationString:
        return ASSIGNMENT_MODE_TITLES[crm_settings(request.dbsession).assignment_mode]


ASSIGNMENT_MODE_TITLES = {
    "pool": _("Leave new leads in the public pool."),
    "round_robin": _("Round robin among the users who may claim leads."),
    "rules": _("By the region and source rules; leads no rule matches stay in the pool."),
    "rules_round_robin": _("By the region and source rules; round robin for the others."),
}
