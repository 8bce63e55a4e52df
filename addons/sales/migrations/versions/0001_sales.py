"""Sales: categories, products, price lists, exchange rates, settings, numbering, orders.

Revision ID: sales_0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "sales_0001"
down_revision = None
branch_labels = ("sales",)
# The security (users) and contacts branches always migrate first: packages before
# addons, addons in dependency order.
depends_on = None

MONEY = sa.Numeric(14, 2)
PERCENT = sa.Numeric(5, 2)
RATE = sa.Numeric(18, 6)


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        "sales_categories",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("parent_id", sa.Integer),
        sa.Column("position", sa.Integer, server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sales_categories"),
        sa.ForeignKeyConstraint(["parent_id"], ["sales_categories.id"], ondelete="RESTRICT",
                                name="fk_sales_categories_parent_id_sales_categories"),
    )
    op.create_index("ix_sales_categories_parent_id", "sales_categories", ["parent_id"])

    op.create_table(
        "sales_exchange_rates",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("rate", RATE, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sales_exchange_rates"),
        sa.UniqueConstraint("currency", "valid_from",
                            name="uq_sales_exchange_rates_currency_valid_from"),
        sa.CheckConstraint("rate > 0", name="ck_sales_exchange_rates_rate_positive"),
    )

    op.create_table(
        "sales_pricelists",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("valid_from", sa.Date),
        sa.Column("valid_to", sa.Date),
        sa.Column("active", sa.Boolean, server_default=sa.true(), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_sales_pricelists"),
        sa.CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from",
                           name="ck_sales_pricelists_valid_period"),
    )

    op.create_table(
        "sales_sequences",
        sa.Column("prefix", sa.String(8), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("last_value", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("prefix", "year", name="pk_sales_sequences"),
    )

    op.create_table(
        "sales_settings",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("prices_include_tax", sa.Boolean, server_default=sa.false(), nullable=False),
        sa.Column("default_currency", sa.String(3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sales_settings"),
        sa.CheckConstraint("id = 1", name="ck_sales_settings_single_row"),
    )

    op.create_table(
        "sales_products",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category_id", sa.Integer),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("list_price", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("tax_class", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean, server_default=sa.true(), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_sales_products"),
        sa.CheckConstraint("list_price >= 0", name="ck_sales_products_list_price_not_negative"),
        sa.UniqueConstraint("code", name="uq_sales_products_code"),
        sa.ForeignKeyConstraint(["category_id"], ["sales_categories.id"], ondelete="SET NULL",
                                name="fk_sales_products_category_id_sales_categories"),
    )
    op.create_index("ix_sales_products_category_id", "sales_products", ["category_id"])
    op.create_index("ix_sales_products_name", "sales_products", ["name"])

    op.create_table(
        "sales_orders",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("number", sa.String(24), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("customer_id", sa.Integer, nullable=False),
        sa.Column("owner_id", sa.Integer),
        sa.Column("pricelist_id", sa.Integer),
        sa.Column("quote_id", sa.Integer),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("exchange_rate", RATE, nullable=False),
        sa.Column("prices_include_tax", sa.Boolean, server_default=sa.false(), nullable=False),
        sa.Column("order_date", sa.Date, nullable=False),
        sa.Column("untaxed_amount", MONEY, nullable=False),
        sa.Column("tax_amount", MONEY, nullable=False),
        sa.Column("total_amount", MONEY, nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True)),
        sa.Column("refunded_amount", MONEY),
        sa.Column("refunded_at", sa.DateTime(timezone=True)),
        sa.Column("notes", sa.Text, nullable=False),
        _created_at(),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sales_orders"),
        sa.CheckConstraint("kind IN ('quote', 'order')", name="ck_sales_orders_kind"),
        sa.UniqueConstraint("number", name="uq_sales_orders_number"),
        sa.ForeignKeyConstraint(["customer_id"], ["contacts.id"], ondelete="RESTRICT",
                                name="fk_sales_orders_customer_id_contacts"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="SET NULL",
                                name="fk_sales_orders_owner_id_users"),
        sa.ForeignKeyConstraint(["pricelist_id"], ["sales_pricelists.id"], ondelete="SET NULL",
                                name="fk_sales_orders_pricelist_id_sales_pricelists"),
        sa.UniqueConstraint("quote_id", name="uq_sales_orders_quote_id"),
        sa.ForeignKeyConstraint(["quote_id"], ["sales_orders.id"], ondelete="SET NULL",
                                name="fk_sales_orders_quote_id_sales_orders"),
    )
    op.create_index("ix_sales_orders_customer_id", "sales_orders", ["customer_id"])
    op.create_index("ix_sales_orders_kind_state", "sales_orders", ["kind", "state"])
    op.create_index("ix_sales_orders_order_date", "sales_orders", ["order_date"])
    op.create_index("ix_sales_orders_owner_id", "sales_orders", ["owner_id"])

    op.create_table(
        "sales_pricelist_items",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("pricelist_id", sa.Integer, nullable=False),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("price", MONEY),
        sa.Column("discount_pct", PERCENT),
        sa.PrimaryKeyConstraint("id", name="pk_sales_pricelist_items"),
        sa.UniqueConstraint("pricelist_id", "product_id",
                            name="uq_sales_pricelist_items_pricelist_id_product_id"),
        sa.CheckConstraint("(price IS NULL) <> (discount_pct IS NULL)",
                           name="ck_sales_pricelist_items_price_or_discount"),
        sa.CheckConstraint("price IS NULL OR price >= 0",
                           name="ck_sales_pricelist_items_price_not_negative"),
        sa.CheckConstraint("discount_pct IS NULL OR (discount_pct >= 0 AND discount_pct <= 100)",
                           name="ck_sales_pricelist_items_discount_range"),
        sa.ForeignKeyConstraint(["pricelist_id"], ["sales_pricelists.id"], ondelete="CASCADE",
                                name="fk_sales_pricelist_items_pricelist_id_sales_pricelists"),
        sa.ForeignKeyConstraint(["product_id"], ["sales_products.id"], ondelete="CASCADE",
                                name="fk_sales_pricelist_items_product_id_sales_products"),
    )
    op.create_index("ix_sales_pricelist_items_product_id", "sales_pricelist_items",
                    ["product_id"])

    op.create_table(
        "sales_order_history",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("order_id", sa.Integer, nullable=False),
        sa.Column("from_state", sa.String(20)),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("user_id", sa.Integer),
        sa.Column("note", sa.Text, nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_sales_order_history"),
        sa.ForeignKeyConstraint(["order_id"], ["sales_orders.id"], ondelete="CASCADE",
                                name="fk_sales_order_history_order_id_sales_orders"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL",
                                name="fk_sales_order_history_user_id_users"),
    )
    op.create_index("ix_sales_order_history_order_id", "sales_order_history", ["order_id"])

    op.create_table(
        "sales_order_lines",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("order_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("quantity", sa.Numeric(14, 3), nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("discount_pct", PERCENT, nullable=False),
        sa.Column("tax_rate", PERCENT, nullable=False),
        sa.Column("untaxed_amount", MONEY, nullable=False),
        sa.Column("tax_amount", MONEY, nullable=False),
        sa.Column("total_amount", MONEY, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sales_order_lines"),
        sa.CheckConstraint("quantity > 0", name="ck_sales_order_lines_quantity_positive"),
        sa.CheckConstraint("unit_price >= 0", name="ck_sales_order_lines_unit_price_not_negative"),
        sa.CheckConstraint("discount_pct >= 0 AND discount_pct <= 100",
                           name="ck_sales_order_lines_discount_range"),
        sa.CheckConstraint("tax_rate >= 0 AND tax_rate < 100",
                           name="ck_sales_order_lines_tax_rate_range"),
        sa.ForeignKeyConstraint(["order_id"], ["sales_orders.id"], ondelete="CASCADE",
                                name="fk_sales_order_lines_order_id_sales_orders"),
        sa.ForeignKeyConstraint(["product_id"], ["sales_products.id"], ondelete="RESTRICT",
                                name="fk_sales_order_lines_product_id_sales_products"),
    )
    op.create_index("ix_sales_order_lines_order_id", "sales_order_lines", ["order_id"])
    op.create_index("ix_sales_order_lines_product_id", "sales_order_lines", ["product_id"])


def downgrade() -> None:
    for table in ("sales_order_lines", "sales_order_history", "sales_pricelist_items",
                  "sales_orders", "sales_products", "sales_settings", "sales_sequences",
                  "sales_pricelists", "sales_exchange_rates", "sales_categories"):
        op.drop_table(table)
