"""The tagger view of Chapter 6: type text without spaces and watch a left-to-right and a
bidirectional word-boundary tagger put the spaces back, side by side, in the page
(``export_tagger``, ``tagger_view``).

    from utils.live.tagger import export_tagger, tagger_view

    payload = export_tagger(tagger, words.vocab)        # a dict, JSON-ready
    tagger_view(taggers["left to right"], taggers["bidirectional"], words.vocab,
                text="Friends, Romans, countrymen")     # in a cell tagged remove-input

The payload of a one-layer ``models.SequenceTagger`` (J hidden units per direction, E
embedding dimensions, K tokens, C tags), in the course's notation::

    {"format": "rnn-course-live", "version": 1, "model": "tagger", "cell": "lstm",
     "gates": ["i", "f", "g", "o"], "input_size": E, "hidden_size": J, "vocab_size": K,
     "num_tags": C, "bidirectional": true, "one_hot": false, "vocab": [...],
     "tensors": {"E": [K, E],
                 "U": [G*J, E], "W": [G*J, J], "b": [G*J], "b_hc": [J],      # forward cell
                 "U_back": ..., "W_back": ..., "b_back": ..., "b_hc_back": ...,  # backward
                 "V": [C, dirs*J], "b_y": [C]}}              # s_t = V [h_fwd; h_back] + b_y

(b_hc only for the GRU; the *_back tensors only for a bidirectional tagger). The page runs
each direction with ``RNNCourseLive.step`` on a CharLM-like model built from these tensors
(``L.load``), and the output layer itself.

At each keystroke the forward direction reruns only the letters after the unchanged prefix
(as the text view does); the backward direction cannot: its state at t has read every letter
from the last one back to t, so a letter typed at the end changes every backward state, and
the view reruns it over the whole text. The view records both times (``data-ms`` for the
whole update, ``data-ms-backward`` for the backward direction alone).

Reference (see ``utils.live.page``): PyTorch's tag probabilities of both taggers on the first
``REFERENCE_CHARS`` letters of the starting text.
"""
from __future__ import annotations

import copy
import html as html_lib

import torch

from ..data import Vocab
from ..models import SequenceTagger
from ..tagging import remove_spaces, restore_spaces
from ..validate import expect_positive_int
from .export import (FORMAT, MAX_PAYLOAD_BYTES, VERSION, check_size, course_cell, encode_tensor,
                     encode_weights, expect_exportable, payload_bytes)
from .page import LiveView, expect_label, expect_text, png_data_url

MAX_TAGGER_CHARS = 300
"""Most letters the tagger view reads (each keystroke reruns the backward direction over all)."""
REFERENCE_CHARS = 60
"""How many letters of the starting text PyTorch's reference covers."""
BOUNDARY = 1
"""The tag of a word end (``tagging.remove_spaces``)."""


