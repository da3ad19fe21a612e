"""The whole evaluation panel: generated against real records, as one JSON-able dict.

``evaluate(generated, real, ...)`` computes every measure of this package on two sets of
three-component records (cm/s^2) and returns plain lists and numbers (no NumPy types), so the
result can be written to metrics.json, cached, and drawn by ``seisgan_core.viz.evaluation``.

Which real records serve what: distributions (spectra, intensity measures, residuals) use all
real records passed; baselines use the real split: Frechet distances are reported for
generated-vs-test beside train-vs-test (and as a ratio), the memorisation ratio compares
generated-to-train with test-to-train distances, and the embedding and downstream classifiers
train on the training split and score on the test split.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np
import pandas as pd

from seisgan_core.errors import ConfigError, DataError
from seisgan_core.evaluation._arrays import as_float_array, check_dt
from seisgan_core.evaluation._version import PANEL_VERSION
from seisgan_core.evaluation.augmentation import (
    augmentation_utility,
    magnitude_bins,
    real_only_accuracies,
)
from seisgan_core.evaluation.frechet import (
    SPECTRAL_BANDWIDTH,
    _log_spectral,
    _with_durations,
    classifier_features,
    frechet_distance,
    spectral_frequencies,
    train_embedding,
)
from seisgan_core.evaluation.gmm import gmm_residuals, residual_summary
from seisgan_core.evaluation.intensity import decimated_envelope, pgv_arias_cav_duration
from seisgan_core.evaluation.response import DEFAULT_PERIODS_S, _block_psa_rotd50
from seisgan_core.evaluation.similarity import (
    NearestReal,
    _decimate_spectrum,
    _log_spectrum_features,
    dtw_distance,
    nearest_in_fingerprints,
)
from seisgan_core.evaluation.spectra import _ko_weights, default_fas_frequencies, psd
from seisgan_core.evaluation.statistics import COMPONENTS, _pooled_statistics
from seisgan_core.progress import Progress

__all__ = ["PANEL_VERSION", "evaluate", "headline"]


#: Intensity measures for GMM residuals and the distance plots.
GMM_IMTS = ("PGA", "SA(0.2)", "SA(1.0)")


def _bands(values: np.ndarray, axis: int = 0) -> dict[str, list]:
    """Median and 16th/84th percentiles (the +/-1 sigma band of a lognormal), as lists."""
    q = np.percentile(values, [16, 50, 84], axis=axis)
    return {"p16": q[0].tolist(), "median": q[1].tolist(), "p84": q[2].tolist()}


def _log_bias(real_median: np.ndarray, gen_median: np.ndarray) -> float:
    """Mean |ln(generated median / real median)| over ordinates and components."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.log(np.asarray(gen_median) / np.asarray(real_median))
    ratio = ratio[np.isfinite(ratio)]
    return float(np.mean(np.abs(ratio))) if ratio.size else float("nan")


def _split_masks(n_real: int, real_split) -> tuple[np.ndarray, np.ndarray]:
    if real_split is None:
        # No split given: alternate records (deterministic, keeps both halves alike).
        train = np.arange(n_real) % 2 == 0
        return train, ~train
    split = np.asarray(real_split).astype(str)
    if split.shape != (n_real,):
        raise DataError(f"real_split: expected {n_real} labels, found shape {split.shape}")
    train, test = split == "train", split == "test"
    if train.sum() < 2 or test.sum() < 2:
        raise DataError(
            f"real_split: expected at least 2 'train' and 2 'test' records, "
            f"found {int(train.sum())} and {int(test.sum())}"
        )
    return train, test


def _distance_column(table: pd.DataFrame) -> str | None:
    for name in ("rjb_km", "epicentral_distance_km"):
        if name in table:
            return name
    return None


def _gmm_section(
    sets: dict[str, tuple[pd.DataFrame, dict[str, np.ndarray]]], periods: np.ndarray
) -> dict:
    """Residuals of PGA and SA(T) for each set, plus BSSA14 median curves against distance."""
    import pygmm

    out: dict = {"model": "BSSA14", "region": "italy", "imts": {}}
    for imt in GMM_IMTS:
        entry: dict = {}
        for name, (table, values) in sets.items():
            observed = np.asarray(values[imt], float)
            # Residuals are logarithms: records with a zero amplitude (a silent generated
            # record) are left out and counted.
            positive = np.isfinite(observed) & (observed > 0)
            if positive.sum() == 0:
                entry[name] = {"skipped": "no record with a positive amplitude"}
                continue
            table = table[positive].reset_index(drop=True)
            observed = observed[positive]
            res = gmm_residuals(table, imt, observed=observed)
            entry[name] = {
                "summary": residual_summary(res),
                "n_left_out_zero_amplitude": int((~positive).sum()),
                "distance_km": table[_distance_column(table)].astype(float).tolist(),
                "mw": table["mw"].astype(float).tolist(),
                "observed": observed.tolist(),
                "total": res["total"].tolist(),
                "within_event": res["within_event"].tolist(),
                "between_event": res["between_event"].tolist(),
            }
        # Median curve at the real set's median Mw and Vs30 (what the plot's line shows).
        ref_table = next(iter(sets.values()))[0]
        mw_ref = float(np.median(ref_table["mw"]))
        vs30_ref = float(np.median(ref_table["vs30_m_s"]))
        dist = np.geomspace(1.0, 300.0, 40)
        curve_table = pd.DataFrame(
            {
                "event_id": "curve",
                "mw": mw_ref,
                "vs30_m_s": vs30_ref,
                "rjb_km": dist,
            }
        )
        curve_res = gmm_residuals(curve_table, imt, observed=np.ones(dist.size))
        med, sig = curve_res["median"], curve_res["sigma"]
        entry["curve"] = {
            "mw": mw_ref,
            "vs30_m_s": vs30_ref,
            "distance_km": dist.tolist(),
            "median": med.tolist(),
            "sigma_ln": sig.tolist(),
        }
        out["imts"][imt] = entry
    out["pygmm_version"] = getattr(pygmm, "__version__", "")
    return out


