"""A checked Config from a preset, a TOML file, flags or a saved dict.

gankit.config checks values and the rules between them; this module also checks the
names that the registries must know (dataset, loss, architecture, schedule), which live
in the modules that build on config.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

from gankit.config import Config, combine, from_dict, validate
from gankit.kinds import kind_of
from gankit.losses import get_loss
from gankit.models import check_architecture
from gankit.steps import check_lr_schedule, check_optimizer

# The last config resolved or checked, as a copy (its lists too: d_hidden may change in
# place). The CLI resolves a config and hands it to train(), which checks a Config built
# by hand: one equal to this one was checked already.
_last_checked: list[Config] = []


def resolve_config(preset: str = "seed", config_file: str | Path | None = None,
                   overrides: dict | None = None) -> Config:
    """Build a checked Config: preset, then the TOML file, then explicit overrides."""
    config = combine(preset, config_file, overrides)
    if config.dataset.startswith("points:"):  # a run resumes, samples and reports elsewhere
        path = Path(config.dataset.removeprefix("points:")).absolute()
        # The absolute path is what runs keep: its folders are checked too (UTF-8 text).
        config = validate(dataclasses.replace(config, dataset=f"points:{path}"))
    return checked(check_names(config))


def config_from_dict(values: dict, source: str = "config") -> Config:
    """Rebuild a Config saved in a checkpoint or config.toml, checking keys, types and
    names (not the bounds, which may have been wider when it was saved)."""
    return check_names(from_dict(values, source))


def check_config(config: Config) -> Config:
    """Every check resolve_config makes, for a Config built by hand (once: a config equal
    to the last one resolved or checked is not checked again)."""
    if _last_checked and config == _last_checked[0]:
        return config
    return checked(check_names(validate(config)))


def checked(config: Config) -> Config:
    _last_checked[:] = [copy.deepcopy(config)]
    return config


def check_names(config: Config) -> Config:
    kind_of(config.dataset).check(config)
    get_loss(config.loss)
    check_architecture(config)
    check_lr_schedule(config.lr_schedule)
    check_optimizer(config.optimizer)
    return config