def export_tagger(tagger: SequenceTagger, vocab: Vocab, max_bytes: int = MAX_PAYLOAD_BYTES,
                  dtype: str = "float32") -> dict:
    """A one-layer SequenceTagger (uni- or bidirectional) and its vocabulary as a JSON-ready
    payload (see the module docstring).

    tagger: ``models.SequenceTagger`` with num_layers=1, cell "rnn", "gru" or "lstm", backend
    "torch" or "scratch", on any device. vocab: the ``data.Vocab`` it was trained with.
    max_bytes: the budget of the payload's JSON text (ValueError, with the size, when over).
    dtype: "float32", or "float16" for the matrices of a tagger whose matrices are float16
    numbers already (ValueError otherwise).
    """
    max_bytes, dtype = expect_exportable(tagger, vocab, SequenceTagger, "tagger", "reads",
                                         max_bytes, dtype)
    if tagger.embedding is None:
        raise ValueError("the page runs taggers with an embedding, got one without")
    with torch.no_grad():
        cells = course_cell(tagger.core)
        cells = cells if isinstance(cells, tuple) else (cells,)
        if len(cells) != (2 if tagger.bidirectional else 1):
            raise ValueError(f"the tagger says bidirectional={tagger.bidirectional} but its core "
                             f"has {len(cells)} direction(s)")
        weights = {"E": tagger.embedding.weight}
        for cell, suffix in zip(cells, ("", "_back")):
            weights.update({"U" + suffix: cell.U, "W" + suffix: cell.W, "b" + suffix: cell.b})
            if tagger.cell_kind == "gru":
                weights["b_hc" + suffix] = cell.b_hc
        weights.update(V=tagger.head.weight, b_y=tagger.head.bias)
        tensors = encode_weights(weights, dtype)
    payload = {"format": FORMAT, "version": VERSION, "model": "tagger",
               "cell": tagger.cell_kind, "gates": list(cells[0].gate_names),
               "input_size": int(tagger.input_size), "hidden_size": int(cells[0].hidden_size),
               "vocab_size": int(tagger.vocab_size), "num_tags": int(tagger.num_tags),
               "bidirectional": bool(tagger.bidirectional), "one_hot": False,
               "vocab": list(vocab.itos), "tensors": tensors}
    return check_size(payload, max_bytes)


def tag_probabilities(tagger: SequenceTagger, vocab: Vocab, letters: str) -> torch.Tensor:
    """PyTorch's tag probabilities (T, C) of letters, on a CPU copy of the tagger (float32)."""
    model = copy.deepcopy(tagger).to("cpu").float().eval()
    with torch.no_grad():
        logits = model(torch.tensor([vocab.encode(letters)]))[0]
    return torch.softmax(logits, -1)


def boundaries(probs: torch.Tensor) -> list[int]:
    """The tagger's tags, argmax of its probabilities (as ``tagging.tag_predictions``), 0/1."""
    return [int(t == BOUNDARY) for t in probs.argmax(-1).tolist()]


def disagreements(letters: str, tags_a: list[int], tags_b: list[int]) -> list[str]:
    """Where two taggers disagree, in words: the letters around each place, a bar where one of
    them puts a space ("to|be")."""
    return [f"{letters[max(0, i - 5):i + 1]}|{letters[i + 1:i + 6]}"
            for i, (a, b) in enumerate(zip(tags_a, tags_b)) if a != b]


_STYLE = """<style>
.rnn-live .rl-pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(15em,1fr));
 gap:.6rem;margin:.5rem 0}
.rnn-live .rl-side{border:1px solid rgba(127,127,127,.4);border-radius:.25rem;padding:.3rem .5rem;
 min-width:0}
.rnn-live .rl-side h4{margin:.1rem 0 .3rem;font-size:1em}
.rnn-live .rl-side h4::first-letter{text-transform:uppercase}
.rnn-live .rl-restored{font-family:monospace;margin:.2rem 0 .4rem;font-size:1.05em}
.rnn-live .rl-chars{line-height:1}
.rnn-live .rl-c{display:inline-block;width:.85em;margin:0 0 .35rem;text-align:center;
 font-family:monospace;vertical-align:top}
.rnn-live .rl-w{display:inline-flex;flex-wrap:wrap;max-width:100%;margin-right:.55em;
 vertical-align:top}
.rnn-live .rl-c b{display:block;font-weight:normal}
.rnn-live .rl-c i{display:block;height:1.2em;margin:.1em .05em 0;position:relative;
 background:rgba(127,127,127,.15)}
.rnn-live .rl-c i span{position:absolute;left:0;right:0;bottom:0;background:#999}
.rnn-live .rl-c.rl-end i span{background:#0072B2}
.rnn-live .rl-c small{display:block;height:1em;font-size:.75em;color:#D55E00;font-weight:700}
.rnn-live .rl-c.rl-diff b{outline:2px solid #D55E00;outline-offset:0}
.rnn-live .rl-read{font-family:monospace}
.rnn-live .rl-diffs{margin:.3rem 0;font-size:.92em}
</style>"""

