"""Checks for Lab 3, "Watching gradients vanish".

    from utils.checks.lab3 import check_clip_by_norm
    check_clip_by_norm(clip_by_norm)          # -> a green, grey or red box

Five exercises. Four return values and are compared with a reference computed at check time:

* ``clip_by_value`` and ``clip_by_norm`` (numpy) on lists of arrays of different shapes, built
  so that every known mistake changes the answer: entries beyond both bounds, gradients
  already small, arrays each small but large together, a small first array. The answer must
  be NEW arrays: the inputs may not change, and no returned array may share their memory.
* ``hidden_gradient_norms`` on the course's RNN, GRU and LSTM cells (float64, batches whose
  examples differ), against ``utils.gradients.gradient_norms_over_time``.
* ``decay_factor`` on noisy geometric decays and on norms measured from a cell, against
  ``utils.gradients.fit_decay_rate`` (which leaves out the last step, distance 0).

``train_recall`` trains a model, so it is judged by what it does (a ``PropertyCheck``). A spy
(``GradientSpy`` with ``TaskSpy``) records every batch the task draws, every call of the model
(its input, train or eval mode), and at every ``optimizer.step()`` the gradients the optimizer
is about to use next to those ``loss.backward()`` produced and how many backward passes ran
since the previous step. The first probe checks what the loop does: exactly one new batch
``task.sample(32, distance, generator)`` per step, with the given distance and generator, fed
to the model; zero_grad -> backward -> step (zero_grad after backward, step before backward,
backward twice, no zero_grad are each named); train mode. Then the loss must fall on an easy
distance, a fixed generator must give the same losses, and clipping must shorten the gradient
to the threshold and keep its direction. When the loop calls the learner's own
``clip_by_norm`` and that one fails its check, that is said first, before any training.

Edge inputs: all-zero gradients (norm 0: unchanged, no NaN) and integer thresholds for the
clipping; one sequence (B=1) for the gradient norms; and in every value check a last case with
the first case's sizes and new values (a cached result or state kept between calls is named;
see ``utils/checks/edges.py``, which also bounds every check's time).
Results: the clipped gradients must be float arrays; ``decay_factor`` a number (a Python or
numpy float, or a 0-d numpy array).
"""
from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch.nn import functional as F
from torch.optim.optimizer import register_optimizer_step_pre_hook

from .. import gradients, models, tasks
from .core import (Case, CheckFailed, HintedCheck, Mistake, Probe, PropertyCheck,
                   call_learner, code_names, random_cell, random_inputs, returned_losses)
from .edges import again_with_new_values, with_edges


# --- Exercises 1 and 2: clipping --------------------------------------------------------------
def reference_clip_by_value(grads, max_value):
    """Every entry clamped into [-max_value, max_value]; a list of new arrays."""
    return [np.clip(g, -max_value, max_value) for g in grads]


def global_norm(grads) -> float:
    """sqrt of the sum of every squared entry of every array: the norm of one long vector."""
    return float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))


def reference_clip_by_norm(grads, max_norm):
    """Scale every array by max_norm / norm when the global norm exceeds max_norm."""
    norm = global_norm(grads)
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * scale for g in grads]


def _as_tuple(clip):
    """The Check compares a returned tuple (or list) value by value: give it a tuple."""
    def reference(grads, limit):
        return tuple(clip(grads, limit))
    reference.__name__ = clip.__name__
    reference.__doc__ = clip.__doc__
    return reference


def _gradient_list(rng, norms) -> list[np.ndarray]:
    """Arrays of the shapes (4, 3), (3,), (2, 2, 2), ... with the given norms (0: all zeros)."""
    shapes = [(4, 3), (3,), (2, 2, 2), (5,)]
    out = []
    for shape, norm in zip(shapes, norms):
        g = rng.normal(size=shape)
        out.append(g * norm / np.linalg.norm(g) if norm else np.zeros(shape))
    return out


def _value_cases(rng) -> list[Case]:
    specs = [  # (norms of the arrays, max_value, label)
        ((6.0, 3.0, 5.0), 0.5, "entries beyond +max_value and below -max_value, three shapes"),
        ((0.4, 0.3, 0.5), 5.0, "every entry already inside [-max_value, max_value]"),
        ((9.0,), 2.0, "one array"),
        ((30.0, 20.0), 3.0, "a large gradient, max_value 3"),
        ((0.0, 0.0), 1, "all-zero gradients, an integer max_value"),
    ]
    cases = []
    for norms, limit, label in specs:
        cases.append(Case({"grads": _gradient_list(rng, norms), "max_value": limit}, {}, label))
    return cases


def _norm_cases(rng) -> list[Case]:
    specs = [  # (norms of the arrays, max_norm, label)
        ((12.0, 6.0, 10.0), 2.5, "large gradients, three arrays of different shapes"),
        ((0.3, 0.2, 0.25), 2.0, "small gradients (global norm below max_norm)"),
        ((0.9, 0.9, 0.9), 1.2, "each array below max_norm, all together above it"),
        ((0.5, 6.0), 1.5, "a small first array and a large second one"),
        ((5.0,), 3.0, "one array"),
        ((0.0, 0.0, 0.0), 2, "all-zero gradients (norm 0), an integer max_norm"),
    ]
    return [Case({"grads": _gradient_list(rng, norms), "max_norm": limit}, {}, label)
            for norms, limit, label in specs]


def _scaled(grads, norm, max_norm, scale=None):
    """Every array times max_norm / norm (or ``scale``) when norm > max_norm."""
    if norm > max_norm:
        factor = max_norm / norm if scale is None else scale
        return [g * factor for g in grads]
    return [g.copy() for g in grads]


