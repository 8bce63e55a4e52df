"""CRM: leads, follow-ups, the pool's settings, assignment rules, stages, opportunities.

Revision ID: crm_0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "crm_0001"
down_revision = None
branch_labels = ("crm",)
depends_on = None  # users (security) and contacts migrate before this branch

LEAD_STATUSES = "status IN ('new', 'contacted', 'qualified', 'converted', 'lost')"
ACTIVITY_KINDS = ("kind IN ('note', 'call', 'visit', 'created', 'claimed', 'returned', "
                  "'auto_returned', 'assigned', 'converted', 'status')")
ASSIGNMENT_MODES = "assignment_mode IN ('pool', 'round_robin', 'rules', 'rules_round_robin')"


def _owner(name: str = "owner_id", table: str = "") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([name], ["users.id"], name=f"fk_{table}_{name}_users",
                                   ondelete="SET NULL")


def upgrade() -> None:
    op.create_table(
        "crm_settings",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("claim_limit", sa.Integer, nullable=False),
        sa.Column("auto_return_days", sa.Integer, nullable=False),
        sa.Column("assignment_mode", sa.String(20), nullable=False),
        sa.Column("round_robin_last_user_id", sa.Integer),
        sa.PrimaryKeyConstraint("id", name="pk_crm_settings"),
        sa.CheckConstraint("id = 1", name="ck_crm_settings_single_row"),
        sa.CheckConstraint("claim_limit >= 0", name="ck_crm_settings_claim_limit"),
        sa.CheckConstraint("auto_return_days >= 0", name="ck_crm_settings_auto_return_days"),
        sa.CheckConstraint(ASSIGNMENT_MODES, name="ck_crm_settings_assignment_mode"),
    )
    op.create_table(
        "crm_lead_sources",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crm_lead_sources"),
        sa.UniqueConstraint("name", name="uq_crm_lead_sources_name"),
    )
    op.create_table(
        "crm_leads",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("company", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("source_id", sa.Integer),
        sa.Column("region", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("owner_id", sa.Integer),
        sa.Column("pooled_at", sa.DateTime(timezone=True)),
        sa.Column("last_follow_up_at", sa.DateTime(timezone=True)),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("contact_id", sa.Integer),
        sa.Column("converted_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crm_leads"),
        sa.ForeignKeyConstraint(["source_id"], ["crm_lead_sources.id"],
                                name="fk_crm_leads_source_id_crm_lead_sources",
                                ondelete="SET NULL"),
        _owner(table="crm_leads"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"],
                                name="fk_crm_leads_contact_id_contacts", ondelete="SET NULL"),
        sa.CheckConstraint(LEAD_STATUSES, name="ck_crm_leads_status"),
    )
    op.create_index("ix_crm_leads_owner_id", "crm_leads", ["owner_id"])
    op.create_index("ix_crm_leads_status", "crm_leads", ["status"])
    op.create_table(
        "crm_lead_activities",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("lead_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("user_id", sa.Integer),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crm_lead_activities"),
        sa.ForeignKeyConstraint(["lead_id"], ["crm_leads.id"],
                                name="fk_crm_lead_activities_lead_id_crm_leads",
                                ondelete="CASCADE"),
        _owner("user_id", "crm_lead_activities"),
        sa.CheckConstraint(ACTIVITY_KINDS, name="ck_crm_lead_activities_kind"),
    )
    op.create_index("ix_crm_lead_activities_lead_id", "crm_lead_activities", ["lead_id"])
    op.create_table(
        "crm_assignment_rules",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("region", sa.String(100)),
        sa.Column("source_id", sa.Integer),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crm_assignment_rules"),
        sa.ForeignKeyConstraint(["source_id"], ["crm_lead_sources.id"],
                                name="fk_crm_assignment_rules_source_id_crm_lead_sources",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name="fk_crm_assignment_rules_user_id_users",
                                ondelete="CASCADE"),
        sa.CheckConstraint("region IS NOT NULL OR source_id IS NOT NULL",
                           name="ck_crm_assignment_rules_criterion"),
    )
    op.create_table(
        "crm_opportunity_stages",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("probability", sa.Integer, nullable=False),
        sa.Column("is_won", sa.Boolean, nullable=False),
        sa.Column("is_lost", sa.Boolean, nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crm_opportunity_stages"),
        sa.UniqueConstraint("name", name="uq_crm_opportunity_stages_name"),
        sa.CheckConstraint("probability BETWEEN 0 AND 100",
                           name="ck_crm_opportunity_stages_probability"),
        sa.CheckConstraint("NOT (is_won AND is_lost)",
                           name="ck_crm_opportunity_stages_won_or_lost"),
    )
    op.create_table(
        "crm_opportunities",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("contact_id", sa.Integer),
        sa.Column("lead_id", sa.Integer),
        sa.Column("stage_id", sa.Integer, nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("expected_close_date", sa.Date),
        sa.Column("probability", sa.Integer),
        sa.Column("owner_id", sa.Integer),
        sa.Column("close_reason", sa.Text, nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crm_opportunities"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"],
                                name="fk_crm_opportunities_contact_id_contacts",
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["lead_id"], ["crm_leads.id"],
                                name="fk_crm_opportunities_lead_id_crm_leads",
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["stage_id"], ["crm_opportunity_stages.id"],
                                name="fk_crm_opportunities_stage_id_crm_opportunity_stages",
                                ondelete="RESTRICT"),
        _owner(table="crm_opportunities"),
        sa.CheckConstraint("amount >= 0", name="ck_crm_opportunities_amount"),
        sa.CheckConstraint("probability IS NULL OR probability BETWEEN 0 AND 100",
                           name="ck_crm_opportunities_probability"),
    )
    op.create_index("ix_crm_opportunities_owner_id", "crm_opportunities", ["owner_id"])
    op.create_index("ix_crm_opportunities_stage_id", "crm_opportunities", ["stage_id"])
    op.create_index("ix_crm_opportunities_expected_close_date", "crm_opportunities",
                    ["expected_close_date"])
    op.create_table(
        "crm_stage_history",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("opportunity_id", sa.Integer, nullable=False),
        sa.Column("from_stage_id", sa.Integer),
        sa.Column("to_stage_id", sa.Integer),
        sa.Column("user_id", sa.Integer),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crm_stage_history"),
        sa.ForeignKeyConstraint(
            ["opportunity_id"], ["crm_opportunities.id"],
            name="fk_crm_stage_history_opportunity_id_crm_opportunities",
            ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["from_stage_id"], ["crm_opportunity_stages.id"],
            name="fk_crm_stage_history_from_stage_id_crm_opportunity_stages",
            ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["to_stage_id"], ["crm_opportunity_stages.id"],
            name="fk_crm_stage_history_to_stage_id_crm_opportunity_stages",
            ondelete="SET NULL"),
        _owner("user_id", "crm_stage_history"),
    )
    op.create_index("ix_crm_stage_history_opportunity_id", "crm_stage_history",
                    ["opportunity_id"])


def downgrade() -> None:
    for table in ("crm_stage_history", "crm_opportunities", "crm_opportunity_stages",
                  "crm_assignment_rules", "crm_lead_activities", "crm_leads",
                  "crm_lead_sources", "crm_settings"):
        op.drop_table(table)
