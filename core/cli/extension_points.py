"""``jimu extension-points``: the catalogue of points, read from the code itself."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from ..addons import first_line
from ..i18n import _
from ..interfaces import IAddonCatalogue
from .environment import Environment


@click.command("extension-points")
@click.option("--kind", type=click.Choice(["interface", "event", "slot"]),
              help="Only points of this kind.")
@click.pass_obj
def extension_points(environment: Environment, kind: str | None) -> None:
    """Every interface, event and UI slot; who provides, overrides, subscribes or fills."""
    catalogue = environment.registry.getUtility(IAddonCatalogue)
    table = Table(title=environment.translate(_("Extension points")), show_lines=False)
    # A point's full name is what one greps for: its column never folds; the others do.
    table.add_column(environment.translate(_("Point")), no_wrap=True,
                     min_width=max((len(name) for name in catalogue.points), default=0))
    for heading in (_("Kind"), _("Provided by"), _("Overridden by"),
                    _("Subscribed or filled by"), _("Description")):
        table.add_column(environment.translate(heading), overflow="fold")
    for name in sorted(catalogue.points):
        point = catalogue.points[name]
        if kind is not None and point.kind != kind:
            continue
        users = sorted(point.subscribed_by | point.filled_by)
        table.add_row(name, point.kind, point.provider, ", ".join(sorted(point.overridden_by)),
                      ", ".join(users), first_line(point.doc))
    Console(width=200).print(table)