def _flat(grads) -> np.ndarray:
    return np.concatenate([np.ravel(g) for g in grads])


IN_PLACE_TIP = ("The caller still needs its gradients as they were: `g *= scale`, `g[...] = ...` "
                "and `np.clip(g, lo, hi, out=g)` write into the caller's array; `g * scale` and "
                "`np.clip(g, lo, hi)` make new ones.")
LIST_TIP = ("`grads` is a list of arrays of different shapes: numpy can't stack them into one "
            "array (`np.array(grads)`, `np.linalg.norm(grads)`, `np.clip(grads, ...)`). Work "
            "array by array: `[... for g in grads]`.")
NORM_LIST_TIP = LIST_TIP + " For the global norm, add up `np.sum(g ** 2)` of every array."


class ClipCheck(HintedCheck):
    """The answer is a list with one new array per input array, compared entry by entry."""

    def __init__(self, name, clip, make_cases, list_tip=LIST_TIP, **kwargs):
        super().__init__(name, _as_tuple(clip), make_cases, in_place_tip=IN_PLACE_TIP, **kwargs)
        self.list_tip = list_tip
        self._count = 0

    def _tuple_names(self):
        return [f"clipped[{i}]" for i in range(self._count)]

    def _shape_tip(self, case: Case) -> str:
        return self.list_tip

    def _run_case(self, fn, case: Case) -> None:
        self._count = len(case.args["grads"])
        super()._run_case(fn, case)
        inputs = copy.deepcopy(list(case.args.values()))
        got = call_learner(fn, inputs, self.name)
        for i, out in enumerate(got):
            for j, g in enumerate(inputs[0]):
                if isinstance(out, np.ndarray) and np.shares_memory(out, g):
                    raise CheckFailed(
                        f"The values are right, but `clipped[{i}]` is not a new array: it shares "
                        f"its memory with the input `grads[{j}]` (it is that array, or a view of "
                        f"it). Return new arrays, also when nothing needs clipping "
                        "(`g.copy()`, `g * scale`): whoever changes the result later, e.g. "
                        "`clipped[0] *= 0.5`, would otherwise change the caller's gradient too.")


check_clip_by_value = ClipCheck(
    "clip_by_value", reference_clip_by_value, again_with_new_values(_value_cases),
    mistakes=[
        Mistake("only the positive side is clipped. Entries below -max_value must become "
                "-max_value too: `np.clip(g, -max_value, max_value)`.",
                lambda grads, m: [np.minimum(g, m) for g in grads]),
        Mistake("only the negative side is clipped. Entries above +max_value must become "
                "+max_value too: `np.clip(g, -max_value, max_value)`.",
                lambda grads, m: [np.maximum(g, -m) for g in grads]),
        Mistake("the lower bound is 0, so every negative entry became 0. The range is "
                "[-max_value, max_value]: `np.clip(g, -max_value, max_value)`.",
                lambda grads, m: [np.clip(g, 0, m) for g in grads]),
        Mistake("the signs are lost (`np.abs` before clipping). A clipped entry keeps its sign: "
                "`np.clip(g, -max_value, max_value)`.",
                lambda grads, m: [np.minimum(np.abs(g), m) for g in grads]),
        Mistake("every entry was set to ±max_value, also those already inside the range. Only "
                "entries beyond ±max_value change.",
                lambda grads, m: [np.sign(g) * m for g in grads]),
        Mistake("that is clipping by *norm* (all arrays scaled by one factor). Clipping by value "
                "clamps each entry on its own into [-max_value, max_value].",
                reference_clip_by_norm),
        Mistake("each array was scaled to norm max_value: that is clipping by norm, array by "
                "array. Clipping by value clamps each entry on its own into "
                "[-max_value, max_value].",
                lambda grads, m: [_scaled([g], np.linalg.norm(g), m)[0] for g in grads]),
    ],
)

ZERO_NORM_TIP = ("All-zero gradients have norm 0: a division by that norm gives 0 / 0 = NaN. "
                 "A norm of 0 is never above max_norm, so such gradients come back unchanged: "
                 "divide only when norm > max_norm.")

