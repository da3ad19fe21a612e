"""Today's response spectra, frozen as the baseline of bench/bench_evaluate.py.

seisgan_core/evaluate/response.py as it was at commit 8481c93 (2026-11-30, before issue 18's
evaluation work), formatted, without what the benchmark does not call (the `psa` and `rotd50`
wrappers; the pyrotd loaders, now in
tests/support/seisgan_testsupport/pyrotd_ref.py). The benchmark runs the
whole panel with this module's ``psa_and_rotd50`` in place of the block pass's response
spectra and reports the current code's CPU time as a ratio to it, in the same process. Not
used by the project.

Method: pyrotd's frequency-domain oscillators per period (transfer function and wrap-around
correction computed per block), RotD50 by rotating every sample of amplitude above a bound
through all 180 angles.
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor, as_completed

import numpy as np
import scipy.fft as sfft

from seisgan_core.evaluation._arrays import as_float_array, check_dt

__all__ = ["psa_and_rotd50"]

#: Periods (s) of the panel's response spectra: 0.02 s to 10 s, as the ITACA `.rs` files.
DEFAULT_PERIODS_S = np.array(
    [0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0,
     7.5, 10.0]
)  # fmt: skip

_ANGLES_DEG = np.arange(0, 180, 1)

#: Elements (float32) of one rotated block in :func:`_rotd_from_series`.
_ROTATION_BLOCK = 120_000


def _transfer(freqs: np.ndarray, osc_freq: float, damping: float) -> np.ndarray:
    """PSA transfer function of a damped SDOF oscillator (pyrotd's ``calc_oscillator_resp``).

    H(w) = -w_n^2 / (w^2 - w_n^2 - 2i zeta w_n w): relative displacement times w_n^2
    (Chopra 2012, Dynamics of Structures, eq. 3.2.x written for base excitation).
    """
    w = 2 * np.pi * freqs
    wn = 2 * np.pi * osc_freq
    return -(wn**2) / (w**2 - wn**2 - 2.0j * damping * wn * w)


def _oscillator_series(
    spectrum: np.ndarray,
    df: float,
    osc_freq: float,
    damping: float,
    max_freq_ratio: float,
    causal: bool = True,
) -> np.ndarray:
    """Oscillator response time series for every row of ``spectrum`` (rfft of the records).

    The inverse FFT gives the periodic (steady-state) response to the record repeated end to
    end: the free vibration left at the end of the record wraps onto its start. With
    ``causal`` we subtract that free vibration exactly. The periodic solution s_p and the
    causal one s_c (starting at rest) obey the same forced equation, so d = s_p - s_c obeys
    the free one, d'' + 2 zeta w_n d' + w_n^2 d = 0, with d(0) = s_p(0), d'(0) = s_p'(0):
    d(t) = exp(-zeta w_n t) [d0 cos(w_d t) + (d0' + zeta w_n d0) / w_d sin(w_d t)],
    w_d = w_n sqrt(1 - zeta^2) (Chopra 2012, eq. 2.2.4). s_p(0) and s_p'(0) are two weighted
    sums over the spectrum, so the correction costs one pass over the series. Without it the
    result is pyrotd's to rounding; with it, ITACA's time-domain spectra of short records.
    """
    n = spectrum.shape[-1]
    # pyrotd: at least max_freq_ratio * f_osc on the frequency axis (10 samples per period).
    m = max(n, int(max_freq_ratio * osc_freq / df))
    freqs = np.arange(n) * df
    scale = float(m) / float(n)
    # Zero-padding in frequency (m > n) interpolates the series onto a finer time grid; the
    # scale keeps the amplitudes for the changed length (pyrotd does the same; folded into
    # the transfer function here to save a pass over the long series).
    h = (scale * _transfer(freqs, osc_freq, damping)).astype(spectrum.dtype, copy=False)
    length = 2 * (m - 1)
    product = spectrum * h
    series = sfft.irfft(product, length, axis=-1, workers=1)
    if not causal:
        return series
    # Value and derivative at t = 0 of the irfft: (Y_0 + 2 sum Re Y_k + Re Y_last) / length,
    # the last bin counted once only where it is the Nyquist bin of the output.
    weights = np.full(n, 2.0)
    weights[0] = 1.0
    if n == m:
        weights[-1] = 1.0
    weights /= length
    omega = 2 * np.pi * freqs
    s0 = product.real @ weights
    ds0 = (-(product.imag) * omega) @ weights  # Re(i w Y) = -w Im(Y)
    wn = 2 * np.pi * osc_freq
    cos_part, sin_part = _free_vibration(length, float(df), float(osc_freq), float(damping),
                                         series.dtype.str)  # fmt: skip
    span = cos_part.size
    series[..., :span] -= s0[..., None].astype(series.dtype) * cos_part
    series[..., :span] -= (ds0 + damping * wn * s0)[..., None].astype(series.dtype) * sin_part
    return series


@functools.lru_cache(maxsize=128)
def _free_vibration(
    length: int, df: float, osc_freq: float, damping: float, dtype: str
) -> tuple[np.ndarray, np.ndarray]:
    """exp(-zeta w_n t) cos(w_d t) and exp(-zeta w_n t) sin(w_d t) / w_d on the series grid.

    Cut where the envelope falls below 1e-9 (t > 20.7 / (zeta w_n)): beyond, the correction
    is below float rounding. Cached: the panel reuses one grid for thousands of records.
    """
    wn = 2 * np.pi * osc_freq
    wd = wn * np.sqrt(1.0 - damping**2)
    t = np.arange(length) / (length * df)
    if damping > 0:
        t = t[: int(np.searchsorted(t, 20.7 / (damping * wn))) + 1]
    decay = np.exp(-damping * wn * t)
    cos_part = (decay * np.cos(wd * t)).astype(dtype)
    sin_part = (decay * np.sin(wd * t) / wd).astype(dtype)
    cos_part.flags.writeable = False
    sin_part.flags.writeable = False
    return cos_part, sin_part


def _rotd_from_series(
    series_h1: np.ndarray,
    series_h2: np.ndarray,
    peak_index_h1: np.ndarray | None = None,
    peak_index_h2: np.ndarray | None = None,
) -> np.ndarray:
    """RotD50 of pairs of oscillator series (rows, time), exact over all samples.

    Rotating every sample through 180 angles costs rows x time x 180. Only samples whose
    vector amplitude r(t) = hypot(h1, h2) reaches the median rotated peak can set a peak that
    matters for the median, so we first bound that median from below with three samples (the
    peaks of h1, h2 and r): their rotated amplitudes g(theta) are lower bounds
    of the true peaks at every angle, hence the 90th smallest g (of 180) is a lower bound L of
    the two order statistics np.percentile(..., 50) interpolates. Angles whose peak is at least
    L are computed exactly from the samples with r >= L; the others stay below L, so the median
    equals pyrotd's "rigorous" method (tests compare both pyrotd methods). The peak indices
    of h1 and h2, where the caller has them, save two passes over the series.
    """
    rows = series_h1.shape[0]
    radians = np.radians(_ANGLES_DEG)
    cos = np.cos(radians).astype(series_h1.dtype)
    sin = np.sin(radians).astype(series_h1.dtype)
    r2 = series_h1 * series_h1
    r2 += series_h2 * series_h2
    if peak_index_h1 is None:
        peak_index_h1 = np.abs(series_h1).argmax(axis=-1)
    if peak_index_h2 is None:
        peak_index_h2 = np.abs(series_h2).argmax(axis=-1)
    probes = np.stack([peak_index_h1, peak_index_h2, r2.argmax(axis=-1)], axis=-1)
    pa = np.take_along_axis(series_h1, probes, axis=-1)
    pb = np.take_along_axis(series_h2, probes, axis=-1)
    g = np.abs(pa[:, None, :] * cos[None, :, None] + pb[:, None, :] * sin[None, :, None]).max(-1)
    n_angles = _ANGLES_DEG.size
    lower = np.partition(g, (n_angles - 1) // 2, axis=-1)[:, (n_angles - 1) // 2]
    # An all-zero row has lower == 0 (its probes are zero) and RotD50 0: keep none of it,
    # rather than every sample (a generator early in training can emit such records).
    keep = (r2 >= (lower * lower)[:, None]) & (lower > 0)[:, None]
    # The kept samples of all rows, one after another (row by row, in time order): rows keep
    # very different numbers of samples (tens to thousands at long periods), so a padded
    # (rows, max count) array did up to twice the work.
    # flatnonzero on the flat mask: a third of the time of a 2-D nonzero. (The series are
    # often views of one component of a (rows, components, time) array: 2-D indexing, no
    # flattening copy.)
    flat_idx = np.flatnonzero(keep)
    row_idx = flat_idx // keep.shape[-1]
    t_idx = flat_idx - row_idx * keep.shape[-1]
    pairs = np.stack([series_h1[row_idx, t_idx], series_h2[row_idx, t_idx]], axis=-1)
    coeffs = np.stack([cos, sin])  # (2, angles)
    peaks = np.zeros((rows, n_angles), dtype=series_h1.dtype)
    # Slices sized so that the rotated block (width, angles) stays in a core's L2 cache
    # (about 0.5 MB of float32): the product is memory bound, and 16 MB blocks ran at half
    # the speed (measured). Zeros (rows that keep nothing) never raise a peak.
    width = int(max(64, _ROTATION_BLOCK // n_angles))
    for j in range(0, row_idx.size, width):
        rotated = pairs[j : j + width] @ coeffs  # (width, angles)
        np.abs(rotated, out=rotated)
        # Largest value of each row's run of samples in this slice, then the running
        # maximum: runs are contiguous, so their rows are distinct.
        seg = row_idx[j : j + width]
        run_starts = np.concatenate([[0], np.flatnonzero(seg[1:] != seg[:-1]) + 1])
        run_rows = seg[run_starts]
        reduced = np.maximum.reduceat(rotated, run_starts, axis=0)
        peaks[run_rows] = np.maximum(peaks[run_rows], reduced)
    return np.percentile(peaks.astype(np.float64), 50.0, axis=-1, method="linear")


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
) -> tuple[np.ndarray, np.ndarray | None]:
    """PSA of every component and RotD50 of two of them, in one pass over the oscillators.

    ``acc``: (n_records, n_components, n_samples) (or fewer leading axes), any unit; PSA comes
    out in the same unit. Returns ``(psa, rotd50)`` with shapes (..., n_components, n_periods)
    and (..., n_periods); ``rotd50`` is None when ``horizontals`` is None or the input has one
    component.
    """
    dt = check_dt(dt)
    x = as_float_array(acc)
    periods = DEFAULT_PERIODS_S if periods is None else np.asarray(periods, dtype=float)
    if np.any(periods <= 0):
        raise ValueError(f"periods: expected positive periods in s, found {periods.min()}")
    lead = x.shape[:-1]
    n = x.shape[-1]
    flat = x.reshape(-1, n)
    do_rotd = horizontals is not None and x.ndim >= 2 and x.shape[-2] >= 2
    n_comp = x.shape[-2] if x.ndim >= 2 else 1
    n_rec = flat.shape[0] // n_comp
    out = np.empty((flat.shape[0], periods.size), dtype=np.float64)
    rot = np.empty((n_rec, periods.size), dtype=np.float64) if do_rotd else None
    df = 1.0 / (n * dt)
    # pyrotd builds its frequency axis with linspace(0, 1/(2 dt), n_freq), which equals
    # k / (n dt) for even n; we use the same spacing.
    if n % 2:
        df = (1.0 / (2 * dt)) / (n // 2)
    rec_chunk = max(1, chunk // n_comp)
    starts = list(range(0, n_rec, rec_chunk))

    def run_block(start: int) -> int:
        stop = min(n_rec, start + rec_chunk)
        block = flat[start * n_comp : stop * n_comp]
        spectrum = sfft.rfft(block, axis=-1, workers=1)
        for j, period in enumerate(periods):
            series = _oscillator_series(spectrum, df, 1.0 / period, damping, max_freq_ratio, causal)
            # Peak and where it occurs, from one argmax and one argmin pass.
            i_max = series.argmax(axis=-1)[:, None]
            i_min = series.argmin(axis=-1)[:, None]
            v_max = np.take_along_axis(series, i_max, axis=-1)[:, 0]
            v_min = np.take_along_axis(series, i_min, axis=-1)[:, 0]
            out[start * n_comp : stop * n_comp, j] = np.maximum(v_max, -v_min)
            if do_rotd:
                s = series.reshape(stop - start, n_comp, -1)
                where = np.where(v_max >= -v_min, i_max[:, 0], i_min[:, 0])
                where = where.reshape(stop - start, n_comp)
                h1, h2 = horizontals
                rot[start:stop, j] = _rotd_from_series(
                    s[:, h1], s[:, h2], where[:, h1], where[:, h2]
                )
        return stop

    # Blocks of records run on threads: NumPy and pocketfft release the GIL, so two cores
    # give nearly twice the speed; each block writes its own rows of the outputs.
    n_workers = workers if workers is not None else min(len(starts), os.cpu_count() or 1, 8)
    done = 0
    if n_workers <= 1:
        for start in starts:
            stop = run_block(start)
            done += stop - start
            if progress is not None:
                progress(done / n_rec, f"response spectra {done}/{n_rec}")
    else:
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            futures = {pool.submit(run_block, start): start for start in starts}
            for future in as_completed(futures):
                stop = future.result()
                done += stop - futures[future]
                if progress is not None:
                    progress(done / n_rec, f"response spectra {done}/{n_rec}")
    psa_out = out.reshape(*lead, periods.size)
    rot_out = rot.reshape(*lead[:-1], periods.size) if do_rotd else None
    return psa_out, rot_out
