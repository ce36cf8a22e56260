"""Sequence wrappers around the cells of ``utils.cells``: unroll over time, run both
directions, stack layers. Shapes are batch-first: inputs (B, T, D).

``RecurrentNet`` returns what ``torch.nn.RNN/GRU/LSTM(batch_first=True)`` return:
``output`` of shape (B, T, dirs*J) from the top layer at every step, and the final state
of every layer, ``h_n`` of shape (layers*dirs, B, J) (a pair (h_n, c_n) for the LSTM),
ordered layer 0 forward, layer 0 backward, layer 1 forward, ...
``RecurrentNet.from_torch(module)`` builds one with the module's weights.

Variable-length batches: every ``forward`` takes ``lengths`` (a 1-D integer tensor, one
length per sequence, 1 <= length <= T) for a right-padded batch, and then computes what a
torch module computes on ``pack_padded_sequence(xs, lengths, batch_first=True)``, unpacked
with ``pad_packed_sequence``: each direction reads only the real steps of each sequence
(the backward direction starts at its last real step), the outputs at padded positions
are zero, and the final state of each sequence is its state after its own last step.
"""
from __future__ import annotations

import torch
from torch import nn

from .cells import CELLS, GRUCell, LSTMCell, RecurrentCell, RNNCell
from .validate import expect_choice, expect_positive_int, expect_tensor


def check_lengths(lengths, batch_size: int, steps: int) -> torch.Tensor:
    """Validate the lengths of a right-padded batch: a 1-D integer tensor of size B with
    1 <= length <= T. Returns it as int64 (on the CPU, as pack_padded_sequence wants it)."""
    if not isinstance(lengths, torch.Tensor):
        raise TypeError(f"lengths must be a torch.Tensor of integers, one per sequence, got "
                        f"{type(lengths).__name__}")
    if lengths.is_floating_point() or lengths.is_complex() or lengths.dtype == torch.bool:
        raise TypeError(f"lengths must hold integers (the number of real steps of each "
                        f"sequence), got dtype {lengths.dtype}")
    if tuple(lengths.shape) != (batch_size,):
        raise ValueError(f"lengths must have shape ({batch_size},), one length per sequence of "
                         f"the batch, got {tuple(lengths.shape)}")
    lengths = lengths.detach().to("cpu", torch.int64)
    if lengths.numel() and (lengths.min() < 1 or lengths.max() > steps):
        raise ValueError(f"every length must lie between 1 and the padded length T = {steps}, "
                         f"got values from {int(lengths.min())} to {int(lengths.max())}")
    return lengths


def _keep_where(real: torch.Tensor, new, old):
    """The new state where the step is real (real: (B,) bool), the old one at padding."""
    if isinstance(new, tuple):
        return tuple(_keep_where(real, n, o) for n, o in zip(new, old))
    return torch.where(real[:, None], new, old)


class Unrolled(nn.Module):
    """Apply one cell at every step, left to right (or right to left with reverse=True)."""

    def __init__(self, cell: RecurrentCell, reverse: bool = False):
        super().__init__()
        self.cell, self.reverse = cell, reverse
        self.output_size = cell.hidden_size

    def forward(self, xs: torch.Tensor, state=None, lengths=None):
        """xs: (B, T, D) -> outputs (B, T, J) in input order, final state.

        lengths: None (every sequence has T steps) or (B,) integers for a right-padded batch:
        sequence b is xs[b, :lengths[b]]. Its padded steps are skipped (the state is carried
        through unchanged, so a reversed pass starts at step lengths[b] - 1), their outputs
        are zero, and the final state is the one after the sequence's own last step.
        """
        expect_tensor(xs, "xs", shape=(None, None, self.cell.input_size), floating=True)
        if xs.shape[1] == 0:
            raise ValueError(f"xs must hold at least one time step, got shape {tuple(xs.shape)}")
        if lengths is not None:
            lengths = check_lengths(lengths, xs.shape[0], xs.shape[1]).to(xs.device)
        if state is None:
            state = self.cell.init_state(xs.shape[0], xs.device, xs.dtype)
        steps = range(xs.shape[1] - 1, -1, -1) if self.reverse else range(xs.shape[1])
        outputs = [None] * xs.shape[1]
        for t in steps:
            new = self.cell.step(xs[:, t], state)
            if lengths is None:
                state = new
                outputs[t] = self.cell.hidden(state)  # stored at t: the reversed pass is re-reversed
            else:
                real = t < lengths                                     # (B,): a real step?
                state = _keep_where(real, new, state)                  # padding: keep the state
                h = self.cell.hidden(state)                            # (B, J)
                outputs[t] = torch.where(real[:, None], h, torch.zeros_like(h))
        return torch.stack(outputs, dim=1), state                      # (B, T, J)


