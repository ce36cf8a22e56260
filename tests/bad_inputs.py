"""A catalogue of bad inputs to the public API of ``utils`` (everything the notebooks import).

Every entry is one (function, bad input) pair, in one class of mistake (``CLASSES``). Each
must raise ValueError or TypeError from a ``raise`` statement inside ``utils/``: an error
from deep inside torch or numpy (or a TypeError from a builtin that utils happened to call)
is "other", a result without an error is "none". Both count as failures.

    python tests/bad_inputs.py          # the table: class, tried, clear, other, none
    python tests/bad_inputs.py -v       # ... and every failure, with what happened

``tests/test_utils_errors.py`` runs every entry under pytest. Entries that need a GPU
(device mismatch) are skipped without CUDA. Sizes are small and every call runs under a
time limit, so an entry that would allocate or loop for minutes fails instead of hanging.
Some entries also give ``match``, a pattern the message must match (the wording matters).

To add a case: one line in the section of its module, ``(CLASS, "what is given", call)``.
"""
from __future__ import annotations

import ast
import functools
import signal
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from utils import (baselines, cells, checkpoints, claims, data, diagrams, environment,  # noqa: E402
                   explore, gates, gradients, models, numpy_rnn, plotting, recurrent,
                   sampling, selfcheck, stacking, tagging, tasks, training)

UTILS = ROOT / "utils"

TYPE = "wrong type"
RANK = "wrong rank"
SIZE = "wrong size"
DTYPE = "wrong dtype"
EMPTY = "empty input"
NONFINITE = "NaN or inf"
IDS = "out-of-range ids"
ABSURD = "absurd hyper-parameter"
CLASH = "inconsistent arguments"
DEVICE = "device mismatch"
CLASSES = (TYPE, RANK, SIZE, DTYPE, EMPTY, NONFINITE, IDS, ABSURD, CLASH, DEVICE)

TIME_LIMIT_S = 30      # a bad input must fail fast: 100x longer than any entry needs, busy CI included
MEMORY_LIMIT_BYTES = 3 * 2**30   # more address space than any entry needs (beyond the start)


@dataclass(frozen=True)
class Bad:
    kind: str                      # one of CLASSES
    function: str                  # e.g. "numpy_rnn.softmax"
    given: str                     # what is wrong with the input, in words
    call: Callable[[], object]
    match: str | None = None       # a regex the message must match, where the wording matters

    @property
    def id(self) -> str:
        return f"{self.function}: {self.given}"

    @property
    def needs_cuda(self) -> bool:
        return self.kind == DEVICE


CATALOGUE: list[Bad] = []


def add(function: str, cases) -> None:
    """Register (kind, given, call) or (kind, given, call, match) entries of one function."""
    for case in cases:
        kind, given, call, *match = case
        assert kind in CLASSES, kind
        CATALOGUE.append(Bad(kind, function, given, call, *match))


# --- running an entry -------------------------------------------------------------------------
class Hang(BaseException):
    """Raised by the timer when an entry runs past TIME_LIMIT_S (not an Exception, so that no
    ``except Exception`` inside utils swallows it)."""


@contextmanager
def time_limit(seconds: float):
    if not hasattr(signal, "setitimer"):
        yield
        return

    def stop(signum, frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def memory_limit(extra_bytes: int):
    """Cap the process's address space at its current size + extra_bytes, so that an entry
    that asks for terabytes gets a MemoryError instead of the machine's OOM killer."""
    try:
        import resource
        size = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (size + extra_bytes, hard))
    except (ImportError, OSError, ValueError):
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@functools.lru_cache(maxsize=None)
def _raise_lines(filename: str) -> frozenset:
    """Every line that belongs to a ``raise`` statement of the file."""
    tree = ast.parse(Path(filename).read_text(encoding="utf-8"))
    return frozenset(line for node in ast.walk(tree) if isinstance(node, ast.Raise)
                     for line in range(node.lineno, node.end_lineno + 1))


def raised_at(error: BaseException) -> tuple[str, int]:
    """(file, line) of the innermost Python frame of the error's traceback."""
    tb = error.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_filename, tb.tb_lineno


def raised_by_utils(error: BaseException) -> bool:
    """True when a ``raise`` statement in a file under utils/ raised the error."""
    filename, line = raised_at(error)
    path = Path(filename).resolve()
    return UTILS in path.parents and line in _raise_lines(str(path))


@dataclass(frozen=True)
class Outcome:
    result: str      # "clear", "other" or "none"
    detail: str


def run(entry: Bad) -> Outcome:
    """Call the entry and sort what happened into clear / other / none."""
    import re

    plt.close("all")
    try:
        with time_limit(TIME_LIMIT_S), memory_limit(MEMORY_LIMIT_BYTES):
            value = entry.call()
    except (ValueError, TypeError) as error:
        text = f"{type(error).__name__}: {error}"
        filename, line = raised_at(error)
        where = f"{Path(filename).name}:{line}"
        if not raised_by_utils(error):
            return Outcome("other", f"{text} (raised at {where}, not by a raise in utils)")
        if entry.match and not re.search(entry.match, str(error)):
            return Outcome("other", f"{text} (message does not match {entry.match!r})")
        return Outcome("clear", text)
    except Hang as error:
        return Outcome("other", f"hang: {error}")
    except Exception as error:  # noqa: BLE001: every other exception is what we look for
        filename, line = raised_at(error)
        return Outcome("other", f"{type(error).__name__}: {str(error)[:300]} "
                                f"(at {Path(filename).name}:{line})")
    finally:
        plt.close("all")
    try:
        shown = repr(value)
    except Exception as error:  # noqa: BLE001: a half-built object may not print
        shown = f"<{type(value).__name__}: repr failed with {type(error).__name__}>"
    return Outcome("none", "returned " + (shown[:200] + "..." if len(shown) > 200 else shown))


# --- small inputs shared by the entries --------------------------------------------------------
D, J, B, T = 4, 6, 2, 3
VOCAB = data.Vocab(list("abcde"))          # 9 tokens: 4 specials + 5 letters
K = len(VOCAB)
NAN, INF = float("nan"), float("inf")
CUDA = torch.cuda.is_available()


def xs(*shape, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0)).to(dtype)


def ids(*shape, high=K):
    return torch.randint(high, shape, generator=torch.Generator().manual_seed(0))


def with_nan(t, value=NAN):
    t = t.clone()
    t.view(-1)[0] = value
    return t


def lm(**kw):
    return models.CharLM(K, **{"hidden_size": 8, "cell": "gru", **kw})


def classifier(**kw):
    return models.SequenceClassifier(K, 3, **{"hidden_size": 8, "embedding_dim": 4, **kw})


def tagger(**kw):
    return models.SequenceTagger(K, 2, **{"hidden_size": 8, "embedding_dim": 4, **kw})


def np_params(dtype=np.float64):
    params = numpy_rnn.init_params(D, J, 5, np.random.default_rng(0))
    return {k: v.astype(dtype) for k, v in params.items()}


def np_seq(T_=T):
    rng = np.random.default_rng(1)
    return rng.normal(size=(T_, D)), rng.integers(0, 5, size=T_), np.zeros(J)


def np_step_args():
    p = np_params()
    return np.zeros(D), np.zeros(J), p["U"], p["W"], p["b"]


def with_grads(*shapes):
    """Tensors with .grad set (for the clipping functions)."""
    out = []
    for i, shape in enumerate(shapes):
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        p = torch.zeros(shape, requires_grad=True)
        p.grad = torch.full(shape, float(i + 1))
        out.append(p)
    return out


def lm_batch(b=B, t=T):
    return ids(b, t), ids(b, t)


def axes():
    return plt.subplots()[1]


def history(n=5):
    h = training.History()
    h.steps, h.loss = list(range(1, n + 1)), [1.0] * n
    return h


def cell(kind="gru", **kw):
    return cells.make_cell(kind, D, J, **kw)


def net(kind="gru", **kw):
    return recurrent.RecurrentNet(kind, D, J, **kw)


def tmp_path(name="model.pt") -> Path:
    return Path(tempfile.mkdtemp(prefix="bad_inputs_")) / name


def saved_checkpoint(**changes) -> Path:
    """A small checkpoint file; ``changes`` edits the stored record (keeping its checksum
    unless ``rechecksum``)."""
    rechecksum = changes.pop("rechecksum", False)
    path = checkpoints.save_checkpoint(tmp_path(), lm(), VOCAB, {"lr": 0.01}, seed=0, val_loss=1.5)
    if changes:
        record = torch.load(path, weights_only=True)
        for key, edit in changes.items():
            record[key] = edit(record[key]) if callable(edit) else edit
        if rechecksum:
            record["checksum"] = checkpoints.checksum(record["state_dict"], record["vocab"])
        torch.save(record, path)
    return path


def nan_weights(state: dict) -> dict:
    state = dict(state)
    name = next(k for k, v in state.items() if v.is_floating_point())
    state[name] = with_nan(state[name])
    return state


def infinite_values():
    """A generator that never ends (an iterator where a finite list was meant)."""
    i = 0
    while True:
        yield i
        i += 1


# ==============================================================================================
# numpy_rnn
# ==============================================================================================
add("numpy_rnn.init_params", [
    (ABSURD, "D = 0", lambda: numpy_rnn.init_params(0, J, 5, np.random.default_rng(0)),
     r"D must be a positive integer, got 0"),
    (TYPE, "J = 2.5", lambda: numpy_rnn.init_params(D, 2.5, 5, np.random.default_rng(0))),
    (TYPE, "K = True", lambda: numpy_rnn.init_params(D, J, True, np.random.default_rng(0))),
    (ABSURD, "J = 10**6 (a 10**12-entry W)", lambda: numpy_rnn.init_params(D, 10**6, 5, np.random.default_rng(0))),
    (NONFINITE, "scale = nan", lambda: numpy_rnn.init_params(D, J, 5, np.random.default_rng(0), scale=NAN)),
    (NONFINITE, "scale = inf", lambda: numpy_rnn.init_params(D, J, 5, np.random.default_rng(0), scale=INF)),
    (ABSURD, "scale = 0", lambda: numpy_rnn.init_params(D, J, 5, np.random.default_rng(0), scale=0)),
    (TYPE, "rng = 0", lambda: numpy_rnn.init_params(D, J, 5, 0), r"rng must be a numpy Generator.*got int"),
    (TYPE, "rng = legacy RandomState", lambda: numpy_rnn.init_params(D, J, 5, np.random.RandomState(0))),
])
add("numpy_rnn.check_params", [
    (TYPE, "a list instead of a dict", lambda: numpy_rnn.check_params([np_params()["U"]])),
    (CLASH, "missing 'W'", lambda: numpy_rnn.check_params({k: v for k, v in np_params().items() if k != "W"})),
    (CLASH, "old name 'c' for b_y", lambda: numpy_rnn.check_params(
        {**{k: v for k, v in np_params().items() if k != "b_y"}, "c": np.zeros(5)}), r"'b_y'"),
    (RANK, "U 1-D", lambda: numpy_rnn.check_params({**np_params(), "U": np.zeros(J)})),
    (SIZE, "W (J, J+1)", lambda: numpy_rnn.check_params({**np_params(), "W": np.zeros((J, J + 1))})),
    (DTYPE, "b of ints", lambda: numpy_rnn.check_params({**np_params(), "b": np.zeros(J, int)})),
    (TYPE, "V a list", lambda: numpy_rnn.check_params({**np_params(), "V": [[0.0] * J] * 5})),
    (SIZE, "b_y (6,) for K = 5", lambda: numpy_rnn.check_params({**np_params(), "b_y": np.zeros(6)})),
    (NONFINITE, "W holds NaN", lambda: numpy_rnn.check_params({**np_params(), "W": np.full((J, J), NAN)})),
])
add("numpy_rnn.softmax", [
    (TYPE, "a list", lambda: numpy_rnn.softmax([1.0, 2.0])),
    (TYPE, "a torch tensor", lambda: numpy_rnn.softmax(torch.zeros(3))),
    (DTYPE, "ints", lambda: numpy_rnn.softmax(np.arange(3))),
    (RANK, "0-D", lambda: numpy_rnn.softmax(np.array(1.0))),
    (EMPTY, "no scores in a row", lambda: numpy_rnn.softmax(np.zeros((2, 0)))),
    (NONFINITE, "NaN score", lambda: numpy_rnn.softmax(np.array([0.0, NAN]))),
    (NONFINITE, "+inf score", lambda: numpy_rnn.softmax(np.array([0.0, INF]))),
    (NONFINITE, "a row of -inf", lambda: numpy_rnn.softmax(np.array([-INF, -INF]))),
])
add("numpy_rnn.rnn_step", [
    (RANK, "x_t 2-D", lambda: numpy_rnn.rnn_step(np.zeros((1, D)), *np_step_args()[1:])),
    (SIZE, "x_t of D+1", lambda: numpy_rnn.rnn_step(np.zeros(D + 1), *np_step_args()[1:]),
     r"U must have shape \(6, 5\).*x_t \(5,\).*got \(6, 4\)"),
    (SIZE, "h_prev of J+1", lambda: numpy_rnn.rnn_step(np.zeros(D), np.zeros(J + 1), *np_step_args()[2:])),
    (SIZE, "W not square", lambda: numpy_rnn.rnn_step(*np_step_args()[:3], np.zeros((J, J + 1)), np.zeros(J))),
    (SIZE, "b of J-1", lambda: numpy_rnn.rnn_step(*np_step_args()[:4], np.zeros(J - 1))),
    (DTYPE, "x_t of ints", lambda: numpy_rnn.rnn_step(np.zeros(D, int), *np_step_args()[1:])),
    (TYPE, "x_t a torch tensor", lambda: numpy_rnn.rnn_step(torch.zeros(D), *np_step_args()[1:])),
    (TYPE, "x_t a list", lambda: numpy_rnn.rnn_step([0.0] * D, *np_step_args()[1:])),
])
add("numpy_rnn.rnn_forward", [
    (RANK, "xs 3-D", lambda: numpy_rnn.rnn_forward(np.zeros((1, T, D)), np.zeros(J), np_params()),
     r"xs must have shape \(\*, 4\), got \(1, 3, 4\)"),
    (RANK, "xs 1-D", lambda: numpy_rnn.rnn_forward(np.zeros(D), np.zeros(J), np_params())),
    (TYPE, "xs a list", lambda: numpy_rnn.rnn_forward([[0.0] * D], np.zeros(J), np_params()),
     r"xs must be a numpy array, got list"),
    (SIZE, "h0 of J+1", lambda: numpy_rnn.rnn_forward(np.zeros((T, D)), np.zeros(J + 1), np_params()),
     r"h0 must have shape \(6,\), got \(7,\)"),
    (RANK, "h0 (1, J)", lambda: numpy_rnn.rnn_forward(np.zeros((T, D)), np.zeros((1, J)), np_params())),
    (EMPTY, "no time steps", lambda: numpy_rnn.rnn_forward(np.zeros((0, D)), np.zeros(J), np_params())),
    (DTYPE, "xs of ints", lambda: numpy_rnn.rnn_forward(np.zeros((T, D), int), np.zeros(J), np_params())),
    (CLASH, "params missing V", lambda: numpy_rnn.rnn_forward(
        np.zeros((T, D)), np.zeros(J), {k: v for k, v in np_params().items() if k != "V"})),
    (TYPE, "params None", lambda: numpy_rnn.rnn_forward(np.zeros((T, D)), np.zeros(J), None)),
])
add("numpy_rnn.cross_entropy", [
    (DTYPE, "float targets", lambda: numpy_rnn.cross_entropy(np.full((2, 3), 1 / 3), np.array([0.0, 1.0])),
     r"targets must hold integer class ids, got dtype float64"),
    (IDS, "target = K", lambda: numpy_rnn.cross_entropy(np.full((2, 3), 1 / 3), np.array([0, 3])),
     r"targets must lie in \[0, 3\), got values from 0 to 3"),
    (IDS, "negative target", lambda: numpy_rnn.cross_entropy(np.full((2, 3), 1 / 3), np.array([-1, 0]))),
    (SIZE, "one target for two steps", lambda: numpy_rnn.cross_entropy(np.full((2, 3), 1 / 3), np.array([0]))),
    (RANK, "targets 2-D", lambda: numpy_rnn.cross_entropy(np.full((2, 3), 1 / 3), np.array([[0], [1]]))),
    (RANK, "probs 1-D", lambda: numpy_rnn.cross_entropy(np.full(3, 1 / 3), np.array([0]))),
    (CLASH, "scores instead of probabilities", lambda: numpy_rnn.cross_entropy(np.full((2, 3), 5.0), np.array([0, 1])),
     r"probs must hold probabilities.*row sums from 15 to 15"),
    (TYPE, "probs a list", lambda: numpy_rnn.cross_entropy([[0.5, 0.5]], np.array([0]))),
    (DTYPE, "targets strings", lambda: numpy_rnn.cross_entropy(np.full((1, 3), 1 / 3), np.array(["a"]))),
    (NONFINITE, "NaN probabilities", lambda: numpy_rnn.cross_entropy(np.full((2, 3), NAN), np.array([0, 1]))),
])
add("numpy_rnn.rnn_step_backward", [
    (RANK, "dh_t (J, 1)", lambda: numpy_rnn.rnn_step_backward(
        np.zeros((J, 1)), np.zeros(D), np.zeros(J), np.zeros(J), *[np_params()[k] for k in "UW"]),
     r"dh_t must have shape \(6,\).*got \(6, 1\)"),
    (SIZE, "h_t of J+1", lambda: numpy_rnn.rnn_step_backward(
        np.zeros(J), np.zeros(D), np.zeros(J), np.zeros(J + 1), *[np_params()[k] for k in "UW"])),
    (SIZE, "x_t of D+1", lambda: numpy_rnn.rnn_step_backward(
        np.zeros(J), np.zeros(D + 1), np.zeros(J), np.zeros(J), *[np_params()[k] for k in "UW"])),
    (DTYPE, "dh_t of ints", lambda: numpy_rnn.rnn_step_backward(
        np.zeros(J, int), np.zeros(D), np.zeros(J), np.zeros(J), *[np_params()[k] for k in "UW"])),
    (TYPE, "dh_t a list", lambda: numpy_rnn.rnn_step_backward(
        [0.0] * J, np.zeros(D), np.zeros(J), np.zeros(J), *[np_params()[k] for k in "UW"])),
    (SIZE, "W transposed U", lambda: numpy_rnn.rnn_step_backward(
        np.zeros(J), np.zeros(D), np.zeros(J), np.zeros(J), np_params()["U"], np_params()["U"])),
])


def _backward(**changes):
    xs_, targets, h0 = np_seq()
    p = np_params()
    hs, probs = numpy_rnn.rnn_forward(xs_, h0, p)
    args = dict(xs=xs_, targets=targets, h0=h0, params=p, hs=hs, probs=probs)
    args.update(changes)
    return numpy_rnn.rnn_backward(**args)


