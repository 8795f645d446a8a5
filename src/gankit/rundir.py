"""The run directory: the one place that names the files a run leaves behind."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gankit.atomic import TEMPORARY
from gankit.config import read_toml
from gankit.errors import GankitError, naming, phrase, storage_error
from gankit.lock import RunLock

# The names gankit gives; other files in checkpoints/ and samples/ (a copy a file
# manager made, say) are the user's, and never read or deleted.
EPOCH_CHECKPOINT = re.compile(r"epoch_(\d+)\.pt")
GRID = re.compile(r"step_(\d+)\.png")
TENSORBOARD_EVENTS = re.compile(r"events\.out\.tfevents\..+")


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
        return [self.root, self.checkpoints, self.samples, self.tensorboard]

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
            saved = read_toml(self.config, saved=True)
        except GankitError:
            return False
        return "preset" in saved and "arch" in saved

    def gankit_files(self) -> list[Path]:
        """The files gankit named in the folder, at any depth: the only ones --overwrite
        removes. Anything else below it, in checkpoints/ and samples/ too, is the user's."""
        def named(folder: Path, *names: str, pattern: re.Pattern = TEMPORARY) -> list[Path]:
            if not folder.is_dir():  # a folder may be a link: gankit writes through it too
                return []
            return [p for p in folder.iterdir() if (p.is_file() or p.is_symlink()) and (
                p.name in names or pattern.fullmatch(p.name) or TEMPORARY.fullmatch(p.name))]

        return sorted(named(self.root, *(p.name for p in (self.config, self.metrics,
                                                         self.generator, self.report)))
                      + named(self.tensorboard, pattern=TENSORBOARD_EVENTS)
                      + named(self.samples, self.evolution.name, pattern=GRID)
                      + named(self.checkpoints, self.last.name, self.best.name,
                              pattern=EPOCH_CHECKPOINT))

    def users_files(self) -> list[Path]:
        """What the folder holds below its top level that gankit did not name."""
        ours = set(self.gankit_files())
        return sorted(p for folder in (self.tensorboard, self.samples, self.checkpoints)
                      if folder.is_dir()
                      for p in folder.rglob("*") if p not in ours and not p.is_dir())

    def has_output(self) -> bool:
        """Whether the run produced anything: a checkpoint, the export, a grid, the report,
        a record in metrics.jsonl. A run stopped while it started (config.toml, an empty
        metrics.jsonl, TensorBoard's first file) has not, and the same command reuses it."""
        idle = {self.config, self.metrics}
        for path in self.gankit_files():
            if TEMPORARY.fullmatch(path.name) or path.parent == self.tensorboard:
                continue
            if path not in idle or path == self.metrics and path.stat().st_size:
                return True
        return False

    def remove_gankit_files(self) -> list[Path]:
        """Delete gankit's own files (and its folders where they are left empty); return
        the user's files, kept where they were. All or nothing: each file is first renamed
        to a temporary of this process, and if one cannot be (chattr +i, permissions),
        every one goes back and nothing is deleted; a crash leaves only temporaries, which
        the next start removes."""
        files = self.gankit_files()
        for path in files:  # what killed processes left: no one's, and nothing to put back
            if TEMPORARY.fullmatch(path.name):
                with naming(path, "remove"):
                    path.unlink(missing_ok=True)
        aside: list[tuple[Path, Path]] = []
        try:
            for path in files:
                if TEMPORARY.fullmatch(path.name):
                    continue
                moved = next(candidate for n in itertools.count() if not (
                    candidate := path.with_name(f".{path.name}.{n}.tmp{os.getpid()}")
                ).exists() and not candidate.is_symlink())
                path.rename(moved)
                aside.append((path, moved))
        except OSError as e:
            for original, moved in reversed(aside):
                with contextlib.suppress(OSError):
                    moved.rename(original)
            raise storage_error(e, path, "remove") from None
        for path, moved in aside:
            with naming(path, "remove"):
                moved.unlink()
        for folder in (self.tensorboard, self.samples, self.checkpoints):
            if folder.is_symlink():  # the link is the user's, and where it leads
                continue
            with contextlib.suppress(OSError):  # not empty: the user's files stay in it
                folder.rmdir()
        return self.users_files()


def numbered(folder: Path, pattern: re.Pattern) -> list[Path]:
    """The regular files in `folder` whose whole name matches `pattern`, by its number."""
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir()
             if (m := pattern.fullmatch(p.name)) and p.is_file()]
    return [p for _, p in sorted(found)]


def output_summary(run_dir: RunDir) -> str:
    """What a run dir holds, in a few words: "last.pt, 3 epoch snapshot(s), 12 grid(s),
    generator.safetensors, report.html, metrics.jsonl"."""
    files = set(run_dir.gankit_files())
    snapshots = len([p for p in files if p.parent == run_dir.checkpoints
                     and EPOCH_CHECKPOINT.fullmatch(p.name)])
    grids = len([p for p in files if p.parent == run_dir.samples and GRID.fullmatch(p.name)])
    return ", ".join(
        [p.name for p in (run_dir.last, run_dir.best) if p in files]
        + ([phrase("{n} epoch snapshot(s)", n=snapshots)] if snapshots else [])
        + ([phrase("{n} grid(s)", n=grids)] if grids else [])
        + [p.name for p in (run_dir.evolution, run_dir.generator, run_dir.report,
                            run_dir.metrics) if p in files])


def grid_step(path: Path) -> int:
    return int(GRID.fullmatch(path.name).group(1))


def create_run_dir(requested: str, preset: str, slug: str, overwrite: bool = False):
    """Make the run directory and lock it: (RunDir, its RunLock). An existing non-empty
    one is never written into, unless it holds an earlier gankit run (its config.toml)
    whose files `overwrite` removes (keeping any other), or one that produced nothing
    (stopped while it started), which is reused. Without `requested`, a new
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
        if run_dir.contents():
            if not overwrite and run_dir.has_output():
                raise GankitError(phrase(
                    "run dir {root} already holds a run ({what}; use --resume to continue it, "
                    "--overwrite to replace it)" if run_dir.last.is_file() else
                    "run dir {root} already holds a run with no checkpoints/last.pt "
                    "({what}; --overwrite replaces it)", root=root, what=output_summary(run_dir)))
            kept = run_dir.remove_gankit_files()
            if kept:
                shown = ", ".join(str(p.relative_to(root)) for p in kept[:3])
                print(phrase("gankit: kept {n} file(s) gankit did not write in {root}: {shown}",
                             n=len(kept), root=root, shown=shown + (", ..." if len(kept) > 3
                                                                    else "")), file=sys.stderr)
    except BaseException:
        lock.release()
        raise
    return run_dir, lock
