"""Typical wrong answers to Lab 7's exercises, written the way learners write them.

Each answer is registered with the exercise it answers and the words its check message
must contain (case-insensitive), so tests/test_lab_contract.py can assert that the check
rejects it AND names the mistake.
"""
import torch

from utils.cells import LSTMCell

WRONG_ANSWERS = []   # (exercise, function, words the message must contain)


def wrong(exercise, *words):
    def register(fn):
        WRONG_ANSWERS.append((exercise, fn, words))
        return fn
    return register


def run_layer(cell, xs, state):              # the notebook's given layer over time
    outputs = []
    for t in range(xs.shape[1]):
        state = cell.step(xs[:, t], state)
        outputs.append(cell.hidden(state))
    return torch.stack(outputs, dim=1), state


def _layer_state(states, l):
    return (states[0][l], states[1][l]) if isinstance(states, tuple) else states[l]


def _layout(finals):
    if isinstance(finals[0], tuple):
        return torch.stack([h for h, c in finals]), torch.stack([c for h, c in finals])
    return torch.stack(finals)


# --- Exercise 1: stacked_forward ----------------------------------------------------------------
@wrong("stacked_forward", "every layer reads `xs`", "OUTPUT sequence")
def stack_every_layer_reads_xs(cells, xs, states, residual=False):
    finals, outputs = [], None
    for l, cell in enumerate(cells):
        outputs, final = run_layer(cell, xs, _layer_state(states, l))   # xs, not the layer below
        if residual and l > 0:
            outputs = outputs + xs
        finals.append(final)
    return outputs, _layout(finals)


@wrong("stacked_forward", "share one cell", "cells[l]")
def stack_with_one_cell(cells, xs, states, residual=False):
    inputs, finals = xs, []
    for l in range(len(cells)):
        outputs, final = run_layer(cells[0], inputs, _layer_state(states, l))
        finals.append(final)
        inputs = outputs + inputs if residual and l > 0 else outputs
    return inputs, _layout(finals)


@wrong("stacked_forward", "first layer's initial state", "h_0[l]")
def stack_every_layer_from_state_0(cells, xs, states, residual=False):
    inputs, finals = xs, []
    for l, cell in enumerate(cells):
        outputs, final = run_layer(cell, inputs, _layer_state(states, 0))
        finals.append(final)
        inputs = outputs + inputs if residual and l > 0 else outputs
    return inputs, _layout(finals)


@wrong("stacked_forward", "from zeros", "h_0[l]")
def stack_from_zero_states(cells, xs, states, residual=False):
    inputs, finals = xs, []
    for l, cell in enumerate(cells):
        outputs, final = run_layer(cell, inputs, cell.init_state(xs.shape[0], dtype=xs.dtype))
        finals.append(final)
        inputs = outputs + inputs if residual and l > 0 else outputs
    return inputs, _layout(finals)


@wrong("stacked_forward", "final state of layer l", "through TIME")
def stack_passes_the_state_upwards(cells, xs, states, residual=False):
    inputs, finals, state = xs, [], _layer_state(states, 0)
    for l, cell in enumerate(cells):
        outputs, state = run_layer(cell, inputs, state)      # the next layer starts from it
        finals.append(state)
        inputs = outputs + inputs if residual and l > 0 else outputs
    return inputs, _layout(finals)


@wrong("stacked_forward", "bottom layer", "TOP")
def stack_returns_the_bottom_output(cells, xs, states, residual=False):
    inputs, finals, first = xs, [], None
    for l, cell in enumerate(cells):
        outputs, final = run_layer(cell, inputs, _layer_state(states, l))
        first = outputs if first is None else first
        finals.append(final)
        inputs = outputs + inputs if residual and l > 0 else outputs
    return first, _layout(finals)


@wrong("stacked_forward", "reverse order", "h_n[0]")
def stack_h_n_top_first(cells, xs, states, residual=False):
    inputs, finals = xs, []
    for l, cell in enumerate(cells):
        outputs, final = run_layer(cell, inputs, _layer_state(states, l))
        finals.insert(0, final)                              # top layer first
        inputs = outputs + inputs if residual and l > 0 else outputs
    return inputs, _layout(finals)


@wrong("stacked_forward", "ONE layer's final state", "(L, B, J)")
def stack_returns_only_the_top_state(cells, xs, states, residual=False):
    inputs = xs
    for l, cell in enumerate(cells):
        outputs, final = run_layer(cell, inputs, _layer_state(states, l))
        inputs = outputs + inputs if residual and l > 0 else outputs
    return inputs, final


@wrong("stacked_forward", "wrong way round", "(h_0, c_0)")
def stack_reads_c_before_h(cells, xs, states, residual=False):
    inputs, finals = xs, []
    for l, cell in enumerate(cells):
        state = (states[1][l], states[0][l]) if isinstance(states, tuple) else states[l]
        outputs, final = run_layer(cell, inputs, state)
        finals.append(final)
        inputs = outputs + inputs if residual and l > 0 else outputs
    return inputs, _layout(finals)


