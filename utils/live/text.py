"""The text view: type any text, see the hidden state of every unit as a heat strip under
each character and the model's next-character distribution at the cursor, computed in the
page (``text_view``).

At each keystroke the view reruns only the steps after the unchanged prefix. Its reference
(see ``utils.live.page``): PyTorch's hidden states and probabilities on the first
``REFERENCE_CHARS`` characters of the starting text.
"""
from __future__ import annotations

import numbers

import numpy as np
import torch

from ..data import Vocab
from ..models import CharLM
from ..validate import expect_flag, expect_positive_int, expect_positive_number
from .export import MAX_PAYLOAD_BYTES, encode_tensor, export_model, payload_bytes
from .page import LiveView, expect_label, expect_text, png_data_url

MAX_TEXT_CHARS = 400
"""Most characters a text view reads (each keystroke reruns the steps after the change)."""
REFERENCE_CHARS = 24
"""How many characters of the starting text PyTorch's reference covers."""

_STYLE = """<style>
.rnn-live .rl-strip{max-width:100%;overflow-x:auto;margin:.4rem 0;border:1px solid #ccc}
.rnn-live .rl-legend{font-size:.85em;margin:.2rem 0}
.rnn-live .rl-cursor{margin:.4rem 0 .1rem}
.rnn-live ol{list-style:none;margin:.3rem 0;padding:0;max-width:28em}
.rnn-live li{display:flex;align-items:center;gap:.5rem;margin:.1rem 0;font-family:monospace}
.rnn-live .rl-tok{flex:0 0 4.5em;text-align:right}
.rnn-live .rl-bar{flex:1 1 auto;height:.8em;background:rgba(127,127,127,.15)}
.rnn-live .rl-bar span{display:block;height:100%;background:#0072B2}
.rnn-live .rl-pct{flex:0 0 3.5em}
</style>"""

_BODY = ('<label for="{id}-in">%(label)s</label>'
         '<textarea id="{id}-in" rows="3" maxlength="%(max_chars)d" spellcheck="false" '
         'autocomplete="off" aria-describedby="{id}-note">%(text)s</textarea>'
         '<p class="rl-note" id="{id}-note">The strip below shows the hidden state: one column '
         'per character, one row per unit (%(units)d units, numbered from 0 as in the '
         'chapters); the framed column is the one before the cursor.</p>'
         '<div class="rl-strip" tabindex="0" role="region" aria-label="heat strip of the hidden '
         'state (scroll sideways with the arrow keys)"><canvas aria-hidden="true"></canvas></div>'
         '<p class="rl-legend">Colour: blue \u22121, white 0, orange +1.</p>'
         '<p class="rl-cursor"></p><ol aria-label="likeliest next characters"></ol>'
         '<p class="rl-status rl-sr" role="status" aria-live="polite"></p>')

_SCRIPT = r"""
  var m = L.load(data.payload);
  var box = root.querySelector("textarea"), canvas = root.querySelector("canvas");
  var list = root.querySelector("ol"), status = root.querySelector(".rl-status");
  var cursorText = root.querySelector(".rl-cursor"), strip = root.querySelector(".rl-strip");
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
    var text = box.value.slice(0, data.maxChars);
    var at = touched ? Math.min(box.selectionStart, text.length) : text.length;
    if (shown !== null && shown.text === text && shown.at === at) { return false; }
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
        var pct = (100 * p[k]).toFixed(1) + "%";
        rows.push('<li><span class="rl-tok"></span><span class="rl-bar"><span style="width:'
                  + (100 * p[k]).toFixed(1) + '%"></span></span><span class="rl-pct">' + pct + "</span></li>");
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
        return "unit " + u + " " + h2[u].toFixed(2);
      }).join(", ") + ". Likeliest next: " + words.slice(0, 3).map(function (w) {
        return show(w[0]) + " " + w[1];
      }).join(", ") + ".";
    }
    status.textContent = summary;
  }
  var touched = false;                          // before the reader's first touch: the end
  ["input", "keyup", "click", "focus"].forEach(function (kind) {   // keyup: arrows move the cursor
    box.addEventListener(kind, L.timed(root, function () { touched = true; return update(); }));
  });
  update();

  root.rnnLiveParity = function () {            // PyTorch's h and probabilities, recomputed
    var ref = data.reference, ids = L.encode(m, ref.text);
    if (data.bos) { ids.unshift(m.stoi["<BOS>"]); }
    var steps = L.run(m, ids), T = steps.length, J = m.J, K = m.K;
    var h = L.decode(ref.h), p = L.decode(ref.probs), mine = [], theirs = [];
    for (var t = 0; t < T; t++) {
      var q = L.softmax(steps[t].logits, 1);
      for (var j = 0; j < J; j++) { mine.push(steps[t].h[j]); theirs.push(h[t * J + j]); }
      for (var k = 0; k < K; k++) { mine.push(q[k]); theirs.push(p[t * K + k]); }
    }
    var r = L.maxDiff(mine, theirs);
    r.what = "hidden states and probabilities of \u201c" + ref.text.replace(/\n/g, " ") + "\u201d";
    return r;
  };
"""




