"""Command-line interface: a thin layer over gankit's Python API."""

from __future__ import annotations

import argparse
import sys

import tomli_w

from gankit.config import PRESETS, Config, resolve_config
from gankit.errors import GankitError
from gankit.guards import Interrupted

DEFAULTS = Config()

# (flag, type, metavar, help): each flag sets the Config field of the same name.
TRAIN_FLAGS = [
    ("--dataset", str, "NAME", "mnist (bundled), fashion-mnist, or folder:PATH of png/jpg images"),
    ("--data-dir", str, "DIR", "folder holding the dataset's IDX files (default: bundled "
     "MNIST; Debian's dataset-fashion-mnist; an empty DIR is filled by download)"),
    ("--image-size", int, "N", "image side in pixels; image folders are resized to it"),
    ("--channels", int, "C", "1 (grayscale) or 3 (RGB), for image folders"),
    ("--arch", str, "NAME", "architecture: mlp (the notebook's)"),
    ("--loss", str, "NAME", "loss: nonsaturating (the notebook's) or minimax (the paper's)"),
    ("--latent-dim", int, "N", "size of the noise vector z"),
    ("--g-hidden", int, "W", "generator hidden widths, e.g. --g-hidden 256 512 1024"),
    ("--d-hidden", int, "W", "discriminator hidden widths"),
    ("--dropout", float, "P", "discriminator dropout probability"),
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
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gankit", description="Train, sample and evaluate GANs on image data."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    train = commands.add_parser(
        "train",
        help="train a GAN (default: the notebook's MLP GAN on bundled MNIST)",
        description="Train a GAN. Settings come from the preset, then --config, then flags.",
    )
    train.add_argument("--preset", choices=list(PRESETS),
                       help="named set of settings; seed (default) is the notebook exactly")
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
    train.add_argument("--compile", action="store_true", default=argparse.SUPPRESS,
                       help="torch.compile both networks (helps on GPUs; slower on CPU here)")
    train.add_argument("--dry-run", action="store_true",
                       help="print the resolved configuration as TOML and exit")
    train.add_argument("--quiet", action="store_true", help="print nothing while training")
    return parser


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
    from gankit.train import resume_config, train

    fields = {flag[2:].replace("-", "_") for flag, *_ in TRAIN_FLAGS} | {"compile"}
    overrides = {k: v for k, v in vars(args).items() if k in fields}
    if args.resume:
        if args.config or args.overwrite:
            raise GankitError("--resume takes no --config or --overwrite: the run keeps its own")
        if args.preset:
            overrides["preset"] = args.preset
        config = resume_config(args.resume, overrides)
    else:
        config = resolve_config(args.preset or "seed", args.config, overrides)
    if args.dry_run:
        print(tomli_w.dumps(config.to_dict()), end="")
        return 0
    train(config, quiet=args.quiet, resume=args.resume, overwrite=args.overwrite)
    return 0


COMMANDS = {
    "train": run_train,
}


if __name__ == "__main__":
    sys.exit(main())
