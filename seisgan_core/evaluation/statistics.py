"""The reference study's statistics of a set of waveforms (its Tables 5.2 and 5.3)."""

from __future__ import annotations

import numpy as np

from seisgan_core.evaluation._arrays import as_float_array

__all__ = ["COMPONENTS", "study_statistics"]

COMPONENTS = ("E", "N", "Z")


def study_statistics(x: np.ndarray) -> dict[str, list[float]]:
    """Min, max, mean, std and skewness per component over all records and samples.

    ``x``: (n_records, n_components, n_samples) or (n_components, n_samples), any unit (the
    study used its normalised waveforms). Returns ``{"min": [...], "max": [...], "mean",
    "std", "skewness"}``, one value per component in E, N, Z order: the layout of the
    ``stats`` entries of metrics.jsonl (docs/contracts.md, section 3). Skewness is the
    Fisher-Pearson coefficient (scipy.stats.skew, biased).
    """
    a = as_float_array(x, "x")
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3:
        raise ValueError(f"x: expected (n_records, n_components, n_samples), found {a.shape}")
    out: dict[str, list[float]] = {k: [] for k in ("min", "max", "mean", "std", "skewness")}
    for c in range(a.shape[1]):
        values = a[:, c].astype(np.float64).ravel()
        mean = values.mean()
        dev = values - mean
        m2 = np.mean(dev * dev)
        # Fisher-Pearson skewness m3 / m2^1.5, as scipy.stats.skew(bias=True) computes it.
        m3 = np.mean(dev * dev * dev)
        out["min"].append(float(values.min()))
        out["max"].append(float(values.max()))
        out["mean"].append(float(mean))
        out["std"].append(float(np.sqrt(m2)))
        out["skewness"].append(float(m3 / m2**1.5) if m2 > 0 else 0.0)
    return out


def _record_moments(x: np.ndarray) -> np.ndarray:
    """Per record and component (float64): mean, M2, M3 (sums of squared and cubed deviations
    from the record's own mean), min and max; shape (5, n_records, n_components).

    Computed on a block of records that sits in cache; :func:`_pooled_statistics` combines
    them into :func:`study_statistics`'s values for the set, raw or z-scored.
    """
    a = x.astype(np.float64, copy=False)  # read only: a float64 block is used as it is
    mean = a.mean(axis=-1)
    dev = a - mean[..., None]
    sq = dev * dev
    m2 = sq.sum(axis=-1)
    sq *= dev
    m3 = sq.sum(axis=-1)
    return np.stack([mean, m2, m3, a.min(axis=-1), a.max(axis=-1)])


def _pooled_statistics(
    moments: np.ndarray, n_samples: int, normalised: bool = False
) -> dict[str, list[float]]:
    """:func:`study_statistics` of a whole set from its :func:`_record_moments`.

    Records are groups of equal size T; with d_k the deviation of record k's mean from the
    pooled mean, M2 = sum M2_k + T sum d_k^2 and M3 = sum M3_k + 3 sum d_k M2_k + T sum d_k^3
    (the pairwise update of Chan, Golub & LeVeque 1979, eq. 2.1, with Pebay 2008, Sandia
    report SAND2008-6212, eq. 2.1 for M3, summed over groups), which keeps the accuracy of
    deviations from each record's mean. ``normalised``: statistics of the records z-scored
    one by one (x - mean_k) / std_k, as ``_zscore`` in the panel; a record with std 0
    becomes zeros there.
    """
    mean_k, m2_k, m3_k, lo_k, hi_k = moments
    t = float(n_samples)
    if normalised:
        std_k = np.sqrt(m2_k / t)
        scale = np.where(std_k > 0, std_k, 1.0)
        m2_k = np.where(std_k > 0, t, 0.0)
        m3_k = np.where(std_k > 0, m3_k / scale**3, 0.0)
        lo_k = np.where(std_k > 0, (lo_k - mean_k) / scale, 0.0)
        hi_k = np.where(std_k > 0, (hi_k - mean_k) / scale, 0.0)
        mean_k = np.zeros_like(mean_k)
    n = t * mean_k.shape[0]
    mean = mean_k.mean(axis=0)
    d = mean_k - mean
    m2 = m2_k.sum(axis=0) + t * (d * d).sum(axis=0)
    m3 = m3_k.sum(axis=0) + 3.0 * (d * m2_k).sum(axis=0) + t * (d * d * d).sum(axis=0)
    var = m2 / n
    skew = np.where(var > 0, (m3 / n) / np.where(var > 0, var, 1.0) ** 1.5, 0.0)
    return {
        "min": [float(v) for v in lo_k.min(axis=0)],
        "max": [float(v) for v in hi_k.max(axis=0)],
        "mean": [float(v) for v in mean],
        "std": [float(v) for v in np.sqrt(var)],
        "skewness": [float(v) for v in skew],
    }
