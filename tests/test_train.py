import dataclasses
import json
import tomllib

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from gankit.config import PRESETS, Config
from gankit.losses import get_loss
from gankit.models import build_models
from gankit.resolve import config_from_dict
from gankit.steps import Networks, discriminator_step, generator_step, make_optimizer
from gankit.training import train
from tests.conftest import GANKIT
from tests.conftest import run as run_process


def snapshot(module):
    return {name: p.detach().clone() for name, p in module.named_parameters()}


def changed(before, module):
    return all(not torch.equal(before[name], p) for name, p in module.named_parameters())


def unchanged(before, module):
    return all(torch.equal(before[name], p) for name, p in module.named_parameters())


def test_one_step_trains_d_then_g_without_leaking_gradients():
    torch.manual_seed(0)
    generator, discriminator = build_models(Config(), (1, 28, 28))
    opt_g = torch.optim.Adam(generator.parameters(), 2e-4)
    opt_d = torch.optim.Adam(discriminator.parameters(), 2e-4)
    loss = get_loss("nonsaturating")
    real = torch.rand(16, 1, 28, 28) * 2 - 1
    g0, d0 = snapshot(generator), snapshot(discriminator)
    nets = Networks(generator, discriminator)

    d = discriminator_step(nets, opt_d, loss, real)
    assert set(d) == {"d_loss", "d_x", "d_g_z"} and 0 < d["d_x"] < 1 and 0 < d["d_g_z"] < 1
    assert changed(d0, discriminator)
    assert unchanged(g0, generator)
    assert all(p.grad is None for p in generator.parameters())  # fake was detached

    d1 = snapshot(discriminator)
    d_grads = {n: p.grad.clone() for n, p in discriminator.named_parameters()}
    generator_step(nets, opt_g, loss, 16)
    assert changed(g0, generator)
    assert unchanged(d1, discriminator)
    assert all(torch.equal(p.grad, d_grads[n]) for n, p in discriminator.named_parameters())
    assert all(p.requires_grad for p in discriminator.parameters())


def short_config(tmp_path, data_dir, **changes) -> Config:
    values = dict(data_dir=str(data_dir), run_dir=str(tmp_path / "run"), batch_size=32,
                  log_every=5, max_steps=12, device="cpu")
    return Config(**(values | changes))


def test_train_is_deterministic_for_a_seed(tmp_path, tiny_mnist):
    a = train(short_config(tmp_path / "a", tiny_mnist), quiet=True)
    b = train(short_config(tmp_path / "b", tiny_mnist), quiet=True)
    wa, wb = load_file(a / "generator.safetensors"), load_file(b / "generator.safetensors")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_epoch_ends_leave_grids_and_checkpoints(tmp_path, tiny_mnist):
    # 300 images in batches of 32: 10 batches an epoch, the last one partial.
    run = train(short_config(tmp_path, tiny_mnist, max_steps=0, epochs=2, sample_every=4,
                             keep_checkpoints=1), quiet=True)
    assert sorted(p.name for p in (run / "samples").glob("step_*.png")) == [
        f"step_{s:07d}.png" for s in (4, 8, 10, 12, 16, 20)]
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["epoch_001.pt", "last.pt"]
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert {"format", "generator", "discriminator", "config", "world_size",
            "training"} <= set(state)
    assert {"step", "optimizer_g", "optimizer_d", "rng", "best_fid", "time_s"} <= set(
        state["training"])
    assert state["training"]["step"] == 20
    assert config_from_dict(state["config"]).run_dir == str(run)
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [(e["epoch"], e["batch"]) for e in logged[:-1]] == [(0, 0), (0, 5), (1, 0), (1, 5)]
    assert logged[-1]["event"] == "end" and logged[-1]["step"] == 20
    assert logged[-1]["steps_per_s"] > 0


