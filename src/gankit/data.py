"""Datasets as one uint8 tensor, the IDX reader, and seeded batch order.

The whole training set lives as a uint8 N x C x H x W tensor on the training device;
a batch is one index gather, scaled to [-1, 1] (the notebook left real pixels in
[0, 1] while its fakes were in [-1, 1]).
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import sys
import urllib.request
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from gankit import seeds
from gankit.distributed import main_process_first
from gankit.errors import ConfigError, DataError, phrase

BUNDLED_MNIST_DIR = Path(str(resources.files("gankit") / "assets" / "mnist"))
FASHION_MNIST_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}
# Pillow's modes for 16-bit grayscale; a PNG opens as "I" before Pillow 10.3, as "I;16" after
# (which Pillow resamples from version 11 on).
SIXTEEN_BIT_MODES = {"I", "I;16", "I;16L", "I;16B", "I;16N"}
# Modes whose conversion to L or RGB commutes with resizing (up to rounding), so that a large
# image is shrunk before any converted copy of it is made. The others are converted first:
# Pillow resizes palette and 1-bit images by nearest neighbour, and alpha is premultiplied.
SHRINK_FIRST_MODES = {"L", "RGB", *SIXTEEN_BIT_MODES}

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# sha256 of the *uncompressed* IDX payloads, so that a re-compressed copy (Debian's)
# and the mirror's .gz files verify alike.
FASHION_MNIST_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

# Bounds on an IDX header, far above any image dataset this reads (MNIST's training
# images are 3 dimensions and 47 million bytes); without them a header of zero-sized and
# huge dimensions passes the length check and numpy refuses the shape with a traceback.
MAX_IDX_DIMS = 4
MAX_IDX_ELEMENTS = 2**32

_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class Dataset(Protocol):
    """What the loop asks of a dataset's split: ImageData here, gankit.toys.Points for the
    lab's 2-D points."""

    name: str
    labels: torch.Tensor | None
    clusters: int

    @property
    def real(self) -> torch.Tensor: ...  # the examples batches are drawn from, N x sample_shape

    @property
    def sample_shape(self) -> tuple[int, ...]: ...

    @property
    def num_classes(self) -> int: ...


@dataclass
class ImageData:
    """A dataset split: images uint8 N x C x H x W, labels int64 N (or None). After
    `cluster_images(data, k, seed)` the labels are the images' k-means clusters, and
    `clusters` is k (0 for a dataset's own labels). The lab's 2-D points are
    gankit.toys.Points, with the same `real` and `sample_shape`."""

    images: torch.Tensor
    labels: torch.Tensor | None
    name: str
    clusters: int = 0

    @property
    def real(self) -> torch.Tensor:
        """What the loop draws its batches of real examples from: the images."""
        return self.images

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])

    sample_shape = image_shape

    @property
    def num_classes(self) -> int:
        """Classes in the labels (0 when unlabelled)."""
        return 0 if self.labels is None else int(self.labels.max()) + 1


def load_images(
    dataset: str,
    split: str = "train",
    data_dir: str = "",
    image_size: int = 28,
    channels: int = 1,
    others: tuple[str, ...] = (),
) -> ImageData:
    """Load an image dataset by name: mnist, fashion-mnist or folder:PATH (gankit's
    load_dataset also knows the lab's points, whose names `others` gives for a refusal)."""
    check_images(dataset, image_size, channels, others=others)
    if dataset.startswith("folder:"):
        return load_image_folder(dataset.removeprefix("folder:"), image_size, channels)
    return DATASETS[dataset](split, data_dir)


