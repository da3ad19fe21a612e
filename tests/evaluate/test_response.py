"""PSA and RotD50: closed-form steady state, pyrotd as the reference, ITACA's own spectra."""

from __future__ import annotations

import numpy as np
import pytest

from seisgan_core.evaluation import psa, rotd50
from seisgan_core.evaluation.response import DEFAULT_PERIODS_S, psa_and_rotd50
from seisgan_testsupport.laquila_fixtures import STATIONS, read_cor_acc, read_rs, require_fixtures
from seisgan_testsupport.pyrotd_ref import load_pyrotd


def test_psa_of_sine_at_resonance_is_the_steady_state_amplitude():
    # A sine a(t) = A sin(w t) drives an oscillator tuned to w; the steady-state relative
    # displacement amplitude is A / (2 zeta w^2) (Chopra 2012, eq. 3.2.x at r = 1), hence
    # PSA = w^2 u = A / (2 zeta). A whole number of cycles makes the FFT solution periodic,
    # i.e. exactly the steady state.
    dt, amp, damping = 0.005, 50.0, 0.05
    for period in (0.1, 0.5, 2.0):
        t = np.arange(round(40 * period / dt)) * dt
        acc = amp * np.sin(2 * np.pi * t / period)
        value = psa(acc, dt, [period], damping)[0]
        assert value == pytest.approx(amp / (2 * damping), rel=2e-3)


def test_psa_far_above_resonance_tends_to_pga():
    dt = 0.005
    t = np.arange(4000) * dt
    acc = 10.0 * np.sin(2 * np.pi * 1.0 * t)  # 1 Hz motion, oscillator at 50 Hz: rigid
    assert psa(acc, dt, [0.02])[0] == pytest.approx(10.0, rel=1e-3)


def test_psa_matches_pyrotd_on_random_records():
    pyrotd = load_pyrotd()
    rng = np.random.default_rng(3)
    dt = 0.01
    acc = rng.standard_normal((2, 3, 1500))
    ours = psa(acc, dt, DEFAULT_PERIODS_S, causal=False)
    for i in range(2):
        for c in range(3):
            ref = pyrotd.calc_spec_accels(dt, acc[i, c], 1 / DEFAULT_PERIODS_S).spec_accel
            np.testing.assert_allclose(ours[i, c], ref, rtol=1e-10)


@pytest.mark.parametrize("method", ["rigorous", "optimized"])
def test_rotd50_matches_pyrotd_and_lies_between_components(method):
    require_fixtures()
    pyrotd = load_pyrotd()
    for station in STATIONS[:4]:
        h1, dt = read_cor_acc(station, "H1")
        h2, _ = read_cor_acc(station, "H2")
        h1, h2 = h1[:6000], h2[:6000]
        ours = rotd50(h1, h2, dt, DEFAULT_PERIODS_S, causal=False)
        ref = pyrotd.calc_rotated_spec_accels(
            dt, h1, h2, 1 / DEFAULT_PERIODS_S, percentiles=[50], method=method
        ).spec_accel
        np.testing.assert_allclose(ours, ref, rtol=1e-9)
        both = psa(np.stack([h1, h2]), dt, DEFAULT_PERIODS_S, causal=False)
        # RotD50 is the median over rotations, so it cannot exceed the larger component's
        # PSA by more than the rotation gains (geometric mean of the two is a classic
        # proxy); it lies within [min, max] of the as-recorded components up to a few %.
        assert np.all(ours >= 0.8 * both.min(axis=0))
        assert np.all(ours <= 1.2 * both.max(axis=0))


def test_rotd50_of_one_polarised_motion():
    # Motion along one line at angle phi: rotated peak = P |cos(theta - phi)|, whose median
    # over theta in [0, 180) is P cos(45 deg) for the linear-percentile of 180 angles.
    dt = 0.005
    rng = np.random.default_rng(7)
    base = rng.standard_normal(3000)
    phi = np.radians(30.0)
    h1, h2 = base * np.cos(phi), base * np.sin(phi)
    ours = rotd50(h1, h2, dt, [0.2, 1.0])
    peak = psa(base, dt, [0.2, 1.0])
    angles = np.radians(np.arange(180.0))
    expected = np.percentile(np.abs(np.cos(angles - phi)), 50) * peak
    np.testing.assert_allclose(ours, expected, rtol=1e-9)


