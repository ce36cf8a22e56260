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
                 r"$\hat{y}_t = \mathrm{softmax}(V h_t + b_y)$"]
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
    if isinstance(words, str):
        raise TypeError(f"words must be a list of strings, got one string {words!r}: "
                        "split it first, e.g. sentence.split()")
    words = list(words)
    if not words or not all(isinstance(w, str) for w in words):
        raise TypeError("words must be a non-empty list of strings")
    xs, x = [], 0.0
    for w in words:
        word_width = max(len(w), 2) * 0.62
        xs.append(x + word_width / 2)
        x += word_width + 0.9
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
def _gru_tap(ax, xy, color="black"):
    """A dot on a line where a branch leaves it; returned as a zero-size Box."""
    ax.plot(*xy, "o", color=color, ms=3.5, zorder=3)
    return Box(xy[0], xy[1], 0.0, 0.0)


def draw_gru(ax, relevance_gate: bool = True, gradient: bool = True):
    """One GRU step (relevance_gate=False: the simplified GRU), in the course's notation.

    Top line: the memory cell's path from c_{t-1} through the mixing junction to c_t.
    Grey boxes: the update gate Γu, the relevance gate Γr and the candidate c̃_t, each
    reading x_t and c_{t-1}. gradient=True adds the gradient's direct path along the top
    (dashed vermillion), multiplied by 1 - Γu per step.
    """
    _prepare(ax)
    top, mid = 2.2, 0.55
    gate = dict(size=(0.62, 0.5), fontsize=12)
    c_prev = node(ax, (0, top), r"$c_{t-1}$", "hidden", size=(0.78, 0.5))
    mix = _junction(ax, (4.25, top), "mix", radius=0.3)
    c_next = node(ax, (5.45, top), r"$c_t$", "hidden", size=(0.78, 0.5))
    x = node(ax, (2.15, -0.85), r"$x_t$", "input")
    u = node(ax, (3.3, mid), r"$\Gamma_u$", "state", **gate)
    cand = node(ax, (2.15, mid), r"$\tilde{c}_t$", "state", **gate)
    arrow(ax, c_prev, mix)
    ax.text(3.72, top + 0.22, r"$1 - \Gamma_u$", fontsize=10, ha="right", va="center")
    arrow(ax, mix, c_next)
    arrow(ax, cand, mix)
    arrow(ax, u, mix, color=COLORS["grey"])
    ax.text(3.95, 1.2, r"$\Gamma_u$", color=COLORS["grey"], fontsize=10, va="center")
    arrow(ax, _gru_tap(ax, (3.3, top)), u)
    if relevance_gate:
        r = node(ax, (0.75, mid), r"$\Gamma_r$", "state", **gate)
        times = _junction(ax, (1.55, 1.35), r"$\odot$", radius=0.17)
        arrow(ax, _gru_tap(ax, (0.75, top)), r)
        arrow(ax, _gru_tap(ax, (1.55, top)), times)
        arrow(ax, r, times, color=COLORS["grey"])
        arrow(ax, times, cand)
        arrow(ax, x, r)
    else:
        arrow(ax, _gru_tap(ax, (2.15, top)), cand)
    arrow(ax, x, cand)
    arrow(ax, x, u)
    ax.text(5.45, top + 0.48, r"$h_t = c_t$", ha="center", fontsize=10.5)
    if gradient:
        arrow(ax, Box(5.1, top + 0.3, 0, 0), Box(0.3, top + 0.3, 0, 0), rad=0.22,
              color=GRADIENT_COLOR, dashed=True)
        ax.text(2.7, top + 1.05, r"gradient $\times (1 - \Gamma_u)$ per step",
                color=GRADIENT_COLOR, ha="center", fontsize=10)
    ax.set_xlim(-0.55, 6.0)
    ax.set_ylim(-1.25, top + 1.35)
    return ax


__all__ += ["draw_gru"]


# --- Chapter 5 (LSTM) diagrams ---
LSTM_STAGES = {            # the five steps of one LSTM step, each with its colour
    "forget": COLORS["purple"], "write": COLORS["green"], "update": COLORS["blue"],
    "read": COLORS["orange"], "output": COLORS["black"],
}


