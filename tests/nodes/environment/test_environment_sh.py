"""L=2 spherical-harmonic lighting: basis, projection, irradiance, skies, presets, HDRI I/O."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from moks_graph.nodes.environment import hdri, sh, skies
from moks_graph.rng import generator

FOUR_PI = 4.0 * math.pi


def fibonacci_sphere(n: int) -> np.ndarray:
    """Near-uniform unit directions (golden-angle spiral)."""
    i = np.arange(n) + 0.5
    z = 1.0 - 2.0 * i / n
    r = np.sqrt(1.0 - z * z)
    phi = math.pi * (1.0 + math.sqrt(5.0)) * i
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=-1)


NORMALS = fibonacci_sphere(300)


# ----------------------------------------------------------------- mapping and weights


def test_solid_angles_sum_to_four_pi_exactly() -> None:
    for h in (2, 7, 64, 513):
        w = hdri.equirect_row_solid_angles(h)
        assert w.shape == (h,)
        assert 2 * h * w.sum() == pytest.approx(FOUR_PI, rel=1e-13)
    # Per-pixel weight approaches sin(theta) dtheta dphi.
    h = 256
    theta, _ = hdri.equirect_angles(h)
    approx = np.sin(theta) * (math.pi / h) * (2 * math.pi / (2 * h))
    np.testing.assert_allclose(hdri.equirect_row_solid_angles(h), approx, rtol=2e-5)


def test_direction_mapping_is_z_up_with_centre_on_plus_x() -> None:
    h = 8
    d = hdri.equirect_directions(h)
    assert d.shape == (h, 2 * h, 3)
    np.testing.assert_allclose(np.linalg.norm(d, axis=-1), 1.0)
    assert d[0, :, 2].min() > 0.98  # top row looks up
    assert d[-1, :, 2].max() < -0.98  # bottom row looks down
    # Halfway between the two middle rows/columns: centre = +X, quarter = +Y, 3/4 = -Y.
    mid = 0.5 * (d[h // 2 - 1] + d[h // 2])
    centre = mid[h - 1] + mid[h]
    np.testing.assert_allclose(centre / np.linalg.norm(centre), [1, 0, 0], atol=1e-12)
    quarter = mid[h // 2 - 1] + mid[h // 2]
    np.testing.assert_allclose(quarter / np.linalg.norm(quarter), [0, 1, 0], atol=1e-12)
    three_q = mid[3 * h // 2 - 1] + mid[3 * h // 2]
    np.testing.assert_allclose(three_q / np.linalg.norm(three_q), [0, -1, 0], atol=1e-12)


def test_inverse_mapping_round_trips_pixel_centres() -> None:
    h = 16
    u, v = hdri.directions_to_equirect(hdri.equirect_directions(h))
    cols, rows = np.meshgrid(np.arange(2 * h), np.arange(h))
    np.testing.assert_allclose(u * 2 * h - 0.5, cols, atol=1e-9)
    np.testing.assert_allclose(v * h - 0.5, rows, atol=1e-9)
    with pytest.raises(ValueError, match="non-zero"):
        hdri.directions_to_equirect(np.zeros((2, 3)))


def test_angles_direction_helper_matches_mapping() -> None:
    np.testing.assert_allclose(skies.direction_from_angles(0, 0), [1, 0, 0], atol=1e-15)
    np.testing.assert_allclose(skies.direction_from_angles(90, 0), [0, 1, 0], atol=1e-15)
    np.testing.assert_allclose(skies.direction_from_angles(-90, 0), [0, -1, 0], atol=1e-15)
    np.testing.assert_allclose(skies.direction_from_angles(123, 90), [0, 0, 1], atol=1e-15)
    u, v = hdri.directions_to_equirect(skies.direction_from_angles(90, 30))
    assert float(u) == pytest.approx(0.25)
    assert float(v) == pytest.approx(60 / 180)


# ----------------------------------------------------------------- basis and projection


def test_constants_round_to_the_published_values() -> None:
    published = [0.429043, 0.511664, 0.743125, 0.886227, 0.247708]
    np.testing.assert_allclose([sh.C1, sh.C2, sh.C3, sh.C4, sh.C5], published, atol=2e-6)
    basis = sh.sh_basis([0.6, 0.0, 0.8]) / [1, 1, 0.8, 0.6, 1, 1, 1, 0.48, 0.36]
    printed = [0.282095, 0.488603, 0.488603, 0.488603, 1.092548, 1.092548, 0.315392, 1.092548]
    np.testing.assert_allclose(basis[[0, 2, 3, 7]], [printed[i] for i in (0, 2, 3, 7)], atol=5e-7)
    assert sh.sh_basis([0, 0, 1])[6] == pytest.approx(2 * 0.315392, abs=1e-6)
    assert sh.sh_basis([1, 0, 0])[8] == pytest.approx(0.546274, abs=1e-6)


def test_basis_constants_are_the_analytic_normalisations() -> None:
    x, y, z = 0.48, -0.6, 0.64  # unit vector
    y9 = sh.sh_basis([x, y, z])
    expect = [
        1 / (2 * math.sqrt(math.pi)),
        math.sqrt(3 / (4 * math.pi)) * y,
        math.sqrt(3 / (4 * math.pi)) * z,
        math.sqrt(3 / (4 * math.pi)) * x,
        math.sqrt(15 / (4 * math.pi)) * x * y,
        math.sqrt(15 / (4 * math.pi)) * y * z,
        math.sqrt(5 / (16 * math.pi)) * (3 * z * z - 1),
        math.sqrt(15 / (4 * math.pi)) * x * z,
        math.sqrt(15 / (16 * math.pi)) * (x * x - y * y),
    ]
    np.testing.assert_allclose(y9, expect, rtol=2e-6)
    # Normalisation of the input direction.
    np.testing.assert_allclose(sh.sh_basis([2 * x, 2 * y, 2 * z]), y9, rtol=1e-12)


def test_basis_is_orthonormal_under_the_map_quadrature() -> None:
    h = 128
    y9 = sh.sh_basis(hdri.equirect_directions(h))
    w = hdri.equirect_row_solid_angles(h)
    gram = np.einsum("hwk,hwj,h->kj", y9, y9, w)
    np.testing.assert_allclose(gram, np.eye(9), atol=3e-4)


def test_projection_matches_direct_quadrature_for_any_map() -> None:
    rng = generator(7, "test_lighting_sh", "map")
    img = rng.random((32, 64, 3))
    y9 = sh.sh_basis(hdri.equirect_directions(32))
    direct = np.einsum("hwk,hwc,h->kc", y9, img, hdri.equirect_row_solid_angles(32))
    np.testing.assert_allclose(sh.project_hdri(img), direct, rtol=1e-12, atol=1e-12)
    f32 = sh.project_hdri(img.astype(np.float32))
    np.testing.assert_allclose(f32, direct, rtol=1e-5, atol=1e-5)


def test_constant_and_linear_maps_have_analytic_coefficients() -> None:
    h = 128
    const = np.full((h, 2 * h, 3), 2.0)
    c = sh.project_hdri(const)
    np.testing.assert_allclose(c[0], 2.0 * math.sqrt(FOUR_PI), rtol=1e-12)
    np.testing.assert_allclose(c[1:], 0.0, atol=1e-3)
    # A uniform environment of radiance L gives irradiance pi L on every normal.
    np.testing.assert_allclose(sh.irradiance(c, NORMALS), 2.0 * math.pi, rtol=2e-4)
    # L(w) = z: only L10 = sqrt(3/4pi) * 4pi/3 survives.
    z = hdri.equirect_directions(h)[..., 2:3]
    c = sh.project_hdri(np.repeat(z, 3, axis=2))
    np.testing.assert_allclose(c[2], math.sqrt(3 / FOUR_PI) * FOUR_PI / 3, rtol=2e-4)
    # Midpoint quadrature in theta: O(1/H^2) leakage into the other bands.
    assert np.abs(np.delete(c, 2, axis=0)).max() < 1e-3


def test_irradiance_c_constants_equal_band_convolution() -> None:
    rng = generator(3, "test_lighting_sh", "coeffs")
    coeffs = rng.normal(size=(9, 3))
    band = np.array([sh.COSINE_LOBE[b] for b in sh.BAND_OF_COEFF])
    via_bands = sh.sh_basis(NORMALS) @ (band[:, None] * coeffs)
    np.testing.assert_allclose(sh.irradiance(coeffs, NORMALS, clamp=False), via_bands, atol=2e-5)
    clamped = sh.irradiance(coeffs, NORMALS)
    assert clamped.min() >= 0.0
    np.testing.assert_allclose(clamped, np.maximum(via_bands, 0), atol=2e-5)
    # Vectorised over arbitrary leading shapes, flat 27-float input accepted.
    grid = NORMALS.reshape(10, 30, 3)
    assert sh.irradiance(coeffs.ravel(), grid).shape == (10, 30, 3)


def test_sun_direction_shows_up_in_the_right_coefficients() -> None:
    black = {"zenith_rgb": (0, 0, 0), "horizon_rgb": (0, 0, 0), "ground_rgb": (0, 0, 0)}
    img = skies.sun_sky(
        64, sun_azimuth_deg=90.0, sun_elevation_deg=0.0, sun_radius_deg=0.1, aureole_fraction=0.0,
        **black,
    )
    coeffs = sh.project_hdri(img)
    c = coeffs[:, 0]
    assert c[1] > 0.3 and abs(c[3]) < 0.05 * c[1] and abs(c[2]) < 0.05 * c[1]  # along +Y
    # Point-light values of the L=2 series at the sun pixel's exact direction s:
    # 17/16 facing it, 1/16 facing away, 3/32 side-on.
    s = hdri.equirect_directions(64).reshape(-1, 3)[np.argmax(img[..., 0])]
    assert s[1] > 0.99
    side = np.cross(s, [0.0, 0.0, 1.0])
    e = sh.irradiance(coeffs, np.stack([s, -s, side]))[:, 0]
    np.testing.assert_allclose(e, [17 / 16, 1 / 16, 3 / 32], atol=2e-3)


# ----------------------------------------------------------------- accuracy vs brute force


def _mean_relative_error(img: np.ndarray) -> float:
    approx = sh.irradiance(sh.project_hdri(img), NORMALS)
    truth = sh.reference_irradiance(img, NORMALS)
    assert truth.min() > 0
    return float(np.mean(np.abs(approx - truth) / truth))


@pytest.mark.parametrize("make_sky", [skies.sun_sky, skies.overcast_sky, skies.studio_sky])
def test_sh_irradiance_within_one_percent_for_soft_skies(make_sky) -> None:
    assert _mean_relative_error(make_sky(64)) < 0.01


def test_reference_irradiance_matches_cie_overcast_analytic_value() -> None:
    # Horizontal irradiance of the CIE overcast sky alone: 7 pi L_z / 9.
    img = skies.overcast_sky(256, zenith_luminance=3.0, ground_rgb=(0, 0, 0))
    up = np.array([[0.0, 0.0, 1.0]])
    expected = 7 * math.pi * 3.0 / 9
    assert sh.reference_irradiance(img, up)[0, 0] == pytest.approx(expected, rel=1e-4)
    assert sh.irradiance(sh.project_hdri(img), up)[0, 0] == pytest.approx(expected, rel=0.01)


def test_error_grows_as_the_sun_sharpens() -> None:
    errors = [
        _mean_relative_error(skies.sun_sky(64, sun_irradiance=3.0, aureole_fraction=f))
        for f in (0.9, 0.5, 0.0)
    ]
    assert errors[0] < errors[1] < errors[2]
    assert errors[2] > 0.02


def test_point_light_shows_the_known_nine_percent_terminator_error() -> None:
    """Single distant light: L=2 irradiance = 1/4 + t/2 + 5/32 (3t^2 - 1), t = n.s.

    Worst error 3/32 = 0.094 of the peak at the terminator (t = 0), peak
    overshoot 1/16, dip -0.040 at t = -8/15 (clamped to 0).
    """
    img = skies.sun_sky(
        256, sun_azimuth_deg=20.0, sun_elevation_deg=35.0, sun_irradiance=1.0,
        sun_radius_deg=0.3, aureole_fraction=0.0, sun_rgb=(1, 1, 1),
        zenith_rgb=(0, 0, 0), horizon_rgb=(0, 0, 0), ground_rgb=(0, 0, 0),
    )  # fmt: skip
    # The disk covers the single pixel nearest to the requested direction: use its centre.
    sun = hdri.equirect_directions(256).reshape(-1, 3)[np.argmax(img[..., 0])]
    coeffs = sh.project_hdri(img)
    normals = fibonacci_sphere(2000)
    t = normals @ sun
    approx = sh.irradiance(coeffs, normals, clamp=False)[:, 0]
    theory = 0.25 + 0.5 * t + 5.0 / 32.0 * (3 * t * t - 1)
    np.testing.assert_allclose(approx, theory, atol=1e-3)
    truth = np.maximum(t, 0.0)
    assert np.abs(approx - truth).max() == pytest.approx(3 / 32, abs=0.004)
    assert approx.min() == pytest.approx(-0.0396, abs=0.002)
    assert sh.irradiance(coeffs, sun)[0] == pytest.approx(1.0625, abs=0.003)
    assert sh.irradiance(coeffs, normals).min() == 0.0


# ----------------------------------------------------------------- presets


def test_preset_is_shareable() -> None:
    from moks_graph.shareable import check_artifact

    assert check_artifact(sh.sh_to_preset(sh.project_hdri(skies.sun_sky(16)))) == []


def test_preset_is_small_and_round_trips_exactly() -> None:
    coeffs = sh.project_hdri(skies.studio_sky(32)) * np.array([1.0, 1e-3, 123.456])
    coeffs[4, 1] = -1.23456789e-7
    preset = sh.sh_to_preset(coeffs)
    text = json.dumps(preset)
    assert len(text) < 1024
    back = sh.preset_to_sh(json.loads(text))
    np.testing.assert_allclose(back, coeffs, rtol=5e-7, atol=0)
    assert sh.sh_to_preset(back) == preset  # stored precision is a fixed point
    np.testing.assert_array_equal(sh.preset_to_sh(text), back)
    np.testing.assert_array_equal(sh.preset_to_sh(sh.sh_to_preset(back)), back)


@pytest.mark.parametrize(
    ("mutate", "error", "match"),
    [
        (lambda p: p.update(kind="other"), ValueError, "kind"),
        (lambda p: p.update(version=99), ValueError, "version"),
        (lambda p: p.update(frame="y-up"), ValueError, "frame"),
        (lambda p: p["coeffs"].pop(), ValueError, "nine"),
        (lambda p: p["coeffs"][0].__setitem__(0, "1"), TypeError, "non-number"),
        (lambda p: p["coeffs"][0].__setitem__(0, float("nan")), ValueError, "NaN"),
    ],
)
def test_bad_presets_are_rejected(mutate, error, match) -> None:
    preset = sh.sh_to_preset(np.ones((9, 3)))
    mutate(preset)
    with pytest.raises(error, match=match):
        sh.preset_to_sh(preset)


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="width = 2 \\* height"):
        sh.project_hdri(np.zeros((10, 10, 3)))
    with pytest.raises(ValueError, match="shape"):
        sh.project_hdri(np.zeros((10, 20)))
    with pytest.raises(TypeError, match="hdri"):
        sh.project_hdri([[0.0]])
    bad = np.zeros((4, 8, 3))
    bad[1, 1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        sh.project_hdri(bad)
    with pytest.raises(ValueError, match="normals"):
        sh.irradiance(np.zeros((9, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="coeffs"):
        sh.irradiance(np.zeros((4, 3)), NORMALS)
    with pytest.raises(ValueError, match="height"):
        skies.overcast_sky(1)
    with pytest.raises(ValueError, match="sun_irradiance"):
        skies.sun_sky(8, sun_irradiance=-1.0)


# ----------------------------------------------------------------- loading


def _float_to_rgbe(img: np.ndarray) -> np.ndarray:
    """Ward's RGBE encoding (test-side writer)."""
    v = img.max(axis=-1)
    mant, expo = np.frexp(v)
    scale = np.where(v > 1e-32, mant * 256.0 / np.where(v > 0, v, 1.0), 0.0)
    out = np.zeros((*img.shape[:2], 4), dtype=np.uint8)
    out[..., :3] = np.clip(img * scale[..., None], 0, 255).astype(np.uint8)
    out[..., 3] = np.where(v > 1e-32, expo + 128, 0)
    return out


