"""Write each exercise's hidden solution into its lab notebook, from labs/solutions/labN.py.

    python scripts/sync_solutions.py          # rewrite the solution cells that differ
    python scripts/sync_solutions.py --check  # exit 1 and list them instead

A solution cell is a markdown cell tagged ``solution:<function name>``; its source becomes
a collapsed block (works in Jupyter, Colab and on the website)::

    <details><summary>Show solution</summary>

    ```python
    <the function's source from labs/solutions/labN.py>
    ```

    </details>

labs/lab01_*.ipynb takes its solutions from labs/solutions/lab1.py. Every public function
of a solutions file must have a stub in the notebook (a code cell defining it with
``raise NotImplementedError``) and a solution cell; both modes report any that don't.
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
LABS = ROOT / "labs"
TAG_PREFIX = "solution:"


def lab_notebooks() -> list[Path]:
    return sorted(p for p in LABS.glob("lab*.ipynb"))


def solutions_path(notebook: Path) -> Path:
    """labs/lab01_rnn_from_scratch.ipynb -> labs/solutions/lab1.py"""
    match = re.match(r"lab0*(\d+)", notebook.stem)
    if not match:
        raise ValueError(f"{notebook.name}: a lab notebook's name must start with labNN_")
    return LABS / "solutions" / f"lab{int(match.group(1))}.py"


def function_sources(source: str) -> dict[str, str]:
    """{name: source} of every top-level function (decorators included) of a module."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            found[node.name] = "\n".join(lines[start - 1:node.end_lineno])
    return found


def solution_sources(notebook: Path) -> dict[str, str]:
    """The public solution functions for a lab notebook."""
    sources = function_sources(solutions_path(notebook).read_text(encoding="utf-8"))
    return {name: src for name, src in sources.items() if not name.startswith("_")}


def solution_cell_source(code: str) -> str:
    return ("<details><summary>Show solution</summary>\n\n```python\n" + code.rstrip()
            + "\n```\n\n</details>")


def solution_tag(cell) -> str | None:
    for tag in cell.get("metadata", {}).get("tags", []):
        if tag.startswith(TAG_PREFIX):
            return tag[len(TAG_PREFIX):]
    return None


def stub_names(cell) -> list[str]:
    """Functions a code cell defines whose body raises NotImplementedError (the exercises)."""
    if cell.cell_type != "code":
        return []
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:
        return []
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef)
            and any(isinstance(n, ast.Raise) and "NotImplementedError" in ast.unparse(n)
                    for n in ast.walk(node))]


def sync(notebook: Path, check_only: bool) -> list[str]:
    """Bring the solution cells up to date; return one line per difference or problem."""
    nb = nbformat.read(notebook, as_version=4)
    solutions = solution_sources(notebook)
    name = notebook.relative_to(ROOT)
    problems, seen, changed = [], set(), False
    for cell in nb.cells:
        exercise = solution_tag(cell)
        if exercise is None:
            continue
        seen.add(exercise)
        if exercise not in solutions:
            problems.append(f"{name}: a cell is tagged {TAG_PREFIX}{exercise}, but "
                            f"{solutions_path(notebook).relative_to(ROOT)} has no such function")
            continue
        wanted = solution_cell_source(solutions[exercise])
        if cell.source != wanted:
            problems.append(f"{name}: the solution of {exercise} differs from "
                            f"{solutions_path(notebook).relative_to(ROOT)}")
            cell.source = wanted
            changed = True
    stubs = {n for cell in nb.cells for n in stub_names(cell)}
    for exercise in solutions:
        if exercise not in seen:
            problems.append(f"{name}: no cell tagged {TAG_PREFIX}{exercise}")
        if exercise not in stubs:
            problems.append(f"{name}: no exercise cell defines {exercise} with "
                            "`raise NotImplementedError`")
    if changed and not check_only:
        nbformat.write(nb, notebook)
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report what differs")
    args = parser.parse_args()
    failed = False
    for notebook in lab_notebooks():
        if not solutions_path(notebook).exists():
            continue
        for line in sync(notebook, args.check):
            fixable = "differs" in line
            failed |= args.check or not fixable
            print(("differs: " if args.check and fixable else "updated: " if fixable else
                   "problem: ") + line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
