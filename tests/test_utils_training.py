"""The training loop, gradient clipping, evaluation and reproducibility."""
import copy
import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from utils import seed_everything, training
from utils.data import TextWindows, Vocab
from utils.models import CharLM
from utils.training import History, clip_by_norm, clip_by_value, evaluate, gradient_norm, lm_loss, train

PATTERN = "abcd" * 200


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("RNN_COURSE_PROGRESS", "0")


def tiny_problem(seed=0, cell="gru", backend="torch"):
    seed_everything(seed)
    vocab = Vocab.from_texts(PATTERN)
    windows = TextWindows(vocab.encode(PATTERN), seq_len=12, batch_size=8)
    model = CharLM(len(vocab), hidden_size=16, cell=cell, backend=backend)
    return model, windows


# --- the loop -----------------------------------------------------------------------------------
def test_loss_falls_on_a_tiny_problem():
    model, windows = tiny_problem()
    history = train(model, windows, steps=80, lr=2e-2, progress=False)
    assert len(history.loss) == 80 and not history.diverged
    first, last = sum(history.loss[:5]) / 5, sum(history.loss[-5:]) / 5
    assert first > math.log(4) * 0.9            # starts near chance
    assert last < 0.5 * first                   # the repeating pattern is learnt


def test_scratch_backend_trains_too():
    model, windows = tiny_problem(cell="lstm", backend="scratch")
    history = train(model, windows, steps=40, lr=2e-2, progress=False)
    assert sum(history.loss[-5:]) < 0.8 * sum(history.loss[:5])


def test_history_records_steps_loss_grad_norm_and_validation():
    model, windows = tiny_problem()
    history = train(model, windows, steps=25, lr=1e-2, eval_every=10, progress=False,
                    val_batches=lambda: windows.all_batches(max_windows=8))
    assert isinstance(history, History)
    assert history.steps == list(range(1, 26))
    assert len(history.loss) == len(history.grad_norm) == 25
    assert all(g > 0 and math.isfinite(g) for g in history.grad_norm)
    assert history.val_steps == [10, 20, 25]
    assert len(history.val_loss) == 3 and history.final_val_loss == history.val_loss[-1]
    assert history.seconds > 0
    assert "25 steps" in repr(history)


def test_history_records_grad_norm_before_clipping():
    model, windows = tiny_problem()
    history = train(model, windows, steps=5, lr=1e-3, clip_norm=1e-3, progress=False)
    assert min(history.grad_norm) > 1e-2


def test_same_seed_gives_identical_history():
    runs = []
    for _ in range(2):
        model, windows = tiny_problem(seed=3)
        runs.append(train(model, windows, steps=15, lr=1e-2, seed=7, progress=False).loss)
    assert runs[0] == runs[1]
    model, windows = tiny_problem(seed=3)
    assert train(model, windows, steps=15, lr=1e-2, seed=8, progress=False).loss != runs[0]


def test_an_exploding_run_is_flagged_and_stops():
    model, windows = tiny_problem()
    sgd = torch.optim.SGD(model.parameters(), lr=1e36)  # weights overflow after a few steps
    history = train(model, windows, steps=50, optimizer=sgd, progress=False)
    assert history.diverged
    assert len(history.loss) < 50 and not math.isfinite(history.loss[-1])
    assert all(math.isfinite(x) for x in history.loss[:-1])
    assert "DIVERGED" in repr(history)


def test_an_exploding_run_can_continue_when_asked():
    model, windows = tiny_problem()
    sgd = torch.optim.SGD(model.parameters(), lr=1e36)
    history = train(model, windows, steps=6, optimizer=sgd, progress=False, stop_on_nan=False)
    assert len(history.loss) == 6 and not history.diverged


