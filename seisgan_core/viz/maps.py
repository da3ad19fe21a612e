"""Offline folium maps of events and stations: data in, map (or its HTML) out.

Nothing is loaded from the internet: no tile layer (``tiles=None``), the committed Natural
Earth outline of Italy and its neighbours drawn as a GeoJSON layer, and Leaflet's JavaScript
and CSS served by the app itself from ``static/`` (Streamlit's static serving at
``/app/static/``) instead of folium's CDN defaults. Events and stations are ONE GeoJSON layer
of circle markers drawn on a canvas, so ITACA's 2,531 events and 1,696 stations stay fluid.
Marker styles are binned (Mw in half units, Vs30 in EC8's bounds) so that folium's per-style
switch in JavaScript stays short.
"""

from __future__ import annotations

import html
import json
import math
from functools import cache
from importlib import resources
from typing import Any

import folium
import numpy as np
import pandas as pd

__all__ = [
    "EC8_COLOURS",
    "MW_BINS",
    "SPLIT_COLOURS",
    "build_map",
    "event_station_lines",
    "focus_on",
    "legend",
    "load_outline",
    "map_html",
    "records_geojson",
]

# Viridis at 8 stops (Smith and van der Walt 2015, matplotlib's default colour map): readable
# for colour-blind viewers and in grey scale. One colour per half unit of Mw from 3.0.
_VIRIDIS_8 = [
    "#440154",
    "#46327e",
    "#365c8d",
    "#277f8e",
    "#1fa187",
    "#4ac16d",
    "#a0da39",
    "#fde725",
]
MW_BINS = np.arange(3.0, 7.01, 0.5)  # edges: 3.0-3.5, ..., 6.5-7.0 (and beyond, the last)

# EC8 ground types (CEN 2004, EN 1998-1 Table 3.1), from rock (A) to soft soil (E).
EC8_COLOURS = {
    "A": "#1b9e77",
    "B": "#66a61e",
    "C": "#e6ab02",
    "D": "#d95f02",
    "E": "#e7298a",
    "unknown": "#9e9e9e",
}
# Vs30 bounds of the EC8 classes, m/s (EN 1998-1 Table 3.1): >800 A, 360-800 B, 180-360 C, <180 D.
_VS30_EDGES = (180.0, 360.0, 800.0)
_VS30_CLASS = ("D", "C", "B", "A")
SPLIT_COLOURS = {"train": "#1f77b4", "val": "#ff7f0e", "test": "#2ca02c"}

_ITALY_CENTRE = (42.0, 12.5)


@cache
def _outline_text() -> str | None:
    try:
        ref = resources.files("seisgan_core.resources").joinpath("italy.geojson")
        return ref.read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return None


def load_outline() -> dict | None:
    """The committed outline of Italy and its neighbours (Natural Earth 1:50m), or None."""
    text = _outline_text()
    return json.loads(text) if text is not None else None


