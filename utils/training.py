"""The one training loop every chapter and lab uses, its losses, and gradient clipping.

    history = train(model, batches, steps=2000, val_batches=lambda: val.all_batches())

* Losses, ``loss_fn(model, batch) -> scalar``; each moves the batch to the model's device:
  ``lm_loss`` (next token, <PAD> ignored), ``classification_loss`` (one label per
  sequence), ``tagging_loss`` (one label per position, IGNORE skipped).
* ``train``: AdamW with a learning rate that decays to 0 over the budget (``steps`` or
  ``max_seconds``); hooks ``clip``, ``on_step``, ``on_eval``. ``evaluate``: mean loss.
* ``eval_mode(model)``: eval mode and no gradients inside a ``with`` block.
* Clipping (``clip_by_norm``, ``clip_by_value``, ``gradient_norm``), ``seconds_per_step``,
  and the units of a loss (``bits_per_char``, ``perplexity``).

``batches(generator)`` returns one training batch (``data.SequenceBatches``,
``data.TextWindows``, ``tasks.RecallTask.batches``...).
"""
from __future__ import annotations

import itertools
import math
import numbers
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch.nn import functional as F
from tqdm.auto import tqdm

from .validate import expect_integer, expect_positive_int, expect_positive_number, expect_tensor

IGNORE = -100
"""Label of a position that is not scored (F.cross_entropy's ignore_index)."""
MAX_STEPS = 10**7
"""Most updates (and timing repeats) ``train`` and ``seconds_per_step`` accept: beyond it, a typo."""


# --- where a model lives, and its eval mode ------------------------------------------------
def model_device(model) -> torch.device:
    """``model.device`` when the model defines it (the token models do), else its first
    parameter's."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    device = getattr(model, "device", None)
    if device is None:
        first = next(iter(model.parameters()), None)
        if first is None:
            raise ValueError(f"{type(model).__name__} has no parameters and no .device: "
                             "cannot tell where its inputs belong")
        device = first.device
    return torch.device(device)


@contextmanager
def eval_mode(model):
    """Inside ``with eval_mode(model):`` the model is in eval mode and no gradients are
    recorded; on leaving (even by an error) it is back in the mode it was in."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


# --- losses ------------------------------------------------------------------------------
def _batch_on_device(model, batch) -> tuple:
    """A pair of tensors (inputs, targets), moved to the model's device."""
    if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
        raise TypeError(f"a batch must be a pair (inputs, targets), got {type(batch).__name__}"
                        + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else ""))
    for name, t in zip(("inputs", "targets"), batch):
        expect_tensor(t, name)
    device = model_device(model)
    return tuple(t.to(device) for t in batch)


def _cross_entropy(logits, targets, ignore_index: int, what: str, ignored: str) -> torch.Tensor:
    """Mean cross-entropy of logits (..., K) against targets (...), skipping ignore_index
    (``ignored`` names it); refuses a shape mismatch, targets outside [0, K) and targets
    that are all ignored."""
    expect_tensor(logits, "the model's output (logits)", floating=True)
    expect_tensor(targets, what, floating=False)
    if tuple(targets.shape) != tuple(logits.shape[:-1]):
        raise ValueError(f"{what} must have shape {tuple(logits.shape[:-1])}, one per "
                         f"prediction of the model, got {tuple(targets.shape)}")
    scored = targets[targets != ignore_index]
    if scored.numel() == 0:
        raise ValueError(f"every {what[:-1]} is {ignored}: there is nothing to predict")
    K = logits.shape[-1]
    if int(scored.min()) < 0 or int(scored.max()) >= K:
        raise ValueError(f"{what} must lie in [0, {K}) (or be {ignore_index}), got values "
                         f"from {int(scored.min())} to {int(scored.max())}")
    return F.cross_entropy(logits.reshape(-1, K), targets.reshape(-1), ignore_index=ignore_index)


def lm_loss(model, batch, pad_id: int = 0) -> torch.Tensor:
    """Mean next-token cross-entropy in nats over non-padding targets.

    batch: (inputs (B, T), targets (B, T)) ids; the model returns (logits (B, T, K), state).
    """
    inputs, targets = _batch_on_device(model, batch)
    logits, _ = model(inputs)
    return _cross_entropy(logits, targets, pad_id, "targets", f"padding (id {pad_id})")


