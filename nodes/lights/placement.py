"""Light placement from SceneScript angles around a focal target.

The details (moved from this docstring): docs/classic-mode.md, "Module notes",
`nodes/lights/placement.py`.
"""

from __future__ import annotations

import numpy as np

from moks_graph.nodes.camera.lookat import (
    column,
    euler_xyz_to_matrix,
    matrix_to_euler_xyz,
    unwrap_to_reference,
)
from moks_graph.nodes.lights.series import ArrayLike, as_points, as_series, infer_count

__all__ = [
    "aim_light",
    "euler_xyz_to_matrix",
    "ground_frame",
    "light_direction",
    "look_at_matrix",
    "matrix_to_euler_xyz",
    "place_light",
]

_WORLD_UP = np.array([0.0, 0.0, 1.0])
_EPS = 1e-9


def _normalise(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors along the last axis and their original lengths."""
    length = np.linalg.norm(v, axis=-1)
    safe = np.where(length > _EPS, length, 1.0)
    return v / safe[..., None], length


def ground_frame(camera_pos: np.ndarray, target_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal ``forward`` (camera -> subject) and ``right`` unit vectors, each ``(N, 3)``.

    ``right = forward x Z``. Falls back to ``forward = +Y`` where the camera is
    (within 1 nm) straight above or below the subject.
    """
    cam = np.asarray(camera_pos, dtype=np.float64)
    tgt = np.asarray(target_pos, dtype=np.float64)
    flat = tgt - cam
    flat = np.concatenate([flat[..., :2], np.zeros_like(flat[..., :1])], axis=-1)
    forward, length = _normalise(flat)
    forward = np.where((length > _EPS)[..., None], forward, np.array([0.0, 1.0, 0.0]))
    right = np.cross(forward, _WORLD_UP)
    return forward, right


def light_direction(
    forward: np.ndarray, right: np.ndarray, azimuth_deg: np.ndarray, elevation_deg: np.ndarray
) -> np.ndarray:
    """Unit vector from the subject to the light, ``(N, 3)`` (formula in the module doc)."""
    az = np.radians(np.asarray(azimuth_deg, dtype=np.float64))[..., None]
    el = np.radians(np.asarray(elevation_deg, dtype=np.float64))[..., None]
    horizontal = -forward * np.cos(az) + right * np.sin(az)
    return horizontal * np.cos(el) + _WORLD_UP * np.sin(el)


def look_at_matrix(
    eye: np.ndarray, target: np.ndarray, up: np.ndarray | None = None
) -> np.ndarray:
    """Rotation matrices ``(N, 3, 3)`` aiming local ``-Z`` from ``eye`` at ``target``.

    Columns are the local axes in world space::

        z_local = -(target - eye) / |target - eye|
        x_local = normalise(forward x up)        (the object's right)
        y_local = z_local x x_local              (the object's up)

    ``up`` is ``(3,)`` or ``(N, 3)`` (default world ``+Z``). Where ``forward``
    is parallel to ``up`` (a light straight overhead) the up hint is replaced
    by world ``+Y``, and where that is parallel too, by world ``+X``.
    Raises ``ValueError`` where ``eye`` and ``target`` coincide.
    """
    eye = np.atleast_2d(np.asarray(eye, dtype=np.float64))
    target = np.atleast_2d(np.asarray(target, dtype=np.float64))
    forward, dist = _normalise(target - eye)
    if not (dist > _EPS).all():
        raise ValueError("look_at_matrix: eye and target coincide (distance 0)")
    up_hint = np.broadcast_to(
        _WORLD_UP if up is None else np.asarray(up, dtype=np.float64), forward.shape
    )
    right, r_len = _normalise(np.cross(forward, up_hint))
    for fallback in (np.array([0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0])):
        bad = r_len < 1e-6
        if not bad.any():
            break
        alt, alt_len = _normalise(np.cross(forward, fallback))
        right = np.where(bad[..., None], alt, right)
        r_len = np.where(bad, alt_len, r_len)
    z_local = -forward
    y_local = np.cross(z_local, right)
    return np.stack([right, y_local, z_local], axis=-1)


def place_light(
    camera_pos: ArrayLike,
    target_pos: ArrayLike,
    azimuth_deg: ArrayLike,
    elevation_deg: ArrayLike,
    distance_m: ArrayLike,
    reference_azimuth_deg: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Light positions ``(N, 3)`` [m] and continuous Euler XYZ rotations ``(N, 3)`` [deg].

    ``camera_pos`` / ``target_pos``: ``(3,)`` or ``(N, 3)`` [m];
    ``azimuth_deg`` / ``elevation_deg`` [deg] and ``distance_m`` [m, > 0]:
    scalars or ``(N,)``. ``N`` is taken from the first animated argument.
    The light aims its local ``-Z`` at the target. ``reference_azimuth_deg``
    (scalar or ``(N,)``): a continuous azimuth of the camera -> subject ground
    direction, for chunk-independent unwrapping (module doc).
    """
    n = infer_count((camera_pos, target_pos), (azimuth_deg, elevation_deg, distance_m))
    cam = as_points(camera_pos, n, "camera_pos")
    tgt = as_points(target_pos, n, "target_pos")
    az = as_series(azimuth_deg, n, "azimuth_deg")
    el = as_series(elevation_deg, n, "elevation_deg", low=-90.0, high=90.0)
    dist = as_series(distance_m, n, "distance_m", positive=True)
    forward, right = ground_frame(cam, tgt)
    direction = light_direction(forward, right, az, el)
    position = tgt + dist[:, None] * direction
    horizontal = light_direction(forward, right, az, np.zeros(n))
    vertical = np.abs(direction[:, 2]) > 1.0 - 1e-9
    up = np.where(vertical[:, None], -horizontal * np.sign(direction[:, 2:3]), _WORLD_UP)
    euler = matrix_to_euler_xyz(look_at_matrix(position, tgt, up))
    psi = np.degrees(np.arctan2(column(forward, 1), column(forward, 0)))  # contiguous: see lookat
    if reference_azimuth_deg is None:
        psi = np.degrees(np.unwrap(np.radians(psi)))
    else:
        psi = unwrap_to_reference(psi, as_series(reference_azimuth_deg, n, "reference_azimuth_deg"))
    reference = np.stack([90.0 - el, np.zeros(n), psi + az - 90.0], axis=-1)
    return position, unwrap_to_reference(euler, reference)


def aim_light(
    position: ArrayLike, subject: ArrayLike, heading_reference_deg: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Continuous Euler XYZ rotations ``(N, 3)`` [deg] of lights at ``position`` aimed at a
    moving ``subject`` (both ``(N, 3)`` m), and the light-to-subject distances ``(N,)`` [m].

    A stand light placed around the subject's mark (:func:`place_light`) keeps its position and
    turns to follow the subject. The aim is :func:`look_at_matrix` with world ``+Z`` up (level
    lights); its heading is unwrapped elementwise to within 180 degrees of
    ``heading_reference_deg`` (the heading of the aim at the mark, e.g. the placed rotation's
    ``rz + 90``), so a chunk of samples gets exactly the values of the whole range. Straight
    above or below the subject the up hint is the reference heading's horizontal direction
    (the limit of the level aim). Raises ``ValueError`` where the subject reaches the light.
    """
    pos = np.asarray(position, dtype=np.float64)
    n = pos.shape[0]
    subj = as_points(subject, n, "subject")
    ref = as_series(heading_reference_deg, n, "heading_reference_deg")
    w = subj - pos
    wx, wy, wz = column(w, 0), column(w, 1), column(w, 2)
    horizontal = np.hypot(wx, wy)
    distance = np.sqrt(horizontal * horizontal + wz * wz)
    if not (distance > _EPS).all():
        raise ValueError("the subject reaches a light's position (distance 0): move the light "
                         "or the subject's path")
    heading = unwrap_to_reference(np.degrees(np.arctan2(wy, wx)), ref)
    pitch = np.degrees(np.arctan2(wz, horizontal))
    vertical = horizontal <= 1e-9 * distance
    r = np.radians(ref)
    level = np.stack([np.cos(r), np.sin(r), np.zeros(n)], axis=-1)
    up = np.where(vertical[:, None], level * -np.sign(wz)[:, None], _WORLD_UP)
    euler = matrix_to_euler_xyz(look_at_matrix(pos, subj, up))
    reference = np.stack([90.0 + pitch, np.zeros(n), heading - 90.0], axis=-1)
    return unwrap_to_reference(euler, reference), distance
