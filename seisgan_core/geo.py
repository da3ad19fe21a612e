"""Italy and its neighbours as shapely geometry: point in polygon and distance to a coast.

The outline is the committed Natural Earth one (``seisgan_core/resources/italy.geojson``:
Italy, San Marino and Vatican at 1:10 m, the neighbours at 1:50 m; see the README there).
Geometry is shapely's (GEOS): polygons with their holes, tested with the vectorised
``shapely.contains_xy`` on prepared geometry; distances are ``shapely.distance`` in a local
equirectangular projection, in km.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

__all__ = [
    "ITALY_CODES",
    "OUTLINE_PATH",
    "Country",
    "contains",
    "distance_to_rings_km",
    "read_outline",
]

OUTLINE_PATH = Path(__file__).parent / "resources" / "italy.geojson"
#: Italy with the states it surrounds, which the outline draws as holes in Italy.
ITALY_CODES = frozenset({"ITA", "SMR", "VAT"})
_ITALY_NAMES = frozenset({"Italy", "San Marino", "Vatican"})

# km per degree of latitude, and of longitude at the equator (the equirectangular scale)
_KM_PER_DEG_LAT = 110.57
_KM_PER_DEG_LON = 111.32


@dataclass(frozen=True)
class Country:
    """One feature of the outline: ISO 3166 alpha-3 code (upper case), name, and its land as
    a shapely (Multi)Polygon with holes, prepared for repeated point tests."""

    iso_a3: str
    name: str
    geometry: Any  # shapely Polygon or MultiPolygon

    @property
    def is_italian(self) -> bool:
        """Italy, San Marino or the Vatican (by code, or by name where the code is missing)."""
        return self.iso_a3 in ITALY_CODES or self.name in _ITALY_NAMES

    @property
    def exteriors(self) -> list[np.ndarray]:
        """The outer ring of each polygon, (n, 2) lon/lat arrays, closed."""
        return [np.asarray(p.exterior.coords)[:, :2] for p in shapely.get_parts(self.geometry)]


@lru_cache(maxsize=4)
def read_outline(path: str | Path = OUTLINE_PATH) -> tuple[Country, ...]:
    """The countries of a GeoJSON FeatureCollection of (Multi)Polygons (by default the
    committed outline), in file order; ``name``/``NAME`` and ``iso_a3``/``ISO_A3``
    properties are read. Cached per path."""
    with open(path, encoding="utf-8") as handle:
        collection = json.load(handle)
    countries = []
    for feature in collection["features"]:
        props = feature.get("properties") or {}
        geometry = shape(feature["geometry"])
        shapely.prepare(geometry)
        countries.append(
            Country(
                iso_a3=str(props.get("iso_a3") or props.get("ISO_A3") or "").upper(),
                name=str(props.get("name") or props.get("NAME") or ""),
                geometry=geometry,
            )
        )
    return tuple(countries)


def contains(geometries: Sequence[Any], lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Whether each point (lon, lat in degrees) lies inside any of ``geometries`` (a point
    on a boundary is not inside). Vectorised over points; geometries are prepared once."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    result = np.zeros(lon.shape, dtype=bool)
    for geometry in geometries:
        shapely.prepare(geometry)
        result |= shapely.contains_xy(geometry, lon, lat)
    return result


def distance_to_rings_km(
    lon: np.ndarray, lat: np.ndarray, rings: Sequence[np.ndarray]
) -> np.ndarray:
    """Shortest distance (km) from each point to any of ``rings`` ((n, 2) lon/lat arrays).

    Each ring is measured in its own equirectangular projection about its mean latitude:
    fine at the few-km scale of a coastal tolerance, not for long distances."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    best = np.full(lon.shape, np.inf)
    for ring in rings:
        ring = np.asarray(ring, dtype=float)
        km_lon = _KM_PER_DEG_LON * np.cos(np.radians(np.mean(ring[:, 1])))
        line = shapely.linestrings(ring[:, 0] * km_lon, ring[:, 1] * _KM_PER_DEG_LAT)
        points = shapely.points(lon * km_lon, lat * _KM_PER_DEG_LAT)
        best = np.minimum(best, shapely.distance(points, line))
    return best
