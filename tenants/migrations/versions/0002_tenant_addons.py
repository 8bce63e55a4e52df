"""Which addons each tenant has enabled.

Revision ID: platform_0002
Revises: platform_0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "platform_0002"
down_revision = "platform_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_addons",
        sa.Column("tenant_id", sa.Integer, nullable=False),
        sa.Column("addon", sa.String(40), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("data_loaded", sa.Boolean, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "addon", name="pk_tenant_addons"),
        sa.ForeignKeyConstraint(["tenant_id"], ["public.tenants.id"], ondelete="CASCADE",
                                name="fk_tenant_addons_tenant_id_tenants"),
        schema="public",
    )


def downgrade() -> None:
    op.drop_table("tenant_addons", schema="public")
