"""Typical wrong answers to Lab 5's exercises, written the way learners write them.

Each answer is registered with the exercise it answers and the words its check message
must contain (case-insensitive), so tests/test_lab_contract.py can assert that the check
rejects it AND names the mistake.
"""
import numpy as np
import torch

WRONG_ANSWERS = []   # (exercise, function, words the message must contain)


def wrong(exercise, *words):
    def register(fn):
        WRONG_ANSWERS.append((exercise, fn, words))
        return fn
    return register


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _pre(params, gate, x_t, h_prev):
    return params["W_" + gate] @ h_prev + params["U_" + gate] @ x_t + params["b_" + gate]


def _cell(x_t, h_prev, c_prev, params):         # a correct step, for the later exercises
    f = _sigmoid(_pre(params, "f", x_t, h_prev))
    i = _sigmoid(_pre(params, "i", x_t, h_prev))
    o = _sigmoid(_pre(params, "o", x_t, h_prev))
    c_t = f * c_prev + i * np.tanh(_pre(params, "c", x_t, h_prev))
    return o * np.tanh(c_t), c_t


def _gates(x_t, h_prev, params):
    return (_sigmoid(_pre(params, "f", x_t, h_prev)), _sigmoid(_pre(params, "i", x_t, h_prev)),
            _sigmoid(_pre(params, "o", x_t, h_prev)), np.tanh(_pre(params, "c", x_t, h_prev)))


# --- Exercise 1: lstm_cell_forward ------------------------------------------------------------
@wrong("lstm_cell_forward", "candidate", "uses a sigmoid", "tanh")
def cell_candidate_sigmoid(x_t, h_prev, c_prev, params):
    f, i, o, _ = _gates(x_t, h_prev, params)
    c_tilde = _sigmoid(_pre(params, "c", x_t, h_prev))
    c_t = f * c_prev + i * c_tilde
    return o * np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "gates f, i, o use tanh", "sigmoid")
def cell_gates_tanh(x_t, h_prev, c_prev, params):
    f = np.tanh(_pre(params, "f", x_t, h_prev))
    i = np.tanh(_pre(params, "i", x_t, h_prev))
    o = np.tanh(_pre(params, "o", x_t, h_prev))
    c_t = f * c_prev + i * np.tanh(_pre(params, "c", x_t, h_prev))
    return o * np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "sigmoid and tanh are swapped")
def cell_activations_swapped(x_t, h_prev, c_prev, params):
    f = np.tanh(_pre(params, "f", x_t, h_prev))
    i = np.tanh(_pre(params, "i", x_t, h_prev))
    o = np.tanh(_pre(params, "o", x_t, h_prev))
    c_t = f * c_prev + i * _sigmoid(_pre(params, "c", x_t, h_prev))
    return o * np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "input and forget gates are swapped")
def cell_input_and_forget_swapped(x_t, h_prev, c_prev, params):
    f, i, o, c_tilde = _gates(x_t, h_prev, params)
    c_t = i * c_prev + f * c_tilde
    return o * np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "input and forget gates are swapped")
def cell_input_gate_from_forget_weights_and_back(x_t, h_prev, c_prev, params):
    i = _sigmoid(_pre(params, "f", x_t, h_prev))      # the two names mixed up
    f = _sigmoid(_pre(params, "i", x_t, h_prev))
    o = _sigmoid(_pre(params, "o", x_t, h_prev))
    c_t = f * c_prev + i * np.tanh(_pre(params, "c", x_t, h_prev))
    return o * np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "forget gate is missing", "c_prev + i_t")
def cell_no_forget_gate(x_t, h_prev, c_prev, params):
    f, i, o, c_tilde = _gates(x_t, h_prev, params)
    c_t = c_prev + i * c_tilde
    return o * np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "old cell is dropped", "f_t ⊙ c_prev")
def cell_forgets_everything(x_t, h_prev, c_prev, params):
    f, i, o, c_tilde = _gates(x_t, h_prev, params)
    c_t = i * c_tilde
    return o * np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "input gate is missing")
def cell_no_input_gate(x_t, h_prev, c_prev, params):
    f, i, o, c_tilde = _gates(x_t, h_prev, params)
    c_t = f * c_prev + c_tilde
    return o * np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "output gate is missing", "h_t = o_t ⊙ tanh(c_t)")
def cell_no_output_gate(x_t, h_prev, c_prev, params):
    f, i, o, c_tilde = _gates(x_t, h_prev, params)
    c_t = f * c_prev + i * c_tilde
    return np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "tanh on the cell is missing")
def cell_h_is_o_times_c(x_t, h_prev, c_prev, params):
    f, i, o, c_tilde = _gates(x_t, h_prev, params)
    c_t = f * c_prev + i * c_tilde
    return o * c_t, c_t


@wrong("lstm_cell_forward", "OLD cell", "tanh(c_prev)")
def cell_reads_the_old_cell(x_t, h_prev, c_prev, params):
    f, i, o, c_tilde = _gates(x_t, h_prev, params)
    h_t = o * np.tanh(c_prev)
    return h_t, f * c_prev + i * c_tilde


