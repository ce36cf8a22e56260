"""Save and load a trained CharLM together with everything needed to use and trust it.

One file holds the weights, the vocabulary, the model's shape, the training settings,
the seed, the final validation loss and the torch version that wrote it:

    save_checkpoint("checkpoints/shakespeare_lstm.pt", model, vocab, settings=..., seed=0,
                    val_loss=1.52)
    ckpt = load_checkpoint("checkpoints/shakespeare_lstm.pt")
    ckpt.model, ckpt.vocab, ckpt.val_loss, ckpt.settings

Loading uses ``torch.load(weights_only=True)``: the file may hold only tensors and plain
Python values (dicts, lists, strings, numbers), so opening it cannot run code. It needs
no network. Saving refuses what loading would refuse (a numpy number or a Path among the
settings, non-finite weights, settings that contradict the model's shape), and loading
verifies the record: a SHA-256 checksum of the weights and the vocabulary, finite
weights, and the settings against the model's configuration. Weights may be stored as float16 to halve the file; they are loaded back as
float32 (the recorded validation loss is measured on the stored weights, see
``round_weights``).
"""
from __future__ import annotations

import hashlib
import math
import numbers
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .data import SPECIALS, Vocab
from .models import CharLM
from .validate import expect_device

CHECKPOINT_DIR = Path(__file__).resolve().parents[1] / "checkpoints"   # the shipped files
FORMAT = "rnn-course-charlm"
VERSION = 2
STORED_DTYPES = {"float32": torch.float32, "float16": torch.float16}


@dataclass
class Checkpoint:
    """A loaded checkpoint: the model (eval mode, on ``device``) and what was recorded with it."""
    model: CharLM
    vocab: Vocab
    settings: dict
    seed: int
    val_loss: float                      # nats per character, as recorded when saved
    torch_version: str                   # the torch that wrote the file
    stored_dtype: str
    extra: dict = field(default_factory=dict)   # further measurements saved with the file
    path: Path | None = None


def model_config(model: CharLM) -> dict:
    """The constructor arguments that rebuild ``model``'s shape."""
    embedding_dim = None if model.embedding is None else model.embedding.embedding_dim
    config = {"vocab_size": model.vocab_size, "hidden_size": model.hidden_size,
              "cell": model.cell_kind, "num_layers": model.core.num_layers,
              "embedding_dim": embedding_dim, "backend": model.backend}
    if model.residual:        # recorded only when used: files without it load as before
        config["residual"] = True
    return config


@torch.no_grad()
def round_weights(model: CharLM, dtype: str = "float16") -> CharLM:
    """Round every weight to ``dtype`` and back to float32, in place: after this the model
    computes exactly what a checkpoint stored in ``dtype`` will compute once loaded."""
    _expect_model(model)
    target = _expect_dtype(dtype)
    for p in model.parameters():
        p.copy_(p.to(target).to(p.dtype))
    return model


