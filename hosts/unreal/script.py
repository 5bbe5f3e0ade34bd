"""The Python script that builds the bake's Level Sequence inside Unreal (``--host unreal``).

:func:`unreal_script` turns a :class:`~moks_graph.hosts.unreal.mapping.UnrealPlan` into the
text of a script for the Unreal Editor's ``unreal`` module. The script is two parts:

* ``MOKS_SEQUENCE = {...}``: the data, one Python literal written with ``repr`` (through
  ``pprint``) of plain ``dict`` / ``list`` / ``str`` / ``int`` / ``float`` / ``bool`` values
  only. Every string is checked first: a control character (newline, carriage return, NUL, ...)
  or a line or paragraph separator anywhere is refused with a ``ValueError`` naming the field,
  and a non-finite number too. The literal is parsed back with ``ast.literal_eval`` before it is
  returned and must give the same data, so no name, path or value can become code.
* a fixed body (:data:`SCRIPT_BODY`, no text substituted into it), written against the
  documented Python API: ``AssetToolsHelpers.get_asset_tools().create_asset(...,
  unreal.LevelSequence, unreal.LevelSequenceFactoryNew())``, ``set_display_rate(FrameRate)``,
  ``set_playback_start/end``, ``EditorActorSubsystem.spawn_actor_from_class`` (a
  ``CineCameraActor`` per camera, the light actors), ``add_possessable``, ``add_track`` +
  ``set_property_name_and_path``, ``add_section`` / ``set_range``, and
  ``MovieSceneScriptingFloatChannel.add_key(FrameNumber, value, sub_frame, DISPLAY_RATE,
  LINEAR)`` for the camera's focal length, aperture, focus distance and film back and the
  lights' intensity (cd, lux for a sun), colour, cone and source size. The transforms come
  from the FBX beside the script: ``SequencerTools.import_level_sequence_fbx(world, sequence,
  bindings, MovieSceneUserImportFBXSettings, path)`` with ``match_by_name_only``,
  ``convert_scene_unit`` (the FBX is in metres) and ``replace_transform_track``.

:func:`script_data` is the reverse: the ``MOKS_SEQUENCE`` literal of a script, read with
``ast`` (never executed).
"""

from __future__ import annotations

import ast
import math
import pprint
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..common import is_constant
from .mapping import TRANSFORM_TRACK, UnrealPlan

#: Name of the data literal in the script.
DATA_NAME = "MOKS_SEQUENCE"
#: Version of the data layout.
DATA_FORMAT = 1

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


def build(data=MOKS_SEQUENCE):
    """Create or update the Level Sequence; returns it."""
    sequence = _sequence(data)
    actors = unreal.get_editor_subsystem(unreal.EditorActorSubsystem)
    bindings = []
    for spec in data["actors"]:
        x, y, z, roll, pitch, yaw = spec["spawn"]
        actor = actors.spawn_actor_from_class(getattr(unreal, spec["actor_class"]),
                                              unreal.Vector(x, y, z),
                                              unreal.Rotator(roll=roll, pitch=pitch, yaw=yaw))
        actor.set_actor_label(spec["name"])
        component = None
        if spec["component_class"]:
            component = actor.get_component_by_class(getattr(unreal, spec["component_class"]))
            _settings(actor, component, spec["settings"])
        binding = sequence.add_possessable(actor)
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
    for line in data["report"]:
        unreal.log_warning("moks_graph: " + line)
    for name in data["side_files"]:
        unreal.log("moks_graph: written beside this script (not applied here): " + name)
    return sequence


if __name__ == "__main__":
    build()
'''


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
              side_files: Sequence[str] = ()) -> dict[str, Any]:
    """The ``MOKS_SEQUENCE`` data of ``plan``: every track but the transforms (the FBX's)."""
    actors = []
    for actor in plan.actors:
        tracks = [{"on_component": t.on_component, "track_class": t.track_class,
                   "property_name": t.property_name, "property_path": t.property_path,
                   "channels": [[name, _held(values)] for name, values in t.channels]}
                  for t in actor.tracks if t.track_class != TRANSFORM_TRACK]
        actors.append({"name": actor.name, "kind": actor.kind, "actor_class": actor.actor_class,
                       "component_class": actor.component_class or "",
                       "settings": [[k, v] for k, v in actor.settings],
                       "spawn": list(actor.spawn), "tracks": tracks})
    return {"format": DATA_FORMAT, "sequence_path": sequence_path, "fbx": fbx,
            "frame_rate": list(plan.frame_rate), "playback": list(plan.playback),
            "frames": plan.frame_numbers.tolist(), "sub_frames": plan.sub_frames.tolist(),
            "actors": actors, "report": list(plan.report), "side_files": list(side_files)}


def unreal_script(plan: UnrealPlan, *, sequence_path: str, fbx: str,
                  side_files: Sequence[str] = ()) -> str:
    """The script text for ``plan`` (module docstring). ``sequence_path``: the asset, e.g.
    ``"/Game/MOKS/shot010"``; ``fbx``: the FBX file name beside the script (``""``: none);
    ``side_files``: names of other files the bake wrote beside it (listed, not applied).

    ``ValueError`` naming the field for a control character in any string or a non-finite
    number.
    """
    if not sequence_path.startswith("/") or "/" not in sequence_path.rstrip("/")[1:]:
        raise ValueError(f"sequence_path must be an asset path like '/Game/MOKS/shot', "
                         f"got {sequence_path!r}")
    data = _checked(plan_data(plan, sequence_path=sequence_path, fbx=fbx,
                              side_files=side_files), DATA_NAME)
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
