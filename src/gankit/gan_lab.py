"""The GAN Lab: a GAN on 2-D points, where everything can be drawn at once.

`gankit lab` (and `gankit.lab`) trains through the same Run as the image models, which
saves a frame (gankit.frames) where an image run saves a grid; `lab_animation` makes the
frames one animated image for a notebook; `Lab` holds a run in memory to be stepped by
hand, one D or G update at a time; `draw_points` and `score_points` are `gankit sample`
and `gankit evaluate` of a lab run (gankit.kinds tells a lab run from an image run).
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gankit import records, seeds
from gankit.config import Config
from gankit.device import CpuShare
from gankit.errors import ConfigError, GankitError, phrase
from gankit.frames import FAKE_COLOUR, REAL_COLOUR, Frames, LabPicture, metrics_line
from gankit.images import png_bytes
from gankit.inline import fitted_image
from gankit.language import localise_ticks, number, resolve_language, say
from gankit.models import build_models
from gankit.rundir import RunDir
from gankit.toys import get_toy, toy_metrics, toy_points


def sample_points(generator: nn.Module, n: int, seed: int = 0) -> np.ndarray:
    """n fakes of a lab run's G, float32 N x 2, from noise seeded apart from training: the
    points `gankit sample` writes for `seed`, drawn a batch at a time as it draws them."""
    from gankit.sample import sample_batches

    return np.concatenate(list(sample_batches(generator, n, seed, points=True)))


# A matplotlib scatter takes about 100 bytes a point (measured at 2 million).
SCATTER_BYTES = 128


def draw_points(generator: nn.Module, config: Config, out: Path, n: int, seed: int,
                label: int | None, interpolate: int | None) -> None:
    """`gankit sample` of a lab run: n fakes as an .npz (float32 N x 2 under 'points') or
    a scatter over the toy's real points (.png)."""
    from gankit.sample import beyond_memory, check_disk, sample_batches, write_npz

    if interpolate or label is not None:
        raise GankitError(phrase("a lab run draws unconditional 2-D points: no --label or "
                                 "--interpolate"))
    if out.suffix not in (".npz", ".png"):
        raise GankitError(phrase(
            "a lab run draws 2-D points: --out must end in .npz (float32 N x 2 under "
            "'points') or .png (a scatter over the real points)"))
    if out.suffix == ".png" and (short := beyond_memory(n * (8 + SCATTER_BYTES))):
        raise GankitError(phrase(
            "a scatter of {n:,} points would need about {need} of memory, more than the "
            "{have} available: draw fewer, or write them to an .npz, which sample writes "
            "a batch at a time", n=n, **short))
    check_disk(out, 8 * n if out.suffix == ".npz" else 0)  # a scatter has a fixed size
    points = sample_batches(generator, n, seed, points=True)
    if out.suffix == ".npz":
        write_npz(out, n, {"points": ((2,), np.float32, points)})
    else:
        write_points(np.concatenate(list(points)), out, config)


def score_points(source: Path, head: dict, loaded: tuple, n: int, seed: int,
                 metrics: list[str] | None, dataset: str | None, data_dir: str
                 ) -> tuple[dict, str]:
    """`gankit evaluate` of a lab run: (results after `head`, their line), measured as
    during training on n fakes: modes covered, high-quality share and JS divergence
    against the toy's held-out points."""
    from gankit.sample import check_memory_for

    if metrics or dataset:
        raise GankitError(phrase("a lab run is measured by its toy's own metrics (modes, "
                                 "high_quality, js): it takes no --metrics or --dataset"))
    generator, config = loaded
    toy = get_toy(config.dataset)
    # Drawn and measured at once: the noise, G's widest layer twice, the points in float32
    # and float64, and their distances to each of the toy's modes.
    check_memory_for(n, 4 * config.latent_dim + 8 * max(config.g_hidden) + 24
                     + 24 * len(toy.modes))
    points = sample_points(generator, n, seed)
    results = {**head, "samples": n, "reference": f"{config.dataset} test",
               **toy_metrics(points, toy, toy_points(config.dataset, "test").numpy())}
    return results, (f"{source}: {n} points vs {results['reference']}: "
                     f"{metrics_line(results, toy)}")


def write_points(points: np.ndarray, out: Path, config: Config,
                 language: str | None = None) -> None:
    """.npz: the points under 'points'; .png: a scatter of them over the toy's real ones,
    in `language` (None: the session's)."""
    from gankit.atomic import replacing, write_bytes

    if out.suffix == ".npz":
        with replacing(out) as temporary, open(temporary, "wb") as f:
            np.savez_compressed(f, points=points)
        return
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    language = resolve_language(language)
    toy = get_toy(config.dataset)
    figure = Figure(figsize=(5, 5), dpi=100, layout="constrained")
    canvas = FigureCanvasAgg(figure)
    axes = figure.subplots()
    real = toy_points(config.dataset, "test").numpy()[:len(points)]
    axes.scatter(*real.T, s=4, c=REAL_COLOUR, label=say(language, "lab_real"), linewidths=0,
                 alpha=0.5)
    axes.scatter(*points.T, s=4, c=FAKE_COLOUR, linewidths=0,
                 label=say(language, "lab_fakes", n=number(len(points), language)))
    e = toy.extent
    axes.set(xlim=(-e, e), ylim=(-e, e), aspect="equal", title=config.dataset)
    axes.legend(loc="upper right")
    localise_ticks(figure, language)
    canvas.draw()
    write_bytes(out, png_bytes(np.asarray(canvas.buffer_rgba())[..., :3].copy(), palette=True))


