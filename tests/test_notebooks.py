"""The tutorial notebooks, run on a real Jupyter kernel, and the live panel inside one."""

import base64
import json
import re
import shutil
import signal
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from gankit.language import NBSP
from tests.conftest import WAIT_S
from tests.conftest import run as run_process

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TUTORIALS = ["gan_mnist.ipynb", "gan_mnist.fr.ipynb"]
QUICK_STEPS = 100
SIZE_BOUND = 1_200_000  # bytes of an executed quick run: its grids of noise barely compress
MIN_EXERCISES = 5
CLASS_EPOCHS = 8  # the class setting's epochs (notebooks' setup cell)
# What the French notebook must not show: the panel's and gankit's English words. Its
# panel shows the original's three status lines in French; the terminal's stay in English.
ENGLISH = ["elapsed", "left", "Losses", "Discriminator outputs", "fixed noise", "steps/s",
           "samples at step", "gankit: training", "steps in", "run dir", "test split",
           "penultimate layer", "D loss", "G loss", "step", "epoch", "batches/epoch"]


def tagged(notebook, tag: str):
    [cell] = [c for c in notebook.cells if tag in c.metadata.get("tags", [])]
    return cell


def outputs(notebook, output_type: str) -> list:
    return [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
            if o.output_type == output_type]


