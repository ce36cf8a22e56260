"""Checks for Lab 5, "Build an LSTM" (numpy, one sequence, no batch axis).

    from utils.checks.lab5 import check_lstm_cell_forward
    check_lstm_cell_forward(lstm_cell_forward)      # -> a green, grey or red box

Six exercises; the first five are compared with a reference computed at check time:

* ``lstm_cell_forward`` and ``lstm_forward`` run on five cases generated from ONE spec
  (``core.CELL_SIZES``): non-square sizes (D != J), one step with one input (T = 1, D = 1),
  a square U (D = J, so a transposed U gives numbers instead of a shape error), large inputs
  (an exponential that overflows) and a second non-square draw. Every quantity is non-zero and
  distinct: the initial states h0 and c0 (c0 reaches beyond ±1, so tanh(c) and c differ),
  the twelve weight arrays and the four biases, so every term of every equation changes
  the result. The numpy references here agree with ``torch.nn.LSTM`` and
  ``utils.cells.LSTMCell`` (tests/test_lab5_checks.py).
* ``lstm_cell_backward`` (the gradients of one step, given dL/dh_t and dL/dc_t) on the five
  cells of ``core.CELL_SIZES`` with non-zero upstream gradients, and two edge cases a learner
  meets in BPTT: dc_t = 0 (the last step) and dh_t = 0. The reference is proven against
  finite differences and against torch autograd through ``torch.nn.LSTMCell``
  (tests/test_lab5_checks.py); 22 named mistakes (a missing tanh', σ' taken as s, dc_prev
  without f_t, c_t for c_{t-1} in the forget gate, outer products reversed, a gate left out of
  dh_prev or dx, ...).
* ``params_from_torch_lstm`` on float64 ``torch.nn.LSTM`` modules whose weights and BOTH
  biases are drawn non-zero (a one-bias answer is wrong by a whole bias), D != J, D = J
  and a two-layer module. Every one of the 23 wrong orders of PyTorch's four row blocks
  (i, f, g, o) is a named mistake.
* ``char_lstm_step`` (embedding row, the cell, the output layer) on vocabularies of
  several sizes, including K = J (a transposed V gives numbers) and K = D (a column of the
  embedding gives numbers).

``set_forget_bias`` changes a torch.nn.LSTM in place, so it is judged by what it does (a
``PropertyCheck``): LSTMs of one to three layers, bidirectional or not, float64 and float32,
whose two biases are drawn at random beforehand (so "only bias_ih set" is off by the old
bias_hh), values 1.0, 3 (an int), -2.0, 0 and 2.5, repeated calls on one LSTM, and an LSTM
built with bias=False (a ValueError). After each call: the parameters are the same objects
(an optimizer made before holds them), still require gradients, keep their dtype, the
weights are unchanged, every forget gate's bias_ih + bias_hh equals the value and the other
blocks are unchanged, and the lstm is returned. Wrong biases are compared with a table of
named mistakes (wrong block, one bias only, both set, +=, only layer 0, no _reverse, the
input size for J, the whole vector), each a small variant of the reference.
"""
from __future__ import annotations

import copy
import itertools

import numpy as np
import torch

from .core import (CELL_SIZES, Case, CheckFailed, HintedCheck, Mistake, Probe, PropertyCheck,
                   block_order_mistakes, conversion_check, explain_by_row, fixture_cases,
                   gate_weights, random_torch_module, rows_shape_hint, torch_layout_mistakes,
                   values_match, weight_mix_ups)
from .edges import with_edges

GATES = ("f", "i", "o", "c")           # forget, input (write), output (read) gate; candidate c̃
TORCH_ORDER = ("i", "f", "c", "o")     # PyTorch's row blocks i, f, g, o (its g is our c̃)
TORCH_LETTER = {"i": "i", "f": "f", "c": "g", "o": "o"}
PARAM_NAMES = tuple(f"{m}_{g}" for g in GATES for m in "UWb")
NAMES = {"f": "forget gate f", "i": "input gate i", "o": "output gate o", "c": "candidate c̃"}


