"""The sampling view: type a prompt, pick a temperature, a seed and a length, and the model
writes in the page, character by character (``sample_view``).

Python and the page draw the same text for the same (prompt, temperature, seed, length),
because both run the same arithmetic:

* one seeded generator, **mulberry32**, on 32-bit unsigned integers (``Math.imul`` and
  ``>>> 0`` in JavaScript, masks in Python): ``random_numbers(seed, n)`` gives its first
  numbers, each ``k / 2**32`` for an integer k, so exactly the same float64 on both sides;
* the forward pass in float64 on the exported weights (``sample_trace`` in numpy on
  ``decode_payload``'s arrays, ``FORWARD_JS`` in the page), from the zero state, with
  ``<BOS>`` first only when ``bos=True`` (a model trained on whole sequences, like the
  names model); the shipped Shakespeare model, trained on windows of text, reads the
  prompt from its first character (``bos=False``, as ``utils.sampling.sample`` does);
* the distribution of ``utils.sampling``: ``<PAD>``, ``<BOS>`` and ``<UNK>`` are banned
  (logit -inf, probability exactly 0), and ``<EOS>`` too unless ``stop_at_eos``; the
  largest allowed logit is subtracted before dividing by τ, then ``e = exp((s - max)/τ)``;
* inverse-CDF sampling: with u the next number of the generator, the token drawn is the
  first i whose running sum e_0 + ... + e_i (summed left to right) exceeds u times the
  total. A banned token adds 0 to the sum, so it is never drawn.

The one difference from ``utils.sampling.sample``: that function draws with
``torch.multinomial`` and a ``torch.Generator``, which the page cannot reproduce; this one
draws with mulberry32, so the same seed gives another text than ``sample`` does (the same
distribution). The two float64 forward passes may differ in the last bits (numpy's
matrix products add in another order than the page's loops): the sampled ids could then
differ only if u landed within about 1e-15 of a boundary of the running sum.

The view's reference (see ``utils.live.page``): the ids Python sampled for the view's first
settings, which the page must reproduce exactly, and PyTorch's float32 probabilities
(``utils.sampling.next_token_distribution``, banned tokens at 0) at a few steps of that
text, which the page's must equal within ``PARITY_TOLERANCE``.
"""
from __future__ import annotations

import copy
import html as html_lib
import numbers
import textwrap

import numpy as np
import torch

from ..data import Vocab
from ..models import CharLM
from ..sampling import next_token_distribution
from ..training import eval_mode
from ..validate import expect_flag, expect_positive_int
from .export import MAX_PAYLOAD_BYTES, decode_payload, encode_tensor, export_model, payload_bytes
from .page import LiveView, expect_label, png_data_url

MAX_PROMPT_CHARS = 200
"""Longest prompt the view's box takes."""
MAX_SAMPLE_CHARS = 1000
"""Most characters one generation writes (the length menu's largest choice)."""
LENGTHS = (50, 100, 200, 500, 1000)
"""The view's length menu (the starting length is added when it is not one of them)."""
TEMPERATURE_RANGE = (0.1, 2.0, 0.05)
"""The temperature slider: lowest, highest, step."""
SEED_LIMIT = 2**32
"""Seeds are integers in [0, SEED_LIMIT): mulberry32's state is one 32-bit word."""
REFERENCE_STEPS = 8
"""At how many steps of the sampled text PyTorch's probabilities are stored for the parity."""
_MASK = 0xFFFFFFFF


# --- the generator ------------------------------------------------------------------------------
def mulberry32(seed: int):
    """An endless iterator of floats in [0, 1), each k / 2**32: the page's generator, bit for bit."""
    a = _expect_seed(seed)
    while True:
        a = (a + 0x6D2B79F5) & _MASK
        t = ((a ^ (a >> 15)) * (1 | a)) & _MASK
        t = ((t + (((t ^ (t >> 7)) * (61 | t)) & _MASK)) & _MASK) ^ t
        yield ((t ^ (t >> 14)) & _MASK) / 4294967296


def random_numbers(seed: int, n: int) -> list[float]:
    """The first n numbers of mulberry32(seed)."""
    n = expect_positive_int(n, "n", most=10**6)
    gen = mulberry32(seed)
    return [next(gen) for _ in range(n)]


