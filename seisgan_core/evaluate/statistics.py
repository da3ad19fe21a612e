"""The reference study's statistics of a set of waveforms (its Tables 5.2 and 5.3)."""

from __future__ import annotations

import numpy as np

from seisgan_core.evaluate._arrays import as_float_array

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