def _mw_style(mw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Radius (px) and colour per event from Mw, in half-unit bins; unknown Mw is grey."""
    index = np.clip(np.floor((mw - 3.0) / 0.5), 0, len(_VIRIDIS_8) - 1)
    colours = np.array(_VIRIDIS_8, dtype=object)[np.nan_to_num(index, nan=0).astype(int)]
    colours[np.isnan(mw)] = "#9e9e9e"
    # Radius grows with Mw (area ~ 10^(0.5 Mw) would overwhelm the map; linear steps read well).
    radius = 3.0 + 1.5 * np.nan_to_num(index, nan=0)
    return radius, colours


def _ec8_from_vs30(vs30: np.ndarray) -> np.ndarray:
    classes = np.array(_VS30_CLASS, dtype=object)[np.searchsorted(_VS30_EDGES, vs30)]
    classes[np.isnan(vs30)] = "unknown"
    return classes


def _fmt(value: Any, spec: str, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "unknown"
    return f"{value:{spec}}{unit}"


def _point_feature(
    lon: float, lat: float, kind: str, key: tuple[str, Any], label: str, radius: float, colour: str
) -> dict:
    """A GeoJSON Point marker (coordinates in GeoJSON's lon, lat order) with the properties
    the map's style reads: ``kind``, its identifier (``key``: name, value), the tooltip
    ``label`` (HTML-escaped here), ``radius`` (px) and ``colour``."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
        "properties": {
            "kind": kind,
            key[0]: str(key[1]),
            "label": html.escape(label),
            "radius": float(radius),
            "colour": str(colour),
        },
    }


def _located(table: pd.DataFrame, by: str, columns: dict[str, str]) -> pd.DataFrame:
    """One row per value of ``by`` (sorted; missing values left out): the first value of each
    record-table column named in ``columns`` (result name -> column), ``n`` the number of
    records, and rows without ``lat`` or ``lon`` left out."""
    first = {name: (column, "first") for name, column in columns.items()}
    return (
        table.groupby(by, sort=True, dropna=True)
        .agg(**first, n=("record_id", "size"))
        .dropna(subset=["lat", "lon"])
    )


def _event_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per located ``event_id``: lat, lon, depth, mw, n (records) and, where the
    table has it, split."""
    columns = dict(lat="event_latitude", lon="event_longitude", depth="event_depth_km", mw="mw")
    if "split" in table.columns:
        columns["split"] = "split"
    return _located(table, "event_id", columns)


def _event_features(table: pd.DataFrame, colour_by: str) -> list[dict]:
    """Event markers sized by Mw and coloured by Mw, or by split (``colour_by="split"``)."""
    events = _event_table(table)
    radius, colours = _mw_style(events["mw"].to_numpy(dtype=float))
    has_split = "split" in events.columns
    if colour_by == "split" and has_split:
        colours = events["split"].map(SPLIT_COLOURS).fillna("#9e9e9e").to_numpy(dtype=object)
    splits = events["split"].astype(str).tolist() if has_split else [None] * len(events)
    features = []
    for event_id, lat, lon, depth, mw, n, split, r, c in zip(
        events.index,
        events["lat"],
        events["lon"],
        events["depth"],
        events["mw"],
        events["n"],
        splits,
        radius,
        colours,
        strict=True,
    ):
        label = (
            f"Event {event_id}: Mw {_fmt(mw, '.1f')}, depth {_fmt(depth, '.1f', ' km')}"
            f", {int(n)} records"
        )
        if has_split:
            label += f", split {split}"
        features.append(_point_feature(lon, lat, "event", ("event_id", event_id), label, r, c))
    return features


def _station_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per located NET.STA: lat, lon, vs30, ec8, n (records)."""
    keyed = table.assign(_station=table["network"].astype(str) + "." + table["station"].astype(str))
    columns = dict(
        lat="station_latitude", lon="station_longitude", vs30="vs30_m_s", ec8="ec8_class"
    )
    return _located(keyed, "_station", columns)


def _station_classes(stations: pd.DataFrame, colour_by: str) -> np.ndarray:
    """The EC8 letter (a key of :data:`EC8_COLOURS`) per station: the class its Vs30 falls
    in (``colour_by="vs30"``), or the first letter of its EC8 class (``"B*"`` -> ``"B"``;
    missing or not A-E -> ``"unknown"``)."""
    if colour_by == "vs30":
        return _ec8_from_vs30(stations["vs30"].to_numpy(dtype=float))
    letters = [str(c).strip()[:1].upper() if pd.notna(c) else "unknown" for c in stations["ec8"]]
    return np.array([c if c in EC8_COLOURS else "unknown" for c in letters], dtype=object)


def _station_features(table: pd.DataFrame, colour_by: str) -> list[dict]:
    """Station markers coloured by EC8 class, or by the class of their Vs30 (``"vs30"``)."""
    stations = _station_table(table)
    features = []
    for code, lat, lon, vs30, ec8, n, cls in zip(
        stations.index,
        stations["lat"],
        stations["lon"],
        stations["vs30"],
        stations["ec8"],
        stations["n"],
        _station_classes(stations, colour_by),
        strict=True,
    ):
        ec8_text = ec8 if isinstance(ec8, str) and ec8 else "unknown"
        label = (
            f"Station {code}: EC8 {ec8_text}, Vs30 {_fmt(vs30, '.0f', ' m/s')}, {int(n)} records"
        )
        colour = EC8_COLOURS[cls]
        features.append(_point_feature(lon, lat, "station", ("station", code), label, 3.0, colour))
    return features


def records_geojson(
    table: pd.DataFrame,
    *,
    event_colour_by: str = "mw",
    station_colour_by: str = "ec8_class",
    include_stations: bool = True,
) -> dict:
    """One GeoJSON FeatureCollection of events and stations from a record table.

    Events (one feature per ``event_id``) are sized and coloured by Mw, or coloured by
    ``split`` (``event_colour_by="split"``, for a prepared set's table). Stations (one per
    network.station) are coloured by EC8 class (``"ec8_class"``) or by the class their Vs30
    falls in (``"vs30"``). Each feature carries ``kind``, ``label`` (HTML-escaped text for the
    tooltip), ``radius``, ``colour`` and the numbers the label shows.
    """
    features: list[dict] = []
    if len(table) == 0:
        return {"type": "FeatureCollection", "features": features}
    features.extend(_event_features(table, event_colour_by))
    if include_stations:
        features.extend(_station_features(table, station_colour_by))
    return {"type": "FeatureCollection", "features": features}


def event_station_lines(table: pd.DataFrame, event_id: str) -> dict:
    """Lines from one event's epicentre to each station that recorded it (GeoJSON)."""
    rows = table[table["event_id"] == event_id].dropna(
        subset=["event_latitude", "event_longitude", "station_latitude", "station_longitude"]
    )
    lines = [
        [
            [float(r.event_longitude), float(r.event_latitude)],
            [float(r.station_longitude), float(r.station_latitude)],
        ]
        for r in rows.itertuples()
    ]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "MultiLineString", "coordinates": lines},
                "properties": {"kind": "paths", "event_id": str(event_id), "n": len(lines)},
            }
        ]
        if lines
        else [],
    }