#: Decimation of records before the nearest-record search (nearest_real's default).
_NEAREST_DECIMATE = 4

#: The intensity measures of the panel, in the order of its "intensity" section.
_IMT_NAMES = ("pga_cm_s2", "pgv_cm_s", "arias_m_s", "cav_cm_s", "d5_95_s")


def _block_measures(
    x: np.ndarray,
    dt: float,
    periods: np.ndarray,
    weights: tuple[np.ndarray, np.ndarray],
    keep_decimated: bool | np.ndarray = True,
) -> dict[str, np.ndarray]:
    """Every per-record measure of one block of records (n, 3, n_samples), float32.

    The public functions of this package on a block small enough to stay in cache, so each
    record's values are those of the whole-set calls (the measures act record by record). One
    FFT serves both Konno-Ohmachi smoothings (the FAS at b = 40 and the classifier's spectral
    features at b = 20), as ``fas`` computes it: dt * |rfft(x)| times the smoothing weights,
    and the nearest-record search's decimated records and their fingerprints. The decimated
    records (a quarter of the record each) are returned only with ``keep_decimated``: True
    for every record of the block, or a boolean mask of the block's records (their decimated
    copies only, in order).
    """
    import scipy.fft as sfft

    spectrum = sfft.rfft(x, axis=-1, workers=1)
    amp = np.abs(spectrum) * dt
    w_fas, w_feat = weights
    smoothed = amp @ w_fas.astype(amp.dtype, copy=False)
    features = _log_spectral(amp @ w_feat.astype(amp.dtype, copy=False))
    psa_v, rot_v = _block_psa_rotd50(x, spectrum, dt, periods)
    step = max(1, round(0.1 / dt))  # envelopes drawn at 10 Hz
    # What nearest_real's low-pass and decimation gives, from the same FFT.
    decimated = _decimate_spectrum(spectrum, x.shape[-1], _NEAREST_DECIMATE, workers=1)
    # The float64 copy of the block, made once (after the response spectra, which do not
    # need it) for the Welch PSD, the moments and the intensity measures, which all compute
    # in float64 from these same values.
    x64 = x.astype(np.float64)
    psd_freqs, power = psd(x64, dt)
    pgv_v, arias_v, cav_v, duration_v, moments = pgv_arias_cav_duration(x64, dt, with_moments=True)
    out = {
        "moments": moments,
        "fas": smoothed,
        "spectral_features": features,
        "psd": power,
        "psd_freqs": psd_freqs,
        "psa": psa_v,
        "rotd50": rot_v,
        # pga(x) from the moments' extremes: max |x| = max(-min, max), exactly (abs of it
        # turns an all-zero record's -0.0 into 0.0, as abs(x).max() gives).
        "pga_cm_s2": np.abs(np.maximum(-moments[3], moments[4])).astype(x.dtype),
        "pgv_cm_s": pgv_v,
        "arias_m_s": arias_v,
        "cav_cm_s": cav_v,
        "d5_95_s": duration_v,
        "envelope": decimated_envelope(x, step, spectrum),
        "fingerprint": _log_spectrum_features(decimated),
    }
    if keep_decimated is True:
        out["decimated"] = decimated
    elif keep_decimated is not False:
        out["decimated"] = decimated[keep_decimated]
    return out


#: Real records read and reduced at a time by the panel (512 x 3 x 8000 float32: 49 MB).
DEFAULT_CHUNK = 512

#: One read at a time (module-wide): the nearest-record search reads from its worker threads
#: while the panel goes on, sources such as h5py datasets are not safe to read from several
#: threads, and reads are a small part of the work.
_READ_LOCK = threading.Lock()


def _source(x):
    """``x`` as a record source: anything with ``shape`` and NumPy-style row indexing (an
    array, a memory map, an h5py dataset, a lazy reader) is kept as is; lists become arrays."""
    if hasattr(x, "shape") and hasattr(x, "__getitem__"):
        return x
    return np.asarray(x)


def _read(source, rows, name: str) -> np.ndarray:
    """Records ``source[rows]`` (a slice or sorted indices) as a float32 array, checked.

    float32 as the panel always computed (whatever the source's dtype), after the same
    checks as :func:`as_float_array` (finite values, float16 widened, integers to float64).
    """
    with _READ_LOCK:
        x = source[rows]
    return as_float_array(x, name).astype(np.float32)


def _decimated_rows(source, rows: np.ndarray, name: str, chunk: int) -> np.ndarray:
    """Records ``source[rows]`` (sorted) decimated as :func:`_block_measures` decimates them,
    read at most ``chunk`` records at a time (a block's candidates can be 6 x 32 records)."""
    import scipy.fft as sfft

    parts = []
    for i in range(0, len(rows), chunk):
        x = _read(source, rows[i : i + chunk], name)
        parts.append(
            _decimate_spectrum(
                sfft.rfft(x, axis=-1, workers=1), x.shape[-1], _NEAREST_DECIMATE, workers=1
            )
        )
    return np.concatenate(parts)