# --- the reference, in numpy ------------------------------------------------------------------
def sigmoid(a):
    """σ(a) = 1 / (1 + e^(-a)), written so that no exponential overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _pre(gate, x_t, h_prev, params, transpose_W=False, transpose_U=False, bias=True,
         swap_UW=False, of=None):
    """W_g h_prev + U_g x_t + b_g, with one mistake switched on if asked.

    of: take the weights of another gate (a copy-paste slip)."""
    U, W, b = gate_weights(params, of or gate, transpose_W, transpose_U, swap_UW)
    return W @ h_prev + U @ x_t + (b if bias else 0.0)


def _cell_variant(x_t, h_prev, c_prev, params, *, gate_act=sigmoid, candidate_act=np.tanh,
                  out_act=np.tanh, forget=True, old_cell=True, write=True, read=True,
                  squash_cell=True, h_from_old_cell=False, swap_if=False, swap_return=False,
                  recurrent_input="h", drop_x=False, copy=None, **pre_switches):
    """One LSTM step; with the default arguments the right one (the reference).

    Each keyword switches on one typical mistake. copy: (gate, other) computes `gate` with
    the weights of `other`."""
    h_in = {"h": h_prev, "c": c_prev, "zero": 0 * h_prev}[recurrent_input]
    x_in = 0 * x_t if drop_x else x_t

    def pre(gate):
        of = copy[1] if copy and copy[0] == gate else None
        return _pre(gate, x_in, h_in, params, of=of, **pre_switches)

    f, i, o = gate_act(pre("f")), gate_act(pre("i")), gate_act(pre("o"))
    c_tilde = candidate_act(pre("c"))
    if swap_if:
        f, i = i, f
    kept = (f if forget else 1.0) * c_prev if old_cell else 0.0
    c_t = kept + (i if write else 1.0) * c_tilde
    cell = c_prev if h_from_old_cell else c_t
    h_t = (o if read else 1.0) * (out_act(cell) if squash_cell else cell)
    return (c_t, h_t) if swap_return else (h_t, c_t)


def reference_lstm_cell_forward(x_t, h_prev, c_prev, params):
    """f, i, o = σ(W h_prev + U x_t + b); c̃ = tanh(...); c_t = f c_prev + i c̃;
    h_t = o tanh(c_t).  (D,), (J,), (J,) -> ((J,), (J,))"""
    return _cell_variant(x_t, h_prev, c_prev, params)


def _forward_variant(xs, h0, c0, params, cell=reference_lstm_cell_forward, start="given",
                     carry_h=True, carry_c=True, swap_state=False, reverse=False):
    """The states of a sequence; with the default arguments the right ones (the reference)."""
    h = {"given": h0, "zeros": 0 * h0, "h_zero": 0 * h0, "c_zero": h0}[start]
    c = {"given": c0, "zeros": 0 * c0, "h_zero": c0, "c_zero": 0 * c0}[start]
    hs, cs = [], []
    for x_t in (xs[::-1] if reverse else xs):
        h_in = h if carry_h else h0
        c_in = c if carry_c else c0
        h, c = cell(x_t, c_in, h_in, params) if swap_state else cell(x_t, h_in, c_in, params)
        hs.append(h)
        cs.append(c)
    return np.array(hs), np.array(cs)


def reference_lstm_forward(xs, h0, c0, params):
    """Every hidden and cell state: (T, D), (J,), (J,) -> hs (T, J), cs (T, J)."""
    return _forward_variant(xs, h0, c0, params)


# --- the numpy cases (core.CELL_SIZES) -------------------------------------------------------
LARGE = 1000.0      # large enough that exp() overflows: e^1000 = inf in float64


def make_params(rng: np.random.Generator, D: int, J: int) -> dict:
    """Twelve non-zero arrays, one U (J, D), W (J, J) and b (J,) per gate, all different."""
    params = {}
    for gate in GATES:
        params[f"U_{gate}"] = rng.normal(0.0, 1.0 / np.sqrt(D), size=(J, D))
        params[f"W_{gate}"] = rng.normal(0.0, 1.0 / np.sqrt(J), size=(J, J))
        params[f"b_{gate}"] = rng.normal(0.0, 0.6, size=J)
    return {name: params[name] for name in PARAM_NAMES}


def fixture(rng: np.random.Generator, T: int, D: int, J: int, large: bool = False) -> dict:
    """One small LSTM problem; the single-step inputs are the last step of the sequence."""
    f = {
        "xs": rng.normal(size=(T, D)) * (LARGE if large else 1.0),
        "h0": rng.uniform(-0.9, 0.9, size=J),
        "c0": rng.uniform(1.0, 2.5, size=J) * rng.choice([-1.0, 1.0], size=J),
        "params": make_params(rng, D, J),
    }
    hs, cs = reference_lstm_forward(f["xs"], f["h0"], f["c0"], f["params"])
    f["x_t"] = f["xs"][-1]
    f["h_prev"] = hs[-2] if T > 1 else f["h0"]
    f["c_prev"] = cs[-2] if T > 1 else f["c0"]
    if not large:                 # a cell far from 0, so tanh(c) and c differ clearly
        f["c_prev"] = f["c_prev"] + np.sign(f["c_prev"]) * 1.0
    return f


STEP = ("f_t, i_t, o_t = σ(W h_prev + U x_t + b) (each with its own weights), "
        "c̃_t = tanh(W_c h_prev + U_c x_t + b_c), c_t = f_t ⊙ c_prev + i_t ⊙ c̃_t, "
        "h_t = o_t ⊙ tanh(c_t)")
NAN_TIP = ("Use `np.tanh` for tanh, and for σ `1 / (1 + np.exp(-a))`: for a very negative `a` "
           "its `np.exp` overflows to inf, and 1 / inf = 0 is the right limit. Written as "
           "`np.exp(a) / (1 + np.exp(a))`, or tanh written with `np.exp`, large inputs give "
           "inf / inf = NaN.")
SHAPE_TIP = ("`U_*` is (J, D) and multiplies `x_t` (D,); `W_*` is (J, J) and multiplies "
             "`h_prev` (J,); every gate, c̃_t, c_t and h_t is (J,). `*` multiplies element by "
             "element, `@` is the matrix product.")


def _copy_slips() -> list[Mistake]:
    """A gate computed with another gate's weights: a copy-paste slip."""
    slips = []
    for gate, other in itertools.permutations(GATES, 2):
        if {gate, other} == {"f", "i"}:
            continue                    # both ways round: the swap below names it better
        slips.append(Mistake(
            f"the {NAMES[gate]} is computed with the weights of the {NAMES[other]} "
            f"(`U_{other}`, `W_{other}`, `b_{other}`): a copy-paste slip? Each gate has its "
            f"own: `U_{gate}`, `W_{gate}`, `b_{gate}`.",
            lambda *a, g=gate, o=other: _cell_variant(*a, copy=(g, o))))
    return slips


# --- Exercise 1: one step of the cell ---------------------------------------------------------
check_lstm_cell_forward = HintedCheck(
    "lstm_cell_forward", reference_lstm_cell_forward,
    fixture_cases(fixture, ["x_t", "h_prev", "c_prev", "params"], "DJ"),
    output_names=("h_t", "c_t"),
    shape_tip=SHAPE_TIP,
    nan_tip=NAN_TIP,
    in_place_tip="The caller still needs them: `c_t = c_prev` followed by `c_t *= f` (or "
                 "`+=`) writes into `c_prev` itself. Build new arrays: "
                 "`c_t = f * c_prev + i * c_tilde`.",
    hints=[(r"KeyError", "The keys of `params` are 'U_f', 'W_f', 'b_f' (forget gate), 'U_i', "
                         "'W_i', 'b_i' (input gate), 'U_o', 'W_o', 'b_o' (output gate) and "
                         "'U_c', 'W_c', 'b_c' (candidate c̃).")],
    mistakes=[
        Mistake("the candidate c̃_t uses a sigmoid; it uses tanh, whose values between -1 and 1 "
                "can lower a cell as well as raise it: c̃_t = tanh(W_c h_prev + U_c x_t + b_c).",
                lambda *a: _cell_variant(*a, candidate_act=sigmoid)),
        Mistake("the gates f, i, o use tanh; a gate uses the sigmoid σ, whose values between 0 "
                "(closed) and 1 (open) scale what passes: f_t = σ(W_f h_prev + U_f x_t + b_f), "
                "and so on.",
                lambda *a: _cell_variant(*a, gate_act=np.tanh)),
        Mistake("sigmoid and tanh are swapped: the gates f, i, o use σ, the candidate c̃ uses "
                "tanh.",
                lambda *a: _cell_variant(*a, gate_act=np.tanh, candidate_act=sigmoid)),
        Mistake("every function is a sigmoid; the candidate c̃_t and the cell's output "
                "squashing use tanh: c̃_t = tanh(...), h_t = o_t ⊙ tanh(c_t).",
                lambda *a: _cell_variant(*a, candidate_act=sigmoid, out_act=sigmoid)),
        Mistake("the cell is squashed with a sigmoid before the output gate; it is tanh: "
                "h_t = o_t ⊙ tanh(c_t).",
                lambda *a: _cell_variant(*a, out_act=sigmoid), keys=("h_t",)),
        Mistake("the input and forget gates are swapped: the forget gate f_t scales the OLD "
                "cell, the input gate i_t the candidate: c_t = f_t ⊙ c_prev + i_t ⊙ c̃_t (with "
                "f_t from `U_f`, `W_f`, `b_f` and i_t from `U_i`, `W_i`, `b_i`).",
                lambda *a: _cell_variant(*a, swap_if=True)),
        Mistake("the forget gate is missing: c_t = c_prev + i_t ⊙ c̃_t keeps all of the old "
                "cell. Scale it by the forget gate: "
                "c_t = f_t ⊙ c_prev + i_t ⊙ c̃_t.", lambda *a: _cell_variant(*a, forget=False)),
        Mistake("the old cell is dropped: c_t = i_t ⊙ c̃_t forgets everything at every step. "
                "The forget gate decides how much of c_prev stays: "
                "c_t = f_t ⊙ c_prev + i_t ⊙ c̃_t.", lambda *a: _cell_variant(*a, old_cell=False)),
        Mistake("the input gate is missing: c_t = f_t ⊙ c_prev + c̃_t writes all of the "
                "candidate. Scale it by the input gate: c_t = f_t ⊙ c_prev + i_t ⊙ c̃_t.",
                lambda *a: _cell_variant(*a, write=False)),
        Mistake("the output gate is missing: h_t = tanh(c_t). The output gate decides how much "
                "of the cell is read out: h_t = o_t ⊙ tanh(c_t).",
                lambda *a: _cell_variant(*a, read=False), keys=("h_t",)),
        Mistake("the tanh on the cell is missing: h_t = o_t ⊙ c_t. Squash the cell before the "
                "output gate reads it: h_t = o_t ⊙ tanh(c_t).",
                lambda *a: _cell_variant(*a, squash_cell=False), keys=("h_t",)),
        Mistake("h_t reads the OLD cell, tanh(c_prev); it reads the new one: "
                "h_t = o_t ⊙ tanh(c_t), with c_t computed first.",
                lambda *a: _cell_variant(*a, h_from_old_cell=True), keys=("h_t",)),
        Mistake("h_t and c_t are swapped in the return: return the hidden state first, "
                "`return h_t, c_t`.",
                lambda *a: _cell_variant(*a, swap_return=True)),
        Mistake("the gates read the old cell c_prev where the hidden state belongs: `W_*` "
                "multiplies h_prev, W_f h_prev + U_f x_t + b_f (the cell only enters "
                "c_t = f_t ⊙ c_prev + ...).",
                lambda *a: _cell_variant(*a, recurrent_input="c")),
        Mistake("the previous hidden state h_prev is ignored: every gate and the candidate "
                f"read it through its `W_*`. The step is {STEP}.",
                lambda *a: _cell_variant(*a, recurrent_input="zero")),
        Mistake(f"the input x_t is ignored. The step is {STEP}.",
                lambda *a: _cell_variant(*a, drop_x=True)),
        Mistake("the biases `b_*` are missing: each gate and the candidate add their own, "
                "e.g. f_t = σ(W_f h_prev + U_f x_t + b_f).",
                lambda *a: _cell_variant(*a, bias=False)),
        *weight_mix_ups(_cell_variant, "f", "hidden state h_prev"),
        *_copy_slips(),
    ],
)


