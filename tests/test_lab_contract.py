"""What every lab's checks must do, tested the same way for each lab.

For each labs/solutions/labN.py: the solutions pass every check, each check accepts its own
reference, the notebook's untouched stubs read "not attempted", and every typical wrong
answer in tests/wrong_answers/labN.py is rejected with a message naming the mistake.
Lab-specific behaviour stays in tests/test_labN_checks.py.
"""
from collections import Counter

import pytest

from lab_files import lab_numbers, load_lab

LABS = lab_numbers()


def lab(n: int):
    """(checks, solutions module, wrong answers, stubs) of lab n."""
    return load_lab(n)[:4]


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
