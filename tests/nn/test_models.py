"""The networks: what they compute, not only their shapes."""

import copy
import math

import pytest
import torch

from seisgan_core.errors import ConfigError
from seisgan_core.nn import PRESETS, AmplitudeHead, Critic, Generator, get_preset
from seisgan_core.train.losses import critic_loss, gradient_penalty

FS = 200.0


def test_generator_makes_three_components_of_8000_samples_from_noise_and_conditions():
    torch.manual_seed(0)
    g = Generator(latent_dim=10, n_conditions=2, widths=(4, 4, 4, 4, 4, 4, 4))
    g.normaliser.set_statistics(torch.tensor([5.0, 1.5]), torch.tensor([0.5, 0.3]))
    z = torch.randn(2, 10)
    out_a = g(z, torch.tensor([[4.5, 1.0], [4.5, 1.0]]))
    out_b = g(z, torch.tensor([[6.5, 2.0], [6.5, 2.0]]))
    assert out_a.shape == (2, 3, 8000)
    # the conditions change the waveform; the noise changes it too
    assert (out_a - out_b).abs().max() > 1e-4
    assert (out_a[0] - out_a[1]).abs().max() > 1e-4
    with pytest.raises(ValueError, match="conditions"):
        g(z)


def test_each_component_has_its_own_pipeline():
    torch.manual_seed(0)
    g = Generator(latent_dim=8, length=256, widths=(6, 6, 6))
    g.eval()
    z = torch.randn(3, 8)
    before = g(z)
    with torch.no_grad():
        # the last block's convolutions of the E group (first third of channels)
        g.blocks[-1].conv_block[0].weight[:6].mul_(-3.0)
    after = g(z)
    changed = (after - before).abs().amax(dim=(0, 2))
    assert changed[0] > 1e-4
    assert changed[1] == 0 and changed[2] == 0


def test_generator_rejects_a_length_the_blocks_cannot_reach():
    with pytest.raises(ValueError, match="divisible"):
        Generator(latent_dim=4, length=1000, widths=(4, 4, 4, 4, 4))


def test_decomposer_splits_at_the_cutoff_frequency():
    # a 1 Hz and a 20 Hz sine on exact FFT bins: the 5 Hz mask keeps the first, not the second
    n = 2000
    t = torch.arange(n) / FS
    low_sig = torch.sin(2 * math.pi * 1.0 * t)
    high_sig = 0.5 * torch.sin(2 * math.pi * 20.0 * t)
    x = (low_sig + high_sig).expand(1, 3, n).clone()
    critic = Critic(length=n, cutoff_hz=5.0, widths=(4, 4))
    low, high = critic.decompose(x)
    assert torch.allclose(low[0, 0], low_sig, atol=1e-4)
    assert torch.allclose(high[0, 2], high_sig, atol=1e-4)
    assert torch.allclose(low + high, x, atol=1e-6)


def test_a_very_low_branch_takes_the_baseline_wander_out_of_the_low_part():
    # 0.25, 2 and 20 Hz sines on exact FFT bins (8,000 samples at 200 Hz: 0.025 Hz a bin)
    n = 8000
    t = torch.arange(n) / FS
    parts = [torch.sin(2 * math.pi * f * t) for f in (0.25, 2.0, 20.0)]
    x = sum(parts).expand(2, 3, n).clone()
    critic = Critic(length=n, cutoff_hz=5.0, widths=(4, 4), vlow_cutoff_hz=0.5)
    bands = critic.bands(x)
    assert len(bands) == 3
    for got, want in zip(bands, parts, strict=True):
        assert torch.allclose(got[1, 2], want, atol=1e-3)  # float32 sines over 40 s
    assert torch.allclose(sum(bands), x, atol=1e-4)
    assert critic(x).shape == (2,)
    assert len(Critic(length=n, widths=(4, 4)).bands(x)) == 2  # the study's two branches
    with pytest.raises(ValueError, match="vlow_cutoff_hz"):
        Critic(length=n, cutoff_hz=5.0, widths=(4, 4), vlow_cutoff_hz=6.0)


