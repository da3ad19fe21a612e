"""WGAN-GP losses (pure functions), the trainer, checkpoints and the run store.

Imported lazily, so that ``import seisgan_core.train.runs`` (the app) does not pay for optuna.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Hyperparameters": "seisgan_core.train.config",
    "load_preset": "seisgan_core.train.config",
    "Trainer": "seisgan_core.train.trainer",
    "StopTraining": "seisgan_core.train.trainer",
    "Run": "seisgan_core.train.runs",
    "load_run": "seisgan_core.train.runs",
    "list_runs": "seisgan_core.train.runs",
    "save_generated": "seisgan_core.train.runs",
    "CheckpointError": "seisgan_core.train.checkpoint",
    "load_checkpoint": "seisgan_core.train.checkpoint",
    "critic_loss": "seisgan_core.train.losses",
    "generator_loss": "seisgan_core.train.losses",
    "gradient_penalty": "seisgan_core.train.losses",
    "tune": "seisgan_core.train.tune",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'seisgan_core.train' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
