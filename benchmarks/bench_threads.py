"""Speed on shared cores: the lab's healthy run (and the seed preset's MLPs) alone and
beside a CPU-bound process on every core, with gankit's choice of CPU threads
(gankit.device.CpuShare: as many as the other processes leave free) against torch's
fixed count (every core, whatever the load: gankit before CpuShare).

Each case runs in a fresh process, one after the other; the busy processes are `yes`,
one a core, as `make test-busy` runs them. It reports wall times and ratios; it asserts
nothing. Time it alone: anything else running is part of the "alone" figures.

    python benchmarks/bench_threads.py                  # the full healthy run: ~10 minutes
    python benchmarks/bench_threads.py --lab-steps 1000 --seed-steps 200
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import time

CHILD = """
import sys, tempfile, time
import gankit, gankit.device
from gankit.training import train

preset, steps, choice = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if choice == "fixed":  # torch's own count throughout
    gankit.device.CpuShare.update = lambda self: None
counts = {}
update = gankit.device.CpuShare.update
def counted(self):
    update(self)
    counts[self.chosen] = counts.get(self.chosen, 0) + 1
if choice == "gankit":
    gankit.device.CpuShare.update = counted
with tempfile.TemporaryDirectory() as workdir:
    config = gankit.resolve_config(preset, overrides={"max_steps": steps,
                                                      "run_dir": workdir + "/run"})
    started = time.perf_counter()
    train(config, quiet=True, display="none")
    print(time.perf_counter() - started, counts)
"""


def timed(preset: str, steps: int, choice: str) -> tuple[float, dict]:
    out = subprocess.run([sys.executable, "-c", CHILD, preset, str(steps), choice],
                         check=True, capture_output=True, text=True).stdout.split(maxsplit=1)
    return float(out[0]), ast.literal_eval(out[1])


def busy(cores: int) -> list[subprocess.Popen]:
    return [subprocess.Popen(["yes"], stdout=subprocess.DEVNULL) for _ in range(cores)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab-steps", type=int, default=4000, help="the healthy run: 4000")
    parser.add_argument("--seed-steps", type=int, default=469, help="one epoch: 469")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads by default, "
          f"{cores} cores; busy = {cores} `yes` processes; {time.strftime('%Y-%m-%d')}")
    rows = []
    for preset, steps in (("lab", args.lab_steps), ("seed", args.seed_steps)):
        for load in ("alone", "busy"):
            for choice in ("fixed", "gankit"):
                hogs = busy(cores) if load == "busy" else []
                try:
                    seconds, counts = timed(preset, steps, choice)
                finally:
                    for hog in hogs:
                        hog.kill()
                        hog.wait()
                rows.append((preset, steps, load, choice, seconds))
                print(f"{preset:5} {steps:5} steps  {load:5}  {choice:6}  {seconds:7.1f} s"
                      + (f"  steps at each thread count: {counts}" if counts else ""),
                      flush=True)
    times = {(p, load, c): s for p, _, load, c, s in rows}
    for preset in ("lab", "seed"):
        alone = times[preset, "alone", "fixed"]
        print(f"{preset}: gankit alone / fixed alone "
              f"{times[preset, 'alone', 'gankit'] / alone:.2f}; "
              f"busy / alone (fixed count) {times[preset, 'busy', 'fixed'] / alone:.2f}; "
              f"busy / alone (gankit) {times[preset, 'busy', 'gankit'] / alone:.2f}")


if __name__ == "__main__":
    main()
