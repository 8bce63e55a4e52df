"""Token pages: each user's own (``/account/tokens``) and the tenant admin's list."""

from __future__ import annotations

from datetime import UTC, datetime

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import func, select

from jimucrm.core.i18n import _
from jimucrm.core.pagination import paginate
from jimucrm.core.permissions import AUTHENTICATED, permissions

from ..models import User
from .api import API_ME
from .forms import TokenForm, validate
from .lifecycle import (
    EXPIRY_DAYS,
    MAX_ACTIVE_PER_USER,
    active_count,
    create_token,
    now,
    revoke_token,
)
from .models import ApiToken

TEMPLATES = "jimucrm.security.tokens:templates/"
PAGE_SIZE = 50

STATUS_TITLES = {"active": _("Active"), "revoked": _("Revoked"), "expired": _("Expired")}
EXPIRY_TITLES = {"30": _("30 days"), "90": _("90 days"), "365": _("1 year"),
                 "never": _("No expiry")}


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value is not None else ""


def _row(token: ApiToken, moment: datetime, owner: str | None = None) -> dict:
    status = token.status(moment)
    return {"id": token.id, "name": token.name, "prefix": token.prefix,
            "scopes": token.scopes, "created": _when(token.created_at),
            "last_used": _when(token.last_used_at), "expires": _when(token.expires_at),
            "status": status, "status_title": STATUS_TITLES[status],
            "active": status == "active", "owner": owner}


def _holdable(request: Request) -> frozenset[str]:
    """What a new token of the user may be scoped to: what the user holds now."""
    return frozenset(request.identity.permissions) - {AUTHENTICATED}


def _scope_groups(request: Request, holdable: frozenset[str]) -> list[dict]:
    """The permissions a token may get, by catalogue group, for the form's checkboxes."""
    catalogue = permissions(request.registry)
    translate = request.localizer.translate
    groups: dict[str, list[dict]] = {}
    for name in holdable:
        declared = catalogue.get(name)
        group = translate(declared.group) if declared is not None else ""
        title = translate(declared.title) if declared is not None else name
        groups.setdefault(group, []).append({"name": name, "title": title})
    return [{"title": group, "scopes": sorted(items, key=lambda item: item["name"])}
            for group, items in sorted(groups.items())]


def _account_page(request: Request, form: TokenForm) -> dict:
    identity = request.identity
    tokens = request.dbsession.scalars(
        select(ApiToken).where(ApiToken.user_id == identity.user_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()
    moment = now()
    return {"tokens": [_row(token, moment) for token in tokens], "form": form,
            "scope_groups": _scope_groups(request, _holdable(request)),
            "expiry_choices": [(value, EXPIRY_TITLES[value]) for value in EXPIRY_DAYS],
            "limit": MAX_ACTIVE_PER_USER}


@view_config(route_name="account_tokens", permission=AUTHENTICATED, tenant=True,
             request_method="GET", renderer=TEMPLATES + "tokens.pt")
def account_tokens(request: Request) -> dict:
    # Offered ticked: with it a script can check that its token works.
    return _account_page(request, TokenForm(scopes=sorted({API_ME} & _holdable(request))))


@view_config(route_name="account_tokens", permission=AUTHENTICATED, tenant=True,
             request_method="POST", renderer=TEMPLATES + "tokens.pt")
def create(request: Request) -> dict:
    identity = request.identity
    form = validate(request.POST, _holdable(request))
    if form.valid and active_count(request, identity.user_id) >= MAX_ACTIVE_PER_USER:
        form.errors["form"] = _(
            "You have ${limit} active tokens. Revoke one you no longer use first.",
            mapping={"limit": MAX_ACTIVE_PER_USER})
    if not form.valid:
        request.response.status_int = 400
        return _account_page(request, form)
    row, token = create_token(request, identity.user_id, form.name, form.scopes, form.days)
    request.response.status_int = 201
    request.override_renderer = TEMPLATES + "created.pt"
    return {"token": _row(row, now()), "secret": str(token)}


def _token_id(request: Request) -> int:
    value = request.matchdict["id"]
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise HTTPNotFound()
    return int(value)


@view_config(route_name="account_token_revoke", permission=AUTHENTICATED, tenant=True,
             request_method="POST")
def revoke_own(request: Request) -> HTTPSeeOther:
    token = request.dbsession.get(ApiToken, _token_id(request))
    if token is None or token.user_id != request.identity.user_id:
        raise HTTPNotFound()
    if revoke_token(request, token, via="account"):
        request.session.flash(request.localizer.translate(
            _("Token ${name} revoked.", mapping={"name": token.name})))
    return HTTPSeeOther(request.route_url("account_tokens"))


@view_config(route_name="settings_tokens", permission="settings.users", tenant=True,
             request_method="GET", renderer=TEMPLATES + "admin.pt")
def all_tokens(request: Request) -> dict:
    total = request.dbsession.scalar(select(func.count()).select_from(ApiToken))
    page = paginate(request.params, total, PAGE_SIZE)
    rows = request.dbsession.execute(
        select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        .limit(page.size).offset(page.offset)).all()
    moment = now()

    def page_url(number: int) -> str:
        return request.route_url("settings_tokens", _query={"page": number})

    return {"tokens": [_row(token, moment, owner) for token, owner in rows], "page": page,
            "previous_url": page_url(page.number - 1) if page.number > 1 else None,
            "next_url": page_url(page.number + 1) if page.number < page.pages else None}


@view_config(route_name="settings_token_revoke", permission="settings.users", tenant=True,
             request_method="POST")
def revoke_any(request: Request) -> HTTPSeeOther:
    token = request.dbsession.get(ApiToken, _token_id(request))
    if token is None:
        raise HTTPNotFound()
    if revoke_token(request, token, via="settings"):
        request.session.flash(request.localizer.translate(
            _("Token ${name} revoked.", mapping={"name": token.name})))
    return HTTPSeeOther(request.route_url("settings_tokens"))
