"""Event pipeline benchmark: figures measured side by side in one run, printed, never asserted.

1. Throughput: ``--events`` events committed at once (an import of paid orders), then
   events per second from that commit to the aggregate a dashboard reads (a
   revenue-per-day row) showing the last of them, through the whole pipeline: the outbox
   rows written by ``IOutbox.emit``, the relay task sent after commit through Redis, one
   real ``jimu worker`` process (one pool process) claiming, handling and marking
   deliveries. Beside it, the baseline: the same event rows and the same aggregate
   updates done inline, in one transaction, with no queue at all.
2. Lag: ``order.paid``-like events emitted one per transaction at a steady rate; for
   each, the time from its commit returning to the aggregate showing it (read by a
   poller on its own connection every 2 ms): median, p95, max.

Runs against its own fresh database (dropped at the end, also on error or Ctrl-C): the
machine's PostgreSQL and Redis by default, or embedded servers with ``--embedded``.

    python benchmarks/events.py                  # the full run, about a minute
    python benchmarks/events.py --quick          # smoke run
    python benchmarks/events.py --json results.json

The worker process imports this file as the module ``events`` (its folder goes on the
worker's PYTHONPATH, and ``jimu.includes`` names it) to register the handler below.
See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from _pipeline import (
    LAG_TARGET_MS,
    THROUGHPUT_TARGET,
    Figure,
    Worker,
    add_pipeline_arguments,
    lag_figures,
    paced,
    throughput,
)
from _servers import log
from sqlalchemy import Column, Date, Integer, MetaData, Numeric, Table, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert

from jimucrm.core.models import TENANT_SCHEMA

EVENT = "bench.order_paid"
HANDLER = "bench.revenue"
MODULE = "events"  # what the worker imports this file as
SLUG = "bench-events"

METADATA = MetaData(schema=TENANT_SCHEMA)
# The dashboard figure: orders and revenue per day.
REVENUE = Table(
    "bench_revenue", METADATA,
    Column("day", Date, primary_key=True),
    Column("orders", Integer, nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
)


def add_revenue(session, payload: dict) -> None:
    """The handler's work, and the inline baseline's: one upsert of the day's row."""
    statement = pg_insert(REVENUE).values(day=date.fromisoformat(payload["day"]), orders=1,
                                          amount=Decimal(payload["amount"]))
    session.execute(statement.on_conflict_do_update(
        index_elements=[REVENUE.c.day],
        set_={"orders": REVENUE.c.orders + 1,
              "amount": REVENUE.c.amount + statement.excluded.amount}))


def revenue_handler(session, event) -> None:
    add_revenue(session, event.payload)


def includeme(config) -> None:
    """Included by the benchmark's app and by its worker (``jimu.includes``)."""
    config.add_domain_event(EVENT, "Benchmark: an order was paid (payload: day, amount).")
    config.add_event_handler(EVENT, revenue_handler, name=HANDLER)


# ---------------------------------------------------------------- the run

class Bench:
    def __init__(self, servers, args: argparse.Namespace) -> None:
        from jimucrm.core import configure
        from jimucrm.core.celery import get_celery
        from jimucrm.core.interfaces import IDatabase, ITenantDirectory
        from jimucrm.core.outbox import IOutbox
        from jimucrm.tenants.interfaces import ITenantProvisioner
        from jimucrm.tenants.upgrade import upgrade_public

        self.servers = servers
        self.args = args
        self.settings = {
            "jimu.database_url": servers.database_url,
            "jimu.redis_url": servers.redis_url,
            "jimu.secret_key": secrets.token_urlsafe(40),
            "jimu.includes": f"jimucrm.tenants jimucrm.security {MODULE}",
        }
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        config = configure(self.settings)
        self.registry = config.registry
        upgrade_public(self.registry)
        self.database = self.registry.getUtility(IDatabase)
        self.outbox = self.registry.getUtility(IOutbox)
        get_celery(self.registry)
        self.registry.getUtility(ITenantProvisioner).create(SLUG, "Benchmark", addons=[])
        self.tenant = self.registry.getUtility(ITenantDirectory).by_slug(SLUG)
        METADATA.create_all(bind=self.database.bind_for(self.tenant.schema_name))
        self.worker = Worker(self.registry, servers.database_url, servers.redis_url,
                             includes=self.settings["jimu.includes"],
                             pythonpath=[Path(__file__).resolve().parent])
        self.next_day = date(2030, 1, 1)

    def figure(self, day: date, expected: int) -> Figure:
        """Polls the day's order count on its own connection."""
        return Figure(self.servers.database_url,
                      f'SELECT orders FROM "{self.tenant.schema_name}".bench_revenue '
                      "WHERE day = %s", (day,), expected)

    def day(self) -> date:
        """A fresh aggregate row for each measurement."""
        self.next_day += timedelta(days=1)
        return self.next_day

    # -- producers
    def emit(self, count: int, day: date, per_commit: int) -> list[float]:
        """Emit ``count`` events; return the time each transaction's commit returned."""
        commits = []
        payload = {"day": day.isoformat(), "amount": "19.90"}
        for start in range(0, count, per_commit):
            with self.database.session(self.tenant.schema_name) as session, session.begin():
                for _ in range(min(per_commit, count - start)):
                    self.outbox.emit(session, self.tenant, EVENT, payload)
            commits.append(time.perf_counter())
        return commits

    def inline(self, count: int, day: date, per_commit: int) -> float:
        """The baseline: the same event row and aggregate update, in the producer's
        transaction; return events per second."""
        from jimucrm.core.outbox.models import OutboxEvent

        payload = {"day": day.isoformat(), "amount": "19.90"}
        started = time.perf_counter()
        for start in range(0, count, per_commit):
            with self.database.session(self.tenant.schema_name) as session, session.begin():
                for _ in range(min(per_commit, count - start)):
                    session.execute(insert(OutboxEvent).values(name=EVENT, payload=payload))
                    add_revenue(session, payload)
        return count / (time.perf_counter() - started)

    def pipeline(self, count: int) -> dict[str, float]:
        """``count`` events committed at once (an import of paid orders, say); events per
        second from that commit to the figure showing the last of them."""
        day = self.day()
        figure = self.figure(day, count)
        started = time.perf_counter()
        (committed,) = self.emit(count, day, count)
        if not figure.wait(timeout=max(60.0, count / 50)):
            raise RuntimeError(f"the aggregate showed {len(figure.seen_at)} of {count} events")
        return {
            "events_per_second": count / (figure.seen_at[-1] - committed),
            "producer_events_per_second": count / (committed - started),
            "first_event_ms": (figure.seen_at[0] - committed) * 1000,
        }

    def lag(self, count: int, rate: float) -> dict[str, Any]:
        day = self.day()
        figure = self.figure(day, count)
        return lag_figures(figure, paced(count, rate, lambda: self.emit(1, day, 1)[0]), rate)


