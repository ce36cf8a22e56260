"""Checks for Lab 8, "Build a parallel RNN".

    from utils.checks.lab8 import check_mingru_step
    check_mingru_step(mingru_step)      # -> a green, grey or red box

Six exercises, all with float64 torch tensors, batch first:

* ``mingru_step(x_t, h_prev, U, b)`` and ``mingru_sequence(xs, h0, U, b)``: minGRU in the
  course's GRU convention (Γu weights the NEW candidate): Γu = σ(U_u x_t + b_u),
  c̃_t = U_c x_t + b_c (no tanh), h_t = Γu ⊙ c̃_t + (1 − Γu) ⊙ h_{t-1}; U (2J, D) holds the
  blocks u then c, b (2J,). Non-zero initial states, D != J, and a case with D = 2J, where a
  transposed U gives numbers instead of a size error (and is named).
* ``combine(left, right)``: two steps (α, β) as one, "apply left, then right":
  (α_r ⊙ α_l, α_r ⊙ β_l + β_r). ``scan(alpha, beta, h0)``: the Hillis-Steele rounds built
  from the learner's ``combine``, compared with ``utils.scan.linear_recurrence`` in value on
  T = 8, 5, 13, 1, 2 (powers of two and not), in gradient (autograd through the rounds: an
  in-place write that breaks it is named), and in depth: the learner's ``combine`` is
  counted while ``scan`` runs, ceil(log2 T) calls for T steps.
* ``log_space_coefficients(a_u, a_c)``: from the update gate's pre-activation
  a_u = U_u x_t + b_u and the candidate's a_c = U_c x_t + b_c, (log α, log β) =
  (−softplus(a_u), −softplus(−a_u) + log g(a_c)), g(v) = v + 1/2 (v ≥ 0), σ(v) (v < 0), on
  inputs with very large |a_u| and negative a_c, so a log of a negative number (NaN) or a
  direct log(1 − σ(a_u)) (−inf) is named from where the non-finite entries sit.
* ``generate(model, prompt_ids, n, generator)``: judged by what it does, on a spy model
  whose logits are a fixed function of everything it has read (its state is that history),
  which logs every call: one warm-up on the whole prompt, then ONE token per ``step`` with
  the state carried; the draws must equal the reference sampler's with the same generator.

No check touches the global torch random generator.
"""
from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch.nn import functional as F

from ..scan import linear_recurrence
from .core import (Case, CheckFailed, HintedCheck, Mistake, Probe, PropertyCheck,
                   call_learner, describe_difference, values_match)
from .edges import again_with_new_values, with_edges


class ForkRngCheck(HintedCheck):
    """A ``HintedCheck`` that runs inside ``torch.random.fork_rng``: a learner's code that draws
    random numbers must not change the notebook's next draws."""

    def _run(self, fn) -> None:
        with torch.random.fork_rng(devices=[]):
            super()._run(fn)


class ForkRngPropertyCheck(PropertyCheck):
    """The same for a ``PropertyCheck``."""

    def _run(self, fn) -> None:
        with torch.random.fork_rng(devices=[]):
            super()._run(fn)


def _t(array) -> torch.Tensor:
    return torch.from_numpy(np.asarray(array, dtype=np.float64))


# --- Exercise 1: the minGRU step and sequence ------------------------------------------------
def _step(x_t, h_prev, U, b, *, flip=False, candidate=None, swap_blocks=False, gate=torch.sigmoid,
          old="scaled", bias=True, transpose_U=False):
    """One minGRU step with one typical mistake switched on (the defaults compute it right).

    flip: Γu on the old state. candidate: an activation on c̃ (tanh: the GRU's).
    swap_blocks: u and c read from the wrong halves of U, b. gate: σ, or a mistake.
    old: "scaled" (1 − Γu) h_prev, "dropped", "unscaled". transpose_U: x_t @ U (D = 2J only).
    """
    J = h_prev.shape[-1]
    pre = (x_t @ U if transpose_U else x_t @ U.T) + (b if bias else 0 * b)    # (B, 2J)
    a_u, a_c = pre[:, :J], pre[:, J:]                                        # pre-activations
    if swap_blocks:
        a_u, a_c = a_c, a_u
    gate_u = gate(a_u)                                                       # Γu (B, J)
    c_tilde = a_c if candidate is None else candidate(a_c)                   # c̃ (B, J)
    if flip:
        return (1 - gate_u) * c_tilde + gate_u * h_prev
    kept = {"scaled": (1 - gate_u) * h_prev, "dropped": 0 * h_prev, "unscaled": h_prev}[old]
    return gate_u * c_tilde + kept


def reference_mingru_step(x_t, h_prev, U, b):
    """Γu = σ(U_u x_t + b_u), c̃ = U_c x_t + b_c, h_t = Γu ⊙ c̃ + (1 − Γu) ⊙ h_prev.
    x_t (B, D), h_prev (B, J), U (2J, D), b (2J,) -> h_t (B, J)."""
    return _step(x_t, h_prev, U, b)


def _sequence(xs, h0, U, b, *, step=_step, start="given", carry=True, reverse=False,
              store="after"):
    """minGRU over a sequence with one typical mistake switched on (defaults: right)."""
    h = h0 if start == "given" else 0 * h0
    hs = []
    steps = range(xs.shape[1] - 1, -1, -1) if reverse else range(xs.shape[1])
    for t in steps:
        before = h
        h = step(xs[:, t], h if carry else h0, U, b)
        hs.append(before if store == "before" else h)
    if reverse:
        hs = hs[::-1]
    return torch.stack(hs, dim=1)                                            # (B, T, J)


def reference_mingru_sequence(xs, h0, U, b):
    """h_1 .. h_T from h0, one step after another. xs (B, T, D), h0 (B, J) -> (B, T, J)."""
    return _sequence(xs, h0, U, b)


def _weights(rng, D: int, J: int):
    U = _t(rng.normal(0.0, 1.5 / np.sqrt(D), size=(2 * J, D)))
    b = _t(rng.normal(0.0, 0.8, size=2 * J))
    return U, b


def _state(rng, B: int, J: int) -> torch.Tensor:
    """Well away from 0 in every unit, mixed signs."""
    return _t(rng.uniform(0.2, 0.95, size=(B, J)) * rng.choice([-1.0, 1.0], size=(B, J)))


