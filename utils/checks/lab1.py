"""Checks for Lab 1, "An RNN from scratch" (numpy, one sequence, no batch axis).

    from utils.checks.lab1 import check_rnn_cell_forward
    check_rnn_cell_forward(rnn_cell_forward)      # -> a green, grey or red box

Every check runs the learner's function on the same six cases, generated from ONE spec
(``SIZES``): non-square sizes (D != J != K), a single step with one input (T = 1, D = 1),
a square U (D = J, so a transposed U gives numbers instead of a shape error), large inputs
(overflow), a second non-square draw, and the first case's sizes again with new values (a
function that caches a result or keeps state between calls fails there, and is told so). All inputs are non-zero (h0 included), so every
term of every equation changes the result. Expected values come from ``utils.numpy_rnn``
at check time; the known mistakes below are variants of it.
"""
from __future__ import annotations

import numpy as np

from .. import numpy_rnn
from .core import Case, Check, HintedCheck, Mistake, explain_by_row, rows_shape_hint
from .edges import with_edges

# --- one spec for every case ------------------------------------------------------------------
SIZES = (
    dict(T=5, D=3, J=4, K=6, label="non-square sizes"),
    dict(T=1, D=1, J=2, K=3, label="one step with one input (T=1, D=1)"),
    dict(T=6, D=5, J=5, K=2, label="as many inputs as hidden units (square U)"),
    dict(T=3, D=2, J=3, K=5, label="large inputs", large=True),
    dict(T=7, D=4, J=6, K=3, label="other non-square sizes"),
)
LARGE = 1000.0      # large enough that exp() overflows: e^1000 = inf in float64
# A last case repeats the first one's sizes with new values: a function that caches its first
# result, or keeps state between calls (a default argument `hs=[]`), gives itself away there.
AGAIN = dict(SIZES[0], label="the sizes of case 1 again, new values")


def fixture(rng: np.random.Generator, T: int, D: int, J: int, K: int, large: bool = False) -> dict:
    """Every quantity of one small RNN problem, mutually consistent (hs is the forward pass
    of xs from h0). Scales keep tanh away from saturation, so derivatives are not ~0."""
    f = {
        "xs": rng.normal(size=(T, D)) * (LARGE if large else 1.0),
        "h0": rng.uniform(-0.9, 0.9, size=J),
        "U": rng.normal(0.0, 1.0 / np.sqrt(D), size=(J, D)),
        "W": rng.normal(0.0, 1.0 / np.sqrt(J), size=(J, J)),
        "b": rng.normal(0.0, 0.5, size=J),
        "V": rng.normal(0.0, 1.0 / np.sqrt(J), size=(K, J)),
        "b_y": rng.normal(0.0, 0.5, size=K),
        "dhs": rng.normal(size=(T, J)),
        "targets": rng.integers(0, K, size=T),
    }
    f["hs"] = reference_rnn_forward(f["xs"], f["h0"], f["U"], f["W"], f["b"])
    # The single-step exercises use the last step of the same sequence.
    f["x_t"], f["h_t"], f["dh_t"] = f["xs"][-1], f["hs"][-1], f["dhs"][-1]
    f["h_prev"] = f["hs"][-2] if T > 1 else f["h0"]
    return f


def cases_for(names: list[str], letters: str, scale_large: str | None = None):
    """make_cases(rng) giving the arguments `names` of every case in SIZES."""
    def make_cases(rng: np.random.Generator) -> list[Case]:
        cases = []
        for spec in (*SIZES, AGAIN):
            sizes = {k: spec[k] for k in "TDJK"}
            f = fixture(rng, **sizes, large=spec.get("large", False))
            if spec.get("large") and scale_large:       # e.g. large scores for the softmax
                f[scale_large] = f[scale_large] * LARGE
            f["params"] = {name: f[name] for name in numpy_rnn.PARAM_NAMES}
            args = {name: f[name] for name in names}
            cases.append(Case(args, {k: sizes[k] for k in letters}, spec["label"]))
        return cases
    return make_cases


# --- references with the exercises' signatures, built on utils.numpy_rnn -------------------
def reference_rnn_cell_forward(x_t, h_prev, U, W, b):
    """h_t = tanh(W h_prev + U x_t + b).  (D,), (J,) -> (J,)"""
    return numpy_rnn.rnn_step(x_t, h_prev, U, W, b)


