"""``jimu worker``: a Celery worker process for this deployment."""

from __future__ import annotations

import click

from ..celery import get_celery
from .environment import Environment


@click.command()
@click.option("--concurrency", default=2, show_default=True, help="Worker processes.")
@click.option("--loglevel", default="info", show_default=True)
@click.pass_obj
def worker(environment: Environment, concurrency: int, loglevel: str) -> None:
    """Run a Celery worker for this deployment."""
    app = get_celery(environment.registry)
    app.worker_main([
        "worker", f"--loglevel={loglevel}", f"--concurrency={concurrency}",
        "--without-gossip", "--without-mingle", "--hostname=jimu@%h",
    ])
