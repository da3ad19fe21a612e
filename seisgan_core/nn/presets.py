"""Named hyperparameter sets: the reference study's three runs, ours, and a small demo.

A preset is a plain dict of the trainer's keyword-only hyperparameters
(``seisgan_core.train.config.Hyperparameters``); keys left out take the dataclass defaults.
A run saves its preset whole in ``config.json``. ``seisgan tune`` writes its best trial as a
JSON file of the same shape, which ``seisgan train --preset path/to/preset.json`` accepts.

The study's runs ("Synthetic Seismic Signals by GANs", 2024, sec. 5): latent size 800 (its best),
Adam betas (0.5, 0.9), gradient-penalty weight lambda 10 (20 in Run 3), n_critic 5 (Gulrajani et
al. 2017, Algorithm 1; the study does not report another value). Run 1 used lr 1e-4 with the
critic's lowered to 5e-5 (design.md: "lr 1e-4 (G) / 5e-5 (critic)"); Runs 2 and 3 used 5e-5 for
both. Conditions: none (the study's model is unconditional).
"""

from __future__ import annotations

import copy
from typing import Any

from seisgan_core.errors import ConfigError

__all__ = ["CONDITION_NAMES", "PRESETS", "STUDY_ARCHITECTURE", "get_preset", "preset_names"]

# Physical conditions a model may use, in this order (any subset; none = unconditional).
CONDITION_NAMES = ("mw", "log10_distance_km", "depth_km", "vs30_m_s")

# The study's networks: a SeismoGen generator upsampling 125 -> 8000 samples in six blocks,
# a critic with low/high FFT branches of six stride-2 convolutions (8000 -> 125).
STUDY_ARCHITECTURE: dict[str, Any] = {
    "gen_widths": (32, 32, 32, 24, 24, 16, 16),
    "gen_kernel": 9,
    "critic_widths": (16, 32, 64, 64, 128, 128),
    "critic_stride": 2,
    "critic_kernel": 9,
    "cutoff_hz": 5.0,
    "condition_width": 8,
}

_STUDY_COMMON: dict[str, Any] = {
    **STUDY_ARCHITECTURE,
    "latent_dim": 800,
    "betas": (0.5, 0.9),
    "n_critic": 5,
    "conditions": (),
    # Gulrajani et al.'s penalty, as the study: on the interpolates of the whole batch
    "gp_fraction": 1.0,
}

# Ours, in the demo and conditional presets: the gradient penalty on half of each batch, a
# quarter less time per fp32 critic step; a training check (demo preset, two seeds, 30 epochs)
# found its validation scores, Wasserstein estimates and penalties on the whole batch's
# (docs/benchmarks.md, "Issue 18, session 6")
_HALF_BATCH_PENALTY = 0.5

# Ours, in the demo and conditional presets: the generator's output limited to the band ITACA's
# processing leaves (acausal 2nd-order Butterworth, high-pass 0.2 Hz below Mw 5 and 0.1 Hz from
# Mw 5, low-pass 40 Hz) and its convolutions padded with the edge value instead of zeros.
_FIDELITY: dict[str, Any] = {
    "gen_padding": "replicate",
    "gen_bandpass_hz": (0.2, 40.0),
    "gen_highpass_mw": (5.0, 0.1),
}

PRESETS: dict[str, dict[str, Any]] = {
    "study_run1": {
        **_STUDY_COMMON,
        "epochs": 200,
        "batch_size": 16,
        "lr_generator": 1e-4,
        "lr_critic": 5e-5,
        "gp_lambda": 10.0,
    },
    "study_run2": {
        **_STUDY_COMMON,
        "epochs": 200,
        "batch_size": 32,
        "lr_generator": 5e-5,
        "lr_critic": 5e-5,
        "gp_lambda": 10.0,
    },
    "study_run3": {
        **_STUDY_COMMON,
        "epochs": 100,
        "batch_size": 32,
        "lr_generator": 5e-5,
        "lr_critic": 5e-5,
        "gp_lambda": 20.0,
    },
    # Ours: Run 3's settings, conditioned on the scenario (Mw, distance, depth, Vs30).
    "conditional": {
        **_STUDY_COMMON,
        "epochs": 100,
        "batch_size": 32,
        "lr_generator": 5e-5,
        "lr_critic": 5e-5,
        "gp_lambda": 20.0,
        "conditions": CONDITION_NAMES,
        "critic_global_layers": 3,
        "gen_upsample": "sinc",
        **_FIDELITY,
        "gp_fraction": _HALF_BATCH_PENALTY,
    },
    # Small enough for 2 CPU cores: 15-20 s an epoch on the demo archive (~1,000 training
    # records, 50-60 samples/s on 2 free cores), so 60 epochs take about 20 minutes.
    "demo": {
        # the study's networks made narrow (~0.45 M parameters): a complete checkpoint (weights
        # and Adam moments) is ~5 MB, so best.pt + last.pt + 60 epochs of samples stay under
        # 25 MB
        **STUDY_ARCHITECTURE,
        "gen_widths": (8, 16, 16, 12, 12, 8, 8),
        "critic_widths": (8, 16, 32, 32, 48, 48),
        "condition_width": 4,
        # the critic's whole-window score (see nn/models.py): without it the 4 s patch critic
        # let the generator scatter several bursts over the window
        "critic_global_layers": 3,
        # sinc interpolation in the generator's blocks (see nn/models.py): nearest-neighbour
        # images left the spectra 20-50 dB too high above 30 Hz
        "gen_upsample": "sinc",
        # the band the data were processed to, as the generator's last layer, and edge padding
        # (see nn/models.py): on the shipped weights alone they took the edge transients from
        # 100 % of records to 0 %, the 40-100 Hz excess from +19 to +2 dB and the share of RMS
        # below 0.4 Hz from 18 % to 6 % (docs/benchmarks.md, "Training quality")
        **_FIDELITY,
        "latent_dim": 100,
        "betas": (0.5, 0.9),
        # n_critic 2: more generator updates in the few epochs a CPU allows
        "n_critic": 2,
        "epochs": 60,
        "batch_size": 32,
        "lr_generator": 2e-4,
        "lr_critic": 2e-4,
        "gp_lambda": 10.0,
        "gp_fraction": _HALF_BATCH_PENALTY,
        # the scenario a seismologist asks for: Mw, distance, depth and site (Vs30; a station
        # without one takes the training median, listed in config.json)
        "conditions": CONDITION_NAMES,
        "samples_per_epoch": 3,
        "checkpoint_every": 0,
    },
}


def preset_names() -> list[str]:
    return list(PRESETS)


def get_preset(name: str) -> dict[str, Any]:
    """A copy of a named preset (raises KeyError naming the known presets)."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return copy.deepcopy(PRESETS[name])
