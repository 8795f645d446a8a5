"""The lab's widgets, driven as a student's clicks drive them, in a plain Python process:
`Lab.controls()` and `gankit.lab_player`."""

import base64
import sys

import ipywidgets
import pytest
import torch

import gankit
from gankit.errors import GankitError
from gankit.gan_lab import Lab
from gankit.lab_controls import ROUNDS_PER_FRAME


def find(box, kind, description=None):
    """The one widget of `kind` (with `description`) inside `box`, at any depth."""
    found, todo = [], [box]
    while todo:
        widget = todo.pop()
        todo.extend(getattr(widget, "children", ()))
        if isinstance(widget, kind) and description in (None, getattr(widget, "description", None)):
            found.append(widget)
    assert len(found) == 1, (kind, description, found)
    return found[0]


def weights(lab):
    return [p.detach().clone() for p in lab.nets.generator.parameters()]


def test_the_controls_step_tune_play_and_reset_the_lab():
    lab = Lab(display="none")
    start = weights(lab)
    box = lab.controls()
    image = find(box, ipywidgets.Image)
    first = image.value
    find(box, ipywidgets.Button, "Update D").click()
    assert (lab.d_updates, lab.g_updates) == (1, 0)
    find(box, ipywidgets.Button, "Update G").click()
    assert (lab.d_updates, lab.g_updates) == (1, 1) and image.value != first
    assert "updates so far: D 1, G 1" in find(box, ipywidgets.HTML).value

    find(box, ipywidgets.FloatLogSlider, "G's learning rate").value = 1e-4
    find(box, ipywidgets.FloatLogSlider, "D's learning rate").value = 1e-2
    assert lab.opt_g.param_groups[0]["lr"] == pytest.approx(1e-4)
    assert lab.opt_d.param_groups[0]["lr"] == pytest.approx(1e-2)
    find(box, ipywidgets.SelectionSlider, "R1's weight γ").value = 1.0
    find(box, ipywidgets.Dropdown, "loss").value = "minimax"
    assert (lab.config.r1, lab.config.loss) == (1.0, "minimax")
    assert lab.frames.loss == gankit.get_loss("minimax")  # the arrows are the new loss's
    assert lab.frames.config.loss == "minimax"  # the frame's settings line

    find(box, ipywidgets.IntSlider, "D updates per G update").value = 3
    play = find(box, ipywidgets.Play)
    play.playing = True  # ▶, then one tick, as the browser sends them
    play.value += 1
    assert lab.d_updates == 1 + 3 * ROUNDS_PER_FRAME and lab.g_updates == 1 + ROUNDS_PER_FRAME

    find(box, ipywidgets.Button, "Reset").click()
    assert (lab.d_updates, lab.g_updates) == (0, 0) and not play.playing
    play.value += 1  # a tick sent before Reset reached the kernel
    assert (lab.d_updates, lab.g_updates) == (0, 0)
    assert all(torch.equal(a, b) for a, b in zip(start, weights(lab), strict=True))
    assert lab.config.loss == "minimax"  # settings stay as the student left them


def test_ticks_that_queued_behind_a_slow_one_are_dropped(monkeypatch):
    """So that Pause stops at once on a busy machine. (What counts as queued is set wide
    here: on a machine this busy, any two ticks are.)"""
    from gankit import lab_controls

    lab = Lab(display="none")
    play = find(lab.controls(), ipywidgets.Play)
    monkeypatch.setattr(lab_controls, "BACKLOG_S", 3600.0)
    play.playing = True
    play.value += 1
    play.value += 1
    assert lab.g_updates == ROUNDS_PER_FRAME
    monkeypatch.setattr(lab_controls, "BACKLOG_S", 0.0)
    play.value = 0  # Stop (■) sets the count back: no update
    assert lab.g_updates == ROUNDS_PER_FRAME


def test_without_a_widget_frontend_the_controls_show_the_frame_as_an_image():
    box = Lab(display="none").controls()
    bundle = box._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    assert 'src="data:image/png;base64,iVBORw0KGgo' in data["text/html"]  # a PNG
    assert 'alt="The lab at step 0' in data["text/html"]


def test_the_controls_speak_french():
    box = Lab(display="none", language="fr").controls()
    find(box, ipywidgets.Button, "Mettre à jour D").click()
    assert "mises à jour jusqu'ici" in find(box, ipywidgets.HTML).value


def test_the_sliders_hold_the_labs_own_values():
    """A slider clamps a value outside its range, and would show one the Lab is not using."""
    box = Lab(display="none", g_lr=0.5, n_critic=20).controls()
    assert find(box, ipywidgets.FloatLogSlider, "G's learning rate").value == pytest.approx(0.5)
    assert find(box, ipywidgets.IntSlider, "D updates per G update").value == 20


def test_a_lab_refuses_live_changes_it_cannot_make():
    with pytest.raises(gankit.GankitError, match="g_lr, d_lr, loss, r1, n_critic"):
        Lab(display="none").set(g_hidden=[8])


def test_the_player_scrubs_a_runs_frames_with_their_measures(tmp_path):
    run = gankit.lab(run_dir=str(tmp_path / "run"), quiet=True, max_steps=60, sample_every=20)
    frames = sorted((run / "samples").glob("step_*.png"))
    assert len(frames) == 3  # steps 20, 40, 60
    box = gankit.lab_player(run)
    image, slider = find(box, ipywidgets.Image), find(box, ipywidgets.IntSlider)
    assert image.value == frames[-1].read_bytes()
    slider.value = 1
    assert image.value == frames[1].read_bytes()
    assert "step 40: " in find(box, ipywidgets.HTML).value
    assert "/8 modes" in find(box, ipywidgets.HTML).value
    find(box, ipywidgets.Play).value = 0
    assert slider.value == 0 and image.value == frames[0].read_bytes()
    data = box._repr_mimebundle_()
    data = data[0] if isinstance(data, tuple) else data
    assert base64.b64encode(frames[0].read_bytes()).decode() in data["text/html"]


def test_the_player_of_a_run_without_frames_says_so(tmp_path):
    with pytest.raises(GankitError, match="has no frames in samples/"):
        gankit.lab_player(tmp_path)


def test_without_ipywidgets_the_widgets_are_their_frame_saying_how_to_install_it(
        monkeypatch, tmp_path):
    """A notebook run from top to bottom goes on: the cell shows the frame."""
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    shown = Lab(display="none").controls()
    assert "pip install ipywidgets" in shown.caption and 'alt="The lab at step 0' in (
        shown._repr_html_())
    run = gankit.lab(run_dir=str(tmp_path / "run"), quiet=True, max_steps=20, sample_every=10)
    shown = gankit.lab_player(run)
    assert shown.png == (run / "samples" / "step_0000020.png").read_bytes()
    assert "pip install ipywidgets" in shown.caption
