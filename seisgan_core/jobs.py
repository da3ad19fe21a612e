"""Background jobs for the app: start a ``seisgan`` command detached, follow it, stop it.

The app never trains or prepares inside the Streamlit script (design.md): it starts
``python -m seisgan_core.cli ...`` as its own process session with its output in a log file,
records the job next to the log (``<log>.job.json``), and later asks whether the pid is still
that process and alive, or sends it SIGTERM (the trainer saves its state on SIGTERM).

A pid alone can be reused by another process after ours exits, so each job also records the
process start time (psutil's ``create_time``) and a pid only counts as the job's when the start
time matches (`fsutil.same_process`; psutil also tells zombies from live processes).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from seisgan_core.errors import JobRunningError
from seisgan_core.fsutil import atomic_write_json, process_identity, same_process

__all__ = [
    "Job",
    "cli_argv",
    "is_alive",
    "read_job",
    "start_job",
    "stop_job",
    "stop_run",
    "tail_lines",
]


@dataclass(frozen=True)
class Job:
    """A started background command."""

    pid: int
    argv: list[str]
    log_path: str
    started: float
    create_time: float | None  # psutil's, to tell the job from a process that reuses its pid


def cli_argv(*args: str) -> list[str]:
    """The argv that runs ``seisgan ARGS`` with this interpreter and this checkout's code."""
    return [sys.executable, "-m", "seisgan_core.cli", *args]


# Popen objects of the jobs this process started, kept so that they are reaped by poll() and
# never garbage-collected while running (Popen.__del__ warns about a still-running child).
_CHILDREN: dict[int, subprocess.Popen] = {}


def _job_file(log_path: Path) -> Path:
    return log_path.with_name(log_path.name + ".job.json")


def _create_time(pid: int) -> float | None:
    identity = process_identity(pid)
    return None if identity is None else identity["create_time"]


def start_job(
    argv: Sequence[str],
    *,
    log_path: Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Job:
    """Start ``argv`` detached (its own session) with stdout and stderr in ``log_path``.

    Refuses (``RuntimeError``) when a job recorded for the same log file is still alive, so a
    double click cannot start the same work twice.
    """
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    previous = read_job(log_path)
    if previous is not None and is_alive(previous.pid, previous.create_time):
        raise JobRunningError(f"a job is already running for {log_path} (pid {previous.pid})")
    full_env = dict(os.environ)
    full_env.setdefault("PYTHONUNBUFFERED", "1")
    if env:
        full_env.update(env)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    _CHILDREN[process.pid] = process
    job = Job(process.pid, list(argv), str(log_path), time.time(), _create_time(process.pid))
    atomic_write_json(_job_file(log_path), asdict(job))
    return job


def read_job(log_path: Path) -> Job | None:
    """The job recorded for ``log_path``, or None."""
    try:
        payload = json.loads(_job_file(Path(log_path)).read_text())
        # a job file from before start times came from psutil: its ticks prove nothing
        payload.pop("start_ticks", None)
        payload.setdefault("create_time", None)
        return Job(**payload)
    except (OSError, ValueError, TypeError):
        return None


def is_alive(pid: int, create_time: float | None = None) -> bool:
    """Whether ``pid`` is a live process (not a zombie) and, given ``create_time``, ours."""
    if pid <= 0:
        return False
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        return False
    try:
        # Reap it if it is our exited child, else it lingers as a zombie.
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    return same_process(pid, create_time)


def stop_job(
    pid: int,
    *,
    create_time: float | None = None,
    cmdline_has: Sequence[str] = (),
    timeout_s: float = 20.0,
) -> bool:
    """Send SIGTERM to the job's process group and wait up to ``timeout_s`` for it to exit.

    Returns True when the process is gone. Nothing is sent unless the pid is still the job's:
    alive, started at ``create_time`` and with ``cmdline_has`` in its command line (where given).
    Give at least one of them: a bare pid may by now be any process (``ValueError``).
    """
    if create_time is None and not cmdline_has:
        raise ValueError(f"pid {pid}: give its create_time or command line to check before a kill")
    if not (is_alive(pid, create_time) and same_process(pid, create_time, cmdline_has)):
        return True
    try:
        if os.getpgid(pid) == pid:  # started by start_job: its own session and group
            os.killpg(pid, signal.SIGTERM)
        else:
            os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not is_alive(pid, create_time):
            return True
        time.sleep(0.1)
    return not is_alive(pid, create_time)


def stop_run(status: dict, *, timeout_s: float = 60.0) -> bool:
    """Stop the trainer that ``status.json`` names, after checking it is still that process
    (`store.trainer_alive`: running, fresh heartbeat, same start time or a seisgan command
    line). True when no such trainer runs any more; an unrelated process is never signalled."""
    from seisgan_core.train.store import TRAINER_CMDLINE, trainer_alive

    if not trainer_alive(status):
        return True
    create_time = status.get("create_time")
    words = () if create_time is not None else TRAINER_CMDLINE
    return stop_job(
        int(status["pid"]), create_time=create_time, cmdline_has=words, timeout_s=timeout_s
    )


def tail_lines(path: Path, n: int = 20, *, max_bytes: int = 65536) -> list[str]:
    """The last ``n`` lines of a text file (reads at most ``max_bytes`` from its end)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(size - max_bytes, 0))
            data = handle.read()
    except OSError:
        return []
    text = data.decode("utf-8", errors="replace").replace("\r", "\n")
    lines = [line for line in text.split("\n") if line.strip()]
    return lines[-n:]
