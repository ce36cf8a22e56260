"""Lab 7's checks: solutions pass, stubs read "not attempted", typical mistakes are named."""
import inspect
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from torch import nn

from utils import cells, models, recurrent
from utils.checks import lab7
from utils.checks.core import CheckFailed, random_torch_module
from utils.checks.lab7 import CHECKS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "labs" / "lab07_go_deeper.ipynb"
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).parent))
from lab_files import load_lab  # noqa: E402
from wrong_answers.lab7 import WRONG_ANSWERS, run_layer  # noqa: E402


LAB = load_lab(7)
SOLUTIONS = LAB.solutions


def notebook_stubs() -> dict:
    """The exercise functions exactly as the committed notebook defines them."""
    return LAB.stubs


def test_every_exercise_has_a_check_a_solution_and_a_stub():
    assert set(CHECKS) == {"stacked_forward", "lstm_cells_from_torch", "stack_parameter_count",
                           "bidirectional_cells_from_torch", "bidirectional_stack_forward"}
    assert all(callable(getattr(SOLUTIONS, name, None)) for name in CHECKS)
    assert set(notebook_stubs()) == set(CHECKS)


def test_the_notebook_gives_run_layer_as_the_solutions_use_it():
    source = "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells
                       if c.cell_type == "code")
    assert "def run_layer(cell, xs, state):" in source
    assert "from utils.cells import GRUCell, LSTMCell, make_cell" in source


# Other correct ways to write the exercises: the checks must accept them all.
def stack_step_by_step(cells, xs, states, residual=False):
    """Time-major order: every layer at step t before step t + 1."""
    lstm = isinstance(states, tuple)
    layer_states = [(states[0][l], states[1][l]) if lstm else states[l] for l in range(len(cells))]
    tops = []
    for t in range(xs.shape[1]):
        z = xs[:, t]
        for l, cell in enumerate(cells):
            layer_states[l] = cell.step(z, layer_states[l])
            h = cell.hidden(layer_states[l])
            z = h + z if residual and l else h
        tops.append(z)
    if lstm:
        return torch.stack(tops, 1), [torch.stack([s[0] for s in layer_states]),
                                      torch.stack([s[1] for s in layer_states])]
    return torch.stack(tops, 1), torch.stack(layer_states)


def stack_with_preallocated_tensors(cells, xs, states, residual=False):
    L, (B, T, _) = len(cells), xs.shape
    J = cells[0].hidden_size
    lstm = isinstance(states, (tuple, list))
    h_n = torch.empty(L, B, J, dtype=xs.dtype)
    c_n = torch.empty(L, B, J, dtype=xs.dtype)
    z = xs
    for l in range(L):
        out, final = run_layer(cells[l], z, (states[0][l], states[1][l]) if lstm else states[l])
        if lstm:
            h_n[l], c_n[l] = final
        else:
            h_n[l] = final
        if residual and l >= 1:
            out = z + out
        z = out
    return (z, (h_n, c_n)) if lstm else (z, h_n)


def cells_with_load_torch_weights(lstm):
    p = lstm.weight_ih_l0
    return nn.ModuleList(
        cells.LSTMCell(lstm.input_size if l == 0 else lstm.hidden_size, lstm.hidden_size)
        .to(p.dtype).load_torch_weights(lstm, layer=l) for l in range(lstm.num_layers))


def cells_with_new_parameters(lstm):
    out = []
    for l in range(lstm.num_layers):
        cell = cells.LSTMCell(lstm.input_size if l == 0 else lstm.hidden_size,
                              lstm.hidden_size).double()
        cell.U = nn.Parameter(getattr(lstm, f"weight_ih_l{l}").detach().clone())
        cell.W = nn.Parameter(getattr(lstm, f"weight_hh_l{l}").detach().clone())
        cell.b = nn.Parameter((getattr(lstm, f"bias_ih_l{l}")
                               + getattr(lstm, f"bias_hh_l{l}")).detach())
        out.append(cell)
    return tuple(out)


def count_closed_form(kind, D, J, L, bidirectional=False):
    G, d = {"rnn": 1, "gru": 3, "lstm": 4}[kind], 1 + bool(bidirectional)
    first = G * J * (D + J + 2)
    return d * first + (L - 1) * d * G * J * (d * J + J + 2)


def count_by_building_the_module(kind, D, J, L, bidirectional=False):
    module = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[kind](
        D, J, num_layers=L, bidirectional=bidirectional)
    return float(sum(p.numel() for p in module.parameters()))


