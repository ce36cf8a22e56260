"""Typical wrong answers to Lab 4's exercises, written the way learners write them.

Each answer is registered with the exercise it answers and the words its check message
must contain (case-insensitive), so tests/test_lab_contract.py can assert that the check
rejects it AND names the mistake.
"""
import numpy as np

WRONG_ANSWERS = []   # (exercise, function, words the message must contain)


def wrong(exercise, *words):
    def register(fn):
        WRONG_ANSWERS.append((exercise, fn, words))
        return fn
    return register


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def pre(p, name, x_t, c):
    return p["W_" + name] @ c + p["U_" + name] @ x_t + p["b_" + name]


# --- Exercise 1: simplified_gru_step ----------------------------------------------------------
@wrong("simplified_gru_step", "tanh where a sigmoid belongs")
def simple_gate_with_tanh(x_t, c_prev, params):
    gate_u = np.tanh(pre(params, "u", x_t, c_prev))
    c_tilde = np.tanh(pre(params, "c", x_t, c_prev))
    return gate_u * c_tilde + (1 - gate_u) * c_prev, gate_u


@wrong("simplified_gru_step", "candidate", "sigmoid where tanh belongs")
def simple_candidate_sigmoid(x_t, c_prev, params):
    gate_u = sigmoid(pre(params, "u", x_t, c_prev))
    c_tilde = sigmoid(pre(params, "c", x_t, c_prev))
    return gate_u * c_tilde + (1 - gate_u) * c_prev, gate_u


@wrong("simplified_gru_step", "1 - Γu", "wrong side")
def simple_flipped_mix(x_t, c_prev, params):
    gate_u = sigmoid(pre(params, "u", x_t, c_prev))
    c_tilde = np.tanh(pre(params, "c", x_t, c_prev))
    return (1 - gate_u) * c_tilde + gate_u * c_prev, gate_u


@wrong("simplified_gru_step", "update gate is missing")
def simple_no_update_gate(x_t, c_prev, params):
    gate_u = sigmoid(pre(params, "u", x_t, c_prev))
    c_t = np.tanh(pre(params, "c", x_t, c_prev))
    return c_t, gate_u


@wrong("simplified_gru_step", "old cell is dropped")
def simple_forgets_old_cell(x_t, c_prev, params):
    gate_u = sigmoid(pre(params, "u", x_t, c_prev))
    return gate_u * np.tanh(pre(params, "c", x_t, c_prev)), gate_u


@wrong("simplified_gru_step", "biases", "missing")
def simple_no_bias(x_t, c_prev, params):
    p = params
    gate_u = sigmoid(p["W_u"] @ c_prev + p["U_u"] @ x_t)
    c_tilde = np.tanh(p["W_c"] @ c_prev + p["U_c"] @ x_t)
    return gate_u * c_tilde + (1 - gate_u) * c_prev, gate_u


@wrong("simplified_gru_step", "transposed", "W_u @ c_prev")
def simple_c_times_W(x_t, c_prev, params):
    p = params
    gate_u = sigmoid(c_prev @ p["W_u"] + p["U_u"] @ x_t + p["b_u"])
    c_tilde = np.tanh(c_prev @ p["W_c"] + p["U_c"] @ x_t + p["b_c"])
    return gate_u * c_tilde + (1 - gate_u) * c_prev, gate_u


@wrong("simplified_gru_step", "copy-paste", "U_c")
def simple_candidate_with_gate_weights(x_t, c_prev, params):
    gate_u = sigmoid(pre(params, "u", x_t, c_prev))
    c_tilde = np.tanh(pre(params, "u", x_t, c_prev))
    return gate_u * c_tilde + (1 - gate_u) * c_prev, gate_u


@wrong("simplified_gru_step", "swapped in the return")
def simple_returns_gate_first(x_t, c_prev, params):
    gate_u = sigmoid(pre(params, "u", x_t, c_prev))
    c_tilde = np.tanh(pre(params, "c", x_t, c_prev))
    return gate_u, gate_u * c_tilde + (1 - gate_u) * c_prev


@wrong("simplified_gru_step", "c_prev is ignored")
def simple_without_memory_inside(x_t, c_prev, params):
    p = params
    gate_u = sigmoid(p["U_u"] @ x_t + p["b_u"])
    c_tilde = np.tanh(p["U_c"] @ x_t + p["b_c"])
    return gate_u * c_tilde + (1 - gate_u) * c_prev, gate_u


