"""The GAN Lab: toys with known modes, their metrics, lab runs from the CLI and Python,
stepping by hand, and the measured healthy and collapsed runs of the tutorial."""

import dataclasses
import html
import json
import re
import signal

import numpy as np
import pytest
import torch

import gankit
from gankit import records
from gankit.cli import main
from gankit.errors import ConfigError
from gankit.gan_lab import Lab, lab_animation, lab_metrics
from gankit.resolve import resolve_config
from gankit.rundir import RunDir
from gankit.scenarios import SCENARIOS, as_flags, course
from gankit.steps import make_optimizer
from gankit.toys import TOYS, binned_js, get_toy, toy_metrics, toy_points


@pytest.mark.parametrize("name", list(TOYS))
def test_each_toy_is_a_fixed_sample_that_its_own_metrics_call_perfect(name):
    toy = get_toy(name)
    train, test = toy_points(name, "train"), toy_points(name, "test")
    assert train.dtype == torch.float32 and train.shape[1] == 2
    assert torch.equal(train, toy_points(name, "train")), "the same points every time"
    assert not torch.equal(train[:len(test)], test), "the test split is another draw"
    result = toy_metrics(test.numpy(), toy, train.numpy())
    assert result["js"] < 0.05
    if len(toy.modes):
        assert result["modes"] == len(toy.modes)
        # A 2-D Gaussian holds 1 - exp(-9/2) = 98.9 % of its mass within 3 sigma.
        assert result["high_quality"] == pytest.approx(0.989, abs=0.01)


def test_the_metrics_see_collapse_and_distance():
    ring = get_toy("ring8")
    real = toy_points("ring8", "test").numpy()
    one_mode = np.tile(ring.modes[:1], (1000, 1)) + 0.01
    result = toy_metrics(one_mode, ring, real)
    assert (result["modes"], result["high_quality"]) == (1, 1.0)
    assert result["js"] > 0.8
    far = np.full((1000, 2), 0.0)  # the centre of the ring: near no mode
    assert toy_metrics(far, ring, real)["high_quality"] == 0.0
    assert binned_js(real, real, 3.0) == 0.0
    assert binned_js(real, real + 10, 3.0) == pytest.approx(1.0)  # disjoint (border cells)


def test_points_files_are_toys(tmp_path):
    points = np.random.default_rng(0).normal(size=(300, 2)).astype(np.float32)
    np.save(tmp_path / "p.npy", points)
    np.savez(tmp_path / "m.npz", points=points, modes=np.zeros((1, 2)), sigma=1.0)
    np.savetxt(tmp_path / "p.csv", points, delimiter=",")
    for name in ("p.npy", "p.csv"):
        toy = get_toy(f"points:{tmp_path / name}")
        assert len(toy.modes) == 0
        assert set(toy_metrics(points, toy, points)) == {"js"}
    toy = get_toy(f"points:{tmp_path / 'm.npz'}")
    assert toy.sigma == 1.0 and toy_metrics(points, toy, points)["modes"] == 1


def test_a_points_run_keeps_working_where_its_file_is_not(tmp_path, monkeypatch):
    points = np.random.default_rng(0).normal(size=(500, 2)).astype(np.float32)
    monkeypatch.chdir(tmp_path)
    np.save("mine.npy", points)
    assert main(["lab", "--toy", "points:mine.npy", "--max-steps", "20", "--sample-every",
                 "10", "--run-dir", "run", "--quiet"]) == 0
    config = (tmp_path / "run" / "config.toml").read_text()
    assert f'dataset = "points:{tmp_path / "mine.npy"}"' in config  # where it was, in full
    (tmp_path / "mine.npy").unlink()
    monkeypatch.chdir(tmp_path.parent)
    out = tmp_path / "fakes.npz"
    assert main(["sample", str(tmp_path / "run"), "--n", "10", "--out", str(out)]) == 0
    with np.load(out) as archive:
        assert archive["points"].shape == (10, 2)


@pytest.mark.parametrize("content, message", [
    (np.zeros((5, 3)), "N x 2"),
    (np.array([[0.0, np.nan]]), "finite"),
    (np.zeros((0, 2)), "no points"),
])
def test_bad_points_are_refused_in_one_line(tmp_path, capsys, content, message):
    np.save(tmp_path / "bad.npy", content)
    assert main(["lab", "--toy", f"points:{tmp_path / 'bad.npy'}", "--run-dir",
                 str(tmp_path / "run")]) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("argv, message", [
    (["train", "--dataset", "ring8"], "gankit lab --toy ring8"),
    (["train", "--arch", "toy"], "--arch toy is for the lab's 2-D points"),
    (["lab", "--toy", "ring9"], "unknown toy 'ring9'"),
    (["lab", "--optimizer", "rmsprop"], "unknown optimizer 'rmsprop'"),
    (["train", "--dataset", "ring8", "--arch", "toy", "--eval-every", "1"], "FID, for images"),
    (["lab", "--latent-dim", "1"], "--latent-dim 2 or more"),
    (["train", "--preset", "lab", "--clusters", "8"], "unconditional GANs"),
    (["lab", "--toy", "points:p.txt"], "give a .npy, .npz or .csv file"),
])
def test_what_the_lab_cannot_do_is_refused(capsys, argv, message):
    assert main([*argv, "--dry-run"]) == 2
    assert message in capsys.readouterr().err


