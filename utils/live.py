"""Live models on the page: a trained model runs in the reader's browser, with no kernel and
no network.

    from utils.live import export_model, decode_payload, text_view

    payload = export_model(model, vocab)          # a dict, JSON-ready, a few hundred kB
    weights = decode_payload(payload)             # {name: float32 array}, for checks
    text_view(model, vocab, text="ROMEO:")        # in a cell tagged remove-input

Two halves:

* **Python (build time).** ``export_model`` writes a one-layer ``models.CharLM`` (backend
  "torch" or "scratch"; cell "rnn", "gru" or "lstm") as a compact payload: every weight in
  the course's notation (see the Notation page and ``utils.cells``), float32, little-endian,
  base64-encoded, with its name and shape; the vocabulary; the cell kind and its gate order.
  A torch.nn core is first converted to the course's cells (``RecurrentNet.from_torch``), so
  the payload always holds the course's convention (GRU: Γ_u weights the NEW candidate).
  The payload's JSON text must fit ``max_bytes`` (ValueError with the size otherwise).

* **JavaScript (in the page).** ``FORWARD_JS``, a small dependency-free forward pass that
  follows ``utils.cells`` equation by equation, defines ``window.RNNCourseLive``:
  ``load(payload)`` (decodes the weights and computes the input part U x + b of every token
  once, as ``cell.project`` does), ``run(model, ids[, start])`` (the hidden state, the cell
  state, the gates and the logits of every step, from the zero state or from an earlier
  step's state) and ``softmax(logits, temperature)``. Numbers are float64 in the page
  (the weights are float32): within 1e-5 of PyTorch's float32.
  ``tests/test_utils_live.py`` runs it in headless Chromium and compares it with PyTorch.

The payload, shapes with J hidden units, D inputs (embedding size, or K for one-hot), K
tokens and G gate blocks::

    {"format": "rnn-course-live", "version": 1, "cell": "lstm", "gates": ["i","f","g","o"],
     "input_size": D, "hidden_size": J, "vocab_size": K, "one_hot": false,
     "vocab": ["<PAD>", "<BOS>", "<EOS>", "<UNK>", "\\n", " ", ...],
     "tensors": {"E": {"shape": [K, D], "data": "<base64>"},     # embedding (absent: one-hot)
                 "U": [G*J, D], "W": [G*J, J], "b": [G*J],         # gate blocks in gate order
                 "b_hc": [J],                                      # GRU only (reset "after")
                 "V": [K, J], "b_y": [K]}}                         # output layer s = V h + b_y

Gate order and equations (``utils.cells``), σ the logistic function:

    rnn   ("a",)             h_t = tanh(U x_t + W h_{t-1} + b)
    gru   ("r", "u", "c")    Γ_r = σ(U_r x + W_r c + b_r);  Γ_u = σ(U_u x + W_u c + b_u)
                             c̃ = tanh(U_c x + b_c + Γ_r * (W_c c_{t-1} + b_hc))
                             c_t = Γ_u * c̃ + (1 - Γ_u) * c_{t-1};  h_t = c_t
    lstm  ("i", "f", "g", "o")  i, f, o = σ(...); g = tanh(...)
                             c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)

``text_view`` returns a ``LiveView`` whose ``_repr_html_()`` is one ``<div>`` and one inline
``<script>`` (the forward pass, then the view with its payload): self-contained, since in
Colab every output is its own iframe, and nothing is fetched. Without JavaScript its static face, a sentence
saying what the view does, stays. At each keystroke the view reruns only the steps after
the unchanged prefix, and records the time it took in the ``data-ms`` attribute of its
``<div>`` (for the browser tests). The script is a string constant here rather than a .js
file beside this module: the module travels alone (Colab clones it, pip installs it without
package data), exactly as ``utils.selfcheck`` ships its script.
"""
from __future__ import annotations

import base64
import hashlib
import html as html_lib
import itertools
import numbers