def lab(toy: str = "ring8", *, run_dir: str = "", quiet: bool = False, overwrite: bool = False,
        display: str = "auto", language: str | None = None, scenario: str = "",
        **settings) -> Path:
    """Train a lab run, as `gankit lab` does: the "lab" preset on `toy` with `settings`
    (any Config field: loss="minimax", g_lr=0.01, n_critic=5, r1=1.0, max_steps=2000...),
    over those of a named `scenario` (gankit.scenarios: "collapse", "oscillation"...).
    In Jupyter its panel shows the frames live, in `language` (None: the session's, see
    gankit.set_language). Returns the run dir."""
    from gankit.resolve import resolve_config
    from gankit.scenarios import get_scenario
    from gankit.training import train

    language = resolve_language(language)
    get_toy(toy)  # an unknown name is told as a toy's, not a dataset's
    if scenario:
        settings = {**get_scenario(scenario).settings, **settings}
    config = resolve_config("lab", overrides={"dataset": toy, "run_dir": run_dir, **settings})
    return train(config, quiet=quiet, overwrite=overwrite, display=display, language=language)


def lab_metrics(run_dir: str | Path) -> dict:
    """A lab run's last measured metrics (modes, high_quality, js), what its frames showed
    over the run (gankit.scenarios.course: most_modes_late, changes, visited, frames) and
    its time, from its metrics.jsonl: what the tutorial reports for each run."""
    from gankit.scenarios import course

    paths = RunDir(run_dir)
    logged = records.read(paths.metrics)
    measured = records.of_kind(logged, "toy")
    if not measured:
        raise GankitError(phrase("{root} has no lab measurements in its metrics.jsonl",
                                 root=paths.root))
    ends = records.of_kind(logged, "end")
    result = {"step": measured[-1]["step"], **course(measured), "frames": len(measured)}
    if ends:
        result["train_time_s"] = ends[-1]["train_time_s"]
    return result


def lab_animation(run_dir: str | Path, frame_ms: int = 150, width: int = 720,
                  language: str | None = None) -> Animation:
    """A lab run's frames (samples/step_*.png) as one animated WebP, `width` pixels wide,
    that a notebook shows and keeps in its saved HTML (no JavaScript needed); its alt text
    in `language` (None: the session's)."""
    from PIL import Image

    language = resolve_language(language)
    paths = RunDir(run_dir).grids()
    if not paths:
        raise GankitError(phrase("{run_dir} has no frames in samples/", run_dir=run_dir))
    frames = []
    for path in paths:
        with Image.open(path) as image:
            height = round(image.height * width / image.width)
            frames.append(image.convert("RGB").resize((width, height), Image.LANCZOS))
    buffer = io.BytesIO()
    durations = [frame_ms] * (len(frames) - 1) + [frame_ms * 10]  # the last frame held
    frames[0].save(buffer, format="WEBP", save_all=True, append_images=frames[1:],
                   duration=durations, loop=0, quality=70, method=4, minimize_size=True)
    return Animation(buffer.getvalue(), Path(run_dir).name, language)


@dataclass(repr=False)
class Animation:
    """An animated WebP that Jupyter shows inline, described in `language`."""

    webp: bytes
    name: str
    language: str = "en"

    def __repr__(self) -> str:  # a notebook's text form: not the bytes
        return say(self.language, "animation_repr", name=self.name,
                   size=number(len(self.webp), self.language))

    def _repr_html_(self) -> str:
        alt = say(self.language, "lab_animation", name=self.name)
        return fitted_image(self.webp, "image/webp", alt)

    def save(self, path: str | Path) -> None:
        from gankit.atomic import write_bytes

        write_bytes(Path(path), self.webp)


LIVE_SETTINGS = ("g_lr", "d_lr", "loss", "r1", "n_critic")


