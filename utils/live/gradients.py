"""The gradient view of Chapter 3: drag the spectral radius, pick the activation, and watch
the gradient norm against the distance recomputed in the page (``gradient_view``).

The page holds one random recurrent matrix W1 (scaled to spectral radius 1), the input
weights U and a batch of input sequences, all exported from Python. For the radius rho the
reader picks it uses W = rho W1 / rho(W1), as ``gradients.set_spectral_radius`` does, runs
the unit h_t = f(W h_{t-1} + U x_t) forward, and sends the gradient of
L_T = r^T h_T (r = ones / sqrt(J)) back through every step:

    dL/dh_{t-1} = W^T (f'(a_t) * dL/dh_t)

It draws ||dL_T/dh_t|| (the batch mean) against the distance k = T - t on a log axis, the
quantity ``gradients.gradient_norms_over_time`` returns, with rho^k and the bound
||W||_2^k. Its reference (see ``utils.live.page``): ``gradient_norms_over_time``'s norms,
float64, for a few radii and every activation, compared as relative differences
|page / Python - 1|, since the norms span dozens of orders of magnitude.
"""
from __future__ import annotations

import math
import numbers

import numpy as np
import torch

from .. import gradients
from ..plotting import COLORS
from ..validate import expect_choice, expect_positive_int, expect_seed, expect_tensor
from .export import encode_tensor, payload_bytes
from .page import LiveView, png_data_url

ACTIVATIONS = ("tanh", "linear", "relu")
"""The activations the page can run (those of ``gradients.ACTIVATIONS``)."""
ACTIVATION_NAMES = {"tanh": "tanh", "linear": "linear (identity)", "relu": "ReLU"}
REFERENCE_RADII = (0.5, 0.9, 1.0, 1.5, 3.0)
"""The spectral radii at which Python's norms travel with the page, for the parity check."""
MAX_HIDDEN = 128
"""Most hidden units the page runs (each drag step reruns every sequence)."""
MAX_NUMBERS = 20_000
"""Most input numbers (B x T x D) the page carries: they travel with the page."""
FALL = 1e-3
"""The status says after how many steps the gradient falls to this fraction of its size."""

_STYLE = """<style>
.rnn-live .rl-grad-plot{width:100%;margin:.4rem 0}
.rnn-live .rl-grad-row{display:flex;flex-wrap:wrap;align-items:center;gap:.2rem .8rem}
.rnn-live .rl-grad-row label{display:inline}
.rnn-live fieldset{border:0;padding:0;margin:.3rem 0}
.rnn-live legend{font-weight:600;padding:0}
.rnn-live fieldset label{display:inline-block;font-weight:400;margin:0 .8rem 0 0}
.rnn-live .rl-key{font-size:.85em;margin:.2rem 0;padding:0;list-style:none}
.rnn-live .rl-key li{display:inline-block;margin-right:1rem}
.rnn-live .rl-key span{display:inline-block;width:1.6em;height:0;vertical-align:middle;
 margin-right:.3em;border-top:2px solid #0072B2}
</style>"""

_BODY = ('<div class="rl-grad-row"><label for="{id}-rho">Spectral radius \u03c1(W)</label>'
         '<output for="{id}-rho" id="{id}-rho-out">%(rho)s</output></div>'
         '<input type="range" id="{id}-rho" min="%(lo)s" max="%(hi)s" step="%(step)s" '
         'value="%(rho)s" aria-describedby="{id}-note">'
         '<fieldset><legend>Activation f</legend>%(radios)s</fieldset>'
         '<p class="rl-note" id="{id}-note">Each move reruns %(B)d sequences of %(T)d steps '
         'through a unit of %(J)d hidden units in your browser, forward and backward.</p>'
         '<div class="rl-grad-plot"><canvas role="img" aria-label="gradient norm against '
         'distance (the text below says what it shows)"></canvas></div>'
         '<ul class="rl-key">'
         '<li><span></span>\u2016\u2202L<sub>T</sub>/\u2202h<sub>t</sub>\u2016 (batch mean)</li>'
         '<li><span style="border-top:2px dotted #000"></span>\u03c1<sup>k</sup></li>'
         '<li><span style="border-top:2px dashed #777"></span>bound '
         '\u2016W\u2016<sub>2</sub><sup>k</sup></li></ul>'
         '<p class="rl-status" role="status" aria-live="polite"></p>')

