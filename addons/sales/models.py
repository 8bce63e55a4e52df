"""Sales: product catalogue, price lists, exchange rates, quotes and orders.

Quotes and orders share one table (``kind``): a quote converts into an order
row of its own that keeps a link to it, so both keep their number and history.
Money is ``Numeric(14, 2)``, computed with :class:`decimal.Decimal` (see
:mod:`.pricing`); no float ever touches an amount.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jimucrm.addons.contacts.models import Contact
from jimucrm.core.i18n import _
from jimucrm.core.models import TenantBase

from .forms import CURRENCIES
from .services import TAX_CLASSES

Money = Numeric(14, 2)
Percent = Numeric(5, 2)
Quantity = Numeric(14, 3)
Rate = Numeric(18, 6)

DEFAULT_CURRENCY = "CNY"
CURRENCY_CHOICES = tuple(CURRENCIES.items())
# The generated product form offers the default VAT policy's classes (static field
# choices); a replacement ITaxPolicy's rate() must accept these keys.
TAX_CLASS_CHOICES = tuple((key, label) for key, (_rate, label) in TAX_CLASSES.items())
CATEGORY = {"label": "name", "order": "position"}
KIND_CHOICES = (("order", _("Order")), ("quote", _("Quote")))
# Every state of both flows (the workflow's labels are these).
STATE_CHOICES = (
    ("draft", _("Draft")), ("confirmed", _("Confirmed")), ("paid", _("Paid")),
    ("shipped", _("Shipped")), ("completed", _("Completed")), ("cancelled", _("Cancelled")),
    ("refunded", _("Refunded")), ("sent", _("Sent")), ("accepted", _("Accepted")),
    ("rejected", _("Rejected")), ("converted", _("Converted to order")),
)
# Orders change only through the order editor and the workflow: no generated form.
SYSTEM = {"form": False}


class ProductCategory(TenantBase):
    """A node of the category tree (``parent_id`` empty at the top)."""

    __tablename__ = "sales_categories"
    __table_args__ = (Index("ix_sales_categories_parent_id", "parent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), info={"label": _("Category name"),
                                                         "search": "prefix"})
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("sales_categories.id", ondelete="RESTRICT"), info={
            "label": _("Parent"), "relation": CATEGORY, "filter": True})
    position: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    parent: Mapped[ProductCategory | None] = relationship(remote_side=[id])


class Product(TenantBase):
    __tablename__ = "sales_products"
    __table_args__ = (
        Index("ix_sales_products_category_id", "category_id"),
        Index("ix_sales_products_name", "name"),
        CheckConstraint("list_price >= 0", name="list_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, info={"label": _("Code"),
                                                                     "search": "prefix"})
    name: Mapped[str] = mapped_column(String(200), info={"label": _("Product name"),
                                                         "search": "prefix"})
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("sales_categories.id", ondelete="SET NULL"), info={
            "label": _("Category"), "relation": CATEGORY, "filter": True})
    unit: Mapped[str] = mapped_column(String(20), default="件", info={"label": _("Unit")})
    list_price: Mapped[Decimal] = mapped_column(Money, info={"label": _("List price"),
                                                             "minimum": 0})
    currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY, info={
        "label": _("Currency"), "choices": CURRENCY_CHOICES})
    # A key of the tax policy's classes (services.TAX_CLASSES for the default VAT).
    tax_class: Mapped[str] = mapped_column(String(20), default="standard", info={
        "label": _("Tax class"), "choices": TAX_CLASS_CHOICES, "list": False})
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(),
                                         info={"label": _("Active"), "filter": True})
    description: Mapped[str] = mapped_column(Text, default="", info={
        "label": _("Description"), "max_length": 5000})
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    category: Mapped[ProductCategory | None] = relationship()


class PriceList(TenantBase):
    """Prices for some products, in one currency, valid between two dates (both optional)."""

    __tablename__ = "sales_pricelists"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from",
                        name="valid_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), info={"label": _("Price list name"),
                                                         "search": "prefix"})
    currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY, info={
        "label": _("Currency"), "choices": CURRENCY_CHOICES, "filter": True})
    valid_from: Mapped[date | None] = mapped_column(Date, info={"label": _("Valid from"),
                                                                "filter": True})
    valid_to: Mapped[date | None] = mapped_column(Date, info={"label": _("Valid to"),
                                                              "filter": True})
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(),
                                         info={"label": _("Active"), "filter": True})
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    items: Mapped[list[PriceListItem]] = relationship(
        back_populates="pricelist", cascade="all, delete-orphan",
        order_by="PriceListItem.id")

    def valid_on(self, day: date) -> bool:
        return self.active and (self.valid_from is None or self.valid_from <= day) and \
            (self.valid_to is None or day <= self.valid_to)


class PriceListItem(TenantBase):
    """One product's price in a list: a fixed price or a discount off its list price."""

    __tablename__ = "sales_pricelist_items"
    __table_args__ = (
        UniqueConstraint("pricelist_id", "product_id"),
        Index("ix_sales_pricelist_items_product_id", "product_id"),
        CheckConstraint("(price IS NULL) <> (discount_pct IS NULL)", name="price_or_discount"),
        CheckConstraint("price IS NULL OR price >= 0", name="price_not_negative"),
        CheckConstraint("discount_pct IS NULL OR (discount_pct >= 0 AND discount_pct <= 100)",
                        name="discount_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pricelist_id: Mapped[int] = mapped_column(
        ForeignKey("sales_pricelists.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("sales_products.id", ondelete="CASCADE"))
    price: Mapped[Decimal | None] = mapped_column(Money)
    discount_pct: Mapped[Decimal | None] = mapped_column(Percent)

    pricelist: Mapped[PriceList] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()


class ExchangeRate(TenantBase):
    """How many CNY one unit of ``currency`` is worth from ``valid_from`` on (for reporting)."""

    __tablename__ = "sales_exchange_rates"
    __table_args__ = (
        UniqueConstraint("currency", "valid_from"),
        CheckConstraint("rate > 0", name="rate_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(Rate)


class SalesSettings(TenantBase):
    """The tenant's sales settings: one row (id 1), created on first save."""

    __tablename__ = "sales_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # Whether unit prices are entered with the tax included (Chinese retail habit)
    # or without it (B2B habit, the default).
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=false())
    default_currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY)


class NumberSequence(TenantBase):
    """The last number given per prefix and year; its row lock orders concurrent creators."""

    __tablename__ = "sales_sequences"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer)


class Order(TenantBase):
    """A quote (``kind='quote'``) or a sales order (``kind='order'``)."""

    __tablename__ = "sales_orders"
    __table_args__ = (
        Index("ix_sales_orders_owner_id", "owner_id"),
        Index("ix_sales_orders_customer_id", "customer_id"),
        Index("ix_sales_orders_kind_state", "kind", "state"),
        Index("ix_sales_orders_order_date", "order_date"),
        CheckConstraint("kind IN ('quote', 'order')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="order", info={
        "label": _("Kind"), "choices": KIND_CHOICES, "filter": True, **SYSTEM})
    number: Mapped[str] = mapped_column(String(24), unique=True, info={
        "label": _("Number"), "search": "prefix", **SYSTEM})
    state: Mapped[str] = mapped_column(String(20), default="draft", info={
        "label": _("State"), "choices": STATE_CHOICES, "filter": True, **SYSTEM})
    customer_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="RESTRICT"),
                                             info={"label": _("Customer"), "filter": True,
                                                   "relation": {"label": "name"}, **SYSTEM})
    # Who the record belongs to, for record rules.
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), info={
            "label": _("Owner"), "filter": True, **SYSTEM,
            "relation": {"label": "display_name", "active": "is_active"}})
    pricelist_id: Mapped[int | None] = mapped_column(
        ForeignKey("sales_pricelists.id", ondelete="SET NULL"), info={
            "label": _("Price list"), "relation": {"label": "name"}, "list": False, **SYSTEM})
    # The quote this order was converted from (one order per quote).
    quote_id: Mapped[int | None] = mapped_column(
        ForeignKey("sales_orders.id", ondelete="SET NULL"), unique=True)
    currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY,
                                          info={"label": _("Currency"), **SYSTEM})
    # CNY per unit of ``currency`` on the order date, kept for reporting in CNY.
    exchange_rate: Mapped[Decimal] = mapped_column(Rate, default=Decimal(1))
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=false())
    order_date: Mapped[date] = mapped_column(Date, info={"label": _("Date"), "filter": True,
                                                         **SYSTEM})
    untaxed_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"), info={
        "label": _("Untaxed amount"), "list": False, **SYSTEM})
    tax_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"), info={
        "label": _("Tax"), "list": False, **SYSTEM})
    total_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"), info={
        "label": _("Total"), "filter": True, **SYSTEM})
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info={
        "label": _("Paid at"), "list": False, **SYSTEM})
    refunded_amount: Mapped[Decimal | None] = mapped_column(Money, info={
        "label": _("Refunded amount"), "list": False, **SYSTEM})
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notes: Mapped[str] = mapped_column(Text, default="", info={"label": _("Notes"), **SYSTEM})
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())

    customer: Mapped[Contact] = relationship()
    pricelist: Mapped[PriceList | None] = relationship()
    quote: Mapped[Order | None] = relationship(remote_side=[id], foreign_keys=[quote_id])
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.position")
    history: Mapped[list[OrderHistory]] = relationship(
        back_populates="order", cascade="all, delete-orphan",
        order_by="[OrderHistory.created_at, OrderHistory.id]")

    @property
    def is_quote(self) -> bool:
        return self.kind == "quote"


