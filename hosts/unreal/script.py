"""The Python script that builds the bake's Level Sequence inside Unreal (``--host unreal``).

Entry points: :func:`unreal_script`, :func:`script_data`, :data:`SCRIPT_BODY`.

Details (moved from this docstring, issue 15): docs/hosts.md#hostsunrealscriptpy
"""

from __future__ import annotations

import ast
import math
import pprint
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..writer_channels import is_constant
from .mapping import TRANSFORM_TRACK, UnrealPlan

#: Name of the data literal in the script.
DATA_NAME = "MOKS_SEQUENCE"
#: Version of the data layout (2: ``look`` and ``ambient``; 3: ``links``).
DATA_FORMAT = 3
#: Keys the script's body reads from the look and the ambient records.
LOOK_KEYS: tuple[str, ...] = ("config", "working_space", "display", "view", "asset_path")
AMBIENT_KEYS: tuple[str, ...] = ("image", "intensity", "texture_path", "name")

SCRIPT_HEADER = '''"""MOKS Graph bake: run in the Unreal Editor (Tools > Execute Python Script, or
``py "<this file>"``) to build the Level Sequence. Generated: edit the bake, not this file."""

import os

import unreal

'''

SCRIPT_BODY = '''

def _here():
    try:
        return os.path.dirname(os.path.abspath(__file__))
    except NameError:
        return os.getcwd()


def _sequence(data):
    path = data["sequence_path"]
    sequence = unreal.load_asset(path)
    if sequence is None:
        folder, name = path.rsplit("/", 1)
        tools = unreal.AssetToolsHelpers.get_asset_tools()
        sequence = tools.create_asset(name, folder, unreal.LevelSequence,
                                      unreal.LevelSequenceFactoryNew())
    sequence.set_display_rate(unreal.FrameRate(*data["frame_rate"]))
    sequence.set_playback_start(data["playback"][0])
    sequence.set_playback_end(data["playback"][1])
    return sequence


def _settings(actor, component, settings):
    root = actor.get_editor_property("root_component")
    if root is not None:
        root.set_editor_property("mobility", unreal.ComponentMobility.MOVABLE)
    for key, value in settings:
        if key == "intensity_units":
            component.set_editor_property("intensity_units", getattr(unreal.LightUnits, value))
        elif key == "use_temperature":
            component.set_editor_property("use_temperature", bool(value))
        elif key == "fog_height_falloff":
            component.set_editor_property("fog_height_falloff", float(value))
        elif key == "focus_method":
            focus = component.get_editor_property("focus_settings")
            focus.set_editor_property("focus_method", getattr(unreal.CameraFocusMethod, value))
            component.set_editor_property("focus_settings", focus)


def _key_track(binding, track, data):
    unit = getattr(unreal, "MovieSceneTimeUnit", None) or unreal.SequenceTimeUnit
    linear = unreal.MovieSceneKeyInterpolation.LINEAR
    made = binding.add_track(getattr(unreal, track["track_class"]))
    made.set_property_name_and_path(track["property_name"], track["property_path"])
    section = made.add_section()
    section.set_range(*data["playback"])
    channels = section.get_all_channels()
    for index, (_, values) in enumerate(track["channels"]):
        for i, value in enumerate(values):
            channels[index].add_key(unreal.FrameNumber(data["frames"][i]), value,
                                    data["sub_frames"][i], unit.DISPLAY_RATE, linear)


def _look(data):
    look = data["look"]
    folder, name = look["asset_path"].rsplit("/", 1)
    config = unreal.load_asset(look["asset_path"])
    if config is None:
        config = unreal.AssetToolsHelpers.get_asset_tools().create_asset(
            name, folder, unreal.OpenColorIOConfiguration,
            unreal.OpenColorIOConfigurationFactoryNew())
    config_file = unreal.FilePath()
    config_file.set_editor_property("file_path", os.path.join(_here(), look["config"]))
    config.set_editor_property("configuration_file", config_file)
    space = unreal.OpenColorIOColorSpace(color_space_name=look["working_space"])
    view = unreal.OpenColorIODisplayView(display=look["display"], view=look["view"])
    config.set_editor_property("desired_color_spaces", [space])
    config.set_editor_property("desired_display_views", [view])
    config.reload_existing_colorspaces()
    conversion = unreal.OpenColorIOColorConversionSettings()
    conversion.set_editor_property("configuration_source", config)
    conversion.set_editor_property("source_color_space", space)
    conversion.set_editor_property("destination_display_view", view)
    conversion.set_editor_property("display_view_direction",
                                   unreal.OpenColorIOViewTransformDirection.FORWARD)
    display = unreal.OpenColorIODisplayConfiguration()
    display.set_editor_property("is_enabled", True)
    display.set_editor_property("color_configuration", conversion)
    unreal.OpenColorIOEditorBlueprintLibrary.set_active_viewport_configuration(display)
    return config


def _ambient(data, actors):
    ambient = data["ambient"]
    folder, name = ambient["texture_path"].rsplit("/", 1)
    task = unreal.AssetImportTask()
    for key, value in (("filename", os.path.join(_here(), ambient["image"])),
                       ("destination_path", folder), ("destination_name", name),
                       ("automated", True), ("replace_existing", True), ("save", False)):
        task.set_editor_property(key, value)
    pipeline = unreal.InterchangeGenericTexturePipeline()
    pipeline.set_editor_property("file_extensions_to_import_as_long_lat_cubemap", ["exr", "hdr"])
    stack = unreal.InterchangePipelineStackOverride()
    stack.add_pipeline(pipeline)
    task.set_editor_property("options", stack)
    unreal.AssetToolsHelpers.get_asset_tools().import_asset_tasks([task])
    cubemap = unreal.load_asset(ambient["texture_path"])
    if cubemap is None or not isinstance(cubemap, unreal.TextureCube):
        raise RuntimeError("moks_graph: " + ambient["image"] + " did not import as a "
                           "long-lat TextureCube; the SkyLight needs one")
    actor = actors.spawn_actor_from_class(unreal.SkyLight, unreal.Vector(0.0, 0.0, 0.0),
                                          unreal.Rotator(roll=0.0, pitch=0.0, yaw=0.0))
    actor.set_actor_label(ambient["name"])
    light = actor.get_component_by_class(unreal.SkyLightComponent)
    light.set_editor_property("mobility", unreal.ComponentMobility.MOVABLE)
    light.set_editor_property("source_type", unreal.SkyLightSourceType.SLS_SPECIFIED_CUBEMAP)
    light.set_editor_property("lower_hemisphere_is_black", False)
    light.set_cubemap(cubemap)
    light.set_intensity(ambient["intensity"])
    light.recapture_sky()
    return actor


def _link(data, spawned):
    keep = unreal.AttachmentRule.KEEP_WORLD
    for child, parent in data["links"]["attach"]:
        spawned[child].attach_to_actor(spawned[parent], "", keep, keep, keep, False)
    for aim, target in data["links"]["track"]:
        tracking = unreal.CameraLookatTrackingSettings()
        tracking.set_editor_property("enable_look_at_tracking", True)
        tracking.set_editor_property("actor_to_track", spawned[target])
        tracking.set_editor_property("look_at_tracking_interp_speed", 0.0)
        tracking.set_editor_property("allow_roll", False)
        spawned[aim].set_editor_property("lookat_tracking_settings", tracking)


def build(data=MOKS_SEQUENCE):
    """Create or update the Level Sequence; returns it."""
    sequence = _sequence(data)
    actors = unreal.get_editor_subsystem(unreal.EditorActorSubsystem)
    keyed = {pair[0] for pair in data["links"]["attach"] + data["links"]["track"]}
    spawned = {}
    bindings = []
    for spec in data["actors"]:
        x, y, z, roll, pitch, yaw = spec["spawn"]
        actor = actors.spawn_actor_from_class(getattr(unreal, spec["actor_class"]),
                                              unreal.Vector(x, y, z),
                                              unreal.Rotator(roll=roll, pitch=pitch, yaw=yaw))
        actor.set_actor_label(spec["name"])
        spawned[spec["name"]] = actor
        component = None
        if spec["component_class"]:
            component = actor.get_component_by_class(getattr(unreal, spec["component_class"]))
            _settings(actor, component, spec["settings"])
        binding = sequence.add_possessable(actor)
        if spec["name"] not in keyed:  # a linked actor's relative keys are the script's
            bindings.append(binding)
        component_binding = sequence.add_possessable(component) if component else None
        for track in spec["tracks"]:
            _key_track(component_binding if track["on_component"] else binding, track, data)
    if data["fbx"]:
        settings = unreal.MovieSceneUserImportFBXSettings()
        settings.set_editor_property("match_by_name_only", True)
        settings.set_editor_property("convert_scene_unit", True)
        settings.set_editor_property("force_front_x_axis", False)
        settings.set_editor_property("create_cameras", False)
        settings.set_editor_property("replace_transform_track", True)
        settings.set_editor_property("reduce_keys", False)
        world = unreal.get_editor_subsystem(unreal.UnrealEditorSubsystem).get_editor_world()
        unreal.SequencerTools.import_level_sequence_fbx(
            world, sequence, bindings, settings, os.path.join(_here(), data["fbx"]))
    _link(data, spawned)
    if data["look"]:
        _look(data)
    if data["ambient"]:
        _ambient(data, actors)
    for line in data["report"]:
        unreal.log_warning("moks_graph: " + line)
    for name in data["side_files"]:
        unreal.log("moks_graph: written beside this script: " + name)
    return sequence


if __name__ == "__main__":
    build()
'''


