"""Dashboard aggregates: revenue, products, funnel, leads and customers by day.

Revision ID: dashboard_0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "dashboard_0001"
down_revision = None
branch_labels = ("dashboard",)
depends_on = None

AMOUNT = sa.Numeric(16, 2)
ZERO = sa.text("0")


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer, server_default=ZERO, nullable=False)


def _amount(name: str) -> sa.Column:
    return sa.Column(name, AMOUNT, server_default=ZERO, nullable=False)


def upgrade() -> None:
    op.create_table(
        "dashboard_revenue_days",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _count("orders"), _amount("amount"), _amount("amount_cny"),
        _count("refunds"), _amount("refunded"), _amount("refunded_cny"),
        sa.PrimaryKeyConstraint("day", "currency", name="pk_dashboard_revenue_days"),
    )
    op.create_table(
        "dashboard_product_days",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("product_id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("quantity", sa.Numeric(16, 3), server_default=ZERO, nullable=False),
        _amount("amount_cny"),
        sa.PrimaryKeyConstraint("day", "product_id", name="pk_dashboard_product_days"),
    )
    op.create_table(
        "dashboard_funnel",
        sa.Column("stage_id", sa.Integer, autoincrement=False, nullable=False),
        _count("opportunities"),
        sa.PrimaryKeyConstraint("stage_id", name="pk_dashboard_funnel"),
    )
    op.create_table(
        "dashboard_lead_days",
        sa.Column("day", sa.Date, nullable=False),
        _count("created"), _count("converted"),
        sa.PrimaryKeyConstraint("day", name="pk_dashboard_lead_days"),
    )
    op.create_table(
        "dashboard_customer_days",
        sa.Column("day", sa.Date, nullable=False),
        _count("created"),
        sa.PrimaryKeyConstraint("day", name="pk_dashboard_customer_days"),
    )
    op.create_table(
        "dashboard_applied_events",
        sa.Column("event_id", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_dashboard_applied_events"),
    )


def downgrade() -> None:
    for table in ("dashboard_applied_events", "dashboard_customer_days", "dashboard_lead_days",
                  "dashboard_funnel", "dashboard_product_days", "dashboard_revenue_days"):
        op.drop_table(table)
