"""The run directory: the one place that names the files a run leaves behind."""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gankit.atomic import TEMPORARY
from gankit.errors import GankitError, phrase
from gankit.lock import RunLock

# The names gankit gives; other files in checkpoints/ and samples/ (a copy a file
# manager made, say) are the user's, and never read or deleted.
EPOCH_CHECKPOINT = re.compile(r"epoch_(\d+)\.pt")
GRID = re.compile(r"step_(\d+)\.png")


@dataclass(frozen=True)
class RunDir:
    """Paths inside one run directory (see the README's "A run directory")."""

    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root))

    @property
    def lock(self) -> Path:
        """Held by the process that trains the run (see gankit.lock)."""
        return self.root / ".lock"

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
        return numbered(self.checkpoints, EPOCH_CHECKPOINT)

    def grid(self, step: int) -> Path:
        return self.samples / f"step_{step:07d}.png"

    def grids(self) -> list[Path]:
        """The fixed-noise grids, oldest first."""
        return numbered(self.samples, GRID)

    def temporaries(self) -> list[Path]:
        """The folders where gankit writes through temporary files."""
        return [self.root, self.checkpoints, self.samples]

    def is_run(self) -> bool:
        return self.config.is_file()

    def contents(self) -> list[Path]:
        """What the folder holds, but for the lock file (none when it does not exist)."""
        return [p for p in self.root.iterdir() if p != self.lock] if self.root.is_dir() else []

    def foreign(self) -> list[str]:
        """The names in the folder that gankit does not write: the user's."""
        names = {p.name for p in (self.config, self.metrics, self.tensorboard, self.samples,
                                  self.checkpoints, self.generator, self.report)}
        return sorted(p.name for p in self.contents()
                      if p.name not in names and not TEMPORARY.fullmatch(p.name))

    def refuse_foreign(self) -> None:
        """Refuse a folder that is not a gankit run (a config.toml of gankit's), or that
        holds anything gankit did not write: it is (also) the user's, and neither a new
        run nor --overwrite may empty it. Temporaries alone (a run killed while writing
        its config) are gankit's."""
        contents = self.contents()
        if all(TEMPORARY.fullmatch(p.name) for p in contents):
            return
        gankits = self.is_gankit_run()
        foreign = self.foreign() if gankits else [p.name for p in contents]
        if foreign:
            shown = ", ".join(sorted(foreign)[:3]) + (", ..." if len(foreign) > 3 else "")
            raise GankitError(phrase(
                "run dir {root} already exists and is a gankit run dir, and also holds files "
                "gankit did not write ({shown}); it is never emptied" if gankits else
                "run dir {root} already exists and is not a gankit run dir ({shown}); it is "
                "never emptied", root=self.root, shown=shown))

    def is_gankit_run(self) -> bool:
        """Whether config.toml is gankit's (TOML naming a preset and an architecture)."""
        try:
            saved = tomllib.loads(self.config.read_text())
        except (OSError, ValueError):
            return False
        return "preset" in saved and "arch" in saved

    def has_checkpoint(self) -> bool:
        return self.last.is_file() or bool(self.epoch_checkpoints())


def numbered(folder: Path, pattern: re.Pattern) -> list[Path]:
    """The regular files in `folder` whose whole name matches `pattern`, by its number."""
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir()
             if (m := pattern.fullmatch(p.name)) and p.is_file()]
    return [p for _, p in sorted(found)]


def grid_step(path: Path) -> int:
    return int(GRID.fullmatch(path.name).group(1))


def create_run_dir(requested: str, preset: str, slug: str, overwrite: bool = False):
    """Make the run directory and lock it: (RunDir, its RunLock). An existing non-empty
    one is never written into, unless it holds an earlier gankit run (its config.toml)
    that `overwrite` replaces, or one that never saved a checkpoint (stopped while it
    started), which is reused. Without `requested`, a new
    runs/<preset>-<slug>-<timestamp>."""
    if requested:
        root = Path(requested)
        if root.exists() and not root.is_dir():
            raise GankitError(phrase("run dir {root} is a file, not a folder", root=root))
    else:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        base = Path("runs") / f"{preset}-{slug}-{stamp}"
        root, suffix = base, 1
        while root.exists():
            suffix += 1
            root = base.with_name(f"{base.name}-{suffix}")
    run_dir = RunDir(root)
    run_dir.refuse_foreign()  # before the lock file: nothing is added to a user's folder
    root.mkdir(parents=True, exist_ok=True)
    lock = RunLock(run_dir.lock)  # before looking inside: what it holds cannot change after
    try:
        run_dir.refuse_foreign()
        contents = run_dir.contents()
        if contents:
            if not overwrite and run_dir.has_checkpoint():
                raise GankitError(phrase("run dir {root} already exists and is not empty (use "
                                         "--resume to continue it, --overwrite to replace it)",
                                         root=root))
            for path in contents:
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    except BaseException:
        lock.release()
        raise
    return run_dir, lock
