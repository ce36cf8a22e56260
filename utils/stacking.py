"""Stacked (multi-layer) recurrent networks: orders of computation, a fast residual stack,
and the gradient that reaches every layer.

In a stack, the hidden sequence of layer l is the input sequence of layer l + 1. Cell
(l, t), layer l at step t, needs two results: (l - 1, t) below it and (l, t - 1) before it.
Any order that respects those two dependencies computes the same numbers:

    schedule(3, 4, "layer")       # PyTorch's order: all of layer 0, then all of layer 1, ...
    schedule(3, 4, "time")        # a generator's order: every layer at t = 0, then t = 1, ...
    schedule(3, 4, "diagonal")    # the wavefront: cells with equal l + t are independent
    order_grid(3, 4, "diagonal")  # (L, T) array: when each cell is computed (1 = first)
    out, h_n = wavefront(net, xs) # == net(xs) for a unidirectional RecurrentNet

The course numbers layers l = 1..L (h^[0]_t = x_t, and x^[l]_t is the input of layer l); the
indices of this module count from 0, as Python and PyTorch's parameter names do (weight_ih_l0
and schedule's (0, t) are the first layer).

For speed, ``ResidualStack`` stacks one ``torch.nn.RNN/GRU/LSTM`` per layer (PyTorch's C++
loop over time inside each layer) with optional residual connections, and ``StackedLM``
puts it between an embedding and an output layer. ``stack.to_recurrent_net()`` returns
the course's ``RecurrentNet`` with the same weights (the parity check).

    stack = ResidualStack("lstm", 16, 64, num_layers=8, residual=True)
    out, (h_n, c_n) = stack(xs)                 # xs (B, T, 16) -> out (B, T, 64)
    layer_gradient_norms(stack, xs)             # (L, T): ||dL/dx^[l]_t|| at every layer's input
"""
from __future__ import annotations

import numbers

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .models import TORCH_MODULES
from .recurrent import RecurrentNet
from .validate import expect_choice, expect_positive_int, expect_tensor

ORDERS = ("layer", "time", "diagonal")
MAX_CELLS = 10**6
"""Most cells (L * T) that ``schedule`` and ``check_schedule`` list: a drawing, not a model."""


def _expect_stack_size(num_layers, steps) -> tuple[int, int]:
    L = expect_positive_int(num_layers, "num_layers")
    T = expect_positive_int(steps, "steps")
    if L * T > MAX_CELLS:
        raise ValueError(f"num_layers * steps must be at most {MAX_CELLS:,} cells (a schedule is "
                         f"a list to read or draw), got {L:,} * {T:,}")
    return L, T


