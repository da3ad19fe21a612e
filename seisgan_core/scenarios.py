"""The scenarios a conditioned run was trained on, and whether a requested one lies inside.

A generator conditioned on Mw, distance, depth and Vs30 has only seen the training split's
records: outside their range it extrapolates. ``training_ranges`` reads that range from the
prepared set's ``records.parquet`` (train split, earthquake records); ``outside`` says which
values of a scenario fall beyond it, in words; ``describe`` names scenarios for a message;
``scenario_table`` keeps the records usable as generation scenarios.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "COLUMNS",
    "LABELS",
    "describe",
    "gmm_spectrum",
    "in_bin",
    "outside",
    "plain_number",
    "scenario_table",
    "training_ranges",
    "training_ranges_of",
]

# scenario key -> record-table column
COLUMNS = {
    "mw": "mw",
    "distance_km": "epicentral_distance_km",
    "depth_km": "event_depth_km",
    "vs30_m_s": "vs30_m_s",
}
LABELS = {
    "mw": "Mw",
    "distance_km": "R_epi (km)",
    "depth_km": "depth (km)",
    "vs30_m_s": "Vs30 (m/s)",
}


def training_ranges(records: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """(min, max) of each scenario value over the training split's earthquake records."""
    table = records
    if "split" in table:
        table = table[(table["split"].astype(str) == "train").to_numpy(dtype=bool)]
    if "kind" in table:
        table = table[(table["kind"].fillna("earthquake") == "earthquake").to_numpy(dtype=bool)]
    ranges = {}
    for key, column in COLUMNS.items():
        if column not in table:
            continue
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if values.size:
            ranges[key] = (float(values.min()), float(values.max()))
    return ranges


def training_ranges_of(config: Mapping, project: Path | None = None) -> dict[str, tuple]:
    """The ranges of the prepared set a run's ``config.json`` names (``data.path``), or {}
    where that set is not on this machine."""
    text = (config.get("data") or {}).get("path")
    if not text:
        return {}
    path = Path(text)
    if not path.is_absolute() and project is not None:
        path = project / path
    records = path / "records.parquet"
    if not records.is_file():
        return {}
    return training_ranges(pd.read_parquet(records))


def plain_number(value: float, digits: int = 3) -> str:
    """``digits`` significant figures without an exponent: 1230 for 1234.5 (not 1.23e+03),
    0.581, 6.1, 254."""
    return np.format_float_positional(
        float(value), precision=digits, unique=True, fractional=False, trim="-"
    )


def outside(scenario: Mapping[str, float], ranges: Mapping[str, tuple]) -> list[str]:
    """One phrase per value beyond the training range, e.g. 'Mw 9.5 above 6.1 (max)'."""
    found = []
    for key, value in scenario.items():
        if key not in ranges or value is None or not math.isfinite(float(value)):
            continue
        lo, hi = ranges[key]
        label = LABELS.get(key, key)
        if float(value) > hi:
            found.append(f"{label} {float(value):g} above the training maximum {plain_number(hi)}")
        elif float(value) < lo:
            found.append(f"{label} {float(value):g} below the training minimum {plain_number(lo)}")
    return found


def describe(scenarios: Sequence[Mapping[str, float]]) -> str:
    """'Mw 5.1, R_epi (km) 23, ...; Mw 4.6, ...' for a message (scenario values only)."""
    return "; ".join(
        ", ".join(
            f"{LABELS[k]} {float(v):.3g}" for k, v in s.items() if k in LABELS and v is not None
        )
        for s in scenarios
    )


def gmm_spectrum(
    mw: float, rjb_km: float, vs30_m_s: float, periods: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """BSSA14's (Italy) median PSA (cm/s², 5 % damping, RotD50) and total sigma (ln units)
    at ``periods`` for one scenario, through ``seisgan_core.evaluation.gmm_residuals``."""
    from seisgan_core.evaluation import gmm_residuals

    row = pd.DataFrame(
        {"event_id": ["scenario"], "mw": [mw], "vs30_m_s": [vs30_m_s], "rjb_km": [rjb_km]}
    )
    median, sigma = [], []
    for period in periods:
        out = gmm_residuals(row, f"SA({float(period):g})", observed=np.ones(1))
        median.append(float(out["median"].iloc[0]))
        sigma.append(float(out["sigma"].iloc[0]))
    return np.asarray(median), np.asarray(sigma)


def in_bin(
    table: pd.DataFrame, mw: tuple[float, float], distance_km: tuple[float, float]
) -> np.ndarray:
    """Rows whose Mw lies in [lo, hi) and R_epi in [lo, hi): one bin of a Mw-distance grid."""
    m = pd.to_numeric(table["mw"], errors="coerce").to_numpy(dtype=float)
    r = pd.to_numeric(table["epicentral_distance_km"], errors="coerce").to_numpy(dtype=float)
    return (m >= mw[0]) & (m < mw[1]) & (r >= distance_km[0]) & (r < distance_km[1])


def scenario_table(records: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Records usable as generation scenarios for a model conditioned on ``columns``
    (record-table names, as ``seisgan_core.train.data.CONDITION_COLUMNS`` maps them).

    A missing Vs30 (common: many stations have none measured) becomes the median Vs30 of the
    training split, the rule the trainer applies (``seisgan_core.train.data``); a record
    missing any other condition (Mw, distance, depth) is left out.
    """
    records = records.copy()
    if "vs30_m_s" in columns and records["vs30_m_s"].isna().any():
        train = records["split"].astype(str) == "train" if "split" in records else True
        known = records.loc[train & records["vs30_m_s"].notna(), "vs30_m_s"]
        if len(known):
            records["vs30_m_s"] = records["vs30_m_s"].fillna(float(known.median()))
    return records.dropna(subset=list(columns)) if columns else records
