"""What this installation holds, for the app: archives, prepared sets, runs; safe paths and names.

Pure file-system helpers with no Streamlit in them, so that the pages stay thin and every rule
here is unit-tested. The data roots are ``data/raw`` (archives users bring, the demo archive),
``data/processed`` (prepared training sets) and ``models`` (the run store), all under one
project folder (the working directory, or ``$SEISGAN_HOME``).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from seisgan_core.errors import SeisganError
from seisgan_core.fsutil import atomic_write, csv_safe_frame
from seisgan_core.io.errors import UnsafeInputError
from seisgan_core.prepare_config import PrepareConfig

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "EXPORT_LABELS",
    "HYPERPARAMETER_HELP",
    "ArchiveInfo",
    "NameTakenError",
    "PreparedInfo",
    "Roots",
    "check_prepare_name",
    "choose_index",
    "confine_path",
    "damaged_runs",
    "demo_records",
    "describe_counts",
    "discover_archives",
    "discover_prepared",
    "effective_state",
    "export_button_label",
    "export_file_name",
    "format_number",
    "format_value",
    "free_name",
    "page_message",
    "parse_value",
    "prepare_argv",
    "prepare_outcome",
    "prepare_progress",
    "progress_text",
    "query_values",
    "read_json_or_none",
    "reference_study_tables",
    "resolve_data_path",
    "restore_values",
    "run_progress",
    "runs_table",
    "runs_trained_on",
    "sample_rows",
    "sanitize_run_name",
    "save_upload",
]


def demo_records() -> int:
    """Records of the demo archive built on first start: ``$SEISGAN_DEMO_RECORDS`` or 1,300
    (the study's 1,298, rounded); smaller for a quick look on a slow machine."""
    text = os.environ.get("SEISGAN_DEMO_RECORDS", "1300")
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"SEISGAN_DEMO_RECORDS: expected a whole number, found {text!r}") from None
    if value < 1:
        raise ValueError(f"SEISGAN_DEMO_RECORDS: expected at least 1, found {value}")
    return value


@dataclass(frozen=True)
class Roots:
    """The project folder and the data roots under it."""

    project: Path

    @classmethod
    def from_env(cls) -> Roots:
        """``$SEISGAN_HOME`` if set, else the working directory (where `streamlit run` starts)."""
        return cls(Path(os.environ.get("SEISGAN_HOME", ".")).resolve())

    @property
    def raw(self) -> Path:
        return self.project / "data" / "raw"

    @property
    def processed(self) -> Path:
        return self.project / "data" / "processed"

    @property
    def models(self) -> Path:
        return self.project / "models"

    @property
    def data_roots(self) -> tuple[Path, Path, Path]:
        return (self.raw, self.processed, self.models)


def confine_path(user_path: str | Path, roots: Sequence[Path]) -> Path:
    """Resolve a path a user typed and make sure it lies inside one of ``roots``.

    Relative paths are taken relative to the first root. Symbolic links and ``..`` are
    resolved before the check, so neither can lead outside. Raises ``UnsafeInputError``.
    """
    text = str(user_path).strip()
    if not text or "\x00" in text:
        raise UnsafeInputError(
            text or "(empty)", None, "a folder or file path", repr(text), field="path"
        )
    candidate = Path(text).expanduser()
    if not candidate.is_absolute():
        candidate = Path(roots[0]) / candidate
    resolved = candidate.resolve()
    for root in roots:
        root_resolved = Path(root).resolve()
        if resolved == root_resolved or resolved.is_relative_to(root_resolved):
            return resolved
    raise UnsafeInputError(
        text,
        None,
        "a path inside " + " or ".join(str(Path(r).resolve()) for r in roots),
        str(resolved),
        field="path",
    )


_RUN_NAME_BAD = re.compile(r"[^A-Za-z0-9._-]+")


def sanitize_run_name(name: str, *, max_length: int = 64) -> str:
    """A run name safe as one folder name: letters, digits, ``.``, ``_``, ``-``.

    Other characters become ``-``; leading dots and dashes are dropped (no hidden folders, no
    option-like names, no ``..``). Raises ``ValueError`` when nothing usable is left.
    """
    cleaned = _RUN_NAME_BAD.sub("-", name.strip()).strip("-")
    cleaned = cleaned.lstrip(".-_")[:max_length].rstrip(".-")
    if not cleaned:
        raise ValueError(f"run name {name!r} has no letters or digits to keep")
    return cleaned


