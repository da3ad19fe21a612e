"""A leakage-free train/validation/test split of a record table.

Records are split by event, never by record: every record of an event lands in one split.
Events close in space and time (a sequence: epicentres within ``cluster_km`` and origin times
within ``cluster_days``, linked transitively, i.e. single-linkage clusters) land in the same
split too, so that aftershocks of a training mainshock never test the model. Clusters are
assigned so that the shares of records come close to the fractions overall and within each
magnitude bin (stratified by the cluster's largest Mw): largest clusters first, then single
moves while they improve the fit; the order of equal clusters is shuffled with the seed.
The reference study split 80/10/10 "with no events from the same or nearby locations on both
sides"; these are its defaults.
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
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(events)
    times = pd.to_datetime(events["event_time"], utc=True)
    seconds = (times - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds().to_numpy()
    lat = events["event_latitude"].to_numpy(dtype=float)
    lon = events["event_longitude"].to_numpy(dtype=float)
    valid = np.isfinite(seconds) & np.isfinite(lat) & np.isfinite(lon)
    idx = np.flatnonzero(valid)
    order = idx[np.argsort(seconds[idx], kind="stable")]
    window_s = cluster_days * 86400.0
    sorted_s = seconds[order]
    # Sweep in time: each event is compared with the later ones within the time window only;
    # the links form a graph whose connected components are the single-linkage clusters.
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for k, i in enumerate(order):
        end = np.searchsorted(sorted_s, sorted_s[k] + window_s, side="right")
        later = order[k + 1 : end]
        if later.size == 0:
            continue
        near = later[_haversine_km(lat[i], lon[i], lat[later], lon[later]) <= cluster_km]
        rows.append(np.full(near.size, i))
        cols.append(near)
    i_idx = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    j_idx = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    graph = coo_matrix((np.ones(i_idx.size), (i_idx, j_idx)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
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
        cluster_split = _greedy_assign(clusters, fractions, rng)
        _hold_out_every_bin(clusters, cluster_split, fractions)
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
        station_split = _greedy_assign(groups, fractions, rng)
        out.loc[no_event, "split"] = stations.map(station_split)
    return out


def _hold_out_every_bin(clusters: pd.DataFrame, split: dict, fractions: np.ndarray) -> None:
    """Every Mw bin with at least three clusters gets one in val and one in test (where those
    fractions are not zero): the bin's smallest cluster of the split holding most of its
    clusters moves into the missing one. Changes ``split`` in place."""
    wanted = [name for name, f in zip(SPLITS, fractions, strict=True) if f > 0 and name != "train"]
    for stratum, members in clusters.groupby("stratum"):
        if stratum < 0 or len(members) < 3:
            continue
        for target in wanted:
            where = pd.Series({key: split[key] for key in members.index})
            if (where == target).any():
                continue
            donor = where.value_counts().idxmax()
            candidates = members.loc[where.index[where == donor], "n_records"]
            split[candidates.sort_values(kind="stable").index[0]] = target


_STRATUM_WEIGHT = 1.0  # weight of the per-Mw-bin shares against the overall shares
_MAX_PASSES = 50


def _pairwise_sum(values: list[float]) -> float:
    """The sum NumPy's ``np.add.reduce`` gives for a float64 array of ``values`` (its pairwise
    summation: one running sum below 8 values, 8 interleaved ones up to 128, halves above),
    in plain floats: the local search below computes its misfit some 170,000 times on arrays
    of a few dozen values, where NumPy's per-call overhead was four fifths of the time."""
    n = len(values)
    if n < 8:
        res = 0.0
        for v in values:
            res += v
        return res
    if n <= 128:
        r0, r1, r2, r3, r4, r5, r6, r7 = values[:8]
        stop = n - n % 8
        for i in range(8, stop, 8):
            r0 += values[i]
            r1 += values[i + 1]
            r2 += values[i + 2]
            r3 += values[i + 3]
            r4 += values[i + 4]
            r5 += values[i + 5]
            r6 += values[i + 6]
            r7 += values[i + 7]
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        for i in range(stop, n):
            res += values[i]
        return res
    half = n // 2
    half -= half % 8
    return _pairwise_sum(values[:half]) + _pairwise_sum(values[half:])


class _Shares:
    """Records per split, overall and per Mw bin (stratum), as plain floats, and the misfit
    of those shares against their targets (:meth:`cost`)."""

    def __init__(self, target: np.ndarray, stratum_target: np.ndarray) -> None:
        self.live = [int(j) for j in np.flatnonzero(target > 0)]  # the splits the misfit counts
        self.target = [float(t) for t in target]
        self.stratum_target = stratum_target.tolist()
        self.total = [0.0] * len(self.target)
        self.by_stratum = [[0.0] * len(self.target) for _ in self.stratum_target]

    def cost(self) -> float:
        """Squared misfit of the overall shares and of every Mw bin's, each record counted
        relative to its split's overall target (so small bins do not dominate): the same
        operations, in the same order, as NumPy on the arrays would do (tests/test_split.py
        checks it against that form)."""
        total, target, live = self.total, self.target, self.live
        overall = [d * d for d in [(total[j] - target[j]) / target[j] for j in live]]
        # Split by split, bin by bin: NumPy's boolean column selection below gives a
        # column-major array, and its sum runs through it in memory order.
        per_bin = [
            d * d
            for d in [
                (row[j] - want[j]) / target[j]
                for j in live
                for row, want in zip(self.by_stratum, self.stratum_target, strict=True)
            ]
        ]
        return _pairwise_sum(overall) + _STRATUM_WEIGHT * _pairwise_sum(per_bin)

    def add(self, stratum: int, size: float, split: int) -> None:
        self.total[split] += size
        self.by_stratum[stratum][split] += size

    def remove(self, stratum: int, size: float, split: int) -> None:
        self.total[split] -= size
        self.by_stratum[stratum][split] -= size

    def shift(self, stratum: int, size: float, src: int, dst: int) -> None:
        """Move ``size`` records of ``stratum`` from split ``src`` to split ``dst``."""
        self.total[src] -= size
        self.total[dst] += size
        row = self.by_stratum[stratum]
        row[src] -= size
        row[dst] += size


