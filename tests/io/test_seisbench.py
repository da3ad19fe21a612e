"""SeisBench data sets both ways, offline, from the real L'Aquila 2009 records.

A small data set is written with SeisBench's own ``WaveformDataWriter`` from the real ITACA
1.x fixture (read through the project's reader), with ESM25's component names
(``acc_mp_u/v/w``, ``vel_mp_*``, ``dis_mp_*``) and SeisBench metadata; it is read back
through ``seisbench.data.WaveformDataset`` and through the project's adapter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seisgan_core import cli
from seisgan_core.catalog import read_record_waveforms, read_records, read_seisbench
from seisgan_core.io import seisbench as sb
from seisgan_core.io.errors import FormatError
from seisgan_testsupport.io_realdata import LAQUILA, requires_fixtures
from seisgan_testsupport.seisbench_sets import (
    ESM25_MP,
    acc_m_s2,
    esm25_format,
    esm25_metadata,
    strings,
    write_esm25_like,
)

pytestmark = [
    requires_fixtures,
    # SeisBench 0.12.6 calls DataFrame.reset_index(inplace=True), deprecated by pandas 3
    pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame"),
]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def legacy() -> pd.DataFrame:
    return read_records([LAQUILA]).table


@pytest.fixture(scope="module")
def esm25(tmp_path_factory, legacy) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("sb") / "esm25-laquila"
    return folder, write_esm25_like(folder, legacy, esm25_format())


def test_seisbench_reads_back_every_field_and_sample(esm25, legacy):
    import seisbench.data as sbd

    folder, written = esm25
    data = sbd.WaveformDataset(folder, component_order=ESM25_MP[:6], dimension_order="NCW")
    assert data.data_format["component_order"] == ESM25_MP
    assert data.data_format["unit"][:3] == ("m/s^2",) * 3
    assert len(data) == len(legacy) == 13
    for i, meta in data.metadata.iterrows():
        # a trace alone in its bucket keeps its name; the others get the bucket's
        original = meta.get("trace_name_original")
        row, acc, vel = written[original if isinstance(original, str) else meta["trace_name"]]
        expected = esm25_metadata(row)
        for key, value in expected.items():
            if key == "trace_name":
                continue  # the writer renames traces into its buckets
            if key == "source_origin_time":  # SeisBench parses it
                assert pd.Timestamp(meta[key]) == pd.Timestamp(value)
            elif isinstance(value, float):
                assert meta[key] == pytest.approx(value, rel=1e-12), key
            else:
                assert str(meta[key]) == str(value) or (value == "" and pd.isna(meta[key])), key
        wave = data.get_waveforms(i)
        assert wave.shape == (6, acc.shape[1])
        np.testing.assert_array_equal(wave[:3], acc.astype(np.float32))
        np.testing.assert_array_equal(wave[3:], vel.astype(np.float32))


def test_adapter_maps_metadata_and_samples_to_the_record_table(esm25, legacy):
    folder, _ = esm25
    table = read_records([folder]).table
    assert len(table) == 13 and set(table["source_format"]) == {"seisbench"}
    assert set(table["source_path"]) == {str(folder)}
    mine = table.sort_values("station").reset_index(drop=True)
    ref = legacy.sort_values("station").reset_index(drop=True)
    same = ["event_id", "event_time", "network", "station", "location", "npts", "components"]
    for column in same:
        assert mine[column].tolist() == ref[column].tolist(), column
    close = ["event_latitude", "event_longitude", "event_depth_km", "mw", "ml",
             "station_latitude", "station_longitude", "vs30_m_s", "epicentral_distance_km",
             "sampling_rate_hz", "pga_cm_s2", "record_duration_s"]  # fmt: skip
    for column in close:
        np.testing.assert_allclose(mine[column], ref[column], rtol=1e-12, err_msg=column)
    assert set(mine["ec8_class"]) == {"B"}  # "B*" (inferred class) as ESM writes it
    assert set(mine["channels"]) == {"HNE,HNN,HNZ"}
    aqg = mine[mine["station"] == "AQG"].iloc[0]
    assert aqg["npts"] == 59220 and aqg["epicentral_distance_km"] == 4.0
    assert aqg["pga_cm_s2"] == pytest.approx(506.93, abs=0.01)  # 5.0693 m/s^2
    for k in range(len(mine)):
        got = read_record_waveforms(mine.iloc[k])
        want = read_record_waveforms(ref.iloc[k])
        assert got.components == ("E", "N", "Z") and got.sampling_rate_hz == 200.0
        # stored as float32 m/s^2, read back as float64 cm/s^2
        expected = acc_m_s2(ref.iloc[k]).astype(np.float32).astype(np.float64) * 100.0
        np.testing.assert_array_equal(got.data, expected)
        np.testing.assert_allclose(got.data, want.data, rtol=1e-6, atol=1e-9)


def test_where_filters_seisbench_metadata_and_a_bad_filter_names_it(esm25):
    folder, _ = esm25
    rows = read_seisbench(str(folder), where="path_ep_distance_km < 100 and station_vs30_mps > 0")
    assert sorted(r["epicentral_distance_km"] for r in rows) == [4.0, 5.0, 5.0, 6.0, 18.0, 35.0]
    with pytest.raises(FormatError) as err:
        read_seisbench(str(folder), where="no_such_column > 3")
    assert "'where'" in str(err.value) and "no_such_column" in str(err.value)
    assert str(folder) in str(err.value)


def test_uvw_without_orientation_stay_non_geographic(tmp_path, legacy):
    folder = tmp_path / "no-orientation"
    write_esm25_like(folder, legacy[legacy["station"] == "AQG"], esm25_format(orientation=False))
    (row,) = read_seisbench(str(folder))
    assert row["components"] == "1,2,Z"  # u, v are horizontals the data set does not orient
    assert read_record_waveforms(row).components == ("1", "2", "Z")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"component_order": ESM25_MP[3:6], "measurement": "velocity", "unit": "m/s"},
         ["velocity", "acceleration"]),
        ({"component_order": tuple("ZNE"), "measurement": "acceleration", "unit": "counts"},
         ["'counts'", "cm/s^2", "data_format/unit"]),
        ({"component_order": ESM25_MP[:3], "measurement": "velocity", "unit": "m/s"},
         ["acc_mp_u", "velocity", "data_format/measurement"]),
        ({"component_order": tuple("ZNE"), "measurement": None, "unit": "m/s^2"},
         ["no data_format measurement"]),
        ({"component_order": tuple("ZNE"), "measurement": "acceleration", "unit": None},
         ["data_format/unit"]),
        ({"component_order": ("acc_mp_u", "acc_mp_w"), "measurement": "acceleration",
          "unit": "m/s^2"}, ["two horizontals"]),
    ],
)  # fmt: skip
def test_data_format_that_is_not_convertible_acceleration_is_refused(changes, words):
    fmt = {"dimension_order": "CW", **changes}
    with pytest.raises(FormatError) as err:
        sb.acceleration_plan({k: v for k, v in fmt.items() if v is not None}, "/data/set")
    message = str(err.value)
    assert message.startswith("/data/set")
    for word in words:
        assert word in message


@pytest.mark.parametrize(
    ("order", "unit", "names", "letters", "factor"),
    [
        ("ZNE", "m/s^2", ("E", "N", "Z"), ("E", "N", "Z"), 100.0),
        ("Z12", "mps2", ("1", "2", "Z"), ("1", "2", "Z"), 100.0),
        (("acc_cv_w", "acc_cv_v", "acc_cv_u"), "cm/s^2", ("acc_cv_v", "acc_cv_u", "acc_cv_w"),
         ("E", "N", "Z"), 1.0),
        ("ZNE", "g", ("E", "N", "Z"), ("E", "N", "Z"), 980.665),
    ],
)  # fmt: skip
def test_acceleration_plan_orders_and_converts(order, unit, names, letters, factor):
    fmt = {"component_order": order, "measurement": "acceleration", "unit": unit}
    if names[0].startswith("acc"):
        fmt["component_orientation"] = "ZEN"  # w -> Z, v -> E, u -> N, as the set says
    plan = sb.acceleration_plan(fmt, "x")
    assert (plan.names, plan.letters, plan.to_cm_s2) == (names, letters, factor)


def test_ingest_refuses_a_velocity_set_with_a_clear_message(tmp_path, legacy, capsys):
    folder = tmp_path / "velocity-only"
    fmt = esm25_format()
    fmt["measurement"] = strings(["velocity"] * 9)
    write_esm25_like(folder, legacy[legacy["station"] == "AQG"], fmt)
    out = tmp_path / "cat.parquet"
    assert cli.main(["ingest", "--seisbench", str(folder), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert str(folder) in err and "acc_mp_u" in err and "velocity" in err
    assert not out.exists()


def _fake_offline_cache(root: Path) -> None:
    # SeisBench reads its server from config.json in its cache root: point it at TEST-NET-1
    # (RFC 5737, never routed), so this test cannot download even on a machine with a network.
    root.mkdir(parents=True, exist_ok=True)
    config = {
        "dimension_order": "NCW",
        "component_order": "ZNE",
        "remote_root": "https://192.0.2.1/",
    }
    (root / "config.json").write_text(json.dumps(config))


@pytest.mark.slow  # one interpreter start-up with SeisBench and ObsPy
def test_named_set_not_cached_without_network_says_so_and_never_hangs(tmp_path):
    cache = tmp_path / "sbcache"
    _fake_offline_cache(cache)
    env = {**os.environ, "SEISBENCH_CACHE_ROOT": str(cache), "PYTHONPATH": str(ROOT)}
    out = tmp_path / "cat.parquet"
    result = subprocess.run(
        [sys.executable, "-m", "seisgan_core.cli", "ingest", "--seisbench", "ESM25GoodMP",
         "--out", str(out), "--timeout", "2"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert "ESM25GoodMP" in result.stderr
    assert str(cache / "datasets" / "esm25goodmp") in result.stderr
    assert "cannot be reached" in result.stderr and "192.0.2.1" in result.stderr
    assert not out.exists()
    assert not any((cache / "datasets").rglob("*.hdf5"))


def test_offline_flag_never_asks_the_server(tmp_path, monkeypatch):
    import seisbench

    monkeypatch.setattr(seisbench, "cache_data_root", tmp_path / "datasets")
    monkeypatch.setattr(seisbench, "remote_data_root", "https://192.0.2.1/datasets/")
    with pytest.raises(sb.SeisbenchUnavailableError) as err:
        read_seisbench("AQ2009GM", allow_download=False)
    message = str(err.value)
    assert "AQ2009GM" in message and str(tmp_path / "datasets" / "aq2009gm") in message
    assert "downloading is off" in message
    with pytest.raises(FormatError, match="did you mean ESM25GoodMP"):
        read_seisbench("ESM25GoodMQ")
    with pytest.raises(FormatError, match="spectra"):
        read_seisbench("ESM25SpectraMP")


def test_named_set_in_the_cache_is_read_from_there(tmp_path, monkeypatch, legacy):
    import seisbench

    monkeypatch.setattr(seisbench, "cache_data_root", tmp_path / "datasets")
    write_esm25_like(tmp_path / "datasets" / "esm25goodmp", legacy.iloc[:2], esm25_format())
    rows = read_seisbench("ESM25GoodMP", allow_download=False)
    assert [r["source_path"] for r in rows] == ["seisbench:ESM25GoodMP"] * 2
    assert read_record_waveforms(rows[0]).data.shape == (3, int(rows[0]["npts"]))


def test_writers_never_replace_what_seisgan_did_not_write(tmp_path):
    rng = np.random.default_rng(0)
    waves = rng.normal(size=(2, 3, 300))
    rows = [{"trace_name": f"T{i}", "source_id": f"E{i}"} for i in range(2)]
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a seisgan SeisBench export"):
        sb.write_seisbench_dataset(theirs, waves, rows, sampling_rate_hz=100.0)
    assert (theirs / "notes.txt").read_text() == "mine"
    ours = tmp_path / "ours"
    extra = {"provenance.json": json.dumps({"writer": "seisgan"}).encode()}
    sb.write_seisbench_dataset(ours, waves, rows, sampling_rate_hz=100.0, extra_files=extra)
    sb.write_seisbench_dataset(ours, waves[:1], rows[:1], sampling_rate_hz=100.0, extra_files=extra)
    assert len(pd.read_csv(ours / "metadata.csv")) == 1  # an earlier export is replaced
    note = tmp_path / "note.json"
    note.write_text('{"mine": true}')
    with pytest.raises(FileExistsError, match="not a SeisBench source descriptor"):
        sb.write_descriptor(note, str(ours), None)
    assert json.loads(note.read_text()) == {"mine": True}
    sb.write_descriptor(tmp_path / "d.json", "ours", "x > 1")  # relative to the descriptor
    assert sb.read_descriptor(tmp_path / "d.json") == (str(ours), "x > 1")


def test_a_rewritten_set_is_read_afresh(tmp_path):
    from seisgan_core.catalog import iter_record_waveforms

    folder = tmp_path / "set"
    rows = [{"trace_name": "T0", "source_id": "E0"}]
    extra = {"provenance.json": json.dumps({"writer": "seisgan"}).encode()}
    for scale in (1.0, 2.0):
        waves = np.full((1, 3, 50), scale)
        sb.write_seisbench_dataset(folder, waves, rows, sampling_rate_hz=100.0, extra_files=extra)
        table = read_records([folder]).table
        ((_, rec),) = list(iter_record_waveforms(table))
        np.testing.assert_array_equal(rec.data, np.full((3, 50), scale))  # cm/s^2 as written
