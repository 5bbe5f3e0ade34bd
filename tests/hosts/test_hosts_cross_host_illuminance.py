"""Issue 17, "done when": one moving-subject bake, five hosts, the same subject illuminance.

A moving-subject starter is baked with ``moks bake``'s own :func:`bake` to USD, .blend, .ma,
Alembic and the Unreal output (FBX + Level Sequence script). Each file is read back with its
own reader only and the subject illuminance of every light is recomputed from the file's own
light positions and intensities, with the subject where the file puts its null:

* USD (pxr), .blend (bpy) and .ma (the text parser): the raw readers of ``conftest.py``
  (``raw_light_readers``; UsdLux nits, Blender watts, Maya nits / ``intensity / d²`` cm);
* Unreal: the FBX imported by Blender's own FBX importer into a fresh factory scene (world
  matrices, metres) and the script's ``MOKS_SEQUENCE`` literal read with ``ast``: each
  light's ``Intensity`` track in candela times the luminance (Rec.709 Y) of its
  ``LightColor`` track (the writer folds the colour's peak into the intensity), a
  ``RectLight``'s ``SourceWidth`` x ``SourceHeight`` in cm; ``L = I / A`` for the rectangle
  (a Lambertian emitter), ``I / d²`` for a point or spot;
* Alembic: the .abc imported by Blender's Alembic importer. Alembic has no light schema, so
  the file carries the lights' and the subject's transforms only: the check recomputes the
  illuminance from the .abc's geometry with the intensity and size taken from the engine's
  channels (said so in the assertion messages), which tests what the format carries.

Area lights use Lambert's polygon formula over the rectangle's corners (not the rig's closed
form). Over the shot (the subject walks 3 m; every light-to-subject distance changes by a
third or more) each light's illuminance must stay within 0.1% in every host, equal the
SceneScript's request within 0.1%, and agree between hosts within 0.1%.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import moks_graph as mg
from moks_graph.hosts.bake import bake, bake_graph
from moks_graph.nodes.scenescript.compile import requested_illuminance
from moks_graph.nodes.scenescript.schema import SceneScript

pytest.importorskip("bpy")
pytest.importorskip("pxr")

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"
MOVING = ("dolly_walk_and_talk", "handheld_follow_walk_away")
TOLERANCE = 1e-3
SUBJECT = "subject"
SQUARE = np.array([[-1.0, -1.0, 0.0], [1.0, -1.0, 0.0], [1.0, 1.0, 0.0], [-1.0, 1.0, 0.0]])
#: Rec.709 luminance of a linear RGB colour.
LUMA = np.array([0.2126, 0.7152, 0.0722])
SUFFIXES = {"usd": ".usda", "blender": ".blend", "maya": ".ma", "unreal": ".fbx",
            "alembic": ".abc"}

Lux = tuple[np.ndarray, dict[str, np.ndarray]]


def _world(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(N, 4, 4) world matrices applied to (K, 3) local points: (N, K, 3)."""
    return np.einsum("nij,kj->nki", matrix[:, :3, :3], points) + matrix[:, None, :3, 3]


def _held(values: list[float], n: int) -> np.ndarray:
    """A script channel over the samples (one key holds its value)."""
    return np.broadcast_to(np.asarray(values, dtype=np.float64), (n,)) if len(values) == 1 \
        else np.asarray(values, dtype=np.float64)


def _lux(kind: str, matrix: np.ndarray, subject: np.ndarray, intensity_cd: np.ndarray,
         width_m: np.ndarray | None, height_m: np.ndarray | None,
         area_lux: Callable[..., np.ndarray]) -> np.ndarray:
    if kind == "area":
        corners = np.einsum("nij,nkj->nki", matrix[:, :3, :3],
                            SQUARE[None] * np.stack([width_m / 2, height_m / 2,
                                                     np.zeros_like(width_m)], -1)[:, None])
        corners += matrix[:, None, :3, 3]
        ahead = _world(matrix, np.array([[0.0, 0.0, 0.0], [0.0, 0.0, -1.0]]))
        return area_lux(corners, intensity_cd / (width_m * height_m), ahead[:, 1] - ahead[:, 0],
                        subject)
    d = np.linalg.norm(matrix[:, :3, 3] - subject, axis=1)
    return intensity_cd / d**2


