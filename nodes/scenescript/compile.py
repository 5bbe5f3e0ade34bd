"""SceneScript -> bake graph: the rig, the lights, the atmosphere and the look as nodes.

Entry points: :func:`compile_scene`, :func:`requested_illuminance`.

Details (moved from this docstring, issue 15): docs/classic-mode.md#nodesscenescriptcompilepy
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import ValidationError

from moks_graph.graph import Graph, Settings
from moks_graph.nodes.camera.rigs import RIGS
from moks_graph.nodes.lights.emitters import light_illuminance_per_cd
from moks_graph.nodes.lights.rig import PracticalLightParams
from moks_graph.nodes.scenescript.schema import SceneScript
from moks_graph.nodes.scenescript.vocabulary import ProseConflict
from moks_graph.nodes.subject.path import SubjectPathParams, path_end_time

#: Frame height as a multiple of the subject height, per shot size.
FRAME_HEIGHT: dict[str, float] = {
    "extreme_close_up": 0.07, "close_up": 0.2, "medium_close_up": 0.3, "medium": 0.45,
    "full": 1.25, "wide": 3.0, "extreme_wide": 10.0,
}
#: Default lens per shot size [mm].
LENS_MM: dict[str, float] = {
    "extreme_close_up": 100.0, "close_up": 85.0, "medium_close_up": 65.0, "medium": 50.0,
    "full": 35.0, "wide": 24.0, "extreme_wide": 18.0,
}
#: Camera elevation around the subject per angle [deg], and roll for a dutch angle.
ANGLE_ELEVATION: dict[str, float] = {"eye_level": 0.0, "low": -20.0, "high": 25.0,
                                     "overhead": 70.0, "dutch": 0.0}
DUTCH_ROLL_DEG = 12.0
SENSOR_MM = (36.0, 24.0)
#: Where the camera aims on the subject, as a fraction of its height.
AIM_HEIGHT: dict[str, float] = {"person": 0.93, "crowd": 0.9, "product": 0.5, "vehicle": 0.5,
                                "landscape": 0.3}


def framing(script: SceneScript) -> dict[str, Any]:
    """Target, camera position, lens and distance implied by the subject and shot slots."""
    subject, shot = script.subject, script.shot
    focal = shot.focal_length_mm or LENS_MM[shot.size]
    frame_h = FRAME_HEIGHT[shot.size] * subject.height_m
    distance = max(frame_h * focal / SENSOR_MM[1], 0.3)
    target = np.array([0.0, 0.0, AIM_HEIGHT[subject.kind] * subject.height_m])
    e = math.radians(ANGLE_ELEVATION[shot.angle])
    camera = target + distance * np.array([0.0, -math.cos(e), math.sin(e)])
    camera[2] = max(camera[2], 0.15)
    return {"target": target, "camera": camera, "focal": focal, "distance": distance,
            "roll": DUTCH_ROLL_DEG if shot.angle == "dutch" else 0.0}


def _v(p: np.ndarray) -> list[float]:
    return [round(float(x), 6) for x in p]


#: How far a push-in or pull-out travels, as a fraction of the framing distance: a push-in
#: ends on the framing, a pull-out starts on it.
PUSH_TRAVEL = 0.3
#: The moves each rig makes; another move is made on :data:`MOVE_RIG`'s rig, with a warning.
RIG_MOVES: dict[str, frozenset[str]] = {
    "tripod_locked": frozenset({"static"}),
    "moco": frozenset({"static", "track", "push_in", "pull_out", "orbit", "turntable"}),
    "dolly": frozenset({"static", "push_in", "pull_out", "track", "chase"}),
    "technocrane": frozenset({"static", "sweep", "push_in", "pull_out"}),
    "wirecam": frozenset({"static", "track", "chase"}),
    "drone": frozenset({"static", "orbit", "reveal", "turntable", "push_in", "pull_out"}),
    "handheld": frozenset({"static", "push_in", "pull_out", "chase", "track"}),
}
#: The rig that makes a move the said rig cannot.
MOVE_RIG: dict[str, str] = {"push_in": "dolly", "pull_out": "dolly", "track": "dolly",
                            "orbit": "drone", "reveal": "drone", "turntable": "moco",
                            "chase": "handheld", "sweep": "technocrane"}
#: Rigs that make a chase of a still subject (a sideways track) but cannot keep pace with a
#: moving one: that chase is handed to a handheld, with a warning (:func:`playable`).
UNPACED_CHASE_RIGS: frozenset[str] = frozenset({"wirecam"})
#: Default orbit angles [deg].
ORBIT_SWEEP_DEG = 90.0
TURNTABLE_SWEEP_DEG = 360.0
#: Time-scalings tried on a rig's default limits when its move must be faster to fit the shot.
LIMIT_SCALES = (1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)


def playable(script: SceneScript) -> SceneScript:
    """``script`` with a rig that can make its move: a tripod cannot push in, so "tripod
    push-in" is made on a dolly, with a :class:`ProseConflict` warning saying so."""
    rig, move = script.camera.rig, script.camera.move
    if rig in UNPACED_CHASE_RIGS and move == "chase" and script.subject.motion != "still":
        warnings.warn(ProseConflict(f"a {rig} cannot keep pace with a moving subject (its "
                                    "cable sags, so its speed along the span is not the "
                                    "subject's): the chase is made on a handheld instead"),
                      stacklevel=3)
        return script.with_slot("camera", rig="handheld")
    if move in RIG_MOVES[rig]:
        return script
    other, word = MOVE_RIG[move], move.replace("_", "-")
    warnings.warn(ProseConflict(f"a {rig} cannot make the {word} move: it is made on a "
                                f"{other} instead"), stacklevel=3)
    return script.with_slot("camera", rig=other)