def reference_rnn_forward(xs, h0, U, W, b):
    """All hidden states. (T, D), (J,) -> (T, J)"""
    J = len(b)
    params = {"U": U, "W": W, "b": b, "V": np.zeros((1, J)), "b_y": np.zeros(1)}
    return numpy_rnn.rnn_forward(xs, h0, params)[0]


def reference_output_layer(hs, V, b_y):
    """softmax(V h_t + b_y) for every row h_t. (T, J) -> (T, K)"""
    return numpy_rnn.softmax(hs @ V.T + b_y)


def reference_rnn_cell_backward(dh_t, x_t, h_prev, h_t, U, W):
    """One step back through tanh: dict(dU, dW, db, dh_prev, dx)."""
    return numpy_rnn.rnn_step_backward(dh_t, x_t, h_prev, h_t, U, W)


def reference_bptt(xs, h0, hs, dhs, U, W):
    """BPTT given dL/dh_t from each step's own output: dict(dU, dW, db, dh0)."""
    return _bptt_variant(xs, h0, hs, dhs, U, W)


def reference_loss_and_gradients(xs, targets, h0, params):
    """(loss, dict(dU, dW, db, dV, db_y, dh0)) for the summed cross-entropy."""
    return numpy_rnn.loss_and_gradients(params, xs, targets, h0)


# --- building blocks of the wrong variants --------------------------------------------------
def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _arctanh(h):
    """a_t recovered from h_t = tanh(a_t) (clipped: tanh of a large a_t is exactly +-1)."""
    return np.arctanh(np.clip(h, -1 + 1e-16, 1 - 1e-16))


def _pre_activation(x_t, h_prev, U, W, b):
    return W @ h_prev + U @ x_t + b


def _unroll(step, xs, h0, U, W, b):
    h, hs = h0, []
    for x_t in xs:
        h = step(x_t, h, U, W, b)
        hs.append(h)
    return np.array(hs)


def _step_backward_variant(dh_t, x_t, h_prev, h_t, U, W, derivative=lambda h: 1.0 - h ** 2,
                           dW_transposed=False, dh_prev_with_W=False, dx_with_U=False):
    """One step back (as numpy_rnn.rnn_step_backward) with one piece swapped for a mistake."""
    da = dh_t * derivative(h_t)
    return {"dU": np.outer(da, x_t),
            "dW": np.outer(h_prev, da) if dW_transposed else np.outer(da, h_prev),
            "db": da,
            "dh_prev": (W if dh_prev_with_W else W.T) @ da,
            "dx": (U if dx_with_U else U.T) @ da}


def _bptt_variant(xs, h0, hs, dhs, U, W, step=numpy_rnn.rnn_step_backward, carry=True,
                  accumulate=True, only_last=False, forward_in_time=False, h_prev_of=None,
                  dh0_before_step=False):
    """BPTT; with the default arguments this is the correct algorithm (the reference).

    Each keyword switches on one typical mistake.
    """
    T = len(xs)
    times = range(T) if forward_in_time else reversed(range(T))
    if only_last:
        times = [T - 1]
    h_prev_of = h_prev_of or (lambda t: hs[t - 1] if t > 0 else h0)
    grads = {"dU": np.zeros_like(U), "dW": np.zeros_like(W), "db": np.zeros(len(W))}
    dh_next, dh = np.zeros_like(h0), np.zeros_like(h0)
    for t in times:
        dh = dhs[t] + (dh_next if carry else 0.0)        # its own output + what came back
        contribution = step(dh, xs[t], h_prev_of(t), hs[t], U, W)
        for name in grads:
            grads[name] = grads[name] + contribution[name] if accumulate else contribution[name]
        dh_next = contribution["dh_prev"]
    grads["dh0"] = dh if dh0_before_step else dh_next
    return grads