SAMPLER_JS = r"""
  function mulberry32(seed) {                    // the generator of utils/live/sampling.py
    var a = seed >>> 0;
    return function () {
      a = (a + 0x6D2B79F5) >>> 0;
      var t = Math.imul(a ^ (a >>> 15), 1 | a) >>> 0;
      t = ((t + (Math.imul(t ^ (t >>> 7), 61 | t) >>> 0)) >>> 0) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  function encodePoints(m, text) {               // code points -> ids, unknown -> <UNK>
    return Array.from(text).map(function (ch) {
      var id = m.stoi[ch];
      return id === undefined ? m.stoi["<UNK>"] : id;
    });
  }
  // e = exp((s - max) / τ) over the allowed tokens, 0 for the banned ones; its running sum
  function weights(s, banned, tau) {
    var K = s.length, mx = -Infinity, e = new Float64Array(K), cum = new Float64Array(K), i, run = 0;
    for (i = 0; i < K; i++) { if (!banned[i] && s[i] > mx) { mx = s[i]; } }
    for (i = 0; i < K; i++) {
      e[i] = banned[i] ? 0 : Math.exp((s[i] - mx) / tau);
      run += e[i]; cum[i] = run;
    }
    return {e: e, cum: cum, total: run};
  }
  function draw(w, u) {                          // inverse CDF: first i with u * total < cum[i]
    var target = u * w.total, K = w.cum.length, i;
    for (i = 0; i < K; i++) { if (target < w.cum[i]) { return i; } }
    for (i = K - 1; i >= 0; i--) { if (w.e[i] > 0) { return i; } }
    return K - 1;
  }
  // A sampler: feed(prompt) then next() until done; probsAt(steps) keeps those steps' p.
  function Sampler(m, opts) {
    var banned = new Uint8Array(m.K), st = m.stoi;
    banned[st["<PAD>"]] = 1; banned[st["<BOS>"]] = 1; banned[st["<UNK>"]] = 1;
    if (!opts.stop) { banned[st["<EOS>"]] = 1; }
    var ids = encodePoints(m, opts.prompt);
    if (opts.bos) { ids.unshift(st["<BOS>"]); }
    var state = {h: new Float64Array(m.J)}, s = null, rng = mulberry32(opts.seed);
    if (m.cell === "lstm") { state.c = new Float64Array(m.J); }
    ids.forEach(function (id) { state = L.step(m, id, state); });
    if (ids.length) { s = L.logits(m, state.h); }
    var self = {ids: [], probs: {}, done: !ids.length, length: opts.length};
    self.next = function () {                   // one character: its id, or -1 when done
      if (self.done) { return -1; }
      var w = weights(s, banned, opts.tau), id = draw(w, rng());
      if (opts.keep && opts.keep.indexOf(self.ids.length) >= 0) {
        var p = new Float64Array(m.K);
        for (var k = 0; k < m.K; k++) { p[k] = w.e[k] / w.total; }
        self.probs[self.ids.length] = p;
      }
      if (opts.stop && id === st["<EOS>"]) { self.done = true; return -1; }
      self.ids.push(id);
      if (self.ids.length >= opts.length) { self.done = true; return id; }
      state = L.step(m, id, state);
      s = L.logits(m, state.h);
      return id;
    };
    return self;
  }
"""


# --- the numpy twin -----------------------------------------------------------------------------
def _expect_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer in [0, 2**32), got {type(seed).__name__}")
    if not 0 <= seed < SEED_LIMIT:
        raise ValueError(f"seed must be an integer in [0, 2**32) (mulberry32's state is 32 "
                         f"bits), got {seed!r}")
    return int(seed)


def _expect_temperature(temperature) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real):
        raise TypeError(f"temperature must be a positive number, got {type(temperature).__name__}")
    if not (0 < temperature < float("inf")):
        raise ValueError(f"temperature must be a finite positive number, got {temperature!r}")
    return float(temperature)


