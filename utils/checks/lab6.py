"""Checks for Lab 6, "Look both ways".

    from utils.checks.lab6 import check_bidirectional
    check_bidirectional(bidirectional)        # -> a green, grey or red box

Five exercises. Three return tensors and are compared with a reference computed at check
time, on the course's cells with float64 weights drawn for the check (RNN, GRU and LSTM cells,
non-square sizes, batches whose sequences differ, T = 1):

* ``run_backward(cell, xs, state)``: one cell run right to left from a given (non-zero) state,
  its outputs stored in input order, against ``utils.recurrent.Unrolled(cell, reverse=True)``.
* ``bidirectional(forward_cell, backward_cell, xs)``: both directions from zero states, in
  PyTorch's layout (output (B, T, 2J) forward half first; h_n (2, B, J)), against
  ``utils.recurrent.Bidirectional``. tests/test_lab6_checks.py checks that this reference
  equals ``torch.nn.RNN/GRU/LSTM(bidirectional=True)`` with the same weights.
* ``sequence_summary(output, lengths)``: one vector per sequence of a right-padded batch,
  [forward h at step lengths - 1 ; backward h at step 0] read off a bidirectional output,
  i.e. ``torch.cat([h_n[0], h_n[1]], -1)`` of a packed batch (cases include the output of a
  packed ``torch.nn.GRU``, unsorted lengths with 1 and T among them, and no padding at all).

Two are judged by what they do (``PropertyCheck``s):

* ``make_tagger(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional)`` builds a
  tagger of padded batches, ``model(ids, lengths) -> (B, T, n_tags)``. The probes count its
  parameters (the counts of typical wrong architectures are named: a head reading J numbers,
  a one-way layer, two layers, sizes swapped), then run it: the scores at every real position
  must equal those of the sequence run alone, with pads of another id and more of them;
  lengths unsorted, as a list or a tensor, all shorter than T; a batch of one; a change at
  the last letter must reach the first position (both ways) or must not (one way); batches
  must not mix. Packing and masking are both accepted.
* ``train_tagger(model, draw_batch, steps, lr)``: a ``TrainingSpy`` counts the batches drawn,
  records every forward (and the model's mode), every backward and every optimizer step, with
  the gradients the optimizer is about to apply next to the gradient of the right loss (the
  mean cross-entropy over the real positions) on the batch just drawn, computed afresh. The
  reported losses are recomputed from the recorded scores, and typical wrong losses are named
  (pads counted, ignore_index=0, a sum, a mean of means, ...); the order zero_grad, backward,
  step is read from the events and the gradients.
"""
from __future__ import annotations

import math
import re

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.optim.optimizer import register_optimizer_step_pre_hook

from .. import recurrent
from .core import (Case, CheckFailed, HintedCheck, Mistake, Probe, PropertyCheck, call_learner,
                   random_cell, random_inputs, random_state, random_torch_module, renamed_pair,
                   returned_losses, same_shape_parts)
from .edges import with_edges


# --- the cells and inputs of the cases -------------------------------------------------------
SPECS = (  # kind, B, T, D, J of the cases of Exercises 1 and 2 (no size is 2: h_n's first axis)
    ("rnn", 3, 6, 7, 4), ("gru", 4, 5, 6, 3), ("lstm", 3, 7, 4, 5), ("rnn", 3, 1, 4, 5))


def _cell_cases(labels, arguments, halves: bool = False):
    """make_cases(rng): ``arguments(rng, kind, B, T, D, J) -> args`` for each of SPECS, with
    its label; halves: name 2J too (the size of a bidirectional output)."""
    def make_cases(rng: np.random.Generator) -> list[Case]:
        return [Case(arguments(rng, kind, B, T, D, J),
                     {"B": B, "T": T, "D": D, "J": J, **({"2J": 2 * J} if halves else {})}, label)
                for (kind, B, T, D, J), label in zip(SPECS, labels, strict=True)]
    return make_cases


# --- Exercise 1: the backward pass -----------------------------------------------------------
def _backward_arguments(rng, kind: str, B: int, T: int, D: int, J: int) -> dict:
    cell = random_cell(kind, D, J, rng)
    return {"cell": cell, "xs": random_inputs(rng, B, T, D),
            "state": random_state(kind, (B, J), rng)}


def reference_run_backward(cell, xs, state):
    """utils.recurrent.Unrolled(cell, reverse=True): right to left, outputs in input order."""
    return recurrent.Unrolled(cell, reverse=True)(xs, state)


def _pass(cell, xs, state, order="backward", store="input", final="last step"):
    """One pass of ``cell`` over ``xs`` with one typical mistake switched on (defaults: right).

    order: "backward" (t = T-1 .. 0) or "forward" (t = 0 .. T-1).
    store: "input" (outputs[:, t] belongs to xs[:, t]), "computed" (in the order computed) or
        "flipped" (in the order computed, then flipped in time).
    final: "last step" (the state after the pass's last step) or "first step".
    """
    T = xs.shape[1]
    steps = list(range(T))[::-1] if order == "backward" else list(range(T))
    computed, states = [], []
    for t in steps:
        state = cell.step(xs[:, t], state)
        computed.append(cell.hidden(state))
        states.append(state)
    if store == "input" and order == "backward":
        outputs = computed[::-1]
    elif store == "flipped":
        outputs = computed[::-1]
    else:
        outputs = computed
    return torch.stack(outputs, dim=1), states[-1] if final == "last step" else states[0]


def _batch_flipped(cell, xs, state):
    """`xs.flip(0)`: the batch reversed instead of time, outputs flipped back the same way."""
    outputs, final = _pass(cell, xs.flip(0), state, order="forward")
    return outputs.flip(0), final


def _from_zeros(cell, xs, state):
    return _pass(cell, xs, cell.init_state(xs.shape[0], xs.device, xs.dtype))


def _backward_shape_hint(name, got, expected, sizes) -> str:
    B, T, J = sizes["B"], sizes["T"], sizes["J"]
    if name == "outputs" and got == (B, T - 1, J):
        return ("One step short: the pass must read every input, down to `xs[:, 0]`. "
                "`range(T - 1, 0, -1)` stops before 0; `reversed(range(T))` or "
                "`range(T - 1, -1, -1)` includes it.")
    if name == "outputs" and got == (T, B, J):
        return "The time axis comes second: stack the T outputs with `torch.stack(..., dim=1)`."
    return ""


STATE_HINT = ("The LSTM's state is the pair (h, c): `cell.hidden(state)` is h, (B, J), for every "
              "kind of cell; keep `state` itself, the pair, for the next step and for the final "
              "state.")

