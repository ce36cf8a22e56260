"""Typical wrong answers to Lab 3's exercises, written the way learners write them.

Each answer is registered with the exercise it answers and the words its check message
must contain (case-insensitive), so tests/test_lab3_checks.py can assert that the check
rejects it AND names the mistake.
"""
import numpy as np
import torch
from torch.nn import functional as F

WRONG_ANSWERS = []   # (exercise, function, words the message must contain)


def wrong(exercise, *words):
    def register(fn):
        WRONG_ANSWERS.append((exercise, fn, words))
        return fn
    return register


def _norm(grads):
    return np.sqrt(sum((g ** 2).sum() for g in grads))


def _clip_by_norm(grads, max_norm):          # a correct one, for the training loop
    norm = _norm(grads)
    return [g * (max_norm / norm if norm > max_norm else 1.0) for g in grads]


# --- Exercise 1: clip_by_value ---------------------------------------------------------------
@wrong("clip_by_value", "positive side")
def value_positive_side_only(grads, max_value):
    return [np.minimum(g, max_value) for g in grads]


@wrong("clip_by_value", "lower bound is 0")
def value_lower_bound_zero(grads, max_value):
    return [np.clip(g, 0, max_value) for g in grads]


@wrong("clip_by_value", "signs are lost")
def value_abs(grads, max_value):
    return [np.minimum(np.abs(g), max_value) for g in grads]


@wrong("clip_by_value", "clipping by *norm*")
def value_scales_by_norm(grads, max_value):
    return _clip_by_norm(grads, max_value)


@wrong("clip_by_value", "every entry was set")
def value_sign_times_max(grads, max_value):
    return [np.sign(g) * max_value for g in grads]


@wrong("clip_by_value", "in place", "`grads`", "out=g", "still needs")
def value_in_place(grads, max_value):
    for g in grads:
        np.clip(g, -max_value, max_value, out=g)
    return grads


@wrong("clip_by_value", "in place", "`grads`")
def value_boolean_mask_assignment(grads, max_value):
    out = []
    for g in grads:
        g[g > max_value] = max_value
        g[g < -max_value] = -max_value
        out.append(g.copy())
    return out


@wrong("clip_by_value", "inhomogeneous", "array by array")
def value_on_the_whole_list(grads, max_value):
    return list(np.clip(np.array(grads), -max_value, max_value))


@wrong("clip_by_value", "returned a numpy array", "values")
def value_first_array_only(grads, max_value):
    return np.clip(grads[0], -max_value, max_value)


# --- Exercise 2: clip_by_norm ----------------------------------------------------------------
@wrong("clip_by_norm", "clipping by *value*")
def norm_clips_each_element(grads, max_norm):
    return [np.clip(g, -max_norm, max_norm) for g in grads]


@wrong("clip_by_norm", "already small", "scaled up")
def norm_always_rescales(grads, max_norm):
    norm = _norm(grads)
    return [g * max_norm / norm for g in grads]


@wrong("clip_by_norm", "its own norm", "global")
def norm_per_array(grads, max_norm):
    out = []
    for g in grads:
        n = np.linalg.norm(g)
        out.append(g * max_norm / n if n > max_norm else g.copy())
    return out


@wrong("clip_by_norm", "first array only")
def norm_of_first_array(grads, max_norm):
    norm = np.linalg.norm(grads[0].flatten())
    return [g * (max_norm / norm if norm > max_norm else 1.0) for g in grads]


@wrong("clip_by_norm", "square root")
def norm_without_sqrt(grads, max_norm):
    norm = sum((g ** 2).sum() for g in grads)
    return [g * (max_norm / norm if norm > max_norm else 1.0) for g in grads]


@wrong("clip_by_norm", "added up")
def norm_sum_of_norms(grads, max_norm):
    norm = sum(np.linalg.norm(g) for g in grads)
    return [g * (max_norm / norm if norm > max_norm else 1.0) for g in grads]


