"""The three flat-file layouts, told apart by their columns."""

from __future__ import annotations

import csv
import math

import pytest

from seisgan_core.catalog import read_records
from seisgan_core.io.flatfile import detect_layout, is_flatfile, read_flatfile
from seisgan_core.io.itaca_legacy import read_cor_acc
from seisgan_testsupport.io_realdata import (
    ESM_FLATFILE,
    ESM_FLATFILE_2018,
    LAQUILA,
    metadata_row,
    requires_fixtures,
)

pytestmark = requires_fixtures

ITACA_EXPORT_COLUMNS = [
    "EVENT_NAME", "EVENT_ID", "EVENT_LATITUDE_DEGREE", "EVENT_LONGITUDE_DEGREE",
    "EVENT_DEPTH_KM", "Ml", "Mw", "NETWORK", "STATION_CODE", "STATION_NAME",
    "STATION_LATITUDE_DEGREE", "STATION_LONGITUDE_DEGREE", "epi_dist_km",
    "SAMPLING_INTERVAL_S", "NDATA", "dur_s", "component", "filename",
]  # fmt: skip


def write_itaca_export(path, stations=None):
    """The reference study's ITACA search export (its Table B.1), one row per component,
    filled with the real L'Aquila facts."""
    stations = stations or sorted(p.name for p in LAQUILA.iterdir() if p.is_dir())
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ITACA_EXPORT_COLUMNS)
        for station in stations:
            m = metadata_row(station)
            for suffix, letter in (("H2", "E"), ("H1", "N"), ("V", "Z")):
                acc = read_cor_acc(LAQUILA / station / f"{station}_{suffix}.cor.acc")
                code = m["station.code"]
                writer.writerow(
                    [
                        m["event.name"], "IT-2009-0009", m["event.latitude"],
                        m["event.longitude"], m["event.focaldepth"], "5.8", "6.3", "IT", code,
                        m["station.name"], m["station.latitude"], m["station.longitude"],
                        m["distance_repi"], acc.fields["time_increment_s"],
                        acc.fields["number_of_data"], "" if letter == "Z" else "12.5", letter,
                        f"IT.{code}..HN{letter}.D.20090406.013239.C.ACC.ASC",
                    ]
                )  # fmt: skip
    return path


def test_itaca_search_export_groups_components_into_records(tmp_path):
    path = write_itaca_export(tmp_path / "itaca.csv")
    assert is_flatfile(path)
    rows = read_flatfile(path)
    assert len(rows) == 13
    aqg = next(r for r in rows if r["station"] == "AQG")
    assert aqg["record_id"] == "IT-2009-0009.IT.AQG..HN"
    assert aqg["components"] == "E,N,Z"
    assert aqg["sampling_rate_hz"] == 200.0 and aqg["npts"] == 59220
    assert aqg["record_duration_s"] == pytest.approx(296.1)
    assert aqg["epicentral_distance_km"] == 4.0 and aqg["mw"] == 6.3
    assert aqg["d5_95_s"] == 12.5
    assert aqg["source_format"] == "itaca_flatfile"


def test_esm_flatfile_with_and_without_an_index_column():
    first = read_flatfile(ESM_FLATFILE)  # starts with an unnamed index column
    second = read_flatfile(ESM_FLATFILE_2018)
    assert len(first) == 100 and len(second) == 98
    row = second[0]
    assert row["record_id"] == "AL-2014-0005.AC.FIER.0.HN"
    assert row["mw"] == 4.07 and row["ml"] == 4.0
    assert row["vs30_m_s"] == 374.0 and row["ec8_class"] == "B"
    assert row["epicentral_distance_km"] == 65.3
    assert row["pga_cm_s2"] == pytest.approx(0.218647)  # the larger of |U|, |V|
    assert row["event_time"].isoformat() == "2014-01-20T14:40:48+00:00"
    assert math.isnan(second[3]["mw"])  # ML only: Mw stays missing


def test_itaca_metadata_through_the_flatfile_reader():
    rows = read_flatfile(LAQUILA / "16882" / "16882.metadata")
    assert len(rows) == 1
    row = rows[0]
    assert row["station"] == "STL" and row["epicentral_distance_km"] == 277.0
    assert row["mw"] == 6.3 and row["ml"] == 5.8 and row["event_depth_km"] == 8.8
    assert row["network"] == "DPC"  # no FDSN code in the file; the deployment's short name
    assert row["pga_cm_s2"] == pytest.approx(0.942703, rel=1e-5)  # m/s^2 -> cm/s^2


def test_layouts_from_columns_not_names(tmp_path):
    assert detect_layout(["event_id", "ev_latitude", "st_latitude"]) == "esm_flatfile"
    assert detect_layout(["EVENT_LATITUDE_DEGREE", "STATION_CODE"]) == "itaca_flatfile"
    assert detect_layout(["event.latitude", "station.code"]) == "itaca_metadata"
    assert detect_layout(["a", "b"]) is None
    renamed = tmp_path / "records.txt"  # any name; the header decides
    renamed.write_bytes(ESM_FLATFILE_2018.read_bytes())
    assert len(read_records([renamed]).table) == 98


def test_tab_separated_with_bom_and_crlf(tmp_path):
    text = ESM_FLATFILE_2018.read_text(encoding="utf-8").replace(";", "\t")
    path = tmp_path / "esm.tsv"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    rows = read_flatfile(path)
    assert len(rows) == 98 and rows[0]["station"] == "FIER"
