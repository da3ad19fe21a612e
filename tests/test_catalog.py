"""The record table: every fixture format into one table, selection, summary, waveforms."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "io"))  # the real-data helpers
from io_realdata import (
    ESM_FLATFILE,
    FIXTURES,
    LAQUILA,
    real_asdf,
    requires_fixtures,
    write_real_esm_record,
)

from seisgan_core.catalog import (
    RECORD_COLUMNS,
    Catalog,
    Selection,
    in_italy,
    iter_record_waveforms,
    read_record_waveforms,
    read_records,
)
from seisgan_core.io.itaca_legacy import read_cor_acc

pytestmark = requires_fixtures


@pytest.fixture(scope="module")
def laquila():
    return read_records([LAQUILA])


def test_all_thirteen_laquila_stations(laquila):
    table = laquila.table
    assert list(table.columns) == list(RECORD_COLUMNS)
    assert len(table) == 13 and laquila.skipped == []
    assert set(table["source_format"]) == {"itaca_legacy"}
    assert (table["mw"] == 6.3).all() and (table["event_depth_km"] == 8.8).all()
    assert table["epicentral_distance_km"].min() == 4.0
    assert table["epicentral_distance_km"].max() == 277.0
    aqg = table.set_index("station").loc["AQG"]
    assert aqg["epicentral_distance_km"] == 4.0
    assert aqg["npts"] == 59220 and aqg["sampling_rate_hz"] == 200.0
    assert aqg["components"] == "E,N,Z" and aqg["channels"] == "H2,H1,V"
    assert aqg["vs30_m_s"] == pytest.approx(684.842)
    # PGA of the largest horizontal, m/s^2 -> cm/s^2; the NS component holds 5.0693 m/s^2
    assert aqg["pga_cm_s2"] == pytest.approx(506.93293, rel=1e-7)


def test_laquila_waveforms_in_cm_s2_east_north_up(laquila):
    row = laquila.table.set_index("station").loc["AQG"]
    record = read_record_waveforms(row)
    assert record.data.shape == (3, 59220) and record.data.dtype == np.float64
    ns = read_cor_acc(LAQUILA / "16833" / "16833_H1.cor.acc")
    we = read_cor_acc(LAQUILA / "16833" / "16833_H2.cor.acc")
    assert np.array_equal(record.data[0], we.data * 100.0)
    assert np.array_equal(record.data[1], ns.data * 100.0)
    assert np.abs(record.data[1]).max() == pytest.approx(506.93293)


def test_iter_record_waveforms_groups_and_matches(laquila):
    table = laquila.table.iloc[[3, 4, 11]]  # the three shortest records
    seen = []
    fractions = []
    for record_id, record in iter_record_waveforms(
        table, progress=lambda f, m: fractions.append(f)
    ):
        row = table.set_index("record_id").loc[record_id]
        assert record.data.shape == (3, row["npts"])
        seen.append(record_id)
    assert seen == list(table["record_id"]) and fractions[-1] == 1.0


def test_esm_flatfile_fixture(tmp_path):
    catalog = read_records([ESM_FLATFILE])
    table = catalog.table
    assert len(table) == 100 and catalog.skipped == []
    first = table.iloc[0]
    assert first["record_id"] == "AM-1988-0001.A.GUK.0.HN"
    assert first["mw"] == 6.7 and first["ml"] == 6.5
    assert first["ec8_class"] == "C"  # 'C*' in the file: inferred class C
    assert first["pga_cm_s2"] == pytest.approx(178.752892)
    assert first["components"] == "E,N,Z"
    # a missing Mw stays missing, and is counted
    assert table["mw"].isna().sum() == 60
    assert catalog.summary().loc["Mw", "missing"] == 60


def test_both_esm_samples_merge_records_met_twice():
    table = read_records([FIXTURES / "esm-flatfile"]).table
    assert len(table) == 132  # 100 + 98 rows, 66 records in both samples
    assert table["record_id"].is_unique


def test_mixed_formats_and_merge(tmp_path):
    write_real_esm_record(tmp_path / "ascii", n=3000)
    real_asdf(tmp_path / "archive.h5", n=3000)
    catalog = read_records([tmp_path, LAQUILA / "16833"])
    table = catalog.table.set_index("record_id")
    # the ASDF and the ASCII copies of AQG share a record id: one row (the first read,
    # archive.h5), its gaps filled from the other (EC8 class from the ASCII header)
    assert set(table["source_format"]) == {"asdf", "itaca_legacy"}
    merged = table.loc["IT-2009-0009.IT.AQG..HN"]
    assert merged["source_format"] == "asdf" and merged["ec8_class"] == "B"
    assert merged["vs30_m_s"] == pytest.approx(684.842)
    assert any("also read from" in reason for _, reason in catalog.skipped)
    record = read_record_waveforms(merged)
    assert record.data.shape == (3, 3000)
    kinds = catalog.table["kind"].value_counts().to_dict()
    assert kinds == {"earthquake": 2, "noise": 1}


def test_selection_defaults_and_every_bound(laquila):
    table = laquila.table
    assert len(laquila.select().table) == 13  # Mw 6.3, 8.8 km, all in Italy
    near = laquila.select(Selection(distance_max_km=10.0))
    assert sorted(near.table["station"]) == ["AQA", "AQG", "AQK", "AQV"]
    assert dict(near.selection_report)["distance <= 10 km"] == 9
    assert len(laquila.select(Selection(mw_min=6.3)).table) == 0  # exclusive, as the study
    assert len(laquila.select(Selection(depth_max_km=8.8)).table) == 0
    assert len(laquila.select(Selection(networks=("IT",))).table) == 0
    assert len(laquila.select(Selection(networks=("DPC",))).table) == 13
    assert len(laquila.select(Selection(sampling_rates_hz=(100.0,))).table) == 0
    assert len(laquila.select(Selection(ec8_classes=("A",))).table) == 0
    open_bounds = Selection(mw_min=None, depth_max_km=None, in_italy=False, kinds=None)
    assert len(laquila.select(open_bounds).table) == len(table)


def test_missing_mw_fails_a_magnitude_bound():
    catalog = read_records([ESM_FLATFILE])
    kept = catalog.select(Selection(mw_min=0.0, depth_max_km=None, in_italy=False))
    assert len(kept.table) == 40 and kept.table["mw"].notna().all()


def test_summary_like_the_study(laquila):
    summary = laquila.summary()
    distance = summary.loc["epicentral distance (km)"]
    values = laquila.table["epicentral_distance_km"].to_numpy()
    assert distance["count"] == 13
    assert distance["mean"] == pytest.approx(values.mean())
    assert distance["median"] == pytest.approx(np.median(values))
    assert distance["std"] == pytest.approx(values.std(ddof=1))
    assert (distance["min"], distance["max"]) == (4.0, 277.0)
    assert summary.loc["Mw", "std"] == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(summary.loc["significant duration D5-95 (s)", "mean"])


def test_parquet_round_trip(laquila, tmp_path):
    path = laquila.to_parquet(tmp_path / "catalog.parquet")
    again = Catalog.from_parquet(path)
    pd.testing.assert_frame_equal(again.table, laquila.table)
    assert [p.name for p in tmp_path.iterdir()] == ["catalog.parquet"]


INSIDE = {
    "Palermo, Sicily": (38.12, 13.36),
    "Cagliari, Sardinia": (39.22, 9.11),
    "Lampedusa": (35.50, 12.60),
    "Pantelleria": (36.78, 11.99),
    "Trieste": (45.65, 13.77),
    "San Marino": (43.94, 12.45),
    "Vatican": (41.9029, 12.4534),
    "AQG, L'Aquila": (42.373474, 13.337026),
}
OUTSIDE = {
    "Tunis, Tunisia": (36.80, 10.18),
    "Ajaccio, Corsica": (41.92, 8.74),
    "Bonifacio, Corsica (11 km from Sardinia)": (41.39, 9.16),
    "Split, Croatia": (43.51, 16.44),
    "Pula, Istria, Croatia": (44.87, 13.85),
    "Koper, Slovenia (15 km from Trieste)": (45.55, 13.73),
    "Lugano, Switzerland": (46.00, 8.95),
    "Menton, France (at the border)": (43.775, 7.50),
    "Valletta, Malta": (35.90, 14.51),
    "Tyrrhenian Sea": (40.0, 12.0),
}


def test_in_italy_is_a_polygon_not_a_box():
    inside = in_italy([v[0] for v in INSIDE.values()], [v[1] for v in INSIDE.values()])
    outside = in_italy([v[0] for v in OUTSIDE.values()], [v[1] for v in OUTSIDE.values()])
    assert dict(zip(INSIDE, inside.tolist(), strict=True)) == dict.fromkeys(INSIDE, True)
    assert dict(zip(OUTSIDE, outside.tolist(), strict=True)) == dict.fromkeys(OUTSIDE, False)
    assert in_italy([np.nan], [12.0]).tolist() == [False]


def test_selection_in_italy_drops_foreign_stations():
    # 13 Italian stations (L'Aquila) among 132 Armenian, Greek, German... ESM records
    catalog = read_records([LAQUILA, FIXTURES / "esm-flatfile"])
    assert len(catalog.table) == 145
    open_bounds = Selection(mw_min=None, depth_max_km=None, in_italy=True)
    kept = catalog.select(open_bounds)
    assert sorted(kept.table["source_format"].unique()) == ["itaca_legacy"]
    assert len(kept.table) == 13
    assert dict(kept.selection_report)["station in Italy"] == 132
