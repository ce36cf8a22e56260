"""Recurrent cells that train in parallel over time: minGRU, minLSTM and a diagonal linear
unit (Chapter 8). Their gates and candidate read x_t only, never h_{t-1}, so every step is
the linear recurrence of ``utils.scan``,

    h_t = α_t ⊙ h_{t-1} + β_t        α_t ∈ R^J the retention, β_t ∈ R^J the input term,

and (α_t, β_t) can be computed for all t at once, before the recurrence runs.

    cell = MinGRUCell(D, J)                     # U (2J, D), b (2J,), blocks ("u", "c")
    cell = MinLSTMCell(D, J)                    # U (3J, D), b (3J,), blocks ("f", "i", "c")
    cell = DiagonalLinearCell(D, J)             # nu (J,), U (J, D), b (J,); eigenvalues() λ (J,)
    alpha, beta = cell.coefficients(xs)         # xs (B, T, D) -> two (B, T, J)
    h_t = cell.step(x_t, h_prev)                # (B, D), (B, J) -> (B, J): the RNN view
    hs = cell(xs, h0=None, mode=None)           # (B, T, J): the scan view, any mode of MODES
    core = ParallelRNN("mingru", D, J, num_layers=2)
    hs, state = core(xs, state=None, lengths=None)   # (B, T, J), (L, B, J) like torch's h_n
    h, state = core.step(x_t, state)            # one token, O(1): generation as an RNN

Modes (``MODES``), every one giving the same numbers: "loop" (``scan.linear_recurrence``,
T steps), "hillis_steele" and "blelloch" (``scan.scan_hillis_steele``/``scan_blelloch``,
about log2 T rounds) and "log_space" (``scan.scan_log_space``, for cells built with
log_space=True, whose α and β are positive). The default: "log_space" for log-space cells,
else "hillis_steele".

Initialisation: U and b uniform in ±1/sqrt(D) (what ``torch.nn.Linear`` does: the gates and
the candidate read D inputs and nothing else); ν of the diagonal unit on a ring, see
``DiagonalLinearCell``. Every cell works in float32 or float64 on any device
(``cell.to(...)``); its inputs must have the dtype and device of its weights.
"""
from __future__ import annotations

import math
import numbers

import torch
from torch import nn
from torch.nn import functional as F

from . import scan
from .cells import MAX_WEIGHTS
from .recurrent import MAX_LAYERS, check_lengths
from .validate import expect_choice, expect_flag, expect_positive_int, expect_tensor

MODES = ("loop", "hillis_steele", "blelloch", "log_space")
"""How a cell runs over a sequence; every mode computes the same h (up to rounding)."""
SCANS = {"loop": scan.linear_recurrence, "hillis_steele": scan.scan_hillis_steele,
         "blelloch": scan.scan_blelloch}
"""The function of ``utils.scan`` behind each mode that takes (alpha, beta, h0)."""


def softplus(v: torch.Tensor) -> torch.Tensor:
    """log(1 + e^v) = logaddexp(v, 0), accurate for every v, with the exact gradient σ(v).
    (torch's F.softplus returns v itself above v = 20, an error of e^-20 ~ 2e-9: visible in
    float64.) v: a floating tensor of any shape."""
    expect_tensor(v, "v", floating=True)
    return torch.logaddexp(v, torch.zeros_like(v))


def g(v: torch.Tensor) -> torch.Tensor:
    """The positive candidate of the log-space cells (Feng et al., 2024): g(v) = v + 1/2 for
    v >= 0 and σ(v) for v < 0. Continuous (both are 1/2 at 0), increasing, always > 0.
    v: a floating tensor of any shape."""
    expect_tensor(v, "v", floating=True)
    return torch.where(v >= 0, v.clamp(min=0) + 0.5, torch.sigmoid(v))


def log_g(v: torch.Tensor) -> torch.Tensor:
    """log g(v), computed without taking the log of g: log(v + 1/2) for v >= 0, and
    log σ(v) = -softplus(-v) for v < 0 (finite for any finite v). v: a floating tensor."""
    expect_tensor(v, "v", floating=True)
    return torch.where(v >= 0, torch.log(v.clamp(min=0) + 0.5), -softplus(-v))


