"""as_linear_rgb: accepted dtypes and shapes, sRGB decoding, and clear rejections."""

from __future__ import annotations

import numpy as np
import pytest

from moks_graph.nodes.imaging.image_input import as_linear_rgb


def test_float_rgb_passes_through_as_float32() -> None:
    img = np.linspace(0.0, 4.0, 10 * 12 * 3).reshape(10, 12, 3)
    out = as_linear_rgb(img)
    assert out.dtype == np.float32
    assert out.flags.c_contiguous
    np.testing.assert_allclose(out, img, rtol=1e-6)
    assert out.max() == pytest.approx(4.0)  # scene-referred values above 1 are kept


def test_uint8_is_srgb_decoded() -> None:
    img = np.zeros((8, 8, 3), np.uint8)
    img[0, 0] = 255
    img[0, 1] = 128
    img[0, 2] = 10  # on the linear toe of the sRGB curve
    out = as_linear_rgb(img)
    assert out[0, 0, 0] == pytest.approx(1.0)
    assert out[0, 1, 0] == pytest.approx(((128 / 255 + 0.055) / 1.055) ** 2.4, rel=1e-6)
    assert out[0, 1, 0] == pytest.approx(0.2158605, rel=1e-5)
    assert out[0, 2, 0] == pytest.approx(10 / 255 / 12.92, rel=1e-6)
    assert out[1, 1, 1] == 0.0


def test_uint16_is_srgb_decoded() -> None:
    img = np.full((9, 9), 65535, np.uint16)
    img[0, 0] = 32768
    out = as_linear_rgb(img)
    assert out.shape == (9, 9, 3)
    assert out[1, 1, 2] == pytest.approx(1.0)
    assert out[0, 0, 1] == pytest.approx(((32768 / 65535 + 0.055) / 1.055) ** 2.4, rel=1e-6)


def test_grey_and_single_channel_are_replicated() -> None:
    grey = np.arange(80, dtype=np.float64).reshape(8, 10) / 80.0
    for img in (grey, grey[:, :, None]):
        out = as_linear_rgb(img)
        assert out.shape == (8, 10, 3)
        np.testing.assert_allclose(out[:, :, 0], grey, rtol=1e-6)
        np.testing.assert_array_equal(out[:, :, 0], out[:, :, 2])


def test_rgba_drops_alpha_and_lists_are_accepted() -> None:
    img = np.zeros((8, 8, 4), np.float32)
    img[..., :3] = 0.25
    img[..., 3] = 0.5
    out = as_linear_rgb(img)
    assert out.shape == (8, 8, 3)
    assert np.all(out == 0.25)
    assert as_linear_rgb(np.full((8, 8), 0.5).tolist()).shape == (8, 8, 3)


def test_negative_floats_are_clamped_to_zero() -> None:
    img = np.full((8, 8, 3), -0.1)
    assert np.all(as_linear_rgb(img) == 0.0)


@pytest.mark.parametrize(
    ("img", "error", "match"),
    [
        (np.full((8, 8, 3), np.nan), ValueError, "NaN"),
        (np.full((8, 8, 3), np.inf), ValueError, "infinite"),
        (np.zeros((7, 8, 3)), ValueError, "too small"),
        (np.zeros((0, 8, 3)), ValueError, "empty"),
        (np.zeros(64), ValueError, "dims"),
        (np.zeros((8, 8, 3, 1)), ValueError, "dims"),
        (np.zeros((8, 8, 2)), ValueError, "channels"),
        (np.zeros((8, 8, 3), np.int32), TypeError, "dtype"),
        (np.zeros((8, 8, 3), bool), TypeError, "dtype"),
        (np.full((8, 8), "a"), TypeError, "dtype"),
        ("not an image", TypeError, "numpy array"),
        (np.full((8, 8, 3), 1e39), ValueError, "float32"),
    ],
)
def test_rejections_name_the_problem(img: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        as_linear_rgb(img)


def test_error_messages_use_the_argument_name() -> None:
    with pytest.raises(ValueError, match="reference:"):
        as_linear_rgb(np.zeros((4, 4, 3)), name="reference")


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_decode_table_gives_each_codes_own_decoding(dtype: type) -> None:
    from moks_graph.nodes.imaging.colorimetry import srgb_decode

    top = np.iinfo(dtype).max
    codes = np.arange(0, top + 1, 1 if top == 255 else 7, dtype=dtype)
    img = np.resize(codes, (8, len(codes) // 8))
    expected = srgb_decode(img.astype(np.float64) / float(top)).astype(np.float32)
    np.testing.assert_array_equal(as_linear_rgb(img)[..., 0], expected)  # bit for bit
