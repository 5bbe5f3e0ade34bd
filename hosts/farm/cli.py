"""``moks farm``: bake, match, export, chunk and merge on the farm.

Registered on the ``moks`` command by :func:`install` (called from
``moks_graph/cli.py``)::

    moks farm bake shots/*.mgraph --frames 1-2400 --chunk 100 --host usd --out baked/
    moks farm bake shot.mgraph --host usd --out baked/ --scheduler tcp://head:8786
    moks farm match refs/*.png --out matched/
    moks farm match renders/*.png --out matched/ --alpha   # each render's alpha: its subject
    moks farm export --format openjd shot.mgraph --frames 1-2400 --chunk 100 --out shot.json
    moks farm chunk baked/job-1a2b3c4d5e6f --graph shot --frames 101-200
    moks farm merge baked/job-1a2b3c4d5e6f --graph shot --out shot.usda
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import click
import numpy as np
from rich.markup import escape

from moks_graph import codec, mgraph
from moks_graph.channels import Channels
from moks_graph.cli import MoksGroup, console, err_console, stdout_to_stderr
from moks_graph.errors import NO_PATH, MoksError, Problem
from moks_graph.frames import parse_frame_range
from moks_graph.hosts.farm.bake import (
    concat_chunks,
    evaluate_chunk,
    farm_bake,
    merge_graph,
    run_chunk,
)
from moks_graph.hosts.farm.export import FORMATS, FarmOptions, farm_export
from moks_graph.hosts.farm.jobs import load_job, read_chunk
from moks_graph.hosts.farm.match import farm_match
from moks_graph.hosts.farm.pathmap import map_path
from moks_graph.hosts.farm.writer import farm_writer, write_npz


@click.group(cls=MoksGroup)
def farm() -> None:
    """Bake and match many graphs and images on Dask or farm managers."""


def _common(fn: Any) -> Any:
    fn = click.option("--scheduler", default=None, metavar="ADDRESS",
                      help="Dask scheduler (tcp://host:8786); default: a local cluster.")(fn)
    fn = click.option("--workers", type=click.IntRange(1, 512), default=2, show_default=True,
                      help="Worker processes of the local cluster.")(fn)
    fn = click.option("--retries", type=click.IntRange(0, 10), default=1, show_default=True,
                      help="Dask retries for unexpected (I/O) errors.")(fn)
    fn = click.option("--timeout", type=float, default=None,
                      help="Seconds for the whole batch.")(fn)
    fn = click.option("--json", "as_json", is_flag=True,
                      help="Print the summary as JSON (title, columns, one record per row).")(fn)
    return click.option("--progress/--no-progress", default=True,
                        help="Live progress bar.")(fn)


def _print_report(report: Any, as_json: bool) -> None:
    """The summary: a table on a terminal, plain lines when piped, or JSON."""
    table = report.table()
    if as_json:
        click.echo(json.dumps(table.to_json(), indent=2, sort_keys=True))
    else:
        console.print(table)


@farm.command()
@click.argument("graphs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--frames", default=None, metavar="FRAMES",
              help="Frame range for every graph, e.g. 1-2400 (default: each graph's).")
@click.option("--chunk", type=click.IntRange(1), default=100, show_default=True,
              help="Frames per chunk.")
@click.option("--host", default="usd", show_default=True,
              help="usd | maya | blender | unreal | npz")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder for the merged files and the job directory.")
@click.option("--subframes", type=click.IntRange(1, 64), default=None,
              help="Samples per frame (default: each graph's).")
@click.option("--batch", type=click.IntRange(1), default=None, metavar="N",
              help="Chunks per Dask task (default: automatic, >= 4 tasks per worker per "
                   "graph, <= 16 chunks per task).")
@_common
def bake(graphs: tuple[str, ...], frames: str | None, chunk: int, host: str, out: str,
         subframes: int | None, batch: int | None, scheduler: str | None, workers: int,
         retries: int, timeout: float | None, progress: bool, as_json: bool) -> None:
    """Bake GRAPHS in frame chunks on Dask and merge each into one host file."""
    with stdout_to_stderr(as_json):  # a node's or worker's prints never mix with the JSON
        report = farm_bake(list(graphs), frames, chunk, host, out, scheduler=scheduler,
                           workers=workers, progress=progress, subframes=subframes,
                           retries=retries, timeout=timeout, batch=batch)
    _print_report(report, as_json)
    if not report.ok:
        for failure in report.failures:
            err_console.print(f"[red]failed[/] {escape(failure.graph)}: "
                              f"{escape(str(failure.error))}")
        sys.exit(1)


def _option_pairs(pairs: tuple[str, ...]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--option")
        try:
            options[key] = json.loads(value)
        except ValueError:
            options[key] = value
    return options


def _function(spec: str) -> Any:
    module, _, name = spec.partition(":")
    try:
        fn = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise click.BadParameter(f"cannot import {spec!r}: {exc}",
                                 param_hint="--function") from None
    if not callable(fn):
        raise click.BadParameter(f"{spec!r} is not callable", param_hint="--function")
    return fn


@farm.command()
@click.argument("images", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder for one result per image.")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE",
              help="Passed to the per-image function (JSON values; repeatable).")
@click.option("--function", "function", default=None, metavar="MODULE:NAME",
              help="Per-image function (default: the matcher, writing one moks match "
                   "folder per image).")
@click.option("--alpha/--no-alpha", "use_alpha", default=None,
              help="Use each image's own alpha as its matte when it cuts a subject out "
                   "(the matcher's default: on). The batch way to give the subject: a "
                   "per-image --matte does not fit a batch, so render with alpha.")
@_common
def match(images: tuple[str, ...], out: str, options: tuple[str, ...], function: str | None,
          use_alpha: bool | None, scheduler: str | None, workers: int, retries: int,
          timeout: float | None, progress: bool, as_json: bool) -> None:
    """Match reference IMAGES on Dask (the batch form of moks match)."""
    fn = _function(function) if function else None
    opts = _option_pairs(options)
    if use_alpha is not None:  # only when given: the options (and cache keys) stay as before
        opts["use_alpha"] = use_alpha
    if opts.get("matte") is not None and len(images) != 1:
        raise click.UsageError(f"--option matte= is the matte of one image; got {len(images)} "
                               "images (give each image its own alpha: --alpha)")
    if opts.get("subject_box") is not None and len(images) != 1:
        raise click.UsageError(f"--option subject_box= is a box on one image; got "
                               f"{len(images)} images (give each image its own alpha: --alpha)")
    if opts.get("key_hint") is not None:
        from moks_graph.hosts.inverse.cli import check_hint

        opts["key_hint"] = check_hint(str(opts["key_hint"]), "--option key_hint=")
    with stdout_to_stderr(as_json):
        report = farm_match(list(images), out, match_fn=fn, options=opts,
                            scheduler=scheduler, workers=workers, progress=progress,
                            retries=retries, timeout=timeout)
    _print_report(report, as_json)
    if not report.ok:
        sys.exit(1)


@farm.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="Farm manager job description.")
@click.argument("graphs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--frames", default=None, metavar="FRAMES", help="Frame range (default: graph's).")
@click.option("--chunk", type=click.IntRange(1), default=100, show_default=True)
@click.option("--host", default="usd", show_default=True)
@click.option("--subframes", type=click.IntRange(1, 64), default=None)
@click.option("--out", required=True, type=click.Path(),
              help="Job file (openjd: .json/.yaml; opencue: .xml); deadline: a folder.")
@click.option("--job-dir", default=None, type=click.Path(file_okay=False),
              help="Shared folder for the job snapshot and outputs (default: beside --out).")
@click.option("--moks", "moks", default="moks", show_default=True,
              help="The moks command on farm machines.")
@click.option("--name", default=None, help="Job name.")
@click.option("--show", default="moks", show_default=True, help="OpenCue show.")
@click.option("--shot", default="farm", show_default=True, help="OpenCue shot.")
@click.option("--user", default=None, help="OpenCue user (default: $USER).")
@click.option("--pool", default=None, help="Deadline pool.")
@click.option("--priority", type=click.IntRange(0), default=None,
              help="Job priority (OpenCue, Deadline).")
@click.option("--memory", "memory_mb", type=click.IntRange(1), default=None, metavar="MB",
              help="Memory per task in MiB (OpenCue layer memory, OpenJD host requirement).")
@click.option("--env", "env", multiple=True, metavar="KEY=VALUE",
              help="Environment variable for every task (repeatable).")
@click.option("--path-map", "path_map", multiple=True, metavar="FROM=TO",
              help="Path mapping rule for machines that mount the storage elsewhere "
                   "(repeatable; MOKS_PATH_MAP for OpenCue/Deadline; OpenJD maps its PATH "
                   "parameters itself).")
def export(fmt: str, graphs: tuple[str, ...], frames: str | None, chunk: int, host: str,
           subframes: int | None, out: str, job_dir: str | None, moks: str,
           name: str | None, show: str, shot: str, user: str | None, pool: str | None,
           priority: int | None, memory_mb: int | None, env: tuple[str, ...],
           path_map: tuple[str, ...]) -> None:
    """Write a farm-manager job whose tasks bake GRAPHS chunk by chunk, then merge."""
    def pairs(items: tuple[str, ...], flag: str) -> list[tuple[str, str]]:
        out_pairs = []
        for item in items:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise click.BadParameter(f"expected {flag}, got {item!r}")
            out_pairs.append((key, value))
        return out_pairs

    options = FarmOptions(show=show, shot=shot, user=user, priority=priority, pool=pool,
                          memory_mb=memory_mb, env=dict(pairs(env, "KEY=VALUE")),
                          path_map=pairs(path_map, "FROM=TO"))
    try:
        options.environment()
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    job, written = farm_export(fmt, list(graphs), out, frames=frames, chunk=chunk, host=host,
                               subframes=subframes, job_dir=job_dir, moks=moks, name=name,
                               options=options)
    tasks = sum(len(g.chunks) + 1 for g in job.graphs)
    console.print(f"{fmt} job {job.id}: {len(job.graphs)} graph(s), {tasks} tasks; snapshot "
                  f"in {job.root}")
    for path in written:
        console.print(f"wrote {path}")


class MappedPath(click.Path):
    """A ``click.Path`` rewritten by the farm's path map (``MOKS_PATH_MAP``) before it is
    checked: a job exported on one machine runs where the storage is mounted elsewhere."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        return super().convert(map_path(str(value)), param, ctx)