class ParallelCell(nn.Module):
    """Shared machinery of a cell whose step is h_t = α_t ⊙ h_{t-1} + β_t, with α_t, β_t read
    from x_t alone. Parameters U (G*J, D) and b (G*J,): one (J, D) block of U and one (J,)
    block of b per name in ``gate_names``. Subclasses define ``_coefficients(xp)`` (and
    ``_log_coefficients(xp)`` for a log-space cell) from the projection xp = U x + b."""

    gate_names: tuple[str, ...] = ()

    def __init__(self, input_size: int, hidden_size: int, log_space: bool = False):
        super().__init__()
        self.input_size = expect_positive_int(input_size, "input_size")
        self.hidden_size = expect_positive_int(hidden_size, "hidden_size")
        self.log_space = expect_flag(log_space, "log_space")
        rows = max(1, len(self.gate_names)) * self.hidden_size
        if rows * (self.input_size + 2) > MAX_WEIGHTS:
            raise ValueError(f"a {type(self).__name__} of input_size {input_size} and hidden_size "
                             f"{hidden_size} would hold about {rows * (input_size + 2):,} weights, "
                             f"more than the {MAX_WEIGHTS:,} allowed: use smaller sizes")
        self.U = nn.Parameter(torch.empty(rows, self.input_size))
        self.b = nn.Parameter(torch.empty(rows))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """U and b uniform in ±1/sqrt(D), torch.nn.Linear's default for D inputs."""
        bound = 1.0 / math.sqrt(self.input_size)
        nn.init.uniform_(self.U, -bound, bound)
        nn.init.uniform_(self.b, -bound, bound)

    @property
    def default_mode(self) -> str:
        return "log_space" if self.log_space else "hillis_steele"

    def block(self, gate: str, matrix: str = "U") -> torch.Tensor:
        """One gate's rows of U or b, e.g. ``cell.block("u", "b")`` for the update gate's bias."""
        if gate not in self.gate_names:
            raise ValueError(f"gate must be one of {self.gate_names}, got {gate!r}")
        if matrix not in ("U", "b"):
            raise ValueError(f"matrix must be 'U' or 'b' (these cells have no W), got {matrix!r}")
        k, J = self.gate_names.index(gate), self.hidden_size
        return getattr(self, matrix)[k * J:(k + 1) * J]

    # --- state -----------------------------------------------------------------------------
    def init_state(self, batch_size: int, device=None, dtype=None) -> torch.Tensor:
        """The all-zeros state h_0, (B, J)."""
        batch_size = expect_positive_int(batch_size, "batch_size")
        if batch_size * self.hidden_size > MAX_WEIGHTS:
            raise ValueError(f"batch_size {batch_size:,} * hidden_size {self.hidden_size} is more "
                             f"than the {MAX_WEIGHTS:,} numbers a state may hold")
        return torch.zeros(batch_size, self.hidden_size, device=device or self.U.device,
                           dtype=dtype or self.U.dtype)

    @staticmethod
    def hidden(state) -> torch.Tensor:
        """h from a state: the state itself (h_t = c_t in these cells)."""
        return state

    # --- checks ----------------------------------------------------------------------------
    def _expect_like_weights(self, t: torch.Tensor, name: str) -> None:
        if t.dtype != self.U.dtype or t.device != self.U.device:
            raise TypeError(f"{name} is {t.dtype} on {t.device} but the cell's weights are "
                            f"{self.U.dtype} on {self.U.device}: convert one of them with .to(...)")

    def check_xs(self, xs) -> None:
        """xs: (B, T, D), B, T >= 1, of the weights' dtype and device."""
        expect_tensor(xs, "xs", shape=(None, None, self.input_size), floating=True)
        if xs.shape[0] == 0 or xs.shape[1] == 0:
            raise ValueError(f"xs must hold at least one sequence of at least one step, got "
                             f"shape {tuple(xs.shape)}")
        self._expect_like_weights(xs, "xs")
        if not bool(torch.isfinite(xs).all()):
            raise ValueError("xs must hold finite numbers, got NaN or inf entries")

    def check_h(self, h, batch_size: int, name: str = "h0") -> None:
        """h: (B, J), of the weights' dtype and device."""
        expect_tensor(h, name, shape=(batch_size, self.hidden_size), floating=True)
        self._expect_like_weights(h, name)

    def _mode(self, mode) -> str:
        mode = self.default_mode if mode is None else expect_choice(mode, "mode", MODES)
        if mode == "log_space" and not self.log_space:
            raise ValueError(f"mode 'log_space' needs a cell built with log_space=True (positive "
                             f"α and β, whose logs exist); this {type(self).__name__} has "
                             f"log_space=False: use one of {MODES[:3]}")
        return mode

    # --- the two views ---------------------------------------------------------------------
    def project(self, xs: torch.Tensor) -> torch.Tensor:
        """U x + b for every step at once: (..., D) -> (..., G*J)."""
        return F.linear(xs, self.U, self.b)

    def coefficients(self, xs: torch.Tensor):
        """(α_t, β_t) of every step: xs (B, T, D) -> alpha, beta, each (B, T, J)."""
        self.check_xs(xs)
        return self._coefficients(self.project(xs))

    def log_coefficients(self, xs: torch.Tensor):
        """(log α_t, log β_t) of every step, computed without taking a log of α or β:
        xs (B, T, D) -> log_alpha, log_beta, each (B, T, J). Log-space cells only."""
        if not self.log_space:
            raise ValueError(f"log_coefficients needs a cell built with log_space=True: this "
                             f"{type(self).__name__}'s candidate can be negative, so β has no log")
        self.check_xs(xs)
        return self._log_coefficients(self.project(xs))

    def step(self, x_t: torch.Tensor, h_prev: torch.Tensor) -> torch.Tensor:
        """One step, the RNN view: h_t = α_t ⊙ h_{t-1} + β_t. x_t (B, D), h_prev (B, J) -> (B, J)."""
        expect_tensor(x_t, "x_t", shape=(None, self.input_size), floating=True)
        self._expect_like_weights(x_t, "x_t")
        self.check_h(h_prev, x_t.shape[0], "h_prev")
        alpha, beta = self._coefficients(self.project(x_t))          # (B, J) each
        return alpha * h_prev + beta                                 # (B, J)

    def forward(self, xs: torch.Tensor, h0: torch.Tensor | None = None, mode: str | None = None):
        """The whole sequence, the scan view: xs (B, T, D), h0 (B, J) or None (zeros) ->
        hs (B, T, J), hs[:, t] = h_{t+1}. ``mode``: one of MODES (None: ``default_mode``).

        In the log space, h0 enters as exp(α*_t) h_0 (α*_t = log α_1 + ... + log α_t) added
        to the scan from zero, so any h0 works there too, zero or negative included."""
        mode = self._mode(mode)
        self.check_xs(xs)
        if h0 is not None:
            self.check_h(h0, xs.shape[0])
        if mode != "log_space":
            alpha, beta = self._coefficients(self.project(xs))      # (B, T, J) each
            return SCANS[mode](alpha, beta, h0)                     # (B, T, J)
        log_alpha, log_beta = self._log_coefficients(self.project(xs))
        hs = scan.scan_log_space(log_alpha, log_beta)               # (B, T, J), from h_0 = 0
        if h0 is None:
            return hs
        return hs + torch.exp(torch.cumsum(log_alpha, dim=1)) * h0.unsqueeze(1)

    def _coefficients(self, xp):
        raise NotImplementedError

    def _log_coefficients(self, xp):
        raise NotImplementedError

    def extra_repr(self) -> str:
        return (f"input_size={self.input_size}, hidden_size={self.hidden_size}"
                + (", log_space=True" if self.log_space else ""))


