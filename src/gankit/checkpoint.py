"""Checkpoints: atomic saves, and loads that never execute code."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import torch

from gankit.atomic import replacing
from gankit.errors import GankitError

REQUIRED_KEYS = ("generator", "discriminator", "step", "epoch", "config")


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
    """Load a gankit checkpoint with weights_only=True, so that a crafted pickle runs nothing."""
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
    if not isinstance(state, dict) or not all(key in state for key in REQUIRED_KEYS):
        raise GankitError(f"{path} is not a gankit checkpoint (missing generator/config keys)")
    return state


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