def test_train_accepts_a_custom_loss_for_a_model_without_device():
    seed_everything(0)
    model = nn.Linear(3, 1)
    x = torch.randn(64, 3)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.3

    def loss_fn(m, batch):
        xb, yb = batch
        return F.mse_loss(m(xb).squeeze(-1), yb)

    history = train(model, lambda g: (x, y), steps=60, lr=0.1, loss_fn=loss_fn, progress=False,
                    val_batches=lambda: [(x, y)], eval_every=30)
    assert history.loss[-1] < 0.05 * history.loss[0]
    assert len(history.val_loss) == 2
    with torch.no_grad():  # validation used the custom loss, not the language-model loss
        assert history.val_loss[-1] == pytest.approx(loss_fn(model, (x, y)).item(), rel=1e-5)


def test_evaluate_with_pad_id_none_counts_class_zero():
    """Class labels where 0 is a real class: every target counts."""
    seed_everything(0)
    model = nn.Linear(2, 3)

    def loss_fn(m, batch):
        return F.cross_entropy(m(batch[0]), batch[1])

    batches = [(torch.randn(4, 2), torch.zeros(4, dtype=torch.long)),
               (torch.randn(2, 2), torch.tensor([1, 2]))]
    with torch.no_grad():
        expected = (4 * loss_fn(model, batches[0]) + 2 * loss_fn(model, batches[1])) / 6
    assert evaluate(model, batches, loss_fn, pad_id=None) == pytest.approx(float(expected), rel=1e-6)


