"""Prose that means what it says (issue 17): each phrase measured on the compiled graph's
evaluated channels: travel in metres, orbit angle in degrees round the target, focal length,
CCT, key/fill ratio; moves that fit the shot; warnings instead of silent choices."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from moks_graph import mgraph
from moks_graph.evaluate import Evaluator
from moks_graph.graph import Graph
from moks_graph.hosts.bake import bake_graph
from moks_graph.nodes.lights.rig import subject_illuminance
from moks_graph.nodes.scenescript.compile import compile_scene
from moks_graph.nodes.scenescript.scenarios import STARTERS, starter_graph
from moks_graph.nodes.scenescript.vocabulary import ProseConflict, VocabularyError, parse_prose

GRAPHS = Path(__file__).resolve().parents[3] / "graphs"
#: A medium shot of a 1.75 m person on the default 50 mm lens: the frame holds 0.45 of the
#: subject's height, so the camera stands 0.45 * 1.75 * 50 / 24 m from the eye line.
MEDIUM_DISTANCE_M = 0.45 * 1.75 * 50.0 / 24.0


def compiled(prose: str, frames: tuple[int, int] = (1, 120), fps: float = 24.0) -> Graph:
    """The graph of ``prose``; any warning fails the test unless the caller expects it."""
    return compile_scene(parse_prose(prose), frames=frames, fps=fps)


def camera_track(graph: Graph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seconds, camera positions (N, 3) and the fixed target (3,) of an evaluated graph."""
    values = Evaluator().evaluate(graph, ["camera_rig.channels", "camera_rig.target"])
    ch = values["camera_rig.channels"]
    positions = np.stack([ch[f"camera.t{a}"] for a in "xyz"], axis=-1)
    return ch.time.seconds, positions, values["camera_rig.target"]


