"""Waveform similarity: cross-correlation, dynamic time warping, nearest real record.

Shapes: ``a`` and ``b`` are one series (n_samples,) or pairs of series stacked on leading
axes; measures are taken pair by pair along the last axis.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.fft as sfft
import scipy.signal

from seisgan_core.evaluation._arrays import as_float_array

__all__ = [
    "NearestReal",
    "dtw_distance",
    "max_cross_correlation",
    "nearest_in_fingerprints",
    "nearest_real",
    "shift_tolerant_distance",
]


def _normalised_xcorr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Full normalised cross-correlation c[k] = sum_n a[n + k] b[n] / (|a| |b|) via FFT.

    Lags run from -(n_b - 1) to n_a - 1 along the last axis; inputs are demeaned first
    (Pearson-type normalisation, so identical shapes give 1 at their lag).
    """
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    na, nb = a.shape[-1], b.shape[-1]
    size = sfft.next_fast_len(na + nb - 1, real=True)
    spec = sfft.rfft(a, size, axis=-1) * np.conj(sfft.rfft(b, size, axis=-1))
    full = sfft.irfft(spec, size, axis=-1)
    # Reorder circular lags into -(nb - 1) .. na - 1.
    corr = np.concatenate([full[..., size - (nb - 1) :], full[..., :na]], axis=-1)
    norm = np.sqrt((a * a).sum(axis=-1) * (b * b).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm[..., None] > 0, corr / np.where(norm > 0, norm, 1.0)[..., None], 0)


