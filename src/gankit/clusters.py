"""Self-conditioning without labels: k-means clusters of the training images stand in
for classes (after Liu et al. 2020, who cluster in D's features; gankit clusters the
pixels once, before training, so that a run and its resume see the same clusters)."""

from __future__ import annotations

import dataclasses

import torch

from gankit import seeds
from gankit.data import ImageData
from gankit.errors import ConfigError, phrase

ITERATIONS = 30


def cluster_images(data: ImageData, k: int, seed: int) -> ImageData:
    """`data` with its labels replaced by the k-means cluster of each image (k-means++
    starts, Lloyd iterations on the pixels), deterministic for a seed."""
    if k > len(data.images):
        raise ConfigError(phrase("--clusters {k} needs at least {k} training images; {name} "
                                 "has {count}", k=k, name=data.name, count=len(data.images)))
    points = data.images.flatten(1).float() / 255
    norms = points.square().sum(1)
    generator = seeds.generator("clusters", seed)
    centres = points[torch.randint(len(points), (1,), generator=generator)]
    nearest = squared_distances(points, norms, centres[0])
    for _ in range(k - 1):  # k-means++: far points are likelier starts
        centre = points[torch.multinomial(nearest, 1, generator=generator)]
        nearest = torch.minimum(nearest, squared_distances(points, norms, centre[0]))
        centres = torch.cat([centres, centre])
    for _ in range(ITERATIONS):
        assignment = nearest_centre(points, centres)
        counts = torch.bincount(assignment, minlength=k)
        sums = torch.zeros_like(centres).index_add_(0, assignment, points)
        # A cluster that lost all its points keeps its centre.
        centres = torch.where(counts[:, None] > 0, sums / counts.clamp(min=1)[:, None], centres)
    return dataclasses.replace(data, labels=nearest_centre(points, centres), clusters=k)


def nearest_centre(points: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """Index of each point's nearest centre: argmin of |c|^2 - 2 x.c, |x|^2 being the
    same for every centre (one matmul; 2x faster than torch.cdist here)."""
    return (centres.square().sum(1) - 2 * points @ centres.T).argmin(1)


def squared_distances(points: torch.Tensor, norms: torch.Tensor, centre: torch.Tensor):
    """|x - c|^2 for each point x, as |x|^2 - 2 x.c + |c|^2 (one matrix-vector product,
    where the difference took a copy of all the points per centre), clamped at 0 against
    rounding."""
    return (norms - 2 * points @ centre + centre.square().sum()).clamp_(min=0)
