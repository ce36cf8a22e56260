"""Lab 8's checks: solutions pass, stubs read "not attempted", typical mistakes are named, and
the references are the course's own cells and scans."""
import math
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from utils import parallel, scan as scans
from utils.checks import lab8
from utils.checks.lab8 import CHECKS

sys.path.insert(0, str(Path(__file__).parent))
from lab_files import load_lab  # noqa: E402
from wrong_answers.lab8 import WRONG_ANSWERS  # noqa: E402

LAB = load_lab(8)
SOLUTIONS = LAB.solutions


def test_every_exercise_has_a_check_a_solution_and_a_stub():
    assert set(CHECKS) == {"mingru_step", "mingru_sequence", "combine", "scan",
                           "log_space_coefficients", "generate"}
    assert all(callable(getattr(SOLUTIONS, name, None)) for name in CHECKS)
    assert set(LAB.stubs) == set(CHECKS)


# --- other correct ways to write the exercises: the checks must accept them all ----------------
def step_with_chunk(x_t, h_prev, U, b):
    a_u, a_c = F.linear(x_t, U, b).chunk(2, dim=-1)
    return torch.lerp(h_prev, a_c, torch.sigmoid(a_u))


def sequence_preallocated(xs, h0, U, b):
    B, T, _ = xs.shape
    hs = torch.empty(B, T, h0.shape[1], dtype=xs.dtype)
    h = h0
    for t in range(T):
        h = SOLUTIONS.mingru_step(xs[:, t], h, U, b)
        hs[:, t] = h
    return hs


def combine_as_a_list(left, right):
    return [left[0] * right[0], torch.addcmul(right[1], right[0], left[1])]


def combine(left, right):                   # the notebook's name, used by the scans below
    return SOLUTIONS.combine(left, right)


def scan_with_fresh_clones(alpha, beta, h0):
    """In-place writes, but into new tensors each round: autograd accepts them."""
    beta = beta.clone()
    beta[:, 0] = alpha[:, 0] * h0 + beta[:, 0]
    T, s = alpha.shape[1], 1
    while s < T:
        new = combine((alpha[:, :-s], beta[:, :-s]), (alpha[:, s:], beta[:, s:]))
        alpha, beta = alpha.clone(), beta.clone()
        alpha[:, s:], beta[:, s:] = new
        s *= 2
    return beta


def scan_counting_rounds(alpha, beta, h0):
    T = alpha.shape[1]
    beta = torch.cat([alpha[:, :1] * h0.unsqueeze(1) + beta[:, :1], beta[:, 1:]], dim=1)
    for d in range(math.ceil(math.log2(T)) if T > 1 else 0):
        s = 2 ** d
        a, b = combine((alpha[:, :T - s], beta[:, :T - s]), (alpha[:, s:], beta[:, s:]))
        alpha = torch.cat([alpha[:, :s], a], dim=1)
        beta = torch.cat([beta[:, :s], b], dim=1)
    return beta


def logs_with_logsigmoid(a_u, a_c):
    log_g = torch.where(a_c >= 0, torch.log(a_c.clamp(min=0) + 0.5), F.logsigmoid(a_c))
    return F.logsigmoid(-a_u), F.logsigmoid(a_u) + log_g


def generate_prompt_by_steps(model, prompt_ids, n, generator):
    """Warm-up one token at a time (state carried), and a step after the last draw too."""
    state = None
    for t in range(prompt_ids.shape[1]):
        logits, state = model.step(prompt_ids[:, t], state)
    out = []
    for _ in range(n):
        token = torch.multinomial(F.softmax(logits, dim=-1), num_samples=1,
                                  generator=generator)[:, 0]
        out.append(token)
        logits, state = model.step(token, state)
    return torch.stack(out, 1)


def generate_makemore_style(model, prompt_ids, n, generator):
    """Warm up on all but the last prompt token, then step the last one."""
    state = None
    if prompt_ids.shape[1] > 1:
        _, state = model(prompt_ids[:, :-1])
    token, out = prompt_ids[:, -1], []
    for _ in range(n):
        logits, state = model.step(token, state)
        token = torch.multinomial(logits.softmax(-1), 1, generator=generator).squeeze(-1)
        out.append(token)
    return torch.stack(out, dim=1)


OTHER_RIGHT_ANSWERS = [
    ("mingru_step", step_with_chunk), ("mingru_sequence", sequence_preallocated),
    ("combine", combine_as_a_list), ("scan", scan_with_fresh_clones),
    ("scan", scan_counting_rounds), ("log_space_coefficients", logs_with_logsigmoid),
    ("generate", generate_prompt_by_steps), ("generate", generate_makemore_style),
]


