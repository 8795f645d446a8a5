"""Nothing lost, whatever happens to the machine (issue #23).

Each test below reproduces one way gankit once lost data, answered with a traceback or
gave a silently wrong result: two writers on one run, a full or read-only disk, signals
at start-up and mid-run, kill -9 at random moments, bit flips in checkpoints and exports,
stray files, bad metrics.jsonl lines and bad paths. The random trials run a fixed number
of times, seeded, in `make test`; `make fuzz` sets GANKIT_FAULT_TRIALS to run more.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import torch

from gankit.checkpoint import Corrupt, load_checkpoint, read_export
from gankit.cli import main
from gankit.config import Config
from gankit.errors import GankitError
from gankit.training import train
from tests.conftest import (
    GANKIT,
    WAIT_S,
    _descendants,
    logged_step,
    run,
    started,
    wait_until,
)

TRIALS = int(os.environ.get("GANKIT_FAULT_TRIALS", "1"))
# A small network, so that a checkpoint is a few hundred kilobytes and a tmpfs of a few
# megabytes holds a run with room to fill.
SMALL = ["--g-hidden", "16", "16", "16", "--d-hidden", "16", "16", "16"]


def config_for(tmp_path, data_dir, name, **changes) -> Config:
    values = dict(data_dir=str(data_dir), run_dir=str(tmp_path / name), batch_size=32,
                  log_every=3, device="cpu", epochs=100, g_hidden=[16, 16, 16],
                  d_hidden=[16, 16, 16])
    return Config(**(values | changes))


def gankit(*args, **kwargs) -> subprocess.CompletedProcess:
    return run([*GANKIT, *args], **kwargs)


def start(*args, **kwargs):
    """`gankit ARGS` as a context manager: ended with all it started however the test ends."""
    return started([*GANKIT, *args], **kwargs)


def train_args(data_dir, run, *more):
    return ["train", "--data-dir", str(data_dir), "--run-dir", str(run), "--batch-size", "32",
            "--device", "cpu", *SMALL, *map(str, more)]


def one_line(err: str) -> str:
    """The whole of stderr, which must be one line of gankit's and no traceback."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("gankit: "), err
    return lines[0]


def loading_torch(process) -> bool:
    """Whether torch's library is mapped in `process`: it is loading what its command
    needs (gankit's CLI loads no torch before)."""
    with contextlib.suppress(OSError):
        return "libtorch" in Path(f"/proc/{process.pid}/maps").read_text()
    return False


def step_of(run: Path) -> int:
    return load_checkpoint(run / "checkpoints" / "last.pt")["training"]["step"]


def no_debris(run: Path) -> None:
    """No temporary and no empty file anywhere in the run dir."""
    for path in run.rglob("*"):
        if path.is_file():
            assert ".tmp" not in path.name, path
            assert path.stat().st_size > 0 or path.name == ".lock", path


@contextlib.contextmanager
def small_disk(path: Path, size: str):
    """A real tmpfs of `size` at `path`; the test is skipped where mounting is not
    allowed (it needs root, as CI has)."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill `disk` but for `leave` bytes with a ballast file, which the test removes to
    free the space again."""
    ballast = disk / "ballast"
    free = shutil.disk_usage(disk).free - leave
    with open(ballast, "wb") as f:
        with contextlib.suppress(OSError):
            f.write(b"\0" * max(free, 0))
    return ballast


def read_only(disk: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)


# 1. One writer per run dir ------------------------------------------------------------

def test_a_second_writer_is_refused_while_readers_go_on(tmp_path, tiny_mnist, capsys):
    run = tmp_path / "run"
    with start(*train_args(tiny_mnist, run, "--epochs", "1000",
                           "--checkpoint-every", "5")) as trainer:
        wait_until(lambda: (run / "checkpoints" / "last.pt").exists(), trainer, "last.pt")
        assert main(["train", "--resume", str(run), "--max-steps", "100000"]) == 2
        assert f"in use by process {trainer.pid}" in one_line(capsys.readouterr().err)
        argv = train_args(tiny_mnist, run, "--max-steps", "2", "--quiet")
        assert main([*argv, "--overwrite"]) == 2
        assert "in use by process" in one_line(capsys.readouterr().err)
        assert trainer.poll() is None  # the overwrite deleted nothing under its feet
        assert main(["runs", str(tmp_path)]) == 0  # readers never wait for the lock
        assert main(["report", str(run)]) == 0
    # A killed holder leaves no stale lock.
    assert main(["train", "--resume", str(run), "--max-steps", str(step_of(run) + 2),
                 "--quiet"]) == 0


def test_concurrent_resumes_train_one_at_a_time(tmp_path, tiny_mnist):
    run = tmp_path / "run"
    train(config_for(tmp_path, tiny_mnist, "run", max_steps=10), quiet=True)
    with contextlib.ExitStack() as stack:
        resumes = [stack.enter_context(start("train", "--resume", run, "--max-steps", steps))
                   for steps in (200, 100)]
        outcomes = [(p.communicate(timeout=WAIT_S)[1], p.returncode) for p in resumes]
    codes = sorted(code for _, code in outcomes)
    assert codes[0] == 0 and codes[1] in (0, 2), outcomes
    print(f"concurrent resumes: exit codes {codes}")
    for err, code in outcomes:
        if code == 2:
            assert "in use by process" in err or "already at step" in err, err
    # Whichever ran, the run is whole: one run's records, in order, to its last.pt.
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in logged if r.get("event") == "step"]
    assert steps == sorted(set(steps)), "two writers interleaved their records"
    ends = [r["step"] for r in logged if r.get("event") == "end"]
    assert ends[-1] == step_of(run) == max(r["step"] for r in logged)
    assert step_of(run) == (200 if codes == [0, 0] else
                            next(s for s, (_, c) in zip((200, 100), outcomes, strict=True)
                                 if c == 0))


