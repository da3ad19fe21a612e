"""`seisgan train`, `seisgan generate` and `seisgan tune` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from seisgan_core import cli
from seisgan_core.train.config import load_preset
from seisgan_core.train.runs import load_run
from seisgan_testsupport.tiny_training import write_preset

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def conditional_run(prepared, tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("cli")
    preset = write_preset(
        tmp / "cond.json", epochs=2, conditions=["mw", "log10_distance_km", "depth_km", "vs30_m_s"]
    )
    out = tmp / "run"
    code = cli.main(
        [
            "train",
            "--data",
            str(prepared),
            "--preset",
            str(preset),
            "--out",
            str(out),
            "--no-progress",
            "--threads",
            "1",
        ]
    )
    assert code == 0
    return out


def test_generate_npy_writes_cm_s2_with_a_sidecar(conditional_run, tmp_path):
    out = tmp_path / "gen" / "quake.npy"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "seisgan_core.cli",
            "generate",
            "--run",
            str(conditional_run),
            "--epoch",
            "1",
            "--n",
            "5",
            "--mw",
            "6.1",
            "--distance-km",
            "12",
            "--depth-km",
            "9",
            "--vs30",
            "520",
            "--seed",
            "3",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    x = np.load(out)
    meta = json.loads(out.with_suffix(".json").read_text())
    assert x.shape == (5, 3, 512) and x.dtype == np.float32
    assert meta["epoch"] == 1 and meta["units"] == "cm/s2" and meta["seed"] == 3
    assert meta["run"] == str(conditional_run)
    assert meta["conditions"][0] == {
        "mw": 6.1,
        "distance_km": 12.0,
        "depth_km": 9.0,
        "vs30_m_s": 520.0,
    }
    assert np.abs(x).max(axis=-1) == pytest.approx(
        10 ** np.array(meta["log10_pga_cm_s2"]), rel=1e-4
    )
    # the same call through the library gives the same waveforms (to float32 rounding: the
    # subprocess may use another number of threads)
    same = load_run(conditional_run).generate(
        5, {"mw": 6.1, "distance_km": 12, "depth_km": 9, "vs30_m_s": 520}, epoch=1, seed=3
    )
    assert np.allclose(x, same, rtol=1e-5, atol=1e-6 * np.abs(x).max())


def test_generate_asdf_records_the_provenance(conditional_run, tmp_path):
    import pyasdf

    out = tmp_path / "quake.h5"
    code = cli.main(
        [
            "generate",
            "--run",
            str(conditional_run),
            "--n",
            "2",
            "--mw",
            "5",
            "--distance-km",
            "30",
            "--depth-km",
            "10",
            "--vs30",
            "400",
            "--pga",
            "median",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    with pyasdf.ASDFDataSet(str(out), mode="r") as ds:
        assert sorted(ds.waveforms.list()) == ["SG.G0000", "SG.G0001"]
        st = ds.waveforms["SG.G0001"]["generated_acceleration"]
        assert sorted(tr.stats.channel for tr in st) == ["HNE", "HNN", "HNZ"]
        assert all(tr.stats.sampling_rate == 200.0 and tr.stats.npts == 512 for tr in st)
        info = ds.auxiliary_data.GenerationInfo.seisgan
        meta = json.loads(info.parameters["metadata_json"])
        pga = np.asarray(info.data)
        peak_e = np.abs(st.select(channel="HNE")[0].data).max()
    assert meta["run"] == str(conditional_run) and meta["pga"] == "median"
    assert meta["conditions"][1]["mw"] == 5.0
    # median PGA: both samples share one scenario, so one predicted peak per component
    assert np.allclose(pga[0], pga[1])
    assert peak_e == pytest.approx(10 ** pga[1, 0], rel=1e-4)
    # no temporary file left behind; the marker says `seisgan generate` wrote quake.h5
    assert [p.name for p in tmp_path.glob(".*")] == [".quake.h5.seisgan-output.json"]


def test_generate_explains_a_missing_condition(conditional_run, tmp_path, capsys):
    code = cli.main(
        [
            "generate",
            "--run",
            str(conditional_run),
            "--n",
            "1",
            "--mw",
            "5",
            "--out",
            str(tmp_path / "x.npy"),
        ]
    )
    assert code == 1
    assert "distance_km" in capsys.readouterr().err
    assert not (tmp_path / "x.npy").exists()


def test_train_refuses_a_bad_preset_file(prepared, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"hyperparameters": {"epochs": 2,')
    code = cli.main(
        [
            "train",
            "--data",
            str(prepared),
            "--preset",
            str(bad),
            "--out",
            str(tmp_path / "r"),
            "--no-progress",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "JSON" in err


@pytest.mark.slow
def test_tune_searches_prunes_resumes_and_writes_a_preset_train_accepts(prepared, tmp_path):
    import optuna

    from seisgan_core.train.tune import tune

    out = tmp_path / "tune-tiny"
    base = write_preset(tmp_path / "base.json", epochs=50, checkpoint_every=0)
    best = tune(data=prepared, out=out, trials=3, epochs_per_trial=2, base=str(base))
    study = optuna.load_study(
        study_name="seisgan-tune", storage=f"sqlite:///{out / 'study.sqlite3'}"
    )
    assert len(study.trials) == 3
    values = [t.value for t in study.trials if t.value is not None]
    assert best["val_score"] == pytest.approx(min(values))
    # a second call with more trials resumes the stored study: one more trial, not four
    tune(data=prepared, out=out, trials=4, epochs_per_trial=2, base=str(base))
    study = optuna.load_study(
        study_name="seisgan-tune", storage=f"sqlite:///{out / 'study.sqlite3'}"
    )
    assert len(study.trials) == 4
    name, hp = load_preset(out / "best_preset.json")
    params = json.loads((out / "best_preset.json").read_text())["tuned"]
    assert hp.lr_critic == pytest.approx(params["lr_critic"]) and hp.epochs == 50
    code = cli.main(
        [
            "train",
            "--data",
            str(prepared),
            "--preset",
            str(out / "best_preset.json"),
            "--out",
            str(tmp_path / "tuned"),
            "--epochs",
            "1",
            "--no-progress",
        ]
    )
    assert code == 0
    assert load_run(tmp_path / "tuned").config["preset"] == name


def test_tune_stops_a_pruned_trial_after_the_epoch_optuna_says(prepared, tmp_path, monkeypatch):
    import optuna

    from seisgan_core.train.tune import tune

    # optuna's median pruner decides; here it says "prune" for every trial after the first
    monkeypatch.setattr(optuna.trial.Trial, "should_prune", lambda self: self.number >= 1)
    out = tmp_path / "tune-prune"
    base = write_preset(tmp_path / "base.json", epochs=50, checkpoint_every=0)
    tune(data=prepared, out=out, trials=2, epochs_per_trial=3, base=str(base))
    storage = f"sqlite:///{out / 'study.sqlite3'}"
    study = optuna.load_study(study_name="seisgan-tune", storage=storage)
    states = [t.state for t in study.trials]
    assert states == [optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED]
    pruned = load_run(out / "trials" / "trial_0001")
    assert pruned.metrics["epoch"].tolist() == [1]
    assert pruned.status["state"] == "stopped" and "pruned" in pruned.status["message"]
    assert load_run(out / "trials" / "trial_0000").metrics["epoch"].tolist() == [1, 2, 3]


def _generate_argv(run: Path, out: Path, *extra: str) -> list[str]:
    return ["generate", "--run", str(run), "--n", "2", "--out", str(out), *extra]


def test_generate_refuses_a_scenario_beyond_the_training_data(conditional_run, tmp_path, capsys):
    from seisgan_core import scenarios

    ranges = scenarios.training_ranges_of(load_run(conditional_run).config)
    assert ranges["mw"][1] < 9.5 and ranges["distance_km"][1] < 500
    far = ["--mw", "9.5", "--distance-km", "500", "--depth-km", "10", "--vs30", "400"]
    out = tmp_path / "far.npy"
    assert cli.main(_generate_argv(conditional_run, out, *far)) == 1
    err = capsys.readouterr().err
    assert f"Mw 9.5 above the training maximum {ranges['mw'][1]:.3g}" in err
    assert "R_epi (km) 500 above the training maximum" in err and "--extrapolate" in err
    assert not out.exists()
    # asked for on purpose: a warning, and the file
    assert cli.main(_generate_argv(conditional_run, out, *far, "--extrapolate")) == 0
    assert "warning: extrapolating: Mw 9.5" in capsys.readouterr().err
    assert out.is_file()


def test_generate_says_which_scenarios_it_chose(conditional_run, tmp_path, capsys):
    out = tmp_path / "chosen.npy"
    assert cli.main(_generate_argv(conditional_run, out)) == 0
    err = capsys.readouterr().err
    chosen = load_run(conditional_run).sample_conditions
    assert f"cycling through the run's {len(chosen)} sample scenarios: Mw " in err
    assert f"Mw {float(chosen[0]['mw']):.3g}" in err
