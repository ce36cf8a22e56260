"""Checks for Lab 7, "Go deeper".

    from utils.checks.lab7 import check_stacked_forward
    check_stacked_forward(stacked_forward)      # -> a green, grey or red box

Three exercises, each compared with a reference computed at check time:

* ``stacked_forward(cells, xs, states, residual=False)``: a stack of course cells (RNN, GRU,
  LSTM; float64 weights drawn for the check) run layer by layer from non-zero initial states
  given in PyTorch's layout, against ``utils.recurrent.RecurrentNet`` holding the same cells.
  The residual spec is RecurrentNet's: every layer after the first (``cells[1:]``) adds its
  input to its output; the first layer (``cells[0]``) never does (its input has D features, its output J). Cases with D = J come first, so that a
  layer reading ``xs``, one cell for every layer or a residual at the first layer give numbers (and are
  named) instead of a size error.
* ``lstm_cells_from_torch(lstm)``: one course ``LSTMCell`` per layer of a stacked
  ``torch.nn.LSTM`` (float64, weights and both biases drawn for the check). The returned list
  is checked as a structure first (a list of L distinct LSTMCells, the right sizes and dtype),
  then parameter by parameter against ``cell.load_torch_weights(lstm, layer=l)``.
  tests/test_lab7_checks.py checks that such cells, run by the reference stack, give
  ``lstm(xs, (h_0, c_0))`` exactly.
* ``stack_parameter_count(kind, D, J, L, bidirectional=False)``: a number, against
  ``utils.models.count_parameters`` of the matching ``torch.nn`` module.

No check touches the global torch random generator: cells and modules are built, and the
learner's code runs, inside ``torch.random.fork_rng``, so running a check never changes the
notebook's next draws.
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from .. import cells, recurrent
from ..models import count_parameters
from .core import (Case, CheckFailed, HintedCheck, Mistake, call_learner, check_finite,
                   collect_leaves, gate_blocks, is_unchanged_stub, random_cell, random_inputs,
                   random_state, random_torch_module, renamed_pair, same_shape_parts,
                   values_match)


class ForkRngCheck(HintedCheck):
    """A ``HintedCheck`` that runs the learner's code inside ``torch.random.fork_rng``: new
    cells draw their initial weights, and a check must not change the notebook's next draws."""

    def _run_one(self, fn, case: Case) -> None:
        with torch.random.fork_rng(devices=[]):
            super()._run_one(fn, case)


# --- cells, modules and inputs drawn for the cases ------------------------------------------
def make_stack(kind: str, D: int, J: int, L: int, rng: np.random.Generator) -> list:
    """L cells: cells[0] reads D inputs, the layers above read the J outputs below them."""
    return [random_cell(kind, D if l == 0 else J, J, rng) for l in range(L)]


def _kind_of(cell) -> str:
    for kind, cls in (("lstm", cells.LSTMCell), ("gru", cells.GRUCell), ("rnn", cells.RNNCell)):
        if isinstance(cell, cls):
            return kind
    raise TypeError(f"expected course cells (RNNCell, GRUCell or LSTMCell), got "
                    f"{type(cell).__name__}")


# --- Exercise 1: the stack ------------------------------------------------------------------
STACK_SPECS = (  # kind, B, T, D, J, L, residual, label
    ("rnn", 2, 5, 4, 4, 3, False,
     "RNN cells, 3 layers, D = J, non-zero initial states"),
    ("gru", 3, 4, 5, 7, 2, False, "GRU cells, 2 layers, non-square sizes (D != J)"),
    ("lstm", 2, 6, 3, 5, 4, False, "LSTM cells, 4 layers, the states are pairs (h_0, c_0)"),
    ("gru", 2, 4, 5, 5, 3, True, "residual connections, D = J"),
    ("rnn", 3, 5, 2, 6, 4, True, "residual connections, D != J, 4 layers"),
    ("lstm", 2, 6, 4, 5, 3, True, "LSTM cells with residual connections"),
    ("rnn", 2, 1, 3, 5, 1, True, "one layer, one step (T=1): no residual to add"),
)


def _stack_cases(rng) -> list[Case]:
    cases = []
    for kind, B, T, D, J, L, residual, label in STACK_SPECS:
        cases.append(Case({"cells": make_stack(kind, D, J, L, rng),
                           "xs": random_inputs(rng, B, T, D),
                           "states": random_state(kind, (L, B, J), rng), "residual": residual},
                          {"B": B, "T": T, "D": D, "J": J, "L": L}, label))
    return cases