_BODY = ('<label for="{id}-in">%(label)s</label>'
         '<input type="text" id="{id}-in" value="%(text)s" spellcheck="false" autocomplete="off" '
         'autocapitalize="none" aria-describedby="{id}-note">'
         '<button type="button" class="rl-reset">Back to the starting text</button>'
         '<p class="rl-note" id="{id}-note">Spaces, capitals and punctuation are removed, as '
         '<code>tagging.remove_spaces</code> does (at most %(max_chars)d letters); the taggers '
         'read: <span class="rl-read"></span></p>'
         '<div class="rl-pair">'
         '<section class="rl-side" data-tagger="0" aria-labelledby="{id}-h0">'
         '<h4 id="{id}-h0">%(name0)s</h4><p class="rl-restored"></p>'
         '<div class="rl-chars" aria-hidden="true"></div></section>'
         '<section class="rl-side" data-tagger="1" aria-labelledby="{id}-h1">'
         '<h4 id="{id}-h1">%(name1)s</h4><p class="rl-restored"></p>'
         '<div class="rl-chars" aria-hidden="true"></div></section></div>'
         '<p class="rl-diffs"></p>'
         '<p class="rl-note">Under each letter, a bar: the tagger\'s probability that a word ends '
         'there (blue where it puts a space, so above one half). \u2260 and a frame mark the '
         'letters where the two taggers disagree. The %(name0)s tagger, and the forward direction '
         'of the %(name1)s one, reread only the letters after your change; the backward direction '
         'rereads the whole text at every keystroke, from the last letter back to the first, '
         'since its state at a letter depends on every letter after it.</p>'
         '<p class="rl-status rl-sr" role="status" aria-live="polite"></p>')

