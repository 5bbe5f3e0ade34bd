"""The shipped Planckian-locus table against Planck's law and colour-science's CIE 1931 2° CMFs.

``nodes/imaging/planckian_locus.json`` is generated once from Planck's law and colour-science's
CIE 1931 2° colour-matching functions (360-780 nm at 1 nm, colour-science's default range, which
its Ohno 2013 CCT uses); the base install reads the file and does not need colour-science.
This file both regenerates it and checks it::

    .venv/bin/python tests/nodes/imaging/test_imaging_planck_table.py --write

The test recomputes every row and compares it with the shipped file.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

TABLE_NAME = "planckian_locus.json"
C2_M_K = 1.4388e-2
"""Second radiation constant ``hc/k`` [m K] (ITS-90, CIE 15:2018; colour-science's value)."""
T_REF_K = 1000.0
T_END_K = 20000.0
STEPS_PER_RANGE = 300
"""Table nodes ``T_k = 1000 K * exp(k h)``, ``h = ln(20000/1000) / 300`` (about 1 % apart)."""
K_FIRST, K_LAST = -20, 330
"""Nodes from about 818 K to 27 000 K: the 1000-20 000 K range plus a margin at each end."""


def build_table() -> dict:
    """The table from Planck's law integrated against colour-science's CIE 1931 2° CMFs.

    ``M(l, T) = c1 l^-5 / (exp(c2 / (l T)) - 1)``; ``X, Y, Z = sum_l M xbar, ybar, zbar`` (1 nm,
    ``c1`` cancels in chromaticity); ``u = 4X / (X + 15Y + 3Z)``, ``v = 6Y / (X + 15Y + 3Z)``;
    the derivatives ``du/d ln T``, ``dv/d ln T`` from ``dM/dT = M (c2 / (l T^2)) e^x / (e^x - 1)``
    with ``x = c2 / (l T)``.
    """
    import colour  # dev extra only

    # colour-science's default observer and range: CIE 1931 2°, 360-780 nm at 1 nm.
    cmfs = (colour.MSDS_CMFS["CIE 1931 2 Degree Standard Observer"].copy()
            .trim(colour.SPECTRAL_SHAPE_DEFAULT))
    wl = np.asarray(cmfs.wavelengths, dtype=np.float64) * 1e-9
    xyz_bar = np.asarray(cmfs.values, dtype=np.float64)
    h = math.log(T_END_K / T_REF_K) / STEPS_PER_RANGE
    k = np.arange(K_FIRST, K_LAST + 1)
    t = T_REF_K * np.exp(k * h)
    x = C2_M_K / (wl[None, :] * t[:, None])
    m = wl[None, :] ** -5 / np.expm1(x)
    dm_dlnt = m * x * np.exp(x) / np.expm1(x)  # T dM/dT
    xyz = m @ xyz_bar
    dxyz = dm_dlnt @ xyz_bar
    den = xyz[:, 0] + 15.0 * xyz[:, 1] + 3.0 * xyz[:, 2]
    dden = dxyz[:, 0] + 15.0 * dxyz[:, 1] + 3.0 * dxyz[:, 2]
    u = 4.0 * xyz[:, 0] / den
    v = 6.0 * xyz[:, 1] / den
    du = 4.0 * (dxyz[:, 0] * den - xyz[:, 0] * dden) / den**2
    dv = 6.0 * (dxyz[:, 1] * den - xyz[:, 1] * dden) / den**2
    return {
        "description": (
            "Planckian locus in CIE 1960 (u, v) at T_K[k] = t_ref_K * exp(k * ln_t_step), "
            "k = k_first..k_last (about 1 % apart), with du/dlnT and dv/dlnT (T du/dT) for "
            "cubic Hermite interpolation. Planck's law (c2 = 1.4388e-2 m K, n = 1) summed at "
            "1 nm over 360-780 nm against the CIE 1931 2-degree colour-matching functions. "
            "Regenerate with "
            "tests/nodes/imaging/test_imaging_planck_table.py --write."
        ),
        "cmfs": "CIE 1931 2 Degree Standard Observer (colour-science "
                f"{colour.__version__}), 360-780 nm, 1 nm",
        "c2_m_K": C2_M_K,
        "t_ref_K": T_REF_K,
        "ln_t_step": h,
        "k_first": K_FIRST,
        "k_last": K_LAST,
        "T_K": t.tolist(),
        "u": u.tolist(),
        "v": v.tolist(),
        "du_dlnT": du.tolist(),
        "dv_dlnT": dv.tolist(),
    }


def _table_path() -> Path:
    return Path(__file__).resolve().parents[3] / "nodes" / "imaging" / TABLE_NAME


def test_shipped_table_matches_planck_and_colour_science() -> None:
    import pytest

    pytest.importorskip("colour")
    fresh = build_table()
    shipped = json.loads(_table_path().read_text(encoding="utf-8"))
    for key in ("c2_m_K", "t_ref_K", "ln_t_step", "k_first", "k_last"):
        assert shipped[key] == fresh[key], key
    np.testing.assert_allclose(shipped["T_K"], fresh["T_K"], rtol=1e-15, atol=0)
    for key in ("u", "v", "du_dlnT", "dv_dlnT"):
        np.testing.assert_allclose(shipped[key], fresh[key], rtol=0, atol=1e-13, err_msg=key)


def test_interpolated_locus_matches_colour_planck1900() -> None:
    """Between the nodes the Hermite-interpolated locus is Planck's law to better than 1e-9."""
    import pytest

    colour = pytest.importorskip("colour")
    from moks_graph.nodes.imaging.colorimetry import CCT_RANGE_K, planckian_normal, planckian_uv

    t = np.geomspace(*CCT_RANGE_K, 997)
    ref = colour.temperature.CCT_to_uv_Planck1900(t)
    assert np.abs(planckian_uv(t) - ref).max() < 1e-9
    # The +Duv normal against colour-science's finite difference (CCT_to_uv_Ohno2013).
    shifted = colour.temperature.CCT_to_uv_Ohno2013(np.stack([t, np.full_like(t, 0.01)], -1))
    np.testing.assert_allclose(planckian_uv(t) + 0.01 * planckian_normal(t), shifted, atol=1e-8)


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: test_imaging_planck_table.py --write   (needs colour-science)")
    path = _table_path()
    path.write_text(json.dumps(build_table(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")