@wrong("stacked_forward", "(c_n, h_n)", "hidden state first")
def stack_returns_c_n_first(cells, xs, states, residual=False):
    inputs, hs, cs, plain = xs, [], [], []
    for l, cell in enumerate(cells):
        outputs, final = run_layer(cell, inputs, _layer_state(states, l))
        if isinstance(final, tuple):
            hs.append(final[0])
            cs.append(final[1])
        else:
            plain.append(final)
        inputs = outputs + inputs if residual and l > 0 else outputs
    if plain:
        return inputs, torch.stack(plain)
    return inputs, (torch.stack(cs), torch.stack(hs))


@wrong("stacked_forward", "residual connection was added at the first layer", "only the layers after the first")
def stack_residual_everywhere_when_sizes_allow(cells, xs, states, residual=False):
    inputs, finals = xs, []
    for l, cell in enumerate(cells):
        outputs, final = run_layer(cell, inputs, _layer_state(states, l))
        finals.append(final)
        inputs = outputs + inputs if residual else outputs   # also at the first layer
    return inputs, _layout(finals)


@wrong("stacked_forward", "`residual=True` is ignored")
def stack_without_residual(cells, xs, states, residual=False):
    inputs, finals = xs, []
    for l, cell in enumerate(cells):
        inputs, final = run_layer(cell, inputs, _layer_state(states, l))
        finals.append(final)
    return inputs, _layout(finals)


@wrong("stacked_forward", "stack's input `xs`", "ITS OWN")
def stack_residual_adds_xs(cells, xs, states, residual=False):
    inputs, finals = xs, []
    for l, cell in enumerate(cells):
        outputs, final = run_layer(cell, inputs, _layer_state(states, l))
        finals.append(final)
        inputs = outputs + xs if residual and l > 0 else outputs
    return inputs, _layout(finals)


@wrong("stacked_forward", "only to the top layer's output")
def stack_residual_only_at_the_end(cells, xs, states, residual=False):
    inputs, finals = xs, []
    for l, cell in enumerate(cells):
        outputs, final = run_layer(cell, inputs, _layer_state(states, l))
        finals.append(final)
        if l == len(cells) - 1 and residual and l > 0:
            return outputs + inputs, _layout(finals)
        inputs = outputs
    return inputs, _layout(finals)


@wrong("stacked_forward", "into the final states too", "before the residual sum")
def stack_residual_in_h_n(cells, xs, states, residual=False):
    inputs, finals = xs, []
    for l, cell in enumerate(cells):
        outputs, final = run_layer(cell, inputs, _layer_state(states, l))
        if residual and l > 0:
            outputs = outputs + inputs
            final = (outputs[:, -1], final[1]) if isinstance(final, tuple) else outputs[:, -1]
        finals.append(final)
        inputs = outputs
    return inputs, _layout(finals)


@wrong("stacked_forward", "pair", "(h_n, c_n)")
def stack_stacks_lstm_pairs(cells, xs, states, residual=False):
    inputs, finals = xs, []
    for l, cell in enumerate(cells):
        outputs, final = run_layer(cell, inputs, _layer_state(states, l))
        finals.append(final)
        inputs = outputs + inputs if residual and l > 0 else outputs
    return inputs, torch.stack([f if torch.is_tensor(f) else torch.stack(f) for f in finals])


@wrong("stacked_forward", "torch.stack(finals)")
def stack_returns_a_list_of_states(cells, xs, states, residual=False):
    inputs, finals = xs, []
    for l, cell in enumerate(cells):
        outputs, final = run_layer(cell, inputs, _layer_state(states, l))
        finals.append(final)
        inputs = outputs + inputs if residual and l > 0 else outputs
    return inputs, finals


@wrong("stacked_forward", "(B, J)", "h_0[l]")
def stack_passes_all_layers_states(cells, xs, states, residual=False):
    inputs, finals = xs, []
    for l, cell in enumerate(cells):
        outputs, final = run_layer(cell, inputs, states)     # the whole (L, B, J) tensor
        finals.append(final)
        inputs = outputs + inputs if residual and l > 0 else outputs
    return inputs, _layout(finals)


@wrong("stacked_forward", "EVERY step", "(B, T, J)")
def stack_returns_the_last_step(cells, xs, states, residual=False):
    inputs, finals = xs, []
    for l, cell in enumerate(cells):
        outputs, final = run_layer(cell, inputs, _layer_state(states, l))
        finals.append(final)
        inputs = outputs + inputs if residual and l > 0 else outputs
    return inputs[:, -1], _layout(finals)


