"""Cycles reference corpus with real bpy: files, truth, determinism, photometry, lighting side.

Tiny renders (96 x 54, 8 samples) keep this fast. bpy is one process-wide
session: every render resets it, so each check reads what it needs right away.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("bpy")

from moks_graph.hosts.blender import references as refs

SIZE = (96, 54)
SAMPLES = 8
SEED = 3

#: A plain sphere lit from one side only: no fill to speak of, no rim, haze or ambient.
SIDE_KEY: dict[str, Any] = {
    "shape": "uv_sphere", "albedo_rgb": [0.5, 0.5, 0.5], "roughness": 0.7,
    "offset_u": [0.0, 0.0], "pitch_deg": 0.0, "height_frac": 0.6, "wall": False,
    "floor": False, "ambient_frac": 0.0, "haze_density_per_m": 0.0,
    "key": {"type": "area_square", "size_m": 0.5, "distance_m": 3.0,
            "elevation_deg": 0.0, "cct_K": 5500.0},
    "fill": {"ratio": 16.0}, "rim": {"mode": "none"},
}


def _pixels(path: Path) -> np.ndarray:
    """An image file's pixels read back through Blender (float, rows top to bottom)."""
    import bpy

    return refs._read_pixels(bpy, path)


def _linear(srgb: np.ndarray) -> np.ndarray:
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two stills, plus Blender's own projection of the last subject centre."""
    import bpy
    from bpy_extras.object_utils import world_to_camera_view
    from mathutils import Vector

    out = tmp_path_factory.mktemp("refs")
    truths = refs.generate(out, 2, seed=SEED, size=SIZE, samples=SAMPLES)
    scene = bpy.context.scene
    ndc = world_to_camera_view(scene, scene.camera, Vector(truths[-1]["subject_center_world"]))
    blender_px = [ndc.x * SIZE[0], (1.0 - ndc.y) * SIZE[1]]
    return {"out": out, "truths": truths, "blender_center_px": blender_px,
            "blender_camera": [list(row) for row in scene.camera.matrix_world]}


def test_files_exist_and_parse(corpus: dict[str, Any]) -> None:
    out = corpus["out"]
    for i, truth in enumerate(corpus["truths"]):
        name = f"{i:03d}"
        for suffix in (".png", ".mask.png", ".json"):
            assert (out / f"{name}{suffix}").is_file()
        on_disk = json.loads((out / f"{name}.json").read_text())
        assert on_disk == truth
        assert truth["id"] == name and truth["seed"] == SEED and truth["size"] == list(SIZE)
        assert truth["shape"] in refs.SHAPES
        assert truth["rim"]["mode"] in refs.RIM_MODES
        assert len(truth["rim"]["lights"]) == {"none": 0, "both": 2}.get(truth["rim"]["mode"], 1)
        image = _pixels(out / f"{name}.png")
        assert image.shape[:2] == (SIZE[1], SIZE[0]) and image[..., :3].max() > 0.05


def test_mask_bbox_matches_truth(corpus: dict[str, Any]) -> None:
    for i, truth in enumerate(corpus["truths"]):
        mask = _pixels(corpus["out"] / f"{i:03d}.mask.png")[..., 0]
        assert set(np.unique(np.round(mask * 255))) <= {0.0, 255.0}
        on = mask > 0.5
        assert on.sum() > 20
        rows, cols = np.flatnonzero(on.any(axis=1)), np.flatnonzero(on.any(axis=0))
        assert truth["subject_bbox_px"] == [cols[0], rows[0], cols[-1] + 1, rows[-1] + 1]
        x0, y0, x1, y1 = truth["subject_bbox_px"]
        cx, cy = truth["subject_center_px"]
        assert x0 <= cx <= x1 and y0 <= cy <= y1
        assert truth["subject_height_frac"] == pytest.approx((y1 - y0) / SIZE[1])


def test_cycles_fallback_mask_agrees_with_workbench(corpus: dict[str, Any],
                                                   tmp_path: Path) -> None:
    import bpy

    truth = corpus["truths"][0]
    scene, subject, *_ = refs._build(bpy, refs.draw_params(SEED, 0), SIZE, SAMPLES)
    mask = refs._render_mask(bpy, scene, subject, tmp_path / "m.png", engine="CYCLES")
    np.testing.assert_allclose(refs._bbox(mask), truth["subject_bbox_px"], atol=1)