def move_window(script: SceneScript, settings: Settings) -> tuple[float, float]:
    """When the move starts and how long it lasts [s]: the shot less a lead-in and a tail of
    10 % (at most 0.5 s) each, or the script's ``duration_s`` after the lead-in."""
    t0, t1 = settings.frame_start / settings.fps, settings.frame_end / settings.fps
    lead = min(0.5, 0.1 * (t1 - t0))
    length = script.camera.duration_s or max(t1 - t0 - 2.0 * lead, 1.0 / settings.fps)
    if t0 + lead + length > t1 + 1e-9:
        warnings.warn(ProseConflict(f"the {length:g} s move is longer than the "
                                    f"{t1 - t0:g} s shot: it ends after the last frame"),
                      stacklevel=3)
    return t0 + lead, length


def _fit_limits(rig: str, params: dict[str, Any], stated: bool = False) -> dict[str, Any]:
    """``params`` whose speed, acceleration and jerk limits let the move last its
    ``move_duration``: the rig's defaults time-scaled by k (v k, a k², j k³), smallest k first.

    A move that cannot fit even at the last scaling is an error when its length was
    ``stated`` in the prose; fitted to a short shot, it runs at the rig's own limits past
    the last frame, with a :class:`ProseConflict` warning."""
    if not params.get("move_duration"):
        return params
    model = RIGS[rig].Params
    base = {name: model.model_fields[name].default for name in ("v_max", "a_max", "j_max")}
    first = ""
    for k in LIMIT_SCALES:
        trial = params if k == 1.0 else {
            **params, **{name: round(value * k ** (1 + i), 6)
                         for i, (name, value) in enumerate(base.items())}}
        try:
            model.model_validate(trial)
        except ValidationError as exc:
            first = first or str(exc.errors()[0]["msg"])
            continue
        return trial
    if stated:
        raise ValueError(f"the move does not fit {params['move_duration']:g} s on a {rig}, "
                         f"even with its limits time-scaled x{LIMIT_SCALES[-1]:g}: {first}")
    warnings.warn(ProseConflict(
        f"the move does not fit {params['move_duration']:g} s on a {rig}, even with its "
        f"limits time-scaled x{LIMIT_SCALES[-1]:g}: it runs at the rig's own limits and ends "
        f"after the last frame (lengthen the shot or state a length, e.g. '4s')"), stacklevel=3)
    return {**params, "move_duration": 0.0}


def _sweep(c: Any) -> float:
    if c.sweep_deg is not None:
        return float(c.sweep_deg)
    return TURNTABLE_SWEEP_DEG if c.move == "turntable" else ORBIT_SWEEP_DEG


