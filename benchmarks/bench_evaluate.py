"""Seconds for `gankit evaluate` on 10,000 samples with every metric, split by metric.

    python benchmarks/bench_evaluate.py [SOURCE]   # default: 10,000 real training digits

Reports; asserts nothing. The reference (classifier features of the test split) is
computed once per process and timed separately, as `gankit evaluate` pays it once too.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from gankit.kinds import load_dataset
from gankit.metrics import METRICS, EvalContext, reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", help="run dir or checkpoint (default: real digits)")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--out", default="benchmarks/bench_evaluate.json")
    args = parser.parse_args()

    started = time.perf_counter()
    if args.source:
        from gankit.sample import load_generator, sample_images

        generator, _ = load_generator(args.source)
        samples = sample_images(generator, args.n)[..., 0]
    else:
        samples = load_dataset("mnist").images[: args.n, 0].numpy()
    timings = {"draw_samples": time.perf_counter() - started}

    started = time.perf_counter()
    context = EvalContext(samples, reference("mnist"))
    timings["load_reference"] = time.perf_counter() - started
    started = time.perf_counter()
    context.sample_features  # noqa: B018 - classify once, timed on its own
    timings["classify_samples"] = time.perf_counter() - started
    for name, metric in METRICS.items():
        started = time.perf_counter()
        metric.compute(context)
        timings[name] = time.perf_counter() - started
    total = sum(timings.values())
    for name, seconds in timings.items():
        print(f"{name:18s} {seconds:7.2f} s")
    print(f"{'total':18s} {total:7.2f} s  ({args.n} samples, all metrics)")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"samples": args.n, "seconds": timings,
                                          "total_s": total}, indent=2) + "\n")


if __name__ == "__main__":
    main()
