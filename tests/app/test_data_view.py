"""Event names, record lists, distances and map clicks of the Data page, on known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seisgan_core.viz import maps
from seisgan_core.viz import records as vrecords
from seisgan_testsupport.app_support import record_table


def test_distances_have_their_analytic_values():
    table = pd.DataFrame(
        {
            "epicentral_distance_km": [30.0, 3.0, 30.0],
            "event_depth_km": [40.0, 4.0, 10.0],
            "mw": [6.0, 6.0, 4.0],
        }
    )
    out = vrecords.with_distances(table)
    assert out["hypocentral_distance_km"].tolist() == pytest.approx([50.0, 5.0, np.hypot(30, 10)])
    half_length = 10 ** (-2.44 + 0.59 * 6.0) / 2  # Wells and Coppersmith (1994): L = 12.6 km
    assert out["rjb_km"].tolist() == pytest.approx(
        [30.0 - half_length, 0.0, 30.0 - 10 ** (-2.44 + 0.59 * 4.0) / 2]
    )
    given = vrecords.with_distances(table.assign(rjb_km=[12.0, np.nan, 7.0]))
    assert given["rjb_km"].tolist() == pytest.approx([12.0, 0.0, 7.0])


def test_places_by_nearest_town_and_offshore():
    assert vrecords.place_name(42.35, 13.38) == "2 km W of L'Aquila (Abruzzo, Italy)"
    assert vrecords.place_name(42.87, 13.21) == "13 km NE of Norcia (Umbria, Italy)"
    # the central Adriatic: at sea by the map's outline, named by the nearest town
    assert vrecords.place_name(43.62, 13.75) == "offshore, 15 km NE of Sirolo (The Marches, Italy)"
    assert vrecords.place_name(float("nan"), 12.0) == "location unknown"


def test_events_are_named_by_time_place_magnitude_and_depth():
    table = record_table(4, 5)
    events = vrecords.events_table(table)
    assert list(events.index[:3]) == list(
        table.groupby("event_id")["mw"].first().dropna().sort_values(ascending=False).index
    )
    first = events.iloc[0]
    label = vrecords.event_label(first.to_dict())
    when = pd.Timestamp(first["time"]).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert label.startswith(when + " · ")
    assert f"Mw {first['mw']:.1f}" in label and f"{first['depth_km']:.0f} km deep" in label
    assert label.endswith(f"{int(first['records'])} records")
    unknown = vrecords.event_label(events[events["mw"].isna()].iloc[0].to_dict())
    assert "Mw unknown" in unknown
    with_mechanism = vrecords.event_label({**first.to_dict(), "mechanism": "normal"})
    assert " · normal · " in with_mechanism


def test_event_records_nearest_first_with_station_and_pga():
    table = record_table(4, 5)
    event = str(table["event_id"].iloc[0])
    rows = vrecords.event_records(table, event_id=event)
    assert len(rows) == (table["event_id"] == event).sum()
    assert np.all(np.diff(rows["R_epi (km)"].to_numpy(dtype=float)) >= 0)
    assert rows["station"].str.startswith("IT.").all()
    station = rows["station"].iloc[0]
    at_station = vrecords.event_records(table, station=station)
    assert set(at_station["station"]) == {station}


def test_a_click_selects_the_marker_it_hit():
    table = record_table(4, 5)
    points = maps.records_geojson(table)
    event = next(f for f in points["features"] if f["properties"]["kind"] == "event")
    station = next(f for f in points["features"] if f["properties"]["kind"] == "station")
    # the browser sent the marker's feature
    assert vrecords.clicked_feature({"last_active_drawing": event}, points) == (
        "event",
        event["properties"]["event_id"],
    )
    # only the clicked point: the nearest marker
    lon, lat = station["geometry"]["coordinates"]
    clicked = {"last_object_clicked": {"lat": lat + 1e-4, "lng": lon - 1e-4}}
    code = station["properties"]["station"]
    assert vrecords.clicked_feature(clicked, points) == ("station", code)
    assert vrecords.clicked_feature(None, points) is None
    assert vrecords.clicked_feature({"last_object_clicked": None}, points) is None


def test_focus_on_an_event_rings_it_and_zooms_to_its_stations():
    table = record_table(4, 5)
    event = str(table["event_id"].iloc[0])
    lines, ring, focus = maps.focus_on(table, event_id=event)
    rows = table[table["event_id"] == event]
    assert lines["features"][0]["properties"]["n"] == len(rows)
    assert ring == [(rows["event_latitude"].iloc[0], rows["event_longitude"].iloc[0])]
    lats = np.r_[rows["event_latitude"], rows["station_latitude"]]
    assert focus[0][0] == pytest.approx(lats.min()) and focus[1][0] == pytest.approx(lats.max())
    fmap = maps.build_map(maps.records_geojson(table), lines=lines, highlight=ring, focus=focus)
    html = maps.map_html(fmap)
    assert "fitBounds" in html and '"radius": 14' in html.replace("'", '"')
    assert maps.focus_on(table) == (None, [], None)
