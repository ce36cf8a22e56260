"""utils.scan: the linear recurrence, combine, the Hillis-Steele, Blelloch and log-space scans.

Tolerances, all on the error relative to the size of the answer,
max |scan - loop| / max(1, max |loop|):
  float64: 1e-12 (measured ~1e-15: a scan adds the same products in another order);
  float32: 2e-5  (measured ~2e-7: a handful of roundings of ~6e-8 each, log2 T rounds deep);
  gradients, float64: 1e-10 (measured ~3e-16).
The log-space scan, relative error |scan / loop - 1|: float64 1e-12 (measured ~2e-14),
gradients 1e-10 (measured ~1e-13); at T = 2000, α = 0.5: 1e-11 (measured ~4e-13), because
α*_t = -1386 carries an absolute error of about 1386 * 1.1e-16, which exp turns into a
relative error of that size. In float32 the same effect is ~|α*_t| * 6e-8: 5e-5 at T = 100
with α in (0.05, 1] (measured ~9e-6, α*_T ~ -140).
No test depends on the speed of the machine.
"""
import math

import pytest
import torch

from utils.scan import (combine, linear_recurrence, scan_blelloch, scan_hillis_steele,
                        scan_log_space, scan_rounds)

B, J = 3, 5                      # different, so that a transposed axis cannot pass
LENGTHS = [1, 2, 3, 7, 8, 9, 100]
SCANS = [scan_hillis_steele, scan_blelloch]
TOL = {torch.float64: 1e-12, torch.float32: 2e-5}


def pairs(T, low=-1.2, high=1.2, dtype=torch.float64, seed=0, with_h0=True):
    """alpha uniform in (low, high), beta and h0 standard normal: (B, T, J), (B, T, J), (B, J)."""
    g = torch.Generator().manual_seed(seed)
    alpha = torch.empty(B, T, J, dtype=torch.float64).uniform_(low, high, generator=g)
    beta = torch.randn(B, T, J, dtype=torch.float64, generator=g)
    h0 = torch.randn(B, J, dtype=torch.float64, generator=g)
    return alpha.to(dtype), beta.to(dtype), (h0.to(dtype) if with_h0 else None)


def relative_error(got, want):
    return float((got - want).abs().max() / max(1.0, float(want.abs().max())))


def positive_pairs(T, seed=0, alpha_low=0.05):
    """alpha in (alpha_low, 1], beta > 0, h0 > 0, float64."""
    g = torch.Generator().manual_seed(seed)
    alpha = torch.empty(B, T, J, dtype=torch.float64).uniform_(alpha_low, 1.0, generator=g)
    beta = torch.empty(B, T, J, dtype=torch.float64).uniform_(0.01, 2.0, generator=g)
    h0 = torch.empty(B, J, dtype=torch.float64).uniform_(0.01, 2.0, generator=g)
    return alpha, beta, h0


# --- the reference --------------------------------------------------------------------------------
def test_linear_recurrence_by_hand():
    alpha = torch.tensor([[[0.5], [2.0], [-1.0]]], dtype=torch.float64)        # (1, 3, 1)
    beta = torch.tensor([[[1.0], [1.0], [3.0]]], dtype=torch.float64)
    h0 = torch.tensor([[4.0]], dtype=torch.float64)
    # h1 = 0.5 * 4 + 1 = 3, h2 = 2 * 3 + 1 = 7, h3 = -7 + 3 = -4
    assert linear_recurrence(alpha, beta, h0).flatten().tolist() == [3.0, 7.0, -4.0]
    # without h0 (zeros): 1, 3, 0
    assert linear_recurrence(alpha, beta).flatten().tolist() == [1.0, 3.0, 0.0]


def test_linear_recurrence_keeps_dtype_and_shape():
    alpha, beta, h0 = pairs(4, dtype=torch.float32)
    h = linear_recurrence(alpha, beta, h0)
    assert h.shape == (B, 4, J) and h.dtype == torch.float32


