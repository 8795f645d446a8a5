"""Several processes under torchrun: process group, devices, DDP wrapping, collectives.

gankit trains unchanged in one process; under `torchrun --nproc_per_node N` (which sets
WORLD_SIZE, RANK and LOCAL_RANK) each rank takes its own device and shard of every
batch, and only rank 0 writes anything.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import weakref
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from gankit.errors import ConfigError, GankitError, first_line, phrase, storage_error

STOP_CHECK_EVERY = 10  # steps between agreements on a stop signal under torchrun
# What `start` joined, while the process group lasts.
_joined: tuple[Processes, str] | None = None


@dataclass(frozen=True)
class Processes:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def wrap(self, model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
        """DistributedDataParallel under torchrun; the model itself otherwise."""
        if not self.distributed:
            return model
        device_ids = [device.index] if device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=device_ids)

    def any(self, flag: bool | torch.Tensor, device: torch.device) -> bool:
        """True on every rank when `flag` is true on some rank."""
        if not self.distributed:
            return bool(flag)
        value = torch.as_tensor(flag, dtype=torch.int64, device=device).clone()
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value)

    def stop_requested(self, local: bool, step: int, device: torch.device) -> bool:
        """Whether to stop after this step. One process just reads its flag; several agree
        on it only every STOP_CHECK_EVERY steps, as agreeing is a host sync."""
        if not self.distributed:
            return local
        return step % STOP_CHECK_EVERY == 0 and self.any(local, device)

    def max(self, value: torch.Tensor) -> torch.Tensor:
        if self.distributed:
            value = value.clone()
            dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return value

    def mean(self, value: torch.Tensor) -> torch.Tensor:
        """The mean of `value` over the ranks (itself in one process): what every rank
        logs, rather than rank 0's shard alone."""
        if self.distributed:
            value = value.clone()
            dist.all_reduce(value, op=dist.ReduceOp.SUM)
            value /= self.world_size
        return value

    def on_main(self, action):
        """`action()`'s result on rank 0 (None on the others). What it raises (a refusal,
        a full disk) is raised on every rank, each with rank 0's message, so that none
        waits for rank 0 at the next collective."""
        result, error = None, None
        if self.is_main:
            try:
                result = action()
            except GankitError as e:
                error = e
            except OSError as e:
                error = storage_error(e)
        if self.distributed:
            error = self.gather(error)[0]
        if error:
            raise error
        return result

    def gather(self, obj) -> list:
        """Every rank's `obj`, in rank order (on every rank)."""
        if not self.distributed:
            return [obj]
        gathered = [None] * self.world_size
        dist.all_gather_object(gathered, obj)
        return gathered

    def in_sync(self, *models: torch.nn.Module) -> bool:
        """Whether every rank holds bit-identical parameters."""
        digest = [float(p.detach().double().sum()) + float(p.detach().double().abs().sum())
                  for m in models for p in m.parameters()]
        return all(other == digest for other in self.gather(digest))


def start(device_name: str) -> tuple[Processes, str]:
    """Join the process group that torchrun describes, if any; return the device name
    this process should use (each rank its own GPU). Once: `gankit.train` joins before
    loading the data (one rank downloads), and its Run's later call gets the same answer
    until `stop`."""
    global _joined
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Processes(), device_name
    if _joined is not None and dist.is_initialized():
        return _joined
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = device_name.startswith("cuda") or (device_name == "auto" and
                                                  torch.cuda.is_available())
    if use_cuda:
        if not torch.cuda.is_available():
            raise ConfigError(phrase("device {name!r} requested but CUDA is not available",
                                     name=device_name))
        if device_name not in ("auto", "cuda"):
            raise ConfigError(phrase("under torchrun use --device cuda (each rank takes its own "
                                     "GPU)"))
        torch.cuda.set_device(local_rank)
        device_name = f"cuda:{local_rank}"
    elif device_name == "auto":
        device_name = "cpu"
    if not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo")
    _joined = Processes(rank, world_size, local_rank), device_name
    return _joined


@contextlib.contextmanager
def main_process_first():
    """Under torchrun, rank 0 runs the block while the other ranks wait at a barrier,
    then they run it and find the work (a download) done; alone, just run it."""
    ranked = dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1
    if ranked and dist.get_rank() != 0:
        dist.barrier()
    try:
        yield
    finally:
        if ranked and dist.get_rank() == 0:
            dist.barrier()


def stop(finished: bool = False) -> None:
    """Leave the process group. After a `finished` run every rank first waits for the
    others (rank 0 is still writing the export and the report), so that no rank tears
    down its connections while a peer still uses them; a rank torn down early was seen
    to abort ("terminate called without an active exception")."""
    global _joined
    _joined = None
    if dist.is_initialized():
        if finished:
            dist.barrier()
            if dist.get_backend() == "gloo":  # the hang is gloo's; NCCL has no CPU tensors
                settle()
        dist.destroy_process_group()


def settle(timeout_s: float = 30.0) -> None:
    """Wait, the GIL released, until gloo's worker threads have let go of the last
    collectives' tensors. They free a finished collective after its waiter has returned,
    and freeing a tensor made in Python takes the GIL; the process group's destructor
    joins those threads while holding the GIL: if it ran first, the two waited on each
    other for ever (a hang in 1 torchrun teardown in 4). A collective on a fresh tensor,
    queued behind every earlier one, is gone once the weak reference to it dies."""
    for _ in range(2):  # the second, queued after the first was freed, frees the last one
        token = torch.zeros(1)
        dist.all_reduce(token)
        freed = weakref.ref(token)
        del token
        deadline = time.monotonic() + timeout_s
        while freed() is not None and time.monotonic() < deadline:
            time.sleep(0.001)


def lost_contact(error: BaseException, command: str = "train") -> GankitError | None:
    """The one line for a collective that failed because another process of the torchrun
    stopped (killed, out of memory): its connection reset or closed. None for any other
    error (this rank's own included), and outside torchrun. `command` resumes the run."""
    if not dist.is_initialized() or not isinstance(error, RuntimeError):
        return None
    text = str(error)
    if not (isinstance(error, getattr(dist, "DistNetworkError", ())) or any(
            sign in text for sign in ("Connection reset by peer", "Connection closed by peer",
                                      "Broken pipe"))):
        return None
    return PeerLost(phrase("rank {rank} lost contact with the other processes of this "
                           "torchrun, one of which stopped ({error}); the run keeps its last "
                           "checkpoint: resume it with the same torchrun command and "
                           "gankit {command} --resume RUN_DIR", rank=dist.get_rank(),
                           command=command,
                           error=re.sub(r"^\[[^]]*\] *", "", first_line(error)).split(". ")[0]))


class PeerLost(GankitError):
    """Another rank of the torchrun died: a fault of the machine's, not of the input."""

    exit_code = 1
