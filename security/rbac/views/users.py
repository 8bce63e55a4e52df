"""Users: the list, a new user, a user's page (details, roles, teams, administrator flag),
deactivation and resetting the second factor.

Administrators keep the keys: only an administrator makes or unmakes one, or changes an
administrator's account; nobody takes administrator rights from themselves or
deactivates themselves; the last active administrator stays one.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from jimucrm.core.i18n import _
from jimucrm.core.interfaces import ICryptoProvider
from jimucrm.core.pagination import paginate
from jimucrm.core.urls import matched_id, parse_id

from ...audit.log import (
    MFA_RESET,
    USER_ADMIN_CHANGED,
    USER_CREATED,
    USER_DEACTIVATED,
    USER_PASSWORD_SET,
    USER_REACTIVATED,
    USER_ROLES_CHANGED,
    USER_TEAMS_CHANGED,
    record,
)
from ...interfaces import IPasswordPolicy
from ...mfa import is_enabled, reset_mfa
from ...mfa.models import UserTotp
from ...models import User
from ..defaults import role_description, role_title
from ..forms import UserForm
from ..models import Role, Team, TeamMember, UserRole
from . import PERMISSION, TEMPLATES, like_pattern, translated

PAGE_SIZE = 50
SEARCH_LENGTH = 100
# pg_advisory_xact_lock(USERS_LOCK, hashtext(schema)): one writer of a tenant's users at a
# time, so two requests cannot both find "Li" free and save "Li" and "li".
USERS_LOCK = 0x6A696D75  # "jimu"


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value is not None else ""


def _user(request: Request) -> User:
    user = request.dbsession.get(User, matched_id(request))
    if user is None:
        raise HTTPNotFound()
    return user


def _all_roles(request: Request) -> list[Role]:
    """System roles first, then the others by name."""
    return list(request.dbsession.scalars(
        select(Role).order_by(Role.key.is_(None), func.lower(Role.name), Role.id)))


def _role_ids(request: Request, user_id: int) -> set[int]:
    return set(request.dbsession.scalars(
        select(UserRole.role_id).where(UserRole.user_id == user_id)))


def _team_ids(request: Request, user_id: int) -> set[int]:
    return set(request.dbsession.scalars(
        select(TeamMember.team_id).where(TeamMember.user_id == user_id)))


def _may_change(request: Request, user: User | None) -> bool:
    """Administrators' accounts are changed by administrators only."""
    return request.identity.is_admin or user is None or not user.is_admin


def _lock_users(request: Request) -> None:
    request.dbsession.execute(select(func.pg_advisory_xact_lock(
        USERS_LOCK, func.hashtext(request.tenant.schema_name))))


def _active_admins(request: Request) -> list[int]:
    """Ids of the active administrators, their rows locked until the transaction ends."""
    return list(request.dbsession.scalars(
        select(User.id).where(User.is_admin.is_(True), User.is_active.is_(True))
        .order_by(User.id).with_for_update()))


def _is_last_admin(request: Request, user: User) -> bool:
    return user.is_admin and user.is_active and _active_admins(request) == [user.id]


# -- the list ------------------------------------------------------------------------------

@view_config(route_name="settings_users", permission=PERMISSION, tenant=True,
             request_method="GET", renderer=TEMPLATES + "users.pt")
