"""A stochastic ground-motion simulator for Italian earthquakes (Boore 2003, time domain).

The acceleration Fourier amplitude spectrum of the S waves at hypocentral distance R is
(Boore 2003, eq. 2-5)::

    A(f) = C * M0 * S(f) * G(R) * exp(-pi f R / (Q(f) beta)) * exp(-pi kappa f) * Amp(f)

with the Brune omega-squared source ``S(f) = (2 pi f)^2 / (1 + (f/fc)^2)``, a piecewise geometric
spreading ``G(R)``, anelastic attenuation ``Q(f)``, the kappa filter of Anderson and Hough
(1984) and the crustal and site amplification ``Amp(f)``. A time series is made by shaping a
windowed Gaussian white noise (Saragoni and Hart 1974 envelope) so that its amplitude spectrum
becomes ``A(f)`` (Boore 2003, section "Time-domain simulation"). Three components are simulated:
two independent horizontals and a vertical scaled by a V/H ratio; a P phase arrives before S,
and pre-event noise precedes both.

The path starts from the equivalent point-source model of Yenier and Atkinson (2015, BSSA 105;
r^-1.3 to 50 km, r^-0.5 beyond, Q(f) = 170 f^0.45), keeps their near-source saturation term and
is calibrated against BSSA14-Italy: r^-1.0 / r^-0.7, Q(f) = 90 f^0.74 above 1 Hz and 90 below
(see ``RegionModel``); kappa is Anderson and Hough's (1984) kappa_0 + kappa_r R with an
Apennine site kappa_0 (Malagnini, Herrmann and Di Bona 2000); the stress parameter, the
path-duration scale and kappa_r are calibrated against BSSA14-Italy and the 13 real L'Aquila
2009 records (see ``RegionModel``).
Everything is numpy; the only randomness comes from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as sp_fft

__all__ = [
    "APENNINES",
    "RegionModel",
    "Scenario",
    "corner_frequency_hz",
    "draw_noise_rms_cm_s2",
    "duration_s",
    "finite_fault_distance_km",
    "fourier_amplitude",
    "generic_rock_amplification",
    "seismic_moment_dyne_cm",
    "simulate_noise",
    "simulate_record",
    "site_amplification",
    "source_shape",
    "two_corner_source",
]


@dataclass(frozen=True)
class RegionModel:
    """Crustal and source parameters of a region (defaults: the Apennines)."""

    # Shear-wave velocity and density near the source (Boore 2003, Table 4 for active crust;
    # Malagnini et al. 2000 use the same values for the Apennines).
    beta_km_s: float = 3.5
    rho_g_cm3: float = 2.8
    vp_km_s: float = 6.0
    # Brune stress parameter at Mw 5, bar: a calibration of this simulator against
    # BSSA14-Italy (pygmm) on the default archive's records (4 seeds) with the path below,
    # not a measured stress drop.
    stress_bar: float = 95.0
    # The stress parameter grows with magnitude below about Mw 6 (Yenier and Atkinson 2015
    # find this for NGA-West2's events): log10 stress rises by this much per unit of Mw about
    # Mw 5 (``median_stress_bar``), for Mw clipped to 4-6.5; calibrated here.
    stress_slope_per_mw: float = 0.35
    # Q(f) = q0 * f^q_eta and hinged geometric spreading r^-1.0 to 50 km, r^-0.7 beyond.
    # Started from the equivalent point-source path of Yenier and Atkinson (2015, BSSA 105;
    # r^-1.3 / r^-0.5, Q = 170 f^0.45), calibrated on the NGA-West2 data behind BSSA14, then
    # fitted to BSSA14-Italy on the archive: their r^-1.3 put near records 0.3-0.6 ln low,
    # and Italy's stronger low-frequency attenuation (BSSA14's Italian Delta c3) asks for a
    # lower Q at 1 Hz with the same Q near 10 Hz (110 f^0.65 = 490 at 10 Hz, as 170 f^0.45).
    # Malagnini et al.'s (2000) Apennine path (r^-1.1 / r^0 / r^-0.5, Q = 130 f^0.10) put
    # SA(1 s) 0.5-0.7 ln above BSSA14-Italy and made apparent kappa fall with distance (the
    # flat 30-60 km segment, Q nearly independent of frequency), so it is no longer used.
    # Below 1 Hz Q stays at its 1 Hz value (``q_flat_below_hz``; a piecewise Q(f) as in
    # Boore's SMSIM, Boore 2003): Q power laws are measured over about 1-20 Hz, and
    # extrapolated, 110 f^0.65 gave Q = 54 at 0.33 Hz and put SA(3 s) 0.1-0.3 ln below
    # BSSA14-Italy; with the low-frequency Q no longer extrapolated, 90 f^0.74 (490 at 10 Hz,
    # as before) puts SA(1 s) and SA(3 s) where BSSA14-Italy does on the 4 seeds' archives.
    q0: float = 90.0
    q_eta: float = 0.74
    q_flat_below_hz: float = 1.0
    spreading: tuple[tuple[float, float], ...] = ((50.0, -1.0), (np.inf, -0.7))
    # Kappa as Anderson and Hough (1984) define it, kappa = kappa_0 + kappa_r * R: a site
    # term kappa_0 (median below, station scatter sigma_ln_kappa) and a path term growing with
    # hypocentral distance. kappa_0 = 0.03 s is the Apennine rock value (Malagnini et al.
    # 2000 give 0.035 s including their path); kappa_r is set so that, with Q above, the
    # apparent kappa (10-25 Hz, D5-95 window) runs as in the 13 real L'Aquila 2009 records:
    # about 0.035 s within 20 km and 0.05-0.07 s at 100-200 km.
    kappa_s: float = 0.025
    kappa_r_s_per_km: float = 0.00015
    # Between-event scatter of ln(stress) and between-station scatter of ln(kappa) and of a
    # frequency-independent site term (ln units). Values chosen so that residuals against
    # BSSA14 scatter like the between-event (tau ~ 0.4) and site-to-site (phi_S2S ~ 0.35)
    # components of Italian data (Bindi et al. 2011; Lanzano et al. 2019).
    sigma_ln_stress: float = 0.55
    sigma_ln_kappa: float = 0.30
    sigma_ln_site: float = 0.40
    # Record-to-record (path) scatter of a frequency-independent ln amplitude, phi_P2P.
    sigma_ln_path: float = 0.35
    # Path duration (Boore and Thompson 2014, BSSA 104, active crust table): (R km, Dp s).
    path_duration: tuple[tuple[float, float], ...] = (
        (0.0, 0.0),
        (7.0, 2.4),
        (45.0, 8.4),
        (125.0, 10.9),
        (175.0, 17.4),
        (270.0, 34.2),
    )
    path_duration_slope_s_per_km: float = 0.156
    # Scale on the path duration: Apennine records ring longer than the Boore-Thompson table
    # (their 5-95 % durations at 100-280 km are 30-65 s, see the L'Aquila fixtures).
    path_duration_scale: float = 2.4
    # Between-record scatter of ln(duration): Italian significant durations scatter by about
    # 0.4-0.5 ln units about their median model (Bommer, Stafford and Alarcon 2009 give a
    # total sigma of 0.5 for D5-95; the L'Aquila fixtures at 100-280 km range 26-65 s).
    sigma_ln_duration: float = 0.45
    # Pre-event and ambient noise at the stations, rms cm/s^2 over 0.5-20 Hz, log-uniform
    # between these bounds: about -135 to -100 dB re 1 (m/s^2)^2/Hz, between a 24-bit
    # strong-motion recorder's self-noise and Peterson's (1993) high-noise model (-91 dB).
    noise_rms_cm_s2: tuple[float, float] = (0.0005, 0.01)
    # Radiation pattern, partition onto one horizontal and free surface (Boore 2003, eq. 3).
    radiation_s: float = 0.55
    radiation_p: float = 0.44
    partition: float = 1.0 / np.sqrt(2.0)
    free_surface: float = 2.0


APENNINES = RegionModel()


@dataclass(frozen=True)
class Scenario:
    """One source-station pair: what the simulator needs to make a three-component record."""

    mw: float
    depth_km: float
    epicentral_distance_km: float
    vs30_m_s: float = 620.0
    stress_bar: float | None = None  # None: the region's median
    kappa_s: float | None = None  # None: the region's median
    site_term_ln: float = 0.0  # station's frequency-independent ln amplification
    duration_term_ln: float = 0.0  # record's ln deviation from the median duration

    @property
    def hypocentral_distance_km(self) -> float:
        return float(np.hypot(self.epicentral_distance_km, self.depth_km))


def seismic_moment_dyne_cm(mw: float) -> float:
    """M0 from Mw (Hanks and Kanamori 1979): log10 M0 = 1.5 Mw + 16.05 (dyne-cm)."""
    return float(10.0 ** (1.5 * mw + 16.05))


def corner_frequency_hz(mw: float, stress_bar: float, beta_km_s: float = 3.5) -> float:
    """Brune corner frequency (Boore 2003, eq. 4): fc = 4.906e6 beta (stress / M0)^(1/3)."""
    return float(4.906e6 * beta_km_s * (stress_bar / seismic_moment_dyne_cm(mw)) ** (1.0 / 3.0))


# Atkinson and Silva's (2000) weight eps of the upper corner is for California; against
# BSSA14-Italy their sag takes SA(1-3 s) of Mw 5.5-6.5 about 0.3 ln too low, and 1.5 times
# their eps brings it back (calibrated here over Mw 4-6.5, 5-200 km).
_EPS_SCALE = 1.5


def median_stress_bar(mw: float, model: RegionModel = APENNINES) -> float:
    """The region's median stress parameter at ``mw`` (``stress_slope_per_mw`` about Mw 5)."""
    m = min(max(mw, 4.0), 6.5)
    return float(model.stress_bar * 10.0 ** (model.stress_slope_per_mw * (m - 5.0)))


