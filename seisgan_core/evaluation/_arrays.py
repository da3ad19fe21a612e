"""Shape helpers shared by the measures: every measure works on the last axis (time)."""

from __future__ import annotations

import numpy as np

from seisgan_core.errors import ConfigError, DataError


def as_float_array(x: np.ndarray, name: str = "acc") -> np.ndarray:
    """Return ``x`` as a floating array (float16 is widened to float32, ints to float64).

    Raises DataError (a ValueError) naming the argument when ``x`` is empty or holds
    non-finite values, so that a bad sample file fails with a message instead of a NaN deep in
    a spectrum.
    """
    arr = np.asarray(x)
    if arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    elif not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise DataError(
            f"{name}: expected an array with samples on the last axis, found {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name}: expected finite values, found NaN or infinity")
    return arr


def check_dt(dt: float) -> float:
    dt = float(dt)
    if not dt > 0:
        raise ConfigError(f"dt: expected a positive time step in s, found {dt}")
    return dt
