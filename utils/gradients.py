"""Measuring how gradients flow back through time (Chapters 3 and 5).

``gradient_norms_over_time(cell, xs)`` runs a cell over a sequence, takes a loss that
depends only on the LAST hidden state, and returns ||dL/dh_t|| for every earlier step t:
how much the last step's loss can still "see" of step t.
"""
from __future__ import annotations

import numpy as np
import torch

from .cells import RecurrentCell
from .validate import expect_tensor


def gradient_norms_over_time(cell: RecurrentCell, xs: torch.Tensor, state=None,
                             readout: torch.Tensor | None = None) -> np.ndarray:
    """||dL/dh_t|| for t = 0..T-1 (averaged over the batch), where L = sum(readout * h_T).

    xs: (B, T, D). readout: (J,) fixed direction (default: ones / sqrt(J)).
    Returns a numpy array of length T; entry T-1 is the norm at the last step itself.
    """
    expect_tensor(xs, "xs", shape=(None, None, cell.input_size), floating=True)
    if state is None:
        state = cell.init_state(xs.shape[0], xs.device, xs.dtype)
    hiddens = []
    for t in range(xs.shape[1]):
        state = cell.step(xs[:, t], state)
        h = cell.hidden(state)
        h.retain_grad()
        hiddens.append(h)
    J = cell.hidden_size
    if readout is None:
        readout = torch.ones(J, dtype=xs.dtype, device=xs.device) / J ** 0.5
    loss = (hiddens[-1] * readout).sum()
    loss.backward()
    return np.array([float(h.grad.norm(dim=-1).mean()) for h in hiddens])


@torch.no_grad()
def set_spectral_radius(W: torch.Tensor, radius: float) -> torch.Tensor:
    """Rescale the square matrix W in place so its largest |eigenvalue| equals ``radius``."""
    expect_tensor(W, "W", ndim=2, floating=True)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be square, got shape {tuple(W.shape)}")
    current = spectral_radius(W)
    if current == 0:
        raise ValueError("W has spectral radius 0 and cannot be rescaled")
    W.mul_(radius / current)
    return W


def spectral_radius(W: torch.Tensor) -> float:
    """The largest absolute eigenvalue of a square matrix."""
    return float(torch.linalg.eigvals(W.detach().double()).abs().max())


def fit_decay_rate(norms, skip_last: int = 1) -> float:
    """Fit log ||dL/dh_t|| = a + r * (T-1-t) by least squares; return the factor exp(r) per step.

    A factor below 1 means the gradient shrinks by that factor for every step back in time.
    ``skip_last`` leaves out the last step(s), where the loss touches h directly.
    """
    norms = np.asarray(norms, dtype=float)
    distance = np.arange(len(norms))[::-1]          # T-1-t
    keep = (distance >= skip_last) & (norms > 0) & np.isfinite(norms)
    if keep.sum() < 2:
        raise ValueError("need at least two positive, finite norms to fit a decay rate")
    slope = np.polyfit(distance[keep], np.log(norms[keep]), 1)[0]
    return float(np.exp(slope))
