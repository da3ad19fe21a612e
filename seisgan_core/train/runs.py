"""Reading the run store (docs/contracts.md, section 3) and generating from a trained run.

``load_run(path)`` gives a ``Run``: its config, live status, metrics table, per-epoch samples,
and ``generate`` (normalised or in cm/s^2). ``list_runs(root)`` lists every run folder.

Amplitudes in cm/s^2: the generator makes z-scored waveforms; the amplitude head predicts each
component's log10 PGA as a Gaussian (mean and scatter, like a ground-motion model's median and
aleatory sigma). Each normalised component is scaled so that its absolute peak equals
``10**log10_pga``, with ``log10_pga`` drawn from that Gaussian (``pga="sample"``, the default, so
a set of samples scatters as real records do) or its mean (``pga="median"``).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from seisgan_core.errors import ConfigError
from seisgan_core.fsutil import atomic_write, remove_stale_temporaries, temp_prefix
from seisgan_core.preparation import open_npy
from seisgan_core.train.checkpoint import load_checkpoint
from seisgan_core.train.config import Hyperparameters
from seisgan_core.train.data import physical_scenarios, scenario_matrix
from seisgan_core.train.store import (
    read_json,
    read_jsonl_lenient,
    trainer_alive,
    write_json_atomic,
)

__all__ = ["GeneratedSamples", "Run", "list_runs", "load_run", "save_generated"]


#: The fields of :class:`GeneratedSamples` its metadata (provenance) starts with, in order.
_PROVENANCE = ("run", "epoch", "checkpoint", "seed", "units", "sampling_rate_hz")


@dataclass
class GeneratedSamples:
    waveforms: np.ndarray  # (n, 3, L) float32, cm/s^2 or normalised
    units: str  # "cm/s2" or "normalised"
    log10_pga: np.ndarray  # (n, 3): the peaks the cm/s^2 waveforms were scaled to
    conditions: list[dict[str, float]]  # one scenario per sample ({} when unconditional)
    epoch: int
    seed: int
    run: str
    sampling_rate_hz: float = 200.0
    checkpoint: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        return {
            **{name: getattr(self, name) for name in _PROVENANCE},
            "components": ["E", "N", "Z"],
            "conditions": self.conditions,
            "log10_pga_cm_s2": np.round(self.log10_pga, 5).tolist(),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            **self.extra,
        }


class Run:
    """One run folder. Status, metrics and samples are re-read on every access (a live run
    keeps writing them)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        config_path = self.path / "config.json"
        if not config_path.is_file():
            raise FileNotFoundError(f"{self.path} is not a run folder: no config.json")
        self._config_problem: str | None = None
        try:
            config = read_json(config_path)
        except (OSError, ValueError) as exc:  # JSONDecodeError, bad UTF-8
            config, self._config_problem = {}, f"{config_path}: not readable JSON ({exc})"
        if not isinstance(config, dict):
            found = type(config).__name__
            config, self._config_problem = {}, f"{config_path}: a JSON {found}, not an object"
        self.config: dict[str, Any] = config
        self._models: dict[Path, tuple[Any, ...]] = {}

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def conditions(self) -> tuple[str, ...]:
        return tuple(self.config.get("conditions", ()))

    @property
    def status(self) -> dict[str, Any]:
        try:
            return read_json(self.path / "status.json")
        except (OSError, ValueError):
            return {
                "state": "unknown",
                "pid": None,
                "heartbeat": None,
                "epoch": 0,
                "epochs": self.config.get("hyperparameters", {}).get("epochs"),
                "message": "no status.json",
            }

    @property
    def alive(self) -> bool:
        """True while the process that wrote status.json trains this run (same pid and start
        time, fresh heartbeat; see `store.trainer_alive`)."""
        return trainer_alive(self.status)

    @property
    def damaged(self) -> str | None:
        """Why this run's files cannot be trusted (``config.json`` not JSON, a broken line in
        ``metrics.jsonl``), or None. Pages show such a run as damaged, with this reason."""
        if self._config_problem is not None:
            return self._config_problem
        return read_jsonl_lenient(self.path / "metrics.jsonl")[1]

    @property
    def metrics(self) -> pd.DataFrame:
        """One row per complete metrics line; broken lines are left out (see `damaged`)."""
        records, _ = read_jsonl_lenient(self.path / "metrics.jsonl")
        if not records:
            return pd.DataFrame(columns=["epoch", "step", "loss_critic", "loss_generator"])
        return pd.DataFrame.from_records(records)

    @property
    def sample_epochs(self) -> list[int]:
        files = (self.path / "samples").glob("epoch_*.npy")
        return sorted(int(p.stem.split("_")[1]) for p in files)

    def samples(self, epoch: int) -> np.ndarray:
        """The fixed-noise samples of one epoch, (K, 3, L) float32, normalised."""
        # through a read-only memory map: no object arrays, no allocation from the header
        samples = open_npy(self.path / "samples" / f"epoch_{int(epoch):04d}.npy")
        return np.array(samples, dtype=np.float32)

    @property
    def sample_conditions(self) -> list[dict[str, Any]]:
        path = self.path / "samples" / "conditions.json"
        return read_json(path) if path.is_file() else []

    def checkpoint_path(self, epoch: int | None = None) -> Path:
        """``best.pt`` (else ``last.pt``) for None, else the checkpoint holding that epoch."""
        ckpt = self.path / "checkpoints"
        if epoch is None:
            for name in ("best.pt", "last.pt"):
                if (ckpt / name).is_file():
                    return ckpt / name
            raise FileNotFoundError(f"{ckpt} holds no checkpoint yet")
        candidate = ckpt / f"epoch_{int(epoch):04d}.pt"
        if candidate.is_file():
            return candidate
        for name in ("last.pt", "best.pt"):
            if (ckpt / name).is_file() and self._epoch_of(ckpt / name) == int(epoch):
                return ckpt / name
        available = sorted(p.name for p in ckpt.glob("*.pt"))
        raise FileNotFoundError(f"no checkpoint of epoch {epoch} in {ckpt} (there are {available})")

    def _epoch_of(self, path: Path) -> int:
        return int(self._load(path)[3])

    def _load(self, path: Path) -> tuple[Any, ...]:
        if path not in self._models:
            from seisgan_core.train.trainer import build_models

            state = load_checkpoint(path)
            hp = Hyperparameters.from_saved(state["hyperparameters"])
            generator, _, head = build_models(
                hp, int(state["length"]), float(state.get("sampling_rate_hz", 200.0))
            )
            generator.load_state_dict(state["generator"])
            head.load_state_dict(state["amplitude_head"])
            generator.eval()
            head.eval()
            self._models[path] = (generator, head, hp, int(state["epoch"]), state)
        return self._models[path]

    def generate(self, *args: Any, **kwargs: Any) -> np.ndarray:
        """(n, 3, L) float32 waveforms: the ``waveforms`` of :meth:`generate_samples`, which
        takes the same arguments (passed through unchanged)."""
        return self.generate_samples(*args, **kwargs).waveforms

    @torch.no_grad()
    def generate_samples(
        self,
        n: int,
        conditions: Any = None,
        epoch: int | None = None,
        seed: int = 0,
        units: str = "cm/s2",
        *,
        pga: str = "sample",
    ) -> GeneratedSamples:
        """Generate n three-component waveforms.

        ``conditions``: for a conditioned run, one scenario dict for all samples
        (``{"mw": 5.5, "distance_km": 20, "depth_km": 10, "vs30_m_s": 400}``, keys as the run
        needs), a list of n such dicts, or a DataFrame with the record table's columns; None
        cycles through the run's fixed sample scenarios (``samples/conditions.json``). An
        unconditional run takes none. ``units``: "cm/s2" or "normalised". ``pga``: "sample" or
        "median" (see the module docstring).
        """
        if units not in ("cm/s2", "normalised"):
            raise ConfigError(f"units must be 'cm/s2' or 'normalised', not {units!r}")
        if pga not in ("sample", "median"):
            raise ConfigError(f"pga must be 'sample' or 'median', not {pga!r}")
        if n < 1:
            raise ConfigError(f"n must be at least 1, not {n}")
        path = self.checkpoint_path(epoch)
        generator, head, hp, ckpt_epoch, _ = self._load(path)
        names = hp.conditions
        if names and conditions is None:
            fixed = self.sample_conditions
            if not fixed:
                raise ConfigError(f"this run is conditioned on {list(names)}: give conditions")
            conditions = [fixed[i % len(fixed)] for i in range(n)]
        if not names and conditions:
            raise ConfigError("this run is unconditional: it takes no conditions")
        matrix = scenario_matrix(conditions, names, n)
        g = torch.Generator().manual_seed(seed)
        z = torch.randn(n, hp.latent_dim, generator=g)
        eps = torch.randn(n, 3, generator=g)
        cond = torch.from_numpy(matrix).float() if names else None
        waves = torch.cat(
            [
                generator(z[i : i + 64], None if cond is None else cond[i : i + 64])
                for i in range(0, n, 64)
            ]
        )
        mu, sigma = head(cond, n)
        log10_pga = mu + sigma * eps if pga == "sample" else mu
        if units == "cm/s2":
            peak = waves.abs().amax(dim=-1, keepdim=True).clamp_min(1e-12)
            waves = waves / peak * (10.0**log10_pga).unsqueeze(-1)
        return GeneratedSamples(
            waveforms=waves.numpy().astype(np.float32),
            units=units,
            log10_pga=log10_pga.numpy().astype(np.float64),
            conditions=physical_scenarios(matrix, names) if names else [{} for _ in range(n)],
            epoch=ckpt_epoch,
            seed=seed,
            run=str(self.path),
            checkpoint=path.name,
            # scenarios outside the training range of a condition: the amplitude head holds
            # their PGA at the range's edge instead of extrapolating (AmplitudeHead)
            extra={
                "pga": pga,
                "outside_training_range": (
                    head.outside_range(cond).tolist() if cond is not None else [False] * n
                ),
            },
        )