class MinGRUCell(ParallelCell):
    """minGRU (Feng et al., 2024) in the GRU convention of Chapter 4 (Γ_u weights the NEW
    candidate); the GRU without W, without the reset gate and without tanh:

        Γ_u = σ(U_u x_t + b_u)                    update gate
        c̃_t = U_c x_t + b_c                       candidate (log_space: g(U_c x_t + b_c) > 0)
        c_t = Γ_u ⊙ c̃_t + (1 - Γ_u) ⊙ c_{t-1},   h_t = c_t

    so α_t = 1 - Γ_u and β_t = Γ_u ⊙ c̃_t. With the pre-activations a^u_t = U_u x_t + b_u and
    a^c_t = U_c x_t + b_c, log α_t = -softplus(a^u_t) and log β_t = -softplus(-a^u_t) +
    log g(a^c_t) (``log_coefficients``).
    """

    gate_names = ("u", "c")

    def _coefficients(self, xp):
        a_u, a_c = xp.chunk(2, dim=-1)                               # (..., 2J) -> 2 x (..., J)
        candidate = g(a_c) if self.log_space else a_c                # c̃_t
        return torch.sigmoid(-a_u), torch.sigmoid(a_u) * candidate   # 1 - Γ_u, Γ_u ⊙ c̃_t

    def _log_coefficients(self, xp):
        a_u, a_c = xp.chunk(2, dim=-1)                               # 2 x (..., J)
        return -softplus(a_u), -softplus(-a_u) + log_g(a_c)          # log(1 - Γ_u), log(Γ_u c̃_t)