@wrong("simplified_gru_step", "NaN", "1 / (1 + np.exp(-a))")
def simple_overflowing_sigmoid(x_t, c_prev, params):
    a = pre(params, "u", x_t, c_prev)
    gate_u = np.exp(a) / (1 + np.exp(a))
    c_tilde = np.tanh(pre(params, "c", x_t, c_prev))
    return gate_u * c_tilde + (1 - gate_u) * c_prev, gate_u


@wrong("simplified_gru_step", "in place", "c_prev")
def simple_updates_c_prev_in_place(x_t, c_prev, params):
    gate_u = sigmoid(pre(params, "u", x_t, c_prev))
    c_tilde = np.tanh(pre(params, "c", x_t, c_prev))
    c_t = c_prev
    c_t += gate_u * (c_tilde - c_prev)
    return c_t, gate_u


@wrong("simplified_gru_step", "relevance gate", "U_u")
def simple_asks_for_a_reset_gate(x_t, c_prev, params):
    gate_r = sigmoid(pre(params, "r", x_t, c_prev))
    gate_u = sigmoid(pre(params, "u", x_t, c_prev))
    c_tilde = np.tanh(params["W_c"] @ (gate_r * c_prev) + params["U_c"] @ x_t + params["b_c"])
    return gate_u * c_tilde + (1 - gate_u) * c_prev, gate_u


@wrong("simplified_gru_step", "returned 1 values", "c_t, gate_u")
def simple_returns_only_the_cell(x_t, c_prev, params):
    gate_u = sigmoid(pre(params, "u", x_t, c_prev))
    c_tilde = np.tanh(pre(params, "c", x_t, c_prev))
    return (gate_u * c_tilde + (1 - gate_u) * c_prev,)


# --- Exercise 2: gru_step ---------------------------------------------------------------------
def _gates(x_t, c_prev, params):
    return sigmoid(pre(params, "r", x_t, c_prev)), sigmoid(pre(params, "u", x_t, c_prev))


@wrong("gru_step", "tanh where a sigmoid belongs")
def gru_gates_with_tanh(x_t, c_prev, params):
    gate_r = np.tanh(pre(params, "r", x_t, c_prev))
    gate_u = np.tanh(pre(params, "u", x_t, c_prev))
    c_tilde = np.tanh(params["W_c"] @ (gate_r * c_prev) + params["U_c"] @ x_t + params["b_c"])
    return gate_u * c_tilde + (1 - gate_u) * c_prev, gate_u


@wrong("gru_step", "gates are swapped")
def gru_gates_swapped(x_t, c_prev, params):
    gate_u, gate_r = _gates(x_t, c_prev, params)           # unpacked the wrong way round
    c_tilde = np.tanh(params["W_c"] @ (gate_r * c_prev) + params["U_c"] @ x_t + params["b_c"])
    return gate_u * c_tilde + (1 - gate_u) * c_prev, gate_u


@wrong("gru_step", "1 - Γu", "wrong side")
def gru_flipped_mix(x_t, c_prev, params):
    gate_r, gate_u = _gates(x_t, c_prev, params)
    c_tilde = np.tanh(params["W_c"] @ (gate_r * c_prev) + params["U_c"] @ x_t + params["b_c"])
    return (1 - gate_u) * c_tilde + gate_u * c_prev, gate_u


@wrong("gru_step", "after the product", "PyTorch")
def gru_reset_after_the_product(x_t, c_prev, params):
    gate_r, gate_u = _gates(x_t, c_prev, params)
    c_tilde = np.tanh(gate_r * (params["W_c"] @ c_prev) + params["U_c"] @ x_t + params["b_c"])
    return gate_u * c_tilde + (1 - gate_u) * c_prev, gate_u


@wrong("gru_step", "wrong term", "input term")
def gru_reset_on_the_input(x_t, c_prev, params):
    gate_r, gate_u = _gates(x_t, c_prev, params)
    c_tilde = np.tanh(params["W_c"] @ c_prev + gate_r * (params["U_c"] @ x_t) + params["b_c"])
    return gate_u * c_tilde + (1 - gate_u) * c_prev, gate_u