def pairs_with_load_torch_weights(lstm):
    D, J, dtype = lstm.input_size, lstm.hidden_size, lstm.weight_ih_l0.dtype
    return [[cells.LSTMCell(D if l == 0 else 2 * J, J).to(dtype)
             .load_torch_weights(lstm, layer=l, reverse=reverse) for reverse in (False, True)]
            for l in range(lstm.num_layers)]


def pairs_from_the_state_dict(lstm):
    weights = {name: value.detach().clone() for name, value in lstm.state_dict().items()}
    out = []
    for l in range(lstm.num_layers):
        pair = []
        for end in ("", "_reverse"):
            U = weights[f"weight_ih_l{l}{end}"]
            cell = cells.LSTMCell(U.shape[1], lstm.hidden_size).double()
            cell.U, cell.W = nn.Parameter(U), nn.Parameter(weights[f"weight_hh_l{l}{end}"])
            cell.b = nn.Parameter(weights[f"bias_ih_l{l}{end}"] + weights[f"bias_hh_l{l}{end}"])
            pair.append(cell)
        out.append(tuple(pair))
    return out


def bi_stack_with_the_course_layers(layers, xs, states):
    """recurrent.Bidirectional per layer: what a learner who read utils may write."""
    finals, inputs = [], xs
    for l, (fwd, bwd) in enumerate(layers):
        both = recurrent.Bidirectional(fwd, bwd)
        rows = (2 * l, 2 * l + 1)
        inputs, (f, b) = both(inputs, tuple((states[0][r], states[1][r]) for r in rows))
        finals += [f, b]
    return inputs, [torch.stack([h for h, _ in finals]), torch.stack([c for _, c in finals])]


def bi_stack_with_index_loops(layers, xs, states):
    """No flips: the backward cell steps t = T-1 .. 0 and writes each output at its t."""
    B, T, _ = xs.shape
    h_0, c_0 = states
    h_n, c_n = torch.empty_like(h_0), torch.empty_like(c_0)
    inputs = xs
    for l, (fwd, bwd) in enumerate(layers):
        J = fwd.hidden_size
        out = torch.zeros(B, T, 2 * J, dtype=xs.dtype)
        for k, (cell, steps) in enumerate([(fwd, range(T)), (bwd, range(T - 1, -1, -1))]):
            state = (h_0[2 * l + k], c_0[2 * l + k])
            for t in steps:
                state = cell.step(inputs[:, t], state)
                out[:, t, k * J:(k + 1) * J] = state[0]
            h_n[2 * l + k], c_n[2 * l + k] = state
        inputs = out
    return inputs, (h_n, c_n)


OTHER_RIGHT_ANSWERS = [
    ("stacked_forward", stack_step_by_step), ("stacked_forward", stack_with_preallocated_tensors),
    ("lstm_cells_from_torch", cells_with_load_torch_weights),
    ("lstm_cells_from_torch", cells_with_new_parameters),
    ("stack_parameter_count", count_closed_form),
    ("stack_parameter_count", count_by_building_the_module),
    ("bidirectional_cells_from_torch", pairs_with_load_torch_weights),
    ("bidirectional_cells_from_torch", pairs_from_the_state_dict),
    ("bidirectional_stack_forward", bi_stack_with_the_course_layers),
    ("bidirectional_stack_forward", bi_stack_with_index_loops),
]


@pytest.mark.parametrize("name, answer", OTHER_RIGHT_ANSWERS,
                         ids=[fn.__name__ for _, fn in OTHER_RIGHT_ANSWERS])
def test_other_correct_answers_pass(name, answer):
    result = CHECKS[name](answer)
    assert result.passed, result.message


@pytest.mark.parametrize("name", CHECKS)
def test_every_known_mistake_is_rejected_and_named(name):
    check = CHECKS[name]
    assert len(check.mistakes) >= 5
    for mistake in check.mistakes:
        result = check(mistake.variant)
        assert not result.passed, mistake.description
        assert mistake.description in result.message, result.message


