"""The seven camera rigs: determinism, chunking, frame-rate independence, limits, framing."""

from __future__ import annotations

import math
import typing

import numpy as np
import pydantic
import pytest

from moks_graph.nodes.camera.limits import limit_report
from moks_graph.nodes.camera.lookat import project_to_screen
from moks_graph.nodes.camera.rig_dolly import DollyParams, rail_height
from moks_graph.nodes.camera.rigs import (
    CHANNELS,
    RIGS,
    DroneParams,
    HandheldParams,
    MocoParams,
    TechnocraneParams,
    TripodLockedParams,
    WirecamParams,
)
from moks_graph.timebase import TimeArray, time_array

NAMES = list(RIGS)
NOISY = [n for n in NAMES if n != "moco"]  # moco has zero noise by default


def _run(name: str, params=None, key: int = 7, fps: float = 24, sub: int = 1, seconds: float = 8):
    rig = RIGS[name]
    model, fn = rig.Params, rig.channels
    return fn(time_array(0, round(seconds * fps), fps, sub), params or model(), key)


def _positions(ch: dict[str, np.ndarray]) -> np.ndarray:
    return np.stack([ch["tx"], ch["ty"], ch["tz"]], axis=-1)


def _euler(ch: dict[str, np.ndarray]) -> np.ndarray:
    return np.stack([ch["rx"], ch["ry"], ch["rz"]], axis=-1)


@pytest.mark.parametrize("name", NAMES)
def test_channels_complete_and_finite(name: str) -> None:
    ch = _run(name)
    assert tuple(ch) == CHANNELS
    for arr in ch.values():
        assert arr.dtype == np.float64 and arr.shape == (8 * 24 + 1,)
        assert np.isfinite(arr).all()


@pytest.mark.parametrize("name", NAMES)
def test_same_key_identical(name: str) -> None:
    a, b = _run(name, key=123), _run(name, params=RIGS[name].Params(), key=123)
    assert all(np.array_equal(a[k], b[k]) for k in CHANNELS)


@pytest.mark.parametrize("name", NOISY)
def test_seed_changes_the_noise(name: str) -> None:
    a, b = _run(name, key=1), _run(name, key=2)
    assert not np.allclose(_euler(a), _euler(b), atol=1e-9) or not np.allclose(
        _positions(a), _positions(b), atol=1e-9
    )


@pytest.mark.parametrize("name", NAMES)
def test_seed_changes_nothing_else(name: str) -> None:
    clean = RIGS[name].Params(noise_scale=0.0)
    a, b = _run(name, clean, key=1), _run(name, clean, key=99)
    assert all(np.array_equal(a[k], b[k]) for k in CHANNELS)


def test_moco_exactly_repeatable_unless_noise_asked() -> None:
    a, b = _run("moco", key=1), _run("moco", key=2)
    assert all(np.array_equal(a[k], b[k]) for k in CHANNELS)
    noisy = MocoParams(noise_amplitude=0.002)
    c, d = _run("moco", noisy, key=1), _run("moco", noisy, key=2)
    assert not np.allclose(c["tx"], d["tx"])
    assert np.abs(c["tx"] - a["tx"]).max() <= 0.002 + 1e-12


@pytest.mark.parametrize("name", NAMES)
def test_frame_rate_and_subframe_independence(name: str) -> None:
    """24/25/30/60 fps with 1..16 sub-frames agree at shared times (multiples of 1/6 s)."""
    rig = RIGS[name]
    model, fn = rig.Params, rig.channels
    params = model()
    shared = np.arange(0, 6 * 6 + 1) / 6.0
    ref = fn(shared, params, 5)
    for fps in (24, 25, 30, 60):
        for sub in range(1, 17):
            ta = time_array(0, 6 * fps, fps, sub)
            idx = np.nonzero(np.abs(ta.seconds * 6 - np.round(ta.seconds * 6)) < 1e-9)[0]
            where = np.round(ta.seconds[idx] * 6).astype(int)
            got = fn(ta, params, 5)
            for k in CHANNELS:
                assert np.allclose(got[k][idx], ref[k][where], atol=1e-9, rtol=0), (fps, sub, k)


@pytest.mark.parametrize("name", NAMES)
def test_chunks_are_bit_identical(name: str) -> None:
    rig = RIGS[name]
    model, fn = rig.Params, rig.channels
    params = model()
    whole = time_array(0, 8 * 24, 24, 4)
    full = fn(whole, params, 11)
    for lo, hi in ((0, 1), (5, 300), (311, 312), (400, len(whole))):
        part = fn(TimeArray(whole.frames[lo:hi].copy(), whole.fps), params, 11)
        for k in CHANNELS:
            assert np.array_equal(part[k], full[k][lo:hi]), (lo, hi, k)
    for i in (0, 97, 500):
        one = RIGS[name].one_frame(float(whole.frames[i]), 24, params, 11)
        assert all(one[k] == full[k][i] for k in CHANNELS)


