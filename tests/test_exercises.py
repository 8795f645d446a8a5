"""The exercises' checks: the notebook's solutions pass, and each classic mistake, written
as a student would write it, fails with its own hint."""

import functools
import re
import sys
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gankit
from gankit import exercises
from gankit.errors import ConfigError
from gankit.language import NARROW_NBSP, NBSP, set_language
from gankit.losses import get_loss, r1_penalty

# ---- The networks, as the notebook writes them, and as students get them wrong ----


def generator_class(activation=lambda: nn.LeakyReLU(0.2), last=nn.Tanh,
                    widths=(256, 512, 1024), shape=(-1, 1, 28, 28), keep_latent_dim=True,
                    extra=()):
    """The notebook's Generator, or one with a part changed; `extra`: modules after the
    last."""

    class Generator(nn.Module):
        def __init__(self, latent_dim=100):
            super().__init__()
            if keep_latent_dim:
                self.latent_dim = latent_dim
            layers, width = [], latent_dim
            for out in widths:
                layers += [nn.Linear(width, out)] + ([activation()] if activation else [])
                width = out
            self.net = nn.Sequential(*layers, nn.Linear(width, 784), *([last()] if last else []),
                                     *(module() for module in extra))

        def forward(self, z):
            return self.net(z).view(*shape)

    return Generator


def discriminator_class(activation=lambda: nn.LeakyReLU(0.2), widths=(1024, 512, 256),
                        squeeze=True, last=None, dropout_rate=None, dropout_module=True,
                        dropout_layer=nn.Dropout, dropout_first=False, flatten=True,
                        input_dropout=False):
    """The notebook's Discriminator, or one with a part changed; `dropout_module` False
    writes the original's F.dropout, `dropout_rate` 0 leaves dropout out, `dropout_first`
    puts it before the activation, `input_dropout` adds F.dropout on the input."""

    class Discriminator(nn.Module):
        def __init__(self, dropout=0.3):
            super().__init__()
            self.p = dropout if dropout_rate is None else dropout_rate
            layers, width = [nn.Flatten()] if flatten else [], 784
            for out in widths:
                after = ([activation()] if activation else [])
                if dropout_module and self.p:
                    after.insert(0 if dropout_first else len(after), dropout_layer(self.p))
                layers += [nn.Linear(width, out), *after]
                width = out
            self.net = nn.Sequential(*layers, nn.Linear(width, 1), *([last()] if last else []))

        def forward(self, images):
            x = F.dropout(images, self.p, self.training) if input_dropout else images
            for layer in self.net:
                x = layer(x)
                if not dropout_module and isinstance(layer, nn.LeakyReLU):
                    x = F.dropout(x, self.p)
            return x.squeeze(1) if squeeze else x

    return Discriminator


class FunctionalGenerator(nn.Module):
    """Activations called in forward, layers in a ModuleList: the right maths, but the
    weights are not under the names (net.0.weight, ...) that gankit.load_generator reads."""

    def __init__(self, latent_dim=100):
        super().__init__()
        self.latent_dim = latent_dim
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in
                                    [(latent_dim, 256), (256, 512), (512, 1024), (1024, 784)])

    def forward(self, z):
        for layer in self.layers[:-1]:
            z = F.leaky_relu(layer(z), 0.2)
        return torch.tanh(self.layers[-1](z)).view(-1, 1, 28, 28)


class UnflattenGenerator(generator_class()):
    """The notebook's G, shaping its images another way: just as right."""

    def forward(self, z):
        return self.net(z).unflatten(1, (1, 28, 28))


class IdentityGenerator(nn.Module):
    """Placeholders where the activations go, each applied in forward as `activation`:
    the weights have the notebook's names, and its activations are functions."""

    def __init__(self, latent_dim=100, activation=F.leaky_relu):
        super().__init__()
        self.latent_dim, self.activation = latent_dim, activation
        self.net = nn.Sequential(nn.Linear(100, 256), nn.Identity(), nn.Linear(256, 512),
                                 nn.Identity(), nn.Linear(512, 1024), nn.Identity(),
                                 nn.Linear(1024, 784), nn.Tanh())

    def forward(self, z):
        for layer in self.net:
            z = self.activation(z) if isinstance(layer, nn.Identity) else layer(z)
        return z.view(-1, 1, 28, 28)


class DropoutInForwardGenerator(generator_class()):
    def forward(self, z):
        return F.dropout(self.net(z), 0.1, self.training).view(-1, 1, 28, 28)


class HalfDropout(nn.Module):
    """A dropout module of one's own: dropout at rate 0.5, not an nn.Dropout."""

    def forward(self, x):
        return F.dropout(x, 0.5, self.training)


class LogitDropout(discriminator_class()):
    """Dropout after the last layer too: the logit itself is dropped."""

    def __init__(self, dropout=0.3):
        super().__init__(dropout)
        self.net.append(nn.Dropout(dropout))


class SigmoidInForward(discriminator_class()):
    def forward(self, images):
        return torch.sigmoid(self.net(images).squeeze(1))


# ---- The functions, from the notebooks, and their classic mistakes ----

def train_discriminator(generator, discriminator, opt_d, real, *, detach=True, labels_real=1.0,
                        zero_grad=True, step=True, squash=False, halves_summed=False,
                        probabilities=True):
    """The notebook's D step, or one with a mistake."""
    n = len(real)
    z = torch.randn(n, generator.latent_dim, device=real.device)
    fake = generator(z).detach() if detach else generator(z)
    logits = discriminator(torch.cat([real, fake]))
    labels = torch.cat([torch.full((n,), labels_real), 1 - torch.full((n,), labels_real)])
    labels = labels.to(real.device)
    scores = torch.sigmoid(logits) if squash else logits
    if halves_summed:
        loss = (F.binary_cross_entropy_with_logits(scores[:n], labels[:n])
                + F.binary_cross_entropy_with_logits(scores[n:], labels[n:]))
    else:
        loss = F.binary_cross_entropy_with_logits(scores, labels)
    if zero_grad:
        opt_d.zero_grad()
    loss.backward()
    if step:
        opt_d.step()
    d = torch.sigmoid(logits.detach()) if probabilities else logits.detach()
    return {"d_loss": loss.detach(), "d_x": d[:n].mean(), "d_g_z": d[n:].mean()}