def max_cross_correlation(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest normalised cross-correlation of ``a`` with ``b`` and its lag in samples.

    Returns ``(coefficient, lag)``: coefficient in [-1, 1] (the maximum over lags, so a copy
    with flipped polarity scores low), lag > 0 when ``a`` is ``b`` delayed by ``lag``
    samples (a[n] = b[n - lag]). Shapes: those of the inputs without the last axis.
    """
    x = as_float_array(a, "a").astype(np.float64)
    y = as_float_array(b, "b").astype(np.float64)
    corr = _normalised_xcorr(x, y)
    k = corr.argmax(axis=-1)
    coef = np.take_along_axis(corr, k[..., None], axis=-1)[..., 0]
    lag = k - (y.shape[-1] - 1)
    return coef, lag


def dtw_distance(
    a: np.ndarray, b: np.ndarray, *, window: int | None = None, decimate: int = 1
) -> np.ndarray | float:
    """Dynamic-time-warping distance (Sakoe & Chiba 1978) with dtaidistance's C library.

    ``a``, ``b``: one series each, or pairs stacked on leading axes (compared pair by pair).
    ``window``: Sakoe-Chiba band in (decimated) samples, None for none. ``decimate``: keep
    every ``decimate``-th sample after an anti-alias filter (scipy.signal.decimate), since DTW
    costs n^2 and a 40 s record has 8,000 samples. Returns dtaidistance's value: the square
    root of the summed squared differences along the best warping path.
    """
    from dtaidistance import dtw

    x = as_float_array(a, "a").astype(np.float64)
    y = as_float_array(b, "b").astype(np.float64)
    if x.shape[:-1] != y.shape[:-1]:
        raise ValueError(f"b: expected leading shape {x.shape[:-1]}, found {y.shape[:-1]}")
    if decimate > 1:
        x = scipy.signal.decimate(x, decimate, axis=-1, zero_phase=True)
        y = scipy.signal.decimate(y, decimate, axis=-1, zero_phase=True)
    flat_x = np.ascontiguousarray(x.reshape(-1, x.shape[-1]))
    flat_y = np.ascontiguousarray(y.reshape(-1, y.shape[-1]))
    out = np.array(
        [dtw.distance_fast(p, q, window=window) for p, q in zip(flat_x, flat_y, strict=True)]
    )
    if x.ndim == 1:
        return float(out[0])
    return out.reshape(x.shape[:-1])


def _zscore(x: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    std = x.std(axis=-1, keepdims=True)
    return (x - mean) / np.where(std > 0, std, 1.0)


def shift_tolerant_distance(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """1 - mean over components of the maximum normalised cross-correlation, in [0, 2].

    ``x``, ``y``: (..., n_components, n_samples) pairs. Each component is z-scored, so the
    distance ignores amplitude scale and time shifts: 0 means one record is a shifted,
    rescaled copy of the other.
    """
    coef, _ = max_cross_correlation(_zscore(x), _zscore(y))
    return 1.0 - coef.mean(axis=-1)


def _log_spectrum_features(x: np.ndarray, n_bins: int = 64) -> np.ndarray:
    """Shift-invariant fingerprint for candidate search: z-scored log amplitude spectra."""
    z = _zscore(x)
    amp = np.abs(sfft.rfft(z, axis=-1))
    # Log-spaced bands from the first non-zero frequency to Nyquist; mean amplitude per band.
    edges = np.unique(np.geomspace(1, amp.shape[-1], n_bins + 1).astype(int))
    banded = np.add.reduceat(amp, edges[:-1], axis=-1) / np.diff(edges)
    return np.log10(banded + 1e-12).reshape(x.shape[0], -1)


def _decimate(x: np.ndarray, factor: int) -> np.ndarray:
    """Ideal low-pass and downsample by ``factor`` in the Fourier domain (one FFT pair).

    Truncating the spectrum at the new Nyquist frequency and back-transforming onto the
    shorter grid (the Fourier method of scipy.signal.resample); cheaper than an IIR
    decimation filter run forwards and backwards over every record.
    """
    return _decimate_spectrum(sfft.rfft(x, axis=-1, workers=-1), x.shape[-1], factor)


def _decimate_spectrum(spectrum: np.ndarray, n: int, factor: int, workers: int = -1) -> np.ndarray:
    """:func:`_decimate` from the rfft of records of ``n`` samples (the panel has it)."""
    m = n // factor
    low = spectrum[..., : m // 2 + 1]
    return (sfft.irfft(low, m, axis=-1, workers=workers) * (m / n)).astype(np.float32)


@dataclass
class NearestReal:
    """Result of :func:`nearest_real`.

    ``index``: for each generated record, the row of its nearest real (train) record;
    ``distance``: that shift-tolerant distance; ``baseline_distance`` and ``baseline_index``:
    the same for each real test record against the train records (None without a test set);
    ``memorisation_ratio``:
    median(distance) / median(baseline_distance): about 1 for an honest generator, well
    below 1 when it copies training records.
    """

    index: np.ndarray
    distance: np.ndarray
    baseline_distance: np.ndarray | None
    memorisation_ratio: float | None
    baseline_index: np.ndarray | None = None

    def to_dict(self) -> dict:
        return {
            "median_distance": float(np.median(self.distance)),
            "baseline_median_distance": (
                None if self.baseline_distance is None else float(np.median(self.baseline_distance))
            ),
            "memorisation_ratio": self.memorisation_ratio,
            "n_generated": int(self.distance.size),
            "fraction_closer_than_baseline_5th_percentile": (
                None
                if self.baseline_distance is None
                else float(np.mean(self.distance < np.percentile(self.baseline_distance, 5)))
            ),
        }


def _xcorr_operand(x: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Spectrum (size) and energy of z-scored, demeaned records, as :func:`_normalised_xcorr`
    computes them inside :func:`shift_tolerant_distance` (same operations, same values)."""
    z = _zscore(x).astype(np.float64)
    z = z - z.mean(axis=-1, keepdims=True)
    return sfft.rfft(z, size, axis=-1), (z * z).sum(axis=-1)


def _shift_tolerant_prepared(
    query: tuple[np.ndarray, np.ndarray], ref: tuple[np.ndarray, np.ndarray], n: int, size: int
) -> np.ndarray:
    """:func:`shift_tolerant_distance` from prepared operands (records of ``n`` samples).

    Equal to it bit for bit: the same spectra, product and inverse FFT; the peak over the
    lags -(n - 1)..n - 1 is taken before dividing by the (positive) norm, which gives the same
    rounded value since division by a positive number is monotonic.
    """
    spec_q, energy_q = query
    spec_r, energy_r = ref
    full = sfft.irfft(spec_q * np.conj(spec_r), size, axis=-1)
    peak = np.maximum(full[..., :n].max(axis=-1), full[..., size - (n - 1) :].max(axis=-1))
    norm = np.sqrt(energy_q * energy_r)
    coef = np.where(norm > 0, peak / np.where(norm > 0, norm, 1.0), 0.0)
    return 1.0 - coef.mean(axis=-1)


def _nearest_block(
    q_feats: np.ndarray,
    queries: np.ndarray,
    train_feats: np.ndarray,
    read_train: Callable[[np.ndarray], np.ndarray] | None,
    candidates: int,
    size: int,
    train_spectra: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest training record of each query of one block (see :func:`nearest_in_fingerprints`).

    ``q_feats``: the queries' fingerprints; ``queries``: the (decimated) query records;
    ``read_train(rows)``: the (decimated) training records at sorted ``rows``. Only the
    candidates of this block are read, so the training set need not be in memory; or
    ``train_spectra``: every training record's :func:`_xcorr_operand`, computed once.
    """
    # Squared Euclidean distances between fingerprints: |q|^2 + |t|^2 - 2 q.t in one product.
    d2 = (
        (q_feats**2).sum(1)[:, None]
        + (train_feats**2).sum(1)[None, :]
        - 2.0 * q_feats @ train_feats.T
    )
    k = min(candidates, train_feats.shape[0])
    cand = np.argpartition(d2, k - 1, axis=1)[:, :k]
    best_idx = np.empty(queries.shape[0], dtype=np.int64)
    best_d = np.empty(queries.shape[0])
    # The queries' spectra once for all their candidates; the candidates' spectra one rank
    # at a time (at most one block's worth of training records in memory). Each record's
    # spectrum is computed alone, so its values do not depend on which records share a call.
    prepared = _xcorr_operand(queries, size)
    n = queries.shape[-1]
    for j in range(k):
        if train_spectra is not None:
            ref = (train_spectra[0][cand[:, j]], train_spectra[1][cand[:, j]])
        else:
            needed = np.unique(cand[:, j])
            ref_spec, ref_energy = _xcorr_operand(read_train(needed), size)
            pos = np.searchsorted(needed, cand[:, j])
            ref = (ref_spec[pos], ref_energy[pos])
        d = _shift_tolerant_prepared(prepared, ref, n, size)
        if j == 0:
            best_idx[:], best_d[:] = cand[:, 0], d
        else:
            # Candidates in the order argpartition gives them, strict improvement: ties keep
            # the earlier candidate whatever the block's other queries.
            better = d < best_d
            best_idx[better], best_d[better] = cand[better, j], d[better]
    return best_idx, best_d


def nearest_in_fingerprints(
    queries: dict[str, tuple[np.ndarray, Callable[[int, int], np.ndarray]]],
    train_feats: np.ndarray,
    read_train: Callable[[np.ndarray], np.ndarray] | None,
    *,
    train_spectra: tuple[np.ndarray, np.ndarray] | None = None,
    candidates: int = 6,
    chunk: int = 32,
    workers: int | None = None,
    progress=None,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The search of :func:`nearest_real` from fingerprints, reading records on demand.

    ``queries``: name -> (fingerprints (n_q, d), ``read(start, stop)`` giving the query
    records start..stop-1); ``train_feats``: the training records' fingerprints
    (:func:`_log_spectrum_features` of the decimated records); ``read_train(rows)``: the
    training records at sorted indices ``rows``. Records are (n, components, samples), already
    decimated. At most ``chunk`` queries and ``chunk`` of their candidates are in memory per
    thread, so neither side need fit in memory whole. Where the training records are in
    memory anyway, ``train_spectra`` (their :func:`_xcorr_operand`, computed once) replaces
    ``read_train`` and saves recomputing a record's spectrum for every query that has it as a
    candidate; the values are the same. Returns name -> (index, distance) per query, the
    values :func:`nearest_real` returns.
    """
    if read_train is None and train_spectra is None:
        raise ValueError("read_train, train_spectra: expected one of them, found neither")
    if train_feats.ndim != 2 or train_feats.shape[0] == 0:
        raise ValueError(f"real: expected at least one training record, found {train_feats.shape}")
    total = sum(f.shape[0] for f, _ in queries.values())
    done = 0
    results = {}
    size = None
    # Blocks of queries are independent: they run on a thread per core (pocketfft and NumPy
    # release the GIL), and come back in order, so the result does not depend on ``workers``.
    n_workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
    with ThreadPoolExecutor(max_workers=max(1, n_workers)) as pool:
        for name, (feats, read) in queries.items():
            starts = range(0, feats.shape[0], chunk)
            futures = []
            for i in starts:
                block = read(i, min(i + chunk, feats.shape[0]))
                if size is None:
                    size = sfft.next_fast_len(2 * block.shape[-1] - 1, real=True)
                futures.append(
                    pool.submit(
                        _nearest_block,
                        feats[i : i + chunk],
                        block,
                        train_feats,
                        read_train,
                        candidates,
                        size,
                        train_spectra,
                    )
                )
                # Keep at most a few blocks in flight: the queries are read as they go.
                if len(futures) > 2 * n_workers:
                    futures[-2 * n_workers - 1].result()
            idx_parts, d_parts = [], []
            for start, future in zip(starts, futures, strict=True):
                i, d = future.result()
                idx_parts.append(i)
                d_parts.append(d)
                done += min(chunk, feats.shape[0] - start)
                if progress is not None:
                    progress(done / total, f"nearest real record {done}/{total}")
            results[name] = (
                np.concatenate(idx_parts) if idx_parts else np.empty(0, np.int64),
                np.concatenate(d_parts) if d_parts else np.empty(0),
            )
    return results


def nearest_real(
    generated: np.ndarray,
    real: np.ndarray,
    *,
    real_test: np.ndarray | None = None,
    candidates: int = 6,
    decimate: int = 4,
    chunk: int = 32,
    workers: int | None = None,
    progress=None,
) -> NearestReal:
    """Each generated record's nearest real (training) record and the memorisation ratio.

    ``generated``: (n_gen, n_components, n_samples); ``real``: the training records, same
    layout; ``real_test``: held-out real records for the baseline. The distance is
    :func:`shift_tolerant_distance`; the ``candidates`` nearest by a shift-invariant spectral
    fingerprint are checked exactly (a search over all pairs of 8,000-sample
    cross-correlations would cost n_gen x n_train FFTs). ``decimate``: records are first
    low-passed and decimated (scipy.signal.decimate) by this factor: a copy stays a copy at
    50 Hz, and the cross-correlations cost a quarter. ``chunk`` queries at a time, on
    ``workers`` threads (default: one per core).
    """
    gen = as_float_array(generated, "generated").astype(np.float32)
    train = as_float_array(real, "real").astype(np.float32)
    if decimate > 1:
        gen = _decimate(gen, decimate)
        train = _decimate(train, decimate)
    if gen.ndim != 3 or train.ndim != 3 or gen.shape[1:] != train.shape[1:]:
        raise ValueError(
            f"real: expected (n, components, samples) like generated {gen.shape}, "
            f"found {train.shape}"
        )
    queries = {"generated": (_log_spectrum_features(gen), lambda i, j: gen[i:j])}
    if real_test is not None:
        test = as_float_array(real_test, "real_test").astype(np.float32)
        test = _decimate(test, decimate) if decimate > 1 else test
        queries["test"] = (_log_spectrum_features(test), lambda i, j: test[i:j])
    # The training records are in memory: their spectra once for the whole search.
    size = sfft.next_fast_len(2 * train.shape[-1] - 1, real=True)
    results = nearest_in_fingerprints(
        queries,
        _log_spectrum_features(train),
        None,
        train_spectra=_xcorr_operand(train, size),
        candidates=candidates,
        chunk=chunk,
        workers=workers,
        progress=progress,
    )
    index, distance = results["generated"]
    baseline = results["test"][1] if "test" in results else None
    baseline_index = results["test"][0] if "test" in results else None
    ratio = None
    if baseline is not None and np.median(baseline) > 0:
        ratio = float(np.median(distance) / np.median(baseline))
    return NearestReal(index, distance, baseline, ratio, baseline_index)
