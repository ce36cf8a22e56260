"""Time the course: each notebook on its own, then a cold and a cached build of the book.

    python benchmarks/bench_notebooks.py                  # notebooks, then both builds
    python benchmarks/bench_notebooks.py --notebooks-only # just the notebooks
    python benchmarks/bench_notebooks.py --notebooks-only 04 lab04   # only names containing these

Every notebook listed in _toc.yml is executed with nbclient in its own folder (as the
book build and Jupyter do), with a fresh kernel, and its wall time (kernel start
included) is compared with its budget: 30 s for a chapter, 60 s for a lab (half of what a
reader is promised, 60 s and 120 s, since machines of one kind differ in speed by 2x).
The CPU column is the CPU time of the notebook's kernel (user + system): on a busy
machine it stays near what the wall time would be on an idle one (the notebooks use one
torch thread). Then the
whole book is built into a fresh folder with --all (every notebook executed, budget
600 s), and built again with nothing changed (execution cache and Sphinx environment
reused, budget 60 s). Outputs are never written back into the notebooks.

Like `make book`, it sets RNN_COURSE_PROGRESS=0 (utils then shows no live progress bars).

Before anything else it times a fixed reference workload (reference_workload: one-thread
training steps of a small LSTM and a numpy matrix loop), so that times measured on
different machines can be compared: divide by the reference seconds.

Exit status 1 if a notebook fails or anything is over its budget.
"""
from __future__ import annotations

import argparse
import os
import resource
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from course_toc import toc_notebooks  # noqa: E402

# As in `make book`: no live progress bars (kernels inherit this process's environment).
os.environ["RNN_COURSE_PROGRESS"] = "0"
BUDGET_S = {"chapters": 30.0, "labs": 60.0}
COLD_BUILD_BUDGET_S = 600.0
CACHED_BUILD_BUDGET_S = 60.0


def budget_for(path: Path) -> float:
    return BUDGET_S.get(path.relative_to(ROOT).parts[0], BUDGET_S["chapters"])


def reference_workload() -> float:
    """Seconds for a fixed one-thread workload: 60 training steps of an LSTM (B=64, T=32,
    J=128) and 200 products of 256x256 numpy matrices. Divide a timing by it to compare
    machines."""
    import numpy as np
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    lstm, head = torch.nn.LSTM(16, 128, batch_first=True), torch.nn.Linear(128, 16)
    opt = torch.optim.Adam([*lstm.parameters(), *head.parameters()], lr=1e-3)
    x, y = torch.randn(64, 32, 16), torch.randint(16, (64, 32))
    a = np.random.default_rng(0).standard_normal((256, 256)) / 16
    start = time.perf_counter()
    for _ in range(60):
        loss = torch.nn.functional.cross_entropy(head(lstm(x)[0]).reshape(-1, 16), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    b = a.copy()
    for _ in range(200):
        b = np.tanh(b @ a)
    torch.set_num_threads(threads)
    return time.perf_counter() - start


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_notebook(path: Path, cell_timeout: int) -> tuple[float, float, str | None]:
    """Execute one notebook in its folder; return (wall seconds, kernel CPU seconds, error
    or None). The kernel's CPU time is counted once it has exited."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start, cpu = time.perf_counter(), _children_cpu()
    error = None
    try:
        client.execute()
    except Exception as exc:  # report and carry on with the next notebook
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
        error = f"{type(exc).__name__}: {first_line[:200]}"
    return time.perf_counter() - start, _children_cpu() - cpu, error


def build(out: Path, full: bool) -> tuple[float, int, str]:
    """jupyter-book build (the command of `make book`) into `out`; (seconds, rc, log tail)."""
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
           "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output", str(out)]
    if full:
        cmd.append("--all")
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - start, proc.returncode, (proc.stdout + proc.stderr)[-3000:]


def verdict(seconds: float, budget: float, failed: bool = False) -> str:
    if failed:
        return "FAILED"
    return "OVER" if seconds > budget else "ok"


def print_table(rows: list[tuple], title: str) -> None:
    """rows: (name, seconds, budget, status) or (name, seconds, cpu seconds, budget, status)."""
    width = max([len(r[0]) for r in rows] + [len(title)])
    print(f"\n{title:<{width}}  {'seconds':>8}  {'CPU s':>7}  {'budget':>7}  status")
    print("-" * (width + 36))
    for name, seconds, *rest in rows:
        cpu, budget, status = rest if len(rest) == 3 else (None, *rest)
        cpu_text = "" if cpu is None else f"{cpu:7.1f}"
        print(f"{name:<{width}}  {seconds:8.1f}  {cpu_text:>7}  {budget:7.0f}  {status}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks-only", action="store_true",
                        help="time the notebooks, skip the two book builds")
    parser.add_argument("--cell-timeout", type=int, default=600,
                        help="seconds one cell may run before it counts as failed (default 600)")
    parser.add_argument("only", nargs="*", metavar="NAME",
                        help="time only the notebooks whose path contains one of these strings")
    args = parser.parse_args()

    print(f"Python {platform.python_version()} on {platform.platform()}, "
          f"{os.cpu_count()} CPUs")
    reference = reference_workload()
    print(f"reference workload (one thread, see reference_workload): {reference:.2f} s; "
          f"a notebook's time / this = its time in reference units")
    ok = True

    rows = []
    notebooks = [p for p in toc_notebooks()
                 if not args.only or any(part in str(p.relative_to(ROOT)) for part in args.only)]
    if not notebooks:
        parser.error(f"no notebook of _toc.yml matches {args.only}")
    for path in notebooks:
        name = str(path.relative_to(ROOT))
        print(f"running {name} ...", flush=True)
        seconds, cpu, error = run_notebook(path, args.cell_timeout)
        status = verdict(seconds, budget_for(path), failed=error is not None)
        if error:
            status += f" ({error})"
        ok &= status == "ok"
        rows.append((name, seconds, cpu, budget_for(path), status))
    print_table(rows, "notebook")

    if not args.notebooks_only:
        with tempfile.TemporaryDirectory(prefix="rnn-course-bench-") as tmp:
            out = Path(tmp)
            print("\nbuilding the book from scratch (--all) ...", flush=True)
            cold, rc_cold, log_cold = build(out, full=True)
            print("building it again with nothing changed ...", flush=True)
            cached, rc_cached, log_cached = build(out, full=False)
        build_rows = [
            ("cold full build (--all)", cold, COLD_BUILD_BUDGET_S,
             verdict(cold, COLD_BUILD_BUDGET_S, failed=rc_cold != 0)),
            ("cached rebuild, nothing changed", cached, CACHED_BUILD_BUDGET_S,
             verdict(cached, CACHED_BUILD_BUDGET_S, failed=rc_cached != 0)),
        ]
        print_table(build_rows, "book build")
        for (name, *_, status), log in zip(build_rows, (log_cold, log_cached)):
            if status == "FAILED":
                print(f"\n--- end of the log of the {name} ---\n{log}")
        ok &= all(r[3] == "ok" for r in build_rows)

    print("\nall within budget" if ok else "\nSOMETHING FAILED OR IS OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
