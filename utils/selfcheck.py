"""Self-checks: short questions in a chapter, answered in the page, with feedback that names
the mistake.

    from utils.selfcheck import numeric, choice

    numeric("A 1-D unit has W = 0.5, U = 1, b = 0 and h₀ = 0. What is h₁ for x₁ = 1?",
            np.tanh(1.0), mistakes=[(1.0, "That is the pre-activation a₁: the tanh is missing.")],
            explain="h₁ = tanh(W h₀ + U x₁ + b) = tanh(1) ≈ 0.76.")
    choice("Which clipping keeps the gradient's direction?", ["by norm", "by value"], 0,
           feedback={1: "Clipping by value cuts each entry on its own, which turns the vector."})

Each returns a ``SelfCheck``. In Jupyter, Colab and on the website its face is
``_repr_html_()``: one small form and one inline script, self-contained (no network, no
CDN, nothing fetched; in Colab every output is its own iframe), so it works on the static
site with no kernel. Its text face (``repr``) is the question and "(answer it in Jupyter or
on the website)". The notebook cell that calls it is tagged ``remove-input``.

What the learner sees:

* "Right." and the explanation, for an answer within the tolerance;
* "Not quite." and the feedback of a mistake, for an answer within the tolerance of one of
  the values a typical mistake gives (the notebook computes those values from the mistake
  itself: the same numpy with the tanh left out, with h₁ where h₀ belongs...);
* "Not yet." and a nudge for any other answer, never the answer itself;
* "Type a number, like 0.25." for text that is not a number. Numbers may be written
  0.76, -0.5, .5, 1e-3, 0,76 (decimal comma), with spaces around, and with a trailing %
  when the unit is "%";
* the answer, only after a first try and a press on "Show answer".

**The tolerance rule.** The learner rounds; the check compares the typed number with the
exact answer. The default absolute tolerance is ``max(0.005, 0.005 * |answer|)`` (plus
1e-9 for float rounding): any answer rounded to two decimals is accepted (rounding moves a
number by at most 0.005), and for a large answer so is one within 0.5%. Give ``tolerance=``
for anything else, e.g. ``tolerance=0.5`` for "to the nearest whole number". A mistake's
value must lie farther than the tolerance from the answer and from every other mistake,
else the feedback would be ambiguous (ValueError). An answer within the tolerance of both
the answer and a mistake counts as right; of two mistakes, the nearer one is named.

Accessibility: a ``<form>`` per question with a ``<fieldset>`` and ``<legend>`` (the
question), a ``<label>`` for the box, real ``<button>``s, Enter submits, feedback in a
``role="status"`` region that a screen reader reads out, words as well as colour, a
visible focus ring, and no fixed width (it fits a 360 px phone screen).
"""
from __future__ import annotations

import hashlib
import html as html_lib
import itertools
import json
import math
import numbers
import re

import numpy as np

from .validate import expect_positive_number

MIN_OPTIONS, MAX_OPTIONS = 2, 6
MAX_UNIT_CHARS = 20
SHORT_CODE_CHARS = 24        # inline code up to this long never breaks across lines
NOT_A_NUMBER = "Type a number, like 0.25."
NUDGE = ("That matches none of the usual slips. Go through it once more, one step at a "
         "time, or press Show answer.")

_ids = itertools.count(1)                  # widgets shown by this kernel (ids stay unique)
_MATH = re.compile(r"\$[^$\n]+\$")          # $...$ math: not typeset inside an output


# --- checking the arguments ---------------------------------------------------------------------
def _text(value, name: str, allow_empty: bool = False) -> str:
    """Plain text (Unicode symbols, `code` in backticks), without $math$."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise ValueError(f"{name} must not be empty")
    if _MATH.search(value):
        raise ValueError(f"{name} must be plain text: write symbols in Unicode (h₂, ρ, σ), "
                         f"not $math$, which Jupyter and Colab do not typeset inside an output; "
                         f"got {value!r}")
    return value.strip()


def _number(value, name: str) -> float:
    """A finite real number: int, float or numpy scalar (not a bool, not an array)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a number, got a numpy array of shape {value.shape}: "
                        f"pass one entry (h[0] or h.item())")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number (int, float or numpy scalar), "
                        f"got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def default_tolerance(answer: float) -> float:
    """Accepts an answer rounded to two decimals, or within 0.5% of a large one."""
    return max(0.005, 0.005 * abs(answer)) + 1e-9


