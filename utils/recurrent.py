"""Every recurrent core of the course: the course's cells unrolled over time, run in both
directions, stacked; the fast stack of torch.nn layers; one ``make_core`` to build any of
them. Shapes are batch-first: inputs (B, T, D).

    Unrolled(cell)              one cell over time, (B, T, D) -> (B, T, J)
    Bidirectional(fwd, bwd)     both directions, outputs [fwd ; bwd], (B, T, 2J)
    RecurrentNet(kind, D, J, num_layers, bidirectional, residual)   the course's stack
    ResidualStack(kind, D, J, num_layers, residual, bidirectional)  one torch.nn module per
                                layer (PyTorch's C++ loop), optional residual connections
    make_core(kind, D, J, num_layers, backend, bidirectional, residual)   any of them, also
                                the parallel kinds "mingru", "minlstm", "lru" (a
                                ``utils.parallel.ParallelRNN``, backend "scratch")
    run_core(core, xs, state, lengths)   run any core, torch.nn modules on packed batches
    split_state / join_state    a state in torch layout <-> one state per cell

Every core returns what ``torch.nn.RNN/GRU/LSTM(batch_first=True)`` return: ``output`` of
shape (B, T, dirs*J) from the top layer at every step, and the final state of every
layer, ``h_n`` of shape (layers*dirs, B, J) (a pair (h_n, c_n) for the LSTM), ordered
layer 0 forward, layer 0 backward, layer 1 forward, ... ``RecurrentNet.from_torch(module)``
builds one with a torch module's weights. The torch class of each kind is the cell's
``torch_class`` (``utils.cells.CELLS[kind].torch_class``).

Speed: the time loop computes the input part U x_t + b of every step in one product
(``cell.project``) before it starts, and calls ``cell.recur`` at each step; the arguments
are checked once, at the boundary.

Variable-length batches: every ``forward`` takes ``lengths`` (a 1-D integer tensor, one
length per sequence, 1 <= length <= T) for a right-padded batch, and then computes what a
torch module computes on ``pack_padded_sequence(xs, lengths, batch_first=True)``, unpacked
with ``pad_packed_sequence``: each direction reads only the real steps of each sequence
(the backward direction starts at its last real step), the outputs at padded positions
are zero, and the final state of each sequence is its state after its own last step.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .cells import CELLS, MAX_WEIGHTS, GRUCell, LSTMCell, RecurrentCell, RNNCell
from .validate import expect_choice, expect_flag, expect_positive_int, expect_tensor

TORCH_KINDS = tuple(kind for kind, cell in CELLS.items() if cell.torch_class is not None)
"""The kinds torch.nn has a module for ("rnn", "gru", "lstm"; not the simplified GRU)."""
BACKENDS = ("scratch", "torch")
MAX_LAYERS = 1000
"""Most layers a stack may have: far above any model of the course, far below what would
take minutes to build."""


def check_lengths(lengths, batch_size: int, steps: int) -> torch.Tensor:
    """Validate the lengths of a right-padded batch: a 1-D integer tensor of size B with
    1 <= length <= T. Returns it as int64 (on the CPU, as pack_padded_sequence wants it)."""
    if not isinstance(lengths, torch.Tensor):
        raise TypeError(f"lengths must be a torch.Tensor of integers, one per sequence, got "
                        f"{type(lengths).__name__}")
    if lengths.is_floating_point() or lengths.is_complex() or lengths.dtype == torch.bool:
        raise TypeError(f"lengths must hold integers (the number of real steps of each "
                        f"sequence), got dtype {lengths.dtype}")
    if tuple(lengths.shape) != (batch_size,):
        raise ValueError(f"lengths must have shape ({batch_size},), one length per sequence of "
                         f"the batch, got {tuple(lengths.shape)}")
    lengths = lengths.detach().to("cpu", torch.int64)
    if lengths.numel() and (lengths.min() < 1 or lengths.max() > steps):
        raise ValueError(f"every length must lie between 1 and the padded length T = {steps}, "
                         f"got values from {int(lengths.min())} to {int(lengths.max())}")
    return lengths


def _keep_where(real: torch.Tensor, new, old):
    """The new state where the step is real (real: (B,) bool), the old one at padding."""
    if isinstance(new, tuple):
        return tuple(_keep_where(real, n, o) for n, o in zip(new, old))
    return torch.where(real[:, None], new, old)


class Unrolled(nn.Module):
    """Apply one cell at every step, left to right (or right to left with reverse=True)."""

    def __init__(self, cell: RecurrentCell, reverse: bool = False):
        super().__init__()
        if not isinstance(cell, RecurrentCell):
            raise TypeError(f"cell must be one of the course's cells (utils.cells), got "
                            f"{type(cell).__name__}")
        self.cell, self.reverse = cell, expect_flag(reverse, "reverse")
        self.output_size = cell.hidden_size

    def forward(self, xs: torch.Tensor, state=None, lengths=None):
        """xs: (B, T, D) -> outputs (B, T, J) in input order, final state.

        lengths: None (every sequence has T steps) or (B,) integers for a right-padded batch:
        sequence b is xs[b, :lengths[b]]. Its padded steps are skipped (the state is carried
        through unchanged, so a reversed pass starts at step lengths[b] - 1), their outputs
        are zero, and the final state is the one after the sequence's own last step.
        """
        expect_tensor(xs, "xs", shape=(None, None, self.cell.input_size), floating=True)
        if xs.shape[1] == 0:
            raise ValueError(f"xs must hold at least one time step, got shape {tuple(xs.shape)}")
        if lengths is not None:
            lengths = check_lengths(lengths, xs.shape[0], xs.shape[1]).to(xs.device)
        if state is None:
            state = self.cell.init_state(xs.shape[0], xs.device, xs.dtype)
        self.cell.check_step_inputs(xs[:, 0], state)    # once here, not at every step
        return self._loop(xs, state, lengths)

    def _loop(self, xs: torch.Tensor, state, lengths):
        """The time loop: one product for the inputs of every step, then ``recur`` per step."""
        cell, T = self.cell, xs.shape[1]
        xps = cell.project(xs.transpose(0, 1)).unbind(0)   # (B, T, D) -> T x (B, G*J): U x_t + b
        outputs = [None] * T
        for t in (range(T - 1, -1, -1) if self.reverse else range(T)):
            new = cell.recur(xps[t], state)
            if lengths is None:
                state = new
                outputs[t] = cell.hidden(state)       # stored at t: the reversed pass is re-reversed
            else:
                real = t < lengths                                     # (B,): a real step?
                state = _keep_where(real, new, state)                  # padding: keep the state
                h = cell.hidden(state)                                 # (B, J)
                outputs[t] = torch.where(real[:, None], h, torch.zeros_like(h))
        return torch.stack(outputs, dim=1), state                      # T x (B, J) -> (B, T, J)


class Bidirectional(nn.Module):
    """A forward and a backward pass with separate weights; outputs concatenated [fwd, bwd]."""

    def __init__(self, forward_cell: RecurrentCell, backward_cell: RecurrentCell):
        super().__init__()
        if forward_cell is backward_cell:
            raise ValueError("the backward direction needs its own cell (its own weights); "
                             "pass two different cells")
        for cell in (forward_cell, backward_cell):
            if not isinstance(cell, RecurrentCell):
                raise TypeError(f"both cells must be the course's cells (utils.cells), got "
                                f"{type(cell).__name__}")
        f, b = forward_cell, backward_cell
        if type(f) is not type(b) or (f.input_size, f.hidden_size) != (b.input_size, b.hidden_size):
            raise ValueError(f"both directions need the same kind and sizes of cell, got {f!r} and {b!r}")
        self.forward_pass = Unrolled(forward_cell)
        self.backward_pass = Unrolled(backward_cell, reverse=True)
        self.output_size = forward_cell.hidden_size + backward_cell.hidden_size

    def forward(self, xs: torch.Tensor, state=None, lengths=None):
        """xs: (B, T, D) -> outputs (B, T, 2J), (forward final state, backward final state).

        The backward pass's final state is its state after reading x_0. With lengths (B,)
        for a right-padded batch, the forward final state is the one at step lengths - 1 and
        the backward pass starts there (see ``Unrolled``); padded outputs are zero.
        """
        fwd_state, bwd_state = (None, None) if state is None else state
        out_f, fwd_state = self.forward_pass(xs, fwd_state, lengths)
        out_b, bwd_state = self.backward_pass(xs, bwd_state, lengths)
        return torch.cat([out_f, out_b], dim=-1), (fwd_state, bwd_state)


# --- states in torch layout ------------------------------------------------------------------
def split_state(state, num_layers: int, is_lstm: bool = False, batch_size: int | None = None,
                hidden_size: int | None = None) -> list:
    """A state in torch layout, (N, B, J) (a pair (h, c) of them for the LSTM), checked and
    split into one state per cell: a list of N (B, J) tensors (of pairs for the LSTM).

    num_layers: N, the number of rows (layers * directions). batch_size, hidden_size: B and
    J when they must match (None: any).
    """
    num_layers, is_lstm = expect_positive_int(num_layers, "num_layers"), expect_flag(is_lstm, "is_lstm")
    if is_lstm and not (isinstance(state, (tuple, list)) and len(state) == 2):
        raise TypeError(f"an LSTM state must be a pair (h_0, c_0), each ({num_layers}, B, J), "
                        f"got {type(state).__name__}")
    parts = list(state) if is_lstm else [state]
    for name, part in zip(("h_0", "c_0"), parts):
        expect_tensor(part, name, shape=(num_layers, batch_size, hidden_size), floating=True)
    if is_lstm and state[0].shape != state[1].shape:
        raise ValueError(f"h_0 and c_0 must have the same shape, got {tuple(state[0].shape)} and "
                         f"{tuple(state[1].shape)}")
    if is_lstm:
        return list(zip(state[0].unbind(0), state[1].unbind(0)))
    return list(state.unbind(0))


def join_state(states: list, is_lstm: bool):
    """The reverse of ``split_state``: one state per cell -> torch layout (N, B, J) [pair]."""
    if expect_flag(is_lstm, "is_lstm") and not all(isinstance(s, (tuple, list)) and len(s) == 2
                                                   for s in states):
        raise TypeError("an LSTM's states must be pairs (h, c) of (B, J) tensors")
    if not isinstance(states, (list, tuple)) or not states:
        raise ValueError(f"states must be a non-empty list, one state per cell, got {states!r}")
    hs = [s[0] for s in states] if is_lstm else list(states)
    for k, h in enumerate(hs):
        expect_tensor(h, f"states[{k}]", shape=tuple(hs[0].shape), floating=True)
    if is_lstm:
        return torch.stack([s[0] for s in states]), torch.stack([s[1] for s in states])
    return torch.stack(states)


class _Stack(nn.Module):
    """What both stacks record: the kind, the sizes, the flags and the state layout."""

    def __init__(self, kind: str, kinds: tuple, input_size: int, hidden_size: int,
                 num_layers: int, bidirectional: bool, residual: bool):
        super().__init__()
        self.kind = expect_choice(kind, "kind", kinds)
        self.input_size = expect_positive_int(input_size, "input_size")
        self.hidden_size = expect_positive_int(hidden_size, "hidden_size")
        self.num_layers = expect_positive_int(num_layers, "num_layers", most=MAX_LAYERS)
        self.bidirectional = expect_flag(bidirectional, "bidirectional")
        self.residual = expect_flag(residual, "residual")
        self.num_directions = 2 if bidirectional else 1

    @property
    def is_lstm(self) -> bool:
        return self.kind == "lstm"

    def init_state(self, batch_size: int, device=None, dtype=None):
        """The all-zeros state in torch layout, (L*dirs, B, J) (a pair for the LSTM)."""
        batch_size = expect_positive_int(batch_size, "batch_size")
        n = self.num_layers * self.num_directions
        if n * batch_size * self.hidden_size > MAX_WEIGHTS:
            raise ValueError(f"a state of {n} x {batch_size:,} x {self.hidden_size} is more than "
                             f"the {MAX_WEIGHTS:,} numbers a state may hold")
        p = next(self.parameters())
        h = torch.zeros(n, batch_size, self.hidden_size,
                        device=device or p.device, dtype=dtype or p.dtype)
        return (h, torch.zeros_like(h)) if self.is_lstm else h

    def _cell_states(self, state, batch_size: int) -> list:
        """This stack's state in torch layout -> one (B, J) state per layer and direction."""
        return split_state(state, self.num_layers * self.num_directions, self.is_lstm,
                           batch_size, self.hidden_size)


