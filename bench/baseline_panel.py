"""Today's panel outside the response spectra, frozen as the baseline of bench/bench_evaluate.py.

The pieces of seisgan_core/evaluation that issue 18's second evaluation session changed, as
they were on main at 5680ba6 (identical to 8481c93 in what they compute): the GMM section's
per-model terms (pygmm's ``pga``, ``pgv`` and ``interp_spec_accels`` on each model, its
stock coefficient record array), its between-event split (pandas groupby with a Python
function per event), the Welch PSD (scipy.signal.welch), the cumulative integrals of
velocity and the Husid curve (scipy.integrate.cumulative_trapezoid), the Husid curve's
normalisation (new arrays) and crossings (a comparison of every sample), Arias and CAV by
scipy.integrate.trapezoid, and a float64 copy of the block made by each intensity measure.
``bench_evaluate.baseline_panel`` patches them, with bench/baseline_response.py's response
spectra, into the panel, so the current panel's CPU time is a ratio to today's, measured in
one process. Not used by the project.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.integrate
import scipy.signal

from seisgan_core.evaluation import intensity
from seisgan_core.evaluation._arrays import as_float_array, check_dt
from seisgan_core.evaluation.gmm import G_CM_S2

__all__ = [
    "arias_intensity",
    "bssa14_class",
    "copying",
    "cumulative_trapezoid",
    "first_at_or_above",
    "husid",
    "model_terms",
    "psd",
    "split_residuals",
    "trapezoid",
]


def bssa14_class():
    """pygmm's own BSSA14 class (its coefficients a record array)."""
    import pygmm

    return pygmm.BooreStewartSeyhanAtkinson2014


def _one_model_terms(m, kind: str, period: float | None) -> tuple[float, float, float]:
    """Median (cm/s^2, or cm/s for PGV), tau and phi of one pygmm BSSA14 model."""
    if kind == "PGA":
        return m.pga * G_CM_S2, m._tau[m.INDEX_PGA], m._phi[m.INDEX_PGA]
    if kind == "PGV":  # pygmm returns PGV in cm/s
        return m.pgv, m._tau[m.INDEX_PGV], m._phi[m.INDEX_PGV]
    median = float(m.interp_spec_accels([period])[0]) * G_CM_S2
    periods = m.PERIODS[m.INDICES_PSA]
    tau = np.interp(np.log(period), np.log(periods), m._tau[m.INDICES_PSA])
    phi = np.interp(np.log(period), np.log(periods), m._phi[m.INDICES_PSA])
    return median, tau, phi


def model_terms(models: list, kind: str, period: float | None) -> np.ndarray:
    """(3, models): today's per-model terms, stacked as the current code expects them."""
    terms = np.array([_one_model_terms(m, kind, period) for m in models], dtype=float)
    return terms.reshape(-1, 3).T


def split_residuals(out: pd.DataFrame) -> None:
    """Abrahamson & Youngs (1992) eq. 10 by pandas groupby transforms, as today."""
    grouped = out.groupby("event_id", sort=False)
    sums = grouped["total"].transform("sum")
    counts = grouped["total"].transform("count")
    tau2 = grouped["tau"].transform(lambda s: float(np.mean(s**2)))
    phi2 = grouped["phi"].transform(lambda s: float(np.mean(s**2)))
    out["between_event"] = tau2 * sums / (counts * tau2 + phi2)
    out["within_event"] = out["total"] - out["between_event"]
    out["normalised"] = out["total"] / out["sigma"]


def psd(acc: np.ndarray, dt: float, nperseg: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD by scipy.signal.welch on float64, as today."""
    dt = check_dt(dt)
    x = as_float_array(acc).astype(np.float64, copy=False)
    nperseg = min(nperseg, x.shape[-1])
    return scipy.signal.welch(x, fs=1.0 / dt, nperseg=nperseg, axis=-1)


def cumulative_trapezoid(y: np.ndarray, dx: float) -> np.ndarray:
    """scipy's cumulative trapezoid with an initial 0 along time, as today."""
    return scipy.integrate.cumulative_trapezoid(y, dx=dx, axis=-1, initial=0.0)


def husid(acc: np.ndarray, dt: float) -> np.ndarray:
    """The normalised Husid curve as today: a float64 copy, then new arrays."""
    dt = check_dt(dt)
    a = as_float_array(acc).astype(np.float64)
    cum = intensity._squared_integral(a, dt)
    total = cum[..., -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, cum / np.where(total > 0, total, 1.0), 0.0)


def first_at_or_above(curves: np.ndarray, level: float) -> np.ndarray:
    """The Husid crossings as today: a comparison of every sample, then argmax."""
    return np.argmax(curves >= level, axis=-1)


def copying(measure):
    """``measure`` on its own float64 copy of the block, as each intensity measure made one
    today (the panel now converts a block once)."""

    def run(x, *args):
        return measure(np.array(x, dtype=np.float64), *args)

    return run


def trapezoid(y: np.ndarray, dx: float) -> np.ndarray:
    """scipy's trapezoid along time, as today."""
    return scipy.integrate.trapezoid(y, dx=dx, axis=-1)


def arias_intensity(acc_cm_s2: np.ndarray, dt: float) -> np.ndarray:
    """Arias intensity as today: its own float64 copy, new arrays, scipy's trapezoid."""
    dt = check_dt(dt)
    a = as_float_array(acc_cm_s2).astype(np.float64) / 100.0
    return np.pi / (2.0 * intensity.G_M_S2) * scipy.integrate.trapezoid(a * a, dx=dt, axis=-1)
