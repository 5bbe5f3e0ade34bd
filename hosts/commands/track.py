"""``moks track``: a host scene object's animated position as a subject track file."""

from __future__ import annotations

import click

from moks_graph.cli import console
from moks_graph.hosts.scene_targets import scene_track, write_track


@click.command()
@click.argument("scene", type=click.Path(dir_okay=False))
@click.option("--select", "selector", required=True,
              help="The object: name:<object> (a USD prim name or path, a Blender object, a "
                   "Maya transform) or tag:<tag>.")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="The track file to write (.json), for a moks.subject.track node.")
def track(scene: str, selector: str, out: str) -> None:
    """Sample an object's world position in SCENE (.usd/.usda/.usdc, .blend, .ma) at every frame
    into a track file: the moving target of a moks.subject.track node."""
    result = scene_track(scene, selector)
    path = write_track(result, out)
    span = result.seconds[-1] - result.seconds[0]
    console.print(f"wrote {path}: {result.object} ({result.select}), {len(result.seconds)} "
                  f"samples over {span:.3g} s")
