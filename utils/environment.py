"""Seeding, device choice and the one-line setup every notebook calls."""
from __future__ import annotations

import os
import random

import numpy as np
import torch


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, numpy's and torch's generators (CPU and CUDA) with ``seed``."""
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
        return torch.device(choice)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def setup(seed: int = 0, quiet: bool = False) -> torch.device:
    """Seed everything, apply the course's plot style and return the device to use."""
    from .plotting import use_course_style

    seed_everything(seed)
    use_course_style()
    device = get_device()
    if not quiet:
        print(f"utils ready | torch {torch.__version__} | numpy {np.__version__} | "
              f"device {device} | seed {seed}")
    return device
