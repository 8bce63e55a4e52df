"""Demo data for a tenant created with ``--demo``: a catalogue and 90 days of orders.

Written in Python rather than as a JSON data file because the orders are dated
relative to the day the tenant is created, reference the contacts demo rows and
go through :mod:`.workflow` like any order: numbered, with status history, and
with their events in the outbox (dated by ``occurred_at``), so whatever builds
on the events (a dashboard) starts with the same history the pages show. The
random choices are seeded: the same day gives the same data.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from jimucrm.addons.contacts.models import Contact
from jimucrm.core.interfaces import ITenant
from jimucrm.security.models import User

from .interfaces import ITaxPolicy
from .models import (
    ExchangeRate,
    Order,
    OrderLine,
    PriceList,
    PriceListItem,
    Product,
    ProductCategory,
    SalesSettings,
)
from .numbering import reserve
from .pricing import default_price, exchange_rate, recompute
from .workflow import Step, begin, check_convertible, move, order_from_quote

SEED = 20260101
DAYS = 90
ORDERS = 300
QUOTES = 40
CHINA = timedelta(hours=8)  # working hours are Beijing time; stored in UTC

CATEGORIES = {
    "电子产品": ["笔记本电脑", "显示器与外设", "网络设备"],
    "办公用品": ["办公家具", "文具耗材"],
    "软件与服务": ["软件许可", "技术服务"],
    "食品与农产品": ["茶叶", "粮油"],
}

# code, name, category, unit, list price, tax class, currency
PRODUCTS = [
    ("NB-1401", "积木 Pro 14 英寸笔记本", "笔记本电脑", "台", "6999.00", "standard", "CNY"),
    ("NB-1601", "积木 Air 16 英寸笔记本", "笔记本电脑", "台", "5499.00", "standard", "CNY"),
    ("NB-1301", "商务轻薄本 13 英寸", "笔记本电脑", "台", "4299.00", "standard", "CNY"),
    ("MN-2701", "27 英寸 4K 显示器", "显示器与外设", "台", "2199.00", "standard", "CNY"),
    ("MN-2401", "24 英寸护眼显示器", "显示器与外设", "台", "999.00", "standard", "CNY"),
    ("KB-0101", "无线机械键盘", "显示器与外设", "个", "399.00", "standard", "CNY"),
    ("MS-0101", "人体工学鼠标", "显示器与外设", "个", "199.00", "standard", "CNY"),
    ("DK-0101", "USB-C 扩展坞", "显示器与外设", "个", "459.00", "standard", "CNY"),
    ("NW-0801", "千兆企业路由器", "网络设备", "台", "1280.00", "standard", "CNY"),
    ("NW-2401", "24 口千兆交换机", "网络设备", "台", "1680.00", "standard", "CNY"),
    ("NW-0601", "Wi-Fi 6 吸顶无线 AP", "网络设备", "台", "860.00", "standard", "CNY"),
    ("NW-9001", "进口光纤模块（美元报价）", "网络设备", "个", "45.00", "standard", "USD"),
    ("FN-0101", "人体工学办公椅", "办公家具", "把", "1299.00", "standard", "CNY"),
    ("FN-0201", "电动升降办公桌", "办公家具", "张", "2599.00", "standard", "CNY"),
    ("FN-0301", "四门文件柜", "办公家具", "个", "780.00", "standard", "CNY"),
    ("FN-0401", "会议桌（8 人）", "办公家具", "张", "3880.00", "standard", "CNY"),
    ("ST-0101", "A4 复印纸（5 包/箱）", "文具耗材", "箱", "128.00", "standard", "CNY"),
    ("ST-0201", "激光打印机硒鼓", "文具耗材", "个", "320.00", "standard", "CNY"),
    ("ST-0301", "中性笔（12 支/盒）", "文具耗材", "盒", "18.00", "standard", "CNY"),
    ("ST-0401", "办公文具礼盒", "文具耗材", "套", "168.00", "standard", "CNY"),
    ("SW-0101", "积木 CRM 专业版年订阅（每用户）", "软件许可", "年", "1200.00", "services", "CNY"),
    ("SW-0201", "正版办公套件授权", "软件许可", "套", "980.00", "standard", "CNY"),
    ("SW-0301", "终端安全软件年授权", "软件许可", "年", "260.00", "services", "CNY"),
    ("SV-0101", "上门安装调试服务", "技术服务", "次", "600.00", "services", "CNY"),
    ("SV-0201", "年度运维服务包", "技术服务", "年", "12000.00", "services", "CNY"),
    ("SV-0301", "员工系统培训（半天）", "技术服务", "次", "3000.00", "services", "CNY"),
    ("SV-0401", "同城物流配送", "技术服务", "次", "150.00", "reduced", "CNY"),
    ("TE-0101", "西湖龙井明前茶（250 克）", "茶叶", "盒", "680.00", "reduced", "CNY"),
    ("TE-0201", "云南普洱熟茶饼（357 克）", "茶叶", "饼", "298.00", "reduced", "CNY"),
    ("GR-0101", "东北五常大米（10 千克）", "粮油", "袋", "139.00", "reduced", "CNY"),
    ("GR-0201", "压榨花生油（5 升）", "粮油", "桶", "119.00", "reduced", "CNY"),
]

RATES = {"USD": ["7.1800", "7.1200"], "EUR": ["7.8000", "7.7400"], "HKD": ["0.9200", "0.9150"],
         "JPY": ["0.0480", "0.0470"]}

NOTES = ["", "", "", "客户要求月底前到货。", "开具增值税专用发票。", "分两批发货。",
         "老客户，按协议价执行。", "需提供安装服务。"]
REFUND_NOTES = ["货物破损，全额退款。", "客户取消采购计划。", "规格不符，办理退货。"]
CANCEL_NOTES = ["客户预算调整。", "重复下单，已取消。", "改为下季度采购。"]


def _catalogue(session: Session, start: date) -> tuple[list[Product], list[PriceList]]:
    categories = {}
    for position, (top, children) in enumerate(CATEGORIES.items()):
        parent = ProductCategory(name=top, position=position)
        session.add(parent)
        for child_position, child in enumerate(children):
            categories[child] = ProductCategory(name=child, parent=parent,
                                                position=child_position)
            session.add(categories[child])
    products = [Product(code=code, name=name, category=categories[category], unit=unit,
                        list_price=Decimal(price), tax_class=tax_class, currency=currency,
                        description="")
                for code, name, category, unit, price, tax_class, currency in PRODUCTS]
    session.add_all(products)
    for currency, (old, new) in RATES.items():
        session.add(ExchangeRate(currency=currency, valid_from=start - timedelta(days=30),
                                 rate=Decimal(old)))
        session.add(ExchangeRate(currency=currency, valid_from=start + timedelta(days=45),
                                 rate=Decimal(new)))
    session.add(SalesSettings(id=1, prices_include_tax=False, default_currency="CNY"))
    dealer = PriceList(name="经销商价格表", currency="CNY", active=True)
    dealer.items = [PriceListItem(product=product, discount_pct=Decimal(8 + index % 3 * 4))
                    for index, product in enumerate(products) if product.currency == "CNY"]
    vip = PriceList(name="VIP 客户协议价", currency="CNY", active=True,
                    valid_from=start - timedelta(days=30))
    vip.items = [PriceListItem(product=product, price=(product.list_price * Decimal("0.85"))
                               .quantize(Decimal("1")))
                 for product in products if product.code.startswith(("NB", "MN", "SV"))]
    export = PriceList(name="美元出口报价", currency="USD", active=True)
    export.items = [PriceListItem(product=product, price=(product.list_price / Decimal("7.1"))
                                  .quantize(Decimal("0.01")))
                    for product in products if product.code.startswith(("NB", "MN", "NW"))]
    session.add_all([dealer, vip, export])
    session.flush()
    return products, [dealer, vip, export]


# nosemgrep: jimu-random-in-security-code - a seeded generator for repeatable demo data
def _moment(random_: random.Random, day: date) -> datetime:
    """A working-hours moment of ``day`` (Beijing time), in UTC."""
    local = datetime.combine(day, time(9)) + timedelta(minutes=random_.randrange(9 * 60))
    return (local - CHINA).replace(tzinfo=UTC)


class Demo:
    """Builds the orders in memory through the workflow's rules, then writes them at once."""

    def __init__(self, session: Session, policy: ITaxPolicy, now: datetime) -> None:
        self.session = session
        self.policy = policy
        self.now = now
        # nosemgrep: jimu-random-in-security-code - repeatable sample orders, no secret
        self.random = random.Random(SEED)  # noqa: S311 - sample data, not secrets
        self.orders: list[Order] = []
        self.payloads: list[tuple[Step, dict]] = []
        self._prices: dict[tuple, tuple[Decimal, Decimal] | None] = {}

    def record(self, step: Step) -> None:
        """Keep the step's event with the payload as it is at this moment."""
        if step.event is not None:
            self.payloads.append((step, step.payload()))

    def price(self, product: Product, order: Order, late: bool) -> tuple | None:
        key = (product.id, order.pricelist.id if order.pricelist else None, order.currency,
               late)
        if key not in self._prices:
            self._prices[key] = default_price(self.session, product, order)
        return self._prices[key]

    def lines(self, order: Order, products: list[Product], late: bool) -> None:
        chosen = self.random.sample(products, k=self.random.choice([1, 1, 2, 2, 3, 4]))
        for position, product in enumerate(chosen):
            default = self.price(product, order, late)
            if default is None:
                continue  # no exchange rate for it: left out of this order
            price, discount = default
            if discount == 0 and self.random.random() < 0.2:
                discount = Decimal(self.random.choice([5, 10]))
            many = product.unit in ("箱", "盒", "个", "袋", "桶", "饼")
            quantity = Decimal(self.random.randint(5, 60) if many else self.random.randint(1, 8))
            order.lines.append(OrderLine(
                position=position, product=product, product_id=product.id,
                description=product.name, quantity=quantity, unit_price=price,
                discount_pct=discount, tax_rate=self.policy.rate(product, order)))
        recompute(order, self.policy)

    def begin(self, order: Order, at: datetime) -> None:
        self.orders.append(order)
        self.record(begin(order, user_id=order.owner_id, at=at))

    def move(self, order: Order, target: str, at: datetime, **kwargs) -> None:
        self.record(move(order, target, user_id=order.owner_id, at=at, **kwargs))

    def advance(self, order: Order, at: datetime) -> None:
        """Walk ``order`` along the usual path as far as its age allows; some fall off it."""
        steps = [("confirmed", timedelta(hours=self.random.randint(1, 30))),
                 ("paid", timedelta(hours=self.random.randint(2, 72))),
                 ("shipped", timedelta(hours=self.random.randint(12, 72))),
                 ("completed", timedelta(days=self.random.randint(2, 8)))]
        luck = self.random.random()
        for state, delay in steps:
            at += delay
            if at > self.now:
                return
            if (state == "confirmed" and luck < 0.05) or (state == "paid" and luck < 0.08):
                self.move(order, "cancelled", at, note=self.random.choice(CANCEL_NOTES))
                return
            self.move(order, state, at)
            if state in ("shipped", "completed") and luck > 0.96:
                later = at + timedelta(days=self.random.randint(1, 5))
                if later <= self.now:
                    amount = ((order.total_amount / 2).quantize(Decimal("0.01"))
                              if luck > 0.98 else None)
                    self.move(order, "refunded", later, amount=amount,
                              note=self.random.choice(REFUND_NOTES))
                return

    def quote(self, quote: Order, at: datetime) -> None:
        at += timedelta(hours=self.random.randint(1, 48))
        if at > self.now:
            return
        self.move(quote, "sent", at)
        at += timedelta(days=self.random.randint(1, 10))
        if at > self.now:
            return
        luck = self.random.random()
        if luck < 0.2:
            self.move(quote, "rejected", at, note="客户选择了其他供应商。")
        elif luck < 0.6:
            check_convertible(quote)
            self.move(quote, "accepted", at)
            order = order_from_quote(quote, at.date())
            self.move(quote, "converted", at, note=quote.number)
            self.begin(order, at)
            self.advance(order, at)

    def write(self, emit) -> None:
        """Number the orders in the order they were made, write them, then emit the events."""
        made_at = {id(order): order.history[0].created_at for order in self.orders}
        self.orders.sort(key=lambda order: made_at[id(order)])
        groups: dict[tuple[str, int], list[Order]] = {}
        for order in self.orders:
            groups.setdefault((order.kind, order.order_date.year), []).append(order)
        for (kind, year), orders in groups.items():
            for order, number in zip(orders, reserve(self.session, kind, year, len(orders)),
                                     strict=True):
                order.number = number
        self.session.add_all(self.orders)
        self.session.flush()
        for step, payload in sorted(self.payloads, key=lambda item: item[0].at):
            payload.update(order_id=step.order.id, number=step.order.number,
                           quote_id=step.order.quote_id)
            emit(step.event, payload)