STEP_SIZES = (  # B, D, J, label
    (3, 8, 4, "D = 2J, so a transposed U fits"),
    (2, 3, 4, "non-square sizes"),
    (1, 1, 2, "one sequence with one input (B=1, D=1)"),
    (2, 5, 3, "other non-square sizes"),
)


def _step_cases(rng) -> list[Case]:
    cases = []
    for B, D, J, label in STEP_SIZES:
        U, b = _weights(rng, D, J)
        cases.append(Case({"x_t": _t(rng.normal(size=(B, D))), "h_prev": _state(rng, B, J),
                           "U": U, "b": b}, {"B": B, "D": D, "J": J, "2J": 2 * J}, label))
    return cases


MINGRU = "Γu = σ(U_u x_t + b_u), c̃_t = U_c x_t + b_c, h_t = Γu ⊙ c̃_t + (1 − Γu) ⊙ h_prev"
FLIPPED = ("the gate is on the wrong side: Γu weights the NEW candidate and 1 − Γu the old "
           "state, h_t = Γu ⊙ c̃_t + (1 − Γu) ⊙ h_prev (the course's GRU convention, Chapter 4).")
TANH = ("the candidate goes through tanh: that is the GRU's candidate. minGRU's candidate is "
        "linear, c̃_t = U_c x_t + b_c, with no tanh (and no W): that is what makes the "
        "recurrence linear in h.")
SWAPPED = ("the two blocks of U are swapped: rows 0:J (and b[:J]) are the gate's, U_u and b_u; "
           "rows J:2J (and b[J:]) the candidate's, U_c and b_c.")
NO_SIGMA = ("the gate has no σ: Γu = σ(U_u x_t + b_u) lies between 0 and 1; without σ the "
            "pre-activation itself weights the candidate.")
DROPPED = ("the old state is dropped: h_t = Γu ⊙ c̃_t forgets h_prev (at the first step, the h_0 "
           "term). The term (1 − Γu) ⊙ h_prev is the memory: " + MINGRU + ".")
UNSCALED = ("the old state is added unscaled: h_t = Γu ⊙ c̃_t + h_prev. It is weighted by "
            "1 − Γu: " + MINGRU + ".")


def _s(**switches):
    return lambda x_t, h_prev, U, b: _step(x_t, h_prev, U, b, **switches)


STEP_MISTAKES = [
    Mistake(FLIPPED, _s(flip=True)),
    Mistake(TANH, _s(candidate=torch.tanh)),
    Mistake(SWAPPED, _s(swap_blocks=True)),
    Mistake(NO_SIGMA, _s(gate=lambda a_u: a_u)),
    Mistake("the gate uses tanh where σ belongs: Γu = σ(U_u x_t + b_u), between 0 (keep the "
            "state) and 1 (take the candidate).", _s(gate=torch.tanh)),
    Mistake(DROPPED, _s(old="dropped")),
    Mistake(UNSCALED, _s(old="unscaled")),
    Mistake("the biases are missing: the gate adds b_u = b[:J], the candidate b_c = b[J:]. "
            "The step is " + MINGRU + ".", _s(bias=False)),
    Mistake("`U` is used transposed: `x_t @ U` multiplies by Uᵀ. U is (2J, D), one row per "
            "output: `x_t @ U.T` gives the (B, 2J) pre-activations.", _s(transpose_U=True)),
    Mistake("the input x_t is ignored: the gate and the candidate both read it; the step is "
            + MINGRU + ".", lambda x_t, h_prev, U, b: _step(0 * x_t, h_prev, U, b)),
]

STEP_SHAPE_TIP = ("`x_t` is (B, D) and U is (2J, D): `x_t @ U.T` is (B, 2J); the gate is its "
                  "first J columns, the candidate its last J (`pre[:, :J]`, `pre[:, J:]`), "
                  "each (B, J) like `h_prev`.")


def _step_shape_hint(name, got, expected, sizes) -> str:
    B, J = sizes["B"], sizes["J"]
    if got == (B, 2 * J):
        return ("That is both blocks at once: split the (B, 2J) pre-activations into the gate's "
                "first J columns and the candidate's last J.")
    if got == (J, B):
        return "It looks transposed: the batch comes first, (B, J), like `h_prev`."
    return ""


check_mingru_step = ForkRngCheck(
    "mingru_step", reference_mingru_step, again_with_new_values(_step_cases),
    output_names="h_t", shape_tip=STEP_SHAPE_TIP, shape_hint=_step_shape_hint,
    in_place_tip=("The caller still needs it: `h = h_prev` followed by `h *= ...` writes into "
                  "`h_prev` itself. Build a new tensor: "
                  "`h_t = gate * c_tilde + (1 - gate) * h_prev`."),
    hints=[(r"mat1 and mat2 shapes cannot be multiplied",
            "U is (2J, D), one row per pre-activation: `x_t @ U.T` is (B, D) times (D, 2J), "
            "the (B, 2J) pre-activations of the gate and the candidate."),
           (r"chunk|split", "Split the pre-activations along the LAST axis, "
                            "`pre[:, :J]` and `pre[:, J:]` (or `pre.chunk(2, dim=-1)`).")],
    mistakes=STEP_MISTAKES)


SEQ_SIZES = (  # B, T, D, J, label
    (2, 5, 3, 4, "non-square sizes, non-zero h0"),
    (1, 1, 2, 3, "one step (T=1)"),
    (3, 6, 4, 2, "more inputs than units"),
    (2, 4, 6, 3, "D = 2J"),
)


def _seq_cases(rng) -> list[Case]:
    cases = []
    for B, T, D, J, label in SEQ_SIZES:
        U, b = _weights(rng, D, J)
        cases.append(Case({"xs": _t(rng.normal(size=(B, T, D))), "h0": _state(rng, B, J),
                           "U": U, "b": b}, {"B": B, "T": T, "D": D, "J": J}, label))
    return cases


def _q(**switches):
    return lambda xs, h0, U, b: _sequence(xs, h0, U, b, **switches)


