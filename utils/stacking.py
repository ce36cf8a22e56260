"""Stacked (multi-layer) recurrent networks, the teaching tools: orders of computation,
residual connections, and the gradient that reaches every layer. (The stacks themselves,
``RecurrentNet`` and the fast ``ResidualStack``, live in ``utils.recurrent``.)

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

    run_in_order(net, xs, order)  # any order, or an explicit list checked by check_schedule
    residual_add(inputs, outputs) # outputs + inputs, with the shapes checked

The gradient through depth and time, on a ``utils.recurrent.ResidualStack``:

    stack = ResidualStack("lstm", 16, 64, num_layers=8, residual=True)
    layer_gradient_norms(stack, xs)             # (L, T): ||dL/dx^[l]_t|| at every layer's input
"""
from __future__ import annotations

import numbers

import numpy as np
import torch

from .recurrent import RecurrentNet, ResidualStack, join_state, split_state
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
    if state is None:
        state = net.init_state(B, xs.device, xs.dtype)
    states = split_state(state, L, net.is_lstm, B, net.hidden_size)   # one (B, J) state per layer
    layer_cells = net.cells()
    outputs = [[None] * T for _ in range(L)]           # outputs[l][t]: (B, J), residual added
    for l, t in cells:
        below = xs[:, t] if l == 0 else outputs[l - 1][t]
        states[l] = layer_cells[l].step(below, states[l])
        h = layer_cells[l].hidden(states[l])
        outputs[l][t] = h + below if (net.residual and l > 0) else h
    return torch.stack(outputs[-1], dim=1), join_state(states, net.is_lstm)  # (B, T, J), (L, B, J)


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
           "residual_add", "layer_gradient_norms"]
