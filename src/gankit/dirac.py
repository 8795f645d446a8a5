"""The Dirac-GAN (Mescheder, Geiger & Nowozin 2018, "Which training methods for GANs do
actually converge?"): GAN training reduced to two numbers, for a teaching notebook.

The real data is a point mass at 0; G is a point mass at theta; D is linear, D(x) = psi * x.
The only equilibrium is (theta, psi) = (0, 0). The game teaches why unregularised GAN
training does not converge even here: simultaneous gradient steps spiral away from the
equilibrium, alternating steps circle around it, and a penalty on D's gradient at the
real data (R1) or noise added to every sample (instance noise) makes it converge.

D and G are scored with gankit's own losses (`get_loss`) and R1 (`r1_penalty`), so the
pictures show what those functions do, not a re-derivation of them.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Mapping
from numbers import Integral, Real

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from gankit import seeds
from gankit.errors import ConfigError, phrase
from gankit.inline import described
from gankit.language import NBSP, localise_ticks, number, resolve_language, setting_name
from gankit.losses import GanLoss, get_loss, r1_penalty

# The paper's game is the original GAN objective, gankit's "minimax" loss: without
# regularisation its continuous dynamics keep theta^2 + 2 psi^2 constant (an orbit; the 2
# because gankit's BCE averages D's loss over real and fake). The "nonsaturating" G loss
# adds a pull of fourth order, -theta psi tanh(theta psi / 2), so from (1, 1) it shrinks to a
# cycle of radius 0.3 to 0.6 instead of spiralling out: true, but not the paper's picture.
LOSS = "minimax"
# Measured from (1, 1), radius 1.41, seed 0 (tests/test_dirac.py checks them): after STEPS
# steps of LR (3.4 turns), simultaneous steps end at 2.69 from the equilibrium (an outward
# spiral), alternating ones at 1.30 (they stay on an orbit between 1.2 and 1.7), R1 with
# gamma R1_GAMMA at 0.0004, and instance noise of sigma INSTANCE_NOISE at 0.017 (0.008 to
# 0.026 over seeds 0-5; sigma 0.5 damps four times slower and would still be at 0.3).
STEPS = 300
LR = 0.2
R1_GAMMA = 1.0
INSTANCE_NOISE = 1.0
# Noise draws per sample set and step: enough that the noisy gradient's own scatter
# stays small next to the pull towards the equilibrium.
NOISE_DRAWS = 256
METHODS = ("simultaneous", "alternating")
CASE_KEYS = ("method", "loss", "r1", "instance_noise", "start", "seed")
DEFAULT_CASES = (
    {"method": "simultaneous"},
    {"method": "alternating"},
    {"method": "simultaneous", "r1": R1_GAMMA},
    {"method": "simultaneous", "instance_noise": INSTANCE_NOISE},
)
LIMIT = 2.0  # panels show at least theta, psi in [-LIMIT, LIMIT]

WORDS = {
    "en": {
        "simultaneous": "simultaneous updates", "alternating": "alternating updates",
        "r1": "+ R1, γ = {value}", "instance_noise": "+ instance noise, σ = {value}",
        "loss": "{name} loss", "start": "start", "end": "end", "equilibrium": "equilibrium",
        "theta": "θ (generator)", "psi": "ψ (discriminator)",
        "suptitle": "Dirac-GAN, {loss}: {steps} gradient steps, learning rate {lr}",
        "suptitle_one": "Dirac-GAN, {loss}: {steps} gradient step, learning rate {lr}",
        "alt": "The Dirac-GAN, one panel per case ({cases}): θ, the generator's point, "
               "across and ψ, the discriminator's slope, up; the game's vector field as grey "
               "arrows, and the path of {steps} steps from its start to its end, beside the "
               "equilibrium at 0",
        "cases": "; ",
    },
    "fr": {
        "simultaneous": "mises à jour simultanées", "alternating": "mises à jour alternées",
        "r1": "+ R1, γ = {value}", "instance_noise": "+ bruit d'instance, σ = {value}",
        "loss": "perte «" + NBSP + "{name}" + NBSP + "»", "start": "départ", "end": "arrivée",
        "equilibrium": "équilibre", "theta": "θ (générateur)", "psi": "ψ (discriminateur)",
        "suptitle": "Dirac-GAN, {loss}" + NBSP + ": {steps} itérations de descente de "
                    "gradient, taux d'apprentissage {lr}",
        "suptitle_one": "Dirac-GAN, {loss}" + NBSP + ": {steps} itération de descente de "
                        "gradient, taux d'apprentissage {lr}",
        "alt": "Le Dirac-GAN, un panneau par cas ({cases})" + NBSP + ": θ, le point du "
               "générateur, en abscisse et ψ, la pente du discriminateur, en ordonnée" + NBSP
               + "; le champ de vecteurs du jeu en flèches grises, et le chemin de {steps} "
               "itérations de son départ à son arrivée, près de l'équilibre en 0",
        "cases": NBSP + "; ",
    },
}


def trajectory(steps: int = STEPS, lr: float = LR, method: str = "simultaneous",
               loss: str = LOSS, r1: float = 0.0, instance_noise: float = 0.0,
               start: tuple[float, float] = (1.0, 1.0), seed: int = 0) -> np.ndarray:
    """The (theta, psi) of each step, (steps + 1) x 2 from `start`, by gradient descent
    of each player on its own loss: both at once ("simultaneous") or D first, then G
    at D's new psi ("alternating"). `r1` is R1's gamma, `instance_noise` the sigma of
    the Gaussian noise added to every real and fake sample; `seed` fixes that noise."""
    _check(method, steps, lr, r1, instance_noise, start)
    gan_loss = get_loss(loss)
    theta, psi = (float(value) for value in start)
    path = [(theta, psi)]
    with _seeded(seed) as generator:
        for _ in range(steps):
            real, fake_noise = _samples(instance_noise, generator)
            d_grad = _discriminator_gradient(theta, psi, gan_loss, r1, real, fake_noise)
            if method == "alternating":
                psi -= lr * d_grad
            g_grad = _generator_gradient(theta, psi, gan_loss, fake_noise)
            if method == "simultaneous":
                psi -= lr * d_grad
            theta -= lr * g_grad
            path.append((theta, psi))
    return np.array(path)


def vector_field(thetas, psis, loss: str = LOSS, r1: float = 0.0,
                 instance_noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The update direction (minus each player's gradient) at each point of `thetas`,
    `psis` (same shape once broadcast, as np.meshgrid's), as (d_theta, d_psi) arrays of
    that shape. With instance noise, every point sees the same draws, so that the field
    is smooth."""
    _check(r1=r1, instance_noise=instance_noise)
    gan_loss = get_loss(loss)
    thetas, psis = np.broadcast_arrays(np.asarray(thetas, float), np.asarray(psis, float))
    d_theta, d_psi = np.empty(thetas.shape), np.empty(thetas.shape)
    with _seeded(seed) as generator:
        real, fake_noise = _samples(instance_noise, generator)
        for index in np.ndindex(thetas.shape):
            theta, psi = float(thetas[index]), float(psis[index])
            d_psi[index] = -_discriminator_gradient(theta, psi, gan_loss, r1, real, fake_noise)
            d_theta[index] = -_generator_gradient(theta, psi, gan_loss, fake_noise)
    return d_theta, d_psi


