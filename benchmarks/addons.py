"""Addon benchmarks: figures measured side by side in one run, printed, never asserted.

1. Start-up: ``jimucrm.core.configure(settings)`` + ``make_wsgi_app()`` in a fresh
   Python process each time (median of several runs), with no generated addon, with 5
   and with 40. The addons are real packages written by the ``jimu addon new`` scaffold
   into a temporary folder, each with a route, views, a menu item, a model, an Alembic
   branch, a service (``config.register_service``) and an event subscriber
   (``config.add_event_subscriber``), with dependencies and overrides between them.
2. Per-lookup cost: ``getUtility`` and ``subscribers`` through a tenant's composed
   registry (``catalogue.composed(all addons)``) against one flat ``Components`` holding
   the very same registrations, alternated block by block (ns per lookup, and the ratio).
3. A new addon set: ``catalogue.composed(new_set)`` the first time (cold) and again
   (warm), the first lookups in the new registry, the memory each cached set keeps; then
   (unless ``--no-requests``) a first HTTP request, through WebTest, for a tenant whose
   addon set the process has never seen against one whose set it has.

Parts 1 and 2 need no server (start-up opens no connection: the script checks). Part 3's
requests run against a fresh database (dropped at the end, also on error or Ctrl-C) on
the machine's PostgreSQL and Redis by default, or embedded servers with ``--embedded``.

    python benchmarks/addons.py                 # the full run
    python benchmarks/addons.py --quick         # smoke run, under a minute
    python benchmarks/addons.py --no-requests --json results.json

See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import importlib.metadata
import json
import os
import platform
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import webtest
import zope.interface.adapter
from _servers import Servers, add_server_arguments, log, run_benchmark, servers
from zope.interface import Interface, providedBy
from zope.interface.registry import Components

from jimucrm.addons.contacts.events import ContactCreated
from jimucrm.addons.contacts.interfaces import IContactScorer
from jimucrm.core import configure
from jimucrm.core.addons.graph import closure
from jimucrm.core.cli.scaffold import scaffold_values, write_scaffold
from jimucrm.core.interfaces import IAddonCatalogue, IDatabase
from jimucrm.tenants.interfaces import ITenantProvisioner
from jimucrm.tenants.upgrade import upgrade_public

BASE_DOMAIN = "jimu.test"
PREFIX = "bench_a"  # generated addons are bench_a00, bench_a01, ...
SEED = 20240611  # the dependency graph is the same on every run
RATIO_TARGET = 1.2


# ---------------------------------------------------------------- generated addons


@dataclass
class PlannedAddon:
    """One generated addon: its name, what it depends on, whose service it overrides."""
    index: int
    depends: list[str] = field(default_factory=list)  # generated addons only
    pinned: set[str] = field(default_factory=set)  # depends written with ">=0.1"
    overrides: str | None = None  # a generated addon whose service this one replaces

    @property
    def name(self) -> str:
        return f"{PREFIX}{self.index:02d}"

    @property
    def values(self) -> dict[str, str]:
        return scaffold_values(self.name, "Jimu benchmarks")

    @property
    def package(self) -> str:
        return self.values["package"]

    @property
    def interface(self) -> str:
        return f"I{self.values['model'].removesuffix('Item')}Service"

    @property
    def point(self) -> str:
        return f"{self.package}.interfaces.{self.interface}"


def plan_addons(count: int, seed: int = SEED) -> list[PlannedAddon]:
    """A dependency graph like a real catalogue's: every addon builds on contacts (it
    subscribes to its contact-created event) and on up to 3 of the 10 addons before it;
    every fifth one overrides the service of one of its dependencies. An addon depends
    only on earlier ones, so the first N of the plan are a complete catalogue too."""
    rng = random.Random(seed)
    plan: list[PlannedAddon] = []
    overridden: set[str] = set()
    for index in range(count):
        addon = PlannedAddon(index)
        window = [p.name for p in plan[max(0, index - 10):]]
        addon.depends = sorted(rng.sample(window, min(len(window), rng.choice((0, 1, 1, 2, 3)))))
        addon.pinned = {name for name in addon.depends if rng.random() < 0.3}
        if index % 5 == 4:
            target = next((name for name in addon.depends if name not in overridden), None)
            if target is not None:
                addon.overrides = target
                overridden.add(target)
        plan.append(addon)
    return plan


INCLUDEME_EXTRA = '''

# -- added by benchmarks/addons.py: a service, an override, a subscriber, a service view

from pyramid.security import NO_PERMISSION_REQUIRED
from zope.interface import implementer

from jimucrm.addons.contacts.events import IContactCreated

from .interfaces import %(interface)s
%(override_import)s

@implementer(%(interface)s)
class Service:
    def describe(self):
        return "%(name)s"

%(override_class)s
def on_contact_created(event):
    """Subscribers to IContactCreated, one per addon: the dispatch is what is measured."""

def service_view(request):
    return request.find_service(%(interface)s).describe()


def includeme(config):
    _scaffold_includeme(config)
    config.register_service(Service(), %(interface)s)
    %(override_register)s
    config.add_event_subscriber(on_contact_created, IContactCreated)
    config.add_route("%(name)s_service", "/%(name)s/service")
    config.add_view(service_view, route_name="%(name)s_service", renderer="string",
                    permission=NO_PERMISSION_REQUIRED)
'''

INTERFACES = '''"""Extension points of %(name)s."""

from zope.interface import Interface


class %(interface)s(Interface):
    """The %(name)s service (generated by benchmarks/addons.py)."""

    def describe():
        """A short text."""
'''


def write_addon(projects: Path, addon: PlannedAddon, by_name: dict[str, PlannedAddon]) -> Path:
    """Scaffold the addon's project as ``jimu addon new`` does, then give it more."""
    values = addon.values
    project = projects / values["dist"]
    write_scaffold(project, values)
    package = project / values["package"]
    init = package / "__init__.py"
    source = init.read_text(encoding="utf-8")
    if "def includeme(" not in source:
        raise RuntimeError(f"{init}: the scaffold has no includeme() to extend any more")
    target = by_name[addon.overrides] if addon.overrides else None
    extra = INCLUDEME_EXTRA % {
        "name": addon.name,
        "interface": addon.interface,
        "override_import": (f"from {target.package}.interfaces import {target.interface}\n"
                            if target else ""),
        "override_class": (f"@implementer({target.interface})\nclass Override:\n"
                           f"    def describe(self):\n"
                           f"        return \"{addon.name} overrides {target.name}\"\n\n"
                           if target else ""),
        "override_register": (f"config.register_service(Override(), {target.interface})"
                              if target else ""),
    }
    init.write_text(source.replace("def includeme(", "def _scaffold_includeme(") + extra,
                    encoding="utf-8")
    (package / "interfaces.py").write_text(
        INTERFACES % {"name": addon.name, "interface": addon.interface}, encoding="utf-8")
    manifest = package / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    depends = ["contacts"] + [f"{name}>=0.1" if name in addon.pinned else name
                              for name in addon.depends]
    overrides = (f'[{{point = "{target.point}", addon = "{target.name}"}}]'
                 if target else "[]")
    replacements = {
        "depends = []": "depends = [" + ", ".join(f'"{d}"' for d in depends) + "]",
        "provides = []": f'provides = ["{addon.point}"]',
        "overrides = []": f"overrides = {overrides}",
    }
    for old, new in replacements.items():
        if old not in text:
            raise RuntimeError(f"{manifest}: the scaffold's manifest has no {old!r} any more")
        text = text.replace(old, new)
    manifest.write_text(text, encoding="utf-8")
    return project