def focus_on(
    table: pd.DataFrame, *, event_id: str | None = None, station: str | None = None
) -> tuple[dict | None, list[tuple[float, float]], list[list[float]] | None]:
    """Paths, ring and zoom for a chosen event (its stations) or station (its events).

    Returns ``(lines, highlight, focus)`` for :func:`build_map`: GeoJSON paths from the
    epicentre to each station (or from the station to each epicentre), the chosen point, and
    the bounds ([[south, west], [north, east]]) holding it and the other ends of its paths.
    """
    cols = ["event_latitude", "event_longitude", "station_latitude", "station_longitude"]
    codes = table["network"].astype(str) + "." + table["station"].astype(str)
    if event_id is not None:
        rows = table[(table["event_id"].astype(str) == str(event_id)).to_numpy(dtype=bool)]
        here = ("event_latitude", "event_longitude")
    elif station is not None:
        rows = table[(codes == station).to_numpy(dtype=bool)]
        here = ("station_latitude", "station_longitude")
    else:
        return None, [], None
    rows = rows.dropna(subset=cols)
    if rows.empty:
        return None, [], None
    coords = rows[cols].to_numpy(dtype=float)
    lines = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "MultiLineString",
                    "coordinates": [[[c[1], c[0]], [c[3], c[2]]] for c in coords],
                },
                "properties": {"kind": "paths", "n": len(coords)},
            }
        ],
    }
    lats = np.concatenate([coords[:, 0], coords[:, 2]])
    lons = np.concatenate([coords[:, 1], coords[:, 3]])
    point = (float(rows[here[0]].iloc[0]), float(rows[here[1]].iloc[0]))
    focus = [[float(lats.min()), float(lons.min())], [float(lats.max()), float(lons.max())]]
    return lines, [point], focus


def _point_style(feature: dict) -> dict:
    props = feature["properties"]
    station = props["kind"] == "station"
    return {
        "radius": props["radius"],
        "fill": True,
        "fillColor": props["colour"],
        "color": "#222222" if station else props["colour"],
        "weight": 1 if station else 0.5,
        "fillOpacity": 0.9 if station else 0.7,
    }


