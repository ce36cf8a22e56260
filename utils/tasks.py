"""Synthetic sequence tasks whose difficulty is one number: a distance in time steps.

The key-recall task: the first token is a key (one of ``n_keys`` symbols); then come
``distance`` distractor tokens drawn at random; the last token is a query mark. The label
is the key. A model must carry the key across ``distance`` steps; chance accuracy is
1 / n_keys.

    task = RecallTask(n_keys=4, n_distractors=8)
    ids, labels = task.sample(64, distance=20, generator=g)   # (64, 22), (64,)
    task.describe(ids[0])                                      # 'C f a h ... b ?'

    sweep = accuracy_vs_distance("rnn", [5, 10, 20, 40], seed=[0, 1, 2])
    plot_accuracy_vs_distance({"RNN": sweep})

One recipe trains every cell the course compares on this task (Chapters 3, 4, 5 and Labs
3, 4): ``RECALL_RECIPE``, the defaults of ``train_recall`` and ``accuracy_vs_distance``.
Gate-bias initialisation is a separate variable: ``init=gate_bias("gru", -2.0)``.
The parallel cells of Chapter 8 ("mingru", "minlstm", "lru", ``utils.parallel``) train with
the same recipe: ``train_recall("mingru", 20)`` (backend "scratch", picked for them).

Token ids: 0..n_keys-1 are the keys, n_keys..n_keys+n_distractors-1 the distractors, and
the last id, ``query_id``, the query mark.
"""
from __future__ import annotations

import numbers
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch.nn import functional as F

from .data import MAX_TOKENS
from .models import SequenceClassifier
from .parallel import KINDS as PARALLEL_KINDS, ParallelRNN
from .plotting import COLORS, CYCLE, smooth
from .training import classification_loss, eval_mode, model_device, train
from .validate import (expect_choice, expect_device, expect_positive_int, expect_positive_number,
                       expect_seed, expect_tensor)


RECALL_RECIPE = {"lr": 1e-2, "steps": 400, "clip_norm": 1.0, "hidden_size": 32,
                 "embedding_dim": 16, "batch_size": 64}
"""The one training recipe of the recall comparisons: Adam(lr) at a constant rate (no
weight decay, no schedule: not train()'s defaults), ``steps`` batches of fresh sequences,
clipping by global norm, J hidden units, E-dimensional embeddings."""


def _expect_distance(distance) -> int:
    if isinstance(distance, bool) or not isinstance(distance, numbers.Integral) or distance < 0:
        raise ValueError(f"distance must be a non-negative integer, got {distance!r}")
    return int(distance)




def _expect_task(task):
    if task is None:
        return RecallTask()
    if not isinstance(task, RecallTask):
        raise TypeError(f"task must be a RecallTask or None, got {type(task).__name__}")
    return task


def _expect_ids_and_labels(ids, labels, vocab_size: int, num_classes: int, where: str = ""):
    """ids (B, T) ints in [0, vocab_size), labels (B,) ints in [0, num_classes), B, T >= 1."""
    if not (isinstance(ids, torch.Tensor) and isinstance(labels, torch.Tensor)):
        raise TypeError(f"{where}expected (ids, labels) as two torch tensors, got "
                        f"({type(ids).__name__}, {type(labels).__name__})")
    expect_tensor(ids, "ids", ndim=2, floating=False)
    expect_tensor(labels, "labels", shape=(ids.shape[0],), floating=False)
    if ids.shape[0] == 0 or ids.shape[1] == 0:
        raise ValueError(f"ids must hold at least one sequence of at least one token, got shape "
                         f"{tuple(ids.shape)}")
    for x, name, size in ((ids, "ids", vocab_size), (labels, "labels", num_classes)):
        if x.dtype == torch.bool:
            raise TypeError(f"{name} must hold integer ids, got dtype torch.bool")
        low, high = int(x.min()), int(x.max())
        if low < 0 or high >= size:
            raise ValueError(f"{name} must lie in [0, {size}), got values from {low} to {high}")


