"""What activities does on others' events: a demo tenant's first timeline entries and tasks."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from jimucrm.addons.contacts.models import Contact
from jimucrm.core.events import ITenantProvisioned
from jimucrm.security.models import User

from .forms import now
from .models import CALL, EMAIL, NOTE, TASK, VISIT, Activity

# (kind, subject, body, days ago) per demo contact, in turn.
DEMO_ENTRIES = (
    (CALL, "首次电话沟通", "客户对新品感兴趣，约下周上门演示。", 6),
    (VISIT, "上门拜访", "参观了仓库，采购负责人希望季度结算。", 4),
    (NOTE, "", "客户偏好微信联系，工作日上午回复较快。", 3),
    (EMAIL, "发送报价单", "已发送标准报价及批量折扣说明。", 2),
)
# (subject, body, due in hours from now; negative: overdue) for the demo admin.
DEMO_TASKS = (
    ("回访确认报价", "电话确认客户是否收到报价，并记录反馈。", 3),
    ("准备演示样品", "样品需在上门演示前一天寄出。", -20),
)
DEMO_CONTACTS = 4


def place_demo_data(event: ITenantProvisioned) -> None:
    """A demo tenant's first contacts get a few timeline entries, and its admin two open
    tasks (one due today, one overdue) with reminders."""
    if not event.demo:
        return
    session = event.session
    session.flush()
    admin_id = session.scalar(select(User.id).where(User.is_admin.is_(True))
                              .order_by(User.id).limit(1))
    contacts = session.scalars(select(Contact.id).order_by(Contact.id)
                               .limit(DEMO_CONTACTS)).all()
    if not contacts:
        return
    moment = now()
    for index, contact_id in enumerate(contacts):
        for kind, subject, body, days in DEMO_ENTRIES[:len(DEMO_ENTRIES) - index % 2]:
            session.add(Activity(record_type="contact", record_id=contact_id, kind=kind,
                                 subject=subject, body=body, author_id=admin_id,
                                 occurred_at=moment - timedelta(days=days, hours=index)))
    if admin_id is None:
        return
    for index, (subject, body, hours) in enumerate(DEMO_TASKS):
        due = moment + timedelta(hours=hours)
        session.add(Activity(record_type="contact", record_id=contacts[index % len(contacts)],
                             kind=TASK, subject=subject, body=body, author_id=admin_id,
                             assignee_id=admin_id, occurred_at=moment, due_at=due,
                             reminder_at=due - timedelta(hours=1)))
    session.flush()
