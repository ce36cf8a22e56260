"""Measuring how gradients flow back through time (Chapters 3 to 5, Lab 3).

    cell = random_rnn_cell(hidden_size=64, input_size=8, radius=0.9)   # float64, W scaled
    norms = gradient_norms_over_time(cell, xs)      # ||dL/dh_t|| for every step t
    fit_decay_rate(norms)                           # the factor per step back, e.g. 0.62

``gradient_norms_over_time`` takes a loss that depends only on the LAST hidden state and
returns ||dL/dh_t|| for every earlier step t: how much the last step's loss can still
"see" of step t. It runs any cell of ``utils.cells`` or ``utils.parallel`` one step at a
time (for the diagonal linear unit, the norm k steps back is ||readout ⊙ λ^k||). The
derivation in Chapter 3 bounds the factor per step by the largest singular value of W
(times max tanh' = 1); ``largest_singular_value`` and
``spectral_radius`` compute the two numbers it is compared with.
"""
from __future__ import annotations

import numbers

import numpy as np
import torch

from .cells import RecurrentCell, RNNCell
from .parallel import ParallelCell
from .validate import (expect_choice, expect_positive_int, expect_positive_number,
                       expect_seed, expect_tensor)

ACTIVATIONS = {"tanh": torch.tanh, "linear": lambda a: a, "relu": torch.relu}
MAX_WEIGHTS = 10**8
"""Most weights a random cell or a deep stack may hold (400-800 MB): beyond it, a typo."""
MAX_STEPS = 10**5
"""Most time steps (or layers) that one measurement runs through, one at a time."""


class ActivationRNNCell(RNNCell):
    """The vanilla cell with a choice of activation f: h_t = f(W h_{t-1} + U x_t + b).

    activation: "tanh" (the course's RNNCell), "linear" (the identity, no squashing) or
    "relu". Used to separate what W does to gradients from what the activation does.
    """

    def __init__(self, input_size: int, hidden_size: int, activation: str = "tanh"):
        self.activation = expect_choice(activation, "activation", tuple(ACTIVATIONS))
        super().__init__(input_size, hidden_size)

    def recur(self, xp_t, h_prev):
        """One step from the projection xp_t = U x_t + b: f(xp_t + W h_{t-1})."""
        self.check_recur_inputs(xp_t, h_prev)
        return ACTIVATIONS[self.activation](torch.addmm(xp_t, h_prev, self.W.t()))   # (B, J)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", activation={self.activation!r}"


def random_rnn_cell(hidden_size: int = 64, input_size: int = 8, radius: float = 1.0,
                    activation: str = "tanh", seed: int = 0, input_scale: float = 1.0,
                    dtype: torch.dtype = torch.float64) -> ActivationRNNCell:
    """A vanilla cell with Gaussian W rescaled to spectral radius ``radius`` (float64 default).

    U ~ N(0, input_scale^2 / input_size), b = 0. The same seed gives the same W up to scale,
    so cells with different radii differ only in the size of W.
    """
    expect_seed(seed)
    expect_positive_number(input_scale, "input_scale")
    expect_positive_number(radius, "radius")
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"dtype must be a floating torch dtype such as torch.float64, got {dtype!r}")
    J, D = expect_positive_int(hidden_size, "hidden_size"), expect_positive_int(input_size, "input_size")
    if J * (J + D + 1) > MAX_WEIGHTS:
        raise ValueError(f"hidden_size={J} and input_size={D} would make {J * (J + D + 1):,} "
                         f"weights, more than {MAX_WEIGHTS:,}")
    with torch.random.fork_rng(devices=[]):      # leave the global torch generator alone
        cell = ActivationRNNCell(input_size, hidden_size, activation).to(dtype)
    generator = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        cell.W.copy_(torch.randn(hidden_size, hidden_size, generator=generator, dtype=dtype))
        cell.U.copy_(torch.randn(hidden_size, input_size, generator=generator, dtype=dtype)
                     * input_scale / input_size ** 0.5)
        cell.b.zero_()
    set_spectral_radius(cell.W, radius)
    return cell


