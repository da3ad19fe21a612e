"""Italy's outline through shapely (seisgan_core/geo.py) and catalog.in_italy on top of it.

The expected answers were computed by the implementation this replaced (matplotlib's Path
point in polygon and a numpy point-to-segment distance) on the same points, and pinned here.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from seisgan_core import geo
from seisgan_core.catalog import _outlines, in_italy

TOLERANCES_KM = (0.0, 1.0, 2.5)


def border_points(step: int = 7, offsets_km=(-3.0, -1.2, -0.8, -0.3, 0.3, 0.8, 1.2, 3.0)):
    """Points on both sides of every outline within Italy's box (coasts and land borders of
    Italy and its neighbours): every ``step``-th segment's midpoint moved along the segment's
    normal by each offset (km), rounded to 1e-6 degrees."""
    collection = json.loads(geo.OUTLINE_PATH.read_text(encoding="utf-8"))
    out = []
    for feature in collection["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                ring = np.asarray(ring, dtype=float)[:, :2]
                box = (ring[:, 0] > 6.0) & (ring[:, 0] < 19.0)
                box &= (ring[:, 1] > 35.0) & (ring[:, 1] < 47.5)
                a, b = ring[:-1][box[:-1]][::step], ring[1:][box[:-1]][::step]
                if len(a) == 0:
                    continue
                mid, d = (a + b) / 2, b - a
                km = np.column_stack(
                    [111.32 * np.cos(np.radians(mid[:, 1])), np.full(len(mid), 110.57)]
                )
                normal = np.column_stack([-d[:, 1] * km[:, 1], d[:, 0] * km[:, 0]])
                length = np.hypot(normal[:, 0], normal[:, 1])
                keep = length > 0
                unit = normal[keep] / length[keep, None] / km[keep]
                out.extend(mid[keep] + off * unit for off in offsets_km)
    return np.round(np.concatenate(out), 6)


# (number of points inside, sha256 of the packed answers) per coast tolerance
PINNED = {
    0.0: (2048, "252454d90bd3987d73b988a19f5d49afc66291dfe09fb4ae7f015918b519080f"),
    1.0: (3019, "d7a482ceec5c1a16c5bc7c172d8f845a0b890ed18999d625dfea870f989d4864"),
    2.5: (3438, "0a3427b9c8b562817a3ab6fd034bcdbf1fd0350d3cd96519c58c7d26006c0329"),
}


def test_points_near_coasts_and_borders_get_the_answers_of_the_matplotlib_version():
    points = border_points()
    assert points.shape == (5512, 2)
    for tol, (count, digest) in PINNED.items():
        inside = in_italy(points[:, 1], points[:, 0], coast_tolerance_km=tol)
        assert int(inside.sum()) == count, tol
        assert hashlib.sha256(np.packbits(inside).tobytes()).hexdigest() == digest, tol


# (lat, lon): answers at tolerances 0, 1, 2.5 km, and the distance to Italy's outline (km)
NAMED = {
    "Rome": ((41.9, 12.5), [True, True, True], 3.797264),
    "Vatican": ((41.9029, 12.4534), [True, True, True], 0.074567),
    "San Marino": ((43.94, 12.45), [True, True, True], 2.857113),
    "Livigno, an Alpine valley by the Swiss border": ((46.54, 10.13), [True] * 3, 5.478736),
    "Nice, France": ((43.70, 7.27), [False, False, False], 21.185902),
    "sea 0.17 km off the outline at Ventimiglia": ((43.79, 7.61), [False, True, True], 0.174884),
    "sea 1.9 km off the outline, by Menton": ((43.775, 7.50), [False, False, True], 1.891587),
    # an Italian exclave in Switzerland that the 1:10 m outline does not draw
    "Campione d'Italia": ((45.968, 8.971), [False, False, False], 0.748915),
}


@pytest.mark.parametrize("name", list(NAMED))
def test_named_places(name):
    (lat, lon), answers, distance = NAMED[name]
    assert [bool(in_italy([lat], [lon], coast_tolerance_km=t)[0]) for t in TOLERANCES_KM] == (
        answers
    )
    _, _, edges = _outlines(str(geo.OUTLINE_PATH))
    # the old code measured the Vatican's degenerate 3-point ring as given; shapely closes it
    # with a fourth point, which moves that ring's projection latitude: up to 7 mm near it
    assert geo.distance_to_rings_km([lon], [lat], edges)[0] == pytest.approx(distance, abs=1e-5)


def test_distance_to_a_ring_is_the_equirectangular_point_to_segment_distance():
    # a square ring about the equator, projected at its mean latitude (-0.2 degrees, the
    # closing vertex counted): km per degree 111.32 cos(-0.2) of longitude, 110.57 of latitude
    ring = np.array([[0.0, -1.0], [1.0, -1.0], [1.0, 1.0], [0.0, 1.0], [0.0, -1.0]])
    kx = 111.32 * np.cos(np.radians(-0.2))
    lon = np.array([0.5, 2.0, 0.5, 2.0, -1.0])
    lat = np.array([0.0, 0.0, 1.5, 2.0, -1.0])
    expected = [
        0.5 * kx,  # centre: nearest the left and right sides
        1.0 * kx,  # beyond the right side
        0.5 * 110.57,  # above the top side
        np.hypot(kx, 110.57),  # beyond the corner (1, 1)
        kx,  # left of the corner (0, -1)
    ]
    np.testing.assert_allclose(geo.distance_to_rings_km(lon, lat, [ring]), expected, rtol=1e-12)
    assert geo.distance_to_rings_km(lon, lat, []).tolist() == [np.inf] * 5


def test_outline_countries_and_holes():
    countries = {c.iso_a3: c for c in geo.read_outline()}
    assert {code for code, c in countries.items() if c.is_italian} == {"ITA", "SMR", "VAT"}
    italy = countries["ITA"]
    assert len(italy.exteriors) == 29
    # San Marino is a hole in Italy and a country of its own: inside one, not the other
    lon, lat = np.array([12.45]), np.array([43.94])
    assert geo.contains([italy.geometry], lon, lat).tolist() == [False]
    assert geo.contains([countries["SMR"].geometry], lon, lat).tolist() == [True]
    # a point exactly on a vertex is on the boundary, so not inside
    x, y = italy.exteriors[0][5]
    assert geo.contains([italy.geometry], [x], [y]).tolist() == [False]


def test_a_custom_outline_of_plain_polygons_with_a_hole_and_a_neighbour(tmp_path):
    # "Italy": the square 10-12 E x 40-42 N with a hole 10.8-11.2 x 40.8-41.2 (a "San Marino"
    # drawn as its own country), and a neighbour touching its east side (12-13 E)
    def square(w, s, e, n):
        return [[w, s], [e, s], [e, n], [w, n], [w, s]]

    features = [
        ("Italy", "ITA", [square(10, 40, 12, 42), square(10.8, 40.8, 11.2, 41.2)]),
        ("San Marino", "SMR", [square(10.8, 40.8, 11.2, 41.2)]),
        ("Elsewhere", "XXX", [square(12, 40, 13, 42)]),
    ]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": name, "iso_a3": code},
                "geometry": {"type": "Polygon", "coordinates": rings},
            }
            for name, code, rings in features
        ],
    }
    path = tmp_path / "outline.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    km_lon = 111.32 * np.cos(np.radians(np.mean([40, 40, 42, 42, 40])))
    places = {
        "inside": ((41.5, 10.5), True),
        "in the hole, inside San Marino": ((41.0, 11.0), True),
        "sea 0.5 km west": ((41.0, 10 - 0.5 / km_lon), True),
        "sea 1.5 km west": ((41.0, 10 - 1.5 / km_lon), False),
        "sea 0.5 km south": ((40 - 0.5 / 110.57, 11.0), True),
        "0.5 km inside the neighbour": ((41.0, 12 + 0.5 / km_lon), False),
    }
    lat = [p[0][0] for p in places.values()]
    lon = [p[0][1] for p in places.values()]
    answers = in_italy(lat, lon, coast_tolerance_km=1.0, outline=path)
    assert dict(zip(places, answers.tolist(), strict=True)) == {k: v[1] for k, v in places.items()}
