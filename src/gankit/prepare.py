"""Setting a run up: the networks and the data on their device, wrapped for training.

`prepare` is what a Run does first, and all it does with the networks: check that they
fit the data, join the processes torchrun started, place G and D and the data on this
process's device, give G its cluster shares, make the EMA, and wrap each network for
speed (torch.compile) and for several processes (DistributedDataParallel).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gankit import distributed, seeds
from gankit.config import Config
from gankit.data import Dataset
from gankit.device import pick_device, set_cuda_policy
from gankit.ema import EMA
from gankit.errors import ConfigError, phrase
from gankit.models import unwrap
from gankit.steps import Networks


@dataclass
class Prepared:
    """What a run trains: the networks and the data on `device`, and the processes."""

    nets: Networks
    real: torch.Tensor  # the dataset's examples
    labels: torch.Tensor | None
    device: torch.device
    procs: distributed.Processes


def prepare(config: Config, data: Dataset, generator: torch.nn.Module,
            discriminator: torch.nn.Module) -> Prepared:
    check_data(config, data)
    procs, device_name = distributed.start(config.device)
    device = pick_device(device_name)
    set_cuda_policy(device, config.tf32)
    generator.to(device)
    discriminator.to(device)
    if procs.distributed:  # same initial weights everywhere, other noise on each rank
        seeds.seed_global("rank_noise", config.seed, procs.rank)
    if config.clusters:  # G(z) draws clusters as often as the data has them
        unwrap(generator).set_shares(data.labels)
    ema = EMA(generator, config.ema_decay) if config.ema_decay else None
    # Compiled wrappers train; checkpoints keep the plain modules' state dicts. Under DDP
    # each network is synchronised only in the step that updates it.
    g_fast, d_fast = (torch.compile(m) if config.compile else m
                      for m in (generator, discriminator))
    d_sync = procs.wrap(d_fast, device)
    # R1 and WGAN-GP differentiate D's gradient, which a compiled graph cannot: they call
    # the plain D (under DDP its gradients still reach the all-reduce, which hooks the
    # parameters themselves).
    d_penalty = discriminator if config.compile else d_sync
    nets = Networks(generator, discriminator, g_fast, d_fast, procs.wrap(g_fast, device),
                    d_sync, ema, d_penalty)
    labels = data.labels.to(device) if config.conditional or config.clusters else None
    return Prepared(nets, data.real.to(device), labels, device, procs)


def check_data(config: Config, data: Dataset) -> None:
    """Refuse data that the config cannot train on, saying what to do instead."""
    if config.conditional and data.labels is None:
        raise ConfigError(phrase("--conditional needs a labelled dataset; {dataset} has none",
                                 dataset=config.dataset))
    if config.clusters and data.clusters != config.clusters:
        raise ConfigError(phrase("--clusters {k} trains on the images' clusters: data = "
                                 "gankit.cluster_images(data, config.clusters, config.seed)",
                                 k=config.clusters))
    if config.conditional and config.num_classes != data.num_classes:
        raise ConfigError(phrase("config.num_classes is {config} but the data has {data} "
                                 "classes; build the models from dataclasses.replace(config, "
                                 "num_classes=data.num_classes)", config=config.num_classes,
                                 data=data.num_classes))
