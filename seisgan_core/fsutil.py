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
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "LockHeldError",
    "PathLock",
    "atomic_directory",
    "atomic_write",
    "atomic_write_json",
    "atomic_write_text",
    "output_lock",
    "pid_alive",
    "remove_stale_temporaries",
]


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


def atomic_write_json(path: str | Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


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


def pid_alive(pid: int | None) -> bool:
    """True if a process with this pid exists (and is not a zombie we could reap)."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child counts as dead
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return True


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
    """An exclusive lock on an output folder: a lock file holding the holder's pid.

    A lock whose holder is dead is taken over, so a killed process never blocks forever.
    ``timeout_s=0`` refuses at once; a positive timeout waits for the holder to finish.
    """

    def __init__(self, folder: str | Path, *, command: str = "", name: str = ".lock") -> None:
        self.path = Path(folder) / name
        self.command = command
        self._held = False

    def holder(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def acquire(self, timeout_s: float = 0.0, poll_s: float = 0.2) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout_s
        record = {
            "pid": os.getpid(),
            "command": self.command,
            "since": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        while True:
            # Write the holder's record first, then link it onto the lock name: the link is
            # atomic and fails if the lock exists, so nobody ever sees a half-written lock.
            try:
                fd, tmp_name = tempfile.mkstemp(prefix=".lock.", dir=self.path.parent)
            except OSError as exc:  # read-only folder, full disk: say where
                raise OSError(
                    exc.errno or errno.EIO, f"cannot create lock {self.path}: {exc}"
                ) from exc
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(record, handle)
                os.link(tmp_name, self.path)
            except FileExistsError:
                holder = self.holder()
                if holder is None or not pid_alive(holder.get("pid")):
                    # Dead holder or an unreadable lock: take it over.
                    with contextlib.suppress(FileNotFoundError):
                        self.path.unlink()
                    continue
                if holder.get("pid") == os.getpid() or time.monotonic() >= deadline:
                    raise LockHeldError(self.path, holder) from None
                time.sleep(poll_s)
                continue
            finally:
                os.unlink(tmp_name)
            self._held = True
            return

    def release(self) -> None:
        if self._held:
            holder = self.holder()
            if holder is None or holder.get("pid") == os.getpid():
                self.path.unlink(missing_ok=True)
            self._held = False

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