_RADIO = ('<label><input type="radio" name="{id}-act" value="%(value)s"%(checked)s> '
          '%(name)s</label>')

_SCRIPT = r"""
  var J = data.J, D = data.D, T = data.T, B = data.B;
  var W1 = L.decode(data.W1), U = L.decode(data.U), X = L.decode(data.x);
  var slider = root.querySelector("input[type=range]"), shown = root.querySelector("output");
  var radios = Array.prototype.slice.call(root.querySelectorAll("input[type=radio]"));
  var canvas = root.querySelector("canvas"), status = root.querySelector(".rl-status");
  var box = root.querySelector(".rl-grad-plot");
  var XP = new Float64Array(B * T * J);          // U x_t for every sequence and step (b = 0)
  (function () {
    for (var n = 0; n < B * T; n++) {
      for (var j = 0; j < J; j++) {
        var s = 0;
        for (var d = 0; d < D; d++) { s += U[j * D + d] * X[n * D + d]; }
        XP[n * J + j] = s;
      }
    }
  })();
  var F = {tanh: function (a) { return Math.tanh(a); }, linear: function (a) { return a; },
           relu: function (a) { return a > 0 ? a : 0; }};
  var SLOPE = {tanh: function (h) { return 1 - h * h; }, linear: function () { return 1; },
               relu: function (h) { return h > 0 ? 1 : 0; }};

  // ||dL_T/dh_t|| for t = 1..T (index t - 1), the mean over the B sequences, where
  // L_T = r.h_T, r = ones / sqrt(J), W = rho W1 / rho(W1): gradients.gradient_norms_over_time.
  function norms(rho, act) {
    var scale = rho / data.radius1, W = new Float64Array(J * J), f = F[act], slope = SLOPE[act];
    for (var i = 0; i < J * J; i++) { W[i] = W1[i] * scale; }
    var out = new Float64Array(T), S = new Float64Array(T * J), h = new Float64Array(J);
    var g = new Float64Array(J), v = new Float64Array(J), r = 1 / Math.sqrt(J);
    for (var b = 0; b < B; b++) {
      h.fill(0);
      for (var t = 0; t < T; t++) {              // forward: h_t = f(U x_t + W h_{t-1})
        var hn = new Float64Array(J), o = (b * T + t) * J;
        for (var j = 0; j < J; j++) {
          var a = XP[o + j], row = j * J;
          for (var k = 0; k < J; k++) { a += W[row + k] * h[k]; }
          hn[j] = f(a);
          S[t * J + j] = slope(hn[j]);           // f'(a_t) from h_t, as autograd does
        }
        h = hn;
      }
      g.fill(r);                                  // dL/dh_T = r
      var sq0 = 0;
      for (k = 0; k < J; k++) { sq0 += g[k] * g[k]; }
      out[T - 1] += Math.sqrt(sq0);
      for (t = T - 1; t > 0; t--) {               // dL/dh_{t-1} = W^T (f'(a_t) * dL/dh_t)
        for (j = 0; j < J; j++) { v[j] = S[t * J + j] * g[j]; }
        g.fill(0);
        for (j = 0; j < J; j++) {
          var vj = v[j], rw = j * J;
          if (vj === 0) { continue; }
          for (k = 0; k < J; k++) { g[k] += W[rw + k] * vj; }
        }
        var sq = 0;
        for (k = 0; k < J; k++) { sq += g[k] * g[k]; }
        out[t - 1] += Math.sqrt(sq);
      }
    }
    for (t = 0; t < T; t++) { out[t] /= B; }
    return out;
  }

  // gradients.fit_decay_rate: the factor per step of a least-squares line through
  // log ||dL/dh_t|| against the distance, leaving out the last step and any 0 or inf.
  function decayRate(n) {
    var xs = [], ys = [];
    for (var t = 0; t < T; t++) {
      var k = T - 1 - t;
      if (k >= 1 && n[t] > 0 && isFinite(n[t])) { xs.push(k); ys.push(Math.log(n[t])); }
    }
    if (xs.length < 2) { return NaN; }
    var mx = 0, my = 0, sxy = 0, sxx = 0;
    for (var i = 0; i < xs.length; i++) { mx += xs[i] / xs.length; my += ys[i] / xs.length; }
    for (i = 0; i < xs.length; i++) {
      sxy += (xs[i] - mx) * (ys[i] - my);
      sxx += (xs[i] - mx) * (xs[i] - mx);
    }
    return Math.exp(sxy / sxx);
  }

  function sci(v) {                               // 1e-3, 2.5e+12 -> "1e-3", "2.5e12"
    return v.toExponential(0).replace("e+", "e");
  }

  function summary(rho, act, n) {
    var size = n[T - 1], k, words;
    for (k = 1; k < T; k++) {
      var q = n[T - 1 - k] / size;
      if (q <= data.fall) {
        words = "the gradient falls to " + sci(data.fall) + " of its size after " + k + " steps";
        break;
      }
      if (q >= 1 / data.fall) {
        words = "the gradient grows to " + sci(1 / data.fall) + " times its size after " + k + " steps";
        break;
      }
    }
    if (!words) {
      words = "the gradient stays within a factor " + sci(1 / data.fall) + " of its size over all "
        + (T - 1) + " steps";
    }
    var rate = decayRate(n);
    return "\u03c1 = " + rho.toFixed(2) + ", " + data.names[act] + ": " + words
      + (isFinite(rate) ? "; about \u00d7" + rate.toFixed(2) + " per step, against \u03c1 = "
         + rho.toFixed(2) : "") + ".";
  }

  function draw(rho, n) {
    var dpr = window.devicePixelRatio || 1, w = Math.max(160, box.clientWidth || 320);
    var hgt = Math.round(Math.max(180, Math.min(300, 0.62 * w)));
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(hgt * dpr);
    canvas.style.width = w + "px"; canvas.style.height = hgt + "px";
    var c = canvas.getContext("2d");
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    c.fillStyle = "#fff"; c.fillRect(0, 0, w, hgt);
    var left = 56, right = 8, top = 8, bottom = 34, pw = w - left - right, ph = hgt - top - bottom;
    var lo = data.ylo, hi = data.yhi;
    function X(k) { return left + pw * k / (T - 1); }
    function Y(l) { return top + ph * (hi - l) / (hi - lo); }
    c.strokeStyle = "#ccc"; c.lineWidth = 1; c.fillStyle = "#000";
    c.font = "11px sans-serif"; c.textAlign = "right"; c.textBaseline = "middle";
    var stepY = (hi - lo) > 40 ? 20 : 10;
    for (var l = Math.ceil(lo / stepY) * stepY; l <= hi; l += stepY) {
      c.beginPath(); c.moveTo(left, Y(l)); c.lineTo(left + pw, Y(l)); c.stroke();
      c.fillText(l === 0 ? "1" : "1e" + String(l).replace("-", "\u2212"), left - 4, Y(l));
    }
    c.textAlign = "center"; c.textBaseline = "top";
    for (var k = 0; k < T; k += 10) {
      c.beginPath(); c.moveTo(X(k), top); c.lineTo(X(k), top + ph); c.stroke();
      c.fillText(String(k), X(k), top + ph + 3);
    }
    c.fillText("distance k = T \u2212 t (steps back)", left + pw / 2, top + ph + 17);
    c.save(); c.translate(10, top + ph / 2); c.rotate(-Math.PI / 2);
    c.textBaseline = "middle"; c.fillText("gradient norm (log)", 0, 0); c.restore();
    c.strokeStyle = "#000"; c.strokeRect(left, top, pw, ph);
    c.save(); c.beginPath(); c.rect(left, top, pw, ph); c.clip();
    function curve(logAt, colour, dash, width) {
      c.strokeStyle = colour; c.lineWidth = width; c.setLineDash(dash); c.beginPath();
      var drawing = false;
      for (var k = 0; k < T; k++) {
        var y = logAt(k);
        if (!isFinite(y)) { drawing = false; continue; }
        y = Math.max(lo - 5, Math.min(hi + 5, y));
        if (drawing) { c.lineTo(X(k), Y(y)); } else { c.moveTo(X(k), Y(y)); drawing = true; }
      }
      c.stroke(); c.setLineDash([]);
    }
    var lr = Math.log10(rho), lb = Math.log10(rho * data.sigma1 / data.radius1);
    curve(function (k) { return k * lb; }, "#777", [6, 4], 1.5);
    curve(function (k) { return k * lr; }, "#000", [2, 3], 1.5);
    curve(function (k) { return Math.log10(n[T - 1 - k]); }, "#0072B2", [], 2.5);
    c.restore();
  }

  function activation() {
    for (var i = 0; i < radios.length; i++) { if (radios[i].checked) { return radios[i].value; } }
    return data.activation;
  }
  var last = null;
  function update() {
    var rho = parseFloat(slider.value), act = activation();
    shown.textContent = rho.toFixed(2);
    slider.setAttribute("aria-valuetext", "\u03c1 = " + rho.toFixed(2));
    last = {rho: rho, act: act, n: norms(rho, act)};
    draw(rho, last.n);
    status.textContent = summary(rho, act, last.n);
  }
  slider.addEventListener("input", L.timed(root, update));
  radios.forEach(function (r) { r.addEventListener("change", L.timed(root, update)); });
  window.addEventListener("resize", function () { if (last) { draw(last.rho, last.n); } });
  update();
  root.rnnGradientNorms = function (rho, act) { return Array.from(norms(rho, act)); };

  root.rnnLiveParity = function () {             // Python's norms, recomputed here
    var ref = data.reference, mine = [], zeros = [];
    ref.radii.forEach(function (rho, i) {
      ref.activations.forEach(function (act, a) {
        var n = norms(rho, act), want = ref.norms[i][a];
        for (var t = 0; t < T; t++) { mine.push(Math.abs(n[t] / want[t] - 1)); zeros.push(0); }
      });
    });
    var out = L.maxDiff(mine, zeros);
    out.what = "relative differences |page / Python \u2212 1| of the gradient norms at \u03c1 = "
      + ref.radii.join(", ") + " for "
      + ref.activations.map(function (a) { return data.names[a]; }).join(", ");
    return out;
  };
"""


