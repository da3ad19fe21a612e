"""The layers that close the gaps in generated records: band-pass, edge padding, minibatch std."""

import math

import numpy as np
import pytest
import torch
from scipy import signal

from seisgan_core.nn.models import BandPass, Critic, Generator, SincUpsample, _conv

FS = 200.0


def _sine(f_hz: float, n: int = 8000) -> torch.Tensor:
    t = torch.arange(n, dtype=torch.float64) / FS
    return torch.sin(2 * math.pi * f_hz * t).float().view(1, 1, -1)


@pytest.mark.parametrize("low, high", [(0.2, 40.0), (0.1, 40.0), (0.5, 25.0)])
def test_the_band_pass_is_scipys_zero_phase_butterworth(low, high):
    # the gain is sosfiltfilt's: |H|^2 of butter(2, [low, high]) at every frequency
    bp = BandPass(low, high, 8000, FS)
    f = np.array([0.05, low, 0.5 * (low + high) ** 0.5, 1.0, 10.0, high, 60.0, 90.0])
    _, h = signal.sosfreqz(signal.butter(2, [low, high], "bandpass", fs=FS, output="sos"), f, fs=FS)
    assert np.allclose(bp.response(torch.tensor(f)).numpy(), np.abs(h) ** 2, rtol=1e-9, atol=1e-12)
    # -6 dB at both corners, nothing at 0 Hz or at Nyquist
    corners = bp.response(torch.tensor([low, high, 0.0, FS / 2])).numpy()
    assert np.allclose(corners, [0.5, 0.5, 0.0, 0.0], atol=1e-9)


@pytest.mark.parametrize("f_hz, gain", [(0.1, 0.0581), (0.2, 0.5), (5.0, 1.0), (40.0, 0.5)])
def test_a_sine_comes_out_scaled_by_the_gain_and_in_phase(f_hz, gain):
    x = _sine(f_hz)
    y = BandPass(0.2, 40.0, 8000, FS)(x)
    want = signal.sosfiltfilt(
        signal.butter(2, [0.2, 40.0], "bandpass", fs=FS, output="sos"), x[0, 0]
    )
    middle = slice(2000, 6000)
    assert np.allclose(y[0, 0, middle].numpy(), gain * x[0, 0, middle].numpy(), atol=3e-3)
    assert np.allclose(y[0, 0, middle].numpy(), want[middle], atol=3e-3)


def test_a_constant_or_an_offset_makes_no_edge_transient():
    bp = BandPass(0.2, 40.0, 8000, FS)
    assert bp(torch.full((2, 3, 8000), 7.5)).abs().max() < 1e-4
    # a 5 Hz sine on an offset: the offset goes, the first 0.1 s is no louder than the rest
    y = bp(_sine(5.0) + 3.0)[0, 0]
    assert y[:20].abs().max() < 1.05 * y[20:400].abs().max()
    assert abs(float(y.mean())) < 1e-3


def test_a_larger_event_gets_the_lower_high_pass_corner():
    # a 0.14 Hz sine: ITACA's 0.2 Hz corner takes it to 0.2, the 0.1 Hz corner leaves 0.8
    g = Generator(
        latent_dim=4, n_conditions=1, widths=(4,) * 7, bandpass_hz=(0.2, 40.0),
        highpass_mw=(5.0, 0.1), mw_index=0,
    )  # fmt: skip
    x = _sine(0.14).expand(2, 3, -1)
    y = g._band_limit(x, torch.tensor([[4.5], [5.5]]))
    amp = y[:, 0, 2000:6000].abs().amax(-1)
    g2 = float(BandPass(0.2, 40.0, 8000, FS).response(torch.tensor([0.14])))
    g1 = float(BandPass(0.1, 40.0, 8000, FS).response(torch.tensor([0.14])))
    assert amp[0] == pytest.approx(g2, abs=0.02) and amp[1] == pytest.approx(g1, abs=0.02)
    assert g1 > 0.75 and g2 < 0.25