def check_asset_path(path: str) -> str:
    """``path`` if it is an asset path like ``/Game/MOKS/shot``, else ``ValueError``."""
    if not path.startswith("/") or "/" not in path.rstrip("/")[1:]:
        raise ValueError(f"an Unreal asset path must look like '/Game/MOKS/shot', got {path!r}")
    return path


def check_text(value: str, where: str) -> str:
    """``value`` if it holds no control character nor line/paragraph separator, else
    ``ValueError`` naming ``where`` and the first bad character."""
    if not isinstance(value, str):
        raise TypeError(f"{where} must be a string, got {type(value).__name__}")
    for i, ch in enumerate(value):
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            raise ValueError(f"{where} {value!r} holds the control character {ch!r} at "
                             f"{i}; the Unreal script refuses it")
    return value


def _checked(value: Any, where: str) -> Any:
    """A deep copy of plain data with every string and number checked (module docstring)."""
    if isinstance(value, str):
        return check_text(value, where)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        if not math.isfinite(float(value)):
            raise ValueError(f"{where}: non-finite value {value!r}")
        return float(value)
    if isinstance(value, dict):
        return {check_text(k, f"{where} key"): _checked(v, f"{where}.{k}")
                for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_checked(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise TypeError(f"{where}: {type(value).__name__} cannot go into the Unreal script")


def _held(values: np.ndarray) -> list[float]:
    """A channel's keys: one when it holds one value (Sequencer holds it), else every sample."""
    v = np.asarray(values, dtype=np.float64)
    return [float(x) for x in (v[:1] if is_constant(v) else v)]


def plan_data(plan: UnrealPlan, *, sequence_path: str, fbx: str,
              side_files: Sequence[str] = (), look: Mapping[str, Any] | None = None,
              ambient: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``MOKS_SEQUENCE`` data of ``plan``: every track but the transforms (the FBX's;
    a linked actor's relative transform is the script's), the look and ambient records
    (:func:`unreal_script`) and the links (:class:`~.mapping.UnrealLinks`)."""
    actors = []
    keyed = plan.links.keyed()
    for actor in plan.actors:
        tracks = [{"on_component": t.on_component, "track_class": t.track_class,
                   "property_name": t.property_name, "property_path": t.property_path,
                   "channels": [[name, _held(values)] for name, values in t.channels]}
                  for t in actor.tracks
                  if t.track_class != TRANSFORM_TRACK or actor.name in keyed]
        actors.append({"name": actor.name, "kind": actor.kind, "actor_class": actor.actor_class,
                       "component_class": actor.component_class or "",
                       "settings": [[k, v] for k, v in actor.settings],
                       "spawn": list(actor.spawn), "tracks": tracks})
    return {"format": DATA_FORMAT, "sequence_path": sequence_path, "fbx": fbx,
            "frame_rate": list(plan.frame_rate), "playback": list(plan.playback),
            "frames": plan.frame_numbers.tolist(), "sub_frames": plan.sub_frames.tolist(),
            "actors": actors, "report": list(plan.report), "side_files": list(side_files),
            "look": dict(look) if look else None, "ambient": dict(ambient) if ambient else None,
            "links": {"attach": [list(p) for p in plan.links.attach],
                      "track": [list(p) for p in plan.links.track]}}


def unreal_script(plan: UnrealPlan, *, sequence_path: str, fbx: str,
                  side_files: Sequence[str] = (), look: Mapping[str, Any] | None = None,
                  ambient: Mapping[str, Any] | None = None) -> str:
    """The script text for ``plan`` (module docstring). ``sequence_path``: the asset, e.g.
    ``"/Game/MOKS/shot010"``; ``fbx``: the FBX file name beside the script (``""``: none);
    ``side_files``: names of other files the bake wrote beside it (listed and logged).
    ``look``: ``config`` (the OCIO config's file name beside the script), ``working_space``,
    ``display``, ``view`` and ``asset_path`` (the ``OpenColorIOConfiguration`` asset);
    ``ambient``: ``image`` (the lat-long EXR's file name), ``intensity`` (the SkyLight's
    scale, ``2**exposure``), ``texture_path`` (the ``TextureCube`` asset) and ``name`` (the
    SkyLight's label); more keys are kept as data. ``None``: not applied.

    ``ValueError`` naming the field for a control character in any string or a non-finite
    number.
    """
    check_asset_path(sequence_path)
    for record, keys in ((look, LOOK_KEYS), (ambient, AMBIENT_KEYS)):
        missing = sorted(set(keys) - set(record or keys))
        if missing:
            raise ValueError(f"the Unreal script's record lacks {', '.join(missing)}")
    for path in (look or {}).get("asset_path"), (ambient or {}).get("texture_path"):
        if path is not None:
            check_asset_path(path)
    data = _checked(plan_data(plan, sequence_path=sequence_path, fbx=fbx,
                              side_files=side_files, look=look, ambient=ambient), DATA_NAME)
    literal = pprint.pformat(data, width=100, sort_dicts=False)
    if ast.literal_eval(literal) != data:  # pragma: no cover - repr of plain data round-trips
        raise ValueError("the Unreal script's data does not read back as written")
    return f"{SCRIPT_HEADER}{DATA_NAME} = {literal}\n{SCRIPT_BODY}"


def script_data(text: str) -> dict[str, Any]:
    """The ``MOKS_SEQUENCE`` literal of a generated script, read with ``ast`` (not run).

    ``ValueError`` when the script has no such top-level assignment or it is not a literal.
    """
    for node in ast.parse(text).body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id == DATA_NAME):
            return ast.literal_eval(node.value)
    raise ValueError(f"the script has no top-level {DATA_NAME} = {{...}}")