class OrderLine(TenantBase):
    __tablename__ = "sales_order_lines"
    __table_args__ = (
        Index("ix_sales_order_lines_order_id", "order_id"),
        Index("ix_sales_order_lines_product_id", "product_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint("discount_pct >= 0 AND discount_pct <= 100", name="discount_range"),
        CheckConstraint("tax_rate >= 0 AND tax_rate < 100", name="tax_rate_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    product_id: Mapped[int] = mapped_column(ForeignKey("sales_products.id", ondelete="RESTRICT"))
    description: Mapped[str] = mapped_column(String(200), default="")
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    discount_pct: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0.00"))
    # Percent, e.g. 13.00 for China's standard VAT; fixed when the line is saved.
    tax_rate: Mapped[Decimal] = mapped_column(Percent)
    untaxed_amount: Mapped[Decimal] = mapped_column(Money)
    tax_amount: Mapped[Decimal] = mapped_column(Money)
    total_amount: Mapped[Decimal] = mapped_column(Money)

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()


class OrderHistory(TenantBase):
    """One step of a quote's or order's life: from which state to which, who, when, why."""

    __tablename__ = "sales_order_history"
    __table_args__ = (Index("ix_sales_order_history_order_id", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id", ondelete="CASCADE"))
    from_state: Mapped[str | None] = mapped_column(String(20))  # None: created
    to_state: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    order: Mapped[Order] = relationship(back_populates="history")