check_run_backward = HintedCheck(
    "run_backward", reference_run_backward, _cell_cases(
        ["an RNN cell, non-square sizes, a non-zero initial state", "a GRU cell",
         "an LSTM cell, whose state is the pair (h, c)", "one step (T=1)"], _backward_arguments),
    output_names=("outputs", "final_state"),
    shape_hint=_backward_shape_hint,
    shape_tip="`xs` is (B, T, D); `xs[:, t]` is step t of every sequence, (B, D).",
    hints=[
        (r"'tuple' object|tuple", STATE_HINT),
        (r"list index out of range|index -?\d+ is out of bounds",
         "The time steps are numbered 0 .. T-1: the backward pass starts at `T - 1`."),
    ],
    structure_hints=[
        (r"`outputs` is a (list|tuple)", "Stack the T states into one tensor: "
                                         "`torch.stack(outputs, dim=1)`, (B, T, J)."),
        (r"`final_state` is a torch.Tensor|`final_state` returned a torch.Tensor",
         "For an LSTM the final state is the pair (h, c), as `cell.step` returns it: return "
         "`state` itself, not `cell.hidden(state)`."),
    ],
    renames=renamed_pair("`final_state[0]` (h)", "`final_state[1]` (c)", "h, c"),
    mistakes=[
        Mistake("the outputs are in the order they were computed, so `outputs[:, 0]` belongs to "
                "the last input. Store the state computed from `xs[:, t]` at position t "
                "(or flip the list back): `outputs[:, t]` must be the backward state at t.",
                lambda cell, xs, state: _pass(cell, xs, state, store="computed"),
                keys=("outputs",)),
        Mistake("the pass reads the input left to right, from `xs[:, 0]` to `xs[:, T-1]`: that "
                "is the forward pass. The backward pass starts at the END, "
                "`for t in reversed(range(T))`.",
                lambda cell, xs, state: _pass(cell, xs, state, order="forward")),
        Mistake("the cell read the input left to right and its outputs were flipped afterwards. "
                "Flipping the outputs doesn't change what each state has read: flip the INPUT "
                "in time (or loop t = T-1 .. 0), run the cell, then put the outputs back in input "
                "order.",
                lambda cell, xs, state: _pass(cell, xs, state, order="forward", store="flipped")),
        Mistake("the pass started from zeros, not from the `state` it was given. Start from "
                "`state`: the check gives a non-zero one.", _from_zeros),
        Mistake("the final state is the one after the pass's FIRST step (it has read only "
                "`xs[:, T-1]`). The backward pass ends after reading `xs[:, 0]`: return the "
                "state after the last step of the loop.",
                lambda cell, xs, state: _pass(cell, xs, state, final="first step"),
                keys=("final_state", "value 1", "value 2")),
        Mistake("the batch axis was flipped, not time: `xs` is (B, T, D), so time is axis 1, "
                "`xs.flip(1)` (and `outputs.flip(1)`), or `xs[:, t]` in a loop.",
                _batch_flipped),
    ],
)


# --- Exercise 2: both directions in PyTorch's layout -----------------------------------------
def _bidirectional_arguments(rng, kind: str, B: int, T: int, D: int, J: int) -> dict:
    forward_cell, backward_cell = random_cell(kind, D, J, rng), random_cell(kind, D, J, rng)
    return {"forward_cell": forward_cell, "backward_cell": backward_cell,
            "xs": random_inputs(rng, B, T, D)}


def reference_bidirectional(forward_cell, backward_cell, xs):
    """utils.recurrent.Bidirectional, with the two final h stacked as PyTorch's h_n."""
    output, (fwd, bwd) = recurrent.Bidirectional(forward_cell, backward_cell)(xs)
    return output, torch.stack([forward_cell.hidden(fwd), backward_cell.hidden(bwd)])


def _both(forward_cell, backward_cell, xs, backward=None, order="fb", h_n="right"):
    """Both directions with one typical mistake switched on (defaults: right).

    backward: keyword arguments of ``_pass`` for the backward direction.
    order: "fb" ([forward, backward]) or "bf".
    h_n: "right", "swapped", "backward at the last step", "forward at the first step".
    """
    B = xs.shape[0]
    zeros = lambda cell: cell.init_state(B, xs.device, xs.dtype)  # noqa: E731
    out_f, fin_f = _pass(forward_cell, xs, zeros(forward_cell), order="forward")
    out_b, fin_b = _pass(backward_cell, xs, zeros(backward_cell), **(backward or {}))
    h_f, h_b = forward_cell.hidden(fin_f), backward_cell.hidden(fin_b)
    output = torch.cat([out_f, out_b] if order == "fb" else [out_b, out_f], dim=-1)
    if h_n == "swapped":
        h_f, h_b = h_b, h_f
    elif h_n == "backward at the last step":
        h_b = out_b[:, -1]
    elif h_n == "forward at the first step":
        h_f = out_f[:, 0]
    return output, torch.stack([h_f, h_b])


def _shared_weights(forward_cell, backward_cell, xs):
    return _both(forward_cell, forward_cell, xs)


def _bidirectional_shape_hint(name, got, expected, sizes) -> str:
    B, T, J = sizes["B"], sizes["T"], sizes["J"]
    if name == "output":
        if got == (B, T, J):
            return ("That is one direction's size (or the two added up). The two directions are "
                    "concatenated along the last axis: `torch.cat([out_f, out_b], dim=-1)`.")
        if got == (B, 2 * T, J):
            return ("The two directions were concatenated along time (axis 1). Concatenate along "
                    "the last axis, the features: `torch.cat([out_f, out_b], dim=-1)`.")
        if got == (2, B, T, J):
            return ("The two directions were stacked on a new axis; PyTorch concatenates them "
                    "along the last one: `torch.cat([out_f, out_b], dim=-1)`.")
    if name == "h_n":
        if got == (B, 2 * J):
            return ("The final states were concatenated; h_n STACKS them on a new first axis, "
                    "(2, B, J): `torch.stack([h_f, h_b])`.")
        if got == (B, 2, J):
            return "The direction axis comes first in h_n: `torch.stack([h_f, h_b], dim=0)`."
        if got == (2, B, T, J):
            return ("h_n holds only the FINAL states, (2, B, J), not every step's: stack the two "
                    "final h's.")
    return ""


def _explain_bidirectional(case: Case, leaves) -> str:
    """Which halves of output and which rows of h_n are right, when no known mistake matched."""
    J = case.sizes["J"]
    parts = []
    for name, got, expected in same_shape_parts(leaves):
        if name == "output":
            halves = {"forward half `output[..., :J]`": (got[..., :J], expected[..., :J]),
                      "backward half `output[..., J:]`": (got[..., J:], expected[..., J:])}
        else:
            halves = {"`h_n[0]` (forward)": (got[0], expected[0]),
                      "`h_n[1]` (backward)": (got[1], expected[1])}
        for label, (g, e) in halves.items():
            ok = torch.allclose(g, e, rtol=1e-6, atol=1e-8)
            parts.append(f"{label} {'right' if ok else 'wrong'}")
    return "By part: " + "; ".join(parts) + "." if parts else ""