def _loss_variant(xs, targets, h0, params, average=False, minus_one=True, loss_sign=-1.0,
                  pick_block=False):
    """numpy_rnn's loss and gradients with one typical mistake switched on."""
    hs, probs = numpy_rnn.rnn_forward(xs, h0, params)
    T = len(xs)
    picked = probs[:, targets] if pick_block else probs[np.arange(T), targets]
    loss = loss_sign * np.log(picked).sum()
    ds = probs.copy()
    if minus_one:
        ds[np.arange(T), targets] -= 1.0
    grads = {"dV": ds.T @ hs, "db_y": ds.sum(axis=0),
             **reference_bptt(xs, h0, hs, ds @ params["V"], params["U"], params["W"])}
    if average:
        loss, grads = loss / T, {k: g / T for k, g in grads.items()}
    return float(loss), grads


STEP = "h_t = tanh(W h_prev + U x_t + b)"

# --- Exercise 1: one step of the cell ---------------------------------------------------------
check_rnn_cell_forward = Check(
    "rnn_cell_forward", reference_rnn_cell_forward,
    cases_for(["x_t", "h_prev", "U", "W", "b"], "DJ"),
    output_names="h_t",
    shape_tip="`U` is (J, D) and `x_t` is (D,), so `U @ x_t` is (J,); `W @ h_prev` is (J,) too.",
    nan_tip="Use `np.tanh`: writing tanh with `np.exp` overflows for large inputs.",
    mistakes=[
        Mistake(f"the bias `b` is missing. The step is {STEP}.",
                lambda x, h, U, W, b: numpy_rnn.rnn_step(x, h, U, W, 0 * b)),
        Mistake("`W` is used transposed: `h_prev @ W` computes Wᵀ h_prev. Use `W @ h_prev`.",
                lambda x, h, U, W, b: numpy_rnn.rnn_step(x, h, U, W.T, b)),
        Mistake("`U` is used transposed: `x_t @ U` computes Uᵀ x_t. Use `U @ x_t`.",
                lambda x, h, U, W, b: numpy_rnn.rnn_step(x, h, U.T, W, b)),
        Mistake("`U` and `W` are swapped: `U` multiplies the input x_t, `W` the previous state.",
                lambda x, h, U, W, b: np.tanh(U @ h + W @ x + b)),
        Mistake("the wrong activation: sigmoid instead of tanh.",
                lambda *args: _sigmoid(_pre_activation(*args))),
        Mistake("the wrong activation: ReLU instead of tanh.",
                lambda *args: np.maximum(_pre_activation(*args), 0.0)),
        Mistake("the activation is missing: this is a_t; the state is h_t = tanh(a_t).",
                _pre_activation),
        Mistake("the previous state `h_prev` is ignored, so nothing is remembered. The step is "
                f"{STEP}.", lambda x, h, U, W, b: numpy_rnn.rnn_step(x, 0 * h, U, W, b)),
        Mistake(f"the input `x_t` is ignored. The step is {STEP}.",
                lambda x, h, U, W, b: numpy_rnn.rnn_step(0 * x, h, U, W, b)),
    ],
)


# --- Exercise 2: unroll over a sequence -------------------------------------------------------
ZEROS_HINT = (r"Cannot interpret .* as a data type|data type .* not understood",
              "`np.zeros(T, J)` reads J as the dtype: the shape is ONE argument, a tuple, "
              "`np.zeros((T, J))`.")

