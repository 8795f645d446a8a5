"""CPU threads on shared cores (gankit.device.CpuShare): as many as the other processes
leave free, for networks whose weights do not depend on the count."""

import dataclasses
import hashlib

import pytest
import torch
from safetensors.torch import load_file

import gankit.device
from gankit.device import CpuShare
from gankit.gan_lab import Lab
from gankit.models import build_models
from gankit.resolve import resolve_config
from gankit.training import train


@pytest.fixture
def threads():
    """torch's thread count, put back after the test."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def weights_digest(preset: str, run_dir, threads: int, reading=None) -> str:
    """The export's digest after 20 steps on `threads` threads; with `reading` standing in
    for /proc/stat at every step, the count CpuShare chooses from it."""
    torch.set_num_threads(threads)
    config = dataclasses.replace(resolve_config(preset), max_steps=20, sample_every=0,
                                 run_dir=str(run_dir))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gankit.device, "_reading", reading or (lambda cpus: None))
        patch.setattr(CpuShare, "every_s", 0.0)
        train(config, quiet=True)
    weights = load_file(run_dir / "generator.safetensors")
    return hashlib.sha256(b"".join(weights[k].numpy().tobytes() for k in sorted(weights))
                          ).hexdigest()


@pytest.mark.parametrize("preset", ["lab", "seed"])
def test_networks_that_adapt_train_to_the_same_weights_whatever_the_count(preset, threads,
                                                                          tmp_path):
    """What lets CpuShare change the count in the middle of a run: on 1 thread, on 3, and
    switching between 1 and 3 at every step, the same weights. Were it false on some build
    of torch, a run's weights would depend on the machine's load."""
    clock = iter(range(10**6))
    seen = []

    def flipping(cpus):  # a second of every core busy with others, a second idle, ...
        now = next(clock)
        seen.append(torch.get_num_threads())
        return now, len(cpus) * ((now + 1) // 2), 0.0

    digests = {weights_digest(preset, tmp_path / "one", 1),
               weights_digest(preset, tmp_path / "three", 3),
               weights_digest(preset, tmp_path / "flips", 3, flipping)}
    assert 1 in seen and len(set(seen)) >= 2, seen  # it did switch, both ways
    assert len(digests) == 1


class FakeCpus:
    """/proc/stat as CpuShare reads it: the others' busy seconds grow as told."""

    def __init__(self, monkeypatch, cpus=2):
        self.now = self.busy = self.ours = 0.0
        monkeypatch.setattr(gankit.device, "_own_cpus", lambda: set(range(cpus)))
        monkeypatch.setattr(gankit.device, "_reading",
                            lambda cpus: (self.now, self.busy, self.ours))
        monkeypatch.setattr(gankit.device, "_now", lambda: self.now)

    def elapse(self, seconds: float, others: float, ours: float) -> None:
        """`seconds` pass, the others keeping `others` cores busy and we `ours`."""
        self.now += seconds
        self.busy += seconds * (others + ours)
        self.ours += seconds * ours


def mlp():
    generator, discriminator = build_models(resolve_config("lab"), (2,))
    return generator, discriminator


def test_the_threads_follow_the_cores_the_others_leave_free(monkeypatch, threads):
    torch.set_num_threads(2)
    cpus = FakeCpus(monkeypatch)
    share = CpuShare(torch.device("cpu"), *mlp())
    for others, ours, expected in [(0.0, 2.0, 2), (2.0, 1.0, 1), (1.0, 1.0, 1), (0.6, 1.0, 1),
                                   (0.3, 1.0, 2), (2.0, 2.0, 1)]:
        cpus.elapse(1.5, others, ours)
        share.update()
        assert torch.get_num_threads() == expected, (others, ours)
    cpus.elapse(0.5, 0.0, 1.0)  # not yet a second since the last reading: no change
    share.update()
    assert torch.get_num_threads() == 1
    share.close()
    assert torch.get_num_threads() == 2


def test_convolutions_a_gpu_and_one_thread_keep_the_count(monkeypatch, threads):
    torch.set_num_threads(2)
    cpus = FakeCpus(monkeypatch)
    dcgan = build_models(resolve_config("dcgan"), (1, 28, 28))
    for share in (CpuShare(torch.device("cpu"), *dcgan),
                  CpuShare(torch.device("cuda"), *mlp())):
        cpus.elapse(2.0, 2.0, 1.0)
        share.update()
        assert torch.get_num_threads() == 2
    torch.set_num_threads(1)
    share = CpuShare(torch.device("cpu"), *mlp())
    cpus.elapse(2.0, 0.0, 1.0)
    share.update()
    assert torch.get_num_threads() == 1


def test_a_run_and_a_lab_give_the_notebook_its_own_count_back(monkeypatch, threads, tmp_path):
    """Beside two busy cores they train on one thread, and leave the process on two."""
    torch.set_num_threads(2)
    cpus = FakeCpus(monkeypatch)

    def busy_reading(_):
        cpus.elapse(1.0, 2.0, 1.0)
        return cpus.now, cpus.busy, cpus.ours

    monkeypatch.setattr(gankit.device, "_reading", busy_reading)
    monkeypatch.setattr(CpuShare, "every_s", 0.0)
    counts = []
    monkeypatch.setattr(CpuShare, "update", lambda self, update=CpuShare.update: (
        update(self), counts.append(torch.get_num_threads())))
    config = dataclasses.replace(resolve_config("lab"), max_steps=3, sample_every=0,
                                 run_dir=str(tmp_path / "run"))
    train(config, quiet=True)
    assert counts == [1, 1, 1] and torch.get_num_threads() == 2
    Lab(display="none").step(d=1, g=1, repeat=2)
    assert counts[3:] == [1, 1] and torch.get_num_threads() == 2


def test_the_count_never_exceeds_the_containers_cpu_quota(monkeypatch, threads, tmp_path):
    """A hub's pod sees every core of its node; cpu.max says how many it may use."""
    torch.set_num_threads(4)
    FakeCpus(monkeypatch, cpus=4)
    monkeypatch.setattr(gankit.device, "CGROUP", tmp_path)
    share = CpuShare(torch.device("cpu"), *mlp())
    assert share.most == 4
    (tmp_path / "cpu.max").write_text("150000 100000\n")  # 1.5 CPUs
    share = CpuShare(torch.device("cpu"), *mlp())
    assert share.most == 2
    (tmp_path / "cpu.max").write_text("max 100000\n")
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")  # cgroup v1: 1 CPU
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert CpuShare(torch.device("cpu"), *mlp()).most == 1


def test_a_lab_gives_back_the_count_the_notebook_set_since(monkeypatch, threads):
    torch.set_num_threads(2)
    FakeCpus(monkeypatch)
    lab = Lab(display="none")
    torch.set_num_threads(3)  # a later cell
    lab.step(d=1, g=1)
    assert torch.get_num_threads() == 3
