"""One plot style for the whole course: colour-blind-safe colours (Okabe & Ito), light grid.

``COLORS`` names the palette; ``use_course_style()`` is called by ``utils.setup``.
"""
from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

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


def smooth(values, window: int = 25) -> np.ndarray:
    """Trailing moving average (shorter at the start), for noisy per-step losses."""
    values = np.asarray(values, dtype=float)
    window = max(1, min(window, len(values)))
    cumsum = np.cumsum(np.insert(values, 0, 0.0))
    out = np.empty_like(values)
    for i in range(len(values)):
        lo = max(0, i + 1 - window)
        out[i] = (cumsum[i + 1] - cumsum[lo]) / (i + 1 - lo)
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
    """Show a 2-D array with optional tick labels; diverging colours centred on 0 by default."""
    values = np.asarray(values)
    limit = np.abs(values).max() if center_zero else None
    image = ax.imshow(values, aspect="auto", cmap=cmap, vmin=-limit if center_zero else None,
                      vmax=limit, interpolation="nearest")
    if xlabels is not None:
        ax.set_xticks(range(len(xlabels)), xlabels)
    if ylabels is not None:
        ax.set_yticks(range(len(ylabels)), ylabels)
    ax.grid(False)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label=label)
    return image