def rig_params(script: SceneScript, frame: dict[str, Any], window: tuple[float, float],
               walk: dict[str, Any] | None = None) -> dict[str, Any]:
    """Parameters of the rig node for the camera slot (docs/classic-mode.md, moves).

    ``window``: the move's start and length [s] (:func:`move_window`); ``walk``: the moving
    subject's ``moks.subject.path`` parameters, which a handheld chase keeps pace with.
    """
    cam, tgt, d = frame["camera"], frame["target"], frame["distance"]
    c = script.camera
    lens = {"target": _v(tgt), "focal_length": frame["focal"], "fstop": c.fstop,
            "roll": frame["roll"], "screen_x": script.shot.screen_x,
            "screen_y": script.shot.screen_y}
    move = {"start_time": round(window[0], 6), "move_duration": round(window[1], 6)}
    hold = c.move == "static"  # every rig holds its framing: no travel
    if hold:
        move["move_duration"] = 0.0
    noise = {"noise_scale": round(2.0 * c.energy, 6)}
    rig, mv = c.rig, c.move
    push = PUSH_TRAVEL * d
    far = cam - np.array([0.0, push, 0.0])  # the camera is on the -Y side of the subject
    travel = {"push_in": (far, cam), "chase": (far, cam), "pull_out": (cam, far)}.get(mv)
    if rig == "tripod_locked":
        return {**lens, **noise, "position": _v(cam)}
    if rig == "handheld":
        out = {**lens, "position": _v(cam), "energy": round(3.0 * c.energy, 6)}
        if mv == "chase" and walk is not None:  # keep pace with the subject: same walk, limits
            mark = np.asarray(tgt)
            return {**out, "position": _v(cam + np.subtract(walk["start"], mark)),
                    "walk_to": _v(cam + np.subtract(walk["end"], mark)), **_pace(walk)}
        if travel is not None:
            out.update(move, position=_v(travel[0]), walk_to=_v(travel[1]))
        elif mv == "track":
            out.update(move, walk_to=_v(cam + np.array([0.6 * d, 0.0, 0.0])))
        return out
    if rig == "moco":
        if mv in ("orbit", "turntable"):
            return {**lens, **move, "path": "orbit",
                    "orbit_radius": round(max(math.hypot(*(cam - tgt)[:2]), 0.05), 6),
                    "orbit_height": round(float(cam[2] - tgt[2]), 6),
                    "orbit_azimuth_start": -90.0, "orbit_sweep": _sweep(c)}
        offset = np.array([0.0, 0.0, 0.0]) if hold else np.array([0.3 * d, 0.0, 0.0])
        start, end = travel if travel is not None else (cam - offset, cam + offset)
        return {**lens, **move, "start_position": _v(start), "end_position": _v(end)}
    if rig == "dolly" and mv == "chase" and walk is not None:
        return {**lens, **noise, **_dolly_chase(cam, tgt, walk)}
    if rig == "dolly":
        length = round((PUSH_TRAVEL + 0.5) * d + 1.0, 6)
        if mv in ("push_in", "pull_out", "static"):
            start = np.array([cam[0], cam[1] - (PUSH_TRAVEL + 0.1) * d - 0.5, 0.0])
            a, b = 0.5 + (PUSH_TRAVEL + 0.1) * d, 0.5 + 0.1 * d  # positions along the track
            a, b = (b, a) if mv == "push_in" else (a, a) if hold else (a, b)
            heading = 90.0
        else:
            start = np.array([cam[0] - length / 2, cam[1], 0.0])
            a, b, heading = 0.5, length - 0.5, 0.0
        return {**lens, **move, **noise, "track_start": _v(start), "track_heading": heading,
                "track_length": length, "move_start": round(a, 6), "move_end": round(b, 6),
                "lens_height": round(float(cam[2]), 6)}
    if rig == "technocrane":
        arm = round(min(max(0.5 * d, 2.0), 12.0), 6)
        if travel is not None:  # telescope straight at the subject
            lengths = (arm, round(arm + push, 6))
            lengths = lengths if mv == "push_in" else lengths[::-1]
            return {**lens, **move, **noise, "pivot": _v(cam - np.array([0.0, arm + push, 0.0])),
                    "arm_length_start": lengths[0], "arm_length_end": lengths[1],
                    "swing_start": 90.0, "swing_end": 90.0, "boom_start": 0.0, "boom_end": 0.0}
        pivot = cam - np.array([0.0, arm, 0.0])
        swing = (90.0, 90.0) if hold else (60.0, 120.0)
        return {**lens, **move, **noise, "pivot": _v(pivot), "arm_length_start": arm,
                "arm_length_end": arm, "swing_start": swing[0], "swing_end": swing[1],
                "boom_start": 0.0, "boom_end": 0.0 if mv != "sweep" else 15.0}
    if rig == "drone":
        if travel is not None or hold:  # a straight flight, or a hover
            start, end = (cam, cam) if travel is None else travel
            return {**lens, **move, **noise, "path": "reveal", "reveal_start": _v(start),
                    "reveal_end": _v(end)}
        if mv == "reveal":
            end = cam + np.array([0.0, -2.0 * d, max(d, 2.0)])
            return {**lens, **move, **noise, "path": "reveal", "reveal_start": _v(cam),
                    "reveal_end": _v(end)}
        radius = round(max(math.hypot(cam[0] - tgt[0], cam[1] - tgt[1]), 3.0), 6)
        return {**lens, **move, **noise, "path": "orbit", "orbit_radius_start": radius,
                "orbit_radius_end": radius, "orbit_height_start": round(float(cam[2]), 6),
                "orbit_height_end": round(float(cam[2]), 6), "orbit_azimuth_start": -90.0,
                "orbit_sweep": _sweep(c)}
    # wirecam: a span across the subject, moving along it
    height = round(float(max(cam[2], tgt[2] + 2.0)) + 3.0, 6)
    span = max(4.0 * d, 20.0)
    return {**lens, **move, **noise, "anchor_a": _v(np.array([-span / 2, cam[1], height])),
            "anchor_b": _v(np.array([span / 2, cam[1], height])), "sag": round(0.05 * span, 6),
            "move_start": round((0.5 if hold else 0.3) * span, 6),
            "move_end": round((0.5 if hold else 0.7) * span, 6)}


