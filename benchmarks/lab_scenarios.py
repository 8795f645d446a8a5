"""The lab's named scenarios in full, measured over their whole course: the table the
README gives (`gankit lab --scenario NAME`, ring8, 4,000 steps each).

For each scenario and seed it trains the run in a temporary folder, one after the other,
and prints a Markdown row: the modes covered at the end, the most covered at once in the
last quarter, the frames of the second half whose covered modes changed, the modes some
frame covered, the high-quality share, JS, and the training time. It asserts nothing.
Time it alone: the times are the machine's, with whatever else it runs.

    python benchmarks/lab_scenarios.py                     # every scenario, seed 0: ~7 min
    python benchmarks/lab_scenarios.py --seeds 0 1 2 --only collapse oscillation
"""

from __future__ import annotations

import argparse
import tempfile

import gankit
from gankit.scenarios import SCENARIOS, as_flags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--only", nargs="+", choices=list(SCENARIOS), default=list(SCENARIOS))
    args = parser.parse_args()
    print("| scenario | flags | seed | modes | most at once, last quarter | changes, "
          "second half | modes visited | high-quality | JS | time |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in args.only:
        for seed in args.seeds:
            with tempfile.TemporaryDirectory() as folder:
                run = gankit.lab(scenario=name, seed=seed, run_dir=f"{folder}/run",
                                 quiet=True, display="none")
                result = gankit.lab_metrics(run)
            flags = as_flags(SCENARIOS[name].settings) or "(none)"
            print(f"| {name} | `{flags}` | {seed} | {result['modes']}/8 | "
                  f"{result['most_modes_late']} | {result['changes']} of "
                  f"{result['frames'] // 2} | {result['visited']} | "
                  f"{result['high_quality']:.0%} | {result['js']:.3f} | "
                  f"{result['train_time_s']:.0f} s |", flush=True)


if __name__ == "__main__":
    main()
