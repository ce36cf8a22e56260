"""Tagging data, the look-ahead task, the sequence tagger, the simplified GRU and gate traces."""
import pytest
import torch
from torch import nn

from utils import seed_everything
from utils.cells import GRUCell, LSTMCell, SimplifiedGRUCell
from utils.gates import trace_gates
from utils.models import SequenceClassifier, SequenceTagger
from utils.recurrent import RecurrentNet, make_core
from utils.tagging import (IGNORE, LookaheadTask, WordBoundaryData, accuracy_by_position,
                           boundary_f1, remove_spaces, restore_spaces, tag_predictions,
                           tagging_accuracy)
from utils.training import tagging_loss, train

TEXT = ("To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n"
        "The slings and arrows of outrageous fortune,\nOr to take arms against a sea of troubles\n") * 20


@pytest.fixture(autouse=True)
def _seed():
    seed_everything(0)


# --- word boundaries --------------------------------------------------------------------
def test_remove_spaces_labels_word_ends():
    chars, labels = remove_spaces("To be, or NOT\n'tis")
    assert chars == "tobeornottis"
    assert labels == [0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1]


def test_restore_spaces_inverts_remove_spaces():
    chars, labels = remove_spaces("The slings and arrows of outrageous fortune")
    assert restore_spaces(chars, labels) == "the slings and arrows of outrageous fortune"


def test_restore_spaces_needs_one_label_per_character():
    with pytest.raises(ValueError, match="one label per character: 3 characters, 2 labels"):
        restore_spaces("abc", [0, 1])


def test_remove_spaces_rejects_non_text():
    with pytest.raises(TypeError, match="text must be a string"):
        remove_spaces(["to", "be"])


def test_word_boundary_data_windows_and_split():
    data = WordBoundaryData(TEXT, seq_len=16, val_fraction=0.25, batch_size=5)
    chars, labels = remove_spaces(TEXT)
    n = len(chars) // 16
    assert len(data.train[0]) + len(data.val[0]) == n
    assert data.train[0].shape[1] == 16 and data.train[0].dtype == torch.long
    assert data.decode(data.train[0][0]) == chars[:16]
    assert data.train[1][0].tolist() == labels[:16]
    # the validation part is the END of the text (contiguous split)
    assert data.decode(data.val[0][-1]) == chars[(n - 1) * 16:n * 16]
    share = float(data.val[1].float().mean())
    assert data.majority == pytest.approx(max(share, 1 - share))
    ids, tags = data.batches()(torch.Generator().manual_seed(0))
    assert ids.shape == tags.shape == (5, 16)


def test_word_boundary_data_too_short():
    with pytest.raises(ValueError, match="too few for two windows"):
        WordBoundaryData("to be", seq_len=48)


