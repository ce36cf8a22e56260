"""Seeding, device choice and the one-line setup every notebook calls."""
from __future__ import annotations

import numbers
import os
import random

import numpy as np
import torch


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, numpy's and torch's generators (CPU and CUDA) with ``seed``."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32), got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    os.environ["PYTHONHASHSEED"] = str(seed)


def get_device(prefer: str | None = None) -> torch.device:
    """CUDA when a GPU is present (e.g. a Colab GPU runtime), else the CPU.

    ``prefer="cpu"`` forces the CPU; the environment variable RNN_COURSE_DEVICE does too.
    """
    choice = prefer or os.environ.get("RNN_COURSE_DEVICE")
    if choice:
        try:
            return torch.device(choice)
        except (RuntimeError, TypeError) as error:
            raise ValueError(f"device must be a name such as 'cpu' or 'cuda', got {choice!r}") from error
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def setup(seed: int = 0, threads: int = 1, quiet: bool = False) -> torch.device:
    """Seed everything, apply the course's plot style and return the device to use.

    threads: torch's CPU threads. The course's matrices are small: one thread is as fast
    as several on an idle machine, much faster on a busy one, and keeps results identical
    from one machine to the next (the order of floating-point sums does not change).
    """
    from .plotting import use_course_style

    seed_everything(seed)
    torch.set_num_threads(threads)
    use_course_style()
    device = get_device()
    if not quiet:
        print(f"utils ready | torch {torch.__version__} | numpy {np.__version__} | "
              f"device {device} | seed {seed} | {threads} CPU thread(s)")
    return device
