"""Reminders: found each minute in every tenant, sent once, read as notifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pyramid.scripting import prepare
from zope.interface import implementer

from jimucrm.addons.activities import reminders, tasks
from jimucrm.addons.activities.interfaces import INotificationChannel
from jimucrm.core.celery import get_celery
from jimucrm.core.interfaces import IAddonCatalogue, IDatabase, ITenantDirectory


@pytest.fixture
def task_request(registry):
    """A request like the one a Celery task gets (no tenant, no user)."""
    env = prepare(registry=registry)
    yield env["request"]
    env["closer"]()


def _due_task(records, username: str, subject: str = "打电话给客户", **values) -> tuple[int, int]:
    contact_id = records.add_contact("吴敏", owner=username)
    user_id = records.user_id(username)
    moment = datetime.now(UTC)
    values.setdefault("reminder_at", moment - timedelta(minutes=1))
    task_id = records.add_activity(contact_id, kind="task", subject=subject,
                                   assignee_id=user_id, author_id=user_id,
                                   due_at=moment + timedelta(hours=1), **values)
    return contact_id, task_id


def test_the_sweep_runs_every_minute_on_every_worker(registry):
    assert tasks.ReminderTimer in registry.jimu_worker_steps
    assert tasks.ReminderTimer.interval == 60 and tasks.ReminderTimer.task == tasks.TASK
    assert "jimucrm.addons.activities.tasks" in registry.jimu_task_modules
    app = get_celery(registry)
    app.loader.import_default_modules()
    assert tasks.TASK in app.tasks


def test_a_reminder_is_sent_once_and_read(app, tenant, make_user, login, records,
                                          task_request):
    make_user(tenant, "rep")
    contact_id, task_id = _due_task(records, "rep")
    _, later = _due_task(records, "rep", "以后再提醒",
                         reminder_at=datetime.now(UTC) + timedelta(hours=1))
    sent = reminders.send_all(task_request)
    assert sent[tenant.schema_name] == [task_id]
    assert reminders.send_all(task_request).get(tenant.schema_name) is None  # not twice
    assert records.activity(task_id).reminded_at is not None
    assert records.activity(later).reminded_at is None
    [notice] = records.notifications("rep")
    assert notice.title == "任务提醒：打电话给客户" and notice.link == f"/contacts/{contact_id}"
    assert notice.read_at is None

    login(app, tenant, "rep").follow()
    home = app.get(f"{tenant.prefix}/")
    link = home.html.find(id="notifications-link")
    assert link is not None and "1" in link.get_text() and "unread" in link["class"]
    page = app.get(link["href"])
    item = page.html.find(id=f"notification-{notice.id}")
    assert "unread" in item["class"] and "打电话给客户" in item.get_text()
    form = next(form for form in page.forms.values()
                if form.action.endswith(f"/notifications/{notice.id}/read"))
    opened = form.submit("open")
    assert opened.status_int == 303 and opened.location.endswith(
        f"{tenant.prefix}/contacts/{contact_id}")
    assert records.notifications("rep")[0].read_at is not None
    home = app.get(f"{tenant.prefix}/")
    assert "unread" not in home.html.find(id="notifications-link").get("class", [])


def test_two_sweeps_at_once_send_a_reminder_once(registry, tenant, make_user, records,
                                                 task_request):
    """The rows one sweep holds are skipped by the other (FOR UPDATE SKIP LOCKED)."""
    make_user(tenant, "rep2")
    _, task_id = _due_task(records, "rep2")
    database = registry.getUtility(IDatabase)
    info = registry.getUtility(ITenantDirectory).by_schema(tenant.schema_name)
    moment = datetime.now(UTC)
    with database.session(tenant.schema_name) as first, first.begin():
        assert reminders.send_due(task_request, first, info, moment) == [task_id]
        with database.session(tenant.schema_name) as second, second.begin():
            assert reminders.send_due(task_request, second, info, moment) == []
    with database.session(tenant.schema_name) as third, third.begin():
        assert reminders.send_due(task_request, third, info, moment) == []
    assert len(records.notifications("rep2")) == 1


def test_done_tasks_are_not_reminded(registry, tenant, make_user, records, task_request):
    make_user(tenant, "rep3")
    _, task_id = _due_task(records, "rep3", done_at=datetime.now(UTC))
    assert reminders.send_all(task_request).get(tenant.schema_name) is None
    assert records.activity(task_id).reminded_at is not None
    assert records.notifications("rep3") == []


@implementer(INotificationChannel)
class Recorded:
    def __init__(self) -> None:
        self.sent = []

    def deliver(self, session, tenant, notice) -> None:
        self.sent.append((tenant.slug, notice))


@pytest.mark.extension_point("jimucrm.addons.activities.interfaces.INotificationChannel")
def test_a_channel_of_another_addon_delivers_instead(registry, tenant, make_user, records,
                                                     task_request):
    make_user(tenant, "rep4")
    _, task_id = _due_task(records, "rep4", "寄样品")
    info = registry.getUtility(ITenantDirectory).by_slug(tenant.slug)
    composed = registry.getUtility(IAddonCatalogue).composed(info.addons)
    channel = Recorded()
    composed.registerUtility(channel, INotificationChannel)
    try:
        assert reminders.send_all(task_request)[tenant.schema_name] == [task_id]
    finally:
        composed.unregisterUtility(channel, INotificationChannel)
    [(slug, notice)] = channel.sent
    assert slug == tenant.slug and notice.user_id == records.user_id("rep4")
    assert notice.title == "任务提醒：寄样品"
    assert records.notifications("rep4") == []  # the default channel was not used


@pytest.mark.extension_point("usermenu")
def test_mark_all_read(app, tenant, make_user, login, records, task_request):
    make_user(tenant, "rep5")
    _due_task(records, "rep5", "一")
    _due_task(records, "rep5", "二")
    reminders.send_all(task_request)
    login(app, tenant, "rep5").follow()
    page = app.get(f"{tenant.prefix}/notifications")
    assert len(page.html.select("li.notification.unread")) == 2
    assert page.forms["read-all-form"].submit().status_int == 303
    assert all(row.read_at is not None for row in records.notifications("rep5"))
    # Someone else's notification: the same answer as none.
    make_user(tenant, "rep6")
    app.reset()
    login(app, tenant, "rep6").follow()
    notice = records.notifications("rep5")[0]
    page = app.get(f"{tenant.prefix}/")
    csrf = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    app.post(f"{tenant.prefix}/notifications/{notice.id}/read", {"csrf_token": csrf},
             status=404)
    assert records.notifications("rep5")[0].read_at == notice.read_at
