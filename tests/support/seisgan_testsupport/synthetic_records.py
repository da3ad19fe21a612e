"""Earthquake-like three-component records for tests and the benchmark (no file needed).

A simplified stochastic method (Boore 2003, PAGEOPH 160): Gaussian noise shaped in time by a
Saragoni & Hart (1974) envelope whose duration grows with distance, filtered in frequency by
an omega-squared source spectrum (Brune 1970) with a magnitude-dependent corner frequency and
a kappa high-cut (Anderson & Hough 1984), scaled with magnitude and distance. Good enough to
have the spectral shape, duration and amplitude trends that the measures must pick up.
"""

from __future__ import annotations

import numpy as np

DT = 0.005
NPTS = 8000


def simulate(
    mw: np.ndarray,
    distance_km: np.ndarray,
    *,
    seed: int = 0,
    npts: int = NPTS,
    dt: float = DT,
) -> np.ndarray:
    """Records (n, 3, npts) in cm/s^2 for each (Mw, distance) pair."""
    rng = np.random.default_rng(seed)
    mw = np.atleast_1d(np.asarray(mw, float))
    dist = np.atleast_1d(np.asarray(distance_km, float))
    n = mw.size
    t = np.arange(npts) * dt
    duration = 1.0 / (10 ** (1.3 - 0.3 * mw)) * 0.5 + 0.05 * dist + 2.0  # s, grows with both
    onset = 2.0 + dist / 7.0
    onset = np.minimum(onset, t[-1] / 3)
    tau = np.clip((t[None, :] - onset[:, None]) / duration[:, None], 0, None)
    # Saragoni-Hart shape: tau^b exp(-c tau), peak at tau = b / c = 0.4.
    env = tau**1.2 * np.exp(-3.0 * tau)
    env /= env.max(axis=1, keepdims=True)
    noise = rng.standard_normal((n, 3, npts)) * env[:, None, :]
    freqs = np.fft.rfftfreq(npts, dt)
    fc = 10 ** (1.3 - 0.5 * (mw - 4.0))  # corner frequency (Hz), lower for larger events
    source = 1.0 / (1.0 + (freqs[None, :] / fc[:, None]) ** 2)
    source *= (freqs[None, :] / (freqs[None, :] + 0.2)) ** 2  # low-cut as processed records
    kappa = np.exp(-np.pi * 0.04 * freqs)[None, :]
    shaped = np.fft.irfft(np.fft.rfft(noise, axis=-1) * (source * kappa)[:, None, :], npts, axis=-1)
    pga = 10 ** (0.5 * mw - 1.3 * np.log10(np.sqrt(dist**2 + 36.0)) + 0.6)  # cm/s^2
    shaped *= pga[:, None, None] / np.abs(shaped).max(axis=(1, 2))[:, None, None]
    shaped[:, 2] *= 0.6  # vertical smaller than horizontals
    return shaped


def noise_windows(n: int, *, seed: int = 1, npts: int = NPTS) -> np.ndarray:
    """Stationary background-noise windows (n, 3, npts), cm/s^2: no event."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3, npts))
    freqs = np.fft.rfftfreq(npts, DT)
    shape = 1.0 / (1.0 + (freqs / 2.0) ** 2) * (freqs / (freqs + 0.1))
    return 0.05 * np.fft.irfft(np.fft.rfft(x, axis=-1) * shape, npts, axis=-1)


def catalogue(n: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mw (4.0-6.5, Gutenberg-Richter-like) and epicentral distance (2-150 km) for n records."""
    rng = np.random.default_rng(seed)
    mw = 4.0 + np.minimum(rng.exponential(0.5, n), 2.5)
    dist = np.exp(rng.uniform(np.log(2.0), np.log(150.0), n))
    return mw, dist
