"""The page side of a live view: the forward pass in JavaScript and the frame every view shares.

``FORWARD_JS``, a small dependency-free forward pass that follows ``utils.cells`` equation by
equation, defines ``window.RNNCourseLive``: ``load(payload)`` (decodes the weights, float32
or float16, and computes the input part U x + b of every token once, as ``cell.project``
does), ``run(model, ids[, start])`` (the hidden state, the cell state, the gates and the
logits of every step, from the zero state or from an earlier step's state), ``step``,
``logits``, ``softmax(logits, temperature)``, ``encode(model, text)``, and two helpers for
views: ``maxDiff(a, b)`` (largest |a - b| over nested arrays) and ``timed(root, fn)``.
Numbers are float64 in the page (the weights float32 or float16): within 1e-5 of PyTorch's
float32.

``LiveView`` is the frame of every view (``utils.live.text``, ``sampling``, ...): one
``<div class="rnn-live">`` and one inline ``<script>`` (the forward pass, then the view's
own script), self-contained since in Colab every output is its own iframe; nothing is
fetched. Its faces:

* without JavaScript (and in a static export), the pre-rendered face: an image of the
  view's first state drawn at build time, with alt text, and a sentence saying what the
  view does; the script hides it and shows the live face;
* the live face: the view's own HTML (labelled controls, a ``role="status"`` region that a
  screen reader reads out when it changes);
* a parity line. Every view carries a *reference*: numbers PyTorch computed when the page
  was built (hidden states, gates, probabilities, a sampled text...). The view's script
  defines ``root.rnnLiveParity()``, which recomputes those numbers in the page and returns
  ``{maxDiff, compared, what}``; the frame shows the result to the reader ("checked in your
  browser against PyTorch: ...") and the browser tests assert it (``PARITY_TOLERANCE``).

The view's script also records the time of its last update in the ``data-ms`` attribute
of the root (``L.timed``), which the browser tests read and report. Scripts are string
constants rather than .js files: the package travels alone (Colab clones it, pip installs
it without package data), as ``utils.selfcheck`` ships its script.
"""
from __future__ import annotations

import base64
import hashlib
import html as html_lib
import io
import itertools

from ..selfcheck import js_literal

PARITY_TOLERANCE = 1e-5
"""The largest difference allowed between the page's numbers and PyTorch's (float32)."""

_ids = itertools.count(1)

