"""Checkpoints and the exported generator: the one module that knows their keys.

A checkpoint is a dict saved with torch.save and loaded with weights_only=True:
- "format": 2;
- "config": the run's Config as a dict; "world_size": how many processes trained it;
- "generator", "discriminator" and, when kept, "ema": the networks' state dicts;
- "training": the TrainingState's state dict (step, clocks, best FID; in resumable
  checkpoints also the optimizers and every rank's random streams).
Format 1 (before 2026-12-02) kept the training state's entries at the top level; it
still loads. generator.safetensors holds the sampler's weights with the config that
rebuilds it as metadata ("gankit_config").
"""

from __future__ import annotations

import functools
import json
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import torch

from gankit.atomic import replacing
from gankit.config import Config, check_bounds, continued
from gankit.distributed import Processes
from gankit.errors import ConfigError, GankitError
from gankit.resolve import config_from_dict
from gankit.rundir import RunDir
from gankit.state import Restored, TrainingState
from gankit.steps import Networks

FORMAT = 2
NETWORKS = ("generator", "discriminator")
REQUIRED_KEYS = (*NETWORKS, "config", "training")
# Format 1's top-level entries that now live in "training".
FORMAT_1_TRAINING = ("step", "time_s", "eval_time_s", "best_fid", "g_loss", "optimizer_g",
                     "optimizer_d", "rng")


class Checkpointer:
    """Writes a run's checkpoints and its export. Every rank calls it (a resumable
    checkpoint gathers every rank's random streams); rank 0 alone writes or deletes."""

    def __init__(self, run_dir: RunDir, procs: Processes):
        self.dir, self.procs = run_dir, procs

    def save(self, path: Path, nets: Networks, state: TrainingState, config: Config,
             resumable: bool = True) -> None:
        checkpoint = {"format": FORMAT, "config": config.to_dict(),
                      "world_size": self.procs.world_size,
                      "generator": nets.generator.state_dict(),
                      "discriminator": nets.discriminator.state_dict(),
                      "training": state.state_dict(resumable)}
        if nets.ema:
            checkpoint["ema"] = nets.ema.model.state_dict()
        if self.procs.is_main:
            save_checkpoint(checkpoint, path)

    def save_last(self, nets, state, config) -> None:
        self.save(self.dir.last, nets, state, config)

    def save_best(self, nets, state, config) -> None:
        self.save(self.dir.best, nets, state, config)

    def save_epoch(self, epoch: int, nets, state, config, keep: int) -> None:
        """The epoch's snapshot (no optimizer or random state), keeping the newest `keep`
        (all with 0)."""
        self.save(self.dir.epoch_checkpoint(epoch), nets, state, config, resumable=False)
        self.prune(keep)

    def prune(self, keep: int) -> None:
        """Delete all but the newest `keep` epoch snapshots (none with 0). Rank 0 alone:
        two ranks deleting the same file would race, and the loser would stop."""
        if keep and self.procs.is_main:
            for old in self.dir.epoch_checkpoints()[:-keep]:
                old.unlink()

    def export(self, sampler: torch.nn.Module, config: Config) -> None:
        """generator.safetensors: the sampler's weights, with the config as metadata."""
        if self.procs.is_main:
            write_export(sampler, config, self.dir.generator)

    def forget_export(self) -> None:
        """A resumed run's export is older than what it trains next: remove it, so that
        `sample` and `evaluate` read last.pt until the new export replaces it."""
        if self.procs.is_main:
            self.dir.generator.unlink(missing_ok=True)


def restore(checkpoint: dict, nets: Networks, state: TrainingState,
            procs: Processes) -> Restored:
    """Load the networks and the training state from a resumable checkpoint."""
    saved_world = checkpoint.get("world_size", 1)
    if saved_world != procs.world_size:
        raise ConfigError(f"this run was trained by {saved_world} process(es); resume it "
                          f"with the same number, not {procs.world_size}")
    try:
        for name in NETWORKS:
            getattr(nets, name).load_state_dict(checkpoint[name])
        if nets.ema:
            nets.ema.model.load_state_dict(checkpoint["ema"])
        return state.load_state_dict(checkpoint["training"])
    except (KeyError, IndexError, RuntimeError, ValueError, TypeError) as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise GankitError(f"checkpoint does not match its configuration ({reason})") from None