@wrong("lstm_cell_forward", "swapped in the return", "return h_t, c_t")
def cell_returns_c_then_h(x_t, h_prev, c_prev, params):
    h_t, c_t = _cell(x_t, h_prev, c_prev, params)
    return c_t, h_t


@wrong("lstm_cell_forward", "gates read the old cell c_prev", "h_prev")
def cell_gates_read_the_cell(x_t, h_prev, c_prev, params):
    f, i, o, c_tilde = _gates(x_t, c_prev, params)
    c_t = f * c_prev + i * c_tilde
    return o * np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "output gate", "weights of the forget gate", "copy-paste", "U_o")
def cell_output_gate_copied_from_forget(x_t, h_prev, c_prev, params):
    f, i, _, c_tilde = _gates(x_t, h_prev, params)
    o = _sigmoid(params["W_f"] @ h_prev + params["U_f"] @ x_t + params["b_f"])
    c_t = f * c_prev + i * c_tilde
    return o * np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "biases", "missing")
def cell_no_biases(x_t, h_prev, c_prev, params):
    def pre(g):
        return params["W_" + g] @ h_prev + params["U_" + g] @ x_t
    f, i, o = _sigmoid(pre("f")), _sigmoid(pre("i")), _sigmoid(pre("o"))
    c_t = f * c_prev + i * np.tanh(pre("c"))
    return o * np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "transposed", "W_f @ h_prev")
def cell_h_times_W(x_t, h_prev, c_prev, params):
    def pre(g):
        return h_prev @ params["W_" + g] + params["U_" + g] @ x_t + params["b_" + g]
    f, i, o = _sigmoid(pre("f")), _sigmoid(pre("i")), _sigmoid(pre("o"))
    c_t = f * c_prev + i * np.tanh(pre("c"))
    return o * np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "ValueError", "transposed", "U_*` is (J, D)")
def cell_x_times_U(x_t, h_prev, c_prev, params):
    def pre(g):
        return params["W_" + g] @ h_prev + x_t @ params["U_" + g] + params["b_" + g]
    f, i, o = _sigmoid(pre("f")), _sigmoid(pre("i")), _sigmoid(pre("o"))
    c_t = f * c_prev + i * np.tanh(pre("c"))
    return o * np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "h_prev is ignored")
def cell_no_recurrence(x_t, h_prev, c_prev, params):
    def pre(g):
        return params["U_" + g] @ x_t + params["b_" + g]
    f, i, o = _sigmoid(pre("f")), _sigmoid(pre("i")), _sigmoid(pre("o"))
    c_t = f * c_prev + i * np.tanh(pre("c"))
    return o * np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "NaN", "np.tanh")
def cell_handwritten_tanh(x_t, h_prev, c_prev, params):
    def tanh(a):
        return (np.exp(a) - np.exp(-a)) / (np.exp(a) + np.exp(-a))
    f, i, o, _ = _gates(x_t, h_prev, params)
    c_t = f * c_prev + i * tanh(_pre(params, "c", x_t, h_prev))
    return o * tanh(c_t), c_t


@wrong("lstm_cell_forward", "NaN", "inf / inf")
def cell_sigmoid_as_exp_ratio(x_t, h_prev, c_prev, params):
    def sigmoid(a):
        return np.exp(a) / (1 + np.exp(a))
    f = sigmoid(_pre(params, "f", x_t, h_prev))
    i = sigmoid(_pre(params, "i", x_t, h_prev))
    o = sigmoid(_pre(params, "o", x_t, h_prev))
    c_t = f * c_prev + i * np.tanh(_pre(params, "c", x_t, h_prev))
    return o * np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "changed its input", "`c_prev`")
def cell_scales_c_prev_in_place(x_t, h_prev, c_prev, params):
    f, i, o, c_tilde = _gates(x_t, h_prev, params)
    c_t = c_prev
    c_t *= f
    c_t += i * c_tilde
    return o * np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "KeyError", "'U_c'")
def cell_calls_the_candidate_g(x_t, h_prev, c_prev, params):
    f, i, o, _ = _gates(x_t, h_prev, params)
    g = np.tanh(_pre(params, "g", x_t, h_prev))        # PyTorch's letter, not the course's
    c_t = f * c_prev + i * g
    return o * np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "shape", "extra axis")
def cell_elementwise_W(x_t, h_prev, c_prev, params):
    def pre(g):
        return params["W_" + g] * h_prev + params["U_" + g] @ x_t + params["b_" + g]
    f, i, o = _sigmoid(pre("f")), _sigmoid(pre("i")), _sigmoid(pre("o"))
    c_t = f * c_prev + i * np.tanh(pre("c"))
    return o * np.tanh(c_t), c_t


@wrong("lstm_cell_forward", "returned None", "return")
def cell_forgot_return(x_t, h_prev, c_prev, params):
    h_t, c_t = _cell(x_t, h_prev, c_prev, params)  # noqa: F841


@wrong("lstm_cell_forward", "returned", "expected 2 values")
def cell_returns_only_h(x_t, h_prev, c_prev, params):
    return _cell(x_t, h_prev, c_prev, params)[0]