def d_step_halves(generator, discriminator, opt_d, real):
    """The two halves' losses averaged: the notebook's number, written another way."""
    fake = generator(torch.randn(len(real), generator.latent_dim, device=real.device))
    real_logits, fake_logits = discriminator(real), discriminator(fake.detach())
    loss = (F.binary_cross_entropy(torch.sigmoid(real_logits), torch.ones_like(real_logits))
            + F.binary_cross_entropy(torch.sigmoid(fake_logits),
                                     torch.zeros_like(fake_logits))) / 2
    opt_d.zero_grad()
    loss.backward()
    opt_d.step()
    return {"d_loss": loss.detach(), "d_x": torch.sigmoid(real_logits).mean().detach(),
            "d_g_z": torch.sigmoid(fake_logits).mean().detach()}


def d_step_bce_on_logits(generator, discriminator, opt_d, real):
    n = len(real)
    fake = generator(torch.randn(n, generator.latent_dim)).detach()
    logits = discriminator(torch.cat([real, fake]))
    loss = F.binary_cross_entropy(logits, torch.cat([torch.ones(n), torch.zeros(n)]))
    opt_d.zero_grad()
    loss.backward()
    opt_d.step()
    return {"d_loss": loss.detach(), "d_x": logits[:n].mean(), "d_g_z": logits[n:].mean()}


def d_step_zero_grad_late(generator, discriminator, opt_d, real):
    """zero_grad between backward and step: nothing left to step with."""
    n = len(real)
    fake = generator(torch.randn(n, generator.latent_dim)).detach()
    logits = discriminator(torch.cat([real, fake]))
    loss = F.binary_cross_entropy_with_logits(logits, torch.cat([torch.ones(n), torch.zeros(n)]))
    loss.backward()
    opt_d.zero_grad()
    opt_d.step()
    d = torch.sigmoid(logits.detach())
    return {"d_loss": loss.detach(), "d_x": d[:n].mean(), "d_g_z": d[n:].mean()}


def d_step_returning(**returned):
    """The notebook's D step returning something else: each value a function of (d, n)."""

    def step(generator, discriminator, opt_d, real):
        out = train_discriminator(generator, discriminator, opt_d, real)
        n = len(real)
        with torch.no_grad():
            fake = generator(torch.zeros(n, generator.latent_dim))
        d = torch.sigmoid(discriminator(torch.cat([real, fake])))  # after the step: wrong
        return {key: value(out, d, n) for key, value in returned.items()}

    return step


def train_generator(generator, discriminator, opt_g, n, device, *, target=1.0, zero_grad=True,
                    step=True, detach=False, minimax=False, squash=False):
    """The notebook's G step, or one with a mistake."""
    z = torch.randn(n, generator.latent_dim, device=device)
    fake = generator(z)
    logits = discriminator(fake.detach() if detach else fake)
    scores = torch.sigmoid(logits) if squash else logits
    loss = F.binary_cross_entropy_with_logits(scores, torch.full((n,), target, device=device))
    if minimax:
        loss = -F.binary_cross_entropy_with_logits(logits, torch.zeros(n, device=device))
    if zero_grad:
        opt_g.zero_grad()
    loss.backward()
    if step:
        opt_g.step()
    return loss.detach()


def g_step_stepping_d(generator, discriminator, opt_g, n, device):
    """Both networks updated by hand: the G step moves D too."""
    loss = F.binary_cross_entropy_with_logits(
        discriminator(generator(torch.randn(n, generator.latent_dim))), torch.ones(n))
    opt_g.zero_grad()
    discriminator.zero_grad()
    loss.backward()
    with torch.no_grad():
        for p in [*generator.parameters(), *discriminator.parameters()]:
            p -= 0.1 * p.grad
    return loss.detach()


def g_step_one_optimizer_for_both(generator, discriminator, opt_g, n, device):
    """An optimizer of its own, over both networks."""
    both = torch.optim.SGD([*generator.parameters(), *discriminator.parameters()], lr=0.1)
    loss = F.binary_cross_entropy_with_logits(
        discriminator(generator(torch.randn(n, generator.latent_dim))), torch.ones(n))
    both.zero_grad()
    loss.backward()
    both.step()
    return loss.detach()


def g_step_returning_probability(generator, discriminator, opt_g, n, device):
    logits = discriminator(generator(torch.randn(n, generator.latent_dim, device=device)))
    loss = F.binary_cross_entropy_with_logits(logits, torch.ones(n, device=device))
    opt_g.zero_grad()
    loss.backward()
    opt_g.step()
    return torch.sigmoid(logits).mean().detach()


def g_step_returning_logits(generator, discriminator, opt_g, n, device):
    logits = discriminator(generator(torch.randn(n, generator.latent_dim, device=device)))
    train_generator(generator, discriminator, opt_g, n, device)
    return logits


def r1_by_hand(discriminator, real, gamma, *, create_graph=True, mark=True, square=True,
               factor=0.5, reduce="mean", points=None, squash=False):
    """gankit's R1 written out, or with a mistake; `points` replaces the real points."""
    x = real if points is None else points
    x = x.detach().requires_grad_(True) if mark else x
    out = torch.sigmoid(discriminator(x)) if squash else discriminator(x)
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=create_graph)
    norms = grad.pow(2).sum(1) if square else grad.norm(dim=1)
    if reduce == "coordinates":
        return factor * gamma * grad.pow(2).mean()
    return factor * gamma * (norms.mean() if reduce == "mean" else norms.sum())


