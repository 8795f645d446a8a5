"""Two-dimensional toy distributions with known modes, and the metrics they allow.

A toy is a mixture of Gaussians whose centres (its modes) and spread are known, so a
GAN trained on it is measured as in the mode-collapse literature (Metz et al. 2017;
Srivastava et al. 2017): how many modes its fakes cover, what share of them lie near
some mode, and how far their distribution is from the real one. Points a user passes in
(`points:FILE`) are measured by that distance alone, unless the file names modes.
"""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from gankit import seeds
from gankit.errors import ConfigError, DataError, phrase

if TYPE_CHECKING:
    from gankit.config import Config

# Points each split holds: 400 batches of the lab preset's 512 make an epoch.
TRAIN_POINTS = 204_800
TEST_POINTS = 5_000
# A mode is covered when at least this share of the fakes lies within 3 sigma of it.
COVERED_SHARE = 0.01
# The binned Jensen-Shannon divergence counts points in BINS x BINS cells over the plane.
BINS = 40
# The largest coordinate (and sigma) a points file may hold. The networks take the points
# as they are, unscaled, and G starts near 0: points at ±1,000 did not train in 1,000 steps
# (JS 0.97), and past this bound float32 rounds coordinates to steps of 0.06 or more.
MAX_COORDINATE = 1e6


@dataclass(frozen=True)
class Toy:
    """A 2-D distribution: `sample(n, rng)` draws n points; `modes` (K x 2) and `sigma`
    are its mixture's centres and standard deviation, or empty for points without
    known modes; `extent` is the half-width of the square around 0 that shows it."""

    sample: object  # (n, numpy Generator) -> n x 2 float array
    modes: np.ndarray
    sigma: float
    extent: float


def mixture(modes: np.ndarray, sigma: float):
    """Draws from the mixture of equal Gaussians of std `sigma` centred on `modes`."""
    def sample(n: int, rng: np.random.Generator) -> np.ndarray:
        centres = modes[rng.integers(len(modes), size=n)]
        return centres + sigma * rng.standard_normal((n, 2))
    return sample


def ring(count: int = 8, radius: float = 2.0) -> np.ndarray:
    angles = 2 * math.pi * np.arange(count) / count
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid(side: int = 5, spacing: float = 1.0) -> np.ndarray:
    line = spacing * (np.arange(side) - (side - 1) / 2)
    return np.stack(np.meshgrid(line, line), axis=-1).reshape(-1, 2)


def moons(n: int, rng: np.random.Generator, noise: float = 0.05) -> np.ndarray:
    """Two interleaved half circles (as scikit-learn's make_moons), centred on 0."""
    angles = math.pi * rng.random(n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(angles), 1 - np.cos(angles)) - 0.5
    y = np.where(upper, np.sin(angles), 0.5 - np.sin(angles)) - 0.25
    return np.stack([x, y], axis=1) * 1.5 + noise * rng.standard_normal((n, 2))


def spiral(n: int, rng: np.random.Generator, noise: float = 0.05) -> np.ndarray:
    """One arm turning twice around the origin, out to radius 2."""
    t = np.sqrt(rng.random(n))
    angles = 4 * math.pi * t
    points = 2 * t[:, None] * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return points + noise * rng.standard_normal((n, 2))


NO_MODES = np.zeros((0, 2))
TOYS = {
    # Metz et al. 2017's ring of 8 modes at radius 2, with sigma 0.05 rather than their
    # 0.02: with 2-D noise, G must stretch between modes, and the lab preset's run puts
    # 92 % of its fakes within 3 sigma of a mode at 0.05, 86 % at 0.02.
    "ring8": Toy(mixture(ring(8, 2.0), 0.05), ring(8, 2.0), 0.05, 3.0),
    # Srivastava et al. 2017's grid: 25 modes, 1 apart here, sigma 0.05.
    "grid25": Toy(mixture(grid(5, 1.0), 0.05), grid(5, 1.0), 0.05, 3.0),
    "moons": Toy(moons, NO_MODES, 0.0, 2.5),  # x reaches 2.25
    "spiral": Toy(spiral, NO_MODES, 0.0, 2.5),
}
TOY_NAMES = (*TOYS, "points:FILE")


def is_toy(dataset: str) -> bool:
    """Whether `dataset` names 2-D points rather than images."""
    return dataset in TOYS or dataset.startswith("points:")


POINT_FILES = (".npy", ".npz", ".csv")


