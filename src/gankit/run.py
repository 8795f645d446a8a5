"""The run object: the notebook's Logger, done properly.

A Run takes the networks and optimisers a loop trains and looks after everything
around the algorithm, each part in its own module: `prepare` places and wraps the
networks and the data, a `TrainingState` holds the step, optimizers, random streams and
clocks, the `Checkpointer` writes checkpoints and the export, `RunLog` the status lines,
metrics.jsonl, TensorBoard, grids and the live panel. The Run counts the steps, ends the
epochs and the loop, and hands each of these moments to its schedule (gankit.schedule:
grids or lab frames, checkpoints, FID and best.pt, the report, in a stated order).
`gankit.train` and the tutorial's notebook cell both loop over it.
"""

from __future__ import annotations

import dataclasses
import functools
import shutil
import signal
import time
from pathlib import Path

import torch

from gankit import seeds
from gankit.atomic import remove_stale_temporaries
from gankit.checkpoint import Checkpointer, Resume, export_step, restore
from gankit.config import Config
from gankit.data import Dataset, dataset_slug, iterate_batches, num_batches
from gankit.device import CpuShare, StepTimer
from gankit.errors import ConfigError, GankitError, Interrupted, phrase
from gankit.guards import DivergenceGuard, StopSignal
from gankit.kinds import kind_of
from gankit.language import (
    device_name,
    number,
    resolve_language,
    say,
    setting_name,
)
from gankit.lock import RunLock
from gankit.metrics import reference
from gankit.models import unwrap
from gankit.panel import shows_panel
from gankit.prepare import prepare
from gankit.rundir import RunDir, create_run_dir
from gankit.runlog import RunLog
from gankit.schedule import SCHEDULES, dispatch
from gankit.state import TrainingState
from gankit.steps import schedule_learning_rate, schedule_progress