def _expect_radius(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number (a spectral radius), got {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive, finite spectral radius, got {value!r}")
    return value


def _expect_radii(radii) -> tuple[float, float, float]:
    """(lowest, highest, step) of the slider."""
    if not isinstance(radii, (tuple, list)) or len(radii) != 3:
        raise TypeError(f"radii must be a tuple (lowest, highest, step), got {radii!r}")
    names = ("lowest radius", "highest radius", "step")
    lo, hi, step = (_expect_radius(r, n) for r, n in zip(radii, names))
    if hi <= lo:
        raise ValueError(f"radii must go up: the highest radius {hi} is not above the lowest {lo}")
    if (hi - lo) / step > 1000 or abs(round((hi - lo) / step) * step - (hi - lo)) > 1e-9:
        raise ValueError(f"radii's step {step} must divide {hi} - {lo} into at most 1000 steps")
    return lo, hi, step


def _on_grid(rho: float, lo: float, hi: float, step: float) -> bool:
    return lo - 1e-12 <= rho <= hi + 1e-12 and abs(round((rho - lo) / step) * step - (rho - lo)) < 1e-9


def _cell(W1: torch.Tensor, U: torch.Tensor, radius: float, activation: str):
    """utils.gradients' cell with the exported weights (float64), W scaled to ``radius``."""
    J, D = U.shape
    cell = gradients.random_rnn_cell(J, D, radius=1.0, activation=activation)
    with torch.no_grad():
        cell.W.copy_(W1)
        cell.U.copy_(U)
        cell.b.zero_()
    gradients.set_spectral_radius(cell.W, radius)
    return cell


def _sci(v: float) -> str:
    return f"{v:.0e}".replace("e-0", "e-").replace("e+0", "e").replace("e+", "e")


def _summary(norms: np.ndarray, radius: float, activation: str) -> str:
    """The status sentence of the page, in Python (for the static face's alt text)."""
    T = len(norms)
    words = None
    for k in range(1, T):
        q = norms[T - 1 - k] / norms[-1]
        if q <= FALL:
            words = f"the gradient falls to {_sci(FALL)} of its size after {k} steps"
            break
        if q >= 1 / FALL:
            words = f"the gradient grows to {_sci(1 / FALL)} times its size after {k} steps"
            break
    if words is None:
        words = (f"the gradient stays within a factor {_sci(1 / FALL)} of its size over all "
                 f"{T - 1} steps")
    rate = gradients.fit_decay_rate(norms)
    return (f"\u03c1 = {radius:.2f}, {ACTIVATION_NAMES[activation]}: {words}; about "
            f"\u00d7{rate:.2f} per step, against \u03c1 = {radius:.2f}.")


def _static_face(norms, radius, activation, ratio, ylim, J, B):
    import matplotlib.pyplot as plt
    T = len(norms)
    k = np.arange(T)
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    ax.semilogy(k, norms[::-1], color=COLORS["blue"], lw=2.2,
                label=rf"$\|\partial \mathcal{{L}}_T / \partial h_t\|$, {ACTIVATION_NAMES[activation]}")
    ax.semilogy(k, radius ** k.astype(float), ":", color=COLORS["black"], label=r"$\rho^k$")
    ax.semilogy(k, (radius * ratio) ** k.astype(float), "--", color=COLORS["grey"],
                label=r"bound $\|W\|_2^k$")
    ax.set(ylim=(10.0 ** ylim[0], 10.0 ** ylim[1]), xlabel="distance k = T - t (steps back)",
           ylabel="gradient norm (log)",
           title=rf"$\rho(W) = {radius:.2f}$, {ACTIVATION_NAMES[activation]} unit")
    step = 20 if ylim[1] - ylim[0] > 40 else 10
    ax.set_yticks([10.0 ** e for e in range(math.ceil(ylim[0] / step) * step, ylim[1] + 1, step)])
    ax.legend(loc="upper left", fontsize=8)
    alt = (f"Gradient norm against the distance k from 0 to {T - 1} steps, log scale, for a "
           f"{ACTIVATION_NAMES[activation]} unit of {J} hidden units (mean over {B} random "
           f"sequences), with the dotted line \u03c1^k and the dashed bound \u2016W\u2016\u2082^k. "
           + _summary(norms, radius, activation))
    return png_data_url(fig), alt


def gradient_view(inputs: torch.Tensor, hidden_size: int = 64, *, seed: int = 0,
                  radius: float = 0.9, activation: str = "tanh",
                  activations=ACTIVATIONS, radii=(0.5, 3.0, 0.01),
                  reference_radii=REFERENCE_RADII) -> LiveView:
    """Drag the spectral radius rho(W), pick the activation, and watch the gradient norm
    ||dL_T/dh_t|| against the distance k = T - t recomputed in the page, with rho^k and the
    bound ||W||_2^k.

    inputs: (B, T, D) float tensor, the sequences the unit reads (the page carries them:
    B T D at most ``MAX_NUMBERS``). hidden_size: J (at most ``MAX_HIDDEN``). seed: the seed
    of ``gradients.random_rnn_cell``, whose W (up to scale) and U the page uses.
    radius: where the slider starts. activation: the activation picked at first, one of
    activations (a tuple drawn from ``ACTIVATIONS``, in the order the page lists them).
    radii: the slider's (lowest, highest, step). reference_radii: the radii of the parity
    check (Python's norms travel with the page).
    W, U and the inputs travel as float32; Python's reference runs the same float32 numbers
    in float64, so the page and Python compute the same function.
    """
    expect_tensor(inputs, "inputs", ndim=3, floating=True)
    B, T, D = inputs.shape
    if min(B, T, D) < 1 or T < 3:
        raise ValueError(f"inputs must hold at least one sequence of at least 3 steps of at "
                         f"least one number, (B, T, D), got shape {tuple(inputs.shape)}")
    if B * T * D > MAX_NUMBERS:
        raise ValueError(f"inputs hold {B * T * D:,} numbers (shape {tuple(inputs.shape)}), more "
                         f"than the {MAX_NUMBERS:,} a page carries: use fewer sequences or steps")
    if not bool(torch.isfinite(inputs).all()):
        raise ValueError("inputs must hold finite numbers, got NaN or inf")
    J = expect_positive_int(hidden_size, "hidden_size", most=MAX_HIDDEN)
    seed = expect_seed(seed)
    if isinstance(activations, str) or not isinstance(activations, (tuple, list)) or not activations:
        raise TypeError(f"activations must be a non-empty tuple drawn from {ACTIVATIONS}, "
                        f"got {activations!r}")
    activations = tuple(expect_choice(a, "each activation", ACTIVATIONS) for a in activations)
    if len(set(activations)) != len(activations):
        raise ValueError(f"activations must not repeat, got {activations}")
    activation = expect_choice(activation, "activation", activations)
    lo, hi, step = _expect_radii(radii)
    radius = _expect_radius(radius, "radius")
    if not _on_grid(radius, lo, hi, step):
        raise ValueError(f"radius must be a slider position, {lo} to {hi} in steps of {step}, "
                         f"got {radius}")
    if isinstance(reference_radii, (str, numbers.Number)) or not reference_radii:
        raise TypeError(f"reference_radii must be a non-empty tuple of spectral radii, got "
                        f"{reference_radii!r}")
    reference_radii = tuple(_expect_radius(r, "each reference radius") for r in reference_radii)

    base = gradients.random_rnn_cell(J, D, radius=1.0, seed=seed)
    # The float32 numbers the page gets, used by Python too (in float64).
    W1 = base.W.detach().float().double()
    U = base.U.detach().float().double()
    xs = inputs.detach().cpu().float().double()
    radius1 = gradients.spectral_radius(W1)
    sigma1 = gradients.largest_singular_value(W1)

    def measure(r, act):
        return gradients.gradient_norms_over_time(_cell(W1, U, r, act), xs)

    ref = [[measure(r, a) for a in activations] for r in reference_radii]
    logs = [np.log10(n) for row in ref for n in row]
    extremes = [measure(r, a) for r in (lo, hi) for a in activations]
    logs += [np.log10(n) for n in extremes]
    logs += [np.arange(T) * math.log10(lo), np.arange(T) * math.log10(hi)]
    finite = np.concatenate([v[np.isfinite(v)] for v in logs])
    ylim = (int(math.floor(finite.min() / 5) * 5), int(math.ceil(finite.max() / 5) * 5))

    first = measure(radius, activation)
    static = _static_face(first, radius, activation, sigma1 / radius1, ylim, J, B)
    reference = {"radii": list(reference_radii), "activations": list(activations),
                 "norms": [[[float(v) for v in n] for n in row] for row in ref]}
    data = {"J": J, "D": D, "T": T, "B": B, "radius1": radius1, "sigma1": sigma1,
            "W1": encode_tensor(W1, "W1"), "U": encode_tensor(U, "U"),
            "x": encode_tensor(xs, "inputs"), "ylo": ylim[0], "yhi": ylim[1],
            "fall": FALL, "activation": activation, "names": ACTIVATION_NAMES}
    radios = "".join(_RADIO % {"value": a, "name": ACTIVATION_NAMES[a],
                               "checked": " checked" if a == activation else ""}
                     for a in activations)
    body = _BODY % {"rho": f"{radius:.2f}", "lo": f"{lo:g}", "hi": f"{hi:g}",
                    "step": f"{step:g}", "radios": radios, "B": B, "T": T, "J": J}
    described = (f"Drag the spectral radius \u03c1(W) and pick the activation to see the "
                 f"gradient norm of a unit of {J} hidden units against the distance k, "
                 "recomputed in your browser, next to \u03c1^k and the bound \u2016W\u2016\u2082^k.")
    view = LiveView("gradient", described, body, _SCRIPT, data, static=static,
                    reference=reference, style=_STYLE)
    view.payload_bytes = payload_bytes({**data, "reference": reference})
    return view


__all__ = ["ACTIVATIONS", "REFERENCE_RADII", "MAX_HIDDEN", "MAX_NUMBERS", "gradient_view"]
