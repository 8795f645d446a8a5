"""The run directory: the one place that names the files a run leaves behind."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gankit.errors import GankitError


@dataclass(frozen=True)
class RunDir:
    """Paths inside one run directory (see the README's "A run directory")."""

    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root))

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.jsonl"

    @property
    def tensorboard(self) -> Path:
        return self.root / "tb"

    @property
    def samples(self) -> Path:
        return self.root / "samples"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def last(self) -> Path:
        return self.checkpoints / "last.pt"

    @property
    def best(self) -> Path:
        return self.checkpoints / "best.pt"

    @property
    def generator(self) -> Path:
        return self.root / "generator.safetensors"

    @property
    def report(self) -> Path:
        return self.root / "report.html"

    @property
    def evolution(self) -> Path:
        return self.samples / "evolution.gif"

    def epoch_checkpoint(self, epoch: int) -> Path:
        return self.checkpoints / f"epoch_{epoch:03d}.pt"

    def epoch_checkpoints(self) -> list[Path]:
        """The epoch snapshots, oldest first (by epoch number, not by name)."""
        return sorted(self.checkpoints.glob("epoch_*.pt"),
                      key=lambda p: int(p.stem.removeprefix("epoch_")))

    def grid(self, step: int) -> Path:
        return self.samples / f"step_{step:07d}.png"

    def grids(self) -> list[Path]:
        """The fixed-noise grids, oldest first."""
        return sorted(self.samples.glob("step_*.png"), key=grid_step)

    def is_run(self) -> bool:
        return self.config.is_file()


def grid_step(path: Path) -> int:
    return int(path.stem.removeprefix("step_"))


def create_run_dir(requested: str, preset: str, slug: str, overwrite: bool = False) -> RunDir:
    """Make the run directory; an existing non-empty one is never written into, unless
    `overwrite` is set and it holds an earlier gankit run (its config.toml), then removed.
    Without `requested`, a new runs/<preset>-<slug>-<timestamp>."""
    if requested:
        root = Path(requested)
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            if not overwrite:
                raise GankitError(f"run dir {root} already exists and is not empty "
                                  "(use --resume to continue it, --overwrite to replace it)")
            if not RunDir(root).is_run():
                raise GankitError(f"--overwrite refused: {root} is not a gankit run dir")
            shutil.rmtree(root)
    else:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        base = Path("runs") / f"{preset}-{slug}-{stamp}"
        root, suffix = base, 1
        while root.exists():
            suffix += 1
            root = base.with_name(f"{base.name}-{suffix}")
    root.mkdir(parents=True, exist_ok=True)
    return RunDir(root)