SEQ_MISTAKES = [
    Mistake("the loop starts from zeros, not from `h0`: the first step is "
            "h_1 = Γu ⊙ c̃_1 + (1 − Γu) ⊙ h_0, with the h_0 the function is given (the check's is "
            "not zero).", _q(start="zeros")),
    Mistake("every step starts from `h0`: the state is not carried. Each step reads the state "
            "the step before returned: `h = mingru_step(xs[:, t], h, U, b)`.", _q(carry=False)),
    Mistake("the steps run backwards in time: `hs[:, t]` is the state after reading "
            "`xs[:, 0]` ... `xs[:, t]`, from t = 0 up.", _q(reverse=True)),
    Mistake("each step stores the state BEFORE the update: `hs[:, 0]` must be h_1 (after "
            "reading `xs[:, 0]`), not h_0. Append the new state.", _q(store="before")),
    *[Mistake(m.description, (lambda v: lambda xs, h0, U, b: _sequence(xs, h0, U, b, step=v))(
        m.variant)) for m in STEP_MISTAKES[:4]],
]


def _seq_shape_hint(name, got, expected, sizes) -> str:
    B, T, J = sizes["B"], sizes["T"], sizes["J"]
    if got == (B, J):
        return ("That is one state, the last one: return the state of EVERY step, (B, T, J), "
                "`torch.stack(hs, dim=1)`.")
    if got == (B, T + 1, J):
        return "One step too many: `hs` holds h_1 ... h_T; don't store `h0`."
    if got == (T, B, J):
        return "The steps are stacked on the first axis: `torch.stack(hs, dim=1)` gives (B, T, J)."
    return ""


check_mingru_sequence = ForkRngCheck(
    "mingru_sequence", reference_mingru_sequence, again_with_new_values(_seq_cases),
    output_names="hs", depends_on=[check_mingru_step], shape_hint=_seq_shape_hint,
    shape_tip="`xs[:, t]` is (B, D), the state (B, J); stack the T states on axis 1.",
    hints=[(r"stack expects a non-empty", "The list of states is empty: append the state of "
            "every step inside the loop.")],
    mistakes=SEQ_MISTAKES)


# --- Exercise 2: combine and the scan -----------------------------------------------------------
def _combine(left, right, *, order="right", mistake=None):
    """combine with one typical mistake switched on (defaults: right)."""
    (a_l, b_l), (a_r, b_r) = (right, left) if order == "swapped" else (left, right)
    if mistake == "no_scale":
        return a_r * a_l, b_l + b_r
    if mistake == "no_right_beta":
        return a_r * a_l, a_r * b_l
    if mistake == "alpha_sum":
        return a_l + a_r, a_r * b_l + b_r
    if mistake == "alpha_right":
        return a_r, a_r * b_l + b_r
    if mistake == "wrong_alpha":
        return a_r * a_l, a_l * b_l + b_r
    if mistake == "swap_return":
        return a_r * b_l + b_r, a_r * a_l
    return a_r * a_l, a_r * b_l + b_r


def reference_combine(left, right):
    """(α_l, β_l) then (α_r, β_r): h -> α_r (α_l h + β_l) + β_r = (α_r α_l) h + (α_r β_l + β_r)."""
    return _combine(left, right)