def test_a_folder_that_is_not_only_a_gankit_run_is_never_emptied(tmp_path, tiny_mnist,
                                                                  capsys):
    thesis = tmp_path / "thesis"
    (thesis / "src").mkdir(parents=True)
    (thesis / "config.toml").write_text('name = "thesis"\n')  # another tool's
    (thesis / "src" / "thesis.tex").write_text("precious")
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=3), quiet=True)
    (run / "notes.txt").write_text("precious")
    argv = train_args(tiny_mnist, thesis, "--max-steps", "3", "--quiet")
    assert main(argv) == 2
    assert "not a gankit run dir" in one_line(capsys.readouterr().err)
    argv = train_args(tiny_mnist, run, "--max-steps", "3", "--quiet", "--overwrite")
    assert main(argv) == 2
    assert "files gankit did not write (notes.txt)" in one_line(capsys.readouterr().err)
    assert (thesis / "src" / "thesis.tex").read_text() == (run / "notes.txt").read_text()
    assert not (thesis / ".lock").exists()


def test_nohup_keeps_a_training_alive_past_a_hangup(tmp_path, tiny_mnist):
    run = tmp_path / "run"
    # As `nohup gankit train ...` starts it: SIGHUP ignored.
    with start(*train_args(tiny_mnist, run, "--max-steps", "60", "--log-every", "1"),
               preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN)) as process:
        process.send_signal(signal.SIGHUP)  # exec'd, Python starting: before gankit runs
        wait_until(lambda: logged_step(run) >= 1, process, "a step in metrics.jsonl")
        process.send_signal(signal.SIGHUP)  # while it trains
        _, err = process.communicate(timeout=WAIT_S)
    assert process.returncode == 0, err
    assert step_of(run) == 60


def test_a_file_system_without_locks_trains_with_a_warning(tmp_path, tiny_mnist, monkeypatch,
                                                           capsys):
    import errno
    import fcntl

    def unsupported(descriptor, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", unsupported)
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=3), quiet=True)
    assert step_of(run) == 3
    assert "cannot lock it (No locks available)" in one_line(capsys.readouterr().err)


# 2. config.toml is never left half-written ------------------------------------------------

def test_a_run_dir_name_that_is_not_utf8_is_refused_and_its_config_kept(
        tmp_path, tiny_mnist, capsys):
    made = train(config_for(tmp_path, tiny_mnist, "run", max_steps=3), quiet=True)
    run = Path(os.fsdecode(bytes(tmp_path) + b"/run\xff"))
    made.rename(run)
    config = (run / "config.toml").read_bytes()
    assert main(["train", "--resume", str(run), "--max-steps", "6"]) == 2
    assert "not UTF-8 text" in one_line(capsys.readouterr().err)
    assert (run / "config.toml").read_bytes() == config

    pictures = Path(os.fsdecode(bytes(tmp_path) + b"/pictures\xff"))
    pictures.mkdir()
    argv = ["train", "--dataset", f"folder:{pictures}", "--run-dir", str(tmp_path / "new"),
            "--max-steps", "1", "--quiet"]
    assert main(argv) == 2
    assert "not UTF-8 text" in one_line(capsys.readouterr().err)
    assert not (tmp_path / "new").exists()


# 3. and 6. A full disk, a read-only one ------------------------------------------------------

def test_a_full_disk_stops_training_with_one_line_and_the_run_resumes(tmp_path, tiny_mnist):
    with small_disk(tmp_path / "disk", "32m") as disk:
        # A first run fills the disk before its first checkpoint: once there is room, the
        # same command names what the run left (its records), and --overwrite starts again.
        first = train_args(tiny_mnist, disk / "first", "--max-steps", "8", "--sample-every", "1")
        ballast = fill(disk, leave=20_000)
        result = gankit(*first)
        assert result.returncode == 1, result.stderr
        assert "No space left on device" in one_line(result.stderr)
        no_debris(disk / "first")
        ballast.unlink()
        result = gankit(*first)
        if result.returncode == 2:
            assert "--overwrite replaces it" in one_line(result.stderr)
            result = gankit(*first, "--overwrite")
        assert result.returncode == 0, result.stderr
        # A resumed run fills it midway: last.pt, config.toml and the grids stay whole.
        run = disk / "first"
        config = (run / "config.toml").read_bytes()
        ballast = fill(disk, leave=150_000)
        result = gankit("train", "--resume", run, "--max-steps", "60", "--sample-every", "1",
                        "--checkpoint-every", "4")
        assert result.returncode == 1, result.stderr
        assert "No space left on device" in one_line(result.stderr)
        no_debris(run)
        assert step_of(run) >= 8
        written = tomllib.loads((run / "config.toml").read_text())  # whole: old or new
        assert written == tomllib.loads(config.decode()) | {"max_steps": 60,
                                                             "checkpoint_every": 4}
        ballast.unlink()
        assert gankit("report", run).returncode == 0
        result = gankit("train", "--resume", run, "--max-steps", "60", "--sample-every", "0")
        assert result.returncode == 0, result.stderr
        assert step_of(run) == 60


