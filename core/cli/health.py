"""``jimu health``: ask a worker to answer, proving broker, worker and database work."""

from __future__ import annotations

import json

import click
from celery.exceptions import TimeoutError as CeleryTimeout

from ..celery import get_celery
from ..tasks import health as health_task
from .environment import Environment


@click.command()
@click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait.")
@click.pass_obj
def health(environment: Environment, timeout: float) -> None:
    """Queue the health task and print a worker's answer."""
    get_celery(environment.registry)
    try:
        answer = health_task.delay().get(timeout=timeout)
    except CeleryTimeout:
        raise click.ClickException(
            f"no worker answered within {timeout:g} s (is `jimu worker` running?)") from None
    click.echo(json.dumps(answer, ensure_ascii=False))
