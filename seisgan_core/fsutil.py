"""File-system helpers every part shares: atomic writes and lock files.

A leaf module: of ours it imports only `seisgan_core.errors`, so any part may use it.

Atomic writes follow the usual POSIX recipe: write into a temporary file in the same folder,
flush and fsync, then `os.replace` onto the final name, so a reader (or a rerun after SIGKILL)
sees either the old complete file or the new complete one, never a mixture.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from fnmatch import fnmatch
from pathlib import Path
from typing import IO, Any

from seisgan_core.errors import SeisganError

__all__ = [
    "LockHeldError",
    "PathLock",
    "atomic_directory",
    "atomic_write",
    "atomic_write_json",
    "atomic_write_text",
    "csv_safe",
    "csv_safe_frame",
    "file_sha256",
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


def temp_prefix(path: Path) -> str:
    """The name start of a temporary of ``path`` (``.NAME.PID.``)."""
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


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes (hex), read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb", **open_kwargs: Any) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` atomically.

    On any exception the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp_name = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
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
    tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent))
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


class LockHeldError(SeisganError, RuntimeError):
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


# --------------------------------------------------------------------------- CSV cells

# a spreadsheet runs a cell that starts with one of these as a formula (OWASP: CSV injection)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula (``=cmd|...``, ``@SUM(...)``,
    ``+1+cmd``, a leading tab or CR) with a ``'`` in front, so it stays text; numbers
    (``-3.5``, ``+1e3``) and every other value unchanged. Every CSV the project writes or
    offers for download passes its text cells through this."""
    if not isinstance(value, str) or not value.startswith(FORMULA_PREFIXES):
        return value
    if value[0] in "+-" and value.strip() == value:
        try:
            float(value)
            return value  # a signed number
        except ValueError:
            pass
    return "'" + value