def _bursts(n: int, freq_hz: float, length: int, g: torch.Generator) -> torch.Tensor:
    t = torch.arange(length) / FS
    onset = torch.rand(n, 1, 1, generator=g) * 0.5
    env = torch.exp(-(((t - 1.0 - onset) / 0.3) ** 2))
    phase = torch.rand(n, 3, 1, generator=g) * 2 * math.pi
    x = env * torch.sin(2 * math.pi * freq_hz * t + phase)
    return x / x.std(dim=-1, keepdim=True)


def test_critic_learns_to_separate_two_signal_families():
    # family "real": 2 Hz bursts; family "fake": 15 Hz bursts, same envelope and energy
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    length = 512
    critic = Critic(length=length, widths=(8, 16), stride=4)
    opt = torch.optim.Adam(critic.parameters(), lr=2e-3, betas=(0.5, 0.9))
    for _ in range(40):
        real, fake = _bursts(8, 2.0, length, g), _bursts(8, 15.0, length, g)
        loss = critic_loss(critic(real), critic(fake)) + 10 * gradient_penalty(critic, real, fake)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        s_real = critic(_bursts(64, 2.0, length, g))
        s_fake = critic(_bursts(64, 15.0, length, g))
    threshold = (s_real.mean() + s_fake.mean()) / 2
    accuracy = ((s_real > threshold).float().mean() + (s_fake < threshold).float().mean()) / 2
    assert accuracy > 0.95
    assert s_real.mean() - s_fake.mean() > 0.5


def test_amplitude_head_learns_a_magnitude_scaling():
    # log10 PGA = 0.5 Mw - 1 with scatter 0.1: the head recovers the line and the scatter
    torch.manual_seed(0)
    head = AmplitudeHead(n_conditions=1)
    mw = torch.rand(512, 1) * 3 + 4
    target = (0.5 * mw - 1).expand(512, 3) + 0.1 * torch.randn(512, 3)
    head.normaliser.set_statistics(mw.mean(0), mw.std(0))
    head.set_target_statistics(target.mean(0), target.std(0))
    opt = torch.optim.Adam(head.parameters(), lr=2e-2)
    for _ in range(200):
        mu, sigma = head(mw)
        nll = (torch.log(sigma) + 0.5 * ((target - mu) / sigma) ** 2).mean()
        opt.zero_grad()
        nll.backward()
        opt.step()
    mu, sigma = head(torch.tensor([[4.5], [6.5]]))
    assert mu[:, 0].tolist() == pytest.approx([1.25, 2.25], abs=0.05)
    assert sigma.mean().item() == pytest.approx(0.1, abs=0.03)


def test_unconditional_head_needs_a_count():
    head = AmplitudeHead()
    mu, sigma = head(None, 4)
    assert mu.shape == sigma.shape == (4, 3)
    with pytest.raises(ValueError):
        head(None)


def test_study_presets_are_the_studys_runs():
    r1, r2, r3 = (get_preset(f"study_run{i}") for i in (1, 2, 3))
    assert (r1["epochs"], r1["lr_generator"], r1["batch_size"], r1["gp_lambda"]) == (
        200,
        1e-4,
        16,
        10.0,
    )
    assert r1["lr_critic"] == 5e-5
    assert (r2["epochs"], r2["lr_generator"], r2["lr_critic"], r2["batch_size"]) == (
        200,
        5e-5,
        5e-5,
        32,
    )
    assert (r3["epochs"], r3["batch_size"], r3["lr_generator"], r3["gp_lambda"]) == (
        100,
        32,
        5e-5,
        20.0,
    )
    for p in (r1, r2, r3):
        assert p["latent_dim"] == 800 and p["betas"] == (0.5, 0.9) and p["conditions"] == ()
    assert set(PRESETS) >= {"study_run1", "study_run2", "study_run3", "conditional", "demo"}
    assert get_preset("conditional")["conditions"] == (
        "mw",
        "log10_distance_km",
        "depth_km",
        "vs30_m_s",
    )
    with pytest.raises(ConfigError, match="known"):
        get_preset("nope")


def _band_db(y: torch.Tensor, fs: float, f: float, ref_f: float) -> float:
    """Level of frequency f relative to ref_f in y's tapered spectrum, in dB."""
    y = y[100:-100].double()  # away from the zero-padded edges
    spectrum = torch.fft.rfft(y * torch.hann_window(len(y), dtype=torch.float64)).abs()
    freqs = torch.fft.rfftfreq(len(y), d=1.0 / fs)
    at = lambda hz: spectrum[(freqs - hz).abs().argmin()]  # noqa: E731
    return float(20 * torch.log10(at(f) / at(ref_f)))


