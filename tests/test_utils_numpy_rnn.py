"""The numpy teaching RNN: forward pass, BPTT checked by finite differences, softmax, shapes."""
import numpy as np
import pytest

from utils import numpy_rnn as nr

D, J, K = 3, 5, 4  # non-square on purpose: a transposed matrix cannot go unnoticed


def make_problem(T, seed=0, D=D, J=J, K=K):
    rng = np.random.default_rng(seed)
    params = nr.init_params(D, J, K, rng, scale=1.0)
    xs = rng.normal(size=(T, D))
    targets = rng.integers(0, K, size=T)
    h0 = rng.normal(0.0, 0.5, size=J)  # non-zero: a forgotten h0 shows up
    return params, xs, targets, h0


def finite_difference_grads(params, xs, targets, h0, eps=1e-5):
    """Central differences of the loss for every parameter and h0, written out here."""
    tensors = {name: value.copy() for name, value in params.items()}
    tensors["h0"] = h0.copy()

    def loss():
        p = {name: tensors[name] for name in nr.PARAM_NAMES}
        return nr.cross_entropy(nr.rnn_forward(xs, tensors["h0"], p)[1], targets)

    grads = {}
    for name, array in tensors.items():
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            original = array[index]
            array[index] = original + eps
            plus = loss()
            array[index] = original - eps
            minus = loss()
            array[index] = original
            grad[index] = (plus - minus) / (2 * eps)
        grads[name] = grad
    return grads


@pytest.mark.parametrize("T", [1, 2, 7])
def test_bptt_matches_finite_differences(T):
    params, xs, targets, h0 = make_problem(T, seed=T)
    _, grads = nr.loss_and_gradients(params, xs, targets, h0)
    numeric = finite_difference_grads(params, xs, targets, h0)
    for name in (*nr.PARAM_NAMES, "h0"):
        analytic = grads["d" + name]
        assert analytic.shape == numeric[name].shape, name
        assert np.abs(numeric[name]).max() > 1e-6, f"{name}: degenerate fixture, zero gradient"
        err = nr.relative_error(analytic, numeric[name])
        assert err < 1e-6, f"d{name}: relative error {err:.2e}"


def test_gradient_check_helper_reports_every_parameter():
    params, xs, targets, h0 = make_problem(4)
    before = {name: value.copy() for name, value in params.items()}
    errors = nr.gradient_check(params, xs, targets, h0)
    assert set(errors) == {*nr.PARAM_NAMES, "h0"}
    assert max(errors.values()) < 1e-6
    for name in nr.PARAM_NAMES:  # perturbed in place, then restored exactly
        np.testing.assert_array_equal(params[name], before[name])


def test_gradient_check_catches_a_wrong_gradient(monkeypatch):
    params, xs, targets, h0 = make_problem(4)
    real = nr.rnn_step_backward

    def transposed_dW(*args):
        out = real(*args)
        out["dW"] = out["dW"].T
        return out

    monkeypatch.setattr(nr, "rnn_step_backward", transposed_dW)
    assert nr.gradient_check(params, xs, targets, h0)["W"] > 1e-3


def test_gradients_are_sums_over_time():
    """Shared weights: dU is the sum of the per-step contributions."""
    params, xs, targets, h0 = make_problem(5)
    hs, probs = nr.rnn_forward(xs, h0, params)
    grads = nr.rnn_backward(xs, targets, h0, params, hs, probs)
    one_step = nr.rnn_backward(xs[:1], targets[:1], h0, params, hs[:1], probs[:1])
    assert not np.allclose(grads["dU"], one_step["dU"])


def test_forward_equals_hand_unrolled_loop():
    params, xs, _, h0 = make_problem(6)
    hs, probs = nr.rnn_forward(xs, h0, params)
    U, W, b, V, b_y = (params[n] for n in nr.PARAM_NAMES)
    h = h0
    assert hs.shape == (6, J) and probs.shape == (6, K)
    for t in range(6):
        h = np.tanh(W @ h + U @ xs[t] + b)
        s = V @ h + b_y                       # the output scores s_t
        p = np.exp(s) / np.exp(s).sum()
        np.testing.assert_allclose(hs[t], h, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(probs[t], p, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_forward_does_not_modify_inputs():
    params, xs, _, h0 = make_problem(3)
    copies = [xs.copy(), h0.copy()] + [params[n].copy() for n in nr.PARAM_NAMES]
    nr.rnn_forward(xs, h0, params)
    for before, after in zip(copies, [xs, h0] + [params[n] for n in nr.PARAM_NAMES]):
        np.testing.assert_array_equal(before, after)


def test_cross_entropy_is_summed_negative_log_likelihood():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    assert nr.cross_entropy(probs, np.array([0, 2])) == pytest.approx(-np.log(0.7) - np.log(0.8))


def test_softmax_is_stable_for_large_logits():
    o = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1000.0, -1000.0]])
    p = nr.softmax(o)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p[0], nr.softmax(np.array([1.0, 2.0, 0.0])), rtol=1e-12)
    np.testing.assert_allclose(p[1], 1 / 3)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    assert nr.softmax(np.array([0.0, 800.0]))[1] == 1.0