import numpy as np
import torch

from .data import Vocab
from .models import CharLM
from .recurrent import RecurrentNet
from .selfcheck import js_literal
from .validate import expect_flag, expect_positive_int, expect_positive_number

FORMAT, VERSION = "rnn-course-live", 1
LIVE_CELLS = ("rnn", "gru", "lstm")
"""The cell kinds the page can run (the simplified GRU of Chapter 4 is not exported yet)."""
MAX_PAYLOAD_BYTES = 2_000_000
"""Default budget of one payload's JSON text: a page must stay under 5 MB with its assets."""
MAX_TEXT_CHARS = 400
"""Most characters a text view reads (each keystroke reruns the whole text)."""

_ids = itertools.count(1)


# --- export ---------------------------------------------------------------------------------------
def _course_cell(model: CharLM):
    """The model's one recurrent layer as a course cell (float32, CPU) in the course's notation."""
    core = model.core
    if isinstance(core, RecurrentNet):
        net = core
    else:                                    # torch.nn.RNN/GRU/LSTM: convert its conventions
        net = RecurrentNet.from_torch(core)
    cell = net.cells()[0]
    if getattr(cell, "reset", "after") != "after":
        raise ValueError("only GRUs with reset='after' (PyTorch's, the course's default) can be "
                         f"exported, got reset={cell.reset!r}")
    return cell


def _encode(t: torch.Tensor, name: str) -> dict:
    """A tensor as {"shape": [...], "data": base64 of its float32 little-endian bytes}."""
    a = t.detach().to("cpu", torch.float32).numpy()
    if not np.isfinite(a).all():
        raise ValueError(f"weight {name} holds NaN or inf values: a diverged model cannot be shown")
    raw = np.ascontiguousarray(a, dtype="<f4").tobytes()
    return {"shape": list(a.shape), "data": base64.b64encode(raw).decode("ascii")}


def payload_bytes(payload: dict) -> int:
    """The size in bytes of the payload's JSON text, as the page embeds it."""
    return len(js_literal(payload).encode("utf-8"))


def export_model(model: CharLM, vocab: Vocab, max_bytes: int = MAX_PAYLOAD_BYTES) -> dict:
    """A one-layer CharLM and its vocabulary as a JSON-ready payload (see the module docstring).

    model: ``models.CharLM`` with num_layers=1, cell "rnn", "gru" or "lstm", backend "torch"
    or "scratch", on any device. vocab: the ``data.Vocab`` it was trained with (K tokens).
    max_bytes: the budget of the payload's JSON text; ValueError, with the size, when over.
    Weights are exported as float32 in the course's notation: E (K, D) when the model has an
    embedding, U (G*J, D), W (G*J, J), b (G*J,), b_hc (J,) for the GRU, V (K, J), b_y (K,).
    """
    if not isinstance(model, CharLM):
        raise TypeError(f"model must be a utils.models.CharLM, got {type(model).__name__}")
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be a utils.data.Vocab, got {type(vocab).__name__}")
    max_bytes = expect_positive_int(max_bytes, "max_bytes")
    if model.cell_kind not in LIVE_CELLS:
        raise ValueError(f"the page runs cells {LIVE_CELLS}, got a CharLM with cell "
                         f"{model.cell_kind!r}")
    if model.core.num_layers != 1:
        raise ValueError(f"the page runs one-layer models, got num_layers={model.core.num_layers}")
    if len(vocab) != model.vocab_size:
        raise ValueError(f"vocab has {len(vocab)} tokens but the model predicts "
                         f"{model.vocab_size}: pass the vocabulary it was trained with")
    with torch.no_grad():
        cell = _course_cell(model)
        tensors = {}
        if model.embedding is not None:
            tensors["E"] = _encode(model.embedding.weight, "E")
        tensors.update(U=_encode(cell.U, "U"), W=_encode(cell.W, "W"), b=_encode(cell.b, "b"))
        if model.cell_kind == "gru":
            tensors["b_hc"] = _encode(cell.b_hc, "b_hc")
        tensors.update(V=_encode(model.head.weight, "V"), b_y=_encode(model.head.bias, "b_y"))
    payload = {"format": FORMAT, "version": VERSION, "cell": model.cell_kind,
               "gates": list(cell.gate_names), "input_size": int(model.input_size),
               "hidden_size": int(model.hidden_size), "vocab_size": int(model.vocab_size),
               "one_hot": model.embedding is None, "vocab": list(vocab.itos),
               "tensors": tensors}
    size = payload_bytes(payload)
    if size > max_bytes:
        raise ValueError(f"the exported model takes {size:,} bytes, over the budget of "
                         f"{max_bytes:,}: use a smaller model (fewer hidden units or a "
                         "smaller embedding) or raise max_bytes")
    return payload


