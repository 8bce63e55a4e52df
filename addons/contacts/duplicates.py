"""The default :class:`~.interfaces.IDuplicateFinder`: same name, number or e-mail.

Names are compared without spaces and case (``王 伟`` = ``王伟``), e-mail
addresses without case, and phone and mobile numbers through their blind
indexes, so equal numbers match however they were written (``138-0013-8000`` =
``13800138000``) without decrypting anything. A phone matches a phone and a
mobile a mobile (each column has its own index key). While a data-key rotation
runs, two rows with the same number may carry indexes of different keys and
are not grouped until the rotation has reached them.
"""

from __future__ import annotations

from pyramid.request import Request
from sqlalchemy import func, or_, select
from zope.interface import implementer

from jimucrm.core.interfaces import IRecordRules

from .interfaces import IDuplicateFinder
from .models import Contact

MAX_DUPLICATES = 20


def _name_key(column):
    """The comparable form of a name in SQL: no whitespace, lower case."""
    return func.lower(func.regexp_replace(column, r"\s+", "", "g"))


def name_key(name: str) -> str:
    """The same in Python."""
    return "".join(name.split()).lower()


@implementer(IDuplicateFinder)
class DuplicateFinder:
    """Contacts sharing a normalised name, a phone, a mobile or an e-mail address."""

    def duplicates_of(self, request: Request, contact: Contact) -> list[Contact]:
        conditions = [_name_key(Contact.name) == name_key(contact.name)]
        for attribute in (Contact.phone, Contact.mobile):
            value = getattr(contact, attribute.key)
            if value:
                conditions.append(attribute == value)  # through the blind index
        if contact.email:
            conditions.append(func.lower(Contact.email) == contact.email.strip().lower())
        query = select(Contact).where(or_(*conditions), Contact.id != contact.id)
        query = request.find_service(IRecordRules).apply(request, query, Contact)
        return list(request.dbsession.scalars(
            query.order_by(Contact.created_at, Contact.id).limit(MAX_DUPLICATES)))

    def groups(self, request: Request, limit: int = 50) -> list[list[Contact]]:
        visible = request.find_service(IRecordRules).apply(
            request, select(Contact.id, Contact.name, Contact.email, Contact.phone_index,
                            Contact.mobile_index), Contact).subquery()
        keys = (_name_key(visible.c.name),
                func.nullif(func.lower(func.trim(visible.c.email)), ""),
                visible.c.phone_index, visible.c.mobile_index)
        # Ids sharing each key; then joined into groups (one person may match by
        # name with one row and by phone with another).
        parent: dict[int, int] = {}

        def root(item: int) -> int:
            while parent.setdefault(item, item) != item:
                parent[item] = parent[parent[item]]
                item = parent[item]
            return item

        for key in keys:
            shared = select(func.array_agg(visible.c.id)).where(key.is_not(None)) \
                .group_by(key).having(func.count() > 1)
            for (ids,) in request.dbsession.execute(shared):
                first = root(ids[0])
                for other in ids[1:]:
                    parent[root(other)] = first
        grouped: dict[int, list[int]] = {}
        for item in parent:
            grouped.setdefault(root(item), []).append(item)
        chosen = sorted(sorted(ids) for ids in grouped.values() if len(ids) > 1)[:limit]
        wanted = [item for ids in chosen for item in ids]
        if not wanted:
            return []
        by_id = {row.id: row for row in request.dbsession.scalars(
            select(Contact).where(Contact.id.in_(wanted)))}
        return [[by_id[item] for item in ids if item in by_id] for ids in chosen]
