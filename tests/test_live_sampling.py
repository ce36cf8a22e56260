"""utils.live.sampling: the sampling view and its Python twin.

The page and Python must write the same text for the same prompt, temperature, seed and
length: the tests compare the generator's numbers, the sampled ids (exactly) and the
probabilities (numpy float64 against PyTorch float32, within 1e-5) on several cells, then
drive the view with the keyboard in headless Chromium (skipped where Chromium or
Playwright is missing). Times are printed, never asserted.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch

from utils import checkpoints, data, models
from utils.live import PARITY_TOLERANCE, LiveView, export_model
from utils.live.sampling import (MAX_PROMPT_CHARS, mulberry32, random_numbers, sample_text,
                                 sample_trace, sample_view, torch_probabilities)
from live_pages import open_view, read_parity

VOCAB = data.Vocab.from_texts("ROMEO:\nwhat light through yonder window breaks?\n"
                              "It is the east, and Juliet is the sun.")
TOL = 1e-5
# (cell, backend, embedding_dim): one-hot and embedding inputs, torch and the course's cells
MODELS = [("rnn", "torch", 8), ("gru", "torch", 8), ("lstm", "torch", 8),
          ("rnn", "scratch", None), ("gru", "scratch", None), ("lstm", "torch", None)]


def make_model(cell: str, backend: str = "torch", embedding_dim=8, hidden_size=24, seed=3,
               scale=2.0, half=False):
    torch.manual_seed(seed)
    model = models.CharLM(len(VOCAB), hidden_size=hidden_size, cell=cell,
                          embedding_dim=embedding_dim, backend=backend).eval()
    # larger weights: peaked, varied distributions. (Times 3, PyTorch's float32 logits of the
    # one-hot scratch RNN are large enough that at tau = 0.3 their rounding, divided by tau,
    # moves its probabilities by 1.6e-5 from float64's: the reference, not the page, is off.)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(scale)
            if half:
                p.copy_(p.half().float())        # as checkpoints.round_weights leaves them
    return model


# --- the generator and the numpy twin ------------------------------------------------------------
def test_mulberry32_is_the_published_generator():
    # the first numbers (times 2**32) of mulberry32 as published (bryc's JavaScript, run in
    # Chromium: CANONICAL below), for seeds 0, 1 and 42
    first = [[round(u * 2**32) for u in random_numbers(s, 3)] for s in (0, 1, 42)]
    assert first == [[1144304738, 1416247, 958946056], [2693262067, 11749833, 2265367787],
                     [2581720956, 1925393290, 3661312704]]
    assert all(0 <= u < 1 for u in random_numbers(2**32 - 1, 1000))
    assert random_numbers(7, 5) == [next(g) for g in [mulberry32(7)] for _ in range(5)]


@pytest.mark.parametrize("cell, backend, embedding_dim", MODELS)
def test_numpy_float64_probabilities_equal_pytorch(cell, backend, embedding_dim):
    model = make_model(cell, backend, embedding_dim)
    for tau, seed in [(1.0, 0), (0.5, 1), (1.7, 2)]:
        ids, probs = sample_trace(model, VOCAB, "ROMEO:\nWhat ligh", tau, seed, 60)
        assert len(ids) == 60 and probs.shape == (60, len(VOCAB)) and probs.dtype == np.float64
        theirs = torch_probabilities(model, VOCAB, "ROMEO:\nWhat ligh", ids, tau).double().numpy()
        diff = float(np.abs(probs - theirs).max())
        assert diff < TOL, f"{cell}: numpy and PyTorch differ by {diff:.2e} at tau {tau}"
        banned = [VOCAB.pad_id, VOCAB.bos_id, VOCAB.eos_id, VOCAB.unk_id]
        assert (probs[:, banned] == 0).all() and not set(ids) & set(banned)
        np.testing.assert_allclose(probs.sum(1), 1, atol=1e-12)


def test_sampling_follows_the_distribution_and_the_settings():
    model = make_model("gru", scale=1.0)
    a = sample_text(model, VOCAB, "ROMEO:\n", 1.0, 5, 300)
    assert a == sample_text(export_model(model, VOCAB), VOCAB, "ROMEO:\n", 1.0, 5, 300)
    assert len(a) == 300 and a != sample_text(model, VOCAB, "ROMEO:\n", 1.0, 6, 300)
    assert sample_text(model, VOCAB, "ROMEO:\n", 1.0, 5, 50) == a[:50]     # a prefix
    # a tiny temperature is greedy decoding: the argmax at every step, whatever the seed
    cold = [sample_text(model, VOCAB, "ROMEO:\n", 0.001, s, 40) for s in (0, 1, 2)]
    assert cold[0] == cold[1] == cold[2]
    ids, probs = sample_trace(model, VOCAB, "ROMEO:\n", 0.001, 0, 40)
    assert ids == probs.argmax(1).tolist()
    # the drawn tokens follow the distribution: mean p of the drawn token vs E[p] under p
    ids, probs = sample_trace(model, VOCAB, "ROMEO:\n", 1.0, 11, 1000)
    drawn = probs[np.arange(len(ids)), ids].mean()
    expected = (probs ** 2).sum(1).mean()
    assert abs(drawn - expected) < 0.05, (drawn, expected)


def test_unknown_characters_read_as_unk_and_bos_models_can_stop():
    model = make_model("lstm")
    # 'Z', 'q', '~' and an emoji are not in the vocabulary: each one <UNK>, as vocab.encode does
    ids, probs = sample_trace(model, VOCAB, "ROMEO: Zq~\U0001F600", 1.0, 0, 5)
    ref = torch_probabilities(model, VOCAB, "ROMEO: Zq~\U0001F600", ids, 1.0)
    assert VOCAB.encode("ROMEO: Zq~\U0001F600").count(VOCAB.unk_id) == 4
    assert float(np.abs(probs - ref.double().numpy()).max()) < TOL
    # bos=True with stop_at_eos: <EOS> may end the text early (a model whose <EOS> is likely)
    with torch.no_grad():
        model.head.bias[VOCAB.eos_id] += 4
    lengths = [len(sample_text(model, VOCAB, "", 1.0, s, 100, bos=True, stop_at_eos=True))
               for s in range(10)]
    assert min(lengths) < 100
    ids, probs = sample_trace(model, VOCAB, "", 1.0, 0, 100, bos=True, stop_at_eos=True)
    assert probs[:, VOCAB.eos_id].min() > 0 and len(probs) == len(ids) + (len(ids) < 100)


@pytest.mark.parametrize("call, error, words", [
    (lambda m: sample_text(m, VOCAB, "", 1.0, 0, 10), ValueError, "with bos=False the first input"),
    (lambda m: sample_text(m, VOCAB, 5, 1.0, 0, 10), TypeError, "prompt must be a str, got int"),
    (lambda m: sample_text(m, VOCAB, "x" * (MAX_PROMPT_CHARS + 1)), ValueError, "more than 200"),
    (lambda m: sample_text(m, VOCAB, "a", 0, 0, 10), ValueError, "temperature must be a finite positive"),
    (lambda m: sample_text(m, VOCAB, "a", "1", 0, 10), TypeError, "temperature must be a positive number, got str"),
    (lambda m: sample_text(m, VOCAB, "a", 1.0, -1, 10), ValueError, "seed must be an integer in [0, 2**32)"),
    (lambda m: sample_text(m, VOCAB, "a", 1.0, 2**32, 10), ValueError, "seed must be an integer in [0, 2**32)"),
    (lambda m: sample_text(m, VOCAB, "a", 1.0, 1.5, 10), TypeError, "seed must be an integer"),
    (lambda m: sample_text(m, VOCAB, "a", 1.0, 0, 0), ValueError, "length must be a positive integer"),
    (lambda m: sample_text(m, VOCAB, "a", 1.0, 0, 10**6), ValueError, "at most 1,000"),
    (lambda m: sample_text(m, VOCAB, "a", bos=1), TypeError, "bos must be True or False"),
    (lambda m: sample_text(m, VOCAB.itos, "a"), TypeError, "vocab must be a utils.data.Vocab"),
    (lambda m: sample_text("model", VOCAB, "a"), TypeError, "source must be a payload"),
    (lambda m: sample_text(export_model(m, VOCAB), data.Vocab(list("ab")), "a"), ValueError,
     "not the payload's vocabulary"),
    (lambda m: sample_view(m, VOCAB, temperature=0.83), ValueError, "temperature must be on the slider"),
    (lambda m: sample_view(m, VOCAB, temperature=3.0), ValueError, "0.1 to 2.0 in steps of 0.05"),
    (lambda m: sample_view(m, VOCAB, label=" "), ValueError, "label must name the prompt box"),
    (lambda m: sample_view(m, VOCAB, label=None), TypeError, "label must be a str"),
    (lambda m: sample_view(m, VOCAB, max_bytes=1000), ValueError, "over the budget of 1,000"),
    (lambda m: sample_view(m, VOCAB, stop_at_eos="no"), TypeError, "stop_at_eos must be True or False"),
    (lambda m: random_numbers(0, 0), ValueError, "n must be a positive integer"),
])
def test_bad_arguments_say_what_was_expected(call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        call(make_model("rnn"))


def test_html_is_self_contained_escaped_and_described():
    view = sample_view(make_model("lstm"), VOCAB, "</script>R", temperature=1.0, seed=4,
                       length=30)
    assert isinstance(view, LiveView) and view.kind == "sample"
    html = view._repr_html_()
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/|\bsrc=(?!\"data:image/png;base64,)|"
                         r"\bhref=|@import|fetch\(", html)
    assert html.count("<script>") == 1 and html.count("</script>") == 1
    assert "&lt;/script&gt;R" in html
    text = sample_text(make_model("lstm"), VOCAB, "</script>R", 1.0, 4, 30)
    alt = view.static[1]
    assert "LSTM of 24 units" in alt and "30 characters" in alt and "seed 4" in alt
    assert alt.endswith(text)
    assert view.reference["ids"] == VOCAB.encode(text)
    assert view.payload_bytes > 0


# --- in the browser ------------------------------------------------------------------------------


JS_SAMPLE = """(settings) => {
  const s = document.querySelector('.rnn-live').rnnLiveSampler;
  return settings.map(o => s.sample(o));
}"""


@pytest.mark.parametrize("cell, backend, embedding_dim", MODELS)
def test_browser_writes_the_text_python_writes(browser, cell, backend, embedding_dim):
    model = make_model(cell, backend, embedding_dim)
    view = sample_view(model, VOCAB, "ROMEO:\nWhat", temperature=1.0, seed=0, length=80)
    page = open_view(browser, view)
    grid = [("ROMEO:\nWhat", tau, seed) for tau in (0.3, 1.0, 1.9) for seed in (0, 1, 123456789)]
    grid += [("It is the Zun~\U0001F600", 1.0, 2**32 - 1)]                # unknown characters
    settings = [{"prompt": p, "tau": tau, "seed": seed, "length": 80, "bos": False,
                 "stop": False, "keep": [0, 40, 79]} for p, tau, seed in grid]
    got = page.evaluate(JS_SAMPLE, settings)
    worst = twin = 0.0
    for (prompt, tau, seed), js in zip(grid, got):
        ids, probs = sample_trace(view.data["payload"], VOCAB, prompt, tau, seed, 80)
        assert js["ids"] == ids, f"{cell}: tau {tau} seed {seed}: the page wrote another text"
        theirs = torch_probabilities(model, VOCAB, prompt, ids, tau).numpy()
        for step, p in js["probs"]:
            worst = max(worst, float(np.abs(np.asarray(p) - theirs[step]).max()))
            twin = max(twin, float(np.abs(np.asarray(p) - probs[step]).max()))
    assert worst < TOL, f"{cell}: page vs PyTorch probabilities differ by {worst:.2e}"
    assert twin < 1e-12, f"{cell}: page vs numpy float64 differ by {twin:.2e}"
    parity = read_parity(page)
    assert parity["maxDiff"] <= PARITY_TOLERANCE and parity["compared"] > 80
    assert page.requests == [] and page.errors == []
    print(f"\nsampling parity {cell}/{backend}/{'one-hot' if embedding_dim is None else 'emb'}: "
          f"{len(grid)} texts identical, largest |p page - p PyTorch| = {worst:.2e}, "
          f"|p page - p numpy| = {twin:.1e}")


CANONICAL = """function (a) {          // mulberry32 as published (bryc), for comparison
  return function () {
    var t = a += 0x6D2B79F5;
    t = Math.imul(t ^ t >>> 15, t | 1);
    t ^= t + Math.imul(t ^ t >>> 7, t | 61);
    return ((t ^ t >>> 14) >>> 0) / 4294967296;
  };
}"""


def test_browser_generator_equals_pythons(browser):
    page = open_view(browser, sample_view(make_model("rnn"), VOCAB, "a", length=5))
    seeds = [0, 1, 42, 2**31 - 1, 2**31, 2**32 - 1]
    got = page.evaluate("""(seeds) => {
      const canonical = (""" + CANONICAL + """);
      return seeds.map(s => {
        const g = document.querySelector('.rnn-live').rnnLiveSampler.mulberry32(s),
              c = canonical(s), out = [[], []];
        for (let i = 0; i < 50; i++) { out[0].push(g()); out[1].push(c()); }
        return out;
      });
    }""", seeds)
    for seed, (page_numbers, canonical) in zip(seeds, got):
        assert page_numbers == canonical == random_numbers(seed, 50), f"seed {seed}"


@pytest.mark.parametrize("bos", [False, True])
def test_browser_float16_model_and_bos_model(browser, bos):
    model = make_model("lstm", hidden_size=32, half=True)
    if bos:
        with torch.no_grad():
            model.head.bias[VOCAB.eos_id] += 4             # <EOS> likely: texts end early
    view = sample_view(model, VOCAB, "" if bos else "ROMEO:\n", temperature=1.2, seed=9,
                       length=100, bos=bos, stop_at_eos=bos, dtype="float16")
    assert view.data["payload"]["tensors"]["W"]["dtype"] == "float16"
    page = open_view(browser, view)
    settings = [{"prompt": "" if bos else "ROMEO:\n", "tau": 1.2, "seed": s, "length": 100,
                 "bos": bos, "stop": bos, "keep": []} for s in range(6)]
    for s, js in zip(range(6), page.evaluate(JS_SAMPLE, settings)):
        ids, _ = sample_trace(view.data["payload"], VOCAB, settings[0]["prompt"], 1.2, s, 100,
                              bos=bos, stop_at_eos=bos)
        assert js["ids"] == ids
    shown = page.locator(".rl-gen").text_content()
    assert shown == "".join(VOCAB.itos[i] for i in view.reference["ids"])
    parity = read_parity(page)
    assert parity["maxDiff"] <= PARITY_TOLERANCE
    assert page.requests == [] and page.errors == []


def test_browser_keyboard_generates_and_reports(browser):
    model = make_model("lstm", hidden_size=48)
    view = sample_view(model, VOCAB, "ROMEO:\n", temperature=0.8, seed=1, length=200)
    page = open_view(browser, view)
    root = page.locator(".rnn-live")
    assert root.locator(".rl-static").is_hidden() and root.locator(".rl-live").is_visible()
    first = sample_text(model, VOCAB, "ROMEO:\n", 0.8, 1, 200)
    assert root.locator(".rl-gen").text_content() == first                 # the first state
    assert root.locator(".rl-prompt").text_content() == "ROMEO:\n"
    assert "Generated 200 characters at temperature 0.80, seed 1" in \
        root.locator("[role=status]").text_content()
    # keyboard only: the prompt box, Tab to the slider, arrows, Tab to the seed, Enter
    box = page.get_by_label("Prompt")
    box.focus()
    box.press("Control+End")
    page.keyboard.type("What", delay=0)
    page.keyboard.press("Tab")
    slider = page.get_by_label("Temperature")
    assert slider.evaluate("el => el === document.activeElement")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    assert slider.input_value() == "0.85" and root.locator("output").text_content() == "0.85"
    slider_ms = root.get_attribute("data-ms")                      # the last arrow key
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("7", delay=0)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")                                               # to Generate
    assert page.evaluate("document.activeElement.textContent") == "Generate"
    page.keyboard.press("Enter")
    page.wait_for_function("!document.querySelector('.rnn-live').hasAttribute('data-busy')")
    enter_ms, per_char = root.get_attribute("data-ms"), root.get_attribute("data-ms-per-char")
    want = sample_text(model, VOCAB, "ROMEO:\nWhat", 0.85, 7, 200)
    assert root.locator(".rl-gen").text_content() == want
    assert root.locator(".rl-prompt").text_content() == "ROMEO:\nWhat"
    status = root.locator("[role=status]").text_content()
    assert status.startswith("Generated 200 characters at temperature 0.85, seed 7.")
    # Enter in the seed box generates; Ctrl+Enter in the prompt box too; a length of 50
    page.get_by_label("Characters").select_option("50")
    seed = page.get_by_label("Seed")
    seed.fill("8")
    seed.press("Enter")
    page.wait_for_function("document.querySelector('.rnn-live').getAttribute('data-generated') === '50'")
    assert root.locator(".rl-gen").text_content() == sample_text(model, VOCAB, "ROMEO:\nWhat", 0.85, 8, 50)
    box.press("Control+Enter")
    page.wait_for_function("!document.querySelector('.rnn-live').hasAttribute('data-busy')")
    assert box.input_value() == "ROMEO:\nWhat"                              # no line break typed
    # problems are said, not thrown
    box.fill("")
    seed.press("Enter")
    assert "Type a prompt first" in root.locator("[role=status]").text_content()
    box.fill("ROMEO:\n")
    seed.fill("")
    seed.press("Enter")
    assert "seed must be a whole number" in root.locator("[role=status]").text_content()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px: {width}"
    print(f"\nsampling view, LSTM of 48 units: arrow key on the slider {slider_ms} ms; Enter on "
          f"Generate {enter_ms} ms (until the first slice is written); {per_char} ms per "
          "generated character (200 characters)")
    assert page.requests == [] and page.errors == []


def test_browser_a_new_generation_cancels_the_running_one(browser):
    model = make_model("gru", hidden_size=64)
    view = sample_view(model, VOCAB, "ROMEO:\n", length=1000)
    page = open_view(browser, view)
    page.evaluate("""() => {                   // two clicks in a row: only the second one writes
      const root = document.querySelector('.rnn-live'), seed = root.querySelector('input[type=number]');
      seed.value = '3'; root.querySelector('.rl-go').click();
      seed.value = '4'; root.querySelector('.rl-go').click();
    }""")
    page.wait_for_function("!document.querySelector('.rnn-live').hasAttribute('data-busy')")
    assert page.locator(".rl-gen").text_content() == sample_text(model, VOCAB, "ROMEO:\n", 0.8, 4, 1000)
    assert page.errors == []


def test_a_wrong_reference_is_reported_to_the_reader(browser):
    view = sample_view(make_model("rnn"), VOCAB, "ROMEO:\n", length=40)
    ids = view.reference["ids"]                  # Python's text with its last character changed
    ids[-1] = 4 if ids[-1] != 4 else 5
    page = open_view(browser, view)
    parity = read_parity(page)
    assert parity["maxDiff"] >= 1
    assert "please report it" in page.locator(".rl-parity").text_content()


def test_without_javascript_the_static_face_stays(browser):
    view = sample_view(make_model("gru"), VOCAB, "ROMEO:\n", length=60, seed=2)
    context = browser.new_context(viewport={"width": 360, "height": 600}, java_script_enabled=False)
    page = context.new_page()
    page.set_content("<!doctype html><meta charset=utf-8><body>" + view._repr_html_() + "</body>")
    static = page.locator(".rl-static")
    assert static.is_visible() and "GRU of 24 units" in static.text_content()
    alt = static.locator("img").get_attribute("alt")
    assert alt.endswith(sample_text(make_model("gru"), VOCAB, "ROMEO:\n", 0.8, 2, 60))
    assert page.locator(".rl-live").is_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()


def test_browser_shipped_lstm_time_per_character(browser):
    """The chapter's model: the shipped LSTM (float16 weights). Payload bytes and the time
    per generated character in the page are printed (not asserted)."""
    ckpt = checkpoints.load_checkpoint(checkpoints.CHECKPOINT_DIR / "shakespeare_lstm.pt",
                                       device="cpu")
    train_text, _ = data.split_contiguous(data.load_shakespeare(), val_fraction=0.1)
    vocab = data.Vocab.from_texts(train_text)
    view = sample_view(ckpt.model, vocab, "ROMEO:\n", length=200, max_bytes=3_500_000,
                       dtype="float16")
    page = open_view(browser, view)
    root = page.locator(".rnn-live")
    parity = json.loads(root.get_attribute("data-parity"))
    assert parity["maxDiff"] <= PARITY_TOLERANCE
    assert root.locator(".rl-gen").text_content() == sample_text(
        view.data["payload"], vocab, "ROMEO:\n", 0.8, 1, 200)
    page.get_by_label("Characters").select_option("500")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_function("document.querySelector('.rnn-live').getAttribute('data-generated') === '500'")
    print(f"\nshipped LSTM (512 units): payload {view.payload_bytes:,} bytes, page HTML "
          f"{len(view._repr_html_().encode()):,} bytes; {root.get_attribute('data-ms-per-char')} "
          "ms per generated character in Chromium (500 characters)")
    assert page.requests == [] and page.errors == []
