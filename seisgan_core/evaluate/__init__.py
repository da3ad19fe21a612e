"""Measures of realism on numpy arrays: statistics, spectra, intensity measures, GMM residuals.

Pure functions, batched over records (the last axis is time). Units are in each docstring;
accelerations in cm/s^2 where units matter. The whole panel is :func:`panel.evaluate`.
"""

from seisgan_core.evaluate.augmentation import augmentation_utility
from seisgan_core.evaluate.frechet import frechet_distance, spectral_features
from seisgan_core.evaluate.gmm import gmm_residuals
from seisgan_core.evaluate.intensity import (
    arias_intensity,
    cav,
    envelope,
    pga,
    pgv,
    significant_duration,
)
from seisgan_core.evaluate.response import psa, rotd50
from seisgan_core.evaluate.similarity import dtw_distance, max_cross_correlation, nearest_real
from seisgan_core.evaluate.spectra import fas, psd
from seisgan_core.evaluate.statistics import study_statistics

__all__ = [
    "arias_intensity",
    "augmentation_utility",
    "cav",
    "dtw_distance",
    "envelope",
    "fas",
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
