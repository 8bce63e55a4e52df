"""A record's timeline: the page of it (older entries, and the form without JavaScript),
adding an entry, editing, deleting and completing one."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPForbidden, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.view import view_config

from jimucrm.core.i18n import _

from ..forms import form_of, validate
from ..records import load_record, record_id_of, record_title
from ..timeline import (
    KIND_TITLES,
    PAGE_STATE,
    active_users,
    activity_or_404,
    build,
    complete,
    create,
    may_complete,
    may_delete,
    may_edit,
    page_param,
    record_url,
    remember_form,
    safe_next,
    update,
)
from . import RENDERER, is_htmx, panel_html, panel_response


def _flash(request: Request, message) -> None:
    request.session.flash(request.localizer.translate(message))


def _page(request: Request, record_type, record, status: int = 200):
    """The record's timeline as a page of its own (a link to the record above it)."""
    request.response.status_int = status
    record_id = record_id_of(record)
    return render_to_response(RENDERER + "record.pt", {
        "title": record_title(record), "record_link": record_url(request, record_type, record_id),
        "panel": panel_html(request, record)}, request=request, response=request.response)


@view_config(route_name="activities_record", request_method="GET", tenant=True,
             permission="activities.view")
def timeline_page(request: Request):
    """GET: a page of the record's timeline; htmx asks for just the older entries."""
    record_type, record = load_record(request, request.matchdict["record_type"],
                                      request.matchdict["record_id"])
    page = page_param(request)
    if is_htmx(request) and request.params.get("part") == "entries":
        timeline = build(request, record_type, record, page=page)
        return render_to_response(RENDERER + "entries.pt", {"timeline": timeline},
                                  request=request)
    request.environ[PAGE_STATE] = page
    return _page(request, record_type, record)


@view_config(route_name="activities_record", request_method="POST", tenant=True,
             permission="activities.create")
def add_activity(request: Request):
    """Add a note, call, visit, e-mail or task to the record's timeline."""
    record_type, record = load_record(request, request.matchdict["record_type"],
                                      request.matchdict["record_id"])
    form, values = validate(request.dbsession, request.POST)
    if not form.valid:
        remember_form(request, form)
        if is_htmx(request):
            return panel_response(request, record)
        return _page(request, record_type, record, status=400)
    record_id = record_id_of(record)
    create(request, record_type, record_id, values)
    if is_htmx(request):
        return panel_response(request, record)
    _flash(request, _("Added to the timeline."))
    return HTTPSeeOther(safe_next(request, record_url(request, record_type, record_id)))


@view_config(route_name="activity_edit", tenant=True, permission="activities.edit",
             request_method=("GET", "POST"), renderer=RENDERER + "edit.pt")
def edit_activity(request: Request):
    """Change an entry: its author, or a holder of activities.manage."""
    activity, record_type, record = activity_or_404(request, request.matchdict["id"])
    if not may_edit(request, activity):
        raise HTTPForbidden()
    back = safe_next(request, record_url(request, record_type, activity.record_id))
    data = {"activity": activity, "form": form_of(activity), "back": back,
            "title": record_title(record), "titles": KIND_TITLES,
            "users": active_users(request.dbsession)}
    if request.method != "POST":
        return data
    form, values = validate(request.dbsession, request.POST)
    if not form.valid:
        request.response.status_int = 400
        data["form"] = form
        return data
    update(activity, values)
    _flash(request, _("Entry saved."))
    return HTTPSeeOther(back)


@view_config(route_name="activity_delete", request_method="POST", tenant=True,
             permission="activities.delete")
def delete_activity(request: Request):
    """Delete an entry (the audit log keeps what it said and who deleted it)."""
    activity, record_type, record = activity_or_404(request, request.matchdict["id"])
    if not may_delete(request, activity):
        raise HTTPForbidden()
    # Through the ORM, so the audit log records the entry's content and who deleted it.
    request.dbsession.delete(activity)
    request.dbsession.flush()
    if is_htmx(request):
        return panel_response(request, record)
    _flash(request, _("Entry deleted."))
    return HTTPSeeOther(safe_next(request, record_url(request, record_type, activity.record_id)))


@view_config(route_name="activity_done", request_method="POST", tenant=True,
             permission="activities.edit")
def complete_task(request: Request):
    """Mark an open task done: its assignee, its author or a manager."""
    activity, record_type, record = activity_or_404(request, request.matchdict["id"])
    if not activity.is_open_task:
        if activity.is_task:  # done already, perhaps in another tab: nothing to do
            return panel_response(request, record) if is_htmx(request) else HTTPSeeOther(
                safe_next(request, record_url(request, record_type, activity.record_id)))
        raise HTTPForbidden()
    if not may_complete(request, activity):
        raise HTTPForbidden()
    complete(request, activity)
    if is_htmx(request):
        return panel_response(request, record)
    _flash(request, _("Task done."))
    return HTTPSeeOther(safe_next(request, record_url(request, record_type, activity.record_id)))
