"""Indexes for the search box on people and companies: names by prefix, and the
companies' credit code by exact value.

The search compares ``lower(name)`` with ``LIKE 'term%'`` (jimucrm.core.metadata.search);
without these, every search read the whole table.

Revision ID: contacts_0004
Revises: contacts_0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "contacts_0004"
down_revision = "contacts_0003"
branch_labels = None
depends_on = None

INDEXES = {"ix_contacts_name_prefix": "contacts", "ix_companies_name_prefix": "companies"}


def upgrade() -> None:
    for name, table in INDEXES.items():
        op.create_index(name, table, [sa.text("lower(name) text_pattern_ops")])
    op.create_index("ix_companies_credit_code", "companies", ["credit_code"])


def downgrade() -> None:
    op.drop_index("ix_companies_credit_code", "companies")
    for name, table in INDEXES.items():
        op.drop_index(name, table)
