"""Lab 4's checks: the references equal utils.cells and torch.nn.GRU, other right answers
pass, every known mistake is named, the cases make every term observable."""
import copy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from utils import cells, models, tasks
from utils.checks import lab4
from utils.checks.core import Check, _same, random_torch_module
from utils.checks.lab4 import CHECKS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "labs" / "lab04_build_a_gru.ipynb"
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).parent))
from lab_files import load_lab  # noqa: E402
from wrong_answers.lab4 import WRONG_ANSWERS  # noqa: E402


LAB = load_lab(4)
SOLUTIONS = LAB.solutions


def notebook_stubs() -> dict:
    """The exercise functions exactly as the committed notebook defines them."""
    return LAB.stubs


def test_every_exercise_has_a_check_a_solution_and_a_stub():
    assert set(CHECKS) == {"simplified_gru_step", "gru_step", "params_from_torch_gru",
                           "gru_forward_reset_after"}
    assert all(callable(getattr(SOLUTIONS, name, None)) for name in CHECKS)
    assert set(notebook_stubs()) == set(CHECKS)


# --- the references are what utils.cells and PyTorch compute ------------------------------------
def _blocks(cell, gates) -> dict:
    """A course cell's weights as the exercises' params dict (float64 numpy)."""
    return {f"{m}_{g}": cell.block(g, m).detach().numpy().copy() for g in gates for m in "UWb"}


def _run_cell(cell, xs, c0):
    state, out = torch.from_numpy(c0)[None], []
    with torch.no_grad():
        for x in xs:
            state = cell.step(torch.from_numpy(x)[None], state)
            out.append(state[0].numpy())
    return np.array(out)


