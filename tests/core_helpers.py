"""What the tests of the recurrent cores share: float64 inputs and states of the same sizes,
and one comparison of outputs and states (tuples for the LSTM) to float64 rounding."""
from __future__ import annotations

import torch

TOL = dict(rtol=1e-9, atol=1e-12)
B, T, D, J = 3, 6, 5, 7          # D != J on purpose
KINDS = ["rnn", "gru", "lstm"]


def xs(batch=B, steps=T, size=D):
    return torch.randn(batch, steps, size, dtype=torch.float64)


def random_state(kind, n, batch=B):
    h = torch.randn(n, batch, J, dtype=torch.float64)
    return (h, torch.randn_like(h)) if kind == "lstm" else h


def assert_same(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
    else:
        assert ours.shape == theirs.shape
        torch.testing.assert_close(ours, theirs, **TOL)