def reference_stacked_forward(cells, xs, states, residual=False):
    """utils.recurrent.RecurrentNet holding these cells: (top output, final states)."""
    kind = _kind_of(cells[0])
    with torch.random.fork_rng(devices=[]):
        net = recurrent.RecurrentNet(kind, cells[0].input_size, cells[0].hidden_size,
                                     len(cells), residual=residual)
    for layer, cell in zip(net.layers, cells):
        layer.cell = cell                 # the given cells, not the net's own
    return net(xs, states)


def _run(cell, xs, state):
    """One layer over time (as the notebook's ``run_layer``)."""
    outputs = []
    for t in range(xs.shape[1]):
        state = cell.step(xs[:, t], state)
        outputs.append(cell.hidden(state))
    return torch.stack(outputs, dim=1), state


def _stack(cells_, xs, states, residual=False, *, feed="below", one_cell=False, start="own",
           skip_from=1, skip_source="input", skip_passed=True, skip_in_state=False,
           output_from="top", reverse_h_n=False, swap_in=False, swap_out=False):
    """A stack with one typical mistake switched on (the defaults compute it right).

    feed: "below" (layer l+1 reads layer l's output) or "xs" (every layer reads xs).
    one_cell: every layer runs cells[0].
    start: "own" (layer l from states[l]), "first" (every layer from states[0]), "zeros",
        or "chained" (layer l+1 from layer l's final state).
    skip_from: the first layer with a residual connection (1 is right, 0 adds one at layer 0).
    skip_source: "input" (the layer's own input) or "xs" (the stack's input).
    skip_passed: the residual sum is what the layer passes up (False: only the top adds it).
    skip_in_state: the residual is added into the final states too.
    output_from: "top" or "bottom". reverse_h_n: layers of the final states reversed.
    swap_in / swap_out: an LSTM state read as (c, h) / returned as (c_n, h_n).
    """
    lstm = isinstance(states, (tuple, list))
    B = xs.shape[0]

    def initial(l):
        if start == "zeros":
            return cells_[l].init_state(B, xs.device, xs.dtype)
        k = 0 if start == "first" else l
        if lstm:
            return (states[1][k], states[0][k]) if swap_in else (states[0][k], states[1][k])
        return states[k]

    inputs, finals, passed = xs, [], []
    for l in range(len(cells_)):
        cell = cells_[0] if one_cell else cells_[l]
        state = finals[-1] if (start == "chained" and l > 0) else initial(l)
        read = xs if feed == "xs" else inputs
        outputs, final = _run(cell, read, state)
        skip = residual and l >= skip_from
        summed = outputs + (xs if skip_source == "xs" else read) if skip else outputs
        if skip and skip_in_state:
            last = (xs if skip_source == "xs" else read)[:, -1]
            final = (final[0] + last, final[1]) if lstm else final + last
        finals.append(final)
        passed.append(summed)
        inputs = summed if skip_passed else outputs
    output = passed[-1] if output_from == "top" else passed[0]
    order = finals[::-1] if reverse_h_n else finals
    if lstm:
        h_n, c_n = torch.stack([f[0] for f in order]), torch.stack([f[1] for f in order])
        return output, ((c_n, h_n) if swap_out else (h_n, c_n))
    return output, torch.stack(order)


def _stack_mistake(**switches):
    return lambda cells_, xs, states, residual=False: _stack(cells_, xs, states, residual,
                                                             **switches)


FINAL_KEYS = ("final_states", "value 1", "value 2")

