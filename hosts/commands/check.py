"""``moks check``: Math-Over-Matter on shareable presets and graphs."""

from __future__ import annotations

import sys

import click

from moks_graph.shareable import check_file


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def check(files: tuple[str, ...]) -> None:
    """Math-Over-Matter: shareable presets and graphs carry math, not binary assets or paths."""
    bad = 0
    for f in files:
        try:
            violations = check_file(f)
        except FileNotFoundError:
            click.echo(f"{f}: no such file", err=True)
            bad += 1
            continue
        for v in violations:
            click.echo(f"{f}: {v}", err=True)
        if violations:
            bad += 1
        else:
            click.echo(f"ok {f}")
    sys.exit(1 if bad else 0)
