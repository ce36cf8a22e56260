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
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from utils import cells, recurrent
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
    assert set(CHECKS) == {"run_backward", "bidirectional", "sequence_summary", "make_tagger",
                           "train_tagger"}
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


class _Tagger(nn.Module):
    def __init__(self, Module, V, E, J, K, both, padding_idx=None):
        super().__init__()
        self.embed = nn.Embedding(V, E, padding_idx=padding_idx)
        self.core = Module(E, J, batch_first=True, bidirectional=both)
        self.out = nn.Linear(J * (2 if both else 1), K)

    def forward(self, ids, lengths):
        lengths = torch.as_tensor(lengths, dtype=torch.int64)
        packed = pack_padded_sequence(self.embed(ids), lengths, batch_first=True,
                                      enforce_sorted=False)
        states = pad_packed_sequence(self.core(packed)[0], batch_first=True,
                                     total_length=ids.size(1))[0]
        return self.out(states)


def tagger_with_an_lstm(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional=True):
    return _Tagger(nn.LSTM, vocab_size, embedding_dim, hidden_size, n_tags, bidirectional)


def tagger_with_an_rnn_and_a_padding_idx(vocab_size, embedding_dim, hidden_size, n_tags,
                                         bidirectional=True):
    return _Tagger(nn.RNN, vocab_size, embedding_dim, hidden_size, n_tags, bidirectional,
                   padding_idx=0)


def reverse_within_length(xs, lengths):
    """Each row's first lengths[b] steps reversed, its padding left where it is."""
    T = xs.shape[1]
    t = torch.arange(T)[None, :]
    n = torch.as_tensor(lengths)[:, None]
    index = torch.where(t < n, n - 1 - t, t)                  # (B, T)
    return xs.gather(1, index[..., None].expand_as(xs))


class _MaskedTagger(nn.Module):
    """No packing: two one-way GRUs, the backward one on each row reversed within its length."""

    def __init__(self, V, E, J, K, both):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        self.forward_rnn = nn.GRU(E, J, batch_first=True)
        self.backward_rnn = nn.GRU(E, J, batch_first=True) if both else None
        self.head = nn.Linear(J * (2 if both else 1), K)

    def forward(self, ids, lengths):
        xs = self.embedding(ids)
        states = self.forward_rnn(xs)[0]
        if self.backward_rnn is not None:
            back = self.backward_rnn(reverse_within_length(xs, lengths))[0]
            states = torch.cat([states, reverse_within_length(back, lengths)], dim=-1)
        return self.head(states)


def tagger_by_masking(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional=True):
    return _MaskedTagger(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional)


class _TwoPackedGRUs(_MaskedTagger):
    def forward(self, ids, lengths):
        lengths = torch.tensor(list(map(int, lengths)))
        xs = self.embedding(ids)
        run = lambda rnn, x: pad_packed_sequence(rnn(pack_padded_sequence(  # noqa: E731
            x, lengths, batch_first=True, enforce_sorted=False))[0], batch_first=True,
            total_length=ids.shape[1])[0]
        states = run(self.forward_rnn, xs)
        if self.backward_rnn is not None:
            back = run(self.backward_rnn, reverse_within_length(xs, lengths))
            states = torch.cat([states, reverse_within_length(back, lengths)], dim=-1)
        return self.head(states)


def tagger_with_two_one_way_grus(vocab_size, embedding_dim, hidden_size, n_tags,
                                 bidirectional=True):
    return _TwoPackedGRUs(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional)


def train_with_ignore_index(model, draw_batch, steps, lr):
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        ids, lengths, tags = draw_batch()
        T = ids.shape[1]
        pads = torch.arange(T)[None, :] >= torch.as_tensor(lengths)[:, None]
        targets = tags.masked_fill(pads, -100)             # cross_entropy's ignore_index
        scores = model(ids, lengths)
        loss = F.cross_entropy(scores.transpose(1, 2), targets)
        optimizer.zero_grad(set_to_none=False)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    return losses


def train_masking_the_loss_by_hand(model, draw_batch, steps, lr):
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        ids, lengths, tags = draw_batch()
        scores = model(ids, lengths)
        mask = (torch.arange(ids.shape[1])[None] < torch.as_tensor(lengths)[:, None]).float()
        each = F.cross_entropy(scores.reshape(-1, scores.shape[-1]), tags.reshape(-1),
                               reduction="none").view_as(mask)
        loss = (each * mask).sum() / mask.sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses)


def train_with_model_zero_grad(model, draw_batch, steps, lr):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses = []
    for _ in range(steps):
        model.zero_grad()
        ids, lengths, tags = draw_batch()
        real = torch.arange(ids.shape[1]).expand_as(ids) < torch.as_tensor(lengths).unsqueeze(1)
        loss = F.cross_entropy(model(ids, lengths)[real], tags[real])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def train_with_a_mask_from_ids(model, draw_batch, steps, lr):
    """Pads have id 0 in this lab (and in the check): a mask from the ids is right too."""
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        ids, lengths, tags = draw_batch()
        real = ids != 0
        loss = F.cross_entropy(model(ids, lengths)[real], tags[real])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def train_with_an_evaluation_inside_the_loop(model, draw_batch, steps, lr):
    """Evaluates (eval mode, no_grad) after each step, and trains in training mode again."""
    optimizer = torch.optim.Adam(model.parameters(), lr)
    losses = []
    for _ in range(steps):
        model.train()
        ids, lengths, tags = draw_batch()
        real = torch.arange(ids.shape[1])[None, :] < torch.as_tensor(lengths)[:, None]
        loss = F.cross_entropy(model(ids, lengths)[real], tags[real])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            model(ids, lengths).argmax(-1)                 # "how am I doing?"
    return losses


