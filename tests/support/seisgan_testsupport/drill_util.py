"""Real processes for the fault drills: the CLI run as `python -m seisgan_core.cli`, killed
with SIGKILL after delays that a seed fixes, and folders compared by their files' hashes."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seisgan_core.fsutil import OUTPUT_MARKER

# the tiny model of the training tests, as a preset file for the CLI
from seisgan_testsupport.tiny_training import write_preset as write_tiny_preset  # noqa: F401

ROOT = Path(__file__).resolve().parents[3]

# one thread each: the test machine's 2 cores are shared
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}

requires_root_mount = pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/proc/mounts").exists(),
    reason="needs root to mount a tmpfs (full-disk and read-only drills)",
)


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "seisgan_core.cli", *args]


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        cli(*args), cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=timeout
    )


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        cli(*args),
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def kill_delays(seeds: tuple[int, ...], seconds: float, low: float = 0.3, high: float = 0.97):
    """One delay per seed: a fraction of a clean run's ``seconds``, uniform in [low, high).

    The fractions are fixed by the seeds (reproducible 'random moments'); scaling them by the
    clean run measured on the same machine keeps the kills inside the command's work whatever
    the machine's load (a fixed delay would land after the end on a fast one).
    """
    return [round(seconds * random.Random(seed).uniform(low, high), 3) for seed in seeds]


def timed_run(*args: str) -> float:
    """Run a command to the end (it must succeed); its wall time in seconds."""
    t0 = time.monotonic()
    done = run(*args)
    assert done.returncode == 0, done.stderr[-3000:]
    return time.monotonic() - t0


def run_and_kill(args: tuple[str, ...], delay: float) -> bool:
    """Start the command, SIGKILL it after ``delay`` s; True if it was still running then."""
    proc = start(*args)
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        return True
    finally:
        proc.stdout.close()
        proc.stderr.close()


def kill_at_moments(
    args: tuple[str, ...],
    delays: list[float],
    *,
    check,
    restore,
    attempts: int = 4,
) -> list[bool]:
    """SIGKILL the command once per delay; True where the kill landed while it ran.

    A run that finished before its kill (the machine ran faster than when the clean run was
    timed: load here changes by the minute) is checked, its old output put back with
    ``restore()``, and tried again with half the delay, so each seed still gets its kill.
    ``check()`` runs after every attempt (old or new output, never a mixture).
    """
    landed = []
    for delay in delays:
        for _ in range(attempts):
            killed = run_and_kill(args, delay)
            check()
            if killed:
                break
            restore()
            delay /= 2
        landed.append(killed)
    return landed


def wait_for(predicate, timeout: float = 120.0, poll: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(poll)


def tree_hash(path: Path) -> dict[str, str] | None:
    """{relative path: sha256} of every file under ``path`` (a file: its own hash), or None."""
    path = Path(path)
    if path.is_file():
        return {"": hashlib.sha256(path.read_bytes()).hexdigest()}
    if not path.is_dir():
        return None
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file() and p.name != OUTPUT_MARKER  # the CLI's "seisgan wrote this" marker
    }


def leftovers(folder: Path, name: str) -> list[str]:
    """Temporaries and half-swapped copies of ``folder/name`` (``.name.*``)."""
    return sorted(
        p.name
        for p in Path(folder).glob(f".{name}.*")
        if not p.name.endswith((".lock", ".lock.holder", OUTPUT_MARKER))
    )