# --- Exercise 2: unroll over a sequence -------------------------------------------------------
check_lstm_forward = HintedCheck(
    "lstm_forward", reference_lstm_forward,
    fixture_cases(fixture, ["xs", "h0", "c0", "params"], "TDJ"),
    output_names=("hs", "cs"),
    depends_on=[check_lstm_cell_forward],
    shape_tip="`xs[t]` is (D,), h and c are (J,); `hs` and `cs` are (T, J): one row per step, "
              "e.g. `np.zeros((T, J))` with J = `len(h0)`.",
    shape_hint=rows_shape_hint(
        "One row too many: `{name}` holds the states after steps 1 ... T, one row per input "
        "step; don't store the initial state.",
        "That is one state: return all T of them, one row per step.",
        "`{name}` needs J columns (the hidden size, `len(h0)`), not D."),
    nan_tip=NAN_TIP,
    explain=explain_by_row(
        "Already the first row is wrong, so the first step is: do you start from the "
        "given `h0` and `c0`, and call the cell as `lstm_cell_forward(xs[t], h, c, params)`?",
        "Row 0 is right but row {row} is not: check how the state is passed "
        "from one step to the next (both h and c, the new ones, in that order)."),
    mistakes=[
        Mistake("the sequence starts from zeros instead of the given initial state: the first "
                "step reads `h0` and `c0`.",
                lambda *a: _forward_variant(*a, start="zeros")),
        Mistake("the cell state starts from zeros instead of the given `c0` (h starts from "
                "`h0`, which is right).", lambda *a: _forward_variant(*a, start="c_zero")),
        Mistake("the hidden state starts from zeros instead of the given `h0` (c starts from "
                "`c0`, which is right).",
                lambda *a: _forward_variant(*a, start="h_zero")),
        Mistake("the state is not carried over: every step starts again from `h0` and `c0`. "
                "Feed each step's new (h, c) into the next step.",
                lambda *a: _forward_variant(*a, carry_h=False, carry_c=False)),
        Mistake("the cell state is not carried over: every step starts from `c0` again (h is "
                "carried). The cell is the LSTM's memory: feed each new c into the next step.",
                lambda *a: _forward_variant(*a, carry_c=False)),
        Mistake("the hidden state is not carried over: "
                "every step starts from `h0` again (c is carried). "
                "Feed each new h into the next step too.",
                lambda *a: _forward_variant(*a, carry_h=False)),
        Mistake("h and c are swapped on their way to the next step: the cell takes "
                "`(x_t, h_prev, c_prev, params)` and returns `(h_t, c_t)`, in that order.",
                lambda *a: _forward_variant(*a, swap_state=True)),
        Mistake("`hs` and `cs` are swapped in the return: `return hs, cs`.",
                lambda *a: reference_lstm_forward(*a)[::-1]),
        Mistake("the rows are shifted by one step: row 0 should be the state after reading "
                "`xs[0]`, not the initial state.",
                lambda xs, h0, c0, p: tuple(
                    np.vstack([s0, s[:-1]])
                    for s0, s in zip((h0, c0), reference_lstm_forward(xs, h0, c0, p)))),
        Mistake("every row holds the final state: the same array was stored at every step and "
                "then changed in place. Store a new array at each step.",
                lambda xs, h0, c0, p: tuple(
                    np.tile(s[-1], (len(xs), 1)) for s in reference_lstm_forward(xs, h0, c0, p))),
        Mistake("the sequence is read backwards: step t reads `xs[t]`, from t = 0 to T-1.",
                lambda *a: _forward_variant(*a, reverse=True)),
    ],
)


# --- Exercise 3: backward through one step ---------------------------------------------------
GRAD_NAMES = tuple(f"d{name}" for name in PARAM_NAMES) + ("dx", "dh_prev", "dc_prev")


def _backward_variant(dh_t, dc_t, x_t, h_prev, c_prev, params, *, h_path_tanh_prime=True,
                      tanh_prime_of="tanh_c", take_dc_t=True, dc_prev_times_f=True,
                      dc_prev_from="total", gate_prime="s(1-s)", candidate_prime="tanh",
                      forget_reads="c_prev", do_reads="tanh_c", swap_di_dg=False,
                      outer_order="da_first", dh_prev_without=None, dx_without=None,
                      W_not_transposed=False):
    """One step back through the LSTM cell; with the default arguments the right one (the
    reference). Each keyword switches on one typical mistake."""
    pre = {g: _pre(g, x_t, h_prev, params) for g in GATES}
    f, i, o = sigmoid(pre["f"]), sigmoid(pre["i"]), sigmoid(pre["o"])
    c_tilde = np.tanh(pre["c"])
    c_t = f * c_prev + i * c_tilde
    tanh_c = np.tanh(c_t)

    do = dh_t * {"tanh_c": tanh_c, "c_t": c_t}[do_reads]
    through_h = dh_t * o
    if h_path_tanh_prime:
        through_h = through_h * {"tanh_c": 1 - tanh_c ** 2, "c_t": 1 - c_t ** 2}[tanh_prime_of]
    dc = (dc_t if take_dc_t else 0.0) + through_h
    df = dc * {"c_prev": c_prev, "c_t": c_t}[forget_reads]
    di, dg = dc * c_tilde, dc * i
    if swap_di_dg:
        di, dg = dg, di
    gate_d = {"s(1-s)": lambda s: s * (1 - s), "s": lambda s: s,
              "1-s²": lambda s: 1 - s ** 2}[gate_prime]
    candidate_d = {"tanh": 1 - c_tilde ** 2, "sigmoid": c_tilde * (1 - c_tilde)}[candidate_prime]
    da = {"f": df * gate_d(f), "i": di * gate_d(i), "o": do * gate_d(o), "c": dg * candidate_d}
    grads = {}
    for g in GATES:
        first, second = (da[g], x_t), (da[g], h_prev)
        if outer_order == "input_first":
            first, second = first[::-1], second[::-1]
        elif outer_order == "dW_only":
            second = second[::-1]
        grads[f"dU_{g}"] = np.outer(*first)
        grads[f"dW_{g}"] = np.outer(*second)
        grads[f"db_{g}"] = da[g]
    grads = {f"d{name}": grads[f"d{name}"] for name in PARAM_NAMES}
    grads["dx"] = sum(params[f"U_{g}"].T @ da[g] for g in GATES if g != dx_without)
    grads["dh_prev"] = sum((params[f"W_{g}"] if W_not_transposed else params[f"W_{g}"].T) @ da[g]
                           for g in GATES if g != dh_prev_without)
    dc_into_prev = {"total": dc, "dc_t": dc_t}[dc_prev_from]
    grads["dc_prev"] = dc_into_prev * f if dc_prev_times_f else dc_into_prev
    return grads


