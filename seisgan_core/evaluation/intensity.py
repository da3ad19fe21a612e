"""Intensity measures of accelerograms, batched over the last axis (time).

Units: ``acc`` in cm/s^2 unless a function says otherwise. Each result has the shape of
``acc`` without its last axis.
"""

from __future__ import annotations

import numpy as np
import scipy.signal

from seisgan_core.evaluation._arrays import as_float_array, check_dt

__all__ = [
    "G_M_S2",
    "arias_intensity",
    "cav",
    "decimated_envelope",
    "envelope",
    "husid",
    "husid_times",
    "pga",
    "pgv",
    "pgv_arias_cav_duration",
    "significant_duration",
    "velocity",
]

#: Standard gravity (m/s^2), as in Arias (1970) and ESM's processing.
G_M_S2 = 9.80665


def pga(acc: np.ndarray) -> np.ndarray:
    """Peak ground acceleration: the largest absolute value, in the unit of ``acc``."""
    return np.abs(as_float_array(acc)).max(axis=-1)


def velocity(acc_cm_s2: np.ndarray, dt: float) -> np.ndarray:
    """Ground velocity (cm/s) from acceleration (cm/s^2).

    Baseline removal before and after integration, the simplest scheme of Boore & Bommer (2005,
    Soil Dyn. Earthq. Eng. 25, section 3): the mean is removed from the acceleration, the
    record integrated with the trapezoidal rule, and a straight line fitted by least squares is
    removed from the velocity (a constant offset in acceleration becomes a linear drift).
    """
    dt = check_dt(dt)
    a = as_float_array(acc_cm_s2).astype(np.float64, copy=False)
    a = a - a.mean(axis=-1, keepdims=True)
    v = _cumulative_trapezoid(a, dt)
    # Least-squares line through v(t), in closed form (what scipy.signal.detrend fits, without
    # its general lstsq over the whole batch).
    t = np.arange(v.shape[-1], dtype=np.float64)
    tc = t - t.mean()
    slope = (v @ tc) / (tc @ tc)
    # v - mean - slope * tc, the same operations in the same order, in v (a new array).
    v -= v.mean(axis=-1, keepdims=True)
    v -= slope[..., None] * tc
    return v


def pgv(acc_cm_s2: np.ndarray, dt: float) -> np.ndarray:
    """Peak ground velocity (cm/s) of :func:`velocity`."""
    v = velocity(acc_cm_s2, dt)
    return np.abs(v, out=v).max(axis=-1)  # v is a new array: |v| in place


def _cumulative_trapezoid(y: np.ndarray, dx: float) -> np.ndarray:
    """scipy.integrate.cumulative_trapezoid(y, dx=dx, axis=-1, initial=0) of float64 ``y``, bit
    for bit (the same operations in the same order), computed in place in the output array:
    scipy's general version makes three temporaries and concatenates its result behind the
    initial zero (four times the time on a block of the panel)."""
    out = np.empty(y.shape, dtype=np.result_type(y.dtype, np.float64))
    out[..., :1] = 0.0
    terms = out[..., 1:]  # every step in place, in the output (no temporaries)
    np.add(y[..., 1:], y[..., :-1], out=terms)
    terms *= dx
    terms /= 2.0
    np.cumsum(terms, axis=-1, out=terms)
    return out


def _trapezoid(y: np.ndarray, dx: float) -> np.ndarray:
    """scipy.integrate.trapezoid(y, dx=dx, axis=-1) of float64 ``y``, bit for bit (the same
    terms, summed by the same pairwise sum), with the terms computed in place in one array."""
    terms = y[..., 1:] + y[..., :-1]
    terms *= dx
    terms /= 2.0
    return terms.sum(axis=-1)


def _squared_integral(a: np.ndarray, dt: float) -> np.ndarray:
    """Cumulative integral of a^2 (trapezoidal), starting at 0, same length as ``a``."""
    return _cumulative_trapezoid(a * a, dt)


def arias_intensity(acc_cm_s2: np.ndarray, dt: float) -> np.ndarray:
    """Arias intensity (m/s): I_A = pi / (2 g) * integral a(t)^2 dt (Arias 1970, eq. 1).

    ``acc_cm_s2`` in cm/s^2 (converted to m/s^2 here), ``dt`` in s.
    """
    dt = check_dt(dt)
    a = as_float_array(acc_cm_s2).astype(np.float64, copy=False) / 100.0
    np.multiply(a, a, out=a)  # a is a new array: square it in place
    return np.pi / (2.0 * G_M_S2) * _trapezoid(a, dt)


def cav(acc_cm_s2: np.ndarray, dt: float) -> np.ndarray:
    """Cumulative absolute velocity (cm/s): integral |a(t)| dt (EPRI 1988, eq. 2-1)."""
    dt = check_dt(dt)
    a = as_float_array(acc_cm_s2).astype(np.float64, copy=False)
    return _trapezoid(np.abs(a), dt)


def husid(acc: np.ndarray, dt: float) -> np.ndarray:
    """Normalised Husid curve (Husid 1969): cumulative a^2 over its total, from 0 to 1."""
    dt = check_dt(dt)
    a = as_float_array(acc).astype(np.float64, copy=False)
    cum = _squared_integral(a, dt)
    total = cum[..., -1:].copy()
    silent = ~(total[..., 0] > 0)
    # In place: the same division as a new array would hold; silent records become zeros.
    cum /= np.where(silent[..., None], 1.0, total)
    cum[silent] = 0.0
    return cum


