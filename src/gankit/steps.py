"""One discriminator step and one generator step: the notebook's algorithm, as blocks.

`gankit.train` and the tutorial's notebook cell call these same two functions.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gankit.config import Config
from gankit.ema import EMA
from gankit.errors import ConfigError, phrase
from gankit.losses import GanLoss, r1_penalty
from gankit.models import draw_inputs, forward, unwrap


@dataclass
class Networks:
    """G and D, and the handles through which each step calls them.

    - `generator`, `discriminator`: the plain modules. Optimisers, checkpoints and
      exports use these.
    - `g_fast`, `d_fast`: the same modules under torch.compile with --compile,
      otherwise the modules themselves.
    - `g_sync`, `d_sync`: g_fast and d_fast wrapped in DistributedDataParallel under
      torchrun, so that their gradients are averaged over the ranks; otherwise the same
      as g_fast and d_fast.
    - `ema`: the moving average of G's weights, or None.
    - `d_penalty`: the D that R1 and WGAN-GP differentiate twice: `d_sync`, or the plain
      module under --compile, as a compiled graph cannot be differentiated twice.

    The D step draws its fakes through `g_fast` (no gradient, so nothing to synchronise)
    and trains D through `d_sync`. The G step trains G through `g_sync` and scores its
    fakes with `d_fast` (D is frozen there and needs no synchronisation), then updates
    `ema`. Grids, evaluations and exports draw from `sampler`.
    """

    generator: nn.Module
    discriminator: nn.Module
    g_fast: nn.Module | None = None
    d_fast: nn.Module | None = None
    g_sync: nn.Module | None = None
    d_sync: nn.Module | None = None
    ema: EMA | None = None
    d_penalty: nn.Module | None = None

    def __post_init__(self):  # `is None`: a module with __len__ (Sequential) can be falsy
        self.g_fast = self.generator if self.g_fast is None else self.g_fast
        self.d_fast = self.discriminator if self.d_fast is None else self.d_fast
        self.g_sync = self.g_fast if self.g_sync is None else self.g_sync
        self.d_sync = self.d_fast if self.d_sync is None else self.d_sync
        self.d_penalty = self.d_sync if self.d_penalty is None else self.d_penalty

    @property
    def sampler(self) -> nn.Module:
        """What grids, evaluations and the exported generator show: the EMA when kept."""
        return self.ema.model if self.ema else self.generator


def discriminator_step(nets: Networks, opt_d: torch.optim.Optimizer, loss: GanLoss,
                       real: torch.Tensor, labels: torch.Tensor | None = None,
                       precision: str = "fp32", r1: float = 0.0,
                       aux_classifier: float = 0.0) -> dict[str, torch.Tensor]:
    """Train D to tell `real` images from fakes of the same number; G gets no gradient.

    With class `labels` for the real images, the fakes get random classes. `r1` weights
    an R1 penalty on the real images for this step; `aux_classifier` weights the
    cross-entropy of D's class head on the real images (AC-GAN; the D needs the head).
    Returns, as tensors on the device (no host sync): `d_loss` (without R1, so that lazy
    R1 does not make it spike, but with WGAN-GP's penalty and the classifier's loss,
    parts of that loss), and the mean of D's outputs on the real and the fake half. For
    BCE losses these are probabilities, `d_x` = D(x) and `d_g_z` = D(G(z)); other losses
    have no probabilities, so their raw critic means are returned as `critic_x` and
    `critic_g_z`.
    """
    n = len(real)
    noise, fake_labels = draw_inputs(nets.generator, n, real.device)
    fake_classes = classes_of_fakes(nets.generator, noise, fake_labels)
    if (labels is None) != (fake_classes is None):
        raise ConfigError(phrase("a conditional GAN's D step needs the real images' labels, "
                                 "and an unconditional one takes none: discriminator_step(..., "
                                 "real, labels)"))
    with autocast(real.device, precision):
        with torch.no_grad():  # the fakes are constants here: no graph through G
            fake = forward(nets.g_fast, noise, fake_labels)
        both = None if labels is None else torch.cat([labels, fake_classes])
        logits, class_logits = d_outputs(nets.d_sync, torch.cat([real, fake]), both, aux_classifier)
        d_loss = loss.discriminator(logits[:n], logits[n:])
        if aux_classifier:  # real images only: fakes would teach D G's mistakes
            d_loss = d_loss + aux_classifier * F.cross_entropy(class_logits[:n], labels)
    critic = functools.partial(forward, nets.d_penalty, labels=labels)  # D as a function of images
    if loss.penalty:
        d_loss = d_loss + loss.penalty(critic, real, fake)
    # R1 is left out of the d_loss returned: lazy R1 would make its curve spike.
    regularised = d_loss + r1_penalty(critic, real, r1) if r1 else d_loss
    opt_d.zero_grad(set_to_none=True)
    regularised.backward()
    opt_d.step()
    logits = logits.detach()
    if loss.probabilities:
        scores = torch.sigmoid(logits)
        return {"d_loss": d_loss.detach(), "d_x": scores[:n].mean(), "d_g_z": scores[n:].mean()}
    return {"d_loss": d_loss.detach(), "critic_x": logits[:n].mean(),
            "critic_g_z": logits[n:].mean()}


def generator_step(nets: Networks, opt_g: torch.optim.Optimizer, loss: GanLoss, n: int,
                   precision: str = "fp32", aux_classifier: float = 0.0) -> torch.Tensor:
    """Train G on `n` fresh noise vectors (and random classes, when conditional) to make
    D call its fakes real, and, with `aux_classifier`, D's class head call each fake the
    class it was drawn for; D's weights get no gradient. Then update the EMA, if any.
    Returns the generator loss as a tensor on the device."""
    device = next(nets.generator.parameters()).device
    noise, labels = draw_inputs(nets.generator, n, device)
    nets.discriminator.requires_grad_(False)
    try:  # an error in G's step (a notebook's, say) must not leave D frozen for the next
        with autocast(device, precision):
            fake = forward(nets.g_sync, noise, labels)
            classes = classes_of_fakes(nets.generator, noise, labels)
            logits, class_logits = d_outputs(nets.d_fast, fake, classes, aux_classifier)
            g_loss = loss.generator(logits)
            if aux_classifier:
                g_loss = g_loss + aux_classifier * F.cross_entropy(class_logits, classes)
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
    finally:
        nets.discriminator.requires_grad_(True)
    if nets.ema:
        nets.ema.update(nets.generator)
    return g_loss.detach()


def d_outputs(discriminator: nn.Module, images: torch.Tensor, classes: torch.Tensor | None,
              aux_classifier: float) -> tuple[torch.Tensor, torch.Tensor | None]:
    """D's logits for `images` in fp32, and its class logits when `aux_classifier` is on."""
    has_head = getattr(unwrap(discriminator), "classifier", None) is not None
    if has_head and not aux_classifier:
        # Its head would get no gradient: no AC-GAN, and DDP would stop at the next step.
        raise ConfigError(phrase("this discriminator has a class head: pass aux_classifier="
                                 "config.aux_classifier to discriminator_step and "
                                 "generator_step"))
    if aux_classifier and not has_head:
        raise ConfigError(phrase("this discriminator has no class head: build it from a config "
                                 "with aux_classifier > 0"))
    if not aux_classifier:
        return forward(discriminator, images, classes).float(), None
    logits, class_logits = discriminator(images, classes, with_classes=True)
    return logits.float(), class_logits.float()