def test_cli_train_max_steps_writes_only_its_run_dir(tmp_path):
    result = run_process([*GANKIT, "train", "--max-steps", "20", "--log-every", "10",
                          "--device", "cpu"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Epoch: [0/50], Batch Num: [10/469]" in lines
    status = lines[lines.index("Epoch: [0/50], Batch Num: [10/469]") + 1:][:2]
    assert status[0].startswith("Discriminator Loss: ") and ", Generator Loss: " in status[0]
    assert status[1].startswith("D(x): ") and ", D(G(z)): " in status[1]

    assert [p.name for p in tmp_path.iterdir()] == ["runs"]
    [run] = list((tmp_path / "runs").iterdir())
    assert run.name.startswith("seed-mnist-")
    assert list((run / "tb").glob("events.out.tfevents.*"))
    assert sorted(p.name for p in (run / "samples").iterdir()) == [
        "evolution.gif", "step_0000020.png"]
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert state["training"]["step"] == 20
    config = tomllib.loads((run / "config.toml").read_text())
    assert config["run_dir"] == str(run.relative_to(tmp_path)) and config["batch_size"] == 128
    weights = load_file(run / "generator.safetensors")
    assert sum(w.numel() for w in weights.values()) == 1_486_352
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 3  # batches 0, 10; the end


@pytest.mark.parametrize("channels", [1, 3])
def test_image_folder_dataset_trains(tmp_path, channels):
    from PIL import Image

    rng = np.random.default_rng(0)
    images = tmp_path / "faces"
    images.mkdir()
    for i in range(12):
        Image.fromarray(rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(images / f"{i}.png")
    config = Config(dataset=f"folder:{images}", image_size=16, channels=channels, batch_size=4,
                    max_steps=5, run_dir=str(tmp_path / "run"), device="cpu", grid_size=9)
    run = train(config, quiet=True)
    from PIL import Image as PILImage

    with PILImage.open(run / "samples" / "step_0000003.png") as grid:  # 3 batches = 1 epoch
        assert grid.size == (3 * 18 + 2, 3 * 18 + 2)
        assert grid.mode == ("L" if channels == 1 else "RGB")


def test_bf16_steps_compute_in_bf16():
    torch.manual_seed(0)
    generator, discriminator = build_models(Config(), (1, 28, 28))
    nets = Networks(generator, discriminator)
    seen = []
    for layer in (generator.net[0], discriminator.net[1]):
        layer.register_forward_hook(lambda module, inputs, output: seen.append(output.dtype))
    opt_g, opt_d = (torch.optim.Adam(m.parameters()) for m in (generator, discriminator))
    loss = get_loss("nonsaturating")
    discriminator_step(nets, opt_d, loss, torch.rand(8, 1, 28, 28) * 2 - 1, precision="bf16")
    generator_step(nets, opt_g, loss, 8, precision="bf16")
    assert seen == [torch.bfloat16] * 4  # G and D in the D step, then in the G step
    assert all(p.dtype == torch.float32 for p in generator.parameters())


def test_bf16_autocast_trains(tmp_path, tiny_mnist):
    runs = {precision: train(short_config(tmp_path / precision, tiny_mnist, precision=precision),
                             quiet=True) for precision in ("fp32", "bf16")}
    losses = {}
    for precision, run in runs.items():
        logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        losses[precision] = np.array([[e["d_loss"], e["g_loss"]] for e in logged if "d_loss" in e])
    assert np.isfinite(losses["bf16"]).all()
    # The same seed and data: bf16's rounding alone moves the losses, a little.
    assert not np.array_equal(losses["bf16"], losses["fp32"])
    np.testing.assert_allclose(losses["bf16"][0], losses["fp32"][0], rtol=0.05)
    weights = load_file(runs["bf16"] / "generator.safetensors")
    assert all(w.dtype == torch.float32 for w in weights.values())  # master weights stay fp32


def test_dcgan_with_ema_trains_and_samples_ema_by_default(tmp_path, tiny_mnist):
    from gankit.sample import load_generator, sample_images

    config = short_config(tmp_path, tiny_mnist, arch="dcgan", base_width=8, ema_decay=0.9,
                          loss="hinge")
    run = train(config, quiet=True)
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert set(state["ema"]) == set(state["generator"])
    # The warm-up decay makes the average trail the live weights, not copy them.
    assert not all(torch.equal(state["ema"][k], state["generator"][k]) for k in state["ema"])
    ema, _ = load_generator(run)
    raw, _ = load_generator(run, raw=True)
    from_ema = load_file(run / "generator.safetensors")
    assert all(torch.equal(from_ema[k], state["ema"][k]) for k in from_ema)
    assert not np.array_equal(sample_images(ema, 4), sample_images(raw, 4))
    # The exported EMA carries BatchNorm statistics of its own weights, not the live G's.
    from gankit.models import recompute_batchnorm

    recompute_batchnorm(ema, seed=config.seed)
    assert all(torch.equal(from_ema[k], v) for k, v in ema.state_dict().items())
    assert not torch.equal(from_ema["net.2.running_mean"], state["generator"]["net.2.running_mean"])


def test_ema_warm_up_follows_early_weights():
    from gankit.ema import EMA

    live = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(live.weight)
    ema = EMA(live, decay=0.999)
    torch.nn.init.ones_(live.weight)
    ema.update(live)  # decay min(0.999, 1/10) = 0.1: mostly the new weights
    assert ema.model.weight.item() == pytest.approx(0.9)


def test_ema_warm_up_counts_generator_updates_not_critic_steps(tmp_path, tiny_mnist):
    # Five D steps, one G step: the EMA has seen one update, so its decay is 1/10.
    config = short_config(tmp_path, tiny_mnist, loss="wgan-gp", n_critic=5, max_steps=5,
                          ema_decay=0.999)
    run = train(config, quiet=True)
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    torch.manual_seed(config.seed)
    initial, _ = build_models(config, (1, 28, 28))
    for name, start in initial.state_dict().items():
        expected = torch.lerp(start, state["generator"][name], 0.9)
        torch.testing.assert_close(state["ema"][name], expected)


@pytest.mark.parametrize("loss, outputs, labels", [
    ("nonsaturating", ("d_x", "d_g_z"), "D(x): "),
    ("hinge", ("critic_x", "critic_g_z"), "mean critic(x): "),
])
def test_status_lines_name_what_d_outputs(tmp_path, tiny_mnist, capsys, loss, outputs, labels):
    run = train(short_config(tmp_path, tiny_mnist, loss=loss, max_steps=3, log_every=1))
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith(labels) for line in lines)
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    logged = [r for r in records if "d_loss" in r]
    assert all(set(outputs) <= set(r) for r in logged)
    if loss == "nonsaturating":  # probabilities
        assert all(0 < r["d_x"] < 1 and 0 < r["d_g_z"] < 1 for r in logged)
    assert ("mean critic(x)" in (run / "report.html").read_text()) == (loss == "hinge")


def test_wgan_gp_with_n_critic_steps_g_every_nth_batch(tmp_path, tiny_mnist):
    config = short_config(tmp_path, tiny_mnist, loss="wgan-gp", n_critic=3, max_steps=9,
                          log_every=1, r1=1.0)
    run = train(config, quiet=True)
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    g_losses = [e["g_loss"] for e in logged if "g_loss" in e]
    assert g_losses[:2] == [0.0, 0.0]  # no G step before the third D step
    assert g_losses[2] != 0.0 and g_losses[3] == g_losses[2] == g_losses[4]


def test_conditional_training_and_sampling_by_label(tmp_path, tiny_mnist, capsys):
    from gankit.cli import main

    config = short_config(tmp_path, tiny_mnist, conditional=True, arch="dcgan", base_width=8,
                          grid_size=20)
    run = train(config, quiet=True)
    assert config_from_dict(torch.load(run / "checkpoints" / "last.pt",
                                       weights_only=True)["config"]).num_classes == 10
    npz = tmp_path / "sevens.npz"
    assert main(["sample", str(run), "--n", "6", "--label", "7", "--out", str(npz)]) == 0
    with np.load(npz) as archive:
        assert archive["images"].shape == (6, 28, 28) and archive["labels"].tolist() == [7] * 6
    assert main(["sample", str(run), "--label", "12", "--out", str(tmp_path / "x.png")]) == 2
    assert "labels must be in 0..9" in capsys.readouterr().err
    plain = train(short_config(tmp_path / "plain", tiny_mnist), quiet=True)
    assert main(["sample", str(plain), "--label", "3", "--out", str(tmp_path / "y.png")]) == 2
    assert "needs a conditional generator" in capsys.readouterr().err


def test_a_conditional_custom_loop_is_told_to_set_num_classes(tiny_mnist):
    import dataclasses

    import gankit
    from gankit.errors import ConfigError

    config = Config(conditional=True, arch="dcgan", base_width=8, data_dir=str(tiny_mnist),
                    device="cpu")
    data = gankit.load_dataset("mnist", data_dir=config.data_dir)
    with pytest.raises(ConfigError, match="needs num_classes, which comes from the data"):
        gankit.build_models(config, data.image_shape)
    wrong = dataclasses.replace(config, num_classes=12)
    generator, discriminator = gankit.build_models(wrong, data.image_shape)
    with pytest.raises(ConfigError, match="num_classes is 12 but the data has 10 classes"):
        gankit.Run(wrong, data, generator, discriminator,
                   *(gankit.make_optimizer(m, wrong) for m in (generator, discriminator)))


def test_a_d_step_without_the_labels_a_conditional_gan_needs_says_so():
    import dataclasses

    from gankit.errors import ConfigError

    config = dataclasses.replace(Config(arch="dcgan", base_width=8, conditional=True),
                                 num_classes=10)
    generator, discriminator = build_models(config, (1, 28, 28))
    real = torch.rand(4, 1, 28, 28) * 2 - 1
    opt_d = torch.optim.Adam(discriminator.parameters())
    with pytest.raises(ConfigError, match="needs the real images' labels"):
        discriminator_step(Networks(generator, discriminator), opt_d, get_loss("hinge"), real)


def test_the_auxiliary_classifier_teaches_d_the_classes_and_g_to_draw_them(tiny_mnist):
    from gankit.kinds import load_dataset

    data = load_dataset("mnist", "train", str(tiny_mnist))
    real, labels = data.images[:64].float() / 127.5 - 1, data.labels[:64]
    config = Config(arch="dcgan", base_width=8, conditional=True, num_classes=10,
                    aux_classifier=1.0, lr=1e-3)
    torch.manual_seed(0)
    generator, discriminator = build_models(config, (1, 28, 28))
    nets, loss = Networks(generator, discriminator), get_loss("nonsaturating")
    opt_d, opt_g = make_optimizer(discriminator, config), make_optimizer(generator, config)

    def accuracy(images, classes):  # of D's class head
        with torch.no_grad():
            return (discriminator(images, classes, with_classes=True)[1].argmax(1) == classes
                    ).float().mean().item()

    for _ in range(60):
        discriminator_step(nets, opt_d, loss, real, labels, aux_classifier=1.0)
    assert accuracy(real, labels) > 0.9  # chance: 0.1
    drawn = torch.arange(64) % 10
    noise = torch.randn(64, 100)
    before = accuracy(generator(noise, drawn), drawn)
    for _ in range(40):
        generator_step(nets, opt_g, loss, 64, aux_classifier=1.0)
    assert accuracy(generator(noise, drawn), drawn) > before + 0.4


@pytest.mark.parametrize("head, weight, message", [
    (True, 0.0, "has a class head: pass aux_classifier"),
    (False, 1.0, "has no class head"),
])
def test_a_step_whose_aux_weight_does_not_match_d_says_so(head, weight, message):
    from gankit.errors import ConfigError

    config = Config(arch="dcgan", base_width=8, conditional=True, num_classes=10,
                    aux_classifier=float(head))
    generator, discriminator = build_models(config, (1, 28, 28))
    nets, loss = Networks(generator, discriminator), get_loss("nonsaturating")
    real, labels = torch.rand(4, 1, 28, 28) * 2 - 1, torch.arange(4)
    with pytest.raises(ConfigError, match=message):
        discriminator_step(nets, make_optimizer(discriminator, config), loss, real, labels,
                           aux_classifier=weight)
    with pytest.raises(ConfigError, match=message):
        generator_step(nets, make_optimizer(generator, config), loss, 4, aux_classifier=weight)


def test_the_auxiliary_classifier_needs_classes(capsys):
    from gankit.cli import main

    assert main(["train", "--arch", "dcgan", "--aux-classifier", "1", "--dry-run"]) == 2
    assert "--aux-classifier needs classes to learn" in capsys.readouterr().err


def test_the_notebook_display_outside_a_kernel_is_refused(tmp_path, tiny_mnist):
    from gankit.errors import ConfigError

    with pytest.raises(ConfigError, match="needs a Jupyter kernel"):
        train(short_config(tmp_path, tiny_mnist), display="notebook")
    assert not (tmp_path / "run").exists()


def test_conditional_needs_labels(tmp_path):
    from PIL import Image

    from gankit.errors import ConfigError

    (tmp_path / "imgs").mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "imgs" / "a.png")
    config = Config(dataset=f"folder:{tmp_path / 'imgs'}", conditional=True, device="cpu",
                    run_dir=str(tmp_path / "run"))
    with pytest.raises(ConfigError, match="needs a labelled dataset"):
        train(config, quiet=True)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_trains_and_samples(tmp_path, tiny_mnist, preset):
    from gankit.resolve import resolve_config
    from gankit.sample import load_generator, sample_images

    overrides = dict(data_dir=str(tiny_mnist), run_dir=str(tmp_path / "run"), batch_size=32,
                     max_steps=4, device="cpu")
    run = train(resolve_config(preset, overrides=overrides), quiet=True)
    generator, config = load_generator(run)
    assert config.preset == preset
    assert all(getattr(config, key) == value for key, value in PRESETS[preset].items()
               if key not in overrides)
    if preset == "lab":  # 2-D points, not images
        from gankit.gan_lab import sample_points

        points = sample_points(generator, 20)
        assert points.shape == (20, 2) and points.std() > 0
        return
    images = sample_images(generator, 20)
    assert images.shape == (20, 28, 28, 1) and images.std() > 0


def test_compile_trains_like_eager(tmp_path, tiny_mnist):
    # Without dropout, whose random masks differ between eager and compiled kernels.
    eager = train(short_config(tmp_path / "eager", tiny_mnist, dropout=0.0, max_steps=3),
                  quiet=True)
    compiled = train(short_config(tmp_path / "compiled", tiny_mnist, dropout=0.0, max_steps=3,
                                  compile=True), quiet=True)
    a, b = (load_file(run / "generator.safetensors") for run in (eager, compiled))
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=1e-3, atol=1e-5)


