"""WGAN-GP losses as pure functions of tensors (Gulrajani et al. 2017, "Improved training of
Wasserstein GANs", Algorithm 1).

    L_critic    = E[D(x_fake)] - E[D(x_real)] + lambda * E[(||grad_x D(x_hat)||_2 - 1)^2]
    L_generator = -E[D(x_fake)]

with ``x_hat = alpha * x_real + (1 - alpha) * x_fake`` and one ``alpha ~ U(0, 1)`` per sample,
shaped (N, 1, 1) so it broadcasts over components and time.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = [
    "critic_loss",
    "generator_loss",
    "gradient_penalty",
    "gradient_penalty_from_scores",
    "interpolate",
    "wasserstein_estimate",
]


def critic_loss(scores_real: torch.Tensor, scores_fake: torch.Tensor) -> torch.Tensor:
    """E[D(fake)] - E[D(real)] (without the penalty)."""
    return scores_fake.mean() - scores_real.mean()


def generator_loss(scores_fake: torch.Tensor) -> torch.Tensor:
    """-E[D(fake)]."""
    return -scores_fake.mean()


def wasserstein_estimate(scores_real: torch.Tensor, scores_fake: torch.Tensor) -> torch.Tensor:
    """The critic's estimate of the Wasserstein-1 distance: E[D(real)] - E[D(fake)]."""
    return scores_real.mean() - scores_fake.mean()


def interpolate(
    real: torch.Tensor,
    fake: torch.Tensor,
    alpha: torch.Tensor | None = None,
    *,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Points on straight lines between real and fake samples, one alpha per sample (N, 1, 1)."""
    if alpha is None:
        alpha = torch.rand(
            (real.shape[0],) + (1,) * (real.dim() - 1),
            generator=generator,
            device=real.device,
            dtype=real.dtype,
        )
    if alpha.shape != (real.shape[0],) + (1,) * (real.dim() - 1):
        raise ValueError(f"alpha must be shaped (N, 1, 1), got {tuple(alpha.shape)}")
    return alpha * real + (1 - alpha) * fake.to(real.dtype)


def gradient_penalty_from_scores(scores: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    """E[(||grad_x D(x_hat)||_2 - 1)^2] from scores already computed on ``x_hat``.

    ``x_hat`` must require grad and ``scores`` must depend on it. The graph is kept
    (create_graph) so the penalty can be minimised with respect to the critic's weights.
    """
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    # at least float32 (a bf16 gradient's norm would lose digits), float64 kept
    grad = grad.to(torch.promote_types(grad.dtype, torch.float32))
    norms = grad.flatten(1).norm(2, dim=1)
    return ((norms - 1.0) ** 2).mean()


def gradient_penalty(
    critic: Callable[..., torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    conditions: torch.Tensor | None = None,
    alpha: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The gradient penalty of ``critic`` on interpolates of ``real`` and ``fake``."""
    x_hat = interpolate(real.detach(), fake.detach(), alpha, generator=generator)
    x_hat.requires_grad_(True)
    scores = critic(x_hat) if conditions is None else critic(x_hat, conditions)
    return gradient_penalty_from_scores(scores, x_hat)
