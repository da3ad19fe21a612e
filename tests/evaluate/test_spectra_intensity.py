"""FAS, PSD, intensity measures and the study's statistics on signals with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from seisgan_core.evaluation import (
    arias_intensity,
    cav,
    envelope,
    fas,
    pga,
    pgv,
    psd,
    significant_duration,
    study_statistics,
)
from seisgan_core.evaluation.intensity import (
    G_M_S2,
    _cumulative_trapezoid,
    _first_at_or_above,
    _trapezoid,
    decimated_envelope,
    husid,
)
from seisgan_testsupport.laquila_fixtures import (
    COMPONENTS,
    read_cor_acc,
    read_metadata,
    read_rs_trailer,
    require_fixtures,
)

DT = 0.005


def sine(amp: float, freq: float, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(round(seconds / DT)) * DT
    return t, amp * np.sin(2 * np.pi * freq * t)


def test_fas_of_sine_peaks_at_its_frequency_with_amplitude_a_d_over_2():
    amp, f0, seconds = 30.0, 2.0, 40.0  # 80 whole cycles: all energy in one FFT bin
    _, acc = sine(amp, f0, seconds)
    freqs, raw = fas(acc, DT, bandwidth=None)
    k = np.argmax(raw)
    assert freqs[k] == pytest.approx(f0)
    assert raw[k] == pytest.approx(amp * seconds / 2, rel=1e-9)
    # Smoothed: a single spectral line spreads into the Konno-Ohmachi (1998) window
    # W(f) = [sin(b log10(f/f0)) / (b log10(f/f0))]^4, W(f0) = 1, normalised to a unit sum
    # over the FFT grid (W = 0 at 0 Hz), so the smoothed value at f0 is the line over sum(W).
    out = np.array([f0, 1.0, 5.0])
    _, smooth = fas(acc, DT, bandwidth=40, freqs=out)
    x = 40.0 * np.log10(freqs[1:] / f0)
    ko = np.ones_like(x)
    off = x != 0
    ko[off] = (np.sin(x[off]) / x[off]) ** 4
    assert smooth[0] == pytest.approx(raw[k] / ko.sum(), rel=1e-9)
    assert smooth[0] > 100 * smooth[1] and smooth[0] > 100 * smooth[2]


def test_fas_smoothing_equals_pykooh_cached_smoother_per_spectrum():
    import pykooh

    rng = np.random.default_rng(0)
    acc = rng.standard_normal((2, 3, 2000))
    freqs, smooth = fas(acc, DT)
    grid = np.fft.rfftfreq(2000, DT)
    smoother = pykooh.CachedSmoother(grid, freqs, 40.0)
    for i in range(2):
        for c in range(3):
            raw = np.abs(np.fft.rfft(acc[i, c])) * DT
            np.testing.assert_allclose(smooth[i, c], smoother(raw), rtol=1e-10)


def test_psd_of_sine_integrates_to_its_variance():
    amp = 4.0
    _, acc = sine(amp, 5.0, 60.0)
    freqs, power = psd(acc, DT)
    assert freqs[np.argmax(power)] == pytest.approx(5.0, abs=freqs[1])
    # Parseval for Welch's one-sided density: integral over f equals the mean square A^2/2.
    assert np.trapezoid(power, freqs) == pytest.approx(amp**2 / 2, rel=0.02)


def test_arias_cav_of_constant_sine_by_hand():
    amp_cm, seconds = 200.0, 20.0
    _, acc = sine(amp_cm, 2.0, seconds)
    # Arias: pi/(2g) * integral a^2 = pi/(2g) * (A^2 / 2) * D, with A in m/s^2.
    expected_ia = np.pi / (2 * G_M_S2) * (amp_cm / 100) ** 2 / 2 * (seconds - DT)
    assert arias_intensity(acc, DT) == pytest.approx(expected_ia, rel=1e-3)
    # CAV: integral |A sin| = 2 A D / pi.
    assert cav(acc, DT) == pytest.approx(2 * amp_cm * seconds / np.pi, rel=1e-3)
    assert pga(acc) == pytest.approx(amp_cm, rel=1e-3)


def test_significant_duration_of_boxcar_is_ninety_percent_of_it():
    acc = np.zeros(4000)
    acc[1000:2600] = 50.0  # 1600 samples: 8 s
    assert significant_duration(acc, DT) == pytest.approx(0.9 * 8.0, abs=DT)
    assert significant_duration(acc, DT, 0.05, 0.75) == pytest.approx(0.7 * 8.0, abs=DT)
    batch = np.stack([acc, np.roll(acc, 500), np.zeros(4000)])
    np.testing.assert_allclose(significant_duration(batch, DT), [7.2, 7.2, 0.0], atol=DT)


def test_pgv_of_sine_and_of_fixtures():
    # a = A sin(w t) -> v = -A/w cos(w t) + A/w; after removing the trend, peak A/w.
    amp, f0 = 100.0, 1.0
    _, acc = sine(amp, f0, 20.0)
    assert pgv(acc, DT) == pytest.approx(amp / (2 * np.pi * f0), rel=2e-3)


def test_pga_pgv_match_itaca_metadata():
    require_fixtures()
    for station in ("16833", "16840", "16889"):
        meta = read_metadata(station)
        for i, component in enumerate(COMPONENTS):
            acc, dt = read_cor_acc(station, component)
            assert pga(acc) == pytest.approx(float(meta[f"comp_ordered()/{i}.pga"]), rel=1e-6)
            # .metadata PGV in m/s; the .rs file repeats it in its period -1 row.
            expected = float(meta[f"comp_ordered()/{i}.pgv"]) * 100
            assert pgv(acc * 100, dt) == pytest.approx(expected, rel=5e-3)
            assert read_rs_trailer(station, component)[1] * 100 == pytest.approx(expected, rel=1e-6)


def test_envelope_of_modulated_sine():
    t = np.arange(8000) * DT
    slow = 1.0 + 0.5 * np.sin(2 * np.pi * 0.1 * t)
    acc = slow * np.sin(2 * np.pi * 10.0 * t)
    env = envelope(acc)
    np.testing.assert_allclose(env[500:-500], slow[500:-500], rtol=1e-2)


@pytest.mark.parametrize(
    ("n", "step", "dtype"),
    [(8000, 20, np.float64), (1200, 20, np.float32), (999, 3, np.float64), (1001, 20, np.float64)],
)
def test_decimated_envelope_equals_every_step_th_sample(n, step, dtype):
    # Folded spectrum (step divides n: even and odd lengths) or the whole envelope decimated
    # (1001 samples, step 20); float64 to rounding, float32 to its own precision.
    rng = np.random.default_rng(n)
    acc = (rng.standard_normal((4, 3, n)) * np.linspace(0.1, 3.0, n)).astype(dtype)
    expected = envelope(acc)[..., ::step]
    got = decimated_envelope(acc, step)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-12 if dtype == np.float64 else 1e-5,
                               atol=1e-12 * np.abs(expected).max())  # fmt: skip
    spectrum = np.fft.rfft(acc, axis=-1)
    np.testing.assert_array_equal(decimated_envelope(acc, step, spectrum), got)


def test_study_statistics_per_component():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((10, 3, 500))
    x[:, 1] = x[:, 1] * 2 + 1
    x[:, 2] = rng.exponential(size=(10, 500))
    stats = study_statistics(x)
    assert set(stats) == {"min", "max", "mean", "std", "skewness"}
    assert stats["mean"][1] == pytest.approx(x[:, 1].mean())
    assert stats["std"][1] == pytest.approx(x[:, 1].std())
    assert stats["min"][0] == x[:, 0].min() and stats["max"][2] == x[:, 2].max()
    assert stats["skewness"][2] == pytest.approx(scipy.stats.skew(x[:, 2].ravel()))
    assert stats["skewness"][2] > 1.5  # exponential: skewness 2
    with pytest.raises(ValueError, match="x"):
        study_statistics(np.ones(5))


@pytest.mark.parametrize(("n", "nperseg"), [(8000, 512), (1001, 512), (300, 512), (997, 101)])
def test_psd_equals_scipy_welch(n, nperseg):
    """psd computes Welch's method itself: equal to scipy.signal.welch (defaults: Hann,
    50 % overlap, constant detrend, density, mean) to rounding, for even and odd segment
    lengths, records shorter than a segment and records with a large offset."""
    import scipy.signal

    rng = np.random.default_rng(n)
    acc = rng.standard_normal((3, 2, n)) * np.array([1.0, 50.0])[:, None] + 7.0
    freqs, power = psd(acc, DT, nperseg)
    ref_freqs, ref = scipy.signal.welch(acc, fs=1 / DT, nperseg=min(nperseg, n), axis=-1)
    np.testing.assert_array_equal(freqs, ref_freqs)
    np.testing.assert_allclose(power, ref, rtol=1e-12)


def test_trapezoids_are_scipys_bit_for_bit():
    """Velocity and the Husid curve integrate with an in-place copy of scipy's
    cumulative_trapezoid, Arias and CAV with one of its trapezoid: the same values to the
    last bit, for 1-D to 3-D input, one sample (just the initial 0, a zero integral) and a
    non-contiguous view."""
    import scipy.integrate

    rng = np.random.default_rng(3)
    cases = [
        rng.standard_normal(1001),
        rng.standard_normal((4, 3, 700))[:, ::2],
        rng.standard_normal((2, 1)),
        np.cumsum(rng.standard_normal((5, 300)), -1),
    ]
    for y in cases:
        ref = scipy.integrate.cumulative_trapezoid(y, dx=0.005, axis=-1, initial=0.0)
        np.testing.assert_array_equal(_cumulative_trapezoid(y, 0.005), ref)
        ref = scipy.integrate.trapezoid(y, dx=0.005, axis=-1)
        np.testing.assert_array_equal(_trapezoid(y, 0.005), ref)


def test_husid_crossings_by_binary_search_equal_a_full_comparison():
    """The Husid curve's crossings are found by a binary search per row: the same index as
    argmax(curve >= level) on every row, a silent record (all zeros) and a level no sample
    reaches (0, as argmax gives) included."""
    rng = np.random.default_rng(8)
    acc = rng.standard_normal((5, 3, 900)) * np.linspace(0.0, 3.0, 900) ** 2
    acc[2, 1] = 0.0
    curves = husid(acc, DT).reshape(-1, 900)
    assert np.all(np.diff(curves, axis=-1) >= 0)
    for level in (0.0, 0.05 - 1e-12, 0.5, 0.95 - 1e-12, 1.0, 1.5):
        np.testing.assert_array_equal(
            _first_at_or_above(curves, level), np.argmax(curves >= level, axis=-1)
        )
