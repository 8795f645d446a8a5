import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from gankit.cli import main
from gankit.config import Config
from gankit.report import STRIP_GRIDS
from gankit.training import train
from tests.conftest import mnist_subset


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = mnist_subset(tmp_path_factory.mktemp("data"), 600)
    config = Config(data_dir=str(root), run_dir=str(root / "runs" / "short"), batch_size=60,
                    epochs=15, log_every=2, device="cpu")  # 150 steps
    return train(config, quiet=True)


def test_training_leaves_a_self_contained_report(run_dir):
    page = (run_dir / "report.html").read_text()
    assert page.count("<svg") == 2 and "<polyline" in page
    # One grid per epoch, at most STRIP_GRIDS older ones beside the newest.
    assert page.count("data:image/png;base64,") == min(15, STRIP_GRIDS + 1)
    assert "data:image/gif;base64," in page
    # Nothing is fetched: no scripts, no external stylesheets, images or fonts.
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "url(" not in page
    with Image.open(run_dir / "samples" / "evolution.gif") as gif:
        assert gif.n_frames == 15


def test_report_rebuilds_from_the_run_dir_alone(run_dir, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("checkpoints", "tb", "*.html"))
    out = tmp_path / "elsewhere.html"
    assert main(["report", str(copy), "--out", str(out)]) == 0
    assert "Losses" in out.read_text() and not (copy / "report.html").exists()
    assert main(["report", str(tmp_path)]) == 2
    assert "not a gankit run dir" in capsys.readouterr().err


def test_runs_lists_one_line_per_run(run_dir, capsys):
    assert main(["runs", str(run_dir.parent)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].split()[:4] == ["short", "seed", "mnist", "150"]


def test_a_long_run_report_stays_bounded(tmp_path):
    from gankit.images import save_png
    from gankit.report import GIF_FRAMES, STRIP_GRIDS, build_report
    from gankit.rundir import RunDir

    run = RunDir(tmp_path / "long")
    run.samples.mkdir(parents=True)
    run.config.write_text('preset = "seed"\n')
    for epoch in range(1, 501):  # the epoch's bits as pixels: no two grids alike
        bits = (epoch >> np.arange(36)) & 1
        save_png((bits * 255).astype(np.uint8).reshape(6, 6, 1), run.grid(epoch * 469))
    page = build_report(run.root).read_text()
    assert page.count("data:image/png;base64,") == STRIP_GRIDS + 1  # the newest, large
    assert f"step {500 * 469} (newest)" in page and "step 469<" in page  # ends are kept
    with Image.open(run.evolution) as gif:
        assert gif.n_frames == GIF_FRAMES


def test_runs_keeps_fids_of_different_sample_counts_apart(tmp_path, capsys):
    for name, records in [("never-evaluated", [{"step": 1, "d_loss": 0.5, "g_loss": 1.0}]),
                          ("evaluated", [{"event": "eval", "step": 9, "fid": 50.0, "samples": 5000},
                                         {"event": "eval", "step": 19, "fid": 40.0,
                                          "samples": 5000},
                                         {"event": "evaluate", "fid": 39.5, "samples": 10000}])]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.toml").write_text('preset = "seed"\ndataset = "mnist"\n')
        (tmp_path / name / "metrics.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in records))
    assert main(["runs", str(tmp_path)]) == 0
    header, evaluated, never = capsys.readouterr().out.splitlines()
    assert "best FID in training" in header and "FID by evaluate" in header
    assert evaluated.split()[-6:] == ["40.00", "(5000", "samples)", "39.50", "(10000", "samples)"]
    assert never.split()[-2:] == ["-", "-"] and "nan" not in never


def test_runs_keeps_its_columns_aligned_for_long_names(tmp_path, capsys):
    for name, preset in [("a" * 60, "dcgan-clusters"), ("b", "seed")]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.toml").write_text(f'preset = "{preset}"\ndataset = "mnist"\n')
        (tmp_path / name / "metrics.jsonl").write_text(
            json.dumps({"step": 7, "d_loss": 0.5, "g_loss": 1.0}) + "\n")
    assert main(["runs", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    # Each column starts at the same place on every line: the steps end where "steps" does.
    ends = {line.index("steps") + len("steps") if i == 0 else line.index(" 7 ") + 2
            for i, line in enumerate(lines)}
    assert len(ends) == 1 and len({len(line) for line in lines}) == 1


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium not installed")
def test_report_renders_in_headless_chromium(run_dir, tmp_path):
    screenshot = tmp_path / "report.png"
    result = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr",
         "--v=0", "--window-size=1000,1800", f"--screenshot={screenshot}",
         (run_dir / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120)
    assert screenshot.is_file(), result.stderr
    assert "CONSOLE" not in result.stderr and "Uncaught" not in result.stderr
    pixels = np.asarray(Image.open(screenshot).convert("L"))
    assert pixels.std() > 20  # not blank: grids and curves are drawn
    assert (pixels < 60).mean() > 0.02  # dark sample grids are visible