def user_list(request: Request) -> dict:
    term = " ".join(request.params.get("q", "").split())[:SEARCH_LENGTH]
    role_id = parse_id(request.params.get("role"))
    criteria = []
    if term:
        pattern = like_pattern(term.lower())
        criteria.append(or_(*(func.lower(column).like(pattern, escape="\\")
                              for column in (User.username, User.display_name, User.email))))
    role = request.dbsession.get(Role, role_id) if role_id is not None else None
    if role is not None:
        criteria.append(User.id.in_(select(UserRole.user_id).where(UserRole.role_id == role.id)))
    session = request.dbsession
    total = session.scalar(select(func.count()).select_from(User).where(*criteria))
    page = paginate(request.params, total, PAGE_SIZE)
    users = session.scalars(select(User).where(*criteria)
                            .order_by(func.lower(User.username), User.id)
                            .limit(page.size).offset(page.offset)).all()
    ids = [user.id for user in users]
    roles: dict[int, list[str]] = defaultdict(list)
    for user_id, found in session.execute(
            select(UserRole.user_id, Role).join(Role, Role.id == UserRole.role_id)
            .where(UserRole.user_id.in_(ids)).order_by(Role.key.is_(None), Role.name)):
        roles[user_id].append(translated(request, role_title(found)))
    teams: dict[int, list[str]] = defaultdict(list)
    for user_id, name in session.execute(
            select(TeamMember.user_id, Team.name).join(Team, Team.id == TeamMember.team_id)
            .where(TeamMember.user_id.in_(ids)).order_by(Team.name)):
        teams[user_id].append(name)
    # One query for the page, not one per user.
    mfa_on = set(session.scalars(select(UserTotp.user_id).where(
        UserTotp.user_id.in_(ids), UserTotp.confirmed_at.is_not(None))))
    query = {"q": term} if term else {}
    if role is not None:
        query["role"] = role.id
    return {
        "users": [{
            "id": user.id, "username": user.username, "display_name": user.display_name,
            "email": user.email or "", "roles": roles[user.id], "teams": teams[user.id],
            "is_admin": user.is_admin, "is_active": user.is_active,
            "last_login": _when(user.last_login_at), "mfa": user.id in mfa_on,
        } for user in users],
        "q": term,
        "role": translated(request, role_title(role)) if role is not None else None,
        "total": total,
        "page": page.number,
        "pages": page.pages,
        "query": query,
    }


# -- the form ------------------------------------------------------------------------------

def _page(request: Request, form: UserForm, user: User | None) -> dict:
    """What the user page shows: the form, the roles and teams to choose from, the account."""
    roles = [{"id": role.id, "title": translated(request, role_title(role)),
              "description": translated(request, role_description(role))}
             for role in _all_roles(request)]
    # Deactivated teams are offered only to users still in them, so they can leave.
    teams = [{"id": team.id, "name": team.name, "active": team.is_active}
             for team in request.dbsession.scalars(select(Team).order_by(Team.name))
             if team.is_active or team.id in form.team_ids]
    account = None
    if user is not None:
        account = {"id": user.id, "username": user.username, "is_active": user.is_active,
                   "is_admin": user.is_admin, "created": _when(user.created_at),
                   "last_login": _when(user.last_login_at),
                   "mfa": is_enabled(request.dbsession, user.id),
                   "is_self": user.id == request.identity.user_id}
    return {"form": form, "roles": roles, "teams": teams, "account": account,
            "may_change": _may_change(request, user),
            "may_grant_admin": request.identity.is_admin,
            "min_length": request.registry.settings["jimu.password_min_length"]}


def _invalid(request: Request, form: UserForm, user: User | None) -> dict:
    request.response.status_int = 400
    return _page(request, form, user)


def _check(request: Request, form: UserForm, user: User | None) -> None:
    """Add to ``form.errors`` what only the database and the actor's rights can tell."""
    session = request.dbsession
    others = [] if user is None else [User.id != user.id]
    if "username" not in form.errors:
        taken = session.scalar(select(User.id).where(
            or_(func.lower(User.username) == form.username.lower(),
                func.lower(User.email) == form.username.lower()), *others).limit(1))
        if taken is not None:
            form.error("username", _("Another user already has this username."))
    if form.email and "email" not in form.errors:
        taken = session.scalar(select(User.id).where(
            or_(func.lower(User.email) == form.email, func.lower(User.username) == form.email),
            *others).limit(1))
        if taken is not None:
            form.error("email", _("Another user already has this e-mail address."))
    if form.role_ids:
        known = set(session.scalars(select(Role.id).where(Role.id.in_(form.role_ids))))
        if known != form.role_ids:
            form.error("roles", _("A chosen role no longer exists. Check the roles again."))
    if form.team_ids:
        current = _team_ids(request, user.id) if user is not None else set()
        usable = set(session.scalars(select(Team.id).where(
            Team.id.in_(form.team_ids), or_(Team.is_active.is_(True), Team.id.in_(current)))))
        if usable != form.team_ids:
            form.error("teams", _("A chosen team no longer exists or is deactivated."))
    if user is None or form.password:
        problems = request.find_service(IPasswordPolicy).problems(
            form.password, username=form.username, display_name=form.display_name,
            email=form.email)
        for problem in problems:
            form.error("password", problem)
    was_admin = user is not None and user.is_admin
    if form.is_admin != was_admin:
        if not request.identity.is_admin:
            form.error("is_admin", _("Only an administrator can give or take administrator "
                                     "rights."))
        elif user is not None and user.id == request.identity.user_id:
            form.error("is_admin", _("You cannot take administrator rights from yourself. "
                                     "Ask another administrator."))
        elif user is not None and _is_last_admin(request, user):
            form.error("is_admin", _("This is the last active administrator. Make another "
                                     "user an administrator first."))