def check_toy(dataset: str) -> None:
    """Refuse an unknown toy, or a points file of a kind gankit cannot read, without
    reading the file: a saved run's config is checked where its data may not be."""
    if dataset.startswith("points:"):
        if not dataset.removeprefix("points:"):
            raise ConfigError(phrase("dataset {dataset!r} names no path: give {form}",
                                     dataset=dataset, form="points:FILE"))
        if Path(dataset.removeprefix("points:")).suffix not in POINT_FILES:
            raise ConfigError(phrase("{dataset}: give a .npy, .npz or .csv file",
                                     dataset=dataset))
    elif dataset not in TOYS:
        raise ConfigError(phrase("unknown toy {dataset!r}; choose from {names}", dataset=dataset,
                                 names=", ".join(TOY_NAMES)))


def check_lab_config(config: Config) -> None:
    """What a lab run (2-D points) cannot do: FID, classes, or a noise of one number (its
    frames draw G's map of a noise plane)."""
    if config.eval_every:
        raise ConfigError(phrase("--eval-every computes FID, for images; a lab run measures "
                                 "its toy (modes, high-quality share, JS) at each frame, "
                                 "--sample-every"))
    if config.clusters or config.aux_classifier:
        raise ConfigError(phrase("the lab's toys train unconditional GANs: no --clusters or "
                                 "--aux-classifier"))
    if config.latent_dim < 2:
        raise ConfigError(phrase("a lab run needs --latent-dim 2 or more: its frames draw G's "
                                 "map of a plane of noise"))
    check_toy(config.dataset)
    if config.conditional:
        raise ConfigError(phrase("the lab's toys train unconditional GANs; {dataset} has no "
                                 "labels", dataset=config.dataset))


@dataclass
class Points:
    """A split of a lab's 2-D distribution: `points` float32 N x 2, already in the
    models' units. It has what the loop asks of a dataset (gankit.data.ImageData has the
    same): `real`, one sample's shape, and no labels."""

    points: torch.Tensor
    name: str
    labels = None
    clusters = 0
    num_classes = 0

    @property
    def real(self) -> torch.Tensor:
        return self.points

    @property
    def sample_shape(self) -> tuple[int]:
        return (2,)


def load_points(dataset: str, split: str = "train") -> Points:
    """A toy's split (or a points file's points) as Points."""
    return Points(toy_points(dataset, split), dataset)


def get_toy(dataset: str) -> Toy:
    check_toy(dataset)
    if dataset.startswith("points:"):
        return points_toy(dataset.removeprefix("points:"))
    return TOYS[dataset]


def points_toy(path: str) -> Toy:
    """Points from a .npy file (N x 2), a .npz (`points`, and optionally `modes` K x 2
    and `sigma`) or a .csv of two columns; training resamples them with replacement.
    Frames show the square around 0 that holds them all: centre them near 0."""
    points, modes, sigma = read_points(Path(path))
    extent = float(np.abs(points).max()) * 1.15 or 1.0

    def sample(n: int, rng: np.random.Generator) -> np.ndarray:
        return points[rng.integers(len(points), size=n)]
    return Toy(sample, modes, sigma, extent)


def read_points(path: Path) -> tuple[np.ndarray, np.ndarray, float]:
    try:
        if path.is_file() and not path.stat().st_size:
            raise DataError(phrase("{path} is empty (0 bytes), so it holds no points: give a "
                                   "file of N x 2 numbers", path=path))
        if path.suffix == ".csv":
            points, modes, sigma = np.loadtxt(path, delimiter=",", ndmin=2), NO_MODES, None
        elif path.suffix == ".npy":
            points, modes, sigma = np.load(path, allow_pickle=False), NO_MODES, None
        elif path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                if "points" not in archive:
                    raise DataError(phrase("{path} holds no array named 'points'", path=path))
                points = archive["points"]
                modes = archive["modes"] if "modes" in archive else NO_MODES
                sigma = archive["sigma"] if "sigma" in archive else None
    except (OSError, ValueError, TypeError, EOFError, zipfile.BadZipFile) as e:
        raise DataError(phrase("cannot read points from {path}: {error}", path=path,
                               error=e)) from None
    for name, array in (("points", points), ("modes", modes)):
        _check_numbers(path, name, array)
        if array.ndim != 2 or array.shape[1] != 2:
            raise DataError(phrase("{path}: {name} must be finite numbers, N x 2; got shape "
                                   "{shape}", path=path, name=name, shape=array.shape))
    if not len(points):
        raise DataError(phrase("{path} holds no points", path=path))
    if sigma is not None:
        _check_numbers(path, "sigma", sigma)
        if sigma.size != 1:
            raise DataError(phrase("{path}: sigma must be one number; got shape {shape}",
                                   path=path, shape=sigma.shape))
    sigma = 0.0 if sigma is None else float(sigma.reshape(-1)[0])
    if len(modes) and not sigma > 0:
        raise DataError(phrase("{path}: modes need sigma, their spread, a positive number",
                               path=path))
    return points.astype(np.float32), modes.astype(np.float64), sigma


