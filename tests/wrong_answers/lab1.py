"""Typical wrong answers to Lab 1's exercises, written the way learners write them.

Each answer is registered with the exercise it answers and the words its check message
must contain (case-insensitive), so tests/test_lab1_checks.py can assert that the check
rejects it AND names the mistake.
"""
import numpy as np

WRONG_ANSWERS = []   # (exercise, function, words the message must contain)


def wrong(exercise, *words):
    def register(fn):
        WRONG_ANSWERS.append((exercise, fn, words))
        return fn
    return register


def _cell(x_t, h_prev, U, W, b):            # a correct step, for the later exercises
    return np.tanh(W @ h_prev + U @ x_t + b)


def _step_back(dh_t, x_t, h_prev, h_t, U, W):
    da = dh_t * (1 - h_t ** 2)
    return {"dU": np.outer(da, x_t), "dW": np.outer(da, h_prev), "db": da,
            "dh_prev": W.T @ da, "dx": U.T @ da}


def _softmax(o):
    e = np.exp(o - o.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# --- Exercise 1: rnn_cell_forward -----------------------------------------------------------
@wrong("rnn_cell_forward", "bias")
def cell_no_bias(x_t, h_prev, U, W, b):
    return np.tanh(W @ h_prev + U @ x_t)


@wrong("rnn_cell_forward", "ValueError", "transposed", "x_t @ U")
def cell_x_times_U(x_t, h_prev, U, W, b):
    return np.tanh(W @ h_prev + x_t @ U + b)


@wrong("rnn_cell_forward", "transposed", "W @ h_prev")
def cell_h_times_W(x_t, h_prev, U, W, b):
    return np.tanh(h_prev @ W + U @ x_t + b)


@wrong("rnn_cell_forward", "activation", "sigmoid")
def cell_sigmoid(x_t, h_prev, U, W, b):
    return 1 / (1 + np.exp(-(W @ h_prev + U @ x_t + b)))


@wrong("rnn_cell_forward", "activation", "relu")
def cell_relu(x_t, h_prev, U, W, b):
    return np.maximum(0, W @ h_prev + U @ x_t + b)


@wrong("rnn_cell_forward", "activation", "tanh")
def cell_linear(x_t, h_prev, U, W, b):
    return W @ h_prev + U @ x_t + b


@wrong("rnn_cell_forward", "h_prev", "ignored")
def cell_no_memory(x_t, h_prev, U, W, b):
    return np.tanh(U @ x_t + b)


@wrong("rnn_cell_forward", "NaN", "np.tanh")
def cell_handwritten_tanh(x_t, h_prev, U, W, b):
    a = W @ h_prev + U @ x_t + b
    return (np.exp(a) - np.exp(-a)) / (np.exp(a) + np.exp(-a))


@wrong("rnn_cell_forward", "in place", "`b`")
def cell_accumulates_into_b(x_t, h_prev, U, W, b):
    a_t = b
    a_t += W @ h_prev + U @ x_t
    return np.tanh(a_t)


@wrong("rnn_cell_forward", "shape", "extra axis", "`@`")
def cell_elementwise(x_t, h_prev, U, W, b):
    return np.tanh(W * h_prev + (U @ x_t) + b)


@wrong("rnn_cell_forward", "returned None", "return")
def cell_forgot_return(x_t, h_prev, U, W, b):
    h_t = np.tanh(W @ h_prev + U @ x_t + b)  # noqa: F841


@wrong("rnn_cell_forward", "NameError", "line", "h_previous")
def cell_typo(x_t, h_prev, U, W, b):
    return np.tanh(W @ h_previous + U @ x_t + b)  # noqa: F821


h0 = np.zeros(4)   # a "notebook variable" that a wrong answer reads by mistake


@wrong("rnn_cell_forward", "notebook variable", "`h0`")
def cell_reads_global(x_t, h_prev, U, W, b):
    return np.tanh(W @ h0 + U @ x_t + b)


@wrong("rnn_cell_forward", "dtype", "float32")
def cell_float32(x_t, h_prev, U, W, b):
    return np.tanh(W @ h_prev + U @ x_t + b).astype(np.float32)


# --- Exercise 2: rnn_forward ----------------------------------------------------------------
@wrong("rnn_forward", "not carried", "h0")
def forward_always_from_h0(xs, h0, U, W, b):
    hs = np.zeros((len(xs), len(h0)))
    for t in range(len(xs)):
        hs[t] = _cell(xs[t], h0, U, W, b)
    return hs


@wrong("rnn_forward", "zeros", "initial state `h0`")
def forward_starts_from_zeros(xs, h0, U, W, b):
    h = np.zeros_like(h0)
    hs = []
    for x_t in xs:
        h = _cell(x_t, h, U, W, b)
        hs.append(h)
    return np.array(hs)


@wrong("rnn_forward", "shape", "one row too many", "h0")
def forward_keeps_h0(xs, h0, U, W, b):
    hs = [h0]
    for x_t in xs:
        hs.append(_cell(x_t, hs[-1], U, W, b))
    return np.array(hs)


@wrong("rnn_forward", "ValueError", "hs[t] = h", "np.zeros((T, J))")
def forward_zeros_like_xs(xs, h0, U, W, b):
    hs = np.zeros_like(xs)
    h = h0
    for t in range(len(xs)):
        h = _cell(xs[t], h, U, W, b)
        hs[t] = h
    return hs


@wrong("rnn_forward", "list", "np.stack")
def forward_returns_list(xs, h0, U, W, b):
    h, hs = h0, []
    for x_t in xs:
        h = _cell(x_t, h, U, W, b)
        hs.append(h)
    return hs


@wrong("rnn_forward", "shape", "all T")
def forward_returns_last_state(xs, h0, U, W, b):
    h = h0
    for x_t in xs:
        h = _cell(x_t, h, U, W, b)
    return h


@wrong("rnn_forward", "changed its input", "`h0`")
def forward_overwrites_h0(xs, h0, U, W, b):
    hs = np.zeros((len(xs), len(h0)))
    h = h0
    for t in range(len(xs)):
        h[:] = _cell(xs[t], h, U, W, b)
        hs[t] = h
    return hs


@wrong("rnn_forward", "same array", "final state")
def forward_appends_same_array(xs, h0, U, W, b):
    h = h0.copy()
    hs = []
    for x_t in xs:
        h[:] = _cell(x_t, h, U, W, b)
        hs.append(h)
    return np.array(hs)


@wrong("rnn_forward", "shifted by one")
def forward_stores_before_update(xs, h0, U, W, b):
    hs = np.zeros((len(xs), len(h0)))
    h = h0
    for t in range(len(xs)):
        hs[t] = h
        h = _cell(xs[t], h, U, W, b)
    return hs


@wrong("rnn_forward", "backwards")
def forward_reversed(xs, h0, U, W, b):
    hs = np.zeros((len(xs), len(h0)))
    h = h0
    for t in range(len(xs)):
        h = _cell(xs[len(xs) - 1 - t], h, U, W, b)
        hs[t] = h
    return hs


rnn_cell_forward = cell_no_bias   # the "notebook's" cell, still wrong


@wrong("rnn_forward", "bias", "rnn_cell_forward", "checked first", "does not pass its own check")
def forward_with_a_wrong_cell(xs, h0, U, W, b):
    hs = np.zeros((len(xs), len(h0)))
    h = h0
    for t in range(len(xs)):
        h = rnn_cell_forward(xs[t], h, U, W, b)
        hs[t] = h
    return hs


@wrong("rnn_forward", "default argument", "`hs`", "hs=None")
def forward_with_a_default_list(xs, h0, U, W, b, hs=[]):
    h = h0
    for x_t in xs:
        h = _cell(x_t, h, U, W, b)
        hs.append(h)                       # the same list, call after call
    return np.array(hs)


@wrong("rnn_forward", "did not finish", "while")
def forward_while_without_step(xs, h0, U, W, b):
    T, J = xs.shape[0], len(h0)
    hs = np.zeros((T, J))
    h, t = h0, 0
    while t < T:
        h = _cell(xs[t], h, U, W, b)
        hs[t] = h
    t += 1                                 # meant inside the loop
    return hs


_SEEN = {}


@wrong("rnn_forward", "earlier test case", "same sizes", "remembers")
def forward_memoised_by_size(xs, h0, U, W, b):
    key = (xs.shape, h0.shape)             # "don't recompute the same sequence twice"
    _seen = _SEEN
    if key not in _seen:
        h, rows = h0, []
        for x_t in xs:
            h = _cell(x_t, h, U, W, b)
            rows.append(h)
        _seen[key] = np.array(rows)
    return _seen[key].copy()


# --- Exercise 3: output_layer ---------------------------------------------------------------
@wrong("output_layer", "wrong axis", "axis=1")
def output_softmax_over_time(hs, V, b_y):
    s = hs @ V.T + b_y
    e = np.exp(s - s.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


@wrong("output_layer", "NaN", "overflow", "max")
def output_no_max_shift(hs, V, b_y):
    e = np.exp(hs @ V.T + b_y)
    return e / e.sum(axis=1, keepdims=True)


@wrong("output_layer", "NaN", "each row's own max")
def output_global_max_shift(hs, V, b_y):
    s = hs @ V.T + b_y
    e = np.exp(s - s.max())
    return e / e.sum(axis=1, keepdims=True)


@wrong("output_layer", "bias `b_y`")
def output_no_bias(hs, V, b_y):
    return _softmax(hs @ V.T)


@wrong("output_layer", "ValueError", "broadcast", "keepdims")
def output_sum_without_keepdims(hs, V, b_y):
    s = hs @ V.T + b_y
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1)


@wrong("output_layer", "ValueError", "transposed", "hs @ V.T")
def output_V_times_hs(hs, V, b_y):
    return _softmax((V @ hs).T + b_y)


@wrong("output_layer", "logits", "softmax is missing")
def output_scores(hs, V, b_y):
    return hs @ V.T + b_y


@wrong("output_layer", "normalised at once", "each row")
def output_normalised_globally(hs, V, b_y):
    s = hs @ V.T + b_y
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum()


# --- Exercise 4: rnn_cell_backward ----------------------------------------------------------
@wrong("rnn_cell_backward", "tanh'", "missing")
def backward_no_tanh_prime(dh_t, x_t, h_prev, h_t, U, W):
    da = dh_t
    return {"dU": np.outer(da, x_t), "dW": np.outer(da, h_prev), "db": da,
            "dh_prev": W.T @ da, "dx": U.T @ da}


@wrong("rnn_cell_backward", "tanh is applied to h_t again")
def backward_tanh_of_h(dh_t, x_t, h_prev, h_t, U, W):
    da = dh_t * (1 - np.tanh(h_t) ** 2)
    return {"dU": np.outer(da, x_t), "dW": np.outer(da, h_prev), "db": da,
            "dh_prev": W.T @ da, "dx": U.T @ da}


@wrong("rnn_cell_backward", "a_t", "h_t", "1 - a_t²")
def backward_uses_a_t(dh_t, x_t, h_prev, h_t, U, W):
    a_t = np.arctanh(h_t)                 # recovers a_t, then uses it in place of h_t
    da = dh_t * (1 - a_t ** 2)
    return {"dU": np.outer(da, x_t), "dW": np.outer(da, h_prev), "db": da,
            "dh_prev": W.T @ da, "dx": U.T @ da}


@wrong("rnn_cell_backward", "sigmoid")
def backward_sigmoid_derivative(dh_t, x_t, h_prev, h_t, U, W):
    da = dh_t * h_t * (1 - h_t)
    return {"dU": np.outer(da, x_t), "dW": np.outer(da, h_prev), "db": da,
            "dh_prev": W.T @ da, "dx": U.T @ da}


@wrong("rnn_cell_backward", "dU", "transposed")
def backward_dU_transposed(dh_t, x_t, h_prev, h_t, U, W):
    da = dh_t * (1 - h_t ** 2)
    return {"dU": np.outer(x_t, da), "dW": np.outer(da, h_prev), "db": da,
            "dh_prev": W.T @ da, "dx": U.T @ da}


@wrong("rnn_cell_backward", "dW", "transposed")
def backward_dW_transposed(dh_t, x_t, h_prev, h_t, U, W):
    da = dh_t * (1 - h_t ** 2)
    return {"dU": np.outer(da, x_t), "dW": np.outer(h_prev, da), "db": da,
            "dh_prev": W.T @ da, "dx": U.T @ da}


@wrong("rnn_cell_backward", "dh_prev", "W.T @ da")
def backward_dh_prev_with_W(dh_t, x_t, h_prev, h_t, U, W):
    da = dh_t * (1 - h_t ** 2)
    return {"dU": np.outer(da, x_t), "dW": np.outer(da, h_prev), "db": da,
            "dh_prev": W @ da, "dx": U.T @ da}


@wrong("rnn_cell_backward", "ValueError", "U.T @ da")
def backward_dx_with_U(dh_t, x_t, h_prev, h_t, U, W):
    da = dh_t * (1 - h_t ** 2)
    return {"dU": np.outer(da, x_t), "dW": np.outer(da, h_prev), "db": da,
            "dh_prev": W.T @ da, "dx": U @ da}


@wrong("rnn_cell_backward", "tuple", "dict")
def backward_returns_tuple(dh_t, x_t, h_prev, h_t, U, W):
    da = dh_t * (1 - h_t ** 2)
    return np.outer(da, x_t), np.outer(da, h_prev), da, W.T @ da, U.T @ da


@wrong("rnn_cell_backward", "missing", "'dx'")
def backward_forgets_dx(dh_t, x_t, h_prev, h_t, U, W):
    da = dh_t * (1 - h_t ** 2)
    return {"dU": np.outer(da, x_t), "dW": np.outer(da, h_prev), "db": da, "dh_prev": W.T @ da}


@wrong("rnn_cell_backward", "db", "single number")
def backward_db_summed(dh_t, x_t, h_prev, h_t, U, W):
    da = dh_t * (1 - h_t ** 2)
    return {"dU": np.outer(da, x_t), "dW": np.outer(da, h_prev), "db": da.sum(),
            "dh_prev": W.T @ da, "dx": U.T @ da}


@wrong("rnn_cell_backward", "changed its input", "`dh_t`")
def backward_scales_dh_in_place(dh_t, x_t, h_prev, h_t, U, W):
    dh_t *= 1 - h_t ** 2
    return {"dU": np.outer(dh_t, x_t), "dW": np.outer(dh_t, h_prev), "db": dh_t,
            "dh_prev": W.T @ dh_t, "dx": U.T @ dh_t}


# --- Exercise 5: bptt -----------------------------------------------------------------------
def _bptt(xs, h0, hs, dhs, U, W, **bugs):
    """A BPTT written out, with one bug switched on by keyword (the learner's loop)."""
    T = len(xs)
    dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros(len(W))
    dh_next = np.zeros_like(h0)
    times = range(T) if bugs.get("forward") else reversed(range(T))
    for t in times:
        if bugs.get("negative_index"):
            h_prev = hs[t - 1]
        else:
            h_prev = hs[t - 1] if t > 0 else h0
        dh = dhs[t] if bugs.get("no_carry") else dhs[t] + dh_next
        step = _step_back(dh, xs[t], h_prev, hs[t], U, W)
        if bugs.get("overwrite"):
            dU, dW, db = step["dU"], step["dW"], step["db"]
        else:
            dU, dW, db = dU + step["dU"], dW + step["dW"], db + step["db"]
        dh_next = step["dh_prev"]
    return {"dU": dU, "dW": dW, "db": db, "dh0": dh if bugs.get("dh0_before_step") else dh_next}


@wrong("bptt", "only the last step", "sum")
def bptt_last_step_only(xs, h0, hs, dhs, U, W):
    T = len(xs)
    h_prev = hs[T - 2] if T > 1 else h0
    step = _step_back(dhs[T - 1], xs[T - 1], h_prev, hs[T - 1], U, W)
    return {"dU": step["dU"], "dW": step["dW"], "db": step["db"], "dh0": step["dh_prev"]}


@wrong("bptt", "`=` instead of `+=`")
def bptt_overwrites(xs, h0, hs, dhs, U, W):
    return _bptt(xs, h0, hs, dhs, U, W, overwrite=True)


@wrong("bptt", "not carried back")
def bptt_no_carry(xs, h0, hs, dhs, U, W):
    return _bptt(xs, h0, hs, dhs, U, W, no_carry=True)


@wrong("bptt", "hs[-1]", "h0")
def bptt_negative_index(xs, h0, hs, dhs, U, W):
    return _bptt(xs, h0, hs, dhs, U, W, negative_index=True)


@wrong("bptt", "forward in time", "reversed")
def bptt_forward_loop(xs, h0, hs, dhs, U, W):
    return _bptt(xs, h0, hs, dhs, U, W, forward=True)


@wrong("bptt", "changed its input", "`dhs`")
def bptt_accumulates_into_dhs(xs, h0, hs, dhs, U, W):
    dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros(len(W))
    for t in reversed(range(len(xs))):
        step = _step_back(dhs[t], xs[t], hs[t - 1] if t > 0 else h0, hs[t], U, W)
        dU += step["dU"]
        dW += step["dW"]
        db += step["db"]
        if t > 0:
            dhs[t - 1] += step["dh_prev"]      # writes into the caller's array
    return {"dU": dU, "dW": dW, "db": db, "dh0": step["dh_prev"]}


@wrong("bptt", "dh0", "one step short")
def bptt_dh0_before_step(xs, h0, hs, dhs, U, W):
    return _bptt(xs, h0, hs, dhs, U, W, dh0_before_step=True)


@wrong("bptt", "missing", "'dh0'")
def bptt_forgets_dh0(xs, h0, hs, dhs, U, W):
    grads = _bptt(xs, h0, hs, dhs, U, W)
    del grads["dh0"]
    return grads


@wrong("bptt", "IndexError", "hs[t + 1]")
def bptt_index_error(xs, h0, hs, dhs, U, W):
    grads = {"dU": np.zeros_like(U), "dW": np.zeros_like(W), "db": np.zeros(len(W))}
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(xs))):
        step = _step_back(dhs[t] + dh_next, xs[t], hs[t], hs[t + 1], U, W)
        for name in grads:
            grads[name] += step[name]
        dh_next = step["dh_prev"]
    grads["dh0"] = dh_next
    return grads


