"""The demo archive as written: real formats, read back only through the project's readers."""

from __future__ import annotations

import io
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from seisgan_core.catalog import iter_record_waveforms, read_records
from seisgan_core.demo import build_demo_archive
from seisgan_core.demo.writer import FLATFILE_COLUMNS
from seisgan_core.io.esm_ascii import read_esm_ascii

N_RECORDS = 60
N_NOISE = 5


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "demo"
    calls: list[tuple[float, str]] = []
    summary = build_demo_archive(
        out,
        seed=3,
        n_records=N_RECORDS,
        n_noise=N_NOISE,
        progress=lambda f, m: calls.append((f, m)),
    )
    return out, summary, calls


def test_layout_and_summary(archive):
    out, summary, _ = archive
    assert sorted(p.name for p in out.iterdir()) == ["ascii", "demo.h5", "flatfile.csv"]
    assert summary.n_records == N_RECORDS and summary.n_noise == N_NOISE
    assert summary.n_ascii_files > 0
    # One event as ESM ASCII by default: three files per record of that event.
    (event_dir,) = list((out / "ascii").iterdir())
    assert len(list(event_dir.iterdir())) == summary.n_ascii_files
    assert summary.n_ascii_files % 3 == 0
    # Nothing left behind by the atomic build (the lock's file stays: an OS lock, filelock)
    assert sorted(p.name for p in out.parent.iterdir()) == [".demo.lock", "demo"]


def test_pinned_values_of_a_small_seeded_archive(archive):
    """Values of the seed-3, 60-record archive as the simulator of session 4 writes it (a
    refactoring of the writer or the catalogue must leave them, and every byte, unchanged;
    a change of the simulator changes them on purpose, and this test with it)."""
    out, summary, _ = archive
    counts = (summary.n_events, summary.n_stations, summary.n_ascii_files)
    assert counts == (14, 50, 24) and summary.records_le_40_s == 16
    flat = pd.read_csv(out / "flatfile.csv", keep_default_na=False)
    first, last = flat.iloc[0], flat.iloc[-1]
    assert (first["EVENT_ID"], first["STATION_CODE"], first["component"]) == (
        "IT-2015-0001",
        "BVN",
        "E",
    )
    assert (first["epi_dist_km"], first["NDATA"], first["Mw"], first["Ml"]) == (
        25.81,
        10534,
        4.6,
        4.4,
    )
    assert first["dur_s"] == pytest.approx(20.545, abs=0.002)
    assert (last["EVENT_ID"], last["STATION_CODE"], last["NDATA"]) == ("IT-2013-0001", "VST", 11692)
    with h5py.File(out / "demo.h5", "r") as f:
        x = f["Waveforms"]["IT.AMT"][
            "IT.AMT..HNE__2010-07-21T22:27:18__2010-07-21T22:27:57__processed_acceleration"
        ][()]
    assert len(x) == 7952
    assert int(np.abs(x).argmax()) == 3348
    assert float(np.abs(x).max()) == pytest.approx(3.2007983, rel=1e-5)
    assert float(x[1000]) == pytest.approx(-0.00204892, rel=1e-4)


def test_progress_reaches_one(archive):
    _, _, calls = archive
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0


def test_read_back_through_the_readers(archive):
    out, summary, _ = archive
    catalog = read_records([out])
    table = catalog.table
    # Only the ASCII and flat-file copies of ASDF records are reported, as duplicates.
    assert all("also read from" in reason for _, reason in catalog.skipped)
    quakes = table[table["kind"] == "earthquake"]
    noise = table[table["kind"] == "noise"]
    assert len(quakes) == N_RECORDS and len(noise) == N_NOISE
    assert quakes["event_id"].nunique() == summary.n_events
    assert noise["event_id"].isna().all()
    assert set(quakes["source_format"]) == {"asdf"}
    assert quakes["components"].isin(["E,N,Z", "2,3,Z"]).all()
    assert quakes["sampling_rate_hz"].isin([100.0, 200.0]).all()
    # Vs30 and EC8 class travel in StationXML extras and reach the record table.
    assert table["vs30_m_s"].between(150.0, 1600.0).all()
    assert table["ec8_class"].isin(list("ABCD")).all()
    # The flat file's 5-95 % durations join the ASDF records by record id.
    assert quakes["d5_95_s"].notna().all()
    # Magnitudes from QuakeML: Mw 4.0-6.5, one decimal, where the event has one.
    mw = quakes["mw"].dropna()
    assert mw.between(4.0, 6.5).all()
    # Record lengths vary as real ones do.
    assert quakes["record_duration_s"].between(20.0, 180.0).all()


