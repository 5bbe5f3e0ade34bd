"""The in-editor Unreal adapter: bake Channels into a Level Sequence.

Entry points: :func:`apply_to_unreal`.

Details (moved from this docstring, issue 15): docs/hosts.md#hostsunrealadapterpy
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from moks_graph.channels import Channels

from ..writer_channels import is_constant
from .mapping import UnrealActor, UnrealPlan, plan_unreal_sequence


def key_stream(plan: UnrealPlan, values: np.ndarray) -> Iterator[tuple[int, float, float]]:
    """``(frame number, sub_frame, value)`` per sample, the arguments of one ``add_key``.

    A channel that holds one value gets one key at the first sample (Sequencer
    holds it): :func:`moks_graph.hosts.writer_channels.is_constant`.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.shape != plan.frame_numbers.shape:
        raise ValueError(f"values has shape {v.shape}, the plan has {plan.frame_numbers.shape}")
    count = 1 if is_constant(v) else len(v)
    for f, s, x in zip(plan.frame_numbers[:count], plan.sub_frames[:count], v[:count],
                       strict=True):
        yield int(f), float(s), float(x)


def split_sequence_path(sequence_path: str) -> tuple[str, str]:
    """``"/Game/MOKS/shot010"`` -> ``("/Game/MOKS", "shot010")`` (asset folder, asset name)."""
    if not isinstance(sequence_path, str) or not sequence_path.startswith("/"):
        raise ValueError(f"sequence_path must be an asset path like '/Game/MOKS/shot', "
                         f"got {sequence_path!r}")
    folder, _, name = sequence_path.rstrip("/").rpartition("/")
    if not folder or not name:
        raise ValueError(f"sequence_path {sequence_path!r} needs a folder and a name")
    return folder, name


def _settings(unreal: Any, actor: Any, component: Any, spec: UnrealActor) -> None:
    root = actor.get_editor_property("root_component")
    if root is not None:
        root.set_editor_property("mobility", unreal.ComponentMobility.MOVABLE)
    for key, value in spec.settings:
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


def apply_to_unreal(channels: Channels, sequence_path: str = "/Game/MOKS/moks_bake") -> Any:
    """Bake ``channels`` into the Level Sequence at ``sequence_path`` (created if missing).

    Returns the ``unreal.LevelSequence``. The plan's report (channels with no
    Unreal property) is logged with ``unreal.log_warning``.
    """
    plan = plan_unreal_sequence(channels)
    folder, name = split_sequence_path(sequence_path)
    import unreal

    sequence = unreal.load_asset(sequence_path)
    if sequence is None:
        tools = unreal.AssetToolsHelpers.get_asset_tools()
        sequence = tools.create_asset(name, folder, unreal.LevelSequence,
                                      unreal.LevelSequenceFactoryNew())
    sequence.set_display_rate(unreal.FrameRate(*plan.frame_rate))
    sequence.set_playback_start(plan.playback[0])
    sequence.set_playback_end(plan.playback[1])
    actors = unreal.get_editor_subsystem(unreal.EditorActorSubsystem)
    time_unit = getattr(unreal, "MovieSceneTimeUnit", None) or unreal.SequenceTimeUnit
    linear = unreal.MovieSceneKeyInterpolation.LINEAR
    for spec in plan.actors:
        x, y, z, roll, pitch, yaw = spec.spawn
        actor = actors.spawn_actor_from_class(getattr(unreal, spec.actor_class),
                                              unreal.Vector(x, y, z),
                                              unreal.Rotator(roll=roll, pitch=pitch, yaw=yaw))
        actor.set_actor_label(spec.name)
        component = (actor.get_component_by_class(getattr(unreal, spec.component_class))
                     if spec.component_class else None)
        _settings(unreal, actor, component, spec)
        actor_binding = sequence.add_possessable(actor)
        component_binding = sequence.add_possessable(component) if component else None
        for track_spec in spec.tracks:
            binding = component_binding if track_spec.on_component else actor_binding
            track = binding.add_track(getattr(unreal, track_spec.track_class))
            if track_spec.track_class != "MovieScene3DTransformTrack":
                track.set_property_name_and_path(track_spec.property_name,
                                                 track_spec.property_path)
            section = track.add_section()
            section.set_range(*plan.playback)
            channel_list = section.get_all_channels()
            for index, (_, values) in enumerate(track_spec.channels):
                for frame, sub, value in key_stream(plan, values):
                    channel_list[index].add_key(unreal.FrameNumber(frame), value, sub,
                                                time_unit.DISPLAY_RATE, linear)
    for line in plan.report:
        unreal.log_warning(f"moks_graph: {line}")
    return sequence
