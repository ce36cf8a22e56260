"""The scan view of Chapter 8: step through the rounds of a parallel scan of the linear
recurrence h_t = α_t h_{t-1} + β_t, next to the loop's steps (``scan_view``).

    from utils.live.scan import scan_view
    scan_view(T=8, seed=0)                  # in a cell tagged remove-input

The reader picks the algorithm (the loop: T steps one after another; Hillis-Steele:
ceil(log2 T) rounds; Blelloch: an up-sweep and a down-sweep of log2 P rounds each, P = T
padded to a power of two) and the length T (2 to ``MAX_T``), then steps through the rounds
with Previous / Next (or Play). The drawing (inline SVG built in the page) has the positions
as columns and the rounds as rows: the lines show which position combines with which, the
dots whose prefix is complete are filled, and the bars below are the values b each position
holds now (h_t once its prefix is complete), with ticks at the loop's h_t.

The example is one unit: α_t in (0, 1), β_t and h_0 drawn in Python with a seed, rounded to
two decimals, and passed to the page as numbers (float64, exact in JSON). The page runs every
algorithm in float64 with the same operations as ``utils.scan`` (step 1 folds h_0 in, the
pair (α, β) combines as (α_r α_l, α_r β_l + β_r), Blelloch pads with the identity (1, 0)).
Its reference (see ``utils.live.page``): ``utils.scan``'s h for every algorithm at a few
lengths, and ``scan_rounds``'s counts; the page's numbers agree to ~1e-16.
"""
from __future__ import annotations

import numbers

import numpy as np
import torch

from .. import scan
from ..plotting import COLORS
from ..validate import expect_choice
from .export import payload_bytes
from .page import LiveView, png_data_url

ALGORITHMS = ("loop", "hillis_steele", "blelloch")
"""The computations the page runs (the keys of ``utils.scan.scan_rounds``)."""
ALGORITHM_NAMES = {"loop": "Loop (one step at a time)", "hillis_steele": "Hillis\u2013Steele scan",
                   "blelloch": "Blelloch scan (work-efficient)"}
MIN_T, MAX_T = 2, 32
"""The lengths the slider offers (the page carries MAX_T steps; T uses the first T)."""
REFERENCE_LENGTHS = (2, 3, 5, 13, 32)
"""Lengths at which utils.scan's results travel with the page (plus the starting T)."""
PLAY_MS = 900
"""Milliseconds per round when the reader presses Play."""

_STYLE = """<style>
.rnn-live .rl-scan-row{display:flex;flex-wrap:wrap;align-items:flex-end;gap:.2rem 1.2rem}
.rnn-live .rl-scan-row>div{min-width:0;flex:1 1 12em;max-width:24em}
.rnn-live .rl-scan-row select{max-width:100%}
.rnn-live .rl-scan-plot{width:100%;margin:.4rem 0}
.rnn-live .rl-scan-plot svg{display:block;width:100%;height:auto}
.rnn-live .rl-scan-status{min-height:2.6em}
.rnn-live button[aria-disabled=true]{opacity:.45;cursor:default}
.rnn-live .rl-key{font-size:.85em;margin:.2rem 0;padding:0;list-style:none}
.rnn-live .rl-key li{display:inline-block;margin-right:1rem}
.rnn-live .rl-key i{display:inline-block;width:.8em;height:.8em;border-radius:50%;
 vertical-align:middle;margin-right:.3em}
</style>"""

