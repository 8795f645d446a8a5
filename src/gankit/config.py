"""The flat training configuration, its presets, and TOML round-trips.

Precedence: the dataclass defaults < preset < config file < command-line flags.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from gankit.errors import ConfigError


@dataclass
class Config:
    """Everything that defines a training run; saved as config.toml in the run dir."""

    preset: str = "seed"
    dataset: str = "mnist"  # mnist | fashion-mnist | folder:PATH
    data_dir: str = ""  # where dataset files live; "" means the default search path
    image_size: int = 28
    channels: int = 1  # 1 (grayscale) or 3 (RGB); only image folders may use 3
    arch: str = "mlp"
    conditional: bool = False  # class-conditional G and D (labelled datasets only)
    num_classes: int = 0  # set from the data when conditional
    loss: str = "nonsaturating"
    n_critic: int = 1  # D steps per G step (5 is usual for wgan-gp)
    r1: float = 0.0  # R1 gradient penalty weight gamma on real images; 0: none
    latent_dim: int = 100
    g_hidden: list[int] = field(default_factory=lambda: [256, 512, 1024])
    d_hidden: list[int] = field(default_factory=lambda: [1024, 512, 256])
    dropout: float = 0.3
    base_width: int = 64  # dcgan: channels of G's last and D's first conv layer
    spectral_norm: bool = False  # dcgan: spectral norm on D's layers
    ema_decay: float = 0.0  # EMA of the generator's weights; 0: none
    epochs: int = 50
    max_steps: int = 0  # 0: no limit beyond epochs
    batch_size: int = 128
    lr: float = 2e-4
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    precision: str = "fp32"  # fp32 | bf16 (autocast)
    compile: bool = False  # torch.compile the two networks
    run_dir: str = ""  # "" means runs/<preset>-<dataset>-<timestamp>
    log_every: int = 100  # batches within an epoch, as the notebook counts them
    sample_every: int = 0  # steps; 0: a sample grid at each epoch's end only
    checkpoint_every: int = 0  # steps; 0: at each epoch's end only
    keep_checkpoints: int = 0  # newest epoch_XXX.pt files to keep; 0 keeps all
    grid_size: int = 64  # images in each fixed-noise sample grid
    eval_every: int = 0  # epochs between FID evaluations during training; 0: none
    eval_samples: int = 5000  # samples per evaluation during training

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
    # On Fashion-MNIST add --r1 1: without it the projection D overpowers G there and
    # every class collapses to one noisy item; on MNIST R1 costs quality (README).
    "cdcgan": {"arch": "dcgan", "conditional": True, "batch_size": 32, "lr": 5e-4,
               "betas": [0.5, 0.999], "ema_decay": 0.999, "epochs": 10},
}
PRESET_PURPOSES = {
    "seed": "the notebook exactly: its MLPs, loss, optimiser and 50 epochs",
    "mlp-plus": "the notebook's MLPs trained better: Adam betas 0.5, EMA generator",
    "dcgan": "convolutional G and D with an EMA generator, 5 epochs of small batches",
    "cdcgan": "class-conditional DCGAN (sample --label K), the best on MNIST; "
              "add --r1 1 for Fashion-MNIST",
}

PRECISIONS = ("fp32", "bf16")
FIELDS = {f.name: f for f in dataclasses.fields(Config)}


def resolve_config(
    preset: str = "seed", config_file: str | Path | None = None, overrides: dict | None = None
) -> Config:
    """Build a validated Config: preset, then the TOML file, then explicit overrides."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    values = Config().to_dict()
    values.update(PRESETS[preset])
    values["preset"] = preset
    if config_file is not None:
        values.update(_check_values(read_toml(config_file), f"config file {config_file}"))
    values.update(_check_values(overrides or {}, "option"))
    return validate(Config(**values))


def config_from_dict(values: dict, source: str = "config") -> Config:
    """Rebuild a Config saved in a checkpoint or config.toml, checking keys and types."""
    merged = Config().to_dict()
    merged.update(_check_values(values, source))
    return validate(Config(**merged))


def read_toml(path: str | Path) -> dict:
    path = Path(path)
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read config file {path}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config file {path} is not valid TOML: {e}") from None


def write_toml(config: Config, path: str | Path) -> None:
    Path(path).write_text(tomli_w.dumps(config.to_dict()))


def validate(config: Config) -> Config:
    """Refuse values that cannot train; registries are checked where they live."""
    positive = ["image_size", "latent_dim", "epochs", "batch_size", "log_every", "grid_size",
                "eval_samples", "base_width", "n_critic"]
    for name in positive:
        if getattr(config, name) < 1:
            raise ConfigError(f"{name} must be at least 1, got {getattr(config, name)}")
    for name in ["max_steps", "sample_every", "checkpoint_every", "keep_checkpoints",
                 "eval_every"]:
        if getattr(config, name) < 0:
            raise ConfigError(f"{name} must be 0 or more, got {getattr(config, name)}")
    if not (math.isfinite(config.lr) and config.lr > 0):
        raise ConfigError(f"lr must be a positive number, got {config.lr}")
    if not (math.isfinite(config.r1) and config.r1 >= 0):
        raise ConfigError(f"r1 must be 0 or a positive number, got {config.r1}")
    if not 0 <= config.ema_decay < 1:
        raise ConfigError(f"ema_decay must be in [0, 1), got {config.ema_decay}")
    if not 0 <= config.dropout < 1:
        raise ConfigError(f"dropout must be in [0, 1), got {config.dropout}")
    if len(config.betas) != 2 or not all(0 <= b < 1 for b in config.betas):
        raise ConfigError(f"betas must be two numbers in [0, 1), got {config.betas}")
    if config.channels not in (1, 3):
        raise ConfigError(f"channels must be 1 or 3, got {config.channels}")
    if any(w < 1 for w in config.g_hidden + config.d_hidden):
        raise ConfigError("hidden layer widths must be at least 1")
    if config.precision not in PRECISIONS:
        raise ConfigError(f"precision must be fp32 or bf16, got {config.precision!r}")
    if config.num_classes and not config.conditional:
        raise ConfigError("num_classes is set from the data, for conditional runs only")
    if not config.dataset:
        raise ConfigError("dataset must not be empty")
    return config


def _check_values(values: dict, source: str) -> dict:
    """Check each key names a Config field and each value has that field's type."""
    checked = {}
    for key, value in values.items():
        if key not in FIELDS:
            raise ConfigError(f"unknown key {key!r} in {source}")
        checked[key] = _coerce(key, value, getattr(Config(), key), source)
    return checked


def _coerce(key: str, value, default, source: str):
    def wrong(expected: str):
        return ConfigError(f"{key} in {source} must be {expected}, got {value!r}")

    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise wrong("true or false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong("an integer")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong("a number")
        try:
            return float(value)
        except OverflowError:
            raise wrong("a number in floating-point range") from None
    if isinstance(default, str):
        if not isinstance(value, str):
            raise wrong("a string")
        return value
    if isinstance(default, list):
        item_type = type(default[0])
        if not isinstance(value, list) or not value:
            raise wrong(f"a non-empty list of {item_type.__name__}s")
        return [_coerce(key, item, default[0], source) for item in value]
    raise AssertionError(f"unhandled config type for {key}")  # pragma: no cover
