"""Damped springs in closed form: step, ramp and base-excitation responses.

The details (moved from this docstring): docs/classic-mode.md, "Module notes",
`nodes/camera/springs.py`.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import ArrayLike

from moks_graph.nodes.camera._checks import finite, finite_array, non_negative, positive


def _check_spring(omega_n: float, zeta: float) -> tuple[float, float]:
    return positive("omega_n", omega_n), non_negative("zeta", zeta)


def _check_derivative(derivative: int, highest: int) -> int:
    if isinstance(derivative, bool) or derivative not in range(highest + 1):
        raise ValueError(f"derivative must be an integer in 0..{highest}, got {derivative!r}")
    return int(derivative)


def _decay_terms(tau: np.ndarray, omega_n: float, zeta: float) -> tuple[np.ndarray, np.ndarray]:
    """``(E*C, E*S)`` for ``tau >= 0`` (``tau`` already clipped at 0)."""
    if zeta < 1.0:
        wd = omega_n * math.sqrt(1.0 - zeta * zeta)
        decay = np.exp(-zeta * omega_n * tau)
        phase = wd * tau
        return decay * np.cos(phase), decay * np.sin(phase) / wd
    if zeta == 1.0:
        decay = np.exp(-omega_n * tau)
        return decay, decay * tau
    root = math.sqrt(zeta * zeta - 1.0)
    we = omega_n * root
    slow_rate = omega_n / (zeta + root)  # = omega_n (zeta - root), without cancellation
    slow = np.exp(-slow_rate * tau)
    fast = np.exp(-(zeta * omega_n + we) * tau)
    return 0.5 * (slow + fast), slow * (-np.expm1(-2.0 * we * tau)) / (2.0 * we)


def spring_step_response(
    tau: ArrayLike, omega_n: float, zeta: float, derivative: int = 0
) -> np.ndarray:
    """Unit step response ``h`` (``derivative`` 0, 1 or 2 gives ``h``, ``h'``, ``h''``).

    ``tau`` is the time since the step in seconds; the response is 0 for ``tau < 0``.
    """
    w, z = _check_spring(omega_n, zeta)
    d = _check_derivative(derivative, 2)
    tau_arr = finite_array("tau", tau)
    after = tau_arr >= 0.0
    ec, es = _decay_terms(np.where(after, tau_arr, 0.0), w, z)
    if d == 0:
        out = 1.0 - (ec + z * w * es)
    elif d == 1:
        out = w * w * es
    else:
        out = w * w * (ec - z * w * es)
    return np.where(after, out, 0.0)


def spring_ramp_response(
    tau: ArrayLike, omega_n: float, zeta: float, derivative: int = 0
) -> np.ndarray:
    """Unit ramp response ``H1(tau) = tau - (2 zeta/omega_n) h(tau) - E S`` and derivatives.

    ``derivative`` 0..3 gives ``H1, h, h', h''``; all are 0 for ``tau < 0``.
    """
    w, z = _check_spring(omega_n, zeta)
    d = _check_derivative(derivative, 3)
    if d > 0:
        return spring_step_response(tau, w, z, d - 1)
    tau_arr = finite_array("tau", tau)
    after = tau_arr >= 0.0
    t = np.where(after, tau_arr, 0.0)
    ec, es = _decay_terms(t, w, z)
    step = 1.0 - (ec + z * w * es)
    return np.where(after, t - (2.0 * z / w) * step - es, 0.0)


def spring_ramp_derivatives(
    tau: ArrayLike, omega_n: float, zeta: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(H1, h, h', h'')`` at once (shared exponentials); all 0 for ``tau < 0``."""
    w, z = _check_spring(omega_n, zeta)
    tau_arr = finite_array("tau", tau)
    after = tau_arr >= 0.0
    t = np.where(after, tau_arr, 0.0)
    ec, es = _decay_terms(t, w, z)
    step = 1.0 - (ec + z * w * es)
    ramp = t - (2.0 * z / w) * step - es
    rate = w * w * es
    curvature = w * w * (ec - z * w * es)
    return tuple(np.where(after, v, 0.0) for v in (ramp, step, rate, curvature))  # type: ignore[return-value]


def spring_response(
    t: ArrayLike,
    t0: float,
    x0: float,
    x1: float,
    omega_n: float,
    zeta: float,
    derivative: int = 0,
) -> np.ndarray:
    """A spring moving from rest at ``x0`` to ``x1``, commanded at time ``t0`` (seconds).

    ``x(t) = x0 + (x1 - x0) h(t - t0)``; ``x = x0`` for ``t < t0``. ``derivative`` 1 and 2 give
    velocity and acceleration. Under-damped springs (``zeta < 1``) overshoot by
    ``exp(-pi zeta / sqrt(1 - zeta**2))`` of the move.
    """
    start = finite("t0", t0)
    a = finite("x0", x0)
    b = finite("x1", x1)
    t_arr = finite_array("t", t)
    h = spring_step_response(t_arr - start, omega_n, zeta, derivative)
    return (a if derivative == 0 else 0.0) + (b - a) * h


def spring_filter_steps(
    t: ArrayLike,
    step_times: ArrayLike,
    step_values: ArrayLike,
    omega_n: float,
    zeta: float,
    initial: float = 0.0,
    derivative: int = 0,
) -> np.ndarray:
    """Spring following a piecewise-constant command, as a superposition of step responses.

    The command is ``initial`` before ``step_times[0]`` and ``step_values[k]`` from
    ``step_times[k]`` on (times in seconds, any order). Valid because the spring ODE is linear:
    ``x(t) = initial + sum_k (step_values[k] - previous value) h(t - step_times[k])``.
    """
    times = finite_array("step_times", step_times).reshape(-1)
    values = finite_array("step_values", step_values).reshape(-1)
    if times.shape != values.shape:
        raise ValueError(
            f"step_times and step_values must have the same length, got "
            f"{times.shape[0]} and {values.shape[0]}"
        )
    base = finite("initial", initial)
    order = np.argsort(times, kind="stable")
    times, values = times[order], values[order]
    jumps = np.diff(np.concatenate([[base], values]))
    t_arr = finite_array("t", t)
    out = np.full(t_arr.shape, base if derivative == 0 else 0.0)
    for when, jump in zip(times, jumps, strict=True):
        out = out + jump * spring_step_response(t_arr - when, omega_n, zeta, derivative)
    return out


def base_excitation_lag(
    t: ArrayLike,
    jerk_times: ArrayLike,
    jerk_steps: ArrayLike,
    omega_n: float,
    zeta: float,
    derivative: int = 0,
) -> np.ndarray:
    """Deflection ``d`` of a mass on a spring-damper whose base moves with piecewise-constant jerk.

    The base position ``b(t)`` starts at rest; its jerk jumps by ``jerk_steps[k]`` at
    ``jerk_times[k]`` (seconds), so ``b''(t) = sum_k jerk_steps[k] * ramp(t - jerk_times[k])``.
    The mass ``x = b + d`` obeys ``x'' = -2 zeta omega_n (x' - b') - omega_n**2 (x - b)``, i.e.
    ``d'' + 2 zeta omega_n d' + omega_n**2 d = -b''``, whose closed form is::

        d(t) = -(1 / omega_n**2) * sum_k jerk_steps[k] * H1(t - jerk_times[k])

    (``H1`` = :func:`spring_ramp_response`). ``derivative`` 0..3 gives ``d .. d'''``. A crane arm
    tip that lags and then overshoots when the arm stops is ``b + d``.
    """
    times = finite_array("jerk_times", jerk_times).reshape(-1)
    steps = finite_array("jerk_steps", jerk_steps).reshape(-1)
    if times.shape != steps.shape:
        raise ValueError(
            f"jerk_times and jerk_steps must have the same length, got "
            f"{times.shape[0]} and {steps.shape[0]}"
        )
    w, z = _check_spring(omega_n, zeta)
    _check_derivative(derivative, 3)
    t_arr = finite_array("t", t)
    out = np.zeros(t_arr.shape)
    for when, step in zip(times, steps, strict=True):
        out = out + step * spring_ramp_response(t_arr - when, w, z, derivative)
    return out * (-1.0 / (w * w))


@functools.lru_cache(maxsize=256)
def base_excitation_gain(zeta: float) -> float:
    """``||g||_1``: the most a base-excited spring amplifies peak velocity, acceleration or jerk.

    The mass follows its base through the transfer function
    ``G(s) = (2 zeta omega_n s + omega_n**2) / (s**2 + 2 zeta omega_n s + omega_n**2)`` with
    impulse response ``g(tau) = E [2 zeta omega_n C + omega_n**2 (1 - 2 zeta**2) S]``. Since
    ``x^(n) = g * b^(n)`` (convolution), ``sup|x^(n)| <= ||g||_1 sup|b^(n)|`` for every ``n``.
    ``||g||_1`` depends on ``zeta`` only (scale time by ``omega_n``); it is computed here by the
    trapezoid rule on a fixed dimensionless grid (a pure function of ``zeta``, independent of any
    time array) and rounded up by 0.5 % to cover quadrature error. It is >= 1 (``∫g = 1``).
    """
    z = positive("zeta", zeta)
    slow = z if z < 1.0 else 1.0 / (z + math.sqrt(z * z - 1.0))  # slowest decay rate / omega_n
    horizon = 45.0 / slow  # exp(-45) ~ 3e-20 of the first lobe is left
    n = int(min(max(horizon * 200.0, 20_000.0), 2_000_000.0))
    tau = np.linspace(0.0, horizon, n + 1)
    ec, es = _decay_terms(tau, 1.0, z)
    g = np.abs(2.0 * z * ec + (1.0 - 2.0 * z * z) * es)
    integral = float(np.sum(0.5 * (g[1:] + g[:-1])) * (horizon / n))
    return max(1.0, integral) * 1.005
