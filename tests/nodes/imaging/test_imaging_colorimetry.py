"""Colorimetry: sRGB transfer, XYZ, CIE 1960 uv, CCT and Duv against published values."""

from __future__ import annotations

import numpy as np
import pytest

from moks_graph.nodes.imaging.colorimetry import (
    CCT_RANGE_K,
    cct_duv_from_rgb,
    cct_duv_from_uv,
    luminance,
    planckian_uv,
    rgb_from_cct_duv,
    rgb_to_xyz,
    srgb_decode,
    srgb_encode,
    xy_to_uv1960,
    xyz_to_rgb,
    xyz_to_uv1960,
)

# CIE 15:2018 chromaticities (x, y) and their published CCT (K) and Duv.
ILLUMINANTS = {
    "A": ((0.44757, 0.40745), 2856.0, 0.0),
    "D50": ((0.34567, 0.35850), 5003.0, 0.0033),
    "D65": ((0.31271, 0.32902), 6504.0, 0.0032),
    "F2": ((0.37208, 0.37529), 4230.0, 0.0020),
}


@pytest.mark.parametrize("name", sorted(ILLUMINANTS))
def test_cct_and_duv_of_standard_illuminants(name: str) -> None:
    xy, cct, duv = ILLUMINANTS[name]
    got_cct, got_duv = cct_duv_from_uv(xy_to_uv1960(np.array(xy)))
    assert float(got_cct) == pytest.approx(cct, abs=15.0)
    assert float(got_duv) == pytest.approx(duv, abs=3e-4)


def test_srgb_white_is_d65() -> None:
    xyz = rgb_to_xyz(np.array([1.0, 1.0, 1.0]))
    np.testing.assert_allclose(xyz, [0.95047, 1.0, 1.08883], atol=2e-5)
    cct, duv = cct_duv_from_rgb(np.array([0.18, 0.18, 0.18]))
    assert float(cct) == pytest.approx(6504.0, abs=15.0)
    assert float(duv) == pytest.approx(0.0032, abs=2e-4)


def test_illuminant_a_is_on_the_planckian_locus() -> None:
    np.testing.assert_allclose(planckian_uv(2856.0), xy_to_uv1960(np.array([0.44757, 0.40745])),
                               atol=1.5e-4)


@pytest.mark.parametrize("cct", [1500.0, 2700.0, 3200.0, 5600.0, 9000.0, 14000.0])
@pytest.mark.parametrize("duv", [-0.02, 0.0, 0.012])
def test_round_trip_through_rgb(cct: float, duv: float) -> None:
    rgb = rgb_from_cct_duv(cct, duv)
    assert float(luminance(rgb)) == pytest.approx(1.0)
    got_cct, got_duv = cct_duv_from_rgb(rgb)
    assert float(got_cct) == pytest.approx(cct, rel=2e-4)
    assert float(got_duv) == pytest.approx(duv, abs=2e-5)


def test_duv_sign_and_vectorisation() -> None:
    greenish = np.array([0.9, 1.0, 0.9])
    magenta = np.array([1.0, 0.9, 1.0])
    cct, duv = cct_duv_from_rgb(np.stack([greenish, magenta, greenish])[None])
    assert cct.shape == duv.shape == (1, 3)
    assert duv[0, 0] > 0.0032 + 0.005  # above the neutral D65 white
    assert duv[0, 1] < 0.0032 - 0.005 < 0.0  # below the locus
    assert duv[0, 0] == duv[0, 2]


def test_far_off_locus_colours_clip_to_the_range_ends() -> None:
    cct, duv = cct_duv_from_rgb(np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]))
    assert (cct[0], cct[1]) == (CCT_RANGE_K[1], CCT_RANGE_K[0])
    assert np.all(np.abs(duv) < 0.25)


def test_transfer_functions_invert() -> None:
    codes = np.linspace(0.0, 1.0, 1001)
    np.testing.assert_allclose(srgb_encode(srgb_decode(codes)), codes, atol=1e-12)
    assert float(srgb_decode(0.5)) == pytest.approx(0.2140411, rel=1e-6)
    np.testing.assert_allclose(xyz_to_rgb(rgb_to_xyz(np.eye(3))), np.eye(3), atol=1e-12)


def test_validation() -> None:
    with pytest.raises(ValueError, match="X \\+ 15Y"):
        xyz_to_uv1960(np.zeros(3))
    with pytest.raises(ValueError, match="uv"):
        cct_duv_from_uv(np.zeros(3))
    with pytest.raises(ValueError, match="uv"):
        cct_duv_from_uv(np.array([np.nan, 0.3]))
    with pytest.raises(ValueError, match="cct_K"):
        planckian_uv(-5.0)
    with pytest.raises(ValueError, match="cct_K must be within 1000-20000 K"):
        planckian_uv(20000.5)
    with pytest.raises(ValueError, match="duv"):
        rgb_from_cct_duv(5600.0, 0.06)
