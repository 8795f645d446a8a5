"""The training state: what a run needs, beside its networks, to continue exactly where
it stopped: the step, the optimizers, every rank's random streams, the best FID, the
last generator loss and the run's clocks. Like an optimizer, it gives and takes a
state dict; the checkpointer decides where in a checkpoint that goes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import NamedTuple

import torch

from gankit.distributed import Processes
from gankit.ema import EMA


@dataclass
class Clock:
    """The run's seconds: `before` this session (from its checkpoint), this session's
    setup (the data, k-means, the Run's construction) and its loop, once started."""

    before: float = 0.0
    setup: float = 0.0
    started: float | None = None

    def start(self) -> None:
        self.started = time.perf_counter()

    def loop(self) -> float:
        """Seconds since this session's loop began (0 before it has)."""
        return time.perf_counter() - self.started if self.started is not None else 0.0

    def session(self) -> float:
        return self.setup + self.loop()

    def total(self) -> float:
        return self.before + self.session()

    def origin(self) -> float:
        """The perf_counter reading at which the whole run would have begun, had it run
        in this session alone: records' times count from it."""
        return (self.started or time.perf_counter()) - self.before - self.setup


class Restored(NamedTuple):
    """What a resume could not bring back: CUDA random streams of devices this machine
    lacks (`cuda_restored` < `cuda_saved`), and the run's time before it (`time_known`
    is False for checkpoints older than that record)."""

    cuda_restored: int
    cuda_saved: int
    time_known: bool


def saved_step(state: dict) -> int | None:
    """The step a training state dict (or a format-1 checkpoint, which held these entries
    at its top level) was saved at; None when it names none."""
    step = state.get("step")
    return step if isinstance(step, int) else None


def is_resumable(state: dict) -> bool:
    """Whether a saved training state continues exactly: an epoch snapshot's has no
    optimizer states or random streams."""
    return "optimizer_g" in state


def from_format_1(checkpoint: dict) -> dict:
    """The training state a format-1 checkpoint held at its top level, taken out of it, in
    today's shapes: every rank's random streams and G losses as lists."""
    entries = ("step", "time_s", "eval_time_s", "best_fid", "g_loss", "optimizer_g",
               "optimizer_d", "rng")
    state = {key: checkpoint.pop(key) for key in entries if key in checkpoint}
    rng = state.get("rng")
    if isinstance(rng, dict):  # one process's streams, or every rank's under "ranks"
        state["rng"] = rng.get("ranks", [{k: v for k, v in rng.items() if k != "ranks"}])
    if "g_loss" in state:  # rank 0's alone: every rank continues from it
        state["g_loss"] = [state["g_loss"]]
    return state


class TrainingState:
    """Step, optimizers, RNG, best FID, last G loss and clocks of one rank's training."""

    def __init__(self, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
                 procs: Processes, device: torch.device, ema: EMA | None = None,
                 n_critic: int = 1):
        self.opt_g, self.opt_d = opt_g, opt_d
        self.procs, self.device, self.ema, self.n_critic = procs, device, ema, n_critic
        self.step = 0
        self.best_fid = math.inf
        self.g_loss = torch.zeros((), device=device)  # logged as 0 until the first G step
        self.clock = Clock()
        self.eval_time = 0.0  # seconds of evaluation during training, over all sessions
        # Where the learning-rate schedule's current stretch begins: (step, progress). A
        # resume that changes the run's length starts a stretch (see schedule_progress).
        self.schedule_origin: tuple[int, float] = (0, 0.0)

    def state_dict(self, resumable: bool = True) -> dict:
        """The state at this step; without `resumable` (an epoch snapshot) the optimizers
        and random streams are left out, two thirds of a checkpoint's size. Under torchrun
        every rank must call it: it gathers each rank's random streams."""
        state = {"step": self.step, "time_s": self.clock.total(), "eval_time_s": self.eval_time,
                 "best_fid": self.best_fid, "schedule_origin": list(self.schedule_origin)}
        if resumable:
            # Each rank's own last G loss (its shard's), which its D-only steps log next.
            losses, streams = zip(*self.procs.gather((self.g_loss.detach().cpu(),
                                                      random_state(self.device))), strict=True)
            state |= {"optimizer_g": self.opt_g.state_dict(),
                      "optimizer_d": self.opt_d.state_dict(),
                      "g_loss": list(losses), "rng": list(streams)}
        return state

    def load_state_dict(self, state: dict) -> Restored:
        """Continue from `state`; a run saved on GPUs may continue on fewer, or on none."""
        self.step = saved_step(state)
        self.clock.before = state.get("time_s", 0.0)
        self.eval_time = state.get("eval_time_s", 0.0)
        self.best_fid = state.get("best_fid", math.inf)
        start, progress = state.get("schedule_origin", (0, 0.0))
        self.schedule_origin = (int(start), float(progress))
        # With n_critic > 1 the last G loss is what the next D-only steps log.
        losses = state.get("g_loss", [self.g_loss.cpu()])
        self.g_loss = losses[min(self.procs.rank, len(losses) - 1)].to(self.g_loss.device)
        if is_resumable(state):  # an epoch snapshot (resume --fallback) has neither
            self.opt_g.load_state_dict(state["optimizer_g"])  # optimizers nor random streams:
            self.opt_d.load_state_dict(state["optimizer_d"])  # theirs start afresh
        if self.ema:
            self.ema.updates = self.step // self.n_critic  # the G steps taken so far
        restored, saved = (restore_random_state(state["rng"][self.procs.rank])
                           if "rng" in state else (0, 0))
        return Restored(restored, saved, "time_s" in state)


def random_state(device: torch.device) -> dict:
    """The CPU stream, and the CUDA streams when training on CUDA (a CPU run draws from
    none of them)."""
    state = {"torch": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_random_state(state: dict) -> tuple[int, int]:
    """Restore the CPU stream, and the CUDA streams of the devices that exist here (a
    run saved on 4 GPUs may resume on 1, or on none); return (restored, saved)."""
    torch.set_rng_state(state["torch"])
    saved = state.get("cuda", [])
    present = torch.cuda.device_count() if torch.cuda.is_available() else 0
    for index, cuda_state in enumerate(saved[:present]):
        torch.cuda.set_rng_state(cuda_state, index)
    return min(len(saved), present), len(saved)
