"""Calibration: leaves equal the metric extractor, analytic Jacobian vs finite differences,
tree pullback, LM convergence, the tangent-plane key parameterisation at the pole."""

from __future__ import annotations

import math

import numpy as np
import pytest

from moks_graph.nodes.imaging.metrics import extract_metrics
from moks_graph.nodes.imaging.subject import direction_to_angles
from moks_graph.nodes.inverse import calibrate as C
from moks_graph.nodes.inverse.render import BuiltinRenderer
from moks_graph.nodes.scenescript.schema import SceneScript

RENDERER = BuiltinRenderer()
TRUTH = (SceneScript().with_slot("shot", size="medium_close_up")
         .with_slot("key", azimuth_deg=50.0, elevation_deg=25.0, cct_K=4000.0)
         .with_slot("fill_rim", key_fill_ratio=6.0, rim="camera_left", rim_ev=0.5)
         .with_slot("atmosphere", phi=0.4).with_slot("look", stock="vision3_500t"))


def _angle(a: SceneScript, b: SceneScript) -> float:
    def vec(s: SceneScript) -> np.ndarray:
        az, el = math.radians(s.key.azimuth_deg), math.radians(s.key.elevation_deg)
        return np.array([math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el)])

    return math.degrees(math.acos(float(np.clip(vec(a) @ vec(b), -1.0, 1.0))))


@pytest.fixture(scope="module")
def state():
    return RENDERER.render_state(TRUTH)


def test_leaves_equal_the_metric_extractor(state) -> None:
    an = C.analyse(state.display)
    m = extract_metrics(state.display)
    az, el = direction_to_angles(an.values["key_direction"])
    assert az == pytest.approx(m["key_azimuth"], abs=1e-9)
    assert el == pytest.approx(m["key_elevation"], abs=1e-9)
    assert 2.0 ** an.values["ratio"] == pytest.approx(m["key_fill_ratio"], rel=1e-12)
    assert an.values["exposure"] == pytest.approx(m["log_luminance_mean"], abs=1e-12)
    assert an.values["shadows"] == pytest.approx(m["luminance_p05"], abs=1e-6)
    assert an.values["highlights"] == pytest.approx(m["luminance_p95"], abs=1e-6)
    assert 1e6 / an.values["mired"] == pytest.approx(m["cct"], rel=1e-12)
    assert an.values["duv"] == pytest.approx(m["duv"], abs=1e-12)
    assert an.values["haze"] == pytest.approx(m["haze"], abs=1e-12)
    assert an.values["rim"] == pytest.approx(m["rim_light"], abs=1e-12)
    assert m["rim_light"] > 0.1  # the rim is seen, so its derivative is exercised


STEPS = {"key_t1": 1e-3, "key_t2": 1e-3, "fill": 1e-3, "mired": 0.5, "exposure_ev": 1e-3,
         "fog": 1e-3, "rim_ev": 1e-3}


@pytest.mark.parametrize("name", list(STEPS))
def test_analytic_jacobian_matches_finite_differences(state, name: str) -> None:
    """Every leaf's column of J_l J_i J_s against a central difference of re-renders."""
    names = C.active_parameters(TRUTH)
    assert name in names
    an = C.analyse(state.display)
    column = C.leaf_jvp(an, state.display_jvp(C.scene_tangents(state, names)[name]))
    h = STEPS[name]
    delta = np.zeros(len(names))
    delta[names.index(name)] = h
    plus = C.analyse(RENDERER.render(C.retract(state, names, delta)), an)
    minus = C.analyse(RENDERER.render(C.retract(state, names, -delta)), an)
    for leaf, value in column.items():
        numeric = (plus.values[leaf] - minus.values[leaf]) / (2.0 * h)
        scale = C.LEAF_SIGMA[leaf]
        # agreement to 3 % of the derivative or 2 % of a leaf sigma per unit step
        assert np.allclose(value, numeric, rtol=0.03, atol=0.02 * scale), (leaf, value, numeric)


def test_image_tangent_matches_finite_differences(state) -> None:
    names = C.active_parameters(TRUTH)
    tangents = C.scene_tangents(state, names)
    for name in ("key_t1", "fog", "mired"):
        d = state.display_jvp(tangents[name])
        h = STEPS[name]
        delta = np.zeros(len(names))
        delta[names.index(name)] = h
        plus = RENDERER.render(C.retract(state, names, delta)).astype(np.float64)
        minus = RENDERER.render(C.retract(state, names, -delta)).astype(np.float64)
        numeric = (plus - minus) / (2.0 * h)
        assert np.abs(d - numeric).max() < 0.01 * np.abs(numeric).max(), name


