"""Wind on the camera: the atmosphere's wind drift and buffet applied to a rig's clean move.

Entry points: :func:`weathered_camera`, :func:`wind_offsets`, :data:`WIND_RESPONSE`.

Details (moved from this docstring, issue 15): docs/classic-mode.md#nodescameraweatherpy
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from moks_graph.nodes.camera.lookat import unwrap_to_reference
from moks_graph.nodes.camera.noise import fbm
from moks_graph.rng import stream_key
from moks_graph.rotations import euler_xyz_to_matrix, matmul3, matrix_to_euler_xyz

#: Wind speed at which the dynamic-pressure load ``|q|`` is 1 [m/s].
W_REF = 15.0
#: Gust sway about the mean push, vertical share of the drift, roll share of the buffet.
SWAY, VERTICAL, ROLL = 0.5, 0.4, 0.5


@dataclass(frozen=True)
class WindResponse:
    """How one rig answers the wind: drift at ``W_REF`` [m], buffet gain [x], sway rate [Hz]."""

    drift_m: float
    buffet_gain: float
    sway_hz: float
    why: str


#: Susceptibility per rig (the documented table in docs/classic-mode.md).
WIND_RESPONSE: dict[str, WindResponse] = {
    "drone": WindResponse(0.60, 1.00, 0.5, "high: a multirotor holds position against the "
                          "wind with a residual error; the gimbal takes the buffet"),
    "wirecam": WindResponse(0.30, 0.60, 0.25, "medium: the carriage swings on the cable "
                            "like a pendulum"),
    "technocrane": WindResponse(0.05, 0.25, 0.8, "low: the telescopic arm sways at its tip"),
    "handheld": WindResponse(0.02, 0.15, 1.5, "small: the operator braces against gusts"),
    "tripod_locked": WindResponse(0.0, 0.0, 1.0, "none: legs on the ground"),
    "moco": WindResponse(0.0, 0.0, 1.0, "none: a heavy track-mounted arm"),
    "dolly": WindResponse(0.0, 0.0, 1.0, "none: on rails"),
}


def wind_offsets(
    seconds: np.ndarray, wind_x: np.ndarray, wind_y: np.ndarray, buffet_deg: np.ndarray,
    rig: str, key: int, scale: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """``(drift (N, 3) m, angles (N, 3) deg as tilt, pan, roll)`` for ``rig`` (module doc).

    ``scale`` multiplies the rig's susceptibility; ``key`` seeds the noise
    (``stream_key(key, "weather", <axis>)`` per axis).
    """
    if rig not in WIND_RESPONSE:
        raise ValueError(f"rig {rig!r} is not one of {sorted(WIND_RESPONSE)}")
    t = np.asarray(seconds, dtype=np.float64)
    w = np.stack([np.asarray(wind_x, np.float64), np.asarray(wind_y, np.float64)], axis=-1)
    b = np.asarray(buffet_deg, dtype=np.float64)
    r = WIND_RESPONSE[rig]
    speed = np.sqrt(w[:, 0] * w[:, 0] + w[:, 1] * w[:, 1])
    q = w * (speed / (W_REF * W_REF))[:, None]
    load = speed * speed / (W_REF * W_REF)

    def noise(axis: str, hz: float) -> np.ndarray:
        return fbm(t, hz, stream_key(key, "weather", axis), octaves=3)

    d = r.drift_m * scale
    drift = np.stack([
        d * (q[:, 0] + SWAY * load * noise("x", r.sway_hz)),
        d * (q[:, 1] + SWAY * load * noise("y", r.sway_hz)),
        d * VERTICAL * SWAY * load * noise("z", r.sway_hz),
    ], axis=-1)
    g = r.buffet_gain * scale * b
    fast = 4.0 * r.sway_hz
    angles = np.stack([g * noise("tilt", fast), g * noise("pan", fast),
                       ROLL * g * noise("roll", fast)], axis=-1)
    return drift, angles


def weathered_camera(
    attrs: dict[str, np.ndarray], seconds: np.ndarray, wind_x: np.ndarray,
    wind_y: np.ndarray, buffet_deg: np.ndarray, rig: str, key: int, scale: float = 1.0,
) -> dict[str, np.ndarray]:
    """The camera channels ``attrs`` (``tx..rz`` + lens) with the wind applied.

    Returns ``attrs`` itself (the same arrays) when the drift and angles are exactly zero
    (φ = 0, no wind, or a ground rig), so a calm bake is bit-identical to the clean move.
    """
    drift, angles = wind_offsets(seconds, wind_x, wind_y, buffet_deg, rig, key, scale)
    moved, turned = bool(np.any(drift)), bool(np.any(angles))
    if not (moved or turned):
        return attrs
    out = dict(attrs)
    if moved:
        for i, a in enumerate(("tx", "ty", "tz")):
            out[a] = attrs[a] + drift[:, i]
    if turned:
        clean = np.stack([attrs["rx"], attrs["ry"], attrs["rz"]], axis=-1)
        euler = matrix_to_euler_xyz(matmul3(euler_xyz_to_matrix(clean),
                                            euler_xyz_to_matrix(angles)))
        euler = unwrap_to_reference(euler, clean)
        for i, a in enumerate(("rx", "ry", "rz")):
            out[a] = np.ascontiguousarray(euler[:, i])
    return out
