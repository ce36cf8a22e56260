"""utils.gradients: gradient norms over time, spectral radius, decay-rate fit, deep stacks."""
import numpy as np
import pytest
import torch

from utils import gradients
from utils.cells import GRUCell, LSTMCell, RNNCell
from utils.gradients import (ActivationRNNCell, deep_stack_gradient_norms, fit_decay_rate,
                             gradient_norms_over_time, largest_singular_value, random_rnn_cell,
                             set_spectral_radius, spectral_radius, state_sensitivity)

B, T, D, J = 3, 9, 4, 6          # all different, so that a transposed axis cannot pass


def inputs(seed=0, b=B, t=T, d=D):
    return torch.randn(b, t, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def manual_norms(cell, xs, readout):
    """||dL/dh_t|| by torch.autograd.grad on an explicitly unrolled cell, L = readout . h_T."""
    x = xs.clone()
    state = cell.init_state(xs.shape[0], dtype=xs.dtype)
    hs = []
    for t in range(xs.shape[1]):
        state = cell.step(x[:, t], state)
        hs.append(cell.hidden(state))
    grads = torch.autograd.grad((hs[-1] * readout).sum(), hs)
    return np.array([float(g.norm(dim=-1).mean()) for g in grads])


# --- gradient_norms_over_time -------------------------------------------------------------------
@pytest.mark.parametrize("cell_class", [RNNCell, GRUCell, LSTMCell])
def test_norms_equal_a_manual_autograd_computation(cell_class):
    torch.manual_seed(0)
    cell = cell_class(D, J).double()
    readout = torch.randn(J, dtype=torch.float64)
    xs = inputs()
    got = gradient_norms_over_time(cell, xs, readout=readout)
    assert got.shape == (T,)
    np.testing.assert_allclose(got, manual_norms(cell, xs, readout), rtol=1e-12, atol=0)
    assert got[-1] == pytest.approx(float(readout.norm()), rel=1e-12)   # dL/dh_T = readout


def test_norms_equal_the_jacobian_product_of_the_derivation():
    """dL/dh_{k-1} = (diag(1 - h_k^2) W)^T dL/dh_k, one sequence, built by hand."""
    cell = random_rnn_cell(J, D, radius=1.3, seed=2)
    xs = inputs(seed=1, b=1)
    readout = torch.ones(J, dtype=torch.float64) / J ** 0.5
    with torch.no_grad():
        h, hs = cell.init_state(1), []
        for t in range(T):
            h = cell.step(xs[:, t], h)
            hs.append(h[0])
    g, expected = readout, [1.0]
    for k in range(T - 1, 0, -1):
        g = (torch.diag(1 - hs[k] ** 2) @ cell.W.detach()).T @ g
        expected.append(float(g.norm()))
    np.testing.assert_allclose(gradient_norms_over_time(cell, xs), expected[::-1], rtol=1e-12)


def test_default_readout_is_a_unit_vector_and_weights_keep_no_grad():
    cell = random_rnn_cell(J, D, radius=0.9)
    norms = gradient_norms_over_time(cell, inputs())
    assert norms[-1] == pytest.approx(1.0)
    assert all(p.grad is None for p in cell.parameters())


def test_works_with_frozen_weights_and_a_given_start_state():
    cell = random_rnn_cell(J, D, radius=0.9)
    for p in cell.parameters():
        p.requires_grad_(False)
    h0 = torch.randn(B, J, dtype=torch.float64)
    norms = gradient_norms_over_time(cell, inputs(), state=h0)
    assert norms.shape == (T,) and np.all(np.isfinite(norms)) and norms[0] > 0


def test_linear_unit_with_symmetric_W_decays_at_the_spectral_radius():
    """Linear unit: dL/dh_t = (W^T)^(T-1-t) r. For symmetric W the factor per step is rho(W)."""
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(J, J)))
    eigenvalues = np.array([0.85, -0.5, 0.4, 0.3, -0.2, 0.1])
    W = torch.tensor(Q @ np.diag(eigenvalues) @ Q.T)
    cell = ActivationRNNCell(D, J, activation="linear").double()
    with torch.no_grad():
        cell.W.copy_(W)
    assert spectral_radius(cell.W) == pytest.approx(0.85)
    assert largest_singular_value(cell.W) == pytest.approx(0.85)     # symmetric: ||W||_2 = rho
    xs = inputs(t=60)
    norms = gradient_norms_over_time(cell, xs)
    assert fit_decay_rate(norms, skip_last=10) == pytest.approx(0.85, rel=1e-4)
    # exactly ||(W^T)^k r|| whatever the inputs
    r = torch.ones(J, dtype=torch.float64) / J ** 0.5
    expected = [float((torch.linalg.matrix_power(W.T, k) @ r).norm()) for k in range(59, -1, -1)]
    np.testing.assert_allclose(norms, expected, rtol=1e-10)


