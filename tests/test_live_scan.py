"""utils.live.scan: Chapter 8's scan view (step through the rounds of the loop, the
Hillis-Steele scan and the Blelloch scan of h_t = α_t h_{t-1} + β_t).

The page runs every algorithm in float64 with the operations of ``utils.scan``; its h_t are
compared with utils.scan's (float64, PyTorch) for every length the slider offers, and its
round counts with ``scan_rounds``. The browser tests open the view's raw HTML in headless
Chromium (every request recorded: none allowed) and are skipped where Chromium or Playwright
is missing.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from utils import scan
from utils.live import PARITY_TOLERANCE
from utils.live.scan import (ALGORITHMS, MAX_T, MIN_T, example, hillis_steele_rounds,
                             python_scans, scan_view)
from live_pages import open_view, read_parity


@pytest.fixture(scope="module")
def view():
    return scan_view()


def status_of(page) -> str:
    return page.locator("[role=status]").text_content()


# --- Python side -------------------------------------------------------------------------------
@pytest.mark.parametrize("call, error, words", [
    (lambda: scan_view(T=8.0), TypeError, "T must be an int (the number of steps the view starts with), got float 8.0"),
    (lambda: scan_view(T=True), TypeError, "T must be an int"),
    (lambda: scan_view(T="8"), TypeError, "got str '8'"),
    (lambda: scan_view(T=1), ValueError, "T must be from 2 to 32 (the number of steps the view starts with), got 1"),
    (lambda: scan_view(T=33), ValueError, "T must be from 2 to 32"),
    (lambda: scan_view(seed=1.5), TypeError, "seed must be an int, got float 1.5"),
    (lambda: scan_view(seed=-1), ValueError, "seed must be a non-negative integer below 2**63, got -1"),
    (lambda: scan_view(algorithm="scan"), ValueError,
     "algorithm must be one of 'loop', 'hillis_steele', 'blelloch', got 'scan'"),
    (lambda: scan_view(algorithm=2), TypeError, "algorithm must be a str"),
])
def test_bad_arguments_say_what_was_expected(call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        call()


def test_the_example_and_the_reference_are_utils_scan():
    alpha, beta, h0 = example(3)
    assert alpha.shape == beta.shape == (MAX_T,)
    assert np.all((alpha > 0) & (alpha < 1)) and np.all(alpha == np.round(alpha, 2))
    v = scan_view(T=11, seed=3)
    assert v.data["alpha"] == [float(a) for a in alpha] and v.data["h0"] == h0
    ref = v.reference
    assert 11 in ref["lengths"] and 2 in ref["lengths"] and MAX_T in ref["lengths"]
    for i, T in enumerate(ref["lengths"]):
        a = torch.tensor(alpha[:T]).view(1, T, 1)
        b = torch.tensor(beta[:T]).view(1, T, 1)
        want = scan.linear_recurrence(a, b, torch.tensor([[h0]], dtype=torch.float64)).view(-1).numpy()
        for alg in ALGORITHMS:
            assert len(ref["h"][alg][i]) == T
            assert np.max(np.abs(np.array(ref["h"][alg][i]) - want)) < 1e-12
            assert ref["rounds"][alg][i] == scan.scan_rounds(T)[alg]
    assert v.payload_bytes < 20_000
    print(f"\npayload of scan_view(T=11): {v.payload_bytes:,} bytes; whole output "
          f"{len(v._repr_html_()):,} characters")


@pytest.mark.parametrize("T", [2, 3, 7, 8, 9, 32])
def test_the_static_face_follows_hillis_steele(T):
    alpha, beta, h0 = example(0)
    rounds = hillis_steele_rounds(alpha, beta, h0, T)
    assert len(rounds) - 1 == scan.scan_rounds(T)["hillis_steele"]
    assert [int(r["complete"].sum()) for r in rounds] == [min(2 ** r, T) for r in range(len(rounds))]
    assert np.max(np.abs(rounds[-1]["b"] - np.array(python_scans(alpha, beta, h0, T)["hillis_steele"]))) < 1e-12
    assert [r["shift"] for r in rounds[1:]] == [2 ** r for r in range(len(rounds) - 1)]


def test_the_alt_text_names_the_rounds(view):
    alt = view.static[1]
    assert "T = 8 positions in 3 rounds, where the loop takes 8 steps" in alt
    assert ("round 1 combines each position with the one 1 to its left, round 2 with the one 2 "
            "to its left, round 3 with the one 4 to its left") in alt
    assert "2, 4, 8 of 8 prefixes are complete" in alt
    assert view.static[0].startswith("data:image/png;base64,")
    two = scan_view(T=2).static[1]
    assert "in 1 round," in two and "after it 2 of 2 prefixes" in two


# --- in the browser ----------------------------------------------------------------------------
def test_view_checks_itself_and_says_so(browser, view):
    page = open_view(browser, view)
    parity = read_parity(page)
    lengths = view.reference["lengths"]
    assert parity["compared"] == len(ALGORITHMS) * (sum(lengths) + len(lengths))
    assert parity["maxDiff"] <= PARITY_TOLERANCE
    assert "round counts" in parity["what"] and "Hillis\u2013Steele" in parity["what"]
    line = page.locator(".rl-parity").text_content()
    assert "Checked in your browser" in line and "please report" not in line
    assert page.requests == [] and page.errors == []
    print(f"\nparity of the scan view: largest difference {parity['maxDiff']:.1e} over "
          f"{parity['compared']} numbers")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_page_scans_equal_utils_scan_for_every_length(browser, view, algorithm):
    page = open_view(browser, view)
    d = view.data
    worst = 0.0
    for T in range(MIN_T, MAX_T + 1):
        got = page.evaluate("([a, T]) => document.querySelector('.rnn-live').rnnScan(a, T)",
                            [algorithm, T])
        want = python_scans(d["alpha"], d["beta"], d["h0"], T)[algorithm]
        diff = float(np.max(np.abs(np.array(got["h"]) - np.array(want))))
        worst = max(worst, diff)
        assert len(got["h"]) == T and diff <= PARITY_TOLERANCE, f"T = {T}: {diff:.1e}"
        rounds = scan.scan_rounds(T)[algorithm]
        assert got["rounds"] == rounds, f"T = {T}"
        # frames drawn: the start, every round, and Blelloch's last combine
        assert got["frames"] == rounds + 1 + (algorithm == "blelloch"), f"T = {T}"
        P = 1 << (T - 1).bit_length()
        combines = {"loop": T, "hillis_steele": sum(T - 2 ** r for r in range(rounds)),
                    "blelloch": 3 * P - 2}[algorithm]
        assert got["combines"] == combines, f"T = {T}"
    assert page.requests == [] and page.errors == []
    print(f"\n{algorithm}: largest |page - utils.scan| over T = 2..32: {worst:.1e}")


def test_a_wrong_reference_is_reported(browser):
    v = scan_view(T=5)
    v.reference["rounds"]["blelloch"][0] = 3                 # not scan_rounds' count
    page = open_view(browser, v)
    assert read_parity(page)["maxDiff"] >= 1
    assert "please report it" in page.locator(".rl-parity").text_content()


def test_keyboard_steps_through_the_rounds(browser, view):
    page = open_view(browser, view, width=1000)
    root = page.locator(".rnn-live")
    assert status_of(page).startswith("Start: each position holds its step")
    assert "1 of 8 prefixes complete" in status_of(page)
    counts = page.locator(".rl-scan-counts").text_content()
    assert ("T = 8: the loop takes 8 steps, one after another; Hillis\u2013Steele 3 rounds" in counts
            and "Blelloch 6 rounds (3 up, 3 down)" in counts)
    times = []

    def ms():
        times.append(float(root.get_attribute("data-ms")))

    page.keyboard.press("Tab")                               # the algorithm is the first stop
    assert page.evaluate("document.activeElement.tagName") == "SELECT"
    page.keyboard.press("ArrowDown")
    assert page.get_by_label("Algorithm").input_value() == "blelloch"
    assert "Blelloch 6 rounds" in counts
    ms()
    page.keyboard.press("ArrowUp")
    assert page.get_by_label("Algorithm").input_value() == "hillis_steele"
    page.keyboard.press("Tab")                               # the length
    assert page.evaluate("document.activeElement.type") == "range"
    page.keyboard.press("ArrowRight")
    assert root.locator("output").text_content() == "9"
    assert "1 of 9 prefixes complete" in status_of(page)
    assert "Hillis\u2013Steele 4 rounds" in page.locator(".rl-scan-counts").text_content()
    ms()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Tab")                               # Previous: focusable at the start
    assert page.evaluate("document.activeElement.textContent") == "Previous"
    assert page.get_by_role("button", name="Previous").get_attribute("aria-disabled") == "true"
    page.keyboard.press("Enter")                             # nothing before the start
    assert root.get_attribute("data-round") == "0"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Next"
    before = page.locator(".rl-scan-plot").inner_html()
    page.keyboard.press("Enter")
    assert status_of(page) == ("Round 1 of 3: each position combines with the one 1 to its left; "
                               "2 of 8 prefixes complete; the loop, one step per round, would be "
                               "at step 1 of 8.")
    assert page.locator(".rl-scan-plot").inner_html() != before
    ms()
    page.keyboard.press(" ")                                 # Space works as well
    assert status_of(page).startswith("Round 2 of 3: each position combines with the one 2 to "
                                      "its left; 4 of 8 prefixes complete")
    ms()
    page.keyboard.press("Enter")
    assert status_of(page).startswith("Round 3 of 3") and "8 of 8 prefixes complete" in status_of(page)
    page.keyboard.press("Enter")                             # the end: nothing moves, focus stays
    assert root.get_attribute("data-round") == "3"
    assert page.get_by_role("button", name="Next").get_attribute("aria-disabled") == "true"
    assert page.evaluate("document.activeElement.textContent") == "Next"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    assert status_of(page).startswith("Round 2 of 3")
    ms()
    # the loop and Blelloch through their rounds
    page.get_by_label("Algorithm").select_option("loop")
    next_button = page.get_by_role("button", name="Next")
    next_button.click()
    assert status_of(page).startswith("Step 1 of 8: position 1 combines with h\u2080")
    next_button.click()
    assert status_of(page) == ("Step 2 of 8: position 2 combines with position 1 "
                               "(h\u2082 = \u03b1\u2082 h\u2081 + \u03b2\u2082); 2 of 8 prefixes complete.")
    page.get_by_label("Algorithm").select_option("blelloch")
    seen = []
    next_button.focus()
    for _ in range(8):                                       # the 8th press: at the end already
        page.keyboard.press("Enter")
        seen.append(status_of(page))
    assert [s.split(":")[0] for s in seen[:7]] == (
        [f"Up-sweep, round {r} of 6" for r in (1, 2, 3)]
        + [f"Down-sweep, round {r} of 6" for r in (4, 5, 6)] + ["Last combine (not counted in the 6 rounds)"])
    assert "8 of 8 positions hold the prefix of the steps before them" in seen[5]
    assert seen[6].endswith("8 of 8 prefixes complete.") and seen[7] == seen[6]
    assert page.requests == [] and page.errors == []
    print("\nscan view, time per update (keys): " + ", ".join(f"{t:.1f}" for t in times) + " ms")


def test_play_steps_by_itself_and_pauses(browser, view):
    page = open_view(browser, view)
    play = page.locator(".rl-play")
    play.focus()
    page.keyboard.press("Enter")
    assert play.text_content() == "Pause"
    page.wait_for_function("document.querySelector('.rnn-live').getAttribute('data-round') === '1'",
                           timeout=15_000)
    page.keyboard.press("Enter")                             # pause
    assert play.text_content() == "Play"
    assert page.requests == [] and page.errors == []


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_the_longest_view_fits_a_phone(browser, view, algorithm):
    page = open_view(browser, view, width=360)
    page.get_by_label("Algorithm").select_option(algorithm)
    page.get_by_label("Length T").fill(str(MAX_T))
    assert page.locator("output").text_content() == "32"
    page.get_by_role("button", name="Next").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box, svg = (page.evaluate(f"document.querySelector('.rnn-live {sel}').getBoundingClientRect().width")
                for sel in (".rl-scan-plot", "svg"))
    assert 200 < svg <= box + 0.5
    page.set_viewport_size({"width": 1000, "height": 900})   # the drawing follows its box
    page.wait_for_function("document.querySelector('.rnn-live svg')"
                           ".getBoundingClientRect().width > 600")
    assert page.requests == [] and page.errors == []
    print(f"\n{algorithm}, T = 32, 360 px: the drawing is {svg:.0f} px wide in a {box:.0f} px box; "
          f"update {page.locator('.rnn-live').get_attribute('data-ms')} ms")


def test_without_javascript_the_static_face_stays(browser, view):
    page = open_view(browser, view, javascript=False)
    static = page.locator(".rl-static")
    assert static.is_visible() and "step through the rounds" in static.text_content()
    assert "3 rounds" in static.locator("img").get_attribute("alt")
    assert page.locator(".rl-live").is_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.requests == []