def _names(request: Request, model: type, ids: set[int]) -> list[str]:
    if not ids:
        return []
    if model is Role:
        return sorted(translated(request, role_title(role)) for role in
                      request.dbsession.scalars(select(Role).where(Role.id.in_(ids))))
    return sorted(request.dbsession.scalars(select(Team.name).where(Team.id.in_(ids))))


def _sync(request: Request, user: User, link: type, column: str, wanted: set[int],
          current: set[int]) -> None:
    """Make ``user``'s rows of ``link`` (UserRole, TeamMember) name exactly ``wanted``."""
    session = request.dbsession
    for row in session.scalars(select(link).where(
            link.user_id == user.id, getattr(link, column).in_(current - wanted))):
        session.delete(row)
    for target in sorted(wanted - current):
        session.add(link(user_id=user.id, **{column: target}))


def _record_memberships(request: Request, user: User, role_before: set[int],
                        team_before: set[int], form: UserForm) -> None:
    for action, model, before, after in (
            (USER_ROLES_CHANGED, Role, role_before, form.role_ids),
            (USER_TEAMS_CHANGED, Team, team_before, form.team_ids)):
        if before != after:
            record(request, action, model="users", record_id=user.id, details={
                "username": user.username,
                "added": _names(request, model, after - before),
                "removed": _names(request, model, before - after)})


@view_config(route_name="settings_user_new", permission=PERMISSION, tenant=True,
             request_method="GET", renderer=TEMPLATES + "user.pt")
def new_user_form(request: Request) -> dict:
    staff = request.dbsession.scalar(select(Role.id).where(Role.key == "staff"))
    return _page(request, UserForm(role_ids={staff} if staff else set()), None)


@view_config(route_name="settings_user_new", permission=PERMISSION, tenant=True,
             request_method="POST", renderer=TEMPLATES + "user.pt")
def create_user(request: Request):
    form = UserForm.parse(request.POST)
    _lock_users(request)
    _check(request, form, None)
    if form.errors:
        return _invalid(request, form, None)
    session = request.dbsession
    try:
        with session.begin_nested():
            user = User(username=form.username, display_name=form.display_name,
                        email=form.email or None, is_admin=form.is_admin, is_active=True,
                        password_hash=request.find_service(ICryptoProvider)
                        .hash_password(form.password))
            session.add(user)
            session.flush()
            _sync(request, user, UserRole, "role_id", form.role_ids, set())
            _sync(request, user, TeamMember, "team_id", form.team_ids, set())
            session.flush()
    except IntegrityError:
        # Taken in the meantime by a request the lock did not cover (another process).
        form.error("username", _("Another user already has this username or e-mail address."))
        return _invalid(request, form, None)
    record(request, USER_CREATED, model="users", record_id=user.id, details={
        "username": user.username, "admin": user.is_admin,
        "roles": _names(request, Role, form.role_ids),
        "teams": _names(request, Team, form.team_ids)})
    request.session.flash(request.localizer.translate(
        _("User ${name} created.", mapping={"name": user.username})))
    return HTTPSeeOther(request.route_url("settings_user", id=user.id))


@view_config(route_name="settings_user", permission=PERMISSION, tenant=True,
             request_method="GET", renderer=TEMPLATES + "user.pt")
def edit_user_form(request: Request) -> dict:
    user = _user(request)
    form = UserForm(username=user.username, display_name=user.display_name,
                    email=user.email or "", is_admin=user.is_admin,
                    role_ids=_role_ids(request, user.id), team_ids=_team_ids(request, user.id))
    return _page(request, form, user)


