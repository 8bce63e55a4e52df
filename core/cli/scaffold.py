"""``jimu addon new NAME``: write a publishable addon package."""

from __future__ import annotations

import datetime
import string
from importlib.resources import files
from pathlib import Path

import click

from ..addons.manifest import NAME
from ..i18n import _
from .environment import Environment

TEMPLATES = files("jimucrm.core.addons") / "scaffold"


class _Template(string.Template):
    # Chameleon templates are full of ${...}: the scaffold uses %%{...} instead.
    delimiter = "%%"


def scaffold_values(name: str, author: str) -> dict[str, str]:
    """The placeholders of the scaffold for addon ``name``."""
    words = name.split("_")
    return {
        "name": name,
        "package": f"jimu_{name}",
        "dist": "jimu-" + name.replace("_", "-"),
        "title": " ".join(word.capitalize() for word in words),
        "title_zh": " ".join(word.capitalize() for word in words),
        "model": "".join(word.capitalize() for word in words) + "Item",
        "table": f"{name}_items",
        "author": author,
        "date": datetime.date.today().isoformat(),
    }


def write_scaffold(target: Path, values: dict[str, str]) -> list[Path]:
    """Render every template into ``target``; return the files written."""
    written = []

    def walk(folder, relative: Path) -> None:
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            name = entry.name
            if entry.is_dir():
                part = values["package"] if name == "package" else name
                walk(entry, relative / part)
            elif name.endswith(".tmpl"):
                path = target / relative / name.removesuffix(".tmpl")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(_Template(entry.read_text(encoding="utf-8"))
                                .substitute(values), encoding="utf-8")
                written.append(path)

    walk(TEMPLATES, Path())
    return written


@click.command("new")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True, help="Where to create the project.")
@click.option("--author", default="", help="Author named in the manifest.")
@click.pass_obj
def new_addon(environment: Environment, name: str, directory: Path, author: str) -> None:
    """Scaffold a publishable addon package NAME (lower-case, e.g. library)."""
    if not NAME.fullmatch(name):
        raise click.BadParameter(environment.translate(_(
            "An addon name is 2–40 lower-case letters, digits or underscores, starting "
            "with a letter.")), param_hint="NAME")
    values = scaffold_values(name, author or "Jimu addon author")
    target = directory / values["dist"]
    if target.exists():
        raise click.ClickException(environment.translate(
            _("${path} already exists; choose another --dir.", mapping={"path": str(target)})))
    files_written = write_scaffold(target, values)
    click.echo(environment.translate(_("Created ${count} files in ${path}.",
                                       mapping={"count": len(files_written),
                                                "path": str(target)})))
    click.echo(f"  pip install -e {target} && jimu addon enable <tenant> {name}")
