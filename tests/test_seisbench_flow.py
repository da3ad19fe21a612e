"""SeisBench data sets through the documented commands, offline: ingest -> prepare -> train ->
export --format seisbench from the real L'Aquila 2009 records (one event), and prepare ->
evaluate on a SeisBench set in SeisBench's plain conventions written from the demo archive
(several events, as evaluate's event-wise train/test split needs)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seisgan_core import cli
from seisgan_core.catalog import read_records
from seisgan_core.preparation import load_prepared
from seisgan_testsupport.io_realdata import LAQUILA, requires_fixtures
from seisgan_testsupport.seisbench_sets import esm25_format, write_esm25_like

pytestmark = [
    requires_fixtures,
    pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame"),
]


@pytest.mark.slow  # two prepares, one training epoch on CPU: about a minute
def test_ingest_prepare_train_export_round_trip(tmp_path, capsys):
    import seisbench.data as sbd

    folder = tmp_path / "esm25-laquila"
    write_esm25_like(folder, read_records([LAQUILA]).table, esm25_format())
    table, source = tmp_path / "catalog.parquet", tmp_path / "laquila.seisbench.json"
    where = "path_ep_distance_km < 100"
    assert cli.main(["ingest", "--seisbench", str(folder), "--where", where,
                     "--out", str(table), "--source-file", str(source)]) == 0  # fmt: skip
    assert "read 6 records (seisbench 6)" in capsys.readouterr().out
    assert json.loads(source.read_text())["where"] == where
    assert len(pd.read_parquet(table)) == 6

    # prepare takes the descriptor like any archive, and makes the same set as the originals
    via_sb, via_itaca = tmp_path / "sb-set", tmp_path / "itaca-set"
    assert cli.main(["prepare", str(source), "--out", str(via_sb), "--no-noise"]) == 0
    assert cli.main(["prepare", str(LAQUILA), "--out", str(via_itaca), "--no-noise",
                     "--distance-max", "99.9"]) == 0  # fmt: skip
    a, b = load_prepared(via_sb), load_prepared(via_itaca)
    order_a = np.argsort(a.records["station"].to_numpy())
    order_b = np.argsort(b.records["station"].to_numpy())
    stations = a.records["station"].to_numpy()[order_a].tolist()
    assert len(stations) == 6 and stations == b.records["station"].to_numpy()[order_b].tolist()
    np.testing.assert_allclose(a.to_cm_s2()[order_a], b.to_cm_s2()[order_b], rtol=1e-4, atol=1e-4)
    capsys.readouterr()
    assert cli.main(["prepare", str(source), "--out", str(via_sb), "--no-noise"]) == 0
    assert "up to date" in capsys.readouterr().out

    run = tmp_path / "run"
    assert cli.main(["train", "--data", str(via_sb), "--out", str(run), "--preset", "demo",
                     "--epochs", "1", "--batch-size", "4", "--device", "cpu",
                     "--no-progress"]) == 0  # fmt: skip
    out = tmp_path / "generated-sb"
    assert cli.main(["export", "--run", str(run), "--n", "3", "--seed", "5",
                     "--format", "seisbench", "--out", str(out)]) == 0  # fmt: skip
    data = sbd.WaveformDataset(out, component_order="ENZ", dimension_order="NCW")
    assert data.data_format["unit"] == "cm/s^2"
    assert data.data_format["measurement"] == "acceleration"
    assert data.get_waveforms(np.arange(3)).shape == (3, 3, 8000)
    meta = data.metadata
    prov = json.loads((out / "provenance.json").read_text())
    assert set(meta["seisgan_run"]) == {str(run)} and set(meta["seisgan_seed"]) == {5}
    assert set(meta["seisgan_checkpoint"]) == {prov["checkpoint"]} and prov["checkpoint"]
    conditions = prov["conditions"]  # the run is conditioned: Mw, distance, depth, Vs30
    np.testing.assert_allclose(meta["source_magnitude"], [c["mw"] for c in conditions])
    np.testing.assert_allclose(meta["path_ep_distance_km"], [c["distance_km"] for c in conditions])
    np.testing.assert_allclose(meta["source_depth_km"], [c["depth_km"] for c in conditions])
    np.testing.assert_allclose(meta["station_vs30_mps"], [c["vs30_m_s"] for c in conditions])
    # the export is itself a SeisBench source the project reads back
    back = read_records([out]).table
    assert len(back) == 3 and set(back["components"]) == {"E,N,Z"}
    np.testing.assert_allclose(back["mw"], meta["source_magnitude"])


def _standard_set(folder: Path, table: pd.DataFrame) -> None:
    """A SeisBench set in SeisBench's plain conventions: component_order 'ZNE', m/s^2."""
    import seisbench.data as sbd

    from seisgan_core.catalog import read_record_waveforms

    with sbd.WaveformDataWriter(folder / "metadata.csv", folder / "waveforms.hdf5") as writer:
        writer.metadata_dict = None
        writer.data_format = {"dimension_order": "CW", "component_order": "ZNE",
                              "measurement": "acceleration", "unit": "m/s^2"}  # fmt: skip
        for row in table.itertuples(index=False):
            rec = read_record_waveforms(row)
            assert rec.components == ("E", "N", "Z")
            meta = {
                "trace_name": row.record_id, "source_id": row.event_id,
                "source_origin_time": row.event_time.isoformat(),
                "source_latitude_deg": row.event_latitude,
                "source_longitude_deg": row.event_longitude,
                "source_depth_km": row.event_depth_km, "source_magnitude": row.mw,
                "source_magnitude_type": "Mw", "station_network_code": row.network,
                "station_code": row.station, "station_latitude_deg": row.station_latitude,
                "station_longitude_deg": row.station_longitude,
                "station_vs30_mps": row.vs30_m_s, "trace_sampling_rate_hz": row.sampling_rate_hz,
                "trace_npts": rec.data.shape[1],
            }  # fmt: skip
            writer.add_trace(meta, (rec.data[::-1] / 100.0).astype(np.float32))  # Z, N, E


