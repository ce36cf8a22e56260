"""utils.live: the export of a trained CharLM to the page, and the page's forward pass.

The browser tests open the view's raw HTML in headless Chromium (networking unused: every
request is recorded and must be none) and compare the JavaScript forward pass with PyTorch
on a fixed text: hidden states, cell states, gates and probabilities within 1e-5 (float32).
They are skipped where Chromium or Playwright is missing.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch

from utils import data, models
from utils.live import (FORMAT, PARITY_TOLERANCE, LiveView, decode_payload, export_model,
                        payload_bytes, text_view)
from utils.recurrent import RecurrentNet, run_core
from live_pages import open_view, read_parity

TEXT = "ROMEO:\nWhat light through yonder window breaks? Zq~"   # ends in unknown characters
VOCAB = data.Vocab.from_texts("ROMEO:\nwhat light through yonder window breaks?\n"
                              "It is the east, and Juliet is the sun.")
TOL = 1e-5


def make_model(cell: str, backend: str = "torch", embedding_dim=8, hidden_size=16, seed=0):
    torch.manual_seed(seed)
    return models.CharLM(len(VOCAB), hidden_size=hidden_size, cell=cell,
                         embedding_dim=embedding_dim, backend=backend).eval()


# --- export ------------------------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("backend", ["torch", "scratch"])
def test_export_round_trip_holds_the_course_weights(cell, backend):
    model = make_model(cell, backend)
    payload = json.loads(json.dumps(export_model(model, VOCAB)))     # through JSON text
    weights = decode_payload(payload)
    course = (model.core if backend == "scratch" else RecurrentNet.from_torch(model.core)).cells()[0]
    expected = {"E": model.embedding.weight, "U": course.U, "W": course.W, "b": course.b,
                "V": model.head.weight, "b_y": model.head.bias}
    if cell == "gru":
        expected["b_hc"] = course.b_hc
    assert set(weights) == set(expected)
    for name, tensor in expected.items():
        assert weights[name].dtype == np.float32
        np.testing.assert_array_equal(weights[name], tensor.detach().numpy(), err_msg=name)
        assert payload["tensors"][name]["shape"] == list(tensor.shape)
    assert payload["format"] == FORMAT and payload["cell"] == cell
    assert payload["gates"] == list(course.gate_names)
    assert payload["vocab"] == VOCAB.itos and payload["one_hot"] is False


def test_export_one_hot_model_has_no_embedding():
    model = make_model("lstm", embedding_dim=None)
    payload = export_model(model, VOCAB)
    assert payload["one_hot"] is True and "E" not in payload["tensors"]
    assert payload["input_size"] == len(VOCAB)


def test_torch_gru_update_gate_is_converted_to_the_course_convention():
    model = make_model("gru")
    J = model.hidden_size
    U = decode_payload(export_model(model, VOCAB))["U"]
    np.testing.assert_array_equal(U[J:2 * J], -model.core.weight_ih_l0[J:2 * J].detach().numpy())


def test_size_budget_says_the_size():
    model = make_model("lstm", hidden_size=64)
    size = payload_bytes(export_model(model, VOCAB))
    with pytest.raises(ValueError, match=rf"takes {size:,} bytes, over the budget of 1,000"):
        export_model(model, VOCAB, max_bytes=1000)


@pytest.mark.parametrize("call, error, words", [
    (lambda m: export_model(torch.nn.LSTM(3, 4), VOCAB), TypeError, "must be a utils.models.CharLM"),
    (lambda m: export_model(m, VOCAB.itos), TypeError, "must be a utils.data.Vocab"),
    (lambda m: export_model(m, data.Vocab(["a"])), ValueError, "pass the vocabulary it was trained"),
    (lambda m: export_model(m, VOCAB, max_bytes=0), ValueError, "max_bytes must be a positive"),
    (lambda m: export_model(models.CharLM(len(VOCAB), 8, "lstm", num_layers=2), VOCAB),
     ValueError, "one-layer models, got num_layers=2"),
    (lambda m: export_model(models.CharLM(len(VOCAB), 8, "simple_gru"), VOCAB),
     ValueError, "got a CharLM with cell 'simple_gru'"),
    (lambda m: decode_payload("{}"), TypeError, "must be a dict"),
    (lambda m: decode_payload({"format": "x"}), ValueError, "rnn-course-live"),
    (lambda m: text_view(m, VOCAB, 5), TypeError, "text must be a str, got int"),
    (lambda m: text_view(m, VOCAB, "hi", top_k=0), ValueError, "top_k must be a positive"),
    (lambda m: text_view(m, VOCAB, "hi", top_k=999), ValueError, "at most"),
    (lambda m: text_view(m, VOCAB, "hi", temperature=0), ValueError, "temperature must be a positive"),
    (lambda m: text_view(m, VOCAB, "hi", temperature="1"), TypeError, "got str"),
    (lambda m: text_view(m, VOCAB, "hi", bos=1), TypeError, "bos must be True or False"),
    (lambda m: text_view(m, VOCAB, "hello", max_chars=3), ValueError, "more than max_chars=3"),
    (lambda m: text_view(m, VOCAB, "hi", max_chars=10**6), ValueError, "at most"),
    (lambda m: text_view(m, VOCAB, "hi", label=" "), ValueError, "label must name the text box"),
    (lambda m: text_view(m, VOCAB, "hi", label=None), TypeError, "label must be a str"),
])
def test_bad_arguments_say_what_was_expected(call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        call(make_model("rnn"))


def test_non_finite_weights_are_refused():
    model = make_model("rnn")
    with torch.no_grad():
        model.head.bias[0] = float("nan")
    with pytest.raises(ValueError, match="b_y holds NaN"):
        export_model(model, VOCAB)


# --- the HTML ----------------------------------------------------------------------------------
def test_html_is_self_contained_and_escaped():
    view = text_view(make_model("lstm"), VOCAB, "</script><b>", label="Type a line")
    assert isinstance(view, LiveView)
    html = view._repr_html_()
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/|\bsrc=(?!\"data:image/png;base64,)|"
                         r"\bhref=|@import|fetch\(", html)
    assert html.count("<img ") == 1 and 'alt="Heat strip of the hidden state' in html
    assert html.count("<script>") == 1 and html.count("</script>") == 1   # the typed </script> is escaped
    assert "&lt;/script&gt;&lt;b&gt;" in html
    assert 'class="rl-static"' in html and "needs JavaScript" in html
    assert view._repr_html_() != html                                   # fresh ids per call
    assert "runs in Jupyter or on the website" in repr(view)


# --- in the browser ------------------------------------------------------------------------------


def torch_reference(model, ids):
    """PyTorch's numbers on ids (T,): h (T, J) from the model's own core, gates and c from
    the course's cell stepped by hand, probabilities (T, K) from the model's logits."""
    idx = torch.tensor([ids])
    with torch.no_grad():
        logits, _ = model(idx)
        h_model, _ = run_core(model.core, model.embed(idx))
        net = model.core if isinstance(model.core, RecurrentNet) else RecurrentNet.from_torch(model.core)
        cell, xs = net.cells()[0], model.embed(idx)[0]
        state, gates, cs = cell.init_state(1), [], []
        for t in range(len(ids)):
            x_t = xs[t:t + 1]
            gates.append(cell.gates(x_t, state) if hasattr(cell, "gates") else {})
            state = cell.step(x_t, state)
            if model.cell_kind == "lstm":
                cs.append(state[1][0])
    return {"h": h_model[0].numpy(), "probs": torch.softmax(logits[0], -1).numpy(),
            "gates": [{k: v[0].numpy() for k, v in g.items()} for g in gates],
            "c": torch.stack(cs).numpy() if cs else None}


JS_RUN = """([payload, ids]) => {
  const L = window.RNNCourseLive, m = L.load(payload), steps = L.run(m, ids);
  return steps.map(s => ({h: Array.from(s.h), c: s.c ? Array.from(s.c) : null,
    probs: Array.from(L.softmax(s.logits, 1)),
    gates: Object.fromEntries(Object.entries(s.gates).map(([k, v]) => [k, Array.from(v)]))}));
}"""

@pytest.mark.parametrize("cell, backend, embedding_dim", [
    ("rnn", "torch", 8), ("gru", "torch", 8), ("lstm", "torch", 8),
    ("rnn", "scratch", None), ("gru", "scratch", 8), ("lstm", "scratch", None)])
def test_browser_forward_pass_equals_pytorch(browser, cell, backend, embedding_dim):
    model = make_model(cell, backend, embedding_dim=embedding_dim, hidden_size=24, seed=3)
    with torch.no_grad():                        # weights large enough for saturated gates
        for p in model.parameters():
            p.mul_(3)
    view = text_view(model, VOCAB, "x")
    page = open_view(browser, view)
    ids = VOCAB.encode(TEXT)
    js = page.evaluate(JS_RUN, [view.data["payload"], ids])
    ref = torch_reference(model, ids)
    worst = 0.0
    for t, step in enumerate(js):
        for name, got, want in [("h", step["h"], ref["h"][t]), ("probs", step["probs"], ref["probs"][t])] + (
                [("c", step["c"], ref["c"][t])] if cell == "lstm" else []) + [
                (f"gate {k}", step["gates"][k], v) for k, v in ref["gates"][t].items()]:
            diff = float(np.max(np.abs(np.asarray(got) - want)))
            worst = max(worst, diff)
            assert diff < TOL, f"{cell}/{backend} step {t}: {name} differs by {diff:.2e}"
        assert set(step["gates"]) == set(ref["gates"][t])
    assert page.requests == [] and page.errors == []
    print(f"\nparity {cell}/{backend}: largest |JS - PyTorch| = {worst:.2e}")


def test_browser_view_types_shows_and_reports(browser):
    vocab = data.Vocab.from_texts(data.load_shakespeare()[:20000])
    torch.manual_seed(0)        # the size of Chapter 2's live RNN: 128 units, embedding 32
    model = models.CharLM(len(vocab), hidden_size=128, cell="rnn", embedding_dim=32,
                          backend="torch").eval()
    view = text_view(model, vocab, "ROMEO:\n", max_chars=120)
    page = open_view(browser, view)
    root = page.locator(".rnn-live")
    assert root.locator(".rl-static").is_hidden() and root.locator(".rl-live").is_visible()
    box = page.get_by_label("Type any text")                          # labelled
    box.focus()
    box.press("Control+End")                                          # the end of the text
    page.keyboard.type("What light", delay=0)
    assert box.input_value() == "ROMEO:\nWhat light"
    assert root.locator("ol li").count() == 5
    assert "Likeliest next" in root.locator("[role=status]").text_content()
    assert "What light" in root.locator(".rl-cursor").text_content()
    # the list is the model's own top five at the cursor, and the arrow keys move the cursor
    ids = vocab.encode("ROMEO:\nWhat light")
    with torch.no_grad():
        p = torch.softmax(model(torch.tensor([ids]))[0][0, -1], -1)
    top = [vocab.itos[i] for i in p.topk(5).indices.tolist()]
    shown = [t.replace("\u2423", " ").replace("\u21b5", "\n")
             for t in root.locator(".rl-tok").all_text_contents()]
    assert shown == top
    box.press("ArrowLeft")
    box.press("ArrowLeft")
    assert root.locator(".rl-cursor").text_content().endswith("What lig\u201d:")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px: {width}"
    # the time per keystroke with a full box (120 characters), forward pass and drawing:
    # typing at the end (the view reruns the last step only) and editing the first
    # character (it reruns all 120 steps)
    times = page.evaluate("""() => {
      const box = document.querySelector('.rnn-live textarea'), out = {end: [], start: []};
      box.value = 'x'.repeat(120);
      box.dispatchEvent(new Event('input'));
      for (let i = 0; i < 20; i++) {
        const letter = String.fromCharCode(97 + i % 26);
        for (const where of ['end', 'start']) {
          box.value = where === 'end' ? box.value.slice(0, 119) + letter : letter + box.value.slice(1);
          box.setSelectionRange(120, 120);
          const t0 = performance.now();
          box.dispatchEvent(new Event('input'));
          out[where].push(performance.now() - t0);
        }
      }
      return out;
    }""")
    end, start = (float(np.median(times[k])) for k in ("end", "start"))
    print(f"\nkeystroke, 120 characters, RNN of 128 units (median of 20): typing at the end "
          f"{end:.1f} ms, editing the first character {start:.1f} ms; payload "
          f"{view.payload_bytes:,} bytes")
    # a measurement, reported (not asserted: tests must not depend on the machine's speed)
    assert len(times["end"]) == len(times["start"]) == 20
    assert page.requests == [] and page.errors == []


def test_without_javascript_the_static_face_stays(browser):
    view = text_view(make_model("gru"), VOCAB, "hi")
    context = browser.new_context(viewport={"width": 360, "height": 600}, java_script_enabled=False)
    page = context.new_page()
    page.set_content("<!doctype html><meta charset=utf-8><body>" + view._repr_html_() + "</body>")
    static = page.locator(".rl-static")
    assert static.is_visible() and "GRU of 16 units" in static.text_content()
    assert page.locator(".rl-live").is_hidden()
    context.close()


def test_a_model_of_whole_sequences_predicts_after_bos(browser):
    model = make_model("lstm")
    view = text_view(model, VOCAB, "", bos=True, top_k=3)
    page = open_view(browser, view)
    root = page.locator(".rnn-live")
    assert "after <BOS>" in root.locator(".rl-cursor").text_content()
    assert root.locator("ol li").count() == 3
    with torch.no_grad():
        p = torch.softmax(model(torch.tensor([[VOCAB.bos_id]]))[0][0, -1], -1)
    pct = root.locator(".rl-pct").first.text_content()
    assert pct == f"{100 * float(p.max()):.1f}%"
    assert page.requests == [] and page.errors == []


def test_float16_export_halves_the_weights_and_keeps_rounded_ones_exact():
    model = make_model("lstm", hidden_size=32)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())            # as checkpoints.round_weights leaves them
    wide, half = export_model(model, VOCAB), export_model(model, VOCAB, dtype="float16")
    assert payload_bytes(half) < 0.6 * payload_bytes(wide)
    for name, a in decode_payload(half).items():
        np.testing.assert_array_equal(a, decode_payload(wide)[name], err_msg=name)
    with pytest.raises(ValueError, match="dtype must be one of"):
        export_model(model, VOCAB, dtype="int8")
    with torch.no_grad():
        model.head.weight[0, 0] = 0.1            # not a float16 number
    with pytest.raises(ValueError, match="V is not: round the model first"):
        export_model(model, VOCAB, dtype="float16")


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_view_checks_itself_against_pytorch_and_says_so(browser, dtype):
    model = make_model("gru", hidden_size=24, seed=5)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
    view = text_view(model, VOCAB, "ROMEO:\nWhat light", dtype=dtype)
    page = open_view(browser, view)
    parity = read_parity(page)
    assert parity["compared"] == len("ROMEO:\nWhat light") * (24 + len(VOCAB))
    assert parity["maxDiff"] < PARITY_TOLERANCE
    line = page.locator(".rl-parity").text_content()
    assert "Checked in your browser against PyTorch" in line and "please report" not in line
    assert page.requests == [] and page.errors == []


def test_a_wrong_reference_is_reported_to_the_reader(browser):
    view = text_view(make_model("rnn"), VOCAB, "hello")
    view.reference["text"] = "hellp"             # PyTorch's numbers for another text
    page = open_view(browser, view)
    parity = read_parity(page)
    assert parity["maxDiff"] > PARITY_TOLERANCE
    assert "please report it" in page.locator(".rl-parity").text_content()


def test_a_view_that_fails_keeps_its_static_face(browser):
    view = LiveView("broken", "A view whose script fails.", "<p>live</p>",
                    "throw new Error('the view failed');", {}, reference=None)
    page = open_view(browser, view)
    assert page.locator(".rl-static").is_visible() and page.locator(".rl-live").is_hidden()
    assert page.locator(".rnn-live").get_attribute("data-ready") is None
    assert any("the view failed" in e for e in page.errors)
