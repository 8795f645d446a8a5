"""Exercises that check themselves: a tutorial cell asks for a function, and the next cell
calls `check(name, fn)`, which runs it on small fixed inputs beside the notebook's own
version and names the classic mistake it finds, with how to fix it.

A check shows no traceback and never raises on what the student wrote: a function that
still raises NotImplementedError is "not written yet", another exception becomes one line
with a hint, and an unexpected return (None, a tuple, a float64 tensor...) a message of its
own. Checks build their own tiny networks and optimizers and draw from a forked random
stream, so the student's networks, optimizers and torch random state are left as they
were; while the student's step runs, a step of any other optimizer (a notebook's global
one) is refused. A check names the first mistake it finds, in the order a student would
fix them. The messages are in gankit.exercise_messages.

Two things the CPU cannot show are checked another way:
- the networks must be the notebook's layers, in one nn.Sequential named `net`, since
  later cells read generator.net[0] and gankit.load_generator loads G's weights by name:
  the check compares the names of the weights with the notebook's network's, then loads
  the student's weights into the notebook's network and compares the outputs;
- a step that makes its noise or labels on the CPU fails on a GPU only: after the step has
  passed on the CPU, the check runs it once more with its networks and batch on torch's
  "meta" device (shapes without data; optimizers step there too), where a tensor made on
  the CPU meets the batch's device and raises the same device error a GPU would.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import html
import io
import itertools
import math
import numbers
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.optimizer import register_optimizer_step_pre_hook

from gankit import seeds
from gankit.errors import ConfigError, first_line, phrase
from gankit.exercise_messages import MESSAGES, RETURNS
from gankit.language import NARROW_NBSP, NBSP, number, percent, resolve_language
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
    """An exception raised in the student's code, as opposed to the check's; `method` is
    the method of the student's class that raised it, for the class checks."""

    def __init__(self, error: Exception, method: str | None = None):
        super().__init__(error)
        self.error, self.method = error, method


def attempt(fn: Callable, *args, method: str | None = None):
    """fn(*args), with whatever it raises marked as the student's."""
    try:
        return fn(*args)
    except Exception as error:
        raise StudentError(error, method) from error


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


class Count(int):
    """A number of values, in a message: "1 value", "2 values"."""


class Share(float):
    """A share of the units, in a message: "half", "40%"."""


def unexpected(value, dtype: torch.dtype | None = torch.float32) -> Found | None:
    """What is wrong with `value` where a tensor is due: None (a missing return), a tuple
    or a list (a trailing comma, values returned beside it), anything else but a tensor,
    or, where `dtype` is given, floats of another precision."""
    if value is None:
        return found("none")
    if isinstance(value, tuple | list):
        return found("tuple", what=value)
    if not torch.is_tensor(value):
        return found("not_tensor", what=value)
    if dtype is not None and value.is_floating_point() and value.dtype != dtype:
        return found("float64", dtype=str(value.dtype))
    return None


# ---- The networks: the notebook's MLP GAN, classes the student writes ----

G_LAYERS, D_LAYERS = (100, 256, 512, 1024, 784), (784, 1024, 512, 256, 1)


def parameter_count(layers: tuple[int, ...]) -> int:
    """Weights and biases of Linear layers of these widths: 1,486,352 for G's."""
    return sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(layers))


class NotebookGenerator(nn.Module):
    """The notebook's G, which the student's is compared with. Its weights have the names
    of gankit.models.MLPGenerator's (net.0.weight, ...), which gankit.load_generator
    builds."""

    def __init__(self):
        super().__init__()
        layers = []
        for n_in, n_out in itertools.pairwise(G_LAYERS[:-1]):
            layers += [nn.Linear(n_in, n_out), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*layers, nn.Linear(*G_LAYERS[-2:]), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, 1, 28, 28)


