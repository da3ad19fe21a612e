"""The compiled time-domain paths (evaluation._kernels) against the array versions they
replace: the causal oscillators stepped sample by sample against the FFT's causal solution,
RotD50 in one pass against every sample through every angle, the intensity measures in one
pass against intensity.py's functions."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from seisgan_core.evaluation import _kernels
from seisgan_core.evaluation import response as response_module
from seisgan_core.evaluation.intensity import (
    arias_intensity,
    cav,
    pgv,
    pgv_arias_cav_duration,
    significant_duration,
)
from seisgan_core.evaluation.response import DEFAULT_PERIODS_S, psa_and_rotd50
from seisgan_core.evaluation.statistics import _record_moments
from seisgan_testsupport.laquila_fixtures import STATIONS, read_cor_acc, require_fixtures

DT = 0.005


def _fft_only(acc: np.ndarray, dt: float, periods: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PSA (records, 3, periods) and RotD50 of the causal default computed by the FFT for
    every period (the grid built without a time step: what the code did before)."""
    n_rec, n_comp, n = acc.shape
    grid = response_module._grid(n // 2 + 1, 1.0 / (n * dt), tuple(periods), 0.05, 5.0, True,
                                 acc.dtype.str, True, None)  # fmt: skip
    assert grid.prefilter is None and len(grid.fft) == periods.size
    values, rot = response_module._block_response(acc.reshape(-1, n), grid, n_comp, (0, 1))
    return values.reshape(n_rec, n_comp, -1), rot


def _laquila_records() -> np.ndarray:
    require_fixtures()
    records = []
    for station in STATIONS:
        comps = [read_cor_acc(station, c) for c in ("H1", "H2", "V")]
        if all(dt == DT and data.size >= 8000 for data, dt in comps):
            records.append(np.stack([data[:8000] for data, _ in comps]))
    assert len(records) >= 10
    return np.stack(records)


def test_the_step_is_exact_for_an_input_linear_between_samples():
    # scipy's lsim with interp=True integrates the same input (linear between samples) by
    # its own matrix exponential: the two agree to rounding, at short and long periods.
    rng = np.random.default_rng(2)
    acc = rng.standard_normal(3000)
    t = np.arange(acc.size) * DT
    for period in (0.05, 0.3, 4.0):
        wn = 2 * np.pi / period
        system = scipy.signal.lti([[0, 1], [-(wn**2), -2 * 0.05 * wn]], [[0], [1]],
                                  [[wn**2, 0]], 0)  # fmt: skip
        _, expected, _ = scipy.signal.lsim(system, acc, t, interp=True)
        step = response_module._oscillator_step(period, DT, 0.05)
        series = np.empty((acc.size, 1))
        hi, lo = np.empty(1), np.empty(1)
        at_hi, at_lo = np.empty(1, np.int64), np.empty(1, np.int64)
        _kernels.oscillator_series(acc[:, None].copy(), step, np.zeros(1), np.zeros(1), series,
                                   hi, lo, at_hi, at_lo)  # fmt: skip
        np.testing.assert_allclose(series[:, 0], expected, rtol=0, atol=1e-12 * abs(expected).max())
        assert hi[0] == expected.max() or np.isclose(hi[0], expected.max(), rtol=1e-12)
        assert series[at_hi[0], 0] == hi[0] and series[at_lo[0], 0] == lo[0]


def test_which_periods_are_stepped_in_time():
    # Only the causal periods of at least 40 samples (0.2 s at 200 Hz) of an even-length
    # record: the others keep the FFT.
    causal = response_module._grid_for(8000, DT, DEFAULT_PERIODS_S, 0.05, 5.0, True,
                                       np.dtype("f4"), True)  # fmt: skip
    short = DEFAULT_PERIODS_S < 0.2
    assert causal.fft == tuple(np.flatnonzero(short))  # 0.02 s to 0.15 s
    assert [step is not None for step in causal.steps] == list(~short)
    assert causal.initial.shape == (2 * 4001, 2 * (~short).sum())
    periodic = response_module._grid_for(8000, DT, DEFAULT_PERIODS_S, 0.05, 5.0, False,
                                         np.dtype("f4"), True)  # fmt: skip
    assert periodic.prefilter is None and all(step is None for step in periodic.steps)
    odd = response_module._grid_for(7999, DT, DEFAULT_PERIODS_S, 0.05, 5.0, True,
                                    np.dtype("f4"), True)  # fmt: skip
    assert odd.prefilter is None and len(odd.fft) == DEFAULT_PERIODS_S.size


