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
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["SEARCH_SPACE", "tune"]

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


def tune(
    *,
    data: str | Path,
    out: str | Path,
    trials: int,
    epochs_per_trial: int,
    base: str = "demo",
    device: str = "auto",
    seed: int = 0,
    progress: Callable[[float, str], None] | None = None,
) -> dict[str, Any]:
    """Run (or resume) the search until ``trials`` trials have finished; returns the best."""
    import optuna

    from seisgan_core.train.config import load_preset
    from seisgan_core.train.data import load_training_set
    from seisgan_core.train.store import pid_alive, write_json_atomic
    from seisgan_core.train.trainer import StopTraining, Trainer, TrainingDivergedError

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    base_name, base_hp = load_preset(base)
    n_train = len(load_training_set(data, base_hp.conditions).train.rows)
    batch_choices = [b for b in SEARCH_SPACE["batch_size"] if b <= n_train] or [n_train]

    storage = optuna.storages.RDBStorage(f"sqlite:///{(out / 'study.sqlite3').resolve()}")
    study = optuna.create_study(
        study_name=STUDY_NAME,
        storage=storage,
        load_if_exists=True,
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
    )
    # a trial left RUNNING by a killed search: its process is gone, so it failed
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        if not pid_alive(t.user_attrs.get("pid")):
            storage.set_trial_state_values(t._trial_id, state=optuna.trial.TrialState.FAIL)

    def finished() -> int:
        states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
        return len(study.get_trials(deepcopy=False, states=states))

    def objective(trial: optuna.Trial) -> float:
        trial.set_user_attr("pid", os.getpid())
        space = SEARCH_SPACE
        params = {
            "lr_generator": trial.suggest_float("lr_generator", *space["lr_generator"], log=True),
            "lr_critic": trial.suggest_float("lr_critic", *space["lr_critic"], log=True),
            "n_critic": trial.suggest_int("n_critic", *SEARCH_SPACE["n_critic"]),
            "gp_lambda": trial.suggest_float("gp_lambda", *SEARCH_SPACE["gp_lambda"], log=True),
            "latent_dim": trial.suggest_categorical("latent_dim", list(SEARCH_SPACE["latent_dim"])),
            "batch_size": trial.suggest_categorical("batch_size", batch_choices),
        }
        hp = base_hp.replace(
            **params,
            epochs=epochs_per_trial,
            seed=seed,
            checkpoint_every=0,
            extra={"tune_trial": trial.number},
        )
        scores: list[float] = []

        def report(epoch: int, metrics: dict[str, Any]) -> None:
            scores.append(float(metrics["val_score"]))
            trial.report(scores[-1], epoch)
            if trial.should_prune():
                raise StopTraining(f"pruned by optuna after epoch {epoch}")

        def trial_progress(fraction: float, message: str) -> None:
            if progress is not None:
                done = (finished() + fraction) / trials
                progress(min(done, 1.0), f"trial {trial.number}: {message}")

        trainer = Trainer(
            data=data,
            out=out / "trials" / f"trial_{trial.number:04d}",
            hyperparameters=hp,
            preset=f"tune:{base_name}",
            device=device,
            overwrite=True,
            progress=trial_progress,
            epoch_callback=report,
        )
        try:
            state = trainer.fit()
        except TrainingDivergedError as exc:
            raise optuna.TrialPruned(str(exc)) from exc
        if state == "stopped":
            raise optuna.TrialPruned(f"pruned after {len(scores)} epochs")
        return min(scores)

    remaining = max(trials - finished(), 0)
    if remaining:
        study.optimize(objective, n_trials=remaining, gc_after_trial=True)
    completed = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not completed:
        raise RuntimeError(f"no trial of {out} completed (all pruned or failed)")
    best = study.best_trial
    hp = base_hp.replace(**best.params, extra={"tuned_by": str(out), "trial": best.number})
    preset = {
        "name": f"{out.name}-best",
        "based_on": base_name,  # informational: the hyperparameters below are complete
        "hyperparameters": hp.to_dict(),
        "tuned": best.params,
        "val_score": best.value,
        "trial": best.number,
        "trials_finished": finished(),
    }
    write_json_atomic(out / "best_preset.json", preset)
    return {**preset, "preset": str(out / "best_preset.json")}