@pytest.mark.parametrize("name", CHECKS)
def test_messages_never_blame_the_course(name):
    for answer in (None, 3, lambda: None, lambda *args: None, lambda *args: args,
                   lambda *args: 1 / 0, lambda *args: [torch.zeros(2)], lambda *args: np.zeros(3),
                   lambda *args: (torch.zeros(2), torch.zeros(2)), lambda *args: 0.5,
                   lambda *args: [cells.RNNCell(2, 3)], print):
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
    """A check run must not change what the notebook's next random draw gives, even when the
    learner's code draws numbers (new cells and modules initialise their weights)."""
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    wrong = [fn for exercise, fn, _ in WRONG_ANSWERS if exercise == name]
    for answer in (getattr(SOLUTIONS, name), wrong[0], CHECKS[name].mistakes[0].variant):
        CHECKS[name](answer)
    CHECKS["stack_parameter_count"](count_by_building_the_module)
    assert torch.equal(torch.rand(3), expected)


# --- the references -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind, Module", [("rnn", nn.RNN), ("gru", nn.GRU), ("lstm", nn.LSTM)])
def test_reference_stack_equals_torch_with_num_layers(kind, Module):
    torch.manual_seed(0)
    module = Module(3, 5, num_layers=3, batch_first=True).double()
    stack = [cells.make_cell(kind, 3 if l == 0 else 5, 5).double().load_torch_weights(module, l)
             for l in range(3)]
    xs = torch.randn(4, 6, 3, dtype=torch.float64)
    h_0 = torch.randn(3, 4, 5, dtype=torch.float64)
    states = (h_0, torch.randn(3, 4, 5, dtype=torch.float64)) if kind == "lstm" else h_0
    with torch.no_grad():
        ours = lab7.reference_stacked_forward(stack, xs, states)
        theirs = module(xs, states)
    torch.testing.assert_close(ours[0], theirs[0], rtol=1e-12, atol=1e-12)
    if kind == "lstm":
        for a, b in zip(ours[1], theirs[1]):
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    else:
        torch.testing.assert_close(ours[1], theirs[1], rtol=1e-12, atol=1e-12)


def test_the_mistake_free_variant_is_the_reference_and_the_residual_spec_holds():
    for case in lab7.check_stacked_forward.make_cases(np.random.default_rng(0)):
        args = list(case.args.values())
        with torch.no_grad():
            ours = lab7._stack(*args)
            reference = lab7.reference_stacked_forward(*args)
        torch.testing.assert_close(ours, reference, rtol=1e-12, atol=1e-12)
    # By hand: 2 layers with residual, output = h^1 + h^0 (never x + h^0 at layer 0).
    rng = np.random.default_rng(1)
    stack = lab7.make_stack("rnn", 4, 4, 2, rng)
    xs = torch.from_numpy(rng.normal(size=(2, 3, 4)))
    h_0 = torch.zeros(2, 2, 4, dtype=torch.float64)
    with torch.no_grad():
        h0_seq, _ = run_layer(stack[0], xs, h_0[0])
        h1_seq, _ = run_layer(stack[1], h0_seq, h_0[1])
        output, _ = lab7.reference_stacked_forward(stack, xs, h_0, True)
    torch.testing.assert_close(output, h1_seq + h0_seq)


def test_reference_lstm_cells_run_like_the_torch_module():
    rng = np.random.default_rng(0)
    for D, J, L, _ in lab7.LSTM_SPECS:
        lstm = random_torch_module("lstm", rng, D, J, L)
        xs = torch.from_numpy(rng.normal(size=(3, 5, D)))
        state = tuple(torch.from_numpy(rng.normal(size=(L, 3, J))) for _ in range(2))
        with torch.no_grad():
            theirs = lstm(xs, state)
            ours = SOLUTIONS.stacked_forward(lab7.reference_lstm_cells_from_torch(lstm), xs, state)
        torch.testing.assert_close(ours[0], theirs[0], rtol=1e-12, atol=1e-12)
        for a, b in zip(ours[1], theirs[1]):
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_reference_count_matches_the_modules_and_the_formula():
    for kind in ("rnn", "gru", "lstm"):
        for D, J, L, bi in [(3, 5, 1, False), (7, 2, 4, True), (16, 64, 8, False)]:
            expected = lab7.reference_stack_parameter_count(kind, D, J, L, bi)
            assert SOLUTIONS.stack_parameter_count(kind, D, J, L, bi) == expected
            assert lab7._count(kind, D, J, L, bi) == expected
            net = recurrent.RecurrentNet(kind, D, J, L, bidirectional=bi)
            # the course's cells store b = bias_ih + bias_hh (and the GRU's extra b_hc):
            per_cell = {"rnn": J, "gru": 2 * J, "lstm": 4 * J}[kind]
            assert models.count_parameters(net) == expected - per_cell * L * (1 + bi)


