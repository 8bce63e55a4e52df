"""CRM benchmarks: the customer list, its searches and the order.paid → dashboard
pipeline on a generated tenant, measured side by side in one run, printed, never asserted.

1. One tenant provisioned through the real provisioner (every default addon), filled
   with ``--customers`` contacts (one company per five of them),
   ``--orders`` orders with lines over the last 90 days in realistic states, owned by a
   handful of users. Written with COPY and INSERT … SELECT generate_series; encrypted
   columns hold what the app writes (its key ring encrypts them and computes their
   blind indexes).
2. Server time of the customer list page (default sort, 50 rows), of a search by name
   prefix and of a search by exact phone, through the real WSGI app in-process, for an
   administrator and for a staff user whose record rules narrow the list to their own
   customers; beside the SQL that page runs for its rows and its count, executed raw
   over psycopg, interleaved request by request. EXPLAIN says which indexes they use.
3. The event pipeline with the real events: ``order.paid`` emitted by the sales
   workflow for a batch of orders committed at once, then events per second from that
   commit to the dashboard's revenue figure counting the last of them, with one real
   ``jimu worker`` process; beside it the dashboard's updates done inline in one
   transaction. Then the lag of single payments at a steady rate.

    python benchmarks/crm.py                 # the full run: 100,000 customers, 300,000 orders
    python benchmarks/crm.py --quick         # smoke run, under a minute
    python benchmarks/crm.py --json results.json

See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import re
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
import sqlalchemy
import webtest
from _app import BenchApp
from _pipeline import (
    LAG_TARGET_MS,
    THROUGHPUT_TARGET,
    Figure,
    Worker,
    add_pipeline_arguments,
    lag_figures,
    paced,
    percentile,
    throughput,
)
from _servers import Servers, add_server_arguments, log, run_benchmark, servers
from sqlalchemy import event, select
from sqlalchemy.orm import selectinload

from jimucrm.addons.contacts.models import Company, Contact
from jimucrm.addons.dashboard.aggregates import apply_event, day_of, rebuild
from jimucrm.addons.sales.demo import CATEGORIES, PRODUCTS
from jimucrm.addons.sales.interfaces import ITaxPolicy
from jimucrm.addons.sales.models import Order, OrderLine, Product, ProductCategory
from jimucrm.addons.sales.workflow import Actor, transition
from jimucrm.core.interfaces import IAddonCatalogue, ITenantDirectory
from jimucrm.core.outbox import IOutbox
from jimucrm.core.outbox.models import OutboxEvent
from jimucrm.security.keys import EncryptedText, ring_for
from jimucrm.tenants.interfaces import ITenantProvisioner

SLUG = "bench-crm"
STAFF = 6  # staff users owning the customers and orders (plus a manager and an admin)
LIST_TARGET_MS = 50.0
LIST_RATIO_TARGET = 2.0
SEARCH_TARGET_MS = 100.0

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
            "许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"
         "华建国志红玉兰文辉鑫宇浩然欣怡子涵雨萱梓轩俊杰晨")
PLACES = [("广东省", "深圳市"), ("广东省", "广州市"), ("浙江省", "杭州市"), ("江苏省", "南京市"),
          ("江苏省", "苏州市"), ("上海市", "上海市"), ("北京市", "北京市"), ("四川省", "成都市"),
          ("湖北省", "武汉市"), ("福建省", "厦门市"), ("山东省", "青岛市"), ("陕西省", "西安市")]
TRADES = ["贸易", "科技", "电子", "物流", "餐饮", "建材", "医疗器械", "教育科技", "服饰", "食品"]
TITLES = ["", "", "采购经理", "总经理", "财务", "行政主管", "技术总监", "店长"]
SOURCES = ["referral", "website", "exhibition", "advertising", "cold_call", "partner"]
LEVELS = ["vip", "important", "regular", "regular", "regular", "potential"]


# ---------------------------------------------------------------- the app


class App(BenchApp):
    """The configured app and its one tenant."""

    def __init__(self, settings: dict[str, str]) -> None:
        super().__init__(settings)
        self.outbox = self.registry.getUtility(IOutbox)
        self.pg_url = settings["jimu.database_url"]  # plain postgresql://, for psycopg
        self.registry.getUtility(ITenantProvisioner).create(SLUG, "积木基准贸易有限公司")
        self.tenant = self.registry.getUtility(ITenantDirectory).by_slug(SLUG)
        self.schema = self.tenant.schema_name
        self.users: dict[str, int] = {}

    def session(self):
        return self.database.session(self.schema)

    def user(self, username: str, *, is_admin: bool = False,
             roles: tuple[str, ...] = ()) -> int:
        self.users[username] = self.add_user(self.schema, SLUG, username, is_admin=is_admin,
                                             roles=roles)
        return self.users[username]


# ---------------------------------------------------------------- data


def _row(table: sqlalchemy.Table, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` for the columns ``table`` has, the others at their scalar default."""
    row = {}
    for column in table.columns:
        if column.name in values:
            row[column.name] = values[column.name]
        elif column.primary_key or column.server_default is not None:
            continue
        elif column.default is not None and column.default.is_scalar:
            row[column.name] = column.default.arg
        elif column.nullable:
            row[column.name] = None
        else:
            raise RuntimeError(f"no value for {table.name}.{column.name}")
    return row


