"""utils.live.tagger: the export of a word-boundary tagger and Chapter 6's live tagger view.

The browser tests open the view's raw HTML in headless Chromium (every request recorded, none
allowed) and compare the page's numbers with PyTorch's: both directions' hidden states and
the tag probabilities within 1e-5, the restored text equal to ``tagging.restore_spaces`` of
PyTorch's most likely tags. They are skipped where Chromium or Playwright is missing.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch

from utils import data, models
from utils.live import PARITY_TOLERANCE, LiveView
from utils.live.export import FORMAT, decode_tensor
from utils.live.tagger import (MAX_TAGGER_CHARS, REFERENCE_CHARS, export_tagger,
                               tag_probabilities, tagger_view)
from utils.recurrent import RecurrentNet, run_core
from utils.tagging import remove_spaces, restore_spaces
from live_pages import open_view, read_parity

VOCAB = data.Vocab.from_texts(["abcdefghijklmnopqrstuvwxyz'"])
TEXT = "To be, or not to be, that is the question: whether 'tis nobler"
TOL = 1e-5


def make_tagger(cell="lstm", bidirectional=False, backend="torch", hidden_size=16, seed=0,
                scale=1.0):
    torch.manual_seed(seed)
    tagger = models.SequenceTagger(len(VOCAB), 2, hidden_size=hidden_size, cell=cell,
                                   embedding_dim=8, bidirectional=bidirectional,
                                   backend=backend).eval()
    with torch.no_grad():                # larger weights: saturated gates, confident tags
        for p in tagger.parameters():
            p.mul_(scale)
    return tagger


def pair(cell="lstm", backend="torch", **kw):
    return (make_tagger(cell, False, backend, seed=1, **kw),
            make_tagger(cell, True, backend, seed=2, **kw))


# --- export ------------------------------------------------------------------------------------
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("backend", ["torch", "scratch"])
def test_export_holds_both_directions_in_the_course_notation(cell, backend, bidirectional):
    tagger = make_tagger(cell, bidirectional, backend)
    payload = json.loads(json.dumps(export_tagger(tagger, VOCAB)))
    assert payload["format"] == FORMAT and payload["model"] == "tagger"
    assert payload["bidirectional"] is bidirectional and payload["num_tags"] == 2
    assert payload["vocab"] == VOCAB.itos and payload["hidden_size"] == 16
    net = tagger.core if backend == "scratch" else RecurrentNet.from_torch(tagger.core)
    cells = net.cells()
    assert len(cells) == (2 if bidirectional else 1)
    expected = {"E": tagger.embedding.weight, "V": tagger.head.weight, "b_y": tagger.head.bias}
    for course, suffix in zip(cells, ["", "_back"]):
        expected.update({"U" + suffix: course.U, "W" + suffix: course.W, "b" + suffix: course.b})
        if cell == "gru":
            expected["b_hc" + suffix] = course.b_hc
    assert set(payload["tensors"]) == set(expected)
    for name, tensor in expected.items():
        np.testing.assert_array_equal(decode_tensor(payload["tensors"][name], name),
                                      tensor.detach().numpy(), err_msg=name)
    assert payload["tensors"]["V"]["shape"] == [2, 16 * (2 if bidirectional else 1)]
    assert payload["gates"] == list(cells[0].gate_names)


@pytest.mark.parametrize("call, error, words", [
    (lambda t: export_tagger(models.CharLM(len(VOCAB), 8, "lstm"), VOCAB), TypeError,
     "must be a utils.models.SequenceTagger, got CharLM"),
    (lambda t: export_tagger(torch.nn.LSTM(3, 4), VOCAB), TypeError, "got LSTM"),
    (lambda t: export_tagger(t, VOCAB.itos), TypeError, "must be a utils.data.Vocab, got list"),
    (lambda t: export_tagger(t, data.Vocab(["a", "b"])), ValueError,
     "vocab has 6 tokens but the tagger reads 31"),
    (lambda t: export_tagger(models.SequenceTagger(len(VOCAB), 2, 8, num_layers=2), VOCAB),
     ValueError, "one-layer taggers, got num_layers=2"),
    (lambda t: export_tagger(models.SequenceTagger(len(VOCAB), 2, 8, "simple_gru",
                                                   backend="scratch"), VOCAB),
     ValueError, "got a SequenceTagger with cell 'simple_gru'"),
    (lambda t: export_tagger(t, VOCAB, max_bytes=100), ValueError, "over the budget of 100"),
    (lambda t: export_tagger(t, VOCAB, dtype="int8"), ValueError, "dtype must be one of"),
    (lambda t: export_tagger(t, VOCAB, dtype="float16"), ValueError, "round the model first"),
    (lambda t: tagger_view(t, models.CharLM(len(VOCAB), 8), VOCAB), TypeError,
     "bidirectional must be a utils.models.SequenceTagger"),
    (lambda t: tagger_view(models.SequenceTagger(len(VOCAB), 3, 8), t, VOCAB), ValueError,
     "left_to_right must tag word ends (two tags), got num_tags=3"),
    (lambda t: tagger_view(t, t, VOCAB, 5), TypeError, "text must be a str, got int"),
    (lambda t: tagger_view(t, t, VOCAB, "abc" * 50), ValueError,
     "150 letters, more than max_chars=120"),
    (lambda t: tagger_view(t, t, VOCAB, max_chars=0), ValueError, "max_chars must be a positive"),
    (lambda t: tagger_view(t, t, VOCAB, max_chars=10**6), ValueError, "at most"),
    (lambda t: tagger_view(t, t, VOCAB, label=" "), ValueError, "label must name the text box"),
    (lambda t: tagger_view(t, t, VOCAB, label=None), TypeError, "label must be a str"),
    (lambda t: tagger_view(t, t, VOCAB, names=("a",)), TypeError, "names must be two"),
])
def test_bad_arguments_say_what_was_expected(call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        call(make_tagger())


def test_html_is_self_contained_and_escaped():
    left, both = pair()
    view = tagger_view(left, both, VOCAB, "</script><b>tobe", label="Type a line")
    assert isinstance(view, LiveView)
    html = view._repr_html_()
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/|\bsrc=(?!\"data:image/png;base64,)|"
                         r"\bhref=|@import|fetch\(", html)
    assert html.count("<img ") == 1 and 'alt="The 11 letters \u201cscriptbtobe\u201d' in html
    assert html.count("<script>") == 1 and html.count("</script>") == 1
    assert "&lt;/script&gt;&lt;b&gt;" in html and "needs JavaScript" in html
    assert view.payload_bytes > 0 and view.reference["letters"] == "scriptbtobe"[:REFERENCE_CHARS]
    assert "runs in Jupyter or on the website" in repr(view)


# --- in the browser ------------------------------------------------------------------------------


JS_TAG = """([which, letters]) => {
  const T = document.querySelector('.rnn-live').rnnTagger, tg = T.taggers[which];
  const r = T.tag(tg, T.encode(letters), false, null);
  return {fwd: r.fwd.map(s => Array.from(s.h)), back: r.back ? r.back.map(s => Array.from(s.h)) : null,
          probs: r.probs.map(p => Array.from(p)), restored: T.restore(letters, r.tags)};
}"""


def torch_numbers(tagger, letters):
    """PyTorch's hidden states of each direction (T, J) and tag probabilities (T, 2)."""
    idx = torch.tensor([VOCAB.encode(letters)])
    with torch.no_grad():
        h, _ = run_core(tagger.core, tagger.embed(idx))
        probs = torch.softmax(tagger(idx)[0], -1)
    J = tagger.core.hidden_size
    return h[0, :, :J].numpy(), (h[0, :, J:].numpy() if tagger.bidirectional else None), probs


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("backend", ["torch", "scratch"])
def test_browser_taggers_equal_pytorch(browser, cell, backend):
    left, both = pair(cell, backend, scale=3.0)
    view = tagger_view(left, both, VOCAB, TEXT)
    page = open_view(browser, view)
    parity = read_parity(page)
    letters = remove_spaces(TEXT)[0]
    assert parity["compared"] == 2 * 2 * min(len(letters), REFERENCE_CHARS)
    assert parity["maxDiff"] < PARITY_TOLERANCE
    worst = parity["maxDiff"]
    for which, tagger in enumerate([left, both]):
        js = page.evaluate(JS_TAG, [which, letters])
        fwd, back, probs = torch_numbers(tagger, letters)
        for name, got, want in [("forward h", js["fwd"], fwd), ("backward h", js["back"], back),
                                ("probabilities", js["probs"], probs.numpy())]:
            if want is None:
                assert got is None
                continue
            diff = float(np.max(np.abs(np.asarray(got) - want)))
            worst = max(worst, diff)
            assert diff < TOL, f"{cell}/{backend} tagger {which}: {name} differs by {diff:.2e}"
        assert js["restored"] == restore_spaces(letters, probs.argmax(-1).tolist())
    shown = page.locator(".rl-restored").all_text_contents()
    assert shown == [restore_spaces(letters, tag_probabilities(t, VOCAB, letters).argmax(-1).tolist())
                     for t in (left, both)]
    assert page.requests == [] and page.errors == []
    print(f"\ntagger parity {cell}/{backend}: largest |JS - PyTorch| = {worst:.2e}")