class Lab:
    """A lab run in memory, for stepping by hand: `lab.step(d=1, g=0)` makes one D update
    and redraws. The updates are gankit's own `discriminator_step` and `generator_step`;
    nothing is written to disk. Settings are those of `gankit.lab`, but each call says
    how many updates of each network it makes (no n_critic), at a constant learning rate,
    with R1 (when set) on every D update, on the CPU, in fp32 and without an EMA."""

    def __init__(self, toy: str = "ring8", *, language: str | None = None,
                 display: str = "auto", **settings):
        from gankit.panel import shows_panel
        from gankit.resolve import resolve_config

        language = resolve_language(language)  # None: the session's (gankit.set_language)
        # Updates by hand have no run length for a schedule to follow.
        self.config = resolve_config("lab", overrides={"dataset": toy, "lr_schedule": "constant",
                                                       **settings})
        self.language = language
        self.frames = Frames(self.config, torch.device("cpu"))
        self.points = toy_points(self.config.dataset, "train")
        self.handle = None
        self.reset()
        if shows_panel(display):
            from IPython.display import display as show

            self.handle = show(self.picture(), display_id=True)

    def reset(self) -> None:
        """Back to the start: the networks and optimisers as the config's seed makes them, no
        update made, the settings as they are now."""
        from gankit.steps import Networks, make_optimizer

        seeds.seed_global("weights", self.config.seed)
        generator, discriminator = build_models(self.config, (2,))
        self.nets = Networks(generator, discriminator)
        self.opt_g = make_optimizer(generator, self.config, "g")
        self.opt_d = make_optimizer(discriminator, self.config, "d")
        self.cpu = CpuShare(torch.device("cpu"), generator, discriminator)
        self.d_updates = self.g_updates = 0
        self.g_loss = float("nan")
        self.logged: list[dict] = []
        if self.handle:
            self.handle.update(self.picture())

    def set(self, **settings) -> None:
        """Change settings between updates, as the controls' sliders do: `g_lr`, `d_lr`,
        `loss`, `r1` (R1's weight, γ) and `n_critic` (the D updates in a round of the
        controls' Play); the networks keep their weights and the optimisers their state.
        The networks' shapes and the toy are a new Lab's."""
        from gankit.losses import get_loss
        from gankit.resolve import check_config
        from gankit.steps import network_lr

        unknown = sorted(set(settings) - set(LIVE_SETTINGS))
        if unknown:
            raise ConfigError(phrase("a Lab changes {names} between updates, not {unknown}; "
                                     "other settings take a new Lab",
                                     names=", ".join(LIVE_SETTINGS), unknown=", ".join(unknown)))
        config = check_config(dataclasses.replace(self.config, **settings))
        self.config = self.frames.config = config
        self.frames.loss = get_loss(config.loss)
        for optimizer, network in ((self.opt_g, "g"), (self.opt_d, "d")):
            for group in optimizer.param_groups:
                group["lr"] = network_lr(config, network)

    def controls(self):
        """Play/Pause, Update D, Update G, Reset, the learning rates, D updates per G
        update, R1's γ and the loss, driving this Lab in Jupyter (ipywidgets); where no
        widget can be drawn (nbconvert, a code host's preview), the current frame as an
        image; without ipywidgets, the frame, its caption saying how to install it."""
        from gankit.lab_controls import lab_controls

        return lab_controls(self)

    def step(self, d: int = 1, g: int = 1, repeat: int = 1) -> dict:
        """`repeat` times: `d` D updates, then `g` G updates, each on a fresh batch; then
        measure, and redraw the panel. Returns the metrics."""
        if min(d, g, repeat) < 0 or repeat < 1 or d + g < 1:
            raise ConfigError(phrase("step needs d >= 0 and g >= 0 updates, at least one, and "
                                     "repeat >= 1"))
        self.cpu.own()
        try:
            return self._step(d, g, repeat)
        finally:
            self.cpu.close()  # the notebook's own thread count between calls

    def _step(self, d: int, g: int, repeat: int) -> dict:
        from gankit.steps import discriminator_step, generator_step

        config = self.config
        for _ in range(repeat):
            self.cpu.update()
            for _ in range(d):
                batch = self.points[torch.randint(len(self.points), (config.batch_size,))]
                out = discriminator_step(self.nets, self.opt_d, self.frames.loss, batch,
                                         r1=config.r1)
                self.d_updates += 1
                self.logged.append(records.make("step", step=self.d_updates,
                                                d_loss=out["d_loss"].item(),
                                                g_loss=self.g_loss))
            for _ in range(g):
                self.g_loss = generator_step(self.nets, self.opt_g, self.frames.loss,
                                             config.batch_size).item()
                self.g_updates += 1
        result = self.frames.measure(self.nets.generator)
        self.logged.append(records.make("toy", step=self.d_updates, **result))
        if self.handle:
            self.handle.update(self.picture())
        return result

    def picture(self) -> LabPicture:
        """The current frame, as Jupyter shows it."""
        frame = self.frames.frame(self.nets.generator, self.nets.discriminator, self.logged,
                                  self.d_updates, self.language)
        caption = say(self.language, "lab_updates", d=self.d_updates, g=self.g_updates)
        return LabPicture(png_bytes(frame, palette=True), caption,
                          say(self.language, "lab_frame_alt", step=self.d_updates))

    def _repr_html_(self) -> str:
        return self.picture()._repr_html_()