def _expect_prompt(prompt, bos: bool) -> str:
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a str, got {type(prompt).__name__}")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValueError(f"prompt has {len(prompt)} characters, more than {MAX_PROMPT_CHARS}")
    if not bos and not prompt:
        raise ValueError("with bos=False the first input is the prompt's first character: give "
                         "a prompt, e.g. 'ROMEO:\\n' (or bos=True for a model trained after <BOS>)")
    return prompt


class _Numpy:
    """The forward pass of a payload in float64 numpy, the page's equations (FORWARD_JS)."""

    def __init__(self, payload: dict):
        w = {k: v.astype(np.float64) for k, v in decode_payload(payload).items()}
        self.cell, self.J, self.K = payload["cell"], payload["hidden_size"], payload["vocab_size"]
        self.w = w
        # U x + b for every token at once, as the page's project(): (K, G*J)
        self.proj = (w["U"].T if payload["one_hot"] else w["E"] @ w["U"].T) + w["b"]

    def zero(self):
        z = np.zeros(self.J)
        return (z, z.copy()) if self.cell == "lstm" else (z,)

    def step(self, token: int, state):
        w, J, h = self.w, self.J, state[0]
        if self.cell == "rnn":                       # h = tanh(U x + W h + b)
            return (np.tanh(self.proj[token] + w["W"] @ h),)
        if self.cell == "gru":                       # r, u, c; reset applied after W_c h
            z = self.proj[token][:2 * J] + w["W"][:2 * J] @ h
            r, u = 1 / (1 + np.exp(-z[:J])), 1 / (1 + np.exp(-z[J:]))
            c_tilde = np.tanh(self.proj[token][2 * J:] + r * (w["b_hc"] + w["W"][2 * J:] @ h))
            return (u * c_tilde + (1 - u) * h,)
        z = self.proj[token] + w["W"] @ h            # lstm: i, f, g, o
        i, f, o = (1 / (1 + np.exp(-z[k * J:(k + 1) * J])) for k in (0, 1, 3))
        c = f * state[1] + i * np.tanh(z[2 * J:3 * J])
        return (o * np.tanh(c), c)

    def logits(self, state) -> np.ndarray:
        return self.w["V"] @ state[0] + self.w["b_y"]


def _weights(s: np.ndarray, banned: np.ndarray, tau: float):
    e = np.where(banned, 0.0, np.exp((s - s[~banned].max()) / tau))
    return e, np.cumsum(e)                           # cumsum adds left to right, as the page


def _draw(e: np.ndarray, cum: np.ndarray, u: float) -> int:
    i = int(np.searchsorted(cum, u * cum[-1], side="right"))   # first i with u*total < cum[i]
    return i if i < len(cum) else int(np.flatnonzero(e > 0)[-1])


def _as_payload(source, vocab: Vocab) -> dict:
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be a utils.data.Vocab, got {type(vocab).__name__}")
    if isinstance(source, CharLM):
        source = export_model(source, vocab, max_bytes=10**9)
    if not isinstance(source, dict):
        raise TypeError("source must be a payload from export_model or a utils.models.CharLM, "
                        f"got {type(source).__name__}")
    if source.get("vocab") != list(vocab.itos):
        raise ValueError("vocab is not the payload's vocabulary: pass the one the model was "
                         "trained with")
    return source


def sample_trace(source, vocab: Vocab, prompt: str, temperature: float = 1.0, seed: int = 0,
                 length: int = 200, *, bos: bool = False, stop_at_eos: bool = False):
    """The ids sampled after prompt and the float64 distribution each was drawn from.

    source: a payload from ``export_model`` or a one-layer ``CharLM`` (exported first).
    Returns (ids, probs): ids a list of at most ``length`` token ids (fewer when
    ``stop_at_eos`` and ``<EOS>`` is drawn; ``<EOS>`` is not included), probs a float64
    array (steps, K), one row per draw (the ``<EOS>`` draw included).
    """
    payload = _as_payload(source, vocab)
    bos, stop_at_eos = expect_flag(bos, "bos"), expect_flag(stop_at_eos, "stop_at_eos")
    prompt = _expect_prompt(prompt, bos)
    temperature = _expect_temperature(temperature)
    length = expect_positive_int(length, "length", most=MAX_SAMPLE_CHARS)
    net, rng = _Numpy(payload), mulberry32(seed)
    banned = np.zeros(len(vocab), dtype=bool)
    banned[[vocab.pad_id, vocab.bos_id, vocab.unk_id]] = True
    banned[vocab.eos_id] = not stop_at_eos
    state = net.zero()
    for token in vocab.encode(prompt, bos=bos):      # from the zero state, <BOS> only if bos
        state = net.step(token, state)
    ids, probs = [], []
    for _ in range(length):
        e, cum = _weights(net.logits(state), banned, temperature)
        probs.append(e / cum[-1])
        token = _draw(e, cum, next(rng))
        if stop_at_eos and token == vocab.eos_id:
            break
        ids.append(token)
        if len(ids) < length:
            state = net.step(token, state)
    return ids, np.array(probs)


