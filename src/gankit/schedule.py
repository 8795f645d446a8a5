"""What a run does around its training steps, as data: the events after a step, at an
epoch's end, when the loop stops and when the run ends, each saying when it is due and
what it does. `Run` is the loop's bookkeeping plus `dispatch` of these lists; image runs
and lab runs are two schedules over the same loop (SCHEDULES, keyed by gankit.kinds'
names). The lab's schedule draws frames (gankit.frames) where the images' saves grids
and scores FID.

The rules of the order, stated here once and checked by tests/test_schedule.py:

- Every rank runs every due event, in the same order: the collectives inside them (the
  divergence check, the status line's mean over the ranks, the checkpoints' gathering of
  the ranks' random streams, FID's vote for best.pt, the end's check that the ranks'
  weights agree) pair up across the ranks. Inside an event, only the Checkpointer and the
  RunLog write, and they write on rank 0 alone. A lab frame is drawn on rank 0 after the
  event's collectives; FID is computed on rank 0 before its vote, which the other ranks
  wait in (within the process group's timeout).
- At an epoch's end, last.pt is the last checkpoint written, after the grid, the
  snapshot, FID and best.pt: a crash in that work resumes from the last.pt before it and
  does it again. The report, written from what is on disk, follows.
- A diverged model never replaces a good checkpoint: every event that writes one checks
  the guard first, itself.
- At the run's end, after its last epoch's work (or the work of an epoch cut short), the
  export is written from what last.pt holds, once the ranks are found in sync; the end
  record and the report follow it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from gankit import records, seeds
from gankit.errors import GankitError, phrase
from gankit.frames import Frames, metrics_line
from gankit.images import make_grid, to_uint8
from gankit.language import number, say_count
from gankit.metrics import evaluate
from gankit.models import generate, recompute_batchnorm
from gankit.sample import sample_images

if TYPE_CHECKING:
    from gankit.config import Config
    from gankit.run import Run


@dataclass(frozen=True)
class Event:
    name: str
    due: Callable[[Run], bool]
    act: Callable[[Run], None]


@dataclass(frozen=True)
class Schedule:
    after_step: tuple[Event, ...]  # after every step
    epoch_end: tuple[Event, ...]  # after an epoch's last step
    ended_mid_epoch: tuple[Event, ...]  # the loop ended within an epoch (--max-steps, a break)
    interrupt: tuple[Event, ...]  # on a signal, before the run raises Interrupted
    run_end: tuple[Event, ...]  # the loop ended and its epoch's work is done
    make_frames: Callable[[Config, torch.device], Frames | None]  # a lab run's Frames


def dispatch(run: Run, events: tuple[Event, ...]) -> None:
    for event in events:
        if event.due(run):
            event.act(run)


def always(run: Run) -> bool:
    return True


def every(setting: str) -> Callable[[Run], bool]:
    """Due every `setting` steps (0: never) but at an epoch's last: its end saves its own,
    once the EMA's statistics are settled, and a checkpoint saved before the epoch's end
    work would resume past that work, were it to crash."""
    def due(run: Run) -> bool:
        period = getattr(run.config, setting)
        return bool(period) and run.step % period == 0 and run.step % run.per_epoch != 0
    return due


def status_due(run: Run) -> bool:
    """The notebook's status lines, every log_every batches of an epoch (from its first)."""
    return (run.step - 1) % run.per_epoch % run.config.log_every == 0


def evaluation_due(run: Run) -> bool:
    return bool(run.config.eval_every) and run.step // run.per_epoch % run.config.eval_every == 0


def ended_epoch(run: Run) -> int:
    """The epoch whose end this is (0 for the first)."""
    return run.step // run.per_epoch - 1


def status(run: Run) -> None:
    """The notebook's status lines: the only host synchronisation of an ordinary step."""
    run.guard.check()
    d, state = run.last_d, run.state
    outputs = [key for key in d if key != "d_loss"]
    # Under torchrun each rank saw its own shard: log their mean, not rank 0's.
    values = run.procs.mean(torch.stack([d["d_loss"], state.g_loss,
                                         *(d[k] for k in outputs)])).tolist()
    epoch, batch = divmod(run.step - 1, run.per_epoch)
    run.logger.status(epoch, batch, run.step,
                      dict(zip(["d_loss", "g_loss", *outputs], values, strict=True)),
                      run.timer.lap(run.step))


def settle_sampler(run: Run) -> None:
    """Give the EMA generator BatchNorm statistics of its own weights, for the grid,
    evaluation, checkpoint and export that follow; the next G step's update copies the
    live ones back, so training is unchanged. Grids and checkpoints taken within an epoch
    (--sample-every, --checkpoint-every) keep the live ones: 10,000 samples each time
    would cost more than they show."""
    if run.nets.ema:
        recompute_batchnorm(run.nets.ema.model, seed=run.config.seed)


def grid(run: Run) -> None:
    """The fixed noise through the sampler, as samples/step_XXXXXXX.png."""
    run.logger.samples(run.step, make_grid(to_uint8(
        generate(run.nets.sampler, run.fixed_noise, run.fixed_labels))))


