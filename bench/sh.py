"""Benchmark: L=2 SH projection of a 2048x1024 HDRI against numpy.sum over it x27.

Run: ``.venv/bin/python bench/sh.py``. Prints the best-of-N wall time of
:func:`moks_graph.nodes.environment.sh.project_hdri` on a float32 2048x1024 RGB
map and of 27 ``numpy.sum`` passes over the same map (one per output float),
and their ratio. Target: ratio <= 2 (projection costs no more than reading
the map 54 times); a ratio, not an absolute time, so it holds across machines.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# isort: off
import moks_graph  # noqa: F401  (first: it pins numpy's kernels, moks_graph/numerics.py)
# isort: on
import numpy as np

from moks_graph.nodes.environment.sh import project_hdri
from moks_graph.nodes.environment.skies import sun_sky


def best_of(fn: Callable[[], object], repeats: int = 7) -> float:
    """Smallest wall time in seconds over ``repeats`` calls (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    hdri = np.ascontiguousarray(np.tile(sun_sky(256), (4, 4, 1)))  # 1024 x 2048, float32
    assert hdri.shape == (1024, 2048, 3)
    t_project = best_of(lambda: project_hdri(hdri))
    t_sum27 = best_of(lambda: [np.sum(hdri) for _ in range(27)])
    ratio = t_project / t_sum27
    print(f"HDRI {hdri.shape[1]}x{hdri.shape[0]} {hdri.dtype}")
    print(f"project_hdri      : {t_project * 1e3:8.2f} ms")
    print(f"numpy.sum x27     : {t_sum27 * 1e3:8.2f} ms")
    print(f"ratio             : {ratio:8.3f}  (target <= 2)")


if __name__ == "__main__":
    main()
