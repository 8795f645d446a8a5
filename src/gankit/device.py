"""Where tensors live: the --device setting turned into a torch.device."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import torch

from gankit.errors import ConfigError, phrase

PROC_STAT = Path("/proc/stat")
CGROUP = Path("/sys/fs/cgroup")


def pick_device(name: str) -> torch.device:
    """auto picks CUDA when present; an explicit CUDA device must exist."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(phrase("unknown device {name!r}; use auto, cpu, cuda or cuda:N",
                                 name=name)) from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(phrase("device {name!r} requested but CUDA is not available",
                                     name=name))
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(phrase("device {name!r} does not exist ({count} GPUs)", name=name,
                                     count=torch.cuda.device_count()))
    elif device.type != "cpu":
        raise ConfigError(phrase("unsupported device {name!r}; use auto, cpu, cuda or cuda:N",
                                 name=name))
    return device


def set_cuda_policy(device: torch.device, tf32: bool) -> None:
    """On CUDA, say once how fast and how exact the math may be: TF32 for matrix products
    and cuDNN convolutions only with `tf32` (PyTorch's defaults differ between the two;
    gankit sets both), and cuDNN's benchmark mode, which times the convolution algorithms
    for each input shape it meets and keeps the fastest (a run meets few: its batch, the
    last batch of an epoch, the grid). The settings are the process's, and stay after
    the run (a notebook's next cell keeps them)."""
    if device.type != "cuda":
        return
    # torch's documented call for matrix products in every version; since 2.9 the older
    # allow_tf32 switches are deprecated, and mixing them with the newer per-backend
    # settings makes torch.get_float32_matmul_precision(), which inductor calls, raise.
    torch.set_float32_matmul_precision("high" if tf32 else "highest")
    conv = getattr(torch.backends.cudnn, "conv", None)
    if hasattr(conv, "fp32_precision"):  # torch >= 2.9
        conv.fp32_precision = "tf32" if tf32 else "ieee"
    else:
        torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = True


class StepTimer:
    """Milliseconds per step on CUDA, timed with CUDA events between two status lines
    (the host never waits for them but at a status line, which waits anyway), and the
    peak GPU memory allocated since the last one, or since the timer restarted after an
    epoch's end (whose BatchNorm re-estimate, grid and FID are not training). On a CPU
    it measures nothing."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"
        self.device = device
        self.mark, self.marked_at = None, 0  # a CUDA event, and the run's step then

    def _event(self):
        event = torch.cuda.Event(enable_timing=True)
        event.record(torch.cuda.current_stream(self.device))
        return event

    def restart(self, step: int) -> None:
        """Time from here: what came since the last lap (an epoch's end) is not a step's."""
        if self.cuda:
            torch.cuda.reset_peak_memory_stats(self.device)
            self.mark, self.marked_at = self._event(), step

    def lap(self, step: int) -> dict[str, float]:
        """{"ms_per_step", "peak_memory_gib"} since the last lap, or {} off CUDA."""
        if not self.cuda or self.mark is None or step <= self.marked_at:
            return {}
        mark = self._event()
        mark.synchronize()
        milliseconds = self.mark.elapsed_time(mark) / (step - self.marked_at)
        peak = torch.cuda.max_memory_allocated(self.device) / 2**30
        torch.cuda.reset_peak_memory_stats(self.device)
        self.mark, self.marked_at = mark, step
        return {"ms_per_step": milliseconds, "peak_memory_gib": peak}


class CpuShare:
    """Torch's CPU threads matched to the cores that other processes leave free, read
    from /proc/stat about once a second, and never more than the container's CPU quota
    (cgroup's cpu.max: a JupyterHub's pod sees every core of its node). On a busy machine
    (a shared hub, a laptop compiling) a thread of each parallel operation waits for the
    scheduler, and small networks pay that at every operation: beside two busy processes
    on 2 cores the lab's healthy run took 282 s on 2 threads and 119 s on the 1 chosen,
    against 50 s alone on 2 (benchmarks/bench_threads.py, 2026-12-07).

    Only networks without convolutions adapt: their weights come out bit for bit the
    same whatever the thread count, changed in the middle of a run or not
    (tests/test_threads.py checks it), while oneDNN's convolutions round differently with
    another count, and a run must not depend on the machine's load. For the same reason
    the work around the steps (FID's convolutional classifier) runs on the process's own
    count: `close()` gives it back, the next `update()` takes the chosen one again.
    Elsewhere than Linux, or on a GPU, nothing changes."""

    every_s = 1.0

    def __init__(self, device: torch.device, *models: torch.nn.Module):
        self.original = self.chosen = torch.get_num_threads()
        self.cpus = _own_cpus()
        self.most = min(self.original, _quota())
        convolutional = any(isinstance(module, torch.nn.modules.conv._ConvNd)
                            for model in models for module in model.modules())
        self.mark = _reading(self.cpus)
        self.active = (device.type == "cpu" and not convolutional and self.original > 1
                       and self.mark is not None)

    def own(self) -> None:
        """Take the process's count as it is now for its own (a notebook may have set it
        since), to give back at close()."""
        if self.active:
            self.original = torch.get_num_threads()
            self.most = min(self.original, _quota())

    def update(self) -> None:
        """Every step: now and then, the threads that the others' load leaves room for."""
        if not self.active:
            return
        if _now() - self.mark[0] >= self.every_s:
            reading = _reading(self.cpus)
            if reading is None:
                return
            (then, busy_then, ours_then), (now, busy, ours) = self.mark, reading
            others = (busy - busy_then) - (ours - ours_then)
            free = len(self.cpus) - others / (now - then)
            self.chosen = max(1, min(self.most, round(free)))
            self.mark = reading
        if torch.get_num_threads() != self.chosen:
            torch.set_num_threads(self.chosen)

    def close(self) -> None:
        if self.active and torch.get_num_threads() != self.original:
            torch.set_num_threads(self.original)


_now = time.monotonic


def _own_cpus() -> set[int]:
    """The CPUs this process may run on (all of them where the system cannot say)."""
    try:
        return os.sched_getaffinity(0)
    except (AttributeError, OSError):
        return set(range(os.cpu_count() or 1))


def _quota() -> int:
    """The CPUs' worth of time the container may use (cgroup v2's cpu.max, or v1's CFS
    quota), rounded up; a large number where there is no quota."""
    for quota_file, period_file in ((CGROUP / "cpu.max", None),
                                    (CGROUP / "cpu" / "cpu.cfs_quota_us",
                                     CGROUP / "cpu" / "cpu.cfs_period_us")):
        try:
            if period_file is None:
                quota, period = quota_file.read_text().split()[:2]
            else:
                quota, period = quota_file.read_text().strip(), period_file.read_text().strip()
            if quota not in ("max", "-1"):
                return max(1, math.ceil(int(quota) / int(period)))
        except (OSError, ValueError):
            continue
    return 1 << 16


def _reading(cpus: set[int]) -> tuple[float, float, float] | None:
    """(now, seconds that `cpus` were busy since boot, this process's CPU seconds), or
    None where /proc/stat cannot be read. Busy counts stolen time: a virtual machine's
    host gave it to someone else."""
    try:
        lines = PROC_STAT.read_text().splitlines()
        ticks = os.sysconf("SC_CLK_TCK")
        busy = 0
        for line in lines:
            name, *fields = line.split()
            if name[:3] == "cpu" and name[3:].isdigit() and int(name[3:]) in cpus:
                user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
                busy += user + nice + system + irq + softirq + steal
    except (OSError, ValueError, AttributeError):  # a short line: an old kernel, a sandbox
        return None
    return _now(), busy / ticks, time.process_time()