class NameTakenError(SeisganError, FileExistsError):
    """A name the app would write is taken; ``suggestion`` is a free one to offer instead."""

    def __init__(self, message: str, suggestion: str) -> None:
        self.suggestion = suggestion
        super().__init__(message)


def free_name(folder: Path, name: str) -> str:
    """``name``, or ``STEM-2.SUFFIX``, ``STEM-3.SUFFIX``, ... : the first not in ``folder``."""
    stem, suffix = (
        (name[: -len(Path(name).suffix)], Path(name).suffix) if Path(name).suffix else (name, "")
    )
    candidate, n = name, 1
    while (folder / candidate).exists() or (folder / candidate).is_symlink():
        n += 1
        candidate = f"{stem}-{n}{suffix}"
    return candidate


def save_upload(filename: str, data: bytes, dest_dir: Path) -> Path:
    """Write an uploaded file into ``dest_dir`` atomically, under a sanitised name.

    Never replaces a file already there (the demo's ``flatfile.csv``, an earlier upload):
    raises `NameTakenError` naming it, with a free name to offer (``flatfile-2.csv``).
    """
    safe_name = sanitize_run_name(Path(filename).name, max_length=128)
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / safe_name
    if target.exists() or target.is_symlink():
        suggestion = free_name(dest_dir, safe_name)
        raise NameTakenError(
            f"{target} already exists and was not replaced; upload the file under another "
            f"name, e.g. {suggestion}",
            suggestion,
        )
    with atomic_write(target, "wb") as handle:
        handle.write(data)
    return target


def runs_trained_on(prepared: Path, models_root: Path) -> list[str]:
    """Names of the runs under ``models_root`` whose ``config.json`` records ``prepared`` as
    their data (by path, or by the sha256 of its ``manifest.json``)."""
    import hashlib

    try:
        digest = hashlib.sha256((prepared / "manifest.json").read_bytes()).hexdigest()
    except OSError:
        digest = None
    names = []
    for config_path in sorted(models_root.glob("*/config.json")) if models_root.is_dir() else []:
        config = read_json_or_none(config_path)
        data = config.get("data") if isinstance(config, dict) else None
        if not isinstance(data, dict):
            continue
        path = data.get("path")
        same_path = (
            bool(path)
            and Path(path).name == prepared.name
            and (not Path(path).is_absolute() or Path(path).resolve() == prepared.resolve())
        )
        if same_path or (digest is not None and data.get("manifest_sha256") == digest):
            names.append(config_path.parent.name)
    return names


def check_prepare_name(roots: Roots, name: str) -> Path:
    """The folder of a new prepared set called ``name``; `NameTakenError` (with a free name)
    when a prepared set of that name exists and runs were trained on it (replacing it would
    change the data under them)."""
    folder = roots.processed / name
    if folder.exists():
        runs = runs_trained_on(folder, roots.models)
        if runs:
            suggestion = free_name(roots.processed, name)
            raise NameTakenError(
                f"{folder} is the prepared set that run(s) {', '.join(runs)} were trained on; "
                f"it is not replaced: choose another name, e.g. {suggestion}",
                suggestion,
            )
    return folder


@dataclass(frozen=True)
class ArchiveInfo:
    """One folder under ``data/raw``: what a user brought or the demo wrote."""

    name: str
    path: Path
    n_files: int
    n_bytes: int
    suffixes: dict[str, int] = field(default_factory=dict)


def discover_archives(raw_root: Path) -> list[ArchiveInfo]:
    """Each sub-folder of ``raw_root`` with at least one file, sorted by name."""
    found: list[ArchiveInfo] = []
    if not raw_root.is_dir():
        return found
    for folder in sorted(p for p in raw_root.iterdir() if p.is_dir()):
        n_files = 0
        n_bytes = 0
        suffixes: dict[str, int] = {}
        for path in folder.rglob("*"):
            if path.is_file() and not path.name.startswith("."):
                n_files += 1
                n_bytes += path.stat().st_size
                suffix = path.suffix.lower() or "(none)"
                suffixes[suffix] = suffixes.get(suffix, 0) + 1
        if n_files:
            found.append(ArchiveInfo(folder.name, folder, n_files, n_bytes, suffixes))
    return found


