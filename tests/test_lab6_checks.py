"""Lab 6's checks: other right answers pass, every known mistake is named, the references
equal torch.nn's bidirectional modules, and the cases expose what they must.

(Solutions pass, stubs read "not attempted" and tests/wrong_answers/lab6.py is rejected by
name in tests/test_lab_contract.py, as for every lab.)
"""
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from torch import nn

from utils import cells, recurrent, tagging
from utils.checks import lab6
from utils.checks.core import random_cell, random_state
from utils.checks.lab6 import CHECKS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "labs" / "lab06_look_both_ways.ipynb"
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).parent))
from sync_solutions import stub_names  # noqa: E402
from wrong_answers.lab6 import WRONG_ANSWERS  # noqa: E402
from lab_files import load_lab  # noqa: E402


SOLUTIONS = load_lab(6).solutions


def notebook_namespace() -> dict:
    """The exercise stubs, and the given `run_forward`, as the committed notebook defines them."""
    namespace = {"np": np, "torch": torch}
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if stub_names(cell) or "def run_forward" in cell.source:
            exec(compile(cell.source, str(NOTEBOOK), "exec"), namespace)
    return namespace


def test_every_exercise_has_a_check_a_solution_and_a_stub():
    assert set(CHECKS) == {"run_backward", "bidirectional", "sequence_summary", "insert_spaces"}
    assert all(callable(getattr(SOLUTIONS, name, None)) for name in CHECKS)
    namespace = notebook_namespace()
    assert all(name in namespace for name in CHECKS)


def test_the_notebooks_run_forward_is_the_one_the_solutions_use():
    given = notebook_namespace()["run_forward"]
    rng = np.random.default_rng(0)
    for kind in ("rnn", "lstm"):
        cell = random_cell(kind, 3, 4, rng)
        xs = torch.from_numpy(rng.normal(size=(2, 5, 3)))
        state = random_state(kind, (2, 4), rng)
        theirs, ours = given(cell, xs, state), SOLUTIONS.run_forward(cell, xs, state)
        assert torch.equal(theirs[0], ours[0])
        expected, _ = recurrent.Unrolled(cell)(xs, state)
        assert torch.allclose(theirs[0], expected)


# --- other correct ways to write the exercises: the checks must accept them all -------------
def backward_by_flipping(cell, xs, state):
    outputs = []
    for x_t in xs.flip(1).unbind(dim=1):
        state = cell.step(x_t, state)
        outputs.append(cell.hidden(state))
    return torch.stack(outputs, dim=1).flip(1), state


def backward_with_the_course_module(cell, xs, state):
    return recurrent.Unrolled(cell, reverse=True)(xs, state)


def backward_filling_a_tensor(cell, xs, state):
    B, T, _ = xs.shape
    outputs = torch.zeros(B, T, cell.hidden_size, dtype=xs.dtype)
    for t in range(T - 1, -1, -1):
        state = cell.step(xs[:, t, :], state)
        outputs[:, t, :] = cell.hidden(state)
    return outputs, state


def bidirectional_with_index_flips(forward_cell, backward_cell, xs):
    B, T = xs.shape[:2]
    order = torch.arange(T - 1, -1, -1)
    state_f = forward_cell.init_state(B, dtype=xs.dtype)
    state_b = backward_cell.init_state(B, dtype=xs.dtype)
    outs_f, outs_b = [], []
    for t in range(T):
        state_f = forward_cell.step(xs[:, t], state_f)
        outs_f.append(forward_cell.hidden(state_f))
        state_b = backward_cell.step(xs[:, order[t]], state_b)
        outs_b.append(backward_cell.hidden(state_b))
    out_f, out_b = torch.stack(outs_f, 1), torch.stack(outs_b, 1)[:, order]
    output = torch.cat((out_f, out_b), dim=2)
    J = forward_cell.hidden_size
    return output, torch.stack((output[:, -1, :J], output[:, 0, J:]))


def bidirectional_with_the_course_module(forward_cell, backward_cell, xs):
    output, (fwd, bwd) = recurrent.Bidirectional(forward_cell, backward_cell)(xs)
    return output, torch.stack([forward_cell.hidden(fwd), backward_cell.hidden(bwd)])