def reference_lstm_cell_backward(dh_t, dc_t, x_t, h_prev, c_prev, params):
    """dc = dc_t + dh_t ⊙ o_t ⊙ (1 - tanh²(c_t)); back through the gates (σ' = s(1 - s),
    tanh' = 1 - tanh²) and the linear pre-activations: a dict of dU_*, dW_*, db_* (the
    twelve parameters), dx, dh_prev, dc_prev = dc ⊙ f_t."""
    return _backward_variant(dh_t, dc_t, x_t, h_prev, c_prev, params)


BACKWARD_CASES = (  # which upstream gradients, per case of CELL_SIZES (the others: both)
    ("dh_t and dc_t both non-zero", "both"),
    ("no gradient from later steps into the cell (dc_t = 0, as at the last step)", "no_dc"),
    ("a gradient into the cell alone (dh_t = 0)", "no_dh"),
)


def _backward_cases(rng: np.random.Generator) -> list[Case]:
    """The five cells of CELL_SIZES with non-zero dh_t and dc_t (large inputs included), then
    the two edge cases a learner meets in BPTT: dc_t = 0 and dh_t = 0."""
    cases = []
    specs = [(spec, "both", spec["label"]) for spec in CELL_SIZES]
    specs += [(CELL_SIZES[0], which, label) for label, which in BACKWARD_CASES[1:]]
    for spec, which, label in specs:
        f = fixture(rng, spec["T"], spec["D"], spec["J"], spec.get("large", False))
        J = spec["J"]
        dh_t = rng.normal(size=J) * rng.choice([-1.0, 1.0], size=J) + 0.3
        dc_t = rng.normal(size=J) + 0.2
        if which == "no_dc":
            dc_t = np.zeros(J)
        elif which == "no_dh":
            dh_t = np.zeros(J)
        cases.append(Case({"dh_t": dh_t, "dc_t": dc_t, "x_t": f["x_t"], "h_prev": f["h_prev"],
                           "c_prev": f["c_prev"], "params": f["params"]},
                          {"D": spec["D"], "J": J}, label))
    return cases


def _backward_shape_hint(name, got, expected, sizes) -> str:
    if name.startswith("dU_") and got == expected[::-1]:
        return ("It looks transposed: dU_* has the shape of U_*, (J, D): the outer product of "
                "the gate's da (J,) and x_t (D,), in that order, `np.outer(da, x_t)`.")
    if name == "dx" and got == (sizes["J"],):
        return "dx has the size of x_t, D: it comes back through the transposed U_*, `U.T @ da`."
    return ""


def _explain_backward(case: Case, leaves) -> str:
    """Which gradients are right and which wrong points to the step that is wrong."""
    wrong = {leaf.name for leaf in leaves
             if not values_match(leaf.got, leaf.expected)}
    right = set(GRAD_NAMES) - wrong
    gates = [g for g in GATES if {f"dU_{g}", f"dW_{g}", f"db_{g}"} & wrong]
    if wrong == {"dc_prev"}:
        return ("Only `dc_prev` is wrong: it is the whole gradient of c_t (dc_t plus what comes "
                "through h_t) times the forget gate, dc_prev = dc ⊙ f_t.")
    if wrong <= {"dx", "dh_prev"}:
        return ("The parameter gradients are right, so every gate's da is: check how dx and "
                "dh_prev add up the four gates' contributions through Uᵀ and Wᵀ.")
    if gates and len(gates) < len(GATES):
        return ("Right: the gradients of " + ", ".join(NAMES[g] for g in GATES if g not in gates)
                + "; wrong: those of " + ", ".join(NAMES[g] for g in gates) + ". Look at the "
                "derivative of these gates' nonlinearity and at what each multiplies in c_t.")
    if "dc_prev" in right and gates:
        return ("`dc_prev` is right, so your total dc is: the mistake is after it, in the gates.")
    return ""


TANH_PRIME_C = "tanh'(c_t) = 1 - tanh²(c_t)"

def _wrong(text: str, keys: tuple = (), **mistake) -> Mistake:
    """A named mistake of the backward pass: the reference with ``mistake`` switched on."""
    return Mistake(text, lambda *a: _backward_variant(*a, **mistake), keys=keys or None)