FORWARD_JS = r"""
(function (root) {
  // The course's forward pass (utils/cells.py), one step at a time, from the zero state.
  // Weights are row-major Float32Arrays: U (G*J, D), W (G*J, J), b (G*J), V (K, J), b_y (K).
  if (root.RNNCourseLive && root.RNNCourseLive.version === 2) { return; }

  function half(u) {                             // IEEE 754 binary16 -> number
    var sign = u & 0x8000 ? -1 : 1, e = (u >> 10) & 0x1f, f = u & 0x3ff;
    if (e === 0) { return sign * f * Math.pow(2, -24); }
    if (e === 31) { return f ? NaN : sign * Infinity; }
    return sign * (1 + f / 1024) * Math.pow(2, e - 15);
  }

  function decode(entry) {                       // base64, little-endian -> Float32Array
    var bin = atob(entry.data), wide = (entry.dtype || "float32") === "float32";
    var n = bin.length / (wide ? 4 : 2), out = new Float32Array(n);
    var view = new DataView(new ArrayBuffer(bin.length));
    for (var i = 0; i < bin.length; i++) { view.setUint8(i, bin.charCodeAt(i)); }
    for (var k = 0; k < n; k++) {
      out[k] = wide ? view.getFloat32(4 * k, true) : half(view.getUint16(2 * k, true));
    }
    return out;
  }

  function load(payload) {
    var m = {cell: payload.cell, gates: payload.gates, J: payload.hidden_size,
             D: payload.input_size, K: payload.vocab_size, oneHot: payload.one_hot,
             vocab: payload.vocab, stoi: {}, w: {}};
    Object.keys(payload.tensors).forEach(function (k) { m.w[k] = decode(payload.tensors[k]); });
    m.vocab.forEach(function (tok, i) { m.stoi[tok] = i; });
    m.proj = project(m);
    return m;
  }

  // The input part of every gate block for every token, U x + b (K rows of G*J), computed
  // once, as cell.project does for a sequence: a step then only adds W h.
  function project(m) {
    var U = m.w.U, b = m.w.b, D = m.D, rows = m.gates.length * m.J, out = [];
    for (var id = 0; id < m.K; id++) {
      var z = new Float64Array(rows);
      var x = m.oneHot ? null : m.w.E.subarray(id * D, (id + 1) * D);
      for (var r = 0; r < rows; r++) {
        var s = b[r];
        if (m.oneHot) { s += U[r * D + id]; }
        else { for (var k = 0; k < D; k++) { s += U[r * D + k] * x[k]; } }
        z[r] = s;
      }
      out.push(z);
    }
    return out;
  }

  function encode(m, text) {                     // characters -> ids, unknown -> <UNK> (id 3)
    var ids = [];
    for (var i = 0; i < text.length; i++) {
      var id = m.stoi[text[i]];
      ids.push(id === undefined ? m.stoi["<UNK>"] : id);
    }
    return ids;
  }

  function sigmoid(z) { return 1 / (1 + Math.exp(-z)); }

  // Pre-activations of every gate block: (U x + b) + W h, G*J numbers; withW(r) says
  // whether row r adds W h now (the GRU's candidate adds it after its reset gate).
  function affine(m, id, h, withW) {
    var W = m.w.W, J = m.J, xp = m.proj[id], rows = xp.length, z = new Float64Array(rows);
    for (var r = 0; r < rows; r++) {
      var s = xp[r];
      if (withW(r)) { for (var k = 0; k < J; k++) { s += W[r * J + k] * h[k]; } }
      z[r] = s;
    }
    return z;
  }

  function all() { return true; }

  // One step: (id, state) -> {h, c?, gates}. state = {h: Float64Array(J), c?: ...}.
  function step(m, id, state) {
    var J = m.J, h = state.h, j, out;
    if (m.cell === "rnn") {                      // h = tanh(U x + W h + b)
      var a = affine(m, id, h, all), hn = new Float64Array(J);
      for (j = 0; j < J; j++) { hn[j] = Math.tanh(a[j]); }
      return {h: hn, gates: {}};
    }
    if (m.cell === "gru") {                      // blocks r, u, c; reset applied after W_c c
      var zg = affine(m, id, h, function (r) { return r < 2 * J; });
      var Wc = m.w.W, bhc = m.w.b_hc, r_ = new Float64Array(J), u = new Float64Array(J),
          ct = new Float64Array(J), cn = new Float64Array(J);
      for (j = 0; j < J; j++) {
        r_[j] = sigmoid(zg[j]);
        u[j] = sigmoid(zg[J + j]);
        var wc = bhc[j], row = (2 * J + j) * J;
        for (var k = 0; k < J; k++) { wc += Wc[row + k] * h[k]; }
        ct[j] = Math.tanh(zg[2 * J + j] + r_[j] * wc);
        cn[j] = u[j] * ct[j] + (1 - u[j]) * h[j];  // Γ_u weights the new candidate
      }
      return {h: cn, gates: {r: r_, u: u, c_tilde: ct}};
    }
    if (m.cell === "lstm") {                     // blocks i, f, g, o (PyTorch's order)
      var zl = affine(m, id, h, all), c = state.c;
      var i_ = new Float64Array(J), f = new Float64Array(J), g = new Float64Array(J),
          o = new Float64Array(J), c2 = new Float64Array(J), h2 = new Float64Array(J);
      for (j = 0; j < J; j++) {
        i_[j] = sigmoid(zl[j]); f[j] = sigmoid(zl[J + j]);
        g[j] = Math.tanh(zl[2 * J + j]); o[j] = sigmoid(zl[3 * J + j]);
        c2[j] = f[j] * c[j] + i_[j] * g[j];
        h2[j] = o[j] * Math.tanh(c2[j]);
      }
      return {h: h2, c: c2, gates: {i: i_, f: f, g: g, o: o}};
    }
    throw new Error("unknown cell " + m.cell);
  }

  function logits(m, h) {                        // s = V h + b_y, (K,)
    var V = m.w.V, s = new Float64Array(m.K);
    for (var r = 0; r < m.K; r++) {
      var v = m.w.b_y[r];
      for (var k = 0; k < m.J; k++) { v += V[r * m.J + k] * h[k]; }
      s[r] = v;
    }
    return s;
  }

  function softmax(s, temperature) {             // softmax(s / τ), max-shifted
    var t = temperature || 1, mx = -Infinity, sum = 0, p = new Float64Array(s.length), i;
    for (i = 0; i < s.length; i++) { mx = Math.max(mx, s[i] / t); }
    for (i = 0; i < s.length; i++) { p[i] = Math.exp(s[i] / t - mx); sum += p[i]; }
    for (i = 0; i < s.length; i++) { p[i] /= sum; }
    return p;
  }

  // Every step of ids: [{h, c?, gates, logits}, ...], from the zero state, or from the
  // state of a step already computed (start, e.g. the last step of a common prefix).
  function run(m, ids, start) {
    var state = start || {h: new Float64Array(m.J)}, out = [];
    if (m.cell === "lstm" && !start) { state.c = new Float64Array(m.J); }
    ids.forEach(function (id) {
      state = step(m, id, state);
      out.push({h: state.h, c: state.c, gates: state.gates, logits: logits(m, state.h)});
    });
    return out;
  }

  // The largest |a - b| over two equally shaped (nested) arrays of numbers, and how many
  // numbers were compared: {maxDiff, compared}; a shape mismatch counts as Infinity.
  function maxDiff(a, b) {
    var out = {maxDiff: 0, compared: 0};
    (function walk(x, y) {
      if (typeof x === "number" || typeof y === "number") {
        var d = (typeof x === "number" && typeof y === "number") ? Math.abs(x - y) : Infinity;
        out.maxDiff = Math.max(out.maxDiff, d !== d ? Infinity : d);
        out.compared += 1;
        return;
      }
      if (!x || !y || x.length !== y.length) { out.maxDiff = Infinity; return; }
      for (var i = 0; i < x.length; i++) { walk(x[i], y[i]); }
    })(a, b);
    return out;
  }

  // fn wrapped so that its time goes to the root's data-ms, unless fn returns false
  // (nothing changed: a key that moved nothing, a value already shown).
  function timed(rootEl, fn) {
    return function () {
      var t0 = performance.now(), r = fn.apply(this, arguments);
      if (r !== false) { rootEl.setAttribute("data-ms", (performance.now() - t0).toFixed(3)); }
      return r;
    };
  }

  root.RNNCourseLive = {version: 2, decode: decode, load: load, encode: encode, step: step,
                        logits: logits, softmax: softmax, run: run, maxDiff: maxDiff,
                        timed: timed};
})(window);
"""