def _lstm_box(ax, xy, text: str, color: str, size=(0.62, 0.5), fontsize: float = 12) -> Box:
    """A rounded box edged in ``color`` (a stage colour), filled with a tint of it."""
    (x, y), (w, h) = xy, size
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                boxstyle="round,pad=0,rounding_size=0.08", facecolor=_tint(color),
                                edgecolor=color, linewidth=1.6, zorder=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=3)
    return Box(x, y, w / 2, h / 2)


def _lstm_badge(ax, xy, number: int, color: str):
    """A small filled circle with the stage number."""
    from matplotlib.patches import Circle

    ax.add_patch(Circle(xy, 0.17, facecolor=color, edgecolor="none", zorder=4))
    ax.text(*xy, str(number), ha="center", va="center", fontsize=8.5, color="white",
            fontweight="bold", zorder=5)


def draw_lstm(ax, gradient: bool = True, legend: bool = True):
    """One LSTM step in the course's notation, its five stages numbered and coloured.

    Top line: the cell state's path c_{t-1} -> (x f_t) -> (+ i_t c̃_t) -> c_t, with no
    matrix and no squashing on it. Bottom: h_{t-1} and x_t feed the forget gate f_t, the
    input gate i_t, the candidate c̃_t and the output gate o_t. Stages: 1 forget,
    2 write, 3 update the cell, 4 read (h_t = o_t tanh(c_t)), 5 output (ŷ_t = softmax(V h_t)).
    gradient=True adds the gradient's direct path along the cell (dashed vermillion),
    multiplied by f_t per step; legend=True names the stages under the drawing.
    """
    _prepare(ax)
    s = LSTM_STAGES
    top, gates_y, bus_y = 3.0, 1.25, 0.2
    # the cell line (stage 3: update)
    c_prev = node(ax, (0, top), r"$c_{t-1}$", "hidden", size=(0.8, 0.5))
    times_f = _junction(ax, (1.5, top), r"$\times$")
    plus = _junction(ax, (3.4, top), "+")
    c_next = node(ax, (6.9, top), r"$c_t$", "hidden", size=(0.7, 0.5))
    arrow(ax, c_prev, times_f, color=s["update"], lw=2.2)
    arrow(ax, times_f, plus, color=s["update"], lw=2.2)
    arrow(ax, plus, c_next, color=s["update"], lw=2.2)
    # the inputs of every gate: h_{t-1} and x_t on one bus
    h_prev = node(ax, (0, bus_y), r"$h_{t-1}$", "hidden", size=(0.8, 0.5))
    x = node(ax, (0.85, -0.85), r"$x_t$", "input")
    ax.plot([0.4, 5.0], [bus_y, bus_y], color="black", lw=1.3, zorder=1)
    ax.plot(0.85, bus_y, "o", color="black", ms=3.5, zorder=3)
    arrow(ax, x, Box(0.85, bus_y, 0, 0))
    # the gates and the candidate
    f = _lstm_box(ax, (1.5, gates_y), r"$f_t$", s["forget"])
    i = _lstm_box(ax, (2.75, gates_y), r"$i_t$", s["write"])
    cand = _lstm_box(ax, (4.05, gates_y), r"$\tilde{c}_t$", s["write"])
    o = _lstm_box(ax, (5.0, gates_y), r"$o_t$", s["read"])
    for box in (f, i, cand, o):
        ax.plot(box.x, bus_y, "o", color="black", ms=3.5, zorder=3)
        arrow(ax, Box(box.x, bus_y, 0, 0), box)
    ax.text(1.5 - 0.38, 0.72, r"$\sigma$", fontsize=9.5, ha="right", color=COLORS["grey"])
    ax.text(2.75 - 0.38, 0.72, r"$\sigma$", fontsize=9.5, ha="right", color=COLORS["grey"])
    ax.text(4.05 - 0.38, 0.72, r"$\tanh$", fontsize=9.5, ha="right", color=COLORS["grey"])
    ax.text(5.0 + 0.38, 0.72, r"$\sigma$", fontsize=9.5, ha="left", color=COLORS["grey"])
    # stage 1: forget; stage 2: write
    arrow(ax, f, times_f, color=s["forget"])
    times_ig = _junction(ax, (3.4, 2.12), r"$\times$")
    arrow(ax, i, times_ig, color=s["write"])
    arrow(ax, cand, times_ig, color=s["write"])
    arrow(ax, times_ig, plus, color=s["write"])
    # stage 4: read, h_t = o_t * tanh(c_t)
    tap = Box(5.95, top, 0, 0)
    ax.plot(tap.x, top, "o", color=s["read"], ms=3.5, zorder=3)
    squash = _lstm_box(ax, (5.95, 2.12), r"$\tanh$", s["read"], size=(0.7, 0.42), fontsize=10)
    times_o = _junction(ax, (5.95, gates_y), r"$\times$")
    arrow(ax, tap, squash, color=s["read"])
    arrow(ax, squash, times_o, color=s["read"])
    arrow(ax, o, times_o, color=s["read"])
    h_next = node(ax, (6.9, gates_y), r"$h_t$", "hidden", size=(0.7, 0.5))
    arrow(ax, times_o, h_next, color=s["read"])
    # stage 5: output
    y_hat = node(ax, (6.9, -0.3), r"$\hat{y}_t$", "output", size=(0.7, 0.5))
    arrow(ax, h_next, y_hat, color=s["output"])
    ax.text(7.35, 0.48, r"$\mathrm{softmax}(V h_t + b_y)$", fontsize=9.5, ha="left", va="center")
    # the numbered stages
    for number, (xy, stage) in enumerate([((1.18, 2.12), "forget"), ((2.62, 1.82), "write"),
                                          ((3.4, 3.45), "update"), ((6.55, 2.12), "read"),
                                          ((7.3, -0.3), "output")], start=1):
        _lstm_badge(ax, xy, number, s[stage])
    bottom = -1.3
    if gradient:
        arrow(ax, Box(6.55, top + 0.3, 0, 0), Box(0.35, top + 0.3, 0, 0), rad=0.16,
              color=GRADIENT_COLOR, dashed=True)
        ax.text(3.45, top + 0.98, r"gradient $\times f_t$ per step, no $W$, no $\tanh'$",
                color=GRADIENT_COLOR, ha="center", fontsize=10)
    if legend:
        words = ["1 forget", "2 write", "3 update", "4 read", "5 output"]
        for k, (word, color) in enumerate(zip(words, s.values())):
            ax.text(0.2 + 1.55 * k, -1.55, word, color=color, fontsize=10, fontweight="bold",
                    ha="left", va="center")
        bottom = -1.85
    ax.set_xlim(-0.55, 8.75)
    ax.set_ylim(bottom, top + 1.3)
    return ax