OTHER_RIGHT_ANSWERS = [
    ("run_backward", backward_by_flipping), ("run_backward", backward_with_the_course_module),
    ("run_backward", backward_filling_a_tensor),
    ("bidirectional", bidirectional_with_index_flips),
    ("bidirectional", bidirectional_with_the_course_module),
    ("sequence_summary", summary_with_chunk_and_gather),
    ("sequence_summary", summary_with_a_loop),
    ("make_tagger", tagger_with_an_lstm), ("make_tagger", tagger_with_an_rnn_and_a_padding_idx),
    ("make_tagger", tagger_by_masking), ("make_tagger", tagger_with_two_one_way_grus),
    ("train_tagger", train_with_ignore_index), ("train_tagger", train_masking_the_loss_by_hand),
    ("train_tagger", train_with_model_zero_grad), ("train_tagger", train_with_a_mask_from_ids),
    ("train_tagger", train_with_an_evaluation_inside_the_loop),
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
    assert result.message.startswith("Your `bidirectional` calls your `run_backward`, which was "
                                     "checked first and does not pass its own check")
    assert "What the check of `run_backward` says" in result.message


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


@pytest.mark.parametrize("both", [True, False])
def test_the_parameter_counts_of_right_and_wrong_models_all_differ(both):
    sizes = lab6.SIZES
    counts = lab6.parameter_counts(*sizes.values(), both)
    assert len({c for c, _ in counts}) == len(counts)
    V, E, J, K = sizes.values()
    for Module in (nn.RNN, nn.GRU, nn.LSTM):
        model = _Tagger(Module, V, E, J, K, both)
        right = [c for c, what in counts if not what]
        assert sum(p.numel() for p in model.parameters()) in right


@pytest.mark.parametrize("both", [True, False])
def test_the_reference_tagger_ignores_the_padding_and_looks_the_right_ways(both):
    torch.manual_seed(0)
    model = lab6.reference_make_tagger(11, 4, 6, 3, bidirectional=both).eval()
    ids = torch.tensor([[3, 4, 5, 0, 0, 0], [6, 7, 8, 9, 2, 0]])
    lengths = torch.tensor([3, 5])
    with torch.no_grad():
        scores = model(ids, lengths)
        alone = model(ids[:1, :3], [3])
        changed = ids.clone()
        changed[1, 4] = 1
        later = model(changed, lengths)
    assert scores.shape == (2, 6, 3)
    torch.testing.assert_close(scores[0, :3], alone[0], rtol=1e-5, atol=1e-6)
    assert torch.equal(later[0], scores[0])
    assert torch.allclose(later[1, :4], scores[1, :4]) != both


def test_the_masked_loss_leaves_the_padding_out():
    scores = torch.randn(2, 4, 2)
    tags = torch.tensor([[1, 0, 0, 0], [0, 1, 1, 0]])
    lengths = torch.tensor([2, 3])
    expected = F.cross_entropy(torch.cat([scores[0, :2], scores[1, :3]]),
                               torch.tensor([1, 0, 0, 1, 1]))
    torch.testing.assert_close(lab6.masked_loss(scores, tags, lengths), expected)
    values = {how: float(lab6.masked_loss(scores, tags, lengths, how))
              for how, _ in lab6.LOSS_MISTAKES}
    assert all(abs(v - float(expected)) > 1e-4 for v in values.values()), values


def test_the_batches_of_the_training_check_are_new_padded_and_unsorted():
    source = lab6.BatchSource(0)
    (ids, lengths, tags), (ids2, _, _) = source(), source()
    assert not torch.equal(ids, ids2) and len(source.batches) == 2
    real = torch.arange(ids.shape[1])[None, :] < lengths[:, None]
    assert (ids[~real] == 0).all() and (tags[~real] == 0).all() and (ids[real] > 0).all()
    assert lengths.max() < ids.shape[1]
    assert not torch.equal(lengths, lengths.sort(descending=True).values)
    assert (tags[real] == 0).any() and (tags[real] == 1).any()     # so ignore_index=0 is wrong


def test_the_training_spy_sees_the_reference_loop_in_order():
    losses, spy, source = lab6._run_loop(lab6.reference_train_tagger, 4, 0.01, seed=3)
    assert len(losses) == 4 and len(source.batches) == 4 and len(spy.steps) == 4
    assert lab6._iterations(spy.events) == [["forward", "backward", "step"]] * 4
    for update in spy.steps:
        assert torch.allclose(update["applied"], update["expected"], rtol=1e-5, atol=1e-8)


def test_the_model_and_loop_checks_stay_far_within_their_time_limits():
    """CPU seconds (what the limit counts), so a busy machine does not fail it."""
    import time
    for name in ("train_tagger", "make_tagger"):
        start = time.process_time()
        assert CHECKS[name](getattr(SOLUTIONS, name)).passed
        assert time.process_time() - start < CHECKS[name].time_limit_s / 5, name

