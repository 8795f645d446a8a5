"""Generator and discriminator architectures, registered by name."""

from __future__ import annotations

import dataclasses
import math

import torch
from torch import nn

from gankit import seeds
from gankit.config import Config
from gankit.errors import ConfigError, phrase
from gankit.kinds import kind_of


class Dropout(nn.Dropout):
    """nn.Dropout with a faster mask on CPU; same distribution, off in eval() as usual.

    CPU bernoulli_ draws its mask serially and took 20 % of a seed-preset step here;
    comparing rand_like against p is about 3x faster. CUDA keeps the fused kernel.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0 or x.is_cuda:
            return super().forward(x)
        # In place on the float draws: multiplying by a bool mask was 10x slower here.
        scale = torch.rand_like(x).ge_(self.p).mul_(1.0 / (1.0 - self.p))
        return x * scale


class MLPGenerator(nn.Module):
    """The notebook's generator: Linear layers with LeakyReLU(0.2), tanh output (pixels
    in [-1, 1]), or a linear one with `bounded=False` (2-D points, which are unbounded)."""

    def __init__(self, latent_dim: int, hidden: list[int], image_shape: tuple[int, ...],
                 bounded: bool = True):
        super().__init__()
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape)
        layers: list[nn.Module] = []
        width = latent_dim
        for out in hidden:
            layers += [nn.Linear(width, out), nn.LeakyReLU(0.2)]
            width = out
        layers += [nn.Linear(width, math.prod(image_shape))] + ([nn.Tanh()] if bounded else [])
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(len(z), *self.image_shape)


class MLPDiscriminator(nn.Module):
    """The notebook's discriminator, returning logits; Dropout is a module so eval() disables it."""

    def __init__(self, image_shape: tuple[int, int, int], hidden: list[int], dropout: float):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = math.prod(image_shape)
        for out in hidden:
            layers += [nn.Linear(width, out), nn.LeakyReLU(0.2), Dropout(dropout)]
            width = out
        layers += [nn.Linear(width, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images).squeeze(1)


def build_mlp(config: Config, image_shape: tuple[int, int, int]) -> tuple[nn.Module, nn.Module]:
    generator = MLPGenerator(config.latent_dim, config.g_hidden, image_shape)
    discriminator = MLPDiscriminator(image_shape, config.d_hidden, config.dropout)
    return generator, discriminator


class DCGANGenerator(nn.Module):
    """Radford et al. 2016: project z to a small map, then stride-2 transposed convs with
    BatchNorm and ReLU, tanh output."""

    def __init__(self, latent_dim: int, width: int, image_shape: tuple[int, int, int]):
        super().__init__()
        self.latent_dim = latent_dim
        start, ups = dcgan_plan(image_shape[1])
        channels = [width * 2 ** (ups - 1 - i) for i in range(ups)]  # e.g. 128, 64
        layers: list[nn.Module] = [
            nn.Linear(latent_dim, channels[0] * start * start, bias=False),
            nn.Unflatten(1, (channels[0], start, start)), nn.BatchNorm2d(channels[0]), nn.ReLU()]
        for c_in, c_out in zip(channels, channels[1:], strict=False):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(c_out), nn.ReLU()]
        layers += [nn.ConvTranspose2d(channels[-1], image_shape[0], 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class MinibatchStd(nn.Module):
    """Append one channel: the mean standard deviation of the features over each group
    of `group` consecutive images (Karras et al. 2018), which lets D see a batch of
    fakes that are too alike. Groups are consecutive so that the D step's real half and
    fake half, concatenated, stay apart when the batch size is a multiple of `group`."""

    def __init__(self, group: int = 4):
        super().__init__()
        self.group = group

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, height, width = x.shape
        group = math.gcd(self.group, n)
        grouped = x.view(n // group, group, -1)
        # Written out: Tensor.std's backward took 5x as long on CPU here.
        deviation = grouped - grouped.mean(1, keepdim=True)
        spread = (deviation * deviation).mean(1).add(1e-8).sqrt().mean(1)
        spread = spread.view(-1, 1).expand(-1, group).reshape(n, 1, 1, 1)
        return torch.cat([x, spread.expand(n, 1, height, width)], 1)


class DCGANDiscriminator(nn.Module):
    """Stride-2 convs with LeakyReLU(0.2) down to a small map, then one logit; spectral
    norm on every layer when asked (Miyato et al. 2018), and a minibatch-deviation
    channel before the logit when asked."""

    def __init__(self, image_shape: tuple[int, int, int], width: int, spectral: bool,
                 minibatch_std: bool = False):
        super().__init__()
        start, downs = dcgan_plan(image_shape[1])
        norm = nn.utils.parametrizations.spectral_norm if spectral else (lambda layer: layer)
        channels = [image_shape[0]] + [width * 2**i for i in range(downs)]
        layers: list[nn.Module] = []
        for c_in, c_out in zip(channels, channels[1:], strict=False):
            layers += [norm(nn.Conv2d(c_in, c_out, 4, 2, 1)), nn.LeakyReLU(0.2)]
        if minibatch_std:
            layers += [MinibatchStd()]
        features = (channels[-1] + minibatch_std) * start * start
        layers += [nn.Flatten(), norm(nn.Linear(features, 1))]
        self.net = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images).squeeze(1)


def dcgan_plan(size: int) -> tuple[int, int]:
    """(side of the smallest map, number of stride-2 layers) for an image side: halve
    while even and above 7, e.g. 28 -> 7 in 2, 32 -> 4 in 3, 64 -> 4 in 4."""
    start, steps = size, 0
    while start > 7 and start % 2 == 0:
        start, steps = start // 2, steps + 1
    if steps == 0 or start > 7:
        raise ConfigError(phrase("dcgan cannot build image size {size}: use 28, 32, 64 or "
                                 "another size that halves down to 7 or less", size=size))
    return start, steps


def build_dcgan(config: Config, image_shape: tuple[int, int, int]):
    generator = DCGANGenerator(config.latent_dim, config.base_width, image_shape)
    discriminator = DCGANDiscriminator(image_shape, config.base_width, config.spectral_norm,
                                       config.minibatch_std)
    return generator, discriminator


def build_toy(config: Config, point_shape: tuple[int, ...]):
    """The lab's MLPs on 2-D points: the notebook's, but G's output is unbounded."""
    generator = MLPGenerator(config.latent_dim, config.g_hidden, point_shape, bounded=False)
    discriminator = MLPDiscriminator(point_shape, config.d_hidden, config.dropout)
    return generator, discriminator


ARCHITECTURES = {
    "mlp": build_mlp,
    "dcgan": build_dcgan,
    "toy": build_toy,
}


class ConditionalGenerator(nn.Module):
    """G(z, y): a learned embedding of the class label is concatenated to the noise."""

    def __init__(self, base: nn.Module, latent_dim: int, num_classes: int):
        super().__init__()
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.embed = nn.Embedding(num_classes, LABEL_EMBEDDING)
        self.base = base

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.base(torch.cat([z, self.embed(labels)], dim=1))


class ConditionalDiscriminator(nn.Module):
    """Projection discriminator (Miyato & Koyama 2018): D(x, y) = psi(phi(x)) +
    <embed(y), phi(x)>, with phi all of the base network but its last linear layer.
    With `classifier`, a linear head on phi(x) also gives class logits (AC-GAN), which
    `forward(..., with_classes=True)` returns beside D's logits."""

    def __init__(self, base: nn.Module, num_classes: int, classifier: bool = False):
        super().__init__()
        *body, head = base.net
        self.features, self.head = nn.Sequential(*body), head
        self.embed = nn.Embedding(num_classes, head.in_features)
        self.classifier = nn.Linear(head.in_features, num_classes) if classifier else None

    def forward(self, images: torch.Tensor, labels: torch.Tensor, with_classes: bool = False):
        features = self.features(images)
        logits = self.head(features).squeeze(1) + (self.embed(labels) * features).sum(1)
        return (logits, self.classifier(features)) if with_classes else logits


LABEL_EMBEDDING = 32
# The first noise entry of a cluster at the edge of [0, 1] is ndtri(0 or 1), infinite:
# it is kept this far inside (ndtri(1e-6) = -4.75, in float32's range of ndtr).
SHARE_EDGE = 1e-6


class ClusterGenerator(nn.Module):
    """An unconditional G(z) over a conditional one, for --clusters: z's first entry picks
    the cluster by inverse CDF, so clusters come in proportion to their sizes, and the
    conditional G draws from it. Sampling needs nothing but z."""

    def __init__(self, conditional: ConditionalGenerator):
        super().__init__()
        self.conditional = conditional
        self.latent_dim, self.clusters = conditional.latent_dim, conditional.num_classes
        # Cumulative cluster shares, set from the data (set_shares) and saved with the weights.
        self.register_buffer("cumulative", torch.arange(1, self.clusters + 1) / self.clusters)

    def set_shares(self, labels: torch.Tensor) -> None:
        counts = torch.bincount(labels.cpu(), minlength=self.clusters).double()
        self.cumulative.copy_((counts.cumsum(0) / counts.sum()).float())

    def cluster_of(self, z: torch.Tensor) -> torch.Tensor:
        """The cluster that noise z draws from."""
        uniform = torch.special.ndtr(z[:, 0].float())
        return torch.searchsorted(self.cumulative, uniform).clamp(max=self.clusters - 1)

    def noise_for(self, clusters: torch.Tensor) -> torch.Tensor:
        """A first noise entry that picks each of `clusters`: its share's midpoint. An
        empty cluster (k-means may leave one) has no share, and G(z) never draws it: its
        entry stays finite and picks a neighbour instead."""
        low = torch.cat([self.cumulative.new_zeros(1), self.cumulative])[clusters]
        middle = (low + self.cumulative[clusters]) / 2
        return torch.special.ndtri(middle.clamp(SHARE_EDGE, 1 - SHARE_EDGE))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.conditional(z, self.cluster_of(z))


def build_models(config: Config, image_shape: tuple[int, int, int]) -> tuple[nn.Module, nn.Module]:
    """The (generator, discriminator) pair that `config.arch` names, class-conditional
    (for `config.num_classes` classes) when `config.conditional`, or conditioned on
    `config.clusters` k-means clusters behind an unconditional G(z)."""
    check_architecture(config)
    if config.conditional and not config.num_classes:
        raise ConfigError(phrase("a conditional model needs num_classes, which comes from the "
                                 "data: dataclasses.replace(config, "
                                 "num_classes=data.num_classes)"))
    classes = config.clusters or config.num_classes
    if not classes:
        return ARCHITECTURES[config.arch](config, image_shape)
    widened = dataclasses.replace(config, latent_dim=config.latent_dim + LABEL_EMBEDDING)
    generator, discriminator = ARCHITECTURES[config.arch](widened, image_shape)
    generator = ConditionalGenerator(generator, config.latent_dim, classes)
    discriminator = ConditionalDiscriminator(discriminator, classes, config.aux_classifier > 0)
    return (ClusterGenerator(generator) if config.clusters else generator), discriminator


def check_architecture(config: Config) -> None:
    """Refuse an unregistered architecture, or an image size it cannot build."""
    if config.arch not in ARCHITECTURES:
        raise ConfigError(phrase("unknown architecture {arch!r}; choose from {names}",
                                 arch=config.arch, names=", ".join(ARCHITECTURES)))
    kind = kind_of(config.dataset)
    if config.arch not in kind.architectures:
        raise ConfigError(kind.wrong_architecture(config))
    if config.arch == "dcgan":
        dcgan_plan(config.image_size)
    elif config.spectral_norm or config.minibatch_std:
        raise ConfigError(phrase("--spectral-norm and --minibatch-std are for --arch dcgan"))


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@torch.no_grad()
def generate(generator: nn.Module, noise: torch.Tensor, labels: torch.Tensor | None = None):
    """Generator output in eval mode, restoring the mode it was in."""
    was_training = generator.training
    generator.eval()
    images = forward(generator, noise, labels)
    generator.train(was_training)
    return images


def draw_inputs(generator: nn.Module, n: int, device,
                rng: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Fresh noise for `generator`, and uniformly random class labels when it is
    conditional (None otherwise), from `rng` (on `device`) or torch's global generator."""
    inner = unwrap(generator)
    noise = torch.randn(n, inner.latent_dim, device=device, generator=rng)
    classes = getattr(inner, "num_classes", 0)
    labels = torch.randint(classes, (n,), device=device, generator=rng) if classes else None
    return noise, labels


@torch.no_grad()
def recompute_batchnorm(generator: nn.Module, samples: int = 10_000, batch_size: int = 500,
                        seed: int = 0) -> None:
    """Replace the running statistics of `generator`'s BatchNorm layers by the average of
    their batch statistics over `samples` of its own inputs, in batches of `batch_size`,
    drawn from `seed`; a no-op without BatchNorm.

    An EMA generator's weights are an average, but the statistics it would otherwise use
    are the live generator's running ones, which belong to other weights: re-estimating
    them (BigGAN's "standing statistics") lowered FID 3.8 -> 3.0 for cdcgan here.
    """
    norms = [m for m in generator.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    device = next(generator.parameters()).device
    rng = seeds.generator("batchnorm_inputs", seed, device=device)
    modes, momenta = [norm.training for norm in norms], [norm.momentum for norm in norms]
    try:
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None  # a cumulative average over the batches below
            norm.train()  # only the norms: any other layer keeps its mode
        for start in range(0, samples, batch_size):
            count = min(batch_size, samples - start)
            forward(generator, *draw_inputs(generator, count, device, rng))
    finally:
        for norm, mode, momentum in zip(norms, modes, momenta, strict=True):
            norm.momentum = momentum
            norm.train(mode)


def forward(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """Call a generator or discriminator, with class labels when it is conditional."""
    return model(inputs) if labels is None else model(inputs, labels)


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside torch.compile and DistributedDataParallel wrappers."""
    while hasattr(model, "_orig_mod") or isinstance(model, nn.parallel.DistributedDataParallel):
        model = getattr(model, "_orig_mod", None) or model.module
    return model
