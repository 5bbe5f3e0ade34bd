"""The cross-host equality check: the product's promise, "same math, same numbers, every host".

Every starter scenario (``graphs/*.mgraph``, all eleven, three with a moving
subject, their full frame ranges: 96-240 frames, so no shortening is needed to
stay fast) is baked
with ``moks_graph.hosts.bake.bake`` (what ``moks bake`` runs) to USD
(``.usdc``), Blender (``.blend``) and Maya ASCII (``.ma``). Each file is read
back by its own reader (``read_usd`` with pxr, ``read_blend`` with bpy,
``read_ma`` with the .ma parser), which converts host units back to internal
ones (metres, Z-up, degrees, candela), and every channel is compared with the
engine's own values (``bake_graph``, no host involved):

* same objects and kinds, same channel names, same frame numbers (exactly)
  and fps;
* every non-rotation sample within ``|host - engine| <= 1e-6 |engine| + 1e-12``
  (relative 1e-6; the 1e-12 absolute floor only matters for exact zeros).
  Float32 storage is the only loss: USD's schema attributes for lens and
  lights (focalLength, apertures, focusDistance, fStop, intensity, color,
  radius, width/height, cone angle/softness, colorTemperature) are float32
  and every Blender key is float32, so those channels read back to about
  6e-8 relative (light intensity, which also goes through the float32
  radius or size, to about 1e-7): inside 1e-6. Maya ASCII writes doubles
  with ``repr``: about 1e-16.
* rotations are compared as rotation matrices ``R = Rz Ry Rx`` of the Euler
  XYZ angles, every entry within 1e-6 (the matrices are orthonormal, so this
  absolute bound is a relative one). Euler angles cannot be compared one by
  one across hosts: USD stores an orientation quaternion (``quatf``, float32),
  whose angles near 0 come back as about ±3e-6 degrees instead of exactly 0,
  and Maya stores the Euler angles of its Y-up frame, which come back equal
  only modulo 360 degrees. Blender and Maya, which store Euler angles, must in
  addition match angle by angle after wrapping the difference to ±180 degrees
  (to the same 1e-6 relative).

bpy is imported once per test process (module-scoped fixture).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import moks_graph as mg
from moks_graph import rotations
from moks_graph.channels import Channels
from moks_graph.hosts.bake import bake, bake_graph

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"
STARTERS = sorted(p.stem for p in GRAPHS.glob("*.mgraph"))
RTOL = 1e-6
ATOL = 1e-12
MATRIX_ATOL = 1e-6
ROTATIONS = ("rx", "ry", "rz")
#: host -> (output suffix, does the host store Euler angles)
HOSTS: dict[str, tuple[str, bool]] = {"usd": (".usdc", False), "blender": (".blend", True),
                                      "maya": (".ma", True)}


def test_all_eleven_starters_are_checked():
    assert len(STARTERS) == 11


@pytest.fixture(scope="module")
def readers() -> dict[str, Callable[[Any], Channels]]:
    """The three readers; bpy and pxr are imported once for the module."""
    pytest.importorskip("pxr")
    pytest.importorskip("bpy")
    from moks_graph.hosts.blender.reader import read_blend
    from moks_graph.hosts.maya.ma_parser import read_ma
    from moks_graph.hosts.usd.reader import read_usd

    return {"usd": read_usd, "blender": read_blend, "maya": read_ma}


@pytest.fixture(scope="module")
def engine() -> dict[str, tuple[mg.Graph, Channels]]:
    """Each starter graph and the engine's own channels for it."""
    out = {}
    for name in STARTERS:
        graph = mg.load(GRAPHS / f"{name}.mgraph")
        out[name] = (graph, bake_graph(graph))
    return out


def assert_same_numbers(got: Channels, want: Channels, *, euler: bool, where: str) -> None:
    """The comparison documented in the module docstring."""
    assert dict(got.kinds) == dict(want.kinds), where
    assert sorted(got) == sorted(want), where
    np.testing.assert_array_equal(got.time.frames, want.time.frames, err_msg=where)
    assert got.time.fps == want.time.fps, where
    for name in want:
        if name.rpartition(".")[2] in ROTATIONS:
            continue
        np.testing.assert_allclose(got[name], want[name], rtol=RTOL, atol=ATOL,
                                   err_msg=f"{where}: {name}")
    for obj in want.kinds:
        if f"{obj}.rx" not in want:
            continue
        r_got = rotations.euler_angles_to_matrix(*(got[f"{obj}.{a}"] for a in ROTATIONS))
        r_want = rotations.euler_angles_to_matrix(*(want[f"{obj}.{a}"] for a in ROTATIONS))
        np.testing.assert_allclose(r_got, r_want, rtol=0, atol=MATRIX_ATOL,
                                   err_msg=f"{where}: {obj} rotation matrix")
        if euler:
            for a in ROTATIONS:
                w = want[f"{obj}.{a}"]
                wrapped = (got[f"{obj}.{a}"] - w + 180.0) % 360.0 - 180.0
                bound = RTOL * np.abs(w) + ATOL
                assert np.all(np.abs(wrapped) <= bound), (
                    f"{where}: {obj}.{a} differs by up to {np.abs(wrapped).max():.3g} deg")


@pytest.mark.parametrize("host", sorted(HOSTS))
@pytest.mark.parametrize("scenario", STARTERS)
def test_every_host_reads_back_the_engine_numbers(tmp_path, readers, engine, scenario, host):
    graph, want = engine[scenario]
    suffix, euler = HOSTS[host]
    result = bake(graph, host, tmp_path / f"{scenario}{suffix}")
    assert result.path.is_file()
    got = readers[host](result.path)
    assert_same_numbers(got, want, euler=euler, where=f"{scenario} -> {host}")


def test_the_check_catches_a_wrong_channel(engine):
    """The comparison fails for a 2e-6 relative lens error, a 1e-4 degree tilt, an angle off
    by 1e-7 degree where the engine says 0, and a missing channel; it passes a 360 degree turn."""
    _, want = engine[STARTERS[0]]
    obj = next(o for o, k in want.kinds.items() if k == "camera")

    def edited(name: str, fn: Callable[[np.ndarray], np.ndarray],
               base: Channels = want) -> Channels:
        values = {k: (fn(v) if k == name else v) for k, v in base.items()}
        return Channels(base.time, values, base.kinds)

    assert_same_numbers(edited(f"{obj}.focal_length", lambda v: v * (1 + 5e-7)), want,
                        euler=True, where="ok")
    assert_same_numbers(edited(f"{obj}.rz", lambda v: v + 360.0), want, euler=True, where="turn")
    with pytest.raises(AssertionError, match="focal_length"):
        assert_same_numbers(edited(f"{obj}.focal_length", lambda v: v * (1 + 2e-6)), want,
                            euler=False, where="lens")
    with pytest.raises(AssertionError, match="rotation matrix"):
        assert_same_numbers(edited(f"{obj}.rx", lambda v: v + 1e-4), want,
                            euler=False, where="tilt")
    level = edited(f"{obj}.ry", np.zeros_like)
    tiny = edited(f"{obj}.ry", lambda v: v + 1e-7, level)
    assert_same_numbers(tiny, level, euler=False, where="matrix only")
    with pytest.raises(AssertionError, match="differs by up to"):
        assert_same_numbers(tiny, level, euler=True, where="euler")
    with pytest.raises(AssertionError):
        assert_same_numbers(Channels(want.time, {k: v for k, v in want.items()
                                                 if k != f"{obj}.fstop"}, want.kinds),
                            want, euler=False, where="missing")
