"""utils.selfcheck: questions answered in the page, with feedback that names the mistake.

The first half checks the Python side (arguments, escaping, the payload, the tolerance rule);
the second drives the widget's own script in headless Chromium (no built site needed: the
HTML is loaded into a blank page), skipped where Chromium or Playwright is missing.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from utils.selfcheck import (NOT_A_NUMBER, SelfCheck, choice, default_tolerance, number_text,
                             numeric)

H1 = float(np.tanh(0.5 * 0.0 + 1.0 * 1.0))     # a 1-D unit: W = 0.5, U = 1, b = 0, h0 = 0, x1 = 1
NO_TANH = 1.0


def tiny_numeric(**changes) -> SelfCheck:
    kw = dict(mistakes=[(NO_TANH, "That is the pre-activation a₁: the tanh is missing.")],
              explain="h₁ = tanh(1).")
    kw.update(changes)
    return numeric("What is h₁ for x₁ = 1?", H1, **kw)


def tiny_choice(**changes) -> SelfCheck:
    kw = dict(feedback={1: "Clipping by value cuts each entry on its own: the vector turns."},
              explain="Scaling the whole vector keeps its direction.")
    kw.update(changes)
    return choice("Which clipping keeps the direction?", ["by norm", "by value"], 0, **kw)


def payload(html: str) -> dict:
    """The JSON object the widget's script starts from."""
    found = re.search(r"var data = (\{.*?\});\n", html)
    assert found, "no payload in the script"
    return json.loads(found.group(1))


# --- arguments ------------------------------------------------------------------------------
@pytest.mark.parametrize("call, error, words", [
    (lambda: numeric(5, 1.0), TypeError, "question must be a str, got int"),
    (lambda: numeric("  ", 1.0), ValueError, "question must not be empty"),
    (lambda: numeric("What is $h_2$?", 1.0), ValueError, r"not \$math\$"),
    (lambda: numeric("q", "0.76"), TypeError, "answer must be a real number.*got str"),
    (lambda: numeric("q", True), TypeError, "answer must be a real number.*bool"),
    (lambda: numeric("q", float("nan")), ValueError, "answer must be a finite number, got nan"),
    (lambda: numeric("q", np.inf), ValueError, "answer must be a finite number"),
    (lambda: numeric("q", np.array([0.5])), TypeError, r"array of shape \(1,\).*h\.item\(\)"),
    (lambda: numeric("q", 1.0, tolerance=0), ValueError, "tolerance must be a positive number"),
    (lambda: numeric("q", 1.0, tolerance="small"), TypeError, "tolerance must be a real number"),
    (lambda: numeric("q", 1.0, mistakes="oops"), TypeError, "mistakes must be a list of"),
    (lambda: numeric("q", 1.0, mistakes=[2.0]), TypeError, r"mistakes\[0\] must be a \(value, feedback\)"),
    (lambda: numeric("q", 1.0, mistakes=[(2.0,)]), TypeError, r"mistakes\[0\] must be a \(value"),
    (lambda: numeric("q", 1.0, mistakes=[(2.0, "")]), ValueError, "feedback must not be empty"),
    (lambda: numeric("q", 1.0, mistakes=[(np.nan, "x")]), ValueError, "value must be a finite"),
    (lambda: numeric("q", 1.0, mistakes=[(1.004, "x")]), ValueError, "within the tolerance.*of the answer"),
    (lambda: numeric("q", 1.0, mistakes=[(2.0, "a"), (2.003, "b")]), ValueError,
     r"within the tolerance.*of mistakes\[0\].*ambiguous"),
    (lambda: numeric("q", 1.0, explain=3), TypeError, "explain must be a str"),
    (lambda: numeric("q", 1.0, unit="a very long unit name indeed"), ValueError, "unit must be a short"),
    (lambda: choice("q", "ab", 0), TypeError, "options must be a list of strings, got str"),
    (lambda: choice("q", ["a"], 0), ValueError, "2 to 6 choices, got 1"),
    (lambda: choice("q", [], 0), ValueError, "2 to 6 choices, got 0"),
    (lambda: choice("q", list("abcdefg"), 0, feedback={}), ValueError, "2 to 6 choices, got 7"),
    (lambda: choice("q", ["a", ""], 0, feedback={1: "x"}), ValueError, r"options\[1\] must not be empty"),
    (lambda: choice("q", ["a", "a"], 0, feedback={1: "x"}), ValueError, "must differ"),
    (lambda: choice("q", ["a", "b"], 2, feedback={1: "x"}), ValueError, "index from 0 to 1.*got 2"),
    (lambda: choice("q", ["a", "b"], -1, feedback={1: "x"}), ValueError, "index from 0 to 1.*got -1"),
    (lambda: choice("q", ["a", "b"], "a", feedback={1: "x"}), TypeError, "index \\(an int\\)"),
    (lambda: choice("q", ["a", "b"], 1.0, feedback={0: "x"}), TypeError, "index \\(an int\\)"),
    (lambda: choice("q", ["a", "b"], 0), ValueError, r"every wrong option needs feedback.*\[1\]"),
    (lambda: choice("q", ["a", "b", "c"], 0, feedback={1: "x"}), ValueError,
     r"missing for option\(s\) \[2\]"),
    (lambda: choice("q", ["a", "b"], 0, feedback={0: "x", 1: "y"}), ValueError, "the right answer"),
    (lambda: choice("q", ["a", "b"], 0, feedback={5: "x", 1: "y"}), ValueError, "option 5"),
    (lambda: choice("q", ["a", "b"], 0, feedback={"1": "y"}), TypeError, "keys must be option indexes"),
    (lambda: choice("q", ["a", "b"], 0, feedback=[(1, "y")]), TypeError, "feedback must be a dict"),
])
def test_bad_arguments_say_what_was_expected(call, error, words):
    with pytest.raises(error, match=words):
        call()