check_clip_by_norm = ClipCheck(
    "clip_by_norm", reference_clip_by_norm, again_with_new_values(_norm_cases),
    list_tip=NORM_LIST_TIP, nan_tip=ZERO_NORM_TIP,
    mistakes=[
        Mistake("each entry was clamped into [-max_norm, max_norm]: that is clipping by *value*, "
                "which changes the direction. Clipping by norm scales every array by the same "
                "factor, max_norm / norm.",
                lambda grads, m: [np.clip(g, -m, m) for g in grads]),
        Mistake("gradients that were already small (global norm below max_norm) were scaled up "
                "to norm max_norm. Clip only when norm > max_norm; otherwise return copies "
                "unchanged.",
                lambda grads, m: _scaled(grads, global_norm(grads), 0.0,
                                         scale=m / global_norm(grads))),
        Mistake("each array was clipped by its own norm. The norm is global, one number over all "
                "arrays, sqrt(Σ_i ‖g_i‖²), and every array is scaled by the same factor "
                "max_norm / norm (so the direction of the whole gradient is kept).",
                lambda grads, m: [_scaled([g], np.linalg.norm(g), m)[0] for g in grads]),
        Mistake("the norm is that of the first array only (`np.linalg.norm(grads[0])`). The "
                "global norm counts every array: sqrt(Σ_i ‖g_i‖²).",
                lambda grads, m: _scaled(grads, np.linalg.norm(grads[0]), m)),
        Mistake("the norm misses its square root: Σ_i ‖g_i‖² is the squared norm.",
                lambda grads, m: _scaled(grads, global_norm(grads) ** 2, m)),
        Mistake("the arrays' norms were added up; the global norm is sqrt(Σ_i ‖g_i‖²), the norm "
                "of all the entries put in one long vector, not Σ_i ‖g_i‖.",
                lambda grads, m: _scaled(grads, sum(np.linalg.norm(g) for g in grads), m)),
        Mistake("the norm averages the squares (a root-mean-square); the global norm SUMS them: "
                "sqrt(Σ every entry²).",
                lambda grads, m: _scaled(grads, float(np.sqrt(np.mean(_flat(grads) ** 2))),
                                         m)),
        Mistake("the scale is upside down: multiply by max_norm / norm (below 1), not by "
                "norm / max_norm.",
                lambda grads, m: _scaled(grads, global_norm(grads), m,
                                         scale=global_norm(grads) / m)),
        Mistake("the gradients were divided by the norm but not multiplied by max_norm: after "
                "clipping their norm must be max_norm, not 1.",
                lambda grads, m: _scaled(grads, global_norm(grads), m,
                                         scale=1 / global_norm(grads))),
        Mistake("nothing was clipped, although the global norm exceeds max_norm. Is the "
                "comparison the right way round (clip when norm > max_norm)?",
                lambda grads, m: [g.copy() for g in grads]),
    ],
)


# --- Exercise 3: the gradient norm at every step ---------------------------------------------
CELL_SPECS = (  # kind, B, T, D, J, spectral radius of W (None: the cell's own init), label
    ("rnn", 4, 7, 3, 5, None, "an RNN cell, non-square sizes"),
    ("rnn", 2, 1, 1, 3, None, "one step (T=1)"),
    ("gru", 3, 5, 4, 6, None, "a GRU cell"),
    ("lstm", 3, 6, 2, 4, None, "an LSTM cell, whose state is the pair (h, c)"),
    ("rnn", 5, 12, 3, 8, 1.5, "an RNN cell with a large W (spectral radius 1.5), T=12"),
    ("gru", 1, 4, 2, 3, None, "one sequence (B=1)"),
)


def make_cell(kind: str, D: int, J: int, rng: np.random.Generator, radius=None):
    """A random float64 course cell (``random_cell``), its W rescaled to a spectral radius."""
    cell = random_cell(kind, D, J, rng)
    if radius is not None:
        gradients.set_spectral_radius(cell.W, radius)
    return cell


def _cell_cases(rng) -> list[Case]:
    cases = []
    for kind, B, T, D, J, radius, label in CELL_SPECS:
        cell = make_cell(kind, D, J, rng, radius)
        xs = random_inputs(rng, B, T, D)
        cases.append(Case({"cell": cell, "xs": xs}, {"B": B, "T": T, "D": D, "J": J}, label))
    return cases


def reference_hidden_gradient_norms(cell, xs):
    """utils.gradients.gradient_norms_over_time with its defaults: zero state, readout 1/√J."""
    return gradients.gradient_norms_over_time(cell, xs)


def _norms_variant(cell, xs, measure="grad", loss_on="last", over_batch="mean", detach=False,
                   readout="unit"):
    """gradient_norms_over_time with one typical mistake switched on (defaults: correct)."""
    B, T = xs.shape[:2]
    J = cell.hidden_size
    state, hiddens = cell.init_state(B, xs.device, xs.dtype), []
    for t in range(T):
        if detach and t > 0:
            state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        state = cell.step(xs[:, t], state)
        h = cell.hidden(state)
        h.retain_grad()
        hiddens.append(h)
    r = torch.ones(J, dtype=xs.dtype) / J ** 0.5
    targets = hiddens if loss_on == "all" else hiddens[-1:]
    if readout == "ones":
        loss = sum(h.sum() for h in targets)
    elif readout == "batch_mean":
        loss = sum((h * r).sum(dim=1).mean() for h in targets)
    elif readout == "mean":
        loss = sum(h.mean() for h in targets)
    else:
        loss = sum((h * r).sum() for h in targets)
    loss.backward()
    out = []
    for h in hiddens:
        g = h.detach() if measure == "state" else (
            torch.zeros_like(h) if h.grad is None else h.grad)
        if over_batch == "frobenius":
            out.append(float(g.norm()))
            continue
        per_example = (g ** 2).sum(dim=1) if measure == "squared" else g.norm(dim=1)
        out.append(float({"mean": per_example.mean(), "sum": per_example.sum(),
                          "first": per_example[0]}[over_batch]))
    return np.array(out)


def _norms(**switches):
    """The wrong answer of one known mistake: _norms_variant with ``switches`` on."""
    return lambda cell, xs: _norms_variant(cell, xs, **switches)


def _norms_shape_hint(name, got, expected, sizes) -> str:
    T, B = sizes["T"], sizes["B"]
    if got == (T + 1,):
        return ("One entry too many: one norm per step t = 0 .. T-1, for the states the cell "
                "computes; the initial (zero) state is not one of them.")
    if got == (T - 1,):
        return "One entry short: include the last step too (its norm is ‖r‖ = 1)."
    if got in ((B, T), (T, B)):
        return "Average each step's norms over the batch (`.mean()`): one number per step."
    return ""