def check_images(dataset: str, image_size: int, channels: int, conditional: bool = False,
                 others: tuple[str, ...] = ()) -> None:
    """Refuse a dataset name that is not registered, a size it does not come in, or
    class labels it does not have (image folders have none); an unknown name's message
    lists `others` too, the datasets of other kinds."""
    if dataset.startswith("folder:"):
        if conditional:
            raise ConfigError(phrase("--conditional needs a labelled dataset; {dataset} has none",
                                     dataset=dataset))
        return
    if dataset not in DATASETS:
        names = ", ".join([*DATASETS, "folder:PATH", *others])
        raise ConfigError(phrase("unknown dataset {dataset!r}; choose from {names}",
                                 dataset=dataset, names=names))
    if channels != 1 or image_size != 28:
        raise ConfigError(phrase("{dataset} is 28x28 grayscale: use image_size 28 and "
                                 "channels 1", dataset=dataset))


def dataset_slug(dataset: str) -> str:
    """A short, path-safe name for run directories."""
    for kind in ("folder", "points"):
        if dataset.startswith(f"{kind}:"):
            path = Path(dataset.removeprefix(f"{kind}:")).resolve()
            name = (path.stem if kind == "points" else path.name) or kind
            return f"{kind}-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    return dataset


def batch_order(num_images: int, seed: int, epoch: int) -> torch.Tensor:
    """The shuffle of one epoch: a pure function of (seed, epoch), so runs resume exactly."""
    generator = seeds.generator("batch_order", seed, epoch)
    return torch.randperm(num_images, generator=generator)


def num_batches(num_images: int, batch_size: int, world_size: int = 1) -> int:
    """Batches per epoch. The notebook keeps the last partial batch; several processes
    keep it while every rank still gets at least one image of it."""
    full, rest = divmod(num_images, batch_size * world_size)
    return full + (rest >= world_size)


def iterate_batches(
    images: torch.Tensor, batch_size: int, seed: int, epoch: int, start: int = 0,
    rank: int = 0, world_size: int = 1, labels: torch.Tensor | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
    """Yield (images in [-1, 1], labels or None) batches of one epoch, from batch `start` on;
    float data (the lab's points) come as they are.

    With several processes every rank draws the same order and takes its own part of
    each global batch of batch_size x world_size images.
    """
    order = batch_order(len(images), seed, epoch).to(images.device)
    global_batch = batch_size * world_size
    for i in range(start, num_batches(len(images), batch_size, world_size)):
        index = order[i * global_batch : (i + 1) * global_batch].tensor_split(world_size)[rank]
        batch = images[index]
        if batch.dtype == torch.uint8:
            batch = batch.float().div_(127.5).sub_(1.0)
        yield batch, None if labels is None else labels[index]


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw), validating magic, dimensions and length."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(phrase("cannot read {path}: {reason}", path=path,
                               reason=e.strerror or e)) from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise DataError(phrase("{path} is a corrupt or truncated gzip file ({error})",
                                   path=path, error=e)) from None
    return parse_idx(raw, str(path))


