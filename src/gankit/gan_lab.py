"""The GAN Lab: a GAN on 2-D points, where everything can be drawn at once.

A lab frame shows D's output over the plane as a heatmap with the real and the fake
points on it, the arrow along which G's loss pushes each of a few fakes, G's map (a grid
of the noise plane, warped through G), and the curves of the losses and of the toy's
metrics. `gankit lab` (and `gankit.lab`) trains through the same Run as the image
models and saves a frame where they save a grid; a `Lab` holds a run in memory to be
stepped by hand, one D or G update at a time.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gankit import records
from gankit.config import Config
from gankit.errors import ConfigError, GankitError
from gankit.language import check_language, number, percent, say
from gankit.losses import GanLoss, get_loss
from gankit.models import build_models, forward, generate
from gankit.rundir import RunDir
from gankit.toys import Toy, get_toy, toy_metrics, toy_points

FIELD_CELLS = 60  # D's heatmap is FIELD_CELLS x FIELD_CELLS
SHOWN_POINTS = 400  # real and fake points drawn in a frame
ARROWS = 40  # fakes that show the gradient of G's loss
MAP_LINES = 11  # lines of the noise grid in each direction
MAP_REACH = 2.5  # the noise grid spans [-MAP_REACH, MAP_REACH]: 99 % of N(0, 1) per axis
FRAME_DPI = 72
REAL_COLOUR, FAKE_COLOUR = "#1b7837", "#762a83"  # GAN Lab's green and purple


@dataclass
class View:
    """What one frame draws, on the host."""

    real: np.ndarray  # SHOWN_POINTS x 2
    fake: np.ndarray  # the fixed noise through G
    surface: np.ndarray  # FIELD_CELLS x FIELD_CELLS, D's output (probability or critic)
    probabilities: bool
    arrows: np.ndarray  # ARROWS x 2: minus the gradient of G's loss at fake[:ARROWS]
    map_lines: np.ndarray  # 2 * MAP_LINES x points x 2: the noise grid's lines through G
    extent: float


def look(generator: nn.Module, discriminator: nn.Module, loss: GanLoss, toy: Toy,
         real: torch.Tensor, noise: torch.Tensor) -> View:
    """Measure what a frame shows: `noise` through G, D over the plane, G's gradients."""
    device = noise.device
    fake = generate(generator, noise)
    extent = toy.extent
    axis = torch.linspace(-extent, extent, FIELD_CELLS, device=device)
    ys, xs = torch.meshgrid(axis, axis, indexing="ij")
    with evaluating(discriminator):
        with torch.no_grad():
            logits = forward(discriminator, torch.stack([xs, ys], -1).reshape(-1, 2), None)
        surface = torch.sigmoid(logits) if loss.probabilities else logits
        # Where G's loss would move each fake: one backward pass through D alone.
        pushed = fake[:ARROWS].clone().requires_grad_(True)
        (gradient,) = torch.autograd.grad(loss.generator(forward(discriminator, pushed, None)),
                                          pushed)
    line = torch.linspace(-MAP_REACH, MAP_REACH, 60, device=device)
    crossing = torch.linspace(-MAP_REACH, MAP_REACH, MAP_LINES, device=device)
    grid_z = torch.zeros(2, MAP_LINES, len(line), generator.latent_dim, device=device)
    grid_z[0, :, :, 0], grid_z[0, :, :, 1] = crossing[:, None], line[None, :]
    grid_z[1, :, :, 0], grid_z[1, :, :, 1] = line[None, :], crossing[:, None]
    mapped = generate(generator, grid_z.reshape(-1, generator.latent_dim))
    return View(real[:SHOWN_POINTS].cpu().numpy(), fake[:SHOWN_POINTS].cpu().numpy(),
                surface.reshape(FIELD_CELLS, FIELD_CELLS).cpu().numpy(), loss.probabilities,
                -gradient.cpu().numpy(), mapped.reshape(2 * MAP_LINES, len(line), 2).cpu().numpy(),
                extent)


class evaluating:
    """A module in eval mode inside the block, in the mode it was in after."""

    def __init__(self, module: nn.Module):
        self.module, self.was_training = module, module.training

    def __enter__(self):
        self.module.eval()

    def __exit__(self, *exc):
        self.module.train(self.was_training)


def measure(generator: nn.Module, toy: Toy, real: torch.Tensor, noise: torch.Tensor) -> dict:
    """The toy's metrics (toys.toy_metrics) of G's fakes for `noise` against `real`."""
    return toy_metrics(generate(generator, noise).cpu().numpy(), toy, real.cpu().numpy())


