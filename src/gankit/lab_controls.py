"""The lab's controls in Jupyter, with ipywidgets: buttons and sliders that drive a `Lab`
(`Lab.controls()`), and a player that scrubs a finished lab run's frames (`lab_player`).

Both are widgets whose text form, where no widget can be drawn (nbconvert, a code host's
preview of a notebook), is the frame they show, as an image with its alt text.
"""

from __future__ import annotations

import functools
import html
import math
import time
from pathlib import Path

from gankit import records
from gankit.errors import GankitError, phrase
from gankit.frames import LabPicture, metrics_line
from gankit.language import number, resolve_language, say
from gankit.losses import LOSSES
from gankit.report import read_config
from gankit.rundir import GRID, RunDir
from gankit.toys import get_toy

ROUNDS_PER_FRAME = 10  # a Play tick: this many rounds of n_critic D updates and one G update
TICK_MS = 800  # between Play's ticks; a tick's rounds and frame took about 0.5 s on 2 cores
BACKLOG_S = 0.05  # a tick this soon after the last one's work ended had queued behind it
R1_WEIGHTS = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


def widgets():
    """ipywidgets 8 or later, or None where it is missing or older (7's Play has no
    `playing`, and its widgets bypass the fallback's _repr_mimebundle_)."""
    try:
        import ipywidgets
    except ImportError:
        return None
    return ipywidgets if int(ipywidgets.__version__.split(".")[0]) >= 8 else None


def without_widgets(picture: LabPicture, language: str) -> LabPicture:
    """The frame alone, its caption saying how to get the widgets: a notebook run from top
    to bottom goes on."""
    return LabPicture(picture.png, say(language, "control_no_widgets"), picture.alt)


def shown(box, picture: LabPicture):
    """`box` with the frame as its text form, for where no widget frontend runs."""
    box.picture = picture
    return box


@functools.cache
def _box_class():
    import ipywidgets

    class FrameBox(ipywidgets.VBox):
        """A VBox whose output also carries its frame, as HTML with its alt text: Jupyter
        draws the widget, nbconvert and previews the first form they can (the frame)."""

        picture: LabPicture | None = None

        def _repr_mimebundle_(self, **kwargs):
            bundle = super()._repr_mimebundle_(**kwargs)
            if self.picture is not None:
                data = bundle[0] if isinstance(bundle, tuple) else bundle
                data["text/html"] = self.picture._repr_html_()
            return bundle

    return FrameBox


