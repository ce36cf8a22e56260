"""From-scratch recurrent cells in torch: RNN, GRU and LSTM.

Each cell computes ONE time step for a batch: ``state = cell.step(x_t, state)`` with
``x_t`` of shape (B, D). The state is a tensor h of shape (B, J) for the RNN and GRU,
and a pair (h, c) for the LSTM. ``cell.hidden(state)`` returns h in every case.

``step`` is two halves, which a sequence wrapper (``utils.recurrent``) calls separately
for speed: ``cell.project(xs)`` computes the input part U x + b of every step at once,
(..., D) -> (..., G*J), one matrix product for a whole sequence; ``cell.recur(xp_t,
state)`` takes one step from it, adding the recurrent part W h_{t-1} and applying the
gates. ``step(x_t, state)`` checks its arguments, then returns
``recur(project(x_t), state)``. ``cell.gates(x_t, state)`` returns the gate activations
of one step by name.

Weights follow the course notation (see the Notation page): U multiplies the input,
W the previous hidden state, b is the bias. Gated cells stack one (J, D) block of U,
one (J, J) block of W and one (J,) block of b per gate, in the order given by
``cell.gate_names``; ``cell.block(name, "U")`` returns one gate's block.

``cell.load_torch_weights(module)`` copies weights from the matching ``torch.nn``
module, converting PyTorch's conventions to the course's, so that the two compute the
same numbers (see tests/test_utils_parity.py and Chapters 1, 4 and 5).
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from .validate import expect_positive_int, expect_tensor

MAX_WEIGHTS = 10**8
"""Most scalars a cell's weights (or a state) may hold: far above any model of the course,
far below what would take minutes to allocate."""


class RecurrentCell(nn.Module):
    """Shared machinery: parameters U (G*J, D), W (G*J, J), b (G*J,) for G gate blocks."""

    gate_names: tuple[str, ...] = ("a",)
    torch_class: type[nn.Module] = nn.RNN

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_size, self.hidden_size = self.expect_sizes(input_size, hidden_size)
        blocks = len(self.gate_names) * hidden_size
        self.U = nn.Parameter(torch.empty(blocks, input_size))
        self.W = nn.Parameter(torch.empty(blocks, hidden_size))
        self.b = nn.Parameter(torch.empty(blocks))
        self.reset_parameters()

    @classmethod
    def expect_sizes(cls, input_size: int, hidden_size: int) -> tuple[int, int]:
        """Positive sizes whose weights stay within MAX_WEIGHTS (checked without building)."""
        input_size = expect_positive_int(input_size, "input_size")
        hidden_size = expect_positive_int(hidden_size, "hidden_size")
        weights = len(cls.gate_names) * hidden_size * (input_size + hidden_size + 1)
        if weights > MAX_WEIGHTS:
            raise ValueError(f"a {cls.__name__} of input_size {input_size} and hidden_size "
                             f"{hidden_size} would hold {weights:,} weights, more than the "
                             f"{MAX_WEIGHTS:,} allowed: use smaller sizes")
        return input_size, hidden_size

    def reset_parameters(self) -> None:
        """Uniform(-1/sqrt(J), 1/sqrt(J)), PyTorch's default for its recurrent modules."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def block(self, gate: str, matrix: str = "U") -> torch.Tensor:
        """One gate's rows of U, W or b, e.g. ``cell.block("f", "b")`` for the forget bias."""
        if gate not in self.gate_names:
            raise ValueError(f"gate must be one of {self.gate_names}, got {gate!r}")
        if matrix not in ("U", "W", "b"):
            raise ValueError(f"matrix must be 'U', 'W' or 'b', got {matrix!r}")
        k, J = self.gate_names.index(gate), self.hidden_size
        return getattr(self, matrix)[k * J:(k + 1) * J]

    # --- state -----------------------------------------------------------------------
    def init_state(self, batch_size: int, device=None, dtype=None):
        """The all-zeros state for a batch."""
        batch_size = expect_positive_int(batch_size, "batch_size")
        if batch_size * self.hidden_size > MAX_WEIGHTS:
            raise ValueError(f"batch_size {batch_size:,} * hidden_size {self.hidden_size} is more "
                             f"than the {MAX_WEIGHTS:,} numbers a state may hold")
        device = device or self.U.device
        dtype = dtype or self.U.dtype
        return torch.zeros(batch_size, self.hidden_size, device=device, dtype=dtype)

    @staticmethod
    def hidden(state) -> torch.Tensor:
        """h from a state (the state itself for RNN and GRU)."""
        return state

    def check_step_inputs(self, x_t, state) -> None:
        expect_tensor(x_t, "x_t", shape=(None, self.input_size), floating=True)
        h = self.hidden(state)
        expect_tensor(h, "h_prev", shape=(x_t.shape[0], self.hidden_size), floating=True)
        for name, t in (("x_t", x_t), ("h_prev", h)):
            self._expect_like_weights(t, name)

    def _expect_like_weights(self, t: torch.Tensor, name: str) -> None:
        if t.dtype != self.U.dtype or t.device != self.U.device:
            raise TypeError(f"{name} is {t.dtype} on {t.device} but the cell's weights are "
                            f"{self.U.dtype} on {self.U.device}: convert one of them with .to(...)")

    def check_recur_inputs(self, xp_t, state) -> None:
        """The cheap check ``recur`` makes at every step: xp_t (B, G*J) and h (B, J), of the
        weights' dtype. The full messages come from the slow path, only when one fails."""
        h = self.hidden(state) if isinstance(state, (tuple, list, torch.Tensor)) else state
        W = self.W
        c_fits = h is state or (isinstance(state, (tuple, list)) and len(state) == 2
                                and isinstance(state[1], torch.Tensor)
                                and isinstance(h, torch.Tensor) and state[1].shape == h.shape)
        if (isinstance(xp_t, torch.Tensor) and isinstance(h, torch.Tensor) and xp_t.ndim == 2
                and xp_t.shape[1] == W.shape[0] and h.shape == (xp_t.shape[0], W.shape[1])
                and xp_t.dtype == h.dtype == W.dtype and c_fits):
            return                                   # the common case, at every step: all fits
        expect_tensor(xp_t, "xp_t (the projection project(x_t))", shape=(None, W.shape[0]),
                      floating=True)
        self.check_step_inputs(torch.empty(xp_t.shape[0], self.input_size, dtype=W.dtype,
                                           device=W.device), state)
        self._expect_like_weights(xp_t, "xp_t")

    def project(self, xs: torch.Tensor) -> torch.Tensor:
        """The input part of every gate, U x + b, for any number of steps at once:
        xs (..., D) -> (..., G*J)."""
        expect_tensor(xs, "xs", floating=True)
        if xs.ndim == 0 or xs.shape[-1] != self.input_size:
            raise ValueError(f"xs must end in the input size {self.input_size}, (..., "
                             f"{self.input_size}), got shape {tuple(xs.shape)}")
        self._expect_like_weights(xs, "xs")
        return F.linear(xs, self.U, self.b)                             # (..., G*J)

    def recur(self, xp_t: torch.Tensor, state):
        """One step from a precomputed projection xp_t = project(x_t), (B, G*J) -> new state.
        It checks its arguments cheaply (``check_recur_inputs``): it runs at every step."""
        raise NotImplementedError

    def step(self, x_t: torch.Tensor, state):
        """One time step. x_t: (B, D); state as from init_state -> new state."""
        self.check_step_inputs(x_t, state)
        return self.recur(self.project(x_t), state)

    def forward(self, x_t, state):
        return self.step(x_t, state)

    def extra_repr(self) -> str:
        return f"input_size={self.input_size}, hidden_size={self.hidden_size}"

    # --- loading torch.nn weights ----------------------------------------------------
    def torch_weights(self, module: nn.Module, layer: int = 0, reverse: bool = False):
        """weight_ih, weight_hh, bias_ih, bias_hh of one layer/direction of a torch module."""
        if not isinstance(module, self.torch_class):
            raise TypeError(f"{type(self).__name__} loads from torch.nn.{self.torch_class.__name__}, "
                            f"got {type(module).__name__}")
        suffix = f"_l{layer}" + ("_reverse" if reverse else "")
        if not hasattr(module, "weight_ih" + suffix):
            raise ValueError(f"{type(module).__name__} has no layer {layer}"
                             + (" in the reverse direction" if reverse else ""))
        w_ih, w_hh = getattr(module, "weight_ih" + suffix), getattr(module, "weight_hh" + suffix)
        if tuple(w_ih.shape) != tuple(self.U.shape) or tuple(w_hh.shape) != tuple(self.W.shape):
            raise ValueError(f"size mismatch: this cell has U {tuple(self.U.shape)}, "
                             f"W {tuple(self.W.shape)}; the torch module has weight_ih "
                             f"{tuple(w_ih.shape)}, weight_hh {tuple(w_hh.shape)}")
        zeros = torch.zeros(w_ih.shape[0], dtype=w_ih.dtype, device=w_ih.device)
        b_ih = getattr(module, "bias_ih" + suffix, None)
        b_hh = getattr(module, "bias_hh" + suffix, None)
        return (w_ih.detach(), w_hh.detach(),
                zeros if b_ih is None else b_ih.detach(), zeros if b_hh is None else b_hh.detach())

    @torch.no_grad()
    def load_torch_weights(self, module: nn.Module, layer: int = 0, reverse: bool = False):
        """Copy weights from ``module`` (layer ``layer``, forward or reverse direction)."""
        w_ih, w_hh, b_ih, b_hh = self.torch_weights(module, layer, reverse)
        self.U.copy_(w_ih)
        self.W.copy_(w_hh)
        self.b.copy_(b_ih + b_hh)
        return self


