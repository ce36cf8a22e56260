"""Bad input to a public utils entry point raises ValueError/TypeError from utils itself, saying
what was expected and what was given: never a traceback from deep inside torch or numpy, never
a silent result, never a hang.

The cases live in ``tests/bad_inputs.py`` (one entry per function and bad input, grouped by
class of mistake); ``python tests/bad_inputs.py`` prints how many of each class get a clear
error. Here every entry is one test.
"""
import pytest
import torch

from bad_inputs import CATALOGUE, CLASSES, CUDA, run
from utils import models, training


@pytest.mark.parametrize("entry", CATALOGUE, ids=[e.id for e in CATALOGUE])
def test_bad_input_is_explained(entry):
    if entry.needs_cuda and not CUDA:
        pytest.skip("needs a CUDA device")
    outcome = run(entry)
    assert outcome.result == "clear", f"{entry.kind}: {entry.id}\n{outcome.result}: {outcome.detail}"


def test_catalogue_is_well_formed():
    ids = [e.id for e in CATALOGUE]
    assert len(ids) == len(set(ids)), "two entries share one id"
    assert {e.kind for e in CATALOGUE} == set(CLASSES), "a class of mistake has no entry"
    assert len(CATALOGUE) >= 500


def test_errors_are_raised_before_any_work():
    """A bad call leaves the model untouched (checked before the first update)."""
    model = models.CharLM(9, hidden_size=8, cell="gru")
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError):
        training.train(model, lambda g: (torch.zeros(1, 2, dtype=torch.long),) * 2, steps=3, lr=0.0)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
