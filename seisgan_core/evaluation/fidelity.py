"""Full-band fidelity measures of the scorecard: pure functions on (n, 3, n_samples) arrays.

Every function acts record by record (the last axis is time, accelerations in cm/s^2 where
units matter) and is signed or per band where that matters, so a generator cannot hide an
excess in one band behind a deficit in another:

- :func:`fas_band_errors_db`: Konno-Ohmachi FAS error in dB per component and band, from
  0.1 Hz to Nyquist (geometric means of the two sets, 20 log10 of their ratio).
- :func:`full_band_features`: log10 FAS at 30 log-spaced frequencies 0.1-80 Hz per component
  (the spectral Frechet distance's features).
- :func:`lf_rms_share`: the share of a record's RMS below 0.4 Hz (Parseval).
- :func:`end_drift`: velocity and displacement at the end of the record, integrated with no
  baseline correction (a constant acceleration c gives c T and c T^2 / 2).
- :func:`edge_transients`: whether the first (last) 0.1 s is louder than twice the RMS of the
  next (previous) 1.9 s.
- :func:`onset_lag`: horizontal minus vertical 5 % Husid time.
- :func:`energy_packets`: separate bursts of energy in a record.
- :func:`anderson_gof`: Anderson (2004) goodness of fit, ten criteria per frequency band.
"""

from __future__ import annotations

import numpy as np
import scipy.integrate
import scipy.signal

from seisgan_core.evaluation._arrays import as_float_array, check_dt
from seisgan_core.evaluation.intensity import husid, husid_times
from seisgan_core.evaluation.response import psa_and_rotd50
from seisgan_core.evaluation.spectra import fas

__all__ = [
    "ANDERSON_BANDS_HZ",
    "ANDERSON_CRITERIA",
    "FAS_BANDS_HZ",
    "anderson_gof",
    "edge_transients",
    "end_drift",
    "energy_packets",
    "fas_band_errors_db",
    "full_band_features",
    "lf_rms_share",
    "onset_lag",
]

#: The scorecard's FAS bands (Hz); the last is clipped at Nyquist.
FAS_BANDS_HZ = ((0.1, 0.5), (0.5, 1.0), (1.0, 5.0), (5.0, 20.0), (20.0, 40.0), (40.0, 100.0))

#: Anderson (2004) frequency bands (Hz) the data carry (his B2-B8; B1, 0.05-0.1 Hz, lies below
#: the 0.1 Hz the prepared records are filtered to).
ANDERSON_BANDS_HZ = (
    (0.1, 0.2),
    (0.2, 0.5),
    (0.5, 1.0),
    (1.0, 2.0),
    (2.0, 5.0),
    (5.0, 10.0),
    (10.0, 20.0),
)

#: Anderson (2004) criteria C1-C10, in his order.
ANDERSON_CRITERIA = (
    "Arias duration",
    "energy duration",
    "Arias intensity",
    "energy integral",
    "PGA",
    "PGV",
    "PGD",
    "response spectrum",
    "Fourier spectrum",
    "cross-correlation",
)


def _band_freqs(dt: float, n: int = 160) -> np.ndarray:
    """Log-spaced frequencies (Hz) from 0.1 Hz to 0.95 x Nyquist for the band errors."""
    return np.geomspace(0.1, 0.95 * 0.5 / check_dt(dt), n)


def _log10_fas(x: np.ndarray, dt: float, freqs: np.ndarray) -> np.ndarray:
    _, amp = fas(x, dt, bandwidth=40, freqs=freqs)
    return np.log10(np.maximum(amp, 1e-12))


def fas_band_errors_db(
    candidate: np.ndarray, reference: np.ndarray, dt: float, bands=FAS_BANDS_HZ
) -> np.ndarray:
    """FAS error (dB) of ``candidate`` against ``reference``, per component and band.

    Per frequency, 20 log10 of the ratio of the two sets' geometric-mean Konno-Ohmachi (b = 40)
    spectra; per band, the mean over log-spaced frequencies in it. Positive: the candidate
    carries too much. Returns (n_components, n_bands); a band entirely above 0.95 x Nyquist is
    NaN. Scaling the candidate by 2 gives +6.02 dB in every band.
    """
    freqs = _band_freqs(dt)
    a = _log10_fas(as_float_array(candidate, "candidate"), dt, freqs).mean(axis=0)
    b = _log10_fas(as_float_array(reference, "reference"), dt, freqs).mean(axis=0)
    diff = 20.0 * (a - b)  # (n_components, n_freqs)
    out = np.full((diff.shape[0], len(bands)), np.nan)
    for k, (lo, hi) in enumerate(bands):
        inside = (freqs >= lo) & (freqs < hi)
        if inside.any():
            out[:, k] = diff[:, inside].mean(axis=1)
    return out