def dirac_figure(cases: Iterable[Mapping] = DEFAULT_CASES, language: str | None = None,
                 steps: int = STEPS, lr: float = LR) -> Figure:
    """One panel per case (a dict of `trajectory`'s method, loss, r1, instance_noise,
    start, seed): the vector field in grey, the trajectory coloured from its start to
    its end, and the equilibrium. A matplotlib Figure on the Agg canvas, not pyplot's, so
    that nothing opens a window; a notebook displays it. Its words and the numbers on its
    axes are in `language` (None: the session's, see gankit.set_language)."""
    language = resolve_language(language)
    words = WORDS[language]
    cases = [dict(case) for case in cases]
    if not cases:
        raise ConfigError(phrase("dirac_figure needs at least one case, e.g. "
                                 "{{'method': 'alternating'}}"))
    for case in cases:
        unknown = sorted(set(case) - set(CASE_KEYS))
        if unknown:
            raise ConfigError(phrase("unknown Dirac-GAN case key {key!r}; choose from {keys}",
                                     key=unknown[0], keys=", ".join(CASE_KEYS)))
    figure = DescribedFigure(figsize=(3.2 * len(cases), 4.0), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(cases), squeeze=False)[0]
    for ax, case in zip(axes, cases, strict=True):
        path = trajectory(steps, lr, **case)
        _panel(ax, case, path, words, language)
    figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3,
                  fontsize=8, frameon=False)
    suptitle = words["suptitle_one" if steps == 1 else "suptitle"]
    loss = words["loss"].format(name=setting_name("loss", LOSS, language))
    figure.suptitle(suptitle.format(loss=loss, steps=number(steps, language),
                                    lr=number(lr, language)), fontsize=10)
    localise_ticks(figure, language)
    figure.alt = words["alt"].format(steps=number(steps, language), cases=words["cases"].join(
        _title(case, words, language).replace("\n", " ") for case in cases))
    return figure