def sample_text(source, vocab: Vocab, prompt: str, temperature: float = 1.0, seed: int = 0,
                length: int = 200, *, bos: bool = False, stop_at_eos: bool = False) -> str:
    """The text the page writes after prompt for this temperature, seed and length (the
    prompt not repeated), computed in numpy with the page's arithmetic (module docstring)."""
    ids, _ = sample_trace(source, vocab, prompt, temperature, seed, length, bos=bos,
                          stop_at_eos=stop_at_eos)
    return "".join(vocab.itos[i] for i in ids)


# --- PyTorch's numbers for the parity -----------------------------------------------------------
def torch_probabilities(model: CharLM, vocab: Vocab, prompt: str, ids, temperature: float, *,
                        bos: bool = False, stop_at_eos: bool = False) -> torch.Tensor:
    """PyTorch's float32 distribution before each draw of ids (teacher-forced on prompt + ids,
    on the CPU, in eval mode), banned tokens at 0 as in ``utils.sampling.sample``.
    -> (len(ids), K)"""
    inputs = vocab.encode(prompt, bos=bos) + list(ids)[:-1]
    # on a CPU copy: on a GPU, cuDNN may run float32 recurrences in TF32, far from float32
    cpu = model if next(model.parameters()).device.type == "cpu" else copy.deepcopy(model).cpu()
    with torch.no_grad(), eval_mode(cpu):
        logits, _ = cpu(torch.tensor([inputs]))
    first = len(inputs) - len(ids)                    # the step that predicts ids[0]
    logits = logits[0, first:].float().cpu().clone()
    banned = [vocab.pad_id, vocab.bos_id, vocab.unk_id] + ([] if stop_at_eos else [vocab.eos_id])
    logits[:, banned] = float("-inf")
    return next_token_distribution(logits, temperature)


def _reference_steps(n: int) -> list[int]:
    return sorted({round(k * (n - 1) / max(1, REFERENCE_STEPS - 1)) for k in range(REFERENCE_STEPS)}
                  if n > 1 else {0})


# --- the view -----------------------------------------------------------------------------------
def _shown_line(text: str) -> str:
    return text.replace("\t", "\u21e5")


def _static_face(prompt: str, text: str, cell: str, units: int, temperature: float, seed: int):
    """An image of the Python sample (the prompt in grey, then the text), and its alt text."""
    import matplotlib.pyplot as plt
    lines = []
    for line in (prompt + text).split("\n"):
        lines += textwrap.wrap(_shown_line(line), 64, drop_whitespace=False) or [""]
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    lines = lines[:24]
    fig = plt.figure(figsize=(7.0, 0.35 + 0.165 * len(lines)))
    fig.text(0.01, 0.99, "\n".join(lines), va="top", ha="left", family="monospace", fontsize=9)
    fig.text(0.01, 0.01, f"sampled at temperature {temperature:g}, seed {seed}; the prompt "
             f"was \u201c{prompt.strip()}\u201d", fontsize=8, color="0.35", va="bottom")
    alt = (f"Text written by a trained {cell.upper()} of {units} units, {len(text)} characters "
           f"sampled at temperature {temperature:g} with seed {seed}, continuing the prompt "
           f"\u201c{prompt.strip()}\u201d: {text}")
    return png_data_url(fig), alt


