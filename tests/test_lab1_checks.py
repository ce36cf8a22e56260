"""Lab 1's checks: solutions pass, stubs read "not attempted", typical mistakes are named."""
import sys
from pathlib import Path

import numpy as np
import pytest

from utils import numpy_rnn
from utils.checks import edges, lab1
from utils.checks.lab1 import CHECKS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "labs" / "lab01_rnn_from_scratch.ipynb"
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).parent))
from lab_files import load_lab  # noqa: E402
from wrong_answers.lab1 import WRONG_ANSWERS  # noqa: E402


LAB = load_lab(1)
SOLUTIONS = LAB.solutions


def notebook_stubs() -> dict:
    """The exercise functions exactly as the committed notebook defines them."""
    return LAB.stubs


def test_every_exercise_has_a_check_a_solution_and_a_stub():
    assert set(CHECKS) == {"rnn_cell_forward", "rnn_forward", "output_layer",
                           "rnn_cell_backward", "bptt", "loss_and_gradients"}
    assert all(callable(getattr(SOLUTIONS, name, None)) for name in CHECKS)
    assert set(notebook_stubs()) == set(CHECKS)


# Other correct ways to write the exercises: the checks must accept them all.
def cell_with_dot(x_t, h_prev, U, W, b):
    return np.tanh(np.dot(W, h_prev) + x_t @ U.T + b)


def forward_vectorised_input(xs, h0, U, W, b):
    inputs = xs @ U.T + b                          # every U x_t + b at once
    states, h = [], h0
    for a_in in inputs:
        h = np.tanh(W @ h + a_in)
        states.append(h)
    return np.stack(states)


def output_with_logsumexp(hs, V, b_y):
    s = hs @ V.T + b_y
    m = s.max(axis=-1, keepdims=True)
    log_z = m + np.log(np.exp(s - m).sum(axis=-1, keepdims=True))
    return np.exp(s - log_z)


def backward_with_broadcasting(dh_t, x_t, h_prev, h_t, U, W):
    da = dh_t * (1 - h_t * h_t)
    return {"dx": da @ U, "dh_prev": da @ W, "db": da.copy(), "dW": da[:, None] * h_prev[None, :],
            "dU": da[:, None] * x_t[None, :], "extra": 0}


def bptt_inline(xs, h0, hs, dhs, U, W):
    dhs = dhs.copy()                               # a private copy may be changed freely
    dU, dW, db = 0 * U, 0 * W, 0 * h0
    for t in range(len(xs) - 1, -1, -1):
        da = dhs[t] * (1 - hs[t] ** 2)
        h_prev = h0 if t == 0 else hs[t - 1]
        dU, dW, db = dU + np.outer(da, xs[t]), dW + np.outer(da, h_prev), db + da
        if t > 0:
            dhs[t - 1] += W.T @ da
        else:
            dh0 = W.T @ da
    return {"dU": dU, "dW": dW, "db": db, "dh0": dh0}


def loss_returning_a_list_and_python_float(xs, targets, h0, params):
    loss, grads = SOLUTIONS.loss_and_gradients(xs, targets, h0, params)
    return [float(loss), dict(grads, dhs=None)]


OTHER_RIGHT_ANSWERS = [
    ("rnn_cell_forward", cell_with_dot), ("rnn_forward", forward_vectorised_input),
    ("output_layer", output_with_logsumexp), ("rnn_cell_backward", backward_with_broadcasting),
    ("bptt", bptt_inline), ("loss_and_gradients", loss_returning_a_list_and_python_float),
]


@pytest.mark.parametrize("name, answer", OTHER_RIGHT_ANSWERS,
                         ids=[fn.__name__ for _, fn in OTHER_RIGHT_ANSWERS])
def test_other_correct_answers_pass(name, answer):
    result = CHECKS[name](answer)
    assert result.passed, result.message


@pytest.mark.parametrize("name", CHECKS)
def test_every_known_mistake_is_rejected_and_named_when_it_runs(name):
    """Each Mistake's variant, handed in as an answer, fails; if it runs on the first case
    it is named (a variant like `x_t @ U` can only run when U is square)."""
    check = CHECKS[name]
    for mistake in check.mistakes:
        result = check(mistake.variant)
        assert not result.passed, mistake.description
        assert mistake.description in result.message or "raised" in result.message, result.message


@pytest.mark.parametrize("name", CHECKS)
def test_messages_never_blame_the_course(name):
    for answer in (None, 3, lambda: None, lambda *args: None, lambda *args: args,
                   lambda *args: 1 / 0, lambda *args: {"dU": np.zeros(2)}, print):
        result = CHECKS[name](answer)
        assert not result.passed and "bug in the course" not in result.message, result.message


@pytest.mark.parametrize("name", CHECKS)
def test_checks_are_deterministic(name):
    first = CHECKS[name](getattr(SOLUTIONS, name))
    wrong = [fn for exercise, fn, _ in WRONG_ANSWERS if exercise == name][0]
    assert CHECKS[name](wrong).message == CHECKS[name](wrong).message
    assert first.message == CHECKS[name](getattr(SOLUTIONS, name)).message


