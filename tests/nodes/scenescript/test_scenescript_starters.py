"""Starter scenarios, SceneScript compile and prose, rig/light node behaviour through the engine."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

import moks_graph as mg
from moks_graph import mgraph
from moks_graph.evaluate import Evaluator
from moks_graph.hosts.bake import bake_graph
from moks_graph.layout import tidy_graph
from moks_graph.nodes.lights.rig import subject_illuminance
from moks_graph.nodes.scenescript.compile import compile_scene, requested_illuminance
from moks_graph.nodes.scenescript.scenarios import STARTERS, starter_graph
from moks_graph.nodes.scenescript.schema import SceneScript
from moks_graph.nodes.scenescript.vocabulary import VocabularyError, parse_prose

GRAPHS = Path(__file__).resolve().parents[3] / "graphs"


@pytest.mark.parametrize("scenario", STARTERS, ids=lambda s: s.name)
def test_starter_is_committed_valid_and_finite(scenario):
    path = GRAPHS / f"{scenario.name}.mgraph"
    committed = path.read_text()
    assert committed == mgraph.dumps(tidy_graph(starter_graph(scenario))), (
        f"{path} is out of date: run `moks scene --starters graphs`")
    graph = mgraph.load(path)
    assert graph.validate() == []
    channels = bake_graph(graph)
    assert channels.finite(), "no channel of a starter scenario may contain NaN or Inf"
    kinds = set(channels.kinds.values())
    assert "camera" in kinds and "atmosphere" in kinds and "light.area" in kinds
    assert len(channels.time) == graph.settings.frame_end - graph.settings.frame_start + 1


def test_eight_different_rigs_and_shots():
    rigs = {starter_graph(s).meta["scene_script"]["camera"]["rig"] for s in STARTERS}
    assert rigs == {"tripod_locked", "moco", "technocrane", "wirecam", "dolly", "drone",
                    "handheld"}
    assert len({s.name for s in STARTERS}) == len(STARTERS) == 11


#: Chunked against whole: four still starters, the moco turntable's orbit and the moving
#: ones (the subject's walk, the lights' aim and exposure hold are pure functions of absolute
#: time too).
CHUNKED = list(dict.fromkeys(
    [*STARTERS[:4], *(s for s in STARTERS if s.name == "moco_product_turntable"),
     *(s for s in STARTERS if parse_prose(s.prose).subject.motion != "still")]))


@pytest.mark.parametrize("scenario", CHUNKED, ids=lambda s: s.name)
def test_chunked_bake_is_bit_identical(scenario):
    graph = starter_graph(scenario)
    graph.settings.subframes = 4
    whole = bake_graph(graph)
    start, end = graph.settings.frame_start, graph.settings.frame_end
    bounds = np.linspace(start, end + 1, 9).astype(int)
    pieces = []
    for a, b in itertools.pairwise(bounds):
        last = b == end + 1
        part = bake_graph(graph, frames=(a, end if last else b))
        keep = slice(None) if last else slice(0, -1)  # frame b belongs to the next chunk
        pieces.append({k: v[keep] for k, v in part.items()})
    for name in whole:
        joined = np.concatenate([p[name] for p in pieces])
        assert np.array_equal(joined, whole[name]), (name, np.nonzero(joined != whole[name])[0][:8],
                                                      joined[joined != whole[name]][:4],
                                                      whole[name][joined != whole[name]][:4])


def test_fill_holds_the_key_fill_ratio_at_the_subject():
    script = parse_prose("dolly push-in medium, low-key")
    graph = compile_scene(script, frames=(1, 72))
    values = Evaluator().evaluate(graph, ["key.channels", "fill.channels", "camera_rig.target"])
    target = values["camera_rig.target"]

    def lux(ch, name):
        # The exact illuminance of the light's shape (a square area light), issue 19.
        return subject_illuminance(ch.of(name), target, ch.kinds[name])

    key = values["key.channels"]
    ratio = lux(key, "key") / lux(values["fill.channels"], "fill")
    np.testing.assert_allclose(ratio, script.fill_rim.key_fill_ratio, rtol=1e-9)
    requested = script.key.illuminance_lux * np.exp2(key["key.flicker"])
    np.testing.assert_allclose(lux(key, "key"), requested, rtol=1e-6)



def aim_points(graph: mg.Graph, channels: mg.Channels) -> np.ndarray:
    """Where a starter's lights aim: its moving subject's track (the null ``subject``) when it
    has one, else the rig's fixed target."""
    if "subject" in channels.kinds:
        return np.stack([channels[f"subject.{a}"] for a in ("tx", "ty", "tz")], axis=-1)
    return Evaluator().evaluate(graph, ["camera_rig.target"])["camera_rig.target"]


