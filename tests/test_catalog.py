"""The record table: every fixture format into one table, selection, summary, waveforms."""

from __future__ import annotations

import io
import math
import zipfile

import numpy as np
import pandas as pd
import pytest
from obspy.geodetics import gps2dist_azimuth

from seisgan_core.catalog import (
    RECORD_COLUMNS,
    Catalog,
    Selection,
    in_italy,
    iter_record_waveforms,
    read_record_waveforms,
    read_records,
)
from seisgan_core.io.esm_ascii import write_esm_ascii
from seisgan_core.io.itaca_legacy import read_cor_acc
from seisgan_testsupport.io_realdata import (
    ESM_FLATFILE,
    FIXTURES,
    LAQUILA,
    real_asdf,
    real_header,
    real_samples_cm_s2,
    replace_line,
    requires_fixtures,
    write_real_esm_record,
)

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
    assert any("also read from" in reason for _, reason in catalog.duplicates)
    assert not any("also read from" in reason for _, reason in catalog.skipped)
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


def test_in_italy_of_repeated_stations_is_each_places_answer():
    # records share stations, which are tested once each: the answer per record is unchanged
    places = list(INSIDE.values()) + list(OUTSIDE.values())
    order = np.random.default_rng(0).integers(0, len(places), 500)
    lat = np.array([places[i][0] for i in order])
    lon = np.array([places[i][1] for i in order])
    lat[7] = np.nan
    want = [bool(in_italy([a], [b])[0]) for a, b in zip(lat, lon, strict=True)]
    assert in_italy(lat, lon).tolist() == want
    assert sum(want) > 100 and sum(want) < 400


def test_selection_in_italy_drops_foreign_stations():
    # 13 Italian stations (L'Aquila) among 132 Armenian, Greek, German... ESM records
    catalog = read_records([LAQUILA, FIXTURES / "esm-flatfile"])
    assert len(catalog.table) == 145
    open_bounds = Selection(mw_min=None, depth_max_km=None, in_italy=True)
    kept = catalog.select(open_bounds)
    assert sorted(kept.table["source_format"].unique()) == ["itaca_legacy"]
    assert len(kept.table) == 13
    assert dict(kept.selection_report)["station in Italy"] == 132


def test_asdf_records_in_bulk_equal_what_pyasdf_wrote(tmp_path):
    facts = real_asdf(tmp_path / "a.h5", n=2500)
    catalog = read_records([tmp_path / "a.h5"])
    assert sorted(catalog.table["kind"]) == ["earthquake", "noise"]
    counts = catalog.counts()
    assert (counts["records"], counts["noise"], counts["mw_missing"]) == (1, 1, 0)
    assert catalog.summary().loc["Mw", "count"] == 1  # noise windows are not described
    assert catalog.summary(kinds=None).loc["Mw", "missing"] == 1
    everything = Selection(mw_min=None, depth_max_km=None, in_italy=False, kinds=None)
    got = dict(iter_record_waveforms(catalog.select(everything).table))
    quake = got["IT-2009-0009.IT.AQG..HN"]
    noise = next(v for k, v in got.items() if k.startswith("noise."))
    for row, letter in enumerate("ENZ"):
        assert np.array_equal(quake.data[row], facts["data"][letter])
        assert np.array_equal(noise.data[row], facts["noise"][letter])
    assert quake.starttime.isoformat() == "2009-04-06T01:32:39+00:00"
    assert noise.starttime.isoformat() == "2009-04-06T02:32:39+00:00"


def test_ascii_zip_records_read_back_through_the_zip(tmp_path):
    paths = write_real_esm_record(tmp_path / "files", n=1200)
    archive = tmp_path / "event.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in paths.values():
            zf.write(path, path.name)
    row = read_records([archive]).table.iloc[0]
    assert row["source_path"] == str(archive) and row["source_format"] == "esm_ascii"
    assert row["source_files"].split("|")[0] == f"{archive}::IT.AQG..HNE.ASC"
    record = read_record_waveforms(row)
    direct = read_record_waveforms(read_records([tmp_path / "files"]).table.iloc[0])
    assert np.array_equal(record.data, direct.data)
    assert record.components == ("E", "N", "Z") and record.sampling_rate_hz == 200.0


def test_non_geographic_horizontals_keep_their_names(tmp_path):
    for suffix, letter in (("H2", "2"), ("H1", "3"), ("V", "Z")):
        header = real_header("16833", letter)
        write_esm_ascii(
            tmp_path / f"HN{letter}.ASC", real_samples_cm_s2("16833", suffix, 900), header
        )
    row = read_records([tmp_path]).table.iloc[0]
    assert row["components"] == "2,3,Z" and row["channels"] == "HN2,HN3,HNZ"
    record = read_record_waveforms(row)
    assert record.components == ("2", "3", "Z")
    assert np.array_equal(record.data[0], real_samples_cm_s2("16833", "H2", 900))


