"""One plot style for the whole course: colour-blind-safe colours (Okabe & Ito), light grid.

``COLORS`` names the palette; ``use_course_style()`` is called by ``utils.setup``.
"""
from __future__ import annotations


import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch

from .validate import expect_positive_int

# Okabe & Ito (2008): distinguishable under the common forms of colour blindness.
COLORS = {
    "blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
    "purple": "#CC79A7", "sky": "#56B4E9", "yellow": "#F0E442", "black": "#000000",
    "grey": "#7F7F7F",
}
CYCLE = [COLORS[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "black")]
# Colour maps: sequential "viridis", diverging "RdBu_r" centred on zero (both colour-blind safe).
SEQUENTIAL, DIVERGING = "viridis", "RdBu_r"


def use_course_style() -> None:
    """Apply the course's matplotlib defaults."""
    mpl.rcParams.update({
        "axes.prop_cycle": mpl.cycler(color=CYCLE),
        "axes.grid": True, "grid.alpha": 0.3, "grid.linewidth": 0.6,
        "axes.spines.top": False, "axes.spines.right": False,
        "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 9,
        "legend.frameon": False, "xtick.labelsize": 9, "ytick.labelsize": 9,
        "figure.figsize": (6.4, 3.6), "figure.dpi": 100, "savefig.dpi": 100,
        "figure.constrained_layout.use": True, "image.cmap": SEQUENTIAL,
        "lines.linewidth": 1.8, "animation.embed_limit": 40.0,
    })


def _expect_axes(ax, name: str = "ax"):
    """A matplotlib Axes (e.g. from plt.subplots()), checked before anything is drawn."""
    if not isinstance(ax, mpl.axes.Axes):
        raise TypeError(f"{name} must be a matplotlib Axes (e.g. fig, ax = plt.subplots()), "
                        f"got {type(ax).__name__}")
    return ax


