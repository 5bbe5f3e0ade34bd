"""Handheld jitter: pink spectral slope, tremor peak, RMS, breathing, determinism."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from moks_graph.nodes.camera.jitter import (
    breathing,
    handheld_rotation,
    pink_angle,
    pink_components,
    pink_noise,
    tremor,
)
from moks_graph.timebase import time_array

RATE = 100.0
T = np.arange(0, int(400 * RATE)) / RATE  # 400 s at 100 Hz


def _band_psd(signal: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean periodogram density (Hann window) in each band; band centres (geometric)."""
    window = np.hanning(signal.size)
    spec = np.abs(np.fft.rfft(signal * window)) ** 2
    freqs = np.fft.rfftfreq(signal.size, 1.0 / RATE)
    dens = np.array([spec[(freqs >= lo) & (freqs < hi)].mean()
                     for lo, hi in itertools.pairwise(edges)])
    return np.sqrt(edges[:-1] * edges[1:]), dens


@pytest.mark.parametrize("key", [1, 99, 2024])
def test_pink_slope_is_minus_one(key: int) -> None:
    edges = 0.2 * 2.0 ** np.arange(0, 5.51, 0.5)  # half-octave bands, 0.2 .. ~9 Hz
    centres, dens = _band_psd(pink_noise(T, key, rms=1.0), edges)
    slope = np.polyfit(np.log(centres), np.log(dens), 1)[0]
    assert slope == pytest.approx(-1.0, abs=0.15)


def test_pink_angle_velocity_is_pink_and_angle_rms_matches() -> None:
    vel = pink_angle(T, 5, rms_deg=0.3, derivative=1)
    edges = 0.2 * 2.0 ** np.arange(0, 5.51, 0.5)
    centres, dens = _band_psd(vel, edges)
    assert np.polyfit(np.log(centres), np.log(dens), 1)[0] == pytest.approx(-1.0, abs=0.15)
    angle = pink_angle(T, 5, rms_deg=0.3)
    # exact RMS of a sum of sinusoids: sqrt(sum a_k^2 / 2) = 0.3 by construction
    freqs, _ = pink_components(5)
    c = 0.3 / math.sqrt(float(np.sum(freqs**-2.0)) / 2)
    assert math.sqrt(float(np.sum((c / freqs) ** 2)) / 2) == pytest.approx(0.3, rel=1e-12)
    assert float(np.sqrt(np.mean(angle**2))) == pytest.approx(0.3, rel=0.35)  # finite window
    # the velocity is the derivative of the angle
    h = 1e-5
    num = (pink_angle(T[:2000] + h, 5, 0.3) - pink_angle(T[:2000] - h, 5, 0.3)) / (2 * h)
    assert np.allclose(num, vel[:2000], atol=1e-6)


def test_pink_components_cover_band_log_uniformly() -> None:
    freqs, phases = pink_components(3, 0.1, 10.0, 16)
    assert freqs.size == round(math.log2(100) * 16)
    assert freqs.min() >= 0.1 and freqs.max() <= 10.0
    assert np.all(np.diff(freqs) > 0)  # one per log bin, in order
    assert np.all((phases >= 0) & (phases < 2 * math.pi))


def test_tremor_band_holds_the_peak() -> None:
    shake = tremor(T, 8, rms_deg=0.02, center_hz=9.0, bandwidth_hz=4.0)
    spec = np.abs(np.fft.rfft(shake * np.hanning(T.size))) ** 2
    freqs = np.fft.rfftfreq(T.size, 1 / RATE)
    assert 6.0 <= freqs[np.argmax(spec)] <= 12.0
    assert float(np.sqrt(np.mean(shake**2))) == pytest.approx(0.02, rel=0.1)


def test_handheld_velocity_spectrum_peaks_in_tremor_band() -> None:
    """Full shake (pink jitter + tremor): the angular-velocity spectrum peaks in 6-12 Hz."""
    rot = handheld_rotation(T, 17, jitter_rms_deg=0.25, tremor_rms_deg=0.02)
    vel = np.gradient(rot[:, 1], T)
    edges = np.array([2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 30.0])
    centres, dens = _band_psd(vel, edges)
    assert 6.0 <= centres[np.argmax(dens)] <= 12.0
    outside = dens[(centres < 5.0) | (centres > 15.0)]
    assert dens.max() > 10 * outside.max()


def test_breathing_bounded_and_near_rate() -> None:
    b = breathing(T, 4, rate_hz=0.25, variability=0.1)
    assert np.all(np.abs(b) <= 1.0)
    spec = np.abs(np.fft.rfft(b)) ** 2
    freqs = np.fft.rfftfreq(T.size, 1 / RATE)
    assert freqs[np.argmax(spec)] == pytest.approx(0.25, abs=0.05)


def test_deterministic_chunked_and_frame_rate_independent() -> None:
    whole = time_array(0, 480, 24, 8)
    full = handheld_rotation(whole.seconds, 31)
    assert np.array_equal(full, handheld_rotation(whole.seconds, 31))
    assert not np.allclose(full, handheld_rotation(whole.seconds, 32))
    for lo, hi in ((0, 1), (17, 900), (2000, 3841)):
        assert np.array_equal(handheld_rotation(whole.seconds[lo:hi].copy(), 31), full[lo:hi])
    ref = handheld_rotation(np.arange(0, 121) / 6.0, 31)
    for fps in (24, 30, 60):
        ta = time_array(0, 20 * fps, fps, 1)
        got = handheld_rotation(ta.seconds, 31)[:: fps // 6]
        assert np.allclose(got, ref, atol=1e-9, rtol=0)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="f_hi"):
        pink_noise([0.0], 1, f_lo=5.0, f_hi=1.0)
    with pytest.raises(ValueError, match="bandwidth_hz"):
        tremor([0.0], 1, center_hz=2.0, bandwidth_hz=5.0)
    with pytest.raises(ValueError, match="rms_deg"):
        pink_angle([0.0], 1, rms_deg=-1.0)
