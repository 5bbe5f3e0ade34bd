"""``moks sh`` (HDRI -> 27 SH floats) and ``moks check`` (Math-Over-Matter on shareables)."""

from __future__ import annotations

import json
import sys

import click

from moks_graph.errors import NO_PATH, MoksError, Problem
from moks_graph.nodes.environment.hdri import check_hdri
from moks_graph.nodes.environment.sh import load_hdri, project_hdri, sh_to_preset
from moks_graph.nodes.imaging.io import read_array
from moks_graph.shareable import check_file


@click.command()
@click.argument("hdri", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the sub-kilobyte JSON preset.")
def sh(hdri: str, as_json: bool) -> None:
    """Project an equirectangular HDRI (.hdr, .exr, or a float .npy) to L=2 SH (27 floats)."""
    try:
        data = read_array(hdri) if hdri.lower().endswith(".npy") else load_hdri(hdri)
        coeffs = project_hdri(check_hdri(data))
    except (OSError, ValueError, TypeError) as exc:
        raise MoksError(Problem("MG112", str(exc), NO_PATH), hdri) from None
    if as_json:
        click.echo(json.dumps(sh_to_preset(coeffs), sort_keys=True))
        return
    names = ["L00", "L1-1", "L10", "L11", "L2-2", "L2-1", "L20", "L21", "L22"]
    for name, (r, g, b) in zip(names, coeffs, strict=True):
        click.echo(f"{name:5} {r: .6f} {g: .6f} {b: .6f}")


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