def test_pullback_is_the_sum_of_jt_m_j() -> None:
    rng_j = np.arange(12.0).reshape(4, 3) / 7.0
    leaves = [C.Leaf("a", np.array([1.0, -2.0]), rng_j[:2], np.diag([2.0, 3.0])),
              C.Leaf("b", np.array([0.5, 0.25]), rng_j[2:], np.eye(2) * 4.0)]
    m_root, f_root = C.pullback(leaves)
    j = np.vstack([leaf.jacobian for leaf in leaves])
    m = np.diag([2.0, 3.0, 4.0, 4.0])
    r = np.concatenate([leaf.residual for leaf in leaves])
    assert np.allclose(m_root, j.T @ m @ j)
    assert np.allclose(f_root, -j.T @ m @ r)
    with pytest.raises(ValueError, match="leaves"):
        C.pullback([])


def test_levenberg_marquardt_converges_from_a_perturbed_start() -> None:
    reference = RENDERER.render(TRUTH)
    start = (TRUTH.with_slot("key", azimuth_deg=58.0, elevation_deg=19.0, cct_K=4500.0)
             .with_slot("fill_rim", key_fill_ratio=9.0, rim_ev=0.0)
             .with_slot("atmosphere", phi=0.25).with_slot("look", exposure_ev=0.3))
    assert _angle(start, TRUTH) > 8.0
    result = C.calibrate(reference, start, max_iterations=4)
    assert result.history[0] > 2.0 and result.residual < 0.1
    assert all(b <= a for a, b in zip(result.history, result.history[1:], strict=False))
    assert 1 <= result.iterations <= 4
    got = result.script
    assert _angle(got, TRUTH) < 0.5
    assert abs(math.log2(got.fill_rim.key_fill_ratio / 6.0)) < 0.1
    assert got.key.cct_K == pytest.approx(4000.0, abs=30.0)
    assert got.atmosphere.phi == pytest.approx(0.4, abs=0.03)
    assert got.look.exposure_ev == pytest.approx(0.0, abs=0.03)


def test_prior_leaf_holds_the_key_direction() -> None:
    reference = RENDERER.render(TRUTH)
    start = TRUTH.with_slot("key", azimuth_deg=58.0, elevation_deg=19.0)
    held = C.calibrate(reference, start, max_iterations=2, prior_sigma=1e-4)
    free = C.calibrate(reference, start, max_iterations=2)
    assert _angle(held.script, start) < 0.1 < _angle(free.script, start)
    state = RENDERER.render_state(start)
    anchor = RENDERER.render_state(TRUTH).scene.directions[0]
    r = C.prior_residual(state, anchor)
    assert np.linalg.norm(r) == pytest.approx(math.radians(_angle(start, TRUTH)), rel=1e-6)


def test_key_direction_has_no_pole_singularity() -> None:
    """At (nearly) overhead the tangent plane step stays finite and moves continuously."""
    script = TRUTH.with_slot("key", azimuth_deg=10.0, elevation_deg=90.0)
    state = RENDERER.render_state(script)
    names = C.active_parameters(script)
    key = state.scene.directions[0]
    assert key[2] == pytest.approx(1.0)
    basis = C.world_tangent_basis(key)
    assert np.allclose(basis @ basis.T, np.eye(2)) and np.allclose(basis @ key, 0.0)
    tangents = C.scene_tangents(state, names)
    for name in ("key_t1", "key_t2"):
        assert np.all(np.isfinite(tangents[name].directions))
    for step in (1e-3, math.radians(5.0)):
        delta = np.zeros(len(names))
        delta[names.index("key_t1")] = step
        moved = C.retract(state, names, delta)
        assert 90.0 - moved.key.elevation_deg == pytest.approx(math.degrees(step), rel=1e-6)


def test_retract_clips_to_the_schema(state) -> None:
    names = C.active_parameters(TRUTH)
    delta = np.zeros(len(names))
    delta[names.index("fill")] = 5.0
    delta[names.index("exposure_ev")] = 40.0
    delta[names.index("fog")] = -3.0
    out = C.retract(state, names, delta)
    assert out.fill_rim.key_fill_ratio == 1.0
    assert out.look.exposure_ev == 6.0
    assert out.atmosphere.phi == 0.0
    with pytest.raises(ValueError, match="max_iterations"):
        C.calibrate(state.display, TRUTH, max_iterations=-1)
