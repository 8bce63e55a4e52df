"""Customers: companies, tags, addresses, source and level; phones and ID numbers encrypted.

The free-text ``contacts.company`` becomes a ``companies`` row per distinct name
(the first owner found keeps it) and ``contacts.company_id``; existing plaintext
phones are encrypted with the tenant's data key and get their blind index.

Revision ID: contacts_0003
Revises: contacts_0002
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import context, op

from jimucrm.security.keys import normalise_compact, ring_for

revision = "contacts_0003"
down_revision = "contacts_0002"
branch_labels = None
depends_on = None  # security_keys (the data keys) always migrates before the addons

# The associated data encrypted values are bound to (EncryptedText's table.column).
PHONE_LABEL = "contacts.phone"


def _address_columns() -> list[sa.Column]:
    return [sa.Column("province", sa.String(50), nullable=False, server_default=""),
            sa.Column("city", sa.String(100), nullable=False, server_default=""),
            sa.Column("district", sa.String(50), nullable=False, server_default=""),
            sa.Column("street", sa.String(200), nullable=False, server_default="")]


def upgrade() -> None:
    op.create_table(
        "contact_tags",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contact_tags"),
        sa.UniqueConstraint("name", name="uq_contact_tags_name"),
    )
    op.create_table(
        "companies",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False, server_default=""),
        sa.Column("industry", sa.String(100), nullable=False, server_default=""),
        sa.Column("phone", sa.String(40), nullable=False, server_default=""),
        sa.Column("website", sa.String(200), nullable=False, server_default=""),
        *_address_columns(),
        sa.Column("source", sa.String(20)),
        sa.Column("level", sa.String(20)),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
        sa.Column("owner_id", sa.Integer),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_companies"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_companies_owner_id_users",
                                ondelete="SET NULL"),
    )
    op.create_index("ix_companies_name", "companies", ["name"])
    op.create_index("ix_companies_owner_id", "companies", ["owner_id"])
    for table, key in (("contact_tag_links", "contact_id"), ("company_tag_links", "company_id")):
        target = "contacts" if key == "contact_id" else "companies"
        op.create_table(
            table,
            sa.Column(key, sa.Integer, nullable=False),
            sa.Column("tag_id", sa.Integer, nullable=False),
            sa.PrimaryKeyConstraint(key, "tag_id", name=f"pk_{table}"),
            sa.ForeignKeyConstraint([key], [f"{target}.id"], name=f"fk_{table}_{key}_{target}",
                                    ondelete="CASCADE"),
            sa.ForeignKeyConstraint(["tag_id"], ["contact_tags.id"],
                                    name=f"fk_{table}_tag_id_contact_tags", ondelete="CASCADE"),
        )
        op.create_index(f"ix_{table}_tag_id", table, ["tag_id"])

    op.add_column("contacts", sa.Column("company_id", sa.Integer))
    op.create_foreign_key("fk_contacts_company_id_companies", "contacts", "companies",
                          ["company_id"], ["id"], ondelete="SET NULL")
    op.create_index("ix_contacts_company_id", "contacts", ["company_id"])
    for column in _address_columns():
        if column.name != "city":
            op.add_column("contacts", column)
    op.add_column("contacts", sa.Column("source", sa.String(20)))
    op.add_column("contacts", sa.Column("level", sa.String(20)))
    for name in ("mobile", "id_number"):
        op.add_column("contacts", sa.Column(name, sa.LargeBinary))
        op.add_column("contacts", sa.Column(f"{name}_index", sa.LargeBinary))
    op.alter_column("contacts", "phone", new_column_name="phone_plain")
    op.add_column("contacts", sa.Column("phone", sa.LargeBinary))
    op.add_column("contacts", sa.Column("phone_index", sa.LargeBinary))

    # The free-text company names become companies (one per distinct trimmed name).
    op.execute(sa.text(
        "INSERT INTO companies (name, city, owner_id) "
        "SELECT trim(company), min(city), min(owner_id) FROM contacts "
        "WHERE trim(company) <> '' GROUP BY trim(company) ORDER BY trim(company)"))
    op.execute(sa.text(
        "UPDATE contacts SET company_id = companies.id FROM companies "
        "WHERE companies.name = trim(contacts.company)"))
    _encrypt_phones()

    op.drop_column("contacts", "phone_plain")
    op.drop_column("contacts", "company")
    for name in ("phone", "mobile", "id_number"):
        op.create_index(f"ix_contacts_{name}_index", "contacts", [f"{name}_index"])
    for table in ("companies", "contacts"):
        for name in ("province", "district", "street"):
            op.alter_column(table, name, server_default=None)
    for name in ("credit_code", "industry", "phone", "website", "city", "notes"):
        op.alter_column("companies", name, server_default=None)


def _encrypt_phones() -> None:
    """Encrypt each plaintext phone with the tenant's data key, and index it."""
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT id, phone_plain FROM contacts WHERE phone_plain <> ''")).all()
    if not rows:
        return  # a new or phoneless tenant: no key needed
    ring = ring_for(connection, context.config.attributes["schema"])
    connection.execute(
        sa.text("UPDATE contacts SET phone = :phone, phone_index = :phone_index WHERE id = :id"),
        [{"id": row.id, "phone": ring.encrypt(PHONE_LABEL, row.phone_plain),
          "phone_index": ring.blind_index(PHONE_LABEL, normalise_compact(row.phone_plain))}
         for row in rows])


def downgrade() -> None:
    connection = op.get_bind()
    op.add_column("contacts", sa.Column("company", sa.String(200), nullable=False,
                                        server_default=""))
    op.execute(sa.text(
        "UPDATE contacts SET company = companies.name FROM companies "
        "WHERE companies.id = contacts.company_id"))
    op.add_column("contacts", sa.Column("phone_plain", sa.String(40), nullable=False,
                                        server_default=""))
    rows = connection.execute(sa.text(
        "SELECT id, phone FROM contacts WHERE phone IS NOT NULL")).all()
    if rows:
        ring = ring_for(connection, context.config.attributes["schema"])
        connection.execute(sa.text("UPDATE contacts SET phone_plain = :phone WHERE id = :id"),
                           [{"id": row.id, "phone": ring.decrypt(PHONE_LABEL,
                                                                 bytes(row.phone))[:40]}
                            for row in rows])
    for name in ("phone", "mobile", "id_number"):
        op.drop_index(f"ix_contacts_{name}_index", "contacts")
        op.drop_column("contacts", name)
        op.drop_column("contacts", f"{name}_index")
    op.alter_column("contacts", "phone_plain", new_column_name="phone")
    for name in ("province", "district", "street", "source", "level"):
        op.drop_column("contacts", name)
    op.drop_index("ix_contacts_company_id", "contacts")
    op.drop_constraint("fk_contacts_company_id_companies", "contacts", type_="foreignkey")
    op.drop_column("contacts", "company_id")
    op.drop_table("company_tag_links")
    op.drop_table("contact_tag_links")
    op.drop_table("companies")
    op.drop_table("contact_tags")
