"""build_models: each hyperparameter reaches the network that takes it (``hp.prefixed``)."""

from __future__ import annotations

import torch

from seisgan_core.nn.models import Critic, Generator
from seisgan_core.train.trainer import build_models
from seisgan_testsupport.tiny_training import tiny_hp

# every architecture field away from its default, so a setting that went missing shows
ODD = {
    "conditions": ("mw", "log10_distance_km"),
    "gen_kernel": 7,
    "gen_upsample": "sinc",
    "gen_padding": "reflect",
    "gen_bandpass_hz": (0.2, 40.0),
    "gen_highpass_mw": (5.0, 0.1),
    "critic_kernel": 5,
    "critic_global_layers": 2,
    "critic_vlow_hz": 1.0,
    "critic_minibatch_std": 2,
    "cutoff_hz": 4.0,
}


def test_prefixed_keys_each_networks_fields_by_their_keyword():
    hp = tiny_hp(**ODD)
    assert hp.prefixed("gen_") == {
        "widths": (8, 8, 8, 8),
        "kernel": 7,
        "upsample": "sinc",
        "padding": "reflect",
        "bandpass_hz": (0.2, 40.0),
        "highpass_mw": (5.0, 0.1),
    }
    assert hp.prefixed("critic_", vlow_hz="vlow_cutoff_hz") == {
        "widths": (8, 16),
        "stride": 4,
        "kernel": 5,
        "global_layers": 2,
        "vlow_cutoff_hz": 1.0,
        "minibatch_std": 2,
    }


def test_build_models_matches_networks_built_by_hand():
    """The same weights (same seed) and outputs as Generator and Critic given every keyword."""
    hp = tiny_hp(**ODD)
    torch.manual_seed(3)
    generator, critic, _ = build_models(hp, 1024, 200.0)
    torch.manual_seed(3)
    by_hand = Generator(
        latent_dim=16, n_conditions=2, length=1024, widths=(8, 8, 8, 8), condition_width=4,
        kernel=7, upsample="sinc", padding="reflect", sampling_rate_hz=200.0,
        bandpass_hz=(0.2, 40.0), highpass_mw=(5.0, 0.1), mw_index=0,
    )  # fmt: skip
    critic_by_hand = Critic(
        n_conditions=2, length=1024, sampling_rate_hz=200.0, cutoff_hz=4.0, widths=(8, 16),
        stride=4, kernel=5, condition_width=4, global_layers=2, vlow_cutoff_hz=1.0,
        minibatch_std=2,
    )  # fmt: skip
    z = torch.randn(4, 16)
    conditions = torch.tensor([[4.5, 1.0], [5.5, 1.5], [6.0, 2.0], [4.0, 0.5]])
    generator.eval(), by_hand.eval(), critic.eval(), critic_by_hand.eval()
    with torch.no_grad():
        x = generator(z, conditions)
        assert torch.equal(x, by_hand(z, conditions))
        assert torch.equal(critic(x, conditions), critic_by_hand(x, conditions))
    assert critic.vlow_cutoff_hz == 1.0 and critic.minibatch_std == 2