def decode_payload(payload: dict) -> dict[str, np.ndarray]:
    """The weights of a payload from ``export_model``: {name: float32 array of its shape}."""
    if not isinstance(payload, dict):
        raise TypeError(f"payload must be a dict from export_model, got {type(payload).__name__}")
    if payload.get("format") != FORMAT or payload.get("version") != VERSION:
        raise ValueError(f"payload must be a {FORMAT!r} version {VERSION} dict from export_model, "
                         f"got format {payload.get('format')!r} version {payload.get('version')!r}")
    out = {}
    for name, entry in payload["tensors"].items():
        raw = base64.b64decode(entry["data"])
        a = np.frombuffer(raw, dtype="<f4")
        if a.size != int(np.prod(entry["shape"])):
            raise ValueError(f"tensor {name} holds {a.size} numbers, its shape "
                             f"{tuple(entry['shape'])} needs {int(np.prod(entry['shape']))}")
        out[name] = a.reshape(entry["shape"]).astype(np.float32)
    return out


# --- the forward pass in the page ------------------------------------------------------------------
FORWARD_JS = r"""
(function (root) {
  // The course's forward pass (utils/cells.py), one step at a time, from the zero state.
  // Weights are row-major Float32Arrays: U (G*J, D), W (G*J, J), b (G*J), V (K, J), b_y (K).
  if (root.RNNCourseLive && root.RNNCourseLive.version === 1) { return; }

  function decode(entry) {                       // base64 float32 little-endian -> Float32Array
    var bin = atob(entry.data), n = bin.length / 4, out = new Float32Array(n);
    var view = new DataView(new ArrayBuffer(bin.length));
    for (var i = 0; i < bin.length; i++) { view.setUint8(i, bin.charCodeAt(i)); }
    for (var k = 0; k < n; k++) { out[k] = view.getFloat32(4 * k, true); }
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

  root.RNNCourseLive = {version: 1, decode: decode, load: load, encode: encode, step: step,
                        logits: logits, softmax: softmax, run: run};
})(window);
"""


