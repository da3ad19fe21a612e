"""Real processes: SIGTERM and SIGKILL of `seisgan train`, and two gloo ranks under torchrun."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from seisgan_core.train.checkpoint import load_checkpoint
from seisgan_core.train.runs import load_run
from seisgan_testsupport.tiny_training import TINY, write_preset

ROOT = Path(__file__).resolve().parents[2]


def _train_cmd(data, preset, out, *extra):
    return [
        sys.executable,
        "-m",
        "seisgan_core.cli",
        "train",
        "--data",
        str(data),
        "--preset",
        str(preset),
        "--out",
        str(out),
        "--threads",
        "1",
        "--no-progress",
        *extra,
    ]


def _start(cmd, log: Path) -> subprocess.Popen:
    with open(log, "w") as fh:  # the child keeps its own descriptor
        return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=fh)


def _wait_for_epochs(run_dir: Path, n: int, proc: subprocess.Popen, timeout_s: float = 120):
    deadline = time.monotonic() + timeout_s
    metrics = run_dir / "metrics.jsonl"
    while time.monotonic() < deadline:
        if metrics.is_file() and len(metrics.read_text().splitlines()) >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"training exited early with {proc.returncode}")
        time.sleep(0.05)
    raise AssertionError(f"no {n} epochs within {timeout_s} s")


@pytest.mark.slow
def test_sigkill_then_resume_loses_at_most_one_epoch(prepared, tmp_path):
    preset = write_preset(tmp_path / "tiny.json", epochs=200, checkpoint_every=0)
    run_dir = tmp_path / "run"
    proc = _start(_train_cmd(prepared, preset, run_dir), tmp_path / "stderr.txt")
    try:
        _wait_for_epochs(run_dir, 3, proc)
        time.sleep(0.3)  # land somewhere inside a later epoch
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    done = len((run_dir / "metrics.jsonl").read_text().splitlines())
    saved = load_checkpoint(run_dir / "checkpoints" / "last.pt")["epoch"]
    # last.pt is written before each metrics line: every logged epoch is in it; only the
    # epoch in progress at the kill is lost
    assert saved >= done >= 3
    # status.json still says running, but its pid is dead: not a lock
    assert json.loads((run_dir / "status.json").read_text())["state"] == "running"
    target = saved + 2
    result = subprocess.run(
        _train_cmd(prepared, preset, run_dir, "--resume", "--epochs", str(target)),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    run = load_run(run_dir)
    assert run.metrics["epoch"].tolist() == list(range(1, target + 1))
    assert run.status["state"] == "finished"
    assert run.sample_epochs == list(range(1, target + 1))


@pytest.mark.slow
def test_sigterm_finishes_the_step_writes_a_checkpoint_and_marks_stopped(prepared, tmp_path):
    preset = write_preset(tmp_path / "tiny.json", epochs=200, checkpoint_every=0)
    run_dir = tmp_path / "run"
    proc = _start(_train_cmd(prepared, preset, run_dir), tmp_path / "stderr.txt")
    try:
        _wait_for_epochs(run_dir, 2, proc)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, (tmp_path / "stderr.txt").read_text()
    status = json.loads((run_dir / "status.json").read_text())
    assert status["state"] == "stopped" and "--resume" in status["message"]
    state = load_checkpoint(run_dir / "checkpoints" / "last.pt")
    logged = len((run_dir / "metrics.jsonl").read_text().splitlines())
    # the checkpoint is at the exact step: the logged epochs plus the batches of the next one
    assert state["epoch"] == logged and state["epoch"] + state["batch"] / 4 > logged - 1
    result = subprocess.run(
        _train_cmd(prepared, preset, run_dir, "--resume", "--epochs", str(logged + 1)),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert load_run(run_dir).metrics["epoch"].tolist() == list(range(1, logged + 2))


DDP_SCRIPT = """
import json, os, sys
import torch
sys.path.insert(0, {root!r})
torch.set_num_threads(1)
from seisgan_core.train.config import Hyperparameters
from seisgan_core.train.trainer import Trainer
hp = Hyperparameters(**json.loads({hp!r}))
t = Trainer(data={data!r}, out={out!r}, hyperparameters=hp, device="cpu")
assert t.fit() == "finished"
rank = int(os.environ["RANK"])
torch.save({{"generator": t.generator.state_dict(), "critic": t.critic.state_dict(),
            "amplitude_head": t.amplitude_head.state_dict(), "world": t.world}},
           os.path.join({out!r}, f"rank{{rank}}.pt"))
"""


@pytest.mark.slow
def test_two_gloo_ranks_under_torchrun_end_with_identical_weights(prepared, tmp_path):
    out = tmp_path / "ddp"
    hp = {**TINY, "epochs": 2, "batch_size": 4, "conditions": ["mw", "log10_distance_km"]}
    script = tmp_path / "ddp_train.py"
    script.write_text(
        DDP_SCRIPT.format(root=str(ROOT), hp=json.dumps(hp), data=str(prepared), out=str(out))
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            str(script),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    r0 = torch.load(out / "rank0.pt", weights_only=True)
    r1 = torch.load(out / "rank1.pt", weights_only=True)
    assert r0["world"] == r1["world"] == 2
    for part in ("generator", "critic", "amplitude_head"):
        for key, value in r0[part].items():
            assert torch.equal(value, r1[part][key]), f"{part}.{key}"
    # rank 0 alone wrote the run store, and its checkpoint holds those weights
    saved = load_checkpoint(out / "checkpoints" / "last.pt")
    assert all(torch.equal(v, saved["generator"][k]) for k, v in r0["generator"].items())
    run = load_run(out)
    assert run.metrics["epoch"].tolist() == [1, 2] and run.config["world_size"] == 2
    # 38 records, 2 ranks x 4: 4 batches per rank per epoch -> 8 critic steps, 4 G steps
    assert run.metrics["step"].tolist() == [2, 4]
