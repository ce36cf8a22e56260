"""Lab 5's checks: the references equal torch.nn.LSTM, other right answers pass, every known
mistake is named, the cases make every term observable."""
import copy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from utils import cells, data, models
from utils.checks import lab5
from utils.checks.core import random_torch_module
from utils.checks.lab5 import CHECKS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "labs" / "lab05_build_an_lstm.ipynb"
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).parent))
from lab_files import load_lab  # noqa: E402
from wrong_answers.lab5 import WRONG_ANSWERS  # noqa: E402


LAB = load_lab(5)
SOLUTIONS = LAB.solutions


def notebook_stubs() -> dict:
    """The exercise functions exactly as the committed notebook defines them."""
    return LAB.stubs


def test_every_exercise_has_a_check_a_solution_and_a_stub():
    assert set(CHECKS) == {"lstm_cell_forward", "lstm_forward", "lstm_cell_backward",
                           "params_from_torch_lstm", "char_lstm_step", "set_forget_bias"}
    assert all(callable(getattr(SOLUTIONS, name, None)) for name in CHECKS)
    assert set(notebook_stubs()) == set(CHECKS)


# --- the references are what PyTorch computes ---------------------------------------------------
def _torch_lstm(D, J, seed):
    return random_torch_module("lstm", np.random.default_rng(seed), D, J)