def classification_loss(model, batch) -> torch.Tensor:
    """Mean cross-entropy of a many-to-one model (one label per sequence).

    batch: (ids (B, T), labels (B,)); model(ids) returns logits (B, C).
    """
    ids, labels = _batch_on_device(model, batch)
    expect_tensor(labels, "labels", ndim=1, floating=False)
    return _cross_entropy(model(ids), labels, IGNORE, "labels", f"IGNORE ({IGNORE}, not scored)")


def tagging_loss(model, batch) -> torch.Tensor:
    """Mean cross-entropy over the scored positions (label != IGNORE) of a tagger.

    batch: (ids (B, T), labels (B, T)); model(ids) returns logits (B, T, C).
    """
    ids, labels = _batch_on_device(model, batch)
    expect_tensor(labels, "labels", ndim=2, floating=False)
    return _cross_entropy(model(ids), labels, IGNORE, "labels", f"IGNORE ({IGNORE}, not scored)")


def _check_loss_fn(loss_fn) -> None:
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable as loss_fn(model, batch), got {type(loss_fn).__name__}")


# --- gradients ---------------------------------------------------------------------------
def as_parameter_list(parameters) -> list:
    """One tensor or an iterable of tensors (e.g. model.parameters()) -> a list of tensors."""
    if isinstance(parameters, torch.Tensor):
        return [parameters]
    if isinstance(parameters, (str, bytes, dict)) or not hasattr(parameters, "__iter__"):
        raise TypeError("parameters must be a tensor or an iterable of tensors such as "
                        f"model.parameters(), got {type(parameters).__name__}")
    parameters = list(parameters)
    bad = [type(p).__name__ for p in parameters if not isinstance(p, torch.Tensor)]
    if bad:
        raise TypeError(f"parameters must be tensors, got {bad[0]} among them")
    return parameters


def gradient_norm(parameters) -> float:
    """The global L2 norm of all gradients, sqrt(sum of squares over every parameter).

    parameters: one tensor or an iterable of tensors; those without .grad are skipped."""
    grads = [p.grad for p in as_parameter_list(parameters) if p.grad is not None]
    if not grads:
        return 0.0
    return float(torch.sqrt(sum((g.detach() ** 2).sum() for g in grads)))


@torch.no_grad()
def clip_by_norm(parameters, max_norm: float) -> float:
    """If the global gradient norm exceeds max_norm, rescale every gradient by
    max_norm / norm (the direction is kept). Returns the norm before clipping.
    parameters: one tensor or an iterable of tensors; those without .grad are skipped."""
    max_norm = expect_positive_number(max_norm, "max_norm")
    parameters = [p for p in as_parameter_list(parameters) if p.grad is not None]
    norm = gradient_norm(parameters)
    if norm > max_norm:
        for p in parameters:
            p.grad.mul_(max_norm / norm)
    return norm


@torch.no_grad()
def clip_by_value(parameters, max_value: float) -> None:
    """Clamp every gradient element into [-max_value, max_value] (the direction can change).
    parameters: one tensor or an iterable of tensors; those without .grad are skipped."""
    max_value = expect_positive_number(max_value, "max_value")
    for p in as_parameter_list(parameters):
        if p.grad is not None:
            p.grad.clamp_(-max_value, max_value)


def _built_in_clip(clip_norm, clip_value):
    """The clip hook that ``train`` uses unless given one: measure the norm, then clip."""
    def clip(parameters) -> float:
        norm = gradient_norm(parameters)
        if clip_value is not None:
            clip_by_value(parameters, clip_value)
        if clip_norm is not None:
            clip_by_norm(parameters, clip_norm)
        return norm
    return clip


# --- the record of a run, and evaluation ---------------------------------------------------
@dataclass
class History:
    """What a training run measured. Losses are in nats per predicted token."""
    steps: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    grad_norm: list = field(default_factory=list)      # what the clip hook returned: before clipping
    lr: list = field(default_factory=list)             # the learning rate of each step
    val_steps: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    seconds: float = 0.0
    diverged: bool = False

    @property
    def final_val_loss(self) -> float:
        return self.val_loss[-1] if self.val_loss else math.nan

    def __repr__(self) -> str:
        last = f"{self.loss[-1]:.3f}" if self.loss else "-"
        return (f"History({len(self.steps)} steps, last train loss {last}, "
                f"val loss {self.final_val_loss:.3f}, {self.seconds:.1f} s"
                + (", DIVERGED" if self.diverged else "") + ")")