def _rle_channel(values: np.ndarray) -> bytes:
    out = bytearray()
    x, n = 0, len(values)
    while x < n:
        run = 1
        while x + run < n and run < 127 and values[x + run] == values[x]:
            run += 1
        if run >= 3:
            out += bytes([128 + run, values[x]])
            x += run
            continue
        start = x
        while x < n and x - start < 128:
            if x + 2 < n and values[x] == values[x + 1] == values[x + 2]:
                break
            x += 1
        out += bytes([x - start]) + bytes(values[start:x])
    return bytes(out)


def _write_radiance(path: Path, img: np.ndarray, rle: bool, exposure: float = 1.0) -> None:
    rgbe = _float_to_rgbe(img * exposure)
    h, w = img.shape[:2]
    data = bytearray(b"#?RADIANCE\n# test\nFORMAT=32-bit_rle_rgbe\n")
    if exposure != 1.0:
        data += f"EXPOSURE={exposure / 2}\nEXPOSURE=2\n".encode()
    data += b"\n"
    data += f"-Y {h} +X {w}\n".encode()
    for row in rgbe:
        if rle:
            data += bytes([2, 2, w >> 8, w & 255])
            for ch in range(4):
                data += _rle_channel(row[:, ch])
        else:
            data += row.tobytes()
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("rle", "exposure"), [(False, 1.0), (True, 1.0), (True, 0.37)])
def test_load_radiance_hdr(tmp_path: Path, rle: bool, exposure: float) -> None:
    img = skies.sun_sky(16, sun_irradiance=50.0)
    path = tmp_path / "sky.HDR"
    _write_radiance(path, img, rle, exposure)
    loaded = hdri.load_hdri(path)
    assert loaded.dtype == np.float32 and loaded.shape == (16, 32, 3)
    np.testing.assert_allclose(loaded, img, rtol=1.0 / 128)  # 8-bit shared-exponent mantissa
    assert sh.load_hdri is hdri.load_hdri