def test_each_network_gets_its_own_learning_rate_and_optimizer():
    config = resolve_config("lab", overrides={"g_lr": 0.01, "optimizer": "sgd"})
    generator, discriminator = gankit.build_models(config, (2,))
    opt_g = make_optimizer(generator, config, "g")
    opt_d = make_optimizer(discriminator, config, "d")
    assert isinstance(opt_g, torch.optim.SGD)
    assert (opt_g.param_groups[0]["lr"], opt_d.param_groups[0]["lr"]) == (0.01, config.lr)
    with pytest.raises(ConfigError, match="name the network"):
        make_optimizer(generator, config)


def test_lab_command_trains_measures_and_draws(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["lab", "--max-steps", "400", "--run-dir", str(run), "--quiet"]) == 0
    paths = RunDir(run)
    config = gankit.Config(**__import__("tomllib").loads(paths.config.read_text()))
    assert (config.preset, config.dataset, config.arch) == ("lab", "ring8", "toy")
    measured = records.of_kind(records.read(paths.metrics), "toy")
    assert [r["step"] for r in measured] == [200, 400]
    assert {"modes", "high_quality", "js"} <= set(measured[-1])
    frames = paths.grids()
    assert [f.name for f in frames] == ["step_0000200.png", "step_0000400.png"]
    from PIL import Image
    with Image.open(frames[-1]) as frame:
        # A lab frame, not a grid, wide enough to read on a projector, in 256 colours.
        assert frame.width >= 1400 and frame.mode == "P"
    page = paths.report.read_text()
    assert "Modes covered" in page and "image/gif" in page
    assert paths.last.is_file() and paths.generator.is_file()
    assert lab_metrics(run)["step"] == 400

    out = tmp_path / "points.npz"
    assert main(["sample", str(run), "--n", "300", "--out", str(out)]) == 0
    with np.load(out) as archive:
        assert archive["points"].shape == (300, 2) and archive["points"].dtype == np.float32
    assert main(["sample", str(run), "--n", "300", "--out", str(tmp_path / "p.png")]) == 0
    assert main(["sample", str(run), "--out", str(tmp_path / "folder")]) == 2
    assert not (tmp_path / "folder").exists()
    capsys.readouterr()
    assert main(["evaluate", str(run), "--n", "5", "--json"]) == 0  # no image metric's minimum
    result = json.loads(capsys.readouterr().out)
    assert result["samples"] == 5 and 0 <= result["modes"] <= 8
    assert records.of_kind(records.read(paths.metrics), "evaluate")[-1]["js"] == result["js"]
    assert main(["report", str(run)]) == 0
    page = paths.report.read_text()
    assert "cannot be shown" not in page and "high_quality" in page

    # A lab run resumes like any other, and ends mid-epoch on a frame's step (600 of 400 a
    # epoch) measured once; its animation shows every frame.
    assert main(["train", "--resume", str(run), "--max-steps", "600", "--quiet"]) == 0
    assert [f.name for f in paths.grids()][-1] == "step_0000600.png"
    measured = [r["step"] for r in records.of_kind(records.read(paths.metrics), "toy")]
    assert measured == [200, 400, 600]
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--max-steps", "800", "--eval-every", "1"]) == 2
    assert "FID, for images" in capsys.readouterr().err  # a resume is refused in the lab's words
    movie = lab_animation(run)
    assert movie.webp[:4] == b"RIFF" and b"ANIM" in movie.webp[:64]
    assert "data:image/webp;base64," in movie._repr_html_()


def test_stepping_by_hand_moves_one_network_at_a_time():
    lab = Lab(display="none", seed=3)
    weights = [[p.detach().clone() for p in net.parameters()]
               for net in (lab.nets.generator, lab.nets.discriminator)]

    def changed(index):
        net = (lab.nets.generator, lab.nets.discriminator)[index]
        return any(not torch.equal(a, b) for a, b in zip(weights[index], net.parameters(),
                                                         strict=True))

    result = lab.step(d=1, g=0)
    assert changed(1) and not changed(0)
    assert (lab.d_updates, lab.g_updates) == (1, 0)
    lab.step(d=0, g=1)
    assert changed(0) and (lab.d_updates, lab.g_updates) == (1, 1)
    assert {"modes", "covered", "high_quality", "js"} == set(result)
    assert lab.picture().png[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ConfigError):
        lab.step(d=0, g=0)