@view_config(route_name="settings_user", permission=PERMISSION, tenant=True,
             request_method="POST", renderer=TEMPLATES + "user.pt")
def update_user(request: Request):
    user = _user(request)
    if not _may_change(request, user):
        raise HTTPForbidden()
    form = UserForm.parse(request.POST)
    _lock_users(request)
    _check(request, form, user)
    if form.errors:
        return _invalid(request, form, user)
    session = request.dbsession
    role_before, team_before = _role_ids(request, user.id), _team_ids(request, user.id)
    admin_before = user.is_admin
    try:
        with session.begin_nested():
            user.username, user.display_name = form.username, form.display_name
            user.email = form.email or None
            user.is_admin = form.is_admin
            if form.password:
                user.password_hash = request.find_service(ICryptoProvider).hash_password(
                    form.password)
            _sync(request, user, UserRole, "role_id", form.role_ids, role_before)
            _sync(request, user, TeamMember, "team_id", form.team_ids, team_before)
            session.flush()
    except IntegrityError:
        session.refresh(user)
        form.error("username", _("Another user already has this username or e-mail address."))
        return _invalid(request, form, user)
    _record_memberships(request, user, role_before, team_before, form)
    if admin_before != user.is_admin:
        record(request, USER_ADMIN_CHANGED, model="users", record_id=user.id,
               details={"username": user.username, "admin": user.is_admin})
    if form.password:
        record(request, USER_PASSWORD_SET, model="users", record_id=user.id,
               details={"username": user.username})
    request.session.flash(request.localizer.translate(
        _("User ${name} saved.", mapping={"name": user.username})))
    return HTTPSeeOther(request.route_url("settings_user", id=user.id))


# -- the account's state -------------------------------------------------------------------

def _done(request: Request, user: User, message) -> HTTPSeeOther:
    request.session.flash(request.localizer.translate(message))
    return HTTPSeeOther(request.route_url("settings_user", id=user.id))


@view_config(route_name="settings_user_deactivate", permission=PERMISSION, tenant=True,
             request_method="POST")
def deactivate_user(request: Request) -> HTTPSeeOther:
    user = _user(request)
    if not _may_change(request, user):
        raise HTTPForbidden()
    names = {"name": user.username}
    if user.id == request.identity.user_id:
        return _done(request, user, _("You cannot deactivate your own account."))
    if not user.is_active:
        return _done(request, user, _("${name} is already deactivated.", mapping=names))
    if _is_last_admin(request, user):
        return _done(request, user, _("${name} is the last active administrator and stays "
                                      "active. Make another user an administrator first.",
                                      mapping=names))
    user.is_active = False
    record(request, USER_DEACTIVATED, model="users", record_id=user.id,
           details={"username": user.username})
    # The security policy reads is_active on every request: their sessions and API
    # tokens stop working now.
    return _done(request, user, _("${name} is deactivated and can no longer log in.",
                                  mapping=names))


@view_config(route_name="settings_user_reactivate", permission=PERMISSION, tenant=True,
             request_method="POST")
def reactivate_user(request: Request) -> HTTPSeeOther:
    user = _user(request)
    if not _may_change(request, user):
        raise HTTPForbidden()
    names = {"name": user.username}
    if user.is_active:
        return _done(request, user, _("${name} is already active.", mapping=names))
    user.is_active = True
    record(request, USER_REACTIVATED, model="users", record_id=user.id,
           details={"username": user.username})
    return _done(request, user, _("${name} is active again.", mapping=names))


@view_config(route_name="settings_user_reset_mfa", permission=PERMISSION, tenant=True,
             request_method="POST")
def reset_second_factor(request: Request) -> HTTPSeeOther:
    user = _user(request)
    if not _may_change(request, user):
        raise HTTPForbidden()
    names = {"name": user.username}
    if not reset_mfa(request.dbsession, user.id):
        return _done(request, user, _("${name} has no two-step verification to reset.",
                                      mapping=names))
    record(request, MFA_RESET, model="users", record_id=user.id,
           details={"username": user.username})
    return _done(request, user, _("Two-step verification is off for ${name}. They log in "
                                  "with their password alone until they set it up again.",
                                  mapping=names))