def _block_mask(mask, start: int, block: np.ndarray) -> bool | np.ndarray:
    """``keep_decimated`` of :func:`_block_measures` for the records ``block`` from row
    ``start``: False where no mask is given, True where the block keeps all, else its part of
    ``mask``."""
    if mask is False:
        return False
    part = mask[start : start + block.shape[0]]
    return True if part.all() else part


def pass_workers() -> int:
    """Threads of the per-record pass by default: one per core the process may use, less one,
    at most 8 (and at least 1).

    The pass streams every block through memory once per measure, so its threads compete for
    the cores' shared cache and memory bandwidth. On the 2-core development machine (AMD EPYC,
    512 records, six alternating rounds) a second thread cut the pass's wall time by 27 % and
    added 26 % to its CPU time (2.15 against 1.70 s); the whole panel took 14.2-14.7 s of CPU
    on one thread against 16.1-16.9 s on two (docs/benchmarks.md, issue 18, session 10). One
    core is left to the panel's main thread, the app and the browser beside it.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores - 1, 8))


def _record_measures(
    sets: dict,
    dt: float,
    periods: np.ndarray,
    *,
    block: int = 16,
    chunk: int = DEFAULT_CHUNK,
    keep_decimated: dict[str, np.ndarray | None] | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> dict[str, dict]:
    """Statistics, spectra, response spectra, intensity measures and envelopes of each set.

    ``sets``: name -> records (an array or any source :func:`_source` accepts), read
    ``chunk`` records at a time, so a set need never be in memory whole: each chunk is reduced
    to per-record measures (a few kB per record) before the next is read. Within a chunk,
    blocks of ``block`` records run on ``workers`` threads (default :func:`pass_workers`: one
    per core less one; NumPy, pocketfft and BLAS release the GIL): a block of 16 records
    (1.5 MB) stays in cache through all the measures, where whole-set calls streamed every set
    from memory once per measure and again for each intermediate array. Values are those of
    the whole-set functions to rounding; the study statistics are pooled from per-record
    moments (statistics._pooled_statistics).
    ``keep_decimated``: set name -> a boolean mask of the set's records whose decimated
    copies are returned, in order (None: all of them); sets it does not name return none
    (default: every record of every set).
    """
    if keep_decimated is None:
        keep_decimated = dict.fromkeys(sets)
    first = next(iter(sets.values()))
    n = first.shape[-1]
    grid = np.fft.rfftfreq(n, dt)
    # In the dtype of the records as _read gives them (float32), converted once and cached
    # rather than in every block (the same values the block's astype gave).
    weights = (
        _ko_weights(grid, default_fas_frequencies(dt), 40.0, np.float32),
        _ko_weights(grid, spectral_frequencies(dt), float(SPECTRAL_BANDWIDTH), np.float32),
    )
    total = sum(v.shape[0] for v in sets.values())
    n_workers = workers if workers is not None else pass_workers()
    done = 0
    out: dict[str, dict] = {}
    with ThreadPoolExecutor(max_workers=max(1, n_workers)) as pool:
        for k, source in sets.items():
            n_records = source.shape[0]
            merged: dict[str, np.ndarray] = {}
            psd_freqs = None
            mask = keep_decimated.get(k, False)
            if mask is None:
                mask = np.ones(n_records, bool)
            elif mask is not False:
                mask = np.asarray(mask, bool)
            # Where each block's kept decimated records go in the set's array of them.
            kept_before = None if mask is False else np.concatenate([[0], np.cumsum(mask)])
            for c0 in range(0, n_records, chunk):
                x = _read(source, slice(c0, min(c0 + chunk, n_records)), k)
                futures = [
                    (c0 + b0, pool.submit(_block_measures, x[b0 : b0 + block], dt, periods,
                                          weights, _block_mask(mask, c0 + b0, x[b0 : b0 + block])))
                    for b0 in range(0, x.shape[0], block)
                ]  # fmt: skip
                for start, future in futures:
                    part = future.result()
                    psd_freqs = part.pop("psd_freqs")
                    moments = part.pop("moments")
                    stop = start + moments.shape[1]
                    if not merged:
                        # Arrays for the whole set, filled block by block (no concatenation,
                        # which would hold every block and the result at once).
                        shape = (moments.shape[0], n_records, *moments.shape[2:])
                        merged["moments"] = np.empty(shape, moments.dtype)
                        for name, arr in part.items():
                            rows = kept_before[-1] if name == "decimated" else n_records
                            merged[name] = np.empty((rows, *arr.shape[1:]), arr.dtype)
                    merged["moments"][:, start:stop] = moments
                    for name, arr in part.items():
                        if name == "decimated":
                            merged[name][kept_before[start] : kept_before[stop]] = arr
                        else:
                            merged[name][start:stop] = arr
                    done += stop - start
                    if progress is not None:
                        progress(done / total, f"per-record measures {done}/{total}")
                del x, futures
            moments = merged.pop("moments")
            n_samples = source.shape[-1]
            merged["moments"] = _pooled_statistics(moments, n_samples)
            merged["moments_normalised"] = _pooled_statistics(moments, n_samples, normalised=True)
            merged["psd_freqs"] = psd_freqs
            out[k] = merged
    return out


def _single_blas_thread(func: Callable) -> Callable:
    """Run ``func`` with BLAS single-threaded.

    The per-record pass already runs on threads of its own, and OpenBLAS's spinning threads on
    an oversubscribed machine made the panel's matrix products 10-50 times slower in
    measurements on the 2-core development machine.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper


@_single_blas_thread
def evaluate(
    generated: np.ndarray,
    real: np.ndarray,
    *,
    dt: float = 0.005,
    real_split: np.ndarray | list[str] | None = None,
    real_conditions: pd.DataFrame | None = None,
    generated_conditions: pd.DataFrame | None = None,
    noise: np.ndarray | None = None,
    periods: np.ndarray | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    chunk: int = DEFAULT_CHUNK,
    workers: int | None = None,
) -> dict:
    """Compute the whole panel for ``generated`` against ``real`` records.

    ``generated``, ``real``: (n, 3, n_samples) in cm/s^2, components E, N, Z. ``real_split``:
    'train' / 'val' / 'test' per real record (the prepared set's ``split`` column); without
    it, alternate records play train and test. ``real_conditions`` / ``generated_conditions``:
    tables aligned with the records holding ``mw``, a distance (``rjb_km`` or
    ``epicentral_distance_km``), ``vs30_m_s`` and, for real records, ``event_id``; they enable
    the GMM residuals, the embedding Frechet distance and the magnitude task of the downstream
    test. ``noise``: noise-only windows (n, 3, n_samples, cm/s^2) for the earthquake-vs-noise
    task. Sections that lack their inputs hold ``{"skipped": reason}``.

    Memory: ``real`` and ``noise`` may be arrays or anything with ``shape`` and NumPy-style
    row indexing (a memory map, an h5py dataset, a lazy reader such as the CLI's, which
    turns z-scored rows back into cm/s^2 as they are read). They are read ``chunk`` records at
    a time (slices, and sorted row indices for the nearest-record search) and reduced to
    per-record measures, so memory grows with the number of records by a few kB each, never
    by whole waveforms; the results do not depend on ``chunk``.

    ``workers``: threads of the per-record pass (default :func:`pass_workers`: one per core
    less one, at most 8); the results do not depend on it.
    """
    dt = check_dt(dt)
    chunk = int(chunk)
    if chunk < 1:
        raise ConfigError(f"chunk: expected a positive number of records, found {chunk}")
    gen, rea = _check_sets(_source(generated), _source(real))
    _check_conditions({"real": real_conditions, "generated": generated_conditions},
                      {"real": rea, "generated": gen})  # fmt: skip
    periods = DEFAULT_PERIODS_S if periods is None else np.asarray(periods, float)
    train_mask, test_mask = _split_masks(rea.shape[0], real_split)
    timings: dict[str, float] = {}
    report = progress or (lambda fraction, message: None)
    stage = functools.partial(_Stage, report, timings)
    sets = {"real": rea, "generated": gen}
    result = _header(gen, rea, (train_mask, test_mask), dt)
    # Every per-record measure in one pass over blocks of records (see _record_measures): the
    # real set's, then the generated set's on a side thread while this one fits what the
    # classifiers learn from real records alone (small matrices in cache, beside the pass's
    # streaming: the cores' time is shared without the pass's threads competing).
    with stage("per-record measures", 0.0, 0.62) as sub:
        keep = _kept_training_records(train_mask, chunk)
        real_fits = functools.partial(
            _real_only_fits, masks=(train_mask, test_mask), noise=noise, chunk=chunk,
            n_generated=gen.shape[0], conditions=(real_conditions, generated_conditions),
            dt=dt, seed=seed,
        )  # fmt: skip
        measures, (model, tasks, accuracy_real) = _measures_beside_real_fits(
            sets, dt, periods, chunk, keep, workers, sub, real_fits
        )
    imt_values, rot_values, env_sets = _distribution_sections(measures, dt, periods, result)
    # The nearest-record search (NumPy and pocketfft on its own threads, GIL released) runs
    # beside the ground-motion model, Frechet distances and classifiers (Python-heavy, mostly
    # holding the GIL); it reports no progress of its own, since progress callbacks may only
    # be called from the caller's thread (Streamlit). Joined in the "nearest real record"
    # stage below.
    side = ThreadPoolExecutor(max_workers=1)
    search = side.submit(
        _similarity_search, measures, env_sets, rea, (train_mask, test_mask), chunk
    )
    side.shutdown(wait=False)  # the thread ends with its one task
    with stage("ground-motion model", 0.62, 0.70):
        tables = {"real": real_conditions, "generated": generated_conditions}
        result["gmm"] = _gmm_stage(tables, sets, imt_values, rot_values, periods)
    with stage("frechet distances", 0.70, 0.78):
        result["frechet"], cfeat, spec = _frechet_stage(
            measures, sets, (train_mask, test_mask), real_conditions, dt, model
        )
    with stage("downstream classifiers", 0.78, 0.90):
        result["augmentation"] = _augmentation_stage(
            tasks, accuracy_real, cfeat["generated"], dt, seed
        )
    with stage("nearest real record", 0.90, 1.0):
        _nearest_section(search.result(), np.flatnonzero(train_mask), spec, result)
    result["summary"] = headline(result)
    result["timings_s"] = timings
    report(1.0, "done")
    return result