def test_rnn_step_matches_equation():
    params, xs, _, h0 = make_problem(1)
    h = nr.rnn_step(xs[0], h0, params["U"], params["W"], params["b"])
    np.testing.assert_allclose(h, np.tanh(params["W"] @ h0 + params["U"] @ xs[0] + params["b"]))


# --- bad shapes name the argument ------------------------------------------------------------
@pytest.mark.parametrize("name, bad, expected", [
    ("xs", lambda xs, h0, p: (xs[None], h0, p), "xs"),                     # 3-D
    ("xs", lambda xs, h0, p: (xs[:, :2], h0, p), "xs"),                    # wrong D
    ("h0", lambda xs, h0, p: (xs, h0[:2], p), "h0"),
    ("h0", lambda xs, h0, p: (xs, h0[None], p), "h0"),
    ("W", lambda xs, h0, p: (xs, h0, dict(p, W=p["W"][:, :2])), "W"),
    ("V", lambda xs, h0, p: (xs, h0, dict(p, V=p["V"].T)), "V"),
    ("b", lambda xs, h0, p: (xs, h0, dict(p, b=p["b"][:, None])), "b"),
    ("b_y", lambda xs, h0, p: (xs, h0, dict(p, b_y=p["b_y"][:1])), "b_y"),
])
def test_forward_bad_shapes_name_the_argument(name, bad, expected):
    params, xs, _, h0 = make_problem(3)
    with pytest.raises(ValueError, match=rf"\b{expected}\b.*shape|\b{expected}\b must be"):
        nr.rnn_forward(*bad(xs, h0, params))


def test_missing_parameter_is_named():
    params, xs, _, h0 = make_problem(3)
    del params["b_y"]
    with pytest.raises(ValueError, match="'b_y'"):
        nr.rnn_forward(xs, h0, params)


def test_the_output_bias_is_b_y_and_the_old_name_c_is_explained():
    assert nr.PARAM_NAMES == ("U", "W", "b", "V", "b_y")
    params, xs, targets, h0 = make_problem(3)
    assert set(nr.loss_and_gradients(params, xs, targets, h0)[1]) == {
        "dU", "dW", "db", "dV", "db_y", "dh0"}
    old = {("c" if name == "b_y" else name): value for name, value in params.items()}
    with pytest.raises(ValueError, match="'c'.*'b_y'"):
        nr.rnn_forward(xs, h0, old)


def test_integer_inputs_are_rejected_with_dtype():
    params, xs, _, h0 = make_problem(3)
    with pytest.raises(TypeError, match="xs.*floating.*int"):
        nr.rnn_forward(xs.astype(int), h0, params)


@pytest.mark.parametrize("targets, error", [
    (np.array([0, 1]), ValueError),            # wrong length
    (np.array([0.0, 1.0, 2.0]), TypeError),    # float class ids
    (np.array([0, 1, K]), ValueError),         # out of range
    (np.array([0, -1, 1]), ValueError),        # negative
])
def test_bad_targets_are_explained(targets, error):
    params, xs, _, h0 = make_problem(3)
    with pytest.raises(error, match="targets"):
        nr.loss_and_gradients(params, xs, targets, h0)
    hs, probs = nr.rnn_forward(xs, h0, params)
    with pytest.raises(error, match="targets"):
        nr.rnn_backward(xs, targets, h0, params, hs, probs)


@pytest.mark.parametrize("which", ["x_t", "h_prev", "U", "W", "b"])
def test_rnn_step_bad_shapes_name_the_argument(which):
    params, xs, _, h0 = make_problem(1)
    args = {"x_t": xs[0], "h_prev": h0, "U": params["U"], "W": params["W"], "b": params["b"]}
    args[which] = args[which][..., :2]
    with pytest.raises(ValueError, match=which):
        nr.rnn_step(**args)