@wrong("lstm_cell_forward", "dtype", "float32")
def cell_float32(x_t, h_prev, c_prev, params):
    h_t, c_t = _cell(x_t, h_prev, c_prev, params)
    return h_t.astype(np.float32), c_t.astype(np.float32)


# --- Exercise 2: lstm_forward -------------------------------------------------------------------
def _run(xs, h0, c0, params, cell=_cell):
    T, J = len(xs), len(h0)
    hs, cs = np.zeros((T, J)), np.zeros((T, J))
    h, c = h0, c0
    for t in range(T):
        h, c = cell(xs[t], h, c, params)
        hs[t], cs[t] = h, c
    return hs, cs


@wrong("lstm_forward", "starts from zeros", "h0", "c0")
def forward_starts_from_zeros(xs, h0, c0, params):
    return _run(xs, np.zeros_like(h0), np.zeros_like(c0), params)


@wrong("lstm_forward", "cell state starts from zeros", "c0")
def forward_cell_starts_from_zeros(xs, h0, c0, params):
    return _run(xs, h0, np.zeros(len(h0)), params)


@wrong("lstm_forward", "not carried over", "h0", "c0")
def forward_always_from_the_initial_state(xs, h0, c0, params):
    T, J = len(xs), len(h0)
    hs, cs = np.zeros((T, J)), np.zeros((T, J))
    for t in range(T):
        hs[t], cs[t] = _cell(xs[t], h0, c0, params)
    return hs, cs


@wrong("lstm_forward", "cell state is not carried over", "memory")
def forward_cell_not_carried(xs, h0, c0, params):
    T, J = len(xs), len(h0)
    hs, cs = np.zeros((T, J)), np.zeros((T, J))
    h = h0
    for t in range(T):
        h, c = _cell(xs[t], h, c0, params)
        hs[t], cs[t] = h, c
    return hs, cs


@wrong("lstm_forward", "swapped on their way", "(h_t, c_t)")
def forward_passes_c_then_h(xs, h0, c0, params):
    T, J = len(xs), len(h0)
    hs, cs = np.zeros((T, J)), np.zeros((T, J))
    h, c = h0, c0
    for t in range(T):
        h, c = _cell(xs[t], c, h, params)
        hs[t], cs[t] = h, c
    return hs, cs


@wrong("lstm_forward", "`hs` and `cs` are swapped", "return hs, cs")
def forward_returns_cs_first(xs, h0, c0, params):
    hs, cs = _run(xs, h0, c0, params)
    return cs, hs


@wrong("lstm_forward", "shape", "one row too many")
def forward_keeps_the_initial_state(xs, h0, c0, params):
    hs, cs = [h0], [c0]
    for x_t in xs:
        h, c = _cell(x_t, hs[-1], cs[-1], params)
        hs.append(h)
        cs.append(c)
    return np.array(hs), np.array(cs)


@wrong("lstm_forward", "shifted by one")
def forward_stores_before_the_step(xs, h0, c0, params):
    T, J = len(xs), len(h0)
    hs, cs = np.zeros((T, J)), np.zeros((T, J))
    h, c = h0, c0
    for t in range(T):
        hs[t], cs[t] = h, c
        h, c = _cell(xs[t], h, c, params)
    return hs, cs


@wrong("lstm_forward", "shape", "one state")
def forward_returns_the_final_state(xs, h0, c0, params):
    h, c = h0, c0
    for x_t in xs:
        h, c = _cell(x_t, h, c, params)
    return h, c


@wrong("lstm_forward", "backwards")
def forward_reads_backwards(xs, h0, c0, params):
    return _run(xs[::-1], h0, c0, params)


@wrong("lstm_forward", "changed its input", "`h0`")
def forward_overwrites_h0(xs, h0, c0, params):
    T, J = len(xs), len(h0)
    hs, cs = np.zeros((T, J)), np.zeros((T, J))
    h, c = h0, c0.copy()
    for t in range(T):
        h[:], c[:] = _cell(xs[t], h, c, params)
        hs[t], cs[t] = h, c
    return hs, cs


@wrong("lstm_forward", "list", "np.stack")
def forward_returns_lists(xs, h0, c0, params):
    h, c, hs, cs = h0, c0, [], []
    for x_t in xs:
        h, c = _cell(x_t, h, c, params)
        hs.append(h)
        cs.append(c)
    return hs, cs


lstm_cell_forward = cell_no_forget_gate   # the "notebook's" cell, still wrong


@wrong("lstm_forward", "lstm_cell_forward", "does not pass its own check")
def forward_with_a_wrong_cell(xs, h0, c0, params):
    T, J = len(xs), len(h0)
    hs, cs = np.zeros((T, J)), np.zeros((T, J))
    h, c = h0, c0
    for t in range(T):
        h, c = lstm_cell_forward(xs[t], h, c, params)
        hs[t], cs[t] = h, c
    return hs, cs


