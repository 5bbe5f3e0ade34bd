"""``moks demo``: bake graphs (default: the bundled demo) and print a table.

``make run`` calls ``moks demo graphs --host usd --out out`` to bake all eight
starter scenarios and print scenario, rig, frames, channels and time.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from moks_graph import mgraph
from moks_graph.errors import MoksError
from moks_graph.hosts.bake import HOSTS, bake_graph, host_writer
from moks_graph.listing import Listing, MoksConsole

BUNDLED = Path(mgraph.__file__).parent / "data" / "demo.mgraph"


def _rig(graph: mgraph.Graph) -> str:
    rigs = [r.type.rsplit(".", 1)[-1] for r in graph.nodes.values()
            if r.type.startswith("moks.rig.")]
    return ", ".join(rigs) or "-"


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--host", type=click.Choice(sorted(HOSTS)), default=None,
              help="Also write each bake for this host.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="out",
              show_default=True, help="Folder for host files.")
def demo(paths: tuple[str, ...], host: str | None, out_dir: str) -> None:
    """Bake .mgraph files (or every .mgraph in folders) and print a table."""
    files: list[Path] = []
    for p in map(Path, paths or (str(BUNDLED),)):
        files += sorted(p.glob("*.mgraph")) if p.is_dir() else [p]
    writer = host_writer(host) if host else None
    suffix = HOSTS[host].suffixes[0] if host else ""
    if writer is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    console = MoksConsole(width=max(MoksConsole().width, 140))
    table = Listing("scenario", "rig", "frames", "samples", "channels", "bake ms",
                  *(["host file", "write ms"] if host else []))
    failed = 0
    for f in files:
        try:
            graph = mgraph.load(f)
            t0 = time.perf_counter()
            channels = bake_graph(graph)
            bake_ms = (time.perf_counter() - t0) * 1000
            row = [f.stem, _rig(graph), f"{graph.settings.frame_start}-{graph.settings.frame_end}",
                   str(len(channels.time)), str(len(channels)), f"{bake_ms:.1f}"]
            if writer is not None:
                target = Path(out_dir) / f"{f.stem}{suffix}"
                t0 = time.perf_counter()
                writer(channels, target)
                row += [target.name, f"{(time.perf_counter() - t0) * 1000:.1f}"]
            table.add_row(*row)
        except MoksError as exc:
            failed += 1
            table.add_row(f.stem, "[red]failed[/]", "", "", "", "", *([exc.describe(), ""]
                                                                       if host else []))
    console.print(table)
    if failed:
        raise SystemExit(1)
