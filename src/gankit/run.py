"""The run object: the notebook's Logger, done properly.

A Run takes the networks and optimisers a loop trains and looks after everything
around the algorithm: the device, the run directory, status lines, metrics.jsonl,
TensorBoard, fixed-noise grids, checkpoints, FID during training, report.html,
resume, clean interrupts, several processes under torchrun, and the live panel in
Jupyter. `gankit.train` and the tutorial's notebook cell both loop over it.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import save_file

from gankit import distributed
from gankit.atomic import replacing
from gankit.checkpoint import load_checkpoint, save_checkpoint
from gankit.config import Config, check_bounds, config_from_dict
from gankit.data import ImageData, dataset_slug, iterate_batches, num_batches
from gankit.device import pick_device
from gankit.ema import EMA
from gankit.errors import ConfigError, GankitError, Interrupted
from gankit.guards import DivergenceGuard, StopSignal
from gankit.images import to_uint8
from gankit.language import check_language, number, say
from gankit.metrics import evaluate, reference
from gankit.models import generate, recompute_batchnorm, unwrap
from gankit.panel import in_notebook
from gankit.rundir import RunDir, create_run_dir
from gankit.runlog import DISPLAYS, RunLog
from gankit.sample import sample_images
from gankit.steps import Networks, schedule_learning_rate

RESUMABLE_CHANGES = ("epochs", "max_steps")  # settings a resumed run may change


@dataclass(frozen=True)
class Resume:
    """A run to continue: its directory and its checkpoints/last.pt, loaded once."""

    run_dir: RunDir
    state: dict

    @classmethod
    def load(cls, run_dir: str | Path) -> Resume:
        paths = RunDir(run_dir)
        return cls(paths, load_checkpoint(paths.last))

    @functools.cached_property
    def saved(self) -> Config:
        return config_from_dict(self.state["config"], "checkpoint")

    def config(self, **changes) -> Config:
        """The run's saved config with `changes`, which may only lengthen or shorten it
        (--epochs, --max-steps); any other change is refused, naming the setting."""
        asked_dir = changes.pop("run_dir", "")
        if asked_dir and Path(asked_dir).resolve() != self.run_dir.root.resolve():
            raise ConfigError(f"cannot change run_dir when resuming: the run continues in "
                              f"{self.run_dir.root}")
        requested = config_from_dict({**self.state["config"], **changes}, "option")
        check_bounds(requested, list(changes))
        return self.check(requested)

    def check(self, requested: Config) -> Config:
        """The saved config with `requested`'s length, in this run dir; refuse other changes.
        num_classes is not the user's to set (it comes from the data) and is not compared."""
        for field in dataclasses.fields(Config):
            if field.name in (*RESUMABLE_CHANGES, "run_dir", "num_classes"):
                continue
            if getattr(self.saved, field.name) != getattr(requested, field.name):
                allowed = " and ".join("--" + name.replace("_", "-")
                                       for name in RESUMABLE_CHANGES)
                raise ConfigError(
                    f"cannot change {field.name} when resuming (run has "
                    f"{getattr(self.saved, field.name)!r}, asked "
                    f"{getattr(requested, field.name)!r}); only {allowed} may change")
        return dataclasses.replace(self.saved, run_dir=str(self.run_dir.root),
                                   **{name: getattr(requested, name) for name in RESUMABLE_CHANGES})


