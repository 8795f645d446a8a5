"""What a run leaves behind as it trains: status lines, metrics.jsonl, TensorBoard, grids.

Status lines and messages go to the terminal (with a tqdm bar when stderr is one), or,
with display "notebook", to the live panel in a Jupyter output area instead.
"""

from __future__ import annotations

import functools
import os
import sys
import time

import numpy as np
from tqdm import tqdm

from gankit import records
from gankit.atomic import write_text
from gankit.config import Config, toml_text
from gankit.errors import naming
from gankit.images import save_png
from gankit.kinds import kind_of
from gankit.language import MESSAGES, number, resolve_language, say
from gankit.report import OUTPUT_LABELS
from gankit.rundir import RunDir, grid_step


class RunLog:
    """The notebook's Logger, improved: its three status lines, plus files that last."""

    def __init__(self, run_dir: RunDir, config: Config, batches_per_epoch: int,
                 total_steps: int, quiet: bool = False, resume_step: int = 0,
                 active: bool = True, display: str = "auto", language: str | None = None):
        """`active=False` (ranks other than 0 under DDP) prints and writes nothing.
        `display` is one of gankit.panel.DISPLAYS (auto: the panel in a kernel);
        `language` that of the messages and the panel (None: the session's)."""
        from gankit.panel import LivePanel, in_notebook

        self.paths = run_dir
        self.config = config
        self.batches_per_epoch = batches_per_epoch
        self.language = resolve_language(language)
        self.quiet = quiet or not active
        self.active = active
        self.started = time.perf_counter()  # the clock of the records' times; see open()
        self.epoch_text = ""
        self.bar: tqdm | None = None
        self.tensorboard = None
        self.metrics: records.RecordFile | None = None
        self.panel: LivePanel | None = None
        self.purge_step = resume_step + 1 if resume_step else None
        if not active:
            return
        write_text(run_dir.config, toml_text(config))  # first: it marks the folder gankit's
        run_dir.samples.mkdir(parents=True, exist_ok=True)
        if resume_step:  # forget what a crashed run logged after its last checkpoint
            records.truncate(run_dir.metrics, resume_step)
        # The Run checked `display` (gankit.panel.shows_panel); a RunLog made by hand may
        # put its panel outside a kernel.
        if not self.quiet and (display == "notebook" or display == "auto" and in_notebook()):
            # Its curves and grid start from what the run logged before a resume.
            grids = run_dir.grids()
            self.panel = LivePanel(run_dir.root.name, total_steps, resume_step,
                                   records.read(run_dir.metrics),
                                   grids[-1].read_bytes() if grids else None,
                                   grid_step(grids[-1]) if grids else 0, language,
                                   lab=kind_of(config.dataset).draws_frames)

    def open(self, started: float) -> None:
        """Open metrics.jsonl and the TensorBoard writer, and time the records from
        `started` (a perf_counter reading, earlier by a resumed run's time so far). A Run
        does so on entering its `with` block, so that one never entered holds no open
        file or writer thread."""
        self.started = started
        if not self.active:
            self.metrics = records.RecordFile(None)
            return
        from torch.utils.tensorboard import SummaryWriter

        self.metrics = records.RecordFile(self.paths.metrics)
        self.tensorboard = SummaryWriter(str(self.paths.tensorboard), purge_step=self.purge_step)

    def start_epoch(self, epoch: int, first_batch: int = 0) -> None:
        show_bar = not self.quiet and self.panel is None and sys.stderr.isatty()
        self.epoch_text = say(self.language, "epoch", epoch=epoch, epochs=self.config.epochs)
        self.bar = tqdm(
            total=self.batches_per_epoch,
            initial=first_batch,
            desc=self.epoch_text,
            disable=not show_bar,
            leave=False,
            dynamic_ncols=True,
        )

    def advance(self, step: int) -> None:
        self.bar.update()
        if self.panel:
            self.panel.progress(step, self.epoch_text)

    def end_epoch(self) -> None:
        if self.bar is not None:  # None when a resume from an epoch snapshot ends its epoch
            self.bar.close()
            self.bar = None

    def status(self, epoch: int, batch: int, step: int, stats: dict[str, float],
               timing: dict[str, float] | None = None) -> None:
        """Print the notebook's three lines and record the same numbers in jsonl and TB.
        `stats` holds d_loss, g_loss and what else the D step returned, such as D's two
        mean outputs (named in OUTPUT_LABELS). On CUDA, `timing` (ms_per_step,
        peak_memory_gib) adds a fourth line. The terminal prints them as the original
        notebook did; the panel shows them in its language."""
        lines = functools.partial(status_lines, epoch, self.config.epochs, batch,
                                  self.batches_per_epoch, stats, timing)
        elapsed = time.perf_counter() - self.started
        record = records.make("step", step=step, epoch=epoch, batch=batch, **stats,
                              **(timing or {}), time_s=elapsed)
        self.record(record)
        self._scalars("train", {**stats, **(timing or {})}, step)
        if self.panel:
            self.panel.status(lines(self.language), record)
        else:
            self._print(lines("en"))

    def evaluation(self, step: int, epoch: int, results: dict, seconds: float,
                   kind: str = "eval", summary: str = "") -> None:
        """Record an evaluation during training in metrics.jsonl and TensorBoard, with
        `time_s`, the run's time before it, and `eval_s`, the `seconds` it took: FID
        ("eval"), or a lab run's measures of its toy ("toy", told as `summary`)."""
        record = records.make(kind, step=step, epoch=epoch, **results,
                              time_s=time.perf_counter() - self.started - seconds, eval_s=seconds)
        self.record(record)
        self._scalars(kind, results, step)
        if self.panel:
            self.panel.evaluation(record)
        self.message(say(self.language, "toy_evaluation", step=step, metrics=summary) if summary
                     else say(self.language, "evaluation", epoch=epoch,
                              fid=number(results["fid"], self.language, 2),
                              samples=number(results["samples"], self.language)))

    def record(self, record: dict) -> None:
        self.metrics.write(record)

    def samples(self, step: int, grid: np.ndarray, palette: bool = False) -> None:
        """Save a picture, uint8 H x W x C (a grid of the fixed-noise samples, or a lab
        frame, drawn: in 256 colours with `palette`), as samples/step_XXXXXXX.png and to
        TB."""
        if not self.active:
            return
        path = self.paths.grid(step)
        save_png(grid, path, palette)
        # TensorBoard writes in a thread; its OSError (a full disk) surfaces at the next
        # call without a file name: name its folder.
        with naming(self.paths.tensorboard):
            self.tensorboard.add_image("samples", grid, step, dataformats="HWC")
        if self.panel:
            self.panel.grid(path.read_bytes(), step)

    def write_report(self) -> None:
        """Rebuild report.html; a failure here is reported, never fatal to training."""
        from gankit.report import build_report

        if not self.active:
            return
        try:
            build_report(self.paths.root)
        except Exception as e:  # whatever the report meets, training goes on
            self.message(say(self.language, "report_failed", error=e))

    def message(self, text: str) -> None:
        if self.panel:
            self.panel.message(text)
        else:
            self._print(text)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.panel:
            self.panel.refresh(force=True)
        try:
            if self.tensorboard is not None:
                with naming(self.paths.tensorboard):
                    self.tensorboard.close()
        finally:
            if self.metrics is not None:
                self.metrics.close()

    def _scalars(self, group: str, values: dict, step: int) -> None:
        if self.tensorboard is not None:
            with naming(self.paths.tensorboard):
                for name, value in values.items():
                    if isinstance(value, int | float):  # a lab run's covered modes are a list
                        self.tensorboard.add_scalar(f"{group}/{name}", value, step)

    def _print(self, text: str) -> None:
        if self.quiet:
            return
        try:
            if self.bar is not None and not self.bar.disable:
                self.bar.write(text, file=sys.stdout)
            else:
                print(text, flush=True)
        except OSError:  # `gankit train | head` (a broken pipe), a terminal gone (EIO):
            # keep training, stop printing
            self.quiet = True
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def status_lines(epoch: int, epochs: int, batch: int, batches: int, stats: dict[str, float],
                 timing: dict[str, float] | None = None, language: str = "en") -> str:
    """The notebook's three status lines (a fourth with `timing`): in English exactly as the
    original printed them, `{value:.4f}`; in French with French words and decimal commas."""
    def written(value: float, decimals: int) -> str:
        return f"{value:.{decimals}f}" if language == "en" else number(value, language, decimals)

    names = {**OUTPUT_LABELS, **{key: MESSAGES[language][key] for key in OUTPUT_LABELS
                                 if key in MESSAGES[language]}}
    outputs = ", ".join(say(language, "status_output", name=names.get(key, key),
                            value=written(value, 4))
                        for key, value in stats.items() if key not in ("d_loss", "g_loss"))
    text = say(language, "status", epoch=epoch, epochs=epochs, batch=batch, batches=batches,
               d_loss=written(stats["d_loss"], 4), g_loss=written(stats["g_loss"], 4))
    text += "\n" + outputs
    if timing:
        text += "\n" + say(language, "status_timing", ms=written(timing["ms_per_step"], 2),
                           gib=written(timing["peak_memory_gib"], 2))
    return text
