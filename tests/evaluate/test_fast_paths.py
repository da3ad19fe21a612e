"""The panel's fast paths give the values of the plain public functions.

The panel computes every per-record measure on small blocks of records on a thread per core,
pools the study statistics from per-record moments, searches nearest records on threads and
rotates only the RotD50 samples that can set the median; each is checked here against the whole-set
function it replaces (or a brute-force rotation), on records with known structure.
"""

from __future__ import annotations

import numpy as np
import pytest

from seisgan_core.evaluation import (
    arias_intensity,
    cav,
    envelope,
    fas,
    nearest_real,
    pga,
    pgv,
    psd,
    significant_duration,
)
from seisgan_core.evaluation import response as response_module
from seisgan_core.evaluation.frechet import spectral_features
from seisgan_core.evaluation.panel import _record_measures, _zscore
from seisgan_core.evaluation.response import DEFAULT_PERIODS_S, _rotd50_pairs, psa_and_rotd50
from seisgan_core.evaluation.statistics import _pooled_statistics, _record_moments, study_statistics
from seisgan_testsupport.synthetic_records import DT, catalogue, simulate


@pytest.fixture(scope="module")
def records() -> np.ndarray:
    mw, dist = catalogue(11, seed=40)
    x = simulate(mw, dist, seed=41, npts=1200).astype(np.float32)
    x[4, 2] = 0.0  # a silent component: std 0, z-scored to zeros
    x[7, 1] += 3.0  # an offset record: pooled mean and M2 need the between-record terms
    return x


@pytest.mark.parametrize("normalised", [False, True])
def test_pooled_statistics_equal_study_statistics(records, normalised):
    blocks = [_record_moments(records[i : i + 4]) for i in range(0, records.shape[0], 4)]
    pooled = _pooled_statistics(np.concatenate(blocks, axis=1), records.shape[-1], normalised)
    if normalised:
        # The reference z-scores in float64 here, so both sides round alike.
        ref = study_statistics(_zscore(records.astype(np.float64)))
    else:
        ref = study_statistics(records)
    for name in ("min", "max", "mean", "std", "skewness"):
        np.testing.assert_allclose(pooled[name], ref[name], rtol=1e-9, atol=1e-12, err_msg=name)
    if normalised:
        assert pooled["mean"] == [0.0, 0.0, 0.0]


def test_block_pass_equals_whole_set_functions(records):
    out = _record_measures({"set": records}, DT, DEFAULT_PERIODS_S, block=3, workers=2)["set"]
    _, amp = fas(records, DT)
    np.testing.assert_allclose(out["fas"], amp, rtol=1e-5)
    np.testing.assert_allclose(out["spectral_features"], spectral_features(records, DT), atol=1e-5)
    _, power = psd(records, DT)
    np.testing.assert_allclose(out["psd"], power, rtol=1e-12)
    values, rot = psa_and_rotd50(records, DT, DEFAULT_PERIODS_S)
    np.testing.assert_allclose(out["psa"], values, rtol=1e-6)
    np.testing.assert_allclose(out["rotd50"], rot, rtol=1e-6)
    np.testing.assert_array_equal(out["pga_cm_s2"], pga(records))
    np.testing.assert_allclose(out["pgv_cm_s"], pgv(records, DT), rtol=1e-12)
    np.testing.assert_allclose(out["arias_m_s"], arias_intensity(records, DT), rtol=1e-12)
    np.testing.assert_allclose(out["cav_cm_s"], cav(records, DT), rtol=1e-12)
    np.testing.assert_allclose(out["d5_95_s"], significant_duration(records, DT), atol=1e-12)
    step = round(0.1 / DT)
    # The block pass folds the float32 spectrum (tests/evaluate/test_spectra_intensity.py):
    # both sides carry float32 rounding of the record's largest values, ~1e-7 of them.
    np.testing.assert_allclose(out["envelope"], envelope(records)[..., ::step], rtol=1e-5,
                               atol=1e-6 * np.abs(records).max())  # fmt: skip
    assert out["moments"]["max"] == study_statistics(records)["max"]