class Bidirectional(nn.Module):
    """A forward and a backward pass with separate weights; outputs concatenated [fwd, bwd]."""

    def __init__(self, forward_cell: RecurrentCell, backward_cell: RecurrentCell):
        super().__init__()
        if forward_cell is backward_cell:
            raise ValueError("the backward direction needs its own cell (its own weights); "
                             "pass two different cells")
        self.forward_pass = Unrolled(forward_cell)
        self.backward_pass = Unrolled(backward_cell, reverse=True)
        self.output_size = forward_cell.hidden_size + backward_cell.hidden_size

    def forward(self, xs: torch.Tensor, state=None, lengths=None):
        """xs: (B, T, D) -> outputs (B, T, 2J), (forward final state, backward final state).

        The backward pass's final state is its state after reading x_0. With lengths (B,)
        for a right-padded batch, the forward final state is the one at step lengths - 1 and
        the backward pass starts there (see ``Unrolled``); padded outputs are zero.
        """
        fwd_state, bwd_state = (None, None) if state is None else state
        out_f, fwd_state = self.forward_pass(xs, fwd_state, lengths)
        out_b, bwd_state = self.backward_pass(xs, bwd_state, lengths)
        return torch.cat([out_f, out_b], dim=-1), (fwd_state, bwd_state)


