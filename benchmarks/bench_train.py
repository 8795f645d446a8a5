"""Training speed of the seed preset: gankit against the notebook's loop as written
(notebook_as_written.py).

Runs the contenders alternately (A B C A B C ...) in one process and reports steps/s
(min and median over rounds), the ratio to the reference loop, the achieved GFLOP/s
against this machine's float32 matmul peak measured in the same run, and the peak
resident memory of a separate `gankit train` process. It reports; it asserts nothing.

    python benchmarks/bench_train.py            # 469 steps (one epoch) a round, 3 rounds
    python benchmarks/bench_train.py --quick    # 60 steps a round: under 2 minutes
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

import torch
from notebook_as_written import BATCH, HIDDEN_D, HIDDEN_G, LATENT, PIXELS, train_notebook

import gankit
from gankit import records
from gankit.kinds import load_dataset


def gankit_steps_per_s(steps: int, precision: str, device: str, workdir: Path, tag: str) -> float:
    """gankit's own trainer, seed preset, through the public API, default logging."""
    config = gankit.resolve_config("seed", overrides={
        "max_steps": steps, "precision": precision, "device": device,
        "run_dir": str(workdir / tag)})
    run_dir = gankit.train(config, quiet=True)
    [end] = records.of_kind(records.read(run_dir / "metrics.jsonl"), "end")
    return end["steps_per_s"]


def flops_per_step() -> float:
    """FLOPs of one gankit seed step, counted from the layer shapes (2 per multiply-add).

    D step: G forward (128), D forward and backward (256; weight grads everywhere, input
    grads except the first layer). G step: G forward, D forward, D backward for input
    grads only (D frozen), G backward (weight grads, input grads except the first layer).
    """
    g = list(pairwise([LATENT, *HIDDEN_G, PIXELS]))
    d = list(pairwise([PIXELS, *HIDDEN_D, 1]))
    macs = sum(a * b for a, b in g), sum(a * b for a, b in d)
    g_all, d_all = macs
    g_first, d_first = g[0][0] * g[0][1], d[0][0] * d[0][1]
    d_step = BATCH * g_all + 2 * BATCH * (d_all + d_all + (d_all - d_first))
    g_step = BATCH * (g_all + d_all + d_all + g_all + (g_all - g_first))
    return 2.0 * (d_step + g_step)


def matmul_peak_gflops(dtype: torch.dtype, device: str, size: int = 2048, repeats: int = 10):
    a, b = (torch.randn(size, size, device=device).to(dtype) for _ in range(2))
    sync = torch.cuda.synchronize if device.startswith("cuda") else lambda: None
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(3):
        sync()
        started = time.perf_counter()
        for _ in range(repeats):
            a @ b
        sync()
        best = min(best, (time.perf_counter() - started) / repeats)
    return 2 * size**3 / best / 1e9


def peak_rss_of_training(steps: int, workdir: Path) -> float:
    """Peak resident MiB of a separate `gankit train` process (seed preset, fp32)."""
    subprocess.run(
        [sys.executable, "-m", "gankit", "train", "--max-steps", str(steps), "--device", "cpu",
         "--quiet", "--run-dir", str(workdir / "rss")], check=True)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 steps a round, 3 rounds")
    parser.add_argument("--steps", type=int, help="steps a round (default 469, one epoch)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default="cpu",
                        help="device of gankit's runs; the reference stays on the CPU, "
                        "as the notebook never moves its models")
    parser.add_argument("--out", default="benchmarks/bench_train.json")
    args = parser.parse_args()
    steps = args.steps or (60 if args.quick else 469)

    images = load_dataset("mnist").images[:, 0]
    contenders = {
        "reference": lambda tag: train_notebook(images, steps),
        "gankit_fp32": lambda tag: gankit_steps_per_s(steps, "fp32", args.device, workdir, tag),
        "gankit_bf16": lambda tag: gankit_steps_per_s(steps, "bf16", args.device, workdir, tag),
    }
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        peak_fp32 = matmul_peak_gflops(torch.float32, args.device)
        peak_bf16 = matmul_peak_gflops(torch.bfloat16, args.device)
        for round_ in range(args.rounds):
            for name, run in contenders.items():
                rates[name].append(run(f"{name}-{round_}"))
                print(f"round {round_ + 1}/{args.rounds} {name:12s} "
                      f"{rates[name][-1]:6.2f} steps/s", flush=True)
        rss_mib = peak_rss_of_training(min(steps, 200), workdir)

    flops = flops_per_step()
    median = {name: statistics.median(r) for name, r in rates.items()}
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "torch": torch.__version__, "threads": torch.get_num_threads(), "device": args.device,
        "steps_per_round": steps, "rounds": args.rounds,
        "steps_per_s": {name: {"min": min(r), "median": median[name], "all": r}
                        for name, r in rates.items()},
        "seconds_per_epoch_median": {name: 469 / m for name, m in median.items()},
        "ratio_fp32_to_reference": median["gankit_fp32"] / median["reference"],
        "ratio_bf16_to_reference": median["gankit_bf16"] / median["reference"],
        "gflop_per_step": flops / 1e9,
        "matmul_peak_gflops": {"fp32": peak_fp32, "bf16": peak_bf16},
        "achieved_gflops_fp32": median["gankit_fp32"] * flops / 1e9,
        "fraction_of_fp32_peak": median["gankit_fp32"] * flops / 1e9 / peak_fp32,
        "peak_rss_mib_gankit_train": rss_mib,
    }
    print("\nsteps/s median (min): " + ", ".join(
        f"{n} {median[n]:.2f} ({min(r):.2f})" for n, r in rates.items()))
    print("s/epoch (469 steps):  " + ", ".join(
        f"{n} {s:.1f}" for n, s in result["seconds_per_epoch_median"].items()))
    print(f"gankit fp32 / reference: {result['ratio_fp32_to_reference']:.2f}x; "
          f"bf16 / reference: {result['ratio_bf16_to_reference']:.2f}x")
    print(f"{flops / 1e9:.2f} GFLOP/step; gankit fp32 {result['achieved_gflops_fp32']:.0f} GFLOP/s "
          f"= {100 * result['fraction_of_fp32_peak']:.0f} % of the fp32 matmul peak "
          f"{peak_fp32:.0f} GFLOP/s (bf16 peak {peak_bf16:.0f})")
    print(f"peak RSS of `gankit train` (seed, fp32): {rss_mib:.0f} MiB")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