@pytest.mark.parametrize("name", NAMES)
def test_continuity(name: str) -> None:
    """No jumps: the largest step shrinks in proportion to the sampling interval."""
    coarse, fine = _run(name, sub=1), _run(name, sub=8)
    for pick in (_positions, _euler):
        step_c = np.abs(np.diff(pick(coarse), axis=0)).max()
        step_f = np.abs(np.diff(pick(fine), axis=0)).max()
        assert step_f <= step_c / 4 + 1e-12
    pos = _positions(fine)
    speed = np.linalg.norm(np.diff(pos, axis=0), axis=1) * 24 * 8
    assert speed.max() < 15.0  # m/s: nothing a camera rig could do
    assert np.abs(np.diff(_euler(fine), axis=0)).max() * 24 * 8 < 200.0  # deg/s


LIMIT_CASES = [
    ("moco", {}),
    ("moco", {"move_duration": 9.0, "end_position": (3.0, -2.0, 2.5)}),
    ("dolly", {}),
    ("dolly", {"track_heading": 30.0, "track_length": 12.0, "move_end": 11.0, "v_max": 1.0}),
    ("technocrane", {}),
    ("technocrane", {"arm_length_end": 9.0, "boom_end": 35.0, "swing_end": 260.0,
                     "flex_frequency_hz": 0.6, "flex_damping": 0.05}),
    ("technocrane", {"move_duration": 20.0, "flex_damping": 1.2}),
    ("wirecam", {}),
    ("wirecam", {"anchor_b": (25.0, 30.0, 8.0), "move_start": 3.0, "move_end": 45.0,
                 "hang_length": 2.0, "sway_damping": 0.05}),
    ("drone", {}),
    ("drone", {"orbit_sweep": 720.0, "orbit_radius_end": 3.0, "orbit_height_end": 15.0}),
    ("drone", {"path": "reveal"}),
    ("handheld", {"walk_to": (4.0, -1.0, 1.55)}),
]


@pytest.mark.parametrize(("name", "extra"), LIMIT_CASES)
def test_limits_respected_from_channels(name: str, extra: dict) -> None:
    params = RIGS[name].Params(noise_scale=0.0, **extra)
    ch = _run(name, params, fps=60, sub=4, seconds=70)
    t = time_array(0, 70 * 60, 60, 4).seconds
    rep = limit_report(t, _positions(ch))
    assert rep["speed"] <= params.v_max * (1 + 1e-6) + 1e-6
    assert rep["acceleration"] <= params.a_max * (1 + 1e-6) + 1e-5
    assert rep["jerk"] <= params.j_max * (1 + 1e-4) + 1e-3
    assert rep["speed"] > 0.05 * params.v_max  # it did move


FRAMING = {"noise_scale": 0.0, "roll": 12.0, "screen_x": 0.2, "screen_y": -0.1,
           "focal_length": 50.0}


@pytest.mark.parametrize("name", NAMES)
def test_target_lands_on_requested_screen_position(name: str) -> None:
    params = RIGS[name].Params(**FRAMING)
    ch = _run(name, params, seconds=12)
    target = np.broadcast_to(params.target, (ch["tx"].size, 3))
    if name == "moco":
        return  # the moco aim point moves; covered below
    screen = project_to_screen(_positions(ch), _euler(ch), target, 50.0, 36.0, 24.0)
    assert np.abs(screen - [0.2, -0.1]).max() < 1e-9


def test_moco_moving_aim_point_stays_framed() -> None:
    params = MocoParams(target_end=(1.0, 1.0, 1.0), **FRAMING)
    ch = _run("moco", params, seconds=12)
    motion_u = (ch["tx"] - params.start_position[0]) / (
        params.end_position[0] - params.start_position[0]
    )
    aim = np.asarray(params.target) + motion_u[:, None] * np.subtract(params.target_end,
                                                                        params.target)
    screen = project_to_screen(_positions(ch), _euler(ch), aim, 50.0, 36.0, 24.0)
    assert np.abs(screen - [0.2, -0.1]).max() < 1e-9


@pytest.mark.parametrize("name", NAMES)
def test_focus_follows_target_unless_fixed(name: str) -> None:
    ch = _run(name)
    params = RIGS[name].Params()
    if name != "moco":
        dist = np.linalg.norm(_positions(ch) - np.asarray(params.target), axis=1)
        assert np.allclose(ch["focus_distance"], dist, rtol=1e-12)
    fixed = _run(name, RIGS[name].Params(fixed_focus_distance=4.5))
    assert np.all(fixed["focus_distance"] == 4.5)
    assert np.all(ch["fstop"] == params.fstop) and np.all(ch["sensor_width"] == 36.0)


