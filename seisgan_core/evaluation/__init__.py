"""Measures of realism on numpy arrays: statistics, spectra, intensity measures, GMM residuals.

Pure functions, batched over records (the last axis is time). Units are in each docstring;
accelerations in cm/s^2 where units matter. The whole panel is :func:`panel.evaluate`; the
fidelity scorecard (every line with its real-vs-real baseline and verdict) is
:func:`scorecard.build_scorecard`.

Names are loaded on first use (PEP 562), so ``seisgan evaluate`` can answer a cached call
without importing NumPy and SciPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from seisgan_core.evaluation._version import PANEL_VERSION

_PUBLIC = {
    "Scorecard": "scorecard",
    "anderson_gof": "fidelity",
    "arias_intensity": "intensity",
    "augmentation_utility": "augmentation",
    "build_scorecard": "scorecard",
    "cav": "intensity",
    "dtw_distance": "similarity",
    "envelope": "intensity",
    "fas": "spectra",
    "fas_band_errors_db": "fidelity",
    "frechet_distance": "frechet",
    "gmm_residuals": "gmm",
    "max_cross_correlation": "similarity",
    "nearest_real": "similarity",
    "pga": "intensity",
    "pgv": "intensity",
    "psa": "response",
    "psd": "spectra",
    "rotd50": "response",
    "significant_duration": "intensity",
    "spectral_features": "frechet",
    "study_statistics": "statistics",
}

__all__ = [
    "PANEL_VERSION",
    "Scorecard",
    "anderson_gof",
    "arias_intensity",
    "augmentation_utility",
    "build_scorecard",
    "cav",
    "dtw_distance",
    "envelope",
    "fas",
    "fas_band_errors_db",
    "frechet_distance",
    "gmm_residuals",
    "max_cross_correlation",
    "nearest_real",
    "pga",
    "pgv",
    "psa",
    "psd",
    "rotd50",
    "significant_duration",
    "spectral_features",
    "study_statistics",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from seisgan_core.evaluation.augmentation import augmentation_utility
    from seisgan_core.evaluation.fidelity import anderson_gof, fas_band_errors_db
    from seisgan_core.evaluation.frechet import frechet_distance, spectral_features
    from seisgan_core.evaluation.gmm import gmm_residuals
    from seisgan_core.evaluation.intensity import (
        arias_intensity,
        cav,
        envelope,
        pga,
        pgv,
        significant_duration,
    )
    from seisgan_core.evaluation.response import psa, rotd50
    from seisgan_core.evaluation.scorecard import Scorecard, build_scorecard
    from seisgan_core.evaluation.similarity import dtw_distance, max_cross_correlation, nearest_real
    from seisgan_core.evaluation.spectra import fas, psd
    from seisgan_core.evaluation.statistics import study_statistics


def __getattr__(name: str):
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'seisgan_core.evaluation' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"seisgan_core.evaluation.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