@dataclass(frozen=True)
class PreparedInfo:
    """One prepared training set under ``data/processed`` (contracts.md section 2)."""

    name: str
    path: Path
    n_records: int
    npts: int
    has_manifest: bool
    has_noise: bool


def discover_prepared(processed_root: Path) -> list[PreparedInfo]:
    """Folders holding ``waveforms.npy`` and ``records.parquet``, sorted by name.

    The array is opened memory-mapped only to read its shape (nothing is loaded).
    """
    import numpy as np

    found: list[PreparedInfo] = []
    if not processed_root.is_dir():
        return found
    for folder in sorted(p for p in processed_root.iterdir() if p.is_dir()):
        wave = folder / "waveforms.npy"
        if not wave.is_file() or not (folder / "records.parquet").is_file():
            continue
        try:
            shape = np.load(wave, mmap_mode="r").shape
        except (ValueError, OSError):
            continue
        if len(shape) != 3:
            continue
        found.append(
            PreparedInfo(
                folder.name,
                folder,
                int(shape[0]),
                int(shape[2]),
                (folder / "manifest.json").is_file(),
                (folder / "noise.npy").is_file(),
            )
        )
    return found


def choose_index(options: Sequence[str], requested: str | None, default: int = 0) -> int:
    """Index of ``requested`` in ``options`` (from the URL), else ``default``."""
    if requested is not None and requested in options:
        return list(options).index(requested)
    return default if 0 <= default < len(options) else 0


def effective_state(status: dict, alive: bool | None) -> str:
    """The state to show for a run: ``status.json`` corrected by whether its process lives.

    A run whose status says ``running`` while its process is gone died without writing
    its final state (killed, out of memory): that is ``failed``.
    """
    state = str(status.get("state", "unknown"))
    if state == "running" and alive is False:
        return "failed"
    return state


def run_progress(status: dict, metrics_rows: Sequence[dict], *, now: float | None = None) -> dict:
    """Epoch, batch, fraction done, mean seconds per epoch, time left and throughput of a run.

    Inside an epoch the trainer's ``status.json`` says its batch, batches per epoch and rate
    (written every few seconds); the fraction counts those batches. Time left is the mean of
    the measured epoch durations times the epochs still to go; before the first epoch ends,
    the batches still to go divided by the current batch rate.
    """
    epochs = int(status.get("epochs") or 0)
    epoch = int(status.get("epoch") or (metrics_rows[-1]["epoch"] if metrics_rows else 0))
    batches = int(_number(status.get("batches")) or 0)
    batch = min(int(_number(status.get("batch")) or 0), batches) if batches else 0
    in_epoch = batch / batches if batches else 0.0
    seconds = [s for s in (_number(r.get("seconds")) for r in metrics_rows) if s is not None]
    per_epoch = sum(seconds) / len(seconds) if seconds else None
    left = max(epochs - epoch - in_epoch, 0.0)
    rate = _number(status.get("batches_per_s"))
    if per_epoch is not None:
        seconds_left = per_epoch * left
    elif rate and batches:
        seconds_left = left * batches / rate
    else:
        seconds_left = None
    samples_per_s = _number(status.get("samples_per_s"))
    if samples_per_s is None and metrics_rows:
        samples_per_s = _number(metrics_rows[-1].get("samples_per_s"))
    heartbeat = status.get("heartbeat")
    now = time.time() if now is None else now
    return {
        "epoch": epoch,
        "epochs": epochs,
        "batch": batch,
        "batches": batches,
        "fraction": min((epoch + in_epoch) / epochs, 1.0) if epochs else 0.0,
        "seconds_per_epoch": per_epoch,
        "seconds_left": seconds_left,
        "samples_per_s": samples_per_s,
        "heartbeat_age_s": (now - float(heartbeat)) if heartbeat is not None else None,
    }


def progress_text(progress: dict) -> str:
    """'epoch 2 of 10 · batch 37 of 120 · 23 %': the same words in the runs table and the bar."""
    text = f"epoch {progress['epoch']} of {progress['epochs']}"
    if progress.get("batches") and progress.get("batch"):
        text += f" · batch {progress['batch']} of {progress['batches']}"
    return text + f" · {100 * progress['fraction']:.0f} %"


def page_message(message: str) -> str:
    """The trainer's status message in the Train page's words (its buttons, not CLI flags)."""
    return message.replace("continue with --resume", "press Resume training to continue")