def _pace(walk: dict[str, Any]) -> dict[str, Any]:
    """A rig's timing that keeps pace with ``walk``: same start, speed and limits as the
    subject's S-curve (``move_duration`` 0: as fast as those limits allow)."""
    return {"start_time": walk["start_time"], "move_duration": 0.0, "v_max": walk["speed"],
            "a_max": SubjectPathParams().acceleration, "j_max": SubjectPathParams().jerk}


#: Track laid beyond each end of a chase's travel [m].
CHASE_TRACK_MARGIN = 0.5


def _dolly_chase(cam: np.ndarray, mark: np.ndarray, walk: dict[str, Any]) -> dict[str, Any]:
    """A dolly chase of a moving subject: straight track laid beside the walk, the lens
    keeping the framing offset ``cam - mark`` and the subject's own timing (:func:`_pace`)."""
    offset = cam - np.asarray(mark)
    start, end = np.add(walk["start"], offset), np.add(walk["end"], offset)
    run = float(np.linalg.norm((end - start)[:2]))
    heading = math.degrees(math.atan2(end[1] - start[1], end[0] - start[0]))
    direction = np.array([math.cos(math.radians(heading)), math.sin(math.radians(heading)), 0])
    track = start - CHASE_TRACK_MARGIN * direction
    return {**_pace(walk), "track_start": _v(np.array([track[0], track[1], 0.0])),
            "track_heading": round(heading, 6),
            "track_length": round(run + 2.0 * CHASE_TRACK_MARGIN, 6),
            "move_start": CHASE_TRACK_MARGIN, "move_end": round(CHASE_TRACK_MARGIN + run, 6),
            "lens_height": round(float(cam[2]), 6)}


#: Walking pace of a moving subject [m/s], and when it sets off [s].
WALK_SPEED_MPS = 1.2
WALK_START_S = 0.5