def _measures_beside_real_fits(
    sets: dict,
    dt: float,
    periods: np.ndarray,
    chunk: int,
    kept: np.ndarray,
    workers: int | None,
    progress,
    real_fits,
):
    """:func:`_record_measures` of ``sets`` (real, generated), and ``real_fits(real
    measures)`` computed on this thread while the generated set is measured on another.

    Returns ``(measures, real_fits' result)``. ``progress`` is called from this thread only
    (Streamlit's callbacks must be): the side pass records its progress, and this thread
    reports it once ``real_fits`` returns, until the pass ends.
    """
    n_real, n_gen = sets["real"].shape[0], sets["generated"].shape[0]
    share = n_real / (n_real + n_gen)
    measures = _record_measures(
        {"real": sets["real"]}, dt, periods, chunk=chunk, keep_decimated={"real": kept},
        workers=workers, progress=lambda f, m: progress(share * f, m),
    )  # fmt: skip
    latest = [0.0]

    def note(fraction: float, message: str) -> None:
        latest[0] = fraction

    side = ThreadPoolExecutor(max_workers=1)
    pending = side.submit(
        _record_measures, {"generated": sets["generated"]}, dt, periods, chunk=chunk,
        keep_decimated={"generated": None}, workers=workers, progress=note,
    )  # fmt: skip
    side.shutdown(wait=False)  # the thread ends with its one task
    try:
        fitted = real_fits(measures["real"])
    finally:
        # Wait for the side pass even when the fits failed: no thread outlives the call.
        while not wait([pending], timeout=0.25).done:
            progress(share + (1 - share) * latest[0], f"per-record measures (generated, "
                     f"{round(latest[0] * n_gen)}/{n_gen})")  # fmt: skip
    measures.update(pending.result())
    return measures, fitted


class _Stage:
    """One timed stage of the panel: reports its start and hands out a progress callback
    scaled to its share (start to end) of the whole."""

    def __init__(self, report, timings: dict, name: str, start: float, end: float) -> None:
        self.report, self.timings = report, timings
        self.name, self.start, self.end = name, start, end

    def __enter__(self):
        self.t0 = time.perf_counter()
        self.report(self.start, self.name)
        return lambda f, m: self.report(self.start + (self.end - self.start) * f, m)

    def __exit__(self, *exc) -> bool:
        self.timings[self.name] = round(time.perf_counter() - self.t0, 3)
        return False


def _header(gen, rea, masks, dt: float) -> dict:
    return {
        "panel_version": PANEL_VERSION,
        "n_generated": int(gen.shape[0]),
        "n_real": int(rea.shape[0]),
        "n_real_train": int(masks[0].sum()),
        "n_real_test": int(masks[1].sum()),
        "n_samples": int(gen.shape[2]),
        "dt_s": dt,
        "units": "cm/s^2",
        "components": list(COMPONENTS),
    }


def _check_sets(gen, rea):
    for name, arr in (("generated", gen), ("real", rea)):
        if len(arr.shape) != 3 or arr.shape[1] != 3:
            raise DataError(f"{name}: expected (n_records, 3, n_samples), found {arr.shape}")
        if arr.shape[0] < 4:
            raise DataError(f"{name}: expected at least 4 records, found {arr.shape[0]}")
    if gen.shape[2] != rea.shape[2]:
        raise DataError(
            f"generated: expected {rea.shape[2]} samples like real, found {gen.shape[2]}"
        )
    return gen, rea


def _check_conditions(tables: dict, sets: dict) -> None:
    """A row per record in every conditions table given, checked before any measure (the
    classifiers and the ground-motion model index the tables by record)."""
    for k, table in tables.items():
        if table is not None and len(table) != sets[k].shape[0]:
            raise DataError(f"{k}_conditions: expected {sets[k].shape[0]} rows, found {len(table)}")


def _distribution_sections(measures: dict, dt: float, periods: np.ndarray, result: dict):
    """Study statistics, FAS, PSD, PSA, intensity measures and envelopes into ``result``;
    returns the intensity measures, RotD50 values and envelopes per set for later stages."""
    result["study_statistics"] = {k: m["moments"] for k, m in measures.items()}
    # The study's tables are of z-scored records (each component on its own, as prepare
    # does): the same statistics on that scale, comparable with its Tables 5.2 and 5.3.
    result["study_statistics"]["normalised"] = {
        k: m["moments_normalised"] for k, m in measures.items()
    }
    result["fas"] = {k: _bands(m["fas"]) for k, m in measures.items()}
    result["fas"]["freqs_hz"] = default_fas_frequencies(dt).tolist()
    result["fas"]["bandwidth"] = 40
    result["psd"] = {k: _bands(m["psd"]) for k, m in measures.items()}
    result["psd"]["freqs_hz"] = measures["real"]["psd_freqs"].tolist()
    psa_values = {k: m["psa"] for k, m in measures.items()}
    rot_values = {k: m["rotd50"] for k, m in measures.items()}
    psa_out: dict = {"periods_s": periods.tolist(), "damping": 0.05}
    psa_out.update({k: _bands(v) for k, v in psa_values.items()})
    psa_out["rotd50"] = {k: _bands(v) for k, v in rot_values.items()}
    result["psa"] = psa_out
    imt_values: dict[str, dict[str, np.ndarray]] = {}
    intensity: dict = {}
    env_out: dict = {}
    env_sets: dict[str, np.ndarray] = {}
    for k, m in measures.items():
        imt_values[k] = {name: m[name] for name in _IMT_NAMES}
        intensity[k] = {
            name: {"values": arr.tolist(), **_bands(arr)} for name, arr in imt_values[k].items()
        }
        env_sets[k] = m["envelope"]
        env_out[k] = _bands(m["envelope"])
    step = max(1, round(0.1 / dt))  # envelopes drawn at 10 Hz
    env_out["time_s"] = (np.arange(len(env_out["real"]["median"][0])) * step * dt).tolist()
    result["intensity"] = intensity
    result["envelope"] = env_out
    return imt_values, rot_values, env_sets