# --- Exercise 3: lstm_cell_backward -------------------------------------------------------------
def _back(dh_t, dc_t, x_t, h_prev, c_prev, params, *, dc=None, df=None, di=None, do=None,
          dg=None, gate_prime=None, dc_prev=None, dW_first=None, skip_in_dh=None):
    """A learner's backward pass with the pieces a mistake replaces passed in as functions of
    the forward values (v: a dict of f, i, o, g, c_t, tanh_c)."""
    f, i, o, g = _gates(x_t, h_prev, params)
    c_t = f * c_prev + i * g
    v = {"f": f, "i": i, "o": o, "g": g, "c_t": c_t, "tanh_c": np.tanh(c_t)}
    d_c = dc(v) if dc else dc_t + dh_t * o * (1 - v["tanh_c"] ** 2)
    sp = gate_prime or (lambda s: s * (1 - s))
    da = {"f": (df(v, d_c) if df else d_c * c_prev) * sp(f),
          "i": (di(v, d_c) if di else d_c * g) * sp(i),
          "o": (do(v) if do else dh_t * v["tanh_c"]) * sp(o),
          "c": dg(v, d_c) if dg else d_c * i * (1 - g ** 2)}
    grads = {}
    for k in "fioc":
        grads["dU_" + k] = np.outer(da[k], x_t)
        grads["dW_" + k] = np.outer(h_prev, da[k]) if dW_first else np.outer(da[k], h_prev)
        grads["db_" + k] = da[k]
    grads["dx"] = sum(params["U_" + k].T @ da[k] for k in "fioc")
    grads["dh_prev"] = sum(params["W_" + k].T @ da[k] for k in "fioc" if k != skip_in_dh)
    grads["dc_prev"] = dc_prev(v, d_c) if dc_prev else d_c * f
    return grads


@wrong("lstm_cell_backward", "tanh' on the path from h_t into c_t is missing")
def backward_no_tanh_prime_on_h_path(dh_t, dc_t, x_t, h_prev, c_prev, params):
    return _back(dh_t, dc_t, x_t, h_prev, c_prev, params, dc=lambda v: dc_t + dh_t * v["o"])


@wrong("lstm_cell_backward", "1 - c_t²", "tanh²(c_t)")
def backward_one_minus_c_squared(dh_t, dc_t, x_t, h_prev, c_prev, params):
    return _back(dh_t, dc_t, x_t, h_prev, c_prev, params,
                 dc=lambda v: dc_t + dh_t * v["o"] * (1 - v["c_t"] ** 2))


@wrong("lstm_cell_backward", "upstream `dc_t` is dropped")
def backward_ignores_dc_t(dh_t, dc_t, x_t, h_prev, c_prev, params):
    return _back(dh_t, dc_t, x_t, h_prev, c_prev, params,
                 dc=lambda v: dh_t * v["o"] * (1 - v["tanh_c"] ** 2))


@wrong("lstm_cell_backward", "`dc_prev` is missing the forget gate", "dc ⊙ f_t")
def backward_dc_prev_without_f(dh_t, dc_t, x_t, h_prev, c_prev, params):
    return _back(dh_t, dc_t, x_t, h_prev, c_prev, params, dc_prev=lambda v, d_c: d_c)


@wrong("lstm_cell_backward", "`dc_prev` uses only the upstream dc_t")
def backward_dc_prev_from_dc_t_only(dh_t, dc_t, x_t, h_prev, c_prev, params):
    return _back(dh_t, dc_t, x_t, h_prev, c_prev, params, dc_prev=lambda v, d_c: dc_t * v["f"])


@wrong("lstm_cell_backward", "σ' is taken as s", "s (1 - s)")
def backward_sigmoid_prime_is_s(dh_t, dc_t, x_t, h_prev, c_prev, params):
    return _back(dh_t, dc_t, x_t, h_prev, c_prev, params, gate_prime=lambda s: s)


@wrong("lstm_cell_backward", "gates use tanh's derivative", "s (1 - s)")
def backward_gates_with_tanh_prime(dh_t, dc_t, x_t, h_prev, c_prev, params):
    return _back(dh_t, dc_t, x_t, h_prev, c_prev, params, gate_prime=lambda s: 1 - s ** 2)


@wrong("lstm_cell_backward", "candidate", "sigmoid's derivative", "1 - c̃_t²")
def backward_candidate_with_sigmoid_prime(dh_t, dc_t, x_t, h_prev, c_prev, params):
    return _back(dh_t, dc_t, x_t, h_prev, c_prev, params,
                 dg=lambda v, d_c: d_c * v["i"] * v["g"] * (1 - v["g"]))


@wrong("lstm_cell_backward", "forget-gate gradient uses c_t", "c_{t-1}")
def backward_forget_gate_reads_c_t(dh_t, dc_t, x_t, h_prev, c_prev, params):
    return _back(dh_t, dc_t, x_t, h_prev, c_prev, params, df=lambda v, d_c: d_c * v["c_t"])


@wrong("lstm_cell_backward", "output-gate gradient uses c_t", "tanh(c_t)")
def backward_output_gate_reads_c_t(dh_t, dc_t, x_t, h_prev, c_prev, params):
    return _back(dh_t, dc_t, x_t, h_prev, c_prev, params, do=lambda v: dh_t * v["c_t"])


@wrong("lstm_cell_backward", "input gate's and the candidate's gradients are swapped")
def backward_di_and_dg_swapped(dh_t, dc_t, x_t, h_prev, c_prev, params):
    return _back(dh_t, dc_t, x_t, h_prev, c_prev, params,
                 di=lambda v, d_c: d_c * v["i"],
                 dg=lambda v, d_c: d_c * v["g"] * (1 - v["g"] ** 2))