def csv_safe_frame(frame: Any) -> Any:
    """A copy of a DataFrame with `csv_safe` applied to its text cells (column names too)."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    out = frame.copy()
    for column in out.columns:
        if is_object_dtype(out[column].dtype) or is_string_dtype(out[column].dtype):
            out[column] = out[column].map(csv_safe)
    out.columns = [csv_safe(c) for c in out.columns]
    return out


# --------------------------------------------------------------------------- output guards

OUTPUT_MARKER = ".seisgan-output.json"


class OutputRefusedError(SeisganError, ValueError):
    """An output would replace or hold something its command did not write.

    ``overridable`` is True when ``--force`` may override (an earlier output of another kind,
    an unmarked or non-empty folder), False when the output is, holds or lies inside an input.
    """

    def __init__(self, message: str, *, overridable: bool) -> None:
        self.overridable = overridable
        super().__init__(message)


def _marker_path(out: Path, folder: bool) -> Path:
    return out / OUTPUT_MARKER if folder else out.with_name(f".{out.name}{OUTPUT_MARKER}")


def read_output_marker(out: str | Path, *, folder: bool) -> dict[str, Any] | None:
    """The marker a command left in (folder) or beside (file) its output, or None."""
    try:
        marker = json.loads(_marker_path(Path(out), folder).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) and isinstance(marker.get("command"), str) else None


def write_output_marker(out: str | Path, command: str, *, folder: bool) -> Path:
    """Record that ``command`` wrote ``out``: for a folder the entries it holds now, for a
    file its size and modification time (a file replaced since then is not ours any more)."""
    out = Path(out)
    marker: dict[str, Any] = {"command": command}  # no time: the same run, the same bytes
    if folder:
        marker["entries"] = sorted(p.name for p in out.iterdir() if p.name != OUTPUT_MARKER)
    else:
        stat = out.stat()
        marker.update(size=stat.st_size, mtime_ns=stat.st_mtime_ns)
    path = _marker_path(out, folder)
    atomic_write_json(path, marker)
    return path


def _relation(out: Path, source: Path) -> str | None:
    """How ``out`` stands to an input ``source`` (both resolved), or None when apart."""
    if out == source:
        return "is"
    if out in source.parents:
        return "contains"
    if source in out.parents:
        return "lies inside"
    return None


def check_inputs(out: str | Path, command: str, inputs: Sequence[str | Path]) -> None:
    """Refuse (never overridable) an output that is, contains or lies inside an input."""
    out_resolved = Path(out).resolve()
    for source in inputs:
        relation = _relation(out_resolved, Path(source).resolve())
        if relation is not None:
            raise OutputRefusedError(
                f"refusing to write {out}: it {relation} the input {source} "
                "(an output never replaces an input; --force does not change this); "
                "choose an --out outside the inputs",
                overridable=False,
            )


def _file_problem(out: Path, kind: OutputKind) -> str | None:
    if out.is_dir():
        return "it is a folder"
    marker = read_output_marker(out, folder=False)
    stat = out.stat()
    if marker is not None and (marker.get("size"), marker.get("mtime_ns")) == (
        stat.st_size,
        stat.st_mtime_ns,
    ):
        if marker["command"] == kind.command:
            return None
        return f"it is the output of `seisgan {marker['command']}`"
    if kind.recognise is not None and kind.recognise(out):
        return None  # written by this command before outputs were marked
    return f"it is a file that `seisgan {kind.command}` did not write"


def _sidecar_problem(out: Path, kind: OutputKind) -> str | None:
    """A ``.json`` sidecar the command writes beside ``out`` that holds something else."""
    if kind.sidecar_of is None or out.suffix.lower() not in kind.sidecar_of:
        return None
    sidecar = out.with_suffix(".json")
    if not sidecar.exists() or _is_generated(out):
        return None
    return f"its sidecar {sidecar} exists and `seisgan {kind.command}` did not write it"


def _folder_problem(out: Path, kind: OutputKind) -> str | None:
    if not out.is_dir():
        return "it is a file, not a folder"
    entries = {p.name for p in out.iterdir()} - {OUTPUT_MARKER}
    if not entries:
        return None
    marker = read_output_marker(out, folder=True)
    if marker is not None and marker["command"] != kind.command:
        return f"it holds the output of `seisgan {marker['command']}`"
    if marker is None and not (set(kind.required) & entries):
        if kind.keeps_others:  # its other files are carried over: only a name clash loses one
            clash = sorted(e for e in entries if any(fnmatch(e, p) for p in kind.replaces))
            if not clash:
                return None
            entries = set(clash)
        shown = ", ".join(sorted(entries)[:5]) + (", ..." if len(entries) > 5 else "")
        return f"it is not empty ({shown}) and `seisgan {kind.command}` did not write it"
    if kind.keeps_others:
        return None
    written = set(marker.get("entries") or ()) if marker is not None else set()
    others = sorted(entries - written - set(kind.known))
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        return f"it also holds {shown}, which `seisgan {kind.command}` did not write"
    return None


def check_output(
    out: str | Path,
    command: str,
    inputs: Sequence[str | Path] = (),
    *,
    force: bool = False,
) -> None:
    """Raise `OutputRefusedError` unless ``seisgan COMMAND`` may write ``out``.

    Refused always: ``out`` is, contains or lies inside one of ``inputs``. Refused unless
    ``force``: ``out`` exists and is not an earlier output of the same command (its marker
    `OUTPUT_MARKER`, or for outputs written before markers, the files the command writes),
    or it is a folder that also holds entries the command did not write. Nothing else.
    """
    out = Path(out)
    kind = OUTPUT_KINDS[command]
    check_inputs(out, command, inputs)
    problem = _sidecar_problem(out, kind)
    if not out.exists() and not out.is_symlink():
        pass
    elif out.is_symlink():
        problem = "it is a symbolic link"
    else:
        problem = _folder_problem(out, kind) if kind.folder else _file_problem(out, kind)
    if problem is not None and not force:
        raise OutputRefusedError(
            f"refusing to replace {out}: {problem}; choose another --out, "
            "or give --force to replace it",
            overridable=True,
        )


@contextlib.contextmanager
def guarded_output(
    out: str | Path, command: str, inputs: Sequence[str | Path] = (), *, force: bool = False
) -> Iterator[Path]:
    """`check_output`, then the work (the body), then the marker that says ``command`` wrote
    ``out`` (only when the body succeeds and ``out`` exists)."""
    out = Path(out)
    check_output(out, command, inputs, force=force)
    yield out
    if out.exists():
        write_output_marker(out, command, folder=OUTPUT_KINDS[command].folder)


class OutputKind:
    """What one command writes: a folder (the names it writes, those that identify it) or a
    file (a check of its signature for files written before markers)."""

    def __init__(
        self,
        command: str,
        *,
        folder: bool,
        known: Sequence[str] = (),
        required: Sequence[str] = (),
        keeps_others: bool = False,
        recognise: Any = None,
        sidecar_of: Sequence[str] | None = None,
        replaces: Sequence[str] = (),
    ) -> None:
        self.command = command
        self.folder = folder
        self.known = tuple(known)
        self.required = tuple(required) or tuple(known)
        self.keeps_others = keeps_others
        self.recognise = recognise
        self.sidecar_of = sidecar_of  # suffixes whose files get a .json sidecar
        self.replaces = tuple(replaces)  # with keeps_others: the names (globs) it writes


def _is_record_table(path: Path) -> bool:
    """A parquet file with the record table's identifying columns (`seisgan ingest`)."""
    try:
        import pyarrow.parquet as pq

        names = set(pq.read_schema(path).names)
    except Exception:  # anything unreadable is not a record table
        return False
    return {"record_id", "event_id", "station", "source_format"} <= names


