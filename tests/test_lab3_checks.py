"""Lab 3's checks: solutions pass, stubs read "not attempted", typical mistakes are named."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from utils import cells, gradients, training
from utils.checks import lab3
from utils.checks.lab3 import CHECKS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "labs" / "lab03_watching_gradients_vanish.ipynb"
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).parent))
from lab_files import load_lab  # noqa: E402
from wrong_answers.lab3 import WRONG_ANSWERS  # noqa: E402


LAB = load_lab(3)
SOLUTIONS = LAB.solutions


def notebook_stubs() -> dict:
    """The exercise functions exactly as the committed notebook defines them."""
    return LAB.stubs


def test_every_exercise_has_a_check_a_solution_and_a_stub():
    assert set(CHECKS) == {"clip_by_value", "clip_by_norm", "hidden_gradient_norms",
                           "decay_factor", "train_recall"}
    assert all(callable(getattr(SOLUTIONS, name, None)) for name in CHECKS)
    assert set(notebook_stubs()) == set(CHECKS)


# Other correct ways to write the exercises: the checks must accept them all.
def value_with_where(grads, max_value):
    return [np.where(g > max_value, max_value, np.where(g < -max_value, -max_value, g))
            for g in grads]


def norm_flattened_then_split(grads, max_norm):
    flat = np.concatenate([g.ravel() for g in grads])
    norm = np.linalg.norm(flat)
    if norm > max_norm:
        flat = flat * (max_norm / norm)
    else:
        flat = flat.copy()
    out, start = [], 0
    for g in grads:
        out.append(flat[start:start + g.size].reshape(g.shape))
        start += g.size
    return out


def norms_with_autograd_grad(cell, xs):
    state, hs = cell.init_state(xs.shape[0], xs.device, xs.dtype), []
    for t in range(xs.shape[1]):
        state = cell.step(xs[:, t], state)
        hs.append(cell.hidden(state))
    readout = torch.ones(cell.hidden_size, dtype=xs.dtype) / cell.hidden_size ** 0.5
    grads = torch.autograd.grad((hs[-1] @ readout).sum(), hs)
    return torch.stack([g.norm(dim=1).mean() for g in grads]).detach().numpy()


def norms_with_hooks(cell, xs):
    state, found = cell.init_state(xs.shape[0], xs.device, xs.dtype), {}
    T = xs.shape[1]
    for t in range(T):
        state = cell.step(xs[:, t], state)
        h = cell.hidden(state)
        h.register_hook(lambda g, t=t: found.__setitem__(t, g))
    (h * torch.ones_like(h) / cell.hidden_size ** 0.5).sum().backward()
    return np.array([float(found[t].pow(2).sum(1).sqrt().mean()) for t in range(T)])


def decay_with_lstsq(norms):
    norms = np.asarray(norms, dtype=float)[:-1]
    d = np.arange(len(norms), 0, -1)                  # distances T-1 .. 1
    A = np.stack([d, np.ones_like(d)], axis=1).astype(float)
    (slope, _), *_ = np.linalg.lstsq(A, np.log(norms), rcond=None)
    return np.exp(slope)


def decay_skipping_non_positive(norms):
    return gradients.fit_decay_rate(norms)


def train_with_torch_clipping(model, task, distance, steps, clip, lr, generator):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        ids, labels = task.sample(32, distance, generator)
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(ids), labels)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        losses.append(float(loss))
    return np.array(losses)


def train_with_course_clipping(model, task, distance, steps, clip, lr, generator):
    optimizer = torch.optim.SGD(model.parameters(), lr)
    losses = []
    for step in range(steps):
        ids, labels = task.sample(32, distance, generator=generator)
        loss = torch.nn.functional.cross_entropy(model(ids), labels)
        model.zero_grad()
        loss.backward()
        if clip is not None:
            training.clip_by_norm(model.parameters(), clip)
        optimizer.step()
        losses.append(loss.item())
    return losses


OTHER_RIGHT_ANSWERS = [
    ("clip_by_value", value_with_where), ("clip_by_norm", norm_flattened_then_split),
    ("hidden_gradient_norms", norms_with_autograd_grad),
    ("hidden_gradient_norms", norms_with_hooks),
    ("decay_factor", decay_with_lstsq), ("decay_factor", decay_skipping_non_positive),
    ("train_recall", train_with_torch_clipping), ("train_recall", train_with_course_clipping),
]


@pytest.mark.parametrize("name, answer", OTHER_RIGHT_ANSWERS,
                         ids=[fn.__name__ for _, fn in OTHER_RIGHT_ANSWERS])
def test_other_correct_answers_pass(name, answer):
    result = CHECKS[name](answer)
    assert result.passed, result.message


@pytest.mark.parametrize("name", [n for n in CHECKS if CHECKS[n].mistakes])
def test_every_known_mistake_is_rejected_and_named(name):
    check = CHECKS[name]
    for mistake in check.mistakes:
        result = check(mistake.variant)
        assert not result.passed, mistake.description
        assert mistake.description in result.message, result.message


@pytest.mark.parametrize("name", CHECKS)
def test_messages_never_blame_the_course(name):
    for answer in (None, 3, lambda: None, lambda *args: None, lambda *args: args,
                   lambda *args: 1 / 0, lambda *args: [np.zeros(2)], lambda *args: np.zeros(3),
                   lambda *args: 0.5, print):
        result = CHECKS[name](answer)
        assert not result.passed and "bug in the course" not in result.message, result.message


@pytest.mark.parametrize("name", CHECKS)
def test_checks_are_deterministic(name):
    CHECKS[name](getattr(SOLUTIONS, name))                 # warm up (lazy imports in torch)
    first = CHECKS[name](getattr(SOLUTIONS, name))
    wrong = [fn for exercise, fn, _ in WRONG_ANSWERS if exercise == name][0]
    assert CHECKS[name](wrong).message == CHECKS[name](wrong).message
    assert first.message == CHECKS[name](getattr(SOLUTIONS, name)).message


@pytest.mark.parametrize("name", CHECKS)
def test_checks_leave_the_global_torch_generator_alone(name):
    """A check run must not change what the notebook's next random draw gives."""
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    for answer in (getattr(SOLUTIONS, name), WRONG_ANSWERS[0][1]):
        CHECKS[name](answer)
    assert torch.equal(torch.rand(3), expected)