def run(servers, args: argparse.Namespace) -> dict[str, Any]:
    bench = Bench(servers, args)
    try:
        log("starting one worker (concurrency 1)")
        results: dict[str, Any] = {"worker_start_seconds": bench.worker.start()}
        log("warming up")
        bench.pipeline(min(200, args.events))
        bench.inline(min(200, args.events), bench.day(), min(200, args.events))
        results["throughput"] = throughput(
            args.events, args.rounds,
            lambda: bench.inline(args.events, bench.day(), args.events),
            lambda: bench.pipeline(args.events))
        log(f"lag: {args.lag_events} events, one per transaction, {args.rate}/s")
        results["lag"] = bench.lag(args.lag_events, args.rate)
        results["lag"]["target_p95_ms"] = LAG_TARGET_MS
        results["python"] = platform.python_version()
        with psycopg.connect(servers.database_url) as connection:
            results["postgresql"] = connection.execute("SHOW server_version").fetchone()[0]
        results["load_average"] = os.getloadavg()
        return results
    finally:
        bench.worker.stop()
        bench.database.dispose()


def print_table(results: dict[str, Any]) -> None:
    throughput, lag = results["throughput"], results["lag"]
    print("\n== Results")
    rows = [
        (f"inline: {throughput['events']} event rows + aggregate updates, one transaction",
         f"{throughput['inline_events_per_second']:.0f} events/s", "baseline, no queue"),
        ("outbox → relay → 1 worker → aggregate, from the commit to the last figure",
         f"{throughput['events_per_second']:.0f} events/s",
         f"target ≥ {THROUGHPUT_TARGET:.0f}/s"),
        ("  ratio pipeline / inline",
         f"{throughput['events_per_second'] / throughput['inline_events_per_second']:.2f}", ""),
        ("  emitting them (before the commit)",
         f"{throughput['producer_events_per_second']:.0f} events/s", ""),
        ("  commit to the first figure",
         f"{throughput['first_event_ms']:.0f} ms", ""),
        (f"lag commit → figure, {lag['events']} events at {lag['rate']:.0f}/s (p50 / p95 / max)",
         f"{lag['p50_ms']:.0f} / {lag['p95_ms']:.0f} / {lag['max_ms']:.0f} ms",
         f"target p95 ≤ {LAG_TARGET_MS:.0f} ms"),
        ("worker start-up (to its first answer)", f"{results['worker_start_seconds']:.1f} s", ""),
    ]
    for label, value, note in rows:
        print(f"  {label:<72} {value:>22}   {note}")
    print(f"  (load average {results['load_average'][0]:.2f}; PostgreSQL "
          f"{results['postgresql']}, Python {results['python']})")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from _servers import add_server_arguments

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_server_arguments(parser, "the Celery broker (the relay and health tasks)")
    add_pipeline_arguments(parser, what="events", events=5000, rounds=3, lag_events=500,
                           rate=50.0)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1,000 events, 1 round, 100 lag events")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.rounds, args.lag_events = 1000, 1, 100
    return args


def main(argv: list[str] | None = None) -> int:
    from _servers import run_benchmark, servers

    args = parse_args(argv)
    return run_benchmark(args, servers(args), lambda found: run(found, args), print_table,
                         "the benchmark database was dropped")


if __name__ == "__main__":
    sys.exit(main())