__all__ += ["LSTM_STAGES", "draw_lstm"]


# --- Chapter 6 (bidirectional) diagrams ---
def draw_bidirectional(ax, T: int = 4, highlight: int | None = None):
    """A bidirectional RNN unrolled over T steps.

    Inputs x_t at the bottom (green); the forward states (blue) pass their state to the
    right, the backward states (purple, their own weights) to the left; each output ŷ_t
    (orange) reads both states of its column. highlight=t (1..T) draws in vermillion
    every arrow through which the inputs reach ŷ_t: from the left along the forward
    row, from the right along the backward row.
    """
    if isinstance(T, bool) or not isinstance(T, int) or not 2 <= T <= 8:
        raise ValueError(f"T must be an integer from 2 to 8 (a drawing), got {T!r}")
    if highlight is not None and (isinstance(highlight, bool) or not isinstance(highlight, int)
                                  or not 1 <= highlight <= T):
        raise ValueError(f"highlight must be a step from 1 to {T} or None, got {highlight!r}")
    _prepare(ax)
    gap, y_fwd, y_bwd, y_out = 1.7, 1.25, 2.45, 3.75
    on = lambda ok: GRADIENT_COLOR if ok else "black"  # noqa: E731
    lit_f = lambda t: highlight is not None and t <= highlight  # noqa: E731
    lit_b = lambda t: highlight is not None and t >= highlight  # noqa: E731
    size = (0.8, 0.55)
    f0 = node(ax, (0, y_fwd), r"$\overrightarrow{h}_0$", "state", size=size)
    b_end = node(ax, (gap * (T + 1), y_bwd), rf"$\overleftarrow{{h}}_{{{T + 1}}}$", "state", size=size)
    fwd, bwd = [f0], []
    for t in range(1, T + 1):
        cx = gap * t
        x = node(ax, (cx, 0), rf"$x_{{{t}}}$", "input")
        f = node(ax, (cx, y_fwd), rf"$\overrightarrow{{h}}_{{{t}}}$", "hidden", size=size)
        b = node(ax, (cx, y_bwd), rf"$\overleftarrow{{h}}_{{{t}}}$", "decoder", size=size)
        y = node(ax, (cx, y_out), rf"$\hat{{y}}_{{{t}}}$", "output")
        arrow(ax, x, f, color=on(lit_f(t)))
        arrow(ax, Box(cx + 0.3, 0.25, 0, 0), Box(cx + 0.3, y_bwd - 0.28, 0, 0), rad=0.35,
              color=on(lit_b(t)))                       # x_t to the backward row, past the forward box
        arrow(ax, b, y, color=on(highlight == t))
        arrow(ax, Box(cx - 0.3, y_fwd + 0.28, 0, 0), Box(cx - 0.22, y_out - 0.25, 0, 0), rad=-0.35,
              color=on(highlight == t))                 # the forward state to the output
        arrow(ax, fwd[-1], f, color=on(lit_f(t)))
        fwd.append(f)
        bwd.append(b)
    bwd.append(b_end)
    for t in range(T, 0, -1):                         # into the backward state of step t
        arrow(ax, bwd[t], bwd[t - 1], color=on(lit_b(t)))
    ax.text(gap * (T + 1), y_fwd, "forward:\nleft to right", fontsize=9.5,
            color=KIND_COLORS["hidden"], ha="center", va="center")
    ax.text(0, y_bwd, "backward:\nright to left", fontsize=9.5, color=KIND_COLORS["decoder"],
            ha="center", va="center")
    ax.text(gap * T + 0.65, y_out, r"$\hat{y}_t = g(V\,[\overrightarrow{h}_t;\overleftarrow{h}_t] + b_y)$",
            fontsize=10.5, ha="left", va="center")
    ax.set_xlim(-0.75, gap * (T + 1) + 1.2)
    ax.set_ylim(-0.45, y_out + 0.45)
    return ax


