"""GAN losses on discriminator logits, registered by name.

BCE is written with softplus on logits: BCE(sigmoid(x), 1) = softplus(-x) and
BCE(sigmoid(x), 0) = softplus(x), the same maths as the notebook's BCELoss, stabler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F

from gankit.errors import ConfigError


class GanLoss(NamedTuple):
    discriminator: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (real, fake) logits
    generator: Callable[[torch.Tensor], torch.Tensor]  # fake logits


def bce_discriminator(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """BCE over the concatenation of real (label 1) and fake (label 0), as the notebook."""
    return torch.cat([F.softplus(-real_logits), F.softplus(fake_logits)]).mean()


def nonsaturating_generator(fake_logits: torch.Tensor) -> torch.Tensor:
    """-log D(G(z)): the notebook's generator loss (fakes labelled real)."""
    return F.softplus(-fake_logits).mean()


def minimax_generator(fake_logits: torch.Tensor) -> torch.Tensor:
    """log(1 - D(G(z))): the paper's original generator objective, to be minimised."""
    return -F.softplus(fake_logits).mean()


LOSSES = {
    "nonsaturating": GanLoss(bce_discriminator, nonsaturating_generator),
    "minimax": GanLoss(bce_discriminator, minimax_generator),
}


def get_loss(name: str) -> GanLoss:
    if name not in LOSSES:
        raise ConfigError(f"unknown loss {name!r}; choose from {', '.join(LOSSES)}")
    return LOSSES[name]