def subject_walk(script: SceneScript, target: np.ndarray) -> dict[str, Any] | None:
    """Parameters of the ``moks.subject.path`` node for a moving subject (None when still).

    The camera sits on the -Y side of the mark ``target``. ``walk_in``: from ``travel_m``
    behind the mark (+Y) to the mark; ``walk_away``: from the mark away from the camera;
    ``cross``: along +X, ``travel_m`` centred on the mark. The ``mark_time`` puts the
    node's ``mark`` output on ``target``.
    """
    motion, travel = script.subject.motion, script.subject.travel_m
    if motion == "still":
        return None
    mark = np.asarray(target, dtype=np.float64)
    away = np.array([0.0, travel, 0.0])
    across = np.array([travel / 2.0, 0.0, 0.0])
    start, end = {"walk_in": (mark + away, mark), "walk_away": (mark, mark + away),
                  "cross": (mark - across, mark + across)}[motion]
    out: dict[str, Any] = {"start": _v(start), "end": _v(end), "start_time": WALK_START_S,
                           "speed": WALK_SPEED_MPS}
    if motion == "walk_away":
        out["mark_time"] = WALK_START_S
    elif motion == "cross":
        walk = SubjectPathParams.model_validate(out)  # the symmetric S-curve's half-way time
        out["mark_time"] = round((walk.start_time + path_end_time(walk)) / 2.0, 9)
    return out


def key_intensity_cd(illuminance_lux: float, distance_m: float, size_m: float) -> float:
    """Intensity [cd] of a square area key of edge ``size_m`` at ``distance_m`` that puts
    ``illuminance_lux`` on the subject facing it (the exact square-emitter law)."""
    return illuminance_lux / float(light_illuminance_per_cd("light.area", distance_m, size_m))


def requested_illuminance(script: SceneScript) -> dict[str, float]:
    """The illuminance [lux] each light of :func:`compile_scene` promises at the subject
    (before flicker, which multiplies every light by ``2**flicker``), by light node name.

    ``key``: the script's ``illuminance_lux``; ``fill``: key / ``key_fill_ratio``; each rim:
    key x ``2**rim_ev``; ``practical``: its ``intensity_cd`` over its distance squared (a
    small sphere, not distance-compensated).
    """
    key, fr = script.key.illuminance_lux, script.fill_rim
    out = {"key": key, "fill": key / fr.key_fill_ratio}
    rims = {"camera_left": 1, "camera_right": 1, "top": 1, "both": 2}.get(fr.rim, 0)
    names = ["rim"] if rims == 1 else [f"rim_{i}" for i in range(rims)]
    out.update({name: key * 2.0**fr.rim_ev for name in names})
    if fr.practical:
        practical = PracticalLightParams()
        out["practical"] = practical.intensity_cd * float(
            light_illuminance_per_cd(practical.kind, practical.distance_m))
    return out


#: Rigs whose camera gets the atmosphere's wind drift and buffet (``moks.camera.weather``).
WIND_RIGS: frozenset[str] = frozenset({"drone", "wirecam", "technocrane", "handheld"})


