"""``jimu serve``: the whole deployment in one command.

With no configuration it starts the embedded PostgreSQL and Redis, one Celery
worker and the web server, and stops every one of them on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import click
import psutil
from pyramid.registry import Registry
from zope.interface import implementer

from ..embedded import terminate
from ..events import IServeStarting
from ..i18n import _
from .environment import Environment


@implementer(IServeStarting)
@dataclass
class ServeStarting:
    registry: Registry
    embedded: bool
    data_dir: Path
    echo: Any
    base_url: str


class _Stop(Exception):
    """Raised from the signal handler to unwind into the clean-up path."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signum)


def start_worker(environment: Environment) -> subprocess.Popen:
    """One ``jimu worker`` child, attached to the same servers."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed arguments
        [sys.executable, "-m", "jimucrm.core.cli", "worker", "--concurrency=1",
         "--loglevel=warning"],
        env=environment.child_environ(),
    )


def stop_process_tree(process: subprocess.Popen) -> None:
    """Terminate ``process`` and everything it started."""
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    terminate([process.pid] + [child.pid for child in children])
    process.wait()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=6543, show_default=True, type=int)
@click.option("--worker/--no-worker", default=True, show_default=True,
              help="Start a Celery worker process beside the web server.")
@click.option("--threads", default=8, show_default=True, type=int)
@click.pass_obj
def serve(environment: Environment, host: str, port: int, worker: bool, threads: int) -> None:
    """Serve Jimu (embedded PostgreSQL and Redis unless configured otherwise)."""
    from waitress import create_server

    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    worker_process = None
    try:
        config = environment.config
        if environment.uses_embedded:
            click.echo(environment.translate(
                _("Data directory: ${path}", mapping={"path": str(environment.data_dir)})))
        base_url = f"http://{host}:{port}"
        config.registry.notify(ServeStarting(
            config.registry, environment.uses_embedded, environment.data_dir,
            lambda line: click.echo(environment.translate(line)), base_url))
        if worker:
            worker_process = start_worker(environment)
        server = create_server(config.make_wsgi_app(), host=host, port=port, threads=threads,
                               ident="jimu")
        click.echo(environment.translate(
            _("Jimu is running at ${url}", mapping={"url": base_url + "/"})))
        server.run()
    except (_Stop, KeyboardInterrupt):
        click.echo(environment.translate(_("Stopping…")))
    finally:
        if worker_process is not None:
            stop_process_tree(worker_process)
        environment.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
