"""What the event pipeline benchmarks share: a real worker process, and a poller that
notes when a dashboard figure shows each event.

* :class:`Worker`: one ``jimu worker --concurrency=1`` process on the run's database
  and Redis, started and waited for (its first answer to the health task), stopped
  with its pool processes by PID;
* :class:`Figure`: polls a count on its own connection every 2 ms and notes when it
  first reached each value above where it started;
* :func:`add_pipeline_arguments`, :func:`throughput`: ``--events``, ``--rounds``,
  ``--lag-events`` and ``--rate``, and the throughput rounds, the pipeline and its
  inline baseline alternating;
* :func:`paced` and :func:`lag_figures`: events one per transaction at a steady
  rate, and how long each took from its commit to the figure;
* :func:`percentile`: nearest rank.

Used by ``events.py`` (a synthetic event) and ``crm.py`` (the sales addon's
``order.paid`` and the dashboard's aggregate). Imported as ``_pipeline``, like
``_servers``: the scripts' own folder is first on ``sys.path``.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import psycopg


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` from 0 to 1) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


THROUGHPUT_TARGET = 500.0  # events/s, from the commit to the figure, one worker
LAG_TARGET_MS = 1000.0  # p95


def add_pipeline_arguments(parser: argparse.ArgumentParser, *, what: str, events: int,
                           rounds: int, lag_events: int, rate: float) -> None:
    """The pipeline measurements' options; ``what`` names the events (\"events\", ...)."""
    parser.add_argument("--events", type=int, default=events,
                        help=f"{what} committed at once per throughput measurement "
                             "(default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=rounds,
                        help="throughput rounds, inline and pipeline alternating "
                             "(default: %(default)s)")
    parser.add_argument("--lag-events", type=int, default=lag_events,
                        help=f"{what} in the lag measurement, one per transaction "
                             "(default: %(default)s)")
    parser.add_argument("--rate", type=float, default=rate,
                        help=f"{what} per second in the lag measurement (default: %(default)s)")


def throughput(events: int, rounds: int, inline: Callable[[], float],
               pipeline: Callable[[], dict[str, float]]) -> dict[str, Any]:
    """``rounds`` rounds of ``inline()`` (events/s) and ``pipeline()`` (its figures,
    ``events_per_second`` among them), which one goes first alternating so machine
    noise falls on both alike; every round, and the medians."""
    from _servers import log

    runs = []
    for index in range(rounds):
        figures: dict[str, Any] = {}
        for kind in ("inline", "pipeline") if index % 2 == 0 else ("pipeline", "inline"):
            if kind == "inline":
                figures["inline_events_per_second"] = inline()
            else:
                figures.update(pipeline())
        runs.append(figures)
        log(f"round {index + 1}: inline {figures['inline_events_per_second']:.0f}/s, "
            f"pipeline {figures['events_per_second']:.0f}/s")
    return {"events": events, "rounds": runs, "target": THROUGHPUT_TARGET,
            **{key: statistics.median(run[key] for run in runs) for key in runs[0]}}


def paced(count: int, rate: float, commit_one: Callable[[], float]) -> list[float]:
    """Call ``commit_one`` (one event, one transaction; it returns when its commit did)
    ``count`` times, ``rate`` per second; the commit times."""
    commits = []
    interval = 1.0 / rate
    next_at = time.perf_counter()
    for _ in range(count):
        next_at += interval
        commits.append(commit_one())
        time.sleep(max(0.0, next_at - time.perf_counter()))
    return commits


def lag_figures(figure: Figure, commits: list[float], rate: float,
                timeout: float = 60.0) -> dict[str, Any]:
    """Wait for ``figure`` to count every commit; each one's lag (ms): p50, p95, max."""
    if not figure.wait(timeout):
        raise RuntimeError(f"the figure showed {len(figure.seen_at)} of {len(commits)} events")
    lags = [(seen - committed) * 1000 for seen, committed in zip(figure.seen_at, commits,
                                                                  strict=True)]
    return {"events": len(commits), "rate": rate, "p50_ms": statistics.median(lags),
            "p95_ms": percentile(lags, 0.95), "max_ms": max(lags),
            "samples_ms": [round(value, 2) for value in lags]}


