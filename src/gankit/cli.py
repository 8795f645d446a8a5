"""Command-line interface: a thin layer over gankit's Python API."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import signal
import sys
import threading
from pathlib import Path

from gankit.config import PER_SESSION, PRESET_PURPOSES, PRESETS, Config, to_toml
from gankit.errors import (
    EXIT_CODES,
    GankitError,
    Interrupted,
    error_line,
    handle,
    phrase,
    raise_stopped,
    stdout_gone,
    storage_error,
)
from gankit.language import LANGUAGES, current_language, say, set_language
from gankit.scenarios import SCENARIOS, as_flags, get_scenario, listing

# What a signal outside the training loop leaves, by command (in the loop, training
# saves first and says how to resume).
BEFORE_TRAINING = ("gankit: stopped by {signal} before training began: nothing was saved, "
                   "and the same command starts it again")
STOPPED = {"train": BEFORE_TRAINING, "lab": BEFORE_TRAINING,
           "sample": "gankit: stopped by {signal}: nothing was written",
           "evaluate": "gankit: stopped by {signal}: nothing was recorded",
           "report": "gankit: stopped by {signal}: the previous report is unchanged"}


class OneLineErrors(argparse.ArgumentParser):
    """Usage errors as one line on stderr (exit 2), pointing at --help."""

    def error(self, message: str):
        self.exit(2, phrase("{prog}: error: {message} (see {prog} --help)", prog=self.prog,
                            message=argparse_message(message)) + "\n")


def argparse_message(message: str) -> str:
    """argparse's own message (argument --epochs: invalid int value: 'x') in the session's
    language: French from gankit.errors_fr.ARGPARSE, where one of its templates matches."""
    if current_language() != "fr":
        return message
    from gankit.errors_fr import ARGPARSE

    for english, french in ARGPARSE.items():
        pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>.+?)", re.escape(english))
        match = re.fullmatch(pattern, message, re.DOTALL)
        if match:
            values = match.groupdict()
            if "message" in values:  # argument --epochs: MESSAGE
                values["message"] = argparse_message(values["message"])
            return french.format(**values)
    return message


def asked_language(argv: list[str]) -> str | None:
    """The language that --language (or --language=, or a prefix of it such as --lang)
    names in `argv`, read before argparse so that its errors speak it too."""
    asked = None
    for i, token in enumerate(argv):
        if token == "--":
            break
        name, equals, value = token.partition("=")
        if len(name) >= len("--lan") and "--language".startswith(name):
            value = value if equals else (argv[i + 1] if i + 1 < len(argv) else "")
            asked = value if value in LANGUAGES else asked
    return asked


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrors(
        prog="gankit", description="Train, sample and evaluate GANs on image data, and "
        "watch them learn on 2-D points (gankit lab)."
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
    add_training_flags(train, lab=False)
    lab = commands.add_parser(
        "lab", help="train a GAN on 2-D points, drawn frame by frame (the GAN Lab)",
        description="Train a small GAN on 2-D points with known modes, through the same "
        "losses and loop as the image models. Every --sample-every steps it measures the "
        "fakes (modes covered, high-quality share, JS divergence) and saves a frame: D's "
        "output over the plane, the real and fake points, where G's loss pushes the fakes, "
        "and G's map of the noise plane. With no flag, the healthy run on ring8. Settings "
        "come from the lab preset, then --config, then --scenario, then flags.")
    lab.add_argument("--toy", dest="dataset", metavar="NAME", default=argparse.SUPPRESS,
                     help="ring8 (default: 8 Gaussians on a circle), grid25 (5 x 5 "
                     "Gaussians), moons, spiral, or points:FILE (a .npy of N x 2 points, a "
                     ".npz with 'points' and optionally 'modes' and 'sigma', or a .csv of "
                     "x,y rows)")
    lab.add_argument("--scenario", metavar="NAME", choices=list(SCENARIOS),
                     help="a named set of the flags below that shows one thing a GAN does "
                     "on ring8, printed before the run; flags given beside it win: " + "; ".join(
                         f"{name}: {as_flags(s.settings) or 'no flag'}"
                         for name, s in SCENARIOS.items()))
    lab.add_argument("--list-scenarios", action="store_true",
                     help="list the scenarios, what each shows and its flags, and exit")
    add_training_flags(lab, lab=True)

    sample = commands.add_parser(
        "sample", help="draw images from a trained generator",
        description="Draw images from a trained generator into a grid, an array file, a "
        "folder of PNGs, or an interpolation GIF.")
    sample.add_argument("source", metavar="SOURCE",
                        help="run dir, .pt checkpoint or generator .safetensors")
    sample.add_argument("--n", type=int, default=64,
                        help="number of images, of latent walks with --interpolate, or of "
                        "points from a lab run (default: 64)")
    sample.add_argument("--out", required=True, metavar="FILE",
                        help="grid.png, samples.npz (uint8 'images', and from a conditional "
                        "run their classes as int64 'labels'), walk.gif (with "
                        "--interpolate), or a new folder for one PNG per image; from a lab "
                        "run, points.npz (float32 N x 2 'points') or a .png scatter of them")
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
        "and in pixel space (Parzen window log-likelihood, Goodfellow et al. 2014). A lab "
        "run is measured as during training: modes covered, high-quality share and JS "
        "divergence against its toy's held-out points.")
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
    evaluate.add_argument("--data-dir", metavar="DIR",
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


# Settings that a lab run on 2-D points has no use for: image data and models, and the
# GPU's (its networks are too small to gain from them).
IMAGE_ONLY = ("dataset", "data_dir", "image_size", "channels", "arch", "conditional",
              "clusters", "aux_classifier", "base_width", "spectral_norm", "minibatch_std",
              "eval_every", "tf32", "compile", "grid_size")
# What some settings mean in a lab run, in `gankit lab --help`.
LAB_HELP = {
    "sample_every": "measure the fakes (modes, high-quality share, JS) and save a frame "
                    "every N steps (0: each epoch's end)",
    "eval_samples": "fakes measured at each frame",
    "batch_size": "points per batch (per process under torchrun)",
    "r1": "R1 gradient penalty on the real points, weight GAMMA (0: none)",
}


def add_training_flags(parser: argparse.ArgumentParser, lab: bool) -> None:
    """The flags that `train` and `lab` share: resuming, the settings, the output."""
    parser.add_argument("--resume", metavar="RUN_DIR",
                        help="continue RUN_DIR from checkpoints/last.pt, on this machine "
                        "(a run saved on a GPU continues on a CPU); the experiment's settings "
                        "stay, and only these may change: " + ", ".join(
                            "--" + name.replace("_", "-") for name in PER_SESSION
                            if not (lab and name in IMAGE_ONLY)))
    parser.add_argument("--fallback", action="store_true",
                        help="with --resume, when checkpoints/last.pt is corrupt or missing, "
                        "continue from the newest intact epoch snapshot instead (its "
                        "optimizer state and random streams were not saved: they start "
                        "afresh)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an earlier gankit run in --run-dir instead of refusing "
                        "(never one that a process is training)")
    parser.add_argument("--config", metavar="FILE.toml",
                        help="TOML file of settings (keys as in a run's config.toml)")
    for field in dataclasses.fields(Config):
        if field.metadata["flag"] and not (lab and field.name in IMAGE_ONLY):
            add_setting(parser, field, PRESETS["lab"] if lab else {},
                        LAB_HELP.get(field.name) if lab else None)
    parser.add_argument("--dry-run", action="store_true",
                        help="print the resolved configuration as TOML and exit")
    parser.add_argument("--quiet", action="store_true", help="print nothing while training")
    parser.add_argument("--language", choices=LANGUAGES, default=None,
                        help="language of gankit's messages and errors (default: the "
                        "session's, en from a shell); the status lines (Epoch, "
                        "Discriminator Loss, D(x)) stay in English, as the original notebook "
                        "printed them")


def add_setting(parser: argparse.ArgumentParser, field: dataclasses.Field,
                preset: dict | None = None, help: str | None = None) -> None:
    """A flag for a Config field: --field-name, its help (the field's, or `help`), and its
    default: the `preset`'s value where it sets one, else the field's."""
    flag = "--" + field.name.replace("_", "-")
    default = field.default_factory() if field.default is dataclasses.MISSING else field.default
    default = (preset or {}).get(field.name, default)
    text = help or field.metadata["help"]
    if isinstance(default, bool):  # --no-FLAG switches off what a preset or file set
        parser.add_argument(flag, action=argparse.BooleanOptionalAction,
                            default=argparse.SUPPRESS, help=f"{text} (default: {default})")
        return
    many = isinstance(default, list)
    shown = " ".join(map(str, default)) if many else str(default)
    parser.add_argument(flag, dest=field.name, type=type(default[0] if many else default),
                        nargs="+" if many else None, metavar=field.metadata["metavar"],
                        default=argparse.SUPPRESS,
                        help=f"{text} (default: {shown})" if shown else text)


def add_generator_flags(parser: argparse.ArgumentParser) -> None:
    """The flags of the commands that draw samples from a trained generator."""
    parser.add_argument("--seed", type=int, default=0,
                        help="noise seed, 0 to 2**32 - 1 as for training (default: 0)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--raw", action="store_true",
                        help="the trained generator weights, not their EMA (when the run kept one)")
    parser.add_argument("--fallback", action="store_true",
                        help="when a run dir's generator.safetensors or last.pt is corrupt, "
                        "read the newest intact one of the export, last.pt and the epoch "
                        "snapshots instead of refusing; a line says which (a run dir SOURCE "
                        "only; evaluate records the file it scored under 'weights')")


def main(argv: list[str] | None = None) -> int:
    """Run the command `argv` (else the command line's) in the language that its
    --language names, else the session's: its errors speak it too."""
    argv = sys.argv[1:] if argv is None else argv
    session = current_language()
    set_language(asked_language(argv) or session)
    try:
        return run_command(argv)
    finally:
        set_language(session)


def run_command(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    # Until a command has imported what it works with, a signal ends gankit at once, as
    # nothing is written yet: an exception raised inside an import may be swallowed by a
    # library, and leave a module half made. Then `armed()`.
    handled = threading.current_thread() is threading.main_thread()
    previous = {signum: signal.getsignal(signum) for signum in EXIT_CODES} if handled else {}
    for signum in previous:
        handle(signum, signal.SIG_DFL)
    thread_errors, threading.excepthook = threading.excepthook, quiet_storage_errors
    for stream in (sys.stdout, sys.stderr):  # a path that is not UTF-8 prints, escaped
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        check_paths(args)
        return COMMANDS[args.command](args)
    except Interrupted as e:
        if os.environ.get("RANK", "0") == "0":  # under torchrun, once, not once a rank
            last_words(f"{e.prefix} {e}{e.resume_hint()}")
        return e.exit_code
    except KeyboardInterrupt as e:
        from gankit.guards import StopSignal

        signum = getattr(e, "signum", signal.SIGINT)
        said = "gankit: stopped by {signal}"
        said = said if StopSignal.entered else STOPPED.get(args.command, said)
        last_words(phrase(said, signal=signal.Signals(signum).name))
        return EXIT_CODES.get(signum, 128 + signum)
    except GankitError as e:
        last_words(error_line(e))
        return getattr(e, "exit_code", 2)
    except BrokenPipeError:  # the reader of stdout stopped (`| head`): as other tools, quietly
        stdout_gone()
        return 128 + signal.SIGPIPE
    except OSError as e:  # what gankit's own writes did not already name
        error = storage_error(e, doing="write or read")
        last_words(error_line(error))
        return error.exit_code
    finally:
        threading.excepthook = thread_errors
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# The arguments that name a file or folder, by their dest: how the user wrote them.
PATH_ARGUMENTS = {"source": "SOURCE", "out": "--out", "config": "--config",
                  "resume": "--resume", "data_dir": "--data-dir", "folder": "DIR"}


def check_paths(args: argparse.Namespace) -> None:
    """Refuse a path argument that is empty (a shell variable that was never set: it
    would mean the current folder, or the default), that holds a NUL byte, or that is a
    symbolic link to nothing (which neither reads nor takes a new file or folder)."""
    from gankit.config import check_path

    paths = dict(PATH_ARGUMENTS)
    paths["run_dir"] = "RUN_DIR" if args.command == "report" else "--run-dir"
    for dest, name in paths.items():
        value = getattr(args, dest, None)
        if value == "":
            raise GankitError(phrase("{name} is empty: give a path", name=name))
        if value is None:
            continue
        path = check_path(name, value)
        if path.is_symlink() and not path.exists():
            raise GankitError(phrase("{name} {path} is a symbolic link to {target}, which "
                                     "does not exist: remove the link or create {target}",
                                     name=name, path=value, target=os.readlink(value)))


def armed() -> None:
    """From here on, SIGINT, SIGTERM and SIGHUP (a closed terminal) raise Stopped, a
    KeyboardInterrupt, so that what is half-written is removed on the way out; the
    training loop handles them itself, saving first. An ignored signal stays ignored."""
    if threading.current_thread() is threading.main_thread():
        for signum in EXIT_CODES:
            handle(signum, raise_stopped)


def last_words(line: str) -> None:
    """The one line gankit ends with, on stderr; a terminal gone (SIGHUP) does not
    turn it into a traceback."""
    try:
        print(line, file=sys.stderr)
    except OSError:
        pass


def quiet_storage_errors(args) -> None:
    """A background writer's OSError (TensorBoard's, on a full disk) reaches the main
    thread at its next write, which reports it in one line: no traceback here."""
    if not issubclass(args.exc_type, OSError):
        threading.__excepthook__(args)


def run_train(args: argparse.Namespace) -> int:
    if getattr(args, "list_scenarios", False):  # before torch is imported: it answers at once
        print(listing(current_language()))
        return 0
    import PIL.Image  # noqa: F401  what training imports on its way, imported before armed()
    import safetensors.torch  # noqa: F401
    import torch.utils.tensorboard  # noqa: F401

    from gankit.checkpoint import Resume
    from gankit.resolve import resolve_config
    from gankit.toys import get_toy
    from gankit.training import train

    armed()

    fields = {f.name for f in dataclasses.fields(Config) if f.metadata["flag"]}
    overrides = {k: v for k, v in vars(args).items() if k in fields}
    preset = "lab" if args.command == "lab" else args.preset
    if getattr(args, "scenario", None):
        if args.resume:
            raise GankitError(phrase("--resume takes no --scenario: the run keeps its own "
                                     "settings"))
        settings = get_scenario(args.scenario).settings
        if not args.quiet:  # on stderr: --dry-run's stdout stays a TOML file
            print(say(current_language(), "scenario", name=args.scenario,
                      flags=as_flags(settings) or "-"), file=sys.stderr, flush=True)
        overrides = {**settings, **overrides}
    if preset == "lab" and "dataset" in overrides:  # in the lab's own words: a toy
        get_toy(overrides["dataset"])
    point = None
    if args.fallback and not args.resume:
        raise GankitError(phrase("--fallback is for --resume RUN_DIR"))
    if args.resume:
        if args.config or args.overwrite:
            raise GankitError(phrase("--resume takes no --config or --overwrite: the run keeps "
                                     "its own"))
        if preset:
            overrides["preset"] = preset
        point = Resume.load(args.resume, fallback=args.fallback)
        config = point.config(**overrides)
    else:
        config = resolve_config(preset or "seed", args.config, overrides)
    if args.dry_run:
        print(to_toml(config), end="")
        return 0
    train(config, quiet=args.quiet, resume=point, overwrite=args.overwrite,
          display="terminal", language=args.language)
    return 0


def run_sample(args: argparse.Namespace) -> int:
    import PIL.Image  # noqa: F401  imported before armed()

    from gankit.config import check_setting
    from gankit.device import pick_device
    from gankit.gan_lab import draw_points
    from gankit.kinds import kind_of
    from gankit.sample import draw_images, load_generator

    armed()

    out = Path(args.out)
    if args.n < 1:
        raise GankitError(phrase("--n must be at least 1, got {n}", n=args.n))
    check_setting("seed", args.seed)
    if args.interpolate is not None and (args.interpolate < 2 or out.suffix != ".gif"):
        raise GankitError(phrase("--interpolate K needs K >= 2 and an --out ending in .gif"))
    if args.interpolate is None and out.suffix == ".gif":
        raise GankitError(phrase("a .gif output needs --interpolate K"))
    _check_writable(out, args.overwrite, (".png", ".npz", ".gif"), folder=True)
    generator, config = load_generator(args.source, pick_device(args.device), args.raw,
                                       args.fallback)
    draw = {"images": draw_images, "points": draw_points}[kind_of(config.dataset).name]
    draw(generator, config, out, args.n, args.seed, args.label, args.interpolate)
    print(f"gankit: wrote {out}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from gankit.config import check_setting
    from gankit.device import pick_device
    from gankit.gan_lab import score_points
    from gankit.kinds import kind_of
    from gankit.metrics import metric_names
    from gankit.sample import load_generator_from, score_images

    armed()

    check_setting("seed", args.seed)

    requested = args.metrics.split(",") if args.metrics else None  # None: all that apply
    metric_names(requested)  # an unknown name is refused before any work
    source = Path(args.source)
    loaded, weights, kind = None, {}, "images"  # an .npz holds images
    if source.suffix == ".npz":
        if args.n is not None:
            raise GankitError(phrase("--n counts samples drawn from a generator; an .npz "
                                     "brings its own (evaluate uses all of them)"))
    else:
        args.n = 10_000 if args.n is None else args.n
        if args.n < 1:
            raise GankitError(phrase("--n must be at least 1, got {n}", n=args.n))
        generator, config, read = load_generator_from(source, pick_device(args.device),
                                                      args.raw, args.fallback)
        loaded = (generator, config)
        # Which weights were scored, when --fallback may have stepped back from the usual.
        weights = {"weights": str(read)} if args.fallback else {}
        kind = kind_of(config.dataset).name
    score = {"images": score_images, "points": score_points}[kind]
    results, text = score(source, {"source": str(source), **weights}, loaded, args.n,
                          args.seed, requested, args.dataset, args.data_dir or "")
    print(json.dumps(results, indent=2) if args.json else text, flush=True)
    record_evaluation(source, results)
    return 0


def record_evaluation(source: Path, results: dict) -> None:
    """A run dir keeps its evaluations beside its training records."""
    if source.is_dir():
        from gankit import records
        from gankit.rundir import RunDir

        try:
            records.append(RunDir(source).metrics, records.make("evaluate", **results))
        except GankitError as e:  # the result above stands; only its record is missing
            print(phrase("gankit: this evaluation was not recorded in the run: {error}",
                         error=e), file=sys.stderr)


def run_report(args: argparse.Namespace) -> int:
    import PIL.Image  # noqa: F401  imported before armed()

    from gankit.report import build_report

    armed()

    if args.out:  # the run's own report.html is gankit's to rewrite; another file is not
        _check_writable(Path(args.out), args.overwrite, (".html",))
    print(f"gankit: wrote {build_report(args.run_dir, args.out)}")
    return 0


def run_runs(args: argparse.Namespace) -> int:
    from gankit.report import runs_table

    print(runs_table(args.folder))
    return 0


def _check_writable(out: Path, overwrite: bool, suffixes: tuple[str, ...],
                    folder: bool = False) -> None:
    """Refuse, before any work, an --out of the wrong kind or one that would replace
    something of the user's. With `folder`, a path without a suffix is a new folder."""
    if out.suffix not in suffixes and not (folder and not out.suffix):
        kinds = phrase(" or ").join(suffixes)
        raise GankitError(phrase("{out}: --out must end in {kinds}, or name a new folder"
                                 if folder else "{out}: --out must end in {kinds}",
                                 out=out, kinds=kinds))
    if not out.parent.is_dir():
        raise GankitError(phrase("folder {folder} does not exist", folder=out.parent))
    if not out.exists():
        return
    if out.is_dir():
        if out.suffix or any(out.iterdir()):
            raise GankitError(phrase("{out} is an existing folder; it is never overwritten",
                                     out=out))
    elif not overwrite:
        raise GankitError(phrase("{out} already exists (pass --overwrite to replace it)",
                                 out=out))
    elif not out.suffix:
        raise GankitError(phrase("{out} is a file; a folder of PNGs needs a new or empty "
                                 "folder", out=out))


COMMANDS = {
    "train": run_train,
    "lab": run_train,
    "sample": run_sample,
    "evaluate": run_evaluate,
    "report": run_report,
    "runs": run_runs,
}


if __name__ == "__main__":
    sys.exit(main())
