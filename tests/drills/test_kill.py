"""SIGKILL drills: `seisgan demo`, `ingest`, `prepare` and `train` killed at moments a seed
fixes. After each kill every output is the old complete one or the new complete one (file
hashes against a clean run's), never a mixture; the rerun finishes and leaves no temporaries;
training resumes from its last epoch and ends where an uninterrupted run ends.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from seisgan_core.cli import main as cli_main
from seisgan_core.demo import build_demo_archive
from seisgan_core.preparation import prepare
from seisgan_testsupport.drill_util import (
    kill_at_moments,
    kill_delays,
    leftovers,
    run,
    timed_run,
    tree_hash,
    write_tiny_preset,
)
from seisgan_testsupport.prepared_set import make_prepared_set

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
    seconds = timed_run("demo", "--out", str(tmp_path / "clean"), *DEMO_ARGS)
    old, new = tree_hash(out), tree_hash(tmp_path / "clean")
    assert new == tree_hash(demo_archive)  # the CLI and the library build the same bytes
    seen = []

    def restore() -> None:  # a run that beat its kill: the old archive back for the next try
        shutil.rmtree(out)
        build_demo_archive(out, seed=1, n_records=12, n_noise=2)

    killed = kill_at_moments(
        ("demo", "--out", str(out), *DEMO_ARGS),
        kill_delays(SEEDS, seconds),
        check=lambda: seen.append(_old_or_new(out, old, new)),
        restore=restore,
    )
    done = run("demo", "--out", str(out), *DEMO_ARGS)
    assert done.returncode == 0, done.stderr
    assert tree_hash(out) == new
    assert leftovers(tmp_path, "demo") == [], "a killed run's temporaries are still there"
    assert any(killed), f"no kill landed while it ran: {killed}, outputs seen: {seen}"


def test_ingest_killed_at_random_moments(demo_archive, tmp_path):
    out = tmp_path / "catalog.parquet"
    clean = tmp_path / "clean.parquet"
    flatfile = str(demo_archive / "flatfile.csv")
    assert cli_main(["ingest", flatfile, "--out", str(out), "--quiet"]) == 0
    seconds = timed_run("ingest", str(demo_archive), "--out", str(clean), "--quiet")
    old, new = tree_hash(out), tree_hash(clean)
    assert old != new
    backup = tmp_path / "old.parquet"
    shutil.copy2(out, backup)
    killed = kill_at_moments(
        ("ingest", str(demo_archive), "--out", str(out), "--quiet"),
        kill_delays(SEEDS, seconds),
        check=lambda: _old_or_new(out, old, new),
        restore=lambda: shutil.copy2(backup, out),
    )
    backup.unlink()
    assert any(killed), "no kill landed while it ran"
    done = run("ingest", str(demo_archive), "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    assert tree_hash(out) == new
    assert leftovers(tmp_path, "catalog.parquet") == []


def test_prepare_killed_at_random_moments(demo_archive, tmp_path):
    out = tmp_path / "prepared"
    clean = tmp_path / "clean"
    prepare([demo_archive], out, seed=1)
    seconds = timed_run("prepare", str(demo_archive), "--out", str(clean), "--seed", "0")
    old, new = tree_hash(out), tree_hash(clean)
    assert old != new
    backup = tmp_path.parent / f"{tmp_path.name}-old-prepared"
    shutil.copytree(out, backup)

    def restore() -> None:  # a finished run is 'up to date' afterwards: put the old set back
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(backup, out)

    killed = kill_at_moments(
        ("prepare", str(demo_archive), "--out", str(out), "--seed", "0"),
        kill_delays(SEEDS, seconds),
        check=lambda: _old_or_new(out, old, new),
        restore=restore,
    )
    shutil.rmtree(backup)
    assert any(killed), "no kill landed while it ran"
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
    seconds = timed_run("train", *common, "--out", str(clean), "--no-progress")
    reference = _metrics(clean)
    assert [m["epoch"] for m in reference] == [1, 2, 3, 4, 5, 6]

    out = tmp_path / "run"
    snapshot = tmp_path / "snapshot"
    killed = []
    for i, delay in enumerate(kill_delays(SEEDS, seconds, 0.3, 0.8)):
        args = ("train", *common, "--out", str(out), "--no-progress")
        done_before = len(_metrics(out))
        shutil.rmtree(snapshot, ignore_errors=True)
        if out.exists():
            shutil.copytree(out, snapshot)

        def check(done_before: int = done_before) -> None:
            # every checkpoint on disk is complete; last.pt holds every epoch whose metrics
            # line was written (it is saved first), so at most the epoch in progress is lost
            checkpoints = sorted((out / "checkpoints").glob("*.pt"))
            epochs = {p.name: load_checkpoint(p)["epoch"] for p in checkpoints}
            finished = len(_metrics(out))
            assert finished >= done_before
            if finished:
                assert epochs["last.pt"] >= finished
            if (out / "status.json").exists():  # absent when killed while starting
                json.loads((out / "status.json").read_text())  # complete JSON, never half-written

        def restore() -> None:  # a run that beat its kill: back to where it started
            shutil.rmtree(out, ignore_errors=True)
            if snapshot.exists():
                shutil.copytree(snapshot, out)

        resume = ("--resume",) if i else ()
        killed += kill_at_moments(args + resume, [delay], check=check, restore=restore)
    assert any(killed), "no kill landed while it ran"
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
    assert not (out / ".lock.holder").exists()  # the lock (an OS lock on .lock) is released


def _evaluation(out: Path) -> dict | None:
    """File hashes of an evaluation folder; metrics.json by its content less the timings."""
    files = tree_hash(out)
    if files is None:
        return None
    if "metrics.json" in files:
        metrics = json.loads((out / "metrics.json").read_text())
        metrics.pop("timings_s", None)
        files["metrics.json"] = json.dumps(metrics, sort_keys=True)
    return files


def test_evaluate_cache_write_killed_at_random_moments(tmp_path):
    import warnings

    import numpy as np
    from scipy.linalg import LinAlgWarning

    from seisgan_core.preparation import load_prepared

    build_demo_archive(tmp_path / "raw", seed=0, n_records=20, n_noise=4)
    data = tmp_path / "prepared"
    prepare([tmp_path / "raw"], data)
    real = load_prepared(data).to_cm_s2().astype(np.float32)
    generated = tmp_path / "generated.npy"
    np.save(generated, np.roll(real[::-1], 150, axis=-1) * 1.5)
    earlier = tmp_path / "earlier.npy"  # the old evaluation's records: other figures
    np.save(earlier, np.roll(real, 400, axis=-1) * 0.5)
    out = tmp_path / "eval"
    (out / "notes").mkdir(parents=True)
    (out / "notes" / "mine.txt").write_text("a file of the user's in --out")

    def args(target: Path, seed: int, records: Path = generated) -> tuple[str, ...]:
        return ("evaluate", "--generated", str(records), "--data", str(data),
                "--out", str(target), "--seed", str(seed), "--quiet")  # fmt: skip

    with warnings.catch_warnings():
        # 18 records give a singular covariance in the Frechet distance: not what is tested
        warnings.simplefilter("ignore", LinAlgWarning)
        assert cli_main(list(args(out, 1, earlier))) == 0
    # a crash after the new figures are written and before metrics.json: the folder must stay
    # the old evaluation (the SIGKILLs below rarely hit that short window)
    before = _evaluation(out)

    def crash(*_args, **_kwargs):
        raise KeyboardInterrupt("killed before metrics.json")

    with warnings.catch_warnings(), pytest.MonkeyPatch.context() as patch:
        warnings.simplefilter("ignore", LinAlgWarning)
        patch.setattr("seisgan_core.fsutil.atomic_write_json", crash)
        with pytest.raises(KeyboardInterrupt):
            cli_main(list(args(out, 0)))
    assert _evaluation(out) == before
    assert leftovers(tmp_path, "eval") == []
    clean = tmp_path / "clean"
    (clean / "notes").mkdir(parents=True)
    (clean / "notes" / "mine.txt").write_text("a file of the user's in --out")
    seconds = timed_run(*args(clean, 0))
    old, new = _evaluation(out), _evaluation(clean)
    figures = [name for name in new if name.endswith((".png", ".html"))]
    assert figures and any(old.get(name) != new[name] for name in figures)
    backup = tmp_path.parent / f"{tmp_path.name}-old-eval"
    shutil.copytree(out, backup)

    def check() -> None:
        assert _evaluation(out) in (old, new) or (
            _evaluation(out) is None and _evaluation(tmp_path / ".eval.old") == old
        ), "an evaluation folder mixing the old and the new run"

    def restore() -> None:  # a finished run is cached afterwards: put the old folder back
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(backup, out)

    # the figures and metrics.json are written in the last part of the run
    killed = kill_at_moments(
        args(out, 0), kill_delays(SEEDS[:2], seconds, 0.55, 0.99), check=check, restore=restore
    )
    shutil.rmtree(backup)
    assert any(killed), "no kill landed while it ran"
    done = run(*args(out, 0))
    assert done.returncode == 0, done.stderr
    assert _evaluation(out) == new
    assert (out / "notes" / "mine.txt").read_text() == "a file of the user's in --out"
    assert leftovers(tmp_path, "eval") == []
