"""Look-at rotation, subject framing and Euler XYZ conversion for a Blender-convention camera.

The details (moved from this docstring): docs/classic-mode.md, "Module notes",
`nodes/camera/lookat.py`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from moks_graph.nodes.camera._checks import finite_array, positive
from moks_graph.rotations import (  # the engine's convention; re-exported for the rigs
    column,
    entry,
    euler_xyz_to_matrix,
    matmul3,
    matrix_to_euler_xyz,
)

__all__ = ["column", "entry", "euler_xyz_to_matrix", "matmul3", "matrix_to_euler_xyz"]


def unwrap_to_reference(angles_deg: ArrayLike, reference_deg: ArrayLike) -> np.ndarray:
    """Each angle moved by a multiple of 360 to lie within 180 of its reference (elementwise)."""
    a = finite_array("angles_deg", angles_deg)
    ref = finite_array("reference_deg", reference_deg)
    return ref + (np.mod(a - ref + 180.0, 360.0) - 180.0)


def framing_offset(
    screen_x: ArrayLike,
    screen_y: ArrayLike,
    focal_length: ArrayLike,
    sensor_width: float,
    sensor_height: float,
    roll_deg: ArrayLike = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Tangent offsets ``(P, Q)`` of a subject at screen ``(screen_x, screen_y)`` (level camera).

    ``screen_x, screen_y`` in frame widths/heights from the centre (+x right, +y up),
    ``focal_length`` and sensor sizes in mm, ``roll_deg`` the camera roll. See the module
    docstring for the formulas; :func:`look_at_matrix` turns them into the aim rotation.
    """
    sx = finite_array("screen_x", screen_x)
    sy = finite_array("screen_y", screen_y)
    f = finite_array("focal_length", focal_length)
    if np.any(f <= 0.0):
        raise ValueError("focal_length must be > 0 mm")
    w = positive("sensor_width", sensor_width)
    h = positive("sensor_height", sensor_height)
    r = np.radians(finite_array("roll_deg", roll_deg))
    p, q = sx * w / f, sy * h / f
    return p * np.cos(r) - q * np.sin(r), p * np.sin(r) + q * np.cos(r)


def _points(name: str, values: ArrayLike) -> np.ndarray:
    arr = finite_array(name, values)
    if arr.shape[-1:] != (3,) or arr.ndim > 2:
        raise ValueError(f"{name} must be (3,) or (N, 3) metres, got shape {arr.shape}")
    return arr.reshape(-1, 3)


