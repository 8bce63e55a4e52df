"""Contact list, form and detail pages."""

from __future__ import annotations

from datetime import timedelta

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import func, or_, select

from jimucrm.core.events import notify
from jimucrm.core.i18n import _
from jimucrm.core.interfaces import IRecordRules
from jimucrm.core.pagination import paginate

from .events import ContactCreated
from .forms import FIELDS, validate
from .interfaces import IContactScorer
from .models import Contact

PAGE_SIZE = 50


def _like_prefix(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def contact_summary(request: Request) -> dict[str, int]:
    """Figures for the home page panel: how many contacts, how many this week."""
    week_ago = func.now() - timedelta(days=7)
    query = select(func.count(), func.count().filter(Contact.created_at >= week_ago))
    query = request.find_service(IRecordRules).apply(request, query.select_from(Contact), Contact)
    total, recent = request.dbsession.execute(query).one()
    return {"total": total, "recent": recent}


@view_config(route_name="contacts", permission="contacts.view", tenant=True,
             renderer="jimucrm.addons.contacts:templates/list.pt")
def contact_list(request: Request) -> dict:
    term = request.params.get("q", "").strip()[:100]
    query = request.find_service(IRecordRules).apply(request, select(Contact), Contact)
    if term:
        pattern = _like_prefix(term)
        query = query.where(or_(Contact.name.ilike(pattern), Contact.company.ilike(pattern),
                                Contact.phone.like(pattern)))
    total = request.dbsession.scalar(select(func.count()).select_from(query.subquery()))
    page = paginate(request.params, total, PAGE_SIZE)
    rows = request.dbsession.scalars(
        query.order_by(Contact.name, Contact.id).limit(page.size).offset(page.offset)
    ).all()
    return {"contacts": rows, "q": term, "page": page.number, "total": total,
            "pages": page.pages}


@view_config(route_name="contact_new", permission="contacts.create", tenant=True,
             renderer="jimucrm.addons.contacts:templates/form.pt",
             request_method=("GET", "POST"))
def contact_new(request: Request):
    if request.method == "GET":
        return {"values": dict.fromkeys(FIELDS, ""), "errors": {}}
    form = validate(request.POST)
    if not form.valid:
        request.response.status_int = 400
        return {"values": form.values, "errors": form.errors}
    contact = Contact(**form.values, owner_id=request.identity.user_id)
    request.dbsession.add(contact)
    request.dbsession.flush()
    notify(request.registry, ContactCreated(request, contact), request.tenant.addons)
    request.session.flash(request.localizer.translate(
        _("Contact ${name} saved.", mapping={"name": contact.name})))
    return HTTPSeeOther(request.route_url("contact", id=contact.id))


@view_config(route_name="contact", permission="contacts.view", tenant=True,
             renderer="jimucrm.addons.contacts:templates/detail.pt")
def contact_detail(request: Request) -> dict:
    try:
        contact_id = int(request.matchdict["id"])
    except ValueError:
        raise HTTPNotFound() from None
    contact = request.dbsession.get(Contact, contact_id)
    # Out of the user's records is the same answer as no such record: no probing.
    if contact is None or not request.find_service(IRecordRules).allows(request, contact):
        raise HTTPNotFound()
    score = request.find_service(IContactScorer).score(contact)
    return {"contact": contact, "score": score}
