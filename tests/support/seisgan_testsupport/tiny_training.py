"""Hyperparameters of a model small enough to train in seconds, for the training tests."""

from __future__ import annotations

import json
from pathlib import Path

from seisgan_core.train.config import Hyperparameters

# a model small enough to train in seconds on 512-sample records (2.56 s at 200 Hz)
TINY = {
    "epochs": 2,
    "batch_size": 8,
    "latent_dim": 16,
    "n_critic": 2,
    "gen_widths": (8, 8, 8, 8),
    "gen_kernel": 9,
    "critic_widths": (8, 16),
    "critic_stride": 4,
    "condition_width": 4,
    "lr_generator": 1e-3,
    "lr_critic": 1e-3,
    "samples_per_epoch": 3,
    "stats_batch": 8,
    "val_max_records": 16,
    "checkpoint_every": 1,
    "precision": "fp32",
    # the whole batch: the step tests compare with the naive penalty (test_autotune.py checks
    # the trainer's default share, half the batch, against the naive penalty on those rows)
    "gp_fraction": 1.0,
    # fixed, so runs compare bit for bit; tests/train/test_autotune.py measures both layouts
    "memory_format": "contiguous",
}


def tiny_hp(**changes) -> Hyperparameters:
    return Hyperparameters(**{**TINY, **changes})


def write_preset(path: Path, **changes) -> Path:
    values = {**TINY, **changes}
    path.write_text(json.dumps({"hyperparameters": values}))
    return path
