"""What the Data page says about events, records and distances: tables and labels, no Streamlit.

Events are named the way a seismologist names them (origin time, place, Mw, depth, mechanism
where the table has one); an event's records are listed by distance with their station, EC8
class and PGA; three distances are given with the approximation each uses:

* epicentral R_epi: the archive's, great circle from the epicentre to the station;
* hypocentral R_hypo = sqrt(R_epi^2 + depth^2) (point source at the hypocentre);
* Joyner-Boore R_JB (closest distance to the surface projection of the rupture): the
  archive's ``rjb_km`` where the table has it, otherwise R_JB ~ max(R_epi - L/2, 0) with the
  subsurface rupture length L of Wells and Coppersmith (1994, all slip types,
  log10 L = -2.44 + 0.59 Mw) centred on the epicentre and pointing at the station: a lower
  bound that equals R_epi below Mw ~ 5 (L < 3 km).

BSSA14 (Boore et al. 2014) takes R_JB; the selection bounds and the catalogue's distance
figures use R_epi.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import cache, lru_cache

import numpy as np
import pandas as pd

from seisgan_core.viz.places import nearest_place

__all__ = [
    "DISTANCE_NOTES",
    "clicked_feature",
    "event_label",
    "event_records",
    "events_table",
    "rupture_length_km",
    "with_distances",
]

DISTANCE_NOTES = {
    "epicentral_distance_km": "R_epi, km: the archive's epicentral distance (selection bounds)",
    "hypocentral_distance_km": "R_hypo, km: sqrt(R_epi² + depth²)",
    "rjb_km": (
        "R_JB, km: the archive's where given, else max(R_epi − L/2, 0) with L from Wells and "
        "Coppersmith (1994); BSSA14 uses R_JB"
    ),
}


def rupture_length_km(mw: np.ndarray | float) -> np.ndarray:
    """Subsurface rupture length (km), Wells and Coppersmith (1994), all slip types."""
    return 10.0 ** (-2.44 + 0.59 * np.asarray(mw, dtype=float))


def with_distances(table: pd.DataFrame) -> pd.DataFrame:
    """The table with ``hypocentral_distance_km`` and ``rjb_km`` (see the module's notes)."""
    repi = table["epicentral_distance_km"].to_numpy(dtype=float, na_value=np.nan)
    depth = table["event_depth_km"].to_numpy(dtype=float, na_value=np.nan)
    mw = table["mw"].to_numpy(dtype=float, na_value=np.nan)
    approx = np.maximum(repi - np.nan_to_num(rupture_length_km(mw), nan=0.0) / 2.0, 0.0)
    if "rjb_km" in table:
        given = table["rjb_km"].to_numpy(dtype=float, na_value=np.nan)
        approx = np.where(np.isfinite(given), given, approx)
    return table.assign(hypocentral_distance_km=np.hypot(repi, depth), rjb_km=approx)


@cache
def _land() -> tuple[object, tuple[float, float, float, float]] | None:
    """The union of the Natural Earth outline's countries and its bounds, or None."""
    from shapely import union_all
    from shapely.geometry import shape

    from seisgan_core.viz.maps import load_outline

    features = (load_outline() or {}).get("features", [])
    if not features:
        return None
    land = union_all([shape(f["geometry"]) for f in features])
    return land, land.bounds


def _offshore(lat: float, lon: float) -> bool:
    """Whether the point lies at sea: inside the outline's extent, outside every country."""
    from shapely.geometry import Point

    land = _land()
    if land is None:
        return False
    geometry, (west, south, east, north) = land
    inside_extent = west <= lon <= east and south <= lat <= north
    return inside_extent and not geometry.contains(Point(lon, lat))


@lru_cache(maxsize=65536)
def place_name(lat: float, lon: float) -> str:
    """The epicentre by its nearest town (GeoNames, 1,000 inhabitants or more) with distance,
    bearing, region and country: '12 km NE of Norcia (Umbria, Italy)'; at sea (outside every
    country of the map's outline) 'offshore, 25 km E of Ancona (The Marches, Italy)'."""
    if not (np.isfinite(lat) and np.isfinite(lon)):
        return "location unknown"
    place = nearest_place(float(lat), float(lon))
    if place is None:
        return "location unknown"
    name = place.describe()
    return f"offshore, {name}" if _offshore(float(lat), float(lon)) else name


def events_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per earthquake (noise windows have none), largest Mw first: origin time,
    place, Mw, depth, mechanism (where the table has a ``mechanism`` column), records."""
    kind = table["kind"].fillna("earthquake") if "kind" in table else None
    quakes = table if kind is None else table[(kind == "earthquake").to_numpy(dtype=bool)]
    agg = {
        "time": ("event_time", "first"),
        "lat": ("event_latitude", "first"),
        "lon": ("event_longitude", "first"),
        "depth_km": ("event_depth_km", "first"),
        "mw": ("mw", "first"),
        "records": ("record_id", "size"),
    }
    if "mechanism" in quakes:
        agg["mechanism"] = ("mechanism", "first")
    events = quakes.groupby("event_id").agg(**agg)
    events["place"] = [
        place_name(float(a), float(b))
        for a, b in zip(
            events["lat"].to_numpy(dtype=float, na_value=np.nan),
            events["lon"].to_numpy(dtype=float, na_value=np.nan),
            strict=True,
        )
    ]
    return events.sort_values(["mw", "time"], ascending=[False, True], na_position="last")


def _known(value: object) -> bool:
    return (
        value is not None
        and value is not pd.NA
        and not (isinstance(value, float) and math.isnan(value))
    )


def event_label(row: Mapping[str, object]) -> str:
    """'2012-05-29 07:00:03 UTC · 2 km E of Medolla (Emilia-Romagna, Italy) · Mw 6.1 ·
    10 km deep · 49 records'."""
    time = row.get("time")
    when = pd.Timestamp(time).strftime("%Y-%m-%d %H:%M:%S UTC") if _known(time) else "time unknown"
    mw = row.get("mw")
    depth = row.get("depth_km")
    parts = [
        when,
        str(row.get("place", "")),
        f"Mw {float(mw):.1f}" if _known(mw) else "Mw unknown",
        f"{float(depth):.0f} km deep" if _known(depth) else "depth unknown",
    ]
    mechanism = row.get("mechanism")
    if _known(mechanism) and str(mechanism).strip():
        parts.append(str(mechanism).strip())
    parts.append(f"{int(row.get('records', 0))} records")
    return " · ".join(p for p in parts if p)


EVENT_RECORD_COLUMNS = {
    "record_id": "record",
    "station_code": "station",
    "epicentral_distance_km": "R_epi (km)",
    "hypocentral_distance_km": "R_hypo (km)",
    "rjb_km": "R_JB (km)",
    "ec8_class": "EC8",
    "vs30_m_s": "Vs30 (m/s)",
    "pga_cm_s2": "PGA (cm/s²)",
}


def event_records(
    table: pd.DataFrame, *, event_id: str | None = None, station: str | None = None
) -> pd.DataFrame:
    """The records of one event (or one station, ``NET.STA``), nearest first, with their
    station, three distances, EC8 class, Vs30 and PGA under the names a seismologist reads."""
    codes = table["network"].astype(str) + "." + table["station"].astype(str)
    keep = np.ones(len(table), dtype=bool)
    if event_id is not None:
        keep &= (table["event_id"].astype(str) == str(event_id)).to_numpy(dtype=bool)
    if station is not None:
        keep &= (codes == station).to_numpy(dtype=bool)
    rows = with_distances(table[keep].assign(station_code=codes[keep]))
    rows = rows.sort_values("epicentral_distance_km", na_position="last")
    return (
        rows[list(EVENT_RECORD_COLUMNS)]
        .rename(columns=EVENT_RECORD_COLUMNS)
        .round(
            {"R_epi (km)": 1, "R_hypo (km)": 1, "R_JB (km)": 1, "Vs30 (m/s)": 0, "PGA (cm/s²)": 2}
        )
    )


def _nearest(points: dict, lat: float, lon: float) -> dict | None:
    best, best_d = None, math.inf
    scale = math.cos(math.radians(lat))
    for feature in points.get("features", []):
        f_lon, f_lat = feature["geometry"]["coordinates"][:2]
        d = (f_lat - lat) ** 2 + ((f_lon - lon) * scale) ** 2
        if d < best_d:
            best, best_d = feature, d
    return best


def clicked_feature(returned: Mapping | None, points: dict) -> tuple[str, str] | None:
    """What a click on the map selected: ``("event", event_id)`` or ``("station", NET.STA)``.

    ``returned`` is st_folium's answer: the clicked marker's GeoJSON feature
    (``last_active_drawing``) where the browser sent it, else the marker nearest the clicked
    point (``last_object_clicked``, a circle marker's centre); None when nothing was clicked.
    """
    if not returned:
        return None
    feature = returned.get("last_active_drawing")
    props = feature.get("properties", {}) if isinstance(feature, Mapping) else {}
    if not props.get("kind"):
        where = returned.get("last_object_clicked")
        if not isinstance(where, Mapping) or where.get("lat") is None:
            return None
        nearest = _nearest(points, float(where["lat"]), float(where["lng"]))
        props = nearest["properties"] if nearest else {}
    if props.get("kind") == "event" and props.get("event_id"):
        return "event", str(props["event_id"])
    if props.get("kind") == "station" and props.get("station"):
        return "station", str(props["station"])
    return None


def click_signature(returned: Mapping | None) -> str:
    """A key that changes with each new click (st_folium repeats its last answer on reruns)."""
    if not returned:
        return ""
    return json.dumps(
        [returned.get("last_object_clicked"), returned.get("last_object_clicked_count")],
        sort_keys=True,
        default=str,
    )
