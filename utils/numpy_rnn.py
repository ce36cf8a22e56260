"""The vanilla RNN in numpy: forward pass, backpropagation through time, gradient check.

This is the teaching implementation (Chapter 1, Lab 1). One sequence at a time, no
batch axis, so every line maps onto an equation:

    a_t   = W h_{t-1} + U x_t + b          U: (J, D)  W: (J, J)  b: (J,)
    h_t   = tanh(a_t)                      h_t: (J,)
    s_t   = V h_t + b_y                    V: (K, J)  b_y: (K,)   s_t: the output scores (logits)
    yhat_t = softmax(s_t)                  yhat_t: (K,)
    loss  = - sum_t log yhat_t[y_t]

Shapes: ``xs`` is (T, D), ``hs`` is (T, J), ``probs`` is (T, K), ``targets`` is (T,) ints.
"""
from __future__ import annotations

import numbers

import numpy as np

from .validate import (expect_array, expect_float64, expect_positive_int, expect_positive_number,
                       expect_same_shape)

PARAM_NAMES = ("U", "W", "b", "V", "b_y")
MAX_PARAMS = 10**8
"""Most parameters ``init_params`` makes (800 MB of float64): beyond it, a typo, not a model."""
MAX_ENTRIES = 10**6
"""Most entries ``numerical_gradient`` nudges (two calls of f each): a check, not a sweep."""


def init_params(D: int, J: int, K: int, rng: np.random.Generator, scale: float = 0.5) -> dict:
    """Random parameters for an RNN with D inputs, J hidden units and K outputs (float64)."""
    D, J, K = (expect_positive_int(v, name) for v, name in ((D, "D"), (J, "J"), (K, "K")))
    scale = expect_positive_number(scale, "scale")
    if J * (D + J + K + 1) + K > MAX_PARAMS:
        raise ValueError(f"D={D}, J={J}, K={K} would make {J * (D + J + K + 1) + K:,} parameters, "
                         f"more than {MAX_PARAMS:,}: the teaching RNN is meant to be small")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator, e.g. np.random.default_rng(0); "
                        f"got {type(rng).__name__}")
    return {
        "U": rng.normal(0.0, scale / np.sqrt(D), size=(J, D)),
        "W": rng.normal(0.0, scale / np.sqrt(J), size=(J, J)),
        "b": rng.normal(0.0, 0.1, size=J),
        "V": rng.normal(0.0, scale / np.sqrt(J), size=(K, J)),
        "b_y": rng.normal(0.0, 0.1, size=K),
    }


