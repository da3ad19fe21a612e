"""The per-epoch validation measures against analytic answers."""

import numpy as np
import pytest
import torch

from seisgan_core.nn.models import Critic
from seisgan_core.train.measures import (
    MIN_LSD_DB,
    energy_arrival_times,
    timing_distance,
    validation_score,
)

FS = 200.0


def _box(n: int, start_s: float, end_s: float, length: int = 8000) -> torch.Tensor:
    """(n, 3, length) records of unit-variance noise between start_s and end_s, zero elsewhere."""
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(n, 3, length)
    a, b = int(start_s * FS), int(end_s * FS)
    x[:, :, a:b] = torch.randn(n, 3, b - a, generator=g)
    return x


def test_energy_arrives_through_a_box_in_proportion_to_its_length():
    # energy uniform in [10 s, 30 s): the Husid plot is linear there, so the 5/50/95 % times
    # are 10 + f * 20 s (up to the noise of 3 x 4000 squared samples, ~2 %)
    times = energy_arrival_times(_box(4, 10.0, 30.0), FS)
    assert times.shape == (4, 3)
    for got, want in zip(times.mean(dim=0).tolist(), (11.0, 20.0, 29.0), strict=True):
        assert got == pytest.approx(want, abs=0.3)


def test_a_single_spike_arrives_all_at_once():
    x = torch.zeros(1, 3, 8000)
    x[0, 1, 2345] = 7.0
    assert energy_arrival_times(x, FS)[0].tolist() == pytest.approx([2345 / FS] * 3)


def test_timing_distance_of_a_shifted_set_is_the_shift():
    times = torch.rand(500, 3) * 20
    assert timing_distance(times, times) == pytest.approx(0.0, abs=1e-6)
    assert timing_distance(times + 2.5, times) == pytest.approx(2.5, abs=1e-4)
    # sets of different sizes compare by quantiles
    assert timing_distance(times[:123] + 1.0, times[:123]) == pytest.approx(1.0, abs=1e-4)


def test_two_bursts_are_further_from_one_burst_records_than_one_burst_is():
    one = energy_arrival_times(_box(64, 10.0, 20.0), FS)
    also_one = energy_arrival_times(_box(64, 10.0, 20.0) * 2.0, FS)  # amplitude does not matter
    two = energy_arrival_times(_box(64, 10.0, 20.0) + _box(64, 30.0, 38.0), FS)
    assert timing_distance(also_one, one) < 0.1
    assert timing_distance(two, one) > 3.0


def test_validation_score_is_in_units_of_the_real_baseline():
    assert validation_score(2.0, 0.5, 2.0, 0.5) == pytest.approx(1.0)
    assert validation_score(20.0, 0.5, 2.0, 0.5) == pytest.approx(5.5)
    # a zero baseline (a validation set compared with itself) does not divide by zero
    assert validation_score(1.0, 0.0, 0.0, 1.0) == pytest.approx(0.5 / MIN_LSD_DB)


def _input_reach(critic: Critic, score) -> torch.Tensor:
    """Samples of the input window whose change moves ``score(critic, x)``."""
    torch.manual_seed(0)
    x = torch.randn(1, 3, critic.length, requires_grad=True)
    score(critic, x).sum().backward()
    return (x.grad.abs().sum(dim=1)[0] > 0).nonzero().squeeze(1)


def test_the_global_score_sees_the_whole_window_and_a_patch_only_seconds():
    critic = Critic(length=8000, widths=(8, 8, 8, 8, 8, 8), stride=2, global_layers=3)

    # the decomposer's FFT spreads every input sample over the whole window, so the reach of
    # the convolutions is judged on the branches' features of the input itself
    def features(c, x):
        return torch.cat([c.x_low_block(x), c.x_high_block(x)], dim=1)

    def patch_at_middle(c, x):  # one position of the study's score map
        return c.sample_critic(features(c, x))[:, 0, c.feature_length // 2]

    def global_score(c, x):
        return c.global_block(features(c, x))

    patch = _input_reach(critic, patch_at_middle)
    whole = _input_reach(critic, global_score)
    assert (patch.max() - patch.min()).item() / FS < 6.0  # a few seconds around the middle
    assert whole.min().item() < 50 and whole.max().item() > 8000 - 50  # the whole 40 s
    # the study's critic (no global layers) has no global block and the same patch score
    assert not hasattr(Critic(length=8000, widths=(8,) * 6, stride=2), "global_block")


def _simulated(n: int, seed: int) -> np.ndarray:
    from seisgan_testsupport.synthetic_records import simulate

    rng = np.random.default_rng(1)
    return simulate(rng.uniform(4.5, 6.0, n), rng.uniform(10, 80, n), seed=seed)


@pytest.mark.slow
def test_scorecard_validation_ranks_a_step_below_records_like_the_real_ones():
    from seisgan_core.train.measures import scorecard_validation

    val, train, like = _simulated(24, 0), _simulated(24, 1), _simulated(24, 2)
    good = scorecard_validation(like, val, train)
    stepped = like.copy()
    stepped[..., 4000:] += 0.05 * np.abs(like).max(axis=-1, keepdims=True)
    bad = scorecard_validation(stepped, val, train)
    assert bad["score"] > good["score"] + 0.5
    assert {"drift.velocity.E", "lf_share.N"} <= set(bad["failed"]) - set(good["failed"])


def test_to_peaks_and_scenario_frame():
    from seisgan_core.train.measures import scenario_frame, to_peaks

    x = np.zeros((1, 3, 10))
    x[0, :, 3] = [-2.0, 0.5, 4.0]
    y = to_peaks(x, np.array([[1.0, 2.0, 0.0]]))
    assert np.abs(y).max(axis=-1).tolist() == [[10.0, 100.0, 1.0]]
    frame = scenario_frame(np.array([[5.5, 1.0, 10.0]]), ("mw", "log10_distance_km", "depth_km"))
    assert frame.to_dict("records") == [{"mw": 5.5, "epicentral_distance_km": 10.0}]
    assert scenario_frame(np.array([[5.5]]), ("mw",)) is None