STACK_MISTAKES = [
    Mistake("every layer reads `xs`. Only the first layer (`cells[0]`) reads the input sequence; "
            "each layer above reads the OUTPUT sequence of the layer below: after each layer, "
            "`inputs = outputs` (with residual connections, `inputs = outputs + inputs`).",
            _stack_mistake(feed="xs")),
    Mistake("every layer runs `cells[0]`, so all layers share one cell, one set of weights. "
            "Layer l runs its own cell, `cells[l]`.", _stack_mistake(one_cell=True)),
    Mistake("every layer starts from the first layer's initial state (`h_0[0]`). Each layer "
            "carries its own state through time, from its own initial state: layer l starts from "
            "`h_0[l]` (and `c_0[l]` for an LSTM).",
            _stack_mistake(start="first")),
    Mistake("every layer starts from zeros, not from the initial states it was given: layer l "
            "starts from `h_0[l]` (and `c_0[l]` for an LSTM). The check gives non-zero ones.",
            _stack_mistake(start="zeros")),
    Mistake("layer l + 1 starts from the final state of layer l. The state is carried through "
            "TIME within a layer, not up the stack: every layer starts from its own initial "
            "state, `h_0[l]` (and `c_0[l]` for an LSTM).",
            _stack_mistake(start="chained")),
    Mistake("`output` is the bottom layer's (`cells[0]`'s) output. The stack's output is the TOP "
            "layer's output at every step: what the layer after the stack (a softmax, a "
            "classifier) reads.",
            _stack_mistake(output_from="bottom"), keys=("output",)),
    Mistake("the layers of the final states are in reverse order. PyTorch puts the bottom "
            "layer first: `h_n[0]` is the first layer's final state, `h_n[L - 1]` the top layer's.",
            _stack_mistake(reverse_h_n=True), keys=FINAL_KEYS),
    Mistake("the LSTM's initial state was read the wrong way round: `states` is the pair "
            "`(h_0, c_0)`, hidden state first. Layer l starts from `(h_0[l], c_0[l])`.",
            _stack_mistake(swap_in=True)),
    Mistake("the LSTM's final states are returned as `(c_n, h_n)`. PyTorch's order, and the "
            "course's, is `(h_n, c_n)`: hidden state first, as in `cell.step`'s `(h, c)`.",
            _stack_mistake(swap_out=True), keys=FINAL_KEYS),
    Mistake("a residual connection was added at the first layer too. By this lab's spec (that of "
            "`utils.recurrent.RecurrentNet`) only the layers after the first (`cells[1:]`) add "
            "their input to their output: the first layer's input is x, D features, not a "
            "J-dimensional state (when D != J the two can't even be added).",
            _stack_mistake(skip_from=0)),
    Mistake("`residual=True` is ignored. With residual connections every layer after the "
            "first passes up its output PLUS its input: `inputs = outputs + inputs`.",
            lambda cells_, xs, states, residual=False: _stack(cells_, xs, states, False)),
    Mistake("each residual connection adds the stack's input `xs`. Every layer after the first "
            "adds ITS OWN input, the sequence it read (the output of the layer below).",
            _stack_mistake(skip_source="xs")),
    Mistake("the residual is added only to the top layer's output. Every layer after the first "
            "passes `outputs + inputs` up to the next layer, not its plain outputs.",
            _stack_mistake(skip_passed=False)),
    Mistake("the residual was added into the final states too. The final states are each "
            "cell's own state, `h_n[l]` = the last h of layer l, before the residual sum: the "
            "skip belongs to what a layer passes UP, not to what it carries through time.",
            _stack_mistake(skip_in_state=True), keys=FINAL_KEYS),
]


def _stack_shape_hint(name, got, expected, sizes) -> str:
    B, T, J, L = sizes["B"], sizes["T"], sizes["J"], sizes["L"]
    if name == "output":
        if got == (B, J):
            return ("That is one step: `output` holds the top layer's output at EVERY step, "
                    "(B, T, J).")
        if got == (L, B, T, J) or got == (B, T, L * J):
            return ("`output` is the top layer's outputs only, (B, T, J); the layers below "
                    "appear in the final states.")
        if got[:2] == (B, T) and got != (B, T, J):
            return ("Those are not J features: `output` is the top layer's outputs, (B, T, J). "
                    "Is it the input `xs`?")
    else:                                   # h_n or c_n
        if got == (B, J):
            return ("That is ONE layer's final state (the top layer's?). The final states hold "
                    "every layer's, stacked on a new first axis in layer order: (L, B, J), "
                    "`torch.stack(finals)`.")
        if got == (1, B, J):
            return ("That holds one layer's final state: the stack has L layers, and each one's "
                    "final state goes in, (L, B, J).")
        if got == (B, L, J):
            return "The layer axis comes first: `torch.stack(finals, dim=0)`, (L, B, J)."
        if got == (L, B, T, J) or got == (B, T, J):
            return ("The final states hold each layer's state after the LAST step only, "
                    "(L, B, J), not every step's.")
    return ""


