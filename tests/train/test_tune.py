"""The search's steps on their own: the stored study's recovery after a kill, and the space."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

optuna = pytest.importorskip("optuna")

from seisgan_core.train.tune import SEARCH_SPACE, _finished, _open_study, _suggest  # noqa: E402


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_trial_left_running_by_a_dead_process_is_failed_and_a_live_one_kept(tmp_path):
    study = _open_study(tmp_path, seed=0)
    orphan, live = study.ask(), study.ask()
    orphan.set_user_attr("pid", _dead_pid())
    live.set_user_attr("pid", os.getpid())
    done = study.ask()
    study.tell(done, 1.0)
    assert _finished(study) == 1

    reopened = _open_study(tmp_path, seed=0)
    states = {t.number: t.state for t in reopened.get_trials(deepcopy=False)}
    assert states == {
        orphan.number: optuna.trial.TrialState.FAIL,
        live.number: optuna.trial.TrialState.RUNNING,
        done.number: optuna.trial.TrialState.COMPLETE,
    }
    assert _finished(reopened) == 1


def test_suggestions_stay_in_the_space_and_the_batch_sizes_the_set_can_fill(tmp_path):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(30):
        params = _suggest(study.ask(), batch_choices=[16, 32])
        for name in ("lr_generator", "lr_critic", "gp_lambda"):
            low, high = SEARCH_SPACE[name]
            assert low <= params[name] <= high
        assert SEARCH_SPACE["n_critic"][0] <= params["n_critic"] <= SEARCH_SPACE["n_critic"][1]
        assert params["latent_dim"] in SEARCH_SPACE["latent_dim"]
        assert params["batch_size"] in (16, 32)