def _none_grad_hint(fn) -> str:
    names = code_names(fn)
    if "detach" in names or "no_grad" in names:
        return ("`h.grad` is None: no gradient reached that h_t. Your code detaches the state "
                "(`.detach()` or `torch.no_grad()`), which cuts the path from the loss back to "
                "the earlier steps: carry the state from step to step untouched.")
    if not {"retain_grad", "register_hook", "grad"} & names:
        return ("`h.grad` is None: PyTorch keeps `.grad` only for leaf tensors (parameters). Call "
                "`h.retain_grad()` on every h_t as you compute it, before `loss.backward()`.")
    return ("`h.grad` is None: call `h.retain_grad()` on every h_t before `loss.backward()`, and "
            "don't detach the state between steps.")


check_hidden_gradient_norms = HintedCheck(
    "hidden_gradient_norms", reference_hidden_gradient_norms, again_with_new_values(_cell_cases),
    output_names="norms",
    shape_hint=_norms_shape_hint,
    shape_tip="`xs` is (B, T, D); `xs[:, t]` is step t of every sequence, (B, D), and each h_t "
              "is (B, J).",
    hints=[
        (r"NoneType", _none_grad_hint),
        (r"'tuple' object", "The LSTM's state is a pair (h, c): take h with "
                            "`h = cell.hidden(state)`, which works for every cell."),
        (r"does not require grad", "The loss is not connected to the cell's computation: is "
                                   "the loop under `torch.no_grad()`, or the state detached?"),
        (r"backward through the graph a second time", "Call `loss.backward()` once, after the "
                                                      "loop, on the loss of the last state."),
        (r"numpy\(\) on Tensor that requires grad", "Turn each norm into a number with "
                                                     "`.item()` (or `float(...)`)."),
        (r"[Dd]imension out of range", "With one sequence (B = 1), `.squeeze()` drops the batch "
                                       "axis too, and `dim=1` no longer exists. Keep `h.grad` "
                                       "(B, J) as it is: `h.grad.norm(dim=1).mean()`."),
    ],
    mistakes=[
        Mistake("these are the norms of the hidden states h_t, not of their gradients dL/dh_t "
                "(`h.grad`, after `loss.backward()`).", _norms(measure="state")),
        Mistake("these are squared norms (a sum of squares without the square root).",
                _norms(measure="squared")),
        Mistake("the order is reversed: entry t must be the norm at step t, so the last entry "
                "(the step the loss reads) is the largest of a decaying gradient.",
                lambda cell, xs: _norms_variant(cell, xs)[::-1].copy()),
        Mistake("the loss reads every hidden state; here it must read only the LAST one, "
                "L = Σ_b r · h_T, so that entry t measures what reaches step t from T steps "
                "later.", _norms(loss_on="all")),
        Mistake("the gradient stops after one step: the earlier steps get no gradient at all. "
                "Is the state detached between steps (`.detach()`)? Carry it untouched.",
                _norms(detach=True)),
        Mistake("the per-example norms are added over the batch; "
                "average them (`.mean()`).", _norms(over_batch="sum")),
        Mistake("only the first sequence of the batch is measured; average the norms of all B "
                "sequences: `h.grad.norm(dim=1).mean()`.", _norms(over_batch="first")),
        Mistake("that is the norm of the whole (B, J) gradient at once. Take each sequence's "
                "norm over the J units, then average over the batch: "
                "`h.grad.norm(dim=1).mean()`.", _norms(over_batch="frobenius")),
        Mistake("the loss is `h_T.sum()`; use the fixed readout r = ones(J) / sqrt(J): "
                "L = (h_T * r).sum().", _norms(readout="ones")),
        Mistake("the loss is averaged over the batch, which divides every gradient by B; sum it: "
                "L = (h_T * r).sum().", _norms(readout="batch_mean")),
        Mistake("the loss is `h_T.mean()`; use the fixed readout r = ones(J) / sqrt(J): "
                "L = (h_T * r).sum().", _norms(readout="mean")),
    ],
)


# --- Exercise 4: the decay factor -------------------------------------------------------------
def reference_decay_factor(norms):
    """utils.gradients.fit_decay_rate: a least-squares line through log-norm vs distance,
    leaving out the last step (distance 0); the factor per step back is exp(slope)."""
    return gradients.fit_decay_rate(norms, skip_last=1)


def _geometric(rng, T: int, factor: float, start: float, noise: float) -> np.ndarray:
    """norms[t] = start * factor**(distance - 1) * noise, distance = T-1-t; the last norm is 1."""
    distance = np.arange(T)[::-1]
    norms = start * factor ** (distance - 1.0) * np.exp(noise * rng.normal(size=T))
    norms[-1] = 1.0                        # the step the loss reads: the readout's norm
    return norms


def _measured_norms(rng) -> np.ndarray:
    cell = make_cell("rnn", 3, 8, rng, radius=0.9)
    return gradients.gradient_norms_over_time(cell, torch.from_numpy(rng.normal(size=(4, 20, 3))))


def _decay_cases(rng) -> list[Case]:
    cases = [
        (_geometric(rng, 12, 0.8, 0.5, 0.15), "noisy shrinking norms, factor about 0.8"),
        (_geometric(rng, 10, 1.15, 2.0, 0.1), "growing norms, factor about 1.15"),
        (_measured_norms(rng), "norms measured from an RNN cell"),
        (_geometric(rng, 15, 0.3, 0.2, 0.3), "fast decay, factor about 0.3"),
        (_geometric(rng, 3, 0.6, 0.4, 0.0), "three steps, no noise"),
    ]
    return [Case({"norms": norms}, {"T": len(norms)}, label) for norms, label in cases]


