"""``moks library list|prune|export``: the calibration library from the command line.

The library file is ``--db PATH``, else ``$MOKS_LIBRARY``, else
``~/.moks/calibration.sqlite`` (:func:`moks_graph.hosts.inverse.library.default_library_path`).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from moks_graph.hosts.inverse.library import (
    DEFAULT_HALF_LIFE_DAYS,
    CalibrationLibrary,
    default_library_path,
)

_db_option = click.option(
    "--db", "db", type=click.Path(dir_okay=False), default=None,
    help="Library file (default: $MOKS_LIBRARY or ~/.moks/calibration.sqlite).")
_half_life_option = click.option(
    "--half-life", "half_life_days", type=click.FloatRange(min=1e-6),
    default=DEFAULT_HALF_LIFE_DAYS, show_default=True, help="Vitality half-life [days].")


def _open(db: str | None, half_life_days: float) -> CalibrationLibrary:
    """Open an existing library (a missing file is an error, not a new empty library)."""
    path = Path(db) if db else default_library_path()
    if not path.is_file():
        raise click.ClickException(f"no calibration library at {path} (matches add to it; "
                                   "--db or $MOKS_LIBRARY choose another)")
    return CalibrationLibrary(path, half_life_days=half_life_days)


@click.group("library")
def library() -> None:
    """The calibration library of past matches (SQLite, vitality decay)."""


@library.command("list")
@_db_option
@_half_life_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--tag", "tags", multiple=True, help="Only entries carrying every given tag.")
def list_entries(db: str | None, half_life_days: float, as_json: bool,
                 tags: tuple[str, ...]) -> None:
    """Entries, most vital first."""
    with _open(db, half_life_days) as lib:
        wanted = {t.strip().lower() for t in tags}
        entries = [e for e in lib.entries() if wanted <= e.tags]
    if as_json:
        click.echo(json.dumps([e.to_json() for e in entries], indent=2, sort_keys=True))
        return
    if not entries:
        click.echo("library is empty" if not wanted else "no entry carries those tags")
        return
    click.echo(f"{'id':>5}  {'vitality':>8}  {'uses':>4}  {'az':>6}  {'el':>5}  "
               f"{'ratio':>5}  {'resid':>7}  tags")
    for e in entries:
        key = e.script.key
        resid = f"{e.residual:.4f}" if e.residual is not None else "-"
        click.echo(f"{e.id:>5}  {e.vitality:>8.3f}  {e.uses:>4}  {key.azimuth_deg:>6.1f}  "
                   f"{key.elevation_deg:>5.1f}  {e.script.fill_rim.key_fill_ratio:>5.1f}  "
                   f"{resid:>7}  {' '.join(sorted(e.tags))}")


@library.command("prune")
@_db_option
@_half_life_option
@click.option("--min-vitality", type=click.FloatRange(min=0.0), default=0.05, show_default=True,
              help="Delete entries whose vitality is below this.")
def prune(db: str | None, half_life_days: float, min_vitality: float) -> None:
    """Delete entries that have faded below --min-vitality."""
    with _open(db, half_life_days) as lib:
        removed = lib.prune(min_vitality)
        left = len(lib)
    click.echo(f"pruned {removed} entries ({left} left)")


@library.command("export")
@click.argument("out", type=click.Path(dir_okay=False))
@_db_option
@_half_life_option
def export(out: str, db: str | None, half_life_days: float) -> None:
    """Write every entry (with its vitality) to OUT as JSON."""
    if not Path(out).resolve().parent.is_dir():
        raise click.BadParameter(f"folder of {out} does not exist", param_hint="OUT")
    with _open(db, half_life_days) as lib:
        path = lib.export(out)
        count = len(lib)
    click.echo(f"exported {count} entries -> {path}")