def _expect_text(value, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    return value


def _expect_cmap(cmap):
    """A colour map's name (e.g. "viridis") or a matplotlib Colormap."""
    if isinstance(cmap, mpl.colors.Colormap):
        return cmap
    if not isinstance(cmap, str) or cmap not in mpl.colormaps:
        raise ValueError(f"cmap must be the name of a matplotlib colour map such as "
                         f"{SEQUENTIAL!r} or {DIVERGING!r}, got {cmap!r}")
    return cmap


def _as_float_array(values, name: str) -> np.ndarray:
    """A numpy float array from a list, numpy array or torch tensor (any device)."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    if isinstance(values, (str, bytes, dict, set)):
        raise TypeError(f"{name} must be a sequence of numbers, got {type(values).__name__}")
    try:
        array = np.asarray(values)
    except ValueError as error:      # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers: {error}") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number)
                                     or array.dtype == bool) or np.iscomplexobj(array):
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    return array.astype(float)


def smooth(values, window: int = 25) -> np.ndarray:
    """Trailing moving average (shorter at the start), for noisy per-step losses.

    NaN-aware, for the loss of a run that diverged or stopped: NaNs inside a window are
    left out of its average, and a step whose own value is NaN stays NaN, so the curve shows
    a gap exactly where the loss was missing, neither widened by the window nor filled in.
    An inf inside a window makes its average inf (-inf and inf together: NaN).
    values: (N,) -> (N,); N = 0 gives an empty array.
    """
    values = _as_float_array(values, "values")
    if values.ndim != 1:
        raise ValueError(f"values must be 1-D (one loss per step), got shape {values.shape}")
    window = min(expect_positive_int(window, "window"), max(1, len(values)))

    def trailing_sum(x):                 # sum over the window ending at every step
        c = np.concatenate([[0.0], np.cumsum(x)])
        idx = np.arange(1, len(x) + 1)
        return c[idx] - c[np.maximum(0, idx - window)]

    finite = np.isfinite(values)
    total = trailing_sum(np.where(finite, values, 0.0))
    count = trailing_sum(finite.astype(float))
    pos, neg = trailing_sum(values == np.inf) > 0, trailing_sum(values == -np.inf) > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    out[pos] = np.inf
    out[neg] = -np.inf
    out[pos & neg] = np.nan
    out[np.isnan(values)] = np.nan
    return out


def plot_history(histories: dict, ax=None, baselines: dict | None = None, smooth_window: int = 25,
                 ylabel: str = "loss (nats per token)"):
    """Training (smoothed, thin) and validation (markers) losses of one or more runs.

    histories: {label: History}. baselines: {label: value} drawn as dashed lines.
    """
    styles = ["--", ":", "-.", (0, (5, 1, 1, 1, 1, 1))]
    if baselines is not None and not isinstance(baselines, dict):
        raise TypeError(f"baselines must be a dict {{label: loss}}, got {type(baselines).__name__}")
    if len(baselines or {}) > len(styles):
        raise ValueError(f"plot_history draws at most {len(styles)} baselines (one line style "
                         f"each), got {len(baselines)}: {list(baselines)}")
    if not isinstance(histories, dict) or len(histories) > len(CYCLE):
        raise ValueError(f"histories must be a dict of at most {len(CYCLE)} runs (one colour "
                         f"each), got {histories if not isinstance(histories, dict) else len(histories)}")
    if not histories:
        raise ValueError("histories must hold at least one run {label: History}, got {}")
    expect_positive_int(smooth_window, "smooth_window")
    _expect_text(ylabel, "ylabel")
    if ax is not None:
        _expect_axes(ax)
    for label, h in histories.items():
        if not all(hasattr(h, name) for name in ("steps", "loss", "val_steps", "val_loss")):
            raise TypeError(f"histories[{label!r}] must be a utils.training.History (with steps, "
                            f"loss, val_steps, val_loss), got {type(h).__name__}")
        for xs, ys, what in ((h.steps, h.loss, "loss"), (h.val_steps, h.val_loss, "val_loss")):
            if len(xs) != len(ys):
                raise ValueError(f"histories[{label!r}] has {len(ys)} {what} values for "
                                 f"{len(xs)} steps: they must match")
    for label, value in (baselines or {}).items():
        try:
            number = float(value) if not isinstance(value, (bool, str)) else None
        except (TypeError, ValueError, RuntimeError):
            number = None
        if number is None or not np.isfinite(number):
            raise ValueError(f"baseline {label!r} must be a finite number, got {value!r}")
    ax = ax or plt.subplots()[1]
    for (label, h), color in zip(histories.items(), CYCLE):
        ax.plot(h.steps, smooth(h.loss, smooth_window), color=color, alpha=0.55, lw=1.2,
                label=f"{label} (train)")
        if h.val_loss:
            ax.plot(h.val_steps, h.val_loss, "o-", color=color, ms=4, label=f"{label} (validation)")
    for (label, value), style in zip((baselines or {}).items(), styles):
        ax.axhline(value, color=COLORS["grey"], ls=style, lw=1.2, label=label)
    ax.set_xlabel("training step")
    ax.set_ylabel(ylabel)
    ax.legend()
    return ax


def heatmap(ax, values, xlabels=None, ylabels=None, cmap: str = DIVERGING, center_zero: bool = True,
            colorbar: bool = True, label: str = ""):
    """Show a 2-D array (rows, columns) with optional tick labels; diverging colours centred
    on 0 by default. NaN cells are left blank; the colour limits come from the finite values
    (+-max|value| when center_zero), so one NaN or inf does not distort them. A torch tensor
    is accepted (any device). xlabels / ylabels need one label per column / row."""
    _expect_axes(ax)
    cmap = _expect_cmap(cmap)
    _expect_text(label, "label")
    values = _as_float_array(values, "values")
    if values.ndim != 2:
        raise ValueError(f"values must be 2-D (rows, columns), got shape {values.shape}")
    if values.size == 0:
        raise ValueError(f"values must not be empty, got shape {values.shape}")
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise ValueError("values holds no finite number (all NaN or inf): nothing to show")
    for labels, axis, name in ((xlabels, 1, "xlabels"), (ylabels, 0, "ylabels")):
        if labels is None:
            continue
        if isinstance(labels, str) or not hasattr(labels, "__len__"):
            raise TypeError(f"{name} must be a list of labels, got {type(labels).__name__}")
        if len(labels) != values.shape[axis]:
            raise ValueError(f"{name} must hold one label per {'column' if axis else 'row'} "
                             f"({values.shape[axis]}), got {len(labels)}")
    if center_zero:
        limit = float(np.abs(finite).max())
        vmin, vmax = -limit, limit
    else:
        vmin, vmax = float(finite.min()), float(finite.max())
    image = ax.imshow(values, aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax,
                      interpolation="nearest")
    if xlabels is not None:
        ax.set_xticks(range(len(xlabels)), xlabels)
    if ylabels is not None:
        ax.set_yticks(range(len(ylabels)), ylabels)
    ax.grid(False)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label=label)
    return image