def _aim(
    camera: ArrayLike,
    target: ArrayLike,
    roll_deg: ArrayLike,
    screen_x: float,
    screen_y: float,
    focal_length: ArrayLike,
    sensor_width: float,
    sensor_height: float,
    reference_azimuth_deg: ArrayLike | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(matrices (N,3,3), heading_deg (N,), pitch_deg (N,))`` of the framed camera."""
    cam = _points("camera", camera)
    tgt = _points("target", target)
    cam, tgt = np.broadcast_arrays(cam, tgt)
    n = cam.shape[0]
    w = tgt - cam
    wx, wy, wz = column(w, 0), column(w, 1), column(w, 2)
    horizontal = np.hypot(wx, wy)
    if np.any((horizontal == 0.0) & (wz == 0.0)):
        raise ValueError("target coincides with the camera position: no look-at direction")
    azimuth = np.arctan2(wy, wx)
    if reference_azimuth_deg is None:
        azimuth = np.unwrap(azimuth)
    else:
        ref = np.broadcast_to(finite_array("reference_azimuth_deg", reference_azimuth_deg), (n,))
        azimuth = np.radians(unwrap_to_reference(np.degrees(azimuth), ref))
    elevation = np.arctan2(wz, horizontal)
    roll = np.ascontiguousarray(
        np.broadcast_to(np.radians(finite_array("roll_deg", roll_deg)), (n,))
    )
    big_p, big_q = framing_offset(
        screen_x, screen_y, focal_length, sensor_width, sensor_height, np.degrees(roll)
    )
    big_p = np.ascontiguousarray(np.broadcast_to(big_p, (n,)))
    big_q = np.ascontiguousarray(np.broadcast_to(big_q, (n,)))
    norm = np.sqrt(1.0 + big_p * big_p + big_q * big_q)
    sine = np.clip(norm * np.sin(elevation) / np.sqrt(1.0 + big_q * big_q), -1.0, 1.0)
    pitch = np.arcsin(sine) - np.arctan(big_q)
    heading = azimuth + np.arctan2(big_p, np.cos(pitch) - big_q * np.sin(pitch))
    cp, sp, ch, sh = np.cos(pitch), np.sin(pitch), np.cos(heading), np.sin(heading)
    right = np.stack([sh, -ch, np.zeros(n)], axis=-1)
    up = np.stack([-sp * ch, -sp * sh, cp], axis=-1)
    back = -np.stack([cp * ch, cp * sh, sp], axis=-1)
    cr, sr = np.cos(roll)[:, None], np.sin(roll)[:, None]
    rolled_right = cr * right + sr * up
    rolled_up = -sr * right + cr * up
    matrices = np.stack([rolled_right, rolled_up, back], axis=-1)
    return matrices, np.degrees(heading), np.degrees(pitch)


def look_at_matrix(
    camera: ArrayLike,
    target: ArrayLike,
    roll_deg: ArrayLike = 0.0,
    screen_x: float = 0.0,
    screen_y: float = 0.0,
    focal_length: ArrayLike = 50.0,
    sensor_width: float = 36.0,
    sensor_height: float = 24.0,
) -> np.ndarray:
    """``(N, 3, 3)`` world rotation of a camera at ``camera`` framing ``target`` (metres).

    ``camera`` and ``target`` are ``(3,)`` or ``(N, 3)``; the subject lands at
    ``(screen_x, screen_y)`` (frame fractions, +x right, +y up) with a level horizon rolled by
    ``roll_deg``. Columns are the camera's right, up and back axes.
    """
    return _aim(
        camera, target, roll_deg, screen_x, screen_y, focal_length, sensor_width, sensor_height,
        0.0,
    )[0]


def look_at_euler(
    camera: ArrayLike,
    target: ArrayLike,
    roll_deg: ArrayLike = 0.0,
    screen_x: float = 0.0,
    screen_y: float = 0.0,
    focal_length: ArrayLike = 50.0,
    sensor_width: float = 36.0,
    sensor_height: float = 24.0,
    reference_azimuth_deg: ArrayLike | None = None,
    world_rotation: ArrayLike | None = None,
    local_rotation_deg: ArrayLike | None = None,
) -> np.ndarray:
    """``(N, 3)`` continuous Euler XYZ degrees of the framed look-at camera.

    ``R = world_rotation @ R_aim @ euler_xyz_to_matrix(local_rotation_deg)``: the optional
    ``(N, 3, 3)`` ``world_rotation`` tilts the whole camera (a dolly rocking on its track), the
    optional ``(N, 3)`` ``local_rotation_deg`` adds (tilt, pan, roll) about the camera's own
    right, up and back axes (handheld jitter). ``reference_azimuth_deg`` is a continuous reference
    for the subject azimuth (see the module docstring); angles are unwrapped to the analytic aim
    so the result is continuous and chunk-independent when a reference is given.
    """
    matrices, heading, pitch = _aim(
        camera, target, roll_deg, screen_x, screen_y, focal_length, sensor_width, sensor_height,
        reference_azimuth_deg,
    )
    if world_rotation is not None:
        matrices = matmul3(finite_array("world_rotation", world_rotation), matrices)
    if local_rotation_deg is not None:
        matrices = matmul3(matrices, euler_xyz_to_matrix(local_rotation_deg))
    euler = matrix_to_euler_xyz(matrices)
    reference = np.stack([90.0 + pitch, np.zeros_like(pitch), heading - 90.0], axis=-1)
    return unwrap_to_reference(euler, reference)


def project_to_screen(
    camera: ArrayLike,
    euler_deg: ArrayLike,
    points: ArrayLike,
    focal_length: ArrayLike,
    sensor_width: float,
    sensor_height: float,
) -> np.ndarray:
    """Screen positions ``(N, 2)`` (frame fractions, +x right, +y up) of world ``points``.

    Pinhole projection through a camera at ``camera`` with rotation ``euler_deg``; points behind
    the camera get NaN-free but meaningless values, check ``depth`` with :func:`camera_space`.
    """
    local = camera_space(camera, euler_deg, points)
    f = finite_array("focal_length", focal_length)
    depth = -column(local, 2)
    sx = f / positive("sensor_width", sensor_width) * column(local, 0) / depth
    sy = f / positive("sensor_height", sensor_height) * column(local, 1) / depth
    return np.stack([sx, sy], axis=-1)


def camera_space(camera: ArrayLike, euler_deg: ArrayLike, points: ArrayLike) -> np.ndarray:
    """World ``points`` in camera coordinates ``R^T (p - camera)`` (``-z`` is in front)."""
    cam = _points("camera", camera)
    pts = _points("points", points)
    rot = euler_xyz_to_matrix(np.reshape(euler_deg, (-1, 3)))
    d = pts - cam
    columns = [
        rot[:, 0, k] * d[:, 0] + rot[:, 1, k] * d[:, 1] + rot[:, 2, k] * d[:, 2] for k in range(3)
    ]
    return np.stack(columns, axis=-1)


def azimuth_reference(
    u_grid: ArrayLike, camera_grid: ArrayLike, target_grid: ArrayLike, u: ArrayLike
) -> np.ndarray:
    """Continuous subject azimuth (degrees) at path parameters ``u``.

    The azimuth from camera to target is computed on a fixed grid of the path parameter
    (``u_grid``, increasing, independent of any time array), unwrapped along that grid and
    interpolated at ``u``: a pure function of ``u`` for :func:`look_at_euler`'s
    ``reference_azimuth_deg``.
    """
    grid = finite_array("u_grid", u_grid).reshape(-1)
    cam = _points("camera_grid", camera_grid)
    tgt = _points("target_grid", target_grid)
    cam, tgt = np.broadcast_arrays(cam, tgt)
    if cam.shape[0] != grid.shape[0]:
        raise ValueError("camera_grid/target_grid must have one row per u_grid value")
    d = tgt - cam
    azimuth = np.degrees(np.unwrap(np.arctan2(column(d, 1), column(d, 0))))
    return np.interp(finite_array("u", u), grid, azimuth)