def husid_times(acc: np.ndarray, dt: float, levels=(0.05, 0.5, 0.95)) -> np.ndarray:
    """Times (s) at which the Husid curve reaches each of ``levels``: shape (..., len(levels)).

    The first sample at or above the level (Husid curves are non-decreasing), interpolated
    linearly with the sample before it, so a boxcar of length L starting at t0 reaches 5 % at
    t0 + 0.05 L to rounding. Records of zeros give 0.
    """
    h = husid(acc, dt)
    lead = h.shape[:-1]
    flat = h.reshape(-1, h.shape[-1])
    t = np.arange(flat.shape[-1]) * check_dt(dt)
    rows = np.arange(flat.shape[0])
    out = np.empty((flat.shape[0], len(levels)))
    for k, level in enumerate(levels):
        idx = _first_at_or_above(flat, level - 1e-12)
        prev = np.maximum(idx - 1, 0)
        h1 = flat[rows, idx]
        h0 = flat[rows, prev]
        span = np.where(h1 > h0, h1 - h0, 1.0)
        frac = np.where(idx > 0, (level - h0) / span, 0.0)
        out[:, k] = t[prev] + np.clip(frac, 0.0, 1.0) * dt * (idx > 0)
    out[flat[:, -1] <= 0] = 0.0
    return out.reshape(*lead, len(levels))


def _first_at_or_above(curves: np.ndarray, level: float) -> np.ndarray:
    """Per row of non-decreasing ``curves`` (rows, n), the first index whose value is at
    least ``level``, 0 where none is: ``argmax(curves >= level)``, by a binary search per
    row instead of a comparison of every sample (Husid curves are cumulative sums of
    squares divided by a positive total, so they never decrease in floating point either)."""
    idx = np.array([np.searchsorted(row, level, side="left") for row in curves], dtype=np.int64)
    idx[idx == curves.shape[-1]] = 0
    return idx


def significant_duration(
    acc: np.ndarray, dt: float, start: float = 0.05, end: float = 0.95
) -> np.ndarray:
    """Significant duration (s) between ``start`` and ``end`` of the Husid curve.

    Trifunac & Brady (1975, BSSA 65(3)): D5-95 is the time between 5 % and 95 % of the
    integral of a^2. The crossing times are interpolated linearly between samples
    (:func:`husid_times`), so a boxcar of length L gives 0.9 L to rounding. Records of zeros
    give 0.
    """
    if not 0.0 <= start < end <= 1.0:
        raise ValueError(f"start, end: expected 0 <= start < end <= 1, found {start}, {end}")
    times = husid_times(acc, dt, (start, end))
    return times[..., 1] - times[..., 0]


def pgv_arias_cav_duration(
    acc_cm_s2: np.ndarray, dt: float, with_moments: bool = False
) -> tuple[np.ndarray, ...]:
    """:func:`pgv`, :func:`arias_intensity`, :func:`cav` and :func:`significant_duration`
    (5-95 %) of every record in one compiled pass per record (:mod:`._kernels`): the same
    definitions and operations, summed in order where NumPy sums pairwise, so equal to
    rounding (about 1e-15 relative); a quarter of the time of the four calls on a block of
    the panel. Shapes (...) of ``acc_cm_s2``'s leading axes, float64. ``with_moments``:
    also the study statistics' per-record moments from the same passes (5, ...; see
    ``statistics._record_moments``), as a fifth value.
    """
    from seisgan_core.evaluation import _kernels

    dt = check_dt(dt)
    a = as_float_array(acc_cm_s2)
    lead, n = a.shape[:-1], a.shape[-1]
    rows = np.ascontiguousarray(a.reshape(-1, n))
    outs = [np.empty(rows.shape[0]) for _ in range(4)]
    moments = np.empty((5, rows.shape[0]))  # statistics' moments, which the panel takes
    _kernels.intensity_rows(rows, dt, 0.05, 0.95, G_M_S2, *outs, moments)
    if with_moments:
        return (*(out.reshape(lead) for out in outs), moments.reshape(5, *lead))
    return tuple(out.reshape(lead) for out in outs)


def envelope(acc: np.ndarray) -> np.ndarray:
    """Amplitude envelope |x + i H[x]| from the analytic signal (Hilbert transform)."""
    return np.abs(scipy.signal.hilbert(as_float_array(acc), axis=-1))


def decimated_envelope(acc: np.ndarray, step: int, spectrum: np.ndarray | None = None):
    """:func:`envelope` at every ``step``-th sample, from the record's rfft.

    The analytic signal at sample j is (1/N) sum_k c_k X_k exp(2 pi i j k / N) over the rfft
    bins X_k, with c_k = 2 but 1 at 0 and at N/2 (scipy.signal.hilbert's weights). At
    j = step q, with N = step M, the exponential only depends on k mod M, so the bins folded
    modulo M and one M-point inverse FFT give the decimated analytic signal exactly (to
    rounding), instead of an N-point complex FFT and inverse FFT. ``spectrum``: the rfft of
    ``acc`` along time where the caller has it. Where ``step`` does not divide N, the
    envelope is computed whole and decimated.
    """
    x = as_float_array(acc)
    n = x.shape[-1]
    step = int(step)
    if step < 1 or n % step:
        return np.ascontiguousarray(envelope(x)[..., :: max(step, 1)])
    m = n // step
    spec = np.fft.rfft(x, axis=-1) if spectrum is None else spectrum
    weights = np.full(spec.shape[-1], 2.0)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    padded = np.zeros((*spec.shape[:-1], -(-spec.shape[-1] // m) * m), dtype=np.complex128)
    padded[..., : spec.shape[-1]] = spec * weights
    folded = padded.reshape(*spec.shape[:-1], -1, m).sum(axis=-2)
    return (np.abs(np.fft.ifft(folded, axis=-1)) * (m / n)).astype(x.dtype)
