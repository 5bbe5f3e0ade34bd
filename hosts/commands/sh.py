"""``moks sh``: an equirectangular HDRI -> the 27 floats of an L=2 SH preset."""

from __future__ import annotations

import json

import click

from moks_graph.errors import NO_PATH, MoksError, Problem
from moks_graph.nodes.environment.hdri import check_hdri
from moks_graph.nodes.environment.sh import load_hdri, project_hdri, sh_to_preset
from moks_graph.nodes.imaging.io import read_array


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
