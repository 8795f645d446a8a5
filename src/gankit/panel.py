"""A live training panel for Jupyter: one output area, updated in place.

It holds a progress bar, the notebook's three status lines, the newest fixed-noise
grid, the report's loss and D-output curves, and FID when evaluated. It needs only
IPython.display (no widgets), so it works in JupyterLab, Notebook 7, VS Code and Colab,
and the saved notebook keeps only its last state, whatever the length of the run.
"""

from __future__ import annotations

import functools
import html
import sys
import time
from collections import deque

from gankit.errors import ConfigError, phrase
from gankit.inline import bytes_uri
from gankit.language import number, resolve_language, say
from gankit.report import FRAME_CHARTS, training_charts

REFRESH_S = 0.5  # at most two redraws a second, as notebook trainers do


def in_notebook() -> bool:
    """Whether this process is an IPython kernel (Jupyter, VS Code, Colab)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    return getattr(shell, "kernel", None) is not None


# Where a Run or a Lab shows itself, in the same words for both: "notebook" the live panel
# (a Jupyter kernel only), "terminal" the status lines (a Lab has none), "none" nothing
# (the run's files are written all the same), "auto" the panel inside a kernel, else the
# terminal's lines.
DISPLAYS = ("auto", "terminal", "notebook", "none")


def shows_panel(display: str) -> bool:
    """Whether `display` means the live panel here; a word not in DISPLAYS, or "notebook"
    outside a kernel, is refused."""
    if display not in DISPLAYS:
        raise ConfigError(phrase("display must be one of {choices}, got {display!r}",
                                 choices=", ".join(DISPLAYS), display=display))
    if display == "notebook" and not in_notebook():
        raise ConfigError(phrase("display='notebook' needs a Jupyter kernel; use 'terminal'"))
    return display == "notebook" or display == "auto" and in_notebook()


class LivePanel:
    """The panel's state and its display handle; `refresh` redraws at most every
    REFRESH_S seconds unless forced."""

    def __init__(self, title: str, total_steps: int, step: int = 0,
                 records: list[dict] | None = None, grid_png: bytes | None = None,
                 grid_step: int = 0, language: str | None = None, lab: bool = False):
        """`lab` shows a lab frame, drawn wide, where an image run shows its grid;
        `language` None is the session's (gankit.set_language)."""
        from IPython.display import display

        self.title = title
        self.language = resolve_language(language)
        self.lab = lab
        self.total_steps = total_steps
        self.first_step = self.step = step
        self.epoch_text = ""
        self.status_text = ""
        self.messages: deque[str] = deque(maxlen=4)
        self.records = list(records or [])
        self.grid_png, self.grid_step = grid_png, grid_step
        self.started = time.perf_counter()
        self.drawn = 0.0
        self.handle = display(_Html(self.html(), self.text()), display_id=True)

    def progress(self, step: int, epoch_text: str = "") -> None:
        self.step = step
        self.epoch_text = epoch_text or self.epoch_text
        self.refresh()

    def status(self, text: str, record: dict) -> None:
        """`text`: the status lines in the panel's language (runlog.status_lines)."""
        self.status_text = text
        self.records.append(record)
        self.refresh()

    def evaluation(self, record: dict) -> None:
        self.records.append(record)
        self.refresh(force=True)

    def grid(self, png: bytes, step: int) -> None:
        self.grid_png, self.grid_step = png, step
        self.refresh(force=True)

    def message(self, text: str) -> None:
        self.messages.append(text)
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        now = time.perf_counter()
        if force or now - self.drawn >= REFRESH_S:
            self.drawn = now
            self.handle.update(_Html(self.html(), self.text()))

    def text(self) -> str:
        """The plain-text form, for front ends that show no HTML."""
        lines = [f"{self.title}: {self.progress_text()}"]
        return "\n".join(lines + [self.status_text] + list(self.messages)).strip()

    def html(self) -> str:
        elapsed = time.perf_counter() - self.started
        done = self.step - self.first_step
        rate = done / elapsed if elapsed > 0 and done else 0.0
        left = (self.total_steps - self.step) / rate if rate else 0.0
        words = functools.partial(say, self.language)
        timing = words("elapsed", time=_minutes(elapsed)) + (
            ", " + words("speed", rate=number(rate, self.language, 1), time=_minutes(left))
            if rate else "")
        parts = [
            f'<div style="{BOX}"><div style="font-weight: 600">{html.escape(self.title)}</div>',
            f'<div><progress value="{self.step}" max="{max(self.total_steps, 1)}" '
            f'style="width: 60%; max-width: 420px; vertical-align: middle"></progress> '
            f"{html.escape(self.progress_text())} · {html.escape(timing)}</div>",
        ]
        if self.status_text:
            parts.append(f'<pre style="{PRE}">{html.escape(self.status_text)}</pre>')
        figures = []
        if self.grid_png:
            uri = bytes_uri(self.grid_png, "image/png")
            size = ("width: 100%; max-width: 980px" if self.lab
                    else "width: 280px; image-rendering: pixelated")
            caption = words("lab_frame" if self.lab else "fixed_noise", step=self.grid_step)
            alt = words("lab_frame_alt" if self.lab else "samples_at", step=self.grid_step)
            figures.append(f'<figure style="margin: 0 12px 0 0; text-align: center">'
                           f'<img src="{uri}" alt="{html.escape(alt)}" '
                           f'style="{size}"><figcaption style="font-size: 12px; color: #666">'
                           f'{html.escape(caption)}</figcaption></figure>')
        # A lab frame draws the losses and the measures itself: not twice.
        charts = "".join(f'<div style="font-size: 12px; color: #555">{html.escape(title)}</div>'
                         f"{chart}" for title, chart in training_charts(
                             self.records, language=self.language,
                             leave_out=FRAME_CHARTS if self.lab else ()))
        figures.append(f'<div style="flex: 1 1 360px; min-width: 300px">{charts}</div>')
        parts.append(f'<div style="display: flex; flex-wrap: wrap; align-items: flex-start">'
                     f'{"".join(figures)}</div>')
        if self.messages:
            parts.append(f'<pre style="{PRE} color: #555">'
                         f'{html.escape(chr(10).join(self.messages))}</pre>')
        return "".join(parts) + "</div>"

    def progress_text(self) -> str:
        """`step 120/23450, epoch 0/50`, in the panel's language."""
        epoch = f", {self.epoch_text}" if self.epoch_text else ""
        return f"{say(self.language, 'step')} {self.step}/{self.total_steps}{epoch}"


class _Html:
    """A display object with an HTML and a plain-text form."""

    def __init__(self, markup: str, text: str):
        self.markup, self.text = markup, text

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return self.text


def _minutes(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


BOX = "font-family: system-ui, sans-serif; font-size: 13px; line-height: 1.4; max-width: 980px"
PRE = "margin: 6px 0; padding: 4px 6px; background: #f6f6f6; font-size: 12px;"
