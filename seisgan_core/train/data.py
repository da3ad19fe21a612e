"""Reading a prepared training set (docs/contracts.md, section 2) for the trainer.

The waveforms stay memory-mapped; batches are read with one sorted fancy index per batch, which
turns into few large sequential reads of ``waveforms.npy`` instead of one small read per record.
Records whose waveform, PGA or conditions are not finite are excluded before training and
listed in the run's ``config.json``: one NaN in a batch would otherwise turn every weight into
NaN at the next optimiser step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seisgan_core.errors import ConfigError
from seisgan_core.io.errors import FormatError
from seisgan_core.io.npy import open_npy
from seisgan_core.nn.presets import CONDITION_NAMES
from seisgan_core.prepare_config import SAMPLING_RATE_HZ  # the prepared sets' one rate

__all__ = [
    "CONDITION_COLUMNS",
    "SAMPLING_RATE_HZ",
    "TrainingSet",
    "condition_matrix",
    "load_training_set",
]

# model condition -> record-table column it is computed from (contracts.md section 1/2)
CONDITION_COLUMNS = {
    "mw": "mw",
    "log10_distance_km": "epicentral_distance_km",
    "depth_km": "event_depth_km",
    "vs30_m_s": "vs30_m_s",
}
# the names `generate` and the CLI take for one scenario (physical values, not logs)
SCENARIO_KEYS = {
    "mw": ("mw",),
    "log10_distance_km": ("distance_km", "epicentral_distance_km"),
    "depth_km": ("depth_km", "event_depth_km"),
    "vs30_m_s": ("vs30_m_s", "vs30"),
}
PGA_COLUMNS = ("log10_pga_e", "log10_pga_n", "log10_pga_z")
# distances below this are clipped before the log (a record at the epicentre is 0 km)
MIN_DISTANCE_KM = 1.0


@dataclass
class Split:
    rows: np.ndarray  # indices into waveforms.npy
    conditions: np.ndarray  # (n, n_conditions) float32, physical units (log10 for distance)
    log10_pga: np.ndarray  # (n, 3) float32
    record_ids: list[str]


@dataclass
class TrainingSet:
    path: Path
    waveforms: np.ndarray
    condition_names: tuple[str, ...]
    train: Split
    val: Split
    manifest_sha256: str | None
    excluded: list[dict[str, Any]] = field(default_factory=list)
    imputed: dict[str, Any] = field(default_factory=dict)

    @property
    def length(self) -> int:
        return int(self.waveforms.shape[-1])

    def read(self, rows: np.ndarray) -> np.ndarray:
        """float32 waveforms of the given rows (in the given order)."""
        order = np.argsort(rows, kind="stable")
        batch = np.empty((len(rows), 3, self.length), dtype=np.float32)
        batch[order] = self.waveforms[rows[order]]
        return batch


def _column(table: pd.DataFrame, name: str, path: Path) -> np.ndarray:
    if name not in table.columns:
        raise FormatError(path, None, f"a column {name!r}", "no such column", field=name)
    return pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=np.float64)


def condition_matrix(
    table: pd.DataFrame, names: Iterable[str], path: Path | str = "<table>"
) -> np.ndarray:
    """(n, len(names)) float64 model inputs from record-table columns (log10 of distance)."""
    path = Path(path)
    columns = []
    for name in names:
        values = _column(table, CONDITION_COLUMNS[name], path)
        if name == "log10_distance_km":
            with np.errstate(invalid="ignore"):
                values = np.log10(np.maximum(values, MIN_DISTANCE_KM))
        columns.append(values)
    if not columns:
        return np.zeros((len(table), 0))
    return np.stack(columns, axis=1)


def scenario_matrix(scenarios: Any, names: tuple[str, ...], n: int) -> np.ndarray:
    """Model inputs for ``generate``: one dict of physical values for all n samples, a list of
    n dicts, or a DataFrame with the record table's columns."""
    if not names:
        return np.zeros((n, 0))
    if isinstance(scenarios, pd.DataFrame):
        matrix = condition_matrix(scenarios, names)
    else:
        items = [scenarios] * n if isinstance(scenarios, Mapping) else list(scenarios or [])
        if len(items) != n:
            raise ConfigError(f"give one scenario or {n} scenarios, not {len(items)}")
        rows = []
        for item in items:
            row = []
            for name in names:
                key = next((k for k in SCENARIO_KEYS[name] if k in item), None)
                if key is None:
                    raise ConfigError(
                        f"this model is conditioned on {list(names)}; the scenario lacks "
                        f"{SCENARIO_KEYS[name][0]!r} (given: {sorted(item)})"
                    )
                value = float(item[key])
                if name == "log10_distance_km":
                    value = float(np.log10(max(value, MIN_DISTANCE_KM)))
                row.append(value)
            rows.append(row)
        matrix = np.asarray(rows, dtype=np.float64)
    if len(matrix) != n:
        raise ConfigError(f"give one scenario or {n} scenarios, not {len(matrix)}")
    if not np.isfinite(matrix).all():
        raise ConfigError("scenario values must be finite numbers")
    return matrix


