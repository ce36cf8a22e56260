"""Drawings of recurrent networks, made with matplotlib patches and arrows.

    fig, ax = plt.subplots(figsize=(5.6, 3.4)); draw_rnn_box(ax)      # the unit, folded
    fig, ax = plt.subplots(figsize=(7, 3.3)); draw_unrolled(ax, T=4)  # unrolled in time
    fig = plt.figure(figsize=(7.4, 5)); draw_architectures(fig)       # the five shapes

Every drawing is a small graph: boxes placed at (x, y) in data units (one unit is
about one box width) and arrows between them. Colours follow the course palette:
inputs green, hidden states blue, outputs orange, losses and gradients vermillion,
a decoder's states purple. ``node`` and ``arrow`` are public, so a later chapter can
draw its own variant (a gated cell, a stack) in the same style.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

from .plotting import COLORS

KIND_COLORS = {
    "input": COLORS["green"], "hidden": COLORS["blue"], "output": COLORS["orange"],
    "loss": COLORS["vermillion"], "decoder": COLORS["purple"], "state": COLORS["grey"],
}
GRADIENT_COLOR = COLORS["vermillion"]


@dataclass
class Box:
    """A drawn node: centre (x, y) and half-width / half-height in data units."""
    x: float
    y: float
    hw: float
    hh: float

    @property
    def center(self) -> np.ndarray:
        return np.array([self.x, self.y])

    def edge_toward(self, point) -> np.ndarray:
        """The point where the segment from the centre to ``point`` leaves the box."""
        d = np.asarray(point, dtype=float) - self.center
        if not d.any():
            return self.center
        scale = min(self.hw / abs(d[0]) if d[0] else np.inf,
                    self.hh / abs(d[1]) if d[1] else np.inf)
        return self.center + d * scale


def _tint(color: str, amount: float = 0.82) -> tuple:
    """``color`` mixed with white (amount 1 = white), for box fills."""
    rgb = np.array(mcolors.to_rgb(color))
    return tuple(rgb + (1.0 - rgb) * amount)


def _prepare(ax) -> None:
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes (e.g. from plt.subplots()), "
                        f"got {type(ax).__name__}")
    ax.set_aspect("equal")
    ax.axis("off")


def node(ax, xy, text: str, kind: str = "hidden", size=(0.7, 0.5), fontsize: float = 12) -> Box:
    """Draw a rounded box centred at ``xy`` with ``text`` (mathtext allowed) and return it.

    kind: one of "input", "hidden", "output", "loss", "decoder", "state".
    """
    if kind not in KIND_COLORS:
        raise ValueError(f"kind must be one of {sorted(KIND_COLORS)}, got {kind!r}")
    (x, y), (w, h) = xy, size
    color = KIND_COLORS[kind]
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                boxstyle="round,pad=0,rounding_size=0.08", facecolor=_tint(color),
                                edgecolor=color, linewidth=1.6, zorder=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=3)
    return Box(x, y, w / 2, h / 2)


def arrow(ax, start: Box, end: Box, label: str | None = None, color: str = "black",
          dashed: bool = False, rad: float = 0.0, offset: float = 0.0, label_side: float = 1.0,
          fontsize: float = 11, lw: float = 1.3):
    """An arrow from box ``start`` to box ``end``, from edge to edge.

    offset shifts the whole arrow sideways (to draw a gradient next to a forward arrow),
    rad bends it (matplotlib's arc3). label is written beside the middle of the straight
    line, on the left of the direction of travel when label_side > 0, on the right when < 0.
    """
    a, b = start.edge_toward(end.center), end.edge_toward(start.center)
    direction = (b - a) / max(np.linalg.norm(b - a), 1e-9)
    normal = np.array([-direction[1], direction[0]])          # left of the direction of travel
    a, b = a + offset * normal, b + offset * normal
    patch = FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=11, color=color, lw=lw,
                            linestyle=(0, (4, 2.5)) if dashed else "-", shrinkA=2, shrinkB=2,
                            connectionstyle=f"arc3,rad={rad}", zorder=1)
    ax.add_patch(patch)
    if label:
        middle = (a + b) / 2 + normal * 0.16 * label_side
        ax.text(*middle, label, ha="center", va="center", fontsize=fontsize, color=color, zorder=3)
    return patch


def _self_loop(ax, box: Box, label: str, fontsize: float = 12):
    """The recurrent connection of the folded unit: out of the right side and back in."""
    x0, y0 = box.x + box.hw, box.y
    path = Path([(x0, y0 + 0.12), (x0 + 0.95, y0 + 0.75), (x0 + 0.95, y0 - 0.75), (x0, y0 - 0.12)],
                [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])
    ax.add_patch(FancyArrowPatch(path=path, arrowstyle="-|>", mutation_scale=11, color="black",
                                 lw=1.3, zorder=1))
    ax.add_patch(FancyBboxPatch((x0 + 0.66, y0 - 0.07), 0.14, 0.14, boxstyle="square,pad=0",
                                facecolor="black", zorder=2))       # the one-step delay
    ax.text(x0 + 0.95, y0, label, ha="left", va="center", fontsize=fontsize)


def draw_rnn_box(ax, equations: bool = True):
    """The recurrent unit, folded: x_t -> h_t -> ŷ_t with the loop W from h_t back into itself.

    With equations=True the forward equations are written to the right of the drawing.
    """
    _prepare(ax)
    x = node(ax, (0, 0), r"$x_t$", "input")
    h = node(ax, (0, 1.35), r"$h_t$", "hidden", size=(0.8, 0.55), fontsize=13)
    y = node(ax, (0, 2.7), r"$\hat{y}_t$", "output")
    arrow(ax, x, h, r"$U$", fontsize=12)
    arrow(ax, h, y, r"$V$", fontsize=12)
    _self_loop(ax, h, r"$W$")
    ax.text(1.13, 0.72, "one-step delay:\n" + r"$h_t$ becomes $h_{t-1}$", fontsize=8.5,
            color=COLORS["grey"], ha="center", va="top")
    right = 1.9
    if equations:
        lines = [r"$a_t = W h_{t-1} + U x_t + b$", r"$h_t = \tanh(a_t)$",
                 r"$\hat{y}_t = \mathrm{softmax}(V h_t + c)$"]
        for k, line in enumerate(lines):
            ax.text(2.2, 2.0 - 0.55 * k, line, fontsize=12, va="center")
        ax.text(2.2, 0.0, "the same $U, W, V, b, c$\nat every step $t$", fontsize=10,
                color=COLORS["grey"], va="center")
        right = 5.6
    ax.set_xlim(-0.6, right)
    ax.set_ylim(-0.45, 3.1)
    return ax


def draw_unrolled(ax, T: int = 4, loss: bool = False, backward: bool = False, h0: bool = True):
    """The network unrolled over T steps: one column per step, every column with the same U, W, V.

    loss=True adds the per-step losses L_t above the outputs; backward=True adds the
    gradient's path (dashed, vermillion): down from every loss and back along the chain.
    """
    if isinstance(T, bool) or not isinstance(T, int) or not 1 <= T <= 12:
        raise ValueError(f"T must be an integer from 1 to 12 (a drawing, not a computation), "
                         f"got {T!r}")
    if backward and not loss:
        raise ValueError("backward=True draws the gradient flowing from the losses: "
                         "pass loss=True too")
    _prepare(ax)
    gap = 1.7
    prev = node(ax, (0, 1.35), r"$h_0$", "state") if h0 else None
    top = 2.7
    for t in range(1, T + 1):
        cx = gap * t
        x = node(ax, (cx, 0), rf"$x_{{{t}}}$", "input")
        h = node(ax, (cx, 1.35), rf"$h_{{{t}}}$", "hidden", size=(0.8, 0.55))
        y = node(ax, (cx, 2.7), rf"$\hat{{y}}_{{{t}}}$", "output")
        arrow(ax, x, h, r"$U$")
        arrow(ax, h, y, r"$V$")
        if prev is not None:
            arrow(ax, prev, h, r"$W$", label_side=1.0)
            if backward:
                arrow(ax, h, prev, color=GRADIENT_COLOR, dashed=True, offset=0.17)
        if loss:
            L = node(ax, (cx, 3.9), rf"$\mathcal{{L}}_{{{t}}}$", "loss", size=(0.6, 0.45))
            arrow(ax, y, L)
            top = 3.9
            if backward:
                arrow(ax, L, y, color=GRADIENT_COLOR, dashed=True, offset=0.2)
                arrow(ax, y, h, color=GRADIENT_COLOR, dashed=True, offset=0.2)
        prev = h
    if loss:
        ax.text(gap * (T + 0.55), 3.9, r"$\mathcal{L} = \sum_t \mathcal{L}_t$", fontsize=12,
                va="center")
    if backward:
        ax.text(gap * (T + 0.55), 1.35, "gradient\n(backward)", color=GRADIENT_COLOR,
                fontsize=10, va="center")
    right = gap * (T + 0.55) + (1.6 if (loss or backward) else 0.0)
    ax.set_xlim(-0.6 if h0 else gap - 0.6, right)
    ax.set_ylim(-0.45, top + 0.4)
    return ax


# --- the five architectures --------------------------------------------------------------
_SMALL = dict(size=(0.6, 0.45), fontsize=11)


def _column_nodes(ax, cx, x_label=None, h_label="", y_label=None, h_kind="hidden"):
    """One time step of a small diagram; returns (x box or None, h box, y box or None)."""
    x = node(ax, (cx, 0), x_label, "input", **_SMALL) if x_label else None
    h = node(ax, (cx, 0.95), h_label, h_kind, **_SMALL)
    y = node(ax, (cx, 1.9), y_label, "output", **_SMALL) if y_label else None
    if x is not None:
        arrow(ax, x, h, lw=1.1)
    if y is not None:
        arrow(ax, h, y, lw=1.1)
    return x, h, y


def _small_chain(ax, n_steps, inputs_at, outputs_at, start=0, h_kind="hidden", prev=None,
                 feed_back=False, y_names=None):
    """A row of hidden states with inputs at steps ``inputs_at`` and outputs at ``outputs_at``.

    feed_back=True draws a dashed arrow from each output into the next hidden state (a
    generator feeds its own prediction back as the next input).
    """
    boxes = []
    for k in range(n_steps):
        t = k + 1
        x_label = rf"$x_{{{t}}}$" if t in inputs_at else None
        y_label = (y_names or {}).get(t, rf"$\hat{{y}}_{{{t}}}$") if t in outputs_at else None
        x, h, y = _column_nodes(ax, start + k, x_label, "", y_label, h_kind)
        if prev is not None:
            arrow(ax, prev[1], h, lw=1.1)
            if feed_back and prev[2] is not None:
                arrow(ax, prev[2], h, color=COLORS["grey"], dashed=True, lw=1.0)
        prev = (x, h, y)
        boxes.append(prev)
    return boxes


def _panel(ax, title: str, example: str, width: float):
    _prepare(ax)
    ax.set_xlim(-0.55, width - 0.45)
    ax.set_ylim(-0.95, 2.35)
    ax.set_title(title, fontsize=12, pad=2)
    ax.text((width - 1) / 2, -0.62, example, ha="center", va="center", fontsize=10.5,
            color=COLORS["grey"])


def draw_architectures(fig):
    """The five input/output shapes of recurrent networks, one panel each, into ``fig``.

    Green: inputs, blue: hidden states, orange: outputs; purple: a decoder's states
    (its own weights); dashed grey: a prediction fed back as the next input.
    Returns the list of five axes.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure (e.g. plt.figure()), "
                        f"got {type(fig).__name__}")
    grid = fig.add_gridspec(2, 1, hspace=0.08)
    top = grid[0].subgridspec(1, 3, width_ratios=[1.6, 4.2, 4.2], wspace=0.05)
    bottom = grid[1].subgridspec(1, 2, width_ratios=[4.2, 7.2], wspace=0.05)
    axes = [fig.add_subplot(g) for g in (top[0], top[1], top[2], bottom[0], bottom[1])]

    _panel(axes[0], "one-to-one", "image\nclassification", 1.6)
    _column_nodes(axes[0], 0.05, r"$x$", "", r"$\hat{y}$")

    _panel(axes[1], "one-to-many", "generation, image captioning", 4.2)
    _small_chain(axes[1], 4, inputs_at={1}, outputs_at={1, 2, 3, 4}, feed_back=True)

    _panel(axes[2], "many-to-one", "sentiment of a review", 4.2)
    _small_chain(axes[2], 4, inputs_at={1, 2, 3, 4}, outputs_at={4}, y_names={4: r"$\hat{y}$"})

    _panel(axes[3], "many-to-many, aligned", "tagging: one label per word", 4.2)
    _small_chain(axes[3], 4, inputs_at={1, 2, 3, 4}, outputs_at={1, 2, 3, 4})

    _panel(axes[4], "many-to-many, unaligned (encoder-decoder)",
           "translation: 3 words in, 4 words out", 7.2)
    encoder = _small_chain(axes[4], 3, inputs_at={1, 2, 3}, outputs_at=set())
    _small_chain(axes[4], 4, inputs_at=set(), outputs_at={1, 2, 3, 4}, start=3, h_kind="decoder",
                 prev=encoder[-1], feed_back=True)
    axes[4].text(1.0, 1.45, "encoder", ha="center", fontsize=10.5, color=KIND_COLORS["hidden"])
    axes[4].text(4.5, 0.2, "decoder (its own weights)", ha="center", fontsize=10.5,
                 color=KIND_COLORS["decoder"])
    return axes