def _fit(norms, x="distance", y="log", skip_last=1):
    """The slope and intercept of a least-squares line, with one mistake switched on."""
    norms = np.asarray(norms, dtype=float)
    T = len(norms)
    t = np.arange(T)
    distance = T - 1 - t
    keep = distance >= skip_last
    xs = {"distance": distance, "t": t}[x][keep]
    ys = {"log": np.log(norms), "norms": norms, "log10": np.log10(norms)}[y][keep]
    return np.polyfit(xs, ys, 1)


def _endpoints(norms):
    norms = np.asarray(norms, dtype=float)
    return float((norms[0] / norms[-2]) ** (1.0 / (len(norms) - 2)))


def _mean_ratio(norms):
    norms = np.asarray(norms, dtype=float)[:-1]       # distances >= 1
    return float(np.mean(norms[:-1] / norms[1:]))


check_decay_factor = HintedCheck(
    "decay_factor", reference_decay_factor,
    again_with_new_values(_decay_cases, "noisy shrinking norms again (T=12), new values"),
    output_names="factor",
    rtol=1e-6, atol=1e-10,
    in_place_tip="Leave `norms` as it is: `norms.sort()`, `norms[...] = ...` or `norms *= ...` "
                 "change the caller's array. Work on a copy, `np.array(norms, dtype=float)`, or "
                 "on new arrays such as `np.log(norms)`.",
    nan_tip="A norm of 0 gives log 0 = -inf; every norm here is positive, so is a log taken of "
            "something else (the distances, a difference)?",
    hints=[(r"LinAlgError|SVD did not converge", "The fit got NaN or inf: is a norm 0 "
                                                 "(log 0 = -inf), or the last step included?")],
    structure_hints=[(r"is an array of shape|is a torch.Tensor|is a (list|tuple)",
                      "Return the one number q = exp(slope): `float(np.exp(slope))`. A Python "
                      "float, a numpy float and a 0-d numpy array are all accepted; "
                      "`np.polyfit` returns two numbers, `[slope, intercept]`, so pick the "
                      "slope first.")],
    renames={" Sum it to one value, or use `float(...)`.": ""},   # core's advice; not here
    mistakes=[
        Mistake("the line was fitted through the norms themselves. Fit it through their "
                "logarithms: a geometric decay, norm ∝ factor**distance, is a straight line in "
                "log norm, log norm = a + distance · log(factor).",
                lambda norms: float(np.exp(_fit(norms, y="norms")[0]))),
        Mistake("the factor is inverted (1 / factor): the distance must count steps BACK from "
                "the loss, distance = T-1-t, so norms[-1] is at distance 0 and norms[0] at "
                "distance T-1. (Fitting against t instead of T-1-t flips the slope's sign.)",
                lambda norms: float(np.exp(_fit(norms, x="t")[0]))),
        Mistake("that is the slope itself, the log of the factor. Return `np.exp(slope)`.",
                lambda norms: float(_fit(norms)[0])),
        Mistake("the last step (distance 0) was included. There the loss reads h_T directly and "
                "no factor has been applied yet: leave it out and fit distances 1 .. T-1.",
                lambda norms: float(np.exp(_fit(norms, skip_last=0)[0]))),
        Mistake("that is exp(intercept): `np.polyfit(x, y, 1)` returns `[slope, intercept]`, "
                "the slope first.",
                lambda norms: float(np.exp(_fit(norms)[1]))),
        Mistake("the fit used log10 and then exp: use the natural log `np.log` with `np.exp` (or "
                "log10 with `10 ** slope`).",
                lambda norms: float(np.exp(_fit(norms, y="log10")[0]))),
        Mistake("the factor comes from the two end points only. Fit a least-squares line "
                "through all the points (distances 1 .. T-1): it averages out the noise.",
                _endpoints),
        Mistake("that is the mean of the ratios of neighbouring norms. Fit a least-squares line "
                "through log norm against distance and return exp(slope).",
                _mean_ratio),
        Mistake("x and y are swapped: `np.polyfit(x, y, 1)` fits y = slope · x + intercept, with "
                "x the distance and y the log norm.",
                lambda norms: float(np.exp(np.polyfit(
                    np.log(np.asarray(norms, float)[:-1]),
                    np.arange(len(norms))[::-1][:-1], 1)[0]))),
    ],
)


