"""Started by tests/test_distributed.py under torchrun (2 CPU ranks, gloo).

The R1 penalty differentiates D through the DDP wrapper (autograd.grad with a graph) on
top of the usual loss. One real `discriminator_step` through DDP must leave in D the
average of what each rank's step alone computes on its own batch.
"""

import copy
import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from gankit import distributed
from gankit.config import Config
from gankit.losses import get_loss
from gankit.models import build_models
from gankit.steps import Networks, discriminator_step


def main() -> int:
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    config = Config(arch="dcgan", base_width=8, conditional=True, num_classes=10)
    torch.manual_seed(0)  # the same weights on every rank
    generator, discriminator = build_models(config, (1, 28, 28))
    initial = copy.deepcopy(discriminator)
    loss = get_loss("nonsaturating")

    batches = []  # every rank's (noise seed, real images, labels)
    for r in range(world):
        draw = torch.Generator().manual_seed(100 + r)
        batches.append((r + 1, torch.rand(8, 1, 28, 28, generator=draw) * 2 - 1,
                        torch.randint(10, (8,), generator=draw)))

    seed, real, labels = batches[rank]
    nets = Networks(generator, discriminator, d_sync=DistributedDataParallel(discriminator))
    torch.manual_seed(seed)
    discriminator_step(nets, torch.optim.SGD(discriminator.parameters(), lr=0.0), loss, real,
                       labels, r1=1.0)
    synced = [p.grad.clone() for p in discriminator.parameters()]

    alone = [torch.zeros_like(g) for g in synced]
    for seed, real, labels in batches:
        copy_d = copy.deepcopy(initial)
        torch.manual_seed(seed)
        discriminator_step(Networks(generator, copy_d), torch.optim.SGD(copy_d.parameters(),
                           lr=0.0), loss, real, labels, r1=1.0)
        for total, p in zip(alone, copy_d.parameters(), strict=True):
            total += p.grad / world
    worst = max(float((a - b).abs().max()) for a, b in zip(synced, alone, strict=True))
    matches = all(torch.allclose(a, b, rtol=1e-4, atol=1e-6) for a, b in zip(synced, alone,
                                                                              strict=True))
    print(f"rank {rank}: largest gradient difference {worst:.2e}: "
          f"{'match' if matches else 'DIFFER'}", flush=True)
    distributed.stop(finished=True)  # as gankit.train leaves: settled, then destroyed
    return 0 if matches else 1


if __name__ == "__main__":
    sys.exit(main())
