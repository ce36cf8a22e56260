"""utils.stacking: any order of computation that respects the dependencies gives the same
numbers (float64), residual connections and the gradient through depth, and the errors say
what is wrong. (The ResidualStack itself is tested in test_utils_models.py.)"""
import numpy as np
import pytest
import torch
from torch import nn

from utils import seed_everything
from utils.cells import CELLS
from utils.recurrent import RecurrentNet, ResidualStack
from utils.stacking import (ORDERS, check_schedule, layer_gradient_norms, order_grid, residual_add,
                            run_in_order, schedule, wavefront)

from core_helpers import B, D, J, KINDS, T, TOL, assert_same, random_state, xs  # noqa: E402

TORCH = {kind: CELLS[kind].torch_class for kind in KINDS}


@pytest.fixture(autouse=True)
def _seed():
    seed_everything(0)



# --- schedules -------------------------------------------------------------------------------
def test_schedules_list_every_cell_once_in_the_expected_order():
    assert schedule(2, 3, "layer") == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert schedule(2, 3, "time") == [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (1, 2)]
    assert schedule(2, 3, "diagonal") == [(0, 0), (0, 1), (1, 0), (0, 2), (1, 1), (1, 2)]
    for order in ORDERS:
        for L, steps in [(1, 1), (3, 2), (2, 5), (4, 4)]:
            cells = schedule(L, steps, order)
            assert sorted(cells) == [(l, t) for l in range(L) for t in range(steps)]
            check_schedule(cells, L, steps)      # respects the dependencies


def test_diagonal_order_computes_cells_wave_by_wave():
    waves = [l + t for l, t in schedule(3, 5, "diagonal")]
    assert waves == sorted(waves)


def test_order_grid_numbers_cells_from_one():
    grid = order_grid(2, 3, "time")
    np.testing.assert_array_equal(grid, [[1, 3, 5], [2, 4, 6]])
    assert sorted(order_grid(3, 4, "diagonal").ravel()) == list(range(1, 13))


@pytest.mark.parametrize("cells, words", [
    ([(1, 0), (0, 0), (0, 1), (1, 1)], "needs its input"),
    ([(0, 1), (0, 0), (1, 0), (1, 1)], "needs its previous state"),
    ([(0, 0), (0, 0), (0, 1), (1, 0), (1, 1)], "twice"),
    ([(0, 0), (0, 1), (1, 0)], "3 of the 4"),
    ([(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)], "outside"),
])
def test_bad_schedules_are_named(cells, words):
    with pytest.raises(ValueError, match=words):
        check_schedule(cells, 2, 2)


def test_unknown_order_is_rejected():
    with pytest.raises(ValueError, match="order must be one of"):
        schedule(2, 3, "zigzag")
    net = RecurrentNet("rnn", D, J, num_layers=2).double()
    with pytest.raises(ValueError, match="order must be one of"):
        run_in_order(net, xs(), "zigzag")
    with pytest.raises(TypeError, match="list of \\(layer, step\\) pairs, got int"):
        run_in_order(net, xs(), 3)
    with pytest.raises(TypeError, match="must be a \\(layer, step\\) pair"):
        run_in_order(net, xs(), [(0, 0, 1)])


# --- every order computes the same ------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("order", ORDERS)
def test_every_order_equals_layer_by_layer(kind, residual, order):
    net = RecurrentNet(kind, D, J, num_layers=3, residual=residual).double()
    inputs, h0 = xs(), random_state(kind, 3)
    assert_same(run_in_order(net, inputs, order, h0), net(inputs, h0))


@pytest.mark.parametrize("kind", KINDS)
def test_wavefront_equals_the_network_and_torch(kind):
    module = TORCH[kind](D, J, num_layers=4, batch_first=True).double()
    net = RecurrentNet.from_torch(module)
    inputs = xs()
    ours = wavefront(net, inputs)
    assert_same(ours, net(inputs))
    assert_same(ours, module(inputs))


def test_a_custom_valid_schedule_also_gives_the_same_result():
    net = RecurrentNet("gru", D, J, num_layers=2).double()
    inputs = xs(steps=3)
    # layer 0 runs two steps ahead of layer 1: another valid order
    cells = [(0, 0), (0, 1), (1, 0), (0, 2), (1, 1), (1, 2)]
    assert_same(run_in_order(net, inputs, cells), net(inputs))


def test_wavefront_rejects_bidirectional_and_bad_input():
    bi = RecurrentNet("lstm", D, J, num_layers=2, bidirectional=True).double()
    with pytest.raises(ValueError, match="bidirectional stack can only run layer by layer"):
        wavefront(bi, xs())
    net = RecurrentNet("lstm", D, J, num_layers=2).double()
    with pytest.raises(ValueError, match=r"xs must have shape \(\*, \*, 5\)"):
        wavefront(net, xs(size=D + 1))
    with pytest.raises(TypeError, match="RecurrentNet"):
        wavefront(nn.LSTM(D, J, batch_first=True), xs())