class DescribedFigure(Figure):
    """A Figure that Jupyter shows as a PNG with its alternative text, `alt`, once (the
    inline backend would add the PNG again without it)."""

    alt = ""

    def _repr_html_(self) -> str:
        return described(self, self.alt)._repr_html_()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(described(self, self.alt))


def _discriminator_gradient(theta: float, psi: float, gan_loss: GanLoss, r1: float,
                            real: torch.Tensor, fake_noise: torch.Tensor) -> float:
    """d(D's loss)/d(psi) at (theta, psi): what D descends."""
    psi_t = torch.tensor(psi, dtype=torch.float64, requires_grad=True)

    def discriminator(x):
        return psi_t * x

    fake = theta + fake_noise  # a constant for D, as G's output is in a D step
    d_loss = gan_loss.discriminator(discriminator(real), discriminator(fake))
    # The penalties take samples shaped as images are, (n, ...), and flatten(1) them.
    if gan_loss.penalty:
        d_loss = d_loss + gan_loss.penalty(discriminator, real[:, None], fake[:, None])
    if r1:
        d_loss = d_loss + r1_penalty(discriminator, real[:, None], r1)
    (grad,) = torch.autograd.grad(d_loss, psi_t)
    return grad.item()


def _generator_gradient(theta: float, psi: float, gan_loss: GanLoss,
                        fake_noise: torch.Tensor) -> float:
    """d(G's loss)/d(theta) at (theta, psi): what G descends."""
    theta_t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    g_loss = gan_loss.generator(psi * (theta_t + fake_noise))
    (grad,) = torch.autograd.grad(g_loss, theta_t)
    return grad.item()


