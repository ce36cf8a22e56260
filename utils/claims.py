"""Claims: the sentences about results that a notebook computes or checks as it runs.

A sentence that states a measured number must not drift from the number the notebook
measured. Two tools keep every such sentence true, on every run and every machine:

* ``say(text)`` shows a sentence (Markdown) built by the code cell that holds it, with
  the computed numbers inserted, e.g. ``say(f"The GRU recalls {acc:.0%} of the keys.")``.
  The cell is tagged ``remove-input`` so the website shows only the sentence; Jupyter and
  Colab show the code and the sentence.
* ``check(claim, holds, measured)`` asserts a claim that the prose makes in words (no
  number), with the margin measured over several seeds, and prints it with a tick. If a
  later change breaks the claim, the notebook stops there with ``ClaimFailed`` (the book
  build fails) instead of showing a sentence its output contradicts.

    check("the GRU recalls at least 90% of keys at every distance, in every seed",
          gru.min() >= 0.9, measured=f"lowest {gru.min():.0%}")
    # -> ✓ the GRU recalls at least 90% of keys at every distance, in every seed (lowest 100%)

``tests/test_prose_claims.py`` reads every chapter and lab and fails on a numeral in the
prose that is neither produced by ``say`` nor on that page's reviewed list of numbers that
are set, not measured (``tests/prose_numbers/``).
"""
from __future__ import annotations

import numbers
import textwrap

import numpy as np
import torch


class ClaimFailed(AssertionError):
    """A claim the prose makes about a result does not hold for the result just computed."""


def _as_bool(holds, name: str = "holds") -> bool:
    if isinstance(holds, (bool, np.bool_)):
        return bool(holds)
    if isinstance(holds, torch.Tensor) and holds.numel() == 1 and holds.dtype == torch.bool:
        return bool(holds.item())
    raise TypeError(f"{name} must be a bool (the claim's condition, e.g. acc.min() >= 0.9), "
                    f"got {type(holds).__name__}")


def check(claim: str, holds, measured: str = "") -> None:
    """Assert that ``claim`` holds for the results just computed and print it with a tick.

    claim: the claim in words, as the prose states it (non-empty str).
    holds: whether it holds (a bool, computed from the results with the margin measured
        over seeds, e.g. ``min(accuracies) >= 0.9``).
    measured: optional text with the values behind it, printed beside the claim.
    Raises ClaimFailed (naming the claim and the values) when ``holds`` is False.
    """
    if not isinstance(claim, str) or not claim.strip():
        raise TypeError(f"claim must be a non-empty str, got {claim!r}")
    if not isinstance(measured, str):
        raise TypeError(f"measured must be a str, got {type(measured).__name__}")
    ok = _as_bool(holds)
    detail = f" ({measured})" if measured else ""
    if not ok:
        raise ClaimFailed(f"The prose claims: {claim}; but the results just computed say "
                          f"otherwise{detail}. Change the sentence or the experiment.")
    print(textwrap.fill(f"\u2713 {claim}{detail}", width=76, subsequent_indent="  ",
                        break_on_hyphens=False))


def say(text: str) -> None:
    """Show ``text`` (Markdown, with computed numbers already inserted) as a sentence of the
    page; outside IPython, print it. Returns None, so a cell ending in say(...) shows the
    sentence once."""
    if not isinstance(text, str) or not text.strip():
        raise TypeError(f"text must be a non-empty str, got {text!r}")
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:  # plain Python: print the sentence
        print(text)
        return
    if get_ipython() is None:
        print(text)
        return
    display(Markdown(text))


def pct(x, digits: int = 0) -> str:
    """A share (0..1) as a percentage: pct(0.8765) -> '88%', pct(0.8765, 1) -> '87.7%'."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not np.isfinite(x):
        raise ValueError(f"x must be a finite real number (a share between 0 and 1), got {x!r}")
    if isinstance(digits, bool) or not isinstance(digits, numbers.Integral) or not 0 <= digits <= 10:
        raise ValueError(f"digits must be an integer from 0 to 10, got {digits!r}")
    return f"{100 * float(x):.{int(digits)}f}%"


def about(x) -> str:
    """A positive number as its nearest power of ten, in math for the prose:
    about(3.1e-06) -> '$10^{-6}$' (for sizes that vary over orders of magnitude)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not np.isfinite(x) or not x > 0:
        raise ValueError(f"x must be a finite positive number, got {x!r}")
    return f"$10^{{{int(np.round(np.log10(float(x))))}}}$"


def span(values, fmt: str = "{:.0%}") -> str:
    """The range of several seeds' results as text: span([0.5, 0.7]) -> '50%-70%' (one value
    when all are equal to the shown precision)."""
    if isinstance(values, (str, bytes, dict)) or values is None:
        raise TypeError(f"values must be a list (or array) of numbers, got {type(values).__name__}")
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError) as error:
        raise ValueError(f"values must be a flat list of numbers, got {values!r} ({error})") from None
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"values must be a non-empty list of finite numbers, got {values!r}")
    lo, hi = _format(fmt, arr.min()), _format(fmt, arr.max())
    return lo if lo == hi else f"{lo}\u2013{hi}"


def _format(fmt, x: float) -> str:
    """fmt.format(x), refusing a format that is not one field for one number."""
    if not isinstance(fmt, str):
        raise TypeError(f"fmt must be a format string such as '{{:.0%}}', got {type(fmt).__name__}")
    try:
        return fmt.format(x)
    except (IndexError, KeyError, ValueError) as error:
        raise ValueError(f"fmt must format one number, e.g. '{{:.0%}}' or '{{:.2f}}', got {fmt!r} "
                         f"({type(error).__name__}: {error})") from None


__all__ = ["ClaimFailed", "check", "say", "pct", "about", "span"]
