"""The stochastic simulator: analytic pieces, the time-domain method, and realism against
BSSA14-Italy (pygmm) and the real L'Aquila 2009 records of the fixtures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seisgan_core.demo.simulator import (
    APENNINES,
    Scenario,
    corner_frequency_hz,
    duration_s,
    fourier_amplitude,
    generic_rock_amplification,
    median_kappa_s,
    median_stress_bar,
    seismic_moment_dyne_cm,
    simulate_noise,
    simulate_record,
    site_amplification,
)
from seisgan_core.io.itaca_legacy import read_cor_acc, read_metadata

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures"
LAQUILA = FIXTURES / "itaca-legacy-laquila-2009"


def test_moment_and_corner_frequency_analytic():
    # Hanks and Kanamori (1979): Mw 6 -> 10^25.05 dyne-cm.
    assert seismic_moment_dyne_cm(6.0) == pytest.approx(10**25.05)
    # Brune (1970) via Boore (2003) eq. 4, by hand: 4.906e6 * 3.5 * (100 / 10^25.05)^(1/3).
    expected = 4.906e6 * 3.5 * (100.0 / 10**25.05) ** (1 / 3)
    assert corner_frequency_hz(6.0, 100.0) == pytest.approx(expected)
    # fc scales as stress^(1/3) and as M0^(-1/3) (one magnitude unit: 10^-0.5).
    assert corner_frequency_hz(6.0, 800.0) / corner_frequency_hz(6.0, 100.0) == pytest.approx(2.0)
    assert corner_frequency_hz(7.0, 100.0) / corner_frequency_hz(6.0, 100.0) == pytest.approx(
        10**-0.5
    )


def test_spectrum_is_omega_squared_with_kappa_and_q():
    sc = Scenario(mw=5.0, depth_km=10.0, epicentral_distance_km=0.0, kappa_s=0.0)
    fc = corner_frequency_hz(5.0, APENNINES.stress_bar)
    f = np.array([fc / 100.0, fc / 50.0])
    a = fourier_amplitude(f, sc)
    # Far below fc acceleration grows as f^2 (Q, kappa and amplification nearly flat there).
    assert a[1] / a[0] == pytest.approx(4.0, rel=0.05)
    # kappa multiplies by exp(-pi kappa f), exactly.
    f_hi = np.array([5.0, 20.0])
    with_kappa = fourier_amplitude(f_hi, Scenario(5.0, 10.0, 0.0, kappa_s=0.04))
    no_kappa = fourier_amplitude(f_hi, Scenario(5.0, 10.0, 0.0, kappa_s=0.0))
    np.testing.assert_allclose(with_kappa / no_kappa, np.exp(-np.pi * 0.04 * f_hi), rtol=1e-12)


def _path_ratio(r_near: float, r_far: float, f: float, exponent: float) -> float:
    # Spreading (one segment), Q(f) and the kappa path term between two distances, by hand.
    # Q(f) = 90 f^0.74 from 1 Hz up, and 90 below (flat under q_flat_below_hz = 1 Hz).
    m = APENNINES
    assert (m.q0, m.q_eta, m.q_flat_below_hz) == (90.0, 0.74, 1.0)
    q = 90.0 * max(f, 1.0) ** 0.74
    return (
        (r_far / r_near) ** exponent
        * np.exp(-np.pi * f * (r_far - r_near) / (q * m.beta_km_s))
        * np.exp(-np.pi * f * m.kappa_r_s_per_km * (r_far - r_near))
    )


def test_geometric_spreading_q_and_path_kappa():
    # Depth 0 and Mw 4: R_eff = hypot(R, h) with h = 10^(-0.405 + 0.94) = 3.43 km, and the
    # hypocentral distance (for the kappa path term) is R itself.
    h = 10 ** (-0.405 + 0.235 * 4.0)
    # (near km, far km, exponent): within the first segment (r^-1.0 to 50 km), and beyond.
    for near_km, far_km, exponent in ((15.0, 40.0, -1.0), (100.0, 200.0, -0.7)):
        for f0 in (0.33, 1.0, 8.0):
            f = np.array([f0])
            a = fourier_amplitude(f, Scenario(4.0, 0.0, near_km, kappa_s=0.0))
            b = fourier_amplitude(f, Scenario(4.0, 0.0, far_km, kappa_s=0.0))
            r1, r2 = np.hypot(near_km, h), np.hypot(far_km, h)
            expected = _path_ratio(r1, r2, f0, exponent) * np.exp(
                -np.pi * f0 * APENNINES.kappa_r_s_per_km * ((far_km - near_km) - (r2 - r1))
            )
            assert b[0] / a[0] == pytest.approx(expected, rel=1e-6)


def test_kappa_grows_with_distance():
    # Anderson and Hough (1984): between 10 and 30 Hz the spectrum falls as exp(-pi kappa f)
    # with kappa = kappa_0 + kappa_r R; the site term alone is kappa_0.
    f = np.array([10.0, 30.0])
    for r in (5.0, 150.0):
        sc = Scenario(5.0, 0.0, r, kappa_s=0.03)
        ref = Scenario(5.0, 0.0, r, kappa_s=0.0)
        ratio = fourier_amplitude(f, sc) / fourier_amplitude(f, ref)
        np.testing.assert_allclose(ratio, np.exp(-np.pi * 0.03 * f), rtol=1e-12)
    near = fourier_amplitude(f, Scenario(5.0, 0.0, 10.0, kappa_s=0.0))
    far = fourier_amplitude(f, Scenario(5.0, 0.0, 150.0, kappa_s=0.0))
    slope = lambda a: -np.log(a[1] / a[0]) / (np.pi * 20.0)  # noqa: E731
    # The apparent path kappa (Q and kappa_r) grows by 0.02-0.06 s from 10 to 150 km.
    assert 0.02 < slope(far) - slope(near) < 0.06


def test_two_corner_source_limits():
    from seisgan_core.demo.simulator import source_shape, two_corner_source

    for mw in (4.0, 5.0, 6.3):
        fa, fb, eps = two_corner_source(mw, 95.0)
        fc = corner_frequency_hz(mw, 95.0)
        assert fa < fb and 0 < eps <= 1
        # Far below the corners: (2 pi f)^2; far above: the Brune level (2 pi fc)^2.
        lo, hi = source_shape(np.array([1e-4, 1e4]), mw, 95.0)
        assert lo == pytest.approx((2 * np.pi * 1e-4) ** 2, rel=1e-6)
        assert hi == pytest.approx((2 * np.pi * fc) ** 2, rel=1e-4)
    # The sag: between the corners an Mw 6.3 source is well below the one-corner Brune
    # spectrum of the same stress (that is what takes SA(1-3 s) down).
    fa, fb, _ = two_corner_source(6.3, 95.0)
    f_mid = np.sqrt(fa * fb)
    fc = corner_frequency_hz(6.3, 95.0)
    brune = (2 * np.pi * f_mid) ** 2 / (1 + (f_mid / fc) ** 2)
    assert source_shape(np.array([f_mid]), 6.3, 95.0)[0] < 0.6 * brune


def test_crustal_and_site_amplification():
    # Boore and Joyner (1997) generic rock at its own table points.
    np.testing.assert_allclose(generic_rock_amplification([0.51, 6.05, 16.6]), [1.42, 2.58, 3.13])
    # Relative to 620 m/s: no change at 620; soft sites amplify, hard sites de-amplify (BSSA14).
    np.testing.assert_allclose(site_amplification([1.0, 10.0], 620.0), [1.0, 1.0])
    assert site_amplification([1.0], 250.0)[0] == pytest.approx((250 / 620) ** -1.05, rel=1e-6)
    assert site_amplification([1.0], 1200.0)[0] < 1.0
    # The site's median kappa_0 (RegionModel.kappa_s), the same for every Vs30.
    assert median_kappa_s(300.0) == median_kappa_s(1200.0) == pytest.approx(0.025)


def _band_rms(x: np.ndarray, dt: float, f0: float) -> float:
    spectrum = np.abs(np.fft.rfft(x)) * dt
    f = np.fft.rfftfreq(x.size, dt)
    band = (f > f0 / 1.25) & (f < f0 * 1.25)
    return float(np.sqrt(np.mean(spectrum[band] ** 2)))


def test_time_series_has_the_target_spectrum():
    # Boore (2003): the average spectrum of the shaped noise is the target spectrum.
    sc = Scenario(mw=5.5, depth_km=10.0, epicentral_distance_km=30.0, vs30_m_s=500.0)
    rng = np.random.default_rng(3)
    dt = 0.005
    freqs = [0.5, 1.0, 2.0, 5.0, 10.0]
    ratios = np.zeros((20, len(freqs)))
    for i in range(20):
        x = simulate_record(sc, rng, noise_cm_s2=1e-6)[0]
        ratios[i] = [_band_rms(x, dt, f0) for f0 in freqs] / fourier_amplitude(np.array(freqs), sc)
    # Mean over realisations within 20 % of the target in every band (P adds a little).
    np.testing.assert_allclose(np.sqrt(np.mean(ratios**2, axis=0)), 1.0, rtol=0.2)


def test_same_seed_same_waveform_and_p_before_s():
    sc = Scenario(mw=5.0, depth_km=10.0, epicentral_distance_km=60.0)
    a = simulate_record(sc, np.random.default_rng(7), pre_event_s=10.0)
    b = simulate_record(sc, np.random.default_rng(7), pre_event_s=10.0)
    c = simulate_record(sc, np.random.default_rng(8), pre_event_s=10.0)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.shape[0] == 3
    rate = 200.0
    # Pre-event part: noise only, far below the strong motion.
    pre = np.abs(a[:, : int(9.5 * rate)]).max()
    assert pre < 0.05 * np.abs(a).max()
    # The P phase (vertical) starts at the pre-event time; the S phase after R/beta - R/alpha.
    from obspy.signal.trigger import recursive_sta_lta, trigger_onset

    cft = recursive_sta_lta(a[2], int(0.5 * rate), int(5 * rate))
    cft[: int(5 * rate)] = 0
    onset = trigger_onset(cft, 4.0, 1.5)[0][0] / rate
    assert onset == pytest.approx(10.0, abs=0.6)
    r = sc.hypocentral_distance_km
    s_lag = r / APENNINES.beta_km_s - r / APENNINES.vp_km_s
    peak_h = np.argmax(np.abs(a[0])) / rate
    assert peak_h > 10.0 + 0.8 * s_lag


def test_vertical_to_horizontal_ratio_is_realistic():
    rng = np.random.default_rng(11)
    ratios = []
    for r in (10.0, 30.0, 80.0):
        for _ in range(6):
            x = simulate_record(Scenario(5.5, 10.0, r, 400.0), rng)
            ratios.append(np.abs(x[2]).max() / np.sqrt(np.abs(x[0]).max() * np.abs(x[1]).max()))
    # Observed PGA V/H: about 0.5-0.8 on average (Bozorgnia and Campbell 2004).
    assert 0.45 < np.median(ratios) < 0.9


def test_noise_level_and_shape():
    from seisgan_core.demo.simulator import draw_noise_rms_cm_s2

    x = simulate_noise(np.random.default_rng(0), 4000, rms_cm_s2=0.02)
    assert x.shape == (3, 4000)
    np.testing.assert_allclose(np.sqrt(np.mean(x**2, axis=1)), 0.02, rtol=1e-9)
    # Station noise levels: log-uniform between the bounds (median their geometric mean).
    rng = np.random.default_rng(1)
    levels = np.array([draw_noise_rms_cm_s2(rng) for _ in range(2000)])
    low, high = APENNINES.noise_rms_cm_s2
    assert levels.min() >= low and levels.max() <= high
    assert np.median(levels) == pytest.approx(np.sqrt(low * high), rel=0.1)


def _pga_rotd50_proxy(x: np.ndarray) -> float:
    return float(np.sqrt(np.abs(x[0]).max() * np.abs(x[1]).max()))


@pytest.mark.slow
def test_pga_residuals_against_bssa14_italy():
    """Scenarios drawn evenly over Mw 4-6.5 and 10-200 km, with no trigger: the median ln
    residual lies between -0.5 and 0 and the scatter in 0.4-0.8. The archive's goal (within
    +/-0.25 on its records, tests/demo/test_realism.py) is met on triggered records, which a
    2 cm/s^2 trigger takes from the stronger side at distance, as it does in ITACA; without
    the trigger the simulated median sits about 0.35 below BSSA14-Italy."""
    import pygmm

    rng = np.random.default_rng(2024)
    model = APENNINES
    residuals = []
    for _ in range(240):
        mw = rng.uniform(4.0, 6.5)
        r = float(np.exp(rng.uniform(np.log(10.0), np.log(200.0))))
        depth = rng.uniform(5.0, 15.0)
        vs30 = float(np.exp(rng.uniform(np.log(250.0), np.log(900.0))))
        sc = Scenario(
            mw,
            depth,
            r,
            vs30,
            stress_bar=median_stress_bar(mw, model)
            * np.exp(model.sigma_ln_stress * rng.standard_normal()),
            kappa_s=median_kappa_s(vs30) * np.exp(model.sigma_ln_kappa * rng.standard_normal()),
            site_term_ln=model.sigma_ln_site * rng.standard_normal(),
        )
        pga_g = _pga_rotd50_proxy(simulate_record(sc, rng)) / 980.665
        gmm = pygmm.BooreStewartSeyhanAtkinson2014(
            pygmm.Scenario(mag=mw, dist_jb=r, v_s30=vs30, mechanism="NS", region="italy")
        )
        residuals.append(np.log(pga_g / gmm.pga))
    residuals = np.asarray(residuals)
    assert -0.5 <= np.median(residuals) <= 0.0, np.median(residuals)
    assert 0.4 <= residuals.std() <= 0.8, residuals.std()


def _read_cor_acc(path: Path) -> np.ndarray:
    return read_cor_acc(path).data_cm_s2


def _d5_95(x: np.ndarray, rate: float) -> float:
    husid = np.cumsum(x**2)
    husid /= husid[-1]
    return (np.searchsorted(husid, 0.95) - np.searchsorted(husid, 0.05)) / rate


@pytest.mark.skipif(not LAQUILA.is_dir(), reason="../shared/fixtures is absent")
def test_laquila_mainshock_against_the_real_records():
    """Mw 6.3, depth 8.8 km at the 13 fixture stations' distances: median PGA and median
    5-95 % duration within a factor of 2 of ITACA's records."""
    real_pga, real_dur, sim_pga, sim_dur = [], [], [], []
    rng = np.random.default_rng(6)
    for folder in sorted(LAQUILA.iterdir()):
        meta = read_metadata(folder / f"{folder.name}.metadata")
        repi = float(meta["distance_repi"])
        vs30 = float(meta["station.vs30"])
        h1 = _read_cor_acc(folder / f"{folder.name}_H1.cor.acc")
        h2 = _read_cor_acc(folder / f"{folder.name}_H2.cor.acc")
        real_pga.append(np.sqrt(np.abs(h1).max() * np.abs(h2).max()))
        real_dur.append(np.median([_d5_95(h1, 200.0), _d5_95(h2, 200.0)]))
        x = simulate_record(Scenario(6.3, 8.8, repi, vs30), rng)
        sim_pga.append(_pga_rotd50_proxy(x))
        sim_dur.append(np.median([_d5_95(x[0], 200.0), _d5_95(x[1], 200.0)]))
    assert len(real_pga) == 13
    pga_ratio = np.median(sim_pga) / np.median(real_pga)
    dur_ratio = np.median(sim_dur) / np.median(real_dur)
    assert 0.5 <= pga_ratio <= 2.0, (np.median(sim_pga), np.median(real_pga))
    assert 0.5 <= dur_ratio <= 2.0, (np.median(sim_dur), np.median(real_dur))


def test_duration_grows_with_distance_and_magnitude():
    assert duration_s(Scenario(5.0, 10.0, 150.0)) > duration_s(Scenario(5.0, 10.0, 20.0))
    assert duration_s(Scenario(6.5, 10.0, 20.0)) > duration_s(Scenario(4.5, 10.0, 20.0))
    # The record's duration term scales the whole duration, exactly.
    base = duration_s(Scenario(5.5, 10.0, 80.0))
    longer = duration_s(Scenario(5.5, 10.0, 80.0, duration_term_ln=0.4))
    assert longer == pytest.approx(base * np.exp(0.4), rel=1e-12)