def parse_idx(raw: bytes, name: str = "IDX data") -> np.ndarray:
    """Parse the bytes of an uncompressed IDX file."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(phrase("{name} is not an IDX file (bad magic number {magic})",
                               name=name, magic=raw[:4].hex() or phrase("empty")))
    dtype, ndim = _IDX_DTYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(phrase("{name} has a truncated or invalid IDX header", name=name))
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, offset=4))
    if ndim > MAX_IDX_DIMS or math.prod(d for d in shape if d) > MAX_IDX_ELEMENTS:
        raise DataError(phrase("{name} has an implausible IDX shape {shape} (at most {dims} "
                               "dimensions and {elements:,} elements)", name=name,
                               shape="x".join(map(str, shape)), dims=MAX_IDX_DIMS,
                               elements=MAX_IDX_ELEMENTS))
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(phrase(
            "{name} is truncated: header says {shape} ({expected} bytes of data), found {found}"
            if len(raw) - header < expected else "{name} has trailing bytes: header says "
            "{shape} ({expected} bytes of data), found {found}", name=name,
            shape="x".join(map(str, shape)), expected=expected, found=len(raw) - header))
    return np.frombuffer(raw, dtype, offset=header).reshape(shape)


def load_idx_split(directory: Path, split: str, checksums: dict | None = None) -> ImageData:
    """Read the images and labels files of one split from a folder (.gz or raw)."""
    image_stem, label_stem = SPLIT_FILES[split]
    images = _read_checked(_find_file(directory, image_stem), checksums)
    labels = _read_checked(_find_file(directory, label_stem), checksums)
    if images.ndim != 3 or labels.ndim != 1:
        raise DataError(phrase(
            "{directory}: expected N x H x W images and N labels, got shapes {images} and "
            "{labels}", directory=directory, images=images.shape, labels=labels.shape))
    if len(images) != len(labels):
        raise DataError(phrase(
            "{directory}: {images} images but {labels} labels in the {split} split",
            directory=directory, images=len(images), labels=len(labels), split=split))
    if len(images) == 0:
        raise DataError(phrase("{directory}: the {split} split holds no images",
                               directory=directory, split=split))
    tensor = torch.from_numpy(images.astype(np.uint8, copy=True)).unsqueeze(1)
    return ImageData(tensor, torch.from_numpy(labels.astype(np.int64)), directory.name)


def load_image_folder(path: str, image_size: int, channels: int) -> ImageData:
    """Every png/jpg file below `path`, converted to grayscale or RGB, centre-cropped and
    resized. Unreadable images, and those over Pillow's decompression-bomb limit, are
    skipped with a count on stderr."""
    from PIL import Image, UnidentifiedImageError

    root = Path(path)
    if not root.is_dir():
        raise DataError(phrase("image folder not found: {root}", root=root))
    files = _image_files(root)
    if not files:
        raise DataError(phrase("image folder {root} holds no .png or .jpg files", root=root))
    mode = "L" if channels == 1 else "RGB"
    arrays, unreadable, too_large = [], 0, 0
    with warnings.catch_warnings():
        # Pillow also warns of each image over half that limit: such an image is read.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        for file in files:
            try:
                arrays.append(_read_image(file, image_size, mode))
            except Image.DecompressionBombError:
                too_large += 1
            except (OSError, UnidentifiedImageError, ValueError):
                unreadable += 1
    if not arrays:
        raise DataError(phrase("image folder {root}: none of its {count} image files could "
                               "be read ({why})" if too_large else "image folder {root}: none "
                               "of its {count} image files could be read", root=root,
                               count=len(files), why=too_large and _too_large_images(too_large)))
    if unreadable:
        print(phrase("gankit: skipped {count} unreadable image file(s) in {root}",
                     count=unreadable, root=root), file=sys.stderr)
    if too_large:
        print(phrase("gankit: skipped {images} in {root}", images=_too_large_images(too_large),
                     root=root), file=sys.stderr)
    stacked = np.stack(arrays).reshape(len(arrays), image_size, image_size, channels)
    images = torch.from_numpy(stacked).permute(0, 3, 1, 2).contiguous()
    return ImageData(images, None, dataset_slug(f"folder:{path}"))


def _image_files(root: Path) -> list[Path]:
    """The png/jpg regular files below `root` (links to them too), sorted. A FIFO named
    like an image would block its reader forever; os.path.isfile is False for it, for a
    socket or folder, and for a link that leads nowhere or in a loop."""
    return sorted(p for p in root.rglob("*")
                  if p.suffix.lower() in IMAGE_SUFFIXES and os.path.isfile(p))


def _too_large_images(count: int) -> str:
    from PIL import Image

    # Pillow refuses to open an image of more than twice MAX_IMAGE_PIXELS.
    return phrase("{count} image(s) larger than Pillow's limit of {limit:,} pixels",
                  count=count, limit=2 * Image.MAX_IMAGE_PIXELS)


def _read_image(file: Path, size: int, mode: str) -> np.ndarray:
    """One image as a size x size array in `mode` (L or RGB), decoded and kept no larger
    than the format and the conversion allow."""
    from PIL import Image

    with Image.open(file) as image:
        # A JPEG decodes at 1/2, 1/4 or 1/8 scale, and grayscale from its luma alone.
        image.draft(mode, (size, size))
        if image.mode in SHRINK_FIRST_MODES:
            return np.asarray(_convert(_square(image, size), mode))
        return np.asarray(_square(_convert(image, mode), size))


def _convert(image, mode: str):
    """`image` in `mode`, 16-bit grayscale scaled rather than clipped."""
    return (_eight_bit(image) if image.mode in SIXTEEN_BIT_MODES else image).convert(mode)


def _eight_bit(image):
    """16-bit grayscale as 8 bits, v / 257 rounded half up: Pillow's convert("L") clips
    every value above 255 to white instead."""
    from PIL import Image

    values = np.asarray(image, dtype=np.int64).clip(0, 65535)
    return Image.fromarray(((values + 128) // 257).astype(np.uint8))


def _square(image, size: int):
    """The centred square of `image` resized to size x size, in one pass from the
    original: no cropped copy."""
    from PIL import Image

    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return image.resize((size, size), Image.Resampling.BICUBIC,
                        box=(left, top, left + side, top + side))


def _find_file(directory: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (directory / name).is_file():
            return directory / name
    raise DataError(phrase("{directory} has no {stem}.gz or {stem}", directory=directory,
                           stem=stem))


def _read_checked(path: Path, checksums: dict | None, stem: str = "") -> np.ndarray:
    array = read_idx(path)
    if checksums is not None:
        stem = stem or path.name.removesuffix(".gz")
        digest = hashlib.sha256(_idx_bytes(array)).hexdigest()
        if digest != checksums[stem]:
            raise DataError(phrase("{path}: sha256 mismatch (got {digest}, expected "
                                   "{expected})", path=path, digest=digest,
                                   expected=checksums[stem]))
    return array


def _idx_bytes(array: np.ndarray) -> bytes:
    """Re-encode a parsed IDX array exactly as its uncompressed file."""
    code = next(c for c, d in _IDX_DTYPES.items() if d == array.dtype)
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return header + array.tobytes()


def _mnist(split: str, data_dir: str) -> ImageData:
    directory = Path(data_dir) if data_dir else BUNDLED_MNIST_DIR
    if not directory.is_dir():
        raise DataError(phrase("data dir not found: {directory}", directory=directory))
    data = load_idx_split(directory, split)
    return ImageData(data.images, data.labels, "mnist")


def _fashion_mnist(split: str, data_dir: str) -> ImageData:
    if data_dir:
        directory = Path(data_dir)
        if not directory.is_dir():
            raise DataError(phrase("data dir not found: {directory}", directory=directory))
        with main_process_first():  # under torchrun one rank downloads, the others wait
            if not any(directory.iterdir()):
                mirror = os.environ.get("GANKIT_FASHION_MNIST_MIRROR", FASHION_MNIST_MIRROR)
                _download(mirror, directory, FASHION_MNIST_SHA256)
    elif FASHION_MNIST_DEBIAN_DIR.is_dir():
        directory = FASHION_MNIST_DEBIAN_DIR
    else:
        raise DataError(phrase(
            "Fashion-MNIST not found: install Debian's dataset-fashion-mnist, or pass "
            "--data-dir DIR (an empty DIR is filled from the official mirror)"))
    data = load_idx_split(directory, split, FASHION_MNIST_SHA256)
    return ImageData(data.images, data.labels, "fashion-mnist")


def _download(base_url: str, directory: Path, checksums: dict) -> None:
    """Fetch each .gz file and move it into place only once its payload's sha256 matches."""
    for stem in checksums:
        target = directory / f"{stem}.gz"
        # A name of its own: processes that download at once never write one file.
        partial = directory / f".{stem}.gz.part{os.getpid()}"
        try:
            with urllib.request.urlopen(base_url + target.name, timeout=60) as response:
                partial.write_bytes(response.read())
            _read_checked(partial, checksums, stem)
            os.replace(partial, target)
        except OSError as e:
            raise DataError(phrase("cannot download {url}: {error}",
                                   url=base_url + target.name, error=e)) from None
        finally:
            partial.unlink(missing_ok=True)


DATASETS = {
    "mnist": _mnist,
    "fashion-mnist": _fashion_mnist,
}
