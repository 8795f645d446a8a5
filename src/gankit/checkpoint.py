"""Checkpoints and the exported generator: the one module that knows their keys.

A checkpoint is a dict saved with torch.save and loaded with weights_only=True:
- "format": 3;
- "config": the run's Config as a dict; "world_size": how many processes trained it;
- "generator", "discriminator" and, when kept, "ema": the networks' state dicts;
- "training": the TrainingState's state dict (step, clocks, best FID; in resumable
  checkpoints also the optimizers and every rank's random streams);
- "sha256": the checksum of all the above (`contents_digest`), which loading verifies
  before it reads anything else, the format number included. So the digest's recipe is
  frozen: a later format must keep it, or an older gankit reads its files as corrupt
  rather than as newer.
Format 2 (until 2026-12-02) had no checksum; format 1 also kept the training state's
entries at the top level. Both still load. generator.safetensors holds the sampler's
weights with, as metadata, the config that rebuilds it ("gankit_config"), the step it
was exported at ("gankit_step") and the checksum of the three ("gankit_sha256").
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import json
import pickle
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch

from gankit.atomic import write_bytes
from gankit.config import Config, check_bounds, continued
from gankit.distributed import Processes
from gankit.errors import ConfigError, GankitError, first_line, naming, phrase, storage_error
from gankit.resolve import config_from_dict
from gankit.rundir import RunDir
from gankit.state import Restored, TrainingState, from_format_1, is_resumable, saved_step
from gankit.steps import Networks

FORMAT = 3
NETWORKS = ("generator", "discriminator")
REQUIRED_KEYS = (*NETWORKS, "config", "training")


class Corrupt(GankitError):
    """A checkpoint or export whose bytes changed since gankit wrote it (or that was cut
    short): its checksum does not match, or it does not load at all."""


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
        self.procs.on_main(lambda: save_checkpoint(checkpoint, path))

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
        if keep:
            self.procs.on_main(lambda: delete(self.dir.epoch_checkpoints()[:-keep]))

    def export(self, sampler: torch.nn.Module, config: Config, step: int) -> None:
        """generator.safetensors: the sampler's weights at `step` (last.pt's), with the
        config as metadata."""
        self.procs.on_main(lambda: write_export(sampler, config, self.dir.generator, step))

    def forget_export(self) -> None:
        """A resumed run's export is older than what it trains next: remove it, so that
        `sample` and `evaluate` read last.pt until the new export replaces it."""
        self.procs.on_main(lambda: self.dir.generator.unlink(missing_ok=True))


def delete(paths: list[Path]) -> None:
    for path in paths:
        path.unlink()


def restore(checkpoint: dict, nets: Networks, state: TrainingState,
            procs: Processes) -> Restored:
    """Load the networks and the training state from a resumable checkpoint."""
    saved_world = checkpoint.get("world_size", 1)
    if saved_world != procs.world_size:
        raise ConfigError(phrase("this run was trained by {saved} process(es); resume it with "
                                 "the same number, not {now}", saved=saved_world,
                                 now=procs.world_size))
    try:
        for name in NETWORKS:
            getattr(nets, name).load_state_dict(checkpoint[name])
        if nets.ema:
            nets.ema.model.load_state_dict(checkpoint["ema"])
        return state.load_state_dict(checkpoint["training"])
    except (KeyError, IndexError, RuntimeError, ValueError, TypeError) as e:
        raise GankitError(phrase("checkpoint does not match its configuration ({error})",
                                 error=first_line(e))) from None


@dataclass(frozen=True)
class Resume:
    """A run to continue: its directory and the checkpoint it continues from, loaded
    once: checkpoints/last.pt, or with `fallback` the newest intact epoch snapshot when
    last.pt is corrupt or gone. `stamp` tells whether the file changed since."""

    run_dir: RunDir
    checkpoint: dict
    source: Path
    stamp: tuple
    # A copy of the config `check` made last: handed on (cli -> train -> Run), it is not
    # merged and checked again. Config is mutable, so what is handed on is compared by value.
    checked: list = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def load(cls, run_dir: str | Path, fallback: bool = False) -> Resume:
        paths = RunDir(run_dir)
        if not paths.root.is_dir():
            raise GankitError(phrase("no such run dir: {root}", root=paths.root))
        try:
            return cls.of(paths, paths.last)
        except GankitError as e:
            if not isinstance(e, Corrupt) and paths.last.is_file():
                raise
            problem = str(e) if paths.last.is_file() else (
                f"{paths.root} has no checkpoints/last.pt to resume from")
            intact = newest_intact_snapshot(paths)
            if intact is None:
                raise type(e)(problem + ("; no intact epoch snapshot remains either"
                                         if paths.epoch_checkpoints() else "")) from None
            if not fallback:
                raise type(e)(f"{problem}; the newest intact snapshot is "
                              f"{intact.source.name} (step {intact.step}): resume from it with "
                              f"gankit train --resume {paths.root} --fallback") from None
            return intact

    @classmethod
    def of(cls, paths: RunDir, path: Path) -> Resume:
        stamp = file_stamp(path)
        return cls(paths, load_checkpoint(path), path, stamp)

    @property
    def step(self) -> int:
        return saved_step(self.checkpoint["training"])

    @property
    def exact(self) -> bool:
        """Whether it continues exactly: an epoch snapshot has no optimizer state or
        random streams."""
        return is_resumable(self.checkpoint["training"])

    def current(self) -> Resume:
        """This point, or, when its file changed since it was loaded (a training that
        ended in between), the same file loaded again."""
        if file_stamp(self.source) == self.stamp:
            return self
        return Resume.of(self.run_dir, self.source)

    @functools.cached_property
    def saved(self) -> Config:
        return saved_config(self.checkpoint, "checkpoint")

    def config(self, **changes) -> Config:
        """The run's saved config with `changes` (flags given to `gankit train --resume`),
        which may only be what belongs to this invocation (config.PER_SESSION)."""
        asked_dir = changes.pop("run_dir", "")
        if asked_dir and Path(asked_dir).resolve() != self.run_dir.root.resolve():
            raise ConfigError(phrase("cannot change run_dir when resuming: the run continues "
                                     "in {root}", root=self.run_dir.root))
        requested = config_from_dict({**self.checkpoint["config"], **changes}, "option")
        check_bounds(requested, list(changes))
        if ("device" not in changes and requested.device.startswith("cuda")
                and not torch.cuda.is_available()):
            raise ConfigError(phrase("this run was saved on {device!r} and this machine has no "
                                     "CUDA: resume it here with --device cpu",
                                     device=requested.device))
        return self.check(requested)

    def check(self, requested: Config) -> Config:
        """The saved experiment with `requested`'s settings for this invocation, in this
        run dir; any other change is refused, naming the setting."""
        from gankit.resolve import check_names  # resolve builds on this module's registries

        if self.checked and requested == self.checked[0]:
            return requested
        # What a resume may change is checked as any config is: a lab run's refusals too.
        config = check_names(continued(self.saved, requested, str(self.run_dir.root)))
        self.checked[:] = [copy.deepcopy(config)]  # its lists too: d_hidden may change in place
        return config


def newest_intact_snapshot(paths: RunDir) -> Resume | None:
    for path in reversed(paths.epoch_checkpoints()):
        try:
            return Resume.of(paths, path)
        except GankitError:
            continue
    return None


def file_stamp(path: Path) -> tuple:
    """What changes when a file is replaced: its inode, size and modification time."""
    try:
        status = path.stat()
    except OSError:
        return ()
    return status.st_ino, status.st_size, status.st_mtime_ns


def saved_config(checkpoint: dict, source: str) -> Config:
    return config_from_dict(checkpoint["config"], source)


def generator_weights(checkpoint: dict, raw: bool = False) -> dict:
    """The generator to sample from: the EMA where the run kept one, unless `raw`."""
    return checkpoint["generator"] if raw or "ema" not in checkpoint else checkpoint["ema"]


def discriminator_weights(checkpoint: dict) -> dict:
    return checkpoint["discriminator"]


def save_checkpoint(state: dict, path: str | Path) -> None:
    """Write `state` with its checksum to a temporary file in the same folder, fsync,
    then rename over `path`. A crash or a full disk at any point leaves the previous
    file at `path` intact."""
    path = Path(path)
    buffer = io.BytesIO()  # torch.save into a file hides a full disk's OSError
    contents = {key: value for key, value in state.items() if key != "sha256"}
    torch.save({**contents, "sha256": contents_digest(contents)}, buffer)
    with naming(path.parent):
        path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(path, buffer.getbuffer())


def load_checkpoint(path: str | Path) -> dict:
    """Load a gankit checkpoint with weights_only=True, so that a crafted pickle runs
    nothing, and verify its checksum before reading anything in it, its format number
    included; an older format comes back in this one's shape. Whatever fails on the way
    (a flipped bit can break the zip, the pickle, a tensor's shape or strides) reads as
    Corrupt, in one line."""
    path = Path(path)
    if not path.is_file():
        raise GankitError(phrase("checkpoint not found: {path}", path=path))
    try:
        with warnings.catch_warnings():  # torch warns of a pickle protocol a flip made up
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        # torch's own message goes on to advise weights_only=False, which runs the file's code.
        raise Corrupt(phrase("{path} is not a loadable gankit checkpoint (it holds more than "
                             "tensors and plain values, is corrupt, or is not a PyTorch file)",
                             path=path)) from None
    except OSError as e:
        raise storage_error(e, path, "read") from None
    except Exception as e:  # a damaged zip or pickle fails in many ways inside torch
        raise Corrupt(phrase("{path} is not a loadable gankit checkpoint: corrupt or not a "
                             "PyTorch file ({error})", path=path, error=first_line(e))) from None
    if not isinstance(state, dict):
        raise Corrupt(phrase("{path} is not a gankit checkpoint (it holds no dict)", path=path))
    check_digest(state, path)
    try:
        return _checked(state, path)
    except GankitError:
        raise
    except Exception as e:  # a format 1 or 2 file, without a checksum, of the wrong shape
        raise Corrupt(phrase("{path} is not a loadable gankit checkpoint: corrupt or not a "
                             "PyTorch file ({error})", path=path, error=first_line(e))) from None


def _checked(state: dict, path: Path) -> dict:
    """A checkpoint whose checksum matched (or that predates checksums), in this format's
    shape."""
    version = state.get("format", 1)
    if not isinstance(version, int) or not 1 <= version <= FORMAT:
        raise GankitError(phrase("{path} was written by a newer gankit (checkpoint format "
                                 "{version}); upgrade gankit to read it", path=path,
                                 version=version))
    if "format" not in state and saved_step(state) is not None:
        training = from_format_1(state)  # takes the entries out of `state`
        state.pop("epoch", None)
        state = {**state, "format": 1, "training": training}
    if not all(key in state for key in REQUIRED_KEYS) or not isinstance(state["training"],
                                                                        dict):
        raise Corrupt(phrase("{path} is not a gankit checkpoint (missing generator/config "
                             "keys)", path=path))
    if saved_step(state["training"]) is None:  # a legacy file without a checksum
        raise Corrupt(phrase("{path} is not a gankit checkpoint (missing generator/config "
                             "keys)", path=path))
    return state


def check_digest(state: dict, path: Path) -> None:
    """Remove the checksum from `state` and verify it, before anything else in `state` is
    read: required except in the formats written before checksums (1 and 2), which are the
    only ones a file without one may claim to be."""
    expected, version = state.pop("sha256", None), state.get("format", 1)
    if expected is None and type(version) is int and version in (1, 2):
        return  # written before checkpoints carried one
    if not digest_matches(expected, state):
        raise Corrupt(phrase("{path} is corrupt: its checksum does not match its contents",
                             path=path))


def digest_matches(expected, contents) -> bool:
    """Whether `contents` still have the checksum `expected`; False too when they cannot
    even be read back (a flipped bit in a tensor's shape or strides)."""
    try:
        return expected == contents_digest(contents)
    except Exception:
        return False


def contents_digest(value) -> str:
    """sha256 of a checkpoint's or export's contents: every tensor's dtype, shape and
    bytes, and every plain value, keys sorted; the same before saving and after loading,
    on any device."""
    digest = hashlib.sha256()
    _feed(digest, value)
    return digest.hexdigest()


def _feed(digest, value) -> None:
    if isinstance(value, torch.Tensor):
        tensor = value.detach().cpu().contiguous()
        digest.update(f"tensor {tensor.dtype} {tuple(tensor.shape)}:".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy())
    elif isinstance(value, dict):
        digest.update(b"{")
        for key in sorted(value, key=repr):
            digest.update(repr(key).encode() + b":")
            _feed(digest, value[key])
        digest.update(b"}")
    elif isinstance(value, (list, tuple)):
        digest.update(b"(" if isinstance(value, tuple) else b"[")
        for item in value:
            _feed(digest, item)
        digest.update(b"]")
    else:
        digest.update(f"{type(value).__name__} {value!r};".encode())


def checkpoint_step(path: Path) -> int | None:
    """The step a checkpoint was saved at, read without loading its tensors (None when
    it cannot be read)."""
    try:
        with warnings.catch_warnings():  # a corrupt file's, said when it is loaded
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        return int(saved_step(state["training"] if "training" in state else state))
    except Exception:
        return None


def write_export(generator: torch.nn.Module, config: Config, path: Path, step: int) -> None:
    """The generator at `step` as safetensors, with the config that rebuilds it, the step
    and their checksum as metadata. Written beside and renamed into place, so a reader
    never sees half a file."""
    from safetensors.torch import save

    weights = {k: v.detach().cpu().contiguous() for k, v in generator.state_dict().items()}
    described = {"gankit_config": json.dumps(config.to_dict()), "gankit_step": str(step)}
    metadata = {**described, "gankit_sha256": contents_digest({**weights, **described})}
    write_bytes(path, save(weights, metadata=metadata))


def read_export(path: Path) -> tuple[dict, Config]:
    """(weights, config) of an exported generator, its checksum verified (exports
    written before 2026-12-02 carry none)."""
    weights, metadata = _load_export(path)
    expected = metadata.pop("gankit_sha256", None)
    # Checked before the metadata is read: only an export older than checksums (no step
    # either) may lack one.
    if expected is not None or "gankit_step" in metadata:
        if not digest_matches(expected, {**weights, **metadata}):
            raise Corrupt(phrase("{path} is corrupt: its checksum does not match its contents",
                                 path=path))
    if "gankit_config" not in metadata:
        raise GankitError(phrase("{path} has no gankit configuration in its metadata",
                                 path=path))
    try:
        saved = json.loads(metadata["gankit_config"])
    except ValueError:
        raise Corrupt(phrase("{path} is corrupt: its configuration is not JSON",
                             path=path)) from None
    return weights, config_from_dict(saved, str(path))


def export_step(path: Path) -> int | None:
    """The step an export was written at (None for one older than that record)."""
    try:
        return int(_load_export(path, weights=False)[1]["gankit_step"])
    except (GankitError, KeyError, ValueError):
        return None


def _load_export(path: Path, weights: bool = True) -> tuple[dict, dict]:
    from safetensors.torch import load_file, safe_open

    try:
        with safe_open(str(path), "pt") as f:
            metadata = f.metadata() or {}
        return (load_file(str(path)) if weights else {}), metadata
    except OSError as e:
        raise storage_error(e, path, "read") from None
    except Exception as e:  # SafetensorError, or a damaged header's JSON or offsets
        raise Corrupt(phrase("{path} is not a readable safetensors file: corrupt, or not one "
                             "({error})", path=path, error=first_line(e))) from None