def test_the_healthy_run_finds_all_eight_modes(tmp_path):
    """`gankit lab --toy ring8` with no other flag, seed 0. (Its time is a benchmark's
    business, not a test's: the README gives it, measured alone.)"""
    run = gankit.lab(run_dir=str(tmp_path / "healthy"), quiet=True)
    result = lab_metrics(run)
    assert result["modes"] == 8 and result["high_quality"] >= 0.9, result


def test_the_collapse_scenario_settles_on_a_few_modes(tmp_path):
    """`gankit lab --scenario collapse` in full, seed 0: G ends on 1 to 4 of the 8 modes,
    covers no more than 4 at any frame of the last quarter, with most fakes on them."""
    run = gankit.lab(scenario="collapse", run_dir=str(tmp_path / "collapse"), quiet=True)
    result = lab_metrics(run)
    assert 1 <= result["modes"] <= 4 and result["most_modes_late"] <= 4, result
    assert result["high_quality"] > 0.5, result


def test_the_oscillation_scenario_keeps_changing_the_modes_it_covers(tmp_path):
    """`gankit lab --scenario oscillation` in full, seed 0: the clump's covered modes
    keep changing from frame to frame in the second half of the run, and it never holds
    more than 2 in the last quarter."""
    run = gankit.lab(scenario="oscillation", run_dir=str(tmp_path / "oscillation"), quiet=True)
    result = lab_metrics(run)
    assert result["changes"] >= 5 and result["visited"] >= 3, result
    assert result["most_modes_late"] <= 2, result


def test_run_and_lab_take_the_same_display_words(tmp_path, capsys):
    """Run took auto|terminal|notebook, Lab auto|notebook|none: each refused the other's."""
    from gankit.panel import DISPLAYS
    from gankit.training import train

    assert DISPLAYS == ("auto", "terminal", "notebook", "none")
    for display in ("terminal", "none"):
        assert Lab(display=display).handle is None
        config = dataclasses.replace(resolve_config("lab"), max_steps=2, sample_every=0,
                                     run_dir=str(tmp_path / display))
        train(config, display=display)
        out = capsys.readouterr().out
        assert ("gankit: training" in out) == (display == "terminal"), out
    for maker in (lambda: Lab(display="panel"), lambda: train(resolve_config("lab"),
                                                              display="panel")):
        with pytest.raises(ConfigError, match="auto, terminal, notebook, none"):
            maker()


def test_an_interrupted_lab_run_says_to_resume_it_with_gankit_lab(tmp_path):
    from tests.conftest import GANKIT, logged_step, started, wait_until

    run = tmp_path / "run"
    with started([*GANKIT, "lab", "--max-steps", "1000000", "--run-dir", run]) as process:
        wait_until(lambda: logged_step(run) > 0, process, "a status line")
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=600)
    assert process.returncode == 130, err
    assert f"Resume with: gankit lab --resume {run}" in err, err
    resumed = main(["lab", "--resume", str(run), "--max-steps", str(json.loads(
        (run / "metrics.jsonl").read_text().splitlines()[-1])["step"] + 10), "--quiet"])
    assert resumed == 0


def test_the_lab_panel_draws_no_curve_that_its_frame_draws(monkeypatch):
    """The frame has the losses and the measures; the panel's charts under it added them
    again. D's outputs, which the frame lacks, stay."""
    import IPython.display

    from gankit.panel import LivePanel

    shown = []

    class Handle:
        def update(self, obj):
            shown.append(obj._repr_html_())

    monkeypatch.setattr(IPython.display, "display", lambda obj, display_id: Handle())
    logged = [records.make("step", step=s, d_loss=0.6, g_loss=0.8, d_x=0.5, d_g_z=0.4)
              for s in (1, 2)] + [records.make("toy", step=2, modes=3, high_quality=0.5, js=0.3)]
    for lab, titles in ((True, ["Discriminator outputs"]),
                        (False, ["Losses", "Discriminator outputs", "Modes covered",
                                 "High-quality share and JS divergence"])):
        panel = LivePanel("run", total_steps=10, lab=lab, records=logged)
        panel.grid(b"\x89PNG", 2)
        shown_titles = re.findall(r'<div style="font-size: 12px; color: #555">([^<]*)</div>',
                                  shown[-1])
        assert [html.unescape(t) for t in shown_titles] == titles, shown_titles