# --- the text view -------------------------------------------------------------------------------
_STYLE = """<style>
.rnn-live{box-sizing:border-box;max-width:100%;margin:1rem 0;padding:.6rem .9rem;
 border:1px solid var(--pst-color-border,#bbb);border-left:4px solid #009E73;border-radius:.3rem;
 color:inherit;background:transparent;overflow-wrap:anywhere}
.rnn-live *{box-sizing:border-box}
.rnn-live .rl-kicker{margin:0 0 .3rem;font-size:.85em;font-weight:600;color:#009E73}
.rnn-live label{display:block;font-weight:600;margin:.2rem 0}
.rnn-live textarea{width:100%;max-width:40em;font:inherit;font-family:monospace;color:inherit;
 background:transparent;border:1px solid #777;border-radius:.25rem;padding:.3rem .4rem}
.rnn-live textarea:focus-visible,.rnn-live .rl-strip:focus-visible{outline:3px solid #009E73;
 outline-offset:2px}
.rnn-live .rl-strip{max-width:100%;overflow-x:auto;margin:.4rem 0;border:1px solid #ccc}
.rnn-live canvas{display:block}
.rnn-live .rl-legend,.rnn-live .rl-note{font-size:.85em;margin:.2rem 0}
.rnn-live .rl-cursor{margin:.4rem 0 .1rem}
.rnn-live ol{list-style:none;margin:.3rem 0;padding:0;max-width:28em}
.rnn-live li{display:flex;align-items:center;gap:.5rem;margin:.1rem 0;font-family:monospace}
.rnn-live .rl-tok{flex:0 0 4.5em;text-align:right}
.rnn-live .rl-bar{flex:1 1 auto;height:.8em;background:rgba(127,127,127,.15)}
.rnn-live .rl-bar span{display:block;height:100%;background:#0072B2}
.rnn-live .rl-pct{flex:0 0 3.5em}
.rnn-live .rl-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.rnn-live [hidden]{display:none!important}
</style>"""