def test_keyboard_typing_restores_the_text_as_python_does(browser):
    left, both = pair("gru", scale=3.0)
    view = tagger_view(left, both, VOCAB, "tobe", label="Type text")
    page = open_view(browser, view)
    root = page.locator(".rnn-live")
    assert root.locator(".rl-static").is_hidden() and root.locator(".rl-live").is_visible()
    page.keyboard.press("Tab")                                       # the box comes first
    box = page.get_by_label("Type text")
    assert page.evaluate("document.activeElement.tagName") == "INPUT"
    page.keyboard.press("End")
    page.keyboard.type(" Or NOT, to be!", delay=0)
    letters = remove_spaces("tobe Or NOT, to be!")[0]
    assert letters == "tobeornottobe"
    assert root.locator(".rl-read").text_content() == letters
    for side, tagger in zip(root.locator(".rl-side").all(), [left, both]):
        tags = tag_probabilities(tagger, VOCAB, letters).argmax(-1).tolist()
        assert side.locator(".rl-restored").text_content() == restore_spaces(letters, tags)
        assert side.locator(".rl-c").count() == len(letters)
    expected = [i for i in range(len(letters))
                if tag_probabilities(left, VOCAB, letters).argmax(-1)[i]
                != tag_probabilities(both, VOCAB, letters).argmax(-1)[i]]
    assert root.locator(".rl-c.rl-diff").count() == 2 * len(expected)   # marked on both sides
    diffs = root.locator(".rl-diffs").text_content()
    assert (f"disagree at {len(expected)} place" in diffs if expected else "agree everywhere" in diffs)
    status = root.locator("[role=status]").text_content()
    assert status.startswith(f"{len(letters)} letters. left to right: ") and "bidirectional: " in status
    page.keyboard.press("Tab")                                       # then the button
    assert page.evaluate("document.activeElement.textContent") == "Back to the starting text"
    page.keyboard.press("Enter")
    assert box.input_value() == "tobe" and root.locator(".rl-read").text_content() == "tobe"
    assert root.locator("[role=status]").text_content().startswith("4 letters.")
    assert page.requests == [] and page.errors == []


