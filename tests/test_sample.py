import json

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from gankit.checkpoint import load_checkpoint
from gankit.cli import main
from gankit.config import Config
from gankit.errors import GankitError
from gankit.sample import load_discriminator, load_generator, sample_images
from gankit.training import train
from tests.conftest import mnist_subset


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = mnist_subset(tmp_path_factory.mktemp("data"), 200)
    return train(Config(data_dir=str(root), run_dir=str(root / "run"), batch_size=50,
                        max_steps=6, device="cpu"), quiet=True)


def test_load_generator_from_run_checkpoint_and_safetensors(run_dir):
    reference = sample_images(load_generator(run_dir)[0], 4, seed=3)
    for source in (run_dir / "checkpoints" / "last.pt", run_dir / "generator.safetensors"):
        generator, config = load_generator(source)
        assert config.latent_dim == 100
        assert np.array_equal(sample_images(generator, 4, seed=3), reference)
    assert not np.array_equal(sample_images(generator, 4, seed=4), reference)


def test_load_discriminator_gives_the_trained_d_and_refuses_an_export(run_dir, tmp_path):
    discriminator, config = load_discriminator(run_dir)
    saved = load_checkpoint(run_dir / "checkpoints" / "last.pt")["discriminator"]
    assert not discriminator.training and config.max_steps == 6
    assert all(torch.equal(value, saved[key])
               for key, value in discriminator.state_dict().items())
    with pytest.raises(GankitError, match="no discriminator found"):
        load_discriminator(run_dir / "generator.safetensors")
    corrupt = tmp_path / "last.pt"
    corrupt.write_bytes((run_dir / "checkpoints" / "last.pt").read_bytes()[:-100])
    with pytest.raises(GankitError, match="corrupt"):
        load_discriminator(corrupt)


def test_sample_png_grid_folder_and_gif(run_dir, tmp_path):
    assert main(["sample", str(run_dir), "--n", "16", "--out", str(tmp_path / "g.png")]) == 0
    with Image.open(tmp_path / "g.png") as grid:
        assert grid.size == (4 * 30 + 2, 4 * 30 + 2)
    assert main(["sample", str(run_dir), "--n", "5", "--out", str(tmp_path / "digits")]) == 0
    assert sorted(p.name for p in (tmp_path / "digits").iterdir()) == [
        f"{i:06d}.png" for i in range(5)]
    assert main(["sample", str(run_dir), "--n", "4", "--interpolate", "3",
                 "--out", str(tmp_path / "walk.gif")]) == 0
    with Image.open(tmp_path / "walk.gif") as gif:
        assert gif.n_frames == 3 * 12


@pytest.mark.parametrize("argv, message", [
    (["--out", "x.gif"], "needs --interpolate"),
    (["--out", "x.png", "--interpolate", "3"], "ending in .gif"),
    (["--out", "x.png", "--n", "0"], "--n must be at least 1"),
    (["--out", "missing/x.png"], "does not exist"),
])
def test_sample_bad_input(run_dir, tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(["sample", str(run_dir), *argv]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_sample_never_overwrites_by_accident(run_dir, tmp_path, capsys):
    out = tmp_path / "grid.png"
    out.write_bytes(b"mine")
    assert main(["sample", str(run_dir), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == b"mine"
    assert main(["sample", str(run_dir), "--out", str(out), "--overwrite"]) == 0
    assert out.read_bytes().startswith(b"\x89PNG")
    assert main(["sample", str(tmp_path / "nothing"), "--out", str(tmp_path / "a.png")]) == 2
    assert "no generator found" in capsys.readouterr().err


def test_evaluate_bad_input(tmp_path, capsys):
    npz = tmp_path / "s.npz"
    np.savez(npz, images=np.zeros((10, 32, 32), np.uint8))
    assert main(["evaluate", str(npz)]) == 2
    assert "uint8 28x28" in capsys.readouterr().err
    np.savez(npz, pictures=np.zeros((10, 28, 28), np.uint8))
    assert main(["evaluate", str(npz)]) == 2
    assert "cannot read samples" in capsys.readouterr().err
    assert main(["evaluate", str(npz), "--metrics", "fid,sharpness"]) == 2
    assert "unknown metric 'sharpness'" in capsys.readouterr().err


def test_eval_every_logs_fid_and_keeps_the_best(tmp_path, tiny_mnist):
    config = Config(data_dir=str(tiny_mnist), run_dir=str(tmp_path / "run"), batch_size=100,
                    epochs=2, eval_every=1, eval_samples=200, device="cpu")
    run = train(config, quiet=True)
    evals = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()
             if '"eval"' in line]
    assert [(e["epoch"], e["samples"]) for e in evals] == [(0, 200), (1, 200)]
    lowest = min(evals, key=lambda e: e["fid"])
    best = load_checkpoint(run / "checkpoints" / "best.pt")
    assert (best["training"]["step"], best["training"]["best_fid"]) == (lowest["step"],
                                                                        lowest["fid"])
    generator, config = load_generator(run / "checkpoints" / "best.pt")  # a generator source
    assert config.eval_every == 1
    assert all(torch.equal(v, best["generator"][k]) for k, v in generator.state_dict().items())


def test_evaluating_during_training_does_not_change_what_it_trains(tmp_path, tiny_mnist):
    """Building the metrics' classifier once drew from torch's global generator, so a run
    with --eval-every trained on other noise and dropout masks than one without."""
    weights = []
    for eval_every in (0, 1):
        config = Config(data_dir=str(tiny_mnist), run_dir=str(tmp_path / f"run{eval_every}"),
                        batch_size=100, epochs=2, eval_every=eval_every, eval_samples=50,
                        device="cpu")
        weights.append(load_file(str(train(config, quiet=True) / "generator.safetensors")))
    assert all(torch.equal(weights[0][name], weights[1][name]) for name in weights[0])


def test_eval_every_needs_a_feature_network(tmp_path, capsys):
    images = tmp_path / "imgs"
    images.mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(images / "a.png")
    argv = ["train", "--dataset", f"folder:{images}", "--eval-every", "1",
            "--run-dir", str(tmp_path / "run")]
    assert main(argv) == 2
    assert "no feature network" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
