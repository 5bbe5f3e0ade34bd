"""Moving subjects (issue 17): the subject track, rigs that frame it, lights that follow it,
the prose and the starters that make it (their chunked bakes: test_scenescript_starters).

See docs/moving-targets.md. The cross-host illuminance check is
tests/hosts/test_hosts_moving_subject.py; the live linkage tests/hosts/test_hosts_link_to_target.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import moks_graph as mg
from moks_graph.hosts.bake import bake_graph
from moks_graph.nodes.camera.limits import limit_report
from moks_graph.nodes.camera.lookat import project_to_screen
from moks_graph.nodes.camera.rigs import RIGS
from moks_graph.nodes.lights.emitters import light_illuminance_per_cd
from moks_graph.nodes.lights.rig import subject_illuminance
from moks_graph.nodes.scenescript.compile import compile_scene
from moks_graph.nodes.scenescript.scenarios import STARTERS, starter_graph
from moks_graph.nodes.scenescript.vocabulary import parse_prose
from moks_graph.nodes.subject.path import (
    SubjectPathParams,
    path_end_time,
    subject_mark,
    subject_positions,
)
from moks_graph.rotations import euler_angles_to_matrix
from moks_graph.timebase import time_array

FRAMING = {"noise_scale": 0.0, "roll": 12.0, "screen_x": 0.2, "screen_y": -0.1,
           "focal_length": 50.0}
MOVING = [s for s in STARTERS if parse_prose(s.prose).subject.motion != "still"]


def _xyz(ch: mg.Channels, obj: str, prefix: str = "t") -> np.ndarray:
    return np.stack([ch[f"{obj}.{prefix}{a}"] for a in "xyz"], axis=-1)


def _graph(rig: str, rig_params: dict | None = None, walk: dict | None = None,
           seconds: float = 8.0, fps: float = 24.0) -> mg.Graph:
    g = mg.Graph(mg.Settings(fps=fps, frame_start=0, frame_end=round(seconds * fps), seed=5))
    g.add_node("moks.subject.path", "subject", walk or {"start": [1.0, 2.0, 1.6],
                                                        "end": [-0.5, -0.5, 1.5]})
    g.add_node(f"moks.rig.{rig}", "cam", rig_params or {})
    g.connect("subject.channels", "cam.subject")
    return g


# ----------------------------------------------------------------------------- the subject


def test_walk_starts_stops_and_keeps_to_walking_limits():
    p = SubjectPathParams(start=(0.0, 3.0, 1.6), end=(0.0, 0.0, 1.6), start_time=0.5)
    t = np.linspace(-1.0, 8.0, 2161)
    pos = subject_positions(t, p)
    assert np.array_equal(pos[t <= 0.5], np.tile([0.0, 3.0, 1.6], ((t <= 0.5).sum(), 1)))
    end = path_end_time(p)
    np.testing.assert_allclose(pos[t >= end], np.tile([0.0, 0.0, 1.6], ((t >= end).sum(), 1)),
                               atol=1e-12)
    report = limit_report(t, pos)
    assert report["speed"] <= 1.2 * 1.001 and report["acceleration"] <= 0.8 * 1.01
    assert report["jerk"] <= 2.0 * 1.01
    np.testing.assert_allclose(subject_mark(p), [0.0, 0.0, 1.6], atol=1e-12)
    slow = SubjectPathParams(start=(0.0, 3.0, 1.6), end=(0.0, 0.0, 1.6), walk_duration=6.0)
    assert path_end_time(slow) == pytest.approx(0.5 + 6.0)
    with pytest.raises(ValueError, match="move_duration"):
        SubjectPathParams(start=(0.0, 30.0, 1.6), walk_duration=1.0)


@pytest.mark.parametrize("interpolation", ["smooth", "linear"])
def test_keys_pass_through_every_key_and_hold_outside(interpolation):
    keys = ((1.0, 0.0, 0.0, 1.6), (2.0, 1.0, 0.5, 1.6), (4.0, 1.0, 2.0, 1.7), (5.0, -1.0, 2.0, 1.6))
    p = SubjectPathParams(mode="keys", keys=keys, interpolation=interpolation, mark_time=2.0)
    k = np.asarray(keys)
    np.testing.assert_allclose(subject_positions(k[:, 0], p), k[:, 1:], atol=1e-12)
    np.testing.assert_allclose(subject_positions(np.array([-3.0, 0.5]), p), k[[0, 0], 1:])
    np.testing.assert_allclose(subject_positions(np.array([5.5, 90.0]), p), k[[3, 3], 1:])
    np.testing.assert_allclose(subject_mark(p), k[1, 1:])
    if interpolation == "smooth":  # C1: no velocity jump at the keys, at rest at the ends
        h = 1e-6
        for t in k[1:-1, 0]:
            left = (subject_positions(np.array([t]), p) - subject_positions(np.array([t - h]), p))
            right = (subject_positions(np.array([t + h]), p) - subject_positions(np.array([t]), p))
            np.testing.assert_allclose(left / h, right / h, atol=1e-4)
        v0 = (subject_positions(np.array([1.0 + h]), p) - k[0, 1:]) / h
        assert np.abs(v0).max() < 1e-4
    with pytest.raises(ValueError, match="increase"):
        SubjectPathParams(mode="keys", keys=((1.0, 0, 0, 0), (1.0, 1, 0, 0)))
    with pytest.raises(ValueError, match="at least one key"):
        SubjectPathParams(mode="keys")


def test_subject_node_outputs_a_null_and_its_mark():
    g = _graph("tripod_locked")
    values = g.evaluate(["subject.channels", "subject.mark"]).values
    ch = values["subject.channels"]
    assert ch.kinds == {"subject": "null"}
    assert sorted(ch.of("subject")) == ["rx", "ry", "rz", "tx", "ty", "tz"]
    np.testing.assert_allclose(values["subject.mark"], [-0.5, -0.5, 1.5], atol=1e-12)


# ------------------------------------------------------------------------------ the rigs


@pytest.mark.parametrize("name", list(RIGS))
def test_every_rig_frames_and_focuses_on_the_moving_subject(name):
    values = _graph(name, FRAMING, seconds=10.0).evaluate(["cam.channels",
                                                             "subject.channels"]).values
    cam, subject = values["cam.channels"], _xyz(values["subject.channels"], "subject")
    pos = _xyz(cam, "camera")
    assert np.ptp(subject, axis=0).max() > 2.0  # it does walk
    screen = project_to_screen(pos, _xyz(cam, "camera", "r"), subject, 50.0, 36.0, 24.0)
    assert np.abs(screen - [0.2, -0.1]).max() < 1e-9
    np.testing.assert_allclose(cam["camera.focus_distance"],
                               np.linalg.norm(subject - pos, axis=1), rtol=1e-12)


@pytest.mark.parametrize("name", list(RIGS))
def test_a_track_standing_on_the_target_changes_nothing(name):
    """Wiring a subject that stands still on the rig's target gives the unwired numbers bit
    for bit, seeded noise included (same node id, same seed): the same point from a track."""
    target = list(RIGS[name].Params().target)
    wired = _graph(name, walk={"start": target, "end": target})
    plain = mg.Graph(wired.settings)
    plain.add_node(f"moks.rig.{name}", "cam")
    a = wired.evaluate(["cam.channels"]).values["cam.channels"]
    b = plain.evaluate(["cam.channels"]).values["cam.channels"]
    assert sorted(a) == sorted(b)
    for channel in b:
        assert np.array_equal(a[channel], b[channel]), channel


def test_rig_function_takes_the_track_directly():
    rig = RIGS["drone"]
    model, fn = rig.Params, rig.channels
    time = time_array(0, 96, 24.0)
    track = np.column_stack([np.linspace(0.0, 2.0, 97), np.zeros(97), np.full(97, 1.6)])
    with pytest.raises(ValueError, match="track"):
        fn(time, model(), 1, track[:-1])
    ch = fn(time, model(**FRAMING), 1, track)
    screen = project_to_screen(np.stack([ch["tx"], ch["ty"], ch["tz"]], -1),
                               np.stack([ch["rx"], ch["ry"], ch["rz"]], -1), track, 50.0, 36.0,
                               24.0)
    assert np.abs(screen - [0.2, -0.1]).max() < 1e-9


def test_a_track_of_several_objects_is_refused_by_name():
    g = mg.Graph(mg.Settings(frame_end=24))
    g.add_node("moks.rig.dolly", "dolly")
    g.add_node("moks.light.key", "key")
    g.add_node("moks.channels.merge", "both")
    g.connect("dolly.channels", "both.a")
    g.connect("dolly.channels", "key.camera")
    g.connect("key.channels", "both.b")
    g.add_node("moks.rig.tripod_locked", "cam")
    g.connect("both.channels", "cam.subject")
    result = g.evaluate(["cam.channels"])
    assert result.problems and "several positioned objects" in result.problems[0].message


# ----------------------------------------------------------------------------- the lights


def _lit(mount: str = "stand") -> dict:
    g = _graph("tripod_locked", walk={"start": [0.0, 3.0, 1.6], "end": [0.0, 0.0, 1.6]})
    for role in ("key", "fill", "rim"):
        g.add_node(f"moks.light.{role}", role, {"mount": mount})
        g.connect("cam.channels", f"{role}.camera")
        g.connect("cam.target", f"{role}.target")
        g.connect("subject.channels", f"{role}.subject")
    g.connect("key.channels", "fill.key")
    return g.evaluate(["key.channels", "fill.channels", "rim.channels",
                       "subject.channels"]).values


def test_stand_lights_stay_put_aim_at_the_subject_and_hold_its_illuminance():
    values = _lit("stand")
    subject = _xyz(values["subject.channels"], "subject")
    key = values["key.channels"]
    for role in ("key", "fill", "rim"):
        ch = values[f"{role}.channels"]
        pos = _xyz(ch, role)
        assert np.ptp(pos, axis=0).max() < 1e-12  # a tripod camera: the stand does not move
        d = np.linalg.norm(subject - pos, axis=1)
        assert d.max() / d.min() > 1.3
        # local -Z points at the subject at every sample
        aim = -euler_angles_to_matrix(*(ch[f"{role}.r{a}"] for a in "xyz"))[:, :, 2]
        np.testing.assert_allclose(aim, (subject - pos) / d[:, None], atol=1e-12)
        lux = subject_illuminance(ch.of(role), subject, ch.kinds[role])
        assert lux.max() / lux.min() - 1.0 < 1e-12, role
    # the exact law of the key's square, not the point law: intensity follows 1 / g(d)
    d = np.linalg.norm(subject - _xyz(key, "key"), axis=1)
    g = light_illuminance_per_cd("light.area", d, key["key.size"])
    np.testing.assert_allclose(key["key.intensity"] * g, key["key.intensity"][-1] * g[-1],
                               rtol=1e-12)
    ratio = (subject_illuminance(key.of("key"), subject, "light.area")
             / subject_illuminance(values["fill.channels"].of("fill"), subject, "light.area"))
    np.testing.assert_allclose(ratio, 4.0, rtol=1e-12)


def test_subject_mounted_lights_ride_along_at_their_distance():
    values = _lit("subject")
    subject = _xyz(values["subject.channels"], "subject")
    for role in ("key", "fill", "rim"):
        ch = values[f"{role}.channels"]
        d = np.linalg.norm(_xyz(ch, role) - subject, axis=1)
        np.testing.assert_allclose(d, d[0], rtol=1e-12)
        assert np.ptp(ch[f"{role}.intensity"]) < 1e-9 * ch[f"{role}.intensity"].max()


def test_unwired_lights_are_placed_exactly_as_before():
    """No subject input: the light nodes give the same numbers as without the feature
    (the starters' digests are checked bit for bit in test_scenescript_starters)."""
    values = _lit("stand")
    g = _graph("tripod_locked", walk={"start": [0.0, 3.0, 1.6], "end": [0.0, 0.0, 1.6]})
    g.add_node("moks.light.key", "key")
    g.connect("cam.channels", "key.camera")
    g.connect("cam.target", "key.target")
    plain = g.evaluate(["key.channels"]).values["key.channels"]
    # the stand is the same place, only the aim and the intensity follow the subject
    np.testing.assert_array_equal(_xyz(plain, "key"), _xyz(values["key.channels"], "key"))
    assert np.ptp(plain["key.intensity"]) == 0.0


# ------------------------------------------------------------------ prose, compile, starters


@pytest.mark.parametrize(("prose", "motion"), [
    ("tripod medium, actor walks in", "walk_in"), ("dolly, actor walking toward camera",
                                                   "walk_in"),
    ("handheld, actor walking away", "walk_away"), ("wide, crowd crossing", "cross"),
    ("drone orbit, car walks across", "cross"), ("tripod, actor standing", "still")])
def test_prose_sets_the_subject_motion(prose, motion):
    assert parse_prose(prose).subject.motion == motion


@pytest.mark.parametrize(("motion", "start", "end"), [
    ("walk_in", (0.0, 3.0), (0.0, 0.0)), ("walk_away", (0.0, 0.0), (0.0, 3.0)),
    ("cross", (-1.5, 0.0), (1.5, 0.0))])
def test_compile_walks_the_subject_through_its_mark(motion, start, end):
    script = parse_prose("tripod medium").with_slot("subject", motion=motion)
    g = compile_scene(script, frames=(1, 168))
    assert {e.dst for e in g.edges if e.src == "subject"} >= {"camera_rig", "key", "fill"}
    values = g.evaluate(["subject.channels", "subject.mark", "camera_rig.target"]).values
    ch = values["subject.channels"]
    np.testing.assert_allclose(values["subject.mark"], values["camera_rig.target"], atol=1e-9)
    track = _xyz(ch, "subject")
    np.testing.assert_allclose(track[0, :2], start, atol=1e-9)
    np.testing.assert_allclose(track[-1, :2], end, atol=1e-9)
    assert "subject" in bake_graph(g).kinds  # merged into the scene: hosts get the null
    assert g.meta["scene_script"]["subject"]["motion"] == motion


def test_a_still_subject_compiles_as_before():
    g = compile_scene(parse_prose("tripod medium"), frames=(1, 48))
    assert "subject" not in g.nodes
    assert set(g.meta["scene_script"]["subject"]) == {"kind", "height_m"}
    assert all(e.dst_port != "subject" for e in g.edges)


def test_at_least_two_starters_have_a_moving_subject():
    assert len(MOVING) >= 2
    for scenario in MOVING:
        channels = bake_graph(starter_graph(scenario))
        walked = _xyz(channels, "subject")
        assert np.linalg.norm(walked[-1] - walked[0]) > 2.9, scenario.name