_SCRIPT = r"""
  // One CharLM-like model per direction (L.load decodes it and projects every token once).
  function directions(p) {
    var out = [];
    (p.bidirectional ? ["", "_back"] : [""]).forEach(function (suffix) {
      var t = {E: p.tensors.E, U: p.tensors["U" + suffix], W: p.tensors["W" + suffix],
               b: p.tensors["b" + suffix]};
      if (p.cell === "gru") { t.b_hc = p.tensors["b_hc" + suffix]; }
      out.push(L.load({cell: p.cell, gates: p.gates, hidden_size: p.hidden_size,
                       input_size: p.input_size, vocab_size: p.vocab_size, one_hot: false,
                       vocab: p.vocab, tensors: t}));
    });
    return {dirs: out, V: L.decode(p.tensors.V), b_y: L.decode(p.tensors.b_y), C: p.num_tags,
            J: p.hidden_size, name: null};
  }
  var taggers = data.taggers.map(directions);
  taggers.forEach(function (tg, i) { tg.name = data.names[i]; tg.cache = {ids: [], steps: []}; });

  function zero(m) {
    var s = {h: new Float64Array(m.J)};
    if (m.cell === "lstm") { s.c = new Float64Array(m.J); }
    return s;
  }
  function walk(m, ids, state) {                 // the states of every step of ids
    var out = [];
    for (var t = 0; t < ids.length; t++) { state = L.step(m, ids[t], state); out.push(state); }
    return out;
  }
  // Every letter's hidden states and tag probabilities; forward steps reuse the cached prefix.
  function tag(tg, ids, useCache, clock) {
    var fwd = tg.dirs[0], same = 0, cache = useCache ? tg.cache : {ids: [], steps: []};
    while (same < ids.length && same < cache.ids.length && ids[same] === cache.ids[same]) { same++; }
    var steps = cache.steps.slice(0, same).concat(
      walk(fwd, ids.slice(same), same ? cache.steps[same - 1] : zero(fwd)));
    if (useCache) { tg.cache = {ids: ids.slice(), steps: steps}; }
    var back = null;
    if (tg.dirs.length > 1) {                    // right to left over the whole text, always
      var t0 = performance.now(), bwd = tg.dirs[1];
      back = walk(bwd, ids.slice().reverse(), zero(bwd)).reverse();
      if (clock) { clock.backward += performance.now() - t0; }
    }
    var J = tg.J, C = tg.C, width = J * tg.dirs.length, probs = [], tags = [];
    for (var t = 0; t < ids.length; t++) {
      var s = new Float64Array(C), best = 0;
      for (var c = 0; c < C; c++) {
        var v = tg.b_y[c], row = c * width, h = steps[t].h;
        for (var j = 0; j < J; j++) { v += tg.V[row + j] * h[j]; }
        if (back) { var hb = back[t].h; for (j = 0; j < J; j++) { v += tg.V[row + J + j] * hb[j]; } }
        s[c] = v;
        if (v > s[best]) { best = c; }           // the first largest, as torch.argmax
      }
      probs.push(L.softmax(s, 1));
      tags.push(best === 1 ? 1 : 0);
    }
    return {fwd: steps, back: back, probs: probs, tags: tags};
  }

  function letters(text) {                       // tagging.remove_spaces, in the page
    var words = (text.toLowerCase().match(/[A-Za-z']+/g) || []).map(function (w) {
      return w.replace(/^'+|'+$/g, "");
    });
    return words.filter(function (w) { return w; }).join("");
  }
  function restore(chars, tags) {                // tagging.restore_spaces
    var out = "";
    for (var i = 0; i < chars.length; i++) { out += chars[i] + (tags[i] === 1 ? " " : ""); }
    return out.replace(/\s+$/, "");
  }

  var box = root.querySelector("input"), reset = root.querySelector(".rl-reset");
  var readEl = root.querySelector(".rl-read"), diffsEl = root.querySelector(".rl-diffs");
  var status = root.querySelector(".rl-status"), sides = root.querySelectorAll(".rl-side");
  var shown = null;
  root.rnnTagger = {tag: tag, letters: letters, restore: restore, taggers: taggers,
                    encode: function (chars) { return L.encode(taggers[0].dirs[0], chars); }};

  function update() {
    var chars = letters(box.value), cut = chars.length > data.maxChars;
    chars = chars.slice(0, data.maxChars);
    if (chars === shown) { return; }
    shown = chars;
    var ids = L.encode(taggers[0].dirs[0], chars), clock = {backward: 0};
    var results = taggers.map(function (tg) { return tag(tg, ids, true, clock); });
    root.setAttribute("data-ms-backward", clock.backward.toFixed(3));
    readEl.textContent = (chars || "(nothing yet)") + (cut ? " (the first " + data.maxChars
      + " letters)" : "");
    var differ = [];
    for (var i = 0; i < chars.length; i++) {
      if (results[0].tags[i] !== results[1].tags[i]) { differ.push(i); }
    }
    var diffAt = {};
    differ.forEach(function (i) { diffAt[i] = true; });
    results.forEach(function (r, k) {
      var side = sides[k], html = ['<span class="rl-w">'];
      side.querySelector(".rl-restored").textContent = restore(chars, r.tags) || "\u00a0";
      for (var i = 0; i < chars.length; i++) {    // one group per word: lines break between words
        var p = r.probs[i][1];
        html.push('<span class="rl-c' + (r.tags[i] ? " rl-end" : "") + (diffAt[i] ? " rl-diff" : "")
          + '" title="P(word ends) = ' + p.toFixed(2) + '"><b></b><i><span style="height:'
          + (100 * p).toFixed(1) + '%"></span></i><small>' + (diffAt[i] ? "\u2260" : "")
          + "</small></span>" + (r.tags[i] && i < chars.length - 1 ? '</span><span class="rl-w">' : ""));
      }
      html.push("</span>");
      var box2 = side.querySelector(".rl-chars");
      box2.innerHTML = html.join("");
      box2.querySelectorAll("b").forEach(function (el, i) { el.textContent = chars[i]; });
    });
    function place(i) {                          // the letters around a place, a bar at it
      return "\u201c" + chars.slice(Math.max(0, i - 5), i + 1) + "|" + chars.slice(i + 1, i + 6)
        + "\u201d (" + data.names[results[0].tags[i] ? 0 : 1] + " puts a space after the "
        + chars[i] + ")";
    }
    var said = differ.length === 0 ? "The two taggers agree everywhere."
      : "The two taggers disagree at " + differ.length + (differ.length === 1 ? " place: " : " places: ")
        + differ.slice(0, 6).map(place).join("; ") + (differ.length > 6 ? "; \u2026" : ".");
    diffsEl.textContent = said;
    status.textContent = chars.length + " letters. " + data.names.map(function (n, k) {
      return n + ": " + (restore(chars, results[k].tags) || "nothing") + ".";
    }).join(" ") + " " + said;
  }
  ["input", "change"].forEach(function (kind) {
    box.addEventListener(kind, L.timed(root, update));
  });
  reset.addEventListener("click", L.timed(root, function () {
    box.value = data.text; update(); box.focus();
  }));
  update();

  root.rnnLiveParity = function () {            // PyTorch's tag probabilities, recomputed
    var ref = data.reference, ids = L.encode(taggers[0].dirs[0], ref.letters);
    var mine = [], theirs = [];
    taggers.forEach(function (tg, k) {
      var r = tag(tg, ids, false, null), p = L.decode(ref.probs[k]);
      for (var t = 0; t < ids.length; t++) {
        for (var c = 0; c < tg.C; c++) { mine.push(r.probs[t][c]); theirs.push(p[t * tg.C + c]); }
      }
    });
    var out = L.maxDiff(mine, theirs);
    out.what = "tag probabilities of both taggers on \u201c" + ref.letters + "\u201d";
    return out;
  };
"""


