"""MOKS Graph for Blender: bake a .mgraph into the current scene (a Blender 5.0+ extension).

Entry points: :class:`MOKS_OT_bake_graph`, :class:`MOKS_PT_bake`, :func:`register`.

Details (moved from this docstring, issue 15): docs/hosts.md#hostsblenderaddon__init__py
"""

import os
import sys
from typing import Any

import bpy
from bpy.props import BoolProperty, IntProperty, PointerProperty, StringProperty

#: Help shown when ``moks_graph`` cannot be imported inside Blender.
INSTALL_HELP = ("the moks_graph package is not importable in Blender's Python: pip install "
                "moks-graph into Blender's Python, or set the MOKS Graph add-on preference "
                "'Python packages folder' to a Python 3.11 site-packages that has it")


def _add_site_packages(folder: str) -> None:
    """Put ``folder`` (a site-packages with moks_graph) on ``sys.path`` once."""
    path = os.path.abspath(bpy.path.abspath(folder)) if folder else ""
    if path and os.path.isdir(path) and path not in sys.path:
        sys.path.append(path)


def _on_site_packages(prefs: Any, _context: Any) -> None:
    _add_site_packages(prefs.site_packages)


class MOKS_AddonPreferences(bpy.types.AddonPreferences):
    """Where to find the moks_graph package when it is not installed in Blender's Python."""

    bl_idname = __package__

    site_packages: StringProperty(  # type: ignore[valid-type]
        name="Python packages folder",
        description="A Python 3.11 site-packages folder that has moks_graph and its "
                    "dependencies (added to sys.path)",
        subtype="DIR_PATH",
        update=_on_site_packages,
    )

    def draw(self, _context: Any) -> None:
        self.layout.prop(self, "site_packages")


class MOKS_BakeSettings(bpy.types.PropertyGroup):
    """Per-scene panel settings: graph file, frame range, sub-frames, last result."""

    graph_path: StringProperty(  # type: ignore[valid-type]
        name="Graph", description="The .mgraph file to bake", subtype="FILE_PATH")
    use_graph_range: BoolProperty(  # type: ignore[valid-type]
        name="Graph's frame range", default=True,
        description="Bake the frame range saved in the graph; off: use Start/End below")
    frame_start: IntProperty(  # type: ignore[valid-type]
        name="Start", default=1, description="First frame to bake")
    frame_end: IntProperty(  # type: ignore[valid-type]
        name="End", default=240, description="Last frame to bake")
    subframes: IntProperty(  # type: ignore[valid-type]
        name="Sub-frames", default=0, min=0, max=64,
        description="Samples per frame (0: the graph's)")
    keep_camera: BoolProperty(  # type: ignore[valid-type]
        name="Keep scene camera", default=False,
        description="Leave the scene's active camera; off: the baked camera becomes active")
    replace_world: BoolProperty(  # type: ignore[valid-type]
        name="Replace world", default=False,
        description="Make the baked fog world the scene's world (the old one is kept with a "
                    "fake user); off: the scene's world stays")
    last_result: StringProperty(  # type: ignore[valid-type]
        name="Last bake", default="", options={"SKIP_SAVE"})


class MOKS_OT_bake_graph(bpy.types.Operator):
    """Evaluate the chosen .mgraph and key its cameras, lights and fog into this scene"""

    bl_idname = "moks.bake_graph"
    bl_label = "Bake MOKS graph"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: Any) -> bool:
        settings = getattr(context.scene, "moks_bake", None)
        return settings is not None and bool(settings.graph_path)

    def execute(self, context: Any) -> set[str]:
        settings = context.scene.moks_bake
        try:
            from moks_graph.errors import MoksError

            from . import core
        except ImportError as exc:
            self.report({"ERROR"}, f"{INSTALL_HELP} ({exc})")
            return {"CANCELLED"}
        path = bpy.path.abspath(settings.graph_path)
        frames = None if settings.use_graph_range else (settings.frame_start, settings.frame_end)
        wm = context.window_manager
        wm.progress_begin(0, 100)

        def progress(phase: str, done: int, total: int, _detail: str) -> None:
            if phase == "evaluate" and total:
                wm.progress_update(int(90 * done / total))

        try:
            result = core.bake_into_scene(path, context.scene, frames=frames,
                                          subframes=settings.subframes or None,
                                          progress=progress,
                                          replace_world=settings.replace_world,
                                          keep_camera=settings.keep_camera)
        except MoksError as exc:
            self.report({"ERROR"}, exc.describe())
            return {"CANCELLED"}
        except (OSError, ValueError, TypeError) as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        finally:
            wm.progress_end()
        for line in (*result.targets.warnings, *result.notes):
            self.report({"WARNING"}, line)
        settings.last_result = result.summary()
        self.report({"INFO"}, settings.last_result)
        return {"FINISHED"}


class MOKS_PT_bake(bpy.types.Panel):
    """The MOKS tab of the 3D viewport sidebar."""

    bl_idname = "MOKS_PT_bake"
    bl_label = "MOKS Graph"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "MOKS"

    def draw(self, context: Any) -> None:
        settings = context.scene.moks_bake
        layout = self.layout
        layout.prop(settings, "graph_path")
        layout.prop(settings, "use_graph_range")
        row = layout.row(align=True)
        row.enabled = not settings.use_graph_range
        row.prop(settings, "frame_start")
        row.prop(settings, "frame_end")
        layout.prop(settings, "subframes")
        layout.prop(settings, "keep_camera")
        layout.prop(settings, "replace_world")
        layout.operator(MOKS_OT_bake_graph.bl_idname, icon="RENDER_ANIMATION")
        if settings.last_result:
            layout.label(text=settings.last_result)


CLASSES: tuple[type, ...] = (MOKS_AddonPreferences, MOKS_BakeSettings, MOKS_OT_bake_graph,
                             MOKS_PT_bake)


def register() -> None:
    """Register the classes, the ``Scene.moks_bake`` settings, and apply the packages folder."""
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.moks_bake = PointerProperty(type=MOKS_BakeSettings)
    addon = bpy.context.preferences.addons.get(__package__)
    if addon is not None and addon.preferences is not None:
        _add_site_packages(addon.preferences.site_packages)


def unregister() -> None:
    """Undo :func:`register`."""
    del bpy.types.Scene.moks_bake
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
