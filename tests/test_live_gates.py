"""utils.live.gates: every gate and state of a GRU or LSTM per unit and per character, and the
units that follow a property of the text, computed in the page.

The browser tests open the view's raw HTML in headless Chromium (every request is recorded
and must be none) and compare the page with PyTorch: every quantity of every unit at every
character (GRU and LSTM, torch and scratch backends, one-hot and embedded inputs, float32
and float16 payloads) within 1e-5, the ranking of the units with a numpy computation of the
same correlation, the controls driven by the keyboard, and the reading in slices (a long text
and a large model: what the page shows while reading, and at the end the numbers of a
synchronous run of the last text typed). Skipped where Chromium or
Playwright is missing (an error under CI, see conftest.browser).
"""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch

from utils import data, models
from utils.live import PARITY_TOLERANCE, LiveView
from utils.live.gates import (MAX_GATE_CHARS, PROPERTIES, QUANTITIES, SLICE_MS, correlations,
                              gate_view, rank_units, text_property, trace_text)
from utils.recurrent import run_core
from live_pages import open_view, read_parity

TEXT = 'ROMEO:\nWhat light (through) "yonder" window breaks?\nIt is the east. Zq~'   # unknowns
VOCAB = data.Vocab.from_texts('ROMEO:\nwhat light through yonder window breaks?\n'
                              'It is the east, and Juliet is the sun. "()[]')


def make_model(cell: str, backend: str = "torch", embedding_dim=8, hidden_size=16, seed=0,
               scale: float = 1.0, half: bool = False):
    torch.manual_seed(seed)
    model = models.CharLM(len(VOCAB), hidden_size=hidden_size, cell=cell,
                          embedding_dim=embedding_dim, backend=backend).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(scale)                        # larger weights: saturated gates too
            if half:
                p.copy_(p.half().float())        # as checkpoints.round_weights leaves them
    return model


# --- the properties and the correlation ------------------------------------------------------
def test_text_properties_follow_their_definitions():
    text = 'AB:\nHe said "hi (yo)" x]'
    expect = {
        "line_position": [0, 1, 2, 3] + list(range(len(text) - 4)),
        "speaker_line": [1, 1, 1, 1] + [0] * (len(text) - 4),
        "in_quotes": [1 if 12 <= t <= 20 else 0 for t in range(len(text))],
        "in_brackets": [1 if 16 <= t <= 19 else 0 for t in range(len(text))],
        "word_start": [1 if t in (0, 4, 7, 12, 16, 22) else 0 for t in range(len(text))],
        "vowel": [1 if ch.lower() in "aeiou" else 0 for ch in text],
        "capital": [1 if ch in "ABH" else 0 for ch in text],
    }
    assert set(expect) == set(PROPERTIES)
    for name, want in expect.items():
        np.testing.assert_array_equal(text_property(text, name), want, err_msg=name)
    assert text_property("", "vowel").shape == (0,)
    # Chapter 5's definition: "MACBETH:" and its line break, not a line of capitals without
    # a colon, nor one with a lower-case letter
    assert text_property("MACBETH:\nNO\nMacb:\n", "speaker_line").tolist() == [1] * 9 + [0] * 9


def test_correlations_are_pearson_and_zero_where_nothing_varies():
    rng = np.random.default_rng(0)
    values, prop = rng.normal(size=(40, 6)), rng.integers(0, 2, 40).astype(float)
    values[:, 3] = 0.25                                                 # a unit that never moves
    r = correlations(values, prop)
    for j in range(6):
        want = 0.0 if j == 3 else np.corrcoef(values[:, j], prop)[0, 1]
        assert r[j] == pytest.approx(want, abs=1e-12)
    assert np.all(correlations(values, np.ones(40)) == 0)               # a constant property
    assert rank_units([0.1, -0.5, 0.5, 0.0]) == [1, 2, 0, 3]            # |r|, ties by number
    with pytest.raises(ValueError, match="values must be"):
        correlations(values, prop[:5])