def install_dist_info(site: Path, project: Path, addon: PlannedAddon) -> None:
    """Put the package in ``site`` with a ``.dist-info`` beside it, as pip would.

    ``importlib.metadata`` finds entry points in any ``*.dist-info`` folder on
    ``sys.path``: with ``site`` on ``PYTHONPATH`` the addon is discovered exactly like
    one installed from a wheel, without touching any site-packages.
    """
    values = addon.values
    shutil.copytree(project / values["package"], site / values["package"])
    info = site / f"{values['dist'].replace('-', '_')}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {values['dist']}\nVersion: 0.1.0\n"
        f"Summary: {values['title']}: a Jimu CRM addon\nRequires-Dist: jimu-crm>=0.1\n",
        encoding="utf-8")
    (info / "entry_points.txt").write_text(
        f"[jimucrm.addons]\n{addon.name} = {values['package']}\n", encoding="utf-8")
    (info / "top_level.txt").write_text(values["package"] + "\n", encoding="utf-8")
    (info / "INSTALLER").write_text("benchmarks/addons.py\n", encoding="utf-8")


def install_pip(site: Path, projects: list[Path]) -> None:
    """``pip install --target site`` of the projects: built as wheels, no index, no venv."""
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", "--disable-pip-version-check",
                    "--target", str(site), *map(str, projects)],
                   check=True, timeout=1800,
                   env={**_child_env(None), "PIP_ROOT_USER_ACTION": "ignore"})