def load_run(path: str | Path) -> Run:
    return Run(path)


def list_runs(root: str | Path = "models") -> list[Run]:
    """Every run folder (one with a config.json) directly under ``root``, by name."""
    root = Path(root)
    if not root.is_dir():
        return []
    return [Run(p) for p in sorted(root.iterdir()) if (p / "config.json").is_file()]


def save_generated(path: str | Path, samples: GeneratedSamples) -> list[Path]:
    """Write generated samples atomically: ``.npy`` (+ ``.json`` sidecar) or ASDF (``.h5``,
    ``.asdf``; the provenance in the file's auxiliary data and on each trace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = samples.metadata()
    suffix = path.suffix.lower()
    if suffix == ".npy":
        with atomic_write(path, "wb") as fh:
            np.save(fh, samples.waveforms)
        sidecar = path.with_suffix(".json")
        write_json_atomic(sidecar, meta)
        return [path, sidecar]
    if suffix in (".h5", ".asdf", ".hdf5"):
        _write_asdf(path, samples, meta)
        return [path]
    raise ConfigError(f"{path}: write .npy, .h5 or .asdf, not {suffix or 'no suffix'}")


def _write_asdf(path: Path, samples: GeneratedSamples, meta: dict[str, Any]) -> None:
    import json

    from seisgan_core.evaluation.export import record_starts, traces_of, write_generated_asdf

    # a temporary beside the file, renamed over it when complete: a failure (a full disk)
    # leaves the old file as it was; a killed writer's temporary is removed by the next one
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
    os.close(fd)
    Path(tmp).unlink()
    starts = record_starts(len(samples.waveforms), meta.get("created"))
    try:
        write_generated_asdf(
            tmp,
            traces_of(samples.waveforms, 1.0 / samples.sampling_rate_hz, starts),
            samples.conditions,
            starts,
            tag="generated_acceleration" if samples.units == "cm/s2" else "generated_normalised",
            log10_pga=samples.log10_pga,
            parameters={
                "run": samples.run,
                "epoch": int(samples.epoch),
                "checkpoint": samples.checkpoint,
                "seed": int(samples.seed),
                "units": samples.units,
                "metadata_json": json.dumps(meta),
            },
        )
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