def evaluate(model, batches, loss_fn=None, pad_id: int | None = 0) -> float:
    """Average loss per non-padding target over an iterable of (inputs, targets) batches
    (model in eval mode). Each batch's mean loss is weighted by its number of targets.
    pad_id=None counts every target (e.g. class labels, where 0 is a real class)."""
    if isinstance(batches, (tuple, list)) and len(batches) == 2 and all(
            isinstance(b, torch.Tensor) for b in batches):
        raise TypeError("batches must be an iterable of (inputs, targets) batches, got one batch: "
                        "wrap it in a list, evaluate(model, [batch])")
    if not hasattr(batches, "__iter__"):
        raise TypeError(f"batches must be an iterable of (inputs, targets) batches, e.g. "
                        f"val.all_batches(), got {type(batches).__name__}")
    if pad_id is not None:
        expect_integer(pad_id, "pad_id")
    _check_loss_fn(loss_fn)
    total, count = 0.0, 0
    with eval_mode(model):
        for batch in batches:
            inputs, targets = _batch_on_device(model, batch)
            n = targets.numel() if pad_id is None else int((targets != pad_id).sum())
            if n == 0:      # an all-<PAD> batch has nothing to score (its mean loss is NaN)
                continue
            loss = (loss_fn or lm_loss)(model, (inputs, targets))
            total, count = total + float(loss) * n, count + n
    if count == 0:
        raise ValueError("evaluate got no targets to score")
    return total / count


# --- the training loop -------------------------------------------------------------------
SCHEDULES = {
    "constant": lambda done: 1.0,
    "linear": lambda done: 1.0 - done,
    "cosine": lambda done: 0.5 * (1.0 + math.cos(math.pi * done)),
}
"""Learning-rate factor as a function of the share of the budget used (0 -> 1)."""