@pytest.mark.parametrize("path", sorted(GRAPHS.glob("*.mgraph")), ids=lambda p: p.stem)
def test_every_starter_light_is_set_for_its_requested_illuminance(path):
    """The rig's exact model puts each light's requested lux on the subject at every frame
    (requested_illuminance x 2**flicker); tests/hosts/blender/test_blender_lightmeter.py measures
    the same with Cycles (issue 19)."""
    graph = mgraph.load(path)
    channels = bake_graph(graph)
    target = aim_points(graph, channels)
    requested = requested_illuminance(SceneScript.model_validate(graph.meta["scene_script"]))
    lights = {o: k for o, k in channels.kinds.items() if k.startswith("light.")}
    assert set(lights) == set(requested)
    for name, kind in lights.items():
        ch = channels.of(name)
        flicker = np.exp2(ch["flicker"]) if "flicker" in ch else 1.0
        np.testing.assert_allclose(subject_illuminance(ch, target, kind),
                                   requested[name] * flicker, rtol=1e-6, err_msg=name)

def test_seed_changes_noise_only(tmp_path):
    a = starter_graph(STARTERS[3])  # handheld chase
    b = starter_graph(STARTERS[3])
    b.settings.seed = a.settings.seed + 1
    ca, cb = bake_graph(a), bake_graph(b)
    assert not np.array_equal(ca["camera.tx"], cb["camera.tx"])
    np.testing.assert_allclose(ca["camera.tx"], cb["camera.tx"], atol=0.2)
    assert np.array_equal(ca["camera.focal_length"], cb["camera.focal_length"])


def test_prose_maps_onto_slots():
    s = parse_prose("low-key handheld close-up, rim from camera left, light fog, Tri-X")
    assert s.camera.rig == "handheld" and s.shot.size == "close_up"
    assert s.fill_rim.rim == "camera_left" and s.fill_rim.key_fill_ratio == 8.0
    assert s.atmosphere.phi == pytest.approx(0.3) and s.look.stock == "tri_x"
    assert parse_prose("") == SceneScript()


def test_unknown_vocabulary_is_a_clear_error():
    with pytest.raises(VocabularyError) as e:
        parse_prose("handheld closup with lazers")
    assert e.value.unknown == ["closup", "lazers"]
    assert "did you mean" in str(e.value) and "close-up" in str(e.value)


def test_bad_rig_parameters_name_node_and_field():
    g = starter_graph(STARTERS[2])  # dolly
    with pytest.raises(mg.GraphEditError) as e:
        g.set_param("camera_rig", "track_length", -1.0)
    assert e.value.problems[0].path == "$.nodes.camera_rig.params.track_length"
    with pytest.raises(mg.GraphEditError) as e:  # an impossible move for the track
        g.set_param("camera_rig", "move_end", 400.0)
    assert e.value.problems[0].node == "camera_rig"
    with pytest.raises(mg.GraphEditError) as e:
        g.set_param("key", "azimuth_deg", 270.0)
    assert e.value.code == "MG105"


def test_light_without_camera_is_reported_not_nan():
    g = mg.Graph(mg.Settings(frame_end=10))
    g.add_node("moks.light.key", "key")
    problems = g.validate()
    assert [p.code for p in problems] == ["MG102"] and problems[0].field == "camera"
    assert "key.channels" not in Evaluator().evaluate(g).values