def compile_scene(script: SceneScript, *, fps: float = 24.0, frames: tuple[int, int] = (1, 120),
                  seed: int = 0, graph: Graph | None = None,
                  ambient: Sequence[float] | None = None) -> Graph:
    """Build the bake graph of a SceneScript (validated through the normal graph edits).

    ``ambient``: 27 SH radiance coefficients (world Z-up, nits, L00 first), added as the
    bake's ambient (a ``moks.lighting.sh_preset`` node ``ambient``), e.g. what ``moks
    match`` read from a reference.
    """
    g = graph or Graph(Settings(fps=fps, frame_start=frames[0], frame_end=frames[1], seed=seed))
    script = playable(script)
    frame = framing(script)
    walk = subject_walk(script, frame["target"])
    rig = script.camera.rig
    try:
        params = rig_params(script, frame, move_window(script, g.settings), walk)
        stated = script.camera.duration_s is not None
        g.add_node(f"moks.rig.{rig}", "camera_rig", _fit_limits(rig, params, stated),
                   ui={"pos": [0, 0]})
    except Exception as exc:
        raise ValueError(f"camera slot: {exc}") from exc
    key, fr = script.key, script.fill_rim
    subject_scale = max(script.subject.height_m / 1.75, 0.2)
    light_d = round(min(max(3.0 * subject_scale, 1.2), 60.0), 6)
    key_size = round(0.3 + 1.7 * key.softness, 6)
    # The key's intensity gives the requested illuminance through its real shape (a square
    # area light, exact law), not the point-source E d**2 (issue 19).
    key_cd = key_intensity_cd(key.illuminance_lux, light_d, key_size)
    g.add_node("moks.atmosphere.phase", "atmosphere", {"phi": script.atmosphere.phi},
               ui={"pos": [300, 300]})
    g.add_node("moks.light.key", "key", {
        "kind": "light.area", "azimuth_deg": key.azimuth_deg, "elevation_deg": key.elevation_deg,
        "distance_m": light_d, "intensity_cd": round(key_cd, 6), "cct_K": key.cct_K,
        "size_m": key_size}, ui={"pos": [300, -200]})
    fill_az = -0.6 * key.azimuth_deg if abs(key.azimuth_deg) > 1 else -30.0
    g.add_node("moks.light.fill", "fill", {
        "kind": "light.area", "azimuth_deg": round(fill_az, 6), "elevation_deg": 10.0,
        "distance_m": light_d, "key_fill_ratio": fr.key_fill_ratio, "cct_K": key.cct_K,
        "size_m": 1.5}, ui={"pos": [600, -200]})
    lights = ["key", "fill"]
    rim_az = {"camera_left": [-150.0], "camera_right": [150.0], "top": [180.0],
              "both": [-150.0, 150.0]}.get(fr.rim, [])
    # A rim is a spot (a small sphere): E = I / d**2 exactly; rim_ev is relative to the key.
    rim_cd = key.illuminance_lux / float(light_illuminance_per_cd("light.spot", light_d))
    for i, az in enumerate(rim_az):
        name = "rim" if len(rim_az) == 1 else f"rim_{i}"
        g.add_node("moks.light.rim", name, {
            "object_name": name, "azimuth_deg": az,
            "elevation_deg": 60.0 if fr.rim == "top" else 25.0, "distance_m": light_d,
            "intensity_cd": round(rim_cd * 2.0**fr.rim_ev, 6), "cct_K": key.cct_K},
            ui={"pos": [300, 100 + 150 * i]})
        lights.append(name)
    if fr.practical:
        g.add_node("moks.light.practical", "practical", {"cct_K": 2700.0},
                   ui={"pos": [600, 100]})
        lights.append("practical")
    for node in ["atmosphere", *lights]:
        g.connect("camera_rig.channels", f"{node}.camera")
        g.connect("camera_rig.target", f"{node}.target")
    for light in lights:
        g.connect("atmosphere.channels", f"{light}.atmosphere")
    if walk is not None:
        g.add_node("moks.subject.path", "subject", walk, ui={"pos": [-300, -200]})
        for node in ["camera_rig", *lights]:
            g.connect("subject.channels", f"{node}.subject")
    g.connect("key.channels", "fill.key")
    g.add_node("moks.look.film_stock", "look", {
        "stock": script.look.stock, "exposure_ev": script.look.exposure_ev,
        "grain_strength": script.look.grain}, ui={"pos": [900, 300]})
    previous = "camera_rig"
    if script.camera.rig in WIND_RIGS:  # the rigs that fly or hang feel the wind (issue 17)
        g.add_node("moks.camera.weather", "camera_weather", {"rig": script.camera.rig},
                   ui={"pos": [300, 450]})
        g.connect("camera_rig.channels", "camera_weather.camera")
        g.connect("atmosphere.channels", "camera_weather.atmosphere")
        previous = "camera_weather"
    merged = ["atmosphere", *lights] + ([] if walk is None else ["subject"])
    for i, node in enumerate(merged):
        merge = "scene" if i == len(merged) - 1 else f"merge_{i}"
        g.add_node("moks.channels.merge", merge, ui={"pos": [900 + 200 * i, 0]})
        g.connect(f"{previous}.channels", f"{merge}.a")
        g.connect(f"{node}.channels", f"{merge}.b")
        previous = merge
    meta = script.model_dump(mode="json")
    if script.subject.motion == "still":  # graphs of still subjects read as they always did
        for name in ("motion", "travel_m"):
            meta["subject"].pop(name)
    for name in ("sweep_deg", "duration_s"):  # unsaid: fitted to the move and the shot
        if meta["camera"][name] is None:
            meta["camera"].pop(name)
    g.meta["scene_script"] = meta
    if ambient is not None:
        if len(ambient) != 27:
            raise ValueError(f"ambient: needs 27 SH coefficients (9 RGB), got {len(ambient)}")
        g.add_node("moks.lighting.sh_preset", "ambient",
                   {"coefficients": [float(v) for v in ambient]}, ui={"pos": [900, 450]})
    return g