@pytest.mark.parametrize("f_hz", [5.0, 20.0, 40.0])
def test_sinc_upsampling_interpolates_a_sine_and_leaves_no_image(f_hz):
    from seisgan_core.nn.models import SincUpsample

    # a sine sampled at 100 Hz, doubled to 200 Hz: the samples of the same sine at 200 Hz, and
    # its image at 100 - f Hz (what nearest-neighbour repetition leaves) 60+ dB down
    t = torch.arange(400, dtype=torch.float64) / 100.0
    x = torch.sin(2 * math.pi * f_hz * t).float().view(1, 1, -1)
    y = SincUpsample()(x)[0, 0]
    t2 = torch.arange(800, dtype=torch.float64) / 200.0
    want = torch.sin(2 * math.pi * f_hz * t2)
    assert (y.double() - want)[100:-100].abs().max() < 1e-3
    assert torch.equal(y[::2], x[0, 0])  # the input samples pass unchanged
    assert _band_db(y, 200.0, 100.0 - f_hz, f_hz) < -60.0
    nearest = torch.nn.functional.interpolate(x, scale_factor=2, mode="nearest")[0, 0]
    assert _band_db(nearest, 200.0, 100.0 - f_hz, f_hz) > -25.0


def test_the_generator_takes_only_known_upsampling_modes():
    g = Generator(latent_dim=4, length=8000, widths=(4,) * 7, upsample="sinc")
    assert g(torch.randn(2, 4)).shape == (2, 3, 8000)
    with pytest.raises(ValueError, match="upsample"):
        Generator(latent_dim=4, length=8000, widths=(8,) * 7, upsample="cubic")


def _run(module_pair, channels_last, *inputs):
    """Outputs and parameter gradients of a deep copy of each module, in one layout."""
    copies = [copy.deepcopy(m) for m in module_pair]
    for m in copies:
        m.channels_last = channels_last
    g, c = copies
    x = g(*inputs)
    scores = c(x, inputs[1])
    # the penalty's double backward as well
    x_hat = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(c(x_hat, inputs[1]).sum(), x_hat, create_graph=True)
    (scores.mean() + grad.flatten(1).norm(dim=1).mean()).backward()
    grads = {
        f"{i}.{n}": p.grad.clone() for i, m in enumerate(copies) for n, p in m.named_parameters()
    }
    return x.detach(), scores.detach(), grads, g


@pytest.mark.parametrize(("upsample", "padding"), [("nearest", "zeros"), ("sinc", "replicate")])
def test_channels_last_layout_computes_what_the_plain_one_does(upsample, padding):
    """The time-major layout (a speed setting the trainer measures) runs the same weights to
    the same outputs, gradients, penalty gradients and batch-norm statistics."""
    torch.manual_seed(0)
    conditions = ("mw", "log10_distance_km")
    g = Generator(
        latent_dim=16,
        n_conditions=2,
        length=1024,
        widths=(8, 8, 6, 4),
        upsample=upsample,
        padding=padding,
        bandpass_hz=(0.5, 40.0),
    )
    c = Critic(
        n_conditions=2,
        length=1024,
        widths=(8, 16, 16),
        stride=2,
        global_layers=2,
        vlow_cutoff_hz=1.0,
        minibatch_std=2,
    )
    z, y = torch.randn(8, 16), torch.randn(8, len(conditions))
    plain = _run((g, c), False, z, y)
    fast = _run((g, c), True, z, y)
    torch.testing.assert_close(fast[0], plain[0], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(fast[1], plain[1], rtol=1e-4, atol=1e-5)
    for name, grad in plain[2].items():
        # conv biases ahead of a batch norm have no gradient but rounding: absolute tolerance
        torch.testing.assert_close(fast[2][name], grad, rtol=1e-3, atol=1e-6, msg=name)
    for (name, a), b in zip(plain[3].named_buffers(), fast[3].buffers(), strict=True):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-6, msg=name)
    assert g.state_dict().keys() == plain[3].state_dict().keys()
    assert fast[0].shape == plain[0].shape == (8, 3, 1024)