# --- residual connections -----------------------------------------------------------------------
def test_residual_add_adds_and_names_a_size_mismatch():
    a, b = xs(size=J), xs(size=J)
    torch.testing.assert_close(residual_add(a, b), a + b)
    with pytest.raises(ValueError, match=r"shapes must match: input \(3, 6, 5\), output \(3, 6, 7\)"):
        residual_add(xs(size=D), xs(size=J))
    with pytest.raises(ValueError, match="must be 3-D"):
        residual_add(a[0], b[0])


# --- gradients through depth -------------------------------------------------------------------
def test_layer_gradient_norms_match_autograd_and_show_the_residual_path():
    plain = ResidualStack("lstm", D, J, num_layers=6).double()
    residual = ResidualStack.from_torch(nn.LSTM(D, J, 6, batch_first=True).double(), residual=True)
    inputs = xs(batch=4)
    g_plain = layer_gradient_norms(plain, inputs, seed=1)
    assert g_plain.shape == (6, T) and np.all(np.isfinite(g_plain))
    # row 0 is the gradient at the input, as autograd gives it directly
    readout = torch.randn(J, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    readout = readout / readout.norm()
    x = inputs.clone().requires_grad_()
    (plain(x)[0][:, -1] @ readout).sum().backward()
    np.testing.assert_allclose(g_plain[0], x.grad.norm(dim=-1).mean(0).numpy(), rtol=1e-10)
    # through a plain stack the gradient shrinks layer after layer; the shortcut keeps it
    g_res = layer_gradient_norms(residual, inputs, seed=1)
    assert np.all(np.diff(g_plain[:, -1]) > 0)
    assert g_res[1, -1] > 100 * g_plain[1, -1]


def test_layer_gradient_norms_errors():
    stack = ResidualStack("gru", D, J, num_layers=2).double()
    with pytest.raises(TypeError, match="ResidualStack"):
        layer_gradient_norms(nn.GRU(D, J, batch_first=True), xs())
    with pytest.raises(ValueError, match="readout must have shape"):
        layer_gradient_norms(stack, xs(), readout=torch.ones(J + 1, dtype=torch.float64))


# --- bad input: a clear error instead of a wrong answer or a hang ---------------------------------
@pytest.mark.parametrize("cells", [[(0.5, 0), (0, 1), (1, 0), (1, 1)], [(True, 0)], [("0", 0)]])
def test_schedule_entries_must_be_integers(cells):
    # before: (0.5, 0) was silently read as (0, 0)
    with pytest.raises(TypeError, match="pair of integers"):
        check_schedule(cells, 2, 2)


@pytest.mark.parametrize("call", [lambda: schedule(10**5, 10**5), lambda: order_grid(10**4, 10**4),
                                  lambda: check_schedule([], 10**6, 10**6)])
def test_absurd_stack_sizes_fail_fast(call):
    with pytest.raises(ValueError, match="at most 1,000,000 cells"):
        call()


@pytest.mark.parametrize("args", [(0, 2), (2, -1), (2.0, 2), (True, 2)])
def test_check_schedule_validates_the_stack_size(args):
    with pytest.raises(ValueError, match="positive integer"):
        check_schedule([(0, 0)], *args)


@pytest.mark.parametrize("make, pattern", [
    (lambda s: dict(xs=xs(batch=0)), "at least one sequence"),
    (lambda s: dict(xs=xs(steps=0)), "at least one sequence"),
    (lambda s: dict(xs=xs().index_fill(1, torch.tensor([2]), float("nan"))), "must be finite"),
    (lambda s: dict(readout=torch.zeros(J, dtype=torch.float64)), "not all zero"),
    (lambda s: dict(readout=torch.full((J,), float("nan"), dtype=torch.float64)), "finite"),
    (lambda s: dict(seed=-1), "seed must be a non-negative integer"),
    (lambda s: dict(seed=1.5), "seed must be a non-negative integer"),
])
def test_layer_gradient_norms_bad_input(make, pattern):
    stack = ResidualStack("gru", D, J, num_layers=2).double()
    kwargs = dict(xs=xs())
    kwargs.update(make(stack))
    with pytest.raises(ValueError, match=pattern):
        layer_gradient_norms(stack, **kwargs)


def test_layer_gradient_norms_accepts_a_float32_readout_for_a_float64_stack():
    stack = ResidualStack("gru", D, J, num_layers=2).double()
    readout, inputs = torch.ones(J) / J ** 0.5, xs()
    got = layer_gradient_norms(stack, inputs, readout=readout)
    again = layer_gradient_norms(stack, inputs, readout=readout.double())
    np.testing.assert_allclose(got, again, rtol=1e-6)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_layer_gradient_norms_on_cuda_match_the_cpu():
    stack = ResidualStack("lstm", D, J, num_layers=3, residual=True).double()
    inputs = xs()
    expected = layer_gradient_norms(stack, inputs, seed=2)
    # the readout is drawn on the CPU and the inputs stay there: both must follow the stack
    got = layer_gradient_norms(stack.cuda(), inputs, seed=2)
    np.testing.assert_allclose(got, expected, rtol=1e-8)
    got = layer_gradient_norms(stack, inputs.cuda(), readout=None, seed=2)
    np.testing.assert_allclose(got, expected, rtol=1e-8)