def physical_scenarios(matrix: np.ndarray, names: tuple[str, ...]) -> list[dict[str, float]]:
    """The inverse of ``scenario_matrix`` for one-dict-per-sample records (JSON-friendly)."""
    out = []
    for row in np.asarray(matrix):
        item = {}
        for name, value in zip(names, row, strict=True):
            if name == "log10_distance_km":
                item["distance_km"] = round(float(10**value), 4)
            else:
                item[SCENARIO_KEYS[name][0]] = round(float(value), 4)
        out.append(item)
    return out


def _sha256(path: Path) -> str | None:
    """The SHA-256 of a file, None when there is no such file."""
    from seisgan_core.fsutil import file_sha256

    return file_sha256(path) if path.is_file() else None


def _open_waveforms(wave_path: Path) -> np.ndarray:
    """``waveforms.npy`` memory-mapped after :func:`~seisgan_core.io.npy.open_npy`'s header
    checks, and required to be float32 shaped (N, 3, length)."""
    waveforms = open_npy(wave_path)
    if waveforms.ndim != 3 or waveforms.shape[1] != 3 or waveforms.dtype != np.float32:
        raise FormatError(
            wave_path,
            None,
            "float32 array shaped (N, 3, 8000)",
            f"{waveforms.dtype} {waveforms.shape}",
        )
    return waveforms