def _pair(rng, shape):
    alpha = rng.uniform(0.3, 1.3, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return _t(alpha), _t(rng.normal(size=shape))


COMBINE_SHAPES = (((2, 3), "one step per sequence, (B, J)"),
                  ((2, 4, 3), "a whole sequence of pairs, (B, T, J)"),
                  ((1, 1), "a single number each"),
                  ((3, 2), "(B, J) = (3, 2)"))


def _combine_cases(rng) -> list[Case]:
    return [Case({"left": _pair(rng, shape), "right": _pair(rng, shape)},
                 dict(zip("BTJ" if len(shape) == 3 else "BJ", shape)), label)
            for shape, label in COMBINE_SHAPES]


COMBINE_RULE = ("Apply left, then right: h -> α_r (α_l h + β_l) + β_r, so "
                "(α, β) = (α_l α_r, α_r β_l + β_r)")


def _c(**switches):
    return lambda left, right: _combine(left, right, **switches)


COMBINE_MISTAKES = [
    Mistake("combine is in the wrong order: it applies `right` first, then `left`. "
            + COMBINE_RULE + "; the order matters.", _c(order="swapped")),
    Mistake("β_l is not scaled by α_r: the left step's β passes through the right step's "
            "retention on its way. " + COMBINE_RULE + ".", _c(mistake="no_scale"),
            keys=("beta",)),
    Mistake("β_r is missing: the right step adds its own input term at the end. "
            + COMBINE_RULE + ".", _c(mistake="no_right_beta"), keys=("beta",)),
    Mistake("the α's are added: two retentions in a row multiply (keep half, then half of "
            "that). " + COMBINE_RULE + ".", _c(mistake="alpha_sum"), keys=("alpha",)),
    Mistake("α is α_r alone: the combined step keeps what BOTH steps keep, α_l α_r.",
            _c(mistake="alpha_right"), keys=("alpha",)),
    Mistake("β_l is scaled by α_l, its own step's retention: it is scaled by the step that "
            "comes AFTER it, α_r. " + COMBINE_RULE + ".", _c(mistake="wrong_alpha"),
            keys=("beta",)),
    Mistake("the pair is returned as (β, α): return `(alpha, beta)`, retention first.",
            _c(mistake="swap_return")),
]

check_combine = ForkRngCheck(
    "combine", reference_combine, again_with_new_values(_combine_cases),
    output_names=("alpha", "beta"),
    in_place_tip=("combine must not change the pairs it is given (the scan still reads them): "
                  "`alpha_l *= alpha_r` writes into `left`. Build new tensors."),
    hints=[(r"cannot unpack|not enough values|too many values",
            "`left` and `right` are pairs: `alpha_l, beta_l = left`.")],
    mistakes=COMBINE_MISTAKES)


def _scan(alpha, beta, h0, *, rounds="ceil", first_shift=1, offset=0, fold="right",
          order="right", returns="beta", combine=None):
    """Hillis-Steele with one typical mistake switched on (defaults: right).

    rounds: "ceil" (ceil(log2 T)), "short" (one fewer), "floor" (floor(log2 T)).
    first_shift: 1 (right) or 2. offset: 0, or 1 (the earlier pair read at t - s + 1).
    fold: "right" β_1 <- α_1 h0 + β_1, "none" (zeros), "plain" β_1 <- β_1 + h0.
    order: "right" combine(earlier, later), "swapped". returns: "beta" or "alpha".
    """
    combine = combine or reference_combine
    T = alpha.shape[1]
    if fold == "right":
        beta = torch.cat([alpha[:, :1] * h0[:, None] + beta[:, :1], beta[:, 1:]], dim=1)
    elif fold == "plain":
        beta = torch.cat([beta[:, :1] + h0[:, None], beta[:, 1:]], dim=1)
    n = {"ceil": math.ceil(math.log2(T)) if T > 1 else 0,
         "floor": int(math.log2(T)) if T > 1 else 0}.get(rounds)
    if rounds == "short":
        n = max(0, (math.ceil(math.log2(T)) if T > 1 else 0) - 1)
    shift = first_shift
    for _ in range(n):
        if shift >= T:
            break
        lo = shift - offset
        earlier = (alpha[:, shift - lo:T - lo], beta[:, shift - lo:T - lo])
        later = (alpha[:, shift:], beta[:, shift:])
        new = combine(earlier, later) if order == "right" else combine(later, earlier)
        alpha = torch.cat([alpha[:, :shift], new[0]], dim=1)
        beta = torch.cat([beta[:, :shift], new[1]], dim=1)
        shift *= 2
    return beta if returns == "beta" else alpha


def reference_scan(alpha, beta, h0):
    """utils.scan.linear_recurrence: h_t = α_t ⊙ h_{t-1} + β_t from h0. (B, T, J) -> (B, T, J)."""
    return linear_recurrence(alpha, beta, h0)


SCAN_SIZES = (  # B, T, J, label
    (2, 8, 3, "T = 8, a power of two"),
    (3, 5, 2, "T = 5, not a power of two"),
    (2, 13, 4, "T = 13"),
    (2, 1, 3, "one step (T=1): no rounds"),
    (1, 2, 5, "T = 2, one round"),
)


def _scan_inputs(rng, B, T, J):
    alpha, beta = _pair(rng, (B, T, J))
    return alpha, beta, _state(rng, B, J)


def _scan_cases(rng) -> list[Case]:
    cases = []
    for B, T, J, label in SCAN_SIZES:
        alpha, beta, h0 = _scan_inputs(rng, B, T, J)
        cases.append(Case({"alpha": alpha, "beta": beta, "h0": h0},
                          {"B": B, "T": T, "J": J}, label))
    return cases


def _k(**switches):
    return lambda alpha, beta, h0: _scan(alpha, beta, h0, **switches)


SCAN_MISTAKES = [
    Mistake("the number of rounds is floor(log2 T): right when T is a power of two, one round "
            "short otherwise. Each round doubles the steps a position covers; keep going while the offset is "
            "below T (`while shift < T`), which is ceil(log2 T) rounds.", _k(rounds="floor")),
    Mistake("one round short: after the rounds, position t must hold ALL steps 1..t. With "
            "offsets 1, 2, 4, ... keep going while the offset is below T (`while shift < T`): "
            "ceil(log2 T) rounds.", _k(rounds="short")),
    Mistake("the offsets start at 2: the first round combines each pair with its direct "
            "neighbour (offset 1), then 2, 4, 8, ...", _k(first_shift=2)),
    Mistake("off by one in the shift: a round with offset `shift` combines position t with "
            "position t − shift, not t − shift + 1. With `alpha[:, shift:]` as the later pairs, "
            "the earlier ones are `alpha[:, :-shift]` (or `alpha[:, :T - shift]`).",
            _k(offset=1)),
    Mistake("h0 is not folded in: the result is the scan from zeros. Before the rounds, make "
            "h_0 part of the first step: β_1 ← α_1 ⊙ h_0 + β_1.", _k(fold="none")),
    Mistake("h0 is added to β_1 without α_1: the first step maps h_0 to α_1 ⊙ h_0 + β_1, "
            "so β_1 ← α_1 ⊙ h_0 + β_1.", _k(fold="plain")),
    Mistake("combine gets its arguments in the wrong order inside the rounds: the EARLIER "
            "pairs (position t − shift) come first, `combine((alpha[:, :-shift], "
            "beta[:, :-shift]), (alpha[:, shift:], beta[:, shift:]))`: apply the earlier "
            "steps, then the later ones.",
            _k(order="swapped")),
    Mistake("the α part was returned: after the rounds, the β of position t is h_t (the "
            "composition of steps 1..t applied to the folded-in h_0); α is only the product "
            "of the retentions.", _k(returns="alpha")),
]


def _seeded(seed: int):
    return np.random.default_rng(seed)


def _gradient_probe(call, rng) -> None:
    """The scan's gradients with respect to α, β and h0 equal the loop's."""
    for B, T, J in ((2, 6, 3), (1, 8, 2)):
        alpha, beta, h0 = _scan_inputs(rng, B, T, J)
        weights = _t(rng.normal(size=(B, T, J)))
        ref = [x.clone().requires_grad_(True) for x in (alpha, beta, h0)]
        (linear_recurrence(*ref) * weights).sum().backward()
        mine = [x.clone().requires_grad_(True) for x in (alpha, beta, h0)]
        got = call(*mine)
        if not isinstance(got, torch.Tensor) or got.shape != (B, T, J):
            raise CheckFailed("`scan` returned something other than one (B, T, J) tensor here.")
        if not got.requires_grad:
            raise CheckFailed(
                "No gradient flows through your `scan`: its result does not depend on α, β and "
                "h0 for autograd. Was something detached (`.detach()`, `.item()`, `.numpy()`, "
                "`torch.tensor(...)` around a tensor, or `torch.no_grad()`)? Build every round "
                "from torch operations on the tensors themselves.")
        try:
            (got * weights).sum().backward()
        except RuntimeError as error:
            if "inplace" in str(error) or "in-place" in str(error):
                raise CheckFailed(
                    "Backpropagating through your `scan` fails: an in-place write changed a "
                    "tensor that autograd still needs (`alpha[:, shift:] = ...` or `*=` on a tensor "
                    "that an earlier round read). Build each round's pairs as NEW tensors, "
                    "e.g. `torch.cat([alpha[:, :s], new_alpha], dim=1)`.") from None
            raise CheckFailed(f"Backpropagating through your `scan` fails: `{error}`.") from None
        for name, r, m in zip(("alpha", "beta", "h0"), ref, mine):
            if m.grad is None:
                raise CheckFailed(f"No gradient reaches `{name}`: the scan's result must depend "
                                  f"on it through torch operations.")
            if not values_match(m.grad, r.grad, 1e-6, 1e-8):
                raise CheckFailed("The values are right but the gradient is not: "
                                  + describe_difference(f"{name}.grad", m.grad, r.grad, 1e-6, 1e-8))


def _counted_rounds(fn, call, alpha, beta, h0):
    """How many times the learner's `combine` runs during one call of their scan."""
    namespace = getattr(fn, "__globals__", None)
    theirs = namespace.get("combine") if namespace is not None else None
    if not callable(theirs):
        return None
    calls = []

    def counting(left, right):
        calls.append(tuple(left[0].shape) if isinstance(left, (tuple, list)) and left
                     and isinstance(left[0], torch.Tensor) else None)
        return theirs(left, right)
    namespace["combine"] = counting
    try:
        call(alpha, beta, h0)
    finally:
        namespace["combine"] = theirs
    return len(calls)


def _rounds_probe(fn):
    def run(call):
        rng = _seeded(7)
        for B, T, J in ((2, 13, 3), (2, 16, 2), (1, 3, 2)):
            wanted = math.ceil(math.log2(T))
            count = _counted_rounds(fn, call, *_scan_inputs(rng, B, T, J))
            if count is None:
                raise CheckFailed("The check counts the rounds through your `combine`, but the "
                                  "notebook has no function `combine`: run Exercise 2's cell.")
            if count == wanted:
                continue
            if count == 0:
                raise CheckFailed(
                    f"Your `scan` never called `combine` (T = {T}). Write each round as ONE call "
                    f"of your `combine` on the whole sequence shifted against itself: the scan "
                    f"takes ceil(log2 T) = {wanted} rounds, and the check counts them through "
                    f"`combine`. (If your code loops over the time steps, that is the "
                    f"sequential recurrence, T = {T} steps deep, not a scan.)")
            if count >= T - 1:
                raise CheckFailed(
                    f"Your `scan` called `combine` {count} times for T = {T} steps: one call per "
                    f"step (or per position) is the loop again, T deep. The scan needs "
                    f"ceil(log2 T) = {wanted} rounds, each ONE call of `combine` on the whole "
                    "sequence at once (the pairs at t − shift and at t, for every t, as tensors).")
            raise CheckFailed(
                f"Your `scan` called `combine` {count} times for T = {T} steps; Hillis-Steele "
                f"needs ceil(log2 T) = {wanted} rounds, one call each (offsets 1, 2, 4, ... while "
                "the offset is below T).")
    return run


class ScanCheck(ForkRngCheck):
    """The value cases, then the gradient and the number of rounds."""

    def _run(self, fn) -> None:
        super()._run(fn)
        if fn is self.reference:          # the loop itself: what the scan is compared with
            return
        rng = _seeded(3)
        probes = [Probe("gradients equal the loop's", lambda call: _gradient_probe(call, rng)),
                  Probe("ceil(log2 T) rounds", _rounds_probe(fn))]
        for probe in probes:
            try:
                with torch.random.fork_rng(devices=[]):
                    probe.run(self._call(fn))
            except CheckFailed as failure:
                failure.message += f"\n(Failed on the test: {probe.label}.)"
                raise

    def _call(self, fn):
        def call(*args):
            got = call_learner(fn, list(args), self.name)
            if got is None:
                raise CheckFailed("`scan` returned None: is the `return` statement missing?")
            return got
        return call

    def _pass_message(self) -> str:
        return (super()._pass_message()[:-1] + "; and its gradients with respect to α, β and "
                "h0 equal the loop's, in ceil(log2 T) rounds of your `combine`.")


check_scan = ScanCheck(
    "scan", reference_scan, again_with_new_values(_scan_cases),
    output_names="hs", depends_on=[check_combine],
    shape_tip="α, β and the result are (B, T, J), h0 is (B, J): `h0[:, None]` lines it up "
              "with one step, `alpha[:, :1]`.",
    shape_hint=lambda name, got, expected, sizes: (
        "That is one state: return h_t for EVERY t, (B, T, J)." if got == (sizes["B"], sizes["J"])
        else ""),
    hints=[(r"slice step cannot be zero|out of range|size of tensor a .* must match",
            "In the round with offset `shift` (1, 2, 4, ...), the later pairs are "
            "`alpha[:, shift:]`, the earlier ones `alpha[:, :-shift]` (both T − shift long); "
            "the positions before `shift` keep their pair.")],
    in_place_tip=("The caller still needs α and β: `alpha[:, shift:] = ...` writes into the input "
                  "itself. Build each round's pairs as new tensors (`torch.cat`)."),
    mistakes=SCAN_MISTAKES)


# --- Exercise 3: log-space coefficients ---------------------------------------------------------
def _log_g(a_c, *, branches="right", half=True):
    if branches == "swapped":
        return torch.where(a_c >= 0, -F.softplus(-a_c), torch.log(a_c + 0.5))
    if not half:
        return torch.where(a_c >= 0, torch.log(a_c), -F.softplus(-a_c))
    return torch.where(a_c >= 0, torch.log(F.relu(a_c) + 0.5), -F.softplus(-a_c))


def _coefficients(a_u, a_c, *, alpha="right", gate_term=True, log_g=True, swap=False,
                  branches="right", half=True):
    log_alpha = -F.softplus(a_u) if alpha == "right" else -F.softplus(-a_u)
    g = _log_g(a_c, branches=branches, half=half) if log_g else torch.where(
        a_c >= 0, a_c + 0.5, torch.sigmoid(a_c))
    log_beta = (-F.softplus(-a_u) if gate_term else 0 * a_u) + g
    return (log_beta, log_alpha) if swap else (log_alpha, log_beta)


def reference_log_space_coefficients(a_u, a_c):
    """log α = log(1 − σ(a_u)) = −softplus(a_u); log β = log σ(a_u) + log g(a_c) =
    −softplus(−a_u) + log g(a_c), g(v) = v + 1/2 (v ≥ 0), σ(v) (v < 0). a_u, a_c (B, T, J):
    the update gate's and the candidate's pre-activations -> two (B, T, J)."""
    return _coefficients(a_u, a_c)


LOG_SIZES = (  # B, T, J, label, extreme
    (2, 5, 3, "ordinary values, a_c of both signs", False),
    (2, 6, 4, "very large |a_u| (σ(a_u) rounds to 0 or 1) and a_c from −30 to 30", True),
    (1, 3, 2, "one sequence", False),
)


def _log_cases(rng) -> list[Case]:
    cases = []
    for B, T, J, label, extreme in LOG_SIZES:
        a_u = rng.normal(0.0, 3.0, size=(B, T, J))
        a_c = rng.normal(0.0, 2.0, size=(B, T, J))
        if extreme:
            a_u.flat[:4] = [50.0, -50.0, 800.0, -800.0]
            a_c.flat[:3] = [30.0, -30.0, -0.25]
        cases.append(Case({"a_u": _t(a_u), "a_c": _t(a_c)}, {"B": B, "T": T, "J": J}, label))
    return cases


def _l(**switches):
    return lambda a_u, a_c: _coefficients(a_u, a_c, **switches)


G_SWAPPED = ("the two branches of g are swapped: g(v) = v + 1/2 for v ≥ 0, and σ(v) for v < 0 "
             "(which stays positive however negative v is).")
LOG_RULE = ("log α = −softplus(a_u), log β = −softplus(−a_u) + log g(a_c), g(v) = v + 1/2 "
            "(v ≥ 0), σ(v) (v < 0)")
LOG_MISTAKES = [
    Mistake("log α is log σ(a_u) = −softplus(−a_u), the log of the gate Γu: α is the retention, "
            "1 − Γu, so log α = log(1 − σ(a_u)) = −softplus(a_u).", _l(alpha="gate")),
    Mistake("log β lacks the gate: β = Γu ⊙ g(a_c), so log β = log σ(a_u) + log g(a_c) = "
            "−softplus(−a_u) + log g(a_c).", _l(gate_term=False), keys=("log_beta",)),
    Mistake("g(a_c) itself was added, not its log: log β = −softplus(−a_u) + log g(a_c).",
            _l(log_g=False), keys=("log_beta",)),
    Mistake("the two are returned in the wrong order: `return log_alpha, log_beta`.",
            _l(swap=True)),
    Mistake("for a_c ≥ 0, g(a_c) = a_c + 1/2, not a_c: the 1/2 makes g continuous at 0 "
            "(σ(0) = 1/2) and keeps it positive. " + LOG_RULE + ".", _l(half=False),
            keys=("log_beta",)),
    Mistake(G_SWAPPED, _l(branches="swapped"),
            keys=("log_beta",)),
]


def _diagnose_non_finite(a_u, a_c, log_alpha, log_beta) -> str:
    """Which mistake makes these entries NaN or inf, from where they sit."""
    parts = []
    if isinstance(log_beta, torch.Tensor) and log_beta.shape == a_c.shape:
        nan = torch.isnan(log_beta)
        if bool(nan.any()):
            if bool((a_c[nan] < 0).all()) and bool(nan[a_c < -0.5].all()):
                small = (a_c < 0) & (a_c > -0.5)
                if bool(nan[small].any()) or not bool(small.any()):
                    parts.append(
                        "`log_beta` is NaN exactly where the candidate's pre-activation a_c is "
                        "negative: that is the log of a negative value (`torch.log(a_c)` of the "
                        "raw candidate). The log space needs a positive candidate: g(v) = v + 1/2 "
                        "for v ≥ 0 and σ(v) for v < 0, and log g(a_c) = log(a_c + 1/2) or "
                        "−softplus(−a_c).")
                else:
                    parts.append(
                        "`log_beta` is NaN where a_c < −1/2, where a_c + 1/2 is negative (the log "
                        "of a negative value): " + G_SWAPPED)
            else:
                parts.append("`log_beta` holds NaN: the log of a negative value somewhere? "
                             + LOG_RULE + ".")
        inf = torch.isinf(log_beta)
        if bool(inf.any()) and not parts:
            parts.append(
                "`log_beta` is −inf where a_u is very negative: log σ(a_u) computed directly "
                "(σ(a_u) underflows to 0, and log 0 = −inf), or log(1 + exp(−a_u)) (exp "
                "overflows). Use `-F.softplus(-a_u)`, which is log σ(a_u) computed stably.")
    if isinstance(log_alpha, torch.Tensor) and log_alpha.shape == a_u.shape:
        bad = ~torch.isfinite(log_alpha)
        if bool(bad.any()):
            if bool((a_u[bad].abs() < 700).any()):
                parts.append(
                    "`log_alpha` is −inf where a_u is large (a_u = 50 here): log(1 − σ(a_u)) "
                    "computed directly. σ(50) rounds to exactly 1.0 in float64, so 1 − σ(a_u) = 0 "
                    "and its log is −inf (and long before that, 1 − σ(a_u) loses its digits). Use "
                    "the identity 1 − σ(a_u) = σ(−a_u): log α = log σ(−a_u) = −softplus(a_u), "
                    "`-F.softplus(a_u)`.")
            else:
                parts.append(
                    "`log_alpha` is −inf where a_u = 800: either log(1 + exp(a_u)) overflows "
                    "(exp(800) is inf even in float64), or log σ(−a_u) was taken directly "
                    "(σ(−800) underflows to 0, and log 0 = −inf). `F.softplus(a_u)` computes "
                    "log(1 + exp(a_u)) without either: log α = `-F.softplus(a_u)`.")
    return "\n".join(parts)


class LogSpaceCheck(ForkRngCheck):
    """Non-finite outputs are explained from where they sit (a_c < 0, large |a_u|)."""

    def _run_one(self, fn, case: Case) -> None:
        try:
            super()._run_one(fn, case)
        except CheckFailed as failure:
            if failure.attempted and "not finite numbers" in failure.message:
                try:
                    with torch.no_grad():
                        got = fn(*copy.deepcopy(list(case.args.values())))
                    extra = _diagnose_non_finite(case.args["a_u"], case.args["a_c"], *got)
                except Exception:
                    extra = ""
                if extra:
                    counted = failure.message.split("\n")[0].split(" An overflow")[0]
                    failure.message = extra + "\n" + counted
            raise


check_log_space_coefficients = LogSpaceCheck(
    "log_space_coefficients", reference_log_space_coefficients, again_with_new_values(_log_cases),
    output_names=("log_alpha", "log_beta"), rtol=1e-9, atol=1e-10,
    shape_tip="a_u and a_c are (B, T, J); every operation here is element-wise.",
    mistakes=LOG_MISTAKES)


# --- Exercise 4: generate with a trained model, one token at a time ----------------------------
K_SPY = 9                    # the spy model's vocabulary size


class _History:
    """The spy model's state: the tokens each sequence has read so far."""

    def __init__(self, rows):
        self.rows = rows

    def __repr__(self) -> str:
        return "<state of the test model>"


class SpyModel(torch.nn.Module):
    """A stand-in for CharLM: its next-token logits are a fixed function of EVERYTHING it has
    read (its state is that history), and it logs every call, so the check sees what a
    generator fed it. forward(idx (B, T), state) -> (logits (B, T, K), state);
    step(idx_t (B,), state) -> (logits (B, K), state)."""

    def __init__(self, seed: int = 0, max_tokens: int = 400):
        super().__init__()
        g = np.random.default_rng(seed)
        self.last = torch.from_numpy(g.normal(0.0, 1.6, size=(K_SPY, K_SPY)))
        self.before = torch.from_numpy(g.normal(0.0, 0.9, size=(K_SPY, K_SPY)))
        self.count = torch.from_numpy(g.normal(0.0, 0.6, size=(8, K_SPY)))
        self.vocab_size, self.max_tokens = K_SPY, max_tokens
        self.calls = []              # (kind, tokens of every row, state in, state out)
        self.tokens_read = 0
        self.eval()

    def _logits(self, history) -> torch.Tensor:
        first = history[0]
        prev = history[-2] if len(history) > 1 else first
        return (self.last[history[-1]] + self.before[prev] + self.count[len(history) % 8]
                + 0.4 * self.before[first])

    def _read(self, kind, idx, state):
        if not isinstance(idx, torch.Tensor) or idx.dtype not in (torch.int64, torch.int32):
            raise TypeError(f"token ids must be an integer tensor, got "
                            f"{getattr(idx, 'dtype', type(idx).__name__)}")
        B = idx.shape[0]
        if state is None:
            rows = [()] * B
        elif isinstance(state, _History) and len(state.rows) == B:
            rows = list(state.rows)
        else:
            raise TypeError(f"the model's state must be None (start from zeros) or the state its "
                            f"last call returned, got {type(state).__name__}")
        out = []
        for r, ids in enumerate(idx.tolist()):
            logits = []
            for token in ids:
                rows[r] += (token,)
                logits.append(self._logits(rows[r]))
            out.append(torch.stack(logits))
        new = _History(rows)
        self.calls.append((kind, idx.tolist(), state, new))
        self.tokens_read += idx.shape[1]
        if self.tokens_read > self.max_tokens:
            raise RuntimeError(f"the test model has read {self.tokens_read} tokens")
        return torch.stack(out), new

    def forward(self, idx, state=None):
        if idx.dim() != 2:
            raise ValueError(f"model(idx) takes ids of shape (B, T), got {tuple(idx.shape)}; "
                             "model.step takes one token per sequence, (B,)")
        return self._read("forward", idx, state)

    def step(self, idx_t, state=None):
        if idx_t.dim() != 1:
            raise ValueError(f"model.step takes one token per sequence, ids of shape (B,), got "
                             f"{tuple(idx_t.shape)}")
        logits, state = self._read("step", idx_t[:, None], state)
        return logits[:, 0], state


def _generate(model, prompt_ids, n, generator, *, draw="sample", dim=-1, position=-1,
              with_prompt=False):
    """The reference with one mistake switched on (defaults: right)."""
    logits, state = model(prompt_ids)                       # the whole prompt, once
    logits = logits[:, position]                            # (B, K)
    out = []
    for i in range(n):
        if draw == "argmax":
            token = logits.argmax(dim=-1)
        else:
            probs = F.softmax(logits, dim=dim)
            token = torch.multinomial(probs, 1, generator=generator).squeeze(1)   # (B,)
        out.append(token)
        if i < n - 1:
            logits, state = model.step(token, state)        # ONE token, the state carried
    new = torch.stack(out, dim=1)                           # (B, n)
    return torch.cat([prompt_ids, new], dim=1) if with_prompt else new


def reference_generate(model, prompt_ids, n, generator):
    """Warm up on the prompt with one call of the model, then draw n tokens one at a time
    (softmax, torch.multinomial with `generator`), each fed back through model.step with the
    state carried. prompt_ids (B, P) -> new ids (B, n)."""
    return _generate(model, prompt_ids, n, generator)


GEN_MISTAKES = [
    ("the tokens are the argmax, not draws: `generate` samples, "
     "`torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)`; the argmax "
     "writes the same most likely text every time.", dict(draw="argmax")),
    ("the softmax runs over the wrong axis, `dim=0` (the batch): each sequence's logits "
     "(B, K) become a distribution over its K tokens with `dim=-1`.", dict(dim=0)),
    ("the first token is drawn from the logits after the FIRST prompt token, `logits[:, 0]`: "
     "the next token follows the whole prompt, `logits[:, -1]`.", dict(position=0)),
]


def _prompt(rng, B, P) -> torch.Tensor:
    return torch.from_numpy(rng.integers(0, K_SPY, size=(B, P))).long()


def _examine_calls(model: SpyModel, prompt: torch.Tensor, got: torch.Tensor, n: int) -> None:
    """What the generator fed the model: the prompt once, then ONE token per step."""
    calls = model.calls
    P = prompt.shape[1]
    if not calls:
        raise CheckFailed("`generate` never called the model: warm up with "
                          "`logits, state = model(prompt_ids)`, then `model.step(token, state)`.")
    forwards = [c for c in calls if c[0] == "forward"]
    reread = [c for c in forwards[1:] if len(c[1][0]) > 1] or (
        forwards and [c for c in calls[1:] if c[0] == "forward" and c[2] is None])
    if reread or model.tokens_read > P + n:
        raise CheckFailed(
            f"Your `generate` re-reads the prefix: the model read {model.tokens_read} tokens in "
            f"{len(calls)} calls for a prompt of {P} and {n} new tokens. A recurrent model keeps "
            "what it has read in its state: after the warm-up, feed only the newest token, "
            "`logits, state = model.step(token, state)`, one call per token. Re-reading costs "
            "t steps at step t (about T²/2 in all), the very thing the state saves.")
    if calls[0][2] is not None:
        raise CheckFailed("The first call got a state: the warm-up starts from the zero state, "
                          "`model(prompt_ids)` (state=None).")
    stale = [i for i in range(1, len(calls)) if calls[i][2] is not calls[i - 1][3]]
    if stale:
        i = stale[0]
        none = calls[i][2] is None
        raise CheckFailed(
            ("The state is not carried: call " + str(i + 1) + " got `state=None`, so the model "
             "forgot the prompt and every token before. " if none else
             "Call " + str(i + 1) + " got an old state, not the one the previous call returned. ")
            + "Keep the state each call returns and pass it to the next one: "
              "`logits, state = model.step(token, state)`.")
    read = calls[-1][3].rows[0]
    if list(read[:P]) != prompt[0].tolist():
        raise CheckFailed(
            f"The model never read the whole prompt (it read {list(read[:P])} where the prompt is "
            f"{prompt[0].tolist()}): warm up on all of it first, `logits, state = "
            "model(prompt_ids)`, and draw the first new token from `logits[:, -1]`.")
    drawn = got[0].tolist() if isinstance(got, torch.Tensor) and got.dim() == 2 else None
    fed = list(read[P:])
    if drawn is not None and len(drawn) == n and fed != drawn[:len(fed)]:
        raise CheckFailed(
            f"The tokens fed to the model after the prompt are not the ones just drawn (fed "
            f"{fed[:5]}, drew {drawn[:5]}): each drawn token is the next input, "
            "`logits, state = model.step(token, state)`.")


def _expect_ids(got, B: int, n: int, P: int) -> torch.Tensor:
    if isinstance(got, (list, tuple)):
        raise CheckFailed(f"`generate` returned a {type(got).__name__}; return one tensor of "
                          "token ids, (B, n): `torch.stack(tokens, dim=1)`.")
    if not isinstance(got, torch.Tensor):
        raise CheckFailed(f"`generate` returned a {type(got).__name__}; expected a tensor of "
                          "token ids, (B, n).")
    if got.dtype.is_floating_point:
        raise CheckFailed(f"`generate` returned {got.dtype} values; token ids are integers "
                          "(`torch.multinomial` gives int64).")
    if tuple(got.shape) == (B, P + n):
        raise CheckFailed(f"`generate` returned {tuple(got.shape)} = (B, P + n): the prompt and "
                          "the new tokens. Return only the n NEW tokens, (B, n).")
    if tuple(got.shape) == (n, B) and n != B:
        raise CheckFailed(f"`generate` returned {tuple(got.shape)} = (n, B): stack the tokens on "
                          "axis 1, `torch.stack(tokens, dim=1)`, (B, n).")
    if tuple(got.shape) != (B, n):
        raise CheckFailed(f"`generate` returned shape {tuple(got.shape)}; expected (B, n) = "
                          f"({B}, {n}): the n new tokens of each of the B sequences.")
    return got


def _generate_probe(label: str, B: int, P: int, n: int, seed: int) -> Probe:
    def run(call):
        rng = np.random.default_rng(seed)
        prompt = _prompt(rng, B, P)
        model = SpyModel(seed)
        got = call(model, prompt.clone(), n, torch.Generator().manual_seed(seed))
        _examine_calls(model, prompt, got, n)
        got = _expect_ids(got, B, n, P)
        expected = reference_generate(SpyModel(seed), prompt.clone(), n,
                                      torch.Generator().manual_seed(seed))
        if torch.equal(got.long(), expected):
            return
        for description, switches in GEN_MISTAKES:
            variant = _generate(SpyModel(seed), prompt.clone(), n,
                                torch.Generator().manual_seed(seed), **switches)
            if torch.equal(got.long(), variant):
                raise CheckFailed("The tokens match a known mistake: " + description)
        again = call(SpyModel(seed), prompt.clone(), n, torch.Generator().manual_seed(seed))
        if not (isinstance(again, torch.Tensor) and torch.equal(again, got)):
            raise CheckFailed(
                "Two calls with generators seeded alike drew different tokens: your draws "
                "don't come from `generator`. Pass it to the sampler, "
                "`torch.multinomial(probs, 1, generator=generator)`, so the same seed gives the "
                "same text (and the check can compare it with the reference's).")
        differ = int((got.long() != expected).sum())
        raise CheckFailed(
            f"The tokens differ from the reference sampler's with the same generator ({differ} of "
            f"{got.numel()}; first row yours {got[0].tolist()}, reference "
            f"{expected[0].tolist()}). Draw each token with `torch.multinomial(F.softmax(logits, "
            "dim=-1), 1, generator=generator)`, one draw per step for the whole batch, from the "
            "logits that follow the newest token.")
    return Probe(label, run)


def _generate_probes(rng) -> list[Probe]:
    return [
        _generate_probe("a prompt of 3 tokens, 3 sequences, 8 new tokens", 3, 3, 8, 1),
        _generate_probe("a prompt of one token, 2 sequences, 5 new tokens", 2, 1, 5, 2),
        _generate_probe("one sequence, 6 new tokens", 1, 4, 6, 3),
        _generate_probe("one new token", 2, 2, 1, 4),
    ]


GENERATE_HINTS = [
    (r"probability tensor contains either `inf`, `nan` or element < 0|invalid multinomial",
     "`torch.multinomial` draws from probabilities (non-negative, one row per sequence), not "
     "from logits: `probs = F.softmax(logits, dim=-1)` first."),
    (r"model.step takes one token per sequence",
     "`model.step` takes ONE token per sequence, shape (B,): `token.squeeze(1)` (or `token[:, 0]`) "
     "turns multinomial's (B, 1) into (B,)."),
    (r"model\(idx\) takes ids of shape \(B, T\)",
     "The model's forward takes a whole (B, T) block of ids (the prompt); one token per sequence "
     "goes through `model.step(token, state)`."),
]

check_generate = ForkRngPropertyCheck(
    "generate", reference_generate, ["model", "prompt_ids", "n", "generator"], _generate_probes,
    error_hints=GENERATE_HINTS)


CHECKS = {check.name: with_edges(check) for check in (
    check_mingru_step, check_mingru_sequence, check_combine, check_scan,
    check_log_space_coefficients, check_generate)}
