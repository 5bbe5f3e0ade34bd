"""Matte files the matcher reads (issue 13): grey+alpha, 16-bit RGBA and float EXR mattes,
and one clear message naming the matte when it cannot be used (``moks match --matte``)."""

from __future__ import annotations

import json
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from click.testing import CliRunner

from moks_graph.hosts.inverse.cli import match as match_cli
from moks_graph.hosts.inverse.match import (
    check_matte,
    load_matte,
    match,
    read_stored,
    reference_alpha,
)
from moks_graph.nodes.imaging.colorimetry import srgb_encode

FAST = {"max_iterations": 0, "rounds": 0}


def _scene(h: int = 270, w: int = 480) -> tuple[np.ndarray, np.ndarray]:
    """A lit sphere (key from upper right) on a grey: linear RGB and its coverage."""
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    cx, cy, r = 0.62 * w, 0.55 * h, 0.22 * h
    nx, ny = (xx - cx) / r, -(yy - cy) / r
    inside = nx**2 + ny**2 < 1.0
    nz = np.sqrt(np.clip(1.0 - nx**2 - ny**2, 0.0, 1.0))
    key = np.array([0.47, 0.5, 0.73])
    shade = np.clip(np.stack([nx, ny, nz], -1) @ (key / np.linalg.norm(key)), 0.0, None)
    img = np.full((h, w, 3), 0.18)
    img[inside] = (0.5 * shade[inside] + 0.05)[:, None]
    return img, inside.astype(np.float64)


def _png(path: Path, rgb: np.ndarray, alpha: np.ndarray | None = None) -> Path:
    code = (srgb_encode(np.clip(rgb, 0, 1)) * 255 + 0.5).astype(np.uint8)
    if alpha is not None:
        code = np.dstack([code, (alpha * 255 + 0.5).astype(np.uint8)])
    iio.imwrite(path, code)
    return path


def _oiio_write(path: Path, arr: np.ndarray, fmt: str) -> Path:
    oiio = pytest.importorskip("OpenImageIO")
    arr = np.ascontiguousarray(arr if arr.ndim == 3 else arr[..., None])
    spec = oiio.ImageSpec(arr.shape[1], arr.shape[0], arr.shape[2], getattr(oiio, fmt))
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), spec) and out.write_image(arr)
    out.close()
    return path


def _grey_alpha(path: Path, grey: np.ndarray, alpha: np.ndarray) -> Path:
    iio.imwrite(path, np.dstack([(grey * 255 + 0.5).astype(np.uint8),
                                 (alpha * 255 + 0.5).astype(np.uint8)]))
    return path


def test_a_grey_alpha_matte_is_read_from_its_alpha(tmp_path: Path):
    _, cover = _scene()
    # white everywhere, the subject only in the alpha: the grey alone would cover 100 %
    roto = _grey_alpha(tmp_path / "roto_la.png", np.ones_like(cover), cover)
    assert read_stored(roto).shape == (*cover.shape, 2)
    assert np.abs(load_matte(roto) - cover).max() < 1e-6
    # a grey+alpha render is its own matte too
    assert reference_alpha(roto) is not None
    # a plain grey matte is still its grey level
    grey = _png(tmp_path / "grey.png", cover)
    assert read_stored(grey).shape[-1] == 1
    assert abs(load_matte(grey).mean() - cover.mean()) < 1e-3


def test_a_grey_alpha_render_gives_the_subject_from_its_alpha(tmp_path: Path):
    rgb, cover = _scene()
    render = _grey_alpha(tmp_path / "render_la.png", srgb_encode(np.clip(rgb[..., 0], 0, 1)),
                         cover)
    result = match(render, **FAST).result
    assert result.subject["from"] == "alpha"
    assert result.subject["centre_x"] == pytest.approx(0.12, abs=0.01)


