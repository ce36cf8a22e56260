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
import re

import numpy as np
import torch
from torch import nn

from .. import cells, recurrent
from ..models import count_parameters
from .core import (Case, CheckFailed, HintedCheck, Mistake, call_learner, check_finite,
                   collect_leaves, gate_blocks, is_unchanged_stub, random_cell, random_inputs,
                   random_state, random_torch_module, renamed_pair, same_shape_parts,
                   values_match)
from .edges import with_edges


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
    """The answer is a list of cells: checked as a structure, then parameter by parameter
    (``parameters`` names them; ``cells_shape_hint`` explains a parameter of a wrong shape)."""

    parameters = staticmethod(cell_parameters)

    def _run_one(self, fn, case: Case) -> None:
        lstm = case.args["lstm"]
        expected = self.parameters(self.reference(copy.deepcopy(lstm)))
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
        leaves = collect_leaves(self.parameters(got), expected, self.name, case.sizes,
                                shape_hint=self.cells_shape_hint)
        check_finite(leaves)
        wrong = [leaf for leaf in leaves
                 if not values_match(leaf.got, leaf.expected, self.rtol, self.atol)]
        if wrong:
            raise CheckFailed(self._explain_values(case, expected, leaves, wrong))

    def _matching_mistake(self, case: Case, expected, leaves, wrong):
        """As Check's, with each mistake's cells turned into their parameters."""
        as_parameters = [Mistake(m.description, lambda lstm, m=m: self.parameters(m.variant(lstm)),
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
            above = (f"`cells[{l}]` reads the J outputs of the layer below, so its input_size is "
                     "J = `lstm.hidden_size`")
            _examine_cell(cell, f"`cells[{l}]`", D if l == 0 else J, J, dtype,
                          "every layer of the LSTM has", None if l == 0 else above)


def _examine_cell(cell, where: str, inputs: int, J: int, dtype, layers: str, above) -> None:
    """A converted cell's sizes and dtype: hidden_size J, input_size `inputs` (D in the first
    layer; `above` says why a higher layer reads what it reads), the module's dtype."""
    if cell.hidden_size != J:
        raise CheckFailed(f"{where} has hidden_size {cell.hidden_size}; {layers} J = {J} "
                          "(`lstm.hidden_size`).")
    if cell.input_size != inputs:
        why = above or "the first layer reads the input x, D = `lstm.input_size` features"
        raise CheckFailed(f"{where} has input_size {cell.input_size}; expected {inputs}: {why}.")
    for name in ("U", "W", "b"):
        p = getattr(cell, name)
        if isinstance(p, torch.Tensor) and p.dtype != dtype:
            raise CheckFailed(
                f"{where}.{name} is {p.dtype}; the LSTM's weights are {dtype}. A new "
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


CellsCheck.cells_shape_hint = staticmethod(_cells_shape_hint)


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


# --- Exercise 4: a stacked bidirectional nn.LSTM in course cells -------------------------------
BI_LSTM_SPECS = (  # D, J, L, label
    (6, 3, 2, "2 layers, D = 2J (so weights of a wrong direction or layer still fit)"),
    (3, 5, 3, "3 layers, D != J"),
    (6, 2, 2, "2 layers, J < D"),
    (2, 3, 1, "one layer"),
)


def _bi_lstm_cases(rng) -> list[Case]:
    return [Case({"lstm": random_torch_module("lstm", rng, D, J, L, bidirectional=True)},
                 {"D": D, "J": J, "2J": 2 * J, "L": L, "4J": 4 * J}, label)
            for D, J, L, label in BI_LSTM_SPECS]


def _new_lstm_cells(sizes, J, dtype, device=None) -> list:
    """New LSTMCells of the given input sizes, built without touching the torch generator."""
    with torch.random.fork_rng(devices=[]):
        made = [cells.LSTMCell(n, J) for n in sizes]
    return [cell.to(dtype=dtype, device=device) for cell in made]


def reference_bidirectional_cells_from_torch(lstm):
    """[(forward cell, backward cell)] per layer: load_torch_weights(lstm, l, reverse=...)."""
    p, J = lstm.weight_ih_l0, lstm.hidden_size
    pairs = []
    for l in range(lstm.num_layers):
        n = lstm.input_size if l == 0 else 2 * J
        fwd, bwd = _new_lstm_cells((n, n), J, p.dtype, p.device)
        pairs.append((fwd.load_torch_weights(lstm, layer=l),
                      bwd.load_torch_weights(lstm, layer=l, reverse=True)))
    return pairs


def pair_parameters(layers) -> dict:
    """{"layers[l][0].U": U, ...} of every cell of a list of (forward, backward) pairs."""
    found = {}
    for l, pair in enumerate(layers):
        for k, cell in enumerate(pair):
            for name in ("U", "W", "b"):
                found[f"layers[{l}][{k}].{name}"] = getattr(cell, name).detach()
    return found


def _wrong_pairs(lstm, direction_of=None, layer_of=None, bias="both", blocks=None):
    """Pairs of cells holding the parameters of one typical mistake (defaults: right).

    direction_of: (l, k) -> the torch direction cell k of layer l takes ("" or "_reverse").
    layer_of: l -> the torch layer. bias: "both", "ih" or "hh". blocks: an order of the gate
    blocks.
    """
    J, p = lstm.hidden_size, lstm.weight_ih_l0
    direction_of = direction_of or (lambda l, k: ("", "_reverse")[k])
    layer_of = layer_of or (lambda l: l)
    pairs = []
    for l in range(lstm.num_layers):
        pair = []
        for k in range(2):
            suffix = f"_l{layer_of(l)}{direction_of(l, k)}"
            w_ih, w_hh, b_ih, b_hh = (getattr(lstm, n + suffix).detach()
                                      for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
            u, w = w_ih, w_hh
            b = {"both": b_ih + b_hh, "ih": b_ih, "hh": b_hh}[bias]
            if blocks is not None:
                u, w, b = (torch.cat([m.chunk(4)[i] for i in blocks]) for m in (u, w, b))
            (cell,) = _new_lstm_cells((u.shape[1],), J, p.dtype, p.device)
            with torch.no_grad():
                cell.U.copy_(u), cell.W.copy_(w), cell.b.copy_(b)
            pair.append(cell)
        pairs.append(tuple(pair))
    return pairs


BI_SIZE_HINT = ("In `nn.LSTM(D, J, num_layers=L, bidirectional=True)` both directions of a layer "
                "have the same shapes: `weight_ih_l0` and `weight_ih_l0_reverse` are (4J, D); "
                "above the first layer every `weight_ih_l{l}` (and `_reverse`) is (4J, 2J), "
                "since the layer reads both directions of the layer below side by side; every "
                "`weight_hh` is (4J, J). So the two cells of the first layer are "
                "`LSTMCell(D, J)`, the cells of every layer above `LSTMCell(2 * J, J)`.")


class PairsCheck(CellsCheck):
    """The answer is a list of (forward cell, backward cell) pairs, one per layer."""

    parameters = staticmethod(pair_parameters)

    def _check_structure(self, got, lstm) -> None:
        L, D, J = lstm.num_layers, lstm.input_size, lstm.hidden_size
        dtype = lstm.weight_ih_l0.dtype
        if isinstance(got, nn.Module) and not isinstance(got, nn.ModuleList):
            raise CheckFailed(f"`{self.name}` returned {_describe(got)}. Return a list of "
                              f"L = {L} pairs `(forward cell, backward cell)` of course "
                              "`LSTMCell`s, one pair per layer.")
        if not isinstance(got, (list, tuple, nn.ModuleList)):
            raise CheckFailed(f"`{self.name}` returned {_describe(got)}; expected a list of "
                              f"L = {L} pairs `(forward cell, backward cell)`, one per layer.")
        if len(got) == 2 * L and all(isinstance(c, cells.RecurrentCell) for c in got):
            raise CheckFailed(f"`{self.name}` returned a flat list of {2 * L} cells. Group them "
                              f"by layer: a list of L = {L} pairs, `layers[l] = (forward cell, "
                              "backward cell)`, so that `fwd, bwd = layers[l]` works.")
        if len(got) != L:
            raise CheckFailed(f"`{self.name}` returned {len(got)} item(s); the LSTM has L = {L} "
                              "layers (`lstm.num_layers`): one pair (forward cell, backward "
                              "cell) per layer.")
        for l, pair in enumerate(got):
            if isinstance(pair, cells.RecurrentCell):
                raise CheckFailed(f"`layers[{l}]` is one cell. Each layer of a bidirectional LSTM "
                                  "has TWO directions with their own weights: make "
                                  "`layers[l]` the pair `(forward cell, backward cell)`.")
            if not isinstance(pair, (list, tuple, nn.ModuleList)) or len(pair) != 2:
                raise CheckFailed(f"`layers[{l}]` is {_describe(pair)}; expected a pair "
                                  "`(forward cell, backward cell)` of course `LSTMCell`s.")
            for k, cell in enumerate(pair):
                if not isinstance(cell, cells.LSTMCell):
                    raise CheckFailed(f"`layers[{l}][{k}]` is {_describe(cell)}; expected a course "
                                      "`LSTMCell` (`utils.cells.LSTMCell`).")
        everything = [cell for pair in got for cell in pair]
        if len({id(c) for c in everything}) != len(everything):
            same_pair = any(pair[0] is pair[1] for pair in got)
            raise CheckFailed(
                ("The forward and the backward cell of a layer are the same object, so the two "
                 "directions share one set of weights (the last copied in wins). Each direction "
                 "has its own weights: create TWO new `LSTMCell`s per layer.") if same_pair else
                ("Two layers hold the same cell object, so they share one set of weights. Create "
                 "new cells inside the loop, two per layer."))
        above = ("every layer above the first reads BOTH directions of the layer below, side "
                 "by side: 2J features (`weight_ih_l{l}` is (4J, 2J))")
        for l, pair in enumerate(got):
            for k, cell in enumerate(pair):
                _examine_cell(cell, f"`layers[{l}][{k}]`", D if l == 0 else 2 * J, J, dtype,
                              "both directions of every layer have", None if l == 0 else above)


def _pairs_shape_hint(name, got, expected, sizes) -> str:
    if len(got) == 2 and got == expected[::-1]:
        return "It is transposed: copy the torch weight as it is, (4J, inputs); no `.T`."
    if name.endswith(".b") and len(got) == 1 and got[0] == 8 * sizes["J"]:
        return ("b holds 4J numbers: the SUM `bias_ih_l{l} + bias_hh_l{l}` (with `_reverse` "
                "for the backward cell), not the two side by side.")
    return BI_SIZE_HINT


PairsCheck.cells_shape_hint = staticmethod(_pairs_shape_hint)


def _explain_pairs(case: Case, leaves) -> str:
    """The blocks reordered, if they are (the core already lists the wrong parameters)."""
    text = _explain_cells(case, leaves)
    return text[text.index(" The gate blocks") + 1:] if " The gate blocks" in text else ""

check_bidirectional_cells_from_torch = PairsCheck(
    "bidirectional_cells_from_torch", reference_bidirectional_cells_from_torch, _bi_lstm_cases,
    explain=_explain_pairs, depends_on=[check_lstm_cells_from_torch],
    hints=[
        (r"size of tensor|must match the size|shape mismatch|size mismatch|doesn't match the "
         r"broadcast shape", BI_SIZE_HINT),
        (r"leaf Variable that requires grad|in-place operation",
         "Autograd forbids writing into a parameter in place while it records gradients: do "
         "the copies inside `with torch.no_grad():`."),
        (r"has no attribute '\w*reverse\w*'",
         "The backward direction's parameters carry `_reverse` AFTER the layer index: "
         "`weight_ih_l0_reverse`, `weight_hh_l0_reverse`, `bias_ih_l0_reverse`, "
         "`bias_hh_l0_reverse`. Read one with `getattr(lstm, f'weight_ih_l{l}_reverse')`."),
        (r"has no attribute '(weight|bias)_(ih|hh)_l\d+'",
         "nn.LSTM names its layers 0 .. L-1: `weight_ih_l0` ... `weight_ih_l{L-1}`, and the "
         "backward direction `weight_ih_l0_reverse` ... Read one with "
         "`getattr(lstm, f'weight_ih_l{l}' + suffix)`."),
        (r"cannot assign|can't assign",
         "Copy into the cell's parameters in place: `cell.U.copy_(...)` inside "
         "`with torch.no_grad():`."),
    ],
    mistakes=[
        Mistake("both cells of a layer hold the FORWARD weights: the backward cell takes the "
                "parameters whose names end in `_reverse` (`weight_ih_l{l}_reverse`, "
                "`weight_hh_l{l}_reverse`, `bias_ih_l{l}_reverse`, `bias_hh_l{l}_reverse`).",
                lambda lstm: _wrong_pairs(lstm, direction_of=lambda l, k: "")),
        Mistake("both cells of a layer hold the `_reverse` weights: only the backward cell takes "
                "them; the forward cell takes the parameters without the suffix "
                "(`weight_ih_l{l}`, ...).",
                lambda lstm: _wrong_pairs(lstm, direction_of=lambda l, k: "_reverse")),
        Mistake("the directions are swapped: the forward cell holds the `_reverse` weights and "
                "the backward cell the forward ones. `layers[l][0]`, the forward cell, takes "
                "`weight_ih_l{l}`, ...; `layers[l][1]`, the backward cell, takes "
                "`weight_ih_l{l}_reverse`, ...",
                lambda lstm: _wrong_pairs(lstm, direction_of=lambda l, k: ("_reverse", "")[k])),
        Mistake("`b` is `bias_ih` alone: `bias_hh` was forgotten. nn.LSTM adds TWO bias vectors "
                "in each direction of each layer; the course cell holds their sum: "
                "`b = bias_ih_l{l} + bias_hh_l{l}` (with `_reverse` on both for the backward cell).",
                lambda lstm: _wrong_pairs(lstm, bias="ih")),
        Mistake("`b` is `bias_hh` alone: `bias_ih` was forgotten. nn.LSTM adds TWO bias vectors "
                "in each direction of each layer; the course cell holds their sum: "
                "`b = bias_ih_l{l} + bias_hh_l{l}` (with `_reverse` on both for the backward cell).",
                lambda lstm: _wrong_pairs(lstm, bias="hh")),
        Mistake("the gate blocks were reordered (to f, i, o, g). The course's LSTMCell stacks "
                "its blocks in PyTorch's order (i, f, g, o): copy the matrices as they are.",
                lambda lstm: _wrong_pairs(lstm, blocks=(1, 0, 3, 2))),
        Mistake("every layer got the first layer's weights (`_l0`). `layers[l]` takes the "
                "weights whose names end in `_l{l}` (and `_l{l}_reverse`).",
                lambda lstm: _wrong_pairs(lstm, layer_of=lambda l: 0)),
        Mistake("the layers are in reverse order: `layers[0]` must hold the first layer's "
                "weights (`_l0`), the bottom layer, which reads the input.",
                lambda lstm: _wrong_pairs(lstm, layer_of=lambda l: lstm.num_layers - 1 - l)),
    ],
)


# --- Exercise 5: running the bidirectional stack ------------------------------------------------
BI_STACK_SPECS = (  # B, T, D, J, L, label
    (2, 5, 4, 4, 1, "one bidirectional layer, D = J"),
    (3, 4, 3, 4, 2, "2 layers, D != J"),
    (2, 6, 5, 3, 3, "3 layers, J < D"),
    (1, 5, 2, 3, 2, "a batch of one (B = 1)"),
    (2, 1, 3, 2, 2, "one step (T = 1)"),
)


def _bi_stack_cases(rng) -> list[Case]:
    cases = []
    for B, T, D, J, L, label in BI_STACK_SPECS:
        layers = [tuple(random_cell("lstm", D if l == 0 else 2 * J, J, rng) for _ in range(2))
                  for l in range(L)]
        cases.append(Case({"layers": layers, "xs": random_inputs(rng, B, T, D),
                           "states": random_state("lstm", (2 * L, B, J), rng)},
                          {"B": B, "T": T, "D": D, "J": J, "2J": 2 * J, "L": L, "2L": 2 * L},
                          label))
    return cases


def reference_bidirectional_stack_forward(layers, xs, states):
    """utils.recurrent.RecurrentNet(bidirectional=True) holding these cells."""
    J = layers[0][0].hidden_size
    with torch.random.fork_rng(devices=[]):
        net = recurrent.RecurrentNet("lstm", layers[0][0].input_size, J, len(layers),
                                     bidirectional=True)
    for layer, (fwd, bwd) in zip(net.layers, layers):
        layer.forward_pass.cell, layer.backward_pass.cell = fwd, bwd   # the given cells
    return net(xs, states)


def _bi_stack(layers, xs, states, *, unflipped=False, no_reverse=False, halves="fb",
              backward_reads="input", state_rows="layer", final_rows="layer",
              backward_final="state", swap_cells=False, time_axis=1, zeros=False):
    """A bidirectional stack with one typical mistake switched on (defaults: right).

    unflipped: the backward outputs stay in reversed time order. no_reverse: the backward cell
    runs left to right. halves: "fb" ([fwd; bwd], right) or "bf". backward_reads: "input"
    (right) or "forward" (the forward direction's outputs of the same layer). state_rows /
    final_rows: "layer" (row 2l forward, 2l+1 backward, right) or "direction" (all forward
    rows first). backward_final: "state" (right) or "last step" (h at output[:, -1]).
    swap_cells: the pair read as (backward, forward). time_axis: the axis flipped (1 is
    time, right; 0 is the batch). zeros: every cell starts from zeros, not from `states`.
    """
    L = len(layers)
    h_0, c_0 = (torch.zeros_like(s) for s in states) if zeros else states
    rows = (lambda l: (2 * l, 2 * l + 1)) if state_rows == "layer" else (lambda l: (l, L + l))
    inputs, finals = xs, []
    for l, pair in enumerate(layers):
        fwd, bwd = pair[::-1] if swap_cells else pair
        f_row, b_row = rows(l)
        out_f, final_f = _run(fwd, inputs, (h_0[f_row], c_0[f_row]))
        read = out_f if backward_reads == "forward" else inputs
        out_b, final_b = _run(bwd, read if no_reverse else read.flip(time_axis),
                              (h_0[b_row], c_0[b_row]))
        if not (unflipped or no_reverse):
            out_b = out_b.flip(time_axis)                     # back to time order
        if backward_final == "last step":
            final_b = (out_b[:, -1], final_b[1])
        inputs = torch.cat([out_f, out_b] if halves == "fb" else [out_b, out_f], dim=-1)
        finals.append((final_f, final_b))
    order = ([s for pair in finals for s in pair] if final_rows == "layer"
             else [f for f, _ in finals] + [b for _, b in finals])
    return inputs, (torch.stack([h for h, _ in order]), torch.stack([c for _, c in order]))


def _bi_mistake(**switches):
    return lambda layers, xs, states: _bi_stack(layers, xs, states, **switches)


BI_STACK_MISTAKES = [
    Mistake("the backward direction's outputs were not flipped back to time order. Run the "
            "backward cell on `xs.flip(1)`, then flip its outputs back, `out_b.flip(1)`, so that "
            "`out_b[:, t]` is its state after reading x_T ... x_t and sits next to the forward "
            "state at the same step t.", _bi_mistake(unflipped=True)),
    Mistake("the backward cell ran left to right, like the forward one. The backward direction "
            "reads the sequence from the END: run it on `inputs.flip(1)` and flip its outputs "
            "back to time order.", _bi_mistake(no_reverse=True)),
    Mistake("the sequences were flipped along axis 0, the batch: `xs` is (B, T, D), so time is "
            "axis 1. Reverse the steps with `inputs.flip(1)` (and flip the backward outputs back "
            "with `.flip(1)`).", _bi_mistake(time_axis=0)),
    Mistake("the cells start from zeros, not from the initial states they were given: layer l's "
            "forward cell starts from `(h_0[2 * l], c_0[2 * l])`, its backward cell from row "
            "`2 * l + 1`. The check gives non-zero ones.", _bi_mistake(zeros=True)),
    Mistake("the halves are concatenated in the wrong order. PyTorch's order, and the course's, "
            "is forward first: `torch.cat([out_f, out_b], dim=-1)`, so `output[..., :J]` is the "
            "forward direction and `output[..., J:]` the backward one.",
            _bi_mistake(halves="bf")),
    Mistake("the backward cell read the forward direction's outputs of the same layer. Both "
            "directions of a layer read the SAME input sequence (`xs` for the first layer, the "
            "2J-wide output of the layer below above it); the two only meet in the "
            "concatenation that the next layer reads.", _bi_mistake(backward_reads="forward")),
    Mistake("the initial states were read direction by direction (`h_0[l]` forward, "
            "`h_0[L + l]` backward). PyTorch's rows go layer by layer, forward first: layer l's "
            "forward cell starts from row `2 * l` of `h_0` and `c_0`, its backward cell from "
            "row `2 * l + 1`.", _bi_mistake(state_rows="direction")),
    Mistake("`h_n` and `c_n` are in direction-major order (every forward state, then every "
            "backward state). PyTorch's rows go layer by layer, forward first: row `2 * l` is "
            "layer l's forward final state, row `2 * l + 1` its backward one.",
            _bi_mistake(final_rows="direction"), keys=FINAL_KEYS),
    Mistake("the backward direction's final `h` was taken at the last time step "
            "(`output[:, -1, J:]`). The backward direction reads x_T first and x_1 LAST: its final "
            "state is its state after x_1, which sits at `output[:, 0, J:]` (the final state "
            "`run_layer` returns for it).", _bi_mistake(backward_final="last step"),
            keys=FINAL_KEYS),
    Mistake("the cells of a pair were used the wrong way round. `layers[l]` is the pair "
            "`(forward cell, backward cell)`: `fwd, bwd = layers[l]`.",
            _bi_mistake(swap_cells=True)),
]


def _bi_stack_shape_hint(name, got, expected, sizes) -> str:
    B, T, J, L = sizes["B"], sizes["T"], sizes["J"], sizes["L"]
    if name == "output":
        if got == (B, T, J):
            return ("That is one direction: `output` holds both directions side by side at every "
                    "step, `torch.cat([out_f, out_b], dim=-1)`, (B, T, 2J).")
        if got == (B, 2 * T, J):
            return "Concatenate the two directions along the LAST axis (`dim=-1`), not along time."
        if got == (B, 2 * J):
            return "That is one step: `output` holds the top layer's output at EVERY step."
    elif got == (L, B, J):
        return ("That is one state per layer: a bidirectional stack has 2L final states, both "
                "directions of every layer, (2L, B, J), layer by layer, forward first.")
    elif got == (2, B, J) and L > 1:
        return "That is the top layer only: `h_n` holds the final states of EVERY layer, (2L, B, J)."
    return ""


def _explain_bi_stack(case: Case, leaves) -> str:
    """Which rows of h_n, c_n are right, and whether the forward or backward half of output is."""
    parts = []
    J = case.sizes["J"]
    for name, got, expected in same_shape_parts(leaves):
        if name == "output":
            halves = [f"`output[..., {s}]` ({d}) {'right' if values_match(got[..., sl], expected[..., sl]) else 'wrong'}"
                      for s, d, sl in ((":J", "forward", slice(None, J)),
                                       ("J:", "backward", slice(J, None)))]
            parts.append(", ".join(halves))
            continue
        label = {"final_states": "h_n", "value 1": "h_n", "value 2": "c_n"}[name]
        rows = [f"{label}[{k}] {'right' if values_match(got[k], expected[k]) else 'wrong'}"
                for k in range(len(expected))]
        parts.append(", ".join(rows))
    return ("By part: " + "; ".join(parts) + ".") if parts else ""


BI_STATE_HINT = ("`states` is the pair `(h_0, c_0)`, each (2L, B, J): layer l's forward cell "
                 "starts from `(h_0[2 * l], c_0[2 * l])`, its backward cell from "
                 "`(h_0[2 * l + 1], c_0[2 * l + 1])`. Return `(output, (h_n, c_n))`, with the "
                 "final h's stacked into h_n and the c's into c_n, in the same row order.")


def _size_error_hint(message: str, sizes: dict) -> str:
    """Words for a cell that was given an input of the wrong width, from the widths."""
    found = re.search(r"x_t must have shape \(\*, (\d+)\), got \(\d+, (\d+)\)", message)
    if not found:
        return ""
    wanted, given = int(found.group(1)), int(found.group(2))
    D, J = sizes["D"], sizes["J"]
    if wanted == 2 * J and given == J:
        return ("A cell above the first layer was given J numbers per step. It reads 2J: BOTH "
                "directions of the layer below side by side, `torch.cat([out_f, out_b], dim=-1)` "
                "(not the forward half alone, nor one direction's outputs), and both of its "
                "cells read that same 2J-wide sequence.")
    if wanted == 2 * J and given == D:
        return ("A cell above the first layer was given `xs` (D numbers per step). Only the first "
                "layer reads `xs`; every layer above reads the 2J-wide output of the layer below, "
                "`torch.cat([out_f, out_b], dim=-1)`.")
    if wanted == D and given == J:
        return ("The backward cell of the first layer was given the forward direction's outputs "
                "(J numbers per step). Both directions of a layer read the same input: `xs` for "
                "the first layer.")
    if wanted == D and given == 2 * J:
        return ("A cell of the first layer was given a 2J-wide sequence: the first layer reads "
                "`xs`; only the layers above read the concatenation of both directions.")
    return ""


RUN_LAYER_SPECS = (("rnn", 2, 3, 3, 4), ("lstm", 3, 4, 2, 3))   # kind, B, T, D, J


def _run_layer_cases(rng) -> list[Case]:
    return [Case({"cell": random_cell(kind, D, J, rng), "xs": random_inputs(rng, B, T, D),
                  "state": random_state(kind, (B, J), rng)},
                 {"B": B, "T": T, "D": D, "J": J}, f"{kind} cell") for kind, B, T, D, J in RUN_LAYER_SPECS]


check_run_layer = ForkRngCheck("run_layer", _run, _run_layer_cases,
                               output_names=("outputs", "final state"))
"""The notebook's given ``run_layer``: a dependency of Exercise 5, checked when a learner's stack
calls it and fails (a `run_layer` edited or redefined in the notebook is then named)."""


class BiStackCheck(ForkRngCheck):
    """Exercise 5's check: a size error raised inside the learner's code is explained from the
    widths the cell wanted and was given (which half, which layer)."""

    def _run_case(self, fn, case: Case) -> None:
        try:
            super()._run_case(fn, case)
        except CheckFailed as failure:
            extra = _size_error_hint(failure.message, case.sizes) if failure.attempted else ""
            if extra and extra not in failure.message:
                failure.message += "\n" + extra
            raise

    def _explain(self, message: str, fn) -> str:
        if re.search(r"x_t must have shape \(\*, \d+\), got", message):
            return message       # _run_case adds the words, from the case's sizes
        return super()._explain(message, fn)


check_bidirectional_stack_forward = BiStackCheck(
    "bidirectional_stack_forward", reference_bidirectional_stack_forward, _bi_stack_cases,
    output_names=("output", "final_states"),
    shape_hint=_bi_stack_shape_hint,
    explain=_explain_bi_stack,
    depends_on=[check_run_layer, check_stacked_forward],
    shape_tip="`xs` is (B, T, D); each direction's outputs are (B, T, J), a layer's (B, T, 2J).",
    hints=[
        (r"h_prev must have shape|c_prev must have shape",
         "A cell's state is (B, J): one row of the (2L, B, J) tensors, "
         "`(h_0[2 * l], c_0[2 * l])` for layer l's forward cell and "
         "`(h_0[2 * l + 1], c_0[2 * l + 1])` for its backward cell."),
        (r"tuple|pair|got list|not iterable|unpack", BI_STATE_HINT),
        (r"index \d+ is out of bounds|list index out of range",
         "There are L = `len(layers)` layers and 2L rows in `h_0`: rows `2 * l` and "
         "`2 * l + 1` belong to layer l."),
    ],
    structure_hints=[
        (r"`final_states` returned a torch.Tensor|`final_states` is a torch.Tensor", BI_STATE_HINT),
        (r"`final_states` is a (list|tuple)",
         "Stack the final h's into h_n and the c's into c_n: each a tensor (2L, B, J)."),
        (r"`(value 1|value 2)` is a (list|tuple)",
         "Stack the h's of the final states into h_n, and the c's into c_n: each is a tensor "
         "(2L, B, J)."),
    ],
    renames=renamed_pair("`h_n` (final_states[0])", "`c_n` (final_states[1])", "h_n, c_n"),
    mistakes=BI_STACK_MISTAKES,
)


CHECKS = {check.name: with_edges(check) for check in (
    check_stacked_forward, check_lstm_cells_from_torch, check_stack_parameter_count,
    check_bidirectional_cells_from_torch, check_bidirectional_stack_forward)}