# --- clipping -----------------------------------------------------------------------------------
def params_with_grads(*grads):
    params = [nn.Parameter(torch.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    return params


def test_clip_by_norm_rescales_to_exactly_max_norm_and_keeps_direction():
    grads = [torch.tensor([3.0, 0.0]), torch.tensor([[0.0, 4.0], [12.0, 0.0]])]  # norm 13
    params = params_with_grads(*grads)
    before = clip_by_norm(params, max_norm=1.3)
    assert before == pytest.approx(13.0)
    assert gradient_norm(params) == pytest.approx(1.3, rel=1e-6)
    for p, g in zip(params, grads):
        torch.testing.assert_close(p.grad, g * 0.1)


def test_clip_by_norm_leaves_small_gradients_untouched():
    grads = [torch.tensor([0.3, -0.4])]
    params = params_with_grads(*grads)
    assert clip_by_norm(params, max_norm=1.0) == pytest.approx(0.5)
    assert torch.equal(params[0].grad, grads[0])


def test_clip_by_norm_skips_parameters_without_gradients():
    params = params_with_grads(torch.tensor([30.0, 40.0])) + [nn.Parameter(torch.ones(2))]
    clip_by_norm(iter(params), 5.0)
    torch.testing.assert_close(params[0].grad, torch.tensor([3.0, 4.0]))
    assert params[1].grad is None


def test_clip_by_value_clamps_elements():
    params = params_with_grads(torch.tensor([-5.0, -0.5, 0.2, 7.0]))
    clip_by_value(params, 1.0)
    assert params[0].grad.tolist() == [-1.0, -0.5, pytest.approx(0.2), 1.0]


@pytest.mark.parametrize("clip", [clip_by_norm, clip_by_value])
@pytest.mark.parametrize("bad", [0, -1.0, float("nan")])
def test_clipping_thresholds_must_be_positive(clip, bad):
    with pytest.raises(ValueError, match="positive"):
        clip(params_with_grads(torch.ones(2)), bad)


def test_gradient_norm_is_global():
    params = params_with_grads(torch.tensor([1.0, 2.0]), torch.tensor([2.0]))
    assert gradient_norm(params) == pytest.approx(3.0)
    assert gradient_norm([nn.Parameter(torch.ones(1))]) == 0.0


# --- evaluation ---------------------------------------------------------------------------------
class FixedLogits(nn.Module):
    """A model whose logits are a fixed function of the input ids (for hand-computed losses)."""

    def __init__(self, K=6):
        super().__init__()
        self.table = nn.Parameter(torch.randn(K, K))

    @property
    def device(self):
        return self.table.device

    def forward(self, idx, state=None):
        return self.table[idx], None


def test_evaluate_weights_batches_by_token_count_and_ignores_pad():
    torch.manual_seed(0)
    model = FixedLogits()
    b1 = (torch.tensor([[1, 4, 5]]), torch.tensor([[4, 5, 2]]))                  # 3 targets
    b2 = (torch.tensor([[1, 5, 0, 0], [1, 4, 4, 5]]),
          torch.tensor([[5, 2, 0, 0], [4, 4, 5, 2]]))                           # 2 + 4 targets
    nll = []
    for inputs, targets in (b1, b2):
        logp = torch.log_softmax(model.table[inputs], -1).gather(-1, targets[..., None])[..., 0]
        nll += [-float(v.detach()) for v, t in zip(logp.flatten(), targets.flatten()) if t != 0]
    assert len(nll) == 9
    expected = sum(nll) / len(nll)
    got = evaluate(model, [b1, b2])
    assert got == pytest.approx(expected, rel=1e-6)
    unweighted = (lm_loss(model, b1).item() + lm_loss(model, b2).item()) / 2
    assert abs(got - unweighted) > 1e-4                     # a plain mean of batch means differs


def test_evaluate_restores_training_mode_and_rejects_empty():
    model = FixedLogits()
    model.train()
    evaluate(model, [(torch.tensor([[1, 2]]), torch.tensor([[2, 3]]))])
    assert model.training
    with pytest.raises(ValueError, match="no targets"):
        evaluate(model, [])


def test_lm_loss_ignores_padding_targets():
    model = FixedLogits()
    inputs, targets = torch.tensor([[1, 4, 3]]), torch.tensor([[4, 2, 0]])
    expected = F.cross_entropy(model.table[inputs[0, :2]], targets[0, :2])
    torch.testing.assert_close(lm_loss(model, (inputs, targets)), expected)


def test_units():
    assert training.bits_per_char(math.log(2)) == pytest.approx(1.0)
    assert training.perplexity(math.log(7)) == pytest.approx(7.0)


def test_train_does_not_touch_a_deep_copy():
    """Sanity: train updates the model it is given, and only that one."""
    model, windows = tiny_problem()
    frozen = copy.deepcopy(model)
    train(model, windows, steps=3, progress=False)
    assert any(not torch.equal(a, b) for a, b in zip(model.parameters(), frozen.parameters()))


def test_plot_history_draws_every_baseline_or_refuses():
    import matplotlib
    matplotlib.use("Agg")
    from utils.plotting import plot_history
    from utils.training import History
    h = History(steps=[1, 2, 3], loss=[3.0, 2.5, 2.0], val_steps=[3], val_loss=[2.2])
    four = {"uniform": 3.3, "unigram": 2.8, "bigram": 2.3, "checkpoint": 1.6}
    ax = plot_history({"RNN": h}, baselines=four)
    labels = [line.get_label() for line in ax.get_lines()]
    assert all(name in labels for name in four), labels
    with pytest.raises(ValueError, match="at most 4 baselines"):
        plot_history({"RNN": h}, baselines={str(i): float(i) for i in range(5)})
    with pytest.raises(TypeError):
        plot_history({"RNN": h}, baselines=[3.3])


# --- "parameters" is one tensor or an iterable of tensors; bad input is named ---------------------
def test_one_tensor_is_accepted_as_parameters():
    """Iterating one tensor yields its rows, which have no .grad: once 0.0 and nothing clipped."""
    def one():
        p = torch.zeros(3, 2, requires_grad=True)
        p.grad = torch.full((3, 2), 2.0)
        return p
    assert gradient_norm(one()) == pytest.approx(math.sqrt(24.0))
    p = one()
    assert clip_by_norm(p, 1.0) == pytest.approx(math.sqrt(24.0))
    assert float(p.grad.norm()) == pytest.approx(1.0, rel=1e-6)
    p = one()
    clip_by_value(p, 1.5)
    assert p.grad.max().item() == 1.5
    assert gradient_norm(nn.Parameter(torch.ones(2))) == 0.0        # no gradient: skipped


@pytest.mark.parametrize("fn", [gradient_norm, lambda p: clip_by_norm(p, 1.0),
                                lambda p: clip_by_value(p, 1.0)])
@pytest.mark.parametrize("bad, given", [(3, "int"), ("weights", "str"), (None, "NoneType"),
                                        ({"w": torch.ones(1)}, "dict"), ([torch.ones(1), 2.0], "float")])
def test_parameters_that_are_not_tensors_are_named(fn, bad, given):
    with pytest.raises(TypeError, match=rf"parameters must be .*tensors.*got {given}"):
        fn(bad)


@pytest.mark.parametrize("clip", [clip_by_norm, clip_by_value])
def test_clipping_threshold_must_be_finite(clip):
    with pytest.raises(ValueError, match="finite positive number, got inf"):
        clip(params_with_grads(torch.ones(2)), float("inf"))


# --- losses, evaluation and the loop refuse what would give a wrong number ------------------------
def test_lm_loss_refuses_all_padding_and_mismatched_targets():
    model = FixedLogits()
    ids = torch.tensor([[1, 2, 3]])
    with pytest.raises(ValueError, match=r"every target is padding \(id 0\)"):
        lm_loss(model, (ids, torch.zeros_like(ids)))
    with pytest.raises(ValueError, match=r"targets must have shape \(1, 3\).*got \(1, 2\)"):
        lm_loss(model, (ids, ids[:, :2]))
    with pytest.raises(TypeError, match=r"targets must hold integer token ids, got dtype torch.float32"):
        lm_loss(model, (ids, ids.float()))
    with pytest.raises(TypeError, match=r"a batch must be a pair \(inputs, targets\), got Tensor"):
        lm_loss(model, ids)


def test_evaluate_skips_an_all_padding_batch_instead_of_returning_nan():
    torch.manual_seed(0)
    model, ids = FixedLogits(), torch.tensor([[1, 2, 3]])
    good, empty = (ids, ids), (ids, torch.zeros_like(ids))
    assert evaluate(model, [good, empty]) == pytest.approx(evaluate(model, [good]))
    with pytest.raises(ValueError, match="no targets"):
        evaluate(model, [empty])


def test_evaluate_restores_training_mode_after_an_error():
    model = FixedLogits().train()
    with pytest.raises(TypeError):
        evaluate(model, [(torch.tensor([[1]]),) * 3])
    assert model.training


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(lr=float("inf")), ValueError, r"lr must be a finite positive number, got inf"),
    (dict(lr=float("nan")), ValueError, r"lr must be a positive number, got nan"),
    (dict(clip_norm=float("inf")), ValueError, r"clip_norm must be a finite positive number"),
    (dict(seed=1.5), ValueError, r"seed must be an integer, got 1.5"),
    (dict(loss_fn="cross_entropy"), TypeError, r"loss_fn must be callable.*got str"),
    (dict(loss_fn=lambda m, b: m(b[0])[0].mean(-1)), TypeError, r"scalar tensor.*got a tensor of shape"),
])
def test_train_refuses_absurd_settings(kwargs, error, pattern):
    model, windows = tiny_problem()
    with pytest.raises(error, match=pattern):
        train(model, windows, steps=1, **kwargs)