@wrong("clip_by_norm", "upside down")
def norm_inverted_scale(grads, max_norm):
    norm = _norm(grads)
    return [g * (norm / max_norm if norm > max_norm else 1.0) for g in grads]


@wrong("clip_by_norm", "not multiplied by max_norm")
def norm_unit_vector(grads, max_norm):
    norm = _norm(grads)
    return [g / norm if norm > max_norm else g.copy() for g in grads]


@wrong("clip_by_norm", "right way round")
def norm_comparison_reversed(grads, max_norm):
    norm = _norm(grads)
    return [g * (max_norm / norm if norm < max_norm else 1.0) for g in grads]


@wrong("clip_by_norm", "in place", "`grads`", "g *= scale")
def norm_in_place(grads, max_norm):
    norm = _norm(grads)
    if norm > max_norm:
        for g in grads:
            g *= max_norm / norm
    return grads


@wrong("clip_by_norm", "not a new array", "shares its memory")
def norm_returns_the_inputs_when_small(grads, max_norm):
    norm = _norm(grads)
    if norm <= max_norm:
        return grads
    return [g * (max_norm / norm) for g in grads]


@wrong("clip_by_norm", "inhomogeneous", "array by array")
def norm_with_linalg_on_the_list(grads, max_norm):
    norm = np.linalg.norm(grads)
    return [g * min(1.0, max_norm / norm) for g in grads]


@wrong("clip_by_norm", "root-mean-square")
def norm_rms(grads, max_norm):
    flat = np.concatenate([g.ravel() for g in grads])
    norm = np.sqrt(np.mean(flat ** 2))
    return [g * (max_norm / norm if norm > max_norm else 1.0) for g in grads]


# --- Exercise 3: hidden_gradient_norms -------------------------------------------------------
def _unit_readout(cell, like):
    return torch.ones(cell.hidden_size, dtype=like.dtype) / cell.hidden_size ** 0.5


def _run(cell, xs, retain=True, detach=False):
    state = cell.init_state(xs.shape[0], xs.device, xs.dtype)
    hiddens = []
    for t in range(xs.shape[1]):
        state = cell.step(xs[:, t], state)
        h = cell.hidden(state)
        if retain:
            h.retain_grad()
        hiddens.append(h)
        if detach:
            state = state.detach()
    return hiddens


@wrong("hidden_gradient_norms", "norms of the hidden states")
def norms_of_the_states(cell, xs):
    hs = _run(cell, xs)
    return np.array([h.norm(dim=1).mean().item() for h in hs])


@wrong("hidden_gradient_norms", "reversed")
def norms_reversed(cell, xs):
    hs = _run(cell, xs)
    (hs[-1] * _unit_readout(cell, xs)).sum().backward()
    return np.array([h.grad.norm(dim=1).mean().item() for h in reversed(hs)])


@wrong("hidden_gradient_norms", "reads every hidden state", "last")
def norms_loss_over_all_steps(cell, xs):
    hs = _run(cell, xs)
    r = _unit_readout(cell, xs)
    sum((h * r).sum() for h in hs).backward()
    return np.array([h.grad.norm(dim=1).mean().item() for h in hs])


@wrong("hidden_gradient_norms", "retain_grad", "None")
def norms_without_retain_grad(cell, xs):
    hs = _run(cell, xs, retain=False)
    (hs[-1] * _unit_readout(cell, xs)).sum().backward()
    return np.array([h.grad.norm(dim=1).mean().item() for h in hs])


@wrong("hidden_gradient_norms", "detach", "None")
def norms_detached_state(cell, xs):
    hs = _run(cell, xs, detach=True)
    (hs[-1] * _unit_readout(cell, xs)).sum().backward()
    return np.array([h.grad.norm(dim=1).mean().item() for h in hs])