add("numpy_rnn.rnn_backward", [
    (SIZE, "hs of T-1 steps", lambda: _backward(hs=np.zeros((T - 1, J)))),
    (SIZE, "probs of K+1 classes", lambda: _backward(probs=np.full((T, 6), 1 / 6))),
    (IDS, "target = K", lambda: _backward(targets=np.array([0, 1, 5]))),
    (DTYPE, "float targets", lambda: _backward(targets=np.zeros(T))),
    (EMPTY, "no time steps", lambda: _backward(xs=np.zeros((0, D)))),
    (SIZE, "targets of T+1", lambda: _backward(targets=np.zeros(T + 1, int))),
    (TYPE, "hs a list", lambda: _backward(hs=[[0.0] * J] * T)),
])
add("numpy_rnn.loss_and_gradients", [
    (SIZE, "targets of T-1", lambda: numpy_rnn.loss_and_gradients(np_params(), np_seq()[0], np.zeros(T - 1, int), np.zeros(J))),
    (SIZE, "h0 of J-1", lambda: numpy_rnn.loss_and_gradients(np_params(), np_seq()[0], np_seq()[1], np.zeros(J - 1))),
    (IDS, "negative target", lambda: numpy_rnn.loss_and_gradients(np_params(), np_seq()[0], -np.ones(T, int), np.zeros(J))),
    (EMPTY, "params {}", lambda: numpy_rnn.loss_and_gradients({}, *np_seq())),
])
add("numpy_rnn.numerical_gradient", [
    (TYPE, "f not callable", lambda: numpy_rnn.numerical_gradient(1.0, np.zeros(3))),
    (DTYPE, "an integer array", lambda: numpy_rnn.numerical_gradient(lambda: 0.0, np.arange(3)),
     r"array must hold floating-point numbers, got dtype int64"),
    (DTYPE, "a float32 array", lambda: numpy_rnn.numerical_gradient(lambda: 0.0, np.zeros(3, np.float32))),
    (TYPE, "a list", lambda: numpy_rnn.numerical_gradient(lambda: 0.0, [0.0, 1.0])),
    (ABSURD, "eps = 0", lambda: numpy_rnn.numerical_gradient(lambda: 0.0, np.zeros(3), eps=0)),
    (NONFINITE, "eps = nan", lambda: numpy_rnn.numerical_gradient(lambda: 0.0, np.zeros(3), eps=NAN)),
    (NONFINITE, "eps = inf", lambda: numpy_rnn.numerical_gradient(lambda: 0.0, np.zeros(3), eps=INF)),
    (TYPE, "f returns an array of 2", lambda: numpy_rnn.numerical_gradient(lambda: np.zeros(2), np.zeros(3))),
    (TYPE, "f returns a string", lambda: numpy_rnn.numerical_gradient(lambda: "loss", np.zeros(3))),
    (NONFINITE, "f returns NaN", lambda: numpy_rnn.numerical_gradient(lambda: NAN, np.zeros(3))),
    (ABSURD, "an array of 2 * 10**6 entries", lambda: numpy_rnn.numerical_gradient(lambda: 0.0, np.zeros(2 * 10**6))),
])
add("numpy_rnn.relative_error", [
    (SIZE, "(3,) and (3, 1)", lambda: numpy_rnn.relative_error(np.ones(3), np.ones((3, 1))),
     r"a and b must have the same shape, got \(3,\) and \(3, 1\)"),
    (EMPTY, "empty arrays", lambda: numpy_rnn.relative_error(np.zeros(0), np.zeros(0))),
    (NONFINITE, "NaN in a", lambda: numpy_rnn.relative_error(np.array([NAN, 1.0]), np.ones(2))),
    (NONFINITE, "inf in both", lambda: numpy_rnn.relative_error(np.array([INF]), np.array([INF]))),
    (DTYPE, "strings", lambda: numpy_rnn.relative_error(np.array(["a"]), np.array(["a"]))),
    (DTYPE, "booleans", lambda: numpy_rnn.relative_error(np.array([True]), np.array([True]))),
    (DTYPE, "complex", lambda: numpy_rnn.relative_error(np.ones(2, complex), np.ones(2, complex))),
    (TYPE, "a dict", lambda: numpy_rnn.relative_error({"dU": np.ones(2)}, {"dU": np.ones(2)})),
    (SIZE, "a scalar and an array", lambda: numpy_rnn.relative_error(1.0, np.ones(3))),
])


def _gradient_check(dtype=np.float64, **changes):
    xs_, targets, h0 = np_seq()
    args = dict(params=np_params(dtype), xs=xs_, targets=targets, h0=h0.astype(dtype))
    args.update(changes)
    return numpy_rnn.gradient_check(**args)


add("numpy_rnn.gradient_check", [
    (DTYPE, "float32 parameters", lambda: _gradient_check(np.float32),
     r"U must be float64 \(finite differences need float64.*\.astype\(np\.float64\)"),
    (DTYPE, "integer h0", lambda: _gradient_check(h0=np.zeros(J, int))),
    (ABSURD, "eps = 0", lambda: _gradient_check(eps=0.0)),
    (NONFINITE, "eps = inf", lambda: _gradient_check(eps=INF)),
    (SIZE, "xs of D+1", lambda: _gradient_check(xs=np.zeros((T, D + 1)))),
    (IDS, "target = K", lambda: _gradient_check(targets=np.full(T, 5))),
    (CLASH, "params missing b", lambda: _gradient_check(params={k: v for k, v in np_params().items() if k != "b"})),
    (NONFINITE, "NaN in W", lambda: _gradient_check(params={**np_params(), "W": np.full((J, J), NAN)})),
    (TYPE, "params a list", lambda: _gradient_check(params=list(np_params().values()))),
])

# ==============================================================================================
# gradients
# ==============================================================================================
add("gradients.random_rnn_cell", [
    (ABSURD, "hidden_size = 0", lambda: gradients.random_rnn_cell(hidden_size=0)),
    (ABSURD, "input_size = -1", lambda: gradients.random_rnn_cell(input_size=-1)),
    (ABSURD, "hidden_size = 10**6", lambda: gradients.random_rnn_cell(hidden_size=10**6)),
    (ABSURD, "radius = 0", lambda: gradients.random_rnn_cell(radius=0)),
    (NONFINITE, "radius = nan", lambda: gradients.random_rnn_cell(radius=NAN)),
    (NONFINITE, "radius = inf", lambda: gradients.random_rnn_cell(radius=INF)),
    (ABSURD, "activation 'sigmoid'", lambda: gradients.random_rnn_cell(activation="sigmoid")),
    (TYPE, "seed = 1.5", lambda: gradients.random_rnn_cell(seed=1.5)),
    (TYPE, "seed = '0'", lambda: gradients.random_rnn_cell(seed="0")),
    (ABSURD, "seed = -1", lambda: gradients.random_rnn_cell(seed=-1)),
    (ABSURD, "input_scale = 0", lambda: gradients.random_rnn_cell(input_scale=0)),
    (NONFINITE, "input_scale = inf", lambda: gradients.random_rnn_cell(input_scale=INF)),
    (DTYPE, "dtype torch.int64", lambda: gradients.random_rnn_cell(dtype=torch.int64)),
    (TYPE, "dtype 'float64' (a string)", lambda: gradients.random_rnn_cell(dtype="float64")),
])


def rcell():
    return gradients.random_rnn_cell(hidden_size=J, input_size=D)


add("gradients.gradient_norms_over_time", [
    (TYPE, "a torch.nn.RNN", lambda: gradients.gradient_norms_over_time(nn.RNN(D, J), xs(B, T, D))),
    (RANK, "xs 2-D", lambda: gradients.gradient_norms_over_time(rcell(), xs(T, D, dtype=torch.float64))),
    (SIZE, "xs of D+1", lambda: gradients.gradient_norms_over_time(rcell(), xs(B, T, D + 1, dtype=torch.float64))),
    (DTYPE, "xs of ints", lambda: gradients.gradient_norms_over_time(rcell(), torch.ones(B, T, D, dtype=torch.long))),
    (DTYPE, "float32 xs for a float64 cell", lambda: gradients.gradient_norms_over_time(rcell(), xs(B, T, D))),
    (EMPTY, "no sequences", lambda: gradients.gradient_norms_over_time(rcell(), xs(0, T, D, dtype=torch.float64))),
    (EMPTY, "no time steps", lambda: gradients.gradient_norms_over_time(rcell(), xs(B, 0, D, dtype=torch.float64))),
    (SIZE, "readout of J+1", lambda: gradients.gradient_norms_over_time(
        rcell(), xs(B, T, D, dtype=torch.float64), readout=torch.ones(J + 1, dtype=torch.float64))),
    (DTYPE, "readout of ints", lambda: gradients.gradient_norms_over_time(
        rcell(), xs(B, T, D, dtype=torch.float64), readout=torch.ones(J, dtype=torch.long))),
    (CLASH, "state for another batch size", lambda: gradients.gradient_norms_over_time(
        rcell(), xs(B, T, D, dtype=torch.float64), state=torch.zeros(B + 1, J, dtype=torch.float64))),
    (TYPE, "xs a numpy array", lambda: gradients.gradient_norms_over_time(rcell(), np.zeros((B, T, D)))),
    (NONFINITE, "NaN in xs", lambda: gradients.gradient_norms_over_time(rcell(), with_nan(xs(B, T, D, dtype=torch.float64)))),
    (ABSURD, "10**7 time steps", lambda: gradients.gradient_norms_over_time(
        rcell(), torch.zeros(1, 1, D, dtype=torch.float64).expand(1, 10**7, D))),
])
add("gradients.state_sensitivity", [
    (ABSURD, "delta = 0", lambda: gradients.state_sensitivity(rcell(), xs(B, T, D, dtype=torch.float64), delta=0)),
    (NONFINITE, "delta = nan", lambda: gradients.state_sensitivity(rcell(), xs(B, T, D, dtype=torch.float64), delta=NAN)),
    (NONFINITE, "delta = inf", lambda: gradients.state_sensitivity(rcell(), xs(B, T, D, dtype=torch.float64), delta=INF)),
    (RANK, "xs 2-D", lambda: gradients.state_sensitivity(rcell(), xs(T, D, dtype=torch.float64))),
    (TYPE, "cell a torch.nn.GRU", lambda: gradients.state_sensitivity(nn.GRU(D, J), xs(B, T, D))),
    (NONFINITE, "NaN in xs", lambda: gradients.state_sensitivity(rcell(), with_nan(xs(B, T, D, dtype=torch.float64)))),
])
add("gradients.set_spectral_radius", [
    (RANK, "W 1-D", lambda: gradients.set_spectral_radius(torch.ones(3), 0.9)),
    (SIZE, "W not square", lambda: gradients.set_spectral_radius(torch.ones(3, 4), 0.9)),
    (DTYPE, "W of ints", lambda: gradients.set_spectral_radius(torch.ones(3, 3, dtype=torch.long), 0.9)),
    (EMPTY, "W (0, 0)", lambda: gradients.set_spectral_radius(torch.ones(0, 0), 0.9)),
    (NONFINITE, "NaN in W", lambda: gradients.set_spectral_radius(with_nan(torch.eye(3)), 0.9)),
    (ABSURD, "radius = 0", lambda: gradients.set_spectral_radius(torch.eye(3), 0)),
    (ABSURD, "radius = -1", lambda: gradients.set_spectral_radius(torch.eye(3), -1.0)),
    (NONFINITE, "radius = nan", lambda: gradients.set_spectral_radius(torch.eye(3), NAN)),
    (CLASH, "W all zeros (radius 0)", lambda: gradients.set_spectral_radius(torch.zeros(3, 3), 0.9)),
    (TYPE, "W a numpy array", lambda: gradients.set_spectral_radius(np.eye(3), 0.9)),
])
add("gradients.spectral_radius", [
    (SIZE, "W not square", lambda: gradients.spectral_radius(torch.ones(2, 3))),
    (RANK, "W 3-D", lambda: gradients.spectral_radius(torch.ones(2, 2, 2))),
    (NONFINITE, "inf in W", lambda: gradients.spectral_radius(with_nan(torch.eye(2), INF))),
    (TYPE, "W a list", lambda: gradients.spectral_radius([[1.0, 0.0], [0.0, 1.0]])),
])
add("gradients.largest_singular_value", [
    (RANK, "W 1-D", lambda: gradients.largest_singular_value(torch.ones(3))),
    (EMPTY, "W (0, 3)", lambda: gradients.largest_singular_value(torch.ones(0, 3))),
    (NONFINITE, "NaN in W", lambda: gradients.largest_singular_value(with_nan(torch.ones(2, 3)))),
    (DTYPE, "W of ints", lambda: gradients.largest_singular_value(torch.ones(2, 3, dtype=torch.long))),
    (TYPE, "W a numpy array", lambda: gradients.largest_singular_value(np.ones((2, 3)))),
])
add("gradients.fit_decay_rate", [
    (RANK, "norms 2-D", lambda: gradients.fit_decay_rate(np.ones((3, 3)))),
    (DTYPE, "strings", lambda: gradients.fit_decay_rate(["a", "b", "c"])),
    (EMPTY, "no norms", lambda: gradients.fit_decay_rate([])),
    (EMPTY, "one norm", lambda: gradients.fit_decay_rate([0.5])),
    (NONFINITE, "all NaN", lambda: gradients.fit_decay_rate([NAN] * 5)),
    (CLASH, "all zeros", lambda: gradients.fit_decay_rate([0.0] * 5)),
    (ABSURD, "skip_last = -1", lambda: gradients.fit_decay_rate([1.0, 0.5, 0.25], skip_last=-1)),
    (TYPE, "skip_last = 1.5", lambda: gradients.fit_decay_rate([1.0, 0.5, 0.25], skip_last=1.5)),
    (TYPE, "skip_last = True", lambda: gradients.fit_decay_rate([1.0, 0.5, 0.25], skip_last=True)),
    (ABSURD, "skip_last beyond the norms", lambda: gradients.fit_decay_rate([1.0, 0.5, 0.25], skip_last=10)),
    (DTYPE, "complex norms", lambda: gradients.fit_decay_rate(np.ones(4, complex))),
    (TYPE, "None", lambda: gradients.fit_decay_rate(None)),
    (DTYPE, "negative norms", lambda: gradients.fit_decay_rate([-1.0, -0.5, -0.25])),
])
add("gradients.deep_stack_gradient_norms", [
    (ABSURD, "depth = 0", lambda: gradients.deep_stack_gradient_norms(depth=0)),
    (ABSURD, "width = -1", lambda: gradients.deep_stack_gradient_norms(width=-1)),
    (ABSURD, "gain = 0", lambda: gradients.deep_stack_gradient_norms(gain=0)),
    (NONFINITE, "gain = nan", lambda: gradients.deep_stack_gradient_norms(gain=NAN)),
    (ABSURD, "batch_size = 0", lambda: gradients.deep_stack_gradient_norms(batch_size=0)),
    (TYPE, "seed = 1.5", lambda: gradients.deep_stack_gradient_norms(seed=1.5)),
    (ABSURD, "depth = 10**7", lambda: gradients.deep_stack_gradient_norms(depth=10**7)),
    (ABSURD, "width = 10**6", lambda: gradients.deep_stack_gradient_norms(width=10**6)),
    (TYPE, "residual = 'yes'", lambda: gradients.deep_stack_gradient_norms(depth=2, residual="yes")),
])

# ==============================================================================================
# plotting
# ==============================================================================================
add("plotting.smooth", [
    (TYPE, "a string", lambda: plotting.smooth("loss")),
    (TYPE, "a dict", lambda: plotting.smooth({1: 0.5})),
    (RANK, "2-D values", lambda: plotting.smooth(np.ones((3, 3)))),
    (ABSURD, "window = 0", lambda: plotting.smooth([1.0, 2.0], window=0)),
    (TYPE, "window = 2.5", lambda: plotting.smooth([1.0, 2.0], window=2.5)),
    (TYPE, "window = True", lambda: plotting.smooth([1.0, 2.0], window=True)),
    (DTYPE, "complex values", lambda: plotting.smooth(np.ones(3, complex))),
    (SIZE, "ragged nested lists", lambda: plotting.smooth([[1.0], [1.0, 2.0]])),
    (DTYPE, "None among the values", lambda: plotting.smooth([1.0, None])),
    (RANK, "one number", lambda: plotting.smooth(3.0)),
])
add("plotting.plot_history", [
    (TYPE, "a list of histories", lambda: plotting.plot_history([history()])),
    (EMPTY, "no runs", lambda: plotting.plot_history({})),
    (TYPE, "a run that is no History", lambda: plotting.plot_history({"run": [1.0, 0.5]})),
    (ABSURD, "8 runs", lambda: plotting.plot_history({str(i): history() for i in range(8)})),
    (ABSURD, "5 baselines", lambda: plotting.plot_history({"a": history()}, baselines={str(i): 1.0 for i in range(5)})),
    (NONFINITE, "a NaN baseline", lambda: plotting.plot_history({"a": history()}, baselines={"uniform": NAN})),
    (TYPE, "a baseline string", lambda: plotting.plot_history({"a": history()}, baselines={"uniform": "2.2"})),
    (TYPE, "baselines a list", lambda: plotting.plot_history({"a": history()}, baselines=[2.2])),
    (SIZE, "loss and steps of different lengths", lambda: plotting.plot_history(
        {"a": training.History(steps=[1, 2, 3], loss=[1.0])})),
    (ABSURD, "smooth_window = 0", lambda: plotting.plot_history({"a": history()}, smooth_window=0)),
    (TYPE, "ax = 5", lambda: plotting.plot_history({"a": history()}, ax=5)),
    (TYPE, "ylabel = 5", lambda: plotting.plot_history({"a": history()}, ylabel=5)),
])
add("plotting.heatmap", [
    (TYPE, "ax = None", lambda: plotting.heatmap(None, np.ones((2, 2)))),
    (RANK, "values 1-D", lambda: plotting.heatmap(axes(), np.ones(3))),
    (RANK, "values 3-D", lambda: plotting.heatmap(axes(), np.ones((2, 2, 2)))),
    (EMPTY, "values (0, 3)", lambda: plotting.heatmap(axes(), np.ones((0, 3)))),
    (NONFINITE, "all NaN", lambda: plotting.heatmap(axes(), np.full((2, 2), NAN))),
    (SIZE, "xlabels for 3 of 2 columns", lambda: plotting.heatmap(axes(), np.ones((2, 2)), xlabels=list("abc"))),
    (TYPE, "xlabels a string", lambda: plotting.heatmap(axes(), np.ones((2, 2)), xlabels="ab")),
    (SIZE, "ylabels for 1 of 2 rows", lambda: plotting.heatmap(axes(), np.ones((2, 2)), ylabels=["a"])),
    (DTYPE, "strings", lambda: plotting.heatmap(axes(), np.array([["a", "b"]]))),
    (ABSURD, "cmap 'rainbowz'", lambda: plotting.heatmap(axes(), np.ones((2, 2)), cmap="rainbowz")),
    (TYPE, "label = 5", lambda: plotting.heatmap(axes(), np.ones((2, 2)), label=5)),
])

# ==============================================================================================
# claims
# ==============================================================================================
add("claims.check", [
    (EMPTY, "an empty claim", lambda: claims.check("", True)),
    (TYPE, "claim = 5", lambda: claims.check(5, True)),
    (TYPE, "holds = 'yes'", lambda: claims.check("x", "yes")),
    (TYPE, "holds = 1", lambda: claims.check("x", 1)),
    (TYPE, "holds an array of two", lambda: claims.check("x", np.array([True, False]))),
    (TYPE, "holds a tensor of two", lambda: claims.check("x", torch.tensor([True, True]))),
    (TYPE, "holds None", lambda: claims.check("x", None)),
    (TYPE, "measured = 0.9", lambda: claims.check("x", True, measured=0.9)),
])
add("claims.say", [
    (EMPTY, "an empty text", lambda: claims.say("   ")),
    (TYPE, "a number", lambda: claims.say(5)),
    (TYPE, "None", lambda: claims.say(None)),
])
add("claims.pct", [
    (NONFINITE, "nan", lambda: claims.pct(NAN)),
    (NONFINITE, "inf", lambda: claims.pct(INF)),
    (TYPE, "a string", lambda: claims.pct("0.5")),
    (TYPE, "True", lambda: claims.pct(True)),
    (TYPE, "None", lambda: claims.pct(None)),
    (ABSURD, "digits = -1", lambda: claims.pct(0.5, -1)),
    (TYPE, "digits = 1.5", lambda: claims.pct(0.5, 1.5)),
    (ABSURD, "digits = 10**6", lambda: claims.pct(0.5, 10**6)),
    (TYPE, "a tensor of two", lambda: claims.pct(torch.tensor([0.5, 0.6]))),
])
add("claims.about", [
    (ABSURD, "0", lambda: claims.about(0)),
    (ABSURD, "-1e-6", lambda: claims.about(-1e-6)),
    (NONFINITE, "nan", lambda: claims.about(NAN)),
    (NONFINITE, "inf", lambda: claims.about(INF)),
    (TYPE, "a string", lambda: claims.about("1e-6")),
    (TYPE, "True", lambda: claims.about(True)),
])
add("claims.span", [
    (EMPTY, "no values", lambda: claims.span([])),
    (NONFINITE, "a NaN value", lambda: claims.span([0.5, NAN])),
    (TYPE, "a string", lambda: claims.span("abc")),
    (SIZE, "ragged lists", lambda: claims.span([[0.5, 0.6], [0.7]])),
    (TYPE, "fmt = 5", lambda: claims.span([0.5, 0.6], fmt=5)),
    (CLASH, "fmt with two fields", lambda: claims.span([0.5, 0.6], fmt="{}{}")),
    (TYPE, "None", lambda: claims.span(None)),
    (TYPE, "a dict", lambda: claims.span({"a": 0.5})),
])

