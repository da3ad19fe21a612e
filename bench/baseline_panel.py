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

Issue 18's third evaluation session (main at 23eea5b) changed more pieces, frozen here as
they were there so the baseline stays the same code: the panel's block of measures
(``block_measures``: the moments on their own float64 copy, PGA by its own pass, the
smoothing weights converted to the spectra's dtype in every block, through
``float64_weights``), PGV's velocity with new arrays (``pgv``), and the classifier's
forward pass and gradient with new arrays (``mlp_forward``, ``mlp_loss_and_grad``).

Issue 18's tenth session gave the per-record pass one thread per core less one; today's pass
ran a thread per core (``pass_workers``).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import scipy.integrate
import scipy.signal

from seisgan_core.evaluation import intensity, panel, statistics
from seisgan_core.evaluation._arrays import as_float_array, check_dt
from seisgan_core.evaluation.gmm import G_CM_S2

__all__ = [
    "arias_intensity",
    "block_measures",
    "bssa14_class",
    "copying",
    "cumulative_trapezoid",
    "first_at_or_above",
    "float64_weights",
    "husid",
    "mlp_forward",
    "mlp_loss_and_grad",
    "model_terms",
    "pass_workers",
    "pgv",
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


def float64_weights(freqs_in, freqs_out, bandwidth, dtype=np.float64):
    """The Konno-Ohmachi weights in float64 whatever ``dtype`` asks, as the panel had them
    (``block_measures`` converts them in every block)."""
    from seisgan_core.evaluation import spectra

    return spectra._ko_weights(freqs_in, freqs_out, bandwidth)


def block_measures(x, dt, periods, weights, keep_decimated=True):
    """The panel's block of per-record measures as at 23eea5b; the measures are looked up in
    the panel module (and the intensity measures in intensity.py, on their own float64
    copies, as each made one then), so the other patches of the baseline apply to them as
    they did."""
    import scipy.fft as sfft

    spectrum = sfft.rfft(x, axis=-1, workers=1)
    amp = np.abs(spectrum) * dt
    w_fas, w_feat = weights
    smoothed = amp @ w_fas.astype(amp.dtype, copy=False)
    features = panel._log_spectral(amp @ w_feat.astype(amp.dtype, copy=False))
    psd_freqs, power = panel.psd(x, dt)
    psa_v, rot_v = panel._block_psa_rotd50(x, spectrum, dt, periods)
    step = max(1, round(0.1 / dt))
    decimated = panel._decimate_spectrum(spectrum, x.shape[-1], panel._NEAREST_DECIMATE, workers=1)
    x64 = x.astype(np.float64)
    out = {
        "moments": statistics._record_moments(x),
        "fas": smoothed,
        "spectral_features": features,
        "psd": power,
        "psd_freqs": psd_freqs,
        "psa": psa_v,
        "rotd50": rot_v,
        "pga_cm_s2": intensity.pga(x),
        "pgv_cm_s": copying(pgv)(x64, dt),
        "arias_m_s": arias_intensity(x64, dt),
        "cav_cm_s": copying(intensity.cav)(x64, dt),
        "d5_95_s": copying(intensity.significant_duration)(x64, dt, 0.05, 0.95),
        "envelope": panel.decimated_envelope(x, step, spectrum),
        "fingerprint": panel._log_spectrum_features(decimated),
    }
    # keep_decimated as the panel passes it now (True, False or a mask of the block's
    # records): the baseline keeps none of the real records' (kept_training_records).
    if keep_decimated is True:
        out["decimated"] = decimated
    elif keep_decimated is not False:
        out["decimated"] = decimated[keep_decimated]
    return out


def pass_workers() -> int:
    """Today's threads for the per-record pass: one per core, at most 8."""
    return min(os.cpu_count() or 1, 8)


def kept_training_records(train_mask, chunk):
    """No real record's decimated copy kept: the search read every candidate again."""
    return np.zeros_like(train_mask)


def pgv(acc_cm_s2: np.ndarray, dt: float) -> np.ndarray:
    """PGV as at 23eea5b: the velocity's baseline removed into new arrays, |v| a new array."""
    dt = check_dt(dt)
    a = as_float_array(acc_cm_s2).astype(np.float64, copy=False)
    a = a - a.mean(axis=-1, keepdims=True)
    v = intensity._cumulative_trapezoid(a, dt)
    t = np.arange(v.shape[-1], dtype=np.float64)
    tc = t - t.mean()
    slope = (v @ tc) / (tc @ tc)
    return np.abs(v - v.mean(axis=-1, keepdims=True) - slope[..., None] * tc).max(axis=-1)


def mlp_forward(self, x: np.ndarray, weights) -> list[np.ndarray]:
    """MLPClassifier._forward as at 23eea5b (new arrays for the bias and tanh)."""
    acts = [x]
    for i, (w, b) in enumerate(weights):
        z = acts[-1] @ w + b
        acts.append(np.tanh(z) if i < len(weights) - 1 else z)
    return acts


def mlp_loss_and_grad(self, theta, xs, onehot, sw, shapes):
    """MLPClassifier.loss_and_grad as at 23eea5b (new arrays for every step)."""
    weights = self._unpack(theta, shapes)
    acts = self._forward(xs, weights)
    logits = acts[-1]
    logits = logits - logits.max(axis=1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    loss = -(sw * (onehot * logp).sum(axis=1)).sum()
    loss += 0.5 * self.l2 * sum((w * w).sum() for w, _ in weights)
    delta = sw[:, None] * (np.exp(logp) - onehot)
    grads = []
    for i in range(len(weights) - 1, -1, -1):
        w, _ = weights[i]
        gw = acts[i].T @ delta + self.l2 * w
        gb = delta.sum(axis=0)
        grads.append((gw, gb))
        if i > 0:
            delta = (delta @ w.T) * (1.0 - acts[i] ** 2)
    grads.reverse()
    return loss, np.concatenate([np.concatenate([gw.ravel(), gb]) for gw, gb in grads])
