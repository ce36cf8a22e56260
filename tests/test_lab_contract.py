"""What every lab's checks must do, tested the same way for each lab.

For each labs/solutions/labN.py: the solutions pass every check, each check accepts its own
reference, the notebook's untouched stubs read "not attempted", and every typical wrong
answer in tests/wrong_answers/labN.py is rejected with a message naming the mistake.
Lab-specific behaviour stays in tests/test_labN_checks.py.
"""
import importlib
import importlib.util
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from torch.nn import functional as F

from utils import data

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).parent))
from sync_solutions import stub_names  # noqa: E402

LABS = sorted(int(p.stem[3:]) for p in (ROOT / "labs" / "solutions").glob("lab*.py"))


@cache
def lab(n: int):
    """(checks, solutions module, wrong answers, stubs) of lab n."""
    checks = importlib.import_module(f"utils.checks.lab{n}").CHECKS
    spec = importlib.util.spec_from_file_location(f"lab{n}_solutions", ROOT / f"labs/solutions/lab{n}.py")
    solutions = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(solutions)
    wrong = importlib.import_module(f"wrong_answers.lab{n}").WRONG_ANSWERS
    (notebook,) = (ROOT / "labs").glob(f"lab{n:02d}_*.ipynb")
    namespace = {"np": np, "torch": torch, "F": F, "data": data}
    for cell in nbformat.read(notebook, as_version=4).cells:
        if stub_names(cell):
            exec(compile(cell.source, str(notebook), "exec"), namespace)
    stubs = {name: namespace[name] for name in checks}
    return checks, solutions, wrong, stubs


def exercises():
    return [(n, name) for n in LABS for name in lab(n)[0]]


def wrong_answers():
    return [pytest.param(n, exercise, answer, words, id=f"lab{n}-{answer.__name__}")
            for n in LABS for exercise, answer, words in lab(n)[2]]


def test_every_lab_has_checks_and_wrong_answers():
    assert LABS, "no labs/solutions/lab*.py found"


@pytest.mark.parametrize("n, name", exercises())
def test_reference_solution_passes(n, name):
    checks, solutions, _, _ = lab(n)
    result = checks[name](getattr(solutions, name))
    assert result.passed, result.message
    assert result.status == "passed" and "Correct" in result.message


@pytest.mark.parametrize("n, name", exercises())
def test_the_check_accepts_its_own_reference(n, name):
    checks = lab(n)[0]
    assert checks[name](checks[name].reference).passed


@pytest.mark.parametrize("n, name", exercises())
def test_untouched_notebook_stub_reads_not_attempted(n, name):
    checks, _, _, stubs = lab(n)
    result = checks[name](stubs[name])
    assert not result.passed and result.status == "not-attempted"
    assert "not attempted" in result.message.lower()
    assert "Traceback" not in result.message


@pytest.mark.parametrize("n, exercise, answer, words", wrong_answers())
def test_wrong_answer_is_rejected_and_the_mistake_named(n, exercise, answer, words):
    result = lab(n)[0][exercise](answer)
    assert not result.passed and result.status == "failed", result.message
    missing = [w for w in words if w.lower() not in result.message.lower()]
    assert not missing, f"{missing} not in: {result.message}"
    assert "bug in the course" not in result.message


@pytest.mark.parametrize("n", LABS)
def test_every_exercise_has_several_typical_wrong_answers(n):
    checks, _, wrong, _ = lab(n)
    counts = Counter(exercise for exercise, _, _ in wrong)
    assert set(counts) == set(checks)
    assert min(counts.values()) >= 5, counts