__all__ = ["Box", "node", "arrow", "draw_rnn_box", "draw_unrolled", "draw_architectures"]


# --- Chapter 3: long-range dependencies and shortcut connections ---------------------------
_ARC_COLORS = (COLORS["vermillion"], COLORS["blue"], COLORS["green"], COLORS["purple"])


def draw_dependency(ax, words, arcs, fontsize: float = 11, width: float | None = None):
    """A sentence in a row, with arcs joining the words that depend on each other.

    words: list of strings. arcs: list of (i, j) or (i, j, label) word indices. The two
    words of an arc are drawn bold in the arc's colour, the other words grey; an arc's
    height grows with the distance it spans. width: the x range to show (pass the same to
    several sentences drawn one above the other so that their words line up in size).
    Returns the x position of every word.
    """
    _prepare(ax)
    ax.set_aspect("auto")
    words = list(words)
    if not words or not all(isinstance(w, str) for w in words):
        raise TypeError("words must be a non-empty list of strings")
    xs, x = [], 0.0
    for w in words:
        width = max(len(w), 2) * 0.62
        xs.append(x + width / 2)
        x += width + 0.9
    word_color, top = {}, 1.0
    for k, arc in enumerate(arcs):
        if (not isinstance(arc, (tuple, list)) or len(arc) not in (2, 3)
                or not all(isinstance(i, int) and 0 <= i < len(words) for i in arc[:2])):
            raise ValueError(f"every arc must be (i, j) or (i, j, label) with word indices in "
                             f"[0, {len(words)}), got {arc!r}")
        i, j = arc[0], arc[1]
        color = _ARC_COLORS[k % len(_ARC_COLORS)]
        word_color[i] = word_color[j] = color
        height = 1.2 + 0.22 * abs(xs[j] - xs[i]) ** 0.8
        top = max(top, height + 1.0)
        path = Path([(xs[i], 0.6), ((xs[i] + xs[j]) / 2, 0.6 + 2 * height), (xs[j], 0.6)],
                    [Path.MOVETO, Path.CURVE3, Path.CURVE3])
        ax.add_patch(FancyArrowPatch(path=path, arrowstyle="-|>", mutation_scale=10, color=color,
                                     lw=1.4, zorder=1))
        if len(arc) == 3 and arc[2]:
            ax.text((xs[i] + xs[j]) / 2, 0.6 + height + 0.15, arc[2], ha="center", va="bottom",
                    fontsize=fontsize - 1.5, color=color)
    for k, (x_k, w) in enumerate(zip(xs, words)):
        ax.text(x_k, 0, w, ha="center", va="center", fontsize=fontsize,
                color=word_color.get(k, COLORS["grey"]),
                fontweight="bold" if k in word_color else "normal")
    ax.set_xlim(-0.5, max(x - 0.4, width or 0.0))
    ax.set_ylim(-0.8, top)
    return xs


