import json
import sys
import tomllib

import pytest

from gankit.cli import main
from gankit.errors import ConfigError
from gankit.resolve import resolve_config
from tests.conftest import run as run_process


def test_precedence_preset_then_file_then_flags(tmp_path):
    file = tmp_path / "c.toml"
    file.write_text("batch_size = 64\nlr = 1e-3\n")
    config = resolve_config("seed", file, {"lr": 5e-4})
    assert (config.batch_size, config.lr, config.epochs) == (64, 5e-4, 50)


def test_dry_run_prints_resolved_config(tmp_path, capsys):
    file = tmp_path / "c.toml"
    file.write_text("epochs = 3\n")
    assert main(["train", "--config", str(file), "--lr", "0.001", "--dry-run"]) == 0
    config = tomllib.loads(capsys.readouterr().out)
    assert (config["epochs"], config["lr"], config["batch_size"]) == (3, 0.001, 128)


@pytest.mark.parametrize("text, message", [
    ("epochs = 3\nbogus = 1\n", "unknown key 'bogus'"),
    ("epochs = 'three'\n", "epochs in config file .* must be an integer"),
    ("epochs = [\n", "not valid TOML"),
])
def test_bad_config_files_are_refused(tmp_path, text, message):
    file = tmp_path / "c.toml"
    file.write_text(text)
    with pytest.raises(ConfigError, match=message):
        resolve_config("seed", file)


