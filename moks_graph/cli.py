"""The ``moks`` command line.

Every command turns bad input into one clear message naming the file, node
and field, and exits non-zero (1: the graph has problems; 2: the input could
not be read or the command was misused). ``--debug`` shows tracebacks.
Nothing is ever left half-written at an output path.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import click
import numpy as np
from rich.markup import escape

from moks_graph import mgraph
from moks_graph.cache import atomic_write_bytes
from moks_graph.channels import Channels
from moks_graph.errors import NO_PATH, MoksError, Problem, shorten, visible
from moks_graph.frames import parse_frame_range
from moks_graph.listing import Listing, MoksConsole
from moks_graph.registry import default_registry
from moks_graph.streams import stdout_to_stderr
from moks_graph.timebase import TimeArray

#: Rich on a terminal; off one (piped, redirected) no width limit and :class:`Listing`
#: tables print as plain tab-separated lines, one record per line.
console = MoksConsole(highlight=False)
err_console = MoksConsole(stderr=True, highlight=False)


def print_problems(problems: list[Problem], source: str | None = None) -> None:
    table = Listing(title=source, show_lines=False, title_justify="left")
    for col in ("code", "problem", "path", "message"):
        table.add_column(col, overflow="fold")
    for p in problems:
        table.add_row(p.code, p.name, escape(p.path), escape(p.message))
    err_console.print(table)


def _fail(exc: MoksError) -> None:
    if len(exc.problems) == 1:
        where = f"{exc.source}: " if exc.source else ""
        p = exc.problems[0]
        err_console.print(f"[bold red]error[/] {escape(visible(where + p.message))} [dim]"
                          f"({p.code} {p.name}{escape(visible(p.where))})[/]")
    else:
        print_problems(exc.problems, exc.source)
    sys.exit(exc.exit_code)


#: Entry-point group for ``moks`` subcommands beyond the engine's own (validate, info,
#: nodes, schema, eval): hosts and plugins register ``name = "package.module:command"``
#: there (see docs/architecture.md); each is imported only when used.
CLI_ENTRY_POINT_GROUP = "moks_graph.cli"


def plugin_commands(group: str = CLI_ENTRY_POINT_GROUP) -> dict[str, EntryPoint]:
    """The commands registered in an entry-point group, by name (first one wins)."""
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=group):
        found.setdefault(ep.name, ep)
    return found


class MoksGroup(click.Group):
    """Lazy subcommands; maps MoksError to a message and exit code; ``--debug`` re-raises.

    ``entry_point_group`` names the entry-point group whose commands this group adds,
    each imported when first used: the top-level ``moks`` reads
    :data:`CLI_ENTRY_POINT_GROUP`; a subgroup such as ``moks farm`` has none.
    """

    def __init__(self, *args: Any, entry_point_group: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entry_point_group = entry_point_group
        self._plugins: dict[str, EntryPoint] | None = None

    @property
    def plugins(self) -> dict[str, EntryPoint]:
        if self._plugins is None:
            self._plugins = plugin_commands(self.entry_point_group) \
                if self.entry_point_group else {}
        return self._plugins

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.plugins})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in self.plugins:
            ep = self.plugins[name]
            command = ep.load()
            if not isinstance(command, click.Command):
                raise click.ClickException(
                    f"command {name!r} registered as {ep.value!r} in entry-point group "
                    f"{self.entry_point_group!r} is not a click command")
            self.add_command(command, name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MoksError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            _fail(exc)
        except (OSError, ValueError) as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            err_console.print(f"[bold red]error[/] {escape(shorten(str(exc)))}")
            sys.exit(2)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except MemoryError:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            err_console.print("[bold red]error[/] out of memory (the input is too large for "
                              "this machine; see the work budget, MOKS_WORK_BUDGET)")
            sys.exit(2)
        except Exception as exc:  # a foreign library's error (sqlite3, pxr, numpy.linalg, ...)
            if ctx.obj and ctx.obj.get("debug"):
                raise
            kind = f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins.")
            err_console.print(f"[bold red]error[/] {escape(shorten(str(exc)) or kind)} "
                              f"[dim]({escape(kind)}; moks --debug shows the traceback)[/]")
            sys.exit(2)


@click.group(cls=MoksGroup, entry_point_group=CLI_ENTRY_POINT_GROUP)
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(package_name="moks-graph")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """MOKS Graph: cinematic camera physics and dynamic lighting as a node graph."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _load(path: str) -> mgraph.Graph:
    return mgraph.load(path)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print problems as JSON.")