def gradient_norms_over_time(cell: RecurrentCell | ParallelCell, xs: torch.Tensor, state=None,
                             readout: torch.Tensor | None = None) -> np.ndarray:
    """||dL/dh_t|| for t = 0..T-1 (averaged over the batch), where L = sum(readout * h_T).

    cell: a cell of ``utils.cells`` or of ``utils.parallel`` (minGRU, minLSTM, the diagonal
    linear unit): it runs one ``step`` at a time either way.
    xs: (B, T, D). readout: (J,) fixed direction (default: ones / sqrt(J)).
    Returns a numpy array of length T; entry T-1 is the norm at the last step itself
    (||readout||), entry t the norm T-1-t steps back. The cell's own .grad are untouched.
    """
    _check_cell_and_xs(cell, xs)
    J = cell.hidden_size
    if readout is None:
        readout = torch.ones(J, dtype=xs.dtype, device=xs.device) / J ** 0.5
    expect_tensor(readout, "readout", shape=(J,), floating=True)
    if state is None:
        state = cell.init_state(xs.shape[0], xs.device, xs.dtype)
    # A detached leaf start: the graph exists even for frozen weights, and the gradients
    # with respect to h_0..h_{T-1} do not depend on how the start state was made.
    state = (tuple(s.detach().requires_grad_() for s in state) if isinstance(state, (tuple, list))
             else state.detach().requires_grad_())
    with torch.enable_grad():
        hiddens = []
        for t in range(xs.shape[1]):
            state = cell.step(xs[:, t], state)
            hiddens.append(cell.hidden(state))
        loss = (hiddens[-1] * readout).sum()
        grads = torch.autograd.grad(loss, hiddens)      # the total derivative at every step
    return np.array([float(g.norm(dim=-1).mean()) for g in grads])


def _check_cell_and_xs(cell, xs) -> None:
    """cell: a RecurrentCell or a ParallelCell; xs: (B, T, D) floats with B, T >= 1 and
    D = cell.input_size."""
    if not isinstance(cell, (RecurrentCell, ParallelCell)):
        raise TypeError(f"cell must be a utils.cells cell (RNNCell, GRUCell, ...) or a "
                        f"utils.parallel cell (MinGRUCell, ...), got {type(cell).__name__}")
    expect_tensor(xs, "xs", shape=(None, None, cell.input_size), floating=True)
    for axis, what in ((0, "sequence"), (1, "time step")):
        if xs.shape[axis] == 0:
            raise ValueError(f"xs must hold at least one {what}, got shape {tuple(xs.shape)}")
    if xs.shape[1] > MAX_STEPS:
        raise ValueError(f"xs has {xs.shape[1]:,} time steps, more than {MAX_STEPS:,}: a "
                         "measurement runs one step at a time; use a shorter sequence")
    if not bool(torch.isfinite(xs).all()):
        raise ValueError("xs must hold finite numbers, got NaN or inf: every norm would be NaN")


@torch.no_grad()
def state_sensitivity(cell: RecurrentCell, xs: torch.Tensor, delta: float = 1e-3) -> np.ndarray:
    """The forward view: ||h_t - h'_t|| for t = 0..T-1 (batch mean), where h' is the run on
    the same inputs with x_0 changed by ``delta`` in every entry. How much of the first input
    is still visible in the state t steps later."""
    _check_cell_and_xs(cell, xs)
    expect_positive_number(delta, "delta")
    other = xs.clone()
    other[:, 0] += delta
    state = state2 = cell.init_state(xs.shape[0], xs.device, xs.dtype)
    gaps = []
    for t in range(xs.shape[1]):
        state, state2 = cell.step(xs[:, t], state), cell.step(other[:, t], state2)
        gaps.append(float((cell.hidden(state) - cell.hidden(state2)).norm(dim=-1).mean()))
    return np.array(gaps)


@torch.no_grad()
def set_spectral_radius(W: torch.Tensor, radius: float) -> torch.Tensor:
    """Rescale the square matrix W in place so its largest |eigenvalue| equals ``radius``."""
    _check_matrix(W, square=True)
    expect_positive_number(radius, "radius")
    current = spectral_radius(W)
    if current == 0:
        raise ValueError("W has spectral radius 0 and cannot be rescaled")
    W.mul_(radius / current)
    return W


def spectral_radius(W: torch.Tensor) -> float:
    """The largest absolute eigenvalue of a square matrix. W: (J, J), finite."""
    _check_matrix(W, square=True)
    return float(torch.linalg.eigvals(W.detach().double()).abs().max())


