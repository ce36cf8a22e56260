"""Checks for Lab 6, "Look both ways".

    from utils.checks.lab6 import check_bidirectional
    check_bidirectional(bidirectional)        # -> a green, grey or red box

Four exercises. Three return tensors and are compared with a reference computed at check
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

``insert_spaces(model, vocab, letters)`` turns a tagger's predictions into text, so it is
judged by what it does (a ``PropertyCheck``): rigged taggers with known scores, a spy on the
ids the model receives, vocabularies the notebook has never seen.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .. import recurrent, tagging
from ..data import Vocab
from ..validate import expect_tensor
from .core import (Case, CheckFailed, HintedCheck, Mistake, Probe, PropertyCheck, random_cell,
                   random_inputs, random_state, random_torch_module, renamed_pair,
                   same_shape_parts)


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


# --- Exercise 4: text from a tagger's predictions ------------------------------------------
class RiggedTagger(nn.Module):
    """A stand-in for a trained tagger: ids (B, T) -> scores (B, T, 2) fixed by position.

    The scores at position t are ``scores[t]`` whatever the ids (positions beyond the table
    repeat its last row), so the right answer is known. Every call is recorded.
    """

    def __init__(self, scores: torch.Tensor, vocab_size: int):
        super().__init__()
        self.scores = nn.Parameter(scores.clone(), requires_grad=True)
        self.vocab_size = vocab_size
        self.calls: list[torch.Tensor] = []

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        expect_tensor(idx, "token ids", ndim=2, floating=False)   # as SequenceTagger does
        self.calls.append(idx.detach().clone())
        if idx.numel() and (idx.min() < 0 or idx.max() >= self.vocab_size):
            raise ValueError(f"token ids must lie in [0, {self.vocab_size}), got values from "
                             f"{int(idx.min())} to {int(idx.max())}")
        T = idx.shape[1]
        rows = torch.clamp(torch.arange(T), max=len(self.scores) - 1)
        return self.scores[rows].unsqueeze(0).expand(idx.shape[0], T, 2)


def reference_insert_spaces(model, vocab, letters):
    """The tagger's most likely tag at every letter; a space after each letter tagged 1."""
    ids = torch.tensor(vocab.encode(letters))[None]
    with torch.no_grad():
        tags = model(ids)[0].argmax(dim=-1)
    return tagging.restore_spaces(letters, tags.tolist())


def _rigged_scores(rng, tags: list[int]) -> torch.Tensor:
    """Scores whose argmax gives ``tags``, built so that typical shortcuts go wrong: at some
    letters tagged 1 both scores are negative, at some letters tagged 0 both are positive."""
    scores = []
    for i, tag in enumerate(tags):
        low, high = sorted(rng.uniform(0.3, 3.0, size=2))
        high = max(high, low + 0.5)
        if tag == 1 and i % 2 == 0:
            low, high = -high - 2.0, -low - 1.5           # the winner's score is negative
        elif tag == 0 and i % 2 == 1:
            low, high = low + 1.5, high + 2.0             # the loser's score is positive
        else:
            low = -low                                    # the winner positive, the loser not
        scores.append([low, high] if tag == 1 else [high, low])
    return torch.tensor(scores, dtype=torch.float32)


def _with_spaces(letters, tags, where="after", strip=True):
    out = []
    for ch, tag in zip(letters, tags):
        out.append((" " + ch) if (tag and where == "before") else ch)
        if tag and where == "after":
            out.append(" ")
    text = "".join(out)
    return text.rstrip() if strip else text


def _variants(model, vocab, letters, tags):
    """Typical wrong answers for one probe: (description, the text it gives)."""
    scores = model.scores.detach()
    threshold = (scores[:, 1] > 0).long().tolist()
    first = [int(torch.argmax(scores[0]))] * len(letters)
    return [
        ("there is a space at the very end. Leave it out: `text.rstrip()`, or use "
         "`tagging.restore_spaces`, which does.", _with_spaces(letters, tags, strip=False)),
        ("the spaces went BEFORE the letters tagged 1. Tag 1 means a word ends at that letter: "
         "the space goes after it.", _with_spaces(letters, tags, where="before")),
        ("the tags are inverted: the spaces sit after the letters tagged 0. Tag 1 (the second "
         "score) means a word ends there.", _with_spaces(letters, [1 - t for t in tags])),
        ("the score of tag 1 was compared with 0. The model's answer is the tag with the "
         "HIGHER score, `scores.argmax(dim=-1)`: both scores can be positive, or both negative.",
         _with_spaces(letters, threshold)),
        ("every letter got the same tag, as when the model reads the text one letter at a "
         "time. Run it once on the whole text, ids of shape (1, T): a bidirectional tagger "
         "needs the letters after each position too.", _with_spaces(letters, first)),
    ]


