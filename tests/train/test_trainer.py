"""The trainer writes the run store of docs/contracts.md section 3, learns, stops and resumes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from seisgan_core.train.checkpoint import CheckpointError, load_checkpoint
from seisgan_core.train.runs import list_runs, load_run
from seisgan_core.train.store import RunLockedError
from seisgan_core.train.trainer import RunExistsError, Trainer
from seisgan_testsupport.prepared_set import make_prepared_set
from seisgan_testsupport.tiny_training import tiny_hp

METRIC_KEYS = {
    "epoch",
    "step",
    "loss_critic",
    "loss_generator",
    "wasserstein",
    "gradient_penalty",
    "grad_norm_critic",
    "grad_norm_generator",
    "seconds",
    "samples_per_s",
    "val_score",
    "stats",
}
STAT_KEYS = {"min", "max", "mean", "std", "skewness"}


def test_a_run_at_the_real_length_writes_the_contracted_store(tmp_path):
    data = make_prepared_set(tmp_path / "data", n=20, length=8000, seed=3, nan_rows=(2,))
    hp = tiny_hp(
        epochs=2,
        batch_size=4,
        gen_widths=(4, 4, 4, 4, 4, 4, 4),  # 125 -> 8000 in six blocks, as the study
        critic_widths=(4, 8, 8),
        conditions=("mw", "log10_distance_km", "depth_km", "vs30_m_s"),
        checkpoint_every=2,
    )
    run_dir = tmp_path / "models" / "run8000"
    assert Trainer(data=data, out=run_dir, hyperparameters=hp, preset="tiny").fit() == "finished"

    config = json.loads((run_dir / "config.json").read_text())
    assert {
        "run_id",
        "preset",
        "hyperparameters",
        "conditions",
        "data",
        "code_version",
        "seed",
        "created",
    } <= set(config)
    assert config["run_id"] == "run8000" and config["preset"] == "tiny"
    assert config["conditions"] == ["mw", "log10_distance_km", "depth_km", "vs30_m_s"]
    assert len(config["data"]["manifest_sha256"]) == 64
    # the record with a NaN sample was left out, and said so
    assert [e["record_id"] for e in config["data"]["excluded"]] == ["SYN.0002"]

    metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [m["epoch"] for m in metrics] == [1, 2]
    for m in metrics:
        assert METRIC_KEYS <= set(m)
        for side in ("real", "generated"):
            assert set(m["stats"][side]) == STAT_KEYS
            assert all(len(v) == 3 for v in m["stats"][side].values())
        assert all(np.isfinite(m[k]) for k in ("loss_critic", "wasserstein", "val_score"))
    # real statistics of z-scored records: std near 1 per component, mean near 0
    real = metrics[0]["stats"]["real"]
    assert real["std"] == pytest.approx([1, 1, 1], abs=0.01)
    assert real["mean"] == pytest.approx([0, 0, 0], abs=0.01)

    for epoch in (1, 2):
        s = np.load(run_dir / "samples" / f"epoch_{epoch:04d}.npy")
        assert s.dtype == np.float16 and s.shape == (3, 3, 8000)
        assert np.isfinite(s).all()
    conds = json.loads((run_dir / "samples" / "conditions.json").read_text())
    assert len(conds) == 3 and {"mw", "distance_km", "depth_km", "vs30_m_s"} <= set(conds[0])
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        "best.pt",
        "epoch_0002.pt",
        "last.pt",
    ]
    status = json.loads((run_dir / "status.json").read_text())
    assert status["state"] == "finished" and status["epoch"] == 2 and status["epochs"] == 2
    assert status["pid"] == os.getpid() and abs(status["heartbeat"] - time.time()) < 600

    run = list_runs(tmp_path / "models")[0]
    assert run.name == "run8000" and run.sample_epochs == [1, 2]
    assert run.metrics["epoch"].tolist() == [1, 2]
    # cm/s^2: each component's absolute peak is exactly 10**(its log10 PGA)
    gen = run.generate_samples(4, {"mw": 5.0, "distance_km": 15, "depth_km": 8, "vs30_m_s": 450})
    peaks = np.abs(gen.waveforms).max(axis=-1)
    assert peaks == pytest.approx(10**gen.log10_pga, rel=1e-5)
    normalised = run.generate(4, conditions=gen.conditions, units="normalised")
    ratio = gen.waveforms / normalised
    assert np.allclose(ratio, ratio[..., :1], rtol=1e-4)  # same waveform, scaled per component


def _spectral_distances(fake: torch.Tensor, data, hp) -> tuple[float, float]:
    """LSD (dB), and the LSD of spectral shape alone (each spectrum's mean log level removed)."""
    from seisgan_core.train.data import load_training_set
    from seisgan_core.train.measures import band_log_power, log_spectral_distance

    ts = load_training_set(data, hp.conditions)
    real = band_log_power(torch.from_numpy(ts.read(ts.val.rows)))
    gen = band_log_power(fake)
    lsd = log_spectral_distance(gen, real)
    shape = log_spectral_distance(
        gen - gen.mean(dim=1, keepdim=True), real - real.mean(dim=1, keepdim=True)
    )
    return lsd, shape


def _fresh_generator_output(hp, n: int, length: int) -> torch.Tensor:
    from seisgan_core.train.trainer import build_models

    torch.manual_seed(hp.seed)
    g, _, _ = build_models(hp, length)
    g.eval()
    with torch.no_grad():
        return g(torch.randn(n, hp.latent_dim))


@pytest.mark.slow
def test_a_short_run_moves_generated_spectra_toward_the_data(prepared, tmp_path):
    hp = tiny_hp(epochs=8, checkpoint_every=0)
    before, shape_before = _spectral_distances(_fresh_generator_output(hp, 10, 512), prepared, hp)
    Trainer(data=prepared, out=tmp_path / "run", hyperparameters=hp).fit()
    run = load_run(tmp_path / "run")
    lsd = run.metrics["val_lsd_db"].tolist()
    # the untrained generator is far from the data's spectra; training closes most of the gap
    assert before > 20
    assert min(lsd) < 0.5 * before
    assert lsd[-1] < lsd[0]
    # best.pt is the epoch with the lowest scorecard validation score
    scores = run.metrics["val_score"].tolist()
    assert all(0 <= s < 10 for s in scores)
    assert all(0 <= n for n in run.metrics["val_lines_failed"])
    # not only the level: the shape of the spectrum (where the energy sits) moves too
    trained = torch.from_numpy(run.generate(10, units="normalised"))
    _, shape_after = _spectral_distances(trained, prepared, hp)
    assert shape_after < 0.8 * shape_before
    best = load_checkpoint(tmp_path / "run" / "checkpoints" / "best.pt")
    assert best["metrics"]["val_score"] == pytest.approx(min(scores))


def _weights(path):
    state = load_checkpoint(path)
    return {
        f"{part}.{k}": v
        for part in ("generator", "critic", "amplitude_head")
        for k, v in state[part].items()
    }, state


def test_two_epochs_equal_one_then_resume_one(prepared, tmp_path):
    hp = tiny_hp(epochs=2)
    Trainer(data=prepared, out=tmp_path / "straight", hyperparameters=hp).fit()
    Trainer(data=prepared, out=tmp_path / "split", hyperparameters=hp.replace(epochs=1)).fit()
    # the first process is gone ("killed"); a new one resumes to 2 epochs
    Trainer(data=prepared, out=tmp_path / "split", hyperparameters=hp, resume=True).fit()
    a, state_a = _weights(tmp_path / "straight" / "checkpoints" / "last.pt")
    b, state_b = _weights(tmp_path / "split" / "checkpoints" / "last.pt")
    assert state_a["epoch"] == state_b["epoch"] == 2
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    opt_a, opt_b = state_a["optimizer_critic"]["state"], state_b["optimizer_critic"]["state"]
    for k in opt_a:
        assert torch.equal(opt_a[k]["exp_avg_sq"], opt_b[k]["exp_avg_sq"])
    ma = load_run(tmp_path / "straight").metrics
    mb = load_run(tmp_path / "split").metrics
    assert ma["loss_critic"].tolist() == mb["loss_critic"].tolist()
    assert np.array_equal(
        load_run(tmp_path / "straight").samples(2), load_run(tmp_path / "split").samples(2)
    )


def test_a_truncated_checkpoint_is_refused_and_best_stays_usable(prepared, tmp_path):
    run_dir = tmp_path / "run"
    Trainer(data=prepared, out=run_dir, hyperparameters=tiny_hp(epochs=2)).fit()
    last = run_dir / "checkpoints" / "last.pt"
    data = last.read_bytes()
    last.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(last)
    message = str(info.value)
    assert str(last) in message and "truncated" in message
    assert load_checkpoint(run_dir / "checkpoints" / "best.pt")["epoch"] >= 1
    assert load_checkpoint(run_dir / "checkpoints" / "epoch_0001.pt")["epoch"] == 1
    # generation uses best.pt; resuming from the damaged last.pt is refused
    assert np.isfinite(load_run(run_dir).generate(2)).all()
    with pytest.raises(CheckpointError, match=r"last\.pt"):
        Trainer(data=prepared, out=run_dir, hyperparameters=tiny_hp(epochs=3), resume=True).fit()
    # an older checkpoint still resumes the run
    state = Trainer(
        data=prepared,
        out=run_dir,
        hyperparameters=tiny_hp(epochs=2),
        resume_from=run_dir / "checkpoints" / "epoch_0001.pt",
    ).fit()
    assert state == "finished"
    assert load_run(run_dir).metrics["epoch"].tolist() == [1, 2]


def test_a_live_run_is_a_lock_and_a_dead_pid_is_not(prepared, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        from seisgan_core.fsutil import process_identity

        status = {
            "state": "running",
            "pid": sleeper.pid,
            # the writer's start time, as StatusWriter records it: pid and time name it
            "create_time": process_identity(sleeper.pid)["create_time"],
            "heartbeat": time.time(),
            "epoch": 1,
            "epochs": 2,
            "message": "",
        }
        (run_dir / "status.json").write_text(json.dumps(status))
        with pytest.raises(RunLockedError, match=str(sleeper.pid)):
            Trainer(data=prepared, out=run_dir, hyperparameters=tiny_hp(epochs=1)).fit()
    finally:
        sleeper.kill()
        sleeper.wait()
    # the same status with the process gone: training starts
    trainer = Trainer(data=prepared, out=run_dir, hyperparameters=tiny_hp(epochs=1))
    assert trainer.fit() == "finished"
    # a finished run is not overwritten by accident
    with pytest.raises(RunExistsError, match="--resume"):
        Trainer(data=prepared, out=run_dir, hyperparameters=tiny_hp(epochs=1)).fit()


def test_an_unconditional_run_generates_without_conditions(prepared, tmp_path):
    Trainer(data=prepared, out=tmp_path / "u", hyperparameters=tiny_hp(epochs=1)).fit()
    run = load_run(tmp_path / "u")
    assert run.conditions == ()
    x = run.generate(3, seed=5)
    assert x.shape == (3, 3, 512) and np.array_equal(x, run.generate(3, seed=5))
    with pytest.raises(ValueError, match="unconditional"):
        run.generate(2, {"mw": 5.0})


def test_a_stop_in_the_middle_of_an_epoch_resumes_bit_for_bit(prepared, tmp_path):
    hp = tiny_hp(epochs=2)
    Trainer(data=prepared, out=tmp_path / "straight", hyperparameters=hp).fit()
    stopped = Trainer(data=prepared, out=tmp_path / "split", hyperparameters=hp)

    def stop_at_third_batch(fraction: float, message: str) -> None:
        if message.endswith("batch 3/4") and message.startswith("epoch 2"):
            stopped._stop_requested = True  # what the SIGTERM handler sets

    stopped.progress = stop_at_third_batch
    assert stopped.fit() == "stopped"
    state = load_checkpoint(tmp_path / "split" / "checkpoints" / "last.pt")
    assert (state["epoch"], state["batch"]) == (1, 3)
    status = load_run(tmp_path / "split").status
    assert status["state"] == "stopped"
    # in-epoch progress for the app: the batch it stopped after, of how many, and its rate
    assert (status["epoch"], status["batch"], status["batches"]) == (1, 3, 4)
    assert status["batches_per_s"] > 0
    assert status["samples_per_s"] == pytest.approx(status["batches_per_s"] * hp.batch_size)
    Trainer(data=prepared, out=tmp_path / "split", hyperparameters=hp, resume=True).fit()
    a, _ = _weights(tmp_path / "straight" / "checkpoints" / "last.pt")
    b, _ = _weights(tmp_path / "split" / "checkpoints" / "last.pt")
    for key in a:
        assert torch.equal(a[key], b[key]), key
    # the epoch's metrics add up across the stop as if it had not happened
    ma = load_run(tmp_path / "straight").metrics
    mb = load_run(tmp_path / "split").metrics
    assert mb["epoch"].tolist() == [1, 2]
    assert mb["loss_critic"].tolist() == pytest.approx(ma["loss_critic"].tolist(), rel=1e-6)