@pytest.mark.parametrize("D, J", [(3, 5), (4, 4), (1, 2)])
def test_references_equal_torch_nn_lstm_and_the_course_cell(D, J):
    """Exercises 1-3's references, chained, reproduce torch.nn.LSTM and utils.cells.LSTMCell
    from a non-zero initial state (float64)."""
    lstm = _torch_lstm(D, J, seed=D * 10 + J)
    rng = np.random.default_rng(1)
    xs, h0, c0 = rng.normal(size=(6, D)), rng.normal(size=J), rng.normal(size=J)
    params = lab5.reference_params_from_torch_lstm(lstm)
    hs, cs = lab5.reference_lstm_forward(xs, h0, c0, params)
    with torch.no_grad():
        out, (h_n, c_n) = lstm(torch.from_numpy(xs)[None],
                               (torch.from_numpy(h0)[None, None], torch.from_numpy(c0)[None, None]))
    np.testing.assert_allclose(hs, out[0].numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cs[-1], c_n[0, 0].numpy(), rtol=1e-12, atol=1e-14)
    cell = cells.LSTMCell(D, J).double().load_torch_weights(lstm)
    state = (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None])
    with torch.no_grad():
        for t in range(len(xs)):
            state = cell.step(torch.from_numpy(xs[t])[None], state)
            np.testing.assert_allclose(state[0][0].numpy(), hs[t], rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(state[1][0].numpy(), cs[t], rtol=1e-12, atol=1e-14)
    for gate, torch_gate in zip(lab5.TORCH_ORDER, cell.gate_names):
        for matrix in "UWb":
            np.testing.assert_array_equal(params[f"{matrix}_{gate}"],
                                          cell.block(torch_gate, matrix).detach().numpy())


# --- the backward reference: finite differences and torch autograd --------------------------
def _backward_problem(D, J, seed):
    rng = np.random.default_rng(seed)
    f = lab5.fixture(rng, 3, D, J)
    return (rng.normal(size=J), rng.normal(size=J), f["x_t"], f["h_prev"], f["c_prev"],
            f["params"])


@pytest.mark.parametrize("D, J", [(3, 4), (1, 2), (4, 4)])
def test_backward_reference_equals_finite_differences(D, J):
    """Every entry of every gradient, against central differences of
    L = dh_t · h_t + dc_t · c_t computed with the forward reference (float64)."""
    dh_t, dc_t, x_t, h_prev, c_prev, params = _backward_problem(D, J, seed=D * 10 + J)
    grads = lab5.reference_lstm_cell_backward(dh_t, dc_t, x_t, h_prev, c_prev, params)

    def loss(x, h, c, p):
        h_t, c_t = lab5.reference_lstm_cell_forward(x, h, c, p)
        return dh_t @ h_t + dc_t @ c_t

    arrays = {"dx": x_t, "dh_prev": h_prev, "dc_prev": c_prev,
              **{f"d{name}": params[name] for name in lab5.PARAM_NAMES}}
    assert set(grads) == set(arrays) == set(lab5.GRAD_NAMES)
    eps = 1e-6
    for key, array in arrays.items():
        numeric = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            bumped = []
            for sign in (1, -1):
                inputs = {"x": x_t.copy(), "h": h_prev.copy(), "c": c_prev.copy(),
                          "p": {k: v.copy() for k, v in params.items()}}
                state = {"dx": inputs["x"], "dh_prev": inputs["h"], "dc_prev": inputs["c"]}
                target = state[key] if key in state else inputs["p"][key[1:]]
                target[index] += sign * eps
                bumped.append(loss(**inputs))
            numeric[index] = (bumped[0] - bumped[1]) / (2 * eps)
        np.testing.assert_allclose(grads[key], numeric, rtol=1e-6, atol=1e-8, err_msg=key)


@pytest.mark.parametrize("D, J", [(3, 5), (4, 4), (1, 2)])
def test_backward_reference_equals_torch_autograd_on_lstmcell(D, J):
    """torch.nn.LSTMCell (float64, both biases non-zero), its weights read into the course's
    names block by block (i, f, g, o); autograd of dh_t · h_t + dc_t · c_t gives every gradient."""
    torch.manual_seed(D * 10 + J)
    cell = torch.nn.LSTMCell(D, J).double()
    rng = np.random.default_rng(J)
    dh_t, dc_t = rng.normal(size=J), rng.normal(size=J)
    x = torch.tensor(rng.normal(size=D), requires_grad=True)
    h = torch.tensor(rng.uniform(-0.9, 0.9, size=J), requires_grad=True)
    c = torch.tensor(rng.uniform(-2.5, 2.5, size=J), requires_grad=True)
    h_t, c_t = cell(x[None], (h[None], c[None]))
    (h_t[0] @ torch.from_numpy(dh_t) + c_t[0] @ torch.from_numpy(dc_t)).backward()

    def blocks(tensor):
        return {gate: tensor[k * J:(k + 1) * J].detach().numpy()
                for k, gate in enumerate(lab5.TORCH_ORDER)}

    U, W = blocks(cell.weight_ih), blocks(cell.weight_hh)
    b = blocks(cell.bias_ih + cell.bias_hh)
    params = {f"{m}_{g}": {"U": U, "W": W, "b": b}[m][g] for g in lab5.GATES for m in "UWb"}
    grads = lab5.reference_lstm_cell_backward(dh_t, dc_t, x.detach().numpy(),
                                              h.detach().numpy(), c.detach().numpy(), params)
    dU, dW = blocks(cell.weight_ih.grad), blocks(cell.weight_hh.grad)
    db_ih, db_hh = blocks(cell.bias_ih.grad), blocks(cell.bias_hh.grad)
    for g in lab5.GATES:
        np.testing.assert_allclose(grads[f"dU_{g}"], dU[g], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(grads[f"dW_{g}"], dW[g], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(grads[f"db_{g}"], db_ih[g], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(grads[f"db_{g}"], db_hh[g], rtol=1e-12, atol=1e-14)
    for key, tensor in (("dx", x), ("dh_prev", h), ("dc_prev", c)):
        np.testing.assert_allclose(grads[key], tensor.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_backward_cases_cover_the_edge_gradients():
    cases = lab5.check_lstm_cell_backward.make_cases(np.random.default_rng(0))
    assert cases[0].sizes["D"] != cases[0].sizes["J"]
    assert any(c.sizes["D"] == c.sizes["J"] for c in cases)
    assert any(not c.args["dc_t"].any() and c.args["dh_t"].all() for c in cases)
    assert any(not c.args["dh_t"].any() and c.args["dc_t"].all() for c in cases)
    first = cases[0].args
    assert first["dh_t"].all() and first["dc_t"].all() and np.abs(first["c_prev"]).min() > 1.0


def test_reference_char_step_equals_charlm():
    torch.manual_seed(3)
    model = models.CharLM(9, hidden_size=6, cell="lstm", embedding_dim=4, backend="torch").double()
    lm = {"E": model.embedding.weight.detach().numpy(),
          "lstm": lab5.reference_params_from_torch_lstm(model.core),
          "V": model.head.weight.detach().numpy(), "b_y": model.head.bias.detach().numpy()}
    ids = [1, 5, 7, 4, 8]
    with torch.no_grad():
        expected, _ = model(torch.tensor([ids]))
    h, c = np.zeros(6), np.zeros(6)
    for t, token in enumerate(ids):
        logits, h, c = lab5.reference_char_lstm_step(token, h, c, lm)
        np.testing.assert_allclose(logits, expected[0, t].numpy(), rtol=1e-12, atol=1e-13)


def test_solutions_equal_the_references_in_the_notebook_demo():
    """The notebook's names model: the solution functions give PyTorch's logits."""
    vocab = data.Vocab(list("abcde"))
    torch.manual_seed(0)
    model = models.CharLM(len(vocab), hidden_size=8, cell="lstm", embedding_dim=3,
                          backend="torch")
    model64 = copy.deepcopy(model).double()
    lm = {"E": model64.embedding.weight.detach().numpy(),
          "lstm": SOLUTIONS.params_from_torch_lstm(model64.core),
          "V": model64.head.weight.detach().numpy(), "b_y": model64.head.bias.detach().numpy()}
    ids = vocab.encode("abcab", bos=True)
    with torch.no_grad():
        expected = model64(torch.tensor([ids]))[0][0].numpy()
    h, c, got = np.zeros(8), np.zeros(8), []
    for token in ids:
        logits, h, c = SOLUTIONS.char_lstm_step(token, h, c, lm)
        got.append(logits)
    np.testing.assert_allclose(np.array(got), expected, rtol=1e-12, atol=1e-13)


# --- other correct ways to write the exercises: the checks must accept them all ---------------
def cell_with_stacked_matrices(x_t, h_prev, c_prev, params):
    """One (4J, D) and one (4J, J) product, as PyTorch does, then split."""
    order = ["f", "i", "o", "c"]
    U = np.vstack([params["U_" + g] for g in order])
    W = np.vstack([params["W_" + g] for g in order])
    b = np.concatenate([params["b_" + g] for g in order])
    f, i, o, g = np.split(U @ x_t + W @ h_prev + b, 4)
    sig = lambda a: np.exp(-np.logaddexp(0, -a))    # noqa: E731  stable sigmoid
    c_t = sig(f) * c_prev + sig(i) * np.tanh(g)
    return sig(o) * np.tanh(c_t), c_t


def cell_in_torch(x_t, h_prev, c_prev, params):
    p = {k: torch.from_numpy(v) for k, v in params.items()}
    x, h, c = (torch.from_numpy(a) for a in (x_t, h_prev, c_prev))
    pre = {g: p["W_" + g] @ h + p["U_" + g] @ x + p["b_" + g] for g in "fioc"}
    c_t = torch.sigmoid(pre["f"]) * c + torch.sigmoid(pre["i"]) * torch.tanh(pre["c"])
    return (torch.sigmoid(pre["o"]) * torch.tanh(c_t)).numpy(), c_t.numpy()


def forward_with_lists(xs, h0, c0, params):
    h, c = h0.copy(), c0.copy()
    hs, cs = [], []
    for x_t in xs:
        h, c = SOLUTIONS.lstm_cell_forward(x_t, h, c, params)
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


def params_with_chunk(lstm):
    U = lstm.weight_ih_l0.detach().chunk(4)
    W = lstm.weight_hh_l0.detach().chunk(4)
    b = (lstm.bias_ih_l0.detach() + lstm.bias_hh_l0.detach()).chunk(4)
    out = {}
    for k, gate in enumerate("ifco"):
        out["U_" + gate], out["W_" + gate], out["b_" + gate] = (
            U[k].numpy().copy(), W[k].numpy().copy(), b[k].numpy().copy())
    return out


def params_through_the_course_cell(lstm):
    cell = cells.LSTMCell(lstm.input_size, lstm.hidden_size).double().load_torch_weights(lstm)
    names = {"i": "i", "f": "f", "g": "c", "o": "o"}
    return {f"{m}_{names[g]}": cell.block(g, m).detach().numpy().copy()
            for g in cell.gate_names for m in "UWb"}


def params_as_views(lstm):                           # no copies: still the right values
    J = lstm.hidden_size
    b = lstm.bias_ih_l0.detach().numpy() + lstm.bias_hh_l0.detach().numpy()
    return {f"{m}_{g}": a[k * J:(k + 1) * J] for k, g in enumerate("ifco")
            for m, a in (("U", lstm.weight_ih_l0.detach().numpy()),
                         ("W", lstm.weight_hh_l0.detach().numpy()), ("b", b))}


def step_with_one_hot_times_E(token, h_prev, c_prev, lm):
    x_t = np.eye(len(lm["E"]))[token] @ lm["E"]      # the same row, the long way
    h_t, c_t = SOLUTIONS.lstm_cell_forward(x_t, h_prev, c_prev, lm["lstm"])
    return lm["V"] @ h_t + lm["b_y"], h_t, c_t


def step_returning_a_list(token, h_prev, c_prev, lm):
    h_t, c_t = cell_with_stacked_matrices(lm["E"][token], h_prev, c_prev, lm["lstm"])
    return [h_t @ lm["V"].T + lm["b_y"], h_t, c_t]


def backward_with_torch_autograd(dh_t, dc_t, x_t, h_prev, c_prev, params):
    """Let autograd do it: the forward in torch, then backward from dh_t · h_t + dc_t · c_t."""
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    x, h, c = (torch.tensor(a, requires_grad=True) for a in (x_t, h_prev, c_prev))
    pre = {g: p["W_" + g] @ h + p["U_" + g] @ x + p["b_" + g] for g in "fioc"}
    c_t = torch.sigmoid(pre["f"]) * c + torch.sigmoid(pre["i"]) * torch.tanh(pre["c"])
    h_t = torch.sigmoid(pre["o"]) * torch.tanh(c_t)
    (h_t @ torch.from_numpy(dh_t) + c_t @ torch.from_numpy(dc_t)).backward()
    grads = {"d" + k: v.grad.numpy() for k, v in p.items()}
    grads.update(dx=x.grad.numpy(), dh_prev=h.grad.numpy(), dc_prev=c.grad.numpy())
    return grads


def backward_with_stacked_matrices(dh_t, dc_t, x_t, h_prev, c_prev, params):
    """All four gates in one (4J,) vector, as PyTorch stores them, split at the end."""
    order = ["f", "i", "o", "c"]
    U = np.vstack([params["U_" + g] for g in order])
    W = np.vstack([params["W_" + g] for g in order])
    b = np.concatenate([params["b_" + g] for g in order])
    a_f, a_i, a_o, a_c = np.split(W @ h_prev + U @ x_t + b, 4)
    f, i, o = (np.exp(-np.logaddexp(0, -a)) for a in (a_f, a_i, a_o))
    g = np.tanh(a_c)
    c_t = f * c_prev + i * g
    dc = dc_t + dh_t * o * (1 - np.tanh(c_t) ** 2)
    da = np.concatenate([dc * c_prev * f * (1 - f), dc * g * i * (1 - i),
                         dh_t * np.tanh(c_t) * o * (1 - o), dc * i * (1 - g ** 2)])
    dU, dW, db = np.outer(da, x_t), np.outer(da, h_prev), da
    grads = {}
    for k, gate in enumerate(order):
        rows = slice(k * len(b) // 4, (k + 1) * len(b) // 4)
        grads["dU_" + gate], grads["dW_" + gate], grads["db_" + gate] = dU[rows], dW[rows], db[rows]
    return {**grads, "dx": U.T @ da, "dh_prev": W.T @ da, "dc_prev": dc * f}


def _bias_pairs(lstm):
    suffixes = ["", "_reverse"] if lstm.bidirectional else [""]
    return [(getattr(lstm, f"bias_ih_l{k}{s}"), getattr(lstm, f"bias_hh_l{k}{s}"))
            for k in range(lstm.num_layers) for s in suffixes]


def forget_bias_split_in_halves(lstm, value):             # only the sum counts
    if not lstm.bias:
        raise ValueError("bias=False: nothing to set")
    J = lstm.hidden_size
    with torch.no_grad():
        for b_ih, b_hh in _bias_pairs(lstm):
            b_ih[J:2 * J] = value / 2
            b_hh[J:2 * J] = value / 2
    return lstm


def forget_bias_keeping_bias_hh(lstm, value):              # b_ih = value - b_hh
    if not lstm.bias:
        raise ValueError("bias=False: nothing to set")
    J = lstm.hidden_size
    with torch.no_grad():
        for b_ih, b_hh in _bias_pairs(lstm):
            b_ih[J:2 * J] = value - b_hh[J:2 * J]
    return lstm


def forget_bias_through_data(lstm, value):                 # .data: the same Parameter objects
    if not lstm.bias:
        raise ValueError("bias=False: nothing to set")
    J = lstm.hidden_size
    for b_ih, b_hh in _bias_pairs(lstm):
        b_ih.data[J:2 * J] = value
        b_hh.data[J:2 * J] = 0
    return lstm


def forget_bias_with_init_constant(lstm, value):           # nn.init works under no_grad
    if not lstm.bias:
        raise ValueError("bias=False: nothing to set")
    J = lstm.hidden_size
    for b_ih, b_hh in _bias_pairs(lstm):
        torch.nn.init.constant_(b_ih[J:2 * J], value)
        torch.nn.init.zeros_(b_hh[J:2 * J])
    return lstm


def forget_bias_by_parameter_names(lstm, value):
    if not lstm.bias:
        raise ValueError("bias=False: nothing to set")
    J = lstm.hidden_size
    with torch.no_grad():
        for name, p in lstm.named_parameters():
            if name.startswith("bias_ih"):
                p[J:2 * J].fill_(value)
            elif name.startswith("bias_hh"):
                p[J:2 * J].zero_()
    return lstm


def forget_bias_through_detached_views(lstm, value):       # detach() shares the memory
    if not lstm.bias:
        raise ValueError("bias=False: nothing to set")
    J = lstm.hidden_size
    for b_ih, b_hh in _bias_pairs(lstm):
        b_ih.detach()[J:2 * J] = value
        b_hh.detach()[J:2 * J] = 0.0
    return lstm


OTHER_RIGHT_ANSWERS = [
    ("set_forget_bias", forget_bias_split_in_halves),
    ("set_forget_bias", forget_bias_keeping_bias_hh),
    ("set_forget_bias", forget_bias_through_data),
    ("set_forget_bias", forget_bias_with_init_constant),
    ("set_forget_bias", forget_bias_by_parameter_names),
    ("set_forget_bias", forget_bias_through_detached_views),
    ("lstm_cell_forward", cell_with_stacked_matrices), ("lstm_cell_forward", cell_in_torch),
    ("lstm_forward", forward_with_lists),
    ("lstm_cell_backward", backward_with_torch_autograd),
    ("lstm_cell_backward", backward_with_stacked_matrices),
    ("params_from_torch_lstm", params_with_chunk),
    ("params_from_torch_lstm", params_through_the_course_cell),
    ("params_from_torch_lstm", params_as_views),
    ("char_lstm_step", step_with_one_hot_times_E), ("char_lstm_step", step_returning_a_list),
]


@pytest.mark.parametrize("name, answer", OTHER_RIGHT_ANSWERS,
                         ids=[fn.__name__ for _, fn in OTHER_RIGHT_ANSWERS])
def test_other_correct_answers_pass(name, answer):
    result = CHECKS[name](answer)
    assert result.passed, result.message


# --- mistakes, garbage, speed --------------------------------------------------------------------
@pytest.mark.parametrize("name", CHECKS)
def test_every_known_mistake_is_rejected_and_named_when_it_runs(name):
    """Each Mistake's variant, handed in as an answer, fails; it is named unless it cannot
    run on the first case (e.g. `x_t @ U` needs a square U) or has the wrong shape there."""
    check = CHECKS[name]
    for mistake in check.mistakes:
        result = check(mistake.variant)
        assert not result.passed and result.status == "failed", mistake.description
        assert (mistake.description in result.message or "raised" in result.message
                or "has shape" in result.message), result.message


def test_the_mistakes_the_issue_names_are_among_the_wrong_answers():
    named = {fn.__name__ for _, fn, _ in WRONG_ANSWERS}
    assert {"cell_candidate_sigmoid", "cell_gates_tanh", "cell_activations_swapped",
            "cell_input_and_forget_swapped", "cell_no_forget_gate", "cell_forgets_everything",
            "cell_no_output_gate", "cell_h_is_o_times_c", "cell_returns_c_then_h",
            "forward_starts_from_zeros", "forward_cell_starts_from_zeros",
            "params_order_ifog", "params_order_figo", "params_only_bias_ih",
            "params_only_bias_hh", "params_transposed",
            "step_logits_from_the_cell",
            "backward_no_tanh_prime_on_h_path", "backward_dc_prev_without_f",
            "backward_sigmoid_prime_is_s", "backward_dW_outer_product_reversed",
            "backward_forget_gate_reads_c_t", "backward_dh_prev_without_output_gate",
            "backward_candidate_with_sigmoid_prime",
            "forget_bias_in_the_first_block", "forget_bias_in_block_two_counted_from_one",
            "forget_bias_only_bias_ih", "forget_bias_both_set_to_value",
            "forget_bias_only_layer_0", "forget_bias_forgets_the_reverse_direction",
            "forget_bias_new_parameters", "forget_bias_fills_everything",
            "forget_bias_changes_the_weights_too", "forget_bias_switches_gradients_off",
            "forget_bias_without_the_bias_false_guard"} <= named


def test_every_wrong_gate_order_is_a_named_mistake():
    orders = [m for m in lab5.check_params_from_torch_lstm.mistakes
              if m.description.startswith("the row blocks were read in the order")]
    assert len(orders) == 23
    assert len({m.description for m in orders}) == 23


@pytest.mark.parametrize("name", CHECKS)
def test_messages_never_blame_the_course(name):
    for answer in (None, 3, lambda: None, lambda *args: None, lambda *args: args,
                   lambda *args: 1 / 0, lambda *args: np.zeros(3), lambda *args: (np.zeros(3),) * 3,
                   lambda *args: {"U_f": np.zeros(2)}, lambda *args: torch.zeros(3), print):
        result = CHECKS[name](answer)
        assert not result.passed and "bug in the course" not in result.message, result.message


@pytest.mark.parametrize("name", CHECKS)
def test_checks_are_deterministic(name):
    CHECKS[name](getattr(SOLUTIONS, name))                 # warm up
    first = CHECKS[name](getattr(SOLUTIONS, name))
    for answer in [fn for exercise, fn, _ in WRONG_ANSWERS if exercise == name][:4]:
        assert CHECKS[name](answer).message == CHECKS[name](answer).message
    assert first.message == CHECKS[name](getattr(SOLUTIONS, name)).message


@pytest.mark.parametrize("name", CHECKS)
def test_checks_leave_the_global_random_state_alone(name):
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()[1].copy()
    for answer in (getattr(SOLUTIONS, name), WRONG_ANSWERS[0][1]):
        CHECKS[name](answer)
    assert torch.equal(torch_state, torch.get_rng_state())
    assert np.array_equal(numpy_state, np.random.get_state()[1])


# --- the cases make every term observable ------------------------------------------------------
def test_numpy_cases_are_non_square_non_zero_and_float64():
    for check in (lab5.check_lstm_cell_forward, lab5.check_lstm_forward):
        cases = check.make_cases(np.random.default_rng(0))
        assert cases[0].sizes["D"] != cases[0].sizes["J"]
        assert any(c.sizes["D"] == c.sizes["J"] for c in cases)     # square U: a transposed U runs
        for case in [c for c in cases if c.label != "large inputs"]:
            arrays = [v for v in case.args.values() if isinstance(v, np.ndarray)]
            arrays += list(case.args["params"].values())
            assert all(a.dtype == np.float64 and np.all(a != 0) for a in arrays)
            biases = [case.args["params"][f"b_{g}"] for g in lab5.GATES]
            assert len({b.tobytes() for b in biases}) == 4             # four different biases
    for case in lab5.check_lstm_cell_forward.make_cases(np.random.default_rng(0))[:3]:
        assert np.abs(case.args["c_prev"]).min() > 1.0                 # tanh(c) far from c
    forward_cases = lab5.check_lstm_forward.make_cases(np.random.default_rng(0))
    assert np.abs(forward_cases[0].args["c0"]).min() >= 1.0
    assert forward_cases[0].sizes["T"] > 1


def test_torch_cases_have_two_different_non_zero_biases():
    for case in lab5.check_params_from_torch_lstm.make_cases(np.random.default_rng(0)):
        lstm = case.args["lstm"]
        assert all(p.dtype == torch.float64 for p in lstm.parameters())
        b_ih, b_hh = lstm.bias_ih_l0.detach(), lstm.bias_hh_l0.detach()
        assert (b_ih != 0).all() and (b_hh != 0).all() and not torch.allclose(b_ih, b_hh)
    cases = lab5.check_params_from_torch_lstm.make_cases(np.random.default_rng(0))
    sizes = [c.sizes for c in cases]
    assert sizes[0]["D"] != sizes[0]["J"] and any(s["D"] == s["J"] for s in sizes)


def test_language_model_cases_cover_square_V_and_square_E():
    cases = lab5.check_char_lstm_step.make_cases(np.random.default_rng(0))
    assert len(set(cases[0].sizes.values())) == 3
    assert any(c.sizes["K"] == c.sizes["J"] for c in cases)
    assert any(c.sizes["K"] == c.sizes["D"] for c in cases)
    assert all(np.all(c.args["lm"]["b_y"] != 0) for c in cases)


# --- Exercise 6: the forget-gate bias ---------------------------------------------------------
def _probe_modules():
    """The LSTMs the probes of check_set_forget_bias hand to the learner (before any call)."""
    seen, first = [], set()

    def spy(lstm, value):
        seen.append((copy.deepcopy(lstm), value, id(lstm) not in first))
        first.add(id(lstm))
        return lab5.reference_set_forget_bias(lstm, value)
    assert CHECKS["set_forget_bias"](spy).passed
    return seen


def test_forget_bias_cases_cover_layers_directions_values_and_dtypes():
    seen = _probe_modules()
    lstms = [lstm for lstm, _, _ in seen]
    assert {lstm.num_layers for lstm in lstms} == {1, 2, 3}
    assert any(lstm.bidirectional for lstm in lstms) and not all(l.bidirectional for l in lstms)
    assert any(lstm.input_size != lstm.hidden_size for lstm in lstms)
    values = [value for _, value, _ in seen]
    assert any(isinstance(v, int) and v != 0 for v in values)
    assert any(isinstance(v, float) for v in values)
    assert 0 in values and any(v < 0 for v in values)
    assert {next(lstm.parameters()).dtype for lstm in lstms} == {torch.float32, torch.float64}
    fresh = [lstm for lstm, _, is_first in seen if is_first and lstm.bias]
    assert len(fresh) < len(lstms)                  # a second call on the same LSTM
    for lstm in fresh:                  # both biases random, non-zero and different
        for b_ih, b_hh in _bias_pairs(lstm):
            J = lstm.hidden_size
            assert (b_ih != 0).all() and (b_hh[J:2 * J] != 0).all()
            assert not torch.allclose(b_ih, b_hh)
    shapes = [tuple(p.shape for p in lstm.parameters()) for lstm in lstms]
    assert len(shapes) != len(set(shapes))          # repeated calls on equal shapes


def test_forget_bias_reference_sums_to_the_value_like_tasks_gate_bias():
    """The reference gives every forget gate the bias that tasks.gate_bias gives layer 0, and
    computes what an LSTM cell with b_f = value computes."""
    from utils import tasks
    torch.manual_seed(0)
    model = models.SequenceClassifier(9, 3, hidden_size=5, cell="lstm", embedding_dim=4,
                                      backend="torch")
    other = copy.deepcopy(model)
    tasks.gate_bias("lstm", 2.5)(model)
    lab5.reference_set_forget_bias(other.core, 2.5)
    for name, p in model.named_parameters():
        assert torch.equal(p, dict(other.named_parameters())[name]), name
    lstm = random_torch_module("lstm", np.random.default_rng(3), 3, 4, num_layers=2,
                               bidirectional=True)
    lab5.reference_set_forget_bias(lstm, -1.5)
    for b_ih, b_hh in _bias_pairs(lstm):
        assert torch.allclose(b_ih[4:8] + b_hh[4:8], torch.full((4,), -1.5, dtype=torch.float64))


def test_in_place_keeps_an_earlier_optimizer_training_the_lstm_a_new_parameter_does_not():
    """The premise of the 'new object' message: an optimizer made before the call trains the
    LSTM's forget bias after a right answer, and no longer after a replaced Parameter."""
    from wrong_answers.lab5 import forget_bias_new_parameters
    for answer, follows in [(lab5.reference_set_forget_bias, True),
                            (forget_bias_new_parameters, False)]:
        torch.manual_seed(0)
        lstm = torch.nn.LSTM(3, 4, batch_first=True)
        optimizer = torch.optim.SGD(lstm.parameters(), lr=0.1)
        answer(lstm, 1.0)
        before = lstm.bias_ih_l0.detach().clone()
        lstm(torch.randn(2, 5, 3))[0].sum().backward()
        optimizer.step()
        assert (not torch.equal(before, lstm.bias_ih_l0.detach())) == follows


def test_forget_bias_check_stays_far_within_its_time_limit():
    """CPU seconds (what the limit counts), so a busy machine does not fail it."""
    import time
    check = CHECKS["set_forget_bias"]
    start = time.process_time()
    assert check(SOLUTIONS.set_forget_bias).passed
    assert time.process_time() - start < check.time_limit_s / 5

