"""Activities addon: a timeline on every record (notes, calls, visits, e-mails, tasks with
due dates and reminders), "My tasks", and in-app notifications.

* :mod:`.records`: which models have a timeline (``config.add_timeline``, and every
  model under ``config.add_model_permissions``) and loading a record through its
  record rules;
* :mod:`.models` (branch ``activities``): activities and notifications;
* :mod:`.timeline`, :mod:`.forms`: the panel on the ``record_detail`` slot and what its
  forms do; :mod:`.mytasks`: open tasks; :mod:`.notifications`: unread ones;
* :mod:`.reminders`, :mod:`.tasks`: the reminder sweep every worker runs each minute,
  delivering through ``INotificationChannel`` (:mod:`.interfaces`; the default,
  in :mod:`.services`, stores an in-app notification);
* :mod:`.events`: ``activity.created`` and ``task.completed`` through the outbox.
"""

from __future__ import annotations

from pyramid.config import Configurator

from jimucrm.addons.contacts.models import Contact
from jimucrm.core.events import ITenantProvisioned
from jimucrm.core.i18n import _
from jimucrm.core.panels import HOME, RECORD_DETAIL, USER_MENU
from jimucrm.core.permissions import AUTHENTICATED

from .events import declare_events
from .forms import local_text
from .interfaces import INotificationChannel
from .mytasks import home_tasks
from .notifications import unread_count
from .services import InAppChannel
from .subscribers import place_demo_data
from .tasks import ReminderTimer
from .timeline import MANAGE, panel_timeline

TEMPLATES = "jimucrm.addons.activities:templates/"
ROUTES = (
    ("activities_tasks", "/activities/tasks"),
    ("activities_record", "/activities/records/{record_type}/{record_id:\\d+}"),
    ("activity_edit", "/activities/{id:\\d+}/edit"),
    ("activity_delete", "/activities/{id:\\d+}/delete"),
    ("activity_done", "/activities/{id:\\d+}/done"),
    ("notifications", "/notifications"),
    ("notifications_read_all", "/notifications/read-all"),
    ("notification_read", "/notifications/{id:\\d+}/read"),
)


def includeme(config: Configurator) -> None:
    config.add_migration_branch("activities", "jimucrm.addons.activities:migrations/versions")
    config.add_message_catalogues("jimucrm.addons.activities:locale")
    config.include(".records")
    group = _("Activities")
    for action, title, roles in (
            ("view", _("See records' activities and my tasks"), ("manager", "staff")),
            ("create", _("Add notes, calls, visits, e-mails and tasks"), ("manager", "staff")),
            ("edit", _("Edit own activities and complete tasks"), ("manager", "staff")),
            ("delete", _("Delete own activities"), ("manager", "staff"))):
        config.declare_permission(f"activities.{action}", title, group=group, roles=roles)
    config.declare_permission(MANAGE, _("Edit and delete anyone's activities"), group=group,
                              roles=("manager",))
    config.add_timeline("contact", Contact, permission="contacts.view", route="contact")
    declare_events(config)
    config.register_service(InAppChannel(), INotificationChannel)
    config.add_event_subscriber(place_demo_data, ITenantProvisioned)
    config.add_task_module("jimucrm.addons.activities.tasks")
    config.add_worker_step(ReminderTimer)
    config.add_static_view("activities-static", "jimucrm.addons.activities:static",
                           cache_max_age=3600, permission=AUTHENTICATED)
    for name, pattern in ROUTES:
        config.add_route(name, pattern)
    config.add_request_method(panel_timeline, "activity_timeline")
    config.add_request_method(home_tasks, "activity_home_tasks", reify=True)
    config.add_request_method(lambda request: local_text, "activity_time_text", reify=True)
    config.add_request_method(unread_count, "unread_notifications", reify=True)
    config.add_panel(RECORD_DETAIL, TEMPLATES + "timeline.pt", order=50,
                     permission="activities.view")
    config.add_panel(HOME, TEMPLATES + "home.pt", order=5, permission="activities.view")
    config.add_panel(USER_MENU, TEMPLATES + "usermenu.pt", order=10, permission=AUTHENTICATED)
    config.add_menu_item("activities_tasks", _("My tasks"), "activities_tasks", order=15,
                         permission="activities.view")
    config.scan(".views")
