"""utils.live.gradients: Chapter 3's gradient view (drag the spectral radius, pick the activation).

The page's gradient norms ||dL_T/dh_t|| are compared with ``gradients.gradient_norms_over_time``
(float64, PyTorch's autograd) as relative differences |page / Python - 1|: the norms span
dozens of orders of magnitude (1e-31 to 1e28 over the slider), so an absolute difference
would say nothing about the small ones and be rounding noise on the large ones. The browser
tests open the view's raw HTML in headless Chromium (every request recorded: none allowed)
and are skipped where Chromium or Playwright is missing.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from utils import gradients
from utils.live import PARITY_TOLERANCE, LiveView
from utils.live.gradients import (ACTIVATIONS, MAX_HIDDEN, _cell, _summary, gradient_view)
from live_pages import open_view, read_parity

TOL = 1e-5


def make_inputs(B=4, T=40, D=5, seed=1):
    return torch.randn(B, T, D, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope="module")
def small_view():
    return gradient_view(make_inputs(), hidden_size=24, seed=2, radius=0.9)


def python_norms(view: LiveView, radius: float, activation: str) -> np.ndarray:
    """utils.gradients' norms for the view's own (float32) weights and inputs, in float64."""
    from utils.live.export import decode_tensor
    d = view.data
    W1, U, xs = (torch.from_numpy(decode_tensor(d[k]).astype(np.float64)) for k in ("W1", "U", "x"))
    return gradients.gradient_norms_over_time(_cell(W1, U, radius, activation), xs)


# --- Python side -------------------------------------------------------------------------------
@pytest.mark.parametrize("call, error, words", [
    (lambda: gradient_view(make_inputs().numpy()), TypeError, "inputs must be a torch.Tensor"),
    (lambda: gradient_view(torch.zeros(2, 5, 3, dtype=torch.long)), TypeError, "floating-point"),
    (lambda: gradient_view(make_inputs()[0]), ValueError, "inputs must be 3-D"),
    (lambda: gradient_view(make_inputs(T=2)), ValueError, "at least 3 steps"),
    (lambda: gradient_view(make_inputs(B=100, T=100, D=8)), ValueError, "more than the 20,000"),
    (lambda: gradient_view(make_inputs() * float("nan")), ValueError, "finite numbers"),
    (lambda: gradient_view(make_inputs(), hidden_size=0), ValueError, "hidden_size must be a positive"),
    (lambda: gradient_view(make_inputs(), hidden_size=MAX_HIDDEN + 1), ValueError, "at most 128"),
    (lambda: gradient_view(make_inputs(), seed=-1), ValueError, "seed must be a non-negative"),
    (lambda: gradient_view(make_inputs(), activation="sigmoid"), ValueError,
     "activation must be one of 'tanh', 'linear', 'relu', got 'sigmoid'"),
    (lambda: gradient_view(make_inputs(), activations="tanh"), TypeError, "activations must be a non-empty tuple"),
    (lambda: gradient_view(make_inputs(), activations=("tanh", "tanh")), ValueError, "must not repeat"),
    (lambda: gradient_view(make_inputs(), activation="relu", activations=("tanh", "linear")),
     ValueError, "activation must be one of 'tanh', 'linear', got 'relu'"),
    (lambda: gradient_view(make_inputs(), radius="1"), TypeError, "radius must be a number"),
    (lambda: gradient_view(make_inputs(), radius=-1.0), ValueError, "positive, finite spectral radius"),
    (lambda: gradient_view(make_inputs(), radius=0.905), ValueError, "must be a slider position"),
    (lambda: gradient_view(make_inputs(), radius=4.0), ValueError, "must be a slider position"),
    (lambda: gradient_view(make_inputs(), radii=(0.5, 3.0)), TypeError, "(lowest, highest, step)"),
    (lambda: gradient_view(make_inputs(), radii=(3.0, 0.5, 0.01)), ValueError, "must go up"),
    (lambda: gradient_view(make_inputs(), radii=(0.5, 3.0, 0.0001)), ValueError, "at most 1000 steps"),
    (lambda: gradient_view(make_inputs(), reference_radii=()), TypeError, "reference_radii must be"),
    (lambda: gradient_view(make_inputs(), reference_radii=(1.0, 0)), ValueError, "each reference radius"),
])
def test_bad_arguments_say_what_was_expected(call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        call()


def test_the_view_measures_what_the_chapter_measures():
    """Its W is random_rnn_cell's (same seed, radius 1) and its reference is
    gradient_norms_over_time's: the float32 rounding of the exported numbers changes the
    norms of the chapter's own float64 cell by far less than 1e-5 where they are not chaotic."""
    inputs = make_inputs(B=3, T=30, D=8)
    view = gradient_view(inputs, hidden_size=32, seed=0, reference_radii=(0.5, 1.0))
    ref = view.reference
    for i, radius in enumerate(ref["radii"]):
        for a, activation in enumerate(ref["activations"]):
            cell = gradients.random_rnn_cell(32, 8, radius=radius, activation=activation, seed=0)
            own = gradients.gradient_norms_over_time(cell, inputs)
            assert np.max(np.abs(np.asarray(ref["norms"][i][a]) / own - 1)) < 1e-5, (radius, activation)
            np.testing.assert_array_equal(ref["norms"][i][a], python_norms(view, radius, activation))