# ==============================================================================================
# explore
# ==============================================================================================


def _draw(fig, value):
    fig.add_subplot().plot([0, 1], [0, value])


add("explore.explore", [
    (EMPTY, "no parameter", lambda: explore.explore(_draw), r"exactly one parameter.*got none"),
    (CLASH, "two parameters", lambda: explore.explore(_draw, a=[1], b=[2]), r"exactly one parameter.*got \['a', 'b'\]"),
    (EMPTY, "no values", lambda: explore.explore(_draw, t=[]), r"t needs at least one value"),
    (TYPE, "draw not callable", lambda: explore.explore("draw", t=[1, 2])),
    (CLASH, "initial not among the values", lambda: explore.explore(_draw, t=[1, 2], initial=3)),
    (EMPTY, "alt = ''", lambda: explore.explore(_draw, t=[1, 2], alt=" ")),
    (TYPE, "values a number", lambda: explore.explore(_draw, t=5)),
    (TYPE, "values a string", lambda: explore.explore(_draw, t="abc")),
    (ABSURD, "values endless", lambda: explore.explore(_draw, t=infinite_values())),
    (ABSURD, "10**6 values", lambda: explore.explore(_draw, t=range(10**6))),
    (TYPE, "figsize 'big'", lambda: explore.explore(_draw, t=[1, 2], figsize="big")),
    (ABSURD, "figsize (0, 3)", lambda: explore.explore(_draw, t=[1, 2], figsize=(0, 3))),
    (TYPE, "label = 5", lambda: explore.explore(_draw, t=[1, 2], label=5)),
    (TYPE, "alt = 5", lambda: explore.explore(_draw, t=[1, 2], alt=5)),
])
add("explore.Exploration", [
    (ABSURD, "interval_ms = 0", lambda: explore.Exploration(_draw, "t", [1, 2], interval_ms=0)),
    (TYPE, "interval_ms = 'fast'", lambda: explore.Exploration(_draw, "t", [1, 2], interval_ms="fast")),
    (TYPE, "name = 5", lambda: explore.Exploration(_draw, 5, [1, 2])),
    (EMPTY, "no values", lambda: explore.Exploration(_draw, "t", [])),
])

# ==============================================================================================
# selfcheck
# ==============================================================================================
_TANH = [(1.0, "That is the pre-activation: the tanh is missing.")]
_WRONG = {1: "Clipping by value turns the vector."}


def _numeric(*args, **kw):
    return selfcheck.numeric(*(args or ("What is h₁?", 0.76)), **kw)


def _choice(options=("by norm", "by value"), answer=0, **kw):
    kw.setdefault("feedback", _WRONG)
    return selfcheck.choice("Which keeps the direction?", options, answer, **kw)


add("selfcheck.numeric", [
    (TYPE, "question = None", lambda: _numeric(None, 0.76), r"question must be a str, got NoneType"),
    (EMPTY, "question = ''", lambda: _numeric("", 0.76), r"question must not be empty"),
    (CLASH, "question in $math$", lambda: _numeric("What is $h_2$?", 0.76), r"not \$math\$"),
    (TYPE, "answer = '0.76'", lambda: _numeric("q", "0.76"), r"answer must be a real number.*str"),
    (TYPE, "answer = True", lambda: _numeric("q", True), r"answer must be a real number.*bool"),
    (TYPE, "answer = None", lambda: _numeric("q", None), r"answer must be a real number"),
    (NONFINITE, "answer = NaN", lambda: _numeric("q", NAN), r"answer must be a finite number, got nan"),
    (NONFINITE, "answer = inf", lambda: _numeric("q", INF), r"answer must be a finite number"),
    (NONFINITE, "answer = np.nan (numpy)", lambda: _numeric("q", np.float64("nan")), r"finite number"),
    (RANK, "answer an array of shape (1,)", lambda: _numeric("q", np.array([0.76])), r"array of shape \(1,\)"),
    (RANK, "answer a (2, 2) array", lambda: _numeric("q", np.eye(2)), r"array of shape \(2, 2\)"),
    (TYPE, "answer a torch tensor", lambda: _numeric("q", torch.tensor(0.76)), r"answer must be a real number.*Tensor"),
    (ABSURD, "tolerance = 0", lambda: _numeric(tolerance=0), r"tolerance must be a positive number"),
    (ABSURD, "tolerance = -0.1", lambda: _numeric(tolerance=-0.1), r"tolerance must be a positive number"),
    (NONFINITE, "tolerance = inf", lambda: _numeric(tolerance=INF), r"tolerance must be a finite"),
    (NONFINITE, "tolerance = NaN", lambda: _numeric(tolerance=NAN), r"tolerance must be a finite"),
    (TYPE, "tolerance = '1%'", lambda: _numeric(tolerance="1%"), r"tolerance must be a real number"),
    (TYPE, "mistakes a string", lambda: _numeric(mistakes="forgot the tanh"), r"mistakes must be a list of \(value, feedback\)"),
    (TYPE, "mistakes a dict", lambda: _numeric(mistakes={1.0: "x"}), r"mistakes must be a list"),
    (TYPE, "mistakes = 1.0", lambda: _numeric(mistakes=1.0), r"mistakes must be a list"),
    (TYPE, "a mistake without feedback", lambda: _numeric(mistakes=[1.0]), r"mistakes\[0\] must be a \(value, feedback\) pair"),
    (TYPE, "a mistake as a triple", lambda: _numeric(mistakes=[(1.0, "a", "b")]), r"mistakes\[0\] must be a \(value"),
    (TYPE, "feedback = None", lambda: _numeric(mistakes=[(1.0, None)]), r"mistakes\[0\]'s feedback must be a str"),
    (EMPTY, "empty feedback", lambda: _numeric(mistakes=[(1.0, " ")]), r"mistakes\[0\]'s feedback must not be empty"),
    (TYPE, "a mistake's value a string", lambda: _numeric(mistakes=[("1.0", "x")]), r"mistakes\[0\]'s value must be a real"),
    (NONFINITE, "a mistake's value NaN", lambda: _numeric(mistakes=[(NAN, "x")]), r"mistakes\[0\]'s value must be a finite"),
    (CLASH, "a mistake equal to the answer", lambda: _numeric(mistakes=[(0.76, "x")]), r"within the tolerance.*of the answer"),
    (CLASH, "a mistake within tolerance of the answer", lambda: _numeric(mistakes=[(0.763, "x")]), r"of the answer"),
    (CLASH, "two mistakes within tolerance (ambiguous)", lambda: _numeric(mistakes=[*_TANH, (1.002, "y")]),
     r"of mistakes\[0\].*ambiguous"),
    (TYPE, "explain = None", lambda: _numeric(explain=None), r"explain must be a str"),
    (CLASH, "explain in $math$", lambda: _numeric(explain="since $h_1 = 0$"), r"explain must be plain text"),
    (TYPE, "unit = 1", lambda: _numeric(unit=1), r"unit must be a str"),
    (ABSURD, "a sentence as unit", lambda: _numeric(unit="nats per character, averaged"), r"unit must be a short word"),
    (EMPTY, "nudge = ''", lambda: _numeric(nudge=""), r"nudge must not be empty"),
])
add("selfcheck.choice", [
    (TYPE, "question = 3", lambda: selfcheck.choice(3, ["a", "b"], 0, feedback=_WRONG), r"question must be a str"),
    (TYPE, "options a string", lambda: _choice("ab"), r"options must be a list of strings, got str"),
    (TYPE, "options a set", lambda: _choice({"a", "b"}), r"options must be a list of strings, got set"),
    (TYPE, "options = None", lambda: _choice(None), r"options must be a list of strings"),
    (EMPTY, "no options", lambda: _choice([]), r"2 to 6 choices, got 0"),
    (SIZE, "one option", lambda: _choice(["a"], feedback={}), r"2 to 6 choices, got 1"),
    (ABSURD, "seven options", lambda: _choice(list("abcdefg"), feedback={i: "x" for i in range(1, 7)}), r"2 to 6 choices, got 7"),
    (EMPTY, "an empty option", lambda: _choice(["a", ""]), r"options\[1\] must not be empty"),
    (TYPE, "an option that is a number", lambda: _choice(["a", 2]), r"options\[1\] must be a str"),
    (CLASH, "two equal options", lambda: _choice(["a", "a"]), r"options must differ"),
    (IDS, "answer = 2 of 2 options", lambda: _choice(answer=2), r"index from 0 to 1 .*got 2"),
    (IDS, "answer = -1", lambda: _choice(answer=-1), r"index from 0 to 1 .*got -1"),
    (TYPE, "answer the option's text", lambda: _choice(answer="by norm"), r"answer must be the index \(an int\)"),
    (TYPE, "answer = 0.0", lambda: _choice(answer=0.0), r"answer must be the index"),
    (TYPE, "answer = True", lambda: _choice(answer=True), r"answer must be the index"),
    (EMPTY, "feedback missing", lambda: _choice(feedback=None), r"every wrong option needs feedback.*\[1\]"),
    (EMPTY, "feedback for one wrong option of two", lambda: _choice(["a", "b", "c"], feedback={1: "x"}),
     r"missing for option\(s\) \[2\]"),
    (CLASH, "feedback for the right option", lambda: _choice(feedback={0: "x", 1: "y"}), r"the right answer"),
    (IDS, "feedback for option 5 of 2", lambda: _choice(feedback={1: "x", 5: "y"}), r"feedback names option 5"),
    (TYPE, "feedback keyed by option text", lambda: _choice(feedback={"by value": "x"}), r"keys must be option indexes"),
    (TYPE, "feedback a list", lambda: _choice(feedback=["x"]), r"feedback must be a dict"),
    (EMPTY, "empty feedback words", lambda: _choice(feedback={1: ""}), r"feedback\[1\] must not be empty"),
    (TYPE, "explain = 0", lambda: _choice(explain=0), r"explain must be a str"),
])

# ==============================================================================================
# environment
# ==============================================================================================
add("environment.seed_everything", [
    (ABSURD, "seed = -1", lambda: environment.seed_everything(-1), r"seed must be an integer in \[0, 2\*\*32\), got -1"),
    (ABSURD, "seed = 2**32", lambda: environment.seed_everything(2**32)),
    (TYPE, "seed = 1.5", lambda: environment.seed_everything(1.5)),
    (TYPE, "seed = '0'", lambda: environment.seed_everything("0")),
    (TYPE, "seed = True", lambda: environment.seed_everything(True)),
    (TYPE, "seed = None", lambda: environment.seed_everything(None)),
])
add("environment.setup", [
    (TYPE, "seed = 'zero'", lambda: environment.setup(seed="zero", quiet=True), r"seed must be an integer.*got 'zero'"),
    (ABSURD, "threads = 0", lambda: environment.setup(threads=0, quiet=True)),
    (ABSURD, "threads = -1", lambda: environment.setup(threads=-1, quiet=True)),
    (TYPE, "threads = 1.5", lambda: environment.setup(threads=1.5, quiet=True)),
    (ABSURD, "threads = 10**6", lambda: environment.setup(threads=10**6, quiet=True)),
    (TYPE, "quiet = 'yes'", lambda: environment.setup(quiet="yes")),
])
add("environment.get_device", [
    (ABSURD, "'tpu'", lambda: environment.get_device("tpu"), r"device must be a name such as 'cpu' or 'cuda', got 'tpu'"),
    (TYPE, "5", lambda: environment.get_device(5)),
    (TYPE, "a list", lambda: environment.get_device(["cpu"])),
    (CLASH, "'cuda:99' (no such GPU)", lambda: environment.get_device("cuda:99")),
] + ([] if CUDA else [
    (CLASH, "'cuda' without a GPU", lambda: environment.get_device("cuda")),
]))

# ==============================================================================================
# diagrams
# ==============================================================================================
add("diagrams.draw_unrolled", [
    (ABSURD, "T = 0", lambda: diagrams.draw_unrolled(axes(), T=0)),
    (ABSURD, "T = 10**6", lambda: diagrams.draw_unrolled(axes(), T=10**6)),
    (TYPE, "T = 2.5", lambda: diagrams.draw_unrolled(axes(), T=2.5)),
    (TYPE, "ax = None", lambda: diagrams.draw_unrolled(None)),
    (CLASH, "backward without loss", lambda: diagrams.draw_unrolled(axes(), backward=True)),
])
add("diagrams.draw_rnn_box", [(TYPE, "ax a Figure", lambda: diagrams.draw_rnn_box(plt.figure()))])
add("diagrams.draw_architectures", [(TYPE, "fig an Axes", lambda: diagrams.draw_architectures(axes()))])
add("diagrams.draw_shortcuts", [(TYPE, "fig = None", lambda: diagrams.draw_shortcuts(None))])
add("diagrams.draw_gru", [(TYPE, "ax = 'ax'", lambda: diagrams.draw_gru("ax"))])
add("diagrams.draw_lstm", [(TYPE, "ax = None", lambda: diagrams.draw_lstm(None))])
add("diagrams.draw_dependency", [
    (EMPTY, "no words", lambda: diagrams.draw_dependency(axes(), [], [])),
    (TYPE, "words of numbers", lambda: diagrams.draw_dependency(axes(), [1, 2], [])),
    (IDS, "an arc to word 5 of 2", lambda: diagrams.draw_dependency(axes(), ["a", "b"], [(0, 5)])),
    (TYPE, "an arc of one index", lambda: diagrams.draw_dependency(axes(), ["a", "b"], [(0,)])),
    (TYPE, "words a string", lambda: diagrams.draw_dependency(axes(), "the cat", [(0, 1)])),
])
add("diagrams.draw_bidirectional", [
    (ABSURD, "T = 1", lambda: diagrams.draw_bidirectional(axes(), T=1)),
    (ABSURD, "T = 100", lambda: diagrams.draw_bidirectional(axes(), T=100)),
    (IDS, "highlight = 9 of 4", lambda: diagrams.draw_bidirectional(axes(), highlight=9)),
    (IDS, "highlight = 0", lambda: diagrams.draw_bidirectional(axes(), highlight=0)),
])
add("diagrams.draw_stacked", [
    (ABSURD, "layers = 0", lambda: diagrams.draw_stacked(axes(), layers=0)),
    (ABSURD, "steps = 10**6", lambda: diagrams.draw_stacked(axes(), steps=10**6)),
    (TYPE, "layers = 2.5", lambda: diagrams.draw_stacked(axes(), layers=2.5)),
    (TYPE, "steps = '3'", lambda: diagrams.draw_stacked(axes(), steps="3")),
    (TYPE, "ax = None", lambda: diagrams.draw_stacked(None)),
])
add("diagrams.draw_computation_order", [
    (RANK, "a 1-D grid", lambda: diagrams.draw_computation_order(axes(), np.arange(3))),
    (EMPTY, "an empty grid", lambda: diagrams.draw_computation_order(axes(), np.zeros((0, 3), int))),
    (ABSURD, "shade 'rainbow'", lambda: diagrams.draw_computation_order(axes(), np.ones((2, 2), int), shade="rainbow")),
    (ABSURD, "a 1000 x 1000 grid", lambda: diagrams.draw_computation_order(axes(), np.ones((1000, 1000), int))),
    (DTYPE, "a grid of strings", lambda: diagrams.draw_computation_order(axes(), np.array([["a", "b"]]))),
])

