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


# --- no silent wrong answer: shapes, dtypes and probabilities are checked at the boundary ---------
def step_backward_args():
    params, xs, _, h0 = make_problem(2)
    hs, _ = nr.rnn_forward(xs, h0, params)
    dh = np.random.default_rng(3).normal(size=J)
    return {"dh_t": dh, "x_t": xs[1], "h_prev": hs[0], "h_t": hs[1], "U": params["U"], "W": params["W"]}


@pytest.mark.parametrize("which, bad, pattern", [
    ("dh_t", lambda a: a[:, None], r"dh_t must have shape \(5,\).*got \(5, 1\)"),
    ("dh_t", lambda a: a[:1], r"dh_t must have shape \(5,\).*got \(1,\)"),
    ("h_t", lambda a: a[:, None], r"h_t must have shape \(5,\).*got \(5, 1\)"),
    ("x_t", lambda a: a[:, None], r"x_t must be 1-D, got shape \(3, 1\)"),
    ("h_prev", lambda a: a[None], r"h_prev must be 1-D, got shape \(1, 5\)"),
    ("U", lambda a: a.T, r"U must have shape \(5, 3\).*got \(3, 5\)"),
    ("W", lambda a: a[:, :2], r"W must have shape \(5, 5\).*got \(5, 2\)"),
])
def test_rnn_step_backward_refuses_wrong_shapes(which, bad, pattern):
    """dh_t of shape (J, 1) used to broadcast into a (J, J) da and a dU of the wrong shape."""
    args = step_backward_args()
    args[which] = bad(args[which])
    with pytest.raises(ValueError, match=pattern):
        nr.rnn_step_backward(**args)


def test_rnn_step_backward_refuses_lists_and_integers():
    args = step_backward_args()
    with pytest.raises(TypeError, match="dh_t must be a numpy array, got list"):
        nr.rnn_step_backward(**dict(args, dh_t=list(args["dh_t"])))
    with pytest.raises(TypeError, match="dh_t must hold floating-point numbers, got dtype int64"):
        nr.rnn_step_backward(**dict(args, dh_t=np.ones(J, dtype=np.int64)))


@pytest.mark.parametrize("name, bad, pattern", [
    ("hs", lambda hs, probs: hs[:-1], r"hs must have shape \(4, 5\), got \(3, 5\)"),
    ("hs", lambda hs, probs: hs.T, r"hs must have shape \(4, 5\), got \(5, 4\)"),
    ("probs", lambda hs, probs: probs[:, :-1], r"probs must have shape \(4, 4\), got \(4, 3\)"),
])
def test_rnn_backward_refuses_a_forward_pass_of_other_shapes(name, bad, pattern):
    params, xs, targets, h0 = make_problem(4)
    hs, probs = nr.rnn_forward(xs, h0, params)
    args = {"hs": hs, "probs": probs}
    args[name] = bad(hs, probs)
    with pytest.raises(ValueError, match=pattern):
        nr.rnn_backward(xs, targets, h0, params, **args)


def test_an_empty_sequence_is_refused():
    params, _, _, h0 = make_problem(1)
    with pytest.raises(ValueError, match=r"xs must hold at least one time step, got shape \(0, 3\)"):
        nr.rnn_forward(np.zeros((0, D)), h0, params)


def test_cross_entropy_refuses_scores_that_are_not_probabilities():
    params, xs, targets, h0 = make_problem(4)
    hs, probs = nr.rnn_forward(xs, h0, params)
    with pytest.raises(ValueError, match=r"probs must hold probabilities.*softmax\(s_t\)"):
        nr.cross_entropy(hs @ params["V"].T + params["b_y"], targets)     # the scores s_t
    with pytest.raises(ValueError, match="probs must hold probabilities"):
        nr.cross_entropy(probs * 2, targets)


@pytest.mark.parametrize("s, error, pattern", [
    ([1.0, 2.0], TypeError, r"s must be a numpy array, got list"),
    (np.float64(1.0), TypeError, r"s must be a numpy array, got float64"),
    (np.zeros((2, 0)), ValueError, r"at least one score per row, got shape \(2, 0\)"),
])
def test_softmax_bad_input(s, error, pattern):
    with pytest.raises(error, match=pattern):
        nr.softmax(s)


@pytest.mark.parametrize("scale", [-1.0, 0.0, float("nan"), float("inf")])
def test_init_params_refuses_a_meaningless_scale(scale):
    with pytest.raises(ValueError, match="scale must be a .*positive number"):
        nr.init_params(D, J, K, np.random.default_rng(0), scale=scale)


@pytest.mark.parametrize("a, b, pattern", [
    (np.ones(3), np.ones((3, 1)), r"a and b must have the same shape, got \(3,\) and \(3, 1\)"),
    (np.ones(3), np.ones(1), r"a and b must have the same shape, got \(3,\) and \(1,\)"),
    (np.ones(0), np.ones(0), r"at least one entry"),
])
def test_relative_error_does_not_broadcast(a, b, pattern):
    """relative_error(a, a[:, None]) used to compare every pair of entries: 1.0 for equal arrays."""
    with pytest.raises(ValueError, match=pattern):
        nr.relative_error(a, b)
    assert nr.relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0


@pytest.mark.parametrize("array, dtype", [(np.arange(3), "int64"), (np.ones(3, np.float32), "float32")])
def test_numerical_gradient_needs_float64(array, dtype):
    """+eps on an integer array is lost (the estimate was 0); on float32 it is rounded."""
    with pytest.raises(TypeError, match=rf"array must (be float64|hold floating-point).*got dtype {dtype}"):
        nr.numerical_gradient(lambda: float(array.sum()), array)


def test_numerical_gradient_bad_arguments_and_restores_the_array():
    x = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match="eps must be a positive number, got 0"):
        nr.numerical_gradient(lambda: 0.0, x, eps=0)
    with pytest.raises(TypeError, match="f must be a function of no arguments.*got float"):
        nr.numerical_gradient(1.0, x)
    with pytest.raises(TypeError, match=r"f must return one number.*ndarray of shape \(2,\)"):
        nr.numerical_gradient(lambda: x * 2, x)
    assert x.tolist() == [1.0, 2.0]                       # restored after the failing call
    np.testing.assert_allclose(nr.numerical_gradient(lambda: float((x ** 2).sum()), x), [2.0, 4.0])


def test_gradient_check_refuses_float32_and_says_how_to_convert():
    """With float32 parameters a correct BPTT used to report relative errors of 1e-4 to 0.3."""
    params, xs, targets, h0 = make_problem(5)
    low = {name: value.astype(np.float32) for name, value in params.items()}
    with pytest.raises(TypeError, match=r"U must be float64 \(finite differences need float64.*"
                                         r"got dtype float32.*U.astype\(np.float64\)"):
        nr.gradient_check(low, xs, targets, h0)
    with pytest.raises(TypeError, match=r"h0 must be float64"):
        nr.gradient_check(params, xs, targets, h0.astype(np.float32))
    back = {name: value.astype(np.float64) for name, value in low.items()}
    assert max(nr.gradient_check(back, xs, targets, h0).values()) < 1e-6
