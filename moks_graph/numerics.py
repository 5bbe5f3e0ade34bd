"""One floating-point result on every x86 machine: numpy's AVX-512 kernels kept off, and
OpenBLAS on one kernel set.

numpy dispatches float64 ``sin``, ``exp``, ``arctan2`` and their kin to Intel SVML on
CPUs with AVX-512 and to the C library elsewhere: both within about an ulp, not the same
bits. numpy reads ``NPY_DISABLE_CPU_FEATURES`` once, when it is first imported, and
numpy's and scipy's OpenBLAS read ``OPENBLAS_CORETYPE`` when they load: :func:`pin` sets
both before that (``import moks_graph`` does, so the ``moks`` commands and every process
they start compute the canonical bits). A process that imported numpy first (a DCC's
Python) keeps what it got; :func:`canonical` says whether numpy's kernels are the
canonical ones. docs/determinism.md has the details.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable
from typing import Final

ENV: Final[str] = "NPY_DISABLE_CPU_FEATURES"
AVX512: Final[tuple[str, ...]] = (
    "AVX512F", "AVX512CD", "AVX512_KNL", "AVX512_KNM", "AVX512_SKX", "AVX512_CLX",
    "AVX512_CNL", "AVX512_ICL", "AVX512_SPR")
"""numpy's AVX-512 dispatch targets (names a build or CPU lacks are ignored)."""


BLAS_ENV: Final[str] = "OPENBLAS_CORETYPE"
BLAS_CORE: Final[str] = "Haswell"
"""The OpenBLAS kernels every AVX2 machine runs (numpy's and scipy's OpenBLAS pick theirs
by CPU at load: SkylakeX on AVX-512 Xeons, whose results moved in the last bits from one
process to the next)."""


def avx2_fma(cpuinfo: str | None = None) -> bool:
    """Whether this CPU has AVX2 and FMA (``/proc/cpuinfo``'s flags; ``False`` where that
    cannot be read), so that OpenBLAS's Haswell kernels run on it."""
    def first_flags(lines: Iterable[str]) -> list[str]:
        line = next((line for line in lines if line.startswith("flags")), "")
        return line.partition(":")[2].split()

    if cpuinfo is not None:
        flags = first_flags(cpuinfo.splitlines())
    else:
        try:  # the first CPU's flags: read up to them, not every core's block
            with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
                flags = first_flags(f)
        except OSError:
            return False
    return "avx2" in flags and "fma" in flags


def pin() -> bool:
    """Keep numpy's AVX-512 kernels off in this process and the ones it starts, and run
    OpenBLAS's Haswell kernels on an AVX2 machine (``BLAS_CORE``); ``False`` when numpy
    is already imported (too late to change: a warning says so where its kernels are not
    the canonical ones) or the variable is set already. A user's own settings stay."""
    if "numpy" not in sys.modules and BLAS_ENV not in os.environ and avx2_fma():
        os.environ[BLAS_ENV] = BLAS_CORE
    if ENV in os.environ:
        return False
    if "numpy" in sys.modules:
        if not canonical():
            warnings.warn(
                "numpy was imported before moks_graph and uses its AVX-512 kernels: bakes in "
                "this process may differ in the last bits from other machines (set "
                f"{ENV}=\"{' '.join(AVX512)}\" before starting it; docs/determinism.md)",
                RuntimeWarning, stacklevel=3)
        return False
    os.environ[ENV] = " ".join(AVX512)
    return True


def in_use(features: dict[str, bool], dispatch: list[str]) -> list[str]:
    """The AVX-512 targets that are both built into numpy's dispatch and left on.

    A CPU feature numpy was not built to dispatch to (numpy 1.26 on a Sapphire Rapids
    CPU reports ``AVX512_SPR``) selects no kernel, and ``NPY_DISABLE_CPU_FEATURES`` does
    not turn its flag off: it is not in use.
    """
    return [name for name in AVX512 if name in dispatch and features.get(name, False)]


def avx512_kernels() -> list[str]:
    """The AVX-512 targets numpy dispatches to in this process (empty: canonical)."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__ as dispatch
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # numpy 1.x
        from numpy.core._multiarray_umath import __cpu_dispatch__ as dispatch
        from numpy.core._multiarray_umath import __cpu_features__ as features

    return in_use(features, list(dispatch))


def canonical() -> bool:
    """Whether this process computes the canonical bits (no AVX-512 kernel in use)."""
    return not avx512_kernels()
