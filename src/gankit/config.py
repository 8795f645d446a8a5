"""The flat training configuration, its presets, and TOML round-trips.

Precedence: the dataclass defaults < preset < config file < command-line flags. This
module imports no other part of gankit but its errors: the registries (datasets, losses,
architectures, schedules) build on it, and gankit.resolve checks names against them.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from gankit.errors import ConfigError, phrase, storage_error
from gankit.wording import numeral


def setting(default, help: str, metavar: str = "", minimum=None, maximum=None,
            below=None, flag: bool = True, per_session: bool = False):
    """A Config field with its command-line help and its valid range, in one place.

    `minimum` and `maximum` are inclusive bounds, `below` an exclusive upper bound; for
    a list they bound each item. `flag=False` keeps a field off the command line.
    `per_session` marks what belongs to one invocation rather than to the experiment
    (the device, the cadence of logs, the run's length): a resume may change it.
    """
    value = {"default_factory": lambda: list(default)} if isinstance(default, list) else {
        "default": default}
    return field(**value, metadata={"help": help, "metavar": metavar, "minimum": minimum,
                                    "maximum": maximum, "below": below, "flag": flag,
                                    "per_session": per_session})


@dataclass
class Config:
    """Everything that defines a training run; saved as config.toml in the run dir.
    Each field's help is `gankit train --help`'s; its bounds are checked by `validate`."""

    preset: str = setting("seed", "named set of settings", flag=False)
    dataset: str = setting("mnist", "mnist (bundled), fashion-mnist, folder:PATH of png/jpg "
                           "images, or 2-D points for the lab: ring8, grid25, moons, spiral, "
                           "points:FILE", "NAME")
    data_dir: str = setting("", "folder holding the dataset's IDX files (default: bundled "
                            "MNIST; Debian's dataset-fashion-mnist; an empty DIR is filled by "
                            "download)", "DIR", per_session=True)
    image_size: int = setting(28, "image side in pixels; image folders are resized to it", "N",
                              8, 1024)
    channels: int = setting(1, "1 (grayscale) or 3 (RGB), for image folders", "C", 1, 3)
    arch: str = setting("mlp", "architecture: mlp (the notebook's), dcgan (convolutional) or "
                        "toy (the lab's MLPs on 2-D points)", "NAME")
    conditional: bool = setting(False, "class-conditional G (label embedding) and D "
                                "(projection); mnist and fashion-mnist")
    num_classes: int = setting(0, "set from the data when conditional", minimum=0,
                               maximum=1000, flag=False)
    clusters: int = setting(0, "unconditional, self-conditioned: k-means splits the training "
                            "images into K clusters, G and D are conditioned on them as on "
                            "classes, and G(z) reads its cluster from z in proportion to the "
                            "clusters' sizes; no labels are used (0: none)", "K", 0, 1000)
    loss: str = setting("nonsaturating", "loss: nonsaturating (the notebook's), minimax (the "
                        "paper's), hinge, lsgan or wgan-gp (gradient penalty 10)", "NAME")
    n_critic: int = setting(1, "discriminator steps per generator step (5 is usual for "
                            "wgan-gp)", "N", 1, 100)
    r1: float = setting(0.0, "R1 gradient penalty on real images, weight GAMMA (0: none)",
                        "GAMMA", 0.0, 1e6)
    r1_every: int = setting(1, "apply R1 on every Nth D step only, weighted N times (lazy "
                            "regularisation, Karras et al. 2020): 16 costs a sixteenth of R1's "
                            "time, but with Adam it acts weaker than R1 on every step", "N", 1,
                            10**6)
    aux_classifier: float = setting(0.0, "weight W of an auxiliary classifier on D's features "
                                    "(AC-GAN, Odena et al. 2017): D also learns the real "
                                    "images' classes (or clusters), and G is trained to make "
                                    "each fake read as the class it drew (0: none); with "
                                    "--conditional or --clusters", "W", 0.0, 1e6)
    latent_dim: int = setting(100, "size of the noise vector z", "N", 1, 4096)
    g_hidden: list[int] = setting([256, 512, 1024], "generator hidden widths, e.g. --g-hidden "
                                  "256 512 1024", "W", 1, 8192)
    d_hidden: list[int] = setting([1024, 512, 256], "discriminator hidden widths", "W", 1, 8192)
    dropout: float = setting(0.3, "discriminator dropout probability", "P", 0.0, below=1.0)
    base_width: int = setting(64, "dcgan: channels of G's last and D's first conv layer", "C",
                              1, 1024)
    spectral_norm: bool = setting(False, "dcgan: spectral normalisation on the "
                                  "discriminator's layers")
    minibatch_std: bool = setting(False, "dcgan: give the discriminator the spread of each "
                                  "group of 4 images as an extra channel, so that it can see "
                                  "fakes too alike (Karras et al. 2018)")
    ema_decay: float = setting(0.0, "keep an exponential moving average of G's weights (e.g. "
                               "0.999), used for grids, evaluation and export; the decay "
                               "warms up as (1+t)/(10+t) over the t G steps, so 0.999 holds "
                               "only after about 9,000 of them (0: none)", "D", 0.0, below=1.0)
    epochs: int = setting(50, "passes over the training set", "N", 1, 1_000_000,
                          per_session=True)
    max_steps: int = setting(0, "stop after N optimisation steps in total (0: no limit)", "N",
                             0, 10**12, per_session=True)
    batch_size: int = setting(128, "images per batch (per process under torchrun)", "N", 1,
                              65_536)
    lr: float = setting(2e-4, "learning rate of both networks", "F", 1e-12, 10.0)
    g_lr: float = setting(0.0, "the generator's own learning rate (0: --lr)", "F", 0.0, 10.0)
    d_lr: float = setting(0.0, "the discriminator's own learning rate (0: --lr)", "F", 0.0,
                          10.0)
    optimizer: str = setting("adam", "adam (with --betas), or sgd (plain gradient descent)",
                             "NAME")
    lr_schedule: str = setting("constant", "constant, or linear: both learning rates fall "
                               "in a straight line to 0 at the end of --epochs", "NAME")
    betas: list[float] = setting([0.9, 0.999], "Adam's betas, two numbers", "B", 0.0,
                                 below=1.0)
    seed: int = setting(0, "random seed for weights, noise and data order", "N", 0, 2**32 - 1)
    device: str = setting("auto", "auto, cpu, cuda or cuda:N (auto picks CUDA when present)",
                          "DEV", per_session=True)
    precision: str = setting("fp32", "fp32, or bf16 autocast (fast on CPUs with AMX/AVX-512 "
                             "bf16 and on GPUs); weights and Adam's state stay fp32 either "
                             "way", "P", per_session=True)
    compile: bool = setting(False, "torch.compile both networks (helps on GPUs; slower on CPU "
                            "here); penalties (R1, WGAN-GP) differentiate D twice, which a "
                            "compiled graph cannot, so they call the plain D", per_session=True)
    tf32: bool = setting(False, "on CUDA, let matrix products and convolutions round their "
                         "inputs to TF32 (10-bit mantissa): faster on Ampere and later GPUs, "
                         "less exact; off keeps them fp32. cuDNN benchmarks its "
                         "convolution algorithms once per shape either way",
                         per_session=True)
    run_dir: str = setting("", "where the run is written (default runs/<preset>-<dataset>-"
                           "<timestamp>); must not exist or be empty", "DIR")
    log_every: int = setting(100, "print status lines every N batches of an epoch", "N", 1,
                             10**9, per_session=True)
    sample_every: int = setting(0, "save a fixed-noise grid every N steps (0: each epoch's "
                                "end)", "N", 0, 10**12, per_session=True)
    checkpoint_every: int = setting(0, "save checkpoints/last.pt every N steps (0: each "
                                    "epoch)", "N", 0, 10**12, per_session=True)
    keep_checkpoints: int = setting(3, "keep the newest N epoch_XXX.pt beside last.pt and "
                                    "best.pt (0: keep all)", "N", 0, 10**6, per_session=True)
    grid_size: int = setting(64, "images in each fixed-noise sample grid", "N", 1, 1024)
    eval_every: int = setting(0, "compute FID every N epochs, keep the best in "
                              "checkpoints/best.pt (0: never; mnist and fashion-mnist)", "N",
                              0, 1_000_000, per_session=True)
    eval_samples: int = setting(5000, "samples for each evaluation during training", "N", 2,
                                100_000)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# A preset is a set of overrides of the defaults above; "seed" is the notebook exactly.
# Each is measured on MNIST and Fashion-MNIST in the README's "Presets" tables.
PRESETS: dict[str, dict] = {
    "seed": {},
    "mlp-plus": {"betas": [0.5, 0.999], "ema_decay": 0.999},
    # Batches of 32 at lr 5e-4: four times the steps per epoch for about 1.4x the time.
    "dcgan": {"arch": "dcgan", "batch_size": 32, "lr": 5e-4, "betas": [0.5, 0.999],
              "ema_decay": 0.999, "epochs": 5},
    # Unconditional, self-conditioned on 100 k-means clusters of the images: purer than
    # 50 (87 % against 81 %), they took FID 3.1 -> 1.7 and precision 0.79 -> 0.82, at
    # 0.02 of recall. A little lazy R1 evens out precision and recall (benchmarks/RESULTS.md).
    "dcgan-clusters": {"arch": "dcgan", "clusters": 100, "r1": 0.03, "r1_every": 16,
                       "batch_size": 32, "lr": 5e-4, "betas": [0.5, 0.999], "ema_decay": 0.999,
                       "epochs": 8},
    # A little lazy R1 keeps the projection D from overpowering G (without it, in fp32,
    # MNIST's digits turned to noise); more costs precision. The AC-GAN head makes each
    # digit read as its class (benchmarks/RESULTS.md, 2026-11-29, commit e885f67).
    "cdcgan": {"arch": "dcgan", "conditional": True, "r1": 0.02, "r1_every": 16,
               "aux_classifier": 1.0, "batch_size": 32, "lr": 5e-4, "betas": [0.5, 0.999],
               "ema_decay": 0.999, "epochs": 8},
    # The lab's healthy run on the ring of 8 (2-D noise, so that G's map can be drawn): a
    # deep G and a falling learning rate make G steep enough between modes for 90 % of
    # fakes to land within 3 sigma of one, and a little R1 keeps all 8 modes (a 3-layer G
    # without it kept 6, 8 and 7 with seeds 0 to 2); benchmarks/RESULTS.md, "GAN Lab".
    "lab": {"dataset": "ring8", "arch": "toy", "latent_dim": 2,
            "g_hidden": [128, 128, 128, 128], "d_hidden": [128, 128, 128], "r1": 0.1,
            "dropout": 0.0, "batch_size": 512, "lr": 2e-3,
            "betas": [0.5, 0.999], "lr_schedule": "linear", "epochs": 10, "log_every": 100,
            "sample_every": 200, "keep_checkpoints": 1},
}
PRESET_PURPOSES = {
    "seed": "the notebook exactly: its MLPs, loss, optimiser and 50 epochs",
    "mlp-plus": "the notebook's MLPs trained better: Adam betas 0.5, EMA generator",
    "dcgan": "convolutional G and D with an EMA generator, 5 epochs of small batches",
    "dcgan-clusters": "the best unconditional samples: dcgan conditioned on 100 k-means "
                      "clusters of the images (no labels), light lazy R1, 8 epochs",
    "cdcgan": "class-conditional DCGAN (sample --label K) with an AC-GAN head and light "
              "lazy R1 (heavier on Fashion-MNIST), 8 epochs",
    "lab": "2-D toys (gankit lab): small MLPs on the ring of 8 Gaussians, 4,000 steps",
}

# Values a preset takes on one dataset only, over its own: what that dataset needs to
# train well without extra flags. A config file and flags still override them.
PRESET_DATASET_VALUES: dict[str, dict[str, dict]] = {
    # Without enough R1 the projection D overpowers G on Fashion-MNIST and each class
    # collapses. With the AC-GAN head, lazy R1 of 0.1 beat R1 of 1 on every step (3
    # epochs: FID 14.2 against 15.4, recall 0.39 against 0.31; benchmarks/RESULTS.md).
    "cdcgan": {"fashion-mnist": {"r1": 0.1}},
}

PRECISIONS = ("fp32", "bf16")
FIELDS = {f.name: f for f in dataclasses.fields(Config)}


def combine(preset: str = "seed", config_file: str | Path | None = None,
            overrides: dict | None = None) -> Config:
    """The Config that the preset, then the TOML file, then explicit overrides make, with
    its values checked (gankit.resolve.resolve_config also checks the names they give)."""
    if preset not in PRESETS:
        raise ConfigError(phrase("unknown preset {preset!r}; choose from {choices}",
                                 preset=preset, choices=", ".join(PRESETS)))
    values = Config().to_dict()
    values.update(PRESETS[preset])
    values["preset"] = preset
    from_file = {}
    if config_file is not None:
        from_file = _check_values(read_toml(config_file),
                                  phrase("config file {path}", path=config_file))
        # A run's own config.toml names its run dir: as --config it starts a new run.
        if "run_dir" in from_file and (check_path("run_dir", from_file["run_dir"]).resolve()
                                       == Path(config_file).resolve().parent):
            del from_file["run_dir"]
    overrides = _check_values(overrides or {}, "option")
    dataset = {**values, **from_file, **overrides}["dataset"]
    values.update(dataset_values(preset, dataset))
    values.update(from_file)
    values.update(overrides)
    return validate(Config(**values))


def dataset_values(preset: str, dataset: str) -> dict:
    """The values `preset` sets for `dataset` over its own (often none)."""
    return PRESET_DATASET_VALUES.get(preset, {}).get(dataset, {})


def from_dict(values: dict, source: str = "config") -> Config:
    """A Config saved in a checkpoint or config.toml, its keys and types checked (not the
    bounds, which may have been wider when it was saved)."""
    merged = Config().to_dict()
    merged.update(_check_values(values, source))
    return validate(Config(**merged), bounds=False)


def read_toml(path: str | Path, saved: bool = False) -> dict:
    """A TOML file as a dict: the one reader of config.toml and of --config files. A run's
    own config (`saved`) that is not TOML is a corrupt run, not a bad argument."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as e:
        if saved:  # a run's own file: the disk's or the permissions' fault, said as such
            raise storage_error(e, path, "read") from None
        if isinstance(e, FileNotFoundError):
            raise ConfigError(phrase("config file not found: {path}", path=path)) from None
        if isinstance(e, IsADirectoryError):
            raise ConfigError(phrase("config file {path} is a folder; give a .toml file",
                                     path=path)) from None
        raise ConfigError(phrase("cannot read config file {path}: {error}", path=path,
                                 error=e)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(phrase("{path} is corrupt: not TOML text ({error})" if saved else
                                 "config file {path} is not valid TOML: {error}", path=path,
                                 error=e)) from None


def toml_text(config: Config) -> str:
    """The config as a run's config.toml holds it."""
    return tomli_w.dumps(config.to_dict())


def to_toml(config: Config) -> str:
    """The config as TOML, after a comment naming the preset's values for this dataset
    and whether each applied (what `gankit train --dry-run` prints)."""
    values = dataset_values(config.preset, config.dataset)
    shown = ", ".join(f"{key} = {value}" + ("" if getattr(config, key) == value
                                           else f" (overridden: {getattr(config, key)})")
                      for key, value in values.items())
    comment = f"# preset {config.preset} on {config.dataset} sets: {shown}\n" if values else ""
    return comment + toml_text(config)


def validate(config: Config, bounds: bool = True) -> Config:
    """Refuse values that cannot train: each number against its field's bounds and the
    few rules that tie fields together (the names that registries must know are checked
    by gankit.resolve). A saved config is checked without `bounds`: what trained once
    still loads and resumes."""
    check_bounds(config, [f.name for f in dataclasses.fields(Config)] if bounds else [])
    if len(config.betas) != 2:
        raise ConfigError(phrase("betas must be two numbers, got {betas}", betas=config.betas))
    if config.channels == 2:
        raise ConfigError(phrase("channels must be 1 or 3, got 2"))
    if config.precision not in PRECISIONS:
        raise ConfigError(phrase("precision must be fp32 or bf16, got {precision!r}",
                                 precision=config.precision))
    if config.num_classes and not config.conditional:
        raise ConfigError(phrase("num_classes is set from the data, for conditional runs only"))
    if config.clusters and config.conditional:
        raise ConfigError(phrase("--clusters is for unconditional GANs; a conditional one has "
                                 "labels"))
    if config.aux_classifier and not (config.conditional or config.clusters):
        raise ConfigError(phrase("--aux-classifier needs classes to learn: --conditional or "
                                 "--clusters"))
    if not config.dataset:
        raise ConfigError(phrase("dataset must not be empty"))
    for name in ("dataset", "run_dir", "data_dir"):
        check_path(name, getattr(config, name))
    # An empty path would be the current folder: all the images below it. (A run saved
    # before this check still loads.)
    if bounds and config.dataset in ("folder:", "points:"):
        raise ConfigError(phrase("dataset {dataset!r} names no path: give {form}",
                                 dataset=config.dataset,
                                 form="folder:PATH" if config.dataset == "folder:"
                                 else "points:FILE"))
    if config.preset not in PRESETS:
        raise ConfigError(phrase("unknown preset {preset!r}; choose from {choices}",
                                 preset=config.preset, choices=", ".join(PRESETS)))
    return config


def check_path(name: str, value: str) -> Path:
    """`value` as a Path, refused when no file name can hold it: a NUL byte, or a byte
    that is not UTF-8 (0xFF reaches Python as a lone surrogate, which config.toml, being
    UTF-8 text, cannot hold)."""
    if "\0" in value:
        raise ConfigError(phrase("{name} {value!r} holds a NUL byte, which no path can hold: "
                                 "remove it from the path", name=name, value=value))
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ConfigError(phrase("{name} {value!r} holds a byte that is not UTF-8 text: "
                                 "rename the folder", name=name, value=value)) from None
    return Path(value)


# What a resume may change: what belongs to one invocation. run_dir is where the run is,
# and num_classes comes from the data; neither is the user's to change.
PER_SESSION = tuple(f.name for f in dataclasses.fields(Config) if f.metadata["per_session"])


def continued(saved: Config, requested: Config, run_dir: str) -> Config:
    """The config of a resumed run: `saved`, the experiment's, with what `requested` asks
    of this invocation (PER_SESSION); any other difference is refused, naming it."""
    for name in FIELDS:
        if name in (*PER_SESSION, "run_dir", "num_classes"):
            continue
        if getattr(saved, name) != getattr(requested, name):
            raise ConfigError(phrase(
                "cannot change {name} when resuming (run has {saved!r}, asked {asked!r}); a "
                "resume keeps what defines the experiment and may change only {changeable}",
                name=name, saved=getattr(saved, name), asked=getattr(requested, name),
                changeable=", ".join(PER_SESSION)))
    # A copy: the saved config's lists (d_hidden...) must not change with the resumed one's.
    resumed = dataclasses.replace(copy.deepcopy(saved), run_dir=run_dir,
                                  **{name: getattr(requested, name) for name in PER_SESSION})
    check_bounds(resumed, list(PER_SESSION))
    return validate(resumed, bounds=False)


def check_bounds(config: Config, names: list[str]) -> None:
    """Refuse a value of the named fields that is not finite or out of its bounds."""
    for name in names:
        value, bounds = getattr(config, name), FIELDS[name].metadata
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, float) and not math.isfinite(item):
                raise ConfigError(phrase("{name} must be a finite number, got {value}",
                                         name=name, value=value))
            if not _within(item, bounds):
                raise _out_of_bounds(name, value, bounds)


def check_setting(name: str, value) -> None:
    """Refuse `value` for the setting `name` where its field's bounds do: one definition
    of them for every command (`sample --seed` is bounded as `train --seed` is)."""
    if not _within(value, FIELDS[name].metadata):
        raise _out_of_bounds(name, value, FIELDS[name].metadata)


def _within(value, bounds: dict) -> bool:
    """Whether `value` lies within `bounds`; NaN and infinities lie within none."""
    if isinstance(value, (str, bool)):
        return True
    if isinstance(value, float) and not math.isfinite(value):
        return False
    low, high, below = bounds["minimum"], bounds["maximum"], bounds["below"]
    return ((low is None or value >= low) and (high is None or value <= high)
            and (below is None or value < below))


def _out_of_bounds(name: str, value, bounds: dict) -> ConfigError:
    low, high, below = (_number(bounds[key]) for key in ("minimum", "maximum", "below"))
    return ConfigError(phrase("{name} must be at least {low} and below {below}, got {value}"
                              if below else "{name} must be between {low} and {high}, got {value}",
                              name=name, low=low, high=high, below=below, value=value))


def _number(value) -> str | None:
    if value is None:
        return None
    return numeral(f"{value:,}" if isinstance(value, int) else f"{value:g}")


def _where(source: str) -> str:
    """Where a value came from, as _check_values is told: a word of gankit's, in the
    session's language, or a path or phrase already in it."""
    words = {"option": phrase("option"), "config": phrase("config"),
             "checkpoint": phrase("checkpoint")}
    return words.get(source, source)


def _check_values(values: dict, source: str) -> dict:
    """Check each key names a Config field and each value has that field's type."""
    checked = {}
    for key, value in values.items():
        if key not in FIELDS:
            raise ConfigError(phrase("unknown key {key!r} in {source}", key=key,
                                     source=_where(source)))
        checked[key] = _coerce(key, value, getattr(Config(), key), source)
    return checked


def _coerce(key: str, value, default, source: str):
    def wrong(expected: str):
        return ConfigError(phrase("{key} in {source} must be {expected}, got {value!r}",
                                  key=key, source=_where(source), expected=expected,
                                  value=value))

    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise wrong(phrase("true or false"))
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong(phrase("an integer"))
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong(phrase("a number"))
        try:
            return float(value)
        except OverflowError:
            raise wrong(phrase("a number in floating-point range")) from None
    if isinstance(default, str):
        if not isinstance(value, str):
            raise wrong(phrase("a string"))
        return value
    if isinstance(default, list):
        item_type = type(default[0])
        if not isinstance(value, list) or not value:
            raise wrong(phrase("a non-empty list of {kind}s", kind=item_type.__name__))
        return [_coerce(key, item, default[0], source) for item in value]
    raise AssertionError(f"unhandled config type for {key}")  # pragma: no cover