_VIEW_JS = r"""
(function () {
  var data = %(data)s;
  var root = document.getElementById(data.id);
  if (!root || root.getAttribute("data-ready")) { return; }
  root.setAttribute("data-ready", "1");
  var L = window.RNNCourseLive, m = L.load(data.payload);
  var box = root.querySelector("textarea"), canvas = root.querySelector("canvas");
  var list = root.querySelector("ol"), status = root.querySelector(".rl-status");
  var cursorText = root.querySelector(".rl-cursor"), strip = root.querySelector(".rl-strip");
  root.querySelector(".rl-static").hidden = true;
  root.querySelector(".rl-live").hidden = false;
  var cache = {ids: [], steps: []};            // the last text's steps, to reuse its prefix
  var small = document.createElement("canvas");   // the strip at one pixel per cell
  var CW = 12, J = m.J, CH = Math.max(2, Math.min(8, Math.floor(192 / J))), TOP = 16;

  function show(tok) {
    return tok === " " ? "\u2423" : tok === "\n" ? "\u21b5" : tok === "\t" ? "\u21e5" : tok;
  }
  function colour(v) {                          // -1 blue, 0 white, +1 vermillion
    var t = Math.max(-1, Math.min(1, v)), a = Math.abs(t);
    var end = t < 0 ? [0, 114, 178] : [213, 94, 0];
    return end.map(function (e) { return Math.round(255 + (e - 255) * a); });
  }

  var shown = null;                             // the text and cursor now drawn
  function update() {
    var t0 = performance.now();
    var text = box.value.slice(0, data.maxChars);
    var at = touched ? Math.min(box.selectionStart, text.length) : text.length;
    if (shown !== null && shown.text === text && shown.at === at) { return; }
    shown = {text: text, at: at};
    var ids = L.encode(m, text);
    if (data.bos) { ids.unshift(m.stoi["<BOS>"]); }
    var same = 0;                               // rerun only what follows the unchanged prefix
    while (same < ids.length && same < cache.ids.length && ids[same] === cache.ids[same]) { same++; }
    var steps = cache.steps.slice(0, same).concat(
      L.run(m, ids.slice(same), same ? cache.steps[same - 1] : undefined));
    cache = {ids: ids, steps: steps};
    var lead = data.bos ? 1 : 0, n = text.length;
    // the heat strip: one column per character, one row per unit
    canvas.width = Math.max(1, n) * CW;
    canvas.height = TOP + J * CH;
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.font = "11px monospace"; ctx.textAlign = "center"; ctx.textBaseline = "top";
    ctx.fillStyle = "#000";
    for (var t = 0; t < n; t++) { ctx.fillText(show(text[t]), t * CW + CW / 2, 2); }
    if (n > 0) {                                // one pixel per (unit, character), scaled up
      var img = new ImageData(n, J), px = img.data;
      for (t = 0; t < n; t++) {
        var h = steps[t + lead].h;
        for (var j = 0; j < J; j++) {
          var rgb = colour(h[j]), o = 4 * (j * n + t);
          px[o] = rgb[0]; px[o + 1] = rgb[1]; px[o + 2] = rgb[2]; px[o + 3] = 255;
        }
      }
      small.width = n; small.height = J;
      small.getContext("2d").putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(small, 0, TOP, n * CW, J * CH);
    }
    if (at > 0) {                               // the column the cursor follows, kept in view
      ctx.strokeStyle = "#000"; ctx.lineWidth = 2;
      ctx.strokeRect((at - 1) * CW + 1, 1, CW - 2, canvas.height - 2);
      if (at * CW > strip.scrollLeft + strip.clientWidth || (at - 1) * CW < strip.scrollLeft) {
        strip.scrollLeft = Math.max(0, at * CW - strip.clientWidth / 2);
      }
    }
    // the next-character distribution at the cursor
    var s = at + lead > 0 ? steps[at + lead - 1].logits : null, rows = [], words = [];
    if (s) {
      var p = L.softmax(s, data.temperature), order = [];
      for (var k = 0; k < p.length; k++) { order.push(k); }
      order.sort(function (a, b) { return p[b] - p[a]; });
      order.slice(0, data.topK).forEach(function (k) {
        var pct = (100 * p[k]).toFixed(1) + "%%";
        rows.push('<li><span class="rl-tok"></span><span class="rl-bar"><span style="width:'
                  + (100 * p[k]).toFixed(1) + '%%"></span></span><span class="rl-pct">' + pct + "</span></li>");
        words.push([m.vocab[k], pct]);
      });
    }
    list.innerHTML = rows.join("");
    list.querySelectorAll(".rl-tok").forEach(function (el, i) { el.textContent = show(words[i][0]); });
    var before = text.slice(Math.max(0, at - 12), at);
    cursorText.textContent = at ? "Next character after \u201c" + before + "\u201d:" :
      lead ? "First character (after <BOS>):" : "Type at least one character to see a prediction.";
    // the text alternative, read out when it changes
    var summary = n + " characters read.";
    if (at + lead > 0) {
      var h2 = steps[at + lead - 1].h, idx = [];
      for (var u = 0; u < J; u++) { idx.push(u); }
      idx.sort(function (a, b) { return Math.abs(h2[b]) - Math.abs(h2[a]); });
      summary += " Strongest units at the cursor: " + idx.slice(0, 3).map(function (u) {
        return "unit " + (u + 1) + " " + h2[u].toFixed(2);
      }).join(", ") + ". Likeliest next: " + words.slice(0, 3).map(function (w) {
        return show(w[0]) + " " + w[1];
      }).join(", ") + ".";
    }
    status.textContent = summary;
    root.setAttribute("data-ms", (performance.now() - t0).toFixed(3));
  }
  var touched = false;                          // before the reader's first touch: the end
  ["input", "keyup", "click", "focus"].forEach(function (kind) {   // keyup: arrows move the cursor
    box.addEventListener(kind, function () { touched = true; update(); });
  });
  update();
})();
"""