_BODY = ('<div class="rl-scan-row">'
         '<div><label for="{id}-alg">Algorithm</label>'
         '<select id="{id}-alg" class="rl-scan-alg">%(options)s</select></div>'
         '<div><label for="{id}-T">Length T = <output for="{id}-T" id="{id}-T-out">%(T)d'
         '</output></label>'
         '<input type="range" id="{id}-T" min="%(lo)d" max="%(hi)d" step="1" value="%(T)d" '
         'aria-valuetext="T = %(T)d"></div></div>'
         '<div><button type="button" class="rl-prev">Previous</button>'
         '<button type="button" class="rl-next">Next</button>'
         '<button type="button" class="rl-play">Play</button></div>'
         '<p class="rl-scan-status" role="status" aria-live="polite"></p>'
         '<div class="rl-scan-plot"></div>'
         '<ul class="rl-key">'
         '<li><i style="background:#009E73"></i>prefix complete: holds h<sub>t</sub></li>'
         '<li><i style="background:#fff;border:2px solid #009E73"></i>holds the prefix before t '
         '(Blelloch)</li>'
         '<li><span style="color:#0072B2">\u2198</span> combine</li>'
         '<li><span style="color:#D55E00">\u2199</span> pass down (Blelloch)</li>'
         '<li>bars: the input term \u03b2 each position holds (h<sub>t</sub> once its prefix is complete); black ticks: the loop\u2019s h<sub>t</sub></li>'
         '</ul>'
         '<p class="rl-note rl-scan-counts"></p>'
         '<p class="rl-note">One unit of h<sub>t</sub> = \u03b1<sub>t</sub> h<sub>t\u22121</sub> '
         '+ \u03b2<sub>t</sub>, with \u03b1<sub>t</sub> in (0, 1), \u03b2<sub>t</sub> and '
         'h<sub>0</sub> drawn at random (seed %(seed)d); each step is the pair '
         '(\u03b1<sub>t</sub>, \u03b2<sub>t</sub>), and combining two pairs gives one.</p>')

