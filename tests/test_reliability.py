"""Never lose a run: exact resume, atomic checkpoints, interrupts, divergence, safe loading."""

import dataclasses
import json
import pickle
import signal

import pytest
import torch

from gankit import checkpoint as checkpoint_module
from gankit.checkpoint import Resume, load_checkpoint, save_checkpoint
from gankit.cli import main
from gankit.config import Config
from gankit.errors import GankitError, Interrupted
from gankit.guards import Diverged, StopSignal
from gankit.losses import LOSSES, GanLoss
from gankit.training import train
from tests.conftest import GANKIT, WAIT_S, logged_step, started, wait_until
from tests.conftest import run as run_process


def config_for(tmp_path, data_dir, name, **changes) -> Config:
    # 300 images in batches of 32: 10 batches an epoch, the last one partial (12 images).
    values = dict(data_dir=str(data_dir), run_dir=str(tmp_path / name), batch_size=32,
                  log_every=3, device="cpu", epochs=100)
    return Config(**(values | changes))


def weights(run_dir):
    state = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)
    return (state["generator"] | {f"d.{k}": v for k, v in state["discriminator"].items()}
            | {f"ema.{k}": v for k, v in state.get("ema", {}).items()})


def logged_losses(run_dir):
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [(e["step"], e["d_loss"], e["g_loss"]) for e in map(json.loads, lines) if "d_loss" in e]


RESUMABLE_KINDS = {
    "seed": {},
    "ema": {"ema_decay": 0.9},
    "dcgan": {"arch": "dcgan", "base_width": 8},  # BatchNorm running statistics
    "conditional": {"arch": "dcgan", "base_width": 8, "conditional": True, "ema_decay": 0.9,
                    "aux_classifier": 1.0},
    "wgan-gp": {"loss": "wgan-gp", "n_critic": 5, "ema_decay": 0.9},
    "schedules": {"lr_schedule": "linear", "epochs": 8, "r1": 1.0, "r1_every": 4},
}


@pytest.mark.parametrize("kind", RESUMABLE_KINDS)
@pytest.mark.parametrize("stop_at", [25, 30])  # mid-epoch, and exactly at an epoch boundary
def test_resume_is_bit_identical_to_training_straight_through(tmp_path, tiny_mnist, stop_at,
                                                              kind):
    changes = RESUMABLE_KINDS[kind]
    straight = train(config_for(tmp_path, tiny_mnist, "straight", max_steps=60, **changes),
                     quiet=True)
    first = train(config_for(tmp_path, tiny_mnist, "split", max_steps=stop_at, **changes),
                  quiet=True)
    point = Resume.load(first)
    resumed = train(point.config(max_steps=60), quiet=True, resume=point)
    assert resumed == first
    a, b = weights(straight), weights(resumed)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert logged_losses(straight) == logged_losses(resumed)  # metrics continue, no jump
    state = torch.load(resumed / "checkpoints" / "last.pt", weights_only=True)
    assert state["training"]["step"] == 60


def test_a_resumed_run_counts_the_time_of_all_its_sessions(tmp_path, tiny_mnist):
    first = train(config_for(tmp_path, tiny_mnist, "run", max_steps=40), quiet=True)
    before = load_checkpoint(first / "checkpoints" / "last.pt")["training"]["time_s"]
    point = Resume.load(first)
    run = train(point.config(max_steps=45), quiet=True, resume=point)
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    end = [r for r in records if r.get("event") == "end"][-1]
    assert 0 < before and 0 < end["session_time_s"] < end["train_time_s"]
    assert end["train_time_s"] == pytest.approx(before + end["session_time_s"])
    # last.pt holds the time so far for a further resume.
    assert load_checkpoint(run / "checkpoints" / "last.pt")["training"]["time_s"] > before
    # Status lines and the end record read one clock, which the second session carries on.
    status = {r["step"]: r["time_s"] for r in records if "d_loss" in r}
    assert [step for step in status if step > 40] == [41, 44]
    assert all(status[step] <= before for step in status if step <= 40)
    assert all(before <= status[step] <= end["train_time_s"] for step in status if step > 40)
    report = (run / "report.html").read_text()
    assert f"{end['train_time_s']:.1f} s" in report and "last session (resumed)" in report