class LiveView:
    """A live view of a model in the page: ``_repr_html_`` is its HTML, ``repr`` its text face."""

    def __init__(self, kind: str, payload: dict, options: dict, description: str):
        self.kind, self.payload, self.options, self.description = kind, payload, options, description
        self._digest = hashlib.sha1(js_literal([kind, options]).encode()).hexdigest()[:8]

    @property
    def payload_bytes(self) -> int:
        return payload_bytes(self.payload)

    def _repr_html_(self) -> str:
        """One <div> and one inline <script>; new ids at every call (a page may show it twice)."""
        i = f"rnn-live-{self._digest}-{next(_ids)}"
        o = self.options
        data = {**o, "id": i, "payload": self.payload}
        esc = html_lib.escape
        return (f'{_STYLE}<div class="rnn-live" id="{i}" data-kind="{self.kind}">'
                f'<p class="rl-kicker">Live model</p>'
                f'<p class="rl-static">{esc(self.description)} (This view runs the model in '
                f'your browser; it needs JavaScript, which is not running here.)</p>'
                f'<div class="rl-live" hidden>'
                f'<label for="{i}-in">{esc(o["label"])}</label>'
                f'<textarea id="{i}-in" rows="3" maxlength="{o["maxChars"]}" spellcheck="false" '
                f'autocomplete="off" aria-describedby="{i}-note">{esc(o["text"])}</textarea>'
                f'<p class="rl-note" id="{i}-note">The strip below shows the hidden state: one '
                f'column per character, one row per unit ({self.payload["hidden_size"]} units); '
                f'the framed column is the one before the cursor.</p>'
                f'<div class="rl-strip" tabindex="0" role="region" aria-label="heat strip of the hidden '
                f'state (scroll sideways with the arrow keys)"><canvas aria-hidden="true"></canvas></div>'
                f'<p class="rl-legend">Colour: blue −1, white 0, orange +1.</p>'
                f'<p class="rl-cursor"></p><ol aria-label="likeliest next characters"></ol>'
                f'<p class="rl-status rl-sr" role="status" aria-live="polite"></p>'
                f'</div></div>'
                f'<script>{FORWARD_JS}{_VIEW_JS % {"data": js_literal(data)}}</script>')

    def __repr__(self) -> str:
        return f"Live view: {self.description} (runs in Jupyter or on the website)"


def text_view(model: CharLM, vocab: Vocab, text: str = "", *, bos: bool = False, top_k: int = 5,
              temperature: float = 1.0, max_chars: int = 120,
              label: str = "Type any text", max_bytes: int = MAX_PAYLOAD_BYTES) -> LiveView:
    """Type text, see the hidden state of every unit as a heat strip (units x characters) and
    the model's next-character distribution at the cursor, computed in the page.

    model, vocab: as for ``export_model``. text: what the box holds at first. bos: feed
    ``<BOS>`` before the text (a model trained on whole sequences, like the names model);
    False for a model trained on windows of a text. top_k: how many of the likeliest next
    characters to list (1 to K). temperature: τ of softmax(s / τ). max_chars: the longest
    text the box takes (1 to MAX_TEXT_CHARS). label: the text box's label.
    """
    payload = export_model(model, vocab, max_bytes)
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not isinstance(label, str):
        raise TypeError(f"label must be a str naming the text box, got {type(label).__name__}")
    if not label.strip():
        raise ValueError("label must name the text box (a screen reader reads it), got an empty str")
    bos = expect_flag(bos, "bos")
    top_k = expect_positive_int(top_k, "top_k", most=len(vocab))
    if isinstance(temperature, numbers.Real) and not isinstance(temperature, bool):
        temperature = expect_positive_number(temperature, "temperature")
    else:
        raise TypeError(f"temperature must be a positive number, got {type(temperature).__name__}")
    max_chars = expect_positive_int(max_chars, "max_chars", most=MAX_TEXT_CHARS)
    if len(text) > max_chars:
        raise ValueError(f"text has {len(text)} characters, more than max_chars={max_chars}")
    options = {"text": text, "bos": bos, "topK": top_k, "temperature": temperature,
               "maxChars": max_chars, "label": label.strip()}
    description = (f"Type text and watch a trained {model.cell_kind.upper()} of "
                   f"{model.hidden_size} units read it: its hidden state under each character "
                   "as a heat strip, and its likeliest next characters at the cursor.")
    return LiveView("text", payload, options, description)


__all__ = ["FORMAT", "VERSION", "LIVE_CELLS", "MAX_PAYLOAD_BYTES", "MAX_TEXT_CHARS", "FORWARD_JS",
           "LiveView", "export_model", "decode_payload", "payload_bytes", "text_view"]