def test_train_refuses_all_padding_targets_and_frozen_models():
    model, _ = tiny_problem()
    ids = torch.ones(2, 3, dtype=torch.long)
    with pytest.raises(ValueError, match=r"every target is padding \(id 0\)"):
        train(model, lambda g: (ids, torch.zeros_like(ids)), steps=2)
    with pytest.raises(ValueError, match="no trainable parameters"):
        train(model.requires_grad_(False), lambda g: (ids, ids), steps=1)


def test_model_device_without_parameters_is_explained():
    with pytest.raises(ValueError, match="ReLU has no parameters and no .device"):
        training.model_device(nn.ReLU())


def test_unit_conversions_refuse_negative_losses_and_overflow_to_inf():
    with pytest.raises(ValueError, match=r"nats must be >= 0.*got -1.0"):
        training.bits_per_char(-1.0)
    with pytest.raises(ValueError, match=r"nats must be >= 0"):
        training.perplexity(-0.5)
    with pytest.raises(TypeError, match=r"nats must be a number.*got str"):
        training.bits_per_char("2.0")
    assert training.perplexity(1000.0) == math.inf
    assert training.perplexity(torch.tensor(0.0)) == 1.0


# --- the hooks, the budget and the defaults (issue 11) -------------------------------------------
def test_clip_hook_gets_the_parameters_with_gradients_and_its_norm_is_recorded():
    model, windows = tiny_problem()
    seen = []

    def clip(parameters):
        seen.append(parameters)
        assert all(p.grad is not None for p in parameters)
        return 42.0 + len(seen)

    history = train(model, windows, steps=3, clip=clip)
    assert [len(p) for p in seen] == [len(list(model.parameters()))] * 3
    assert all(isinstance(p, nn.Parameter) for p in seen[0])
    assert history.grad_norm == [43.0, 44.0, 45.0]


