"""Train the Shakespeare character model that Chapter 2 loads, and write its checkpoint.

Command (from the repository root, with the course's virtual environment active):

    python scripts/train_shakespeare_checkpoint.py

writes checkpoints/shakespeare_lstm.pt (2.5 MB). The shipped file took 13 minutes of
wall-clock time (about 8 minutes of CPU time: the 2-core machine was shared) on one CPU
thread with torch 2.13.0+cpu, and recorded a validation loss of 1.583 nats per character
(2.28 bits). No GPU is needed.

Deterministic: the seed fixes the initial weights and every training batch, and torch
runs on one thread, so the same torch version on the same kind of CPU writes the same
weights and records the same validation loss.

The model: a one-layer LSTM CharLM (embedding 64, hidden 512, ~1.2 M parameters),
backend "torch" (``torch.nn.LSTM``, the same function as the course's own cells, only
faster). Data: ``utils.data.load_shakespeare()``, split with ``split_contiguous``
(the last 10 % of the text is the validation split), random windows of 100 characters.
Training: the course's loop (``utils.training.train``) with Adam, run in chunks whose
learning rate falls geometrically from 3e-3 to 3e-4, gradients clipped to norm 1.
Every window starts from the zero state (truncated backpropagation through time, state
not carried) and none begins with <BOS>: the model never sees <BOS>, so its sample is
drawn from the prompt alone (``sample(..., bos=False)``), as Chapter 2 explains. (The
shipped file's recorded sample was drawn by an earlier version of this script that fed
<BOS> first; its weights and losses do not depend on it.)
The weights are stored as float16; the recorded validation losses are measured after
rounding the weights to float16, i.e. on exactly the model that loading gives back.

Options: --steps N for a quick smoke run (the shipped file uses the default),
--out PATH to write elsewhere, --seed S, --hidden-size J.

The page model. checkpoints/shakespeare_lstm_256.pt, the model that Chapters 2 and 5 run
in the reader's browser (utils.live), is the same recipe with 256 hidden units and more steps (at 1,500 steps it
stopped at 1.80 nats per character on the validation text):

    python scripts/train_shakespeare_checkpoint.py --hidden-size 256 --steps 4000 \
        --out checkpoints/shakespeare_lstm_256.pt

The 512-unit model's weights take 3.3 MB in a page (float16, base64), too much for a
page of at most 5 MB with the site's own files; the 256-unit model's take about 0.9 MB.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

import utils
from utils.checkpoints import CHECKPOINT_DIR, round_weights, save_checkpoint
from utils.data import TextWindows, Vocab, load_shakespeare, split_contiguous
from utils.models import CharLM, count_parameters
from utils.training import evaluate, train

DEFAULT_OUT = CHECKPOINT_DIR / "shakespeare_lstm.pt"

SETTINGS = {
    "corpus": "utils.data.load_shakespeare()", "val_fraction": 0.1,
    "cell": "lstm", "hidden_size": 512, "embedding_dim": 64, "num_layers": 1, "backend": "torch",
    "seq_len": 100, "batch_size": 32, "steps": 1500, "chunks": 6,
    "lr": 3e-3, "lr_final": 3e-4, "clip_norm": 1.0, "optimizer": "Adam",
    "weights_dtype": "float16", "torch_threads": 1,
}
VAL_SLICE_WINDOWS = 200     # a quick check: the first 200 windows (20,000 characters) of validation


def shakespeare_split(val_fraction: float):
    """(train_text, val_text) exactly as the chapter and the tests rebuild them."""
    return split_contiguous(load_shakespeare(), val_fraction)


def chunk_learning_rates(lr: float, lr_final: float, chunks: int) -> list[float]:
    """A geometric fall from lr to lr_final, one rate per chunk."""
    if chunks == 1:
        return [lr]
    return [lr * (lr_final / lr) ** (k / (chunks - 1)) for k in range(chunks)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=SETTINGS["steps"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--hidden-size", type=int, default=SETTINGS["hidden_size"])
    args = parser.parse_args()
    settings = {**SETTINGS, "steps": args.steps, "hidden_size": args.hidden_size}
    chunks = min(settings["chunks"], args.steps)
    settings["chunks"] = chunks

    utils.seed_everything(args.seed)
    torch.set_num_threads(settings["torch_threads"])
    train_text, val_text = shakespeare_split(settings["val_fraction"])
    vocab = Vocab.from_texts(train_text)
    train_windows = TextWindows(vocab.encode(train_text), settings["seq_len"], settings["batch_size"])
    val_windows = TextWindows(vocab.encode(val_text), settings["seq_len"])
    print(f"train {len(train_text):,} chars, validation {len(val_text):,} chars, vocab {len(vocab)}")

    model = CharLM(len(vocab), settings["hidden_size"], settings["cell"], settings["num_layers"],
                   settings["embedding_dim"], backend=settings["backend"])
    print(f"{count_parameters(model):,} parameters")
    optimizer = torch.optim.Adam(model.parameters(), lr=settings["lr"])
    val_slice = lambda: val_windows.all_batches(max_windows=VAL_SLICE_WINDOWS)  # noqa: E731

    start = time.perf_counter()
    per_chunk = [args.steps // chunks + (k < args.steps % chunks) for k in range(chunks)]
    lrs = chunk_learning_rates(settings["lr"], settings["lr_final"], chunks)
    for k, (steps, lr) in enumerate(zip(per_chunk, lrs)):
        for group in optimizer.param_groups:
            group["lr"] = lr
        history = train(model, train_windows, steps=steps, lr=lr, optimizer=optimizer,
                        clip_norm=settings["clip_norm"], val_batches=val_slice,
                        eval_every=steps, seed=args.seed * 1000 + k, progress=False)
        print(f"chunk {k + 1}/{chunks}: lr {lr:.2e}, train {history.loss[-1]:.3f}, "
              f"val slice {history.final_val_loss:.3f} nats/char, "
              f"{time.perf_counter() - start:.0f} s", flush=True)
    train_seconds = time.perf_counter() - start

    round_weights(model, settings["weights_dtype"])
    val_loss = evaluate(model, val_windows.all_batches())
    slice_loss = evaluate(model, val_slice())
    generator = torch.Generator().manual_seed(args.seed)
    sample = utils.sampling.sample(model, vocab, prompt="ROMEO:\n", bos=False, max_len=300,
                                   temperature=0.8, stop_at_eos=False, generator=generator)[0]
    extra = {"val_slice_windows": VAL_SLICE_WINDOWS, "val_slice_loss": slice_loss,
             "train_seconds": round(train_seconds, 1), "parameters": count_parameters(model),
             "sample_prompt": "ROMEO:\n", "sample_bos": False, "sample": sample}
    path = save_checkpoint(args.out, model, vocab, settings, args.seed, val_loss,
                           dtype=settings["weights_dtype"], extra=extra)
    print(f"validation loss {val_loss:.4f} nats/char ({utils.training.bits_per_char(val_loss):.3f} "
          f"bits/char), slice {slice_loss:.4f}; trained in {train_seconds:.0f} s")
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)\n--- sample ---\nROMEO:\n{sample}")


if __name__ == "__main__":
    main()
