"""The one record table every reader maps to, and selection on it.

One row per three-component record. Units are in the column names where a number has one.
Missing values are NaN (or None for text), never invented: a missing Mw stays missing.
"""

from __future__ import annotations

# name -> (pandas dtype, description with unit)
RECORD_COLUMNS: dict[str, tuple[str, str]] = {
    "record_id": ("string", "unique id: EVENT_ID.NETWORK.STATION.LOCATION.STREAM-prefix"),
    "event_id": ("string", "event identifier as the archive gives it (ITACA/ESM/QuakeML)"),
    "event_time": ("datetime64[ns, UTC]", "origin time, UTC"),
    "event_latitude": ("float64", "epicentre latitude, degrees north"),
    "event_longitude": ("float64", "epicentre longitude, degrees east"),
    "event_depth_km": ("float64", "hypocentral depth, km"),
    "mw": ("float64", "moment magnitude (NaN where the archive gives none)"),
    "ml": ("float64", "local magnitude"),
    "network": ("string", "FDSN network code"),
    "station": ("string", "station code"),
    "location": ("string", "location code ('' where none)"),
    "station_latitude": ("float64", "degrees north"),
    "station_longitude": ("float64", "degrees east"),
    "vs30_m_s": ("float64", "time-averaged shear-wave velocity of the top 30 m, m/s"),
    "ec8_class": ("string", "Eurocode 8 site class (A-E), None where unknown"),
    "epicentral_distance_km": ("float64", "epicentral distance, km"),
    "sampling_rate_hz": ("float64", "samples per second"),
    "npts": ("Int64", "samples per component"),
    "components": ("string", "component letters in E, N, Z order, e.g. 'E,N,Z' or '2,3,Z'"),
    "pga_cm_s2": ("float64", "largest absolute horizontal peak ground acceleration, cm/s^2"),
    "source_format": ("string", "esm_ascii | asdf | itaca_flatfile | esm_flatfile | itaca_legacy"),
    "source_path": ("string", "file the record was read from (zip members as zip::member)"),
}
