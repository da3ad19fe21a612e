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


_HOLDER = (
    "import sys, time\n"
    "from seisgan_core.fsutil import PathLock\n"
    "lock = PathLock(sys.argv[1], command='train')\n"
    "lock.acquire()\n"
    "print('held', flush=True)\n"
    "time.sleep(60)\n"
)


def test_lock_refuses_live_holder_and_names_it(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeldError, match=f"pid {holder.pid} \\(train"):
            PathLock(tmp_path).acquire(timeout_s=0)
    finally:
        holder.kill()  # SIGKILL: no cleanup runs, the OS releases the lock
        holder.wait()
        holder.stdout.close()
    assert not pid_alive(holder.pid)
    with PathLock(tmp_path, command="prepare") as lock:  # a dead holder does not block
        assert lock.holder()["pid"] == os.getpid()
    assert not (tmp_path / ".lock.holder").exists()


def test_lock_ignores_garbage_in_its_files(tmp_path):
    (tmp_path / ".lock").write_text("{not json")
    (tmp_path / ".lock.holder").write_text("{not json")
    with PathLock(tmp_path) as lock:
        assert lock.holder()["pid"] == os.getpid()


def test_lock_twice_in_one_process_is_refused(tmp_path):
    with PathLock(tmp_path, command="first"):
        with pytest.raises(LockHeldError, match=f"pid {os.getpid()} \\(first"):
            PathLock(tmp_path).acquire(timeout_s=0)


_CONTENDER = (
    "import os, sys, time\n"
    "from seisgan_core.fsutil import LockHeldError, PathLock\n"
    "folder, log, trials = sys.argv[1], sys.argv[2], int(sys.argv[3])\n"
    "for trial in range(trials):\n"
    "    while not os.path.exists(os.path.join(folder, f'go{trial}')):\n"
    "        time.sleep(0.001)\n"
    "    try:\n"
    "        lock = PathLock(folder, command='contender')\n"
    "        lock.acquire(timeout_s=0)\n"
    "    except LockHeldError:\n"
    "        continue\n"
    "    with open(log, 'a') as fh:\n"
    "        fh.write(f'{trial} in {os.getpid()}\\n'); fh.flush()\n"
    "    time.sleep(0.002)\n"
    "    with open(log, 'a') as fh:\n"
    "        fh.write(f'{trial} out {os.getpid()}\\n'); fh.flush()\n"
    "    lock.release()\n"
)


def test_six_contenders_never_hold_the_lock_at_once(tmp_path):
    # 6 processes race for one lock in each of 40 trials; every hold is logged in and out.
    # Mutual exclusion: the log never shows two "in" without an "out" between them.
    trials = 40
    lock_dir = tmp_path / "out"
    lock_dir.mkdir()
    log = tmp_path / "log.txt"
    procs = [
        subprocess.Popen([sys.executable, "-c", _CONTENDER, str(lock_dir), str(log), str(trials)])
        for _ in range(6)
    ]
    try:
        import time

        time.sleep(1.5)  # the interpreters start
        for trial in range(trials):
            (lock_dir / f"go{trial}").touch()
            time.sleep(0.05)
        for proc in procs:
            assert proc.wait(timeout=60) == 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    lines = [line.split() for line in log.read_text().splitlines()]
    holders = 0
    for _trial, what, _pid in lines:
        holders += 1 if what == "in" else -1
        assert holders in (0, 1), "two contenders held the lock at once"
    # Someone held it (how many trials had a holder depends on how the six processes are
    # scheduled on a loaded machine, so only mutual exclusion is asserted on the count).
    assert sum(1 for line in lines if line[1] == "in") >= 1


@pytest.mark.parametrize(
    "umask, file_mode, dir_mode", [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)]
)
def test_atomic_writes_respect_the_umask(tmp_path, umask, file_mode, dir_mode):
    old = os.umask(umask)
    try:
        atomic_write_json(tmp_path / "a.json", {"x": 1})
        with atomic_directory(tmp_path / "folder") as tmp:
            (tmp / "f.txt").write_text("x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == file_mode
    assert (tmp_path / "folder").stat().st_mode & 0o777 == dir_mode


def test_one_strict_json_writer_for_fsutil_and_the_run_store(tmp_path):
    import numpy as np

    from seisgan_core.train import store

    assert store.write_json_atomic is atomic_write_json  # one writer, no second copy
    obj = {"a": float("nan"), "b": [float("inf"), -float("inf"), 1.5], "c": np.float32(2.5),
           "d": np.array([1.0, np.nan])}  # fmt: skip
    atomic_write_json(tmp_path / "m.json", obj)
    text = (tmp_path / "m.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    parsed = json.loads(text, parse_constant=lambda name: pytest.fail(f"bare {name}"))
    assert parsed == {"a": None, "b": [None, None, 1.5], "c": 2.5, "d": [1.0, None]}


def test_file_sha256_over_several_read_blocks_is_hashlib_of_the_whole_file(tmp_path):
    import hashlib

    from seisgan_core.fsutil import file_sha256

    path = tmp_path / "blob.bin"
    data = os.urandom((1 << 20) * 2 + 12345)  # two full 1 MiB blocks and a partial one
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    (tmp_path / "empty").write_bytes(b"")
    assert file_sha256(tmp_path / "empty") == hashlib.sha256(b"").hexdigest()
