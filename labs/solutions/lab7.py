"""Reference solutions of Lab 7, "Go deeper": one function per exercise.

scripts/sync_solutions.py copies each function into the notebook's hidden
"Show solution" block; tests/test_labs_execute.py runs the lab with them filled in.
"""
import torch

from utils.cells import LSTMCell


def _given_run_layer(cell, xs, state):
    """The notebook's `run_layer` (given there, not an exercise): one layer over time."""
    outputs = []
    for t in range(xs.shape[1]):
        state = cell.step(xs[:, t], state)
        outputs.append(cell.hidden(state))
    return torch.stack(outputs, dim=1), state


run_layer = _given_run_layer          # the solutions below call it by its notebook name


def stacked_forward(cells, xs, states, residual=False):
    """Layer by layer; layer l + 1 reads what layer l passes up."""
    is_lstm = isinstance(states, tuple)       # (h_0, c_0) for LSTM cells
    inputs, finals = xs, []
    for l, cell in enumerate(cells):
        state = (states[0][l], states[1][l]) if is_lstm else states[l]
        outputs, final = run_layer(cell, inputs, state)
        finals.append(final)                  # the cell's own state
        if residual and l > 0:                # never at the first layer (D != J)
            inputs = outputs + inputs
        else:
            inputs = outputs
    if is_lstm:
        h_n = torch.stack([h for h, c in finals])
        c_n = torch.stack([c for h, c in finals])
        return inputs, (h_n, c_n)
    return inputs, torch.stack(finals)        # (L, B, J), the first layer first


def lstm_cells_from_torch(lstm):
    """One course LSTMCell per layer of `lstm`, holding that layer's weights."""
    D, J = lstm.input_size, lstm.hidden_size
    dtype = lstm.weight_ih_l0.dtype
    stack = []
    for l in range(lstm.num_layers):
        cell = LSTMCell(D if l == 0 else J, J).to(dtype)   # a new cell per layer
        with torch.no_grad():
            cell.U.copy_(getattr(lstm, f"weight_ih_l{l}"))
            cell.W.copy_(getattr(lstm, f"weight_hh_l{l}"))
            cell.b.copy_(getattr(lstm, f"bias_ih_l{l}") + getattr(lstm, f"bias_hh_l{l}"))
        stack.append(cell)
    return stack


def stack_parameter_count(kind, D, J, L, bidirectional=False):
    """Parameters of torch.nn.RNN/GRU/LSTM(D, J, num_layers=L, bidirectional=...)."""
    G = {"rnn": 1, "gru": 3, "lstm": 4}[kind]      # blocks: gates and candidate
    directions = 2 if bidirectional else 1
    total = 0
    for l in range(L):
        inputs = D if l == 0 else directions * J      # what cells[l] reads
        one_direction = G * J * inputs + G * J * J + 2 * G * J  # U, W, two biases
        total += directions * one_direction
    return total


def bidirectional_cells_from_torch(lstm):
    """One (forward cell, backward cell) pair per layer of a bidirectional `lstm`."""
    D, J = lstm.input_size, lstm.hidden_size
    dtype = lstm.weight_ih_l0.dtype
    layers = []
    for l in range(lstm.num_layers):
        inputs = D if l == 0 else 2 * J            # above layer 1: [forward h; backward h]
        pair = []
        for suffix in (f"_l{l}", f"_l{l}_reverse"):  # forward, then backward
            cell = LSTMCell(inputs, J).to(dtype)
            with torch.no_grad():
                cell.U.copy_(getattr(lstm, "weight_ih" + suffix))
                cell.W.copy_(getattr(lstm, "weight_hh" + suffix))
                cell.b.copy_(getattr(lstm, "bias_ih" + suffix)
                             + getattr(lstm, "bias_hh" + suffix))
            pair.append(cell)
        layers.append(tuple(pair))
    return layers


def bidirectional_stack_forward(layers, xs, states):
    """Layer by layer, both directions; the layer above reads [forward; backward]."""
    h_0, c_0 = states                          # (2L, B, J) each: l0 fwd, l0 bwd, l1 fwd, ...
    inputs, h_n, c_n = xs, [], []
    for l, (fwd, bwd) in enumerate(layers):
        f, b = 2 * l, 2 * l + 1                # this layer's rows of h_0, c_0, h_n, c_n
        out_f, (h_f, c_f) = run_layer(fwd, inputs, (h_0[f], c_0[f]))
        out_b, (h_b, c_b) = run_layer(bwd, inputs.flip(1), (h_0[b], c_0[b]))
        out_b = out_b.flip(1)                  # back to time order: out_b[:, t] read x_T..x_t
        inputs = torch.cat([out_f, out_b], dim=-1)      # (B, T, 2J), forward first
        h_n += [h_f, h_b]                      # h_b: the backward state after reading x_1
        c_n += [c_f, c_b]
    return inputs, (torch.stack(h_n), torch.stack(c_n))
