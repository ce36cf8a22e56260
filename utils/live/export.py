"""A trained model as a payload the page can run: weights in the course's notation, compact,
with a size budget.

The payload of a one-layer ``models.CharLM``, shapes with J hidden units, D inputs
(embedding size, or K for one-hot), K tokens and G gate blocks::

    {"format": "rnn-course-live", "version": 1, "cell": "lstm", "gates": ["i","f","g","o"],
     "input_size": D, "hidden_size": J, "vocab_size": K, "one_hot": false,
     "vocab": ["<PAD>", "<BOS>", "<EOS>", "<UNK>", "\\n", " ", ...],
     "tensors": {"E": {"shape": [K, D], "dtype": "float32", "data": "<base64>"},  # embedding
                 "U": [G*J, D], "W": [G*J, J], "b": [G*J],         # gate blocks in gate order
                 "b_hc": [J],                                      # GRU only (reset "after")
                 "V": [K, J], "b_y": [K]}}                         # output layer s = V h + b_y

A torch.nn core is first converted to the course's cells (``RecurrentNet.from_torch``), so
the payload always holds the course's convention (GRU: Γ_u weights the NEW candidate).
Numbers are little-endian float32; with dtype="float16" the matrices take half the bytes
(only for a model whose weights ``checkpoints.round_weights`` already rounded, like the
shipped checkpoint, so that nothing changes; vectors such as b, a sum of PyTorch's two
biases, stay float32).
"""
from __future__ import annotations

import base64

import numpy as np
import torch

from ..data import Vocab
from ..models import CharLM
from ..recurrent import RecurrentNet
from ..selfcheck import js_literal
from ..validate import expect_positive_int

FORMAT, VERSION = "rnn-course-live", 1
LIVE_CELLS = ("rnn", "gru", "lstm")
"""The cell kinds the page can run (the simplified GRU of Chapter 4 is not exported yet)."""
MAX_PAYLOAD_BYTES = 2_000_000
"""Default budget of one payload's JSON text: a page must stay under 5 MB with its assets."""
DTYPES = {"float32": "<f4", "float16": "<f2"}
"""How the numbers are stored: name -> numpy's little-endian type."""


def course_cell(core):
    """A one-layer core (torch.nn RNN/GRU/LSTM or RecurrentNet) as a course cell, in the
    course's notation; a bidirectional torch core gives (forward cell, backward cell)."""
    net = core if isinstance(core, RecurrentNet) else RecurrentNet.from_torch(core)
    cells = net.cells()
    for cell in cells:
        if getattr(cell, "reset", "after") != "after":
            raise ValueError("only GRUs with reset='after' (PyTorch's, the course's default) can "
                             f"be exported, got reset={cell.reset!r}")
    return cells[0] if len(cells) == 1 else tuple(cells)


def expect_dtype(dtype) -> str:
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {tuple(DTYPES)}, got {dtype!r}")
    return dtype


def encode_tensor(t, name: str, dtype: str = "float32") -> dict:
    """A tensor or array as {"shape": [...], "dtype": dtype, "data": base64 of its bytes}."""
    a = t.detach().to("cpu", torch.float32).numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    if not np.isfinite(a).all():
        raise ValueError(f"weight {name} holds NaN or inf values: a diverged model cannot be shown")
    stored = np.ascontiguousarray(a, dtype=DTYPES[expect_dtype(dtype)])
    if not np.isfinite(stored).all():
        raise ValueError(f"weight {name} overflows {dtype} (largest |value| {np.abs(a).max():.3g})")
    return {"shape": list(a.shape), "dtype": dtype,
            "data": base64.b64encode(stored.tobytes()).decode("ascii")}


def payload_bytes(payload: dict) -> int:
    """The size in bytes of the payload's JSON text, as the page embeds it."""
    return len(js_literal(payload).encode("utf-8"))


def check_size(payload: dict, max_bytes: int) -> dict:
    """The payload, or ValueError with its size when it is over max_bytes."""
    size = payload_bytes(payload)
    if size > max_bytes:
        raise ValueError(f"the exported model takes {size:,} bytes, over the budget of "
                         f"{max_bytes:,}: use a smaller model (fewer hidden units or a "
                         "smaller embedding), dtype='float16', or raise max_bytes")
    return payload