# --- combine ----------------------------------------------------------------------------------------
def test_combine_is_apply_left_then_right():
    g = torch.Generator().manual_seed(1)
    left, right = [tuple(torch.randn(2, 3, dtype=torch.float64, generator=g) for _ in range(2))
                   for _ in range(2)]
    h = torch.randn(2, 3, dtype=torch.float64, generator=g)
    alpha, beta = combine(left, right)
    step = lambda pair, x: pair[0] * x + pair[1]                 # noqa: E731
    torch.testing.assert_close(alpha * h + beta, step(right, step(left, h)), rtol=1e-14, atol=1e-14)
    # and the other order is a different map
    alpha2, beta2 = combine(right, left)
    assert not torch.allclose(alpha2 * h + beta2, alpha * h + beta)


@pytest.mark.parametrize("seed", range(5))
def test_combine_is_associative(seed):
    g = torch.Generator().manual_seed(seed)
    x, y, z = [tuple(torch.randn(4, 6, dtype=torch.float64, generator=g) for _ in range(2))
               for _ in range(3)]
    one, two = combine(combine(x, y), z), combine(x, combine(y, z))
    for u, v in zip(one, two):
        torch.testing.assert_close(u, v, rtol=1e-13, atol=1e-13)


def test_combine_identity():
    g = torch.Generator().manual_seed(2)
    x = tuple(torch.randn(3, dtype=torch.float64, generator=g) for _ in range(2))
    identity = (torch.ones(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64))
    for result in (combine(identity, x), combine(x, identity)):
        assert all(torch.equal(u, v) for u, v in zip(result, x))