class SeparateLayersGenerator(nn.Module):
    """The original notebook's style: a Linear attribute per layer, activations called in
    forward (at their default slope, here)."""

    def __init__(self, latent_dim=100):
        super().__init__()
        self.latent_dim = latent_dim
        self.hidden0, self.hidden1 = nn.Linear(latent_dim, 256), nn.Linear(256, 512)
        self.hidden2, self.out = nn.Linear(512, 1024), nn.Linear(1024, 784)

    def forward(self, z):
        for layer in (self.hidden0, self.hidden1, self.hidden2):
            z = F.leaky_relu(layer(z))
        return torch.tanh(self.out(z)).view(-1, 1, 28, 28)


class EluGenerator(IdentityGenerator):
    def __init__(self, latent_dim=100):
        super().__init__(latent_dim, F.elu)


class DoubleGenerator(generator_class()):
    def forward(self, z):
        return super().forward(z).double()


class FlattenInForward(discriminator_class(flatten=False)):
    def forward(self, images):
        return self.net(images.flatten(1)).squeeze(1)


def d_step_devices(generator, discriminator, opt_d, real, *, noise_device=True,
                   labels_device=True, after=False, item=False, detach=True, as_tuple=False):
    """The notebook's D step with its noise or labels left on the CPU, its loss
    recomputed after the update, returned as Python numbers, attached, or as a tuple."""
    n = len(real)
    z = torch.randn(n, generator.latent_dim, device=real.device if noise_device else None)
    fake = generator(z).detach()
    logits = discriminator(torch.cat([real, fake]))
    labels = torch.cat([torch.ones(n), torch.zeros(n)])
    labels = labels.to(real.device) if labels_device else labels
    loss = F.binary_cross_entropy_with_logits(logits, labels)
    opt_d.zero_grad()
    loss.backward()
    opt_d.step()
    if after:
        loss = F.binary_cross_entropy_with_logits(discriminator(torch.cat([real, fake])), labels)
    d = torch.sigmoid(logits.detach())
    if as_tuple:
        return loss.item(), d[:n], d[n:]
    if item:
        return {"d_loss": loss.item(), "d_x": d[:n].mean().item(), "d_g_z": d[n:].mean().item()}
    return {"d_loss": loss.detach() if detach else loss, "d_x": d[:n].mean(),
            "d_g_z": d[n:].mean()}


def g_step_devices(generator, discriminator, opt_g, n, device, *, noise_device=True,
                   labels_device=True, after=False, returned="detached"):
    """The notebook's G step with its noise or labels left on the CPU, its loss
    recomputed after the update, or returning something else than loss.detach()."""
    z = torch.randn(n, generator.latent_dim, device=device if noise_device else None)
    logits = discriminator(generator(z))
    labels = torch.ones(n, device=device if labels_device else None)
    loss = F.binary_cross_entropy_with_logits(logits, labels)
    opt_g.zero_grad()
    loss.backward()
    opt_g.step()
    if after:
        loss = F.binary_cross_entropy_with_logits(discriminator(generator(z)), labels)
    return {"detached": loss.detach(), "item": loss.item(), "attached": loss,
            "tuple": (loss, logits), "none": None}[returned]


def arrows_grad_tuple(discriminator, fakes):
    x = fakes.detach().requires_grad_(True)
    loss = F.binary_cross_entropy_with_logits(discriminator(x), torch.ones(len(x)), reduction="sum")
    return torch.autograd.grad(loss, x)


def arrows_negated_tuple(discriminator, fakes):
    x = fakes.detach().requires_grad_(True)
    loss = F.binary_cross_entropy_with_logits(discriminator(x), torch.ones(len(x)), reduction="sum")
    return -torch.autograd.grad(loss, x)


def r1_grad_tuple(discriminator, real, gamma):
    real = real.detach().requires_grad_(True)
    return torch.autograd.grad(discriminator(real).sum(), real, create_graph=True)


def r1_with_gradient(discriminator, real, gamma):
    real = real.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(discriminator(real).sum(), real, create_graph=True)
    return (gamma / 2 * g.pow(2).sum(1).mean(), g)


FAKE_POINTS = torch.randn(6, 2)  # a notebook's global batch of fakes


def arrows(discriminator, fakes, *, loss="nonsaturating", sign=-1, reduction="sum"):
    """Minus the gradient of G's loss at each fake point, or with a mistake."""
    x = fakes.detach().requires_grad_(True)
    logits = discriminator(x)
    if loss == "nonsaturating":
        total = F.binary_cross_entropy_with_logits(logits, torch.ones(len(x)), reduction=reduction)
    else:
        total = torch.log(1 - torch.sigmoid(logits)).sum()
    (grad,) = torch.autograd.grad(total, x)
    return sign * grad


def arrows_attached(discriminator, fakes):
    """Left attached to the graph (create_graph): the values are what count."""
    x = fakes.requires_grad_()
    loss = F.binary_cross_entropy_with_logits(discriminator(x), torch.ones(len(x)), reduction="sum")
    return -torch.autograd.grad(loss, x, create_graph=True)[0]


def arrows_unmarked(discriminator, fakes):
    loss = F.binary_cross_entropy_with_logits(discriminator(fakes), torch.ones(len(fakes)))
    return -torch.autograd.grad(loss, fakes)[0]


def arrows_unsummed(discriminator, fakes):
    x = fakes.detach().requires_grad_(True)
    losses = F.binary_cross_entropy_with_logits(discriminator(x), torch.ones(len(x)),
                                                reduction="none")
    return -torch.autograd.grad(losses, x)[0]


