"""Two CPU processes under torchrun with gloo, as a user would start them."""

import http.server
import json
import os
import sys
import threading
from pathlib import Path

import pytest
import torch

from gankit.checkpoint import load_checkpoint
from gankit.cli import main
from gankit.data import FASHION_MNIST_DEBIAN_DIR, iterate_batches, num_batches
from tests.conftest import run as run_process

# torchrun puts each worker in a session of its own: run_process ends them too, should
# torchrun hang or the test time out.
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]


def torchrun(*args, cwd=None, env=None):
    env = os.environ | {"OMP_NUM_THREADS": "1"} | (env or {})
    return run_process([*TORCHRUN, "-m", "gankit", "train", "--device", "cpu", *args],
                       env=env, cwd=cwd)


def test_ranks_take_disjoint_shards_of_the_same_global_batches():
    images = torch.arange(70, dtype=torch.uint8).view(70, 1, 1, 1)
    shards = [[b for b, _ in iterate_batches(images, 8, seed=0, epoch=0, rank=r, world_size=2)]
              for r in (0, 1)]
    single = [b for b, _ in iterate_batches(images, 16, seed=0, epoch=0)]
    assert num_batches(70, 8, 2) == len(single) == 5
    for a, b, whole in zip(*shards, single, strict=True):
        assert torch.equal(torch.cat([a, b]), whole)
    assert num_batches(65, 8, 2) == 4  # a last global batch of 1 image cannot feed 2 ranks
    assert num_batches(66, 8, 2) == 5


def test_two_processes_train_resume_and_load_in_one(tmp_path, tiny_mnist, capsys):
    run = tmp_path / "run"
    first = torchrun("--data-dir", str(tiny_mnist), "--batch-size", "16", "--max-steps", "20",
                     "--log-every", "1", "--run-dir", str(run))
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.stdout.count("gankit: training") == 1  # only rank 0 prints
    assert "batch 16 x 2 ranks = 32 global" in first.stdout
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    d_losses = [r["d_loss"] for r in records if "d_loss" in r]
    assert sum(d_losses[-3:]) / 3 < d_losses[0]  # D learns: its loss falls from log 2
    assert records[-1]["world_size"] == 2  # and the ranks' weights were checked identical

    resumed = torchrun("--resume", str(run), "--max-steps", "30")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming at step 20" in resumed.stdout
    assert load_checkpoint(run / "checkpoints" / "last.pt")["training"]["step"] == 30

    assert main(["sample", str(run), "--n", "4", "--out", str(tmp_path / "g.png")]) == 0
    assert main(["train", "--resume", str(run), "--max-steps", "40"]) == 2
    assert "trained by 2 process(es)" in capsys.readouterr().err