# --- parity with the loop ---------------------------------------------------------------------------
@pytest.mark.parametrize("scan", SCANS)
@pytest.mark.parametrize("T", LENGTHS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("low", [-1.2, 0.0])
@pytest.mark.parametrize("with_h0", [True, False])
def test_scan_equals_the_loop(scan, T, dtype, low, with_h0):
    alpha, beta, h0 = pairs(T, low=low, dtype=dtype, seed=T, with_h0=with_h0)
    want = linear_recurrence(alpha, beta, h0)
    got = scan(alpha, beta, h0)
    assert got.shape == (B, T, J) and got.dtype == dtype
    assert relative_error(got, want) < TOL[dtype]


@pytest.mark.parametrize("scan", SCANS)
def test_float32_scan_is_close_to_the_float64_loop(scan):
    """The float32 scan is no worse than the float32 loop, both measured against float64."""
    alpha, beta, h0 = pairs(100, low=0.0, seed=7)
    exact = linear_recurrence(alpha, beta, h0)
    loop32 = linear_recurrence(alpha.float(), beta.float(), h0.float()).double()
    scan32 = scan(alpha.float(), beta.float(), h0.float()).double()
    assert relative_error(scan32, exact) < 2e-6
    assert relative_error(loop32, exact) < 2e-6


@pytest.mark.parametrize("scan", SCANS)
def test_scan_leaves_its_inputs_alone(scan):
    alpha, beta, h0 = pairs(9)
    copies = [x.clone() for x in (alpha, beta, h0)]
    scan(alpha, beta, h0)
    assert all(torch.equal(x, c) for x, c in zip((alpha, beta, h0), copies))


# --- gradients ---------------------------------------------------------------------------------------
def gradients(fn, alpha, beta, h0, weights):
    alpha, beta, h0 = (x.clone().requires_grad_() for x in (alpha, beta, h0))
    loss = (fn(alpha, beta, h0) * weights).sum()
    return torch.autograd.grad(loss, (alpha, beta, h0))


@pytest.mark.parametrize("scan", SCANS)
@pytest.mark.parametrize("T", [1, 2, 7, 9, 100])
def test_scan_gradients_equal_the_loop(scan, T):
    alpha, beta, h0 = pairs(T, low=-1.0, high=1.0, seed=T + 100)
    weights = torch.randn(B, T, J, dtype=torch.float64, generator=torch.Generator().manual_seed(T))
    for name, want, got in zip("alpha beta h0".split(), gradients(linear_recurrence, alpha, beta, h0, weights),
                               gradients(scan, alpha, beta, h0, weights)):
        assert relative_error(got, want) < 1e-10, name


def test_log_space_gradients_equal_the_loop():
    alpha, beta, h0 = positive_pairs(50, seed=3)
    weights = torch.randn(B, 50, J, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    want = gradients(linear_recurrence, alpha, beta, h0, weights)
    got = gradients(lambda alpha, beta, h0: scan_log_space(alpha.log(), beta.log(), h0), alpha, beta, h0, weights)
    for name, w, g in zip("alpha beta h0".split(), want, got):
        assert relative_error(g, w) < 1e-10, name


@pytest.mark.parametrize("scan", [linear_recurrence, *SCANS])
def test_gradcheck(scan):
    alpha, beta, h0 = pairs(5, low=-1.0, high=1.0, seed=11)
    inputs = (alpha[:2, :, :2].clone().requires_grad_(), beta[:2, :, :2].clone().requires_grad_(),
              h0[:2, :2].clone().requires_grad_())
    assert torch.autograd.gradcheck(scan, inputs)


def test_gradcheck_log_space():
    alpha, beta, h0 = positive_pairs(5, seed=12)
    inputs = (alpha[:2, :, :2].log().requires_grad_(), beta[:2, :, :2].log().requires_grad_(),
              h0[:2, :2].clone().requires_grad_())
    assert torch.autograd.gradcheck(scan_log_space, inputs)


# --- the log-space scan -------------------------------------------------------------------------------
@pytest.mark.parametrize("T", LENGTHS)
@pytest.mark.parametrize("with_h0", [True, False])
def test_log_space_equals_the_loop(T, with_h0):
    alpha, beta, h0 = positive_pairs(T, seed=T)
    h0 = h0 if with_h0 else None
    want = linear_recurrence(alpha, beta, h0)
    got = scan_log_space(alpha.log(), beta.log(), h0)
    assert got.shape == (B, T, J)
    assert float(((got - want) / want).abs().max()) < 1e-12


def test_log_space_allows_a_equal_to_one():
    """alpha = 1 (log alpha = 0): h is the running sum of beta, plus h0."""
    beta = torch.rand(B, 6, J, dtype=torch.float64, generator=torch.Generator().manual_seed(4)) + 0.1
    h0 = torch.full((B, J), 0.5, dtype=torch.float64)
    got = scan_log_space(torch.zeros_like(beta), beta.log(), h0)
    torch.testing.assert_close(got, h0.unsqueeze(1) + beta.cumsum(1), rtol=1e-13, atol=0)


def test_log_space_is_stable_where_the_product_of_a_underflows():
    """T = 2000, alpha = 0.5: prod(alpha) = 0.5^2000 ~ 1e-602 underflows to 0 in float64 and its
    inverse overflows, so the direct formula h_t = A_t (h0 + sum b_s / A_s) gives NaN. The loop
    never forms the product, and the log-space scan keeps it as log A_t = -1386; they agree."""
    T = 2000
    alpha = torch.full((B, T, J), 0.5, dtype=torch.float64)
    beta = torch.rand(B, T, J, dtype=torch.float64, generator=torch.Generator().manual_seed(5)) + 0.1
    h0 = torch.full((B, J), 3.0, dtype=torch.float64)
    A = torch.cumprod(alpha, dim=1)
    assert float(A[:, -1].max()) == 0.0                                   # underflowed
    naive = A * (h0.unsqueeze(1) + torch.cumsum(beta / A, dim=1))
    assert not bool(torch.isfinite(naive).all())                          # 0 * inf = NaN
    want = linear_recurrence(alpha, beta, h0)
    got = scan_log_space(alpha.log(), beta.log(), h0)
    assert bool(torch.isfinite(got).all())
    assert float(((got - want) / want).abs().max()) < 1e-11


def test_log_space_float32():
    alpha, beta, h0 = positive_pairs(100, seed=6)
    want = linear_recurrence(alpha, beta, h0)
    got = scan_log_space(alpha.float().log(), beta.float().log(), h0.float()).double()
    assert float(((got - want) / want).abs().max()) < 5e-5


# --- devices -------------------------------------------------------------------------------------------
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("scan", [linear_recurrence, *SCANS])
def test_scans_run_on_cuda(scan):
    alpha, beta, h0 = pairs(9, low=0.1, high=1.0)
    want = linear_recurrence(alpha, beta, h0)
    got = scan(alpha.cuda(), beta.cuda(), h0.cuda())
    assert got.device.type == "cuda"
    assert relative_error(got.cpu(), want) < 1e-12
    got = scan_log_space(alpha.log().cuda(), beta.abs().log().cuda(), h0.abs().cuda())
    want = linear_recurrence(alpha, beta.abs(), h0.abs())
    assert got.device.type == "cuda" and relative_error(got.cpu(), want) < 1e-12


# --- scan_rounds ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("T, hillis, blelloch", [(1, 0, 0), (2, 1, 2), (3, 2, 4), (7, 3, 6),
                                                 (8, 3, 6), (9, 4, 8), (100, 7, 14),
                                                 (1024, 10, 20), (1025, 11, 22)])
