"""utils.parallel: minGRU, minLSTM, the diagonal linear unit and ParallelRNN.

What is tested: the scan view (every mode of MODES) equals the loop, in value and in
gradient (U, b, nu, h0, xs); the RNN view (``step``) equals the scan view; minGRU equals
the GRU-convention formula written by hand; the diagonal unit's eigenvalues stay in (0, 1);
ParallelRNN's state and lengths; CharLM's forward (training) equals its step (generation);
the integration with models, tasks and gradients; bad inputs.

Tolerances, on the error relative to the size of the answer, max |x - loop| / max(1, max |loop|):
  float64: 1e-12 for values and gradients (measured: scans ~3e-16, log space ~3e-15 for
  values and ~2e-14 for gradients, step by step ~3e-15);
  float32: 1e-5 for values (measured: scans ~2e-7, log space and step by step ~1.3e-6 at T = 37).
No test depends on the speed of the machine.
"""
import math

import pytest
import torch

from utils import gradients, models, sampling, tasks
from utils.data import Vocab
from utils.parallel import (KINDS, MODES, DiagonalLinearCell, MinGRUCell, MinLSTMCell,
                            ParallelRNN, g, log_g)
from utils.recurrent import make_core, run_core
from utils.scan import linear_recurrence

B, T, D, J = 3, 37, 4, 5          # all different, so that a transposed axis cannot pass
TOL = {torch.float64: 1e-12, torch.float32: 1e-5}
CELLS = [("mingru", False), ("mingru", True), ("minlstm", False), ("minlstm", True),
         ("lru", False)]
CELL_IDS = [k + ("-log" if log else "") for k, log in CELLS]


def make(kind, log_space=False, dtype=torch.float64, seed=0, D=D, J=J):
    """A fresh cell with seeded weights, in ``dtype``; the biases moved away from 0 so that
    no gate sits at exactly 1/2."""
    torch.manual_seed(seed)
    if kind == "lru":
        cell = DiagonalLinearCell(D, J)
    else:
        cell = {"mingru": MinGRUCell, "minlstm": MinLSTMCell}[kind](D, J, log_space=log_space)
    return cell.to(dtype)


def data(dtype=torch.float64, seed=0, T=T):
    gen = torch.Generator().manual_seed(seed)
    xs = torch.randn(B, T, D, generator=gen, dtype=torch.float64)
    h0 = torch.randn(B, J, generator=gen, dtype=torch.float64)
    return xs.to(dtype), h0.to(dtype)


def modes(cell):
    return [m for m in MODES if m != "log_space" or cell.log_space]


def relative_error(got, want):
    got, want = got.detach(), want.detach()
    return float((got - want).abs().max() / max(1.0, float(want.abs().max())))


def loop_by_steps(cell, xs, h0):
    """The RNN view: cell.step at every t, carrying h."""
    h, out = h0, []
    for t in range(xs.shape[1]):
        h = cell.step(xs[:, t], h)
        out.append(h)
    return torch.stack(out, dim=1)


