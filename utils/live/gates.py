"""The gates view: type a sentence, see every gate and state of a trained GRU or LSTM per
unit and per character, and find the units that follow a property of the text, computed in
the page (``gate_view``).

What it shows, in the course's notation (the NOTATION page; the GRU in the course's
convention, Γ_u weighting the new candidate):

* GRU (Chapter 4): reset gate Γ_r, update gate Γ_u, candidate c̃_t, cell c_t (= h_t);
* LSTM (Chapter 5): input gate i_t, forget gate f_t, candidate c̃_t, output gate o_t, cell
  state c_t, hidden state h_t.

The reader picks one quantity and one property of the typed text (``PROPERTIES``: the
position in the line and the speaker's-name line of Chapter 5's "interpretable cells",
quotes, brackets, word starts, vowels, capitals). The page ranks every unit by the
absolute Pearson correlation, over the typed characters, between the unit's value of the
quantity and the property (``correlations``: the same formula in Python and in the page),
draws the best units as a heat strip (units x characters), lists them as buttons, and
colours the text by the selected unit's value (as in Karpathy's "unreasonable
effectiveness" figures); a number box shows any unit. Units are numbered from 0, as
Chapter 5 prints them.

At each keystroke the page reruns only the steps after the unchanged prefix (typing at the
end: one step). When those take longer than a slice (``SLICE_MS``; editing the first
character of a long text with a large model), it computes them in slices with a pause
between them (``setTimeout``), painting after each: the characters already read drawn as
usual, the others greyed and hatched, the status saying how far it has read; the ranking
of the units and the coloured text follow when the whole text is read. A new keystroke
cancels the slices still to come and restarts from the longest prefix whose steps are
computed and unchanged. The root's ``data-ms`` holds the time of the first response (the
first slice and its paint), ``data-ms-full`` the time until everything was painted, and
``data-busy`` is present while a reading is in progress.

Its reference (see ``utils.live.page``): PyTorch's gates, cell states and hidden states
(``utils.gates.trace_gates`` on the course's cell converted from the model's core) on the
first ``REFERENCE_CHARS`` characters of the starting text, for up to ``REFERENCE_UNITS``
units spread over the layer (every unit of a small model), float32 base64; and, for the
tests, Python's correlations of the best units on the whole starting text.
"""
from __future__ import annotations

import html as html_lib
import numbers

import numpy as np
import torch

from ..data import Vocab
from ..gates import trace_gates
from ..models import CharLM
from ..validate import expect_flag, expect_positive_int
from .export import MAX_PAYLOAD_BYTES, course_cell, encode_tensor, export_model, payload_bytes
from .page import LiveView, expect_label, expect_text, png_data_url

MAX_GATE_CHARS = 600
"""Most characters a gates view reads (each keystroke reruns the steps after the change)."""
REFERENCE_CHARS = 24
"""How many characters of the starting text PyTorch's reference covers."""
REFERENCE_UNITS = 32
"""How many units (spread over the layer, the starting unit included) the reference covers."""
SLICE_MS = 12
"""How long (ms) the page computes steps before it paints and pauses (one step at least): with
the painting, a keystroke gets a visible response within about 15-20 ms whatever it changes."""

QUANTITIES = {
    "gru": {"r": "relevance (reset) gate Γ_r", "u": "update gate Γ_u", "c_tilde": "candidate c̃_t",
            "c": "cell c_t (= h_t)"},
    "lstm": {"i": "input gate i_t", "f": "forget gate f_t", "c_tilde": "candidate c̃_t",
             "o": "output gate o_t", "c": "cell state c_t", "h": "hidden state h_t"},
}
"""What the view can show, per cell: key -> label, in the notation of the NOTATION page."""

# Where each quantity is found: in utils.gates.trace_gates, and in the page's L.run steps
# (a (source, field) pair: step.gates[field], or step[field]).
_TRACE_KEY = {"gru": {"r": "r", "u": "u", "c_tilde": "c_tilde", "c": "h"},
              "lstm": {"i": "i", "f": "f", "c_tilde": "g", "o": "o", "c": "c", "h": "h"}}
_PAGE_SOURCE = {"gru": {"r": ("gates", "r"), "u": ("gates", "u"), "c_tilde": ("gates", "c_tilde"),
                        "c": ("step", "h")},
                "lstm": {"i": ("gates", "i"), "f": ("gates", "f"), "c_tilde": ("gates", "g"),
                         "o": ("gates", "o"), "c": ("step", "c"), "h": ("step", "h")}}
# The range of each quantity, for its colours: a gate in [0, 1], a tanh in [-1, 1], an
# LSTM's cell state unbounded (coloured up to its largest |value| shown, at least 1).
_RANGE = {"r": "gate", "u": "gate", "i": "gate", "f": "gate", "o": "gate", "c_tilde": "tanh",
          "h": "tanh"}

