"""The contacts addon's own pages: duplicate groups, the merge form, tags.

Each view names its permission; contacts are always read through
:class:`~jimucrm.core.interfaces.IRecordRules` (a contact out of reach is a 404,
like one that does not exist) and only fields the user may read are shown.
"""

from __future__ import annotations

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import func, select

from jimucrm.core.i18n import _
from jimucrm.core.interfaces import IFieldAccess, IRecordRules
from jimucrm.core.modelviews import model_views
from jimucrm.core.modelviews.views import display
from jimucrm.core.urls import matched_id

from .interfaces import IDuplicateFinder
from .merge import OTHER, SURVIVOR, MergeRefused, merge_contacts
from .models import Contact, ContactTag, contact_tag_links

TEMPLATES = "jimucrm.addons.contacts:templates/"
TAG_LENGTH = 50
# Fields the merge form offers (the rest are the system's: ids, owner, creation time).
MERGE_FIELDS = ("name", "company_id", "title", "phone", "mobile", "email", "id_number",
                "province", "city", "district", "street", "source", "level", "notes")


def _contact(request: Request, contact_id: int, action: str = "read") -> Contact:
    query = request.find_service(IRecordRules).apply(
        request, select(Contact).where(Contact.id == contact_id), Contact, action)
    contact = request.dbsession.scalars(query).one_or_none()
    if contact is None:
        raise HTTPNotFound()
    return contact


@view_config(route_name="contacts_duplicates", permission="contacts.view", tenant=True,
             renderer=TEMPLATES + "duplicates.pt")
def duplicates_page(request: Request) -> dict:
    """Groups of contacts that look like one person, with links to merge them."""
    groups = request.find_service(IDuplicateFinder).groups(request)
    return {"groups": groups, "can_merge": bool(request.has_permission("contacts.merge"))}


def _merge_fields(request: Request) -> list:
    """(field, label) of the mergeable fields the user may both read and write."""
    spec = model_views(request.registry, Contact.__tablename__)
    access = request.find_service(IFieldAccess)
    return [spec.field(name) for name in MERGE_FIELDS
            if spec.field(name) is not None
            and access.readable(request, Contact, name) and access.writable(request, Contact, name)]


def _shown(request: Request, contact: Contact, item) -> str:
    if item.relation is not None:
        return contact.company_name
    return display(item, getattr(contact, item.name), request.localizer.translate)


@view_config(route_name="contact_merge", permission="contacts.merge", tenant=True,
             request_method=("GET", "POST"), renderer=TEMPLATES + "merge.pt")
def merge_page(request: Request):
    """Both contacts side by side; per field, which value the merged contact keeps."""
    survivor = _contact(request, matched_id(request), "write")
    other = _contact(request, matched_id(request, "other"), "write")
    if survivor.id == other.id:
        raise HTTPNotFound()
    fields = _merge_fields(request)
    rows = [{"field": item, "name": item.name, "mine": _shown(request, survivor, item),
             "theirs": _shown(request, other, item),
             # Preselect the other's value where the survivor has none.
             "take": OTHER if not getattr(survivor, item.name) and getattr(other, item.name)
             else SURVIVOR} for item in fields]
    data = {"survivor": survivor, "other": other, "rows": rows, "error": None}
    if request.method != "POST":
        return data
    choices = {row["name"]: OTHER if request.POST.get(f"take-{row['name']}") == OTHER
               else SURVIVOR for row in rows}
    for row in rows:
        row["take"] = choices[row["name"]]
    try:
        # In a savepoint: a refused merge leaves nothing half-moved, and the page renders.
        with request.dbsession.begin_nested():
            merge_contacts(request, survivor, other, choices)
    except MergeRefused as refused:
        request.dbsession.expire_all()
        request.response.status_int = 409
        data["error"] = refused.message
        return data
    request.session.flash(request.localizer.translate(_(
        "${other} was merged into ${name}.", mapping={"other": other.name,
                                                     "name": survivor.name})))
    return HTTPSeeOther(request.route_url("contact", id=survivor.id))


@view_config(route_name="contact_tags", permission="contacts.edit", tenant=True,
             request_method="POST")
def contact_tags(request: Request):
    """Add a tag (by name, made when new) to a contact, or remove one."""
    contact = _contact(request, matched_id(request), "write")
    session = request.dbsession
    remove = request.POST.get("remove", "")
    if remove.isdigit():
        contact.tags = [tag for tag in contact.tags if str(tag.id) != remove]
    name = " ".join(request.POST.get("tag", "").split())[:TAG_LENGTH]
    if name:
        tag = session.scalars(select(ContactTag).where(ContactTag.name == name)).one_or_none()
        if tag is None:
            tag = ContactTag(name=name)
            session.add(tag)
        if tag not in contact.tags:
            contact.tags.append(tag)
    return HTTPSeeOther(request.route_url("contact", id=contact.id) + "#tags")


@view_config(route_name="contacts_tags", permission="contacts.view", tenant=True,
             renderer=TEMPLATES + "tags.pt")
def tags_page(request: Request) -> dict:
    """Every tag with how many of the user's readable contacts carry it."""
    visible = request.find_service(IRecordRules).apply(
        request, select(Contact.id), Contact).subquery()
    counts = (select(ContactTag, func.count(visible.c.id))
              .outerjoin(contact_tag_links, contact_tag_links.c.tag_id == ContactTag.id)
              .outerjoin(visible, visible.c.id == contact_tag_links.c.contact_id)
              .group_by(ContactTag.id).order_by(ContactTag.name))
    return {"tags": request.dbsession.execute(counts).all()}


@view_config(route_name="contacts_tag", permission="contacts.view", tenant=True,
             renderer=TEMPLATES + "tag.pt")
def tag_page(request: Request) -> dict:
    """The contacts carrying one tag (those the user may read)."""
    tag = request.dbsession.get(ContactTag, matched_id(request))
    if tag is None:
        raise HTTPNotFound()
    query = select(Contact).join(contact_tag_links,
                                 contact_tag_links.c.contact_id == Contact.id) \
        .where(contact_tag_links.c.tag_id == tag.id)
    query = request.find_service(IRecordRules).apply(request, query, Contact)
    contacts = request.dbsession.scalars(query.order_by(Contact.name, Contact.id)).all()
    return {"tag": tag, "contacts": contacts}