def test_linear_lr_schedule_falls_to_zero_at_the_end_of_the_epochs(tmp_path, tiny_mnist):
    # 300 images in batches of 32: 10 batches an epoch, 20 steps in all.
    config = short_config(tmp_path, tiny_mnist, lr=1e-3, lr_schedule="linear", epochs=2,
                          max_steps=0)
    run = train(config, quiet=True)
    saved = torch.load(run / "checkpoints" / "last.pt", weights_only=False)
    # The last step (progress 19/20) ran at lr / 20, for both networks.
    assert saved["training"]["optimizer_g"]["param_groups"][0]["lr"] == pytest.approx(1e-3 / 20)
    assert saved["training"]["optimizer_d"]["param_groups"][0]["lr"] == pytest.approx(1e-3 / 20)
    stopped = train(dataclasses.replace(config, max_steps=5, run_dir=str(tmp_path / "short")),
                    quiet=True)
    saved = torch.load(stopped / "checkpoints" / "last.pt", weights_only=False)
    assert saved["training"]["optimizer_g"]["param_groups"][0]["lr"] == pytest.approx(
        1e-3 * 16 / 20)


def test_lazy_r1_weights_every_nth_d_step(tmp_path, tiny_mnist):
    from gankit.kinds import load_dataset
    from gankit.run import Run
    from gankit.steps import make_optimizer

    config = short_config(tmp_path, tiny_mnist, r1=0.5, r1_every=4, max_steps=9)
    data = load_dataset("mnist", "train", str(tiny_mnist))
    generator, discriminator = build_models(config, data.image_shape)
    weights = []
    with Run(config, data, generator, discriminator, make_optimizer(generator, config),
             make_optimizer(discriminator, config), quiet=True) as run:
        for real, _ in run.batches():
            weights.append(run.r1_weight)
            d = discriminator_step(run.nets, run.opt_d, get_loss("nonsaturating"), real,
                                   r1=run.r1_weight)
            run.log(d, None)
    assert weights == [2.0, 0, 0, 0, 2.0, 0, 0, 0, 2.0]