def train(model, batches, steps: int | None = 1000, lr: float = 3e-3, loss_fn=None,
          clip_norm: float | None = None, clip_value: float | None = None, clip=None,
          val_batches=None, eval_every: int = 100, seed: int = 0, optimizer=None,
          weight_decay: float = 0.2, schedule="linear", max_seconds: float | None = None,
          on_step=None, on_eval=None, progress: bool | None = None,
          stop_on_nan: bool = True) -> History:
    """Train ``model`` for ``steps`` updates (or ``max_seconds``) and return a History.

    batches: callable taking a torch.Generator (seeded with ``seed``) and returning a batch.
    loss_fn(model, batch) -> scalar: default ``lm_loss``; also used for validation, where
        with a custom loss_fn every target counts (with lm_loss, <PAD> targets do not).
    val_batches: callable returning an iterable of batches, evaluated every eval_every
        steps and at the end.

    The defaults give a good model without tuning: AdamW(lr=3e-3, weight_decay=0.2), a
    learning rate that falls linearly to 0 at the end of the budget (``schedule``), no
    clipping (Adam already bounds the size of every update). On the names of Chapter 2,
    a small set that a GRU overfits within seconds, each change from plain Adam at a
    constant rate helps: weight decay (every weight pulled towards 0 by lr * weight_decay
    per step, a bias towards simple functions) by 0.07-0.09 nats per character, the
    decay of the rate (the end of training settles into a minimum instead of bouncing
    around it) by 0.02-0.03 more. Together they beat makemore's recipe by 0.03-0.07 nats
    in the same time (``benchmarks/bench_makemore.py``).
    optimizer: replaces AdamW (then ``lr`` and ``weight_decay`` are unused: the schedule
        scales the optimizer's own learning rates, restored at the end).
    weight_decay: AdamW's decoupled decay, every weight shrinks by lr * weight_decay per step.
    schedule: "linear" (to 0), "cosine" (to 0), "constant", or a function of the share of
        the budget used (0 at the start, 1 at the end) returning the factor of the lr.
        Pass ``schedule="constant", weight_decay=0`` for plain Adam at a fixed rate.
    steps / max_seconds: the budget, a number of updates and/or seconds of wall-clock
        time (validation included); training stops at the first one reached, and the
        schedule follows whichever is further used. steps=None: only max_seconds.
    clip(parameters) -> norm or None: a hook called after backward() on the parameters
        that have a gradient; it may change their .grad, and what it returns is recorded
        in history.grad_norm (None: the norm after it). Without it, the built-in hook
        records the norm, then clips by ``clip_value`` (each element) and ``clip_norm``.
    on_step(step, model, history) after every update, on_eval(step, model, history) after
        every validation: a callback returning True stops training.
    progress: show a tqdm bar; default on, off when the environment variable
        RNN_COURSE_PROGRESS is "0" (the book build sets it: a static page has no live bar).
    A loss or gradient norm that becomes inf or NaN stops the run (history.diverged = True)
    unless stop_on_nan=False.
    """
    settings = _check_train_arguments(**locals())
    optimizer = optimizer or torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    base_lrs = [group["lr"] for group in optimizer.param_groups]
    clip = clip or _built_in_clip(clip_norm, clip_value)
    loss_fn = loss_fn or lm_loss
    generator = torch.Generator().manual_seed(seed)
    history, start = History(), time.perf_counter()
    bar = tqdm(total=steps, disable=not settings["progress"], desc="training", leave=False)
    model.train()
    try:
        for step in itertools.count(1):
            used = _share_used(step - 1, steps, time.perf_counter() - start, max_seconds)
            lr_now = _set_lr(optimizer, base_lrs, settings["schedule"](used))
            loss = _checked_loss(loss_fn(model, batches(generator)))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            norm = clip([p for p in model.parameters() if p.grad is not None])  # may change .grad
            optimizer.step()
            history.steps.append(step)
            history.loss.append(loss.item())
            history.grad_norm.append(gradient_norm(model.parameters()) if norm is None else float(norm))
            history.lr.append(lr_now)
            bar.update()
            if stop_on_nan and not (math.isfinite(history.loss[-1])
                                    and math.isfinite(history.grad_norm[-1])):
                history.diverged = True
                break
            out_of_budget = step == steps or (max_seconds is not None
                                              and time.perf_counter() - start >= max_seconds)
            stop = bool(on_step and on_step(step, model, history))
            if val_batches is not None and (step % eval_every == 0 or out_of_budget or stop):
                history.val_steps.append(step)
                history.val_loss.append(evaluate(model, val_batches(), loss_fn,
                                                 pad_id=0 if loss_fn is lm_loss else None))
                bar.set_postfix(loss=f"{history.loss[-1]:.3f}", val=f"{history.val_loss[-1]:.3f}")
                stop = bool(on_eval and on_eval(step, model, history)) or stop
            if out_of_budget or stop:
                break
    finally:
        bar.close()
        _set_lr(optimizer, base_lrs, 1.0)      # leave the optimizer as it was given
    history.seconds = time.perf_counter() - start
    return history


def _set_lr(optimizer, base_lrs: list, factor: float) -> float:
    """Set every parameter group's lr to its base times ``factor``; returns the first."""
    for group, base in zip(optimizer.param_groups, base_lrs):
        group["lr"] = base * factor
    return base_lrs[0] * factor


def _share_used(step: int, steps, seconds: float, max_seconds) -> float:
    """The share of the budget used after ``step`` updates and ``seconds``: the larger of
    the two shares, at most 1."""
    shares = [step / steps if steps else 0.0, seconds / max_seconds if max_seconds else 0.0]
    return min(1.0, max(shares))


def _checked_loss(loss):
    if not (isinstance(loss, torch.Tensor) and loss.ndim == 0 and loss.requires_grad):
        raise TypeError("loss_fn must return a scalar tensor that depends on the model's "
                        f"parameters, got {_describe(loss)}")
    return loss


def _expect_callable(value, name: str, usage: str) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be a function {usage} or None, got {type(value).__name__}")