def test_batched_shapes_and_rotd50_in_one_pass():
    rng = np.random.default_rng(1)
    acc = rng.standard_normal((5, 3, 800)).astype(np.float32)
    values, rot = psa_and_rotd50(acc, 0.01, [0.1, 1.0], workers=2, chunk=6)
    assert values.shape == (5, 3, 2) and rot.shape == (5, 2)
    single = psa_and_rotd50(acc[3:4], 0.01, [0.1, 1.0], workers=1)
    np.testing.assert_allclose(values[3], single[0][0], rtol=1e-5)
    np.testing.assert_allclose(rot[3], single[1][0], rtol=1e-5)
    np.testing.assert_allclose(rot, rotd50(acc[:, 0], acc[:, 1], 0.01, [0.1, 1.0]), rtol=1e-5)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="dt"):
        psa(np.ones(10), 0.0, [1.0])
    with pytest.raises(ValueError, match="periods"):
        psa(np.ones(10), 0.01, [-1.0])
    with pytest.raises(ValueError, match="acc"):
        psa(np.array([1.0, np.nan]), 0.01, [1.0])


@pytest.mark.slow
@pytest.mark.parametrize("station", STATIONS or ["absent"])
def test_psa_reproduces_itaca_rs_files(station):
    require_fixtures()
    for component in ("H1", "H2", "V"):
        acc, dt = read_cor_acc(station, component)
        table = read_rs(station, component)
        # The reader keeps the period 0 (PGA) and -1 rows apart; 0.02 s to 10 s remain.
        rows = table[(table[:, 0] >= 0.02) & (table[:, 0] <= 10.0)]
        rows = rows[::2]  # 38 of the 76 periods, 0.02 s to 10 s: halves the test's time
        ours = psa(acc, dt, rows[:, 0], 0.05)
        ratio = ours / rows[:, 1]  # the file's third column: 5 % damping
        assert abs(np.median(ratio) - 1) < 0.05, (station, component, np.median(ratio))
        # Stricter than asked: every ordinate within 8 %, and within 1.5 % from 0.1 s on (below
        # 0.1 s the 10-samples-per-period grid of pyrotd's method shaves peaks a little).
        assert np.all(np.abs(ratio - 1) < 0.08), (station, component, ratio)
        long = rows[:, 0] >= 0.1
        assert np.all(np.abs(ratio[long] - 1) < 0.015), (station, component, ratio[long])


def test_causal_correction_matches_a_time_domain_solution():
    # A short pulse followed by silence: the periodic FFT solution wraps the free vibration
    # onto the start; the causal one must match scipy's state-space solution (lsim, linear
    # interpolation of the input) of u'' + 2 zeta w u' + w^2 u = -a.
    import scipy.signal

    dt, damping, period = 0.01, 0.05, 2.0
    t = np.arange(1000) * dt
    acc = np.where(t < 1.0, np.sin(2 * np.pi * 1.5 * t), 0.0) * 100.0
    wn = 2 * np.pi / period
    system = scipy.signal.lti([[0, 1], [-(wn**2), -2 * damping * wn]], [[0], [-1]], [[1, 0]], 0)
    _, u, _ = scipy.signal.lsim(system, acc, t)
    expected = wn**2 * np.abs(u).max()
    assert psa(acc, dt, [period])[0] == pytest.approx(expected, rel=2e-3)
    assert abs(psa(acc, dt, [period], causal=False)[0] / expected - 1) > 0.01