def _brute_rotd50(h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
    """Every sample through every angle (Boore 2010): no pruning at all."""
    angles = np.radians(np.arange(180))
    rotated = h1[:, :, None] * np.cos(angles) + h2[:, :, None] * np.sin(angles)
    return np.percentile(np.abs(rotated).max(axis=1), 50, axis=-1)


def test_rotd50_pruned_rotation_equals_brute_force(records):
    # Responses of the two horizontals at short, middle and long periods (a few samples per
    # oscillator cycle up to smooth arcs of thousands); the reference rotates every sample.
    flat = records[:, :2].astype(np.float64)
    spectrum = np.fft.rfft(flat, axis=-1)
    grid = response_module._grid_for(flat.shape[-1], DT, DEFAULT_PERIODS_S, 0.05, 5.0, False,
                                      flat.dtype)  # fmt: skip
    for j in range(DEFAULT_PERIODS_S.size):
        rows = spectrum.reshape(-1, spectrum.shape[-1])
        series = response_module._response_series(rows, grid, j, None)
        h1, h2 = series[0::2], series[1::2]
        np.testing.assert_allclose(_rotd50_pairs(h1, h2), _brute_rotd50(h1, h2), rtol=1e-12)


def test_rotd50_on_hard_trajectories():
    # Paths that break naive pruning: a square wave (zero steps, plateaus), a trajectory that
    # reverses on itself, a polygon whose corners sit exactly on the angles, a single spike at
    # the first sample, a constant, silence, and the same rows as strided views (the panel's
    # series are views of one component of a block, or time-first columns).
    t = np.arange(400)
    square = np.sign(np.sin(2 * np.pi * t / 50)) + 0.0
    corners = np.radians(np.repeat(np.arange(0, 360, 45), 50))
    rows = np.stack(
        [
            np.stack([square, np.roll(square, 13) * 0.5]),
            np.stack([np.abs(t - 200.0), 0.3 * np.abs(t - 200.0)]),
            np.stack([np.cos(corners), np.sin(corners)]),
            np.stack([np.where(t == 0, 5.0, 0.01 * np.sin(t)), np.where(t == 399, -4.0, 0.0)]),
            np.stack([np.full(400, 2.0), np.full(400, -1.0)]),
            np.zeros((2, 400)),
        ]
    )
    h1, h2 = rows[:, 0], rows[:, 1]
    want = _brute_rotd50(h1, h2)
    np.testing.assert_allclose(_rotd50_pairs(h1, h2), want, rtol=1e-12, atol=1e-14)
    by_time = np.ascontiguousarray(rows.transpose(2, 1, 0))  # (time, component, record)
    np.testing.assert_allclose(_rotd50_pairs(by_time[:, 0].T, by_time[:, 1].T), want,
                               rtol=1e-12, atol=1e-14)  # fmt: skip
    assert _rotd50_pairs(h1, h2)[-1] == 0.0


def test_nearest_real_does_not_depend_on_threads_or_chunks():
    mw, dist = catalogue(30, seed=50)
    real = simulate(mw, dist, seed=51, npts=1600)
    gen = real[:9] * 1.7  # rescaled copies: nearest must be the originals
    one = nearest_real(gen, real[:20], real_test=real[20:], workers=1, chunk=128)
    many = nearest_real(gen, real[:20], real_test=real[20:], workers=2, chunk=2)
    np.testing.assert_array_equal(one.index, np.arange(9))
    np.testing.assert_array_equal(many.index, one.index)
    np.testing.assert_allclose(many.distance, one.distance, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(many.baseline_index, one.baseline_index)
    assert many.memorisation_ratio == pytest.approx(one.memorisation_ratio, rel=1e-12)