check_bidirectional = HintedCheck(
    "bidirectional", reference_bidirectional, _cell_cases(
        ["RNN cells, non-square sizes", "GRU cells",
         "LSTM cells (h_n holds h, the first part of each final state)", "one step (T=1)"],
        _bidirectional_arguments, halves=True),
    output_names=("output", "h_n"),
    depends_on=[check_run_backward],
    shape_hint=_bidirectional_shape_hint,
    explain=_explain_bidirectional,
    shape_tip="`xs` is (B, T, D); each direction's outputs are (B, T, J).",
    hints=[
        (r"'tuple' object|tuple", STATE_HINT + " h_n holds the h of each final state."),
        (r"Tensors must have same number of dimensions|expected a non-empty list",
         "`torch.cat` joins tensors along an existing axis (`dim=-1` for output); "
         "`torch.stack` makes a new one (`dim=0` for h_n)."),
    ],
    structure_hints=[
        (r"`(output|h_n)` is a list", "Join the tensors into one: `torch.cat(..., dim=-1)` for "
                                      "output, `torch.stack(...)` for h_n."),
        (r"`h_n` is a tuple", "h_n holds the h of each direction's final state only: for an "
                              "LSTM, `cell.hidden(state)` (PyTorch returns c_n separately)."),
    ],
    mistakes=[
        Mistake("the backward pass uses the forward cell, so both directions share one set of "
                "weights. Each direction has its own: run the backward pass with "
                "`backward_cell`.", _shared_weights),
        Mistake("the forward pass uses the backward cell, so both directions share one set of "
                "weights. Each direction has its own: run the forward pass with "
                "`forward_cell`.", lambda f, b, xs: _both(b, b, xs)),
        Mistake("the directions are concatenated in the wrong order. PyTorch puts the forward "
                "direction first: `output[..., :J]` forward, `output[..., J:]` backward.",
                lambda f, b, xs: _both(f, b, xs, order="bf"), keys=("output",)),
        Mistake("the backward direction's outputs are in the order computed, not re-reversed: "
                "`output[:, t, J:]` must be the backward state at step t, the one computed from "
                "`xs[:, t]`.",
                lambda f, b, xs: _both(f, b, xs, backward={"store": "computed"}),
                keys=("output",)),
        Mistake("the backward direction read the input left to right, like the forward one. It "
                "must start at the end, `xs[:, T-1]`, and finish with `xs[:, 0]`.",
                lambda f, b, xs: _both(f, b, xs, backward={"order": "forward"})),
        Mistake("the backward cell read the input left to right and its outputs were flipped "
                "afterwards; flipping the outputs doesn't change what each state has read. "
                "Flip the INPUT (or loop from the end), as in your `run_backward`.",
                lambda f, b, xs: _both(f, b, xs, backward={"order": "forward",
                                                           "store": "flipped"})),
        Mistake("the two final states are swapped: `h_n[0]` is the forward direction's, "
                "`h_n[1]` the backward direction's.",
                lambda f, b, xs: _both(f, b, xs, h_n="swapped"), keys=("h_n",)),
        Mistake("`h_n[1]` is the backward state at the last step, `output[:, -1, J:]`, which "
                "has read only `xs[:, T-1]`. The backward pass ENDS at t = 0: its final state "
                "is the one after reading `xs[:, 0]`, equal to `output[:, 0, J:]`.",
                lambda f, b, xs: _both(f, b, xs, h_n="backward at the last step"), keys=("h_n",)),
        Mistake("`h_n[0]` is the forward state at the first step, `output[:, 0, :J]`. The "
                "forward pass ends at t = T-1: its final state equals `output[:, -1, :J]`.",
                lambda f, b, xs: _both(f, b, xs, h_n="forward at the first step"),
                keys=("h_n",)),
    ],
)


# --- Exercise 3: one vector per sequence ----------------------------------------------------
def reference_sequence_summary(output, lengths):
    """[forward h at t = lengths - 1 ; backward h at t = 0], one row per sequence: what
    torch.cat([h_n[0], h_n[1]], -1) holds for a packed, right-padded batch."""
    B, J = output.shape[0], output.shape[-1] // 2
    last = torch.as_tensor(lengths).long() - 1                  # (B,): each one's last real step
    return torch.cat([output[torch.arange(B), last, :J], output[:, 0, J:]], dim=-1)


def _lengths(rng, B: int, T: int, kind: str) -> torch.Tensor:
    """Lengths of a right-padded batch: "mixed" (1 and T among them, not sorted), "full"."""
    if kind == "full":
        return torch.full((B,), T, dtype=torch.int64)
    if B == 1:                                     # one sequence, padded
        return torch.tensor([int(rng.integers(2, T))])
    lengths = rng.integers(1, T + 1, size=B)
    lengths[0], lengths[-1] = 1, T                 # the shortest possible and a full one
    lengths[[0, 1]] = lengths[[1, 0]]              # not sorted
    return torch.from_numpy(lengths).long()


def _torch_output(rng, B: int, T: int, D: int, J: int, lengths: torch.Tensor) -> torch.Tensor:
    """The output of a torch.nn.GRU(bidirectional=True), weights drawn from rng, on a packed
    right-padded batch, padded back to T steps (zeros at the padding)."""
    gru = random_torch_module("gru", rng, D, J, bidirectional=True, bound=0.6)
    with torch.no_grad():
        packed = pack_padded_sequence(random_inputs(rng, B, T, D), lengths, batch_first=True,
                                      enforce_sorted=False)
        return pad_packed_sequence(gru(packed)[0], batch_first=True, total_length=T)[0]


def _random_output(rng, B: int, T: int, J: int, lengths: torch.Tensor) -> torch.Tensor:
    """Random states at the real steps, zeros at the padding (as pad_packed_sequence gives)."""
    output = torch.from_numpy(rng.normal(size=(B, T, 2 * J)))
    real = torch.arange(T)[None, :] < lengths[:, None]          # (B, T)
    return output * real[..., None]


def _summary_cases(rng) -> list[Case]:
    specs = [  # B, T, J, from torch?, lengths, label
        (3, 5, 4, False, "mixed", "a padded batch of random states, non-square sizes"),
        (4, 6, 3, True, "mixed",
         "the output of a torch.nn.GRU(bidirectional=True) on a packed, padded batch"),
        (4, 7, 3, False, "full", "every sequence as long as the batch (no padding)"),
        (5, 1, 3, False, "full", "one step (T=1)"),
        (1, 9, 6, False, "mixed", "one sequence (B=1), padded to T=9"),
    ]
    cases = []
    for B, T, J, from_torch, kind, label in specs:
        lengths = _lengths(rng, B, T, kind)
        output = (_torch_output(rng, B, T, 4, J, lengths) if from_torch
                  else _random_output(rng, B, T, J, lengths))
        cases.append(Case({"output": output, "lengths": lengths},
                          {"B": B, "T": T, "J": J, "2J": 2 * J}, label))
    return cases


def _summary_shape_hint(name, got, expected, sizes) -> str:
    B, T, J = sizes["B"], sizes["T"], sizes["J"]
    if got == (B, J):
        return ("That is one direction's size (or the two added up): the summary holds BOTH "
                "final states side by side, (B, 2J).")
    if got == (B, 4 * J):
        return ("Two whole steps were concatenated. Take only the forward half of each sequence's "
                "last real step and the backward half of the first step, `output[:, 0, J:]`.")
    if B > 1 and len(got) == 3 and got[:2] == (B, B):
        return ("`output[:, lengths - 1]` takes every listed step of EVERY sequence, (B, B, ...). "
                "Pair each row with its own length: `output[torch.arange(B), lengths - 1, :J]`.")
    if got == (B, T, 2 * J) or (len(got) == 3 and got[0] == B):
        return "One vector per sequence: pick steps with an index, don't keep the time axis."
    if got == (T, 2 * J):
        return ("`output[-1]` is the last SEQUENCE of the batch: the batch axis comes first, "
                "time second.")
    if got == (2 * J,) or got == (J,):
        return "Keep the batch axis: one row per sequence, `output[:, ...]`."
    return ""


def _halves(output, lengths, forward_at="last real", backward_at="first", J=None,
            order="fb"):
    """A summary from chosen steps: forward_at/backward_at are "last real" (lengths - 1),
    "last" (T - 1) or "first" (0); J defaults to half the last axis."""
    B = output.shape[0]
    J = output.shape[-1] // 2 if J is None else J
    steps = {"last real": torch.as_tensor(lengths).long() - 1,
             "last": torch.full((B,), output.shape[1] - 1),
             "first": torch.zeros(B, dtype=torch.long)}
    rows = torch.arange(B)
    forward = output[rows, steps[forward_at], :J]
    backward = output[rows, steps[backward_at], J:]
    return torch.cat([forward, backward] if order == "fb" else [backward, forward], dim=-1)


