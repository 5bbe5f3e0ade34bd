"""``--host unreal``: what Unreal imports natively, an FBX plus a Level Sequence script (issue 17).

``write_unreal(channels, "shot.fbx")`` writes two files side by side:

* ``shot.fbx``: the camera, lights and nulls with their baked animation (one key per
  sample), through Blender's own FBX exporter
  (:func:`moks_graph.hosts.blender.interchange.export_interchange`: Z up, -Y front, metres
  with the unit in the file, camera focal length and focus distance animated). Unreal's
  importers (File > Import Into Level, Sequencer > Import FBX) read it directly.
* ``shot.py``: a script for the Unreal Editor's ``unreal`` module
  (:mod:`moks_graph.hosts.unreal.script`) that builds the Level Sequence ``/Game/MOKS/shot``:
  a ``CineCameraActor`` binding with focal length, aperture, focus and film back tracks, the
  light actors with intensity (cd; lux for a sun), colour, cone and size tracks, the fog,
  and the transforms imported from ``shot.fbx`` onto those bindings.

Both are written to temporary siblings and renamed; a failure leaves neither.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any

from moks_graph.channels import Channels
from moks_graph.hosts.common import atomic_output, output_path

from .mapping import plan_unreal_sequence
from .script import check_text, unreal_script

#: Suffixes the Unreal writer accepts (the script goes beside it as ``<stem>.py``).
SUFFIXES: tuple[str, ...] = (".fbx",)
#: Asset folder of the Level Sequence the script makes.
SEQUENCE_FOLDER = "/Game/MOKS"


def script_path(fbx: str | os.PathLike[str]) -> Path:
    """The Level Sequence script written beside ``fbx``: same stem, ``.py``."""
    return Path(fbx).with_suffix(".py")


def sequence_path(fbx: str | os.PathLike[str]) -> str:
    """The Level Sequence asset for ``fbx``: ``/Game/MOKS/<stem>``, characters an Unreal asset
    name cannot hold replaced by ``_``."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", Path(fbx).stem) or "moks_bake"
    return f"{SEQUENCE_FOLDER}/{name}"


def write_unreal(channels: Channels, path: str | os.PathLike[str], *, look: Any = None,
                 ambient: Any = None) -> Path:
    """Write ``<path>.fbx`` and its ``.py`` Level Sequence script (module docstring).

    ``look`` / ``ambient``: the film look's and the SH ambient's files the bake wrote beside
    ``path`` (anything with ``paths()``); the script lists their names in ``side_files`` and
    logs them, it does not apply them in Unreal. Returns the FBX path. ``ValueError`` for
    channels Unreal cannot take or a file name with a control character (before anything is
    written); ``OSError`` when a file cannot be written, leaving neither file.
    """
    target = output_path(path, SUFFIXES)
    script = script_path(target)
    if script.is_dir():
        raise IsADirectoryError(f"cannot write {str(script)!r}: it is a folder")
    check_text(target.name, "the FBX file name")
    side = [p.name for f in (look, ambient) if f is not None for p in f.paths()]
    text = unreal_script(plan_unreal_sequence(channels), sequence_path=sequence_path(target),
                         fbx=target.name, side_files=side)
    from moks_graph.hosts.blender.interchange import export_interchange

    written = False
    try:
        with atomic_output(script) as tmp:
            tmp.write_text(text, encoding="utf-8")
            export_interchange(channels, target)  # atomic itself
            written = True
    except BaseException:
        if written:  # the script's rename failed after the FBX's: leave no half pair
            with contextlib.suppress(OSError):
                target.unlink()
        raise
    return target