check_lstm_cell_backward = HintedCheck(
    "lstm_cell_backward", reference_lstm_cell_backward, _backward_cases,
    output_names="grads",
    depends_on=[check_lstm_cell_forward],
    shape_tip="Each gradient has the shape of what it differentiates: dU_* (J, D) is "
              "`np.outer(da, x_t)`, dW_* (J, J) `np.outer(da, h_prev)`, db_* (J,); dx (D,) "
              "sums `U_*.T @ da` over the gates, dh_prev (J,) sums `W_*.T @ da`; dc_prev (J,).",
    shape_hint=_backward_shape_hint,
    nan_tip="Compute σ' from the gate's value, s (1 - s), and tanh' as 1 - tanh²: written with "
            "`np.exp`, e.g. `np.exp(-a) / (1 + np.exp(-a))**2`, large inputs give inf / inf = "
            "NaN. " + NAN_TIP,
    explain=_explain_backward,
    in_place_tip="The caller still needs them: `dc = dc_t` followed by `dc += ...` writes into "
                 "`dc_t` itself. Build a new array: `dc = dc_t + dh_t * o * (1 - tanh_c**2)`.",
    hints=[(r"KeyError", "The keys of `params` are 'U_f', 'W_f', 'b_f', 'U_i', 'W_i', 'b_i', "
                         "'U_o', 'W_o', 'b_o', 'U_c', 'W_c', 'b_c'; your dict's keys add a d: "
                         "'dU_f', ..., 'db_c', then 'dx', 'dh_prev', 'dc_prev'.")],
    mistakes=[
        _wrong(f"the tanh' on the path from h_t into c_t is missing: h_t = o_t ⊙ tanh(c_t), so "
               f"dc = dc_t + dh_t ⊙ o_t ⊙ (1 - tanh²(c_t)), with {TANH_PRIME_C}.", h_path_tanh_prime=False),
        _wrong(f"the derivative on the h path is 1 - c_t²; it is {TANH_PRIME_C} (square the "
               "tanh of the cell, not the cell).", tanh_prime_of="c_t"),
        _wrong("the upstream `dc_t` is dropped: c_t reaches the loss along two paths, its own "
               "(dc_t, from the next step) and through h_t; dc = dc_t + dh_t ⊙ o_t ⊙ "
               "(1 - tanh²(c_t)).", take_dc_t=False),
        _wrong("`dc_prev` is missing the forget gate: c_t = f_t ⊙ c_prev + ..., so "
               "dc_prev = dc ⊙ f_t (the cell path's derivative is f_t).", dc_prev_times_f=False, keys=("dc_prev",)),
        _wrong("`dc_prev` uses only the upstream dc_t; use the whole gradient of c_t, "
               "dc = dc_t + dh_t ⊙ o_t ⊙ (1 - tanh²(c_t)): dc_prev = dc ⊙ f_t.", dc_prev_from="dc_t", keys=("dc_prev",)),
        _wrong("σ' is taken as s, the gate's value; the sigmoid's derivative is "
               "σ'(a) = s (1 - s), with s = σ(a) the gate.", gate_prime="s"),
        _wrong("the gates use tanh's derivative 1 - s²; the gates are sigmoids, "
               "σ'(a) = s (1 - s).", gate_prime="1-s²"),
        _wrong("the candidate c̃ uses the sigmoid's derivative c̃ (1 - c̃); c̃_t = tanh(...), so "
               "its derivative is 1 - c̃_t².", candidate_prime="sigmoid"),
        _wrong("the forget-gate gradient uses c_t where c_{t-1} belongs: c_t = f_t ⊙ c_prev + "
               "..., so df = dc ⊙ c_prev (the OLD cell is what f_t multiplied).", forget_reads="c_t"),
        _wrong("the output-gate gradient uses c_t where tanh(c_t) belongs: h_t = o_t ⊙ tanh(c_t), "
               "so do = dh_t ⊙ tanh(c_t).", do_reads="c_t"),
        _wrong("the input gate's and the candidate's gradients are swapped: in i_t ⊙ c̃_t, "
               "di = dc ⊙ c̃_t (the other factor) and dc̃ = dc ⊙ i_t.", swap_di_dg=True),
        _wrong("the weight gradients are transposed (outer product in the wrong order): "
               "dW_* = da h_prevᵀ, `np.outer(da, h_prev)`, and dU_* = da x_tᵀ, "
               "`np.outer(da, x_t)`: the gate's da first.", outer_order="input_first"),
        _wrong("`dW_*` is transposed: dW_* = da h_prevᵀ, `np.outer(da, h_prev)` (the gate's da "
               "first, like the rows of W_*).",
               outer_order="dW_only", keys=tuple(f"dW_{g}" for g in GATES)),
        *[_wrong(f"`{grad}` is missing the contribution of the {NAMES[g]}: all four read "
                 f"{read}, so {grad} = {terms}.", keys=(grad,), **{without: g})
          for grad, read, terms, without in [
              ("dh_prev", "h_prev", "W_fᵀ da_f + W_iᵀ da_i + W_oᵀ da_o + W_cᵀ da_c", "dh_prev_without"),
              ("dx", "x_t", "U_fᵀ da_f + U_iᵀ da_i + U_oᵀ da_o + U_cᵀ da_c", "dx_without")]
          for g in GATES],
        _wrong("`dh_prev` uses W_* where W_*ᵀ belongs: the gradient flows back through the "
               "transpose, `W_f.T @ da_f + ...`.", W_not_transposed=True, keys=("dh_prev",)),
    ],
)


# --- Exercise 4: the weights of torch.nn.LSTM -----------------------------------------------
def reference_params_from_torch_lstm(lstm):
    """Layer 0 of a torch.nn.LSTM in the course's names: row block k of weight_ih_l0
    (4J, D), weight_hh_l0 (4J, J) and of bias_ih_l0 + bias_hh_l0 belongs to gate k of
    PyTorch's order i, f, g, o (g is the candidate c̃)."""
    return _params_variant(lstm)


def _params_variant(lstm, order=TORCH_ORDER, bias="both", swap_ih_hh=False, transpose=False):
    """The conversion with one mistake switched on (defaults: the right one)."""
    J = lstm.hidden_size
    U = lstm.weight_ih_l0.detach().numpy()
    W = lstm.weight_hh_l0.detach().numpy()
    b_ih, b_hh = lstm.bias_ih_l0.detach().numpy(), lstm.bias_hh_l0.detach().numpy()
    b = {"both": b_ih + b_hh, "ih": b_ih, "hh": b_hh}[bias]
    if swap_ih_hh:
        U, W = W, U
    params = {}
    for k, gate in enumerate(order):
        rows = slice(k * J, (k + 1) * J)
        params[f"U_{gate}"] = (U[rows].T if transpose else U[rows]).copy()
        params[f"W_{gate}"] = (W[rows].T if transpose else W[rows]).copy()
        params[f"b_{gate}"] = b[rows].copy()
    return {name: params[name] for name in PARAM_NAMES}


def _order_text(order) -> str:
    """A wrong order of the four row blocks, named."""
    return (f"the row blocks were read in the order {', '.join(TORCH_LETTER[g] for g in order)}; "
            "PyTorch stacks them as i, f, g, o (g is the candidate c̃, our `c`): rows 0:J are i, "
            "J:2J f, 2J:3J g, 3J:4J o. Other libraries and tutorials use other orders, so always "
            "check.")


def _explain_params(case: Case, leaves) -> str:
    """Which of U, W, b and which gates are wrong points to the cause."""
    wrong = [leaf.name for leaf in leaves if not values_match(leaf.got, leaf.expected)]
    kinds = {name[0] for name in wrong}
    gates = sorted({name[2] for name in wrong}, key=GATES.index)
    if kinds == {"b"}:
        return ("The weights are right, the biases are not. PyTorch adds two biases, "
                "`bias_ih_l0` and `bias_hh_l0`; the course's b is their sum, block by block.")
    if len(gates) < len(GATES):
        right = [g for g in GATES if g not in gates]
        return ("Right: the arrays of " + ", ".join(f"`{g}`" for g in right) + "; wrong: those "
                "of " + ", ".join(f"`{g}`" for g in gates) + ". Check which row block of "
                "`weight_ih_l0` each gate takes: PyTorch's order is i, f, g, o.")
    return ""


check_params_from_torch_lstm = conversion_check(
    "lstm", reference_params_from_torch_lstm,
    whole_stack="That is the whole stack of the four gates: take the gate's block of J rows, "
                "`w[k * J:(k + 1) * J]` for block k.",
    stacked="the gates",
    in_place_tip="Converting must leave the module as it was: `lstm.bias_ih_l0 += ...` (or "
                 "`.add_`, `.copy_`) writes into the model's own weights. Add into a new array: "
                 "`b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().numpy()`.",
    explain=_explain_params,
    mistakes=[
        *block_order_mistakes(TORCH_ORDER, _order_text, _params_variant),
        Mistake("only `bias_ih_l0` is used. PyTorch adds two biases, `bias_ih_l0 + bias_hh_l0`, "
                "and the course's single bias b is their sum, block by block.",
                lambda lstm: _params_variant(lstm, bias="ih"), keys=tuple(f"b_{g}" for g in GATES)),
        Mistake("only `bias_hh_l0` is used. PyTorch adds two biases, `bias_ih_l0 + bias_hh_l0`, "
                "and the course's single bias b is their sum, block by block.",
                lambda lstm: _params_variant(lstm, bias="hh"), keys=tuple(f"b_{g}" for g in GATES)),
        *torch_layout_mistakes(_params_variant),
    ],
)


