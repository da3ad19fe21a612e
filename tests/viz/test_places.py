"""The gazetteer: nearest town, distance and bearing on known coordinates."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seisgan_core.viz.places import Place, compass_point, nearest_place


def _haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def test_laquila_is_found_within_5_km():
    place = nearest_place(42.35, 13.40)
    assert (place.town, place.region, place.country) == ("L'Aquila", "Abruzzo", "Italy")
    assert place.distance_km < 5.0
    assert place.population > 15_000


@pytest.mark.parametrize(
    ("lat", "lon", "town", "compass"),
    [
        (42.87, 13.21, "Norcia", "NE"),  # 2016 Norcia-Visso sequence area, NE of the town
        (44.85, 11.09, "Medolla", "E"),  # 2012 Emilia, beside Medolla
        (38.12, 13.36, "Palermo", None),
    ],
)
def test_nearest_town_bearing_and_distance(lat, lon, town, compass):
    place = nearest_place(lat, lon)
    assert place.town == town
    if compass is not None:
        assert place.compass == compass
    # the distance is the great circle from the town's own coordinates, within the
    # sphere-versus-ellipsoid difference (< 0.5 %)
    from seisgan_core.viz import places as module

    entries, _ = module._gazetteer(1000)
    town_entry = next(e for e in entries if e["city"] == town and e["country_code"] == "IT")
    expected = _haversine_km(town_entry["latitude"], town_entry["longitude"], lat, lon)
    assert place.distance_km == pytest.approx(expected, rel=5e-3, abs=0.05)


def test_nearest_is_the_great_circle_minimum_over_the_whole_gazetteer():
    # brute force over every place, at latitudes where a degree of longitude is much
    # shorter than a degree of latitude (a nearest-in-degrees search would differ there)
    from seisgan_core.viz import places as module

    entries, _ = module._gazetteer(1000)
    lat = np.radians([e["latitude"] for e in entries])
    lon = np.radians([e["longitude"] for e in entries])
    rng = np.random.default_rng(7)
    points = np.column_stack([rng.uniform(36, 70, 25), rng.uniform(-10, 30, 25)])
    for plat, plon in points:
        p1, l1 = np.radians(plat), np.radians(plon)
        a = np.sin((lat - p1) / 2) ** 2 + np.cos(p1) * np.cos(lat) * np.sin((lon - l1) / 2) ** 2
        brute = 2 * 6371.0 * np.arcsin(np.sqrt(a))
        place = nearest_place(float(plat), float(plon))
        assert place.distance_km == pytest.approx(brute.min(), rel=5e-3, abs=0.05)


@pytest.mark.parametrize(
    ("azimuth", "point"),
    [
        (0, "N"),
        (22.4, "N"),
        (22.6, "NE"),
        (45, "NE"),
        (90, "E"),
        (180, "S"),
        (270, "W"),
        (337.6, "N"),
        (359.9, "N"),
        (-45, "NW"),
        (405, "NE"),
    ],
)
def test_compass_points(azimuth, point):
    assert compass_point(azimuth) == point


def test_describe_says_in_the_town_within_a_kilometre():
    near = Place("Norcia", "Umbria", "Italy", 2964, 0.4, 10.0)
    assert near.describe() == "in Norcia (Umbria, Italy)"
    far = Place("Norcia", None, "Italy", 2964, 12.4, 44.0)
    assert far.describe() == "12 km NE of Norcia (Italy)"


def test_non_finite_coordinates_have_no_place():
    assert nearest_place(float("nan"), 13.0) is None
    assert nearest_place(42.0, float("inf")) is None


def test_a_smaller_gazetteer_skips_villages():
    # Norcia has fewer than 5,000 inhabitants: with that floor the nearest is another town
    assert nearest_place(42.79, 13.09, min_population=1000).town == "Norcia"
    assert nearest_place(42.79, 13.09, min_population=5000).town != "Norcia"