class RecurrentNet(nn.Module):
    """Stacked, optionally bidirectional RNN/GRU/LSTM built from the course's cells.

    kind: "rnn", "gru" or "lstm". With residual=True, every layer after the first adds
    its input to its output (the sizes match there), as in deep stacked RNNs.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, residual: bool = False):
        super().__init__()
        self.kind = expect_choice(kind, "kind", tuple(CELLS))
        self.input_size = expect_positive_int(input_size, "input_size")
        self.hidden_size = expect_positive_int(hidden_size, "hidden_size")
        self.num_layers = expect_positive_int(num_layers, "num_layers")
        self.bidirectional, self.residual = bidirectional, residual
        self.num_directions = 2 if bidirectional else 1
        self.layers = nn.ModuleList()
        size = input_size
        for _ in range(num_layers):
            make = lambda: CELLS[kind](size, hidden_size)  # noqa: E731
            self.layers.append(Bidirectional(make(), make()) if bidirectional else Unrolled(make()))
            size = hidden_size * self.num_directions
        self.output_size = size

    @property
    def is_lstm(self) -> bool:
        return self.kind == "lstm"

    def cells(self) -> list[RecurrentCell]:
        """All cells, ordered as PyTorch orders its layers: l0, l0_reverse, l1, ..."""
        out = []
        for layer in self.layers:
            out += [layer.forward_pass.cell, layer.backward_pass.cell] if self.bidirectional else [layer.cell]
        return out

    # --- state layout conversion --------------------------------------------------------
    def init_state(self, batch_size: int, device=None, dtype=None):
        p = next(self.parameters())
        shape = (self.num_layers * self.num_directions, batch_size, self.hidden_size)
        h = torch.zeros(shape, device=device or p.device, dtype=dtype or p.dtype)
        return (h, torch.zeros_like(h)) if self.is_lstm else h

    def _per_cell_states(self, state, batch_size: int) -> list:
        """torch layout (L*dirs, B, J) [pair for LSTM] -> one state per cell."""
        n = self.num_layers * self.num_directions
        if self.is_lstm and not (isinstance(state, (tuple, list)) and len(state) == 2):
            raise TypeError(f"an LSTM state must be a pair (h_0, c_0), each ({n}, B, J), "
                            f"got {type(state).__name__}")
        h = state[0] if self.is_lstm else state
        expect_tensor(h, "h_0", shape=(n, batch_size, self.hidden_size), floating=True)
        if self.is_lstm:
            expect_tensor(state[1], "c_0", shape=(n, batch_size, self.hidden_size), floating=True)
            return [(state[0][k], state[1][k]) for k in range(n)]
        return [state[k] for k in range(n)]

    def _torch_layout(self, states: list):
        if self.is_lstm:
            return torch.stack([s[0] for s in states]), torch.stack([s[1] for s in states])
        return torch.stack(states)

    # --- running ------------------------------------------------------------------------
    def forward(self, xs: torch.Tensor, state=None, lengths=None):
        """xs: (B, T, D) -> output (B, T, dirs*J), final state in torch layout. Layer by layer.

        lengths: None, or (B,) integers for a right-padded batch: the result equals the torch
        module's on ``pack_padded_sequence(xs, lengths, batch_first=True,
        enforce_sorted=False)``, with the output unpacked by ``pad_packed_sequence`` (zeros
        at padded steps) and h_n the state after each sequence's own last step.
        """
        expect_tensor(xs, "xs", shape=(None, None, self.input_size), floating=True)
        if lengths is not None:
            lengths = check_lengths(lengths, xs.shape[0], xs.shape[1])
        if state is None:
            state = self.init_state(xs.shape[0], xs.device, xs.dtype)
        states = self._per_cell_states(state, xs.shape[0])
        finals, d = [], self.num_directions
        for l, layer in enumerate(self.layers):
            layer_state = states[l * d] if d == 1 else (states[l * d], states[l * d + 1])
            out, final = layer(xs, layer_state, lengths)
            finals += [final] if d == 1 else list(final)
            xs = out + xs if (self.residual and l > 0) else out
        return xs, self._torch_layout(finals)

    def step(self, x_t: torch.Tensor, state=None):
        """One time step through every layer: x_t (B, D) -> (top h (B, J), new state).

        This is how a generator runs: it never re-reads the prefix, it carries the state.
        """
        if self.bidirectional:
            raise ValueError("a bidirectional network cannot run one step at a time: its "
                             "backward direction starts from the END of the sequence, which a "
                             "generator has not produced yet")
        expect_tensor(x_t, "x_t", shape=(None, self.input_size), floating=True)
        if state is None:
            state = self.init_state(x_t.shape[0], x_t.device, x_t.dtype)
        states = self._per_cell_states(state, x_t.shape[0])
        new_states, inp = [], x_t
        for l, cell in enumerate(self.cells()):
            new = cell.step(inp, states[l])
            new_states.append(new)
            inp = cell.hidden(new) + inp if (self.residual and l > 0) else cell.hidden(new)
        return inp, self._torch_layout(new_states)

    # --- parity with torch.nn -----------------------------------------------------------
    @classmethod
    def from_torch(cls, module: nn.Module) -> "RecurrentNet":
        """A RecurrentNet computing exactly what ``module`` (nn.RNN, nn.GRU or nn.LSTM) does.

        The module must be batch_first (ours always is), use tanh, and have no projection.
        """
        kinds = {nn.RNN: "rnn", nn.GRU: "gru", nn.LSTM: "lstm"}
        if type(module) not in kinds:
            raise TypeError(f"expected torch.nn.RNN, GRU or LSTM, got {type(module).__name__}")
        if not module.batch_first:
            raise ValueError("build the torch module with batch_first=True: the course's "
                             "networks take (B, T, D) inputs")
        if getattr(module, "nonlinearity", "tanh") != "tanh":
            raise ValueError("only nonlinearity='tanh' is supported (the course's RNN cell uses tanh)")
        if getattr(module, "proj_size", 0):
            raise ValueError("LSTMs with proj_size > 0 are not supported")
        p = next(module.parameters())
        net = cls(kinds[type(module)], module.input_size, module.hidden_size, module.num_layers,
                  module.bidirectional).to(device=p.device, dtype=p.dtype)
        d = net.num_directions
        for k, cell in enumerate(net.cells()):
            cell.load_torch_weights(module, layer=k // d, reverse=bool(k % d))
        return net


__all__ = ["check_lengths", "Unrolled", "Bidirectional", "RecurrentNet", "RNNCell", "GRUCell",
           "LSTMCell"]
