"""Tenancy benchmarks: figures measured side by side in one run, printed, never asserted.

1. Provisioning: ``ITenantProvisioner.create`` against the same DDL script run as plain
   SQL over psycopg, alternated tenant by tenant (median ms per tenant, and the ratio).
2. Home page latency of a logged-in user with 10 tenants present, then with ``--many``
   tenants present after the app has served a request in every one of them; and the
   same comparison interleaved against a second database that keeps 10 tenants.
3. Memory of the app's pooled PostgreSQL backends, read from PostgreSQL itself
   (``pg_backend_memory_contexts``): fresh, after touching every tenant, after recycling.

Runs against its own fresh databases (dropped at the end, also on error or Ctrl-C):
the machine's PostgreSQL and Redis by default, or embedded servers with ``--embedded``.

    python benchmarks/tenants.py                 # 200 tenants timed, 1,000 in the end
    python benchmarks/tenants.py --quick         # smoke run, well under a minute
    python benchmarks/tenants.py --embedded --json results.json

See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import math
import os
import platform
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy
import webtest
from _app import BenchApp
from _servers import Servers, add_server_arguments, log, run_benchmark, servers
from sqlalchemy import Engine

from jimucrm.tenants.interfaces import ITenantProvisioner
from jimucrm.tenants.slugs import schema_for

BASE_DOMAIN = "jimu.test"
USERNAME = "staff"
HOME_TENANT = "bench-home"
SESSION_SECONDS = 900
PRESENT_TENANTS = 10  # tenants present for the first latency measurement
PROVISIONING_TARGET = 1.3
LATENCY_TARGET = 1.1


# ---------------------------------------------------------------- statistics


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted ``values``."""
    return values[max(0, math.ceil(q / 100 * len(values)) - 1)]


def summarize(samples_ns: list[int]) -> dict[str, float]:
    ms = sorted(ns / 1e6 for ns in samples_ns)
    return {
        "n": len(ms),
        "median_ms": statistics.median(ms),
        "p95_ms": percentile(ms, 95),
        "mean_ms": statistics.fmean(ms),
        "min_ms": ms[0],
        "max_ms": ms[-1],
    }


def human_bytes(value: float | None) -> str:
    if value is None:
        return "n/a"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(value) >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value:.0f} B"


# ---------------------------------------------------------------- the app


class App(BenchApp):
    """The configured app, its WSGI client and the handles the phases need."""

    def __init__(self, settings: dict[str, str]) -> None:
        super().__init__(settings)
        self.provisioner = self.registry.getUtility(ITenantProvisioner)
        self.slugs: list[str] = []
        self.cache_seconds = self.registry.settings["jimu.tenant_cache_seconds"]

    @property
    def engine(self) -> Engine:
        return self.database.engine

    def provision(self, slug: str) -> None:
        self.provisioner.create(slug, f"基准公司 {slug}")
        self.slugs.append(slug)

    def provision_up_to(self, total: int, prefix: str) -> None:
        missing = total - len(self.slugs)
        if missing <= 0:
            return
        log(f"provisioning {missing} more tenants (up to {total})")
        started = time.monotonic()
        for i in range(missing):
            self.provision(f"{prefix}{i:05d}")
            if (i + 1) % 250 == 0:
                log(f"  {i + 1}/{missing} ({time.monotonic() - started:.0f} s)")

    def make_user(self, slug: str) -> None:
        """One user of ``slug`` with no role (the home page needs none)."""
        self.add_user(schema_for(slug), slug, USERNAME)

    def logged_in_client(self, slug: str) -> webtest.TestApp:
        return self.logged_in(slug, USERNAME)

    def serve_home(self, client: webtest.TestApp, slug: str) -> None:
        """One home page request with the tenant directory's cache expired.

        The state each memory figure is read in: a backend that served one whole request
        (tenant lookup in the public schema, then the user in the tenant's schema).
        """
        time.sleep(self.cache_seconds + 0.05 if self.cache_seconds else 0)
        client.get(f"/t/{slug}/", status=200)

    def touch_every_tenant(self) -> dict[str, float]:
        """One visit per tenant: the login page, then a failed login.

        The anonymous GET reads only the public schema (the tenant lookup); the failed
        POST looks the user up in the tenant's own schema, so the pooled backends open
        every tenant's tables, as traffic spread over all tenants would make them do.
        """
        client = self.client()
        started = time.perf_counter()
        for slug in self.slugs:
            form = client.get(f"/t/{slug}/login", status=200).forms["login-form"]
            form["login"] = "nobody-here"
            form["password"] = "wrong"
            form.submit(status=400)
        elapsed = time.perf_counter() - started
        return {"tenants": len(self.slugs), "seconds": elapsed,
                "ms_per_tenant": elapsed * 1000 / max(1, len(self.slugs))}


