"""Reference solutions of Lab 1, "An RNN from scratch": one function per exercise.

scripts/sync_solutions.py copies each function into the notebook's hidden
"Show solution" block; tests/test_labs_execute.py runs the lab with them filled in.
"""
import numpy as np


def rnn_cell_forward(x_t, h_prev, U, W, b):
    """One step: h_t = tanh(W h_{t-1} + U x_t + b).  (D,), (J,) -> (J,)"""
    a_t = W @ h_prev + U @ x_t + b
    return np.tanh(a_t)


def rnn_forward(xs, h0, U, W, b):
    """Every hidden state of the sequence.  xs (T, D), h0 (J,) -> hs (T, J)"""
    T, J = len(xs), len(h0)
    hs = np.zeros((T, J))
    h = h0
    for t in range(T):
        h = rnn_cell_forward(xs[t], h, U, W, b)   # the state carries over to the next step
        hs[t] = h
    return hs


def output_layer(hs, V, b_y):
    """softmax(V h_t + b_y) for every step.  hs (T, J) -> probs (T, K)"""
    s = hs @ V.T + b_y                            # row t is s_t = V h_t + b_y
    s = s - s.max(axis=1, keepdims=True)          # same softmax, and exp can't overflow
    e = np.exp(s)
    return e / e.sum(axis=1, keepdims=True)


def rnn_cell_backward(dh_t, x_t, h_prev, h_t, U, W):
    """One step back through h_t = tanh(W h_prev + U x_t + b), given dL/dh_t."""
    da = dh_t * (1 - h_t ** 2)                    # tanh'(a_t) = 1 - h_t^2
    return {
        "dU": np.outer(da, x_t),
        "dW": np.outer(da, h_prev),
        "db": da,
        "dh_prev": W.T @ da,
        "dx": U.T @ da,
    }


def bptt(xs, h0, hs, dhs, U, W):
    """Backpropagation through time, given dhs[t] = dL/dh_t from step t's own output."""
    T = len(xs)
    grads = {"dU": np.zeros_like(U), "dW": np.zeros_like(W), "db": np.zeros(len(W))}
    dh_next = np.zeros_like(h0)                   # nothing flows back into the last step
    for t in reversed(range(T)):
        h_prev = hs[t - 1] if t > 0 else h0
        step = rnn_cell_backward(dhs[t] + dh_next, xs[t], h_prev, hs[t], U, W)
        for name in ("dU", "dW", "db"):
            grads[name] += step[name]             # shared weights: sum over time
        dh_next = step["dh_prev"]
    grads["dh0"] = dh_next
    return grads


def loss_and_gradients(xs, targets, h0, params):
    """Summed cross-entropy of the sequence and the gradient of every parameter and of h0."""
    U, W, b, V, b_y = (params[name] for name in ("U", "W", "b", "V", "b_y"))
    T = len(xs)
    hs = rnn_forward(xs, h0, U, W, b)
    probs = output_layer(hs, V, b_y)
    loss = -np.log(probs[np.arange(T), targets]).sum()
    ds = probs.copy()
    ds[np.arange(T), targets] -= 1                # dL/ds_t = yhat_t - onehot(y_t)
    grads = bptt(xs, h0, hs, ds @ V, U, W)        # row t of ds @ V is V^T ds_t = dL/dh_t
    grads["dV"] = ds.T @ hs
    grads["db_y"] = ds.sum(axis=0)
    return loss, grads
