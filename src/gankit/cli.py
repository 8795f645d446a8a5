"""Command-line interface: a thin layer over gankit's Python API."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import tomli_w

from gankit.config import PRESET_PURPOSES, PRESETS, Config, dataset_values, resolve_config
from gankit.errors import GankitError, Interrupted
from gankit.language import LANGUAGES
from gankit.rundir import RunDir


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
    for field in dataclasses.fields(Config):
        if field.metadata["flag"]:
            add_setting(train, field)
    train.add_argument("--dry-run", action="store_true",
                       help="print the resolved configuration as TOML and exit")
    train.add_argument("--quiet", action="store_true", help="print nothing while training")
    train.add_argument("--language", choices=LANGUAGES, default="en",
                       help="language of gankit's messages (default: en); the status lines "
                       "(Epoch, Discriminator Loss, D(x)) stay in English, as the original "
                       "notebook printed them")

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
    evaluate.add_argument("--n", type=int,
                          help="samples to draw from a generator (default: 10000); an .npz "
                          "brings its own")
    evaluate.add_argument("--metrics", metavar="LIST",
                          help="comma-separated subset of fid, inception_score (or is), "
                          "precision_recall (or precision, recall), coverage (or "
                          "class_histogram, kl_to_uniform), parzen_ll (or parzen), "
                          "label_accuracy (conditional samples only) (default: all)")
    evaluate.add_argument("--dataset", help="reference dataset: its test split and "
                          "classifier (default: a generator's own dataset; mnist for an .npz)")
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
                        "RUN_DIR/report.html, rewritten); an existing FILE is refused")
    report.add_argument("--overwrite", action="store_true", help="replace an existing --out")

    runs = commands.add_parser("runs", help="list the runs in a folder, one line each",
                               description="One line per run: name, preset, dataset, steps, "
                               "last losses and best FID when known.")
    runs.add_argument("folder", nargs="?", default="runs", metavar="DIR",
                      help="folder of run dirs (default: runs)")
    return parser


def add_setting(parser: argparse.ArgumentParser, field: dataclasses.Field) -> None:
    """A flag for a Config field: --field-name, its help and default from the field."""
    flag = "--" + field.name.replace("_", "-")
    default = field.default_factory() if field.default is dataclasses.MISSING else field.default
    text = field.metadata["help"]
    if isinstance(default, bool):
        parser.add_argument(flag, action="store_true", default=argparse.SUPPRESS, help=text)
        return
    many = isinstance(default, list)
    shown = " ".join(map(str, default)) if many else str(default)
    parser.add_argument(flag, dest=field.name, type=type(default[0] if many else default),
                        nargs="+" if many else None, metavar=field.metadata["metavar"],
                        default=argparse.SUPPRESS,
                        help=f"{text} (default: {shown})" if shown else text)


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
        print(f"{e.prefix} {e}{e.resume_hint()}", file=sys.stderr)
        return e.exit_code
    except GankitError as e:
        print(f"gankit: error: {e}", file=sys.stderr)
        return getattr(e, "exit_code", 2)


def run_train(args: argparse.Namespace) -> int:
    from gankit import distributed
    from gankit.run import Resume
    from gankit.training import train

    fields = {f.name for f in dataclasses.fields(Config) if f.metadata["flag"]}
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
        print(dataset_values_comment(config) + tomli_w.dumps(config.to_dict()), end="")
        return 0
    try:
        train(config, quiet=args.quiet, resume=point, overwrite=args.overwrite,
              display="terminal", language=args.language)
    except BaseException:
        distributed.stop()
        raise
    distributed.stop(finished=True)
    return 0


def dataset_values_comment(config: Config) -> str:
    """A TOML comment naming the preset's per-dataset values and whether each applied."""
    values = dataset_values(config.preset, config.dataset)
    if not values:
        return ""
    shown = ", ".join(f"{key} = {value}" + ("" if getattr(config, key) == value
                                           else f" (overridden: {getattr(config, key)})")
                      for key, value in values.items())
    return f"# preset {config.preset} on {config.dataset} sets: {shown}\n"


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
    _check_writable(out, args.overwrite, (".png", ".npz", ".gif"), folder=True)
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
    from gankit.metrics import check_sample_count, evaluate, metric_names

    requested = args.metrics.split(",") if args.metrics else None  # None: all that apply
    names = metric_names(requested)
    source = Path(args.source)
    if source.suffix == ".npz":
        if args.n is not None:
            raise GankitError("--n counts samples drawn from a generator; an .npz brings its "
                              "own (evaluate uses all of them)")
    else:
        args.n = 10_000 if args.n is None else args.n
        check_sample_count(names, args.n)
    samples, labels, dataset, run_log = _samples_to_evaluate(source, args)
    results = {"source": str(source),
               **evaluate(samples, dataset, requested, args.data_dir, labels)}
    if run_log is not None:
        with open(run_log, "a") as f:
            f.write(json.dumps({"event": "evaluate", **results}) + "\n")
    print(json.dumps(results, indent=2) if args.json else format_results(results))
    return 0