def _mistakes(mistakes, answer: float, tolerance: float) -> list[tuple[float, str]]:
    if isinstance(mistakes, (str, bytes, dict)) or not hasattr(mistakes, "__iter__"):
        raise TypeError(f"mistakes must be a list of (value, feedback) pairs, "
                        f"got {type(mistakes).__name__}")
    checked = []
    for i, pair in enumerate(mistakes):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"mistakes[{i}] must be a (value, feedback) pair, got {pair!r}")
        value = _number(pair[0], f"mistakes[{i}]'s value")
        feedback = _text(pair[1], f"mistakes[{i}]'s feedback")
        if abs(value - answer) <= tolerance:
            raise ValueError(f"mistakes[{i}] gives {value:.6g}, within the tolerance "
                             f"({tolerance:.3g}) of the answer {answer:.6g}: a learner typing it "
                             "would be told both Right and Not quite")
        for j, (other, _) in enumerate(checked):
            if abs(value - other) <= tolerance:
                raise ValueError(f"mistakes[{i}] gives {value:.6g}, within the tolerance "
                                 f"({tolerance:.3g}) of mistakes[{j}] ({other:.6g}): the "
                                 "feedback would be ambiguous; drop one or merge their words")
        checked.append((value, feedback))
    return checked


def _options(options) -> list[str]:
    if isinstance(options, (str, bytes, dict)) or not isinstance(options, (list, tuple)):
        raise TypeError(f"options must be a list of strings, got {type(options).__name__}")
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise ValueError(f"options must hold {MIN_OPTIONS} to {MAX_OPTIONS} choices, "
                         f"got {len(options)}")
    texts = [_text(o, f"options[{i}]") for i, o in enumerate(options)]
    if len(set(texts)) < len(texts):
        raise ValueError(f"options must differ from one another, got {texts}")
    return texts


def _index(answer, count: int) -> int:
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, numbers.Integral):
        raise TypeError(f"answer must be the index (an int) of the right option, "
                        f"got {type(answer).__name__} {answer!r}")
    if not 0 <= answer < count:
        raise ValueError(f"answer must be an index from 0 to {count - 1} (there are {count} "
                         f"options), got {answer}")
    return int(answer)


def _choice_feedback(feedback, answer: int, count: int) -> dict[int, str]:
    if feedback is None:
        feedback = {}
    if not isinstance(feedback, dict):
        raise TypeError(f"feedback must be a dict {{index of a wrong option: its feedback}}, "
                        f"got {type(feedback).__name__}")
    checked = {}
    for key, words in feedback.items():
        if isinstance(key, (bool, np.bool_)) or not isinstance(key, numbers.Integral):
            raise TypeError(f"feedback's keys must be option indexes (int), got {key!r}")
        if not 0 <= key < count:
            raise ValueError(f"feedback names option {key}, but the options are 0 to {count - 1}")
        if key == answer:
            raise ValueError(f"feedback names option {key}, the right answer: say why it is "
                             "right in explain=, feedback is for the wrong options")
        checked[int(key)] = _text(words, f"feedback[{key}]")
    missing = [i for i in range(count) if i != answer and i not in checked]
    if missing:
        raise ValueError(f"every wrong option needs feedback that names its misconception; "
                         f"missing for option(s) {missing}")
    return checked


# --- HTML ----------------------------------------------------------------------------------------
def _code(escaped: str) -> str:
    """Inline code; a short phrase (`x @ U`) keeps its spaces unbroken, a long one may wrap."""
    if len(escaped) <= SHORT_CODE_CHARS:
        escaped = escaped.replace(" ", "&nbsp;")
    return f"<code>{escaped}</code>"


# A subscript in plain text: c_t, Γ_u, b_f, h_{t-1} (after a letter; up to 3 characters, or
# anything short in braces). Code in backticks keeps its underscores (`bias_ih_l0`).
_SUBSCRIPT = re.compile(r"(?<=[A-Za-z\u0391-\u03c9\u0303])_(?:\{([^{}<>&]{1,12})\}"
                        r"|([A-Za-z0-9]{1,3})(?![A-Za-z0-9_]))")


def _subscripts(escaped: str) -> str:
    return _SUBSCRIPT.sub(lambda m: f"<sub>{m.group(1) or m.group(2)}</sub>", escaped)


def _html(text: str) -> str:
    """Escaped text, with `backticks` shown as code and c_t, h_{t-1} as subscripts."""
    parts = html_lib.escape(text, quote=True).split("`")
    if len(parts) % 2 == 0:                  # an unpaired backtick stays a backtick
        parts[-2:] = [parts[-2] + "`" + parts[-1]]
    return "".join(_code(p) if i % 2 else _subscripts(p) for i, p in enumerate(parts))


