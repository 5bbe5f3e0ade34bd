"""The film look in the host file: the stock's OCIO config and CLF beside it, hosts pointed at it.

Entry points: :func:`look_files`, :func:`write_look`, :func:`usd_look`,
:func:`maya_look_lines`, :func:`blender_look_properties`.

Details (moved from this docstring, issue 15): docs/hosts.md#hostslookpy
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from moks_graph.graph import Graph
from moks_graph.types import LOOK

#: The node type whose ``look`` output travels with a bake.
LOOK_TYPE = "moks.look.film_stock"
#: ``customLayerData`` key (USD) and scene property (Blender) of the look record.
USD_KEY = "moks:look"
BLENDER_PROPERTY = "moks_look"
BLENDER_CONFIG_PROPERTY = "moks_ocio_config"
#: Seconds the Blender that sets the view may take.
BLENDER_TIMEOUT_S = 300


@dataclass(frozen=True)
class LookFiles:
    """A look written beside a host file: the stock, its exposure and the two file names."""

    stock: str
    exposure_ev: float
    config: Path
    clf: Path
    #: The files this bake created (not there before): what a failed bake removes.
    created: tuple[Path, ...] = ()

    @property
    def display(self) -> str:
        from moks_graph.nodes.looks.ocio_looks import DISPLAY_NAME

        return DISPLAY_NAME

    @property
    def view(self) -> str:
        return f"Film {self.stock}"

    def record(self) -> dict[str, Any]:
        """The look as host metadata (file names relative to the host file)."""
        return {"stock": self.stock, "exposureEV": self.exposure_ev,
                "config": self.config.name, "lut": self.clf.name, "look": self.stock,
                "display": self.display, "view": self.view}

    def paths(self) -> tuple[Path, ...]:
        return (self.config, self.clf)


def single_feature_refs(graph: Graph, types: Collection[str], port_type: Any, what: str,
                        flag: str) -> list[str]:
    """``"node.port"`` (ports of ``port_type``) of the graph's one node of ``types`` (none,
    or one); ``ValueError`` naming the nodes when there are several (the bake would not
    know which to write; ``what``: their plural, ``flag``: the option leaving them out)."""
    ids = sorted(i for i, node in graph.nodes.items() if node.type in types)
    if len(ids) > 1:
        raise ValueError(f"the graph has {len(ids)} {what} ({', '.join(ids)}): a bake "
                         f"writes one; remove the others or bake with {flag}")
    refs = []
    for node_id in ids:
        cls = graph.node_class(node_id)
        refs += [f"{node_id}.{p}" for p, out in (cls.outputs if cls else {}).items()
                 if out.type is port_type]
    return refs


def look_refs(graph: Graph) -> list[str]:
    """``"node.look"`` of the graph's film-stock node (none, or one)."""
    return single_feature_refs(graph, (LOOK_TYPE,), LOOK, "film looks", "--no-look")


def look_files(target: Path, look: Any) -> LookFiles:
    """Where the look of ``look`` (``LookParams``) goes beside ``target``."""
    stock, ev = str(look.stock), float(look.exposure_ev)
    stem = f"moks_look_{stock}" + (f"_{ev:+g}ev" if ev else "")
    return LookFiles(stock, ev, target.with_name(stem + ".ocio"),
                     target.with_name(stem + ".clf"))


def write_look(files: LookFiles) -> LookFiles:
    """Write the CLF and the config (each atomically); returns ``files`` with ``created``."""
    from moks_graph.nodes.looks.ocio_looks import (
        build_config,
        config_text,
        export_clf,
        write_text_atomic,
    )

    created = tuple(p for p in files.paths() if not p.exists())
    try:
        export_clf(files.clf, files.stock, files.exposure_ev)
        config = build_config([files.stock], files.exposure_ev, {files.stock: files.clf.name})
        write_text_atomic(files.config, config_text(config))
    except BaseException:
        remove_files(created)
        raise
    return replace(files, created=created)


def remove_files(paths: tuple[Path, ...]) -> None:
    """Remove side files of a failed bake (those that exist)."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


# ---------------------------------------------------------------------------------- USD


def usd_look(stage: Any, files: LookFiles) -> None:
    """Point a stage at the config: ``colorConfiguration``, ``colorManagementSystem`` and
    ``customLayerData["moks:look"]``."""
    from pxr import Sdf

    stage.SetColorConfiguration(Sdf.AssetPath(f"./{files.config.name}"))
    stage.SetColorManagementSystem("OCIO")
    layer = stage.GetRootLayer()
    data = dict(layer.customLayerData)
    data[USD_KEY] = files.record()
    layer.customLayerData = data


def read_usd_look(stage: Any) -> dict[str, Any] | None:
    """The ``moks:look`` record of a stage, with ``configPath`` (the config resolved
    against the layer), or ``None``."""
    record = stage.GetRootLayer().customLayerData.get(USD_KEY)
    if record is None:
        return None
    out = dict(record)
    folder = Path(stage.GetRootLayer().realPath).parent
    out["configPath"] = str(folder / Path(stage.GetColorConfiguration().path).name)
    return out


# ---------------------------------------------------------------------------------- Maya


def maya_look_lines(files: LookFiles) -> list[str]:
    """``select -ne :defaultColorMgtGlobals;`` and its ``setAttr`` lines (module doc)."""
    from moks_graph.nodes.looks.ocio_looks import SCENE_LINEAR

    from .maya.ma_writer import quote

    def text(attr: str, value: str) -> str:
        return f'\tsetAttr ".{attr}" -type "string" {quote(value)};'

    return ["select -ne :defaultColorMgtGlobals;",
            '\tsetAttr ".cme" yes;', '\tsetAttr ".cfe" yes;',
            text("cfp", files.config.name),
            text("vtn", f"{files.view} ({files.display})"),
            text("vn", files.view), text("dn", files.display), text("wsn", SCENE_LINEAR)]


# ---------------------------------------------------------------------------------- Blender

_BLENDER_VIEW = """
import json, sys
import bpy
path, display, view = sys.argv[-3:]
bpy.context.preferences.filepaths.save_version = 0
bpy.ops.wm.open_mainfile(filepath=path)
for scene in bpy.data.scenes:
    scene.display_settings.display_device = display
    scene.view_settings.view_transform = view
    scene.view_settings.look = "None"
bpy.ops.wm.save_as_mainfile(filepath=path, check_existing=False)
"""


def blender_look_properties(scene: Any, files: LookFiles) -> None:
    """The scene properties a Blender without the config still shows."""
    scene[BLENDER_PROPERTY] = json.dumps(files.record(), sort_keys=True)
    scene[BLENDER_CONFIG_PROPERTY] = files.config.name


def blender_set_view(blend: Path, files: LookFiles) -> None:
    """Set the display and view of ``blend`` in a Blender started with ``OCIO=<config>``
    (this Python's own ``bpy``, in a child process). ``OSError`` when it fails."""
    env = {**os.environ, "OCIO": str(files.config.resolve())}
    done = subprocess.run(
        [sys.executable, "-c", _BLENDER_VIEW, str(blend), files.display, files.view],
        env=env, capture_output=True, text=True, timeout=BLENDER_TIMEOUT_S, check=False)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise OSError(f"Blender could not set the view {files.view!r} from "
                      f"{files.config.name}: {reason}")


def read_blender_look(scene: Any) -> Mapping[str, Any] | None:
    """The look record stored on a Blender scene, or ``None``."""
    text = scene.get(BLENDER_PROPERTY)
    return None if text is None else json.loads(text)
