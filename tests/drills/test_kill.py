"""SIGKILL drills: `seisgan demo`, `ingest`, `prepare` and `train` killed at moments a seed
fixes. After each kill every output is the old complete one or the new complete one (file
hashes against a clean run's), never a mixture; the rerun finishes and leaves no temporaries;
training resumes from its last epoch and ends where an uninterrupted run ends.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from drill_util import kill_delays, leftovers, run, run_and_kill, tree_hash, write_tiny_preset

from seisgan_core.cli import main as cli_main
from seisgan_core.demo import build_demo_archive
from seisgan_core.prepare import prepare

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "train"))
from prepared_set import make_prepared_set

pytestmark = pytest.mark.slow

SEEDS = (11, 22, 33)
DEMO_ARGS = ("--records", "60", "--noise", "10", "--seed", "0")


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("archive") / "demo"
    build_demo_archive(out, seed=0, n_records=60, n_noise=10)
    return out


def _old_or_new(path: Path, old: dict | None, new: dict) -> str:
    """'old' or 'new' for what is at ``path`` now; fails on anything else."""
    now = tree_hash(path)
    if now == new:
        return "new"
    if now == old:
        return "old"
    # killed between atomic_directory's two renames: the old copy waits as .NAME.old and
    # the next run puts it back
    if now is None and tree_hash(path.with_name(f".{path.name}.old")) == old:
        return "old (swap pending)"
    raise AssertionError(f"{path} is neither the old nor the new output: {now}")


def test_demo_killed_at_random_moments(demo_archive, tmp_path):
    out = tmp_path / "demo"
    build_demo_archive(out, seed=1, n_records=12, n_noise=2)
    old, new = tree_hash(out), tree_hash(demo_archive)
    seen = []
    for delay in kill_delays(SEEDS, 1.0, 9.0):
        run_and_kill(("demo", "--out", str(out), *DEMO_ARGS), delay)
        seen.append(_old_or_new(out, old, new))
    done = run("demo", "--out", str(out), *DEMO_ARGS)
    assert done.returncode == 0, done.stderr
    assert tree_hash(out) == new
    assert leftovers(tmp_path, "demo") == [], "a killed run's temporaries are still there"
    assert seen  # the outcomes of each kill, for the record


def test_ingest_killed_at_random_moments(demo_archive, tmp_path):
    out = tmp_path / "catalog.parquet"
    clean = tmp_path / "clean.parquet"
    flatfile = str(demo_archive / "flatfile.csv")
    assert cli_main(["ingest", flatfile, "--out", str(out), "--quiet"]) == 0
    assert cli_main(["ingest", str(demo_archive), "--out", str(clean), "--quiet"]) == 0
    old, new = tree_hash(out), tree_hash(clean)
    assert old != new
    for delay in kill_delays(SEEDS, 1.5, 7.0):
        run_and_kill(("ingest", str(demo_archive), "--out", str(out), "--quiet"), delay)
        _old_or_new(out, old, new)
    done = run("ingest", str(demo_archive), "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    assert tree_hash(out) == new
    assert leftovers(tmp_path, "catalog.parquet") == []


def test_prepare_killed_at_random_moments(demo_archive, tmp_path):
    out = tmp_path / "prepared"
    clean = tmp_path / "clean"
    prepare([demo_archive], out, seed=1)
    prepare([demo_archive], clean, seed=0)
    old, new = tree_hash(out), tree_hash(clean)
    assert old != new
    for delay in kill_delays(SEEDS, 1.5, 9.0):
        run_and_kill(("prepare", str(demo_archive), "--out", str(out), "--seed", "0"), delay)
        _old_or_new(out, old, new)
    done = run("prepare", str(demo_archive), "--out", str(out), "--seed", "0")
    assert done.returncode == 0, done.stderr
    assert tree_hash(out) == new
    assert leftovers(tmp_path, "prepared") == []


def _metrics(run_dir: Path) -> list[dict]:
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    out = []
    for i, line in enumerate(lines):
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            assert i == len(lines) - 1, "a broken metrics line before the last"
    return out


def test_train_killed_at_random_moments_resumes_losing_at_most_one_epoch(tmp_path):
    from seisgan_core.train.checkpoint import load_checkpoint

    data = make_prepared_set(tmp_path / "set", n=48, length=512, seed=1)
    preset = write_tiny_preset(tmp_path / "tiny.json", epochs=6)
    common = ("--data", str(data), "--preset", str(preset), "--device", "cpu", "--threads", "1")
    clean = tmp_path / "clean"
    assert run("train", *common, "--out", str(clean), "--no-progress").returncode == 0
    reference = _metrics(clean)
    assert [m["epoch"] for m in reference] == [1, 2, 3, 4, 5, 6]

    out = tmp_path / "run"
    for i, delay in enumerate(kill_delays(SEEDS, 4.0, 14.0)):
        args = ("train", *common, "--out", str(out), "--no-progress")
        done_before = len(_metrics(out))
        run_and_kill(args + (("--resume",) if i else ()), delay)
        # every checkpoint on disk is complete; last.pt holds every epoch whose metrics line
        # was written (it is saved first), so at most the epoch in progress is lost
        checkpoints = sorted((out / "checkpoints").glob("*.pt"))
        epochs = {p.name: load_checkpoint(p)["epoch"] for p in checkpoints}
        finished = len(_metrics(out))
        assert finished >= done_before
        if finished:
            assert epochs["last.pt"] >= finished
        json.loads((out / "status.json").read_text())  # complete JSON, never half-written
    done = run("train", *common, "--out", str(out), "--resume", "--no-progress")
    assert done.returncode == 0, done.stderr
    metrics = _metrics(out)
    assert [m["epoch"] for m in metrics] == [1, 2, 3, 4, 5, 6]
    # resumed from complete checkpoints (weights, optimisers, RNG states): the same losses
    for got, want in zip(metrics, reference, strict=True):
        assert got["loss_critic"] == pytest.approx(want["loss_critic"], rel=1e-5)
        assert got["loss_generator"] == pytest.approx(want["loss_generator"], rel=1e-5)
    assert json.loads((out / "status.json").read_text())["state"] == "finished"
    for folder in (out / "checkpoints", out / "samples", out):
        assert not [p.name for p in folder.glob(".*.tmp")], "temporaries left behind"
    assert not (out / ".lock").exists()