def test_clip_hook_that_returns_none_records_the_norm_after_it():
    model, windows = tiny_problem()

    def zero_the_gradients(parameters):
        for p in parameters:
            p.grad.zero_()

    history = train(model, windows, steps=2, clip=zero_the_gradients)
    assert history.grad_norm == [0.0, 0.0]


def test_clip_hook_replaces_the_built_in_clipping_equally():
    """clip=lambda ps: clip_by_norm(ps, 0.1) trains exactly as clip_norm=0.1."""
    runs = []
    for kwargs in (dict(clip_norm=0.1), dict(clip=lambda ps: clip_by_norm(ps, 0.1))):
        model, windows = tiny_problem(seed=1)
        runs.append((train(model, windows, steps=6, **kwargs), model))
    (h1, m1), (h2, m2) = runs
    assert h1.loss == h2.loss and h1.grad_norm == h2.grad_norm
    assert all(torch.equal(a, b) for a, b in zip(m1.parameters(), m2.parameters()))


@pytest.mark.parametrize("stop_at", [1, 4])
def test_on_step_returning_true_stops_training(stop_at):
    model, windows = tiny_problem()
    calls = []

    def on_step(step, m, history):
        calls.append((step, m is model, len(history.loss)))
        return step == stop_at

    history = train(model, windows, steps=10, on_step=on_step)
    assert history.steps == list(range(1, stop_at + 1))
    assert calls == [(s, True, s) for s in range(1, stop_at + 1)]


def test_on_eval_sees_each_validation_and_can_stop_early():
    model, windows = tiny_problem()
    seen = []

    def on_eval(step, m, history):
        seen.append((step, history.val_loss[-1]))
        return step >= 6

    history = train(model, windows, steps=20, eval_every=3, on_eval=on_eval,
                    val_batches=lambda: windows.all_batches(max_windows=4))
    assert [s for s, _ in seen] == [3, 6] and history.steps[-1] == 6
    assert [v for _, v in seen] == history.val_loss


def test_stopping_early_still_validates_the_last_step():
    model, windows = tiny_problem()
    history = train(model, windows, steps=20, eval_every=10, on_step=lambda s, m, h: s == 4,
                    val_batches=lambda: windows.all_batches(max_windows=4))
    assert history.val_steps == [4]


class FakeClock:
    """time.perf_counter that advances by ``tick`` seconds at every reading."""

    def __init__(self, tick):
        self.now, self.tick = 0.0, tick

    def __call__(self):
        self.now += self.tick
        return self.now


def test_max_seconds_stops_on_a_fake_clock_and_decays_the_lr_to_its_end(monkeypatch):
    monkeypatch.setattr(training.time, "perf_counter", FakeClock(tick=0.5))
    model, windows = tiny_problem()
    history = train(model, windows, steps=None, max_seconds=10.0, lr=1e-2)
    # two readings per step (the schedule, the budget) plus the start: 1 s per step
    assert len(history.steps) == 10
    assert history.lr[0] == pytest.approx(1e-2 * (1 - 0.05))
    assert all(a > b for a, b in zip(history.lr, history.lr[1:]))
    assert history.lr[-1] < 1e-2 / 5