_STYLE = """<style>
.rnn-live .rl-row{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:flex-end;margin:.3rem 0}
.rnn-live .rl-row>div{flex:1 1 12em;min-width:0}
.rnn-live .rl-row>div.rl-small{flex:0 1 9em}
.rnn-live input[type=number],.rnn-live select{font:inherit;color:inherit;background:transparent;
 border:1px solid #777;border-radius:.25rem;padding:.2rem .4rem;width:100%;max-width:12em}
.rnn-live output{font-family:monospace;font-weight:400}
.rnn-live .rl-out{max-height:22em;overflow:auto;margin:.4rem 0;padding:.3rem .5rem;
 border:1px solid #ccc;border-radius:.25rem}
.rnn-live .rl-out pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.9em;
 background:transparent;border:0;padding:0}
.rnn-live .rl-prompt{opacity:.65}
</style>"""

_BODY = ('<label for="{id}-prompt">%(label)s</label>'
         '<textarea id="{id}-prompt" rows="2" maxlength="%(max_prompt)d" spellcheck="false" '
         'autocomplete="off" aria-describedby="{id}-note">%(prompt)s</textarea>'
         '<div class="rl-row"><div>'
         '<label for="{id}-tau">Temperature \u03c4 = <output id="{id}-tau-out" for="{id}-tau">'
         '%(tau_text)s</output></label>'
         '<input type="range" id="{id}-tau" min="%(tmin)s" max="%(tmax)s" step="%(tstep)s" '
         'value="%(tau)s" aria-describedby="{id}-tau-note">'
         '<span class="rl-note" id="{id}-tau-note">low: safe and repetitive; 1: the model\'s '
         'own distribution; high: varied, then nonsense</span></div>'
         '<div class="rl-small"><label for="{id}-seed">Seed</label>'
         '<input type="number" id="{id}-seed" min="0" max="%(seed_max)d" step="1" '
         'inputmode="numeric" value="%(seed)d"></div>'
         '<div class="rl-small"><label for="{id}-len">Characters</label>'
         '<select id="{id}-len">%(options)s</select></div></div>'
         '<button type="button" class="rl-go">Generate</button>'
         '<p class="rl-note" id="{id}-note">The model reads the prompt, then writes one '
         'character at a time, each drawn from its distribution at temperature \u03c4 and fed '
         'back in. The same seed and settings give the same text (also in Python, '
         '<code>sample_text</code>). Ctrl+Enter in the prompt box generates too.</p>'
         '<div class="rl-out" tabindex="0" role="region" aria-label="generated text">'
         '<pre><span class="rl-prompt"></span><span class="rl-gen"></span></pre></div>'
         '<p class="rl-note rl-speed" aria-hidden="true"></p>'
         '<p class="rl-status rl-sr" role="status" aria-live="polite"></p>')