def swept_deg(positions: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Unwrapped bearing [deg] of each position seen from above ``centre``, from the first."""
    bearing = np.unwrap(np.arctan2(positions[:, 1] - centre[1], positions[:, 0] - centre[0]))
    return np.degrees(bearing - bearing[0])


PUSHES = ["dolly", "moco", "handheld", "technocrane", "drone"]


@pytest.mark.parametrize("rig", PUSHES)
@pytest.mark.parametrize("move", ["push-in", "pull-out"])
def test_push_in_and_pull_out_travel_toward_and_away_from_the_target(rig, move):
    _, p, target = camera_track(compiled(f"{rig} {move} medium, steady"))
    distance = np.linalg.norm(p - target, axis=1)
    near, far = MEDIUM_DISTANCE_M, 1.3 * MEDIUM_DISTANCE_M  # travels 30 % of the framing
    ends = (far, near) if move == "push-in" else (near, far)
    shake = 0.03 if rig == "handheld" else 0.01
    np.testing.assert_allclose(distance[[0, -1]], ends, atol=shake)
    assert np.linalg.norm(p[-1] - p[0]) == pytest.approx(0.3 * MEDIUM_DISTANCE_M, abs=shake)
    assert np.all(np.abs(np.diff(p[:, 0])) < 0.02), "straight at the subject, not sideways"


@pytest.mark.parametrize("rig", ["dolly", "moco", "technocrane", "wirecam", "drone",
                                 "handheld", "tripod"])
def test_static_holds_the_framing_on_every_rig(rig):
    _, p, _ = camera_track(compiled(f"{rig} static medium, steady"))
    drift = 0.05 if rig in ("drone", "wirecam") else 0.02  # gusts and cable sway, no move
    assert np.max(np.linalg.norm(p - p[0], axis=1)) < drift


def test_a_tripod_does_not_push_it_warns_and_a_dolly_travels():
    with pytest.warns(ProseConflict, match=r"a tripod_locked cannot make the push-in move: "
                                           r"it is made on a dolly instead"):
        graph = compiled("tripod push-in medium")
    assert graph.nodes["camera_rig"].type == "moks.rig.dolly"
    assert graph.meta["scene_script"]["camera"]["rig"] == "dolly"
    _, p, _ = camera_track(graph)
    assert np.linalg.norm(p[-1] - p[0]) == pytest.approx(0.3 * MEDIUM_DISTANCE_M, abs=0.01)


@pytest.mark.parametrize(("prose", "degrees"), [
    ("drone orbit", 90.0), ("drone half orbit", 180.0), ("drone full orbit", 360.0),
    ("drone orbit 120 degrees", 120.0), ("moco orbit 45°", 45.0), ("moco quarter orbit", 90.0),
    ("moco turntable", 360.0), ("drone turntable", 360.0),
])
def test_orbit_sweeps_its_stated_angle_round_the_target(prose, degrees):
    _, p, target = camera_track(compiled(f"{prose} medium"))
    sweep = swept_deg(p, target)
    radius = np.hypot(p[:, 0] - target[0], p[:, 1] - target[1])
    tolerance = 1.0 if prose.startswith("drone") else 1e-6  # wind gusts move a drone
    assert sweep[-1] == pytest.approx(degrees, abs=tolerance)
    assert np.ptp(radius) < (0.3 if prose.startswith("drone") else 1e-9)


def test_an_orbit_on_a_rig_that_cannot_orbit_warns_and_flies():
    with pytest.warns(ProseConflict, match="a dolly cannot make the orbit move: it is made on a "
                                           "drone"):
        graph = compiled("dolly orbit medium")
    _, p, target = camera_track(graph)
    assert swept_deg(p, target)[-1] == pytest.approx(90.0, abs=1.0)


@pytest.mark.parametrize("frames", [(1, 48), (1, 120), (101, 340)])
def test_the_move_fits_the_shot(frames):
    seconds, p, target = camera_track(compiled("moco product turntable close-up", frames=frames))
    sweep = swept_deg(p, target)
    shot = seconds[-1] - seconds[0]
    assert sweep[-1] == pytest.approx(360.0, abs=1e-6), "a whole revolution by the last frame"
    moving = seconds[np.abs(sweep - sweep[-1]) > 0.5]  # not yet at the end of the turn
    assert moving[-1] - seconds[0] > 0.75 * shot, "the turn is spread over the shot"
    assert abs(sweep[1]) < 5.0, "it starts from rest"


def test_a_stated_duration_sets_the_moves_length():
    seconds, p, _ = camera_track(compiled("dolly push-in medium 2 seconds", frames=(1, 240)))
    travelled = np.linalg.norm(p - p[0], axis=1) / np.linalg.norm(p[-1] - p[0])
    starts = seconds[np.argmax(travelled > 1e-6)]
    ends = seconds[np.argmax(travelled > 1.0 - 1e-6)]
    assert ends - starts == pytest.approx(2.0, abs=2.0 / 24.0)
    assert parse_prose("drone orbit 6s").camera.duration_s == 6.0


def test_a_move_too_fast_for_the_rig_is_a_clear_error():
    with pytest.raises(ValueError, match=r"camera slot: the move does not fit 1 s on a drone"):
        compiled("drone full orbit 1s wide")


@pytest.mark.parametrize(("word", "mm"), [("85mm", 85.0), ("long lens", 135.0),
                                          ("wide lens", 24.0)])
def test_lens_words_set_the_evaluated_focal_length(word, mm):
    values = Evaluator().evaluate(compiled(f"dolly push-in medium {word}"),
                                  ["camera_rig.channels"])["camera_rig.channels"]
    np.testing.assert_array_equal(values["camera.focal_length"], mm)


@pytest.mark.parametrize(("word", "kelvin"), [("tungsten", 3200.0), ("daylight", 5600.0),
                                              ("warm", 3200.0), ("cool", 7000.0)])
def test_colour_words_set_the_baked_key_and_fill_cct(word, kelvin):
    channels = bake_graph(compiled(f"tripod medium {word}", frames=(1, 12)))
    np.testing.assert_array_equal(channels["key.color_temperature"], kelvin)
    np.testing.assert_array_equal(channels["fill.color_temperature"], kelvin)


@pytest.mark.parametrize(("word", "ratio", "ev"), [("low-key", 8.0, -1.0),
                                                   ("high-key", 1.5, 0.5),
                                                   ("moody", 8.0, -0.5)])
def test_key_words_set_the_measured_ratio_and_the_exposure(word, ratio, ev):
    graph = compiled(f"dolly push-in medium {word}", frames=(1, 48))
    values = Evaluator().evaluate(graph, ["key.channels", "fill.channels", "camera_rig.target",
                                          "look.look"])
    target = values["camera_rig.target"]
    key = subject_illuminance(values["key.channels"].of("key"), target, "light.area")
    fill = subject_illuminance(values["fill.channels"].of("fill"), target, "light.area")
    np.testing.assert_allclose(key / fill, ratio, rtol=1e-9)
    assert values["look.look"].exposure_ev == ev


@pytest.mark.parametrize(("typo", "meant"), [("pushin", "push in"), ("orbitt", "orbit"),
                                             ("tungstn", "tungsten"), ("turntabel", "turntable")])
def test_unknown_words_get_did_you_mean(typo, meant):
    with pytest.raises(VocabularyError, match=rf"'{typo}' \(did you mean [^)]*{meant}"):
        parse_prose(f"moco {typo} medium")


def test_conflicting_rig_words_warn_and_a_move_energy_does_not_conflict(recwarn):
    with pytest.warns(ProseConflict, match=r"'drone' and 'dolly' both set camera\.rig"):
        parse_prose("drone dolly handheld")
    recwarn.clear()
    assert parse_prose("handheld chase, shaky").camera.energy == 0.9  # a said energy wins
    assert parse_prose("shaky handheld chase").camera.energy == 0.9
    assert not [w for w in recwarn if issubclass(w.category, ProseConflict)]


@pytest.mark.parametrize("scenario", STARTERS, ids=lambda s: s.name)
def test_every_starter_compiles_and_validates_without_warnings(scenario):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        graph = starter_graph(scenario)
        loaded = mgraph.load(GRAPHS / f"{scenario.name}.mgraph")
    assert graph.validate() == [] and loaded.validate() == []


def test_the_turntable_starter_turns_a_full_revolution_with_its_lights():
    """Camera and lights go once round the product together: the product turning on its
    turntable under a fixed camera and fixed lights, seen from the product."""
    graph = mgraph.load(GRAPHS / "moco_product_turntable.mgraph")
    channels = bake_graph(graph)
    target = Evaluator().evaluate(graph, ["camera_rig.target"])["camera_rig.target"]
    for name in ("camera", "key", "fill", "rim"):
        p = np.stack([channels[f"{name}.t{a}"] for a in "xyz"], axis=-1)
        assert swept_deg(p, target)[-1] == pytest.approx(360.0, abs=1e-6), name
        assert np.ptp(np.linalg.norm(p - target, axis=1)) < 1e-9, name


def test_the_chase_starter_chases_a_moving_subject():
    channels = bake_graph(mgraph.load(GRAPHS / "handheld_chase.mgraph"))
    subject = np.stack([channels[f"subject.t{a}"] for a in "xyz"], axis=-1)
    camera = np.stack([channels[f"camera.t{a}"] for a in "xyz"], axis=-1)
    assert np.linalg.norm(subject[-1] - subject[0]) >= 2.5, "the subject runs"
    travelled = np.linalg.norm(camera[-1] - camera[0])
    assert travelled == pytest.approx(np.linalg.norm(subject[-1] - subject[0]), abs=0.05)
    gap = np.linalg.norm(camera - subject, axis=1)
    assert np.ptp(gap) < 0.05 * gap.mean(), "the camera keeps pace (only its shake varies)"


def test_moks_scene_warns_that_a_tripod_does_not_push(tmp_path):
    from click.testing import CliRunner

    from moks_graph.hosts.commands.scene import scene

    out = CliRunner().invoke(scene, ["tripod push-in medium", "--out", str(tmp_path / "p.mgraph")])
    assert out.exit_code == 0, out.output
    assert "warning: a tripod_locked cannot make the push-in move" in out.stderr
    assert "rig dolly" in out.stdout


def test_moks_scene_vocabulary_lists_the_numeric_words():
    from click.testing import CliRunner

    from moks_graph.hosts.commands.scene import scene

    out = CliRunner().invoke(scene, ["--vocabulary"])
    assert out.exit_code == 0
    for line in ("half orbit", "turntable", "<N>mm", "camera: sweep_deg = N",
                 "camera: duration_s = N"):
        assert line in out.output


def test_a_short_shot_runs_the_move_as_fast_as_allowed_with_a_warning():
    """No stated length: a one-second drone shot compiles, warns, and its move runs on."""
    with pytest.warns(ProseConflict, match=r"does not fit .* ends after the last frame"):
        graph = compiled("drone wide, practical", frames=(1, 24))
    _, p, _ = camera_track(graph)
    assert np.linalg.norm(p[-1] - p[0]) > 0.0, "the move has started"


def _camera_and_subject(prose: str) -> tuple[np.ndarray, np.ndarray]:
    channels = bake_graph(compiled(prose))
    return tuple(np.stack([channels[f"{name}.t{a}"] for a in "xyz"], axis=-1)
                 for name in ("camera", "subject"))


@pytest.mark.parametrize("motion", ["actor crossing", "walks in", "walks away"])
def test_a_dolly_chase_keeps_pace_with_a_moving_subject(motion):
    """The dolly's track is laid beside the walk and it runs on the subject's own timing:
    the camera travels as far as the subject and the gap stays within the rails' bumps."""
    camera, subject = _camera_and_subject(f"dolly chase full shot, {motion}, steady")
    walked = np.linalg.norm(subject[-1] - subject[0])
    assert walked >= 2.5, "the subject walks"
    assert np.linalg.norm(camera[-1] - camera[0]) == pytest.approx(walked, abs=0.01)
    gap = np.linalg.norm(camera - subject, axis=1)
    assert np.ptp(gap) < 0.005, "the camera keeps pace: only the rail bumps vary the gap"


def test_a_wirecam_chase_of_a_moving_subject_is_handed_to_a_handheld():
    with pytest.warns(ProseConflict, match="a wirecam cannot keep pace .* handheld instead"):
        graph = compiled("wirecam chase full shot, actor crossing")
    assert graph.nodes["camera_rig"].type == "moks.rig.handheld"
    camera, subject = _camera_and_subject("handheld chase full shot, actor crossing")
    gap = np.linalg.norm(camera - subject, axis=1)
    assert np.ptp(gap) < 0.05 * gap.mean()


def test_a_chase_of_a_still_subject_stays_on_its_rig():
    """Nothing to keep pace with: the wirecam and the dolly make their sideways chase."""
    for rig in ("wirecam", "dolly"):
        graph = compiled(f"{rig} chase full shot")
        assert graph.nodes["camera_rig"].type == f"moks.rig.{rig}"
