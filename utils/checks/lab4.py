"""Checks for Lab 4, "Build a GRU" (numpy, one sequence, no batch axis).

    from utils.checks.lab4 import check_gru_step
    check_gru_step(gru_step)      # -> a green, grey or red box

Four exercises, each compared with a reference computed at check time:

* ``simplified_gru_step`` and ``gru_step`` (the course's convention: Γu weights the NEW
  candidate, and the relevance gate Γr scales c_{t-1} BEFORE W_c, as in Cho et al. and
  Andrew Ng's course) return ``(c_t, gate_u)``.
* ``params_from_torch_gru`` converts layer 0 of a ``torch.nn.GRU`` to the course's names:
  PyTorch's row blocks r, z, n; Γu = 1 - z = σ(-a_z), so the z block's weights AND biases
  are negated; the r and z biases are summed; the n block's two biases stay apart
  (``b_c`` = b_in and ``b_hc`` = b_hn, which sits inside the reset product).
* ``gru_forward_reset_after`` runs PyTorch's form of the cell over a sequence from a given
  state: c̃_t = tanh(U_c x_t + b_c + Γr ⊙ (W_c c_{t-1} + b_hc)); it returns the states and
  the update gates (T, J).

The numpy exercises run on five cases generated from ONE spec (``core.CELL_SIZES``):
non-square sizes (D != J), one step with one input (T = 1, D = 1), a square U (D = J, so a
transposed U gives numbers instead of a shape error), large inputs (an exponential that
overflows) and a second non-square draw. Every quantity is non-zero and distinct: the given
state, each of the nine weight arrays and the biases (b_hc included), so every term of every
equation changes the result. tests/test_lab4_checks.py shows that the references equal
``utils.cells`` and, chained, ``torch.nn.GRU``. The converter runs on float64 ``torch.nn.GRU``
modules whose weights and BOTH biases are drawn non-zero, D != J, D = J and a two-layer module.
Every check ends with a case of the first case's sizes and new values: a result cached from
an earlier call, or state kept between calls (a default argument `cs=[]`), is named there
(``utils/checks/edges.py``, which also bounds every check's time).
"""
from __future__ import annotations

import itertools

import numpy as np

from .core import (Case, HintedCheck, Mistake, block_order_mistakes, conversion_check,
                   explain_by_row, fixture_cases, gate_weights, rows_shape_hint,
                   torch_layout_mistakes, values_match, weight_mix_ups)
from .edges import again_with_new_values, with_edges
from .lab1 import ZEROS_HINT

SIMPLE_PARAMS = ("U_u", "W_u", "b_u", "U_c", "W_c", "b_c")
GRU_PARAMS = ("U_r", "W_r", "b_r", "U_u", "W_u", "b_u", "U_c", "W_c", "b_c")
AFTER_PARAMS = GRU_PARAMS + ("b_hc",)
NAMES = {"u": "update gate Γu", "r": "relevance gate Γr", "c": "candidate c̃"}
TORCH_ORDER = ("r", "z", "n")        # PyTorch's row blocks: reset, update (z = 1 - Γu), new