def two_corner_source(mw: float, stress_bar: float, beta_km_s: float = 3.5):
    """Corners (fa, fb, Hz) and weight eps of the two-corner source, acceleration shape
    (2 pi f)^2 [(1 - eps) / (1 + (f/fa)^2) + eps / (1 + (f/fb)^2)].

    fa and eps are Atkinson and Silva's (2000, BSSA 90) for active crust: log10 fa = 2.181 -
    0.496 Mw, log10 eps = 0.605 - 0.255 Mw (eps times 1.5, see ``_EPS_SCALE``). fb is set so
    that the high-frequency level, (1 - eps) fa^2 + eps fb^2, equals the Brune corner's fc^2
    at ``stress_bar`` (Boore 2003, eq. 4): the stress parameter still sets PGA and its
    between-event scatter, while the sag between the corners takes the intermediate-period
    energy (SA 0.5-3 s) of Mw >= 5 down to where empirical models put it. Where the Brune
    corner lies below fa
    sqrt(1 - eps) (very low stress), the source falls back to one corner at fc.
    """
    fc = corner_frequency_hz(mw, stress_bar, beta_km_s)
    fa = 10.0 ** (2.181 - 0.496 * mw)
    eps = min(_EPS_SCALE * 10.0 ** (0.605 - 0.255 * mw), 1.0)
    rest = fc**2 - (1.0 - eps) * fa**2
    if rest <= eps * fa**2:
        return fc, fc, 1.0
    return fa, float(np.sqrt(rest / eps)), eps