class NotebookDiscriminator(nn.Module):
    """The notebook's D, with the names of gankit.models.MLPDiscriminator's weights. Its
    dropout is torch's nn.Dropout, which draws its masks as the student's does."""

    def __init__(self, dropout: float = 0.3):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        for n_in, n_out in itertools.pairwise(D_LAYERS[:-1]):
            layers += [nn.Linear(n_in, n_out), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
        self.net = nn.Sequential(*layers, nn.Linear(*D_LAYERS[-2:]))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images).squeeze(1)


def is_module_class(cls) -> bool:
    return isinstance(cls, type) and issubclass(cls, nn.Module)


def is_affine(forward: Callable, a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether `forward` maps the midpoint of two batches to the midpoint of their outputs,
    as Linear layers alone do. With LeakyReLU(0.2) at random weights the gap is about a
    tenth of the outputs' spread; without it, float32 rounding, a millionth."""
    out_a, out_b = forward(a), forward(b)
    gap = (forward((a + b) / 2) - (out_a + out_b) / 2).abs().max()
    return bool(gap <= 1e-4 * (out_a - out_b).abs().max())


def layout_mistake(network: nn.Module, reference: nn.Module) -> Found | None:
    """"no_net" unless the network's weights have the reference's names and shapes; the
    message names the student's own (those the reference lacks first)."""
    names = {key: tuple(value.shape) for key, value in network.state_dict().items()}
    expected = {key: tuple(value.shape) for key, value in reference.state_dict().items()}
    if list(names.items()) == list(expected.items()):
        return None
    shown = [key for key in names if key not in expected] or list(names)
    return found("no_net", keys=", ".join(shown[:3]) + (", …" if len(shown) > 3 else ""))


def set_slope(network: nn.Module, slope: float) -> None:
    for module in network.modules():
        if isinstance(module, nn.LeakyReLU):
            module.negative_slope = slope


def set_dropout(network: nn.Module, rate: float) -> None:
    for module in network.modules():
        if isinstance(module, nn.Dropout):
            module.p = rate


# LeakyReLU slopes a network might have instead of 0.2: F.leaky_relu's and
# nn.LeakyReLU's default 0.01, ReLU's 0, and every hundredth up to 1.
SLOPES = (0.01, 0.0, *(i / 100 for i in range(2, 101) if i != 20), 0.001, 0.005)
RATES = (0.5, 0.2, 0.1, 0.25, 0.4)  # dropout rates a functional F.dropout might have


def same_outputs(a: torch.Tensor, b: torch.Tensor) -> bool:
    return torch.allclose(a.float(), b, rtol=1e-4, atol=1e-5)


def activation_mistake(network: nn.Module, reference: nn.Module,
                       inputs: torch.Tensor) -> Found | None:
    """With the network's weights in the notebook's network (their names and shapes
    agree), whether both give the same outputs, in eval(); if not, the LeakyReLU slope
    that makes them agree, else a plain "another output"."""
    reference.load_state_dict(network.state_dict())
    network.eval()
    reference.eval()
    with torch.no_grad():
        got = attempt(network, inputs, method="forward")
        if same_outputs(got, reference(inputs)):
            return None
        for slope in SLOPES:
            set_slope(reference, slope)
            if same_outputs(got, reference(inputs)):
                activation = nn.ReLU() if slope == 0 else nn.LeakyReLU(slope)
                return found("slope", activation=repr(activation))
    return found("activations")


def seeded(network: nn.Module, inputs: torch.Tensor, method: str | None = None):
    """The network's output with the random stream at a fixed point: in train(), the same
    dropout masks for two networks that draw them alike."""
    seeds.seed_global("check_dropout")
    with torch.no_grad():
        return attempt(network, inputs, method=method)


def dropout_mistake(discriminator: nn.Module, reference: nn.Module,
                    images: torch.Tensor) -> Found | None:
    """Whether, in train(), D and the notebook's D with its weights give the same output
    from the same random draws: dropout where the notebook has it, at its rate."""
    discriminator.train()
    reference.train()
    got = seeded(discriminator, images, "forward")
    if same_outputs(got, seeded(reference, images)):
        return None
    for rate in RATES:
        set_dropout(reference, rate)
        if same_outputs(got, seeded(reference, images)):
            return found("dropout_rate", rate=Share(rate))
    return found("dropout_place")


def check_generator(cls) -> Found | None:
    if not is_module_class(cls):
        return found("not_class", what=cls, cls="Generator")
    generator = attempt(cls, method="__init__")
    if getattr(generator, "latent_dim", None) != 100:
        return found("no_latent_dim")
    count = sum(p.numel() for p in generator.parameters())
    if count != parameter_count(G_LAYERS):
        return found("parameters", count=count, expected=parameter_count(G_LAYERS),
                     layers=" → ".join(map(str, G_LAYERS)))
    forward = functools.partial(attempt, generator, method="forward")
    z, other = torch.randn(2, 3, 100)
    with torch.no_grad():
        images = forward(z)
        mistake = unexpected(images)
        if mistake:
            return mistake
        if images.shape != (3, 1, 28, 28):
            flat = images.shape == (3, 784)
            return found("flat" if flat else "shape", shape=shape_of(images), n=3)
        if not torch.equal(forward(z), images):
            return found("dropout")
        # Noise a thousand times too large drives the last layer's outputs far beyond
        # [-1, 1], whatever the weights: only a tanh brings them back.
        far = forward(z * 1000).float()
        if far.min() >= 0:
            return found("never_negative")
        if not far.abs().max() <= 1:
            return found("no_tanh", low=float(far.min()), high=float(far.max()))
        # Linear layers alone make atanh(G(z)) affine in z; its outputs (about ±0.3 here)
        # stay where atanh is well conditioned.
        if is_affine(lambda noise: torch.atanh(forward(noise).float()), z, other):
            return found("linear")
    reference = NotebookGenerator()
    return (layout_mistake(generator, reference)
            or activation_mistake(generator, reference, torch.cat([z, other])))


def check_discriminator(cls) -> Found | None:
    if not is_module_class(cls):
        return found("not_class", what=cls, cls="Discriminator")
    discriminator = attempt(cls, method="__init__")
    count = sum(p.numel() for p in discriminator.parameters())
    if count != parameter_count(D_LAYERS):
        return found("parameters", count=count, expected=parameter_count(D_LAYERS),
                     layers=" → ".join(map(str, D_LAYERS)))
    forward = functools.partial(attempt, discriminator, method="forward")
    images, others = torch.rand(2, 4, 1, 28, 28) * 2 - 1
    discriminator.eval()
    with torch.no_grad():
        try:
            logits = forward(images)
        except StudentError:
            if takes_flat_images(discriminator, images):
                return found("no_flatten")
            raise
        mistake = unexpected(logits)
        if mistake:
            return mistake
        if logits.shape != (4,):
            column = logits.shape == (4, 1)
            return found("column" if column else "shape", shape=shape_of(logits), n=4)
        if returns_probabilities(discriminator, images):
            return found("sigmoid")
        if not torch.equal(forward(images), logits):
            return found("dropout_in_eval")
        discriminator.train()
        if torch.equal(forward(images), forward(images)):
            return found("no_dropout")
        discriminator.eval()
        if is_affine(forward, images, others):
            return found("linear")
    rates = [m.p for m in discriminator.modules() if isinstance(m, nn.Dropout) and m.p != 0.3]
    if rates:
        return found("dropout_rate", rate=Share(rates[0]))
    reference = NotebookDiscriminator()
    both = torch.cat([images, others])
    return (layout_mistake(discriminator, reference)
            or activation_mistake(discriminator, reference, both)
            or dropout_mistake(discriminator, reference, both))


def takes_flat_images(discriminator: nn.Module, images: torch.Tensor) -> bool:
    """Whether D, which failed on images of 1 × 28 × 28, works on them flattened: no
    nn.Flatten() before its first Linear layer."""
    try:
        discriminator(images.flatten(1))
    except Exception:
        return False
    return True


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
    outputs = attempt(louder, images, method="forward")
    return bool(((outputs >= 0) & (outputs <= 1)).all())


# ---- Pixels ----

PIXELS = torch.tensor([0, 127, 255, 64, 128, 200], dtype=torch.uint8).view(2, 1, 1, 3)


def check_scale_pixels(fn) -> Found | None:
    scaled = attempt(fn, PIXELS.clone())
    mistake = unexpected(scaled, dtype=None)
    if mistake:
        return mistake
    if scaled.shape != PIXELS.shape:
        return found("shape", shape=shape_of(scaled), expected=shape_of(PIXELS))
    if not scaled.is_floating_point():
        return found("integer_dtype", dtype=str(scaled.dtype))
    if scaled.dtype != torch.float32:  # the networks' dtype: later cells would fail
        return found("float64", dtype=str(scaled.dtype))
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


class ProbeGenerator(FixedGenerator):
    """FixedGenerator for the device probe: the same pixels, plus zero times the noise, so
    that noise made on another device than G's raises, as it would on a GPU."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return super().forward(z) + 0 * z.reshape(len(z), -1)[:, :1]


class TinyDiscriminator(nn.Module):
    """A D that checks in milliseconds: `inputs` numbers, 8 units, one logit."""

    def __init__(self, inputs: int, activation: nn.Module):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(inputs, 8), activation, nn.Linear(8, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


def step_start(probe: bool = False) -> tuple[FixedGenerator, TinyDiscriminator, torch.Tensor]:
    """The same G, D and real batch at every call; `probe`: on the meta device."""
    seeds.seed_global("check_case")
    generator = ProbeGenerator() if probe else FixedGenerator()
    discriminator = TinyDiscriminator(6, nn.LeakyReLU(0.2))
    real = torch.rand(BATCH, 6) * 2 - 1
    if probe:
        return generator.to("meta"), discriminator.to("meta"), real.to("meta")
    return generator, discriminator, real


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


def d_batch(generator, discriminator, real) -> tuple[torch.Tensor, torch.Tensor]:
    """D's logits on the D step's batch, real then fake (the same fakes for any noise),
    and their labels."""
    with torch.no_grad():
        logits = discriminator(torch.cat([real, generator(torch.zeros(BATCH, 4))]))
    return logits, torch.cat([torch.ones(BATCH), torch.zeros(BATCH)])


def g_logits(generator, discriminator) -> torch.Tensor:
    with torch.no_grad():
        return discriminator(generator(torch.zeros(BATCH, 4)))


def loss_after_update(trains: str) -> torch.Tensor:
    """The step's loss recomputed after the notebook's update: what a step returns that
    computes its loss again after opt.step()."""
    generator, discriminator, real = step_start()
    bce = F.binary_cross_entropy_with_logits
    if trains == "discriminator":
        opt_d = torch.optim.SGD(discriminator.parameters(), lr=LEARNING_RATE)
        notebook_d_step(generator, discriminator, opt_d, real)
        return bce(*d_batch(generator, discriminator, real))
    opt_g = torch.optim.SGD(generator.parameters(), lr=LEARNING_RATE)
    notebook_g_step(generator, discriminator, opt_g, BATCH, "cpu")
    return bce(g_logits(generator, discriminator), torch.ones(BATCH))


class OtherOptimizer(Exception):
    """Raised in the student's step when it steps another optimizer than the check's."""


@contextlib.contextmanager
def only_stepping(optimizer: torch.optim.Optimizer):
    """While the block runs, a step of any optimizer but `optimizer` raises OtherOptimizer
    instead: a notebook's global optimizer, stepped by mistake in the check, would move the
    student's own networks."""

    def refuse(stepping, args, kwargs):
        if stepping is not optimizer:
            raise OtherOptimizer

    handle = register_optimizer_step_pre_hook(refuse)
    try:
        yield
    finally:
        handle.remove()


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
    with only_stepping(optimizer):
        for call in range(2):
            data = (real.clone(),) if trains == "discriminator" else (BATCH, "cpu")
            returned.append(step(generator, discriminator, optimizer, *data))
            seen.append(weights(trained))
            if call == 0:
                first_gradients, first_other = gradients(trained), gradients(other)
    changed = not all(torch.equal(a, b) for a, b in zip(weights(other), other_start,
                                                           strict=True))
    return Trace(returned, seen, first_gradients, first_other, changed)


DEVICE_ERRORS = ("is not on the expected device", "to be on the same device",
                 "found at least two devices")


def device_mistake(step: Callable, trains: str) -> Found | None:
    """"device" if the step, right on the CPU, fails with a device error once its networks
    and batch are on the meta device: it makes a tensor on the CPU, whatever the device
    of the batch. Any other failure there (.item() has no value on meta) proves nothing."""
    generator, discriminator, real = step_start(probe=True)
    trained = discriminator if trains == "discriminator" else generator
    optimizer = torch.optim.SGD(trained.parameters(), lr=LEARNING_RATE)
    data = (real,) if trains == "discriminator" else (BATCH, real.device)
    try:  # a second run of the student's step: what it prints or warns was seen already
        with (only_stepping(optimizer), contextlib.redirect_stdout(io.StringIO()),
              warnings.catch_warnings()):
            warnings.simplefilter("ignore")
            step(generator, discriminator, optimizer, *data)
    except Exception as error:
        if any(fragment in str(error) for fragment in DEVICE_ERRORS):
            return found("device")
    return None


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


def step_number(value) -> float | None:
    """A step's returned value as one float: a number, or a tensor of no dimension (the
    training loop stacks them)."""
    return None if torch.is_tensor(value) and value.dim() else scalar(value)


def kind_mistake(values: dict) -> Found | None:
    """Right numbers of the wrong kind for the training loop: a Python number, which its
    tensor arithmetic cannot take, or a tensor still attached to the step's graph."""
    for key, value in values.items():
        if not torch.is_tensor(value):
            return found("item", key=key)
        if value.requires_grad:
            return found("attached", key=key)
    return None


D_KEYS = ("d_loss", "d_x", "d_g_z")


def traced_steps(fn, reference, trains: str) -> tuple[Trace, Trace, Found | None]:
    """The student's step `fn` and the notebook's `reference`, each traced from the same
    start (two calls; see `trace`), and what is wrong with the kind of value `fn` returns."""
    got = trace(functools.partial(attempt, fn), trains)
    returned = got.returned[0]
    wrong_kind = (unexpected(returned) if returned is None or isinstance(returned, tuple | list)
                  else None)
    return got, trace(reference, trains), wrong_kind


def check_train_discriminator(fn) -> Found | None:
    got, expected, wrong_kind = traced_steps(fn, notebook_d_step, "discriminator")
    if wrong_kind:
        return wrong_kind
    returned = got.returned[0]
    if not isinstance(returned, dict):
        return found("not_dict", what=returned)
    missing = [key for key in D_KEYS if key not in returned]
    if missing:
        return found("keys", missing=", ".join(missing))
    if any(g is not None and bool(g.any()) for g in got.other_gradients):
        return found("no_detach")
    values = {key: step_number(returned[key]) for key in D_KEYS}
    for key in D_KEYS:
        if values[key] is None:
            return found("not_number", key=key, what=returned[key])
    logits, labels = d_batch(*step_start())
    bce = F.binary_cross_entropy_with_logits
    loss = bce(logits, labels)
    if not close(values["d_loss"], loss):
        wrong_losses = {"swapped": bce(logits, 1 - labels),
                        "sigmoid_first": bce(torch.sigmoid(logits), labels),
                        "halves_summed": 2 * loss,
                        "loss_after": loss_after_update("discriminator"),
                        # Logits outside [0, 1] make it raise, which KNOWN_ERRORS names.
                        "bce_on_logits": F.binary_cross_entropy(logits.clamp(0, 1), labels)}
        for mistake, wrong in wrong_losses.items():
            if close(values["d_loss"], wrong):
                return found(mistake, got=values["d_loss"])
        return found("loss", got=values["d_loss"], expected=float(loss))
    return (update_mistake(got, expected)
            or means_mistake(values["d_x"], values["d_g_z"], logits)
            or kind_mistake({key: returned[key] for key in D_KEYS})
            or device_mistake(fn, "discriminator"))


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
    got, expected, wrong_kind = traced_steps(fn, notebook_g_step, "generator")
    if wrong_kind:
        return wrong_kind
    returned = got.returned[0]
    if got.other_changed:
        return found("d_changed")
    loss = step_number(returned)
    if loss is None:
        return found("not_number", what=returned)
    logits = g_logits(*step_start()[:2])
    bce = F.binary_cross_entropy_with_logits
    ones, zeros = torch.ones(BATCH), torch.zeros(BATCH)
    right = bce(logits, ones)
    if not close(loss, right):
        wrong_losses = {"target_zero": bce(logits, zeros), "minimax": -bce(logits, zeros),
                        "sigmoid_first": bce(torch.sigmoid(logits), ones),
                        "loss_after": loss_after_update("generator"),
                        "bce_on_logits": F.binary_cross_entropy(logits.clamp(0, 1), ones)}
        for mistake, wrong in wrong_losses.items():
            if close(loss, wrong):
                return found(mistake, got=loss)
    mistake = update_mistake(got, expected)
    if not close(loss, right) and (mistake is None or mistake.mistake == "update"):
        # The loss is wrong: a wrong number returned if G's update is right, else a wrong loss.
        return found("returned" if mistake is None else "loss", got=loss, expected=float(right))
    return (mistake or kind_mistake({"loss": returned})
            or device_mistake(fn, "generator"))


# ---- Losses ----

# Below 1, so that log(1 - logit), a forgotten sigmoid, is a number to recognise.
MODERATE_LOGITS = (-2.0, -0.5, 0.3, 0.8)
LARGE_LOGITS = (-30.0, 5.0, 40.0)  # sigmoid(40) is 1 in float32, so 1 - sigmoid(40) is 0


def check_minimax_generator_loss(fn) -> Found | None:
    logits = torch.tensor(MODERATE_LOGITS, requires_grad=True)
    loss = attempt(fn, logits)
    mistake = unexpected(loss, dtype=None)
    if mistake:
        return mistake
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
    seeds.seed_global("check_case")
    return TinyDiscriminator(2, nn.Tanh()), torch.randn(6, 2), torch.randn(6, 2)


def lab_unexpected(value, points: torch.Tensor) -> Found | None:
    """unexpected(value), but a tuple of one tensor shaped like the points is what
    torch.autograd.grad returns, returned as it is."""
    if (isinstance(value, tuple) and len(value) == 1 and torch.is_tensor(value[0])
            and value[0].shape == points.shape):
        return found("grad_tuple")
    return unexpected(value, dtype=None)


def check_r1_penalty(fn) -> Found | None:
    discriminator, real, other = lab_start()
    penalty = attempt(fn, discriminator, real.clone(), GAMMA)
    mistake = lab_unexpected(penalty, real)
    if mistake:
        return mistake
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
    (of_probability,) = torch.autograd.grad(torch.sigmoid(discriminator(points)).sum(), points)
    squares = gradient.pow(2).sum(1)
    wrong_penalties = {"gamma": GAMMA * squares.mean(),
                       "batch_sum": GAMMA / 2 * squares.sum(),
                       "coordinates": GAMMA / 2 * gradient.pow(2).mean(),
                       "not_squared": GAMMA / 2 * squares.sqrt().mean(),
                       "sigmoid": GAMMA / 2 * of_probability.pow(2).sum(1).mean()}
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
    mistake = lab_unexpected(arrows, fakes)
    if mistake:
        return mistake
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

# Exceptions that are themselves a classic mistake: a phrase of the message -> the mistake.
STEP_ERRORS = {"between 0 and 1": "bce_on_logits", **dict.fromkeys(DEVICE_ERRORS, "device")}
LAB_ERRORS = {"differentiated Tensors does not require grad": "points_need_grad",
              "only for scalar outputs": "sum_outputs",
              "'tuple'": "grad_tuple"}  # -grad, grad.pow(2), grad ** 2 on autograd.grad's
KNOWN_ERRORS = {"train_discriminator": STEP_ERRORS, "train_generator": STEP_ERRORS,
                "r1_penalty": LAB_ERRORS, "fake_arrows": LAB_ERRORS}


def check(name: str, fn, language: str | None = None) -> Result:
    """Run the exercise `name`'s check on the student's `fn` (a class for "generator" and
    "discriminator"); the result's message is in `language`, by default the session's
    (gankit.set_language)."""
    if name not in CHECKS:
        raise ConfigError(phrase("unknown exercise {name!r}; the exercises are {names}",
                                 name=name, names=", ".join(CHECKS)))
    language = resolve_language(language)
    # The check's own random stream, and gradients on even if the student turned them off.
    with torch.random.fork_rng(devices=[]), torch.enable_grad():
        try:
            mistake = CHECKS[name](fn)
        except StudentError as student:
            mistake = student_error(name, student)
        except Exception as error:  # what the student's code gave made the check fail
            mistake = found("unexpected", error_type=type(error).__name__,
                            error=first_line(error).rstrip("."))
    return result(name, mistake, language)


def student_error(name: str, student: StudentError) -> Found:
    error = student.error
    if isinstance(error, NotImplementedError):
        method = student.method or ("forward" if name in ("generator", "discriminator")
                                    else None)
        return found("not_written", **({"method": method} if method else {}))
    if isinstance(error, OtherOptimizer):
        return found("other_optimizer")
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
    values = {key: render(value, language) for key, value in mistake.values.items()}
    text = template.format(returned=RETURNS[language][name], **values)
    if mistake.mistake == "error":
        text += " " + words[name]["error_hint"]
    return Result(False, f"✗ {name}{colon} {text}", mistake.mistake)


def precise(value: float, language: str) -> str:
    """`value` to six significant digits: two values that `close` tells apart (to 1e-4)
    never print alike."""
    if not math.isfinite(value) or value == 0:
        return number(value, language)
    text = number(value, language, max(0, 5 - math.floor(math.log10(abs(value)))))
    point = "," if language == "fr" else "."
    return text.rstrip("0").rstrip(point) if point in text else text


def render(value, language: str) -> str:
    """A value in a message: numbers as the language writes them, tuples of numbers as a
    vector, other tuples and lists by their length, tensors and other objects by their
    kind."""
    words = MESSAGES[language]["common"]
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool):
        return str(value)
    if isinstance(value, Count):
        return words["value_one" if value == 1 else "values"].format(n=int(value))
    if isinstance(value, Share):
        return words["half"] if value == 0.5 else percent(value, language)
    if isinstance(value, numbers.Integral):
        return number(value, language)
    if isinstance(value, numbers.Real):
        return precise(value, language)
    if isinstance(value, tuple) and value and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value):
        separator = NARROW_NBSP + "; " if language == "fr" else ", "
        return "(" + separator.join(number(v, language) for v in value) + ")"
    if isinstance(value, tuple | list):
        kind = "tuple_of" if isinstance(value, tuple) else "list_of"
        return words[kind].format(n=render(Count(len(value)), language))
    if torch.is_tensor(value):
        return words["tensor"].format(shape=shape_of(value))
    return words["object"].format(type=type(value).__name__)
