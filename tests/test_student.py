"""The tutorials' write-it cells: nbgrader's solution markers, a check after each, the
teacher's solutions passing their checks, and `make student`'s copies, where each solution
is a raise that the check reports as not written yet."""

import ast
import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

import gankit.exercises
from gankit.language import set_language

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
spec = importlib.util.spec_from_file_location("make_student", ROOT / "scripts" / "make_student.py")
make_student = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_student)

# The functions each tutorial asks the student to write, with the check's name.
WRITTEN = {
    "gan_mnist": {"scale_pixels": "scale_pixels", "Generator": "generator",
                  "Discriminator": "discriminator", "train_discriminator": "train_discriminator",
                  "train_generator": "train_generator",
                  "minimax_generator_loss": "minimax_generator_loss"},
    "gan_lab": {"fake_arrows": "fake_arrows", "r1_penalty": "r1_penalty"},
}
NAMESPACE = "import torch\nimport torch.nn.functional as F\nfrom torch import nn\n"
NOT_WRITTEN = {"en": "not written yet", "fr": "pas encore écrite"}


def language(path: Path) -> str:
    return "fr" if path.name.endswith(".fr.ipynb") else "en"


def solutions(notebook) -> list[tuple[str, nbformat.NotebookNode, nbformat.NotebookNode]]:
    """(the function's name, its cell, the cell after it) for every solution cell."""
    found = []
    for cell, after in zip(notebook.cells, notebook.cells[1:], strict=False):
        if cell.cell_type == "code" and make_student.BEGIN in cell.source:
            [definition] = [node.name for node in ast.parse(cell.source).body
                            if isinstance(node, ast.FunctionDef | ast.ClassDef)]
            found.append((definition, cell, after))
    return found


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    set_language("en")


TUTORIALS = sorted(NOTEBOOKS.glob("*.ipynb"))


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.name)
def test_each_solution_is_marked_for_nbgrader_and_followed_by_its_check(path):
    notebook = nbformat.read(path, as_version=4)
    found = solutions(notebook)
    expected = WRITTEN[path.name.split(".")[0]]
    assert sorted(name for name, _, _ in found) == sorted(expected)
    for name, cell, after in found:
        assert cell.metadata["nbgrader"]["solution"] is True
        assert cell.source.count(make_student.BEGIN) == cell.source.count(make_student.END)
        assert after.source == f'gankit.exercises.check("{expected[name]}", {name})'


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.name)
def test_the_teachers_solutions_pass_their_checks(path):
    notebook = nbformat.read(path, as_version=4)
    namespace = {}
    exec(NAMESPACE, namespace)
    expected = WRITTEN[path.name.split(".")[0]]
    for name, cell, _ in solutions(notebook):
        exec(cell.source, namespace)
        result = gankit.exercises.check(expected[name], namespace[name], language(path))
        assert result.passed, f"{name}: {result.message}"


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.name)
def test_the_students_copy_raises_where_the_solutions_were(path, tmp_path):
    make_student.main([str(path), "--out", str(tmp_path)])
    student = nbformat.read(tmp_path / path.name, as_version=4)
    teacher = nbformat.read(path, as_version=4)
    assert len(student.cells) == len(teacher.cells)
    assert not any("SOLUTION" in cell.source for cell in student.cells if cell.cell_type == "code")
    namespace = {}
    exec(NAMESPACE, namespace)
    expected = WRITTEN[path.name.split(".")[0]]
    written = 0
    for cell in student.cells:
        if cell.cell_type != "code" or "raise NotImplementedError(" not in cell.source:
            continue
        exec(cell.source, namespace)
        [name] = [n for n in expected if re.search(rf"\b(def|class) {n}\b", cell.source)]
        assert re.search(rf'NotImplementedError\("(write|écrivez) {name}', cell.source)
        result = gankit.exercises.check(expected[name], namespace[name], language(path))
        assert not result.passed and NOT_WRITTEN[language(path)] in result.message
        written += 1
    assert written == len(expected)


def test_a_solution_region_names_its_method_and_keeps_its_indentation():
    source = ("class Generator:\n    def forward(self, z):\n        ### BEGIN SOLUTION\n"
              "        return z\n        ### END SOLUTION\n")
    assert make_student.student_source(source, "en") == (
        "class Generator:\n    def forward(self, z):\n"
        "        raise NotImplementedError(\"write Generator.forward\")")
    with pytest.raises(ValueError, match="without"):
        make_student.student_source("### BEGIN SOLUTION\nx = 1\n", "en")