def settings_line(config: Config, language: str = "en") -> str:
    """The settings in effect, one line: toy, loss, rates, optimizer, D steps, R1."""
    g_lr, d_lr = (getattr(config, f"{n}_lr") or config.lr for n in "gd")
    words = say(language, "lab_settings", toy=config.dataset, loss=config.loss,
                g_lr=f"{g_lr:g}", d_lr=f"{d_lr:g}", optimizer=config.optimizer,
                n_critic=config.n_critic, batch=config.batch_size)
    if config.r1:
        words += f", R1 γ={config.r1:g}"
    if config.lr_schedule != "constant":
        words += f", lr {config.lr_schedule}"
    return words


def draw(view: View, logged: list[dict], step: int, settings: str, toy: Toy,
         language: str = "en") -> np.ndarray:
    """The lab frame as an RGB uint8 H x W x 3 array."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    words = functools.partial(say, language)
    figure = Figure(figsize=(14, 4.6), dpi=FRAME_DPI)
    canvas = FigureCanvasAgg(figure)
    # Fixed places (a constrained layout took half of each frame's time): the plane and
    # its colour bar, G's map, the curves with the metrics' axis on their right.
    plane, colour_bar, warped, curves = (figure.add_axes(box) for box in (
        [0.03, 0.1, 0.27, 0.77], [0.305, 0.15, 0.008, 0.67], [0.37, 0.1, 0.27, 0.77],
        [0.69, 0.22, 0.26, 0.65]))
    e = view.extent
    scale = (0.0, 1.0) if view.probabilities else (-max(abs(view.surface).max(), 1e-6),
                                                    max(abs(view.surface).max(), 1e-6))
    image = plane.imshow(view.surface, extent=(-e, e, -e, e), origin="lower", cmap="PRGn",
                         vmin=scale[0], vmax=scale[1], alpha=0.75, interpolation="bilinear")
    figure.colorbar(image, cax=colour_bar,
                    label="D(x)" if view.probabilities else words("lab_critic"))
    plane.scatter(*view.real.T, s=5, c=REAL_COLOUR, label=words("lab_real"), linewidths=0)
    plane.scatter(*view.fake.T, s=5, c=FAKE_COLOUR, label=words("lab_fake"), linewidths=0)
    lengths = np.linalg.norm(view.arrows, axis=1)
    arrows = view.arrows / max(lengths.max(), 1e-12) * 0.12 * e  # the longest is 12 % of e
    starts = view.fake[:len(arrows)]
    plane.quiver(starts[:, 0], starts[:, 1], arrows[:, 0], arrows[:, 1], angles="xy",
                 scale_units="xy", scale=1, width=0.005, color="#e66101")
    plane.set(xlim=(-e, e), ylim=(-e, e), aspect="equal")
    plane.set_title(words("lab_plane"), fontsize=10)
    plane.legend(loc="upper right", fontsize=9, markerscale=2.5, framealpha=0.8)
    for index, points in enumerate(view.map_lines):
        warped.plot(*points.T, lw=0.8, color="#4c72b0" if index < MAP_LINES else "#dd8452")
    warped.scatter(*view.real.T, s=4, c=REAL_COLOUR, alpha=0.35, linewidths=0)
    warped.set(xlim=(-e, e), ylim=(-e, e), aspect="equal")
    warped.set_title(words("lab_map"), fontsize=10)
    draw_curves(curves, logged, toy, language)
    figure.suptitle(f"{words('step')} {step} · {settings}", fontsize=12)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def draw_curves(axes, logged: list[dict], toy: Toy, language: str) -> None:
    """The losses and the toy's metrics over the steps, metrics scaled to [0, 1]."""
    words = functools.partial(say, language)
    steps = records.of_kind(logged, "step")
    measured = records.of_kind(logged, "toy")
    for key, colour in (("d_loss", "#d62728"), ("g_loss", "#1f77b4")):
        axes.plot([r["step"] for r in steps], [r[key] for r in steps], color=colour, lw=1,
                  label=words(key))
    axes.set(xlabel=words("step"))
    axes.set_title(words("lab_curves"), fontsize=10)
    axes.legend(loc="upper left", fontsize=9)
    metrics = axes.twinx()
    series = [("js", "#7f7f7f", 1.0, "JS")]
    if len(toy.modes):
        series = [("modes", "#2ca02c", len(toy.modes), words("lab_modes_share")),
                  ("high_quality", "#ff7f0e", 1.0, words("lab_quality")), *series]
    for key, colour, full, label in series:
        metrics.plot([r["step"] for r in measured], [r[key] / full for r in measured],
                     color=colour, lw=1.5, ls="--", label=label)
    metrics.set(ylim=(-0.02, 1.02))
    metrics.legend(loc="upper right", fontsize=9)
    if measured:
        axes.text(0.5, -0.28, metrics_line(measured[-1], toy, language),
                  transform=axes.transAxes, ha="center", fontsize=11)


