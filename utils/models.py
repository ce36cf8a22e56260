"""A character (or word) language model: tokens -> recurrent core -> next-token logits.

    idx (B, T) --one-hot or embedding--> x (B, T, D) --RecurrentNet--> h (B, T, J)
        --V h + c--> logits (B, T, K)

backend="scratch" runs the course's own cells (``utils.recurrent``); backend="torch"
runs ``torch.nn.RNN/GRU/LSTM``, which compute the same function faster (a C++ loop).
Both keep the state in PyTorch's layout, so ``step`` (one token at a time, carrying the
state) works the same way for both.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .cells import CELLS
from .recurrent import RecurrentNet
from .validate import expect_choice, expect_positive_int, expect_tensor

TORCH_MODULES = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


def make_core(cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
              backend: str = "torch", bidirectional: bool = False) -> nn.Module:
    """The recurrent core of a model: the course's ``RecurrentNet`` (backend="scratch") or
    the matching ``torch.nn`` module (backend="torch"); both batch-first, same outputs."""
    cell = expect_choice(cell, "cell", tuple(CELLS))
    backend = expect_choice(backend, "backend", ("scratch", "torch"))
    if backend == "scratch":
        return RecurrentNet(cell, input_size, hidden_size, num_layers, bidirectional=bidirectional)
    if cell not in TORCH_MODULES:
        raise ValueError(f"torch.nn has no {cell!r} module: use backend='scratch' for it")
    return TORCH_MODULES[cell](input_size, hidden_size, num_layers, batch_first=True,
                               bidirectional=bidirectional)


class CharLM(nn.Module):
    """Next-token model. ``embedding_dim=None`` feeds one-hot vectors (D = vocab size)."""

    def __init__(self, vocab_size: int, hidden_size: int = 128, cell: str = "lstm",
                 num_layers: int = 1, embedding_dim: int | None = None, backend: str = "scratch"):
        super().__init__()
        self.vocab_size = expect_positive_int(vocab_size, "vocab_size")
        self.hidden_size = expect_positive_int(hidden_size, "hidden_size")
        self.cell_kind = expect_choice(cell, "cell", tuple(CELLS))
        self.backend = expect_choice(backend, "backend", ("scratch", "torch"))
        if embedding_dim is not None:
            embedding_dim = expect_positive_int(embedding_dim, "embedding_dim")
        self.embedding = None if embedding_dim is None else nn.Embedding(vocab_size, embedding_dim)
        input_size = vocab_size if embedding_dim is None else embedding_dim
        self.core = make_core(cell, input_size, hidden_size, num_layers, backend)
        self.head = nn.Linear(hidden_size, vocab_size)  # V and c

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    def embed(self, idx: torch.Tensor) -> torch.Tensor:
        if self.embedding is None:
            return F.one_hot(idx, self.vocab_size).to(self.head.weight.dtype)
        return self.embedding(idx)

    def check_ids(self, idx: torch.Tensor, ndim: int) -> None:
        expect_tensor(idx, "token ids", ndim=ndim, floating=False)
        if idx.numel() and (idx.min() < 0 or idx.max() >= self.vocab_size):
            raise ValueError(f"token ids must lie in [0, {self.vocab_size}), got values from "
                             f"{int(idx.min())} to {int(idx.max())}")

    def forward(self, idx: torch.Tensor, state=None):
        """idx: (B, T) token ids -> logits (B, T, K), final state."""
        self.check_ids(idx, ndim=2)
        h, state = self.core(self.embed(idx), state)
        return self.head(h), state

    def step(self, idx_t: torch.Tensor, state=None):
        """One token per sequence: idx_t (B,) -> logits (B, K), new state."""
        self.check_ids(idx_t, ndim=1)
        x_t = self.embed(idx_t)
        if self.backend == "scratch":
            h, state = self.core.step(x_t, state)
        else:
            h, state = self.core(x_t[:, None, :], state)
            h = h[:, 0]
        return self.head(h), state


def count_parameters(module: nn.Module) -> int:
    """Number of trainable scalars."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


class SequenceClassifier(nn.Module):
    """Many-to-one: read a whole sequence, classify it from the last hidden state.

        idx (B, T) -> embedding (B, T, E) -> recurrent core -> h_T (B, J) -> logits (B, C)
    """

    def __init__(self, vocab_size: int, num_classes: int, hidden_size: int = 64,
                 cell: str = "lstm", embedding_dim: int = 16, num_layers: int = 1,
                 backend: str = "torch"):
        super().__init__()
        self.vocab_size = expect_positive_int(vocab_size, "vocab_size")
        self.num_classes = expect_positive_int(num_classes, "num_classes")
        self.cell_kind = expect_choice(cell, "cell", tuple(CELLS))
        self.backend = expect_choice(backend, "backend", ("scratch", "torch"))
        embedding_dim = expect_positive_int(embedding_dim, "embedding_dim")
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.core = make_core(cell, embedding_dim, hidden_size, num_layers, backend)
        self.head = nn.Linear(hidden_size, num_classes)

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """idx: (B, T) token ids -> class logits (B, C)."""
        expect_tensor(idx, "token ids", ndim=2, floating=False)
        if idx.numel() and (idx.min() < 0 or idx.max() >= self.vocab_size):
            raise ValueError(f"token ids must lie in [0, {self.vocab_size}), got values from "
                             f"{int(idx.min())} to {int(idx.max())}")
        out, _ = self.core(self.embedding(idx))
        return self.head(out[:, -1])


class SequenceTagger(nn.Module):
    """Many-to-many: one label per input position (e.g. "does a word end here?").

        idx (B, T) -> embedding (B, T, E) -> recurrent core -> h (B, T, dirs*J) -> logits (B, T, C)

    With bidirectional=True the state at t is [forward h_t ; backward h_t], so the label
    at t can depend on inputs after t as well as before it.
    """

    def __init__(self, vocab_size: int, num_tags: int, hidden_size: int = 64, cell: str = "lstm",
                 embedding_dim: int = 16, num_layers: int = 1, bidirectional: bool = False,
                 backend: str = "torch"):
        super().__init__()
        self.vocab_size = expect_positive_int(vocab_size, "vocab_size")
        self.num_tags = expect_positive_int(num_tags, "num_tags")
        self.cell_kind = expect_choice(cell, "cell", tuple(CELLS))
        self.backend = expect_choice(backend, "backend", ("scratch", "torch"))
        self.bidirectional = bool(bidirectional)
        embedding_dim = expect_positive_int(embedding_dim, "embedding_dim")
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.core = make_core(cell, embedding_dim, hidden_size, num_layers, backend, bidirectional)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), num_tags)

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """idx: (B, T) token ids -> tag logits (B, T, C)."""
        expect_tensor(idx, "token ids", ndim=2, floating=False)
        if idx.numel() and (idx.min() < 0 or idx.max() >= self.vocab_size):
            raise ValueError(f"token ids must lie in [0, {self.vocab_size}), got values from "
                             f"{int(idx.min())} to {int(idx.max())}")
        out, _ = self.core(self.embedding(idx))
        return self.head(out)