# ---------------------------------------------------------------- phase 1: provisioning


def tenant_script(provisioner: Any, connection: sqlalchemy.Connection, schema: str) -> str:
    """The DDL script ``create`` runs for a new tenant, for ``schema``.

    Where the provisioner compiles one script per addon set, the set a tenant created
    without ``addons=`` gets (``default_addons()``).
    """
    if hasattr(provisioner, "default_addons"):
        return provisioner.tenant_script(connection, schema, provisioner.default_addons())
    return provisioner.tenant_script(connection, schema)


def bench_provisioning(app: App, servers_: Servers, count: int) -> dict[str, Any]:
    """``Provisioner.create`` vs. the same DDL as plain SQL, alternated tenant by tenant."""
    with app.engine.connect() as connection:
        raw_schemas = [f"bench_raw_{i:05d}" for i in range(count + 1)]
        scripts = [tenant_script(app.provisioner, connection, schema) for schema in raw_schemas]
    statements = scripts[0].count(";\n")
    app_ns: list[int] = []
    raw_ns: list[int] = []

    with psycopg.connect(servers_.database_url, autocommit=True) as raw:

        def run_raw(i: int) -> int:
            started = time.perf_counter_ns()
            with raw.transaction():
                raw.execute(scripts[i])
            return time.perf_counter_ns() - started

        def run_app(i: int) -> int:
            started = time.perf_counter_ns()
            app.provision(f"bench-p{i:05d}")
            return time.perf_counter_ns() - started

        # One untimed round each: compiles the script, warms the pool and psycopg.
        run_app(count)
        run_raw(count)
        log(f"provisioning {count} tenants through the app and {count} schemas as raw SQL, "
            "alternating")
        gc.collect()
        for i in range(count):
            # Alternate which goes first, so drift and noise fall on both alike.
            if i % 2 == 0:
                app_ns.append(run_app(i))
                raw_ns.append(run_raw(i))
            else:
                raw_ns.append(run_raw(i))
                app_ns.append(run_app(i))
            if (i + 1) % 100 == 0:
                log(f"  {i + 1}/{count}")
        # The raw schemas are no tenants: drop them so the catalogue holds tenants only.
        for schema in raw_schemas:
            raw.execute(f'DROP SCHEMA "{schema}" CASCADE')

    app_stats = summarize(app_ns)
    raw_stats = summarize(raw_ns)
    return {
        "tenants": count,
        "ddl_statements": statements,
        "ddl_bytes": len(scripts[0].encode()),
        "app": app_stats,
        "raw_sql": raw_stats,
        "ratio_median": app_stats["median_ms"] / raw_stats["median_ms"],
        "target_ratio": PROVISIONING_TARGET,
    }


# ---------------------------------------------------------------- phase 2: latency


def measure_home(client: webtest.TestApp, slug: str, requests: int,
                 warmup: int) -> dict[str, float]:
    path = f"/t/{slug}/"
    for _ in range(warmup):
        client.get(path, status=200)
    gc.collect()
    samples = []
    for _ in range(requests):
        started = time.perf_counter_ns()
        client.get(path, status=200)
        samples.append(time.perf_counter_ns() - started)
    return summarize(samples)


