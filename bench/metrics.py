"""Image metrics cost versus one Gaussian blur, on a 1920 x 1080 synthetic frame.

Prints the median time of the blur, the 15 metrics, Lotus and Betti, and the ratio
(metrics + Lotus + Betti) / blur, the target being <= 10x.

Usage: python bench/metrics.py [--repeat 7]

Details (moved from this docstring, issue 15): docs/benchmarks.md#benchmetricspy
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

# isort: off
import moks_graph  # noqa: F401  (first: it pins numpy's kernels, moks_graph/numerics.py)
# isort: on
import numpy as np
from scipy import ndimage

from moks_graph.nodes.imaging.colorimetry import luminance, rgb_from_cct_duv
from moks_graph.nodes.imaging.metrics import extract_metrics
from moks_graph.nodes.imaging.synthetic import lambertian_sphere
from moks_graph.nodes.topology.betti import betti_signature, persistent_betti
from moks_graph.nodes.topology.lotus import lotus_point
from moks_graph.rng import generator

HEIGHT, WIDTH = 1080, 1920


def synthetic_frame() -> np.ndarray:
    """A deterministic 1920 x 1080 float32 linear RGB test frame."""
    rng = generator(2024, "bench_metrics", "frame")
    lum = lambertian_sphere(HEIGHT, WIDTH, (820.0, 560.0), 330.0,
                            [(35.0, 25.0, 1.0), (-60.0, 0.0, 0.25)], background=0.0)
    cols = np.arange(WIDTH)[None, :]
    backdrop = 0.02 + 0.03 * cols / WIDTH + 0.01 * rng.random((HEIGHT, WIDTH))
    lum = np.where(lum > 0.0, lum, backdrop)
    lum[:220, 1500:] = 3.0  # blown-out window touching the border
    lum[rng.integers(0, HEIGHT, 400), rng.integers(0, WIDTH, 400)] = 8.0  # specks
    tint = rgb_from_cct_duv(4300.0, 0.002)
    return (lum[:, :, None] * tint).astype(np.float32)


def median_time(fn: Callable[[], Any], repeat: int) -> float:
    """Median wall time of ``repeat`` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    img = synthetic_frame()
    lum = luminance(img)
    mask = lum > np.median(lum)

    reference = median_time(lambda: ndimage.gaussian_filter(img, sigma=2), args.repeat)
    geometric = median_time(lambda: extract_metrics(img, method="geometric"), args.repeat)
    lotus = median_time(lambda: lotus_point(lum), args.repeat)
    betti = median_time(lambda: betti_signature(mask), args.repeat)
    heuristic = median_time(lambda: extract_metrics(img, method="heuristic"), args.repeat)
    persistent = median_time(lambda: persistent_betti(lum), args.repeat)

    total = geometric + lotus + betti
    print(f"frame {WIDTH} x {HEIGHT} float32 RGB, median of {args.repeat} runs")
    print(f"  (a) gaussian_filter(img, sigma=2)          {reference * 1e3:8.1f} ms")
    print(f"  (b) extract_metrics(method='geometric')     {geometric * 1e3:8.1f} ms")
    print(f"  (c) lotus_point(full-res luminance)         {lotus * 1e3:8.1f} ms")
    print(f"  (d) betti_signature(full-res mask)          {betti * 1e3:8.1f} ms")
    print(f"  (e) extract_metrics(method='heuristic')     {heuristic * 1e3:8.1f} ms")
    print(f"      persistent_betti(full-res luminance)    {persistent * 1e3:8.1f} ms")
    print(f"ratio (b + c + d) / (a) = {total / reference:.2f}x  (target <= 10x)")
    print(f"ratio (e) / (a)         = {heuristic / reference:.2f}x")
    metrics = extract_metrics(img, method="geometric")
    print("geometric metrics: " + ", ".join(f"{k}={v:.4g}" for k, v in metrics.items()))


if __name__ == "__main__":
    main()
