"""WGAN-GP losses (pure functions), the trainer, checkpoints and the run store.

Names are attached with ``lazy_loader``, so that ``import seisgan_core.train.runs`` (the app)
does not pay for optuna.
"""

from __future__ import annotations

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "checkpoint": ["CheckpointError", "load_checkpoint"],
        "config": ["Hyperparameters", "load_preset"],
        "losses": ["critic_loss", "generator_loss", "gradient_penalty"],
        "runs": ["Run", "list_runs", "load_run", "save_generated"],
        "trainer": ["StopTraining", "Trainer"],
        "tune": ["tune"],
    },
)