# --- Exercise 5: one step of a character language model --------------------------------------
def _lm_variant(token, h_prev, c_prev, lm, logits_from="h", softmax=False, head_bias=True,
                transpose_V=False, embed="row", return_state="new", swap_state=False):
    """One step of the character LSTM; with the default arguments the right one."""
    E = lm["E"]
    x_t = {"row": lambda: E[token], "column": lambda: E[:, token],
           "one_hot": lambda: np.eye(len(E))[token]}[embed]()
    h_t, c_t = reference_lstm_cell_forward(x_t, h_prev, c_prev, lm["lstm"])
    V = lm["V"].T if transpose_V else lm["V"]
    read = {"h": h_t, "c": c_t, "h_prev": h_prev}[logits_from]
    logits = V @ read + (lm["b_y"] if head_bias else 0.0)
    if softmax:
        e = np.exp(logits - logits.max())
        logits = e / e.sum()
    if return_state == "old":
        h_t, c_t = h_prev, c_prev
    return (logits, c_t, h_t) if swap_state else (logits, h_t, c_t)


def reference_char_lstm_step(token, h_prev, c_prev, lm):
    """x_t = E[token]; (h_t, c_t) = the LSTM step; s_t = V h_t + b_y."""
    return _lm_variant(token, h_prev, c_prev, lm)


LM_SPECS = (  # K (vocabulary), D (embedding), J (hidden), token, label
    (7, 3, 5, 4, "non-square sizes"),
    (5, 2, 5, 1, "as many tokens as hidden units (square V)"),
    (6, 6, 3, 5, "as many tokens as embedding dimensions"),
    (9, 4, 2, 0, "token 0"),
)


def _lm_cases(rng) -> list[Case]:
    cases = []
    for K, D, J, token, label in LM_SPECS:
        lm = {"E": rng.normal(size=(K, D)), "lstm": make_params(rng, D, J),
              "V": rng.normal(0.0, 1.0 / np.sqrt(J), size=(K, J)), "b_y": rng.normal(0, 0.5, size=K)}
        h_prev = rng.uniform(-0.9, 0.9, size=J)
        c_prev = rng.uniform(1.0, 2.5, size=J) * rng.choice([-1.0, 1.0], size=J)
        cases.append(Case({"token": token, "h_prev": h_prev, "c_prev": c_prev, "lm": lm},
                          {"K": K, "D": D, "J": J}, label))
    return cases


def _lm_shape_hint(name, got, expected, sizes) -> str:
    K, J = sizes["K"], sizes["J"]
    if name == "logits" and got == (J,) and J != K:
        return ("That is the size of h: the logits hold one score per token, "
                "`lm['V'] @ h_t + lm['b_y']`, shape (K,).")
    return ""


check_char_lstm_step = HintedCheck(
    "char_lstm_step", reference_char_lstm_step, _lm_cases,
    output_names=("logits", "h_t", "c_t"),
    depends_on=[check_lstm_cell_forward],
    shape_hint=_lm_shape_hint,
    shape_tip="The input of the cell is the token's embedding, the ROW `lm['E'][token]`, of "
              "size D (`lm['E']` is (K, D)); `lm['V']` is (K, J), so `lm['V'] @ h_t` is (K,).",
    hints=[(r"KeyError", "`lm` has the keys 'E' (the embedding, (K, D)), 'lstm' (the cell's "
                         "params dict), 'V' ((K, J)) and 'b_y' (the output bias, (K,)).")],
    mistakes=[
        Mistake("the logits read the cell state c_t; the output layer reads the hidden state: "
                "s_t = V h_t + b_y. The cell is the LSTM's inner memory, h_t = o_t ⊙ tanh(c_t) "
                "is what it shows.",
                lambda *a: _lm_variant(*a, logits_from="c"),
                keys=("logits",)),
        Mistake("the logits come from the previous hidden state h_prev; run the cell first and "
                "read its new state: s_t = V h_t + b_y.",
                lambda *a: _lm_variant(*a, logits_from="h_prev"), keys=("logits",)),
        Mistake("these are probabilities (a softmax was applied); return the logits, "
                "s_t = V h_t + b_y. The sampler applies the softmax, after dividing by the temperature.",
                lambda *a: _lm_variant(*a, softmax=True), keys=("logits",)),
        Mistake("the output bias `lm['b_y']` is missing: s_t = V h_t + b_y.",
                lambda *a: _lm_variant(*a, head_bias=False), keys=("logits",)),
        Mistake("`V` is used transposed: `h_t @ V` computes Vᵀ h_t. Use `lm['V'] @ h_t`.",
                lambda *a: _lm_variant(*a, transpose_V=True), keys=("logits",)),
        Mistake("the input is the COLUMN `E[:, token]`; a token's embedding is its row, "
                "`lm['E'][token]` (D numbers).",
                lambda *a: _lm_variant(*a, embed="column")),
        Mistake("the input is the one-hot vector of the token; this model reads the token's "
                "embedding, the row `lm['E'][token]`.",
                lambda *a: _lm_variant(*a, embed="one_hot")),
        Mistake("the state returned is the previous one, (h_prev, c_prev); return the new "
                "state, which the next step needs.",
                lambda *a: _lm_variant(*a, return_state="old"), keys=("h_t", "c_t")),
        Mistake("h_t and c_t are swapped in the return: `return logits, h_t, c_t`.",
                lambda *a: _lm_variant(*a, swap_state=True), keys=("h_t", "c_t")),
    ],
)

# --- Exercise 6: the forget-gate bias of a torch.nn.LSTM --------------------------------------
FORGET_BLOCK = 1      # PyTorch's row blocks i, f, g, o: the forget gate's rows are J:2J
BLOCK_NAMES = ("the input gate i", "the forget gate f", "the candidate g", "the output gate o")
NO_BIAS = ("this LSTM has no biases (it was built with bias=False), so there is no forget-gate "
           "bias to set")
SUM_ATOL = {torch.float64: 1e-9, torch.float32: 1e-5}   # bias_ih + bias_hh may be rounded


def lstm_directions(lstm) -> list[tuple[int, str]]:
    """(layer, suffix) of every layer and direction: (0, ""), (0, "_reverse"), (1, ""), ..."""
    suffixes = ("", "_reverse") if lstm.bidirectional else ("",)
    return [(k, s) for k in range(lstm.num_layers) for s in suffixes]


def _direction_text(k: int, suffix: str) -> str:
    return f"layer {k}" + (", backward direction" if suffix else "")


def _set_variant(lstm, value, *, block=FORGET_BLOCK, ih="value", hh="zero",
                 first_layer_only=False, forward_only=False, size="hidden", whole=False):
    """Set the forget-gate bias of every layer and direction; with the default arguments the
    right way (the reference), else with one mistake switched on.

    ih, hh: what the chosen rows of bias_ih / bias_hh become: "value", "zero", "add"
    (+= value) or "keep" (left alone)."""
    if not lstm.bias:
        raise ValueError(NO_BIAS)
    J = lstm.hidden_size if size == "hidden" else lstm.input_size
    rows = slice(None) if whole else slice(block * J, (block + 1) * J)
    with torch.no_grad():
        for k, suffix in lstm_directions(lstm):
            if (first_layer_only and k > 0) or (forward_only and suffix):
                continue
            for name, how in (("bias_ih", ih), ("bias_hh", hh)):
                bias = getattr(lstm, f"{name}_l{k}{suffix}")
                if how == "value":
                    bias[rows] = value
                elif how == "zero":
                    bias[rows] = 0.0
                elif how == "add":
                    bias[rows] += value
    return lstm


