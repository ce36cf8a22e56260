"""Time a minGRU training step (forward + backward) in every mode of utils.parallel against
torch.nn.GRU, over sequence lengths T, on the CPU (Chapter 8).

    python benchmarks/bench_scan.py                        # B=16, D=J=64, T = 16 ... 4096
    python benchmarks/bench_scan.py --lengths 16 256 --repeats 3 --threads 0

One torch thread by default, as the notebooks run (utils.setup); --threads 0 leaves torch's
own choice. (On a machine whose cores are busy with other work, several threads make
torch.nn.GRU erratic: its threads wait for each other.)

For each T it times, on one (B, T, D) batch of float32 numbers:
    loop           MinGRUCell, mode "loop" (utils.scan.linear_recurrence: T steps in Python)
    hillis_steele  MinGRUCell, mode "hillis_steele" (ceil(log2 T) rounds)
    blelloch       MinGRUCell, mode "blelloch" (2 log2 P rounds, O(T) work)
    log_space      MinGRUCell(log_space=True), mode "log_space" (cumsum + logcumsumexp)
    nn.GRU         torch.nn.GRU(D, J, batch_first=True): the full GRU (with W, a reset gate
                   and tanh), its time loop fused in C++
A training step is: forward over the batch, loss = output.sum(), backward (gradients of every
weight). The five are timed in turn, in an order that rotates from one repeat to the next,
after a warm-up, so that a busy moment of the machine slows all of them; the table gives the
fastest step of each (the least disturbed by the machine) in milliseconds, and the depth of
each computation (``utils.scan.scan_rounds``): rounds that must run one after another.

The point of the table is the honest one: a scan needs about log2 T rounds instead of T
steps, but on a CPU each round is a pass over the whole sequence, and torch.nn.GRU's C++
loop has no Python overhead per step. Where the crossover lies (if there is one) depends on
the machine, the thread count, B and J: run it, do not quote someone else's numbers.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from utils.parallel import MinGRUCell  # noqa: E402
from utils.scan import scan_rounds  # noqa: E402

LENGTHS = (16, 64, 256, 1024, 4096)
NAMES = ("loop", "hillis_steele", "blelloch", "log_space", "nn.GRU")


def training_step(run, params, xs: torch.Tensor) -> float:
    """Seconds for one forward + backward of ``run(xs)`` (gradients cleared first)."""
    start = time.perf_counter()
    for p in params:
        p.grad = None
    run(xs).sum().backward()
    return time.perf_counter() - start


def contenders(input_size: int, hidden_size: int) -> dict:
    """name -> (run(xs) -> outputs (B, T, J), parameters)."""
    torch.manual_seed(0)
    plain = MinGRUCell(input_size, hidden_size)
    logs = MinGRUCell(input_size, hidden_size, log_space=True)
    gru = torch.nn.GRU(input_size, hidden_size, batch_first=True)
    out = {mode: (lambda xs, m=mode: plain(xs, mode=m), list(plain.parameters()))
           for mode in ("loop", "hillis_steele", "blelloch")}
    out["log_space"] = (lambda xs: logs(xs, mode="log_space"), list(logs.parameters()))
    out["nn.GRU"] = (lambda xs: gru(xs)[0], list(gru.parameters()))
    return out


def time_one_length(steps: int, batch: int, input_size: int, hidden_size: int,
                    repeats: int, warmup: int = 1) -> dict:
    """The fastest training step of each contender at one T, in milliseconds."""
    runs = contenders(input_size, hidden_size)
    xs = torch.randn(batch, steps, input_size, generator=torch.Generator().manual_seed(1))
    times = {name: [] for name in runs}
    names = list(runs)
    for r in range(warmup + repeats):
        order = names[r % len(names):] + names[:r % len(names)]     # rotate who goes first
        for name in order:
            seconds = training_step(*runs[name], xs)
            if r >= warmup:
                times[name].append(seconds)
    return {name: min(t) * 1e3 for name, t in times.items()}


def benchmark(lengths=LENGTHS, batch: int = 16, input_size: int = 64, hidden_size: int = 64,
              repeats: int = 5) -> list[dict]:
    """One row per T: {"T", "ms": {name: fastest ms}, "rounds": scan_rounds(T)}."""
    rows = []
    for steps in lengths:
        rows.append({"T": steps, "ms": time_one_length(steps, batch, input_size, hidden_size,
                                                       repeats),
                     "rounds": scan_rounds(steps)})
    return rows


def table(rows: list[dict]) -> str:
    head = (f"{'T':>6} | " + " | ".join(f"{n:>13}" for n in NAMES)
            + " | rounds: loop / H-S / Blelloch")
    lines = [head, "-" * len(head)]
    for row in rows:
        rounds = row["rounds"]
        lines.append(f"{row['T']:>6} | " + " | ".join(f"{row['ms'][n]:>10.2f} ms" for n in NAMES)
                     + f" | {rounds['loop']} / {rounds['hillis_steele']} / {rounds['blelloch']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS))
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--input-size", type=int, default=64)
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1, as the notebooks run; 0: torch's own "
                             "choice for this machine)")
    args = parser.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    sizes = contenders(args.input_size, args.hidden_size)
    counts = {name: sum(p.numel() for p in params) for name, (_, params) in sizes.items()}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), float32, "
          f"B={args.batch}, D={args.input_size}, J={args.hidden_size}; fastest of "
          f"{args.repeats} training steps (forward + backward), milliseconds")
    print(f"parameters: minGRU {counts['loop']:,}, nn.GRU {counts['nn.GRU']:,}")
    rows = benchmark(args.lengths, args.batch, args.input_size, args.hidden_size, args.repeats)
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