def js_literal(value) -> str:
    """A JavaScript literal that cannot end the <script> early (no <, >, & in it)."""
    return (json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def number_text(value: float) -> str:
    """A number as the answer shows it: 4 significant digits, no trailing zeros."""
    text = f"{value:.4g}"
    return text.replace("e-0", "e-").replace("e+0", "e").replace("e+", "e")


_SHOW = '<button type="button" class="sc-show" hidden>Show answer</button>'
_STYLE = """<style>
.selfcheck{box-sizing:border-box;max-width:100%;margin:1rem 0;padding:.6rem .9rem;
 border:1px solid var(--pst-color-border,#bbb);border-left:4px solid #0072B2;
 border-radius:.3rem;overflow-wrap:anywhere;color:inherit;background:transparent}
.selfcheck *{box-sizing:border-box}
.selfcheck .sc-kicker{margin:0 0 .2rem;font-size:.85em;font-weight:600;
 color:var(--pst-color-primary,#0072B2)}
.selfcheck fieldset{border:0;margin:0;padding:0;min-width:0}
.selfcheck legend{float:none;width:auto;padding:0;margin:0 0 .5rem;font-size:1em;
 line-height:1.5;font-weight:600}
.selfcheck code{font-size:.92em;overflow-wrap:break-word;color:inherit;
 background:rgba(127,127,127,.18);padding:0 .2em;border-radius:.2em}
.selfcheck .sc-row{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem .6rem;margin:.4rem 0}
.selfcheck .sc-option{display:flex;align-items:flex-start;gap:.5rem;margin:.25rem 0;cursor:pointer}
.selfcheck .sc-option input{margin-top:.3em;flex:none}
.selfcheck input[type=text]{width:9em;max-width:100%;padding:.3rem .4rem;font:inherit;
 color:inherit;background:transparent;border:1px solid #777;border-radius:.25rem}
.selfcheck button{font:inherit;padding:.3rem .8rem;border-radius:.25rem;cursor:pointer;
 border:1px solid #0072B2;background:#0072B2;color:#fff}
.selfcheck button.sc-show{background:transparent;color:inherit}
.selfcheck input:focus-visible,.selfcheck button:focus-visible{outline:3px solid #0072B2;
 outline-offset:2px}
.selfcheck [hidden]{display:none!important}
.selfcheck .sc-feedback:empty,.selfcheck .sc-answer:empty{margin:0;padding:0;border:0}
.selfcheck .sc-feedback,.selfcheck .sc-answer{margin:.5rem 0 .2rem;padding:.3rem .6rem;
 border-left:4px solid #777}
.selfcheck .sc-right{border-left-color:#009E73}
.selfcheck .sc-wrong{border-left-color:#D55E00}
</style>"""

_SCRIPT = """<script>
(function () {
  var data = %(data)s;
  var root = document.getElementById(data.id);
  if (!root || root.getAttribute("data-ready")) { return; }
  root.setAttribute("data-ready", "1");
  var form = root.querySelector("form");
  var status = root.querySelector(".sc-feedback");
  var answer = root.querySelector(".sc-answer");
  var show = root.querySelector(".sc-show");

  function parse(text) {
    var s = String(text).trim().replace(/\\u2212/g, "-");
    if (data.unit === "%%") { s = s.replace(/\\s*%%$/, ""); }
    if (s.indexOf(",") >= 0) {
      if (s.indexOf(".") >= 0 || s.split(",").length > 2) { return null; }
      s = s.replace(",", ".");
    }
    if (!/^[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?$/.test(s)) { return null; }
    var v = Number(s);
    return isFinite(v) ? v : null;
  }

  function judgeNumber() {
    var v = parse(root.querySelector("input[type=text]").value);
    if (v === null) { return ["retry", data.notANumber]; }
    if (Math.abs(v - data.answer) <= data.tolerance) { return ["right", data.explain]; }
    var best = null;
    data.mistakes.forEach(function (m) {
      var d = Math.abs(v - m[0]);
      if (d <= data.tolerance && (best === null || d < best[0])) { best = [d, m[1]]; }
    });
    return best ? ["wrong", best[1]] : ["other", data.nudge];
  }

  function judgeChoice() {
    var picked = root.querySelector("input[type=radio]:checked");
    if (!picked) { return ["retry", "Pick one of the options first."]; }
    var i = Number(picked.value);
    return i === data.answer ? ["right", data.explain] : ["wrong", data.feedback[i]];
  }

  var WORDS = {right: "Right.", wrong: "Not quite.", other: "Not yet.", retry: ""};
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var verdict = data.kind === "numeric" ? judgeNumber() : judgeChoice();
    var kind = verdict[0], words = WORDS[kind];
    status.className = "sc-feedback" + (kind === "right" ? " sc-right" :
                                        kind === "retry" ? "" : " sc-wrong");
    status.innerHTML = (words ? "<strong>" + words + "</strong> " : "") + verdict[1];
    if (kind !== "retry") { show.hidden = false; }
  });
  root.querySelectorAll("input[type=radio]").forEach(function (radio) {
    radio.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        if (form.requestSubmit) { form.requestSubmit(); }
        else { form.dispatchEvent(new Event("submit", {cancelable: true})); }
      }
    });
  });
  show.addEventListener("click", function () {
    answer.innerHTML = "<strong>Answer:</strong> " + data.answerHtml;
  });
})();
</script>"""


class SelfCheck:
    """One question: ``_repr_html_`` is its widget, ``repr`` its text face."""

    def __init__(self, kind: str, question: str, data: dict, body, options=()):
        self.kind, self.question, self.data = kind, question, data
        self._body, self._options = body, list(options)     # body(id) -> the inputs' HTML
        self._digest = hashlib.sha1(js_literal([kind, question, data]).encode()).hexdigest()[:8]

    def _repr_html_(self) -> str:
        """The widget. Every call makes new ids, so one page may show it twice."""
        i = f"selfcheck-{self._digest}-{next(_ids)}"
        payload = {**self.data, "id": i, "kind": self.kind}
        return (f'{_STYLE}<div class="selfcheck" id="{i}" data-kind="{self.kind}">'
                f'<p class="sc-kicker">Self-check</p>'
                f'<form novalidate onsubmit="return false;"><fieldset>'
                f'<legend id="{i}-q">{_html(self.question)}</legend>'
                + self._body(i) +
                f'</fieldset></form>'
                f'<p class="sc-feedback" role="status" aria-live="polite"></p>'
                f'<p class="sc-answer" aria-live="polite"></p></div>'
                + _SCRIPT % {"data": js_literal(payload)})

    def __repr__(self) -> str:
        lines = [f"Self-check: {self.question}"]
        lines += [f"  {chr(ord('a') + n)}) {o}" for n, o in enumerate(self._options)]
        return "\n".join(lines + ["  (answer it in Jupyter or on the website)"])


def numeric(question, answer, *, tolerance=None, mistakes=(), explain="", unit="",
            nudge=NUDGE) -> SelfCheck:
    """A question answered with a number; ``mistakes`` = [(value, feedback naming it), ...].

    ``tolerance`` is absolute (default: ``default_tolerance(answer)``, see the module's
    docstring); ``unit`` is shown after the box ("nats", "%"); ``nudge`` replaces the words
    shown for a wrong answer that matches no mistake.
    """
    question = _text(question, "question")
    answer = _number(answer, "answer")
    if tolerance is None:
        tolerance = default_tolerance(answer)
    else:
        tolerance = expect_positive_number(_number(tolerance, "tolerance"), "tolerance")
    mistakes = _mistakes(mistakes, answer, tolerance)
    explain = _text(explain, "explain", allow_empty=True)
    unit = _text(unit, "unit", allow_empty=True)
    if len(unit) > MAX_UNIT_CHARS or "\n" in unit:
        raise ValueError(f"unit must be a short word such as 'nats' or '%', got {unit!r}")
    nudge = _text(nudge, "nudge")

    def body(i: str) -> str:
        unit_html = f' <span id="{i}-unit">{_html(unit)}</span>' if unit else ""
        described = f' aria-describedby="{i}-unit"' if unit else ""
        return (f'<div class="sc-row"><label for="{i}-in">Your answer</label>'
                f'<span><input type="text" id="{i}-in" inputmode="decimal" autocomplete="off" '
                f'spellcheck="false"{described}>{unit_html}</span>'
                f'<button type="submit">Check</button>{_SHOW}</div>')
    answer_html = html_lib.escape(number_text(answer) + (f" {unit}" if unit else ""))
    data = {"answer": answer, "tolerance": tolerance, "unit": unit,
            "mistakes": [[v, _html(f)] for v, f in mistakes], "explain": _html(explain),
            "nudge": _html(nudge), "notANumber": NOT_A_NUMBER,
            "answerHtml": answer_html + (f". {_html(explain)}" if explain else "")}
    return SelfCheck("numeric", question, data, body)


def choice(question, options, answer, *, feedback=None, explain="") -> SelfCheck:
    """A question with 2-6 options; ``answer`` is the right one's index and ``feedback``
    {index of a wrong option: feedback naming its misconception} covers every wrong one."""
    question = _text(question, "question")
    options = _options(options)
    answer = _index(answer, len(options))
    feedback = _choice_feedback(feedback, answer, len(options))
    explain = _text(explain, "explain", allow_empty=True)

    def body(i: str) -> str:
        rows = "".join(f'<label class="sc-option"><input type="radio" name="{i}-pick" '
                       f'value="{n}"><span>{_html(o)}</span></label>'
                       for n, o in enumerate(options))
        return f'{rows}<div class="sc-row"><button type="submit">Check</button>{_SHOW}</div>'
    data = {"answer": answer, "feedback": {str(k): _html(v) for k, v in feedback.items()},
            "explain": _html(explain),
            "answerHtml": _html(options[answer]) + (f". {_html(explain)}" if explain else "")}
    return SelfCheck("choice", question, data, body, options)