@wrong("hidden_gradient_norms", "gradient stops after one step", "detach")
def norms_detached_state_zeros_for_none(cell, xs):
    hs = _run(cell, xs, detach=True)
    (hs[-1] * _unit_readout(cell, xs)).sum().backward()
    return np.array([0.0 if h.grad is None else h.grad.norm(dim=1).mean().item() for h in hs])


@wrong("hidden_gradient_norms", "added over the batch", "average")
def norms_summed_over_batch(cell, xs):
    hs = _run(cell, xs)
    (hs[-1] * _unit_readout(cell, xs)).sum().backward()
    return np.array([h.grad.norm(dim=1).sum().item() for h in hs])


@wrong("hidden_gradient_norms", "first sequence")
def norms_of_the_first_example(cell, xs):
    hs = _run(cell, xs)
    (hs[-1] * _unit_readout(cell, xs)).sum().backward()
    return np.array([h.grad[0].norm().item() for h in hs])


@wrong("hidden_gradient_norms", "whole (B, J) gradient")
def norms_frobenius(cell, xs):
    hs = _run(cell, xs)
    (hs[-1] * _unit_readout(cell, xs)).sum().backward()
    return np.array([h.grad.norm().item() for h in hs])


@wrong("hidden_gradient_norms", "h_T.sum()", "readout")
def norms_loss_is_plain_sum(cell, xs):
    hs = _run(cell, xs)
    hs[-1].sum().backward()
    return np.array([h.grad.norm(dim=1).mean().item() for h in hs])


@wrong("hidden_gradient_norms", "averaged over the batch")
def norms_loss_averaged_over_batch(cell, xs):
    hs = _run(cell, xs)
    (hs[-1] @ _unit_readout(cell, xs)).mean().backward()
    return np.array([h.grad.norm(dim=1).mean().item() for h in hs])


@wrong("hidden_gradient_norms", "LSTM", "cell.hidden(state)")
def norms_state_used_as_h(cell, xs):
    state = cell.init_state(xs.shape[0], xs.device, xs.dtype)
    hs = []
    for t in range(xs.shape[1]):
        state = cell.step(xs[:, t], state)
        state.retain_grad()
        hs.append(state)
    (hs[-1] * _unit_readout(cell, xs)).sum().backward()
    return np.array([h.grad.norm(dim=1).mean().item() for h in hs])


@wrong("hidden_gradient_norms", "one entry too many", "initial")
def norms_with_the_initial_state(cell, xs):
    state = cell.init_state(xs.shape[0], xs.device, xs.dtype).requires_grad_()
    hs = [state]
    for t in range(xs.shape[1]):
        state = cell.step(xs[:, t], state)
        state.retain_grad()
        hs.append(state)
    (hs[-1] * _unit_readout(cell, xs)).sum().backward()
    return np.array([h.grad.norm(dim=1).mean().item() for h in hs])


@wrong("hidden_gradient_norms", "list", "np.stack")
def norms_as_a_list(cell, xs):
    hs = _run(cell, xs)
    (hs[-1] * _unit_readout(cell, xs)).sum().backward()
    return [h.grad.norm(dim=1).mean().item() for h in hs]


# --- Exercise 4: decay_factor ----------------------------------------------------------------
def _distance(norms):
    return np.arange(len(norms))[::-1]


@wrong("decay_factor", "through the norms themselves", "logarithm")
def decay_without_log(norms):
    d = _distance(norms)
    slope, _ = np.polyfit(d[:-1], norms[:-1], 1)
    return float(np.exp(slope))


@wrong("decay_factor", "inverted", "T-1-t")
def decay_against_t(norms):
    t = np.arange(len(norms))
    slope, _ = np.polyfit(t[:-1], np.log(norms[:-1]), 1)
    return float(np.exp(slope))


@wrong("decay_factor", "slope itself", "np.exp")
def decay_forgets_exp(norms):
    d = _distance(norms)
    slope, _ = np.polyfit(d[:-1], np.log(norms[:-1]), 1)
    return float(slope)