@farm.command()
@click.argument("source", type=MappedPath(exists=True))
@click.option("--frames", required=True, metavar="START-END", help="The chunk's frames.")
@click.option("--graph", "graph_name", default=None,
              help="Graph in the job (default: its only graph).")
@click.option("--out", default=None, type=click.Path(dir_okay=False),
              help="Chunk file (.npz); required when SOURCE is a .mgraph file.")
@click.option("--final/--no-final", default=True,
              help="(.mgraph SOURCE) end exactly on the last frame (default), or include the "
                   "sub-frames after it for a chunk that another chunk follows.")
@click.option("--subframes", type=click.IntRange(1, 64), default=None,
              help="(.mgraph SOURCE) samples per frame.")
def chunk(source: str, frames: str, graph_name: str | None, out: str | None, final: bool,
          subframes: int | None) -> None:
    """Evaluate one chunk of a job directory (or a .mgraph file) to an .npz file."""
    start, end = parse_frame_range(frames)
    if Path(source).is_dir():
        job = load_job(source)
        g = job.graph(graph_name) if graph_name else _only_graph(job)
        if start < g.first or end > g.last:
            raise MoksError(Problem("MG131", f"frames {start}-{end} are outside the job's "
                                    f"range {g.frames} for graph {g.name!r}"), source)
        result = run_chunk(str(job.root), g.name, start, end)
        if result.status == "failed":
            raise MoksError(Problem("MG120", str(result.error), NO_PATH), source)
        path = job.chunk_path(g, start, end)
        if out:
            import shutil

            shutil.copyfile(path, out)
        console.print(f"chunk {start}-{end} of {g.name}: {result.status}, {result.samples} "
                      f"samples -> {out or path}")
        return
    if not out:
        raise click.UsageError("--out CHUNK.npz is required when SOURCE is a .mgraph file")
    graph = mgraph.load_checked(source)
    channels = evaluate_chunk(graph, start, end, final=final, subframes=subframes)
    write_npz(channels, out)
    console.print(f"chunk {start}-{end}: {len(channels)} channels x {len(channels.time)} "
                  f"samples -> {out}")