def _mean_over_time(output, lengths):
    return output.mean(dim=1)


check_sequence_summary = HintedCheck(
    "sequence_summary", reference_sequence_summary, _summary_cases,
    output_names="summary",
    shape_hint=_summary_shape_hint,
    shape_tip="`output` is (B, T, 2J): J = output.shape[-1] // 2; `lengths` is (B,).",
    hints=[(r"slice indices must be integers|must be Tensors or|only integers",
            "J must be an integer: `J = output.shape[-1] // 2` (`//`, not `/`)."),
           (r"index -?\d+ is out of bounds|out of range",
            "Steps are numbered 0 .. T-1: a sequence of length n ends at step `n - 1`, "
            "so its forward summary is `output[b, lengths[b] - 1, :J]`."),
           (r"Tensors must have same number of dimensions",
            "`output[:, lengths - 1]` takes the listed steps of EVERY sequence, (B, B, 2J). "
            "Pair each row with its own length: `output[torch.arange(B), lengths - 1, :J]`.")],
    mistakes=[
        Mistake("that is `output[:, -1]`, the last step of both directions. Its backward half "
                "is the backward pass's state after its FIRST step: it has read only the last "
                "input (and for a padded sequence it is padding). The backward pass's summary "
                "of the whole sequence sits at t = 0, `output[:, 0, J:]`.",
                lambda output, lengths: output[:, -1].clone()),
        Mistake("the forward half was read at the last step of the padded batch, "
                "`output[:, -1, :J]`. That is the forward direction's final state only for the "
                "sequences that fill all T steps; for a shorter one it is padding (zeros after "
                "`pad_packed_sequence`). Each sequence's forward pass ends at its own last real "
                "step: `output[torch.arange(B), lengths - 1, :J]`.",
                lambda output, lengths: _halves(output, lengths, forward_at="last")),
        Mistake("both halves were read at each sequence's last real step. The forward half is "
                "right there, but the backward pass STARTS at that step (it has read one input "
                "there); it ends at t = 0: `output[:, 0, J:]`.",
                lambda output, lengths: _halves(output, lengths, backward_at="last real")),
        Mistake("that is `output[:, 0]`, the first step of both directions. Its forward half has "
                "read only the first input; the forward pass's summary sits at each sequence's "
                "last real step, `output[torch.arange(B), lengths - 1, :J]`.",
                lambda output, lengths: output[:, 0].clone()),
        Mistake("the two halves are in the wrong order: forward first, as in h_n and in "
                "`output` itself.",
                lambda output, lengths: _halves(output, lengths, order="bf")),
        Mistake("each step contributes the wrong half: the forward direction is "
                "`output[..., :J]`, the backward one `output[..., J:]`.",
                lambda output, lengths: torch.cat(
                    [output[torch.arange(output.shape[0]), lengths - 1, output.shape[-1] // 2:],
                     output[:, 0, :output.shape[-1] // 2]], dim=-1)),
        Mistake("that is the mean over time. It mixes every step's states (and the padding), "
                "most of which have read only part of the sequence; the summary is each "
                "direction's FINAL state.", _mean_over_time),
        Mistake("that is the maximum over time (max-pooling), a different summary. Here: each "
                "direction's final state.",
                lambda output, lengths: output.max(dim=1).values),
        Mistake("the output was split at the wrong place. J is half of the LAST axis, "
                "`J = output.shape[-1] // 2`, not of the time axis.",
                lambda output, lengths: _halves(output, lengths, J=output.shape[1] // 2)),
    ],
)


# --- Exercise 4: a tagger of padded batches that looks both ways ------------------------------
class ReferenceTagger(nn.Module):
    """Embedding -> nn.GRU over the real steps only (packed) -> Linear, as labs/solutions."""

    def __init__(self, vocab_size, embedding_dim, hidden_size, n_tags, bidirectional=True):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = nn.GRU(embedding_dim, hidden_size, batch_first=True,
                          bidirectional=bidirectional)
        self.head = nn.Linear((2 if bidirectional else 1) * hidden_size, n_tags)

    def forward(self, ids, lengths):
        packed = pack_padded_sequence(self.embedding(ids), torch.as_tensor(lengths).cpu(),
                                      batch_first=True, enforce_sorted=False)
        output, _ = self.rnn(packed)
        output, _ = pad_packed_sequence(output, batch_first=True, total_length=ids.shape[1])
        return self.head(output)


def reference_make_tagger(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional=True):
    """A ``ReferenceTagger``: forward(ids (B, T), lengths (B,)) -> scores (B, T, n_tags)."""
    return ReferenceTagger(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional)


SIZES = dict(vocab_size=13, embedding_dim=5, hidden_size=7, n_tags=3)   # no two alike
GATES = {1: "nn.RNN", 3: "nn.GRU", 4: "nn.LSTM"}


def _core(g: int, D: int, J: int) -> int:
    """Parameters of one direction of one recurrent layer with g gate blocks."""
    return g * (J * D + J * J + 2 * J)


def parameter_counts(V: int, E: int, J: int, K: int, both: bool) -> list[tuple[int, str]]:
    """(count, what) for the right model (what = "") and for typical wrong ones, for each of
    nn.RNN, nn.GRU and nn.LSTM."""
    d = 2 if both else 1
    found = []
    for g in GATES:
        right = V * E + d * _core(g, E, J) + d * J * K + K
        found.append((right, ""))
        if both:
            found += [
                (V * E + 2 * _core(g, E, J) + J * K + K,
                 "the linear layer reads J numbers per position, `nn.Linear(hidden_size, "
                 "n_tags)`, but a bidirectional layer gives 2J, the two directions side by side: "
                 "`nn.Linear(2 * hidden_size, n_tags)`."),
                (V * E + _core(g, E, J) + J * K + K,
                 "the recurrent layer reads one way only: `bidirectional=True` is missing (pass "
                 "the argument on, `bidirectional=bidirectional`), and the linear layer must "
                 "then read 2J numbers."),
                (V * E + _core(g, E, J) + 2 * J * K + K,
                 "the linear layer reads 2J numbers, but the recurrent layer reads one way only "
                 "and gives J: `bidirectional=True` is missing (pass the argument on)."),
                (V * E + 2 * _core(g, E, J) + 2 * _core(g, 2 * J, J) + 2 * J * K + K,
                 "there are two recurrent layers (`num_layers=2`?): the tagger has one."),
                (V * J + 2 * _core(g, J, E) + 2 * E * K + K,
                 "the sizes are mixed up: the embedding has `embedding_dim` numbers per token and "
                 "the recurrent layer `hidden_size` per direction, `nn.Embedding(vocab_size, "
                 "embedding_dim)`, `nn.GRU(embedding_dim, hidden_size, ...)`."),
            ]
        else:
            found += [
                (V * E + 2 * _core(g, E, J) + 2 * J * K + K,
                 "with `bidirectional=False` the model still reads both ways: pass the argument "
                 "on, `nn.GRU(..., bidirectional=bidirectional)`, and size the linear layer by "
                 "it, `2 * hidden_size if bidirectional else hidden_size`."),
                (V * E + 2 * _core(g, E, J) + J * K + K,
                 "with `bidirectional=False` the recurrent layer still reads both ways (its "
                 "`bidirectional` is fixed to True): pass the argument on, `bidirectional="
                 "bidirectional`."),
                (V * E + _core(g, E, J) + 2 * J * K + K,
                 "with `bidirectional=False` the linear layer still reads 2J numbers; one "
                 "direction gives J: `2 * hidden_size if bidirectional else hidden_size`."),
            ]
    return found


def _expected_count_text(V, E, J, K, both) -> str:
    d = 2 if both else 1
    return (f"for the GRU: the embedding {V}·{E} = {V * E}, the recurrent layer "
            f"{d} direction(s) × 3·(J·E + J·J + 2J) = {d * _core(3, E, J)}, the linear layer "
            f"{d}J·K + K = {d * J * K + K}")


def _build(call, both: bool) -> nn.Module:
    V, E, J, K = SIZES.values()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(11)
        model = call(V, E, J, K, both)
    if not isinstance(model, nn.Module):
        raise CheckFailed(f"`make_tagger` returned a {type(model).__name__}; return the model, an "
                          "`nn.Module` (an instance of your class: `return Tagger()`).")
    count = sum(p.numel() for p in model.parameters())
    counts = parameter_counts(V, E, J, K, both)
    if any(count == c and not what for c, what in counts):
        return model.float().eval()
    way = "bidirectional=True" if both else "bidirectional=False"
    for c, what in counts:
        if count == c:
            raise CheckFailed(f"With vocab_size={V}, embedding_dim={E}, hidden_size={J}, "
                              f"n_tags={K} and {way} your model has {count} parameters: " + what)
    raise CheckFailed(f"With vocab_size={V}, embedding_dim={E}, hidden_size={J}, n_tags={K} and "
                      f"{way} your model has {count} parameters; an embedding, one recurrent "
                      f"layer and a linear layer of these sizes have "
                      f"{_expected_count_text(V, E, J, K, both)} "
                      f"(nn.RNN and nn.LSTM: 1 and 4 instead of 3).")


TAGGER_HINTS = [
    (r"must be sorted in decreasing order",
     "`pack_padded_sequence` wants the lengths sorted, longest first, unless it is told "
     "`enforce_sorted=False`; a batch of names comes in any order: pass "
     "`enforce_sorted=False`."),
    (r"mat1 and mat2 shapes cannot be multiplied",
     "The linear layer reads what the recurrent layer gives at each position, its `output` "
     "(not `h_n`, the final states): 2 · hidden_size numbers for a bidirectional layer (both "
     "directions side by side), hidden_size for one direction. Size it by that."),
    (r"'list' object has no attribute",
     "`lengths` may come as a list of integers: turn it into a tensor first, "
     "`torch.as_tensor(lengths)`."),
    (r"1D CPU int64 tensor|lengths.* must be|should be a 1D",
     "`pack_padded_sequence` wants the lengths as a 1-D int64 tensor on the CPU: "
     "`torch.as_tensor(lengths).cpu()`."),
    (r"missing 1 required positional argument|takes 2 positional arguments but 3",
     "The model is called as `model(ids, lengths)`: `def forward(self, ids, lengths):`."),
    (r"input.size\(-1\) must be equal to input_size",
     "The recurrent layer reads the embeddings: its input size is `embedding_dim`."),
    (r"'PackedSequence' object|PackedSequence",
     "A recurrent layer given a packed batch returns a packed output: unpack it with "
     "`pad_packed_sequence(output, batch_first=True, total_length=ids.shape[1])` before the "
     "linear layer."),
    (r"'tuple' object has no attribute|tuple",
     "`nn.GRU` (and `pad_packed_sequence`) return a pair: `output, _ = self.rnn(...)`."),
    (r"index out of range in self",
     "The embedding has one row per token id: `nn.Embedding(vocab_size, embedding_dim)`."),
    (r"same device|Expected all tensors",
     "Build the model on the CPU inside `make_tagger` (no `.to(...)` there); the notebook "
     "moves it with `.to(DEVICE)`."),
]


def _forward(model, ids, lengths) -> torch.Tensor:
    """The learner's model on one batch, with its errors explained."""
    try:
        with torch.no_grad():
            got = call_learner(model, [ids, lengths], "make_tagger")
    except CheckFailed as failure:
        failure.message = failure.message.replace("Your `make_tagger`", "Your model's `forward`")
        hints = [hint for pattern, hint in TAGGER_HINTS if re.search(pattern, failure.message)]
        if hints:
            failure.message += "\n" + hints[0]
        raise
    B, T, K = ids.shape[0], ids.shape[1], SIZES["n_tags"]
    if isinstance(got, (tuple, list)):
        raise CheckFailed(f"`model(ids, lengths)` returned a {type(got).__name__}; return the "
                          f"scores alone, one tensor ({B}, {T}, n_tags) (the recurrent layer's "
                          "`h_n` is not needed).")
    if not isinstance(got, torch.Tensor):
        raise CheckFailed(f"`model(ids, lengths)` returned a {type(got).__name__}; expected a "
                          f"tensor of scores ({B}, {T}, n_tags).")
    shape, J, longest = tuple(got.shape), SIZES["hidden_size"], int(torch.as_tensor(lengths).max())
    if shape != (B, T, K):
        if shape == (B, longest, K) and longest < T:
            hint = (f"{longest} steps, the longest sequence, instead of the batch's {T}: "
                    "`pad_packed_sequence` pads only up to the longest sequence unless it is "
                    "told `total_length=ids.shape[1]`. The scores must line up with `ids` (and "
                    "the tags).")
        elif shape in {(T, B, K), (longest, B, K)}:
            hint = ("time and batch are swapped: `pad_packed_sequence(..., batch_first=True)` "
                    "(and `batch_first=True` in the recurrent layer) keeps the batch axis first.")
        elif shape in {(B, T, 2 * J), (B, T, J), (B, longest, 2 * J), (B, longest, J)}:
            hint = ("those are the recurrent layer's states; the linear layer must turn each "
                    "position's states into n_tags scores.")
        elif shape == (B, K):
            hint = ("one answer per sequence; a tagger answers at every position: apply the "
                    "linear layer to the whole `output`, (B, T, 2J).")
        else:
            hint = "one score per tag at every position of every sequence."
        raise CheckFailed(f"`model(ids, lengths)` returned shape {shape} for ids of shape "
                          f"{tuple(ids.shape)}; expected ({B}, {T}, {K}): " + hint)
    return got.detach().float()


def _padded_batch(rng, V: int, lengths: list[int], T: int, pad: int = 0) -> torch.Tensor:
    ids = torch.full((len(lengths), T), pad, dtype=torch.long)
    for b, n in enumerate(lengths):
        ids[b, :n] = torch.from_numpy(rng.integers(1, V, size=n))
    return ids


def _real(lengths, T: int) -> torch.Tensor:
    return torch.arange(T)[None, :] < torch.as_tensor(lengths)[:, None]


def _close(a, b) -> bool:
    return torch.allclose(a, b, rtol=1e-4, atol=1e-5)


def _largest(a, b) -> float:
    return float((a - b).abs().max())


def _check_scores(scores, real) -> None:
    values = scores[real]
    if not torch.isfinite(values).all():
        raise CheckFailed("The scores at the real positions contain NaN or inf.")
    if (values >= 0).all() and torch.allclose(values.sum(-1), torch.ones(len(values)), atol=1e-5):
        raise CheckFailed("The model returns probabilities (they sum to 1 at every position): "
                          "return the linear layer's scores (logits) themselves. "
                          "`F.cross_entropy` applies the log-softmax itself; a softmax before it "
                          "squashes the gradients.")


def _mixes_sequences(model, ids, lengths) -> bool:
    """Changing one sequence changes another one's scores: the batch axis read as time."""
    changed = ids.clone()
    longest = int(torch.as_tensor(lengths).argmax())
    n = int(torch.as_tensor(lengths)[longest])
    changed[longest, :n] = (changed[longest, :n] % (SIZES["vocab_size"] - 1)) + 1
    before, after = _forward(model, ids, lengths), _forward(model, changed, lengths)
    real = _real(lengths, ids.shape[1])
    real[longest] = False
    return not _close(before[real], after[real])


def _probe_padding(both: bool, label: str) -> Probe:
    def run(call):
        model = _build(call, both)
        rng = np.random.default_rng(5)
        V, T = SIZES["vocab_size"], 9
        lengths = torch.tensor([4, 1, 7, 6, 3])           # unsorted, 1 among them, longest < T
        ids = _padded_batch(rng, V, lengths.tolist(), T)
        scores = _forward(model, ids, lengths)
        real = _real(lengths, T)
        _check_scores(scores, real)
        for b, n in enumerate(lengths.tolist()):
            alone = _forward(model, ids[b:b + 1, :n], torch.tensor([n]))[0]
            if _close(scores[b, :n], alone):
                continue
            if _mixes_sequences(model, ids, lengths):
                raise CheckFailed(
                    "The sequences of the batch mix: changing one name changed the scores of "
                    "another. The recurrent layer reads the batch axis as time: give it "
                    "`batch_first=True` (ids and embeddings are (B, T, ...)).")
            raise CheckFailed(
                f"The scores at the real positions depend on the padding: sequence {b} "
                f"(length {n}, padded to {T}) gets other scores in the batch than run alone "
                f"with no padding (largest difference {_largest(scores[b, :n], alone):.2g}). "
                "Without packing, the backward direction starts on the pads and carries them "
                "into every real position. Pack the batch: `pack_padded_sequence(embedded, "
                "lengths, batch_first=True, enforce_sorted=False)` before the recurrent layer, "
                "`pad_packed_sequence(..., batch_first=True, total_length=T)` after it.")
        more = torch.full((len(lengths), T + 3), 5, dtype=torch.long)   # other pads, more of them
        more[:, :T] = torch.where(real, ids, torch.full_like(ids, 5))
        again = _forward(model, more, lengths)
        if not _close(again[:, :T][real], scores[real]):
            raise CheckFailed(
                "With pads of another id (5 instead of 0) and three more of them, the scores at "
                "the real positions changed. The model must find the padding from `lengths` "
                "alone, not from the pads' id or their number: pack with `lengths`.")
    return Probe(label, run)


def _probe_small_batches(both: bool) -> Probe:
    def run(call):
        model = _build(call, both)
        rng = np.random.default_rng(6)
        V, T = SIZES["vocab_size"], 7
        lengths = [2, 5, 3]
        ids = _padded_batch(rng, V, lengths, T)
        as_tensor = _forward(model, ids, torch.tensor(lengths))
        as_list = _forward(model, ids, lengths)
        real = _real(lengths, T)
        if not _close(as_tensor[real], as_list[real]):
            raise CheckFailed("`lengths` as a list of integers gave other scores than the same "
                              "lengths as a tensor: `torch.as_tensor(lengths)`.")
        one = _forward(model, ids[1:2], torch.tensor([5]))
        if not _close(one[0, :5], as_tensor[1, :5]):
            raise CheckFailed("A batch of one sequence (padded to 7 steps) gave other scores than "
                              "the same sequence inside a batch of three.")
    return Probe("lengths as a list or a tensor; a batch of one padded sequence", run)


def _probe_directions(both: bool, label: str) -> Probe:
    def run(call):
        model = _build(call, both)
        rng = np.random.default_rng(7)
        V, T, n = SIZES["vocab_size"], 8, 5
        lengths = torch.tensor([3, n, 6])
        ids = _padded_batch(rng, V, lengths.tolist(), T)
        scores = _forward(model, ids, lengths)
        last, first = ids.clone(), ids.clone()
        last[1, n - 1] = last[1, n - 1] % (V - 1) + 1           # another letter at the end
        first[1, 0] = first[1, 0] % (V - 1) + 1                 # another letter at the start
        after_last = _forward(model, last, lengths)
        after_first = _forward(model, first, lengths)
        sees_later = not _close(after_last[1, :n - 1], scores[1, :n - 1])
        sees_earlier = not _close(after_first[1, 1:n], scores[1, 1:n])
        if not sees_earlier and not sees_later:
            raise CheckFailed("A letter changes the scores at its own position only: the "
                              "model doesn't read the sequence. Feed the embeddings to the "
                              "recurrent layer and its `output` to the linear layer.")
        if both and not sees_later:
            raise CheckFailed("Changing the LAST letter of a name changed none of the scores "
                              "before it: the model reads left to right only. With "
                              "`bidirectional=True` the recurrent layer must read both ways "
                              "(`nn.GRU(..., bidirectional=bidirectional)`), and the linear layer "
                              "read both halves of `output`.")
        if both and not sees_earlier:
            raise CheckFailed("Changing the FIRST letter of a name changed none of the scores "
                              "after it: only the backward direction reaches the linear layer. "
                              "It must read both halves of `output`, 2J numbers.")
        if not both and sees_later:
            raise CheckFailed("With `bidirectional=False`, changing the last letter of a name "
                              "changed the scores before it: the model still reads both ways. "
                              "Pass the argument on, `bidirectional=bidirectional`.")
        if not both and not sees_earlier:
            raise CheckFailed("With `bidirectional=False`, changing the first letter changed "
                              "none of the later scores: the one direction must read left to "
                              "right.")
    return Probe(label, run)


def _probe_count() -> Probe:
    def run(call):
        _build(call, True)
        _build(call, False)
    sizes = ", ".join(f"{k}={v}" for k, v in SIZES.items())
    return Probe(f"the parameter count for {sizes}, both ways and one way", run)


def _tagger_probes(rng) -> list[Probe]:
    return [
        _probe_count(),
        _probe_padding(True, "a padded batch, lengths unsorted (1 among them), all shorter than "
                             "T: the scores at every real position as for the sequence alone, "
                             "whatever the pads' id and number"),
        _probe_small_batches(True),
        _probe_directions(True, "both ways: a later letter changes the scores before it, an "
                                "earlier one those after it"),
        _probe_padding(False, "bidirectional=False: padding changes nothing either"),
        _probe_directions(False, "bidirectional=False: left to right only"),
    ]


check_make_tagger = PropertyCheck(
    "make_tagger", reference_make_tagger,
    ["vocab_size", "embedding_dim", "hidden_size", "n_tags", "bidirectional"], _tagger_probes,
    error_hints=TAGGER_HINTS)


# --- Exercise 5: the training loop -------------------------------------------------------------
def masked_loss(scores, tags, lengths, how: str = "right"):
    """The mean cross-entropy over the real positions ("right"), or a typical wrong variant."""
    B, T, K = scores.shape
    real = _real(lengths, T).to(scores.device)
    flat, labels = scores.reshape(-1, K), tags.reshape(-1)
    if how == "right":
        return F.cross_entropy(scores[real], tags[real])
    if how == "all":
        return F.cross_entropy(flat, labels)
    if how == "sum":
        return F.cross_entropy(scores[real], tags[real], reduction="sum")
    if how == "ignore 0":
        return F.cross_entropy(flat, labels, ignore_index=0)
    if how == "by all positions":
        return (F.cross_entropy(flat, labels, reduction="none") * real.reshape(-1)).sum() / (B * T)
    if how == "per sequence":
        each = F.cross_entropy(flat, labels, reduction="none").reshape(B, T) * real
        return (each.sum(1) / real.sum(1)).mean()
    if how == "softmax":
        return F.cross_entropy(scores.softmax(-1)[real], tags[real])
    raise ValueError(how)


LOSS_MISTAKES = [
    ("all", "the loss counts the padded positions too (`F.cross_entropy` over all B·T "
            "positions). Their tags are fillers, not answers: take the real positions only, "
            "`real = torch.arange(T)[None, :] < lengths[:, None]`, "
            "`F.cross_entropy(scores[real], tags[real])`."),
    ("ignore 0", "`ignore_index=0` leaves out every letter TAGGED 0, not the padding: the tags "
                 "are 0 and 1 at the real letters. Leave out the padded positions with a mask "
                 "built from `lengths`."),
    ("by all positions", "the pads are masked out of the sum but counted in the division: the "
                         "mean must divide by the number of real letters, `real.sum()`, not "
                         "B·T."),
    ("sum", "that is the sum over the real letters; the loss is their MEAN (the default "
            "`reduction`), so the step size doesn't depend on how long the names are."),
    ("per sequence", "that is the mean of each name's mean, which weighs the letters of short "
                     "names more. The loss is the mean over all the real letters of the batch, "
                     "`F.cross_entropy(scores[real], tags[real])`."),
    ("softmax", "a softmax was applied before `F.cross_entropy`, which applies log-softmax "
                "itself: give it the scores (logits)."),
]

TRAIN_SIZES = dict(vocab_size=9, embedding_dim=6, hidden_size=8, n_tags=2)


def reference_train_tagger(model, draw_batch, steps, lr):
    """Adam on the mean cross-entropy over the real positions (as labs/solutions/lab6.py)."""
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        ids, lengths, tags = draw_batch()
        loss = masked_loss(model(ids, lengths), tags, lengths)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


class BatchSource:
    """draw_batch for the checks: every call a new padded batch (ids, lengths, tags) of a toy
    task (tag 1 where the token is 1, 2 or 3), lengths unsorted and shorter than T, tags 0 at
    the padding. Remembers what it handed out."""

    def __init__(self, seed: int, B: int = 6, T: int = 8):
        self.rng, self.B, self.T = np.random.default_rng(seed), B, T
        self.batches: list[tuple] = []
        self.on_draw = None

    def __call__(self):
        lengths = torch.from_numpy(self.rng.integers(1, self.T, size=self.B)).long()
        lengths[0] = 1
        ids = _padded_batch(self.rng, TRAIN_SIZES["vocab_size"], lengths.tolist(), self.T)
        tags = ((ids >= 1) & (ids <= 3)).long() * _real(lengths, self.T)
        self.batches.append((ids, lengths, tags))
        if self.on_draw is not None:
            self.on_draw()
        return ids.clone(), lengths.clone(), tags.clone()


class TrainingSpy:
    """Watches a training loop: the batches drawn, every forward (and the model's mode),
    every backward, and at every optimizer step the gradients it is about to apply next to
    the gradient of the right loss on the latest batch, computed afresh."""

    def __init__(self, model: nn.Module, source: BatchSource):
        self.model, self.source = model, source
        self.params = list(model.parameters())
        self.ids = {id(p) for p in self.params}
        self.events: list[str] = []
        self.forwards: list[dict] = []
        self.steps: list[dict] = []
        self.quiet = False
        self.handles = []

    def __enter__(self):
        self.source.on_draw = lambda: self.events.append("draw")
        self.handles.append(self.model.register_forward_hook(self._on_forward))
        for p in self.params:
            self.handles.append(p.register_hook(self._on_grad))
        self.handles.append(register_optimizer_step_pre_hook(self._on_step))
        return self

    def __exit__(self, *exc):
        self.source.on_draw = None
        for handle in self.handles:
            handle.remove()

    def _on_forward(self, module, args, output):
        if self.quiet:
            return
        self.events.append("forward")
        self.forwards.append({"batch": len(self.source.batches) - 1,
                              "training": module.training,
                              "grad": isinstance(output, torch.Tensor) and output.requires_grad,
                              "scores": output.detach().clone()
                              if isinstance(output, torch.Tensor) else None})

    def _on_grad(self, grad):
        if not self.quiet and (not self.events or self.events[-1] != "backward"):
            self.events.append("backward")

    def _on_step(self, optimizer, args, kwargs):
        params = [p for group in optimizer.param_groups for p in group["params"]]
        if not any(id(p) in self.ids for p in params):
            return                                   # some other model's optimizer
        self.events.append("step")
        applied = torch.cat([(p.grad.detach() if p.grad is not None
                              else torch.zeros_like(p)).flatten().double() for p in self.params])
        expected = None
        if self.source.batches:
            ids, lengths, tags = self.source.batches[-1]
            self.quiet = True
            try:
                with torch.enable_grad():
                    loss = masked_loss(self.model(ids, lengths), tags, lengths)
                    grads = torch.autograd.grad(loss, self.params, allow_unused=True)
                expected = torch.cat([(g if g is not None else torch.zeros_like(p))
                                      .flatten().double() for g, p in zip(grads, self.params)])
            finally:
                self.quiet = False
        self.steps.append({
            "optimizer": type(optimizer).__name__, "optimizer_id": id(optimizer),
            "lr": optimizer.param_groups[0].get("lr"),
            "covers_model": self.ids <= {id(p) for p in params},
            "applied": applied, "expected": expected,
        })


def _train_model(seed: int) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return reference_make_tagger(**TRAIN_SIZES)


def _run_loop(call, steps: int, lr: float, seed: int):
    model, source = _train_model(seed), BatchSource(seed)
    model.eval()                                     # as after an evaluation: the loop must train
    with torch.random.fork_rng(devices=[]), TrainingSpy(model, source) as spy:
        got = call(model, source, steps, lr)
    return returned_losses(got, steps, "train_tagger"), spy, source


def _check_optimizer(spy: TrainingSpy, steps: int, lr: float) -> None:
    updates = spy.steps
    if not updates:
        raise CheckFailed("No optimizer step was seen. Create `optimizer = "
                          "torch.optim.Adam(model.parameters(), lr=lr)` before the loop and call "
                          "`optimizer.step()` once per step.")
    first = updates[0]
    if first["optimizer"] != "Adam":
        raise CheckFailed(f"The optimizer is {first['optimizer']}; this lab's recipe is Adam, "
                          "`torch.optim.Adam(model.parameters(), lr=lr)`.")
    if not first["covers_model"]:
        raise CheckFailed("The optimizer doesn't update every parameter of the model: give it "
                          "`model.parameters()`.")
    if first["lr"] is None or not math.isclose(float(first["lr"]), lr, rel_tol=1e-9):
        raise CheckFailed(f"The optimizer's learning rate is {first['lr']}, but `lr` was {lr}: "
                          "use the argument.")
    if len({u["optimizer_id"] for u in updates}) > 1:
        raise CheckFailed("A new optimizer was created at every step: create it ONCE, before "
                          "the loop. Adam keeps running averages of the gradients from step to "
                          "step, and a new one starts them from zero each time.")
    if len(updates) != steps:
        raise CheckFailed(f"{len(updates)} optimizer steps for steps={steps}: one update per "
                          "step.")


def _check_batches(spy: TrainingSpy, source: BatchSource, steps: int) -> None:
    drawn = len(source.batches)
    if drawn == 1 and steps > 1:
        raise CheckFailed(f"`draw_batch()` was called once for {steps} steps: the same batch "
                          "every step. Draw a new batch INSIDE the loop, at every step.")
    if drawn != steps:
        raise CheckFailed(f"`draw_batch()` was called {drawn} times for {steps} steps: draw "
                          "exactly one new batch per step and train on it.")
    if any(f["grad"] and not f["training"] for f in spy.forwards):   # not an evaluation
        raise CheckFailed("The model ran in eval mode during training (the check hands it over "
                          "in eval mode, as after an evaluation): call `model.train()` at the "
                          "start of the function.")


def _iterations(events: list[str]) -> list[list[str]]:
    """The events of each step: from one draw to the next."""
    runs, current = [], None
    for event in events:
        if event == "draw":
            current = []
            runs.append(current)
        elif current is not None:
            current.append(event)
    return runs


def _check_order(spy: TrainingSpy) -> None:
    for number, run in enumerate(_iterations(spy.events), 1):
        if "step" not in run:
            continue
        before = run[:run.index("step")]
        if "backward" not in before and "backward" in run:
            raise CheckFailed(f"At step {number}, `optimizer.step()` came before "
                              "`loss.backward()`: it applied no gradient of this batch. The "
                              "order is `optimizer.zero_grad()`, `loss.backward()`, "
                              "`optimizer.step()`.")


def _check_losses(spy: TrainingSpy, source: BatchSource, losses: list[float]) -> None:
    for k, loss in enumerate(losses):
        forwards = [f for f in spy.forwards if f["batch"] == k and f["scores"] is not None]
        forwards = [f for f in forwards if f["grad"]] or forwards     # the one trained on
        if not forwards:
            raise CheckFailed(f"At step {k + 1} the model never ran on the batch just drawn: "
                              "compute the loss from `model(ids, lengths)` of that batch.")
        scores = forwards[-1]["scores"]
        ids, lengths, tags = source.batches[k]
        right = float(masked_loss(scores, tags, lengths))
        if math.isclose(loss, right, rel_tol=1e-5, abs_tol=1e-7):
            continue
        for how, description in LOSS_MISTAKES:
            if math.isclose(loss, float(masked_loss(scores, tags, lengths, how)),
                            rel_tol=1e-5, abs_tol=1e-7):
                raise CheckFailed(f"Wrong loss at step {k + 1}: {loss:.5g}, where the mean "
                                  f"cross-entropy over the real letters is {right:.5g}. It "
                                  f"matches a known mistake: {description}")
        raise CheckFailed(f"Wrong loss at step {k + 1}: {loss:.5g}, where the mean cross-entropy "
                          f"over the real letters of the batch just drawn is {right:.5g}. Return "
                          "`loss.item()` of `F.cross_entropy(scores[real], tags[real])`, with "
                          "`real` the (B, T) mask of the positions before each length.")


def _check_gradients(spy: TrainingSpy) -> None:
    previous = None
    for number, update in enumerate(spy.steps, 1):
        applied, expected = update["applied"], update["expected"]
        if expected is None:
            continue
        if torch.allclose(applied, expected, rtol=1e-4, atol=1e-7):
            previous = applied
            continue
        if float(applied.abs().max()) == 0.0:
            raise CheckFailed(f"At step {number} the optimizer found no gradients: "
                              "`optimizer.zero_grad()` ran between `loss.backward()` and "
                              "`optimizer.step()` and wiped them. Zero the gradients BEFORE "
                              "`loss.backward()`.")
        if previous is not None and torch.allclose(applied - previous, expected, rtol=1e-3,
                                                   atol=1e-6):
            raise CheckFailed(f"At step {number} the optimizer applied this step's gradient plus "
                              "the earlier steps': the gradients pile up. Call "
                              "`optimizer.zero_grad()` before every `loss.backward()`.")
        raise CheckFailed(f"At step {number} the gradients the optimizer applied are not those "
                          "of the mean cross-entropy over the real letters of the batch just "
                          "drawn. Call `loss.backward()` on that loss, once per step, after "
                          "`optimizer.zero_grad()`.")


def _probe_one_step_at_a_time(seed: int) -> Probe:
    steps, lr = 7, 0.01

    def run(call):
        losses, spy, source = _run_loop(call, steps, lr, seed)
        _check_optimizer(spy, steps, lr)
        _check_batches(spy, source, steps)
        _check_order(spy)
        _check_losses(spy, source, losses)
        _check_gradients(spy)
    return Probe("7 steps watched: one new batch each, the loss over the real letters only, "
                 "zero_grad, backward and step in this order, Adam with the lr asked for", run)


def _probe_loss_falls(seed: int) -> Probe:
    steps, lr = 60, 0.05

    def run(call):
        losses, _, _ = _run_loop(call, steps, lr, seed + 1)
        if not all(math.isfinite(x) for x in losses):
            raise CheckFailed("The losses contain NaN or inf on an easy task.")
        start, end = np.mean(losses[:10]), np.mean(losses[-10:])
        if not end < 0.5 * start:
            raise CheckFailed(f"The loss doesn't fall on an easy task ({steps} steps, lr {lr}): "
                              f"{start:.3f} over the first 10 steps, {end:.3f} over the last 10.")
    return Probe("the loss falls on an easy task", run)


def _train_probes(rng) -> list[Probe]:
    seed = int(rng.integers(1000))
    return [_probe_one_step_at_a_time(seed), _probe_loss_falls(seed)]


TRAIN_HINTS = [
    (r"Expected target size|multi-target not supported|expected target",
     "`F.cross_entropy` wants the scores as (N, n_tags) and the tags as (N,): take the real "
     "positions with a (B, T) mask, `scores[real]` and `tags[real]`."),
    (r"missing 1 required positional argument|takes 2 positional arguments",
     "The model takes the lengths too: `model(ids, lengths)`."),
    (r"does not require grad|no grad_fn",
     "The loss must come from the model's scores, outside `torch.no_grad()`."),
    (r"The size of tensor a|shape mismatch|must match the size",
     "The mask of real positions is (B, T): `torch.arange(T)[None, :] < lengths[:, None]`."),
    (r"expected scalar type Long|Long|Float", "The tags are class indices (int64): pass them "
                                              "to `F.cross_entropy` as they come."),
]

check_train_tagger = PropertyCheck(
    "train_tagger", reference_train_tagger, ["model", "draw_batch", "steps", "lr"],
    _train_probes, error_hints=TRAIN_HINTS)

# They train and probe small torch models: a longer time limit than a value check's.
with_edges(check_make_tagger, time_limit_s=10.0)
with_edges(check_train_tagger, time_limit_s=10.0)
CHECKS = {check.name: with_edges(check) for check in (
    check_run_backward, check_bidirectional, check_sequence_summary, check_make_tagger,
    check_train_tagger)}
