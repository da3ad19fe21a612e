"""Plausibility bounds and acceleration units shared by every reader.

A reader checks what a header or a dataset declares against these bounds *before* it
allocates anything from it, so a small hostile or damaged file cannot take gigabytes of
memory downstream (prepare resamples every record to its own rate, so a 100 s sampling
interval or a year-long record would grow there). Each check raises
:class:`~seisgan_core.io.errors.FormatError` naming the file, the field, the bound and the
value found.

Bounds (strong-motion accelerographs sample at 20-1000 Hz and records last seconds to
minutes; the bounds leave an order of magnitude on each side):

- sampling interval between :data:`MIN_SAMPLING_INTERVAL_S` (10 kHz) and
  :data:`MAX_SAMPLING_INTERVAL_S` (1 Hz);
- record duration at most :data:`MAX_DURATION_S` (4 hours);
- samples per component at most :data:`MAX_NPTS` (10 million: 80 MB as float64);
- first-sample and origin years between :data:`MIN_YEAR` and :data:`MAX_YEAR` (pandas holds
  nanosecond times from 1677 to 2262; strong-motion recording began in the 1930s).
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from pathlib import Path

from seisgan_core.io.errors import FormatError

__all__ = [
    "MAX_DURATION_S",
    "MAX_NPTS",
    "MAX_SAMPLING_INTERVAL_S",
    "MAX_YEAR",
    "MIN_SAMPLING_INTERVAL_S",
    "MIN_YEAR",
    "acceleration_factor",
    "check_date",
    "check_npts",
    "check_sampling_interval",
    "check_sampling_rate",
]

MIN_SAMPLING_INTERVAL_S = 1e-4
MAX_SAMPLING_INTERVAL_S = 1.0
MAX_DURATION_S = 4 * 3600.0
MAX_NPTS = 10_000_000
MIN_YEAR = 1800
MAX_YEAR = 2200

Where = str | Path


def check_sampling_interval(
    dt: float,
    path: Where,
    line: int | None,
    field: str,
    what: str = "sampling interval",
    raw: str | None = None,
) -> float:
    """``dt`` (s) if it is a finite interval within the bounds, else FormatError (``raw``: the
    header text, quoted in the error)."""
    if not (
        isinstance(dt, int | float)
        and math.isfinite(dt)
        and MIN_SAMPLING_INTERVAL_S <= dt <= MAX_SAMPLING_INTERVAL_S
    ):
        raise FormatError(
            path,
            line,
            f"a positive {what} between {MIN_SAMPLING_INTERVAL_S:g} and "
            f"{MAX_SAMPLING_INTERVAL_S:g} s (sampling-interval bound)",
            repr(dt if raw is None else raw),
            field=field,
        )
    return float(dt)


def check_sampling_rate(rate: float, path: Where, line: int | None, field: str) -> float:
    """``rate`` (Hz) if it is finite and within the bounds (1 Hz to 10 kHz), else FormatError."""
    if not (
        isinstance(rate, int | float)
        and math.isfinite(rate)
        and 1.0 / MAX_SAMPLING_INTERVAL_S <= rate <= 1.0 / MIN_SAMPLING_INTERVAL_S
    ):
        raise FormatError(
            path,
            line,
            f"a sampling rate between {1.0 / MAX_SAMPLING_INTERVAL_S:g} and "
            f"{1.0 / MIN_SAMPLING_INTERVAL_S:g} Hz (sampling-rate bound)",
            repr(rate),
            field=field,
        )
    return float(rate)


def check_npts(npts: float, dt: float, path: Where, line: int | None, field: str) -> int:
    """``npts`` as int if it is a whole count within the sample and duration bounds."""
    if not (isinstance(npts, int | float) and math.isfinite(npts) and npts == int(npts)):
        raise FormatError(path, line, "a whole number of samples", repr(npts), field=field)
    count = int(npts)
    if not 0 <= count <= MAX_NPTS:
        raise FormatError(
            path,
            line,
            f"at most {MAX_NPTS} samples per component (sample-count bound)",
            f"{count}",
            field=field,
        )
    if count * dt > MAX_DURATION_S:
        raise FormatError(
            path,
            line,
            f"a record of at most {MAX_DURATION_S:g} s (duration bound)",
            f"{count} samples at {dt:g} s = {count * dt:g} s",
            field=field,
        )
    return count


def check_date(value: datetime | None, path: Where, line: int | None, field: str):
    """``value`` unless its year is outside [MIN_YEAR, MAX_YEAR] (None passes)."""
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise FormatError(
            path,
            line,
            f"a year between {MIN_YEAR} and {MAX_YEAR} (date bound)",
            str(value.year),
            field=field,
        )
    return value


# ------------------------------------------------------------------------------------- units

STANDARD_GRAVITY_CM_S2 = 980.665  # 9.80665 m/s^2, CGPM 1901
_LENGTH_CM = {"km": 1e5, "m": 100.0, "cm": 1.0, "mm": 0.1, "um": 1e-4, "µm": 1e-4, "nm": 1e-7}
_GAL = {"gal": 1.0, "gals": 1.0, "mgal": 1e-3, "kgal": 1e3}
_G = {"g": STANDARD_GRAVITY_CM_S2, "mg": STANDARD_GRAVITY_CM_S2 * 1e-3}
_COUNTS = {"counts", "count", "cnt", "cnts", "digits", "du", "adc"}
_PER_S2 = ("/s^2", "/s2", "s^-2", "s-2", "/s/s", "/(s^2)")
_PER_S = ("/s", "s^-1", "s-1")


def _normalise_unit(text: str) -> str:
    unit = text.strip().lower().replace(" ", "").replace("**", "^").replace("·", "")
    unit = re.sub(r"sec(ond)?s?", "s", unit)
    unit = unit.replace("microm", "um").replace("μm", "um")
    return unit


def _split_length(unit: str, suffixes: tuple[str, ...]) -> str | None:
    for suffix in suffixes:
        if unit.endswith(suffix):
            return unit[: -len(suffix)].rstrip("/")
    return None


def acceleration_factor(unit: str | None, path: Where, line: int | None, field: str) -> float:
    """The factor from ``unit`` to cm/s^2; FormatError for anything that is not acceleration.

    Understood: any length over seconds squared (``m/s^2``, ``cm/s2``, ``mm/s**2``,
    ``m s-2``, ``cm/sec/sec``), ``gal`` and ``mgal``, ``g`` and ``mg`` (standard gravity).
    Refused with their own reason: counts (uncalibrated), velocity (``cm/s``) and
    displacement (``cm``). An empty unit is taken as cm/s^2 (the DYNA default).
    """
    if unit is None or not unit.strip():
        return 1.0
    norm = _normalise_unit(unit)
    if norm in _GAL:
        return _GAL[norm]
    if norm in _G:
        return _G[norm]
    length = _split_length(norm, _PER_S2)
    if length in _LENGTH_CM:
        return _LENGTH_CM[length]
    if norm in _COUNTS:
        found = f"{unit!r}: raw counts, not a calibrated acceleration"
    elif _split_length(norm, _PER_S) in _LENGTH_CM:
        found = f"{unit!r}: a velocity unit, not an acceleration"
    elif norm in _LENGTH_CM:
        found = f"{unit!r}: a displacement unit, not an acceleration"
    else:
        found = f"{unit!r}: not a unit of acceleration this project knows"
    raise FormatError(
        path,
        line,
        "an acceleration unit (m/s^2, cm/s^2, mm/s^2, gal, g...)",
        found,
        field=field,
    )