@wrong("lstm_cell_backward", "`dW_*` is transposed", "np.outer(da, h_prev)")
def backward_dW_outer_product_reversed(dh_t, dc_t, x_t, h_prev, c_prev, params):
    return _back(dh_t, dc_t, x_t, h_prev, c_prev, params, dW_first=True)


@wrong("lstm_cell_backward", "`dh_prev` is missing the contribution of the output gate")
def backward_dh_prev_without_output_gate(dh_t, dc_t, x_t, h_prev, c_prev, params):
    return _back(dh_t, dc_t, x_t, h_prev, c_prev, params, skip_in_dh="o")


@wrong("lstm_cell_backward", "`dh_prev` is missing the contribution of the forget gate")
def backward_dh_prev_without_forget_gate(dh_t, dc_t, x_t, h_prev, c_prev, params):
    return _back(dh_t, dc_t, x_t, h_prev, c_prev, params, skip_in_dh="f")


@wrong("lstm_cell_backward", "dU_f", "transposed", "np.outer(da, x_t)")
def backward_all_outer_products_reversed(dh_t, dc_t, x_t, h_prev, c_prev, params):
    grads = _back(dh_t, dc_t, x_t, h_prev, c_prev, params, dW_first=True)
    for k in "fioc":
        grads["dU_" + k] = grads["dU_" + k].T
    return grads


@wrong("lstm_cell_backward", "missing", "'dc_prev'")
def backward_forgets_dc_prev(dh_t, dc_t, x_t, h_prev, c_prev, params):
    grads = _back(dh_t, dc_t, x_t, h_prev, c_prev, params)
    del grads["dc_prev"]
    return grads


@wrong("lstm_cell_backward", "changed its input", "`dc_t`")
def backward_accumulates_into_dc_t(dh_t, dc_t, x_t, h_prev, c_prev, params):
    f, i, o, g = _gates(x_t, h_prev, params)
    tanh_c = np.tanh(f * c_prev + i * g)
    dc = dc_t
    dc += dh_t * o * (1 - tanh_c ** 2)          # writes into the caller's dc_t
    return _back(dh_t, dc_t, x_t, h_prev, c_prev, params, dc=lambda v: dc)


# --- Exercise 4: params_from_torch_lstm ---------------------------------------------------------
def _convert(lstm, order=("i", "f", "c", "o"), bias="both", layer=0):
    J = lstm.hidden_size
    U = getattr(lstm, f"weight_ih_l{layer}").detach().numpy()
    W = getattr(lstm, f"weight_hh_l{layer}").detach().numpy()
    b_ih = getattr(lstm, f"bias_ih_l{layer}").detach().numpy()
    b_hh = getattr(lstm, f"bias_hh_l{layer}").detach().numpy()
    b = {"both": b_ih + b_hh, "ih": b_ih, "hh": b_hh}[bias]
    params = {}
    for k, gate in enumerate(order):
        params["U_" + gate] = U[k * J:(k + 1) * J]
        params["W_" + gate] = W[k * J:(k + 1) * J]
        params["b_" + gate] = b[k * J:(k + 1) * J]
    return params


@wrong("params_from_torch_lstm", "order i, f, o, g", "i, f, g, o")
def params_order_ifog(lstm):
    return _convert(lstm, order=("i", "f", "o", "c"))


@wrong("params_from_torch_lstm", "order f, i, g, o", "i, f, g, o")
def params_order_figo(lstm):
    return _convert(lstm, order=("f", "i", "c", "o"))


@wrong("params_from_torch_lstm", "order f, i, o, g", "i, f, g, o")
def params_order_of_the_notation_page(lstm):
    return _convert(lstm, order=("f", "i", "o", "c"))


@wrong("params_from_torch_lstm", "order i, g, f, o")
def params_order_igfo(lstm):
    U, W = lstm.weight_ih_l0.detach().numpy(), lstm.weight_hh_l0.detach().numpy()
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().numpy()
    params = {}
    for gate, block in zip("icfo", np.split(np.arange(len(b)), 4)):
        params["U_" + gate], params["W_" + gate], params["b_" + gate] = U[block], W[block], b[block]
    return params


@wrong("params_from_torch_lstm", "only `bias_ih_l0`", "bias_ih_l0 + bias_hh_l0")
def params_only_bias_ih(lstm):
    return _convert(lstm, bias="ih")


@wrong("params_from_torch_lstm", "only `bias_hh_l0`", "sum")
def params_only_bias_hh(lstm):
    return _convert(lstm, bias="hh")


@wrong("params_from_torch_lstm", "shape", "transposed", "without `.T`")
def params_transposed(lstm):
    params = _convert(lstm)
    return {k: (v.T if k[0] in "UW" else v) for k, v in params.items()}


@wrong("params_from_torch_lstm", "shape", "`U_*` comes from `weight_ih_l0`")
def params_ih_and_hh_swapped(lstm):
    params = _convert(lstm)
    J = lstm.hidden_size
    W = lstm.weight_ih_l0.detach().numpy()
    U = lstm.weight_hh_l0.detach().numpy()
    for k, gate in enumerate("ifco"):
        params["U_" + gate], params["W_" + gate] = U[k * J:(k + 1) * J], W[k * J:(k + 1) * J]
    return params


