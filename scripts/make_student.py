"""Write the student versions of the tutorials: each solution, between nbgrader's
`### BEGIN SOLUTION` and `### END SOLUTION` markers, becomes a `raise NotImplementedError`
that names what to write, in the notebook's language.

    python scripts/make_student.py [--out dist/student] [NOTEBOOK ...]

The committed notebooks are the teacher's; nbgrader users can take them as they are
(`nbgrader generate_assignment` clears the same regions).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ["gan_mnist.ipynb", "gan_mnist.fr.ipynb", "gan_lab.ipynb", "gan_lab.fr.ipynb"]
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
TO_WRITE = {"en": "write {name}", "fr": "écrivez {name}"}
DEFINITION = re.compile(r"^(\s*)(?:def|class)\s+(\w+)")


def student_source(source: str, language: str) -> str:
    """`source` with each solution region replaced by a raise naming its function."""
    lines, out, inside = source.splitlines(), [], False
    for number, line in enumerate(lines):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"{BEGIN} inside a solution, line {number + 1}")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            what = TO_WRITE[language].format(name=enclosing(lines[:number], len(indent)))
            out.append(f'{indent}raise NotImplementedError("{what}")')
        elif marker == END:
            if not inside:
                raise ValueError(f"{END} without {BEGIN}, line {number + 1}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN} without {END}")
    return "\n".join(out)


def enclosing(above: list[str], indent: int) -> str:
    """The dotted name of the functions and classes around a line indented by `indent`."""
    names = []
    for line in reversed(above):
        found = DEFINITION.match(line)
        if found and len(found[1]) < indent:
            names.insert(0, found[2])
            indent = len(found[1])
    return ".".join(names) or "this cell"


def student_notebook(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    language = "fr" if path.name.endswith(".fr.ipynb") else "en"
    for cell in notebook.cells:
        if cell.cell_type == "code" and BEGIN in cell.source:
            cell.source = student_source(cell.source, language)
            ast.parse(cell.source)  # the student's cell must still be valid Python
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return notebook


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        default=[ROOT / "notebooks" / name for name in TUTORIALS])
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "student")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in args.notebooks:
        nbformat.write(student_notebook(path), args.out / path.name)
        print(f"{args.out / path.name}")


if __name__ == "__main__":
    sys.exit(main())
