"""Exercises that check themselves: a tutorial cell asks for a function, and the next cell
calls `check(name, fn)`, which runs it on small fixed inputs beside the notebook's own
version and names the classic mistake it finds, with how to fix it.

A check shows no traceback: a function that still raises NotImplementedError is "not
written yet", and any other exception becomes one line with a hint. Checks build their
own tiny networks and optimizers and draw from a forked random stream, so the student's
networks, optimizers and torch random state are left as they were. A check names the
first mistake it finds, in the order a student would fix them.
"""

from __future__ import annotations

import copy
import functools
import html
import itertools
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from gankit.errors import ConfigError, first_line, phrase
from gankit.language import NARROW_NBSP, NBSP, check_language, current_language, number
from gankit.losses import get_loss, r1_penalty


@dataclass(frozen=True)
class Result:
    """What a check found. `message` says it all, in the notebook's language; `mistake`
    names it for a program (None when passed)."""

    passed: bool
    message: str
    mistake: str | None = None

    def __str__(self) -> str:
        return self.message

    __repr__ = __str__  # plain Python and Jupyter both print the message, nothing else

    def _repr_html_(self) -> str:
        colour = "#1b7837" if self.passed else "#b2182b"
        return (f'<div style="border-left: 4px solid {colour}; padding-left: 8px">'
                f"{html.escape(self.message)}</div>")


class Found(NamedTuple):
    """A mistake a check found: its key in MESSAGES and the values its message names."""

    mistake: str
    values: dict


def found(mistake: str, **values) -> Found:
    return Found(mistake, values)


class StudentError(Exception):
    """An exception raised in the student's code, as opposed to the check's."""

    def __init__(self, error: Exception):
        super().__init__(error)
        self.error = error


def attempt(fn: Callable, *args):
    """fn(*args), with whatever it raises marked as the student's."""
    try:
        return fn(*args)
    except Exception as error:
        raise StudentError(error) from error


def close(value: float, expected, tolerance: float = 1e-4) -> bool:
    return abs(value - float(expected)) <= 1e-6 + tolerance * abs(float(expected))


def same(tensors: list[torch.Tensor], expected: list[torch.Tensor]) -> bool:
    return all(torch.allclose(a, b, rtol=1e-4, atol=1e-6) for a, b in zip(tensors, expected,
                                                                          strict=True))


def scalar(value) -> float | None:
    """`value` as one float (a 1-element tensor, or a number), else None."""
    if torch.is_tensor(value):
        return float(value.detach()) if value.numel() == 1 else None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return None


def shape_of(tensor: torch.Tensor) -> str:
    return str(tuple(tensor.shape))


# ---- The networks: the notebook's MLP GAN, classes the student writes ----

G_LAYERS, D_LAYERS = (100, 256, 512, 1024, 784), (784, 1024, 512, 256, 1)


def parameter_count(layers: tuple[int, ...]) -> int:
    """Weights and biases of Linear layers of these widths: 1,486,352 for G's."""
    return sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(layers))


def is_module_class(cls) -> bool:
    return isinstance(cls, type) and issubclass(cls, nn.Module)


def is_affine(forward: Callable, a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether `forward` maps the midpoint of two batches to the midpoint of their outputs,
    as Linear layers alone do. With LeakyReLU(0.2) at random weights the gap is about a
    tenth of the outputs' spread; without it, float32 rounding, a millionth."""
    out_a, out_b = forward(a), forward(b)
    gap = (forward((a + b) / 2) - (out_a + out_b) / 2).abs().max()
    return bool(gap <= 1e-4 * (out_a - out_b).abs().max())


def wrong_activation(network: nn.Module) -> str | None:
    """The first ReLU, or LeakyReLU of slope other than 0.2, among the modules. (An
    activation called as a function in forward is not seen.)"""
    for module in network.modules():
        if isinstance(module, nn.ReLU) or (isinstance(module, nn.LeakyReLU)
                                           and module.negative_slope != 0.2):
            return repr(module)
    return None


def check_generator(cls) -> Found | None:
    if not is_module_class(cls):
        return found("not_class", what=cls, cls="Generator")
    generator = attempt(cls)
    if getattr(generator, "latent_dim", None) != 100:
        return found("no_latent_dim")
    count = sum(p.numel() for p in generator.parameters())
    if count != parameter_count(G_LAYERS):
        return found("parameters", count=count, expected=parameter_count(G_LAYERS),
                     layers=" → ".join(map(str, G_LAYERS)))
    z, other = torch.randn(2, 3, 100)
    with torch.no_grad():
        images = attempt(generator, z)
        if not torch.is_tensor(images):
            return found("not_tensor", what=images)
        if images.shape != (3, 1, 28, 28):
            flat = images.shape == (3, 784)
            return found("flat" if flat else "shape", shape=shape_of(images), n=3)
        # Noise a thousand times too large drives the last layer's outputs far beyond
        # [-1, 1], whatever the weights: only a tanh brings them back.
        far = attempt(generator, z * 1000).float()
        if far.min() >= 0:
            return found("never_negative")
        if not far.abs().max() <= 1:
            return found("no_tanh", low=float(far.min()), high=float(far.max()))
        # Linear layers alone make atanh(G(z)) affine in z; its outputs (about ±0.3 here)
        # stay where atanh is well conditioned.
        if is_affine(lambda noise: torch.atanh(attempt(generator, noise).float()), z, other):
            return found("linear")
    activation = wrong_activation(generator)
    return found("slope", activation=activation) if activation else None


def check_discriminator(cls) -> Found | None:
    if not is_module_class(cls):
        return found("not_class", what=cls, cls="Discriminator")
    discriminator = attempt(cls)
    count = sum(p.numel() for p in discriminator.parameters())
    if count != parameter_count(D_LAYERS):
        return found("parameters", count=count, expected=parameter_count(D_LAYERS),
                     layers=" → ".join(map(str, D_LAYERS)))
    images, others = torch.rand(2, 4, 1, 28, 28) * 2 - 1
    discriminator.eval()
    with torch.no_grad():
        logits = attempt(discriminator, images)
        if not torch.is_tensor(logits):
            return found("not_tensor", what=logits)
        if logits.shape != (4,):
            column = logits.shape == (4, 1)
            return found("column" if column else "shape", shape=shape_of(logits), n=4)
        if returns_probabilities(discriminator, images):
            return found("sigmoid")
        if not torch.equal(attempt(discriminator, images), logits):
            return found("dropout_in_eval")
        discriminator.train()
        if torch.equal(attempt(discriminator, images), attempt(discriminator, images)):
            return found("no_dropout")
        discriminator.eval()
        if is_affine(lambda x: attempt(discriminator, x), images, others):
            return found("linear")
    activation = wrong_activation(discriminator)
    if activation:
        return found("slope", activation=activation)
    rates = [m.p for m in discriminator.modules() if isinstance(m, nn.Dropout) and m.p != 0.3]
    return found("dropout_rate", rate=rates[0]) if rates else None


def returns_probabilities(discriminator: nn.Module, images: torch.Tensor) -> bool:
    """Whether D ends with a sigmoid, a module or torch.sigmoid in forward: whether its
    outputs stay inside [0, 1] when the last Linear layer's weights are made 1000 times
    larger (logits then run to the hundreds)."""
    louder = attempt(copy.deepcopy, discriminator)
    linears = [m for m in louder.modules() if isinstance(m, nn.Linear)]
    if not linears:
        return False
    for parameter in linears[-1].parameters():
        parameter.mul_(1000)
    outputs = attempt(louder, images)
    return bool(((outputs >= 0) & (outputs <= 1)).all())


# ---- Pixels ----

PIXELS = torch.tensor([0, 127, 255, 64, 128, 200], dtype=torch.uint8).view(2, 1, 1, 3)


def check_scale_pixels(fn) -> Found | None:
    scaled = attempt(fn, PIXELS.clone())
    if not torch.is_tensor(scaled):
        return found("not_tensor", what=scaled)
    if scaled.shape != PIXELS.shape:
        return found("shape", shape=shape_of(scaled), expected=shape_of(PIXELS))
    if not scaled.is_floating_point():
        return found("integer_dtype", dtype=str(scaled.dtype))
    scaled, pixels = scaled.detach().float(), PIXELS.float()
    if torch.allclose(scaled, pixels / 127.5 - 1, atol=1e-5):
        return None
    seen = {"zero": float(scaled.flatten()[0]), "middle": float(scaled.flatten()[1]),
            "full": float(scaled.flatten()[2])}
    if torch.equal(scaled, scaled.round()):
        return found("rounded", **seen)
    mappings = {
        "zero_one": pixels / 255,
        "zero_two": pixels / 127.5,
        "inverted": 1 - pixels / 127.5,
        "overflow": (PIXELS * 2).float() / 255 - 1,  # uint8 * 2 wraps around at 256
    }
    for mistake, mapped in mappings.items():
        if torch.allclose(scaled, mapped, atol=1e-4):
            return found(mistake)
    return found("wrong", expected_middle=127 / 127.5 - 1, **seen)


# ---- The training steps, on tiny networks ----

BATCH = 8
LEARNING_RATE = 0.1  # plain SGD: an update is -lr * gradient, so piled-up gradients show


class FixedGenerator(nn.Module):
    """The step checks' G: the same 6 pixels for every noise vector, so that the check's
    numbers do not depend on how the student draws z."""

    def __init__(self):
        super().__init__()
        self.latent_dim = 4
        self.pixels = nn.Parameter(torch.randn(6))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.pixels).expand(len(z), -1)


