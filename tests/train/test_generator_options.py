"""A run with the generator's fidelity options: it trains, saves, loads and generates."""

from __future__ import annotations

import numpy as np
import torch

from seisgan_core.train.checkpoint import load_checkpoint
from seisgan_core.train.data import load_training_set
from seisgan_core.train.runs import load_run
from seisgan_core.train.trainer import Trainer
from seisgan_testsupport.tiny_training import tiny_hp


def test_a_band_limited_run_with_minibatch_std_round_trips(prepared, tmp_path):
    hp = tiny_hp(
        epochs=1,
        conditions=("mw", "log10_distance_km"),
        gen_padding="replicate",
        gen_bandpass_hz=(0.2, 40.0),
        gen_highpass_mw=(5.0, 0.1),
        critic_minibatch_std=4,
    )
    Trainer(data=prepared, out=tmp_path / "r", hyperparameters=hp).fit()
    state = load_checkpoint(tmp_path / "r" / "checkpoints" / "last.pt")  # weights_only=True
    assert tuple(state["hyperparameters"]["gen_bandpass_hz"]) == (0.2, 40.0)
    # the amplitude head keeps the training conditions' range
    train = load_training_set(prepared, ("mw", "log10_distance_km")).train.conditions
    head = state["amplitude_head"]
    assert np.allclose(head["condition_min"].numpy(), train.min(axis=0), atol=1e-5)
    assert np.allclose(head["condition_max"].numpy(), train.max(axis=0), atol=1e-5)
    run = load_run(tmp_path / "r")
    inside = {"mw": float(train[0, 0]), "distance_km": float(10 ** train[0, 1])}
    far = {"mw": float(train[:, 0].max()) + 1.0, "distance_km": 1.0}
    out = run.generate_samples(2, [inside, far], seed=4)
    assert out.waveforms.shape == (2, 3, 512) and np.isfinite(out.waveforms).all()
    assert out.extra["outside_training_range"] == [False, True]
    # the band-pass left no offset: every component's mean is near zero against its peak
    w = torch.from_numpy(out.waveforms)
    assert (w.mean(-1).abs() < 0.05 * w.abs().amax(-1)).all()


def test_options_the_generator_cannot_honour_are_refused_naming_the_field(tmp_path):
    import json

    import pytest

    from seisgan_core.io.errors import FormatError
    from seisgan_core.train.config import load_preset

    bad = {
        "gen_padding": "circular",
        "gen_bandpass_hz": (40.0, 0.2),
        "gen_highpass_mw": (5.0,),
        "critic_minibatch_std": -1,
    }
    for name, value in bad.items():
        with pytest.raises(ValueError, match=name):
            tiny_hp(conditions=("mw",), **{name: value})
    with pytest.raises(ValueError, match="gen_highpass_mw needs mw"):
        tiny_hp(gen_bandpass_hz=(0.2, 40.0), gen_highpass_mw=(5.0, 0.1))
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"base": "demo", "hyperparameters": {"gen_padding": "wrap"}}))
    with pytest.raises(FormatError, match="gen_padding") as info:
        load_preset(path)
    assert str(path) in str(info.value)