@wrong("params_from_torch_lstm", "torch.Tensor", "numpy arrays")
def params_torch_tensors(lstm):
    J = lstm.hidden_size
    b = lstm.bias_ih_l0 + lstm.bias_hh_l0
    params = {}
    for k, gate in enumerate("ifco"):
        rows = slice(k * J, (k + 1) * J)
        params["U_" + gate] = lstm.weight_ih_l0[rows]
        params["W_" + gate] = lstm.weight_hh_l0[rows]
        params["b_" + gate] = b[rows]
    return params


@wrong("params_from_torch_lstm", "RuntimeError", "detach")
def params_without_detach(lstm):
    J = lstm.hidden_size
    U, W = lstm.weight_ih_l0.numpy(), lstm.weight_hh_l0.numpy()
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).numpy()
    return {f"{m}_{g}": a[k * J:(k + 1) * J] for k, g in enumerate("ifco")
            for m, a in (("U", U), ("W", W), ("b", b))}


@wrong("params_from_torch_lstm", "shape", "columns were split", "rows")
def params_split_along_columns(lstm):
    J = lstm.hidden_size
    U, W = lstm.weight_ih_l0.detach().numpy(), lstm.weight_hh_l0.detach().numpy()
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().numpy()
    return {f"{m}_{g}": (a[:, k * J:(k + 1) * J] if a.ndim == 2 else a[k * J:(k + 1) * J])
            for k, g in enumerate("ifco") for m, a in (("U", U), ("W", W), ("b", b))}


@wrong("params_from_torch_lstm", "shape", "don't concatenate")
def params_concatenated_biases(lstm):
    params = _convert(lstm)
    J = lstm.hidden_size
    b_ih, b_hh = lstm.bias_ih_l0.detach().numpy(), lstm.bias_hh_l0.detach().numpy()
    for k, gate in enumerate("ifco"):
        params["b_" + gate] = np.concatenate([b_ih[k * J:(k + 1) * J], b_hh[k * J:(k + 1) * J]])
    return params


@wrong("params_from_torch_lstm", "changed its input", "`lstm`")
def params_adds_the_biases_in_place(lstm):
    with torch.no_grad():
        lstm.bias_ih_l0 += lstm.bias_hh_l0
    return _convert(lstm, bias="ih")


@wrong("params_from_torch_lstm", "AttributeError", "weight_ih_l0")
def params_without_the_layer_suffix(lstm):
    J = lstm.hidden_size
    U = lstm.weight_ih.detach().numpy()
    return {"U_i": U[:J]}


@wrong("params_from_torch_lstm", "dtype", "float32")
def params_in_float32(lstm):
    return {k: v.astype(np.float32) for k, v in _convert(lstm).items()}


@wrong("params_from_torch_lstm", "missing the key", "'U_c'")
def params_named_g(lstm):
    return _convert(lstm, order=("i", "f", "g", "o"))


# --- Exercise 5: char_lstm_step -----------------------------------------------------------------
@wrong("char_lstm_step", "logits read the cell state", "V h_t + b_y")
def step_logits_from_the_cell(token, h_prev, c_prev, lm):
    h_t, c_t = _cell(lm["E"][token], h_prev, c_prev, lm["lstm"])
    return lm["V"] @ c_t + lm["b_y"], h_t, c_t


@wrong("char_lstm_step", "probabilities", "softmax")
def step_returns_probabilities(token, h_prev, c_prev, lm):
    h_t, c_t = _cell(lm["E"][token], h_prev, c_prev, lm["lstm"])
    logits = lm["V"] @ h_t + lm["b_y"]
    e = np.exp(logits - logits.max())
    return e / e.sum(), h_t, c_t


@wrong("char_lstm_step", "output bias", "missing")
def step_without_the_output_bias(token, h_prev, c_prev, lm):
    h_t, c_t = _cell(lm["E"][token], h_prev, c_prev, lm["lstm"])
    return lm["V"] @ h_t, h_t, c_t


@wrong("char_lstm_step", "previous hidden state h_prev")
def step_logits_before_the_step(token, h_prev, c_prev, lm):
    logits = lm["V"] @ h_prev + lm["b_y"]
    h_t, c_t = _cell(lm["E"][token], h_prev, c_prev, lm["lstm"])
    return logits, h_t, c_t


@wrong("char_lstm_step", "previous one", "new state")
def step_returns_the_old_state(token, h_prev, c_prev, lm):
    h_t, c_t = _cell(lm["E"][token], h_prev, c_prev, lm["lstm"])
    return lm["V"] @ h_t + lm["b_y"], h_prev, c_prev


@wrong("char_lstm_step", "swapped in the return", "return logits, h_t, c_t")
def step_returns_c_before_h(token, h_prev, c_prev, lm):
    h_t, c_t = _cell(lm["E"][token], h_prev, c_prev, lm["lstm"])
    return lm["V"] @ h_t + lm["b_y"], c_t, h_t


