"""Hostile input (issue #32): empty paths, NUL bytes, points files that are not real
numbers or too large to train on, seeds out of bounds, and `sample` asked for more than
memory or disk can take. Each is refused in one line on stderr, exit 2, with nothing
written; and a large `sample` writes its .npz a batch at a time, the same samples as at
once."""

import numpy as np
import pytest

from gankit.cli import main


@pytest.fixture
def work(tmp_path, monkeypatch):
    """An empty current folder; what it holds at the end is what a command wrote."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def refused(capsys, argv, message: str) -> str:
    """Run `argv`: exit 2 and one line on stderr saying `message`."""
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("gankit: error: ") and err.count("\n") == 1, err
    assert message in err, err
    return err


@pytest.mark.parametrize("name, make, message", [
    ("strings.npy", lambda p: np.save(p, np.array([["1", "2"], ["3", "4"]])),
     "points has dtype str32; gankit reads real numbers only"),
    ("strings.npz", lambda p: np.savez(p, points=np.array([["1", "2"]])),
     "points has dtype str32"),
    ("empty.npy", lambda p: p.write_bytes(b""), "empty.npy is empty (0 bytes)"),
    ("empty.npz", lambda p: p.write_bytes(b""), "empty.npz is empty (0 bytes)"),
    ("empty.csv", lambda p: p.write_bytes(b""), "empty.csv is empty (0 bytes)"),
    ("huge.npy", lambda p: np.save(p, np.full((10, 2), 1e300)),
     "points must lie within ±1,000,000, found 1e+300"),
    ("large.csv", lambda p: p.write_text("0,0\n0,2e6\n"),
     "points must lie within ±1,000,000, found 2e+06"),
    ("big.npy", lambda p: np.save(p, np.full((10, 2), 2**62, np.int64)),
     "must lie within ±1,000,000"),
    ("overflow.csv", lambda p: p.write_text("0,0\n1,1e400\n"),
     "points must be finite, found inf"),
    ("complex.npy", lambda p: np.save(p, np.ones((10, 2)) + 1j),
     "points has dtype complex128"),
    ("bool.npy", lambda p: np.save(p, np.ones((10, 2), bool)), "points has dtype bool"),
    ("modes.npz", lambda p: np.savez(p, points=np.ones((10, 2)), modes=np.ones((2, 2)) * 1j,
                                     sigma=0.1), "modes has dtype complex128"),
    ("sigma_inf.npz", lambda p: np.savez(p, points=np.ones((10, 2)), modes=np.zeros((1, 2)),
                                         sigma=np.inf), "sigma must be finite, found inf"),
    ("sigma_nan.npz", lambda p: np.savez(p, points=np.ones((10, 2)), modes=np.zeros((1, 2)),
                                         sigma=np.nan), "sigma must be finite, found nan"),
    ("sigma_text.npz", lambda p: np.savez(p, points=np.ones((10, 2)), modes=np.zeros((1, 2)),
                                          sigma="0.1"), "sigma has dtype str"),
    ("sigmas.npz", lambda p: np.savez(p, points=np.ones((10, 2)), modes=np.zeros((1, 2)),
                                      sigma=np.ones(3)), "sigma must be one number"),
])
def test_a_points_file_of_anything_but_real_trainable_numbers_is_refused(work, capsys, name,
                                                                         make, message):
    make(work / name)
    refused(capsys, ["lab", "--toy", f"points:{name}", "--max-steps", "1", "--run-dir", "run"],
            message)
    assert [p.name for p in work.iterdir()] == [name]


def test_points_within_the_bound_train(work, capsys):
    np.save("edge.npy", np.array([[-1e6, 0.0], [0.0, 1e6], [3, 4]], np.int64))
    assert main(["lab", "--toy", "points:edge.npy", "--max-steps", "1", "--sample-every", "1",
                 "--run-dir", "run", "--quiet"]) == 0