def test_time_domain_periods_equal_the_fft_causal_solution_on_earthquakes():
    # L'Aquila 2009, every station recorded at 200 Hz for 40 s or more, the first 40 s: the
    # prefiltered steps from the FFT's starting state give the FFT's causal solution to
    # 1e-5 (measured: 9e-6 at most, in float64 and float32).
    records = _laquila_records()
    values, rot = psa_and_rotd50(records, DT, DEFAULT_PERIODS_S)
    ref_values, ref_rot = _fft_only(records, DT, DEFAULT_PERIODS_S)
    short = DEFAULT_PERIODS_S < 0.2
    np.testing.assert_array_equal(values[..., short], ref_values[..., short])
    np.testing.assert_array_equal(rot[..., short], ref_rot[..., short])
    np.testing.assert_allclose(values, ref_values, rtol=2e-5)
    np.testing.assert_allclose(rot, ref_rot, rtol=2e-5)
    # float32 records, as the panel reads them
    values32, rot32 = psa_and_rotd50(records.astype(np.float32), DT, DEFAULT_PERIODS_S)
    np.testing.assert_allclose(values32, ref_values, rtol=3e-5)
    np.testing.assert_allclose(rot32, ref_rot, rtol=3e-5)


def test_time_domain_periods_on_white_noise_stay_close_to_the_fft():
    # White noise starts at full amplitude and has as much energy at 100 Hz as anywhere:
    # the worst case for both the prefilter (the hold's images near the Nyquist frequency)
    # and the starting state (measured: 6e-4 at 0.2 s, 1e-4 at 1 s, 1e-5 from 5 s; steps
    # from rest instead of the FFT's starting state are 2e-3 off at 10 s, which the last
    # bound catches).
    rng = np.random.default_rng(11)
    noise = rng.standard_normal((6, 3, 8000))
    values, rot = psa_and_rotd50(noise, DT, DEFAULT_PERIODS_S)
    ref_values, ref_rot = _fft_only(noise, DT, DEFAULT_PERIODS_S)
    np.testing.assert_allclose(values, ref_values, rtol=1.5e-3)
    np.testing.assert_allclose(rot, ref_rot, rtol=1.5e-3)
    long = DEFAULT_PERIODS_S >= 1.0
    np.testing.assert_allclose(values[..., long], ref_values[..., long], rtol=4e-4)
    longest = DEFAULT_PERIODS_S >= 5.0
    np.testing.assert_allclose(values[..., longest], ref_values[..., longest], rtol=1e-4)