def test_a_run_never_entered_holds_no_open_file_or_writer_thread(tmp_path, tiny_mnist,
                                                                 monkeypatch):
    """A notebook cell that builds a Run and fails before its `with` leaks nothing but
    the run dir's lock, which it holds until the Run ends or is deleted."""
    import os
    import threading

    import tqdm

    from gankit.errors import GankitError
    from gankit.kinds import load_dataset
    from gankit.run import Run
    from gankit.steps import make_optimizer

    monkeypatch.setattr(tqdm.tqdm, "monitor_interval", 0)  # tqdm's own lasting thread
    config = short_config(tmp_path, tiny_mnist, max_steps=2)
    data = load_dataset("mnist", "train", str(tiny_mnist))
    generator, discriminator = build_models(config, data.image_shape)
    threads, files = set(threading.enumerate()), len(os.listdir("/proc/self/fd"))
    run = Run(config, data, generator, discriminator, make_optimizer(generator, config),
              make_optimizer(discriminator, config), quiet=True)
    with pytest.raises(GankitError, match="use the run as a context manager"):
        next(run.batches())
    assert set(threading.enumerate()) == threads
    assert os.readlink(f"/proc/self/fd/{run.lock.descriptor}") == str(run.dir.lock)
    assert len(os.listdir("/proc/self/fd")) == files + 1
    with run:  # entering opens them, leaving closes them, and the lock
        for real, _ in run.batches():
            run.log(discriminator_step(run.nets, run.opt_d, get_loss("nonsaturating"), real))
    assert set(threading.enumerate()) == threads and len(os.listdir("/proc/self/fd")) == files
    assert (run.dir.root / "metrics.jsonl").read_text().count('"event": "end"') == 1