@wrong("char_lstm_step", "ValueError", "ROW `lm['E'][token]`")
def step_one_hot_input(token, h_prev, c_prev, lm):
    x_t = np.zeros(len(lm["E"]))
    x_t[token] = 1.0
    h_t, c_t = _cell(x_t, h_prev, c_prev, lm["lstm"])
    return lm["V"] @ h_t + lm["b_y"], h_t, c_t


@wrong("char_lstm_step", "IndexError", "ROW `lm['E'][token]`")
def step_embedding_column(token, h_prev, c_prev, lm):
    h_t, c_t = _cell(lm["E"][:, token], h_prev, c_prev, lm["lstm"])
    return lm["V"] @ h_t + lm["b_y"], h_t, c_t


@wrong("char_lstm_step", "ValueError", "transposed")
def step_h_times_V(token, h_prev, c_prev, lm):
    h_t, c_t = _cell(lm["E"][token], h_prev, c_prev, lm["lstm"])
    return h_t @ lm["V"] + lm["b_y"], h_t, c_t


@wrong("char_lstm_step", "returned 2 values", "logits, h_t, c_t")
def step_returns_logits_and_the_state_pair(token, h_prev, c_prev, lm):
    h_t, c_t = _cell(lm["E"][token], h_prev, c_prev, lm["lstm"])
    return lm["V"] @ h_t + lm["b_y"], (h_t, c_t)


@wrong("char_lstm_step", "lstm_cell_forward", "does not pass its own check")
def step_with_a_wrong_cell(token, h_prev, c_prev, lm):
    h_t, c_t = lstm_cell_forward(lm["E"][token], h_prev, c_prev, lm["lstm"])
    return lm["V"] @ h_t + lm["b_y"], h_t, c_t


# --- Exercise 6: set_forget_bias --------------------------------------------------------------
def _directions(lstm):
    return ["", "_reverse"] if lstm.bidirectional else [""]


@wrong("set_forget_bias", "rows 0:J", "input gate", "i, f, g, o")
def forget_bias_in_the_first_block(lstm, value):        # "f comes first"
    J = lstm.hidden_size
    with torch.no_grad():
        for k in range(lstm.num_layers):
            for d in _directions(lstm):
                getattr(lstm, f"bias_ih_l{k}{d}")[:J] = value
                getattr(lstm, f"bias_hh_l{k}{d}")[:J] = 0.0
    return lstm


@wrong("set_forget_bias", "rows 2J:3J", "candidate", "J:2J")
def forget_bias_in_block_two_counted_from_one(lstm, value):   # "the 2nd block" read as rows 2J:3J
    J = lstm.hidden_size
    with torch.no_grad():
        for k in range(lstm.num_layers):
            for d in _directions(lstm):
                getattr(lstm, f"bias_ih_l{k}{d}")[2 * J:3 * J] = value
                getattr(lstm, f"bias_hh_l{k}{d}")[2 * J:3 * J] = 0.0
    return lstm


@wrong("set_forget_bias", "only `bias_ih` was set", "SUM", "value + the old `bias_hh`")
def forget_bias_only_bias_ih(lstm, value):
    J = lstm.hidden_size
    with torch.no_grad():
        for k in range(lstm.num_layers):
            for d in _directions(lstm):
                getattr(lstm, f"bias_ih_l{k}{d}")[J:2 * J] = value
    return lstm


@wrong("set_forget_bias", "both biases were set to value", "2 × value")
def forget_bias_both_set_to_value(lstm, value):
    J = lstm.hidden_size
    with torch.no_grad():
        for k in range(lstm.num_layers):
            for d in _directions(lstm):
                getattr(lstm, f"bias_ih_l{k}{d}")[J:2 * J] = value
                getattr(lstm, f"bias_hh_l{k}{d}")[J:2 * J] = value
    return lstm


@wrong("set_forget_bias", "added to the old bias", "BECOME value")
def forget_bias_added(lstm, value):
    J = lstm.hidden_size
    with torch.no_grad():
        for k in range(lstm.num_layers):
            for d in _directions(lstm):
                getattr(lstm, f"bias_ih_l{k}{d}")[J:2 * J] += value
    return lstm


@wrong("set_forget_bias", "only layer 0", "range(lstm.num_layers)")
def forget_bias_only_layer_0(lstm, value):               # the chapter's code, for one layer
    J = lstm.hidden_size
    with torch.no_grad():
        lstm.bias_ih_l0[J:2 * J] = value
        lstm.bias_hh_l0[J:2 * J] = 0.0
    return lstm


@wrong("set_forget_bias", "backward direction", "_reverse")
def forget_bias_forgets_the_reverse_direction(lstm, value):
    J = lstm.hidden_size
    with torch.no_grad():
        for k in range(lstm.num_layers):
            getattr(lstm, f"bias_ih_l{k}")[J:2 * J] = value
            getattr(lstm, f"bias_hh_l{k}")[J:2 * J] = 0.0
    return lstm


@wrong("set_forget_bias", "new object", "optimizer", "in place")
def forget_bias_new_parameters(lstm, value):
    J = lstm.hidden_size
    for k in range(lstm.num_layers):
        for d in _directions(lstm):
            for name, v in ((f"bias_ih_l{k}{d}", value), (f"bias_hh_l{k}{d}", 0.0)):
                new = getattr(lstm, name).detach().clone()
                new[J:2 * J] = v
                setattr(lstm, name, torch.nn.Parameter(new))
    return lstm