@wrong("gru_step", "wrong term", "final mix")
def gru_reset_in_the_mix(x_t, c_prev, params):
    gate_r, gate_u = _gates(x_t, c_prev, params)
    c_tilde = np.tanh(pre(params, "c", x_t, c_prev))
    return gate_u * c_tilde + (1 - gate_u) * (gate_r * c_prev), gate_u


@wrong("gru_step", "wrong term", "after the tanh")
def gru_reset_on_the_candidate(x_t, c_prev, params):
    gate_r, gate_u = _gates(x_t, c_prev, params)
    c_tilde = gate_r * np.tanh(pre(params, "c", x_t, c_prev))
    return gate_u * c_tilde + (1 - gate_u) * c_prev, gate_u


@wrong("gru_step", "relevance gate Γr is missing", "simplified GRU")
def gru_without_reset_gate(x_t, c_prev, params):
    _, gate_u = _gates(x_t, c_prev, params)
    c_tilde = np.tanh(pre(params, "c", x_t, c_prev))
    return gate_u * c_tilde + (1 - gate_u) * c_prev, gate_u


@wrong("gru_step", "update gate is missing")
def gru_without_update_gate(x_t, c_prev, params):
    gate_r, gate_u = _gates(x_t, c_prev, params)
    c_t = np.tanh(params["W_c"] @ (gate_r * c_prev) + params["U_c"] @ x_t + params["b_c"])
    return c_t, gate_u


@wrong("gru_step", "biases", "missing")
def gru_without_biases(x_t, c_prev, params):
    p = params
    gate_r = sigmoid(p["W_r"] @ c_prev + p["U_r"] @ x_t)
    gate_u = sigmoid(p["W_u"] @ c_prev + p["U_u"] @ x_t)
    c_tilde = np.tanh(p["W_c"] @ (gate_r * c_prev) + p["U_c"] @ x_t)
    return gate_u * c_tilde + (1 - gate_u) * c_prev, gate_u


@wrong("gru_step", "returned is the relevance gate")
def gru_returns_the_reset_gate(x_t, c_prev, params):
    gate_r, gate_u = _gates(x_t, c_prev, params)
    c_tilde = np.tanh(params["W_c"] @ (gate_r * c_prev) + params["U_c"] @ x_t + params["b_c"])
    return gate_u * c_tilde + (1 - gate_u) * c_prev, gate_r


@wrong("gru_step", "copy-paste", "U_r")
def gru_reset_gate_copied_from_update(x_t, c_prev, params):
    gate_u = sigmoid(pre(params, "u", x_t, c_prev))
    gate_r = sigmoid(pre(params, "u", x_t, c_prev))        # forgot to change "u" to "r"
    c_tilde = np.tanh(params["W_c"] @ (gate_r * c_prev) + params["U_c"] @ x_t + params["b_c"])
    return gate_u * c_tilde + (1 - gate_u) * c_prev, gate_u


@wrong("gru_step", "KeyError", "'U_r'")
def gru_with_wrong_key_names(x_t, c_prev, params):
    gate_r = sigmoid(params["W_reset"] @ c_prev + params["U_reset"] @ x_t + params["b_reset"])
    return gate_r, gate_r


# --- Exercise 3: params_from_torch_gru -------------------------------------------------------
def _arrays(gru):
    return (gru.weight_ih_l0.detach().numpy(), gru.weight_hh_l0.detach().numpy(),
            gru.bias_ih_l0.detach().numpy(), gru.bias_hh_l0.detach().numpy())


def _convert(gru, order="rzn", sign=-1.0, bias_sign=None, n_biases=None, biases="both"):
    J = gru.hidden_size
    w_ih, w_hh, b_ih, b_hh = _arrays(gru)
    blocks = {g: slice(k * J, (k + 1) * J) for k, g in enumerate(order)}
    r, z, n = blocks["r"], blocks["z"], blocks["n"]
    b = {"both": b_ih + b_hh, "ih": b_ih}[biases]
    b_c, b_hc = n_biases(b_ih[n], b_hh[n]) if n_biases else (b_ih[n], b_hh[n])
    bias_sign = sign if bias_sign is None else bias_sign
    return {"U_r": w_ih[r], "W_r": w_hh[r], "b_r": b[r],
            "U_u": sign * w_ih[z], "W_u": sign * w_hh[z], "b_u": bias_sign * b[z],
            "U_c": w_ih[n], "W_c": w_hh[n], "b_c": b_c, "b_hc": b_hc}