@pytest.mark.parametrize("argv, message", [
    (["--batch-size", "0"], "batch_size must be between 1 and 65,536, got 0"),
    (["--lr", "-1"], "lr must be between 1e-12 and 10, got -1.0"),
    (["--lr", "nan"], "lr must be a finite number, got nan"),
    (["--epochs", "0"], "epochs must be between 1 and 1,000,000, got 0"),
    (["--seed", "100000000000000"], "seed must be between 0 and 4,294,967,295"),
    (["--ema-decay", "1"], "ema_decay must be at least 0 and below 1, got 1.0"),
    (["--g-hidden", "256", "0"], "g_hidden must be between 1 and 8,192, got [256, 0]"),
    (["--dataset", "cifar"], "unknown dataset 'cifar'"),
    (["--loss", "hinge2"], "unknown loss 'hinge2'"),
    (["--arch", "resnet"], "unknown architecture 'resnet'"),
    (["--device", "tpu"], "unknown device 'tpu'"),
    (["--precision", "fp16"], "precision must be fp32 or bf16"),
    (["--data-dir", "/nonexistent"], "data dir not found"),
    (["--config", "/nonexistent.toml"], "config file not found"),
    (["--lr-schedule", "cosine"], "unknown lr_schedule 'cosine'; choose from constant, linear"),
    (["--r1-every", "0"], "r1_every must be between 1 and 1,000,000, got 0"),
    (["--clusters", "10", "--conditional"], "--clusters is for unconditional GANs"),
    (["--minibatch-std"], "--spectral-norm and --minibatch-std are for --arch dcgan"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, monkeypatch, capsys,
                                                          argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(["train", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gankit: error: ") and message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_non_empty_run_dir_is_never_overwritten(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "precious.txt").write_text("keep me")
    assert main(["train", "--run-dir", str(run), "--max-steps", "1"]) == 2
    assert "already exists and is not a gankit run dir" in capsys.readouterr().err
    assert [p.name for p in run.iterdir()] == ["precious.txt"]


def test_unknown_preset_and_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--preset", "nope"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = capsys.readouterr().out
    for flag in ["--preset", "--config", "--dataset", "--data-dir", "--image-size", "--epochs",
                 "--max-steps", "--batch-size", "--lr", "--seed", "--device", "--run-dir",
                 "--log-every", "--sample-every", "--checkpoint-every"]:
        assert flag in help_text


def test_corrupt_or_empty_data_dir_is_refused_before_writing(tmp_path, tiny_mnist, capsys):
    images = tiny_mnist / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])
    empty = tmp_path / "empty"
    empty.mkdir()
    for data_dir, message in [(tiny_mnist, "is truncated"), (empty, "has no train-images")]:
        run = tmp_path / "run"
        assert main(["train", "--data-dir", str(data_dir), "--run-dir", str(run)]) == 2
        assert message in capsys.readouterr().err
        assert not run.exists()


def test_cdcgan_preset_resolves_to_a_conditional_dcgan(capsys):
    assert main(["train", "--preset", "cdcgan", "--dry-run"]) == 0
    config = tomllib.loads(capsys.readouterr().out)
    assert (config["arch"], config["conditional"], config["ema_decay"]) == ("dcgan", True, 0.999)
    assert config["preset"] == "cdcgan" and config["betas"] == [0.5, 0.999]


def test_a_preset_takes_its_values_for_the_dataset_and_dry_run_says_so(tmp_path, capsys):
    from gankit.config import PRESET_DATASET_VALUES, PRESETS

    fashion = PRESET_DATASET_VALUES["cdcgan"]["fashion-mnist"]
    assert main(["train", "--preset", "cdcgan", "--dataset", "fashion-mnist", "--dry-run"]) == 0
    out = capsys.readouterr().out
    config = tomllib.loads(out)  # the note is a TOML comment
    assert all(config[key] == value for key, value in fashion.items())
    assert out.startswith("# preset cdcgan on fashion-mnist sets: ")
    assert all(f"{key} = {value}" in out.splitlines()[0] for key, value in fashion.items())

    assert main(["train", "--preset", "cdcgan", "--dry-run"]) == 0  # mnist: none of them
    out = capsys.readouterr().out
    mnist = tomllib.loads(out)
    assert not out.startswith("#") and (mnist["r1"], mnist["r1_every"]) == (
        PRESETS["cdcgan"]["r1"], PRESETS["cdcgan"]["r1_every"])

    file = tmp_path / "c.toml"  # the dataset may come from a config file, and flags still win
    file.write_text('dataset = "fashion-mnist"\n')
    assert main(["train", "--preset", "cdcgan", "--config", str(file), "--r1", "0.5",
                 "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert tomllib.loads(out)["r1"] == 0.5 and "(overridden: 0.5)" in out.splitlines()[0]
    assert resolve_config("cdcgan", overrides={"dataset": "fashion-mnist"}).r1 == fashion["r1"]


def test_train_help_says_what_every_preset_is_for(capsys):
    from gankit.config import PRESET_PURPOSES, PRESETS

    assert set(PRESET_PURPOSES) == set(PRESETS)
    with pytest.raises(SystemExit):
        main(["train", "--help"])

    def squeeze(text):  # argparse re-wraps lines, also after hyphens
        return "".join(text.split())

    help_text = squeeze(capsys.readouterr().out)
    assert all(squeeze(f"{name}: {purpose}") in help_text
               for name, purpose in PRESET_PURPOSES.items())


def test_every_setting_is_a_flag_with_the_help_its_field_gives(capsys):
    """--help is generated from Config, the one place each setting is described."""
    import dataclasses

    from gankit.config import Config

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = "".join(capsys.readouterr().out.split())  # argparse re-wraps, after hyphens too
    for field in dataclasses.fields(Config):
        flag = "--" + field.name.replace("_", "-")
        if field.metadata["flag"]:
            assert flag in help_text and "".join(field.metadata["help"].split()) in help_text
        elif field.name != "preset":  # --preset has its own flag, with the presets' purposes
            assert flag not in help_text


def test_help_and_usage_errors_answer_without_loading_torch():
    code = ("import sys, gankit.cli\n"
            "try:\n    gankit.cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "try:\n    gankit.cli.main(['train', '--bogus'])\nexcept SystemExit:\n    pass\n"
            "print('torch' in sys.modules)")
    result = run_process([sys.executable, "-c", code])
    assert result.stdout.splitlines()[-1] == "False", result.stderr


def test_declared_pillow_has_image_resampling():
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    [pillow] = [r for r in pyproject["project"]["dependencies"] if r.startswith("pillow")]
    minimum = tuple(int(part) for part in pillow.removeprefix("pillow>=").split("."))
    assert minimum >= (9, 1)  # Image.Resampling, which data.py uses, appeared in Pillow 9.1


@pytest.mark.parametrize("metrics, n, message", [
    ("precision", 3, "precision_recall needs at least 4 samples, got 3"),
    ("is", 9, "inception_score needs at least 10 samples, got 9"),
    ("fid", 1, "fid needs at least 2 samples, got 1"),
])
def test_evaluate_refuses_fewer_samples_than_a_metric_needs(tmp_path, capsys, metrics, n,
                                                            message):
    import numpy as np

    samples = tmp_path / "few.npz"
    np.savez(samples, images=np.zeros((n, 28, 28), np.uint8))
    assert main(["evaluate", str(samples), "--metrics", metrics]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    np.savez(samples, images=np.zeros((20, 28, 28), np.uint8))  # enough for any metric
    assert main(["evaluate", str(samples), "--metrics", metrics]) == 0


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    from tests.conftest import mnist_subset

    root = tmp_path_factory.mktemp("careless")
    data = mnist_subset(root / "data", 300, 100)
    assert main(["train", "--data-dir", str(data), "--run-dir", str(root / "run"),
                 "--max-steps", "4", "--batch-size", "32", "--device", "cpu", "--quiet"]) == 0
    (root / "precious.png").write_bytes(b"keep me")
    (root / "notes.npz").write_text("not an archive")
    return root


CARELESS = [  # (argv with {root} for the fixture's folder, what the one line must say)
    (["report", "{root}/run", "--out", "{root}/missing/r.html"], "folder {root}/missing does"),
    (["report", "{root}/run", "--out", "{root}/precious.png"], "must end in .html"),
    (["report", "{root}/nowhere"], "no such run dir"),
    (["train", "--resume", "{root}/run"], "already at step 4, the end of its 4 steps"),
    (["train", "--resume", "{root}/run", "--max-steps", "3"], "already at step 4"),
    (["train", "--resume", "{root}/run", "--max-steps", "6", "--run-dir", "{root}/elsewhere"],
     "cannot change run_dir when resuming"),
    (["evaluate", "{root}/run", "--n", "50", "--metrics", "label_accuracy"],
     "label_accuracy needs the classes"),
    (["evaluate", "{root}/notes.npz"], "not an .npz archive"),
    (["evaluate", "{root}/notes.npz", "--n", "5"], "an .npz brings its own"),
    (["sample", "{root}/run", "--out", "{root}/grid.jpg"], "must end in .png or .npz or .gif"),
    (["sample", "{root}/run/config.toml", "--out", "{root}/g.png"],
     "is not a loadable gankit checkpoint (it holds more than tensors"),
    (["train", "--config", "{root}/run"], "is a folder; give a .toml file"),
]


def test_evaluate_scores_an_unconditional_run_with_every_metric_that_applies(finished_run,
                                                                            capsys):
    capsys.readouterr()
    assert main(["evaluate", str(finished_run / "run"), "--n", "50", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert {"fid", "inception_score", "precision", "coverage", "parzen_ll"} <= set(results)
    assert "label_accuracy" not in results  # no labels to check, and no error for it


@pytest.mark.parametrize("argv, message", CARELESS)
def test_a_careless_user_gets_one_line_and_nothing_written(finished_run, capsys, argv, message):
    root = str(finished_run)
    before = {p: p.stat().st_mtime_ns for p in finished_run.rglob("*") if p.is_file()}
    assert main([part.format(root=root) for part in argv]) == 2
    err = capsys.readouterr().err
    assert message.format(root=root) in err and err.count("\n") == 1, err
    assert "weights_only" not in err
    after = {p: p.stat().st_mtime_ns for p in finished_run.rglob("*") if p.is_file()}
    assert after == before  # nothing written, nothing touched


def test_a_runs_own_config_toml_starts_a_new_run(finished_run, tmp_path, capsys):
    config = finished_run / "run" / "config.toml"
    capsys.readouterr()
    assert main(["train", "--config", str(config), "--dry-run"]) == 0
    printed = tomllib.loads(capsys.readouterr().out)
    assert printed["run_dir"] == ""  # not the run's own dir: a new one will be made
    assert printed["max_steps"] == 4 and printed["batch_size"] == 32  # the rest carries over


def test_a_reader_that_stops_reading_ends_gankit_quietly():
    """`gankit lab --list-scenarios | head -1`: once head has exited, the writes fail with
    EPIPE; gankit stops as other tools do (status 141), without an error line."""
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # a reader that has already gone
    try:
        ended = subprocess.run([sys.executable, "-m", "gankit", "lab", "--list-scenarios"],
                               stdout=write_end, stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(write_end)
    assert ended.stderr == b"" and ended.returncode == 141