def _brute_rotd50(h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
    angles = np.radians(np.arange(180))
    rotated = h1[:, :, None] * np.cos(angles) + h2[:, :, None] * np.sin(angles)
    return np.percentile(np.abs(rotated).max(axis=1), 50, axis=-1)


def test_rotd50_kernel_equals_every_sample_through_every_angle():
    # Smooth long-period responses, rough short-period ones, a polarised motion, a record
    # whose peak is its first sample, and silence (RotD50 0), side by side as in a block.
    rng = np.random.default_rng(4)
    t = np.arange(3000) * DT
    env = np.exp(-(((t - 6.0) / 2.0) ** 2))
    h1 = np.stack([
        env * np.sin(2 * np.pi * 0.3 * t),
        rng.standard_normal(t.size) * env,
        env * np.sin(2 * np.pi * 2 * t) * np.cos(np.radians(30)),
        np.where(t == 0, 9.0, 0.1 * np.sin(2 * np.pi * t)),
        np.zeros(t.size),
    ])  # fmt: skip
    h2 = np.stack([
        env * np.cos(2 * np.pi * 0.3 * t + 0.4) * 0.7,
        rng.standard_normal(t.size) * env,
        env * np.sin(2 * np.pi * 2 * t) * np.sin(np.radians(30)),
        np.where(t == 0, -3.0, 0.1 * np.cos(2 * np.pi * t)),
        np.zeros(t.size),
    ])  # fmt: skip
    n_rec = h1.shape[0]
    where1, where2 = np.abs(h1).argmax(axis=-1), np.abs(h2).argmax(axis=-1)
    want = _brute_rotd50(h1, h2)
    vertical = np.ones_like(h1)
    # time first, (time, component, record) as the time-domain periods lay their series out
    by_time = np.ascontiguousarray(np.stack([vertical, h2, h1]).transpose(2, 0, 1))
    got = response_module._rotd50_of(by_time.reshape(t.size, -1), True, n_rec, 3, (2, 1),
                                      where1, where2)  # fmt: skip
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert got[-1] == 0.0
    # a row per record and component, (record, component, time), as the FFT periods do
    rows = np.ascontiguousarray(np.stack([h1, vertical, h2], axis=1))
    got = response_module._rotd50_of(rows.reshape(-1, t.size), False, n_rec, 3, (0, 2),
                                      where1, where2)  # fmt: skip
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(response_module._rotd50_pairs(h1, h2), want, rtol=1e-12)


def test_intensity_kernel_equals_the_array_functions():
    rng = np.random.default_rng(8)
    t = np.arange(4000) * DT
    acc = rng.standard_normal((2, 3, t.size)) * np.exp(-(((t - 8.0) / 3.0) ** 2)) * 50 + 0.3
    acc[1, 2] = 0.0  # a silent component: every measure 0
    peak_v, arias, cumulative, duration = pgv_arias_cav_duration(acc, DT)
    assert peak_v.shape == (2, 3)
    np.testing.assert_allclose(peak_v, pgv(acc, DT), rtol=1e-12)
    np.testing.assert_allclose(arias, arias_intensity(acc, DT), rtol=1e-12)
    np.testing.assert_allclose(cumulative, cav(acc, DT), rtol=1e-12)
    np.testing.assert_allclose(duration, significant_duration(acc, DT), rtol=0, atol=1e-12)
    assert peak_v[1, 2] == arias[1, 2] == cumulative[1, 2] == duration[1, 2] == 0.0
    # the study statistics' moments from the same passes
    *_, moments = pgv_arias_cav_duration(acc, DT, with_moments=True)
    expected = _record_moments(acc)
    np.testing.assert_array_equal(moments[3:], expected[3:])  # min and max, exactly
    np.testing.assert_allclose(moments, expected, rtol=1e-12, atol=1e-12)
    # a boxcar of length L: D5-95 = 0.9 L (husid_times' linear interpolation)
    box = np.zeros((1, 2000))
    box[0, 500:1500] = 10.0
    assert pgv_arias_cav_duration(box, DT)[3][0] == pytest.approx(0.9 * 1000 * DT, abs=DT)
    np.testing.assert_allclose(pgv_arias_cav_duration(box, DT)[3], significant_duration(box, DT),
                               atol=1e-12)  # fmt: skip


def test_intensity_kernel_on_recorded_earthquakes():
    records = _laquila_records() * 100.0  # m/s^2 -> cm/s^2
    got = pgv_arias_cav_duration(records, DT)
    for value, expected in zip(got, (pgv(records, DT), arias_intensity(records, DT),
                                     cav(records, DT)), strict=False):  # fmt: skip
        np.testing.assert_allclose(value, expected, rtol=1e-12)
    np.testing.assert_allclose(got[3], significant_duration(records, DT), atol=1e-12)


def test_kth_smallest_partitions_as_numpy():
    # RotD50's lower bound and median: the k-th smallest of 180 values, ties included
    # (rounded peaks of a constant record are all equal), with np.partition's ordering.
    rng = np.random.default_rng(12)
    for trial in range(400):
        n = int(rng.integers(1, 200))
        if trial % 2:
            a = rng.integers(0, int(rng.integers(1, 6)), n).astype(np.float64)
        else:
            a = rng.standard_normal(n)
        k = int(rng.integers(0, n))
        b = a.copy()
        value = _kernels.kth_smallest(b, k)
        assert value == np.partition(a, k)[k]
        assert np.all(b[:k] <= value) and np.all(b[k + 1 :] >= value)
        np.testing.assert_array_equal(np.sort(b), np.sort(a))