_SCRIPT = SAMPLER_JS + r"""
  var m = L.load(data.payload);
  var q = function (sel) { return root.querySelector(sel); };
  var box = q("textarea"), slider = q("input[type=range]"), out = q("output"),
      seedBox = q("input[type=number]"), lenBox = q("select"), go = q(".rl-go"),
      promptEl = q(".rl-prompt"), genEl = q(".rl-gen"), speed = q(".rl-speed"),
      status = q(".rl-status"), region = q(".rl-out");
  var run = 0;                                  // the current generation; a new one cancels it

  function settings() {
    return {prompt: box.value.slice(0, data.maxPrompt), tau: parseFloat(slider.value),
            seed: Number(seedBox.value), length: parseInt(lenBox.value, 10),
            bos: data.bos, stop: data.stop};
  }
  function showTau() {
    var t = parseFloat(slider.value).toFixed(2);
    out.textContent = t;
    slider.setAttribute("aria-valuetext", "temperature " + t);
  }
  function problem(o) {
    if (!(o.seed >= 0 && o.seed < 4294967296 && Math.floor(o.seed) === o.seed) || seedBox.value === "") {
      return "The seed must be a whole number from 0 to 4294967295.";
    }
    if (!o.prompt && !o.bos) {
      return "Type a prompt first: the model starts from its first character.";
    }
    return "";
  }
  function text(ids) { return ids.map(function (i) { return m.vocab[i]; }).join(""); }
  function finish(o, smp, ms) {
    var n = smp.ids.length, per = n ? ms / n : 0;
    root.setAttribute("data-ms-per-char", per.toFixed(3));
    root.setAttribute("data-generated", String(n));
    speed.textContent = n + " characters in " + ms.toFixed(0) + " ms in your browser ("
      + per.toFixed(2) + " ms per character).";
    status.textContent = "Generated " + n + " characters at temperature " + o.tau.toFixed(2)
      + ", seed " + o.seed + ". They begin: " + text(smp.ids.slice(0, 60)).replace(/\n/g, " / ");
  }
  // One generation, written as it comes: a slice of about 12 ms, then the page breathes
  // (setTimeout, which also runs in a hidden Colab frame where requestAnimationFrame stops).
  function generate() {
    var o = settings(), why = problem(o), mine = ++run;
    if (why) { status.textContent = why; speed.textContent = why; return; }
    var smp = Sampler(m, o), t0 = performance.now();
    promptEl.textContent = o.prompt;
    genEl.textContent = "";
    var node = document.createTextNode(""); genEl.appendChild(node);
    status.textContent = "Generating " + o.length + " characters\u2026";
    root.setAttribute("data-busy", "1");
    (function slice() {
      if (mine !== run) { return; }
      var start = performance.now(), chunk = "";
      while (!smp.done && performance.now() - start < 12) {
        var id = smp.next();
        if (id >= 0) { chunk += m.vocab[id]; }
      }
      node.appendData(chunk);
      if (region.scrollHeight > region.clientHeight) { region.scrollTop = region.scrollHeight; }
      if (smp.done) { root.removeAttribute("data-busy"); finish(o, smp, performance.now() - t0); }
      else { setTimeout(slice, 0); }
    })();
  }
  function sampleNow(o, keep) {                  // all at once (the first state, the parity)
    var smp = Sampler(m, {prompt: o.prompt, tau: o.tau, seed: o.seed, length: o.length,
                          bos: o.bos, stop: o.stop, keep: keep});
    while (!smp.done) { smp.next(); }
    return smp;
  }

  slider.addEventListener("input", L.timed(root, showTau));
  go.addEventListener("click", L.timed(root, generate));
  seedBox.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { ev.preventDefault(); L.timed(root, generate)(); }
  });
  box.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); L.timed(root, generate)(); }
  });
  root.rnnLiveSampler = {mulberry32: mulberry32, model: m, sample: function (o) {
    var smp = sampleNow(o, o.keep || []);
    return {ids: smp.ids, probs: Object.keys(smp.probs).map(function (k) {
      return [Number(k), Array.from(smp.probs[k])]; })};
  }};

  // the first state: the reference's settings, written in the page at once
  var first = null;
  box.value = data.reference.prompt;            // (HTML drops a textarea's leading line break)
  (L.timed(root, function () {
    showTau();
    var o = settings(), t0 = performance.now();
    first = sampleNow(o, data.reference.steps);
    promptEl.textContent = o.prompt;
    genEl.textContent = text(first.ids);
    finish(o, first, performance.now() - t0);
  }))();

  root.rnnLiveParity = function () {            // Python's ids exactly, PyTorch's p within 1e-5
    var ref = data.reference, smp = first;
    var o = {prompt: ref.prompt, tau: ref.temperature, seed: ref.seed, length: ref.length,
             bos: data.bos, stop: data.stop};
    if (!smp || smp.length !== ref.length) { smp = sampleNow(o, ref.steps); }
    var p = L.decode(ref.probs), K = m.K, mine = [], theirs = [];
    ref.steps.forEach(function (t, n) {
      var q = smp.probs[t];
      for (var k = 0; k < K; k++) { mine.push(q ? q[k] : NaN); theirs.push(p[n * K + k]); }
    });
    var r = L.maxDiff(mine, theirs), same = L.maxDiff(smp.ids, ref.ids);
    return {maxDiff: Math.max(r.maxDiff, same.maxDiff), compared: r.compared + same.compared,
            what: "the " + ref.ids.length + " characters Python sampled (exactly) and the "
              + "probabilities at " + ref.steps.length + " of their steps"};
  };
"""