_SCRIPT = r"""
  var A = data.alpha, Bt = data.beta, H0 = data.h0, NAMES = data.names;
  function $(s) { return root.querySelector(s); }
  var pick = $(".rl-scan-alg"), slider = $("input[type=range]"), shownT = $("output"),
      prev = $(".rl-prev"), next = $(".rl-next"), play = $(".rl-play"),
      status = $(".rl-scan-status"), counts = $(".rl-scan-counts"), box = $(".rl-scan-plot");
  var ID = {a: 1, b: 0, id: true};               // the identity pair: "leave h unchanged"

  // combine(l, r): l first, then r = (a_r a_l, a_r b_l + b_r), as utils.scan's _combine.
  // s..e: the steps the pair composes (s = 0: h_0 is folded in); id: the identity.
  function comb(l, r) {
    var out = {a: r.a * l.a, b: r.a * l.b + r.b};
    if (l.id && r.id) { out.id = true; }
    else if (l.id) { out.s = r.s; out.e = r.e; }
    else if (r.id) { out.s = l.s; out.e = l.e; }
    else { out.s = l.s; out.e = r.e; }
    return out;
  }
  function stepPair(t) { return {a: A[t - 1], b: Bt[t - 1], s: t, e: t}; }   // t from 1
  function folded() {                             // b_1 <- a_1 h_0 + b_1 (utils.scan's _fold_h0)
    return {a: A[0], b: A[0] * H0 + Bt[0], s: 0, e: 1};
  }
  function copy(x) { return x.map(function (p) { return p; }); }

  // Every frame of one computation: {kind, n, shift, edges [[from, to, type]], slots}.
  // Positions count from 1; position 0 is h_0. kind: start, step (loop), round
  // (Hillis-Steele), up, down, last (Blelloch's final combine, not a round).
  function frames(alg, T) {
    var out = [], x = [], t, combines = 0;
    if (alg === "loop") {
      for (t = 1; t <= T; t++) { x.push(stepPair(t)); }
      out.push({kind: "start", edges: [], slots: copy(x)});
      for (t = 1; t <= T; t++) {                  // h_t = a_t h_{t-1} + b_t
        x[t - 1] = t === 1 ? folded() : comb(x[t - 2], x[t - 1]);
        combines += 1;
        out.push({kind: "step", n: t, edges: [[t - 1, t, "combine"]], slots: copy(x)});
      }
    } else if (alg === "hillis_steele") {
      x.push(folded());
      for (t = 2; t <= T; t++) { x.push(stepPair(t)); }
      out.push({kind: "start", edges: [[0, 1, "fold"]], slots: copy(x)});
      for (var shift = 1, n = 1; shift < T; shift *= 2, n++) {
        var y = copy(x), edges = [];
        for (t = shift; t < T; t++) {             // 0-based: t combines with t - shift
          y[t] = comb(x[t - shift], x[t]);
          edges.push([t - shift + 1, t + 1, "combine"]);
          combines += 1;
        }
        x = y;
        out.push({kind: "round", n: n, shift: shift, edges: edges, slots: copy(x)});
      }
    } else {
      var P = 1, k = 0;
      while (P < T) { P *= 2; k += 1; }
      x.push(folded());
      for (t = 2; t <= P; t++) { x.push(t <= T ? stepPair(t) : {a: 1, b: 0, id: true, pad: true}); }
      var own = copy(x);
      out.push({kind: "start", edges: [[0, 1, "fold"]], slots: copy(x), P: P});
      for (var d = 0; d < k; d++) {               // up-sweep: neighbours in pairs, level by level
        var half = 1 << d, stride = 2 * half, up = [];
        for (var i = 0; i < P; i += stride) {
          var Lu = i + half - 1, Ru = i + stride - 1;
          x[Ru] = comb(x[Lu], x[Ru]);
          up.push([Lu + 1, Ru + 1, "combine"]);
          combines += 1;
        }
        out.push({kind: "up", n: d + 1, shift: half, edges: up, slots: copy(x)});
      }
      x[P - 1] = ID;                              // the root's prefix: nothing before step 1
      for (d = k - 1; d >= 0; d--) {              // down-sweep: prefixes from the root down
        var hd = 1 << d, st = 2 * hd, down = [];
        for (var j = 0; j < P; j += st) {
          var Ld = j + hd - 1, Rd = j + st - 1, left = x[Ld];
          x[Ld] = x[Rd];                          // the left child: the parent's prefix
          x[Rd] = comb(x[Rd], left);              // the right: that prefix, then the left block
          down.push([Rd + 1, Ld + 1, "pass"], [Ld + 1, Rd + 1, "combine"]);
          combines += 1;
        }
        out.push({kind: "down", n: k - d, shift: hd, edges: down, slots: copy(x)});
      }
      var last = [];
      for (t = 0; t < P; t++) {                   // exclusive -> inclusive: then step t itself
        x[t] = comb(x[t], own[t]);
        last.push([t + 1, t + 1, "own"]);
        combines += 1;
      }
      out.push({kind: "last", edges: last, slots: copy(x)});
    }
    out.combines = combines;
    out.rounds = out.filter(function (f) { return f.kind !== "start" && f.kind !== "last"; }).length;
    out.T = T;
    out.alg = alg;
    return out;
  }

  function complete(p, t) { return !p.id && p.s === 0 && p.e === t; }     // holds h_t
  function before(p, t) { return t === 1 ? !!p.id && !p.pad : (!p.id && p.s === 0 && p.e === t - 1); }
  function result(alg, T) {
    var f = frames(alg, T), slots = f[f.length - 1].slots, h = [];
    for (var t = 0; t < T; t++) { h.push(slots[t].b); }
    return {h: h, rounds: f.rounds, combines: f.combines, frames: f.length};
  }

  var cur = 0, F = null, target = null, timer = null;

  function sub(n) {                               // 12 -> "₁₂"
    return String(n).replace(/[0-9]/g, function (c) { return String.fromCharCode(0x2080 + (+c)); });
  }

  function describe(f, T) {
    var fr = F[cur], done = 0, ready = 0, t;
    for (t = 1; t <= T; t++) {
      if (complete(fr.slots[t - 1], t)) { done += 1; }
      else if (before(fr.slots[t - 1], t)) { ready += 1; }
    }
    var tail = done + " of " + T + " prefixes complete";
    var R = F.rounds, r, words;
    if (fr.kind === "start") {
      return F.alg === "loop"
        ? "Start: each position t holds its step (\u03b1\u209c, \u03b2\u209c); the loop has computed nothing yet; " + tail + "."
        : "Start: each position holds its step (\u03b1\u209c, \u03b2\u209c), with h\u2080 folded "
          + "into step 1 (\u03b2\u2081 \u2190 \u03b1\u2081 h\u2080 + \u03b2\u2081); " + tail + ".";
    }
    if (fr.kind === "step") {
      t = fr.n;
      return "Step " + t + " of " + T + ": position " + t + " combines with "
        + (t === 1 ? "h\u2080" : "position " + (t - 1)) + " (h" + sub(t) + " = \u03b1" + sub(t)
        + " h" + sub(t - 1) + " + \u03b2" + sub(t) + "); " + tail + ".";
    }
    var loopAt = "; the loop, one step per round, would be at step " + Math.min(cur, T) + " of " + T + ".";
    if (fr.kind === "round") {
      return "Round " + fr.n + " of " + R + ": each position combines with the one " + fr.shift
        + " to its left; " + tail + loopAt;
    }
    if (fr.kind === "up") {
      var ends = fr.edges.map(function (e) { return e[1]; });
      words = ends.length <= 3 ? "position" + (ends.length > 1 ? "s " : " ") + ends.join(" and ")
        + " combine" + (ends.length > 1 ? "" : "s") + " with the one " + fr.shift + " to the left"
        : "every " + (2 * fr.shift) + (fr.shift === 1 ? "nd" : "th") + " position ("
          + ends.slice(0, 2).join(", ") + ", \u2026) combines with the one " + fr.shift
          + " to its left";
      return "Up-sweep, round " + cur + " of " + R + ": " + words + " (blocks of " + (2 * fr.shift)
        + " steps); " + tail + loopAt;
    }
    if (fr.kind === "down") {
      return "Down-sweep, round " + cur + " of " + R + ": "
        + (fr.n === 1 ? "position " + F[0].slots.length + " starts as the identity (nothing comes "
           + "before step 1); " : "")
        + "in each pair " + fr.shift + " apart, the left position takes the right one\u2019s prefix "
        + "and the right one combines that prefix with the left one\u2019s block; " + ready + " of " + T
        + " positions hold the prefix of the steps before them" + loopAt;
    }
    return "Last combine (not counted in the " + R + " rounds): each position combines the prefix "
      + "before it with its own step, all at once; " + tail + ".";
  }

  function countsText(T) {
    var r = {}, c = {};
    data.algorithms.forEach(function (a) { var f = frames(a, T); r[a] = f.rounds; c[a] = f.combines; });
    var P = 1;
    while (P < T) { P *= 2; }
    return "T = " + T + ": the loop takes " + r.loop + " steps, one after another; Hillis\u2013Steele "
      + r.hillis_steele + " rounds (\u2308log\u2082 " + T + "\u2309); Blelloch " + r.blelloch
      + " rounds (" + r.blelloch / 2 + " up, " + r.blelloch / 2 + " down"
      + (P > T ? ", T padded to " + P : "") + "). Combines done: the loop " + c.loop
      + ", Hillis\u2013Steele " + c.hillis_steele + ", Blelloch " + c.blelloch + ".";
  }

  function fmt(v) { return (v < 0 ? "\u2212" : "") + Math.abs(v).toFixed(2); }

  function draw() {
    var T = F.T, n = F[0].slots.length, nrows = F.length;
    var W = Math.max(240, Math.floor(box.clientWidth || 320));
    var left = W < 420 ? 44 : 56, right = 4, top = 16;
    var cw = (W - left - right) / (n + 1);
    var rh = Math.max(9, Math.min(34, Math.floor(300 / nrows)));
    var gridH = nrows * rh, barTop = top + gridH + 12, barH = 120, H = barTop + barH + 4;
    function X(c) { return left + cw * (c + 0.5); }
    function Y(r) { return top + rh * (r + 0.5); }
    var maxAbs = Math.abs(H0);
    F.forEach(function (fr) {
      fr.slots.forEach(function (p) { if (!p.id) { maxAbs = Math.max(maxAbs, Math.abs(p.b)); } });
    });
    target.forEach(function (v) { maxAbs = Math.max(maxAbs, Math.abs(v)); });
    var zero = barTop + barH / 2, scale = (barH / 2 - 12) / (maxAbs || 1);
    var s = [], mark = data.id + "-arrow";
    s.push('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + W + " " + H + '" width="' + W
      + '" height="' + H + '" role="img" aria-label="' + NAMES[F.alg] + " of T = " + T
      + ' steps: positions as columns, rounds as rows, and the values each position holds as '
      + 'bars; the status above says what the current round does." font-family="sans-serif">');
    s.push('<defs><marker id="' + mark + '" viewBox="0 0 6 6" refX="5" refY="3" markerWidth="5" '
      + 'markerHeight="5" orient="auto"><path d="M0,0L6,3L0,6z" fill="#0072B2"/></marker></defs>');
    s.push('<rect x="0" y="0" width="' + W + '" height="' + H + '" fill="#fff"/>');
    s.push('<rect x="0" y="' + (Y(cur) - rh / 2) + '" width="' + W + '" height="' + rh
      + '" fill="#FFF1C2"/>');
    var fs = 11, every = cw >= 16 ? 1 : (cw >= 8 ? 4 : 8);
    s.push('<text x="' + X(0) + '" y="11" font-size="' + fs + '" text-anchor="middle">h\u2080</text>');
    for (var c = 1; c <= n; c++) {
      if ((c === 1 && cw >= 14) || c % every === 0) {
        s.push('<text x="' + X(c) + '" y="11" font-size="' + fs + '" text-anchor="middle"'
          + (c > T ? ' fill="#888"' : '') + '>' + c + '</text>');
      }
    }
    var lab = Math.ceil(12 / rh);
    F.forEach(function (fr, r) {
      if (r % lab !== 0 && r !== cur && r !== nrows - 1) { return; }
      var name = fr.kind === "start" ? "start" : fr.kind === "last" ? "last"
        : fr.kind === "step" ? "step " + fr.n : fr.kind === "round" ? "round " + fr.n
        : fr.kind + " " + fr.n;
      if (left < 50) { name = name.replace("step ", ""); }
      s.push('<text x="2" y="' + (Y(r) + 4) + '" font-size="' + Math.min(left < 50 ? 10 : fs, rh) + '"'
        + (r === cur ? ' font-weight="bold"' : '') + '>' + name + '</text>');
    });
    var rad = Math.max(2, Math.min(cw * 0.3, rh * 0.36, 6));
    F.forEach(function (fr, r) {
      var op = r <= cur ? 1 : 0.22, touched = {};
      if (r > 0) {
        fr.edges.forEach(function (e) { touched[e[1]] = true; });
        for (var c = 1; c <= n; c++) {            // what a position keeps from the row above
          if (!touched[c]) {
            s.push('<line x1="' + X(c) + '" y1="' + Y(r - 1) + '" x2="' + X(c) + '" y2="' + Y(r)
              + '" stroke="#ccc" stroke-width="1" opacity="' + op + '"/>');
          }
        }
      }
      fr.edges.forEach(function (e) {
        var y1 = r === 0 ? Y(0) : Y(r - 1), col = e[2] === "pass" ? "#D55E00" : "#0072B2";
        var dash = e[2] === "pass" ? ' stroke-dasharray="4 3"' : '';
        var x1 = X(e[0]), x2 = X(e[1]), y2 = Y(r);
        if (e[2] === "fold") { x2 -= rad + 1; }
        else {                                    // stop at the dot's edge, for the arrow head
          var dx = x2 - x1, dy = y2 - y1, len = Math.sqrt(dx * dx + dy * dy) || 1;
          x2 -= dx / len * (rad + 1); y2 -= dy / len * (rad + 1);
        }
        s.push('<line x1="' + x1 + '" y1="' + y1 + '" x2="' + x2 + '" y2="' + y2 + '" stroke="'
          + col + '" stroke-width="' + (r === cur ? 2 : 1.3) + '"' + dash + ' opacity="' + op + '"'
          + (e[2] === "pass" ? '' : ' marker-end="url(#' + mark + ')"') + '/>');
      });
      if (r === 0) {
        s.push('<circle cx="' + X(0) + '" cy="' + Y(0) + '" r="' + rad + '" fill="#000"/>');
      }
      fr.slots.forEach(function (p, i) {
        var t = i + 1, fill = "#bbb", stroke = "none", extra = "";
        if (t > T) {                              // Blelloch's padding: (1, 0) until combined
          fill = p.id ? "#fff" : "#bbb"; stroke = "#999"; extra = ' stroke-dasharray="2 2"';
        }
        else if (r > cur) { fill = "#bbb"; }      // rounds still to come: no spoilers
        else if (complete(p, t)) { fill = "#009E73"; }
        else if ((fr.kind === "down" || fr.kind === "last") && before(p, t)) {
          fill = "#fff"; stroke = "#009E73"; extra = ' stroke-width="2"';
        }
        s.push('<circle cx="' + X(t) + '" cy="' + Y(r) + '" r="' + rad + '" fill="' + fill
          + '" stroke="' + stroke + '"' + extra + ' opacity="' + op + '"/>');
      });
    });
    // the values each position holds now, and the loop's h_t (ticks)
    s.push('<line x1="' + left + '" y1="' + zero + '" x2="' + (W - right) + '" y2="' + zero
      + '" stroke="#999"/>');
    s.push('<text x="2" y="' + (barTop + 10) + '" font-size="' + fs + '">value</text>');
    var fr = F[cur], bw = Math.max(2, cw * 0.6), numbers = cw >= 38;
    function bar(c, v, fill) {
      var y = v >= 0 ? zero - v * scale : zero, hgt = Math.abs(v) * scale;
      s.push('<rect x="' + (X(c) - bw / 2) + '" y="' + y + '" width="' + bw + '" height="'
        + Math.max(hgt, 0.5) + '" fill="' + fill + '"/>');
      if (numbers) {
        s.push('<text x="' + X(c) + '" y="' + (v >= 0 ? zero + 11 : zero - 3) + '" font-size="9" '
          + 'text-anchor="middle">' + fmt(v) + '</text>');
      }
    }
    bar(0, H0, "#000");
    fr.slots.forEach(function (p, i) {
      var t = i + 1;
      if (p.pad || t > T) { return; }
      if (!p.id) { bar(t, p.b, complete(p, t) ? "#009E73" : "#9a9a9a"); }
      var ty = zero - target[i] * scale;
      s.push('<line x1="' + (X(t) - cw * 0.42) + '" y1="' + ty + '" x2="' + (X(t) + cw * 0.42)
        + '" y2="' + ty + '" stroke="#000" stroke-width="2"/>');
    });
    s.push("</svg>");
    box.innerHTML = s.join("");
  }

  function show() {
    var T = F.T, last = F.length - 1;
    prev.setAttribute("aria-disabled", cur === 0 ? "true" : "false");
    next.setAttribute("aria-disabled", cur === last ? "true" : "false");
    status.textContent = describe(F, T);
    root.setAttribute("data-round", String(cur));
    draw();
  }

  function rebuild() {                            // the algorithm or T changed: back to the start
    var T = parseInt(slider.value, 10);
    shownT.textContent = String(T);
    slider.setAttribute("aria-valuetext", "T = " + T);
    F = frames(pick.value, T);
    target = result("loop", T).h;
    cur = 0;
    counts.textContent = countsText(T);
    show();
  }

  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.textContent = "Play";
  }
  function move(by) {
    var to = Math.max(0, Math.min(F.length - 1, cur + by));
    if (to === cur) { return false; }
    cur = to;
    show();
  }
  pick.addEventListener("change", L.timed(root, function () { stop(); rebuild(); }));
  slider.addEventListener("input", L.timed(root, function () { stop(); rebuild(); }));
  prev.addEventListener("click", L.timed(root, function () { stop(); return move(-1); }));
  next.addEventListener("click", L.timed(root, function () { stop(); return move(1); }));
  play.addEventListener("click", L.timed(root, function () {
    if (timer !== null) { stop(); return false; }
    if (cur === F.length - 1) { cur = 0; show(); }
    play.textContent = "Pause";
    timer = setInterval(L.timed(root, function () {
      var r = move(1);
      if (cur === F.length - 1) { stop(); }
      return r;
    }), data.play_ms);
  }));
  window.addEventListener("resize", function () { if (F) { draw(); } });
  rebuild();

  root.rnnScan = function (alg, T) { return result(alg, T); };
  root.rnnLiveParity = function () {             // utils.scan's h and scan_rounds, recomputed here
    var ref = data.reference, mine = [], want = [];
    ref.lengths.forEach(function (T, i) {
      data.algorithms.forEach(function (alg) {
        var r = result(alg, T);
        mine.push(r.h, r.rounds);
        want.push(ref.h[alg][i], ref.rounds[alg][i]);
      });
    });
    var out = L.maxDiff(mine, want);
    out.what = "h\u209c of the loop, Hillis\u2013Steele and Blelloch (utils.scan, float64) for T = "
      + ref.lengths.join(", ") + ", and their round counts";
    return out;
  };
"""