@pytest.mark.parametrize("answer", [np.float32(0.5), np.float64(0.5), np.int64(3), 3, np.array(0.25)])
def test_numpy_and_python_numbers_are_accepted(answer):
    assert payload(numeric("q", answer)._repr_html_())["answer"] == float(answer)


# --- the tolerance rule ---------------------------------------------------------------------
def test_default_tolerance_accepts_any_answer_rounded_to_two_decimals():
    rng = np.random.default_rng(0)
    answers = np.concatenate([rng.uniform(-3, 3, 2000), [0.765, -0.765, 0.005, 0.0, 12.345]])
    for a in answers:
        assert abs(round(float(a), 2) - a) <= default_tolerance(a), a


def test_default_tolerance_rejects_a_wrong_second_decimal_and_scales_for_large_answers():
    assert abs(0.77 - H1) > default_tolerance(H1)              # 0.7616 is 0.76, not 0.77
    assert default_tolerance(0.0) == pytest.approx(0.005)
    assert default_tolerance(1000.0) == pytest.approx(5.0)     # 0.5% of a large answer


def test_explicit_tolerance_is_used_and_checks_mistakes_against_it():
    check = numeric("q", 10.0, tolerance=0.5, mistakes=[(11.0, "off by one")])
    assert payload(check._repr_html_())["tolerance"] == 0.5
    with pytest.raises(ValueError, match="within the tolerance"):
        numeric("q", 10.0, tolerance=1.5, mistakes=[(11.0, "off by one")])


# --- the HTML -------------------------------------------------------------------------------
def test_everything_from_python_is_escaped():
    evil = 'He said "<script>alert(1)</script>" & left'
    check = numeric(evil, 1.0, mistakes=[(2.0, "a </script><img src=x onerror=alert(1)> b")],
                    explain="it's </SCRIPT> fine", unit="<b>")
    html = check._repr_html_()
    assert "<script>alert(1)" not in html and "<img" not in html and "<b>" not in html
    assert html.count("<script>") == 1 and html.lower().count("</script>") == 1
    assert "&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; &amp; left" in html
    data = payload(html)       # still valid JSON: the escaped texts come back unchanged
    assert data["mistakes"][0][1] == "a &lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; b"
    options = choice("q", ["<i>a</i>", "b's \"c\""], 1, feedback={0: "</script>"})._repr_html_()
    assert "<i>a" not in options and "b&#x27;s &quot;c&quot;" in options
    assert options.lower().count("</script>") == 1