@pytest.mark.parametrize("D, J", [(3, 5), (4, 4), (1, 2)])
def test_step_references_equal_the_course_cells(D, J):
    torch.manual_seed(D * 10 + J)
    rng = np.random.default_rng(0)
    xs, c0 = rng.normal(size=(6, D)), rng.uniform(-0.9, 0.9, size=J)
    for kind, reference in [("simple", lab4.reference_simplified_gru_step),
                            ("before", lab4.reference_gru_step)]:
        cell = (cells.SimplifiedGRUCell(D, J) if kind == "simple"
                else cells.GRUCell(D, J, reset="before")).double()
        with torch.no_grad():
            for p in cell.parameters():          # non-zero biases, beyond the default init
                p.copy_(torch.from_numpy(rng.uniform(-1, 1, size=tuple(p.shape))))
        params = _blocks(cell, cell.gate_names)
        c, states, gate_us = c0, [], []
        for x in xs:
            c, gate_u = reference(x, c, params)
            states.append(c)
            gate_us.append(gate_u)
        np.testing.assert_allclose(np.array(states), _run_cell(cell, xs, c0), rtol=1e-12,
                                   atol=1e-14)
        with torch.no_grad():
            expected_u = cell.gates(torch.from_numpy(xs[:1]), torch.from_numpy(c0)[None])["u"]
        np.testing.assert_allclose(gate_us[0], expected_u[0].numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("D, J", [(3, 5), (4, 4), (1, 2)])
def test_conversion_and_forward_references_equal_torch_nn_gru(D, J):
    """Exercises 3 and 4's references, chained, reproduce torch.nn.GRU from a non-zero state
    (float64), and their gates are utils.cells.GRUCell's (which negates z the same way)."""
    gru = random_torch_module("gru", np.random.default_rng(D * 10 + J), D, J)
    rng = np.random.default_rng(1)
    xs, c0 = rng.normal(size=(7, D)), rng.normal(size=J)
    params = lab4.reference_params_from_torch_gru(gru)
    cs, gates_u = lab4.reference_gru_forward_reset_after(xs, c0, params)
    with torch.no_grad():
        out, h_n = gru(torch.from_numpy(xs)[None], torch.from_numpy(c0)[None, None])
    np.testing.assert_allclose(cs, out[0].numpy(), rtol=1e-12, atol=1e-14)
    cell = cells.GRUCell(D, J).double().load_torch_weights(gru)
    with torch.no_grad():
        previous = np.vstack([c0, cs[:-1]])
        expected = cell.gates(torch.from_numpy(xs), torch.from_numpy(previous))["u"].numpy()
    np.testing.assert_allclose(gates_u, expected, rtol=1e-12, atol=1e-14)
    # and torch's own z, computed from its stacked weights, is 1 - Γu
    J3 = slice(J, 2 * J)
    a_z = (xs @ gru.weight_ih_l0.detach().numpy()[J3].T + gru.bias_ih_l0.detach().numpy()[J3]
           + previous @ gru.weight_hh_l0.detach().numpy()[J3].T + gru.bias_hh_l0.detach().numpy()[J3])
    np.testing.assert_allclose(1 / (1 + np.exp(-a_z)), 1 - gates_u, rtol=1e-12, atol=1e-14)


def test_solutions_run_a_trained_style_classifier_like_pytorch():
    """The notebook's use: the solution functions on a SequenceClassifier's nn.GRU."""
    task = tasks.RecallTask(n_keys=4, n_distractors=8)
    torch.manual_seed(0)
    model = models.SequenceClassifier(task.vocab_size, task.n_keys, hidden_size=6, cell="gru",
                                      embedding_dim=3)
    model64 = copy.deepcopy(model).double()
    params = SOLUTIONS.params_from_torch_gru(model64.core)
    ids, _ = task.sample(3, 5, torch.Generator().manual_seed(0))
    with torch.no_grad():
        xs = model64.embedding(ids)
        out, _ = model64.core(xs)
        logits = model64(ids).numpy()
    for b in range(3):
        cs, _ = SOLUTIONS.gru_forward_reset_after(xs[b].numpy(), np.zeros(6), params)
        np.testing.assert_allclose(cs, out[b].numpy(), rtol=1e-12, atol=1e-14)
        head = model64.head.weight.detach().numpy() @ cs[-1] + model64.head.bias.detach().numpy()
        np.testing.assert_allclose(head, logits[b], rtol=1e-12, atol=1e-13)


def test_full_gru_with_an_open_relevance_gate_is_the_simplified_gru():
    """The notebook's claim: with Γr = 1 (b_r large) the full GRU computes the simplified one."""
    rng = np.random.default_rng(0)
    params = lab4.make_params(rng, 3, 4, lab4.GRU_PARAMS)
    params["W_r"], params["U_r"], params["b_r"] = 0 * params["W_r"], 0 * params["U_r"], \
        np.full(4, 40.0)
    x, c = rng.normal(size=3), rng.uniform(-0.9, 0.9, size=4)
    simple = {k: params[k] for k in lab4.SIMPLE_PARAMS}
    for a, b in zip(SOLUTIONS.gru_step(x, c, params), SOLUTIONS.simplified_gru_step(x, c, simple)):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)


# --- other correct ways to write the exercises: the checks must accept them all ---------------
def _sigmoid_tanh(a):
    return 0.5 * (1 + np.tanh(a / 2))


def simple_with_stacked_input(x_t, c_prev, params):
    """Andrew Ng's form: one matrix [W | U] applied to the stacked vector [c_prev; x_t]."""
    stacked = np.concatenate([c_prev, x_t])
    gate_u = _sigmoid_tanh(np.hstack([params["W_u"], params["U_u"]]) @ stacked + params["b_u"])
    c_tilde = np.tanh(np.hstack([params["W_c"], params["U_c"]]) @ stacked + params["b_c"])
    return c_prev + gate_u * (c_tilde - c_prev), gate_u


