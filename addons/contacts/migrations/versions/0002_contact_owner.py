"""Contacts have an owner, for record rules.

Revision ID: contacts_0002
Revises: contacts_0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "contacts_0002"
down_revision = "contacts_0001"
branch_labels = None
depends_on = None  # the security branch always migrates first (core packages before addons)


def upgrade() -> None:
    op.add_column("contacts", sa.Column("owner_id", sa.Integer))
    op.create_foreign_key("fk_contacts_owner_id_users", "contacts", "users", ["owner_id"], ["id"],
                          ondelete="SET NULL")
    op.create_index("ix_contacts_owner_id", "contacts", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_contacts_owner_id", "contacts")
    op.drop_constraint("fk_contacts_owner_id_users", "contacts", type_="foreignkey")
    op.drop_column("contacts", "owner_id")