def metrics_line(result: dict, toy: Toy, language: str = "en") -> str:
    """`8/8 modes, 93% high-quality, JS 0.09` in the run's language."""
    js = number(result["js"], language, 3)
    if "modes" not in result:
        return f"JS {js}"
    return say(language, "lab_metrics", modes=int(result["modes"]), total=len(toy.modes),
               quality=percent(result["high_quality"], language), js=js)


def sample_points(generator: nn.Module, n: int, seed: int = 0) -> np.ndarray:
    """n fakes of a lab run's G, float32 N x 2, from noise seeded apart from training."""
    device = next(generator.parameters()).device
    noise = torch.randn(n, generator.latent_dim, generator=torch.Generator().manual_seed(seed))
    return generate(generator, noise.to(device)).cpu().numpy().astype(np.float32)


def write_points(points: np.ndarray, out: Path, config: Config) -> None:
    """.npz: the points under 'points'; .png: a scatter of them over the toy's real ones."""
    from gankit.atomic import replacing, write_bytes

    if out.suffix == ".npz":
        with replacing(out) as temporary, open(temporary, "wb") as f:
            np.savez_compressed(f, points=points)
        return
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    toy = get_toy(config.dataset)
    figure = Figure(figsize=(5, 5), dpi=100, layout="constrained")
    canvas = FigureCanvasAgg(figure)
    axes = figure.subplots()
    real = toy_points(config.dataset, "test").numpy()[:len(points)]
    axes.scatter(*real.T, s=4, c=REAL_COLOUR, label="real", linewidths=0, alpha=0.5)
    axes.scatter(*points.T, s=4, c=FAKE_COLOUR, label=f"{len(points)} fakes", linewidths=0)
    e = toy.extent
    axes.set(xlim=(-e, e), ylim=(-e, e), aspect="equal", title=config.dataset)
    axes.legend(loc="upper right")
    canvas.draw()
    write_bytes(out, png_bytes(np.asarray(canvas.buffer_rgba())[..., :3].copy()))


