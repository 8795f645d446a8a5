"""The rules of a run's schedule (gankit.schedule), checked on every list of both
schedules with a stand-in run that records what each event does."""

from types import SimpleNamespace

import pytest

from gankit import schedule
from gankit.config import Config
from gankit.guards import Diverged
from gankit.schedule import SCHEDULES, dispatch

# The checkpoints, collectives too (they gather the ranks), and the export.
WRITES = {"save_last", "save_epoch", "save_best", "export"}
COLLECTIVES = {"guard", "mean", "any", "in_sync"} | WRITES  # calls every rank must make alike


def stand_in(journal: list, rank: int, diverged: bool = False, step: int = 10,
             distributed: bool = True):
    """A run at `step` (an epoch's end: 10 batches an epoch) where every event is due
    (under torchrun, unless not `distributed`)."""
    def note(name, value=None):
        def call(*args, **kwargs):
            journal.append(name)
            return value
        return call

    def check():
        journal.append("guard")
        if diverged:
            raise Diverged("diverged")

    return SimpleNamespace(
        config=Config(log_every=1, sample_every=1, checkpoint_every=1, eval_every=1),
        step=step, per_epoch=10, epoch_ended=-1, language="en", device="cpu",
        guard=SimpleNamespace(check=check),
        procs=SimpleNamespace(is_main=rank == 0, mean=note("mean", _Tolist()),
                              any=note("any", True), in_sync=note("in_sync", True),
                              distributed=distributed, world_size=2 if distributed else 1),
        logger=SimpleNamespace(status=note("status"), samples=note("samples"),
                               evaluation=note("evaluation"), end_epoch=note("end_epoch"),
                               write_report=note("write_report"), record=note("record"),
                               message=note("message")),
        checkpointer=SimpleNamespace(save_last=note("save_last"), save_epoch=note("save_epoch"),
                                     save_best=note("save_best"), export=note("export")),
        timer=SimpleNamespace(lap=note("lap", {}), restart=note("restart")),
        state=SimpleNamespace(g_loss=0.0, eval_time=0.0, best_fid=float("inf"),
                              clock=SimpleNamespace(setup=0.0, before=0.0)),
        first_step=0, elapsed=1.0,
        nets=SimpleNamespace(sampler=None, generator=None, discriminator=None, ema=None),
        frames=SimpleNamespace(measure=note("measure", {}), frame=note("frame"), toy=None,
                               drawn_at=-1),
        dir=SimpleNamespace(metrics=None, root="run"), fixed_noise=None, fixed_labels=None,
        last_d={"d_loss": 0.0})


class _Tolist:
    def tolist(self):
        return [0.0, 0.0]


@pytest.fixture(autouse=True)
def no_work(monkeypatch):
    """The events' computations (grids, FID, frames) stand in too: only the calls count."""
    monkeypatch.setattr(schedule, "generate", lambda *args: None)
    monkeypatch.setattr(schedule, "to_uint8", lambda images: None)
    monkeypatch.setattr(schedule, "make_grid", lambda images: None)
    monkeypatch.setattr(schedule, "evaluate_fid", lambda *args: 1.0)
    monkeypatch.setattr(schedule, "metrics_line", lambda *args: "")
    monkeypatch.setattr(schedule.torch, "stack", lambda values: None)
    monkeypatch.setattr(schedule.records, "read", lambda path: [])


EVERY_LIST = [pytest.param(kind, moment, id=f"{kind}-{moment}") for kind in SCHEDULES
              for moment in ("after_step", "epoch_end", "ended_mid_epoch", "interrupt",
                             "run_end")]


@pytest.mark.parametrize(("kind", "moment"), EVERY_LIST)
def test_every_rank_makes_the_same_calls_in_the_same_order(kind, moment):
    """Rank 0 alone draws frames and logs; the collectives (the guard's and the status
    line's all-reduces, the checkpoints' gathering, FID's vote) pair up across the ranks."""
    calls = {}
    for rank in (0, 1):
        journal = []
        step = 10 if moment == "epoch_end" else 5
        dispatch(stand_in(journal, rank, step=step), getattr(SCHEDULES[kind], moment))
        calls[rank] = [name for name in journal if name in COLLECTIVES]
    assert calls[0] == calls[1] and calls[0], calls
    assert "measure" not in journal and "frame" not in journal  # rank 1's


@pytest.mark.parametrize(("kind", "moment"), EVERY_LIST)
def test_a_diverged_model_never_writes_a_checkpoint(kind, moment):
    """Each event on its own, so that no earlier event's check covers for it."""
    step = 10 if moment == "epoch_end" else 5
    for event in getattr(SCHEDULES[kind], moment):
        journal = []
        try:
            dispatch(stand_in(journal, 0, diverged=True, step=step), (event,))
        except Diverged:
            pass
        assert not WRITES & set(journal), (event.name, journal)


@pytest.mark.parametrize("kind", list(SCHEDULES))
def test_at_an_epochs_end_last_pt_is_the_last_checkpoint_written(kind):
    """After it, only what is read back from disk (the report) and the bookkeeping."""
    names = [event.name for event in SCHEDULES[kind].epoch_end]
    last = names.index("last.pt")
    assert {"samples", "snapshot"} <= set(names[:last])
    assert set(names[last + 1:]) <= {"report", "done"}, names
    journal = []
    dispatch(stand_in(journal, 0), SCHEDULES[kind].epoch_end)
    writes = [name for name in journal if name in WRITES]
    assert writes[-1] == "save_last" and writes.count("save_last") == 1, writes


def test_image_runs_evaluate_at_an_epochs_end_and_lab_runs_draw_frames():
    journal = []
    dispatch(stand_in(journal, 0), SCHEDULES["images"].epoch_end)
    assert "save_best" in journal and "measure" not in journal
    journal = []
    dispatch(stand_in(journal, 0), SCHEDULES["points"].epoch_end)
    assert "measure" in journal and "save_best" not in journal


@pytest.mark.parametrize("kind", list(SCHEDULES))
def test_the_run_ends_with_the_export_then_its_records(kind):
    """The loop's last epoch work (last.pt) is done before run_end: the export holds
    last.pt's weights, checked on every rank first; the end record and the report follow."""
    journal = []
    dispatch(stand_in(journal, 0), SCHEDULES[kind].run_end)
    assert journal[:2] == ["guard", "in_sync"]
    writes = [name for name in journal if name in WRITES]
    assert writes == ["export"]
    assert journal.index("export") < journal.index("record") < journal.index("write_report")
    assert journal[-1] == "message"


def test_a_single_process_skips_the_ranks_sync_check():
    journal = []
    dispatch(stand_in(journal, 0, distributed=False), SCHEDULES["images"].run_end)
    assert "in_sync" not in journal and "export" in journal
