"""A lab frame, and the measures it shows: what a GAN on 2-D points looks like at a step.

A frame draws D's output over the plane as a heatmap with the real and the fake points
on it, the arrow along which G's loss pushes each of a few fakes, G's map (a grid of the
noise plane, warped through G), and the curves of the losses and of the toy's metrics.
A lab run's Run saves one where an image run saves a grid (gankit.gan_lab holds the rest
of the lab: training, animations, stepping by hand).
"""

from __future__ import annotations

import functools
import html
import textwrap
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from gankit import records, seeds
from gankit.config import Config
from gankit.inline import fitted_image
from gankit.language import (
    localise_ticks,
    number,
    percent,
    resolve_language,
    say,
    setting_name,
)
from gankit.losses import GanLoss, get_loss
from gankit.models import forward, generate
from gankit.steps import network_lr
from gankit.toys import Toy, get_toy, toy_metrics, toy_points

FIELD_CELLS = 60  # D's heatmap is FIELD_CELLS x FIELD_CELLS
SHOWN_POINTS = 400  # real and fake points drawn in a frame
ARROWS = 40  # fakes that show the gradient of G's loss
MAP_LINES = 11  # lines of the noise grid in each direction
MAP_REACH = 2.5  # the noise grid spans [-MAP_REACH, MAP_REACH]: 99 % of N(0, 1) per axis
FRAME_DPI = 100  # 1,400 x 540 pixels: the words read from the back of a classroom
TITLE_CHARS = 120  # the longest one-line title the frame's width holds at 15 points
TEXT_POINTS = {"title": 14, "legend": 12, "ticks": 12, "suptitle": 15}
TITLE_WRAP = 38  # characters a line of a panel's title holds at 14 points
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
    noise_lines: np.ndarray  # the same lines in the noise plane, before G
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
                grid_z[..., :2].reshape(2 * MAP_LINES, len(line), 2).cpu().numpy(), extent)


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


def settings_line(config: Config, language: str | None = None) -> str:
    """The settings in effect, one line: toy, loss, rates, optimizer, D steps, R1, in
    `language` (None: the session's), loss, optimizer and schedule named in it."""
    language = resolve_language(language)
    g_lr, d_lr = (number(network_lr(config, network), language) for network in "gd")
    d_steps = (say(language, "lab_d_steps") if config.n_critic == 1
               else say(language, "lab_d_steps_many", n=config.n_critic))
    words = say(language, "lab_settings", toy=config.dataset,
                loss=setting_name("loss", config.loss, language), g_lr=g_lr, d_lr=d_lr,
                optimizer=setting_name("optimizer", config.optimizer, language),
                d_steps=d_steps, batch=number(config.batch_size, language))
    if config.r1:
        words += ", " + say(language, "lab_r1", gamma=number(config.r1, language))
    if config.lr_schedule != "constant":
        words += ", " + say(language, "lab_schedule",
                            name=setting_name("schedule", config.lr_schedule, language))
    return words


