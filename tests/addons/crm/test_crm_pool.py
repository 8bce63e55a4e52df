"""The public lead pool: claim, the claim limit, return with a reason, automatic return."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from jimucrm.addons.crm.models import LeadActivity
from jimucrm.addons.crm.tasks import auto_return_all


def test_claim_from_the_pool_page(as_user, tenant, crm):
    app = as_user("xiaowang")
    lead_id = crm.add_lead("公海线索")
    pool = app.get(f"{tenant.prefix}/crm/pool/")
    assert "公海线索" in pool.text
    form = next(f for f in pool.forms.values()
                if f.action.endswith(f"/crm/leads/{lead_id}/claim"))
    detail = form.submit(status=303).follow()
    assert "公海线索" in detail.text
    lead = crm.lead(lead_id)
    assert lead.owner_id == crm.user_id("xiaowang") and lead.claimed_at is not None
    assert lead.pooled_at is None
    assert crm.events("lead.claimed") == [{
        "lead_id": lead_id, "owner_id": crm.user_id("xiaowang"),
        "claimed_at": lead.claimed_at.isoformat()}]
    assert "公海线索" not in app.get(f"{tenant.prefix}/crm/pool/").text.split("我跟进中的线索")[0]


def test_claim_limit_refuses_with_a_clear_message(as_user, tenant, crm, csrf):
    app = as_user("xiaoli")
    crm.settings(claim_limit=1)
    crm.add_lead("已有的", owner="xiaoli")
    crm.add_lead("已成交", owner="xiaoli", status="converted")  # closed leads do not count
    lead_id = crm.add_lead("想要的")
    token = csrf()
    page = app.post(f"{tenant.prefix}/crm/leads/{lead_id}/claim", {"csrf_token": token},
                    status=303).follow()
    assert "你已持有 1 条未结线索，上限为 1 条" in page.text
    assert crm.lead(lead_id).owner_id is None
    assert crm.events("lead.claimed") == []
    crm.settings(claim_limit=0)  # 0: no limit
    app.post(f"{tenant.prefix}/crm/leads/{lead_id}/claim", {"csrf_token": token}, status=303)
    assert crm.lead(lead_id).owner_id == crm.user_id("xiaoli")


def test_a_claimed_lead_cannot_be_claimed_again(as_user, tenant, crm, make_user, csrf):
    make_user(tenant, "first")
    lead_id = crm.add_lead("抢手线索", owner="first")
    app = as_user("second")
    token = csrf()
    # Somebody else's lead is out of a staff user's records: no such lead for them.
    app.post(f"{tenant.prefix}/crm/leads/{lead_id}/claim", {"csrf_token": token}, status=404)
    assert crm.lead(lead_id).owner_id == crm.user_id("first")


def test_return_needs_a_reason_and_puts_the_lead_back(as_user, tenant, crm):
    app = as_user("xiaozhao")
    lead_id = crm.add_lead("不合适的线索", owner="xiaozhao")
    page = app.get(f"{tenant.prefix}/crm/leads/{lead_id}")
    form = page.forms["return-form"]
    form["reason"] = "   "
    refused = form.submit(status=400)
    assert "请说明退回公海的原因" in refused.text
    assert crm.lead(lead_id).owner_id is not None
    form = refused.forms["return-form"]
    form["reason"] = "客户暂无预算"
    form.submit(status=303).follow()
    lead = crm.lead(lead_id)
    assert lead.owner_id is None and lead.pooled_at is not None and lead.claimed_at is None
    assert crm.events("lead.returned") == [{
        "lead_id": lead_id, "previous_owner_id": crm.user_id("xiaozhao"),
        "reason": "客户暂无预算", "automatic": False, "by": crm.user_id("xiaozhao")}]
    timeline = app.get(f"{tenant.prefix}/crm/leads/{lead_id}").text
    assert "退回公海" in timeline and "客户暂无预算" in timeline


def test_automatic_return_after_days_without_follow_up(registry, tenant, crm, make_user):
    make_user(tenant, "sleepy")
    crm.settings(auto_return_days=30)
    stale = crm.add_lead("久未跟进", owner="sleepy", days_since_follow_up=31)
    fresh = crm.add_lead("刚跟进", owner="sleepy", days_since_follow_up=29)
    converted = crm.add_lead("已转化", owner="sleepy", days_since_follow_up=90,
                             status="converted")
    never = crm.add_lead("从未跟进", owner="sleepy")
    with crm.session() as session:  # claimed 40 days ago, never followed up
        lead = session.get(type(crm.lead(never)), never)
        lead.claimed_at = datetime.now(UTC) - timedelta(days=40)

    done = auto_return_all(registry)
    assert sorted(done[tenant.schema_name]) == sorted([stale, never])
    assert crm.lead(stale).owner_id is None and crm.lead(stale).pooled_at is not None
    assert crm.lead(fresh).owner_id is not None
    assert crm.lead(converted).owner_id is not None
    returned = crm.events("lead.returned")
    assert {event["lead_id"] for event in returned} == {stale, never}
    assert all(event["automatic"] and event["previous_owner_id"] == crm.user_id("sleepy")
               for event in returned)
    with crm.session() as session:
        kinds = session.scalars(select(LeadActivity.kind)
                                .where(LeadActivity.lead_id == stale)).all()
    assert kinds == ["auto_returned"]
    # Run again: nothing left to return; moved a day on, the fresh one goes too.
    assert tenant.schema_name not in auto_return_all(registry)
    later = datetime.now(UTC) + timedelta(days=2)
    assert auto_return_all(registry, later)[tenant.schema_name] == [fresh]


def test_automatic_return_can_be_switched_off(registry, tenant, crm, make_user):
    make_user(tenant, "keeper")
    crm.settings(auto_return_days=0)
    lead_id = crm.add_lead("一直保留", owner="keeper", days_since_follow_up=400)
    assert tenant.schema_name not in auto_return_all(registry)
    assert crm.lead(lead_id).owner_id is not None


def test_the_task_runs_every_tenant_and_every_worker_schedules_it(registry, tenant, crm,
                                                                   make_user):
    from jimucrm.addons.crm.tasks import TASK, AutoReturnTimer, auto_return_leads
    from jimucrm.core.celery import get_celery

    make_user(tenant, "tasked")
    lead_id = crm.add_lead("任务回收", owner="tasked", days_since_follow_up=45)
    celery_app = get_celery(registry)
    assert TASK in celery_app.tasks
    assert AutoReturnTimer in registry.jimu_worker_steps
    result = auto_return_leads.apply().get()
    assert lead_id in result[tenant.schema_name]
    assert crm.lead(lead_id).owner_id is None


