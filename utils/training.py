"""The one training loop every chapter and lab uses, with gradient clipping.

    history = train(model, batches, steps=2000, lr=3e-3, clip_norm=1.0,
                    val_batches=lambda: val.all_batches())

``batches(generator)`` returns one training batch; ``loss_fn(model, batch)`` turns it
into a scalar loss (default: next-token cross-entropy that ignores <PAD>, id 0).
"""
from __future__ import annotations

import math
import numbers
import os
import time
from dataclasses import dataclass, field

import torch
from torch.nn import functional as F
from tqdm.auto import tqdm

from .validate import expect_integer, expect_positive_int, expect_positive_number, expect_tensor


def lm_loss(model, batch, pad_id: int = 0) -> torch.Tensor:
    """Mean next-token cross-entropy in nats over non-padding targets.

    batch: (inputs, targets), targets (B, T) integer ids; the model returns (logits (B, T, V), state).
    """
    inputs, targets = (t.to(model_device(model)) for t in _check_batch(batch))
    expect_tensor(targets, "targets", floating=False)
    logits, _ = model(inputs)
    if tuple(targets.shape) != tuple(logits.shape[:-1]):
        raise ValueError(f"targets must have shape {tuple(logits.shape[:-1])}, one id per "
                         f"predicted position, got {tuple(targets.shape)}")
    if not bool((targets != pad_id).any()):
        raise ValueError(f"every target is padding (id {pad_id}): there is nothing to predict")
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                           ignore_index=pad_id)


def _check_batch(batch) -> tuple:
    if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
        raise TypeError(f"a batch must be a pair (inputs, targets), got {type(batch).__name__}"
                        + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else ""))
    for name, t in zip(("inputs", "targets"), batch):
        expect_tensor(t, name)
    return tuple(batch)


def _check_loss_fn(loss_fn) -> None:
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable as loss_fn(model, batch), got {type(loss_fn).__name__}")


def model_device(model) -> torch.device:
    """``model.device`` when the model defines it (CharLM does), else its first parameter's."""
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


@dataclass
class History:
    """What a training run measured. Losses are in nats per predicted token."""
    steps: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    grad_norm: list = field(default_factory=list)      # before clipping
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


@torch.no_grad()
def evaluate(model, batches, loss_fn=None, pad_id: int | None = 0) -> float:
    """Average loss per non-padding target over an iterable of (inputs, targets) batches
    (model in eval mode). Each batch's mean loss is weighted by its number of targets.
    pad_id=None counts every target (e.g. class labels, where 0 is a real class)."""
    if isinstance(batches, (tuple, list)) and len(batches) == 2 and all(
            isinstance(b, torch.Tensor) for b in batches):
        raise TypeError("batches must be an iterable of (inputs, targets) batches, got one batch: "
                        "wrap it in a list, evaluate(model, [batch])")
    _check_loss_fn(loss_fn)
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        for batch in batches:
            inputs, targets = _check_batch(batch)
            n = targets.numel() if pad_id is None else int((targets != pad_id).sum())
            if n == 0:      # an all-<PAD> batch has nothing to score (its mean loss is NaN)
                continue
            loss = (loss_fn or lm_loss)(model, (inputs, targets))
            total, count = total + float(loss) * n, count + n
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate got no targets to score")
    return total / count


def train(model, batches, steps: int = 1000, lr: float = 3e-3, loss_fn=None,
          clip_norm: float | None = None, clip_value: float | None = None,
          val_batches=None, eval_every: int = 100, seed: int = 0, optimizer=None,
          progress: bool | None = None, stop_on_nan: bool = True) -> History:
    """Train ``model`` for ``steps`` updates and return a History.

    batches: callable taking a torch.Generator (seeded with ``seed``) and returning a batch.
    val_batches: callable returning an iterable of batches, evaluated every eval_every
        steps and at the end.
    clip_norm / clip_value: gradient clipping by global norm / by element value.
    progress: show a tqdm bar; default on, off when the environment variable
        RNN_COURSE_PROGRESS is "0" (the book build sets it: a static page has no live bar).
    loss_fn: also used for validation; with a custom loss_fn every validation target
        counts when averaging over batches (with the default, <PAD> targets do not).
    optimizer: default Adam(lr). A loss or gradient norm that becomes inf or NaN stops the run
        (history.diverged = True) unless stop_on_nan=False.
    """
    steps = expect_positive_int(steps, "steps")
    expect_positive_number(lr, "lr")
    expect_integer(seed, "seed")
    _check_loss_fn(loss_fn)
    if optimizer is None and not any(p.requires_grad for p in model.parameters()):
        raise ValueError(f"{type(model).__name__} has no trainable parameters (none requires grad)")
    expect_positive_number(clip_norm, "clip_norm", allow_none=True)
    expect_positive_number(clip_value, "clip_value", allow_none=True)
    eval_every = expect_positive_int(eval_every, "eval_every")
    if not callable(batches):
        raise TypeError("batches must be a callable taking a torch.Generator and returning a batch")
    if val_batches is not None and not callable(val_batches):
        raise TypeError("val_batches must be a callable returning an iterable of batches, e.g. "
                        f"lambda: val.all_batches(); got {type(val_batches).__name__}")
    loss_fn = loss_fn or lm_loss
    if progress is None:
        progress = os.environ.get("RNN_COURSE_PROGRESS", "1") != "0"
    generator = torch.Generator().manual_seed(seed)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    history, start = History(), time.perf_counter()
    model.train()
    bar = tqdm(range(1, steps + 1), disable=not progress, desc="training", leave=False)
    for step in bar:
        loss = loss_fn(model, batches(generator))
        if not (isinstance(loss, torch.Tensor) and loss.ndim == 0 and loss.requires_grad):
            raise TypeError("loss_fn must return a scalar tensor that depends on the model's "
                            f"parameters, got {_describe(loss)}")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        params = [p for p in model.parameters() if p.grad is not None]
        history.grad_norm.append(gradient_norm(params))
        if clip_value is not None:
            clip_by_value(params, clip_value)
        if clip_norm is not None:
            clip_by_norm(params, clip_norm)
        optimizer.step()
        history.steps.append(step)
        history.loss.append(loss.item())
        if stop_on_nan and not (math.isfinite(history.loss[-1]) and math.isfinite(history.grad_norm[-1])):
            history.diverged = True
            break
        if val_batches is not None and (step % eval_every == 0 or step == steps):
            history.val_steps.append(step)
            history.val_loss.append(evaluate(model, val_batches(), loss_fn,
                                             pad_id=0 if loss_fn is lm_loss else None))
            bar.set_postfix(loss=f"{history.loss[-1]:.3f}", val=f"{history.val_loss[-1]:.3f}")
    bar.close()
    history.seconds = time.perf_counter() - start
    return history


def _describe(x) -> str:
    if isinstance(x, torch.Tensor):
        return f"a tensor of shape {tuple(x.shape)}" + ("" if x.requires_grad else " without grad")
    return type(x).__name__


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
