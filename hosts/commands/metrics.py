"""``moks metrics``: the 15 metrics, Lotus point and Betti signature of stills."""

from __future__ import annotations

import json
import sys

import click

from moks_graph.nodes.imaging.io import load_image
from moks_graph.nodes.imaging.metrics import METRICS
from moks_graph.nodes.imaging.report import analyse_still


@click.command()
@click.argument("images", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="JSON, metric names as keys.")
@click.option("--method", type=click.Choice(["heuristic", "geometric"]), default="heuristic",
              show_default=True, help="Key direction and specular gate estimator.")
def metrics(images: tuple[str, ...], as_json: bool, method: str) -> None:
    """Measure stills: 15 metrics (18 numbers), Lotus point, Betti signature."""
    report: dict[str, object] = {}
    failed = 0
    for path in images:
        try:
            report[path] = analyse_still(load_image(path), method)  # type: ignore[arg-type]
        except (ValueError, OSError) as exc:
            failed += 1
            report[path] = {"error": str(exc)}
            click.echo(f"error {exc}", err=True)
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True))
    else:
        for path, result in report.items():
            if "error" in result:  # type: ignore[operator]
                continue
            click.echo(f"== {path}")
            for name, value in result["metrics"].items():  # type: ignore[index]
                spec = METRICS[name]
                click.echo(f"  {name:24} {value:12.4f} {spec.unit}")
            lotus, betti = result["lotus"], result["betti"]  # type: ignore[index]
            click.echo(f"  lotus point              x={lotus['x']:.1f} y={lotus['y']:.1f} "
                       f"contained={lotus['contained']}")
            click.echo(f"  betti (specular)         b0={betti['b0']} b1={betti['b1']} "
                       f"{betti['label']}")
    sys.exit(1 if failed else 0)
