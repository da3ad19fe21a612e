"""Bayesian hyperparameter search, the study's future work: optuna's TPE with pruning.

Each trial trains a short run (``OUT/trials/trial_NNNN``) and reports the validation
log-spectral distance (the measure that picks ``best.pt``) after every epoch; the median pruner
stops trials that are worse than the median of earlier trials at the same epoch (Akiba et al.
2019, "Optuna", KDD; Bergstra et al. 2011 for TPE). The study is stored in
``OUT/study.sqlite3``: a search that is killed resumes where it stopped, counting the trials
already finished (a trial that was running when its process died is marked failed and
replaced). The best trial is written as ``OUT/best_preset.json``, which
``seisgan train --preset OUT/best_preset.json`` accepts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seisgan_core.errors import SeisganError
from seisgan_core.progress import Progress

if TYPE_CHECKING:
    import optuna

    from seisgan_core.train.config import Hyperparameters

__all__ = ["SEARCH_SPACE", "NoTrialCompletedError", "tune"]

# what is searched (the study tuned these by hand: sec. 5 of the reference study)
SEARCH_SPACE = {
    "lr_generator": (1e-5, 5e-4),  # log-uniform
    "lr_critic": (1e-5, 5e-4),  # log-uniform
    "n_critic": (1, 6),
    "gp_lambda": (2.0, 30.0),  # log-uniform
    "latent_dim": (100, 200, 400, 800),
    "batch_size": (16, 32, 64),
}
STUDY_NAME = "seisgan-tune"


class NoTrialCompletedError(SeisganError, RuntimeError):
    """Every trial of a study was pruned or failed: there is no best configuration."""


def _finished(study: optuna.Study) -> int:
    """How many trials of ``study`` ran to their end (completed or pruned)."""
    import optuna

    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return len(study.get_trials(deepcopy=False, states=states))


def _open_study(out: Path, seed: int) -> optuna.Study:
    """The study stored in ``OUT/study.sqlite3``, created or loaded; a trial left RUNNING by
    a killed search (its recorded process is gone) is marked failed, so it is replaced."""
    import optuna

    from seisgan_core.train.store import pid_alive

    storage = optuna.storages.RDBStorage(f"sqlite:///{(out / 'study.sqlite3').resolve()}")
    study = optuna.create_study(
        study_name=STUDY_NAME,
        storage=storage,
        load_if_exists=True,
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
    )
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        if not pid_alive(t.user_attrs.get("pid")):
            storage.set_trial_state_values(t._trial_id, state=optuna.trial.TrialState.FAIL)
    return study


def _suggest(trial: optuna.Trial, batch_choices: list[int]) -> dict[str, Any]:
    """One trial's hyperparameters drawn from :data:`SEARCH_SPACE`; the batch size only
    among ``batch_choices`` (those the training set can fill)."""
    space = SEARCH_SPACE
    return {
        "lr_generator": trial.suggest_float("lr_generator", *space["lr_generator"], log=True),
        "lr_critic": trial.suggest_float("lr_critic", *space["lr_critic"], log=True),
        "n_critic": trial.suggest_int("n_critic", *space["n_critic"]),
        "gp_lambda": trial.suggest_float("gp_lambda", *space["gp_lambda"], log=True),
        "latent_dim": trial.suggest_categorical("latent_dim", list(space["latent_dim"])),
        "batch_size": trial.suggest_categorical("batch_size", batch_choices),
    }


@dataclass
class _Objective:
    """What optuna minimises: train one short run and return its best validation score.
    A trial the pruner stops, or whose training diverges, is reported as pruned."""

    study: optuna.Study
    data: str | Path
    out: Path
    base_name: str
    base_hp: Hyperparameters
    batch_choices: list[int]
    trials: int
    epochs_per_trial: int
    device: str
    seed: int
    progress: Progress | None

    def __call__(self, trial: optuna.Trial) -> float:
        import optuna

        from seisgan_core.train.trainer import StopTraining, Trainer, TrainingDivergedError

        trial.set_user_attr("pid", os.getpid())
        hp = self.base_hp.replace(
            **_suggest(trial, self.batch_choices),
            epochs=self.epochs_per_trial,
            seed=self.seed,
            checkpoint_every=0,
            extra={"tune_trial": trial.number},
        )
        scores: list[float] = []

        def report(epoch: int, metrics: dict[str, Any]) -> None:
            scores.append(float(metrics["val_score"]))
            trial.report(scores[-1], epoch)
            if trial.should_prune():
                raise StopTraining(f"pruned by optuna after epoch {epoch}")

        trainer = Trainer(
            data=self.data,
            out=self.out / "trials" / f"trial_{trial.number:04d}",
            hyperparameters=hp,
            preset=f"tune:{self.base_name}",
            device=self.device,
            overwrite=True,
            progress=self._trial_progress(trial.number),
            epoch_callback=report,
        )
        try:
            state = trainer.fit()
        except TrainingDivergedError as exc:
            raise optuna.TrialPruned(str(exc)) from exc
        if state == "stopped":
            raise optuna.TrialPruned(f"pruned after {len(scores)} epochs")
        return min(scores)

    def _trial_progress(self, number: int) -> Progress:
        """A trial's progress as a fraction of the whole search (finished trials counted)."""

        def trial_progress(fraction: float, message: str) -> None:
            if self.progress is not None:
                done = (_finished(self.study) + fraction) / self.trials
                self.progress(min(done, 1.0), f"trial {number}: {message}")

        return trial_progress


def _write_best(
    study: optuna.Study, out: Path, base_name: str, base_hp: Hyperparameters
) -> dict[str, Any]:
    """Write the best completed trial as ``OUT/best_preset.json`` (complete hyperparameters
    that ``seisgan train --preset`` accepts) and return it with its path."""
    import optuna

    from seisgan_core.train.store import write_json_atomic

    completed = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not completed:
        raise NoTrialCompletedError(f"no trial of {out} completed (all pruned or failed)")
    best = study.best_trial
    hp = base_hp.replace(**best.params, extra={"tuned_by": str(out), "trial": best.number})
    preset = {
        "name": f"{out.name}-best",
        "based_on": base_name,  # informational: the hyperparameters below are complete
        "hyperparameters": hp.to_dict(),
        "tuned": best.params,
        "val_score": best.value,
        "trial": best.number,
        "trials_finished": _finished(study),
    }
    write_json_atomic(out / "best_preset.json", preset)
    return {**preset, "preset": str(out / "best_preset.json")}


def tune(
    *,
    data: str | Path,
    out: str | Path,
    trials: int,
    epochs_per_trial: int,
    base: str = "demo",
    device: str = "auto",
    seed: int = 0,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run (or resume) the search until ``trials`` trials have finished; returns the best."""
    import optuna

    from seisgan_core.train.config import load_preset
    from seisgan_core.train.data import load_training_set

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    base_name, base_hp = load_preset(base)
    n_train = len(load_training_set(data, base_hp.conditions).train.rows)
    batch_choices = [b for b in SEARCH_SPACE["batch_size"] if b <= n_train] or [n_train]
    study = _open_study(out, seed)
    objective = _Objective(
        study=study,
        data=data,
        out=out,
        base_name=base_name,
        base_hp=base_hp,
        batch_choices=batch_choices,
        trials=trials,
        epochs_per_trial=epochs_per_trial,
        device=device,
        seed=seed,
        progress=progress,
    )
    remaining = max(trials - _finished(study), 0)
    if remaining:
        study.optimize(objective, n_trials=remaining, gc_after_trial=True)
    return _write_best(study, out, base_name, base_hp)