def test_tripod_is_locked_with_tiny_drift() -> None:
    params = TripodLockedParams(head_drift=0.01)
    tripod = RIGS["tripod_locked"]
    ch = tripod.channels(time_array(0, 600, 24), params, 3)
    clean = tripod.channels(time_array(0, 600, 24), TripodLockedParams(noise_scale=0), 3)
    assert np.all(_positions(ch) == np.asarray(params.position))
    drift = np.abs(_euler(ch) - _euler(clean)).max()
    assert 1e-4 < drift <= 0.011


def test_technocrane_arm_overshoots_at_the_swing_stop() -> None:
    params = TechnocraneParams(noise_scale=0.0, flex_damping=0.06, flex_frequency_hz=0.8)
    ch = RIGS["technocrane"].channels(time_array(0, 60 * 48, 48), params, 0)
    pivot = np.asarray(params.pivot)
    swing = np.degrees(np.unwrap(np.arctan2(ch["ty"] - pivot[1], ch["tx"] - pivot[0])))
    assert swing.max() > params.swing_end + 0.05  # past the programmed stop ...
    assert swing[-1] == pytest.approx(params.swing_end, abs=1e-6)  # ... then settles there
    stiff = TechnocraneParams(noise_scale=0.0, flex_damping=1.0, flex_frequency_hz=10.0)
    s = RIGS["technocrane"].channels(time_array(0, 60 * 48, 48), stiff, 0)
    sw = np.degrees(np.arctan2(s["ty"] - pivot[1], s["tx"] - pivot[0]))
    assert sw.max() <= params.swing_end + 1e-3  # a stiff, damped arm barely overshoots


def test_wirecam_carriage_rides_the_cable_ellipse_and_sways() -> None:
    params = WirecamParams(noise_scale=0.0, anchor_b=(30.0, 4.0, 10.0))
    ch = RIGS["wirecam"].channels(time_array(0, 60 * 24, 24, 2), params, 0)
    carriage = _positions(ch) + np.array([0.0, 0.0, params.hang_length])
    total = (np.linalg.norm(carriage - params.anchor_a, axis=1)
             + np.linalg.norm(carriage - params.anchor_b, axis=1))
    assert np.allclose(total, params.move_path().cable_length(), atol=1e-9, rtol=0)
    windy = RIGS["wirecam"].channels(time_array(0, 60 * 24, 24, 2),
                                     WirecamParams(anchor_b=(30.0, 4.0, 10.0)), 0)
    lateral = np.abs(_positions(windy) - _positions(ch)).max()
    assert 1e-3 < lateral <= params.wind_sway * 1.26


def test_dolly_bumps_belong_to_the_track() -> None:
    params = DollyParams()
    ta = time_array(0, 20 * 60, 60, 4)
    ch = RIGS["dolly"].channels(ta, params, 9)
    t = ta.seconds
    before = t < params.start_time
    assert np.all(ch["tz"][before] == ch["tz"][0])  # parked: no bump motion at all
    assert np.all(ch["rx"][before] == ch["rx"][0])
    assert np.ptp(ch["tz"]) > 1e-5  # but moving over the track does bump
    # same track position -> same bump, whatever the speed
    slow = RIGS["dolly"].channels(ta, params.model_copy(update={"v_max": 0.3}), 9)
    s_fast = ch["tx"] - params.track_start[0]
    s_slow = slow["tx"] - params.track_start[0]
    moving = (s_slow > 0.6) & (s_slow < 5.4)
    assert np.allclose(np.interp(s_slow[moving], s_fast, ch["tz"]), slow["tz"][moving],
                       atol=2e-6)
    # the rail profile itself is a pure function of track position
    s = np.linspace(0, 6, 601)
    assert np.array_equal(rail_height(s, params, 9, "left"), rail_height(s, params, 9, "left"))
    assert np.abs(rail_height(s, params, 9, "left")).max() <= params.bump_height + params.joint_bump


def test_drone_orbit_radius_and_wind() -> None:
    params = DroneParams(noise_scale=0.0, orbit_sweep=400.0)
    ch = RIGS["drone"].channels(time_array(0, 40 * 24, 24), params, 0)
    r = np.hypot(ch["tx"] - params.target[0], ch["ty"] - params.target[1])
    assert np.allclose(r, params.orbit_radius_start, atol=1e-9)
    assert np.allclose(ch["tz"], params.target[2] + params.orbit_height_start, atol=1e-12)
    assert ch["rz"][-1] - ch["rz"][0] == pytest.approx(400.0, abs=1e-6)  # continuous yaw
    gusty = RIGS["drone"].channels(time_array(0, 40 * 24, 24), DroneParams(orbit_sweep=400.0), 0)
    off = np.abs(_positions(gusty) - _positions(ch))
    assert off[:, :2].max() <= 0.12 + 1e-12 and off[:, 2].max() <= 0.4 * 0.12 + 1e-12
    assert off.max() > 0.01