# --- Exercise 2: lstm_cells_from_torch --------------------------------------------------------
def _cells(lstm, weights, dtype=None, input_sizes=None):
    """LSTMCells filled by weights(l) -> (U, W, b)."""
    D, J = lstm.input_size, lstm.hidden_size
    dtype = dtype or lstm.weight_ih_l0.dtype
    out = []
    for l in range(lstm.num_layers):
        size = input_sizes(l) if input_sizes else (D if l == 0 else J)
        cell = LSTMCell(size, J).to(dtype)
        U, W, b = weights(l)
        with torch.no_grad():
            cell.U.copy_(U)
            cell.W.copy_(W)
            cell.b.copy_(b)
        out.append(cell)
    return out


def _p(lstm, name, l):
    return getattr(lstm, f"{name}_l{l}")


@wrong("lstm_cells_from_torch", "`bias_ih` alone", "bias_ih_l{l} + bias_hh_l{l}")
def cells_without_bias_hh(lstm):
    return _cells(lstm, lambda l: (_p(lstm, "weight_ih", l), _p(lstm, "weight_hh", l),
                                   _p(lstm, "bias_ih", l)))


@wrong("lstm_cells_from_torch", "U and W are swapped", "weight_ih")
def cells_with_u_and_w_swapped(lstm):
    return _cells(lstm, lambda l: (_p(lstm, "weight_hh", l), _p(lstm, "weight_ih", l),
                                   _p(lstm, "bias_ih", l) + _p(lstm, "bias_hh", l)))


@wrong("lstm_cells_from_torch", "the first layer's weights", "_l{l}")
def cells_all_from_layer_0(lstm):
    return _cells(lstm, lambda l: (_p(lstm, "weight_ih", 0), _p(lstm, "weight_hh", 0),
                                   _p(lstm, "bias_ih", 0) + _p(lstm, "bias_hh", 0)))


@wrong("lstm_cells_from_torch", "reverse order", "cells[0]")
def cells_in_reverse_order(lstm):
    L = lstm.num_layers
    return _cells(lstm, lambda l: (_p(lstm, "weight_ih", L - 1 - l),
                                   _p(lstm, "weight_hh", L - 1 - l),
                                   _p(lstm, "bias_ih", L - 1 - l) + _p(lstm, "bias_hh", L - 1 - l)))


@wrong("lstm_cells_from_torch", "same object", "new `LSTMCell` inside the loop")
def cells_one_cell_repeated(lstm):
    D, J = lstm.input_size, lstm.hidden_size
    cell = LSTMCell(D, J).double()
    stack = [cell] * lstm.num_layers
    with torch.no_grad():
        for l in range(lstm.num_layers):
            if l == 0:
                stack[l].U.copy_(lstm.weight_ih_l0)
            stack[l].W.copy_(_p(lstm, "weight_hh", l))
            stack[l].b.copy_(_p(lstm, "bias_ih", l) + _p(lstm, "bias_hh", l))
    return stack


@wrong("lstm_cells_from_torch", "float32", "lstm.weight_ih_l0.dtype")
def cells_left_in_float32(lstm):
    return _cells(lstm, lambda l: (_p(lstm, "weight_ih", l), _p(lstm, "weight_hh", l),
                                   _p(lstm, "bias_ih", l) + _p(lstm, "bias_hh", l)),
                  dtype=torch.float32)


@wrong("lstm_cells_from_torch", "LSTMCell(J, J)", "weight_ih_l0")
def cells_all_reading_d_inputs(lstm):
    return _cells(lstm, lambda l: (_p(lstm, "weight_ih", l), _p(lstm, "weight_hh", l),
                                   _p(lstm, "bias_ih", l) + _p(lstm, "bias_hh", l)),
                  input_sizes=lambda l: lstm.input_size)


@wrong("lstm_cells_from_torch", "torch.no_grad()")
def cells_copied_with_autograd_on(lstm):
    out = []
    for l in range(lstm.num_layers):
        cell = LSTMCell(lstm.input_size if l == 0 else lstm.hidden_size,
                        lstm.hidden_size).double()
        cell.U.copy_(_p(lstm, "weight_ih", l))                # no torch.no_grad()
        cell.W.copy_(_p(lstm, "weight_hh", l))
        cell.b.copy_(_p(lstm, "bias_ih", l) + _p(lstm, "bias_hh", l))
        out.append(cell)
    return out


@wrong("lstm_cells_from_torch", "one cell", "list of")
def cells_only_the_first_layer(lstm):
    return _cells(lstm, lambda l: (_p(lstm, "weight_ih", l), _p(lstm, "weight_hh", l),
                                   _p(lstm, "bias_ih", l) + _p(lstm, "bias_hh", l)))[0]