# Each network's optimizer, by name: (parameters, learning rate, config) -> optimizer.
# Adam's fused kernel updates all parameters in one call: 20 % faster per step on CPU here.
OPTIMIZERS = {
    "adam": lambda params, lr, config: torch.optim.Adam(params, lr, tuple(config.betas),
                                                        fused=True),
    "sgd": lambda params, lr, config: torch.optim.SGD(params, lr),
}
NETWORK_NAMES = ("g", "d")


def check_optimizer(name: str) -> None:
    if name not in OPTIMIZERS:
        raise ConfigError(phrase("unknown optimizer {name!r}; choose from {names}", name=name,
                                 names=", ".join(OPTIMIZERS)))


def make_optimizer(model: nn.Module, config: Config, network: str = "") -> torch.optim.Optimizer:
    """The config's optimizer (Adam with its betas, as in the notebook) for one network:
    `network` "g" or "d" says which, so that it gets --g-lr or --d-lr where set.

    Lazy R1 (--r1-every k) gets no StyleGAN2 correction (lr x k/(k+1), betas ^ k/(k+1)):
    that corrects for StyleGAN2's separate regularisation step, k + 1 Adam steps per k
    batches, where gankit adds R1 to the D step itself, k steps per k batches. Measured
    on the presets it did no better (benchmarks/RESULTS.md, 2026-12-02)."""
    check_optimizer(config.optimizer)
    return OPTIMIZERS[config.optimizer](model.parameters(), network_lr(config, network), config)