class RecallTask:
    """Generator of the key-recall task. ``vocab_size`` = n_keys + n_distractors + 1."""

    def __init__(self, n_keys: int = 4, n_distractors: int = 8):
        self.n_keys = expect_positive_int(n_keys, "n_keys")
        if self.n_keys < 2:
            raise ValueError(f"n_keys must be at least 2 (one key leaves nothing to recall), "
                             f"got {n_keys}")
        self.n_distractors = expect_positive_int(n_distractors, "n_distractors")
        self.query_id = self.n_keys + self.n_distractors
        self.vocab_size = self.n_keys + self.n_distractors + 1

    @property
    def chance(self) -> float:
        """Accuracy of guessing: 1 / n_keys."""
        return 1.0 / self.n_keys

    def __repr__(self) -> str:
        return f"RecallTask(n_keys={self.n_keys}, n_distractors={self.n_distractors})"

    def sample(self, n: int, distance: int, generator: torch.Generator | None = None):
        """n sequences of length distance + 2 -> (ids (n, distance+2), labels (n,)), int64.

        ids[:, 0] is the key, ids[:, 1:-1] the distractors, ids[:, -1] the query mark.
        """
        n = expect_positive_int(n, "n")
        distance = _expect_distance(distance)
        if n * (distance + 2) > MAX_TOKENS:
            raise ValueError(f"n * (distance + 2) must be at most {MAX_TOKENS:,} token ids, got "
                             f"{n:,} * {distance + 2:,}: use fewer or shorter sequences")
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None, "
                            f"got {type(generator).__name__}")
        keys = torch.randint(self.n_keys, (n,), generator=generator)
        distractors = self.n_keys + torch.randint(self.n_distractors, (n, distance),
                                                  generator=generator)
        query = torch.full((n, 1), self.query_id)
        return torch.cat([keys[:, None], distractors, query], dim=1), keys

    def batches(self, distance: int, batch_size: int = 64):
        """A ``batches(generator)`` callable for ``utils.training.train``: fresh sequences
        at every call."""
        distance = _expect_distance(distance)
        batch_size = expect_positive_int(batch_size, "batch_size")
        return lambda generator: self.sample(batch_size, distance, generator)

    def describe(self, ids: torch.Tensor) -> str:
        """One sequence as text: keys 'A', 'B', ..., distractors 'a', 'b', ..., the query '?'."""
        expect_tensor(ids, "ids", ndim=1, floating=False)
        if self.n_keys > 26 or self.n_distractors > 26:
            raise ValueError(f"describe writes keys as A-Z and distractors as a-z, so it needs at "
                             f"most 26 of each, got n_keys={self.n_keys}, "
                             f"n_distractors={self.n_distractors}")
        out = []
        for i in ids.tolist():
            if not 0 <= i < self.vocab_size:
                raise ValueError(f"ids must lie in [0, {self.vocab_size}), got {i}")
            if i < self.n_keys:
                out.append(chr(ord("A") + i))
            elif i == self.query_id:
                out.append("?")
            else:
                out.append(chr(ord("a") + i - self.n_keys))
        return " ".join(out)


def recall_accuracy(model, task: RecallTask, distance: int, n: int = 1000,
                    seed: int = 10_000) -> float:
    """Share of ``n`` fresh sequences (own generator, ``seed``) whose key the model recalls."""
    device = model_device(model)
    task = _expect_task(task)
    ids, labels = task.sample(n, distance, torch.Generator().manual_seed(expect_seed(seed)))
    with eval_mode(model):
        predictions = model(ids.to(device)).argmax(dim=-1).cpu()
    return float((predictions == labels).float().mean())


GATE_BIAS_BLOCKS = {"lstm": "f", "gru": "u", "minlstm": "f", "mingru": "u"}
"""The gate whose bias ``gate_bias`` sets, for each kind: the one that decides what is kept."""