def largest_singular_value(W: torch.Tensor) -> float:
    """||W||_2, the largest singular value of W: the most W can stretch a vector; never below
    the spectral radius rho(W). W: (m, n), finite, non-empty."""
    _check_matrix(W)
    return float(torch.linalg.matrix_norm(W.detach().double(), ord=2))


def _check_matrix(W, square: bool = False) -> None:
    expect_tensor(W, "W", ndim=2, floating=True)
    if square and W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be square, got shape {tuple(W.shape)}")
    if W.numel() == 0:
        raise ValueError(f"W must not be empty, got shape {tuple(W.shape)}")
    if not bool(torch.isfinite(W).all()):
        raise ValueError("W must hold finite numbers, got NaN or inf entries")


def fit_decay_rate(norms, skip_last: int = 1) -> float:
    """Fit log ||dL/dh_t|| = a + r * (T-1-t) by least squares; return the factor exp(r) per step.

    A factor below 1 means the gradient shrinks by that factor for every step back in time.
    ``skip_last`` leaves out the last step(s), where the loss touches h directly. Zeros and
    non-finite norms (underflow, overflow) are left out of the fit.
    """
    norms = np.asarray(norms)
    if not (np.issubdtype(norms.dtype, np.floating) or np.issubdtype(norms.dtype, np.integer)):
        raise TypeError(f"norms must hold real numbers, got dtype {norms.dtype}")
    norms = norms.astype(float)
    if norms.ndim != 1:
        raise ValueError(f"norms must be 1-D (one norm per time step), got shape {norms.shape}")
    if isinstance(skip_last, bool) or not isinstance(skip_last, numbers.Integral) or skip_last < 0:
        raise ValueError(f"skip_last must be a non-negative integer, got {skip_last!r}")
    distance = np.arange(len(norms))[::-1]          # T-1-t
    keep = (distance >= skip_last) & (norms > 0) & np.isfinite(norms)
    if keep.sum() < 2:
        raise ValueError(f"need at least two positive, finite norms to fit a decay rate, got "
                         f"{int(keep.sum())} of {len(norms)} (after skipping the last {skip_last})")
    slope = np.polyfit(distance[keep], np.log(norms[keep]), 1)[0]
    return float(np.exp(slope))


def deep_stack_gradient_norms(depth: int = 50, width: int = 32, residual: bool = False,
                              gain: float = 1.0, batch_size: int = 16, seed: int = 0) -> np.ndarray:
    """||dL/dz_l|| at the input z_l of every layer l = 0..depth-1 of a stack of tanh layers.

    plain:    z_{l+1} = tanh(A_l z_l)           residual: z_{l+1} = z_l + tanh(A_l z_l)
    A_l ~ N(0, gain^2 / width), float64; L = sum of the last layer's outputs / sqrt(width).
    """
    depth, width = expect_positive_int(depth, "depth"), expect_positive_int(width, "width")
    batch_size = expect_positive_int(batch_size, "batch_size")
    if depth > MAX_STEPS or depth * width * (width + batch_size) > MAX_WEIGHTS:
        raise ValueError(f"depth={depth:,}, width={width:,} and batch_size={batch_size:,} are too "
                         f"large for a demonstration (at most {MAX_STEPS:,} layers and "
                         f"{MAX_WEIGHTS:,} numbers in all)")
    expect_positive_number(gain, "gain")
    seed = expect_seed(seed)
    if not isinstance(residual, (bool, np.bool_)):
        raise TypeError(f"residual must be True or False, got {residual!r}")
    generator = torch.Generator().manual_seed(seed)
    scale = gain / width ** 0.5
    layers = [torch.randn(width, width, generator=generator, dtype=torch.float64) * scale
              for _ in range(depth)]
    z = torch.randn(batch_size, width, generator=generator, dtype=torch.float64).requires_grad_()
    inputs = []
    with torch.enable_grad():
        for A in layers:
            inputs.append(z)
            out = torch.tanh(z @ A.T)
            z = z + out if residual else out
        grads = torch.autograd.grad(z.sum() / width ** 0.5, inputs)
    return np.array([float(g.norm(dim=-1).mean()) for g in grads])
