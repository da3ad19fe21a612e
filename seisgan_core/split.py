"""A leakage-free train/validation/test split of a record table.

Records are split by event, never by record: every record of an event lands in one split.
Events close in space and time (a sequence: epicentres within ``cluster_km`` and origin times
within ``cluster_days``, linked transitively, i.e. single-linkage clusters) land in the same
split too, so that aftershocks of a training mainshock never test the model. Clusters are
assigned within magnitude bins (stratified by the cluster's largest Mw), largest clusters
first, each to the split furthest below its share of records; the order of equal clusters is
shuffled with the seed. The reference study split 80/10/10 "with no events from the same or
nearby locations on both sides"; these are its defaults.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["SPLITS", "assign_splits", "event_clusters", "split_summary"]

SPLITS = ("train", "val", "test")
DEFAULT_MW_BINS = (4.0, 4.5, 5.0, 5.5, 6.0)
_EARTH_RADIUS_KM = 6371.0


def _haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(np.asarray(lon2) - lon1) / 2) ** 2
    )
    return 2 * _EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _events(records: pd.DataFrame) -> pd.DataFrame:
    cols = ["event_id", "event_time", "event_latitude", "event_longitude", "mw"]
    have = records[records["event_id"].notna()]
    events = have[cols].drop_duplicates("event_id").reset_index(drop=True)
    return events


def event_clusters(
    events: pd.DataFrame, *, cluster_km: float = 10.0, cluster_days: float = 30.0
) -> np.ndarray:
    """Cluster label per event row: single-linkage on (distance <= km and |dt| <= days).

    ``events`` needs ``event_time``, ``event_latitude``, ``event_longitude``. Events with a
    missing time or position are clusters of their own. Labels are 0..K-1, in order of each
    cluster's earliest row.
    """
    n = len(events)
    parent = np.arange(n)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    times = pd.to_datetime(events["event_time"], utc=True)
    seconds = (times - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds().to_numpy()
    lat = events["event_latitude"].to_numpy(dtype=float)
    lon = events["event_longitude"].to_numpy(dtype=float)
    valid = np.isfinite(seconds) & np.isfinite(lat) & np.isfinite(lon)
    idx = np.flatnonzero(valid)
    order = idx[np.argsort(seconds[idx], kind="stable")]
    window_s = cluster_days * 86400.0
    sorted_s = seconds[order]
    # Sweep in time: each event is compared with the later ones within the time window only.
    for k, i in enumerate(order):
        end = np.searchsorted(sorted_s, sorted_s[k] + window_s, side="right")
        later = order[k + 1 : end]
        if later.size == 0:
            continue
        near = later[_haversine_km(lat[i], lon[i], lat[later], lon[later]) <= cluster_km]
        for j in near:
            ri, rj = find(i), find(int(j))
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)
    roots = np.array([find(i) for i in range(n)])
    _, labels = np.unique(roots, return_inverse=True)
    # Relabel in order of first appearance, so labels do not depend on union details.
    first: dict[int, int] = {}
    out = np.empty(n, dtype=np.int64)
    for i, lab in enumerate(labels):
        out[i] = first.setdefault(int(lab), len(first))
    return out


def assign_splits(
    records: pd.DataFrame,
    *,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    cluster_km: float = 10.0,
    cluster_days: float = 30.0,
    mw_bins: Sequence[float] = DEFAULT_MW_BINS,
    seed: int = 0,
) -> pd.DataFrame:
    """Return ``records`` with ``cluster_id`` and ``split`` (train / val / test) added.

    Records without an event (noise windows) are split by station, so that no station's noise
    is on both sides; their ``cluster_id`` is -1.
    """
    fractions = np.asarray(fractions, dtype=float)
    if fractions.shape != (3,) or (fractions < 0).any() or not np.isclose(fractions.sum(), 1.0):
        raise ValueError(
            f"fractions must be three non-negative numbers summing to 1, got {fractions.tolist()}"
        )
    if cluster_km < 0 or cluster_days < 0:
        raise ValueError("cluster_km and cluster_days must be non-negative")
    rng = np.random.default_rng(seed)
    out = records.copy()
    out["cluster_id"] = np.int64(-1)
    out["split"] = pd.Series(pd.NA, index=out.index, dtype="string")

    events = _events(out)
    if len(events):
        events["cluster_id"] = event_clusters(
            events, cluster_km=cluster_km, cluster_days=cluster_days
        )
        counts = out.groupby("event_id").size()
        events["n_records"] = events["event_id"].map(counts).to_numpy()
        clusters = events.groupby("cluster_id").agg(
            mw=("mw", "max"), n_records=("n_records", "sum")
        )
        edges = np.asarray(mw_bins, dtype=float)
        # Clusters without any Mw are a stratum of their own (-1).
        clusters["stratum"] = np.where(
            clusters["mw"].notna(), np.digitize(clusters["mw"].fillna(0.0), edges), -1
        )
        clusters["tiebreak"] = rng.permutation(len(clusters))
        cluster_split = _greedy_assign(clusters, fractions)
        events["split"] = events["cluster_id"].map(cluster_split)
        by_event = events.set_index("event_id")
        has_event = out["event_id"].notna()
        out.loc[has_event, "cluster_id"] = (
            out.loc[has_event, "event_id"].map(by_event["cluster_id"]).astype("int64")
        )
        out.loc[has_event, "split"] = out.loc[has_event, "event_id"].map(by_event["split"])

    no_event = out["event_id"].isna()
    if no_event.any():
        stations = (
            out.loc[no_event, "network"].astype(str)
            + "."
            + out.loc[no_event, "station"].astype(str)
        )
        groups = stations.value_counts().rename("n_records").to_frame()
        groups["stratum"] = 0
        groups["tiebreak"] = rng.permutation(len(groups))
        station_split = _greedy_assign(groups, fractions)
        out.loc[no_event, "split"] = stations.map(station_split)
    return out


def _greedy_assign(groups: pd.DataFrame, fractions: np.ndarray) -> dict:
    """Within each stratum, largest group first, to the split furthest below its share."""
    result: dict = {}
    for _, stratum in groups.groupby("stratum", sort=True):
        total = stratum["n_records"].sum()
        target = fractions * total
        filled = np.zeros(3)
        ordered = stratum.sort_values(["n_records", "tiebreak"], ascending=[False, True])
        for key, n in zip(ordered.index, ordered["n_records"], strict=True):
            deficit = (target - filled) / np.maximum(target, 1e-9)
            deficit[fractions == 0] = -np.inf
            choice = int(np.argmax(deficit))
            result[key] = SPLITS[choice]
            filled[choice] += n
    return result


def split_summary(records: pd.DataFrame) -> pd.DataFrame:
    """Per split: records, events, clusters, and the Mw and epicentral-distance distributions.

    One row per split present (train, val, test order), columns ``n_records``, ``n_events``,
    ``n_clusters``, ``mw_mean``, ``mw_median``, ``mw_min``, ``mw_max``, ``distance_km_mean``,
    ``distance_km_median``, ``distance_km_min``, ``distance_km_max``.
    """
    if "split" not in records:
        raise ValueError("records have no 'split' column; run assign_splits first")
    rows = []
    for name in SPLITS:
        part = records[records["split"] == name]
        if part.empty:
            continue
        mw = part["mw"].astype(float)  # per record, as the study's Mw histograms
        dist = part["epicentral_distance_km"].astype(float)
        rows.append(
            {
                "split": name,
                "n_records": len(part),
                "n_events": int(part["event_id"].nunique()),
                "n_clusters": int(part.loc[part["cluster_id"] >= 0, "cluster_id"].nunique())
                if "cluster_id" in part
                else np.nan,
                "mw_mean": mw.mean(),
                "mw_median": mw.median(),
                "mw_min": mw.min(),
                "mw_max": mw.max(),
                "distance_km_mean": dist.mean(),
                "distance_km_median": dist.median(),
                "distance_km_min": dist.min(),
                "distance_km_max": dist.max(),
            }
        )
    return pd.DataFrame(rows).set_index("split")