BASE_STYLE = """<style>
.rnn-live{box-sizing:border-box;max-width:100%;margin:1rem 0;padding:.6rem .9rem;
 border:1px solid var(--pst-color-border,#bbb);border-left:4px solid #009E73;border-radius:.3rem;
 color:inherit;background:transparent;overflow-wrap:anywhere}
.rnn-live *{box-sizing:border-box}
.rnn-live .rl-kicker{margin:0 0 .3rem;font-size:.85em;font-weight:600;color:#00805c}
.rnn-live label{display:block;font-weight:600;margin:.2rem 0}
.rnn-live textarea,.rnn-live input[type=text]{width:100%;max-width:40em;font:inherit;
 font-family:monospace;color:inherit;background:transparent;border:1px solid #777;
 border-radius:.25rem;padding:.3rem .4rem}
.rnn-live input[type=range]{width:100%;max-width:24em}
.rnn-live button,.rnn-live select{font:inherit;color:inherit;background:transparent;
 border:1px solid #777;border-radius:.25rem;padding:.2rem .6rem;margin:.2rem .3rem .2rem 0}
.rnn-live :focus-visible{outline:3px solid #009E73;outline-offset:2px}
.rnn-live canvas{display:block;max-width:100%}
.rnn-live .rl-static img{max-width:100%;height:auto}
.rnn-live .rl-note,.rnn-live .rl-parity{font-size:.85em;margin:.2rem 0}
.rnn-live .rl-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.rnn-live [hidden]{display:none!important}
</style>"""