def test_sampling_to_a_full_disk_leaves_nothing_and_a_retry_works(tmp_path, tiny_mnist,
                                                                   monkeypatch, capsys):
    """What cannot fit is refused from an estimate before anything is drawn; a disk that
    fills up anyway (the estimate fooled here) stops the write with nothing left."""
    from gankit import sample as sampling

    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=3), quiet=True)
    with small_disk(tmp_path / "disk", "1m") as disk:
        ballast = fill(disk, leave=2000)
        for out in (disk / "grid.png", disk / "samples.npz", disk / "pngs"):
            result = gankit("sample", run, "--n", "500", "--out", out)
            assert result.returncode == 2, result.stderr
            assert "more than the" in one_line(result.stderr)
            assert not out.exists()
            with monkeypatch.context() as patch:
                patch.setattr(sampling, "free_disk", lambda folder: 10**9)
                assert main(["sample", str(run), "--n", "500", "--out", str(out)]) == 1
            assert "No space left on device" in one_line(capsys.readouterr().err)
            assert not out.exists()
        assert [p.name for p in disk.iterdir()] == ["ballast"]
        ballast.unlink()
        result = gankit("sample", run, "--n", "500", "--out", disk / "grid.png")
        assert result.returncode == 0, result.stderr


def test_evaluate_prints_its_result_on_a_read_only_run(tmp_path, tiny_mnist):
    with small_disk(tmp_path / "disk", "8m") as disk:
        run = train(config_for(disk, tiny_mnist, "run", max_steps=3), quiet=True)
        read_only(disk)
        result = gankit("evaluate", run, "--n", "500", "--metrics", "fid", "--data-dir",
                        tiny_mnist, "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["samples"] == 500
        assert "not recorded" in one_line(result.stderr)
        for command in (("report", run), ("train", "--resume", run, "--max-steps", "6")):
            result = gankit(*command)
            assert result.returncode == 1, result.stderr
            assert "Read-only file system" in one_line(result.stderr)
        assert gankit("runs", disk).returncode == 0


# 4. and 12. Signals ---------------------------------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_while_starting_leaves_a_run_the_same_command_starts(tmp_path, tiny_mnist,
                                                                       signum):
    """The signal lands as the run dir appears (the Run is being made), then at random
    moments of the start-up. While gankit imports its libraries the signal ends it at
    once, silently (nothing is written yet); after, in one line with the signal's exit
    code. Either way no half-made run is left: a plain rerun works.

    The random moments are counted from the run's own marks, not from its start, so
    that a slow machine moves them no earlier: each trial after the first waits for the
    next mark in turn (the three signals' first ones cover all three), then a random
    time: torch being loaded (gankit's command has begun; the interpreter's own start-up
    is no part of this test), the run dir made, the first step logged. A run that ends
    first is fine."""
    rng = random.Random(signum)
    for trial in range(1 + TRIALS):
        run = tmp_path / f"run{trial}"
        argv = train_args(tiny_mnist, run, "--max-steps", "3", "--quiet")
        with start(*argv) as process:
            mark = "the run dir" if trial == 0 else list(START_MARKS)[(trial + signum) % 3]
            wait_until(functools.partial(passed, mark, process, run), what=mark)
            if trial:
                time.sleep(rng.uniform(0.0, 1.0))
            process.send_signal(signum)
            _, err = process.communicate(timeout=WAIT_S)
        finished = (run / "generator.safetensors").exists()
        if process.returncode == -signum:  # still importing, or exiting once finished
            assert not err and (finished or trial and not run.exists()), err
        elif process.returncode:
            assert process.returncode == 128 + signum, err
            line = one_line(err)
            assert "stopped by" in line or "interrupted at step" in line, line
        if finished:
            continue
        if (run / "checkpoints" / "last.pt").exists():
            result = gankit("train", "--resume", run, "--max-steps", "3")
        else:
            result = gankit(*argv)
        assert result.returncode == 0, result.stderr


START_MARKS = {"torch loading": lambda process, run: loading_torch(process),
               "the run dir": lambda process, run: run.exists(),
               "a step logged": lambda process, run: logged_step(run) >= 1}


def passed(mark: str, process, run: Path) -> bool:
    """Whether a starting `gankit train` has reached `mark` of START_MARKS, or ended."""
    return process.poll() is not None or START_MARKS[mark](process, run)


def test_kill_9_at_random_moments_then_resume_finishes(tmp_path, tiny_mnist):
    rng = random.Random(9)
    outcomes = {"resumed": 0, "restarted": 0}
    for trial in range(3 * TRIALS):
        run = tmp_path / f"run{trial}"
        argv = train_args(tiny_mnist, run, "--max-steps", "40", "--checkpoint-every", "3",
                          "--sample-every", "2", "--quiet")
        with start(*argv) as process:  # killed at a random moment of its training
            wait_until(functools.partial(logged_step, run), process, "a step logged")
            time.sleep(rng.uniform(0.0, 4.0))  # 40 steps take about 4 s on 2 idle cores
            process.kill()
            process.communicate()
        if (run / "checkpoints" / "last.pt").exists():
            result = gankit("train", "--resume", run, "--max-steps", "40")
            assert result.returncode in (0, 2), result.stderr  # 2: it had already finished
            outcomes["resumed"] += 1
        else:  # its grids and records are a run's output: only --overwrite replaces them
            result = gankit(*argv, "--overwrite")
            assert result.returncode == 0, result.stderr
            outcomes["restarted"] += 1
        assert step_of(run) == 40
        no_debris(run)
        assert gankit("report", run).returncode == 0
        assert gankit("sample", run, "--out", tmp_path / f"grid{trial}.png").returncode == 0
    print(f"kill -9 trials: {3 * TRIALS} survived ({outcomes['resumed']} resumed, "
          f"{outcomes['restarted']} started again, having no checkpoint yet)")


