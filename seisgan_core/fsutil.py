"""File-system helpers every part shares: atomic writes and lock files.

A leaf module: it imports nothing of ours, so any part of `seisgan_core` may use it.

Atomic writes follow the usual POSIX recipe: write into a temporary file in the same folder,
flush and fsync, then `os.replace` onto the final name, so a reader (or a rerun after SIGKILL)
sees either the old complete file or the new complete one, never a mixture.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

__all__ = [
    "LockHeldError",
    "PathLock",
    "atomic_directory",
    "atomic_write",
    "atomic_write_json",
    "atomic_write_text",
    "json_clean",
    "json_text",
    "output_lock",
    "own_identity",
    "pid_alive",
    "process_identity",
    "remove_stale_temporaries",
    "same_process",
]

_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process's umask (read by setting it and putting it back, under a lock)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _temp_prefix(path: Path) -> str:
    # the writer's pid in the name lets a later writer tell a dead one's leftovers
    return f".{path.name}.{os.getpid()}."


def remove_stale_temporaries(path: str | Path) -> list[Path]:
    """Delete the temporary files and folders that writers of ``path`` killed mid-write left.

    A temporary is ``.NAME.PID.XXXX.tmp`` beside ``path``; it is stale when process PID is
    gone (SIGKILL, power loss skip the cleanup in `atomic_write`). Live writers' ones stay.
    """
    path = Path(path)
    removed = []
    try:
        candidates = list(path.parent.glob(f".{glob_escape(path.name)}.*.tmp"))
    except OSError:
        return removed
    for tmp in candidates:
        pid_text = tmp.name[len(path.name) + 2 :].split(".", 1)[0]
        if not pid_text.isdigit() or pid_alive(int(pid_text)):
            continue
        try:
            if tmp.is_dir() and not tmp.is_symlink():
                shutil.rmtree(tmp)
            else:
                tmp.unlink()
            removed.append(tmp)
        except OSError:  # a read-only folder: nothing to do about it here
            pass
    return removed


def glob_escape(name: str) -> str:
    """``name`` with glob's special characters taken literally."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb", **open_kwargs: Any) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` atomically.

    On any exception the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        # mkstemp makes the file 0600: give it the mode open() would (0666 less the umask)
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def json_clean(obj: Any) -> Any:
    """``obj`` with NaN and infinities as None (JSON has neither), in dicts, lists, tuples."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: json_clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_clean(v) for v in obj]
    if type(obj).__module__ == "numpy" and hasattr(obj, "tolist"):  # numpy scalars, arrays
        return json_clean(obj.tolist())
    return obj


def json_text(obj: Any, *, indent: int | None = 2) -> str:
    """Strict JSON (NaN and infinities written as null; anything else unknown as its str)."""
    return json.dumps(json_clean(obj), indent=indent, allow_nan=False, default=str)


def atomic_write_json(path: str | Path, obj: Any, *, indent: int | None = 2) -> None:
    """The project's one JSON writer: strict JSON (`json_text`), written atomically."""
    atomic_write_text(path, json_text(obj, indent=indent) + "\n")