def gate_bias(cell: str, value: float):
    """An ``init`` for train_recall / accuracy_vs_distance that sets the bias of the gate that
    decides how much of the old state is kept, in the course's convention:
    ``gate_bias("lstm", 1.0)``: forget gate bias b_f = 1 (keeps more: f = sigma(1) ~ 0.73);
    ``gate_bias("gru", -2.0)``: update gate bias b_u = -2 (keeps more: Gamma_u = sigma(-2) ~ 0.12
    of the new candidate). PyTorch's GRU gate z = 1 - Gamma_u gets bias -b_u. The bias is the
    sum bias_ih + bias_hh: the block of bias_ih is set to the value, that of bias_hh to 0.

    The parallel cells (``utils.parallel``, backend "scratch"), every layer:
    ``gate_bias("mingru", -2.0)``: b_u = -2, so alpha = 1 - Gamma_u = sigma(2) ~ 0.88 is kept
    at each step, as for the GRU; ``gate_bias("minlstm", 1.0)``: b_f = 1, the forget gate
    before normalisation (alpha = f' = f / (f + i), which also depends on b_i).
    "lru" is refused: the diagonal unit has no gate; what it keeps is its eigenvalue
    λ = exp(-exp(ν)), chosen by the ring r_min..r_max of ``DiagonalLinearCell``."""
    if cell == "lru":
        raise ValueError("gate_bias has nothing to set for 'lru': the diagonal linear unit has no "
                         "gate; what it keeps is lambda = exp(-exp(nu)), set by "
                         "DiagonalLinearCell(r_min=..., r_max=...)")
    cell = expect_choice(cell, "cell", tuple(GATE_BIAS_BLOCKS))
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"value must be a finite number, got {value!r}")
    if cell in PARALLEL_KINDS:
        return _parallel_gate_bias(cell, float(value))
    block = 1                                 # LSTM blocks i, f, g, o; GRU blocks r, z, n
    sign = 1.0 if cell == "lstm" else -1.0    # PyTorch's z = 1 - Gamma_u: its bias is -b_u

    @torch.no_grad()
    def init(model):
        core = getattr(model, "core", None)
        wanted = torch.nn.LSTM if cell == "lstm" else torch.nn.GRU
        if not isinstance(core, wanted):
            raise TypeError(f"gate_bias({cell!r}, ...) needs a model whose core is a "
                            f"torch.nn.{wanted.__name__} (backend='torch'), got "
                            f"{type(core).__name__}")
        J = core.hidden_size
        for layer in range(core.num_layers):
            getattr(core, f"bias_ih_l{layer}")[block * J:(block + 1) * J].fill_(sign * value)
            getattr(core, f"bias_hh_l{layer}")[block * J:(block + 1) * J].fill_(0.0)
    return init


def _parallel_gate_bias(cell: str, value: float):
    """gate_bias for a ParallelRNN core: the gate's block of b, in every layer."""
    @torch.no_grad()
    def init(model):
        core = getattr(model, "core", None)
        if not (isinstance(core, ParallelRNN) and core.kind == cell):
            raise TypeError(f"gate_bias({cell!r}, ...) needs a model whose core is a "
                            f"ParallelRNN of kind {cell!r} (cell={cell!r}), got "
                            f"{type(core).__name__}" + (f" of kind {core.kind!r}"
                                                        if isinstance(core, ParallelRNN) else ""))
        for layer in core.cells():
            layer.block(GATE_BIAS_BLOCKS[cell], "b").fill_(value)
    return init


def _recall_backend(cell, backend):
    """None: "scratch" for the parallel kinds (torch.nn has none of them), else "torch"."""
    if backend is None:
        return "scratch" if cell in PARALLEL_KINDS else "torch"
    return backend