def test_handheld_standing_and_walking() -> None:
    params = HandheldParams()
    ta = time_array(0, 30 * 24, 24, 2)
    ch = RIGS["handheld"].channels(ta, params, 4)
    assert np.abs(_positions(ch) - params.position).max() < 0.05
    clean = RIGS["handheld"].channels(ta, HandheldParams(noise_scale=0.0), 4)
    shake = _euler(ch) - _euler(clean)
    assert 0.05 < float(np.sqrt(np.mean(shake[:, 2] ** 2))) < 1.0  # a few tenths of a degree
    calm = RIGS["handheld"].channels(ta, HandheldParams(energy=0.2), 4)
    assert np.std(_euler(calm) - _euler(clean)) < np.std(shake)
    walk = HandheldParams(walk_to=(3.0, -3.0, 1.55))
    w = RIGS["handheld"].channels(time_array(0, 30 * 24, 24), walk, 4)
    assert np.abs(_positions(w)[-1] - walk.walk_to).max() < 0.05


def test_cross_field_checks_name_the_field() -> None:
    with pytest.raises(ValueError, match="move_end"):
        DollyParams(track_length=4.0, move_end=5.0)
    with pytest.raises(ValueError, match="anchor_b"):
        WirecamParams(anchor_b=(-30.0, 0.0, 14.0))
    with pytest.raises(ValueError, match="anchor_b"):
        WirecamParams(anchor_a=(0.0, 0.0, 20.0), anchor_b=(0.0, 0.0, 5.0))
    with pytest.raises(ValueError, match="move_start"):
        WirecamParams(move_start=100.0)
    with pytest.raises(ValueError, match="move_duration"):
        DollyParams(move_duration=1.0)
    with pytest.raises(ValueError, match="move_duration"):
        TechnocraneParams(move_duration=0.5)
    with pytest.raises(ValueError, match="position"):
        TripodLockedParams(position=(0.0, 0.0, 1.6))
    with pytest.raises(ValueError, match="end_position"):
        MocoParams(start_position=(-1.0, 0.0, 1.6), end_position=(1.0, 0.0, 1.6))
    with pytest.raises(ValueError, match="focal_length"):
        DroneParams(focal_length=0.0)
    with pytest.raises(ValueError, match="extra"):
        DollyParams(track_lenght=5.0)  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        HandheldParams(jitter=float("nan"))


@pytest.mark.parametrize("name", NAMES)
def test_parameter_models_are_frozen_documented_and_unit_tagged(name: str) -> None:
    model = RIGS[name].Params
    assert model.model_config["extra"] == "forbid" and model.model_config["frozen"]
    params = model()
    with pytest.raises(pydantic.ValidationError):
        params.focal_length = 10.0  # type: ignore[misc]
    for field_name, field in model.model_fields.items():
        assert field.description, field_name
        # the unit is declared structurally (Param(unit=...)); a choice field lists its choices
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        assert extra.get("unit") or typing.get_origin(field.annotation) is typing.Literal, \
            field_name
    assert model.model_validate_json(params.model_dump_json()) == params
    assert typing.get_type_hints(RIGS[name].channels)["return"] == dict[str, np.ndarray]


def test_one_frame_accepts_mappings_and_rejects_another_rigs_params() -> None:
    dolly = RIGS["dolly"]
    one = dolly.one_frame(48, 24, {"v_max": 0.4}, 3)
    full = dolly.channels(time_array(0, 96, 24), DollyParams(v_max=0.4), 3)
    assert one["tx"] == full["tx"][48] and set(one) == set(CHANNELS)
    with pytest.raises(TypeError, match="DollyParams"):
        dolly.one_frame(0, 24, DroneParams(), 0)
    with pytest.raises(ValueError, match="fps"):
        dolly.one_frame(0, 0, None, 0)


def test_seconds_arrays_are_accepted() -> None:
    t = np.array([0.0, 0.5, 1.0, 2.5])
    a = RIGS["moco"].channels(t, MocoParams(), 0)
    b = RIGS["moco"].channels(TimeArray(t * 24.0, 24.0), MocoParams(), 0)
    assert all(np.allclose(a[k], b[k], atol=1e-12) for k in CHANNELS)
    with pytest.raises(ValueError, match="time"):
        RIGS["moco"].channels(np.array([0.0, math.inf]), MocoParams(), 0)