# --- the references, in numpy -----------------------------------------------------------------
def sigmoid(a):
    """σ(a) = 1 / (1 + e^(-a)), written so that no exponential overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _step_variant(x_t, c_prev, params, *, full=True, reset="before", b_hc=None,
                  gate_act=sigmoid, candidate_act=np.tanh, mix="right", swap_gates=False,
                  bias=True, transpose_W=False, transpose_U=False, swap_UW=False,
                  ignore_state=False, ignore_input=False, copy=None, second="u",
                  swap_return=False):
    """One (simplified or full) GRU step; with the default arguments the right one.

    full: False for the simplified GRU (no relevance gate).
    reset: where Γr acts: "before" (scales c_prev inside W_c (Γr ⊙ c_prev), the course's
        gru_step), "after" (scales the product, Γr ⊙ (W_c c_prev + b_hc), PyTorch's form),
        or a mistake: "input" (scales U_c x_t), "candidate" (scales c̃), "mix" (scales c_prev
        in the final mix), "none" (missing).
    b_hc: the extra bias of PyTorch's form: "inside" the reset product, "outside" it, or
        "missing"; None (the default): inside for reset="after", else missing (so a params
        dict holding "b_hc" gives the course's gru_step all the same).
    mix: "right" Γu c̃ + (1 - Γu) c_prev, "flipped" (1 - Γu) c̃ + Γu c_prev, "no_update" c̃,
        "no_old" Γu c̃, "unscaled_old" Γu c̃ + c_prev.
    copy: (gate, other): `gate` computed with the weights of `other`.
    second: the second value returned: "u" (Γu), "r" (Γr), "z" (1 - Γu), "c_tilde".
    Returns (c_t, second value).
    """
    state = 0 * c_prev if ignore_state else c_prev
    x = 0 * x_t if ignore_input else x_t

    def parts(gate):
        """(W, U x, b) of a gate, with the weight mistakes switched on."""
        g = copy[1] if copy and copy[0] == gate else gate
        U, W, b = gate_weights(params, g, transpose_W, transpose_U, swap_UW)
        return W, U @ x, (b if bias else 0.0 * b)

    u_name, r_name = ("r", "u") if swap_gates else ("u", "r")
    W, Ux, b = parts(u_name)
    gate_u = gate_act(W @ state + Ux + b)
    gate_r = None
    if full:
        W, Ux, b = parts(r_name)
        gate_r = gate_act(W @ state + Ux + b)
    W_c, Ux_c, b_c = parts("c")
    placement = reset if full else "none"
    if b_hc is None:
        b_hc = "inside" if placement == "after" else "missing"
    extra = params.get("b_hc", 0.0) if b_hc != "missing" else 0.0
    inside = extra if b_hc == "inside" else 0.0
    outside = extra if b_hc == "outside" else 0.0
    if placement == "before":
        recurrent = W_c @ (gate_r * state) + inside
    elif placement == "after":
        recurrent = gate_r * (W_c @ state + inside)
    else:                                   # "none", "input", "candidate", "mix"
        recurrent = W_c @ state + inside
    from_input = gate_r * Ux_c if placement == "input" else Ux_c
    c_tilde = candidate_act(recurrent + from_input + b_c + outside)
    if placement == "candidate":
        c_tilde = gate_r * c_tilde
    old = gate_r * c_prev if placement == "mix" else c_prev
    c_t = {"right": lambda: gate_u * c_tilde + (1 - gate_u) * old,
           "flipped": lambda: (1 - gate_u) * c_tilde + gate_u * old,
           "no_update": lambda: c_tilde,
           "no_old": lambda: gate_u * c_tilde,
           "unscaled_old": lambda: gate_u * c_tilde + old}[mix]()
    other = {"u": gate_u, "r": gate_r, "z": 1 - gate_u, "c_tilde": c_tilde}[second]
    return (other, c_t) if swap_return else (c_t, other)


def reference_simplified_gru_step(x_t, c_prev, params):
    """Γu = σ(W_u c_prev + U_u x_t + b_u); c̃ = tanh(W_c c_prev + U_c x_t + b_c);
    c_t = Γu ⊙ c̃ + (1 - Γu) ⊙ c_prev.  (D,), (J,) -> (c_t (J,), Γu (J,))"""
    return _step_variant(x_t, c_prev, params, full=False)


def reference_gru_step(x_t, c_prev, params):
    """The full GRU, reset BEFORE W_c: c̃ = tanh(W_c (Γr ⊙ c_prev) + U_c x_t + b_c).
    (D,), (J,) -> (c_t (J,), Γu (J,))"""
    return _step_variant(x_t, c_prev, params)


def _after_step(x_t, c_prev, params, **switches):
    return _step_variant(x_t, c_prev, params, **{"reset": "after", **switches})


def _forward_variant(xs, c0, params, step=_after_step, start="given", carry=True,
                     reverse=False, swap_return=False):
    """States and update gates of a sequence; with the default arguments the right ones."""
    c = c0 if start == "given" else 0 * c0
    cs, gates = [], []
    for x_t in (xs[::-1] if reverse else xs):
        c, gate_u = step(x_t, c if carry else c0, params)
        cs.append(c)
        gates.append(gate_u)
    out = (np.array(cs), np.array(gates))
    return out[::-1] if swap_return else out


def reference_gru_forward_reset_after(xs, c0, params):
    """PyTorch's form in the course's convention, over a sequence from c0:
    c̃_t = tanh(U_c x_t + b_c + Γr ⊙ (W_c c_{t-1} + b_hc)).  -> (cs (T, J), gates_u (T, J))"""
    return _forward_variant(xs, c0, params)


# --- the numpy cases (core.CELL_SIZES) -------------------------------------------------------
LARGE = 5000.0      # large enough that exp() overflows: e^710 is already inf in float64


def make_params(rng: np.random.Generator, D: int, J: int, names=AFTER_PARAMS) -> dict:
    """Non-zero, distinct arrays: U_* (J, D), W_* (J, J), b_* and b_hc (J,)."""
    params = {}
    for name in names:
        kind = name.split("_")[0]
        if kind == "U":
            params[name] = rng.normal(0.0, 1.5 / np.sqrt(D), size=(J, D))
        elif kind == "W":
            params[name] = rng.normal(0.0, 1.5 / np.sqrt(J), size=(J, J))
        else:
            params[name] = rng.normal(0.0, 0.8, size=J)
    return params


def _inputs(rng, T, D, large, params, c_prev) -> np.ndarray:
    """xs (T, D). Large inputs are drawn until, at the last step, both gates' pre-activations
    reach beyond +710 AND below -710 (np.exp overflows there, in either direction)."""
    if not large:
        return rng.normal(size=(T, D))
    while True:
        xs = rng.normal(size=(T, D)) * LARGE
        pre = np.concatenate([params[f"W_{g}"] @ c_prev + params[f"U_{g}"] @ xs[-1]
                              + params[f"b_{g}"] for g in "ur"])
        if pre.max() > 710 and pre.min() < -710 and all(
                np.ptp(np.sign(params[f"W_{g}"] @ c_prev + params[f"U_{g}"] @ xs[-1])) > 0
                for g in "ur"):
            return xs


def fixture(rng: np.random.Generator, T: int, D: int, J: int, large: bool = False) -> dict:
    """One small GRU problem. The states are well away from 0 in every unit, with mixed signs,
    so that every term that multiplies them shows; the single step reads the last input."""
    params = make_params(rng, D, J)

    def state():
        return rng.uniform(0.2, 0.95, size=J) * rng.choice([-1.0, 1.0], size=J)

    f = {"xs": _inputs(rng, T, D, large, params, c_prev := state()),
         "c0": state(), "c_prev": c_prev,
         "after": params,
         "full": {name: params[name] for name in GRU_PARAMS},
         "simple": {name: params[name] for name in SIMPLE_PARAMS}}
    f["x_t"] = f["xs"][-1]
    return f


NAN_TIP = ("Use `np.tanh` for tanh, and for σ `1 / (1 + np.exp(-a))`: for a very negative `a` "
           "its `np.exp` overflows to inf, and 1 / inf = 0 is the right limit. Written as "
           "`np.exp(a) / (1 + np.exp(a))`, or tanh written with `np.exp`, large inputs give "
           "inf / inf = NaN.")
SHAPE_TIP = ("`U_*` is (J, D) and multiplies `x_t` (D,); `W_*` is (J, J) and multiplies "
             "`c_prev` (J,); every gate, c̃_t and c_t are (J,). `*` multiplies element by "
             "element, `@` is the matrix product.")
IN_PLACE_TIP = ("The caller still needs it: `c_t = c_prev` followed by `c_t *= ...` (or `+=`) "
                "writes into `c_prev` itself. Build new arrays: "
                "`c_t = gate_u * c_tilde + (1 - gate_u) * c_prev`.")
SIMPLE_STEP = ("Γu = σ(W_u c_prev + U_u x_t + b_u), c̃ = tanh(W_c c_prev + U_c x_t + b_c), "
               "c_t = Γu ⊙ c̃ + (1 - Γu) ⊙ c_prev")
FULL_STEP = ("Γr = σ(W_r c_prev + U_r x_t + b_r), Γu = σ(W_u c_prev + U_u x_t + b_u), "
             "c̃ = tanh(W_c (Γr ⊙ c_prev) + U_c x_t + b_c), c_t = Γu ⊙ c̃ + (1 - Γu) ⊙ c_prev")
FLIPPED = ("`1 - Γu` is on the wrong side: Γu weights the NEW candidate and 1 - Γu the old "
           "cell, c_t = Γu ⊙ c̃ + (1 - Γu) ⊙ c_prev (a gate near 0 keeps the cell).")


def _activation_mistakes(step) -> list[Mistake]:
    return [
        Mistake("the gate uses tanh where a sigmoid belongs: a gate is σ(...), between 0 "
                "(keep) and 1 (overwrite), Γu = σ(W_u c_prev + U_u x_t + b_u).",
                lambda *a: step(*a, gate_act=np.tanh)),
        Mistake("the candidate c̃ uses a sigmoid where tanh belongs: c̃ = tanh(...) lies between "
                "-1 and 1, so writing can lower a cell as well as raise it.",
                lambda *a: step(*a, candidate_act=sigmoid)),
        Mistake("sigmoid and tanh are swapped: the gate uses σ, the candidate c̃ uses tanh.",
                lambda *a: step(*a, gate_act=np.tanh, candidate_act=sigmoid)),
    ]


def _mix_mistakes(step) -> list[Mistake]:
    return [
        Mistake(FLIPPED, lambda *a: step(*a, mix="flipped"), keys=("c_t",)),
        Mistake("the update gate is missing from the new cell: c_t = c̃ overwrites the cell at "
                "every step, as a vanilla unit does. Mix the two: "
                "c_t = Γu ⊙ c̃ + (1 - Γu) ⊙ c_prev.",
                lambda *a: step(*a, mix="no_update"), keys=("c_t",)),
        Mistake("the old cell is dropped: c_t = Γu ⊙ c̃ loses c_prev. The term (1 - Γu) ⊙ c_prev "
                "is what keeps the memory: c_t = Γu ⊙ c̃ + (1 - Γu) ⊙ c_prev.",
                lambda *a: step(*a, mix="no_old"), keys=("c_t",)),
        Mistake("the old cell is added unscaled: c_t = Γu ⊙ c̃ + c_prev. It is weighted by "
                "1 - Γu: c_t = Γu ⊙ c̃ + (1 - Γu) ⊙ c_prev.",
                lambda *a: step(*a, mix="unscaled_old"), keys=("c_t",)),
    ]


def _weight_mistakes(step, equation: str) -> list[Mistake]:
    return [
        Mistake(f"the biases `b_*` are missing: every gate and the candidate add their own "
                f"bias. The step is {equation}.",
                lambda *a: step(*a, bias=False)),
        *weight_mix_ups(step, "u", "cell c_prev"),
        Mistake(f"the previous cell c_prev is ignored inside the gates and the candidate: each "
                f"reads it through its `W_*`. The step is {equation}.",
                lambda *a: step(*a, ignore_state=True)),
        Mistake(f"the input x_t is ignored. The step is {equation}.",
                lambda *a: step(*a, ignore_input=True)),
    ]


def _copy_slips(step, gates) -> list[Mistake]:
    """A gate computed with another gate's weights: a copy-paste slip."""
    return [Mistake(f"the {NAMES[gate]} is computed with the weights of the {NAMES[other]} "
                    f"(`U_{other}`, `W_{other}`, `b_{other}`): a copy-paste slip? Each has its "
                    f"own: `U_{gate}`, `W_{gate}`, `b_{gate}`.",
                    lambda *a, g=gate, o=other: step(*a, copy=(g, o)))
            for gate, other in itertools.permutations(gates, 2)]


def _return_mistakes(step) -> list[Mistake]:
    return [
        Mistake("c_t and gate_u are swapped in the return: `return c_t, gate_u`.",
                lambda *a: step(*a, swap_return=True)),
        Mistake("the second value returned is the candidate c̃; return the update gate Γu: "
                "`return c_t, gate_u`.",
                lambda *a: step(*a, second="c_tilde")),
    ]


def _key_hint(names) -> str:
    return ("The keys of `params` are " + ", ".join(f"'{n}'" for n in names)
            + ": `U_*` (J, D), `W_*` (J, J) and `b_*` (J,) for each of "
            + ", ".join(NAMES[g] for g in ("r", "u", "c") if f"U_{g}" in names) + ".")


# --- Exercise 1: the simplified GRU -------------------------------------------------------------
def _simple(*a, **switches):
    return _step_variant(*a, **{"full": False, **switches})


check_simplified_gru_step = HintedCheck(
    "simplified_gru_step", reference_simplified_gru_step,
    again_with_new_values(
        fixture_cases(fixture, {"x_t": "x_t", "c_prev": "c_prev", "params": "simple"}, "DJ")),
    output_names=("c_t", "gate_u"),
    shape_tip=SHAPE_TIP, nan_tip=NAN_TIP, in_place_tip=IN_PLACE_TIP,
    hints=[(r"KeyError: 'U_r'|KeyError: 'W_r'|KeyError: 'b_r'",
            "The simplified GRU has no relevance gate: only 'U_u', 'W_u', 'b_u' (update gate) "
            "and 'U_c', 'W_c', 'b_c' (candidate)."),
           (r"KeyError", _key_hint(SIMPLE_PARAMS))],
    mistakes=[*_activation_mistakes(_simple), *_mix_mistakes(_simple),
              *_weight_mistakes(_simple, SIMPLE_STEP), *_copy_slips(_simple, ("u", "c")),
              *_return_mistakes(_simple)],
)


# --- Exercise 2: the full GRU -------------------------------------------------------------------
check_gru_step = HintedCheck(
    "gru_step", reference_gru_step,
    again_with_new_values(
        fixture_cases(fixture, {"x_t": "x_t", "c_prev": "c_prev", "params": "full"}, "DJ")),
    output_names=("c_t", "gate_u"),
    shape_tip=SHAPE_TIP, nan_tip=NAN_TIP, in_place_tip=IN_PLACE_TIP,
    hints=[(r"KeyError", _key_hint(GRU_PARAMS))],
    mistakes=[
        Mistake("the gates use tanh where a sigmoid belongs: Γr and Γu are σ(...), between 0 "
                "and 1.", lambda *a: _step_variant(*a, gate_act=np.tanh)),
        *_activation_mistakes(_step_variant)[1:],
        Mistake("the second value returned is the relevance gate Γr; return the update gate Γu: "
                "`return c_t, gate_u`.",
                lambda *a: _step_variant(*a, second="r")),
        Mistake("the update and relevance gates are swapped: Γu comes from `U_u`, `W_u`, `b_u` "
                "and mixes c̃ with c_prev; Γr comes from `U_r`, `W_r`, `b_r` and scales c_prev "
                "inside the candidate.",
                lambda *a: _step_variant(*a, swap_gates=True)),
        *_mix_mistakes(_step_variant),
        Mistake("the relevance gate is applied AFTER the product, Γr ⊙ (W_c c_prev): that is "
                "PyTorch's form (Exercise 4). Here, as in Cho et al., it scales the old cell "
                "before W_c: c̃ = tanh(W_c (Γr ⊙ c_prev) + U_c x_t + b_c).",
                lambda *a: _step_variant(*a, reset="after", b_hc="missing"), keys=("c_t",)),
        Mistake("the relevance gate is applied to the wrong term: it scales the input term "
                "U_c x_t; it belongs on the old cell: c̃ = tanh(W_c (Γr ⊙ c_prev) + U_c x_t + b_c).",
                lambda *a: _step_variant(*a, reset="input"), keys=("c_t",)),
        Mistake("the relevance gate is applied to the wrong term: it scales the candidate c̃ "
                "after the tanh; it belongs on the old cell inside: "
                "c̃ = tanh(W_c (Γr ⊙ c_prev) + U_c x_t + b_c).",
                lambda *a: _step_variant(*a, reset="candidate"), keys=("c_t",)),
        Mistake("the relevance gate is applied to the wrong term: it scales c_prev in the final "
                "mix; it acts only inside the candidate, c̃ = tanh(W_c (Γr ⊙ c_prev) + U_c x_t "
                "+ b_c), and the mix keeps the whole old cell: c_t = Γu ⊙ c̃ + (1 - Γu) ⊙ c_prev.",
                lambda *a: _step_variant(*a, reset="mix"), keys=("c_t",)),
        Mistake("the relevance gate Γr is missing: that is the simplified GRU. In the full GRU "
                "it scales the old cell inside the candidate: "
                "c̃ = tanh(W_c (Γr ⊙ c_prev) + U_c x_t + b_c).",
                lambda *a: _step_variant(*a, reset="none"),
                keys=("c_t",)),
        *_weight_mistakes(_step_variant, FULL_STEP),
        *_copy_slips(_step_variant, ("r", "u", "c")),
        *_return_mistakes(_step_variant),
    ],
)


# --- Exercise 3: the weights of torch.nn.GRU --------------------------------------------------
def _params_variant(gru, order=TORCH_ORDER, negate="both", bias="both", n_bias="split",
                    swap_ih_hh=False, transpose=False):
    """The conversion with one mistake switched on (defaults: the right one).

    order: which PyTorch block the learner takes for r, z and n (the true order: r, z, n).
    negate: how Γu = 1 - z is made: "both" (weights and bias negated), "none", "weights",
        "bias", "one_minus" (1 - w).
    bias: for r and z: "both" (b_ih + b_hh), "ih" or "hh" only.
    n_bias: "split" (b_c = b_in, b_hc = b_hn), "merged" (b_c = b_in + b_hn, b_hc = 0),
        "merged_twice" (b_c = b_in + b_hn, b_hc = b_hn), "swapped" (b_c = b_hn, b_hc = b_in).
    """
    J = gru.hidden_size
    w_ih, w_hh = gru.weight_ih_l0.detach().numpy(), gru.weight_hh_l0.detach().numpy()
    b_ih, b_hh = gru.bias_ih_l0.detach().numpy(), gru.bias_hh_l0.detach().numpy()
    if swap_ih_hh:
        w_ih, w_hh = w_hh, w_ih
    rows = {name: slice(k * J, (k + 1) * J) for k, name in enumerate(order)}

    def take(array, name):
        block = array[rows[name]]
        return (block.T if transpose else block).copy()

    summed = {"both": b_ih + b_hh, "ih": b_ih, "hh": b_hh}[bias]
    U_z, W_z, b_z = take(w_ih, "z"), take(w_hh, "z"), summed[rows["z"]].copy()
    if negate == "one_minus":
        U_u, W_u, b_u = 1 - U_z, 1 - W_z, 1 - b_z
    else:
        sign_w = -1.0 if negate in ("both", "weights") else 1.0
        sign_b = -1.0 if negate in ("both", "bias") else 1.0
        U_u, W_u, b_u = sign_w * U_z, sign_w * W_z, sign_b * b_z
    b_in, b_hn = b_ih[rows["n"]].copy(), b_hh[rows["n"]].copy()
    b_c, b_hc = {"split": (b_in, b_hn), "merged": (b_in + b_hn, 0 * b_hn),
                 "merged_twice": (b_in + b_hn, b_hn), "swapped": (b_hn, b_in)}[n_bias]
    return {"U_r": take(w_ih, "r"), "W_r": take(w_hh, "r"), "b_r": summed[rows["r"]].copy(),
            "U_u": U_u, "W_u": W_u, "b_u": b_u,
            "U_c": take(w_ih, "n"), "W_c": take(w_hh, "n"), "b_c": b_c, "b_hc": b_hc}


def reference_params_from_torch_gru(gru):
    """Layer 0 of a torch.nn.GRU in the course's names (reset after): row blocks r, z, n of
    weight_ih_l0 (3J, D), weight_hh_l0 (3J, J), bias_ih_l0, bias_hh_l0; Γu = 1 - z, so the
    z block is negated; b_r, b_u from b_ih + b_hh; b_c = b_in, b_hc = b_hn."""
    return _params_variant(gru)


def _order_text(order) -> str:
    """A wrong order of the three row blocks, named."""
    keras = (" (Keras, for one, stacks z, r, h: always check the library's order)"
             if order == ("z", "r", "n") else "")
    return (f"the gate blocks were sliced in the wrong order, as {', '.join(order)}{keras}. "
            "PyTorch stacks them r, z, n: rows 0:J are r (→ Γr), J:2J are z (→ Γu, negated), "
            "2J:3J are n (→ the candidate).")


def _explain_params(case: Case, leaves) -> str:
    """Which arrays are wrong points to the cause."""
    wrong = [leaf.name for leaf in leaves if not values_match(leaf.got, leaf.expected)]
    right = [leaf.name for leaf in leaves if leaf.name not in wrong]
    if set(wrong) <= {"b_r", "b_u", "b_c", "b_hc"}:
        return ("The weights are right, the biases are not. PyTorch has two biases per block: "
                "b_r = (bias_ih + bias_hh) of block r, b_u = -(bias_ih + bias_hh) of block z, "
                "b_c = bias_ih of block n and b_hc = bias_hh of block n.")
    return ("Right: " + (", ".join(f"`{n}`" for n in right) or "none")
            + "; wrong: " + ", ".join(f"`{n}`" for n in wrong) + ".")


U_BIASES = tuple(f"b_{g}" for g in "ru")
check_params_from_torch_gru = conversion_check(
    "gru", reference_params_from_torch_gru,
    whole_stack="That is the whole stack of three blocks: take one block of J rows, "
                "`w[k * J:(k + 1) * J]` for block k (r: k = 0, z: k = 1, n: k = 2).",
    stacked="them",
    in_place_tip="Converting must leave the module as it was: `.detach().numpy()` SHARES memory "
                 "with the parameter, so `U_u *= -1` (or `-=`, `.neg_()`, `.add_()`) on it "
                 "changes the model's own weights. Make new arrays: `U_u = -w_ih[J:2 * J]`.",
    explain=_explain_params,
    mistakes=[
        Mistake("the z block's weights are negated but not its bias: Γu = 1 - z = σ(-a_z) "
                "needs the whole pre-activation negated, b_u = -(b_iz + b_hz) too.",
                lambda gru: _params_variant(gru, negate="weights")),
        Mistake("the z block's bias is negated but not its weights: Γu = 1 - z = σ(-a_z) "
                "needs the whole pre-activation negated, `U_u = -w_ih[z]`, `W_u = -w_hh[z]`.",
                lambda gru: _params_variant(gru, negate="bias")),
        Mistake("PyTorch's z is used without converting. Its z weights the OLD state, "
                "h_t = (1 - z) ⊙ n + z ⊙ h_prev, so the course's Γu = 1 - z = σ(-a_z): negate "
                "the z block's weights AND its bias.",
                lambda gru: _params_variant(gru, negate="none"),
                keys=("U_u", "W_u", "b_u")),
        Mistake("`1 - w` was applied to the z block's weights. 1 - z holds for the gate's "
                "VALUE; for the weights it means a minus sign, since 1 - σ(a) = σ(-a): "
                "`U_u = -w_ih[z]`, `W_u = -w_hh[z]`, `b_u = -(b_ih[z] + b_hh[z])`.",
                lambda gru: _params_variant(gru, negate="one_minus"),
                keys=("U_u", "W_u", "b_u")),
        *block_order_mistakes(TORCH_ORDER, _order_text, _params_variant),
        Mistake("only `bias_ih_l0` is used for Γr and Γu. PyTorch adds two biases; for r and z "
                "the course's single bias is their sum, `bias_ih_l0 + bias_hh_l0`, block by "
                "block (negated for z).",
                lambda gru: _params_variant(gru, bias="ih"), keys=U_BIASES),
        Mistake("only `bias_hh_l0` is used for Γr and Γu. PyTorch adds two biases; for r and z "
                "the course's single bias is their sum, `bias_ih_l0 + bias_hh_l0`, block by "
                "block (negated for z).",
                lambda gru: _params_variant(gru, bias="hh"), keys=U_BIASES),
        Mistake("b_hn was added into b_c, and also kept as b_hc, so it counts twice. "
                "`b_c = bias_ih` of block n only; `b_hc = bias_hh` of block n.",
                lambda gru: _params_variant(gru, n_bias="merged_twice")),
        Mistake("b_hn was merged into b_c. The n block's two biases must stay apart: b_hn sits "
                "INSIDE the reset product, Γr ⊙ (W_hn h + b_hn), so `b_c = bias_ih` of block n "
                "and `b_hc = bias_hh` of block n.",
                lambda gru: _params_variant(gru, n_bias="merged"), keys=("b_c", "b_hc")),
        Mistake("b_c and b_hc are swapped: b_c = b_in comes from `bias_ih_l0` (block n), b_hc "
                "= b_hn from `bias_hh_l0`, the bias inside the reset product.",
                lambda gru: _params_variant(gru, n_bias="swapped"), keys=("b_c", "b_hc")),
        *torch_layout_mistakes(_params_variant),
    ],
)


# --- Exercise 4: PyTorch's form over a sequence ----------------------------------------------
AFTER_STEP = ("Γr and Γu as in Exercise 2, c̃_t = tanh(U_c x_t + b_c + Γr ⊙ (W_c c_prev + "
              "b_hc)), c_t = Γu ⊙ c̃_t + (1 - Γu) ⊙ c_prev")


def _forward(**switches):
    return lambda xs, c0, p: _forward_variant(
        xs, c0, p, step=lambda x, c, q: _after_step(x, c, q, **switches))


check_gru_forward_reset_after = HintedCheck(
    "gru_forward_reset_after", reference_gru_forward_reset_after,
    again_with_new_values(fixture_cases(fixture, {"xs": "xs", "c0": "c0", "params": "after"},
                                        "TDJ")),
    output_names=("cs", "gates_u"),
    shape_tip="`xs[t]` is (D,), the state (J,); `cs` and `gates_u` are (T, J): one row per "
              "step, e.g. `np.zeros((T, J))` with J = `len(c0)`. " + SHAPE_TIP,
    shape_hint=rows_shape_hint(
        "One row too many: `{name}` holds one row per input step, the value after reading "
        "`xs[t]`; don't store the initial state.",
        "That is one step's value: return all T of them, one row per step.",
        "`{name}` needs J columns (the hidden size, `len(c0)`), not D."),
    nan_tip=NAN_TIP,
    explain=explain_by_row(
        "Already row 0 is wrong, so the first step is: do you start from the given "
        f"`c0`, and compute {AFTER_STEP}?",
        "Row 0 is right but row {row} is not: check how the state is passed "
        "from one step to the next (the new c_t is the next step's c_prev)."),
    in_place_tip="The caller still needs it: `c = c0` followed by `c *= ...`, `c += ...` or "
                 "`c[:] = ...` writes into `c0` itself. Build a new array at each step: "
                 "`c = gate_u * c_tilde + (1 - gate_u) * c`.",
    hints=[(r"KeyError", _key_hint(AFTER_PARAMS) + " 'b_hc' is the bias inside the reset "
                         "product."), ZEROS_HINT],
    mistakes=[
        Mistake("the relevance gate is applied BEFORE the product, as in Exercise 2 (Cho et "
                "al.): W_c (Γr ⊙ c_prev). PyTorch's form gates the result: "
                "c̃_t = tanh(U_c x_t + b_c + Γr ⊙ (W_c c_prev + b_hc)).",
                _forward(reset="before", b_hc="missing")),
        Mistake("the relevance gate is applied BEFORE the product (Exercise 2's form), with b_hc "
                "added: PyTorch's form gates the result of the product, bias included: "
                "c̃_t = tanh(U_c x_t + b_c + Γr ⊙ (W_c c_prev + b_hc)).",
                _forward(reset="before", b_hc="outside")),
        Mistake("b_hc is added outside the reset product: it belongs inside, where Γr scales "
                "it with W_c c_prev: c̃_t = tanh(U_c x_t + b_c + Γr ⊙ (W_c c_prev + b_hc)).",
                _forward(b_hc="outside")),
        Mistake("b_hc is missing: c̃_t = tanh(U_c x_t + b_c + Γr ⊙ (W_c c_prev + b_hc)).",
                _forward(b_hc="missing")),
        Mistake("`1 - Γu` is on the wrong side: that is PyTorch's formula for its z, "
                "h_t = (1 - z) ⊙ n + z ⊙ h_prev. The converted weights give Γu = 1 - z, so "
                "c_t = Γu ⊙ c̃_t + (1 - Γu) ⊙ c_prev.", _forward(mix="flipped"), keys=("cs",)),
        Mistake("the gates returned are 1 - Γu (PyTorch's z); return the course's update gate "
                "Γu = σ(W_u c_prev + U_u x_t + b_u), whose value near 0 means keep.",
                _forward(second="z"), keys=("gates_u",)),
        Mistake("the update and relevance gates are swapped: Γu comes from `U_u`, `W_u`, `b_u`, "
                "Γr from `U_r`, `W_r`, `b_r`.", _forward(swap_gates=True)),
        Mistake("the relevance gate Γr is missing: c̃_t = tanh(U_c x_t + b_c + Γr ⊙ (W_c c_prev "
                "+ b_hc)).", _forward(reset="none", b_hc="inside"), keys=("cs",)),
        Mistake("the sequence starts from zeros instead of the given state `c0`: the first step "
                "reads `c0`.",
                lambda xs, c0, p: _forward_variant(xs, c0, p, start="zeros")),
        Mistake("the state is not carried over: every step starts again from `c0`. Feed each "
                "step's new c_t into the next step.",
                lambda xs, c0, p: _forward_variant(xs, c0, p, carry=False)),
        Mistake("the rows are shifted by one step: row 0 should be the state after reading "
                "`xs[0]`, not the initial state.",
                lambda xs, c0, p: (np.vstack([c0, reference_gru_forward_reset_after(xs, c0, p)[0][:-1]]),
                                   reference_gru_forward_reset_after(xs, c0, p)[1]),
                keys=("cs",)),
        Mistake("every row holds the final state: the same array was stored at every step and "
                "then overwritten at every step. Store a new array at each step.",
                lambda xs, c0, p: (np.tile(reference_gru_forward_reset_after(xs, c0, p)[0][-1],
                                           (len(xs), 1)),
                                   reference_gru_forward_reset_after(xs, c0, p)[1]),
                keys=("cs",)),
        Mistake("the sequence is read backwards: step t reads `xs[t]`, from t = 0 to T-1.",
                lambda xs, c0, p: _forward_variant(xs, c0, p, reverse=True)),
        Mistake("`cs` and `gates_u` are swapped in the return: `return cs, gates_u`.",
                lambda xs, c0, p: _forward_variant(xs, c0, p, swap_return=True)),
        Mistake(f"the biases `b_*` and `b_hc` are missing. The step is {AFTER_STEP}.",
                _forward(bias=False, b_hc="missing")),
    ],
)

# The converter's cases come from core.conversion_check: add the repeated case here.
check_params_from_torch_gru.make_cases = again_with_new_values(
    check_params_from_torch_gru.make_cases, "non-square sizes again, another module")
CHECKS = {check.name: with_edges(check) for check in (
    check_simplified_gru_step, check_gru_step, check_params_from_torch_gru,
    check_gru_forward_reset_after)}
