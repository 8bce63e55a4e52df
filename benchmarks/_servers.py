"""What every benchmark script needs to run against real servers, and to clean up.

* :func:`add_server_arguments`: ``--pg-url``, ``--redis-url`` and ``--embedded``;
* :func:`servers`: fresh databases (dropped at the end, also on an error) on the
  machine's PostgreSQL, or on embedded PostgreSQL and Redis in a temporary folder;
* :func:`run_benchmark`, the body of a script's ``main()``: a run never follows a
  ``JIMU_*`` variable to somebody's real database, Ctrl-C or SIGTERM end it through
  the same clean-up as an error does, and the results are printed (and written as
  JSON with ``--json``).

The scripts are run as ``python benchmarks/NAME.py``, so this module is imported as
``_servers`` (the scripts' own folder is first on ``sys.path``).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import redis
from sqlalchemy.engine import make_url

from jimucrm.core.embedded import EmbeddedServices
from jimucrm.core.settings import SETTINGS

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
R = TypeVar("R")
T = TypeVar("T")


def log(message: str) -> None:
    """Progress goes to stderr, results to stdout."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Servers:
    admin_url: str  # maintenance database, for CREATE/DROP DATABASE
    databases: tuple[str, ...]  # this run's own databases (plain postgresql:// URLs)
    redis_url: str
    mode: str  # "external" or "embedded"

    @property
    def database_url(self) -> str:
        """The run's first (main) database."""
        return self.databases[0]


def plain_pg_url(url: str, database: str | None = None) -> str:
    """``url`` for psycopg (no SQLAlchemy driver name), optionally on another database."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def add_server_arguments(parser: argparse.ArgumentParser, redis_use: str) -> None:
    """``--pg-url``, ``--redis-url`` (``redis_use``: what the run keeps there), ``--embedded``."""
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL,
                        help="any database of the PostgreSQL to use: the run creates its own "
                             "database(s) beside it and drops them (default: %(default)s)")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL,
                        help=f"Redis for {redis_use} (default: %(default)s)")
    parser.add_argument("--embedded", action="store_true",
                        help="use embedded PostgreSQL and Redis in a temporary folder instead")


@contextlib.contextmanager
def servers(args: argparse.Namespace, suffixes: tuple[str, ...] = ("",)) -> Iterator[Servers]:
    """One fresh database per suffix (``jimu_bench_<id><suffix>``) and a Redis database;
    everything made here is removed on exit."""
    workdir: Path | None = None
    embedded: EmbeddedServices | None = None
    try:
        if args.embedded:
            workdir = Path(tempfile.mkdtemp(prefix="jimu-bench-"))
            log("starting embedded PostgreSQL and Redis")
            embedded = EmbeddedServices(workdir)
            admin_url = plain_pg_url(embedded.database_url())
            redis_url = embedded.redis_url()
        else:
            admin_url = plain_pg_url(args.pg_url)
            redis_url = args.redis_url
        run_id = uuid.uuid4().hex[:10]
        names = [f"jimu_bench_{run_id}{suffix}" for suffix in suffixes]
        with redis.Redis.from_url(redis_url) as client:
            client.ping()  # fail before creating anything if Redis is not there
        try:
            with psycopg.connect(admin_url, autocommit=True) as connection:
                for name in names:
                    connection.execute(f'CREATE DATABASE "{name}"')
            yield Servers(admin_url, tuple(plain_pg_url(admin_url, name) for name in names),
                          redis_url, "embedded" if embedded else "external")
        finally:
            log(f"dropping {', '.join(names)}")
            with psycopg.connect(admin_url, autocommit=True) as connection:
                for name in names:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        if embedded is not None:
            log("stopping embedded servers")
            embedded.stop()
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def ignore_jimu_environment() -> None:
    """Drop ``JIMU_*`` variables: they would override the run's settings (see
    jimucrm.core.settings) and could point it at somebody's real database. Then set
    a fresh ``JIMU_MASTER_KEY`` for the run."""
    for setting in SETTINGS:
        if os.environ.pop(setting.env_name, None) is not None:
            log(f"ignoring {setting.env_name} from the environment")
    if os.environ.pop("JIMU_MASTER_KEY", None) is not None:
        log("ignoring JIMU_MASTER_KEY from the environment")
    # Installed models have encrypted fields, so the app starts only with a master key:
    # a fresh one for the run's fresh databases (child processes inherit it).
    os.environ["JIMU_MASTER_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode("ascii")


_interrupted: list[int] = []  # the signals received


def _raise_interrupt(signum: int, frame: Any) -> None:
    _interrupted.append(signum)
    raise KeyboardInterrupt(f"signal {signum}")


def run_interruptibly(resources: AbstractContextManager[R], work: Callable[[R], T]) -> T | None:
    """``work(resource)`` inside ``with resources``; None when Ctrl-C or SIGTERM ended it.

    Either signal raises in the work, so the resources' clean-up runs; from the end of
    the work on both are ignored, so a second Ctrl-C cannot cut that clean-up short. A
    shell may have started the process with SIGINT ignored: the handler is set anyway.
    """
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        with resources as resource:
            try:
                return work(resource)
            finally:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
    except BaseException:
        # The interrupt may surface as another error (a request cut short answers 500).
        if not _interrupted:
            raise
        return None


def run_benchmark(args: argparse.Namespace, resources: AbstractContextManager[R],
                  work: Callable[[R], dict[str, Any]],
                  print_table: Callable[[dict[str, Any]], None], cleaned_up: str) -> int:
    """Run ``work(resource)`` inside ``resources``, print its results with
    ``print_table`` and write them to ``args.json`` if given; the exit status.

    ``cleaned_up`` says what the clean-up removed when a signal ended the run (130).
    """
    ignore_jimu_environment()
    started = time.monotonic()
    results = run_interruptibly(resources, work)
    if results is None:
        log(f"interrupted; {cleaned_up}")
        return 130
    results["seconds"] = round(time.monotonic() - started, 1)
    print_table(results)
    print(f"\n  ({results['seconds']:.0f} s in all)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
        print(f"  results written to {args.json}")
    return 0