def test_view_fits_a_phone_and_reports_its_keystroke_time(browser):
    words = "".join(remove_spaces(TEXT)[0] for _ in range(3))[:119]
    torch.manual_seed(0)                 # the size of Chapter 6's taggers: LSTM, J = 64, E = 16
    left, both = (models.SequenceTagger(len(VOCAB), 2, hidden_size=64, cell="lstm",
                                        embedding_dim=16, bidirectional=b).eval()
                  for b in (False, True))
    view = tagger_view(left, both, VOCAB, words, max_chars=120)
    page = open_view(browser, view)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px: {width}"
    boxes = page.locator(".rl-side").evaluate_all("els => els.map(e => e.getBoundingClientRect().top)")
    assert boxes[1] > boxes[0], "on a phone the two taggers are stacked"
    wide = open_view(browser, view, width=1000)
    tops = wide.locator(".rl-side").evaluate_all("els => els.map(e => e.getBoundingClientRect().top)")
    assert tops[0] == tops[1], "on a wide screen the two taggers are side by side"
    box = page.locator(".rnn-live input")
    box.focus()
    box.press("End")
    page.keyboard.type("x")
    print(f"\none keystroke, the 120th letter: {page.locator('.rnn-live').get_attribute('data-ms')} ms")
    # 120 letters: typing at the end (the forward directions rerun one step, the backward
    # direction all 120) and editing the first letter (everything reruns)
    times = page.evaluate("""() => {
      const root = document.querySelector('.rnn-live'), box = root.querySelector('input');
      const out = {end: [], start: [], backEnd: [], backStart: []};
      box.value = 'x'.repeat(120);
      box.dispatchEvent(new Event('input'));
      for (let i = 0; i < 20; i++) {
        const letter = String.fromCharCode(97 + i % 26);
        for (const where of ['end', 'start']) {
          box.value = where === 'end' ? box.value.slice(0, 119) + letter : letter + box.value.slice(1);
          box.dispatchEvent(new Event('input'));
          out[where].push(Number(root.getAttribute('data-ms')));
          out[where === 'end' ? 'backEnd' : 'backStart'].push(Number(root.getAttribute('data-ms-backward')));
        }
      }
      return out;
    }""")
    med = {k: float(np.median(v)) for k, v in times.items()}
    print(f"keystroke, 120 letters, two LSTM taggers of 64 units (median of 20): typing at the "
          f"end {med['end']:.1f} ms (backward direction {med['backEnd']:.1f} ms), editing the "
          f"first letter {med['start']:.1f} ms (backward {med['backStart']:.1f} ms); payload "
          f"{view.payload_bytes:,} bytes")
    assert len(times["end"]) == len(times["start"]) == 20       # reported, never asserted
    assert page.requests == [] and page.errors == [] and wide.errors == []


