"""A moving subject keeps its illuminance in every host (issue 17, "done when").

A moving-subject starter is baked with ``moks bake``'s own function to USD, .blend and .ma,
plain and with ``link_to_target`` (lights as children / constraints of the subject). Each
file is then read back *raw*, not through the product's readers or its unit conversions:

* USD (pxr): world transforms from ``UsdGeom.XformCache`` (hierarchy, up axis and
  ``metersPerUnit`` as USD composes them), ``RectLight`` width/height, ``SphereLight``
  radius, ``inputs:intensity * 2**inputs:exposure`` = the emitter's luminance in nits
  (UsdLux, ``normalize`` off);
* Blender (bpy): ``matrix_world`` of each evaluated object at each frame (constraints
  evaluated by Blender), the evaluated light's ``energy`` in watts and ``size``: an area
  light's radiance is ``P / (π A)`` W/m²/sr (a one-sided Lambertian emitter), a point or
  spot light's intensity ``P / 4π`` W/sr, times 683 lm/W;
* Maya (.ma, parsed with the text parser only): each transform's translate / rotate (xyz)
  / scale curves, composed through the DAG; an ``areaLight`` spans -1..1 of its transform
  (emitting along -Z) with ``intensity`` its luminance in nits, a point or spot light with
  ``decayRate`` 2 gives ``intensity / d²`` with ``d`` in centimetres.

The raw readers live in ``conftest.py`` (fixture ``raw_light_readers``), shared with the
cross-host test. The subject illuminance of each light is recomputed from those numbers
alone, with the subject where the file puts its null, facing the light: Lambert's polygon
formula over the rectangle's corners for area lights (not the closed form the rig uses),
``π L (r / d)²`` for a sphere. Over the whole shot (the subject walks 3 m, so every light-to-subject
distance changes by a third or more) each light's illuminance must stay within 0.1%, and
equal the SceneScript's request within 0.1%.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import moks_graph as mg
from moks_graph.hosts.bake import bake, bake_graph
from moks_graph.nodes.scenescript.compile import requested_illuminance
from moks_graph.nodes.scenescript.schema import SceneScript

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"
MOVING = ("tripod_walk_to_mark", "dolly_walk_and_talk", "handheld_follow_walk_away")
TOLERANCE = 1e-3
SUBJECT = "subject"


@pytest.fixture(scope="module")
def engine() -> dict[str, tuple[mg.Graph, mg.Channels]]:
    return {name: (g := mg.load(GRAPHS / f"{name}.mgraph"), bake_graph(g)) for name in MOVING}


@pytest.mark.parametrize("linked", [False, True], ids=["plain", "linked"])
@pytest.mark.parametrize("host", ["blender", "maya", "usd"])
@pytest.mark.parametrize("scenario", MOVING)
def test_subject_illuminance_is_constant_in_every_host(tmp_path, engine, raw_light_readers,
                                                       scenario, host, linked):
    if host == "usd":
        pytest.importorskip("pxr")
    if host == "blender":
        pytest.importorskip("bpy")
    graph, channels = engine[scenario]
    suffix, read = raw_light_readers[host]
    result = bake(graph, host, tmp_path / f"{scenario}{suffix}", link_to_target=linked)
    assert bool(result.linkage) is linked
    subject, lux = read(result.path)
    walked = np.stack([channels[f"{SUBJECT}.t{a}"] for a in "xyz"], axis=-1)
    np.testing.assert_allclose(subject, walked, atol=1e-5)  # the file's subject walks the path
    assert np.linalg.norm(subject[-1] - subject[0]) > 2.9
    requested = requested_illuminance(SceneScript.model_validate(graph.meta["scene_script"]))
    assert set(lux) == set(requested)
    for name, e in lux.items():
        light = np.stack([channels[f"{name}.t{a}"] for a in "xyz"], axis=-1)
        distance = np.linalg.norm(light - walked, axis=1)
        assert distance.max() / distance.min() > 1.3, (name, "the distance hardly changes")
        assert e.max() / e.min() - 1.0 < TOLERANCE, (name, e.min(), e.max())
        assert np.abs(e / requested[name] - 1.0).max() < TOLERANCE, (name, requested[name])
    total = sum(lux.values())
    assert total.max() / total.min() - 1.0 < TOLERANCE
