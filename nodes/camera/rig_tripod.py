"""Locked-off tripod: a fixed camera aimed at the target, with fluid-head micro drift.

Imperfection signature: a fluid head never holds perfectly still; wind on the camera body and the
viscous creep of the head's damping give tiny, slow pan and tilt wander. Modelled as octave
gradient noise (:func:`.noise.fbm`, 3 octaves from ``drift_frequency_hz``) on the local pan and
tilt axes, ``head_drift * noise_scale`` degrees at most.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from moks_graph.node import Param
from moks_graph.nodes.camera._checks import seconds_of
from moks_graph.nodes.camera.noise import fbm
from moks_graph.nodes.camera.paths import FixedPoint
from moks_graph.nodes.camera.rig_parts import (
    LensAimParams,
    Rig,
    TargetCheck,
    Vec3,
    aim_points,
    camera_channels,
    channel_key,
    static_azimuth,
)
from moks_graph.timebase import TimeArray


class TripodLockedParams(LensAimParams):
    """A camera locked off on a tripod with a fluid head."""

    position: Vec3 = Param(
        (0.0, -5.0, 1.5), description="Lens position on the tripod (x, y, z)", unit="m"
    )
    head_drift: float = Param(
        0.003, ge=0.0, le=1.0, description="Fluid-head micro pan/tilt drift, peak", unit="deg"
    )
    drift_frequency_hz: float = Param(
        0.7, gt=0.0, le=20.0, description="Typical rate of the head drift", unit="Hz"
    )

    target_check = TargetCheck("position", sits=True)

    def lens_path(self) -> FixedPoint:
        return FixedPoint(self.position)


class TripodLocked(Rig[TripodLockedParams]):
    """``tripod_locked``: a fixed camera with fluid-head micro drift."""

    name = "tripod_locked"
    Params = TripodLockedParams

    def channels(
        self, time: TimeArray | ArrayLike, params: TripodLockedParams, key: int,
        target: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """Channels of a locked-off tripod shot over the whole time array (see module docstring).

        ``target``: an ``(N, 3)`` moving subject to frame instead of ``params.target``
        (:func:`.rig_parts.aim_points`).
        """
        t = seconds_of(time)
        n = t.shape[0]
        positions = np.tile(np.asarray(params.position, dtype=np.float64), (n, 1))
        targets = aim_points(params, n, target)
        amplitude = params.head_drift * params.noise_scale
        local = None
        if amplitude > 0.0:
            f = params.drift_frequency_hz
            tilt = amplitude * fbm(t, f, channel_key(key, "tripod_locked", "tilt"), octaves=3)
            pan = amplitude * fbm(t, f, channel_key(key, "tripod_locked", "pan"), octaves=3)
            local = np.stack([tilt, pan, np.zeros(n)], axis=-1)
        reference = static_azimuth(params.position, params.target)
        return camera_channels(params, positions, targets, reference, local_rotation_deg=local)