def measure_interleaved(clients: dict[str, webtest.TestApp], slug: str, requests: int,
                        warmup: int, block: int = 10) -> dict[str, dict[str, float]]:
    """The same page from several apps, alternating in small blocks, so noise hits all."""
    path = f"/t/{slug}/"
    for client in clients.values():
        for _ in range(warmup):
            client.get(path, status=200)
    gc.collect()
    names = list(clients)
    samples: dict[str, list[int]] = {name: [] for name in names}
    for number in range(math.ceil(requests / block)):
        for name in names if number % 2 == 0 else reversed(names):
            client = clients[name]
            for _ in range(block):
                started = time.perf_counter_ns()
                client.get(path, status=200)
                samples[name].append(time.perf_counter_ns() - started)
    return {name: summarize(values) for name, values in samples.items()}


def latency_after_touching(app: App, client: webtest.TestApp, args: argparse.Namespace,
                           *, dispose: bool = True) -> dict[str, Any]:
    """Touch every tenant through the app, then time the home page."""
    if dispose:
        app.engine.dispose()  # new backends: only what the app serves shapes their caches
    log(f"touching all {len(app.slugs)} tenants through the app")
    touch = app.touch_every_tenant()
    log(f"home page latency, {len(app.slugs)} tenants, {args.requests} requests")
    load = os.getloadavg()[0]
    entry: dict[str, Any] = measure_home(client, HOME_TENANT, args.requests, args.warmup)
    entry.update(tenants=len(app.slugs), load_1min=load,
                 touch_ms_per_tenant=touch["ms_per_tenant"])
    return entry


# ---------------------------------------------------------------- phase 3: memory


def _backend_memory(connection: sqlalchemy.Connection) -> dict[str, Any]:
    """This backend's memory contexts, as PostgreSQL reports them (PostgreSQL 14+).

    ``total_bytes`` of a row counts that context alone, so the whole backend is the
    sum over all rows, and CacheMemoryContext with everything under it (relcache,
    catcache, index info...) is its row plus its descendants. PostgreSQL 18 gives
    each row its ``path`` of context ids; before 18 the rows come depth-first, so the
    descendants are the rows right after it with a deeper ``level``.
    """
    result = connection.exec_driver_sql(
        "SELECT pg_backend_pid() AS pid, c.* FROM pg_backend_memory_contexts c")
    rows = [dict(row) for row in result.mappings()]
    connection.rollback()
    total = sum(row["total_bytes"] for row in rows)
    used = sum(row["used_bytes"] for row in rows)
    cache_own = cache_all = 0
    for index, row in enumerate(rows):
        if row["name"] != "CacheMemoryContext":
            continue
        cache_own = row["total_bytes"]
        if "path" in row and row["path"]:
            depth = len(row["path"])
            cache_id = row["path"][-1]
            cache_all = sum(r["total_bytes"] for r in rows
                            if len(r["path"] or ()) >= depth and r["path"][depth - 1] == cache_id)
        else:
            cache_all = cache_own
            for r in rows[index + 1:]:
                if r["level"] <= row["level"]:
                    break
                cache_all += r["total_bytes"]
        break
    return {"pid": rows[0]["pid"] if rows else None, "total_bytes": total, "used_bytes": used,
            "cache_bytes": cache_all, "cache_own_bytes": cache_own, "contexts": len(rows)}


def pool_memory(engine: Engine) -> dict[str, Any]:
    """Memory of every connection idle in the app's pool, each queried on itself."""
    idle = max(1, engine.pool.checkedin())
    with contextlib.ExitStack() as stack:
        connections = [stack.enter_context(engine.connect()) for _ in range(idle)]
        backends = [_backend_memory(connection) for connection in connections]
    return {
        "backends": backends,
        "max_total_bytes": max(b["total_bytes"] for b in backends),
        "max_cache_bytes": max(b["cache_bytes"] for b in backends),
    }