def test_the_generators_output_holds_nothing_outside_the_band():
    torch.manual_seed(0)
    plain = Generator(latent_dim=8, widths=(4,) * 7, upsample="sinc")
    limited = Generator(latent_dim=8, widths=(4,) * 7, upsample="sinc", bandpass_hz=(0.2, 40.0))
    limited.load_state_dict(plain.state_dict())  # the band-pass has no weights of its own
    z = torch.randn(4, 8)
    with torch.no_grad():
        a, b = plain(z), limited(z)
    freqs = torch.fft.rfftfreq(8000, 1 / FS)

    def power(x, lo, hi):
        # Hann-tapered: the window's ends do not meet, and would leak into every band
        p = torch.fft.rfft(x.double() * torch.hann_window(8000, dtype=torch.float64)).abs() ** 2
        return float(p[..., (freqs >= lo) & (freqs < hi)].sum())

    # the same weights: the layer takes the band's ends down by its gain (about -50 dB at
    # 80 Hz, -60 dB below 0.05 Hz) and leaves the pass band as it was
    assert power(b, 0.0, 0.05) < 1e-4 * power(a, 0.0, 0.05)
    assert power(b, 80.0, 101.0) < 1e-4 * power(a, 80.0, 101.0)
    assert power(b, 1.0, 20.0) == pytest.approx(power(a, 1.0, 20.0), rel=0.05)


def test_band_pass_options_are_checked():
    with pytest.raises(ValueError, match="Nyquist"):
        BandPass(0.2, 120.0, 8000, FS)
    with pytest.raises(ValueError, match="bandpass_hz"):
        Generator(latent_dim=4, widths=(4,) * 7, bandpass_hz=(0.2, 10.0, 40.0))
    with pytest.raises(ValueError, match="Mw among the conditions"):
        Generator(latent_dim=4, widths=(4,) * 7, bandpass_hz=(0.2, 40.0), highpass_mw=(5.0, 0.1))
    with pytest.raises(ValueError, match="padding"):
        Generator(latent_dim=4, widths=(4,) * 7, padding="circular")


@pytest.mark.parametrize("padding", ["replicate", "reflect"])
def test_edge_padding_keeps_a_constant_constant_where_zero_padding_does_not(padding):
    x = torch.full((1, 3, 256), 2.0)
    conv = _conv(3, 3, 9, groups=3, padding=padding)
    zeros = _conv(3, 3, 9, groups=3)
    zeros.load_state_dict(conv.state_dict())
    with torch.no_grad():
        y, y0 = conv(x), zeros(x)
    assert (y - y[..., 128:129]).abs().max() < 1e-5  # the ends equal the middle
    assert (y0[..., :4] - y0[..., 128:129]).abs().max() > 1e-2  # the zeros pull the ends
    up = SincUpsample(padding=padding)(x)
    assert (up - 2.0).abs().max() < 1e-5
    assert (SincUpsample()(x)[..., :8] - 2.0).abs().max() > 0.1


def test_replicate_padding_leaves_no_edge_step_on_a_slow_wave():
    # 1 + cos(2 pi 0.2 t) at 100 Hz, doubled: replicate padding follows it to the last sample,
    # zero padding pulls the ends towards zero (a step the next layers turn into a transient)
    def wave(n, fs):
        t = torch.arange(n, dtype=torch.float64) / fs
        return 1.0 + torch.cos(2 * math.pi * 0.2 * t)

    x = wave(400, 100.0).float().view(1, 1, -1).expand(1, 3, -1).contiguous()
    want = wave(800, 200.0)
    for padding, bound in (("replicate", 0.01), ("reflect", 0.02)):
        y = SincUpsample(padding=padding)(x)[0, 0].double()
        assert (y - want).abs().max() < bound
    assert (SincUpsample()(x)[0, 0].double() - want).abs().max() > 0.1


def test_a_band_limited_generator_round_trips_through_weights_only_loading(tmp_path):
    torch.manual_seed(1)
    kw = dict(
        latent_dim=6, n_conditions=2, widths=(4,) * 7, upsample="sinc", padding="replicate",
        bandpass_hz=(0.2, 40.0), highpass_mw=(5.0, 0.1), mw_index=0,
    )  # fmt: skip
    g = Generator(**kw).eval()
    torch.save(g.state_dict(), tmp_path / "g.pt")
    h = Generator(**kw).eval()
    h.load_state_dict(torch.load(tmp_path / "g.pt", weights_only=True))
    z, y = torch.randn(3, 6), torch.tensor([[4.5, 1.5], [5.5, 1.0], [6.0, 2.0]])
    assert torch.equal(g(z, y), h(z, y))


