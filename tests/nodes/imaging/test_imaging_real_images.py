"""The extractor on real photographs from scikit-image: finite and within documented ranges."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from moks_graph.nodes.imaging.image_input import as_linear_rgb
from moks_graph.nodes.imaging.metrics import METRICS, extract_metrics

IMAGES = ("astronaut", "camera", "coffee", "chelsea")


@pytest.mark.parametrize("name", IMAGES)
@pytest.mark.parametrize("method", ["heuristic", "geometric"])
def test_real_images_give_finite_in_range_metrics(name: str, method: str) -> None:
    image = getattr(data, name)()  # uint8 sRGB: linearised by as_linear_rgb
    linear = as_linear_rgb(image)
    assert linear.dtype == np.float32 and linear.shape[2] == 3
    result = extract_metrics(linear, method=method)  # type: ignore[arg-type]
    assert list(result) == list(METRICS)
    for key, value in result.items():
        assert np.isfinite(value), key
        assert METRICS[key].lo <= value <= METRICS[key].hi, (key, value)
    assert result == extract_metrics(image, method=method)  # type: ignore[arg-type]


def test_greyscale_photograph_is_neutral() -> None:
    result = extract_metrics(data.camera())
    assert result["saturation"] == pytest.approx(0.0, abs=1e-6)
    assert result["cct"] == pytest.approx(6504.0, abs=15.0)
    assert result["duv"] == pytest.approx(0.0032, abs=2e-4)
