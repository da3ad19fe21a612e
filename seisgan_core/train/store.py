"""Files of the run store (docs/contracts.md, section 3): atomic JSON, metrics lines, status.

``status.json`` is rewritten by a heartbeat thread every few seconds while a run is alive, so
the app (and ``seisgan train``) can tell a live run from a dead one: a run is locked only while
its pid exists *and* its heartbeat is fresh; a dead pid (or a pid reused by an unrelated
process, which has no heartbeat) is not a lock.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from seisgan_core.fsutil import atomic_write
from seisgan_core.io.errors import UnsafeInputError

__all__ = [
    "HEARTBEAT_S",
    "RunLockedError",
    "StatusWriter",
    "append_jsonl",
    "check_run_path",
    "pid_alive",
    "read_json",
    "read_jsonl",
    "run_dir",
    "running_pid",
    "write_json_atomic",
]

HEARTBEAT_S = 5.0
# a heartbeat older than this means the writer is gone (several missed beats)
STALE_AFTER_S = 60.0


class RunLockedError(RuntimeError):
    """Another live process is training into the same run folder."""


# a run's name is one folder name: letters, digits, '.', '_' and '-', not starting with '.'
_RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def check_run_path(path: str | Path) -> Path:
    """``path`` as a Path, or UnsafeInputError if any part of it is ``..``.

    Run folders are written and deleted (``--overwrite``); a path that climbs out of where it
    is given (``models/../../home``) is refused rather than resolved.
    """
    path = Path(path)
    if ".." in path.parts:
        raise UnsafeInputError(
            path, None, "a run folder without '..' parts", repr(str(path)), field="run folder"
        )
    return path


def run_dir(name: str, root: str | Path = "models") -> Path:
    """The folder of the run called ``name`` under ``root``; UnsafeInputError for a name that
    is not a plain folder name (``../x``, ``a/b``, ``/etc``, ``.hidden``, empty)."""
    if not isinstance(name, str) or not _RUN_NAME.fullmatch(name):
        raise UnsafeInputError(
            Path(root) / str(name),
            None,
            "a run name of letters, digits, '.', '_' and '-' (not starting with '.')",
            repr(name),
            field="run name",
        )
    return Path(root) / name


def _clean(obj: Any) -> Any:
    """JSON has no NaN/inf: write them as null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def write_json_atomic(path: str | Path, obj: Any, *, indent: int | None = 2) -> None:
    with atomic_write(path, "w") as fh:
        json.dump(_clean(obj), fh, indent=indent, allow_nan=False)
        fh.write("\n")


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())


def append_jsonl(path: str | Path, record: dict[str, Any]) -> None:
    """Append one line and flush it to disk (a kill leaves at most a partial last line).

    A partial last line left by a kill or a full disk is cut off first: appended to, it would
    become a broken line in the middle of the file, which no reader could skip.
    """
    line = (json.dumps(_clean(record), allow_nan=False) + "\n").encode()
    with open(path, "ab+") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size:
            fh.seek(max(size - (1 << 20), 0))
            tail = fh.read()
            if not tail.endswith(b"\n"):
                cut = tail.rfind(b"\n")
                size = size - len(tail) + cut + 1  # after the last complete line (0 if none)
                fh.truncate(size)
        try:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        except BaseException:
            fh.truncate(size)  # a failed write (ENOSPC) leaves no partial line either
            raise


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """All complete lines; a partial last line (a kill while writing) is ignored."""
    path = Path(path)
    if not path.is_file():
        return []
    records = []
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if i == len(lines) - 1:
                break
            raise
    return records


def pid_alive(pid: int | None) -> bool:
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    # a zombie (exited, not yet reaped by its parent) is not alive
    try:
        with open(f"/proc/{pid}/stat") as fh:
            if fh.read().split(") ", 1)[1].startswith("Z"):
                return False
    except (OSError, IndexError):
        pass
    return True


def running_pid(run_dir: str | Path) -> int | None:
    """The pid of a live process training into ``run_dir``, or None."""
    path = Path(run_dir) / "status.json"
    try:
        status = read_json(path)
    except (OSError, json.JSONDecodeError):
        return None
    if status.get("state") != "running":
        return None
    pid = status.get("pid")
    fresh = time.time() - float(status.get("heartbeat") or 0) < STALE_AFTER_S
    if pid != os.getpid() and pid_alive(pid) and fresh:
        return int(pid)
    return None


class StatusWriter:
    """Keeps ``status.json`` current; a daemon thread refreshes the heartbeat."""

    def __init__(self, path: str | Path, *, epochs: int, interval_s: float = HEARTBEAT_S) -> None:
        self.path = Path(path)
        self.interval_s = interval_s
        self.status: dict[str, Any] = {
            "state": "running",
            "pid": os.getpid(),
            "heartbeat": time.time(),
            "epoch": 0,
            "epochs": epochs,
            "message": "",
        }
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def update(self, **fields: Any) -> None:
        with self._lock:
            self.status.update(fields)
            self.status["heartbeat"] = time.time()
            write_json_atomic(self.path, self.status)

    def note(self, **fields: Any) -> None:
        """Set fields without writing: the next heartbeat (every ``interval_s``) writes them.
        For what changes every batch (batch, rate), so that a step never waits on the disk."""
        with self._lock:
            self.status.update(fields)

    def _beat(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.update()
            except OSError:  # a full disk must not kill training; the next beat retries
                pass

    def start(self) -> None:
        self.update()
        self._thread = threading.Thread(target=self._beat, name="status-heartbeat", daemon=True)
        self._thread.start()

    def stop(self, **final: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.update(**final)