_FRAME_JS = r"""
(function () {
  var data = %(data)s;
  var root = document.getElementById(data.id);
  if (!root || root.getAttribute("data-ready")) { return; }
  var L = window.RNNCourseLive, face = root.querySelector(".rl-static"),
      live = root.querySelector(".rl-live");
  function view() {
  %(script)s
  }
  face.hidden = true;                           // shown first, so the view can measure widths
  live.hidden = false;
  try { view(); } catch (err) { face.hidden = false; live.hidden = true; throw err; }
  root.setAttribute("data-ready", "1");
  var line = root.querySelector(".rl-parity");
  if (root.rnnLiveParity && data.reference) {
    var p = root.rnnLiveParity(), ok = p.maxDiff <= %(tolerance)s;
    line.textContent = "Checked in your browser against PyTorch (run when this page was built), "
      + p.what + ": " + (p.maxDiff === 0 ? "identical" : "largest difference "
      + p.maxDiff.toExponential(1)) + " over " + p.compared.toLocaleString("en") + " numbers"
      + (ok ? "." : " \u2014 more than the " + %(tolerance)s + " allowed: please report it.");
    root.setAttribute("data-parity", JSON.stringify(p));
  }
})();
"""


def expect_text(text, name: str = "text") -> str:
    """A str the view starts with (TypeError otherwise)."""
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}")
    return text


def expect_label(label, box: str = "text box") -> str:
    """The label of a view's box, stripped: a screen reader reads it, so it may not be empty."""
    if not isinstance(label, str):
        raise TypeError(f"label must be a str naming the {box}, got {type(label).__name__}")
    if not label.strip():
        raise ValueError(f"label must name the {box} (a screen reader reads it), got an empty str")
    return label.strip()


def png_data_url(figure) -> str:
    """A matplotlib figure as a data: URL (PNG, 100 dpi), closed afterwards."""
    import matplotlib.pyplot as plt
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


class LiveView:
    """A live view: ``_repr_html_`` is its HTML (both faces and the script), ``repr`` its text.

    kind: a short name ("text", "sample", ...), written in the root's data-kind.
    description: one sentence saying what the view does (the static face and ``repr``).
    body: the live face's HTML; ``{id}`` in it becomes the view's id (for labels' for=).
    script: the view's JavaScript, run with ``data`` (the dict below, plus id and
        reference), ``root`` (the view's div) and ``L`` (``window.RNNCourseLive``) in scope;
        it sets up the controls, draws the first state, and defines
        ``root.rnnLiveParity``. data: JSON-ready (payloads, options).
    static: (data URL of an image of the first state, its alt text), or None.
    reference: PyTorch's numbers the script's ``rnnLiveParity`` recomputes, or None.
    style: the view's own CSS (a <style> element), or "".
    payload_bytes: the size of the model(s) it carries, for the closing reports.
    """

    def __init__(self, kind: str, description: str, body: str, script: str, data: dict, *,
                 static: tuple[str, str] | None = None, reference=None, style: str = "",
                 payload_bytes: int = 0):
        self.kind, self.description, self.body, self.script = kind, description, body, script
        self.data, self.static, self.reference, self.style = data, static, reference, style
        self.payload_bytes = payload_bytes
        self._digest = hashlib.sha1(js_literal([kind, description]).encode()).hexdigest()[:8]

    def _repr_html_(self) -> str:
        """One <div> and one inline <script>; new ids at every call (a page may show it twice)."""
        i = f"rnn-live-{self._digest}-{next(_ids)}"
        esc = html_lib.escape
        image = ""
        if self.static is not None:
            url, alt = self.static
            image = f'<img src="{url}" alt="{esc(alt)}">'
        data = {**self.data, "id": i, "reference": self.reference}
        script = _FRAME_JS % {"data": js_literal(data), "script": self.script,
                              "tolerance": repr(PARITY_TOLERANCE)}
        return (f'{BASE_STYLE}{self.style}<div class="rnn-live" id="{i}" data-kind="{self.kind}">'
                f'<p class="rl-kicker">Live model</p>'
                f'<div class="rl-static">{image}<p>{esc(self.description)} (This view runs the '
                f'model in your browser; it needs JavaScript, which is not running here.)</p></div>'
                f'<div class="rl-live" hidden>{self.body.replace("{id}", i)}'
                f'<p class="rl-parity"></p></div></div>'
                f'<script>{FORWARD_JS}{script}</script>')

    def __repr__(self) -> str:
        return f"Live view: {self.description} (runs in Jupyter or on the website)"


__all__ = ["FORWARD_JS", "PARITY_TOLERANCE", "BASE_STYLE", "LiveView", "png_data_url",
           "expect_text", "expect_label"]