class RNNCell(RecurrentCell):
    """Vanilla (Elman) cell: h_t = tanh(W h_{t-1} + U x_t + b)."""

    gate_names = ("a",)
    torch_class = nn.RNN

    def recur(self, xp_t, h_prev):
        self.check_recur_inputs(xp_t, h_prev)
        return torch.tanh(torch.addmm(xp_t, h_prev, self.W.t()))      # (B, J)


class GatedCell(RecurrentCell):
    """A cell with gates: ``gates(x_t, state)`` returns their activations at one step."""

    def gates(self, x_t: torch.Tensor, state) -> dict:
        """The gate activations of one step, by name, each (B, J)."""
        self.check_step_inputs(x_t, state)
        return self.gates_from(self.project(x_t), state)

    def gates_from(self, xp_t: torch.Tensor, state) -> dict:
        """``gates`` from a precomputed projection xp_t = project(x_t), (B, G*J)."""
        raise NotImplementedError


class SimplifiedGRUCell(GatedCell):
    """The simplified GRU of Chapter 4: a memory cell and an update gate, no reset gate.

        Γ_u = σ(U_u x_t + W_u c_{t-1} + b_u)      update gate
        c̃_t = tanh(U_c x_t + W_c c_{t-1} + b_c)   candidate
        c_t = Γ_u * c̃_t + (1 - Γ_u) * c_{t-1}     (the hidden state is the cell: h_t = c_t)

    A gate near 0 copies the cell unchanged. PyTorch has no such module.
    """

    gate_names = ("u", "c")
    torch_class = None

    def gates_from(self, xp_t, c_prev) -> dict:
        """The update gate and candidate: {"u", "c_tilde"}, each (B, J)."""
        u, c = torch.addmm(xp_t, c_prev, self.W.t()).chunk(2, dim=-1)   # (B, 2J) -> 2 x (B, J)
        return {"u": torch.sigmoid(u), "c_tilde": torch.tanh(c)}

    def recur(self, xp_t, c_prev):
        self.check_recur_inputs(xp_t, c_prev)
        g = self.gates_from(xp_t, c_prev)
        return torch.lerp(c_prev, g["c_tilde"], g["u"])   # Γ_u * c̃_t + (1 - Γ_u) * c_{t-1}

    def torch_weights(self, module, layer: int = 0, reverse: bool = False):
        raise TypeError("the simplified GRU has no torch.nn counterpart (torch.nn.GRU is the full "
                        "GRU, with a reset gate): use utils.cells.GRUCell to load torch weights")