def test_scan_rounds(T, hillis, blelloch):
    assert scan_rounds(T) == {"loop": T, "hillis_steele": hillis, "blelloch": blelloch}
    assert hillis == math.ceil(math.log2(T))


@pytest.mark.parametrize("T", [1, 2, 3, 5, 8, 9, 17])
def test_hillis_steele_needs_exactly_its_rounds(T):
    """One round fewer than scan_rounds says leaves the last position incomplete."""
    alpha, beta, h0 = pairs(T, low=0.5, high=1.0, seed=T)
    want = linear_recurrence(alpha, beta, h0)
    assert relative_error(scan_hillis_steele(alpha, beta, h0), want) < 1e-12
    rounds = scan_rounds(T)["hillis_steele"]
    if rounds:
        # Redo the rounds by hand, stopping one short: position T-1 then covers only
        # 2^(rounds-1) < T steps, and h0's contribution never reaches it.
        bb = torch.cat([alpha[:, :1] * h0.unsqueeze(1) + beta[:, :1], beta[:, 1:]], dim=1)
        aa = alpha                                          # aa, bb: the pairs after each round
        for d in range(rounds - 1):
            s = 2 ** d
            new_alpha, new_beta = combine((aa[:, :-s], bb[:, :-s]), (aa[:, s:], bb[:, s:]))
            aa, bb = torch.cat([aa[:, :s], new_alpha], 1), torch.cat([bb[:, :s], new_beta], 1)
        assert relative_error(bb, want) > 1e-6


# --- bad inputs -------------------------------------------------------------------------------------------
ALL = [linear_recurrence, scan_hillis_steele, scan_blelloch]


@pytest.mark.parametrize("fn", ALL)
def test_refuses_wrong_rank(fn):
    alpha, beta, _ = pairs(4)
    with pytest.raises(ValueError, match=r"alpha must be 3-D, got shape \(3, 4\)"):
        fn(alpha[:, :, 0], beta[:, :, 0])


@pytest.mark.parametrize("fn", ALL)
def test_refuses_different_shapes(fn):
    alpha, beta, _ = pairs(4)
    with pytest.raises(ValueError, match=r"alpha and beta must have the same shape \(B, T, J\), got "
                                         r"\(3, 4, 5\) and \(3, 3, 5\)"):
        fn(alpha, beta[:, :3])


@pytest.mark.parametrize("fn", ALL)
def test_refuses_integer_tensors_and_non_tensors(fn):
    alpha, beta, _ = pairs(4)
    with pytest.raises(TypeError, match="alpha must hold floating-point numbers, got dtype torch.int64"):
        fn(alpha.long(), beta)
    with pytest.raises(TypeError, match="beta must be a torch.Tensor, got list"):
        fn(alpha, beta.tolist())


