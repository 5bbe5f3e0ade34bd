"""Closed-form springs against scipy's solve_ivp (rtol 1e-10), overshoot and gain checks."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from moks_graph.nodes.camera.limits import jerk_limited_profile
from moks_graph.nodes.camera.springs import (
    base_excitation_gain,
    base_excitation_lag,
    spring_filter_steps,
    spring_ramp_response,
    spring_response,
    spring_step_response,
)
from moks_graph.timebase import time_array

ZETAS = [0.0, 0.05, 0.3, 0.999999, 1.0, 1.000001, 1.7, 4.0]


def _integrate(rhs, y0, t_eval, breaks=()) -> np.ndarray:
    """solve_ivp (implicit Radau, rtol 1e-10) restarted at input discontinuities ``breaks``."""
    edges = [t_eval[0], *[b for b in breaks if t_eval[0] < b < t_eval[-1]], t_eval[-1]]
    out = np.empty((len(t_eval), len(y0)))
    y = np.asarray(y0, dtype=float)
    for lo, hi in itertools.pairwise(edges):
        mask = (t_eval >= lo) & (t_eval <= hi)
        sol = solve_ivp(rhs, (lo, hi), y, method="Radau", rtol=1e-10, atol=1e-12,
                        t_eval=t_eval[mask], dense_output=True)
        out[mask] = sol.y.T
        y = sol.sol(hi)
    return out


@pytest.mark.parametrize("zeta", ZETAS)
def test_step_response_matches_solve_ivp(zeta: float) -> None:
    omega, t0, x0, x1 = 7.0, 0.4, -1.5, 2.5
    t = np.linspace(0.0, 4.0, 801)

    def rhs(tt: float, y: np.ndarray) -> list[float]:
        u = x1 if tt >= t0 else x0
        return [y[1], omega**2 * (u - y[0]) - 2 * zeta * omega * y[1]]

    num = _integrate(rhs, [x0, 0.0], t, breaks=[t0])
    assert np.allclose(spring_response(t, t0, x0, x1, omega, zeta), num[:, 0], atol=1e-8, rtol=0)
    vel = spring_response(t, t0, x0, x1, omega, zeta, derivative=1)
    assert np.allclose(vel, num[:, 1], atol=1e-7, rtol=0)


@pytest.mark.parametrize("zeta", [0.2, 1.0, 2.5])
def test_ramp_response_matches_solve_ivp(zeta: float) -> None:
    omega = 3.0
    t = np.linspace(-0.5, 6.0, 651)

    def rhs(tt: float, y: np.ndarray) -> list[float]:
        return [y[1], omega**2 * (max(tt, 0.0) - y[0]) - 2 * zeta * omega * y[1]]

    num = _integrate(rhs, [0.0, 0.0], t, breaks=[0.0])
    assert np.allclose(spring_ramp_response(t, omega, zeta), num[:, 0], atol=1e-8, rtol=0)
    # derivatives chain: H1' = h, H1'' = h'
    step = spring_step_response(t, omega, zeta)
    assert np.allclose(spring_ramp_response(t, omega, zeta, 1), step)
    assert np.allclose(spring_ramp_response(t, omega, zeta, 1), num[:, 1], atol=1e-7, rtol=0)


def test_step_superposition_matches_solve_ivp() -> None:
    omega, zeta = 5.0, 0.35
    times, values = np.array([0.3, 1.1, 1.2, 2.5]), np.array([1.0, -0.5, 0.25, 2.0])
    t = np.linspace(0.0, 5.0, 1001)

    def command(tt: float) -> float:
        idx = np.searchsorted(times, tt, side="right") - 1
        return 0.7 if idx < 0 else float(values[idx])

    def rhs(tt: float, y: np.ndarray) -> list[float]:
        return [y[1], omega**2 * (command(tt) - y[0]) - 2 * zeta * omega * y[1]]

    num = _integrate(rhs, [0.7, 0.0], t, breaks=list(times))
    got = spring_filter_steps(t, times, values, omega, zeta, initial=0.7)
    assert np.allclose(got, num[:, 0], atol=1e-8, rtol=0)


@pytest.mark.parametrize("zeta", [0.05, 0.4, 1.0, 1.6])
def test_base_excitation_lag_matches_solve_ivp(zeta: float) -> None:
    """x'' = -2 zeta w (x' - b') - w^2 (x - b) with b an S-curve: lag d = x - b in closed form."""
    omega = 2 * math.pi * 1.3
    prof = jerk_limited_profile(3.0, 1.2, 1.0, 2.5)
    times, steps = prof.jerk_steps()
    t = np.linspace(0.0, prof.duration + 4.0, 1201)

    levels = np.cumsum(steps)  # jerk on each segment, integrated by the ODE itself

    def rhs(tt: float, y: np.ndarray) -> list[float]:
        x, xv, b, bv, ba = y
        k = int(np.searchsorted(times, tt, side="right")) - 1
        jerk = 0.0 if k < 0 else float(levels[k])
        return [xv, -2 * zeta * omega * (xv - bv) - omega**2 * (x - b), bv, ba, jerk]

    num = _integrate(rhs, [0.0] * 5, t, breaks=list(times))
    assert np.allclose(num[:, 2], prof.position(t), atol=1e-7, rtol=0)
    lag = base_excitation_lag(t, times, steps, omega, zeta)
    assert np.allclose(num[:, 0] - num[:, 2], lag, atol=1e-8, rtol=0)
    lag_v = base_excitation_lag(t, times, steps, omega, zeta, derivative=1)
    assert np.allclose(num[:, 1] - num[:, 3], lag_v, atol=1e-7, rtol=0)
    # after the move the lag rings down to zero
    late = base_excitation_lag([prof.duration + 60.0], times, steps, omega, zeta)
    assert abs(float(late[0])) < 1e-9


@pytest.mark.parametrize("zeta", [0.1, 0.3, 0.7])
def test_underdamped_overshoot_formula(zeta: float) -> None:
    omega = 4.0
    wd = omega * math.sqrt(1 - zeta**2)
    t_peak = math.pi / wd
    peak = float(spring_step_response([t_peak], omega, zeta)[0])
    assert peak == pytest.approx(1 + math.exp(-math.pi * zeta / math.sqrt(1 - zeta**2)), abs=1e-13)
    assert float(spring_step_response([t_peak], omega, zeta, 1)[0]) == pytest.approx(0, abs=1e-12)


def test_continuous_through_critical_damping() -> None:
    t = np.linspace(0, 3, 301)
    ref = spring_step_response(t, 6.0, 1.0)
    for z in (1 - 1e-9, 1 + 1e-9):
        assert np.allclose(spring_step_response(t, 6.0, z), ref, atol=1e-7, rtol=0)


def test_frame_rate_and_chunk_independence() -> None:
    ref = spring_response(np.arange(0, 31) / 6.0, 0.5, 0.0, 1.0, 9.0, 0.2)
    for fps in (24, 30, 60):
        for sub in (1, 7, 16):
            ta = time_array(0, 5 * fps, fps, sub)
            y = spring_response(ta.seconds, 0.5, 0.0, 1.0, 9.0, 0.2)
            assert np.allclose(y[:: fps * sub // 6], ref, atol=1e-12, rtol=0)
            assert np.array_equal(
                spring_response(ta.seconds[37:90].copy(), 0.5, 0.0, 1.0, 9.0, 0.2), y[37:90]
            )


def test_base_excitation_gain() -> None:
    """||g||_1 >= |∫g| = 1, falls with damping, and matches a brute-force quadrature."""
    gains = [base_excitation_gain(z) for z in (0.05, 0.2, 0.7, 1.0, 2.0)]
    assert all(g >= 1.0 for g in gains)
    assert gains == sorted(gains, reverse=True)
    zeta = 0.2
    tau = np.linspace(0.0, 400.0, 4_000_001)
    wd = math.sqrt(1 - zeta**2)
    g = np.exp(-zeta * tau) * (
        2 * zeta * np.cos(wd * tau) + (1 - 2 * zeta**2) * np.sin(wd * tau) / wd
    )
    dt = tau[1] - tau[0]
    assert float(np.sum(g) * dt) == pytest.approx(1.0, abs=1e-4)  # ∫g = G(0) = 1
    l1 = float(np.sum(np.abs(g)) * dt)
    assert l1 <= base_excitation_gain(zeta) <= l1 * 1.01


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="omega_n"):
        spring_step_response([0.0], 0.0, 0.5)
    with pytest.raises(ValueError, match="zeta"):
        spring_step_response([0.0], 1.0, -0.1)
    with pytest.raises(ValueError, match="step_times"):
        spring_filter_steps([0.0], [0.0, 1.0], [1.0], 1.0, 0.5)
    with pytest.raises(ValueError, match="derivative"):
        spring_step_response([0.0], 1.0, 0.5, derivative=3)