def test_temporaries_of_killed_processes_are_removed_at_the_next_start(tmp_path, tiny_mnist):
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=3), quiet=True)
    dead, alive = 2**22 + 1, os.getpid()  # above Linux's largest pid: never running
    stale = run / "checkpoints" / f".last.pt.tmp{dead}"
    theirs = run / "samples" / f".step_0000003.png.tmp{alive}"
    stale.write_bytes(b"half a checkpoint")
    theirs.write_bytes(b"being written")
    train(config_for(tmp_path, tiny_mnist, "run", max_steps=6), quiet=True, resume=run)
    assert not stale.exists()
    assert theirs.exists()  # a live process's own


# 5. and 7. Reading is tolerant ------------------------------------------------------------

def test_bad_metrics_lines_never_block_resume_runs_or_report(tmp_path, tiny_mnist, capsys):
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=6), quiet=True)
    good = (run / "metrics.jsonl").read_bytes()
    bad = [b"\xff\xfe not text\n", b"[1, 2]\n",
           b'{"event": "step", "step": 7, "epoch": 0, "batch": 7, "d_loss": "x", '
           b'"g_loss": 1.0}\n', b'{"step": 3, "d_loss": null, "g_loss": 2}\n']
    (run / "metrics.jsonl").write_bytes(good + b"".join(bad))
    assert main(["runs", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "skipped 4 line(s)" in one_line(captured.err)
    assert main(["report", str(run)]) == 0
    assert main(["train", "--resume", str(run), "--max-steps", "9", "--quiet"]) == 0
    assert "Traceback" not in capsys.readouterr().err
    assert step_of(run) == 9


def test_an_evaluation_appended_after_half_a_line_is_kept(tmp_path, tiny_mnist):
    from gankit import records

    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=3), quiet=True)
    with open(run / "metrics.jsonl", "ab") as f:
        f.write(b'{"event": "step", "step": 4, "epo')  # a crash mid-line
    assert main(["evaluate", str(run), "--n", "500", "--metrics", "fid", "--data-dir",
                 str(tiny_mnist)]) == 0
    evaluated = records.of_kind(records.read(run / "metrics.jsonl", quiet=True), "evaluate")
    assert len(evaluated) == 1 and evaluated[0]["samples"] == 500


def test_runs_lists_a_run_it_cannot_read_beside_the_others(tmp_path, tiny_mnist, capsys):
    train(config_for(tmp_path, tiny_mnist, "good", max_steps=3), quiet=True)
    broken = train(config_for(tmp_path, tiny_mnist, "broken", max_steps=3), quiet=True)
    (broken / "config.toml").write_bytes(b"preset = \xff[[")
    assert main(["runs", str(tmp_path)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert any(line.startswith("good ") and " 3 " in line for line in table), table
    assert any(line.startswith("broken ") and "corrupt" in line for line in table), table
    assert main(["report", str(broken)]) == 2
    assert "config.toml is corrupt" in one_line(capsys.readouterr().err)


# 8. and 9. Paths ------------------------------------------------------------------------------

def test_bad_paths_get_one_line(tmp_path, tiny_mnist, capsys):
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=3), quiet=True)
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a checkpoint\n")
    commands = [["train", "--resume", str(loop)], ["train", "--resume", str(dangling)],
                ["report", str(loop)], ["report", str(dangling)],
                ["sample", str(loop), "--out", str(tmp_path / "a.png")],
                ["sample", str(a_file), "--out", str(tmp_path / "b.png")],
                ["sample", str(run), "--out", str(a_file / "c.png")],
                ["evaluate", str(dangling)], ["runs", str(loop)],
                [*train_args(tiny_mnist, a_file / "run", "--max-steps", "1")],
                [*train_args(tiny_mnist, loop / "run", "--max-steps", "1")]]
    for argv in commands:
        assert main(argv) in (1, 2), argv
        one_line(capsys.readouterr().err)
    assert not (tmp_path / "a.png").exists() and not (tmp_path / "b.png").exists()


def test_a_report_elsewhere_writes_nothing_in_the_run_dir(tmp_path, tiny_mnist):
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=3), quiet=True)
    (run / "samples" / "evolution.gif").unlink()
    before = sorted(p.relative_to(run) for p in run.rglob("*"))
    assert main(["report", str(run), "--out", str(tmp_path / "elsewhere.html")]) == 0
    assert sorted(p.relative_to(run) for p in run.rglob("*")) == before
    assert "image/gif" in (tmp_path / "elsewhere.html").read_text()


# 10. Stray files --------------------------------------------------------------------------------

