"""The report of a long run: size and time of `gankit report` after N simulated epochs.

    python benchmarks/bench_report.py --epochs 500

Writes a run dir as a 500-epoch seed run leaves it (one 8x8 grid of real digits per
epoch, five status records per epoch, config.toml), then times build_report on it.
It reports; it asserts nothing.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from gankit import records
from gankit.atomic import write_text
from gankit.config import Config, toml_text
from gankit.data import load_images
from gankit.images import make_grid, save_png
from gankit.report import build_report
from gankit.rundir import RunDir


def simulate(run: RunDir, epochs: int, per_epoch: int = 469, log_every: int = 100) -> None:
    digits = load_images("mnist").images[:, 0].numpy()
    rng = np.random.default_rng(0)
    run.samples.mkdir(parents=True)
    write_text(run.config, toml_text(Config(epochs=epochs)))
    for epoch in range(epochs):
        for batch in range(0, per_epoch, log_every):
            records.append(run.metrics, records.make(
                "step", step=epoch * per_epoch + batch + 1, epoch=epoch, batch=batch,
                d_loss=1 + rng.random(), g_loss=1 + rng.random(), d_x=rng.random(),
                d_g_z=rng.random()))
        grid = make_grid(digits[rng.integers(0, len(digits), 64), :, :, None])
        save_png(grid, run.grid((epoch + 1) * per_epoch))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run = RunDir(Path(folder) / "run")
        simulate(run, args.epochs)
        started = time.perf_counter()
        build_report(run.root)
        elapsed = time.perf_counter() - started
        result = {"epochs": args.epochs, "report_s": round(elapsed, 2),
                  "report_kib": round(run.report.stat().st_size / 1024),
                  "evolution_gif_kib": round(run.evolution.stat().st_size / 1024)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