def _explain_stack(case: Case, leaves) -> str:
    """Which layers of the final states are right, when no known mistake matched."""
    parts = []
    for name, got, expected in same_shape_parts(leaves):
        if name == "output":
            ok = values_match(got, expected)
            parts.append(f"`output` {'right' if ok else 'wrong'}")
            continue
        label = {"final_states": "h_n", "value 1": "h_n", "value 2": "c_n"}[name]
        layers = [f"{label}[{l}] {'right' if values_match(got[l], expected[l]) else 'wrong'}"
                  for l in range(len(expected))]
        parts.append(", ".join(layers))
    if not parts:
        return ""
    text = "By part: " + "; ".join(parts) + "."
    final = [leaf for leaf in leaves if leaf.name != "output"]
    if final and values_match(final[0].got[0], final[0].expected[0]) and len(final[0].got) > 1 \
            and not values_match(final[0].got[1:], final[0].expected[1:]):
        text += (" The first layer (`h_n[0]`) is right and the layers above are not: look at what each layer "
                 "passes up to the next, and at which cell and initial state each layer uses.")
    return text


STATE_HINT = ("For LSTM cells `states` is the pair `(h_0, c_0)`, each (L, B, J): layer l starts "
              "from the pair `(h_0[l], c_0[l])`, and each layer's final state is a pair (h, c). "
              "Return `(h_n, c_n)`: the h's stacked, and the c's stacked.")

check_stacked_forward = ForkRngCheck(
    "stacked_forward", reference_stacked_forward, _stack_cases,
    output_names=("output", "final_states"),
    shape_hint=_stack_shape_hint,
    explain=_explain_stack,
    shape_tip="`xs` is (B, T, D); each layer's outputs are (B, T, J).",
    hints=[
        (r"x_t must have shape",
         "Only the first layer (`cells[0]`) reads `xs` (D features): every layer above reads the OUTPUT sequence of "
         "the layer below (J features), with its own cell `cells[l]`. Feeding `xs` to every "
         "layer, or running `cells[0]` for every layer, gives this error."),
        (r"h_prev must have shape|c_prev must have shape",
         "A layer's state is (B, J): layer l starts from `h_0[l]`, one slice of the (L, B, J) "
         "tensor (for an LSTM, the pair `(h_0[l], c_0[l])`)."),
        (r"The size of tensor a \(\d+\) must match the size of tensor b",
         "A residual connection adds a layer's input to its output, so the two must have the "
         "same size. The spec: only the layers after the first add one; the first layer "
         "reads x (D features) and returns J, so it never does."),
        (r"tuple|pair|got list", STATE_HINT),
        (r"index \d+ is out of bounds|list index out of range",
         "There are L = `len(cells)` layers, `cells[0]` to `cells[L - 1]`, and `h_0[l]` is the "
         "initial state of `cells[l]`."),
    ],
    structure_hints=[
        (r"`final_states` returned a torch.Tensor|`final_states` is a torch.Tensor", STATE_HINT),
        (r"`final_states` is a (list|tuple)",
         "Stack the final state of every layer on a new first axis: `torch.stack(finals)`, "
         "(L, B, J)."),
        (r"`(value 1|value 2)` is a (list|tuple)",
         "Stack the h's of the final states into h_n, and the c's into c_n: each is a tensor "
         "(L, B, J)."),
    ],
    renames=renamed_pair("`h_n` (final_states[0])", "`c_n` (final_states[1])", "h_n, c_n"),
    mistakes=STACK_MISTAKES,
)


# --- Exercise 2: PyTorch's weights in course cells --------------------------------------------
LSTM_SPECS = (  # D, J, L, label
    (4, 4, 3, "3 layers, D = J (so weights of a wrong layer or matrix still fit)"),
    (3, 5, 3, "3 layers, D != J"),
    (6, 2, 2, "2 layers, J < D"),
    (2, 3, 1, "one layer"),
)


def _lstm_cases(rng) -> list[Case]:
    return [Case({"lstm": random_torch_module("lstm", rng, D, J, L)},
                 {"D": D, "J": J, "L": L, "4J": 4 * J}, label) for D, J, L, label in LSTM_SPECS]


def reference_lstm_cells_from_torch(lstm):
    """One course LSTMCell per layer: cells[l].load_torch_weights(lstm, layer=l)."""
    p = lstm.weight_ih_l0
    with torch.random.fork_rng(devices=[]):
        made = [cells.LSTMCell(lstm.input_size if l == 0 else lstm.hidden_size, lstm.hidden_size)
                for l in range(lstm.num_layers)]
    return [cell.to(dtype=p.dtype, device=p.device).load_torch_weights(lstm, layer=l)
            for l, cell in enumerate(made)]


def cell_parameters(stack) -> dict:
    """{"cells[l].U": U, "cells[l].W": W, "cells[l].b": b} of every cell of a list."""
    found = {}
    for l, cell in enumerate(stack):
        for name in ("U", "W", "b"):
            found[f"cells[{l}].{name}"] = getattr(cell, name).detach()
    return found