def test_html_is_self_contained_and_sized(small_view):
    html = small_view._repr_html_()
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/|\bsrc=(?!\"data:image/png;base64,)|"
                         r"\bhref=|@import|fetch\(", html)
    assert html.count("<img ") == 1 and html.count("<script>") == 1
    alt = small_view.static[1]
    assert "tanh unit of 24 hidden units" in alt and "\u03c1^k" in alt
    assert "\u03c1 = 0.90, tanh: the gradient falls to 1e-3 of its size after" in alt
    assert 'type="range"' in html and html.count('type="radio"') == 3 and 'role="status"' in html
    assert small_view.payload_bytes < 60_000
    print(f"\npayload of the small view: {small_view.payload_bytes:,} bytes")


# --- in the browser ----------------------------------------------------------------------------


def page_norms(page, radius, activation):
    return np.array(page.evaluate("([r, a]) => document.querySelector('.rnn-live')"
                                  ".rnnGradientNorms(r, a)", [radius, activation]))


def test_view_checks_itself_and_says_so(browser, small_view):
    page = open_view(browser, small_view)
    parity = read_parity(page)
    assert parity["compared"] == 5 * 3 * 40
    assert parity["maxDiff"] <= PARITY_TOLERANCE
    assert "relative differences" in parity["what"]
    line = page.locator(".rl-parity").text_content()
    assert "Checked in your browser" in line and "please report" not in line
    assert page.requests == [] and page.errors == []
    print(f"\nparity of the small view: largest relative difference {parity['maxDiff']:.1e}")


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_page_norms_equal_python_at_radii_off_the_reference(browser, small_view, activation):
    page = open_view(browser, small_view)
    worst = 0.0
    for radius in (0.63, 0.97, 1.27, 2.2, 2.95):        # above 1 the linear norms reach 1e13
        want = python_norms(small_view, radius, activation)
        got = page_norms(page, radius, activation)
        assert got.shape == want.shape and np.all(want > 0)
        diff = float(np.max(np.abs(got / want - 1)))
        worst = max(worst, diff)
        assert diff <= TOL, f"{activation} at rho {radius}: relative difference {diff:.1e}"
    if activation == "linear":
        assert want[0] > 1e10                               # a norm that has grown large
    assert page.requests == [] and page.errors == []
    print(f"\n{activation}: largest relative |page / Python - 1| = {worst:.1e}")


def test_a_wrong_reference_is_reported(browser):
    view = gradient_view(make_inputs(), hidden_size=24, seed=2, reference_radii=(1.0,))
    view.reference["radii"] = [1.01]                    # Python's numbers for another radius
    page = open_view(browser, view)
    parity = read_parity(page)
    assert parity["maxDiff"] > PARITY_TOLERANCE
    assert "please report it" in page.locator(".rl-parity").text_content()


def canvas_image(page):
    return page.evaluate("document.querySelector('.rnn-live canvas').toDataURL()")