@pytest.mark.slow  # a demo archive, two prepares and an evaluation on CPU
def test_a_standard_seisbench_set_prepares_and_evaluates_like_its_source(tmp_path, capsys):
    assert cli.main(["demo", "--out", str(tmp_path / "raw"), "--records", "48",
                     "--noise", "0"]) == 0  # fmt: skip
    demo = read_records([tmp_path / "raw" / "demo.h5"]).table
    folder = tmp_path / "sb"
    folder.mkdir()
    _standard_set(folder, demo)
    via_sb, via_asdf = tmp_path / "sb-set", tmp_path / "asdf-set"
    assert cli.main(["prepare", str(folder), "--out", str(via_sb), "--no-noise"]) == 0
    assert cli.main(["prepare", str(tmp_path / "raw" / "demo.h5"), "--out", str(via_asdf),
                     "--no-noise"]) == 0  # fmt: skip
    a, b = load_prepared(via_sb), load_prepared(via_asdf)
    assert sorted(a.records["event_id"]) == sorted(b.records["event_id"])
    assert (
        a.records["split"].value_counts().to_dict() == b.records["split"].value_counts().to_dict()
    )
    key_a = (a.records["event_id"] + "." + a.records["station"]).to_numpy()
    key_b = (b.records["event_id"] + "." + b.records["station"]).to_numpy()
    np.testing.assert_allclose(a.to_cm_s2()[np.argsort(key_a)], b.to_cm_s2()[np.argsort(key_b)],
                               rtol=1e-4, atol=1e-3)  # fmt: skip
    real = a.to_cm_s2().astype(np.float32)
    generated = tmp_path / "copies.npy"
    np.save(generated, np.roll(real, 150, axis=-1) * 1.5)
    out = tmp_path / "eval"
    assert cli.main(["evaluate", "--generated", str(generated), "--data", str(via_sb),
                     "--out", str(out), "--no-figures", "--quiet"]) == 0  # fmt: skip
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_real"] == len(real) and metrics["n_generated"] == len(real)
