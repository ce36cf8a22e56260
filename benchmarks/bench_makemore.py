"""Do train()'s defaults give a good model without tuning? A side-by-side test against
makemore's recipe (Karpathy's makemore, its GRU language model), on the names of Chapter 2.

Both models are the same GRU language model, 64 embedding and 64 hidden units
(``models.CharLM(..., cell="gru", hidden_size=64, embedding_dim=64)``), trained on the same
split (the names shuffled with seed 0, the last 10% held out) for the same wall-clock
budget on one thread, alternating, in one process (machines differ in speed, so only a
comparison within one run means anything):

(a) makemore's recipe, written out here: AdamW(lr=5e-4, weight_decay=0.01,
    betas=(0.9, 0.99), eps=1e-8), batches of 32 names, a constant learning rate, no clipping;
(b) the course: ``training.train`` with its defaults only, on ``data.SequenceBatches``
    (batches of 64), with ``max_seconds`` equal to the budget.

It prints the validation loss (nats per character) of each and states whether the course's
is lower by at least the margin (0.02 nats).

    python benchmarks/bench_makemore.py                  # 20 s each, seeds 0 and 1
    python benchmarks/bench_makemore.py --seconds 5 --seeds 0
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from utils import data, models, training  # noqa: E402

MARGIN = 0.02


def names_split():
    """The split of Chapter 2 and Lab 2: shuffled with seed 0, the last 10% held out."""
    names = data.shuffled(data.load_names(), seed=0)
    train_names, val_names = data.split_contiguous(names, val_fraction=0.1)
    return train_names, val_names, data.Vocab.from_texts(train_names)


def new_model(vocab, seed: int, backend: str):
    torch.manual_seed(seed)
    return models.CharLM(len(vocab), hidden_size=64, cell="gru", embedding_dim=64,
                         backend=backend)


def train_makemore(model, train_names, vocab, seconds: float, seed: int) -> int:
    """makemore's loop: AdamW(5e-4, weight decay 0.01), batches of 32, until the budget is
    spent. Returns the number of steps."""
    batches = data.SequenceBatches(train_names, vocab, batch_size=32)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01,
                                  betas=(0.9, 0.99), eps=1e-8)
    start, steps = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        loss = training.lm_loss(model, batches(generator))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        steps += 1
    return steps


def train_course(model, train_names, vocab, seconds: float, seed: int) -> int:
    """The course's defaults: train(model, batches, max_seconds=budget), nothing else."""
    batches = data.SequenceBatches(train_names, vocab)
    history = training.train(model, batches, steps=None, max_seconds=seconds, seed=seed,
                             progress=False)
    return len(history.steps)


def main(argv=None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="budget of each run (20)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--backend", choices=["scratch", "torch"], default="scratch",
                        help="the GRU of both models (default: CharLM's, scratch)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    train_names, val_names, vocab = names_split()
    val = data.SequenceBatches(val_names, vocab)
    print(f"{len(train_names)} training names, {len(val_names)} validation names; "
          f"{args.seconds:g} s per run, one thread, backend {args.backend!r}")
    results = {"makemore": [], "course": []}
    for seed in args.seeds:
        for name, run in (("makemore", train_makemore), ("course", train_course)):
            model = new_model(vocab, seed, args.backend)
            steps = run(model, train_names, vocab, args.seconds, seed)
            loss = training.evaluate(model, val.all_batches())
            results[name].append(loss)
            print(f"seed {seed}  {name:<9} {steps:6d} steps  validation {loss:.3f} nats/char")
    mean = {name: sum(losses) / len(losses) for name, losses in results.items()}
    gaps = [m - c for m, c in zip(results["makemore"], results["course"])]
    ok = min(gaps) >= MARGIN
    print(f"mean: makemore {mean['makemore']:.3f}, course {mean['course']:.3f}; course lower by "
          f"{', '.join(f'{g:.3f}' for g in gaps)} (seed by seed): "
          + ("PASS" if ok else "FAIL") + f", margin {MARGIN} on every seed")
    return ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
