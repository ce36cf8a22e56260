"""utils.tasks: the key-recall task, its training and accuracy-against-distance runner."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from utils import tasks  # noqa: E402
from utils.models import SequenceClassifier  # noqa: E402
from utils.plotting import smooth  # noqa: E402
from utils.tasks import RecallTask  # noqa: E402
from utils.training import classification_loss  # noqa: E402


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("RNN_COURSE_PROGRESS", "0")


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


class Oracle(nn.Module):
    """Answers with the first token (the key), as a perfect model would."""

    def __init__(self, n_keys):
        super().__init__()
        self.n_keys = n_keys
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, ids):
        return F.one_hot(ids[:, 0], self.n_keys).float() * 10 + self.unused


# --- the task ------------------------------------------------------------------------------------
def test_shapes_dtypes_and_vocabulary_layout():
    task = RecallTask(n_keys=3, n_distractors=5)
    assert (task.vocab_size, task.query_id, task.chance) == (9, 8, pytest.approx(1 / 3))
    ids, labels = task.sample(50, distance=7, generator=gen())
    assert ids.shape == (50, 9) and labels.shape == (50,)
    assert ids.dtype == labels.dtype == torch.int64
    assert torch.equal(ids[:, 0], labels)                          # the label is the first token
    assert ((0 <= labels) & (labels < 3)).all()                     # keys: 0 .. n_keys-1
    middle = ids[:, 1:-1]
    assert ((3 <= middle) & (middle < 8)).all()                     # distractors after the keys
    assert (ids[:, -1] == task.query_id).all()                      # the query mark last


def test_every_key_and_distractor_occurs():
    task = RecallTask(n_keys=4, n_distractors=8)
    ids, labels = task.sample(2000, distance=10, generator=gen(1))
    assert set(labels.tolist()) == set(range(4))
    assert set(ids[:, 1:-1].flatten().tolist()) == set(range(4, 12))
    counts = torch.bincount(labels, minlength=4).float() / 2000
    assert torch.allclose(counts, torch.full((4,), 0.25), atol=0.04)


def test_distance_zero_and_defaults():
    task = RecallTask()
    assert (task.n_keys, task.n_distractors) == (4, 8)
    ids, labels = task.sample(3, 0)
    assert ids.shape == (3, 2) and torch.equal(ids[:, 0], labels)


def test_determinism():
    task = RecallTask()
    a = task.sample(20, 15, gen(7))
    b = task.sample(20, 15, gen(7))
    c = task.sample(20, 15, gen(8))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_batches_for_the_training_loop():
    task = RecallTask()
    batches = task.batches(distance=6, batch_size=5)
    ids, labels = batches(gen(0))
    assert ids.shape == (5, 8) and labels.shape == (5,)
    assert torch.equal(ids, task.sample(5, 6, gen(0))[0])


def test_describe():
    task = RecallTask(n_keys=2, n_distractors=3)
    assert task.describe(torch.tensor([1, 2, 4, 3, 5])) == "B a c b ?"
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 6\), got 6"):
        task.describe(torch.tensor([0, 6, 5]))
    with pytest.raises(ValueError, match=r"ids must be 1-D"):
        task.describe(torch.zeros(2, 3, dtype=torch.int64))


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: RecallTask(n_keys=1), ValueError, r"n_keys must be at least 2.*got 1"),
    (lambda: RecallTask(n_keys=0), ValueError, r"n_keys must be a positive integer, got 0"),
    (lambda: RecallTask(n_distractors=0), ValueError, r"n_distractors must be a positive integer, got 0"),
    (lambda: RecallTask().sample(0, 3), ValueError, r"n must be a positive integer, got 0"),
    (lambda: RecallTask().sample(4, -1), ValueError, r"distance must be a non-negative integer, got -1"),
    (lambda: RecallTask().sample(4, 2.5), ValueError, r"distance must be a non-negative integer, got 2.5"),
    (lambda: RecallTask().sample(4, True), ValueError, r"distance must be a non-negative integer, got True"),
    (lambda: RecallTask().sample(4, 3, generator=0), TypeError, r"generator must be a torch.Generator or None, got int"),
    (lambda: RecallTask().batches(3, batch_size=0), ValueError, r"batch_size must be a positive integer, got 0"),
])
def test_task_bad_input(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


# --- loss, accuracy, training ---------------------------------------------------------------------
def test_loss_and_accuracy_of_a_perfect_and_a_constant_model():
    task = RecallTask(n_keys=4, n_distractors=3)
    oracle = Oracle(4)
    assert tasks.recall_accuracy(oracle, task, distance=9, n=500) == 1.0
    batch = task.sample(64, 5, gen())
    assert classification_loss(oracle, batch).item() < 1e-3

    class Constant(Oracle):
        def forward(self, ids):
            return torch.zeros(ids.shape[0], self.n_keys) + self.unused

    assert classification_loss(Constant(4), batch).item() == pytest.approx(np.log(4))
    # argmax of equal logits is key 0: right for about a quarter of fresh sequences
    assert tasks.recall_accuracy(Constant(4), task, 9, n=2000) == pytest.approx(0.25, abs=0.04)


def test_recall_accuracy_restores_training_mode():
    model = Oracle(4)
    model.train()
    tasks.recall_accuracy(model, RecallTask(), 3, n=10)
    assert model.training


def test_train_recall_learns_a_short_distance():
    model, history = tasks.train_recall("rnn", distance=2, steps=150, seed=0)
    assert isinstance(model, SequenceClassifier) and len(history.loss) == 150
    assert np.mean(history.loss[-10:]) < 0.2 * np.log(4)
    assert tasks.recall_accuracy(model, RecallTask(), 2) > 0.95


def test_train_recall_runs_the_init_hook_and_is_reproducible():
    seen = []
    a, ha = tasks.train_recall("gru", 3, steps=5, seed=1, init=seen.append)
    b, hb = tasks.train_recall("gru", 3, steps=5, seed=1)
    assert seen == [a]
    assert ha.loss == hb.loss
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_train_recall_is_plain_adam_at_a_constant_rate_bitwise(cell):
    """The recall recipe keeps its numbers whatever train()'s defaults: it is the loop
    written out below (Adam, constant lr, clipping by norm), to the last bit."""
    from utils.training import clip_by_norm
    recipe, task, seed = tasks.RECALL_RECIPE, RecallTask(), 3
    model, history = tasks.train_recall(cell, 4, steps=12, seed=seed)
    torch.manual_seed(seed)
    twin = SequenceClassifier(task.vocab_size, task.n_keys, hidden_size=recipe["hidden_size"],
                              cell=cell, embedding_dim=recipe["embedding_dim"], backend="torch")
    adam, batches, generator = (torch.optim.Adam(twin.parameters(), lr=recipe["lr"]),
                                task.batches(4, recipe["batch_size"]), gen(seed))
    losses = []
    for _ in range(12):
        loss = classification_loss(twin, batches(generator))
        adam.zero_grad()
        loss.backward()
        clip_by_norm(twin.parameters(), recipe["clip_norm"])
        adam.step()
        losses.append(loss.item())
    assert history.loss == losses
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), twin.parameters()))


def test_accuracy_vs_distance():
    sweep = tasks.accuracy_vs_distance("rnn", [1, 3], steps=20, seed=[0, 1], n_test=50)
    assert sweep["cell"] == "rnn" and sweep["seeds"] == [0, 1] and sweep["steps"] == 20
    assert np.array_equal(sweep["distances"], [1, 3])
    assert sweep["accuracy"].shape == (2, 2) and sweep["mean"].shape == (2,)
    assert sweep["loss"].shape == (2, 2, 20) and np.isfinite(sweep["loss"]).all()
    assert ((0 <= sweep["accuracy"]) & (sweep["accuracy"] <= 1)).all()
    assert sweep["chance"] == 0.25 and sweep["seconds"] > 0
    again = tasks.accuracy_vs_distance("rnn", [1, 3], steps=20, seed=[0, 1], n_test=50)
    assert np.array_equal(sweep["accuracy"], again["accuracy"])         # seeded: reproducible
    one = tasks.accuracy_vs_distance("rnn", [1], steps=20, seed=1, n_test=50)
    assert one["accuracy"].shape == (1, 1) and one["accuracy"][0, 0] == sweep["accuracy"][1, 0]


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(distances=[]), r"distances must hold at least one distance"),
    (dict(distances=[2, -1]), r"distance must be a non-negative integer, got -1"),
    (dict(distances=[2], seed=[]), r"seed must be an integer or a non-empty list"),
    (dict(distances=[2], seed=[0, -3]), r"every seed must be a non-negative integer below 2\*\*63, got -3"),
    (dict(distances=[2], seed=True), r"every seed must be an integer, got True"),
    (dict(distances=[2], steps=0), r"steps must be a positive integer, got 0"),
    (dict(distances=[2], n_test=0), r"n_test must be a positive integer, got 0"),
])
def test_accuracy_vs_distance_bad_input(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        tasks.accuracy_vs_distance("rnn", **kwargs)
    with pytest.raises(TypeError, match=r"seed must be an integer or a list of integers, got str"):
        tasks.accuracy_vs_distance("rnn", [2], seed="0")


def test_plot_accuracy_vs_distance():
    sweep = {"distances": np.array([2, 4, 8]), "accuracy": np.array([[1.0, 0.5, 0.25], [1.0, 0.75, 0.3]]),
             "chance": 0.25}
    ax = tasks.plot_accuracy_vs_distance({"RNN": sweep, "GRU": sweep}, title="t")
    labels = [line.get_label() for line in ax.get_lines()]
    assert "RNN" in labels and "GRU" in labels and "chance (25%)" in labels
    mean_line = next(line for line in ax.get_lines() if line.get_label() == "RNN")
    np.testing.assert_allclose(mean_line.get_ydata(), [100, 62.5, 27.5])
    plt.close("all")
    with pytest.raises(TypeError, match=r"sweeps must be a non-empty dict"):
        tasks.plot_accuracy_vs_distance([sweep])


# --- what the loss says about each input --------------------------------------------------------
def test_input_gradient_norms_match_autograd_and_fall_with_distance():
    torch.manual_seed(0)
    task = RecallTask()
    model = SequenceClassifier(task.vocab_size, task.n_keys, hidden_size=16, cell="rnn",
                               embedding_dim=8)
    ids, labels = task.sample(32, 20, gen())
    got = tasks.input_gradient_norms(model, ids, labels)
    assert got.shape == (22,)
    embedded = model.embedding(ids).detach().requires_grad_()
    out, _ = model.core(embedded)
    loss = F.cross_entropy(model.head(out[:, -1]), labels)
    expected = torch.autograd.grad(loss, embedded)[0].norm(dim=-1).mean(dim=0).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert got[0] < 1e-3 * got[-2]                # the key gets far less than the last distractor
    assert all(p.grad is None for p in model.parameters())
    with pytest.raises(TypeError, match=r"model must be a utils.models.SequenceClassifier"):
        tasks.input_gradient_norms(nn.Linear(2, 2), ids, labels)
    with pytest.raises(ValueError, match=r"labels must have shape \(32,?\), got \(31,?\)"):
        tasks.input_gradient_norms(model, ids, labels[:31])


def test_the_recipe_is_the_default_of_every_recall_run():
    from utils.tasks import RECALL_RECIPE
    import inspect
    for fn in (tasks.train_recall, tasks.accuracy_vs_distance):
        params = inspect.signature(fn).parameters
        for name, value in RECALL_RECIPE.items():
            if name in params:
                assert params[name].default == value, (fn.__name__, name)
    assert RECALL_RECIPE["lr"] == 1e-2 and RECALL_RECIPE["steps"] == 400


@pytest.mark.parametrize("cell, value, block, total", [
    ("lstm", 3.0, 1, 3.0),      # forget gate: block 1 of i, f, g, o
    ("lstm", -1.0, 1, -1.0),
    ("gru", -2.0, 1, 2.0),      # update gate b_u = -2: PyTorch's z = 1 - Gamma_u gets +2
])
def test_gate_bias_sets_the_keep_gate_in_the_course_convention(cell, value, block, total):
    torch.manual_seed(0)
    model = SequenceClassifier(13, 4, hidden_size=5, cell=cell, embedding_dim=3)
    others = (model.core.bias_ih_l0 + model.core.bias_hh_l0).detach().clone()
    tasks.gate_bias(cell, value)(model)
    bias = (model.core.bias_ih_l0 + model.core.bias_hh_l0).detach()
    J = 5
    assert torch.allclose(bias[block * J:(block + 1) * J], torch.full((J,), total))
    rest = torch.ones_like(bias, dtype=torch.bool)
    rest[block * J:(block + 1) * J] = False
    assert torch.equal(bias[rest], others[rest])


def test_gate_bias_of_the_gru_keeps_the_state_by_default():
    """Gamma_u = sigma(b_u) weights the new candidate: b_u = -4 keeps ~98% of h_{t-1}."""
    torch.manual_seed(0)
    model = SequenceClassifier(13, 4, hidden_size=8, cell="gru", embedding_dim=3)
    tasks.gate_bias("gru", -4.0)(model)
    with torch.no_grad():
        for name in ("weight_ih_l0", "weight_hh_l0"):
            getattr(model.core, name).zero_()
        h0 = torch.ones(1, 1, 8)
        _, h1 = model.core(torch.zeros(1, 1, 3), h0)
    # z = sigma(4) of the old state is kept, the candidate tanh(b_n) gets the rest
    assert torch.all(h1 > 0.95)


@pytest.mark.parametrize("args, error", [
    (("rnn", 1.0), ValueError), (("lstm", float("nan")), ValueError),
    (("lstm", "1"), ValueError), (("gru", True), ValueError),
])
def test_gate_bias_bad_input(args, error):
    with pytest.raises(error):
        tasks.gate_bias(*args)


def test_gate_bias_needs_the_matching_torch_core():
    model = SequenceClassifier(13, 4, hidden_size=5, cell="lstm", embedding_dim=3)
    with pytest.raises(TypeError, match="torch.nn.GRU"):
        tasks.gate_bias("gru", -2.0)(model)


# --- bad input: a clear error instead of a wrong answer or an error from deep inside torch -----------
def _classifier(task=None, seed=0):
    torch.manual_seed(seed)
    task = task or RecallTask()
    return SequenceClassifier(task.vocab_size, task.n_keys, hidden_size=8, cell="rnn",
                              embedding_dim=4)


@pytest.mark.parametrize("make, error, pattern", [
    (lambda ids, labels: (ids + 100, labels), ValueError, r"ids must lie in \[0, 13\), got values from 100"),
    (lambda ids, labels: (ids - 100, labels), ValueError, r"ids must lie in \[0, 13\)"),
    (lambda ids, labels: (ids, labels + 4), ValueError, r"labels must lie in \[0, 4\)"),
    (lambda ids, labels: (ids[:, :0], labels), ValueError, r"at least one token"),
    (lambda ids, labels: (ids[:0], labels[:0]), ValueError, r"at least one sequence"),
    (lambda ids, labels: (ids.float(), labels), TypeError, r"ids must hold integer token ids"),
    (lambda ids, labels: (ids, labels.float()), TypeError, r"labels must hold integer"),
    (lambda ids, labels: (ids.tolist(), labels), TypeError, r"two torch tensors"),
    (lambda ids, labels: (ids[0], labels), ValueError, r"ids must be 2-D"),
])
def test_input_gradient_norms_bad_input(make, error, pattern):
    task = RecallTask()
    ids, labels = task.sample(4, 3, gen())
    with pytest.raises(error, match=pattern):
        tasks.input_gradient_norms(_classifier(task), *make(ids, labels))


@pytest.mark.parametrize("batch, error, pattern", [
    ("ids", TypeError, r"batch must be a pair"),
    ((torch.zeros(2, 3, dtype=torch.long),), TypeError, r"batch must be a pair"),
    ((torch.zeros(2, 3, dtype=torch.long), torch.tensor([0, 7])), ValueError,
     r"labels must lie in \[0, 4\) \(or be -100\), got values from 0 to 7"),
    ((torch.zeros(2, 3, dtype=torch.long), torch.tensor([0, -1])), ValueError, r"labels must lie in"),
    ((torch.zeros(2, 3, dtype=torch.long), torch.tensor([0])), ValueError, r"labels must have shape"),
])
def test_classification_loss_bad_batch(batch, error, pattern):
    with pytest.raises(error, match=pattern):
        classification_loss(Oracle(4), batch)


def test_recall_helpers_check_the_task_model_and_init():
    with pytest.raises(TypeError, match=r"task must be a RecallTask or None, got dict"):
        tasks.recall_accuracy(Oracle(4), {}, 3, n=10)
    with pytest.raises(TypeError, match=r"model must be a torch.nn.Module"):
        tasks.recall_accuracy(lambda ids: ids, RecallTask(), 3, n=10)
    with pytest.raises(ValueError, match=r"Identity has no parameters"):
        tasks.recall_accuracy(nn.Identity(), RecallTask(), 3, n=10)
    with pytest.raises(TypeError, match=r"task must be a RecallTask"):
        tasks.train_recall("rnn", 3, task="recall", steps=1)
    with pytest.raises(TypeError, match=r"init must be a function"):
        tasks.train_recall("rnn", 3, steps=1, init=1.0)
    with pytest.raises(TypeError, match=r"distances must be a list"):
        tasks.accuracy_vs_distance("rnn", 5, steps=1)
    with pytest.raises(TypeError, match=r"distances must be a list"):
        tasks.accuracy_vs_distance("rnn", "5", steps=1)


def test_absurd_sample_sizes_fail_fast():
    with pytest.raises(ValueError, match=r"at most 100,000,000 token ids"):
        RecallTask().sample(10**6, 10**6)


def test_describe_needs_letters_for_every_symbol():
    task = RecallTask(n_keys=30)
    with pytest.raises(ValueError, match=r"at most 26 of each"):
        task.describe(task.sample(1, 2, gen())[0][0])


def test_plot_accuracy_vs_distance_refuses_what_it_would_draw_wrongly():
    sweep = {"distances": np.array([2, 4]), "accuracy": np.array([[1.0, 0.5]]), "chance": 0.25}
    with pytest.raises(ValueError, match=r"at most 7 sweeps"):
        tasks.plot_accuracy_vs_distance({str(i): sweep for i in range(8)})
    with pytest.raises(ValueError, match=r"missing \['chance'\]"):
        tasks.plot_accuracy_vs_distance({"a": {"distances": [2], "accuracy": [[1.0]]}})
    with pytest.raises(ValueError, match=r"one column per distance"):
        tasks.plot_accuracy_vs_distance({"a": dict(sweep, accuracy=np.array([[1.0, 0.5, 0.2]]))})
    with pytest.raises(ValueError, match=r"same chance level"):
        tasks.plot_accuracy_vs_distance({"a": sweep, "b": dict(sweep, chance=0.5)})
    plt.close("all")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_input_gradient_norms_on_cuda_match_the_cpu():
    task = RecallTask()
    model = _classifier(task)
    ids, labels = task.sample(8, 5, gen())        # on the CPU, as task.sample makes them
    expected = tasks.input_gradient_norms(model, ids, labels)
    got = tasks.input_gradient_norms(model.cuda(), ids, labels)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-7)
    got = tasks.input_gradient_norms(model, ids.cuda(), labels.cuda())
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-7)


def test_leaves_plateau_finds_the_first_smoothed_step_below_the_threshold():
    task = tasks.RecallTask(n_keys=4)
    plateau = np.log(4)
    losses = np.r_[np.full(50, plateau), np.full(50, 0.1)]
    # the trailing mean over 20 steps drops below half of log 4 when 11 of 20 are low
    step = tasks.leaves_plateau(losses, task, fraction=0.5, window=20)
    expected = 1 + int(np.flatnonzero(smooth(losses, 20) < 0.5 * plateau)[0])
    assert step == expected and 50 < step <= 70
    assert tasks.leaves_plateau(np.full(100, plateau), task) is None
    with pytest.raises(ValueError, match="fraction"):
        tasks.leaves_plateau(losses, task, fraction=1.5)


def test_train_recall_puts_the_model_on_the_device_it_is_given():
    model, _ = tasks.train_recall("rnn", 2, steps=2, device="cpu")
    assert model.device == torch.device("cpu")
    with pytest.raises(ValueError, match="device"):
        tasks.train_recall("rnn", 2, steps=2, device="no such device")