# --- Exercise 5: training on the recall task --------------------------------------------------
def reference_train_recall(model, task, distance, steps, clip, lr, generator):
    """Plain SGD with global-norm clipping (the same loop as labs/solutions/lab3.py)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        ids, labels = task.sample(32, distance, generator)
        logits = model(ids)
        loss = F.cross_entropy(logits, labels.to(logits.device))
        optimizer.zero_grad()
        loss.backward()
        if clip is not None:
            params = [p for p in model.parameters() if p.grad is not None]
            clipped = reference_clip_by_norm([p.grad.cpu().numpy() for p in params], clip)
            for p, g in zip(params, clipped):
                p.grad.copy_(torch.as_tensor(g))
        optimizer.step()
        losses.append(loss.item())
    return losses


PROBE_TASK = dict(n_keys=3, n_distractors=4)


class GradientSpy:
    """Watches one model's training: for every ``optimizer.step()``, the gradients the optimizer
    is about to apply next to those the latest ``loss.backward()`` produced, how many backward
    passes ran since the previous step, and, in ``events``, every batch the task drew, every
    call of the model (its input, train or eval mode) and every step, in order.

    Use as a context manager; the hooks are removed on exit.
    """

    def __init__(self, model: torch.nn.Module):
        self.model = model
        self.params = list(model.parameters())
        self.ids = {id(p) for p in self.params}
        self.raw: dict[int, torch.Tensor] = {}
        self.backwards: dict[int, int] = {}          # backward passes per parameter, this step
        self.updates: list[dict] = []
        self.events: list[tuple] = []
        self.handles = []

    def __enter__(self):
        for p in self.params:
            self.handles.append(p.register_hook(self._remember(p)))
        self.handles.append(register_optimizer_step_pre_hook(self._on_step))
        self.handles.append(self.model.register_forward_pre_hook(self._on_forward))
        return self

    def __exit__(self, *exc):
        for handle in self.handles:
            handle.remove()

    def _remember(self, p):
        def hook(grad):
            self.raw[id(p)] = grad.detach().clone()
            self.backwards[id(p)] = self.backwards.get(id(p), 0) + 1
        return hook

    def _on_forward(self, module, args):
        if not torch.is_grad_enabled():
            return                                   # an evaluation, not a training step
        ids = args[0] if args else None
        self.events.append(("forward", ids.detach().clone() if torch.is_tensor(ids) else None,
                            module.training))

    def on_sample(self, n, distance, generator, ids):
        if torch.is_grad_enabled():                  # batches for an evaluation don't count
            self.events.append(("sample", n, distance, generator, ids.clone()))

    def _on_step(self, optimizer, args, kwargs):
        params = [p for group in optimizer.param_groups for p in group["params"]]
        if not any(id(p) in self.ids for p in params):
            return                                   # some other model's optimizer
        backwards, self.backwards = max(self.backwards.values(), default=0), {}
        has_grad = [p for p in self.params if p.grad is not None]
        used = [p for p in has_grad if id(p) in self.raw]
        raw = torch.cat([self.raw[id(p)].flatten() for p in used]) if used else torch.zeros(1)
        applied = torch.cat([p.grad.detach().flatten() for p in used]) if used else torch.zeros(1)
        fresh = torch.cat([self.raw[id(p)].flatten() for p in self.params
                           if id(p) in self.raw]) if self.raw else torch.zeros(1)
        cosine = float(F.cosine_similarity(raw.double(), applied.double(), dim=0))
        self.updates.append({
            "optimizer": type(optimizer).__name__, "lr": optimizer.param_groups[0].get("lr"),
            "covers_model": self.ids <= {id(p) for p in params},
            "raw_norm": float(raw.double().norm()), "applied_norm": float(applied.double().norm()),
            "cosine": cosine,
            "same": bool(torch.allclose(raw, applied, rtol=1e-5, atol=1e-7)),
            "backwards": backwards, "produced_norm": float(fresh.double().norm()),
            "grads_left": len(has_grad),
        })
        self.events.append(("step", len(self.updates) - 1))


class TaskSpy:
    """Stands in for the task: draws the same batches, and tells the spy about every draw."""

    def __init__(self, task, spy: GradientSpy):
        self._task, self._spy = task, spy

    def __getattr__(self, name):
        return getattr(self._task, name)

    def sample(self, n, distance, generator=None):
        ids, labels = self._task.sample(n, distance, generator)
        self._spy.on_sample(n, distance, generator, ids)
        return ids, labels


def _probe_model(seed: int):
    task = tasks.RecallTask(**PROBE_TASK)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = models.SequenceClassifier(task.vocab_size, task.n_keys, hidden_size=16,
                                          cell="rnn", embedding_dim=8, backend="torch")
    return model, task


def _check_steps(updates: list[dict], steps: int, lr: float) -> None:
    """Every update: one plain SGD step with the given lr, covering the whole model."""
    if not updates:
        raise CheckFailed("No optimizer step was seen. Create `optimizer = "
                          "torch.optim.SGD(model.parameters(), lr=lr)` and call "
                          "`optimizer.step()` once per training step.")
    first = updates[0]
    if first["optimizer"] != "SGD":
        raise CheckFailed(f"The optimizer is {first['optimizer']}; this lab uses plain SGD, "
                          "`torch.optim.SGD(model.parameters(), lr=lr)`. (Adam rescales every "
                          "gradient itself, which would hide what clipping does.)")
    if not first["covers_model"]:
        raise CheckFailed("The optimizer doesn't update every parameter of the model: give it "
                          "`model.parameters()`.")
    if first["lr"] is None or not math.isclose(first["lr"], lr, rel_tol=1e-9):
        raise CheckFailed(f"The optimizer's learning rate is {first['lr']}, but `lr` was {lr}: "
                          "use the argument, `torch.optim.SGD(model.parameters(), lr=lr)`.")
    if len(updates) != steps:
        raise CheckFailed(f"{len(updates)} optimizer steps for `steps={steps}`: one update "
                          "per training step.")


def _run_training(call, seed: int, steps: int, clip, lr: float = 0.5, distance: int = 1,
                  generator_seed: int = 0, spied=False):
    """Train a fresh probe model; return (losses, updates seen by the spy), and with
    ``spied`` also the spy and the generator passed in."""
    model, task = _probe_model(seed)
    generator = torch.Generator().manual_seed(generator_seed)
    with torch.random.fork_rng(devices=[]), GradientSpy(model) as spy:
        got = call(model, TaskSpy(task, spy), distance, steps, clip, lr, generator)
    if spied:
        return returned_losses(got, steps, "train_recall"), spy, generator
    return returned_losses(got, steps, "train_recall"), spy.updates


BATCH = "`ids, labels = task.sample(32, distance, generator)`"
ORDER = ("`optimizer.zero_grad()`, then `loss.backward()`, then (clipping and) "
         "`optimizer.step()`")


def _examine_batches(spy: GradientSpy, steps: int, distance: int, generator) -> None:
    """One new batch of 32 per step, drawn with the given distance and generator, and fed to
    the model at that step."""
    samples = [e for e in spy.events if e[0] == "sample"]
    if not samples:
        raise CheckFailed(f"`task.sample` was never called: draw a new batch at every step, "
                          f"{BATCH}.")
    _, n, d, g, _ = samples[0]
    if n != 32:
        raise CheckFailed(f"The batches hold {n} sequences; the exercise asks for 32 at every "
                          f"step: {BATCH}.")
    if d != distance:
        raise CheckFailed(f"The batches were drawn at distance {d!r}, but `distance` was "
                          f"{distance}: use the argument, {BATCH}.")
    if g is not generator:
        what = "no generator" if g is None else "another generator"
        raise CheckFailed(f"The batches were drawn with {what}, not with the `generator` "
                          f"passed in, so a run can't be reproduced from its seed: {BATCH}.")
    if len(samples) == 1 and steps > 1:
        raise CheckFailed(f"One batch was drawn for all {steps} steps: the loop trains on the "
                          f"same 32 sequences again and again. Draw a new batch inside the "
                          f"loop, at every step: {BATCH}.")
    if len(samples) != steps:
        raise CheckFailed(f"{len(samples)} batches were drawn for {steps} steps: draw exactly "
                          f"one per step, {BATCH}, and train on it.")
    if all(torch.equal(samples[0][4], e[4]) for e in samples[1:]):
        raise CheckFailed("Every step drew the very same batch: the generator was re-seeded (or "
                          "re-created) inside the loop. Seed it once, outside, and let "
                          f"{BATCH} carry its random state from step to step.")
    latest, fed = None, []
    for event in spy.events:
        if event[0] == "sample":
            latest = event[4]
        elif event[0] == "forward" and event[1] is not None and latest is not None:
            fed.append(torch.equal(event[1].cpu(), latest))
    if fed and not all(fed):
        raise CheckFailed("The model was called on something other than the batch just drawn: "
                          "compute the loss on this step's `ids`, "
                          "`F.cross_entropy(model(ids), labels)`.")


def _examine_order(spy: GradientSpy) -> None:
    """zero_grad -> backward -> step at every step, and the model in train mode."""
    for number, u in enumerate(spy.updates, 1):
        where = f"At step {number}"
        if u["backwards"] == 0:
            raise CheckFailed(
                f"{where}, `optimizer.step()` ran before any `loss.backward()` of that step, so it "
                "updated with no gradient (or with the previous step's): call `loss.backward()` "
                f"BEFORE `optimizer.step()`. The order is {ORDER}.")
        if u["backwards"] > 1:
            raise CheckFailed(
                f"{where}, `loss.backward()` ran {u['backwards']} times before `optimizer.step()`, "
                "so the gradients were added up twice: call it once per step. The order is "
                f"{ORDER}.")
        if u["produced_norm"] > 0 and u["applied_norm"] == 0:
            raise CheckFailed(
                f"{where}, the gradients were zero when `optimizer.step()` ran, although "
                "`loss.backward()` had just computed them: `zero_grad()` came AFTER "
                "`loss.backward()` and wiped them, so every update is zero and nothing is "
                f"learned. The order is {ORDER}.")
        if not u["same"] and u["applied_norm"] > u["raw_norm"] * (1 + 1e-4):
            raise CheckFailed(
                f"{where}, the optimizer used gradients larger than those of the step's own "
                "loss: the gradients pile up from step to step. Call `optimizer.zero_grad()` "
                f"before every `loss.backward()`. The order is {ORDER}.")
    modes = [e[2] for e in spy.events if e[0] == "forward"]
    if modes and not all(modes):
        cause = ("something in the loop called `model.eval()` (an evaluation?) and never "
                 "`model.train()` again")
        raise CheckFailed(
            f"The model was in eval mode for {modes.count(False)} of its {len(modes)} training "
            f"calls: {cause}. Train in train mode: dropout and batch norm behave differently in "
            "eval mode. Call `model.train()` before the training steps.")


def _probe_what_the_loop_does(seed: int) -> Probe:
    steps, lr, distance = 6, 0.5, 3

    def run(call):
        _, spy, generator = _run_training(call, seed, steps, clip=None, lr=lr, distance=distance,
                                          generator_seed=3, spied=True)
        _examine_batches(spy, steps, distance, generator)
        _check_steps(spy.updates, steps, lr)
        _examine_order(spy)
    return Probe(f"what the loop does ({steps} steps, distance {distance}): one new batch "
                 f"`task.sample(32, distance, generator)` per step, zero_grad -> backward -> "
                 "step, train mode", run)


def _probe_loss_falls(seed: int) -> Probe:
    steps, lr = 60, 0.5

    def run(call):
        losses, updates = _run_training(call, seed, steps, clip=None, lr=lr)
        _check_steps(updates, steps, lr)
        if not all(u["same"] for u in updates):
            grew = [u for u in updates if not u["same"] and u["applied_norm"] > u["raw_norm"]]
            if grew:
                raise CheckFailed(
                    "With `clip=None` the optimizer used gradients larger than those of the "
                    "step's own loss: the gradients pile up from step to step. Call "
                    "`optimizer.zero_grad()` before every `loss.backward()`.")
            raise CheckFailed("With `clip=None` the gradients must reach the optimizer as "
                              "`loss.backward()` left them; yours were changed. Clip only when "
                              "`clip is not None`.")
        if not all(math.isfinite(x) for x in losses):
            raise CheckFailed("The losses contain NaN or inf on an easy task with a modest "
                              "learning rate.")
        start, end = np.mean(losses[:10]), np.mean(losses[-10:])
        chance = math.log(PROBE_TASK["n_keys"])
        if not end < min(start, chance) - 0.4:
            raise CheckFailed(
                f"The loss doesn't fall on an easy task (distance 1, {steps} steps, lr {lr}): "
                f"{start:.3f} over the first 10 steps, {end:.3f} over the last 10 (chance level "
                f"is ln {PROBE_TASK['n_keys']} = {chance:.3f}). Is the loss "
                "`F.cross_entropy(model(ids), labels)` on a new batch "
                "`task.sample(32, distance, generator)` at every step?")
    return Probe("the loss falls at distance 1 (clip=None: gradients untouched)", run)


def _probe_generator(seed: int) -> Probe:
    def run(call):
        first, _ = _run_training(call, seed, 5, clip=None, generator_seed=1)
        again, _ = _run_training(call, seed, 5, clip=None, generator_seed=1)
        other, _ = _run_training(call, seed, 5, clip=None, generator_seed=2)
        if first != again:
            raise CheckFailed("Two runs from the same model and the same `generator` seed gave "
                              "different losses: draw every batch with the generator, "
                              "`task.sample(32, distance, generator)`.")
        if first == other:
            raise CheckFailed("Runs with differently seeded generators gave identical losses: "
                              "is `generator` ignored, or the random seed reset inside the "
                              "function? Draw every batch with `task.sample(32, distance, "
                              "generator)`.")
    return Probe("batches drawn with the given generator", run)


def _probe_clipping(seed: int, clip: float, label: str) -> Probe:
    steps, lr = 12, 0.5

    def run(call):
        _, updates = _run_training(call, seed, steps, clip=clip, lr=lr)
        _check_steps(updates, steps, lr)
        for number, u in enumerate(updates, 1):
            expected = min(u["raw_norm"], clip)
            where = (f"At step {number} the gradient's global norm was {u['raw_norm']:.4g} "
                     f"(clip={clip:g}); the optimizer used gradients of norm "
                     f"{u['applied_norm']:.4g}")
            if u["raw_norm"] > clip and u["same"]:
                raise CheckFailed(
                    where + ": not clipped. Clip after `loss.backward()` and before "
                    "`optimizer.step()`, and write the clipped values back into `p.grad` "
                    "(`p.grad.copy_(torch.as_tensor(g))`): a clipped copy in a list of your own "
                    "changes nothing.")
            if u["cosine"] < 1 - 1e-6 and u["applied_norm"] > 0:
                raise CheckFailed(where + f", pointing in another direction (cosine "
                                  f"{u['cosine']:.4f}). Clip by norm, with your `clip_by_norm`: "
                                  "it scales all gradients by one factor and keeps the "
                                  "direction; clipping by value does not.")
            if not math.isclose(u["applied_norm"], expected, rel_tol=1e-4, abs_tol=1e-7):
                raise CheckFailed(where + f"; expected {expected:.4g} = min(norm, clip). Scale "
                                  "all the gradients of the model together, by clip / norm, "
                                  "only when norm > clip.")
    return Probe(label, run)


def _train_probes(rng) -> list[Probe]:
    seed = int(rng.integers(1000))
    return [
        _probe_what_the_loop_does(seed),
        _probe_loss_falls(seed),
        _probe_generator(seed),
        _probe_clipping(seed, 0.05, "clip=0.05 (below every gradient norm): clipped to norm "
                                    "0.05, direction kept"),
        _probe_clipping(seed, 1e4, "clip=1e4 (above every gradient norm): gradients untouched"),
    ]


TRAIN_HINTS = [
    (r"NoneType' and 'float'|'float' and 'NoneType'|NoneType.*not supported|not supported.*None",
     "`clip=None` means: don't clip. Clip only `if clip is not None`."),
    (r"numpy\(\)", "Convert a gradient for numpy with `p.grad.cpu().numpy()` (`p.grad` itself "
                   "needs no grad; `p.numpy()` on a parameter fails)."),
    (r"does not require grad|no grad_fn", "The loss must come from the model's output: "
                                          "`F.cross_entropy(model(ids), labels)`, not under "
                                          "`torch.no_grad()`."),
    (r"Expected .*Long|expected scalar type Long|Float.*Long", "The labels are class indices "
                                                              "(integers): "
                                                              "`F.cross_entropy(logits, labels)`."),
    (r"backward through the graph a second time", "Call `loss.backward()` once per step, on "
                                                  "that step's loss. The order is " + ORDER + "."),
]


check_train_recall = PropertyCheck(
    "train_recall", reference_train_recall,
    ["model", "task", "distance", "steps", "clip", "lr", "generator"],
    _train_probes, depends_on=[check_clip_by_norm], error_hints=TRAIN_HINTS)

with_edges(check_train_recall, time_limit_s=10.0,
           slow_tip="Each of the check's trainings is only 5 to 60 steps of a tiny model.")
CHECKS = {check.name: with_edges(check) for check in (
    check_clip_by_value, check_clip_by_norm, check_hidden_gradient_norms, check_decay_factor,
    check_train_recall)}
