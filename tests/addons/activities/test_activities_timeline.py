"""The timeline panel on record pages: adding each kind, order, tasks, editing, deleting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from jimucrm.addons.activities.forms import ZONE
from jimucrm.security.audit.models import AuditEntry

KINDS = ("note", "call", "visit", "email", "task")


def _contact_page(app, tenant, contact_id):
    return app.get(f"{tenant.prefix}/contacts/{contact_id}")


def _add(app, tenant, contact_id, **values):
    form = _contact_page(app, tenant, contact_id).forms["activity-form"]
    for name, value in values.items():
        form[name] = value
    return form.submit(expect_errors=True)


@pytest.mark.extension_point("record_detail")
def test_each_kind_is_added_from_the_contact_page(app, tenant, make_user, login, records):
    make_user(tenant, "sales1")
    login(app, tenant, "sales1").follow()
    contact_id = records.add_contact("王伟", owner="sales1")
    page = _contact_page(app, tenant, contact_id)
    assert page.html.find(id=f"timeline-contact-{contact_id}") is not None
    for kind in KINDS:
        response = _add(app, tenant, contact_id, kind=kind, subject=f"主题-{kind}",
                        body=f"内容-{kind}")
        assert response.status_int == 303, response.text[:500]
        assert response.location.endswith(f"/contacts/{contact_id}")
    saved = records.activities(contact_id)
    assert [row.kind for row in saved] == list(KINDS)
    assert all(row.author_id == records.user_id("sales1") for row in saved)
    task = saved[-1]
    assert task.assignee_id == records.user_id("sales1")  # the form's default: me
    page = _contact_page(app, tenant, contact_id)
    for kind in KINDS:
        assert f"主题-{kind}" in page.text
    created = records.events("activity.created")
    assert [event["kind"] for event in created] == list(KINDS)
    assert created[0]["record_type"] == "contact" and created[0]["record_id"] == contact_id


def test_timeline_is_newest_first_and_pages(app, tenant, make_user, login, records):
    make_user(tenant, "sales2")
    login(app, tenant, "sales2").follow()
    contact_id = records.add_contact("李娜", owner="sales2")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for day in range(25):
        records.add_activity(contact_id, subject=f"第{day:02d}天", occurred_at=start + timedelta(
            days=day))
    page = _contact_page(app, tenant, contact_id)
    items = page.html.select(f"#timeline-contact-{contact_id} li.activity .activity-subject")
    subjects = [item.get_text() for item in items]
    assert subjects == [f"第{day:02d}天" for day in range(24, 4, -1)]  # 20 newest, newest first
    more = page.html.select_one("li.more a")
    assert more is not None and more.get_text() == "更早的记录"
    older = app.get(more["href"])  # without JavaScript: the timeline's own page
    assert [item.get_text() for item in older.html.select("li.activity .activity-subject")] \
        == [f"第{day:02d}天" for day in range(4, -1, -1)]
    fragment = app.get(more["href"] + "&part=entries", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "第00天" in fragment.text and "第05天" not in \
        fragment.text


def test_a_refused_entry_shows_again_with_its_errors(app, tenant, make_user, login, records):
    make_user(tenant, "sales3")
    login(app, tenant, "sales3").follow()
    contact_id = records.add_contact("赵娟", owner="sales3")
    response = _add(app, tenant, contact_id, kind="task", subject="", body="要记住的内容",
                    due_at="2026-13-40T99:00")
    assert response.status_int == 400
    form = response.forms["activity-form"]
    assert form["body"].value == "要记住的内容" and form["kind"].value == "task"
    errors = [item.get_text() for item in response.html.select(".field .error")]
    assert "请写明要做什么。" in errors and "请输入日期和时间。" in errors
    # htmx gets the panel again (200: htmx swaps only successful answers) with the errors.
    token = form["csrf_token"].value
    swapped = app.post(f"{tenant.prefix}/activities/records/contact/{contact_id}",
                       {"csrf_token": token, "kind": "note", "body": "", "subject": ""},
                       headers={"HX-Request": "true"})
    assert swapped.status_int == 200 and "<html" not in swapped.text
    assert "请填写跟进内容。" in swapped.text
    assert records.activities(contact_id) == []


@pytest.mark.extension_point("task.completed")
@pytest.mark.extension_point("activity.created")
def test_a_task_is_done_and_listed_until_then(app, tenant, make_user, login, records):
    make_user(tenant, "sales4")
    login(app, tenant, "sales4").follow()
    contact_id = records.add_contact("胡雪梅", owner="sales4")
    overdue = (datetime.now(ZONE) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert _add(app, tenant, contact_id, kind="task", subject="回访客户",
                due_at=overdue).status_int == 303
    task = records.activities(contact_id)[0]
    tasks = app.get(f"{tenant.prefix}/activities/tasks", params={"due": "overdue"})
    row = tasks.html.find(id=f"task-{task.id}")
    assert row is not None and "overdue" in row["class"] and "胡雪梅" in row.get_text()
    assert f"/contacts/{contact_id}" in str(row)
    home = app.get(f"{tenant.prefix}/")
    assert "回访客户" in home.html.select_one(".activities-home").get_text()
    # Marked done from the record's page.
    page = _contact_page(app, tenant, contact_id)
    done_form = next(form for form in page.forms.values()
                     if form.action.endswith(f"/activities/{task.id}/done"))
    assert done_form.submit().status_int == 303
    assert records.activity(task.id).done_at is not None
    assert "回访客户" not in app.get(f"{tenant.prefix}/activities/tasks").text
    [event] = records.events("task.completed")
    assert event["activity_id"] == task.id and event["completed_by"] == records.user_id(
        "sales4")


def test_own_entries_are_edited_others_only_by_managers(app, tenant, make_user, login,
                                                        records, registry):
    make_user(tenant, "author", teams=("华东",))
    make_user(tenant, "colleague", teams=("华东",))
    make_user(tenant, "boss", roles=("manager",), teams=("华东",))
    contact_id = records.add_contact("周强", owner="author")
    entry = records.add_activity(contact_id, subject="原来的主题",
                                 author_id=records.user_id("author"))
    login(app, tenant, "author").follow()
    form = app.get(f"{tenant.prefix}/activities/{entry}/edit").forms["activity-edit-form"]
    form["subject"] = "改过的主题"
    assert form.submit().status_int == 303
    assert records.activity(entry).subject == "改过的主题"
    app.reset()

    login(app, tenant, "boss").follow()  # a manager of the team: sees the record, any entry
    page = _contact_page(app, tenant, contact_id)
    delete = next(form for form in page.forms.values()
                  if form.action.endswith(f"/activities/{entry}/delete"))
    assert delete.submit().status_int == 303
    assert records.activity(entry) is None
    with records.session() as session:
        audit = session.scalars(select(AuditEntry).where(
            AuditEntry.model == "activities", AuditEntry.record_id == str(entry),
            AuditEntry.action == "delete")).all()
    assert len(audit) == 1 and audit[0].username == "boss"


def test_staff_cannot_change_a_colleagues_entry(app, tenant, make_user, login, records):
    make_user(tenant, "writer")
    make_user(tenant, "other")
    contact_id = records.add_contact("孙丽", owner="other")
    entry = records.add_activity(contact_id, subject="别人的记录",
                                 author_id=records.user_id("writer"))
    login(app, tenant, "other").follow()
    page = _contact_page(app, tenant, contact_id)
    assert "别人的记录" in page.text
    assert f"/activities/{entry}/edit" not in page.text
    token = page.forms["activity-form"]["csrf_token"].value
    app.get(f"{tenant.prefix}/activities/{entry}/edit", status=403)
    app.post(f"{tenant.prefix}/activities/{entry}/delete", {"csrf_token": token}, status=403)
    assert records.activity(entry) is not None


def test_demo_tenant_has_activities_and_tasks_for_its_admin(registry):
    import uuid

    from jimucrm.addons.activities.models import Activity
    from jimucrm.core.interfaces import IDatabase
    from jimucrm.security.models import User
    from jimucrm.tenants.interfaces import ITenantProvisioner

    demo, _ = registry.getUtility(ITenantProvisioner).create(
        f"demo-{uuid.uuid4().hex[:6]}", "演示公司", demo=True, admin_email="admin@demo.example.cn",
        admin_password="correct-horse-电池-staple")
    with registry.getUtility(IDatabase).session(demo.schema_name) as session:
        admin_id = session.scalar(select(User.id).where(User.is_admin.is_(True)))
        rows = session.scalars(select(Activity)).all()
    entries = [row for row in rows if row.kind != "task"]
    tasks = [row for row in rows if row.kind == "task"]
    assert len({row.record_id for row in entries}) == 4
    assert {row.kind for row in entries} == {"call", "visit", "note", "email"}
    assert all(row.author_id == admin_id for row in rows)
    assert len(tasks) == 2 and all(task.assignee_id == admin_id and task.done_at is None
                                   and task.reminder_at is not None for task in tasks)
