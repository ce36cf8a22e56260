"""Baselines that a language model must beat, in the same units (nats per token).

* ``uniform_loss(vocab)``: every token that can come next equally likely, log C nats,
  where C is the number of tokens that can be predicted (all but <PAD> and <BOS>);
  ``uniform_loss(n)`` for a model with n classes. The course defines it here, once.
* ``UnigramLM``: P(next) from the token frequencies alone, ignoring the context:

      P(b) = (count(b) + k) / (N + k * C)

* ``BigramLM``: P(next | previous) from counts on the training ids, add-k smoothed:

      P(b | a) = (count(a, b) + k) / (count(a) + k * C)

  where C is the number of tokens that can come next (all but <PAD> and <BOS>).

``UnigramLM`` and ``BigramLM`` have the same interface as ``utils.models.CharLM`` (``forward`` and ``step``
return next-token logits), so ``utils.training.evaluate`` scores it and
``utils.sampling.sample`` samples from it exactly as they do for a recurrent model.
"""
from __future__ import annotations

import math
import numbers

import numpy as np
import torch

from .data import Vocab
from .models import TokenModel
from .validate import expect_positive_int

NEVER_NEXT = (Vocab([]).pad_id, Vocab([]).bos_id)   # <PAD> and <BOS> are never a next token
IMPOSSIBLE = -1e30   # stands in for log 0 there: finite, so a zero mask times it stays 0
MAX_TABLE = 10**8    # most counts in a table (vocab_size ** 2)


def uniform_loss(choices) -> float:
    """The uniform baseline, defined once for the whole course: log of the number of tokens
    that can be predicted, in nats.

    choices: a Vocab (every token but <PAD> and <BOS>, which never come next) or the number
    of possible next tokens (int), e.g. the K classes of a model without special tokens.
    """
    if isinstance(choices, Vocab):
        return math.log(len(choices) - len(NEVER_NEXT))
    if isinstance(choices, bool) or not isinstance(choices, numbers.Integral):
        raise TypeError(f"choices must be a Vocab or a positive int (the number of tokens that "
                        f"can come next), got {type(choices).__name__}")
    return math.log(expect_positive_int(choices, "choices"))