def source_shape(f_hz: np.ndarray, mw: float, stress_bar: float, corner_scale: float = 1.0):
    """Acceleration source shape (2 pi f)^2 S(f) of :func:`two_corner_source` (times M0
    gives the source spectrum); ``corner_scale`` multiplies both corners (1.5 for P)."""
    fa, fb, eps = two_corner_source(mw, stress_bar)
    fa, fb = fa * corner_scale, fb * corner_scale
    f = np.asarray(f_hz, dtype=float)
    return (2.0 * np.pi * f) ** 2 * (
        (1.0 - eps) / (1.0 + (f / fa) ** 2) + eps / (1.0 + (f / fb) ** 2)
    )


def finite_fault_distance_km(mw: float, epicentral_distance_km: float, depth_km: float) -> float:
    """Effective point-source distance that mimics finite-fault saturation near the source.

    R_eff = sqrt(R_epi^2 + max(depth, h)^2) with the near-source saturation term
    h = 10^(-0.405 + 0.235 Mw) of Yenier and Atkinson (2015, BSSA 105, eq. 5). For small events
    h is below the depth and R_eff is the hypocentral distance; for large ones the rupture
    comes closer to the station than the hypocentre and h takes over.
    """
    h = 10.0 ** (-0.405 + 0.235 * mw)
    return float(np.hypot(epicentral_distance_km, max(depth_km, h)))


