"""The reference notebook's GAN and loop as written, bugs included, for the benchmarks.

bench_train.py times it against gankit; time_to_quality.py scores its generator after
each epoch. What it keeps from the notebook: ToTensor() without Normalize (real pixels
in [0, 1], fakes from tanh in [-1, 1]), per-sample conversion in a DataLoader,
F.dropout (on in eval too), the fake batch not detached for the D step, one BCELoss on
sigmoid outputs, a .item() every step, torch.manual_seed(0). What it leaves out: the
TensorBoard writes and image grids, which would only make it slower.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn

LATENT, HIDDEN_G, HIDDEN_D, PIXELS, BATCH = 100, [256, 512, 1024], [1024, 512, 256], 784, 128


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        widths = [PIXELS, *HIDDEN_D]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in pairwise(widths))
        self.out = nn.Linear(widths[-1], 1)

    def forward(self, x):
        x = x.view(len(x), -1)
        for layer in self.hidden:  # F.dropout: on in eval too, as in the notebook
            x = F.dropout(F.leaky_relu(layer(x), 0.2), 0.3)
        return torch.sigmoid(self.out(x))


def notebook_gan() -> tuple[nn.Module, nn.Module]:
    widths = [LATENT, *HIDDEN_G]
    layers = [m for a, b in pairwise(widths) for m in (nn.Linear(a, b), nn.LeakyReLU(0.2))]
    return nn.Sequential(*layers, nn.Linear(widths[-1], PIXELS), nn.Tanh()), Discriminator()


class PerSampleDataset(torch.utils.data.Dataset):
    """What torchvision's ToTensor() does, one image at a time: uint8 -> [0, 1]."""

    def __init__(self, images: torch.Tensor):
        self.images = images

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.images[i].float() / 255, 0


def train_notebook(images: torch.Tensor, steps: int,
                   epoch_end: Callable[[int, nn.Module], None] | None = None) -> float:
    """Train the notebook's GAN for `steps` batches of uint8 `images` (N x 28 x 28), calling
    `epoch_end(epoch, generator)` after each full epoch. Returns steps per second over
    the training alone (epoch_end's time left out)."""
    torch.manual_seed(0)
    generator, discriminator = notebook_gan()
    opt_g = torch.optim.Adam(generator.parameters(), 2e-4)
    opt_d = torch.optim.Adam(discriminator.parameters(), 2e-4)
    bce = nn.BCELoss()
    loader = torch.utils.data.DataLoader(PerSampleDataset(images), batch_size=BATCH,
                                         shuffle=True)
    done, epoch, training_time = 0, 0, 0.0
    while done < steps:
        started = time.perf_counter()
        for real, _ in loader:
            n = len(real)
            fake = generator(torch.randn(n, LATENT))  # not detached: backward runs through G
            opt_d.zero_grad()
            d_error = bce(discriminator(torch.cat([real.view(n, -1), fake])),
                          torch.cat([torch.ones(n, 1), torch.zeros(n, 1)]))
            d_error.backward()
            opt_d.step()
            opt_g.zero_grad()
            g_error = bce(discriminator(generator(torch.randn(n, LATENT))), torch.ones(n, 1))
            g_error.backward()
            opt_g.step()
            d_error.item(), g_error.item()  # the notebook logs every step
            done += 1
            if done == steps:
                break
        training_time += time.perf_counter() - started
        if epoch_end and done % len(loader) == 0:
            epoch_end(epoch, generator)
        epoch += 1
    return steps / training_time