def unreal_lights(fbx: Path, area_lux: Callable[..., np.ndarray]) -> Lux:
    """The FBX through Blender's FBX importer, the intensities from the script (``ast``)."""
    from moks_graph.hosts.blender.interchange import (
        fbx_import_frames,
        import_interchange,
        sample_objects,
    )
    from moks_graph.hosts.unreal.script import script_data
    from moks_graph.hosts.unreal.writer import script_path

    data = script_data(script_path(fbx).read_text("utf-8"))
    frames = np.asarray(data["frames"]) + np.asarray(data["sub_frames"])
    scene = import_interchange(fbx)
    got = sample_objects(scene, fbx_import_frames(scene, frames))
    n = len(frames)
    subject = got[SUBJECT].matrix[:, :3, 3]
    lux = {}
    for actor in data["actors"]:
        if actor["actor_class"] not in ("RectLight", "PointLight", "SpotLight"):
            continue
        tracks = {t["property_name"]: {c: _held(v, n) for c, v in t["channels"]}
                  for t in actor["tracks"]}
        color = np.stack([tracks["LightColor"][c] for c in "RGB"], -1) \
            if "LightColor" in tracks else np.ones((n, 3))
        cd = tracks["Intensity"][""] * (color @ LUMA)
        rect = actor["actor_class"] == "RectLight"
        lux[actor["name"]] = _lux(
            "area" if rect else "point", got[actor["name"]].matrix, subject, cd,
            tracks["SourceWidth"][""] / 100.0 if rect else None,
            tracks["SourceHeight"][""] / 100.0 if rect else None, area_lux)
    return subject, lux


def alembic_lights(abc: Path, channels: mg.Channels, area_lux: Callable[..., np.ndarray]) -> Lux:
    """The .abc's transforms through Blender's Alembic importer; intensity and size are not in
    an .abc and come from the engine's channels."""
    from moks_graph.hosts.blender.interchange import import_interchange, sample_objects

    got = sample_objects(import_interchange(abc, channels.time.fps), channels.time.frames)
    subject = got[SUBJECT].matrix[:, :3, 3]
    lux = {}
    for name, kind in channels.kinds.items():
        if not kind.startswith("light."):
            continue
        assert got[name].type == "EMPTY"  # an xform: no light data in Alembic
        size = channels[f"{name}.size"] if kind == "light.area" else None
        lux[name] = _lux("area" if kind == "light.area" else "point", got[name].matrix, subject,
                         channels[f"{name}.intensity"], size, size, area_lux)
    return subject, lux


@pytest.fixture(scope="module")
def engine() -> dict[str, tuple[mg.Graph, mg.Channels]]:
    return {name: (g := mg.load(GRAPHS / f"{name}.mgraph"), bake_graph(g)) for name in MOVING}


@pytest.mark.parametrize("scenario", MOVING)
def test_subject_illuminance_is_constant_in_five_hosts(tmp_path, engine, raw_light_readers,
                                                      lambert_area_lux, scenario):
    graph, channels = engine[scenario]
    requested = requested_illuminance(SceneScript.model_validate(graph.meta["scene_script"]))
    walked = np.stack([channels[f"{SUBJECT}.t{a}"] for a in "xyz"], axis=-1)
    assert np.linalg.norm(walked[-1] - walked[0]) > 2.9
    readers: dict[str, Callable[[Path], Lux]] = {
        host: read for host, (_, read) in raw_light_readers.items()}
    readers["unreal"] = lambda p: unreal_lights(p, lambert_area_lux)
    readers["alembic"] = lambda p: alembic_lights(p, channels, lambert_area_lux)
    assert sorted(readers) == sorted(SUFFIXES)
    seen: dict[str, dict[str, np.ndarray]] = {}
    for host, read in readers.items():
        result = bake(graph, host, tmp_path / f"{scenario}{SUFFIXES[host]}")
        subject, lux = read(result.path)
        carried = "geometry only, intensity from the engine" if host == "alembic" else "file"
        np.testing.assert_allclose(subject, walked, atol=1e-5, err_msg=host)
        lux = {n: e for n, e in lux.items() if n in requested}
        assert set(lux) == set(requested), host
        for name, e in lux.items():
            assert e.max() / e.min() - 1.0 < TOLERANCE, (host, carried, name, e.min(), e.max())
            assert np.abs(e / requested[name] - 1.0).max() < TOLERANCE, (host, carried, name)
        seen[host] = lux
    for name in requested:
        stack = np.stack([seen[h][name] for h in seen])
        assert (stack.max(axis=0) / stack.min(axis=0) - 1.0).max() < TOLERANCE, name


def test_alembic_carries_no_light_intensity(tmp_path, engine):
    """Alembic has no light schema: the .abc's lights are bare xforms (documented)."""
    from moks_graph.hosts.blender.interchange import import_interchange

    graph, channels = engine["dolly_walk_and_talk"]
    scene = import_interchange(bake(graph, "alembic", tmp_path / "x.abc").path)
    lights = [o for o, k in channels.kinds.items() if k.startswith("light.")]
    assert lights and all(scene.objects[name].type == "EMPTY" for name in lights)
    assert not any(o.type == "LIGHT" for o in scene.objects)
