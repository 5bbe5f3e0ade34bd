"""``moks bake``: a graph's Channels to a host file."""

from __future__ import annotations

import click

from moks_graph.cli import console, frames_option
from moks_graph.frames import parse_frame_range
from moks_graph.hosts.bake import HOST_OPTIONS, LINK_HOSTS, bake_file


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--host", required=True,
              help="usd | blender | maya | unreal (FBX + Level Sequence script) | alembic "
                   "(.abc camera and transforms) | chan (Nuke camera .chan)")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False))
@frames_option
@click.option("--scene-map", type=click.Path(dir_okay=False), default=None,
              help="JSON scene map resolving the graph's selectors (tag:hero, name:key).")
@click.option("--up-axis", type=click.Choice(["Y", "Z"]), default=None,
              help="USD stage up axis (default Z).")
@click.option("--meters-per-unit", type=click.FloatRange(min=0.0, min_open=True),
              default=None, help="Scene unit in metres for USD and chan (default 0.01, cm).")
@click.option("--phi", type=click.FloatRange(0.0, 1.0), default=None,
              help="Atmospheric phase for every atmosphere node, 0 calm .. 1 storm: camera "
                   "wind on drone/wirecam/technocrane/handheld, fog, flicker "
                   "(docs/classic-mode.md).")
@click.option("--link-to-target", is_flag=True,
              help="Write the lights and camera aim that follow a moving subject as children / "
                   "constraints of its null (usd, blender, maya, unreal; docs/moving-targets.md).")
@click.option("--look/--no-look", default=True, show_default=True,
              help="Write the graph's film look (an OCIO config and CLF beside OUT) and point "
                   "the host at it (usd, blender, maya, unreal; docs/hosts.md).")
@click.option("--ambient/--no-ambient", default=True, show_default=True,
              help="Write the graph's SH ambient as the host's dome light / world / skydome "
                   "/ SkyLight with an environment image beside OUT (usd, blender, maya, "
                   "unreal; docs/hosts.md).")
def bake(file: str, host: str, out: str, frames: str | None, subframes: int | None,
         scene_map: str | None, up_axis: str | None, meters_per_unit: float | None,
         link_to_target: bool, phi: float | None, look: bool, ambient: bool) -> None:
    """Bake a graph's Channels to a host file (atomic; progress on a terminal)."""
    options = {k: v for k, v in (("up_axis", up_axis), ("meters_per_unit", meters_per_unit))
               if v is not None}
    bad = [k for k in options if k not in HOST_OPTIONS.get(host, ())]
    if bad:
        raise click.UsageError("; ".join(
            f"--{k.replace('_', '-')} applies to --host "
            f"{'/'.join(h for h, o in HOST_OPTIONS.items() if k in o)} only, not {host}"
            for k in bad))
    rng = parse_frame_range(frames) if frames else None
    if link_to_target and host not in LINK_HOSTS:
        raise click.UsageError(f"--link-to-target applies to --host "
                               f"{'/'.join(sorted(LINK_HOSTS))} only, not {host}")
    try:
        bake_file(file, host, out, frames=rng, subframes=subframes, console=console,
                  scene_map=scene_map, options=options, link_to_target=link_to_target,
                  phi=phi, look=look, ambient=ambient)
    except ValueError as exc:
        if not (phi is not None and "phi" in str(exc)) and "--no-" not in str(exc):
            raise
        raise click.UsageError(str(exc)) from None