def validate(files: tuple[str, ...], as_json: bool) -> None:
    """Validate .mgraph FILES: every problem, with codes and JSON paths (exit 1 if any)."""
    report: dict[str, list[dict[str, Any]]] = {}
    worst = 0
    for f in files:
        try:
            problems = _load(f).validate()
        except MoksError as exc:
            problems = exc.problems
            worst = max(worst, exc.exit_code)
        if problems:
            worst = max(worst, 1)
        report[f] = [p.to_json() for p in problems]
        if not as_json:
            if problems:
                print_problems(problems, f)
            else:
                console.print(f"[green]ok[/] {f}")
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True))
    sys.exit(worst)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print settings, nodes and problems as JSON.")
def info(file: str, as_json: bool) -> None:
    """Settings, nodes and edges of a graph."""
    graph = _load(file)
    s = graph.settings
    if as_json:
        click.echo(json.dumps({
            "file": file, "schema_version": mgraph.SCHEMA_VERSION,
            "settings": {"fps": s.fps, "frame_start": s.frame_start, "frame_end": s.frame_end,
                         "subframes": s.subframes, "seed": s.seed},
            "nodes": [{"node": node_id, "type": rec.type, "type_version": rec.type_version,
                       "inputs_from": {e.dst_port: [e.src, e.src_port]
                                       for e in graph.edges_into(node_id)},
                       "status": "placeholder" if rec.is_placeholder
                       else ("ok" if not graph.problems(node_id) else "invalid")}
                      for node_id, rec in graph.nodes.items()],
            "edges": len(graph.edges),
            "problems": [p.to_json() for p in graph.validate()]}, indent=2, sort_keys=True))
        return
    console.print(f"[bold]{escape(file)}[/]  schema {mgraph.SCHEMA_VERSION}  {s.fps:g} fps  "
                  f"frames {s.frame_start}-{s.frame_end}  subframes {s.subframes}  seed {s.seed}")
    table = Listing("node", "type", "version", "inputs from", "status")
    for node_id, rec in graph.nodes.items():
        sources = ", ".join(
            f"{e.dst_port}<-{e.src}.{e.src_port}" for e in graph.edges_into(node_id)
        )
        status = ("placeholder" if rec.is_placeholder
                  else "ok" if not graph.problems(node_id) else "invalid")
        table.add_row(escape(node_id), escape(rec.type), str(rec.type_version), sources, status)
    console.print(table)
    problems = graph.validate()
    console.print(f"{len(graph.nodes)} nodes, {len(graph.edges)} edges, {len(problems)} problems")


def _param_rows(cls: Any) -> list[tuple[str, str, str, str]]:
    rows = []
    schema = cls.Params.model_json_schema()
    for name, prop in schema.get("properties", {}).items():
        lo, hi = prop.get("minimum", prop.get("exclusiveMinimum")), prop.get(
            "maximum", prop.get("exclusiveMaximum"))
        rng = f"{lo} .. {hi}" if lo is not None or hi is not None else ""
        if "enum" in prop:
            rng = " | ".join(map(str, prop["enum"]))
        unit = prop.get("unit") or next(
            (v["unit"] for v in prop.get("anyOf", []) if isinstance(v, dict) and "unit" in v), "")
        text = prop.get("description", "")
        rows.append((name, json.dumps(prop.get("default")), rng,
                     f"{text} [{unit}]" if unit and text else text))
    return rows


def _node_json(cls: Any, source: str | None, full: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": cls.type_id, "version": cls.type_version, "category": cls.category,
        "inputs": {k: str(v.type) for k, v in cls.inputs.items()},
        "outputs": {k: str(v.type) for k, v in cls.outputs.items()},
        "params": list(cls.Params.model_fields), "summary": cls.title(), "source": source}
    if full:
        doc["doc"] = cls.doc() or ""
        doc["required_inputs"] = sorted(k for k, v in cls.inputs.items() if v.required)
        doc["reads"] = sorted(cls.reads)
        doc["params"] = [dict(zip(("name", "default", "range", "description"), row,
                                  strict=True)) for row in _param_rows(cls)]
    return doc