def test_the_schedule_follows_whichever_budget_is_further_used(monkeypatch):
    monkeypatch.setattr(training.time, "perf_counter", FakeClock(tick=0.0))
    model, windows = tiny_problem()
    history = train(model, windows, steps=4, max_seconds=1e6, lr=1.0, optimizer=None)
    assert history.lr == pytest.approx([1.0, 0.75, 0.5, 0.25])


@pytest.mark.parametrize("schedule, expected", [
    ("constant", [1.0, 1.0, 1.0, 1.0]),
    ("linear", [1.0, 0.75, 0.5, 0.25]),
    ("cosine", [1.0, 0.5 * (1 + math.cos(math.pi / 4)), 0.5, 0.5 * (1 + math.cos(3 * math.pi / 4))]),
    (lambda done: 1.0 - done / 2, [1.0, 0.875, 0.75, 0.625]),
])
def test_schedules_scale_the_lr_by_the_share_of_the_budget_used(schedule, expected):
    model, windows = tiny_problem()
    sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    history = train(model, windows, steps=4, optimizer=sgd, schedule=schedule)
    assert history.lr == pytest.approx([0.1 * e for e in expected])
    assert sgd.param_groups[0]["lr"] == 0.1          # the optimizer's own rate is restored


def test_constant_schedule_without_weight_decay_is_plain_adam_bitwise():
    """The explicit recipes (tasks.RECALL_RECIPE) keep their numbers under the new defaults."""
    runs = []
    for adam in (True, False):
        model, windows = tiny_problem(seed=2)
        kwargs = (dict(optimizer=torch.optim.Adam(model.parameters(), lr=1e-2)) if adam
                  else dict(lr=1e-2, weight_decay=0.0))
        runs.append((train(model, windows, steps=8, clip_norm=1.0, schedule="constant",
                           **kwargs).loss, model))
    (l1, m1), (l2, m2) = runs
    assert l1 == l2
    assert all(torch.equal(a, b) for a, b in zip(m1.parameters(), m2.parameters()))


def test_the_defaults_are_adamw_with_weight_decay_and_a_linear_decay():
    import inspect
    defaults = {k: v.default for k, v in inspect.signature(train).parameters.items()}
    assert defaults["weight_decay"] > 0 and defaults["schedule"] == "linear"
    assert defaults["clip_norm"] is None and defaults["optimizer"] is None
    model, windows = tiny_problem()
    history = train(model, windows, steps=5)
    assert history.lr == pytest.approx([defaults["lr"] * (1 - s / 5) for s in range(5)])


def test_weight_decay_shrinks_weights_without_gradient():
    """AdamW's decay is decoupled: a parameter with zero gradient shrinks by lr * wd."""
    model = nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.fill_(1.0)

    def loss_fn(m, batch):
        return m.bias.sum() * 0 + m.weight.sum() * 0

    train(model, lambda g: None, steps=1, lr=0.1, weight_decay=0.5, loss_fn=loss_fn)
    assert torch.allclose(model.weight, torch.full((1, 2), 1 - 0.1 * 0.5))


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(steps=None), ValueError, r"steps=None trains until max_seconds: give max_seconds"),
    (dict(steps=0), ValueError, r"steps must be a positive integer, got 0"),
    (dict(max_seconds=-1), ValueError, r"max_seconds must be a positive number, got -1"),
    (dict(max_seconds=float("inf")), ValueError, r"max_seconds must be a finite positive number"),
    (dict(weight_decay=-0.1), ValueError, r"weight_decay must be a finite number >= 0, got -0.1"),
    (dict(weight_decay="0.1"), ValueError, r"weight_decay must be a finite number >= 0, got '0.1'"),
    (dict(schedule="exponential"), ValueError,
     r"schedule must be one of 'constant', 'linear', 'cosine' or a function.*got 'exponential'"),
    (dict(clip=1.0), TypeError, r"clip must be a function clip\(parameters\) -> norm or None, got float"),
    (dict(clip=lambda ps: None, clip_norm=1.0), ValueError, r"clip replaces the built-in clipping"),
    (dict(on_step=True), TypeError, r"on_step must be a function on_step\(step, model, history\).*got bool"),
    (dict(on_eval="stop"), TypeError, r"on_eval must be a function on_eval.*got str"),
    (dict(val_batches=[1]), TypeError, r"val_batches must be a function returning an iterable.*got list"),
    (dict(optimizer="adam"), TypeError, r"optimizer must be a torch.optim.Optimizer or None, got str"),
    (dict(progress="no"), TypeError, r"progress must be True or False, got 'no'"),
    (dict(stop_on_nan=None), TypeError, r"stop_on_nan must be True or False, got None"),
    (dict(eval_every=0), ValueError, r"eval_every must be a positive integer, got 0"),
])
def test_train_names_every_bad_argument(kwargs, error, pattern):
    model, windows = tiny_problem()
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(error, match=pattern):
        train(model, windows, **{"steps": 1, **kwargs})
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_train_refuses_a_model_that_is_not_a_module():
    with pytest.raises(TypeError, match=r"model must be a torch.nn.Module, got function"):
        train(lambda x: x, lambda g: None, steps=1)