@wrong("set_forget_bias", "whole bias vector", "J:2J")
def forget_bias_fills_everything(lstm, value):
    with torch.no_grad():
        for k in range(lstm.num_layers):
            for d in _directions(lstm):
                getattr(lstm, f"bias_ih_l{k}{d}").fill_(value)
                getattr(lstm, f"bias_hh_l{k}{d}").fill_(0.0)
    return lstm


@wrong("set_forget_bias", "weight_ih_l0", "changed", "skip", "'weight'")
def forget_bias_changes_the_weights_too(lstm, value):
    J = lstm.hidden_size
    with torch.no_grad():
        for name, p in lstm.named_parameters():         # no filter on "bias"
            p[J:2 * J] = value if "_ih_" in name else 0.0
    return lstm


@wrong("set_forget_bias", "requires_grad", "torch.no_grad()")
def forget_bias_switches_gradients_off(lstm, value):
    J = lstm.hidden_size
    for k in range(lstm.num_layers):
        for d in _directions(lstm):
            for name, v in (("bias_ih", value), ("bias_hh", 0.0)):
                bias = getattr(lstm, f"{name}_l{k}{d}")
                bias.requires_grad = False               # to get past PyTorch's error
                bias[J:2 * J] = v
    return lstm


@wrong("set_forget_bias", "leaf Variable", "with torch.no_grad():")
def forget_bias_without_no_grad(lstm, value):
    J = lstm.hidden_size
    for k in range(lstm.num_layers):
        for d in _directions(lstm):
            getattr(lstm, f"bias_ih_l{k}{d}")[J:2 * J] = value
            getattr(lstm, f"bias_hh_l{k}{d}")[J:2 * J] = 0.0
    return lstm


@wrong("set_forget_bias", "input size", "lstm.hidden_size")
def forget_bias_blocks_of_the_input_size(lstm, value):
    J = lstm.input_size
    with torch.no_grad():
        for k in range(lstm.num_layers):
            for d in _directions(lstm):
                getattr(lstm, f"bias_ih_l{k}{d}")[J:2 * J] = value
                getattr(lstm, f"bias_hh_l{k}{d}")[J:2 * J] = 0.0
    return lstm


def _right(lstm, value):
    J = lstm.hidden_size
    with torch.no_grad():
        for k in range(lstm.num_layers):
            for d in _directions(lstm):
                getattr(lstm, f"bias_ih_l{k}{d}")[J:2 * J] = value
                getattr(lstm, f"bias_hh_l{k}{d}")[J:2 * J] = 0.0
    return lstm


@wrong("set_forget_bias", "bias=False", "AttributeError", "ValueError")
def forget_bias_without_the_bias_false_guard(lstm, value):
    return _right(lstm, value)


@wrong("set_forget_bias", "bias=False", "without a word", "ValueError")
def forget_bias_silent_on_bias_false(lstm, value):
    J = lstm.hidden_size
    with torch.no_grad():
        for name, p in lstm.named_parameters():
            if name.startswith("bias_ih"):
                p[J:2 * J] = value
            elif name.startswith("bias_hh"):
                p[J:2 * J] = 0.0
    return lstm


@wrong("set_forget_bias", "changed a copy", "unchanged")
def forget_bias_on_a_copy(lstm, value):
    import copy
    lstm = copy.deepcopy(lstm)                           # "so as not to change the input"
    if not lstm.bias:
        raise ValueError("no biases")
    return _right(lstm, value)


@wrong("set_forget_bias", "didn't change", "copy")
def forget_bias_into_a_clone(lstm, value):
    if not lstm.bias:
        raise ValueError("no biases")
    J = lstm.hidden_size
    for k in range(lstm.num_layers):
        for d in _directions(lstm):
            bias = getattr(lstm, f"bias_ih_l{k}{d}").detach().clone()
            bias[J:2 * J] = value
            other = getattr(lstm, f"bias_hh_l{k}{d}").detach().clone()
            other[J:2 * J] = 0.0
    return lstm


@wrong("set_forget_bias", "returned None", "return")
def forget_bias_forgets_to_return(lstm, value):
    if not lstm.bias:
        raise ValueError("no biases")
    _right(lstm, value)


@wrong("set_forget_bias", "returned a bool", "return lstm")
def forget_bias_returns_true(lstm, value):
    if not lstm.bias:
        raise ValueError("no biases")
    _right(lstm, value)
    return True


@wrong("set_forget_bias", "float32", "was torch.float64")
def forget_bias_through_a_list(lstm, value):
    J = lstm.hidden_size
    for k in range(lstm.num_layers):
        for d in _directions(lstm):
            for name, v in (("bias_ih", value), ("bias_hh", 0.0)):
                bias = getattr(lstm, f"{name}_l{k}{d}")
                numbers = bias.tolist()
                numbers[J:2 * J] = [v] * J
                bias.data = torch.tensor(numbers)        # float32: PyTorch's default dtype
    return lstm