def _check_numbers(path: Path, name: str, array: np.ndarray) -> None:
    """Refuse an array that is not of real numbers (complex, text, booleans...), or that
    holds a value that is not finite or beyond ±MAX_COORDINATE, checked in float64 before
    the points become float32 (where 1e300 is infinite)."""
    if array.dtype.kind not in "iuf":
        raise DataError(phrase("{path}: {name} has dtype {dtype}; gankit reads real numbers "
                               "only (integers or floats)", path=path, name=name,
                               dtype=array.dtype.name))
    values = array.astype(np.float64)
    if not np.isfinite(values).all():
        raise DataError(phrase("{path}: {name} must be finite, found {value}",
                               path=path, name=name, value=values[~np.isfinite(values)][0]))
    if values.size and np.abs(values).max() > MAX_COORDINATE:
        raise DataError(phrase("{path}: {name} must lie within ±{limit:,.0f}, found {value:g}: "
                               "gankit trains on the points as they are, so scale them to a "
                               "few units", path=path, name=name, limit=MAX_COORDINATE,
                               value=values.flat[np.abs(values).argmax()]))


def toy_points(dataset: str, split: str) -> torch.Tensor:
    """The fixed sample of a toy that a split holds, as float32 N x 2 (the test split is
    another draw, for measuring)."""
    toy = get_toy(dataset)
    count, index = (TRAIN_POINTS, 0) if split == "train" else (TEST_POINTS, 1)
    points = toy.sample(count, seeds.numpy_generator("toy_points", index=index))
    return torch.from_numpy(np.asarray(points, dtype=np.float32))


def toy_metrics(fakes: np.ndarray, toy: Toy, real: np.ndarray) -> dict[str, float | list[int]]:
    """Measures of `fakes` (N x 2): with known modes, `modes` covered (a mode counts when
    at least COVERED_SHARE of the fakes lie within 3 sigma of it), which ones (`covered`,
    their indices in `toy.modes`: a collapse keeps them, an oscillation moves them) and
    `high_quality`, the
    share of fakes within 3 sigma of some mode; always `js`, the Jensen-Shannon divergence
    in bits (0: same, 1: disjoint) between fakes and `real` counted in BINS x BINS cells."""
    fakes = np.asarray(fakes, dtype=np.float64)
    results = {}
    if len(toy.modes):
        distances = np.linalg.norm(fakes[:, None, :] - toy.modes[None, :, :], axis=2)
        nearest = distances.argmin(axis=1)
        close = distances[np.arange(len(fakes)), nearest] <= 3 * toy.sigma
        counts = np.bincount(nearest[close], minlength=len(toy.modes))
        covered = np.flatnonzero(counts >= COVERED_SHARE * len(fakes))
        results["modes"] = len(covered)
        results["covered"] = covered.tolist()
        results["high_quality"] = float(close.mean())
    results["js"] = binned_js(fakes, real, toy.extent)
    return results


def binned_js(a: np.ndarray, b: np.ndarray, extent: float) -> float:
    """Jensen-Shannon divergence in bits between two point clouds, from their histograms
    over BINS x BINS cells of the square of half-width `extent` (points outside it count
    in the border cells)."""
    edges = np.linspace(-extent, extent, BINS + 1)

    def histogram(points: np.ndarray) -> np.ndarray:
        clipped = np.clip(points, -extent, extent)
        counts, _, _ = np.histogram2d(clipped[:, 0], clipped[:, 1], bins=[edges, edges])
        return counts.ravel() / max(len(points), 1)

    p, q = histogram(a), histogram(b)
    mean = (p + q) / 2

    def kl(x: np.ndarray) -> float:
        inside = x > 0
        return float((x[inside] * np.log2(x[inside] / mean[inside])).sum())
    return max(0.0, (kl(p) + kl(q)) / 2)
