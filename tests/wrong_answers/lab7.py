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


# --- Exercise 4: bidirectional_cells_from_torch ----------------------------------------------
def _pairs(lstm, weights, dtype=None, input_sizes=None):
    """[(forward cell, backward cell)] filled by weights(l, suffix) -> (U, W, b)."""
    D, J = lstm.input_size, lstm.hidden_size
    dtype = dtype or lstm.weight_ih_l0.dtype
    layers = []
    for l in range(lstm.num_layers):
        size = input_sizes(l) if input_sizes else (D if l == 0 else 2 * J)
        pair = []
        for suffix in (f"_l{l}", f"_l{l}_reverse"):
            cell = LSTMCell(size, J).to(dtype)
            U, W, b = weights(l, suffix)
            with torch.no_grad():
                cell.U.copy_(U)
                cell.W.copy_(W)
                cell.b.copy_(b)
            pair.append(cell)
        layers.append(tuple(pair))
    return layers


def _right(lstm, suffix):
    g = lambda name: getattr(lstm, name + suffix)   # noqa: E731
    return g("weight_ih"), g("weight_hh"), g("bias_ih") + g("bias_hh")


@wrong("bidirectional_cells_from_torch", "directions are swapped", "_reverse")
def pairs_reverse_weights_in_the_forward_cell(lstm):
    other = {"": "_reverse", "_reverse": ""}
    return _pairs(lstm, lambda l, s: _right(lstm, f"_l{l}" + other[s[len(f'_l{l}'):]]))


@wrong("bidirectional_cells_from_torch", "FORWARD weights", "_reverse")
def pairs_without_reverse(lstm):
    return _pairs(lstm, lambda l, s: _right(lstm, f"_l{l}"))        # forgot the suffix


@wrong("bidirectional_cells_from_torch", "`bias_hh` was forgotten", "bias_ih_l{l} + bias_hh_l{l}")
def pairs_without_bias_hh(lstm):
    return _pairs(lstm, lambda l, s: (getattr(lstm, "weight_ih" + s),
                                      getattr(lstm, "weight_hh" + s), getattr(lstm, "bias_ih" + s)))


@wrong("bidirectional_cells_from_torch", "another order", "(i, f, g, o)")
def pairs_gates_in_tensorflow_order(lstm):
    def reorder(m):                                  # i, f, g, o -> i, g, f, o
        i, f, g, o = m.chunk(4)
        return torch.cat([i, g, f, o])
    return _pairs(lstm, lambda l, s: tuple(reorder(m) for m in _right(lstm, s)))


@wrong("bidirectional_cells_from_torch", "(4J, 2J)", "LSTMCell(2 * J, J)")
def pairs_upper_layers_reading_j(lstm):
    J = lstm.hidden_size
    return _pairs(lstm, lambda l, s: _right(lstm, s),
                  input_sizes=lambda l: lstm.input_size if l == 0 else J)


@wrong("bidirectional_cells_from_torch", "same object", "TWO new")
def pairs_one_cell_for_both_directions(lstm):
    D, J = lstm.input_size, lstm.hidden_size
    layers = []
    for l in range(lstm.num_layers):
        cell = LSTMCell(D if l == 0 else 2 * J, J).double()
        with torch.no_grad():
            for s in (f"_l{l}", f"_l{l}_reverse"):
                U, W, b = _right(lstm, s)
                cell.U.copy_(U)
                cell.W.copy_(W)
                cell.b.copy_(b)
        layers.append((cell, cell))
    return layers


@wrong("bidirectional_cells_from_torch", "flat list", "fwd, bwd = layers[l]")
def pairs_as_one_flat_list(lstm):
    return [cell for pair in _pairs(lstm, lambda l, s: _right(lstm, s)) for cell in pair]


@wrong("bidirectional_cells_from_torch", "float32", "lstm.weight_ih_l0.dtype")
def pairs_left_in_float32(lstm):
    return _pairs(lstm, lambda l, s: _right(lstm, s), dtype=torch.float32)


@wrong("bidirectional_cells_from_torch", "AFTER the layer index", "weight_ih_l0_reverse")
def pairs_with_the_suffix_in_the_wrong_place(lstm):
    return _pairs(lstm, lambda l, s: _right(lstm, s.replace(f"_l{l}_reverse", f"_reverse_l{l}")))


@wrong("bidirectional_cells_from_torch", "first layer's weights", "_l{l}")
def pairs_all_from_layer_0(lstm):
    return _pairs(lstm, lambda l, s: _right(lstm, s.replace(f"_l{l}", "_l0")))


# --- Exercise 5: bidirectional_stack_forward --------------------------------------------------
def _bi(layers, xs, states, layer_input=None, backward=None, finals=None):
    """The usual loop, with one step replaced by a learner's mistake (defaults: right)."""
    h_0, c_0 = states
    inputs, hs, cs = xs, [], []
    for l, (fwd, bwd) in enumerate(layers):
        out_f, (h_f, c_f) = run_layer(fwd, inputs, (h_0[2 * l], c_0[2 * l]))
        if backward is None:
            out_b, (h_b, c_b) = run_layer(bwd, inputs.flip(1), (h_0[2 * l + 1], c_0[2 * l + 1]))
            out_b = out_b.flip(1)
        else:
            out_b, (h_b, c_b) = backward(bwd, inputs, out_f, (h_0[2 * l + 1], c_0[2 * l + 1]))
        inputs = (layer_input or (lambda f, b: torch.cat([f, b], dim=-1)))(out_f, out_b)
        hs += [h_f, h_b]
        cs += [c_f, c_b]
    if finals:
        return inputs, finals(hs, cs, inputs)
    return inputs, (torch.stack(hs), torch.stack(cs))


