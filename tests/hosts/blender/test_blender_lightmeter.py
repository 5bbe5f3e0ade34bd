"""Cycles as a light meter (issue 19): every baked light delivers the illuminance it promises.

Real ``bpy``: :func:`moks_graph.hosts.blender.lightmeter.meter_lights` renders a white
Lambertian card at the subject facing each light alone, in the scene the Blender writer bakes.
Tiny renders (8 x 8 pixels, 64 samples, no denoising, fixed seed): a reading's noise is about
0.1% for an area light (measured over seeds), under 0.02% for a sphere, against the 1% asked.
The full sweep, with its per-light figures, is ``bench/light_meter.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("bpy")

from moks_graph import mgraph
from moks_graph.channels import Channels
from moks_graph.evaluate import Evaluator
from moks_graph.hosts.bake import bake_graph
from moks_graph.hosts.blender.lightmeter import meter_lights
from moks_graph.nodes.lights.emitters import illuminance_per_cd
from moks_graph.nodes.lights.rig import light_channels, subject_illuminance
from moks_graph.nodes.scenescript.compile import requested_illuminance
from moks_graph.nodes.scenescript.schema import SceneScript
from moks_graph.timebase import time_array

SAMPLES, PIXELS = 64, 8
TOLERANCE, STOPS = 0.01, 0.02
TARGET = np.array([0.0, 0.0, 1.0])
CAMERA = np.array([0.0, -5.0, 1.2])
STARTER_FILES = sorted((Path(__file__).resolve().parents[3] / "graphs").glob("*.mgraph"))


def test_there_are_eleven_starters() -> None:
    assert len(STARTER_FILES) == 11


@pytest.mark.parametrize("path", STARTER_FILES, ids=lambda p: p.stem)
def test_every_starter_light_delivers_its_requested_illuminance(path: Path) -> None:
    graph = mgraph.load(path)
    channels = bake_graph(graph)
    if "subject" in channels.kinds:  # a moving subject: measured where it is at each frame
        target = np.stack([channels[f"subject.{a}"] for a in ("tx", "ty", "tz")], axis=-1)
    else:
        target = Evaluator().evaluate(graph, ["camera_rig.target"])["camera_rig.target"]
    script = SceneScript.model_validate(graph.meta["scene_script"])
    requested = requested_illuminance(script)
    frames = channels.time.frames
    picks = sorted({int(frames[0]), int(frames[len(frames) // 2]), int(frames[-1])})
    readings = meter_lights(channels, target, picks, samples=SAMPLES, pixels=PIXELS)
    lights = {o for o, k in channels.kinds.items() if k.startswith("light.")}
    assert {r.light for r in readings} == lights == set(requested)
    assert len(readings) == len(lights) * len(picks)
    lux: dict[tuple[int, str], float] = {}
    for r in readings:
        i = int(np.argmin(np.abs(frames - r.frame)))
        ch = channels.of(r.light)
        flicker = 2.0 ** float(ch["flicker"][i]) if "flicker" in ch else 1.0
        want = requested[r.light] * flicker
        model = float(subject_illuminance(ch, target, r.kind)[i])
        assert r.lux / want == pytest.approx(1.0, abs=TOLERANCE), (r, want)
        assert r.lux / model == pytest.approx(1.0, abs=TOLERANCE), (r, model)
        lux[(r.frame, r.light)] = r.lux
    for frame in picks:
        stops = math.log2(lux[(frame, "key")] / lux[(frame, "fill")])
        assert stops == pytest.approx(math.log2(script.fill_rim.key_fill_ratio), abs=STOPS)


def _one_light(kind: str, distance: float, size: float) -> Channels:
    extra = {"size_m": size} if kind == "area" else {}
    ch = light_channels(kind, 1, CAMERA, TARGET, 35.0, 20.0, distance, 1000.0, 5600.0, 0.0,
                        **extra)
    if kind == "point":
        ch["size"] = np.array([size])
    return Channels(time_array(1, 1, 24.0), {f"L.{k}": v for k, v in ch.items()},
                    {"L": f"light.{kind}"})


@pytest.mark.parametrize(("kind", "shape", "law", "size", "distance", "point_law_over"), [
    ("area", None, "square", 1.0, 0.5, 2.2),           # distance = half the edge
    ("area", None, "square", 1.83, 1.2, 1.7),          # moco_product_turntable's key
    ("area", ("DISK", 1.0), "disc", 1.0, 0.5, 1.9),    # Blender's DISK shape
    ("area", ("RECTANGLE", 2.0), "rectangle", 1.0, 0.5, 3.5),
    ("point", None, "sphere", 1.0, 1.0, 0.99),         # a sphere: I/d² even at r = d/2
])
def test_near_field_lights_match_the_exact_law(kind, shape, law, size, distance,
                                               point_law_over) -> None:
    def configure(_name: str, data: object) -> None:
        if shape is not None:
            data.shape = shape[0]  # type: ignore[attr-defined]
            data.size_y = size * shape[1]  # type: ignore[attr-defined]

    lux = meter_lights(_one_light(kind, distance, size), TARGET, [1], samples=SAMPLES,
                       pixels=PIXELS, configure_light=configure)[0].lux
    height = size * shape[1] if shape else None
    exact = 1000.0 * float(illuminance_per_cd(law, distance, size, height))
    assert lux / exact == pytest.approx(1.0, abs=TOLERANCE)
    assert 1000.0 / distance**2 / lux > point_law_over  # what the point law would promise


def test_a_sun_delivers_its_illuminance() -> None:
    ch = light_channels("point", 1, CAMERA, TARGET, 35.0, 40.0, 5.0, 1000.0, 5600.0, 0.0)
    channels = Channels(time_array(1, 1, 24.0), {f"S.{k}": v for k, v in ch.items()},
                        {"S": "light.sun"})  # a sun's "intensity" is its illuminance [lux]
    (reading,) = meter_lights(channels, TARGET, [1], samples=SAMPLES, pixels=PIXELS)
    assert reading.lux / 1000.0 == pytest.approx(1.0, abs=TOLERANCE)


def test_exposure_hold_as_distance_and_size_animate() -> None:
    n = 24
    dist, size = np.linspace(0.6, 4.0, n), np.linspace(1.8, 0.6, n)
    ch = light_channels("area", n, CAMERA, TARGET, 40.0, 25.0, dist, 1000.0, 5600.0, 0.0,
                        size_m=size, reference_distance_m=2.0, reference_size_m=1.0)
    channels = Channels(time_array(1, n, 24.0), {f"key.{k}": v for k, v in ch.items()},
                        {"key": "light.area"})
    want = 1000.0 * float(illuminance_per_cd("square", 2.0, 1.0))
    readings = meter_lights(channels, TARGET, [1, 12, 24], samples=SAMPLES, pixels=PIXELS)
    assert len(readings) == 3
    for r in readings:
        assert r.lux / want == pytest.approx(1.0, abs=TOLERANCE), r


def test_unknown_light_and_bad_albedo_are_refused() -> None:
    channels = _one_light("area", 2.0, 1.0)
    with pytest.raises(ValueError, match="not light objects"):
        meter_lights(channels, TARGET, [1], lights=["nope"])
    with pytest.raises(ValueError, match="albedo"):
        meter_lights(channels, TARGET, [1], albedo=0.0)
