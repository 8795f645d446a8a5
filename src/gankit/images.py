"""Converting generator output to uint8 images and tiling them into grids."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Images in [-1, 1], N x C x H x W, to uint8 N x H x W x C on the host."""
    scaled = ((images.detach().float() + 1) * 127.5).round_().clamp_(0, 255)
    return scaled.to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def make_grid(images: np.ndarray, columns: int = 0, padding: int = 2) -> np.ndarray:
    """Tile uint8 N x H x W x C images into one H' x W' x C image, row by row; by default
    as square as it can be with no empty cell (32 images: 8 x 4, not 6 x 6 with 4 empty)."""
    count, height, width, channels = images.shape
    columns = columns or square_columns(count)
    rows = math.ceil(count / columns)
    grid = np.zeros(
        (rows * (height + padding) + padding, columns * (width + padding) + padding, channels),
        dtype=np.uint8,
    )
    for i, image in enumerate(images):
        top = padding + (i // columns) * (height + padding)
        left = padding + (i % columns) * (width + padding)
        grid[top : top + height, left : left + width] = image
    return grid


def square_columns(count: int) -> int:
    """The fewest columns, from the square root's ceiling up to twice it, that fill every
    row; the square root's ceiling when none does (7 images: 3 columns, 2 cells empty)."""
    least = max(1, math.ceil(math.sqrt(count)))
    return next((c for c in range(least, 2 * least + 1) if count % c == 0), least)


def save_png(image: np.ndarray, path: str | Path, palette: bool = False) -> None:
    """Save an H x W x C uint8 array (C = 1 or 3) as a PNG, whole or not at all; with
    `palette`, in 256 colours (see png_image)."""
    from gankit.atomic import replacing

    with replacing(path) as temporary:
        png_image(image, palette).save(temporary, format="PNG")


def png_bytes(image: np.ndarray, palette: bool = False) -> bytes:
    """An H x W x C uint8 array as the bytes of a PNG file (see png_image)."""
    import io

    buffer = io.BytesIO()
    png_image(image, palette).save(buffer, format="PNG")
    return buffer.getvalue()


def png_image(image: np.ndarray, palette: bool = False):
    """The PIL image a PNG of `image` holds. With `palette`, 256 colours chosen by median
    cut: a drawn figure (a lab frame) loses nothing visible and takes a third of the bytes.
    A 1,400 x 540 frame on 2026-12-07: 73 KB in 0.12 s, against 201 KB in 0.06 s as RGB
    and 196 KB in 0.40 s as RGB at zlib's best compression."""
    from PIL import Image

    picture = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
    if palette:
        picture = picture.quantize(256, method=Image.Quantize.MEDIANCUT,
                                   dither=Image.Dither.NONE)
    return picture