def _geometric_spreading(r_km: float, model: RegionModel) -> float:
    # Hinged piecewise power law, continuous at the hinges; R0 = 1 km (Boore 2003, eq. 8).
    g = 1.0
    r_prev = 1.0
    r = max(r_km, 1.0)
    for r_end, exponent in model.spreading:
        seg_end = min(r, r_end)
        if seg_end > r_prev:
            g *= (seg_end / r_prev) ** exponent
            r_prev = seg_end
        if r <= r_end:
            break
    return g


# Generic rock amplification for Vs30 = 620 m/s (Boore and Joyner 1997, BSSA 87, Table 3, as
# listed in Boore 2003, Table 4): frequency (Hz), amplification.
_BJ97_GENERIC_ROCK = np.array(
    [
        (0.01, 1.00),
        (0.09, 1.10),
        (0.16, 1.18),
        (0.51, 1.42),
        (0.84, 1.58),
        (1.25, 1.74),
        (2.26, 2.06),
        (3.17, 2.25),
        (6.05, 2.58),
        (16.60, 3.13),
        (61.20, 4.00),
    ]
)

# BSSA14 linear site coefficient c(T) (Boore, Stewart, Seyhan and Atkinson 2014, Earthquake
# Spectra 30, Table 2): F_lin = c ln(Vs30 / Vref). Used here as a ratio relative to 620 m/s.
_BSSA14_C = np.array(
    [
        (0.01, -0.60372),
        (0.02, -0.57388),
        (0.05, -0.45795),
        (0.10, -0.48724),
        (0.20, -0.68762),
        (0.30, -0.84165),
        (0.50, -0.96930),
        (1.00, -1.05000),
        (2.00, -1.03920),
        (3.00, -1.01120),
        (5.00, -0.91954),
        (10.0, -0.65575),
    ]
)


def generic_rock_amplification(f_hz: np.ndarray) -> np.ndarray:
    """Crustal amplification of generic rock (Boore and Joyner 1997), log-log interpolated."""
    f = np.clip(np.asarray(f_hz, dtype=float), _BJ97_GENERIC_ROCK[0, 0], _BJ97_GENERIC_ROCK[-1, 0])
    return np.exp(
        np.interp(np.log(f), np.log(_BJ97_GENERIC_ROCK[:, 0]), np.log(_BJ97_GENERIC_ROCK[:, 1]))
    )