@wrong("params_from_torch_gru", "without converting", "1 - z")
def params_z_not_negated(gru):
    return _convert(gru, sign=1.0)


@wrong("params_from_torch_gru", "wrong order", "r, z, n")
def params_in_update_reset_order(gru):
    return _convert(gru, order="zrn")          # Γu first, as in many write-ups


@wrong("params_from_torch_gru", "wrong order", "r, z, n")
def params_candidate_first(gru):
    return _convert(gru, order="nrz")


@wrong("params_from_torch_gru", "negated but not its bias")
def params_bias_not_negated(gru):
    return _convert(gru, bias_sign=1.0)


@wrong("params_from_torch_gru", "b_hn was merged into b_c", "inside the reset product")
def params_n_biases_merged(gru):
    return _convert(gru, n_biases=lambda b_in, b_hn: (b_in + b_hn, np.zeros_like(b_hn)))


@wrong("params_from_torch_gru", "counts twice")
def params_b_hn_twice(gru):
    return _convert(gru, n_biases=lambda b_in, b_hn: (b_in + b_hn, b_hn))


@wrong("params_from_torch_gru", "only `bias_ih_l0`")
def params_one_bias(gru):
    return _convert(gru, biases="ih")


@wrong("params_from_torch_gru", "1 - w", "minus sign")
def params_one_minus_weights(gru):
    J = gru.hidden_size
    w_ih, w_hh, b_ih, b_hh = _arrays(gru)
    p = _convert(gru)
    z = slice(J, 2 * J)
    p.update(U_u=1 - w_ih[z], W_u=1 - w_hh[z], b_u=1 - (b_ih[z] + b_hh[z]))
    return p


@wrong("params_from_torch_gru", "b_c and b_hc are swapped")
def params_n_biases_swapped(gru):
    return _convert(gru, n_biases=lambda b_in, b_hn: (b_hn, b_in))


@wrong("params_from_torch_gru", "in place", "shares memory")
def params_negates_in_place(gru):
    J = gru.hidden_size
    w_ih, w_hh, b_ih, b_hh = _arrays(gru)
    p = _convert(gru)
    U_u = w_ih[J:2 * J]                         # a view of the module's own weights!
    U_u *= -1
    W_u = w_hh[J:2 * J]
    W_u *= -1
    p.update(U_u=U_u, W_u=W_u)
    return p


@wrong("params_from_torch_gru", "missing the key", "'b_hc'")
def params_without_b_hc(gru):
    p = _convert(gru)
    del p["b_hc"]
    return p


@wrong("params_from_torch_gru", "shape", "whole stack")
def params_whole_stack(gru):
    w_ih, w_hh, b_ih, b_hh = _arrays(gru)
    p = _convert(gru)
    p["U_r"] = w_ih
    return p


@wrong("params_from_torch_gru", "requires grad", "detach")
def params_without_detach(gru):
    J = gru.hidden_size
    return {"U_r": gru.weight_ih_l0[:J].numpy()}


# --- Exercise 4: gru_forward_reset_after ------------------------------------------------------
def _after(x_t, c, p, b_hc="inside", flipped=False):
    gate_r, gate_u = _gates(x_t, c, p)
    if b_hc == "inside":
        c_tilde = np.tanh(p["U_c"] @ x_t + p["b_c"] + gate_r * (p["W_c"] @ c + p["b_hc"]))
    elif b_hc == "outside":
        c_tilde = np.tanh(p["U_c"] @ x_t + p["b_c"] + p["b_hc"] + gate_r * (p["W_c"] @ c))
    else:
        c_tilde = np.tanh(p["U_c"] @ x_t + p["b_c"] + gate_r * (p["W_c"] @ c))
    if flipped:
        return (1 - gate_u) * c_tilde + gate_u * c, gate_u
    return gate_u * c_tilde + (1 - gate_u) * c, gate_u


def _loop(xs, c, p, step=_after, **kwargs):
    cs, gates = [], []
    for x_t in xs:
        c, g = step(x_t, c, p, **kwargs)
        cs.append(c)
        gates.append(g)
    return np.array(cs), np.array(gates)


@wrong("gru_forward_reset_after", "b_hc is added outside the reset product")
def forward_b_hc_outside(xs, c0, params):
    return _loop(xs, c0, params, b_hc="outside")