check_rnn_forward = HintedCheck(
    "rnn_forward", reference_rnn_forward,
    cases_for(["xs", "h0", "U", "W", "b"], "TDJ"),
    output_names="hs", hints=[ZEROS_HINT],
    depends_on=[check_rnn_cell_forward],
    shape_tip="`xs[t]` is (D,) and the state (J,); `hs` is (T, J): one row per step, "
              "`np.zeros((T, J))` with J = `len(h0)`.",
    nan_tip="Use `np.tanh`: writing tanh with `np.exp` overflows for large inputs.",
    shape_hint=rows_shape_hint(
        "One row too many: `hs` holds h_1 ... h_T, one row per input step; don't store `h0`.",
        "That is one state: return all T of them, one row per step.",
        "`hs` needs J columns (the hidden size, `len(h0)`), not D: `np.zeros((T, J))`."),
    explain=explain_by_row(
        "Already the first row, `hs[0]` = tanh(W h0 + U xs[0] + b), is wrong, so the step "
        "itself is: does your `rnn_cell_forward` pass its check, and do you call it as "
        "`rnn_cell_forward(xs[t], h, U, W, b)`?",
        "Row `hs[0]` is right but row `hs[{row}]` is not: check how the state is "
        "passed from one step to the next (h = the new state, fed into the next step)."),
    mistakes=[
        Mistake("the state is not carried over: every step starts again from `h0`. Feed each "
                "new state into the next step.",
                lambda xs, h0, U, W, b: np.array([numpy_rnn.rnn_step(x, h0, U, W, b) for x in xs])),
        Mistake("the state is not carried over: every step starts from zeros. Feed each new "
                "state into the next step.",
                lambda xs, h0, U, W, b: np.array([numpy_rnn.rnn_step(x, 0 * h0, U, W, b)
                                                  for x in xs])),
        Mistake("the sequence starts from zeros instead of the initial state `h0`.",
                lambda xs, h0, U, W, b: reference_rnn_forward(xs, 0 * h0, U, W, b)),
        Mistake("the rows are shifted by one step: `hs[0]` should be h_1, the state after "
                "reading `xs[0]` (not `h0`).",
                lambda xs, h0, U, W, b: np.vstack([h0,
                                                   reference_rnn_forward(xs, h0, U, W, b)[:-1]])),
        Mistake("every row holds the final state: the same array was stored at every step and "
                "then changed in place. Store a new array at each step.",
                lambda xs, h0, U, W, b: np.tile(reference_rnn_forward(xs, h0, U, W, b)[-1],
                                                (len(xs), 1))),
        Mistake("the sequence is read backwards: step t reads `xs[t]`, from t = 0 to T-1.",
                lambda xs, h0, U, W, b: reference_rnn_forward(xs[::-1], h0, U, W, b)),
        Mistake("the bias `b` is missing in the step.",
                lambda xs, h0, U, W, b: reference_rnn_forward(xs, h0, U, W, 0 * b)),
        Mistake("`W` is used transposed in the step (`h @ W` computes Wᵀ h).",
                lambda xs, h0, U, W, b: reference_rnn_forward(xs, h0, U, W.T, b)),
        Mistake("the wrong activation in the step: the state is h_t = tanh(a_t).",
                lambda xs, h0, U, W, b: _unroll(_pre_activation, xs, h0, U, W, b)),
    ],
)


# --- Exercise 3: the output layer -------------------------------------------------------------
def _softmax_over_time(o):
    return numpy_rnn.softmax(o.T).T


def _softmax_global(o):
    z = np.exp(o - o.max())
    return z / z.sum()


def _softmax_column_shift(o):
    z = np.exp(o - o.max(axis=0))
    return z / z.sum(axis=1, keepdims=True)


def _scores(hs, V, b_y):
    return hs @ V.T + b_y


def _explain_output(case: Case, leaves) -> str:
    """Are the rows distributions? That separates the normalisation from the scores."""
    (leaf,) = leaves
    probs = leaf.got
    if np.allclose(probs.sum(axis=1), 1.0):
        return ("Each row sums to 1, so the normalisation is fine: check the scores "
                "s_t = V h_t + b_y.")
    if np.isclose(probs.sum(), 1.0):
        return ("The whole array sums to 1: it is normalised at once, but each row (one time "
                "step) must sum to 1 on its own. Sum over `axis=1` with `keepdims=True`.")
    return ("The rows don't sum to 1: each row must be a probability distribution over the K "
            "classes.")