def _static_face(letters: str, probs: list[torch.Tensor], names: list[str]) -> tuple[str, str]:
    """An image of the first state: each tagger's restoration and its word-end probabilities
    under every letter, the disagreements marked; with its alt text."""
    import matplotlib.pyplot as plt
    tags = [boundaries(p) for p in probs]
    places = disagreements(letters, *tags)
    n = len(letters)
    fig, axes = plt.subplots(2, 1, figsize=(min(9.0, 1.2 + 0.17 * n), 3.4), sharex=True,
                             layout="constrained")
    for ax, p, t, name in zip(axes, probs, tags, names):
        word_end = p[:, BOUNDARY].numpy()
        ax.bar(range(n), word_end, color=["#0072B2" if x else "#999999" for x in t], width=0.8)
        for i in range(n):
            if tags[0][i] != tags[1][i]:
                ax.bar(i, 1.04, width=0.9, fill=False, edgecolor="#D55E00", lw=1.5)
        ax.set_ylim(0, 1.08)
        ax.set_yticks([0, 0.5, 1])
        ax.set_ylabel("P(word ends)", fontsize=8)
        ax.set_title(f"{name}: {restore_spaces(letters, t)}", fontsize=9, loc="left",
                     fontfamily="monospace")
    axes[-1].set_xticks(range(n), list(letters), fontfamily="monospace", fontsize=8)
    fig.suptitle("bars: probability that a word ends after the letter (blue: a space is put "
                 "back); orange frames: the two taggers disagree", fontsize=8)
    restored = "; ".join(f"the {name} tagger writes \u201c{restore_spaces(letters, t)}\u201d"
                         for name, t in zip(names, tags))
    alt = (f"The {n} letters \u201c{letters}\u201d put back into words by two taggers: {restored}. "
           f"Bars under each letter give each tagger's probability that a word ends there. "
           + (f"They disagree at {len(places)} place{'s' if len(places) != 1 else ''}: "
              + ", ".join(places) + "." if places else "They agree everywhere."))
    return png_data_url(fig), alt