# --- arguments -------------------------------------------------------------------------------
@pytest.mark.parametrize("call, error, words", [
    (lambda m: gate_view(make_model("rnn"), VOCAB, "hi"), ValueError, "a gated cell, 'gru' or 'lstm'"),
    (lambda m: gate_view(m, VOCAB, 5), TypeError, "text must be a str, got int"),
    (lambda m: gate_view(m, VOCAB, "hi \U0001F600"), ValueError, "Basic Multilingual Plane"),
    (lambda m: gate_view(m, VOCAB, "hi", quantity="f"), ValueError, "quantity must be one of 'r', 'u'"),
    (lambda m: gate_view(m, VOCAB, "hi", prop="nouns"), ValueError, "prop must be one of 'line_position'"),
    (lambda m: gate_view(m, VOCAB, "hi", unit=16), ValueError, "from 0 to 15 (the model has 16 units"),
    (lambda m: gate_view(m, VOCAB, "hi", unit=True), TypeError, "unit must hold unit numbers (int), got bool"),
    (lambda m: gate_view(m, VOCAB, "hi", units=3), TypeError, "units must be None, a list"),
    (lambda m: gate_view(m, VOCAB, "hi", units={2: 5}), TypeError, "note must be a str, got int"),
    (lambda m: gate_view(m, VOCAB, "hi", units=[-1]), ValueError, "got -1"),
    (lambda m: gate_view(m, VOCAB, "hi", units=list(range(9))), ValueError, "at most 8 units"),
    (lambda m: gate_view(m, VOCAB, "hi", rows=0), ValueError, "rows must be a positive integer"),
    (lambda m: gate_view(m, VOCAB, "hi", rows=17), ValueError, "rows must be at most 16"),
    (lambda m: gate_view(m, VOCAB, "hi", top=13), ValueError, "top must be at most 12"),
    (lambda m: gate_view(m, VOCAB, "hello", max_chars=3), ValueError, "more than max_chars=3"),
    (lambda m: gate_view(m, VOCAB, "hi", max_chars=MAX_GATE_CHARS + 1), ValueError, "at most"),
    (lambda m: gate_view(m, VOCAB, "hi", bos=1), TypeError, "bos must be True or False"),
    (lambda m: gate_view(m, VOCAB, "hi", label=" "), ValueError, "label must name the text box"),
    (lambda m: gate_view(m, VOCAB, "hi", label=None), TypeError, "label must be a str"),
    (lambda m: gate_view(m, VOCAB, "hi", dtype="float16"), ValueError, "round the model first"),
    (lambda m: gate_view(m, object(), "hi"), TypeError, "vocab must be a utils.data.Vocab"),
    (lambda m: text_property("hi", "nouns"), ValueError, "property must be one of"),
    (lambda m: text_property(3, "vowel"), TypeError, "text must be a str, got int"),
])
def test_bad_arguments_say_what_was_expected(call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        call(make_model("gru"))


def test_html_is_self_contained_escaped_and_described():
    view = gate_view(make_model("lstm"), VOCAB, "</script><b>", units={3: "a <unit>"})
    assert isinstance(view, LiveView) and view.kind == "gates"
    html = view._repr_html_()
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/|\bsrc=(?!\"data:image/png;base64,)|"
                         r"\bhref=|@import|fetch\(", html)
    assert html.count("<script>") == 1 and html.count("</script>") == 1
    assert "&lt;/script&gt;&lt;b&gt;" in html and "a &lt;unit&gt;" in html
    assert html.count("<img ") == 1 and 'alt="Heat strip of the cell state c_t of a trained LSTM' in html
    assert all(f'<label for="{part}' in re.sub(r'rnn-live-\w+-\d+-', "", html)
               for part in ("in", "q", "p", "u"))                     # every control labelled
    for label in QUANTITIES["lstm"].values():
        assert label in html
    assert len(json.dumps(view.reference)) < 50_000                    # a compact reference


# --- in the browser --------------------------------------------------------------------------


STATE = "() => document.querySelector('.rnn-live').rnnGateState()"


def idle(page):
    """Wait until the view has read the whole text (no data-busy: no slice to come)."""
    page.wait_for_function("() => !document.querySelector('.rnn-live').hasAttribute('data-busy')")


def choose(page, css: str, value: str):
    """Set a select as the reader does and let the view update."""
    page.locator(css).select_option(value)


@pytest.mark.parametrize("cell, backend, embedding_dim, half", [
    ("gru", "torch", 8, False), ("gru", "scratch", None, False), ("gru", "torch", None, True),
    ("lstm", "torch", None, False), ("lstm", "scratch", 8, False), ("lstm", "torch", 8, True)])
def test_every_gate_and_state_equals_pytorch(browser, cell, backend, embedding_dim, half):
    model = make_model(cell, backend, embedding_dim, hidden_size=20, seed=3, scale=3.0, half=half)
    view = gate_view(model, VOCAB, TEXT, dtype="float16" if half else "float32")
    page = open_view(browser, view)
    parity = read_parity(page)
    quantities = QUANTITIES[cell]
    assert parity["compared"] == len(quantities) * 24 * 20            # every unit of a small model
    assert parity["maxDiff"] < PARITY_TOLERANCE
    assert "please report" not in page.locator(".rl-parity").text_content()
    # the whole text, every unit, every quantity: the page against PyTorch
    want = trace_text(model, VOCAB, TEXT)
    with torch.no_grad():                         # the hidden state from the model's own core
        idx = torch.tensor([VOCAB.encode(TEXT)])
        h_model = run_core(model.core, model.embed(idx))[0][0].numpy()
    worst = 0.0
    for key in quantities:
        choose(page, ".rl-quantity", key)
        got = np.array(page.evaluate(STATE)["values"])
        assert got.shape == (len(TEXT), 20)
        worst = max(worst, float(np.abs(got - want[key]).max()))
        assert np.abs(got - want[key]).max() < PARITY_TOLERANCE, f"{cell}: {key}"
        if key in ("h", "c") and (cell == "lstm") == (key == "h"):
            assert np.abs(got - h_model).max() < PARITY_TOLERANCE       # h_t (c_t = h_t in a GRU)
    assert page.requests == [] and page.errors == []
    print(f"\ngates parity {cell}/{backend}/{'one-hot' if embedding_dim is None else 'embedding'}"
          f"/{'float16' if half else 'float32'}: largest |page - PyTorch| = {worst:.2e}")


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_ranking_equals_numpy(browser, cell):
    model = make_model(cell, hidden_size=24, seed=1, scale=2.0)
    view = gate_view(model, VOCAB, TEXT, quantity="c")
    page = open_view(browser, view)
    torch_values = trace_text(model, VOCAB, TEXT)
    ref = view.reference["ranking"]                      # Python's, computed at build time
    for key in PROPERTIES:
        choose(page, ".rl-property", key)
        state = page.evaluate(STATE)
        assert state["property"] == key
        np.testing.assert_array_equal(state["prop"], text_property(TEXT, key))
        mine = correlations(np.array(state["values"]), np.array(state["prop"]))
        np.testing.assert_allclose(state["r"], mine, rtol=0, atol=1e-12)
        assert state["order"] == rank_units(state["r"])
        theirs = correlations(torch_values["c"], text_property(TEXT, key))
        moving = torch_values["c"].std(0) > 1e-2          # r of a unit that barely moves is noise
        np.testing.assert_allclose(np.array(state["r"])[moving], theirs[moving], rtol=0, atol=1e-4)
        shown = [int(b) for b in page.locator(".rl-top button").evaluate_all(
            "bs => bs.map(b => b.value)")]
        assert shown == state["order"][:len(shown)]
        if key == ref["property"]:
            np.testing.assert_allclose([state["r"][u] for u in ref["units"]], ref["r"], atol=1e-4)
    assert page.requests == [] and page.errors == []


def test_keyboard_status_and_phone_width(browser):
    model = make_model("lstm", hidden_size=24, seed=2, scale=2.0)
    view = gate_view(model, VOCAB, TEXT, quantity="c", prop="line_position", units={7: "seven"})
    page = open_view(browser, view)
    root = page.locator(".rnn-live")
    assert root.locator(".rl-static").is_hidden() and root.locator(".rl-live").is_visible()
    status = root.locator("[role=status]")
    assert status.get_attribute("aria-live") == "polite"
    assert "cell state c_t against position in the line: best units" in status.text_content()
    assert "Shown: unit 7" in status.text_content()                     # the named unit first
    # the quantity and the property, with the arrow keys
    quantity = page.get_by_label("Show", exact=True)
    quantity.focus()
    quantity.press("ArrowDown")
    assert quantity.input_value() == "h" and "hidden state h_t against" in status.text_content()
    page.keyboard.press("Tab")
    prop = page.get_by_label("Find the units that follow")
    assert page.evaluate("document.activeElement.className") == "rl-property"
    prop.press("ArrowDown")
    assert prop.input_value() == "speaker_line" and "a speaker's name line" in status.text_content()
    # Tab to the best units' buttons; Enter selects one and the focus stays on it
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")                                          # past the strip
    first = root.locator(".rl-top button").first
    assert page.evaluate("document.activeElement.closest('.rl-top') !== null")
    best = int(first.get_attribute("value"))
    page.keyboard.press("Enter")
    assert first.get_attribute("aria-pressed") == "true"
    assert page.evaluate("document.activeElement.closest('.rl-top') !== null")
    assert f"Shown: unit {best}," in status.text_content()
    assert root.locator(".rl-about").text_content().startswith(f"Unit {best}, hidden state h_t")
    page.keyboard.press("Tab")
    second = int(root.locator(".rl-top button").nth(1).get_attribute("value"))
    page.keyboard.press("Space")
    assert f"Shown: unit {second}," in status.text_content()
    # the named unit's button, then the number box
    root.locator(".rl-named button").focus()
    page.keyboard.press("Enter")
    assert "Shown: unit 7," in status.text_content()
    box = page.get_by_label("Show unit (0 to 23)")
    box.focus()
    box.press("ArrowUp")
    assert "Shown: unit 8," in status.text_content() and box.input_value() == "8"
    box.fill("")
    page.keyboard.type("19")
    assert "Shown: unit 19," in status.text_content()
    assert root.locator(".rl-colored span").count() == len(TEXT)      # the text, coloured
    box.fill("99")
    assert "Type a unit number from 0 to 23" in status.text_content()
    # typing in the box reranks
    text = page.get_by_label("Type any text")
    text.focus()
    text.press("Control+End")
    page.keyboard.type("\nJULIET:\n")
    assert status.text_content().startswith(f"{len(TEXT) + 9} characters;")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px: {width}"
    for region in root.locator("[role=region]").all():                # scrolling regions
        assert region.get_attribute("tabindex") == "0" and region.get_attribute("aria-label")
    assert page.requests == [] and page.errors == []


def test_a_constant_property_and_an_empty_box_are_said_in_words(browser):
    view = gate_view(make_model("gru"), VOCAB, "abc", prop="in_quotes")
    page = open_view(browser, view)
    status = page.locator("[role=status]")
    assert "the property does not change over this text" in status.text_content()
    page.get_by_label("Type any text").fill("")
    assert "type at least two characters" in status.text_content()
    assert page.requests == [] and page.errors == []


def test_without_javascript_the_static_face_stays(browser):
    view = gate_view(make_model("gru"), VOCAB, TEXT, quantity="u", prop="word_start")
    page = open_view(browser, view, javascript=False)
    static = page.locator(".rl-static")
    assert static.is_visible() and "GRU of 16 units" in static.text_content()
    assert "needs JavaScript" in static.text_content()
    alt = static.locator("img").get_attribute("alt")
    assert "update gate Γ_u" in alt and "first letter of a word" in alt and "r = " in alt
    assert page.locator(".rl-live").is_hidden()


def test_a_wrong_reference_is_reported_to_the_reader(browser):
    view = gate_view(make_model("lstm"), VOCAB, "hello there")
    view.reference["text"] = "hellp there"               # PyTorch's numbers for another text
    page = open_view(browser, view)
    parity = read_parity(page)
    assert parity["maxDiff"] > PARITY_TOLERANCE
    assert "please report it" in page.locator(".rl-parity").text_content()


# --- reading in slices: a long text and a large model ---------------------------------------
LONG = ((TEXT + "\n") * 5)[:300]
RUN = "([text, key]) => document.querySelector('.rnn-live').rnnGateRun(text, key)"
ARIA_BUSY = "() => document.querySelector('[role=status]').getAttribute('aria-busy')"
# Set the box to each text in turn, one input event each, back to back; what the page shows
# right after the last one (the first slice of its reading): the state, the root's data-busy,
# the status, whether the coloured text is greyed (pending) and its text, the strip's colour at
# the middle of the first row under every character.
EDIT = """([texts, caret]) => {
  const root = document.querySelector('.rnn-live'), box = root.querySelector('textarea');
  for (const text of texts) {
    box.value = text;
    box.setSelectionRange(caret, caret);
    box.dispatchEvent(new Event('input'));
  }
  const ctx = root.querySelector('.rl-strip canvas').getContext('2d'), strip = [];
  for (let t = 0; t < box.value.length; t++) {
    strip.push(Array.from(ctx.getImageData(34 + 10 * t + 5, 20, 1, 1).data.slice(0, 3)));
  }
  return {state: root.rnnGateState(), busy: root.hasAttribute('data-busy'), strip: strip,
          ariaBusy: root.querySelector('[role=status]').getAttribute('aria-busy'),
          status: root.querySelector('[role=status]').textContent,
          about: root.querySelector('.rl-about').textContent,
          pending: root.querySelector('.rl-colored').classList.contains('rl-pending'),
          colored: root.querySelector('.rl-colored').textContent.replace(/\u21b5/g, '')};
}"""


def big_view(text: str = LONG, slice_ms: float | None = None, hidden_size: int = 256):
    """An LSTM large enough that reading 300 characters takes several slices (slice_ms=0: one
    step per slice, whatever the machine's speed)."""
    model = make_model("lstm", embedding_dim=8, hidden_size=hidden_size, seed=4, scale=1.5)
    view = gate_view(model, VOCAB, text, max_chars=MAX_GATE_CHARS)
    assert view.data["sliceMs"] == SLICE_MS
    if slice_ms is not None:
        view.data["sliceMs"] = slice_ms
    return model, view


def pending(rgb) -> bool:
    """The strip's colour of a character not yet read: a grey of the hatch (a value's colour is
    never grey, white at 0 aside)."""
    return rgb[0] == rgb[1] == rgb[2] < 255


def fmt(r: float) -> str:
    return f"{'−' if r < 0 else '+'}{abs(r):.2f}"


# Every quantity the view shows (chosen in the select: every step cached, nothing to read)
# against a synchronous L.run over the text: the quantities where a number differs.
SAME = """(text) => {
  const root = document.querySelector('.rnn-live'), select = root.querySelector('.rl-quantity');
  const differ = [];
  for (const option of Array.from(select.options)) {
    select.value = option.value;
    select.dispatchEvent(new Event('change'));
    const shown = root.rnnGateState(), once = root.rnnGateRun(text, option.value);
    if (shown.busy || shown.text !== text || shown.values.length !== once.length
        || shown.values.some((row, t) => row.some((v, j) => v !== once[t][j]))) {
      differ.push(option.value);
    }
  }
  select.value = 'c';
  select.dispatchEvent(new Event('change'));
  return differ;
}"""


def assert_read(page, text: str, model=None):
    """The view shows text wholly read: the values of a synchronous L.run over it (every
    quantity, exactly; the cell state within 1e-5 of PyTorch's if model), nothing pending, and
    the ranking and the status of this text."""
    assert page.evaluate(SAME, text) == []
    state = page.evaluate(STATE)
    assert state["text"] == text and state["quantity"] == "c" and state["computed"] == len(text)
    if model is not None:
        want = trace_text(model, VOCAB, text)["c"]
        assert np.abs(np.array(state["values"]) - want).max() < PARITY_TOLERANCE
    r = correlations(np.array(state["values"]), text_property(text, state["property"]))
    np.testing.assert_allclose(state["r"], r, rtol=0, atol=1e-12)
    assert state["order"] == rank_units(state["r"])
    shown = [int(b) for b in page.locator(".rl-top button").evaluate_all("bs => bs.map(b => b.value)")]
    assert shown == state["order"][:len(shown)]
    best = state["order"][0]
    status = page.locator("[role=status]").text_content()
    assert status.startswith(f"{len(text)} characters; cell state c_t against position in the line: "
                             f"best units {best} (r = {fmt(state['r'][best])})"), status
    assert "rl-pending" not in page.locator(".rl-colored").get_attribute("class")
    assert page.locator(".rl-colored span").count() == len(text)
    assert "reading" not in page.locator(".rl-about").text_content()
    root = page.locator(".rnn-live")
    assert root.get_attribute("data-busy") is None and root.get_attribute("data-ms-full") is not None
    assert page.evaluate(ARIA_BUSY) is None                  # the summary, read out


def test_editing_the_first_character_ends_as_a_run_of_the_whole_text(browser):
    model, view = big_view()
    page = open_view(browser, view)
    assert_read(page, LONG, model)
    new = "J" + LONG[1:]
    first = page.evaluate(EDIT, [[new], 1])
    k = first["state"]["computed"]                    # what the first slice read (machine speed)
    # the first response shows only steps of the new text, the others pending
    assert first["state"]["values"] == page.evaluate(RUN, [new, "c"])[:k]
    assert first["busy"] == first["pending"] == (k < len(new)) and first["colored"] == new
    assert [pending(rgb) for rgb in first["strip"]] == [t >= k for t in range(len(new))]
    idle(page)
    assert_read(page, new, model)
    print(f"\ngates view, LSTM of 256 units: editing the first of {len(new)} characters, "
          f"the first slice read {k}")
    assert page.requests == [] and page.errors == []


def test_typing_during_a_reading_ends_with_the_last_text(browser):
    model, view = big_view()
    page = open_view(browser, view)
    texts = ["J" + LONG[1:], "J" + LONG[1:7] + "x" + LONG[8:], "Ju" + LONG[2:7] + "x" + LONG[8:]]
    page.evaluate(EDIT, [texts[:2], 0])               # two keystrokes back to back
    idle(page)
    assert_read(page, texts[1], model)
    page.evaluate(EDIT, [texts, 0])                   # three
    idle(page)
    assert_read(page, texts[2])
    assert page.requests == [] and page.errors == []


def test_while_reading_the_characters_not_read_are_pending(browser):
    text = LONG[:120]
    model, view = big_view(text, slice_ms=0)          # one step per slice
    page = open_view(browser, view)
    new = "J" + text[1:]
    first = page.evaluate(EDIT, [[new], 1])
    n = len(new)
    assert first["busy"] and first["state"]["busy"] and first["state"]["computed"] == 1
    assert first["state"]["values"] == page.evaluate(RUN, [new, "c"])[:1]
    assert [pending(rgb) for rgb in first["strip"]] == [t >= 1 for t in range(n)]
    assert first["pending"] and first["colored"] == new          # the text, greyed
    assert first["status"] == f"Reading… 1 of {n} characters."
    assert "reading the text, 1 of" in first["about"]
    assert first["ariaBusy"] == "true"                 # a screen reader waits for the summary
    # a keystroke while reading restarts from the longest prefix already read and unchanged
    page.wait_for_function("() => document.querySelector('.rnn-live').rnnGateState().computed >= 40")
    again = new[:20] + ("a" if new[20] != "a" else "e") + new[21:]
    second = page.evaluate(EDIT, [[again], 21])
    assert second["state"]["computed"] == 21          # 20 steps kept, 1 read
    assert second["pending"] and second["colored"] == again
    assert second["state"]["values"] == page.evaluate(RUN, [again, "c"])[:21]
    assert [pending(rgb) for rgb in second["strip"]] == [t >= 21 for t in range(n)]
    idle(page)
    assert_read(page, again, model)
    done = page.evaluate(EDIT, [[], 0])
    assert not any(pending(rgb) for rgb in done["strip"])
    assert page.requests == [] and page.errors == []


def test_keystroke_time_of_the_shipped_lstm_is_reported(browser):
    from utils import checkpoints
    ckpt = checkpoints.load_checkpoint(checkpoints.CHECKPOINT_DIR / "shakespeare_lstm.pt")
    text = ("MACBETH:\nIf chance will have me king, why, chance may crown me,\n" * 5)[:300]
    view = gate_view(ckpt.model, ckpt.vocab, text, dtype="float16", max_bytes=4_000_000,
                     units={5: "five"})
    html = view._repr_html_()
    page = open_view(browser, view)
    parity = read_parity(page)
    assert parity["maxDiff"] < PARITY_TOLERANCE
    box = page.get_by_label("Type any text")
    box.focus()
    box.press("Control+End")
    page.keyboard.type("Wh", delay=0)
    typed = float(page.locator(".rnn-live").get_attribute("data-ms"))
    # data-ms: the first response (the first slice and its paint); data-ms-full: until the
    # whole text was read and painted
    times = page.evaluate("""async () => {
      const root = document.querySelector('.rnn-live'), box = root.querySelector('textarea');
      const status = root.querySelector('[role=status]');
      const idle = () => new Promise(done => {
        (function wait() { root.hasAttribute('data-busy') ? setTimeout(wait, 1) : done(); })();
      });
      const out = {end: [], endFull: [], start: [], startFull: [], firstRead: []};
      for (let i = 0; i < 20; i++) {
        const letter = String.fromCharCode(97 + i % 26);
        box.value = box.value.slice(0, -1) + letter;             // typing at the end: one step
        box.setSelectionRange(box.value.length, box.value.length);
        box.dispatchEvent(new Event('input'));
        out.end.push(+root.getAttribute('data-ms'));
        await idle();
        out.endFull.push(+root.getAttribute('data-ms-full'));
      }
      for (let i = 0; i < 5; i++) {                              // the first character: all steps
        box.value = String.fromCharCode(97 + i) + box.value.slice(1);
        box.setSelectionRange(1, 1);
        box.dispatchEvent(new Event('input'));
        out.start.push(+root.getAttribute('data-ms'));
        const read = /^Reading\u2026 (\\d+) of/.exec(status.textContent);
        out.firstRead.push(read ? +read[1] : box.value.length);
        await idle();
        out.startFull.push(+root.getAttribute('data-ms-full'));
      }
      return out;
    }""")
    med = {k: float(np.median(v)) for k, v in times.items()}
    print(f"\ngates view, shipped LSTM of {ckpt.model.hidden_size} units, {len(text) + 2} characters "
          f"(slices of {SLICE_MS} ms): a keystroke at the end {med['end']:.1f} ms first response, "
          f"{med['endFull']:.1f} ms in full (median of 20; the typed one {typed:.1f} ms); editing the "
          f"first character {med['start']:.1f} ms first response ({med['firstRead']:.0f} characters "
          f"read), {med['startFull']:.1f} ms in full (median of 5); payload "
          f"{view.payload_bytes:,} bytes, view HTML {len(html.encode()):,} bytes")
    assert len(times["end"]) == 20 and len(times["start"]) == 5      # reported, not asserted
    assert len(html.encode()) < 5_000_000 - 400_000                   # the page stays under 5 MB
    assert page.requests == [] and page.errors == []