# --- eval_mode ------------------------------------------------------------------------------------
def test_eval_mode_switches_off_training_and_gradients_and_restores_the_mode():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5)).train()
    with training.eval_mode(model) as inside:
        assert inside is model and not model.training and not model[1].training
        assert not torch.is_grad_enabled()
        assert not model(torch.ones(1, 2)).requires_grad
    assert model.training and model[1].training and torch.is_grad_enabled()
    model.eval()
    with training.eval_mode(model):
        pass
    assert not model.training


def test_eval_mode_restores_the_mode_when_an_error_escapes():
    model = nn.Linear(2, 2).train()
    with pytest.raises(RuntimeError, match="boom"):
        with training.eval_mode(model):
            raise RuntimeError("boom")
    assert model.training and torch.is_grad_enabled()
    with pytest.raises(TypeError, match=r"model must be a torch.nn.Module, got str"):
        with training.eval_mode("model"):
            pass


# --- every loss moves the batch to the model's device ---------------------------------------------
@pytest.fixture
def moves(monkeypatch):
    """Records (tensor id, device) of every Tensor.to(device) call."""
    calls, to = [], torch.Tensor.to

    def spy(self, *args, **kwargs):
        if args and isinstance(args[0], (torch.device, str)):
            calls.append((id(self), torch.device(args[0])))
        return to(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "to", spy)
    return calls


class OnDevice(nn.Module):
    """A model that declares its device (as the token models do) and returns ``output``."""

    def __init__(self, output, device="cpu"):
        super().__init__()
        self.output, self.device = output, torch.device(device)
        self.w = nn.Parameter(torch.zeros((), device=device))

    def forward(self, ids):
        return self.output(ids)


LOSSES = [
    (lm_loss, lambda ids: (torch.zeros(*ids.shape, 5, device=ids.device), None), (2, 3)),
    (training.classification_loss, lambda ids: torch.zeros(ids.shape[0], 5, device=ids.device), (2,)),
    (training.tagging_loss, lambda ids: torch.zeros(*ids.shape, 5, device=ids.device), (2, 3)),
]


@pytest.mark.parametrize("loss_fn, make_output, target_shape", LOSSES)
def test_every_loss_moves_the_batch_to_the_model_device(moves, loss_fn, make_output, target_shape):
    ids, targets = torch.ones(2, 3, dtype=torch.long), torch.ones(target_shape, dtype=torch.long)
    loss_fn(OnDevice(make_output), (ids, targets))
    assert {(id(ids), torch.device("cpu")), (id(targets), torch.device("cpu"))} <= set(moves)


def test_evaluate_moves_the_batch_before_a_custom_loss_sees_it(moves):
    batch = (torch.ones(2, 3), torch.ones(2, 3))
    model = OnDevice(lambda ids: ids)
    assert evaluate(model, [batch], lambda m, b: torch.tensor(1.0)) == 1.0
    assert {(id(t), torch.device("cpu")) for t in batch} <= set(moves)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("loss_fn, make_output, target_shape", LOSSES)