# ==============================================================================================
# data
# ==============================================================================================
add("data.Vocab", [
    (CLASH, "a reserved token", lambda: data.Vocab(["a", "<EOS>"]), r"\['<EOS>'\] are reserved"),
    (CLASH, "a token twice", lambda: data.Vocab(["a", "a"])),
    (TYPE, "tokens = 5", lambda: data.Vocab(5)),
    (TYPE, "tokens of numbers", lambda: data.Vocab([1, 2])),
    (EMPTY, "an empty token", lambda: data.Vocab(["a", ""])),
    (TYPE, "None among the tokens", lambda: data.Vocab(["a", None])),
])
add("data.Vocab.from_texts", [
    (ABSURD, "level 'byte'", lambda: data.Vocab.from_texts(["ab"], level="byte"), r"level must be 'char' or 'word', got 'byte'"),
    (EMPTY, "no texts", lambda: data.Vocab.from_texts([])),
    (EMPTY, "only empty texts", lambda: data.Vocab.from_texts(["", ""])),
    (TYPE, "texts = 5", lambda: data.Vocab.from_texts(5)),
    (TYPE, "texts of numbers", lambda: data.Vocab.from_texts([5, 6])),
    (ABSURD, "min_count = 0", lambda: data.Vocab.from_texts(["ab"], min_count=0)),
    (TYPE, "min_count = 1.5", lambda: data.Vocab.from_texts(["ab"], min_count=1.5)),
    (ABSURD, "min_count above every count", lambda: data.Vocab.from_texts(["ab"], min_count=5)),
])
add("data.Vocab.encode", [
    (TYPE, "tokens = 5", lambda: VOCAB.encode(5)),
    (TYPE, "tokens = None", lambda: VOCAB.encode(None)),
    (TYPE, "ids instead of tokens", lambda: VOCAB.encode([4, 5])),
    (TYPE, "bos = 'yes'", lambda: VOCAB.encode("ab", bos="yes")),
    (TYPE, "a tensor of ids", lambda: VOCAB.encode(torch.tensor([4, 5]))),
])
add("data.Vocab.decode", [
    (IDS, "id 99", lambda: VOCAB.decode([1, 99]), r"ids must lie in \[0, 9\), got \[99\]"),
    (IDS, "id -1", lambda: VOCAB.decode([-1])),
    (DTYPE, "float ids", lambda: VOCAB.decode(torch.tensor([4.0, 5.0])), r"ids must be integer token ids, got \[4.0, 5.0\]"),
    (RANK, "2-D ids", lambda: VOCAB.decode(torch.tensor([[4, 5]]))),
    (TYPE, "a string", lambda: VOCAB.decode("abc")),
    (TYPE, "sep = 5", lambda: VOCAB.decode([4, 5], sep=5)),
    (TYPE, "ids = 4", lambda: VOCAB.decode(4)),
    (DTYPE, "bool ids", lambda: VOCAB.decode(torch.tensor([True, False]))),
])
add("data.tokenize_words", [
    (TYPE, "5", lambda: data.tokenize_words(5)),
    (TYPE, "a list of texts", lambda: data.tokenize_words(["a b"])),
])
add("data.load_names", [
    (ABSURD, "kind 'middle'", lambda: data.load_names("middle"), r"kind must be 'first' or 'last', got 'middle'"),
    (TYPE, "kind = 5", lambda: data.load_names(5)),
    (TYPE, "kind = ['first']", lambda: data.load_names(["first"])),
])
add("data.load_shakespeare", [
    (CLASH, "a misspelt play", lambda: data.load_shakespeare(["macbth"]), r"unknown plays \['macbth'\]; known: .*'macbeth'"),
    (EMPTY, "no plays", lambda: data.load_shakespeare([])),
    (TYPE, "plays = 5", lambda: data.load_shakespeare(5)),
    (TYPE, "plays = [5]", lambda: data.load_shakespeare([5])),
])
add("data.markdown_play_to_text", [(TYPE, "bytes", lambda: data.markdown_play_to_text(b"# play"))])
add("data.split_contiguous", [
    (ABSURD, "val_fraction = 1.5", lambda: data.split_contiguous([1, 2, 3], 1.5),
     r"val_fraction must lie strictly between 0 and 1, got 1.5"),
    (ABSURD, "val_fraction = 0", lambda: data.split_contiguous([1, 2, 3], 0)),
    (NONFINITE, "val_fraction = nan", lambda: data.split_contiguous([1, 2, 3], NAN)),
    (TYPE, "val_fraction = '0.1'", lambda: data.split_contiguous([1, 2, 3], "0.1")),
    (EMPTY, "no items", lambda: data.split_contiguous([])),
    (EMPTY, "an empty validation part", lambda: data.split_contiguous(list(range(5)), 0.01)),
    (EMPTY, "an empty training part", lambda: data.split_contiguous(list(range(5)), 0.99)),
    (TYPE, "items = 5", lambda: data.split_contiguous(5)),
])
add("data.shuffled", [
    (ABSURD, "seed = -1", lambda: data.shuffled([1, 2, 3], seed=-1)),
    (TYPE, "seed = 1.5", lambda: data.shuffled([1, 2, 3], seed=1.5)),
    (TYPE, "items = 5", lambda: data.shuffled(5)),
    (TYPE, "items a set", lambda: data.shuffled({1, 2, 3})),
])
add("data.pad_sequences", [
    (EMPTY, "no sequences", lambda: data.pad_sequences([]), r"at least one sequence"),
    (DTYPE, "float ids", lambda: data.pad_sequences([[1.5, 2.0]])),
    (TYPE, "string tokens", lambda: data.pad_sequences([["a", "b"]])),
    (TYPE, "one flat list", lambda: data.pad_sequences([1, 2, 3])),
    (TYPE, "seqs = 5", lambda: data.pad_sequences(5)),
    (EMPTY, "only empty sequences", lambda: data.pad_sequences([[], []])),
    (IDS, "a negative id", lambda: data.pad_sequences([[1, -2]])),
    (TYPE, "pad_id = 1.5", lambda: data.pad_sequences([[1, 2]], pad_id=1.5)),
    (IDS, "pad_id = -1", lambda: data.pad_sequences([[1, 2]], pad_id=-1)),
    (RANK, "a 2-D tensor in the list", lambda: data.pad_sequences([torch.ones(2, 2, dtype=torch.long)])),
])
add("data.sequence_pairs", [
    (TYPE, "one string", lambda: data.sequence_pairs("emma", VOCAB)),
    (EMPTY, "no texts", lambda: data.sequence_pairs([], VOCAB)),
    (TYPE, "vocab a string", lambda: data.sequence_pairs(["emma"], "abcde")),
    (TYPE, "texts of numbers", lambda: data.sequence_pairs([5], VOCAB)),
])
add("data.SequenceBatches", [
    (TYPE, "one string", lambda: data.SequenceBatches("emma", VOCAB), r"texts must be a list of sequences.*got one string"),
    (ABSURD, "batch_size = 0", lambda: data.SequenceBatches(["ab"], VOCAB, batch_size=0), r"batch_size must be a positive integer, got 0"),
    (EMPTY, "no texts", lambda: data.SequenceBatches([], VOCAB)),
    (TYPE, "vocab a list", lambda: data.SequenceBatches(["ab"], list("abcde"))),
    (ABSURD, "batch_size = 10**9", lambda: data.SequenceBatches(["ab"], VOCAB, batch_size=10**9)),
])
add("data.SequenceBatches.all_batches", [
    (ABSURD, "batch_size = 0", lambda: list(data.SequenceBatches(["ab"], VOCAB).all_batches(0))),
])
add("data.TextWindows", [
    (DTYPE, "float ids", lambda: data.TextWindows(np.arange(100.0)), r"ids must hold integer token ids, got dtype torch.float64"),
    (TYPE, "a text", lambda: data.TextWindows("to be or not to be"), r"ids must be token ids, got a string"),
    (RANK, "2-D ids", lambda: data.TextWindows(torch.zeros(2, 50, dtype=torch.long)), r"ids must be a 1-D sequence.*got shape \(2, 50\)"),
    (SIZE, "too few ids", lambda: data.TextWindows(list(range(10)), seq_len=10), r"10 ids, too few for windows of 10"),
    (ABSURD, "seq_len = -3", lambda: data.TextWindows(list(range(10)), seq_len=-3), r"seq_len must be a positive integer, got -3"),
    (ABSURD, "batch_size = 0", lambda: data.TextWindows(list(range(10)), seq_len=3, batch_size=0)),
    (IDS, "a negative id", lambda: data.TextWindows([-1] + list(range(9)), seq_len=3)),
    (EMPTY, "no ids", lambda: data.TextWindows([], seq_len=3)),
    (ABSURD, "batch_size = 10**9", lambda: data.TextWindows(list(range(10)), seq_len=3, batch_size=10**9)),
])
add("data.TextWindows.all_batches", [
    (ABSURD, "batch_size = 0", lambda: list(data.TextWindows(list(range(10)), seq_len=3).all_batches(0))),
    (ABSURD, "max_windows = -1", lambda: list(data.TextWindows(list(range(10)), seq_len=3).all_batches(max_windows=-1))),
])
add("data.passage", [
    (CLASH, "an unknown play", lambda: data.passage("macbth", "When shall", "again")),
    (EMPTY, "empty first words", lambda: data.passage("macbeth", "", "again")),
    (CLASH, "words not in the play", lambda: data.passage("macbeth", "zzqx qq", "yyzz")),
    (TYPE, "first_words = 5", lambda: data.passage("macbeth", 5, "again")),
])

# ==============================================================================================
# baselines
# ==============================================================================================
add("baselines.uniform_loss", [
    (ABSURD, "0 choices", lambda: baselines.uniform_loss(0)),
    (ABSURD, "-1 choices", lambda: baselines.uniform_loss(-1)),
    (TYPE, "1.5 choices", lambda: baselines.uniform_loss(1.5)),
    (TYPE, "'9'", lambda: baselines.uniform_loss("9")),
    (TYPE, "True", lambda: baselines.uniform_loss(True)),
    (TYPE, "a list of tokens", lambda: baselines.uniform_loss(list("abc"))),
])
add("baselines.BigramLM", [
    (ABSURD, "vocab_size = 0", lambda: baselines.BigramLM(0)),
    (ABSURD, "vocab_size = 2 (specials only)", lambda: baselines.BigramLM(2)),
    (ABSURD, "k = -1", lambda: baselines.BigramLM(K, k=-1)),
    (NONFINITE, "k = nan", lambda: baselines.BigramLM(K, k=NAN)),
    (NONFINITE, "k = inf", lambda: baselines.BigramLM(K, k=INF)),
    (TYPE, "k = '1'", lambda: baselines.BigramLM(K, k="1")),
    (ABSURD, "vocab_size = 10**6 (a 10**12 table)", lambda: baselines.BigramLM(10**6)),
    (TYPE, "vocab_size a Vocab", lambda: baselines.BigramLM(VOCAB)),
])
add("baselines.BigramLM.fit", [
    (TYPE, "a string", lambda: baselines.BigramLM(K).fit("abc")),
    (TYPE, "a flat list of ids", lambda: baselines.BigramLM(K).fit([4, 5, 6])),
    (DTYPE, "float ids", lambda: baselines.BigramLM(K).fit([[4.0, 5.0]])),
    (IDS, "id = K", lambda: baselines.BigramLM(K).fit([[4, K]])),
    (IDS, "a negative id", lambda: baselines.BigramLM(K).fit([[4, -1]])),
    (EMPTY, "no sequences", lambda: baselines.BigramLM(K).fit([])),
    (EMPTY, "one-id sequences", lambda: baselines.BigramLM(K).fit([[4], [5]])),
    (TYPE, "a 1-D tensor", lambda: baselines.BigramLM(K).fit(torch.tensor([4, 5]))),
    (RANK, "2-D sequences", lambda: baselines.BigramLM(K).fit([np.ones((2, 2), int)])),
])
add("baselines.BigramLM.loss", [
    (IDS, "id = K", lambda: baselines.BigramLM(K).loss([[4, K]])),
    (EMPTY, "no sequences", lambda: baselines.BigramLM(K).loss([])),
    (TYPE, "a string", lambda: baselines.BigramLM(K).loss("abc")),
])
add("baselines.BigramLM.forward", [
    (IDS, "id = K", lambda: baselines.BigramLM(K)(torch.full((1, 2), K))),
    (DTYPE, "float ids", lambda: baselines.BigramLM(K)(torch.zeros(1, 2))),
    (RANK, "1-D ids", lambda: baselines.BigramLM(K)(torch.zeros(2, dtype=torch.long))),
    (TYPE, "a list", lambda: baselines.BigramLM(K)([[4, 5]])),
])
add("baselines.BigramLM.step", [
    (IDS, "id -1", lambda: baselines.BigramLM(K).step(torch.tensor([-1]))),
    (RANK, "2-D ids", lambda: baselines.BigramLM(K).step(torch.zeros(1, 2, dtype=torch.long))),
])
add("baselines.UnigramLM", [
    (ABSURD, "k = -1", lambda: baselines.UnigramLM(K, k=-1)),
    (IDS, "fit with id = K", lambda: baselines.UnigramLM(K).fit([[4, K]])),
    (NONFINITE, "k = inf", lambda: baselines.UnigramLM(K, k=INF)),
])

# ==============================================================================================
# checkpoints
# ==============================================================================================


def _save(**changes):
    args = dict(path=tmp_path(), model=lm(), vocab=VOCAB, settings={"lr": 0.01}, seed=0, val_loss=1.5)
    args.update(changes)
    return checkpoints.save_checkpoint(**args)


add("checkpoints.save_checkpoint", [
    (TYPE, "model a torch.nn.GRU", lambda: _save(model=nn.GRU(2, 2))),
    (TYPE, "vocab a list", lambda: _save(vocab=list("abcde"))),
    (CLASH, "a vocabulary of another size", lambda: _save(vocab=data.Vocab(list("abc")))),
    (TYPE, "settings a list", lambda: _save(settings=[("lr", 0.01)])),
    (TYPE, "a numpy scalar in settings", lambda: _save(settings={"lr": np.float64(0.01)})),
    (TYPE, "a Path in settings", lambda: _save(settings={"data": Path("names.txt")})),
    (TYPE, "a tensor in settings", lambda: _save(settings={"lr": torch.tensor(0.01)})),
    (TYPE, "a non-string key in settings", lambda: _save(settings={1: 0.01})),
    (TYPE, "seed = 1.5", lambda: _save(seed=1.5)),
    (TYPE, "seed = '0'", lambda: _save(seed="0")),
    (NONFINITE, "val_loss = nan", lambda: _save(val_loss=NAN)),
    (NONFINITE, "val_loss = inf", lambda: _save(val_loss=INF)),
    (ABSURD, "val_loss = -1", lambda: _save(val_loss=-1.0)),
    (ABSURD, "dtype 'bfloat16'", lambda: _save(dtype="bfloat16")),
    (TYPE, "extra a list", lambda: _save(extra=[1.0])),
    (TYPE, "a numpy array in extra", lambda: _save(extra={"curve": np.ones(3)})),
    (CLASH, "settings that contradict the model", lambda: _save(settings={"hidden_size": 99})),
    (NONFINITE, "NaN weights", lambda: _save(model=(lambda m: (torch.nn.init.constant_(m.head.bias, NAN), m)[1])(lm()))),
    (TYPE, "path = None", lambda: _save(path=None)),
    (NONFINITE, "float settings nan", lambda: _save(settings={"lr": NAN})),
])
add("checkpoints.load_checkpoint", [
    (CLASH, "a wrong checksum", lambda: checkpoints.load_checkpoint(saved_checkpoint(checksum="0" * 64))),
    (CLASH, "a reordered vocabulary", lambda: checkpoints.load_checkpoint(saved_checkpoint(vocab=lambda v: v[::-1]))),
    (NONFINITE, "NaN weights (checksum redone)", lambda: checkpoints.load_checkpoint(
        saved_checkpoint(state_dict=nan_weights, rechecksum=True))),
    (CLASH, "settings that contradict the config", lambda: checkpoints.load_checkpoint(
        saved_checkpoint(settings={"hidden_size": 99}))),
    (CLASH, "a config that does not fit the weights", lambda: checkpoints.load_checkpoint(
        saved_checkpoint(config=lambda c: {**c, "hidden_size": 16}))),
    (CLASH, "an unknown version", lambda: checkpoints.load_checkpoint(saved_checkpoint(version=99))),
    (CLASH, "a missing field", lambda: checkpoints.load_checkpoint(saved_checkpoint(seed=None))),
    (TYPE, "a text file", lambda: checkpoints.load_checkpoint(
        (lambda p: (p.write_text("not a checkpoint"), p)[1])(tmp_path("notes.pt")))),
    (TYPE, "a torch file of a tensor", lambda: checkpoints.load_checkpoint(
        (lambda p: (torch.save(torch.zeros(2), p), p)[1])(tmp_path()))),
    (ABSURD, "device 'tpu'", lambda: checkpoints.load_checkpoint(saved_checkpoint(), device="tpu")),
    (TYPE, "path = 5", lambda: checkpoints.load_checkpoint(5)),
    (CLASH, "a config of an unknown cell", lambda: checkpoints.load_checkpoint(
        saved_checkpoint(config=lambda c: {**c, "cell": "transformer"}))),
])
add("checkpoints.round_weights", [
    (ABSURD, "dtype 'int8'", lambda: checkpoints.round_weights(lm(), "int8")),
    (TYPE, "model a list", lambda: checkpoints.round_weights([torch.zeros(2)])),
])

# ==============================================================================================
# sampling
# ==============================================================================================
add("sampling.next_token_distribution", [
    (RANK, "3-D logits", lambda: sampling.next_token_distribution(torch.zeros(1, 1, 5))),
    (DTYPE, "integer logits", lambda: sampling.next_token_distribution(torch.zeros(1, 5, dtype=torch.long))),
    (TYPE, "numpy logits", lambda: sampling.next_token_distribution(np.zeros((1, 5)))),
    (NONFINITE, "a NaN logit", lambda: sampling.next_token_distribution(with_nan(torch.zeros(1, 5)))),
    (NONFINITE, "a +inf logit", lambda: sampling.next_token_distribution(with_nan(torch.zeros(1, 5), INF))),
    (NONFINITE, "a row of -inf", lambda: sampling.next_token_distribution(torch.full((1, 5), -INF))),
    (EMPTY, "no tokens", lambda: sampling.next_token_distribution(torch.zeros(1, 0))),
    (ABSURD, "temperature = 0", lambda: sampling.next_token_distribution(torch.zeros(1, 5), 0.0),
     r"temperature must be a (positive|finite) number.*got 0.0"),
    (ABSURD, "temperature = -1", lambda: sampling.next_token_distribution(torch.zeros(1, 5), -1.0)),
    (NONFINITE, "temperature = nan", lambda: sampling.next_token_distribution(torch.zeros(1, 5), NAN)),
    (NONFINITE, "temperature = inf", lambda: sampling.next_token_distribution(torch.zeros(1, 5), INF)),
    (TYPE, "temperature = '1'", lambda: sampling.next_token_distribution(torch.zeros(1, 5), "1")),
    (ABSURD, "top_k = 0", lambda: sampling.next_token_distribution(torch.zeros(1, 5), top_k=0)),
    (TYPE, "top_k = 1.5", lambda: sampling.next_token_distribution(torch.zeros(1, 5), top_k=1.5)),
])
add("sampling.sample", [
    (ABSURD, "n = 0", lambda: sampling.sample(lm(), VOCAB, n=0), r"n must be a positive integer, got 0"),
    (ABSURD, "n = 10**9", lambda: sampling.sample(lm(), VOCAB, n=10**9)),
    (ABSURD, "max_len = 0", lambda: sampling.sample(lm(), VOCAB, max_len=0), r"max_len must be a positive integer, got 0"),
    (ABSURD, "max_len = 10**9", lambda: sampling.sample(lm(), VOCAB, max_len=10**9)),
    (ABSURD, "temperature = 0", lambda: sampling.sample(lm(), VOCAB, temperature=0), r"temperature must be a (positive|finite) number.*got 0\b"),
    (ABSURD, "temperature = -1", lambda: sampling.sample(lm(), VOCAB, temperature=-1.0), r"temperature must be a (positive|finite) number.*got -1.0"),
    (NONFINITE, "temperature = inf", lambda: sampling.sample(lm(), VOCAB, temperature=INF)),
    (NONFINITE, "temperature = nan", lambda: sampling.sample(lm(), VOCAB, temperature=NAN)),
    (TYPE, "temperature = 'hot'", lambda: sampling.sample(lm(), VOCAB, temperature="hot")),
    (ABSURD, "top_k = 0", lambda: sampling.sample(lm(), VOCAB, top_k=0), r"top_k must be a positive integer, got 0"),
    (TYPE, "prompt a list of ids", lambda: sampling.sample(lm(), VOCAB, prompt=[4, 5]), r"prompt must be a string, got list"),
    (TYPE, "vocab a string", lambda: sampling.sample(lm(), "abcde"), r"vocab must be a utils.data.Vocab, got str"),
    (CLASH, "a vocabulary of another size", lambda: sampling.sample(lm(), data.Vocab(list("abc"))),
     r"predicts 9 tokens but the vocabulary has 7"),
    (TYPE, "a model without step", lambda: sampling.sample(nn.Linear(2, 2), VOCAB), r"step\(idx_t, state\) method, got Linear"),
    (TYPE, "greedy = 'yes'", lambda: sampling.sample(lm(), VOCAB, greedy="yes")),
    (CLASH, "bos=False and no prompt", lambda: sampling.sample(lm(), VOCAB, bos=False)),
    (TYPE, "generator = 5", lambda: sampling.sample(lm(), VOCAB, generator=5)),
    (TYPE, "stop_at_eos = 'no'", lambda: sampling.sample(lm(), VOCAB, stop_at_eos="no")),
    (TYPE, "model None", lambda: sampling.sample(None, VOCAB)),
])
add("sampling.sequence_log_likelihood", [
    (TYPE, "one string", lambda: sampling.sequence_log_likelihood(lm(), VOCAB, "abc"), r"list of (sequences|strings).*got (one string|str)"),
    (EMPTY, "no texts", lambda: sampling.sequence_log_likelihood(lm(), VOCAB, [])),
    (TYPE, "texts of numbers", lambda: sampling.sequence_log_likelihood(lm(), VOCAB, [5])),
    (CLASH, "a vocabulary of another size", lambda: sampling.sequence_log_likelihood(lm(), data.Vocab(list("ab")), ["ab"])),
    (TYPE, "vocab a dict", lambda: sampling.sequence_log_likelihood(lm(), {"a": 4}, ["ab"])),
])