def _expect_int(value, name: str, lo: int, hi: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int ({what}), got {type(value).__name__} {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be from {lo} to {hi} ({what}), got {int(value)}")
    return int(value)


def example(seed: int = 0, T: int = MAX_T) -> tuple[np.ndarray, np.ndarray, float]:
    """The view's example: alpha (T,) in [0.2, 0.95], beta (T,) and h0, rounded to 2 decimals."""
    gen = torch.Generator().manual_seed(seed)
    alpha = 0.2 + 0.75 * torch.rand(T, generator=gen, dtype=torch.float64)
    beta = torch.randn(T, generator=gen, dtype=torch.float64)
    h0 = torch.randn(1, generator=gen, dtype=torch.float64)
    return (np.round(alpha.numpy(), 2), np.round(beta.numpy(), 2), float(np.round(h0.numpy()[0], 2)))


def python_scans(alpha, beta, h0: float, T: int) -> dict:
    """{algorithm: h (T,) as a list}: utils.scan on the first T steps (one sequence, one unit)."""
    a = torch.tensor(np.asarray(alpha[:T], dtype=np.float64)).view(1, T, 1)
    b = torch.tensor(np.asarray(beta[:T], dtype=np.float64)).view(1, T, 1)
    start = torch.tensor([[h0]], dtype=torch.float64)
    runs = {"loop": scan.linear_recurrence, "hillis_steele": scan.scan_hillis_steele,
            "blelloch": scan.scan_blelloch}
    return {alg: [float(v) for v in runs[alg](a, b, start).view(-1)] for alg in ALGORITHMS}


def hillis_steele_rounds(alpha, beta, h0: float, T: int) -> list[dict]:
    """The states of the Hillis-Steele scan, as the page draws them: [{shift, edges, b,
    complete}] for the start and each round (numpy, float64; positions from 1)."""
    a = np.asarray(alpha[:T], dtype=np.float64).copy()
    b = np.asarray(beta[:T], dtype=np.float64).copy()
    b[0] = a[0] * h0 + b[0]
    first = np.arange(1, T + 1)                    # the first step each position composes
    first[0] = 0                                   # 0: h_0 is folded in
    out = [{"shift": 0, "edges": [], "b": b.copy(), "complete": first == 0}]
    shift = 1
    while shift < T:
        na, nb, nf = a.copy(), b.copy(), first.copy()
        na[shift:] = a[shift:] * a[:-shift]
        nb[shift:] = a[shift:] * b[:-shift] + b[shift:]
        nf[shift:] = first[:-shift]
        a, b, first = na, nb, nf
        out.append({"shift": shift, "edges": [(t - shift + 1, t + 1) for t in range(shift, T)],
                    "b": b.copy(), "complete": first == 0})
        shift *= 2
    return out


def _static_face(alpha, beta, h0: float, T: int):
    import matplotlib.pyplot as plt
    rounds = hillis_steele_rounds(alpha, beta, h0, T)
    R = len(rounds) - 1
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 4.4), gridspec_kw={"height_ratios": [3, 2]},
                                      sharex=True, layout="constrained")
    for r, state in enumerate(rounds):
        y = -r
        for t0, t1 in state["edges"]:
            top.annotate("", xy=(t1, y), xytext=(t0, y + 1),
                         arrowprops={"arrowstyle": "->", "color": COLORS["blue"], "lw": 1.2,
                                     "shrinkA": 4, "shrinkB": 4})
        kept = set(range(1, T + 1)) - {t1 for _, t1 in state["edges"]}
        if r:
            for t in kept:
                top.plot([t, t], [y + 1, y], color=COLORS["grey"], alpha=0.4, lw=1, zorder=0)
        colours = [COLORS["green"] if c else COLORS["grey"] for c in state["complete"]]
        top.scatter(range(1, T + 1), [y] * T, s=60, c=colours, zorder=3)
    top.scatter([0], [0], s=60, c="black", zorder=3)
    top.annotate("", xy=(1, 0), xytext=(0, 0),
                 arrowprops={"arrowstyle": "->", "color": COLORS["blue"], "shrinkA": 4, "shrinkB": 4})
    top.set_yticks([-r for r in range(R + 1)],
                   ["start"] + [f"round {r} (shift {rounds[r]['shift']})" for r in range(1, R + 1)])
    top.grid(False)
    top.set_title(f"Hillis\u2013Steele scan of T = {T} steps: {R} rounds (the loop: {T} steps)")
    final = rounds[-1]["b"]
    bottom.bar(range(1, T + 1), final, color=COLORS["green"], width=0.6)
    bottom.bar([0], [h0], color="black", width=0.6)
    bottom.axhline(0, color=COLORS["grey"], lw=0.8)
    bottom.set_ylabel("h\u209c after the last round")
    bottom.set_xticks(range(T + 1), ["h\u2080"] + [str(t) for t in range(1, T + 1)])
    bottom.set_xlabel("position t")
    counts = ", ".join(str(int(s["complete"].sum())) for s in rounds[1:])
    shifts = [f"round 1 combines each position with the one 1 to its left"]
    shifts += [f"round {r} with the one {rounds[r]['shift']} to its left" for r in range(2, R + 1)]
    values = ", ".join(f"{v:.2f}" for v in final)
    alt = (f"Hillis\u2013Steele scan of h_t = \u03b1_t h_(t-1) + \u03b2_t over T = {T} positions "
           f"in {R} round{'s' if R > 1 else ''}, where the loop takes {T} steps: "
           + ", ".join(shifts) + f"; after {'each round' if R > 1 else 'it'} {counts} of {T} "
           f"prefixes are complete. Bars: h_0 = {h0:.2f} and the final h_1 to h_{T}: {values}.")
    alt = alt.replace("-", "\u2212")
    return png_data_url(fig), alt


