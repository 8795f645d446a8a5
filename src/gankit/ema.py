"""Exponential moving average of the generator's weights, the usual way to sample GANs."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """A frozen copy of `model` whose weights trail the live ones.

    The decay warms up as min(decay, (1 + t) / (10 + t)) over the t generator updates
    so far, so early averages are not dominated by the random initial weights. Counting
    updates rather than training steps keeps the warm-up the same with --n-critic.
    BatchNorm buffers are copied from the live model; a Run re-estimates them for the
    average at each epoch's end (models.recompute_batchnorm).
    """

    def __init__(self, model: nn.Module, decay: float):
        self.decay = decay
        self.updates = 0
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for average, live in zip(self.model.parameters(), model.parameters(), strict=True):
            average.lerp_(live, 1 - decay)
        for average, live in zip(self.model.buffers(), model.buffers(), strict=True):
            average.copy_(live)
        self.updates += 1