def draw(view: View, logged: list[dict], step: int, settings: str, toy: Toy,
         language: str | None = None) -> np.ndarray:
    """The lab frame as an RGB uint8 H x W x 3 array."""
    canvas = frame_figure(view, logged, step, settings, toy, language).canvas
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def frame_figure(view: View, logged: list[dict], step: int, settings: str, toy: Toy,
                 language: str | None = None):
    """The lab frame as a matplotlib Figure on an Agg canvas, its words and the numbers on
    its axes in `language` (None: the session's)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    language = resolve_language(language)
    words = functools.partial(say, language)
    figure = Figure(figsize=(14, 5.4), dpi=FRAME_DPI)
    FigureCanvasAgg(figure)
    # Fixed places (a constrained layout took half of each frame's time): the plane and
    # its colour bar, G's map, the curves with the metrics' axis on their right.
    plane, colour_bar, warped, curves = (figure.add_axes(box) for box in (
        [0.035, 0.06, 0.27, 0.72], [0.31, 0.1, 0.008, 0.64], [0.375, 0.06, 0.27, 0.72],
        [0.715, 0.38, 0.23, 0.4]))
    e = view.extent
    scale = (0.0, 1.0) if view.probabilities else (-max(abs(view.surface).max(), 1e-6),
                                                    max(abs(view.surface).max(), 1e-6))
    image = plane.imshow(view.surface, extent=(-e, e, -e, e), origin="lower", cmap="PRGn",
                         vmin=scale[0], vmax=scale[1], alpha=0.75, interpolation="bilinear")
    bar = figure.colorbar(image, cax=colour_bar)
    bar.set_label("D(x)" if view.probabilities else words("lab_critic"),
                  fontsize=TEXT_POINTS["legend"])
    plane.scatter(*view.real.T, s=7, c=REAL_COLOUR, label=words("lab_real"), linewidths=0)
    plane.scatter(*view.fake.T, s=7, c=FAKE_COLOUR, label=words("lab_fake"), linewidths=0)
    lengths = np.linalg.norm(view.arrows, axis=1)
    arrows = view.arrows / max(lengths.max(), 1e-12) * 0.12 * e  # the longest is 12 % of e
    starts = view.fake[:len(arrows)]
    plane.quiver(starts[:, 0], starts[:, 1], arrows[:, 0], arrows[:, 1], angles="xy",
                 scale_units="xy", scale=1, width=0.006, color="#e66101")
    plane.set_title(textwrap.fill(words("lab_plane"), TITLE_WRAP), fontsize=TEXT_POINTS["title"])
    plane.legend(loc="upper right", fontsize=TEXT_POINTS["legend"], markerscale=2.5,
                 framealpha=0.8)
    draw_map(warped, view)
    warped.set_title(textwrap.fill(words("lab_map"), TITLE_WRAP), fontsize=TEXT_POINTS["title"])
    for axes in (plane, warped):  # the toy's square from the first frame on
        axes.set(xlim=(-e, e), ylim=(-e, e), aspect="equal")
    draw_curves(curves, logged, toy, language, step)
    title = f"{words('step')} {step} · {settings}"
    if len(title) > TITLE_CHARS:  # French settings run long: two lines, split at a comma
        cut = min((i for i in range(len(title)) if title.startswith(", ", i)),
                  key=lambda i: abs(i - len(title) / 2), default=None)
        title = title if cut is None else title[:cut + 1] + "\n" + title[cut + 2:]
    one_line = "\n" not in title
    figure.suptitle(title, fontsize=TEXT_POINTS["suptitle"] - (0 if one_line else 2),
                    y=0.985 if one_line else 0.995)
    for axes in figure.axes:
        axes.tick_params(labelsize=TEXT_POINTS["ticks"])
    localise_ticks(figure, language)  # every axis, the colour bar's and the metrics' too
    return figure


def noise_colours(noise: np.ndarray) -> np.ndarray:
    """An RGB colour for each point of the noise plane: its hue by the angle, paler
    towards the centre, so that a colour says where in the noise plane a point came from."""
    from matplotlib.colors import hsv_to_rgb

    angle = (np.arctan2(noise[..., 1], noise[..., 0]) / (2 * np.pi)) % 1.0
    radius = np.clip(np.linalg.norm(noise, axis=-1) / MAP_REACH, 0.0, 1.0)
    return hsv_to_rgb(np.stack([angle, 0.25 + 0.75 * radius, 0.85 - 0.2 * radius], -1))


def draw_map(axes, view: View) -> None:
    """G's map: the noise grid's lines through G, each piece coloured by where it lies in
    the noise plane, over the same grid before G, faint."""
    from matplotlib.collections import LineCollection

    def pieces(lines: np.ndarray) -> np.ndarray:
        return np.stack([lines[:, :-1], lines[:, 1:]], axis=2).reshape(-1, 2, 2)

    colours = noise_colours((view.noise_lines[:, :-1] + view.noise_lines[:, 1:]) / 2)
    colours = colours.reshape(-1, 3)
    axes.add_collection(LineCollection(pieces(view.noise_lines), colors=colours, lw=0.8,
                                       alpha=0.25))
    axes.add_collection(LineCollection(pieces(view.map_lines), colors=colours, lw=1.4))
    axes.scatter(*view.real.T, s=5, c=REAL_COLOUR, alpha=0.35, linewidths=0)


def draw_curves(axes, logged: list[dict], toy: Toy, language: str, step: int) -> None:
    """The losses and the toy's metrics over the steps, metrics scaled to [0, 1]; the step
    axis from 0 to `step` (1 at the first frame, whose axes would otherwise span a dot)."""
    words = functools.partial(say, language)
    steps = records.of_kind(logged, "step")
    measured = records.of_kind(logged, "toy")
    for key, colour in (("d_loss", "#d62728"), ("g_loss", "#1f77b4")):
        axes.plot([r["step"] for r in steps], [r[key] for r in steps], color=colour, lw=1,
                  label=words(key))
    axes.set_xlim(0, max(step, 1))
    if not steps:
        axes.set_ylim(0, 2)
    axes.set_xlabel(words("step"), fontsize=TEXT_POINTS["legend"])
    axes.set_title(textwrap.fill(words("lab_curves"), TITLE_WRAP),
                   fontsize=TEXT_POINTS["title"])
    metrics = axes.twinx()
    series = [("js", "#7f7f7f", 1.0, "JS")]
    if len(toy.modes):
        series = [("modes", "#2ca02c", len(toy.modes), words("lab_modes_share")),
                  ("high_quality", "#ff7f0e", 1.0, words("lab_quality")), *series]
    for key, colour, full, label in series:
        metrics.plot([r["step"] for r in measured], [r[key] / full for r in measured],
                     color=colour, lw=1.5, ls="--", label=label)
    metrics.set(ylim=(-0.02, 1.02))
    # One legend for both axes, under the chart: inside, it hid the curves.
    lines = axes.get_lines() + metrics.get_lines()
    axes.legend(lines, [line.get_label() for line in lines], loc="upper center",
                bbox_to_anchor=(0.5, -0.3), ncol=2, fontsize=TEXT_POINTS["legend"] - 1,
                frameon=False, columnspacing=1.0)
    if measured:
        box = axes.get_position()
        axes.figure.text(box.x0 + box.width / 2, 0.03, metrics_line(measured[-1], toy, language),
                         ha="center", va="bottom", fontsize=TEXT_POINTS["suptitle"])


def metrics_line(result: dict, toy: Toy, language: str | None = None) -> str:
    """`8/8 modes, 93% high-quality, JS 0.090` in `language` (None: the session's)."""
    language = resolve_language(language)
    js = number(result["js"], language, 3)
    if "modes" not in result:
        return f"JS {js}"
    return say(language, "lab_metrics", modes=int(result["modes"]), total=len(toy.modes),
               quality=percent(result["high_quality"], language), js=js)


class Frames:
    """What a lab run needs to draw its frames and measure itself, made once: the toy,
    its held-out points, and the noise that the fakes and the metrics are drawn from."""

    def __init__(self, config: Config, device: torch.device):
        self.config, self.toy = config, get_toy(config.dataset)
        self.loss = get_loss(config.loss)
        self.real = toy_points(config.dataset, "test").to(device)
        rng = seeds.generator("frame_noise", config.seed)
        self.noise = torch.randn(SHOWN_POINTS, config.latent_dim, generator=rng).to(device)
        self.measure_noise = torch.randn(config.eval_samples, config.latent_dim,
                                         generator=rng).to(device)
        self.drawn_at = -1  # the step of the last frame: one a step

    def measure(self, generator: nn.Module) -> dict:
        return measure(generator, self.toy, self.real, self.measure_noise)

    def frame(self, generator, discriminator, logged: list[dict], step: int,
              language: str) -> np.ndarray:
        view = look(generator, discriminator, self.loss, self.toy, self.real, self.noise)
        return draw(view, logged, step, settings_line(self.config, language), self.toy,
                    language)


@dataclass
class LabPicture:
    """A frame as Jupyter shows it: the PNG with its alt text, and its caption."""

    png: bytes
    caption: str
    alt: str = ""

    def _repr_html_(self) -> str:
        return (f'<figure style="margin: 0">{fitted_image(self.png, "image/png", self.alt)}'
                f'<figcaption style="font-size: 12px; color: #555">{html.escape(self.caption)}'
                "</figcaption></figure>")

    def __repr__(self) -> str:
        return self.caption