def load_demo(session: Session, tenant: ITenant, policy: ITaxPolicy,
              emit, today: date | None = None) -> int:
    """Fill the tenant's sales tables; return how many quotes and orders were made."""
    now = datetime.now(UTC)
    today = today or now.date()
    start = today - timedelta(days=DAYS)
    products, pricelists = _catalogue(session, start)
    customers = session.scalars(select(Contact).order_by(Contact.id)).all()
    if not customers:
        return 0
    owners = session.scalars(select(User.id).order_by(User.id)).all() or [None]
    demo = Demo(session, policy, now)
    rates = {currency: exchange_rate(session, currency, today) for currency in ("CNY", "USD")}
    late_rates = start + timedelta(days=45)
    days = sorted(start + timedelta(days=demo.random.randrange(DAYS + 1))
                  for _ in range(ORDERS + QUOTES))
    quote_days = set(demo.random.sample(range(len(days)), QUOTES))
    for index, day in enumerate(days):
        kind = "quote" if index in quote_days else "order"
        customer = demo.random.choice(customers)
        currency, pricelist = "CNY", None
        pick = demo.random.random()
        if pick < 0.06:
            currency, pricelist = "USD", pricelists[2]
        elif pick < 0.30:
            pricelist = demo.random.choice(pricelists[:2])
        late = day >= late_rates
        order = Order(kind=kind, customer_id=customer.id, customer=customer,
                      owner_id=demo.random.choice(owners), currency=currency,
                      pricelist=pricelist, pricelist_id=pricelist.id if pricelist else None,
                      exchange_rate=rates[currency] if late else
                      exchange_rate(session, currency, day),
                      prices_include_tax=False, order_date=day,
                      notes=demo.random.choice(NOTES))
        demo.lines(order, products, late)
        if not order.lines:
            continue
        at = _moment(demo.random, day)
        demo.begin(order, at)
        if kind == "quote":
            demo.quote(order, at)
        else:
            demo.advance(order, at)
    demo.write(emit)
    return len(demo.orders)