def shown(token: str) -> str:
    """A token as the views print it: visible space, newline and tab."""
    return {" ": "\u2423", "\n": "\u21b5", "\t": "\u21e5"}.get(token, token)


def _reference(model: CharLM, vocab: Vocab, text: str, bos: bool, temperature: float):
    """PyTorch's hidden states (T, J) and probabilities (T, K) on text (with <BOS> first if bos)."""
    ids = vocab.encode(text, bos=bos)
    device = next(model.parameters()).device
    with torch.no_grad():
        idx = torch.tensor([ids], device=device)
        logits, _ = model(idx)
        from ..recurrent import run_core
        h, _ = run_core(model.core, model.embed(idx))
        probs = torch.softmax(logits[0] / temperature, -1)
    return h[0].float().cpu(), probs.float().cpu()


def _static_face(h: torch.Tensor, text: str, lead: int, probs: torch.Tensor, vocab: Vocab,
                 cell: str) -> tuple[str, str]:
    """An image of the first state (the heat strip and the likeliest next characters), alt text."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap
    strip = h[lead:].numpy().T                                      # (J, T)
    cmap = LinearSegmentedColormap.from_list("bwo", [(0, 0.447, 0.698), (1, 1, 1), (0.835, 0.369, 0)])
    fig, ax = plt.subplots(figsize=(min(9.0, 1.5 + 0.16 * len(text)), 2.6))
    ax.imshow(strip, cmap=cmap, vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(text)), [shown(c) for c in text], fontfamily="monospace", fontsize=8)
    ax.set_ylabel(f"unit (of {strip.shape[0]})")
    ax.set_yticks([])
    top = torch.topk(probs[-1], 3)
    likeliest = ", ".join(f"{shown(vocab.itos[i])} {100 * float(p):.0f}%"
                          for p, i in zip(top.values, top.indices.tolist()))
    ax.set_title(f"hidden state under each character; likeliest next: {likeliest}", fontsize=9)
    alt = (f"Heat strip of the hidden state of a trained {cell.upper()} of {strip.shape[0]} "
           f"units under each character of \u201c{text}\u201d (blue -1, white 0, orange +1); "
           f"the likeliest next characters are {likeliest}.")
    return png_data_url(fig), alt


def text_view(model: CharLM, vocab: Vocab, text: str = "", *, bos: bool = False, top_k: int = 5,
              temperature: float = 1.0, max_chars: int = 120, label: str = "Type any text",
              max_bytes: int = MAX_PAYLOAD_BYTES, dtype: str = "float32") -> LiveView:
    """Type text, see the hidden state of every unit as a heat strip (units x characters) and
    the model's next-character distribution at the cursor, computed in the page.

    model, vocab: as for ``export_model`` (max_bytes and dtype too). text: what the box holds
    at first. bos: feed ``<BOS>`` before the text (a model trained on whole sequences, like
    the names model); False for a model trained on windows of a text. top_k: how many of the
    likeliest next characters to list (1 to K). temperature: τ of softmax(s / τ).
    max_chars: the longest text the box takes (1 to MAX_TEXT_CHARS). label: the box's label.
    """
    payload = export_model(model, vocab, max_bytes, dtype)
    text = expect_text(text)
    label = expect_label(label)
    bos = expect_flag(bos, "bos")
    top_k = expect_positive_int(top_k, "top_k", most=len(vocab))
    if isinstance(temperature, numbers.Real) and not isinstance(temperature, bool):
        temperature = expect_positive_number(temperature, "temperature")
    else:
        raise TypeError(f"temperature must be a positive number, got {type(temperature).__name__}")
    max_chars = expect_positive_int(max_chars, "max_chars", most=MAX_TEXT_CHARS)
    if len(text) > max_chars:
        raise ValueError(f"text has {len(text)} characters, more than max_chars={max_chars}")
    import html as html_lib
    options = {"text": text, "bos": bos, "topK": top_k, "temperature": temperature,
               "maxChars": max_chars, "label": label}
    described = (f"Type text and watch a trained {model.cell_kind.upper()} of "
                 f"{model.hidden_size} units read it: its hidden state under each character "
                 "as a heat strip, and its likeliest next characters at the cursor.")
    lead = 1 if bos else 0
    static = None
    reference_text = text[:REFERENCE_CHARS]
    reference = None
    if reference_text or bos:
        h, probs = _reference(model, vocab, reference_text, bos, 1.0)
        reference = {"text": reference_text, "h": encode_tensor(h, "h"),
                     "probs": encode_tensor(probs, "probs")}
    if text:
        h_all, p_all = _reference(model, vocab, text, bos, temperature)
        static = _static_face(h_all, text, lead, p_all, vocab, model.cell_kind)
    body = _BODY % {"label": html_lib.escape(label), "max_chars": max_chars,
                    "text": html_lib.escape(text), "units": model.hidden_size}
    return LiveView("text", described, body, _SCRIPT, {**options, "payload": payload},
                    static=static, reference=reference, style=_STYLE,
                    payload_bytes=payload_bytes(payload))


__all__ = ["MAX_TEXT_CHARS", "REFERENCE_CHARS", "text_view", "shown"]