def minimax_loss(fake_logits):
    return -F.softplus(fake_logits).mean()


def not_written(*args):
    raise NotImplementedError


class NotWritten(nn.Module):
    def __init__(self, *args):
        super().__init__()
        raise NotImplementedError


SOLUTIONS = {
    "generator": generator_class(),
    "discriminator": discriminator_class(),
    "scale_pixels": lambda images: images.float() / 127.5 - 1,
    "train_discriminator": train_discriminator,
    "train_generator": train_generator,
    "minimax_generator_loss": get_loss("minimax").generator,
    "r1_penalty": r1_penalty,
    "fake_arrows": arrows,
}

OTHER_RIGHT_ANSWERS = [
    ("generator", UnflattenGenerator),
    ("discriminator", discriminator_class(dropout_first=True)),
    ("scale_pixels", lambda images: images / 255 * 2 - 1),
    ("train_discriminator", d_step_halves),
    ("minimax_generator_loss", lambda logits: F.logsigmoid(-logits).mean()),
    ("r1_penalty", r1_by_hand),
    ("fake_arrows", lambda d, fakes: arrows(d, fakes, reduction="mean")),  # as gankit.frames
    ("fake_arrows", arrows_attached),
]

# (check, the student's function, the mistake, a phrase of its hint)
MISTAKES = [
    ("generator", generator_class()(), "not_class", "the class itself"),
    ("generator", generator_class(keep_latent_dim=False), "no_latent_dim", "self.latent_dim"),
    ("generator", generator_class(widths=(128, 256, 512)), "parameters",
     "1,486,352: Linear layers 100 → 256 → 512 → 1024 → 784"),
    ("generator", generator_class(shape=(-1, 784)), "flat", ".view(-1, 1, 28, 28)"),
    ("generator", generator_class(shape=(-1, 28, 28)), "shape", "(3, 28, 28)"),
    ("generator", generator_class(last=None), "no_tanh", "outside [-1, 1]"),
    ("generator", generator_class(last=nn.Sigmoid), "never_negative", "never negative"),
    ("generator", generator_class(activation=None), "linear", "collapse into one matrix"),
    ("generator", generator_class(activation=nn.LeakyReLU), "slope",
     "acts as LeakyReLU(negative_slope=0.01)"),
    ("generator", generator_class(activation=nn.ReLU), "slope", "acts as ReLU()"),
    ("discriminator", discriminator_class(widths=(512, 256, 128)), "parameters",
     "1,460,225: Linear layers 784 → 1024 → 512 → 256 → 1"),
    ("discriminator", discriminator_class(squeeze=False), "column", ".squeeze(1)"),
    ("discriminator", discriminator_class(last=nn.Sigmoid), "sigmoid", "returns probabilities"),
    ("discriminator", SigmoidInForward, "sigmoid", "Remove the final sigmoid"),
    ("discriminator", discriminator_class(dropout_module=False), "dropout_in_eval",
     "F.dropout(x, 0.3) ignores eval()"),
    ("discriminator", discriminator_class(dropout_rate=0), "no_dropout", "it has no dropout"),
    ("discriminator", discriminator_class(dropout_rate=0.5), "dropout_rate",
     "drops half of the units, where the notebook's drops 30%"),
    ("discriminator", discriminator_class(activation=None), "linear", "straight boundary"),
    ("discriminator", discriminator_class(activation=nn.ReLU), "slope", "acts as ReLU()"),
    ("scale_pixels", lambda images: images.float() / 255, "zero_one", "sign of the pixels"),
    ("scale_pixels", lambda images: images.long() * 2 // 255 - 1, "integer_dtype", "torch.int64"),
    ("scale_pixels", lambda images: images // 127.5 - 1, "rounded", "integer division //"),
    ("scale_pixels", lambda images: images / 127.5, "zero_two", "the - 1 is missing"),
    ("scale_pixels", lambda images: 1 - images / 127.5, "inverted", "upside down"),
    ("scale_pixels", lambda images: images * 2 / 255 - 1, "overflow", "wraps around at 256"),
    ("scale_pixels", lambda images: (images - 127.5) / 255, "wrong",
     "maps 0 → -0.5, 127 → -0.00196078, 255 → 0.5"),
    ("scale_pixels", lambda images: images.flatten(1).float() / 127.5 - 1, "shape",
     "shape (2, 3) for images of shape (2, 1, 1, 3)"),
    ("scale_pixels", lambda images: images.numpy() / 127.5 - 1, "not_tensor",
     "an object of type ndarray"),
    ("train_discriminator", lambda *a: train_discriminator(*a, detach=False), "no_detach",
     "generator(z).detach()"),
    ("train_discriminator", lambda *a: train_discriminator(*a, labels_real=0.0), "swapped",
     "the labels are swapped"),
    ("train_discriminator", lambda *a: train_discriminator(*a, zero_grad=False), "no_zero_grad",
     "Call opt_d.zero_grad() before loss.backward()"),
    ("train_discriminator", lambda *a: train_discriminator(*a, step=False), "no_step",
     "call opt_d.step()"),
    ("train_discriminator", d_step_zero_grad_late, "no_gradient", "in that order"),
    ("train_discriminator", lambda *a: train_discriminator(*a, squash=True), "sigmoid_first",
     "squashes D's output twice"),
    ("train_discriminator", d_step_bce_on_logits, "bce_on_logits",
     "F.binary_cross_entropy expects probabilities"),
    ("train_discriminator", lambda *a: train_discriminator(*a, halves_summed=True),
     "halves_summed", "a sum of the two halves' means is twice that mean"),
    ("train_discriminator", lambda *a: train_discriminator(*a)["d_loss"], "not_dict",
     "a dict with the keys d_loss, d_x and d_g_z"),
    ("train_discriminator", d_step_returning(d_loss=lambda out, d, n: out["d_loss"]), "keys",
     "its dict has no d_x, d_g_z"),
    ("train_discriminator", lambda *a: train_discriminator(*a, probabilities=False), "logits",
     "means of logits, not of probabilities"),
    ("train_discriminator", d_step_returning(d_loss=lambda out, d, n: out["d_loss"],
                                             d_x=lambda out, d, n: out["d_g_z"],
                                             d_g_z=lambda out, d, n: out["d_x"]),
     "halves", "d_x and d_g_z are swapped"),
    ("train_discriminator", d_step_returning(d_loss=lambda out, d, n: out["d_loss"],
                                             d_x=lambda out, d, n: d[:n].mean(),
                                             d_g_z=lambda out, d, n: d[n:].mean()),
     "means", "before opt_d.step()"),
    ("train_discriminator", d_step_returning(d_loss=lambda out, d, n: out["d_loss"],
                                             d_x=lambda out, d, n: d[:n],
                                             d_g_z=lambda out, d, n: out["d_g_z"]),
     "not_number", "d_x is a tensor of shape (8,), not one number"),
    ("train_generator", lambda *a: train_generator(*a, target=0.0), "target_zero",
     "Label the fakes as real"),
    ("train_generator", g_step_stepping_d, "d_changed", "step only opt_g"),
    ("train_generator", g_step_one_optimizer_for_both, "other_optimizer",
     "G's weights did not change through opt_g: it steps another optimizer. Step the "
     "optimizer passed as `opt_g` (not another one"),
    ("train_generator", lambda *a: train_generator(*a, step=False), "no_step",
     "call opt_g.step()"),
    ("train_generator", lambda *a: train_generator(*a, zero_grad=False), "no_zero_grad",
     "Call opt_g.zero_grad() before loss.backward()"),
    ("train_generator", lambda *a: train_generator(*a, detach=True), "no_gradient",
     "no .detach()"),
    ("train_generator", lambda *a: train_generator(*a, minimax=True), "minimax",
     "the paper's minimax loss"),
    ("train_generator", lambda *a: train_generator(*a, squash=True), "sigmoid_first",
     "squashes D's output twice"),
    ("train_generator", g_step_returning_probability, "returned", "return loss.detach()"),
    ("train_generator", g_step_returning_logits, "not_number",
     "a tensor of shape (8,), not the loss"),
    ("minimax_generator_loss", get_loss("nonsaturating").generator, "nonsaturating",
     "this is the non-saturating loss"),
    ("minimax_generator_loss", lambda logits: F.softplus(logits).mean(), "sign",
     "the sign is flipped"),
    ("minimax_generator_loss", lambda logits: torch.log(1 - logits).mean(), "no_sigmoid",
     "treats the logits as probabilities"),
    ("minimax_generator_loss", lambda logits: torch.log(1 - torch.sigmoid(logits)).sum(),
     "batch_sum", "sums over the batch"),
    ("minimax_generator_loss", lambda logits: torch.log(1 - torch.sigmoid(logits)).mean(),
     "unstable", "gives -inf for a logit of 40: in float32, sigmoid(40) itself rounds to "
     "exactly 1"),
    ("minimax_generator_loss", lambda logits: minimax_loss(logits).item(), "not_tensor",
     "(no .item())"),
    ("minimax_generator_loss", lambda logits: torch.tensor(minimax_loss(logits).item()),
     "detached", "autograd cannot follow the result back"),
    ("minimax_generator_loss", lambda logits: torch.log(1 - torch.sigmoid(logits)), "not_scalar",
     "shape (4,)"),
    ("r1_penalty", lambda d, r, g: r1_by_hand(d, r, g, create_graph=False), "no_create_graph",
     "create_graph=True"),
    ("r1_penalty", lambda d, r, g: r1_by_hand(d, r, g, mark=False), "points_need_grad",
     "real.detach().requires_grad_(True)"),
    ("r1_penalty", lambda d, r, g: r1_by_hand(d, r, g, points=FAKE_POINTS), "not_at_real",
     "at the points given"),
    ("r1_penalty", lambda d, r, g: r1_by_hand(d, r, g, square=False), "not_squared",
     "rather than its square"),
    ("r1_penalty", lambda d, r, g: r1_by_hand(d, r, g, factor=1.0), "gamma", "is γ/2, not γ"),
    ("r1_penalty", lambda d, r, g: r1_by_hand(d, r, g, reduce="sum"), "batch_sum",
     "take the mean over the points"),
    ("r1_penalty", lambda d, r, g: r1_by_hand(d, r, g, reduce="coordinates"), "coordinates",
     "sum the squares over the coordinates"),
    ("r1_penalty", lambda d, real, g: torch.autograd.grad(
        d(real.requires_grad_()), real)[0].pow(2).sum(1).mean(), "sum_outputs",
     "discriminator(real).sum()"),
    ("fake_arrows", lambda d, fakes: arrows(d, fakes, sign=1), "sign", "point the wrong way"),
    ("fake_arrows", lambda d, fakes: arrows(d, fakes, loss="minimax"), "minimax",
     "the minimax loss log(1 - D(x))"),
    ("fake_arrows", lambda d, fakes: arrows(d, fakes).norm(dim=1), "shape",
     "returns (6,) for 6 fake points; expected (6, 2)"),
    ("fake_arrows", arrows_unmarked, "points_need_grad", "fakes.detach().requires_grad_(True)"),
    ("fake_arrows", arrows_unsummed, "sum_outputs", "sum over the points first"),
    ("fake_arrows", lambda d, fakes: 2 * arrows(d, fakes), "value",
     "where minus the gradient of -log D(x) there is"),
    ("generator", FunctionalGenerator, "no_net",
     "its weights are named layers.0.weight, layers.0.bias, layers.1.weight, … where the "
     "notebook's G names them net.0.weight, net.0.bias, net.2.weight"),
    ("generator", SeparateLayersGenerator, "no_net",
     "put the layers in one nn.Sequential named net, in the order of the description"),
    ("generator", IdentityGenerator, "slope", "acts as LeakyReLU(negative_slope=0.01)"),
    ("generator", EluGenerator, "activations", "check the activations and their order"),
    ("generator", generator_class(extra=(lambda: nn.Dropout(0.1),)), "dropout",
     "The notebook's G has none"),
    ("generator", DropoutInForwardGenerator, "dropout", "two different images for the same"),
    ("generator", DoubleGenerator, "float64", "torch.float64: return float32 (.float())"),
    ("discriminator", discriminator_class(flatten=False), "no_flatten",
     "put nn.Flatten() first in net"),
    ("discriminator", FlattenInForward, "no_net",
     "where the notebook's D names them net.1.weight, net.1.bias, net.4.weight"),
    ("discriminator", LogitDropout, "dropout_place",
     "none on the input or after the last Linear layer"),
    ("discriminator", discriminator_class(input_dropout=True), "dropout_place",
     "its dropout is not where the notebook's is"),
    ("discriminator", discriminator_class(dropout_layer=lambda p: HalfDropout()),
     "dropout_rate", "drops half of the units"),
    ("scale_pixels", lambda images: images.double() / 127.5 - 1, "float64",
     "torch.float64: return float32 (.float()), the networks' dtype"),
    ("scale_pixels", lambda images: (images.float() / 127.5 - 1,), "tuple",
     "it returns a tuple of 1 value; return only the scaled images"),
    ("scale_pixels", lambda images: None, "none", "is the `return` missing?"),
    ("train_discriminator", lambda *a: d_step_devices(*a, noise_device=False), "device",
     "`device=real.device`"),
    ("train_discriminator", lambda *a: d_step_devices(*a, labels_device=False), "device",
     "on a GPU this step would fail"),
    ("train_discriminator", lambda *a: d_step_devices(*a, after=True), "loss_after",
     "return the loss computed before the update"),
    ("train_discriminator", lambda *a: d_step_devices(*a, item=True), "item",
     "d_loss is a Python number (.item())"),
    ("train_discriminator", lambda *a: d_step_devices(*a, detach=False), "attached",
     "d_loss is still attached"),
    ("train_discriminator", lambda *a: d_step_devices(*a, as_tuple=True), "tuple",
     "it returns a tuple of 3 values; return one dict instead"),
    ("train_generator", lambda *a: g_step_devices(*a, noise_device=False), "device",
     "the device given as the `device` argument, `device=device`"),
    ("train_generator", lambda *a: g_step_devices(*a, labels_device=False), "device",
     "on a GPU this step would fail"),
    ("train_generator", lambda *a: g_step_devices(*a, after=True), "loss_after",
     "return the loss computed before the update"),
    ("train_generator", lambda *a: g_step_devices(*a, returned="item"), "item",
     "it returns a Python number (.item())"),
    ("train_generator", lambda *a: g_step_devices(*a, returned="attached"), "attached",
     "still attached"),
    ("train_generator", lambda *a: g_step_devices(*a, returned="tuple"), "tuple",
     "it returns a tuple of 2 values; return only the loss"),
    ("train_generator", lambda *a: g_step_devices(*a, returned="none"), "none",
     "it returns None: is the `return` missing?"),
    ("r1_penalty", lambda d, r, g: r1_by_hand(d, r, g, squash=True), "sigmoid",
     "the gradient of D's probability"),
    ("r1_penalty", r1_grad_tuple, "grad_tuple", "`(gradient,) = torch.autograd.grad(...)`"),
    ("r1_penalty", r1_with_gradient, "tuple",
     "it returns a tuple of 2 values; return only the penalty"),
    ("fake_arrows", arrows_grad_tuple, "grad_tuple",
     "torch.autograd.grad returns a tuple, one gradient per input"),
    ("fake_arrows", arrows_negated_tuple, "grad_tuple", "unpack it"),
]


@pytest.mark.parametrize("name", list(exercises.CHECKS))
def test_each_solution_passes(name):
    result = exercises.check(name, SOLUTIONS[name], "en")
    assert result.passed and result.mistake is None, result.message
    assert result.message.startswith(f"✓ {name}: right.")


@pytest.mark.parametrize(("name", "fn"), OTHER_RIGHT_ANSWERS)
def test_other_ways_to_write_a_solution_pass(name, fn):
    result = exercises.check(name, fn, "en")
    assert result.passed, result.message


@pytest.mark.parametrize(("name", "fn", "mistake", "hint"), MISTAKES,
                         ids=[f"{name}-{mistake}" for name, _, mistake, _ in MISTAKES])
def test_each_mistake_gets_its_own_hint(name, fn, mistake, hint):
    result = exercises.check(name, fn, "en")
    assert not result.passed
    assert result.mistake == mistake, result.message
    assert hint in result.message
    assert "\n" not in result.message and "Traceback" not in result.message


def test_every_mistake_has_a_message_in_each_language():
    for language in ("en", "fr"):
        for name in exercises.CHECKS:
            words = exercises.MESSAGES[language]
            assert set(words[name]) == set(exercises.MESSAGES["en"][name])
        assert set(words["common"]) == set(exercises.MESSAGES["en"]["common"])


@pytest.mark.parametrize(("name", "fn", "hint"), [
    ("train_discriminator", lambda *a: train_discriminator(*a, labels_real=0.0),
     "les étiquettes sont inversées" + NBSP + ":"),
    ("train_generator", lambda *a: train_generator(*a, zero_grad=False),
     "les gradients s'accumulent d'un appel à l'autre"),
    ("scale_pixels", lambda images: images.float() / 255, "au seul signe des pixels"),
    ("scale_pixels", lambda images: (images - 127.5) / 255, "0 → -0,5, 127 → -0,00196078"),
    ("generator", generator_class(widths=(128, 256, 512)),
     "contre 1" + NARROW_NBSP + "486" + NARROW_NBSP + "352 dans le notebook"),
])
def test_hints_in_french(name, fn, hint):
    result = exercises.check(name, fn, "fr")
    assert not result.passed
    assert result.message.startswith(f"✗ {name}" + NBSP + ":")
    assert hint in result.message


def test_french_messages_set_their_spaces():
    for words in exercises.MESSAGES["fr"].values():
        for text in words.values():
            assert not any(plain in text for plain in (" :", " ;", " ?", " !")), text


@pytest.mark.parametrize("name", list(exercises.CHECKS))
def test_a_function_not_yet_written(name):
    stub = NotWritten if name in ("generator", "discriminator") else not_written
    english, french = (exercises.check(name, stub, language) for language in ("en", "fr"))
    assert not english.passed and not french.passed
    assert english.mistake == french.mistake == "not_written"
    if name in ("generator", "discriminator"):  # a class: the method that still raises
        assert english.message.startswith(f"✗ {name}: __init__ is not written yet")
        assert french.message.startswith(f"✗ {name}" + NBSP + ": la méthode __init__ n'est "
                                         "pas encore écrite")
    else:
        assert english.message.startswith(f"✗ {name}: not written yet")
        assert french.message.startswith(f"✗ {name}" + NBSP + ": pas encore écrite")


@pytest.mark.parametrize("name", ["generator", "discriminator"])
def test_a_forward_not_yet_written_is_named(name):
    written = generator_class() if name == "generator" else discriminator_class()

    class NoForward(written):
        def forward(self, x):
            raise NotImplementedError("write forward")

    result = exercises.check(name, NoForward, "en")
    assert result.mistake == "not_written"
    assert result.message.startswith(f"✗ {name}: forward is not written yet")


def test_a_class_not_yet_written():
    class Generator(nn.Module):
        def __init__(self, latent_dim=100):
            super().__init__()
            self.latent_dim = latent_dim
            self.net = nn.Sequential(nn.Linear(100, 256), nn.Linear(256, 512),
                                     nn.Linear(512, 1024), nn.Linear(1024, 784))
        # forward not written yet: nn.Module's raises NotImplementedError

    assert exercises.check("generator", Generator, "en").mistake == "not_written"


def test_another_error_is_one_line_naming_it():
    def layer_mismatch(generator, discriminator, opt_g, n, device):
        return discriminator(torch.zeros(n, 5))  # 5 pixels where D takes 6

    result = exercises.check("train_generator", layer_mismatch, "en")
    assert result.mistake == "error"
    assert result.message.startswith("✗ train_generator: your code raised RuntimeError: mat1 "
                                     "and mat2 shapes cannot be multiplied")
    assert "D turns 6 pixels into one logit" in result.message
    assert "\n" not in result.message
    french = exercises.check("train_generator", layer_mismatch, "fr")
    assert "votre code a levé l'exception RuntimeError" + NBSP + ":" in french.message


def test_result_prints_as_its_message():
    result = exercises.check("scale_pixels", lambda images: images / 127.5, "en")
    assert str(result) == repr(result) == result.message
    assert result.message in result._repr_html_().replace("&#x27;", "'")


def test_unknown_name_lists_the_checks():
    with pytest.raises(ConfigError, match="unknown exercise 'discrimnator'.*generator, "
                                          "discriminator, scale_pixels"):
        exercises.check("discrimnator", discriminator_class())


def test_language_defaults_to_the_session():
    try:
        set_language("fr")
        assert "pas encore écrite" in exercises.check("r1_penalty", not_written).message
    finally:
        set_language("en")
    assert "not written yet" in exercises.check("r1_penalty", not_written).message


def test_the_students_random_stream_is_left_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    for name in ("train_discriminator", "train_generator", "discriminator"):
        exercises.check(name, SOLUTIONS[name], "en")
    assert torch.equal(torch.get_rng_state(), before)


def test_gankit_exercises_resolves_lazily():
    assert gankit.__getattr__("exercises") is sys.modules["gankit.exercises"]
    assert gankit.exercises.check is exercises.check


# ---- What a student's code may return instead: never a crash, a message of its own ----


class TupleForward(generator_class()):
    def forward(self, z):
        return super().forward(z), z


class NoneForward(generator_class()):
    def forward(self, z):
        super().forward(z)


class TupleLogits(discriminator_class()):
    def forward(self, images):
        logits = super().forward(images)
        return logits, torch.sigmoid(logits)


class NoneLogits(discriminator_class()):
    def forward(self, images):
        super().forward(images)


def returns_a_tuple(*args):
    """Two tensors, one still attached to a graph: a value beside the answer."""
    return torch.ones(3, requires_grad=True) * 2, torch.zeros(2)


STRANGE_RETURNS = {
    "generator": (TupleForward, NoneForward),
    "discriminator": (TupleLogits, NoneLogits),
    **{name: (returns_a_tuple, lambda *args: None) for name in exercises.CHECKS
       if name not in ("generator", "discriminator")},
}


@pytest.mark.parametrize("name", list(exercises.CHECKS))
def test_a_tuple_or_none_returned_fails_without_an_exception_or_a_warning(name):
    as_tuple, as_none = STRANGE_RETURNS[name]
    for language in ("en", "fr"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            tupled, nothing = (exercises.check(name, fn, language) for fn in (as_tuple, as_none))
        assert not tupled.passed and not nothing.passed
        assert tupled.mistake == "tuple", tupled.message
        assert nothing.mistake == "none", nothing.message
    assert "a tuple of 2 values" in exercises.check(name, as_tuple, "en").message
    assert "is the `return` missing?" in exercises.check(name, as_none, "en").message


def test_a_check_that_cannot_use_what_it_gets_says_so():
    class OddStateDict(generator_class()):
        def state_dict(self, *args, **kwargs):
            raise RuntimeError("no weights here")

    result = exercises.check("generator", OddStateDict, "en")
    assert result.mistake == "unexpected"
    assert result.message == ("✗ generator: the check could not use what your code gives "
                              "(RuntimeError: no weights here); it expects the images.")


def test_the_notebook_networks_have_gankit_s_weight_names():
    """gankit.load_generator builds gankit.models' networks and loads the weights by name:
    the networks the checks compare with have those names and shapes."""
    from gankit.models import MLPDiscriminator, MLPGenerator

    pairs = [(exercises.NotebookGenerator(), MLPGenerator(100, [256, 512, 1024], (1, 28, 28))),
             (exercises.NotebookDiscriminator(), MLPDiscriminator((1, 28, 28), [1024, 512, 256],
                                                                  0.3))]
    for ours, gankits in pairs:
        assert ({k: v.shape for k, v in ours.state_dict().items()}
                == {k: v.shape for k, v in gankits.state_dict().items()})
    for name in ("generator", "discriminator"):
        assert exercises.check(name, SOLUTIONS[name], "en").passed


def test_the_device_probe_runs_the_notebook_s_steps():
    """The probe on the meta device: the notebook's steps, optimizer steps included, run
    there without a device error; a step that makes its noise on the CPU does not."""
    assert exercises.device_mistake(exercises.notebook_d_step, "discriminator") is None
    assert exercises.device_mistake(exercises.notebook_g_step, "generator") is None
    cpu_noise = functools.partial(g_step_devices, noise_device=False)
    assert exercises.device_mistake(cpu_noise, "generator").mistake == "device"


def test_a_device_error_on_the_cpu_run_is_named():
    """A notebook's global device, "cuda" on a GPU machine, meets the check's CPU tensors."""
    def on_another_device(generator, discriminator, opt_g, n, device):
        raise RuntimeError("Expected all tensors to be on the same device, but found at least "
                           "two devices, cuda:0 and cpu!")

    assert exercises.check("train_generator", on_another_device, "en").mistake == "device"


def test_a_global_optimizer_is_refused_and_left_alone():
    """A step on the notebook's global optimizer, not on the one passed: the check names
    it, and the global network, which had gradients, does not move."""
    network = nn.Linear(3, 1)
    network(torch.ones(2, 3)).sum().backward()
    opt_d = torch.optim.SGD(network.parameters(), lr=1.0)
    before = [p.detach().clone() for p in network.parameters()]

    def global_optimizer(generator, discriminator, optimizer, real):
        n = len(real)
        fake = generator(torch.randn(n, generator.latent_dim, device=real.device)).detach()
        logits = discriminator(torch.cat([real, fake]))
        labels = torch.cat([torch.ones(n), torch.zeros(n)]).to(real.device)
        loss = F.binary_cross_entropy_with_logits(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        opt_d.step()  # the notebook's global, not the one passed
        d = torch.sigmoid(logits.detach())
        return {"d_loss": loss.detach(), "d_x": d[:n].mean(), "d_g_z": d[n:].mean()}

    result = exercises.check("train_discriminator", global_optimizer, "en")
    assert result.mistake == "other_optimizer"
    assert "D's weights did not change through opt_d" in result.message
    assert all(torch.equal(a, b) for a, b in zip(network.parameters(), before, strict=True))
    opt_d.step()  # the hook is gone: the global optimizer steps again
    assert not all(torch.equal(a, b) for a, b in zip(network.parameters(), before, strict=True))


@pytest.mark.parametrize(("name", "fn", "words", "not_words"), [
    ("train_discriminator", lambda *a: train_discriminator(*a, detach=False),
     ["la mise à jour de D a envoyé", "les images factices", "sa propre mise à jour"],
     ["itération", "les faux"]),
    ("train_discriminator", lambda *a: train_discriminator(*a, labels_real=0.0),
     ["les images réelles prennent l'étiquette 1 et les images factices"], ["vraies images"]),
    ("generator", generator_class(last=None), ["hors de [-1, 1]", "les images factices"],
     ["[-1 ;", "les faux"]),
    ("generator", generator_class(widths=(128, 256, 512)), ["il a 579"], ["elle a"]),
    ("discriminator", discriminator_class(dropout_rate=0.5),
     ["son dropout éteint la moitié des neurones, contre 30" + NBSP + "%"], ["une part"]),
    ("train_generator", lambda *a: train_generator(*a, target=0.0),
     ["des images factices que D rejette"], ["les faux"]),
    ("fake_arrows", arrows_unmarked, ["par rapport aux faux points"], []),
    ("minimax_generator_loss", lambda logits: torch.log(1 - torch.sigmoid(logits)).mean(),
     ["sigmoid(40) s'arrondit elle-même à exactement 1"], []),
])
def test_french_words_are_the_notebook_s(name, fn, words, not_words):
    message = exercises.check(name, fn, "fr").message
    for word in words:
        assert word in message
    for word in not_words:
        assert word not in message


def test_french_messages_write_intervals_as_the_notebook():
    for words in exercises.MESSAGES["fr"].values():
        for text in words.values():
            assert "[-1" + NARROW_NBSP + ";" not in text and "[0" + NARROW_NBSP + ";" not in text
            assert "l'itération de" not in text, text
            assert not re.search(r"\b(les|des|aux) faux (?!points)", text), text