# --- the cases ------------------------------------------------------------------------------------
def test_stack_cases_cover_every_kind_of_mistake():
    cases = lab7.check_stacked_forward.make_cases(np.random.default_rng(0))
    first = cases[0]
    assert first.sizes["D"] == first.sizes["J"] and not first.args["residual"]
    first_residual = next(c for c in cases if c.args["residual"])
    assert first_residual.sizes["D"] == first_residual.sizes["J"]   # a layer-0 residual runs
    assert any(c.args["residual"] and c.sizes["D"] != c.sizes["J"] for c in cases)
    assert any(isinstance(c.args["cells"][0], cells.LSTMCell) for c in cases)
    assert any(isinstance(c.args["cells"][0], cells.GRUCell) for c in cases)
    assert any(c.sizes["T"] == 1 for c in cases)
    assert any(len(set(c.sizes.values())) == 5 for c in cases)       # nothing square
    for case in cases:
        states = case.args["states"]
        for s in states if isinstance(states, tuple) else (states,):
            assert s.dtype == torch.float64 and s.abs().min() > 0      # non-zero initial states
            if s.shape[0] > 1:
                assert not torch.allclose(s[0], s[1])                   # layers start apart
        assert case.args["xs"].dtype == torch.float64
        stack = case.args["cells"]
        assert len({id(c) for c in stack}) == len(stack)
        assert all(p.dtype == torch.float64 for c in stack for p in c.parameters())


def test_lstm_cases_have_distinct_biases_and_a_square_first_case():
    cases = lab7.check_lstm_cells_from_torch.make_cases(np.random.default_rng(0))
    assert cases[0].sizes["D"] == cases[0].sizes["J"] and cases[0].sizes["L"] >= 3
    assert any(c.sizes["D"] != c.sizes["J"] for c in cases)
    for case in cases:
        lstm = case.args["lstm"]
        assert lstm.weight_ih_l0.dtype == torch.float64
        for l in range(lstm.num_layers):
            b_ih, b_hh = getattr(lstm, f"bias_ih_l{l}"), getattr(lstm, f"bias_hh_l{l}")
            assert b_ih.abs().min() > 0 and not torch.allclose(b_ih, b_hh)


def _message_on(check, fn, pick):
    """The check's message for fn on the first case that `pick` selects."""
    case = next(c for c in check.make_cases(np.random.default_rng(0)) if pick(c))
    with pytest.raises(CheckFailed) as failure:
        check._run_case(fn, case)
    return failure.value.message


def test_size_errors_name_the_mistake_when_d_differs_from_j():
    check = lab7.check_stacked_forward
    non_square = lambda c: c.sizes["D"] != c.sizes["J"] and len(c.args["cells"]) > 1  # noqa: E731
    wrong = {fn.__name__: fn for _, fn, _ in WRONG_ANSWERS}
    for name in ("stack_every_layer_reads_xs", "stack_with_one_cell"):
        message = _message_on(check, wrong[name], non_square)
        assert "x_t must have shape" in message
        assert "Only the first layer (`cells[0]`) reads `xs`" in message
    message = _message_on(check, wrong["stack_residual_everywhere_when_sizes_allow"],
                          lambda c: non_square(c) and c.args["residual"])
    assert "the first layer reads x" in message and "never does" in message
    message = _message_on(lab7.check_lstm_cells_from_torch, wrong["cells_with_u_and_w_swapped"],
                          lambda c: c.sizes["D"] != c.sizes["J"])
    assert "U from `weight_ih`, W from `weight_hh`" in message


def test_structure_messages_for_lstm_states():
    def pairs_as_a_list(cells_, xs, states, residual=False):
        output, final = SOLUTIONS.stacked_forward(cells_, xs, states, residual)
        return output, list(final) if isinstance(final, tuple) else final  # a list: fine
    assert lab7.check_stacked_forward(pairs_as_a_list).passed

    def h_n_only(cells_, xs, states, residual=False):
        output, final = SOLUTIONS.stacked_forward(cells_, xs, states, residual)
        return output, final[0] if isinstance(final, tuple) else final
    message = lab7.check_stacked_forward(h_n_only).message
    assert "(h_n, c_n)" in message and "value 1" not in message