def _encrypt(ring, table: sqlalchemy.Table, row: dict[str, Any]) -> dict[str, Any]:
    """Encrypt ``row``'s values of EncryptedText columns and fill their blind indexes,
    as the ORM does when it writes them."""
    for column in table.columns:
        if isinstance(column.type, EncryptedText) and column.name in row:
            plain = row[column.name]
            if plain is not None:
                row[column.name] = ring.encrypt(column.type.label, plain)
            if column.type.blind_index:
                row[column.type.blind_index] = column.type.index_value(ring, plain)
    return row


def copy_rows(raw: psycopg.Connection, schema: str, table: sqlalchemy.Table,
              rows: list[dict[str, Any]]) -> None:
    names = list(rows[0])
    columns = ", ".join(f'"{name}"' for name in names)
    with raw.cursor().copy(f'COPY "{schema}"."{table.name}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[name] for name in names])


def phone_of(number: int) -> str:
    """A distinct mainland mobile number per customer (1 3x–9x xxxx xxxx)."""
    return f"1{3 + number % 7}{(number * 7919 + 12345) % 1_000_000_000:09d}"


def name_of(number: int) -> str:
    given = GIVEN[(number * 31) % len(GIVEN)]
    if number % 3:
        given += GIVEN[(number * 17 + 5) % len(GIVEN)]
    return SURNAMES[(number * 13) % len(SURNAMES)] + given


class Data:
    """The generated tenant: what it holds and the values the searches look for."""

    def __init__(self, app: App, args: argparse.Namespace) -> None:
        self.app = app
        self.args = args
        self.staff_ids: list[int] = []
        self.figures: dict[str, Any] = {}

    def generate(self) -> dict[str, Any]:
        app, args = self.app, self.args
        started = time.perf_counter()
        log(f"users: an administrator, a manager and {STAFF} staff")
        app.user("admin", is_admin=True)
        app.user("manager", roles=("manager",))
        self.staff_ids = [app.user(f"staff{index:02d}", roles=("staff",))
                          for index in range(1, STAFF + 1)]
        with app.session() as session, session.begin(), \
                psycopg.connect(app.pg_url) as raw:
            ring = ring_for(session.connection(), app.schema)
            companies = self.companies(raw, ring)
            self.contacts(raw, ring, companies)
            raw.commit()
        self.products()
        with psycopg.connect(app.pg_url) as raw:
            raw.execute(f'SET search_path TO "{app.schema}"')
            log(f"{args.orders} orders with lines over the last 90 days")
            self.orders(raw, args.orders, confirmed_only=False)
            log(f"{self.spare_orders()} more confirmed orders for the pipeline to pay")
            self.orders(raw, self.spare_orders(), confirmed_only=True)
            raw.execute("INSERT INTO sales_sequences (prefix, year, last_value) "
                        "SELECT 'SO', split_part(number, '-', 2)::int, "
                        "max(split_part(number, '-', 3)::int) FROM sales_orders "
                        "GROUP BY 2 ON CONFLICT (prefix, year) DO UPDATE "
                        "SET last_value = excluded.last_value")
            raw.commit()
        log("the dashboard's aggregates rebuilt from the tables (its own rebuild)")
        with app.session() as session, session.begin():
            rebuild(session)
        with psycopg.connect(app.pg_url, autocommit=True) as raw:
            raw.execute(f'SET search_path TO "{app.schema}"')
            raw.execute("VACUUM ANALYZE")
            counts = {table: raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                      for table in ("contacts", "companies", "sales_orders",
                                    "sales_order_lines")}
            states = dict(raw.execute("SELECT state, count(*) FROM sales_orders "
                                      "GROUP BY state ORDER BY 2 DESC").fetchall())
        self.figures.update(rows=counts, order_states=states,
                            seconds=time.perf_counter() - started)
        log(f"generated in {self.figures['seconds']:.0f} s: {counts}")
        return self.figures

    def spare_orders(self) -> int:
        """Confirmed orders the pipeline pays: every round, the warm-up and the lag."""
        args = self.args
        return 2 * (args.events * args.rounds + warmup_events(args)) + args.lag_events

    def companies(self, raw: psycopg.Connection, ring) -> list[int]:
        """One company per five customers, owned as their people are."""
        count = max(1, self.args.customers // 5)
        log(f"{count} companies")
        table = Company.__table__
        rows = []
        for n in range(count):
            province, city = PLACES[n % len(PLACES)]
            rows.append(_encrypt(ring, table, _row(table, {
                "name": f"{city[:2]}{TRADES[n % len(TRADES)]}{n:05d}有限公司",
                "industry": TRADES[n % len(TRADES)], "province": province, "city": city,
                "source": SOURCES[n % len(SOURCES)], "level": LEVELS[n % len(LEVELS)],
                "owner_id": self.owner(n)})))
        copy_rows(raw, self.app.schema, table, rows)
        return [row[0] for row in raw.execute(
            f'SELECT id FROM "{self.app.schema}".companies ORDER BY id')]

    def owner(self, number: int) -> int | None:
        """Staff users take turns; one customer in twenty is nobody's (imported)."""
        return None if number % 20 == 19 else self.staff_ids[number % len(self.staff_ids)]

    def contacts(self, raw: psycopg.Connection, ring, companies: list[int]) -> None:
        count = self.args.customers
        log(f"{count} customers (encrypted columns through the tenant's key ring)")
        table = Contact.__table__
        now = datetime.now(UTC)
        rows = []
        for n in range(count):
            province, city = PLACES[(n * 7) % len(PLACES)]
            rows.append(_encrypt(ring, table, _row(table, {
                "name": name_of(n), "company_id": companies[(n * 3) % len(companies)],
                "title": TITLES[n % len(TITLES)], "phone": phone_of(n),
                "mobile": phone_of(n + count) if n % 2 else None,
                "email": f"c{n}@example.cn", "province": province, "city": city,
                "source": SOURCES[n % len(SOURCES)], "level": LEVELS[n % len(LEVELS)],
                "owner_id": self.owner(n),
                "created_at": now - timedelta(minutes=(n * 7919) % (730 * 24 * 60))})))
            if (n + 1) % 50_000 == 0:
                log(f"  {n + 1}/{count}")
        copy_rows(raw, self.app.schema, table, rows)
        # What the searches look for: a two-character name prefix (a surname and the
        # first character of a given name), and the phone of a staff member's customer.
        self.name_prefix = name_of(2)[:2]
        self.phone_number = 0  # owned by staff01 (owner(0))
        self.phone = phone_of(self.phone_number)
        self.phone_name = name_of(self.phone_number)

    def products(self) -> None:
        """The sales demo's catalogue (CNY products), through the ORM: 30 rows."""
        with self.app.session() as session, session.begin():
            categories = {}
            for position, (top, children) in enumerate(CATEGORIES.items()):
                parent = ProductCategory(name=top, position=position)
                for child in children:
                    categories[child] = ProductCategory(name=child, parent=parent)
            session.add_all([Product(code=code, name=name, category=categories[category],
                                     unit=unit, list_price=price, tax_class=tax_class,
                                     currency=currency, description="")
                             for code, name, category, unit, price, tax_class, currency
                             in PRODUCTS if currency == "CNY"])
            session.flush()
            policy = self.app.registry.getUtility(IAddonCatalogue).composed(
                frozenset(self.app.tenant.addons)).getUtility(ITaxPolicy)
            order = Order(currency="CNY", prices_include_tax=False)
            self.catalogue = [(product.id, product.name, product.list_price,
                               policy.rate(product, order))
                              for product in session.scalars(select(Product).order_by(Product.id))]

    def orders(self, raw: psycopg.Connection, count: int, *, confirmed_only: bool) -> None:
        """``count`` orders of the customers (each owned by its customer's owner), 1–3
        lines each, in states that follow their age; amounts summed from the lines."""
        raw.execute("CREATE TEMP TABLE IF NOT EXISTS bench_products "
                    "(n int, id int, name text, price numeric, rate numeric)")
        raw.execute("TRUNCATE bench_products")
        with raw.cursor() as cursor:
            cursor.executemany("INSERT INTO bench_products VALUES (%s, %s, %s, %s, %s)",
                               [(n, *product) for n, product in enumerate(self.catalogue)])
        first = raw.execute("SELECT coalesce(max(id), 0) FROM sales_orders").fetchone()[0]
        customers = raw.execute("SELECT min(id), count(*) FROM contacts").fetchone()
        # b: a pseudo-random bucket 0–999 per order; age: days since the order date.
        state = "'confirmed'" if confirmed_only else """CASE
              WHEN b < 60 THEN 'cancelled'
              WHEN b < 80 AND age > 10 THEN 'refunded'
              WHEN age <= 3 AND b < 400 THEN 'draft'
              WHEN age <= 7 AND b < 600 THEN 'confirmed'
              WHEN age <= 10 AND b < 800 THEN 'paid'
              WHEN age <= 14 THEN 'shipped'
              ELSE 'completed' END"""
        ages = "(g %% 8)::int" if confirmed_only else "(g %% 91)::int"
        raw.execute(f"""
            WITH base AS (SELECT split_part(number, '-', 2)::int AS year,
                                 max(split_part(number, '-', 3)::int) AS last
                          FROM sales_orders GROUP BY 1)
            INSERT INTO sales_orders (kind, number, state, customer_id, owner_id, currency,
                exchange_rate, prices_include_tax, order_date, untaxed_amount, tax_amount,
                total_amount, paid_at, refunded_amount, refunded_at, notes, created_at,
                updated_at)
            SELECT 'order', 'SO-' || year || '-' ||
                   lpad((coalesce(base.last, 0) + row_number() OVER (
                         PARTITION BY year ORDER BY g))::text, 6, '0'),
                   st, c.id, c.owner_id, 'CNY', 1, false, day, 0, 0, 0,
                   CASE WHEN st IN ('paid', 'shipped', 'completed', 'refunded')
                        THEN least(moment + interval '1 day', now()) END,
                   NULL, CASE WHEN st = 'refunded' THEN moment + interval '5 days' END,
                   '', least(moment, now()), least(moment, now())
            FROM (SELECT g, b, age, day, extract(year FROM day)::int AS year,
                         day + time '01:00' + (b %% 540) * interval '1 minute' AS moment,
                         {state} AS st
                  FROM (SELECT g, (g * 7919 + 17) %% 1000 AS b, {ages} AS age,
                               current_date - {ages} AS day
                        FROM generate_series(1, %(count)s::bigint) AS g) AS numbers) AS o
            LEFT JOIN base USING (year)
            JOIN contacts c ON c.id = %(first_customer)s + (g * 104729) %% %(customers)s
            ORDER BY g""", {"count": count, "first_customer": customers[0],
                            "customers": customers[1]})
        raw.execute("""
            INSERT INTO sales_order_lines (order_id, position, product_id, description,
                quantity, unit_price, discount_pct, tax_rate, untaxed_amount, tax_amount,
                total_amount)
            SELECT id, position, product, name, quantity, price, 0, rate, untaxed,
                   round(untaxed * rate / 100, 2), untaxed + round(untaxed * rate / 100, 2)
            FROM (SELECT o.id, l.position, p.id AS product, p.name, p.price, p.rate,
                         1 + (o.id + l.position) %% 8 AS quantity,
                         round((1 + (o.id + l.position) %% 8) * p.price, 2) AS untaxed
                  FROM sales_orders o
                  CROSS JOIN LATERAL generate_series(0, o.id %% 3) AS l(position)
                  JOIN bench_products p ON p.n = (o.id * 7 + l.position * 13) %% %(products)s
                  WHERE o.id > %(first)s) AS lines""",
                    {"first": first, "products": len(self.catalogue)})
        raw.execute("""
            UPDATE sales_orders o SET untaxed_amount = s.untaxed, tax_amount = s.tax,
                total_amount = s.total,
                refunded_amount = CASE WHEN o.state = 'refunded' THEN s.total END
            FROM (SELECT order_id, sum(untaxed_amount) AS untaxed, sum(tax_amount) AS tax,
                         sum(total_amount) AS total
                  FROM sales_order_lines WHERE order_id > %(first)s GROUP BY order_id) AS s
            WHERE o.id = s.order_id""", {"first": first})


# ---------------------------------------------------------------- pages


def _ms(samples_ns: list[int]) -> dict[str, float]:
    ms = sorted(ns / 1e6 for ns in samples_ns)
    return {"n": len(ms), "median_ms": statistics.median(ms), "p95_ms": percentile(ms, 0.95),
            "min_ms": ms[0]}


SCANS = re.compile(r"(Seq Scan|Index Only Scan|Index Scan|Bitmap Index Scan|Bitmap Heap Scan)"
                   r"(?: Backward)?(?: using (\S+))? on (\S+)")


class PageCase:
    """One page for one user: its URL, and the SQL it runs for its rows and their count."""

    def __init__(self, app: App, client: webtest.TestApp, user: str, kind: str, path: str,
                 expect: str | None) -> None:
        self.app, self.client, self.user, self.kind, self.path = app, client, user, kind, path
        self.expect = expect
        self.statements: list[tuple[str, Any]] = []
        self.page_statements = 0

    def capture(self) -> None:
        """Serve the page once and keep the SQL it sent on the contacts table, as the
        driver got it (schema names translated, bound values included)."""
        sent: list[tuple[str, Any]] = []

        def note(connection, cursor, statement, parameters, context, executemany) -> None:
            sent.append((statement, parameters))

        engine = self.app.database.engine
        event.listen(engine, "before_cursor_execute", note)
        try:
            page = self.client.get(self.path, status=200)
        finally:
            event.remove(engine, "before_cursor_execute", note)
        if self.expect is not None and self.expect not in page.text:
            raise RuntimeError(f"{self.user} {self.kind}: {self.expect!r} not on {self.path}")
        contacts = re.compile(r'\.\s*"?contacts"?\b')
        self.statements = [(text, params) for text, params in sent
                           if text.lstrip().upper().startswith("SELECT")
                           and contacts.search(text)]
        self.page_statements = len(sent)
        if len(self.statements) != 2:
            raise RuntimeError(f"{self.kind}: expected the count and the rows, got "
                               f"{len(self.statements)} statements on contacts")

    def run_app(self) -> int:
        started = time.perf_counter_ns()
        self.client.get(self.path, status=200)
        return time.perf_counter_ns() - started

    def run_raw(self, raw: psycopg.Connection) -> int:
        started = time.perf_counter_ns()
        with raw.transaction():
            for text, params in self.statements:
                raw.execute(text, params).fetchall()
        return time.perf_counter_ns() - started

    def explain(self, raw: psycopg.Connection) -> dict[str, Any]:
        plans = []
        for text, params in self.statements:
            lines = [row[0] for row in raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + text,
                                                   params)]
            plans.append({"sql": text, "plan": lines,
                          "scans": [" ".join(filter(None, match)) for line in lines
                                    for match in SCANS.findall(line)]})
        return {"statements": plans}


def measure(cases: list[PageCase], raw: psycopg.Connection,
            args: argparse.Namespace) -> dict[str, Any]:
    """Warm each case up, then time them all, app and raw SQL interleaved request by
    request; each case's figures, its matching rows and its plans."""
    for case in cases:
        for _ in range(args.warmup):
            case.run_app()
            case.run_raw(raw)
    gc.collect()
    load = os.getloadavg()[0]
    samples: dict[int, tuple[list[int], list[int]]] = {id(case): ([], []) for case in cases}
    log(f"pages: {len(cases)} cases x {args.requests} requests, app and raw SQL interleaved")
    for iteration in range(args.requests):
        for case in cases:
            app_ns, raw_ns = samples[id(case)]
            # Alternate which goes first, so machine noise falls on both alike.
            if iteration % 2:
                raw_ns.append(case.run_raw(raw))
                app_ns.append(case.run_app())
            else:
                app_ns.append(case.run_app())
                raw_ns.append(case.run_raw(raw))
    found: dict[str, Any] = {"load_1min": [load, os.getloadavg()[0]], "cases": {}}
    for case in cases:
        page, sql = (_ms(values) for values in samples[id(case)])
        with raw.transaction():
            rows = raw.execute(*case.statements[0]).fetchone()
            plans = case.explain(raw)
        found["cases"][f"{case.user}: {case.kind}"] = {
            "user": case.user, "kind": case.kind, "path": case.path, "page": page,
            "raw_sql": sql, "ratio_median": page["median_ms"] / sql["median_ms"],
            "matching_rows": rows[0] if rows and len(rows) == 1 else None,
            "page_statements": case.page_statements, "explain": plans}
    return found


def bench_pages(app: App, data: Data, args: argparse.Namespace) -> dict[str, Any]:
    """Every page case for both users; then, with ``--trigram-index``, the searches again
    with a trigram index on the contacts' names."""
    phone_searchable = isinstance(Contact.phone.type, EncryptedText)
    cases = []
    base = f"/t/{SLUG}/contacts/"
    for user in ("admin", "staff01"):
        client = app.logged_in(SLUG, user)
        cases.append(PageCase(app, client, user, "list", base, None))
        cases.append(PageCase(app, client, user, "name prefix",
                              f"{base}?{urlencode({'q': data.name_prefix})}", data.name_prefix))
        if phone_searchable:
            cases.append(PageCase(app, client, user, "exact phone",
                                  f"{base}?{urlencode({'q': data.phone})}", data.phone_name))
    with psycopg.connect(app.pg_url) as raw:
        for case in cases:
            case.capture()
        results: dict[str, Any] = {
            "name_prefix": data.name_prefix, "phone_encrypted": phone_searchable,
            "iterations": args.requests, "warmup": args.warmup, **measure(cases, raw, args)}
        if args.trigram_index:
            # What the searches would cost if an index served the name's ILIKE 'x%' arm of
            # their OR (the blind-index arms have btree indexes): in this database only.
            log("searches again with a trigram index on contacts.name (pg_trgm)")
            with raw.transaction():
                raw.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                raw.execute(f'CREATE INDEX bench_contacts_name_trgm ON "{app.schema}".contacts '
                            "USING gin (name gin_trgm_ops)")
                raw.execute(f'ANALYZE "{app.schema}".contacts')
            results["with_trigram_index"] = measure(
                [case for case in cases if case.kind != "list"], raw, args)
    return results


# ---------------------------------------------------------------- pipeline


class Pipeline:
    """``order.paid`` from the sales workflow, counted by the dashboard's revenue figure."""

    def __init__(self, app: App, servers_: Servers) -> None:
        self.app = app
        self.servers = servers_
        self.worker = Worker(app.registry, servers_.database_url, servers_.redis_url)
        self.payer = app.users["admin"]
        # Every payment of the run is dated at this moment, so all land on one dashboard
        # day, whenever the run crosses midnight in the dashboard's time zone.
        self.moment = datetime.now(UTC)
        self.day = day_of(self.moment)
        self.handlers = app.outbox.handlers.names_for("order.paid", app.tenant.addons)

    def figure(self, expected: int) -> Figure:
        """The dashboard's paid orders of the day, read on its own connection."""
        return Figure(self.servers.database_url,
                      f'SELECT sum(orders) FROM "{self.app.schema}".dashboard_revenue_days '
                      "WHERE day = %s", (self.day,), expected)

    def confirmed(self, session, count: int) -> list[Order]:
        """The next ``count`` confirmed orders, their lines, products and customer loaded."""
        return list(session.scalars(
            select(Order).where(Order.kind == "order", Order.state == "confirmed")
            .order_by(Order.id).limit(count)
            .options(selectinload(Order.lines).selectinload(OrderLine.product),
                     selectinload(Order.customer))))

    def pay(self, session, orders: list[Order], emit) -> None:
        actor = Actor(session, self.payer, emit)
        for order in orders:
            transition(actor, order, "paid", at=self.moment)

    def emit_to_outbox(self, session):
        return lambda name, payload: self.app.outbox.emit(session, self.app.tenant, name,
                                                          payload)

    def pipeline(self, count: int) -> dict[str, float]:
        """``count`` orders paid in one transaction; events per second from its commit
        to the dashboard figure counting the last of them."""
        figure = self.figure(count)
        started = time.perf_counter()
        with self.app.session() as session, session.begin():
            self.pay(session, self.confirmed(session, count), self.emit_to_outbox(session))
        committed = time.perf_counter()
        if not figure.wait(timeout=max(120.0, count / 20)):
            raise RuntimeError(f"the dashboard showed {len(figure.seen_at)} of {count}")
        return {"events_per_second": count / (figure.seen_at[-1] - committed),
                "producer_events_per_second": count / (committed - started),
                "first_event_ms": (figure.seen_at[0] - committed) * 1000}

    def inline(self, count: int) -> float:
        """The baseline: the same payments, then the event rows and the dashboard's
        updates in the same transaction, no queue; events per second of that part."""
        events: list[tuple[str, dict]] = []
        with self.app.session() as session, session.begin():
            self.pay(session, self.confirmed(session, count),
                     lambda name, payload: events.append((name, payload)))
            session.flush()
            started = time.perf_counter()
            for name, payload in events:
                row = OutboxEvent(name=name, payload=payload)
                session.add(row)
                session.flush()
                apply_event(session, row)
        return count / (time.perf_counter() - started)

    def pay_one(self) -> float:
        with self.app.session() as session, session.begin():
            self.pay(session, self.confirmed(session, 1), self.emit_to_outbox(session))
        return time.perf_counter()

    def lag(self, count: int, rate: float) -> dict[str, Any]:
        figure = self.figure(count)
        return lag_figures(figure, paced(count, rate, self.pay_one), rate)


def warmup_events(args: argparse.Namespace) -> int:
    """Orders paid once each way before the timed rounds (the worker's first batches)."""
    return min(100, max(1, args.events // 2))


def bench_pipeline(app: App, servers_: Servers, args: argparse.Namespace) -> dict[str, Any]:
    pipeline = Pipeline(app, servers_)
    try:
        log("starting one worker (concurrency 1)")
        results: dict[str, Any] = {"worker_start_seconds": pipeline.worker.start(),
                                   "handlers": pipeline.handlers}
        log("warming up")
        warm = warmup_events(args)
        pipeline.pipeline(warm)
        pipeline.inline(warm)
        results["throughput"] = throughput(args.events, args.rounds,
                                           lambda: pipeline.inline(args.events),
                                           lambda: pipeline.pipeline(args.events))
        log(f"lag: {args.lag_events} payments, one per transaction, {args.rate}/s")
        results["lag"] = pipeline.lag(args.lag_events, args.rate)
        results["lag"]["target_p95_ms"] = LAG_TARGET_MS
        results["load_1min"] = os.getloadavg()[0]
        return results
    finally:
        pipeline.worker.stop()


# ---------------------------------------------------------------- report


def print_case(label: str, case: dict[str, Any]) -> None:
    target = (f"target ≤ {LIST_TARGET_MS:.0f} ms and ≤ {LIST_RATIO_TARGET:.0f}× raw"
              if case["kind"] == "list" else f"target ≤ {SEARCH_TARGET_MS:.0f} ms")
    page, raw = case["page"], case["raw_sql"]
    print(f"  {label:<26} page {page['median_ms']:7.1f} / {page['p95_ms']:7.1f} ms   "
          f"raw SQL {raw['median_ms']:6.1f} ms   ratio {case['ratio_median']:5.1f}   "
          f"{case['matching_rows'] or 0:>7,} rows   {target}")
    for statement in case["explain"]["statements"]:
        print(f"      scans: {'; '.join(statement['scans'])}")


def print_table(results: dict[str, Any]) -> None:
    data, pages, pipe = results["data"], results["pages"], results["pipeline"]
    print("\n== Results")
    print(f"  tenant: {', '.join(f'{count:,} {table}' for table, count in data['rows'].items())}"
          f" (generated in {data['seconds']:.0f} s)")
    print(f"  pages: median / p95 of {pages['iterations']} requests each, beside the SQL the "
          f"page runs for its rows and count (load {pages['load_1min'][0]:.1f}–"
          f"{pages['load_1min'][1]:.1f})")
    for label, case in pages["cases"].items():
        print_case(label, case)
    trigram = pages.get("with_trigram_index")
    if trigram:
        print("  the searches again, with a trigram index on contacts.name (pg_trgm GIN; made "
              "here only, in no migration):")
        for label, case in trigram["cases"].items():
            print_case(label, case)
    if not pages["phone_encrypted"]:
        print("  exact phone search: not measured: phone not encrypted yet")
    throughput, lag = pipe["throughput"], pipe["lag"]
    rows = [
        (f"inline: {throughput['events']} dashboard updates + event rows, one transaction",
         f"{throughput['inline_events_per_second']:.0f} events/s", "baseline, no queue"),
        ("order.paid → outbox → 1 worker → dashboard, commit to last figure",
         f"{throughput['events_per_second']:.0f} events/s",
         f"target ≥ {THROUGHPUT_TARGET:.0f}/s"),
        ("  ratio pipeline / inline",
         f"{throughput['events_per_second'] / throughput['inline_events_per_second']:.2f}", ""),
        ("  paying them through the sales workflow (before the commit)",
         f"{throughput['producer_events_per_second']:.0f} events/s", ""),
        ("  commit to the first figure", f"{throughput['first_event_ms']:.0f} ms", ""),
        (f"lag commit → figure, {lag['events']} payments at {lag['rate']:.0f}/s "
         "(p50 / p95 / max)",
         f"{lag['p50_ms']:.0f} / {lag['p95_ms']:.0f} / {lag['max_ms']:.0f} ms",
         f"target p95 ≤ {LAG_TARGET_MS:.0f} ms"),
        ("worker start-up (to its first answer)", f"{pipe['worker_start_seconds']:.1f} s", ""),
    ]
    for label, value, note in rows:
        print(f"  {label:<70} {value:>20}   {note}")
    print(f"  handlers of order.paid: {', '.join(pipe['handlers'])}")
    print(f"  (load average {results['load_average'][0]:.2f}; PostgreSQL "
          f"{results['postgresql']}, Python {results['python']})")


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_server_arguments(parser, "sessions and the Celery broker")
    parser.add_argument("--customers", type=int, default=100_000,
                        help="contacts generated (default: %(default)s)")
    parser.add_argument("--orders", type=int, default=300_000,
                        help="orders generated (default: %(default)s)")
    parser.add_argument("--requests", type=int, default=50,
                        help="timed requests per page case (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=5,
                        help="untimed requests per page case first (default: %(default)s)")
    add_pipeline_arguments(parser, what="payments", events=1000, rounds=2, lag_events=200,
                           rate=10.0)
    parser.add_argument("--trigram-index", action="store_true",
                        help="then time the searches again with a pg_trgm index on "
                             "contacts.name, made in the run's database only")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2,000 customers, 6,000 orders, 5 requests, "
                             "50 payments, 1 round, 20 lag payments")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.customers, args.orders, args.requests, args.warmup = 2000, 6000, 5, 1
        args.events, args.rounds, args.lag_events = 50, 1, 20
    if min(args.customers, args.orders, args.requests, args.events, args.rounds,
           args.lag_events) < 1:
        parser.error("counts must be at least 1")
    return args


def run(args: argparse.Namespace, servers_: Servers) -> dict[str, Any]:
    settings = {
        "jimu.database_url": servers_.database_url,
        "jimu.redis_url": servers_.redis_url,
        "jimu.secret_key": secrets.token_urlsafe(40),
        "jimu.celery_eager": "false",
        "jimu.session_timeout_seconds": "900",
        "jimu.pool_recycle_seconds": "3600",
    }
    log("configuring the app and provisioning the tenant (every default addon)")
    app = App(settings)
    try:
        results: dict[str, Any] = {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "arguments": {key: value for key, value in vars(args).items() if key != "json"}
            | {"json": str(args.json) if args.json else None, "servers": servers_.mode},
            "addons": sorted(app.tenant.addons),
        }
        data = Data(app, args)
        results["data"] = data.generate()
        results["pages"] = bench_pages(app, data, args)
        results["pipeline"] = bench_pipeline(app, servers_, args)
        results["python"] = platform.python_version()
        results["sqlalchemy"] = sqlalchemy.__version__
        with psycopg.connect(servers_.database_url) as connection:
            results["postgresql"] = connection.execute("SHOW server_version").fetchone()[0]
        results["load_average"] = os.getloadavg()
        return results
    finally:
        app.database.dispose()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_benchmark(args, servers(args), lambda found: run(args, found), print_table,
                         "the benchmark database was dropped")


if __name__ == "__main__":
    sys.exit(main())