@wrong("bidirectional_stack_forward", "not flipped back", "out_b.flip(1)")
def bi_backward_outputs_left_reversed(layers, xs, states):
    return _bi(layers, xs, states,
               backward=lambda bwd, x, out_f, s: run_layer(bwd, x.flip(1), s))   # no flip back


@wrong("bidirectional_stack_forward", "left to right", "inputs.flip(1)")
def bi_backward_never_reversed(layers, xs, states):
    return _bi(layers, xs, states, backward=lambda bwd, x, out_f, s: run_layer(bwd, x, s))


def _flip_batch(bwd, x, out_f, s):
    out_b, final = run_layer(bwd, torch.flip(x, [0]), s)       # axis 0: the batch
    return torch.flip(out_b, [0]), final


@wrong("bidirectional_stack_forward", "axis 0, the batch", "flip(1)")
def bi_flips_the_batch_axis(layers, xs, states):
    return _bi(layers, xs, states, backward=_flip_batch)


@wrong("bidirectional_stack_forward", "wrong order", "forward first")
def bi_backward_half_first(layers, xs, states):
    return _bi(layers, xs, states, layer_input=lambda f, b: torch.cat([b, f], dim=-1))


@wrong("bidirectional_stack_forward", "2J", "not the forward half alone")
def bi_next_layer_reads_the_forward_half(layers, xs, states):
    h_0, c_0 = states
    inputs, hs, cs, output = xs, [], [], None
    for l, (fwd, bwd) in enumerate(layers):
        out_f, (h_f, c_f) = run_layer(fwd, inputs, (h_0[2 * l], c_0[2 * l]))
        out_b, (h_b, c_b) = run_layer(bwd, inputs.flip(1), (h_0[2 * l + 1], c_0[2 * l + 1]))
        output = torch.cat([out_f, out_b.flip(1)], dim=-1)
        inputs = out_f                                          # only the forward half goes up
        hs += [h_f, h_b]
        cs += [c_f, c_b]
    return output, (torch.stack(hs), torch.stack(cs))


def _reads_forward(bwd, x, out_f, s):
    out_b, final = run_layer(bwd, out_f.flip(1), s)             # the forward outputs
    return out_b.flip(1), final


@wrong("bidirectional_stack_forward", "read the forward direction's outputs", "SAME input")
def bi_backward_reads_the_forward_outputs(layers, xs, states):
    return _bi(layers, xs, states, backward=_reads_forward)


@wrong("bidirectional_stack_forward", "direction-major", "row `2 * l`")
def bi_h_n_forward_rows_first(layers, xs, states):
    return _bi(layers, xs, states, finals=lambda hs, cs, out: (
        torch.stack(hs[0::2] + hs[1::2]), torch.stack(cs[0::2] + cs[1::2])))


@wrong("bidirectional_stack_forward", "last time step", "output[:, 0, J:]")
def bi_h_n_read_from_the_last_step(layers, xs, states):
    J = layers[0][0].hidden_size
    tops = []

    def keep_outputs(f, b):
        tops.append((f[:, -1], b[:, -1]))                       # the last step of each half
        return torch.cat([f, b], dim=-1)
    output, (_, c_n) = _bi(layers, xs, states, layer_input=keep_outputs)
    h_n = torch.stack([h for pair in tops for h in pair])
    assert h_n.shape[-1] == J
    return output, (h_n, c_n)


@wrong("bidirectional_stack_forward", "direction by direction", "2 * l + 1")
def bi_states_read_direction_by_direction(layers, xs, states):
    L = len(layers)
    h_0, c_0 = states
    inputs, hs, cs = xs, [], []
    for l, (fwd, bwd) in enumerate(layers):
        out_f, (h_f, c_f) = run_layer(fwd, inputs, (h_0[l], c_0[l]))
        out_b, (h_b, c_b) = run_layer(bwd, inputs.flip(1), (h_0[L + l], c_0[L + l]))
        inputs = torch.cat([out_f, out_b.flip(1)], dim=-1)
        hs += [h_f, h_b]
        cs += [c_f, c_b]
    return inputs, (torch.stack(hs), torch.stack(cs))


@wrong("bidirectional_stack_forward", "start from zeros", "2 * l")
def bi_from_zero_states(layers, xs, states):
    return _bi(layers, xs, tuple(torch.zeros_like(s) for s in states))


@wrong("bidirectional_stack_forward", "given `xs`", "Only the first layer reads `xs`")
def bi_every_layer_reads_xs(layers, xs, states):
    h_0, c_0 = states
    hs, cs, output = [], [], None
    for l, (fwd, bwd) in enumerate(layers):
        out_f, (h_f, c_f) = run_layer(fwd, xs, (h_0[2 * l], c_0[2 * l]))
        out_b, (h_b, c_b) = run_layer(bwd, xs.flip(1), (h_0[2 * l + 1], c_0[2 * l + 1]))
        output = torch.cat([out_f, out_b.flip(1)], dim=-1)
        hs += [h_f, h_b]
        cs += [c_f, c_b]
    return output, (torch.stack(hs), torch.stack(cs))


@wrong("bidirectional_stack_forward", "wrong way round", "fwd, bwd = layers[l]")
def bi_pair_unpacked_backward_first(layers, xs, states):
    return _bi([(b, f) for f, b in layers], xs, states)


@wrong("bidirectional_stack_forward", "(h_n, c_n)")
def bi_returns_h_n_only(layers, xs, states):
    output, (h_n, c_n) = _bi(layers, xs, states)
    return output, h_n