__all__ += ["draw_bidirectional"]


# --- Chapter 7 (stacked) diagrams ---
def draw_stacked(ax, layers: int = 3, steps: int = 4, return_sequences: bool = True,
                 residual: bool = False, dx: float | None = None, dy: float | None = None):
    """A stack of ``layers`` recurrent layers unrolled over ``steps`` steps.

    Inputs x_t at the bottom (green), the states h^[l]_t in a grid (blue): arrows to the
    right carry a layer's state in time, arrows upwards make layer l's hidden sequence the
    input sequence of layer l + 1. return_sequences=True draws an output at every step
    (many-to-many), False only after the last step (many-to-one). residual=True adds the
    shortcut around every layer after the first: its input joins its output at a "+"
    (grey arrows). Returns the (layers, steps) grid of boxes.
    """
    for value, name in ((layers, "layers"), (steps, "steps")):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 12:
            raise ValueError(f"{name} must be an integer from 1 to 12 (a drawing, not a "
                             f"computation), got {value!r}")
    _prepare(ax)
    dx = (1.6 if residual else 1.25) if dx is None else dx
    dy = (1.4 if residual else 1.0) if dy is None else dy
    size = (0.78, 0.5)
    xs = [node(ax, (t * dx, 0), f"$x_{t + 1}$", "input", size=(0.6, 0.45), fontsize=11)
          for t in range(steps)]
    grid = [[node(ax, (t * dx, (l + 1) * dy), f"$h^{{[{l + 1}]}}_{t + 1}$", "hidden", size=size,
                  fontsize=11) for t in range(steps)] for l in range(layers)]
    top = (layers + 1) * dy
    shown = range(steps) if return_sequences else [steps - 1]
    outputs = {t: node(ax, (t * dx, top), rf"$\hat{{y}}_{t + 1}$", "output", size=(0.6, 0.45),
                       fontsize=11) for t in shown}
    for t in range(steps):
        arrow(ax, xs[t], grid[0][t])
        for l in range(layers):
            if t > 0:
                arrow(ax, grid[l][t - 1], grid[l][t])
            above = grid[l + 1][t] if l + 1 < layers else outputs.get(t)
            if residual and l > 0:
                # layer l's input (the output below) joins its output at a "+" above it
                plus = _junction(ax, (t * dx, (l + 1.5) * dy), "+", radius=0.14)
                arrow(ax, grid[l][t], plus)
                tap = Box(t * dx, (l + 0.5) * dy, 0, 0)
                side = Box(t * dx + 0.55, (l + 1) * dy, 0, 0)
                ax.plot([t * dx, t * dx + 0.55, t * dx + 0.55], [(l + 0.5) * dy, (l + 0.5) * dy,
                        (l + 1.5) * dy], color=COLORS["grey"], lw=1.1, zorder=1)
                ax.plot(*tap.center, "o", color=COLORS["grey"], ms=3, zorder=3)
                arrow(ax, Box(side.x, (l + 1.5) * dy, 0, 0), plus, color=COLORS["grey"], lw=1.1)
                if above is not None:
                    arrow(ax, plus, above)
            elif above is not None:
                arrow(ax, grid[l][t], above)
    for l in range(layers):
        ax.text(-0.62, (l + 1) * dy, f"layer {l + 1}", ha="right", va="center", fontsize=9,
                color=COLORS["grey"])
    ax.set_xlim(-1.55, (steps - 1) * dx + (0.8 if residual else 0.5))
    ax.set_ylim(-0.35, top + 0.35)
    return grid


