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


def fitted_image(data: bytes, media_type: str, alt: str) -> str:
    """An <img> holding `data`, with its alternative text, no wider than its container."""
    return (f'<img src="{bytes_uri(data, media_type)}" alt="{html.escape(alt)}" '
            'style="max-width: 100%">')


def html_image(path: str | Path, alt: str, width: int, caption: str = "") -> str:
    """An <img> holding the file itself, with its alternative text, pixels kept sharp;
    in a captioned <figure> when `caption` is given. For IPython.display.HTML."""
    image = (f'<img src="{data_uri(path)}" alt="{html.escape(alt)}" width="{width}" '
             'style="image-rendering: pixelated">')
    if not caption:
        return image
    return (f'<figure style="display: inline-block; margin: 0 6px; text-align: center">{image}'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


class Described:
    """A matplotlib figure as Jupyter shows it, a PNG, with its alternative text: the
    figure's own display (and nbconvert's) has none. `gankit.described(figure, alt)`."""

    def __init__(self, figure, alt: str):
        import io

        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight")
        self.png, self.alt = buffer.getvalue(), alt

    def _repr_html_(self) -> str:
        return fitted_image(self.png, "image/png", self.alt)

    def __repr__(self) -> str:
        return self.alt


def described(figure, alt: str) -> Described:
    """`figure` (matplotlib) with its alternative text, for a notebook to show: close a
    pyplot figure first, or Jupyter shows it twice."""
    return Described(figure, alt)
