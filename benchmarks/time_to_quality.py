"""FID against wall-clock minutes: the chart a user reads to pick a preset.

Each gankit run trained with `--eval-every 1` records FID on 5,000 samples after each
epoch in its metrics.jsonl; the notebook as written (notebook_as_written.py) gets the
same evaluation from `reference`. Minutes are training time: the evaluations' own time
is left out of every line.

    python benchmarks/time_to_quality.py reference --epochs 10 --out runs/presets/notebook.jsonl
    python benchmarks/time_to_quality.py plot \
        runs/presets/{seed,mlp-plus,dcgan,dcgan-clusters,cdcgan}-mnist \
        --reference runs/presets/notebook.jsonl --out docs/time_to_quality.png
"""

from __future__ import annotations

import argparse
import json
import time
import tomllib
from pathlib import Path

import torch
from notebook_as_written import LATENT, train_notebook

from gankit import records
from gankit.data import load_images
from gankit.metrics import evaluate

SAMPLES = 5000


def fid_of_notebook_generator(generator: torch.nn.Module) -> float:
    """FID of 5,000 samples. The notebook's G learns to imitate pixels in [0, 1] (its
    ToTensor() data), so its outputs are read on that scale and clipped."""
    noise = torch.randn(SAMPLES, LATENT, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        pixels = generator(noise).clamp(0, 1).mul(255).round().to(torch.uint8)
    return evaluate(pixels.view(SAMPLES, 28, 28).numpy(), "mnist", ["fid"])["fid"]


def reference(epochs: int, out: Path) -> None:
    """Train the notebook as written for `epochs`, scoring its G after each epoch."""
    images = load_images("mnist").images[:, 0]
    logged, started, eval_time = [], time.perf_counter(), 0.0

    def epoch_end(epoch: int, generator: torch.nn.Module) -> None:
        nonlocal eval_time
        before = time.perf_counter()
        fid = fid_of_notebook_generator(generator)
        seconds = time.perf_counter() - before
        # The same fields as gankit's eval records: time_s is the wall time before this
        # evaluation, earlier evaluations included.
        logged.append(records.make("eval", epoch=epoch, fid=fid, samples=SAMPLES,
                                   time_s=before - started, eval_s=seconds))
        training = before - started - eval_time
        eval_time += seconds
        print(f"epoch {epoch}: FID {fid:.2f} after {training / 60:.1f} min of training",
              flush=True)

    train_notebook(images, epochs * 469, epoch_end)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(r) + "\n" for r in logged))
    print(f"wrote {out}")


def fid_curve(metrics: Path) -> list[tuple[float, float]]:
    """(minutes of training, FID) after each evaluation in a metrics.jsonl."""
    curve, eval_time = [], 0.0
    for record in records.of_kind(records.read(metrics), "eval"):
        curve.append(((record["time_s"] - eval_time) / 60, record["fid"]))
        eval_time += record["eval_s"]
    return curve


def plot(run_dirs: list[Path], reference_records: Path | None, out: Path) -> None:
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = {}
    for run_dir in run_dirs:
        preset = tomllib.loads((run_dir / "config.toml").read_text())["preset"]
        lines[preset] = fid_curve(run_dir / "metrics.jsonl")
    if reference_records:
        curve = fid_curve(reference_records)
        lines[f"notebook as written ({len(curve)} epochs)"] = curve
    real = evaluate(load_images("mnist").images[:SAMPLES, 0].numpy(), "mnist", ["fid"])["fid"]

    figure, axes = plt.subplots(figsize=(7.5, 4.5), dpi=120)
    for label, curve in lines.items():
        if not curve:
            raise SystemExit(f"no FID records for {label}: train with --eval-every 1")
        minutes, fids = zip(*curve, strict=True)
        style = {"color": "0.45", "linestyle": "--"} if label.startswith("notebook") else {}
        axes.plot(minutes, fids, marker="o", markersize=3, label=label, **style)
    axes.axhline(real, color="0.6", linestyle=":", linewidth=1)
    axes.text(axes.get_xlim()[1], real * 1.15, f"real training digits ({real:.2f})",
              ha="right", va="bottom", fontsize=8, color="0.4")
    axes.set_yscale("log")
    axes.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda y, _: f"{y:g}"))
    axes.set_xlabel("training time on 2 CPU cores (minutes, fp32)")
    axes.set_ylabel(f"FID, {SAMPLES:,} samples (lower is better)")
    axes.set_title("MNIST: FID after each epoch")
    axes.grid(True, which="both", color="0.9")
    axes.legend(frameon=False, fontsize=9, loc="lower left", bbox_to_anchor=(0.0, 0.1))
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out)
    print(f"wrote {out}")
    for label, curve in lines.items():
        print(f"{label:20s} " + "  ".join(f"{m:.1f} min {f:.1f}" for m, f in curve))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ref = commands.add_parser("reference", help="train and score the notebook as written")
    ref.add_argument("--epochs", type=int, default=10)
    ref.add_argument("--out", type=Path, required=True)
    chart = commands.add_parser("plot", help="draw the chart from runs and the reference")
    chart.add_argument("runs", nargs="+", type=Path, help="gankit run dirs")
    chart.add_argument("--reference", type=Path, help="the reference's records")
    chart.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "reference":
        reference(args.epochs, args.out)
    else:
        plot(args.runs, args.reference, args.out)


if __name__ == "__main__":
    main()
