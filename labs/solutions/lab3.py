"""Reference solutions of Lab 3, "Watching gradients vanish": one function per exercise.

scripts/sync_solutions.py copies each function into the notebook's hidden
"Show solution" block; tests/test_labs_execute.py runs the lab with them filled in.
"""
import numpy as np
import torch
from torch.nn import functional as F


def clip_by_value(grads, max_value):
    """Every entry clamped into [-max_value, max_value], in new arrays."""
    return [np.clip(g, -max_value, max_value) for g in grads]


def clip_by_norm(grads, max_norm):
    """All arrays times max_norm / norm when the global norm is larger."""
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))  # for all
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * scale for g in grads]             # g * scale is a new array


def hidden_gradient_norms(cell, xs):
    """||dL/dh_t|| at every step t (batch mean), for L = sum(r * h_T)."""
    B, T, _ = xs.shape
    J = cell.hidden_size
    state = cell.init_state(B, xs.device, xs.dtype)
    hiddens = []
    for t in range(T):
        state = cell.step(xs[:, t], state)
        h = cell.hidden(state)
        h.retain_grad()                     # keep dL/dh_t: h is no leaf
        hiddens.append(h)
    r = torch.ones(J, dtype=xs.dtype, device=xs.device) / J ** 0.5
    loss = (hiddens[-1] * r).sum()          # only the LAST state counts
    loss.backward()
    return np.array([h.grad.norm(dim=1).mean().item() for h in hiddens])


def decay_factor(norms):
    """The change of the gradient norm per step back, by least squares."""
    norms = np.asarray(norms, dtype=float)
    distance = np.arange(len(norms))[::-1]  # norms[t]: T-1-t steps back
    keep = distance >= 1                    # distance 0: no factor yet
    slope, intercept = np.polyfit(distance[keep], np.log(norms[keep]), 1)
    return float(np.exp(slope))


def train_recall(model, task, distance, steps, clip, lr, generator):
    """Plain SGD on the recall task, clipping by global norm when asked."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        ids, labels = task.sample(32, distance, generator)
        logits = model(ids)                      # (32, n_keys)
        loss = F.cross_entropy(logits, labels.to(logits.device))
        optimizer.zero_grad()
        loss.backward()
        if clip is not None:
            params = [p for p in model.parameters() if p.grad is not None]
            grads = [p.grad.cpu().numpy() for p in params]
            for p, g in zip(params, clip_by_norm(grads, clip)):
                p.grad.copy_(torch.as_tensor(g))  # optimizer reads p.grad
        optimizer.step()
        losses.append(loss.item())
    return losses
