"""Prepare any archive (the demo or real ITACA/ESM data) into the array the model trains on.

``prepare(sources, out_dir)`` reads the record table of the sources, selects records as the
reference study did (every bound a :class:`~seisgan_core.catalog.Selection` field), and streams
each record through:

1. resampling to 200 Hz with ``scipy.signal.resample_poly`` (a polyphase FIR filter with a
   Kaiser window: anti-aliased, no spectral leakage of the FFT method);
2. a 40 s window of 8,000 samples: ``study`` mode keeps only records no longer than the window
   (what the reference study did: 9,987 down to 1,298); ``window`` mode (the default) places it
   by ``PrepareConfig.align``: ``strong_motion`` (the default) from a few seconds before the P
   onset found by ObsPy's recursive STA/LTA on the vertical (Withers et al. 1998), moved to hold
   both horizontals' PGA; ``p_onset``; or ``start``; short records are zero-padded, never
   stretched;
3. components in E, N, Z order (the readers' order; 1/2 or 2/3 horizontals stand in for E, N);
4. a z-score per component, keeping its mean, std and log10 PGA (cm/s^2) so that
   ``x_cm = x_norm * std + mean`` restores every sample.

The output folder (contracts section 2) holds ``waveforms.npy`` (float32, (N, 3, 8000)),
``records.parquet`` (record table + ``row``, ``split``, ``cluster_id`` and the scale columns),
``noise.npy``/``noise.parquet`` where the sources have noise windows, and ``manifest.json``.
It is built in a temporary sibling folder and renamed into place, so a killed run leaves the
old complete output or none; a rerun on the same inputs and parameters does nothing. The
archive is never held in memory whole: one record at a time is read, processed and appended.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import struct
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seisgan_core import __version__
from seisgan_core.errors import SeisganError
from seisgan_core.fsutil import atomic_directory, output_lock, recover_directory
from seisgan_core.io.npy import open_npy  # re-exported: where importers have found it
from seisgan_core.prepare_config import ALIGNS, NPTS, SAMPLING_RATE_HZ, PrepareConfig
from seisgan_core.progress import Progress

__all__ = [
    "COMPONENT_SUFFIXES",
    "NPTS",
    "SAMPLING_RATE_HZ",
    "DenormalisedRows",
    "EmptySelectionError",
    "PrepareConfig",
    "PrepareSummary",
    "PreparedSet",
    "SkipRecord",
    "denormalised_rows",
    "load_prepared",
    "prepare",
    "process_waveform",
    "resample_to",
]


COMPONENT_SUFFIXES = ("e", "n", "z")
_MAX_DENOMINATOR = 1000  # up/down factors of resample_poly beyond this are not "exact"
_FORMAT_VERSION = 1


class EmptySelectionError(SeisganError, ValueError):
    """The selection matches no record; ``bound`` names the criterion that removed the last."""

    def __init__(self, bound: str, before: int, report: list[tuple[str, int]]) -> None:
        self.bound = bound
        self.before = before
        self.report = report
        steps = "; ".join(f"{name}: -{n}" for name, n in report)
        super().__init__(
            f"the selection matches no record: bound {bound!r} removed the last {before} "
            f"(criteria in order: {steps})"
        )


class SkipRecord(Exception):
    """A record that cannot be used; the message is the reason written to the manifest."""


@dataclass
class PreparedSet:
    """A prepared training set, opened: the array memory-mapped, the tables in memory."""

    waveforms: np.ndarray
    records: pd.DataFrame
    manifest: dict[str, Any]
    path: Path
    noise: np.ndarray | None = None
    noise_records: pd.DataFrame | None = None

    def to_cm_s2(self, rows: Sequence[int] | slice | None = None) -> np.ndarray:
        """Waveforms of ``rows`` turned back into cm/s^2 (x_norm * std + mean)."""
        rows = slice(None) if rows is None else rows
        table = self.records.set_index("row").sort_index()
        index = np.arange(len(self.waveforms))[rows]
        std = table.loc[index, [f"std_{c}" for c in COMPONENT_SUFFIXES]].to_numpy()
        mean = table.loc[index, [f"mean_{c}" for c in COMPONENT_SUFFIXES]].to_numpy()
        x = np.asarray(self.waveforms[index], dtype=np.float64)
        return x * std[:, :, None] + mean[:, :, None]

    def cm_s2_rows(self) -> DenormalisedRows:
        """The records in cm/s^2 as float32, each row read from disk only when indexed."""
        return denormalised_rows(self.waveforms, self.records)

    def noise_cm_s2_rows(self) -> DenormalisedRows | None:
        """The noise windows the same way (None when the set has none)."""
        if self.noise is None or self.noise_records is None or not len(self.noise):
            return None
        return denormalised_rows(self.noise, self.noise_records)


class DenormalisedRows:
    """Rows of a prepared ``.npy`` array (z-scored float32) read back into cm/s^2 on demand.

    What ``PreparedSet.to_cm_s2(rows).astype(float32)`` gives (x * std + mean in float64,
    then float32), for the rows asked for only: ``shape``, ``len()`` and NumPy-style indexing
    by an int, a slice (step 1) or an array of row numbers, which is what
    ``seisgan_core.evaluation.panel.evaluate`` reads. Rows are read with ``os.pread`` from the
    file, not through the memory map: pages of a map stay in the process's resident memory
    once touched, so iterating a 1.3 GB map would count 1.3 GB against the evaluation.
    """

    def __init__(self, array, std, mean):
        self._array = array
        self._path = getattr(array, "filename", None)
        self._offset = int(getattr(array, "offset", 0))
        self._row_bytes = int(np.prod(array.shape[1:])) * array.dtype.itemsize
        self._std = np.asarray(std, np.float64)
        self._mean = np.asarray(mean, np.float64)
        self.shape = tuple(array.shape)
        self.ndim = len(self.shape)
        self.dtype = np.dtype(np.float32)

    def __len__(self) -> int:
        return self.shape[0]

    def _raw(self, rows):
        """The stored (z-scored) rows ``rows`` (sorted int64 array), contiguous runs at once."""
        out = np.empty((rows.size, *self.shape[1:]), self._array.dtype)
        if self._path is None or not isinstance(self._array, np.memmap):
            out[...] = self._array[rows]
            return out
        # Runs of consecutive rows are one read each.
        breaks = np.flatnonzero(np.diff(rows) != 1) + 1
        with open(self._path, "rb") as fh:
            fd = fh.fileno()
            for run_start, run_stop in zip(np.r_[0, breaks], np.r_[breaks, rows.size], strict=True):
                view = memoryview(out[run_start:run_stop]).cast("B")
                offset = self._offset + int(rows[run_start]) * self._row_bytes
                got = 0
                while got < view.nbytes:
                    n = os.preadv(fd, [view[got:]], offset + got)
                    if n == 0:
                        raise OSError(f"{self._path}: file ended before row {rows[run_stop - 1]}")
                    got += n
        return out

    def __getitem__(self, key):
        n = self.shape[0]
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            if step != 1:
                raise IndexError("rows: expected a slice with step 1")
            rows = np.arange(start, stop, dtype=np.int64)
        elif np.ndim(key) == 0:
            index = int(key)
            if not -n <= index < n:
                raise IndexError(f"row {index} out of range for {n} records")
            return self[np.array([index % n])][0]
        else:
            rows = np.asarray(key, dtype=np.int64)
            if rows.ndim != 1:
                raise IndexError(f"rows: expected a 1-D array of row numbers, found {rows.shape}")
            if rows.size and (rows.min() < -n or rows.max() >= n):
                raise IndexError(f"rows out of range for {n} records")
            rows = rows % n
        order = np.argsort(rows, kind="stable")
        raw = self._raw(rows[order])
        x = raw.astype(np.float64) * self._std[rows[order], :, None]
        x += self._mean[rows[order], :, None]
        out = np.empty(x.shape, np.float32)
        out[order] = x
        return out


def denormalised_rows(waveforms: np.ndarray, table: pd.DataFrame) -> DenormalisedRows:
    """Rows of ``waveforms`` in cm/s^2 with the per-component mean and std of ``table``."""
    table = table.sort_values("row")
    std = table[[f"std_{c}" for c in COMPONENT_SUFFIXES]].to_numpy()
    mean = table[[f"mean_{c}" for c in COMPONENT_SUFFIXES]].to_numpy()
    if len(table) != len(waveforms) or not (table["row"].to_numpy() == range(len(table))).all():
        from seisgan_core.io.errors import FormatError

        raise FormatError(
            getattr(waveforms, "filename", None) or "waveforms",
            None,
            f"a table with rows 0..{len(waveforms) - 1}",
            f"{len(table)} rows",
            field="row",
        )
    return DenormalisedRows(waveforms, std, mean)


@dataclass
class PrepareSummary:
    """What a call of :func:`prepare` did."""

    path: Path
    n_records: int
    n_noise: int
    skipped: list[tuple[str, str]] = field(default_factory=list)
    reader_skipped: list[tuple[str, str]] = field(default_factory=list)
    excluded_by_length: int = 0
    selection_report: list[tuple[str, int]] = field(default_factory=list)
    split_counts: dict[str, int] = field(default_factory=dict)
    window_notes: list[tuple[str, str]] = field(default_factory=list)
    up_to_date: bool = False


# --------------------------------------------------------------------------- processing


def resample_to(
    data: np.ndarray, rate_hz: float, target_hz: float = SAMPLING_RATE_HZ
) -> np.ndarray:
    """Resample (..., npts) from ``rate_hz`` to ``target_hz`` with ``scipy.signal.resample_poly``.

    The ratio must be a fraction with a denominator of at most 1000 (100, 250, 128, 50 Hz all
    are); anything else raises :class:`SkipRecord`.
    """
    from scipy.signal import resample_poly

    if not np.isfinite(rate_hz) or rate_hz <= 0:
        raise SkipRecord(f"sampling rate {rate_hz!r} Hz is not a positive number")
    if rate_hz == target_hz:
        return data
    ratio = Fraction(target_hz / rate_hz).limit_denominator(_MAX_DENOMINATOR)
    if not np.isclose(float(ratio), target_hz / rate_hz, rtol=1e-9, atol=0.0):
        raise SkipRecord(
            f"sampling rate {rate_hz:g} Hz cannot be resampled exactly to {target_hz:g} Hz"
        )
    return resample_poly(data, ratio.numerator, ratio.denominator, axis=-1)


def _p_onset_index(
    vertical: np.ndarray, rate: float, sta_s: float, lta_s: float, on: float, off: float
):
    from obspy.signal.trigger import recursive_sta_lta, trigger_onset

    nsta, nlta = int(sta_s * rate), int(lta_s * rate)
    if vertical.size <= nlta:
        return None
    # ObsPy's recursive STA/LTA leaves the first nlta samples at zero while the LTA settles,
    # so the LTA is short (2 s): triggered strong-motion records often keep only a few
    # seconds before the P wave.
    cft = recursive_sta_lta(np.ascontiguousarray(vertical, dtype=np.float64), nsta, nlta)
    onsets = trigger_onset(cft, on, off)
    if len(onsets) == 0:
        return None
    onset = int(onsets[0][0])
    # A trigger as soon as the LTA has settled means the record began already shaking (a late
    # trigger, or leading samples trimmed by the archive): no P onset inside the record.
    if onset <= nlta + 1:
        return None
    return onset


def _strong_motion_start(x: np.ndarray, start: int, margin: int) -> tuple[int, str]:
    """Move ``start`` (samples) as little as possible so that both horizontals' PGA fall in
    [start + margin, start + NPTS - margin); returns the start and, when both cannot, why."""
    peaks = np.abs(x[:2]).argmax(axis=1)
    first, last = int(peaks.min()), int(peaks.max())
    if last >= start + NPTS - margin:
        start = last - NPTS + margin + 1
    if first < start + margin:
        start = first - margin
    if last - first > NPTS - 2 * margin - 1:
        gap = (last - first) / SAMPLING_RATE_HZ
        window_s = NPTS / SAMPLING_RATE_HZ
        # Keep the larger horizontal's PGA; the other falls outside.
        k = int(np.abs(x[:2]).max(axis=1).argmax())
        start = int(peaks[k]) - NPTS // 4
        return start, (
            f"the horizontals' PGAs are {gap:.1f} s apart, more than the {window_s:g} s window "
            f"holds: the window keeps the larger ({COMPONENT_SUFFIXES[k].upper()})"
        )
    return start, ""


# the preparation's defaults, which process_waveform's keywords take (one copy: PrepareConfig)
_DEFAULT = PrepareConfig()


def process_waveform(
    data: np.ndarray,
    rate_hz: float,
    *,
    align: str = _DEFAULT.align,
    pre_event_s: float = _DEFAULT.pre_event_s,
    pga_margin_s: float = _DEFAULT.pga_margin_s,
    sta_s: float = _DEFAULT.sta_s,
    lta_s: float = _DEFAULT.lta_s,
    trigger_on: float = _DEFAULT.trigger_on,
    trigger_off: float = _DEFAULT.trigger_off,
) -> tuple[np.ndarray, dict[str, float]]:
    """One record (3, npts) cm/s^2 -> normalised float32 (3, 8000) and its scale values.

    ``align="start"`` cuts from the first sample; ``"p_onset"`` starts ``pre_event_s`` before
    the STA/LTA trigger on the vertical (zero-padded in front if the record begins later; the
    record's start if nothing triggers); ``"strong_motion"`` (the default) starts there too,
    then moves the window as little as needed to hold both horizontals' PGA at least
    ``pga_margin_s`` inside it (``info["window_note"]`` says why when they are too far apart
    to fit). Raises :class:`SkipRecord` with the reason for a record that cannot be used.
    """
    data = np.asarray(data, dtype=np.float64)
    if data.ndim != 2 or data.shape[0] != 3:
        raise SkipRecord(f"needs three components, has shape {data.shape}")
    if data.shape[1] < 2:
        raise SkipRecord(f"has {data.shape[1]} samples")
    if not np.isfinite(data).all():
        raise SkipRecord(f"{int((~np.isfinite(data)).sum())} NaN or infinite samples")
    x = resample_to(data, rate_hz)
    info: dict[str, float] = {"p_onset_s": np.nan, "window_start_s": 0.0}
    start = 0
    if align not in ALIGNS:
        raise ValueError(f"align must be one of {', '.join(ALIGNS)}, got {align!r}")
    if align != "start":
        onset = _p_onset_index(x[2], SAMPLING_RATE_HZ, sta_s, lta_s, trigger_on, trigger_off)
        if onset is not None:
            info["p_onset_s"] = onset / SAMPLING_RATE_HZ
            start = onset - round(pre_event_s * SAMPLING_RATE_HZ)
    note = ""
    if align == "strong_motion":
        start, note = _strong_motion_start(x, start, round(pga_margin_s * SAMPLING_RATE_HZ))
    info["window_start_s"] = start / SAMPLING_RATE_HZ
    window = np.zeros((3, NPTS))
    src_lo, dst_lo = max(start, 0), max(-start, 0)
    n = max(min(x.shape[1] - src_lo, NPTS - dst_lo), 0)
    window[:, dst_lo : dst_lo + n] = x[:, src_lo : src_lo + n]
    mean = window.mean(axis=1)
    std = window.std(axis=1)
    if (std <= 0).any():
        flat = [COMPONENT_SUFFIXES[i].upper() for i in np.flatnonzero(std <= 0)]
        raise SkipRecord(f"component {','.join(flat)} is flat (zero variance) in the window")
    pga = np.abs(window).max(axis=1)
    normalised = ((window - mean[:, None]) / std[:, None]).astype(np.float32)
    if note:
        info["window_note"] = note
    for k, c in enumerate(COMPONENT_SUFFIXES):
        info[f"mean_{c}"] = float(mean[k])
        info[f"std_{c}"] = float(std[k])
        info[f"log10_pga_{c}"] = float(np.log10(pga[k]))
    return normalised, info


# --------------------------------------------------------------------------- the .npy stream


class _NpyStream:
    """Append rows of a (N, 3, 8000) float32 .npy file whose N is known only at the end.

    The header is written with room to spare and rewritten with the final count on close
    (the .npy format, NEP 1: magic, version 1.0, little-endian header length, a dict padded
    with spaces to a multiple of 64 bytes).
    """

    _HEADER_BYTES = 128

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self.handle = open(path, "wb")
        self.handle.write(self._header(0))

    def _header(self, rows: int) -> bytes:
        text = f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, 3, {NPTS}), }}"
        body_len = self._HEADER_BYTES - 10
        text = text.ljust(body_len - 1) + "\n"
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", body_len) + text.encode("latin1")

    def append(self, row: np.ndarray) -> int:
        self.handle.write(np.ascontiguousarray(row, dtype="<f4").tobytes())
        self.rows += 1
        return self.rows - 1

    def close(self) -> None:
        self.handle.seek(0)
        self.handle.write(self._header(self.rows))
        self.handle.flush()
        self.handle.close()


# --------------------------------------------------------------------------- the pipeline


def _source_files(sources: Iterable[str | Path]) -> list[Path]:
    from seisgan_core.io import seisbench as sb

    files: list[Path] = []
    for source in sources:
        path = Path(source)
        if str(source).startswith(sb.NAMED_PREFIX):
            # a named SeisBench data set: its cached files
            files.extend(sb.source_data_files(sb.resolve_source(str(source))))
            continue
        if path.is_file() and path.suffix == ".json" and sb.is_descriptor(path):
            # a SeisBench source descriptor: itself (the filter) and the data set's files
            files.append(path)
            files.extend(sb.source_data_files(sb.read_descriptor(path)[0]))
            continue
        if path.is_dir():
            inside = [
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ]
            files.extend(inside)
            for p in inside:  # a SeisBench descriptor saved in the folder: the set's files too
                if p.suffix == ".json" and sb.is_descriptor(p):
                    files.extend(sb.source_data_files(sb.read_descriptor(p)[0]))
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return files


def _versions() -> dict[str, str]:
    import h5py
    import obspy
    import scipy

    return {
        "seisgan": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "obspy": obspy.__version__,
        "h5py": h5py.__version__,
    }


def _empty_bound(report: list[tuple[str, int]], n_before: int) -> tuple[str, int]:
    remaining = n_before
    for name, removed in report:
        if removed and remaining - removed == 0:
            return name, remaining
        remaining -= removed
    return "(no record with waveforms)", n_before


def _holding_output_lock(func):
    """Run ``func(sources, out_dir, ...)`` holding the lock of ``out_dir`` (see `prepare`)."""

    @functools.wraps(func)
    def locked(sources, out_dir, **options):
        with output_lock(out_dir, "seisgan prepare"):
            return func(sources, out_dir, **options)

    return locked


@_holding_output_lock
def prepare(
    sources: Iterable[str | Path] | str | Path,
    out_dir: str | Path,
    *,
    selection: Any = None,
    config: PrepareConfig | None = None,
    force: bool = False,
    progress: Progress | None = None,
    **options: Any,
) -> PrepareSummary:
    """Prepare ``sources`` (files, folders, zips) into a training set in ``out_dir``.

    ``selection`` is a :class:`seisgan_core.catalog.Selection` (default: the study's bounds);
    ``config`` a :class:`~seisgan_core.prepare_config.PrepareConfig` (default: its defaults),
    any of whose fields may also be given as keywords (``mode="study"``, ``align=...``). Does
    nothing if ``out_dir`` already holds a set made from the same source bytes with the same
    parameters (unless ``force``). Raises :class:`EmptySelectionError` naming the bound that
    emptied the selection. Two runs on one ``out_dir`` at once: the second raises
    :class:`~seisgan_core.fsutil.LockHeldError` naming the first one's pid (a lock file
    ``.NAME.lock`` beside ``out_dir``; a dead holder's lock is taken over).
    """
    from seisgan_core.catalog import Selection
    from seisgan_core.fsutil import file_sha256, json_clean, json_text

    config = replace(config or PrepareConfig(), **options)
    report = progress or (lambda fraction, message: None)
    sources = [sources] if isinstance(sources, str | Path) else list(sources)
    out_dir = Path(out_dir)
    selection = selection if selection is not None else Selection()

    report(0.0, "hashing sources")
    source_list = [
        {"path": str(p), "bytes": p.stat().st_size, "sha256": file_sha256(p)}
        for p in _source_files(sources)
    ]
    selection_dict = json_clean(asdict(selection))
    fingerprint = _fingerprint(source_list, config, selection_dict)
    recover_directory(out_dir)
    existing = _read_manifest(out_dir)
    if not force and existing is not None and existing.get("fingerprint") == fingerprint:
        report(1.0, "already prepared from the same inputs")
        return _summary_of_manifest(out_dir, existing)

    report(0.02, "reading the record table")
    chosen = _select(sources, selection, config)
    with atomic_directory(out_dir) as tmp:
        written = _write_set(tmp, chosen, config, report)
        manifest = _manifest(fingerprint, config, selection_dict, source_list, chosen, written)
        (tmp / "manifest.json").write_text(json_text(manifest) + "\n", encoding="utf-8")
        tmp.chmod(0o755)
    report(1.0, f"prepared {written.n_records} records")
    return PrepareSummary(
        path=out_dir,
        n_records=written.n_records,
        n_noise=written.n_noise,
        skipped=written.skipped,
        reader_skipped=chosen.reader_skipped,
        excluded_by_length=chosen.excluded_by_length,
        selection_report=list(chosen.report),
        split_counts=written.split_counts,
        window_notes=written.window_notes,
    )


def _manifest(fingerprint, config, selection_dict, source_list, chosen, written) -> dict:
    """manifest.json (contracts section 2): what was read, chosen, done and left out."""
    return {
        "format_version": _FORMAT_VERSION,
        "fingerprint": fingerprint,
        "config": config.to_dict(),
        "selection": selection_dict,
        "selection_report": [list(s) for s in chosen.report],
        "sources": source_list,
        "steps": config.steps(selection_dict),
        "versions": _versions(),
        "counts": {
            "records": written.n_records,
            "noise": written.n_noise,
            "skipped": len(written.skipped),
            "reader_skipped": len(chosen.reader_skipped),
            "excluded_by_length": chosen.excluded_by_length,
            "window_notes": len(written.window_notes),
        },
        "split_counts": written.split_counts,
        "skipped": [list(s) for s in written.skipped],
        "reader_skipped": [list(s) for s in chosen.reader_skipped],
        "window_notes": [list(s) for s in written.window_notes],
    }


def _fingerprint(source_list: list[dict], config: PrepareConfig, selection: dict) -> str:
    """What decides the output: the source bytes, the config, the selection, the format."""
    parameters = {
        **config.to_dict(),
        "sampling_rate_hz": SAMPLING_RATE_HZ,
        "npts": NPTS,
        "selection": selection,
    }
    payload = {
        "format": _FORMAT_VERSION,
        "version": __version__,
        "sources": [(s["sha256"], s["bytes"]) for s in source_list],
        "parameters": parameters,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _summary_of_manifest(out_dir: Path, manifest: dict[str, Any]) -> PrepareSummary:
    counts = manifest.get("counts", {})
    return PrepareSummary(
        path=out_dir,
        n_records=int(counts.get("records", 0)),
        n_noise=int(counts.get("noise", 0)),
        skipped=[tuple(s) for s in manifest.get("skipped", [])],
        reader_skipped=[tuple(s) for s in manifest.get("reader_skipped", [])],
        excluded_by_length=int(counts.get("excluded_by_length", 0)),
        selection_report=[tuple(s) for s in manifest.get("selection_report", [])],
        split_counts=manifest.get("split_counts", {}),
        window_notes=[tuple(s) for s in manifest.get("window_notes", [])],
        up_to_date=True,
    )


@dataclass
class _Chosen:
    """The records (and noise windows) selected for preparation."""

    table: pd.DataFrame
    noise_table: pd.DataFrame | None
    report: list[tuple[str, int]]
    reader_skipped: list[tuple[str, str]]
    excluded_by_length: int = 0


def _select(sources: list, selection: Any, config: PrepareConfig) -> _Chosen:
    """Read the record table, apply the selection (and study mode's length bound)."""
    from seisgan_core.catalog import Selection, read_records

    catalog = read_records(sources)
    all_rows = catalog.table
    # Only rows with samples can be prepared (flat files are metadata).
    chosen = catalog.select(_with(selection, require_waveforms=True))
    if chosen.table.empty:
        bound, before = _empty_bound(chosen.selection_report, len(all_rows))
        raise EmptySelectionError(bound, before, chosen.selection_report)
    table = chosen.table
    excluded_by_length = 0
    if config.mode == "study":
        # The study kept only records no longer than its window (9,987 -> 1,298).
        duration = table["npts"].astype(float) / table["sampling_rate_hz"].astype(float)
        keep = duration <= NPTS / SAMPLING_RATE_HZ + 1e-9
        excluded_by_length = int((~keep).sum())
        table = table[keep.to_numpy()].reset_index(drop=True)
        if table.empty:
            raise EmptySelectionError(
                f"record duration <= {NPTS / SAMPLING_RATE_HZ:g} s (study mode)",
                excluded_by_length,
                [*chosen.selection_report, ("duration <= 40 s", excluded_by_length)],
            )
    noise_table = None
    if config.include_noise and "kind" in all_rows:
        noise_sel = _with(
            Selection(),
            mw_min=None,
            depth_max_km=None,
            in_italy=getattr(selection, "in_italy", True),
            kinds=("noise",),
            require_waveforms=True,
        )
        noise_table = catalog.select(noise_sel).table
        if noise_table.empty:
            noise_table = None
    # Files the readers set aside (duplicates of a record read from another file, unreadable
    # files) are listed apart from the records this step could not use.
    return _Chosen(
        table=table,
        noise_table=noise_table,
        report=list(chosen.selection_report),
        reader_skipped=[(str(p), str(r)) for p, r in catalog.skipped],
        excluded_by_length=excluded_by_length,
    )


@dataclass
class _Written:
    n_records: int
    n_noise: int
    split_counts: dict[str, int]
    skipped: list[tuple[str, str]]
    window_notes: list[tuple[str, str]]


def _write_set(tmp: Path, chosen: _Chosen, config: PrepareConfig, report: Progress) -> _Written:
    """Process, split and write the records and noise windows into ``tmp``."""
    from seisgan_core.split import assign_splits

    table, noise_table = chosen.table, chosen.noise_table
    skipped: list[tuple[str, str]] = []
    notes: list[tuple[str, str]] = []
    n_total = len(table) + (0 if noise_table is None else len(noise_table))
    progress = (report, 0.05, 0.9, n_total)
    records, done = _stream_set(
        table, tmp / "waveforms.npy", config.process_options(), skipped, notes, progress, 0
    )
    if records.empty:
        raise EmptySelectionError("(every selected record was unusable)", len(table), chosen.report)
    split_options = {"fractions": config.split_fractions, "seed": config.seed}
    records = assign_splits(
        records, cluster_km=config.cluster_km, cluster_days=config.cluster_days, **split_options
    )
    records.to_parquet(tmp / "records.parquet", index=False)
    n_noise = 0
    if noise_table is not None:
        # Noise windows have no P onset nor strong motion: they are cut from their start.
        noise_options = {**config.process_options(), "align": "start"}
        noise_records, _ = _stream_set(
            noise_table, tmp / "noise.npy", noise_options, skipped, [], progress, done
        )
        noise_records = assign_splits(noise_records, **split_options)
        noise_records.to_parquet(tmp / "noise.parquet", index=False)
        n_noise = len(noise_records)
    split_counts = {k: int(v) for k, v in records["split"].value_counts().items()}
    return _Written(len(records), n_noise, split_counts, skipped, notes)


def _with(selection: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(selection, **changes)


def _stream_set(
    table: pd.DataFrame,
    npy_path: Path,
    process: dict[str, Any],
    skipped: list[tuple[str, str]],
    notes: list[tuple[str, str]],
    progress: tuple[Progress, float, float, int],
    done: int,
) -> tuple[pd.DataFrame, int]:
    """Read, process and append every record of ``table``; return the kept rows and count.

    Unusable records go to ``skipped``, windows that could not hold both horizontals' PGA to
    ``notes`` (record id, reason); ``progress`` is (report, start, span, total)."""
    report, lo, span, n_total = progress
    from seisgan_core.catalog import iter_record_waveforms
    from seisgan_core.io.errors import SeisganIOError

    stream = _NpyStream(npy_path)
    kept_index: list[int] = []
    infos: list[dict[str, float]] = []
    # iter_record_waveforms yields records grouped by source file, in order of first
    # appearance; sort the same way so that the n-th yielded record is the n-th row.
    pending = table.reset_index(drop=True)
    group = pending.groupby(["source_format", "source_path"], sort=False, dropna=False).ngroup()
    pending = pending.iloc[np.argsort(group.to_numpy(), kind="stable")].reset_index(drop=True)
    try:
        start = 0
        while start < len(pending):
            records = iter_record_waveforms(pending.iloc[start:])
            position = start
            while True:
                try:
                    record_id, waves = next(records)
                except StopIteration:
                    start = len(pending)
                    break
                except (SeisganIOError, OSError, ValueError, KeyError) as exc:
                    # One record that cannot be read: skip it and resume after it.
                    skipped.append((str(pending.at[position, "record_id"]), f"unreadable: {exc}"))
                    done += 1
                    start = position + 1
                    break
                i = position
                position += 1
                done += 1
                try:
                    row, info = process_waveform(waves.data, waves.sampling_rate_hz, **process)
                except SkipRecord as exc:
                    skipped.append((str(record_id), str(exc)))
                    continue
                note = info.pop("window_note", None)
                if note:
                    notes.append((str(record_id), note))
                info["row"] = stream.append(row)
                info["original_sampling_rate_hz"] = float(waves.sampling_rate_hz)
                kept_index.append(i)
                infos.append(info)
                if done % 50 == 0:
                    report(lo + span * done / max(n_total, 1), f"record {done} of {n_total}")
    finally:
        stream.close()
    kept = pending.iloc[kept_index].reset_index(drop=True)
    extra = pd.DataFrame(infos)
    for column in extra.columns:
        kept[column] = extra[column].to_numpy()
    if "row" in kept:
        kept["row"] = kept["row"].astype("int64")
    return kept, done


def _read_manifest(out_dir: Path) -> dict[str, Any] | None:
    path = out_dir / "manifest.json"
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    needed = ["waveforms.npy", "records.parquet"]
    if manifest.get("counts", {}).get("noise"):
        needed += ["noise.npy", "noise.parquet"]
    if not all((out_dir / name).exists() for name in needed):
        return None
    return manifest


def load_prepared(path: str | Path) -> PreparedSet:
    """Open a prepared set: waveforms memory-mapped (read-only), records, manifest, noise."""
    from seisgan_core.io.errors import FormatError

    path = Path(path)
    manifest_path = path / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(f"{path}: not a prepared set (no manifest.json)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise FormatError(manifest_path, None, "JSON", f"invalid JSON ({exc})") from None
    waveforms = open_npy(path / "waveforms.npy")
    records = pd.read_parquet(path / "records.parquet")
    if waveforms.ndim != 3 or waveforms.shape[1:] != (3, NPTS) or waveforms.dtype != np.float32:
        raise FormatError(
            path / "waveforms.npy",
            None,
            f"float32 of shape (N, 3, {NPTS})",
            f"{waveforms.dtype} of shape {waveforms.shape}",
        )
    if len(records) != len(waveforms):
        raise FormatError(
            path / "records.parquet",
            None,
            f"{len(waveforms)} rows (one per waveform)",
            f"{len(records)} rows",
        )
    noise = noise_records = None
    if (path / "noise.npy").exists() and (path / "noise.parquet").exists():
        noise = open_npy(path / "noise.npy")
        noise_records = pd.read_parquet(path / "noise.parquet")
    return PreparedSet(waveforms, records, manifest, path, noise, noise_records)
