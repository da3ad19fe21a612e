"""Measures of realism on numpy arrays: statistics, spectra, intensity measures, GMM residuals.

Pure functions, batched over records (the last axis is time). Units are in each docstring;
accelerations in cm/s^2 where units matter. The whole panel is :func:`panel.evaluate`.
"""

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
from seisgan_core.evaluate.spectra import fas, psd
from seisgan_core.evaluate.statistics import study_statistics

__all__ = [
    "arias_intensity",
    "cav",
    "envelope",
    "fas",
    "gmm_residuals",
    "pga",
    "pgv",
    "psa",
    "psd",
    "rotd50",
    "significant_duration",
    "study_statistics",
]