check_output_layer = Check(
    "output_layer", reference_output_layer,
    cases_for(["hs", "V", "b_y"], "TJK", scale_large="V"),
    output_names="probs",
    explain=_explain_output,
    shape_tip="`hs` is (T, J) and `V` is (K, J): the scores of every step at once are "
              "`hs @ V.T + b_y`, (T, K). Keep the row max as a column with `keepdims=True`.",
    nan_tip="The large-score case (|s| about 1000) overflows `np.exp` (e^1000 = inf, and inf/inf "
            "= NaN). Subtract each row's own max before exponentiating: softmax(s) = "
            "softmax(s - max(s)); use `s.max(axis=1, keepdims=True)` (the max of the whole array "
            "is not enough: other rows then underflow to 0/0).",
    mistakes=[
        Mistake("the softmax runs over the wrong axis (over time, axis 0). Each row (one time "
                "step) must sum to 1: use `axis=1` (or `axis=-1`) with `keepdims=True`.",
                lambda hs, V, b_y: _softmax_over_time(_scores(hs, V, b_y))),
        Mistake("the whole array is normalised at once; each row (one time step) must sum to 1 "
                "on its own: sum over `axis=1` with `keepdims=True`.",
                lambda hs, V, b_y: _softmax_global(_scores(hs, V, b_y))),
        Mistake("the max is subtracted per column (`axis=0`); subtract each row's max, "
                "`o.max(axis=1, keepdims=True)`.",
                lambda hs, V, b_y: _softmax_column_shift(_scores(hs, V, b_y))),
        Mistake("the bias `b_y` is missing: s_t = V h_t + b_y.",
                lambda hs, V, b_y: reference_output_layer(hs, V, 0 * b_y)),
        Mistake("`V` is used transposed.",
                lambda hs, V, b_y: numpy_rnn.softmax(hs @ V + b_y)),
        Mistake("the softmax is missing: these are the scores (logits) s_t = V h_t + b_y, not "
                "probabilities.",
                _scores),
        Mistake("sigmoid instead of softmax: each row must be a probability distribution "
                "(positive, summing to 1).",
                lambda hs, V, b_y: _sigmoid(_scores(hs, V, b_y))),
    ],
)


# --- Exercise 4: backward through one step ----------------------------------------------------
TANH_PRIME = "tanh'(a_t) = 1 - h_t², i.e. `da = dh_t * (1 - h_t**2)`"

check_rnn_cell_backward = Check(
    "rnn_cell_backward", reference_rnn_cell_backward,
    cases_for(["dh_t", "x_t", "h_prev", "h_t", "U", "W"], "DJ"),
    output_names="grads",
    shape_tip="With da_t (J,): `dU = np.outer(da, x_t)` is (J, D), `dW = np.outer(da, h_prev)` "
              "(J, J), `dh_prev = W.T @ da` (J,), `dx = U.T @ da` (D,).",
    mistakes=[
        Mistake(f"the tanh' factor is missing: first go back through tanh, {TANH_PRIME}.",
                lambda *a: _step_backward_variant(*a, derivative=lambda h: 1.0)),
        Mistake(f"tanh is applied to h_t again: h_t is already tanh(a_t), and {TANH_PRIME} "
                "(not 1 - tanh(h_t)²).",
                lambda *a: _step_backward_variant(*a, derivative=lambda h: 1.0 - np.tanh(h) ** 2)),
        Mistake(f"a_t is used where h_t belongs in tanh': {TANH_PRIME}, not 1 - a_t².",
                lambda *a: _step_backward_variant(*a, derivative=lambda h: 1.0 - _arctanh(h) ** 2)),
        Mistake(f"the brackets in tanh' are off: (1 - h_t)² is not 1 - h_t²; {TANH_PRIME}.",
                lambda *a: _step_backward_variant(*a, derivative=lambda h: (1.0 - h) ** 2)),
        Mistake(f"that is the sigmoid's derivative h(1 - h); for tanh, {TANH_PRIME}.",
                lambda *a: _step_backward_variant(*a, derivative=lambda h: h * (1.0 - h))),
        Mistake("`dW` is transposed: dW = da h_prevᵀ, i.e. `np.outer(da, h_prev)`.",
                lambda *a: _step_backward_variant(*a, dW_transposed=True), keys=("dW",)),
        Mistake("`dh_prev` uses W where Wᵀ belongs: the gradient flows back through the "
                "transpose, `dh_prev = W.T @ da`.",
                lambda *a: _step_backward_variant(*a, dh_prev_with_W=True), keys=("dh_prev",)),
        Mistake("`dx` uses U where Uᵀ belongs: `dx = U.T @ da`.",
                lambda *a: _step_backward_variant(*a, dx_with_U=True), keys=("dx",)),
    ],
)


