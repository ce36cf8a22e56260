"""Record what a gated cell does at every step: its gates, its candidate and its states.

    cell = RecurrentNet.from_torch(model.core).cells()[0]     # the trained cell, course notation
    trace = trace_gates(cell, model.embedding(ids))           # ids (B, T)
    trace["u"]          # (B, T, J) update gate of a GRU at every step
    trace["f"], trace["c"]   # an LSTM's forget gate and cell state

Keys: the cell's ``gates(...)`` names ("u", "c_tilde" for the simplified GRU; "r", "u",
"c_tilde" for the GRU; "i", "f", "g", "o" for the LSTM), plus "h" (hidden state) and, for
the LSTM, "c" (cell state). In a GRU the memory cell and the hidden state are one vector,
c_t = h_t (Chapter 4 writes c_t), recorded under "h". Every value is a (B, T, J) tensor,
detached.
"""
from __future__ import annotations

import torch

from .cells import GatedCell, LSTMCell, RecurrentCell
from .validate import expect_tensor


@torch.no_grad()
def trace_gates(cell: RecurrentCell, xs: torch.Tensor, state=None) -> dict:
    """Run ``cell`` over xs (B, T, D) and return {name: (B, T, J)} for every gate and state."""
    if not isinstance(cell, RecurrentCell):
        raise TypeError(f"cell must be one of the course's cells (utils.cells), got {type(cell).__name__}")
    if not isinstance(cell, GatedCell):
        raise TypeError(f"{type(cell).__name__} has no gates to trace: use a GRU, simplified GRU "
                        "or LSTM cell")
    expect_tensor(xs, "xs", shape=(None, None, cell.input_size), floating=True)
    if xs.shape[1] == 0:
        raise ValueError(f"xs must hold at least one time step, got shape {tuple(xs.shape)}")
    xs = xs.to(dtype=cell.U.dtype, device=cell.U.device)
    if state is None:
        state = cell.init_state(xs.shape[0], xs.device, xs.dtype)
    cell.check_step_inputs(xs[:, 0], state)          # the state too, once
    records: dict[str, list] = {}
    for xp_t in cell.project(xs).unbind(1):          # (B, T, D) -> T x (B, G*J)
        for name, value in cell.gates_from(xp_t, state).items():
            records.setdefault(name, []).append(value)
        state = cell.recur(xp_t, state)
        records.setdefault("h", []).append(cell.hidden(state))
        if isinstance(cell, LSTMCell):
            records.setdefault("c", []).append(state[1])
    return {name: torch.stack(values, dim=1) for name, values in records.items()}


__all__ = ["trace_gates"]
