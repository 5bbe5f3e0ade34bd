"""``--host unreal``: what Unreal imports natively, an FBX plus a Level Sequence script (issue 17).

Entry points: :func:`write_unreal`, :func:`look_record`, :func:`ambient_record`.

Details (moved from this docstring, issue 15): docs/hosts.md#hostsunrealwriterpy
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any

from moks_graph.atomic import atomic_output
from moks_graph.channels import Channels
from moks_graph.hosts.output_paths import output_path

from .mapping import link_plan, plan_unreal_sequence
from .script import check_text, unreal_script

#: Suffixes the Unreal writer accepts (the script goes beside it as ``<stem>.py``).
SUFFIXES: tuple[str, ...] = (".fbx",)
#: Asset folder of the Level Sequence the script makes.
SEQUENCE_FOLDER = "/Game/MOKS"
#: Label of the SkyLight actor the script makes for the SH ambient.
SKYLIGHT_LABEL = "moks_ambient"


def script_path(fbx: str | os.PathLike[str]) -> Path:
    """The Level Sequence script written beside ``fbx``: same stem, ``.py``."""
    return Path(fbx).with_suffix(".py")


def asset_path(stem: str, default: str = "moks_bake") -> str:
    """``/Game/MOKS/<stem>``, characters an Unreal asset name cannot hold replaced by ``_``."""
    return f"{SEQUENCE_FOLDER}/{re.sub(r'[^A-Za-z0-9_]', '_', stem) or default}"


def sequence_path(fbx: str | os.PathLike[str]) -> str:
    """The Level Sequence asset for ``fbx``: :func:`asset_path` of its stem."""
    return asset_path(Path(fbx).stem)


def look_record(look: Any) -> dict[str, Any]:
    """The script's ``look`` record of a :class:`~moks_graph.hosts.look.LookFiles`: its host
    record, the scene-linear working space and the ``OpenColorIOConfiguration`` asset."""
    from moks_graph.nodes.looks.ocio_looks import SCENE_LINEAR

    return {**look.record(), "working_space": SCENE_LINEAR,
            "asset_path": asset_path(look.config.stem)}


def ambient_record(ambient: Any) -> dict[str, Any]:
    """The script's ``ambient`` record of an :class:`~moks_graph.hosts.ambient.AmbientFiles`:
    the EXR's name, the SkyLight's intensity ``2**exposure``, the ``TextureCube`` asset and
    the nine SH coefficients (data)."""
    return {"image": ambient.image.name, "exposure": float(ambient.exposure),
            "intensity": ambient.strength, "texture_path": asset_path(ambient.image.stem),
            "name": SKYLIGHT_LABEL, "coefficients": ambient.coeffs.ravel().tolist()}


def write_unreal(channels: Channels, path: str | os.PathLike[str], *, look: Any = None,
                 ambient: Any = None, linkage: Any = None) -> Path:
    """Write ``<path>.fbx`` and its ``.py`` Level Sequence script (module docstring).

    ``look`` / ``ambient``: the film look's and the SH ambient's files the bake wrote beside
    ``path`` (:class:`~moks_graph.hosts.look.LookFiles`,
    :class:`~moks_graph.hosts.ambient.AmbientFiles`); the script lists their names in
    ``side_files`` and applies them (module docstring). ``linkage``: a
    :class:`~moks_graph.hosts.linkage.Linkage` (``moks bake --link-to-target``): the script
    attaches the linked lights to their target's actor and the camera to an aim actor whose
    look-at tracking follows the target (:func:`~.mapping.link_plan`); the FBX keeps every
    world transform. Returns the FBX path. ``ValueError`` for
    channels Unreal cannot take or a file name with a control character (before anything is
    written); ``OSError`` when a file cannot be written, leaving neither file.
    """
    target = output_path(path, SUFFIXES)
    script = script_path(target)
    if script.is_dir():
        raise IsADirectoryError(f"cannot write {str(script)!r}: it is a folder")
    check_text(target.name, "the FBX file name")
    side = [p.name for f in (look, ambient) if f is not None for p in f.paths()]
    plan = plan_unreal_sequence(channels)
    if linkage:
        plan = link_plan(plan, channels, linkage)
    text = unreal_script(plan, sequence_path=sequence_path(target),
                         fbx=target.name, side_files=side,
                         look=None if look is None else look_record(look),
                         ambient=None if ambient is None else ambient_record(ambient))
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
