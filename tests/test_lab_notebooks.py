"""The GAN Lab tutorials, in English and French, run on a real Jupyter kernel."""

import re

import nbformat
import pytest

from tests.test_notebooks import (
    NOTEBOOKS,
    assert_checks_passed,
    assert_twins,
    decimal_points_in,
    outputs,
    run_on_a_kernel,
    tagged,
)

LABS = ["gan_lab.ipynb", "gan_lab.fr.ipynb"]
QUICK_STEPS = 200
# Executed in the quick setting: seven panels (a frame each), three animations, a figure.
SIZE_BOUND = 2_500_000
MIN_EXERCISES = 4
# What the French lab must not show: the lab's and the panel's English words.
ENGLISH = ["real", "fake", "modes covered", "high-quality", "step", "Losses",
           "noise plane", "updates", "simultaneous", "alternating", "equilibrium",
           "elapsed", "left", "the lab at"]


@pytest.mark.parametrize("name", LABS)
def test_committed_labs_are_stripped_and_parametrised(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "strip the outputs"
    parameters = tagged(notebook, "parameters").source
    assert 'setting = "class"' in parameters and "max_steps = None" in parameters


@pytest.mark.parametrize("name", LABS)
def test_each_lab_exercise_has_a_question_and_a_hidden_answer(name):
    cells = nbformat.read(NOTEBOOKS / name, as_version=4).cells
    exercises = [i for i, c in enumerate(cells) if "exercise" in c.metadata.get("tags", [])]
    assert len(exercises) >= MIN_EXERCISES
    heading = "### Your turn" if name == LABS[0] else "### À vous de jouer"
    questions = [c for c in cells if c.cell_type == "markdown" and c.source.startswith(heading)]
    assert len(questions) == len(exercises)
    for i in exercises:
        answer = cells[i + 1]
        assert answer.cell_type == "markdown" and answer.source.startswith("<details>")


def test_the_two_labs_match_cell_for_cell():
    assert_twins(*LABS)


@pytest.mark.parametrize("name", LABS)
def test_lab_runs_on_a_real_kernel(name, tmp_path):
    executed, notebook = run_on_a_kernel(name, tmp_path, QUICK_STEPS)
    assert executed.stat().st_size < SIZE_BOUND

    shown = [o for o in outputs(notebook, "display_data") + outputs(notebook, "execute_result")
             if "text/html" in o.get("data", {})]
    pages = "".join(o.data["text/html"] for o in shown)
    # Seven training panels (the healthy run, the collapse, the oscillation and two cures
    # of each), each at its last step with its frame; the Lab's own panel.
    step = "step" if name == LABS[0] else "itération"
    assert pages.count(f"{step} {QUICK_STEPS}/{QUICK_STEPS}") == 7
    assert pages.count("data:image/webp;base64,") == 3  # the three animations
    assert any(o.get("data", {}).get("text/plain", "").startswith(("The Dirac-GAN, one panel",
                                                                   "Le Dirac-GAN, un panneau"))
               for o in outputs(notebook, "display_data")), "the Dirac-GAN figure"
    assert_every_image_is_described(notebook)
    # Every run measured itself, and the exercises printed what their answers discuss.
    text = "".join(o.text for o in outputs(notebook, "stream"))
    assert len(re.findall(r"\d/8 modes", text)) >= 7
    exercises = [c for c in notebook.cells if "exercise" in c.metadata.get("tags", [])]
    assert all(any(o.output_type == "stream" for o in c.outputs) for c in exercises)
    assert list((tmp_path / "runs").iterdir()), "the runs are in ./runs"
    assert_checks_passed(notebook, name == LABS[0])
    if name == LABS[1]:
        words = re.sub(r"<[^>]*>", " ", pages + text)
        words = re.sub(r"runs/\S+", "", words)
        assert [w for w in ENGLISH if re.search(rf"\b{re.escape(w)}\b", words)] == []
        assert decimal_points_in(notebook) == []


def assert_every_image_is_described(notebook) -> None:
    """The page nbconvert makes of the executed notebook, as `make docs` does (without the
    widgets' saved state): the widgets show their frames, and each image has alternative
    text (the figures, the frames, the widgets' fallback)."""
    from nbconvert import HTMLExporter

    notebook.metadata.pop("widgets", None)
    page, _ = HTMLExporter(template_name="lab").from_notebook_node(notebook)
    assert "application/vnd.jupyter.widget-view+json" not in page  # an empty box offline
    images = re.findall(r"<img\b[^>]*>", page)
    assert len(images) >= 8, len(images)
    undescribed = [tag[:120] for tag in images
                   if not re.search(r'\balt="[^"]{20,}"', tag)]
    assert undescribed == [], undescribed