def test_tanh_decays_faster_than_linear_and_large_radius_explodes():
    xs = inputs(t=40, b=8)
    factor = {act: fit_decay_rate(gradient_norms_over_time(random_rnn_cell(32, D, 1.0, act), xs))
              for act in ("tanh", "linear")}
    assert factor["tanh"] < factor["linear"] <= 1.0 + 1e-2
    exploding = gradient_norms_over_time(random_rnn_cell(32, D, 4.0, "tanh"), xs)
    assert fit_decay_rate(exploding) > 1.0


@pytest.mark.parametrize("call, pattern", [
    (lambda c: gradient_norms_over_time(c, torch.zeros(B, T, D + 1, dtype=torch.float64)),
     r"xs must have shape \(\*, \*, 4\), got \(3, 9, 5\)"),
    (lambda c: gradient_norms_over_time(c, torch.zeros(T, D, dtype=torch.float64)),
     r"xs must have shape \(\*, \*, 4\), got \(9, 4\)"),
    (lambda c: gradient_norms_over_time(c, torch.zeros(B, 0, D, dtype=torch.float64)),
     r"at least one time step"),
    (lambda c: gradient_norms_over_time(c, inputs(), readout=torch.ones(J + 1, dtype=torch.float64)),
     r"readout must have shape \(6,?\), got \(7,?\)"),
])
def test_gradient_norms_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call(random_rnn_cell(J, D, 1.0))


# --- spectral radius and singular values ---------------------------------------------------------
@pytest.mark.parametrize("radius", [0.5, 1.0, 2.7])
def test_set_spectral_radius_gives_the_requested_radius(radius):
    W = torch.randn(7, 7, generator=torch.Generator().manual_seed(0))
    out = set_spectral_radius(W, radius)
    assert out is W                                       # in place
    assert spectral_radius(W) == pytest.approx(radius, rel=1e-5)
    assert largest_singular_value(W) >= spectral_radius(W) - 1e-6


