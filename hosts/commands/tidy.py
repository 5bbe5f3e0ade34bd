"""``moks tidy``: an old file's merge chains collapsed into one eight-input merge, laid out."""

from __future__ import annotations

import sys

import click
from rich.markup import escape

from moks_graph import mgraph
from moks_graph.cli import console, print_problems
from moks_graph.errors import visible
from moks_graph.layout import tidy_graph
from moks_graph.migrations import MERGE_MANY_TYPE, MERGE_TYPE


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write the tidied graph here (default: print it).")
@click.option("--in-place", is_flag=True, help="Rewrite FILE itself (atomically).")
def tidy(file: str, out: str | None, in_place: bool) -> None:
    """Collapse merge chains into one eight-input merge and lay FILE out left to right.

    The same channels, bit for bit (moks_graph.layout.tidy_graph). A graph with problems is
    refused (exit 1) and nothing is written.
    """
    if out and in_place:
        raise click.UsageError("give --out or --in-place, not both")
    graph = mgraph.load(file)
    problems = graph.validate()
    if problems:
        print_problems(problems, file)
        sys.exit(1)
    before = sum(r.type in (MERGE_TYPE, MERGE_MANY_TYPE) for r in graph.nodes.values())
    tidied = tidy_graph(graph)
    target = file if in_place else out
    if target is None:
        click.echo(mgraph.dumps(tidied), nl=False)
        return
    mgraph.save(tidied, target)
    after = sum(r.type in (MERGE_TYPE, MERGE_MANY_TYPE) for r in tidied.nodes.values())
    console.print(f"wrote {escape(visible(target))}: {before} merge nodes -> {after}, "
                  f"{len(tidied.nodes)} nodes laid out")
