"""``evaluate_run``: a run's checkpoint judged against its prepared set, one rule for all.

The CLI (``seisgan evaluate --run``) and the Compare page both call :func:`evaluate_run`, so
they judge the same checkpoint (``best.pt`` by default) on the same records:

- held out: every record of the ``val`` and ``test`` splits (the generator never trained on
  them); with ``max_scenarios``, that many of them, evenly spaced in row order;
- generated: ``samples_per_scenario`` records for each held-out record's scenario (its Mw,
  distance, depth, Vs30, as the run is conditioned), in that order, so candidate ``i`` belongs
  to held-out record ``i // samples_per_scenario``; an unconditional run gets as many records;
- baseline: ``max_train`` records of the ``train`` split, evenly spaced in row order.

The result carries the :class:`~seisgan_core.evaluation.scorecard.Scorecard`, optionally the
panel (``seisgan_core.evaluation.panel.evaluate``: figures and the older measures), and the
SHA-256 of the checkpoint file used (what caches key on).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seisgan_core.errors import ConfigError, DataError
from seisgan_core.fsutil import file_sha256  # re-exported: the caches key on it

__all__ = ["CHECKPOINTS", "Evaluation", "evaluate_run", "file_sha256", "resolve_checkpoint"]

#: Prepared sets are 200 Hz (docs/contracts.md, section 2).
DT_S = 0.005

#: Named checkpoints; an int (or its string) names an epoch.
CHECKPOINTS = ("best", "last")


def resolve_checkpoint(run_path: str | Path, checkpoint: str | int = "best") -> Path:
    """The checkpoint file: ``best`` (``best.pt``, else ``last.pt``), ``last``, or an epoch's
    ``epoch_NNNN.pt``. Standard library only (a cached CLI call answers before NumPy)."""
    folder = Path(run_path) / "checkpoints"
    if str(checkpoint) in CHECKPOINTS:
        names = ("best.pt", "last.pt") if str(checkpoint) == "best" else ("last.pt",)
        for name in names:
            if (folder / name).is_file():
                return folder / name
        raise FileNotFoundError(f"{folder}: no {' or '.join(names)}")
    try:
        epoch = int(checkpoint)
    except (TypeError, ValueError):
        raise ConfigError(
            f"checkpoint: expected 'best', 'last' or an epoch number, found {checkpoint!r}"
        ) from None
    path = folder / f"epoch_{epoch:04d}.pt"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no checkpoint of epoch {epoch}")
    return path


@dataclass
class Evaluation:
    """What :func:`evaluate_run` returns."""

    scorecard: Any  # seisgan_core.evaluation.scorecard.Scorecard
    generated: Any  # (n, 3, L) float32 cm/s^2
    heldout: Any  # (n_heldout, 3, L) float32 cm/s^2
    heldout_table: Any  # pandas.DataFrame, one row per held-out record
    checkpoint: Path
    checkpoint_sha256: str
    panel: dict | None = None
    provenance: dict = field(default_factory=dict)
    train: Any = None  # (n_train, 3, L) float32 cm/s^2, the baseline records


def _even(rows, n: int | None):
    import numpy as np

    rows = np.asarray(rows)
    if n is None or n >= len(rows):
        return rows
    return rows[np.unique(np.linspace(0, len(rows) - 1, int(n)).round().astype(int))]


def _split_tables(data: str | Path, run, max_scenarios: int | None, max_train: int):
    from seisgan_core.preparation import load_prepared
    from seisgan_core.scenarios import scenario_table
    from seisgan_core.train.data import CONDITION_COLUMNS

    prepared = load_prepared(data)
    records = prepared.records.sort_values("row").reset_index(drop=True)
    records = scenario_table(records, [CONDITION_COLUMNS[c] for c in run.conditions] + ["vs30_m_s"])
    split = records["split"].astype(str)
    held = records.loc[_even(records.index[split.isin(["val", "test"])], max_scenarios)]
    train = records.loc[_even(records.index[split == "train"], max_train)]
    if len(held) < 4 or len(train) < 4:
        raise DataError(
            f"{data}: expected at least 4 val/test and 4 train records with scenarios, found "
            f"{len(held)} and {len(train)}"
        )
    return prepared, held.reset_index(drop=True), train.reset_index(drop=True)


def evaluate_run(
    run,
    data: str | Path,
    checkpoint: str | int = "best",
    *,
    samples_per_scenario: int = 2,
    max_scenarios: int | None = None,
    max_train: int = 512,
    seed: int = 0,
    with_panel: bool = False,
    progress=None,
) -> Evaluation:
    """Generate for the held-out scenarios of ``data`` with ``run``'s ``checkpoint`` and judge
    the records (module docstring). ``run``: a :class:`~seisgan_core.train.runs.Run` or its
    folder. ``with_panel``: also compute the panel (distributions, GMM plots, classifiers)."""
    import numpy as np

    from seisgan_core.evaluation.scorecard import build_scorecard
    from seisgan_core.train.runs import Run

    run = run if isinstance(run, Run) else Run(run)
    report = progress or (lambda fraction, message: None)
    path = resolve_checkpoint(run.path, checkpoint)
    epoch = run._epoch_of(path)
    prepared, held, train = _split_tables(data, run, max_scenarios, max_train)
    k = max(1, int(samples_per_scenario))
    scenario = np.repeat(np.arange(len(held)), k)
    cond_table = held.iloc[scenario].reset_index(drop=True)
    report(0.05, f"generating {len(scenario)} records with {path.name}")
    samples = run.generate_samples(
        len(scenario),
        conditions=cond_table if run.conditions else None,
        epoch=epoch,
        seed=seed,
        units="cm/s2",
    )
    generated = samples.waveforms
    heldout = prepared.to_cm_s2(held["row"].to_numpy()).astype(np.float32)
    train_x = prepared.to_cm_s2(train["row"].to_numpy()).astype(np.float32)
    report(0.15, "scorecard")
    card = build_scorecard(
        generated,
        heldout,
        train_x,
        DT_S,
        # an unconditional run generated no scenario: no pairs by scenario, no BSSA14 lines
        candidate_table=cond_table if run.conditions else None,
        heldout_table=held,
        train_table=train,
        pairs=scenario,
        groups=scenario,
    )
    panel = None
    if with_panel:
        gen_table = None
        if run.conditions and "mw" in run.conditions:
            gen_table = cond_table[["mw", "epicentral_distance_km", "vs30_m_s"]].copy()
            gen_table["event_id"] = scenario.astype(str)
        panel = _panel(
            generated,
            gen_table,
            (train_x, train),
            (heldout, held),
            prepared,
            seed,
            lambda f, m: report(0.6 + 0.4 * f, m),
        )
    provenance = _provenance(run, path, epoch, seed, k, len(held), len(train))
    report(1.0, "done")
    return Evaluation(
        card, generated, heldout, held, path, file_sha256(path), panel, provenance, train_x
    )


def _provenance(run, path: Path, epoch: int, seed: int, k: int, n_held: int, n_train: int):
    return {
        "run": str(run.path),
        "checkpoint": path.name,
        "epoch": epoch,
        "seed": seed,
        "samples_per_scenario": k,
        "n_heldout": n_held,
        "n_train": n_train,
        "heldout_rule": "val and test splits",
        "conditions": list(run.conditions),
    }


def _panel(generated, gen_table, train, held, prepared, seed: int, progress) -> dict:
    """The panel (seisgan_core.evaluation.panel) with the training records as its 'train'
    split and the held-out records as its 'test' split, in that order."""
    import numpy as np

    from seisgan_core.evaluation.panel import evaluate

    (train_x, train_table), (held_x, held_table) = train, held
    real = np.concatenate([train_x, held_x])
    labels = np.array(["train"] * len(train_x) + ["test"] * len(held_x))
    return evaluate(
        generated,
        real,
        dt=DT_S,
        real_split=labels,
        real_conditions=_real_conditions(train_table, held_table),
        generated_conditions=gen_table,
        noise=prepared.noise_cm_s2_rows(),
        seed=seed,
        progress=progress,
    )


def _real_conditions(train, held):
    import pandas as pd

    cols = [c for c in ("event_id", "mw", "epicentral_distance_km", "vs30_m_s") if c in held]
    return pd.concat([train[cols], held[cols]], ignore_index=True)