def test_set_spectral_radius_keeps_the_direction():
    W = torch.randn(5, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    before = W.clone()
    set_spectral_radius(W, 0.3)
    ratio = W / before
    assert torch.allclose(ratio, ratio.flatten()[0].expand_as(ratio))


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: set_spectral_radius(torch.zeros(3, 4), 1.0), ValueError, r"W must be square, got shape \(3, 4\)"),
    (lambda: set_spectral_radius(torch.zeros(3, 3), 1.0), ValueError, r"spectral radius 0"),
    (lambda: set_spectral_radius(torch.eye(3), 0.0), ValueError, r"radius must be a positive number, got 0"),
    (lambda: set_spectral_radius(torch.eye(3), -1), ValueError, r"radius must be a positive number, got -1"),
    (lambda: set_spectral_radius(np.eye(3), 1.0), TypeError, r"W must be a torch.Tensor, got ndarray"),
    (lambda: set_spectral_radius(torch.eye(3, dtype=torch.int64), 1.0), TypeError, r"floating-point"),
    (lambda: spectral_radius(torch.zeros(2, 3)), ValueError, r"W must be square"),
])
def test_spectral_radius_bad_input(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


# --- fit_decay_rate ------------------------------------------------------------------------------
@pytest.mark.parametrize("factor", [0.3, 0.9, 1.0, 1.25])
def test_fit_recovers_a_known_geometric_factor(factor):
    T_ = 50
    distance = np.arange(T_)[::-1]                       # T-1-t
    norms = 2.5 * factor ** distance
    assert fit_decay_rate(norms) == pytest.approx(factor, rel=1e-10)


def test_fit_tolerates_noise_and_skips_the_last_step_and_bad_values():
    rng = np.random.default_rng(0)
    distance = np.arange(40)[::-1]
    norms = 0.7 ** distance * np.exp(rng.normal(0, 0.05, size=40))
    norms[-1] = 100.0                                    # the loss's own step: skipped
    assert fit_decay_rate(norms) == pytest.approx(0.7, rel=0.01)
    norms[:5] = 0.0                                      # underflow: left out
    norms[5] = np.inf
    assert fit_decay_rate(norms) == pytest.approx(0.7, rel=0.01)
    assert fit_decay_rate(list(0.5 ** distance)) == pytest.approx(0.5)     # a list works too


@pytest.mark.parametrize("norms, kwargs, pattern", [
    (np.ones((3, 4)), {}, r"norms must be 1-D .* got shape \(3, 4\)"),
    (np.array([1.0, 2.0]), {}, r"at least two positive, finite norms .* got 1 of 2"),
    (np.zeros(10), {}, r"got 0 of 10"),
    (np.ones(5), {"skip_last": -1}, r"skip_last must be a non-negative integer, got -1"),
    (np.ones(5), {"skip_last": 1.5}, r"skip_last must be a non-negative integer, got 1.5"),
])
def test_fit_bad_input(norms, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        fit_decay_rate(norms, **kwargs)


# --- random cells, the forward view, deep stacks -------------------------------------------------
def test_random_rnn_cell():
    cell = random_rnn_cell(hidden_size=J, input_size=D, radius=1.7, activation="linear", seed=5)
    assert isinstance(cell, ActivationRNNCell) and cell.activation == "linear"
    assert cell.W.dtype == torch.float64 and tuple(cell.U.shape) == (J, D)
    assert spectral_radius(cell.W) == pytest.approx(1.7)
    assert torch.count_nonzero(cell.b) == 0
    other = random_rnn_cell(hidden_size=J, input_size=D, radius=0.5, seed=5)
    assert torch.allclose(other.W * (1.7 / 0.5), cell.W)          # same W up to scale
    assert not torch.equal(random_rnn_cell(J, D, 1.7, seed=6).W, cell.W)
    with pytest.raises(ValueError, match=r"activation must be one of 'tanh', 'linear', 'relu', got 'sigmoid'"):
        random_rnn_cell(J, D, 1.0, activation="sigmoid")
    with pytest.raises(ValueError, match=r"seed must be an integer, got 1.5"):
        random_rnn_cell(J, D, 1.0, seed=1.5)


def test_activation_cell_tanh_equals_the_course_rnn_cell():
    torch.manual_seed(0)
    ours = ActivationRNNCell(D, J, "tanh")
    course = RNNCell(D, J)
    course.load_state_dict(ours.state_dict())
    x, h = torch.randn(B, D), torch.randn(B, J)
    assert torch.equal(ours.step(x, h), course.step(x, h))
    relu = ActivationRNNCell(D, J, "relu")
    assert (relu.step(x, h) >= 0).all()


def test_state_sensitivity():
    xs = inputs(t=30)
    linear = random_rnn_cell(J, D, radius=0.6, activation="linear")
    gaps = state_sensitivity(linear, xs, delta=1e-3)
    assert gaps.shape == (30,)
    U, W = linear.U.detach(), linear.W.detach()
    first = U @ torch.full((D,), 1e-3, dtype=torch.float64)           # the same for every sequence
    assert gaps[0] == pytest.approx(float(first.norm()), rel=1e-8)
    assert gaps[10] == pytest.approx(float((torch.linalg.matrix_power(W, 10) @ first).norm()), rel=1e-6)
    assert gaps[-1] < 1e-3 * gaps[0]
    with pytest.raises(ValueError, match=r"delta must be a positive number, got 0"):
        state_sensitivity(linear, xs, delta=0)


def test_deep_stack_residual_keeps_the_gradient():
    plain = deep_stack_gradient_norms(depth=30, width=16, residual=False, gain=0.5)
    residual = deep_stack_gradient_norms(depth=30, width=16, residual=True, gain=0.5)
    assert plain.shape == residual.shape == (30,)
    assert plain[0] / plain[-1] < 1e-6
    assert residual[0] / residual[-1] > 0.5
    assert np.array_equal(plain, deep_stack_gradient_norms(depth=30, width=16, gain=0.5))
    with pytest.raises(ValueError, match=r"depth must be a positive integer, got 0"):
        deep_stack_gradient_norms(depth=0)


# --- no silent wrong answer: non-finite settings, empty or non-finite matrices, wrong types ------
@pytest.mark.parametrize("call, error, pattern", [
    (lambda: random_rnn_cell(J, D, radius=float("inf")), ValueError, r"radius must be a finite positive number, got inf"),
    (lambda: random_rnn_cell(J, D, radius=float("nan")), ValueError, r"radius must be a positive number, got nan"),
    (lambda: random_rnn_cell(J, D, input_scale=float("inf")), ValueError, r"input_scale must be a finite"),
    (lambda: random_rnn_cell(J, D, dtype=torch.long), TypeError, r"dtype must be a floating torch dtype.*got torch.int64"),
    (lambda: random_rnn_cell(J, D, dtype="float64"), TypeError, r"dtype must be a floating torch dtype.*got 'float64'"),
    (lambda: set_spectral_radius(torch.eye(3), float("inf")), ValueError, r"radius must be a finite positive number"),
    (lambda: spectral_radius(torch.full((3, 3), float("nan"))), ValueError, r"W must hold finite numbers"),
    (lambda: spectral_radius(torch.zeros(0, 0)), ValueError, r"W must not be empty, got shape \(0, 0\)"),
    (lambda: largest_singular_value(torch.full((3, 2), float("inf"))), ValueError, r"W must hold finite numbers"),
    (lambda: largest_singular_value(torch.zeros(0, 3)), ValueError, r"W must not be empty, got shape \(0, 3\)"),
    (lambda: state_sensitivity(random_rnn_cell(J, D), inputs(), delta=float("inf")), ValueError, r"delta must be a finite"),
    (lambda: state_sensitivity(random_rnn_cell(J, D), inputs(t=0)), ValueError, r"at least one time step"),
    (lambda: gradient_norms_over_time(random_rnn_cell(J, D), inputs(b=0)), ValueError, r"at least one sequence, got shape \(0, 9, 4\)"),
    (lambda: gradient_norms_over_time(torch.nn.RNN(D, J), inputs()), TypeError, r"cell must be a utils.cells cell.*got RNN"),
    (lambda: fit_decay_rate(["a", "b", "c"]), TypeError, r"norms must hold real numbers, got dtype <U1"),
    (lambda: deep_stack_gradient_norms(depth=3, seed=0.5), ValueError, r"seed must be an integer, got 0.5"),
    (lambda: deep_stack_gradient_norms(depth=3, gain=float("inf")), ValueError, r"gain must be a finite positive number"),
])
def test_no_silent_wrong_answer(call, error, pattern):
    """Each of these used to return NaN/inf/0.0, fail inside torch, or (NaN W) crash the
    interpreter inside LAPACK."""
    with pytest.raises(error, match=pattern):
        call()