def gru_with_stacked_input(x_t, c_prev, params):
    def affine(name, state):
        return (np.hstack([params["W_" + name], params["U_" + name]])
                @ np.concatenate([state, x_t]) + params["b_" + name])
    gate_r = 1 / (1 + np.exp(-affine("r", c_prev)))
    gate_u = 1 / (1 + np.exp(-affine("u", c_prev)))
    c_tilde = np.tanh(affine("c", gate_r * c_prev))
    return gate_u * c_tilde + (1 - gate_u) * c_prev, gate_u


def gru_as_a_list(x_t, c_prev, params):
    gate_r = 1 / (1 + np.exp(-(params["W_r"] @ c_prev + params["U_r"] @ x_t + params["b_r"])))
    gate_u = 1 / (1 + np.exp(-(params["W_u"] @ c_prev + params["U_u"] @ x_t + params["b_u"])))
    c_tilde = np.tanh(params["W_c"] @ (gate_r * c_prev) + params["U_c"] @ x_t + params["b_c"])
    return [gate_u * c_tilde + (1 - gate_u) * c_prev, gate_u]


def params_with_torch_chunk(gru):
    w_r, w_z, w_n = gru.weight_ih_l0.detach().double().chunk(3)
    v_r, v_z, v_n = gru.weight_hh_l0.detach().double().chunk(3)
    a_r, a_z, a_n = gru.bias_ih_l0.detach().double().chunk(3)
    c_r, c_z, c_n = gru.bias_hh_l0.detach().double().chunk(3)
    return {k: v.clone().numpy() for k, v in {
        "U_r": w_r, "W_r": v_r, "b_r": a_r + c_r, "U_u": -w_z, "W_u": -v_z, "b_u": -a_z - c_z,
        "U_c": w_n, "W_c": v_n, "b_c": a_n, "b_hc": c_n}.items()}


def params_with_utils_cells(gru):
    cell = cells.GRUCell(gru.input_size, gru.hidden_size).double().load_torch_weights(gru)
    params = _blocks(cell, ("r", "u", "c"))
    params["b_hc"] = cell.b_hc.detach().numpy().copy()
    return params


def forward_with_a_list_and_stack(xs, c0, params):
    c, cs, gates = c0.copy(), [], []
    for x_t in xs:
        gate_r = _sigmoid_tanh(params["W_r"] @ c + params["U_r"] @ x_t + params["b_r"])
        gate_u = _sigmoid_tanh(params["W_u"] @ c + params["U_u"] @ x_t + params["b_u"])
        c_tilde = np.tanh(params["U_c"] @ x_t + params["b_c"]
                          + gate_r * (params["W_c"] @ c + params["b_hc"]))
        c = c + gate_u * (c_tilde - c)
        cs.append(c)
        gates.append(gate_u)
    return np.stack(cs), np.stack(gates)


def forward_with_torch_gru_for_the_states(xs, c0, params):
    """Builds a torch.nn.GRU from the params (reverse conversion) and runs it."""
    J, D = params["U_r"].shape
    gru = torch.nn.GRU(D, J, batch_first=True).double()
    with torch.no_grad():
        gru.weight_ih_l0.copy_(torch.from_numpy(np.vstack([params["U_r"], -params["U_u"],
                                                           params["U_c"]])))
        gru.weight_hh_l0.copy_(torch.from_numpy(np.vstack([params["W_r"], -params["W_u"],
                                                           params["W_c"]])))
        gru.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([params["b_r"], -params["b_u"],
                                                              params["b_c"]])))
        gru.bias_hh_l0.copy_(torch.from_numpy(np.concatenate([0 * params["b_r"],
                                                              0 * params["b_u"], params["b_hc"]])))
        out, _ = gru(torch.from_numpy(xs)[None], torch.from_numpy(c0)[None, None])
    cs = out[0].numpy()
    previous = np.vstack([c0, cs[:-1]])
    gates = _sigmoid_tanh(previous @ params["W_u"].T + xs @ params["U_u"].T + params["b_u"])
    return cs, gates