class Run:
    """Everything around the training algorithm, for a loop written like the notebook's:

        with Run(config, data, generator, discriminator, opt_g, opt_d) as run:
            for real, labels in run.batches():
                d = discriminator_step(run.nets, opt_d, loss, real, labels)
                g = generator_step(run.nets, opt_g, loss, len(real))
                run.log(d, g)

    Creating it moves the networks to the device and makes the run dir (or, with
    `resume`, restores everything from its last checkpoint); entering it opens the logs.
    `display` is "terminal", "notebook" (the live panel) or "auto" (the panel inside a
    Jupyter kernel). `setup_time_s` is what preparing this session took before the Run
    (k-means clusters, say): the run's time counts it, and the Run's own construction.
    `language` ("en" or "fr") is the language of its messages and of the panel; the
    notebook's three status lines stay as the original printed them.
    """

    def __init__(self, config: Config, data: ImageData, generator: torch.nn.Module,
                 discriminator: torch.nn.Module, opt_g: torch.optim.Optimizer,
                 opt_d: torch.optim.Optimizer, *, resume: str | Path | Resume | None = None,
                 overwrite: bool = False, quiet: bool = False, display: str = "auto",
                 setup_time_s: float = 0.0, language: str = "en"):
        constructed = time.perf_counter()
        check_language(language)
        self.language = language
        if display not in DISPLAYS:
            raise ConfigError(f"display must be one of {', '.join(DISPLAYS)}, got {display!r}")
        if display == "notebook" and not in_notebook():
            raise ConfigError("display='notebook' needs a Jupyter kernel; use 'terminal'")
        point = Resume.load(resume) if isinstance(resume, (str, Path)) else resume
        if point:
            config = point.check(config)
        if config.conditional and data.labels is None:
            raise ConfigError(f"--conditional needs a labelled dataset; {config.dataset} has none")
        if config.clusters and (data.labels is None or data.num_classes > config.clusters):
            raise ConfigError(f"--clusters {config.clusters} trains on the images' clusters: "
                              "data = gankit.cluster_images(data, config.clusters, config.seed)")
        if config.conditional and config.num_classes != data.num_classes:
            raise ConfigError(f"config.num_classes is {config.num_classes} but the data has "
                              f"{data.num_classes} classes; build the models from "
                              "dataclasses.replace(config, num_classes=data.num_classes)")
        self.procs, device_name = distributed.start(config.device)
        self.device = device = pick_device(device_name)
        generator.to(device)
        discriminator.to(device)
        if self.procs.distributed:  # same initial weights everywhere, other noise on each rank
            torch.manual_seed(config.seed + 1_000_003 * (self.procs.rank + 1))
        if config.clusters:  # G(z) draws clusters as often as the data has them
            unwrap(generator).set_shares(data.labels)
        ema = EMA(generator, config.ema_decay) if config.ema_decay else None
        self.opt_g, self.opt_d = opt_g, opt_d
        self.step = 0
        self.best_fid = math.inf
        self.g_loss = torch.zeros((), device=device)  # logged as 0 until the first G step
        if point:
            self.step = restore(point.state, generator, discriminator, opt_g, opt_d, self.procs,
                                ema)
            if ema:
                ema.updates = self.step // config.n_critic  # the G steps taken so far
            self.best_fid = point.state.get("best_fid", math.inf)
            # With n_critic > 1 the last G loss is what the next D-only steps log.
            self.g_loss = point.state.get("g_loss", self.g_loss).to(device)
        if config.eval_every:  # fails early, before any file is written, without a feature network
            reference(config.dataset, config.data_dir)
        # Compiled wrappers train; checkpoints keep the plain modules' state dicts. Under DDP
        # each network is synchronised only in the step that updates it.
        g_fast, d_fast = (torch.compile(m) if config.compile else m
                          for m in (generator, discriminator))
        self.nets = Networks(generator, discriminator, g_fast, d_fast,
                             self.procs.wrap(g_fast, device), self.procs.wrap(d_fast, device), ema)
        self.images = data.images.to(device)
        self.labels = (data.labels.to(device) if config.conditional or config.clusters
                       else None)
        # Conditional grids show the classes in order, a row of 0-9 at a time.
        self.fixed_labels = (torch.arange(config.grid_size, device=device) % config.num_classes
                             if config.conditional else None)
        noise_rng = torch.Generator().manual_seed(config.seed)
        self.fixed_noise = torch.randn(config.grid_size, config.latent_dim,
                                       generator=noise_rng).to(device)
        if config.clusters:  # grids show the clusters in order, as conditional grids do classes
            self.fixed_noise[:, 0] = unwrap(generator).noise_for(
                torch.arange(config.grid_size, device=device) % config.clusters)
        self.per_epoch = num_batches(len(self.images), config.batch_size, self.procs.world_size)
        self.total_steps = config.epochs * self.per_epoch
        if config.max_steps:
            self.total_steps = min(self.total_steps, config.max_steps)
        if point and self.step >= self.total_steps:
            raise ConfigError(f"{point.run_dir.root} is already at step {self.step}, the end of "
                              f"its {self.total_steps} steps; resume with a larger --epochs or "
                              "--max-steps")

        if point:
            self.dir = point.run_dir
        else:
            self.dir = shared_run_dir(config, overwrite, self.procs)
            config = dataclasses.replace(config, run_dir=str(self.dir.root))
        self.config = config
        self.first_step = self.step
        self.guard = DivergenceGuard(device, self.step, self.procs.max)
        self.stop = StopSignal()
        self.started = 0.0
        self.entered = False
        # The run's time before this session, which its checkpoints keep: a resumed run's
        # records and report count the whole run, not only its last session.
        self.time_before = point.state.get("time_s", 0.0) if point else 0.0
        self.eval_before = point.state.get("eval_time_s", 0.0) if point else 0.0
        self.logger = RunLog(self.dir, config, self.per_epoch, self.total_steps, quiet,
                             resume_step=self.step, active=self.procs.is_main, display=display,
                             language=language)
        written = functools.partial(number, language=language)  # counts; steps stay bare
        world = self.procs.world_size
        batching = (say(language, "batch_ranks", size=written(config.batch_size), ranks=world,
                        total=written(config.batch_size * world)) if self.procs.distributed
                    else say(language, "batch", size=written(config.batch_size)))
        self.logger.message(say(language, "resume" if self.step else "start",
                                preset=config.preset, dataset=config.dataset, step=self.step,
                                images=written(len(self.images)), batching=batching,
                                per_epoch=written(self.per_epoch), device=device,
                                run_dir=self.dir.root))
        if point and "time_s" not in point.state:
            self.logger.message(say(language, "no_time"))
        # What this session took before its loop: the caller's (the data, k-means) and
        # this constructor's (device, run dir, the evaluation's classifier).
        self.setup_time = setup_time_s + time.perf_counter() - constructed

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
            raise GankitError("use the run as a context manager: with gankit.Run(...) as run:")
        config = self.config
        while self.step < self.total_steps:
            epoch, first_batch = divmod(self.step, self.per_epoch)
            self.logger.start_epoch(epoch, first_batch)
            for real, labels in iterate_batches(self.images, config.batch_size, config.seed, epoch,
                                                first_batch, self.procs.rank,
                                                self.procs.world_size, self.labels):
                before = self.step
                if config.lr_schedule != "constant":  # a custom loop's own rates stay its own
                    schedule_learning_rate((self.opt_g, self.opt_d), config,
                                           self.step / (config.epochs * self.per_epoch))
                yield real, labels
                if self.step != before + 1:
                    raise GankitError("call run.log(d, g) exactly once for each batch")
                if self.step % self.per_epoch == 0:
                    self.end_epoch(epoch)
                if self.procs.stop_requested(self.stop.signum is not None, self.step,
                                             self.device):
                    self.interrupt()
                if self.step >= self.total_steps:
                    break

    def log(self, d: dict[str, torch.Tensor], g: torch.Tensor | None = None) -> None:
        """Count one training step: `d` is what the D step returned, `g` the G step's loss
        (None on batches without a G step). Prints the notebook's status lines every
        `log_every` batches, and saves grids and checkpoints when they are due."""
        if g is not None:
            self.g_loss = g
        epoch, batch = divmod(self.step, self.per_epoch)
        self.step += 1
        self.guard.update(d["d_loss"], self.g_loss)
        self.logger.advance(self.step)
        config = self.config
        if batch % config.log_every == 0:  # the only host synchronisation in the loop
            self.guard.check()
            outputs = [key for key in d if key != "d_loss"]
            values = torch.stack([d["d_loss"], self.g_loss, *(d[k] for k in outputs)]).tolist()
            self.logger.status(epoch, batch, self.step,
                               dict(zip(["d_loss", "g_loss", *outputs], values, strict=True)))
        if config.sample_every and self.step % config.sample_every == 0:
            self.save_grid()
        if config.checkpoint_every and self.step % config.checkpoint_every == 0:
            self.save(self.dir.last)

    def end_epoch(self, epoch: int) -> None:
        """A full epoch ended: a grid and checkpoints, as the notebook, and FID when due."""
        self.logger.end_epoch()
        self.settle_sampler()
        self.save_grid()
        self.save(self.dir.epoch_checkpoint(epoch), resumable=False)
        config = self.config
        if config.eval_every and (epoch + 1) % config.eval_every == 0:
            started = time.perf_counter()
            fid = evaluate_fid(self.nets.sampler, config) if self.procs.is_main else math.inf
            self.logger.evaluation(self.step, epoch, {"fid": fid, "samples": config.eval_samples},
                                   time.perf_counter() - started)
            if self.procs.any(fid < self.best_fid, self.device):  # rank 0 decides; all save
                self.best_fid = min(fid, self.best_fid)
                self.save(self.dir.best)
        self.save(self.dir.last)
        prune_epoch_checkpoints(self.dir, config.keep_checkpoints)
        self.logger.write_report()

    def interrupt(self) -> None:
        self.settle_sampler()  # last.pt is what sample and evaluate read until a resume ends
        self.save(self.dir.last)
        self.logger.write_report()
        raise Interrupted(self.stop.signum or signal.SIGTERM,
                          say(self.language, "interrupted", step=self.step, path=self.dir.last),
                          self.dir.root, language=self.language,
                          prefix=say(self.language, "prefix"),
                          resume_with=say(self.language, "resume_with"))

    def settle_sampler(self) -> None:
        """Give the EMA generator BatchNorm statistics of its own weights, for the grid,
        evaluation, checkpoint and export that follow; the next G step's update copies
        the live ones back, so training is unchanged. Grids and checkpoints taken within
        an epoch (--sample-every, --checkpoint-every) keep the live ones: 10,000 samples
        each time would cost more than they show."""
        if self.nets.ema:
            recompute_batchnorm(self.nets.ema.model, seed=self.config.seed)

    def save_grid(self) -> None:
        """The fixed noise through the sampler, as samples/step_XXXXXXX.png."""
        self.logger.samples(self.step, to_uint8(generate(self.nets.sampler, self.fixed_noise,
                                                         self.fixed_labels)))

    def save(self, path: Path, resumable: bool = True) -> None:
        """A checkpoint of the run at this step; epoch snapshots (`resumable=False`) skip
        the optimizer and RNG state, a third of the size."""
        self.guard.check()  # a diverged model never replaces a good checkpoint
        nets = self.nets
        state = {"generator": nets.generator.state_dict(),
                 "discriminator": nets.discriminator.state_dict(),
                 "step": self.step, "epoch": self.step // self.per_epoch,
                 "config": self.config.to_dict(), "world_size": self.procs.world_size,
                 "time_s": self.time_before + self.session_time(),
                 "eval_time_s": self.logger.eval_time}
        if nets.ema:
            state["ema"] = nets.ema.model.state_dict()
        if resumable:
            rngs = self.procs.gather(rng_state())  # every rank's, so each resumes its own stream
            state |= {"optimizer_g": self.opt_g.state_dict(),
                      "optimizer_d": self.opt_d.state_dict(),
                      "rng": rngs[0] | ({"ranks": rngs} if self.procs.distributed else {}),
                      "best_fid": self.best_fid, "g_loss": self.g_loss.detach().cpu()}
        if self.procs.is_main:
            save_checkpoint(state, path)

    def session_time(self) -> float:
        """This session's seconds: its setup, and its loop since that began."""
        return self.setup_time + self.loop_time()

    def loop_time(self) -> float:
        """Seconds since this session's loop began (0 before it has)."""
        return time.perf_counter() - self.started if self.entered else 0.0

    def __enter__(self) -> Run:
        self.entered = True
        self.started = time.perf_counter()
        try:
            self.logger.open(self.started - self.time_before - self.setup_time, self.eval_before)
            self.stop.__enter__()
        except BaseException:  # __exit__ will not run: close what opened
            self.logger.close()
            raise
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            if exc_type is None:
                self.finish()
        finally:
            self.stop.__exit__(exc_type, exc, traceback)
            self.logger.close()

    def finish(self) -> None:
        """The loop ended (or left early): last grid and checkpoint, the exported
        generator, the end record and the report."""
        elapsed = self.loop_time()
        if self.step % self.per_epoch:  # stopped mid-epoch by --max-steps or a break
            self.settle_sampler()
            self.save_grid()
            self.save(self.dir.last)
        self.guard.check()
        if self.procs.distributed and not self.procs.in_sync(self.nets.generator,
                                                             self.nets.discriminator):
            raise GankitError("the ranks' weights differ after training; checkpoints hold rank 0's")
        if self.procs.is_main:
            save_generator(self.nets.sampler, self.config, self.dir.generator)
        steps_run = self.step - self.first_step
        # train_time_s and eval_time_s are the whole run's, over all its sessions.
        session = self.setup_time + elapsed
        self.logger.record({"event": "end", "step": self.step,
                            "train_time_s": self.time_before + session,
                            "session_time_s": session, "setup_time_s": self.setup_time,
                            "eval_time_s": self.logger.eval_time,
                            "steps_per_s": steps_run / elapsed if elapsed else 0.0,
                            "device": str(self.device), "world_size": self.procs.world_size})
        self.logger.write_report()
        per_epoch = elapsed / max(steps_run, 1) * self.per_epoch
        self.logger.message(say(self.language, "end", steps=number(steps_run, self.language),
                                seconds=number(elapsed, self.language, 1),
                                per_epoch=number(per_epoch, self.language, 1),
                                run_dir=self.dir.root))