def _samples(sigma: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The real samples and the noise added to G's point: 0 and 0 without instance noise,
    else NOISE_DRAWS draws of N(0, sigma^2) each."""
    if not sigma:
        return torch.zeros(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    noise = sigma * torch.randn(2, NOISE_DRAWS, generator=generator, dtype=torch.float64)
    return noise[0], noise[1]


@contextlib.contextmanager
def _seeded(seed: int):
    """A torch.Generator seeded with `seed` for the instance noise, with the global CPU
    stream forked and seeded too: WGAN-GP's penalty draws from it, and a run must
    neither depend on nor disturb the caller's random state.

    Torch runs on one thread meanwhile: on a busy machine (a shared JupyterHub) its
    worker threads make each BCE on two numbers wait for the scheduler, 8 ms instead of
    30 us (the default figure: 9 s instead of 0.9 s); two numbers gain nothing from threads."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):
            seeds.seed_global("dirac", seed)
            yield seeds.generator("dirac", seed)
    finally:
        torch.set_num_threads(threads)


def _check(method: str = "simultaneous", steps: int = 1, lr: float = 0.0, r1: float = 0.0,
           instance_noise: float = 0.0, start: tuple[float, float] = (0.0, 0.0)) -> None:
    if method not in METHODS:
        raise ConfigError(phrase("unknown Dirac-GAN method {method!r}; choose from {methods}",
                                 method=method, methods=", ".join(METHODS)))
    if isinstance(steps, bool) or not isinstance(steps, Integral) or steps < 1:
        raise ConfigError(phrase("steps must be a whole number >= 1, got {steps!r}",
                                 steps=steps))
    for name, value in (("lr", lr), ("r1", r1), ("instance_noise", instance_noise)):
        if not _finite(value) or value < 0:
            raise ConfigError(phrase("{name} must be a finite number >= 0, got {value!r}",
                                     name=name, value=value))
    if len(start) != 2 or not all(_finite(value) for value in start):
        raise ConfigError(phrase("start must be two finite numbers (theta, psi), got {start!r}",
                                 start=start))


def _finite(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _panel(ax, case: Mapping, path: np.ndarray, words: Mapping[str, str],
           language: str) -> None:
    """One case: field, trajectory, start, end, equilibrium, and a title naming it."""
    # Wide enough for the whole trajectory: an outward spiral must not leave the frame.
    limit = max(LIMIT, 1.1 * float(np.abs(path).max()))
    grid = np.linspace(-limit, limit, 15)
    thetas, psis = np.meshgrid(grid, grid)
    d_theta, d_psi = vector_field(thetas, psis, case.get("loss", LOSS),
                                  case.get("r1", 0.0), case.get("instance_noise", 0.0),
                                  case.get("seed", 0))
    # Unit arrows: the field is a thousand times weaker near the equilibrium than in the
    # corners, and its direction (round, or in) is the lesson.
    length = np.hypot(d_theta, d_psi)
    length[length == 0] = 1
    ax.quiver(thetas, psis, d_theta / length, d_psi / length, color="0.75", angles="xy",
              width=0.004)
    # Colour runs with time (dark at the start, yellow at the end): the eye follows the
    # direction of a spiral or an orbit without arrows on it.
    segments = np.stack([path[:-1], path[1:]], axis=1)
    line = LineCollection(segments, cmap="viridis", linewidth=1.5)
    line.set_array(np.linspace(0, 1, len(segments)))
    ax.add_collection(line)
    ax.plot(*path[0], "o", color="#440154", markersize=6, label=words["start"])
    # The end on top of the equilibrium: a converged run shows both, one inside the other.
    ax.plot(*path[-1], "s", color="#fde725", markeredgecolor="black", markersize=5,
            label=words["end"], zorder=4)
    ax.plot(0, 0, "*", color="crimson", markersize=11, label=words["equilibrium"])
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xlabel(words["theta"])
    ax.set_ylabel(words["psi"])
    ax.set_title(_title(case, words, language), fontsize=9)


def _title(case: Mapping, words: Mapping[str, str], language: str) -> str:
    lines = [words[case.get("method", "simultaneous")]]
    if case.get("r1"):
        lines.append(words["r1"].format(value=number(case["r1"], language)))
    if case.get("instance_noise"):
        lines.append(words["instance_noise"].format(value=number(case["instance_noise"],
                                                                 language)))
    if case.get("loss", LOSS) != LOSS:
        lines.append(words["loss"].format(name=setting_name("loss", case["loss"], language)))
    return "\n".join(lines)