def read_json_or_none(path: Path) -> dict | None:
    """A JSON file as a dict, or None when absent or half-written."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _number(value: object) -> float | None:
    """A metric as a float, or None where the trainer wrote null (no generator step yet)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if number != number else number  # NaN is missing too


def format_number(value: object, spec: str = ".3g") -> str:
    """A metric for display: formatted, or an en dash where it is missing."""
    number = _number(value)
    return "–" if number is None else format(number, spec)


def damaged_runs(runs: Sequence) -> tuple[list, list[str]]:
    """``runs`` split into the usable ones and one line per damaged run (name: reason), for
    the pages that need a run's files (Samples, Compare) to list apart."""
    usable, damaged = [], []
    for run in runs:
        reason = getattr(run, "damaged", None)
        if reason:
            damaged.append(f"{Path(run.path).name}: {reason}")
        else:
            usable.append(run)
    return usable, damaged


def runs_table(runs: Sequence, *, alive: Callable[[int], bool] | None = None) -> pd.DataFrame:
    """One row per run (objects with ``path``/``config``/``status``/``metrics``, as
    ``seisgan_core.train.runs.Run``): name, preset, state corrected for dead processes,
    epoch of epochs, last losses, message. A damaged run (``Run.damaged``) has the state
    ``damaged`` and the reason as its message."""
    import pandas as pd

    rows = []
    for run in runs:
        status = dict(run.status or {})
        pid = int(status.get("pid") or 0)
        is_alive = alive(pid) if (alive is not None and pid > 0) else None
        metrics = run.metrics
        last = metrics.iloc[-1] if metrics is not None and len(metrics) else None
        damaged = getattr(run, "damaged", None)  # config.json or metrics.jsonl broken
        rows.append(
            {
                "run": Path(run.path).name,
                "preset": (run.config or {}).get("preset", ""),
                "state": "damaged" if damaged else effective_state(status, is_alive),
                "progress": progress_text(
                    run_progress(status, metrics.to_dict("records") if last is not None else [])
                ),
                "loss_critic": _number(last.get("loss_critic")) if last is not None else None,
                "loss_generator": _number(last.get("loss_generator")) if last is not None else None,
                "message": damaged or page_message(str(status.get("message", ""))),
            }
        )
    table = pd.DataFrame(
        rows,
        columns=["run", "preset", "state", "progress", "loss_critic", "loss_generator", "message"],
    )
    return csv_safe_frame(table)  # shown with a CSV download: texts never become formulas


# One line per hyperparameter for the Train page's form (names as
# seisgan_core.train.config.Hyperparameters; the study's values from reference-study.md).
HYPERPARAMETER_HELP: dict[str, str] = {
    "epochs": "Passes over the training set (the study: 100 to 200).",
    "batch_size": "Records per step; smaller is noisier but helped against mode collapse (16-32).",
    "lr_generator": "Adam learning rate of the generator (the study: 1e-4, then 5e-5).",
    "lr_critic": "Adam learning rate of the critic (5e-5 in the study's later runs).",
    "lr_amplitude": "Learning rate of the small head that predicts each component's log10 PGA.",
    "betas": "Adam's two momentum coefficients (0.5, 0.9 as Gulrajani et al. 2017).",
    "n_critic": "Critic steps per generator step (5 in WGAN-GP, Gulrajani et al. 2017).",
    "gp_lambda": "Weight of the gradient penalty, keeps the critic 1-Lipschitz (10; 20 in Run 3).",
    "gp_every": "Penalty on every k-th critic step only, weighted by k (1: every step, the study).",
    "gp_fraction": "Share of each batch the penalty is computed on (1: whole batch, the study).",
    "latent_dim": "Size of the noise vector (the study: 100 to 1,000, best 800).",
    "conditions": "Physical inputs the model is conditioned on; none = the study's model.",
    "gen_widths": "Channels of the generator's upsampling blocks, from coarse to fine.",
    "gen_kernel": "Convolution kernel length in the generator (samples).",
    "gen_upsample": "How the generator doubles the rate: nearest (the study's) or sinc.",
    "gen_padding": "Generator convolutions' padding at the window ends: zeros (study), replicate.",
    "gen_bandpass_hz": "Last layer: zero-phase Butterworth band-pass low, high Hz (empty: none).",
    "gen_highpass_mw": "Mw, corner Hz: from this Mw the band-pass's high-pass corner is this one.",
    "critic_minibatch_std": "Critic's minibatch std feature over groups of k samples (0: none).",
    "critic_widths": "Channels of the critic's convolution layers.",
    "critic_stride": "Downsampling factor of each critic layer.",
    "critic_kernel": "Convolution kernel length in the critic (samples).",
    "critic_global_layers": "Layers of the critic's whole-window score (0: the study's).",
    "cutoff_hz": "Frequency that splits the critic's low- and high-frequency FFT branches.",
    "condition_width": "Size of the embedding of the conditions.",
    "samples_per_epoch": "Fixed-noise samples saved each epoch to watch the generator evolve.",
    "stats_batch": "Records used for the study's per-epoch statistics (min, max, mean, ...).",
    "val_max_records": "Validation records scored per epoch to choose best.pt.",
    "checkpoint_every": "Keep a checkpoint every k epochs (0: only last.pt and best.pt).",
    "precision": "auto: the faster of fp32 and bf16, measured at the start of the run.",
    "memory_format": "Activations' layout, contiguous or channels_last; auto: measured too.",
    "seed": "Random seed: the same seed and data give the same run.",
}