def _child_env(site: Path | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("JIMU_") and key != "PYTHONPATH"}
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            [str(site), *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


@dataclass
class Workspace:
    """The temporary folder: the generated projects and one install folder per count."""
    root: Path
    plan: list[PlannedAddon]
    sites: dict[int, Path]  # generated addon count -> folder to put on PYTHONPATH
    install: str  # "dist-info" or "pip"


@contextlib.contextmanager
def workspace(counts: list[int], use_pip: bool, keep: bool) -> Iterator[Workspace]:
    """Generate max(counts) addons; for each count, a folder holding the first N."""
    root = Path(tempfile.mkdtemp(prefix="jimu-bench-addons-"))
    try:
        plan = plan_addons(max(counts))
        by_name = {addon.name: addon for addon in plan}
        log(f"writing {len(plan)} addon projects with the scaffold of `jimu addon new`")
        projects = root / "projects"
        projects.mkdir()
        written = [write_addon(projects, addon, by_name) for addon in plan]
        sites: dict[int, Path] = {}
        for count in counts:
            site = sites[count] = root / f"site-{count}"
            site.mkdir()
            if count and use_pip:
                log(f"pip install --target site-{count} of {count} projects (no index)")
                install_pip(site, written[:count])
            else:
                for addon, project in zip(plan[:count], written[:count], strict=True):
                    install_dist_info(site, project, addon)
        yield Workspace(root, plan, sites, "pip" if use_pip else "dist-info")
    finally:
        if keep:
            log(f"kept the generated addons in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------- statistics


def summarize(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "median": statistics.median(ordered),
        "p95": ordered[max(0, -(-95 * len(ordered) // 100) - 1)],
        "mean": statistics.fmean(ordered),
        "min": ordered[0],
        "max": ordered[-1],
    }


# ---------------------------------------------------------------- part 1: start-up

CHILD = r"""
import json, sys, time
started = time.perf_counter()
import jimucrm.core
import jimucrm.core.addons
imported = time.perf_counter()
spent = {}

def timed(module, name):
    # Wraps a module-level function to time it; a rename only loses the breakdown.
    original = getattr(module, name, None)
    if original is None:
        return
    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - began
    setattr(module, name, wrapper)

timed(jimucrm.core.addons, "discover")
timed(jimucrm.core, "include_addons")
config = jimucrm.core.configure(json.loads(sys.argv[1]))
configured = time.perf_counter()
app = config.make_wsgi_app()
done = time.perf_counter()
from jimucrm.core.interfaces import IAddonCatalogue
catalogue = config.registry.getUtility(IAddonCatalogue)
print(json.dumps({
    "import_s": imported - started, "configure_s": configured - imported,
    "make_wsgi_app_s": done - configured, "total_s": done - started,
    "discover_s": spent.get("discover"), "include_addons_s": spent.get("include_addons"),
    "addons": list(catalogue.order), "modules": len(sys.modules),
}))
"""

class ConnectionCounter:
    """Two listening sockets standing in for PostgreSQL and Redis; counts connections.

    Start-up gets URLs pointing here: any connection it opens is counted (and closed at
    once, so a client that tried would fail fast instead of waiting for an answer).
    """

    def __init__(self) -> None:
        self.sockets = {kind: socket.create_server(("127.0.0.1", 0)) for kind in ("pg", "redis")}
        self.counts = {kind: 0 for kind in self.sockets}
        for server in self.sockets.values():
            server.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def port(self, kind: str) -> int:
        return self.sockets[kind].getsockname()[1]

    def _serve(self) -> None:
        while not self._stop.is_set():
            for kind, server in self.sockets.items():
                with contextlib.suppress(TimeoutError, OSError):
                    connection, _ = server.accept()
                    connection.close()
                    self.counts[kind] += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for server in self.sockets.values():
            server.close()


def offline_settings(counter: ConnectionCounter) -> dict[str, str]:
    """Valid settings whose servers do not exist: configure() must not need them."""
    return {
        "jimu.database_url": f"postgresql://jimu@127.0.0.1:{counter.port('pg')}/jimu",
        "jimu.redis_url": f"redis://127.0.0.1:{counter.port('redis')}/0",
        "jimu.secret_key": secrets.token_urlsafe(40),
        "jimu.base_domain": BASE_DOMAIN,
    }


def start_once(site: Path, settings: dict[str, str], expected: int) -> dict[str, Any]:
    """One start-up in a fresh interpreter; wall time measured from here."""
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(settings)],
                          cwd=site.parent, env=_child_env(site), capture_output=True, text=True,
                          timeout=300)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"start-up with {site.name} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    generated = [name for name in result["addons"] if name.startswith(PREFIX)]
    if len(generated) != expected:
        raise RuntimeError(f"start-up found {len(generated)} generated addons, not {expected}: "
                           f"{generated}")
    result["wall_s"] = wall
    return result


def bench_startup(ws: Workspace, counts: list[int], runs: int) -> dict[str, Any]:
    """Every count once untimed (writes the .pyc files), then ``runs`` rounds, rotated."""
    counter = ConnectionCounter()
    try:
        settings = offline_settings(counter)
        log(f"start-up: one untimed run per count ({', '.join(map(str, counts))} addons)")
        for count in counts:
            start_once(ws.sites[count], settings, count)
        samples: dict[int, list[dict[str, Any]]] = {count: [] for count in counts}
        for round_ in range(runs):
            rotation = counts[round_ % len(counts):] + counts[:round_ % len(counts)]
            for count in rotation:
                samples[count].append(start_once(ws.sites[count], settings, count))
            log(f"  round {round_ + 1}/{runs}")
        time.sleep(0.3)  # let the listener count a late connection, if any
    finally:
        counter.close()
    results: dict[str, Any] = {"runs": runs, "connections": dict(counter.counts),
                               "install": ws.install, "by_count": {}}
    for count in counts:
        entry: dict[str, Any] = {"installed_addons": len(samples[count][0]["addons"]),
                                 "modules": samples[count][0]["modules"]}
        for key in ("wall_s", "total_s", "import_s", "configure_s", "discover_s",
                    "include_addons_s", "make_wsgi_app_s"):
            values = [s[key] for s in samples[count] if s[key] is not None]
            entry[key] = summarize(values) if values else None
        results["by_count"][count] = entry
    low, high = min(counts), max(counts)
    if high > low:
        results["per_addon_ms"] = (
            (results["by_count"][high]["total_s"]["median"]
             - results["by_count"][low]["total_s"]["median"]) * 1000 / (high - low))
    return results


# ---------------------------------------------------------------- in-process app


def use_site(site: Path) -> None:
    """Make this process see the addons of ``site`` (as PYTHONPATH does for a child)."""
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()


def addon_interface(catalogue: Any, name: str) -> Any:
    """The interface addon ``name`` provides (its manifest's first ``provides``)."""
    return point_interface(catalogue.manifests[name].provides[0])


def flat_registry(catalogue: Any) -> Components:
    """One registry with every registration of the base and of each addon, in order.

    Addons come in dependency order, so an override registered later replaces what it
    overrides, as it wins in the composed registry.
    """
    flat = Components("jimu:flat")
    for registry in [catalogue.base] + [catalogue.components[name] for name in catalogue.order]:
        for r in registry.registeredUtilities():
            flat.registerUtility(r.component, r.provided, r.name, event=False)
        for r in registry.registeredAdapters():
            flat.registerAdapter(r.factory, r.required, r.provided, r.name, event=False)
        for r in registry.registeredSubscriptionAdapters():
            flat.registerSubscriptionAdapter(r.factory, r.required, r.provided, r.name,
                                             event=False)
        for r in registry.registeredHandlers():
            flat.registerHandler(r.handler, r.required, r.name, event=False)
    return flat


def same_answers(composed: Components, flat: Components, event: object) -> bool:
    """Both registries give the same component for every point and the same handlers."""
    for r in flat.registeredUtilities():
        if composed.getUtility(r.provided, r.name) is not r.component:
            return False
    required = (providedBy(event),)
    return ({id(s) for s in composed.adapters.subscriptions(required, None)}
            == {id(s) for s in flat.adapters.subscriptions(required, None)})


# ---------------------------------------------------------------- part 2: lookups


class IUnregistered(Interface):
    """An interface nobody registers: a lookup that misses."""

def time_pair(statement: str, namespaces: dict[str, dict[str, Any]], blocks: int,
              block_seconds: float) -> dict[str, Any]:
    """ns per call of ``statement`` in each namespace, alternated block by block."""
    timers = {key: timeit.Timer(statement, globals=namespace)
              for key, namespace in namespaces.items()}
    for timer in timers.values():  # warm the caches under test
        timer.timeit(1000)
    probe = min(timer.timeit(2000) for timer in timers.values()) / 2000
    number = max(1000, int(block_seconds / max(probe, 1e-9)))
    samples: dict[str, list[float]] = {key: [] for key in timers}
    keys = list(timers)
    for block in range(blocks):
        for key in keys if block % 2 == 0 else reversed(keys):
            samples[key].append(timers[key].timeit(number) * 1e9 / number)
    result: dict[str, Any] = {key: summarize(values) for key, values in samples.items()}
    result["samples_ns"] = samples
    result["iterations_per_block"] = number
    return result


def bench_lookups(catalogue: Any, blocks: int, block_seconds: float) -> dict[str, Any]:

    names = list(catalogue.order)
    composed = catalogue.composed(frozenset(names))
    flat = flat_registry(catalogue)
    event = ContactCreated(request=None, contact=None)
    overridden = next(point for point in catalogue.points.values()
                      if point.provider in catalogue.manifests and point.overridden_by)
    middle = names[len(names) // 2]
    handlers = len(flat.adapters.subscriptions((providedBy(event),), None))
    overriders = ", ".join(sorted(overridden.overridden_by))
    # (short name, what it is, statement, its names; the registry method is the first word)
    cases = [
        ("getUtility, first addon", f"getUtility, point of {names[0]} (first in the order)",
         "getUtility(I)", {"I": addon_interface(catalogue, names[0])}),
        ("getUtility, middle addon", f"getUtility, point of {middle} (middle)",
         "getUtility(I)", {"I": addon_interface(catalogue, middle)}),
        ("getUtility, last addon", f"getUtility, point of {names[-1]} (last)",
         "getUtility(I)", {"I": addon_interface(catalogue, names[-1])}),
        ("getUtility, overridden point",
         f"getUtility, point of {overridden.provider} overridden by {overriders}",
         "getUtility(I)", {"I": point_interface(overridden.name)}),
        ("queryUtility, a miss", "queryUtility, point nobody registers (a miss)",
         "queryUtility(I)", {"I": IUnregistered}),
        (f"subscribers, {handlers} handlers",
         f"subscribers((event,), None), IContactCreated: {handlers} handlers in as many "
         f"addons", "subscribers(objects, None)", {"objects": (event,)}),
        ("subscriptions (the lookup alone)",
         "  of which the lookup: adapters.subscriptions((providedBy(event),), None)",
         "subscriptions(required, None)", {"required": (providedBy(event),)}),
    ]
    results: dict[str, Any] = {
        "addons": len(names),
        "bases": len(composed.__bases__),
        "same_answers": same_answers(composed, flat, event),
        "blocks": blocks,
        "cases": [],
    }
    log(f"lookups: composed registry of {len(names)} addons vs a flat one, "
        f"{blocks} blocks each, alternated")
    gc.collect()
    for short, label, statement, names_ in cases:
        method = statement.split("(")[0]
        namespaces = {}
        for key, registry in (("composed", composed), ("flat", flat)):
            target = registry.adapters if method == "subscriptions" else registry
            namespaces[key] = {**names_, method: getattr(target, method)}
        measured = time_pair(statement, namespaces, blocks, block_seconds)
        # Each block of one registry ran right beside a block of the other: the median
        # of these per-block ratios shrugs off the machine changing speed between blocks.
        pairs = zip(measured["samples_ns"]["composed"], measured["samples_ns"]["flat"],
                    strict=True)
        measured.update(short=short, label=label,
                        ratio=statistics.median(c / f for c, f in pairs),
                        ratio_of_minima=measured["composed"]["min"] / measured["flat"]["min"])
        results["cases"].append(measured)
    results["worst_ratio"] = max(case["ratio"] for case in results["cases"])
    return results


def point_interface(dotted: str) -> Any:
    module, _, attribute = dotted.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


# ---------------------------------------------------------------- part 3: new addon sets


def new_sets(catalogue: Any, count: int, seen: set[frozenset[str]], rng: random.Random,
             required: tuple[str, ...] = ("contacts",)) -> list[frozenset[str]]:
    """Up to ``count`` addon sets (closed under dependencies) not in ``seen``; adds them.

    Fewer when a small catalogue has no more sets to give.
    """
    generated = [name for name in catalogue.order if name.startswith(PREFIX)]
    found: list[frozenset[str]] = []
    attempts = 0
    while len(found) < count and attempts < 100 * count:
        attempts += 1
        picked = rng.sample(generated, rng.randint(1, len(generated)))
        chosen = frozenset(closure(catalogue.manifests, [*required, *picked]))
        if chosen in seen:
            continue
        catalogue.check_set(chosen)
        seen.add(chosen)
        found.append(chosen)
    return found


def bench_new_sets(catalogue: Any, count: int, seen: set[frozenset[str]]) -> dict[str, Any]:
    """composed(new set): cold, then the first lookups in it, then warm."""
    rng = random.Random(SEED + 1)
    event = ContactCreated(request=None, contact=None)
    sets = new_sets(catalogue, count, seen, rng)
    if len(sets) < 2:
        raise RuntimeError("the catalogue is too small to make new addon sets: raise --counts")
    more = new_sets(catalogue, count, seen, rng)  # for the memory figure, below
    log(f"new addon sets: composed() for {len(sets)} sets never seen, then again")
    cold: list[float] = []
    first_get: list[float] = []
    first_subscribers: list[float] = []
    second_get: list[float] = []
    clock = time.perf_counter_ns
    gc.collect()
    gc.disable()
    try:
        for names in sets:
            t0 = clock()
            registry = catalogue.composed(names)
            t1 = clock()
            registry.getUtility(IContactScorer)
            t2 = clock()
            registry.subscribers((event,), None)
            t3 = clock()
            registry.getUtility(IContactScorer)
            t4 = clock()
            cold.append((t1 - t0) / 1e3)
            first_get.append((t2 - t1) / 1e3)
            first_subscribers.append((t3 - t2) / 1e3)
            second_get.append((t4 - t3) / 1e3)
    finally:
        gc.enable()
    warm_timer = timeit.Timer("composed(names)", globals={"composed": catalogue.composed,
                                                          "names": sets[len(sets) // 2]})
    number = 100_000
    warm_ns = min(warm_timer.timeit(number) for _ in range(5)) * 1e9 / number
    full = frozenset(catalogue.order)
    sizes = [len(names) for names in sets]

    # Memory each cached set keeps: another batch of new sets, traced.
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for names in more:
        registry = catalogue.composed(names)
        registry.getUtility(IContactScorer)
        registry.subscribers((event,), None)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return {
        "sets": len(sets),
        "set_size": summarize(sizes),
        "full_set_size": len(full),
        "cold_composed_us": summarize(cold),
        "first_getUtility_us": summarize(first_get),
        "first_subscribers_us": summarize(first_subscribers),
        "second_getUtility_us": summarize(second_get),
        "warm_composed_ns": warm_ns,
        "bytes_per_cached_set": (after - before) / len(more) if more else None,
    }


# ---------------------------------------------------------------- part 3: first requests


def bench_requests(servers_: Servers, pairs: int) -> dict[str, Any]:
    """First GET for a tenant whose addon set this process never saw vs one it did.

    One app provisions the tenants; a second app, configured apart (as another web
    process would be), serves them. Each tenant is asked once cold (its first request
    in that app: tenant lookup in the database, then the view, which calls
    ``find_service``), then once more (warm). New-set and seen-set tenants alternate.
    """
    settings = {
        "jimu.database_url": servers_.database_url,
        "jimu.redis_url": servers_.redis_url,
        "jimu.secret_key": secrets.token_urlsafe(40),
        "jimu.base_domain": BASE_DOMAIN,
        "jimu.celery_eager": "false",
    }
    log("configuring the provisioning app and upgrading the public schema")
    provisioning = configure(settings)
    upgrade_public(provisioning.registry)
    catalogue = provisioning.registry.getUtility(IAddonCatalogue)
    provisioner = provisioning.registry.getUtility(ITenantProvisioner)
    target = f"{PREFIX}00"
    common = frozenset(closure(catalogue.manifests, [target, f"{PREFIX}01", f"{PREFIX}05"]))
    # New for the serving app, which has seen no set but ``common`` (the sets of part 2
    # were composed by another catalogue).
    fresh = new_sets(catalogue, pairs, {common}, random.Random(SEED + 2), ("contacts", target))
    if not fresh:
        raise RuntimeError("the catalogue is too small to make new addon sets: raise --counts")
    log(f"provisioning {2 * len(fresh) + 1} tenants ({len(fresh)} with addon sets of their "
        f"own)")
    started = time.monotonic()
    provisioner.create("bench-warm", "预热", addons=common)
    for i, names in enumerate(fresh):
        provisioner.create(f"bench-new{i:03d}", f"新组合 {i}", addons=names)
        provisioner.create(f"bench-old{i:03d}", f"旧组合 {i}", addons=common)
    provisioning_s = time.monotonic() - started
    provisioning.registry.getUtility(IDatabase).dispose()

    log("configuring the serving app")
    serving = configure(settings)
    wsgi = serving.make_wsgi_app()
    client = webtest.TestApp(wsgi, extra_environ={"HTTP_HOST": "localhost"}, lint=False)
    path = f"/{target}/service"
    for _ in range(20):  # the process's first requests: pool, routes, the common set
        client.get(f"/t/bench-warm{path}", status=200)
    samples: dict[str, list[float]] = {"new_cold": [], "seen_cold": [], "new_warm": [],
                                       "seen_warm": []}

    def get(slug: str) -> float:
        began = time.perf_counter_ns()
        client.get(f"/t/{slug}{path}", status=200)
        return (time.perf_counter_ns() - began) / 1e6

    gc.collect()
    log(f"first GET {path} for {len(fresh)} tenants with a new set and as many with a seen "
        f"one, alternated")
    for i in range(len(fresh)):
        kinds = ("new", "old") if i % 2 == 0 else ("old", "new")
        for kind in kinds:
            key = "new" if kind == "new" else "seen"
            slug = f"bench-{kind}{i:03d}"
            samples[f"{key}_cold"].append(get(slug))
            samples[f"{key}_warm"].append(get(slug))
    serving.registry.getUtility(IDatabase).dispose()
    result: dict[str, Any] = {key: summarize(values) for key, values in samples.items()}
    result.update(
        pairs=len(fresh), path=f"/t/<slug>{path}", common_set_size=len(common),
        new_set_size=statistics.median(len(names) for names in fresh),
        provisioning_s=provisioning_s,
        cost_of_new_set_ms=(result["new_cold"]["median"] - result["seen_cold"]["median"]))
    return result


# ---------------------------------------------------------------- report


def kib(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 1024:.1f} KiB"


def print_section(title: str) -> None:
    print(f"\n== {title}", flush=True)


def print_startup(startup: dict[str, Any]) -> None:
    print_section(f"Start-up: configure() + make_wsgi_app() in a fresh process "
                  f"(median of {startup['runs']} runs; addons installed as {startup['install']})")
    print(f"  {'generated addons':>17} {'installed':>9} {'wall':>8} {'app':>8} {'app min':>8} "
          f"{'imports':>8} {'configure':>9} {'discover':>8} {'include':>8} {'wsgi':>6}")
    for count, entry in startup["by_count"].items():

        def ms(key: str, entry: dict[str, Any] = entry) -> str:
            value = entry[key]
            return f"{value['median'] * 1000:.0f}" if value else "n/a"

        print(f"  {count:>17} {entry['installed_addons']:>9} {ms('wall_s'):>6}ms "
              f"{ms('total_s'):>6}ms {entry['total_s']['min'] * 1000:>6.0f}ms "
              f"{ms('import_s'):>6}ms {ms('configure_s'):>7}ms "
              f"{ms('discover_s'):>6}ms {ms('include_addons_s'):>6}ms "
              f"{ms('make_wsgi_app_s'):>4}ms")
    if "per_addon_ms" in startup:
        print(f"  each addon adds {startup['per_addon_ms']:.1f} ms to the app's start-up "
              f"(in-process medians, {min(startup['by_count'])} → {max(startup['by_count'])})")
    connections = startup["connections"]
    print(f"  connections opened during start-up: PostgreSQL {connections['pg']}, "
          f"Redis {connections['redis']}", flush=True)


def print_lookups(lookups: dict[str, Any]) -> None:
    print_section(f"Lookup cost: composed registry ({lookups['addons']} addons, "
                  f"{lookups['bases']} bases) vs flat Components with the same registrations "
                  f"(median ns/call over {lookups['blocks']} alternated blocks; ratio: median "
                  f"of the per-block ratios)")
    print(f"  same answers from both: {'yes' if lookups['same_answers'] else 'NO'}")
    width = max(len(case["label"]) for case in lookups["cases"])
    for case in lookups["cases"]:
        print(f"  {case['label']:<{width}}  composed {case['composed']['median']:7.0f}   "
              f"flat {case['flat']['median']:7.0f}   ratio {case['ratio']:.2f}   "
              f"(of minima {case['ratio_of_minima']:.2f})")
    print(f"  worst ratio {lookups['worst_ratio']:.2f}   target ≤ {RATIO_TARGET}", flush=True)


def print_new_sets(sets: dict[str, Any]) -> None:
    print_section(f"A new addon set: {sets['sets']} sets never seen (median "
                  f"{sets['set_size']['median']:.0f} addons of {sets['full_set_size']})")
    for key, label in (("cold_composed_us", "composed(new set), cold"),
                       ("first_getUtility_us", "then first getUtility in it"),
                       ("first_subscribers_us", "then first subscribers() in it"),
                       ("second_getUtility_us", "then second getUtility (one call)")):
        entry = sets[key]
        print(f"  {label:<36} median {entry['median']:8.1f} µs   p95 {entry['p95']:8.1f} µs")
    print(f"  {'composed(seen set), warm':<36} {sets['warm_composed_ns']:8.0f} ns")
    print(f"  memory kept per cached set: {kib(sets['bytes_per_cached_set'])} "
          f"(the cache keeps every set ever seen)", flush=True)


def print_requests(requests: dict[str, Any]) -> None:
    print_section(f"First request for a new addon set: GET {requests['path']} "
                  f"(WebTest, {requests['pairs']} tenants each)")
    for key, label in (("new_cold", "first GET, set never seen"),
                       ("seen_cold", "first GET, set seen already"),
                       ("new_warm", "second GET, new-set tenant"),
                       ("seen_warm", "second GET, seen-set tenant")):
        entry = requests[key]
        print(f"  {label:<30} median {entry['median']:6.2f} ms   p95 {entry['p95']:6.2f} ms")
    print(f"  difference of medians, new − seen (first GET): "
          f"{requests['cost_of_new_set_ms'] * 1000:+.0f} µs", flush=True)


def print_table(results: dict[str, Any]) -> None:
    rows: list[tuple[str, str, str]] = []
    startup = results["startup"]
    for count, entry in startup["by_count"].items():
        rows.append((f"start-up, {count} generated addons (app / wall, median)",
                     f"{entry['total_s']['median'] * 1000:.0f} / "
                     f"{entry['wall_s']['median'] * 1000:.0f} ms", ""))
    if "per_addon_ms" in startup:
        rows.append(("start-up per addon", f"{startup['per_addon_ms']:.1f} ms", ""))
    rows.append(("connections opened by start-up",
                 str(sum(startup["connections"].values())), ""))
    lookups = results["lookups"]
    for case in lookups["cases"]:
        rows.append((f"{case['short']}: composed / flat (ratio)",
                     f"{case['composed']['median']:.0f} / {case['flat']['median']:.0f} ns "
                     f"({case['ratio']:.2f})", f"ratio ≤ {RATIO_TARGET}"))
    sets = results["new_sets"]
    rows.append(("composed(new set), cold (median)",
                 f"{sets['cold_composed_us']['median']:.0f} µs", ""))
    rows.append(("first getUtility in a new set (median)",
                 f"{sets['first_getUtility_us']['median']:.1f} µs", ""))
    rows.append(("composed(seen set), warm", f"{sets['warm_composed_ns']:.0f} ns", ""))
    rows.append(("memory per cached addon set",
                 kib(sets["bytes_per_cached_set"]), ""))
    requests = results.get("requests")
    if requests:
        rows.append(("first GET, new set / seen set (median)",
                     f"{requests['new_cold']['median']:.2f} / "
                     f"{requests['seen_cold']['median']:.2f} ms", ""))
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
    parser.add_argument("--counts", default="0,5,40",
                        help="generated addon counts to start with (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=7,
                        help="timed start-ups per count (default: %(default)s)")
    parser.add_argument("--blocks", type=int, default=60,
                        help="alternated timing blocks per lookup and registry "
                             "(default: %(default)s)")
    parser.add_argument("--sets", type=int, default=200,
                        help="new addon sets composed (default: %(default)s)")
    parser.add_argument("--tenants", type=int, default=30,
                        help="tenants with a new addon set, and as many with a seen one, "
                             "for the first-request figure (default: %(default)s)")
    parser.add_argument("--no-requests", action="store_true",
                        help="skip the first-request figure (then no server is needed)")
    add_server_arguments(parser, "the app's cache generation")
    parser.add_argument("--pip", action="store_true",
                        help="install the generated addons with `pip install --target` "
                             "(builds each as a wheel, offline; slower) instead of writing "
                             "their .dist-info folders")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder with the generated addons")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 run per count, 10 blocks, 30 sets, 3 tenants")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.blocks, args.sets, args.tenants = 1, 10, 30, 3
    try:
        args.counts = sorted({int(value) for value in args.counts.split(",")})
    except ValueError:
        parser.error("--counts takes numbers separated by commas, like 0,5,40")
    if args.counts[0] < 0 or args.counts[-1] < 2 or args.counts[-1] > 99:
        parser.error("--counts must be between 0 and 99, the largest at least 2")
    if min(args.runs, args.blocks, args.sets, args.tenants) < 1:
        parser.error("--runs, --blocks, --sets and --tenants must be at least 1")
    return args


def run(args: argparse.Namespace, ws: Workspace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "arguments": {"counts": args.counts, "runs": args.runs, "blocks": args.blocks,
                      "sets": args.sets, "tenants": args.tenants,
                      "requests": not args.no_requests, "install": ws.install},
        "environment": {"python": platform.python_version(),
                        "zope.interface": _version("zope.interface"),
                        "pyramid": _version("pyramid"), "cpus": os.cpu_count(),
                        "machine": platform.machine(),
                        "c_optimizations": _zope_c_optimizations()},
    }
    env = results["environment"]
    print(f"Python {env['python']}, zope.interface {env['zope.interface']} "
          f"({'C' if env['c_optimizations'] else 'pure Python'} lookups), pyramid "
          f"{env['pyramid']}, {env['cpus']} CPUs, load {os.getloadavg()[0]:.2f}", flush=True)

    results["startup"] = bench_startup(ws, args.counts, args.runs)
    print_startup(results["startup"])

    # Parts 2 and 3 in this process, with the largest catalogue.
    largest = args.counts[-1]
    use_site(ws.sites[largest])
    log(f"configuring the app in this process with {largest} generated addons")
    counter = ConnectionCounter()
    try:
        config = configure(offline_settings(counter))
    finally:
        counter.close()
    catalogue = config.registry.getUtility(IAddonCatalogue)
    block_seconds = 0.005 if args.quick else 0.01
    results["lookups"] = bench_lookups(catalogue, args.blocks, block_seconds)
    print_lookups(results["lookups"])
    seen: set[frozenset[str]] = {frozenset(catalogue.order)}
    results["new_sets"] = bench_new_sets(catalogue, args.sets, seen)
    print_new_sets(results["new_sets"])

    if args.no_requests:
        log("first-request figure skipped (--no-requests)")
    else:
        with servers(args) as servers_:
            results["requests"] = bench_requests(servers_, args.tenants)
            results["requests"]["servers"] = servers_.mode
        print_requests(results["requests"])
    return results


def _version(distribution: str) -> str:
    return importlib.metadata.version(distribution)


def _zope_c_optimizations() -> bool:
    """True when zope.interface's lookups run in its C extension."""
    return "coptimizations" in zope.interface.adapter.LookupBase.__module__


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_benchmark(args, workspace(args.counts, args.pip, args.keep),
                         lambda ws: run(args, ws), print_table,
                         "the temporary folder and the database were removed")


if __name__ == "__main__":
    sys.exit(main())