class Run:
    """Everything around the training algorithm, for a loop written like the notebook's:

        with Run(config, data, generator, discriminator, opt_g, opt_d) as run:
            for real, labels in run.batches():
                d = discriminator_step(run.nets, opt_d, loss, real, labels)
                g = generator_step(run.nets, opt_g, loss, len(real))
                run.log(d, g)

    Creating it moves the networks to the device and makes the run dir, config.toml
    written (or, with `resume`, restores everything from its last checkpoint); entering
    it opens metrics.jsonl, TensorBoard and the panel.
    `display` is "terminal", "notebook" (the live panel), "none" (nothing shown) or
    "auto" (the panel inside a Jupyter kernel), as for gankit.Lab. `setup_time_s` is what
    preparing this session took before the Run (k-means clusters, say): the run's time
    counts it, and the Run's own construction.
    `language` ("en" or "fr"; None: the session's, see gankit.set_language) is the
    language of its messages and of the panel; the terminal prints the notebook's three
    status lines as the original did, the panel in its language.
    """

    def __init__(self, config: Config, data: Dataset, generator: torch.nn.Module,
                 discriminator: torch.nn.Module, opt_g: torch.optim.Optimizer,
                 opt_d: torch.optim.Optimizer, *, resume: str | Path | Resume | None = None,
                 overwrite: bool = False, quiet: bool = False, display: str = "auto",
                 setup_time_s: float = 0.0, language: str | None = None):
        constructed = time.perf_counter()
        language = self.language = resolve_language(language)
        shows_panel(display)  # refuses a word it does not know before anything is done
        quiet = quiet or display == "none"
        point = Resume.load(resume) if isinstance(resume, (str, Path)) else resume
        if point:
            config = point.check(config)
        placed = prepare(config, data, generator, discriminator)
        self.nets, self.device, self.procs = placed.nets, placed.device, placed.procs
        self.real, self.labels = placed.real, placed.labels
        self.opt_g, self.opt_d = opt_g, opt_d
        self.lock = None
        self.dir: RunDir | None = None
        self.fresh = point is None
        try:
            if point:  # one writer per run: rank 0 holds its lock until the Run ends
                self.lock = self.procs.on_main(lambda: RunLock(point.run_dir.lock))
                point = point.current()  # another training may have saved it meanwhile
            self.construct(config, point, overwrite, quiet, display, language)
        except BaseException:
            self.abandon()
            raise
        # What this session took before its loop: the caller's (the data, k-means) and
        # this constructor's (device, run dir, the evaluation's classifier).
        self.state.clock.setup = setup_time_s + time.perf_counter() - constructed

    def construct(self, config: Config, point: Resume | None, overwrite: bool, quiet: bool,
                  display: str, language: str) -> None:
        """The rest of __init__, once the run dir to resume is locked: restore, make the
        run dir of a new run, open its logs."""
        self.state = TrainingState(self.opt_g, self.opt_d, self.procs, self.device,
                                   self.nets.ema, config.n_critic)
        restored = restore(point.checkpoint, self.nets, self.state, self.procs) if point else None
        if config.eval_every:  # fails early, before any file is written, without a feature network
            reference(config.dataset, config.data_dir)
        generator = unwrap(self.nets.generator)
        # Conditional grids show the classes in order, a row of 0-9 at a time.
        self.fixed_labels = (torch.arange(config.grid_size, device=self.device)
                             % config.num_classes if config.conditional else None)
        noise_rng = seeds.generator("grid_noise", config.seed)
        self.fixed_noise = torch.randn(config.grid_size, config.latent_dim,
                                       generator=noise_rng).to(self.device)
        if config.clusters:  # grids show the clusters in order, as conditional grids do classes
            self.fixed_noise[:, 0] = generator.noise_for(
                torch.arange(config.grid_size, device=self.device) % config.clusters)
        self.kind = kind_of(config.dataset)
        self.schedule = SCHEDULES[self.kind.name]
        self.frames = self.schedule.make_frames(config, self.device)  # a lab run's, else None
        self.per_epoch = num_batches(len(self.real), config.batch_size, self.procs.world_size)
        self.total_steps = config.epochs * self.per_epoch
        if config.max_steps:
            self.total_steps = min(self.total_steps, config.max_steps)
        schedule_ended = False
        if point:
            state = self.state
            progress = schedule_progress(self.step, point.saved.epochs * self.per_epoch,
                                         state.schedule_origin)
            schedule_ended = config.lr_schedule != "constant" and progress >= 1
            if point.saved.epochs != config.epochs:  # the schedule stretches from here
                state.schedule_origin = (self.step, progress)
        if point:
            self.dir = point.run_dir
        else:
            self.dir, self.lock = shared_run_dir(config, overwrite, self.procs)
            config = dataclasses.replace(config, run_dir=str(self.dir.root))
        self.config = config
        self.checkpointer = Checkpointer(self.dir, self.procs)
        # A finished run is resumed only to write an export that a crash left missing or
        # older than its last.pt; then the loop has no step to run, and finish() exports.
        finished = point is not None and (self.step >= self.total_steps or schedule_ended)
        self.exporting_only = finished and self.export_missing(point)
        if finished and not self.exporting_only:
            raise ConfigError(phrase(
                "{root} is at step {step}, where its {schedule} learning-rate schedule reached "
                "0: training on would change nothing; start a new run to train longer"
                if schedule_ended else "{root} is already at step {step}, the end of its "
                "{total} steps; resume with a larger --epochs or --max-steps",
                root=point.run_dir.root, step=self.step, total=self.total_steps,
                schedule=config.lr_schedule))
        if self.exporting_only:
            self.total_steps = self.step  # nothing to train: the loop ends at once
        if self.procs.is_main:  # what killed processes left half-written
            remove_stale_temporaries(*self.dir.temporaries())
        if point and not self.exporting_only:
            self.checkpointer.forget_export()
        self.first_step = self.step
        self.elapsed = 0.0  # this session's loop time, once it ends (the end record's)
        # The step of the last epoch end whose work was done. An epoch snapshot (--fallback)
        # was saved as its epoch's end work began: batches() does that work first.
        self.epoch_ended = self.step if point is None or point.exact else -1
        self.last_d: dict[str, torch.Tensor] = {}  # the last D step's outputs, for status lines
        self.guard = DivergenceGuard(self.device, self.procs.max)
        self.stop = StopSignal()
        self.entered = False
        self.logger = RunLog(self.dir, config, self.per_epoch, self.total_steps, quiet,
                             resume_step=self.step, active=self.procs.is_main, display=display,
                             language=language)
        self.timer = StepTimer(self.device)
        self.cpu = CpuShare(self.device, self.nets.generator, self.nets.discriminator)
        self.announce(restored, point)

    @property
    def step(self) -> int:
        """Training steps taken so far, over all the run's sessions."""
        return self.state.step

    @property
    def generator_turn(self) -> bool:
        """Whether this batch has a G step: every batch, or every n_critic-th (WGAN)."""
        return (self.step + 1) % self.config.n_critic == 0

    @property
    def r1_weight(self) -> float:
        """R1's weight for this batch's D step: config.r1 times r1_every on every
        r1_every-th step, 0 on the others (lazy regularisation)."""
        config = self.config
        return config.r1 * config.r1_every if self.step % config.r1_every == 0 else 0.0

    def batches(self):
        """Yield (real images in [-1, 1], their labels or None) on the device, epoch after
        epoch, until the run's length; call `log` once for each. Between batches the run
        ends epochs (grid, checkpoints, FID, report) and stops when interrupted."""
        if not self.entered:
            raise GankitError(phrase("use the run as a context manager: with gankit.Run(...) as "
                                     "run:"))
        config = self.config
        if self.epoch_ended != self.step:
            self.between_steps(self.schedule.epoch_end)
        while self.step < self.total_steps:
            epoch, first_batch = divmod(self.step, self.per_epoch)
            self.logger.start_epoch(epoch, first_batch)
            for real, labels in iterate_batches(self.real, config.batch_size, config.seed, epoch,
                                                first_batch, self.procs.rank,
                                                self.procs.world_size, self.labels):
                before = self.step
                if config.lr_schedule != "constant":  # a custom loop's own rates stay its own
                    schedule_learning_rate(self.opt_g, self.opt_d, config, schedule_progress(
                        self.step, config.epochs * self.per_epoch, self.state.schedule_origin))
                yield real, labels
                if self.step != before + 1:
                    raise GankitError(phrase("call run.log(d, g) exactly once for each batch"))
                if self.step % self.per_epoch == 0:
                    self.between_steps(self.schedule.epoch_end)
                if self.step >= self.total_steps:  # a signal now lets the run finish
                    break
                if self.procs.stop_requested(self.stop.signum is not None, self.step,
                                             self.device):
                    self.interrupt()

    def log(self, d: dict[str, torch.Tensor], g: torch.Tensor | None = None) -> None:
        """Count one training step: `d` is what the D step returned, `g` the G step's loss
        (None on batches without a G step). Prints the notebook's status lines every
        `log_every` batches, and saves grids and checkpoints when they are due."""
        state = self.state
        if g is not None:
            state.g_loss = g
        state.step += 1
        self.cpu.update()
        self.guard.update(d["d_loss"], state.g_loss, state.step)
        self.logger.advance(state.step)
        self.last_d = d
        dispatch(self, self.schedule.after_step)
        self.last_d = {}  # a hand-written loop's graph is not kept alive a step longer

    def between_steps(self, events) -> None:
        """Work around the steps (an epoch's end, FID), on the process's own CPU thread
        count: see CpuShare."""
        self.cpu.close()
        dispatch(self, events)

    def interrupt(self) -> None:
        self.between_steps(self.schedule.interrupt)
        raise Interrupted(self.stop.signum or signal.SIGTERM,
                          say(self.language, "interrupted", step=self.step, path=self.dir.last),
                          self.dir.root, language=self.language,
                          prefix=say(self.language, "prefix"),
                          resume_with=say(self.language, "resume_with"),
                          command=self.kind.command)

    def export_missing(self, point: Resume) -> bool:
        """Whether a finished run's export is missing or older than its last.pt (a crash
        between the two)."""
        return point.source == self.dir.last and export_step(self.dir.generator) != self.step

    def abandon(self) -> None:
        """A construction that failed (or was stopped) leaves no half-made run: a new run
        dir is removed, and the lock released."""
        if self.fresh and self.dir is not None and self.procs.is_main:
            shutil.rmtree(self.dir.root, ignore_errors=True)
        self.release_lock()

    def release_lock(self) -> None:
        if self.lock:
            self.lock.release()

    def announce(self, restored, point: Resume | None) -> None:
        """The session's first lines: what trains where, and what a resume could not bring
        back."""
        config, language, world = self.config, self.language, self.procs.world_size
        if self.exporting_only:  # finish() says what it did
            return
        written = functools.partial(number, language=language)  # counts; steps stay bare
        batching = (say(language, "batch_ranks", size=written(config.batch_size), ranks=world,
                        total=written(config.batch_size * world)) if self.procs.distributed
                    else say(language, "batch", size=written(config.batch_size)))
        self.logger.message(say(language, "resume" if self.step else "start",
                                preset=config.preset, step=self.step,
                                dataset=setting_name("dataset", config.dataset, language),
                                images=written(len(self.real)),
                                kind=self.kind.name, batching=batching,
                                per_epoch=written(self.per_epoch),
                                device=device_name(self.device, language),
                                run_dir=self.dir.root))
        if point and not point.exact:
            self.logger.message(say(language, "fallback", source=point.source,
                                    step=self.step))
        if restored and not restored.time_known:
            self.logger.message(say(language, "no_time"))
        if restored and restored.cuda_restored < restored.cuda_saved:
            present = torch.cuda.device_count() if torch.cuda.is_available() else 0
            self.logger.message(say(language, "cuda_streams", restored=restored.cuda_restored,
                                    saved=restored.cuda_saved, present=present))

    def __enter__(self) -> Run:
        self.entered = True
        self.state.clock.start()
        self.timer.restart(self.step)
        try:
            if not self.exporting_only:  # it writes nothing but the export
                self.logger.open(self.state.clock.origin())
            self.stop.__enter__()
        except BaseException:  # __exit__ will not run: close what opened
            self.logger.close()
            self.release_lock()
            raise
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            if exc_type is None:
                self.finish()
        finally:
            try:
                self.logger.close()
            finally:
                self.cpu.close()
                self.stop.__exit__(exc_type, exc, traceback)
                self.release_lock()

    def finish(self) -> None:
        """The loop ended (or left early): its epoch's work (last grid and checkpoint),
        then the schedule's run_end (the export, the end record, the report)."""
        if self.exporting_only:
            self.checkpointer.export(self.nets.sampler, self.config, self.step)
            self.logger.message(say(self.language, "exported", run_dir=self.dir.root,
                                    step=self.step))
            return
        self.elapsed = self.state.clock.loop()
        if self.step % self.per_epoch:  # stopped mid-epoch by --max-steps or a break
            self.between_steps(self.schedule.ended_mid_epoch)
        elif self.epoch_ended != self.step:  # a loop that broke off right after the
            self.between_steps(self.schedule.epoch_end)  # epoch's last batch
        self.between_steps(self.schedule.run_end)


def shared_run_dir(config: Config, overwrite: bool, procs) -> tuple[RunDir, RunLock | None]:
    """Rank 0 makes and locks the run dir; every rank learns its name, or rank 0's
    refusal."""
    made = procs.on_main(lambda: create_run_dir(config.run_dir, config.preset,
                                                dataset_slug(config.dataset), overwrite))
    root = procs.gather(made and str(made[0].root))[0]
    return RunDir(root), made and made[1]
