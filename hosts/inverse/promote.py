"""The preset promoter: an accepted match becomes a classic-mode preset in ``graphs/presets/``.

Entry points: :func:`promote`, :func:`preset_graph`, :func:`promote_command`.

Details (moved from this docstring, issue 15): docs/inverse-hosts.md#hostsinversepromotepy
"""

from __future__ import annotations

import json
import keyword
import os
import re
from pathlib import Path
from typing import Any

import click

from moks_graph import mgraph
from moks_graph.graph import Graph
from moks_graph.nodes.inverse.interfaces import MatchResult
from moks_graph.nodes.scenescript.compile import compile_scene
from moks_graph.nodes.scenescript.schema import SceneScript
from moks_graph.shareable import check_artifact

__all__ = ["DEFAULT_PRESETS_DIR", "PromoteError", "load_match", "preset_graph", "promote",
           "promote_command"]

#: Where presets live, relative to the project root (or the working directory).
DEFAULT_PRESETS_DIR = "graphs/presets"
#: The match fields copied into ``meta["match"]``.
SUMMARY_FIELDS: tuple[str, ...] = (
    "key_azimuth_deg", "key_elevation_deg", "key_fill_ratio", "key_cct_K", "rim", "rim_mode",
    "haze", "film_stock", "iterations", "residual", "forward", "inspector")
_WORD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class PromoteError(ValueError):
    """A match that cannot become a preset (failed match, not shareable, name taken...)."""


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name.isascii() or not name.isidentifier() \
            or keyword.iskeyword(name):
        raise ValueError(f"name: a preset name must be an ASCII Python identifier "
                         f"(letters, digits, underscores; not starting with a digit), "
                         f"got {name!r}")
    return name


def load_match(match_dir: str | os.PathLike[str]) -> tuple[SceneScript, MatchResult]:
    """The SceneScript and MatchResult of a ``moks match`` output folder.

    Reads ``match.json``; the script is its ``script`` field, or else the
    ``scene_script`` meta of ``scene.mgraph`` beside it.
    """
    folder = Path(match_dir)
    path = folder / "match.json"
    if not path.is_file():
        raise FileNotFoundError(f"match_dir: no match.json in {folder}")
    try:
        result = MatchResult.model_validate_json(path.read_bytes())
    except ValueError as exc:
        raise PromoteError(f"match_dir: {path} is not a valid match.json: {exc}") from None
    raw: Any = result.script
    if not raw:
        scene = folder / "scene.mgraph"
        if not scene.is_file():
            raise PromoteError(f"match_dir: {path} has no script and there is no {scene.name}")
        raw = mgraph.load(scene).meta.get("scene_script")
    try:
        script = SceneScript.model_validate(raw)
    except ValueError as exc:
        raise PromoteError(f"match_dir: the matched SceneScript is invalid: {exc}") from None
    return script, result


def _summary(result: MatchResult) -> dict[str, Any]:
    summary: dict[str, Any] = {k: getattr(result, k) for k in SUMMARY_FIELDS}
    stem = Path(str(result.image)).stem if result.image else ""
    if _WORD.match(stem):
        summary["reference"] = stem
    return summary


def preset_graph(script: SceneScript, result: MatchResult, name: str,
                 description: str | None = None) -> Graph:
    """The preset's graph: the compiled script plus the match summary in its meta."""
    _check_name(name)
    if not isinstance(script, SceneScript):
        raise TypeError(f"script must be a SceneScript, got {type(script).__name__}")
    if not isinstance(result, MatchResult):
        raise TypeError(f"result must be a MatchResult, got {type(result).__name__}")
    if result.status != "matched":
        raise PromoteError(f"result: only a matched result can be promoted "
                           f"(status {result.status!r}: {result.message})")
    graph = compile_scene(script, ambient=result.ambient_coefficients())
    graph.meta["preset"] = name
    graph.meta["description"] = description or (
        f"matched lighting: key {result.key_azimuth_deg:.0f} deg azimuth, "
        f"{result.key_elevation_deg:.0f} deg elevation, {result.key_fill_ratio:.1f}:1, "
        f"{result.key_cct_K:.0f} K, rim {result.rim_mode}")
    graph.meta["match"] = _summary(result)
    return graph


def promote(source: str | os.PathLike[str] | tuple[SceneScript, MatchResult], name: str,
            presets_dir: str | os.PathLike[str] = DEFAULT_PRESETS_DIR, *,
            overwrite: bool = False, description: str | None = None) -> Path:
    """Write the preset ``presets_dir/NAME.mgraph`` from a match folder or ``(script, result)``.

    Raises ``ValueError`` for a bad name, :class:`PromoteError` for a failed or
    unshareable match, ``FileExistsError`` when the preset exists and
    ``overwrite`` is False. Returns the written path.
    """
    _check_name(name)
    if isinstance(source, tuple):
        if len(source) != 2:
            raise TypeError("source: expected a match folder or a (script, result) pair")
        script, result = source
    elif isinstance(source, str | os.PathLike):
        script, result = load_match(source)
    else:
        raise TypeError(f"source: expected a match folder or a (script, result) pair, "
                        f"got {type(source).__name__}")
    graph = preset_graph(script, result, name, description)
    violations = check_artifact(json.loads(mgraph.dumps(graph)))
    if violations:
        listed = "; ".join(f"{v.code} {v.path}: {v.message}" for v in violations[:5])
        raise PromoteError(f"the preset would not be shareable (Math-Over-Matter): {listed}")
    folder = Path(presets_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.mgraph"
    if path.exists() and not overwrite:
        raise FileExistsError(f"name: preset {path} exists (use overwrite=True / --force)")
    mgraph.save(graph, path)
    return path


@click.command("promote")
@click.argument("match_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--name", required=True, help="Preset name (a Python identifier).")
@click.option("--presets", "presets_dir", default=DEFAULT_PRESETS_DIR, show_default=True,
              type=click.Path(file_okay=False), help="Folder of the presets.")
@click.option("--description", default=None, help="One line for the preset's meta.")
@click.option("--force", is_flag=True, help="Replace an existing preset of that name.")
def promote_command(match_dir: str, name: str, presets_dir: str, description: str | None,
                    force: bool) -> None:
    """Turn the accepted match in MATCH_DIR into the classic-mode preset NAME."""
    try:
        _check_name(name)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--name") from None
    path = promote(match_dir, name, presets_dir, overwrite=force, description=description)
    click.echo(f"promoted {match_dir} -> {path}")