def _greedy_assign(
    groups: pd.DataFrame, fractions: np.ndarray, rng: np.random.Generator, restarts: int = 16
) -> dict:
    """Assign groups (clusters) of ``n_records`` to splits, keeping each group whole.

    Largest first, each to the split that least increases the misfit of the overall shares
    and of its Mw bin's shares; then single moves between splits while any lowers the
    misfit. Sequences are lumpy, so this runs from ``restarts`` orders (the first by size,
    the others by size jittered with the seeded generator) and keeps the best fit.
    """
    sizes = groups["n_records"].to_numpy(dtype=float)
    _, strata = np.unique(groups["stratum"].to_numpy(), return_inverse=True)
    n_strata = int(strata.max()) + 1 if len(strata) else 0
    stratum_totals = np.bincount(strata, weights=sizes, minlength=n_strata)
    target = fractions * sizes.sum()
    stratum_target = stratum_totals[:, None] * fractions[None, :]
    live = [int(j) for j in np.flatnonzero(fractions > 0)]  # the splits groups may go to
    tiebreak = groups["tiebreak"].to_numpy()
    best_choice, best_cost = None, np.inf
    for attempt in range(restarts):
        jitter = np.ones(len(sizes)) if attempt == 0 else rng.lognormal(0.0, 0.5, len(sizes))
        order = np.lexsort((tiebreak, -sizes * jitter))
        shares = _Shares(target, stratum_target)
        choice, cost = _assign_once(sizes.tolist(), strata.tolist(), shares, live, order.tolist())
        if cost < best_cost - 1e-12:
            best_choice, best_cost = choice, cost
    return {key: SPLITS[c] for key, c in zip(groups.index, best_choice, strict=True)}


def _assign_once(sizes: list, strata: list, shares: _Shares, live: list, order: list):
    choice = [-1] * len(sizes)
    for i in order:
        best, best_cost = live[0], np.inf
        for j in live:
            shares.add(strata[i], sizes[i], j)
            cost = shares.cost()
            shares.remove(strata[i], sizes[i], j)
            if cost < best_cost - 1e-12:
                best, best_cost = j, cost
        choice[i] = best
        shares.add(strata[i], sizes[i], best)
    current = shares.cost()
    for _ in range(_MAX_PASSES):
        current, improved = _move_pass(sizes, strata, shares, live, order, choice, current)
        current, improved_swap = _swap_pass(sizes, strata, shares, order, choice, current)
        if not (improved or improved_swap):
            break
    return choice, current


def _move_pass(sizes, strata, shares: _Shares, live, order, choice, current):
    """One pass of single moves: each group to another split where that lowers the misfit.
    Updates ``choice`` and ``shares`` in place; returns (cost, improved).

    A move's misfit depends only on (Mw bin, from, to, size) and the shares, so one that
    failed is not tried again until a move is taken (:func:`_swap_pass` says why that is
    exact)."""
    improved = False
    failed: set = set()
    for i in order:
        a = choice[i]
        for j in live:
            if j == a or (strata[i], a, j, sizes[i]) in failed:
                continue
            shares.shift(strata[i], sizes[i], a, j)
            cost = shares.cost()
            if cost < current - 1e-12:
                choice[i], current, a, improved = j, cost, j, True
                failed.clear()
            else:
                shares.shift(strata[i], sizes[i], j, a)
                failed.add((strata[i], a, j, sizes[i]))
    return current, improved


def _swap_pass(sizes, strata, shares: _Shares, order, choice, current):
    """One pass of swaps between two groups of the same Mw bin in different splits, where that
    lowers the misfit: a single move cannot trade a large held-out sequence for a smaller one
    of its bin (the largest sequences of a bin stay in training when a smaller one holds the
    bin out as well). Updates in place; returns (cost, improved).

    The pairs are those of the full double loop over ``order``, in its order, but each group
    meets only the groups of its own bin (the others were skipped). A swap changes the shares
    by the size difference alone: sizes are record counts, so the shares are whole numbers,
    exact in floats, and two swaps of one bin between the same two splits with the same
    difference give the same shares, bit for bit, hence the same misfit. One that failed is
    not tried again until a swap is taken (the shares are those it failed on): the same
    choices as trying every pair, with a fraction of the misfits computed (quadratic in the
    number of groups otherwise: 8 of the 18 s of preparing 4,000 records).
    """
    improved = False
    same_bin: dict = {}
    for k in order:
        same_bin.setdefault(strata[k], []).append(k)
    failed: set = set()
    for i in order:
        for k in same_bin[strata[i]]:
            a, b = choice[i], choice[k]
            if a == b or sizes[i] == sizes[k]:
                continue
            key = (strata[i], a, b, sizes[i] - sizes[k])
            if key in failed:
                continue
            shares.shift(strata[i], sizes[i], a, b)
            shares.shift(strata[k], sizes[k], b, a)
            cost = shares.cost()
            if cost < current - 1e-12:
                choice[i], choice[k], current, improved = b, a, cost, True
                failed.clear()
            else:
                shares.shift(strata[k], sizes[k], a, b)
                shares.shift(strata[i], sizes[i], b, a)
                failed.add(key)
    return current, improved


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
