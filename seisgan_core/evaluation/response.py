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
The causal spectra of periods of at least ``_TIME_DOMAIN_SAMPLES`` samples (0.2 s at 200 Hz)
are computed in the time domain instead, to the same values within 1e-5 on recorded
earthquakes and at a fraction of the cost: the oscillators stepped sample by sample (the
exact step for an input linear between samples, Nigam & Jennings 1969) through the record
prefiltered so that the steps see the band-limited record the FFT sees, from the state that
makes their solution the FFT's causal one (:func:`_prefilter`, :func:`_initial_state`,
tests/evaluate/test_time_domain.py).

RotD50 follows Boore (2010, BSSA 100(4)) as pyrotd computes it: the two horizontal oscillator
responses are rotated through 0..179 degrees and the median of the 180 peak values is taken.
The median is exact on that grid of angles, but found without rotating every sample through
every angle (:func:`._kernels.rotd50_of_series`).
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

#: cos and sin of RotD50's 180 angles (every degree), (2, 180), float64.
_DIRECTIONS = np.stack(
    [np.cos(_ANGLES_DEG * (np.pi / _ANGLES_DEG.size)),
     np.sin(_ANGLES_DEG * (np.pi / _ANGLES_DEG.size))]
)  # fmt: skip
_DIRECTIONS.flags.writeable = False

#: Periods that span at least this many samples are stepped in the time domain (causal
#: spectra of even-length records): from there on the steps equal the FFT's solution to
#: 1e-5 on recorded earthquakes (L'Aquila 2009: 9e-6 at most from 0.2 s at 200 Hz, against
#: 3.5e-4 at 0.15 s and 3.7e-3 at 0.05 s, where the hold's images of the records' energy
#: at 30-100 Hz reach the oscillator).
_TIME_DOMAIN_SAMPLES = 40


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

    ``lengths[j]``: the series' length for period j; ``steps[j]``: the one-sample step of
    :func:`_oscillator_step` for the periods stepped in the time domain (None for the
    others, which go through the FFT); ``prefilter``: (n_bins,) the weights that make those
    steps equal the band-limited solution (:func:`_prefilter`), and ``initial``: (2 n_bins,
    2 n_steps) the weights of their starting states (:func:`_initial_state`), in the order of
    the periods; both None without such periods.
    For the FFT periods: ``transfer[j]``, the transfer function, scaled, in the spectrum's
    dtype; ``free[j]``: (2, span) free vibrations in the series' dtype (causal only);
    ``start``: (2 n_bins, 2 len(fft)) float64 that maps a spectrum, its real and imaginary
    parts interleaved, to the two free-vibration coefficients of each FFT period, in the
    order of ``fft`` (causal only).
    """

    lengths: tuple[int, ...]
    transfer: tuple[np.ndarray | None, ...]
    free: tuple[np.ndarray | None, ...] | None
    start: np.ndarray | None
    steps: tuple[np.ndarray | None, ...]
    fft: tuple[int, ...]
    prefilter: np.ndarray | None
    initial: np.ndarray | None


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
    time_step: float | None = None,
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

    ``time_step`` (the records' dt, where the rfft bins are k / (n_samples dt)): the causal
    periods of at least ``_TIME_DOMAIN_SAMPLES`` samples are stepped in the time domain
    instead (:func:`_oscillator_step` on the prefiltered record, :func:`_prefilter`, from
    the starting state of :func:`_initial_state`): the same causal solution within 1e-5 on
    recorded earthquakes, for about a third of the cost of an inverse FFT.
    """
    freqs = np.arange(n) * df
    omega = 2 * np.pi * freqs
    lengths, transfer, free, steps, fft, columns = [], [], [], [], [], []
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
        lengths.append(length)
        if (
            causal
            and time_step is not None
            and m == n
            and period >= _TIME_DOMAIN_SAMPLES * time_step
        ):
            steps.append(_oscillator_step(period, time_step, damping))
            transfer.append(None)
            free.append(None)
            continue
        steps.append(None)
        fft.append(j)
        h = (float(m) / float(n)) * _transfer(freqs, osc_freq, damping)
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
        pair = np.empty((2 * n, 2))
        pair[0::2, 0] = weights * h.real
        pair[1::2, 0] = -weights * h.imag
        pair[0::2, 1] = -weights * omega * h.imag + damping * wn * weights * h.real
        pair[1::2, 1] = -weights * omega * h.real - damping * wn * weights * h.imag
        columns.append(pair)
        free.append(np.stack(_free_vibration(length, df, osc_freq, damping, dtype)))
    start = None
    if causal:
        start = np.concatenate(columns, axis=1) if columns else np.zeros((2 * n, 0))
    prefilter = initial = None
    if any(step is not None for step in steps):
        weights = _prefilter(n, df * time_step)
        prefilter = weights.astype(np.dtype(dtype))
        initial = np.concatenate(
            [_initial_state(freqs, time_step, 1.0 / periods[j], damping, step, weights)
             for j, step in enumerate(steps) if step is not None], axis=1)  # fmt: skip
    arrays = [*transfer, *free, *steps, start, prefilter, initial]
    for arr in arrays:
        if arr is not None:
            arr.flags.writeable = False
    return _Grid(tuple(lengths), tuple(transfer), tuple(free) if causal else None, start,
                 tuple(steps), tuple(fft), prefilter, initial)  # fmt: skip