def build_map(
    points: dict,
    *,
    outline: dict | None = None,
    lines: dict | None = None,
    static_url: str = "/app/static",
    centre: tuple[float, float] | None = None,
    zoom_start: int = 6,
    legend: list[tuple[str, str]] | None = None,
    highlight: list[tuple[float, float]] | None = None,
    focus: list[list[float]] | None = None,
) -> folium.Map:
    """A folium map with no tiles, the outline, the points layer and optional paths.

    ``static_url`` is where the app serves ``static/leaflet/leaflet.{js,css}``; ``legend``
    lists (label, colour) pairs drawn in a box at the bottom left. ``highlight`` rings the
    chosen event or station (lat, lon) and ``focus`` ([[south, west], [north, east]]) is what
    the map zooms to instead of every point.
    """
    fmap = folium.Map(
        location=list(centre or _ITALY_CENTRE),
        zoom_start=zoom_start,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
    )
    # Only Leaflet itself: folium's defaults also pull jQuery, Bootstrap and Font Awesome from
    # CDNs, none of which a GeoJSON layer of circle markers needs.
    fmap.default_js = [("leaflet", f"{static_url}/leaflet/leaflet.js")]
    fmap.default_css = [("leaflet_css", f"{static_url}/leaflet/leaflet.css")]
    # Sea as a pale blue background: there are no tiles to draw it.
    fmap.get_root().header.add_child(
        folium.Element("<style>.leaflet-container { background: #dcebf5 !important; }</style>")
    )
    if outline is not None:
        folium.GeoJson(
            outline,
            name="outline",
            attribution="Outline: Natural Earth (public domain)",
            style_function=lambda _f: {
                "color": "#777777",
                "weight": 0.8,
                "fillColor": "#f2efe9",
                "fillOpacity": 1.0,
            },
            interactive=False,
        ).add_to(fmap)
    if lines is not None and lines["features"]:
        folium.GeoJson(
            lines,
            name="paths",
            style_function=lambda _f: {"color": "#d62728", "weight": 2.0, "opacity": 0.9},
            interactive=False,
        ).add_to(fmap)
    if points["features"]:
        folium.GeoJson(
            points,
            name="records",
            marker=folium.CircleMarker(),
            style_function=_point_style,
            # direction "auto" opens the tooltip towards the map's centre, so that a marker
            # near an edge keeps its label inside the map.
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False, direction="auto"),
        ).add_to(fmap)
        lons = [f["geometry"]["coordinates"][0] for f in points["features"]]
        lats = [f["geometry"]["coordinates"][1] for f in points["features"]]
        if focus is not None:
            fmap.fit_bounds(focus, padding=(30, 30), max_zoom=10)
        elif centre is None and len(points["features"]) > 1:
            fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(20, 20))
    for lat, lon in highlight or []:
        folium.CircleMarker(
            [lat, lon], radius=14, color="#d62728", weight=3, fill=False, interactive=False
        ).add_to(fmap)
    if legend:
        _add_legend(fmap, legend)
    return fmap


def _add_legend(fmap: folium.Map, legend: list[tuple[str, str]]) -> None:
    """A box of (label, colour) rows at the top right of the map."""
    rows = "".join(
        f'<div><span style="display:inline-block;width:10px;height:10px;border-radius:50%;'
        f'background:{html.escape(colour)};margin-right:4px"></span>{html.escape(label)}</div>'
        for label, colour in legend
    )
    fmap.get_root().html.add_child(
        folium.Element(
            '<div class="seisgan-legend" style="position:absolute;right:10px;top:10px;'
            "z-index:1000;background:rgba(255,255,255,0.85);padding:4px 6px;"
            f'font:11px sans-serif;border-radius:4px">{rows}</div>'
        )
    )


def legend(kind: str) -> list[tuple[str, str]]:
    """(label, colour) pairs for ``"mw"``, ``"ec8_class"``, ``"vs30"`` or ``"split"``."""
    if kind == "mw":
        return [
            (f"Mw {lo:.1f}" + ("+" if i == len(_VIRIDIS_8) - 1 else f"-{lo + 0.5:.1f}"), colour)
            for i, (lo, colour) in enumerate(zip(MW_BINS, _VIRIDIS_8, strict=False))
        ] + [("Mw unknown", "#9e9e9e")]
    if kind == "ec8_class":
        return [
            (f"EC8 {k}" if k != "unknown" else "EC8 unknown", c) for k, c in EC8_COLOURS.items()
        ]
    if kind == "vs30":
        edges = ("Vs30 > 800", "Vs30 360-800", "Vs30 180-360", "Vs30 < 180")
        return [
            *zip(edges, (EC8_COLOURS[k] for k in "ABCD"), strict=True),
            ("Vs30 unknown", EC8_COLOURS["unknown"]),
        ]
    if kind == "split":
        return list(SPLIT_COLOURS.items())
    raise ValueError(f"no legend for {kind!r}: mw, ec8_class, vs30 or split")


def map_html(fmap: folium.Map) -> str:
    """The map as one self-contained HTML page (scripts pointing at the app's static files)."""
    return fmap.get_root().render()