def test_resume_refuses_changes_other_than_length(tmp_path, tiny_mnist, capsys):
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=5), quiet=True)
    assert main(["train", "--resume", str(run), "--lr", "0.1", "--max-steps", "10"]) == 2
    err = capsys.readouterr().err
    assert "cannot change lr when resuming" in err and err.count("\n") == 1
    assert main(["train", "--resume", str(run), "--batch-size", "64"]) == 2
    assert "cannot change batch_size" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path / "nope")]) == 2
    assert "no such run dir" in capsys.readouterr().err
    assert weights(run)["net.0.weight"].shape == (256, 100)  # untouched
    assert main(["train", "--resume", str(run), "--max-steps", "8", "--quiet"]) == 0
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["training"]["step"] == 8


def test_a_crash_during_save_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    save_checkpoint({"generator": {}, "discriminator": {}, "step": 1, "epoch": 0,
                     "config": {}}, path)

    def crash_midway(state, f):
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint_module.torch, "save", crash_midway)
    with pytest.raises(OSError):
        save_checkpoint({"step": 2}, path)
    assert load_checkpoint(path)["training"]["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]  # no temporary left behind


def train_cli(*args):
    """`gankit train ARGS`, ended with all it started however the test ends."""
    return started([*GANKIT, "train", *args])


def test_sigkill_then_resume_finishes(tmp_path, tiny_mnist):
    run = tmp_path / "run"
    with train_cli("--data-dir", tiny_mnist, "--run-dir", run, "--batch-size", "32",
                   "--checkpoint-every", "5", "--device", "cpu", "--epochs", "1000",
                   "--log-every", "1") as process:
        # Killed a few steps past its first checkpoint, between two saves.
        wait_until(lambda: logged_step(run) >= 7, process, "step 7 in metrics.jsonl")
        process.kill()
        process.communicate()
    saved = load_checkpoint(run / "checkpoints" / "last.pt")["training"]["step"]
    assert saved >= 5
    finish = run_process([*GANKIT, "train", "--resume", run, "--max-steps", saved + 7])
    assert finish.returncode == 0, finish.stderr
    assert f"resuming at step {saved}" in finish.stdout
    assert load_checkpoint(run / "checkpoints" / "last.pt")["training"]["step"] == saved + 7
    assert (run / "generator.safetensors").is_file()


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143),
                                          (signal.SIGHUP, 129)])
def test_signal_saves_and_exits_with_its_code(tmp_path, tiny_mnist, signum, code):
    run = tmp_path / "run"
    with train_cli("--data-dir", tiny_mnist, "--run-dir", run, "--batch-size", "32",
                   "--device", "cpu", "--epochs", "1000", "--log-every", "1") as process:
        wait_until(lambda: logged_step(run) >= 1, process, "a step in metrics.jsonl")
        process.send_signal(signum)  # 10,000 steps: it is still training
        out, err = process.communicate(timeout=WAIT_S)
    assert process.returncode == code, err
    assert f"Resume with: gankit train --resume {run}" in err
    state = load_checkpoint(run / "checkpoints" / "last.pt")
    assert state["training"]["step"] >= 1


def test_second_signal_takes_the_default_action():
    previous = signal.getsignal(signal.SIGINT)
    with StopSignal() as stop:
        signal.raise_signal(signal.SIGINT)  # its Python handler has run when this returns
        assert stop.signum == signal.SIGINT
        assert signal.getsignal(signal.SIGINT) is signal.SIG_DFL  # a second Ctrl-C kills
    assert signal.getsignal(signal.SIGINT) is previous


