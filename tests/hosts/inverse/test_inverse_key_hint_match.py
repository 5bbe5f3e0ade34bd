"""``moks match --key-hint``: the key fitted inside a TD's hint, and the pixels' own say;
and ``match.json``'s ``fill``, where the shading puts the fill."""

from __future__ import annotations

import json
from pathlib import Path

import imageio.v3 as iio
import numpy as np
from click.testing import CliRunner

from moks_graph.hosts.farm.cli import farm
from moks_graph.hosts.inverse.cli import match as match_cli
from moks_graph.hosts.inverse.match import match
from moks_graph.nodes.imaging.colorimetry import srgb_encode
from moks_graph.nodes.inverse.interfaces import Critique, Critiques

FAST = {"max_iterations": 0, "rounds": 0}


def _still(path: Path, h: int = 180, w: int = 320) -> Path:
    """A grey sphere lit from camera left and above, a dim fill from the right."""
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    r = 0.3 * h
    nx, ny = (xx - 0.45 * w) / r, -(yy - 0.5 * h) / r
    inside = nx**2 + ny**2 < 1.0
    n = np.stack([nx, ny, np.sqrt(np.clip(1.0 - nx**2 - ny**2, 0.0, 1.0))], -1)
    key, fill = np.array([-0.55, 0.5, 0.67]), np.array([0.8, 0.17, 0.57])
    shade = np.clip(n @ key, 0.0, None) + 0.2 * np.clip(n @ fill, 0.0, None) + 0.03
    img = np.full((h, w, 3), 0.1)
    img[inside] = 0.7 * shade[inside, None]
    iio.imwrite(path, (srgb_encode(np.clip(img, 0, 1)) * 255 + 0.5).astype(np.uint8))
    return path


def test_a_hint_that_agrees_is_recorded_and_changes_nothing(tmp_path: Path):
    still = _still(tmp_path / "s.png")
    free = match(still, **FAST).result
    hinted = match(still, key_hint="left,above", **FAST).result
    assert free.key_azimuth_deg < 0 < free.key_elevation_deg
    assert hinted.key_azimuth_deg == free.key_azimuth_deg
    assert hinted.key_elevation_deg == free.key_elevation_deg
    assert hinted.key_hint["hint"] == "left,above" and hinted.key_hint["unhinted_in_hint"]
    assert not any("hint" in r for r in hinted.reasons)
    assert free.key_hint == {}


def test_a_hint_the_pixels_disagree_with_holds_the_key_and_says_so(tmp_path: Path):
    still = _still(tmp_path / "s.png")
    result = match(still, key_hint="right", **FAST).result
    assert result.key_azimuth_deg >= 0.0
    assert result.status == "approximate"
    assert any(r.startswith("the shading alone puts the key outside the hint (right)")
               for r in result.reasons)
    assert result.key_hint["unhinted_azimuth_deg"] < 0
    assert result.key_hint["unhinted_residual"] < result.residual


class _MirrorInspector:
    """Proposes the key on the other side of the camera every round."""

    name = "mirror"

    def critique(self, reference, preview, metrics, script) -> Critiques:
        return Critiques(items=[Critique(slot="key", field="azimuth_deg",
                                         value=-script.key.azimuth_deg, confidence=0.9)])


def test_a_critique_outside_the_hint_is_refused(tmp_path: Path):
    still = _still(tmp_path / "s.png")
    result = match(still, inspector=_MirrorInspector(), key_hint="left", max_iterations=0,
                   rounds=2).result
    tried = [h for h in result.history if h.proposed_by == "mirror"]
    assert tried and all(not h.accepted for h in tried)
    assert tried[0].reason == "outside the key hint (left)"
    assert result.key_azimuth_deg < 0


def test_cli_and_farm_take_the_hint(tmp_path: Path):
    still = _still(tmp_path / "s.png")
    out = tmp_path / "out"
    ok = CliRunner().invoke(match_cli, [str(still), "--out", str(out), "--no-progress",
                                        "--iterations", "0", "--rounds", "0",
                                        "--key-hint", "above,left"])
    assert ok.exit_code == 0, ok.output
    data = json.loads((out / "s" / "match.json").read_text())
    assert data["key_hint"]["hint"] == "left,above"
    farm_out = tmp_path / "f"
    ok = CliRunner().invoke(farm, ["match", str(still), "--out", str(farm_out), "--option",
                                   "key_hint=right", "--option", "rounds=0", "--option",
                                   "max_iterations=0", "--no-progress"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(next(farm_out.rglob("match.json")).read_text())
    assert data["key_hint"]["hint"] == "right" and data["key_azimuth_deg"] >= 0


def test_a_bad_hint_is_one_message_and_writes_nothing(tmp_path: Path):
    still = _still(tmp_path / "s.png")
    for runner_args, out in (
            ([str(still), "--key-hint", "left,right"], tmp_path / "o"),
            (["match", str(still), "--option", "key_hint=sideways"], tmp_path / "f")):
        cmd = match_cli if runner_args[0] != "match" else farm
        bad = CliRunner().invoke(cmd, [*runner_args, "--out", str(out), "--no-progress"])
        assert bad.exit_code == 2, bad.output
        assert "key hint" in bad.output
        assert not out.exists()


def test_match_json_says_where_the_fill_was_read(tmp_path: Path):
    """The still's fill (54 deg round, 10 deg up) is 31 deg further round than where the
    convention puts it for this key (24 deg): it is read there and recorded; the scene
    places it by the convention, at the ratio read."""
    still = _still(tmp_path / "s.png")
    result = match(still, **FAST).result
    assert result.method == "subject fit"
    assert set(result.fill) == {"azimuth_deg", "elevation_deg"}
    assert result.fill["azimuth_deg"] > 20.0  # camera right, opposite the key
    assert 0.0 <= result.fill["elevation_deg"] <= 30.0
    flat = np.full((90, 160, 3), 0.2, np.float32)  # nothing to read it from
    assert match(flat, **FAST).result.fill == {}