def evaluate_fid(generator: torch.nn.Module, config: Config) -> float:
    """FID of `config.eval_samples` samples against the test split; its own noise seed,
    so evaluating never changes the training's random stream."""
    samples = sample_images(generator, config.eval_samples, seed=config.seed + 1)
    return evaluate(samples, config.dataset, ["fid"], config.data_dir)["fid"]


def restore(checkpoint: dict, generator, discriminator, opt_g, opt_d, procs, ema=None) -> int:
    """Load models, optimizers and this rank's RNG state; return the step to continue from."""
    if checkpoint.get("world_size", 1) != procs.world_size:
        raise ConfigError(f"this run was trained by {checkpoint.get('world_size', 1)} "
                          f"process(es); resume it with the same number, not {procs.world_size}")
    try:
        generator.load_state_dict(checkpoint["generator"])
        discriminator.load_state_dict(checkpoint["discriminator"])
        opt_g.load_state_dict(checkpoint["optimizer_g"])
        opt_d.load_state_dict(checkpoint["optimizer_d"])
        if ema:
            ema.model.load_state_dict(checkpoint["ema"])
        rng = checkpoint["rng"]["ranks"][procs.rank] if procs.distributed else checkpoint["rng"]
        torch.set_rng_state(rng["torch"])
        if "cuda" in rng and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])
    except (KeyError, RuntimeError, ValueError, TypeError) as e:
        reason = str(e).strip().splitlines()[0]
        raise GankitError(f"checkpoint does not match its configuration ({reason})") from None
    return int(checkpoint["step"])


def shared_run_dir(config: Config, overwrite: bool, procs) -> RunDir:
    """Rank 0 makes the run dir; every rank learns its name, or rank 0's refusal."""
    made, refusal = None, None
    if procs.is_main:
        try:
            made = create_run_dir(config.run_dir, config.preset, dataset_slug(config.dataset),
                                  overwrite).root
        except GankitError as e:
            refusal = str(e)
    made, refusal = procs.gather((made and str(made), refusal))[0]
    if refusal:
        raise GankitError(refusal)
    return RunDir(made)


def rng_state() -> dict:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def save_generator(generator: torch.nn.Module, config: Config, path: Path) -> None:
    """The final generator as safetensors, with the config that rebuilds it as metadata.
    Written beside and renamed into place, so a reader never sees half a file."""
    weights = {k: v.detach().cpu().contiguous() for k, v in generator.state_dict().items()}
    with replacing(path) as temporary:
        save_file(weights, str(temporary), metadata={"gankit_config": json.dumps(config.to_dict())})


def prune_epoch_checkpoints(run_dir: RunDir, keep: int) -> None:
    if keep:
        for old in run_dir.epoch_checkpoints()[:-keep]:
            old.unlink()