def summary_with_chunk_and_gather(output, lengths):
    forward, backward = output.chunk(2, dim=-1)
    index = (lengths - 1).view(-1, 1, 1).expand(-1, 1, forward.shape[-1])
    return torch.hstack([forward.gather(1, index)[:, 0], backward[:, 0]])


def summary_with_a_loop(output, lengths):
    J = output.size(2) // 2
    rows = [torch.cat((output[b, int(n) - 1, :J], output[b, 0, J:]))
            for b, n in enumerate(lengths)]
    return torch.stack(rows)


def spaces_with_a_loop(model, vocab, letters):
    ids = torch.LongTensor([vocab.encode(letters)])
    probabilities = torch.softmax(model(ids), dim=-1)[0]
    text = ""
    for ch, p in zip(letters, probabilities):
        text += ch + (" " if p[1] > 0.5 else "")
    return text.strip()


def spaces_with_tag_predictions(model, vocab, letters):
    ids = torch.tensor(vocab.encode(letters)).unsqueeze(0)
    tags = tagging.tag_predictions(model, ids)[0]
    return tagging.restore_spaces(letters, tags)


OTHER_RIGHT_ANSWERS = [
    ("run_backward", backward_by_flipping), ("run_backward", backward_with_the_course_module),
    ("run_backward", backward_filling_a_tensor),
    ("bidirectional", bidirectional_with_index_flips),
    ("bidirectional", bidirectional_with_the_course_module),
    ("sequence_summary", summary_with_chunk_and_gather),
    ("sequence_summary", summary_with_a_loop),
    ("insert_spaces", spaces_with_a_loop), ("insert_spaces", spaces_with_tag_predictions),
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
                   lambda *args: torch.zeros(3), lambda *args: (torch.zeros(2), torch.zeros(2)),
                   lambda *args: "text", lambda *args: 0.5, print):
        result = CHECKS[name](answer)
        assert not result.passed and "bug in the course" not in result.message, result.message


@pytest.mark.parametrize("name", CHECKS)
def test_checks_are_deterministic(name):
    CHECKS[name](getattr(SOLUTIONS, name))                 # warm up (lazy imports in torch)
    first = CHECKS[name](getattr(SOLUTIONS, name))
    for exercise, fn, _ in WRONG_ANSWERS:
        if exercise == name:
            assert CHECKS[name](fn).message == CHECKS[name](fn).message
    assert first.message == CHECKS[name](getattr(SOLUTIONS, name)).message


@pytest.mark.parametrize("name", CHECKS)
def test_checks_leave_the_global_torch_generator_alone(name):
    """A check run must not change what the notebook's next random draw gives."""
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    wrong = [fn for exercise, fn, _ in WRONG_ANSWERS if exercise == name]
    for answer in (getattr(SOLUTIONS, name), *wrong[:3]):
        CHECKS[name](answer)
    assert torch.equal(torch.rand(3), expected)


def test_a_failing_run_backward_is_pointed_out_by_the_bidirectional_check():
    namespace = {"torch": torch}
    exec("def run_forward(cell, xs, state):\n"
         "    outs = []\n"
         "    for t in range(xs.shape[1]):\n"
         "        state = cell.step(xs[:, t], state)\n"
         "        outs.append(cell.hidden(state))\n"
         "    return torch.stack(outs, 1), state\n"
         "def run_backward(cell, xs, state):\n"
         "    outs, state = run_forward(cell, xs.flip(1), state)\n"
         "    return outs, state\n"                       # not flipped back
         "def bidirectional(forward_cell, backward_cell, xs):\n"
         "    B = xs.shape[0]\n"
         "    out_f, f = run_forward(forward_cell, xs, forward_cell.init_state(B))\n"
         "    out_b, b = run_backward(backward_cell, xs, backward_cell.init_state(B))\n"
         "    return torch.cat([out_f, out_b], -1), torch.stack([f, b])\n", namespace)
    result = CHECKS["bidirectional"](namespace["bidirectional"])
    assert not result.passed
    assert "not re-reversed" in result.message
    assert "calls `run_backward`, which does not pass its own check yet" in result.message