@pytest.mark.parametrize("name, answer", OTHER_RIGHT_ANSWERS,
                         ids=[fn.__name__ for _, fn in OTHER_RIGHT_ANSWERS])
def test_other_correct_answers_pass(name, answer):
    result = CHECKS[name](answer)
    assert result.passed, result.message


@pytest.mark.parametrize("name", CHECKS)
def test_every_known_mistake_is_rejected_and_named(name):
    check = CHECKS[name]
    for mistake in check.mistakes:
        result = check(mistake.variant)
        assert not result.passed, mistake.description
        assert mistake.description in result.message, result.message


@pytest.mark.parametrize("name", CHECKS)
def test_messages_never_blame_the_course(name):
    for answer in (None, 3, lambda: None, lambda *args: None, lambda *args: args,
                   lambda *args: 1 / 0, lambda *args: [torch.zeros(2)], lambda *args: np.zeros(3),
                   lambda *args: (torch.zeros(2), torch.zeros(2)), lambda *args: 0.5,
                   lambda *args: torch.zeros(2, 3, dtype=torch.long), print):
        result = CHECKS[name](answer)
        assert not result.passed and "bug in the course" not in result.message, result.message


@pytest.mark.parametrize("name", CHECKS)
def test_checks_are_deterministic(name):
    first = CHECKS[name](getattr(SOLUTIONS, name))
    wrong = [fn for exercise, fn, _ in WRONG_ANSWERS if exercise == name]
    for fn in wrong:
        assert CHECKS[name](fn).message == CHECKS[name](fn).message, fn.__name__
    assert first.message == CHECKS[name](getattr(SOLUTIONS, name)).message


@pytest.mark.parametrize("name", CHECKS)
def test_checks_leave_the_global_torch_generator_alone(name):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    for fn in [getattr(SOLUTIONS, name)] + [fn for ex, fn, _ in WRONG_ANSWERS if ex == name]:
        CHECKS[name](fn)
    assert torch.equal(torch.rand(3), expected)


def test_the_checks_stay_far_within_their_time_limit():
    """CPU seconds per check (what the limit counts), so a busy machine does not fail it."""
    for name, check in CHECKS.items():
        wrong = [fn for exercise, fn, _ in WRONG_ANSWERS if exercise == name]
        start = time.process_time()
        for answer in [getattr(SOLUTIONS, name)] + wrong:
            check(answer)
        per_check = (time.process_time() - start) / (1 + len(wrong))
        assert per_check < check.time_limit_s / 5, (name, per_check)


