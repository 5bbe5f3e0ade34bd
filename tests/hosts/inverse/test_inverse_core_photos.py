"""Photographs the matcher knows nothing about: any image gives a result, and the status
is honest about it (``docs/inverse.md`` tabulates the fitted keys against hand labels)."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data

from moks_graph.hosts.bake import bake
from moks_graph.hosts.inverse.match import match, write_outcome
from moks_graph.mgraph import load
from moks_graph.nodes.imaging.colorimetry import srgb_decode


@pytest.mark.parametrize("name", ["astronaut", "camera", "chelsea"])
def test_a_photo_gives_a_result_with_reasons_never_a_false_match(name, tmp_path):
    image = getattr(skimage.data, name)()
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    outcome = match(srgb_decode(image[..., :3] / 255.0).astype(np.float32), name=name,
                    rounds=1)
    result = outcome.result
    # whatever ambient the shading implies, the scene bakes: its sky is one a dome can show
    baked = bake(load(write_outcome(outcome, tmp_path) / "scene.mgraph"), "usd",
                 tmp_path / f"{name}.usda", frames=(1, 2))
    assert baked.path.is_file()
    assert result.status == "approximate" and result.reasons
    assert result.residual > 0.12  # the uniform-albedo subject model does not hold here
    assert 1000.0 <= result.key_cct_K <= 20000.0
    assert result.history[0].proposed_by == "estimator"


def test_a_face_makes_the_subject_a_person_read_from_a_head_proxy():
    pytest.importorskip("cv2")
    from moks_graph.hosts.inverse.faces import detect_faces

    image = srgb_decode(skimage.data.astronaut() / 255.0).astype(np.float32)
    faces = detect_faces(image)
    assert len(faces) == 1
    x, y, w, h = faces[0]
    assert 0.3 < x + w / 2 < 0.6 and 0.1 < y + h / 2 < 0.35  # her face, upper middle
    out = match(image, rounds=0)
    assert out.script is not None and out.script.subject.kind == "person"
    assert out.estimate is not None and out.estimate.face == faces[0]
    assert detect_faces(np.full((90, 160, 3), 0.2, dtype=np.float32)) == []


def test_a_portraits_hint_holds_the_key_above_and_says_the_shading_disagrees():
    """The astronaut's key reads from below (hair over the brow); the label's hint holds it
    above, on the hint's edge, and the result says where the shading alone put it."""
    pytest.importorskip("cv2")
    image = srgb_decode(skimage.data.astronaut() / 255.0).astype(np.float32)
    result = match(image, rounds=0, key_hint="left,above").result
    assert result.key_azimuth_deg < 0.0 and result.key_elevation_deg >= 0.0
    assert result.key_hint["unhinted_elevation_deg"] < 0.0
    assert not result.key_hint["unhinted_in_hint"]
    assert any(r.startswith("the shading alone puts the key outside the hint (left,above)")
               for r in result.reasons)
    assert result.subject["from"] == "face"