def format_value(value: object) -> str:
    """A hyperparameter as the text the form shows (tuples as comma-separated lists)."""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def parse_value(text: str, default: object, *, name: str = "value") -> object:
    """Parse what a user typed into the form back to the type of ``default``.

    Raises ``ValueError`` naming the field, what was expected and what was found.
    """
    text = str(text).strip()
    try:
        if isinstance(default, bool):
            if text.lower() in ("true", "1", "yes"):
                return True
            if text.lower() in ("false", "0", "no"):
                return False
            raise ValueError(text)
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, list | tuple):
            parts = [p.strip() for p in text.split(",") if p.strip()]
            kind = type(default[0]) if len(default) else str
            return tuple(kind(p) for p in parts)
    except ValueError:
        expected = type(default).__name__
        if isinstance(default, list | tuple) and len(default):
            expected = f"comma-separated {type(default[0]).__name__} values"
        raise ValueError(f"{name}: expected {expected}, found {text!r}") from None
    return text


def prepare_argv(
    sources: Sequence[Path],
    out_dir: Path,
    config: PrepareConfig | None = None,
    *,
    selection: dict[str, object] | None = None,
    progress_file: Path | None = None,
    **config_fields: object,
) -> list[str]:
    """The arguments of ``seisgan prepare`` for the Prepare page's form (after ``prepare``);
    ``progress_file`` is the JSON file the command keeps its progress and counts in.

    ``config`` (default :class:`PrepareConfig`'s defaults; any field may be given as a keyword)
    gives every preparation option; ``selection`` the bounds the form sets, by
    ``catalog.Selection`` field name (None or empty: the study's default). Raises ValueError
    for a config ``PrepareConfig`` refuses (fractions not summing to 1, ...).
    """
    from dataclasses import replace

    from seisgan_core.prepare_config import SELECTION_OPTIONS

    config = replace(config or PrepareConfig(), **config_fields)
    argv = ["prepare", *(str(s) for s in sources), "--out", str(out_dir)]
    selection = dict(selection or {})
    if selection.pop("in_italy", True) is False:
        argv.append("--anywhere")
    for flag, name, kind, _ in SELECTION_OPTIONS:
        value = selection.pop(name, None)
        if value is None or (kind is str and not value):
            continue
        argv += [flag, ",".join(value) if kind is str else f"{value:g}"]
    if selection:
        raise ValueError(f"selection: unknown bounds {', '.join(sorted(selection))}")
    if progress_file is not None:
        argv += ["--progress-file", str(progress_file)]
    return argv + config.argv()


def prepare_progress(progress: dict | None) -> tuple[float, str]:
    """Fraction done and what it is doing, from ``seisgan prepare --progress-file``'s JSON."""
    progress = progress or {}
    fraction = _number(progress.get("fraction")) or 0.0
    return min(max(fraction, 0.0), 1.0), str(progress.get("message") or "starting")


def prepare_outcome(name: str, progress: dict) -> str:
    """What a finished preparation made, in one sentence, from its progress file."""
    if progress.get("message") == "up to date":
        return f"{name} was already up to date (same sources and parameters)."
    return (
        f"Prepared {name}: {int(progress.get('n_records') or 0):,} records and "
        f"{int(progress.get('n_noise') or 0):,} noise windows. It is selected below."
    )