# ==============================================================================================
# tagging
# ==============================================================================================
add("tagging.remove_spaces", [
    (TYPE, "5", lambda: tagging.remove_spaces(5)),
    (TYPE, "a list of words", lambda: tagging.remove_spaces(["to", "be"])),
    (TYPE, "lowercase = 'yes'", lambda: tagging.remove_spaces("To be", lowercase="yes")),
])
add("tagging.restore_spaces", [
    (SIZE, "fewer labels than characters", lambda: tagging.restore_spaces("abc", [0, 1])),
    (TYPE, "chars = 5", lambda: tagging.restore_spaces(5, [1])),
    (TYPE, "labels of letters", lambda: tagging.restore_spaces("ab", ["a", "b"])),
    (IDS, "a label 2", lambda: tagging.restore_spaces("ab", [0, 2])),
    (DTYPE, "a label 0.5", lambda: tagging.restore_spaces("ab", [0.5, 1])),
    (RANK, "2-D labels", lambda: tagging.restore_spaces("ab", torch.zeros(1, 2, dtype=torch.long))),
    (TYPE, "labels = None", lambda: tagging.restore_spaces("ab", None)),
])
add("tagging.segmentation_slips", [
    (SIZE, "predictions for 2 of 3 characters", lambda: tagging.segmentation_slips("abc", [0, 1], [0, 0, 1])),
    (IDS, "a label 2", lambda: tagging.segmentation_slips("ab", [0, 1], [0, 2])),
    (TYPE, "chars = None", lambda: tagging.segmentation_slips(None, [0, 1], [0, 1])),
    (DTYPE, "float predictions", lambda: tagging.segmentation_slips("ab", [0.4, 0.9], [0, 1])),
])
add("tagging.WordBoundaryData", [
    (TYPE, "text = 5", lambda: tagging.WordBoundaryData(5)),
    (ABSURD, "seq_len = 0", lambda: tagging.WordBoundaryData("to be or not to be " * 20, seq_len=0)),
    (ABSURD, "val_fraction = 1.5", lambda: tagging.WordBoundaryData("to be or not to be " * 20, seq_len=8, val_fraction=1.5)),
    (ABSURD, "max_chars = 0", lambda: tagging.WordBoundaryData("to be or not to be " * 20, seq_len=8, max_chars=0)),
    (EMPTY, "a text too short", lambda: tagging.WordBoundaryData("to be", seq_len=8)),
    (EMPTY, "no letters", lambda: tagging.WordBoundaryData("123 456 " * 50, seq_len=8)),
    (ABSURD, "batch_size = 0", lambda: tagging.WordBoundaryData("to be or not to be " * 20, seq_len=8, batch_size=0)),
    (NONFINITE, "val_fraction = nan", lambda: tagging.WordBoundaryData("to be or not to be " * 20, seq_len=8, val_fraction=NAN)),
])
add("tagging.lookahead_labels", [
    (DTYPE, "float ids", lambda: tagging.lookahead_labels(torch.zeros(2, 5), 1)),
    (RANK, "1-D ids", lambda: tagging.lookahead_labels(torch.zeros(5, dtype=torch.long), 1)),
    (TYPE, "k = 1.5", lambda: tagging.lookahead_labels(ids(2, 5), 1.5)),
    (TYPE, "k = '1'", lambda: tagging.lookahead_labels(ids(2, 5), "1")),
    (TYPE, "numpy ids", lambda: tagging.lookahead_labels(np.zeros((2, 5), int), 1)),
])
add("tagging.LookaheadTask", [
    (TYPE, "k = 1.5", lambda: tagging.LookaheadTask(1.5)),
    (ABSURD, "vocab_size = 1", lambda: tagging.LookaheadTask(1, vocab_size=1)),
    (ABSURD, "length = 0", lambda: tagging.LookaheadTask(1, length=0)),
    (CLASH, "|k| >= length", lambda: tagging.LookaheadTask(20, length=20)),
    (ABSURD, "sample n = 0", lambda: tagging.LookaheadTask(1).sample(0)),
    (ABSURD, "batches(batch_size=0)", lambda: tagging.LookaheadTask(1).batches(0)),
    (ABSURD, "sample n = 10**9", lambda: tagging.LookaheadTask(1, length=100).sample(10**9)),
    (ABSURD, "length = 10**12", lambda: tagging.LookaheadTask(1, length=10**12).sample(1)),
])


def _tagging_loss(batch, model=None):
    return training.tagging_loss(model or tagger(), batch)


add("training.tagging_loss", [
    (TYPE, "batch a tensor", lambda: _tagging_loss(ids(B, T))),
    (TYPE, "batch of three", lambda: _tagging_loss((ids(B, T), ids(B, T, high=2), ids(B, T)))),
    (SIZE, "labels (B, T+1)", lambda: _tagging_loss((ids(B, T), ids(B, T + 1, high=2)))),
    (DTYPE, "float labels", lambda: _tagging_loss((ids(B, T), torch.zeros(B, T)))),
    (DTYPE, "float ids", lambda: _tagging_loss((torch.zeros(B, T), ids(B, T, high=2)))),
    (IDS, "label = num_tags", lambda: _tagging_loss((ids(B, T), torch.full((B, T), 2)))),
    (IDS, "id = vocab_size", lambda: _tagging_loss((torch.full((B, T), K), ids(B, T, high=2)))),
    (TYPE, "model a string", lambda: _tagging_loss((ids(B, T), ids(B, T, high=2)), model="tagger")),
    (CLASH, "every label IGNORE", lambda: _tagging_loss((ids(B, T), torch.full((B, T), tagging.IGNORE)))),
])
add("tagging.tag_predictions", [
    (DTYPE, "float ids", lambda: tagging.tag_predictions(tagger(), torch.zeros(B, T))),
    (RANK, "1-D ids", lambda: tagging.tag_predictions(tagger(), ids(T))),
    (ABSURD, "batch_size = 0", lambda: tagging.tag_predictions(tagger(), ids(B, T), batch_size=0)),
    (TYPE, "model a string", lambda: tagging.tag_predictions("tagger", ids(B, T))),
    (IDS, "id = vocab_size", lambda: tagging.tag_predictions(tagger(), torch.full((B, T), K))),
    (EMPTY, "no sequences", lambda: tagging.tag_predictions(tagger(), ids(0, T))),
])
add("tagging.tagging_accuracy", [
    (SIZE, "labels of another shape", lambda: tagging.tagging_accuracy(tagger(), ids(B, T), ids(B, T + 1, high=2))),
    (CLASH, "every label IGNORE", lambda: tagging.tagging_accuracy(tagger(), ids(B, T), torch.full((B, T), tagging.IGNORE))),
    (DTYPE, "float labels", lambda: tagging.tagging_accuracy(tagger(), ids(B, T), torch.zeros(B, T))),
    (TYPE, "ids a list", lambda: tagging.tagging_accuracy(tagger(), [[4, 5]], ids(1, 2, high=2))),
    (IDS, "label = num_tags", lambda: tagging.tagging_accuracy(tagger(), ids(B, T), torch.full((B, T), 5))),
])
add("tagging.accuracy_by_position", [
    (SIZE, "labels of another shape", lambda: tagging.accuracy_by_position(tagger(), ids(B, T), ids(B + 1, T, high=2))),
    (DTYPE, "float labels", lambda: tagging.accuracy_by_position(tagger(), ids(B, T), torch.zeros(B, T))),
    (TYPE, "ids numpy", lambda: tagging.accuracy_by_position(tagger(), np.zeros((B, T), int), ids(B, T, high=2))),
])
add("tagging.boundary_f1", [
    (SIZE, "3 predictions for 2 labels", lambda: tagging.boundary_f1(torch.tensor([0, 1, 1]), torch.tensor([0, 1]))),
    (DTYPE, "probabilities as predictions", lambda: tagging.boundary_f1(torch.tensor([0.2, 0.9]), torch.tensor([0, 1]))),
    (TYPE, "lists", lambda: tagging.boundary_f1([0, 1], [0, 1])),
    (IDS, "a label 2", lambda: tagging.boundary_f1(torch.tensor([0, 1]), torch.tensor([0, 2]))),
    (EMPTY, "no tags", lambda: tagging.boundary_f1(torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long))),
])
add("tagging.marked_html", [
    (SIZE, "predictions for 2 of 3 letters", lambda: tagging.marked_html("abc", [0, 1], [0, 0, 1])),
    (TYPE, "letters = 5", lambda: tagging.marked_html(5, [0], [0])),
    (IDS, "a label 2", lambda: tagging.marked_html("ab", [0, 2], [0, 1])),
])

# ==============================================================================================
# tasks
# ==============================================================================================


def _classification_loss(batch, model=None):
    return training.classification_loss(model or classifier(), batch)


add("tasks.RecallTask", [
    (ABSURD, "n_keys = 1", lambda: tasks.RecallTask(n_keys=1)),
    (ABSURD, "n_keys = 0", lambda: tasks.RecallTask(n_keys=0)),
    (ABSURD, "n_distractors = 0", lambda: tasks.RecallTask(n_distractors=0)),
    (TYPE, "n_keys = 2.5", lambda: tasks.RecallTask(n_keys=2.5)),
])
add("tasks.RecallTask.sample", [
    (ABSURD, "n = 0", lambda: tasks.RecallTask().sample(0, 3)),
    (ABSURD, "distance = -1", lambda: tasks.RecallTask().sample(4, -1)),
    (ABSURD, "10**9 sequences", lambda: tasks.RecallTask().sample(10**9, 3)),
    (TYPE, "generator = 5", lambda: tasks.RecallTask().sample(4, 3, generator=5)),
    (TYPE, "distance = 2.5", lambda: tasks.RecallTask().sample(4, 2.5)),
])
add("tasks.RecallTask.batches", [
    (ABSURD, "distance = -1", lambda: tasks.RecallTask().batches(-1)),
    (ABSURD, "batch_size = 0", lambda: tasks.RecallTask().batches(3, batch_size=0)),
])
add("tasks.RecallTask.describe", [
    (RANK, "2-D ids", lambda: tasks.RecallTask().describe(ids(2, 3))),
    (DTYPE, "float ids", lambda: tasks.RecallTask().describe(torch.zeros(3))),
    (IDS, "id = vocab_size", lambda: tasks.RecallTask().describe(torch.tensor([13]))),
    (ABSURD, "30 keys", lambda: tasks.RecallTask(n_keys=30).describe(torch.tensor([0]))),
])
add("training.classification_loss", [
    (TYPE, "batch a tensor", lambda: _classification_loss(ids(B, T))),
    (DTYPE, "float ids", lambda: _classification_loss((torch.zeros(B, T), ids(B, high=3)))),
    (RANK, "labels 2-D", lambda: _classification_loss((ids(B, T), ids(B, 1, high=3)))),
    (IDS, "label = num_classes", lambda: _classification_loss((ids(B, T), torch.full((B,), 3)))),
    (IDS, "id = vocab_size", lambda: _classification_loss((torch.full((B, T), K), ids(B, high=3)))),
    (SIZE, "labels for another batch", lambda: _classification_loss((ids(B, T), ids(B + 1, high=3)))),
    (EMPTY, "no time steps", lambda: _classification_loss((ids(B, 0), ids(B, high=3)))),
])
add("tasks.recall_accuracy", [
    (TYPE, "model a string", lambda: tasks.recall_accuracy("model", tasks.RecallTask(), 3)),
    (TYPE, "task a dict", lambda: tasks.recall_accuracy(classifier(), {"n_keys": 4}, 3)),
    (ABSURD, "distance = -1", lambda: tasks.recall_accuracy(classifier(), tasks.RecallTask(), -1)),
    (ABSURD, "n = 0", lambda: tasks.recall_accuracy(classifier(), tasks.RecallTask(), 3, n=0)),
    (ABSURD, "seed = -1", lambda: tasks.recall_accuracy(classifier(), tasks.RecallTask(), 3, seed=-1)),
    (CLASH, "a model for another vocabulary", lambda: tasks.recall_accuracy(
        models.SequenceClassifier(5, 4, hidden_size=4, embedding_dim=2), tasks.RecallTask(), 3)),
])
add("tasks.gate_bias", [
    (ABSURD, "cell 'rnn'", lambda: tasks.gate_bias("rnn", 1.0)),
    (NONFINITE, "value = nan", lambda: tasks.gate_bias("lstm", NAN)),
    (NONFINITE, "value = inf", lambda: tasks.gate_bias("lstm", INF)),
    (TYPE, "value = '1'", lambda: tasks.gate_bias("lstm", "1")),
    (CLASH, "applied to a GRU model", lambda: tasks.gate_bias("lstm", 1.0)(classifier(cell="gru"))),
    (CLASH, "applied to a scratch core", lambda: tasks.gate_bias("gru", 1.0)(classifier(cell="gru", backend="scratch"))),
])
add("tasks.train_recall", [
    (ABSURD, "cell 'transformer'", lambda: tasks.train_recall("transformer", 3)),
    (ABSURD, "distance = -1", lambda: tasks.train_recall("gru", -1)),
    (ABSURD, "steps = 0", lambda: tasks.train_recall("gru", 3, steps=0)),
    (ABSURD, "lr = 0", lambda: tasks.train_recall("gru", 3, lr=0)),
    (ABSURD, "hidden_size = 0", lambda: tasks.train_recall("gru", 3, hidden_size=0)),
    (TYPE, "task a string", lambda: tasks.train_recall("gru", 3, task="recall")),
])
add("tasks.accuracy_vs_distance", [
    (EMPTY, "no distances", lambda: tasks.accuracy_vs_distance("gru", [])),
    (ABSURD, "distance -1", lambda: tasks.accuracy_vs_distance("gru", [-1], steps=1)),
    (TYPE, "distances a string", lambda: tasks.accuracy_vs_distance("gru", "123", steps=1)),
    (ABSURD, "steps = 0", lambda: tasks.accuracy_vs_distance("gru", [2], steps=0)),
    (ABSURD, "n_test = 0", lambda: tasks.accuracy_vs_distance("gru", [2], steps=1, n_test=0)),
    (TYPE, "seed 'a'", lambda: tasks.accuracy_vs_distance("gru", [2], steps=1, seed="a")),
    (EMPTY, "no seeds", lambda: tasks.accuracy_vs_distance("gru", [2], steps=1, seed=[])),
])
add("tasks.plot_accuracy_vs_distance", [
    (EMPTY, "no sweeps", lambda: tasks.plot_accuracy_vs_distance({})),
    (TYPE, "a list", lambda: tasks.plot_accuracy_vs_distance([{"distances": [1]}])),
    (CLASH, "a sweep without accuracy", lambda: tasks.plot_accuracy_vs_distance({"gru": {"distances": [1], "chance": 0.25}})),
    (SIZE, "accuracy for 3 of 2 distances", lambda: tasks.plot_accuracy_vs_distance(
        {"gru": {"distances": [1, 2], "accuracy": [[0.5, 0.5, 0.5]], "chance": 0.25}})),
    (NONFINITE, "NaN accuracy", lambda: tasks.plot_accuracy_vs_distance(
        {"gru": {"distances": [1, 2], "accuracy": [[NAN, 0.5]], "chance": 0.25}})),
])
add("tasks.input_gradient_norms", [
    (TYPE, "model a CharLM", lambda: tasks.input_gradient_norms(lm(), ids(B, T), ids(B, high=3))),
    (DTYPE, "float ids", lambda: tasks.input_gradient_norms(classifier(), torch.zeros(B, T), ids(B, high=3))),
    (SIZE, "labels for another batch", lambda: tasks.input_gradient_norms(classifier(), ids(B, T), ids(B + 1, high=3))),
    (IDS, "id = vocab_size", lambda: tasks.input_gradient_norms(classifier(), torch.full((B, T), K), ids(B, high=3))),
    (IDS, "label = num_classes", lambda: tasks.input_gradient_norms(classifier(), ids(B, T), torch.full((B,), 3))),
])

# ==============================================================================================
# training
# ==============================================================================================


def _never(generator):
    raise AssertionError("a bad argument must be refused before the first batch")


def _train(**kw):
    kw.setdefault("steps", 2)
    model = kw.pop("model", None) or lm()
    batches = kw.pop("batches", _never)
    return training.train(model, batches, **{"progress": False, **kw})


add("training.train", [
    (ABSURD, "steps = 0", lambda: _train(steps=0), r"steps must be a positive integer, got 0"),
    (TYPE, "steps = 2.5", lambda: _train(steps=2.5)),
    (ABSURD, "steps = 10**12", lambda: _train(steps=10**12)),
    (ABSURD, "lr = -1e-3", lambda: _train(lr=-1e-3), r"lr must be a positive number, got -0.001"),
    (ABSURD, "lr = 0", lambda: _train(lr=0.0)),
    (NONFINITE, "lr = inf", lambda: _train(lr=INF), r"lr must be a finite positive number, got inf"),
    (NONFINITE, "lr = nan", lambda: _train(lr=NAN)),
    (TYPE, "lr = '3e-3'", lambda: _train(lr="3e-3")),
    (ABSURD, "clip_norm = 0", lambda: _train(clip_norm=0), r"clip_norm must be a positive number, got 0"),
    (NONFINITE, "clip_norm = nan", lambda: _train(clip_norm=NAN)),
    (ABSURD, "clip_value = -1", lambda: _train(clip_value=-1), r"clip_value must be a positive number, got -1"),
    (NONFINITE, "clip_value = inf", lambda: _train(clip_value=INF)),
    (ABSURD, "eval_every = 0", lambda: _train(eval_every=0), r"eval_every must be a positive integer, got 0"),
    (TYPE, "seed = 1.5", lambda: _train(seed=1.5)),
    (TYPE, "batches a list", lambda: _train(batches=[1, 2]), r"batches must be a callable"),
    (TYPE, "val_batches an iterator", lambda: _train(val_batches=iter([])),
     r"val_batches must be a (callable|function).*got list_iterator"),
    (TYPE, "loss_fn = 5", lambda: _train(loss_fn=5)),
    (TYPE, "optimizer 'adam'", lambda: _train(optimizer="adam")),
    (ABSURD, "weight_decay = -1", lambda: _train(weight_decay=-1.0)),
    (NONFINITE, "weight_decay = nan", lambda: _train(weight_decay=NAN)),
    (TYPE, "clip = 5", lambda: _train(clip=5)),
    (CLASH, "clip and clip_norm together", lambda: _train(clip=lambda ps: None, clip_norm=1.0)),
    (TYPE, "on_step = 'print'", lambda: _train(on_step="print")),
    (TYPE, "on_eval = 5", lambda: _train(on_eval=5)),
    (ABSURD, "max_seconds = 0", lambda: _train(max_seconds=0)),
    (NONFINITE, "max_seconds = nan", lambda: _train(max_seconds=NAN)),
    (ABSURD, "max_seconds = -1", lambda: _train(max_seconds=-1)),
    (TYPE, "progress = 'yes'", lambda: _train(progress="yes")),
    (TYPE, "stop_on_nan = 'yes'", lambda: _train(stop_on_nan="yes")),
    (TYPE, "model a string", lambda: _train(model="lm")),
    (TYPE, "a batch that is a string", lambda: _train(batches=lambda g: "abc", steps=1)),
    (TYPE, "a batch of three tensors", lambda: _train(batches=lambda g: (ids(B, T),) * 3, steps=1)),
    (CLASH, "a model without trainable parameters", lambda: _train(
        model=(lambda m: [p.requires_grad_(False) for p in m.parameters()] and m)(lm()))),
    (TYPE, "schedule = 5", lambda: _train(schedule=5)),
    (CLASH, "all-<PAD> targets", lambda: _train(batches=lambda g: (ids(B, T), torch.zeros(B, T, dtype=torch.long)), steps=1)),
    (IDS, "targets of id = vocab_size", lambda: _train(batches=lambda g: (ids(B, T), torch.full((B, T), K)), steps=1)),
])
add("training.lm_loss", [
    (TYPE, "batch a tensor", lambda: training.lm_loss(lm(), ids(B, T))),
    (TYPE, "batch of three", lambda: training.lm_loss(lm(), (ids(B, T),) * 3)),
    (DTYPE, "float targets", lambda: training.lm_loss(lm(), (ids(B, T), torch.zeros(B, T)))),
    (SIZE, "targets (B, T+1)", lambda: training.lm_loss(lm(), (ids(B, T), ids(B, T + 1)))),
    (CLASH, "every target padding", lambda: training.lm_loss(lm(), (torch.ones(B, T, dtype=torch.long), torch.zeros(B, T, dtype=torch.long))),
     r"every target is padding \(id 0\)"),
    (IDS, "target = vocab_size", lambda: training.lm_loss(lm(), (ids(B, T), torch.full((B, T), K)))),
    (IDS, "negative target", lambda: training.lm_loss(lm(), (ids(B, T), torch.full((B, T), -5)))),
    (IDS, "input id = vocab_size", lambda: training.lm_loss(lm(), (torch.full((B, T), K), ids(B, T)))),
    (TYPE, "model a string", lambda: training.lm_loss("lm", lm_batch())),
    (TYPE, "numpy inputs", lambda: training.lm_loss(lm(), (np.zeros((B, T), int), ids(B, T)))),
    (RANK, "1-D targets", lambda: training.lm_loss(lm(), (ids(B, T), ids(B * T)))),
])
add("training.model_device", [
    (TYPE, "a string", lambda: training.model_device("model")),
    (CLASH, "a module without parameters", lambda: training.model_device(nn.ReLU())),
])
add("training.gradient_norm", [
    (TYPE, "one number", lambda: training.gradient_norm(3.0), r"parameters must be a tensor or an iterable of tensors.*got float"),
    (TYPE, "a list holding a number", lambda: training.gradient_norm([torch.zeros(2), 3.0])),
    (TYPE, "a dict", lambda: training.gradient_norm({"w": torch.zeros(2)})),
    (TYPE, "a string", lambda: training.gradient_norm("weights")),
    (TYPE, "a model", lambda: training.gradient_norm(lm())),
])
add("training.clip_by_norm", [
    (ABSURD, "max_norm = 0", lambda: training.clip_by_norm(with_grads(3), 0.0), r"max_norm must be a positive number, got 0.0"),
    (NONFINITE, "max_norm = inf", lambda: training.clip_by_norm(with_grads(3), INF), r"max_norm must be a finite positive number, got inf"),
    (NONFINITE, "max_norm = nan", lambda: training.clip_by_norm(with_grads(3), NAN)),
    (ABSURD, "max_norm = -1", lambda: training.clip_by_norm(with_grads(3), -1.0)),
    (TYPE, "max_norm = '1'", lambda: training.clip_by_norm(with_grads(3), "1")),
    (TYPE, "parameters = 5", lambda: training.clip_by_norm(5, 1.0)),
    (TYPE, "a list holding None", lambda: training.clip_by_norm([None], 1.0)),
])
add("training.clip_by_value", [
    (ABSURD, "max_value = -1", lambda: training.clip_by_value(with_grads(3), -1.0), r"max_value must be a positive number, got -1.0"),
    (ABSURD, "max_value = 0", lambda: training.clip_by_value(with_grads(3), 0)),
    (NONFINITE, "max_value = nan", lambda: training.clip_by_value(with_grads(3), NAN)),
    (NONFINITE, "max_value = inf", lambda: training.clip_by_value(with_grads(3), INF)),
    (TYPE, "parameters = 'w'", lambda: training.clip_by_value("w", 1.0)),
])
add("training.evaluate", [
    (TYPE, "one batch", lambda: training.evaluate(lm(), lm_batch()), r"iterable of \(inputs, targets\) batches, got one batch"),
    (EMPTY, "no batches", lambda: training.evaluate(lm(), []), r"no targets"),
    (TYPE, "batches = 5", lambda: training.evaluate(lm(), 5)),
    (TYPE, "loss_fn = 'lm'", lambda: training.evaluate(lm(), [lm_batch()], loss_fn="lm")),
    (TYPE, "a batch of three", lambda: training.evaluate(lm(), [(ids(B, T),) * 3])),
    (TYPE, "model a string", lambda: training.evaluate("lm", [lm_batch()])),
    (EMPTY, "only all-<PAD> batches", lambda: training.evaluate(lm(), [(ids(B, T), torch.zeros(B, T, dtype=torch.long))])),
    (IDS, "target = vocab_size", lambda: training.evaluate(lm(), [(ids(B, T), torch.full((B, T), K))])),
    (TYPE, "pad_id = 'pad'", lambda: training.evaluate(lm(), [lm_batch()], pad_id="pad")),
])
add("training.eval_mode", [
    (TYPE, "a string", lambda: training.eval_mode("model").__enter__()),
])
add("training.seconds_per_step", [
    (ABSURD, "repeats = 0", lambda: training.seconds_per_step(lm(), lm_batch(), repeats=0)),
    (ABSURD, "repeats = 10**9", lambda: training.seconds_per_step(lm(), lm_batch(), repeats=10**9)),
    (TYPE, "batch a tensor", lambda: training.seconds_per_step(lm(), ids(B, T))),
    (TYPE, "model a string", lambda: training.seconds_per_step("lm", lm_batch())),
    (TYPE, "loss_fn = 5", lambda: training.seconds_per_step(lm(), lm_batch(), loss_fn=5)),
])
add("training.bits_per_char", [
    (TYPE, "a string", lambda: training.bits_per_char("1.5")),
    (ABSURD, "-1", lambda: training.bits_per_char(-1.0)),
    (TYPE, "None", lambda: training.bits_per_char(None)),
    (TYPE, "a tensor of two", lambda: training.bits_per_char(torch.ones(2))),
])
add("training.perplexity", [
    (ABSURD, "-1", lambda: training.perplexity(-1.0), r"nats must be >= 0.*got -1.0"),
    (TYPE, "a list", lambda: training.perplexity([1.0])),
    (TYPE, "True", lambda: training.perplexity(True)),
])