def recycle_pool(app: App, serve: Callable[[], None]) -> str:
    """Let the pool's own ``pool_recycle`` check replace every pooled connection.

    The app runs with a long jimu.pool_recycle_seconds so nothing recycles in the
    middle of a measurement; here the pool's recycle age is lowered for a moment,
    every idle connection is checked out once (the pool closes and reopens each one
    older than the age, exactly as it does in production), and the age is restored.
    """
    pool = app.engine.pool
    if not hasattr(pool, "_recycle"):  # not the SQLAlchemy pool we know: plain dispose
        app.engine.dispose()
        serve()
        return "engine.dispose()"
    saved = pool._recycle
    pool._recycle = 0.001
    try:
        time.sleep(0.01)
        idle = pool.checkedin()
        with contextlib.ExitStack() as stack:
            for _ in range(idle):
                stack.enter_context(app.engine.connect())
    finally:
        pool._recycle = saved
    serve()
    return "the pool's recycle age check at checkout"


# ---------------------------------------------------------------- report


def server_facts(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SHOW server_version").scalar()
        schemas = connection.exec_driver_sql(
            "SELECT count(*) FROM pg_namespace WHERE left(nspname, 2) = 't_'").scalar()
        relations = connection.exec_driver_sql("SELECT count(*) FROM pg_class").scalar()
    return {"server_version": version, "tenant_schemas": schemas, "pg_class_rows": relations}


def print_section(title: str) -> None:
    print(f"\n== {title}", flush=True)


def print_provisioning(provisioning: dict[str, Any]) -> None:
    print_section(f"Provisioning ({provisioning['tenants']} tenants each, alternated; "
                  f"script: {provisioning['ddl_statements']} statements, "
                  f"{provisioning['ddl_bytes']} bytes)")
    for key, label in (("app", "ITenantProvisioner.create"), ("raw_sql", "raw SQL (psycopg)")):
        s = provisioning[key]
        print(f"  {label:<26} median {s['median_ms']:7.2f} ms   p95 {s['p95_ms']:7.2f} ms   "
              f"mean {s['mean_ms']:7.2f} ms")
    print(f"  ratio app/raw (median)     {provisioning['ratio_median']:.2f}   "
          f"target ≤ {PROVISIONING_TARGET}", flush=True)


def print_latency(latency: dict[str, Any], requests: int) -> None:
    print_section(f"Home page GET /t/{HOME_TENANT}/ (logged in, WebTest in-process, "
                  f"{requests} requests each)")
    for kind, title in (("sequential", "one after the other, same user, same database"),
                        ("interleaved", "blocks of 10 alternating with a control database")):
        part = latency[kind]
        print(f"  {kind}: {title}")
        for key in ("few", "many"):
            entry = part[key]
            print(f"    {entry['tenants']:>5} tenants   median {entry['median_ms']:6.2f} ms   "
                  f"p95 {entry['p95_ms']:6.2f} ms   mean {entry['mean_ms']:6.2f} ms   "
                  f"(load {entry['load_1min']:.2f})")
        print(f"    ratio {part['many']['tenants']}/{part['few']['tenants']} (median) "
              f"{part['ratio_median']:.2f}   target ≤ {LATENCY_TARGET}   "
              f"(p95 ratio {part['ratio_p95']:.2f})")
    touch = latency["sequential"]["many"]["touch_ms_per_tenant"]
    print(f"  one visit to each tenant (login page + failed login): {touch:.2f} ms per tenant",
          flush=True)


def print_memory(memory: dict[str, Any], tenants: int) -> None:
    print_section("Memory of the app's pooled backends (pg_backend_memory_contexts, "
                  "largest backend)")
    if "error" in memory:
        print(f"  not readable: {memory['error']}")
        return
    for key, label in (("fresh", "fresh (one home request)"),
                       ("touched", f"after touching {tenants} tenants"),
                       ("recycled", "after the pool recycled it")):
        entry = memory[key]
        pids = ", ".join(str(b["pid"]) for b in entry["backends"])
        print(f"  {label:<30} CacheMemoryContext {human_bytes(entry['max_cache_bytes']):>9}"
              f"   total {human_bytes(entry['max_total_bytes']):>9}   "
              f"({len(entry['backends'])} backend(s), pid {pids})")
    print(f"  recycled by: {memory['recycle_method']}")
    print(f"  catalog cache per tenant touched: "
          f"{human_bytes(memory['per_tenant_cache_bytes'])}", flush=True)


def print_table(results: dict[str, Any]) -> None:
    prov = results["provisioning"]
    lat = results["latency"]
    mem = results["memory"]
    rows: list[tuple[str, str, str]] = [
        ("provisioning, app (median)", f"{prov['app']['median_ms']:.2f} ms/tenant", ""),
        ("provisioning, raw SQL (median)", f"{prov['raw_sql']['median_ms']:.2f} ms/tenant", ""),
        ("provisioning ratio app/raw", f"{prov['ratio_median']:.2f}",
         f"≤ {PROVISIONING_TARGET}"),
    ]
    for kind in ("sequential", "interleaved"):
        part = lat[kind]
        for key in ("few", "many"):
            entry = part[key]
            rows.append((f"home GET, {entry['tenants']} tenants, {kind} (median / p95)",
                         f"{entry['median_ms']:.2f} / {entry['p95_ms']:.2f} ms", ""))
        rows.append((f"home latency ratio {part['many']['tenants']}/{part['few']['tenants']}, "
                     f"{kind}", f"{part['ratio_median']:.2f}", f"≤ {LATENCY_TARGET}"))
    for key, label in (("fresh", "fresh"), ("touched", "all tenants touched"),
                       ("recycled", "after recycle")):
        entry = mem.get(key)
        if entry is None:
            continue
        rows.append((f"backend memory, {label} (Cache / total)",
                     f"{human_bytes(entry['max_cache_bytes'])} / "
                     f"{human_bytes(entry['max_total_bytes'])}", ""))
    if mem.get("per_tenant_cache_bytes") is not None:
        rows.append(("catalog cache per tenant touched",
                     human_bytes(mem["per_tenant_cache_bytes"]), ""))
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    print_section("Results")
    for name, value, target in rows:
        suffix = f"   target {target}" if target else ""
        print(f"  {name:<{width}}  {value:>{value_width}}{suffix}")


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_server_arguments(parser, "sessions, which expire on their own after 15 minutes")
    parser.add_argument("--tenants", type=int, default=200,
                        help="tenants provisioned in the timed comparison (default: %(default)s)")
    parser.add_argument("--many", type=int, default=1000,
                        help="tenants present for the second latency measurement "
                             "(default: %(default)s)")
    parser.add_argument("--requests", type=int, default=300,
                        help="home page requests per latency measurement (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=30,
                        help="untimed requests before each latency measurement")
    parser.add_argument("--tenant-cache-seconds", type=int, default=1,
                        help="jimu.tenant_cache_seconds of the app (default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 20 tenants, 100 many, 100 requests")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    if args.quick:
        args.tenants, args.many, args.requests, args.warmup = 20, 100, 100, 10
    if args.tenants < 1 or args.requests < 1:
        parser.error("--tenants and --requests must be at least 1")
    return args


def run(args: argparse.Namespace, servers_: Servers) -> dict[str, Any]:
    settings = {
        "jimu.database_url": servers_.database_url,
        "jimu.redis_url": servers_.redis_url,
        "jimu.secret_key": secrets.token_urlsafe(40),
        "jimu.base_domain": BASE_DOMAIN,
        "jimu.tenant_cache_seconds": str(args.tenant_cache_seconds),
        "jimu.celery_eager": "false",
        # The run's own keys in Redis are sessions, which expire on their own (other runs
        # may share the Redis database, so nothing is deleted there).
        "jimu.session_timeout_seconds": str(SESSION_SECONDS),
        # Long on purpose: recycling is shown explicitly, never in the middle of a timing.
        "jimu.pool_recycle_seconds": "3600",
        # Touching each tenant is a failed login from one address: don't throttle it.
        "jimu.login_ip_max_failures": "1000000",
    }
    log("configuring the app and upgrading the public schema")
    app = App(settings)
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "arguments": {"tenants": args.tenants, "many": args.many, "requests": args.requests,
                      "warmup": args.warmup, "tenant_cache_seconds": args.tenant_cache_seconds,
                      "servers": servers_.mode},
        "environment": {
            "python": platform.python_version(),
            "sqlalchemy": sqlalchemy.__version__,
            "psycopg": psycopg.__version__,
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
            "pool_size": app.engine.pool.size(),
            "pool_class": type(app.engine.pool).__name__,
        },
    }
    results["environment"].update(server_facts(app.engine))
    print(f"PostgreSQL {results['environment']['server_version']} ({servers_.mode}), "
          f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, "
          f"psycopg {psycopg.__version__}, {os.cpu_count()} CPUs", flush=True)

    # -- a few tenants: in this run's database, and in a control database that keeps them
    #    few (for the interleaved comparison at the end)
    control = App({**settings, "jimu.database_url": servers_.databases[1]})
    users: dict[str, webtest.TestApp] = {}
    for name, instance in (("main", app), ("control", control)):
        instance.provision(HOME_TENANT)
        for i in range(PRESENT_TENANTS - 1):
            instance.provision(f"bench-few{i:02d}")
        instance.make_user(HOME_TENANT)
        users[name] = instance.logged_in_client(HOME_TENANT)
    user = users["main"]
    few = latency_after_touching(app, user, args)

    # -- provisioning: app vs raw SQL
    results["provisioning"] = bench_provisioning(app, servers_, args.tenants)
    print_provisioning(results["provisioning"])

    # -- many tenants: provision, fresh memory, touch every one, latency, memory
    app.provision_up_to(args.many, "bench-m")
    results["environment"].update(server_facts(app.engine))
    app.engine.dispose()  # provisioning's DDL filled the backends' caches: start clean
    app.serve_home(user, HOME_TENANT)
    memory: dict[str, Any] = {}
    try:
        memory["fresh"] = pool_memory(app.engine)
    except sqlalchemy.exc.DBAPIError as exc:
        memory["error"] = str(exc.orig).splitlines()[0]
        log(f"backend memory not readable: {memory['error']}")
    many = latency_after_touching(app, user, args, dispose=False)
    if "error" not in memory:
        memory["touched"] = pool_memory(app.engine)

    # -- the same comparison interleaved: this database (many tenants, backends that
    #    touched them all) against the control database (a few), request blocks alternating
    control.engine.dispose()
    control.touch_every_tenant()
    log(f"home page latency, {len(app.slugs)} vs {len(control.slugs)} tenants, interleaved")
    load = os.getloadavg()[0]
    side = measure_interleaved({"many": user, "few": users["control"]}, HOME_TENANT,
                               args.requests, args.warmup)
    for key, instance in (("many", app), ("few", control)):
        side[key].update(tenants=len(instance.slugs), load_1min=load)
    results["latency"] = {
        "sequential": {
            "few": few,
            "many": many,
            "ratio_median": many["median_ms"] / few["median_ms"],
            "ratio_p95": many["p95_ms"] / few["p95_ms"],
        },
        "interleaved": {
            **side,
            "ratio_median": side["many"]["median_ms"] / side["few"]["median_ms"],
            "ratio_p95": side["many"]["p95_ms"] / side["few"]["p95_ms"],
        },
        "target_ratio": LATENCY_TARGET,
    }
    print_latency(results["latency"], args.requests)

    # -- memory after the pool recycles
    if "error" not in memory:
        memory["recycle_method"] = recycle_pool(
            app, lambda: app.serve_home(user, HOME_TENANT))
        memory["recycled"] = pool_memory(app.engine)
        grown = memory["touched"]["max_cache_bytes"] - memory["fresh"]["max_cache_bytes"]
        memory["per_tenant_cache_bytes"] = grown / max(1, len(app.slugs) - 1)
    results["memory"] = memory
    print_memory(memory, len(app.slugs))
    control.database.dispose()
    app.database.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The main database, and a control one that keeps only a few tenants.
    return run_benchmark(args, servers(args, ("", "_few")), lambda found: run(args, found),
                         print_table, "the benchmark databases were dropped")


if __name__ == "__main__":
    sys.exit(main())