class Figure:
    """Polls ``query`` (one integer) on its own connection and notes when each count shows.

    ``seen_at[k]`` is when the figure first reached ``start + k + 1``, ``start``
    being its value when the poller began: so the events already counted before
    the measurement do not matter.
    """

    def __init__(self, pg_url: str, query: str, params: Sequence[Any], expected: int) -> None:
        self.seen_at: list[float] = []
        self.start: int | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._poll,
                                        args=(pg_url, query, tuple(params), expected),
                                        daemon=True)
        self._thread.start()
        self._ready.wait(30)  # the starting value is read before anything is emitted
        if self._error is not None:
            raise self._error

    def _poll(self, pg_url: str, query: str, params: tuple, expected: int) -> None:
        try:
            with psycopg.connect(pg_url, autocommit=True) as connection:
                def read() -> int:
                    row = connection.execute(query, params).fetchone()
                    return int(row[0] or 0) if row else 0

                self.start = read()
                self._ready.set()
                while not self._stop.is_set() and len(self.seen_at) < expected:
                    count = read() - self.start
                    now = time.perf_counter()
                    while len(self.seen_at) < count:
                        self.seen_at.append(now)
                    time.sleep(0.002)
        except BaseException as exc:  # noqa: BLE001 - reported by the thread that waits
            self._error = exc
            self._ready.set()

    def wait(self, timeout: float) -> bool:
        """Whether every expected count showed within ``timeout`` seconds."""
        self._thread.join(timeout)
        self._stop.set()
        if self._error is not None:
            raise self._error
        return not self._thread.is_alive()


class Worker:
    """One real ``jimu worker --concurrency=1`` process for the run's app.

    The worker gets the run's settings as its command line and environment would
    give them: the database and Redis URLs, ``JIMU_SECRET_KEY``, the run's fresh
    ``JIMU_MASTER_KEY`` (it reads tenant data keys like the app), and ``includes``
    (``JIMU_INCLUDES``) when the run adds a module of its own; ``pythonpath`` folders
    go first on its ``PYTHONPATH``. Other ``JIMU_*`` variables are left out.
    """

    def __init__(self, registry, database_url: str, redis_url: str, *,
                 includes: str | None = None, pythonpath: Sequence[Path] = ()) -> None:
        self.registry = registry
        self.database_url = database_url
        self.redis_url = redis_url
        self.includes = includes
        self.pythonpath = [str(path) for path in pythonpath]
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        """Start the worker; the seconds until it answered its first task."""
        from jimucrm.core.celery import get_celery
        from jimucrm.core.tasks import health

        env = {key: value for key, value in os.environ.items() if not key.startswith("JIMU_")}
        env["JIMU_SECRET_KEY"] = self.registry.settings["jimu.secret_key"]
        if "JIMU_MASTER_KEY" in os.environ:
            env["JIMU_MASTER_KEY"] = os.environ["JIMU_MASTER_KEY"]
        if self.includes:
            env["JIMU_INCLUDES"] = self.includes
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [*self.pythonpath,
                                                          os.environ.get("PYTHONPATH")]))
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jimucrm.core.cli", "--database-url", self.database_url,
             "--redis-url", self.redis_url, "worker", "--concurrency=1", "--loglevel=warning"],
            env=env)
        get_celery(self.registry).tasks[health.name].apply_async().get(timeout=120)
        return time.perf_counter() - started

    def stop(self) -> None:
        """Stop the worker and its pool processes (by PID), if it runs."""
        if self.process is None or self.process.poll() is not None:
            return
        import psutil

        from jimucrm.core.embedded import terminate

        pids = [self.process.pid] + [child.pid for child in
                                     psutil.Process(self.process.pid).children(recursive=True)]
        terminate(pids)
        self.process.wait(timeout=30)
