"""Every random stream gankit draws from, by name, and the one place that seeds them.

A stream's seed is a pure function of the run's seed and, for some streams, an index (the
epoch, the rank, the split), so a run is remade from its config alone and a resume goes on
with the same streams. The formulas are those every saved run was trained with: changing
one changes the weights, noise or data order that the same config gives.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

# Stream name -> (run seed, index) -> the stream's seed.
STREAMS: dict[str, Callable[[int, int], int]] = {
    # The global generator, before the networks are built: their initial weights.
    "weights": lambda seed, _: seed,
    # The global generator after the weights, under DDP: each rank's own training noise
    # (dropout, G's inputs), other than rank 0's weights stream. Index: the rank.
    "rank_noise": lambda seed, rank: seed + 1_000_003 * (rank + 1),
    # One epoch's shuffle of the training set. Index: the epoch.
    "batch_order": lambda seed, epoch: seed * 1_000_003 + epoch,
    # The noise of the sample grids, the same batch at every grid.
    "grid_noise": lambda seed, _: seed,
    # The lab's frames: the points shown and the ones measured, apart from training's.
    "frame_noise": lambda seed, _: seed + 1,
    # k-means++ starts of --clusters.
    "clusters": lambda seed, _: seed,
    # The samples FID is computed on during training, apart from training's noise.
    "fid_noise": lambda seed, _: seed + 1,
    # `gankit sample`'s noise and its interpolation's keypoints (--seed).
    "sample_noise": lambda seed, _: seed,
    "interpolation": lambda seed, _: seed,
    # The inputs that re-estimate an EMA generator's BatchNorm statistics.
    "batchnorm_inputs": lambda seed, _: seed,
    # A toy's fixed sample of points, the same for every run. Index: 0 train, 1 test.
    "toy_points": lambda _, split: split,
    # The Dirac-GAN's instance noise and penalty draws.
    "dirac": lambda seed, _: seed,
    # The tutorials' checks: the networks and batches a student's code is tried on, and the
    # dropout masks two networks are compared under.
    "check_case": lambda _seed, _index: 0,
    "check_dropout": lambda _seed, _index: 1,
}


def stream_seed(stream: str, seed: int = 0, index: int = 0) -> int:
    return STREAMS[stream](seed, index)


def generator(stream: str, seed: int = 0, index: int = 0,
              device: torch.device | str | None = None) -> torch.Generator:
    """A torch.Generator of its own for `stream`: drawing from it leaves every other
    stream as it was."""
    rng = torch.Generator(device) if device is not None else torch.Generator()
    return rng.manual_seed(stream_seed(stream, seed, index))


def seed_global(stream: str, seed: int = 0, index: int = 0) -> None:
    """Seed torch's global generator (every device's) for `stream`: what layers' default
    initialisation, dropout and the losses' own draws take from."""
    torch.manual_seed(stream_seed(stream, seed, index))


def numpy_generator(stream: str, seed: int = 0, index: int = 0) -> np.random.Generator:
    return np.random.default_rng(stream_seed(stream, seed, index))
