"""``moks match --subject-box``: the subject found inside a box drawn around it."""

from __future__ import annotations

import json
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from click.testing import CliRunner

from moks_graph.hosts.farm.cli import farm
from moks_graph.hosts.inverse.cli import match as match_cli
from moks_graph.hosts.inverse.match import (
    NO_SUBJECT_HINT,
    OUTLINE_RGB,
    compare_image,
    frame_box,
    match,
    silhouette_edge,
    write_outcome,
)
from moks_graph.nodes.imaging.colorimetry import srgb_encode

FAST = {"max_iterations": 0, "rounds": 0}


def _plate(path: Path, h: int = 270, w: int = 480) -> tuple[Path, tuple[int, int, int, int]]:
    """Two spheres, the larger and brighter on the left; the box (pixels) around the small
    one on the right."""
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    img = np.full((h, w, 3), 0.12)
    key = np.array([-0.5, 0.5, 0.7071])
    for cx, cy, r, albedo in ((0.3 * w, 0.5 * h, 0.32 * h, 0.8),
                              (0.81 * w, 0.52 * h, 0.18 * h, 0.45)):
        nx, ny = (xx - cx) / r, -(yy - cy) / r
        inside = nx**2 + ny**2 < 1.0
        nz = np.sqrt(np.clip(1.0 - nx**2 - ny**2, 0.0, 1.0))
        shade = np.clip(np.stack([nx, ny, nz], -1) @ key, 0.0, None) + 0.08
        img[inside] = (albedo * shade[inside])[:, None] * np.array([1.0, 0.9, 0.75])
    iio.imwrite(path, (srgb_encode(np.clip(img, 0, 1)) * 255 + 0.5).astype(np.uint8))
    return path, (330, 80, 120, 120)


def test_the_box_gives_the_subject_and_is_recorded(tmp_path: Path):
    plate, box = _plate(tmp_path / "plate.png")
    found = match(plate, **FAST).result
    assert found.subject["centre_x"] < 0  # left alone, the larger sphere is taken
    boxed = match(plate, subject_box=box, **FAST).result
    assert boxed.subject["from"] == "box"
    assert boxed.subject["box"] == [330.0, 80.0, 120.0, 120.0]
    assert boxed.subject["centre_x"] == pytest.approx(0.31, abs=0.02)
    assert boxed.key_azimuth_deg < 0 and boxed.key_elevation_deg > 0
    with pytest.raises(ValueError, match="not both"):
        match(plate, subject_box=box, matte=np.ones((270, 480)), **FAST)


def test_frame_box_reads_pixels_and_names_the_box():
    assert frame_box((48, 27, 96, 54), (270, 480, 3)) == (0.1, 0.1, 0.2, 0.2)
    with pytest.raises(ValueError, match=r"subject box 400,10,100,50: reaches outside the "
                                         r"480 x 270 image"):
        frame_box((400, 10, 100, 50), (270, 480, 3))
    with pytest.raises(ValueError, match=r"subject box 1,1,2,2: covers 0.0 %"):
        frame_box((1, 1, 2, 2), (270, 480))
    with pytest.raises(ValueError, match="4 numbers"):
        frame_box("a box", (270, 480))
    with pytest.raises(ValueError, match="positive width"):
        frame_box((10, 10, -5, 20), (270, 480))


def test_cli_subject_box(tmp_path: Path):
    plate, box = _plate(tmp_path / "plate.png")
    out = tmp_path / "out"
    args = ["--out", str(out), "--no-progress", "--iterations", "0", "--rounds", "0"]
    ok = CliRunner().invoke(match_cli, [str(plate), *args, "--subject-box",
                                        ",".join(str(v) for v in box)])
    assert ok.exit_code == 0, ok.output
    data = json.loads((out / "plate" / "match.json").read_text())
    assert data["subject"]["from"] == "box"
    assert data["subject"]["box"] == [330.0, 80.0, 120.0, 120.0]


@pytest.mark.parametrize(("extra", "message"), [
    (["--subject-box", "330,80,120"], "X,Y,W,H"),
    (["--subject-box", "400,80,120,120"], "reaches outside the 480 x 270 image"),
    (["--subject-box", "330,80,120,120", "--matte", "{plate}"], "not both"),
])
def test_cli_bad_box_is_one_message_and_writes_nothing(tmp_path: Path, extra, message):
    plate, _ = _plate(tmp_path / "plate.png")
    out = tmp_path / "out"
    extra = [e.format(plate=plate) for e in extra]
    bad = CliRunner().invoke(match_cli, [str(plate), "--out", str(out), "--no-progress",
                                         *extra])
    assert bad.exit_code == 2
    assert message in bad.output
    assert not out.exists()