def frame(run: Run) -> None:
    """Measure a lab run (modes covered, high-quality share, JS), log it, and save the
    frame that draws it beside D, G's map and the curves so far, where an image run saves
    a grid."""
    # Measured once a step: --max-steps on a --sample-every step stops where a frame was.
    frames = run.frames
    if frames.drawn_at == run.step:
        return
    frames.drawn_at = run.step
    run.guard.check()  # a diverged model draws nothing but NaN
    if not run.procs.is_main:
        return
    started = time.perf_counter()
    result = frames.measure(run.nets.sampler)
    run.logger.evaluation(run.step, run.step // run.per_epoch, result,
                          time.perf_counter() - started,
                          kind="toy", summary=metrics_line(result, frames.toy, run.language))
    picture = frames.frame(run.nets.sampler, run.nets.discriminator,
                            records.read(run.dir.metrics), run.step, run.language)
    run.logger.samples(run.step, picture, palette=True)
    run.state.eval_time += time.perf_counter() - started  # as FID's: not training


def save_last(run: Run) -> None:
    run.guard.check()
    run.checkpointer.save_last(run.nets, run.state, run.config)


def snapshot(run: Run) -> None:
    run.guard.check()
    run.checkpointer.save_epoch(ended_epoch(run), run.nets, run.state, run.config,
                                run.config.keep_checkpoints)


def fid(run: Run) -> None:
    """FID on rank 0; every rank saves best.pt when it improved (rank 0 decides)."""
    run.guard.check()
    started = time.perf_counter()
    score = evaluate_fid(run.nets.sampler, run.config) if run.procs.is_main else math.inf
    seconds = time.perf_counter() - started
    state = run.state
    state.eval_time += seconds
    run.logger.evaluation(run.step, ended_epoch(run),
                          {"fid": score, "samples": run.config.eval_samples}, seconds)
    if run.procs.any(score < state.best_fid, run.device):
        state.best_fid = min(score, state.best_fid)
        run.checkpointer.save_best(run.nets, state, run.config)


def evaluate_fid(generator: torch.nn.Module, config) -> float:
    """FID of `config.eval_samples` samples against the test split; its own noise seed,
    so evaluating never changes the training's random stream."""
    samples = sample_images(generator, config.eval_samples,
                            seed=seeds.stream_seed("fid_noise", config.seed))
    return evaluate(samples, config.dataset, ["fid"], config.data_dir)["fid"]


def report(run: Run) -> None:
    run.logger.write_report()


def ranks_in_sync(run: Run) -> None:
    if not run.procs.in_sync(run.nets.generator, run.nets.discriminator):
        raise GankitError(phrase("the ranks' weights differ after training; checkpoints hold "
                                 "rank 0's"))


def export(run: Run) -> None:
    """generator.safetensors, from the sampler that last.pt holds."""
    run.guard.check()
    run.checkpointer.export(run.nets.sampler, run.config, run.step)


def end_record(run: Run) -> None:
    """The `end` record in metrics.jsonl, from the session's loop time that Run.finish
    measured (run.elapsed): train_time_s and eval_time_s are the whole run's, over all
    its sessions."""
    clock, steps_run, elapsed = run.state.clock, run.step - run.first_step, run.elapsed
    session = clock.setup + elapsed
    run.logger.record(records.make(
        "end", step=run.step, train_time_s=clock.before + session, session_time_s=session,
        setup_time_s=clock.setup, eval_time_s=run.state.eval_time,
        steps_per_s=steps_run / elapsed if elapsed else 0.0, device=str(run.device),
        world_size=run.procs.world_size))


def end_message(run: Run) -> None:
    steps_run, elapsed, language = run.step - run.first_step, run.elapsed, run.language
    per_epoch = elapsed / max(steps_run, 1) * run.per_epoch
    run.logger.message(say_count(language, "end", steps_run,
                                 steps=number(steps_run, language),
                                 seconds=number(elapsed, language, 1),
                                 per_epoch=number(per_epoch, language, 1),
                                 run_dir=run.dir.root))


def epoch_done(run: Run) -> None:
    run.epoch_ended = run.step
    run.timer.restart(run.step)  # the epoch's end is not a training step's time


def make_schedule(samples: Callable[[Run], None], evaluation: Callable[[Run], None] | None,
                  make_frames: Callable[[Config, torch.device], Frames | None]) -> Schedule:
    """A run's schedule around `samples` (what a run saves to show its G: a grid, a lab
    frame), its `evaluation` at an epoch's end (FID and best.pt, or none) and what makes
    a run's `frames` (`make_frames`: Frames for a lab run)."""
    return Schedule(
        after_step=(
            Event("status", status_due, status),
            Event("samples", every("sample_every"), samples),
            Event("last.pt", every("checkpoint_every"), save_last),
        ),
        epoch_end=(
            Event("progress", always, lambda run: run.logger.end_epoch()),
            Event("guard", always, lambda run: run.guard.check()),
            Event("batchnorm", always, settle_sampler),
            Event("samples", always, samples),
            Event("snapshot", always, snapshot),
            *([Event("evaluation", evaluation_due, evaluation)] if evaluation else []),
            Event("last.pt", always, save_last),
            Event("report", always, report),
            Event("done", always, epoch_done),
        ),
        ended_mid_epoch=(
            Event("batchnorm", always, settle_sampler),
            Event("samples", always, samples),
            Event("last.pt", always, save_last),
        ),
        interrupt=(
            Event("batchnorm", always, settle_sampler),  # last.pt is what sample reads
            Event("last.pt", always, save_last),
            Event("report", always, report),
        ),
        run_end=(
            Event("guard", always, lambda run: run.guard.check()),
            Event("ranks in sync", lambda run: run.procs.distributed, ranks_in_sync),
            Event("export", always, export),
            Event("end record", always, end_record),
            Event("report", always, report),
            Event("end message", always, end_message),
        ),
        make_frames=make_frames,
    )


SCHEDULES = {"images": make_schedule(grid, fid, lambda config, device: None),
             "points": make_schedule(frame, None, Frames)}