def _read_records(rec_path: Path, n_waveforms: int) -> pd.DataFrame:
    """``records.parquet`` with the columns training needs, row indices inside the waveform
    array and splits among train/val/test; a FormatError naming the field otherwise."""
    try:
        table = pd.read_parquet(rec_path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise FormatError(rec_path, None, "a Parquet table", str(exc)) from exc
    for col in ("row", "split", *PGA_COLUMNS):
        if col not in table.columns:
            raise FormatError(rec_path, None, f"a column {col!r}", "no such column", field=col)
    rows = table["row"].to_numpy()
    bad = (rows < 0) | (rows >= n_waveforms)
    if bad.any():
        raise FormatError(
            rec_path,
            None,
            f"row indices in [0, {n_waveforms})",
            f"{rows[bad][:5].tolist()}",
            field="row",
        )
    splits = set(table["split"].astype(str))
    if not splits <= {"train", "val", "test"}:
        raise FormatError(
            rec_path, None, "split in train/val/test", str(sorted(splits)), field="split"
        )
    return table


def _impute_vs30(
    cond: np.ndarray, names: tuple[str, ...], is_train: np.ndarray, rec_path: Path
) -> dict[str, Any]:
    """Fill missing Vs30 conditions (in place) with the median of the training records'
    Vs30: a station without a measured Vs30 is common. Returns what was imputed."""
    if "vs30_m_s" not in names:
        return {}
    j = names.index("vs30_m_s")
    missing = ~np.isfinite(cond[:, j])
    if not missing.any():
        return {}
    train_values = cond[is_train & ~missing, j]
    if len(train_values) == 0:
        raise FormatError(rec_path, None, "Vs30 values", "none finite", field="vs30_m_s")
    median = float(np.median(train_values))
    cond[missing, j] = median
    return {"vs30_m_s": {"records": int(missing.sum()), "value": median}}


def _finite_waveforms(
    waveforms: np.ndarray, rows: np.ndarray, used: np.ndarray, chunk: int
) -> np.ndarray:
    """Per table row, whether its waveform is all finite (checked for ``used`` rows only,
    in chunks read with one sorted index each; the others are reported finite)."""
    finite = np.ones(len(rows), dtype=bool)
    for start in range(0, len(used), chunk):
        idx = used[start : start + chunk]
        block = waveforms[np.sort(rows[idx])]
        ok = np.isfinite(block).all(axis=(1, 2))
        # ok is in sorted-row order: each record's rank among the chunk's rows finds its own
        finite[idx] = ok[np.argsort(np.argsort(rows[idx], kind="stable"), kind="stable")]
    return finite


def _excluded_records(
    used: np.ndarray,
    finite: np.ndarray,
    pga: np.ndarray,
    cond: np.ndarray,
    record_ids: list[str],
    rows: np.ndarray,
) -> list[dict[str, Any]]:
    """The used records that cannot be trained on, each with its reasons: a waveform, a
    log10 PGA or a condition that is not finite."""
    excluded = []
    for i in used:
        reasons = []
        if not finite[i]:
            reasons.append("waveform has NaN or infinite samples")
        if not np.isfinite(pga[i]).all():
            reasons.append("log10 PGA is not finite")
        if cond.shape[1] and not np.isfinite(cond[i]).all():
            reasons.append("a condition is missing or not finite")
        if reasons:
            excluded.append(
                {"record_id": record_ids[i], "row": int(rows[i]), "reason": "; ".join(reasons)}
            )
    return excluded


def load_training_set(
    path: str | Path, conditions: Iterable[str] = (), *, chunk: int = 256
) -> TrainingSet:
    """Open ``waveforms.npy`` (memory-mapped) and ``records.parquet``; select train and val."""
    path = Path(path)
    names = tuple(c for c in CONDITION_NAMES if c in tuple(conditions))
    wave_path, rec_path = path / "waveforms.npy", path / "records.parquet"
    for p in (wave_path, rec_path):
        if not p.is_file():
            raise FormatError(p, None, "a prepared training set file", "no such file")
    waveforms = _open_waveforms(wave_path)
    table = _read_records(rec_path, len(waveforms))
    rows = table["row"].to_numpy()
    cond = condition_matrix(table, names, rec_path)
    imputed = _impute_vs30(cond, names, (table["split"] == "train").to_numpy(), rec_path)
    pga = table[list(PGA_COLUMNS)].to_numpy(dtype=np.float64)
    record_ids = (
        table["record_id"].astype(str).tolist()
        if "record_id" in table.columns
        else [str(r) for r in rows]
    )
    used = np.flatnonzero(table["split"].isin(["train", "val"]).to_numpy())
    finite = _finite_waveforms(waveforms, rows, used, chunk)
    excluded = _excluded_records(used, finite, pga, cond, record_ids, rows)
    bad_rows = {e["row"] for e in excluded}
    keep = np.array([int(r) not in bad_rows for r in rows])

    def split(name: str) -> Split:
        mask = (table["split"] == name).to_numpy() & keep
        return Split(
            rows=rows[mask].astype(np.int64),
            conditions=cond[mask].astype(np.float32),
            log10_pga=pga[mask].astype(np.float32),
            record_ids=[record_ids[i] for i in np.flatnonzero(mask)],
        )

    return TrainingSet(
        path=path,
        waveforms=waveforms,
        condition_names=names,
        train=split("train"),
        val=split("val"),
        manifest_sha256=_sha256(path / "manifest.json"),
        excluded=excluded,
        imputed=imputed,
    )