def test_divergence_stops_keeps_last_good_checkpoint_and_exits_3(
        tmp_path, tiny_mnist, monkeypatch, capsys):
    calls = {"n": 0}
    real_loss = LOSSES["nonsaturating"]

    def poisoned(real_logits, fake_logits):
        calls["n"] += 1
        value = real_loss.discriminator(real_logits, fake_logits)
        return value * float("nan") if calls["n"] >= 8 else value

    monkeypatch.setitem(LOSSES, "nonsaturating", GanLoss(poisoned, real_loss.generator))
    config = config_for(tmp_path, tiny_mnist, "run", max_steps=20, checkpoint_every=5,
                        log_every=100)
    with pytest.raises(Diverged, match="diverged at step 8: discriminator loss nan"):
        train(config, quiet=True)
    run = tmp_path / "run"
    assert load_checkpoint(run / "checkpoints" / "last.pt")["training"]["step"] == 5
    assert all(torch.isfinite(w).all() for w in weights(run).values())
    assert not (run / "generator.safetensors").exists()

    calls["n"] = 0
    argv = ["train", "--data-dir", str(tiny_mnist), "--run-dir", str(tmp_path / "cli"),
            "--max-steps", "20", "--batch-size", "32", "--quiet"]
    assert main(argv) == 3
    assert "diverged at step 8" in capsys.readouterr().err


def test_overwrite_replaces_only_a_gankit_run(tmp_path, tiny_mnist, capsys):
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=2), quiet=True)
    argv = ["train", "--data-dir", str(tiny_mnist), "--batch-size", "32", "--max-steps", "3",
            "--quiet", "--run-dir"]
    assert main([*argv, str(run)]) == 2
    assert main([*argv, str(run), "--overwrite"]) == 0
    assert load_checkpoint(run / "checkpoints" / "last.pt")["training"]["step"] == 3
    other = tmp_path / "photos"
    other.mkdir()
    (other / "holiday.jpg").write_bytes(b"precious")
    assert main([*argv, str(other), "--overwrite"]) == 2
    assert "not a gankit run dir" in capsys.readouterr().err
    assert (other / "holiday.jpg").read_bytes() == b"precious"


class WritesAFile:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_malicious_checkpoint_runs_no_code(tmp_path, capsys):
    marker = tmp_path / "pwned"
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    with open(run / "checkpoints" / "last.pt", "wb") as f:
        pickle.dump({"generator": WritesAFile(str(marker))}, f)
    with pytest.raises(GankitError, match="not a loadable gankit checkpoint"):
        load_checkpoint(run / "checkpoints" / "last.pt")
    assert main(["train", "--resume", str(run)]) == 2
    assert "not a loadable gankit checkpoint" in capsys.readouterr().err
    assert not marker.exists()


def test_foreign_and_mismatched_checkpoints_are_refused(tmp_path, tiny_mnist, capsys):
    foreign = tmp_path / "foreign.pt"
    torch.save({"model": torch.zeros(3)}, foreign)
    with pytest.raises(GankitError, match="not a gankit checkpoint"):
        load_checkpoint(foreign)

    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=2), quiet=True)
    path = run / "checkpoints" / "last.pt"
    state = torch.load(path, weights_only=True)
    state["config"]["g_hidden"] = [64, 64, 64]  # weights of one architecture, config of another
    save_checkpoint(state, path)
    assert main(["train", "--resume", str(run), "--max-steps", "4"]) == 2
    assert "does not match its configuration" in capsys.readouterr().err


def test_cuda_without_cuda_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # on a GPU machine too
    assert main(["train", "--device", "cuda"]) == 2
    assert "CUDA is not available" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_closed_stdout_does_not_lose_the_run(tmp_path, tiny_mnist):
    # `gankit train | head -1`: printing stops, training finishes and saves.
    run = tmp_path / "run"
    with train_cli("--data-dir", tiny_mnist, "--run-dir", run, "--batch-size", "32",
                   "--device", "cpu", "--max-steps", "40", "--log-every", "1") as process:
        process.stdout.readline()
        process.stdout.close()
        assert process.wait(timeout=WAIT_S) == 0, process.stderr.read()
    assert load_checkpoint(run / "checkpoints" / "last.pt")["training"]["step"] == 40
    assert (run / "generator.safetensors").is_file()


