"""The subject estimator and the per-pixel light fit on analytic cases.

These check the math (inflation is exact where it should be, the NNLS is exact, the
Jacobian is the derivative of the model, the robust fit ignores a cast shadow). How well
the matcher does on references it did not make is measured on Cycles renders in
``bench/inverse_cycles.py`` and ``tests/hosts/blender/test_blender_inverse_slice.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import nnls

from moks_graph.nodes.inverse.key_hint import KeyHint
from moks_graph.nodes.inverse.lightfit import (
    KEY_MAX_AZIMUTH_DEG,
    LUMA,
    _grid_fits,
    angles,
    basis,
    direction,
    edge_sides,
    fit_key,
    fit_lights,
    grid_rim,
    jacobian,
    nnls_batch,
    nnls_one,
    rim_on_edge,
    shadow_term,
)
from moks_graph.nodes.inverse.subject import estimate_subject, inflate_normals


def _disc(h: int = 120, w: int = 200, cx: float = 120.0, cy: float = 55.0, r: float = 38.0):
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    nx, ny = (xx - cx) / r, -(yy - cy) / r
    inside = nx**2 + ny**2 < 1.0
    nz = np.sqrt(np.clip(1.0 - nx**2 - ny**2, 0.0, 1.0))
    return inside, np.stack([nx, ny, nz], axis=-1)


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip((a * b).sum(-1), -1.0, 1.0)))


def test_a_disc_inflates_to_a_hemisphere():
    mask, truth = _disc()
    normals, contour = inflate_normals(mask)
    inner = mask & ~contour
    err = _angle(normals[inner], truth[inner])
    assert np.median(err) < 2.0 and np.percentile(err, 90) < 4.0
    # on the occluding contour the normal lies in the image plane
    assert np.median(np.abs(normals[contour][:, 2])) < 0.35


def test_a_slab_inflates_to_a_cylinder_and_the_frame_edge_is_no_contour():
    mask = np.zeros((80, 200), dtype=bool)
    mask[20:60, :] = True  # runs off both sides of the frame
    normals, contour = inflate_normals(mask)
    rows = np.arange(20, 60) + 0.5
    ny_true = -(rows - 40.0) / 20.0
    mid = normals[20:60, 100]
    assert np.allclose(mid[:, 1], ny_true, atol=0.12)
    assert np.allclose(normals[20:60, 100, 0], 0.0, atol=1e-6)
    # no contour on the left/right frame edges: columns 0 and 199 are inside
    assert not contour[30:50, 0].any() and not contour[30:50, -1].any()


def test_the_subject_is_found_off_centre_on_a_two_tone_background():
    mask, normals = _disc(cx=140.0, cy=70.0, r=30.0)
    img = np.empty((120, 200, 3))
    img[:80] = (0.10, 0.11, 0.12)    # wall
    img[80:] = (0.20, 0.18, 0.15)    # floor
    shade = np.clip(normals @ direction(-60.0, 30.0), 0.0, None) * 0.7 + 0.03
    img[mask] = shade[mask, None] * np.array([0.8, 0.7, 0.6])
    est = estimate_subject(img)
    assert est.found
    iou = (est.mask & mask).sum() / (est.mask | mask).sum()
    assert iou > 0.9
    assert est.centre[0] == pytest.approx(140.0 / 200 - 0.5, abs=0.02)
    assert est.centre[1] == pytest.approx(0.5 - 70.0 / 120, abs=0.02)


def test_a_blank_frame_has_no_subject_and_says_why():
    est = estimate_subject(np.full((90, 160, 3), 0.2))
    assert not est.found and "no subject" in est.reason
    assert est.mask.any()  # a stand-in region, so the fit still runs


def test_batched_nnls_equals_scipy_nnls():
    rng = np.random.default_rng(3)
    for _ in range(20):
        b = rng.normal(size=(50, 3))
        y = rng.normal(size=50)
        w = rng.uniform(0.2, 1.0, size=50)
        bw = b * w[:, None]
        coef, cost = nnls_batch((b.T @ bw)[None], (bw.T @ y)[None], float(y @ (w * y)))
        ref, rnorm = nnls(b * np.sqrt(w)[:, None], y * np.sqrt(w))
        assert np.allclose(coef[0], ref, atol=1e-8)
        assert cost[0] == pytest.approx(rnorm**2, abs=1e-8)


def test_the_jacobian_is_the_models_derivative():
    mask, truth = _disc()
    n = truth[mask]
    key = direction(50.0, 20.0)
    coef = np.array([0.7, 0.2, 0.05])
    s = 0.2
    jac = jacobian(n, key, s, coef)
    helper = np.array([0.0, 1.0, 0.0])
    t1 = np.cross(helper, key)
    t1 /= np.linalg.norm(t1)
    t2 = np.cross(key, t1)
    eps = 1e-6
    for i, t in enumerate((t1, t2)):
        kp = key + eps * t
        km = key - eps * t
        num = (basis(n, kp / np.linalg.norm(kp), s, "none") @ coef
               - basis(n, km / np.linalg.norm(km), s, "none") @ coef) / (2 * eps)
        assert np.allclose(jac[:, i], num, atol=1e-5)
    num_s = (basis(n, key, s + eps, "none") @ coef - basis(n, key, s - eps, "none") @ coef) / (
        2 * eps)
    assert np.allclose(jac[:, 2], num_s, atol=1e-5)


def test_a_cast_shadow_does_not_pull_the_key():
    mask, normals = _disc()
    key = direction(70.0, 35.0)
    fill = direction(-42.0, 10.0)
    shade = np.clip(normals @ key, 0.0, None) + 0.25 * np.clip(normals @ fill, 0.0, None) + 0.02
    img = np.full((*mask.shape, 3), 0.04)
    img[mask] = 0.6 * shade[mask, None]
    yy, xx = np.mgrid[0:mask.shape[0], 0:mask.shape[1]]
    shadow = mask & (xx > 128) & (xx < 145) & (yy > 40) & (yy < 70)  # a prop's shadow
    img[shadow] *= 0.3
    est = estimate_subject(img)
    fit = fit_lights(img, est)
    err = math.degrees(math.acos(float(np.clip(fit.key @ key, -1.0, 1.0))))
    assert err < 3.0
    assert fit.ratio == pytest.approx(4.0, rel=0.15)
    assert fit.weights is not None and fit.weights[shadow].mean() < 0.3
    az, el = angles(fit.key)
    assert az == pytest.approx(70.0, abs=3.0) and el == pytest.approx(35.0, abs=3.0)
    assert fit.sigma["key_direction_deg"] < 5.0


def test_the_key_is_never_fitted_dimmer_than_the_fill():
    """NNLS on ``[key, key + fill, ...]`` is the NNLS of the model under a_key >= a_fill."""
    rng = np.random.default_rng(5)
    for _ in range(20):
        b = np.abs(rng.normal(size=(60, 4)))
        y = b @ np.abs(rng.normal(size=4)) + 0.1 * rng.normal(size=60)
        w = rng.uniform(0.2, 1.0, size=60)
        coef, cost = nnls_one(b, y, w)
        assert coef[0] >= coef[1] - 1e-12 and np.all(coef >= -1e-12)
        r = y - b @ coef
        assert float(r @ (w * r)) == pytest.approx(cost, abs=1e-8)
        free, free_cost = nnls_one(b, y, w, key_brighter=False)
        assert free_cost <= cost + 1e-9
        if free[0] >= free[1]:  # the constraint is inactive: the same optimum
            assert cost == pytest.approx(free_cost, abs=1e-8)


def test_the_grid_solves_each_direction_exactly():
    mask, normals = _disc()
    n = normals[mask]
    y = (basis(n, direction(40.0, 25.0), 0.1, "camera_left")
         @ np.array([0.8, 0.2, 0.03, 0.5]))
    dirs = np.stack([direction(a, e) for a, e in ((40.0, 25.0), (-60.0, 10.0), (90.0, 50.0))])
    w = np.ones(len(y))
    fits = _grid_fits(n, y, w, dirs, 0.1, ("none", "camera_left"))
    for rim, (_, coef, _) in fits.items():
        for i, d in enumerate(dirs):
            ref, _ = nnls_one(basis(n, d, 0.1, rim), y, w)
            assert np.allclose(coef[i], ref, atol=1e-8)
    assert fits["camera_left"][0] == 0 and fits["camera_left"][2] < 1e-9 * float(y @ y)


def test_a_rim_is_chosen_with_the_key_not_mistaken_for_it():
    """A strong rim from behind-left with a key front-right: a key-only grid would swing
    the key toward the rim (or put it behind with its fill on the true key)."""
    mask, normals = _disc()
    n = normals[mask]
    key = direction(55.0, 30.0)
    y = basis(n, key, 0.1, "camera_left") @ np.array([0.6, 0.2, 0.02, 1.2])
    mode, start = grid_rim(n, y)
    assert mode == "camera_left"
    assert math.degrees(math.acos(float(np.clip(start @ key, -1.0, 1.0)))) < 6.0
    img = np.full((*mask.shape, 3), 0.04)
    img[mask] = y[:, None]
    fit = fit_lights(img, estimate_subject(img))
    assert fit.rim == "camera_left"
    assert math.degrees(math.acos(float(np.clip(fit.key @ key, -1.0, 1.0)))) < 4.0


def test_the_key_is_refined_on_the_sphere_it_was_searched_on():
    """A light from behind-left lights a crescent a key refined past the grid's azimuth
    bound would take; the refinement, and a start from behind, stay within the bound."""
    mask, normals = _disc()
    n = normals[mask]
    y = basis(n, direction(-165.0, 15.0), 0.1, "none") @ np.array([1.0, 0.05, 0.02])
    for start in (None, direction(170.0, 10.0), direction(-150.0, 40.0)):
        key, *_ = fit_key(n, y, start=start)
        az, el = angles(key)
        assert abs(az) <= KEY_MAX_AZIMUTH_DEG + 1e-6
        assert el >= -30.0 - 1e-6
    key, *_ = fit_key(n, y)
    assert angles(key)[0] < -100.0  # held on the bound's side of the light, not mirrored
    # a hint's nearest side can lie behind (left of a key at 120 deg: -180 deg): the
    # bound applies after it
    key, *_ = fit_key(n, y, start=direction(120.0, 10.0), hint=KeyHint.parse("left"))
    assert -KEY_MAX_AZIMUTH_DEG - 1e-6 <= angles(key)[0] <= 0.0


def test_a_thin_cast_shadow_joined_to_the_subject_is_dropped_a_lit_handle_kept():
    from moks_graph.nodes.inverse.silhouette import drop_thin_parts, shadow_like

    mask, normals = _disc()
    shade = np.clip(normals @ direction(40.0, 30.0), 0.0, None) + 0.1
    log_y = np.full(mask.shape, np.log2(0.3))
    log_y[mask] = np.log2(0.5 * shade[mask] + 0.02)
    yy, xx = np.mgrid[0:mask.shape[0], 0:mask.shape[1]]
    # a shadow strip from the subject's foot to the right, its edges a soft penumbra
    strip = (yy >= 82) & (yy < 102) & (xx >= 120) & (xx < 195)
    edge = np.minimum(np.minimum(yy - 81, 102 - yy), 5) / 5.0
    log_y[strip & ~mask] = np.log2(0.3) - 1.5 * edge[strip & ~mask]
    handle = (yy >= 50) & (yy < 58) & (xx >= 60) & (xx < 90)  # lit, as bright as the body
    log_y[handle & ~mask] = np.log2(0.45)
    joined = mask | strip | handle
    assert shadow_like(strip & ~mask, log_y, joined)  # the penumbra does not hide it
    kept = drop_thin_parts(joined, log_y)
    # all but the junction with the body's foot, which the opening keeps
    far = strip & (xx > 150)
    assert (kept & far).sum() <= 0.01 * far.sum()
    assert (kept & strip & ~mask).sum() < 0.4 * (strip & ~mask).sum()
    assert kept[handle & ~mask].all() and kept[mask].all()


def test_with_no_fill_seen_the_ratio_is_read_against_the_ambient():
    """Key plus a flat ambient only: the ratio is key over ambient, not the 64:1 bound."""
    mask, normals = _disc()
    key = direction(60.0, 30.0)
    shade = np.clip(normals @ key, 0.0, None) + 0.125  # 8:1 against a uniform ambient
    img = np.full((*mask.shape, 3), 0.04)
    img[mask] = 0.6 * shade[mask, None]
    fit = fit_lights(img, estimate_subject(img))
    assert fit.coef[1] < fit.coef[0] / 64.0
    assert shadow_term(fit.coef) == 2
    assert fit.ratio == pytest.approx(8.0, rel=0.15)
    assert math.isfinite(fit.sigma["key_fill_ratio_stops"])
    assert any("read against the ambient" in note for note in fit.notes)


def test_the_shadow_term_is_the_fill_then_the_ambient_then_none():
    assert shadow_term(np.array([1.0, 0.25, 0.1])) == 1
    assert shadow_term(np.array([1.0, 0.0, 0.1])) == 2
    assert shadow_term(np.array([1.0, 0.01, 0.1])) == 2  # past the 64:1 bound: no fill
    assert shadow_term(np.array([1.0, 0.0, 0.0])) is None


def test_a_broad_bright_top_is_no_top_rim_a_thin_one_is():
    """A flat top face lit by the key outshines the dome's fit over a broad band, which a
    top rim explains best; the edge check keeps only a rim whose excess is in the edge."""
    mask, normals = _disc()
    n = normals[mask]
    key = direction(-40.0, 35.0)
    y = basis(n, key, 0.1, "none") @ np.array([0.6, 0.15, 0.02]) + 0.18 * (n[:, 1] > 0.35)
    img = np.full((*mask.shape, 3), 0.04)
    img[mask] = y[:, None]
    subject = estimate_subject(img)
    assert grid_rim(subject.normals[subject.mask], img[subject.mask] @ LUMA)[0] == "top"
    assert fit_lights(img, subject).rim == "none"
    y = basis(n, key, 0.1, "top") @ np.array([0.6, 0.15, 0.02, 0.9])
    img[mask] = y[:, None]
    assert fit_lights(img, estimate_subject(img)).rim == "top"


def test_a_rim_side_is_kept_where_its_edge_outshines_the_band_inside():
    normals = np.array([[-1.0, 0.0, 0.1]] * 8 + [[1.0, 0.0, 0.1]] * 8)
    sides = edge_sides(normals)
    thin = np.array([True, False] * 8)
    inner = ~thin
    relative = np.where(thin, 0.5, 0.1)  # both edges outshine the band inside
    assert rim_on_edge("both", sides, relative, thin, inner) == "both"
    relative[8:] = np.where(thin[8:], 0.1, 0.5)  # the right side is bright inside
    assert rim_on_edge("both", sides, relative, thin, inner) == "camera_left"
    assert rim_on_edge("camera_right", sides, relative, thin, inner) == "none"
    few = thin & (np.arange(16) >= 12)  # two edge pixels: too few to tell, kept
    assert rim_on_edge("camera_right", sides, relative, few, inner) == "camera_right"


def test_a_lit_seam_band_joined_to_the_subject_is_dropped_a_short_handle_kept():
    """Where a floor meets a wall, a lit band can join the silhouette: thin and long
    (``BAND_ASPECT``), not a shadow; a handle is as thin but short."""
    from moks_graph.nodes.inverse.silhouette import BAND_ASPECT, aspect, drop_thin_parts

    mask, normals = _disc()
    log_y = np.full(mask.shape, np.log2(0.3))
    log_y[mask] = np.log2(0.5 * (np.clip(normals @ direction(40.0, 30.0), 0.0, None)[mask]
                                 + 0.1) + 0.02)
    yy, xx = np.mgrid[0:mask.shape[0], 0:mask.shape[1]]
    seam = (yy >= 70) & (yy < 75) & (xx >= 100) & (xx < 195) & ~mask
    handle = (yy >= 50) & (yy < 58) & (xx >= 60) & (xx < 90) & ~mask
    log_y[seam | handle] = np.log2(0.45)  # both lit like the body
    assert aspect(seam) > BAND_ASPECT > aspect(handle)
    kept = drop_thin_parts(mask | seam | handle, log_y)
    far = seam & (xx > 160)  # beyond the junction, which the opening keeps
    assert not (kept & far).any()
    assert kept[handle].all() and kept[mask].all()


def test_the_fill_is_found_off_the_convention_and_the_ratio_read_against_it():
    """A fill 20 deg round and 30 deg up from where compile_scene puts it: read against
    the convention's fill the ratio takes up the difference; with the fill found, it is
    the truth (the key held)."""
    from moks_graph.nodes.inverse.lightfit import (
        CONVENTION_FILL,
        fill_direction,
        fit_fill,
        predict,
        shading_pixels,
    )

    mask, normals = _disc()
    n = normals[mask]
    key = direction(50.0, 30.0)
    fill = fill_direction(key, (20.0, 30.0))
    clean = 0.8 * np.clip(n @ key, 0.0, None) + 0.2 * np.clip(n @ fill, 0.0, None) + 0.01
    w = np.ones(len(clean))
    convention, _ = nnls_one(basis(n, key, 0.02, "none", CONVENTION_FILL), clean, w)
    at, coef = fit_fill(n, clean, w, key, 0.02, "none")
    assert at == (20.0, 30.0)
    assert coef[0] / coef[1] == pytest.approx(4.0, rel=0.03)
    assert abs(math.log2(convention[0] / convention[1] / 4.0)) > 0.2  # what it mends
    # the whole fit, with a render's noise: the key is fitted first (with the convention's
    # fill, which it partly makes up for), then the fill is placed and the ratio re-read
    img = np.full((*mask.shape, 3), 0.04)
    img[mask] = (clean + 0.02 * np.random.default_rng(1).normal(size=len(clean)))[:, None]
    subject = estimate_subject(img)
    fit = fit_lights(img, subject)
    assert fit.fill_at != CONVENTION_FILL
    usable = shading_pixels(img, subject)
    y = img[usable] @ LUMA
    held, _ = nnls_one(basis(subject.normals[usable], fit.key, fit.softness_s, fit.rim), y,
                       fit.weights[usable])
    assert abs(math.log2(fit.ratio / 4.0)) < abs(math.log2(held[0] / held[1] / 4.0)) - 0.1
    assert np.allclose(fit.fill, fill_direction(fit.key, fit.fill_at))
    shown = predict(subject, fit)[subject.mask]
    expected = basis(subject.normals[subject.mask], fit.key, fit.softness_s, fit.rim,
                     fit.fill_at) @ fit.colour
    assert np.allclose(shown, np.maximum(expected, 0.0))