@pytest.mark.parametrize("name", TUTORIALS)
def test_committed_tutorials_are_stripped_and_parametrised(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "strip the outputs"
    parameters = tagged(notebook, "parameters").source
    assert 'setting = "class"' in parameters and "max_steps = None" in parameters
    assert "gankit.Run(" in tagged(notebook, "training-loop").source


@pytest.mark.parametrize("name", TUTORIALS)
def test_the_tutorial_writes_the_algorithm_out(name):
    """The networks are plain nn.Modules and the steps plain PyTorch: no gankit in them."""
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    models = "".join(tagged(notebook, tag).source for tag in ("generator", "discriminator"))
    steps = "".join(tagged(notebook, tag).source for tag in ("d-step", "g-step", "optimisers"))
    assert "class Generator(nn.Module)" in models and "class Discriminator(nn.Module)" in models
    assert "nn.Dropout(" in models and "gankit" not in models
    for piece in (".detach()", "torch.cat([real, fake])", "torch.ones(n)", "torch.zeros(n)",
                  "binary_cross_entropy_with_logits", "zero_grad()", "backward()", "step()",
                  "torch.optim.Adam("):
        assert piece in steps, piece
    assert "gankit" not in steps
    loop = tagged(notebook, "training-loop").source
    assert "train_discriminator(" in loop and "train_generator(" in loop
    assert "gankit.discriminator_step" not in loop and "gankit.generator_step" not in loop


@pytest.mark.parametrize("name", TUTORIALS)
def test_each_exercise_has_a_question_and_a_hidden_answer(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    cells = notebook.cells
    exercises = [i for i, c in enumerate(cells) if "exercise" in c.metadata.get("tags", [])]
    assert len(exercises) >= MIN_EXERCISES
    heading = "### Your turn" if name == TUTORIALS[0] else "### À vous de jouer"
    for number, i in enumerate(exercises, 1):
        question, answer = cells[i - 1], cells[i + 1]
        assert question.cell_type == "markdown" and question.source.startswith(
            f"{heading} {number}"), question.source[:60]
        assert answer.cell_type == "markdown" and answer.source.startswith("<details>")


def test_the_two_tutorials_match_cell_for_cell():
    assert_twins(*TUTORIALS)


def assert_twins(english_name: str, french_name: str) -> None:
    """The English and French notebooks have the same cells, tags, maths, code fences,
    attachments and programs."""
    english, french = (nbformat.read(NOTEBOOKS / name, as_version=4)
                       for name in (english_name, french_name))
    assert [(c.cell_type, c.metadata.get("tags")) for c in english.cells] == \
        [(c.cell_type, c.metadata.get("tags")) for c in french.cells]
    for en, fr in zip(english.cells, french.cells, strict=True):
        # Same maths, same code fences and the same attached diagram in each language.
        assert formulas(en.source) == formulas(fr.source), en.source[:80]
        assert en.source.count("```") == fr.source.count("```"), en.source[:80]
        assert en.get("attachments", {}).keys() == fr.get("attachments", {}).keys()
        if en.cell_type == "code":  # comments and printed words aside, the same program
            assert defined_names(en.source) == defined_names(fr.source), en.source[:80]


def formulas(markdown: str) -> list[str]:
    """The formulas of a cell, single symbols ($G$) aside, French decimal commas as points
    and French open intervals ]a, b[ as (a, b)."""
    spans = re.findall(r"\$\$?([^$]+)\$\$?", markdown)
    spans = [re.sub(r"^\](.*)\[$", r"(\1)", span.replace("{,}", ".").strip()) for span in spans]
    return sorted(span for span in spans if len(span) > 2)


def defined_names(source: str) -> list[str]:
    """The functions, classes and variables a cell defines, and the calls it makes."""
    import ast

    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            names.add(node.func.attr)
    return sorted(names)


@pytest.mark.parametrize("name", TUTORIALS)
def test_the_diagram_and_images_render_offline_with_alt_text(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    [diagram] = [c for c in notebook.cells if c.get("attachments")]
    [(file, kinds)] = diagram.attachments.items()
    svg = base64.b64decode(kinds["image/svg+xml"]).decode()
    assert svg.startswith("<svg") and "<title" in svg
    alt = re.search(rf"!\[([^\]]+)\]\(attachment:{re.escape(file)}\)", diagram.source)
    assert alt and len(alt[1]) > 40


@pytest.mark.parametrize("name", TUTORIALS)
def test_the_notebook_loop_is_gankit_train(name, tmp_path, monkeypatch):
    """The networks and the loop a student reads and `gankit.train` on the seed preset are
    one algorithm: bit-identical weights and logs. gankit's MLP D draws its dropout masks
    with a faster CPU kernel than nn.Dropout (the same Bernoulli(0.7) masks, another random
    stream; on CUDA it is nn.Dropout's), so gankit's side is given nn.Dropout here."""
    import gankit.models
    from gankit.language import set_language

    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    try:
        for tag in ("start", "parameters", "setup", "scale-pixels", "generator",
                    "discriminator", "models", "d-step", "g-step", "optimisers"):
            exec(tagged(notebook, tag).source, namespace)
        namespace["max_steps"] = 30  # what papermill's -p max_steps 30 does
        for tag in ("setup", "models", "optimisers", "training-loop"):
            exec(tagged(notebook, tag).source, namespace)
    finally:
        set_language("en")  # the French notebook's first cell sets French for the session
    from_cell = namespace["run_dir"]
    monkeypatch.setattr(gankit.models, "Dropout", torch.nn.Dropout)
    overrides = {"max_steps": 30, "log_every": 3, "sample_every": 6,
                 "run_dir": str(tmp_path / "train")}
    from_train = gankit.train(gankit.resolve_config("seed", overrides=overrides), quiet=True)

    a, b = (load_file(run / "generator.safetensors") for run in (from_cell, from_train))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    a, b = (torch.load(run / "checkpoints" / "last.pt", weights_only=True)["discriminator"]
            for run in (from_cell, from_train))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

    def losses(run):
        lines = (run / "metrics.jsonl").read_text().splitlines()
        return [(r["step"], r["d_loss"], r["g_loss"], r["d_x"]) for r in map(json.loads, lines)
                if "d_loss" in r]
    assert losses(from_cell) == losses(from_train)
    assert len(losses(from_cell)) == 10  # every 3rd step of 30: the quick setting's cadence


@pytest.mark.parametrize("name", TUTORIALS)
def test_each_setting_configures_the_run_it_announces(name):
    """class: the original with Adam's betas (0.5, 0.999) and fewer epochs; quick: 100 steps;
    full: the original; the older max_steps parameter still picks quick or full."""
    import gankit

    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)

    def configured(**parameters):
        namespace = {"gankit": gankit, "torch": torch}
        exec(tagged(notebook, "parameters").source, namespace)
        namespace.update(parameters)
        exec(tagged(notebook, "setup").source, namespace)
        config = namespace["config"]
        return (namespace["setting"], config.betas, config.epochs, config.max_steps,
                config.log_every, config.lr, config.batch_size)

    assert configured() == ("class", [0.5, 0.999], CLASS_EPOCHS, 0, 100, 1e-3, 128)
    assert configured(setting="full") == ("full", [0.9, 0.999], 50, 0, 100, 2e-4, 128)
    assert configured(setting="quick") == ("quick", [0.9, 0.999], 50, 100, 10, 2e-4, 128)
    assert configured(max_steps=0) == configured(setting="full")
    assert configured(max_steps=30)[:5] == ("quick", [0.9, 0.999], 50, 30, 3)
    with pytest.raises(ValueError, match="class"):
        configured(setting="lesson")


def run_on_a_kernel(name: str, tmp_path, max_steps: int):
    """notebooks/NAME executed by papermill in tmp_path with `max_steps`: its path, and
    the notebook, checked to have raised nothing and written nothing on stderr."""
    import papermill

    executed = tmp_path / name
    papermill.execute_notebook(str(NOTEBOOKS / name), str(executed), cwd=str(tmp_path),
                               parameters={"max_steps": max_steps}, progress_bar=False,
                               kernel_name="python3")
    notebook = nbformat.read(executed, as_version=4)
    assert outputs(notebook, "error") == []
    assert [o.text for o in outputs(notebook, "stream") if o.name == "stderr"] == []
    return executed, notebook


@pytest.mark.parametrize("name", TUTORIALS)
def test_tutorial_runs_on_a_real_kernel(name, tmp_path):
    executed, notebook = run_on_a_kernel(name, tmp_path, QUICK_STEPS)

    # The training cell leaves one panel: progress, the newest status lines, a grid, the
    # curves, with a point marked for each of the ten status lines of the quick setting.
    [panel] = [o for o in tagged(notebook, "training-loop").outputs
               if o.output_type == "display_data"]
    page = panel.data["text/html"]
    english = name == TUTORIALS[0]
    step = "step" if english else "itération"
    assert f"{step} {QUICK_STEPS}/{QUICK_STEPS}" in page
    # The panel shows the status lines in the notebook's language (the terminal's stay
    # as the original printed them).
    epoch, loss, d_x = (("Epoch: [0/50], Batch Num: [90/469]", "Discriminator Loss: ", "D(x): ")
                        if english else (f"Époque{NBSP}: [0/50], lot{NBSP}: [90/469]",
                                         f"Perte du discriminateur{NBSP}: ", f"D(x){NBSP}: "))
    assert epoch in page and loss in page and d_x in page and "D(G(z))" in page
    assert page.count("data:image/png;base64,") == 1 and page.count("<svg") == 2
    assert page.count("<circle") == 4 * 10  # D and G losses, D(x) and D(G(z))
    assert loss in panel.data["text/plain"]
    assert executed.stat().st_size < SIZE_BOUND
    # The grids over the run are shown: every 20th step's in the quick setting.
    shown = "".join(o.data.get("text/html", "") for o in tagged(notebook, "watch").outputs
                    if o.output_type == "display_data")
    assert shown.count("data:image/png;base64,") == QUICK_STEPS // 20
    if name == TUTORIALS[1]:
        assert english_in(notebook) == []
        assert decimal_points_in(notebook) == []
    assert_checks_passed(notebook, english)
    # Every exercise ran and printed what its answer discusses.
    exercises = [c for c in notebook.cells if "exercise" in c.metadata.get("tags", [])]
    assert len(exercises) >= MIN_EXERCISES
    assert all(any(o.output_type == "stream" for o in c.outputs) for c in exercises)

    if name == TUTORIALS[0] and shutil.which("chromium"):
        look_in_a_browser(notebook, tmp_path)

    runs = {run.name.split("-")[0]: run for run in (tmp_path / "runs").iterdir()}
    assert sorted(runs) == ["cdcgan", "seed"]
    for run in runs.values():
        for part in ("config.toml", "metrics.jsonl", "checkpoints/last.pt",
                     "generator.safetensors", "report.html", "samples/evolution.gif",
                     f"samples/step_{QUICK_STEPS:07d}.png"):
            assert (run / part).is_file(), f"{run.name} has no {part}"
        assert list((run / "tb").glob("events.out.tfevents.*"))
        end = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
        assert (end["event"], end["step"]) == ("end", QUICK_STEPS)


def assert_checks_passed(notebook, english: bool) -> None:
    """Every check cell ran on the teacher's solution and said so in the notebook's language."""
    checks = [c for c in notebook.cells if "gankit.exercises.check(" in c.source]
    assert checks
    right = "right." if english else "c'est juste."
    for cell in checks:
        [shown] = [o.data["text/plain"] for o in cell.outputs if o.output_type == "execute_result"]
        assert right in shown, shown


STATUS_LINES = (r"Epoch: \[\d+/\d+\], Batch Num: \[\d+/\d+\]\s+Discriminator Loss: \S+, "
                r"Generator Loss: \S+\s+D\(x\): \S+, D\(G\(z\)\): [\d.-]+")


def english_in(notebook) -> list[str]:
    """The words of ENGLISH that the notebook's outputs show (markup left out)."""
    text = re.sub(STATUS_LINES, "", shown_text(notebook))  # the terminal's lines, as printed
    text = re.sub(r"runs/\S+", "", text)  # run dir names
    return [word for word in ENGLISH if re.search(rf"\b{re.escape(word)}\b", text)]


def shown_text(notebook, leave_out=("models",)) -> str:
    """What the outputs say, alt texts included and markup left out, but the cells tagged
    `leave_out` (PyTorch's own printout of a module, in its own language)."""
    shown = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or set(cell.metadata.get("tags", [])) & set(leave_out):
            continue
        for output in cell.outputs:
            shown.append(output.get("text", ""))
            shown.extend(v for k, v in output.get("data", {}).items() if k.startswith("text/"))
    text = re.sub(r'<img [^>]*alt="([^"]*)"[^>]*>', r" \1 ", "\n".join(shown))
    text = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", text, flags=re.S)
    return re.sub(r"<[^>]*>", " ", text)


def decimal_points_in(notebook) -> list[str]:
    """Numbers written with a decimal point in a French notebook's outputs: file names,
    versions, code and the original's terminal lines aside."""
    text = re.sub(STATUS_LINES, "", shown_text(notebook))
    text = re.sub(r"\S+\.(png|gif|webp|pt|toml|jsonl|safetensors|html|ipynb)\b", "", text)
    text = re.sub(r"(gankit|PyTorch) \S+", "", text)  # versions: 0.1.0, 2.13.0+cpu
    text = re.sub(r"[\w.]+\(-?\d+\.\d+\)", "", text)  # code the checks quote: LeakyReLU(0.2)
    text = re.sub(r"\S*tfevents\S*|runs/\S+", "", text)
    return re.findall(r"\S*\d\.\d\S*", text)


def test_kernel_interrupt_saves_and_the_next_run_works(tmp_path):
    """Jupyter's interrupt (SIGINT to the kernel) stops training as Ctrl-C does in a
    terminal: the step ends, last.pt is saved, the cell ends with one line, and the
    kernel trains again afterwards."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", cwd=str(tmp_path),
                                       startup_timeout=WAIT_S)
    try:
        long_run = (f"import gankit\nconfig = gankit.resolve_config('seed', overrides="
                    f"{{'device': 'cpu', 'run_dir': {str(tmp_path / 'long')!r}}})\n"
                    "gankit.train(config)")
        messages = execute(client, long_run, interrupt=manager, after_step=20)
        [error] = [m["content"] for m in messages if m["msg_type"] == "error"]
        assert error["ename"] == "Interrupted"
        [line] = error["traceback"]
        step = int(re.search(r"interrupted at step (\d+)", line)[1])
        assert step >= 20 and "resume=" in line
        saved = torch.load(tmp_path / "long" / "checkpoints" / "last.pt", weights_only=True)
        assert saved["training"]["step"] == step

        short_run = (f"config = gankit.resolve_config('seed', overrides={{'device': 'cpu', "
                     f"'max_steps': 5, 'run_dir': {str(tmp_path / 'short')!r}}})\n"
                     "print(gankit.train(config))\n"  # gankit.train, called a second time
                     "import dataclasses, gankit.training\n"
                     "print(gankit.train(dataclasses.replace(config, max_steps=8), "
                     "resume=config.run_dir))\n"
                     "import signal\nprint(signal.getsignal(signal.SIGINT))")
        messages = execute(client, short_run)
        assert [m for m in messages if m["msg_type"] == "error"] == []
        printed = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
        assert str(tmp_path / "short") in printed
        assert repr(signal.default_int_handler) in printed  # the kernel's handler is back
        assert (tmp_path / "short" / "generator.safetensors").is_file()
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def execute(client, code: str, interrupt=None, after_step: int = 0, timeout: float = WAIT_S):
    """Run `code` in the kernel and return its iopub messages; with `interrupt`, send the
    kernel SIGINT once the panel shows `after_step` steps (the seed preset's 23,450 steps
    cannot end first). `timeout` is a safety net, never a measurement."""
    msg_id = client.execute(code)
    messages, deadline, sent = [], time.monotonic() + timeout, False
    while time.monotonic() < deadline:
        try:
            message = client.get_iopub_msg(timeout=1)
        except Exception:  # queue.Empty: nothing new yet
            continue
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(message)
        content = message["content"]
        if message["msg_type"] == "status" and content["execution_state"] == "idle":
            return messages
        shown = content.get("data", {}).get("text/plain", "")
        progress = re.search(r"step (\d+)/", shown)
        if interrupt and not sent and progress and int(progress[1]) >= after_step:
            interrupt.interrupt_kernel()
            sent = True
    raise TimeoutError(f"the kernel did not finish within {timeout} s")


def test_the_panel_of_a_long_run_stays_small(monkeypatch, tmp_path):
    """The panel is redrawn in place, so the notebook keeps only its last state; that
    state must stay small however long the run: 500 epochs of status lines here."""
    import IPython.display

    from gankit.images import make_grid, save_png
    from gankit.panel import LivePanel

    shown = []

    class Handle:
        def update(self, obj):
            shown.append(obj)

    monkeypatch.setattr(IPython.display, "display", lambda obj, display_id: Handle())
    panel = LivePanel("seed-mnist", total_steps=500 * 469)
    for step in range(1, 500 * 469, 100):
        panel.status("Epoch: [...]", {"step": step, "d_loss": 1.0 + step % 7 / 10, "g_loss": 0.8,
                                      "d_x": 0.6, "d_g_z": 0.4})
    panel.evaluation({"event": "eval", "step": 469, "fid": 40.0})
    rng = torch.Generator().manual_seed(0)
    noise = torch.randint(0, 256, (64, 28, 28, 1), generator=rng, dtype=torch.uint8).numpy()
    save_png(make_grid(noise), tmp_path / "grid.png")  # noise: the worst case for PNG size
    panel.grid((tmp_path / "grid.png").read_bytes(), 500 * 469)
    final = shown[-1]._repr_html_()
    assert final.count("<svg") == 3 and "data:image/png;base64," in final
    assert len(final) < 150_000


def look_in_a_browser(notebook, tmp_path):
    """Render the executed notebook as nbconvert does for readers and take a screenshot in
    headless Chromium: the page loads without errors and the panel's grid shows."""
    from nbconvert import HTMLExporter
    from PIL import Image

    page, _ = HTMLExporter().from_notebook_node(notebook)
    (tmp_path / "tutorial.html").write_text(page)
    shot = tmp_path / "tutorial.png"
    run_process(  # chromium's own processes too end with it, if it hangs
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars",
         "--window-size=1100,12000", f"--screenshot={shot}", (tmp_path / "tutorial.html").as_uri()],
        timeout=WAIT_S)
    pixels = np.asarray(Image.open(shot).convert("L"))
    assert pixels.std() > 20  # text, code and images, not a blank page
    assert (pixels < 40).mean() > 0.01  # the dark sample grids are drawn
