"""HDR and high-bit-depth inputs (issue 14): EXR, Radiance .hdr, 16-bit PNG/TIFF, read at the
precision they are stored in, through the one image reader, the image/HDRI nodes and the CLI.

Every file is written by OpenImageIO itself, then read back by the project's reader.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

import moks_graph as mg
from moks_graph.cli import main
from moks_graph.evaluate import Evaluator
from moks_graph.nodes.environment.hdri import load_hdri
from moks_graph.nodes.environment.sh import preset_to_sh, project_hdri
from moks_graph.nodes.environment.skies import sun_sky
from moks_graph.nodes.imaging.colorimetry import srgb_decode
from moks_graph.nodes.imaging.io import load_image, read_array

oiio = pytest.importorskip("OpenImageIO")


def write(path, pixels: np.ndarray, fmt) -> None:
    """Write ``pixels`` (H x W x C) with OpenImageIO in the pixel format ``fmt``."""
    h, w, c = pixels.shape
    out = oiio.ImageOutput.create(str(path))
    assert out is not None, oiio.geterror()
    spec = oiio.ImageSpec(w, h, c, fmt)
    spec.attribute("oiio:UnassociatedAlpha", 1)  # write the colour as given
    assert out.open(str(path), spec), out.geterror()
    assert out.write_image(pixels), out.geterror()
    out.close()


def hdr_pixels(h: int = 16, w: int = 24, channels: int = 3, seed: int = 0) -> np.ndarray:
    """Scene-referred values far above 1 and far below, exactly representable in half."""
    rng = np.random.default_rng(seed)
    values = np.exp2(rng.uniform(-10.0, 12.0, (h, w, channels))).astype(np.float16)
    return values.astype(np.float32)


@pytest.mark.parametrize("fmt", ["half", "float"])
def test_exr_reads_the_float_values_written(tmp_path, fmt):
    pixels = hdr_pixels()
    path = tmp_path / "render.exr"
    write(path, pixels, fmt)
    raw = read_array(path)
    assert raw.dtype == np.float32 and raw.shape == pixels.shape
    np.testing.assert_array_equal(raw, pixels)  # half-exact values: bit for bit
    np.testing.assert_array_equal(load_image(path), pixels)  # linear already: unchanged
    assert float(load_image(path).max()) > 1000.0  # nothing clipped to display range


def test_exr_rgba_drops_alpha_and_keeps_colour(tmp_path):
    pixels = hdr_pixels(channels=4)
    pixels[..., 3] = 0.25
    path = tmp_path / "rgba.exr"
    write(path, pixels, "float")
    np.testing.assert_array_equal(load_image(path), pixels[..., :3])


def test_image_load_node_reads_exr(tmp_path):
    pixels = hdr_pixels()
    path = tmp_path / "plate.exr"
    write(path, pixels, "half")
    g = mg.Graph()
    g.add_node("moks.image.load", "still", {"path": str(path)})
    r = Evaluator().evaluate(g)
    assert r.problems == []
    np.testing.assert_array_equal(r["still.image"], pixels)


@pytest.mark.parametrize("suffix", [".exr", ".hdr"])
def test_hdri_loader_and_node_read_exr_and_hdr(tmp_path, suffix):
    sky = sun_sky(16, sun_irradiance=50.0).astype(np.float32)
    path = tmp_path / f"sky{suffix}"
    write(path, sky, "float")
    loaded = load_hdri(path)
    assert loaded.dtype == np.float32 and loaded.shape == sky.shape
    if suffix == ".exr":
        np.testing.assert_array_equal(loaded, sky)
    else:  # RGBE: 8-bit mantissa with a shared exponent
        np.testing.assert_allclose(loaded, sky, rtol=1.0 / 64, atol=1e-6)
    g = mg.Graph()
    g.add_node("moks.lighting.load_hdri", "sky", {"path": str(path)})
    r = Evaluator().evaluate(g)
    assert r.problems == []
    np.testing.assert_array_equal(r["sky.hdri"], loaded)


def test_moks_sh_reads_an_exr(tmp_path):
    sky = sun_sky(32, sun_irradiance=50.0).astype(np.float32)
    path = tmp_path / "sky.exr"
    write(path, sky, "float")
    r = CliRunner().invoke(main, ["sh", str(path), "--json"])
    assert r.exit_code == 0, r.output
    np.testing.assert_allclose(preset_to_sh(json.loads(r.output)), project_hdri(sky),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16_bit_files_keep_16_bits(tmp_path, suffix):
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 65536, (20, 30, 3), dtype=np.uint16)
    path = tmp_path / f"still16{suffix}"
    write(path, codes, "uint16")
    raw = read_array(path)
    assert raw.dtype == np.uint16
    np.testing.assert_array_equal(raw, codes)
    assert np.unique(raw).size > 256  # more levels than 8 bits hold
    expected = srgb_decode(codes.astype(np.float64) / 65535.0).astype(np.float32)
    np.testing.assert_allclose(load_image(path), expected, rtol=1e-6, atol=1e-9)


def test_16_bit_grey_alpha_png_reads_grey(tmp_path):
    codes = np.random.default_rng(2).integers(0, 65536, (12, 12, 2), dtype=np.uint16)
    path = tmp_path / "grey_alpha.png"
    write(path, codes, "uint16")
    raw = read_array(path)
    np.testing.assert_array_equal(raw[..., 0], codes[..., 0])
    image = load_image(path)
    assert image.shape == (12, 12, 3) and np.all(image[..., 0] == image[..., 2])


def test_float_tiff_is_linear(tmp_path):
    pixels = hdr_pixels(12, 12)
    path = tmp_path / "linear.tif"
    write(path, pixels, "float")
    np.testing.assert_array_equal(load_image(path), pixels)


def test_8_bit_png_rgba_is_not_premultiplied(tmp_path):
    codes = np.full((10, 10, 4), 200, np.uint8)
    codes[..., 3] = 10  # nearly transparent: premultiplying would darken the colour 20x
    path = tmp_path / "rgba.png"
    write(path, codes, "uint8")
    np.testing.assert_array_equal(read_array(path)[..., :3], codes[..., :3])


def test_unreadable_exr_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.exr"
    bad.write_bytes(b"v/1\x01" + b"\0" * 64)
    with pytest.raises(ValueError, match=r"cannot read .*broken\.exr"):
        load_image(bad)
    r = CliRunner().invoke(main, ["sh", str(bad)])
    assert r.exit_code == 1 and "broken.exr" in r.output
    assert not isinstance(r.exception, ValueError)  # reported, not raised


def test_truncated_jpeg_is_a_clear_error_not_a_partial_image(tmp_path):
    whole = tmp_path / "whole.jpg"
    rng = np.random.default_rng(3)
    write(whole, rng.integers(0, 256, (96, 128, 3)).astype(np.uint8), "uint8")
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert read_array(whole).shape == (96, 128, 3)
    with pytest.raises(ValueError, match=r"cannot read .*cut\.jpg.*(Premature|JPEG)"):
        read_array(cut)


def test_a_format_openimageio_lacks_is_read_by_pillow(tmp_path):
    from PIL import Image

    frames = [np.full((12, 16, 3), v, np.uint8) for v in (40, 200)]
    path = tmp_path / "clip.gif"
    Image.fromarray(frames[0]).save(path, save_all=True,
                                    append_images=[Image.fromarray(frames[1])])
    assert oiio.ImageInput.open(str(path)) is None  # no GIF reader in this OpenImageIO
    data = read_array(path)
    assert data.shape[:2] == (12, 16) and int(np.median(data)) == 40  # the first frame