def lab_controls(lab):
    """The controls of `lab`: see Lab.controls."""
    ipywidgets = widgets()
    words = lab.language
    if ipywidgets is None:
        return without_widgets(lab.picture(), words)
    if lab.handle:  # the Lab's own panel: the controls show the frame from now on
        from IPython.display import HTML

        lab.handle.update(HTML(""))
        lab.handle = None
    config = lab.config
    play = ipywidgets.Play(value=0, min=0, max=10**9, step=1, interval=TICK_MS,
                           show_repeat=False, description=say(words, "control_play"))
    step_d = ipywidgets.Button(description=say(words, "control_step_d"))
    step_g = ipywidgets.Button(description=say(words, "control_step_g"))
    reset = ipywidgets.Button(description=say(words, "control_reset"))
    style = {"description_width": "16em"}
    layout = ipywidgets.Layout(width="36em")

    def rate(key: str, value: float):
        # A range that holds the config's own value: a slider clamps what it cannot show.
        return ipywidgets.FloatLogSlider(value=value, base=10,
                                         min=min(-5, math.floor(math.log10(value))),
                                         max=max(-1, math.ceil(math.log10(value))), step=0.1,
                                         description=say(words, key), readout_format=".1e",
                                         continuous_update=False, style=style, layout=layout)

    from gankit.steps import network_lr

    g_lr = rate("control_g_lr", network_lr(config, "g"))
    d_lr = rate("control_d_lr", network_lr(config, "d"))
    n_critic = ipywidgets.IntSlider(value=config.n_critic, min=1, max=max(10, config.n_critic),
                                    description=say(words, "control_n_critic"),
                                    continuous_update=False, style=style, layout=layout)
    r1 = ipywidgets.SelectionSlider(options=[(number(w, words), w) for w in
                                             sorted({*R1_WEIGHTS, config.r1})],
                                    value=config.r1, description=say(words, "control_r1"),
                                    continuous_update=False, style=style, layout=layout)
    loss = ipywidgets.Dropdown(options=list(LOSSES), value=config.loss,
                               description=say(words, "control_loss"), style=style,
                               layout=layout)
    image = ipywidgets.Image(format="png")
    measures = ipywidgets.HTML()
    box = _box_class()([ipywidgets.HBox([play, step_d, step_g, reset]), g_lr, d_lr, n_critic,
                        r1, loss, measures, image])

    def redraw(result: dict | None = None) -> None:
        picture = lab.picture()
        image.value = picture.png
        line = say(words, "lab_updates", d=lab.d_updates, g=lab.g_updates)
        if result:
            line = say(words, "control_measures", updates=line,
                       measures=metrics_line(result, lab.frames.toy, words))
        measures.value = html.escape(line, quote=False)
        shown(box, picture)

    finished = [-math.inf]  # when the last tick's work ended

    def on_tick(change) -> None:
        # Ticks that queued while a slow tick worked (a busy hub) arrive back to back: they
        # are dropped, so that Pause stops the lab at once rather than after the backlog.
        # Stop (■) sets the count back to 0, and a tick sent before Pause or Reset reached
        # the kernel finds Play stopped: no tick.
        if (not play.playing or change["new"] <= change["old"]
                or time.monotonic() - finished[0] < BACKLOG_S):
            return
        redraw(lab.step(d=lab.config.n_critic, g=1, repeat=ROUNDS_PER_FRAME))
        finished[0] = time.monotonic()

    def on_reset(_) -> None:
        play.playing = False
        lab.reset()
        redraw()
        finished[0] = time.monotonic()

    def setting(key: str):
        def changed(change) -> None:
            lab.set(**{key: change["new"]})
            redraw()
        return changed

    play.observe(on_tick, names="value")
    step_d.on_click(lambda _: redraw(lab.step(d=1, g=0)))
    step_g.on_click(lambda _: redraw(lab.step(d=0, g=1)))
    reset.on_click(on_reset)
    for widget, key in ((g_lr, "g_lr"), (d_lr, "d_lr"), (n_critic, "n_critic"), (r1, "r1"),
                        (loss, "loss")):
        widget.observe(setting(key), names="value")
    redraw()
    return box


def lab_player(run_dir: str | Path, language: str | None = None):
    """A lab run's frames, as they are when it is called, to scrub: a slider, Play, and the
    step and measures of the frame shown, in `language` (None: the session's)."""
    ipywidgets = widgets()
    words = resolve_language(language)
    run = RunDir(run_dir)
    paths = run.grids()
    if not paths:
        raise GankitError(phrase("{run_dir} has no frames in samples/", run_dir=run_dir))
    steps = [int(GRID.fullmatch(path.name).group(1)) for path in paths]
    toy = get_toy(str(read_config(run).get("dataset", "")))
    measured = {r["step"]: r for r in records.of_kind(records.read(run.metrics), "toy")}
    if ipywidgets is None:
        step = steps[-1]
        return without_widgets(LabPicture(paths[-1].read_bytes(), "",
                                          say(words, "lab_frame_alt", step=step)), words)
    slider = ipywidgets.IntSlider(value=len(paths) - 1, min=0, max=len(paths) - 1,
                                  description=say(words, "control_frame"), continuous_update=True)
    play = ipywidgets.Play(value=len(paths) - 1, min=0, max=len(paths) - 1, interval=300,
                           show_repeat=False, description=say(words, "control_play"))
    image = ipywidgets.Image(format="png")
    measures = ipywidgets.HTML()
    box = _box_class()([ipywidgets.HBox([play, slider]), measures, image])

    def show(change=None) -> None:
        index = slider.value
        png = paths[index].read_bytes()
        image.value = png
        step = steps[index]
        line = say(words, "control_step", step=step)
        if step in measured:
            line = say(words, "control_step_measured", step=step,
                       measures=metrics_line(measured[step], toy, words))
        measures.value = html.escape(line, quote=False)
        shown(box, LabPicture(png, line, say(words, "lab_frame_alt", step=step)))

    play.observe(lambda change: setattr(slider, "value", change["new"]), names="value")
    slider.observe(show, names="value")
    show()
    return box
