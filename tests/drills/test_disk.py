"""Full disk and read-only output folders, on a real tmpfs (root only; skipped elsewhere).

Each command writing there must stop with one clear line naming the output and the cause
(no traceback), leave no partial or temporary file, and keep the previous output intact.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from seisgan_core.cli import main as cli_main
from seisgan_core.demo import build_demo_archive
from seisgan_core.preparation import load_prepared, prepare
from seisgan_testsupport.drill_util import (
    leftovers,
    requires_root_mount,
    run,
    tree_hash,
    write_tiny_preset,
)
from seisgan_testsupport.prepared_set import make_prepared_set

pytestmark = [requires_root_mount, pytest.mark.slow]


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def read_only(path: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)


def fill(folder: Path, leave_bytes: int) -> None:
    """Take all but ``leave_bytes`` of the file system's free space."""
    st = os.statvfs(folder)
    free = st.f_bavail * st.f_frsize
    with open(folder / "filler.bin", "wb") as fh:
        fh.truncate(0)
        fh.write(b"\0" * max(free - leave_bytes, 0))


def assert_clear_failure(done: subprocess.CompletedProcess, out: Path, cause: str) -> None:
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert str(out) in done.stderr and cause in done.stderr, done.stderr[-2000:]


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("archives")
    small, large = root / "small", root / "large"
    build_demo_archive(small, seed=1, n_records=10, n_noise=0)
    build_demo_archive(large, seed=0, n_records=60, n_noise=10)
    return small, large


FULL = "No space left on device"
READ_ONLY = "Read-only file system"


def test_demo_on_a_full_disk(archives, tmp_path):
    with tmpfs(tmp_path / "mnt", "9m") as mnt:
        out = mnt / "demo"
        build_demo_archive(out, seed=1, n_records=10, n_noise=0)
        old = tree_hash(out)
        done = run("demo", "--out", str(out), "--records", "60", "--noise", "10")
        assert_clear_failure(done, out, FULL)
        assert tree_hash(out) == old
        assert leftovers(mnt, "demo") == []


def test_ingest_on_a_full_disk(archives, tmp_path):
    small, large = archives
    with tmpfs(tmp_path / "mnt", "2m") as mnt:
        out = mnt / "catalog.parquet"
        assert cli_main(["ingest", str(small), "--out", str(out), "--quiet"]) == 0
        old = tree_hash(out)
        fill(mnt, 4096)
        done = run("ingest", str(large), "--out", str(out), "--quiet")
        assert_clear_failure(done, out, FULL)
        assert tree_hash(out) == old
        assert leftovers(mnt, "catalog.parquet") == []


def test_prepare_on_a_full_disk(archives, tmp_path):
    small, large = archives
    with tmpfs(tmp_path / "mnt", "4m") as mnt:
        out = mnt / "prepared"
        prepare([small], out, selection=None)
        old = tree_hash(out)
        done = run("prepare", str(large), "--out", str(out))
        assert_clear_failure(done, out, FULL)
        assert tree_hash(out) == old
        assert leftovers(mnt, "prepared") == []
        assert len(load_prepared(out).waveforms) > 0


def test_train_on_a_full_disk(tmp_path):
    from seisgan_core.train.checkpoint import load_checkpoint

    data = make_prepared_set(tmp_path / "set", n=48, length=512, seed=1)
    preset = write_tiny_preset(tmp_path / "tiny.json", epochs=6)
    with tmpfs(tmp_path / "mnt", "2m") as mnt:
        out = mnt / "run"
        done = run(
            "train", "--data", str(data), "--preset", str(preset), "--out", str(out),
            "--device", "cpu", "--threads", "1", "--no-progress",
        )  # fmt: skip
        assert_clear_failure(done, out, FULL)
        for path in (out / "checkpoints").glob("*.pt"):
            load_checkpoint(path)  # whatever is there is complete
        for folder in (out, out / "checkpoints", out / "samples"):
            assert not [p.name for p in folder.glob(".*.tmp")]
        json.loads((out / "status.json").read_text())


def test_every_command_on_a_read_only_folder(archives, tmp_path):
    small, _ = archives
    data = make_prepared_set(tmp_path / "set", n=48, length=512, seed=1)
    preset = write_tiny_preset(tmp_path / "tiny.json", epochs=1)
    with tmpfs(tmp_path / "mnt", "8m") as mnt:
        build_demo_archive(mnt / "demo", seed=1, n_records=5, n_noise=0)
        assert cli_main(["ingest", str(small), "--out", str(mnt / "cat.parquet"), "--quiet"]) == 0
        prepare([small], mnt / "prepared")
        before = tree_hash(mnt)
        read_only(mnt)
        commands = {
            mnt / "demo": ("demo", "--out", str(mnt / "demo"), "--records", "5"),
            mnt / "cat.parquet": ("ingest", str(small), "--out", str(mnt / "cat.parquet")),
            mnt / "prepared": ("prepare", str(small), "--out", str(mnt / "prepared"), "--force"),
            mnt / "run": (
                "train", "--data", str(data), "--preset", str(preset), "--out", str(mnt / "run"),
                "--device", "cpu", "--no-progress",
            ),
        }  # fmt: skip
        for out, args in commands.items():
            assert_clear_failure(run(*args), out, READ_ONLY)
        assert tree_hash(mnt) == before