def export_model(model: CharLM, vocab: Vocab, max_bytes: int = MAX_PAYLOAD_BYTES,
                 dtype: str = "float32") -> dict:
    """A one-layer CharLM and its vocabulary as a JSON-ready payload (see the module docstring).

    model: ``models.CharLM`` with num_layers=1, cell "rnn", "gru" or "lstm", backend "torch"
    or "scratch", on any device. vocab: the ``data.Vocab`` it was trained with (K tokens).
    max_bytes: the budget of the payload's JSON text; ValueError, with the size, when over.
    dtype: "float32", or "float16" for the matrices (vectors stay float32) of a model whose
    matrices are float16 numbers already (``checkpoints.round_weights``; ValueError
    otherwise, since the page would then compute something else than PyTorch).
    Weights are exported in the course's notation: E (K, D) when the model has an
    embedding, U (G*J, D), W (G*J, J), b (G*J,), b_hc (J,) for the GRU, V (K, J), b_y (K,).
    """
    max_bytes, dtype = expect_exportable(model, vocab, CharLM, "model", "predicts", max_bytes, dtype)
    with torch.no_grad():
        cell = course_cell(model.core)
        weights = {}
        if model.embedding is not None:
            weights["E"] = model.embedding.weight
        weights.update(U=cell.U, W=cell.W, b=cell.b)
        if model.cell_kind == "gru":
            weights["b_hc"] = cell.b_hc
        weights.update(V=model.head.weight, b_y=model.head.bias)
        tensors = encode_weights(weights, dtype)
    payload = {"format": FORMAT, "version": VERSION, "cell": model.cell_kind,
               "gates": list(cell.gate_names), "input_size": int(model.input_size),
               "hidden_size": int(model.hidden_size), "vocab_size": int(model.vocab_size),
               "one_hot": model.embedding is None, "vocab": list(vocab.itos),
               "tensors": tensors}
    return check_size(payload, max_bytes)


def expect_exportable(model, vocab: Vocab, kind: type, noun: str, verb: str, max_bytes,
                      dtype) -> tuple[int, str]:
    """The checks every export shares: a ``kind`` model (CharLM, SequenceTagger) with one
    layer of a cell the page runs, and the vocabulary it was trained with. Returns
    (max_bytes, dtype), validated."""
    if not isinstance(model, kind):
        raise TypeError(f"{noun} must be a utils.models.{kind.__name__}, got {type(model).__name__}")
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be a utils.data.Vocab, got {type(vocab).__name__}")
    max_bytes = expect_positive_int(max_bytes, "max_bytes")
    dtype = expect_dtype(dtype)
    if model.cell_kind not in LIVE_CELLS:
        raise ValueError(f"the page runs cells {LIVE_CELLS}, got a {kind.__name__} with cell "
                         f"{model.cell_kind!r}")
    if model.core.num_layers != 1:
        raise ValueError(f"the page runs one-layer {noun}s, got num_layers={model.core.num_layers}")
    if len(vocab) != model.vocab_size:
        raise ValueError(f"vocab has {len(vocab)} tokens but the {noun} {verb} "
                         f"{model.vocab_size}: pass the vocabulary it was trained with")
    return max_bytes, dtype


def encode_weights(weights: dict, dtype: str) -> dict:
    """{name: tensor} as {name: encoded entry}: matrices in dtype, vectors in float32. For
    float16, ValueError unless every matrix holds float16 numbers already."""
    for name, t in weights.items():
        if (dtype == "float16" and t.dim() > 1
                and not torch.equal(t.detach().float(), t.detach().half().float())):
            raise ValueError(f"dtype='float16' needs weights that are float16 numbers already, "
                             f"but {name} is not: round the model first "
                             "(checkpoints.round_weights) or export float32")
    return {name: encode_tensor(t, name, dtype if t.dim() > 1 else "float32")
            for name, t in weights.items()}


def decode_payload(payload: dict) -> dict[str, np.ndarray]:
    """The weights of a payload from ``export_model``: {name: float32 array of its shape}."""
    if not isinstance(payload, dict):
        raise TypeError(f"payload must be a dict from export_model, got {type(payload).__name__}")
    if payload.get("format") != FORMAT or payload.get("version") != VERSION:
        raise ValueError(f"payload must be a {FORMAT!r} version {VERSION} dict from export_model, "
                         f"got format {payload.get('format')!r} version {payload.get('version')!r}")
    return {name: decode_tensor(entry, name) for name, entry in payload["tensors"].items()}


def decode_tensor(entry: dict, name: str = "tensor") -> np.ndarray:
    """One {"shape", "dtype", "data"} entry as a float32 array of its shape."""
    raw = base64.b64decode(entry["data"])
    a = np.frombuffer(raw, dtype=DTYPES[expect_dtype(entry.get("dtype", "float32"))])
    size = int(np.prod(entry["shape"]))
    if a.size != size:
        raise ValueError(f"tensor {name} holds {a.size} numbers, its shape "
                         f"{tuple(entry['shape'])} needs {size}")
    return a.reshape(entry["shape"]).astype(np.float32)
