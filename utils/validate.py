"""Argument checks that fail early with a message saying what was expected.

Every public function in ``utils`` calls these before doing any work, so a learner
who passes a (T, D) array where (B, T, D) was expected reads *that*, instead of a
broadcasting error from deep inside a matrix product.
"""
from __future__ import annotations

import math
import numbers

import numpy as np
import torch


def _shape_text(shape) -> str:
    """Python's own tuple notation: (5,), (3, 4), ()."""
    parts = [str(s) for s in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def expect_tensor(x, name: str, ndim: int | tuple[int, ...] | None = None,
                  shape: tuple | None = None, floating: bool | None = None) -> torch.Tensor:
    """Check that ``x`` is a torch tensor with the given rank / shape / kind of dtype.

    ``shape`` may hold ints or None (None matches any size), e.g. ``(None, None, 8)``.
    Returns ``x`` so calls can be chained.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    _check_rank_and_shape(tuple(x.shape), name, ndim, shape)
    if floating is True and not x.is_floating_point():
        raise TypeError(f"{name} must hold floating-point numbers, got dtype {x.dtype}")
    if floating is False and (x.is_floating_point() or x.is_complex() or x.dtype == torch.bool):
        raise TypeError(f"{name} must hold integer token ids, got dtype {x.dtype}")
    return x


def expect_array(x, name: str, ndim: int | tuple[int, ...] | None = None,
                 shape: tuple | None = None) -> np.ndarray:
    """Check that ``x`` is a floating-point numpy array of the given rank / shape."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{name} must hold floating-point numbers, got dtype {x.dtype}")
    _check_rank_and_shape(x.shape, name, ndim, shape)
    return x


def _check_rank_and_shape(actual: tuple, name: str, ndim, shape) -> None:
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if len(actual) not in allowed:
            wanted = " or ".join(f"{n}-D" for n in allowed)
            raise ValueError(f"{name} must be {wanted}, got shape {_shape_text(actual)} "
                             f"({len(actual)}-D)")
    if shape is not None:
        wanted = _shape_text("*" if s is None else s for s in shape)
        if len(actual) != len(shape) or any(s is not None and s != a for s, a in zip(shape, actual)):
            raise ValueError(f"{name} must have shape {wanted}, got {_shape_text(actual)}")


def expect_positive_int(value, name: str, most: int | None = None) -> int:
    """An integer >= 1 (Python or numpy, not a bool); at most ``most`` when given, so that a
    typo such as steps=10**12 fails at once instead of running for days."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if most is not None and value > most:
        raise ValueError(f"{name} must be at most {most:,}, got {int(value):,}")
    return int(value)


def expect_flag(value, name: str) -> bool:
    """True or False (numpy's bool too), nothing else: a flag like residual=1 is refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def expect_seed(seed, name: str = "seed") -> int:
    """A seed for torch.Generator: an integer in [0, 2**63)."""
    seed = expect_integer(seed, name)
    if not 0 <= seed < 2**63:
        raise ValueError(f"{name} must be a non-negative integer below 2**63, got {seed!r}")
    return seed


def expect_positive_number(value, name: str, allow_none: bool = False, finite: bool = True):
    """A real number > 0 (not NaN); also below infinity unless ``finite=False``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if finite and math.isinf(value):
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")
    return float(value)


def expect_integer(value, name: str) -> int:
    """Any integer (Python or numpy), not a bool or a float such as 1.0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return int(value)


def expect_float64(x, name: str) -> np.ndarray:
    """Finite differences nudge entries by ~1e-5: float32 keeps ~7 digits, too few."""
    expect_array(x, name)
    if x.dtype != np.float64:
        raise TypeError(f"{name} must be float64 (finite differences need float64: a float32 "
                        f"entry cannot hold x + 1e-5 accurately), got dtype {x.dtype}; "
                        f"convert it with {name}.astype(np.float64)")
    return x


def expect_same_shape(a: np.ndarray, b: np.ndarray, names: str) -> None:
    """names: e.g. "a and b". Refuses shapes that would only broadcast."""
    if a.shape != b.shape:
        raise ValueError(f"{names} must have the same shape, got {_shape_text(a.shape)} and "
                         f"{_shape_text(b.shape)}")


def expect_choice(value, name: str, choices) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def expect_device(device) -> torch.device:
    """A torch device from a name or a device; None means the CPU. A CUDA device must exist."""
    if device is None:
        return torch.device("cpu")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"device must name a torch device such as 'cpu' or 'cuda', got "
                         f"{device!r}") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for, but this machine has no CUDA device")
    return device
