"""Field conventions every reader shares: missing words, EC8 classes, plausible ranges and the
order of horizontal components (one copy, used by the ASCII, flat-file, ASDF and ITACA 1.x
readers and the record table)."""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "EC8_CLASSES",
    "HORIZONTAL_RANK",
    "MISSING_WORDS",
    "PLAUSIBLE",
    "ec8_letter",
    "epicentral_distance_km",
    "horizontal_order",
    "is_missing",
]

# what archives write for "no value" (empty, None, unknown, NaN, dashes...), compared lower-case
MISSING_WORDS = frozenset({"", "none", "unknown", "nan", "null", "n/a", "na", "-", "--", "?"})

# plausible ranges of the numbers a record table holds: outside them a value is an error
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "latitude": (-90.0, 90.0),
    "longitude": (-180.0, 360.0),
    "depth": (-10.0, 800.0),
    "magnitude": (-3.0, 10.5),
    "distance": (0.0, 20100.0),
    "vs30": (0.0, 5000.0),
}

# Eurocode 8 ground types (A-E and the special S1, S2); ESM writes inferred classes as 'C*'
EC8_CLASSES = frozenset({"A", "B", "C", "D", "E", "S1", "S2"})

# SEED: E/N geographic horizontals first, then 1/2/3 (orthogonal, not north/east)
HORIZONTAL_RANK = {"E": 0, "N": 1, "1": 2, "2": 3, "3": 4}


def is_missing(value: str) -> bool:
    """True for the words archives write where a value is missing."""
    return value.strip().lower() in MISSING_WORDS


def ec8_letter(value: Any) -> str | None:
    """The EC8 class (A-E, S1, S2) from a header, flat-file cell or StationXML attribute
    ('B*' -> 'B'); None where missing or not a class."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip().upper().rstrip("*").strip()
    return text if text in EC8_CLASSES else None


def horizontal_order(letters: list[str]) -> list[str]:
    """The horizontal letters of ``letters`` (all but Z) in E, N, 1, 2, 3 order, unknown last."""
    return sorted((c for c in letters if c != "Z"), key=lambda c: HORIZONTAL_RANK.get(c, 9))


def epicentral_distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on the WGS84 ellipsoid (ObsPy), km; NaN where a coordinate is
    missing."""
    if not all(isinstance(v, float | int) and math.isfinite(v) for v in (lat1, lon1, lat2, lon2)):
        return math.nan
    from obspy.geodetics import gps2dist_azimuth

    return gps2dist_azimuth(lat1, lon1, lat2, lon2)[0] / 1000.0
