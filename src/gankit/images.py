"""Converting generator output to uint8 images, tiling them into grids, and showing
image files inline in HTML (notebooks, reports)."""

from __future__ import annotations

import base64
import html
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
    """The fewest columns, from the square root up to twice it, that fill every row;
    the square root's ceiling when none does (a prime count)."""
    least = math.ceil(math.sqrt(count))
    return next((c for c in range(least, 2 * least + 1) if count % c == 0), least)


def save_png(image: np.ndarray, path: str | Path) -> None:
    """Save an H x W x C uint8 array (C = 1 or 3) as a PNG."""
    from PIL import Image

    Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(path)


def data_uri(path: str | Path) -> str:
    """A PNG or GIF file as a data: URI, so that a page shows it with no file beside it."""
    path = Path(path)
    kind = "gif" if path.suffix.lower() == ".gif" else "png"
    return f"data:image/{kind};base64," + base64.b64encode(path.read_bytes()).decode()


def html_image(path: str | Path, alt: str, width: int, caption: str = "") -> str:
    """An <img> holding the file itself, with its alternative text, pixels kept sharp;
    in a captioned <figure> when `caption` is given. For IPython.display.HTML."""
    image = (f'<img src="{data_uri(path)}" alt="{html.escape(alt)}" width="{width}" '
             'style="image-rendering: pixelated">')
    if not caption:
        return image
    return (f'<figure style="display: inline-block; margin: 0 6px; text-align: center">{image}'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")