def test_ascii_samples_equal_the_asdf_samples(archive):
    out, _, _ = archive
    table = read_records([out / "demo.h5"]).table
    ascii_files = sorted((out / "ascii").rglob("*.ASC"))
    first = read_esm_ascii(ascii_files[0])
    header = first.header
    rid_prefix = f"{header['EVENT_ID']}.{header['NETWORK']}.{header['STATION_CODE']}."
    row = table[table["record_id"].str.startswith(rid_prefix)]
    assert len(row) == 1
    ((_, waves),) = list(iter_record_waveforms(row))
    k = waves.components.index(header["STREAM"][-1])
    np.testing.assert_allclose(first.data, waves.data[k], rtol=2e-6, atol=1e-9)
    assert first.fields["UNITS"] == "cm/s^2"  # the demo writes every ESM ASCII file in cm/s^2
    assert float(header["VS30_M/S"]) > 0


def test_asdf_contents(archive):
    import obspy

    out, summary, _ = archive
    with h5py.File(out / "demo.h5", "r") as f:
        assert f.attrs["file_format"] == b"ASDF"
        events = obspy.read_events(io.BytesIO(f["QuakeML"][()].tobytes()))
        assert len(events) == summary.n_events
        tags = set()
        for group in f["Waveforms"].values():
            inv = obspy.read_inventory(io.BytesIO(group["StationXML"][()].tobytes()))
            station = inv[0][0]
            assert float(station.extra["vs30_m_s"]["value"]) > 100.0
            assert station.extra["ec8_class"]["value"] in "ABCD"
            for name, ds in group.items():
                if name == "StationXML":
                    continue
                tag = name.split("__")[-1]
                tags.add(tag)
                assert ("event_id" in ds.attrs) == (tag == "processed_acceleration")
                assert ds.dtype == np.float32
    assert tags == {"processed_acceleration", "noise"}


def test_flatfile_is_the_itaca_export(archive):
    out, _, _ = archive
    flat = pd.read_csv(out / "flatfile.csv")
    assert tuple(flat.columns) == FLATFILE_COLUMNS
    assert len(flat) == 3 * N_RECORDS
    assert set(flat["component"]) <= {"E", "N", "Z", "2", "3"}
    assert (flat["dur_s"] > 0).all()
    assert flat["SAMPLING_INTERVAL_S"].isin([0.005, 0.01]).all()
    meta = read_records([out / "flatfile.csv"]).table
    assert len(meta) == N_RECORDS


def _contents(folder: Path) -> dict[str, bytes]:
    """Waveform samples and metadata bytes (the HDF5 container's own timestamps aside)."""
    out: dict[str, bytes] = {}
    with h5py.File(folder / "demo.h5", "r") as f:
        out["QuakeML"] = f["QuakeML"][()].tobytes()

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()].tobytes()
                for key, value in sorted(obj.attrs.items()):
                    out[f"{name}@{key}"] = np.asarray(value).tobytes()

        f["Waveforms"].visititems(visit)
    out["flatfile"] = (folder / "flatfile.csv").read_bytes()
    for path in sorted((folder / "ascii").rglob("*")):
        if path.is_file():
            out[str(path.relative_to(folder))] = path.read_bytes()
    return out


@pytest.mark.slow
def test_same_seed_same_bytes_other_seed_other_data(archive, tmp_path):
    out, _, _ = archive
    again = build_demo_archive(tmp_path / "again", seed=3, n_records=N_RECORDS, n_noise=N_NOISE)
    assert _contents(out) == _contents(again.out_dir)
    other = build_demo_archive(tmp_path / "other", seed=4, n_records=N_RECORDS, n_noise=N_NOISE)
    assert _contents(other.out_dir)["flatfile"] != _contents(out)["flatfile"]


@pytest.mark.slow
def test_interrupted_build_leaves_the_old_archive(tmp_path):
    target = tmp_path / "demo"
    build_demo_archive(target, seed=1, n_records=12, n_noise=1)
    before = _contents(target)

    def explode(fraction, message):
        if fraction > 0.5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_demo_archive(target, seed=2, n_records=12, n_noise=1, progress=explode)
    assert _contents(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".demo.lock", "demo"]

    with pytest.raises(KeyboardInterrupt):
        build_demo_archive(tmp_path / "fresh", seed=2, n_records=12, n_noise=1, progress=explode)
    assert not (tmp_path / "fresh").exists()


def test_no_noise_windows(tmp_path):
    summary = build_demo_archive(tmp_path / "quiet", seed=2, n_records=8, n_noise=0)
    table = read_records([summary.asdf_path]).table
    assert len(table) == 8 and (table["kind"] == "earthquake").all()


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="n_records"):
        build_demo_archive(tmp_path / "x", n_records=0)
    with pytest.raises(ValueError, match="n_noise"):
        build_demo_archive(tmp_path / "x", n_noise=-1)


def test_pyasdf_reads_and_validates_it(archive, capsys):
    import pyasdf

    out, summary, _ = archive
    ds = pyasdf.ASDFDataSet(str(out / "demo.h5"), mode="r", mpi=False)
    try:
        assert len(ds.events) == summary.n_events
        ds.validate()
        report = capsys.readouterr().out
        assert "0 station(s) have no available station information" in report
        assert "0 station(s) with no waveforms" in report
        first = ds.waveforms[ds.waveforms.list()[0]]
        assert float(first.StationXML[0][0].extra.vs30_m_s.value) > 100.0
    finally:
        del ds
