"""OCIO looks: config round trip, .cube and CLF exports against apply_stock."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import PyOpenColorIO as ocio
import pytest

from moks_graph.nodes.looks import ocio_looks as ol
from moks_graph.nodes.looks.stocks import LOG2_EXPOSURE_RANGE, STOCK_NAMES, apply_stock

LO, HI = LOG2_EXPOSURE_RANGE


def _ramp() -> np.ndarray:
    """Neutral and coloured ramps across (and beyond) the latitude window, (1, M, 3)."""
    e = np.exp2(np.linspace(LO - 2.0, HI + 2.0, 400))
    rgb = np.concatenate([
        np.stack([e, e, e], -1),
        np.stack([e, 0.4 * e, 0.1 * e], -1),
        np.stack([0.05 * e, 0.3 * e, e], -1),
    ])
    return rgb[None].astype(np.float32)


def _close(out: np.ndarray, ref: np.ndarray, tol: tuple[float, float]) -> None:
    atol, rtol = tol
    assert np.abs(out - ref).max() < atol
    assert np.abs(out / ref - 1.0).max() < rtol


@pytest.fixture(scope="module")
def config_text() -> str:
    return ol.config_text(ol.build_config())


def test_clf_write_format_name() -> None:
    names = [name for name, _ext in ocio.GroupTransform.GetWriteFormats()]
    assert ol.CLF_FORMAT in names


def test_config_round_trip_matches_apply_stock(config_text: str) -> None:
    config = ocio.Config.CreateFromStream(config_text)
    config.validate()
    assert sorted(config.getLookNames()) == sorted(STOCK_NAMES)
    ramp = _ramp()
    for name in STOCK_NAMES:
        out = ol.apply_processor(ol.look_processor(config, name), ramp)
        _close(out, apply_stock(ramp, name), ol.SPLINE_TOLERANCE)


def test_display_view_encodes_srgb(config_text: str) -> None:
    config = ocio.Config.CreateFromStream(config_text)
    view = ocio.DisplayViewTransform(src=ol.SCENE_LINEAR, display=ol.DISPLAY_NAME,
                                     view="Film vision3_250d")
    proc = config.getProcessor(view).getDefaultCPUProcessor()
    out = ol.apply_processor(proc, np.full((1, 3), 0.18))
    # 0.18 display-linear, sRGB-encoded: 1.055 * 0.18**(1/2.4) - 0.055 = 0.4614.
    np.testing.assert_allclose(out, 0.4614, atol=2e-3)


def test_lut_form_matches_apply_stock_with_exposure() -> None:
    ramp = _ramp()
    raw = ocio.Config.CreateRaw()
    for name in STOCK_NAMES:
        group = ol.look_transform(name, exposure_ev=-1.5, method="lut1d")
        out = ol.apply_processor(raw.getProcessor(group).getDefaultCPUProcessor(), ramp)
        _close(out, apply_stock(ramp, name, exposure_ev=-1.5), ol.LUT_TOLERANCE)
    with pytest.raises(ValueError, match="method"):
        ol.look_transform("tri_x", method="cube")  # type: ignore[arg-type]


def test_clf_export_reads_back(tmp_path: Path) -> None:
    ramp = _ramp()
    for name in ("kodachrome", "tri_x"):
        path = ol.export_clf(tmp_path / f"{name}.clf", name)
        assert "<ProcessList" in path.read_text()
        out = ol.apply_processor(ol.file_processor(path), ramp)
        _close(out, apply_stock(ramp, name), ol.LUT_TOLERANCE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kodachrome.clf", "tri_x.clf"]


def _srgb(x: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1 encoding."""
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)


@pytest.mark.parametrize("name", ["kodachrome", "vision3_500t", "tri_x"])
def test_cube_export_reads_back(tmp_path: Path, name: str) -> None:
    size = 33
    path = ol.export_cube(tmp_path / "k.cube", name, size=size)
    text = path.read_text()
    assert f"LUT_3D_SIZE {size}" in text and "DOMAIN_MAX 1.0 1.0 1.0" in text
    table, dmin, dmax = ol.read_cube(path)
    assert table.shape == (size, size, size, 3)
    # Grid nodes hold the sampled look (red fastest in the file): compare with
    # apply_stock at the node's linear input, sRGB-encoded.
    axis = np.linspace(0.0, 1.0, size)
    for ib, ig, ir in [(0, 0, 0), (3, 9, 32), (32, 0, 5), (16, 16, 16), (20, 21, 22)]:
        lin = np.exp2(LO + np.array([axis[ir], axis[ig], axis[ib]]) * (HI - LO))
        ref = _srgb(apply_stock(lin[None, None].astype(np.float32), name)[0, 0])
        np.testing.assert_allclose(table[ib, ig, ir], ref, atol=1e-4)
    # Between nodes trilinear interpolation tracks the look to the documented
    # 1.3% of the code range (0.75 stop per cell).
    u = np.linspace(0.0, 1.0, 997)
    lin = np.exp2(LO + u * (HI - LO))
    ref = _srgb(apply_stock(np.stack([lin] * 3, -1)[None].astype(np.float32), name)[0])
    got = ol.sample_cube(table, np.stack([u] * 3, -1), dmin, dmax)
    assert np.abs(got - ref).max() < 0.015
    # OCIO reads the same file and agrees with our trilinear sampling.
    probe = np.stack([u, u[::-1], 0.5 + 0.0 * u], -1)
    np.testing.assert_allclose(
        ol.apply_processor(ol.file_processor(path), probe),
        ol.sample_cube(table, probe, dmin, dmax), atol=1e-5,
    )


def test_linear_cube_matches_look(tmp_path: Path) -> None:
    path = ol.export_cube(tmp_path / "lin.cube", "vision3_250d", size=5, output="linear")
    table, _, _ = ol.read_cube(path)
    lin = np.exp2(LO + np.array([0.25, 0.5, 0.75]) * (HI - LO))
    ref = apply_stock(lin[None, None].astype(np.float32), "vision3_250d")[0, 0]
    np.testing.assert_allclose(table[3, 2, 1], ref, rtol=1e-4)


def test_exports_are_atomic(tmp_path: Path) -> None:
    target = tmp_path / "look.ocio"
    target.write_text("old")

    def boom(tmp: Path) -> None:
        tmp.write_text("partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        ol._atomic_write(target, boom)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["look.ocio"]
    ol.export_config(target, ["tri_x"])
    config = ocio.Config.CreateFromFile(str(target))
    assert list(config.getLookNames()) == ["tri_x"]
    assert [p.name for p in tmp_path.iterdir()] == ["look.ocio"]
    with pytest.raises(ValueError, match="path"):
        ol.export_cube(tmp_path / "missing" / "x.cube", "tri_x")


def test_cube_parser_rejects_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.cube"
    bad.write_text("LUT_3D_SIZE 2\n0 0 0\n")
    with pytest.raises(ValueError, match="expected 8 rows"):
        ol.read_cube(bad)
    with pytest.raises(ValueError, match="size"):
        ol.cube_text("tri_x", size=1)
