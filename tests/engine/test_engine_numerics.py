"""The same bits on every x86 machine: ``import moks_graph`` keeps numpy's AVX-512 kernels
off (``moks_graph.numerics``; docs/determinism.md). The rigs' stored fingerprints
(``tests/nodes/camera/test_camera_rig_classes.py``, taken on an AVX2 machine) are the
cross-machine check; these tests check the pin itself, in fresh processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from moks_graph import numerics


def _fresh(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in (numerics.ENV, numerics.BLAS_ENV)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**clean, **env}, timeout=120, check=False)


def _machine_has_avx512() -> bool:
    out = _fresh("import numpy, json; from moks_graph.numerics import avx512_kernels; "
                 "print(json.dumps(avx512_kernels()))")
    return bool(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_moks_graph_first_pins_the_canonical_kernels():
    out = _fresh("import os, json, moks_graph, numpy\n"
                 "from moks_graph.numerics import ENV, canonical\n"
                 "print(json.dumps([canonical(), os.environ.get(ENV)]))")
    assert out.returncode == 0, out.stderr
    is_canonical, value = json.loads(out.stdout.strip().splitlines()[-1])
    assert is_canonical and value.split() == list(numerics.AVX512)
    assert "RuntimeWarning" not in out.stderr


def test_numpy_first_on_an_avx512_machine_warns_and_names_the_fix():
    if not _machine_has_avx512():
        pytest.skip("this CPU has no AVX-512: numpy's kernels are the canonical ones anyway")
    out = _fresh("import numpy, moks_graph\n"
                 "from moks_graph.numerics import canonical\nprint(canonical())")
    assert out.stdout.strip().splitlines()[-1] == "False"
    assert "AVX-512" in out.stderr and numerics.ENV in out.stderr


def test_a_users_own_setting_is_left_alone():
    out = _fresh("import os, moks_graph\nprint(os.environ['NPY_DISABLE_CPU_FEATURES'])",
                 NPY_DISABLE_CPU_FEATURES="AVX512F")
    assert out.stdout.strip().splitlines()[-1] == "AVX512F"


def test_this_test_process_is_canonical():
    assert numerics.canonical(), numerics.avx512_kernels()
    assert numerics.pin() is False  # numpy is imported: too late, and already pinned


def test_a_feature_numpy_cannot_dispatch_to_is_no_kernel_in_use():
    """numpy 1.26 on a Sapphire Rapids CPU: ``AVX512_SPR`` is on, but not a dispatch target
    of that build, so no kernel uses it; a dispatched target left on is one."""
    dispatch = ["AVX2", "AVX512F", "AVX512_SKX", "AVX512_ICL"]
    assert numerics.in_use({"AVX512F": False, "AVX512_SPR": True}, dispatch) == []
    assert numerics.in_use({"AVX512_SKX": True, "AVX512_SPR": True}, dispatch) == ["AVX512_SKX"]


def test_avx2_and_fma_are_read_from_the_cpu_flags():
    flags = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma bmi2\n"
    assert numerics.avx2_fma(flags)
    assert not numerics.avx2_fma("flags\t\t: fpu sse2 avx\n")
    assert not numerics.avx2_fma("")


def test_import_moks_graph_first_pins_openblas_to_one_kernel_set():
    """OpenBLAS picks its kernels by CPU; on every AVX2 machine they are Haswell's, so a
    farm of mixed Xeons computes one set of bits, and a user's own choice stays."""
    out = _fresh("import os, moks_graph\nprint(os.environ.get('OPENBLAS_CORETYPE'))")
    expected = numerics.BLAS_CORE if numerics.avx2_fma() else "None"
    assert out.stdout.strip().splitlines()[-1] == expected
    out = _fresh("import os, moks_graph\nprint(os.environ.get('OPENBLAS_CORETYPE'))",
                 OPENBLAS_CORETYPE="Zen")
    assert out.stdout.strip().splitlines()[-1] == "Zen"
