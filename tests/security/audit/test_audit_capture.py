"""Record changes are captured from the ORM: who, from where, before and after."""

from audit_support import entries
from sqlalchemy import select

from jimucrm.addons.contacts.models import Contact
from jimucrm.core.interfaces import IDatabase
from jimucrm.security.audit import Actor, audit_session
from jimucrm.security.models import User


def _new_contact(app, tenant, **values):
    form = app.get(f"{tenant.prefix}/contacts/new").forms["contact-form"]
    for name, value in values.items():
        form[name] = value
    return form.submit().follow()


def test_a_contact_created_through_the_ui_is_recorded_with_who_and_where(
        logged_in, registry, tenant):
    _new_contact(logged_in, tenant, name="王小明", title="积木科技", phone="13800138000")
    [created] = entries(registry, tenant, action="create", model="contacts")
    assert created.username == "staff"
    assert created.user_id == entries(registry, tenant, action="login")[0].user_id
    assert created.ip and created.request_id
    assert created.changes["name"] == {"after": "王小明"}
    assert created.changes["title"] == {"after": "积木科技"}
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        contact = session.scalars(select(Contact)).one()
    assert created.record_id == str(contact.id)
    # The audit log does not log its own rows.
    assert entries(registry, tenant, model="audit_log") == []


def test_a_login_is_one_login_event_not_also_a_user_update(
        app, registry, tenant, make_user, login):
    """``users.last_login_at`` is marked not audited: the login event says it all."""
    login(app, tenant, make_user(tenant, "li"))
    [event] = entries(registry, tenant, action="login")
    assert event.username == "li"
    assert entries(registry, tenant, action="update", model="users") == []


def test_updates_and_deletes_show_the_old_values(registry, tenant):
    database = registry.getUtility(IDatabase)
    actor = Actor(username="importer", details={"via": "test"})
    with audit_session(database.session(tenant.schema_name), actor) as session:
        with session.begin():
            contact = Contact(name="张三", title="旧职位", phone="010-1")
            session.add(contact)
        with session.begin():
            contact.title = "新职位"
            contact.city = "杭州"
        with session.begin():
            session.delete(contact)
    created, updated, deleted = entries(registry, tenant, model="contacts")
    assert (created.action, updated.action, deleted.action) == ("create", "update", "delete")
    assert {created.record_id, updated.record_id, deleted.record_id} == {str(contact.id)}
    assert updated.changes == {"title": {"before": "旧职位", "after": "新职位"},
                               "city": {"before": "", "after": "杭州"}}
    assert deleted.changes["name"] == {"before": "张三"}
    assert deleted.changes["title"] == {"before": "新职位"}
    assert all(entry.username == "importer" and entry.details == {"via": "test"}
               for entry in (created, updated, deleted))


def test_sensitive_fields_are_recorded_as_changed_without_their_values(
        logged_in, registry, tenant, monkeypatch):
    # What the field-encryption type or a model marks: info={"sensitive": True}.
    monkeypatch.setitem(Contact.__table__.c.phone.info, "sensitive", True)
    _new_contact(logged_in, tenant, name="赵六", phone="13912345678")
    [created] = entries(registry, tenant, action="create", model="contacts")
    assert created.changes["phone"] == {"redacted": True}
    assert "13912345678" not in str(created.changes)

    database = registry.getUtility(IDatabase)
    with audit_session(database.session(tenant.schema_name), Actor()) as session, \
            session.begin():
        user = session.scalars(select(User).where(User.username == "staff")).one()
        user.password_hash = "$argon2id$new"
        user.display_name = "新名字"
    update = entries(registry, tenant, action="update", model="users")[-1]
    # Password hashes are hidden by name, with no flag needed.
    assert update.changes["password_hash"] == {"redacted": True}
    assert update.changes["display_name"]["after"] == "新名字"
    assert "argon2id" not in str(update.changes)


def test_sessions_outside_requests_are_not_captured_unless_marked(registry, tenant):
    database = registry.getUtility(IDatabase)
    with database.session(tenant.schema_name) as session, session.begin():
        session.add(Contact(name="无人"))
    assert entries(registry, tenant, model="contacts") == []