def _oscillator_step(period: float, dt: float, damping: float) -> np.ndarray:
    """The exact one-sample step of a damped oscillator driven by an acceleration linear
    between samples (a first-order hold, as Nigam & Jennings 1969 and scipy.signal.lsim):
    (u, v) at sample k + 1 = P (u, v) at k + g0 a_k + g1 a_(k+1), for
    u'' + 2 zeta w_n u' + w_n^2 u = a (the relative displacement with its sign flipped).
    P, g0 and g1 come from one matrix exponential of the system augmented with the input
    and its slope (Van Loan 1978, IEEE TAC 23(3)). Returns (P11, P12, P21, P22, g0_u, g1_u,
    g0_v, g1_v, w_n^2).
    """
    import scipy.linalg

    wn = 2 * np.pi / period
    system = np.zeros((4, 4))
    system[:2, :2] = [[0.0, 1.0], [-(wn**2), -2.0 * damping * wn]]
    # The input a drives the velocity: u'' + 2 zeta w_n u' + w_n^2 u = a, whose w_n^2 u is
    # the pseudo-acceleration with the sign of :func:`_transfer` (+a for a rigid oscillator).
    system[:2, 2] = [0.0, 1.0]
    system[2, 3] = 1.0 / dt  # a grows by (a_(k+1) - a_k) / dt per second within the step
    exp = scipy.linalg.expm(system * dt)
    p = exp[:2, :2]
    ramp = exp[:2, 3]  # the response to the increment a_(k+1) - a_k
    hold = exp[:2, 2] - ramp  # to a_k
    return np.array([p[0, 0], p[0, 1], p[1, 0], p[1, 1], hold[0], ramp[0], hold[1], ramp[1],
                     wn**2])  # fmt: skip


def _initial_state(
    freqs: np.ndarray,
    dt: float,
    osc_freq: float,
    damping: float,
    step: np.ndarray,
    prefilter: np.ndarray,
) -> np.ndarray:
    """(2 n_bins, 2) float64 weights that map a record's rfft (real and imaginary parts
    interleaved) to the state (u, u') the time-domain steps start from.

    The FFT's causal solution is the periodic one less the free vibration from the periodic
    solution's state at t = 0 (:func:`_grid`). The steps from a state x0 give the steps'
    own periodic solution less the free vibration from (its state at 0 - x0), and the free
    vibration of the steps is the exact one sampled (the step's P is the exact propagator).
    The two periodic solutions agree below the Nyquist frequency (the prefilter, up to the
    hold's images), so starting from x0 = (the steps' periodic state at 0) - (the FFT's)
    gives the FFT's causal solution: from rest instead, the two differ by the free vibration
    that the record's first samples excite differently in the two interpolations (2e-3 of
    the peak at 10 s on white noise, which starts at full amplitude; 1e-7 on earthquakes,
    which start quietly). Both periodic states are weighted sums over the
    bins: the steps' from their transfer function (z I - P)^-1 (g0 + g1 z), z = exp(i w dt),
    times the prefilter; the FFT's as :func:`_grid` sums them (its Nyquist bin included).
    """
    n = freqs.size
    length = 2 * (n - 1)
    weights = np.full(n, 2.0 / length)
    weights[0] = weights[-1] = 1.0 / length
    p11, p12, p21, p22, hold_u, ramp_u, hold_v, ramp_v, wn2 = step
    omega = 2 * np.pi * freqs
    z = np.exp(1j * omega * dt)
    g_u, g_v = hold_u + ramp_u * z, hold_v + ramp_v * z
    det = (z - p11) * (z - p22) - p12 * p21
    steps_u = ((z - p22) * g_u + p12 * g_v) / det * prefilter
    steps_v = (p21 * g_u + (z - p11) * g_v) / det * prefilter
    h = _transfer(freqs, osc_freq, damping) / wn2  # u of the FFT's solution
    out = np.empty((2 * n, 2))
    for col, w in enumerate((steps_u - h, steps_v - 1j * omega * h)):
        # Re(W X) = Re W Re X - Im W Im X, summed with the rfft's weights.
        out[0::2, col] = weights * w.real
        out[1::2, col] = -weights * w.imag
    return out