@wrong("lstm_cells_from_torch", "numbered 0 .. L-1", "getattr")
def cells_counting_layers_from_1(lstm):
    return _cells(lstm, lambda l: (_p(lstm, "weight_ih", l + 1), _p(lstm, "weight_hh", l + 1),
                                   _p(lstm, "bias_ih", l + 1) + _p(lstm, "bias_hh", l + 1)))


@wrong("lstm_cells_from_torch", "changed the weights", "stay as it was")
def cells_summing_the_biases_in_place(lstm):
    with torch.no_grad():
        for l in range(lstm.num_layers):
            _p(lstm, "bias_ih", l).add_(_p(lstm, "bias_hh", l))   # changes the module
    return _cells(lstm, lambda l: (_p(lstm, "weight_ih", l), _p(lstm, "weight_hh", l),
                                   _p(lstm, "bias_ih", l)))


@wrong("lstm_cells_from_torch", "reordered", "(i, f, g, o)")
def cells_gates_in_notation_order(lstm):
    def reorder(m):                                          # i, f, g, o -> f, i, o, g
        i, f, g, o = m.chunk(4)
        return torch.cat([f, i, o, g])
    return _cells(lstm, lambda l: (reorder(_p(lstm, "weight_ih", l)),
                                   reorder(_p(lstm, "weight_hh", l)),
                                   reorder(_p(lstm, "bias_ih", l) + _p(lstm, "bias_hh", l))))


@wrong("lstm_cells_from_torch", "course's cells")
def cells_returns_the_module(lstm):
    return lstm


# --- Exercise 3: stack_parameter_count ---------------------------------------------------------
GATES = {"rnn": 1, "gru": 3, "lstm": 4}


@wrong("stack_parameter_count", "TWO bias vectors", "bias_hh")
def count_with_one_bias(kind, D, J, L, bidirectional=False):
    G, dirs = GATES[kind], 2 if bidirectional else 1
    return sum(dirs * (G * J * (D if l == 0 else dirs * J) + G * J * J + G * J) for l in range(L))


@wrong("stack_parameter_count", "every layer reads D inputs")
def count_every_layer_reads_x(kind, D, J, L, bidirectional=False):
    G, dirs = GATES[kind], 2 if bidirectional else 1
    return L * dirs * (G * J * D + G * J * J + 2 * G * J)


@wrong("stack_parameter_count", "one block too few", "candidate")
def count_lstm_as_three_gates(kind, D, J, L, bidirectional=False):
    G, dirs = {"rnn": 1, "gru": 2, "lstm": 3}[kind], 2 if bidirectional else 1
    return sum(dirs * (G * J * (D if l == 0 else dirs * J) + G * J * J + 2 * G * J)
               for l in range(L))


@wrong("stack_parameter_count", "recurrent weights W", "missing")
def count_without_w(kind, D, J, L, bidirectional=False):
    G, dirs = GATES[kind], 2 if bidirectional else 1
    return sum(dirs * (G * J * (D if l == 0 else dirs * J) + 2 * G * J) for l in range(L))


@wrong("stack_parameter_count", "only one layer")
def count_one_layer(kind, D, J, L, bidirectional=False):
    G, dirs = GATES[kind], 2 if bidirectional else 1
    return dirs * (G * J * D + G * J * J + 2 * G * J)


@wrong("stack_parameter_count", "one direction", "twice")
def count_one_direction(kind, D, J, L, bidirectional=False):
    G, dirs = GATES[kind], 2 if bidirectional else 1
    return sum(G * J * (D if l == 0 else dirs * J) + G * J * J + 2 * G * J for l in range(L))


@wrong("stack_parameter_count", "2J numbers", "[forward h; backward h]")
def count_bidirectional_reading_j(kind, D, J, L, bidirectional=False):
    G, dirs = GATES[kind], 2 if bidirectional else 1
    return sum(dirs * (G * J * (D if l == 0 else J) + G * J * J + 2 * G * J) for l in range(L))


@wrong("stack_parameter_count", "one block of weights per layer")
def count_ignoring_gates(kind, D, J, L, bidirectional=False):
    dirs = 2 if bidirectional else 1
    return sum(dirs * (J * (D if l == 0 else dirs * J) + J * J + 2 * J) for l in range(L))


@wrong("stack_parameter_count", "G·J × D", "G·J × J")
def count_w_as_j_by_d(kind, D, J, L, bidirectional=False):
    G, dirs = GATES[kind], 2 if bidirectional else 1
    return sum(dirs * (G * J * (D if l == 0 else dirs * J) + G * J * D + 2 * G * J)
               for l in range(L))


@wrong("stack_parameter_count", "the first layer was counted with J inputs")
def count_layer_0_with_j_inputs(kind, D, J, L, bidirectional=False):
    G, dirs = GATES[kind], 2 if bidirectional else 1
    return sum(dirs * (G * J * (J if l == 0 else dirs * J) + G * J * J + 2 * G * J)
               for l in range(L))