class GRUCell(GatedCell):
    """Gated recurrent unit in the course's (Andrew Ng's) convention.

        Γ_r = σ(U_r x_t + W_r c_{t-1} + b_r)                    relevance (reset) gate
        Γ_u = σ(U_u x_t + W_u c_{t-1} + b_u)                    update gate
        c̃_t = tanh(U_c x_t + b_c + Γ_r * (W_c c_{t-1} + b_hc))  reset="after" (PyTorch, cuDNN)
        c̃_t = tanh(U_c x_t + W_c (Γ_r * c_{t-1}) + b_c)         reset="before" (Cho et al.)
        c_t = Γ_u * c̃_t + (1 - Γ_u) * c_{t-1}     (the hidden state is the cell: h_t = c_t)

    Γ_u weights the NEW candidate. PyTorch's z weights the OLD state
    (h_t = (1 - z) * n + z * h_{t-1}), so Γ_u = 1 - z = σ(-(...)): loading torch
    weights negates the z block. The extra bias b_hc only exists with reset="after".
    """

    gate_names = ("r", "u", "c")
    torch_class = nn.GRU

    def __init__(self, input_size: int, hidden_size: int, reset: str = "after"):
        if reset not in ("after", "before"):
            raise ValueError(f"reset must be 'after' (PyTorch) or 'before' (Cho et al.), got {reset!r}")
        self.reset = reset
        super().__init__(input_size, hidden_size)
        if reset == "after":
            self.b_hc = nn.Parameter(torch.empty(hidden_size))
            nn.init.uniform_(self.b_hc, -1 / math.sqrt(hidden_size), 1 / math.sqrt(hidden_size))

    def gates_from(self, xp_t, c_prev) -> dict:
        """The gate activations and candidate: {"r", "u", "c_tilde"}, each (B, J)."""
        J = self.hidden_size
        x_ru, x_c = xp_t.split([2 * J, J], dim=-1)             # (B, 3J) -> (B, 2J), (B, J)
        if self.reset == "after":       # one product for all three blocks: W c_{t-1}
            w_ru, w_c = F.linear(c_prev, self.W).split([2 * J, J], dim=-1)  # (B, 2J), (B, J)
            r, u = torch.sigmoid(x_ru + w_ru).chunk(2, dim=-1)              # 2 x (B, J)
            c_tilde = torch.tanh(torch.addcmul(x_c, r, w_c + self.b_hc))    # x_c + r * (w_c + b_hc)
        else:                           # the candidate's product needs Γ_r first
            r, u = torch.sigmoid(torch.addmm(x_ru, c_prev, self.W[:2 * J].t())).chunk(2, dim=-1)
            c_tilde = torch.tanh(torch.addmm(x_c, r * c_prev, self.W[2 * J:].t()))  # (B, J)
        return {"r": r, "u": u, "c_tilde": c_tilde}

    def recur(self, xp_t, c_prev):
        self.check_recur_inputs(xp_t, c_prev)
        g = self.gates_from(xp_t, c_prev)
        return torch.lerp(c_prev, g["c_tilde"], g["u"])   # Γ_u * c̃_t + (1 - Γ_u) * c_{t-1}

    @torch.no_grad()
    def load_torch_weights(self, module: nn.Module, layer: int = 0, reverse: bool = False):
        if self.reset != "after":
            raise ValueError("torch.nn.GRU applies the reset gate after the recurrent product: "
                             "build the cell with reset='after' to load its weights")
        w_ih, w_hh, b_ih, b_hh = self.torch_weights(module, layer, reverse)
        J = self.hidden_size
        r, z, n = slice(0, J), slice(J, 2 * J), slice(2 * J, 3 * J)  # PyTorch's order: r, z, n
        self.U.copy_(torch.cat([w_ih[r], -w_ih[z], w_ih[n]]))
        self.W.copy_(torch.cat([w_hh[r], -w_hh[z], w_hh[n]]))
        self.b.copy_(torch.cat([b_ih[r] + b_hh[r], -(b_ih[z] + b_hh[z]), b_ih[n]]))
        self.b_hc.copy_(b_hh[n])
        return self