def _check_train_arguments(model, batches, steps, lr, loss_fn, clip_norm, clip_value, clip,
                           val_batches, eval_every, seed, optimizer, weight_decay, schedule,
                           max_seconds, on_step, on_eval, progress, stop_on_nan) -> dict:
    """Refuse every bad argument of ``train`` before any work; returns the resolved
    ``schedule`` (a function) and ``progress`` (a bool)."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if steps is None and max_seconds is None:
        raise ValueError("steps=None trains until max_seconds: give max_seconds too")
    if steps is not None:
        expect_positive_int(steps, "steps", most=MAX_STEPS)
    expect_positive_number(max_seconds, "max_seconds", allow_none=True)
    expect_positive_number(lr, "lr")
    if isinstance(weight_decay, bool) or not isinstance(weight_decay, numbers.Real) or not (
            0 <= weight_decay < math.inf):
        raise ValueError(f"weight_decay must be a finite number >= 0, got {weight_decay!r}")
    expect_integer(seed, "seed")
    expect_positive_int(eval_every, "eval_every")
    expect_positive_number(clip_norm, "clip_norm", allow_none=True)
    expect_positive_number(clip_value, "clip_value", allow_none=True)
    if clip is not None and (clip_norm is not None or clip_value is not None):
        raise ValueError("clip replaces the built-in clipping: give clip, or clip_norm / "
                         f"clip_value, not both (got clip_norm={clip_norm}, clip_value={clip_value})")
    if optimizer is None and not any(p.requires_grad for p in model.parameters()):
        raise ValueError(f"{type(model).__name__} has no trainable parameters (none requires grad)")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer or None, got {type(optimizer).__name__}")
    _check_loss_fn(loss_fn)
    if not callable(batches):
        raise TypeError("batches must be a callable taking a torch.Generator and returning a "
                        f"batch, got {type(batches).__name__}")
    _expect_callable(val_batches, "val_batches", "returning an iterable of batches "
                     "(e.g. lambda: val.all_batches())")
    _expect_callable(clip, "clip", "clip(parameters) -> norm")
    _expect_callable(on_step, "on_step", "on_step(step, model, history) -> stop?")
    _expect_callable(on_eval, "on_eval", "on_eval(step, model, history) -> stop?")
    if not callable(schedule) and schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(map(repr, SCHEDULES))} or a function "
                         f"of the share of the budget used, got {schedule!r}")
    for flag, name in ((progress, "progress"), (stop_on_nan, "stop_on_nan")):
        if not isinstance(flag, bool) and not (name == "progress" and flag is None):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    if progress is None:
        progress = os.environ.get("RNN_COURSE_PROGRESS", "1") != "0"
    return {"schedule": SCHEDULES.get(schedule, schedule) if isinstance(schedule, str) else schedule,
            "progress": progress}


def _describe(x) -> str:
    if isinstance(x, torch.Tensor):
        return f"a tensor of shape {tuple(x.shape)}" + ("" if x.requires_grad else " without grad")
    return type(x).__name__


def seconds_per_step(model, batch, loss_fn=None, repeats: int = 10) -> float:
    """The time of one forward and backward pass, in seconds: the fastest of ``repeats``
    (the run least disturbed by other programs). The gradients are zeroed afterwards.

    loss_fn(model, batch) -> scalar, default lm_loss; e.g. for a bare core
    ``loss_fn=lambda core, xs: core(xs)[0].sum()``.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    _check_loss_fn(loss_fn)
    repeats = expect_positive_int(repeats, "repeats", most=1000)
    cuda = model_device(model).type == "cuda"
    fastest = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        _checked_loss((loss_fn or lm_loss)(model, batch)).backward()
        if cuda:
            torch.cuda.synchronize()
        fastest = min(fastest, time.perf_counter() - start)
    model.zero_grad(set_to_none=True)
    return fastest


# --- units -------------------------------------------------------------------------------
def _check_loss_value(nats, name: str = "nats") -> float:
    """A loss in nats: a real number >= 0 (inf and NaN pass through: a diverged run)."""
    if isinstance(nats, torch.Tensor) and nats.numel() == 1:
        nats = nats.item()
    if isinstance(nats, bool) or not isinstance(nats, numbers.Real):
        raise TypeError(f"{name} must be a number (a loss in nats), got {type(nats).__name__}")
    if nats < 0:
        raise ValueError(f"{name} must be >= 0 (a cross-entropy loss is never negative), got {nats!r}")
    return float(nats)


def bits_per_char(nats: float) -> float:
    """Convert a loss in nats per character to bits per character."""
    return _check_loss_value(nats) / math.log(2)


def perplexity(nats: float) -> float:
    """exp(nats): the number of equally likely choices with the same loss (inf if it overflows)."""
    nats = _check_loss_value(nats)
    return math.exp(nats) if nats < 709.0 else math.inf
