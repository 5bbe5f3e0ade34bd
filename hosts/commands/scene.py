"""``moks scene``: prose or starter scenarios to .mgraph bake graphs."""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from moks_graph import mgraph
from moks_graph.errors import MoksError, Problem
from moks_graph.frames import parse_frame_range
from moks_graph.graph import Graph
from moks_graph.layout import tidy_graph
from moks_graph.nodes.scenescript.compile import compile_scene
from moks_graph.nodes.scenescript.scenarios import STARTERS, starter_graph
from moks_graph.nodes.scenescript.vocabulary import (
    PATTERNS,
    PHRASES,
    ProseConflict,
    VocabularyError,
    parse_prose,
)

#: The procedural skies ``--ambient`` (and the editor's New from prose dialog) offers.
AMBIENT_SKIES: tuple[str, ...] = ("sun", "overcast", "studio")


def prose_graph(prose: str, *, fps: float = 24.0, frames: tuple[int, int] = (1, 120),
                seed: int = 0, phi: float | None = None, ambient: str | None = None,
                subject_track: str | None = None) -> tuple[Graph, list[str]]:
    """The tidied graph ``moks scene PROSE`` writes, and the prose warnings it prints.

    ``phi``: the atmosphere's phase (``--phi``); ``ambient``: one of :data:`AMBIENT_SKIES`
    projected to SH (``--ambient``); ``subject_track``: a ``moks track`` file that becomes the
    moving subject (``--subject-track``, :mod:`moks_graph.hosts.subject_wiring`).
    :class:`~moks_graph.errors.MoksError` ``MG110`` for an unknown word (with "did you
    mean"), ``MG116`` for prose that cannot compile.
    """
    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always", ProseConflict)
            script = parse_prose(prose)
            if phi is not None:
                script = script.model_copy(update={
                    "atmosphere": script.atmosphere.model_copy(update={"phi": phi})})
            graph = compile_scene(script, fps=fps, frames=frames, seed=seed)
    except VocabularyError as exc:
        raise MoksError(Problem("MG110", str(exc), "$.prose", field="prose")) from None
    except ValueError as exc:
        raise MoksError(Problem("MG116", str(exc), "$.prose", field="prose")) from None
    if ambient:
        from moks_graph.hosts.ambient import add_sky_ambient

        add_sky_ambient(graph, ambient)
    if subject_track:
        from moks_graph.hosts.subject_wiring import apply_subject_wiring, subject_wiring

        apply_subject_wiring(graph, subject_wiring(graph, subject_track))
    # one merge node, laid out left to right (the same channels)
    return tidy_graph(graph), [str(w.message) for w in said]


@click.command()
@click.argument("prose", required=False)
@click.option("--out", type=click.Path(dir_okay=False), help="Write the compiled .mgraph here.")
@click.option("--fps", type=float, default=24.0, show_default=True)
@click.option("--frames", default="1-120", show_default=True, metavar="START-END")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--vocabulary", is_flag=True, help="List every phrase the prose parser knows.")
@click.option("--phi", type=click.FloatRange(0.0, 1.0), default=None,
              help="Atmospheric phase, 0 calm .. 1 storm (overrides the prose's haze/fog/storm "
                   "words): camera wind, fog, flicker.")
@click.option("--ambient", type=click.Choice(AMBIENT_SKIES), default=None,
              help="Add an SH ambient (a procedural sky projected to L=2 SH) that moks bake "
                   "writes as each host's dome light / world / skydome.")
@click.option("--starters", type=click.Path(file_okay=False),
              help="Write every starter scenario graph into this folder.")
@click.option("--bake", "bake_host", default=None, metavar="HOST",
              help="Also bake the compiled graph, as moks bake --host HOST does (usd, blender, "
                   "maya, unreal, alembic, chan); needs --bake-out.")
@click.option("--bake-out", type=click.Path(dir_okay=False), default=None,
              help="The host file --bake writes (e.g. shot.fbx for unreal, shot.abc).")
@click.option("--subject-track", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A moks track file (a host scene object's positions) that becomes the moving "
                   "subject the camera and lights follow (docs/moving-targets.md).")
@click.option("--link-to-target", is_flag=True,
              help="With --bake: write the lights and camera aim that follow the moving subject "
                   "as children / constraints of its null (usd, blender, maya, unreal).")
def scene(prose: str | None, out: str | None, fps: float, frames: str, seed: int,
          vocabulary: bool, starters: str | None, phi: float | None,
          ambient: str | None, bake_host: str | None, bake_out: str | None,
          subject_track: str | None, link_to_target: bool) -> None:
    """Compile a SceneScript from PROSE (e.g. "low-key handheld close-up, light fog, Tri-X").

    The graphs it writes (and the starters) are tidied: one eight-input merge, laid out left
    to right (moks_graph.layout.tidy_graph).
    """
    if (bake_host is None) != (bake_out is None):
        raise click.UsageError("--bake HOST and --bake-out PATH go together")
    if link_to_target and bake_host is None:
        raise click.UsageError("--link-to-target goes with --bake HOST --bake-out PATH")
    if vocabulary:
        for phrase, slots in sorted(PHRASES.items()):
            fields = "; ".join(f"{slot}: {vals}" for slot, vals in slots.items())
            click.echo(f"{phrase:24} {fields}")
        for pattern, meaning in PATTERNS.items():
            click.echo(f"{pattern:24} {meaning}")
        return
    if starters:
        folder = Path(starters)
        folder.mkdir(parents=True, exist_ok=True)
        for scenario in STARTERS:
            mgraph.save(tidy_graph(starter_graph(scenario)), folder / f"{scenario.name}.mgraph")
            click.echo(f"wrote {folder / (scenario.name + '.mgraph')}")
        return
    if not prose:
        raise click.UsageError("give PROSE, --vocabulary or --starters DIR")
    graph, said = prose_graph(prose, fps=fps, frames=parse_frame_range(frames), seed=seed,
                              phi=phi, ambient=ambient, subject_track=subject_track)
    for message in said:
        click.echo(f"warning: {message}", err=True)
    if bake_host is not None and bake_out is not None:
        from moks_graph.hosts.bake import bake

        result = bake(graph, bake_host, bake_out, link_to_target=link_to_target)
        click.echo(f"baked {len(result.channels)} channels to {result.path} ({bake_host})",
                   err=not out)
    if out:
        mgraph.save(graph, out)
        rig = graph.meta["scene_script"]["camera"]["rig"]
        click.echo(f"wrote {out}: {len(graph.nodes)} nodes, rig {rig}")
    else:
        click.echo(mgraph.dumps(graph), nl=False)