class LSTMCell(GatedCell):
    """Long short-term memory cell; the state is the pair (h, c).

        i_t = σ(U_i x_t + W_i h_{t-1} + b_i)      input (write) gate
        f_t = σ(U_f x_t + W_f h_{t-1} + b_f)      forget gate
        g_t = tanh(U_g x_t + W_g h_{t-1} + b_g)   candidate c̃_t
        o_t = σ(U_o x_t + W_o h_{t-1} + b_o)      output (read) gate
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    The blocks are stacked in PyTorch's order (i, f, g, o); b = bias_ih + bias_hh.
    """

    gate_names = ("i", "f", "g", "o")
    torch_class = nn.LSTM

    def init_state(self, batch_size: int, device=None, dtype=None):
        h = super().init_state(batch_size, device, dtype)
        return h, torch.zeros_like(h)

    @staticmethod
    def hidden(state) -> torch.Tensor:
        return state[0]

    def check_step_inputs(self, x_t, state) -> None:
        if not (isinstance(state, (tuple, list)) and len(state) == 2):
            raise TypeError("an LSTM state must be a pair (h, c) of (B, J) tensors, "
                            f"got {type(state).__name__}")
        super().check_step_inputs(x_t, state)
        expect_tensor(state[1], "c_prev", shape=tuple(state[0].shape), floating=True)

    def gates_from(self, xp_t, state) -> dict:
        """Gate activations: {"i", "f", "g", "o"}, each (B, J)."""
        i, f, g, o = torch.addmm(xp_t, state[0], self.W.t()).chunk(4, dim=-1)  # 4 x (B, J)
        return {"i": torch.sigmoid(i), "f": torch.sigmoid(f), "g": torch.tanh(g), "o": torch.sigmoid(o)}

    def recur(self, xp_t, state):
        self.check_recur_inputs(xp_t, state)
        g = self.gates_from(xp_t, state)
        c = torch.addcmul(g["f"] * state[1], g["i"], g["g"])   # c_t = f_t * c_{t-1} + i_t * g_t
        return g["o"] * torch.tanh(c), c                       # h_t = o_t * tanh(c_t)


CELLS = {"rnn": RNNCell, "simple_gru": SimplifiedGRUCell, "gru": GRUCell, "lstm": LSTMCell}


def make_cell(kind: str, input_size: int, hidden_size: int) -> RecurrentCell:
    """``make_cell("lstm", 8, 16)``: a fresh cell of the named kind."""
    if kind not in CELLS:
        raise ValueError(f"cell kind must be one of {sorted(CELLS)}, got {kind!r}")
    return CELLS[kind](input_size, hidden_size)
