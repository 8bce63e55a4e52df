"""Demo customers for a tenant created with ``--demo``: companies, their people, tags.

Read from ``data/demo_contacts.json`` (``{"companies": [{…, "tags": […],
"people": [{…, "tags": […]}]}]}``) and written through the ORM, so phones and
mobiles are encrypted with the new tenant's data key like any other, and each
person is announced as a new customer (``customer.created``).
"""

from __future__ import annotations

import json
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Company, Contact, ContactTag

DATA = files("jimucrm.addons.contacts").joinpath("data/demo_contacts.json")


def load_demo(session: Session) -> list[Contact]:
    """Add the demo companies, people and tags to ``session``; return the people (flushed)."""
    content = json.loads(DATA.read_text(encoding="utf-8"))
    tags: dict[str, ContactTag] = {tag.name: tag for tag in session.scalars(select(ContactTag))}

    def tagged(names: list[str]) -> list[ContactTag]:
        for name in names:
            if name not in tags:
                tags[name] = ContactTag(name=name)
        return [tags[name] for name in names]

    people = []
    for entry in content["companies"]:
        values = {key: value for key, value in entry.items() if key not in ("tags", "people")}
        company = Company(**values, tags=tagged(entry["tags"]))
        session.add(company)
        for person in entry["people"]:
            values = {key: value for key, value in person.items() if key != "tags"}
            people.append(Contact(**values, company=company, tags=tagged(person["tags"])))
    session.add_all(people)
    session.flush()
    return people