def network_lr(config: Config, network: str) -> float:
    """The learning rate of network "g" or "d": its own, or --lr. A config with its own
    rates needs the network named, so that neither is silently ignored."""
    if network in NETWORK_NAMES:
        return getattr(config, f"{network}_lr") or config.lr
    if network:
        raise ConfigError(phrase("network must be 'g' or 'd', got {network!r}",
                                 network=network))
    if config.g_lr or config.d_lr:
        raise ConfigError(phrase("this config sets g_lr or d_lr: name the network, "
                                 "make_optimizer(generator, config, 'g') and "
                                 "make_optimizer(discriminator, config, 'd')"))
    return config.lr


# Learning-rate factor as a function of the run's progress through its epochs, from 0 at
# the first step to 1 at the end of the last epoch (see schedule_progress). It depends on
# the step alone, so a run stopped by --max-steps or an interrupt resumes on the same curve.
LR_SCHEDULES = {
    "constant": lambda progress: 1.0,
    "linear": lambda progress: 1.0 - progress,
}


def schedule_progress(step: int, total: int, origin: tuple[int, float] = (0, 0.0)) -> float:
    """How far through its schedule a run of `total` steps is at `step`: step / total,
    unless a resume changed the run's length at `origin` (step, progress then): from there
    progress goes on to 1 at the new end, so the learning rate never jumps."""
    start, begun = origin
    return begun + (1.0 - begun) * (step - start) / (total - start)


def check_lr_schedule(name: str) -> None:
    if name not in LR_SCHEDULES:
        raise ConfigError(phrase("unknown lr_schedule {name!r}; choose from {names}", name=name,
                                 names=", ".join(LR_SCHEDULES)))


def schedule_learning_rate(opt_g, opt_d, config: Config, progress: float) -> None:
    """Set each network's learning rate to its own (network_lr) times the schedule at
    `progress`."""
    factor = LR_SCHEDULES[config.lr_schedule](progress)
    for optimizer, network in ((opt_g, "g"), (opt_d, "d")):
        for group in optimizer.param_groups:
            group["lr"] = network_lr(config, network) * factor


def autocast(device: torch.device, precision: str) -> torch.autocast:
    """bf16 autocast for --precision bf16, a no-op for fp32. It wraps forward passes only:
    optimizer steps stay outside, so no weight cast is reused after an update."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


def classes_of_fakes(generator: nn.Module, noise: torch.Tensor,
                     labels: torch.Tensor | None) -> torch.Tensor | None:
    """The classes D is told for fakes: the labels G drew for, or, for a --clusters G
    (which takes z alone), the cluster each noise vector picks; None otherwise."""
    inner = unwrap(generator)
    return inner.cluster_of(noise) if hasattr(inner, "cluster_of") else labels
