"""Pseudo-spectral acceleration (per component) and RotD50, batched over records.

The oscillator response is computed in the frequency domain exactly as pyrotd does it
(Kottke, pyrotd 0.6): the Fourier transform of the record times the transfer function of a
damped single-degree-of-freedom oscillator, back-transformed onto a grid fine enough for at
least ten samples per oscillator period (``max_freq_ratio=5``), peak of the absolute value.
What this module adds is batching: all records and components go through one FFT, and all
oscillators of one period through one inverse FFT, instead of a Python loop per record; what
depends only on the frequency grid (transfer functions, the wrap-around correction's weights
and free vibrations) is computed once per grid and reused for every block of records.

With ``causal=False`` the results equal pyrotd's to rounding; the default ``causal=True``
also removes the wrap-around of the periodic FFT solution exactly (see :func:`_grid`), which
is what lets short records reproduce ITACA's time-domain spectra, and samples the short
periods that need a finer time grid than the record's on one at least as fine as pyrotd's
whose inverse FFT is fast (``fast_lengths``; tests/evaluate/test_response.py checks all three).

RotD50 follows Boore (2010, BSSA 100(4)) as pyrotd computes it: the two horizontal oscillator
responses are rotated through 0..179 degrees and the median of the 180 peak values is taken.
The peaks are exact on that grid of angles, but found without rotating every sample through
every angle (see :func:`_rotd_from_series` and :func:`_rotated_peaks`).
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np
import scipy.fft as sfft

from seisgan_core.evaluation._arrays import as_float_array, check_dt

__all__ = ["DEFAULT_PERIODS_S", "psa", "psa_and_rotd50", "rotd50"]

#: Periods (s) of the panel's response spectra: 0.02 s to 10 s, as the ITACA `.rs` files.
DEFAULT_PERIODS_S = np.array(
    [0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0,
     7.5, 10.0]
)  # fmt: skip

_ANGLES_DEG = np.arange(0, 180, 1)

#: Extra width (rad) on each side of a sample's arc of directions in :func:`_rotated_peaks`:
#: covers the rounding of the arc's ends (arctan2 of float64 differences, ~1e-16 rad).
_ARC_MARGIN = 1e-6

#: cos and sin of the 360 signed directions (every degree) of :func:`_rotated_peaks`.
_DIRECTIONS = np.stack(
    [np.cos(np.arange(2 * _ANGLES_DEG.size) * (np.pi / _ANGLES_DEG.size)),
     np.sin(np.arange(2 * _ANGLES_DEG.size) * (np.pi / _ANGLES_DEG.size))]
)  # fmt: skip

#: Direction numbers -360 .. 719 shifted by 360, wrapped into 0 .. 359 (:func:`_rotated_peaks`).
_WRAP = np.remainder(np.arange(-2 * _ANGLES_DEG.size, 4 * _ANGLES_DEG.size), 2 * _ANGLES_DEG.size)


def _transfer(freqs: np.ndarray, osc_freq: float, damping: float) -> np.ndarray:
    """PSA transfer function of a damped SDOF oscillator (pyrotd's ``calc_oscillator_resp``).

    H(w) = -w_n^2 / (w^2 - w_n^2 - 2i zeta w_n w): relative displacement times w_n^2
    (Chopra 2012, Dynamics of Structures, eq. 3.2.x written for base excitation).
    """
    w = 2 * np.pi * freqs
    wn = 2 * np.pi * osc_freq
    return -(wn**2) / (w**2 - wn**2 - 2.0j * damping * wn * w)


@dataclass(frozen=True)
class _Grid:
    """The oscillators of one frequency grid: what every block of records reuses.

    ``lengths[j]``: the inverse FFT's length for period j; ``transfer[j]``: its transfer
    function, scaled, in the spectrum's dtype; ``free[j]``: (2, span) free vibrations in the
    series' dtype (causal only); ``start``: (2 n_bins, 2 n_periods) float64 that maps a
    spectrum, its real and imaginary parts interleaved, to the two free-vibration
    coefficients of every period (causal only).
    """

    lengths: tuple[int, ...]
    transfer: tuple[np.ndarray, ...]
    free: tuple[np.ndarray, ...] | None
    start: np.ndarray | None


def _fast_bins(m: int) -> int:
    """The fewest rfft bins m' >= m whose inverse length 2 (m' - 1) pocketfft transforms fast
    (a product of 2, 3, 5 and 7; scipy.fft.next_fast_len): pyrotd's lengths for short periods
    have large prime factors (39,998 = 2 x 7 x 2,857 at 0.01 s for 8,000 samples at 200 Hz),
    on which an inverse FFT takes 7x as long as on 40,000."""
    length = sfft.next_fast_len(2 * (m - 1), real=True)
    while length % 2:
        length = sfft.next_fast_len(length + 1, real=True)
    return length // 2 + 1


@functools.lru_cache(maxsize=32)
def _grid(
    n: int,
    df: float,
    periods: tuple[float, ...],
    damping: float,
    max_freq_ratio: float,
    causal: bool,
    dtype: str,
    fast_lengths: bool = False,
) -> _Grid:
    """Transfer functions and wrap-around corrections for ``n`` rfft bins spaced ``df``.

    The inverse FFT gives the periodic (steady-state) response to the record repeated end to
    end: the free vibration left at the end of the record wraps onto its start. With
    ``causal`` we subtract that free vibration exactly. The periodic solution s_p and the
    causal one s_c (starting at rest) obey the same forced equation, so d = s_p - s_c obeys
    the free one, d'' + 2 zeta w_n d' + w_n^2 d = 0, with d(0) = s_p(0), d'(0) = s_p'(0):
    d(t) = exp(-zeta w_n t) [d0 cos(w_d t) + (d0' + zeta w_n d0) / w_d sin(w_d t)],
    w_d = w_n sqrt(1 - zeta^2) (Chopra 2012, eq. 2.2.4). s_p(0) and s_p'(0) are weighted sums
    over the spectrum Y = X H: (Y_0 + 2 sum Re Y_k + Re Y_last) / length and the same of
    Re(i w Y) = -w Im Y (the last bin counted once only where it is the output's Nyquist
    bin). Both are linear in Re X and Im X, so the two coefficients of every period are one
    matrix product per block of records (``start``). Cached: the panel reuses one grid for
    thousands of records. ``fast_lengths``: the oversampled periods' grids made at least as
    fine as pyrotd's, on lengths pocketfft transforms fast (:func:`_fast_bins`).
    """
    freqs = np.arange(n) * df
    omega = 2 * np.pi * freqs
    lengths, transfer, free = [], [], []
    start = np.zeros((2 * n, 2 * len(periods))) if causal else None
    complex_dtype = np.result_type(np.dtype(dtype), np.complex64)
    for j, period in enumerate(periods):
        osc_freq = 1.0 / period
        # pyrotd: at least max_freq_ratio * f_osc on the frequency axis (10 samples per
        # period). Zero-padding in frequency (m > n) interpolates the series onto a finer
        # time grid; the scale keeps the amplitudes for the changed length (pyrotd does the
        # same; folded into the transfer function to save a pass over the long series).
        m = max(n, int(max_freq_ratio * osc_freq / df))
        if fast_lengths and m > n:
            m = _fast_bins(m)
        length = 2 * (m - 1)
        h = (float(m) / float(n)) * _transfer(freqs, osc_freq, damping)
        lengths.append(length)
        transfer.append(h.astype(complex_dtype))
        if not causal:
            continue
        weights = np.full(n, 2.0)
        weights[0] = 1.0
        if n == m:
            weights[-1] = 1.0
        weights /= length
        wn = 2 * np.pi * osc_freq
        # s0 = sum w (Re X Re H - Im X Im H); ds0 = -sum w omega (Re X Im H + Im X Re H);
        # the sine's coefficient is ds0 + zeta w_n s0.
        start[0::2, 2 * j] = weights * h.real
        start[1::2, 2 * j] = -weights * h.imag
        start[0::2, 2 * j + 1] = -weights * omega * h.imag + damping * wn * weights * h.real
        start[1::2, 2 * j + 1] = -weights * omega * h.real - damping * wn * weights * h.imag
        free.append(np.stack(_free_vibration(length, df, osc_freq, damping, dtype)))
    for arr in (*transfer, *free, *([start] if causal else [])):
        arr.flags.writeable = False
    return _Grid(tuple(lengths), tuple(transfer), tuple(free) if causal else None, start)


def _free_vibration(
    length: int, df: float, osc_freq: float, damping: float, dtype: str
) -> tuple[np.ndarray, np.ndarray]:
    """exp(-zeta w_n t) cos(w_d t) and exp(-zeta w_n t) sin(w_d t) / w_d on the series grid.

    Cut where the envelope falls below 1e-9 (t > 20.7 / (zeta w_n)): beyond, the correction
    is below float rounding.
    """
    wn = 2 * np.pi * osc_freq
    wd = wn * np.sqrt(1.0 - damping**2)
    t = np.arange(length) / (length * df)
    if damping > 0:
        t = t[: int(np.searchsorted(t, 20.7 / (damping * wn))) + 1]
    decay = np.exp(-damping * wn * t)
    return (decay * np.cos(wd * t)).astype(dtype), (decay * np.sin(wd * t) / wd).astype(dtype)


def _response_series(
    spectrum: np.ndarray, grid: _Grid, j: int, start: np.ndarray | None
) -> np.ndarray:
    """Oscillator response series of period ``j`` for every row of ``spectrum`` (rfft of the
    records); ``start``: ``spectrum`` interleaved times ``grid.start`` (causal grids)."""
    series = sfft.irfft(spectrum * grid.transfer[j], grid.lengths[j], axis=-1, workers=1,
                        overwrite_x=True)  # fmt: skip
    if start is not None:
        basis = grid.free[j]
        coeffs = start[:, 2 * j : 2 * j + 2].astype(series.dtype)
        series[:, : basis.shape[1]] -= coeffs @ basis
    return series


def _rotd_from_series(series_h1: np.ndarray, series_h2: np.ndarray) -> np.ndarray:
    """RotD50 of pairs of oscillator series (rows, time), exact over all samples: the
    median over 180 angles of :func:`_rotated_peaks` of the samples :func:`_rotd_candidates`
    keeps (what :func:`_block_response` computes for every period of a block at once)."""
    peak_h1 = np.abs(series_h1).argmax(axis=-1)
    peak_h2 = np.abs(series_h2).argmax(axis=-1)
    points = _rotd_candidates(series_h1, series_h2, peak_h1, peak_h2)
    return _median_of_angles(_rotated_peaks(points, series_h1.shape[0]))


def _rotd_candidates(
    series_h1: np.ndarray, series_h2: np.ndarray, peak_h1: np.ndarray, peak_h2: np.ndarray
) -> tuple[np.ndarray, ...]:
    """The samples that can hold a rotated peak RotD50 depends on, as :func:`_sample_steps`.

    Only samples whose vector amplitude r(t) = hypot(h1, h2) reaches the median rotated peak
    can set a peak that matters for the median, so we first bound that median from below
    with three samples (the peaks of h1, h2 and r): their rotated amplitudes g(theta) are
    lower bounds of the true peaks at every angle, hence the 90th smallest g (of 180) is a
    lower bound L of the two order statistics np.percentile(..., 50) interpolates. Angles
    whose peak is at least L are computed exactly from the samples with r >= L (made a
    millionth wider against rounding); the others stay below L, so the median equals
    pyrotd's "rigorous" method (tests compare both pyrotd methods). ``peak_h1``,
    ``peak_h2``: where |h1| and |h2| peak in each row (the caller has them from PSA). No
    second, tighter filter: :func:`_rotated_peaks` projects each kept sample only onto its
    arc of directions, so the extra samples cost less than a bound that removes them
    (a filter from the kept samples' extremes along 8 directions made the block pass 10 %
    slower, measured on the benchmark's records).
    """
    r2 = series_h1 * series_h1
    r2 += series_h2 * series_h2
    probes = np.stack([peak_h1, peak_h2, r2.argmax(axis=-1)], axis=-1)
    pa = np.take_along_axis(series_h1, probes, axis=-1)
    pb = np.take_along_axis(series_h2, probes, axis=-1)
    # Rotated amplitudes (rows, 3 probes, 180 angles) as one product, maximum over probes.
    unit = _DIRECTIONS[:, : _ANGLES_DEG.size].astype(series_h1.dtype)
    g = np.abs(np.stack([pa, pb], axis=-1) @ unit).max(axis=1)
    n_angles = _ANGLES_DEG.size
    lower = np.partition(g, (n_angles - 1) // 2, axis=-1)[:, (n_angles - 1) // 2]
    lower = lower.astype(np.float64) * (1.0 - 1e-6)
    # An all-zero row has lower == 0 (its probes are zero) and RotD50 0: keep none of it,
    # rather than every sample (a generator early in training can emit such records).
    threshold = np.where(lower > 0, lower * lower, np.inf).astype(r2.dtype)
    keep = r2 >= threshold[:, None]
    # flatnonzero on the flat mask: a third of the time of a 2-D nonzero. (The series are
    # often views of one component of a (rows, components, time) array: 2-D indexing, no
    # flattening copy.)
    flat_idx = np.flatnonzero(keep)
    row_idx = flat_idx // keep.shape[-1]
    t_idx = flat_idx - row_idx * keep.shape[-1]
    return _sample_steps(series_h1, series_h2, row_idx, t_idx)


def _sample_steps(
    h1: np.ndarray, h2: np.ndarray, row_idx: np.ndarray, t_idx: np.ndarray
) -> tuple[np.ndarray, ...]:
    """(row, x, y, incoming step x and y, outgoing step x and y, end) of the samples
    (row_idx, t_idx), float64; ``end`` marks the first and last sample of a series."""
    n_t = h1.shape[-1]
    flat1, flat2 = _flat_rows(h1), _flat_rows(h2)
    if flat1 is None or flat2 is None or h1.strides != h2.strides:
        x = h1[row_idx, t_idx].astype(np.float64)
        y = h2[row_idx, t_idx].astype(np.float64)
        before, after = np.maximum(t_idx - 1, 0), np.minimum(t_idx + 1, n_t - 1)
        return (row_idx, x, y, x - h1[row_idx, before], y - h2[row_idx, before],
                h1[row_idx, after] - x, h2[row_idx, after] - y,
                (t_idx == 0) | (t_idx == n_t - 1))  # fmt: skip
    # The same values gathered by one flat index per sample (a third of the time of 2-D
    # fancy indexing, which the series, views of one component, would otherwise need).
    first, last = t_idx == 0, t_idx == n_t - 1
    at = row_idx * (h1.strides[0] // h1.itemsize) + t_idx
    before, after = at - ~first, at + ~last  # one step back and forward, but at the ends
    x = flat1.take(at).astype(np.float64)
    y = flat2.take(at).astype(np.float64)
    return (row_idx, x, y, x - flat1.take(before), y - flat2.take(before),
            flat1.take(after) - x, flat2.take(after) - y, first | last)  # fmt: skip


def _flat_rows(a: np.ndarray) -> np.ndarray | None:
    """A 1-D view of the memory of the rows of 2-D ``a`` (samples contiguous, rows a
    multiple of the item size apart) in which a[r, t] is at r * row_stride + t; None where
    the layout does not allow one."""
    if a.ndim != 2 or a.shape[0] == 0 or a.strides[1] != a.itemsize:
        return None
    row = a.strides[0]
    if row < a.shape[1] * a.itemsize or row % a.itemsize:
        return None
    size = (a.shape[0] - 1) * (row // a.itemsize) + a.shape[1]
    return np.lib.stride_tricks.as_strided(a, shape=(size,), strides=(a.itemsize,))


def _rotated_peaks(points: tuple[np.ndarray, ...], rows: int) -> np.ndarray:
    """max over the samples of |x cos(theta) + y sin(theta)| per row, (rows, 180).

    ``points``: :func:`_sample_steps` of the samples (rows numbered 0 .. rows - 1). A sample
    can hold the largest signed projection p(t) . u onto a direction u only if it is a
    discrete local maximum along u: (p(t) - p(t-1)) . u >= 0 and (p(t+1) - p(t)) . u <= 0.
    Those u form an arc as wide as the trajectory's turn at t (between its incoming and
    outgoing steps), so each sample is projected only onto the grid directions inside its
    arc (plus ``_ARC_MARGIN``), not onto all of them: a dense, smooth trajectory (long
    periods, hundreds of samples near the peak) turns by a fraction of a degree per sample.
    The ends of a series, and samples next to a zero step, are projected onto every
    direction. Signed maxima over 360 directions give |.| over 180 angles: the peak at theta
    is the larger of the maxima along theta and theta + 180 degrees. Angles no sample
    reaches get 0 (callers pass every sample that can hold a peak they need).
    """
    n_angles = _ANGLES_DEG.size
    n_dir = 2 * n_angles
    signed = np.full(rows * n_dir, -np.inf)
    # Samples in parts of _PART_SAMPLES: the arrays of one part are what a block holds at
    # once, whatever the number of samples kept (each sample's projections are independent).
    n = points[0].size
    for lo in range(0, n, _PART_SAMPLES):
        _project(signed, tuple(p[lo : lo + _PART_SAMPLES] for p in points), n_dir)
    signed = signed.reshape(rows, n_dir)
    return np.maximum(np.maximum(signed[:, :n_angles], signed[:, n_angles:]), 0.0)


#: Samples projected at a time by :func:`_rotated_peaks`: about 2 MB of arrays (a 16-record
#: block of the panel keeps up to about 100,000 samples over its 19 periods).
_PART_SAMPLES = 16384


def _project(signed: np.ndarray, points: tuple[np.ndarray, ...], n_dir: int) -> None:
    """The signed maxima of :func:`_rotated_peaks` of ``points``, in place in ``signed``
    (rows x n_dir, flat): each sample projected onto the directions of its arc."""
    row_idx, x, y, d1x, d1y, d2x, d2y, end = points
    step = np.pi / (n_dir // 2)  # one degree, as np.pi / 180
    a1 = np.arctan2(d1y, d1x)
    turn = _wrapped_turn(np.arctan2(d2y, d2x) - a1 + np.pi) - np.pi  # [-pi, pi)
    low = np.where(turn >= 0, a1 - np.pi / 2, a1 + np.pi / 2 + turn) - _ARC_MARGIN
    width = np.abs(turn) + 2 * _ARC_MARGIN
    whole = end | ((d1x == 0) & (d1y == 0)) | ((d2x == 0) & (d2y == 0))
    low[whole], width[whole] = 0.0, 2 * np.pi - step / 2
    first = np.ceil(low / step).astype(np.int64)
    count = np.maximum(np.floor((low + width) / step).astype(np.int64) - first + 1, 0)
    # The directions first .. first + count - 1 of every sample, back to back: each sample's
    # values repeated count times (np.repeat, no gathers) and the direction wrapped into
    # 0 .. n_dir - 1 by a table (first lies within +-n_dir, count is at most n_dir).
    total = np.arange(int(count.sum()))
    total += np.repeat(first - (np.cumsum(count) - count) + n_dir, count)
    direction = _WRAP[total]
    value = np.repeat(x, count) * _DIRECTIONS[0][direction]
    value += np.repeat(y, count) * _DIRECTIONS[1][direction]
    direction += np.repeat(row_idx * n_dir, count)
    np.maximum.at(signed, direction, value)


def _wrapped_turn(z: np.ndarray) -> np.ndarray:
    """np.remainder(z, 2 pi) bit for bit for z in [-pi, 3 pi] (a difference of two arctan2
    angles plus pi), in 0.35 against 0.86 ms for a block's 63,000 kept samples: numpy's float
    remainder is fmod, exact here (z itself below 2 pi; z - 2 pi, exact by Sterbenz's lemma,
    from 2 pi to 3 pi), then 2 pi added to a negative result, which is z + 2 pi rounded once,
    as here. Both masks come from z: a negative z a hair below 0 gives 2 pi after rounding,
    as np.remainder does, and is not wrapped again."""
    two_pi = 2 * np.pi
    out = z + 0.0  # a copy, -0.0 made +0.0 (np.remainder's zero is +0.0)
    above = z >= two_pi
    np.add(out, two_pi, out=out, where=z < 0)
    np.subtract(out, two_pi, out=out, where=above)
    return out


def _median_of_angles(peaks: np.ndarray) -> np.ndarray:
    """np.percentile(peaks, 50, axis=-1) (linear), bit for bit, from one partition."""
    mid = (peaks.shape[-1] - 1) / 2
    lo_i, hi_i = int(np.floor(mid)), int(np.ceil(mid))
    part = np.partition(peaks, (lo_i, hi_i), axis=-1)
    lo, hi = part[..., lo_i], part[..., hi_i]
    # numpy's linear interpolation at weight 0.5 is hi - (hi - lo) * 0.5.
    return hi - (hi - lo) * (hi_i - mid)


def _block_response(
    block: np.ndarray,
    grid: _Grid,
    n_comp: int,
    horizontals: tuple[int, int] | None,
    spectrum: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """PSA (rows, periods) of a block of rows (whole records, ``n_comp`` rows each) and
    RotD50 (records, periods) of its ``horizontals`` (None without). ``spectrum``: the
    block's rfft where the caller has it. The rotated peaks of all periods are found in one
    pass after the periods' series (rows of period j numbered j * records + record)."""
    if spectrum is None:
        spectrum = sfft.rfft(block, axis=-1, workers=1)
    start = None
    if grid.start is not None:
        start = spectrum.view(block.dtype).astype(np.float64, copy=False) @ grid.start
    n_periods = len(grid.lengths)
    out = np.empty((block.shape[0], n_periods))
    n_rec = block.shape[0] // n_comp
    candidates = []
    for j in range(n_periods):
        series = _response_series(spectrum, grid, j, start)
        # Peak and where it occurs, from one argmax and one argmin pass.
        i_max = series.argmax(axis=-1)[:, None]
        i_min = series.argmin(axis=-1)[:, None]
        v_max = np.take_along_axis(series, i_max, axis=-1)[:, 0]
        v_min = np.take_along_axis(series, i_min, axis=-1)[:, 0]
        out[:, j] = np.maximum(v_max, -v_min)
        if horizontals is not None:
            s = series.reshape(n_rec, n_comp, -1)
            where = np.where(v_max >= -v_min, i_max[:, 0], i_min[:, 0]).reshape(n_rec, n_comp)
            h1, h2 = horizontals
            points = _rotd_candidates(s[:, h1], s[:, h2], where[:, h1], where[:, h2])
            candidates.append((points[0] + j * n_rec, *points[1:]))
    if horizontals is None:
        return out, None
    merged = tuple(np.concatenate(parts) for parts in zip(*candidates, strict=True))
    peaks = _rotated_peaks(merged, n_periods * n_rec)
    return out, _median_of_angles(peaks).reshape(n_periods, n_rec).T


def psa_and_rotd50(
    acc: np.ndarray,
    dt: float,
    periods: np.ndarray | None = None,
    damping: float = 0.05,
    *,
    horizontals: tuple[int, int] | None = (0, 1),
    max_freq_ratio: float = 5.0,
    causal: bool = True,
    chunk: int = 240,
    workers: int | None = None,
    progress=None,
    fast_lengths: bool | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """PSA of every component and RotD50 of two of them, in one pass over the oscillators.

    ``acc``: (n_records, n_components, n_samples) (or fewer leading axes), any unit; PSA comes
    out in the same unit. Returns ``(psa, rotd50)`` with shapes (..., n_components, n_periods)
    and (..., n_periods); ``rotd50`` is None when ``horizontals`` is None or the input has one
    component. ``chunk`` rows (records times components) go through the FFTs at a time, on
    ``workers`` threads (default: one per core, at most 8). ``fast_lengths`` (default: as
    ``causal``): the oscillators that need a finer time grid than the record's (periods under
    2 x max_freq_ratio samples: 0.02 s and 0.03 s of the default periods at 200 Hz) get one
    at least as fine as pyrotd's, on a length the inverse FFT takes fast (19,998 -> 20,000
    samples at 0.02 s for 8,000 at 200 Hz: 3x faster; up to 7x at 0.01 s). PSA then equals
    pyrotd's with that grid (``max_freq_ratio`` raised to it), not with its own: the peak is
    sampled at other instants, at least as densely (on white noise, the worst case, within
    5 % of pyrotd's grid at 0.01-0.05 s; on the benchmark's simulated earthquakes within
    0.16 % at 0.02 s and 0.44 % at 0.03 s). ``causal=False`` keeps pyrotd's own grid by
    default, so that mode stays pyrotd's result to rounding.
    """
    dt = check_dt(dt)
    x = as_float_array(acc)
    periods = DEFAULT_PERIODS_S if periods is None else np.asarray(periods, dtype=float)
    if np.any(periods <= 0):
        raise ValueError(f"periods: expected positive periods in s, found {periods.min()}")
    lead, n = x.shape[:-1], x.shape[-1]
    flat = x.reshape(-1, n)
    if horizontals is None or x.ndim < 2 or x.shape[-2] < 2:
        horizontals = None
    n_comp = x.shape[-2] if x.ndim >= 2 else 1
    n_rec = flat.shape[0] // n_comp
    fast_lengths = causal if fast_lengths is None else fast_lengths
    grid = _grid_for(n, dt, periods, damping, max_freq_ratio, causal, flat.dtype, fast_lengths)
    out = np.empty((flat.shape[0], periods.size), dtype=np.float64)
    rot = np.empty((n_rec, periods.size), dtype=np.float64) if horizontals else None
    rec_chunk = max(1, chunk // n_comp)

    def run_block(begin: int) -> int:
        stop = min(n_rec, begin + rec_chunk)
        values, rotated = _block_response(
            flat[begin * n_comp : stop * n_comp], grid, n_comp, horizontals
        )
        out[begin * n_comp : stop * n_comp] = values
        if rot is not None:
            rot[begin:stop] = rotated
        return stop

    _run_blocks(run_block, list(range(0, n_rec, rec_chunk)), n_rec, workers, progress)
    psa_out = out.reshape(*lead, periods.size)
    rot_out = rot.reshape(*lead[:-1], periods.size) if horizontals else None
    return psa_out, rot_out


def _grid_for(
    n_samples: int,
    dt: float,
    periods: np.ndarray,
    damping: float,
    max_freq_ratio: float,
    causal: bool,
    dtype: np.dtype,
    fast_lengths: bool = False,
) -> _Grid:
    """:func:`_grid` of records of ``n_samples`` samples ``dt`` apart."""
    # pyrotd builds its frequency axis with linspace(0, 1/(2 dt), n_freq), which equals
    # k / (n dt) for even n; we use the same spacing.
    n = n_samples
    df = (1.0 / (2 * dt)) / (n // 2) if n % 2 else 1.0 / (n * dt)
    return _grid(n // 2 + 1, df, tuple(float(p) for p in np.ravel(periods)), float(damping),
                 float(max_freq_ratio), bool(causal), np.dtype(dtype).str,
                 bool(fast_lengths))  # fmt: skip


def _block_psa_rotd50(
    x: np.ndarray, spectrum: np.ndarray, dt: float, periods: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """PSA (n, 3, n_periods) and RotD50 of components 0 and 1 (n, n_periods) of a block of
    checked records ``x`` (n, 3, n_samples) whose rfft along time the caller has
    (``spectrum``): :func:`psa_and_rotd50` with its defaults, for the panel's block pass."""
    n_rec, n_comp, n = x.shape
    grid = _grid_for(n, dt, periods, 0.05, 5.0, True, x.dtype, True)
    values, rot = _block_response(x.reshape(-1, n), grid, n_comp, (0, 1),
                                  spectrum.reshape(n_rec * n_comp, -1))  # fmt: skip
    return values.reshape(n_rec, n_comp, -1), rot


def _run_blocks(run_block, starts: list[int], n_rec: int, workers, progress) -> None:
    """``run_block(start)`` (returns its stop) for every start, on threads where there are
    several workers: NumPy and pocketfft release the GIL, so two cores give nearly twice the
    speed; each block writes its own rows of the outputs."""
    n_workers = workers if workers is not None else min(len(starts), os.cpu_count() or 1, 8)
    done = 0
    if n_workers <= 1:
        for start in starts:
            done += run_block(start) - start
            if progress is not None:
                progress(done / n_rec, f"response spectra {done}/{n_rec}")
        return
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        futures = {pool.submit(run_block, start): start for start in starts}
        for future in as_completed(futures):
            done += future.result() - futures[future]
            if progress is not None:
                progress(done / n_rec, f"response spectra {done}/{n_rec}")


def psa(
    acc: np.ndarray,
    dt: float,
    periods: np.ndarray | None = None,
    damping: float = 0.05,
    *,
    causal: bool = True,
) -> np.ndarray:
    """Pseudo-spectral acceleration, shape (..., n_periods), in the unit of ``acc``.

    ``acc``: (n_samples,), (n_components, n_samples) or (n_records, n_components, n_samples);
    ``dt`` in s; ``periods`` in s (default :data:`DEFAULT_PERIODS_S`); ``damping`` as a fraction.
    ``causal=False`` keeps the periodic FFT solution (pyrotd's result, wrap-around included,
    on pyrotd's time grid); the causal default samples the shortest periods on a grid at least
    as fine as pyrotd's (:func:`psa_and_rotd50`'s ``fast_lengths``).
    """
    x = as_float_array(acc)
    if x.ndim == 1:
        values, _ = psa_and_rotd50(x[None, :], dt, periods, damping, horizontals=None,
                                   causal=causal)  # fmt: skip
        return values[0]
    values, _ = psa_and_rotd50(x, dt, periods, damping, horizontals=None, causal=causal)
    return values


def rotd50(
    h1: np.ndarray,
    h2: np.ndarray,
    dt: float,
    periods: np.ndarray | None = None,
    damping: float = 0.05,
    *,
    causal: bool = True,
) -> np.ndarray:
    """RotD50 (Boore 2010) of two horizontal components, shape (..., n_periods).

    ``h1``, ``h2``: (n_samples,) or (n_records, n_samples), same unit; the result has it too.
    ``causal`` as in :func:`psa`.
    """
    a = as_float_array(h1, "h1")
    b = as_float_array(h2, "h2")
    if a.shape != b.shape:
        raise ValueError(f"h2: expected the shape of h1 {a.shape}, found {b.shape}")
    pair = np.stack([a, b], axis=-2)
    if pair.ndim == 2:
        pair = pair[None]
        _, rot = psa_and_rotd50(pair, dt, periods, damping, causal=causal)
        return rot[0]
    _, rot = psa_and_rotd50(pair, dt, periods, damping, causal=causal)
    return rot