def _junction(ax, xy, text: str = "+", radius: float = 0.2) -> Box:
    """A small circle where two paths meet (a sum, or a gated mix)."""
    from matplotlib.patches import Circle

    ax.add_patch(Circle(xy, radius, facecolor="white", edgecolor="black", lw=1.3, zorder=2))
    ax.text(*xy, text, ha="center", va="center", fontsize=11 if len(text) == 1 else 8.5, zorder=3)
    return Box(xy[0], xy[1], radius * 0.8, radius * 0.8)


def _shortcut_panel(ax, title: str, equation: str):
    _prepare(ax)
    ax.set_xlim(-1.25, 1.45)
    ax.set_ylim(-1.05, 3.55)
    ax.set_title(title, fontsize=11.5, pad=2)
    ax.text(0.1, -0.8, equation, ha="center", va="center", fontsize=10.5)


def draw_shortcuts(fig):
    """Residual, highway and dense connections, one panel each, drawn into ``fig``.

    Blue: the activations z of successive layers; grey: a layer's own computation (F, H,
    the gate T); dashed vermillion: the direct path the gradient takes along the shortcut.
    Returns the three axes.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure (e.g. plt.figure()), "
                        f"got {type(fig).__name__}")
    axes = fig.subplots(1, 3)
    small = dict(size=(0.8, 0.45), fontsize=11)

    ax = axes[0]
    _shortcut_panel(ax, "residual (ResNet)", r"$z_{l+1} = z_l + F(z_l)$")
    z = node(ax, (0, 0), r"$z_l$", "hidden", **small)
    f = node(ax, (0, 1.15), r"$F$", "state", **small)
    plus = _junction(ax, (0, 2.2))
    out = node(ax, (0, 3.1), r"$z_{l+1}$", "hidden", **small)
    arrow(ax, z, f)
    arrow(ax, f, plus)
    arrow(ax, plus, out)
    arrow(ax, Box(0.4, 0.0, 0.0, 0.0), Box(0.2, 2.2, 0.0, 0.0), rad=0.5)
    ax.text(0.9, 1.15, "identity", fontsize=9.5, ha="left", va="center")
    arrow(ax, Box(-0.2, 2.2, 0.0, 0.0), Box(-0.4, 0.0, 0.0, 0.0), rad=0.5,
          color=GRADIENT_COLOR, dashed=True)
    ax.text(-0.62, 1.15, "gradient\n" + r"$\times 1$", color=GRADIENT_COLOR, fontsize=9.5,
            ha="center", va="center")

    ax = axes[1]
    _shortcut_panel(ax, "highway (gated)", r"$z_{l+1} = T \odot H(z_l) + (1 - T) \odot z_l$")
    z = node(ax, (0, 0), r"$z_l$", "hidden", **small)
    h = node(ax, (-0.55, 1.15), r"$H$", "state", size=(0.6, 0.45))
    gate = node(ax, (0.55, 1.15), r"$T$", "state", size=(0.6, 0.45))
    mix = _junction(ax, (0, 2.2), "mix", radius=0.27)
    out = node(ax, (0, 3.1), r"$z_{l+1}$", "hidden", **small)
    arrow(ax, z, h)
    arrow(ax, z, gate)
    arrow(ax, h, mix)
    arrow(ax, gate, mix, color=COLORS["grey"])
    ax.text(0.5, 1.75, r"$T$", color=COLORS["grey"], fontsize=9.5, ha="left", va="center")
    arrow(ax, mix, out)
    arrow(ax, Box(-0.4, 0.0, 0.0, 0.0), Box(-0.27, 2.2, 0.0, 0.0), rad=-0.35)
    ax.text(-0.45, 2.55, r"$1 - T$", fontsize=9.5, ha="right", va="center")

    ax = axes[2]
    _shortcut_panel(ax, "dense (DenseNet)", r"$z_{l+1} = F_l([z_0, \dots, z_l])$")
    zs = [node(ax, (0.0, 1.03 * k), rf"$z_{{{k}}}$", "hidden", size=(0.62, 0.42))
          for k in range(4)]
    for k in range(3):
        arrow(ax, zs[k], zs[k + 1])
        ax.text(0.1, 1.03 * k + 0.52, rf"$F_{{{k}}}$", fontsize=9.5, ha="left", va="center")
        for j in range(k + 2, 4):
            arrow(ax, Box(-0.31, 1.03 * k, 0.0, 0.0), Box(-0.31, 1.03 * j, 0.0, 0.0),
                  rad=-0.25 - 0.08 * (j - k), color=COLORS["blue"], lw=1.0)
    ax.text(0.5, 1.55, "each layer\nreads every\nearlier output", fontsize=9,
            color=COLORS["blue"], va="center")
    return axes


__all__ += ["draw_dependency", "draw_shortcuts"]


# --- Chapter 4 (GRU) diagrams ---


# --- Chapter 5 (LSTM) diagrams ---


# --- Chapter 6 (bidirectional) diagrams ---


# --- Chapter 7 (stacked) diagrams ---
