"""Compiled loops of the panel's per-record measures, where NumPy's array passes cost most.

- :func:`oscillator_series`: the oscillators of :mod:`~seisgan_core.evaluation.response`
  that sample their response on the record's own time grid, stepped sample by sample, all
  the records and components of a block at once as SIMD lanes: four multiply-adds per
  sample and row, where the FFT solution needs a product with the transfer function, an
  inverse FFT, the wrap-around correction and two passes for the peak;
- :func:`rotd50_of_series`: RotD50 of two horizontal series in one pass instead of a dozen
  array passes;
- :func:`intensity_rows`: PGV, Arias intensity, CAV, D5-95 and the study statistics'
  moments of each row in two passes over it (the cumulative integrals side by side), where
  the array versions of :mod:`~seisgan_core.evaluation.intensity` and
  ``statistics._record_moments`` make fifteen.

Compiled by numba (which pykooh's smoothing already brings) on first use and cached on disk
(``cache=True``), so later processes load the machine code.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["intensity_rows", "kth_smallest", "oscillator_series", "rotd50_of_series"]


@njit(nogil=True, cache=True)
def oscillator_series(x, step, u0, v0, series, hi, lo, i_hi, i_lo):
    """Pseudo-acceleration w_n^2 u of a damped oscillator driven by each column of ``x``.

    ``x``: (n_samples, rows), time first, the base acceleration at the samples, taken as
    linear between them; ``step``: the nine coefficients of
    :func:`seisgan_core.evaluation.response._oscillator_step` (the exact one-sample step of
    u and u' for such an input, and w_n^2); ``u0``, ``v0``: (rows,) the state at the first
    sample. Writes ``series`` (n_samples, rows, in its dtype), and per row its largest value
    ``hi`` and smallest ``lo`` with the first samples that reach them (``i_hi``, ``i_lo``).
    The state is kept in float64 whatever the dtype of ``x``: a lightly damped long-period
    oscillator carries rounding errors through 1 / (zeta w_n dt) steps.
    """
    n, rows = x.shape
    p11, p12, p21, p22 = step[0], step[1], step[2], step[3]
    hold_u, ramp_u, hold_v, ramp_v, w2 = step[4], step[5], step[6], step[7], step[8]
    u = np.empty(rows)
    v = np.empty(rows)
    for r in range(rows):
        u[r] = u0[r]
        v[r] = v0[r]
        s = series.dtype.type(w2 * u0[r])
        series[0, r] = s
        hi[r] = s
        lo[r] = s
        i_hi[r] = 0
        i_lo[r] = 0
    for t in range(1, n):
        for r in range(rows):
            a0 = np.float64(x[t - 1, r])
            a1 = np.float64(x[t, r])
            u_next = p11 * u[r] + p12 * v[r] + hold_u * a0 + ramp_u * a1
            v_next = p21 * u[r] + p22 * v[r] + hold_v * a0 + ramp_v * a1
            u[r] = u_next
            v[r] = v_next
            s = series.dtype.type(w2 * u_next)
            series[t, r] = s
            # Branch-free updates (selects), so the loop over rows stays vectorised.
            up = s > hi[r]
            down = s < lo[r]
            hi[r] = s if up else hi[r]
            i_hi[r] = t if up else i_hi[r]
            lo[r] = s if down else lo[r]
            i_lo[r] = t if down else i_lo[r]


@njit(nogil=True, cache=True)
def kth_smallest(a, k):
    """The k-th smallest value of 1-D ``a`` (0-based), found by quickselect (Hoare 1961),
    reordering ``a`` in place so that a[:k] <= a[k] <= a[k + 1:], as np.partition does;
    ``a`` holds no NaN. (numba compiles np.partition in 7 s and np.sort in 2 s, this in a
    fraction of one.)"""
    lo, hi = 0, a.size - 1
    while lo < hi:
        pivot = a[(lo + hi) // 2]
        i, j = lo, hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    return a[k]


@njit(nogil=True, cache=True)
def rotd50_of_series(series, time_first, n_rec, n_comp, c1, c2, where1, where2, cos_a, sin_a,
                     out):  # fmt: skip
    """RotD50 (Boore 2010, BSSA 100(4)) of components ``c1`` and ``c2`` of ``n_rec`` records
    of oscillator series, into ``out`` (n_rec,), float64: the median over the angles of
    ``cos_a``, ``sin_a`` of the peak over time of |h1 cos(theta) + h2 sin(theta)|, the median
    as numpy's linear percentile 50 (pyrotd's). ``series``: C-contiguous, either time first
    (``time_first``: (n_samples, n_comp * n_rec), component c of record i in column
    c * n_rec + i) or a row per record and component ((n_rec * n_comp, n_samples), row
    i * n_comp + c); the loops run along the contiguous axis either way.

    Exact, without rotating every sample: the rotated amplitudes g(theta) of three samples
    of each record (the peaks of |h1| and |h2|, ``where1`` and ``where2``, and of
    h1^2 + h2^2) are lower bounds of its rotated peaks at every angle, so the median of g is
    a lower bound L of the two order statistics the median interpolates. A sample whose
    vector amplitude hypot(h1, h2) is below L projects below L at every angle, so only the
    samples that reach L (made a millionth smaller against rounding) are rotated through
    every angle: the peaks at or above L are exact, the others stay below L and do not move
    the median. An all-zero record keeps no sample and gets 0.
    """
    n_angles = cos_a.size
    g = np.empty(n_angles)
    peaks = np.zeros((n_rec, n_angles))
    probe = np.empty((3, 2))
    if time_first:
        n = series.shape[0]
        col1, col2 = c1 * n_rec, c2 * n_rec
        r2_max = np.full(n_rec, -1.0)
        r2_at = np.zeros(n_rec, np.int64)
        for t in range(n):
            for i in range(n_rec):
                a = np.float64(series[t, col1 + i])
                b = np.float64(series[t, col2 + i])
                r2 = a * a + b * b
                up = r2 > r2_max[i]
                r2_max[i] = r2 if up else r2_max[i]
                r2_at[i] = t if up else r2_at[i]
        threshold = np.empty(n_rec)
        for i in range(n_rec):
            for k, at in enumerate((where1[i], where2[i], r2_at[i])):
                probe[k, 0] = series[at, col1 + i]
                probe[k, 1] = series[at, col2 + i]
            threshold[i] = _threshold(probe, cos_a, sin_a, g)
        for t in range(n):
            for i in range(n_rec):
                a = np.float64(series[t, col1 + i])
                b = np.float64(series[t, col2 + i])
                if a * a + b * b >= threshold[i]:
                    _rotate(peaks[i], a, b, cos_a, sin_a)
    else:
        n = series.shape[1]
        for i in range(n_rec):
            row1, row2 = i * n_comp + c1, i * n_comp + c2
            r2_max = -1.0
            r2_at = 0
            for t in range(n):
                a = np.float64(series[row1, t])
                b = np.float64(series[row2, t])
                r2 = a * a + b * b
                up = r2 > r2_max
                r2_max = r2 if up else r2_max
                r2_at = t if up else r2_at
            for k, at in enumerate((where1[i], where2[i], r2_at)):
                probe[k, 0] = series[row1, at]
                probe[k, 1] = series[row2, at]
            threshold = _threshold(probe, cos_a, sin_a, g)
            for t in range(n):
                a = np.float64(series[row1, t])
                b = np.float64(series[row2, t])
                if a * a + b * b >= threshold:
                    _rotate(peaks[i], a, b, cos_a, sin_a)
    lo_i = (n_angles - 1) // 2
    hi_i = n_angles // 2
    for i in range(n_rec):
        row = peaks[i]
        low = kth_smallest(row, lo_i)  # row[:lo_i] <= low <= row[lo_i + 1:] after it
        high = low
        if hi_i > lo_i:
            high = row[hi_i]
            for q in range(hi_i + 1, n_angles):
                high = min(high, row[q])
        # numpy's linear interpolation between the two middle values (weight 0.5 for 180)
        out[i] = high - (high - low) * (hi_i - (n_angles - 1) / 2)


@njit(nogil=True, cache=True)
def _threshold(probe, cos_a, sin_a, g):
    """L^2 of :func:`rotd50_of_series` from the three samples ``probe`` (3, 2): the median
    over the angles of their largest rotated amplitude, a millionth smaller; inf where it
    is 0 (an all-zero record: no sample kept)."""
    g[:] = 0.0
    for k in range(probe.shape[0]):
        a, b = probe[k, 0], probe[k, 1]
        for q in range(cos_a.size):
            g[q] = max(g[q], abs(a * cos_a[q] + b * sin_a[q]))
    lower = kth_smallest(g, (cos_a.size - 1) // 2) * (1.0 - 1e-6)
    return lower * lower if lower > 0 else np.inf


@njit(nogil=True, cache=True)
def _rotate(peaks, a, b, cos_a, sin_a):
    """peaks[q] = max(peaks[q], |a cos_a[q] + b sin_a[q]|) at every angle q."""
    for q in range(cos_a.size):
        peaks[q] = max(peaks[q], abs(a * cos_a[q] + b * sin_a[q]))


@njit(nogil=True, cache=True)
def intensity_rows(x, dt, start, end, g, pgv, arias, cav, duration, moments):
    """Per row of ``x`` (rows, n_samples; acceleration in cm/s^2, ``dt`` in s): PGV (cm/s),
    Arias intensity (m/s, ``g`` in m/s^2), CAV (cm/s) and the significant duration (s)
    between the fractions ``start`` and ``end`` of the Husid curve, into the four outputs,
    and into ``moments`` (5, rows) the row's mean, M2 and M3 (sums of squared and cubed
    deviations from the mean), min and max, as ``statistics._record_moments``.

    The definitions and the operations of :mod:`seisgan_core.evaluation.intensity`
    (``velocity`` and ``pgv``, ``arias_intensity``, ``cav``, ``husid_times``), in float64:
    trapezoidal integrals, the velocity's mean and least-squares line removed, the Husid
    curve's crossings interpolated linearly. Sums run in order along the row where NumPy
    sums pairwise, so values agree to rounding (about 1e-15 relative), not bit for bit.
    """
    rows, n = x.shape
    velocity = np.empty(n)
    husid = np.empty(n)
    t_mean = (n - 1) / 2.0
    tc2 = 0.0
    for t in range(n):
        tc2 += (t - t_mean) * (t - t_mean)
    for r in range(rows):
        mean = 0.0
        low = np.inf
        high = -np.inf
        for t in range(n):
            a = np.float64(x[r, t])
            mean += a
            low = min(low, a)
            high = max(high, a)
        mean /= n
        prev = np.float64(x[r, 0])
        prev_c = prev - mean
        v = 0.0
        energy = 0.0
        sum_v = 0.0
        sum_vt = 0.0
        sum_abs = 0.0
        sum_sq = 0.0
        velocity[0] = 0.0
        husid[0] = 0.0
        for t in range(1, n):
            a = np.float64(x[r, t])
            a_c = a - mean
            v += (a_c + prev_c) * dt / 2.0
            velocity[t] = v
            sum_v += v
            sum_vt += v * (t - t_mean)
            energy += (a * a + prev * prev) * dt / 2.0
            husid[t] = energy
            sum_abs += (abs(a) + abs(prev)) * dt / 2.0
            sum_sq += ((a / 100.0) * (a / 100.0) + (prev / 100.0) * (prev / 100.0)) * dt / 2.0
            prev = a
            prev_c = a_c
        slope = sum_vt / tc2
        v_mean = sum_v / n
        peak = 0.0
        m2 = 0.0
        m3 = 0.0
        for t in range(n):
            peak = max(peak, abs(velocity[t] - v_mean - slope * (t - t_mean)))
            dev = np.float64(x[r, t]) - mean
            m2 += dev * dev
            m3 += dev * dev * dev
        pgv[r] = peak
        moments[0, r] = mean
        moments[1, r] = m2
        moments[2, r] = m3
        moments[3, r] = low
        moments[4, r] = high
        arias[r] = np.pi / (2.0 * g) * sum_sq
        cav[r] = sum_abs
        duration[r] = 0.0
        total = husid[n - 1]
        if total > 0:
            times = np.empty(2)
            for k in range(2):
                level = start if k == 0 else end
                # The first sample at or above the level (the curve never decreases),
                # interpolated with the sample before it, as husid_times does.
                target = level - 1e-12
                lo_i, hi_i = 0, n
                while lo_i < hi_i:
                    mid = (lo_i + hi_i) // 2
                    if husid[mid] / total < target:
                        lo_i = mid + 1
                    else:
                        hi_i = mid
                i = lo_i if lo_i < n else 0
                if i > 0:
                    h1 = husid[i] / total
                    h0 = husid[i - 1] / total
                    span = h1 - h0 if h1 > h0 else 1.0
                    frac = min(max((level - h0) / span, 0.0), 1.0)
                    times[k] = (i - 1) * dt + frac * dt
                else:
                    times[k] = 0.0
            duration[r] = times[1] - times[0]