def test_16_bit_rgba_and_float_exr_mattes(tmp_path: Path):
    _, cover = _scene()
    rgba16 = np.dstack([np.full((*cover.shape, 3), 65535, np.uint16),
                        np.round(cover * 65535).astype(np.uint16)])
    png16 = _oiio_write(tmp_path / "roto16.png", rgba16, "UINT16")
    assert read_stored(png16).dtype == np.uint16
    assert np.abs(load_matte(png16) - cover).max() < 1e-6
    exr = _oiio_write(tmp_path / "roto.exr", cover.astype(np.float32), "FLOAT")
    assert np.abs(load_matte(exr) - cover).max() < 1e-6
    over = _oiio_write(tmp_path / "over.exr", (4.0 * cover - 1.0).astype(np.float32), "FLOAT")
    assert load_matte(over).min() == 0.0 and load_matte(over).max() == 1.0  # clipped
    exr_rgba = np.dstack([np.zeros((*cover.shape, 3)), cover]).astype(np.float32)
    assert np.abs(load_matte(_oiio_write(tmp_path / "rgba.exr", exr_rgba, "FLOAT"))
                  - cover).max() < 1e-6
    nan = cover.astype(np.float32)
    nan[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"nan\.exr: 1 pixels are not finite"):
        load_matte(_oiio_write(tmp_path / "nan.exr", nan, "FLOAT"))


def test_matte_errors_name_the_file_once(tmp_path: Path):
    _, cover = _scene()
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG not really")
    with pytest.raises(ValueError) as info:
        load_matte(junk)
    assert str(info.value).startswith(f"matte {junk}: ") and str(info.value).count("junk") == 1
    with pytest.raises(ValueError, match=r"matte .*missing\.png: no such file"):
        load_matte(tmp_path / "missing.png")
    square = _png(tmp_path / "square.png", np.ones((90, 90)))
    with pytest.raises(ValueError, match=r"square\.png: its aspect 90x90"):
        check_matte(square, cover.shape)
    empty = _png(tmp_path / "empty.png", np.zeros_like(cover))
    with pytest.raises(ValueError, match=r"empty\.png: covers 0\.0 %"):
        check_matte(empty, cover.shape)
    rgb, _ = _scene()
    plain = _png(tmp_path / "plate.png", rgb)
    with pytest.raises(ValueError, match=r"empty\.png: covers 0\.0 %"):
        match(plain, matte=empty, **FAST)  # the Python API names the file too


@pytest.mark.parametrize("kind", ["aspect", "empty", "unreadable"])
def test_cli_refuses_a_bad_matte_with_one_message_and_writes_nothing(tmp_path: Path,
                                                                     kind: str):
    rgb, cover = _scene()
    plain = _png(tmp_path / "plate.png", rgb)
    roto = tmp_path / f"{kind}.png"
    if kind == "aspect":
        _png(roto, np.ones((90, 90)))
    elif kind == "empty":
        _png(roto, np.zeros_like(cover))
    else:
        roto.write_bytes(b"\x89PNG not really")
    out = tmp_path / "out"
    run = CliRunner().invoke(match_cli, [str(plain), "--out", str(out), "--no-progress",
                                         "--iterations", "0", "--rounds", "0",
                                         "--matte", str(roto)])
    assert run.exit_code == 2, run.output
    errors = [line for line in run.output.splitlines() if "Error" in line]
    assert len(errors) == 1 and str(roto) in run.output, run.output
    assert "Traceback" not in run.output
    assert not out.exists()


def test_cli_grey_alpha_matte(tmp_path: Path):
    rgb, cover = _scene()
    plain = _png(tmp_path / "plate.png", rgb)
    roto = _grey_alpha(tmp_path / "roto_la.png", np.ones_like(cover), cover)
    out = tmp_path / "out"
    run = CliRunner().invoke(match_cli, [str(plain), "--out", str(out), "--no-progress",
                                         "--iterations", "0", "--rounds", "0",
                                         "--matte", str(roto)])
    assert run.exit_code == 0, run.output
    data = json.loads((out / "plate" / "match.json").read_text())
    assert data["subject"]["from"] == "matte"
    assert data["subject"]["centre_x"] == pytest.approx(0.12, abs=0.01)


def test_an_alpha_that_cuts_out_no_subject_is_noted_not_fatal(tmp_path: Path):
    rgb, _ = _scene()
    alpha = np.ones(rgb.shape[:2])
    alpha[:2, :2] = 0.0  # a few transparent pixels, not a cutout
    cut = _png(tmp_path / "corner.png", rgb, alpha=alpha)
    assert reference_alpha(cut) is not None
    result = match(cut, **FAST).result
    assert result.status != "failed"
    assert result.subject["from"] != "alpha"
    assert "the image's alpha" in result.subject["note"]
