"""A user's key hint: parsed, checked, and the light fit kept inside it (analytic cases)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from moks_graph.nodes.inverse.key_hint import KeyHint, angle_in_hint, truth_hint
from moks_graph.nodes.inverse.lightfit import angles, direction, fit_lights, key_grid
from moks_graph.nodes.inverse.subject import estimate_subject


@pytest.mark.parametrize(("text", "side", "height"), [
    ("left", "left", None), ("right,above", "right", "above"), ("ABOVE  left", "left", "above"),
    ("below", None, "below"), (" right , below ", "right", "below"),
])
def test_a_hint_is_read_in_any_order_and_case(text, side, height):
    hint = KeyHint.parse(text)
    assert hint == KeyHint(side, height)
    assert KeyHint.parse(str(hint)) == hint


def test_no_hint_is_none_and_a_hint_passes_through():
    assert KeyHint.parse(None) is None and KeyHint.parse("") is None
    assert KeyHint.parse(" , ") is None
    hint = KeyHint("left")
    assert KeyHint.parse(hint) is hint


@pytest.mark.parametrize("text", ["leftish", "left,right", "above below", "front", 3])
def test_a_bad_hint_is_one_clear_error(text):
    with pytest.raises(ValueError, match="key hint"):
        KeyHint.parse(text)


def test_a_hint_built_wrong_is_refused():
    with pytest.raises(ValueError, match="side must be left or right"):
        KeyHint("up")
    with pytest.raises(ValueError, match="height must be above or below"):
        KeyHint(None, "left")


def test_allows_and_clamp_are_the_half_spaces():
    hint = KeyHint("left", "above")
    az = np.array([-60.0, 30.0, -10.0, 0.0])
    el = np.array([20.0, 20.0, -5.0, 0.0])
    assert hint.allows(az, el).tolist() == [True, False, False, True]
    assert hint.clamp(30.0, 20.0) == (0.0, 20.0)
    assert hint.clamp(150.0, -20.0) == (-180.0, 0.0)  # the nearer edge of the left half
    assert hint.clamp(-45.0, 30.0) == (-45.0, 30.0)
    assert KeyHint("right", "below").clamp(-120.0, 40.0) == (180.0, 0.0)
    assert angle_in_hint(None, 90.0, 0.0) and not angle_in_hint(hint, 90.0, 0.0)
    assert not angle_in_hint(hint, math.nan, 0.0)


@pytest.mark.parametrize(("az", "el", "hint"), [
    (-45.0, 30.0, KeyHint("left", "above")), (5.0, 30.0, KeyHint(None, "above")),
    (170.0, 5.0, KeyHint()), (60.0, -15.0, KeyHint("right", "below")),
])
def test_truth_hint_is_what_a_td_would_say(az, el, hint):
    assert truth_hint(az, el) == hint


def test_the_grid_searches_the_hinted_halves_only():
    full = key_grid()
    left = key_grid(KeyHint("left", "above"))
    az, el = np.array([angles(d) for d in left]).T
    assert np.all(az <= 0) and np.all(el >= 0)
    assert 0.2 * len(full) < len(left) < 0.35 * len(full)


def _sphere_still(key: np.ndarray, fill: np.ndarray) -> np.ndarray:
    h, w, cx, cy, r = 120, 200, 100.0, 60.0, 40.0
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    nx, ny = (xx - cx) / r, -(yy - cy) / r
    inside = nx**2 + ny**2 < 1.0
    normals = np.stack([nx, ny, np.sqrt(np.clip(1.0 - nx**2 - ny**2, 0.0, 1.0))], axis=-1)
    shade = np.clip(normals @ key, 0.0, None) + 0.25 * np.clip(normals @ fill, 0.0, None) + 0.02
    img = np.full((h, w, 3), 0.04)
    img[inside] = 0.6 * shade[inside, None]
    return img


def test_a_hint_that_agrees_leaves_the_fit_and_one_that_does_not_holds_the_key():
    key = direction(60.0, 30.0)
    img = _sphere_still(key, direction(-36.0, 10.0))
    subject = estimate_subject(img)
    free = fit_lights(img, subject)
    assert math.degrees(math.acos(float(np.clip(free.key @ key, -1, 1)))) < 3.0
    agrees = fit_lights(img, subject, hint=KeyHint("right", "above"))
    assert math.degrees(math.acos(float(np.clip(agrees.key @ free.key, -1, 1)))) < 0.5
    left = fit_lights(img, subject, hint=KeyHint("left"))
    assert left.azimuth_deg <= 1e-6
    assert left.residual > 2.0 * free.residual  # the pixels say it is wrong
    below = fit_lights(img, subject, hint=KeyHint(None, "below"))
    assert below.elevation_deg <= 1e-6
    # a start outside the hint (a critique's proposal) begins on its edge and stays inside
    held = fit_lights(img, subject, start=direction(60.0, 30.0), hint=KeyHint("left"))
    assert held.azimuth_deg <= 1e-6
