"""Measures of realism on numpy arrays: statistics, spectra, intensity measures, GMM residuals."""
