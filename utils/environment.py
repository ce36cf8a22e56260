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
    if prefer is not None and not isinstance(prefer, str):
        raise TypeError(f"prefer must be a device name such as 'cpu' or 'cuda', got {prefer!r}")
    choice = prefer or os.environ.get("RNN_COURSE_DEVICE")
    if not choice:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(choice)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"device must be a name such as 'cpu' or 'cuda', got {choice!r}") from error
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"device {choice!r} asks for GPU {device.index}, but this machine has "
                         f"{torch.cuda.device_count()} GPU(s)")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {choice!r} asks for a GPU, but torch sees none here: use 'cpu' "
                         "(or, on Colab, Runtime > Change runtime type > GPU)")
    return device


def setup(seed: int = 0, threads: int = 1, quiet: bool = False) -> torch.device:
    """Seed everything, apply the course's plot style and return the device to use.

    threads: torch's CPU threads. The course's matrices are small: one thread is as fast
    as several on an idle machine, much faster on a busy one, and keeps results identical
    from one machine to the next (the order of floating-point sums does not change).
    """
    from .plotting import use_course_style

    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or not 1 <= threads <= 1024:
        raise ValueError(f"threads must be an integer from 1 to 1024 (torch's CPU threads), got {threads!r}")
    if not isinstance(quiet, bool):
        raise TypeError(f"quiet must be True or False, got {quiet!r}")
    seed_everything(seed)
    torch.set_num_threads(int(threads))
    use_course_style()
    device = get_device()
    if not quiet:
        print(f"utils ready | torch {torch.__version__} | numpy {np.__version__} | "
              f"device {device} | seed {seed} | {threads} CPU thread(s)")
    return device