@wrong("decay_factor", "last step", "distance 0")
def decay_includes_the_last_step(norms):
    slope, _ = np.polyfit(_distance(norms), np.log(norms), 1)
    return float(np.exp(slope))


@wrong("decay_factor", "intercept")
def decay_takes_the_intercept(norms):
    d = _distance(norms)
    fit = np.polyfit(d[:-1], np.log(norms[:-1]), 1)
    return float(np.exp(fit[-1]))


@wrong("decay_factor", "log10")
def decay_log10(norms):
    d = _distance(norms)
    return float(np.exp(np.polyfit(d[:-1], np.log10(norms[:-1]), 1)[0]))


@wrong("decay_factor", "two end points")
def decay_from_end_points(norms):
    return float((norms[0] / norms[-2]) ** (1 / (len(norms) - 2)))


@wrong("decay_factor", "ratios")
def decay_mean_ratio(norms):
    n = np.asarray(norms)[:-1]
    return float(np.mean(n[:-1] / n[1:]))


@wrong("decay_factor", "swapped")
def decay_polyfit_arguments_swapped(norms):
    d = _distance(norms)
    return float(np.exp(np.polyfit(np.log(norms[:-1]), d[:-1], 1)[0]))


@wrong("decay_factor", "in place", "`norms`", "norms.sort()")
def decay_sorts_in_place(norms):
    norms.sort()                          # "the largest first" -- and the caller's array too
    norms[:] = norms[::-1]
    d = _distance(norms)
    return float(np.exp(np.polyfit(d[:-1], np.log(norms[:-1]), 1)[0]))


@wrong("decay_factor", "array of shape", "single number")
def decay_returns_the_fit(norms):
    d = _distance(norms)
    return np.exp(np.polyfit(d[:-1], np.log(norms[:-1]), 1))