def _spy_ids(model, vocab, letters) -> None:
    """What the model received: one call with vocab.encode(letters) as a (1, T) batch."""
    calls, T = model.calls, len(letters)
    expected = torch.tensor(vocab.encode(letters))
    if not calls:
        raise CheckFailed("The model was never called: compute the tags with `model(ids)`.")
    if len(calls) > 1 and all(c.shape[1] == 1 for c in calls):
        raise CheckFailed(
            f"The model was called {len(calls)} times, with one letter each. Run it once on the "
            "whole text, ids of shape (1, T): a bidirectional tagger must see the letters after "
            "each position too, and a single letter has none.")
    whole = [c for c in calls if c.shape[1] == T]
    if not whole and any(tuple(c.shape) == (T, 1) for c in calls):
        raise CheckFailed(f"The model received ids of shape ({T}, 1): {T} sequences of one letter "
                          "each. The batch axis comes first: `ids[None]` (or "
                          f"`ids.unsqueeze(0)`) makes one sequence of {T} letters, (1, {T}).")
    if not whole:
        shapes = ", ".join(str(tuple(c.shape)) for c in calls[:3])
        raise CheckFailed(f"The model received ids of shape {shapes}, for a text of {T} letters: "
                          f"give it all the letters at once, shape (1, {T}).")
    if not any(torch.equal(c[0], expected) for c in whole):
        got = whole[-1][0].tolist()
        raise CheckFailed(
            f"The model received the ids {_brief(got)}, but `vocab.encode(letters)` is "
            f"{_brief(expected.tolist())}. Encode the letters with the `vocab` argument (not "
            "another vocabulary, not `ord(...)`).")


def _brief(ids: list) -> str:
    text = str(ids[:8])[:-1]
    return text + (", ...]" if len(ids) > 8 else "]")


def _first_difference(got: str, expected: str) -> str:
    for i, (a, b) in enumerate(zip(got, expected)):
        if a != b:
            return (f"They first differ at character {i}: ...{got[max(0, i - 12):i + 12]!r} "
                    f"where ...{expected[max(0, i - 12):i + 12]!r} was expected.")
    return f"One is longer: {len(got)} characters, {len(expected)} expected."


def _probe(letters: str, seed: int, last_tag: int, label: str, other_vocab: bool = False) -> Probe:
    def run(call):
        rng = np.random.default_rng(seed)
        tags = [int(x) for x in rng.random(len(letters)) < 0.3]
        tags[0], tags[-1] = 0, last_tag
        tags[len(letters) // 2] = 1
        # a vocabulary with extra symbols shifts the ids: the notebook's vocab would not fit
        alphabet = sorted(set(letters)) if not other_vocab else sorted(set(letters) | set("#$%&"))
        vocab = Vocab(alphabet)
        model = RiggedTagger(_rigged_scores(rng, tags), len(vocab))
        expected = tagging.restore_spaces(letters, tags)
        got = call(model, vocab, letters)
        if not isinstance(got, str):
            kind = type(got).__name__
            extra = (" Turn the tags into text with `tagging.restore_spaces(letters, tags)`."
                     if isinstance(got, (list, tuple, torch.Tensor, np.ndarray)) else "")
            raise CheckFailed(f"`insert_spaces` returned a {kind}; expected a string, the text "
                              f"with its spaces.{extra}")
        _spy_ids(model, vocab, letters)
        if got == expected:
            return
        if got.replace(" ", "") != letters:
            raise CheckFailed(f"The text without its spaces must be the letters themselves, "
                              f"{letters[:20]!r}...; got {got[:30]!r}. Add spaces, and change "
                              "nothing else.")
        for description, text in _variants(model, vocab, letters, tags):
            if got == text:
                raise CheckFailed("Wrong spaces. They match a known mistake: " + description)
        raise CheckFailed("Wrong spaces: " + _first_difference(got, expected)
                          + " A space follows exactly the letters whose tag-1 score is the "
                            "higher of the two.")
    return Probe(label, run)


def _insert_probes(rng) -> list[Probe]:
    seed = int(rng.integers(10_000))
    return [
        _probe("tobeornottobethatisthequestion", seed, 1,
               "a line whose scores vary in sign, the last letter ending a word"),
        _probe("whethertisnoblerinthemindtosuffer", seed + 1, 0,
               "another line, the last letter not ending a word"),
        _probe("theslingsandarrowsofoutrageousfortune" * 5, seed + 2, 1,
               "185 letters, a vocabulary the notebook has not seen", other_vocab=True),
    ]


INSERT_HINTS = [
    (r"token ids must be 2-D", "The model takes a batch of sequences, ids of shape (B, T): "
                               "make the one text a batch of one, "
                               "`torch.tensor(vocab.encode(letters))[None]`, (1, T)."),
    (r"token ids must lie in", "Encode the letters with the `vocab` argument, "
                               "`vocab.encode(letters)`: the model knows only that vocabulary's "
                               "ids (not `ord(...)`, not another vocabulary)."),
    (r"token ids must be a torch.Tensor", "The model takes a tensor of ids: "
                                          "`torch.tensor(vocab.encode(letters))[None]`."),
    (r"token ids must hold integer", "Token ids are integers: build them with "
                                     "`torch.tensor(vocab.encode(letters))` (dtype int64)."),
    (r"one label per character", "`restore_spaces` needs one tag per letter: the scores are "
                                 "(1, T, 2), so take the argmax over the LAST axis, the two "
                                 "tags, for the one sequence of the batch: "
                                 "`scores[0].argmax(dim=-1)`, (T,)."),
    (r"requires grad|numpy\(\)", "Turn the tags into plain numbers with `.tolist()`, after "
                                 "computing them under `torch.no_grad()`."),
]

check_insert_spaces = PropertyCheck(
    "insert_spaces", reference_insert_spaces, ["model", "vocab", "letters"], _insert_probes,
    error_hints=INSERT_HINTS)

CHECKS = {check.name: check for check in (
    check_run_backward, check_bidirectional, check_sequence_summary, check_insert_spaces)}