class MinLSTMCell(ParallelCell):
    """minLSTM (Feng et al., 2024): an LSTM whose gates read x_t only, normalised so that the
    forget and input gates add up to one, without the output gate and without tanh:

        f_t = σ(U_f x_t + b_f),   i_t = σ(U_i x_t + b_i)        forget and input gates
        f'_t = f_t / (f_t + i_t), i'_t = i_t / (f_t + i_t)      (f'_t + i'_t = 1)
        c̃_t = U_c x_t + b_c                                     (log_space: g(U_c x_t + b_c))
        c_t = f'_t ⊙ c_{t-1} + i'_t ⊙ c̃_t,   h_t = c_t

    so α_t = f'_t and β_t = i'_t ⊙ c̃_t. In logs, with the pre-activations
    a^f_t, a^i_t of the two gates and d = softplus(-a^f_t) - softplus(-a^i_t):
    log f'_t = -softplus(d), log i'_t = -softplus(-d) (``log_coefficients``).
    """

    gate_names = ("f", "i", "c")

    def _coefficients(self, xp):
        a_f, a_i, a_c = xp.chunk(3, dim=-1)                          # (..., 3J) -> 3 x (..., J)
        f, i = torch.sigmoid(a_f), torch.sigmoid(a_i)
        candidate = g(a_c) if self.log_space else a_c                # c̃_t
        return f / (f + i), i / (f + i) * candidate                  # f'_t, i'_t ⊙ c̃_t

    def _log_coefficients(self, xp):
        a_f, a_i, a_c = xp.chunk(3, dim=-1)                          # 3 x (..., J)
        d = softplus(-a_f) - softplus(-a_i)                          # log(i_t / f_t)
        return -softplus(d), -softplus(-d) + log_g(a_c)              # log f'_t, log(i'_t c̃_t)