def site_amplification(f_hz: np.ndarray, vs30_m_s: float) -> np.ndarray:
    """Amplification of a site of given Vs30 relative to generic rock (620 m/s).

    exp(c(f) ln(min(Vs30, 1500) / 620)), with the linear site coefficients of BSSA14 taken at
    T = 1/f (nonlinear soil response is not modelled).
    """
    f = np.maximum(np.asarray(f_hz, dtype=float), 1e-3)
    period = np.clip(1.0 / f, _BSSA14_C[0, 0], _BSSA14_C[-1, 0])
    c = np.interp(np.log(period), np.log(_BSSA14_C[:, 0]), _BSSA14_C[:, 1])
    return np.exp(c * np.log(min(vs30_m_s, 1500.0) / 620.0))


def median_kappa_s(vs30_m_s: float, model: RegionModel = APENNINES) -> float:
    """Median kappa_0 of a site: the region's value (0.030 s, see ``RegionModel.kappa_s``).

    Kappa is not scaled with Vs30 here (as Van Houtte et al. 2011 would): the BSSA14 site
    term applied above is empirical and already holds the high-frequency loss of soft sites,
    and scaling kappa as well pushed soft-site PGA about 0.25 ln units too low against
    BSSA14. Stations scatter about this median (``sigma_ln_kappa``).
    """
    return float(model.kappa_s)


def fourier_amplitude(
    f_hz: np.ndarray,
    scenario: Scenario,
    model: RegionModel = APENNINES,
    *,
    wave: str = "S",
) -> np.ndarray:
    """Acceleration Fourier amplitude spectrum (cm/s) of one horizontal component (Boore 2003).

    ``wave="P"`` gives the P-wave spectrum: the same source with the P radiation pattern,
    the P velocity and a corner frequency 1.5 times the S one (Madariaga 1976).
    """
    f = np.asarray(f_hz, dtype=float)
    stress = (
        median_stress_bar(scenario.mw, model)
        if scenario.stress_bar is None
        else scenario.stress_bar
    )
    kappa = (
        median_kappa_s(scenario.vs30_m_s, model) if scenario.kappa_s is None else scenario.kappa_s
    )
    m0 = seismic_moment_dyne_cm(scenario.mw)
    corner_scale = 1.0
    velocity = model.beta_km_s
    radiation = model.radiation_s
    if wave == "P":
        corner_scale = 1.5
        velocity = model.vp_km_s
        radiation = model.radiation_p
    # C = R_theta_phi V F / (4 pi rho beta^3 R0) * 1e-20 for cm/s with M0 in dyne-cm, rho in
    # g/cm^3, beta in km/s and R0 = 1 km (Boore 2003, eq. 3).
    const = (
        radiation
        * model.partition
        * model.free_surface
        / (4.0 * np.pi * model.rho_g_cm3 * velocity**3)
        * 1e-20
    )
    source = m0 * source_shape(f, scenario.mw, stress, corner_scale)
    r = finite_fault_distance_km(scenario.mw, scenario.epicentral_distance_km, scenario.depth_km)
    q = model.q0 * np.maximum(f, model.q_flat_below_hz) ** model.q_eta
    path = _geometric_spreading(r, model) * np.exp(-np.pi * f * r / (q * velocity))
    # Anderson and Hough (1984): kappa = kappa_0 (site) + kappa_r * R (path).
    kappa = kappa + model.kappa_r_s_per_km * scenario.hypocentral_distance_km
    site = (
        np.exp(-np.pi * kappa * f)
        * generic_rock_amplification(f)
        * site_amplification(f, scenario.vs30_m_s)
        * np.exp(scenario.site_term_ln)
    )
    return const * source * path * site