def test_backticks_become_code_and_a_lone_backtick_stays():
    html = numeric("Run `model.step(x)` once; a ` alone", 1.0)._repr_html_()
    assert "<code>model.step(x)</code> once; a ` alone" in html


def test_subscripts_in_text_but_not_in_code():
    html = numeric("With c_{t-1} = 2, Γ_u = 0.1 and b_f = 1, what is h_t? See `bias_ih_l0`; "
                   "batch_first stays a word", 1.0)._repr_html_()
    assert "c<sub>t-1</sub>" in html and "Γ<sub>u</sub>" in html and "b<sub>f</sub>" in html
    assert "h<sub>t</sub>?" in html
    assert "<code>bias_ih_l0</code>" in html and "batch_first stays" in html


def test_no_url_and_nothing_fetched():
    for check in (tiny_numeric(unit="nats"), tiny_choice()):
        html = check._repr_html_()
        assert "http" not in html.lower() and "//" not in html
        assert not re.search(r"\b(src|href)\s*=", html), "the widget must load nothing"
        assert "<link" not in html and "@import" not in html


def test_ids_are_unique_within_and_across_widgets():
    same = tiny_choice()
    htmls = [tiny_numeric(unit="%")._repr_html_(), tiny_numeric(unit="%")._repr_html_(),
             same._repr_html_(), same._repr_html_()]    # one object shown twice too
    ids = [i for h in htmls for i in re.findall(r'\bid="([^"]+)"', h)]
    assert len(ids) == len(set(ids)), ids
    names = [n for h in htmls for n in set(re.findall(r'\bname="([^"]+)"', h))]
    assert len(names) == len(set(names)), "two choice widgets share a radio group"
    for h in htmls:   # every reference points at an id of the same widget
        own = set(re.findall(r'\bid="([^"]+)"', h))
        refs = re.findall(r'\b(?:for|aria-describedby)="([^"]+)"', h)
        assert set(refs) <= own
        assert payload(h)["id"] in own


def test_payload_round_trips():
    check = tiny_numeric(unit="nats")
    data = payload(check._repr_html_())
    assert data["kind"] == "numeric" and data["answer"] == H1 and data["unit"] == "nats"
    assert data["tolerance"] == default_tolerance(H1)
    assert data["mistakes"] == [[NO_TANH, "That is the pre-activation a₁: the tanh is missing."]]
    assert data["notANumber"] == NOT_A_NUMBER
    assert data["answerHtml"].startswith(number_text(H1) + " nats")
    data = payload(tiny_choice()._repr_html_())
    assert data["kind"] == "choice" and data["answer"] == 0
    assert data["feedback"] == {"1": "Clipping by value cuts each entry on its own: the vector turns."}


def test_structure_is_accessible():
    html = tiny_numeric(unit="nats")._repr_html_()
    assert re.search(r"<form[^>]*><fieldset><legend", html)
    assert re.search(r'<label for="([^"]+)">Your answer</label><span><input type="text" id="\1"', html)
    assert 'role="status" aria-live="polite"' in html
    assert '<button type="submit">Check</button>' in html
    assert '<button type="button" class="sc-show" hidden>Show answer</button>' in html
    assert ":focus-visible" in html
    assert not re.search(r"(?<![-\w])width:\s*\d+px", html), "no fixed width in pixels"
    radios = tiny_choice()._repr_html_()
    assert len(re.findall(r'<label class="sc-option"><input type="radio"', radios)) == 2


def test_text_face_is_the_question_and_where_to_answer():
    text = repr(tiny_choice())
    assert text.startswith("Self-check: Which clipping keeps the direction?")
    assert "a) by norm" in text and "b) by value" in text
    assert text.endswith("(answer it in Jupyter or on the website)")
    assert "What is h₁" in repr(tiny_numeric())