def test_fast_lengths_equal_pyrotd_on_the_finer_grid_they_choose():
    # 0.01-0.05 s at 200 Hz: pyrotd's grids (39,998, 29,992, ... samples) have large prime
    # factors; fast_lengths takes the next length of 2, 3, 5 and 7 at least as fine, which is
    # pyrotd's own grid for a max_freq_ratio raised to reach it
    from seisgan_core.evaluation.response import _fast_bins

    pyrotd = load_pyrotd()
    rng = np.random.default_rng(5)
    dt, n = 0.005, 2000
    acc = rng.standard_normal((1, 2, n))
    periods = np.array([0.01, 0.0133, 0.0178, 0.0316, 0.5])
    ours = psa(acc, dt, periods, causal=False)
    fast, _ = psa_and_rotd50(acc, dt, periods, causal=False, fast_lengths=True)
    df = 1.0 / (n * dt)
    for j, period in enumerate(periods):
        m = max(n // 2 + 1, int(5.0 * (1 / period) / df))
        m_fast = _fast_bins(m) if m > n // 2 + 1 else m
        length = 2 * (m_fast - 1)
        assert m_fast >= m and length % 2 == 0
        assert max(f for f in (2, 3, 5, 7) if length % f == 0) <= 7
        rest = length
        for f in (2, 3, 5, 7):
            while rest % f == 0:
                rest //= f
        assert rest == 1, (period, length)
        ratio = (m_fast + 0.5) * df * period  # int(ratio / (period df)) == m_fast
        for c in range(2):
            ref = pyrotd.calc_spec_accels(dt, acc[0, c], [1 / period], max_freq_ratio=ratio)
            np.testing.assert_allclose(fast[0, c, j], ref.spec_accel[0], rtol=1e-10)
    # the peaks are sampled on another grid (>= 10 samples per period either way): on white
    # noise, the worst case (as much energy at 100 Hz as anywhere), they differ by < 5 %
    np.testing.assert_allclose(fast, ours, rtol=0.05)
    assert not np.allclose(fast[..., :-1], ours[..., :-1], rtol=1e-6)
    assert np.array_equal(fast[..., -1], ours[..., -1])  # 0.5 s: the record's own grid


def test_the_causal_default_samples_short_periods_on_the_fast_grid():
    # causal (the default): the 0.02 s and 0.03 s oscillators on the fast lengths (20,000 and
    # 13,500 samples for 8,000 at 200 Hz, pyrotd's 19,998 and 13,330); causal=False keeps
    # pyrotd's grid, so that mode stays pyrotd's result. Either grid samples the peak at
    # about 10 points a period (an error of up to 1 - cos(pi / 10) = 4.9 % on a sine); on
    # recorded earthquakes (L'Aquila, 2009, the first 40 s) the two differ by up to 1.1 %
    # (PSA) and 1.9 % (RotD50) at 0.03 s, 0.4 % at 0.02 s.
    require_fixtures()
    from seisgan_core.evaluation.response import _grid_for

    grid = _grid_for(8000, 0.005, DEFAULT_PERIODS_S, 0.05, 5.0, True, np.dtype("f8"), True)
    assert grid.lengths[:3] == (20000, 13500, 8000)
    for station in STATIONS[:3]:
        h1, dt = read_cor_acc(station, "H1")
        h2, _ = read_cor_acc(station, "H2")
        pair = np.stack([h1, h2])[None, :, :8000]
        values, rot = psa_and_rotd50(pair, dt, DEFAULT_PERIODS_S)
        fast, fast_rot = psa_and_rotd50(pair, dt, DEFAULT_PERIODS_S, fast_lengths=True)
        np.testing.assert_array_equal(values, fast)
        np.testing.assert_array_equal(rot, fast_rot)
        on_pyrotd_grid, rot_pyrotd = psa_and_rotd50(pair, dt, DEFAULT_PERIODS_S, fast_lengths=False)
        np.testing.assert_allclose(values, on_pyrotd_grid, rtol=0.025)
        np.testing.assert_allclose(rot, rot_pyrotd, rtol=0.025)
        # only the oversampled periods move; the others are the same computation
        np.testing.assert_array_equal(values[..., 2:], on_pyrotd_grid[..., 2:])
        np.testing.assert_array_equal(rot[..., 2:], rot_pyrotd[..., 2:])
        periodic, _ = psa_and_rotd50(pair, dt, DEFAULT_PERIODS_S, causal=False)
        explicit, _ = psa_and_rotd50(pair, dt, DEFAULT_PERIODS_S, causal=False, fast_lengths=False)
        np.testing.assert_array_equal(periodic, explicit)