def _only_graph(job: Any) -> Any:
    if len(job.graphs) != 1:
        raise click.UsageError(f"the job has {len(job.graphs)} graphs; choose one with --graph "
                               f"({', '.join(g.name for g in job.graphs)})")
    return job.graphs[0]


def _read_chunk_file(path: str) -> Channels:
    """A chunk written by ``moks farm chunk`` (plain Channels, or a job's keyed chunk)."""
    value = codec.from_npz_bytes(Path(path).read_bytes())
    if not isinstance(value, Channels):
        value = read_chunk(Path(path), None)
    if value is None:
        raise MoksError(Problem("MG112", "not a chunk file (no Channels inside)", NO_PATH), path)
    return value


@farm.command()
@click.argument("sources", nargs=-1, required=True, type=MappedPath(exists=True))
@click.option("--graph", "graph_name", default=None, help="Graph in the job (default: all).")
@click.option("--host", default=None, help="Host writer (default: the job's; npz for files).")
@click.option("--out", default=None, type=MappedPath(dir_okay=False),
              help="Merged file (default: the job's output path).")
def merge(sources: tuple[str, ...], graph_name: str | None, host: str | None,
          out: str | None) -> None:
    """Merge a job's chunks (SOURCES = JOBDIR) or chunk .npz files into one host file."""
    if len(sources) == 1 and Path(sources[0]).is_dir():
        job = load_job(sources[0])
        if host is not None and host != job.host:
            raise click.UsageError(f"the job was submitted for host {job.host!r}, not {host!r}")
        names = [graph_name] if graph_name else [g.name for g in job.graphs if g.ok]
        if out and len(names) != 1:
            raise click.UsageError("--out needs one graph: add --graph")
        failed = False
        for name in names:
            res = merge_graph(str(job.root), name, out=out)
            if res.ok:
                side = ", ".join(Path(p).name for p in res.side_files)
                console.print(f"merged {name}: {res.channels} channels x {res.samples} samples "
                              f"-> {res.output}" + (f" with {side}" if side else ""))
            else:
                console.print(f"[red]failed[/] {name}: {res.error}")
                failed = True
        if failed:
            sys.exit(1)
        return
    if not out:
        raise click.UsageError("--out FILE is required when merging chunk files")
    parts = sorted((_read_chunk_file(s) for s in sources), key=lambda c: c.time.frames[0])
    merged = concat_chunks(parts)
    steps = np.diff(merged.time.frames)
    if len(steps) and not np.all(steps == steps[0]):
        raise MoksError(Problem("MG120", "the chunk files overlap or leave gaps (samples are "
                                "not evenly spaced after merging)"))
    farm_writer(host or "npz")(merged, Path(out))
    console.print(f"merged {len(parts)} chunks: {len(merged)} channels x {len(merged.time)} "
                  f"samples -> {out}")


def install(main: click.Group) -> None:
    """Add ``moks farm`` to the ``moks`` command group."""
    main.add_command(farm)