def scan_view(T: int = 8, seed: int = 0, *, algorithm: str = "hillis_steele") -> LiveView:
    """Step through the rounds of a parallel scan of h_t = α_t h_{t-1} + β_t (one unit), next
    to the loop's T steps, in the page.

    T: the length the view starts with (the reader's slider offers ``MIN_T`` to ``MAX_T``).
    seed: the seed of the example (α_t in [0.2, 0.95], β_t and h_0 normal, 2 decimals).
    algorithm: the one shown first, one of ``ALGORITHMS``.
    """
    T = _expect_int(T, "T", MIN_T, MAX_T, "the number of steps the view starts with")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    if not 0 <= seed < 2**63:
        raise ValueError(f"seed must be a non-negative integer below 2**63, got {int(seed)}")
    seed = int(seed)
    if not isinstance(algorithm, str):
        raise TypeError(f"algorithm must be a str, one of {', '.join(map(repr, ALGORITHMS))}, "
                        f"got {type(algorithm).__name__}")
    algorithm = expect_choice(algorithm, "algorithm", ALGORITHMS)

    alpha, beta, h0 = example(seed, MAX_T)
    lengths = sorted(set(REFERENCE_LENGTHS) | {T})
    runs = [python_scans(alpha, beta, h0, n) for n in lengths]
    rounds = [scan.scan_rounds(n) for n in lengths]
    reference = {"lengths": lengths,
                 "h": {alg: [run[alg] for run in runs] for alg in ALGORITHMS},
                 "rounds": {alg: [r[alg] for r in rounds] for alg in ALGORITHMS}}
    data = {"alpha": [float(v) for v in alpha], "beta": [float(v) for v in beta], "h0": h0,
            "algorithms": list(ALGORITHMS), "names": ALGORITHM_NAMES,
            "play_ms": PLAY_MS}
    options = "".join(f'<option value="{a}"{" selected" if a == algorithm else ""}>'
                      f'{ALGORITHM_NAMES[a]}</option>' for a in ALGORITHMS)
    body = _BODY % {"options": options, "T": T, "lo": MIN_T, "hi": MAX_T, "seed": seed}
    described = (f"Pick the loop, the Hillis\u2013Steele scan or the Blelloch scan and a length "
                 f"T, then step through the rounds: which positions combine, which prefixes "
                 f"are complete, and the values h_t of a small example, computed in your "
                 f"browser.")
    view = LiveView("scan", described, body, _SCRIPT, data,
                    static=_static_face(alpha, beta, h0, T), reference=reference, style=_STYLE)
    view.payload_bytes = payload_bytes({**data, "reference": reference})
    return view


__all__ = ["ALGORITHMS", "MIN_T", "MAX_T", "REFERENCE_LENGTHS", "example", "python_scans",
           "hillis_steele_rounds", "scan_view"]
