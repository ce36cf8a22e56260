"""The course's token models: ids in, logits out, one recurrent core in between.

Every model honours one contract, so one ``evaluate`` and one ``sample`` serve all of them:

    TokenModel          the base: ids (B, T) -> vectors, by one-hot (embedding_dim=None,
                        D = vocab size) or an nn.Embedding; check_ids, embed, device
    CharLM              next-token model: forward(idx (B, T), state) -> (logits (B, T, K),
                        state); step(idx_t (B,), state) -> (logits (B, K), state)
    SequenceClassifier  many-to-one: idx (B, T) -> read(output, lengths) -> logits (B, C)
    SequenceTagger      many-to-many: idx (B, T) -> logits (B, T, C), one label per step
    count_parameters(module)

    idx (B, T) --one-hot or embedding--> x (B, T, D) --core--> h (B, T, dirs*J)
        --V h + b_y--> logits s

The core comes from ``utils.recurrent.make_core``: backend="scratch" runs the course's own
cells (``RecurrentNet``), or for cell="mingru", "minlstm" or "lru" a
``utils.parallel.ParallelRNN`` (trained in parallel over time, stepped one token at a time
when generating; scratch only); backend="torch" runs ``torch.nn.RNN/GRU/LSTM`` (a
``ResidualStack`` of them with residual=True), which compute the same function faster (a
C++ loop). Every core keeps its state in PyTorch's layout, so ``step`` (one token at a
time, carrying the state) works the same way for all of them.
"""
from __future__ import annotations

import itertools

import torch
from torch import nn
from torch.nn import functional as F

from .cells import CELLS
from . import recurrent
from .parallel import KINDS as PARALLEL_KINDS, ParallelRNN
from .recurrent import BACKENDS, RecurrentNet, check_lengths, run_core
from .validate import expect_choice, expect_flag, expect_positive_int, expect_tensor

MAX_VOCAB = 10**6
"""Most token types a model may predict: far above any vocabulary of the course."""


class TokenModel(nn.Module):
    """The base of every token model: the vocabulary, the input vectors and the id checks.

    embedding_dim=None feeds one-hot vectors (D = vocab_size); an int, an ``nn.Embedding``
    of that size. ``self.input_size`` is D.
    """

    def __init__(self, vocab_size: int, embedding_dim: int | None = None):
        super().__init__()
        self.vocab_size = expect_positive_int(vocab_size, "vocab_size")
        if vocab_size > MAX_VOCAB:
            raise ValueError(f"vocab_size must be at most {MAX_VOCAB:,}, got {vocab_size:,}")
        if embedding_dim is not None:
            embedding_dim = expect_positive_int(embedding_dim, "embedding_dim")
        self.embedding = None if embedding_dim is None else nn.Embedding(vocab_size, embedding_dim)
        self.input_size = vocab_size if embedding_dim is None else embedding_dim

    @property
    def device(self) -> torch.device:
        """Where the model's weights (or, for a count model, its tables) live."""
        first = self._first_tensor()
        return torch.device("cpu") if first is None else first.device

    def _first_tensor(self):
        return next(itertools.chain(self.parameters(), self.buffers()), None)

    def check_ids(self, idx: torch.Tensor, ndim: int) -> torch.Tensor:
        """Token ids: a non-empty integer tensor of rank ``ndim``, values in [0, vocab_size)."""
        expect_tensor(idx, "token ids", ndim=ndim, floating=False)
        if idx.numel() == 0:
            raise ValueError(f"token ids must hold at least one sequence"
                             f"{' of at least one step' if ndim == 2 else ''}, got shape "
                             f"{tuple(idx.shape)}")
        if (idx.min() < 0 or idx.max() >= self.vocab_size):
            raise ValueError(f"token ids must lie in [0, {self.vocab_size}), got values from "
                             f"{int(idx.min())} to {int(idx.max())}")
        return idx

    def embed(self, idx: torch.Tensor) -> torch.Tensor:
        """ids (...) -> vectors (..., D), on the model's device."""
        first = self._first_tensor()
        idx = idx.to(first.device)
        if self.embedding is None:
            return F.one_hot(idx, self.vocab_size).to(first.dtype)    # (..., K)
        return self.embedding(idx)                                     # (..., E)


def _core(cell, input_size, hidden_size, num_layers, backend, bidirectional=False, residual=False):
    """The recurrent core of a token model, with its arguments checked and named."""
    cell = expect_choice(cell, "cell", tuple(CELLS) + PARALLEL_KINDS)
    backend = expect_choice(backend, "backend", BACKENDS)
    hidden_size = expect_positive_int(hidden_size, "hidden_size")
    if expect_flag(residual, "residual") and num_layers == 1:
        raise ValueError("residual=True needs num_layers of 2 or more: the first layer has no "
                         "residual connection (its input is the embedding), so one layer has none")
    return recurrent.make_core(cell, input_size, hidden_size, num_layers, backend, bidirectional,
                               residual)