@pytest.mark.parametrize("value, text", [(0.76159, "0.7616"), (3.0, "3"), (38.33759, "38.34"),
                                         (1e-5, "1e-5"), (-0.5, "-0.5")])
def test_number_text(value, text):
    assert number_text(value) == text


# --- the widget in a browser ----------------------------------------------------------------
@pytest.fixture(scope="module")
def page(browser):               # browser: tests/conftest.py
    context = browser.new_context(viewport={"width": 360, "height": 800})
    requests, errors = [], []
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    percent = numeric("What share?", 12.5, unit="%",
                      mistakes=[(0.125, "That is the fraction, not the percentage.")])
    page.set_content("<!doctype html><meta charset=utf-8><body style='margin:0'>"
                     + tiny_numeric(unit="nats")._repr_html_() + tiny_choice()._repr_html_()
                     + percent._repr_html_() + "</body>")
    page.requests, page.errors = requests, errors
    yield page
    context.close()


def _answer(page, text: str, widget: int = 0) -> str:
    box = page.locator(".selfcheck").nth(widget)
    box.locator("input[type=text]").fill(text)
    box.locator("input[type=text]").press("Enter")
    return box.locator("[role=status]").inner_text()


@pytest.mark.parametrize("typed", ["0.76", "0.7616", "0,76", " 0.76 ", ".76", "7.6e-1", "+0.76"])
def test_browser_accepts_numbers_written_as_people_write_them(page, typed):
    assert _answer(page, typed).startswith("Right.")


@pytest.mark.parametrize("typed", ["", "abc", "0.76.1", "1,2,3", "0,7.6", "e5", "1e", "--1",
                                   "0.76 nats", "1e999", "12.5%"])
def test_browser_asks_for_a_number(page, typed):
    assert _answer(page, typed) == NOT_A_NUMBER


def test_browser_names_the_mistake_and_nudges_otherwise(page):
    assert _answer(page, "1").startswith("Not quite. That is the pre-activation a₁")
    other = _answer(page, "-0.5")
    assert other.startswith("Not yet. That matches none of the usual slips")
    assert "0.76" not in other, "a wrong answer must not give the answer away"


def test_browser_percent_unit_and_negative_numbers(page):
    assert _answer(page, "12.5 %", widget=2).startswith("Right.")
    assert _answer(page, "12,5%", widget=2).startswith("Right.")
    assert _answer(page, "0.125", widget=2).startswith("Not quite. That is the fraction")
    assert _answer(page, "\u22120.125", widget=2).startswith("Not yet.")   # Unicode minus


def test_browser_show_answer_only_after_a_try(page):
    box = page.locator(".selfcheck").nth(0)
    _answer(page, "0.5")
    box.locator(".sc-show").click()
    assert box.locator(".sc-answer").inner_text().startswith(f"Answer: {number_text(H1)} nats")


def test_browser_choice_by_keyboard(page):
    box = page.locator(".selfcheck").nth(1)
    assert not box.locator(".sc-show").is_visible(), "Show answer before any try"
    box.locator("button[type=submit]").press("Enter")
    assert box.locator("[role=status]").inner_text() == "Pick one of the options first."
    box.locator("input[type=radio]").first.focus()
    page.keyboard.press("ArrowDown")                 # moves to and picks "by value"
    page.keyboard.press("Enter")
    assert box.locator("[role=status]").inner_text().startswith("Not quite. Clipping by value")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Tab")                       # to the Check button
    page.keyboard.press("Space")
    assert box.locator("[role=status]").inner_text().startswith("Right. Scaling")
    assert box.locator(".sc-show").is_visible()


def test_browser_fits_a_phone_and_stays_offline(page):
    widths = page.evaluate("""() => Array.from(document.querySelectorAll('.selfcheck'))
        .map(b => [b.scrollWidth, b.getBoundingClientRect().right])""")
    assert all(scroll <= 360 and right <= 360 for scroll, right in widths), widths
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    assert [u for u in page.requests if not u.startswith(("about:", "data:"))] == []
    assert page.errors == []