def test_truth_is_self_consistent(corpus: dict[str, Any]) -> None:
    truth = corpus["truths"][-1]
    cam = np.array(truth["camera_matrix_world"])
    np.testing.assert_allclose(cam, corpus["blender_camera"], atol=1e-5)
    np.testing.assert_allclose(truth["subject_center_px"], corpus["blender_center_px"], atol=1e-3)
    assert truth["camera_pitch_deg"] == pytest.approx(
        math.degrees(math.atan2(-cam[2, 2], math.hypot(cam[0, 2], cam[1, 2]))))
    for light in (truth["key"], truth["fill"], *truth["rim"]["lights"]):
        d = np.array(light["dir_world"])
        assert np.linalg.norm(d) == pytest.approx(1.0)
        np.testing.assert_allclose(light["dir_camera"], cam[:3, :3].T @ d, atol=1e-9)
        assert light["illuminance"] == pytest.approx(light["power_W"] * refs.irradiance_per_watt(
            light["type"], light["size_m"], light["distance_m"]))
    assert truth["key_fill_ratio"] == pytest.approx(
        truth["key"]["illuminance"] / truth["fill"]["illuminance"])
    haze = truth["haze"]
    assert haze["transmittance_to_subject"] == pytest.approx(
        math.exp(-haze["density_per_m"] * truth["camera_distance_m"]))


def test_same_seed_and_index_give_the_same_truth(corpus: dict[str, Any], tmp_path: Path) -> None:
    again = refs.generate(tmp_path, 1, seed=SEED, size=SIZE, samples=SAMPLES, start=1)
    assert (tmp_path / "001.json").read_text() == (corpus["out"] / "001.json").read_text()
    assert again[0] == corpus["truths"][1]
    assert refs.draw_params(SEED, 1) == refs.draw_params(SEED, 1)
    assert refs.draw_params(SEED, 1) != refs.draw_params(SEED + 1, 1)


def _side_brightness(out: Path, azimuth: float) -> tuple[float, float, dict[str, Any]]:
    """Mean linear subject luminance left and right of the projected centre."""
    overrides = {**SIDE_KEY, "key": {**SIDE_KEY["key"], "azimuth_deg": azimuth}}
    truth = refs.render_still(out, 0, SEED, SIZE, SAMPLES, overrides=overrides)
    rgb = _linear(_pixels(out / "000.png")[..., :3])
    lum = rgb @ np.array([0.2126, 0.7152, 0.0722])
    mask = _pixels(out / "000.mask.png")[..., 0] > 0.5
    cols = np.arange(SIZE[0])[None, :] + 0.5
    cx = truth["subject_center_px"][0]
    left, right = mask & (cols < cx - 2), mask & (cols > cx + 2)
    return float(lum[left].mean()), float(lum[right].mean()), truth


@pytest.mark.parametrize("azimuth", [90.0, -90.0])
def test_side_key_lights_its_own_image_side(tmp_path: Path, azimuth: float) -> None:
    left, right, truth = _side_brightness(tmp_path, azimuth)
    lit, dark = (right, left) if azimuth > 0 else (left, right)
    assert lit > 3.0 * dark, (left, right)
    assert math.copysign(1.0, truth["key"]["dir_camera"][0]) == math.copysign(1.0, azimuth)
    assert abs(truth["key"]["dir_camera"][0]) > 0.95


def test_normals_of_a_centred_sphere_face_out_of_its_silhouette(tmp_path: Path) -> None:
    """Top, left and right edge pixels face up, left and right; the middle faces the camera;
    the normals cover the subject's mask and nothing else."""
    refs.render_still(tmp_path, 0, seed=SEED, size=SIZE, samples=SAMPLES, overrides=SIDE_KEY)
    mask = _pixels(tmp_path / "000.mask.png")[..., 0] > 0.5
    normals = refs.render_normals(tmp_path, 0, seed=SEED, size=SIZE, samples=4,
                                  overrides=SIDE_KEY)
    assert normals.shape == (SIZE[1], SIZE[0], 3)
    assert np.array_equal(np.load(tmp_path / "000.normals.npy"), normals)
    on = np.linalg.norm(normals, axis=-1) > 0.5
    assert (on & mask).sum() / (on | mask).sum() > 0.9
    assert np.allclose(np.linalg.norm(normals[on], axis=-1), 1.0, atol=1e-5)
    rows, cols = np.nonzero(on)
    mid_row = int(np.median(rows))
    top = normals[rows.min(), int(np.median(cols[rows == rows.min()]))]
    left = normals[mid_row, cols[rows == mid_row].min()]
    right = normals[mid_row, cols[rows == mid_row].max()]
    middle = normals[mid_row, int(np.median(cols[rows == mid_row]))]
    assert top[1] > 0.7 and left[0] < -0.7 and right[0] > 0.7, (top, left, right)
    assert middle[2] > 0.95, middle