def _wrong_cells(lstm, layer_of=None, U="ih", bias="both", blocks=None) -> list:
    """Cells holding the parameters of one typical mistake (defaults: right), built without
    touching the torch random generator."""
    found = _torch_parameters(lstm, layer_of, U, bias, blocks)
    D, J = lstm.input_size, lstm.hidden_size
    stack = []
    for l in range(lstm.num_layers):
        U_l = found[f"cells[{l}].U"]
        with torch.random.fork_rng(devices=[]):
            cell = cells.LSTMCell(U_l.shape[1], J).to(U_l.dtype)
        with torch.no_grad():
            for name in ("U", "W", "b"):
                getattr(cell, name).copy_(found[f"cells[{l}].{name}"])
        stack.append(cell)
    return stack


def _torch_parameters(lstm, layer_of=None, U="ih", bias="both", blocks=None) -> dict:
    """The parameters cells would hold after one typical mistake (defaults: right).

    layer_of: l -> the torch layer whose weights cell l takes. U: "ih" (right) or "hh" (U and
    W swapped). bias: "both", "ih", "hh" or "none". blocks: a new order of the 4 gate blocks.
    """
    L = lstm.num_layers
    layer_of = layer_of or (lambda l: l)
    found = {}
    for l in range(L):
        k = layer_of(l)
        w_ih, w_hh, b_ih, b_hh = (getattr(lstm, f"{n}_l{k}").detach()
                                  for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        u, w = (w_ih, w_hh) if U == "ih" else (w_hh, w_ih)
        b = {"both": b_ih + b_hh, "ih": b_ih, "hh": b_hh, "none": torch.zeros_like(b_ih)}[bias]
        if blocks is not None:
            u, w, b = (torch.cat([m.chunk(4)[i] for i in blocks]) for m in (u, w, b))
        found.update({f"cells[{l}].U": u, f"cells[{l}].W": w, f"cells[{l}].b": b})
    return found


def _same_module(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(
        sa[k].dtype == sb[k].dtype and sa[k].shape == sb[k].shape and torch.equal(sa[k], sb[k])
        for k in sa)


def _describe(x) -> str:
    if isinstance(x, nn.Module):
        return f"a {type(x).__module__.split('.')[0]}.{type(x).__name__}" \
            if not isinstance(x, cells.RecurrentCell) else f"a course {type(x).__name__}"
    if isinstance(x, torch.Tensor):
        return f"a torch.Tensor of shape {tuple(x.shape)}"
    return f"a {type(x).__name__}"


SIZE_HINT = ("In `nn.LSTM(D, J, num_layers=L)`, `weight_ih_l0` is (4J, D) and every other "
             "`weight_ih_l{l}` is (4J, J): layer l >= 1 reads the J outputs of the layer below. "
             "Every `weight_hh_l{l}` is (4J, J). So the first cell, `cells[0]`, is `LSTMCell(D, J)`, "
             "the others `LSTMCell(J, J)`, and cell l takes the weights ending in `_l{l}`: U from "
             "`weight_ih`, W from `weight_hh`.")


class CellsCheck(ForkRngCheck):
    """The answer is a list of cells: checked as a structure, then parameter by parameter."""

    def _run_one(self, fn, case: Case) -> None:
        lstm = case.args["lstm"]
        expected = cell_parameters(self.reference(copy.deepcopy(lstm)))
        module = copy.deepcopy(lstm)
        with torch.random.fork_rng(devices=[]):     # new cells draw their initial weights
            got = call_learner(fn, [module], self.name)
        if got is None:
            if is_unchanged_stub(fn):
                raise CheckFailed(f"Not attempted yet: `{self.name}` has no code and returns "
                                  "None.", attempted=False)
            raise CheckFailed(f"`{self.name}` returned None: is the `return` statement missing?")
        if not _same_module(lstm, module):
            raise CheckFailed(f"`{self.name}` changed the weights of the `lstm` it was given. "
                              "Copy the weights INTO the cells (`cell.U.copy_(...)`); the module "
                              "itself must stay as it was.")
        self._check_structure(got, lstm)
        leaves = collect_leaves(cell_parameters(got), expected, self.name, case.sizes,
                                shape_hint=_cells_shape_hint)
        check_finite(leaves)
        wrong = [leaf for leaf in leaves
                 if not values_match(leaf.got, leaf.expected, self.rtol, self.atol)]
        if wrong:
            raise CheckFailed(self._explain_values(case, expected, leaves, wrong))

    def _matching_mistake(self, case: Case, expected, leaves, wrong):
        """As Check's, with each mistake's cells turned into their parameters."""
        as_parameters = [Mistake(m.description, lambda lstm, m=m: cell_parameters(m.variant(lstm)),
                                 m.keys) for m in self.mistakes]
        mistakes, self.mistakes = self.mistakes, as_parameters
        try:
            return super()._matching_mistake(case, expected, leaves, wrong)
        finally:
            self.mistakes = mistakes

    def _check_structure(self, got, lstm) -> None:
        L, D, J = lstm.num_layers, lstm.input_size, lstm.hidden_size
        dtype = lstm.weight_ih_l0.dtype
        if isinstance(got, nn.LSTM):
            raise CheckFailed("That is a torch.nn.LSTM. Return the course's cells: a list of "
                              f"L = {L} `LSTMCell`s (from `utils.cells`), one per layer, holding "
                              "the module's weights.")
        if isinstance(got, cells.RecurrentCell):
            raise CheckFailed(f"That is one cell. The LSTM has L = {L} layers: return a list of "
                              f"{L} cells, one per layer, `cells[l]` with the weights of layer l.")
        if not isinstance(got, (list, tuple, nn.ModuleList)):
            raise CheckFailed(f"`{self.name}` returned {_describe(got)}; expected a list of "
                              f"L = {L} `LSTMCell`s, one per layer.")
        if len(got) != L:
            raise CheckFailed(f"`{self.name}` returned {len(got)} cell(s); the LSTM has L = {L} "
                              f"layers (`lstm.num_layers`): one cell per layer.")
        for l, cell in enumerate(got):
            if not isinstance(cell, cells.LSTMCell):
                raise CheckFailed(f"`cells[{l}]` is {_describe(cell)}; expected a course "
                                  "`LSTMCell` (`utils.cells.LSTMCell`).")
        for i in range(L):
            for j in range(i + 1, L):
                if got[i] is got[j]:
                    raise CheckFailed(
                        f"`cells[{i}]` and `cells[{j}]` are the same object, so those layers "
                        "share one cell, one set of weights (the last weights copied into it "
                        "win). Each layer needs its own cell: create a new `LSTMCell` inside "
                        "the loop (`[cell] * L` repeats one cell L times).")
        for l, cell in enumerate(got):
            wanted = D if l == 0 else J
            if cell.hidden_size != J:
                raise CheckFailed(f"`cells[{l}]` has hidden_size {cell.hidden_size}; every layer "
                                  f"of the LSTM has J = {J} (`lstm.hidden_size`).")
            if cell.input_size != wanted:
                why = ("the first layer reads the input x, D = `lstm.input_size` features" if l == 0
                       else f"`cells[{l}]` reads the J outputs of the layer below, so its input_size is "
                       "J = `lstm.hidden_size`")
                raise CheckFailed(f"`cells[{l}]` has input_size {cell.input_size}; expected "
                                  f"{wanted}: {why}.")
            for name in ("U", "W", "b"):
                p = getattr(cell, name)
                if isinstance(p, torch.Tensor) and p.dtype != dtype:
                    raise CheckFailed(
                        f"`cells[{l}].{name}` is {p.dtype}; the LSTM's weights are {dtype}. A new "
                        "`LSTMCell` is float32: convert it to the module's dtype, "
                        "`LSTMCell(...).to(lstm.weight_ih_l0.dtype)` (or `.double()`), before "
                        "copying, or the copy rounds the weights.")


def _cells_shape_hint(name, got, expected, sizes) -> str:
    if len(got) == 2 and got == expected[::-1]:
        return "It is transposed: copy the torch weight as it is, (4J, inputs); no `.T`."
    if name.endswith(".U") and got != expected:
        return ("U is `weight_ih_l{l}` of the same layer: (4J, D) for `cells[0]`, (4J, J) above. "
                + SIZE_HINT.split(". ", 1)[1])
    if name.endswith(".b") and len(got) == 1 and got[0] == 8 * sizes["J"]:
        return ("b holds 4J numbers: the SUM `bias_ih_l{l} + bias_hh_l{l}`, not the two side by "
                "side.")
    return ""


def _explain_cells(case: Case, leaves) -> str:
    """Which parameters of which cell are right; a reordering of the gate blocks."""
    compared = same_shape_parts(leaves)
    if not compared:
        return ""
    right, wrong, reordered = [], [], []
    for name, got, expected in compared:
        (right if values_match(got, expected) else wrong).append(f"`{name}`")
        blocks_got, blocks_expected = got.chunk(4), expected.chunk(4)
        if not values_match(got, expected) and all(
                any(values_match(g, e) for e in blocks_expected) for g in blocks_got):
            reordered.append(f"`{name}`")
    text = f"Wrong: {', '.join(wrong)}." + (f" Right: {', '.join(right)}." if right else "")
    if reordered:
        text += (" The gate blocks of " + ", ".join(reordered) + " are right but in another "
                 "order: the course's LSTMCell stacks them in PyTorch's order (i, f, g, o), so "
                 "copy the matrices as they are.")
    return text


check_lstm_cells_from_torch = CellsCheck(
    "lstm_cells_from_torch", reference_lstm_cells_from_torch, _lstm_cases,
    explain=_explain_cells,
    hints=[
        (r"size of tensor|must match the size|shape mismatch|size mismatch|doesn't match the "
         r"broadcast shape", SIZE_HINT),
        (r"leaf Variable that requires grad|in-place operation",
         "Autograd forbids writing into a parameter in place while it records gradients: do "
         "the copies inside `with torch.no_grad():`."),
        (r"has no attribute '(weight|bias)_(ih|hh)_l\d+'",
         "nn.LSTM names its parameters `weight_ih_l0` ... `weight_ih_l{L-1}` (and `weight_hh`, "
         "`bias_ih`, `bias_hh` likewise): the layers are numbered 0 .. L-1. Read one with "
         "`getattr(lstm, f'weight_ih_l{l}')`."),
        (r"has no attribute '(weight|bias)_(ih|hh)'",
         "nn.LSTM's parameter names end in the layer index: `weight_ih_l0`, `bias_hh_l1`, ..."),
        (r"cannot assign|can't assign",
         "Copy into the cell's parameters in place: `cell.U.copy_(...)` inside "
         "`with torch.no_grad():`."),
    ],
    mistakes=[
        Mistake("`b` is `bias_ih` alone. nn.LSTM has TWO bias vectors per layer, `bias_ih_l{l}` "
                "and `bias_hh_l{l}`, and adds both; the course cell has one, their sum: "
                "`b = bias_ih_l{l} + bias_hh_l{l}`.",
                lambda lstm: _wrong_cells(lstm, bias="ih")),
        Mistake("`b` is `bias_hh` alone. nn.LSTM has TWO bias vectors per layer, `bias_ih_l{l}` "
                "and `bias_hh_l{l}`, and adds both; the course cell has one, their sum: "
                "`b = bias_ih_l{l} + bias_hh_l{l}`.",
                lambda lstm: _wrong_cells(lstm, bias="hh")),
        Mistake("`b` is zero. nn.LSTM's bias is the sum `bias_ih_l{l} + bias_hh_l{l}`: copy it "
                "into `b`.", lambda lstm: _wrong_cells(lstm, bias="none")),
        Mistake("U and W are swapped. U multiplies the input, so it is `weight_ih` (input to "
                "hidden); W multiplies the previous state, so it is `weight_hh` (hidden to "
                "hidden).", lambda lstm: _wrong_cells(lstm, U="hh")),
        Mistake("every cell got the first layer's weights (`_l0`). `cells[l]` takes the weights "
                "whose names end in `_l{l}`: `getattr(lstm, f'weight_ih_l{l}')`.",
                lambda lstm: _wrong_cells(lstm, layer_of=lambda l: 0)),
        Mistake("the layers are in reverse order: `cells[0]` must hold the first layer's weights (`_l0`), "
                "the bottom layer, which reads the input; `cells[L-1]` the top layer's.",
                lambda lstm: _wrong_cells(lstm, layer_of=lambda l: lstm.num_layers - 1 - l)),
        Mistake("the gate blocks were reordered (to f, i, o, g). The course's LSTMCell stacks "
                "its blocks in PyTorch's order (i, f, g, o): copy the matrices as they are.",
                lambda lstm: _wrong_cells(lstm, blocks=(1, 0, 3, 2))),
    ],
)


# --- Exercise 3: the price of depth ------------------------------------------------------------
COUNT_SPECS = (  # kind, D, J, L, bidirectional, label
    ("lstm", 10, 24, 3, False, "an LSTM, 3 layers, D != J"),
    ("gru", 7, 16, 2, False, "a GRU, 2 layers"),
    ("rnn", 5, 12, 4, False, "a vanilla RNN, 4 layers"),
    ("lstm", 3, 8, 1, False, "one layer"),
    ("gru", 6, 10, 3, True, "a bidirectional GRU, 3 layers"),
    ("lstm", 20, 16, 2, True, "a bidirectional LSTM, 2 layers"),
)


def _count_cases(rng) -> list[Case]:
    return [Case({"kind": kind, "D": D, "J": J, "L": L, "bidirectional": bi},
                 {"D": D, "J": J, "L": L}, label)
            for kind, D, J, L, bi, label in COUNT_SPECS]


def reference_stack_parameter_count(kind, D, J, L, bidirectional=False):
    """count_parameters of torch.nn.RNN/GRU/LSTM(D, J, num_layers=L, bidirectional=...)."""
    with torch.random.fork_rng(devices=[]):
        module = cells.CELLS[kind].torch_class(D, J, num_layers=L, bidirectional=bidirectional)
    return count_parameters(module)


def _count(kind, D, J, L, bidirectional=False, *, blocks=None, biases=2, recurrent=True,
           w_cols="J", inputs="right", doubled=True, above="right", layers=None):
    """The count with one typical mistake switched on (the defaults count right)."""
    G = gate_blocks(kind) if blocks is None else blocks(gate_blocks(kind))
    dirs = 2 if bidirectional else 1
    total = 0
    for l in range(L if layers is None else layers):
        if inputs == "D":
            n_in = D
        elif inputs == "J":
            n_in = J if l == 0 else dirs * J
        else:
            n_in = D if l == 0 else (J if above == "J" else dirs * J)
        per_direction = G * J * n_in + (G * J * (J if w_cols == "J" else D) if recurrent else 0) \
            + biases * G * J
        total += per_direction * (dirs if doubled else 1)
    return total


def _count_mistake(**switches):
    return lambda kind, D, J, L, bidirectional=False: _count(kind, D, J, L, bidirectional,
                                                             **switches)


check_stack_parameter_count = ForkRngCheck(
    "stack_parameter_count", reference_stack_parameter_count, _count_cases,
    output_names="count",
    hints=[(r"KeyError", "`kind` is one of \"rnn\", \"gru\" and \"lstm\".")],
    mistakes=[
        Mistake("one bias per block. PyTorch keeps TWO bias vectors per layer and direction, "
                "`bias_ih` and `bias_hh`, G·J numbers each, and counts both (the course's cells "
                "add them into one b).", _count_mistake(biases=1)),
        Mistake("the biases are missing: each layer and direction has `bias_ih` and `bias_hh`, "
                "G·J numbers each.", _count_mistake(biases=0)),
        Mistake("every layer reads D inputs. Only the first layer reads x; each layer above reads "
                "the output of the layer below: J numbers (2J when bidirectional).",
                _count_mistake(inputs="D")),
        Mistake("the first layer was counted with J inputs. It reads x: its U is G·J × D; only the "
                "layers above read J (2J when bidirectional).", _count_mistake(inputs="J")),
        Mistake("one block of weights per layer. Each gate and the candidate has its own U, W "
                "and b: 1 block for the vanilla RNN, 3 for the GRU (r, z, n), 4 for the LSTM "
                "(i, f, g, o).", _count_mistake(blocks=lambda g: 1)),
        Mistake("one block too few. The candidate has its own weights, like a gate: 4 blocks "
                "for the LSTM (i, f, g, o), 3 for the GRU (r, z, n).",
                _count_mistake(blocks=lambda g: g - 1 if g > 1 else g)),
        Mistake("the recurrent weights W (`weight_hh`, G·J × J per layer and direction) are "
                "missing.", _count_mistake(recurrent=False)),
        Mistake("W was counted as G·J × D. It multiplies the previous state, J numbers: "
                "G·J × J.", _count_mistake(w_cols="D")),
        Mistake("only one layer was counted. Each of the L layers has its own weights.",
                _count_mistake(layers=1)),
        Mistake("a bidirectional stack was counted with one direction. Each direction of each "
                "layer has its own weights: twice the count of one direction.",
                _count_mistake(doubled=False)),
        Mistake("in a bidirectional stack, the layers above the first read J inputs. They read "
                "the output of the layer below, both directions side by side, "
                "[forward h; backward h]: 2J numbers.", _count_mistake(above="J")),
    ],
)

CHECKS = {check.name: check for check in (
    check_stacked_forward, check_lstm_cells_from_torch, check_stack_parameter_count)}