@main.command()
@click.argument("type_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the node types as JSON.")
def nodes(type_id: str | None, as_json: bool) -> None:
    """List node types, or show one TYPE_ID with its ports, parameters and help."""
    reg = default_registry()
    if type_id:
        cls = reg.get(type_id)
        if cls is None:
            close = [c.type_id for c in reg if type_id.split(".")[-1] in c.type_id]
            hint = f"; did you mean {', '.join(close[:5])}?" if close else ""
            raise MoksError(Problem("MG101", f"unknown node type {type_id!r}{hint}"))
        if as_json:
            click.echo(json.dumps(_node_json(cls, reg.source(cls.type_id), True), indent=2,
                                  sort_keys=True))
            return
        console.print(f"[bold]{cls.type_id}[/] v{cls.type_version}  ({cls.category}; "
                      f"from {reg.source(cls.type_id)})")
        console.print(cls.doc() or "(no description)")
        ports = Listing("port", "direction", "type", "required")
        for name, inp in cls.inputs.items():
            ports.add_row(name, "in", str(inp.type), "yes" if inp.required else "no")
        for name, out in cls.outputs.items():
            ports.add_row(name, "out", str(out.type), "")
        console.print(ports)
        params = Listing("parameter", "default", "range / choices", "description")
        for row in _param_rows(cls):
            params.add_row(*row)
        console.print(params)
        if cls.reads:
            console.print(f"reads context: {', '.join(sorted(cls.reads))}")
        return
    if as_json:
        click.echo(json.dumps([_node_json(cls, reg.source(cls.type_id), False) for cls in reg],
                              indent=2, sort_keys=True))
        for e in reg.errors:
            err_console.print(f"[yellow]plugin failed[/] {escape(str(e.source))}: "
                              f"{escape(e.message)}")
        return
    table = Listing("type", "version", "category", "inputs", "outputs", "params", "summary")
    for cls in reg:
        ins = ", ".join(f"{k}:{v.type}" for k, v in cls.inputs.items())
        outs = ", ".join(f"{k}:{v.type}" for k, v in cls.outputs.items())
        table.add_row(cls.type_id, str(cls.type_version), cls.category, ins, outs,
                      ", ".join(cls.Params.model_fields), cls.title())
    console.print(table)
    for e in reg.errors:
        err_console.print(f"[yellow]plugin failed[/] {escape(str(e.source))}: {escape(e.message)}")


@main.command()
@click.option("--out", type=click.Path(dir_okay=False), help="Write to a file instead.")
def schema(out: str | None) -> None:
    """The JSON Schema of .mgraph files."""
    text = json.dumps(mgraph.json_schema(), indent=2, sort_keys=True) + "\n"
    if out:
        write_output(out, text.encode())
    else:
        click.echo(text, nl=False)


def to_jsonable(value: Any) -> Any:
    """Output values as JSON (arrays as lists)."""
    if isinstance(value, Channels):
        return {"fps": value.time.fps, "frames": value.time.frames.tolist(),
                "kinds": dict(value.kinds),
                "channels": {k: v.tolist() for k, v in value.values.items()}}
    if isinstance(value, TimeArray):
        return {"fps": value.fps, "frames": value.frames.tolist()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


def write_output(path: str, data: bytes) -> None:
    """Atomic write with a clear error; never a partial file."""
    target = Path(path)
    if not target.parent.is_dir():
        raise MoksError(Problem("MG141", f"output folder {str(target.parent)!r} does not exist",
                                NO_PATH), path)
    try:
        atomic_write_bytes(target, data)
    except OSError as exc:
        raise MoksError(Problem("MG141", f"cannot write output: {exc.strerror or exc}",
                                NO_PATH), path) from None


def frames_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--subframes", type=click.IntRange(1, 64), default=None,
                      help="Samples per frame (default: the graph's).")(fn)
    return click.option("--frames", default=None, metavar="START-END",
                        help="Frame range (default: the graph's).")(fn)


@main.command(name="eval")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--output", "outputs", multiple=True, required=True, metavar="NODE.PORT",
              help="Output to evaluate (repeatable).")
@frames_option
@click.option("--json-out", type=click.Path(dir_okay=False), help="Write values as JSON here.")
def eval_cmd(file: str, outputs: tuple[str, ...], frames: str | None, subframes: int | None,
             json_out: str | None) -> None:
    """Evaluate NODE.PORT outputs of a graph; print or write them as JSON."""
    graph = _load(file)
    rng = parse_frame_range(frames) if frames else None
    # stdout carries the JSON: what a node prints while it computes goes to stderr
    with stdout_to_stderr():
        result = graph.evaluate(list(outputs), frames=rng, subframes=subframes)
    relevant = [p for p in result.problems if any(o.startswith(f"{p.node}.") for o in outputs)
                or p.node is None]
    missing = [o for o in outputs if o not in result.values]
    if missing:
        failed = [p for p in result.problems if p.code in ("MG120", "MG121")]  # upstream too
        raise MoksError(relevant or failed
                        or [Problem("MG120", f"could not evaluate {', '.join(missing)}")],
                        file)
    text = json.dumps({k: to_jsonable(v) for k, v in result.values.items()}, sort_keys=True)
    if json_out:
        write_output(json_out, (text + "\n").encode())
        console.print(f"wrote {json_out}")
    else:
        click.echo(text)


if __name__ == "__main__":
    main()