def test_the_generator_command_writes_normals_on_request(tmp_path: Path) -> None:
    assert refs.main(["--out", str(tmp_path), "--n", "1", "--seed", str(SEED), "--size",
                      "64x36", "--samples", "4", "--normals"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["000.json", "000.mask.png", "000.normals.npy", "000.png"]
    assert np.load(tmp_path / "000.normals.npy").shape == (36, 64, 3)


@pytest.mark.parametrize("kind,size_m", [("area_square", 0.6), ("area_disk", 1.5),
                                         ("point", 0.1), ("spot", 0.1)])
def test_light_meter_matches_the_illuminance_formula(kind: str, size_m: float) -> None:
    reading = refs.light_meter(kind, size_m, distance_m=2.5, power_W=150.0, samples=128)
    assert reading["ratio"] == pytest.approx(1.0, abs=0.02), reading


def test_draw_frequencies() -> None:
    draws = [refs.draw_params(0, i) for i in range(400)]
    share = {
        "floor": np.mean([d["floor"] for d in draws]),
        "wall": np.mean([d["wall"] for d in draws]),
        "haze": np.mean([d["haze_density_per_m"] > 0 for d in draws]),
        "rim": np.mean([d["rim"]["mode"] != "none" for d in draws]),
        "area": np.mean([d["key"]["type"].startswith("area") for d in draws]),
    }
    expected = {"floor": 0.8, "wall": 0.6, "haze": 0.2, "rim": 0.4, "area": 0.85}
    for name, value in expected.items():
        assert share[name] == pytest.approx(value, abs=0.07), (name, share[name])
    assert {d["shape"] for d in draws} == set(refs.SHAPES)
    ratios = [d["fill"]["ratio"] for d in draws]
    assert min(ratios) >= 1.5 and max(ratios) <= 16.0
    with pytest.raises(KeyError):
        refs.render_still("/nonexistent", 0, overrides={"no_such_parameter": 1})


def test_a_free_fill_is_drawn_apart_from_the_key_and_the_convention() -> None:
    """``fill="free"`` moves only the fill: the same still otherwise (the two sets pair up),
    its place independent of the key and spread over the front, not near ``-0.6 x key``."""
    from moks_graph.nodes.inverse.render import fill_azimuth

    offsets, azimuths = [], []
    for i in range(300):
        base, moved = refs.draw_params(5, i), refs._merge(refs.draw_params(5, i),
                                                          refs.free_fill(5, i))
        assert {k: v for k, v in moved.items() if k != "fill"} == \
            {k: v for k, v in base.items() if k != "fill"}
        assert {k: v for k, v in moved["fill"].items()
                if k not in ("azimuth_deg", "elevation_deg")} == \
            {k: v for k, v in base["fill"].items() if k not in ("azimuth_deg", "elevation_deg")}
        assert -135.0 <= moved["fill"]["azimuth_deg"] <= 135.0
        assert -10.0 <= moved["fill"]["elevation_deg"] <= 45.0
        azimuths.append(moved["fill"]["azimuth_deg"])
        offsets.append(abs(moved["fill"]["azimuth_deg"]
                           - fill_azimuth(base["key"]["azimuth_deg"])))
    assert refs.free_fill(5, 7) == refs.free_fill(5, 7) != refs.free_fill(6, 7)
    assert np.mean(np.array(offsets) > 30.0) > 0.6  # the convention's stills: none
    assert abs(np.corrcoef(azimuths, [refs.draw_params(5, i)["key"]["azimuth_deg"]
                                      for i in range(300)])[0, 1]) < 0.15


def test_the_generator_renders_a_free_fill_where_it_was_drawn(tmp_path: Path) -> None:
    assert refs.main(["--out", str(tmp_path), "--n", "1", "--seed", str(SEED), "--size",
                      "64x36", "--samples", "4", "--fill", "free"]) == 0
    truth = json.loads((tmp_path / "000.json").read_text())
    drawn = refs.free_fill(SEED, 0)["fill"]
    assert truth["fill"]["azimuth_deg"] == pytest.approx(drawn["azimuth_deg"])
    assert truth["fill"]["elevation_deg"] == pytest.approx(drawn["elevation_deg"])
    twin = refs.generate(tmp_path / "c", 1, seed=SEED, size=(64, 36), samples=4)[0]
    # the same scene but for the fill, and the floor and wall, which follow the lights
    room = ("fill", "floor_z", "wall_distance_m")
    assert {k: v for k, v in truth.items() if k not in room} == \
        {k: v for k, v in twin.items() if k not in room}
    assert truth["fill"] != twin["fill"]
    with pytest.raises(ValueError, match="fill must be one of"):
        refs.generate(tmp_path, 1, seed=SEED, fill="anywhere")


def test_a_free_rim_moves_only_the_rims_directions_and_spreads_them_wider() -> None:
    """``rim="free"`` moves the rims' azimuths and elevations (past the matcher's lobes at
    +-150/25 and 180/60 deg); their sizes, gains, mode and colour and every other draw stay
    the convention still's, and a still without a rim is the same scene."""
    side_az, side_el, top_el = [], [], []
    for i in range(300):
        base = refs.draw_params(5, i)
        moved = refs._merge(base, refs.variant_overrides(5, i, rim="free") or {})
        assert {k: v for k, v in moved.items() if k != "rim"} == \
            {k: v for k, v in base.items() if k != "rim"}
        for a, b in zip(moved["rim"]["sides"], base["rim"]["sides"], strict=True):
            angles = ("azimuth_deg", "elevation_deg")
            assert {k: v for k, v in a.items() if k not in angles} == \
                {k: v for k, v in b.items() if k not in angles}
            assert 100.0 <= a["azimuth_deg"] <= 178.0 and 0.0 <= a["elevation_deg"] <= 60.0
            side_az.append(a["azimuth_deg"])
            side_el.append(a["elevation_deg"])
        assert moved["rim"]["mode"] == base["rim"]["mode"]
        assert moved["rim"]["cct_K"] == base["rim"]["cct_K"]
        assert 135.0 <= moved["rim"]["top_azimuth_deg"] <= 225.0
        top_el.append(moved["rim"]["top_elevation_deg"])
        lights = [refs._light_specs(p, _LAYOUT) for p in (base, moved)]
        if base["rim"]["mode"] == "none":
            assert _same_lights(*lights)
        else:
            assert not _same_lights(*lights)
    outside = (np.abs(np.array(side_az) - 152.5) > 17.5) | (np.abs(np.array(side_el) - 30) > 15)
    assert np.mean(outside) > 0.5  # the convention's rims: none
    assert min(top_el) < 45.0 and max(top_el) > 75.0
    assert refs.free_rim(5, 7) == refs.free_rim(5, 7) != refs.free_rim(6, 7)
    both = refs.variant_overrides(5, 7, fill="free", rim="free")
    assert both == dict(refs.free_fill(5, 7), **refs.free_rim(5, 7))
    assert refs.variant_overrides(5, 7) is None
    with pytest.raises(ValueError, match="rim must be one of"):
        refs.variant_overrides(5, 7, rim="behind")


_CAMERA = np.eye(4)
_CAMERA[:3, 3] = (0.0, -4.0, 1.0)
_LAYOUT = {"camera": _CAMERA, "centre": np.zeros(3)}  # what _light_specs reads


def _same_lights(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    return len(a) == len(b) and all(
        np.allclose(x["position"], y["position"]) and x["illuminance"] == y["illuminance"]
        for x, y in zip(a, b, strict=True))


def test_the_generator_renders_a_free_rim_where_it_was_drawn(tmp_path: Path) -> None:
    """Still 1 of seed 3 has a top rim: rendered with ``--rim free`` it comes from the drawn
    direction, and the scene is the convention's but for the rim and the room."""
    assert refs.draw_params(SEED, 1)["rim"]["mode"] == "top"
    assert refs.main(["--out", str(tmp_path), "--n", "1", "--start", "1", "--seed", str(SEED),
                      "--size", "64x36", "--samples", "4", "--rim", "free"]) == 0
    truth = json.loads((tmp_path / "001.json").read_text())
    drawn = refs.free_rim(SEED, 1)["rim"]
    (rim,) = truth["rim"]["lights"]
    assert rim["azimuth_deg"] == pytest.approx(drawn["top_azimuth_deg"])
    assert rim["elevation_deg"] == pytest.approx(drawn["top_elevation_deg"])
    twin = refs.generate(tmp_path / "c", 1, seed=SEED, size=(64, 36), samples=4, start=1)[0]
    room = ("rim", "floor_z", "wall_distance_m")
    assert {k: v for k, v in truth.items() if k not in room} == \
        {k: v for k, v in twin.items() if k not in room}
    assert truth["rim"]["mode"] == twin["rim"]["mode"] == "top"
    assert truth["rim"]["lights"] != twin["rim"]["lights"]


def test_a_textured_room_only_textures_the_floor_and_wall() -> None:
    """``room="textured"`` adds a texture to each plane, two colours around its drawn grey;
    every other draw is the plain still's, and the kinds and scales spread."""
    kinds, scales = set(), []
    for i in range(200):
        base = refs.draw_params(5, i)
        moved = refs._merge(base, refs.variant_overrides(5, i, room="textured") or {})
        assert base["floor_texture"] is None and base["wall_texture"] is None
        assert {k: v for k, v in moved.items() if not k.endswith("_texture")} == \
            {k: v for k, v in base.items() if not k.endswith("_texture")}
        for plane in ("floor", "wall"):
            tex = moved[f"{plane}_texture"]
            low, high = (np.array(c) for c in tex["colours"])
            assert np.all(low >= 0.01) and np.all(high <= 0.9)
            assert np.all(low <= high) and low.mean() < base[f"{plane}_albedo"]
            kinds.add(tex["kind"])
            scales.append(tex["scale_per_m"])
    assert kinds == set(refs.TEXTURES)
    assert min(scales) < 3.0 and max(scales) > 15.0
    assert refs.textured_room(5, 7) == refs.textured_room(5, 7) != refs.textured_room(6, 7)
    with pytest.raises(ValueError, match="room must be one of"):
        refs.variant_overrides(5, 7, room="marble")


def test_the_generator_renders_a_textured_room_around_the_same_subject(tmp_path: Path) -> None:
    """Still 1 of seed 3 (a floor and a wall) with ``--room textured``: the same subject,
    matte and truth but for the textures, and a background that varies where the plain
    one is smooth."""
    import imageio.v3 as iio

    p = refs.draw_params(SEED, 1)
    assert p["floor"] and p["wall"]
    assert refs.main(["--out", str(tmp_path), "--n", "1", "--start", "1", "--seed", str(SEED),
                      "--size", "96x54", "--samples", "8", "--room", "textured"]) == 0
    truth = json.loads((tmp_path / "001.json").read_text())
    twin = refs.generate(tmp_path / "c", 1, seed=SEED, size=(96, 54), samples=8, start=1)[0]
    drawn = refs.textured_room(SEED, 1)
    assert truth["floor_texture"] == drawn["floor_texture"]
    assert truth["wall_texture"] == drawn["wall_texture"]
    assert twin["floor_texture"] is None and twin["wall_texture"] is None
    assert {k: v for k, v in truth.items() if not k.endswith("_texture")} == \
        {k: v for k, v in twin.items() if not k.endswith("_texture")}
    mask = iio.imread(tmp_path / "001.mask.png")
    assert np.array_equal(mask, iio.imread(tmp_path / "c" / "001.mask.png"))
    background = (mask if mask.ndim == 2 else mask[..., 0]) < 128

    def roughness(path: Path) -> float:
        grey = iio.imread(path)[..., :3].astype(float).mean(axis=-1)
        step = np.abs(np.diff(grey, axis=1))[background[:, 1:] & background[:, :-1]]
        return float(np.mean(step))

    assert roughness(tmp_path / "001.png") > 1.5 * roughness(tmp_path / "c" / "001.png")