def test_velocity_files_are_products_not_records_nor_errors(tmp_path):
    paths = write_real_esm_record(tmp_path, n=400)
    for path in paths.values():
        replace_line(path, "DATA_TYPE", "DATA_TYPE: VELOCITY")
        replace_line(path, "UNITS", "UNITS: cm/s")
    catalog = read_records([tmp_path])
    assert catalog.table.empty and catalog.skipped == []
    assert sorted(what for _, what in catalog.products) == [
        f"VEL of IT-2009-0009.IT.AQG..HN component {c}" for c in "ENZ"
    ]


def test_an_unknown_data_type_is_skipped_with_a_reason(tmp_path):
    paths = write_real_esm_record(tmp_path, n=400)
    replace_line(paths["E"], "DATA_TYPE", "DATA_TYPE: STRAIN")
    catalog = read_records([tmp_path])
    reasons = dict(catalog.skipped)
    assert "expected DATA_TYPE ACCELERATION or a DYNA product" in reasons[str(paths["E"])]
    assert "found 'STRAIN'" in reasons[str(paths["E"])]


def test_distance_computed_from_coordinates_when_the_header_has_none(tmp_path):
    paths = write_real_esm_record(tmp_path, n=300)
    for path in paths.values():
        replace_line(path, "EPICENTRAL_DISTANCE_KM", "EPICENTRAL_DISTANCE_KM: ")
    row = read_records([tmp_path]).table.iloc[0]
    expected = gps2dist_azimuth(42.334, 13.334, 42.373474, 13.337026)[0] / 1000.0
    assert row["epicentral_distance_km"] == pytest.approx(expected)  # 4.39 km, WGS84


def test_sampling_rate_selection(tmp_path):
    write_real_esm_record(tmp_path / "a", n=300)
    paths = write_real_esm_record(tmp_path / "b", station_dir="16889", n=300)
    for path in paths.values():
        replace_line(path, "SAMPLING_INTERVAL_S", "SAMPLING_INTERVAL_S: 0.01")
    catalog = read_records([tmp_path])
    rates = Selection(mw_min=None, depth_max_km=None, in_italy=False, sampling_rates_hz=(100.0,))
    kept = catalog.select(rates).table
    assert list(kept["station"]) == ["AQK"] and kept["sampling_rate_hz"].tolist() == [100.0]
    assert kept["record_duration_s"].tolist() == [3.0]


def test_processed_version_of_a_component_wins_over_converted(tmp_path):
    paths = write_real_esm_record(tmp_path / "processed", n=700)
    raw = write_real_esm_record(tmp_path / "converted", n=700)
    for path in raw.values():
        replace_line(path, "PROCESSING", "PROCESSING: none")
    catalog = read_records([tmp_path])
    assert len(catalog.table) == 1
    row = catalog.table.iloc[0]
    assert row["source_files"].split("|") == [str(paths[c]) for c in "ENZ"]
    assert sorted(p for p, _ in catalog.skipped) == sorted(str(p) for p in raw.values())
    assert all("better processed" in reason for _, reason in catalog.skipped)


def test_itaca_legacy_files_inside_a_zip(tmp_path):
    archive = tmp_path / "itaca1.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for station in ("16833", "16858"):
            for path in sorted((LAQUILA / station).iterdir()):
                zf.write(path, f"laquila/{station}/{path.name}")
    from_zip = read_records([archive])
    from_folders = read_records([LAQUILA / "16833", LAQUILA / "16858"])
    assert from_zip.skipped == []
    assert sorted(from_zip.table["station"]) == ["AQG", "GSA"]
    a = from_zip.table.set_index("record_id").sort_index()
    b = from_folders.table.set_index("record_id").sort_index()
    for column in ("mw", "epicentral_distance_km", "npts", "pga_cm_s2", "components"):
        assert a[column].tolist() == b[column].tolist()
    record = read_record_waveforms(a.loc["20090406_0000075.DPC.AQG.."])
    assert np.array_equal(
        record.data, read_record_waveforms(b.loc["20090406_0000075.DPC.AQG.."]).data
    )


def test_asdf_inside_a_zip_is_reported(tmp_path):
    real_asdf(tmp_path / "a.h5", n=200, noise=False)
    archive = tmp_path / "asdf.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(tmp_path / "a.h5", "a.h5")
    catalog = read_records([archive])
    assert catalog.table.empty
    assert "unzip it first" in catalog.skipped[0][1]


def test_skip_summary_counts_by_kind_of_problem():
    from seisgan_core.catalog import shown_skips, shown_text, skip_summary

    skipped = [
        ("/srv/data/a.ASC", "/srv/data/a.ASC, line 3, field 'X': expected a number, found 'x'"),
        ("/srv/data/b.ASC", "/srv/data/b.ASC, line 9, field 'X': expected a number, found 'y'"),
        ("/srv/data/c.zip::m", "/srv/data/c.zip::m: could not be read (KeyError: 'q')"),
    ]
    assert skip_summary(skipped) == [("expected a number", 2), ("could not be read", 1)]
    assert shown_skips(skipped[:1], "/srv/data") == [
        ("a.ASC", "a.ASC, line 3, field 'X': expected a number, found 'x'")
    ]
    assert shown_text("/srv/data: expected a folder", "/srv/data/") == "data: expected a folder"


