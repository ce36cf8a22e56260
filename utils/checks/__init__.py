"""Checks for the lab exercises: immediate, specific feedback, never a traceback.

    from utils.checks.lab1 import check_rnn_cell_forward
    check_rnn_cell_forward(rnn_cell_forward)     # a green ✓, grey ○ or red ✗ box

``core`` holds the framework (``Check``, ``CheckResult``, ``Case``, ``Mistake``, and
``PropertyCheck`` with ``Probe`` for exercises judged by what the function does) and the
pieces several labs share (random cells and modules, the torch-weight conversion hints); each
``labN`` module holds one lab's checks. ``use_learner_or_reference`` lets later cells of a
lab run before the learner has solved the exercises they build on.
"""
from .core import (Case, Check, CheckResult, HintedCheck, Mistake, Probe, PropertyCheck,
                   use_learner_or_reference)

__all__ = ["Case", "Check", "CheckResult", "HintedCheck", "Mistake", "Probe", "PropertyCheck",
           "use_learner_or_reference"]