def _expect_flag(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


# --- orders of computation ------------------------------------------------------------------
def schedule(num_layers: int, steps: int, order: str = "diagonal") -> list[tuple[int, int]]:
    """Every cell (layer l, step t) of an L x T stack, in the order ``order`` computes them.

    "layer": l = 0 for t = 0..T-1, then l = 1, ... (layer by layer, as torch.nn.LSTM does);
    "time": t = 0 for l = 0..L-1, then t = 1, ... (step by step, as a generator runs);
    "diagonal": the wavefront, k = l + t = 0, 1, ..., lower layers first within a diagonal.
    Returns a list of L * T pairs (l, t).
    """
    L, T = _expect_stack_size(num_layers, steps)
    expect_choice(order, "order", ORDERS)
    if order == "layer":
        return [(l, t) for l in range(L) for t in range(T)]
    if order == "time":
        return [(l, t) for t in range(T) for l in range(L)]
    return [(l, k - l) for k in range(L + T - 1) for l in range(max(0, k - T + 1), min(L, k + 1))]


def order_grid(num_layers: int, steps: int, order: str = "diagonal") -> np.ndarray:
    """(L, T) int array: grid[l, t] = when cell (l, t) is computed in ``order`` (1 = first)."""
    cells = schedule(num_layers, steps, order)
    grid = np.zeros((num_layers, steps), dtype=int)
    for position, (l, t) in enumerate(cells, start=1):
        grid[l, t] = position
    return grid


def check_schedule(cells, num_layers: int, steps: int) -> list[tuple[int, int]]:
    """Check that ``cells`` lists every (l, t) of an L x T stack once (indices from 0), each
    after the cell below it, (l - 1, t), and the cell before it, (l, t - 1). Returns the
    cells as a list of pairs; raises ValueError naming the first broken dependency."""
    if isinstance(cells, str) or not isinstance(cells, (list, tuple)):
        raise TypeError(f"a schedule must be one of {', '.join(map(repr, ORDERS))} or a list of "
                        f"(layer, step) pairs, got {type(cells).__name__}")
    num_layers, steps = _expect_stack_size(num_layers, steps)
    if not all(isinstance(c, (list, tuple)) and len(c) == 2 for c in cells):
        raise TypeError("every entry of a schedule must be a (layer, step) pair")
    for c in cells:
        if not all(isinstance(i, numbers.Integral) and not isinstance(i, (bool, np.bool_))
                   for i in c):
            raise TypeError(f"every entry of a schedule must be a pair of integers (layer, step), "
                            f"got {tuple(c)!r}")
    cells = [(int(l), int(t)) for l, t in cells]
    done = set()
    for l, t in cells:
        if not (0 <= l < num_layers and 0 <= t < steps):
            raise ValueError(f"cell {(l, t)} lies outside the {num_layers} x {steps} stack "
                             f"(indices count from 0)")
        if (l, t) in done:
            raise ValueError(f"cell {(l, t)} is scheduled twice")
        if l > 0 and (l - 1, t) not in done:
            raise ValueError(f"cell {(l, t)} needs its input, the output of the cell below it, "
                             f"{(l - 1, t)}, which is not computed yet")
        if t > 0 and (l, t - 1) not in done:
            raise ValueError(f"cell {(l, t)} needs its previous state, from the cell before it, "
                             f"{(l, t - 1)}, which is not computed yet")
        done.add((l, t))
    if len(done) != num_layers * steps:
        raise ValueError(f"the schedule computes {len(done)} of the {num_layers * steps} cells")
    return cells


def run_in_order(net: RecurrentNet, xs: torch.Tensor, order="diagonal", state=None):
    """Run a unidirectional ``RecurrentNet`` one cell (l, t) at a time, in ``order``.

    order: "layer", "time", "diagonal" (see ``schedule``) or an explicit list of (l, t)
    pairs, checked by ``check_schedule``. xs: (B, T, D) -> (output (B, T, J), final state in
    torch layout (L, B, J), a pair for the LSTM): the same as ``net(xs, state)``.
    """
    if not isinstance(net, RecurrentNet):
        raise TypeError(f"net must be a utils.recurrent.RecurrentNet, got {type(net).__name__}")
    if net.bidirectional:
        raise ValueError("a bidirectional stack can only run layer by layer: layer l + 1 at step 0 "
                         "needs layer l's backward state at step 0, which has read the whole "
                         "sequence; call net(xs) instead")
    expect_tensor(xs, "xs", shape=(None, None, net.input_size), floating=True)
    B, T, L = xs.shape[0], xs.shape[1], net.num_layers
    if T == 0:
        raise ValueError(f"xs must hold at least one time step, got shape {tuple(xs.shape)}")
    cells = (schedule(L, T, order) if isinstance(order, str)
             else check_schedule(order, L, T))
    states = net._per_cell_states(state if state is not None else net.init_state(B, xs.device, xs.dtype), B)
    layer_cells = net.cells()
    outputs = [[None] * T for _ in range(L)]           # outputs[l][t]: (B, J), residual added
    for l, t in cells:
        below = xs[:, t] if l == 0 else outputs[l - 1][t]
        states[l] = layer_cells[l].step(below, states[l])
        h = layer_cells[l].hidden(states[l])
        outputs[l][t] = h + below if (net.residual and l > 0) else h
    return torch.stack(outputs[-1], dim=1), net._torch_layout(states)


def wavefront(net: RecurrentNet, xs: torch.Tensor, state=None):
    """``net(xs, state)`` computed step by step along the diagonals l + t = 0, 1, 2, ...

    Every cell on one diagonal depends only on the previous diagonal, so a parallel machine
    can compute a whole diagonal at once. xs: (B, T, D) -> (output (B, T, J), final state).
    """
    return run_in_order(net, xs, "diagonal", state)


# --- residual connections --------------------------------------------------------------------
def residual_add(inputs: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
    """A residual connection around a layer: outputs + inputs, both (B, T, size)."""
    expect_tensor(inputs, "the layer's input", ndim=3, floating=True)
    expect_tensor(outputs, "the layer's output", ndim=3, floating=True)
    if inputs.shape != outputs.shape:
        raise ValueError(
            f"a residual connection adds a layer's input to its output, so their shapes must "
            f"match: input {tuple(inputs.shape)}, output {tuple(outputs.shape)}. The first layer "
            f"of a stack usually gets none (its input is the embedding, of another size).")
    return outputs + inputs


class ResidualStack(nn.Module):
    """A stack of single-layer ``torch.nn.RNN/GRU/LSTM`` modules (batch-first), one per layer,
    with residual connections around every layer after the first when residual=True.

    With residual=False it computes exactly what ``torch.nn.LSTM(num_layers=L)`` computes; with
    residual=True, what ``RecurrentNet(kind, ..., residual=True)`` computes. Inputs (B, T, D);
    outputs (B, T, dirs*J); states in PyTorch's layout (L*dirs, B, J), a pair for the LSTM.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, num_layers: int = 2,
                 residual: bool = False, bidirectional: bool = False):
        super().__init__()
        self.kind = expect_choice(kind, "kind", tuple(TORCH_MODULES))
        self.input_size = expect_positive_int(input_size, "input_size")
        self.hidden_size = expect_positive_int(hidden_size, "hidden_size")
        self.num_layers = expect_positive_int(num_layers, "num_layers")
        self.residual = _expect_flag(residual, "residual")
        self.bidirectional = _expect_flag(bidirectional, "bidirectional")
        self.num_directions = 2 if bidirectional else 1
        self.output_size = hidden_size * self.num_directions
        sizes = [input_size] + [self.output_size] * (num_layers - 1)
        self.layers = nn.ModuleList(
            TORCH_MODULES[kind](size, hidden_size, batch_first=True, bidirectional=bidirectional)
            for size in sizes)

    @property
    def is_lstm(self) -> bool:
        return self.kind == "lstm"

    def _layer_states(self, state, batch_size: int) -> list:
        """torch layout (L*dirs, B, J) [pair for LSTM] -> one state per layer, or Nones."""
        if state is None:
            return [None] * self.num_layers
        n, d = self.num_layers * self.num_directions, self.num_directions
        if self.is_lstm and not (isinstance(state, (tuple, list)) and len(state) == 2):
            raise TypeError(f"an LSTM state must be a pair (h_0, c_0), each ({n}, B, J), "
                            f"got {type(state).__name__}")
        parts = list(state) if self.is_lstm else [state]
        for name, part in zip(("h_0", "c_0"), parts):
            expect_tensor(part, name, shape=(n, batch_size, self.hidden_size), floating=True)
        if self.is_lstm:
            return [(state[0][l * d:(l + 1) * d], state[1][l * d:(l + 1) * d])
                    for l in range(self.num_layers)]
        return [state[l * d:(l + 1) * d] for l in range(self.num_layers)]

    def forward_layers(self, xs: torch.Tensor, state=None):
        """xs (B, T, D) -> (passed_up, final state): passed_up[k] (B, T, dirs*J) is what the
        (k+1)-th layer passes up (its output, plus its input with a residual connection), the
        input x^[k+2] of the layer above it; passed_up[-1] is the stack's output."""
        expect_tensor(xs, "xs", shape=(None, None, self.input_size), floating=True)
        if xs.shape[1] == 0:
            raise ValueError(f"xs must hold at least one time step, got shape {tuple(xs.shape)}")
        passed_up, finals = [], []
        for l, (layer, layer_state) in enumerate(zip(self.layers, self._layer_states(state, xs.shape[0]))):
            out, final = layer(xs, layer_state)
            xs = residual_add(xs, out) if (self.residual and l > 0) else out
            passed_up.append(xs)
            finals.append(final)
        if self.is_lstm:
            return passed_up, (torch.cat([f[0] for f in finals]), torch.cat([f[1] for f in finals]))
        return passed_up, torch.cat(finals)

    def forward(self, xs: torch.Tensor, state=None):
        """xs (B, T, D) -> output (B, T, dirs*J) of the top layer, final state of every layer."""
        passed_up, final = self.forward_layers(xs, state)
        return passed_up[-1], final

    def to_recurrent_net(self) -> RecurrentNet:
        """The course's ``RecurrentNet`` (python loop, from-scratch cells) with these weights."""
        p = next(self.parameters())
        net = RecurrentNet(self.kind, self.input_size, self.hidden_size, self.num_layers,
                           bidirectional=self.bidirectional, residual=self.residual)
        net = net.to(device=p.device, dtype=p.dtype)
        d = self.num_directions
        for k, cell in enumerate(net.cells()):
            cell.load_torch_weights(self.layers[k // d], layer=0, reverse=bool(k % d))
        return net

    @classmethod
    @torch.no_grad()
    def from_torch(cls, module: nn.Module, residual: bool = False) -> "ResidualStack":
        """Split a multi-layer ``torch.nn.RNN/GRU/LSTM`` (batch_first) into one module per
        layer, weights copied; residual=True adds residual connections it did not have."""
        kinds = {v: k for k, v in TORCH_MODULES.items()}
        if type(module) not in kinds:
            raise TypeError(f"expected torch.nn.RNN, GRU or LSTM, got {type(module).__name__}")
        if not module.batch_first or getattr(module, "proj_size", 0) or not module.bias \
                or getattr(module, "nonlinearity", "tanh") != "tanh":
            raise ValueError("only batch_first=True modules with biases, tanh and no projection "
                             "can be split into a ResidualStack")
        p = next(module.parameters())
        stack = cls(kinds[type(module)], module.input_size, module.hidden_size, module.num_layers,
                    residual=residual, bidirectional=module.bidirectional).to(p.device, p.dtype)
        for l, layer in enumerate(stack.layers):
            for name, target in layer.named_parameters():     # weight_ih_l0[_reverse] ...
                target.copy_(getattr(module, name.replace("_l0", f"_l{l}")))
        return stack


class StackedLM(nn.Module):
    """A character language model on a ``ResidualStack``: idx (B, T) -> logits (B, T, K).

        idx --embedding (or one-hot)--> (B, T, E) --ResidualStack--> (B, T, J) --V h + b_y--> scores s
    """

    def __init__(self, vocab_size: int, hidden_size: int = 64, num_layers: int = 2,
                 cell: str = "lstm", embedding_dim: int | None = 32, residual: bool = False):
        super().__init__()
        self.vocab_size = expect_positive_int(vocab_size, "vocab_size")
        self.embedding = None if embedding_dim is None else nn.Embedding(
            vocab_size, expect_positive_int(embedding_dim, "embedding_dim"))
        input_size = vocab_size if embedding_dim is None else embedding_dim
        self.core = ResidualStack(cell, input_size, hidden_size, num_layers, residual=residual)
        self.head = nn.Linear(hidden_size, vocab_size)

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    def forward(self, idx: torch.Tensor, state=None):
        """idx: (B, T) token ids -> logits (B, T, K), final state (L, B, J) [pair for LSTM]."""
        expect_tensor(idx, "token ids", ndim=2, floating=False)
        if idx.numel() and (idx.min() < 0 or idx.max() >= self.vocab_size):
            raise ValueError(f"token ids must lie in [0, {self.vocab_size}), got values from "
                             f"{int(idx.min())} to {int(idx.max())}")
        x = (F.one_hot(idx, self.vocab_size).to(self.head.weight.dtype) if self.embedding is None
             else self.embedding(idx))
        h, state = self.core(x, state)
        return self.head(h), state

    def step(self, idx_t: torch.Tensor, state=None):
        """One token per sequence: idx_t (B,) -> logits (B, K), new state (for sampling)."""
        expect_tensor(idx_t, "token ids", ndim=1, floating=False)
        logits, state = self(idx_t[:, None], state)
        return logits[:, 0], state


# --- gradients through depth and time ----------------------------------------------------------
def layer_gradient_norms(stack: ResidualStack, xs: torch.Tensor, readout: torch.Tensor | None = None,
                         seed: int = 0) -> np.ndarray:
    """How much gradient reaches every layer at every step, for a loss at the last step.

    Loss = r . (the stack's output at the last step), summed over the batch, with r a fixed
    random unit vector (``readout``, or drawn with ``seed``). Returns an (L, T) array: row
    l - 1 holds ||dLoss/dx^[l]_t|| for t = 1..T, averaged over the batch, where x^[l] is the
    input of layer l (x^[1] = xs; above it, what the layer below passes up). Row 0 is what
    reaches the first layer, at the stack's input.
    """
    if not isinstance(stack, ResidualStack):
        raise TypeError(f"stack must be a ResidualStack, got {type(stack).__name__}")
    expect_tensor(xs, "xs", shape=(None, None, stack.input_size), floating=True)
    if xs.shape[0] == 0 or xs.shape[1] == 0:
        raise ValueError(f"xs must hold at least one sequence of at least one step, got shape "
                         f"{tuple(xs.shape)}")
    if not bool(torch.isfinite(xs).all()):
        raise ValueError("xs must be finite: it holds NaN or inf, so every gradient would be NaN")
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if readout is None:
        g = torch.Generator().manual_seed(int(seed))
        readout = torch.randn(stack.output_size, generator=g, dtype=torch.float64)
        readout = readout / readout.norm()
    expect_tensor(readout, "readout", shape=(stack.output_size,), floating=True)
    if not bool(torch.isfinite(readout).all()) or not bool((readout != 0).any()):
        raise ValueError("readout must be finite and not all zero (a zero readout gives zero "
                         "gradients everywhere)")
    p = next(stack.parameters())                       # the stack's device and dtype
    with torch.enable_grad():
        x1 = xs.detach().to(device=p.device).clone().requires_grad_()
        passed_up, _ = stack.forward_layers(x1)
        out = passed_up[-1]
        loss = (out[:, -1] @ readout.detach().to(device=out.device, dtype=out.dtype)).sum()
        inputs = [x1] + passed_up[:-1]
        grads = torch.autograd.grad(loss, inputs)
    return np.stack([g.norm(dim=-1).mean(dim=0).detach().cpu().numpy() for g in grads])


__all__ = ["ORDERS", "schedule", "order_grid", "check_schedule", "run_in_order", "wavefront",
           "residual_add", "ResidualStack", "StackedLM", "layer_gradient_norms"]
