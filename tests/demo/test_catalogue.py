"""The synthetic Italian catalogue: stations on land, Gutenberg-Richter magnitudes,
sequences, record lengths, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from seisgan_core.demo.catalogue import (
    STATION_SITES,
    ec8_class,
    in_country,
    make_catalogue,
)


@pytest.fixture(scope="module")
def catalogue():
    return make_catalogue(np.random.default_rng(0), n_records=500, n_noise=20)


def test_stations_stand_on_their_country(catalogue):
    st = catalogue.stations
    assert len(st) == len(STATION_SITES)
    for country, part in st.groupby("country"):
        inside = in_country(part["station_latitude"], part["station_longitude"], country)
        assert inside.all(), part.loc[~inside, "station"].tolist()
    # Most stations are Italian, a few across the borders (for the "in Italy" selection).
    assert 0 < (st["country"] != "ITA").sum() < 0.1 * len(st)
    # Neither Tunisia nor Corsica is Italy, Lampedusa is.
    assert not in_country(np.array([36.8]), np.array([10.2]), "ITA")[0]
    assert not in_country(np.array([42.15]), np.array([9.1]), "ITA")[0]
    assert in_country(np.array([35.508]), np.array([12.594]), "ITA")[0]


def test_in_country_near_the_borders_agrees_with_a_reference_ray_casting():
    """Points within 10-100 m of every outline vertex (inside and outside), and points drawn
    over the whole map, give the same answers as matplotlib's ray casting on the same outer
    rings (the catalogue's draws depend on these answers)."""
    import json
    from importlib import resources

    from matplotlib.path import Path as MplPath

    text = resources.files("seisgan_core.resources").joinpath("italy.geojson").read_text()
    rng = np.random.default_rng(1)
    checked = inside = 0
    for feature in json.loads(text)["features"]:
        iso = feature["properties"]["iso_a3"]
        rings = [np.asarray(polygon[0]) for polygon in feature["geometry"]["coordinates"]]
        vertices = np.concatenate(rings)
        angle = rng.uniform(0, 2 * np.pi, (4, len(vertices)))
        step = rng.uniform(1e-4, 1e-3, (4, len(vertices)))  # degrees: about 10-100 m
        lon = (vertices[:, 0] + step * np.cos(angle)).ravel()
        lat = (vertices[:, 1] + step * np.sin(angle)).ravel()
        lon = np.concatenate([lon, rng.uniform(6.0, 19.0, 2000)])
        lat = np.concatenate([lat, rng.uniform(35.0, 47.5, 2000)])
        expected = np.zeros(len(lon), dtype=bool)
        for ring in rings:
            expected |= MplPath(ring).contains_points(np.column_stack([lon, lat]))
        got = in_country(lat, lon, iso)
        assert np.array_equal(got, expected), iso
        checked += len(lon)
        inside += int(expected.sum())
    # Not vacuous: many points, both answers common.
    assert checked > 10_000
    assert 0.2 * checked < inside < 0.8 * checked


def test_ec8_classes_follow_vs30(catalogue):
    assert [ec8_class(v) for v in (1000, 800.5, 400, 360.5, 200, 150)] == [
        "A",
        "A",
        "B",
        "B",
        "C",
        "D",
    ]
    st = catalogue.stations
    assert (st["ec8_class"] == [ec8_class(v) for v in st["vs30_m_s"]]).all()
    assert set(st["ec8_class"]) >= {"A", "B", "C"}


@pytest.mark.slow
def test_exact_record_count_and_reproducible(catalogue):
    assert len(catalogue.records) == 500
    assert len(catalogue.noise) == 20
    again = make_catalogue(np.random.default_rng(0), n_records=500, n_noise=20)
    cols = ["event_index", "station", "epicentral_distance_km", "record_length_s"]
    assert catalogue.records[cols].equals(again.records[cols])
    assert catalogue.events.drop(columns=[]).equals(again.events)
    other = make_catalogue(np.random.default_rng(1), n_records=500, n_noise=20)
    assert (
        not catalogue.events["event_latitude"]
        .head(20)
        .equals(other.events["event_latitude"].head(20))
    )


def test_gutenberg_richter_b_value():
    # Aki (1965) maximum-likelihood b from many draws of the sequence generator.
    from seisgan_core.demo.catalogue import _gr_magnitudes

    mags = _gr_magnitudes(np.random.default_rng(5), 20000, 4.0, 6.5)
    assert mags.min() >= 4.0 and mags.max() <= 6.5
    b = np.log10(np.e) / (mags.mean() - 4.0)
    # Truncation at 6.5 biases Aki's estimator by under 1 %.
    assert b == pytest.approx(1.0, abs=0.05)


def test_events_magnitudes_depths_and_sequences(catalogue):
    ev = catalogue.events
    mw = ev["mw"].dropna()
    assert mw.min() >= 4.0 and mw.max() <= 6.5
    assert ev["mw"].isna().sum() < 0.1 * len(ev)  # a few events have only ML
    assert (np.round(mw, 1) == mw).all()  # catalogues give one decimal
    shallow = ev["event_depth_km"] < 50
    assert shallow.mean() > 0.9
    # Sequences: aftershocks of one mainshock within 30 days of it.
    for _, seq in ev.groupby("sequence"):
        span = seq["event_time"].max() - seq["event_time"].min()
        assert span.total_seconds() <= 30 * 86400 + 1
    # Epicentres where Italian earthquakes happen: mostly under Italian land, a few offshore
    # or across the Adriatic and the eastern border.
    on_land = in_country(ev["event_latitude"], ev["event_longitude"], ("ITA", "SMR", "VAT"))
    assert 0.8 < on_land.mean() < 1.0
    assert ev["event_latitude"].between(35.0, 47.5).all()
    assert ev["event_longitude"].between(6.0, 20.0).all()


def test_record_lengths_and_distances(catalogue):
    rec = catalogue.records
    lengths = rec["record_length_s"]
    assert lengths.min() >= 20.0 and lengths.max() <= 180.0
    assert 30.0 <= lengths.median() <= 120.0
    # Some records fit the study's 40 s window, most do not (ITACA: 1,298 of 9,987).
    assert 0.05 < (lengths <= 40.0).mean() < 0.4
    assert rec["epicentral_distance_km"].max() < 300.0
    # Larger events trigger farther stations.
    ev = catalogue.events.set_index("event_index")
    joined = rec.join(ev["mw_true"], on="event_index")
    small = joined[joined["mw_true"] < 4.5]["epicentral_distance_km"].median()
    large = joined[joined["mw_true"] > 5.5]["epicentral_distance_km"].median()
    assert large > small
