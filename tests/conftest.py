import gzip
import os
import signal
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
    from gankit.data import load_dataset

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