def draw_computation_order(ax, grid, title: str | None = None, shade: str = "order"):
    """Cells of a stack (rows: layers 1..L from the bottom; columns: steps 1..T), each
    numbered by ``grid[l, t]``, the moment it is computed (1 = first).

    shade="order": darker = later. shade="wave": one shade per diagonal l + t (darker =
    later), the cells a parallel machine could compute together. Faint arrows show each cell's two inputs.
    """
    _prepare(ax)
    grid = np.asarray(grid)
    if not np.issubdtype(grid.dtype, np.integer):
        raise TypeError(f"grid must hold integers (when each cell is computed), got dtype {grid.dtype}")
    if grid.ndim != 2 or grid.size == 0:
        raise ValueError(f"grid must be a non-empty (layers, steps) array, got shape {grid.shape}")
    if grid.shape[0] > 12 or grid.shape[1] > 24:
        raise ValueError(f"grid must be at most 12 layers by 24 steps (a drawing), got shape {grid.shape}")
    if shade not in ("order", "wave"):
        raise ValueError(f"shade must be 'order' or 'wave', got {shade!r}")
    layers, steps = grid.shape
    boxes = {}
    for l in range(layers):
        for t in range(steps):
            share = ((grid[l, t] - 1) / max(grid.size - 1, 1) if shade == "order"
                     else (l + t) / max(layers + steps - 2, 1))
            fill = _tint(COLORS["blue"], 0.92 - 0.7 * share)
            ax.add_patch(FancyBboxPatch((t - 0.36, l - 0.3), 0.72, 0.6, facecolor=fill,
                                        boxstyle="round,pad=0,rounding_size=0.06",
                                        edgecolor=COLORS["grey"], lw=0.8, zorder=2))
            ax.text(t, l, str(grid[l, t]), ha="center", va="center", fontsize=10, zorder=3)
            boxes[l, t] = Box(t, l, 0.36, 0.3)
    for (l, t), box in boxes.items():
        if t > 0:
            arrow(ax, boxes[l, t - 1], box, color=COLORS["grey"], lw=0.7)
        if l > 0:
            arrow(ax, boxes[l - 1, t], box, color=COLORS["grey"], lw=0.7)
    for l in range(layers):
        ax.text(-0.5, l, f"layer {l + 1}", ha="right", va="center", fontsize=8.5)
    for t in range(steps):
        ax.text(t, -0.5, f"t={t + 1}", ha="center", va="top", fontsize=8.5)
    ax.set_xlim(-1.45, steps - 0.5)
    ax.set_ylim(-0.85, layers - 0.5)
    if title:
        ax.set_title(title, fontsize=10.5, pad=3)


__all__ += ["draw_stacked", "draw_computation_order"]