def test_keyboard_drags_the_radius_and_picks_the_activation(browser, small_view):
    page = open_view(browser, small_view)
    root, status = page.locator(".rnn-live"), page.locator("[role=status]")
    slider = page.get_by_label("Spectral radius \u03c1(W)")
    assert status.text_content() == _summary(python_norms(small_view, 0.9, "tanh"), 0.9, "tanh")
    page.keyboard.press("Tab")                               # the slider is the first stop
    assert page.evaluate("document.activeElement.type") == "range"
    before = canvas_image(page)
    times = []
    for key, value in [("ArrowRight", "0.91"), ("ArrowRight", "0.92"), ("ArrowLeft", "0.91"),
                       ("End", "3.00"), ("Home", "0.50"), ("ArrowUp", "0.51")]:
        slider.press(key)
        assert root.locator("output").text_content() == value, key
        assert status.text_content().startswith(f"\u03c1 = {value}, tanh:"), key
        times.append(float(root.get_attribute("data-ms")))
    after = canvas_image(page)
    assert after != before                                   # redrawn
    want = _summary(python_norms(small_view, 0.51, "tanh"), 0.51, "tanh")
    assert status.text_content() == want
    slider.press("End")
    assert "grows to 1e3 times its size" in status.text_content()
    # Tab to the activation: the checked radio; the arrows pick the next one
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.value") == "tanh"
    page.keyboard.press("ArrowRight")
    assert page.get_by_label("linear (identity)").is_checked()
    assert status.text_content() == _summary(python_norms(small_view, 3.0, "linear"), 3.0, "linear")
    page.keyboard.press("ArrowRight")
    assert page.get_by_label("ReLU").is_checked()
    assert status.text_content().startswith("\u03c1 = 3.00, ReLU:")
    assert canvas_image(page) != after
    assert page.requests == [] and page.errors == []
    print(f"\nsmall view (24 units, 4 x 40 steps), time per key: "
          + ", ".join(f"{t:.1f}" for t in times) + " ms")


def test_the_chapter_size_fits_a_phone_and_reports_its_time(browser):
    """Chapter 3's measurement (64 units, 32 sequences of 60 steps): 360 px wide, the canvas
    as wide as its box, and the time of a drag step, printed (never asserted)."""
    inputs = torch.randn(32, 60, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    view = gradient_view(inputs, hidden_size=64, seed=0, radius=0.9)
    page = open_view(browser, view)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box, canvas = (page.evaluate(f"document.querySelector('.rnn-live {sel}').getBoundingClientRect().width")
                   for sel in (".rl-grad-plot", "canvas"))
    assert 200 < canvas <= box + 0.5
    slider = page.get_by_label("Spectral radius \u03c1(W)")
    slider.focus()
    times = []
    for _ in range(20):
        slider.press("ArrowRight")
        times.append(float(page.locator(".rnn-live").get_attribute("data-ms")))
    assert page.locator("output").text_content() == "1.10"
    page.set_viewport_size({"width": 900, "height": 900})   # the canvas follows its box
    page.wait_for_function("document.querySelector('.rnn-live canvas')"
                           ".getBoundingClientRect().width > 400")
    parity = read_parity(page)
    assert parity["maxDiff"] <= PARITY_TOLERANCE
    assert page.requests == [] and page.errors == []
    print(f"\nchapter-size view (64 units, 32 x 60 steps): drag step median "
          f"{np.median(times):.1f} ms, max {max(times):.1f} ms (20 steps); parity "
          f"{parity['maxDiff']:.1e} over {parity['compared']} norms; payload "
          f"{view.payload_bytes:,} bytes")


def test_without_javascript_the_static_face_stays(browser, small_view):
    context = browser.new_context(viewport={"width": 360, "height": 600}, java_script_enabled=False)
    page = context.new_page()
    page.set_content("<!doctype html><meta charset=utf-8><body>" + small_view._repr_html_() + "</body>")
    static = page.locator(".rl-static")
    assert static.is_visible() and "24 hidden units" in static.text_content()
    alt = static.locator("img").get_attribute("alt")
    assert "log scale" in alt and "\u03c1 = 0.90, tanh" in alt
    assert page.locator(".rl-live").is_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