# ==============================================================================================
# cells
# ==============================================================================================
CELL_KINDS = ("rnn", "simple_gru", "gru", "lstm")


def state_for(kind, batch=B, hidden=J, dtype=torch.float32):
    h = torch.zeros(batch, hidden, dtype=dtype)
    return (h, h.clone()) if kind == "lstm" else h


add("cells.make_cell", [
    (ABSURD, "kind 'elman'", lambda: cells.make_cell("elman", D, J), r"one of \['gru', 'lstm', 'rnn', 'simple_gru'\], got 'elman'"),
    (TYPE, "kind = nn.GRU", lambda: cells.make_cell(nn.GRU, D, J)),
    (ABSURD, "input_size = 0", lambda: cells.make_cell("gru", 0, J)),
])
for _kind in CELL_KINDS:
    _cls = cells.CELLS[_kind].__name__
    add(f"cells.{_cls}", [
        (ABSURD, "input_size = 0", lambda k=_kind: cells.make_cell(k, 0, J), r"input_size must be a positive integer, got 0"),
        (TYPE, "hidden_size = 2.5", lambda k=_kind: cells.make_cell(k, D, 2.5), r"hidden_size must be a positive integer, got 2.5"),
        (ABSURD, "hidden_size = 10**6", lambda k=_kind: cells.make_cell(k, D, 10**6)),
        (TYPE, "hidden_size = '6'", lambda k=_kind: cells.make_cell(k, D, "6")),
    ])
    add(f"cells.{_cls}.step", [
        (RANK, "x_t 3-D", lambda k=_kind: cell(k).step(xs(B, T, D), state_for(k)), r"x_t must have shape \(\*, 4\), got \(2, 3, 4\)"),
        (SIZE, "x_t of D+1", lambda k=_kind: cell(k).step(xs(B, D + 1), state_for(k)), r"x_t must have shape \(\*, 4\), got \(2, 5\)"),
        (DTYPE, "x_t of ints", lambda k=_kind: cell(k).step(torch.ones(B, D, dtype=torch.long), state_for(k)),
         r"x_t must hold floating-point numbers, got dtype torch.int64"),
        (TYPE, "x_t numpy", lambda k=_kind: cell(k).step(np.zeros((B, D)), state_for(k)), r"x_t must be a torch.Tensor, got ndarray"),
        (CLASH, "a state for another batch size", lambda k=_kind: cell(k).step(xs(B, D), state_for(k, B + 1))),
        (SIZE, "a state of J+1", lambda k=_kind: cell(k).step(xs(B, D), state_for(k, hidden=J + 1))),
        (DTYPE, "float64 x_t for float32 weights", lambda k=_kind: cell(k).step(xs(B, D, dtype=torch.float64), state_for(k))),
        (TYPE, "state None", lambda k=_kind: cell(k).step(xs(B, D), None)),
        (RANK, "x_t 1-D", lambda k=_kind: cell(k).step(xs(D), state_for(k))),
    ])
    add(f"cells.{_cls}.project", [
        (SIZE, "xs of D+1", lambda k=_kind: cell(k).project(xs(B, T, D + 1))),
        (DTYPE, "xs of ints", lambda k=_kind: cell(k).project(torch.ones(B, T, D, dtype=torch.long))),
        (TYPE, "xs a list", lambda k=_kind: cell(k).project([[0.0] * D])),
    ])
    add(f"cells.{_cls}.recur", [
        (SIZE, "a projection of D, not G*J", lambda k=_kind: cell(k).recur(xs(B, D), state_for(k))),
        (CLASH, "a state for another batch size", lambda k=_kind: cell(k).recur(
            cell(k).project(xs(B, D)), state_for(k, B + 1))),
        (DTYPE, "a projection of ints", lambda k=_kind: cell(k).recur(
            torch.ones(B, cell(k).U.shape[0], dtype=torch.long), state_for(k))),
    ])
    add(f"cells.{_cls}.init_state", [
        (ABSURD, "batch_size = 0", lambda k=_kind: cell(k).init_state(0), r"batch_size must be a positive integer, got 0"),
        (TYPE, "batch_size = 1.5", lambda k=_kind: cell(k).init_state(1.5)),
        (ABSURD, "batch_size = 10**9", lambda k=_kind: cell(k).init_state(10**9)),
    ])
    add(f"cells.{_cls}.block", [
        (ABSURD, "gate 'z'", lambda k=_kind: cell(k).block("z")),
        (ABSURD, "matrix 'X'", lambda k=_kind: cell(k).block(cell(k).gate_names[0], "X")),
    ])
    if cells.CELLS[_kind].torch_class is not None and _kind != "simple_gru":
        add(f"cells.{_cls}.load_torch_weights", [
            (TYPE, "a torch.nn.Linear", lambda k=_kind: cell(k).load_torch_weights(nn.Linear(D, J))),
            (SIZE, "a module of J+2", lambda k=_kind: cell(k).load_torch_weights(cells.CELLS[k].torch_class(D, J + 2))),
            (IDS, "layer 2 of a 1-layer module", lambda k=_kind: cell(k).load_torch_weights(cells.CELLS[k].torch_class(D, J), layer=2)),
            (IDS, "the reverse direction of a one-way module", lambda k=_kind: cell(k).load_torch_weights(
                cells.CELLS[k].torch_class(D, J), reverse=True)),
            (IDS, "layer = -1", lambda k=_kind: cell(k).load_torch_weights(cells.CELLS[k].torch_class(D, J), layer=-1)),
        ])
    if _kind != "rnn":
        add(f"cells.{_cls}.gates", [
            (RANK, "x_t 3-D", lambda k=_kind: cell(k).gates(xs(B, T, D), state_for(k))),
            (CLASH, "a state for another batch size", lambda k=_kind: cell(k).gates(xs(B, D), state_for(k, B + 1))),
            (SIZE, "a state of J+1", lambda k=_kind: cell(k).gates(xs(B, D), state_for(k, hidden=J + 1))),
            (DTYPE, "x_t of ints", lambda k=_kind: cell(k).gates(torch.ones(B, D, dtype=torch.long), state_for(k))),
        ])
add("cells.LSTMCell.step (state)", [
    (TYPE, "a tensor instead of (h, c)", lambda: cell("lstm").step(xs(B, D), torch.zeros(B, J)),
     r"LSTM state must be a pair \(h, c\).*got Tensor"),
    (SIZE, "c of J+1", lambda: cell("lstm").step(xs(B, D), (torch.zeros(B, J), torch.zeros(B, J + 1))),
     r"c_prev must have shape \(2, 6\), got \(2, 7\)"),
    (TYPE, "a triple", lambda: cell("lstm").step(xs(B, D), (torch.zeros(B, J),) * 3)),
])
add("cells.GRUCell", [
    (ABSURD, "reset 'middle'", lambda: cells.GRUCell(D, J, reset="middle"), r"reset must be 'after'.*got 'middle'"),
    (TYPE, "GRU weights into an LSTM cell", lambda: cells.LSTMCell(D, J).load_torch_weights(nn.GRU(D, J)),
     r"LSTMCell loads from torch.nn.LSTM, got GRU"),
])

# ==============================================================================================
# recurrent
# ==============================================================================================
add("recurrent.RecurrentNet", [
    (ABSURD, "kind 'elman'", lambda: recurrent.RecurrentNet("elman", D, J), r"kind must be one of 'rnn', 'simple_gru', 'gru', 'lstm', got 'elman'"),
    (ABSURD, "num_layers = 0", lambda: net(num_layers=0), r"num_layers must be a positive integer, got 0"),
    (ABSURD, "num_layers = 10**5", lambda: net(num_layers=10**5)),
    (TYPE, "bidirectional = 'yes'", lambda: net(bidirectional="yes")),
    (TYPE, "residual = 'yes'", lambda: net(residual="yes")),
    (CLASH, "residual with input_size != hidden_size in layer 2", lambda: recurrent.RecurrentNet(
        "gru", D, J, num_layers=1, residual=True)(xs(B, T, D + 1))),
])
add("recurrent.RecurrentNet.forward", [
    (RANK, "xs 2-D", lambda: net()(xs(T, D)), r"xs must have shape \(\*, \*, 4\), got \(3, 4\)"),
    (EMPTY, "no time steps", lambda: net()(xs(B, 0, D)), r"at least one time step, got shape \(2, 0, 4\)"),
    (EMPTY, "no sequences", lambda: net()(xs(0, T, D))),
    (SIZE, "xs of D+1", lambda: net()(xs(B, T, D + 1)), r"xs must have shape \(\*, \*, 4\), got \(2, 3, 5\)"),
    (DTYPE, "xs of ints", lambda: net()(torch.ones(B, T, D, dtype=torch.long)), r"xs must hold floating-point numbers, got dtype torch.int64"),
    (RANK, "h_0 (B, J) for 2 layers", lambda: net(num_layers=2)(xs(B, T, D), torch.zeros(B, J)), r"h_0 must have shape \(2, 2, 6\), got \(2, 6\)"),
    (CLASH, "h_0 for another batch size", lambda: net()(xs(B, T, D), torch.zeros(1, B + 1, J))),
    (TYPE, "an LSTM state that is a tensor", lambda: net("lstm")(xs(B, T, D), torch.zeros(1, B, J)),
     r"LSTM state must be a pair \(h_0, c_0\).*got Tensor"),
    (SIZE, "c_0 of 2 layers for 1", lambda: net("lstm")(xs(B, T, D), (torch.zeros(1, B, J), torch.zeros(2, B, J))),
     r"c_0 must have shape \(1, 2, 6\), got \(2, 2, 6\)"),
    (TYPE, "xs numpy", lambda: net()(np.zeros((B, T, D)))),
    (DTYPE, "float64 xs for float32 weights", lambda: net()(xs(B, T, D, dtype=torch.float64))),
    (ABSURD, "a length of 0", lambda: net()(xs(B, T, D), lengths=torch.tensor([3, 0]))),
    (IDS, "a length above T", lambda: net()(xs(B, T, D), lengths=torch.tensor([3, 4]))),
    (SIZE, "lengths for another batch size", lambda: net()(xs(B, T, D), lengths=torch.tensor([3]))),
    (DTYPE, "float lengths", lambda: net()(xs(B, T, D), lengths=torch.tensor([3.0, 2.0]))),
    (RANK, "2-D lengths", lambda: net()(xs(B, T, D), lengths=torch.tensor([[3, 2]]))),
    (TYPE, "lengths a string", lambda: net()(xs(B, T, D), lengths="3, 2")),
])
add("recurrent.RecurrentNet.step", [
    (RANK, "x_t 3-D", lambda: net("rnn").step(xs(B, T, D)), r"x_t must have shape \(\*, 4\), got \(2, 3, 4\)"),
    (CLASH, "a bidirectional net", lambda: net("rnn", bidirectional=True).step(xs(B, D)), r"bidirectional.*END of the sequence"),
    (CLASH, "a state for another batch size", lambda: net().step(xs(B, D), torch.zeros(1, B + 1, J))),
    (DTYPE, "x_t of ints", lambda: net().step(torch.ones(B, D, dtype=torch.long))),
])
add("recurrent.RecurrentNet.init_state", [
    (ABSURD, "batch_size = 0", lambda: net().init_state(0)),
    (ABSURD, "batch_size = 10**9", lambda: net().init_state(10**9)),
])
add("recurrent.RecurrentNet.from_torch", [
    (TYPE, "a torch.nn.Linear", lambda: recurrent.RecurrentNet.from_torch(nn.Linear(D, J)), r"expected torch.nn.RNN, GRU or LSTM, got Linear"),
    (CLASH, "batch_first=False", lambda: recurrent.RecurrentNet.from_torch(nn.GRU(D, J)), r"batch_first=True"),
    (CLASH, "nonlinearity relu", lambda: recurrent.RecurrentNet.from_torch(nn.RNN(D, J, nonlinearity="relu", batch_first=True)), r"nonlinearity='tanh'"),
    (CLASH, "proj_size", lambda: recurrent.RecurrentNet.from_torch(nn.LSTM(D, J, proj_size=2, batch_first=True)), r"proj_size"),
])
add("recurrent.Unrolled", [
    (RANK, "xs 2-D", lambda: recurrent.Unrolled(cells.RNNCell(D, J))(xs(B, T)), r"xs must have shape \(\*, \*, 4\), got \(2, 3\)"),
    (TYPE, "cell a torch.nn.GRUCell", lambda: recurrent.Unrolled(nn.GRUCell(D, J))),
    (CLASH, "a state for another batch size", lambda: recurrent.Unrolled(cells.RNNCell(D, J))(xs(B, T, D), torch.zeros(B + 1, J))),
    (IDS, "a length above T", lambda: recurrent.Unrolled(cells.RNNCell(D, J))(xs(B, T, D), lengths=torch.tensor([9, 1]))),
])
add("recurrent.Bidirectional", [
    (CLASH, "the same cell twice", lambda: (lambda c: recurrent.Bidirectional(c, c))(cells.RNNCell(D, J)), r"needs its own cell"),
    (CLASH, "cells of different sizes", lambda: recurrent.Bidirectional(cells.RNNCell(D, J), cells.RNNCell(D, J + 1))),
    (CLASH, "cells of different kinds", lambda: recurrent.Bidirectional(cells.RNNCell(D, J), cells.GRUCell(D, J))),
    (TYPE, "a torch cell", lambda: recurrent.Bidirectional(nn.RNNCell(D, J), nn.RNNCell(D, J))),
    (RANK, "xs 2-D", lambda: recurrent.Bidirectional(cells.RNNCell(D, J), cells.RNNCell(D, J))(xs(T, D))),
])
add("recurrent.check_lengths", [
    (DTYPE, "float lengths", lambda: recurrent.check_lengths(torch.tensor([1.0, 2.0]), 2, 3)),
    (IDS, "a length of 0", lambda: recurrent.check_lengths(torch.tensor([0, 2]), 2, 3)),
    (IDS, "a length above steps", lambda: recurrent.check_lengths(torch.tensor([4, 2]), 2, 3)),
    (SIZE, "3 lengths for 2 sequences", lambda: recurrent.check_lengths(torch.tensor([1, 2, 3]), 2, 3)),
    (TYPE, "a string", lambda: recurrent.check_lengths("12", 2, 3)),
])


def _make_core(*args, **kw):
    return recurrent.make_core(*args, **kw)


add("recurrent.make_core", [
    (ABSURD, "kind 'transformer'", lambda: _make_core("transformer", D, J)),
    (ABSURD, "backend 'jax'", lambda: _make_core("gru", D, J, backend="jax")),
    (CLASH, "simple_gru with the torch backend", lambda: _make_core("simple_gru", D, J, backend="torch")),
    (ABSURD, "num_layers = 0", lambda: _make_core("gru", D, J, num_layers=0)),
    (ABSURD, "hidden_size = 0", lambda: _make_core("gru", D, 0)),
    (TYPE, "input_size = 2.5", lambda: _make_core("gru", 2.5, J)),
    (TYPE, "bidirectional = 'yes'", lambda: _make_core("gru", D, J, bidirectional="yes")),
    (TYPE, "residual = 'yes'", lambda: _make_core("gru", D, J, residual="yes")),
    (ABSURD, "hidden_size = 10**6", lambda: _make_core("gru", D, 10**6)),
    (ABSURD, "num_layers = 10**5", lambda: _make_core("gru", D, J, num_layers=10**5, backend="torch")),
])
add("recurrent.split_state", [
    (RANK, "a 2-D state", lambda: recurrent.split_state(torch.zeros(B, J), num_layers=1)),
    (SIZE, "a state for 1 layer of 2", lambda: recurrent.split_state(torch.zeros(1, B, J), num_layers=2)),
    (TYPE, "an LSTM state that is a tensor", lambda: recurrent.split_state(torch.zeros(1, B, J), num_layers=1, is_lstm=True)),
    (TYPE, "a list of numbers", lambda: recurrent.split_state([1.0, 2.0], num_layers=1)),
])
add("recurrent.join_state", [
    (EMPTY, "no states", lambda: recurrent.join_state([], False)),
    (CLASH, "states of different batch sizes", lambda: recurrent.join_state([torch.zeros(B, J), torch.zeros(B + 1, J)], False)),
    (TYPE, "tensors for an LSTM", lambda: recurrent.join_state([torch.zeros(B, J)], True)),
    (TYPE, "is_lstm = 'no'", lambda: recurrent.join_state([torch.zeros(B, J)], "no")),
])