def resolve_data_path(config: dict, roots: Roots) -> Path | None:
    """The prepared set a run was trained on (``config["data"]["path"]``), found here.

    Relative paths are taken from the project folder; a set moved with its name kept is
    looked up under ``data/processed``. None when neither exists.
    """
    text = (config.get("data") or {}).get("path")
    if not text:
        return None
    path = Path(text)
    candidates = [path] if path.is_absolute() else [roots.project / path]
    candidates.append(roots.processed / path.name)
    return next((c for c in candidates if (c / "waveforms.npy").is_file()), None)


def sample_rows(n_total: int, n: int, *, seed: int = 0) -> list[int]:
    """``min(n, n_total)`` distinct rows drawn with a seed, in increasing order."""
    import numpy as np

    k = min(int(n), int(n_total))
    rng = np.random.default_rng(seed)
    return sorted(int(r) for r in rng.choice(int(n_total), size=k, replace=False))


def reference_study_tables() -> pd.DataFrame:
    """The reference study's published statistics of real against generated records
    (normalised records; its Table 5.2, min and max, and Table 5.3, mean, std, skewness at
    epoch 100), as given in docs/reference-study.md. NaN where the study gives no value."""
    import pandas as pd

    nan = float("nan")
    rows = [
        ("5.2", "Run 1", 60, "min", -4.5, -3.8),
        ("5.2", "Run 1", 60, "max", 4.6, 3.9),
        ("5.2", "Run 2", 180, "min", -4.3, -4.2),
        ("5.2", "Run 2", 180, "max", 4.3, 4.3),
        ("5.2", "Run 3", 100, "min", -4.4, -4.4),
        ("5.2", "Run 3", 100, "max", nan, nan),
        ("5.3", "Run 3", 100, "mean", 0.05, 0.04),
        ("5.3", "Run 3", 100, "std", 2.30, 2.28),
        ("5.3", "Run 3", 100, "skewness", 0.10, 0.09),
    ]
    return pd.DataFrame(rows, columns=["table", "run", "epoch", "statistic", "real", "generated"])


def restore_values(
    defaults: dict[str, object], query: dict[str, str], saved: dict[str, object] | None
) -> dict[str, object]:
    """Widget values for a page: the URL's (a deep link) where it has one that parses, else
    what the session kept when the page was left, else the default.

    ``defaults`` fixes each value's type (see :func:`parse_value`); a value in the URL that
    does not parse is ignored.
    """
    saved = saved or {}
    values: dict[str, object] = {}
    for key, default in defaults.items():
        value = saved.get(key, default)
        if key in query:
            try:
                value = parse_value(query[key], default, name=key)
            except ValueError:
                pass
        values[key] = value
    return values


def query_values(values: dict[str, object]) -> dict[str, str]:
    """The values as URL query parameters (the inverse of :func:`restore_values`)."""
    return {key: format_value(value) for key, value in values.items()}


def describe_counts(counts: dict[str, int]) -> str:
    """One sentence for ``Catalog.counts()``, the same words on every page and in ``ingest``:
    earthquakes and noise windows apart, stations counted over earthquake records."""
    text = (
        f"{counts['records']:,} earthquake records of {counts['events']:,} events at "
        f"{counts['stations']:,} stations"
    )
    if counts.get("noise"):
        text += f", and {counts['noise']:,} noise windows"
    return text


EXPORT_LABELS = {"asdf": "ASDF", "mseed": "miniSEED", "sac": "SAC", "csv": "CSV"}


def export_file_name(run: str, checkpoint: str, epoch: int | None, fmt: str, n: int) -> str:
    """'demo_best-e0040_sac_16-records.zip': run, checkpoint (and its epoch), format, count."""
    which = checkpoint if epoch is None else f"{checkpoint}-e{int(epoch):04d}"
    if checkpoint != "best":
        which = f"e{int(checkpoint):04d}" if str(checkpoint).isdigit() else str(checkpoint)
    suffix = ".h5" if fmt == "asdf" else ".zip"
    return f"{sanitize_run_name(run)}_{which}_{fmt}_{int(n)}-records{suffix}"


def export_button_label(fmt: str, n: int, units: str = "cm/s²") -> str:
    """'SAC · 16 records · cm/s²': format, count and units on the download button."""
    units = units.replace("cm/s^2", "cm/s²").replace("cm/s2", "cm/s²")
    return f"{EXPORT_LABELS.get(fmt, fmt)} · {int(n):,} records · {units}"