def reference_set_forget_bias(lstm, value):
    """b_f = value in every layer and direction of a torch.nn.LSTM, in place: rows J:2J of
    bias_ih_l{k}(_reverse) become value and those of bias_hh_l{k}(_reverse) 0 (only their sum
    counts). Returns the lstm; ValueError for an LSTM built with bias=False."""
    return _set_variant(lstm, value)


def _set_wrong(text: str, **mistake) -> Mistake:
    """A named mistake of set_forget_bias: the reference with ``mistake`` switched on."""
    return Mistake(text, lambda lstm, value: _set_variant(lstm, value, **mistake))


SUM = "The forget gate's bias is the SUM of the two blocks, `bias_ih[J:2J] + bias_hh[J:2J]`"
ROWS = {0: "0:J", 2: "2J:3J", 3: "3J:4J"}
SET_FORGET_BIAS_MISTAKES = [
    *[_set_wrong(f"the value went into rows {ROWS[m]}, the block of {BLOCK_NAMES[m]}. PyTorch "
                 "stacks the blocks as i, f, g, o, so the forget gate's rows are J:2J (block 1), "
                 "in `bias_ih` and in `bias_hh`.", block=m) for m in ROWS],
    _set_wrong(f"only `bias_ih` was set. {SUM}, so it became value + the old `bias_hh` block. "
               "Set the block of `bias_hh` to 0 as well.", hh="keep"),
    _set_wrong(f"only `bias_hh` was set. {SUM}, so it became the old `bias_ih` block + value. Set "
               "the block of `bias_ih` to value and that of `bias_hh` to 0.",
               ih="keep", hh="value"),
    _set_wrong(f"both biases were set to value. {SUM}, so it became 2 × value. Set one of them to "
               "value and the other to 0.", hh="value"),
    _set_wrong("value was added to the old bias (`+=`) instead of replacing it: the forget gate's "
               "bias must BECOME value, whatever it was before. Set the block of `bias_ih` to "
               "value and that of `bias_hh` to 0.", ih="add", hh="keep"),
    _set_wrong("only layer 0 was set. A stacked LSTM has biases in every layer, `bias_ih_l0`, "
               "`bias_ih_l1`, ..., and each layer has its own forget gates: loop over "
               "`range(lstm.num_layers)`.", first_layer_only=True),
    _set_wrong("the backward direction was left out. A bidirectional LSTM has a second pair of "
               "biases in every layer, `bias_ih_l0_reverse` and `bias_hh_l0_reverse`, whose "
               "forget gates need the value too (when `lstm.bidirectional` is True).",
               forward_only=True),
    _set_wrong("the blocks were cut with the input size D (`lstm.input_size`); every block has J "
               "rows, the HIDDEN size: `J = lstm.hidden_size`.", size="input"),
    _set_wrong("the whole bias vector was set, all four blocks; only the forget gate's block, "
               "rows J:2J, may change: the input gate, the candidate and the output gate keep "
               "their biases.", whole=True),
    _set_wrong("the whole of `bias_ih` was set to value, all four blocks, and `bias_hh` left as "
               f"it was. Only rows J:2J may change, and {SUM[0].lower() + SUM[1:]}: set "
               "`bias_ih[J:2J]` to value and `bias_hh[J:2J]` to 0.", whole=True, hh="keep"),
]


def _params_equal(a, b, atol: float = 0.0) -> bool:
    """Every parameter of two modules with the same names: equal values (within atol)."""
    pa, pb = dict(a.named_parameters()), dict(b.named_parameters())
    return pa.keys() == pb.keys() and all(
        pa[n].shape == pb[n].shape
        and torch.allclose(pa[n].detach().double(), pb[n].detach().double(), rtol=0.0, atol=atol)
        for n in pa)


def _bias_problems(lstm, before, value) -> list[str]:
    """What is wrong with the biases of ``lstm`` (``before``: a copy taken before the call)."""
    J, problems = lstm.hidden_size, []
    forget = slice(FORGET_BLOCK * J, (FORGET_BLOCK + 1) * J)
    for k, suffix in lstm_directions(lstm):
        ih, hh = (getattr(lstm, f"{n}_l{k}{suffix}").detach().double()
                  for n in ("bias_ih", "bias_hh"))
        total = ih[forget] + hh[forget]
        where = _direction_text(k, suffix)
        if not torch.allclose(total, torch.full_like(total, float(value)), rtol=0.0,
                              atol=_tolerance(lstm)):
            problems.append(f"in {where} the sum `bias_ih_l{k}{suffix}[J:2J] + "
                            f"bias_hh_l{k}{suffix}[J:2J]` starts {_first(total)}, not {value}")
        for name, now in (("bias_ih", ih), ("bias_hh", hh)):
            old = getattr(before, f"{name}_l{k}{suffix}").detach().double()
            changed = [BLOCK_NAMES[m] for m in range(4) if m != FORGET_BLOCK
                       and not torch.equal(now[m * J:(m + 1) * J], old[m * J:(m + 1) * J])]
            if changed:
                problems.append(f"`{name}_l{k}{suffix}` changed outside rows J:2J, in the "
                                f"block(s) of {', '.join(changed)}")
    return problems


def _tolerance(lstm) -> float:
    return SUM_ATOL.get(next(lstm.parameters()).dtype, 1e-5)


def _first(values) -> str:
    shown = ", ".join(f"{float(v):.4g}" for v in values[:3])
    return f"({shown}{', ...' if len(values) > 3 else ''})"


def _names(names: list[str]) -> str:
    """`a`, `b` and `c`."""
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _described(x) -> str:
    if x is None:
        return "None"
    return f"a {type(x).__name__}"


def _judge(call, lstm, value) -> None:
    """Call the learner's function on ``lstm`` and say what, if anything, is wrong."""
    before = copy.deepcopy(lstm)
    objects = dict(lstm.named_parameters())       # what an optimizer made before would hold
    got = call(lstm, value)
    now = dict(lstm.named_parameters())
    for name, p in objects.items():
        if now.get(name) is not p:
            raise CheckFailed(
                f"`{name}` is a new object, not the Parameter the LSTM had: an optimizer created "
                "before the call (`torch.optim.Adam(model.parameters())`) still holds the old one "
                "and would go on training it, while the LSTM computes with the new one. Change "
                "the values in place, inside `with torch.no_grad():`, e.g. "
                f"`lstm.{name}[J:2 * J] = value`.")
        old = getattr(before, name)
        if p.dtype != old.dtype or p.shape != old.shape:
            raise CheckFailed(f"`{name}` is now {p.dtype} of shape {tuple(p.shape)}; it was "
                              f"{old.dtype} of shape {tuple(old.shape)}. Write the new values into "
                              f"the parameter's rows, `lstm.{name}[J:2 * J] = value`, rather than "
                              "giving it new data.")
    off = [name for name, p in now.items() if not p.requires_grad]
    if off:
        raise CheckFailed(
            f"{_names(off)} no longer {'requires' if len(off) == 1 else 'require'} gradients "
            "(`requires_grad` is False): training would never change them again. To write into "
            "a parameter, don't switch its gradients off; write inside `with torch.no_grad():`, "
            "which leaves `requires_grad` as it was.")
    weights = [name for name, p in now.items() if name.startswith("weight")
               and not torch.equal(p.detach(), getattr(before, name).detach())]
    if weights:
        raise CheckFailed(
            f"{_names(weights)} changed; the forget gate's bias lives in the biases alone, and "
            "the weights must stay as they were. A loop over `lstm.named_parameters()` must skip "
            "every name that starts with 'weight'.")
    problems = _bias_problems(lstm, before, value)
    if problems:
        raise CheckFailed(_explain_biases(lstm, before, value, got, problems))
    if got is not lstm:
        raise CheckFailed(f"The LSTM is right, but `set_forget_bias` returned {_described(got)}: "
                          "return the LSTM it was given, `return lstm`, so that it can be used "
                          "as `lstm = set_forget_bias(torch.nn.LSTM(...), 1.0)`.")


