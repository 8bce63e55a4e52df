"""The tenant admin's audit log page: search, page through, export as CSV."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import Select, func, select

from jimucrm.core.i18n import _
from jimucrm.core.models import TenantBase

from .log import (
    ACTIONS,
    ADDON_DISABLED,
    ADDON_ENABLED,
    CREATE,
    DELETE,
    EXPORT,
    LOGIN,
    LOGIN_FAILED,
    LOGOUT,
    MFA_CODE_USED,
    MFA_CODES_REPLACED,
    MFA_DISABLED,
    MFA_ENABLED,
    MFA_RESET,
    PASSWORD_CHANGED,
    ROLE_CHANGED,
    ROLE_CREATED,
    ROLE_DELETED,
    TEAM_CREATED,
    TEAM_DEACTIVATED,
    TEAM_REACTIVATED,
    TEAM_RENAMED,
    TOKEN_CREATED,
    TOKEN_REFUSED,
    TOKEN_REVOKED,
    UPDATE,
    USER_ADMIN_CHANGED,
    USER_CREATED,
    USER_DEACTIVATED,
    USER_PASSWORD_SET,
    USER_REACTIVATED,
    USER_ROLES_CHANGED,
    USER_TEAMS_CHANGED,
    record_export,
)
from .models import AuditEntry

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000
FIELD_LENGTH = 100

ACTION_TITLES = {
    CREATE: _("Created"),
    UPDATE: _("Changed"),
    DELETE: _("Deleted"),
    LOGIN: _("Logged in"),
    LOGIN_FAILED: _("Login refused"),
    LOGOUT: _("Logged out"),
    ADDON_ENABLED: _("Addon enabled"),
    ADDON_DISABLED: _("Addon disabled"),
    EXPORT: _("Exported"),
    PASSWORD_CHANGED: _("Password changed"),
    MFA_ENABLED: _("Two-step verification on"),
    MFA_DISABLED: _("Two-step verification off"),
    MFA_RESET: _("Two-step verification reset"),
    MFA_CODES_REPLACED: _("Recovery codes replaced"),
    MFA_CODE_USED: _("Recovery code used"),
    TOKEN_CREATED: _("API token created"),
    TOKEN_REVOKED: _("API token revoked"),
    TOKEN_REFUSED: _("API token refused"),
    USER_CREATED: _("User created"),
    USER_ROLES_CHANGED: _("User's roles changed"),
    USER_TEAMS_CHANGED: _("User's teams changed"),
    USER_ADMIN_CHANGED: _("Administrator rights changed"),
    USER_DEACTIVATED: _("User deactivated"),
    USER_REACTIVATED: _("User reactivated"),
    USER_PASSWORD_SET: _("Password set by an administrator"),
    ROLE_CREATED: _("Role created"),
    ROLE_CHANGED: _("Role changed"),
    ROLE_DELETED: _("Role deleted"),
    TEAM_CREATED: _("Team created"),
    TEAM_RENAMED: _("Team renamed"),
    TEAM_DEACTIVATED: _("Team deactivated"),
    TEAM_REACTIVATED: _("Team reactivated"),
}

# A spreadsheet would run a cell starting with these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Search:
    """The search form, read from the query string; bad values are dropped with a message."""

    values: dict[str, str] = field(default_factory=dict)
    errors: list[Any] = field(default_factory=list)
    criteria: list[Any] = field(default_factory=list)

    @classmethod
    def of(cls, params) -> Search:
        search = cls()
        for name in ("user", "action", "model", "record", "from", "to"):
            search.values[name] = params.get(name, "").strip()[:FIELD_LENGTH]
        values, criteria = search.values, search.criteria
        if values["user"]:
            criteria.append(func.lower(AuditEntry.username) == values["user"].lower())
        if values["action"]:
            if values["action"] in ACTIONS:
                criteria.append(AuditEntry.action == values["action"])
            else:
                values["action"] = ""
        if values["model"]:
            criteria.append(AuditEntry.model == values["model"])
        if values["record"]:
            criteria.append(AuditEntry.record_id == values["record"])
        for name, title in (("from", _("From")), ("to", _("To"))):
            if not values[name]:
                continue
            try:
                day = date.fromisoformat(values[name])
            except ValueError:
                search.errors.append(_("${field}: expected a date such as 2026-01-31.",
                                       mapping={"field": title}))
                values[name] = ""
                continue
            start = datetime.combine(day, time(), tzinfo=UTC)
            criteria.append(AuditEntry.occurred_at >= start if name == "from"
                            else AuditEntry.occurred_at < start + timedelta(days=1))
        return search

    def query(self) -> Select:
        return select(AuditEntry).where(*self.criteria).order_by(AuditEntry.id.desc())

    def query_string(self, **extra: Any) -> dict[str, Any]:
        return {**{k: v for k, v in self.values.items() if v}, **extra}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _changes(entry: AuditEntry) -> list[dict[str, Any]]:
    rows = []
    for name, change in sorted((entry.changes or {}).items()):
        change = change if isinstance(change, dict) else {}
        rows.append({
            "field": name,
            "redacted": bool(change.get("redacted")),
            "has_before": "before" in change,
            "before": _text(change.get("before")),
            "has_after": "after" in change,
            "after": _text(change.get("after")),
        })
    return rows


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


@view_config(route_name="settings_audit", permission="settings.audit", tenant=True,
             request_method="GET", renderer="jimucrm.security.audit:templates/audit.pt")
def audit_log(request: Request) -> dict:
    search = Search.of(request.params)
    try:
        page = max(1, min(int(request.params.get("page", "1")), 100_000))
    except ValueError:
        page = 1
    found = request.dbsession.scalars(
        search.query().limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    entries = [{
        "id": entry.id,
        "when": _when(entry.occurred_at),
        "username": entry.username or "",
        "user_id": entry.user_id,
        "ip": entry.ip or "",
        "user_agent": entry.user_agent or "",
        "action": ACTION_TITLES.get(entry.action, entry.action),
        "model": entry.model or "",
        "record_id": entry.record_id or "",
        "changes": _changes(entry),
        "details": _text(entry.details),
        "request_id": entry.request_id or "",
    } for entry in found[:PAGE_SIZE]]
    return {
        "entries": entries,
        "search": search.values,
        "errors": search.errors,
        "actions": [(name, ACTION_TITLES[name]) for name in ACTIONS],
        "models": sorted(table.name for table in TenantBase.metadata.sorted_tables
                         if table.info.get("audited", True) is not False),
        "page": page,
        "previous_url": request.route_url("settings_audit",
                                          _query=search.query_string(page=page - 1))
        if page > 1 else None,
        "next_url": request.route_url("settings_audit",
                                      _query=search.query_string(page=page + 1))
        if len(found) > PAGE_SIZE else None,
        "export_url": request.route_url("settings_audit_csv", _query=search.query_string()),
        "export_limit": EXPORT_LIMIT,
    }


def _cell(value: Any) -> str:
    text = _text(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@view_config(route_name="settings_audit_csv", permission="settings.audit", tenant=True,
             request_method="GET")
def audit_log_csv(request: Request) -> Response:
    search = Search.of(request.params)
    translate = request.localizer.translate
    found = request.dbsession.scalars(search.query().limit(EXPORT_LIMIT + 1)).all()
    truncated = len(found) > EXPORT_LIMIT
    found = found[:EXPORT_LIMIT]
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow([translate(title) for title in (
        _("Entry"), _("Time (UTC)"), _("User ID"), _("User"), _("IP address"), _("Browser"),
        _("Action"), _("Table"), _("Record"), _("Changes"), _("Details"), _("Request ID"))])
    for entry in found:
        writer.writerow([_cell(value) for value in (
            entry.id, entry.occurred_at.astimezone(UTC).isoformat(), entry.user_id,
            entry.username, entry.ip, entry.user_agent, entry.action, entry.model,
            entry.record_id, entry.changes, entry.details, entry.request_id)])
    record_export(request, "audit_log", len(found), format="csv", truncated=truncated,
                  filters=search.query_string())
    filename = f"audit-log-{request.tenant.slug}-{datetime.now(UTC):%Y%m%d-%H%M%S}.csv"
    response = Response(
        # With a byte-order mark, spreadsheet programs read the file as UTF-8.
        body=("\ufeff" + output.getvalue()).encode("utf-8"),
        content_type="text/csv", charset="utf-8",
        content_disposition=f'attachment; filename="{filename}"')
    response.cache_control = "no-store"
    return response