# --- the cases --------------------------------------------------------------------------------
def test_reference_clipping_agrees_with_utils_training():
    """The numpy references give what utils.training's in-place torch clipping gives."""
    for check, clip in ((lab3.check_clip_by_norm, training.clip_by_norm),
                        (lab3.check_clip_by_value, training.clip_by_value)):
        for case in check.make_cases(np.random.default_rng(0)):
            grads, limit = case.args.values()
            params = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
            for p, g in zip(params, grads):
                p.grad = torch.from_numpy(g.copy())
            clip(params, limit)
            for p, ours in zip(params, check.reference(grads, limit)):
                np.testing.assert_allclose(p.grad.numpy(), ours, rtol=1e-12)


def test_clip_cases_expose_every_mistake():
    value_cases = lab3.check_clip_by_value.make_cases(np.random.default_rng(0))
    first = value_cases[0]
    flat = np.concatenate([g.ravel() for g in first.args["grads"]])
    m = first.args["max_value"]
    assert (flat > m).any() and (flat < -m).any() and (np.abs(flat) < m).any()
    assert len({g.shape for g in first.args["grads"]}) == len(first.args["grads"]) > 1
    norm_cases = lab3.check_clip_by_norm.make_cases(np.random.default_rng(0))
    kinds = set()
    for case in norm_cases:
        grads, m = case.args["grads"], case.args["max_norm"]
        total, each = lab3.global_norm(grads), [np.linalg.norm(g) for g in grads]
        kinds.add("small" if total < m else "large")
        if total > m and max(each) < m:
            kinds.add("each small, together large")
        if total > m and each[0] < m:
            kinds.add("small first array")
        assert m != 1.0                                  # g / norm would have norm max_norm
    assert kinds == {"small", "large", "each small, together large", "small first array"}


def test_cell_cases_cover_batch_lstm_and_non_square():
    cases = lab3.check_hidden_gradient_norms.make_cases(np.random.default_rng(0))
    first = cases[0]
    assert len(set(first.sizes.values())) == 4 and first.sizes["B"] > 1
    assert any(isinstance(c.args["cell"], cells.LSTMCell) for c in cases)
    assert any(c.sizes["T"] == 1 for c in cases)
    for case in cases:
        assert case.args["xs"].dtype == torch.float64
        assert all(p.dtype == torch.float64 for p in case.args["cell"].parameters())
        xs = case.args["xs"]
        if xs.shape[0] > 1:                                # the examples differ
            assert not torch.allclose(xs[0], xs[1])