def _kept_training_records(train_mask: np.ndarray, chunk: int) -> np.ndarray:
    """The real records whose decimated copies the per-record pass keeps for the
    nearest-record search: the first training records, as many as fill half the memory of
    one chunk of records (a decimated record is a quarter of one: 2 x ``chunk`` records).

    Each training record is a candidate of several queries (about 8 on the benchmark's
    1,298 records), and was read and decimated again for each; kept, it is read once, and
    memory stays bounded by the chunk, whatever the number of records. (With the default
    chunk of 512, 1,024 of the benchmark's 1,040 training records are kept.)"""
    budget = _NEAREST_DECIMATE * chunk // 2
    return train_mask & (np.cumsum(train_mask) <= budget)


def _similarity_search(measures: dict, env_sets: dict, rea, masks, chunk: int):
    """Each generated record's nearest training record and DTW of envelopes (a thread)."""
    train_mask, test_mask = masks
    train_rows, test_rows = np.flatnonzero(train_mask), np.flatnonzero(test_mask)
    # nearest_real on records decimated in the per-record pass, from their fingerprints:
    # the generated records' decimated copies are at hand, and so are those of the first
    # training records (as many as one chunk's memory holds: _kept_training_records); other
    # real records (training candidates beyond those, test queries) are read again and
    # decimated as they are needed, so the search holds at most a few blocks of them
    # (nearest_in_fingerprints).
    fp_real = measures["real"]["fingerprint"]
    dec_gen = measures["generated"]["decimated"]
    dec_train = measures["real"]["decimated"]

    def read_train(rows: np.ndarray) -> np.ndarray:
        cut = int(np.searchsorted(rows, dec_train.shape[0]))
        kept = dec_train[rows[:cut]]
        if cut == len(rows):
            return kept
        return np.concatenate([kept, _decimated_rows(rea, train_rows[rows[cut:]], "real", chunk)])

    found = nearest_in_fingerprints(
        {
            "generated": (measures["generated"]["fingerprint"], lambda i, j: dec_gen[i:j]),
            "test": (
                fp_real[test_mask],
                lambda i, j: _decimated_rows(rea, test_rows[i:j], "real", chunk),
            ),
        },
        fp_real[train_mask],
        read_train,
    )
    (index, distance), (baseline_index, baseline) = found["generated"], found["test"]
    ratio = None
    if np.median(baseline) > 0:
        ratio = float(np.median(distance) / np.median(baseline))
    near = NearestReal(index, distance, baseline, ratio, baseline_index)
    # DTW of unit-peak envelopes of each generated record with its nearest real record,
    # and of each test record with its nearest training record (the baseline).
    env_real = env_sets["real"]
    dtw_gen = dtw_distance(
        _unit(env_sets["generated"]), _unit(env_real[train_rows[near.index]]), window=50
    )
    dtw_test = dtw_distance(
        _unit(env_real[test_mask]), _unit(env_real[train_rows[near.baseline_index]]), window=50
    )
    return near, dtw_gen, dtw_test


def _gmm_stage(tables: dict, sets: dict, imt_values: dict, rot_values: dict, periods):
    """The ground-motion model section for the sets whose tables have Mw, Vs30, distance."""
    usable = {}
    reasons = []
    for k, table in tables.items():
        if table is None:
            reasons.append(f"no {k} conditions")
            continue
        table = table.reset_index(drop=True)
        need = [c for c in ("mw", "vs30_m_s") if c not in table]
        if need or _distance_column(table) is None:
            reasons.append(f"{k} conditions lack {need or ['a distance']}")
            continue
        if "event_id" not in table:
            # Generated records have no event: records sharing a magnitude form one.
            table = table.assign(event_id=table["mw"].round(2).astype(str))
        ok = table[["mw", "vs30_m_s", _distance_column(table)]].notna().all(axis=1)
        horizontal_pga = np.sqrt(
            imt_values[k]["pga_cm_s2"][:, 0] * imt_values[k]["pga_cm_s2"][:, 1]
        )
        j02 = int(np.argmin(np.abs(periods - 0.2)))
        j10 = int(np.argmin(np.abs(periods - 1.0)))
        values = {
            "PGA": horizontal_pga[ok.to_numpy()],
            "SA(0.2)": rot_values[k][ok.to_numpy(), j02],
            "SA(1.0)": rot_values[k][ok.to_numpy(), j10],
        }
        usable[k] = (table[ok].reset_index(drop=True), values)
    if "real" in usable:
        return _gmm_section(usable, periods)
    return {"skipped": "; ".join(reasons) or "no conditions"}


def _classifier_feature_set(measure: dict, dt: float) -> np.ndarray:
    """The classifier features of one set (log-FAS bands, then log D5-95 per component)."""
    return _with_durations(measure["spectral_features"], measure["d5_95_s"], dt)


def _embedding_model(cfeat_real: np.ndarray, train_mask: np.ndarray, real_conditions,
                     dt: float, seed: int):  # fmt: skip
    """The classifier of Mw x distance bins whose last hidden layer is the embedding, trained on
    the real training split; None without the real records' magnitudes and distances."""
    if (
        real_conditions is None
        or not {"mw"} <= set(real_conditions)
        or not _distance_column(real_conditions)
    ):
        return None
    rc = real_conditions.reset_index(drop=True)
    dist_col = _distance_column(rc)
    return train_embedding(
        cfeat_real[train_mask],
        rc["mw"].to_numpy(float)[train_mask],
        rc[dist_col].to_numpy(float)[train_mask],
        dt,
        seed=seed,
    )


