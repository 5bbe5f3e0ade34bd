"""``moks look export``: film stocks as an OCIO config, a .cube or a CLF."""

from __future__ import annotations

from pathlib import Path

import click

from moks_graph.errors import NO_PATH, MoksError, Problem
from moks_graph.nodes.looks.stocks import STOCK_NAMES


@click.group()
def look() -> None:
    """Film looks (Kodachrome, Vision3 500T/250D, Tri-X)."""


@look.command("list")
def list_stocks() -> None:
    """The stock names."""
    for name in STOCK_NAMES:
        click.echo(name)


@look.command()
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--stock", type=click.Choice(STOCK_NAMES), default=None,
              help="One stock (.cube/.clf); an .ocio config holds every stock as a look.")
@click.option("--exposure", "exposure_ev", type=float, default=0.0, help="Exposure offset [EV].")
@click.option("--size", type=click.IntRange(2, 129), default=33, help=".cube lattice size.")
def export(out: str, stock: str | None, exposure_ev: float, size: int) -> None:
    """Write OUT as .ocio (config with every look), .cube or .clf (one --stock)."""
    from moks_graph.extras import require

    require("PyOpenColorIO", "ocio", "moks look export")  # the 'ocio' extra
    from moks_graph.nodes.looks.ocio_looks import export_clf, export_config, export_cube

    suffix = Path(out).suffix.lower()
    if not Path(out).resolve().parent.is_dir():
        raise MoksError(Problem("MG141", "output folder does not exist", NO_PATH), out)
    if suffix == ".ocio":
        export_config(out, exposure_ev=exposure_ev)
    elif suffix in (".cube", ".clf"):
        if stock is None:
            raise click.UsageError(f"{suffix} holds one look: add --stock NAME")
        if suffix == ".cube":
            export_cube(out, stock, size, exposure_ev)
        else:
            export_clf(out, stock, exposure_ev)
    else:
        raise click.UsageError(f"unknown format {suffix!r}: use .ocio, .cube or .clf")
    click.echo(f"wrote {out}")
