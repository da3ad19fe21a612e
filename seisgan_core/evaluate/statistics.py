"""The reference study's statistics of a set of waveforms (its Tables 5.2 and 5.3)."""

from __future__ import annotations

import numpy as np
import scipy.stats

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
    per_comp = np.moveaxis(a, 1, 0).reshape(a.shape[1], -1).astype(np.float64)
    return {
        "min": per_comp.min(axis=1).tolist(),
        "max": per_comp.max(axis=1).tolist(),
        "mean": per_comp.mean(axis=1).tolist(),
        "std": per_comp.std(axis=1).tolist(),
        "skewness": scipy.stats.skew(per_comp, axis=1).tolist(),
    }