def tagger_view(left_to_right: SequenceTagger, bidirectional: SequenceTagger, vocab: Vocab,
                text: str = "tobeornottobethatisthequestion", *,
                names: tuple[str, str] = ("left to right", "bidirectional"),
                max_chars: int = 120, label: str = "Type text (the spaces are taken out)",
                max_bytes: int = MAX_PAYLOAD_BYTES, dtype: str = "float32") -> LiveView:
    """Type text without spaces and see two word-boundary taggers put the spaces back, side by
    side: each one's restored text, each letter's probability of a word end after it, and the
    places where they disagree, computed in the page.

    left_to_right, bidirectional: two one-layer ``models.SequenceTagger`` with two tags
    (1: a word ends here) trained on the same vocab (any two such taggers: the names say
    which is which). vocab: their ``data.Vocab``. text: what the box holds at first (spaces,
    capitals and punctuation are removed, as ``tagging.remove_spaces`` does). names: how the
    two are called on the page. max_chars: the most letters the view reads (1 to
    MAX_TAGGER_CHARS). label: the box's label. max_bytes, dtype: as for ``export_tagger``,
    for each tagger.
    """
    payloads = []
    for which, tagger in (("left_to_right", left_to_right), ("bidirectional", bidirectional)):
        if not isinstance(tagger, SequenceTagger):
            raise TypeError(f"{which} must be a utils.models.SequenceTagger, got "
                            f"{type(tagger).__name__}")
        if tagger.num_tags != 2:
            raise ValueError(f"{which} must tag word ends (two tags), got num_tags={tagger.num_tags}")
        payloads.append(export_tagger(tagger, vocab, max_bytes, dtype))
    text = expect_text(text)
    label = expect_label(label)
    if (not isinstance(names, (tuple, list)) or len(names) != 2
            or not all(isinstance(n, str) and n.strip() for n in names)):
        raise TypeError(f"names must be two non-empty str, got {names!r}")
    names = [n.strip() for n in names]
    max_chars = expect_positive_int(max_chars, "max_chars", most=MAX_TAGGER_CHARS)
    letters, _ = remove_spaces(text)
    if len(letters) > max_chars:
        raise ValueError(f"text has {len(letters)} letters, more than max_chars={max_chars}")
    reference = None
    static = None
    if letters:
        ref_letters = letters[:REFERENCE_CHARS]
        reference = {"letters": ref_letters,
                     "probs": [encode_tensor(tag_probabilities(t, vocab, ref_letters), "probs")
                               for t in (left_to_right, bidirectional)]}
        static = _static_face(letters, [tag_probabilities(t, vocab, letters)
                                        for t in (left_to_right, bidirectional)], names)
    described = (f"Type text without spaces and watch two word-boundary taggers, "
                 f"{names[0]} ({left_to_right.cell_kind.upper()}) and {names[1]} "
                 f"({bidirectional.cell_kind.upper()}), put the spaces back, side by side, with "
                 "each letter's probability of a word end and the places where they disagree.")
    body = _BODY % {"label": html_lib.escape(label), "text": html_lib.escape(text),
                    "max_chars": max_chars, "name0": html_lib.escape(names[0]),
                    "name1": html_lib.escape(names[1])}
    size = sum(payload_bytes(p) for p in payloads)
    return LiveView("tagger", described, body, _SCRIPT,
                    {"taggers": payloads, "names": names, "text": text, "maxChars": max_chars},
                    static=static, reference=reference, style=_STYLE, payload_bytes=size)


__all__ = ["MAX_TAGGER_CHARS", "REFERENCE_CHARS", "export_tagger", "tagger_view",
           "tag_probabilities", "boundaries", "disagreements"]