class RecurrentNet(_Stack):
    """Stacked, optionally bidirectional RNN/GRU/LSTM built from the course's cells.

    kind: a key of ``utils.cells.CELLS``. With residual=True, every layer after the first
    adds its input to its output (the sizes match there), as in deep stacked RNNs.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, residual: bool = False):
        super().__init__(kind, tuple(CELLS), input_size, hidden_size, num_layers, bidirectional,
                         residual)
        self.layers = nn.ModuleList()
        size = input_size
        for _ in range(num_layers):
            make = lambda: CELLS[kind](size, hidden_size)  # noqa: E731
            self.layers.append(Bidirectional(make(), make()) if bidirectional else Unrolled(make()))
            size = hidden_size * self.num_directions
        self.output_size = size

    def cells(self) -> list[RecurrentCell]:
        """All cells, ordered as PyTorch orders its layers: l0, l0_reverse, l1, ..."""
        out = []
        for layer in self.layers:
            out += [layer.forward_pass.cell, layer.backward_pass.cell] if self.bidirectional else [layer.cell]
        return out

    def forward(self, xs: torch.Tensor, state=None, lengths=None):
        """xs: (B, T, D) -> output (B, T, dirs*J), final state in torch layout. Layer by layer.

        lengths: None, or (B,) integers for a right-padded batch: the result equals the torch
        module's on ``pack_padded_sequence(xs, lengths, batch_first=True,
        enforce_sorted=False)``, with the output unpacked by ``pad_packed_sequence`` (zeros
        at padded steps) and h_n the state after each sequence's own last step.
        """
        expect_tensor(xs, "xs", shape=(None, None, self.input_size), floating=True)
        if lengths is not None:
            lengths = check_lengths(lengths, xs.shape[0], xs.shape[1])
        if state is None:
            state = self.init_state(xs.shape[0], xs.device, xs.dtype)
        states = self._cell_states(state, xs.shape[0])
        finals, d = [], self.num_directions
        for l, layer in enumerate(self.layers):
            layer_state = states[l] if d == 1 else (states[2 * l], states[2 * l + 1])
            out, final = layer(xs, layer_state, lengths)               # (B, T, dirs*J)
            finals += [final] if d == 1 else list(final)
            xs = out + xs if (self.residual and l > 0) else out
        return xs, join_state(finals, self.is_lstm)                    # (L*dirs, B, J)

    def step(self, x_t: torch.Tensor, state=None):
        """One time step through every layer: x_t (B, D) -> (top h (B, J), new state).

        This is how a generator runs: it never re-reads the prefix, it carries the state.
        """
        if self.bidirectional:
            raise ValueError("a bidirectional network cannot run one step at a time: its "
                             "backward direction starts from the END of the sequence, which a "
                             "generator has not produced yet")
        expect_tensor(x_t, "x_t", shape=(None, self.input_size), floating=True)
        if state is None:
            state = self.init_state(x_t.shape[0], x_t.device, x_t.dtype)
        states = self._cell_states(state, x_t.shape[0])
        new_states, inp = [], x_t
        for l, cell in enumerate(self.cells()):
            new = cell.step(inp, states[l])
            new_states.append(new)
            inp = cell.hidden(new) + inp if (self.residual and l > 0) else cell.hidden(new)
        return inp, join_state(new_states, self.is_lstm)

    @classmethod
    def from_torch(cls, module: nn.Module) -> "RecurrentNet":
        """A RecurrentNet computing exactly what ``module`` (nn.RNN, nn.GRU or nn.LSTM) does.

        The module must be batch_first (ours always is), use tanh, and have no projection.
        """
        kind = torch_kind(module)
        p = next(module.parameters())
        net = cls(kind, module.input_size, module.hidden_size, module.num_layers,
                  module.bidirectional).to(device=p.device, dtype=p.dtype)
        d = net.num_directions
        for k, cell in enumerate(net.cells()):
            cell.load_torch_weights(module, layer=k // d, reverse=bool(k % d))
        return net


# --- torch.nn modules ---------------------------------------------------------------------------
def torch_kind(module: nn.Module, mirrored: bool = True) -> str:
    """The kind ("rnn", "gru", "lstm") of a batch-first torch.nn.RNN/GRU/LSTM.

    mirrored=True (copying its weights into the course's cells): it must also use tanh and
    no projection, as the cells do. Raises TypeError/ValueError otherwise."""
    kinds = [kind for kind in TORCH_KINDS if type(module) is CELLS[kind].torch_class]
    if not kinds:
        raise TypeError(f"expected torch.nn.RNN, GRU or LSTM, got {type(module).__name__}")
    if not module.batch_first:
        raise ValueError("build the torch module with batch_first=True: the course's "
                         "networks take (B, T, D) inputs")
    if not mirrored:
        return kinds[0]
    if getattr(module, "nonlinearity", "tanh") != "tanh":
        raise ValueError("only nonlinearity='tanh' is supported (the course's RNN cell uses tanh)")
    if getattr(module, "proj_size", 0):
        raise ValueError("LSTMs with proj_size > 0 are not supported")
    return kinds[0]


def run_core(core: nn.Module, xs: torch.Tensor, state=None, lengths=None):
    """Run any core of this module on xs (B, T, D): -> (output (B, T, dirs*J), final state).

    A torch.nn.RNN/GRU/LSTM given ``lengths`` reads the packed batch
    (``pack_padded_sequence``), so that every core treats a right-padded batch alike.
    """
    from .parallel import ParallelRNN     # here, not at the top: utils.parallel builds on this module
    if isinstance(core, (RecurrentNet, ResidualStack, Unrolled, Bidirectional, ParallelRNN)):
        return core(xs, state, lengths)
    kind = torch_kind(core, mirrored=False)
    expect_tensor(xs, "xs", shape=(None, None, core.input_size), floating=True)
    if xs.shape[0] == 0 or xs.shape[1] == 0:
        raise ValueError(f"xs must hold at least one sequence of at least one step, got shape "
                         f"{tuple(xs.shape)}")
    if state is not None:
        split_state(state, core.num_layers * (2 if core.bidirectional else 1), kind == "lstm",
                    xs.shape[0], core.hidden_size)
    if lengths is None:
        return core(xs, state)
    lengths = check_lengths(lengths, xs.shape[0], xs.shape[1])
    packed = pack_padded_sequence(xs, lengths, batch_first=True, enforce_sorted=False)
    out, final = core(packed, state)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=xs.shape[1])
    return out, final                                                  # (B, T, dirs*J)


class ResidualStack(_Stack):
    """A stack of single-layer ``torch.nn.RNN/GRU/LSTM`` modules (batch-first), one per layer,
    with residual connections around every layer after the first when residual=True.

    With residual=False it computes exactly what ``torch.nn.LSTM(num_layers=L)`` computes; with
    residual=True, what ``RecurrentNet(kind, ..., residual=True)`` computes. Inputs (B, T, D);
    outputs (B, T, dirs*J); states in PyTorch's layout (L*dirs, B, J), a pair for the LSTM.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, num_layers: int = 2,
                 residual: bool = False, bidirectional: bool = False):
        super().__init__(kind, TORCH_KINDS, input_size, hidden_size, num_layers, bidirectional,
                         residual)
        self.output_size = hidden_size * self.num_directions
        sizes = [input_size] + [self.output_size] * (num_layers - 1)
        self.layers = nn.ModuleList(
            CELLS[kind].torch_class(size, hidden_size, batch_first=True, bidirectional=bidirectional)
            for size in sizes)

    def _layer_states(self, state, batch_size: int) -> list:
        """torch layout (L*dirs, B, J) [pair for LSTM] -> one state per layer, (dirs, B, J)."""
        if state is None:
            return [None] * self.num_layers
        d, states = self.num_directions, self._cell_states(state, batch_size)
        return [join_state(states[l * d:(l + 1) * d], self.is_lstm) for l in range(self.num_layers)]

    def forward_layers(self, xs: torch.Tensor, state=None, lengths=None):
        """xs (B, T, D) -> (passed_up, final state): passed_up[k] (B, T, dirs*J) is what the
        (k+1)-th layer passes up (its output, plus its input with a residual connection), the
        input x^[k+2] of the layer above it; passed_up[-1] is the stack's output. lengths: as
        for ``RecurrentNet`` (each layer reads the packed batch)."""
        expect_tensor(xs, "xs", shape=(None, None, self.input_size), floating=True)
        if xs.shape[1] == 0:
            raise ValueError(f"xs must hold at least one time step, got shape {tuple(xs.shape)}")
        passed_up, finals = [], []
        for l, (layer, layer_state) in enumerate(zip(self.layers, self._layer_states(state, xs.shape[0]))):
            out, final = run_core(layer, xs, layer_state, lengths)    # (B, T, dirs*J)
            xs = out + xs if (self.residual and l > 0) else out
            passed_up.append(xs)
            finals.append(final)
        if self.is_lstm:
            return passed_up, (torch.cat([f[0] for f in finals]), torch.cat([f[1] for f in finals]))
        return passed_up, torch.cat(finals)                            # (L*dirs, B, J)

    def forward(self, xs: torch.Tensor, state=None, lengths=None):
        """xs (B, T, D) -> output (B, T, dirs*J) of the top layer, final state of every layer."""
        passed_up, final = self.forward_layers(xs, state, lengths)
        return passed_up[-1], final

    def to_recurrent_net(self) -> RecurrentNet:
        """The course's ``RecurrentNet`` (python loop, from-scratch cells) with these weights."""
        p = next(self.parameters())
        net = RecurrentNet(self.kind, self.input_size, self.hidden_size, self.num_layers,
                           bidirectional=self.bidirectional, residual=self.residual)
        net = net.to(device=p.device, dtype=p.dtype)
        d = self.num_directions
        for k, cell in enumerate(net.cells()):
            cell.load_torch_weights(self.layers[k // d], layer=0, reverse=bool(k % d))
        return net

    @classmethod
    @torch.no_grad()
    def from_torch(cls, module: nn.Module, residual: bool = False) -> "ResidualStack":
        """Split a multi-layer ``torch.nn.RNN/GRU/LSTM`` (batch_first) into one module per
        layer, weights copied; residual=True adds residual connections it did not have."""
        kind = torch_kind(module)
        if not module.bias:
            raise ValueError("only modules with biases (bias=True) can be split into a ResidualStack")
        p = next(module.parameters())
        stack = cls(kind, module.input_size, module.hidden_size, module.num_layers,
                    residual=residual, bidirectional=module.bidirectional).to(p.device, p.dtype)
        for l, layer in enumerate(stack.layers):
            for name, target in layer.named_parameters():     # weight_ih_l0[_reverse] ...
                target.copy_(getattr(module, name.replace("_l0", f"_l{l}")))
        return stack


def make_core(kind: str, input_size: int, hidden_size: int, num_layers: int = 1,
              backend: str = "torch", bidirectional: bool = False, residual: bool = False) -> nn.Module:
    """The recurrent core of a model, batch-first, every backend computing the same function:

    backend="scratch": the course's ``RecurrentNet`` (any kind of ``utils.cells.CELLS``), or
    for the parallel kinds "mingru", "minlstm", "lru" a ``utils.parallel.ParallelRNN``
    (one direction, no residual connections, scratch only: torch.nn has no such module);
    backend="torch": the kind's ``torch_class`` (nn.RNN/GRU/LSTM) with residual=False, a
    ``ResidualStack`` of them with residual=True (a residual connection around every layer
    after the first).
    """
    from .parallel import KINDS as PARALLEL_KINDS   # here, not at the top: parallel builds on this module
    kind = expect_choice(kind, "kind", tuple(CELLS) + PARALLEL_KINDS)
    backend = expect_choice(backend, "backend", BACKENDS)
    bidirectional = expect_flag(bidirectional, "bidirectional")
    residual = expect_flag(residual, "residual")
    if kind in PARALLEL_KINDS:
        return _parallel_core(kind, input_size, hidden_size, num_layers, backend,
                              bidirectional, residual)
    if backend == "scratch":
        return RecurrentNet(kind, input_size, hidden_size, num_layers, bidirectional, residual)
    if CELLS[kind].torch_class is None:
        raise ValueError(f"torch.nn has no {kind!r} module: use backend='scratch' for it")
    if residual:
        return ResidualStack(kind, input_size, hidden_size, num_layers, residual, bidirectional)
    CELLS[kind].expect_sizes(input_size, hidden_size)
    return CELLS[kind].torch_class(input_size, hidden_size,
                                   expect_positive_int(num_layers, "num_layers", most=MAX_LAYERS),
                                   batch_first=True, bidirectional=bidirectional)


def _parallel_core(kind, input_size, hidden_size, num_layers, backend, bidirectional, residual):
    """A ParallelRNN for make_core, refusing what it cannot be: a torch module, a backward
    direction, residual connections."""
    from .parallel import ParallelRNN
    if backend == "torch":
        raise ValueError(f"torch.nn has no {kind!r} module: use backend='scratch' for it "
                         f"(utils.parallel.ParallelRNN)")
    if bidirectional:
        raise ValueError(f"the {kind!r} core (utils.parallel.ParallelRNN) runs in one direction: "
                         f"use bidirectional=False")
    if residual:
        raise ValueError(f"the {kind!r} core (utils.parallel.ParallelRNN) has no residual "
                         f"connections: use residual=False")
    return ParallelRNN(kind, input_size, hidden_size, num_layers)


__all__ = ["TORCH_KINDS", "BACKENDS", "check_lengths", "split_state", "join_state", "Unrolled",
           "Bidirectional", "RecurrentNet", "ResidualStack", "make_core", "run_core",
           "torch_kind", "RNNCell", "GRUCell", "LSTMCell"]