# --- the references are the course's ------------------------------------------------------------
def test_the_mingru_references_are_the_course_cell():
    rng = np.random.default_rng(0)
    cell = parallel.MinGRUCell(3, 4).double()
    xs = torch.from_numpy(rng.normal(size=(2, 7, 3)))
    h0 = torch.from_numpy(rng.normal(size=(2, 4)))
    with torch.no_grad():
        ours = lab8.reference_mingru_sequence(xs, h0, cell.U, cell.b)
        torch.testing.assert_close(ours, cell(xs, h0), rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(ours, cell(xs, h0, mode="loop"), rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(lab8.reference_mingru_step(xs[:, 0], h0, cell.U, cell.b),
                                   cell.step(xs[:, 0], h0), rtol=1e-12, atol=1e-12)
        alpha, beta = cell.coefficients(xs)
        torch.testing.assert_close(ours, scans.linear_recurrence(alpha, beta, h0),
                                   rtol=1e-12, atol=1e-12)


def test_combine_and_the_rounds_are_the_course_scan():
    rng = np.random.default_rng(1)
    for T in (1, 2, 5, 8, 13, 100):
        alpha, beta = lab8._pair(rng, (2, T, 3))
        h0 = lab8._state(rng, 2, 3)
        loop = scans.linear_recurrence(alpha, beta, h0)
        for ours in (lab8._scan(alpha, beta, h0), SOLUTIONS.scan(alpha, beta, h0),
                     scans.scan_hillis_steele(alpha, beta, h0)):
            torch.testing.assert_close(ours, loop, rtol=1e-12, atol=1e-12)
    left, right = lab8._pair(rng, (2, 3)), lab8._pair(rng, (2, 3))
    for a, b in zip(lab8.reference_combine(left, right), scans.combine(left, right)):
        assert torch.equal(a, b)


def test_the_log_coefficients_are_the_course_cell():
    rng = np.random.default_rng(2)
    cell = parallel.MinGRUCell(3, 4, log_space=True).double()
    xs = 4 * torch.from_numpy(rng.normal(size=(2, 6, 3)))
    with torch.no_grad():
        a_u, a_c = (xs @ cell.U.T + cell.b).chunk(2, dim=-1)
        ours = lab8.reference_log_space_coefficients(a_u, a_c)
        for a, b in zip(ours, cell.log_coefficients(xs)):
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
        alpha, beta = cell.coefficients(xs)
        torch.testing.assert_close(ours[0].exp(), alpha, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(ours[1].exp(), beta, rtol=1e-12, atol=1e-12)


def test_the_reference_sampler_is_the_course_model_s_stepwise_generation():
    """On a real minGRU CharLM, the reference's draws equal those of a loop that feeds the
    prompt and every drawn token through model.step."""
    from utils import models
    torch.manual_seed(0)
    model = models.CharLM(11, 8, cell="mingru", embedding_dim=5)
    prompt = torch.randint(0, 11, (3, 4))
    with torch.no_grad():
        ours = lab8.reference_generate(model, prompt, 6, torch.Generator().manual_seed(5))
        stepwise = generate_prompt_by_steps(model, prompt, 6, torch.Generator().manual_seed(5))
    assert torch.equal(ours, stepwise)


# --- the cases expose every term ----------------------------------------------------------------
def test_the_cases_cover_the_edges():
    step_cases = lab8.check_mingru_step.make_cases(np.random.default_rng(0))
    assert step_cases[0].sizes["D"] == 2 * step_cases[0].sizes["J"]     # a transposed U fits
    assert any(c.sizes["D"] != c.sizes["J"] for c in step_cases)
    for case in step_cases:
        assert case.args["h_prev"].abs().min() > 0.1 and case.args["b"].abs().min() > 0
    scan_lengths = [c.sizes["T"] for c in lab8.check_scan.make_cases(np.random.default_rng(0))]
    assert scan_lengths[0] == 8 and 5 in scan_lengths and 1 in scan_lengths   # a power of two first
    log_cases = lab8.check_log_space_coefficients.make_cases(np.random.default_rng(0))
    assert any(c.args["a_u"].abs().max() >= 800 and (c.args["a_c"] < -0.5).any()
               and ((c.args["a_c"] < 0) & (c.args["a_c"] > -0.5)).any() for c in log_cases)


def _message(check, fn):
    return check(fn).message


def test_extra_rounds_are_counted():
    def scan_one_round_too_many(alpha, beta, h0):
        T = alpha.shape[1]
        beta = torch.cat([alpha[:, :1] * h0[:, None] + beta[:, :1], beta[:, 1:]], dim=1)
        for d in range(int(math.log2(T)) + 1):
            s = 2 ** d
            a, b = combine((alpha[:, :T - s], beta[:, :T - s]), (alpha[:, s:], beta[:, s:]))
            alpha = torch.cat([alpha[:, :s], a], dim=1)
            beta = torch.cat([beta[:, :s], b], dim=1)
        return beta
    message = _message(CHECKS["scan"], scan_one_round_too_many)
    assert "called `combine` 5 times for T = 16" in message and "ceil(log2 T) = 4" in message


def test_a_broken_combine_is_named_before_the_scan_is_blamed():
    namespace = {"torch": torch}
    exec("def combine(left, right):\n    (a, b), (c, d) = left, right\n"
         "    return a * c, a * d + b\n", namespace)
    import inspect
    exec(inspect.getsource(SOLUTIONS.scan), namespace)
    message = CHECKS["scan"](namespace["scan"]).message
    assert "calls your `combine`, which was checked first" in message


def test_the_diagnosis_of_non_finite_logs():
    a_u = torch.tensor([[[50.0, 0.0, -1.0]]], dtype=torch.float64)
    a_c = torch.tensor([[[1.0, -2.0, -0.25]]], dtype=torch.float64)
    raw = lab8._diagnose_non_finite(a_u, a_c, -F.softplus(a_u),
                                    -F.softplus(-a_u) + torch.log(a_c))
    assert "log of a negative value" in raw
    direct = lab8._diagnose_non_finite(a_u, a_c, torch.log(1 - torch.sigmoid(a_u)),
                                       -F.softplus(-a_u) + torch.log(a_c.clamp(min=0) + 0.5))
    assert "computed directly" in direct