def _expect_temperature_on_slider(temperature: float) -> float:
    low, high, step = TEMPERATURE_RANGE
    k = round((temperature - low) / step)
    if not (low <= temperature <= high) or abs(low + k * step - temperature) > 1e-9:
        raise ValueError(f"temperature must be on the slider, {low} to {high} in steps of "
                         f"{step}, got {temperature!r}")
    return temperature


def sample_view(model: CharLM, vocab: Vocab, prompt: str = "ROMEO:\n", *,
                temperature: float = 0.8, seed: int = 1, length: int = 200, bos: bool = False,
                stop_at_eos: bool = False, label: str = "Prompt",
                max_bytes: int = MAX_PAYLOAD_BYTES, dtype: str = "float32") -> LiveView:
    """Generate text in the page: a prompt box, a temperature slider, a seed, a length and a
    Generate button; the text appears as the model writes it.

    model, vocab: as for ``export_model`` (max_bytes and dtype too). prompt: what the box
    holds at first (at most MAX_PROMPT_CHARS characters; not empty when bos=False).
    temperature: τ on the slider (0.1 to 2.0 in steps of 0.05). seed: an integer in
    [0, 2**32). length: characters to write (1 to MAX_SAMPLE_CHARS). bos: feed ``<BOS>``
    first (a model trained on whole sequences); False for a model trained on windows of a
    text, like the shipped one. stop_at_eos: stop at ``<EOS>`` (else it is never drawn).
    label: the prompt box's label. The first state, the reference and the static face are
    the text ``sample_text`` draws for these settings.
    """
    payload = export_model(model, vocab, max_bytes, dtype)
    bos, stop_at_eos = expect_flag(bos, "bos"), expect_flag(stop_at_eos, "stop_at_eos")
    prompt = _expect_prompt(prompt, bos)
    temperature = _expect_temperature_on_slider(_expect_temperature(temperature))
    seed = _expect_seed(seed)
    length = expect_positive_int(length, "length", most=MAX_SAMPLE_CHARS)
    label = expect_label(label, "prompt box")
    ids, _ = sample_trace(payload, vocab, prompt, temperature, seed, length, bos=bos,
                          stop_at_eos=stop_at_eos)
    drawn = ids + ([vocab.eos_id] if len(ids) < length else [])   # the <EOS> draw, if any
    steps = [t for t in _reference_steps(length) if t < len(drawn)]
    probs = torch_probabilities(model, vocab, prompt, drawn, temperature, bos=bos,
                                stop_at_eos=stop_at_eos)[steps]
    reference = {"prompt": prompt, "temperature": temperature, "seed": seed, "length": length,
                 "ids": ids, "steps": steps, "probs": encode_tensor(probs, "probs")}
    text = "".join(vocab.itos[i] for i in ids)
    static = _static_face(prompt, text, model.cell_kind, model.hidden_size, temperature, seed)
    lengths = sorted(set(LENGTHS) | {length})
    options = "".join(f'<option value="{n}"{" selected" if n == length else ""}>{n}</option>'
                      for n in lengths)
    low, high, step = TEMPERATURE_RANGE
    body = _BODY % {"label": html_lib.escape(label), "max_prompt": MAX_PROMPT_CHARS,
                    "prompt": html_lib.escape(prompt), "tau": f"{temperature:g}",
                    "tau_text": f"{temperature:.2f}", "tmin": low, "tmax": high, "tstep": step,
                    "seed_max": SEED_LIMIT - 1, "seed": seed, "options": options}
    described = (f"Sample text from a trained {model.cell_kind.upper()} of {model.hidden_size} "
                 "units in the page: type a prompt, choose the temperature, the seed and the "
                 "length, and watch the model write one character at a time.")
    data = {"payload": payload, "bos": bos, "stop": stop_at_eos, "maxPrompt": MAX_PROMPT_CHARS}
    return LiveView("sample", described, body, _SCRIPT, data, static=static,
                    reference=reference, style=_STYLE, payload_bytes=payload_bytes(payload))


__all__ = ["LENGTHS", "MAX_PROMPT_CHARS", "MAX_SAMPLE_CHARS", "REFERENCE_STEPS", "SAMPLER_JS",
           "SEED_LIMIT", "TEMPERATURE_RANGE", "mulberry32", "random_numbers", "sample_text",
           "sample_trace", "sample_view", "torch_probabilities"]