@wrong("gru_forward_reset_after", "BEFORE the product", "Exercise 2")
def forward_with_the_exercise_2_step(xs, c0, params):
    def gru_step(x_t, c, p):                   # Exercise 2's step, reset before W_c
        gate_r, gate_u = _gates(x_t, c, p)
        c_tilde = np.tanh(p["W_c"] @ (gate_r * c) + p["U_c"] @ x_t + p["b_c"])
        return gate_u * c_tilde + (1 - gate_u) * c, gate_u
    return _loop(xs, c0, params, step=gru_step)


@wrong("gru_forward_reset_after", "b_hc is missing")
def forward_without_b_hc(xs, c0, params):
    return _loop(xs, c0, params, b_hc="missing")


@wrong("gru_forward_reset_after", "starts from zeros", "c0")
def forward_from_zeros(xs, c0, params):
    return _loop(xs, np.zeros(len(c0)), params)


@wrong("gru_forward_reset_after", "not carried", "c0")
def forward_not_carried(xs, c0, params):
    cs, gates = [], []
    for x_t in xs:
        c, g = _after(x_t, c0, params)
        cs.append(c)
        gates.append(g)
    return np.array(cs), np.array(gates)


@wrong("gru_forward_reset_after", "1 - Γu", "PyTorch's formula")
def forward_with_pytorch_mix(xs, c0, params):
    return _loop(xs, c0, params, flipped=True)


@wrong("gru_forward_reset_after", "1 - Γu (PyTorch's z)")
def forward_returns_z(xs, c0, params):
    cs, gates = _loop(xs, c0, params)
    return cs, 1 - gates


@wrong("gru_forward_reset_after", "shifted by one step")
def forward_stores_the_state_before(xs, c0, params):
    cs, gates = np.zeros((len(xs), len(c0))), np.zeros((len(xs), len(c0)))
    c = c0
    for t, x_t in enumerate(xs):
        cs[t] = c
        c, gates[t] = _after(x_t, c, params)
    return cs, gates


@wrong("gru_forward_reset_after", "in place", "c0")
def forward_overwrites_c0(xs, c0, params):
    cs, gates = np.zeros((len(xs), len(c0))), np.zeros((len(xs), len(c0)))
    c = c0
    for t, x_t in enumerate(xs):
        c[:], gates[t] = _after(x_t, c, params)
        cs[t] = c
    return cs, gates


@wrong("gru_forward_reset_after", "One row too many")
def forward_keeps_c0(xs, c0, params):
    cs, gates = _loop(xs, c0, params)
    return np.vstack([c0, cs]), gates


@wrong("gru_forward_reset_after", "swapped in the return")
def forward_returns_gates_first(xs, c0, params):
    cs, gates = _loop(xs, c0, params)
    return gates, cs


# --- edge inputs: state kept between calls, a loop that never ends, np.zeros(T, J) ------------
@wrong("gru_forward_reset_after", "default argument", "`cs`", "cs=None")
def forward_with_default_lists(xs, c0, params, cs=[], gates=[]):
    c = c0
    for x_t in xs:
        c, g = _after(x_t, c, params)
        cs.append(c)                        # the same lists, call after call
        gates.append(g)
    return np.array(cs), np.array(gates)


@wrong("gru_forward_reset_after", "did not finish", "while")
def forward_while_without_step(xs, c0, params):
    T, J = len(xs), len(c0)
    cs, gates = np.zeros((T, J)), np.zeros((T, J))
    c, t = c0, 0
    while t < T:
        c, gates[t] = _after(xs[t], c, params)
        cs[t] = c
    t += 1                                  # meant inside the loop
    return cs, gates


@wrong("gru_forward_reset_after", "data type", "np.zeros((T, J))")
def forward_zeros_with_two_arguments(xs, c0, params):
    T, J = len(xs), len(c0)
    cs, gates = np.zeros(T, J), np.zeros(T, J)
    c = c0
    for t in range(T):
        c, gates[t] = _after(xs[t], c, params)
        cs[t] = c
    return cs, gates


_CONVERTED = {}


@wrong("params_from_torch_gru", "earlier test case", "same sizes", "remembers")
def params_converted_once_per_size(gru):
    key = (gru.input_size, gru.hidden_size)   # "converting is slow: do it once"
    if key not in _CONVERTED:
        _CONVERTED[key] = _convert(gru)
    return {name: array.copy() for name, array in _CONVERTED[key].items()}