def test_every_loss_on_cuda_takes_a_cpu_batch(loss_fn, make_output, target_shape):
    ids, targets = torch.ones(2, 3, dtype=torch.long), torch.ones(target_shape, dtype=torch.long)
    loss = loss_fn(OnDevice(make_output, "cuda"), (ids, targets))
    assert loss.device.type == "cuda"
    assert loss.item() == pytest.approx(math.log(5))


@pytest.mark.parametrize("loss_fn, output, labels, pattern", [
    (training.classification_loss, torch.zeros(2, 4), torch.tensor([0, 4]),
     r"labels must lie in \[0, 4\) \(or be -100\), got values from 0 to 4"),
    (training.classification_loss, torch.zeros(2, 4), torch.tensor([0]), r"labels must have shape \(2,\)"),
    (training.classification_loss, torch.zeros(2, 4), torch.zeros(2, 1, dtype=torch.long), r"labels must be 1-D"),
    (training.tagging_loss, torch.zeros(2, 3, 4), torch.full((2, 3), -100),
     r"every label is IGNORE \(-100, not scored\): there is nothing to predict"),
    (training.tagging_loss, torch.zeros(2, 3, 4), torch.zeros(2, 3), r"labels must hold integer"),
    (training.tagging_loss, torch.zeros(2, 3, 4, dtype=torch.long), torch.zeros(2, 3, dtype=torch.long),
     r"the model's output \(logits\) must hold floating-point numbers"),
])
def test_losses_refuse_labels_that_do_not_fit_the_output(loss_fn, output, labels, pattern):
    model = nn.Module()
    model.w = nn.Parameter(torch.zeros(()))
    model.forward = lambda ids: output
    with pytest.raises((ValueError, TypeError), match=pattern):
        loss_fn(model, (torch.zeros(2, 3, dtype=torch.long), labels))


# --- seconds_per_step -----------------------------------------------------------------------------
def test_seconds_per_step_is_the_fastest_pass_and_zeroes_the_gradients(monkeypatch):
    model, windows = tiny_problem()
    batch = windows(torch.Generator().manual_seed(0))
    clock = iter([0.0, 3.0, 10.0, 11.0, 20.0, 22.0])        # passes of 3, 1 and 2 seconds
    monkeypatch.setattr(training.time, "perf_counter", lambda: next(clock))
    assert training.seconds_per_step(model, batch, repeats=3) == 1.0
    assert all(p.grad is None for p in model.parameters())


def test_seconds_per_step_takes_a_custom_loss_and_refuses_bad_settings():
    core = nn.GRU(3, 4, batch_first=True)
    xs = torch.randn(2, 5, 3)
    seconds = training.seconds_per_step(core, xs, loss_fn=lambda c, x: c(x)[0].sum(), repeats=2)
    assert 0 < seconds < math.inf
    with pytest.raises(ValueError, match=r"repeats must be a positive integer, got 0"):
        training.seconds_per_step(core, xs, repeats=0)
    with pytest.raises(TypeError, match=r"loss_fn must be callable"):
        training.seconds_per_step(core, xs, loss_fn="sum")
    with pytest.raises(TypeError, match=r"scalar tensor"):
        training.seconds_per_step(core, xs, loss_fn=lambda c, x: c(x)[0])


@pytest.mark.parametrize("call, pattern", [
    (lambda m, w: train(m, w, steps=10**12), r"steps must be at most 10,000,000"),
    (lambda m, w: training.seconds_per_step(m, w(None), repeats=10**9), r"repeats must be at most 1,000"),
    (lambda m, w: evaluate(m, 5), r"batches must be an iterable of \(inputs, targets\) batches.*got int"),
    (lambda m, w: evaluate(m, [w(None)], pad_id="pad"), r"pad_id must be an integer, got 'pad'"),
])
def test_absurd_budgets_and_bad_evaluations_fail_fast(call, pattern):
    model, windows = tiny_problem()
    with pytest.raises((ValueError, TypeError), match=pattern):
        call(model, windows)