def _stack(**kw):
    cls = getattr(recurrent, "ResidualStack", None) or stacking.ResidualStack
    return cls(**{"kind": "gru", "input_size": D, "hidden_size": J, "num_layers": 2, **kw})


add("recurrent.ResidualStack", [
    (ABSURD, "kind 'elman'", lambda: _stack(kind="elman")),
    (ABSURD, "num_layers = 0", lambda: _stack(num_layers=0)),
    (CLASH, "simple_gru (no torch module)", lambda: _stack(kind="simple_gru")),
    (RANK, "xs 2-D", lambda: _stack()(xs(T, D))),
    (SIZE, "xs of D+1", lambda: _stack()(xs(B, T, D + 1))),
    (DTYPE, "xs of ints", lambda: _stack()(torch.ones(B, T, D, dtype=torch.long))),
    (CLASH, "a state for another batch size", lambda: _stack()(xs(B, T, D), torch.zeros(2, B + 1, J))),
    (SIZE, "a state for 1 layer of 2", lambda: _stack()(xs(B, T, D), torch.zeros(1, B, J))),
    (TYPE, "an LSTM state that is a tensor", lambda: _stack(kind="lstm")(xs(B, T, D), torch.zeros(2, B, J))),
    (EMPTY, "no time steps", lambda: _stack()(xs(B, 0, D))),
    (RANK, "forward_layers with xs 2-D", lambda: _stack().forward_layers(xs(T, D))),
    (TYPE, "from_torch of a Linear", lambda: (getattr(recurrent, "ResidualStack", None) or stacking.ResidualStack).from_torch(nn.Linear(D, J))),
])

# ==============================================================================================
# models
# ==============================================================================================
add("models.CharLM", [
    (ABSURD, "vocab_size = 0", lambda: models.CharLM(0), r"vocab_size must be a positive integer, got 0"),
    (ABSURD, "cell 'transformer'", lambda: models.CharLM(9, cell="transformer"), r"cell must be one of 'rnn', 'simple_gru', 'gru', 'lstm', 'mingru', 'minlstm', 'lru', got 'transformer'"),
    (ABSURD, "backend 'jax'", lambda: models.CharLM(9, backend="jax"), r"backend must be one of 'scratch', 'torch', got 'jax'"),
    (ABSURD, "embedding_dim = 0", lambda: models.CharLM(9, embedding_dim=0), r"embedding_dim must be a positive integer, got 0"),
    (ABSURD, "hidden_size = -8", lambda: models.CharLM(9, hidden_size=-8)),
    (ABSURD, "num_layers = 0", lambda: models.CharLM(9, num_layers=0)),
    (TYPE, "vocab_size a Vocab", lambda: models.CharLM(VOCAB)),
    (TYPE, "residual = 'yes'", lambda: models.CharLM(9, residual="yes")),
    (ABSURD, "hidden_size = 10**6", lambda: models.CharLM(9, hidden_size=10**6)),
    (ABSURD, "vocab_size = 10**9 (one-hot input)", lambda: models.CharLM(10**9)),
    (CLASH, "simple_gru on the torch backend", lambda: models.CharLM(9, cell="simple_gru", backend="torch")),
])
for _backend in ("scratch", "torch"):
    add(f"models.CharLM.forward ({_backend})", [
        (DTYPE, "float ids", lambda b=_backend: lm(backend=b)(torch.zeros(B, T)), r"integer token ids, got dtype torch.float32"),
        (DTYPE, "bool ids", lambda b=_backend: lm(backend=b)(torch.zeros(B, T, dtype=torch.bool)), r"integer token ids, got dtype torch.bool"),
        (RANK, "1-D ids", lambda b=_backend: lm(backend=b)(torch.zeros(T, dtype=torch.long)), r"token ids must be 2-D, got shape \(3,\) \(1-D\)"),
        (RANK, "3-D ids", lambda b=_backend: lm(backend=b)(ids(B, T, 1))),
        (IDS, "id = vocab_size", lambda b=_backend: lm(backend=b)(torch.full((B, T), 9)), r"token ids must lie in \[0, 9\), got values from 9 to 9"),
        (IDS, "id -1", lambda b=_backend: lm(backend=b)(torch.full((B, T), -1)), r"must lie in \[0, 9\), got values from -1"),
        (TYPE, "numpy ids", lambda b=_backend: lm(backend=b)(np.zeros((B, T), dtype=int)), r"token ids must be a torch.Tensor, got ndarray"),
        (EMPTY, "no time steps", lambda b=_backend: lm(backend=b)(ids(B, 0))),
        (EMPTY, "no sequences", lambda b=_backend: lm(backend=b)(ids(0, T))),
        (CLASH, "a state for another batch size", lambda b=_backend: lm(backend=b)(ids(B, T), torch.zeros(1, B + 1, 8))),
        (SIZE, "a state of another hidden size", lambda b=_backend: lm(backend=b)(ids(B, T), torch.zeros(1, B, 9))),
        (RANK, "a state (B, J)", lambda b=_backend: lm(backend=b)(ids(B, T), torch.zeros(B, 8))),
        (TYPE, "an LSTM state that is a tensor", lambda b=_backend: lm(backend=b, cell="lstm")(ids(B, T), torch.zeros(1, B, 8))),
        (TYPE, "a list of ids", lambda b=_backend: lm(backend=b)([[4, 5]])),
    ])
    add(f"models.CharLM.step ({_backend})", [
        (RANK, "2-D ids", lambda b=_backend: lm(backend=b).step(torch.zeros(B, T, dtype=torch.long)), r"token ids must be 1-D, got shape \(2, 3\)"),
        (IDS, "id = vocab_size", lambda b=_backend: lm(backend=b).step(torch.full((B,), K))),
        (DTYPE, "float ids", lambda b=_backend: lm(backend=b).step(torch.zeros(B))),
        (CLASH, "a state for another batch size", lambda b=_backend: lm(backend=b).step(ids(B), torch.zeros(1, B + 1, 8))),
        (SIZE, "a state of another hidden size", lambda b=_backend: lm(backend=b).step(ids(B), torch.zeros(1, B, 9))),
    ])
add("models.CharLM (residual)", [
    (CLASH, "residual with one layer", lambda: models.CharLM(9, hidden_size=8, residual=True, num_layers=1, backend="torch")(ids(B, T))),
    (CLASH, "residual on the scratch backend with one-hot input of another width", lambda: models.CharLM(
        9, hidden_size=8, num_layers=2, residual=True, backend="scratch")(ids(B, T, high=99))),
])
add("models.SequenceClassifier", [
    (ABSURD, "num_classes = 0", lambda: models.SequenceClassifier(K, 0)),
    (ABSURD, "num_classes = 1", lambda: models.SequenceClassifier(K, 1)),
    (ABSURD, "embedding_dim = 0", lambda: models.SequenceClassifier(K, 3, embedding_dim=0)),
    (ABSURD, "cell 'transformer'", lambda: models.SequenceClassifier(K, 3, cell="transformer")),
    (TYPE, "read = 'last'", lambda: models.SequenceClassifier(K, 3, read="last")),
    (TYPE, "bidirectional = 'yes'", lambda: models.SequenceClassifier(K, 3, bidirectional="yes")),
])
add("models.SequenceClassifier.forward", [
    (DTYPE, "float ids", lambda: classifier()(torch.zeros(B, T))),
    (RANK, "1-D ids", lambda: classifier()(ids(T))),
    (IDS, "id = vocab_size", lambda: classifier()(torch.full((B, T), K))),
    (EMPTY, "no time steps", lambda: classifier()(ids(B, 0))),
    (TYPE, "numpy ids", lambda: classifier()(np.zeros((B, T), int))),
    (SIZE, "a read that returns (B, T, J)", lambda: classifier(read=lambda out, lengths: out)(ids(B, T))),
    (IDS, "a length above T", lambda: classifier()(ids(B, T), lengths=torch.tensor([T + 1, 1]))),
    (SIZE, "lengths for another batch", lambda: classifier()(ids(B, T), lengths=torch.tensor([1]))),
])
add("models.SequenceTagger", [
    (ABSURD, "num_tags = 0", lambda: models.SequenceTagger(K, 0)),
    (ABSURD, "hidden_size = 0", lambda: models.SequenceTagger(K, 2, hidden_size=0)),
    (ABSURD, "backend 'jax'", lambda: models.SequenceTagger(K, 2, backend="jax")),
])
add("models.SequenceTagger.forward", [
    (DTYPE, "float ids", lambda: tagger()(torch.zeros(B, T))),
    (RANK, "1-D ids", lambda: tagger()(ids(T))),
    (IDS, "id = vocab_size", lambda: tagger()(torch.full((B, T), K))),
    (IDS, "id -1", lambda: tagger()(torch.full((B, T), -1))),
    (EMPTY, "no time steps", lambda: tagger()(ids(B, 0))),
])
add("models.count_parameters", [
    (TYPE, "a list of tensors", lambda: models.count_parameters([torch.zeros(2)])),
    (TYPE, "a string", lambda: models.count_parameters("lm")),
])

# ==============================================================================================
# stacking
# ==============================================================================================
add("stacking.schedule", [
    (ABSURD, "num_layers = 0", lambda: stacking.schedule(0, 3)),
    (ABSURD, "order 'random'", lambda: stacking.schedule(2, 3, "random")),
    (ABSURD, "10**4 x 10**4 cells", lambda: stacking.schedule(10**4, 10**4)),
    (TYPE, "steps = 2.5", lambda: stacking.schedule(2, 2.5)),
])
add("stacking.order_grid", [
    (ABSURD, "steps = 0", lambda: stacking.order_grid(2, 0)),
    (ABSURD, "order 'reverse'", lambda: stacking.order_grid(2, 3, "reverse")),
])
add("stacking.check_schedule", [
    (TYPE, "a string", lambda: stacking.check_schedule("diagonal", 2, 3)),
    (EMPTY, "no cells", lambda: stacking.check_schedule([], 2, 3)),
    (IDS, "a cell outside the stack", lambda: stacking.check_schedule([(0, 0), (5, 0)], 2, 1)),
    (CLASH, "a cell twice", lambda: stacking.check_schedule([(0, 0), (0, 0)], 1, 1)),
    (CLASH, "a cell before the one below it", lambda: stacking.check_schedule([(1, 0), (0, 0)], 2, 1)),
    (TYPE, "pairs of floats", lambda: stacking.check_schedule([(0.0, 0.0)], 1, 1)),
    (TYPE, "triples", lambda: stacking.check_schedule([(0, 0, 0)], 1, 1)),
])
add("stacking.run_in_order", [
    (TYPE, "a torch.nn.GRU", lambda: stacking.run_in_order(nn.GRU(D, J, batch_first=True), xs(B, T, D))),
    (CLASH, "a bidirectional net", lambda: stacking.run_in_order(net(bidirectional=True), xs(B, T, D))),
    (RANK, "xs 2-D", lambda: stacking.run_in_order(net(), xs(T, D))),
    (ABSURD, "order 'random'", lambda: stacking.run_in_order(net(), xs(B, T, D), "random")),
    (CLASH, "a schedule for another size", lambda: stacking.run_in_order(net(), xs(B, T, D), [(0, 0)])),
    (CLASH, "a state for another batch size", lambda: stacking.run_in_order(net(), xs(B, T, D), state=torch.zeros(1, B + 1, J))),
    (EMPTY, "no time steps", lambda: stacking.run_in_order(net(), xs(B, 0, D))),
])
add("stacking.wavefront", [
    (TYPE, "a torch.nn.LSTM", lambda: stacking.wavefront(nn.LSTM(D, J, batch_first=True), xs(B, T, D))),
    (SIZE, "xs of D+1", lambda: stacking.wavefront(net(), xs(B, T, D + 1))),
])
add("stacking.residual_add", [
    (SIZE, "widths 4 and 6", lambda: stacking.residual_add(xs(B, T, D), xs(B, T, J))),
    (DTYPE, "integer inputs", lambda: stacking.residual_add(torch.ones(B, T, J, dtype=torch.long), xs(B, T, J))),
    (RANK, "2-D inputs", lambda: stacking.residual_add(xs(T, J), xs(T, J))),
])
add("stacking.layer_gradient_norms", [
    (TYPE, "a torch.nn.GRU", lambda: stacking.layer_gradient_norms(nn.GRU(D, J, batch_first=True), xs(B, T, D))),
    (NONFINITE, "NaN in xs", lambda: stacking.layer_gradient_norms(_stack(), with_nan(xs(B, T, D)))),
    (CLASH, "an all-zero readout", lambda: stacking.layer_gradient_norms(_stack(), xs(B, T, D), readout=torch.zeros(J))),
    (ABSURD, "seed = -1", lambda: stacking.layer_gradient_norms(_stack(), xs(B, T, D), seed=-1)),
    (SIZE, "xs of D+1", lambda: stacking.layer_gradient_norms(_stack(), xs(B, T, D + 1))),
    (EMPTY, "no time steps", lambda: stacking.layer_gradient_norms(_stack(), xs(B, 0, D))),
])

# ==============================================================================================
# gates
# ==============================================================================================
add("gates.trace_gates", [
    (TYPE, "an RNN cell (no gates)", lambda: gates.trace_gates(cells.RNNCell(D, J), xs(B, T, D))),
    (TYPE, "a torch.nn.GRUCell", lambda: gates.trace_gates(nn.GRUCell(D, J), xs(B, T, D))),
    (RANK, "xs 2-D", lambda: gates.trace_gates(cell("gru"), xs(T, D))),
    (DTYPE, "xs of ints", lambda: gates.trace_gates(cell("gru"), torch.ones(B, T, D, dtype=torch.long))),
    (CLASH, "state for another batch size", lambda: gates.trace_gates(cell("gru"), xs(B, T, D), state=torch.zeros(B + 1, J))),
    (SIZE, "state of J+1", lambda: gates.trace_gates(cell("gru"), xs(B, T, D), state=torch.zeros(B, J + 1))),
    (TYPE, "an LSTM state that is a tensor", lambda: gates.trace_gates(cell("lstm"), xs(B, T, D), state=torch.zeros(B, J))),
    (EMPTY, "no time steps", lambda: gates.trace_gates(cell("gru"), xs(B, 0, D))),
])

# ==============================================================================================
# device mismatch (CUDA only)
# ==============================================================================================
add("cells.GRUCell.step", [
    (DEVICE, "a CPU x_t for a CUDA cell", lambda: cell("gru").cuda().step(xs(B, D), state_for("gru").cuda())),
])
add("cells.LSTMCell.step", [
    (DEVICE, "a CPU state for a CUDA cell", lambda: cell("lstm").cuda().step(xs(B, D).cuda(), state_for("lstm"))),
])
add("recurrent.RecurrentNet.forward", [
    (DEVICE, "CPU xs for a CUDA net", lambda: net().cuda()(xs(B, T, D))),
    (DEVICE, "a CPU state for a CUDA net", lambda: net().cuda()(xs(B, T, D).cuda(), torch.zeros(1, B, J))),
])
add("models.CharLM.forward (scratch)", [
    (DEVICE, "a CPU state for a CUDA model", lambda: lm().cuda()(ids(B, T).cuda(), torch.zeros(1, B, 8))),
])
add("models.CharLM.forward (torch)", [
    (DEVICE, "a CPU state for a CUDA model", lambda: lm(backend="torch").cuda()(ids(B, T).cuda(), torch.zeros(1, B, 8))),
])
add("gradients.gradient_norms_over_time", [
    (DEVICE, "a CPU readout for CUDA xs", lambda: gradients.gradient_norms_over_time(
        rcell().cuda(), xs(B, T, D, dtype=torch.float64).cuda(), readout=torch.ones(J, dtype=torch.float64))),
])
add("stacking.residual_add", [
    (DEVICE, "inputs on CUDA, outputs on the CPU", lambda: stacking.residual_add(xs(B, T, J).cuda(), xs(B, T, J))),
])


# ==============================================================================================
# live
# ==============================================================================================
from utils import live  # noqa: E402


def _live_payload():
    return live.export_model(lm(), VOCAB)


add("live.export_model", [
    (TYPE, "a torch.nn.LSTM", lambda: live.export_model(nn.LSTM(3, 4), VOCAB), r"must be a utils\.models\.CharLM"),
    (TYPE, "vocab a list", lambda: live.export_model(lm(), VOCAB.itos), r"must be a utils\.data\.Vocab"),
    (CLASH, "a vocab of another size", lambda: live.export_model(lm(), data.Vocab(["a"])), r"vocab has 5 tokens but the model predicts 9"),
    (ABSURD, "max_bytes = 0", lambda: live.export_model(lm(), VOCAB, max_bytes=0)),
    (ABSURD, "over the size budget", lambda: live.export_model(lm(), VOCAB, max_bytes=100), r"takes [\d,]+ bytes, over the budget of 100"),
    (CLASH, "two layers", lambda: live.export_model(lm(num_layers=2), VOCAB), r"one-layer models"),
    (CLASH, "the simplified GRU", lambda: live.export_model(lm(cell="simple_gru"), VOCAB)),
    (ABSURD, "dtype = 'int8'", lambda: live.export_model(lm(), VOCAB, dtype="int8"), r"dtype must be one of"),
    (CLASH, "float16 for weights that are not float16 numbers",
     lambda: live.export_model(lm(), VOCAB, dtype="float16"), r"round the model first"),
])
add("live.decode_payload", [
    (TYPE, "a JSON string", lambda: live.decode_payload("{}")),
    (CLASH, "another format", lambda: live.decode_payload({"format": "x", "version": 1})),
    (SIZE, "a tensor shorter than its shape", lambda: live.decode_payload(
        {**_live_payload(), "tensors": {"b": {"shape": [99], "data": "AAAAAA=="}}})),
])
add("live.text_view", [
    (TYPE, "text = 5", lambda: live.text_view(lm(), VOCAB, 5)),
    (ABSURD, "top_k = 0", lambda: live.text_view(lm(), VOCAB, "ab", top_k=0)),
    (ABSURD, "top_k above the vocabulary", lambda: live.text_view(lm(), VOCAB, "ab", top_k=10)),
    (ABSURD, "temperature = 0", lambda: live.text_view(lm(), VOCAB, "ab", temperature=0)),
    (NONFINITE, "temperature = inf", lambda: live.text_view(lm(), VOCAB, "ab", temperature=INF)),
    (TYPE, "temperature = '1'", lambda: live.text_view(lm(), VOCAB, "ab", temperature="1")),
    (TYPE, "bos = 1", lambda: live.text_view(lm(), VOCAB, "ab", bos=1)),
    (ABSURD, "max_chars = 10**6", lambda: live.text_view(lm(), VOCAB, "ab", max_chars=10**6)),
    (CLASH, "text longer than max_chars", lambda: live.text_view(lm(), VOCAB, "abcde", max_chars=3)),
    (EMPTY, "label = ' '", lambda: live.text_view(lm(), VOCAB, "ab", label=" ")),
    (ABSURD, "dtype = 'float64'", lambda: live.text_view(lm(), VOCAB, "ab", dtype="float64")),
])