def test_decay_cases_are_positive_and_the_last_step_matters():
    for case in lab3.check_decay_factor.make_cases(np.random.default_rng(0)):
        norms = case.args["norms"]
        assert np.all(norms > 0) and np.all(np.isfinite(norms))
    first = lab3.check_decay_factor.make_cases(np.random.default_rng(0))[0].args["norms"]
    assert not np.isclose(gradients.fit_decay_rate(first, skip_last=0),
                          gradients.fit_decay_rate(first, skip_last=1), rtol=1e-3)


# --- what the training loop does ------------------------------------------------------------
def train_zero_grad_at_the_end(model, task, distance, steps, clip, lr, generator):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    model.train()
    losses = []
    for _ in range(steps):
        ids, labels = task.sample(n=32, distance=distance, generator=generator)
        loss = torch.nn.functional.cross_entropy(model(ids), labels)
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=False)
        losses.append(loss.item())
    return losses


def train_with_an_evaluation_inside(model, task, distance, steps, clip, lr, generator):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        model.train()
        ids, labels = task.sample(32, distance, generator)
        loss = torch.nn.functional.cross_entropy(model(ids), labels)
        optimizer.zero_grad()
        loss.backward()
        if clip is not None:
            training.clip_by_norm(model.parameters(), clip)
        optimizer.step()
        losses.append(loss.item())
        if step % 3 == 0:                     # a look at fresh sequences, without gradients
            model.eval()
            with torch.no_grad():
                model(task.sample(8, distance)[0])
    return losses


@pytest.mark.parametrize("answer", [train_zero_grad_at_the_end, train_with_an_evaluation_inside])
def test_other_correct_training_loops_pass(answer):
    result = CHECKS["train_recall"](answer)
    assert result.passed, result.message


def test_the_loop_is_checked_before_its_loss():
    labels = [probe.label for probe in CHECKS["train_recall"].make_cases(np.random.default_rng(0))]
    assert labels[0].startswith("what the loop does")


def test_a_wrong_clip_by_norm_is_named_before_the_loop():
    from wrong_answers import lab3 as wrong
    result = CHECKS["train_recall"](wrong.train_with_a_wrong_clip_by_norm)
    assert result.message.startswith("Your `train_recall` calls your `clip_by_norm`")
    assert "What the check of `clip_by_norm` says" in result.message   # its own diagnosis
    assert "At step" not in result.message                 # no training ran
    assert CHECKS["train_recall"](wrong.train_ignores_clip).message.startswith("At step")


def test_spies_leave_the_task_and_model_as_they_were():
    model, task = lab3._probe_model(0)
    with lab3.GradientSpy(model) as spy:
        spied = lab3.TaskSpy(task, spy)
        ids, _ = spied.sample(4, 2, torch.Generator().manual_seed(0))
        model(ids)
    assert spied.vocab_size == task.vocab_size and spied.n_keys == task.n_keys
    assert [e[0] for e in spy.events] == ["sample", "forward"]
    assert not model._forward_pre_hooks


# --- edge inputs ------------------------------------------------------------------------------
def test_clip_cases_hold_zero_gradients_and_a_repeat_of_the_first_sizes():
    for check in (lab3.check_clip_by_value, lab3.check_clip_by_norm):
        cases = check.make_cases(np.random.default_rng(0))
        zero = [c for c in cases if "all-zero" in c.label]
        assert zero and all(not np.any(g) for g in zero[0].args["grads"])
        assert isinstance(list(zero[0].args.values())[1], int)
        first, last = cases[0], cases[-1]
        assert [g.shape for g in first.args["grads"]] == [g.shape for g in last.args["grads"]]
        assert not np.array_equal(first.args["grads"][0], last.args["grads"][0])


def test_every_check_needs_a_fraction_of_its_time_limit():
    """Measured with the solutions, in CPU seconds (what the limit counts)."""
    import time
    for name, check in CHECKS.items():
        check(getattr(SOLUTIONS, name))                    # warm up
        start = time.process_time()
        assert check(getattr(SOLUTIONS, name)).passed
        assert time.process_time() - start < check.time_limit_s / 5, name