def test_load_hdri_via_imageio(tmp_path: Path) -> None:
    import imageio.v3 as iio

    img = skies.overcast_sky(8)
    path = tmp_path / "sky.exr"
    try:
        iio.imwrite(path, img)
    except Exception:  # no imageio writer for this extension on this machine
        pytest.skip("no imageio plugin can write .exr here")
    np.testing.assert_array_equal(hdri.load_hdri(path), img)
    iio.imwrite(tmp_path / "wide.exr", np.zeros((8, 20, 3), np.float32))
    with pytest.raises(ValueError, match="width = 2 \\* height"):
        hdri.load_hdri(tmp_path / "wide.exr")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # imageio probing legacy plugins
def test_load_hdri_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.hdr or \.exr"):
        hdri.load_hdri(tmp_path / "sky.png")
    with pytest.raises(FileNotFoundError, match="not found"):
        hdri.load_hdri(tmp_path / "missing.hdr")
    garbage = tmp_path / "garbage.exr"
    garbage.write_bytes(b"this is not an image")
    with pytest.raises(ValueError, match="could not read"):
        hdri.load_hdri(garbage)
    square = tmp_path / "square.hdr"
    _write_radiance(square, np.ones((8, 8, 3), np.float32), rle=True)
    with pytest.raises(ValueError, match="width = 2 \\* height"):
        hdri.load_hdri(square)
    truncated = tmp_path / "truncated.hdr"
    _write_radiance(truncated, np.ones((8, 16, 3), np.float32), rle=False)
    truncated.write_bytes(truncated.read_bytes()[:-10])
    with pytest.raises(ValueError, match="truncated"):
        hdri.load_hdri(truncated)
    xyze = tmp_path / "xyze.hdr"
    xyze.write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_xyze\n\n-Y 1 +X 2\n" + bytes(8))
    with pytest.raises(ValueError, match="unsupported Radiance pixel format"):
        hdri.load_hdri(xyze)
    with pytest.raises(TypeError, match="path"):
        hdri.load_hdri(3)  # type: ignore[arg-type]