# --- the scan view equals the loop --------------------------------------------------------------
@pytest.mark.parametrize("kind, log_space", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("with_h0", [True, False])
def test_every_mode_equals_the_loop(kind, log_space, dtype, with_h0):
    cell = make(kind, log_space, dtype)
    xs, h0 = data(dtype)
    h0 = h0 if with_h0 else None
    want = cell(xs, h0, mode="loop")
    assert want.shape == (B, T, J) and want.dtype == dtype
    for mode in modes(cell):
        got = cell(xs, h0, mode=mode)
        assert got.shape == (B, T, J) and got.dtype == dtype
        assert relative_error(got, want) < TOL[dtype], mode


@pytest.mark.parametrize("kind, log_space", CELLS, ids=CELL_IDS)
def test_the_loop_mode_is_utils_scan_linear_recurrence(kind, log_space):
    cell = make(kind, log_space)
    xs, h0 = data()
    alpha, beta = cell.coefficients(xs)
    assert alpha.shape == beta.shape == (B, T, J)
    assert torch.equal(cell(xs, h0, mode="loop"), linear_recurrence(alpha, beta, h0))


def all_gradients(cell, xs, h0, mode, weights):
    """d(sum(weights * h))/d(U, b, [nu], h0, xs) for one mode."""
    xs, h0 = xs.clone().requires_grad_(), h0.clone().requires_grad_()
    names = ["U", "b"] + (["nu"] if hasattr(cell, "nu") else [])
    loss = (cell(xs, h0, mode=mode) * weights).sum()
    grads = torch.autograd.grad(loss, [getattr(cell, n) for n in names] + [h0, xs])
    return dict(zip(names + ["h0", "xs"], grads))


@pytest.mark.parametrize("kind, log_space", CELLS, ids=CELL_IDS)
def test_every_mode_has_the_gradients_of_the_loop(kind, log_space):
    cell = make(kind, log_space, seed=1)
    xs, h0 = data(seed=1)
    weights = torch.randn(B, T, J, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    want = all_gradients(cell, xs, h0, "loop", weights)
    for mode in modes(cell):
        got = all_gradients(cell, xs, h0, mode, weights)
        for name in want:
            assert relative_error(got[name], want[name]) < 1e-12, (mode, name)


@pytest.mark.parametrize("kind, log_space", CELLS, ids=CELL_IDS)
def test_gradcheck_of_the_default_mode(kind, log_space):
    cell = make(kind, log_space, D=2, J=2)
    xs = torch.randn(2, 5, 2, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, h: cell(x, h), (xs, h0))


# --- the RNN view equals the scan view -----------------------------------------------------------
@pytest.mark.parametrize("kind, log_space", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_step_by_step_equals_the_parallel_forward(kind, log_space, dtype):
    cell = make(kind, log_space, dtype)
    xs, h0 = data(dtype, seed=3)
    assert relative_error(loop_by_steps(cell, xs, h0), cell(xs, h0)) < TOL[dtype]
    zeros = cell.init_state(B)
    assert relative_error(loop_by_steps(cell, xs, zeros), cell(xs)) < TOL[dtype]


def test_mingru_is_the_gru_convention_by_hand():
    """Γ_u = σ(U_u x + b_u) weights the NEW candidate c̃ = U_c x + b_c."""
    cell = MinGRUCell(2, 1).double()
    with torch.no_grad():
        cell.U.copy_(torch.tensor([[0.5, -1.0], [2.0, 1.0]]))   # row 0: U_u, row 1: U_c
        cell.b.copy_(torch.tensor([0.25, -0.5]))
    xs = torch.tensor([[[1.0, 0.0], [0.0, 2.0]]], dtype=torch.float64)   # (1, 2, 2)
    c = 3.0                                                               # c_0
    want = []
    for x1, x2 in ([1.0, 0.0], [0.0, 2.0]):
        gate = 1 / (1 + math.exp(-(0.5 * x1 - 1.0 * x2 + 0.25)))
        candidate = 2.0 * x1 + 1.0 * x2 - 0.5
        c = gate * candidate + (1 - gate) * c
        want.append(c)
    h0 = torch.tensor([[3.0]], dtype=torch.float64)
    for mode in ("loop", "hillis_steele", "blelloch"):
        assert cell(xs, h0, mode).flatten().tolist() == pytest.approx(want, abs=1e-14)
    assert cell.step(xs[:, 0], h0).item() == pytest.approx(want[0], abs=1e-14)
    # the blocks are named as in the docstring
    assert torch.equal(cell.block("u", "U"), cell.U[:1]) and torch.equal(cell.block("c", "b"), cell.b[1:])


def test_minlstm_normalises_its_gates():
    cell = make("minlstm")
    xs, _ = data()
    k_f, k_i, v = cell.project(xs).chunk(3, dim=-1)
    f, i = torch.sigmoid(k_f), torch.sigmoid(k_i)
    alpha, beta = cell.coefficients(xs)
    torch.testing.assert_close(alpha, f / (f + i), rtol=1e-14, atol=1e-14)
    torch.testing.assert_close(beta, i / (f + i) * v, rtol=1e-14, atol=1e-14)


# --- the log space ---------------------------------------------------------------------------------
def test_g_is_positive_continuous_and_its_log_is_log_g():
    v = torch.linspace(-30, 30, 2001, dtype=torch.float64)
    assert bool((g(v) > 0).all())
    assert float(g(torch.tensor(0.0))) == 0.5 and float(g(torch.tensor(-1e-12))) == pytest.approx(0.5)
    torch.testing.assert_close(log_g(v), torch.log(g(v)), rtol=1e-13, atol=1e-13)
    assert torch.equal(g(torch.tensor([2.0])), torch.tensor([2.5]))


@pytest.mark.parametrize("kind", ["mingru", "minlstm"])
def test_log_coefficients_are_the_logs_of_the_coefficients(kind):
    cell = make(kind, log_space=True)
    xs, _ = data()
    alpha, beta = cell.coefficients(xs)
    log_alpha, log_beta = cell.log_coefficients(xs)
    assert bool((alpha > 0).all() and (beta > 0).all() and (log_alpha <= 0).all())
    torch.testing.assert_close(log_alpha, alpha.log(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(log_beta, beta.log(), rtol=1e-12, atol=1e-12)


def test_log_space_mingru_is_stable_over_a_long_sequence():
    """T = 2000 with the update gate open: the product of the α's underflows in float64, the
    log-space scan agrees with the loop all the same."""
    cell = make("mingru", log_space=True)
    with torch.no_grad():
        cell.block("u", "b").fill_(2.0)              # Γ_u ~ 0.88: α ~ 0.12 per step
    xs = torch.randn(1, 2000, D, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    alpha, _ = cell.coefficients(xs)
    assert float(alpha.detach().prod(dim=1).max()) == 0.0      # underflowed
    want, got = cell(xs, mode="loop"), cell(xs, mode="log_space")
    assert bool(torch.isfinite(got).all())
    assert relative_error(got, want) < 1e-11


# --- the diagonal linear unit -----------------------------------------------------------------------
def test_lru_initialises_its_eigenvalues_on_the_ring():
    torch.manual_seed(0)
    cell = DiagonalLinearCell(D, 200, r_min=0.5, r_max=0.9)
    lam = cell.eigenvalues().detach()
    assert lam.shape == (200,)
    assert float(lam.min()) >= 0.5 - 1e-6 and float(lam.max()) <= 0.9 + 1e-6
    torch.testing.assert_close(cell.input_scale().detach(), torch.sqrt(1 - lam ** 2))
    assert float(cell.U.detach().abs().max()) <= 1 / math.sqrt(D)


def test_lru_eigenvalue_is_what_it_remembers():
    """With no input, h_t = λ^t h_0: each unit forgets at the rate of its eigenvalue."""
    cell = make("lru")
    with torch.no_grad():
        cell.U.zero_()
        cell.b.zero_()
    h0 = torch.ones(1, J, dtype=torch.float64)
    hs = cell(torch.zeros(1, 10, D, dtype=torch.float64), h0)
    powers = cell.eigenvalues()[None, :] ** torch.arange(1, 11, dtype=torch.float64)[:, None]
    torch.testing.assert_close(hs[0], powers, rtol=1e-12, atol=0)


def test_lru_eigenvalues_stay_inside_after_a_large_gradient_step():
    cell = make("lru")
    xs, _ = data()
    for lr in (1e2, -1e2):                          # push ν hard both ways
        cell.zero_grad()
        cell(xs).pow(2).sum().backward()
        with torch.no_grad():
            cell.nu -= lr * cell.nu.grad.sign()
        lam = cell.eigenvalues()
        assert bool(torch.isfinite(cell.nu).all())
        assert bool(((lam >= 0) & (lam <= 1)).all())  # never outside [0, 1] ...
        assert bool(torch.isfinite(cell(xs)).all())
    with torch.no_grad():
        cell.nu.copy_(torch.linspace(-3, 1.5, J))     # ... and strictly inside for usual ν
    lam = cell.eigenvalues()
    assert bool(((lam > 0) & (lam < 1)).all())


def test_lru_input_scale_has_a_finite_gradient_where_lambda_rounds_to_one():
    cell = make("lru")
    with torch.no_grad():
        cell.nu.fill_(-50.0)                       # λ = exp(-exp(-50)) = 1.0 in float64
    assert bool((cell.eigenvalues() == 1.0).all())
    cell.input_scale().sum().backward()
    assert bool(torch.isfinite(cell.nu.grad).all()) and bool((cell.input_scale() > 0).all())


def test_lru_gradient_norm_against_distance_is_lambda_to_the_k():
    """gradients.gradient_norms_over_time works for the new cells: for the diagonal unit the
    gradient k steps back is readout ⊙ λ^k exactly (the Jacobian is diag(λ))."""
    cell = make("lru")
    xs, _ = data()
    norms = gradients.gradient_norms_over_time(cell, xs)
    readout = torch.ones(J, dtype=torch.float64) / J ** 0.5
    lam = cell.eigenvalues().detach()
    want = [float((readout * lam ** k).norm()) for k in range(T - 1, -1, -1)]
    assert norms == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("kind", ["mingru", "minlstm"])
def test_gradient_norms_over_time_accepts_the_gated_parallel_cells(kind):
    norms = gradients.gradient_norms_over_time(make(kind), data()[0])
    assert norms.shape == (T,) and bool((norms > 0).all())
    assert gradients.state_sensitivity(make(kind), data()[0]).shape == (T,)


# --- ParallelRNN -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_parallel_rnn_forward_equals_its_steps(kind):
    torch.manual_seed(0)
    core = ParallelRNN(kind, D, J, num_layers=3).double()
    xs, _ = data()
    state = torch.randn(3, B, J, dtype=torch.float64)
    hs, final = core(xs, state)
    assert hs.shape == (B, T, J) and final.shape == (3, B, J)
    s, outs = state, []
    for t in range(T):
        h, s = core.step(xs[:, t], s)
        outs.append(h)
    assert relative_error(torch.stack(outs, 1), hs) < 1e-12
    assert relative_error(s, final) < 1e-12
    assert torch.equal(final[-1], hs[:, -1])


@pytest.mark.parametrize("mode", MODES)
def test_parallel_rnn_modes_agree_and_chunks_carry_the_state(mode):
    torch.manual_seed(1)
    core = ParallelRNN("mingru", D, J, num_layers=2, mode=mode, log_space=True).double()
    xs, _ = data()
    hs, final = core(xs)
    first, mid = core(xs[:, :10])
    rest, end = core(xs[:, 10:], mid)                # the state carries over: no re-reading
    assert relative_error(torch.cat([first, rest], 1), hs) < 1e-12
    assert relative_error(end, final) < 1e-12
    core.mode = "loop"
    assert relative_error(core(xs)[0], hs) < 1e-12


@pytest.mark.parametrize("kind", KINDS)
def test_parallel_rnn_lengths(kind):
    """Each sequence's state is taken at its own last real step; padded outputs are zero; a
    padded sequence gives what it gives alone."""
    torch.manual_seed(2)
    core = ParallelRNN(kind, D, J, num_layers=2).double()
    xs, _ = data()
    lengths = torch.tensor([T, 5, 1])
    hs, final = core(xs, lengths=lengths)
    for i, n in enumerate(lengths.tolist()):
        alone, alone_final = core(xs[i:i + 1, :n])
        assert relative_error(hs[i:i + 1, :n], alone) < 1e-12
        assert relative_error(final[:, i:i + 1], alone_final) < 1e-12
        assert bool((hs[i, n:] == 0).all())
    same, _ = run_core(core, xs, None, lengths)
    assert torch.equal(same, hs)


def test_parallel_rnn_log_space_accepts_a_zero_or_negative_state():
    torch.manual_seed(3)
    core = ParallelRNN("minlstm", D, J, num_layers=2, log_space=True).double()
    xs, _ = data()
    for state in (core.init_state(B), -torch.rand(2, B, J, dtype=torch.float64)):
        want, want_final = ParallelRNN.forward(_with_mode(core, "loop"), xs, state)
        got, got_final = _with_mode(core, "log_space")(xs, state)
        assert relative_error(got, want) < 1e-12 and relative_error(got_final, want_final) < 1e-12


def _with_mode(core, mode):
    core.mode = mode
    return core


def test_parallel_rnn_float32_and_layers():
    torch.manual_seed(4)
    core = ParallelRNN("lru", D, J, num_layers=2)
    xs, _ = data(torch.float32)
    hs, final = core(xs)
    assert hs.dtype == torch.float32 and final.dtype == torch.float32
    assert [c.input_size for c in core.cells()] == [D, J]
    assert core.init_state(B).shape == (2, B, J)


# --- models, tasks ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_charlm_training_logits_equal_generation_logits(kind):
    """Train in parallel, generate as an RNN: the same numbers."""
    torch.manual_seed(5)
    model = models.CharLM(9, 8, cell=kind, num_layers=2).double()
    assert isinstance(model.core, ParallelRNN)
    idx = torch.randint(0, 9, (B, 12))
    logits, final = model(idx)
    state, steps = None, []
    for t in range(12):
        out, state = model.step(idx[:, t], state)
        steps.append(out)
    assert relative_error(torch.stack(steps, 1), logits) < 1e-12
    assert relative_error(state, final) < 1e-12


def test_charlm_step_never_rereads_the_prefix(monkeypatch):
    """step runs core.step (one token, the carried state), never the core's forward."""
    model = models.CharLM(9, 8, cell="mingru")
    def refuse(*args, **kwargs):
        raise AssertionError("step re-ran the sequence forward")
    monkeypatch.setattr(model.core, "forward", refuse)
    state = None
    for t in range(3):
        _, state = model.step(torch.tensor([1, 2]), state)
    assert state.shape == (1, 2, 8)


def test_charlm_with_a_parallel_core_samples():
    vocab = Vocab(list("abc"))
    torch.manual_seed(6)
    model = models.CharLM(len(vocab), 8, cell="minlstm")
    names = sampling.sample(model, vocab, n=3, max_len=5)
    assert len(names) == 3


@pytest.mark.parametrize("kind", KINDS)
def test_classifier_and_tagger_take_the_parallel_kinds(kind):
    idx = torch.randint(0, 9, (B, 6))
    classifier = models.SequenceClassifier(9, 3, 8, cell=kind, backend="scratch")
    assert classifier(idx).shape == (B, 3)
    assert classifier(idx, lengths=torch.tensor([6, 2, 1])).shape == (B, 3)
    assert models.SequenceTagger(9, 3, 8, cell=kind, backend="scratch")(idx).shape == (B, 6, 3)


@pytest.mark.parametrize("kind", KINDS)
def test_the_torch_backend_has_no_parallel_cells(kind):
    with pytest.raises(ValueError, match=f"torch.nn has no '{kind}' module: use backend='scratch'"):
        models.CharLM(9, cell=kind, backend="torch")
    with pytest.raises(ValueError, match=f"torch.nn has no '{kind}' module"):
        models.SequenceClassifier(9, 3, cell=kind)          # its default backend is "torch"
    with pytest.raises(ValueError, match="runs in one direction"):
        models.SequenceTagger(9, 3, cell=kind, backend="scratch", bidirectional=True)
    with pytest.raises(ValueError, match="has no residual connections"):
        make_core(kind, D, J, num_layers=2, backend="scratch", residual=True)


@pytest.mark.parametrize("kind", KINDS)
def test_train_recall_trains_the_parallel_kinds(kind):
    model, history = tasks.train_recall(kind, distance=3, steps=3, hidden_size=8)
    assert isinstance(model.core, ParallelRNN) and model.core.kind == kind
    assert model.backend == "scratch"
    sweep = tasks.accuracy_vs_distance(kind, [2], steps=2, n_test=10, hidden_size=8)
    assert sweep["accuracy"].shape == (1, 1)


@pytest.mark.parametrize("kind, gate", [("mingru", "u"), ("minlstm", "f")])
def test_gate_bias_sets_the_keep_gate_of_the_parallel_cells(kind, gate):
    torch.manual_seed(7)
    model = models.SequenceClassifier(9, 3, 5, cell=kind, backend="scratch", num_layers=2)
    before = [c.b.detach().clone() for c in model.core.cells()]
    tasks.gate_bias(kind, -2.0)(model)
    for cell, old in zip(model.core.cells(), before):
        assert bool((cell.block(gate, "b") == -2.0).all())
        k = cell.gate_names.index(gate)
        rest = torch.ones(cell.b.shape[0], dtype=torch.bool)
        rest[k * 5:(k + 1) * 5] = False
        assert torch.equal(cell.b.detach()[rest], old[rest])


def test_gate_bias_refuses_the_lru_and_a_wrong_core():
    with pytest.raises(ValueError, match="nothing to set for 'lru'.*no gate"):
        tasks.gate_bias("lru", 1.0)
    model = models.SequenceClassifier(9, 3, 5, cell="minlstm", backend="scratch")
    with pytest.raises(TypeError, match="ParallelRNN of kind 'mingru'.*got ParallelRNN of kind 'minlstm'"):
        tasks.gate_bias("mingru", -1.0)(model)


# --- devices ------------------------------------------------------------------------------------------
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("kind, log_space", CELLS, ids=CELL_IDS)
def test_cells_run_on_cuda(kind, log_space):
    cell = make(kind, log_space)
    xs, h0 = data()
    want = cell(xs, h0, mode="loop")
    cell = cell.cuda()
    for mode in modes(cell):
        got = cell(xs.cuda(), h0.cuda(), mode=mode)
        assert got.device.type == "cuda" and relative_error(got.cpu(), want) < 1e-12


# --- bad inputs ---------------------------------------------------------------------------------------
def test_cells_refuse_bad_sizes_and_flags():
    with pytest.raises(ValueError, match="input_size must be a positive integer, got 0"):
        MinGRUCell(0, J)
    with pytest.raises(TypeError, match="log_space must be True or False, got 1"):
        MinLSTMCell(D, J, log_space=1)
    with pytest.raises(ValueError, match="r_max must be a number strictly between 0 and 1.*got 1.0"):
        DiagonalLinearCell(D, J, r_max=1.0)
    with pytest.raises(ValueError, match="r_min must be at most r_max"):
        DiagonalLinearCell(D, J, r_min=0.9, r_max=0.5)
    with pytest.raises(ValueError, match="would hold about .* weights"):
        MinGRUCell(10**5, 10**4)


def test_cells_refuse_bad_sequences():
    cell = make("mingru")
    xs, h0 = data()
    with pytest.raises(ValueError, match=r"xs must have shape \(\*, \*, 4\), got \(3, 37\)"):
        cell(xs[:, :, 0])
    with pytest.raises(ValueError, match="at least one sequence of at least one step"):
        cell(xs[:, :0])
    with pytest.raises(TypeError, match="xs is torch.float32 on cpu but the cell's weights are torch.float64"):
        cell(xs.float())
    with pytest.raises(ValueError, match=r"h0 must have shape \(3, 5\), got \(5, 3\)"):
        cell(xs, h0.t())
    with pytest.raises(ValueError, match="mode must be one of 'loop', 'hillis_steele', 'blelloch', "
                                         "'log_space', got 'fast'"):
        cell(xs, mode="fast")
    with pytest.raises(ValueError, match="mode 'log_space' needs a cell built with log_space=True"):
        cell(xs, mode="log_space")
    with pytest.raises(ValueError, match="log_coefficients needs a cell built with log_space=True"):
        cell.log_coefficients(xs)
    bad = xs.clone()
    bad[0, 3, 1] = float("nan")
    with pytest.raises(ValueError, match="xs must hold finite numbers, got NaN or inf"):
        cell(bad)
    with pytest.raises(ValueError, match="xs must hold finite numbers"):
        make("mingru", log_space=True)(bad)            # not "log_alpha holds NaN"


def test_step_refuses_bad_states():
    cell = make("minlstm")
    xs, h0 = data()
    with pytest.raises(ValueError, match=r"h_prev must have shape \(3, 5\)"):
        cell.step(xs[:, 0], h0[:2])
    with pytest.raises(ValueError, match=r"x_t must have shape \(\*, 4\), got \(3, 37, 4\)"):
        cell.step(xs, h0)
    with pytest.raises(TypeError, match="h_prev must be a torch.Tensor, got tuple"):
        cell.step(xs[:, 0], (h0, h0))


def test_parallel_rnn_refuses_bad_arguments():
    with pytest.raises(ValueError, match="kind must be one of 'mingru', 'minlstm', 'lru', got 'gru'"):
        ParallelRNN("gru", D, J)
    with pytest.raises(ValueError, match="no log-space form"):
        ParallelRNN("lru", D, J, log_space=True)
    with pytest.raises(ValueError, match="mode 'log_space' needs log_space=True"):
        ParallelRNN("mingru", D, J, mode="log_space")
    with pytest.raises(ValueError, match="num_layers must be a positive integer"):
        ParallelRNN("mingru", D, J, num_layers=0)
    core = ParallelRNN("mingru", D, J, num_layers=2).double()
    xs, h0 = data()
    with pytest.raises(ValueError, match=r"state must have shape \(2, 3, 5\), got \(3, 5\)"):
        core(xs, h0)
    with pytest.raises(ValueError, match="every length must lie between 1 and the padded length"):
        core(xs, lengths=torch.tensor([0, 1, 2]))
    with pytest.raises(TypeError, match="lengths must hold integers"):
        core(xs, lengths=torch.ones(B))
    with pytest.raises(ValueError, match=r"x_t must have shape \(\*, 4\)"):
        core.step(xs, None)