def test_the_metrics_name_the_modes_they_cover():
    ring = get_toy("ring8")
    real = toy_points("ring8", "test").numpy()
    two_modes = np.concatenate([np.tile(ring.modes[[2]], (600, 1)),
                                np.tile(ring.modes[[7]], (400, 1))])
    result = toy_metrics(two_modes, ring, real)
    assert result["covered"] == [2, 7] and result["modes"] == 2


def test_a_toy_record_with_covered_modes_that_are_not_indices_is_not_a_record():
    good = records.make("toy", step=200, js=0.5, modes=2, covered=[0, 3])
    assert records.is_record(good)
    for covered in ([0.5], ["1"], [-1], [True], 3):
        assert not records.is_record({**good, "covered": covered}), covered


def frames_of(covered_sets: list[list[int]], every: int = 200) -> list[dict]:
    """Toy records of a run whose frames covered these modes, one frame every `every`."""
    return [records.make("toy", step=every * (i + 1), modes=len(c), covered=c,
                         high_quality=0.9, js=0.3) for i, c in enumerate(covered_sets)]


def test_a_runs_course_tells_a_settled_collapse_from_an_oscillation():
    settled = course(frames_of([[0, 1, 2, 3, 4, 5, 6, 7], [1, 5], [1, 5], [1, 5], [1, 5]]))
    assert settled == {"modes": 2, "high_quality": 0.9, "js": 0.3, "most_modes_late": 2,
                       "changes": 0, "visited": 8}  # changes count in the second half only
    hopping = course(frames_of([[0], [1], [1], [3], [4], [6], [6], [7]]))
    assert (hopping["changes"], hopping["visited"], hopping["most_modes_late"]) == (3, 6, 1)
    late = course(frames_of([[1], [1], [1], [1], [1, 2, 3, 4, 5]]))  # step 1,000 of 1,000
    assert late["most_modes_late"] == 5
    # A run resumed from before records named their modes: those frames are left out.
    older = [{k: v for k, v in r.items() if k != "covered"} for r in frames_of([[0], [1]])]
    newer = [records.make("toy", step=step, modes=1, covered=[mode], high_quality=0.9, js=0.3)
             for step, mode in ((600, 2), (800, 3))]
    assert course(older + newer) | {"js": 0.3} == {
        "modes": 1, "high_quality": 0.9, "js": 0.3, "most_modes_late": 1, "changes": 1,
        "visited": 2}
    assert course([]) == {}


def test_every_scenario_is_a_valid_lab_run_and_is_listed_with_its_flags(capsys):
    for name, scenario in SCENARIOS.items():
        config = resolve_config("lab", overrides=scenario.settings)
        assert all(getattr(config, key) == value for key, value in scenario.settings.items())
        assert not scenario.cures or scenario.cures in SCENARIOS, name
    for language in ("en", "fr"):
        assert main(["lab", "--list-scenarios", "--language", language]) == 0
        listed = capsys.readouterr().out
        for name, scenario in SCENARIOS.items():
            assert re.search(rf"^{re.escape(name)}$", listed, flags=re.M), name
            command = " ".join(["gankit lab", as_flags(scenario.settings)]).rstrip()
            assert re.search(rf"^    {re.escape(command)}$", listed, flags=re.M), name
        assert max(map(len, listed.splitlines())) <= 88


def test_a_scenario_is_its_flags_printed_and_flags_beside_it_win(tmp_path, capsys):
    import tomllib

    assert main(["lab", "--scenario", "oscillation", "--dry-run"]) == 0
    printed = capsys.readouterr()
    assert printed.err.strip() == ("gankit: scenario oscillation: "
                                   + as_flags(SCENARIOS["oscillation"].settings))
    toml = tomllib.loads(printed.out)  # --dry-run's output stays a config file
    assert toml["r1"] == 0.0 and toml["d_hidden"] == [32, 32]
    assert main(["lab", "--scenario", "oscillation", "--dry-run", "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["lab", "--scenario", "oscillation", "--r1", "0.5", "--dry-run"]) == 0
    assert "r1 = 0.5" in capsys.readouterr().out
    assert as_flags({"d_hidden": [32, 32], "r1": 0.0, "loss": "minimax"}) == (
        "--d-hidden 32 32 --r1 0 --loss minimax")


@pytest.mark.parametrize("argv, message", [
    (["lab", "--scenario", "unknown"], "invalid choice: 'unknown'"),
    (["lab", "--resume", "somewhere", "--scenario", "collapse"],
     "--resume takes no --scenario"),
])
def test_a_scenario_that_cannot_be_is_refused_in_one_line(argv, message, capsys):
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's refusals
        code = e.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