# --- the one spec the cases come from ----------------------------------------------------------
def test_cases_cover_non_square_tiny_square_and_large():
    sizes = lab1.SIZES
    first = sizes[0]
    assert len({first["D"], first["J"], first["K"], first["T"]}) == 4     # nothing square
    assert any(s["T"] == 1 and s["D"] == 1 for s in sizes)
    assert any(s["D"] == s["J"] for s in sizes)                           # a transposed U runs
    assert any(s.get("large") for s in sizes)


@pytest.mark.parametrize("name", CHECKS)
def test_cases_are_consistent_and_every_term_matters(name):
    for case in CHECKS[name].make_cases(np.random.default_rng(0)):
        arrays = dict(case.args, **case.args.get("params", {}))
        for key, value in arrays.items():                 # no degenerate, all-zero input
            if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                assert np.abs(value).max() > 0.1, (case.label, key)
        for key in ("h0", "b", "b_y"):                      # a forgotten h0 / bias shows
            if key in arrays:
                assert np.abs(arrays[key]).min() > 1e-3 or len(arrays[key]) > 1, key
    rng = np.random.default_rng(0)
    f = lab1.fixture(rng, T=4, D=3, J=5, K=2)
    np.testing.assert_allclose(f["hs"][0], numpy_rnn.rnn_step(f["xs"][0], f["h0"], f["U"], f["W"],
                                                              f["b"]))
    np.testing.assert_allclose(f["h_t"], numpy_rnn.rnn_step(f["x_t"], f["h_prev"], f["U"],
                                                            f["W"], f["b"]))


def test_large_case_really_overflows_a_naive_softmax():
    large = [c for c in CHECKS["output_layer"].make_cases(np.random.default_rng(0))
             if "large" in c.label][0]
    scores = large.args["hs"] @ large.args["V"].T + large.args["b_y"]
    assert np.abs(scores).max() > 710                                      # exp overflows


def test_reference_bptt_agrees_with_numpy_rnn_backward():
    rng = np.random.default_rng(3)
    params = numpy_rnn.init_params(3, 5, 4, rng, scale=1.0)
    xs, h0, targets = rng.normal(size=(6, 3)), rng.normal(size=5), rng.integers(0, 4, size=6)
    hs, probs = numpy_rnn.rnn_forward(xs, h0, params)
    full = numpy_rnn.rnn_backward(xs, targets, h0, params, hs, probs)
    ds = probs.copy()
    ds[np.arange(6), targets] -= 1
    ours = lab1.reference_bptt(xs, h0, hs, ds @ params["V"], params["U"], params["W"])
    for key in ("dU", "dW", "db", "dh0"):
        np.testing.assert_allclose(ours[key], full[key], rtol=1e-12, atol=1e-14)


# --- edges shared by the checks of Labs 1-4 (utils/checks/edges.py) ---------------
def test_the_last_case_repeats_the_first_sizes_with_new_values():
    for name, check in CHECKS.items():
        cases = check.make_cases(np.random.default_rng(0))
        first, last = cases[0], cases[-1]
        assert last.sizes == first.sizes and "again" in last.label, name
        assert not all(np.array_equal(a, b) for a, b in zip(first.args.values(),
                                                            last.args.values())
                       if isinstance(a, np.ndarray)), name


def test_a_slow_answer_is_stopped_and_the_timer_restored():
    import signal
    before = signal.getsignal(signal.SIGPROF)

    def forever(x_t, h_prev, U, W, b):
        while True:
            pass

    result = CHECKS["rnn_cell_forward"](forever)
    assert not result.passed and "did not finish" in result.message
    assert "test case 1" in result.message
    assert signal.getsignal(signal.SIGPROF) is before
    assert signal.getitimer(signal.ITIMER_PROF)[0] == 0
    assert CHECKS["rnn_cell_forward"](SOLUTIONS.rnn_cell_forward).passed


def test_a_time_limit_inside_another_is_left_to_the_outer_one():
    with edges.time_limit(5.0) as outer:
        with edges.time_limit(1.0) as inner:
            pass
    assert outer and not inner


def test_globals_written_are_found_in_nested_code():
    def learner(xs):
        global _LEAK

        def inner():
            global _OTHER
            _OTHER = 1
        _LEAK = xs
        return inner
    assert edges.globals_written(learner) == ["_LEAK", "_OTHER"]
    assert edges.globals_written(SOLUTIONS.rnn_forward) == []


def test_a_default_argument_used_read_only_is_fine():
    def forward_with_a_constant_default(xs, h0, U, W, b, scale=[1.0]):
        return SOLUTIONS.rnn_forward(xs, h0, U, W, b) * scale[0]
    assert CHECKS["rnn_forward"](forward_with_a_constant_default).passed


def test_every_check_needs_a_fraction_of_its_time_limit():
    """Measured with the solutions, in CPU seconds (what the limit counts)."""
    import time
    for name, check in CHECKS.items():
        check(getattr(SOLUTIONS, name))                    # warm up
        start = time.process_time()
        assert check(getattr(SOLUTIONS, name)).passed
        assert time.process_time() - start < check.time_limit_s / 5, name