def test_group_std_is_the_spread_within_each_group_of_consecutive_samples():
    from seisgan_core.nn.models import group_std

    # four samples, groups of two: constants 0 and 2 (std 1), then 5 and 5 (std 0)
    h = torch.tensor([0.0, 2.0, 5.0, 5.0]).view(4, 1, 1).expand(4, 2, 3).contiguous()
    out = group_std(h, 2)
    assert out.shape == (4, 1, 3)
    assert torch.allclose(out[:2], torch.ones(2, 1, 3), atol=1e-3)
    assert torch.allclose(out[2:], torch.zeros(2, 1, 3), atol=1e-3)
    # groups of four over a batch of six: the largest divisor of six not above four is three
    h6 = torch.tensor([1.0, 1.0, 1.0, 0.0, 3.0, 6.0]).view(6, 1, 1)
    out6 = group_std(h6, 4)[:, 0, 0]
    assert torch.allclose(out6[:3], torch.zeros(3), atol=1e-3)
    assert torch.allclose(out6[3:], torch.full((3,), 6.0**0.5), atol=1e-3)


def test_the_minibatch_std_critic_sees_a_batch_without_variety():
    torch.manual_seed(0)
    critic = Critic(length=1024, widths=(4, 8), stride=4, minibatch_std=4)
    plain = Critic(length=1024, widths=(4, 8), stride=4)
    x = torch.randn(4, 3, 1024)
    same = x[:1].expand(4, -1, -1)
    with torch.no_grad():
        # a sample's score depends on its group mates: alone among copies it scores otherwise
        assert (critic(x)[0] - critic(same)[0]).abs() > 1e-6
        assert torch.equal(plain(x)[:1], plain(same)[:1])
        # real and generated halves of one concatenated batch (groups of 4 of 8) do not mix
        both = torch.cat([x, same])
        assert torch.allclose(critic(both)[:4], critic(x), atol=1e-5)
    with pytest.raises(ValueError, match="group size"):
        Critic(length=1024, widths=(4, 8), stride=4, minibatch_std=-1)


def test_a_minibatch_std_critic_round_trips_through_weights_only_loading(tmp_path):
    torch.manual_seed(2)
    kw = dict(n_conditions=2, length=1024, widths=(4, 8), stride=4, global_layers=2)
    c = Critic(**kw, minibatch_std=4).eval()
    torch.save(c.state_dict(), tmp_path / "c.pt")
    d = Critic(**kw, minibatch_std=4).eval()
    d.load_state_dict(torch.load(tmp_path / "c.pt", weights_only=True))
    x, y = torch.randn(4, 3, 1024), torch.randn(4, 2)
    assert torch.equal(c(x, y), d(x, y))


def test_the_amplitude_head_holds_its_prediction_at_the_edge_of_the_training_range():
    from seisgan_core.nn.models import AmplitudeHead

    torch.manual_seed(3)
    head = AmplitudeHead(n_conditions=2).eval()
    head.normaliser.set_statistics(torch.tensor([5.0, 1.5]), torch.tensor([0.5, 0.4]))
    with torch.no_grad():
        free = head(torch.tensor([[6.1, 0.2], [6.8, 0.2], [6.8, -0.5]]))[0]
    head.set_condition_range(torch.tensor([4.0, 0.2]), torch.tensor([6.1, 2.5]))
    scenarios = torch.tensor([[6.1, 0.2], [6.8, 0.2], [6.8, -0.5], [5.0, 1.0]])
    with torch.no_grad():
        mu, _ = head(scenarios)
    # past Mw 6.1 or closer than 10**0.2 km: what the head says at the edge, not beyond it
    assert torch.allclose(mu[1], mu[0], atol=1e-6) and torch.allclose(mu[2], mu[0], atol=1e-6)
    assert torch.allclose(mu[0], free[0], atol=1e-6)
    assert (free[1] - free[0]).abs().max() > 1e-3
    assert head.outside_range(scenarios).tolist() == [False, True, True, False]
    # a checkpoint from before the range loads with an unbounded one
    old = {k: v for k, v in head.state_dict().items() if not k.startswith("condition_")}
    fresh = AmplitudeHead(n_conditions=2)
    fresh.load_state_dict(old)
    assert torch.isinf(fresh.condition_max).all() and not fresh.outside_range(scenarios).any()


def test_the_study_presets_stay_the_studys_and_ours_limit_the_band():
    from seisgan_core.nn import get_preset

    for name in ("study_run1", "study_run2", "study_run3"):
        p = get_preset(name)
        assert not {"gen_padding", "gen_bandpass_hz", "gen_highpass_mw"} & set(p)
        assert not {"critic_minibatch_std", "critic_global_layers", "gen_upsample"} & set(p)
    for name in ("demo", "conditional"):
        p = get_preset(name)
        assert p["gen_bandpass_hz"] == (0.2, 40.0) and p["gen_highpass_mw"] == (5.0, 0.1)
        assert p["gen_padding"] == "replicate" and "mw" in p["conditions"]