def test_stray_copies_in_checkpoints_and_samples_are_left_alone(tmp_path, tiny_mnist):
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=3, sample_every=1,
                           keep_checkpoints=1), quiet=True)
    strays = [run / "checkpoints" / "epoch_001 copy.pt", run / "samples" / "step_0000002 (1).png",
              run / "samples" / "step_0000003.png~"]
    for stray in strays:
        stray.write_bytes(b"the user's")
    (run / "samples" / "step_0000001.png").write_bytes(b"")  # a grid a full disk cut off
    train(config_for(tmp_path, tiny_mnist, "run", max_steps=25, keep_checkpoints=1), quiet=True,
          resume=run)
    assert main(["report", str(run)]) == 0
    assert all(stray.read_bytes() == b"the user's" for stray in strays)
    # 10 steps an epoch: of epoch_000.pt and epoch_001.pt, --keep-checkpoints 1 kept one.
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "epoch_001 copy.pt", "epoch_001.pt", "last.pt"]


# 13. Checksums: every bit flip detected or harmless ------------------------------------------

def flip(data: bytes, rng: random.Random) -> tuple[bytes, int]:
    position = rng.randrange(len(data))
    changed = bytearray(data)
    changed[position] ^= 1 << rng.randrange(8)
    return bytes(changed), position


def same_contents(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return (isinstance(b, dict) and a.keys() == b.keys()
                and all(same_contents(a[k], b[k]) for k in a))
    if isinstance(a, (list, tuple)):
        return (type(a) is type(b) and len(a) == len(b)
                and all(same_contents(x, y) for x, y in zip(a, b, strict=True)))
    return a == b or (a != a and b != b)  # NaN equals NaN here


def test_every_bit_flip_in_a_checkpoint_or_export_is_detected_or_harmless(tmp_path, tiny_mnist):
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=3), quiet=True)
    rng = random.Random(13)
    tally = {}
    for path, load in ((run / "checkpoints" / "last.pt", load_checkpoint),
                       (run / "generator.safetensors", read_export)):
        original, data = load(path), path.read_bytes()
        copy = tmp_path / path.name
        detected = harmless = 0
        for _ in range(150 * TRIALS):
            changed, position = flip(data, rng)
            copy.write_bytes(changed)
            try:
                loaded = load(copy)
            except GankitError:
                detected += 1
                continue
            assert same_contents(loaded[0] if isinstance(loaded, tuple) else loaded,
                                 original[0] if isinstance(original, tuple) else original), (
                f"{path.name}: a flip at byte {position} changed what loads, undetected")
            harmless += 1
        tally[path.name] = (detected, harmless)
    print("bit flips: " + "; ".join(f"{name}: {detected} detected, {harmless} harmless of "
                                    f"{detected + harmless}"
                                    for name, (detected, harmless) in tally.items()))


def test_a_corrupt_last_checkpoint_names_the_newest_intact_snapshot(tmp_path, tiny_mnist,
                                                                    capsys):
    # 300 images in batches of 32: 10 steps an epoch.
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=25), quiet=True)
    last = run / "checkpoints" / "last.pt"
    data = bytearray(last.read_bytes())
    data[len(data) // 2] ^= 0x10  # inside the tensors
    last.write_bytes(bytes(data))
    with pytest.raises(Corrupt, match="checksum"):
        load_checkpoint(last)
    assert main(["train", "--resume", str(run), "--max-steps", "30"]) == 2
    line = one_line(capsys.readouterr().err)
    assert "last.pt is corrupt" in line and "epoch_001.pt (step 20)" in line
    assert f"gankit train --resume {run} --fallback" in line
    assert main(["train", "--resume", str(run), "--max-steps", "30", "--fallback"]) == 0
    out = capsys.readouterr().out
    assert "resuming from" in out and "epoch_001.pt (step 20)" in out
    assert step_of(run) == 30
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in logged if r.get("event") == "step"]
    assert steps == sorted(set(steps))  # what followed step 20 was forgotten, then redone


# 14. The export and last.pt agree -------------------------------------------------------------

def test_an_export_older_than_last_pt_is_not_sampled_and_resume_rewrites_it(
        tmp_path, tiny_mnist, capsys):
    from gankit.checkpoint import export_step
    from gankit.sample import load_generator

    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=4), quiet=True)
    older = (run / "generator.safetensors").read_bytes()
    train(config_for(tmp_path, tiny_mnist, "run", max_steps=8), quiet=True, resume=run)
    (run / "generator.safetensors").write_bytes(older)  # as if the last export never happened
    generator, _ = load_generator(run)
    assert "is from step 4, older than" in one_line(capsys.readouterr().err)
    last = load_checkpoint(run / "checkpoints" / "last.pt")
    assert all(torch.equal(v, last["generator"][k]) for k, v in generator.state_dict().items())
    before = (run / "metrics.jsonl").read_bytes()
    assert main(["train", "--resume", str(run), "--max-steps", "8"]) == 0
    out = capsys.readouterr().out
    assert "had already trained its 8 steps; its generator.safetensors, missing or older" in out
    assert export_step(run / "generator.safetensors") == 8
    assert (run / "metrics.jsonl").read_bytes() == before  # no session was run
    # Nothing is missing now: the same command is refused, and writes nothing.
    exported = (run / "generator.safetensors").stat().st_mtime_ns
    assert main(["train", "--resume", str(run), "--max-steps", "8"]) == 2
    assert "already at step 8, the end of its 8 steps;" in one_line(capsys.readouterr().err)
    assert (run / "generator.safetensors").stat().st_mtime_ns == exported


# 15. A run's outputs are never replaced without --overwrite; --overwrite keeps the user's ----

