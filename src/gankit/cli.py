"""Command-line interface: a thin layer over gankit's Python API."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import tomli_w

from gankit.config import PRESET_PURPOSES, PRESETS, Config, resolve_config
from gankit.errors import GankitError
from gankit.guards import Interrupted
from gankit.rundir import RunDir

DEFAULTS = Config()

# (flag, type, metavar, help): each flag sets the Config field of the same name.
TRAIN_FLAGS = [
    ("--dataset", str, "NAME", "mnist (bundled), fashion-mnist, or folder:PATH of png/jpg images"),
    ("--data-dir", str, "DIR", "folder holding the dataset's IDX files (default: bundled "
     "MNIST; Debian's dataset-fashion-mnist; an empty DIR is filled by download)"),
    ("--image-size", int, "N", "image side in pixels; image folders are resized to it"),
    ("--channels", int, "C", "1 (grayscale) or 3 (RGB), for image folders"),
    ("--arch", str, "NAME", "architecture: mlp (the notebook's) or dcgan (convolutional)"),
    ("--base-width", int, "C", "dcgan: channels of G's last and D's first conv layer"),
    ("--loss", str, "NAME", "loss: nonsaturating (the notebook's), minimax (the paper's), "
     "hinge, lsgan or wgan-gp (gradient penalty 10)"),
    ("--n-critic", int, "N", "discriminator steps per generator step (5 is usual for wgan-gp)"),
    ("--r1", float, "GAMMA", "R1 gradient penalty on real images, weight GAMMA (0: none)"),
    ("--latent-dim", int, "N", "size of the noise vector z"),
    ("--g-hidden", int, "W", "generator hidden widths, e.g. --g-hidden 256 512 1024"),
    ("--d-hidden", int, "W", "discriminator hidden widths"),
    ("--dropout", float, "P", "discriminator dropout probability"),
    ("--ema-decay", float, "D", "keep an exponential moving average of G's weights (e.g. "
     "0.999), used for grids, evaluation and export (0: none)"),
    ("--epochs", int, "N", "passes over the training set"),
    ("--max-steps", int, "N", "stop after N optimisation steps in total (0: no limit)"),
    ("--batch-size", int, "N", "images per batch"),
    ("--lr", float, "F", "Adam learning rate of both networks"),
    ("--betas", float, "B", "Adam betas, two numbers"),
    ("--seed", int, "N", "random seed for weights, noise and data order"),
    ("--device", str, "DEV", "auto, cpu, cuda or cuda:N (auto picks CUDA when present)"),
    ("--precision", str, "P", "fp32, or bf16 autocast (fast on CPUs with AMX/AVX-512 bf16 "
     "and on GPUs)"),
    ("--run-dir", str, "DIR", "where the run is written (default runs/<preset>-<dataset>-"
     "<timestamp>); must not exist or be empty"),
    ("--log-every", int, "N", "print status lines every N batches of an epoch"),
    ("--sample-every", int, "N", "save a fixed-noise grid every N steps (0: each epoch's end)"),
    ("--checkpoint-every", int, "N", "save checkpoints/last.pt every N steps (0: each epoch)"),
    ("--keep-checkpoints", int, "N", "keep only the newest N epoch_XXX.pt (0: keep all)"),
    ("--grid-size", int, "N", "images in each fixed-noise sample grid"),
    ("--eval-every", int, "N", "compute FID every N epochs, keep the best in "
     "checkpoints/best.pt (0: never; mnist and fashion-mnist)"),
    ("--eval-samples", int, "N", "samples for each evaluation during training"),
]


class OneLineErrors(argparse.ArgumentParser):
    """Usage errors as one line on stderr (exit 2), pointing at --help."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrors(
        prog="gankit", description="Train, sample and evaluate GANs on image data."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                     parser_class=OneLineErrors)
    train = commands.add_parser(
        "train",
        help="train a GAN (default: the notebook's MLP GAN on bundled MNIST)",
        description="Train a GAN. Settings come from the preset, then --config, then flags.",
    )
    train.add_argument("--preset", choices=list(PRESETS),
                       help="named set of settings (default: seed): " + "; ".join(
                           f"{name}: {purpose}" for name, purpose in PRESET_PURPOSES.items()))
    train.add_argument("--resume", metavar="RUN_DIR",
                       help="continue RUN_DIR from checkpoints/last.pt; only --epochs and "
                       "--max-steps may change")
    train.add_argument("--overwrite", action="store_true",
                       help="replace an earlier gankit run in --run-dir instead of refusing")
    train.add_argument("--config", metavar="FILE.toml",
                       help="TOML file of settings (keys as in a run's config.toml)")
    for flag, kind, metavar, text in TRAIN_FLAGS:
        field = flag[2:].replace("-", "_")
        default = getattr(DEFAULTS, field)
        shown = " ".join(map(str, default)) if isinstance(default, list) else default
        train.add_argument(
            flag, dest=field, type=kind, metavar=metavar, default=argparse.SUPPRESS,
            nargs="+" if isinstance(default, list) else None,
            help=f"{text} (default: {shown})" if shown != "" else text,
        )
    train.add_argument("--conditional", action="store_true", default=argparse.SUPPRESS,
                       help="class-conditional G (label embedding) and D (projection); "
                       "mnist and fashion-mnist")
    train.add_argument("--spectral-norm", action="store_true", default=argparse.SUPPRESS,
                       help="dcgan: spectral normalisation on the discriminator's layers")
    train.add_argument("--compile", action="store_true", default=argparse.SUPPRESS,
                       help="torch.compile both networks (helps on GPUs; slower on CPU here)")
    train.add_argument("--dry-run", action="store_true",
                       help="print the resolved configuration as TOML and exit")
    train.add_argument("--quiet", action="store_true", help="print nothing while training")

    sample = commands.add_parser(
        "sample", help="draw images from a trained generator",
        description="Draw images from a trained generator into a grid, an array file, a "
        "folder of PNGs, or an interpolation GIF.")
    sample.add_argument("source", metavar="SOURCE",
                        help="run dir, .pt checkpoint or generator .safetensors")
    sample.add_argument("--n", type=int, default=64, help="number of images (default: 64)")
    sample.add_argument("--out", required=True, metavar="FILE",
                        help="grid.png, samples.npz (uint8 'images'), walk.gif (with "
                        "--interpolate), or a new folder for one PNG per image")
    add_generator_flags(sample)
    sample.add_argument("--label", type=int, metavar="K",
                        help="class to draw, for a conditional generator (default: all "
                        "classes in turn)")
    sample.add_argument("--interpolate", type=int, metavar="K",
                        help="write a .gif of N latent walks through K random points each")
    sample.add_argument("--overwrite", action="store_true", help="replace an existing --out")

    evaluate = commands.add_parser(
        "evaluate", help="score samples: FID, IS, precision/recall, coverage, Parzen LL",
        description="Score a generator's samples against the dataset's test split, in the "
        "feature space of gankit's own classifier (FID, IS, precision/recall, coverage) "
        "and in pixel space (Parzen window log-likelihood, Goodfellow et al. 2014).")
    evaluate.add_argument("source", metavar="SOURCE",
                          help="run dir, .pt checkpoint, generator .safetensors, or .npz "
                          "of uint8 samples under 'images'")
    evaluate.add_argument("--n", type=int, default=10_000,
                          help="samples to draw from a generator (default: 10000)")
    evaluate.add_argument("--metrics", metavar="LIST",
                          help="comma-separated subset of fid, inception_score, "
                          "precision_recall, coverage, parzen_ll, label_accuracy "
                          "(conditional samples only) (default: all)")
    evaluate.add_argument("--dataset", help="reference dataset for a .npz (default: mnist; "
                          "a generator's own dataset otherwise)")
    evaluate.add_argument("--data-dir", default="", metavar="DIR",
                          help="folder of the dataset's IDX files")
    add_generator_flags(evaluate)
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")

    report = commands.add_parser(
        "report", help="rebuild a run's self-contained report.html",
        description="Rebuild report.html (curves, sample grids, evaluations, config) from a "
        "run directory alone; also writes samples/evolution.gif.")
    report.add_argument("run_dir", metavar="RUN_DIR")
    report.add_argument("--out", metavar="FILE", help="where to write (default: "
                        "RUN_DIR/report.html)")

    runs = commands.add_parser("runs", help="list the runs in a folder, one line each",
                               description="One line per run: name, preset, dataset, steps, "
                               "last losses and best FID when known.")
    runs.add_argument("folder", nargs="?", default="runs", metavar="DIR",
                      help="folder of run dirs (default: runs)")
    return parser


