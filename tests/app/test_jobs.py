"""Background jobs: started detached with a log, seen alive, stopped with SIGTERM, not twice."""

from __future__ import annotations

import os
import sys

import pytest

from seisgan_core import jobs

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
        assert jobs.is_alive(job.pid, job.start_ticks)
        assert jobs.read_job(log) == job
        assert os.getpgid(job.pid) == job.pid  # its own session: the app's signals miss it
        with pytest.raises(RuntimeError, match="already running"):
            jobs.start_job([sys.executable, "-c", _SLEEPER], log_path=log)
        for _ in range(100):
            if jobs.tail_lines(log):
                break
            import time

            time.sleep(0.05)
        assert jobs.stop_job(job.pid, start_ticks=job.start_ticks, timeout_s=10)
        assert not jobs.is_alive(job.pid, job.start_ticks)
        assert jobs.tail_lines(log) == ["started", "got SIGTERM"]
    finally:
        if jobs.is_alive(job.pid):
            os.killpg(job.pid, 9)


def test_dead_job_is_not_alive_and_can_restart(tmp_path):
    log = tmp_path / "job.log"
    job = jobs.start_job([sys.executable, "-c", "print('done')"], log_path=log)
    os.waitpid(job.pid, 0)  # reaped: the pid is gone
    assert not jobs.is_alive(job.pid, job.start_ticks)
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
    ticks = jobs._start_ticks(os.getpid())
    assert jobs.is_alive(os.getpid(), ticks)
    assert not jobs.is_alive(os.getpid(), (ticks or 0) + 1)
    assert not jobs.is_alive(0)


def test_tail_lines_splits_progress_bars(tmp_path):
    log = tmp_path / "t.log"
    log.write_text("a\n10%|#\r50%|##\r100%|###\nTraceback\nValueError: x\n")
    assert jobs.tail_lines(log, 3) == ["100%|###", "Traceback", "ValueError: x"]
    assert jobs.tail_lines(tmp_path / "none.log") == []


def test_cli_argv_runs_this_checkout():
    argv = jobs.cli_argv("train", "--epochs", "1")
    assert argv[:3] == [sys.executable, "-m", "seisgan_core.cli"]
    assert argv[3:] == ["train", "--epochs", "1"]