def test_a_signal_on_an_epochs_last_batch_still_ends_the_epoch(tmp_path, tiny_mnist):
    """The epoch's grid and epoch_XXX.pt are written before the run stops, so that a
    resumed run never lacks them."""
    import gankit

    config = config_for(tmp_path, tiny_mnist, "run", max_steps=0, epochs=3)
    data = gankit.load_dataset("mnist", data_dir=config.data_dir)
    torch.manual_seed(config.seed)
    generator, discriminator = gankit.build_models(config, data.image_shape)
    opt_g, opt_d = (gankit.make_optimizer(m, config) for m in (generator, discriminator))
    loss = gankit.get_loss(config.loss)
    with pytest.raises(Interrupted, match="interrupted at step 10"):
        with gankit.Run(config, data, generator, discriminator, opt_g, opt_d, quiet=True) as run:
            for real, _ in run.batches():
                d = gankit.discriminator_step(run.nets, opt_d, loss, real)
                g = gankit.generator_step(run.nets, opt_g, loss, len(real))
                if run.step == 9:  # the tenth and last batch of the first epoch
                    signal.raise_signal(signal.SIGINT)  # in this thread, before it returns
                run.log(d, g)
    checkpoints = tmp_path / "run" / "checkpoints"
    assert (checkpoints / "epoch_000.pt").is_file()
    assert (tmp_path / "run" / "samples" / "step_0000010.png").is_file()
    assert load_checkpoint(checkpoints / "last.pt")["training"]["step"] == 10


def test_pruning_keeps_the_newest_epochs_by_number_and_only_rank_0_prunes(tmp_path):
    from gankit.checkpoint import Checkpointer
    from gankit.distributed import Processes
    from gankit.rundir import RunDir

    run = RunDir(tmp_path)
    run.checkpoints.mkdir()
    for epoch in (8, 998, 999, 1000, 1001):
        run.epoch_checkpoint(epoch).write_bytes(b"")
    # Under torchrun every rank reaches the epoch's end; a second rank deleting the same
    # files would race rank 0 (FileNotFoundError) and leave the others waiting. Rank 1
    # only learns whether rank 0's deletions failed (here: they did not).
    class Rank1(Processes):
        def gather(self, obj):
            return [None, obj]

    Checkpointer(run, Rank1(rank=1, world_size=2)).prune(3)
    assert len(list(run.checkpoints.iterdir())) == 5
    Checkpointer(run, Processes()).prune(3)
    assert sorted(p.name for p in run.checkpoints.iterdir()) == [
        "epoch_1000.pt", "epoch_1001.pt", "epoch_999.pt"]


def test_default_run_keeps_three_epoch_snapshots_and_says_so(tmp_path, tiny_mnist, capsys):
    run = train(config_for(tmp_path, tiny_mnist, "run", epochs=5, max_steps=0,
                           keep_checkpoints=Config().keep_checkpoints), quiet=True)
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "epoch_002.pt", "epoch_003.pt", "epoch_004.pt", "last.pt"]
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "keep the newest N epoch_XXX.pt beside last.pt and best.pt (0: keep all) " \
           "(default: 3)" in " ".join(capsys.readouterr().out.split())


def test_a_crash_while_exporting_leaves_no_half_file_and_sampling_reads_last_pt(
        tmp_path, tiny_mnist, monkeypatch):
    import errno
    import pathlib

    from gankit.errors import StorageError
    from gankit.sample import load_generator

    run = tmp_path / "run"
    write_bytes = pathlib.Path.write_bytes

    def crash_midway(path, data):
        if ".generator.safetensors.tmp" not in path.name:
            return write_bytes(path, data)
        write_bytes(path, bytes(data)[:100])
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pathlib.Path, "write_bytes", crash_midway)
    with pytest.raises(StorageError, match="generator.safetensors: No space left"):
        train(config_for(tmp_path, tiny_mnist, "run", max_steps=3), quiet=True)
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".") and p.name != ".lock"
                  or p.suffix == ".safetensors") == []
    generator, _ = load_generator(run)
    last = load_checkpoint(run / "checkpoints" / "last.pt")
    assert all(torch.equal(v, last["generator"][k]) for k, v in generator.state_dict().items())