def add_generator_flags(parser: argparse.ArgumentParser) -> None:
    """The flags of the commands that draw samples from a trained generator."""
    parser.add_argument("--seed", type=int, default=0, help="noise seed (default: 0)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--raw", action="store_true",
                        help="the trained generator weights, not their EMA (when the run kept one)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except Interrupted as e:
        print(f"gankit: {e}", file=sys.stderr)
        return e.exit_code
    except GankitError as e:
        print(f"gankit: error: {e}", file=sys.stderr)
        return getattr(e, "exit_code", 2)


def run_train(args: argparse.Namespace) -> int:
    from gankit import distributed
    from gankit.run import Resume
    from gankit.train import train

    switches = {"compile", "spectral_norm", "conditional"}
    fields = {flag[2:].replace("-", "_") for flag, *_ in TRAIN_FLAGS} | switches
    overrides = {k: v for k, v in vars(args).items() if k in fields}
    point = None
    if args.resume:
        if args.config or args.overwrite:
            raise GankitError("--resume takes no --config or --overwrite: the run keeps its own")
        if args.preset:
            overrides["preset"] = args.preset
        point = Resume.load(args.resume)
        config = point.config(**overrides)
    else:
        config = resolve_config(args.preset or "seed", args.config, overrides)
    if args.dry_run:
        print(tomli_w.dumps(config.to_dict()), end="")
        return 0
    try:
        train(config, quiet=args.quiet, resume=point, overwrite=args.overwrite,
              display="terminal")
    finally:
        distributed.stop()
    return 0


def run_sample(args: argparse.Namespace) -> int:
    from gankit.device import pick_device
    from gankit.sample import (
        class_labels,
        interpolation_frames,
        load_generator,
        sample_images,
        write_gif,
        write_samples,
    )

    out = Path(args.out)
    if args.n < 1:
        raise GankitError(f"--n must be at least 1, got {args.n}")
    if args.interpolate is not None and (args.interpolate < 2 or out.suffix != ".gif"):
        raise GankitError("--interpolate K needs K >= 2 and an --out ending in .gif")
    if args.interpolate is None and out.suffix == ".gif":
        raise GankitError("a .gif output needs --interpolate K")
    _check_writable(out, args.overwrite)
    generator, _ = load_generator(args.source, pick_device(args.device), args.raw)
    if args.interpolate:
        write_gif(interpolation_frames(generator, args.n, args.interpolate, args.seed), out)
    else:
        labels = class_labels(generator, args.n, args.label)
        images = sample_images(generator, args.n, args.seed, labels)
        write_samples(images, out, None if labels is None else labels.numpy())
    print(f"gankit: wrote {out}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from gankit.metrics import evaluate, metric_names

    if args.n < 2:
        raise GankitError(f"--n must be at least 2, got {args.n}")
    names = metric_names(args.metrics.split(",") if args.metrics else None)
    source = Path(args.source)
    samples, labels, dataset, run_log = _samples_to_evaluate(source, args)
    results = {"source": str(source),
               **evaluate(samples, dataset, names, args.data_dir, labels)}
    if run_log is not None:
        with open(run_log, "a") as f:
            f.write(json.dumps({"event": "evaluate", **results}) + "\n")
    print(json.dumps(results, indent=2) if args.json else format_results(results))
    return 0


def format_results(results: dict) -> str:
    """A readable table; every number says which features, reference and sample count."""
    lines = [f"{results['source']}: {results['samples']} samples vs {results['reference']}",
             f"features: {results['feature_network']}", ""]
    if "fid" in results:
        lines.append(f"FID                 {results['fid']:10.3f}")
    if "inception_score" in results:
        score = results["inception_score"]
        lines.append(f"Inception Score     {score['mean']:10.3f} ± {score['std']:.3f} "
                     f"(10 splits)")
    if "precision" in results:
        lines.append(f"precision (k=3)     {results['precision']:10.3f}")
        lines.append(f"recall (k=3)        {results['recall']:10.3f}")
    if "coverage" in results:
        lines.append(f"coverage            {results['coverage']:7d}/10 classes with >= 1 %")
        lines.append(f"KL to uniform       {results['kl_to_uniform']:10.4f}")
        lines.append(f"class histogram     {results['class_histogram']}")
    if "label_accuracy" in results:
        accuracy = results["label_accuracy"]
        per_class = " ".join(f"{a:.3f}" for a in accuracy["per_class"] if a is not None)
        lines.append(f"label accuracy      {accuracy['mean']:10.3f} (min over classes "
                     f"{accuracy['min']:.3f}: {per_class})")
    if "parzen_ll" in results:
        parzen = results["parzen_ll"]
        lines.append(f"Parzen LL           {parzen['mean']:10.1f} ± {parzen['sem']:.1f} (s.e.; "
                     f"sigma {parzen['sigma']:.4f} chosen on the "
                     f"{parzen['validation']}; Goodfellow et al. 2014 GAN: 225 ± 2)")
    return "\n".join(lines)


def run_report(args: argparse.Namespace) -> int:
    from gankit.report import build_report

    print(f"gankit: wrote {build_report(args.run_dir, args.out)}")
    return 0


def run_runs(args: argparse.Namespace) -> int:
    import tomllib

    from gankit.report import read_metrics

    folder = Path(args.folder)
    if not folder.is_dir():
        raise GankitError(f"no such folder: {folder}")
    runs = [RunDir(p) for p in sorted(folder.iterdir()) if RunDir(p).is_run()]
    if not runs:
        print(f"no runs in {folder}")
        return 0
    print(f"{'run':40s} {'preset':8s} {'dataset':14s} {'steps':>7s} {'D loss':>7s} "
          f"{'G loss':>7s} {'best FID':>9s}")
    for run in runs:
        config = tomllib.loads(run.config.read_text())
        records = read_metrics(run.metrics)
        logged = [r for r in records if "d_loss" in r]
        fids = [r["fid"] for r in records if "fid" in r]
        last = logged[-1] if logged else {}
        steps = max((r.get("step", 0) for r in records), default=0)
        print(f"{run.root.name:40s} {config.get('preset', '?'):8s} "
              f"{config.get('dataset', '?'):14s} "
              f"{steps:7d} {last.get('d_loss', float('nan')):7.3f} "
              f"{last.get('g_loss', float('nan')):7.3f} "
              f"{min(fids) if fids else float('nan'):9.3f}")
    return 0


def _samples_to_evaluate(source: Path, args: argparse.Namespace):
    """(uint8 samples, their requested classes or None, dataset name, metrics.jsonl to
    append to or None)."""
    import numpy as np

    if source.suffix == ".npz":
        try:
            with np.load(source, allow_pickle=False) as archive:
                samples = archive["images"]
                labels = archive["labels"] if "labels" in archive else None
        except (OSError, ValueError, KeyError) as e:
            raise GankitError(f"cannot read samples from {source}: {e}") from None
        return samples, labels, args.dataset or "mnist", None
    from gankit.device import pick_device
    from gankit.sample import class_labels, load_generator, sample_images

    generator, config = load_generator(source, pick_device(args.device), args.raw)
    dataset = args.dataset or config.dataset
    run_log = RunDir(source).metrics if source.is_dir() else None
    labels = class_labels(generator, args.n)
    samples = sample_images(generator, args.n, args.seed, labels)
    return samples, None if labels is None else labels.numpy(), dataset, run_log


def _check_writable(out: Path, overwrite: bool) -> None:
    """Refuse, before any work, an --out that would replace something of the user's."""
    file_output = out.suffix in (".png", ".npz", ".gif")
    if not out.parent.is_dir():
        raise GankitError(f"folder {out.parent} does not exist")
    if not out.exists():
        return
    if out.is_dir():
        if file_output or any(out.iterdir()):
            raise GankitError(f"{out} is an existing folder; it is never overwritten")
    elif not overwrite:
        raise GankitError(f"{out} already exists (pass --overwrite to replace it)")
    elif not file_output:
        raise GankitError(f"{out} is a file; a folder of PNGs needs a new or empty folder")


COMMANDS = {
    "train": run_train,
    "sample": run_sample,
    "evaluate": run_evaluate,
    "report": run_report,
    "runs": run_runs,
}


if __name__ == "__main__":
    sys.exit(main())