def _explain_biases(lstm, before, value, got, problems) -> str:
    """The message for wrong biases: a copy changed, a known mistake, or where it is wrong."""
    if _params_equal(lstm, before):
        if isinstance(got, torch.nn.Module) and got is not lstm:
            return ("The LSTM you were given is unchanged: your function changed a copy of it "
                    "and returned that. Change the given LSTM's own parameters, in place, and "
                    "return it: whoever called `set_forget_bias(lstm, 1.0)` (and the optimizer "
                    "that holds its parameters) keeps using `lstm`.")
        return ("The LSTM's biases didn't change. Did you write into a copy? `.clone()`, "
                "`copy.deepcopy(...)` or `torch.tensor(...)` of a parameter make new tensors; "
                "write into the parameter itself, inside `with torch.no_grad():`, e.g. "
                "`lstm.bias_ih_l0[J:2 * J] = value`.")
    atol = _tolerance(lstm)
    for mistake in SET_FORGET_BIAS_MISTAKES:
        variant = copy.deepcopy(before)
        try:
            mistake.variant(variant, value)
        except Exception:
            continue
        if _params_equal(variant, lstm, atol=atol) and not _params_equal(
                variant, reference_set_forget_bias(copy.deepcopy(before), value), atol=atol):
            return f"Wrong forget-gate bias. It matches a known mistake: {mistake.description}"
    found = "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else "")
    return (f"Wrong forget-gate bias. {SUM}, and it must be {value} in every layer and direction, "
            f"with everything else left as it was. Found: {found}.")


def _bias_case(rng, D: int, J: int, layers: int, bidirectional: bool, dtype=None):
    """A torch.nn.LSTM whose weights and BOTH biases are drawn non-zero from ``rng``."""
    lstm = random_torch_module("lstm", rng, D, J, layers, bidirectional)
    return lstm.float() if dtype == "float32" else lstm


def _probe_set(rng, D, J, layers, bidirectional, value, label, dtype=None) -> Probe:
    lstm = _bias_case(rng, D, J, layers, bidirectional, dtype)
    return Probe(label, lambda call: _judge(call, lstm, value))


def _probe_repeated(rng) -> Probe:
    first = _bias_case(rng, 3, 5, 2, True)
    second = _bias_case(rng, 3, 5, 2, True)       # the same shapes, other biases

    def run(call):
        _judge(call, first, 2.0)
        _judge(call, first, -1.0)                  # the second call must win
        _judge(call, second, 0.5)
    return Probe("repeated calls: 2.0 then -1.0 on one LSTM, 0.5 on another of the same shape",
                 run)


def _probe_no_bias() -> Probe:
    with torch.random.fork_rng(devices=[]):
        lstm = torch.nn.LSTM(3, 4, bias=False).double()

    def run(call):
        weights = copy.deepcopy(lstm)
        try:
            call.learner(lstm, 1.0)
        except ValueError:
            pass
        except NotImplementedError:
            call(lstm, 1.0)                         # the stub: "not attempted"
            raise
        except Exception as error:
            raise CheckFailed(
                f"For an LSTM built with `bias=False` your code raised `{type(error).__name__}: "
                f"{error}`. Such an LSTM has no forget-gate bias to set: check `lstm.bias` first "
                "and say so clearly, `raise ValueError(\"this LSTM has no biases (bias=False)\")`."
            ) from None
        else:
            raise CheckFailed(
                "For an LSTM built with `bias=False` your function returned without a word. It "
                "has no biases, so there is no forget-gate bias to set, and a caller who asked "
                "for one should learn it: check `lstm.bias` first and "
                "`raise ValueError(\"this LSTM has no biases (bias=False)\")`.")
        if not _params_equal(lstm, weights):
            raise CheckFailed("For an LSTM built with `bias=False` the weights changed: raise "
                              "the ValueError before touching anything.")
    return Probe("an LSTM built with bias=False: a ValueError", run)


def _forget_bias_probes(rng) -> list[Probe]:
    return [
        _probe_set(rng, 3, 4, 1, False, 1.0, "one layer, D ≠ J, value 1.0"),
        _probe_set(rng, 5, 3, 2, False, 3, "two layers, value 3 (an int)"),
        _probe_set(rng, 4, 5, 1, True, -2.0, "one bidirectional layer, value -2.0"),
        _probe_set(rng, 2, 3, 3, True, 0, "three bidirectional layers, value 0"),
        _probe_set(rng, 6, 4, 2, True, 2.5, "float32 (PyTorch's default), two bidirectional "
                                              "layers, value 2.5", dtype="float32"),
        _probe_repeated(rng),
        _probe_no_bias(),
    ]


class _CallsTheLearner(PropertyCheck):
    """A PropertyCheck whose probes may also call the learner's function directly (to see
    which exception it raises on purpose)."""

    def _caller(self, fn):
        call = super()._caller(fn)
        call.learner = fn
        return call


SET_FORGET_BIAS_HINTS = [
    (r"leaf Variable that requires grad|a view of a leaf Variable",
     "PyTorch refuses to change a parameter in place while it records operations for "
     "autograd. Write inside `with torch.no_grad():` (it leaves `requires_grad` as it was)."),
    (r"cannot assign .* as parameter",
     "A parameter can't be replaced by a plain tensor, and shouldn't be replaced at all (an "
     "optimizer holds the old one): write the values into its rows, in place, inside "
     "`with torch.no_grad():`."),
    (r"has no attribute '(bias|weight)_(ih|hh)",
     "PyTorch names the biases of layer k `bias_ih_l{k}` and `bias_hh_l{k}`, and, in a "
     "bidirectional LSTM, also `bias_ih_l{k}_reverse` and `bias_hh_l{k}_reverse`; "
     "`lstm.num_layers` and `lstm.bidirectional` say which exist (`getattr(lstm, name)` "
     "reads one by its name)."),
]

check_set_forget_bias = _CallsTheLearner(
    "set_forget_bias", reference_set_forget_bias, ["lstm", "value"], _forget_bias_probes,
    error_hints=SET_FORGET_BIAS_HINTS)
check_set_forget_bias.mistakes = SET_FORGET_BIAS_MISTAKES   # each one is named when handed in

CHECKS = {check.name: with_edges(check) for check in (
    check_lstm_cell_forward, check_lstm_forward, check_lstm_cell_backward,
    check_params_from_torch_lstm, check_char_lstm_step, check_set_forget_bias)}