@pytest.mark.parametrize("fn", ALL)
def test_refuses_mixed_dtypes(fn):
    alpha, beta, h0 = pairs(4)
    with pytest.raises(TypeError, match="alpha and beta must have the same dtype, got torch.float32 and "
                                        "torch.float64"):
        fn(alpha.float(), beta)
    with pytest.raises(TypeError, match="h0 must have the dtype and device of alpha"):
        fn(alpha, beta, h0.float())


@pytest.mark.parametrize("fn", ALL)
def test_refuses_a_wrong_h0(fn):
    alpha, beta, h0 = pairs(4)
    with pytest.raises(ValueError, match=r"h0 must have shape \(3, 5\), got \(5, 3\)"):
        fn(alpha, beta, h0.t())
    with pytest.raises(ValueError, match=r"h0 must have shape \(3, 5\), got \(3, 4, 5\)"):
        fn(alpha, beta, alpha)                                         # a sequence passed as the start state


@pytest.mark.parametrize("fn", ALL)
def test_refuses_non_finite_and_empty(fn):
    alpha, beta, h0 = pairs(4)
    bad = beta.clone()
    bad[0, 1, 2] = float("nan")
    with pytest.raises(ValueError, match="beta must hold finite numbers, got NaN or inf"):
        fn(alpha, bad)
    h0 = h0.clone()
    h0[0, 0] = float("inf")
    with pytest.raises(ValueError, match="h0 must hold finite numbers"):
        fn(alpha, beta, h0)
    with pytest.raises(ValueError, match="alpha must hold at least one time step"):
        fn(alpha[:, :0], beta[:, :0])


def test_combine_refuses_bad_pairs():
    x = torch.ones(3)
    with pytest.raises(TypeError, match="left must be a pair"):
        combine(x, (x, x))
    with pytest.raises(TypeError, match="right must be a pair .* of length 3"):
        combine((x, x), (x, x, x))
    with pytest.raises(ValueError, match="one shape"):
        combine((x, x), (torch.ones(4), torch.ones(4)))


def test_log_space_refuses_values_that_are_not_logs():
    alpha, beta, h0 = positive_pairs(4)
    with pytest.raises(ValueError, match="log_alpha must be <= 0 .* pass log\\(alpha\\), not alpha"):
        scan_log_space(alpha + 0.5, beta.log(), h0)                 # alpha itself, some entries above 1
    with pytest.raises(ValueError, match="log_beta holds NaN: pass the log of a positive number"):
        scan_log_space(alpha.log(), torch.log(beta - 1.0), h0)       # the log of a negative value
    with pytest.raises(ValueError, match="log_alpha must hold finite numbers, got inf: log\\(0\\)"):
        scan_log_space(torch.log(alpha * 0), beta.log(), h0)         # alpha = 0
    big = beta.log().clone()
    big[0, 0, 0] = float("inf")
    with pytest.raises(ValueError, match="log_beta must hold finite numbers, got inf"):
        scan_log_space(alpha.log(), big, h0)


def test_log_space_refuses_a_non_positive_h0_and_bad_shapes():
    alpha, beta, h0 = positive_pairs(4)
    with pytest.raises(ValueError, match="h0 must be positive in the log space"):
        scan_log_space(alpha.log(), beta.log(), -h0)
    with pytest.raises(ValueError, match="h0 must be positive in the log space"):
        scan_log_space(alpha.log(), beta.log(), torch.zeros_like(h0))
    with pytest.raises(ValueError, match=r"log_alpha and log_beta must have the same shape"):
        scan_log_space(alpha.log(), beta.log()[:, :2])
    with pytest.raises(TypeError, match="log_alpha must hold floating-point numbers"):
        scan_log_space(torch.zeros(B, 4, J, dtype=torch.long), beta.log())


@pytest.mark.parametrize("T", [0, -3, 2.0, True, "8"])
def test_scan_rounds_refuses_non_positive_integers(T):
    with pytest.raises(ValueError, match="T must be a positive integer"):
        scan_rounds(T)