def full_band_features(acc: np.ndarray, dt: float, n_bands: int = 30) -> np.ndarray:
    """log10 Konno-Ohmachi (b = 20) FAS at ``n_bands`` log frequencies 0.1-80 Hz (at most
    0.9 x Nyquist), per component: (n_records, n_components * n_bands)."""
    freqs = np.geomspace(0.1, min(80.0, 0.9 * 0.5 / check_dt(dt)), n_bands)
    _, amp = fas(as_float_array(acc), dt, bandwidth=20, freqs=freqs)
    return np.log10(np.maximum(amp, 1e-10)).reshape(amp.shape[0], -1)


def lf_rms_share(acc: np.ndarray, dt: float, cutoff_hz: float = 0.4) -> np.ndarray:
    """Share (0-1) of each series' RMS below ``cutoff_hz``: sqrt(low-band power / power).

    By Parseval's theorem on the discrete Fourier transform (DC included: an offset is
    low-frequency content). Equal sines at 0.2 and 5 Hz give 1 / sqrt(2). Silent series: 0.
    """
    x = as_float_array(acc).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(x, axis=-1)) ** 2
    weights = np.full(spectrum.shape[-1], 2.0)
    weights[0] = 1.0
    if x.shape[-1] % 2 == 0:
        weights[-1] = 1.0
    spectrum *= weights
    freqs = np.fft.rfftfreq(x.shape[-1], check_dt(dt))
    total = spectrum.sum(axis=-1)
    low = spectrum[..., freqs < cutoff_hz].sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.sqrt(low / np.where(total > 0, total, 1.0)), 0.0)


