"""The subject from a matte or the reference's own alpha (``moks match --matte``)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from click.testing import CliRunner

from moks_graph.hosts.farm.match import task_key
from moks_graph.hosts.inverse.cli import match as match_cli
from moks_graph.hosts.inverse.match import coverage, load_matte, match, reference_alpha
from moks_graph.nodes.imaging.colorimetry import srgb_encode
from moks_graph.nodes.inverse.lightfit import direction
from moks_graph.nodes.inverse.silhouette import working_size
from moks_graph.nodes.inverse.subject import matte_mask

FAST = {"max_iterations": 0, "rounds": 0}
KEY = direction(55.0, 30.0)


def _scene(h: int = 270, w: int = 480) -> tuple[np.ndarray, np.ndarray]:
    """A Lambertian sphere (key + ambient) on a grey of its own tone, beside a pool of
    light brighter than anything on it: linear RGB and the sphere's coverage."""
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    cx, cy, r = 0.62 * w, 0.55 * h, 0.22 * h
    nx, ny = (xx - cx) / r, -(yy - cy) / r
    inside = nx**2 + ny**2 < 1.0
    nz = np.sqrt(np.clip(1.0 - nx**2 - ny**2, 0.0, 1.0))
    shade = np.clip(np.stack([nx, ny, nz], -1) @ KEY, 0.0, None)
    img = np.full((h, w, 3), 0.18)
    img += 0.6 * np.exp(-(((xx - 0.2 * w) / (0.08 * w)) ** 2 + ((yy - 0.3 * h) / (0.1 * h)) ** 2)
                        )[..., None]
    img[inside] = (0.5 * shade[inside] + 0.05)[:, None]
    return img, inside.astype(np.float64)


def _png(path: Path, rgb: np.ndarray, alpha: np.ndarray | None = None) -> Path:
    code = (srgb_encode(np.clip(rgb, 0, 1)) * 255 + 0.5).astype(np.uint8)
    if alpha is not None:
        code = np.dstack([code, (alpha * 255 + 0.5).astype(np.uint8)])
    iio.imwrite(path, code)
    return path


def _angle(result) -> float:
    fit = direction(result.key_azimuth_deg, result.key_elevation_deg)
    return math.degrees(math.acos(float(np.clip(fit @ KEY, -1.0, 1.0))))


def test_a_matte_is_area_averaged_to_the_working_grid_and_checked():
    _, cover = _scene()
    w, h = working_size(cover.shape)
    mask = matte_mask(cover, (h, w))
    assert mask.shape == (h, w)
    assert abs(mask.mean() - cover.mean()) < 0.01
    with pytest.raises(ValueError, match="aspect 480x480"):
        matte_mask(np.ones((480, 480)), (h, w))
    with pytest.raises(ValueError, match=r"covers 0.0 %"):
        matte_mask(np.zeros_like(cover), (h, w))
    with pytest.raises(ValueError, match=r"covers 100.0 %"):
        matte_mask(np.ones_like(cover), (h, w))


def test_coverage_reads_alpha_grey_and_bit_depths():
    rgba = np.zeros((4, 6, 4), np.uint8)
    rgba[..., :3] = 255
    rgba[1:3, 2:4, 3] = 255
    assert coverage(rgba).sum() == 4.0  # the alpha, not the white colour
    grey16 = np.full((4, 6), 65535, np.uint16)
    assert coverage(grey16).min() == 1.0
    assert coverage(np.full((4, 6, 3), 0.5, np.float32)).max() == pytest.approx(0.5)
    with pytest.raises(ValueError, match="coverage"):
        coverage(np.zeros((2, 2, 2, 2)))
    opaque = np.dstack([np.zeros((4, 6, 3), np.uint8), np.full((4, 6), 255, np.uint8)])
    assert reference_alpha(opaque) is None  # nothing cut out: find the subject instead
    assert reference_alpha(rgba) is not None


def test_a_matte_file_names_itself_in_errors(tmp_path: Path):
    bad = tmp_path / "roto.png"
    bad.write_bytes(b"\x89PNG not really")
    with pytest.raises(ValueError, match=r"roto\.png"):
        load_matte(bad)


def test_the_matte_and_the_alpha_give_the_subject(tmp_path: Path):
    rgb, cover = _scene()
    plain = _png(tmp_path / "plate.png", rgb)
    roto = _png(tmp_path / "roto.png", cover)
    with_matte = match(plain, matte=roto, **FAST).result
    assert with_matte.subject["from"] == "matte"
    assert with_matte.subject["centre_x"] == pytest.approx(0.12, abs=0.01)
    assert _angle(with_matte) < 4.0
    cut = _png(tmp_path / "render.png", rgb, alpha=cover)
    from_alpha = match(cut, **FAST).result
    assert from_alpha.subject["from"] == "alpha"
    assert _angle(from_alpha) < 4.0
    ignored = match(cut, use_alpha=False, **FAST).result
    assert ignored.subject["from"] != "alpha"
    with pytest.raises(ValueError, match="aspect"):
        match(plain, matte=np.ones((10, 10)), **FAST)


def test_cli_matte_option(tmp_path: Path):
    rgb, cover = _scene()
    plain = _png(tmp_path / "plate.png", rgb)
    roto = _png(tmp_path / "roto.png", cover)
    args = ["--out", str(tmp_path / "out"), "--no-progress", "--iterations", "0",
            "--rounds", "0", "--matte", str(roto)]
    ok = CliRunner().invoke(match_cli, [str(plain), *args])
    assert ok.exit_code == 0, ok.output
    data = json.loads((tmp_path / "out" / "plate" / "match.json").read_text())
    assert data["subject"]["from"] == "matte"
    two = CliRunner().invoke(match_cli, [str(plain), str(plain), *args])
    assert two.exit_code == 2 and "one image" in two.output


def test_the_cache_key_follows_the_mattes_pixels(tmp_path: Path):
    rgb, cover = _scene()
    plain = _png(tmp_path / "plate.png", rgb)
    roto = _png(tmp_path / "roto.png", cover)
    before = task_key(str(plain), match, {"matte": str(roto)})
    _png(roto, np.roll(cover, 5, axis=1))
    assert task_key(str(plain), match, {"matte": str(roto)}) != before


def test_a_colour_still_on_black_film_is_not_taken_for_black_and_white():
    from moks_graph.nodes.inverse.estimate import MONO_SATURATION, saturation

    rgb, cover = _scene()
    warm = rgb * np.array([1.0, 0.8, 0.55])
    cut = np.where(cover[..., None] > 0.5, warm, 0.0)  # a render on a transparent film
    assert saturation(cut) == pytest.approx(saturation(warm), rel=1e-6)
    assert saturation(cut) > MONO_SATURATION
    bars = warm.copy()
    bars[:60], bars[-60:] = 0.0, 0.0  # letterboxed
    assert saturation(bars) == pytest.approx(saturation(warm[60:-60]), rel=1e-6)
    assert saturation(np.zeros_like(rgb)) == 0.0