def _frechet_stage(measures: dict, sets: dict, masks, real_conditions, dt: float, model):
    """Spectral and embedding Frechet distances beside train-vs-test (``model``: the
    :func:`_embedding_model`, None to skip the embedding); returns the section, the
    classifier features and the spectral features per set."""
    train_mask, test_mask = masks
    fd: dict = {}
    # Classifier features once per set; the spectral Frechet distance uses their log-FAS part.
    cfeat = {k: _classifier_feature_set(m, dt) for k, m in measures.items()}
    spec = {k: f[:, : -sets[k].shape[1]] for k, f in cfeat.items()}
    s_gen_test = frechet_distance(spec["generated"], spec["real"][test_mask])
    s_train_test = frechet_distance(spec["real"][train_mask], spec["real"][test_mask])
    fd["spectral"] = {
        "generated_vs_test": s_gen_test,
        "generated_vs_train": frechet_distance(spec["generated"], spec["real"][train_mask]),
        "train_vs_test": s_train_test,
        "ratio": s_gen_test / s_train_test if s_train_test > 0 else None,
        "features": "log10 Konno-Ohmachi FAS at 16 frequencies x 3 components",
    }
    if model is not None:
        rc = real_conditions.reset_index(drop=True)
        dist_col = _distance_column(rc)
        emb = {
            "generated": model.embed(cfeat["generated"]),
            "train": model.embed(cfeat["real"][train_mask]),
            "test": model.embed(cfeat["real"][test_mask]),
        }
        e_gen_test = frechet_distance(emb["generated"], emb["test"])
        e_train_test = frechet_distance(emb["train"], emb["test"])
        fd["embedding"] = {
            "generated_vs_test": e_gen_test,
            "generated_vs_train": frechet_distance(emb["generated"], emb["train"]),
            "train_vs_test": e_train_test,
            "ratio": e_gen_test / e_train_test if e_train_test > 0 else None,
            "classifier_test_accuracy": model.accuracy(
                cfeat["real"][test_mask],
                rc["mw"].to_numpy(float)[test_mask],
                rc[dist_col].to_numpy(float)[test_mask],
            ),
            "features": "last hidden layer (32) of an MLP on Mw x distance terciles",
        }
    else:
        fd["embedding"] = {"skipped": "no real conditions (mw, distance) to train on"}
    return fd, cfeat, spec


def _classifier_tasks(noise, chunk: int, cfeat_real: np.ndarray, masks, n_generated: int,
                      conditions, dt: float) -> dict:  # fmt: skip
    """The downstream tasks' real sets and labels: earthquake vs noise and magnitude bin.

    task -> ``{"train", "train_labels", "test", "test_labels", "generated_labels"}`` (features
    and class ids), or ``{"skipped": reason}`` where the task lacks its inputs.
    """
    train_mask, test_mask = masks
    real_conditions, generated_conditions = conditions
    tasks: dict = {}
    if noise is not None:
        noise_source = _source(noise)
        # Features chunk by chunk: noise windows are read like real records.
        nz = np.concatenate(
            [
                classifier_features(_read(noise_source, slice(i, i + chunk), "noise"), dt)
                for i in range(0, noise_source.shape[0], chunk)
            ]
        )
        # Noise windows split in the proportion of the real train and test splits.
        share = train_mask.mean() / (train_mask.mean() + test_mask.mean())
        n_tr = min(max(2, round(nz.shape[0] * share)), nz.shape[0] - 2)
        tasks["earthquake_vs_noise"] = {
            "train": np.concatenate([cfeat_real[train_mask], nz[:n_tr]]),
            "train_labels": np.concatenate([np.ones(train_mask.sum(), int), np.zeros(n_tr, int)]),
            "test": np.concatenate([cfeat_real[test_mask], nz[n_tr:]]),
            "test_labels": np.concatenate(
                [np.ones(test_mask.sum(), int), np.zeros(nz.shape[0] - n_tr, int)]
            ),
            "generated_labels": np.ones(n_generated, int),
        }
    else:
        tasks["earthquake_vs_noise"] = {"skipped": "no noise windows"}
    if (
        real_conditions is not None
        and generated_conditions is not None
        and "mw" in real_conditions
        and "mw" in generated_conditions
    ):
        mw_real = real_conditions["mw"].to_numpy(float)
        y_train, edges = magnitude_bins(mw_real[train_mask])
        y_test, _ = magnitude_bins(mw_real[test_mask], edges)
        y_gen, _ = magnitude_bins(generated_conditions["mw"].to_numpy(float), edges)
        tasks["magnitude_bin"] = {
            "train": cfeat_real[train_mask],
            "train_labels": y_train,
            "test": cfeat_real[test_mask],
            "test_labels": y_test,
            "generated_labels": y_gen,
        }
    else:
        tasks["magnitude_bin"] = {"skipped": "no magnitudes for real and generated records"}
    return tasks


