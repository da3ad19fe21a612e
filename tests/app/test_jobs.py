"""Background jobs: started detached with a log, seen alive, stopped with SIGTERM, not twice."""

from __future__ import annotations

import os
import sys

import pytest

from seisgan_core import jobs
from seisgan_core.errors import JobRunningError

_SLEEPER = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, lambda *a: (print('got SIGTERM', flush=True), sys.exit(3)))\n"
    "print('started', flush=True)\n"
    "time.sleep(60)\n"
)


def test_start_follow_stop(tmp_path):
    log = tmp_path / "job.log"
    job = jobs.start_job([sys.executable, "-c", _SLEEPER], log_path=log)
    try:
        assert jobs.is_alive(job.pid, job.create_time)
        assert jobs.read_job(log) == job
        assert os.getpgid(job.pid) == job.pid  # its own session: the app's signals miss it
        with pytest.raises(JobRunningError, match="already running"):
            jobs.start_job([sys.executable, "-c", _SLEEPER], log_path=log)
        for _ in range(100):
            if jobs.tail_lines(log):
                break
            import time

            time.sleep(0.05)
        assert jobs.stop_job(job.pid, create_time=job.create_time, timeout_s=10)
        assert not jobs.is_alive(job.pid, job.create_time)
        assert jobs.tail_lines(log) == ["started", "got SIGTERM"]
    finally:
        if jobs.is_alive(job.pid):
            os.killpg(job.pid, 9)


def test_dead_job_is_not_alive_and_can_restart(tmp_path):
    log = tmp_path / "job.log"
    job = jobs.start_job([sys.executable, "-c", "print('done')"], log_path=log)
    os.waitpid(job.pid, 0)  # reaped: the pid is gone
    assert not jobs.is_alive(job.pid, job.create_time)
    again = jobs.start_job([sys.executable, "-c", "print('again')"], log_path=log)
    os.waitpid(again.pid, 0)
    assert jobs.tail_lines(log) == ["done", "again"]


def test_exited_child_is_reaped_not_a_zombie(tmp_path):
    job = jobs.start_job([sys.executable, "-c", "pass"], log_path=tmp_path / "j.log")
    import time

    deadline = time.monotonic() + 10
    while jobs.is_alive(job.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not jobs.is_alive(job.pid)


def test_a_reused_pid_is_not_the_job():
    # This test's own process with a start time that is not its own: not the recorded job.
    created = jobs._create_time(os.getpid())
    assert created is not None
    assert jobs.is_alive(os.getpid(), created)
    assert not jobs.is_alive(os.getpid(), created + 1)
    assert not jobs.is_alive(0)


def _unrelated_sleep():
    import subprocess

    return subprocess.Popen(["sleep", "30"])


def test_stop_never_signals_an_unrelated_process_with_the_recorded_pid():
    # status.json of a run names the pid of a `sleep` started later (pid reuse): Stop checks
    # the start time and the command line, sends nothing and reports no trainer running.
    import time

    sleeper = _unrelated_sleep()
    try:
        for create_time in (time.time() - 3600, None):  # a recorded start time, or none
            status = {
                "state": "running",
                "pid": sleeper.pid,
                "heartbeat": time.time(),
                "create_time": create_time,
            }
            assert jobs.stop_run(status, timeout_s=1)
            assert sleeper.poll() is None, "the unrelated sleep was signalled"
        # a job record with another start time does not stop it either
        assert jobs.stop_job(sleeper.pid, create_time=time.time() - 60, timeout_s=1)
        assert sleeper.poll() is None
        with pytest.raises(ValueError, match="create_time or command line"):
            jobs.stop_job(sleeper.pid)
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_stop_run_stops_the_trainer_it_names(tmp_path):
    # a process whose identity matches status.json (pid, create_time) is stopped
    import time

    log = tmp_path / "job.log"
    job = jobs.start_job([sys.executable, "-c", _SLEEPER], log_path=log)
    status = {
        "state": "running",
        "pid": job.pid,
        "heartbeat": time.time(),
        "create_time": job.create_time,
    }
    try:
        assert jobs.stop_run(status, timeout_s=10)
        assert not jobs.is_alive(job.pid, job.create_time)
    finally:
        if jobs.is_alive(job.pid):
            os.killpg(job.pid, 9)


def test_tail_lines_splits_progress_bars(tmp_path):
    log = tmp_path / "t.log"
    log.write_text("a\n10%|#\r50%|##\r100%|###\nTraceback\nValueError: x\n")
    assert jobs.tail_lines(log, 3) == ["100%|###", "Traceback", "ValueError: x"]
    assert jobs.tail_lines(tmp_path / "none.log") == []


def test_cli_argv_runs_this_checkout():
    argv = jobs.cli_argv("train", "--epochs", "1")
    assert argv[:3] == [sys.executable, "-m", "seisgan_core.cli"]
    assert argv[3:] == ["train", "--epochs", "1"]