PROPERTIES = {
    "line_position": "position in the line",
    "speaker_line": "a speaker's name line",
    "in_quotes": "inside double quotes",
    "in_brackets": "inside brackets",
    "word_start": "first letter of a word",
    "vowel": "a vowel",
    "capital": "a capital letter",
}
"""Properties of the typed text the units can be ranked by: key -> label. Each character
gets a number (``text_property``): line_position counts the characters since the last line
break (0 at a line's first character; the line break belongs to the line it ends, as in
Chapter 5); speaker_line is 1 on a line of capitals ending with a colon ("MACBETH:"), its
line break included; in_quotes is 1 from an opening double quote to its closing one, both
included; in_brackets 1 inside ( ) or [ ], the brackets included; word_start 1 on a
character that is not a space, tab or line break and follows one (or starts the text);
vowel 1 on a, e, i, o, u in either case; capital 1 on an upper-case letter."""

_SPACES = " \n\t"


def _is_speaker(line: str) -> bool:
    """A line such as "MACBETH:": capitals (at least one letter, none lower case) and a colon."""
    return line.endswith(":") and line.upper() == line and line.lower() != line


def text_property(text: str, name: str) -> np.ndarray:
    """The property ``name`` (a key of PROPERTIES) of every character of text: (T,) float64.

    The page computes the same numbers (its ``property`` function), character by character.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if name not in PROPERTIES:
        raise ValueError(f"property must be one of {', '.join(map(repr, PROPERTIES))}, got {name!r}")
    out = np.zeros(len(text))
    if name == "line_position":                  # 0 at a line's first character
        position = 0
        for t, ch in enumerate(text):
            out[t], position = position, 0 if ch == "\n" else position + 1
    elif name == "speaker_line":                 # the whole line, its line break included
        start = 0
        while start < len(text):
            end = text.find("\n", start)
            stop = len(text) if end < 0 else end + 1
            out[start:stop] = _is_speaker(text[start:len(text) if end < 0 else end])
            start = stop
    elif name == "in_quotes":                    # the quotes themselves count as inside
        inside = False
        for t, ch in enumerate(text):
            if ch == '"':
                out[t], inside = 1.0, not inside
            else:
                out[t] = inside
    elif name == "in_brackets":                  # the brackets themselves count as inside
        depth = 0
        for t, ch in enumerate(text):
            if ch in "([":
                depth += 1
                out[t] = 1.0
            elif ch in ")]":
                out[t] = depth > 0
                depth = max(0, depth - 1)
            else:
                out[t] = depth > 0
    elif name == "word_start":
        for t, ch in enumerate(text):
            out[t] = ch not in _SPACES and (t == 0 or text[t - 1] in _SPACES)
    elif name == "vowel":
        out[:] = [ch.lower() in "aeiou" for ch in text]
    else:                                        # capital
        out[:] = [ch.upper() == ch and ch.lower() != ch for ch in text]
    return out


def correlations(values, prop) -> np.ndarray:
    """The Pearson correlation of every unit's values (T, J) with a property (T,): (J,).

    r_j = sum_t (v_tj - mean_j)(p_t - mean_p) / sqrt(sum_t (v_tj - mean_j)^2 sum_t (p_t - mean_p)^2),
    0 where the property does not vary, or the unit barely does (sum of squares at most
    T * 1e-12). The page computes the same formula in float64.
    """
    v = np.asarray(values, dtype=np.float64)
    p = np.asarray(prop, dtype=np.float64)
    if v.ndim != 2 or p.shape != (v.shape[0],):
        raise ValueError(f"values must be (T, J) and prop (T,), got {v.shape} and {p.shape}")
    dx, dy = v - v.mean(0), p - p.mean() if len(p) else p
    sxx, syy, sxy = (dx ** 2).sum(0), float((dy ** 2).sum()), dy @ dx
    ok = (sxx > len(p) * 1e-12) & (syy > 0)
    return np.where(ok, sxy / np.sqrt(np.where(ok, sxx * syy, 1.0)), 0.0)


def rank_units(r) -> list[int]:
    """Units by decreasing |r|, ties by number (as the page orders them)."""
    r = np.asarray(r)
    return sorted(range(len(r)), key=lambda j: (-abs(float(r[j])), j))


_STYLE = """<style>
.rnn-live .rl-controls{display:flex;flex-wrap:wrap;gap:.1rem 1.2rem;align-items:flex-end}
.rnn-live .rl-controls>div{max-width:100%}
.rnn-live .rl-controls select{max-width:100%}
.rnn-live .rl-strip{max-width:100%;overflow-x:auto;margin:.4rem 0;border:1px solid #ccc}
.rnn-live .rl-strip canvas{max-width:none}
.rnn-live .rl-legend{font-size:.85em;margin:.2rem 0}
.rnn-live .rl-units{margin:.3rem 0}
.rnn-live .rl-units .rl-gl{font-weight:600;margin-right:.3rem}
.rnn-live button[aria-pressed=true]{background:#009E73;color:#fff;border-color:#009E73}
.rnn-live input[type=number]{font:inherit;color:inherit;background:transparent;width:7em;
 border:1px solid #777;border-radius:.25rem;padding:.2rem .4rem}
.rnn-live .rl-colored{font-family:monospace;white-space:pre-wrap;line-height:1.6;max-height:14em;
 overflow-y:auto;border:1px solid #ccc;padding:.3rem;color:#000;background:#fff;margin:.3rem 0}
.rnn-live .rl-about{margin:.3rem 0 0}
.rnn-live .rl-colored.rl-pending{color:#595959;
 background:repeating-linear-gradient(135deg,#eee 0 4px,#fff 4px 8px)}
.rnn-live[data-busy] .rl-top{opacity:.55}
</style>"""

_BODY = ('<label for="{id}-in">%(label)s</label>'
         '<textarea id="{id}-in" class="rl-gin" rows="4" maxlength="%(max_chars)d" '
         'spellcheck="false" autocomplete="off">%(text)s</textarea>'
         '<div class="rl-controls">'
         '<div><label for="{id}-q">Show</label><select id="{id}-q" class="rl-quantity">'
         '%(quantities)s</select></div>'
         '<div><label for="{id}-p">Find the units that follow</label>'
         '<select id="{id}-p" class="rl-property">%(properties)s</select></div></div>'
         '<p class="rl-note">The strip shows the %(rows)d units (of %(units)d) whose values '
         'follow the property best, by |correlation| over the typed characters: a row per unit '
         '(numbered from 0, as in the chapter), a column per character.</p>'
         '<div class="rl-strip" tabindex="0" role="region" aria-label="heat strip of the units '
         'that follow the property best (scroll sideways with the arrow keys)">'
         '<canvas aria-hidden="true"></canvas></div>'
         '<p class="rl-legend"></p>'
         '<div class="rl-units rl-top" role="group" aria-label="units that follow the property '
         'best"><span class="rl-gl">Best units (r):</span>%(top)s</div>'
         '%(named)s'
         '<label for="{id}-u">Show unit (0 to %(last)d)</label>'
         '<input id="{id}-u" class="rl-unit" type="number" min="0" max="%(last)d" step="1" '
         'inputmode="numeric" value="%(unit)d">'
         '<p class="rl-about"></p>'
         '<div class="rl-colored" tabindex="0" role="region" aria-label="the text coloured by '
         'the shown unit (scroll with the arrow keys)"></div>'
         '<p class="rl-status rl-sr" role="status" aria-live="polite"></p>')

_SCRIPT = r"""
  var m = L.load(data.payload), J = m.J, lead = data.bos ? 1 : 0;
  function $(s) { return root.querySelector(s); }
  function all(s) { return Array.prototype.slice.call(root.querySelectorAll(s)); }
  var box = $(".rl-gin"), qsel = $(".rl-quantity"), psel = $(".rl-property"), num = $(".rl-unit");
  var strip = $(".rl-strip"), canvas = strip.querySelector("canvas");
  var colored = $(".rl-colored"), legend = $(".rl-legend"), about = $(".rl-about");
  var status = $(".rl-status"), topButtons = all(".rl-top button"), named = all(".rl-named button");
  var Q = {}, P = {};
  data.quantities.forEach(function (d) { Q[d.key] = d; });
  data.properties.forEach(function (d) { P[d.key] = d.label; });
  // cache.ids: the ids of the text being read (<BOS> first if lead); cache.steps: the steps
  // computed so far, those of a prefix of cache.ids. job: the timer of the next slice (null
  // when the whole text is read). now: what is drawn (rows: the values of the characters read).
  var cache = {ids: [], steps: []}, job = null, now = null, unit = data.unit, plain = null;
  var zero = {h: new Float64Array(J), c: new Float64Array(J)};   // the state before any step
  var small = document.createElement("canvas");
  var CW = 10, CH = Math.max(4, Math.min(12, Math.floor(320 / data.rows))), TOP = 15, LEFT = 34;

  function show(ch) { return ch === " " ? "\u2423" : ch === "\n" ? "\u21b5" : ch === "\t" ? "\u21e5" : ch; }
  function fmt(v) { return (v < 0 ? "\u2212" : "+") + Math.abs(v).toFixed(2); }

  function restart(text) {                      // keep the steps of the unchanged prefix
    var ids = L.encode(m, text), have = cache.steps.length, same = 0;
    if (lead) { ids.unshift(m.stoi["<BOS>"]); }
    while (same < ids.length && same < have && ids[same] === cache.ids[same]) { same++; }
    cache = {ids: ids, steps: cache.steps.slice(0, same)};
  }
  function advance(until) {                     // steps until performance.now() >= until (one
    var ids = cache.ids, out = cache.steps;     // at least); true when the text is all read
    while (out.length < ids.length) {
      out.push(L.step(m, ids[out.length], out.length ? out[out.length - 1] : zero));
      if (performance.now() >= until) { break; }
    }
    return out.length === ids.length;
  }
  function values(all, d) {                     // T arrays of J values of quantity d
    return all.map(function (s) { return d.src === "gates" ? s.gates[d.field] : s[d.field]; });
  }
  function speaker(line) {
    return line.slice(-1) === ":" && line.toUpperCase() === line && line.toLowerCase() !== line;
  }
  function property(text, key) {                // utils.live.gates.text_property, in JS
    var n = text.length, out = new Float64Array(n), i, ch, state = 0;
    for (i = 0; i < n; i++) {
      ch = text[i];
      if (key === "line_position") { out[i] = state; state = ch === "\n" ? 0 : state + 1; }
      else if (key === "in_quotes") { if (ch === '"') { out[i] = 1; state = 1 - state; } else { out[i] = state; } }
      else if (key === "in_brackets") {
        if (ch === "(" || ch === "[") { state += 1; out[i] = 1; }
        else if (ch === ")" || ch === "]") { out[i] = state > 0 ? 1 : 0; state = Math.max(0, state - 1); }
        else { out[i] = state > 0 ? 1 : 0; }
      }
      else if (key === "word_start") {
        out[i] = " \n\t".indexOf(ch) < 0 && (i === 0 || " \n\t".indexOf(text[i - 1]) >= 0) ? 1 : 0;
      }
      else if (key === "vowel") { out[i] = "aeiou".indexOf(ch.toLowerCase()) >= 0 ? 1 : 0; }
      else if (key === "capital") { out[i] = ch.toUpperCase() === ch && ch.toLowerCase() !== ch ? 1 : 0; }
    }
    if (key === "speaker_line") {
      var start = 0;
      while (start < n) {
        var end = text.indexOf("\n", start), stop = end < 0 ? n : end + 1;
        var v = speaker(text.slice(start, end < 0 ? n : end)) ? 1 : 0;
        for (i = start; i < stop; i++) { out[i] = v; }
        start = stop;
      }
    }
    return out;
  }
  function correlations(rows, p) {              // utils.live.gates.correlations, in JS
    var T = rows.length, r = new Float64Array(J), mean = new Float64Array(J);
    var sxx = new Float64Array(J), sxy = new Float64Array(J), pm = 0, syy = 0, t, j, row;
    if (!T) { return r; }
    for (t = 0; t < T; t++) { pm += p[t]; row = rows[t]; for (j = 0; j < J; j++) { mean[j] += row[j]; } }
    pm /= T;
    for (j = 0; j < J; j++) { mean[j] /= T; }
    for (t = 0; t < T; t++) {
      var dy = p[t] - pm; syy += dy * dy; row = rows[t];
      for (j = 0; j < J; j++) { var dx = row[j] - mean[j]; sxx[j] += dx * dx; sxy[j] += dx * dy; }
    }
    for (j = 0; j < J; j++) {
      r[j] = (sxx[j] > T * 1e-12 && syy > 0) ? sxy[j] / Math.sqrt(sxx[j] * syy) : 0;
    }
    return r;
  }
  function rank(r) {
    var idx = [];
    for (var j = 0; j < J; j++) { idx.push(j); }
    return idx.sort(function (a, b) { return Math.abs(r[b]) - Math.abs(r[a]) || a - b; });
  }
  function colour(v, d, limit) {                // gates: white 0 -> green 1; else blue - / orange +
    var t, end;
    if (d.range === "gate") { t = Math.max(0, Math.min(1, v)); end = [0, 158, 115]; }
    else { t = Math.max(-1, Math.min(1, v / limit)); end = t < 0 ? [0, 114, 178] : [213, 94, 0]; t = Math.abs(t); }
    return end.map(function (e) { return Math.round(255 + (e - 255) * t); });
  }
  function limitOf(d, u) {                     // the colour scale of unit u: 1, or for an
    if (d.range !== "cell") { return 1; }       // unbounded cell state its largest |value| (>= 1)
    var mx = 1;
    now.rows.forEach(function (row) { mx = Math.max(mx, Math.abs(row[u])); });
    return mx;
  }

  function drawStrip() {                        // the characters not yet read: grey, hatched
    var n = now.text.length, k = now.rows.length, shown = now.order.slice(0, data.rows), d = now.d;
    var limits = shown.map(function (u) { return limitOf(d, u); }), R = shown.length;
    canvas.width = LEFT + Math.max(1, n) * CW;
    canvas.height = TOP + R * CH + 1;
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#000"; ctx.font = "10px monospace"; ctx.textBaseline = "top";
    ctx.textAlign = "center";
    for (var t = 0; t < n; t++) {
      ctx.fillStyle = t < k ? "#000" : "#767676";
      ctx.fillText(show(now.text[t]), LEFT + t * CW + CW / 2, 2);
    }
    ctx.fillStyle = "#000";
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    if (CH >= 8) { shown.forEach(function (u, k) { ctx.fillText(String(u), LEFT - 3, TOP + k * CH + CH / 2); }); }
    if (k > 0) {                                // one pixel per (unit, character), scaled up
      var img = new ImageData(k, R), px = img.data;
      for (t = 0; t < k; t++) {
        var row = now.rows[t];
        for (var q = 0; q < R; q++) {
          var rgb = colour(row[shown[q]], d, limits[q]), o = 4 * (q * k + t);
          px[o] = rgb[0]; px[o + 1] = rgb[1]; px[o + 2] = rgb[2]; px[o + 3] = 255;
        }
      }
      small.width = k; small.height = R;
      small.getContext("2d").putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(small, LEFT, TOP, k * CW, R * CH);
    }
    if (k < n) { hatch(ctx, LEFT + k * CW, TOP, (n - k) * CW, R * CH); }
    var at = shown.indexOf(unit);               // the shown unit's row, framed
    if (at >= 0) {                              // a frame around the row, not over it
      ctx.strokeStyle = "#000"; ctx.lineWidth = 1;
      ctx.strokeRect(0.5, TOP + at * CH - 0.5, canvas.width - 1, CH + 1);
    }
    legend.textContent = d.range === "gate" ? "Colour: white 0, green 1 (a gate)." :
      d.range === "tanh" ? "Colour: blue \u22121, white 0, orange +1." :
      "Colour: blue negative, white 0, orange positive; each unit scaled to its largest |value| (at least 1).";
  }

  function hatch(ctx, x, y, w, h) {             // light grey with darker diagonal lines
    ctx.save();
    ctx.fillStyle = "#e6e6e6"; ctx.fillRect(x, y, w, h);
    ctx.beginPath(); ctx.rect(x, y, w, h); ctx.clip();
    ctx.strokeStyle = "#aaa"; ctx.lineWidth = 1; ctx.beginPath();
    for (var s = x - h; s < x + w; s += 6) { ctx.moveTo(s, y + h); ctx.lineTo(s + h, y); }
    ctx.stroke();
    ctx.restore();
  }

  function plainText() {                        // while reading: the text uncoloured, greyed
    if (plain === now.text) { return; }         // (set once per keystroke: cheap slices)
    plain = now.text;
    colored.classList.add("rl-pending");
    colored.textContent = now.text.replace(/\n/g, "\u21b5\n");
  }

  function showUnit() {                         // the selected unit: buttons, text, words
    var d = now.d, n = now.text.length, k = now.rows.length;
    topButtons.forEach(function (b) { b.setAttribute("aria-pressed", String(+b.value === unit)); });
    named.forEach(function (b) { b.setAttribute("aria-pressed", String(+b.value === unit)); });
    if (document.activeElement !== num) { num.value = unit; }
    if (!now.done) {                            // still reading: how far; the text greyed
      plainText();
      about.textContent = "Unit " + unit + ", " + d.label + ": reading the text, " + k + " of " + n
        + " characters so far (the others are greyed); the ranking follows.";
      status.textContent = "Reading\u2026 " + k + " of " + n + " characters.";
      return;
    }
    plain = null;
    colored.classList.remove("rl-pending");
    var frag = document.createDocumentFragment(), lo = Infinity, hi = -Infinity;
    var limit = limitOf(d, unit);
    for (var t = 0; t < n; t++) {
      var v = now.rows[t][unit], span = document.createElement("span");
      var rgb = colour(v, d, limit).map(function (c) { return Math.round(255 + (c - 255) * 0.7); });
      lo = Math.min(lo, v); hi = Math.max(hi, v);
      span.style.background = "rgb(" + rgb.join(",") + ")";
      span.textContent = now.text[t] === "\n" ? "\u21b5\n" : now.text[t];
      frag.appendChild(span);
    }
    colored.textContent = "";
    colored.appendChild(frag);
    var words = n ? "Unit " + unit + ", " + d.label + ": from " + fmt(lo) + " to " + fmt(hi)
      + "; correlation with " + P[now.key] + " r = " + fmt(now.r[unit]) + "."
      : "Unit " + unit + ": type some text to see its values.";
    about.textContent = words + " The text below is coloured by its value at each character.";
    var best = now.order.slice(0, 3).map(function (u) { return u + " (r = " + fmt(now.r[u]) + ")"; });
    status.textContent = n + " characters; " + d.label + " against " + P[now.key] + ": " +
      (n < 2 ? "type at least two characters to rank the units." :
       now.r[now.order[0]] === 0 ? "the property does not change over this text, so no unit follows it." :
       "best units " + best.join(", ") + ".") + " Shown: unit " + unit
      + (n ? ", from " + fmt(lo) + " to " + fmt(hi) + "." : ".");
  }

  function update() {                           // a keystroke, another quantity or property
    var t0 = performance.now(), text = box.value.slice(0, data.maxChars), key = psel.value;
    clearTimeout(job);                          // cancel the slices of an earlier keystroke
    restart(text);
    var r = now ? now.r : new Float64Array(J);  // the strip keeps the last ranking's units
    now = {text: text, d: Q[qsel.value], key: key, p: property(text, key), rows: [], done: false,
           r: r, order: now ? now.order : rank(r)};
    slice(t0, t0);                              // the first slice, now: data-ms
  }
  function slice(start, t0) {                   // read for data.sliceMs, then paint
    var done = advance(start + data.sliceMs);
    now.rows = values(cache.steps.slice(lead), now.d);
    if (done) { finish(t0); return; }
    root.setAttribute("data-busy", "1");
    status.setAttribute("aria-busy", "true");   // a screen reader waits for the summary
    paint();
    job = setTimeout(function () { slice(performance.now(), t0); }, 0);
  }
  function finish(t0) {                         // the whole text read: rank the units, paint
    job = null;
    var r = now.r = correlations(now.rows, now.p);
    now.order = rank(r);
    now.done = true;
    topButtons.forEach(function (b, k) {        // the same buttons, relabelled: focus stays
      var u = now.order[k];
      b.value = String(u);
      b.textContent = u + " (" + fmt(r[u]) + ")";
      b.setAttribute("aria-label", "unit " + u + ", r = " + fmt(r[u]));
    });
    paint();
    root.setAttribute("data-ms-full", (performance.now() - t0).toFixed(3));
    root.removeAttribute("data-busy");
    status.removeAttribute("aria-busy");
  }
  function paint() {
    drawStrip();
    showUnit();
    if (box.selectionStart >= now.text.length) { strip.scrollLeft = strip.scrollWidth; }
  }
  function choose(u) { unit = u; drawStrip(); showUnit(); }

  box.addEventListener("input", L.timed(root, update));
  [qsel, psel].forEach(function (s) { s.addEventListener("change", L.timed(root, update)); });
  topButtons.concat(named).forEach(function (b) {
    b.addEventListener("click", L.timed(root, function () { choose(+b.value); }));
  });
  num.addEventListener("input", L.timed(root, function () {
    var u = Number(num.value);
    if (num.value !== "" && Number.isInteger(u) && u >= 0 && u < J) { choose(u); }
    else { status.textContent = "Type a unit number from 0 to " + (J - 1) + "."; }
  }));
  update();

  root.rnnGateState = function () {             // what the view shows now (for the tests)
    return {text: now.text, quantity: now.d.key, property: now.key, unit: unit, busy: !now.done,
            computed: now.rows.length, r: Array.from(now.r), order: now.order,
            prop: Array.from(now.p),
            values: now.rows.map(function (row) { return Array.from(row); })};
  };
  function readAll(text) {                      // every step of text at once (L.run)
    var ids = L.encode(m, text);
    if (lead) { ids.unshift(m.stoi["<BOS>"]); }
    return L.run(m, ids).slice(lead);
  }
  root.rnnGateRun = function (text, key) {      // quantity key over text, read at once (tests)
    return values(readAll(text), Q[key]).map(function (row) { return Array.from(row); });
  };
  root.rnnLiveParity = function () {            // PyTorch's gates and states, recomputed
    var ref = data.reference, run = readAll(ref.text), T = run.length, U = ref.units.length;
    var theirs = L.decode(ref.values), mine = [], want = [];
    ref.quantities.forEach(function (key, qi) {
      var rows = values(run, Q[key]);
      for (var t = 0; t < T; t++) {
        for (var k = 0; k < U; k++) { mine.push(rows[t][ref.units[k]]); want.push(theirs[(qi * T + t) * U + k]); }
      }
    });
    var out = L.maxDiff(mine, want);
    out.what = ref.quantities.map(function (k) { return Q[k].label; }).join(", ") + " of " + U
      + " units on \u201c" + ref.text.replace(/\n/g, " ") + "\u201d";
    return out;
  };
"""


def _expect_units(units, hidden_size: int) -> dict[int, str]:
    """units: None, a sequence of unit numbers, or {unit: note} -> {unit: note}."""
    if units is None:
        return {}
    if isinstance(units, dict):
        items = list(units.items())
    elif isinstance(units, (list, tuple)):
        items = [(u, "") for u in units]
    else:
        raise TypeError(f"units must be None, a list of unit numbers or a dict {{unit: note}}, "
                        f"got {type(units).__name__}")
    out = {}
    for u, note in items:
        out[_expect_unit(u, hidden_size, "units")] = _expect_note(note)
    if len(out) > 8:
        raise ValueError(f"units names at most 8 units (a button each), got {len(out)}")
    return out


def _expect_unit(u, hidden_size: int, name: str) -> int:
    if isinstance(u, bool) or not isinstance(u, numbers.Integral):
        raise TypeError(f"{name} must hold unit numbers (int), got {type(u).__name__}")
    if not 0 <= u < hidden_size:
        raise ValueError(f"{name}: a unit number must be from 0 to {hidden_size - 1} (the model "
                         f"has {hidden_size} units, numbered from 0), got {u}")
    return int(u)


def _expect_note(note) -> str:
    if not isinstance(note, str):
        raise TypeError(f"a unit's note must be a str, got {type(note).__name__}")
    return note.strip()


def trace_text(model: CharLM, vocab: Vocab, text: str, bos: bool = False) -> dict[str, np.ndarray]:
    """PyTorch's numbers on text: {quantity key: (T, J) float32 array} for every quantity of
    QUANTITIES[model.cell_kind], from ``trace_gates`` on the course's cell (with <BOS> first,
    then dropped, if bos)."""
    kind = model.cell_kind
    ids = torch.tensor([vocab.encode(text, bos=bos)], device=next(model.parameters()).device)
    with torch.no_grad():
        trace = trace_gates(course_cell(model.core), model.embed(ids))
    lead = 1 if bos else 0
    return {key: trace[_TRACE_KEY[kind][key]][0, lead:].float().cpu().numpy()
            for key in QUANTITIES[kind]}


def _reference_units(hidden_size: int, start: int, named) -> list[int]:
    spread = np.linspace(0, hidden_size - 1, min(hidden_size, REFERENCE_UNITS)).round().astype(int)
    return sorted(set(spread.tolist()) | {start} | set(named))


def _static_face(values: np.ndarray, text: str, quantity: str, prop: str, r: np.ndarray,
                 kind: str) -> tuple[str, str]:
    """An image of the first state (the best units' heat strip), and its alt text."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap
    from .text import shown
    order = rank_units(r)[:12]
    tail = max(0, len(text) - 80)                    # the last 80 characters at most
    strip = values[tail:, order].T                   # (units, characters)
    label = QUANTITIES[kind][quantity]
    if _RANGE.get(quantity) == "gate":
        cmap, lo, hi = LinearSegmentedColormap.from_list("wg", [(1, 1, 1), (0, 0.62, 0.45)]), 0, 1
    else:
        if _RANGE.get(quantity) is None and kind == "lstm":     # each unit to its largest |c|
            strip = strip / np.maximum(1.0, np.abs(values[:, order]).max(0))[:, None]
        cmap = LinearSegmentedColormap.from_list("bwo", [(0, 0.447, 0.698), (1, 1, 1), (0.835, 0.369, 0)])
        lo, hi = -1, 1
    fig, ax = plt.subplots(figsize=(min(9.0, 1.8 + 0.1 * strip.shape[1]), 0.6 + 0.2 * len(order)))
    ax.imshow(strip, cmap=cmap, vmin=lo, vmax=hi, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(strip.shape[1]), [shown(c) for c in text[tail:]], fontfamily="monospace",
                  fontsize=6)
    ax.set_yticks(range(len(order)), [str(u) for u in order], fontsize=7)
    ax.set_ylabel("unit")
    ax.grid(False)
    best = ", ".join(f"unit {u} (r = {r[u]:+.2f})" for u in order[:3])
    ax.set_title(f"{label}: the units that follow {PROPERTIES[prop].split(' (')[0]} best", fontsize=9)
    alt = (f"Heat strip of the {label} of a trained {kind.upper()} of {values.shape[1]} units, for "
           f"the {len(order)} units whose values correlate most with the property "
           f"“{PROPERTIES[prop]}” over the {len(text)} characters of the starting text"
           f"{' (its last 80 shown)' if tail else ''}; the best are {best}.")
    return png_data_url(fig), alt


def gate_view(model: CharLM, vocab: Vocab, text: str = "", *, quantity: str = "c",
              prop: str = "line_position", unit: int | None = None, units=None, rows: int | None = None,
              top: int = 6, bos: bool = False, max_chars: int = 400,
              label: str = "Type any text", max_bytes: int = MAX_PAYLOAD_BYTES,
              dtype: str = "float32") -> LiveView:
    """Type text, see every gate and state of a trained GRU or LSTM per unit and per
    character, and find the units whose values follow a property of the text, in the page.

    model, vocab: a one-layer ``models.CharLM`` with cell "gru" or "lstm" and its vocabulary,
    as for ``export_model`` (max_bytes and dtype too: the shipped 512-unit LSTM needs
    dtype="float16" and max_bytes of about 4 MB). text: what the box holds at first.
    quantity: what the view shows first, a key of ``QUANTITIES[cell]`` (GRU: "r", "u",
    "c_tilde", "c"; LSTM: "i", "f", "c_tilde", "o", "c", "h"). prop: the property of the text
    the units are ranked by first, a key of ``PROPERTIES``. unit: the unit shown first
    (numbered from 0; default the best-ranked one). units: units to offer as buttons, a list of
    numbers or {unit: note} (e.g. the units a chapter names; at most 8). rows: how many of the
    best-ranked units the heat strip shows (default 32, or every unit of a smaller model). top: how many best units are listed as buttons.
    bos: feed <BOS> first (a model trained on whole sequences). max_chars: the longest text
    the box takes (1 to MAX_GATE_CHARS). label: the text box's label.
    """
    payload = export_model(model, vocab, max_bytes, dtype)
    kind, J = model.cell_kind, model.hidden_size
    if kind not in QUANTITIES:
        raise ValueError(f"gate_view shows a gated cell, 'gru' or 'lstm', got a CharLM with cell "
                         f"{kind!r} (text_view shows a plain RNN's hidden state)")
    text = expect_text(text)
    if any(ord(ch) > 0xFFFF for ch in text):
        raise ValueError("text must hold characters of the Basic Multilingual Plane only (the page "
                         "counts UTF-16 code units), got a character such as an emoji")
    label = expect_label(label)
    if quantity not in QUANTITIES[kind]:
        raise ValueError(f"quantity must be one of {', '.join(map(repr, QUANTITIES[kind]))} for a "
                         f"{kind.upper()}, got {quantity!r}")
    if prop not in PROPERTIES:
        raise ValueError(f"prop must be one of {', '.join(map(repr, PROPERTIES))}, got {prop!r}")
    bos = expect_flag(bos, "bos")
    rows = min(32, J) if rows is None else expect_positive_int(rows, "rows", most=J)
    top = expect_positive_int(top, "top", most=min(J, 12))
    max_chars = expect_positive_int(max_chars, "max_chars", most=MAX_GATE_CHARS)
    if len(text) > max_chars:
        raise ValueError(f"text has {len(text)} characters, more than max_chars={max_chars}")
    named = _expect_units(units, J)
    values = trace_text(model, vocab, text, bos) if text else None
    r = correlations(values[quantity], text_property(text, prop)) if text else np.zeros(J)
    if unit is None:
        unit = next(iter(named), rank_units(r)[0])
    unit = _expect_unit(unit, J, "unit")

    reference = None
    reference_text = text[:REFERENCE_CHARS]
    if reference_text:
        ref_units = _reference_units(J, unit, named)
        # the steps of a prefix are the first steps of the text (both start from the zero state)
        stacked = np.stack([values[key][:len(reference_text), ref_units]
                            for key in QUANTITIES[kind]])                     # (Q, T, U)
        best = rank_units(r)[:10]
        reference = {"text": reference_text, "units": ref_units, "quantities": list(QUANTITIES[kind]),
                     "values": encode_tensor(stacked, "values"),
                     "ranking": {"quantity": quantity, "property": prop, "units": best,
                                 "r": [float(r[u]) for u in best]}}
    static = _static_face(values[quantity], text, quantity, prop, r, kind) if text else None
    quantities = [{"key": key, "label": lab, "src": _PAGE_SOURCE[kind][key][0],
                   "field": _PAGE_SOURCE[kind][key][1], "range": _RANGE.get(key, "cell")}
                  for key, lab in QUANTITIES[kind].items()]
    if kind == "gru":
        quantities[-1]["range"] = "tanh"             # a GRU's cell stays in [-1, 1]
    esc = html_lib.escape
    option = '<option value="{}"{}>{}</option>'
    named_html = ""
    if named:
        named_html = ('<div class="rl-units rl-named" role="group" aria-label="units named in the '
                      'text"><span class="rl-gl">Named in the text:</span>' + "".join(
                          f'<button type="button" value="{u}" aria-pressed="false">unit {u}'
                          f'{": " + esc(note) if note else ""}</button>' for u, note in named.items())
                      + "</div>")
    body = _BODY % {
        "label": esc(label), "max_chars": max_chars, "text": esc(text),
        "quantities": "".join(option.format(k, " selected" if k == quantity else "", esc(v))
                              for k, v in QUANTITIES[kind].items()),
        "properties": "".join(option.format(k, " selected" if k == prop else "", esc(v))
                              for k, v in PROPERTIES.items()),
        "rows": rows, "units": J, "last": J - 1, "unit": unit, "named": named_html,
        "top": "".join('<button type="button" aria-pressed="false">unit</button>'
                       for _ in range(top))}
    described = (f"Type text and watch every gate and state of a trained {kind.upper()} of {J} "
                 f"units ({', '.join(QUANTITIES[kind].values())}) under each character, and find "
                 "the units whose values follow a property of the text, such as the position in "
                 "the line.")
    options = {"bos": bos, "rows": rows, "maxChars": max_chars, "unit": unit, "sliceMs": SLICE_MS,
               "quantities": quantities,
               "properties": [{"key": k, "label": v} for k, v in PROPERTIES.items()]}
    return LiveView("gates", described, body, _SCRIPT, {**options, "payload": payload},
                    static=static, reference=reference, style=_STYLE,
                    payload_bytes=payload_bytes(payload))


__all__ = ["MAX_GATE_CHARS", "PROPERTIES", "QUANTITIES", "REFERENCE_CHARS", "REFERENCE_UNITS",
           "SLICE_MS", "correlations", "gate_view", "rank_units", "text_property", "trace_text"]