# --- Exercise 5: backpropagation through time -----------------------------------------------
check_bptt = Check(
    "bptt", reference_bptt,
    cases_for(["xs", "h0", "hs", "dhs", "U", "W"], "TDJ"),
    output_names="grads",
    depends_on=[check_rnn_cell_backward],
    shape_tip="`dhs[t]` and the carried gradient are (J,); the sums `dU`, `dW`, `db` have the "
              "shapes of U (J, D), W (J, J) and b (J,).",
    mistakes=[
        Mistake("only the last step's contribution is there. U, W and b are shared by all T "
                "steps, so their gradients are sums over t: add every step's contribution "
                "(`+=`).",
                lambda *a: _bptt_variant(*a, only_last=True), keys=("dU", "dW", "db")),
        Mistake("each step's contribution replaces the previous one (`=` instead of `+=`): "
                "the gradients of shared weights are sums over all T steps.",
                lambda *a: _bptt_variant(*a, accumulate=False), keys=("dU", "dW", "db")),
        Mistake("the gradient is not carried back through time: step t must receive "
                "`dhs[t]` plus the `dh_prev` returned by step t+1.",
                lambda *a: _bptt_variant(*a, carry=False)),
        Mistake("the loop runs forward in time. BPTT starts at the last step: "
                "`for t in reversed(range(T))`.",
                lambda *a: _bptt_variant(*a, forward_in_time=True)),
        Mistake("at t = 0 the previous state is `hs[-1]` (Python's last row!), not `h0`: "
                "use `h_prev = hs[t - 1] if t > 0 else h0`.",
                lambda xs, h0, hs, dhs, U, W: _bptt_variant(xs, h0, hs, dhs, U, W,
                                                            h_prev_of=lambda t: hs[t - 1]),
                keys=("dW",)),
        Mistake("the previous state is off by one: step t needs the state before it "
                "(`hs[t - 1]`, or `h0` at t = 0), not `hs[t]`.",
                lambda xs, h0, hs, dhs, U, W: _bptt_variant(xs, h0, hs, dhs, U, W,
                                                            h_prev_of=lambda t: hs[t]),
                keys=("dW",)),
        Mistake("`dh0` is the gradient at h_1, one step short: after the loop, `dh0` is the "
                "`dh_prev` returned by step t = 0.",
                lambda *a: _bptt_variant(*a, dh0_before_step=True), keys=("dh0",)),
        Mistake(f"the tanh' factor is missing: {TANH_PRIME}.",
                lambda *a: _bptt_variant(*a, step=lambda *s: _step_backward_variant(
                    *s, derivative=lambda h: 1.0))),
        Mistake("the gradient flows back through W instead of Wᵀ: `dh_prev = W.T @ da`.",
                lambda *a: _bptt_variant(*a, step=lambda *s: _step_backward_variant(
                    *s, dh_prev_with_W=True))),
    ],
)


# --- Exercise 6: the loss and every gradient --------------------------------------------------
check_loss_and_gradients = Check(
    "loss_and_gradients", reference_loss_and_gradients,
    cases_for(["xs", "targets", "h0", "params"], "TDJK"),
    output_names=("loss", "grads"),
    depends_on=[check_rnn_forward, check_output_layer, check_bptt],
    shape_tip="`probs` and `ds` are (T, K); `dV = ds.T @ hs` is (K, J); the gradient each h_t "
              "gets from its own output is `ds @ V`, (T, J).",
    mistakes=[
        Mistake("the loss and gradients are averaged over the T steps; in this course the loss "
                "is the SUM over steps, L = -Σ_t log ŷ_t[y_t].",
                lambda *a: _loss_variant(*a, average=True)),
        Mistake("dL/ds_t = ŷ_t - onehot(y_t): subtract 1 at each step's target class "
                "(`ds[np.arange(T), targets] -= 1`, on a copy of `probs`).",
                lambda *a: _loss_variant(*a, minus_one=False), keys=("dU", "dW", "db", "dV",
                                                                     "db_y", "dh0")),
        Mistake("the loss has the wrong sign: L = -Σ_t log ŷ_t[y_t] is positive.",
                lambda *a: _loss_variant(*a, loss_sign=1.0), keys=("loss",)),
        Mistake("`probs[:, targets]` picks a T×T block; the probability of each step's target is "
                "`probs[np.arange(T), targets]`.",
                lambda *a: _loss_variant(*a, pick_block=True), keys=("loss",)),
    ],
)

CHECKS = {check.name: with_edges(check) for check in (
    check_rnn_cell_forward, check_rnn_forward, check_output_layer, check_rnn_cell_backward,
    check_bptt, check_loss_and_gradients)}
