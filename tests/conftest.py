import collections
import contextlib
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Property tests: `make test` and CI run the same fixed examples every time ("ci", the
# default), so that a landing never depends on luck; `make fuzz` runs many more random
# ones ("long") and keeps what it finds in .hypothesis/ to replay.
settings.register_profile("ci", derandomize=True, database=None, deadline=None,
                          max_examples=300, print_blob=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.register_profile("long", deadline=None, max_examples=5000, print_blob=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# A shell without job control starts a background command (`make test &`, a CI step)
# with SIGINT ignored, `nohup make test` ignores SIGHUP; an ignored signal stays ignored in
# every process the tests start, and gankit honours it (as nohup means). The tests of
# Ctrl-C and hangups then saw nothing: "DID NOT RAISE Interrupted", and a trainer that ran
# on after its test timed out. A handler that does nothing leaves the test process as deaf
# as before, but the tests' runs get these signals as in a terminal (exec gives a caught
# signal its default action back; an ignored one stays ignored).
for _signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    if signal.getsignal(_signum) is signal.SIG_IGN:
        signal.signal(_signum, lambda signum, frame: None)


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> Path:
    """Write a uint8 array as an IDX file, the format MNIST ships in."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    payload = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload, mtime=0) if compress else payload)
    return path


def mnist_subset(folder: Path, train_count: int, test_count: int = 0) -> Path:
    """The first images of the bundled MNIST splits, written to `folder` as raw IDX files."""
    from gankit.kinds import load_dataset

    folder.mkdir(parents=True, exist_ok=True)
    for split, stem, count in (("train", "train", train_count), ("test", "t10k", test_count)):
        if count:
            data = load_dataset("mnist", split)
            write_idx(folder / f"{stem}-images-idx3-ubyte", data.images[:count, 0].numpy())
            write_idx(folder / f"{stem}-labels-idx1-ubyte", data.labels[:count].numpy())
    return folder


@pytest.fixture
def tiny_mnist(tmp_path) -> Path:
    """300 training digits and a 500-image test split."""
    return mnist_subset(tmp_path / "tiny-mnist", 300, 500)


# Processes a test starts --------------------------------------------------------------
#
# A test that fails or times out must leave nothing running: every process a test starts
# (a training, torchrun and its workers, a browser) begins in a session of its own, and
# `started` kills all that it started on every way out of the test. subprocess.run's
# timeout would kill only the direct child, and torchrun even puts each worker in a
# session of its own, so the processes are found by parentage and frozen before they die.

GANKIT = [sys.executable, "-m", "gankit"]
WAIT_S = 600  # how long a test waits for a process: a safety net, never a measurement


def _descendants(pid: int) -> list[int]:
    """The processes that `pid` started and theirs, read from /proc (Linux)."""
    children = collections.defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):  # it ended meanwhile
            children[int(stat.read_text().rsplit(")", 1)[1].split()[1])].append(
                int(stat.parent.name))
    found, todo = [], list(children[pid])
    while todo:
        found.append(todo.pop())
        todo.extend(children[found[-1]])
    return found


def _signal(pid: int, signum: int, group: bool = False) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        (os.killpg if group else os.kill)(pid, signum)


def end(process: subprocess.Popen) -> None:
    """Kill `process` (started in its own session), its group and all it started, then
    reap it. Stopped first, none of them can start another or be orphaned meanwhile."""
    stopped: set[int] = set()
    if process.poll() is None:
        _signal(process.pid, signal.SIGSTOP, group=True)
        while new := set(_descendants(process.pid)) - stopped:
            for pid in new:
                _signal(pid, signal.SIGSTOP)
            stopped |= new
    _signal(process.pid, signal.SIGKILL, group=True)
    for pid in stopped:
        _signal(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired, ValueError):
        process.communicate(timeout=60)  # closes its pipes
    process.wait()


@contextlib.contextmanager
def started(args, **kwargs) -> Iterator[subprocess.Popen]:
    """Popen(args) in a session of its own, stdout and stderr read as text; whatever
    happens in the `with` block, it ends killed with all it started."""
    process = subprocess.Popen([str(a) for a in args], start_new_session=True, text=True,
                               **{"stdout": subprocess.PIPE, "stderr": subprocess.PIPE} | kwargs)
    try:
        yield process
    finally:
        end(process)


def run(args, timeout: float = WAIT_S, **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run(args, capture_output=True, text=True), but a timeout kills all that
    it started, not only its direct child (and fails the test)."""
    with started(args, **kwargs) as process:
        out, err = process.communicate(timeout=timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def wait_until(condition, process: subprocess.Popen | None = None, what: str = "",
               timeout: float = WAIT_S) -> None:
    """Poll `condition()` until true; fail if `process` ends first (with its output), or
    after `timeout` seconds (a safety net: how long it takes is never the test)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the process ended ({process.returncode}) before "
                        f"{what or condition}:\n{out[-2000:]}\n{err[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what or condition} after {timeout} s")
        time.sleep(0.05)


def logged_step(run_dir: Path) -> int:
    """The last step with a status line in run_dir/metrics.jsonl (0 before the first):
    the marker that a training is under way."""
    try:
        text = (Path(run_dir) / "metrics.jsonl").read_text()
    except FileNotFoundError:
        return 0
    steps = [0]
    for line in text.splitlines(keepends=True):
        with contextlib.suppress(ValueError):  # a line being written
            record = json.loads(line) if line.endswith("\n") else {}
            if "d_loss" in record:
                steps.append(record["step"])
    return max(steps)