def test_an_unexpected_exception_in_one_file_is_a_skip(tmp_path, monkeypatch):
    """Whatever a reader raises (a bug, MemoryError) costs its file only, named in the reason."""
    from seisgan_core import catalog as cat
    from seisgan_core.io import esm_ascii

    for name in ("a.ASC", "b.ASC"):
        (tmp_path / name).write_bytes(b"EVENT_NAME: x\nEVENT_ID: y\nSTREAM: HNE\nNDATA: 1\n1\n")
    calls = []

    def broken(raw, path):
        calls.append(path)
        raise MemoryError if len(calls) == 1 else ZeroDivisionError("float division by zero")

    monkeypatch.setattr(esm_ascii, "parse_esm_ascii", broken)
    catalog = cat.read_records([tmp_path])
    assert len(calls) == 2
    reasons = dict(catalog.skipped)
    assert reasons[str(tmp_path / "a.ASC")].endswith("found one that does not")
    assert reasons[str(tmp_path / "b.ASC")] == (
        f"{tmp_path / 'b.ASC'}: could not be read (ZeroDivisionError: float division by zero)"
    )


def test_one_registry_reads_files_and_zip_members_alike(tmp_path):
    """The same (is_x, read_x) pairs decide for a file and for a zip member: a real record,
    the real ESM flat file and a QuakeML read the same in a folder and in a zip."""
    from seisgan_core.catalog import READERS

    assert [kind for kind, _, _ in READERS] == [
        "cor_acc", "metadata", "rs", "zip", "asdf", "esm_ascii", "flatfile", "quakeml",
    ]  # fmt: skip
    folder = tmp_path / "folder"
    paths = write_real_esm_record(folder, n=300)
    (folder / "flat.csv").write_bytes(ESM_FLATFILE.read_bytes())
    (folder / "notes.txt").write_text("not data\n")
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("x.ASC", paths["E"].read_bytes())
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in folder.iterdir():
            zf.write(path, f"dl/{path.name}")
        zf.writestr("dl/inner.zip", inner.getvalue())
    from_folder, from_zip = read_records([folder]), read_records([archive])
    assert len(from_folder.table) == len(from_zip.table) == 101
    key = ["record_id", "npts", "pga_cm_s2", "mw"]
    pd.testing.assert_frame_equal(
        from_folder.table[key].sort_values("record_id").reset_index(drop=True),
        from_zip.table[key].sort_values("record_id").reset_index(drop=True),
    )
    reasons = dict(from_zip.skipped)
    assert "a zip inside a zip" in reasons[f"{archive}::dl/inner.zip"]
    assert "expected ESM/ITACA ASCII" in reasons[f"{archive}::dl/notes.txt"]
    assert len(paths) == 3


def test_a_damaged_asdf_dataset_read_later_is_an_asdf_error(tmp_path):
    """Waveforms read after the table (prepare, the viewer): libhdf5's own errors on a damaged
    dataset arrive as AsdfError naming the file, which prepare skips record by record."""
    import h5py

    from seisgan_core.io.errors import AsdfError

    path = tmp_path / "real.h5"
    real_asdf(path, noise=False, n=400)
    row = read_records([path]).table.iloc[0]
    with h5py.File(path, "r+") as f:
        group = f["Waveforms/IT.AQG"]
        name = next(n for n in group if n.startswith("IT.AQG..HNE"))
        attrs = dict(group[name].attrs)
        del group[name]
        dataset = group.create_dataset(name, data=np.zeros(400), compression="gzip")
        dataset.attrs.update(attrs)
        chunk = dataset.id.get_chunk_info(0)
    raw = bytearray(path.read_bytes())
    raw[chunk.byte_offset : chunk.byte_offset + chunk.size] = b"\xff" * chunk.size  # the gzip
    path.write_bytes(bytes(raw))
    with pytest.raises(AsdfError, match="a damaged one") as info:
        read_record_waveforms(row)
    assert info.value.path == str(path)


def test_a_folder_walk_passes_over_the_projects_output_markers(tmp_path):
    """`seisgan demo` leaves .seisgan-output.json in the archive it wrote: reading the folder
    must not list that marker as an unreadable file (the default demo archive did)."""
    from seisgan_core.fsutil import write_output_marker
    from seisgan_testsupport.app_support import esm_archive

    archive = esm_archive(tmp_path / "archive", n_events=2, n_stations=2)
    write_output_marker(archive, "seisgan demo", folder=True)
    (archive / "notes.txt").write_text("not a record\n")
    cat = read_records(archive)
    assert len(cat) == 4
    assert [p.rsplit("/", 1)[-1] for p, _ in cat.skipped] == ["notes.txt"]