def test_a_new_random_backward_cell_gets_told_which_half_is_wrong():
    def bidirectional(forward_cell, backward_cell, xs):
        torch.manual_seed(0)
        fresh = cells.make_cell("rnn", xs.shape[-1], forward_cell.hidden_size).double()
        return SOLUTIONS.bidirectional(forward_cell, fresh, xs)
    message = CHECKS["bidirectional"](bidirectional).message
    assert "forward half `output[..., :J]` right" in message
    assert "backward half `output[..., J:]` wrong" in message
    assert "`h_n[0]` (forward) right" in message and "`h_n[1]` (backward) wrong" in message


# --- the references equal torch.nn ----------------------------------------------------------
@pytest.mark.parametrize("kind, Module", [("rnn", nn.RNN), ("gru", nn.GRU), ("lstm", nn.LSTM)])
def test_the_bidirectional_reference_equals_torch(kind, Module):
    torch.manual_seed(0)
    B, T, D, J = 3, 6, 4, 5
    module = Module(D, J, batch_first=True, bidirectional=True).double()
    forward_cell = cells.make_cell(kind, D, J).double().load_torch_weights(module)
    backward_cell = cells.make_cell(kind, D, J).double().load_torch_weights(module, reverse=True)
    xs = torch.randn(B, T, D, dtype=torch.float64)
    with torch.no_grad():
        output, state = module(xs)
        h_n = state[0] if kind == "lstm" else state
        ours_output, ours_h_n = lab6.reference_bidirectional(forward_cell, backward_cell, xs)
        summary = lab6.reference_sequence_summary(output, torch.full((B,), T))
    torch.testing.assert_close(ours_output, output, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(ours_h_n, h_n, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(summary, torch.cat([h_n[0], h_n[1]], dim=-1), rtol=0, atol=0)


def test_the_backward_reference_ends_after_reading_the_first_input():
    rng = np.random.default_rng(0)
    cell = random_cell("gru", 3, 4, rng)
    xs = torch.from_numpy(rng.normal(size=(2, 5, 3)))
    state = random_state("gru", (2, 4), rng)
    outputs, final = lab6.reference_run_backward(cell, xs, state)
    assert torch.equal(outputs[:, 0], final)
    # outputs[:, t] depends on xs[:, t:] only
    changed = xs.clone()
    changed[:, 0] += 1.0
    again, _ = lab6.reference_run_backward(cell, changed, state)
    assert torch.equal(again[:, 1:], outputs[:, 1:]) and not torch.equal(again[:, 0], outputs[:, 0])


# --- the cases ------------------------------------------------------------------------------
@pytest.mark.parametrize("check", [lab6.check_run_backward, lab6.check_bidirectional])
def test_cell_cases_cover_every_cell_non_square_sizes_and_one_step(check):
    cases = check.make_cases(np.random.default_rng(0))
    first = cases[0]
    sizes = [first.sizes[k] for k in ("B", "T", "D", "J")]
    assert len(set(sizes)) == 4 and first.sizes["B"] > 1 and first.sizes["T"] > 2
    assert first.sizes["T"] - 1 not in sizes            # a missing step can't pass for another size
    kinds = {type(c.args.get("cell", c.args.get("forward_cell"))) for c in cases}
    assert kinds == {cells.RNNCell, cells.GRUCell, cells.LSTMCell}
    assert any(c.sizes["T"] == 1 for c in cases)
    for case in cases:
        xs = case.args["xs"]
        assert xs.dtype == torch.float64 and not torch.allclose(xs[0], xs[1])
        models = [v for v in case.args.values() if isinstance(v, nn.Module)]
        assert all(p.dtype == torch.float64 for m in models for p in m.parameters())


def test_backward_cases_start_from_non_zero_states_that_differ_by_example():
    for case in lab6.check_run_backward.make_cases(np.random.default_rng(0)):
        state = case.args["state"]
        for part in (state if isinstance(state, tuple) else (state,)):
            assert part.abs().min() > 0 and not torch.allclose(part[0], part[1])


def test_bidirectional_cases_have_distinct_cells_and_no_size_2():
    for case in lab6.check_bidirectional.make_cases(np.random.default_rng(0)):
        f, b = case.args["forward_cell"], case.args["backward_cell"]
        assert f is not b and not torch.allclose(f.U, b.U)
        assert 2 not in case.sizes.values()             # h_n's first axis has size 2


def test_summary_cases_split_time_and_features_differently():
    cases = lab6.check_sequence_summary.make_cases(np.random.default_rng(0))
    for case in cases:
        B, T, J = case.sizes["B"], case.sizes["T"], case.sizes["J"]
        lengths = case.args["lengths"]
        assert tuple(case.args["output"].shape) == (B, T, 2 * J)
        assert case.args["output"].dtype == torch.float64
        assert lengths.dtype == torch.int64 and tuple(lengths.shape) == (B,)
        assert lengths.min() >= 1 and lengths.max() <= T
        padding = torch.arange(T)[None, :] >= lengths[:, None]
        assert torch.all(case.args["output"][padding] == 0)     # zeros, as torch pads
    first = cases[0].sizes
    assert first["T"] // 2 != first["J"] and first["T"] != 2 * first["J"]
    mixed = [c.args["lengths"] for c in cases if len(set(c.args["lengths"].tolist())) > 2]
    assert mixed and all(1 in l.tolist() and not torch.equal(l, l.sort().values) for l in mixed)
    assert any(bool((c.args["lengths"] == c.sizes["T"]).all()) and c.sizes["T"] > 1
               for c in cases)                                  # and a batch with no padding


@pytest.mark.parametrize("kind, Module", [("rnn", nn.RNN), ("gru", nn.GRU), ("lstm", nn.LSTM)])
def test_the_summary_reference_is_h_n_of_a_packed_batch(kind, Module):
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    torch.manual_seed(1)
    B, T, D, J = 4, 6, 3, 5
    module = Module(D, J, batch_first=True, bidirectional=True).double()
    xs, lengths = torch.randn(B, T, D, dtype=torch.float64), torch.tensor([4, 6, 1, 3])
    with torch.no_grad():
        packed = pack_padded_sequence(xs, lengths, batch_first=True, enforce_sorted=False)
        output, state = module(packed)
        output = pad_packed_sequence(output, batch_first=True, total_length=T)[0]
    h_n = state[0] if kind == "lstm" else state
    summary = lab6.reference_sequence_summary(output, lengths)
    torch.testing.assert_close(summary, torch.cat([h_n[0], h_n[1]], dim=-1), rtol=0, atol=0)
    ours, _ = recurrent.RecurrentNet.from_torch(module)(xs, lengths=lengths)
    torch.testing.assert_close(lab6.reference_sequence_summary(ours, lengths), summary,
                               rtol=1e-12, atol=1e-12)


def test_rigged_scores_catch_the_shortcuts():
    rng = np.random.default_rng(0)
    tags = [0, 1, 0, 1, 1, 0, 0, 1, 0]
    scores = lab6._rigged_scores(rng, tags)
    assert scores.argmax(-1).tolist() == tags
    both_positive = (scores > 0).all(-1)
    both_negative = (scores < 0).all(-1)
    assert (both_positive & (scores.argmax(-1) == 0)).any()      # tag 0 wins with score 1 > 0
    assert (both_negative & (scores.argmax(-1) == 1)).any()      # tag 1 wins with score 1 < 0


def test_the_rigged_tagger_behaves_like_a_sequence_tagger():
    model = lab6.RiggedTagger(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), vocab_size=5)
    assert model(torch.tensor([[1, 2, 3]])).shape == (1, 3, 2)
    with pytest.raises(ValueError, match="token ids must be 2-D"):
        model(torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match=r"token ids must lie in \[0, 5\)"):
        model(torch.tensor([[1, 7]]))
    assert len(model.calls) == 2                                  # the failed range check counts
