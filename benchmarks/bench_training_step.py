"""Time one training step of the course's recurrent cores against torch.nn, side by side.

    python benchmarks/bench_training_step.py                 # B=64, T=12, D=J=128, one thread
    python benchmarks/bench_training_step.py --check         # exit 1 if a ratio is over 1.25
    python benchmarks/bench_training_step.py --cells gru --repeats 200

For each cell (RNN, GRU, LSTM) it builds ``torch.nn.RNN/GRU/LSTM(batch_first=True)`` and
the course's ``RecurrentNet.from_torch(module)`` (same weights, the from-scratch cells and
a Python loop over time), then times a training step of each: forward over a (B, T, D)
batch, loss = output.sum(), backward (gradients of every weight). The two are timed in
turn, interleaved (each first half the time), ``--repeats`` times each after a warm-up, so that a busy moment of the
machine slows both; the table reports the fastest step of each (the least disturbed by
the machine) and the median, in milliseconds, and the ratio ours / torch.nn of the fastest.

One torch thread, as the notebooks run (utils.setup). The issue's target: a ratio of at
most 1.25 for every cell. ``--check`` makes the exit status 1 when one is over --max-ratio.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from utils.cells import CELLS  # noqa: E402
from utils.recurrent import RecurrentNet  # noqa: E402

KINDS = ("rnn", "gru", "lstm")


def training_step(core: torch.nn.Module, xs: torch.Tensor) -> float:
    """Seconds for one forward + backward pass of ``core`` on xs (gradients cleared first)."""
    start = time.perf_counter()
    for p in core.parameters():
        p.grad = None
    out, _ = core(xs)                                  # (B, T, J)
    out.sum().backward()
    return time.perf_counter() - start


def compare(kind: str, batch: int, steps: int, input_size: int, hidden_size: int,
            repeats: int, warmup: int = 5) -> dict:
    """Interleaved timings of torch.nn and the course's RecurrentNet for one cell kind."""
    torch.manual_seed(0)
    theirs = CELLS[kind].torch_class(input_size, hidden_size, batch_first=True)
    ours = RecurrentNet.from_torch(theirs)
    xs = torch.randn(batch, steps, input_size)
    times = {"torch": [], "ours": []}
    pair = [("torch", theirs), ("ours", ours)]
    for r in range(warmup + repeats):
        for name, core in (pair if r % 2 else pair[::-1]):     # each goes first half the time
            seconds = training_step(core, xs)
            if r >= warmup:
                times[name].append(seconds)
    row = {name: (min(t) * 1e3, statistics.median(t) * 1e3) for name, t in times.items()}
    row["ratio"] = row["ours"][0] / row["torch"][0]
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--input-size", type=int, default=128)
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--check", action="store_true",
                        help="exit with status 1 when a ratio is over --max-ratio")
    parser.add_argument("--max-ratio", type=float, default=1.25)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"training step (forward, loss = output.sum(), backward): B={args.batch}, "
          f"T={args.steps}, D={args.input_size}, J={args.hidden_size}, "
          f"{args.threads} thread(s), {args.repeats} repeats, torch {torch.__version__}")
    print(f"{'cell':6s} {'torch.nn ms':>12s} {'ours ms':>10s} {'(median)':>18s} {'ratio':>7s}")
    over = []
    for kind in args.cells:
        row = compare(kind, args.batch, args.steps, args.input_size, args.hidden_size, args.repeats)
        (t_min, t_med), (o_min, o_med) = row["torch"], row["ours"]
        flag = "  over" if row["ratio"] > args.max_ratio else ""
        print(f"{kind:6s} {t_min:12.3f} {o_min:10.3f}   ({t_med:6.3f}, {o_med:6.3f}) "
              f"{row['ratio']:6.2f}x{flag}")
        if flag:
            over.append(kind)
    if over:
        print(f"over {args.max_ratio}x: {', '.join(over)}")
    return 1 if (args.check and over) else 0


if __name__ == "__main__":
    raise SystemExit(main())