# --- Exercise 5: train_recall ----------------------------------------------------------------
def _loop(model, task, distance, steps, clip, lr, generator, clip_fn=None, zero_grad=True,
          optimizer_cls=torch.optim.SGD, item=True, when="before"):
    optimizer = optimizer_cls(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        ids, labels = task.sample(32, distance, generator)
        loss = F.cross_entropy(model(ids), labels)
        if zero_grad:
            optimizer.zero_grad()
        loss.backward()
        if when == "after":
            optimizer.step()
        if clip is not None and clip_fn is not None:
            clip_fn(model, clip)
        if when == "before":
            optimizer.step()
        losses.append(loss.item() if item else loss)
    return losses


def _write_back(model, clip, fn):
    params = [p for p in model.parameters() if p.grad is not None]
    for p, g in zip(params, fn([p.grad.numpy() for p in params], clip)):
        p.grad.copy_(torch.as_tensor(g))


def _by_norm(model, clip):
    _write_back(model, clip, _clip_by_norm)


@wrong("train_recall", "not clipped", "p.grad")
def train_ignores_clip(model, task, distance, steps, clip, lr, generator):
    return _loop(model, task, distance, steps, clip, lr, generator)


@wrong("train_recall", "not clipped", "a clipped copy")
def train_clips_a_copy(model, task, distance, steps, clip, lr, generator):
    def clip_copy(model, clip):
        grads = [p.grad.numpy() for p in model.parameters()]
        grads = _clip_by_norm(grads, clip)             # never written back
    return _loop(model, task, distance, steps, clip, lr, generator, clip_fn=clip_copy)


@wrong("train_recall", "not clipped", "before `optimizer.step()`")
def train_clips_after_the_step(model, task, distance, steps, clip, lr, generator):
    return _loop(model, task, distance, steps, clip, lr, generator, clip_fn=_by_norm,
                 when="after")


@wrong("train_recall", "another direction", "clip by norm")
def train_clips_by_value(model, task, distance, steps, clip, lr, generator):
    def by_value(model, clip):
        _write_back(model, clip, lambda grads, c: [np.clip(g, -c, c) for g in grads])
    return _loop(model, task, distance, steps, clip, lr, generator, clip_fn=by_value)


@wrong("train_recall", "zero_grad")
def train_without_zero_grad(model, task, distance, steps, clip, lr, generator):
    return _loop(model, task, distance, steps, clip, lr, generator, clip_fn=_by_norm,
                 zero_grad=False)


@wrong("train_recall", "Adam", "SGD")
def train_with_adam(model, task, distance, steps, clip, lr, generator):
    return _loop(model, task, distance, steps, clip, lr, generator, clip_fn=_by_norm,
                 optimizer_cls=torch.optim.Adam)


@wrong("train_recall", "learning rate", "lr=lr")
def train_with_a_fixed_lr(model, task, distance, steps, clip, lr, generator):
    return _loop(model, task, distance, steps, clip, 0.1, generator, clip_fn=_by_norm)


@wrong("train_recall", "tensors", "loss.item()")
def train_returns_loss_tensors(model, task, distance, steps, clip, lr, generator):
    return _loop(model, task, distance, steps, clip, lr, generator, clip_fn=_by_norm, item=False)


@wrong("train_recall", "generator")
def train_ignores_the_generator(model, task, distance, steps, clip, lr, generator):
    return _loop(model, task, distance, steps, clip, lr, None, clip_fn=_by_norm)


@wrong("train_recall", "clip=None", "if clip is not None")
def train_always_clips(model, task, distance, steps, clip, lr, generator):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        ids, labels = task.sample(32, distance, generator)
        loss = F.cross_entropy(model(ids), labels)
        optimizer.zero_grad()
        loss.backward()
        _by_norm(model, clip)
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("train_recall", "doesn't fall")
def train_on_shuffled_labels(model, task, distance, steps, clip, lr, generator):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        ids, labels = task.sample(32, distance, generator)
        labels = labels[torch.randperm(len(labels), generator=generator)]  # wrong pairing
        loss = F.cross_entropy(model(ids), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("train_recall", "returned 1 value(s)", "one loss per step")
def train_returns_the_last_loss_in_a_list(model, task, distance, steps, clip, lr, generator):
    return _loop(model, task, distance, steps, clip, lr, generator, clip_fn=_by_norm)[-1:]


# --- edge inputs (all-zero gradients, a second call with new values) ------------------------
@wrong("clip_by_norm", "NaN", "norm 0", "norm > max_norm")
def norm_direction_times_clipped_length(grads, max_norm):
    norm = _norm(grads)
    return [g / norm * min(norm, max_norm) for g in grads]      # 0 / 0 on zero gradients


last_norm = None


@wrong("clip_by_norm", "global variable", "`last_norm`")
def norm_kept_in_a_global(grads, max_norm):
    global last_norm                       # "so that I can print it in the notebook"
    if last_norm is None:
        last_norm = _norm(grads)
    return [g * (max_norm / last_norm if last_norm > max_norm else 1.0) for g in grads]


_FITTED = {}


@wrong("decay_factor", "earlier test case", "same sizes", "remembers")
def decay_memoised_by_length(norms):
    T = len(norms)
    if T not in _FITTED:                   # "fit each length once"
        d = _distance(norms)
        _FITTED[T] = float(np.exp(np.polyfit(d[:-1], np.log(norms[:-1]), 1)[0]))
    return _FITTED[T]


@wrong("hidden_gradient_norms", "B = 1", "squeeze")
def norms_squeezed(cell, xs):
    hs = _run(cell, xs)
    (hs[-1] * _unit_readout(cell, xs)).sum().backward()
    return np.array([h.grad.squeeze().norm(dim=1).mean().item() for h in hs])


# --- Exercise 5: what the loop does (batches, order, mode, the learner's own clipping) ---------
def _step_loop(model, task, distance, steps, clip, lr, generator, order="zbs", batch=None,
               sample=None, eval_every=None):
    """A loop that does the steps in ``order`` (z: zero_grad, b: backward, s: step)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        ids, labels = batch if batch is not None else (
            sample() if sample is not None else task.sample(32, distance, generator))
        loss = F.cross_entropy(model(ids), labels)
        for move in order:
            if move == "z":
                optimizer.zero_grad()
            elif move == "b":
                loss.backward()
            elif move == "B":
                loss.backward(retain_graph=True)
            elif move == "s":
                optimizer.step()
        if eval_every and step % eval_every == 0:
            model.eval()                   # a quick look at the accuracy ...
            with torch.no_grad():
                model(ids)                 # ... and no model.train() afterwards
        losses.append(loss.item())
    return losses


@wrong("train_recall", "one batch", "all 6 steps", "inside the loop")
def train_draws_one_batch_before_the_loop(model, task, distance, steps, clip, lr, generator):
    batch = task.sample(32, distance, generator)
    return _step_loop(model, task, distance, steps, clip, lr, generator, batch=batch)


@wrong("train_recall", "hold 64", "32")
def train_on_batches_of_64(model, task, distance, steps, clip, lr, generator):
    return _step_loop(model, task, distance, steps, clip, lr, generator,
                      sample=lambda: task.sample(64, distance, generator))


@wrong("train_recall", "distance 5", "use the argument")
def train_at_a_fixed_distance(model, task, distance, steps, clip, lr, generator):
    return _step_loop(model, task, distance, steps, clip, lr, generator,
                      sample=lambda: task.sample(32, 5, generator))


@wrong("train_recall", "same batch", "re-seeded")
def train_reseeds_the_generator_every_step(model, task, distance, steps, clip, lr, generator):
    def sample():
        generator.manual_seed(0)           # "for reproducibility"
        return task.sample(32, distance, generator)
    return _step_loop(model, task, distance, steps, clip, lr, generator, sample=sample)


@wrong("train_recall", "zero_grad()` came AFTER", "every update is zero")
def train_zero_grad_after_backward(model, task, distance, steps, clip, lr, generator):
    return _step_loop(model, task, distance, steps, clip, lr, generator, order="bzs")


@wrong("train_recall", "before any `loss.backward()`", "BEFORE `optimizer.step()`")
def train_steps_before_backward(model, task, distance, steps, clip, lr, generator):
    return _step_loop(model, task, distance, steps, clip, lr, generator, order="zsb")


@wrong("train_recall", "2 times", "once per step")
def train_backward_twice(model, task, distance, steps, clip, lr, generator):
    return _step_loop(model, task, distance, steps, clip, lr, generator, order="zBbs")


@wrong("train_recall", "backward", "once per step")
def train_backward_twice_without_retain_graph(model, task, distance, steps, clip, lr, generator):
    return _step_loop(model, task, distance, steps, clip, lr, generator, order="zbbs")


@wrong("train_recall", "eval mode", "model.train()")
def train_left_in_eval_mode(model, task, distance, steps, clip, lr, generator):
    return _step_loop(model, task, distance, steps, clip, lr, generator, eval_every=2)


def clip_by_norm(grads, max_norm):         # the learner's Exercise 2, with its own mistake
    return [g * max_norm / np.linalg.norm(g) if np.linalg.norm(g) > max_norm else g.copy()
            for g in grads]


@wrong("train_recall", "your `clip_by_norm`", "checked first", "its own norm", "Fix `clip_by_norm` first")
def train_with_a_wrong_clip_by_norm(model, task, distance, steps, clip, lr, generator):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        ids, labels = task.sample(32, distance, generator)
        loss = F.cross_entropy(model(ids), labels)
        optimizer.zero_grad()
        loss.backward()
        if clip is not None:
            params = [p for p in model.parameters() if p.grad is not None]
            for p, g in zip(params, clip_by_norm([p.grad.numpy() for p in params], clip)):
                p.grad.copy_(torch.as_tensor(g))
        optimizer.step()
        losses.append(loss.item())
    return losses