OTHER_RIGHT_ANSWERS = [
    ("simplified_gru_step", simple_with_stacked_input),
    ("gru_step", gru_with_stacked_input), ("gru_step", gru_as_a_list),
    ("params_from_torch_gru", params_with_torch_chunk),
    ("params_from_torch_gru", params_with_utils_cells),
    ("gru_forward_reset_after", forward_with_a_list_and_stack),
    ("gru_forward_reset_after", forward_with_torch_gru_for_the_states),
]


@pytest.mark.parametrize("name, answer", OTHER_RIGHT_ANSWERS,
                         ids=[fn.__name__ for _, fn in OTHER_RIGHT_ANSWERS])
def test_other_correct_answers_pass(name, answer):
    with torch.random.fork_rng(devices=[]):
        result = CHECKS[name](answer)
    assert result.passed, result.message


# --- every known mistake -------------------------------------------------------------------------
def _leaves(out) -> list:
    return list(out.values()) if isinstance(out, dict) else list(out)


def _runs(variant, case, reference) -> bool:
    """The variant runs on the case and gives arrays of the reference's shapes."""
    args = list(case.args.values())
    try:
        with np.errstate(all="ignore"):
            got = variant(*copy.deepcopy(args))
    except Exception:
        return False
    expected = reference(*copy.deepcopy(args))
    return all(np.shape(g) == np.shape(e) for g, e in zip(_leaves(got), _leaves(expected)))


@pytest.mark.parametrize("name", CHECKS)
def test_every_known_mistake_is_rejected_and_named(name):
    """Each mistake is rejected; it is named on the cases where its code runs (a transposed
    U, say, raises a shape error on non-square cases and gives numbers when D = J)."""
    check = CHECKS[name]
    cases = check.make_cases(np.random.default_rng(check.seed))
    for mistake in check.mistakes:
        result = check(mistake.variant)
        assert not result.passed, mistake.description
        runnable = [case for case in cases if _runs(mistake.variant, case, check.reference)]
        assert runnable, mistake.description
        if mistake.description not in result.message:
            only = Check(check.name, check.reference, lambda rng, c=runnable: c,
                         output_names=check.output_names, mistakes=check.mistakes)
            result = only(mistake.variant)
            assert not result.passed
            assert mistake.description in result.message, (mistake.description, result.message)


@pytest.mark.parametrize("name", CHECKS)
def test_every_mistake_changes_the_answer_on_the_first_case_it_runs_on(name):
    """No degenerate fixture: each mistake gives other numbers than the reference."""
    check = CHECKS[name]
    cases = check.make_cases(np.random.default_rng(check.seed))
    for mistake in check.mistakes:
        case = next(c for c in cases if _runs(mistake.variant, c, check.reference))
        args = list(case.args.values())
        with np.errstate(all="ignore"):
            got = mistake.variant(*copy.deepcopy(args))
        expected = check.reference(*copy.deepcopy(args))
        assert any(not np.allclose(g, e) for g, e in zip(_leaves(got), _leaves(expected))), \
            mistake.description


@pytest.mark.parametrize("name", CHECKS)
def test_messages_never_blame_the_course(name):
    for answer in (None, 3, lambda: None, lambda *args: None, lambda *args: args,
                   lambda *args: 1 / 0, lambda *args: (np.zeros(2), np.zeros(2)),
                   lambda *args: np.zeros(3), lambda *args: {"U_r": np.zeros(2)},
                   lambda *args: 0.5, print):
        result = CHECKS[name](answer)
        assert not result.passed and "bug in the course" not in result.message, result.message


@pytest.mark.parametrize("name", CHECKS)
def test_checks_are_deterministic(name):
    CHECKS[name](getattr(SOLUTIONS, name))                 # warm up
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
    wrong = [fn for exercise, fn, _ in WRONG_ANSWERS if exercise == name][0]
    for answer in (getattr(SOLUTIONS, name), wrong):
        CHECKS[name](answer)
    assert torch.equal(torch.rand(3), expected)


