"""A SeisBench data set through the documented commands: ingest -> prepare -> train -> export
--format seisbench, offline, from the real L'Aquila 2009 records."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "io"))  # the real-data helpers
from io_realdata import LAQUILA, requires_fixtures
from test_seisbench import _esm25_format, write_esm25_like

from seisgan_core import cli
from seisgan_core.catalog import read_records
from seisgan_core.prepare import load_prepared

pytestmark = [
    requires_fixtures,
    pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame"),
]


@pytest.mark.slow  # two prepares, one training epoch on CPU: about a minute
def test_ingest_prepare_train_export_round_trip(tmp_path, capsys):
    import seisbench.data as sbd

    folder = tmp_path / "esm25-laquila"
    write_esm25_like(folder, read_records([LAQUILA]).table, _esm25_format())
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
