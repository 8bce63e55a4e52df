"""Teams: the list with a form for a new one, renaming, deactivating.

Who is in a team is chosen on each user's page; the team pages show it.
"""

from __future__ import annotations

from collections import defaultdict

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from jimucrm.core.i18n import _
from jimucrm.core.urls import matched_id

from ...audit.log import (
    TEAM_CREATED,
    TEAM_DEACTIVATED,
    TEAM_REACTIVATED,
    TEAM_RENAMED,
    record,
)
from ...models import User
from ..forms import TeamForm
from ..models import Team, TeamMember
from . import PERMISSION, TEMPLATES


def _team(request: Request) -> Team:
    team = request.dbsession.get(Team, matched_id(request))
    if team is None:
        raise HTTPNotFound()
    return team


def _members(request: Request, team_ids: list[int]) -> dict[int, list[User]]:
    found: dict[int, list[User]] = defaultdict(list)
    for team_id, user in request.dbsession.execute(
            select(TeamMember.team_id, User).join(User, User.id == TeamMember.user_id)
            .where(TeamMember.team_id.in_(team_ids)).order_by(func.lower(User.username))):
        found[team_id].append(user)
    return found


def _list(request: Request, form: TeamForm) -> dict:
    teams = request.dbsession.scalars(select(Team).order_by(Team.is_active.desc(),
                                                            func.lower(Team.name))).all()
    members = _members(request, [team.id for team in teams])
    return {"form": form, "teams": [{
        "id": team.id, "name": team.name, "active": team.is_active,
        "members": [user.display_name for user in members[team.id]],
    } for team in teams]}


def _name_taken(request: Request, form: TeamForm, team: Team | None) -> bool:
    query = select(Team.id).where(func.lower(Team.name) == form.name.lower())
    if team is not None:
        query = query.where(Team.id != team.id)
    if request.dbsession.scalar(query.limit(1)) is None:
        return False
    form.errors["name"] = [_("Another team already has this name.")]
    return True


def _flush(request: Request, form: TeamForm) -> bool:
    """Flush in a savepoint; False (with a field error) when the name was taken meanwhile."""
    try:
        with request.dbsession.begin_nested():
            request.dbsession.flush()
    except IntegrityError:
        form.errors["name"] = [_("Another team already has this name.")]
        return False
    return True


@view_config(route_name="settings_teams", permission=PERMISSION, tenant=True,
             request_method="GET", renderer=TEMPLATES + "teams.pt")
def team_list(request: Request) -> dict:
    return _list(request, TeamForm())


@view_config(route_name="settings_teams", permission=PERMISSION, tenant=True,
             request_method="POST", renderer=TEMPLATES + "teams.pt")
def create_team(request: Request):
    form = TeamForm.parse(request.POST)
    if form.errors or _name_taken(request, form, None):
        request.response.status_int = 400
        return _list(request, form)
    team = Team(name=form.name, is_active=True)
    request.dbsession.add(team)
    if not _flush(request, form):
        request.response.status_int = 400
        return _list(request, form)
    record(request, TEAM_CREATED, model="teams", record_id=team.id, details={"name": team.name})
    request.session.flash(request.localizer.translate(
        _("Team ${name} created. Add people to it on their user pages.",
          mapping={"name": team.name})))
    return HTTPSeeOther(request.route_url("settings_teams"))


def _page(request: Request, team: Team, form: TeamForm) -> dict:
    members = _members(request, [team.id])[team.id]
    return {"team": {"id": team.id, "name": team.name, "active": team.is_active},
            "form": form,
            "members": [{"id": user.id, "username": user.username,
                         "display_name": user.display_name, "active": user.is_active}
                        for user in members]}


@view_config(route_name="settings_team", permission=PERMISSION, tenant=True,
             request_method="GET", renderer=TEMPLATES + "team.pt")
def team_page(request: Request) -> dict:
    team = _team(request)
    return _page(request, team, TeamForm(name=team.name))


@view_config(route_name="settings_team", permission=PERMISSION, tenant=True,
             request_method="POST", renderer=TEMPLATES + "team.pt")
def rename_team(request: Request):
    team = _team(request)
    form = TeamForm.parse(request.POST)
    if form.errors or _name_taken(request, form, team):
        request.response.status_int = 400
        return _page(request, team, form)
    before = team.name
    if before != form.name:
        team.name = form.name
        if not _flush(request, form):
            request.dbsession.refresh(team)
            request.response.status_int = 400
            return _page(request, team, form)
        record(request, TEAM_RENAMED, model="teams", record_id=team.id,
               details={"before": before, "after": team.name})
    request.session.flash(request.localizer.translate(
        _("Team ${name} saved.", mapping={"name": team.name})))
    return HTTPSeeOther(request.route_url("settings_team", id=team.id))


def _set_active(request: Request, active: bool) -> HTTPSeeOther:
    team = _team(request)
    names = {"name": team.name}
    if team.is_active == active:
        message = _("Nothing changed: team ${name} is already like that.", mapping=names)
    else:
        team.is_active = active
        record(request, TEAM_REACTIVATED if active else TEAM_DEACTIVATED, model="teams",
               record_id=team.id, details={"name": team.name})
        message = (_("Team ${name} is active again.", mapping=names) if active else
                   _("Team ${name} is deactivated: it can no longer be chosen for users. "
                     "Its members stay in it until you take them out.", mapping=names))
    request.session.flash(request.localizer.translate(message))
    return HTTPSeeOther(request.route_url("settings_team", id=team.id))


@view_config(route_name="settings_team_deactivate", permission=PERMISSION, tenant=True,
             request_method="POST")
def deactivate_team(request: Request) -> HTTPSeeOther:
    return _set_active(request, False)


@view_config(route_name="settings_team_reactivate", permission=PERMISSION, tenant=True,
             request_method="POST")
def reactivate_team(request: Request) -> HTTPSeeOther:
    return _set_active(request, True)
