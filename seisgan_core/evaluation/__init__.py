"""Measures of realism on numpy arrays: statistics, spectra, intensity measures, GMM residuals.

Pure functions, batched over records (the last axis is time). Units are in each docstring;
accelerations in cm/s^2 where units matter. The whole panel is :func:`panel.evaluate`; the
fidelity scorecard (every line with its real-vs-real baseline and verdict) is
:func:`scorecard.build_scorecard`.

Names are attached with ``lazy_loader`` and loaded on first use, so ``seisgan evaluate`` can
answer a cached call without importing NumPy and SciPy.
"""

from __future__ import annotations

import lazy_loader

from seisgan_core.evaluation._version import PANEL_VERSION

__getattr__, __dir__, _exported = lazy_loader.attach(
    __name__,
    submod_attrs={
        "augmentation": ["augmentation_utility", "real_only_accuracies"],
        "fidelity": ["anderson_gof", "fas_band_errors_db"],
        "frechet": ["frechet_distance", "spectral_features"],
        "gmm": ["gmm_residuals"],
        "intensity": [
            "arias_intensity",
            "cav",
            "envelope",
            "pga",
            "pgv",
            "pgv_arias_cav_duration",
            "significant_duration",
        ],
        "response": ["psa", "rotd50"],
        "scorecard": ["Scorecard", "build_scorecard"],
        "similarity": ["dtw_distance", "max_cross_correlation", "nearest_real"],
        "spectra": ["fas", "psd"],
        "statistics": ["study_statistics"],
    },
)
__all__ = ["PANEL_VERSION", *_exported]
