"""Hints that teach before they tell (issue 12): every exercise of every lab has a hint in
two levels, nested so that the code shows only on a second click,

    <details><summary>Hint 1: the idea</summary>   what to compute and why, no code
    <details><summary>Hint 2: the code</summary>   the calls and the shape of the lines
    </details></details>

and every lab ends with one stretch task that has no hint. Level 1 may name arguments in
backticks, but holds no code: no fenced block, no backticked expression (``=``, a call, a
numpy/torch name) and no line of the lab's solution.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from sync_solutions import lab_notebooks  # noqa: E402

LABS = list(lab_notebooks())
IDS = [p.stem for p in LABS]
LEVEL_1 = "<details><summary>Hint 1: the idea</summary>"
LEVEL_2 = "<details><summary>Hint 2: the code</summary>"
STRETCH = "## Stretch (optional, no hints)"
CODE_SPAN = re.compile(r"`[^`\n]+`")              # one inline code span, paired left to right
CODE = re.compile(r"=|\(|\bnp\.|\btorch\.|\bF\.")


def markdown_cells(path: Path) -> list[str]:
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]


def solution_lines(path: Path) -> set[str]:
    """The lines of labs/solutions/labN.py that carry code (over 12 characters, stripped)."""
    number = int(re.match(r"lab0*(\d+)", path.stem).group(1))
    source = (ROOT / "labs" / "solutions" / f"lab{number}.py").read_text()
    lines = {" ".join(line.split()) for line in source.splitlines()}
    return {line for line in lines if len(line) > 12 and not line.startswith(("#", '"""', "'''"))}


def hints(source: str) -> list[tuple[str, str]]:
    """(level 1, level 2) of every two-level hint in a markdown cell's source."""
    found = []
    for block in source.split(LEVEL_1)[1:]:
        if LEVEL_2 not in block:
            raise AssertionError(f"a hint without a second level: {block[:120]!r}")
        first, rest = block.split(LEVEL_2, 1)
        closes = [m.start() for m in re.finditer(r"</details>", rest)]
        if len(closes) < 2 or "<details" in rest[:closes[1]]:
            raise AssertionError(f"level 2 must sit inside level 1 (two </details> after it): "
                                 f"{block[:120]!r}")
        if "</details>" in first:
            raise AssertionError(f"level 1 closes before level 2 opens: {block[:120]!r}")
        found.append((first, rest[:closes[0]]))
    return found


def level_one_problems(text: str, solution: set[str]) -> list[str]:
    """What in a first-level hint is code: fences, code in backticks, solution lines."""
    problems = []
    if "```" in text or "~~~" in text:
        problems.append("a fenced code block")
    problems += [f"code in backticks: {m.group(0)}" for m in CODE_SPAN.finditer(text)
                 if CODE.search(m.group(0))]
    flat = " ".join(text.replace("`", " ").split())
    problems += [f"a line of the solution: {line}" for line in solution if line in flat]
    return problems


@pytest.mark.parametrize("path", LABS, ids=IDS)
def test_every_exercise_has_a_two_level_hint(path):
    cells = markdown_cells(path)
    text = "\n".join(cells)
    assert "<summary>Hint</summary>" not in text, f"{path.name}: a one-level hint is left"
    solutions = text.count("<summary>Show solution</summary>")
    two_level = sum(len(hints(cell)) for cell in cells)
    assert two_level == solutions, (f"{path.name}: {two_level} two-level hints for "
                                    f"{solutions} exercises")


@pytest.mark.parametrize("path", LABS, ids=IDS)
def test_the_first_level_teaches_without_code(path):
    solution = solution_lines(path)
    problems = [f"hint {k}: {problem}"
                for k, (first, _) in enumerate((h for cell in markdown_cells(path) for h in hints(cell)), 1)
                for problem in level_one_problems(first, solution)]
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("path", LABS, ids=IDS)
def test_one_stretch_task_without_hints(path):
    stretch = [cell for cell in markdown_cells(path) if cell.lstrip().startswith(STRETCH)]
    assert len(stretch) == 1, f"{path.name}: {len(stretch)} stretch sections, want one"
    assert "<details" not in stretch[0], f"{path.name}: the stretch task must have no hint"


def test_the_checks_see_code_in_a_first_level_hint():
    solution = {"h_t = np.tanh(W @ h_prev + U @ x_t + b)"}
    assert level_one_problems("Use `np.tanh` on the sum.", solution) == [
        "code in backticks: `np.tanh`"]
    assert level_one_problems("```python\nx = 1\n```", set()) == ["a fenced code block"]
    assert level_one_problems("`h_prev` (the state) = `h_{t-1}`", set()) == []
    assert level_one_problems("Type h_t = np.tanh(W @ h_prev + U @ x_t + b) and go.", solution)
    assert level_one_problems("Add the input part and the recurrent part of the state, then "
                              "squash with $\\tanh$; `h_prev` is $h_{t-1}$.", solution) == []
    one_level = "<details><summary>Hint 1: the idea</summary>\n\nThink.\n\n</details>"
    with pytest.raises(AssertionError, match="second level"):
        hints(one_level)
    side_by_side = (LEVEL_1 + "\n\nThink.\n\n</details>\n" + LEVEL_2 + "\n\n`x = 1`\n\n</details>")
    with pytest.raises(AssertionError):
        hints(side_by_side)
    nested = LEVEL_1 + "\n\nThink.\n\n" + LEVEL_2 + "\n\n`x = 1`\n\n</details>\n</details>"
    assert hints(nested) == [("\n\nThink.\n\n", "\n\n`x = 1`\n\n")]
