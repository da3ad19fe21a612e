"""Two `prepare` or two `train` commands on one output at once: the second is refused with a
message naming the first one's pid; once the first is SIGKILLed its lock no longer blocks."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from seisgan_core.demo import build_demo_archive
from seisgan_core.preparation import load_prepared
from seisgan_testsupport.drill_util import run, start, wait_for, write_tiny_preset
from seisgan_testsupport.prepared_set import make_prepared_set

pytestmark = pytest.mark.slow


def _hold_then_kill(proc, lock: Path):
    """Wait for the first command's lock, then freeze it (SIGSTOP) so it is surely alive
    while the second one starts."""
    wait_for(lambda: lock.exists() or proc.poll() is not None, timeout=120)
    assert proc.poll() is None, proc.stderr.read()
    os.kill(proc.pid, signal.SIGSTOP)


def _kill(proc) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()


def test_second_prepare_is_refused_naming_the_holder(tmp_path):
    archive = tmp_path / "demo"
    build_demo_archive(archive, seed=0, n_records=40, n_noise=0)
    out = tmp_path / "prepared"
    first = start("prepare", str(archive), "--out", str(out))
    try:
        _hold_then_kill(first, tmp_path / ".prepared.lock")
        second = run("prepare", str(archive), "--out", str(out))
        assert second.returncode == 1
        assert f"{out} is in use by pid {first.pid}" in second.stderr, second.stderr
        assert "seisgan prepare" in second.stderr
    finally:
        _kill(first)
    # the holder is dead: its lock is taken over
    third = run("prepare", str(archive), "--out", str(out))
    assert third.returncode == 0, third.stderr
    assert len(load_prepared(out).waveforms) > 0
    assert not (tmp_path / ".prepared.lock.holder").exists()


def test_second_train_is_refused_naming_the_holder(tmp_path):
    data = make_prepared_set(tmp_path / "set", n=48, length=512, seed=1)
    preset = write_tiny_preset(tmp_path / "tiny.json", epochs=2)
    out = tmp_path / "run"
    args = ("train", "--data", str(data), "--preset", str(preset), "--out", str(out),
            "--device", "cpu", "--threads", "1", "--no-progress")  # fmt: skip
    first = start(*args)
    try:
        _hold_then_kill(first, out / ".lock")
        second = run(*args, "--resume")
        assert second.returncode == 1
        assert f"process {first.pid}" in second.stderr, second.stderr
    finally:
        _kill(first)
    third = run(*args, "--resume")
    assert third.returncode == 0, third.stderr
    assert "finished" in third.stdout


def test_run_paths_that_climb_out_are_refused(tmp_path):
    from seisgan_core.io.errors import UnsafeInputError
    from seisgan_core.train.store import run_dir

    data = make_prepared_set(tmp_path / "set", n=16, length=512, seed=1)
    escape = tmp_path / "models" / ".." / ".." / "elsewhere"
    done = run("train", "--data", str(data), "--out", str(escape), "--device", "cpu")
    assert done.returncode == 1 and "'..'" in done.stderr, done.stderr
    assert not (tmp_path.parent / "elsewhere").exists()
    for name in ("../x", "a/b", "/etc", ".hidden", "", "..", "x\x00y"):
        with pytest.raises(UnsafeInputError, match="run name"):
            run_dir(name, tmp_path / "models")
    assert run_dir("demo-1.v2", tmp_path / "models") == tmp_path / "models" / "demo-1.v2"


def test_metrics_line_cut_by_a_kill_is_dropped_before_the_next_append(tmp_path):
    """A kill (or a full disk) mid-line leaves a partial last line; the resumed run's next
    line must not be glued to it."""
    from seisgan_core.train.store import append_jsonl, read_jsonl

    path = tmp_path / "metrics.jsonl"
    append_jsonl(path, {"epoch": 1, "loss": 0.5})
    with open(path, "a") as fh:
        fh.write('{"epoch": 2, "lo')  # the kill
    assert read_jsonl(path) == [{"epoch": 1, "loss": 0.5}]
    append_jsonl(path, {"epoch": 2, "loss": 0.25})
    append_jsonl(path, {"epoch": 3, "loss": 0.125})
    assert [r["epoch"] for r in read_jsonl(path)] == [1, 2, 3]
    assert path.read_text().count("\n") == 3
    partial = tmp_path / "only_partial.jsonl"
    partial.write_text('{"epo')
    append_jsonl(partial, {"epoch": 1})
    assert read_jsonl(partial) == [{"epoch": 1}]