def test_a_box_is_for_one_image(tmp_path: Path):
    plate, _ = _plate(tmp_path / "plate.png")
    two = CliRunner().invoke(match_cli, [str(plate), str(plate), "--out", str(tmp_path / "o"),
                                         "--subject-box", "330,80,120,120"])
    assert two.exit_code == 2 and "one image" in two.output
    farm_two = CliRunner().invoke(farm, ["match", str(plate), str(plate), "--out",
                                         str(tmp_path / "f"), "--option",
                                         "subject_box=[330,80,120,120]"])
    assert farm_two.exit_code == 2 and "one image" in farm_two.output


def test_compare_png_outlines_the_subject_the_lights_were_read_from(tmp_path: Path):
    plate, box = _plate(tmp_path / "plate.png")
    outcome = match(plate, subject_box=box, **FAST)
    folder = write_outcome(outcome, tmp_path / "out")
    compare = iio.imread(folder / "compare.png")
    h, w = outcome.preview.shape[:2]
    drawn = np.all(compare[:, :w] == OUTLINE_RGB, axis=-1)
    edge = silhouette_edge(outcome.estimate.subject.mask, (h, w))
    assert drawn.sum() > 40 and np.array_equal(drawn, edge)
    cols = np.nonzero(drawn)[1]
    assert cols.min() >= 330 / 480 * w - 2 and cols.max() <= 450 / 480 * w + 2  # in the box
    assert not np.all(compare[:, w:] == OUTLINE_RGB, axis=-1).any()  # the reference only
    plain = compare_image(outcome.reference, outcome.preview, outcome.heatmap)
    assert not np.all(plain[:, :w] == OUTLINE_RGB, axis=-1).any()


def test_silhouette_edge_resamples_to_the_panel():
    mask = np.zeros((10, 20), bool)
    mask[2:8, 5:15] = True
    edge = silhouette_edge(mask, (20, 40))
    assert edge.shape == (20, 40)
    assert edge[4, 10:30].all() and not edge[8, 12:28].any()  # top row drawn, inside not


def test_farm_match_passes_the_box_on(tmp_path: Path):
    plate, _ = _plate(tmp_path / "plate.png")
    out = tmp_path / "f"
    ok = CliRunner().invoke(farm, ["match", str(plate), "--out", str(out), "--option",
                                   "subject_box=[330,80,120,120]", "--option", "rounds=0",
                                   "--option", "max_iterations=0", "--no-progress"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(next(out.rglob("match.json")).read_text())
    assert data["subject"]["from"] == "box"
    assert data["subject"]["box"] == [330.0, 80.0, 120.0, 120.0]


def test_no_subject_found_says_how_to_give_it():
    xx = np.mgrid[0:90, 0:160][1]
    flat = np.dstack([0.2 + 0.001 * xx] * 3).astype(np.float32)  # a backdrop, nothing on it
    result = match(flat, **FAST).result
    assert result.subject["from"] == "none" and not result.subject["found"]
    assert result.subject["note"] == NO_SUBJECT_HINT
    assert "no subject found" in result.message
    boxed = match(flat, subject_box=(40, 20, 60, 50), **FAST).result  # nothing in it either
    assert boxed.subject["from"] == "none"
    assert boxed.subject["note"] == NO_SUBJECT_HINT


def test_a_large_still_is_matched_on_its_area_average(tmp_path: Path):
    """A still over ``ANALYSIS_SIDE`` is averaged down before the analysis: the same lights
    as matching the averaged still, and a box still read in the large still's pixels."""
    from moks_graph.nodes.imaging.image_input import as_linear_rgb
    from moks_graph.nodes.inverse.render import ANALYSIS_SIDE, area_reduce

    plate, _ = _plate(tmp_path / "small.png", 270, 480)
    small = iio.imread(plate)
    large = np.repeat(np.repeat(small, 9, axis=0), 9, axis=1)  # 2430 x 4320
    assert max(large.shape) > ANALYSIS_SIDE
    averaged = area_reduce(as_linear_rgb(large))
    assert max(averaged.shape) <= ANALYSIS_SIDE
    big, ref = match(large, **FAST).result, match(averaged, **FAST).result
    assert (big.key_azimuth_deg, big.key_elevation_deg) == (ref.key_azimuth_deg,
                                                            ref.key_elevation_deg)
    boxed = match(large, subject_box=(330 * 9, 80 * 9, 120 * 9, 120 * 9), **FAST).result
    assert boxed.subject["centre_x"] == pytest.approx(0.31, abs=0.02)