def _prefilter(n: int, bin_step: float) -> np.ndarray:
    """Weights 1 / sinc^2(f dt) of the rfft bins (``bin_step``: the bins' spacing times dt).

    A record that is linear between its samples has the spectrum of the samples times
    sinc^2(f dt) below the Nyquist frequency: the time-domain steps see the record slightly
    low-passed (3 % at 20 Hz for 200 Hz sampling, at an oscillator's resonance). Stepping
    the record prefiltered by these weights instead gives the response to the band-limited
    record, the one the FFT solution computes, up to the images of the hold above the
    Nyquist frequency, which reach an oscillator the less the more samples its period
    spans: on the L'Aquila records 3.7e-3 at 10 samples a period (0.05 s at 200 Hz),
    3.5e-4 at 30 and 1e-5 from 40 on (``_TIME_DOMAIN_SAMPLES``).
    """
    return 1.0 / np.sinc(np.arange(n) * bin_step) ** 2


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
    """Oscillator response series of FFT period ``j`` for every row of ``spectrum`` (rfft of
    the records); ``start``: ``spectrum`` interleaved times ``grid.start`` (causal grids)."""
    series = sfft.irfft(spectrum * grid.transfer[j], grid.lengths[j], axis=-1, workers=1,
                        overwrite_x=True)  # fmt: skip
    if start is not None:
        basis = grid.free[j]
        k = grid.fft.index(j)
        coeffs = start[:, 2 * k : 2 * k + 2].astype(series.dtype)
        series[:, : basis.shape[1]] -= coeffs @ basis
    return series


