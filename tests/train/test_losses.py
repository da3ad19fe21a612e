"""WGAN-GP losses against their analytic values."""

import pytest
import torch

from seisgan_core.train.losses import (
    critic_loss,
    generator_loss,
    gradient_penalty,
    gradient_penalty_from_scores,
    interpolate,
    wasserstein_estimate,
)


def test_gradient_penalty_of_a_linear_critic_is_its_analytic_value():
    # D(x) = <w, x>: grad_x D = w everywhere, so GP = (||w||_2 - 1)^2 for every interpolate
    torch.manual_seed(0)
    w = torch.randn(3, 50, dtype=torch.float64)
    w = w / w.norm() * 3.0  # ||w|| = 3 -> GP = 4

    def critic(x):
        return (x * w).sum(dim=(1, 2))

    real = torch.randn(7, 3, 50, dtype=torch.float64)
    fake = torch.randn(7, 3, 50, dtype=torch.float64)
    gp = gradient_penalty(critic, real, fake)
    assert gp.item() == pytest.approx(4.0, rel=1e-12)


def test_gradient_penalty_uses_one_alpha_per_sample():
    # D(x) = ||x||^2 / 2: grad = x_hat, so GP = mean_i (||alpha_i r_i + (1-alpha_i) f_i|| - 1)^2
    real = torch.zeros(2, 3, 4, dtype=torch.float64)
    fake = torch.ones(2, 3, 4, dtype=torch.float64)  # ||fake_i|| = sqrt(12)
    alpha = torch.tensor([0.25, 0.5], dtype=torch.float64).view(2, 1, 1)

    def critic(x):
        return 0.5 * (x**2).sum(dim=(1, 2))

    gp = gradient_penalty(critic, real, fake, alpha=alpha)
    norms = torch.tensor([0.75, 0.5], dtype=torch.float64) * 12**0.5
    assert gp.item() == pytest.approx(((norms - 1) ** 2).mean().item(), rel=1e-12)


def test_interpolate_draws_alpha_shaped_n_1_1():
    real = torch.zeros(5, 3, 10)
    fake = torch.ones(5, 3, 10)
    x_hat = interpolate(real, fake, generator=torch.Generator().manual_seed(1))
    # each sample is constant (one alpha for all components and times), samples differ
    per_sample = x_hat.flatten(1)
    assert torch.allclose(per_sample, per_sample[:, :1].expand_as(per_sample))
    assert per_sample[:, 0].unique().numel() == 5
    with pytest.raises(ValueError, match=r"\(N, 1, 1\)"):
        interpolate(real, fake, torch.rand(5, 3, 1))


def test_gradient_penalty_from_scores_matches_the_critic_form():
    torch.manual_seed(2)
    conv = torch.nn.Conv1d(3, 1, 5)

    def critic(x):
        return torch.tanh(conv(x)).mean(dim=(1, 2))

    real, fake = torch.randn(4, 3, 32), torch.randn(4, 3, 32)
    alpha = torch.rand(4, 1, 1)
    x_hat = interpolate(real, fake, alpha).requires_grad_(True)
    direct = gradient_penalty_from_scores(critic(x_hat), x_hat)
    assert direct.item() == pytest.approx(
        gradient_penalty(critic, real, fake, alpha=alpha).item(), rel=1e-6
    )
    # create_graph: the penalty can be differentiated with respect to the critic's weights
    direct.backward()
    assert conv.weight.grad is not None and conv.weight.grad.abs().sum() > 0


def test_losses_values():
    real = torch.tensor([2.0, 4.0])
    fake = torch.tensor([-1.0, 0.0])
    assert critic_loss(real, fake).item() == pytest.approx(-3.5)
    assert generator_loss(fake).item() == pytest.approx(0.5)
    assert wasserstein_estimate(real, fake).item() == pytest.approx(3.5)