def rnn_cell_backward(dh_t, x_t, h_prev, h_t, U, W):
    # YOUR CODE HERE
    raise NotImplementedError


@wrong("bptt", "calls `rnn_cell_backward`", "not implemented yet")
def bptt_calls_a_stub(xs, h0, hs, dhs, U, W):
    grads = {"dU": np.zeros_like(U), "dW": np.zeros_like(W), "db": np.zeros(len(W))}
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(xs))):
        step = rnn_cell_backward(dhs[t] + dh_next, xs[t], hs[t - 1] if t else h0, hs[t], U, W)
        for name in grads:
            grads[name] += step[name]
        dh_next = step["dh_prev"]
    grads["dh0"] = dh_next
    return grads


# --- Exercise 6: loss_and_gradients ---------------------------------------------------------
def _loss(xs, targets, h0, params, average=False, minus_one=True, sign=-1.0, block=False):
    U, W, b, V, b_y = (params[k] for k in ("U", "W", "b", "V", "b_y"))
    T = len(xs)
    h, hs = h0, []
    for x_t in xs:
        h = _cell(x_t, h, U, W, b)
        hs.append(h)
    hs = np.array(hs)
    probs = _softmax(hs @ V.T + b_y)
    picked = probs[:, targets] if block else probs[np.arange(T), targets]
    loss = sign * np.log(picked).sum()
    ds = probs.copy()
    if minus_one:
        ds[np.arange(T), targets] -= 1
    grads = _bptt(xs, h0, hs, ds @ V, U, W)
    grads.update(dV=ds.T @ hs, db_y=ds.sum(axis=0))
    if average:
        loss, grads = loss / T, {k: g / T for k, g in grads.items()}
    return loss, grads