def duration_s(scenario: Scenario, model: RegionModel = APENNINES) -> float:
    """Ground-motion duration T_gm = (1/(2 fa) + Dp(R)) exp(duration_term_ln) (Boore 2003,
    eq. 9; Boore and Thompson 2014; the source duration of the two-corner source is 1/(2 fa),
    Atkinson and Silva 2000), the record's term carrying the between-record scatter."""
    stress = (
        median_stress_bar(scenario.mw, model)
        if scenario.stress_bar is None
        else scenario.stress_bar
    )
    fc = two_corner_source(scenario.mw, stress, model.beta_km_s)[0]
    r = finite_fault_distance_km(scenario.mw, scenario.epicentral_distance_km, scenario.depth_km)
    table = np.array(model.path_duration)
    if r <= table[-1, 0]:
        dp = float(np.interp(r, table[:, 0], table[:, 1]))
    else:
        dp = float(table[-1, 1] + model.path_duration_slope_s_per_km * (r - table[-1, 0]))
    return (0.5 / fc + model.path_duration_scale * dp) * float(np.exp(scenario.duration_term_ln))


def _saragoni_hart(t: np.ndarray, t_gm: float, eps: float = 0.2, eta: float = 0.05) -> np.ndarray:
    """Saragoni and Hart (1974) envelope as parametrised by Boore (2003, eq. 12-13).

    The window lasts 2 T_gm (f_teta = 2) and peaks at eps of that time, falling to eta there.
    """
    t_eta = 2.0 * t_gm
    b = -eps * np.log(eta) / (1.0 + eps * (np.log(eps) - 1.0))
    c = b / eps
    a = (np.e / eps) ** b
    x = np.clip(t / t_eta, 0.0, None)
    with np.errstate(divide="ignore"):
        w = a * np.where(x > 0, x**b * np.exp(-c * x), 0.0)
    return w


def _shaped_noise(
    rng: np.random.Generator,
    npts: int,
    dt: float,
    windows: np.ndarray,
    targets: np.ndarray,
) -> np.ndarray:
    """Boore (2003) time-domain method, for several series at once.

    ``windows`` (k, n_fft) are the time envelopes, ``targets`` (k, n_fft // 2 + 1) the target
    amplitude spectra (cm/s) on ``rfftfreq(n_fft, dt)``. Returns (k, npts).
    """
    noise = rng.standard_normal(windows.shape) * windows
    spectrum = sp_fft.rfft(noise, axis=1)
    # Normalise to unit mean-square amplitude so the target spectrum sets the level
    # (Boore 2003, "the spectrum is normalized by the square root of the mean square
    # amplitude spectrum").
    spectrum /= np.sqrt(np.mean(np.abs(spectrum) ** 2, axis=1, keepdims=True))
    spectrum *= targets / dt
    spectrum[:, 0] = 0.0
    # Whatever falls past the end of the record is cut off, as a triggered recorder does.
    return sp_fft.irfft(spectrum, windows.shape[1], axis=1)[:, :npts]


def vertical_to_horizontal(f_hz: np.ndarray, epicentral_distance_km: float) -> np.ndarray:
    """V/H spectral ratio: about 0.5-0.6 at low frequency, rising towards 1 at high frequency
    close to the source (the trends of Bozorgnia and Campbell 2004, J. Earthq. Eng. 8)."""
    f = np.asarray(f_hz, dtype=float)
    near = 1.0 / (1.0 + epicentral_distance_km / 20.0)
    high = 0.65 + 0.45 * near
    x = (f / 8.0) ** 2
    return 0.55 + (high - 0.55) * x / (1.0 + x)


