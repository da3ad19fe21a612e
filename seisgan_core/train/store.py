"""Files of the run store (docs/contracts.md, section 3): atomic JSON, metrics lines, status.

``status.json`` is rewritten by a heartbeat thread every few seconds while a run is alive, so
the app (and ``seisgan train``) can tell a live run from a dead one: a run is locked only while
its pid exists *and* its heartbeat is fresh; a dead pid (or a pid reused by an unrelated
process, which has no heartbeat) is not a lock.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from seisgan_core.errors import DataError, SeisganError
from seisgan_core.fsutil import atomic_write_json, json_clean, own_identity, pid_alive, same_process
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
    "read_jsonl_lenient",
    "run_dir",
    "running_pid",
    "trainer_alive",
    "write_json_atomic",
]

HEARTBEAT_S = 5.0
# a heartbeat older than this means the writer is gone (several missed beats)
STALE_AFTER_S = 60.0


class RunLockedError(SeisganError, RuntimeError):
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


# the project's one strict JSON writer (NaN/inf -> null), under the name the run store used
write_json_atomic = atomic_write_json


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())


def append_jsonl(path: str | Path, record: dict[str, Any]) -> None:
    """Append one line and flush it to disk (a kill leaves at most a partial last line).

    A partial last line left by a kill or a full disk is cut off first: appended to, it would
    become a broken line in the middle of the file, which no reader could skip.
    """
    line = (json.dumps(json_clean(record), allow_nan=False) + "\n").encode()
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
    """All complete lines; a partial last line (a kill while writing) is ignored. A broken
    line elsewhere raises ``ValueError`` naming the file and the line (see `read_jsonl_lenient`
    for readers that must go on)."""
    records, problem = read_jsonl_lenient(path)
    if problem is not None:
        raise ValueError(problem)
    return records


def read_jsonl_lenient(path: str | Path) -> tuple[list[dict[str, Any]], str | None]:
    """The JSON objects of the lines of ``path`` and what was wrong, or None.

    A torn last line (a kill or a full disk while appending) is skipped silently; any other
    line that is not a JSON object is skipped and named in the problem (the file is damaged).
    """
    path = Path(path)
    try:
        lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return [], None
    except OSError as exc:
        return [], f"{path}: cannot read ({exc.strerror or exc})"
    records, broken = [], []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            if i != len(lines) - 1:
                broken.append(f"line {i + 1}: {exc.msg}")
            continue
        if isinstance(record, dict):
            records.append(record)
        else:
            broken.append(f"line {i + 1}: a JSON {type(record).__name__}, not an object")
    if not broken:
        return records, None
    more = f" and {len(broken) - 1} more" if len(broken) > 1 else ""
    return records, f"{path}: {broken[0]}{more} (expected one JSON object per line)"


def running_pid(run_dir: str | Path) -> int | None:
    """The pid of a live process training into ``run_dir``, or None."""
    path = Path(run_dir) / "status.json"
    try:
        status = read_json(path)
    except (OSError, json.JSONDecodeError):
        return None
    if not isinstance(status, dict) or status.get("state") != "running":
        return None
    pid = status.get("pid")
    if pid != os.getpid() and trainer_alive(status):
        return int(pid)
    return None


def heartbeat_fresh(status: dict[str, Any], now: float | None = None) -> bool:
    """Whether ``status.json``'s heartbeat is recent enough for its writer to be alive."""
    try:
        beat = float(status.get("heartbeat") or 0)
    except (TypeError, ValueError):
        return False
    return ((time.time() if now is None else now) - beat) < STALE_AFTER_S


def trainer_alive(status: dict[str, Any]) -> bool:
    """True when ``status.json``'s pid is still the process that wrote it: running state, a
    fresh heartbeat, the same start time (``create_time``, psutil) and a ``seisgan`` train
    command line. A pid reused by an unrelated process (a ``sleep``) fails these checks."""
    if not isinstance(status, dict) or status.get("state") != "running":
        return False
    if not heartbeat_fresh(status):
        return False
    create_time = status.get("create_time")
    # pid and start time name one process; a status.json written before start times were
    # recorded is checked by the command line instead
    words = () if create_time is not None else TRAINER_CMDLINE
    return same_process(status.get("pid"), create_time, words)


# a word every trainer's command line holds (`python -m seisgan_core.cli train|tune ...`)
TRAINER_CMDLINE = ("seisgan",)


class StatusWriter:
    """Keeps ``status.json`` current; a daemon thread refreshes the heartbeat."""

    def __init__(self, path: str | Path, *, epochs: int, interval_s: float = HEARTBEAT_S) -> None:
        self.path = Path(path)
        self.interval_s = interval_s
        self.status: dict[str, Any] = {
            "state": "running",
            **own_identity(),  # pid and create_time: Stop checks both before signalling
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


def check_resume_data(run: str | Path, data: str | Path) -> None:
    """Refuse (``ValueError``) to resume ``run`` on a prepared set other than the one its
    ``config.json`` records (by the sha256 of the set's ``manifest.json``): the other set's
    split would turn validation and test records into training records."""
    from seisgan_core.train.data import _sha256

    config_path = Path(run) / "config.json"
    try:
        recorded = (read_json(config_path).get("data") or {}).get("manifest_sha256")
    except (OSError, ValueError, AttributeError):
        return  # no readable config yet: nothing was trained on any set
    if not recorded:
        return
    manifest = Path(data) / "manifest.json"
    found = _sha256(manifest)
    if found != recorded:
        raise DataError(
            f"{run} was trained on a prepared set whose manifest.json has sha256 {recorded} "
            f"({config_path}), but --data {data} has "
            f"{'no manifest.json' if found is None else f'sha256 {found}'} ({manifest}); "
            "resume with the run's own --data, or train a new run (another --out)"
        )
