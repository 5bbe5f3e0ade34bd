"""``moks match``: reference stills in, matched SceneScripts and bake graphs out.

Entry points: :func:`match`.

Details (moved from this docstring, issue 15): docs/inverse-hosts.md#hostsinverseclipy
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from moks_graph.hosts.inverse.match import FORWARD_MODELS, INSPECTORS


@click.command("match")
@click.argument("images", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder for one sub-folder of results per image.")
@click.option("--forward", type=click.Choice(FORWARD_MODELS), default="builtin",
              show_default=True, help="Forward model rendering the previews.")
@click.option("--inspector", type=click.Choice(INSPECTORS), default="offline",
              show_default=True, help="Critic of the previews (remote ones need an API key).")
@click.option("--workers", type=click.IntRange(1, 512), default=1, show_default=True,
              help="Worker processes; more than 1 runs on a local Dask cluster.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler address (tcp://host:8786) instead of a local cluster.")
@click.option("--iterations", type=click.IntRange(0, 20), default=2, show_default=True,
              help="Calibration iterations of the proxy-scene hypothesis.")
@click.option("--rounds", type=click.IntRange(0, 20), default=4, show_default=True,
              help="Critique rounds at most (stops early when a round changes nothing).")
@click.option("--library", "library", type=click.Path(dir_okay=False), default=None,
              help="Calibration library (SQLite): warm-start from similar past matches and "
                   "store accepted ones.")
@click.option("--matte", type=click.Path(dir_okay=False, exists=True), default=None,
              help="The subject's matte (white or alpha = subject, the image's aspect) "
                   "instead of finding it; one image only.")
@click.option("--subject-box", "subject_box", default=None, metavar="X,Y,W,H",
              help="A box around the subject in the image's pixels (from its top-left): "
                   "the subject is found inside it; one image only.")
@click.option("--key-hint", "key_hint", default=None, metavar="SIDE,HEIGHT",
              help="Where the key is, as you see it: left or right, above or below, or "
                   "both (e.g. left,above); the key is fitted there only.")
@click.option("--alpha/--no-alpha", "use_alpha", default=True, show_default=True,
              help="Use an image's own alpha as its matte when it cuts a subject out.")
@click.option("--progress/--no-progress", default=True, help="Live progress bar.")
def match(images: tuple[str, ...], out: str, forward: str, inspector: str, workers: int,
          scheduler: str | None, iterations: int, rounds: int, library: str | None,
          matte: str | None, subject_box: str | None, key_hint: str | None,
          use_alpha: bool, progress: bool) -> None:
    """Match reference IMAGES: find the subject, fit its lights, critique, iterate, write."""
    from moks_graph.cli import console
    from moks_graph.hosts.farm.match import match_batch

    if matte is not None and len(images) != 1:
        raise click.UsageError(f"--matte is the matte of one image; got {len(images)} "
                               "images (give each its own alpha, or match them one by one)")
    if subject_box is not None and len(images) != 1:
        raise click.UsageError(f"--subject-box is a box on one image; got {len(images)} "
                               "images (match them one by one)")
    if matte is not None and subject_box is not None:
        raise click.UsageError("give --matte or --subject-box, not both")
    extra: dict[str, object] = {"matte": str(Path(matte).resolve())} if matte else {}
    if matte is not None:
        _check_matte(images[0], matte)
    if subject_box is not None:
        extra["subject_box"] = _check_box(images[0], subject_box)
    if key_hint is not None:
        extra["key_hint"] = check_hint(key_hint, "--key-hint")
    report = match_batch(list(images), out, forward=forward, inspector=inspector,
                         workers=workers, scheduler=scheduler, progress=progress,
                         max_iterations=iterations, rounds=rounds, use_alpha=use_alpha,
                         library=str(Path(library).resolve()) if library else None,
                         **extra)
    console.print(report.table())
    if not report.ok:
        sys.exit(1)


def check_hint(text: str, option: str) -> str:
    """A key hint as the matcher reads it (one message naming ``option`` otherwise)."""
    from moks_graph.nodes.inverse.key_hint import KeyHint

    try:
        return str(KeyHint.parse(text) or "")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _check_matte(image: str, matte: str) -> None:
    """A matte that cannot be used is one message naming it, before anything is written
    (an image that cannot be read is left to the batch, which reports it)."""
    from moks_graph.hosts.inverse.match import check_matte
    from moks_graph.nodes.imaging.io import read_array

    try:
        shape = read_array(image).shape
    except (ValueError, OSError):
        return
    try:
        check_matte(matte, shape)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--matte") from None


def _check_box(image: str, text: str) -> list[float]:
    """``X,Y,W,H`` as four numbers, checked against the image when it can be read (one
    message naming the option otherwise, before anything is written)."""
    from moks_graph.hosts.inverse.match import frame_box
    from moks_graph.nodes.imaging.io import read_array

    try:
        box = [float(v) for v in text.split(",")]
    except ValueError:
        box = []
    if len(box) != 4:
        raise click.BadParameter(f"expected X,Y,W,H (four numbers, pixels), got {text!r}",
                                 param_hint="--subject-box")
    try:
        shape = read_array(image).shape
    except (ValueError, OSError):
        return box
    try:
        frame_box(box, shape)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--subject-box") from None
    return box