def format_results(results: dict) -> str:
    """A readable table; every number says which features, reference and sample count."""
    from gankit.metrics import result_rows

    rows = result_rows(results)
    width = max(len(label) for label, _ in rows) if rows else 0
    return "\n".join([f"{results['source']}: {results['samples']} samples vs "
                      f"{results['reference']}", f"features: {results['feature_network']}", "",
                      *(f"{label:{width}s}  {text}" for label, text in rows)])


def run_report(args: argparse.Namespace) -> int:
    from gankit.report import build_report

    if args.out:  # the run's own report.html is gankit's to rewrite; another file is not
        _check_writable(Path(args.out), args.overwrite, (".html",))
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
    # FID depends on the sample count, so in-training FIDs (eval_samples each) and
    # `gankit evaluate`'s stand in separate columns, each with its count.
    header = ("run", "preset", "dataset", "steps", "D loss", "G loss", "best FID in training",
              "FID by evaluate")
    rows = [header]
    for run in runs:
        config = tomllib.loads(run.config.read_text())
        records = read_metrics(run.metrics)
        logged = [r for r in records if "d_loss" in r]
        last = logged[-1] if logged else {}
        in_training = [r for r in records if r.get("event") == "eval"]
        evaluated = [r for r in records if r.get("event") == "evaluate" and "fid" in r]
        best = min(in_training, key=lambda r: r["fid"]) if in_training else None
        steps = max((r.get("step", 0) for r in records), default=0)
        rows.append((run.root.name, config.get("preset", "?"), config.get("dataset", "?"),
                     str(steps), _number(last.get("d_loss")), _number(last.get("g_loss")),
                     _fid(best), _fid(evaluated[-1] if evaluated else None)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:  # names to the left, numbers to the right
        cells = [cell.ljust(w) if i < 3 else cell.rjust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        print("  ".join(cells).rstrip())
    return 0


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _fid(record: dict | None) -> str:
    return "-" if record is None else f"{record['fid']:.2f} ({record['samples']} samples)"


def _samples_to_evaluate(source: Path, args: argparse.Namespace):
    """(uint8 samples, their requested classes or None, dataset name, metrics.jsonl to
    append to or None)."""
    import zipfile

    import numpy as np

    if source.suffix == ".npz":
        try:
            with np.load(source, allow_pickle=False) as archive:
                samples = archive["images"]
                labels = archive["labels"] if "labels" in archive else None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
            reason = ("no array named 'images'" if isinstance(e, KeyError) else
                      "not an .npz archive" if isinstance(e, (ValueError, zipfile.BadZipFile))
                      else e.strerror or str(e))
            raise GankitError(f"cannot read samples from {source}: {reason}") from None
        return samples, labels, args.dataset or "mnist", None
    from gankit.device import pick_device
    from gankit.sample import class_labels, load_generator, sample_images

    generator, config = load_generator(source, pick_device(args.device), args.raw)
    dataset = args.dataset or config.dataset
    run_log = RunDir(source).metrics if source.is_dir() else None
    labels = class_labels(generator, args.n)
    samples = sample_images(generator, args.n, args.seed, labels)
    return samples, None if labels is None else labels.numpy(), dataset, run_log


def _check_writable(out: Path, overwrite: bool, suffixes: tuple[str, ...],
                    folder: bool = False) -> None:
    """Refuse, before any work, an --out of the wrong kind or one that would replace
    something of the user's. With `folder`, a path without a suffix is a new folder."""
    if out.suffix not in suffixes and not (folder and not out.suffix):
        kinds = " or ".join(suffixes) + (", or name a new folder" if folder else "")
        raise GankitError(f"{out}: --out must end in {kinds}")
    if not out.parent.is_dir():
        raise GankitError(f"folder {out.parent} does not exist")
    if not out.exists():
        return
    if out.is_dir():
        if out.suffix or any(out.iterdir()):
            raise GankitError(f"{out} is an existing folder; it is never overwritten")
    elif not overwrite:
        raise GankitError(f"{out} already exists (pass --overwrite to replace it)")
    elif not out.suffix:
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
