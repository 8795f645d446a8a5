import gzip
from pathlib import Path

import numpy as np
import pytest


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> Path:
    """Write a uint8 array as an IDX file, the format MNIST ships in."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    payload = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload, mtime=0) if compress else payload)
    return path


@pytest.fixture
def tiny_mnist(tmp_path) -> Path:
    """A 300-image MNIST-shaped dataset with a 500-image test split (real digits from the
    bundled set), as raw IDX files."""
    from gankit.data import load_dataset

    folder = tmp_path / "tiny-mnist"
    folder.mkdir()
    for split, count in (("train", 300), ("t10k", 500)):
        data = load_dataset("mnist", "test" if split == "t10k" else "train")
        write_idx(folder / f"{split}-images-idx3-ubyte", data.images[:count, 0].numpy())
        write_idx(folder / f"{split}-labels-idx1-ubyte", data.labels[:count].numpy())
    return folder