def save_checkpoint(path, model: CharLM, vocab: Vocab, settings: dict, seed: int, val_loss: float,
                    dtype: str = "float32", extra: dict | None = None) -> Path:
    """Write ``model`` and its records to ``path`` (folders are created). Returns the path.

    settings: the training settings (plain values: numbers, strings, lists, dicts).
    val_loss: the final validation loss in nats per character.
    dtype: "float32" or "float16" (half the size; call ``round_weights`` before measuring
        val_loss so that the recorded loss is the loaded model's).
    extra: further plain values to record (e.g. the loss on a validation slice).
    """
    path = _expect_path(path)
    _expect_model(model)
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be a utils.data.Vocab, got {type(vocab).__name__}")
    if len(vocab) != model.vocab_size:
        raise ValueError(f"the model predicts {model.vocab_size} tokens but the vocabulary has "
                         f"{len(vocab)}: save the vocabulary the model was trained with")
    if not isinstance(settings, dict):
        raise TypeError(f"settings must be a dict of training settings, got {type(settings).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    _expect_loss(val_loss, "val_loss")
    stored = _expect_dtype(dtype)
    if extra is not None and not isinstance(extra, dict):
        raise TypeError(f"extra must be a dict of plain values or None, got {type(extra).__name__}")
    _expect_plain(settings, "settings")
    _expect_plain(extra or {}, "extra")
    config = model_config(model)
    _check_settings_agree(settings, config, "settings")
    state = {k: v.detach().cpu().to(stored) if v.is_floating_point() else v.detach().cpu()
             for k, v in model.state_dict().items()}
    _check_finite(state, "the model")
    tokens = vocab.itos[len(SPECIALS):]
    record = {
        "format": FORMAT, "version": VERSION, "config": config, "state_dict": state,
        "vocab": tokens, "checksum": checksum(state, tokens),
        "settings": dict(settings), "seed": int(seed), "val_loss": float(val_loss),
        "torch_version": str(torch.__version__), "stored_dtype": dtype,
        "extra": dict(extra or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(record, path)
    return path


def load_checkpoint(path, device="cpu") -> Checkpoint:
    """Read a file written by ``save_checkpoint`` (safely, offline) and rebuild the model.

    Raises FileNotFoundError when there is no file, ValueError when the file is not a
    course checkpoint or is damaged.
    """
    path = _expect_path(path)
    device = expect_device(device)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}; the shipped ones are in the repository's "
                                "checkpoints/ folder, and scripts/train_shakespeare_checkpoint.py "
                                "writes the Shakespeare model again")
    try:
        record = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # truncated or foreign files fail inside the unpickler
        raise ValueError(f"{path} is not a readable checkpoint (damaged or not written by "
                         f"save_checkpoint): {type(error).__name__}: {error}") from error
    _check_record(record, path)
    if record["checksum"] != checksum(record["state_dict"], record["vocab"]):
        raise ValueError(f"{path} is damaged: its weights or vocabulary do not match the checksum "
                         "recorded when it was saved")
    _check_finite(record["state_dict"], str(path))
    _check_settings_agree(record["settings"], record["config"], f"{path}: its settings")
    vocab = Vocab(record["vocab"])
    model = CharLM(**record["config"])
    if len(vocab) != model.vocab_size:
        raise ValueError(f"{path} is inconsistent: vocabulary of {len(vocab)} tokens for a model "
                         f"of {model.vocab_size} outputs")
    weights = {k: v.float() if v.is_floating_point() else v for k, v in record["state_dict"].items()}
    try:
        model.load_state_dict(weights)
    except RuntimeError as error:
        raise ValueError(f"{path}: the stored weights do not fit the recorded model shape: {error}") from error
    model.to(device).eval()
    return Checkpoint(model, vocab, record["settings"], record["seed"], record["val_loss"],
                      record["torch_version"], record["stored_dtype"], record.get("extra", {}), path)


def checksum(state_dict: dict, tokens: list) -> str:
    """SHA-256 of the weights (names, dtypes, shapes, bytes, in name order) and the tokens."""
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    digest.update("\x00".join(tokens).encode())
    return digest.hexdigest()


PLAIN = (bool, int, float, str, type(None))


def _expect_model(model) -> None:
    if not isinstance(model, CharLM):
        raise TypeError(f"model must be a utils.models.CharLM, got {type(model).__name__}")


def _expect_path(path) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or a Path, got {type(path).__name__}")
    return Path(path)


def _expect_loss(value, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < math.inf:
        raise ValueError(f"{where} must be a finite number >= 0 (nats per character), got {value!r}")


def _expect_plain(value, where: str) -> None:
    """Only what torch.load(weights_only=True) reads back: plain numbers, strings, None,
    lists and dicts with string keys."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: keys must be strings, got {key!r}")
            _expect_plain(item, f"{where}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _expect_plain(item, f"{where}[{i}]")
    elif isinstance(value, float) and not isinstance(value, np.generic) and not math.isfinite(value):
        raise ValueError(f"{where} must be finite, got {value!r}: a setting of NaN or inf would "
                         f"not describe the training")
    elif isinstance(value, np.generic) or not isinstance(value, PLAIN):   # np.float64 is a float
        hint = (" (use .item())" if hasattr(value, "item") else
                " (use str(...))" if isinstance(value, Path) else "")
        raise TypeError(f"{where} must hold plain values (numbers, strings, None, lists, dicts) "
                        f"that a checkpoint can store, got {type(value).__name__} {value!r}{hint}")


def _check_settings_agree(settings: dict, config: dict, where: str) -> None:
    clash = {k: (settings[k], config[k]) for k in config if k in settings and settings[k] != config[k]}
    if clash:
        raise ValueError(f"{where} contradict the model's shape: "
                         + ", ".join(f"{k}={a!r} but the model has {b!r}" for k, (a, b) in clash.items()))


def _check_finite(state_dict: dict, where: str) -> None:
    bad = [k for k, v in state_dict.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise ValueError(f"{where} has NaN or infinite weights in {bad}")


def _expect_dtype(dtype: str) -> torch.dtype:
    if dtype not in STORED_DTYPES:
        raise ValueError(f"dtype must be one of {sorted(STORED_DTYPES)}, got {dtype!r}")
    return STORED_DTYPES[dtype]


def _check_record(record, path: Path) -> None:
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ValueError(f"{path} is not a course checkpoint (expected format {FORMAT!r})")
    if record.get("version") != VERSION:
        raise ValueError(f"{path} has checkpoint version {record.get('version')!r}; this code reads "
                         f"version {VERSION}")
    missing = [k for k in ("config", "state_dict", "vocab", "checksum", "settings", "seed",
                           "val_loss", "torch_version", "stored_dtype") if k not in record]
    if missing:
        raise ValueError(f"{path} is damaged: it lacks {missing}")
    kinds = {"config": dict, "state_dict": dict, "vocab": list, "checksum": str, "settings": dict,
             "seed": int, "torch_version": str, "stored_dtype": str}
    wrong = [k for k, kind in kinds.items() if not isinstance(record[k], kind) or isinstance(record[k], bool)]
    if wrong or record["stored_dtype"] not in STORED_DTYPES:
        raise ValueError(f"{path} is damaged: fields of the wrong type: {wrong or ['stored_dtype']}")
    _expect_loss(record["val_loss"], f"{path}: its val_loss")