@wrong("loss_and_gradients", "averaged", "SUM")
def loss_mean(xs, targets, h0, params):
    return _loss(xs, targets, h0, params, average=True)


@wrong("loss_and_gradients", "onehot", "subtract 1")
def loss_forgot_minus_one(xs, targets, h0, params):
    return _loss(xs, targets, h0, params, minus_one=False)


@wrong("loss_and_gradients", "wrong sign")
def loss_positive_log(xs, targets, h0, params):
    return _loss(xs, targets, h0, params, sign=1.0)


@wrong("loss_and_gradients", "T×T", "np.arange(T)")
def loss_picks_block(xs, targets, h0, params):
    return _loss(xs, targets, h0, params, block=True)


@wrong("loss_and_gradients", "2", "(loss, grads)")
def loss_returns_only_grads(xs, targets, h0, params):
    return _loss(xs, targets, h0, params)[1]


@wrong("loss_and_gradients", "wrong order", "(loss, grads)")
def loss_swapped_outputs(xs, targets, h0, params):
    loss, grads = _loss(xs, targets, h0, params)
    return grads, loss


@wrong("loss_and_gradients", "dV", "transposed")
def loss_dV_transposed(xs, targets, h0, params):
    loss, grads = _loss(xs, targets, h0, params)
    grads["dV"] = grads["dV"].T
    return loss, grads


@wrong("loss_and_gradients", "single number")
def loss_not_summed(xs, targets, h0, params):
    loss, grads = _loss(xs, targets, h0, params)
    return np.full(len(xs), loss / len(xs)), grads


@wrong("loss_and_gradients", "db_y")
def loss_old_name_for_the_output_bias(xs, targets, h0, params):
    loss, grads = _loss(xs, targets, h0, params)
    grads["dc"] = grads.pop("db_y")          # the first edition called the output bias c
    return loss, grads


@wrong("rnn_forward", "data type", "np.zeros((T, J))")
def forward_zeros_with_two_arguments(xs, h0, U, W, b):
    T, J = len(xs), len(h0)
    hs = np.zeros(T, J)
    h = h0
    for t in range(T):
        h = _cell(xs[t], h, U, W, b)
        hs[t] = h
    return hs
