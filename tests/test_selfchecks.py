"""Every chapter asks the reader two to four self-check questions (utils.selfcheck).

Read from the notebooks, without running them: each chapter makes 2-4 calls of ``numeric``
or ``choice``, each in its own code cell tagged ``remove-input`` (the site shows only the
question), as the cell's last statement (so the cell displays it), and imports them from
``utils.selfcheck``. Whether each question works in a browser is
tests/test_site_browser.py's job; the widget itself is tested in tests/test_utils_selfcheck.py.
"""
from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
FUNCTIONS = {"numeric", "choice"}
FEWEST, MOST = 2, 4


def _called_name(call: ast.Call) -> str | None:
    """numeric(...) -> "numeric"; selfcheck.choice(...) -> "choice"; anything else -> None."""
    func = call.func
    if isinstance(func, ast.Name) and func.id in FUNCTIONS:
        return func.id
    if (isinstance(func, ast.Attribute) and func.attr in FUNCTIONS
            and isinstance(func.value, ast.Name) and func.value.id == "selfcheck"):
        return func.attr
    return None


def selfcheck_cells(path: Path) -> list[tuple[int, nbformat.NotebookNode, list[ast.Call]]]:
    """(index, cell, self-check calls) of every code cell that calls numeric or choice."""
    nb = nbformat.read(path, as_version=4)
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not any(f"{name}(" in cell.source for name in FUNCTIONS):
            continue
        calls = [node for node in ast.walk(ast.parse(cell.source))
                 if isinstance(node, ast.Call) and _called_name(node)]
        if calls:
            found.append((index, cell, calls))
    return found


def test_there_are_chapters():
    assert len(CHAPTERS) >= 7


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_has_two_to_four_self_checks(path):
    count = sum(len(calls) for _, _, calls in selfcheck_cells(path))
    assert FEWEST <= count <= MOST, (
        f"{path.name} asks {count} self-check questions; a chapter asks {FEWEST} to {MOST} "
        "(utils.selfcheck.numeric or choice), where the reader should stop and think")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_each_self_check_is_its_own_cell_showing_only_the_question(path):
    problems = []
    for index, cell, calls in selfcheck_cells(path):
        tags = cell.metadata.get("tags", [])
        if "remove-input" not in tags:
            problems.append(f"cell {index} is not tagged remove-input (the site would show the "
                            "code, answers included)")
        if len(calls) != 1:
            problems.append(f"cell {index} asks {len(calls)} questions; one cell, one question")
        last = ast.parse(cell.source).body[-1]
        if not (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
                and _called_name(last.value)):
            problems.append(f"cell {index} does not end with the numeric(...) or choice(...) "
                            "call, so nothing is displayed")
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_self_checks_are_imported_from_utils(path):
    if not selfcheck_cells(path):
        pytest.skip("no self-check yet")
    nb = nbformat.read(path, as_version=4)
    imported = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.ImportFrom) and node.module == "utils.selfcheck":
                imported |= {alias.name for alias in node.names}
    used = {_called_name(c) for _, _, calls in selfcheck_cells(path) for c in calls}
    assert used <= imported, (f"{path.name} calls {sorted(used - imported)} without "
                              "`from utils.selfcheck import ...`")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_answers_and_mistakes_are_computed_not_typed(path):
    """A numeric answer is an expression or a name, never a bare number literal: typing
    0.76 instead of computing it lets the question drift from the chapter."""
    typed = []
    for index, _, calls in selfcheck_cells(path):
        for call in calls:
            if _called_name(call) != "numeric" or len(call.args) < 2:
                continue
            answer = call.args[1]
            if isinstance(answer, ast.Constant) or (
                    isinstance(answer, ast.UnaryOp) and isinstance(answer.operand, ast.Constant)):
                typed.append(f"cell {index}: answer {ast.unparse(answer)}")
    assert not typed, f"{path.name} types answers in instead of computing them: {typed}"


def test_the_scan_sees_both_forms_of_call():
    calls = [node for node in ast.walk(ast.parse(
        "numeric('q', x)\nselfcheck.choice('q', o, 0)\nprint(numeric)\nnp.choice(3)\n"))
        if isinstance(node, ast.Call)]
    assert [_called_name(c) for c in calls] == ["numeric", "choice", None, None]