def test_a_finished_run_without_last_pt_is_not_replaced_by_the_same_command(
        tmp_path, tiny_mnist, capsys):
    argv = train_args(tiny_mnist, tmp_path / "run", "--max-steps", "4", "--sample-every", "2",
                      "--quiet")
    assert main(argv) == 0
    run = tmp_path / "run"
    (run / "checkpoints" / "last.pt").unlink()  # to save space, keeping the export
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file() and p.name != ".lock"}
    assert main(argv) == 2
    line = one_line(capsys.readouterr().err)
    assert "already holds a run with no checkpoints/last.pt" in line, line
    assert "generator.safetensors" in line and "--overwrite" in line, line
    after = {p: p.read_bytes() for p in run.rglob("*") if p.is_file() and p.name != ".lock"}
    assert after == before


def test_a_run_killed_before_its_first_checkpoint_is_not_replaced_silently(
        tmp_path, tiny_mnist, capsys):
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=3), quiet=True)
    for path in [*(run / "checkpoints").iterdir(), run / "generator.safetensors",
                 run / "report.html"]:
        path.unlink()  # what kill -9 leaves before the first checkpoint: records and grids
    argv = train_args(tiny_mnist, run, "--max-steps", "3", "--quiet")
    assert main(argv) == 2
    assert "metrics.jsonl" in one_line(capsys.readouterr().err)
    assert main([*argv, "--overwrite"]) == 0


def test_overwrite_removes_only_what_gankit_named_at_any_depth(tmp_path, tiny_mnist, capsys):
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=6, sample_every=2,
                           keep_checkpoints=0), quiet=True)
    mine = {run / "checkpoints" / "last copy.pt": b"a copy", run / "samples" / "favourite.png":
            b"a grid I liked", run / "samples" / "kept" / "step_0000002.png": b"in my folder",
            run / "tb" / "notes.txt": b"what I saw"}
    for path, data in mine.items():
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
    old_grids = {p.name for p in (run / "samples").glob("step_*.png")}
    assert "step_0000006.png" in old_grids
    argv = train_args(tiny_mnist, run, "--max-steps", "2", "--quiet", "--overwrite")
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "kept 4 file(s) gankit did not write" in err and "last copy.pt" in err, err
    assert all(path.read_bytes() == data for path, data in mine.items())
    assert {p.name for p in (run / "samples").glob("step_*.png")} == {"step_0000002.png"}
    assert step_of(run) == 2
    assert len(list((run / "tb").glob("events.out.tfevents.*"))) == 1


# 16. Every byte outside a checkpoint's tensors, flipped: refused as corrupt, or harmless ------

def outside_the_tensors(data: bytes) -> list[int]:
    """The offsets of a torch.save file's structure: the zip's headers and directory, the
    pickle, the version and byte order records; all but the tensors' raw bytes (which the
    checksum covers, value by value, as test 13 shows)."""
    import io
    import struct
    import zipfile

    raw = []
    for info in zipfile.ZipFile(io.BytesIO(data)).infolist():
        if "/data/" in info.filename:
            name, extra = struct.unpack("<HH", data[info.header_offset + 26:
                                                   info.header_offset + 30])
            start = info.header_offset + 30 + name + extra
            raw.append(range(start, start + info.compress_size))
    inside = set().union(*raw)
    return [i for i in range(len(data)) if i not in inside]


def test_every_byte_of_a_checkpoints_structure_flipped_is_refused_or_harmless(
        tmp_path, tiny_mnist):
    """The zip and pickle of last.pt, and the export's header (its length and its JSON:
    names, dtypes, shapes, offsets, the metadata with the config and checksum)."""
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=1, g_hidden=[4],
                           d_hidden=[4]), quiet=True)
    export = (run / "generator.safetensors").read_bytes()
    header = 8 + int.from_bytes(export[:8], "little")
    tally = []
    for path, load, offsets in (
            (run / "checkpoints" / "last.pt", load_checkpoint, outside_the_tensors),
            (run / "generator.safetensors", read_export, lambda data: range(header))):
        data, original = path.read_bytes(), load(path)
        copy = tmp_path / f"flipped{path.suffix}"
        refused = harmless = 0
        for offset in offsets(data):
            for bit in range(8) if TRIALS > 1 else [offset % 8]:
                changed = bytearray(data)
                changed[offset] ^= 1 << bit
                copy.write_bytes(changed)
                try:
                    loaded = load(copy)
                except Corrupt:
                    refused += 1
                    continue
                assert same_contents(loaded, original), (  # an export's config included
                    f"{path.name}: byte {offset}, bit {bit}: a change went undetected")
                harmless += 1
        tally.append(f"{path.name}: {len(offsets(data))} bytes of {len(data)}, {refused} "
                     f"refused as corrupt, {harmless} harmless")
    print("structure flips: " + "; ".join(tally))


def format_byte(data: bytes) -> int:
    """The offset of the checkpoint's format number in its pickle: "format" then BININT1."""
    key = data.index(b"format")
    return data.index(b"K", key) + 1


def test_a_flipped_format_number_reads_as_corrupt_and_fallback_steps_back(
        tmp_path, tiny_mnist, capsys):
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=25), quiet=True)
    last = run / "checkpoints" / "last.pt"
    data = last.read_bytes()
    offset = format_byte(data)
    assert data[offset] == 3
    for bit in range(8):
        changed = bytearray(data)
        changed[offset] ^= 1 << bit
        last.write_bytes(changed)
        with pytest.raises(Corrupt, match="checksum"):
            load_checkpoint(last)
    assert main(["train", "--resume", str(run), "--max-steps", "30"]) == 2
    line = one_line(capsys.readouterr().err)
    assert "corrupt" in line and "newer gankit" not in line and "--fallback" in line, line
    assert main(["train", "--resume", str(run), "--max-steps", "30", "--fallback"]) == 0
    assert step_of(run) == 30


