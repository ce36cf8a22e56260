"""Synthetic sequence tasks whose difficulty is one number: a distance in time steps.

``recall_task(n, distance)``: the first token is a key (one of ``n_keys`` symbols); then
come ``distance`` distractor tokens; the last token is a query mark. The label is the key.
A model must carry the key across ``distance`` steps; chance accuracy is 1 / n_keys.

Token ids: 0..n_keys-1 are keys, then the distractors, then the query mark.
"""
from __future__ import annotations

import torch

from .validate import expect_positive_int


class RecallTask:
    """Generator of the key-recall task. ``vocab_size`` = n_keys + n_distractors + 1."""

    def __init__(self, n_keys: int = 4, n_distractors: int = 8):
        self.n_keys = expect_positive_int(n_keys, "n_keys")
        self.n_distractors = expect_positive_int(n_distractors, "n_distractors")
        self.query_id = n_keys + n_distractors
        self.vocab_size = n_keys + n_distractors + 1

    @property
    def chance(self) -> float:
        return 1.0 / self.n_keys

    def sample(self, n: int, distance: int, generator: torch.Generator | None = None):
        """n sequences of length distance + 2 -> (ids (n, distance+2), labels (n,))."""
        n = expect_positive_int(n, "n")
        if isinstance(distance, bool) or not isinstance(distance, int) or distance < 0:
            raise ValueError(f"distance must be a non-negative integer, got {distance!r}")
        keys = torch.randint(self.n_keys, (n,), generator=generator)
        distractors = self.n_keys + torch.randint(self.n_distractors, (n, distance), generator=generator)
        query = torch.full((n, 1), self.query_id)
        return torch.cat([keys[:, None], distractors, query], dim=1), keys

    def describe(self, ids: torch.Tensor) -> str:
        """Human-readable form of one sequence, e.g. 'B . . . ?' style: keys A.., distractors a.., '?'."""
        out = []
        for i in ids.tolist():
            if i < self.n_keys:
                out.append(chr(ord("A") + i))
            elif i == self.query_id:
                out.append("?")
            else:
                out.append(chr(ord("a") + i - self.n_keys))
        return " ".join(out)
