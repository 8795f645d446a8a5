"""Image files inline in an HTML page, as data: URIs: the report and the notebooks show
them with no file beside the page, offline. No torch here: `gankit report` stays light."""

from __future__ import annotations

import base64
import html
from pathlib import Path

MEDIA_TYPES = {".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg",
               ".jpeg": "image/jpeg", ".webp": "image/webp", ".svg": "image/svg+xml"}


def data_uri(path: str | Path) -> str:
    """An image file as a data: URI."""
    path = Path(path)
    return bytes_uri(path.read_bytes(), MEDIA_TYPES.get(path.suffix.lower(), "image/png"))


def bytes_uri(data: bytes, media_type: str) -> str:
    return f"data:{media_type};base64," + base64.b64encode(data).decode()


def html_image(path: str | Path, alt: str, width: int, caption: str = "") -> str:
    """An <img> holding the file itself, with its alternative text, pixels kept sharp;
    in a captioned <figure> when `caption` is given. For IPython.display.HTML."""
    image = (f'<img src="{data_uri(path)}" alt="{html.escape(alt)}" width="{width}" '
             'style="image-rendering: pixelated">')
    if not caption:
        return image
    return (f'<figure style="display: inline-block; margin: 0 6px; text-align: center">{image}'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")
