"""Started by tests/test_distributed.py under torchrun (2 CPU ranks, gloo).

Each rank trains on its own shard, so its losses and D outputs differ from the other's.
The status lines and metrics.jsonl must show their mean over the ranks, not rank 0's.
argv: the data dir, the run dir.
"""

import faulthandler
import json
import sys

import torch
import torch.distributed as dist

import gankit
from gankit import distributed


def main() -> int:
    # A hang once seen in teardown, 1 run in 4 (gankit.distributed.settle has the why):
    # a rank that waits 2 minutes says where, and ends.
    faulthandler.dump_traceback_later(120, exit=True)
    data_dir, run_dir = sys.argv[1:3]
    config = gankit.Config(data_dir=data_dir, run_dir=run_dir, batch_size=16, max_steps=6,
                           log_every=1, device="cpu")
    data = gankit.load_dataset("mnist", data_dir=data_dir)
    torch.manual_seed(config.seed)
    generator, discriminator = gankit.build_models(config, data.image_shape)
    opt_g, opt_d = (gankit.make_optimizer(m, config) for m in (generator, discriminator))
    loss = gankit.get_loss(config.loss)
    mine = []  # this rank's (step, d_loss, g_loss, D(x))
    with gankit.Run(config, data, generator, discriminator, opt_g, opt_d, quiet=True) as run:
        for real, _ in run.batches():
            d = gankit.discriminator_step(run.nets, opt_d, loss, real)
            g = gankit.generator_step(run.nets, opt_g, loss, len(real))
            mine.append((run.step + 1, float(d["d_loss"]), float(g), float(d["d_x"])))
            run.log(d, g)
    ranks = [None] * dist.get_world_size()
    dist.all_gather_object(ranks, mine)
    matches = True
    if dist.get_rank() == 0:
        logged = [json.loads(line) for line in open(f"{run_dir}/metrics.jsonl")]
        logged = {r["step"]: r for r in logged if "d_loss" in r}
        for steps in zip(*ranks, strict=True):
            step = steps[0][0]
            mean = [sum(values) / len(values) for values in list(zip(*steps, strict=True))[1:]]
            shown = [logged[step][key] for key in ("d_loss", "g_loss", "d_x")]
            matches &= all(abs(a - b) < 1e-5 for a, b in zip(mean, shown, strict=True))
            matches &= abs(steps[0][1] - steps[1][1]) > 1e-6  # the shards did differ
        print("logged the ranks' mean: " + ("match" if matches else "DIFFER"), flush=True)
    distributed.stop(finished=True)  # as gankit.train leaves: settled, then destroyed
    return 0 if matches else 1


if __name__ == "__main__":
    sys.exit(main())
