"""Atomic writes and lock files: old or new, never a mixture; dead holders do not block."""

import json
import os
import subprocess
import sys

import pytest

from seisgan_core.fsutil import (
    LockHeldError,
    PathLock,
    atomic_directory,
    atomic_write,
    atomic_write_json,
    pid_alive,
)


def test_atomic_write_replaces_on_success(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with atomic_write(target) as handle:
        handle.write(b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_atomic_write_keeps_old_on_failure(tmp_path):
    target = tmp_path / "out.json"
    atomic_write_json(target, {"a": 1})
    with pytest.raises(RuntimeError), atomic_write(target, "w") as handle:
        handle.write('{"a": 2, "half')
        raise RuntimeError("killed half way")
    assert json.loads(target.read_text()) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_atomic_directory_swaps_whole_folder(tmp_path):
    final = tmp_path / "set"
    with atomic_directory(final) as tmp:
        (tmp / "a.txt").write_text("1")
    with pytest.raises(ValueError), atomic_directory(final) as tmp:
        (tmp / "a.txt").write_text("2")
        raise ValueError("failed")
    assert (final / "a.txt").read_text() == "1"
    with atomic_directory(final) as tmp:
        (tmp / "b.txt").write_text("3")
    assert sorted(p.name for p in final.iterdir()) == ["b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]


def test_atomic_directory_recovers_interrupted_swap(tmp_path):
    final = tmp_path / "set"
    old = tmp_path / ".set.old"
    old.mkdir()
    (old / "a.txt").write_text("kept")
    with atomic_directory(final) as tmp:
        assert (final / "a.txt").read_text() == "kept"  # put back before the new build
        (tmp / "a.txt").write_text("new")
    assert (final / "a.txt").read_text() == "new"


def test_lock_refuses_live_holder_and_names_it(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / ".lock").write_text(json.dumps({"pid": sleeper.pid, "command": "train"}))
        with pytest.raises(LockHeldError, match=f"pid {sleeper.pid} \\(train"):
            PathLock(tmp_path).acquire(timeout_s=0)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert not pid_alive(sleeper.pid)
    with PathLock(tmp_path, command="prepare") as lock:  # a dead holder is taken over
        assert lock.holder()["pid"] == os.getpid()
    assert not (tmp_path / ".lock").exists()


def test_lock_taken_over_from_garbage_file(tmp_path):
    (tmp_path / ".lock").write_text("{not json")
    with PathLock(tmp_path):
        pass
    assert not (tmp_path / ".lock").exists()