def train_recall(cell: str, distance: int, task: RecallTask | None = None,
                 steps: int = RECALL_RECIPE["steps"], lr: float = RECALL_RECIPE["lr"],
                 hidden_size: int = RECALL_RECIPE["hidden_size"],
                 embedding_dim: int = RECALL_RECIPE["embedding_dim"],
                 batch_size: int = RECALL_RECIPE["batch_size"],
                 clip_norm: float | None = RECALL_RECIPE["clip_norm"], seed: int = 0,
                 backend: str | None = None, init=None, device=None):
    """Train a fresh ``SequenceClassifier`` on the recall task at one distance.

    Adam(lr) at a constant rate, ``steps`` batches of fresh sequences, clipping by norm
    (defaults: RECALL_RECIPE).
    ``init(model)``, if given, runs after the model is built (e.g. ``gate_bias("gru", -2.0)``).
    device: where the model trains (default: the CPU); the same seed gives the same model.
    cell: any kind of ``SequenceClassifier``, the parallel "mingru", "minlstm", "lru" too.
    backend: None picks "torch" (torch.nn's fused modules) for "rnn", "gru", "lstm" and
    "scratch" for the others, which torch.nn does not have.
    -> (model, History)
    """
    task = _expect_task(task)
    seed = expect_seed(seed)
    if init is not None and not callable(init):
        raise TypeError(f"init must be a function init(model) or None, got {type(init).__name__}")
    torch.manual_seed(seed)
    model = SequenceClassifier(task.vocab_size, task.n_keys, hidden_size=hidden_size, cell=cell,
                               embedding_dim=embedding_dim, backend=_recall_backend(cell, backend))
    if init is not None:
        init(model)
    model.to(expect_device(device))
    history = train(model, task.batches(distance, batch_size), steps=steps, lr=lr,
                    loss_fn=classification_loss, clip_norm=clip_norm, seed=seed,
                    weight_decay=0.0, schedule="constant")
    return model, history


def accuracy_vs_distance(cell: str, distances, steps: int = RECALL_RECIPE["steps"], seed=0,
                         task: RecallTask | None = None, n_test: int = 1000, device=None,
                         **train_kwargs) -> dict:
    """For every distance and seed: train a fresh model (``train_recall``), test it on fresh
    sequences. ``seed``: one int or a list of ints; ``device`` where the models train.
    Extra keyword arguments go to train_recall.

    Returns {"cell", "distances" (n_d,), "seeds", "accuracy" (n_seeds, n_d), "mean" (n_d,),
    "loss" (n_seeds, n_d, steps) training loss per step (NaN after a diverged run stops),
    "chance", "steps", "seconds"}.
    """
    if isinstance(distances, (str, bytes)) or not hasattr(distances, "__iter__"):
        raise TypeError(f"distances must be a list of non-negative integers, "
                        f"got {type(distances).__name__}")
    distances = [_expect_distance(d) for d in distances]
    if not distances:
        raise ValueError("distances must hold at least one distance")
    if isinstance(seed, numbers.Integral):
        seeds = [seed]
    elif isinstance(seed, (list, tuple, range, np.ndarray)):
        seeds = list(seed)
    else:
        raise TypeError(f"seed must be an integer or a list of integers, got {type(seed).__name__}")
    seeds = [expect_seed(s, "every seed") for s in seeds]
    if not seeds:
        raise ValueError("seed must be an integer or a non-empty list of integers")
    n_test = expect_positive_int(n_test, "n_test")
    task = _expect_task(task)
    steps = expect_positive_int(steps, "steps")
    accuracy = np.zeros((len(seeds), len(distances)))
    losses = np.full((len(seeds), len(distances), steps), np.nan)
    start = time.perf_counter()
    for i, s in enumerate(seeds):
        for j, d in enumerate(distances):
            model, history = train_recall(cell, d, task, steps=steps, seed=s, device=device,
                                          **train_kwargs)
            accuracy[i, j] = recall_accuracy(model, task, d, n=n_test, seed=10_000 + s)
            losses[i, j, :len(history.loss)] = history.loss
    return {"cell": cell, "distances": np.array(distances), "seeds": seeds, "accuracy": accuracy,
            "mean": accuracy.mean(axis=0), "loss": losses, "chance": task.chance,
            "steps": steps, "seconds": time.perf_counter() - start}


def leaves_plateau(losses, task: RecallTask, fraction: float = 0.5,
                   window: int = 20) -> int | None:
    """The step at which a recall run leaves the plateau: the first step (counted from 1)
    whose smoothed training loss (trailing mean over ``window`` steps) is below
    ``fraction`` * log(n_keys), the loss of guessing the key at chance. None: never.

    losses: (steps,) the training loss per step (NaN after a run stopped), e.g. a row of
    ``accuracy_vs_distance(...)["loss"]`` or ``history.loss``.
    """
    task = _expect_task(task)
    fraction = expect_positive_number(fraction, "fraction")
    if fraction >= 1:
        raise ValueError(f"fraction must lie in (0, 1): a share of the chance-level loss "
                         f"log({task.n_keys}), got {fraction!r}")
    below = np.flatnonzero(smooth(losses, window) < fraction * np.log(task.n_keys))
    return int(below[0]) + 1 if below.size else None