def end_drift(acc_cm_s2: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """|velocity| (cm/s) and |displacement| (cm) at the record's end, integrated from rest with
    the trapezoidal rule and no baseline correction: what a baseline offset or wander leaves.

    A constant acceleration c over T seconds gives (|c| T, |c| T^2 / 2).
    """
    dt = check_dt(dt)
    a = as_float_array(acc_cm_s2).astype(np.float64)
    v = scipy.integrate.cumulative_trapezoid(a, dx=dt, axis=-1, initial=0.0)
    d = scipy.integrate.trapezoid(v, dx=dt, axis=-1)
    return np.abs(v[..., -1]), np.abs(d)


def _rms(x: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean(x * x, axis=-1))


def edge_transients(
    acc: np.ndarray, dt: float, edge_s: float = 0.1, next_s: float = 1.9, factor: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) booleans per series: the first ``edge_s`` louder (RMS) than ``factor`` times
    the next ``next_s``; the same for the last ``edge_s`` against the ``next_s`` before it."""
    dt = check_dt(dt)
    x = as_float_array(acc).astype(np.float64)
    e, m = round(edge_s / dt), round((edge_s + next_s) / dt)
    start = _rms(x[..., :e]) > factor * _rms(x[..., e:m])
    end = _rms(x[..., -e:]) > factor * _rms(x[..., -m:-e])
    return start, end


def onset_lag(acc: np.ndarray, dt: float) -> np.ndarray:
    """Horizontal minus vertical 5 % Husid time (s) per record of (n, 3, n_samples) (E, N, Z):
    the horizontal time from the summed energy of both horizontals. Positive in real records
    (S waves dominate the horizontals, P waves arrive first on the vertical)."""
    x = as_float_array(acc).astype(np.float64)
    horizontal = np.sqrt(x[:, 0] ** 2 + x[:, 1] ** 2)
    t_h = husid_times(horizontal, dt, (0.05,))[:, 0]
    t_v = husid_times(x[:, 2], dt, (0.05,))[:, 0]
    return t_h - t_v


def energy_packets(
    acc: np.ndarray, dt: float, window_s: float = 2.0, level: float = 0.25, gap_s: float = 2.0
) -> np.ndarray:
    """Number of separate energy packets per record of (n, n_components, n_samples).

    The envelope is the RMS over all components in a moving ``window_s`` window; a packet is a
    peak of it at least ``level`` times the record's maximum, with a prominence of at least
    ``level`` times the maximum, and at least ``gap_s`` from the next (scipy.signal.find_peaks).
    One Gaussian burst gives 1, three well separated equal bursts give 3.
    """
    dt = check_dt(dt)
    x = as_float_array(acc).astype(np.float64)
    power = (x * x).sum(axis=1)
    width = max(1, round(window_s / dt))
    kernel = np.ones(width) / width
    out = np.zeros(x.shape[0], dtype=int)
    for i, p in enumerate(power):
        env = np.sqrt(np.convolve(p, kernel, mode="same"))
        top = env.max()
        if top <= 0:
            continue
        peaks, _ = scipy.signal.find_peaks(
            np.concatenate([[0.0], env, [0.0]]),
            height=level * top,
            prominence=level * top,
            distance=max(1, round(gap_s / dt)),
        )
        out[i] = len(peaks)
    return out


def _similarity(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """Anderson's (2004) eq. 1: S = 10 exp(-((p1 - p2) / min(p1, p2))^2); 10 where both are 0."""
    p1, p2 = np.abs(p1), np.abs(p2)
    low = np.minimum(p1, p2)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        s = 10.0 * np.exp(-(((p1 - p2) / low) ** 2))
    s = np.where(low > 0, s, 0.0)
    return np.where((p1 == 0) & (p2 == 0), 10.0, s)


def _duration_score(c1: np.ndarray, c2: np.ndarray) -> np.ndarray:
    """Anderson's C1/C2: 10 (1 - max |normalised cumulative integral difference|)."""
    return 10.0 * (1.0 - np.abs(c1 - c2).max(axis=-1))


def _band_criteria(a: np.ndarray, b: np.ndarray, dt: float, band: tuple[float, float]):
    """The ten criteria (..., 10) of two band-passed sets of series of the same shape."""
    lo, hi = band
    va = scipy.integrate.cumulative_trapezoid(a, dx=dt, axis=-1, initial=0.0)
    vb = scipy.integrate.cumulative_trapezoid(b, dx=dt, axis=-1, initial=0.0)
    da = scipy.integrate.cumulative_trapezoid(va, dx=dt, axis=-1, initial=0.0)
    db = scipy.integrate.cumulative_trapezoid(vb, dx=dt, axis=-1, initial=0.0)
    ia, ib = (a * a).sum(-1) * dt, (b * b).sum(-1) * dt
    ea, eb = (va * va).sum(-1) * dt, (vb * vb).sum(-1) * dt
    periods = 1.0 / np.geomspace(lo, hi, 5)
    sa, _ = psa_and_rotd50(a, dt, periods, horizontals=None, workers=1)
    sb, _ = psa_and_rotd50(b, dt, periods, horizontals=None, workers=1)
    freqs = np.geomspace(lo, hi, 8)
    _, fa = fas(a, dt, bandwidth=40, freqs=freqs)
    _, fb = fas(b, dt, bandwidth=40, freqs=freqs)
    norm = np.sqrt((a * a).sum(-1) * (b * b).sum(-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(norm > 0, (a * b).sum(-1) / np.where(norm > 0, norm, 1.0), 0.0)
    return np.stack(
        [
            _duration_score(husid(a, dt), husid(b, dt)),
            _duration_score(husid(va, dt), husid(vb, dt)),
            _similarity(ia, ib),
            _similarity(ea, eb),
            _similarity(np.abs(a).max(-1), np.abs(b).max(-1)),
            _similarity(np.abs(va).max(-1), np.abs(vb).max(-1)),
            _similarity(np.abs(da).max(-1), np.abs(db).max(-1)),
            _similarity(sa, sb).mean(-1),
            _similarity(fa, fb).mean(-1),
            10.0 * np.maximum(corr, 0.0),
        ],
        axis=-1,
    )


def anderson_gof(
    acc_a: np.ndarray, acc_b: np.ndarray, dt: float, bands=ANDERSON_BANDS_HZ
) -> np.ndarray:
    """Anderson (2004, 13th WCEE, paper 1243) goodness of fit of paired records, 0-10.

    ``acc_a`` and ``acc_b``: the same shape (..., n_samples), record i of one against record i
    of the other. Each band: both band-passed (4-pole Butterworth, zero phase), then his ten
    criteria (:data:`ANDERSON_CRITERIA`), each scored 0-10 (10: identical), on the band-passed
    series kept at 10 samples per period of the band's upper edge. Returns
    (..., n_bands, 10); the record's score is the mean over bands and criteria. Identical
    records score 10 on every criterion.
    """
    dt = check_dt(dt)
    a = as_float_array(acc_a, "acc_a").astype(np.float64)
    b = as_float_array(acc_b, "acc_b").astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"acc_b: expected the shape of acc_a {a.shape}, found {b.shape}")
    nyquist = 0.5 / dt
    scores = []
    for lo, hi in bands:
        sos = scipy.signal.butter(
            4, [lo, min(hi, 0.95 * nyquist)], "bandpass", fs=1 / dt, output="sos"
        )
        # Band-limited below hi: kept at 10 samples per period of hi (scores need no more).
        step = max(1, int(nyquist / (5.0 * hi)))
        fa = scipy.signal.sosfiltfilt(sos, a, axis=-1)[..., ::step]
        fb = scipy.signal.sosfiltfilt(sos, b, axis=-1)[..., ::step]
        scores.append(_band_criteria(fa, fb, dt * step, (lo, hi)))
    return np.stack(scores, axis=-2)