def _expect_radius(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise ValueError(f"{name} must be a number strictly between 0 and 1 (an eigenvalue "
                         f"inside the unit circle), got {value!r}")
    return float(value)


class DiagonalLinearCell(ParallelCell):
    """A diagonal linear recurrent unit, LRU-style (Orvieto et al., 2023), real-valued:

        λ = exp(-exp(ν)) ∈ (0, 1)          one eigenvalue per unit (ν ∈ R^J is the parameter)
        sqrt(1 - λ²)                       input scale: keeps the state's size near the input's
        h_t = λ ⊙ h_{t-1} + sqrt(1 - λ²) ⊙ (U x_t + b)

    so α_t = λ (the same at every step) and β_t = sqrt(1 - λ²) ⊙ (U x_t + b). λ is never a free
    parameter: whatever value a gradient step gives ν, exp(-exp(ν)) stays between 0 and 1,
    so the recurrence cannot blow up. (In floating point λ rounds to 0 for ν above ~6.6 and
    to 1 for ν below ~-36.7 in float64; it never leaves [0, 1].) The paper's λ is complex,
    with a phase that lets a unit oscillate; the course keeps it real.

    Initialisation on a ring: λ² uniform in [r_min², r_max²] (the paper's ring, for the
    modulus), i.e. ν = log(-log λ); U and b uniform in ±1/sqrt(D).
    """

    def __init__(self, input_size: int, hidden_size: int, r_min: float = 0.4,
                 r_max: float = 0.99):
        self.r_min, self.r_max = _expect_radius(r_min, "r_min"), _expect_radius(r_max, "r_max")
        if self.r_min > self.r_max:
            raise ValueError(f"r_min must be at most r_max, got r_min={r_min} and r_max={r_max}")
        hidden_size = expect_positive_int(hidden_size, "hidden_size")
        super().__init__(input_size, hidden_size)
        self.nu = nn.Parameter(torch.empty(hidden_size))
        self.reset_nu()

    @torch.no_grad()
    def reset_nu(self) -> None:
        """ν such that λ² is uniform in [r_min², r_max²]."""
        u = torch.rand(self.hidden_size, dtype=torch.float64)
        lam_sq = self.r_min ** 2 + u * (self.r_max ** 2 - self.r_min ** 2)
        self.nu.copy_(torch.log(-0.5 * torch.log(lam_sq)))           # ν = log(-log λ)

    def eigenvalues(self) -> torch.Tensor:
        """λ = exp(-exp(ν)), (J,): the diagonal of the recurrent matrix, each in (0, 1)."""
        return torch.exp(-torch.exp(self.nu))

    def input_scale(self) -> torch.Tensor:
        """sqrt(1 - λ²), (J,), computed as sqrt(-expm1(-2 exp(ν))): accurate (and with a
        finite gradient) even where λ is within 1e-16 of 1."""
        return torch.sqrt(-torch.expm1(-2.0 * torch.exp(self.nu)))

    def _coefficients(self, xp):
        alpha = self.eigenvalues().expand_as(xp)                     # (..., J): λ at every step
        return alpha, self.input_scale() * xp                        # λ, sqrt(1 - λ²) ⊙ (U x_t + b)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", r_min={self.r_min}, r_max={self.r_max}"


PARALLEL_CELLS = {"mingru": MinGRUCell, "minlstm": MinLSTMCell, "lru": DiagonalLinearCell}
KINDS = tuple(PARALLEL_CELLS)
"""The kinds of ``ParallelRNN`` (and of the token models' ``cell=`` for them)."""


class ParallelRNN(nn.Module):
    """A stack of parallel cells with the contract of the course's other cores: batch-first
    inputs (B, T, D), outputs (B, T, J) of the top layer, and the final state of every layer
    in torch's layout, (L, B, J), like ``torch.nn.GRU``'s h_n.

    kind: "mingru", "minlstm" or "lru". mode: the scan every layer uses (None: each cell's
    default). log_space: build minGRU/minLSTM cells with a positive candidate, so that the
    "log_space" mode applies. Trained with ``forward`` (parallel over time), generated with
    ``step`` (one token at a time, carrying the state, O(1) per token).
    """

    bidirectional = False
    num_directions = 1
    is_lstm = False

    def __init__(self, kind: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 mode: str | None = None, log_space: bool = False):
        super().__init__()
        self.kind = expect_choice(kind, "kind", KINDS)
        self.input_size = expect_positive_int(input_size, "input_size")
        self.hidden_size = expect_positive_int(hidden_size, "hidden_size")
        self.num_layers = expect_positive_int(num_layers, "num_layers", most=MAX_LAYERS)
        self.log_space = expect_flag(log_space, "log_space")
        if self.log_space and kind == "lru":
            raise ValueError("the diagonal linear unit has no log-space form (its β = "
                             "sqrt(1 - λ²) (U x + b) can be negative): use log_space=False "
                             "for kind 'lru'")
        if mode is not None:
            expect_choice(mode, "mode", MODES)
            if mode == "log_space" and not self.log_space:
                raise ValueError("mode 'log_space' needs log_space=True (positive α and β)")
        self.mode, self.output_size = mode, self.hidden_size
        sizes = [self.input_size] + [self.hidden_size] * (self.num_layers - 1)
        extra = {"log_space": self.log_space} if kind != "lru" else {}
        self.layers = nn.ModuleList(PARALLEL_CELLS[kind](size, self.hidden_size, **extra)
                                    for size in sizes)

    def cells(self) -> list[ParallelCell]:
        """The cells, bottom layer first."""
        return list(self.layers)

    def init_state(self, batch_size: int, device=None, dtype=None) -> torch.Tensor:
        """The all-zeros state, (L, B, J)."""
        batch_size = expect_positive_int(batch_size, "batch_size")
        if self.num_layers * batch_size * self.hidden_size > MAX_WEIGHTS:
            raise ValueError(f"a state of {self.num_layers} x {batch_size:,} x {self.hidden_size} "
                             f"is more than the {MAX_WEIGHTS:,} numbers a state may hold")
        p = self.layers[0].U
        return torch.zeros(self.num_layers, batch_size, self.hidden_size,
                           device=device or p.device, dtype=dtype or p.dtype)

    def _layer_states(self, state, batch_size: int) -> list:
        """state (L, B, J) or None -> one (B, J) start state per layer (None: zeros)."""
        if state is None:
            return [None] * self.num_layers
        expect_tensor(state, "state", shape=(self.num_layers, batch_size, self.hidden_size),
                      floating=True)
        self.layers[0]._expect_like_weights(state, "state")
        return list(state.unbind(0))                                 # L x (B, J)

    def forward(self, xs: torch.Tensor, state=None, lengths=None):
        """xs (B, T, D) -> hs (B, T, J), state (L, B, J). Every layer runs its scan over the
        whole sequence, then feeds its outputs to the layer above.

        lengths: None, or (B,) integers for a right-padded batch (1 <= length <= T). The
        scan is causal, so padding after a sequence's end changes none of its real steps;
        the state of each layer is taken at each sequence's last real step, h[b, lengths[b]-1],
        and the outputs at padded steps are zero, as for every other core of the course."""
        self.layers[0].check_xs(xs)
        B, T, _ = xs.shape
        if lengths is not None:
            lengths = check_lengths(lengths, B, T).to(xs.device)
            real = torch.arange(T, device=xs.device)[None, :] < lengths[:, None]   # (B, T)
        finals = []
        for cell, h0 in zip(self.layers, self._layer_states(state, B)):
            hs = cell(xs, h0, self.mode)                             # (B, T, J)
            if lengths is None:
                finals.append(hs[:, -1])                             # (B, J)
            else:
                finals.append(hs[torch.arange(B, device=xs.device), lengths - 1])   # (B, J)
                hs = torch.where(real[:, :, None], hs, torch.zeros_like(hs))
            xs = hs
        return xs, torch.stack(finals)                               # (B, T, J), (L, B, J)

    def step(self, x_t: torch.Tensor, state=None):
        """One time step through every layer: x_t (B, D) -> (top h (B, J), state (L, B, J)).
        Generation as an RNN: the prefix is never re-read, only the state is carried."""
        expect_tensor(x_t, "x_t", shape=(None, self.input_size), floating=True)
        if x_t.shape[0] == 0:
            raise ValueError("x_t must hold at least one sequence, got shape (0, D)")
        new, h = [], x_t
        for cell, h_prev in zip(self.layers, self._layer_states(state, x_t.shape[0])):
            if h_prev is None:
                h_prev = cell.init_state(x_t.shape[0], x_t.device, x_t.dtype)
            h = cell.step(h, h_prev)                                 # (B, J)
            new.append(h)
        return h, torch.stack(new)                                   # (B, J), (L, B, J)

    def extra_repr(self) -> str:
        return (f"kind={self.kind!r}, mode={self.mode!r}"
                + (", log_space=True" if self.log_space else ""))


__all__ = ["MODES", "KINDS", "PARALLEL_CELLS", "ParallelCell", "MinGRUCell", "MinLSTMCell",
           "DiagonalLinearCell", "ParallelRNN", "g", "log_g", "softplus"]