@contextlib.contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """Build a folder in a temporary sibling; on success it takes the place of ``path``.

    Yields the temporary folder to write into. If ``path`` exists it is kept until the new
    folder is complete, then swapped out (two renames; between them, for a moment, only the
    ``.old`` copy exists, and `recover_directory` puts it back after a crash there).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    recover_directory(path)
    remove_stale_temporaries(path)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent))
    try:
        tmp.chmod(0o777 & ~current_umask())  # mkdtemp makes it 0700
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = path.with_name(f".{path.name}.old")
    if path.exists():
        if old.exists():
            shutil.rmtree(old)
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


def recover_directory(path: str | Path) -> None:
    """Undo a swap that `atomic_directory` was killed in the middle of."""
    path = Path(path)
    old = path.with_name(f".{path.name}.old")
    if old.exists():
        if path.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(old, path)


def process_identity(pid: int | None) -> dict[str, Any] | None:
    """``{"pid", "create_time", "cmdline"}`` of a live process (psutil), or None when there is
    no such process or it is a zombie (exited, not yet reaped)."""
    import psutil

    if not pid or pid <= 0:
        return None
    try:
        proc = psutil.Process(int(pid))
        with proc.oneshot():
            if proc.status() in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD):
                return None
            create_time = proc.create_time()
            try:
                cmdline = proc.cmdline()
            except psutil.AccessDenied:
                cmdline = []
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None
    except psutil.AccessDenied:  # exists, owned by someone else
        return {"pid": int(pid), "create_time": None, "cmdline": []}
    return {"pid": int(pid), "create_time": create_time, "cmdline": cmdline}


def same_process(
    pid: int | None, create_time: float | None = None, cmdline_has: Sequence[str] = ()
) -> bool:
    """True if ``pid`` is alive and, where given, started at ``create_time`` (to 10 ms) and
    has every string of ``cmdline_has`` among its command-line words (a pid reused by an
    unrelated process fails these checks)."""
    identity = process_identity(pid)
    if identity is None:
        return False
    if create_time is not None and identity["create_time"] is not None:
        if abs(float(identity["create_time"]) - float(create_time)) > 0.01:
            return False
    if cmdline_has:
        words = " ".join(identity["cmdline"])
        if not all(part in words for part in cmdline_has):
            return False
    return True


def pid_alive(pid: int | None) -> bool:
    """True if a process with this pid exists and is not a zombie."""
    return process_identity(pid) is not None


def own_identity() -> dict[str, Any]:
    """This process's pid and psutil create_time, for status files and lock holders."""
    identity = process_identity(os.getpid()) or {}
    return {"pid": os.getpid(), "create_time": identity.get("create_time")}


class LockHeldError(RuntimeError):
    """Another live process holds the lock; the message names it."""

    def __init__(self, lock_path: Path, holder: dict[str, Any]) -> None:
        self.lock_path = lock_path
        self.holder = holder
        # a folder's own lock is FOLDER/.lock; output_lock's is .NAME.lock beside NAME
        name = lock_path.name
        what = lock_path.parent if name == ".lock" else lock_path.with_name(name[1:-5])
        super().__init__(
            f"{what} is in use by pid {holder.get('pid')} "
            f"({holder.get('command', 'unknown command')}, since {holder.get('since', '?')}); "
            f"wait for it to finish or stop it (lock file {lock_path})"
        )


class PathLock:
    """An exclusive lock on an output folder, held through `filelock` (an OS lock on the lock
    file, released by the OS when the holder dies, so a killed process never blocks anyone).

    The holder's pid, command and start are kept in a side file (``LOCK.holder``) only for the
    message that names the holder. ``timeout_s=0`` refuses at once; a positive timeout waits.
    """

    def __init__(self, folder: str | Path, *, command: str = "", name: str = ".lock") -> None:
        self.path = Path(folder) / name
        self.holder_path = self.path.with_name(self.path.name + ".holder")
        self.command = command
        self._lock: Any = None

    def holder(self) -> dict[str, Any] | None:
        try:
            holder = json.loads(self.holder_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return holder if isinstance(holder, dict) else None

    def acquire(self, timeout_s: float = 0.0, poll_s: float = 0.05) -> None:
        import filelock

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = filelock.FileLock(str(self.path), is_singleton=False, preserve_lock_file=True)
            lock.acquire(timeout=max(timeout_s, 0.0), poll_interval=poll_s, blocking=True)
        except filelock.Timeout:
            raise LockHeldError(self.path, self.holder() or {"pid": "unknown"}) from None
        except OSError as exc:  # read-only folder, full disk: say where
            raise OSError(exc.errno or errno.EIO, f"cannot create lock {self.path}: {exc}") from exc
        self._lock = lock
        record = {
            "pid": os.getpid(),
            "command": self.command,
            "since": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        try:
            atomic_write_json(self.holder_path, record)
        except OSError:  # the lock holds without its message; never fail the work for it
            pass

    def release(self) -> None:
        if self._lock is not None:
            holder = self.holder()
            if holder is not None and holder.get("pid") == os.getpid():
                self.holder_path.unlink(missing_ok=True)
            self._lock.release()  # filelock removes the lock file itself, safely
            self._lock = None

    def __enter__(self) -> PathLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def output_lock(path: str | Path, command: str) -> PathLock:
    """The lock of an output that `atomic_directory` replaces as a whole (a prepared set, the
    demo archive): a file ``.NAME.lock`` beside it, since one inside would be swapped away."""
    path = Path(path)
    return PathLock(path.parent, command=f"{command} {path}", name=f".{path.name}.lock")