def test_the_run_time_counts_the_k_means_before_the_loop(tmp_path, tiny_mnist, monkeypatch):
    import time

    from gankit import training
    from gankit.clusters import cluster_images

    # The k-means "takes" 1000 s: the run's clock jumps by that while it runs, so the
    # test reads the run's accounting, never how fast this machine is.
    skipped, perf_counter = [0.0], time.perf_counter
    monkeypatch.setattr(time, "perf_counter", lambda: perf_counter() + skipped[0])

    def slow_k_means(*args):
        skipped[0] += 1000.0
        return cluster_images(*args)

    monkeypatch.setattr(training, "cluster_images", slow_k_means)
    run = train(short_config(tmp_path, tiny_mnist, arch="dcgan", base_width=8, clusters=5,
                             max_steps=3), quiet=True)
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    end = records[-1]
    assert end["event"] == "end" and end["setup_time_s"] >= 1000.0
    loop = end["step"] / end["steps_per_s"]
    assert end["train_time_s"] == pytest.approx(end["setup_time_s"] + loop, rel=1e-6)
    status = [r["time_s"] for r in records if "d_loss" in r]  # after the k-means, before the end
    assert status and all(end["setup_time_s"] <= s <= end["train_time_s"] for s in status)


def test_r1_moves_the_weights_but_not_the_d_loss_reported():
    """Lazy R1 weighs 16 times on one step in 16: in the logged loss it would spike."""
    results, weights = [], []
    for r1 in (0.0, 100.0):
        torch.manual_seed(0)
        generator, discriminator = build_models(Config(arch="dcgan", base_width=8),
                                                (1, 28, 28))
        opt_d = torch.optim.Adam(discriminator.parameters(), 1e-3)
        real = torch.rand(8, 1, 28, 28) * 2 - 1
        results.append(discriminator_step(Networks(generator, discriminator), opt_d,
                                          get_loss("nonsaturating"), real, r1=r1))
        weights.append(snapshot(discriminator))
    assert results[0]["d_loss"] == results[1]["d_loss"]
    assert any(not torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def test_k_means_distances_are_the_squared_differences():
    from gankit.clusters import squared_distances

    points = torch.rand(64, 784, generator=torch.Generator().manual_seed(0))
    centre = points[5]
    distances = squared_distances(points, points.square().sum(1), centre)
    torch.testing.assert_close(distances, (points - centre).square().sum(1), atol=1e-3, rtol=1e-5)
    assert distances.min() >= 0  # the point itself: rounding must not go negative


def test_clusters_condition_on_k_means_and_sample_as_an_unconditional_generator(
        tmp_path, tiny_mnist):
    from gankit.clusters import cluster_images
    from gankit.errors import ConfigError
    from gankit.kinds import load_dataset
    from gankit.sample import load_generator, sample_images

    data = load_dataset("mnist", "train", str(tiny_mnist))
    clustered = cluster_images(data, 5, seed=0)
    assert torch.equal(clustered.labels, cluster_images(data, 5, seed=0).labels)  # resumable
    assert set(clustered.labels.tolist()) == set(range(5)) and clustered.images is data.images
    # Each cluster is tighter than the data: pixels closer to their own cluster's mean.
    pixels = data.images.flatten(1).float()
    spread = sum(((pixels[clustered.labels == k] - pixels[clustered.labels == k].mean(0)) ** 2)
                 .sum() for k in range(5))
    assert spread < 0.9 * ((pixels - pixels.mean(0)) ** 2).sum()
    with pytest.raises(ConfigError, match="--clusters 301 needs at least 301 training images"):
        cluster_images(data, 301, seed=0)

    run = train(short_config(tmp_path, tiny_mnist, arch="dcgan", base_width=8, clusters=5),
                quiet=True)
    generator, config = load_generator(run)
    counts = torch.bincount(clustered.labels, minlength=5).float()
    noise = torch.randn(20_000, config.latent_dim, generator=torch.Generator().manual_seed(0))
    drawn = torch.bincount(generator.cluster_of(noise), minlength=5).float()
    torch.testing.assert_close(drawn / drawn.sum(), counts / counts.sum(), atol=0.01, rtol=0)
    grid_noise = torch.zeros(5, config.latent_dim)
    grid_noise[:, 0] = generator.noise_for(torch.arange(5))
    assert generator.cluster_of(grid_noise).tolist() == [0, 1, 2, 3, 4]
    assert sample_images(generator, 10).shape == (10, 28, 28, 1)  # z alone: no labels
    result = run_process([*GANKIT, "evaluate", run, "--n", "20", "--metrics", "fid,coverage",
                          "--data-dir", tiny_mnist, "--json"])
    assert result.returncode == 0, result.stderr
    assert "label_accuracy" not in json.loads(result.stdout)  # clusters are not classes