def _real_only_fits(measure_real: dict, *, masks, noise, chunk: int, n_generated: int,
                    conditions, dt: float, seed: int) -> tuple:  # fmt: skip
    """What the classifiers learn from real records alone: the embedding model, the
    downstream tasks (:func:`_classifier_tasks`) and their real-only accuracies. Needs only
    the real set's measures, so the panel runs it while the generated set is measured."""
    cfeat_real = _classifier_feature_set(measure_real, dt)
    model = _embedding_model(cfeat_real, masks[0], conditions[0], dt, seed)
    tasks = _classifier_tasks(noise, chunk, cfeat_real, masks, n_generated, conditions, dt)
    accuracy_real = {}
    for name, task in tasks.items():
        if "skipped" not in task:
            accuracy_real[name] = real_only_accuracies(
                task["train"], task["train_labels"], task["test"], task["test_labels"], dt,
                seeds=(seed,),
            )  # fmt: skip
    return model, tasks, accuracy_real


def _augmentation_stage(tasks: dict, accuracy_real: dict, cfeat_generated: np.ndarray,
                        dt: float, seed: int) -> dict:  # fmt: skip
    """Downstream classifiers: earthquake vs noise and magnitude bin, real vs real+generated
    (the real-only accuracies from :func:`_real_only_fits`)."""
    aug: dict = {}
    for name, task in tasks.items():
        if "skipped" in task:
            aug[name] = task
            continue
        aug[name] = augmentation_utility(
            task["train"], task["train_labels"], task["test"], task["test_labels"],
            cfeat_generated, task["generated_labels"], dt,
            seeds=(seed,), accuracy_real=accuracy_real[name],
        )  # fmt: skip
    return aug


def _nearest_section(found, train_rows: np.ndarray, spec: dict, result: dict) -> None:
    """Nearest real record, cross-correlation, DTW and diversity into ``result``."""
    near, dtw_gen, dtw_test = found
    result["nearest_real"] = near.to_dict()
    # Row in ``real`` of each generated record's nearest training record (for side-by-side
    # plots), and the distances themselves.
    result["nearest_real"]["nearest_real_row"] = train_rows[near.index].tolist()
    result["nearest_real"]["distance"] = near.distance.tolist()
    # Cross-correlation and DTW of each generated record with its nearest real record,
    # and of each test record with its nearest training record (the baseline). The
    # shift-tolerant distance is 1 - the mean over components of the maximum normalised
    # cross-correlation, so the correlations come with the search.
    xc_gen = 1.0 - near.distance
    xc_test = 1.0 - near.baseline_distance
    result["similarity"] = {
        "max_cross_correlation": {
            "generated_median": float(np.median(xc_gen)),
            "baseline_median": float(np.median(xc_test)),
            "note": "mean over components, z-scored records at 50 Hz, nearest real record",
        },
        "dtw_envelope": {
            "generated_median": float(np.median(dtw_gen)),
            "baseline_median": float(np.median(dtw_test)),
            "note": "unit-peak envelopes at 10 Hz, Sakoe-Chiba window 5 s",
        },
        "diversity": _diversity(spec["generated"], spec["real"]),
    }


def _zscore(x: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    std = x.std(axis=-1, keepdims=True)
    return (x - mean) / np.where(std > 0, std, 1.0)


def _unit(x: np.ndarray) -> np.ndarray:
    peak = np.abs(x).max(axis=-1, keepdims=True)
    return (x / np.where(peak > 0, peak, 1.0)).astype(np.float64)


def _diversity(gen_feats: np.ndarray, real_feats: np.ndarray) -> dict:
    """Spread of each set in spectral-feature space: mean distance to the set's centroid.

    A collapsed generator (the study's mode collapse) has a much smaller spread than the
    real records; the ratio reads ~1 for a generator as diverse as the data.
    """
    g = np.linalg.norm(gen_feats - gen_feats.mean(0), axis=1).mean()
    r = np.linalg.norm(real_feats - real_feats.mean(0), axis=1).mean()
    return {"generated": float(g), "real": float(r), "ratio": float(g / r) if r > 0 else None}


def headline(result: dict) -> dict:
    """The scalars a dashboard tracks across epochs (lower is better unless noted)."""
    out: dict = {}
    fd = result.get("frechet", {})
    out["fd_spectral_ratio"] = fd.get("spectral", {}).get("ratio")
    out["fd_embedding_ratio"] = fd.get("embedding", {}).get("ratio")
    out["memorisation_ratio"] = result.get("nearest_real", {}).get("memorisation_ratio")
    if "fas" in result:
        out["fas_log_bias"] = _log_bias(
            result["fas"]["real"]["median"], result["fas"]["generated"]["median"]
        )
    if "psa" in result:
        out["psa_log_bias"] = _log_bias(
            result["psa"]["real"]["median"], result["psa"]["generated"]["median"]
        )
        out["rotd50_log_bias"] = _log_bias(
            result["psa"]["rotd50"]["real"]["median"],
            result["psa"]["rotd50"]["generated"]["median"],
        )
    if "intensity" in result:
        for name in ("pga_cm_s2", "arias_m_s", "d5_95_s"):
            out[f"{name}_median_ratio"] = float(
                np.median(result["intensity"]["generated"][name]["median"])
                / max(np.median(result["intensity"]["real"][name]["median"]), 1e-30)
            )
    div = result.get("similarity", {}).get("diversity", {})
    out["diversity_ratio"] = div.get("ratio")
    gmm = result.get("gmm", {})
    pga_entry = gmm.get("imts", {}).get("PGA", {})
    for name in ("generated", "real"):
        if "summary" in pga_entry.get(name, {}):
            out[f"gmm_pga_mean_residual_{name}"] = pga_entry[name]["summary"]["mean_total"]
    return out