@dataclass(frozen=True)
class Resume:
    """A run to continue: its directory and its checkpoints/last.pt, loaded once."""

    run_dir: RunDir
    checkpoint: dict

    @classmethod
    def load(cls, run_dir: str | Path) -> Resume:
        paths = RunDir(run_dir)
        if not paths.last.is_file() and paths.root.is_dir():
            raise GankitError(f"{paths.root} has no checkpoints/last.pt to resume from")
        return cls(paths, load_checkpoint(paths.last))

    @functools.cached_property
    def saved(self) -> Config:
        return config_from_dict(self.checkpoint["config"], "checkpoint")

    def config(self, **changes) -> Config:
        """The run's saved config with `changes` (flags given to `gankit train --resume`),
        which may only be what belongs to this invocation (config.PER_SESSION)."""
        asked_dir = changes.pop("run_dir", "")
        if asked_dir and Path(asked_dir).resolve() != self.run_dir.root.resolve():
            raise ConfigError(f"cannot change run_dir when resuming: the run continues in "
                              f"{self.run_dir.root}")
        requested = config_from_dict({**self.checkpoint["config"], **changes}, "option")
        check_bounds(requested, list(changes))
        if ("device" not in changes and requested.device.startswith("cuda")
                and not torch.cuda.is_available()):
            raise ConfigError(f"this run was saved on {requested.device!r} and this machine has "
                              "no CUDA: resume it here with --device cpu")
        return self.check(requested)

    def check(self, requested: Config) -> Config:
        """The saved experiment with `requested`'s settings for this invocation, in this
        run dir; any other change is refused, naming the setting."""
        return continued(self.saved, requested, str(self.run_dir.root))


def saved_config(checkpoint: dict, source: str) -> Config:
    return config_from_dict(checkpoint["config"], source)


def generator_weights(checkpoint: dict, raw: bool = False) -> dict:
    """The generator to sample from: the EMA where the run kept one, unless `raw`."""
    return checkpoint["generator"] if raw or "ema" not in checkpoint else checkpoint["ema"]


def save_checkpoint(state: dict, path: str | Path) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over `path`.

    A crash at any point leaves the previous file at `path` intact.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as temporary, open(temporary, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    _fsync_dir(path.parent)


def load_checkpoint(path: str | Path) -> dict:
    """Load a gankit checkpoint with weights_only=True, so that a crafted pickle runs
    nothing; a format-1 checkpoint comes back in format 2."""
    path = Path(path)
    if not path.is_file():
        raise GankitError(f"checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        # torch's own message goes on to advise weights_only=False, which runs the file's code.
        raise GankitError(f"{path} is not a loadable gankit checkpoint (it holds more than "
                          "tensors and plain values, or is not a PyTorch file)") from None
    except (RuntimeError, EOFError, ValueError, OSError) as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise GankitError(f"{path} is not a loadable gankit checkpoint ({reason})") from None
    if isinstance(state, dict) and state.get("format", FORMAT) > FORMAT:
        raise GankitError(f"{path} was written by a newer gankit (checkpoint format "
                          f"{state['format']}); upgrade gankit to read it")
    if isinstance(state, dict) and "format" not in state and "step" in state:
        state = _from_format_1(state)
    if not isinstance(state, dict) or not all(key in state for key in REQUIRED_KEYS):
        raise GankitError(f"{path} is not a gankit checkpoint (missing generator/config keys)")
    return state


def _from_format_1(state: dict) -> dict:
    training = {key: state.pop(key) for key in FORMAT_1_TRAINING if key in state}
    state.pop("epoch", None)
    rng = training.get("rng")
    if isinstance(rng, dict):  # one process's streams, or every rank's under "ranks"
        training["rng"] = rng.get("ranks", [{k: v for k, v in rng.items() if k != "ranks"}])
    if "g_loss" in training:  # rank 0's alone: every rank continues from it
        training["g_loss"] = [training["g_loss"]]
    return {**state, "format": 1, "training": training}


def write_export(generator: torch.nn.Module, config: Config, path: Path) -> None:
    """The generator as safetensors, with the config that rebuilds it as metadata.
    Written beside and renamed into place, so a reader never sees half a file."""
    from safetensors.torch import save_file

    weights = {k: v.detach().cpu().contiguous() for k, v in generator.state_dict().items()}
    with replacing(path) as temporary:
        save_file(weights, str(temporary), metadata={"gankit_config": json.dumps(config.to_dict())})


def read_export(path: Path) -> tuple[dict, Config]:
    """(weights, config) of an exported generator."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file, safe_open

    try:
        with safe_open(str(path), "pt") as f:
            metadata = f.metadata() or {}
        weights = load_file(str(path))
    except (SafetensorError, OSError) as e:
        raise GankitError(f"{path} is not a readable safetensors file ({e})") from None
    if "gankit_config" not in metadata:
        raise GankitError(f"{path} has no gankit configuration in its metadata")
    return weights, config_from_dict(json.loads(metadata["gankit_config"]), str(path))


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