class CharLM(TokenModel):
    """Next-token model: idx (B, T) -> logits (B, T, K) over the vocabulary, and a state.

    num_layers stacked layers; residual=True adds a residual connection around every layer
    after the first. backend "scratch" (the course's cells) or "torch" (torch.nn modules).
    cell: "rnn", "simple_gru", "gru", "lstm", or a parallel cell "mingru", "minlstm", "lru"
    (``utils.parallel``; backend "scratch" only): forward runs the scan over the whole
    sequence, step runs the same cells as an RNN, so the two give the same logits.
    """

    def __init__(self, vocab_size: int, hidden_size: int = 128, cell: str = "lstm",
                 num_layers: int = 1, embedding_dim: int | None = None, backend: str = "scratch",
                 residual: bool = False):
        super().__init__(vocab_size, embedding_dim)
        self.core = _core(cell, self.input_size, hidden_size, num_layers, backend, residual=residual)
        self.cell_kind, self.backend, self.hidden_size = cell, backend, self.core.hidden_size
        self.residual = expect_flag(residual, "residual")
        self.head = nn.Linear(hidden_size, vocab_size)  # V and b_y

    def forward(self, idx: torch.Tensor, state=None):
        """idx: (B, T) token ids -> logits (B, T, K), final state."""
        self.check_ids(idx, ndim=2)
        h, state = run_core(self.core, self.embed(idx), state)         # (B, T, J)
        return self.head(h), state                                     # (B, T, K)

    def step(self, idx_t: torch.Tensor, state=None):
        """One token per sequence: idx_t (B,) -> logits (B, K), new state."""
        self.check_ids(idx_t, ndim=1)
        x_t = self.embed(idx_t)                                        # (B, D)
        if isinstance(self.core, (RecurrentNet, ParallelRNN)):
            h, state = self.core.step(x_t, state)                      # (B, J): O(1) per token
        else:                                                          # a sequence of one step
            h, state = run_core(self.core, x_t[:, None, :], state)     # (B, 1, J)
            h = h[:, 0]
        return self.head(h), state


def count_parameters(module: nn.Module) -> int:
    """Number of trainable scalars."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"count_parameters counts the weights of a torch.nn.Module, got "
                        f"{type(module).__name__}")
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _expect_classes(value, name: str) -> int:
    """Two or more classes: with one there is nothing to tell apart."""
    if expect_positive_int(value, name) < 2:
        raise ValueError(f"{name} must be at least 2 (one class leaves nothing to predict), got {value}")
    return int(value)


def last_output(output: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The default read of a SequenceClassifier: each sequence's output at its last real
    position, output[b, lengths[b] - 1] (output[:, -1] when no sequence is padded).
    output (B, T, dirs*J), lengths (B,) -> (B, dirs*J)."""
    return output[torch.arange(output.shape[0], device=output.device), lengths - 1]


class SequenceClassifier(TokenModel):
    """Many-to-one: read a whole sequence, classify it from one summary vector.

        idx (B, T) -> embedding (B, T, E) -> core -> output (B, T, dirs*J)
            -> read(output, lengths) (B, dirs*J) -> logits (B, C)

    read: a function (output (B, T, dirs*J), lengths (B,)) -> (B, dirs*J); None reads
    each sequence's last real position (``last_output``: output[:, -1] without padding).
    """

    def __init__(self, vocab_size: int, num_classes: int, hidden_size: int = 64,
                 cell: str = "lstm", embedding_dim: int = 16, num_layers: int = 1,
                 backend: str = "torch", bidirectional: bool = False, read=None):
        super().__init__(vocab_size, expect_positive_int(embedding_dim, "embedding_dim"))
        self.num_classes = _expect_classes(num_classes, "num_classes")
        self.core = _core(cell, self.input_size, hidden_size, num_layers, backend, bidirectional)
        self.cell_kind, self.backend, self.bidirectional = cell, backend, bool(bidirectional)
        if read is not None and not callable(read):
            raise TypeError(f"read must be a function (output, lengths) -> (B, dirs*J) or None, "
                            f"got {type(read).__name__}")
        self.read = last_output if read is None else read
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def forward(self, idx: torch.Tensor, lengths=None) -> torch.Tensor:
        """idx: (B, T) token ids -> class logits (B, C). lengths: None (every sequence has T
        steps) or (B,) integers for a right-padded batch, handed to the core and to read."""
        self.check_ids(idx, ndim=2)
        if lengths is not None:
            lengths = check_lengths(lengths, idx.shape[0], idx.shape[1])
        out, _ = run_core(self.core, self.embed(idx), None, lengths)   # (B, T, dirs*J)
        if lengths is None:                                            # every sequence is whole
            lengths = torch.full((idx.shape[0],), idx.shape[1], dtype=torch.int64)
        summary = self.read(out, lengths.to(out.device))
        expect_tensor(summary, "read(output, lengths)", shape=(idx.shape[0], self.head.in_features))
        return self.head(summary)                                      # (B, C)


class SequenceTagger(TokenModel):
    """Many-to-many: one label per input position (e.g. "does a word end here?").

        idx (B, T) -> embedding (B, T, E) -> recurrent core -> h (B, T, dirs*J) -> logits (B, T, C)

    With bidirectional=True the state at t is [forward h_t ; backward h_t], so the label
    at t can depend on inputs after t as well as before it.
    """

    def __init__(self, vocab_size: int, num_tags: int, hidden_size: int = 64, cell: str = "lstm",
                 embedding_dim: int = 16, num_layers: int = 1, bidirectional: bool = False,
                 backend: str = "torch"):
        super().__init__(vocab_size, expect_positive_int(embedding_dim, "embedding_dim"))
        self.num_tags = _expect_classes(num_tags, "num_tags")
        self.core = _core(cell, self.input_size, hidden_size, num_layers, backend, bidirectional)
        self.cell_kind, self.backend, self.bidirectional = cell, backend, bool(bidirectional)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), num_tags)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """idx: (B, T) token ids -> tag logits (B, T, C)."""
        self.check_ids(idx, ndim=2)
        out, _ = run_core(self.core, self.embed(idx))                  # (B, T, dirs*J)
        return self.head(out)                                          # (B, T, C)


__all__ = ["TokenModel", "CharLM", "SequenceClassifier", "SequenceTagger", "count_parameters",
           "last_output"]
