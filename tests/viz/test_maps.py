"""The offline map: one GeoJSON layer of events and stations, Leaflet from /app/static only."""

from __future__ import annotations

import re

import numpy as np

from seisgan_core.viz import maps
from seisgan_testsupport.app_support import record_table


def _features(collection, kind):
    return [f for f in collection["features"] if f["properties"]["kind"] == kind]


def test_one_feature_per_event_and_station():
    table = record_table(n_events=4, n_stations=5)
    collection = maps.records_geojson(table)
    assert len(_features(collection, "event")) == 4
    assert len(_features(collection, "station")) == 5
    first = _features(collection, "event")[0]
    assert first["geometry"]["coordinates"] == [13.0, 42.0]
    assert "4 " not in first["properties"]["label"] or "Mw 4.0" in first["properties"]["label"]
    assert "5 records" in first["properties"]["label"]


def test_event_size_and_colour_follow_mw_bins_and_missing_mw_is_grey():
    collection = maps.records_geojson(record_table(n_events=4, n_stations=2))
    events = _features(collection, "event")
    radii = [e["properties"]["radius"] for e in events]
    # Mw 4.0, 4.5, 5.0 fall in half-unit bins 2, 3, 4 from Mw 3.0: radius 3 + 1.5 * bin
    assert radii[:3] == [6.0, 7.5, 9.0]
    assert events[3]["properties"]["colour"] == "#9e9e9e"
    assert "Mw unknown" in events[3]["properties"]["label"]


def test_station_colours_by_ec8_class_and_by_vs30():
    table = record_table(n_events=1, n_stations=5)
    by_class = [
        f["properties"]["colour"] for f in _features(maps.records_geojson(table), "station")
    ]
    assert by_class == [maps.EC8_COLOURS[c] for c in ("C", "B", "B", "A", "unknown")]
    by_vs30 = maps.records_geojson(table, station_colour_by="vs30")
    # Vs30 250, 450, 650, 850, 1050 m/s -> EC8 C, B, B, A, A (EN 1998-1 Table 3.1)
    assert [f["properties"]["colour"] for f in _features(by_vs30, "station")] == [
        maps.EC8_COLOURS[c] for c in ("C", "B", "B", "A", "A")
    ]


def test_split_colouring_for_prepared_sets():
    table = record_table(n_events=3, n_stations=2)
    table["split"] = np.where(table["event_id"] == "EV002", "test", "train")
    events = _features(maps.records_geojson(table, event_colour_by="split"), "event")
    assert [e["properties"]["colour"] for e in events] == [
        maps.SPLIT_COLOURS["train"],
        maps.SPLIT_COLOURS["train"],
        maps.SPLIT_COLOURS["test"],
    ]


def test_labels_are_escaped():
    table = record_table(n_events=1, n_stations=1)
    table["event_id"] = "<script>x</script>"
    label = _features(maps.records_geojson(table), "event")[0]["properties"]["label"]
    assert "<script>" not in label and "&lt;script&gt;" in label


def test_event_station_lines_join_epicentre_to_each_station():
    table = record_table(n_events=2, n_stations=3)
    lines = maps.event_station_lines(table, "EV001")
    coords = lines["features"][0]["geometry"]["coordinates"]
    assert len(coords) == 3
    assert coords[0][0] == [13.2, 42.3]
    assert maps.event_station_lines(table, "nope")["features"] == []


def test_html_loads_nothing_but_the_apps_static_files():
    table = record_table(n_events=3, n_stations=4)
    outline = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "box"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[6, 36], [19, 36], [19, 47], [6, 47], [6, 36]]],
                },
            }
        ],
    }
    fmap = maps.build_map(
        maps.records_geojson(table), outline=outline, lines=maps.event_station_lines(table, "EV000")
    )
    page = maps.map_html(fmap)
    urls = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', page)
    assert urls == ["/app/static/leaflet/leaflet.js", "/app/static/leaflet/leaflet.css"]
    assert not re.search(r"https?://", page.replace('http-equiv="content-type"', ""))
    assert "L.circleMarker" in page or "L.CircleMarker" in page
    assert page.count("L.geoJson(") == 3  # outline, paths, records: three layers in all


def test_outline_is_committed_natural_earth_when_present():
    outline = maps.load_outline()
    if outline is None:
        # The lead commits seisgan_core/resources/italy.geojson; until then the map has none.
        assert maps._outline_text() is None
        return
    assert outline["type"] == "FeatureCollection"
    assert len(outline["features"]) >= 2


def test_itaca_sized_catalogue_stays_one_layer():
    # 2,531 events and 1,696 stations as in ITACA 4.0: one layer, few distinct styles
    rng = np.random.default_rng(3)
    n = 13600
    table = record_table(n_events=1, n_stations=1).iloc[[0] * n].reset_index(drop=True)
    table["event_id"] = [f"E{i % 2531}" for i in range(n)]
    table["station"] = [f"S{i % 1696}" for i in range(n)]
    table["event_latitude"] = rng.uniform(36, 47, n)
    table["station_latitude"] = rng.uniform(36, 47, n)
    table["mw"] = rng.uniform(3, 7, n)
    table["record_id"] = [f"r{i}" for i in range(n)]
    collection = maps.records_geojson(table)
    assert len(collection["features"]) == 2531 + 1696
    page = maps.map_html(maps.build_map(collection))
    assert page.count("L.geoJson(") == 1
    assert page.count("return {") < 40  # binned styles: folium's switch has few branches


def test_legends_name_every_bin_and_class():
    mw = maps.legend("mw")
    assert mw[0] == ("Mw 3.0-3.5", "#440154")
    assert mw[-2] == ("Mw 6.5+", "#fde725")
    assert mw[-1] == ("Mw unknown", "#9e9e9e")
    assert maps.legend("vs30")[0][0] == "Vs30 > 800"
    assert dict(maps.legend("split")) == maps.SPLIT_COLOURS
    page = maps.map_html(
        maps.build_map(maps.records_geojson(record_table()), legend=maps.legend("ec8_class"))
    )
    assert "seisgan-legend" in page and "EC8 unknown" in page


def test_station_class_letters_from_itaca_style_ec8_codes():
    import pandas as pd

    stations = pd.DataFrame(
        {
            "ec8": ["B*", " c", "E", "", None, "X", "A (inferred)"],
        }
    )
    by_class = maps._station_classes(stations, "ec8_class")
    assert list(by_class) == ["B", "C", "E", "unknown", "unknown", "unknown", "A"]
    # EN 1998-1 Table 3.1 bounds, A being strictly above 800 m/s: an edge value takes the
    # softer class, so up to 180 D, (180, 360] C, (360, 800] B, above 800 A
    vs30 = pd.DataFrame({"vs30": [np.nan, 170.0, 180.0, 180.5, 360.0, 360.5, 800.0, 800.5]})
    by_vs30 = maps._station_classes(vs30, "vs30")
    assert list(by_vs30) == ["unknown", "D", "D", "C", "C", "B", "B", "A"]