def _rotd50_pairs(h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
    """RotD50 of pairs of oscillator series (records, time), float64: the median over 180
    angles of the peak of |h1 cos(theta) + h2 sin(theta)| over all samples, exactly
    (:func:`._kernels.rotd50_of_series`, which rotates only the samples that can set a peak
    the median depends on)."""
    rows = np.ascontiguousarray(np.stack([h1, h2], axis=1))  # (records, 2, time)
    n_rec = rows.shape[0]
    where1, where2 = np.abs(rows).argmax(axis=-1).T
    return _rotd50_of(rows.reshape(2 * n_rec, -1), False, n_rec, 2, (0, 1), where1, where2)


def _rotd50_of(
    series: np.ndarray,
    time_first: bool,
    n_rec: int,
    n_comp: int,
    horizontals: tuple[int, int],
    where1: np.ndarray,
    where2: np.ndarray,
) -> np.ndarray:
    """:func:`._kernels.rotd50_of_series` of a block's series (its layouts there), float64;
    ``where1``, ``where2``: where the two horizontals peak in absolute value, per record."""
    from seisgan_core.evaluation import _kernels

    out = np.empty(n_rec)
    h1, h2 = horizontals
    _kernels.rotd50_of_series(series, time_first, n_rec, n_comp, h1, h2,
                              np.ascontiguousarray(where1, dtype=np.int64),
                              np.ascontiguousarray(where2, dtype=np.int64), _DIRECTIONS[0],
                              _DIRECTIONS[1], out)  # fmt: skip
    return out


def _block_response(
    block: np.ndarray,
    grid: _Grid,
    n_comp: int,
    horizontals: tuple[int, int] | None,
    spectrum: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """PSA (rows, periods) of a block of rows (whole records, ``n_comp`` rows each) and
    RotD50 (records, periods) of its ``horizontals`` (None without). ``spectrum``: the
    block's rfft where the caller has it. The periods ``grid`` steps in the time domain take
    :func:`_time_domain_periods`, the others an inverse FFT each."""
    if spectrum is None:
        spectrum = sfft.rfft(block, axis=-1, workers=1)
    n_periods = len(grid.lengths)
    out = np.empty((block.shape[0], n_periods))
    n_rec = block.shape[0] // n_comp
    rot = np.empty((n_rec, n_periods)) if horizontals is not None else None
    if grid.prefilter is not None:
        _time_domain_periods(block, spectrum, grid, n_comp, horizontals, out, rot)
    start = None
    if grid.start is not None and grid.fft:
        start = spectrum.view(block.dtype).astype(np.float64, copy=False) @ grid.start
    for j in grid.fft:
        series = _response_series(spectrum, grid, j, start)
        # Peak and where it occurs, from one argmax and one argmin pass.
        i_max = series.argmax(axis=-1)[:, None]
        i_min = series.argmin(axis=-1)[:, None]
        v_max = np.take_along_axis(series, i_max, axis=-1)[:, 0]
        v_min = np.take_along_axis(series, i_min, axis=-1)[:, 0]
        out[:, j] = np.maximum(v_max, -v_min)
        if horizontals is not None:
            where = np.where(v_max >= -v_min, i_max[:, 0], i_min[:, 0]).reshape(n_rec, n_comp)
            h1, h2 = horizontals
            rot[:, j] = _rotd50_of(series, False, n_rec, n_comp, horizontals, where[:, h1],
                                   where[:, h2])  # fmt: skip
    return out, rot


def _time_domain_periods(
    block: np.ndarray,
    spectrum: np.ndarray,
    grid: _Grid,
    n_comp: int,
    horizontals: tuple[int, int] | None,
    out: np.ndarray,
    rot: np.ndarray | None,
) -> None:
    """PSA (into ``out``'s columns) and RotD50 (into ``rot``'s) of the periods ``grid``
    steps in the time domain: the block prefiltered (one inverse FFT of its spectrum times
    ``grid.prefilter``), laid out time first with the records of one component side by
    side, then each period's oscillators stepped together (:mod:`._kernels`)."""
    from seisgan_core.evaluation import _kernels

    n_rows, n = block.shape
    n_rec = n_rows // n_comp
    n_steps = sum(step is not None for step in grid.steps)
    # Starting states (u, u') of every row and period, column pairs in the periods' order.
    initial = spectrum.view(block.dtype).astype(np.float64, copy=False) @ grid.initial
    initial = initial.reshape(n_rec, n_comp, n_steps, 2).transpose(2, 3, 1, 0)
    initial = np.ascontiguousarray(initial.reshape(n_steps, 2, n_rows))
    filtered = sfft.irfft(spectrum * grid.prefilter, n, axis=-1, workers=1, overwrite_x=True)
    filtered = filtered.astype(block.dtype, copy=False)
    # (time, component, record): column c * n_rec + i is component c of record i.
    by_time = np.ascontiguousarray(filtered.reshape(n_rec, n_comp, n).transpose(2, 1, 0))
    by_time = by_time.reshape(n, n_rows)
    series = np.empty_like(by_time)
    hi, lo = np.empty(n_rows, block.dtype), np.empty(n_rows, block.dtype)
    i_hi, i_lo = np.empty(n_rows, np.int64), np.empty(n_rows, np.int64)
    q = 0
    for j, step in enumerate(grid.steps):
        if step is None:
            continue
        _kernels.oscillator_series(by_time, step, initial[q, 0], initial[q, 1], series, hi,
                                   lo, i_hi, i_lo)  # fmt: skip
        q += 1
        peak = np.maximum(hi, -lo)
        out[:, j] = peak.reshape(n_comp, n_rec).T.reshape(-1)
        if rot is not None:
            where = np.where(hi >= -lo, i_hi, i_lo).reshape(n_comp, n_rec)
            h1, h2 = horizontals
            rot[:, j] = _rotd50_of(series, True, n_rec, n_comp, horizontals, where[h1],
                                   where[h2])  # fmt: skip


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
    default, so that mode stays pyrotd's result to rounding. With ``causal`` (the default),
    the periods of at least 40 samples of an even-length record (0.2 s and longer at 200 Hz)
    are stepped in the time domain, a fraction of the FFT's cost: the FFT's causal values
    within 1e-5 on recorded earthquakes (L'Aquila 2009), 6e-4 on white noise (module
    docstring, tests/evaluate/test_time_domain.py).
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
    # k / (n dt) for even n; we use the same spacing. Only there are the bins the record's
    # own (periodic) spectrum, so only there are periods stepped in the time domain.
    n = n_samples
    df = (1.0 / (2 * dt)) / (n // 2) if n % 2 else 1.0 / (n * dt)
    time_step = float(dt) if n % 2 == 0 and n >= 4 else None
    return _grid(n // 2 + 1, df, tuple(float(p) for p in np.ravel(periods)), float(damping),
                 float(max_freq_ratio), bool(causal), np.dtype(dtype).str,
                 bool(fast_lengths), time_step)  # fmt: skip


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
    as fine as pyrotd's (:func:`psa_and_rotd50`'s ``fast_lengths``) and steps the periods of
    at least 40 samples in the time domain (the same values within 1e-5 on earthquakes).
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