class TinyDiscriminator(nn.Module):
    """A D that checks in milliseconds: `inputs` numbers, 8 units, one logit."""

    def __init__(self, inputs: int, activation: nn.Module):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(inputs, 8), activation, nn.Linear(8, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


def step_start() -> tuple[FixedGenerator, TinyDiscriminator, torch.Tensor]:
    """The same G, D and real batch at every call."""
    torch.manual_seed(0)
    return FixedGenerator(), TinyDiscriminator(6, nn.LeakyReLU(0.2)), torch.rand(BATCH, 6) * 2 - 1


def notebook_d_step(generator, discriminator, opt_d, real):
    n = len(real)
    z = torch.randn(n, generator.latent_dim, device=real.device)
    fake = generator(z).detach()
    logits = discriminator(torch.cat([real, fake]))
    labels = torch.cat([torch.ones(n), torch.zeros(n)]).to(real.device)
    loss = F.binary_cross_entropy_with_logits(logits, labels)
    opt_d.zero_grad()
    loss.backward()
    opt_d.step()
    d = torch.sigmoid(logits.detach())
    return {"d_loss": loss.detach(), "d_x": d[:n].mean(), "d_g_z": d[n:].mean()}


def notebook_g_step(generator, discriminator, opt_g, n, device):
    z = torch.randn(n, generator.latent_dim, device=device)
    logits = discriminator(generator(z))
    loss = F.binary_cross_entropy_with_logits(logits, torch.ones(n, device=device))
    opt_g.zero_grad()
    loss.backward()
    opt_g.step()
    return loss.detach()


def weights(module: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def gradients(module: nn.Module) -> list[torch.Tensor | None]:
    return [None if p.grad is None else p.grad.clone() for p in module.parameters()]


class Trace(NamedTuple):
    """Two calls of a step from the check's start."""

    returned: list  # what each call returned
    weights: list  # the trained network's: at the start, after the first call, the second
    gradients: list  # the trained network's, after the first call
    other_gradients: list  # the other network's, after the first call
    other_changed: bool  # whether the other network's weights changed


def trace(step: Callable, trains: str) -> Trace:
    """Call `step` twice, as the notebook's loop would, on the check's G, D and batch;
    `trains` is the network its optimizer holds, "generator" or "discriminator"."""
    generator, discriminator, real = step_start()
    trained, other = ((discriminator, generator) if trains == "discriminator"
                      else (generator, discriminator))
    optimizer = torch.optim.SGD(trained.parameters(), lr=LEARNING_RATE)
    other_start = weights(other)
    returned, seen = [], [weights(trained)]
    for call in range(2):
        data = (real.clone(),) if trains == "discriminator" else (BATCH, "cpu")
        returned.append(step(generator, discriminator, optimizer, *data))
        seen.append(weights(trained))
        if call == 0:
            first_gradients, first_other = gradients(trained), gradients(other)
    changed = not all(torch.equal(a, b) for a, b in zip(weights(other), other_start,
                                                           strict=True))
    return Trace(returned, seen, first_gradients, first_other, changed)


def update_mistake(got: Trace, expected: Trace) -> Found | None:
    """What is wrong with the weights after each call, if anything."""
    if all(torch.equal(a, b) for a, b in zip(got.weights[1], got.weights[0], strict=True)):
        stepped = any(g is not None for g in got.gradients)
        return found("no_step" if stepped else "no_gradient")
    if not same(got.weights[1], expected.weights[1]):
        return found("update")
    if same(got.weights[2], expected.weights[2]):
        return None
    # SGD with the first call's gradients left in: the second update is -lr * (g1 + g2).
    piled = [w - LEARNING_RATE * g for w, g in zip(expected.weights[2], expected.gradients,
                                                    strict=True)]
    return found("no_zero_grad" if same(got.weights[2], piled) else "update")


D_KEYS = ("d_loss", "d_x", "d_g_z")


def check_train_discriminator(fn) -> Found | None:
    got = trace(functools.partial(attempt, fn), "discriminator")
    expected = trace(notebook_d_step, "discriminator")
    returned = got.returned[0]
    if not isinstance(returned, dict):
        return found("not_dict", what=returned)
    missing = [key for key in D_KEYS if key not in returned]
    if missing:
        return found("keys", missing=", ".join(missing))
    if any(g is not None and bool(g.any()) for g in got.other_gradients):
        return found("no_detach")
    values = {key: scalar(returned[key]) for key in D_KEYS}
    for key in D_KEYS:
        if values[key] is None:
            return found("not_number", key=key, what=returned[key])
    generator, discriminator, real = step_start()
    with torch.no_grad():
        logits = discriminator(torch.cat([real, generator(torch.zeros(BATCH, 4))]))
    labels = torch.cat([torch.ones(BATCH), torch.zeros(BATCH)])
    bce = F.binary_cross_entropy_with_logits
    loss = bce(logits, labels)
    if not close(values["d_loss"], loss):
        wrong_losses = {"swapped": bce(logits, 1 - labels),
                        "sigmoid_first": bce(torch.sigmoid(logits), labels),
                        "halves_summed": 2 * loss,
                        # Logits outside [0, 1] make it raise, which KNOWN_ERRORS names.
                        "bce_on_logits": F.binary_cross_entropy(logits.clamp(0, 1), labels)}
        for mistake, wrong in wrong_losses.items():
            if close(values["d_loss"], wrong):
                return found(mistake)
        return found("loss", got=values["d_loss"], expected=float(loss))
    mistake = update_mistake(got, expected)
    if mistake:
        return mistake
    return means_mistake(values["d_x"], values["d_g_z"], logits)


def means_mistake(d_x: float, d_g_z: float, logits: torch.Tensor) -> Found | None:
    """What is wrong with the returned d_x and d_g_z, D's mean probabilities on the real
    half and the fake half of the step's batch, if anything."""
    d = torch.sigmoid(logits)
    real, fake = d[:BATCH].mean(), d[BATCH:].mean()
    if close(d_x, real) and close(d_g_z, fake):
        return None
    if close(d_x, logits[:BATCH].mean()) and close(d_g_z, logits[BATCH:].mean()):
        return found("logits")
    if close(d_x, fake) and close(d_g_z, real):
        return found("halves")
    return found("means", x=d_x, g_z=d_g_z, expected_x=float(real), expected_g_z=float(fake))


def check_train_generator(fn) -> Found | None:
    got = trace(functools.partial(attempt, fn), "generator")
    expected = trace(notebook_g_step, "generator")
    if got.other_changed:
        return found("d_changed")
    loss = scalar(got.returned[0])
    if loss is None:
        return found("not_number", what=got.returned[0])
    generator, discriminator, _ = step_start()
    with torch.no_grad():
        logits = discriminator(generator(torch.zeros(BATCH, 4)))
    bce = F.binary_cross_entropy_with_logits
    ones, zeros = torch.ones(BATCH), torch.zeros(BATCH)
    right = bce(logits, ones)
    if not close(loss, right):
        wrong_losses = {"target_zero": bce(logits, zeros), "minimax": -bce(logits, zeros),
                        "sigmoid_first": bce(torch.sigmoid(logits), ones),
                        "bce_on_logits": F.binary_cross_entropy(logits.clamp(0, 1), ones)}
        for mistake, wrong in wrong_losses.items():
            if close(loss, wrong):
                return found(mistake)
    mistake = update_mistake(got, expected)
    if close(loss, right) or (mistake and mistake.mistake != "update"):
        return mistake
    # The loss is wrong: a wrong number returned if G's update is right, else a wrong loss.
    return found("returned" if mistake is None else "loss", got=loss, expected=float(right))


# ---- Losses ----

# Below 1, so that log(1 - logit), a forgotten sigmoid, is a number to recognise.
MODERATE_LOGITS = (-2.0, -0.5, 0.3, 0.8)
LARGE_LOGITS = (-30.0, 5.0, 40.0)  # 1 - sigmoid(40) is 0 in float32


def check_minimax_generator_loss(fn) -> Found | None:
    logits = torch.tensor(MODERATE_LOGITS, requires_grad=True)
    loss = attempt(fn, logits)
    if not torch.is_tensor(loss):
        return found("not_tensor", what=loss)
    if loss.numel() != 1:
        return found("not_scalar", shape=shape_of(loss))
    if not loss.requires_grad:
        return found("detached")
    value, logits = float(loss.detach()), logits.detach()
    expected = get_loss("minimax").generator(logits)
    if not close(value, expected):
        wrong_losses = {"nonsaturating": F.softplus(-logits).mean(),
                        "sign": F.softplus(logits).mean(),
                        "no_sigmoid": torch.log(1 - logits).mean(),
                        "batch_sum": -F.softplus(logits).sum()}
        for mistake, wrong in wrong_losses.items():
            if close(value, wrong):
                return found(mistake)
        return found("value", got=value, expected=float(expected), logits=MODERATE_LOGITS)
    large = scalar(attempt(fn, torch.tensor(LARGE_LOGITS, requires_grad=True)))
    if large is None or not math.isfinite(large):
        return found("unstable", got=large)
    expected = get_loss("minimax").generator(torch.tensor(LARGE_LOGITS))
    if not close(large, expected):
        return found("value", got=large, expected=float(expected), logits=LARGE_LOGITS)
    return None


GAMMA = 3.0  # neither 1 nor 2, so that gamma and gamma / 2 tell apart


def lab_start() -> tuple[TinyDiscriminator, torch.Tensor, torch.Tensor]:
    """A D on 2-D points, and two batches of 6 points. Tanh, not LeakyReLU: a piecewise
    linear D has the same gradient everywhere in a region, so two batches could agree."""
    torch.manual_seed(0)
    return TinyDiscriminator(2, nn.Tanh()), torch.randn(6, 2), torch.randn(6, 2)


def check_r1_penalty(fn) -> Found | None:
    discriminator, real, other = lab_start()
    penalty = attempt(fn, discriminator, real.clone(), GAMMA)
    if not torch.is_tensor(penalty):
        return found("not_tensor", what=penalty)
    if penalty.numel() != 1:
        return found("not_scalar", shape=shape_of(penalty))
    trains = penalty.requires_grad and any(
        g is not None for g in torch.autograd.grad(penalty.sum(), discriminator.parameters(),
                                                   allow_unused=True))
    if not trains:
        return found("no_create_graph")
    value = float(penalty.detach())
    expected = float(r1_penalty(discriminator, real, GAMMA).detach())
    moved = scalar(attempt(fn, discriminator, other.clone(), GAMMA))
    if moved is not None and close(moved, value, 1e-6):
        return found("not_at_real")
    if close(value, expected):
        return None
    points = real.clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(discriminator(points).sum(), points)
    squares = gradient.pow(2).sum(1)
    wrong_penalties = {"gamma": GAMMA * squares.mean(),
                       "batch_sum": GAMMA / 2 * squares.sum(),
                       "coordinates": GAMMA / 2 * gradient.pow(2).mean(),
                       "not_squared": GAMMA / 2 * squares.sqrt().mean()}
    for mistake, wrong in wrong_penalties.items():
        if close(value, wrong):
            return found(mistake)
    return found("value", got=value, expected=expected, gamma=GAMMA)


def check_fake_arrows(fn) -> Found | None:
    """The reference is each point's own arrow, minus the gradient of -log D(x_i) with
    respect to x_i (the summed loss's). gankit.frames differentiates the mean loss, whose
    arrows are 1/N as long: the lab scales them for drawing anyway, so both pass."""
    discriminator, fakes, _ = lab_start()
    arrows = attempt(fn, discriminator, fakes.clone())
    if not torch.is_tensor(arrows):
        return found("not_tensor", what=arrows)
    if arrows.shape != fakes.shape:
        return found("shape", shape=shape_of(arrows), n=len(fakes))
    arrows = arrows.detach().float()  # still attached to the graph is fine
    points = fakes.clone().requires_grad_(True)
    logits = discriminator(points)
    (nonsaturating,) = torch.autograd.grad(
        F.binary_cross_entropy_with_logits(logits, torch.ones(len(fakes)), reduction="sum"),
        points, retain_graph=True)
    (minimax,) = torch.autograd.grad(-F.softplus(logits).sum(), points)  # log(1 - D(x))
    candidates = ((None, -nonsaturating), ("sign", nonsaturating), ("minimax", -minimax),
                  ("minimax", minimax))
    for mistake, expected in candidates:
        for scale in (1, 1 / len(fakes)):
            if torch.allclose(arrows, scale * expected, rtol=1e-4, atol=1e-7):
                return found(mistake) if mistake else None
    return found("value", got=tuple(arrows[0].tolist()),
                 expected=tuple((-nonsaturating[0]).tolist()))


CHECKS: dict[str, Callable[[Callable], Found | None]] = {
    "generator": check_generator,
    "discriminator": check_discriminator,
    "scale_pixels": check_scale_pixels,
    "train_discriminator": check_train_discriminator,
    "train_generator": check_train_generator,
    "minimax_generator_loss": check_minimax_generator_loss,
    "r1_penalty": check_r1_penalty,
    "fake_arrows": check_fake_arrows,
}

# Exceptions that are themselves a classic mistake: a phrase of torch's message -> the mistake.
KNOWN_ERRORS = {
    "train_discriminator": {"between 0 and 1": "bce_on_logits"},
    "train_generator": {"between 0 and 1": "bce_on_logits"},
    "r1_penalty": {"differentiated Tensors does not require grad": "points_need_grad",
                   "only for scalar outputs": "sum_outputs"},
    "fake_arrows": {"differentiated Tensors does not require grad": "points_need_grad",
                    "only for scalar outputs": "sum_outputs"},
}


def check(name: str, fn, language: str | None = None) -> Result:
    """Run the exercise `name`'s check on the student's `fn` (a class for "generator" and
    "discriminator"); the result's message is in `language`, by default the session's
    (gankit.set_language)."""
    if name not in CHECKS:
        raise ConfigError(phrase("unknown exercise {name!r}; the exercises are {names}",
                                 name=name, names=", ".join(CHECKS)))
    language = current_language() if language is None else language
    check_language(language)
    # The check's own random stream, and gradients on even if the student turned them off.
    with torch.random.fork_rng(devices=[]), torch.enable_grad():
        try:
            mistake = CHECKS[name](fn)
        except StudentError as student:
            mistake = student_error(name, student.error)
    return result(name, mistake, language)


def student_error(name: str, error: Exception) -> Found:
    if isinstance(error, NotImplementedError):
        return found("not_written")
    for fragment, mistake in KNOWN_ERRORS.get(name, {}).items():
        if fragment in str(error):
            return found(mistake)
    return found("error", error_type=type(error).__name__, error=first_line(error).rstrip("."))


def result(name: str, mistake: Found | None, language: str) -> Result:
    words = MESSAGES[language]
    colon = NBSP + ":" if language == "fr" else ":"
    if mistake is None:
        return Result(True, f"✓ {name}{colon} {words[name]['passed']}")
    template = words[name].get(mistake.mistake) or words["common"][mistake.mistake]
    text = template.format(**{key: render(value, language)
                               for key, value in mistake.values.items()})
    if mistake.mistake == "error":
        text += " " + words[name]["error_hint"]
    return Result(False, f"✗ {name}{colon} {text}", mistake.mistake)


def render(value, language: str) -> str:
    """A value in a message: numbers as the language writes them, tuples of numbers as a
    vector, tensors and other objects by their kind."""
    words = MESSAGES[language]["common"]
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Real):
        return number(value, language)
    if isinstance(value, tuple):
        separator = NARROW_NBSP + "; " if language == "fr" else ", "
        return "(" + separator.join(number(v, language) for v in value) + ")"
    if torch.is_tensor(value):
        return words["tensor"].format(shape=shape_of(value))
    return words["object"].format(type=type(value).__name__)


def typeset(text: str) -> str:
    """French typography on a message written with plain spaces: a no-break space before
    a colon, a narrow one before a semicolon (code in the messages has no space before its
    colons). The messages ask no questions and exclaim nothing."""
    return text.replace(" :", NBSP + ":").replace(" ;", NARROW_NBSP + ";")


STEP_HINT = {
    "en": "The check calls it with tiny networks: G turns generator.latent_dim = 4 noise "
          "numbers into 6 pixels, D turns 6 pixels into one logit",
    "fr": "La vérification l'appelle avec de tout petits réseaux : G transforme "
          "generator.latent_dim = 4 nombres de bruit en 6 pixels, D transforme 6 pixels en "
          "un logit",
}
BCE_ON_LOGITS = {
    "en": "F.binary_cross_entropy expects probabilities, but D returns logits (any real "
          "number). Use F.binary_cross_entropy_with_logits, which applies the sigmoid itself.",
    "fr": "F.binary_cross_entropy attend des probabilités, mais D renvoie des logits (des "
          "réels quelconques). Utilisez F.binary_cross_entropy_with_logits, qui applique "
          "elle-même la sigmoïde.",
}
SIGMOID_FIRST = {
    "en": "the loss is given probabilities: binary_cross_entropy_with_logits applies the "
          "sigmoid itself, so a torch.sigmoid before it squashes D's output twice. Give it "
          "D's raw logits.",
    "fr": "la perte reçoit des probabilités : binary_cross_entropy_with_logits applique "
          "elle-même la sigmoïde, et un torch.sigmoid avant elle écrase deux fois la sortie "
          "de D. Donnez-lui les logits bruts de D.",
}
SLOPE = {
    "en": "it uses {activation} where the notebook has nn.LeakyReLU(0.2): the slope of 0.2 "
          "for negative inputs keeps gradients flowing through every unit. Write "
          "nn.LeakyReLU(0.2) (its default slope is 0.01).",
    "fr": "elle utilise {activation} là où le notebook a nn.LeakyReLU(0.2) : la pente de 0,2 "
          "pour les entrées négatives laisse passer le gradient par chaque neurone. Écrivez "
          "nn.LeakyReLU(0.2) (sa pente par défaut est 0,01).",
}
PARAMETERS = {
    "en": "it has {count} parameters where the notebook's has {expected}: Linear layers "
          "{layers}, each with its bias. Check the sizes of each layer.",
    "fr": "elle a {count} paramètres, contre {expected} dans le notebook : des couches Linear "
          "{layers}, chacune avec son biais. Vérifiez la taille de chaque couche.",
}
POINTS_SUM = {
    "en": "torch.autograd.grad needs one number to differentiate: sum over the points first; "
          "each point's gradient is still its own, since D treats the points one by one.",
    "fr": "torch.autograd.grad a besoin d'un seul nombre à dériver : sommez d'abord sur les "
          "points ; le gradient de chaque point reste le sien, puisque D traite les points un "
          "par un.",
}

MESSAGES = {
    "en": {
        "common": {
            "not_written": "not written yet: write it in place of `raise NotImplementedError`, "
                           "run its cell, then run this check again.",
            "error": "your code raised {error_type}: {error}.",
            "not_class": "the check takes the class itself, a subclass of nn.Module "
                         "(check(..., {cls}), not {cls}()); it got {what}.",
            "not_tensor": "it returns {what}, not a torch tensor.",
            "not_scalar": "it returns a tensor of shape {shape}, not one number: average over "
                          "the batch with .mean().",
            "tensor": "a tensor of shape {shape}",
            "object": "an object of type {type}",
        },
        "generator": {
            "passed": "right. One 1 × 28 × 28 image per noise vector, pixels in [-1, 1] "
                      "through a tanh, LeakyReLU(0.2) between the layers, and the notebook's "
                      "parameter count.",
            "no_latent_dim": "it has no attribute latent_dim equal to 100: keep it in __init__ "
                             "(self.latent_dim = latent_dim); the training step reads it to "
                             "draw the noise.",
            "parameters": PARAMETERS["en"],
            "flat": "it returns {shape} for {n} noise vectors: 784 numbers per image rather "
                    "than an image. End forward with .view(-1, 1, 28, 28), the N × 1 × 28 × 28 "
                    "shape of the real images.",
            "shape": "it returns {shape} for {n} noise vectors; expected ({n}, 1, 28, 28): one "
                     "28 × 28 image with 1 channel per noise vector.",
            "never_negative": "its pixels are never negative, even for a very large noise "
                              "vector (z × 1000): a sigmoid or a ReLU at the end cannot make "
                              "the dark half of [-1, 1]. End with nn.Tanh(), so that fakes have "
                              "the range of the real pixels.",
            "no_tanh": "for a very large noise vector (z × 1000) its pixels go from {low} to "
                       "{high}, outside [-1, 1]: nothing bounds them. End with nn.Tanh(), so "
                       "that fakes have the range of the real pixels, [-1, 1].",
            "linear": "it is a linear function of z (up to the final tanh): with no "
                      "non-linearity between them, its Linear layers collapse into one matrix. "
                      "Put nn.LeakyReLU(0.2) after each hidden Linear layer.",
            "slope": SLOPE["en"],
            "error_hint": "The check builds it as Generator() and calls it on 3 noise vectors "
                          "of 100 numbers.",
        },
        "discriminator": {
            "passed": "right. One logit per image, no sigmoid, dropout on in train() and off "
                      "in eval(), LeakyReLU(0.2) between the layers, and the notebook's "
                      "parameter count.",
            "parameters": PARAMETERS["en"],
            "column": "it returns {shape} for {n} images: a column rather than {n} logits. End "
                      "forward with .squeeze(1), so that D's output has the shape (N,) of the "
                      "labels.",
            "shape": "it returns {shape} for {n} images; expected ({n},): one logit per image.",
            "sigmoid": "it returns probabilities (a sigmoid at the end): the loss, "
                       "binary_cross_entropy_with_logits, applies the sigmoid itself and "
                       "expects D's raw logits. Remove the final sigmoid; torch.sigmoid(logits) "
                       "gives D(x) where you need it.",
            "dropout_in_eval": "in eval() it gives two different answers for the same image: "
                               "its dropout stays on. F.dropout(x, 0.3) ignores eval(); use the "
                               "module nn.Dropout(0.3), which eval() switches off.",
            "no_dropout": "in train() it gives the same answer twice for the same image: it "
                          "has no dropout. Put nn.Dropout(dropout) after each LeakyReLU, with "
                          "dropout=0.3 by default.",
            "dropout_rate": "its dropout drops a share {rate} of the units, where the "
                            "notebook's drops 0.3: build it as nn.Dropout(dropout), from "
                            "__init__'s argument dropout=0.3.",
            "linear": "it is a linear function of the image: with no non-linearity between "
                      "them, its Linear layers collapse into one matrix, and D can only draw a "
                      "straight boundary. Put nn.LeakyReLU(0.2) after each hidden Linear layer.",
            "slope": SLOPE["en"],
            "error_hint": "The check builds it as Discriminator() and calls it on 4 images of "
                          "shape (1, 28, 28).",
        },
        "scale_pixels": {
            "passed": "right. 0 → -1 and 255 → 1, as floats, in the shape of the images.",
            "shape": "it returns shape {shape} for images of shape {expected}: scaling must "
                     "keep the shape.",
            "integer_dtype": "it returns a tensor of {dtype}: whole numbers cannot hold -0.5 "
                             "or 0.0039. Convert to floats first: images.float() / 127.5 - 1.",
            "rounded": "it returns whole numbers only (0 → {zero}, 127 → {middle}, 255 → "
                       "{full}): integer division // rounds down. Divide with /: "
                       "images.float() / 127.5 - 1.",
            "zero_one": "it maps the pixels to [0, 1], the original notebook's ToTensor() "
                        "scaling. G's tanh makes fakes in [-1, 1], so D could tell real from "
                        "fake by the sign of the pixels alone. Scale to [-1, 1]: "
                        "images.float() / 127.5 - 1.",
            "zero_two": "it maps the pixels to [0, 2] (255 → 2): the - 1 is missing. Use "
                        "images.float() / 127.5 - 1.",
            "inverted": "it is upside down: 0 → 1 and 255 → -1, so the digits come out dark "
                        "on a light background. Use images.float() / 127.5 - 1 (0 → -1, "
                        "255 → 1).",
            "overflow": "it multiplies the uint8 pixels before converting them, and uint8 "
                        "arithmetic wraps around at 256 (255 × 2 gives 254). Convert first: "
                        "images.float() / 127.5 - 1.",
            "wrong": "it maps 0 → {zero}, 127 → {middle}, 255 → {full}; expected 0 → -1, "
                     "127 → {expected_middle}, 255 → 1: images.float() / 127.5 - 1.",
            "error_hint": "The check calls it on a uint8 tensor of shape (2, 1, 1, 3).",
        },
        "train_discriminator": {
            "passed": "right. One update of D on real images labelled 1 and detached fakes "
                      "labelled 0, gradients zeroed at each call, and D's mean probabilities "
                      "on each half.",
            "not_dict": "it returns {what}; expected a dict with the keys d_loss, d_x and "
                        "d_g_z.",
            "keys": 'its dict has no {missing}: return {{"d_loss": ..., "d_x": ..., '
                    '"d_g_z": ...}}.',
            "not_number": "{key} is {what}, not one number: return the loss, and the means of "
                          "D's probabilities over the real half d[:n] and the fake half d[n:].",
            "no_detach": "the D step sent gradients into G (G's weights have a .grad after the "
                         "call): compute the fakes as generator(z).detach(), so that this step "
                         "trains D only and G's gradients do not pile up before its own step.",
            "swapped": "the labels are swapped: real images need label 1 and fakes label 0, in "
                       "the order of torch.cat([real, fake]): torch.cat([torch.ones(n), "
                       "torch.zeros(n)]).",
            "sigmoid_first": SIGMOID_FIRST["en"],
            "bce_on_logits": BCE_ON_LOGITS["en"],
            "halves_summed": "d_loss is twice the notebook's: the BCE of the real half plus "
                             "that of the fake half, where the notebook takes one mean over all "
                             "2n images. The sum doubles D's gradients, like a doubled learning "
                             "rate. Take one mean over torch.cat([real, fake]), or halve the "
                             "sum.",
            "loss": "d_loss is {got} where the notebook's loss for this batch is {expected}: "
                    "F.binary_cross_entropy_with_logits(discriminator(torch.cat([real, fake])), "
                    "labels), with labels 1 for the real images and 0 for the fakes.",
            "no_step": "D's weights did not change: call opt_d.step() after loss.backward().",
            "no_gradient": "D's weights had no gradient to step with: call opt_d.zero_grad(), "
                           "loss.backward(), opt_d.step(), in that order (and not under "
                           "torch.no_grad()).",
            "update": "D's weights after the step differ from the notebook's: each call makes "
                      "exactly one opt_d.zero_grad(), loss.backward(), opt_d.step(), on this "
                      "batch's loss.",
            "no_zero_grad": "the first call is right, but the second moves D too far: "
                            "gradients pile up from one call to the next. Call "
                            "opt_d.zero_grad() before loss.backward().",
            "logits": "d_x and d_g_z are means of logits, not of probabilities: take "
                      "d = torch.sigmoid(logits.detach()) first, then d[:n].mean() and "
                      "d[n:].mean().",
            "halves": "d_x and d_g_z are swapped: d_x is D's mean probability on the real half "
                      "d[:n], d_g_z on the fake half d[n:].",
            "means": "d_x is {x} and d_g_z {g_z}, where D's mean probabilities in this step "
                     "are {expected_x} on the real half and {expected_g_z} on the fake half: "
                     "d = torch.sigmoid(logits.detach()), from the logits of the step, before "
                     "opt_d.step().",
            "error_hint": STEP_HINT["en"] + "; real is a batch of 8.",
        },
        "train_generator": {
            "passed": "right. One update of G through D, its fakes labelled real (the "
                      "non-saturating loss), D left unchanged, gradients zeroed at each call, "
                      "and the loss returned.",
            "d_changed": "the G step changed D's weights: step only opt_g, the optimizer over "
                         "generator.parameters(); D stays fixed while G learns.",
            "not_number": "it returns {what}, not the loss: return loss.detach().",
            "target_zero": "the target is 0: the loss then rewards G for fakes that D rejects, "
                           "which helps D instead of fooling it. Label the fakes as real: "
                           "torch.ones(n).",
            "minimax": "this is the paper's minimax loss log(1 - D(G(z))) (minus the BCE "
                       "against 0); the notebook's step uses the non-saturating -log D(G(z)), "
                       "the BCE against 1, whose gradient stays strong when D wins.",
            "sigmoid_first": SIGMOID_FIRST["en"],
            "bce_on_logits": BCE_ON_LOGITS["en"],
            "no_gradient": "G's weights got no gradient: the fakes must stay attached to G in "
                           "its own step, so no .detach() and no torch.no_grad() there.",
            "no_step": "G's weights did not change: call opt_g.step() after loss.backward().",
            "returned": "it returns {got}, but the loss of this step is {expected} (the update "
                        "of G is right): return loss.detach().",
            "loss": "the loss is {got} where the notebook's is {expected}: "
                    "F.binary_cross_entropy_with_logits(discriminator(generator(z)), "
                    "torch.ones(n)).",
            "update": "G's weights after the step differ from the notebook's: each call makes "
                      "exactly one opt_g.zero_grad(), loss.backward(), opt_g.step(), on the "
                      "loss of fresh fakes.",
            "no_zero_grad": "the first call is right, but the second moves G too far: "
                            "gradients pile up from one call to the next. Call "
                            "opt_g.zero_grad() before loss.backward().",
            "error_hint": STEP_HINT["en"] + "; n = 8 and device = 'cpu'.",
        },
        "minimax_generator_loss": {
            "passed": "right. The mean of log(1 - D(G(z))), finite even for large logits.",
            "not_tensor": "it returns {what}, not a torch tensor: keep the loss a tensor (no "
                          ".item()), so that it can train G.",
            "detached": "autograd cannot follow the result back to the logits: build the loss "
                        "from fake_logits with torch operations, without .item(), float() or "
                        ".detach(), so that it can train G.",
            "nonsaturating": "this is the non-saturating loss -log D(G(z)), the one the "
                             "notebook trains with; the paper's minimax loss is "
                             "log(1 - D(G(z))): -F.softplus(fake_logits).mean().",
            "sign": "the sign is flipped: -log(1 - D(G(z))) is what D minimises on the fakes. "
                    "G minimises log(1 - D(G(z))) = -F.softplus(fake_logits).mean().",
            "no_sigmoid": "it treats the logits as probabilities: D(G(z)) is "
                          "torch.sigmoid(logit), and log(1 - logit) is NaN for any logit above "
                          "1. Use log(1 - sigmoid(l)), written stably as -F.softplus(l).",
            "batch_sum": "it sums over the batch: take the .mean(), so that the loss, and its "
                         "gradient, do not grow with the batch size.",
            "unstable": "it gives {got} for a logit of 40: 1 - sigmoid(40) rounds to 0 in "
                        "float32, and its log is -inf. Use the stable form log(1 - sigmoid(l)) "
                        "= -softplus(l): -F.softplus(fake_logits).mean(), or "
                        "F.logsigmoid(-fake_logits).mean().",
            "value": "it gives {got} for the logits {logits}, where the mean of "
                     "log(1 - sigmoid(l)) is {expected}.",
            "error_hint": "The check calls it on a 1-D tensor of logits, such as "
                          "torch.tensor([-2.0, -0.5, 0.3, 0.8]).",
        },
        "r1_penalty": {
            "passed": "right. γ/2 times the mean over the batch of ‖∇x D(x)‖² at the real "
                      "points, and it trains D's weights.",
            "points_need_grad": "autograd cannot differentiate with respect to real, which "
                                "does not require grad (a batch of data never does). Start with "
                                "real = real.detach().requires_grad_(True), as "
                                "gankit.losses.r1_penalty does.",
            "sum_outputs": "torch.autograd.grad needs one number to differentiate: use "
                           "discriminator(real).sum(); each point's gradient is still its own, "
                           "since D treats the points one by one.",
            "no_create_graph": "the penalty cannot train D: it has no gradient with respect to "
                               "D's weights. Pass create_graph=True to torch.autograd.grad, so "
                               "that the gradient can itself be differentiated.",
            "not_at_real": "it does not change when the real points change: take the gradient "
                           "at the points given, real, not at fakes or at another batch.",
            "not_squared": "it uses the norm ‖∇D(x)‖ rather than its square: "
                           "grad.pow(2).sum(1) for each point.",
            "gamma": "it is twice the expected value: the factor is γ/2, not γ.",
            "batch_sum": "it sums over the batch: take the mean over the points, "
                         "grad.pow(2).sum(1).mean().",
            "coordinates": "it also averages over each point's coordinates (half the value, "
                           "for 2-D points): sum the squares over the coordinates, then average "
                           "over the points: grad.pow(2).sum(1).mean().",
            "value": "it gives {got} where gankit.losses.r1_penalty gives {expected} "
                     "(γ = {gamma}).",
            "error_hint": "The check calls it with a tiny D on 2-D points, a batch of 6 real "
                          "points, and gamma = 3.",
        },
        "fake_arrows": {
            "passed": "right. At each fake point, minus the gradient of -log D(x): the "
                      "direction in which G's loss falls fastest, the lab's arrow.",
            "shape": "it returns {shape} for {n} fake points; expected ({n}, 2): one 2-D arrow "
                     "per point.",
            "points_need_grad": "autograd cannot differentiate with respect to the fakes, "
                                "which do not require grad: start with "
                                "x = fakes.detach().requires_grad_(True), then differentiate "
                                "with respect to x.",
            "sum_outputs": POINTS_SUM["en"],
            "sign": "the arrows point the wrong way: they are the gradient of G's loss, where "
                    "the lab draws minus the gradient, the way the loss decreases.",
            "minimax": "these are the arrows of the minimax loss log(1 - D(x)); the lab's "
                       "arrows follow the non-saturating loss -log D(x): "
                       "F.binary_cross_entropy_with_logits(discriminator(x), torch.ones(n)).",
            "value": "the arrow at the first point is {got}, where minus the gradient of "
                     "-log D(x) there is {expected}.",
            "error_hint": "The check calls it with a tiny D on 2-D points and 6 fake points, a "
                          "tensor of shape (6, 2).",
        },
    },
    "fr": {
        "common": {
            "not_written": "pas encore écrite : écrivez-la à la place de "
                           "`raise NotImplementedError`, exécutez sa cellule, puis relancez "
                           "cette vérification.",
            "error": "votre code a levé l'exception {error_type} : {error}.",
            "not_class": "la vérification attend la classe elle-même, sous-classe de nn.Module "
                         "(check(..., {cls}), et non {cls}()) ; elle a reçu {what}.",
            "not_tensor": "elle renvoie {what}, et non un tenseur torch.",
            "not_scalar": "elle renvoie un tenseur de forme {shape} et non un seul nombre : "
                          "faites la moyenne sur le lot avec .mean().",
            "tensor": "un tenseur de forme {shape}",
            "object": "un objet de type {type}",
        },
        "generator": {
            "passed": "c'est juste. Une image 1 × 28 × 28 par vecteur de bruit, des pixels "
                      "dans [-1 ; 1] grâce à la tanh, des LeakyReLU(0.2) entre les couches, et "
                      "le nombre de paramètres du notebook.",
            "no_latent_dim": "elle n'a pas d'attribut latent_dim égal à 100 : gardez-le dans "
                             "__init__ (self.latent_dim = latent_dim) ; l'itération "
                             "d'entraînement le lit pour tirer le bruit.",
            "parameters": PARAMETERS["fr"],
            "flat": "elle renvoie {shape} pour {n} vecteurs de bruit : 784 nombres par image au "
                    "lieu d'une image. Terminez forward par .view(-1, 1, 28, 28), la forme "
                    "N × 1 × 28 × 28 des vraies images.",
            "shape": "elle renvoie {shape} pour {n} vecteurs de bruit ; forme attendue : "
                     "({n}, 1, 28, 28), une image 28 × 28 à un canal par vecteur de bruit.",
            "never_negative": "ses pixels ne sont jamais négatifs, même pour un très grand "
                              "vecteur de bruit (z × 1000) : une sigmoïde ou une ReLU en sortie "
                              "ne peut pas produire la moitié sombre de [-1 ; 1]. Terminez par "
                              "nn.Tanh(), pour que les faux aient l'étendue des vrais pixels.",
            "no_tanh": "pour un très grand vecteur de bruit (z × 1000), ses pixels vont de "
                       "{low} à {high}, hors de [-1 ; 1] : rien ne les borne. Terminez par "
                       "nn.Tanh(), pour que les faux aient l'étendue des vrais pixels, "
                       "[-1 ; 1].",
            "linear": "c'est une fonction linéaire de z (à la tanh finale près) : sans "
                      "non-linéarité entre elles, ses couches Linear se réduisent à une seule "
                      "matrice. Placez nn.LeakyReLU(0.2) après chaque couche Linear cachée.",
            "slope": SLOPE["fr"],
            "error_hint": "La vérification la construit avec Generator() et l'appelle sur 3 "
                          "vecteurs de bruit de 100 nombres.",
        },
        "discriminator": {
            "passed": "c'est juste. Un logit par image, sans sigmoïde, un dropout actif en "
                      "train() et coupé en eval(), des LeakyReLU(0.2) entre les couches, et le "
                      "nombre de paramètres du notebook.",
            "parameters": PARAMETERS["fr"],
            "column": "elle renvoie {shape} pour {n} images : une colonne au lieu de {n} "
                      "logits. Terminez forward par .squeeze(1), pour que la sortie de D ait la "
                      "forme (N,) des étiquettes.",
            "shape": "elle renvoie {shape} pour {n} images ; forme attendue : ({n},), un logit "
                     "par image.",
            "sigmoid": "elle renvoie des probabilités (une sigmoïde en sortie) : la perte, "
                       "binary_cross_entropy_with_logits, applique elle-même la sigmoïde et "
                       "attend les logits bruts de D. Retirez la sigmoïde finale ; "
                       "torch.sigmoid(logits) donne D(x) là où vous en avez besoin.",
            "dropout_in_eval": "en eval(), elle donne deux réponses différentes pour la même "
                               "image : son dropout reste actif. F.dropout(x, 0.3) ignore "
                               "eval() ; utilisez le module nn.Dropout(0.3), que eval() "
                               "désactive.",
            "no_dropout": "en train(), elle donne deux fois la même réponse pour la même image : "
                          "elle n'a pas de dropout. Placez nn.Dropout(dropout) après chaque "
                          "LeakyReLU, avec dropout=0.3 par défaut.",
            "dropout_rate": "son dropout éteint une part {rate} des neurones, contre 0,3 dans "
                            "le notebook : construisez-le avec nn.Dropout(dropout), à partir de "
                            "l'argument de __init__, dropout=0.3.",
            "linear": "c'est une fonction linéaire de l'image : sans non-linéarité entre elles, "
                      "ses couches Linear se réduisent à une seule matrice, et D ne peut tracer "
                      "qu'une frontière droite. Placez nn.LeakyReLU(0.2) après chaque couche "
                      "Linear cachée.",
            "slope": SLOPE["fr"],
            "error_hint": "La vérification la construit avec Discriminator() et l'appelle sur "
                          "4 images de forme (1, 28, 28).",
        },
        "scale_pixels": {
            "passed": "c'est juste. 0 → -1 et 255 → 1, en flottants, à la forme des images.",
            "shape": "elle renvoie la forme {shape} pour des images de forme {expected} : la "
                     "mise à l'échelle doit garder la forme.",
            "integer_dtype": "elle renvoie un tenseur de type {dtype} : des entiers ne peuvent "
                             "pas valoir -0,5 ni 0,0039. Convertissez d'abord en flottants : "
                             "images.float() / 127.5 - 1.",
            "rounded": "elle ne renvoie que des nombres entiers (0 → {zero}, 127 → {middle}, "
                       "255 → {full}) : la division entière // arrondit vers le bas. Divisez "
                       "avec / : images.float() / 127.5 - 1.",
            "zero_one": "elle ramène les pixels dans [0 ; 1], comme le ToTensor() du notebook "
                        "d'origine. La tanh de G produit des faux dans [-1 ; 1] : D pourrait "
                        "distinguer vrais et faux au seul signe des pixels. Ramenez-les dans "
                        "[-1 ; 1] : images.float() / 127.5 - 1.",
            "zero_two": "elle ramène les pixels dans [0 ; 2] (255 → 2) : il manque le - 1. "
                        "Utilisez images.float() / 127.5 - 1.",
            "inverted": "elle est inversée : 0 → 1 et 255 → -1, si bien que les chiffres "
                        "sortent foncés sur fond clair. Utilisez images.float() / 127.5 - 1 "
                        "(0 → -1, 255 → 1).",
            "overflow": "elle multiplie les pixels uint8 avant de les convertir, or "
                        "l'arithmétique uint8 repart de 0 après 255 (255 × 2 donne 254). "
                        "Convertissez d'abord : images.float() / 127.5 - 1.",
            "wrong": "elle donne 0 → {zero}, 127 → {middle}, 255 → {full} ; attendu : "
                     "0 → -1, 127 → {expected_middle}, 255 → 1, soit "
                     "images.float() / 127.5 - 1.",
            "error_hint": "La vérification l'appelle sur un tenseur uint8 de forme "
                          "(2, 1, 1, 3).",
        },
        "train_discriminator": {
            "passed": "c'est juste. Une mise à jour de D sur les vraies images étiquetées 1 et "
                      "les faux détachés étiquetés 0, les gradients remis à zéro à chaque "
                      "appel, et les probabilités moyennes de D sur chaque moitié.",
            "not_dict": "elle renvoie {what} ; attendu : un dict avec les clés d_loss, d_x et "
                        "d_g_z.",
            "keys": 'son dict n\'a pas de {missing} : renvoyez {{"d_loss": ..., "d_x": ..., '
                    '"d_g_z": ...}}.',
            "not_number": "{key} vaut {what}, et non un seul nombre : renvoyez la perte, puis "
                          "les moyennes des probabilités de D sur la moitié vraie d[:n] et la "
                          "moitié fausse d[n:].",
            "no_detach": "l'itération de D a envoyé des gradients dans G (ses poids ont un "
                         ".grad après l'appel) : calculez les faux avec generator(z).detach(), "
                         "pour que cette itération n'entraîne que D et que les gradients de G "
                         "ne s'accumulent pas avant sa propre itération.",
            "swapped": "les étiquettes sont inversées : les vraies images prennent l'étiquette "
                       "1 et les faux l'étiquette 0, dans l'ordre de torch.cat([real, fake]) : "
                       "torch.cat([torch.ones(n), torch.zeros(n)]).",
            "sigmoid_first": SIGMOID_FIRST["fr"],
            "bce_on_logits": BCE_ON_LOGITS["fr"],
            "halves_summed": "d_loss vaut le double de celle du notebook : la BCE de la moitié "
                             "vraie plus celle de la moitié fausse, là où le notebook prend une "
                             "seule moyenne sur les 2n images. La somme double les gradients de "
                             "D, comme un taux d'apprentissage doublé. Prenez une seule moyenne "
                             "sur torch.cat([real, fake]), ou divisez la somme par deux.",
            "loss": "d_loss vaut {got}, alors que la perte du notebook pour ce lot vaut "
                    "{expected} : F.binary_cross_entropy_with_logits(discriminator("
                    "torch.cat([real, fake])), labels), avec l'étiquette 1 pour les vraies "
                    "images et 0 pour les faux.",
            "no_step": "les poids de D n'ont pas changé : appelez opt_d.step() après "
                       "loss.backward().",
            "no_gradient": "les poids de D n'avaient aucun gradient pour avancer : appelez "
                           "opt_d.zero_grad(), loss.backward(), opt_d.step(), dans cet ordre "
                           "(et pas sous torch.no_grad()).",
            "update": "les poids de D après l'itération diffèrent de ceux du notebook : chaque "
                      "appel fait exactement un opt_d.zero_grad(), un loss.backward() et un "
                      "opt_d.step(), sur la perte de ce lot.",
            "no_zero_grad": "le premier appel est juste, mais le second déplace D trop loin : "
                            "les gradients s'accumulent d'un appel à l'autre. Appelez "
                            "opt_d.zero_grad() avant loss.backward().",
            "logits": "d_x et d_g_z sont des moyennes de logits, pas de probabilités : calculez "
                      "d'abord d = torch.sigmoid(logits.detach()), puis d[:n].mean() et "
                      "d[n:].mean().",
            "halves": "d_x et d_g_z sont inversés : d_x est la probabilité moyenne de D sur la "
                      "moitié vraie d[:n], d_g_z sur la moitié fausse d[n:].",
            "means": "d_x vaut {x} et d_g_z {g_z}, alors que les probabilités moyennes de D à "
                     "cette itération valent {expected_x} sur la moitié vraie et "
                     "{expected_g_z} sur la moitié fausse : d = torch.sigmoid(logits.detach()), "
                     "à partir des logits de l'itération, avant opt_d.step().",
            "error_hint": STEP_HINT["fr"] + " ; real est un lot de 8.",
        },
        "train_generator": {
            "passed": "c'est juste. Une mise à jour de G à travers D, ses faux étiquetés comme "
                      "vrais (la perte non saturante), D laissé intact, les gradients remis à "
                      "zéro à chaque appel, et la perte renvoyée.",
            "d_changed": "l'itération de G a modifié les poids de D : n'avancez que opt_g, "
                         "l'optimiseur de generator.parameters() ; D reste fixe pendant que G "
                         "apprend.",
            "not_number": "elle renvoie {what} et non la perte : renvoyez loss.detach().",
            "target_zero": "la cible vaut 0 : la perte récompense alors G pour des faux que D "
                           "rejette, ce qui aide D au lieu de le tromper. Étiquetez les faux "
                           "comme vrais : torch.ones(n).",
            "minimax": "c'est la perte minimax de l'article, log(1 - D(G(z))) (l'opposé de la "
                       "BCE contre 0) ; l'itération du notebook utilise la perte non saturante "
                       "-log D(G(z)), la BCE contre 1, dont le gradient reste fort quand D "
                       "gagne.",
            "sigmoid_first": SIGMOID_FIRST["fr"],
            "bce_on_logits": BCE_ON_LOGITS["fr"],
            "no_gradient": "les poids de G n'ont reçu aucun gradient : les faux doivent rester "
                           "reliés à G pendant sa propre itération, donc ni .detach() ni "
                           "torch.no_grad() ici.",
            "no_step": "les poids de G n'ont pas changé : appelez opt_g.step() après "
                       "loss.backward().",
            "returned": "elle renvoie {got}, mais la perte de cette itération vaut {expected} "
                        "(la mise à jour de G est juste) : renvoyez loss.detach().",
            "loss": "la perte vaut {got}, alors que celle du notebook vaut {expected} : "
                    "F.binary_cross_entropy_with_logits(discriminator(generator(z)), "
                    "torch.ones(n)).",
            "update": "les poids de G après l'itération diffèrent de ceux du notebook : chaque "
                      "appel fait exactement un opt_g.zero_grad(), un loss.backward() et un "
                      "opt_g.step(), sur la perte de faux tout neufs.",
            "no_zero_grad": "le premier appel est juste, mais le second déplace G trop loin : "
                            "les gradients s'accumulent d'un appel à l'autre. Appelez "
                            "opt_g.zero_grad() avant loss.backward().",
            "error_hint": STEP_HINT["fr"] + " ; n = 8 et device = 'cpu'.",
        },
        "minimax_generator_loss": {
            "passed": "c'est juste. La moyenne de log(1 - D(G(z))), finie même pour de grands "
                      "logits.",
            "not_tensor": "elle renvoie {what}, et non un tenseur torch : gardez la perte sous "
                          "forme de tenseur (pas de .item()), pour qu'elle puisse entraîner G.",
            "detached": "autograd ne peut pas remonter du résultat jusqu'aux logits : "
                        "construisez la perte à partir de fake_logits avec des opérations "
                        "torch, sans .item(), float() ni .detach(), pour qu'elle puisse "
                        "entraîner G.",
            "nonsaturating": "c'est la perte non saturante -log D(G(z)), celle avec laquelle "
                             "le notebook entraîne ; la perte minimax de l'article est "
                             "log(1 - D(G(z))) : -F.softplus(fake_logits).mean().",
            "sign": "le signe est inversé : -log(1 - D(G(z))) est ce que D minimise sur les "
                    "faux. G minimise log(1 - D(G(z))) = -F.softplus(fake_logits).mean().",
            "no_sigmoid": "elle traite les logits comme des probabilités : D(G(z)) vaut "
                          "torch.sigmoid(logit), et log(1 - logit) donne NaN dès qu'un logit "
                          "dépasse 1. Utilisez log(1 - sigmoid(l)), qui s'écrit de façon stable "
                          "-F.softplus(l).",
            "batch_sum": "elle fait la somme sur le lot : prenez la moyenne (.mean()), pour que "
                         "la perte et son gradient ne grandissent pas avec la taille du lot.",
            "unstable": "elle donne {got} pour un logit de 40 : 1 - sigmoid(40) s'arrondit à 0 "
                        "en float32, et son log vaut -inf. Utilisez la forme stable "
                        "log(1 - sigmoid(l)) = -softplus(l) : -F.softplus(fake_logits).mean(), "
                        "ou F.logsigmoid(-fake_logits).mean().",
            "value": "elle donne {got} pour les logits {logits}, alors que la moyenne de "
                     "log(1 - sigmoid(l)) vaut {expected}.",
            "error_hint": "La vérification l'appelle sur un tenseur de logits à une dimension, "
                          "comme torch.tensor([-2.0, -0.5, 0.3, 0.8]).",
        },
        "r1_penalty": {
            "passed": "c'est juste. γ/2 fois la moyenne sur le lot de ‖∇x D(x)‖² aux vrais "
                      "points, et elle entraîne les poids de D.",
            "points_need_grad": "autograd ne peut pas dériver par rapport à real, qui ne "
                                "requiert pas de gradient (un lot de données n'en requiert "
                                "jamais). Commencez par real = real.detach().requires_grad_("
                                "True), comme gankit.losses.r1_penalty.",
            "sum_outputs": "torch.autograd.grad a besoin d'un seul nombre à dériver : prenez "
                           "discriminator(real).sum() ; le gradient de chaque point reste le "
                           "sien, puisque D traite les points un par un.",
            "no_create_graph": "la pénalité ne peut pas entraîner D : elle n'a pas de gradient "
                               "par rapport aux poids de D. Passez create_graph=True à "
                               "torch.autograd.grad, pour que le gradient puisse lui-même être "
                               "dérivé.",
            "not_at_real": "elle ne change pas quand les vrais points changent : prenez le "
                           "gradient aux points donnés, real, et non aux faux ou à un autre "
                           "lot.",
            "not_squared": "elle utilise la norme ‖∇D(x)‖ au lieu de son carré : "
                           "grad.pow(2).sum(1) pour chaque point.",
            "gamma": "elle vaut le double de la valeur attendue : le facteur est γ/2, pas γ.",
            "batch_sum": "elle fait la somme sur le lot : prenez la moyenne sur les points, "
                         "grad.pow(2).sum(1).mean().",
            "coordinates": "elle fait aussi la moyenne sur les coordonnées de chaque point (la "
                           "moitié de la valeur, pour des points en 2D) : sommez les carrés sur "
                           "les coordonnées, puis faites la moyenne sur les points, "
                           "grad.pow(2).sum(1).mean().",
            "value": "elle donne {got}, alors que gankit.losses.r1_penalty donne {expected} "
                     "(γ = {gamma}).",
            "error_hint": "La vérification l'appelle avec un petit D sur des points en 2D, un "
                          "lot de 6 vrais points, et gamma = 3.",
        },
        "fake_arrows": {
            "passed": "c'est juste. En chaque faux point, l'opposé du gradient de -log D(x) : "
                      "la direction où la perte de G baisse le plus vite, la flèche du labo.",
            "shape": "elle renvoie {shape} pour {n} faux points ; forme attendue : ({n}, 2), "
                     "une flèche en 2D par point.",
            "points_need_grad": "autograd ne peut pas dériver par rapport aux faux, qui ne "
                                "requièrent pas de gradient : commencez par "
                                "x = fakes.detach().requires_grad_(True), puis dérivez par "
                                "rapport à x.",
            "sum_outputs": POINTS_SUM["fr"],
            "sign": "les flèches pointent à l'envers : c'est le gradient de la perte de G, "
                    "alors que le labo dessine l'opposé du gradient, la direction où la perte "
                    "baisse.",
            "minimax": "ce sont les flèches de la perte minimax log(1 - D(x)) ; celles du labo "
                       "suivent la perte non saturante -log D(x) : "
                       "F.binary_cross_entropy_with_logits(discriminator(x), torch.ones(n)).",
            "value": "la flèche du premier point vaut {got}, alors que l'opposé du gradient de "
                     "-log D(x) y vaut {expected}.",
            "error_hint": "La vérification l'appelle avec un petit D sur des points en 2D et 6 "
                          "faux points, un tenseur de forme (6, 2).",
        },
    },
}
MESSAGES["fr"] = {name: {key: typeset(text) for key, text in words.items()}
                  for name, words in MESSAGES["fr"].items()}