def test_torchrun_default_run_dir_is_one_coherent_dir(tmp_path, tiny_mnist):
    result = torchrun("--data-dir", str(tiny_mnist), "--batch-size", "16", "--epochs", "2",
                      "--eval-every", "1", "--eval-samples", "100", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    [run] = (tmp_path / "runs").iterdir()
    assert {p.name for p in run.iterdir()} >= {"config.toml", "metrics.jsonl", "checkpoints",
                                                "generator.safetensors", "report.html"}
    # Rank 0 evaluates; all ranks agree to save best.pt (a collective) without deadlock.
    assert (run / "checkpoints" / "best.pt").is_file()
    evals = [line for line in (run / "metrics.jsonl").read_text().splitlines()
             if '"event": "eval"' in line]
    assert len(evals) == 2


@pytest.mark.skipif(not FASHION_MNIST_DEBIAN_DIR.is_dir(), reason="needs dataset-fashion-mnist")
def test_under_torchrun_one_rank_downloads_and_the_others_wait(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for file in FASHION_MNIST_DEBIAN_DIR.glob("*.gz"):
        (mirror / file.name).write_bytes(file.read_bytes())
    fetched = []

    class Mirror(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(mirror), **kwargs)

        def do_GET(self):
            fetched.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Mirror)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        target = tmp_path / "fashion"
        target.mkdir()
        result = torchrun("--dataset", "fashion-mnist", "--data-dir", str(target),
                          "--max-steps", "2", "--batch-size", "16", "--run-dir",
                          str(tmp_path / "run"), "--quiet",
                          env={"GANKIT_FASHION_MNIST_MIRROR":
                               f"http://127.0.0.1:{server.server_port}/"})
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(fetched) == sorted(f"/{p.name}" for p in mirror.iterdir())  # each file once
    assert "UserWarning" not in result.stderr  # the ranks' weight check warns no more


def test_r1_through_ddp_gives_the_ranks_average_gradient():
    result = run_process(
        [*TORCHRUN, Path(__file__).with_name("ddp_r1_check.py")],
        env=os.environ | {"OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).parents[1])})
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert result.stdout.count(": match") == 2


def test_status_lines_show_the_ranks_mean(tmp_path, tiny_mnist):
    result = run_process(
        [*TORCHRUN, Path(__file__).with_name("ddp_log_check.py"), tiny_mnist, tmp_path / "run"],
        env=os.environ | {"OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).parents[1])})
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "logged the ranks' mean: match" in result.stdout


def test_two_processes_train_every_feature_together(tmp_path, tiny_mnist):
    """R1, an EMA generator, labels and bf16 at once under DDP; the run ends by checking
    that the ranks' weights are identical."""
    run = tmp_path / "run"
    result = torchrun("--data-dir", str(tiny_mnist), "--arch", "dcgan", "--base-width", "8",
                      "--conditional", "--r1", "1", "--ema-decay", "0.9", "--precision", "bf16",
                      "--batch-size", "16", "--max-steps", "12", "--run-dir", str(run), "--quiet")
    assert result.returncode == 0, result.stderr[-3000:]
    state = load_checkpoint(run / "checkpoints" / "last.pt")
    assert state["training"]["step"] == 12 and "ema" in state and state["world_size"] == 2
    assert "UserWarning" not in result.stderr


def test_a_lab_run_and_an_image_run_with_fid_train_under_torchrun(tmp_path, tiny_mnist):
    """Every rank runs every collective at a frame or an evaluation, while rank 0 alone
    draws and writes: a lab run crashed at its first frame ("training diverged at step
    0" on rank 0, "Connection closed" on rank 1)."""
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    lab = run_process([*TORCHRUN, "-m", "gankit", "lab", "--device", "cpu", "--max-steps", "30",
                       "--sample-every", "10", "--run-dir", str(tmp_path / "lab"), "--quiet"],
                      env=env)
    assert lab.returncode == 0, lab.stderr[-3000:]
    frames = sorted(p.name for p in (tmp_path / "lab" / "samples").glob("step_*.png"))
    assert frames == ["step_0000010.png", "step_0000020.png", "step_0000030.png"]
    toys = [json.loads(line) for line in (tmp_path / "lab" / "metrics.jsonl").open()
            if json.loads(line).get("event") == "toy"]
    assert [r["step"] for r in toys] == [10, 20, 30]
    # 300 images in global batches of 2 x 16: 10 steps an epoch (the last one short).
    image = torchrun("--data-dir", str(tiny_mnist), "--g-hidden", "16", "--d-hidden", "16",
                     "--batch-size", "16", "--epochs", "2", "--eval-every", "1",
                     "--eval-samples", "300", "--run-dir", str(tmp_path / "image"), "--quiet")
    assert image.returncode == 0, image.stderr[-3000:]
    evaluated = [json.loads(line)["step"] for line in (tmp_path / "image" / "metrics.jsonl").open()
                 if json.loads(line).get("event") == "eval"]
    assert evaluated == [10, 20]
    assert (tmp_path / "image" / "checkpoints" / "best.pt").is_file()


def test_joining_the_process_group_happens_once_until_stop(monkeypatch):
    """gankit.train joins before the data and its Run asks again: the second call gets
    the first's answer, without parsing the environment or joining again."""
    import torch.distributed as dist

    from gankit import distributed

    joined = []
    monkeypatch.setattr(dist, "init_process_group", lambda backend: joined.append(backend))
    monkeypatch.setattr(dist, "is_initialized", lambda: bool(joined))
    monkeypatch.setattr(dist, "destroy_process_group", joined.clear)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    first = distributed.start("cpu")
    monkeypatch.setenv("RANK", "0")  # read once: a second parse would see rank 0
    assert distributed.start("cpu") is first and joined == ["gloo"]
    assert first[0].rank == 1 and first[1] == "cpu"
    distributed.stop()
    assert not joined and distributed.start("cpu")[0].rank == 0
    distributed.stop()