def simulate_record(
    scenario: Scenario,
    rng: np.random.Generator,
    *,
    sampling_rate_hz: float = 200.0,
    pre_event_s: float = 10.0,
    record_length_s: float | None = None,
    noise_cm_s2: float = 0.002,
    model: RegionModel = APENNINES,
) -> np.ndarray:
    """Simulate one three-component accelerogram, E, N, Z, in cm/s^2, shape (3, npts).

    The record starts ``pre_event_s`` before the P arrival (pre-event noise of rms
    ``noise_cm_s2``, band-limited), the S waves arrive at R_hyp / beta after origin.
    ``record_length_s`` defaults to the time the S envelope has decayed (3 T_gm after S).
    """
    dt = 1.0 / sampling_rate_hz
    r_hyp = scenario.hypocentral_distance_km
    t_p = r_hyp / model.vp_km_s
    t_s = r_hyp / model.beta_km_s
    t_gm = duration_s(scenario, model)
    if record_length_s is None:
        record_length_s = pre_event_s + (t_s - t_p) + 3.0 * t_gm
    npts = round(record_length_s * sampling_rate_hz)
    s_onset = pre_event_s + (t_s - t_p)

    stress = (
        median_stress_bar(scenario.mw, model)
        if scenario.stress_bar is None
        else scenario.stress_bar
    )
    # The P phase lasts until the S arrival plus its own source duration (then is masked by S).
    p_duration = max(0.5 * (t_s - t_p), 0.5 / corner_frequency_hz(scenario.mw, stress)) + 1.0
    n_fft = sp_fft.next_fast_len(npts + int(2.0 * t_gm / dt), real=True)
    t = np.arange(n_fft) * dt
    f = sp_fft.rfftfreq(n_fft, dt)
    s_amp = fourier_amplitude(f, scenario, model)
    p_amp = fourier_amplitude(f, scenario, model, wave="P")
    s_window = _saragoni_hart(t - s_onset, t_gm)
    p_window = _saragoni_hart(t - pre_event_s, p_duration)
    windows = np.stack([s_window, s_window, s_window, p_window, p_window, p_window])
    # Horizontals see little P energy: the slow near-surface layers bend the P ray to about
    # 12 degrees from the vertical (Snell's law), so its horizontal motion is about tan(12 deg)
    # = 0.22 of the vertical's: 0.2 of the P spectrum on each horizontal, 0.9 on the vertical
    # (0.3 made the P phase start the horizontals' Husid curve early and lengthened distant
    # records' D5-95). The vertical S spectrum is the horizontal one times V/H.
    targets = np.stack(
        [
            s_amp,
            s_amp,
            s_amp * vertical_to_horizontal(f, scenario.epicentral_distance_km),
            0.2 * p_amp,
            0.2 * p_amp,
            0.9 * p_amp,
        ]
    )
    series = _shaped_noise(rng, npts, dt, windows, targets)
    out = series[:3] + series[3:]
    out += simulate_noise(rng, npts, sampling_rate_hz=sampling_rate_hz, rms_cm_s2=noise_cm_s2)
    return out


def draw_noise_rms_cm_s2(rng: np.random.Generator, model: RegionModel = APENNINES) -> float:
    """A station's noise level for one record or window: log-uniform in ``noise_rms_cm_s2``."""
    low, high = model.noise_rms_cm_s2
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def simulate_noise(
    rng: np.random.Generator,
    npts: int,
    *,
    sampling_rate_hz: float = 200.0,
    rms_cm_s2: float = 0.002,
    n_components: int = 3,
) -> np.ndarray:
    """Instrument and ambient noise: Gaussian noise band-limited to 0.5-20 Hz with a
    microseism-like bump near 0.2 Hz; shape (n_components, npts), rms ``rms_cm_s2``."""
    dt = 1.0 / sampling_rate_hz
    n_fft = sp_fft.next_fast_len(npts, real=True)
    f = sp_fft.rfftfreq(n_fft, dt)
    shape = 1.0 / (1.0 + (0.5 / np.maximum(f, 1e-3)) ** 4) / (1.0 + (f / 20.0) ** 4)
    shape += 0.5 * np.exp(-0.5 * (np.log(np.maximum(f, 1e-3) / 0.2) / 0.3) ** 2)
    shape[0] = 0.0
    white = rng.standard_normal((n_components, n_fft))
    x = sp_fft.irfft(sp_fft.rfft(white, axis=1) * shape, n_fft, axis=1)[:, :npts]
    x *= rms_cm_s2 / np.sqrt(np.mean(x**2, axis=1, keepdims=True))
    return x
