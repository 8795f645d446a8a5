"""Hostile input (issue #32): empty paths, NUL bytes, points files that are not real
numbers or too large to train on, seeds out of bounds, and `sample` asked for more than
memory or disk can take. Each is refused in one line on stderr, exit 2, with nothing
written; and a large `sample` writes its .npz a batch at a time, the same samples as at
once."""

import math

import numpy as np
import pytest
import torch

from gankit.cli import main
from gankit.config import FIELDS, Config
from gankit.errors import ConfigError
from gankit.training import train
from tests.conftest import mnist_subset


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
    ("empty.npy", lambda p: p.write_bytes(b""),
     "empty.npy is empty (0 bytes), so it holds no points: give a file of N x 2 numbers"),
    ("empty.npz", lambda p: p.write_bytes(b""),
     "empty.npz is empty (0 bytes), so it holds no points: give a file of N x 2 numbers"),
    ("empty.csv", lambda p: p.write_bytes(b""),
     "empty.csv is empty (0 bytes), so it holds no points: give a file of N x 2 numbers"),
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


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A tiny image run and a tiny lab run, each trained for one step."""
    root = tmp_path_factory.mktemp("runs")
    data = mnist_subset(root / "data", 100)
    train(Config(data_dir=str(data), run_dir=str(root / "image"), batch_size=50, max_steps=1,
                 device="cpu"), quiet=True)
    assert main(["lab", "--max-steps", "1", "--sample-every", "1", "--run-dir",
                 str(root / "lab"), "--quiet"]) == 0
    return root


@pytest.mark.parametrize("argv, message", [
    (["train", "--dataset", "folder:", "--max-steps", "1", "--run-dir", "run"],
     "dataset 'folder:' names no path: give folder:PATH"),
    (["lab", "--toy", "points:", "--run-dir", "run"],
     "dataset 'points:' names no path: give points:FILE"),
    (["train", "--data-dir", "", "--dry-run"], "--data-dir is empty: give a path"),
    (["train", "--run-dir", "", "--dry-run"], "--run-dir is empty: give a path"),
    (["lab", "--run-dir", "", "--dry-run"], "--run-dir is empty: give a path"),
    (["train", "--config", "", "--dry-run"], "--config is empty: give a path"),
    (["train", "--resume", "", "--max-steps", "1"], "--resume is empty: give a path"),
    (["sample", "{image}", "--out", ""], "--out is empty: give a path"),
    (["sample", "", "--out", "g.png"], "SOURCE is empty: give a path"),
    (["evaluate", "{image}", "--data-dir", "", "--n", "20"], "--data-dir is empty: give a path"),
    (["report", "{image}", "--out", ""], "--out is empty: give a path"),
    (["report", ""], "RUN_DIR is empty: give a path"),
    (["runs", ""], "DIR is empty: give a path"),
])
def test_an_empty_path_is_refused_not_taken_for_the_current_folder(runs, work, capsys, argv,
                                                                    message):
    (work / "photo.png").write_bytes(b"not read")  # what folder: would have trained on
    refused(capsys, [a.format(image=runs / "image") for a in argv], message)
    assert sorted(p.name for p in work.iterdir()) == ["photo.png"]


def test_an_empty_dataset_path_in_a_config_file_is_refused(work, capsys):
    (work / "c.toml").write_text('dataset = "folder:"\n')
    refused(capsys, ["train", "--config", "c.toml", "--run-dir", "run"],
            "dataset 'folder:' names no path")
    assert sorted(p.name for p in work.iterdir()) == ["c.toml"]


def test_a_config_files_empty_run_dir_and_data_dir_are_the_defaults(work, capsys):
    """What --dry-run prints (and a run's config.toml holds: data_dir = "") reads back
    as a config file: there an empty run_dir or data_dir is the default, as gankit
    writes it, not a path."""
    assert main(["train", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert 'run_dir = ""' in printed and 'data_dir = ""' in printed
    (work / "c.toml").write_text(printed)
    assert main(["train", "--config", "c.toml", "--dry-run"]) == 0
    assert capsys.readouterr().out == printed


@pytest.mark.parametrize("key", ["run_dir", "data_dir", "dataset"])
def test_a_nul_byte_in_a_config_files_path_is_refused(work, capsys, key):
    value = "folder:a\\u0000b" if key == "dataset" else "a\\u0000b"
    (work / "c.toml").write_text(f'{key} = "{value}"\n')
    refused(capsys, ["train", "--config", "c.toml", "--max-steps", "1"],
            "holds a NUL byte, which no path can hold: remove it from the path")
    assert sorted(p.name for p in work.iterdir()) == ["c.toml"]


def test_a_nul_byte_in_a_runs_own_config_toml_is_refused(runs, work, capsys):
    config = work / "config.toml"
    text = (runs / "image" / "config.toml").read_text()
    config.write_text(text.replace(f'run_dir = "{runs / "image"}"', 'run_dir = "x\\u0000y"'))
    refused(capsys, ["train", "--config", str(config), "--dry-run"],
            "run_dir 'x\\x00y' holds a NUL byte")


@pytest.mark.parametrize("argv, message", [
    (["sample", "{image}", "--out", "a\0b.npz"], "--out 'a\\x00b.npz' holds a NUL byte"),
    (["sample", "{image}\0", "--out", "a.npz"], "holds a NUL byte"),
    (["report", "{image}\0"], "RUN_DIR"),
    (["runs", "ru\0ns"], "DIR 'ru\\x00ns' holds a NUL byte"),
    (["train", "--config", "c\0.toml"], "--config 'c\\x00.toml' holds a NUL byte"),
    (["train", "--run-dir", "r\0", "--dry-run"], "holds a NUL byte"),
])
def test_a_nul_byte_in_a_path_argument_is_refused(runs, work, capsys, argv, message):
    refused(capsys, [a.format(image=runs / "image") for a in argv], message)
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("argv", [
    ["lab", "--max-steps", "1", "--run-dir", "dang", "--quiet"],
    ["train", "--run-dir", "dang", "--dry-run"],
    ["sample", "{image}", "--out", "dang"],
    ["report", "dang"],
])
def test_a_dangling_link_as_a_path_is_refused_by_name(runs, work, capsys, argv):
    """A symbolic link to nothing is named with its missing target, not reported as
    'cannot write dang: File exists'."""
    (work / "dang").symlink_to("missing")
    refused(capsys, [a.format(image=runs / "image") for a in argv],
            "dang is a symbolic link to missing, which does not exist: remove the link or "
            "create missing")
    assert [p.name for p in work.iterdir()] == ["dang"]


def test_no_float_setting_accepts_nan_or_infinity():
    from gankit.config import _within, check_setting

    for name, field in FIELDS.items():
        default = getattr(Config(), name)
        if isinstance(default, list):
            default = default[0]
        if not isinstance(default, float):
            continue
        for value in (math.nan, math.inf, -math.inf):
            assert not _within(value, field.metadata), (name, value)
            with pytest.raises(ConfigError):
                check_setting(name, value)
    assert not _within(math.inf, {"minimum": 0.0, "maximum": None, "below": None})
    assert not _within(math.nan, {"minimum": None, "maximum": None, "below": None})


@pytest.mark.parametrize("seed", ["-1", "4294967296", "99999999999999999999"])
def test_every_command_bounds_the_seed_alike(runs, work, capsys, seed):
    said = refused(capsys, ["train", "--seed", seed, "--dry-run"], "seed must be between 0 and")
    for argv in (["lab", "--seed", seed, "--dry-run"],
                 ["sample", str(runs / "image"), "--seed", seed, "--out", "g.npz"],
                 ["sample", str(runs / "lab"), "--seed", seed, "--out", "p.npz"],
                 ["evaluate", str(runs / "image"), "--seed", seed, "--n", "10"],
                 ["evaluate", str(runs / "lab"), "--seed", seed, "--n", "10"]):
        assert refused(capsys, argv, "seed must be between") == said
    assert list(work.iterdir()) == []
    assert main(["sample", str(runs / "image"), "--seed", str(2**32 - 1), "--n", "2",
                 "--out", "g.npz"]) == 0


@pytest.fixture
def little_room(monkeypatch):
    """A machine with 1 MB of memory and 1 MB of disk free, whatever this one has."""
    import gankit.sample

    monkeypatch.setattr(gankit.sample, "available_memory", lambda: 10**6)
    monkeypatch.setattr(gankit.sample, "free_disk", lambda folder: 10**6)


@pytest.mark.parametrize("files, expected", [
    ({"memory.max": "100000000\n", "memory.current": "90000000\n",
      "memory.stat": "anon 40000000\nfile 50000000\ninactive_file 30000000\n"}, 40_000_000),
    ({"memory.max": "100000000\n", "memory.current": "90000000\n"}, 10_000_000),
    ({"memory.max": "max\n", "memory.current": "90000000\n",
      "memory.stat": "inactive_file 30000000\n"}, None),
])
def test_a_cgroups_page_cache_counts_as_available(tmp_path, monkeypatch, files, expected):
    """Within a cgroup's limit, what is available is the limit less what is used, the
    page cache the kernel reclaims first (memory.stat's inactive_file) not counted."""
    import gankit.sample

    for name, text in files.items():
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(gankit.sample, "CGROUP", tmp_path / "none")
    machine = gankit.sample.available_memory()
    monkeypatch.setattr(gankit.sample, "CGROUP", tmp_path)
    assert gankit.sample.available_memory() == (machine if expected is None
                                                 else min(machine, expected))


@pytest.mark.parametrize("argv, message", [
    (["{image}", "--n", "100000000000", "--out", "a.npz"],
     "a.npz would take up to 78.4 TB on disk, more than the 1.0 MB free there"),
    (["{lab}", "--n", "100000000000", "--out", "a.npz"],
     "a.npz would take up to 800.0 GB on disk, more than the 1.0 MB free there"),
    (["{image}", "--n", "2000", "--out", "a.npz"], "would take up to 1.6 MB on disk"),
    (["{image}", "--n", "400", "--out", "grid.png"],
     "a grid of 400 images would need about 1.0 MB of memory, more than the 1.0 MB "
     "available: draw fewer, or write them to an .npz or a folder"),
    (["{lab}", "--n", "10000", "--out", "a.png"],
     "a scatter of 10,000 points would need about 1.4 MB of memory"),
    (["{image}", "--n", "4", "--interpolate", "100000000", "--out", "a.gif"],
     "1,200,000,000 frames of 4 images each would need about 14.0 TB of memory, more than "
     "the 1.0 MB available: ask for fewer with --n or --interpolate"),
    (["{image}", "--n", "100000000", "--interpolate", "2", "--out", "a.gif"],
     "24 frames of 100,000,000 images each would need about"),
    (["{image}", "--n", "2000", "--out", "digits"], "digits would take up to"),
])
def test_sample_refuses_from_an_estimate_what_would_not_fit(runs, work, capsys, little_room,
                                                            argv, message):
    refused(capsys, ["sample", *(a.format(image=runs / "image", lab=runs / "lab")
                                 for a in argv)], message)
    assert list(work.iterdir()) == []


def test_sample_refuses_more_files_than_the_file_system_holds(runs, work, capsys, monkeypatch):
    import types

    import gankit.sample

    monkeypatch.setattr(gankit.sample, "_file_system", lambda folder: types.SimpleNamespace(
        f_frsize=4096, f_files=1000, f_favail=10))
    refused(capsys, ["sample", str(runs / "image"), "--n", "11", "--out", "digits"],
            "digits would hold 11 files, more than the 10 that its file system can still hold")
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("source", ["image", "lab"])
def test_evaluate_refuses_more_samples_than_memory_holds(runs, work, capsys, little_room,
                                                         source):
    refused(capsys, ["evaluate", str(runs / source), "--n", "100000000000"],
            "--n 100,000,000,000 samples would need at least")


def test_the_estimates_speak_french(runs, work, capsys, little_room):
    from gankit.language import set_language

    set_language("fr")
    try:
        capsys.readouterr()
        assert main(["sample", str(runs / "image"), "--n", "100000000000", "--out",
                     "a.npz"]) == 2
    finally:
        set_language("en")
    assert capsys.readouterr().err == (
        "gankit\u00a0: erreur\u00a0: a.npz occuperait jusqu'à 78,4\u00a0To sur le disque, "
        "plus que les 1,0\u00a0Mo qui y sont libres\u00a0: tirez-en moins, ou libérez de la "
        "place\n")


def test_a_batch_at_a_time_writes_what_one_draw_does(runs, work, monkeypatch):
    """Today's samples, to the bit: the noise of one draw, generated 1,000 at a time."""
    from gankit.images import to_uint8
    from gankit.models import generate
    from gankit.sample import load_generator

    generator, _ = load_generator(runs / "image")
    noise = torch.randn(30, generator.latent_dim, generator=torch.Generator().manual_seed(5))
    expected = to_uint8(generate(generator, noise, None))[..., 0]
    assert main(["sample", str(runs / "image"), "--n", "30", "--seed", "5", "--out",
                 "a.npz"]) == 0
    with np.load("a.npz") as archive:
        assert np.array_equal(archive["images"], expected)
    lab, _ = load_generator(runs / "lab")
    noise = torch.randn(30, lab.latent_dim, generator=torch.Generator().manual_seed(5))
    assert main(["sample", str(runs / "lab"), "--n", "30", "--seed", "5", "--out",
                 "p.npz"]) == 0
    with np.load("p.npz") as archive:
        assert np.array_equal(archive["points"], generate(lab, noise).numpy())


def test_small_batches_and_noise_blocks_write_the_same_samples_as_in_memory(runs, work,
                                                                           monkeypatch):
    """Drawn 7 at a time, `sample` writes what one pass over one draw of all the noise
    gives; with the noise drawn 3 vectors at a time too, what one pass over those draws
    gives. The references are computed here, as the unbatched code did."""
    from PIL import Image

    import gankit.sample
    from gankit.images import to_uint8
    from gankit.models import generate
    from gankit.sample import load_generator

    generator, _ = load_generator(runs / "image")
    lab, _ = load_generator(runs / "lab")

    def drawn(g, values):  # 30 fakes from noise drawn `values` numbers at a time
        rng, block = torch.Generator().manual_seed(5), max(1, values // g.latent_dim)
        noise = torch.cat([torch.randn(min(block, 30 - i), g.latent_dim, generator=rng)
                           for i in range(0, 30, block)])
        return generate(g, noise)

    monkeypatch.setattr(gankit.sample, "IMAGE_BATCH", 7)
    monkeypatch.setattr(gankit.sample, "POINT_BATCH", 7)
    for values in (gankit.sample.NOISE_VALUES, 3 * generator.latent_dim):
        monkeypatch.setattr(gankit.sample, "NOISE_VALUES", values)
        images, points = to_uint8(drawn(generator, values))[..., 0], drawn(lab, values)
        for out in (f"a{values}.npz", f"digits{values}"):
            assert main(["sample", str(runs / "image"), "--n", "30", "--seed", "5", "--out",
                         out]) == 0
        assert main(["sample", str(runs / "lab"), "--n", "30", "--seed", "5", "--out",
                     f"p{values}.npz"]) == 0
        with np.load(f"a{values}.npz") as archive:
            assert set(archive) == {"images"}
            assert np.array_equal(archive["images"], images)
        with np.load(f"p{values}.npz") as archive:
            assert np.allclose(archive["points"], points.numpy(), atol=1e-6)
        for i in (0, 6, 7, 29):
            with Image.open(work / f"digits{values}" / f"{i:06d}.png") as png:
                assert np.array_equal(np.asarray(png), images[i])
        assert len(list((work / f"digits{values}").iterdir())) == 30


def test_evaluate_measures_the_points_that_sample_writes(runs, work, monkeypatch):
    """`gankit evaluate` on a lab run draws its points as `gankit sample` does, a batch
    at a time from the same noise stream: the same points for the same --seed."""
    import gankit.sample
    from gankit.gan_lab import sample_points
    from gankit.sample import load_generator

    lab, _ = load_generator(runs / "lab")
    monkeypatch.setattr(gankit.sample, "POINT_BATCH", 7)
    monkeypatch.setattr(gankit.sample, "NOISE_VALUES", 3 * lab.latent_dim)
    assert main(["sample", str(runs / "lab"), "--n", "30", "--seed", "5", "--out",
                 "p.npz"]) == 0
    with np.load("p.npz") as archive:
        assert np.array_equal(sample_points(lab, 30, seed=5), archive["points"])


def test_labels_are_written_a_batch_at_a_time_too(work):
    """A conditional generator's classes go to 'labels' beside the images, batch by batch,
    each class in turn or the one asked for."""
    from gankit.models import build_models
    from gankit.sample import label_batches, sample_batches, write_image_batches

    config = Config(conditional=True, num_classes=10)
    generator, _ = build_models(config, (1, 28, 28))
    generator.eval()
    for label, expected in ((None, np.arange(23) % 10), (3, np.full(23, 3))):
        write_image_batches(sample_batches(generator, 23, 1, label, batch_size=4), work / "c.npz",
                            23, (28, 28, 1), label_batches(generator, 23, label, batch_size=4))
        with np.load(work / "c.npz") as archive:
            assert np.array_equal(archive["labels"], expected)
            assert archive["images"].shape == (23, 28, 28)
        (work / "c.npz").unlink()


def test_a_failed_batch_leaves_nothing(runs, work, monkeypatch, capsys):
    """A write that stops midway (here: the generator fails at the third batch) leaves
    neither the .npz nor its temporary file."""
    import gankit.sample

    real = gankit.sample.generate
    calls = []

    def failing(*args):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(*args)

    monkeypatch.setattr(gankit.sample, "IMAGE_BATCH", 5)
    monkeypatch.setattr(gankit.sample, "generate", failing)
    assert main(["sample", str(runs / "image"), "--n", "30", "--out", "a.npz"]) == 1
    assert list(work.iterdir()) == []