def check_params(params: dict) -> tuple[int, int, int]:
    """Validate a parameter dict (finite float arrays of matching shapes); return (D, J, K)."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict {{name: array}} with keys {list(PARAM_NAMES)}, "
                        f"got {type(params).__name__}")
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing == ["b_y"] and "c" in params:
        raise ValueError("params names the output bias 'c'; the course now calls it 'b_y' "
                         f"(s_t = V h_t + b_y): rename the key. Expected keys {list(PARAM_NAMES)}")
    if missing:
        raise ValueError(f"params is missing {missing}; expected keys {list(PARAM_NAMES)}")
    J, D = expect_array(params["U"], "U", ndim=2).shape
    expect_array(params["W"], "W", shape=(J, J))
    expect_array(params["b"], "b", shape=(J,))
    K = expect_array(params["V"], "V", ndim=2, shape=(None, J)).shape[0]
    expect_array(params["b_y"], "b_y", shape=(K,))
    for name in PARAM_NAMES:
        _expect_finite(params[name], name)
    return D, J, K


def _expect_finite(x: np.ndarray, name: str) -> np.ndarray:
    if not np.isfinite(x).all():
        raise ValueError(f"{name} must hold finite numbers, got {int(np.isnan(x).sum())} NaN and "
                         f"{int(np.isinf(x).sum())} infinite entries")
    return x


def softmax(s: np.ndarray) -> np.ndarray:
    """Softmax of the scores ``s`` over the last axis, shifted by the max for numerical safety.
    s: (..., K) finite floats, K >= 1 -> the same shape, every row summing to 1."""
    expect_array(s, "s", ndim=tuple(range(1, 33)))
    if s.shape[-1] == 0:
        raise ValueError(f"s must hold at least one score per row, got shape {s.shape}")
    _expect_finite(s, "s (the scores)")
    z = np.exp(s - s.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def rnn_step(x_t: np.ndarray, h_prev: np.ndarray, U: np.ndarray, W: np.ndarray,
             b: np.ndarray) -> np.ndarray:
    """One step: h_t = tanh(W h_{t-1} + U x_t + b).  x_t: (D,), h_prev: (J,) -> (J,)."""
    check_step_args(x_t, h_prev, U, W, b)
    return _step(x_t, h_prev, U, W, b)


def _step(x_t, h_prev, U, W, b):
    """rnn_step without the argument checks (rnn_forward checks everything once)."""
    return np.tanh(W @ h_prev + U @ x_t + b)


def check_step_args(x_t, h_prev, U, W, b=None, **vectors) -> None:
    """x_t (D,) and h_prev (J,) fix D and J; then U must be (J, D), W (J, J), and b and every
    other keyword array (e.g. h_t, dh_t) (J,)."""
    D = expect_array(x_t, "x_t", ndim=1).shape[0]
    J = expect_array(h_prev, "h_prev", ndim=1).shape[0]
    vectors = {"b": b, **vectors} if b is not None else vectors
    checks = [("U", U, (J, D)), ("W", W, (J, J)), *((n, v, (J,)) for n, v in vectors.items())]
    for name, array, shape in checks:
        if expect_array(array, name).shape != shape:
            raise ValueError(f"{name} must have shape {shape} to match x_t {x_t.shape} and "
                             f"h_prev {h_prev.shape}, got {array.shape}")


def check_targets(targets, T: int, K: int) -> np.ndarray:
    """targets must be T integer class ids in [0, K)."""
    targets = np.asarray(targets)
    if not np.issubdtype(targets.dtype, np.integer):
        raise TypeError(f"targets must hold integer class ids, got dtype {targets.dtype}")
    if targets.shape != (T,):
        raise ValueError(f"targets must have shape ({T},), one class id per step, got {targets.shape}")
    if T and (targets.min() < 0 or targets.max() >= K):
        raise ValueError(f"targets must lie in [0, {K}), got values from {targets.min()} "
                         f"to {targets.max()}")
    return targets


def rnn_forward(xs: np.ndarray, h0: np.ndarray, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """Unroll over time. xs: (T, D), h0: (J,) -> hs: (T, J), probs: (T, K)."""
    D, J, K = check_params(params)
    _check_sequence(xs, h0, D, J)
    hs = np.zeros((len(xs), J))
    h = h0
    for t, x_t in enumerate(xs):
        h = _step(x_t, h, params["U"], params["W"], params["b"])
        hs[t] = h
    probs = softmax(hs @ params["V"].T + params["b_y"])   # row t: softmax(s_t)
    return hs, probs


def _check_sequence(xs, h0, D: int, J: int) -> int:
    """xs (T, D) with T >= 1, h0 (J,); returns T."""
    T = expect_array(xs, "xs", shape=(None, D)).shape[0]
    if T == 0:
        raise ValueError(f"xs must hold at least one time step, got shape {xs.shape}")
    expect_array(h0, "h0", shape=(J,))
    _expect_finite(xs, "xs")
    _expect_finite(h0, "h0")
    return T


def check_probs(probs: np.ndarray) -> np.ndarray:
    """probs (T, K): finite entries in [0, 1], every row summing to 1."""
    expect_array(probs, "probs", ndim=2)
    _expect_finite(probs, "probs")
    sums = probs.sum(axis=1)
    bad = (probs < 0).any(axis=1) | (np.abs(sums - 1.0) > 1e-4)
    if bad.any():
        raise ValueError("probs must hold probabilities (every row in [0, 1], summing to 1; "
                         "did you pass the scores s_t instead of softmax(s_t)?), got row sums "
                         f"from {sums.min():.4g} to {sums.max():.4g}, min entry {probs.min():.4g}")
    return probs


def cross_entropy(probs: np.ndarray, targets: np.ndarray) -> float:
    """Summed negative log-likelihood of the target classes. probs: (T, K), targets: (T,)."""
    check_probs(probs)
    targets = check_targets(targets, *probs.shape)
    return float(-np.log(probs[np.arange(len(targets)), targets]).sum())


def rnn_step_backward(dh_t: np.ndarray, x_t: np.ndarray, h_prev: np.ndarray, h_t: np.ndarray,
                      U: np.ndarray, W: np.ndarray) -> dict:
    """Backward through one step, given dL/dh_t (all paths into h_t).

    Shapes: dh_t, h_prev, h_t (J,); x_t (D,); U (J, D); W (J, J).
    Returns dU (J, D), dW (J, J), db (J,) (this step's contributions) and dh_prev (J,), dx (D,).
    """
    check_step_args(x_t, h_prev, U, W, h_t=h_t, dh_t=dh_t)
    da = dh_t * (1.0 - h_t ** 2)            # tanh'(a_t) = 1 - tanh(a_t)^2
    return {
        "dU": np.outer(da, x_t),
        "dW": np.outer(da, h_prev),
        "db": da,
        "dh_prev": W.T @ da,
        "dx": U.T @ da,
    }


def rnn_backward(xs: np.ndarray, targets: np.ndarray, h0: np.ndarray, params: dict,
                 hs: np.ndarray, probs: np.ndarray) -> dict:
    """Backpropagation through time for the summed cross-entropy loss.

    Because U, W and b are shared by every step, their gradients are sums of the
    per-step contributions. xs (T, D), targets (T,), h0 (J,), hs (T, J), probs (T, K).
    Returns a dict with dU, dW, db, dV, db_y and dh0 (each the shape of its parameter).
    """
    D, J, K = check_params(params)
    T = _check_sequence(xs, h0, D, J)
    expect_array(hs, "hs", shape=(T, J))
    expect_array(probs, "probs", shape=(T, K))
    targets = check_targets(targets, T, K)
    ds = probs.copy()
    ds[np.arange(T), targets] -= 1.0         # (T, K): dL/ds_t = yhat_t - onehot(y_t)
    grads = {"dV": ds.T @ hs, "db_y": ds.sum(axis=0)}
    dhs_from_output = ds @ params["V"]       # (T, J): the path from each h_t to its own loss
    for name in ("U", "W", "b"):
        grads["d" + name] = np.zeros_like(params[name])
    dh_next = np.zeros_like(h0)              # the path from h_t into h_{t+1}
    for t in reversed(range(T)):
        h_prev = hs[t - 1] if t > 0 else h0
        step = rnn_step_backward(dhs_from_output[t] + dh_next, xs[t], h_prev, hs[t],
                                 params["U"], params["W"])
        for name in ("U", "W", "b"):
            grads["d" + name] += step["d" + name]
        dh_next = step["dh_prev"]
    grads["dh0"] = dh_next
    return grads


def loss_and_gradients(params: dict, xs: np.ndarray, targets: np.ndarray,
                       h0: np.ndarray) -> tuple[float, dict]:
    """Forward, loss and BPTT in one call."""
    hs, probs = rnn_forward(xs, h0, params)
    return cross_entropy(probs, targets), rnn_backward(xs, targets, h0, params, hs, probs)


def numerical_gradient(f, array: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Central-difference estimate of d f() / d array, perturbing ``array`` in place.

    f: a function of no arguments returning a number that reads ``array``; array: float64,
    any shape; returns an array of the same shape. The array is restored even if f fails."""
    if not callable(f):
        raise TypeError(f"f must be a function of no arguments returning the loss, got {type(f).__name__}")
    expect_float64(array, "array")
    eps = expect_positive_number(eps, "eps")
    if array.size > MAX_ENTRIES:
        raise ValueError(f"array has {array.size:,} entries, more than {MAX_ENTRIES:,}: finite "
                         "differences call f twice per entry; check a smaller model")
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        try:
            array[index] = original + eps
            plus = _number(f())
            array[index] = original - eps
            minus = _number(f())
        finally:
            array[index] = original
        grad[index] = (plus - minus) / (2 * eps)
        if not np.isfinite(grad[index]):
            raise ValueError(f"f returned a non-finite loss ({plus!r}, {minus!r}) when entry "
                             f"{index} was nudged: finite differences need a finite loss")
    return grad


def _number(value) -> float:
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"f must return one number (the loss), got {type(value).__name__}"
                        + (f" of shape {value.shape}" if isinstance(value, np.ndarray) else ""))
    return float(value)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max(|a| + |b|, tiny): near 1e-7 or below means 'equal' in float64.
    a, b: finite arrays of one and the same (non-empty) shape; they are not broadcast."""
    a, b = (_numeric_array(x, name) for x, name in ((a, "a"), (b, "b")))
    expect_same_shape(a, b, "a and b")
    if a.size == 0:
        raise ValueError(f"a and b must hold at least one entry, got shape {a.shape}")
    _expect_finite(a, "a")
    _expect_finite(b, "b")
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)))


def gradient_check(params: dict, xs: np.ndarray, targets: np.ndarray, h0: np.ndarray,
                   eps: float = 1e-5) -> dict:
    """Compare BPTT's gradients with finite differences; returns {name: relative error}.

    params and h0 must be float64 (they are nudged by eps); xs (T, D), targets (T,), h0 (J,)."""
    check_params(params)
    for name, array in (*((n, params.get(n)) for n in PARAM_NAMES if n in params), ("h0", h0)):
        expect_float64(array, name)
    _, grads = loss_and_gradients(params, xs, targets, h0)
    h0 = h0.copy()
    tensors = dict(params, h0=h0)
    loss = lambda: cross_entropy(rnn_forward(xs, h0, params)[1], targets)  # noqa: E731
    return {name: relative_error(grads["d" + name], numerical_gradient(loss, tensors[name], eps))
            for name in (*PARAM_NAMES, "h0")}


def _numeric_array(x, name: str) -> np.ndarray:
    if isinstance(x, (dict, str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    x = np.asarray(x)
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
    return x