# --- the cases ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["simplified_gru_step", "gru_step", "gru_forward_reset_after"])
def test_numpy_cases_are_non_square_non_zero_and_float64(name):
    cases = CHECKS[name].make_cases(np.random.default_rng(0))
    first = cases[0]
    assert first.sizes["D"] != first.sizes["J"]
    assert any(c.sizes["D"] == c.sizes["J"] for c in cases)       # a transposed U runs
    for case in cases:
        params = case.args["params"]
        for value in params.values():
            assert value.dtype == np.float64 and np.all(value != 0)
        state = case.args.get("c_prev", case.args.get("c0"))
        assert np.all(np.abs(state) >= 0.2)                         # the given state matters
    keys = set(first.args["params"])
    assert keys == set({"simplified_gru_step": lab4.SIMPLE_PARAMS, "gru_step": lab4.GRU_PARAMS,
                        "gru_forward_reset_after": lab4.AFTER_PARAMS}[name])


def test_gates_are_far_from_one_half_and_the_large_case_overflows():
    """The gates differ from 0.5 (else 1 - Γu on the wrong side would hide) and the large
    case drives every gate beyond ±710, where np.exp overflows, in both directions."""
    for name in ("simplified_gru_step", "gru_step"):
        check = CHECKS[name]
        cases = check.make_cases(np.random.default_rng(0))
        _, gate_u = check.reference(*cases[0].args.values())
        assert np.abs(gate_u - 0.5).min() > 0.05
        large = next(c for c in cases if c.label == "large inputs")
        p, x, c = large.args["params"], large.args["x_t"], large.args["c_prev"]
        pre = np.concatenate([p[f"W_{g}"] @ c + p[f"U_{g}"] @ x + p[f"b_{g}"]
                              for g in "ru" if f"U_{g}" in p])
        assert pre.max() > 710 and pre.min() < -710


def test_torch_cases_have_non_zero_biases_and_cover_square_and_two_layers():
    cases = lab4.check_params_from_torch_gru.make_cases(np.random.default_rng(0))
    assert any(c.sizes["D"] == c.sizes["J"] for c in cases)
    assert any(c.args["gru"].num_layers == 2 for c in cases)
    assert cases[0].sizes["D"] != cases[0].sizes["J"]
    for case in cases:
        gru = case.args["gru"]
        assert gru.weight_ih_l0.dtype == torch.float64
        assert torch.all(gru.bias_ih_l0 != 0) and torch.all(gru.bias_hh_l0 != 0)


def test_step_references_ignore_keys_they_do_not_use():
    """The notebook hands Exercise 2's step the 10 converted arrays: b_hc must not count."""
    rng = np.random.default_rng(0)
    params = lab4.make_params(rng, 3, 4)
    x, c = rng.normal(size=3), rng.uniform(-0.9, 0.9, size=4)
    nine = {k: params[k] for k in lab4.GRU_PARAMS}
    six = {k: params[k] for k in lab4.SIMPLE_PARAMS}
    for got, expected in [(lab4.reference_gru_step(x, c, params), lab4.reference_gru_step(x, c, nine)),
                          (lab4.reference_simplified_gru_step(x, c, params),
                           lab4.reference_simplified_gru_step(x, c, six))]:
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a, b)


# --- edge inputs: a second call with the sizes of the first, time ----------------------------
@pytest.mark.parametrize("name", CHECKS)
def test_the_last_case_repeats_the_first_sizes_with_new_values(name):
    cases = CHECKS[name].make_cases(np.random.default_rng(0))
    first, last = cases[0], cases[-1]
    assert first.sizes == last.sizes and "again" in last.label
    assert not _same(first.args, last.args)


def test_every_check_needs_a_fraction_of_its_time_limit():
    """Measured with the solutions, in CPU seconds (what the limit counts)."""
    import time
    for name, check in CHECKS.items():
        check(getattr(SOLUTIONS, name))                    # warm up
        start = time.process_time()
        assert check(getattr(SOLUTIONS, name)).passed
        assert time.process_time() - start < check.time_limit_s / 5, name