def test_a_checkpoint_from_a_newer_gankit_says_so(tmp_path, tiny_mnist):
    from gankit.checkpoint import save_checkpoint

    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=1), quiet=True)
    newer = tmp_path / "newer.pt"
    save_checkpoint({**load_checkpoint(run / "checkpoints" / "last.pt"), "format": 4}, newer)
    with pytest.raises(GankitError, match=r"newer gankit \(checkpoint format 4\)") as refused:
        load_checkpoint(newer)
    assert not isinstance(refused.value, Corrupt)


def inside_a_tensor(path: Path) -> int:
    """An offset in the middle of the file's tensors' raw bytes, which the checksum covers."""
    data = path.read_bytes()
    if path.suffix == ".safetensors":
        return (8 + int.from_bytes(data[:8], "little") + len(data)) // 2
    outside = set(outside_the_tensors(data))
    inside = [i for i in range(len(data)) if i not in outside]
    return inside[len(inside) // 2]


@pytest.mark.parametrize("command", ["sample", "evaluate"])
def test_sample_and_evaluate_fall_back_to_the_newest_intact_checkpoint(
        tmp_path, tiny_mnist, capsys, command):
    # 10 steps an epoch: epoch_000.pt (step 10), epoch_001.pt (step 20), last.pt (step 25).
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=25), quiet=True)
    for path in (run / "generator.safetensors", run / "checkpoints" / "last.pt",
                 run / "checkpoints" / "epoch_001.pt"):
        data = bytearray(path.read_bytes())
        data[inside_a_tensor(path)] ^= 0x10
        path.write_bytes(bytes(data))
    out = tmp_path / "grid.png"
    argv = (["sample", str(run), "--n", "4", "--out", str(out)] if command == "sample" else
            ["evaluate", str(run), "--n", "500", "--metrics", "fid", "--data-dir",
             str(tiny_mnist), "--json"])
    assert main(argv) == 2
    line = one_line(capsys.readouterr().err)
    assert "generator.safetensors is corrupt" in line, line
    assert ("the newest intact checkpoint to fall back on is epoch_000.pt (step 10): add "
            "--fallback") in line, line
    assert not out.exists()
    assert main([*argv, "--fallback"]) == 0
    captured = capsys.readouterr()
    line = one_line(captured.err)
    assert "generator.safetensors is corrupt: reading epoch_000.pt (step 10) instead" in line
    if command == "sample":
        assert out.exists()
    else:  # the record says which weights were scored, not only the run
        scored = json.loads(captured.out)["weights"]
        assert scored == str(run / "checkpoints" / "epoch_000.pt")
        recorded = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
        assert recorded["event"] == "evaluate" and recorded["weights"] == scored
    assert main(["sample", str(run / "generator.safetensors"), "--out", str(out),
                 "--overwrite", "--fallback"]) == 2
    assert "give the run dir" in one_line(capsys.readouterr().err)


def test_the_fallback_tries_an_intact_export_before_older_snapshots(tmp_path, tiny_mnist,
                                                                    capsys):
    """A crash between last.pt and the export leaves the export older; last.pt corrupt
    then: the export (step 20) is newer than any snapshot (step 10)."""
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=20, keep_checkpoints=1),
                quiet=True)
    exported = (run / "generator.safetensors").read_bytes()
    train(config_for(tmp_path, tiny_mnist, "run", max_steps=25, keep_checkpoints=1),
          quiet=True, resume=run)
    (run / "generator.safetensors").write_bytes(exported)  # step 20: older than last.pt
    last = run / "checkpoints" / "last.pt"
    data = bytearray(last.read_bytes())
    data[inside_a_tensor(last)] ^= 0x10
    last.write_bytes(bytes(data))
    assert main(["sample", str(run), "--out", str(tmp_path / "grid.png"), "--fallback"]) == 0
    assert "last.pt is corrupt: reading generator.safetensors (step 20) instead" in (
        capsys.readouterr().err)


# 17. Faults not tried before: a killed holder's lock, chattr +i, torchrun under faults -------

def test_the_lock_of_a_killed_training_does_not_stop_its_resume(tmp_path, tiny_mnist):
    run = tmp_path / "run"
    with start(*train_args(tiny_mnist, run, "--epochs", "1000", "--checkpoint-every", "2",
                           "--quiet")) as process:
        wait_until((run / "checkpoints" / "last.pt").exists, process, "a checkpoint")
        process.kill()
        process.wait()
    assert (run / ".lock").exists()  # the file stays; the system dropped the lock itself
    result = gankit("train", "--resume", run, "--max-steps", str(step_of(run) + 2))
    assert result.returncode == 0, result.stderr


def immutable(*paths: Path) -> contextlib.AbstractContextManager:
    """chattr +i on `paths` for the block (skipped where the file system or the user
    cannot: it needs root and ext4 or alike, as CI has)."""
    @contextlib.contextmanager
    def block():
        done = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True,
                              text=True)
        if done.returncode:
            pytest.skip(f"chattr +i is not available here: {done.stderr.strip()}")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True)
    return block()