def test_sampling_an_interrupted_resume_reads_its_newest_weights(tmp_path, tiny_mnist):
    """A resumed run's export was its first session's: sampling the run dir after the
    resumed session stopped early read those older weights instead of last.pt's."""
    import gankit
    from gankit.sample import load_generator

    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=3), quiet=True)
    assert (run / "generator.safetensors").is_file()
    point = Resume.load(run)
    config = point.config(max_steps=20)
    data = gankit.load_dataset("mnist", data_dir=config.data_dir)
    generator, discriminator = gankit.build_models(config, data.image_shape)
    opt_g, opt_d = (gankit.make_optimizer(m, config) for m in (generator, discriminator))
    loss = gankit.get_loss(config.loss)
    with pytest.raises(Interrupted, match="interrupted at step 7"):
        with gankit.Run(config, data, generator, discriminator, opt_g, opt_d, resume=point,
                        quiet=True) as session:
            for real, _ in session.batches():
                d = gankit.discriminator_step(session.nets, opt_d, loss, real)
                g = gankit.generator_step(session.nets, opt_g, loss, len(real))
                if session.step == 6:
                    signal.raise_signal(signal.SIGINT)  # in this thread, before it returns
                session.log(d, g)
    last = load_checkpoint(run / "checkpoints" / "last.pt")
    assert last["training"]["step"] == 7
    sampled, _ = load_generator(run)
    assert all(torch.equal(v, last["generator"][k]) for k, v in sampled.state_dict().items())


def test_best_checkpoint_is_the_lowest_fid_and_its_fid_survives_a_resume(tmp_path, tiny_mnist):
    config = config_for(tmp_path, tiny_mnist, "run", max_steps=30, eval_every=1,
                        eval_samples=200)
    run = train(config, quiet=True)
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    fids = {r["step"]: r["fid"] for r in records if r.get("event") == "eval"}
    assert sorted(fids) == [10, 20, 30]
    # Each evaluation's time is recorded apart from the training's, for time-to-quality charts.
    evals = [r for r in records if r.get("event") == "eval"]
    assert all(r["eval_s"] > 0 for r in evals)
    assert evals[0]["time_s"] < evals[1]["time_s"] - evals[0]["eval_s"] < evals[2]["time_s"]
    end = [r for r in records if r.get("event") == "end"][-1]
    assert end["eval_time_s"] == pytest.approx(sum(r["eval_s"] for r in evals))
    best_step = min(fids, key=fids.get)
    assert load_checkpoint(run / "checkpoints" / "best.pt")["training"]["step"] == best_step
    last = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert last["training"]["best_fid"] == fids[best_step]

    # A best FID no later evaluation can beat: the resumed run must keep its best.pt.
    last["training"]["best_fid"] = 0.0
    save_checkpoint(last, run / "checkpoints" / "last.pt")
    point = Resume.load(run)
    train(point.config(max_steps=50), quiet=True, resume=point)
    assert load_checkpoint(run / "checkpoints" / "best.pt")["training"]["step"] == best_step
    assert load_checkpoint(run / "checkpoints" / "last.pt")["training"]["best_fid"] == 0.0


def test_a_conditional_run_resumes_from_the_config_it_was_started_with(tmp_path, tiny_mnist):
    """num_classes comes from the data; resuming with the user's own config (where it is
    0) must not count as a change, as the interrupt message advises this call."""
    config = config_for(tmp_path, tiny_mnist, "run", arch="dcgan", base_width=8,
                        conditional=True, max_steps=5)
    run = train(config, quiet=True)
    assert config.num_classes == 0
    train(dataclasses.replace(config, max_steps=8), quiet=True, resume=run)
    assert load_checkpoint(run / "checkpoints" / "last.pt")["training"]["step"] == 8