def png_bytes(picture: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


class Frames:
    """What a lab run needs to draw its frames and measure itself, made once: the toy,
    its held-out points, and the noise that the fakes and the metrics are drawn from."""

    def __init__(self, config: Config, device: torch.device):
        self.config, self.toy = config, get_toy(config.dataset)
        self.loss = get_loss(config.loss)
        self.real = toy_points(config.dataset, "test").to(device)
        rng = torch.Generator().manual_seed(config.seed + 1)  # not training's stream
        self.noise = torch.randn(SHOWN_POINTS, config.latent_dim, generator=rng).to(device)
        self.measure_noise = torch.randn(config.eval_samples, config.latent_dim,
                                         generator=rng).to(device)

    def measure(self, generator: nn.Module) -> dict:
        return measure(generator, self.toy, self.real, self.measure_noise)

    def frame(self, generator, discriminator, logged: list[dict], step: int,
              language: str) -> np.ndarray:
        view = look(generator, discriminator, self.loss, self.toy, self.real, self.noise)
        return draw(view, logged, step, settings_line(self.config, language), self.toy,
                    language)


def lab(toy: str = "ring8", *, run_dir: str = "", quiet: bool = False, overwrite: bool = False,
        display: str = "auto", language: str = "en", **settings) -> Path:
    """Train a lab run, as `gankit lab` does: the "lab" preset on `toy` with `settings`
    (any Config field: loss="minimax", g_lr=0.01, n_critic=5, r1=1.0, max_steps=2000...).
    In Jupyter its panel shows the frames live. Returns the run dir."""
    from gankit.resolve import resolve_config
    from gankit.training import train

    get_toy(toy)  # an unknown name is told as a toy's, not a dataset's
    config = resolve_config("lab", overrides={"dataset": toy, "run_dir": run_dir, **settings})
    return train(config, quiet=quiet, overwrite=overwrite, display=display, language=language)


def lab_metrics(run_dir: str | Path) -> dict:
    """A lab run's last measured metrics (modes, high_quality, js) and its time, from its
    metrics.jsonl: what the tutorial reports for each run."""
    paths = RunDir(run_dir)
    logged = records.read(paths.metrics)
    measured = records.of_kind(logged, "toy")
    if not measured:
        raise GankitError(f"{paths.root} has no lab measurements in its metrics.jsonl")
    ends = records.of_kind(logged, "end")
    result = {key: measured[-1][key] for key in ("step", "modes", "high_quality", "js")
              if key in measured[-1]}
    if ends:
        result["train_time_s"] = ends[-1]["train_time_s"]
    return result


def lab_animation(run_dir: str | Path, frame_ms: int = 150, width: int = 720) -> Animation:
    """A lab run's frames (samples/step_*.png) as one animated WebP, `width` pixels wide,
    that a notebook shows and keeps in its saved HTML (no JavaScript needed)."""
    from PIL import Image

    paths = RunDir(run_dir).grids()
    if not paths:
        raise GankitError(f"{run_dir} has no frames in samples/")
    frames = []
    for path in paths:
        with Image.open(path) as image:
            height = round(image.height * width / image.width)
            frames.append(image.convert("RGB").resize((width, height), Image.LANCZOS))
    buffer = io.BytesIO()
    durations = [frame_ms] * (len(frames) - 1) + [frame_ms * 10]  # the last frame held
    frames[0].save(buffer, format="WEBP", save_all=True, append_images=frames[1:],
                   duration=durations, loop=0, quality=70, method=4, minimize_size=True)
    return Animation(buffer.getvalue(), Path(run_dir).name)


@dataclass(repr=False)
class Animation:
    """An animated WebP that Jupyter shows inline."""

    webp: bytes
    name: str

    def __repr__(self) -> str:  # a notebook's text form: not the bytes
        return f"<animation of {self.name}: {len(self.webp):,} bytes of WebP>"

    def _repr_html_(self) -> str:
        uri = "data:image/webp;base64," + base64.b64encode(self.webp).decode()
        return f'<img src="{uri}" alt="{self.name}" style="max-width: 100%">'

    def save(self, path: str | Path) -> None:
        from gankit.atomic import write_bytes

        write_bytes(Path(path), self.webp)


class Lab:
    """A lab run in memory, for stepping by hand: `lab.step(d=1, g=0)` makes one D update
    and redraws. The updates are gankit's own `discriminator_step` and `generator_step`;
    nothing is written to disk. Settings are those of `gankit.lab`."""

    def __init__(self, toy: str = "ring8", *, language: str = "en", display: str = "auto",
                 **settings):
        from gankit.panel import in_notebook
        from gankit.resolve import resolve_config
        from gankit.steps import Networks, make_optimizer

        check_language(language)
        # Updates by hand have no run length for a schedule to follow.
        self.config = resolve_config("lab", overrides={"dataset": toy, "lr_schedule": "constant",
                                                       **settings})
        self.language = language
        torch.manual_seed(self.config.seed)
        generator, discriminator = build_models(self.config, (2,))
        self.nets = Networks(generator, discriminator)
        self.opt_g = make_optimizer(generator, self.config, "g")
        self.opt_d = make_optimizer(discriminator, self.config, "d")
        self.frames = Frames(self.config, torch.device("cpu"))
        self.points = toy_points(self.config.dataset, "train")
        self.d_updates = self.g_updates = 0
        self.g_loss = float("nan")
        self.logged: list[dict] = []
        if display not in ("auto", "notebook", "none"):
            raise ConfigError(f"display must be auto, notebook or none, got {display!r}")
        self.handle = None
        if display == "notebook" or display == "auto" and in_notebook():
            from IPython.display import display as show

            self.handle = show(self.picture(), display_id=True)

    def step(self, d: int = 1, g: int = 1, repeat: int = 1) -> dict:
        """`repeat` times: `d` D updates, then `g` G updates, each on a fresh batch; then
        measure, and redraw the panel. Returns the metrics."""
        from gankit.steps import discriminator_step, generator_step

        if min(d, g, repeat) < 0 or repeat < 1 or d + g < 1:
            raise ConfigError("step needs d >= 0 and g >= 0 updates, at least one, and "
                              "repeat >= 1")
        config = self.config
        for _ in range(repeat):
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
        return LabPicture(png_bytes(frame), caption)

    def _repr_html_(self) -> str:
        return self.picture()._repr_html_()


@dataclasses.dataclass
class LabPicture:
    png: bytes
    caption: str

    def _repr_html_(self) -> str:
        uri = "data:image/png;base64," + base64.b64encode(self.png).decode()
        return (f'<figure style="margin: 0"><img src="{uri}" style="max-width: 100%">'
                f'<figcaption style="font-size: 12px; color: #555">{self.caption}'
                "</figcaption></figure>")

    def __repr__(self) -> str:
        return self.caption
