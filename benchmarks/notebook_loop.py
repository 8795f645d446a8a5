"""Why the tutorial's hand-written loop is slower than `gankit.train` on the seed preset.

Times one training step (D step then G step, batch 128, CPU) of four loops, in
alternating rounds so that a slow spell of the machine falls on all of them:

- notebook: the tutorial's own classes and steps, executed from notebooks/gan_mnist.ipynb;
- + frozen D: the same, with D's weights frozen during the G step, as gankit's G step does;
- + gankit dropout: the same again, with gankit's faster CPU dropout mask in D;
- gankit blocks: `gankit.discriminator_step` and `gankit.generator_step` on `build_models`.

    python benchmarks/notebook_loop.py [--steps 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time
from pathlib import Path

import nbformat
import torch

import gankit
from gankit.models import Dropout

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "gan_mnist.ipynb"


def notebook_namespace() -> dict:
    """The tutorial's setup, networks and steps, run as the notebook runs them."""
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    namespace = {"max_steps": 0}
    with contextlib.redirect_stdout(io.StringIO()):  # the cells print the networks
        for tag in ("setup", "models", "steps"):
            [cell] = [c for c in cells if tag in c.metadata.get("tags", [])]
            exec(cell.source, namespace)
    return namespace


def loops(namespace: dict) -> dict:
    """name -> a function that trains one step on a batch."""
    generator, discriminator = namespace["generator"], namespace["discriminator"]
    opt_g, opt_d = namespace["opt_g"], namespace["opt_d"]
    train_d, train_g = namespace["train_discriminator"], namespace["train_generator"]

    def notebook(real):
        train_d(generator, discriminator, opt_d, real)
        train_g(generator, discriminator, opt_g, len(real), real.device)

    def frozen(real, d=discriminator, d_optimizer=opt_d):
        train_d(generator, d, d_optimizer, real)
        d.requires_grad_(False)
        train_g(generator, d, opt_g, len(real), real.device)
        d.requires_grad_(True)

    # The notebook's D with gankit's dropout kernel (same p, same masks' distribution).
    fast_d = namespace["Discriminator"]()
    fast_d.load_state_dict(discriminator.state_dict())
    for index, layer in enumerate(fast_d.net):
        if isinstance(layer, torch.nn.Dropout):
            fast_d.net[index] = Dropout(layer.p)
    config = namespace["config"]
    opt_fast_d = torch.optim.Adam(fast_d.parameters(), lr=config.lr, fused=True)

    blocks_g, blocks_d = gankit.build_models(config, (1, 28, 28))
    nets = gankit.Networks(blocks_g, blocks_d)
    block_opt_g, block_opt_d = (gankit.make_optimizer(m, config) for m in (blocks_g, blocks_d))
    loss = gankit.get_loss(config.loss)

    def blocks(real):
        gankit.discriminator_step(nets, block_opt_d, loss, real)
        gankit.generator_step(nets, block_opt_g, loss, len(real))

    return {"notebook": notebook, "+ frozen D": frozen,
            "+ gankit dropout": lambda real: frozen(real, fast_d, opt_fast_d),
            "gankit blocks": blocks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="steps a round (default: 100)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default: 5)")
    args = parser.parse_args()
    torch.manual_seed(0)
    namespace = notebook_namespace()
    images = namespace["data"].images
    batches = [images[torch.randint(len(images), (128,))].float() / 127.5 - 1 for _ in range(8)]
    timed = loops(namespace)
    times = {name: [] for name in timed}
    for step in timed.values():  # warm-up
        for real in batches[:3]:
            step(real)
    for _ in range(args.rounds):
        for name, step in timed.items():
            started = time.perf_counter()
            for i in range(args.steps):
                step(batches[i % len(batches)])
            times[name].append((time.perf_counter() - started) / args.steps * 1000)
    base = statistics.median(times["gankit blocks"])
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; ms a step, median of "
          f"{args.rounds} rounds of {args.steps} steps")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:18s} {median:6.1f} ms  ({median / base:.2f}x gankit blocks)")


if __name__ == "__main__":
    main()