add("live.sample_view", [
    (TYPE, "prompt = 5", lambda: live.sample_view(lm(), VOCAB, 5)),
    (ABSURD, "temperature = 0", lambda: live.sample_view(lm(), VOCAB, "ab", temperature=0)),
    (ABSURD, "seed = -1", lambda: live.sample_view(lm(), VOCAB, "ab", seed=-1)),
    (ABSURD, "length = 0", lambda: live.sample_view(lm(), VOCAB, "ab", length=0)),
    (TYPE, "a SequenceTagger", lambda: live.sample_view(tagger(), VOCAB, "ab")),
])
add("live.sample_text", [
    (TYPE, "a list for the source", lambda: live.sample_text([1, 2], VOCAB, "ab")),
    (NONFINITE, "temperature = nan", lambda: live.sample_text(_live_payload(), VOCAB, "ab", NAN)),
    (ABSURD, "seed = 2**32", lambda: live.sample_text(_live_payload(), VOCAB, "ab", 1.0, 2**32)),
])
add("live.scan_view", [
    (TYPE, "T = 8.0", lambda: live.scan_view(T=8.0), r"T must be an int .*got float 8\.0"),
    (ABSURD, "T = 1", lambda: live.scan_view(T=1), r"T must be from 2 to 32 .*got 1"),
    (ABSURD, "T = 33", lambda: live.scan_view(T=33), r"T must be from 2 to 32 .*got 33"),
    (TYPE, "seed = 1.5", lambda: live.scan_view(seed=1.5), r"seed must be an int, got float 1\.5"),
    (ABSURD, "seed = -1", lambda: live.scan_view(seed=-1)),
    (CLASH, "an algorithm not offered", lambda: live.scan_view(algorithm="parallel"),
     r"algorithm must be one of 'loop', 'hillis_steele', 'blelloch'"),
])
add("live.gradient_view", [
    (TYPE, "inputs a list", lambda: live.gradient_view([[0.0]])),
    (SIZE, "inputs of 2 dimensions", lambda: live.gradient_view(xs(T, D))),
    (ABSURD, "radius = 0", lambda: live.gradient_view(xs(B, T, D), hidden_size=J, radius=0)),
    (CLASH, "an activation not offered", lambda: live.gradient_view(xs(B, T, D), hidden_size=J,
                                                                  activation="sigmoid")),
])
add("live.gate_view", [
    (TYPE, "text = 5", lambda: live.gate_view(lm(cell="lstm"), VOCAB, 5)),
    (CLASH, "a GRU quantity for an LSTM", lambda: live.gate_view(lm(cell="lstm"), VOCAB, "ab",
                                                               quantity="u")),
    (ABSURD, "unit beyond the layer", lambda: live.gate_view(lm(cell="lstm"), VOCAB, "ab", unit=99)),
    (CLASH, "a vanilla RNN has no gates", lambda: live.gate_view(lm(cell="rnn"), VOCAB, "ab")),
])
add("live.export_tagger", [
    (TYPE, "a CharLM", lambda: live.export_tagger(lm(), VOCAB), r"must be a utils\.models\.SequenceTagger"),
    (CLASH, "two layers", lambda: live.export_tagger(tagger(num_layers=2), VOCAB), r"one-layer taggers"),
    (CLASH, "a vocab of another size", lambda: live.export_tagger(tagger(), data.Vocab(["a"]))),
])
add("live.tagger_view", [
    (TYPE, "text = 5", lambda: live.tagger_view(tagger(), tagger(bidirectional=True), VOCAB, 5)),
    (ABSURD, "max_chars = 0", lambda: live.tagger_view(tagger(), tagger(bidirectional=True), VOCAB,
                                                       "ab", max_chars=0)),
])


# ==============================================================================================
# scan
# ==============================================================================================
from utils import scan  # noqa: E402

add("scan.linear_recurrence", [
    (TYPE, "alpha a list", lambda: scan.linear_recurrence([[[0.5]]], xs(1, 1, 1))),
    (SIZE, "alpha of 2 dimensions", lambda: scan.linear_recurrence(xs(T, J), xs(T, J))),
    (CLASH, "alpha and beta of other shapes", lambda: scan.linear_recurrence(xs(B, T, J), xs(B, T + 1, J))),
    (SIZE, "h0 of the wrong width", lambda: scan.linear_recurrence(xs(B, T, J), xs(B, T, J), xs(B, J + 1))),
    (NONFINITE, "a NaN in beta", lambda: scan.linear_recurrence(xs(B, T, J), xs(B, T, J).fill_(NAN))),
])
add("scan.scan_hillis_steele", [
    (TYPE, "integer tensors", lambda: scan.scan_hillis_steele(torch.ones(B, T, J, dtype=torch.long),
                                                              torch.ones(B, T, J, dtype=torch.long))),
])
add("scan.scan_blelloch", [
    (CLASH, "float32 alpha and float64 beta", lambda: scan.scan_blelloch(xs(B, T, J), xs(B, T, J, dtype=torch.float64))),
])
add("scan.scan_log_space", [
    (NONFINITE, "the log of a negative number (NaN)", lambda: scan.scan_log_space(
        torch.log(-torch.ones(B, T, J)), torch.zeros(B, T, J)), r"log of a positive number"),
    (ABSURD, "alpha instead of log alpha", lambda: scan.scan_log_space(torch.full((B, T, J), 0.5),
                                                              torch.zeros(B, T, J)), r"log_alpha must be <= 0"),
    (ABSURD, "h0 = 0 in the log space", lambda: scan.scan_log_space(
        -torch.ones(B, T, J), torch.zeros(B, T, J), torch.zeros(B, J)), r"h0 must be positive"),
])
add("scan.scan_rounds", [
    (ABSURD, "T = 0", lambda: scan.scan_rounds(0)),
    (TYPE, "T = 2.5", lambda: scan.scan_rounds(2.5)),
])

# ==============================================================================================
# parallel
# ==============================================================================================
from utils import parallel  # noqa: E402

PARALLEL_KINDS = ("mingru", "minlstm", "lru")


def pcell(kind="mingru", **kw):
    return parallel.PARALLEL_CELLS[kind](D, J, **kw)


def pcore(kind="mingru", **kw):
    return parallel.ParallelRNN(kind, D, J, **{"num_layers": 2, **kw})


add("parallel.MinGRUCell", [
    (ABSURD, "input_size = 0", lambda: parallel.MinGRUCell(0, J), r"input_size must be a positive integer, got 0"),
    (TYPE, "hidden_size = 2.5", lambda: parallel.MinGRUCell(D, 2.5)),
    (TYPE, "log_space = 'yes'", lambda: parallel.MinGRUCell(D, J, log_space="yes"), r"log_space must be True or False"),
    (ABSURD, "10**5 x 10**4 weights", lambda: parallel.MinGRUCell(10**5, 10**4), r"more than the .* allowed"),
])
add("parallel.MinLSTMCell", [
    (ABSURD, "hidden_size = -1", lambda: parallel.MinLSTMCell(D, -1)),
    (TYPE, "log_space = 1", lambda: parallel.MinLSTMCell(D, J, log_space=1)),
])
add("parallel.DiagonalLinearCell", [
    (ABSURD, "r_max = 1 (on the unit circle)", lambda: parallel.DiagonalLinearCell(D, J, r_max=1.0), r"r_max must be a number strictly between 0 and 1"),
    (ABSURD, "r_min = 0", lambda: parallel.DiagonalLinearCell(D, J, r_min=0.0)),
    (TYPE, "r_min = '0.5'", lambda: parallel.DiagonalLinearCell(D, J, r_min="0.5")),
    (NONFINITE, "r_max = nan", lambda: parallel.DiagonalLinearCell(D, J, r_max=NAN)),
    (CLASH, "r_min > r_max", lambda: parallel.DiagonalLinearCell(D, J, r_min=0.9, r_max=0.5), r"r_min must be at most r_max"),
    (ABSURD, "hidden_size = 0", lambda: parallel.DiagonalLinearCell(D, 0)),
])
for _kind in PARALLEL_KINDS:
    add(f"parallel cell ({_kind}).forward", [
        (RANK, "xs (T, D)", lambda k=_kind: pcell(k)(xs(T, D)), r"xs must have shape \(\*, \*, 4\), got \(3, 4\)"),
        (SIZE, "xs of another input size", lambda k=_kind: pcell(k)(xs(B, T, D + 1))),
        (EMPTY, "no time steps", lambda k=_kind: pcell(k)(xs(B, 0, D)), r"at least one sequence of at least one step"),
        (EMPTY, "no sequences", lambda k=_kind: pcell(k)(xs(0, T, D))),
        (DTYPE, "xs of ints", lambda k=_kind: pcell(k)(torch.ones(B, T, D, dtype=torch.long))),
        (DTYPE, "float64 xs, float32 weights", lambda k=_kind: pcell(k)(xs(B, T, D, dtype=torch.float64)), r"xs is torch.float64 on cpu but the cell's weights are torch.float32"),
        (TYPE, "xs a list", lambda k=_kind: pcell(k)(xs(B, T, D).tolist())),
        (NONFINITE, "NaN in xs", lambda k=_kind: pcell(k)(with_nan(xs(B, T, D))), r"xs must hold finite numbers"),
        (SIZE, "h0 transposed", lambda k=_kind: pcell(k)(xs(B, T, D), xs(J, B)), r"h0 must have shape \(2, 6\), got \(6, 2\)"),
        (DTYPE, "h0 float64", lambda k=_kind: pcell(k)(xs(B, T, D), xs(B, J, dtype=torch.float64))),
        (ABSURD, "mode 'fast'", lambda k=_kind: pcell(k)(xs(B, T, D), mode="fast"), r"mode must be one of 'loop', 'hillis_steele', 'blelloch', 'log_space'"),
        (CLASH, "mode 'log_space' without log_space=True", lambda k=_kind: pcell(k)(xs(B, T, D), mode="log_space"), r"needs a cell built with log_space=True"),
        (DEVICE, "xs on the GPU, the cell on the CPU", lambda k=_kind: pcell(k)(xs(B, T, D).cuda())),
    ])
    add(f"parallel cell ({_kind}).step", [
        (RANK, "x_t (B, T, D)", lambda k=_kind: pcell(k).step(xs(B, T, D), xs(B, J)), r"x_t must have shape \(\*, 4\)"),
        (CLASH, "h_prev of another batch", lambda k=_kind: pcell(k).step(xs(B, D), xs(B + 1, J)), r"h_prev must have shape \(2, 6\)"),
        (TYPE, "h_prev a pair (an LSTM state)", lambda k=_kind: pcell(k).step(xs(B, D), (xs(B, J), xs(B, J))), r"h_prev must be a torch.Tensor, got tuple"),
        (DTYPE, "x_t of ints", lambda k=_kind: pcell(k).step(torch.ones(B, D, dtype=torch.long), xs(B, J))),
        (DTYPE, "h_prev float64", lambda k=_kind: pcell(k).step(xs(B, D), xs(B, J, dtype=torch.float64))),
    ])
    add(f"parallel cell ({_kind}).coefficients", [
        (RANK, "xs (B, D)", lambda k=_kind: pcell(k).coefficients(xs(B, D))),
        (NONFINITE, "inf in xs", lambda k=_kind: pcell(k).coefficients(with_nan(xs(B, T, D), INF))),
    ])
    add(f"parallel cell ({_kind}).init_state", [
        (ABSURD, "batch_size = 0", lambda k=_kind: pcell(k).init_state(0)),
        (ABSURD, "batch_size = 10**9", lambda k=_kind: pcell(k).init_state(10**9), r"more than the"),
    ])
add("parallel cell.log_coefficients", [
    (CLASH, "a cell without log_space", lambda: pcell("mingru").log_coefficients(xs(B, T, D)), r"needs a cell built with log_space=True"),
    (CLASH, "the diagonal unit", lambda: pcell("lru").log_coefficients(xs(B, T, D))),
    (RANK, "xs (T, D)", lambda: pcell("minlstm", log_space=True).log_coefficients(xs(T, D))),
    (NONFINITE, "NaN in xs (log space)", lambda: pcell("mingru", log_space=True)(with_nan(xs(B, T, D))), r"xs must hold finite numbers"),
])
add("parallel cell.block", [
    (ABSURD, "gate 'r' (minGRU has u, c)", lambda: pcell("mingru").block("r"), r"gate must be one of \('u', 'c'\), got 'r'"),
    (ABSURD, "matrix 'W' (no W)", lambda: pcell("minlstm").block("f", "W"), r"these cells have no W"),
    (CLASH, "a gate of the diagonal unit", lambda: pcell("lru").block("u")),
])
add("parallel.ParallelRNN", [
    (ABSURD, "kind 'gru'", lambda: parallel.ParallelRNN("gru", D, J), r"kind must be one of 'mingru', 'minlstm', 'lru', got 'gru'"),
    (ABSURD, "num_layers = 0", lambda: parallel.ParallelRNN("mingru", D, J, num_layers=0)),
    (ABSURD, "num_layers = 10**6", lambda: parallel.ParallelRNN("mingru", D, J, num_layers=10**6)),
    (ABSURD, "mode 'parallel'", lambda: parallel.ParallelRNN("mingru", D, J, mode="parallel")),
    (CLASH, "mode 'log_space' without log_space", lambda: parallel.ParallelRNN("mingru", D, J, mode="log_space"), r"needs log_space=True"),
    (CLASH, "lru in the log space", lambda: parallel.ParallelRNN("lru", D, J, log_space=True), r"no log-space form"),
    (TYPE, "log_space = 'no'", lambda: parallel.ParallelRNN("minlstm", D, J, log_space="no")),
    (TYPE, "input_size a tensor", lambda: parallel.ParallelRNN("mingru", xs(B, T, D), J)),
])
for _kind in PARALLEL_KINDS:
    add(f"parallel.ParallelRNN.forward ({_kind})", [
        (RANK, "xs (B, D)", lambda k=_kind: pcore(k)(xs(B, D))),
        (EMPTY, "no time steps", lambda k=_kind: pcore(k)(xs(B, 0, D))),
        (SIZE, "a state (B, J) for 2 layers", lambda k=_kind: pcore(k)(xs(B, T, D), xs(B, J)), r"state must have shape \(2, 2, 6\), got \(2, 6\)"),
        (CLASH, "a state for another batch size", lambda k=_kind: pcore(k)(xs(B, T, D), xs(2, B + 1, J))),
        (DTYPE, "a float64 state", lambda k=_kind: pcore(k)(xs(B, T, D), xs(2, B, J, dtype=torch.float64))),
        (TYPE, "lengths a list", lambda k=_kind: pcore(k)(xs(B, T, D), lengths=[3, 2]), r"lengths must be a torch.Tensor"),
        (ABSURD, "a length 0", lambda k=_kind: pcore(k)(xs(B, T, D), lengths=torch.tensor([0, 3])), r"every length must lie between 1"),
        (ABSURD, "a length beyond T", lambda k=_kind: pcore(k)(xs(B, T, D), lengths=torch.tensor([T + 1, 1]))),
        (DTYPE, "float lengths", lambda k=_kind: pcore(k)(xs(B, T, D), lengths=torch.ones(B))),
        (NONFINITE, "NaN in xs", lambda k=_kind: pcore(k)(with_nan(xs(B, T, D)))),
    ])
    add(f"parallel.ParallelRNN.step ({_kind})", [
        (RANK, "x_t (B, T, D)", lambda k=_kind: pcore(k).step(xs(B, T, D))),
        (EMPTY, "no sequences", lambda k=_kind: pcore(k).step(xs(0, D))),
        (SIZE, "a state of one layer of two", lambda k=_kind: pcore(k).step(xs(B, D), xs(1, B, J))),
        (TYPE, "a state that is a list", lambda k=_kind: pcore(k).step(xs(B, D), [xs(B, J)] * 2)),
    ])
add("parallel.ParallelRNN.init_state", [
    (ABSURD, "batch_size = -1", lambda: pcore().init_state(-1)),
    (ABSURD, "batch_size = 10**9", lambda: pcore().init_state(10**9)),
])
add("parallel.g", [
    (TYPE, "a float", lambda: parallel.g(0.5), r"v must be a torch.Tensor, got float"),
    (DTYPE, "integers", lambda: parallel.g(torch.ones(3, dtype=torch.long))),
])
add("parallel.log_g", [
    (TYPE, "a numpy array", lambda: parallel.log_g(np.ones(3))),
])
add("parallel.softplus", [
    (DTYPE, "integers", lambda: parallel.softplus(torch.ones(3, dtype=torch.long))),
])
add("models with a parallel cell", [
    (CLASH, "CharLM mingru on the torch backend", lambda: models.CharLM(K, cell="mingru", backend="torch"), r"torch.nn has no 'mingru' module: use backend='scratch'"),
    (CLASH, "SequenceClassifier lru, default torch backend", lambda: classifier(cell="lru"), r"torch.nn has no 'lru' module"),
    (CLASH, "SequenceTagger minlstm bidirectional", lambda: tagger(cell="minlstm", backend="scratch", bidirectional=True), r"runs in one direction"),
    (CLASH, "CharLM minGRU with residual", lambda: models.CharLM(K, cell="mingru", num_layers=2, residual=True), r"has no residual connections"),
    (IDS, "CharLM mingru step with id = vocab_size", lambda: lm(cell="mingru").step(torch.tensor([K, 0]))),
    (SIZE, "CharLM mingru with an LSTM-shaped state", lambda: lm(cell="mingru")(ids(B, T), torch.zeros(1, B, 9))),
])
add("tasks.gate_bias (parallel cells)", [
    (CLASH, "lru has no gate", lambda: tasks.gate_bias("lru", 1.0), r"nothing to set for 'lru'"),
    (NONFINITE, "mingru value = nan", lambda: tasks.gate_bias("mingru", NAN)),
    (CLASH, "mingru bias on a minlstm model", lambda: tasks.gate_bias("mingru", -2.0)(classifier(cell="minlstm", backend="scratch")), r"ParallelRNN of kind 'mingru'"),
    (CLASH, "minlstm bias on a torch LSTM", lambda: tasks.gate_bias("minlstm", 1.0)(classifier(cell="lstm"))),
])
add("gradients.gradient_norms_over_time (parallel cells)", [
    (SIZE, "xs of another input size", lambda: gradients.gradient_norms_over_time(pcell("lru").double(), xs(B, T, D + 1, dtype=torch.float64))),
    (NONFINITE, "NaN in xs", lambda: gradients.gradient_norms_over_time(pcell("mingru"), with_nan(xs(B, T, D)))),
    (TYPE, "a ParallelRNN instead of a cell", lambda: gradients.gradient_norms_over_time(pcore(), xs(B, T, D)), r"utils.parallel cell"),
])


# --- the table ---------------------------------------------------------------------------------
def results(entries=None, slow_s: float | None = None) -> list[tuple[Bad, Outcome]]:
    """Run the entries (all by default); with slow_s, name those that took longer."""
    import time
    import warnings

    out = []
    for e in CATALOGUE if entries is None else entries:
        if e.needs_cuda and not CUDA:
            continue
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.append((e, run(e)))
        took = time.perf_counter() - start
        if slow_s is not None and took > slow_s:
            print(f"slow ({took:.1f} s): {e.id}", file=sys.stderr)
    return out


def table(outcomes) -> str:
    rows = [("class", "tried", "clear", "other", "none")]
    for kind in CLASSES:
        mine = [o for e, o in outcomes if e.kind == kind]
        if not mine and kind == DEVICE and not CUDA:
            skipped = sum(e.kind == DEVICE for e in CATALOGUE)
            rows.append((kind, f"(skipped without CUDA: {skipped})", "", "", ""))
            continue
        rows.append((kind, *(str(n) for n in (len(mine), *(sum(o.result == r for o in mine)
                                                           for r in ("clear", "other", "none"))))))
    allo = [o for _, o in outcomes]
    rows.append(("all", *(str(n) for n in (len(allo), *(sum(o.result == r for o in allo)
                                                        for r in ("clear", "other", "none"))))))
    widths = [max(len(r[i]) for r in rows if not (i and r[0] == DEVICE and "skipped" in r[1]))
              for i in range(5)]
    lines = []
    for r in rows:
        if "skipped" in r[1]:
            lines.append(f"| {r[0]:<{widths[0]}} | {r[1]}")
            continue
        lines.append("| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                      for i, (c, w) in enumerate(zip(r, widths))) + " |")
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv) -> int:
    verbose = "-v" in argv
    outcomes = results(slow_s=0.5 if verbose else None)
    print(table(outcomes))
    failures = [(e, o) for e, o in outcomes if o.result != "clear"]
    if verbose:
        for e, o in failures:
            print(f"\n[{o.result}] {e.kind} | {e.id}\n    {o.detail}")
    return 1 if failures else 0


if __name__ == "__main__":
    torch.set_num_threads(1)
    raise SystemExit(main(sys.argv[1:]))