def test_an_immutable_file_stops_overwrite_before_it_removes_anything(tmp_path, tiny_mnist,
                                                                       capsys):
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=4, sample_every=2),
                quiet=True)
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file() and p.name != ".lock"}
    argv = train_args(tiny_mnist, run, "--max-steps", "2", "--quiet", "--overwrite")
    with immutable(run / "samples" / "step_0000004.png"):
        assert main(argv) == 1
        line = one_line(capsys.readouterr().err)
        assert "cannot remove" in line and "step_0000004.png" in line and "chattr" in line, line
        assert {p: p.read_bytes() for p in run.rglob("*")
                if p.is_file() and p.name != ".lock"} == before
    assert main(argv) == 0


def test_an_immutable_last_pt_stops_training_in_one_line_and_the_run_resumes_after(
        tmp_path, tiny_mnist, capsys):
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=3), quiet=True)
    last = run / "checkpoints" / "last.pt"
    saved = last.read_bytes()
    with immutable(last):
        assert main(["train", "--resume", str(run), "--max-steps", "6", "--quiet"]) == 1
        assert "cannot write" in one_line(capsys.readouterr().err)
        assert last.read_bytes() == saved
        no_debris(run)
        for command in (["sample", str(run), "--out", str(tmp_path / "grid.png")],
                        ["report", str(run)]):
            assert main(command) == 0, command
    assert main(["train", "--resume", str(run), "--max-steps", "6", "--quiet"]) == 0
    assert step_of(run) == 6


def torchrun(*args) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
            "2", "-m", "gankit", *map(str, args)]


def rank_pid(launcher: int, rank: int) -> int:
    """The pid of the torchrun worker of `rank`, from its environment."""
    for pid in _descendants(launcher):
        with contextlib.suppress(OSError):
            if f"RANK={rank}".encode() in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                return pid
    raise AssertionError(f"no rank {rank} under {launcher}")


def gankit_lines(err: str) -> list[str]:
    """gankit's own lines on stderr, without torchrun's report of its failed children."""
    return [line for line in err.splitlines() if line.startswith("gankit:")]


@pytest.mark.parametrize("fault", ["kill -9 of rank 1", "SIGTERM to torchrun"])
def test_torchrun_under_faults_says_one_line_and_resumes(tmp_path, tiny_mnist, fault):
    run = tmp_path / "run"
    argv = torchrun(*train_args(tiny_mnist, run, "--epochs", "1000", "--checkpoint-every", "2",
                                "--quiet"))
    with started(argv, env={**os.environ, "OMP_NUM_THREADS": "1"}) as launcher:
        wait_until(lambda: logged_step(run) > 4, launcher, "rank 0's status lines")
        if fault.startswith("kill"):
            os.kill(rank_pid(launcher.pid, 1), signal.SIGKILL)
        else:
            launcher.send_signal(signal.SIGTERM)
        _, err = launcher.communicate(timeout=WAIT_S)
    said = gankit_lines(err)
    assert "Traceback" not in "\n".join(said) and len(said) == 1, err[-3000:]
    if fault.startswith("kill"):
        assert "rank 0 lost contact with the other processes of this torchrun" in said[0], said
    else:
        assert f"Resume with: torchrun --nproc_per_node 2 -m gankit train --resume {run}" in (
            said[0]), said
    saved = step_of(run)
    result = run_torchrun(torchrun("train", "--resume", run, "--max-steps", saved + 4))
    assert result.returncode == 0, result.stderr[-3000:]
    assert step_of(run) == saved + 4


def run_torchrun(argv) -> subprocess.CompletedProcess:
    return run(argv, env={**os.environ, "OMP_NUM_THREADS": "1"})


def test_overwrite_through_links_replaces_the_run_and_keeps_the_links(tmp_path, tiny_mnist,
                                                                       capsys):
    """The run dir may be a symbolic link, and so may its checkpoints/ (to another disk):
    gankit writes through them, and --overwrite removes through them what it named."""
    real = train(config_for(tmp_path, tiny_mnist, "real", max_steps=20, keep_checkpoints=0),
                 quiet=True)
    elsewhere = tmp_path / "big-disk"
    (real / "checkpoints").rename(elsewhere)
    (real / "checkpoints").symlink_to(elsewhere)
    (tmp_path / "link").symlink_to(real)
    argv = train_args(tiny_mnist, tmp_path / "link", "--max-steps", "3", "--quiet")
    assert main(argv) == 2
    assert "already holds a run (last.pt, 2 epoch snapshot(s)" in one_line(
        capsys.readouterr().err)
    assert main([*argv, "--overwrite"]) == 0
    assert (real / "checkpoints").is_symlink() and (tmp_path / "link").is_symlink()
    assert sorted(p.name for p in elsewhere.iterdir()) == ["last.pt"]
    assert step_of(real) == 3
    steps = [json.loads(line)["step"] for line in (real / "metrics.jsonl").open()]
    assert steps == sorted(steps) and max(steps) <= 3


def test_overwrite_is_all_or_nothing_beside_a_temporary_of_its_own_pid(tmp_path, tiny_mnist):
    """In a container gankit is often pid 1, always alive: its own old temporaries stay,
    and the name it renames a file aside to may be taken."""
    run = train(config_for(tmp_path, tiny_mnist, "run", max_steps=3), quiet=True)
    for name in (f".last.pt.tmp{os.getpid()}", f".last.pt.0.tmp{os.getpid()}"):
        (run / "checkpoints" / name).write_bytes(b"left by an earlier gankit of this pid")
    assert main(train_args(tiny_mnist, run, "--max-steps", "2", "--quiet", "--overwrite")) == 0
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["last.pt"]
    assert step_of(run) == 2