class BigramLM(TokenModel):
    """A count-based bigram language model: the previous token is all the context it has.

    model = BigramLM(len(vocab), k=1.0).fit([vocab.encode(text)])   # or one list per name
    model.loss([vocab.encode(val_text)])                             # nats per token
    """

    def __init__(self, vocab_size: int, k: float = 1.0):
        super().__init__(vocab_size)         # vocab_size, check_ids and device from TokenModel
        if isinstance(k, bool) or not isinstance(k, numbers.Real) or not 0 <= k < math.inf:
            raise ValueError(f"k (the add-k smoothing count) must be a finite number >= 0, got {k!r}")
        if vocab_size ** 2 > MAX_TABLE:
            raise ValueError(f"a table of vocab_size ** 2 = {vocab_size ** 2:,} counts is more than "
                             f"the {MAX_TABLE:,} allowed: a bigram table is for small vocabularies")
        if vocab_size <= len(NEVER_NEXT):
            raise ValueError(f"vocab_size must leave room for tokens besides <PAD> and <BOS>, "
                             f"got {vocab_size}")
        self.k = float(k)
        self.register_buffer("counts", torch.zeros(vocab_size, vocab_size))   # [previous, next]
        self.register_buffer("log_probs", torch.zeros(vocab_size, vocab_size))
        self._update_log_probs()

    def fit(self, sequences) -> "BigramLM":
        """Count every (previous, next) pair inside each id sequence; returns self.

        sequences: a list of id sequences (lists, arrays or 1-D tensors), e.g. one per
        name with <BOS> and <EOS> added, or ``[ids]`` for one long text.
        """
        prev, nxt = self._pairs(sequences)
        flat = np.bincount(prev * self.vocab_size + nxt, minlength=self.vocab_size ** 2)
        self.counts = torch.as_tensor(flat.reshape(self.vocab_size, self.vocab_size),
                                      dtype=torch.float32, device=self.device)
        self._update_log_probs()
        return self

    def _update_log_probs(self) -> None:
        smoothed = self.counts + self.k
        smoothed[:, list(NEVER_NEXT)] = 0.0
        totals = smoothed.sum(dim=1, keepdim=True)
        # a previous token never seen (and k = 0): no evidence at all, so a uniform guess
        smoothed = torch.where(totals > 0, smoothed, torch.ones_like(smoothed))
        smoothed[:, list(NEVER_NEXT)] = 0.0
        log_probs = torch.log(smoothed / smoothed.sum(dim=1, keepdim=True))
        log_probs[:, list(NEVER_NEXT)] = IMPOSSIBLE
        self.log_probs = log_probs

    @torch.no_grad()
    def loss(self, sequences) -> float:
        """Mean -log P(next | previous) over every pair in ``sequences``, in nats per token."""
        prev, nxt = self._pairs(sequences)
        return float(-self.log_probs.cpu()[prev, nxt].double().mean())

    def forward(self, idx: torch.Tensor, state=None):
        """idx (B, T) -> logits (B, T, K): the log-probabilities of the next token."""
        return self.log_probs[self.check_ids(idx, ndim=2).to(self.device)], None

    def step(self, idx_t: torch.Tensor, state=None):
        """idx_t (B,) -> logits (B, K); there is no state to carry."""
        return self.log_probs[self.check_ids(idx_t, ndim=1).to(self.device)], None

    def _pairs(self, sequences) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(sequences, str) or (isinstance(sequences, (list, tuple)) and sequences
                                          and isinstance(sequences[0], (str, numbers.Integral))):
            raise TypeError("sequences must be a list of id sequences, e.g. [vocab.encode(text)] "
                            "for one text or one encoded list per name; got "
                            + ("a string" if isinstance(sequences, str) else "a flat list"))
        if isinstance(sequences, torch.Tensor) and sequences.ndim != 2:
            raise TypeError("sequences must be a list of id sequences; wrap one 1-D tensor in a list")
        prevs, nexts = [], []
        for seq in sequences:
            ids = seq.detach().cpu().numpy() if isinstance(seq, torch.Tensor) else np.asarray(seq)
            if ids.ndim != 1 or (ids.size and not np.issubdtype(ids.dtype, np.integer)):
                raise TypeError(f"each sequence must be a 1-D list of integer token ids, got "
                                f"shape {ids.shape} dtype {ids.dtype}")
            prevs.append(ids[:-1])
            nexts.append(ids[1:])
        prev = np.concatenate(prevs) if prevs else np.zeros(0, dtype=np.int64)
        nxt = np.concatenate(nexts) if nexts else np.zeros(0, dtype=np.int64)
        if prev.size == 0:
            raise ValueError("sequences hold no (previous, next) pair: each needs 2 or more ids")
        both = np.concatenate([prev, nxt])
        if both.min() < 0 or both.max() >= self.vocab_size:
            raise ValueError(f"token ids must lie in [0, {self.vocab_size}), got values from "
                             f"{both.min()} to {both.max()}")
        return prev.astype(np.int64), nxt.astype(np.int64)


class UnigramLM(BigramLM):
    """A count-based unigram language model: the letter frequencies, no context at all.

    It counts the same (previous, next) pairs as ``BigramLM`` but forgets the previous
    token: every row of its table is the add-k smoothed frequency of each next token.

    model = UnigramLM(len(vocab), k=1.0).fit(train_sequences)
    model.loss(val_sequences)                                          # nats per token
    """

    def _update_log_probs(self) -> None:
        column = (self.counts.sum(dim=0) + self.k)[None, :].expand_as(self.counts).clone()
        column[:, list(NEVER_NEXT)] = 0.0
        if float(column[0].sum()) == 0:          # nothing counted and k = 0: a uniform guess
            column = torch.ones_like(column)
            column[:, list(NEVER_NEXT)] = 0.0
        log_probs = torch.log(column / column.sum(dim=1, keepdim=True))
        log_probs[:, list(NEVER_NEXT)] = IMPOSSIBLE
        self.log_probs = log_probs