# --- Exercises 4 and 5: the stacked bidirectional LSTM ------------------------------------------
@pytest.mark.parametrize("L", [1, 2, 3])
def test_the_bidirectional_references_equal_torch(L):
    rng = np.random.default_rng(L)
    lstm = random_torch_module("lstm", rng, 3, 4, L, bidirectional=True)
    xs = torch.from_numpy(rng.normal(size=(2, 5, 3)))
    states = tuple(torch.from_numpy(rng.normal(size=(2 * L, 2, 4))) for _ in range(2))
    with torch.no_grad():
        theirs = lstm(xs, states)
        layers = lab7.reference_bidirectional_cells_from_torch(lstm)
        for ours in (lab7.reference_bidirectional_stack_forward(layers, xs, states),
                     lab7._bi_stack(layers, xs, states),
                     SOLUTIONS.bidirectional_stack_forward(
                         SOLUTIONS.bidirectional_cells_from_torch(lstm), xs, states)):
            torch.testing.assert_close(ours[0], theirs[0], rtol=1e-12, atol=1e-12)
            for a, b in zip(ours[1], theirs[1]):
                torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_the_bidirectional_cases_cover_the_edges():
    cases = lab7.check_bidirectional_stack_forward.make_cases(np.random.default_rng(0))
    first = cases[0]
    assert first.sizes["D"] == first.sizes["J"] and first.sizes["L"] == 1   # a backward cell
    assert {c.sizes["L"] for c in cases} == {1, 2, 3}                        # fed by the forward runs
    assert any(c.sizes["D"] != c.sizes["J"] for c in cases)
    assert any(c.sizes["B"] == 1 for c in cases) and any(c.sizes["T"] == 1 for c in cases)
    for case in cases:
        h_0, c_0 = case.args["states"]
        assert h_0.shape[0] == 2 * case.sizes["L"] and h_0.abs().min() > 0 and c_0.abs().min() > 0
        everything = [cell for pair in case.args["layers"] for cell in pair]
        assert len({id(c) for c in everything}) == len(everything)
    modules = [c.args["lstm"] for c in lab7.check_bidirectional_cells_from_torch.make_cases(
        np.random.default_rng(0))]
    assert modules[0].input_size == 2 * modules[0].hidden_size     # a wrong layer's U still fits
    for lstm in modules:
        assert lstm.bidirectional and lstm.weight_ih_l0.dtype == torch.float64
        assert not torch.allclose(lstm.weight_ih_l0, lstm.weight_ih_l0_reverse)
        assert not torch.allclose(lstm.bias_ih_l0_reverse, lstm.bias_hh_l0_reverse)


def test_every_named_bidirectional_mistake_has_its_own_message():
    for name in ("bidirectional_cells_from_torch", "bidirectional_stack_forward"):
        descriptions = [m.description for m in CHECKS[name].mistakes]
        assert len(set(descriptions)) == len(descriptions) >= 8
    wrong = {fn.__name__: fn for _, fn, _ in WRONG_ANSWERS}
    check = CHECKS["bidirectional_stack_forward"]
    messages = {name: check(wrong[name]).message.split("(Failed on")[0] for name in (
        "bi_next_layer_reads_the_forward_half", "bi_every_layer_reads_xs",
        "bi_backward_reads_the_forward_outputs", "bi_backward_outputs_left_reversed",
        "bi_h_n_forward_rows_first", "bi_h_n_read_from_the_last_step")}
    assert len(set(messages.values())) == len(messages)


def test_a_broken_run_layer_is_named_before_the_stack_is_blamed():
    namespace = {"torch": torch}
    exec(inspect.getsource(run_layer).replace("xs[:, t]", "xs[:, 0]"), namespace)  # a stale edit
    exec(inspect.getsource(SOLUTIONS.bidirectional_stack_forward), namespace)
    message = CHECKS["bidirectional_stack_forward"](namespace["bidirectional_stack_forward"]).message
    assert "calls your `run_layer`, which was checked first and does not pass its own check" in message
    assert lab7.check_run_layer(run_layer).passed


def test_the_new_checks_stay_far_within_their_time_limit():
    """CPU seconds per check (what the limit counts), so a busy machine does not fail it."""
    for name in ("bidirectional_cells_from_torch", "bidirectional_stack_forward"):
        wrong = [fn for exercise, fn, _ in WRONG_ANSWERS if exercise == name]
        start = time.process_time()
        for answer in [getattr(SOLUTIONS, name)] + wrong:
            CHECKS[name](answer)
        per_check = (time.process_time() - start) / (1 + len(wrong))
        assert per_check < CHECKS[name].time_limit_s / 5, name