def _has_generation_info(path: Path) -> bool:
    """An HDF5 (ASDF) file holding seisgan's ``AuxiliaryData/GenerationInfo``."""
    try:
        import h5py

        with h5py.File(path, "r") as handle:
            return "AuxiliaryData/GenerationInfo" in handle
    except Exception:  # not HDF5, damaged: not ours
        return False


def _is_generated(path: Path) -> bool:
    if path.suffix.lower() == ".npy":
        try:
            meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(meta, dict) and {"run", "checkpoint", "units"} <= set(meta)
    return _has_generation_info(path)


def _is_export(path: Path) -> bool:
    if path.suffix.lower() == ".zip":
        import zipfile

        try:
            with zipfile.ZipFile(path) as archive:
                meta = json.loads(archive.read("provenance.json"))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return False
        return isinstance(meta, dict) and "format" in meta and "n_records" in meta
    return _has_generation_info(path)


# the run folder's own files (docs/contracts.md section 3) and its lock
_RUN_ENTRIES = ("config.json", "status.json", "metrics.jsonl", "checkpoints", "samples")

OUTPUT_KINDS: dict[str, OutputKind] = {
    "demo": OutputKind("demo", folder=True, known=("demo.h5", "flatfile.csv", "ascii")),
    "prepare": OutputKind(
        "prepare",
        folder=True,
        known=("manifest.json", "waveforms.npy", "records.parquet", "noise.npy", "noise.parquet"),
        required=("manifest.json",),
    ),
    "train": OutputKind(
        "train", folder=True, known=(*_RUN_ENTRIES, ".lock", ".lock.holder"), required=_RUN_ENTRIES
    ),
    "evaluate": OutputKind(
        "evaluate",
        folder=True,
        known=("metrics.json",),
        keeps_others=True,  # a folder's other files are carried into the new evaluation
        replaces=("metrics.json", "figures.html", "*.png"),
    ),
    "ingest": OutputKind("ingest", folder=False, recognise=_is_record_table),
    "generate": OutputKind("generate", folder=False, recognise=_is_generated, sidecar_of=(".npy",)),
    "export": OutputKind("export", folder=False, recognise=_is_export),
}
