"""GAN losses on discriminator logits, registered by name.

BCE is torch's binary_cross_entropy_with_logits: the notebook's BCELoss on sigmoid(x),
computed stably on the logits, and the very call the tutorial's hand-written loop makes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F

from gankit.errors import ConfigError, phrase


class GanLoss(NamedTuple):
    discriminator: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (real, fake) logits
    generator: Callable[[torch.Tensor], torch.Tensor]  # fake logits
    penalty: Callable | None = None  # (discriminator, real, fake) images -> added to D's loss
    probabilities: bool = False  # sigmoid(logit) is D's probability that x is real (BCE)


def bce_discriminator(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """BCE over the concatenation of real (label 1) and fake (label 0), as the notebook."""
    labels = torch.cat([torch.ones_like(real_logits), torch.zeros_like(fake_logits)])
    return F.binary_cross_entropy_with_logits(torch.cat([real_logits, fake_logits]), labels)


def nonsaturating_generator(fake_logits: torch.Tensor) -> torch.Tensor:
    """-log D(G(z)): the notebook's generator loss (fakes labelled real)."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def minimax_generator(fake_logits: torch.Tensor) -> torch.Tensor:
    """log(1 - D(G(z))): the paper's original generator objective, to be minimised."""
    return -F.softplus(fake_logits).mean()


def hinge_discriminator(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """max(0, 1 - D(x)) + max(0, 1 + D(G(z))) on raw outputs (Lim & Ye 2017; SAGAN)."""
    return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()


def hinge_generator(fake_logits: torch.Tensor) -> torch.Tensor:
    return -fake_logits.mean()


def lsgan_discriminator(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Least squares (Mao et al. 2017, targets 1 for real and 0 for fake) on raw outputs."""
    return 0.5 * ((real_logits - 1) ** 2).mean() + 0.5 * (fake_logits**2).mean()


def lsgan_generator(fake_logits: torch.Tensor) -> torch.Tensor:
    return 0.5 * ((fake_logits - 1) ** 2).mean()


def wasserstein_discriminator(real_logits: torch.Tensor, fake_logits: torch.Tensor):
    """The critic's side of the Wasserstein-1 estimate (Arjovsky et al. 2017)."""
    return fake_logits.mean() - real_logits.mean()


def wasserstein_generator(fake_logits: torch.Tensor) -> torch.Tensor:
    return -fake_logits.mean()


def gradient_penalty(discriminator, real: torch.Tensor, fake: torch.Tensor,
                     weight: float = 10.0) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): weight * (||grad D(x_mix)|| - 1)^2 on random
    interpolates of real and fake images."""
    alpha = torch.rand(len(real), *[1] * (real.dim() - 1), device=real.device)
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(discriminator(mixed).sum(), mixed, create_graph=True)
    return weight * ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def r1_penalty(discriminator, real: torch.Tensor, gamma: float) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): gamma / 2 * E ||grad D(x)||^2 on real images."""
    real = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(discriminator(real).sum(), real, create_graph=True)
    return gamma / 2 * grad.flatten(1).pow(2).sum(1).mean()


LOSSES = {
    "nonsaturating": GanLoss(bce_discriminator, nonsaturating_generator, probabilities=True),
    "minimax": GanLoss(bce_discriminator, minimax_generator, probabilities=True),
    "hinge": GanLoss(hinge_discriminator, hinge_generator),
    "lsgan": GanLoss(lsgan_discriminator, lsgan_generator),
    "wgan-gp": GanLoss(wasserstein_discriminator, wasserstein_generator, gradient_penalty),
}


def get_loss(name: str) -> GanLoss:
    if name not in LOSSES:
        raise ConfigError(phrase("unknown loss {name!r}; choose from {names}", name=name,
                                 names=", ".join(LOSSES)))
    return LOSSES[name]