# --- look-ahead task ----------------------------------------------------------------------
@pytest.mark.parametrize("k", [-3, 0, 2, 5])
def test_lookahead_labels_are_the_token_k_steps_away(k):
    task = LookaheadTask(k, vocab_size=5, length=12)
    ids, labels = task.sample(7, torch.Generator().manual_seed(1))
    assert ids.shape == labels.shape == (7, 12)
    for t in range(12):
        if 0 <= t + k < 12:
            assert torch.equal(labels[:, t], ids[:, t + k])
        else:
            assert (labels[:, t] == IGNORE).all()


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(k=1.5), TypeError, "k must be an integer"),
    (dict(k=20, length=20), ValueError, r"\|k\| must be smaller than the length 20"),
    (dict(k=1, vocab_size=1), ValueError, "vocab_size must be at least 2"),
])
def test_lookahead_bad_input(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        LookaheadTask(**kwargs)


def test_bidirectional_tagger_solves_lookahead_and_unidirectional_cannot():
    task = LookaheadTask(2, vocab_size=4, length=12)
    ids, labels = task.sample(400, torch.Generator().manual_seed(5))
    accuracy = {}
    for bi in (False, True):
        torch.manual_seed(0)
        model = SequenceTagger(4, 4, hidden_size=24, cell="gru", bidirectional=bi)
        train(model, task.batches(), steps=150, lr=1e-2, loss_fn=tagging_loss, progress=False)
        accuracy[bi] = tagging_accuracy(model, ids, labels)
    assert accuracy[True] > 0.9
    assert accuracy[False] < task.chance + 0.08


# --- tagger, loss and metrics ------------------------------------------------------------
@pytest.mark.parametrize("backend", ["torch", "scratch"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_tagger_shapes(backend, bidirectional):
    model = SequenceTagger(9, 3, hidden_size=5, cell="lstm", bidirectional=bidirectional,
                           backend=backend)
    assert model(torch.randint(0, 9, (2, 7))).shape == (2, 7, 3)


def test_tagger_backends_agree():
    torch_model = SequenceTagger(9, 3, hidden_size=5, cell="gru", bidirectional=True).double()
    scratch = SequenceTagger(9, 3, hidden_size=5, cell="gru", bidirectional=True,
                             backend="scratch").double()
    scratch.embedding.load_state_dict(torch_model.embedding.state_dict())
    scratch.head.load_state_dict(torch_model.head.state_dict())
    scratch.core = RecurrentNet.from_torch(torch_model.core)
    ids = torch.randint(0, 9, (3, 6))
    assert torch.allclose(torch_model(ids), scratch(ids), atol=1e-12)


def test_tagger_rejects_out_of_range_ids():
    with pytest.raises(ValueError, match=r"token ids must lie in \[0, 9\)"):
        SequenceTagger(9, 2)(torch.tensor([[1, 9]]))


def test_tagging_loss_ignores_unscored_positions():
    model = SequenceTagger(5, 3, hidden_size=4)
    ids = torch.randint(0, 5, (2, 6))
    labels = torch.randint(0, 3, (2, 6))
    ignored = labels.clone()
    ignored[:, 3:] = IGNORE
    logits = model(ids)
    expected = nn.functional.cross_entropy(logits[:, :3].reshape(-1, 3), labels[:, :3].reshape(-1))
    assert torch.allclose(tagging_loss(model, (ids, ignored)), expected)


class _Echo(nn.Module):
    """A perfect tagger for LookaheadTask(0): predicts the input token."""

    def __init__(self, n):
        super().__init__()
        self.n = n
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, ids):
        return nn.functional.one_hot(ids, self.n).float() + 0 * self.dummy


def test_accuracy_metrics_on_a_perfect_model():
    task = LookaheadTask(0, vocab_size=3, length=5)
    ids, labels = task.sample(10)
    model = _Echo(3).train()
    assert tagging_accuracy(model, ids, labels) == 1.0
    assert model.training  # restored
    assert torch.equal(tag_predictions(model, ids), ids)
    assert torch.equal(accuracy_by_position(model, ids, labels), torch.ones(5))


def test_accuracy_needs_a_scored_position():
    ids = torch.zeros(2, 3, dtype=torch.long)
    with pytest.raises(ValueError, match="no position is scored"):
        tagging_accuracy(_Echo(3), ids, torch.full_like(ids, IGNORE))


def test_boundary_f1():
    labels = torch.tensor([0, 1, 0, 1, 1])
    assert boundary_f1(labels, labels) == 1.0
    assert boundary_f1(torch.zeros(5, dtype=torch.long), labels) == 0.0
    # one hit, one false alarm, two misses: 2*1 / (2*1 + 1 + 2)
    assert boundary_f1(torch.tensor([1, 1, 0, 0, 0]), labels) == pytest.approx(0.4)


# --- simplified GRU, make_core, gate traces ------------------------------------------------
def test_simplified_gru_step_follows_its_equations():
    cell = SimplifiedGRUCell(3, 4).double()
    x, c = torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64)
    u = torch.sigmoid(x @ cell.block("u", "U").T + c @ cell.block("u", "W").T + cell.block("u", "b"))
    cand = torch.tanh(x @ cell.block("c", "U").T + c @ cell.block("c", "W").T + cell.block("c", "b"))
    assert torch.allclose(cell.step(x, c), u * cand + (1 - u) * c, atol=1e-14)


def test_simplified_gru_with_a_closed_gate_copies_its_cell():
    cell = SimplifiedGRUCell(3, 4)
    with torch.no_grad():
        cell.block("u", "b").fill_(-40.0)
    c = torch.randn(2, 4)
    assert torch.allclose(cell.step(torch.randn(2, 3), c), c)


def test_simplified_gru_has_no_torch_counterpart():
    with pytest.raises(TypeError, match="no torch.nn counterpart"):
        SimplifiedGRUCell(3, 4).load_torch_weights(nn.GRU(3, 4))


def test_simplified_gru_trains_in_a_classifier():
    model = SequenceClassifier(6, 2, hidden_size=8, cell="simple_gru", backend="scratch")
    assert model(torch.randint(0, 6, (3, 4))).shape == (3, 2)
    with pytest.raises(ValueError, match="torch.nn has no 'simple_gru' module"):
        make_core("simple_gru", 4, 8, backend="torch")


@pytest.mark.parametrize("cell, names", [
    (SimplifiedGRUCell(3, 4), {"u", "c_tilde", "h"}),
    (GRUCell(3, 4), {"r", "u", "c_tilde", "h"}),
    (LSTMCell(3, 4), {"i", "f", "g", "o", "h", "c"}),
])
def test_trace_gates_records_every_step(cell, names):
    xs = torch.randn(2, 5, 3, generator=torch.Generator().manual_seed(0))
    trace = trace_gates(cell, xs)
    assert set(trace) == names
    assert all(v.shape == (2, 5, 4) for v in trace.values())
    state = cell.init_state(2)
    for t in range(5):  # the recorded states are the cell's own, step by step
        gates = cell.gates(xs[:, t], state)
        # float32 rounding (the trace may multiply in another order): not bitwise
        assert torch.allclose(trace["u" if "u" in names else "f"][:, t],
                              gates["u" if "u" in names else "f"], atol=1e-6)
        state = cell.step(xs[:, t], state)
        assert torch.allclose(trace["h"][:, t], cell.hidden(state), atol=1e-6)


def test_trace_gates_bad_input():
    from utils.cells import RNNCell
    with pytest.raises(TypeError, match="no gates to trace"):
        trace_gates(RNNCell(3, 4), torch.randn(1, 2, 3))
    with pytest.raises(TypeError, match="one of the course's cells"):
        trace_gates(nn.GRUCell(3, 4), torch.randn(1, 2, 3))


def test_segmentation_slips_names_split_and_joined_words():
    from utils.tagging import segmentation_slips
    letters, truth = remove_spaces("friends romans countrymen")
    predicted = list(truth)
    predicted[6] = 0                         # 'friends' runs into 'romans'
    predicted[11] = 1                        # 'roman s'
    predicted[19] = 1                        # 'country men'
    split, joined = segmentation_slips(letters, predicted, truth)
    assert split == ["roman s", "country men"]
    assert joined == []                      # 'romans' was cut: not a clean run-together pair
    predicted[11] = 0
    split, joined = segmentation_slips(letters, predicted, truth)
    assert split == ["country men"] and joined == ["friendsromans"]
    assert segmentation_slips(letters, truth, truth) == ([], [])
    with pytest.raises(ValueError, match="one prediction and one label per letter"):
        segmentation_slips(letters, predicted[:-1], truth)


def test_lookahead_labels_of_several_offsets_match_the_task():
    from utils.tagging import lookahead_labels
    g = torch.Generator().manual_seed(0)
    for k in (-3, -1, 0, 2, 5):
        ids, labels = LookaheadTask(k, length=8).sample(4, generator=torch.Generator().manual_seed(k + 9))
        assert torch.equal(lookahead_labels(ids, k), labels)
    ids = torch.randint(4, (2, 5), generator=g)
    assert (lookahead_labels(ids, 5) == IGNORE).all()
    with pytest.raises(TypeError, match="integer offset"):
        lookahead_labels(ids, 1.5)


# --- the marked-text display of Chapter 6 and Lab 6 ------------------------------------------------
def test_marked_html_marks_right_wrong_and_missed_spaces():
    from utils.tagging import MISSED_SPACE, WRONG_SPACE, marked_html
    # "to be or": the tagger splits "to" and "be" right, adds a space after "o" of "or"?
    letters, truth = "tobeor", [0, 1, 0, 1, 0, 1]
    predicted = [0, 1, 1, 0, 0, 1]
    assert marked_html(letters, predicted, truth) == (
        "to " + "b" + WRONG_SPACE + "e" + MISSED_SPACE + "or ")
    assert "#D55E00" in WRONG_SPACE and "\u2423" in WRONG_SPACE
    assert "#0072B2" in MISSED_SPACE and "\u2038" in MISSED_SPACE
    assert marked_html(letters, truth, truth) == "to be or "
    assert marked_html("ab", torch.tensor([0, 0]), [0, 0]) == "ab"


def test_marked_html_escapes_html_in_the_letters():
    from utils.tagging import marked_html
    out = marked_html("<b>&", [0, 0, 1, 0], [0, 0, 1, 0])
    assert out == "&lt;b&gt; &amp;"
    assert "<b>" not in out


@pytest.mark.parametrize("args, error, pattern", [
    ((["a"], [0], [0]), TypeError, r"letters must be a string, got list"),
    (("ab", [0], [0, 0]), ValueError, r"2 letters, 1 predictions, 2 labels"),
    (("ab", [0, 2], [0, 0]), ValueError, r"predicted must hold 0/1 tags.*got \[2\]"),
    (("ab", [0, 0], "01"), TypeError, r"truth must be a sequence of 0/1 tags, got str"),
    (("ab", [0, 0], [0.5, 1]), ValueError, r"truth must hold 0/1 tags"),
])
def test_marked_html_refuses_what_it_cannot_mark(args, error, pattern):
    from utils.tagging import marked_html
    with pytest.raises(error, match=pattern):
        marked_html(*args)


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: restore_spaces(None, [1]), TypeError, r"chars must be a string, got NoneType"),
    (lambda: restore_spaces("ab", None), TypeError, r"labels must be a sequence of 0/1 tags, got NoneType"),
    (lambda: restore_spaces("ab", [0, 0.5]), ValueError, r"labels must hold 0/1 tags"),
    (lambda: boundary_f1([1, 0], torch.tensor([1, 0])), TypeError, r"predicted must be a torch.Tensor, got list"),
    (lambda: boundary_f1(torch.tensor([1, 0]), torch.tensor([1.0, 0.0])), TypeError, r"labels must hold integer"),
])
def test_tag_helpers_refuse_junk(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_accuracies_check_labels_against_the_model_tags():
    tagger = SequenceTagger(5, 3, hidden_size=4)
    ids = torch.randint(0, 5, (2, 4))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\) \(the model's tags\) or be IGNORE"):
        tagging_accuracy(tagger, ids, torch.full((2, 4), 3))
    with pytest.raises(TypeError, match=r"ids must be a torch.Tensor, got list"):
        accuracy_by_position(tagger, ids.tolist(), torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"ids must hold at least one sequence"):
        tag_predictions(tagger, ids[:0])
    with pytest.raises(ValueError, match=r"labels must hold 0/1 tags.*\[2\]"):
        boundary_f1(torch.tensor([0, 1]), torch.tensor([0, 2]))
    with pytest.raises(ValueError, match=r"n \* length must be at most"):
        LookaheadTask(1, length=100).sample(10**9)