def plot_accuracy_vs_distance(sweeps: dict, ax=None, title: str | None = None):
    """Accuracy against distance for one or more sweeps {label: accuracy_vs_distance(...)}:
    the mean over seeds as a line, every seed as a dot, chance as a dashed line."""
    if not isinstance(sweeps, dict) or not sweeps:
        raise TypeError("sweeps must be a non-empty dict {label: result of accuracy_vs_distance}")
    if len(sweeps) > len(CYCLE):
        raise ValueError(f"plot_accuracy_vs_distance draws at most {len(CYCLE)} sweeps (one colour "
                         f"each), got {len(sweeps)}")
    for label, sweep in sweeps.items():
        missing = [k for k in ("distances", "accuracy", "chance") if not isinstance(sweep, dict)
                   or k not in sweep]
        if missing:
            raise ValueError(f"sweeps[{label!r}] must be a result of accuracy_vs_distance, "
                             f"missing {missing}")
        acc = np.asarray(sweep["accuracy"], dtype=float)
        n_d = len(np.atleast_1d(sweep["distances"]))
        if acc.ndim != 2 or acc.shape[1] != n_d or acc.shape[0] == 0:
            raise ValueError(f"sweeps[{label!r}]['accuracy'] must be (n_seeds, {n_d}), one column "
                             f"per distance, got shape {acc.shape}")
        if not np.isfinite(acc).all():
            raise ValueError(f"sweeps[{label!r}]['accuracy'] must be finite, got "
                             f"{int((~np.isfinite(acc)).sum())} NaN or inf values")
    chances = {float(sweep["chance"]) for sweep in sweeps.values()}
    if len(chances) > 1:
        raise ValueError(f"every sweep must have the same chance level (the same task), got "
                         f"{sorted(chances)}")
    ax = ax or plt.subplots(figsize=(6.4, 3.4))[1]
    markers = "osD^v"
    for k, ((label, sweep), color) in enumerate(zip(sweeps.items(), CYCLE)):
        d, acc = sweep["distances"], 100 * np.asarray(sweep["accuracy"])
        ax.plot(d, acc.mean(axis=0), markers[k % 5] + "-", color=color, ms=5, label=label, zorder=3)
        for row in acc:
            ax.plot(d, row, markers[k % 5], color=color, ms=3.5, alpha=0.35, zorder=2)
    chance = 100 * next(iter(sweeps.values()))["chance"]
    ax.axhline(chance, color=COLORS["grey"], ls="--", lw=1.2, label=f"chance ({chance:.0f}%)")
    ax.set(xlabel="distance (distractors between the key and the query)",
           ylabel="test accuracy (%)", ylim=(0, 104))
    if title:
        ax.set_title(title)
    ax.legend(loc="best")
    return ax


def input_gradient_norms(model: SequenceClassifier, ids: torch.Tensor,
                         labels: torch.Tensor) -> np.ndarray:
    """||dL/de_t|| for every position t (batch mean), e_t the embedded input token: how strongly
    the loss at the end can still push on what the model does with the token at step t.
    ids: (B, T), labels: (B,) -> (T,)."""
    if not isinstance(model, SequenceClassifier):
        raise TypeError(f"model must be a utils.models.SequenceClassifier, "
                        f"got {type(model).__name__}")
    _expect_ids_and_labels(ids, labels, model.vocab_size, model.num_classes)
    device = model.device
    ids, labels = ids.to(device), labels.to(device)
    embedded = model.embedding(ids).detach().requires_grad_()
    with torch.enable_grad():
        out, _ = model.core(embedded)
        loss = F.cross_entropy(model.head(out[:, -1]), labels)
        grad, = torch.autograd.grad(loss, embedded)
    return grad.norm(dim=-1).mean(dim=0).cpu().numpy()


__all__ = ["RECALL_RECIPE", "GATE_BIAS_BLOCKS", "gate_bias", "RecallTask", "recall_accuracy",
           "train_recall", "accuracy_vs_distance", "plot_accuracy_vs_distance", "input_gradient_norms"]