def test_without_javascript_the_static_face_stays(browser):
    left, both = pair("rnn")
    view = tagger_view(left, both, VOCAB, "tobeornot")
    context = browser.new_context(viewport={"width": 360, "height": 600}, java_script_enabled=False)
    page = context.new_page()
    page.set_content("<!doctype html><meta charset=utf-8><body>" + view._repr_html_() + "</body>")
    static = page.locator(".rl-static")
    assert static.is_visible() and "word-boundary taggers" in static.text_content()
    alt = static.locator("img").get_attribute("alt")
    assert "\u201ctobeornot\u201d" in alt and "the bidirectional tagger writes" in alt
    assert page.locator(".rl-live").is_hidden()
    context.close()


def test_a_wrong_reference_is_reported_to_the_reader(browser):
    left, both = pair("lstm")
    view = tagger_view(left, both, VOCAB, "tobeornot")
    view.reference["letters"] = "tobeornou"       # PyTorch's numbers for other letters
    page = open_view(browser, view)
    parity = read_parity(page)
    assert parity["maxDiff"] > PARITY_TOLERANCE
    assert "please report it" in page.locator(".rl-parity").text_content()


def test_the_box_takes_at_most_max_chars_letters(browser):
    left, both = pair("rnn")
    view = tagger_view(left, both, VOCAB, "ab", max_chars=10)
    page = open_view(browser, view)
    box = page.locator(".rnn-live input")
    box.fill("abc def ghi jkl")
    assert page.locator(".rl-read").text_content() == "abcdefghij (the first 10 letters)"
    assert page.locator(".rl-side").first.locator(".rl-c").count() == 10
    assert MAX_TAGGER_CHARS >= 120


def test_the_page_removes_spaces_as_python_does(browser):
    left, both = pair("rnn")
    page = open_view(browser, tagger_view(left, both, VOCAB, "ab"))
    texts = ["To be, or not to be", "'Tis ''twas' don't o'er-leap", "  ", "Ünïcödé İstanbul ﬁne",
             "l'été: 42 ROMEO!\nJuliet's", "''", "a'b'c'"]
    got = page.evaluate("ts => ts.map(t => document.querySelector('.rnn-live').rnnTagger.letters(t))",
                        texts)
    assert got == [remove_spaces(t)[0] for t in texts]
