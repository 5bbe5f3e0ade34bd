"""Rotation conventions, the one module for nodes and hosts.

Entry points: :func:`euler_xyz_to_matrix`, :func:`matrix_to_euler_xyz`,
:func:`continuous_euler_xyz`.

Details (moved from this docstring, issue 15): docs/architecture.md#moks_graphrotationspy
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

_GIMBAL_EPS = 1e-9


def finite_array(name: str, values: ArrayLike) -> np.ndarray:
    """``values`` as a contiguous float64 array; ``ValueError`` naming ``name`` if NaN or Inf."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim and not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite (got NaN or Inf)")
    return arr


def column(values: np.ndarray, index: int) -> np.ndarray:
    """``values[..., index]`` as a contiguous array (see the module docstring)."""
    return np.ascontiguousarray(values[..., index])


def entry(matrices: np.ndarray, row: int, col: int) -> np.ndarray:
    """``matrices[..., row, col]`` as a contiguous array."""
    return np.ascontiguousarray(matrices[..., row, col])


def _rotation(axis: int, angle_rad: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    one, zero = np.ones_like(c), np.zeros_like(c)
    if axis == 0:
        rows = [[one, zero, zero], [zero, c, -s], [zero, s, c]]
    elif axis == 1:
        rows = [[c, zero, s], [zero, one, zero], [-s, zero, c]]
    else:
        rows = [[c, -s, zero], [s, c, zero], [zero, zero, one]]
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def matmul3(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for stacks of 3x3 matrices, summed in a fixed order per element (no BLAS)."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    out = np.empty(a.shape, dtype=np.float64)
    for i in range(3):
        for k in range(3):
            out[..., i, k] = a[..., i, 0] * b[..., 0, k] + a[..., i, 1] * b[..., 1, k] + (
                a[..., i, 2] * b[..., 2, k]
            )
    return out


def euler_xyz_to_matrix(euler_deg: ArrayLike) -> np.ndarray:
    """``(..., 3)`` Euler XYZ degrees -> ``(..., 3, 3)`` matrices ``Rz(rz) @ Ry(ry) @ Rx(rx)``."""
    e = np.radians(finite_array("euler_deg", euler_deg))
    if e.shape[-1:] != (3,):
        raise ValueError(f"euler_deg must have a last axis of 3, got shape {e.shape}")
    rx, ry, rz = (_rotation(axis, column(e, axis)) for axis in range(3))
    return matmul3(rz, matmul3(ry, rx))


def matrix_to_euler_xyz(matrix: ArrayLike) -> np.ndarray:
    """``(..., 3, 3)`` rotation matrices -> Euler XYZ degrees (inverse of the above).

    ``ry = atan2(-R20, hypot(R00, R10))`` in [-90, 90], ``rx = atan2(R21, R22)``,
    ``rz = atan2(R10, R00)``. At gimbal lock (``|ry| = 90``) ``rx = 0`` and
    ``rz = atan2(-R01, R11)``.
    """
    m = finite_array("matrix", matrix)
    if m.shape[-2:] != (3, 3):
        raise ValueError(f"matrix must have trailing shape (3, 3), got {m.shape}")
    r00, r01, r10, r11 = entry(m, 0, 0), entry(m, 0, 1), entry(m, 1, 0), entry(m, 1, 1)
    r20, r21, r22 = entry(m, 2, 0), entry(m, 2, 1), entry(m, 2, 2)
    cos_y = np.hypot(r00, r10)
    ry = np.arctan2(-r20, cos_y)
    locked = cos_y < 1e-12
    rx = np.where(locked, 0.0, np.arctan2(r21, r22))
    rz = np.where(locked, np.arctan2(-r01, r11), np.arctan2(r10, r00))
    return np.degrees(np.stack([rx, ry, rz], axis=-1))


def as_1d(x: ArrayLike, name: str) -> FloatArray:
    """A finite scalar or 1-D array as a 1-D float64 array (``ValueError`` naming ``name``)."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim > 1:
        raise ValueError(f"{name} must be a scalar or 1-D array, got shape {a.shape}")
    a = np.atleast_1d(a)
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def broadcast_1d(named: Sequence[tuple[str, ArrayLike]]) -> list[FloatArray]:
    """Named 1-D arrays broadcast to one length (``ValueError`` naming their shapes)."""
    arrays = [as_1d(v, n) for n, v in named]
    try:
        out = np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = ", ".join(f"{n}{a.shape}" for (n, _), a in zip(named, arrays, strict=True))
        raise ValueError(f"arrays of different lengths: {shapes}") from None
    return [np.array(a, dtype=np.float64) for a in out]


def euler_angles_to_matrix(rx: ArrayLike, ry: ArrayLike, rz: ArrayLike) -> FloatArray:
    """Rotation matrices ``Rz(rz) @ Ry(ry) @ Rx(rx)`` (degrees in), shape ``(n, 3, 3)``.

    :func:`euler_xyz_to_matrix` taking the three angles as separate arrays.
    """
    a, b, c = broadcast_1d([("rx", rx), ("ry", ry), ("rz", rz)])
    return euler_xyz_to_matrix(np.stack([a, b, c], axis=-1))


def _wrap180(x: FloatArray) -> FloatArray:
    return (x + 180.0) % 360.0 - 180.0


def continuous_euler_xyz(
    matrices: ArrayLike, *, near: ArrayLike | None = None,
    gimbal_zero: Literal["a", "c"] = "c",
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Continuous Euler XYZ angles (degrees) of rotation matrices ``(n, 3, 3)``.

    Inverse of :func:`euler_angles_to_matrix`. With ``R = Rz(c) Ry(b) Rx(a)``:
    ``b = atan2(-R20, hypot(R00, R10))``, ``a = atan2(R21, R22)``,
    ``c = atan2(R10, R00)``. At gimbal lock (``cos b = 0``) only ``a - c``
    (``b = +90°``) or ``a + c`` (``b = -90°``) is defined; ``c`` is then taken
    from the nearest earlier regular sample (or the first later one); with no
    regular sample at all, the angle named by ``gimbal_zero`` is set to 0.
    Continuity: per sample the equivalent solution ``(a+180, 180-b, c+180)``
    is swapped in when it is nearer the previous sample; then each angle is
    unwrapped. The first sample takes the solution nearest ``near`` (three
    angles, degrees) when given, else the one with the smallest
    ``|a| + |b| + |c|`` (angles folded into [-180, 180)).
    """
    if gimbal_zero not in ("a", "c"):
        raise ValueError(f"gimbal_zero must be 'a' or 'c', got {gimbal_zero!r}")
    r = np.asarray(matrices, dtype=np.float64)
    if r.ndim == 2:
        r = r[None]
    if r.ndim != 3 or r.shape[1:] != (3, 3):
        raise ValueError(f"matrices must have shape (n, 3, 3), got {r.shape}")
    n = r.shape[0]
    if n == 0:
        e = np.zeros(0)
        return e, e.copy(), e.copy()
    cb = np.hypot(r[:, 0, 0], r[:, 1, 0])
    b = np.arctan2(-r[:, 2, 0], cb)
    regular = cb > _GIMBAL_EPS
    a = np.arctan2(r[:, 2, 1], r[:, 2, 2])
    c = np.arctan2(r[:, 1, 0], r[:, 0, 0])
    if not regular.all():
        idx = np.arange(n)
        reg_idx = np.where(regular, idx, -1)
        prev = np.maximum.accumulate(reg_idx)
        if regular.any():
            first = int(np.argmax(regular))
            prev = np.where(prev < 0, first, prev)
            c_fill = c[prev]
        else:
            up0 = r[:, 2, 0] < 0
            phi = np.where(up0, np.arctan2(r[:, 0, 1], r[:, 1, 1]),
                           np.arctan2(-r[:, 0, 1], r[:, 1, 1]))
            # b = +90: a - c = phi; b = -90: a + c = phi.
            c_fill = np.where(up0, -phi, phi) if gimbal_zero == "a" else np.zeros(n)
        g = ~regular
        c = np.where(g, c_fill, c)
        up = r[:, 2, 0] < 0  # sin b = +1
        a_g = np.where(
            up,
            c + np.arctan2(r[:, 0, 1], r[:, 1, 1]),
            np.arctan2(-r[:, 0, 1], r[:, 1, 1]) - c,
        )
        a = np.where(g, a_g, a)
        b = np.where(g, np.where(up, np.pi / 2, -np.pi / 2), b)
    p = np.rad2deg(np.stack([a, b, c], -1))
    alt = np.stack([p[:, 0] + 180.0, 180.0 - p[:, 1], p[:, 2] + 180.0], -1)

    def dist(x: FloatArray, y: FloatArray) -> FloatArray:
        return np.sum(_wrap180(x - y) ** 2, axis=-1)

    toggle = np.zeros(n, dtype=np.int64)
    toggle[1:] = dist(p[1:], alt[:-1]) < dist(p[1:], p[:-1])
    if near is None:
        start_alt = np.abs(_wrap180(alt[0])).sum() < np.abs(_wrap180(p[0])).sum()
    else:
        ref = as_1d(near, "near")
        if ref.shape != (3,):
            raise ValueError(f"near must hold three angles, got shape {ref.shape}")
        start_alt = dist(alt[0], ref) < dist(p[0], ref)
    branch = (np.cumsum(toggle) + int(start_alt)) % 2
    e = np.where(branch[:, None] == 1, alt, p)
    e = np.unwrap(e, period=360.0, axis=0)
    if near is None:
        e = e - 360.0 * np.round(e[0] / 360.0)
    else:
        e = e - 360.0 * np.round((e[0] - ref) / 360.0)
    return e[:, 0].copy(), e[:, 1].copy(), e[:, 2].copy()


def matrix_to_quaternion(matrices: ArrayLike, *, previous: ArrayLike | None = None) -> FloatArray:
    """Unit quaternions ``(n, 4)`` as ``(w, x, y, z)`` of rotation matrices, sign-continuous.

    Shepperd's method (J. Guidance & Control 1(3), 1978): the largest of
    ``4w² = 1 + tr R``, ``4x² = 1 + R00 - R11 - R22`` (etc.) is taken from the
    diagonal and the others from off-diagonal sums, so no component loses
    precision. ``q`` and ``-q`` are the same rotation: sample ``k`` keeps the
    sign with ``q_k · q_{k-1} >= 0``; the first keeps the sign nearest
    ``previous`` (a quaternion) or else ``w >= 0``.
    """
    r = np.asarray(matrices, dtype=np.float64)
    if r.ndim == 2:
        r = r[None]
    if r.ndim != 3 or r.shape[1:] != (3, 3):
        raise ValueError(f"matrices must have shape (n, 3, 3), got {r.shape}")
    r00, r11, r22 = r[:, 0, 0], r[:, 1, 1], r[:, 2, 2]
    diag = np.stack([r00 + r11 + r22, r00 - r11 - r22, -r00 + r11 - r22, -r00 - r11 + r22], -1)
    k = np.argmax(diag, axis=1)
    s = 2.0 * np.sqrt(np.maximum(1.0 + np.take_along_axis(diag, k[:, None], 1)[:, 0], 1e-300))
    d21, d02, d10 = r[:, 2, 1] - r[:, 1, 2], r[:, 0, 2] - r[:, 2, 0], r[:, 1, 0] - r[:, 0, 1]
    s21, s02, s10 = r[:, 2, 1] + r[:, 1, 2], r[:, 0, 2] + r[:, 2, 0], r[:, 1, 0] + r[:, 0, 1]
    cand = np.stack([
        np.stack([s / 4, d21 / s, d02 / s, d10 / s], -1),
        np.stack([d21 / s, s / 4, s10 / s, s02 / s], -1),
        np.stack([d02 / s, s10 / s, s / 4, s21 / s], -1),
        np.stack([d10 / s, s02 / s, s21 / s, s / 4], -1),
    ], 1)
    q = cand[np.arange(len(k)), k]
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return quaternion_sign_continuity(q, previous=previous)


def quaternion_sign_continuity(q: ArrayLike, *, previous: ArrayLike | None = None) -> FloatArray:
    """Flip signs so consecutive quaternions have a non-negative dot product (see above)."""
    q = np.array(q, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] != 4:
        raise ValueError(f"quaternions must have shape (n, 4), got {q.shape}")
    if len(q) == 0:
        return q
    flips = np.ones(len(q))
    flips[1:] = np.where(np.sum(q[1:] * q[:-1], axis=1) < 0.0, -1.0, 1.0)
    if previous is None:
        first = -1.0 if q[0, 0] < 0.0 else 1.0
    else:
        ref = as_1d(previous, "previous")
        if ref.shape != (4,):
            raise ValueError(f"previous must be one quaternion (w, x, y, z), got {ref.shape}")
        first = -1.0 if float(q[0] @ ref) < 0.0 else 1.0
    flips[0] = first
    return q * np.cumprod(flips)[:, None]


def quaternion_to_matrix(q: ArrayLike) -> FloatArray:
    """Rotation matrices ``(n, 3, 3)`` of quaternions ``(n, 4)`` ``(w, x, y, z)`` (normalised)."""
    q = np.asarray(q, dtype=np.float64)
    if q.ndim == 1:
        q = q[None]
    if q.ndim != 2 or q.shape[1] != 4:
        raise ValueError(f"quaternions must have shape (n, 4), got {q.shape}")
    norm = np.linalg.norm(q, axis=1, keepdims=True)
    if not np.all(norm > 0) or not np.isfinite(q).all():
        raise ValueError("quaternions must be finite and non-zero")
    w, x, y, z = (q / norm).T
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], -2)
