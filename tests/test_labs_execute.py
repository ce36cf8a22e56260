"""Every lab notebook runs top to bottom, as committed and with its solutions filled in.

* With solutions: each exercise stub is replaced by the function of the same name from
  labs/solutions/labN.py, the notebook is executed (in labs/, as the book build does), and
  every check box must report "passed".
* As committed (stubs): the website executes this version, so it must run without error,
  every check reporting "not attempted" instead of a traceback.
* The solution blocks shown in the notebooks match labs/solutions (scripts/sync_solutions.py).
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from sync_solutions import lab_notebooks, solution_sources, stub_names  # noqa: E402

NOTEBOOKS = [p for p in lab_notebooks()]


def fill_in_solutions(nb, solutions: dict[str, str]) -> list[str]:
    """Replace each stub function in the code cells by its solution; return the names."""
    filled = []
    for cell in nb.cells:
        for name in stub_names(cell):
            tree = ast.parse(cell.source)
            node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
            lines = cell.source.splitlines()
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            lines[start - 1:node.end_lineno] = solutions[name].splitlines()
            cell.source = "\n".join(lines)
            filled.append(name)
    return filled


def execute(nb, monkeypatch) -> None:
    """Run the notebook in labs/ (how long it takes is measured by benchmarks/, not here:
    a test must pass on a busy machine)."""
    monkeypatch.setenv("RNN_COURSE_PROGRESS", "0")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "labs")}}).execute()


def check_boxes(nb) -> list[tuple[str, str]]:
    """(exercise, status) of every CheckResult shown in the executed notebook."""
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html", "")
            for status, exercise in re.findall(
                    r'data-check="([\w-]+)" data-exercise="([^"]*)"', html):
                found.append((exercise, status))
    return found


def errors(nb) -> list[str]:
    return [f"{o.get('ename')}: {o.get('evalue')}" for cell in nb.cells
            for o in cell.get("outputs", []) if o.get("output_type") == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_lab_passes_every_check_with_its_solutions(path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    solutions = solution_sources(path)
    filled = fill_in_solutions(nb, solutions)
    assert sorted(filled) == sorted(solutions), "every solution must replace one stub"
    execute(nb, monkeypatch)
    assert not errors(nb)
    boxes = check_boxes(nb)
    assert boxes, "no check results were displayed"
    assert {name for name, _ in boxes} == set(solutions), "one check cell per exercise"
    assert all(status == "passed" for _, status in boxes), boxes
    notes = [o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
             if o.get("output_type") == "stream"]
    assert not any("using the reference" in text for text in notes), \
        "with every exercise solved, the lab must use the learner's functions"
    losses = [float(x) for text in notes for x in re.findall(r"validation loss ([\d.]+)", text)]
    if losses:                          # a lab that trains something shows its loss falling
        assert losses[-1] < losses[0] - 0.05, losses


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_lab_runs_as_committed_with_the_stubs(path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    execute(nb, monkeypatch)
    assert not errors(nb)
    boxes = check_boxes(nb)
    assert boxes and all(status == "not-attempted" for _, status in boxes), boxes


def test_solution_blocks_match_the_solution_files():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "sync_solutions.py"),
                             "--check"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_lab_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_solution_cells_are_collapsed_blocks(path):
    nb = nbformat.read(path, as_version=4)
    blocks = [c.source for c in nb.cells if any(t.startswith("solution:")
                                                for t in c.metadata.get("tags", []))]
    assert blocks
    for source in blocks:
        assert source.startswith("<details><summary>Show solution</summary>\n\n```python\n")
        assert source.endswith("\n```\n\n</details>")
