"""Known answers of the scorecard's full-band measures (seisgan_core.evaluation.fidelity)."""

from __future__ import annotations

import numpy as np
import pytest

from seisgan_core.evaluation import fidelity as f
from seisgan_core.evaluation.intensity import husid_times

DT = 0.005
T = np.arange(8000) * DT


def _bursts(*centres: float, width: float = 1.0) -> np.ndarray:
    env = sum(np.exp(-(((T - c) / width) ** 2)) for c in centres)
    return np.stack([env * np.sin(2 * np.pi * 3 * T)] * 3)[None]


def _noise(n: int = 6, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3, T.size)) * np.exp(-(((T - 15) / 4) ** 2))


def test_fas_band_errors_of_a_scaled_set_and_of_an_added_sine():
    x = _noise()
    assert np.allclose(f.fas_band_errors_db(2 * x, x, DT), 20 * np.log10(2), atol=1e-6)
    assert np.allclose(f.fas_band_errors_db(x, x, DT), 0.0)
    sine = x + 5 * np.sin(2 * np.pi * 10 * T)  # 10 Hz: the 5-20 Hz band only
    err = f.fas_band_errors_db(sine, x, DT)
    assert (err[:, 3] > 2).all()  # a line raises part of its band (KO b = 40 smoothing)
    assert (np.abs(err[:, [0, 1, 5]]) < 1).all()


def test_lf_rms_share_of_two_equal_sines():
    s = np.sin(2 * np.pi * 0.2 * T) + np.sin(2 * np.pi * 5 * T)
    assert f.lf_rms_share(s[None], DT)[0] == pytest.approx(1 / np.sqrt(2), rel=1e-9)
    assert f.lf_rms_share(np.sin(2 * np.pi * 5 * T)[None], DT)[0] < 1e-6


def test_end_drift_of_a_constant_acceleration_is_a_ramp():
    v, d = f.end_drift(np.full((1, T.size), 2.0), DT)
    duration = (T.size - 1) * DT
    assert v[0] == pytest.approx(2.0 * duration)
    assert d[0] == pytest.approx(2.0 * duration**2 / 2, rel=1e-6)


def test_edge_transients_flag_a_loud_start_and_end_only():
    x = _noise(2)
    start, end = f.edge_transients(x, DT)
    assert not start.any() and not end.any()
    x[0, 1, :10] += 100.0
    x[1, 2, -10:] -= 100.0
    start, end = f.edge_transients(x, DT)
    assert start.tolist() == [[False, True, False], [False, False, False]]
    assert end.tolist() == [[False, False, False], [False, False, True]]


def test_energy_packets_count_separate_bursts():
    assert f.energy_packets(_bursts(20), DT).tolist() == [1]
    assert f.energy_packets(_bursts(8, 20, 32), DT).tolist() == [3]


def test_husid_times_and_onset_lag_of_boxcars():
    box = ((T >= 10) & (T < 20)).astype(float)
    times = husid_times(box[None], DT, (0.05, 0.5, 0.95))[0]
    assert times == pytest.approx([10.5, 15.0, 19.5], abs=2 * DT)
    late = ((T >= 14) & (T < 24)).astype(float)
    x = np.stack([late, late, box])[None]
    assert f.onset_lag(x, DT)[0] == pytest.approx(4.0, abs=2 * DT)


def test_anderson_scores_ten_for_identical_records_and_less_otherwise():
    x = _noise(4)
    same = f.anderson_gof(x[:, :2], x[:, :2], DT)
    assert same.shape == (4, 2, len(f.ANDERSON_BANDS_HZ), 10)
    assert np.allclose(same, 10.0)
    other = f.anderson_gof(x[:2, :2], x[2:, :2], DT)
    assert 0 < other.mean() < 9
    # cross-correlation of independent noise is near 0; a scaled copy keeps it at 10
    assert other[..., 9].mean() < 3
    scaled = f.anderson_gof(x[:2, :2], 2 * x[:2, :2], DT)
    assert np.allclose(scaled[..., 9], 10.0)
    # PGA of a copy at twice the amplitude: 10 exp(-1)
    assert np.allclose(scaled[..., 4], 10 * np.exp(-1), rtol=1e-6)
