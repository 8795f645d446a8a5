"""Figures of gankit's import graph at one or more git revisions (default: the working tree).

    python benchmarks/import_graph.py 1438826 HEAD .

For each: modules, import edges between them (at the top or inside functions, but not
under `if TYPE_CHECKING:`), the longest chain of imports, the lines of run.py,
the gankit modules run.py imports, and the modules outside the lab's own that ask
whether a dataset is a toy (`is_toy`).
"""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# The suite's own reading of imports and names, and its list of the lab's modules.
from tests.test_run_parts import LAB_MODULES, gankit_imports, names_used  # noqa: E402

PACKAGE = "src/gankit"


def sources(revision: str) -> dict[str, str]:
    """gankit's modules by dotted name, with their source, at `revision` ("." for the
    working tree)."""
    if revision == ".":
        paths = sorted((ROOT / PACKAGE).rglob("*.py"))
        files = {str(p.relative_to(ROOT)): p.read_text() for p in paths}
    else:
        listed = subprocess.run(["git", "ls-tree", "-r", "--name-only", revision, PACKAGE],
                                cwd=ROOT, capture_output=True, text=True, check=True).stdout
        files = {path: subprocess.run(["git", "show", f"{revision}:{path}"], cwd=ROOT,
                                      capture_output=True, text=True, check=True).stdout
                 for path in listed.split() if path.endswith(".py")}
    found = {}
    for path, text in files.items():
        parts = Path(path).relative_to("src").with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = text
    return found


def figures(revision: str) -> dict:
    modules = sources(revision)
    graph = {name: gankit_imports(name, source, set(modules)) for name, source in modules.items()}

    @cache
    def depth(name: str, seen: frozenset = frozenset()) -> int:
        if name in seen:  # a cycle: counted once
            return 0
        return 1 + max((depth(other, seen | {name}) for other in graph[name]), default=0)

    asking = sorted(name.removeprefix("gankit.") for name, source in modules.items()
                    if "is_toy" in names_used(source)
                    and name not in LAB_MODULES | {"gankit.kinds"})
    return {"revision": revision, "modules": len(graph),
            "edges": sum(len(targets) for targets in graph.values()),
            "longest chain": max(depth(name) for name in graph),
            "run.py lines": len(modules["gankit.run"].splitlines()),
            "run.py imports": len(graph["gankit.run"]),
            "modules asking is_toy (outside the lab)": f"{len(asking)}: {', '.join(asking)}"}


def main(revisions: list[str]) -> None:
    for revision in revisions or ["."]:
        for key, value in figures(revision).items():
            print(f"{key:40s} {value}")
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
