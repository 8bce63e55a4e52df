"""Demo data: leads in the pool and owned, deals in every stage closing within 90 days."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select

from jimucrm.addons.crm.models import Lead, Opportunity, OpportunityStage
from jimucrm.core.interfaces import IDatabase
from jimucrm.tenants.interfaces import ITenantProvisioner


def test_demo_tenant_has_a_working_funnel(registry, app, login):
    slug = f"demo-{uuid.uuid4().hex[:6]}"
    password = "correct-horse-电池-staple"
    tenant, _ = registry.getUtility(ITenantProvisioner).create(
        slug, "演示公司", admin_email=f"admin@{slug}.example.cn", admin_password=password,
        demo=True)
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        leads = session.scalars(select(Lead)).unique().all()
        deals = session.scalars(select(Opportunity)).unique().all()
        stages = session.scalars(select(OpportunityStage)).all()
        assert [(s.name, s.probability) for s in sorted(stages, key=lambda s: s.position)] == [
            ("初步接洽", 10), ("需求确认", 30), ("方案报价", 60), ("谈判", 80), ("赢单", 100),
            ("输单", 0)]
        assert any(lead.owner_id is None for lead in leads)
        assert any(lead.owner_id is not None for lead in leads)
        assert {deal.stage_id for deal in deals} == {stage.id for stage in stages}
        today = date.today()
        assert all(today < deal.expected_close_date <= today + timedelta(days=91)
                   for deal in deals)
        assert all(deal.owner_id is not None and deal.amount > 0 for deal in deals)
        assert all(deal.close_reason for deal in deals if deal.stage.is_closed)
    handle = type("Handle", (), {"prefix": f"/t/{slug}"})()
    login(app, handle, "admin", password).follow()
    board = app.get(f"/t/{slug}/crm/opportunities/")
    assert "智联医疗 CRM 部署" in board.text
    assert "陈建国" in app.get(f"/t/{slug}/crm/pool/").text
    assert app.get(f"/t/{slug}/crm/forecast").status_int == 200
