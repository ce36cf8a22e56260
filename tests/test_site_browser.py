"""The built site, opened in a real (headless) browser with no internet.

Serves ``_build/html`` on 127.0.0.1 and drives Debian's Chromium through Playwright:
math is typeset by the vendored MathJax, every image loads, the console stays clean,
no request leaves 127.0.0.1, and solutions stay hidden until clicked. Full-page
screenshots go to test-artifacts/screenshots/.

Needs /usr/bin/chromium (``apt-get install chromium``). Without it the tests are
skipped, except under CI (env CI set), where they fail.
"""
from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"

# name -> page, relative to the site root
PAGES = {
    "home": "index.html",
    "notation": "notation.html",
    "chapter01": "chapters/01_recurrent_unit.html",
    "chapter02": "chapters/02_language_models.html",
    "chapter03": "chapters/03_vanishing_exploding_gradients.html",
    "chapter04": "chapters/04_gru.html",
    "chapter05": "chapters/05_lstm.html",
    "chapter06": "chapters/06_bidirectional.html",
    "chapter07": "chapters/07_stacked.html",
    "lab01": "labs/lab01_rnn_from_scratch.html",
    "lab02": "labs/lab02_generate_names.html",
    "lab03": "labs/lab03_watching_gradients_vanish.html",
    "lab04": "labs/lab04_build_a_gru.html",
    "lab05": "labs/lab05_build_an_lstm.html",
    "lab06": "labs/lab06_look_both_ways.html",
    "lab07": "labs/lab07_go_deeper.html",
    "search": "search.html?q=recurrent",
}


def _require_browser():
    why = None
    if not CHROMIUM.exists():
        why = (f"{CHROMIUM} not found: install Debian's Chromium (apt-get install chromium) "
               "to run the browser tests")
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            why = "playwright is not installed (pip install -r requirements.txt)"
    if why:
        if os.environ.get("CI"):
            pytest.fail(why + " [CI is set, so this is an error]", pytrace=False)
        pytest.skip(why)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass


@pytest.fixture(scope="module")
def server(built_site):
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                      headless=True)
        yield chromium
        chromium.close()


def _is_favicon(url: str) -> bool:
    # Chromium asks every page without an icon <link> (such as the index.html redirect)
    # for /favicon.ico on its own; a missing one is not a fault of the page.
    return urlparse(url).path.endswith("/favicon.ico")


class _Visit:
    """Everything the browser did while one page loaded."""

    def __init__(self):
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.failed: list[str] = []


def _open(browser, url: str, redirect_to: str | None = None):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    page = context.new_page()
    visit = _Visit()
    page.on("request", lambda r: visit.requests.append(r.url))
    page.on("console", lambda m: visit.console_errors.append(
        f"console.{m.type}: {m.text} [{m.location.get('url', '')}]")
        if m.type == "error" and not _is_favicon(m.location.get("url", "")) else None)
    page.on("pageerror", lambda e: visit.console_errors.append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: visit.failed.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: visit.failed.append(f"{r.url} (HTTP {r.status})")
            if r.status >= 400 and not _is_favicon(r.url) else None)
    if redirect_to:  # Jupyter Book's index.html forwards to the root page (intro.html)
        page.goto(url, wait_until="commit")
        page.wait_for_url(lambda u: urlparse(u).path.endswith("/" + redirect_to), wait_until="load")
    else:
        page.goto(url, wait_until="load")
    # Typesetting is asynchronous: wait until MathJax (if the page loads it) is done.
    page.wait_for_function(
        "() => !window.MathJax || (window.MathJax.startup && window.MathJax.startup.promise)",
        timeout=30_000)
    page.evaluate("() => window.MathJax ? window.MathJax.startup.promise : null")
    # Scroll through the page so that anything loaded lazily gets loaded, then settle.
    page.evaluate("""async () => {
        for (let y = 0; y < document.body.scrollHeight; y += 600) {
            window.scrollTo(0, y); await new Promise(r => setTimeout(r, 30));
        }
        window.scrollTo(0, 0);
    }""")
    page.wait_for_load_state("networkidle")
    return context, page, visit


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_offline(name, browser, server, built_site):
    path = PAGES[name]
    file = built_site / urlparse(path).path
    if not file.is_file():
        pytest.fail(f"{path} was not built")
    meta = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"',
                     file.read_text(encoding="utf-8"))
    context, page, visit = _open(browser, f"{server}/{path}", meta.group(1) if meta else None)
    try:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

        # 1. No request leaves the local server.
        foreign = sorted({u for u in visit.requests
                          if urlparse(u).scheme in ("http", "https", "ws", "wss")
                          and urlparse(u).hostname != "127.0.0.1"})
        assert not foreign, f"{path} requested other hosts (the site must work offline): {foreign}"

        # 2. Nothing it asked for was missing or failed.
        assert not visit.failed, f"{path}: failed requests: {visit.failed}"

        # 3. A clean console.
        assert not visit.console_errors, f"{path}: console errors: {visit.console_errors}"

        # 4. Math is typeset: every math element holds MathJax output and no TeX error.
        math = page.evaluate("""() => {
            const els = Array.from(document.querySelectorAll('.math'));
            return {total: els.length,
                    typeset: els.filter(e => e.querySelector('mjx-container') ||
                                             e.tagName.toLowerCase() === 'mjx-container').length,
                    containers: document.querySelectorAll('mjx-container').length,
                    errors: Array.from(document.querySelectorAll('mjx-merror'))
                                 .map(e => e.getAttribute('data-mjx-error') || e.textContent)};
        }""")
        if math["total"]:
            assert math["typeset"] == math["total"], (
                f"{path}: only {math['typeset']} of {math['total']} math elements were typeset "
                "by MathJax (is _static/mathjax/ served?)")
        assert not math["errors"], f"{path}: MathJax reports TeX errors: {math['errors']}"
        if name in ("notation", "chapter01", "chapter02", "chapter03"):
            assert math["containers"] > 0, f"{path} should contain typeset math"

        # 5. Every image loaded (the theme's hidden icons included).
        broken = page.evaluate("""() => Array.from(document.images)
            .filter(img => !(img.complete && img.naturalWidth > 0))
            .map(img => img.getAttribute('src'))""")
        assert not broken, f"{path}: images that did not load: {broken}"

        # 6. The search works offline (its index is a local file).
        if name == "search":
            page.wait_for_selector("#search-results ul.search li", timeout=15_000)
            assert page.locator("#search-results ul.search li").count() > 0, "search found nothing"

        # 7. Every scrubbable exploration responds to its slider: the shown frame changes.
        frames = page.evaluate("""() => Array.from(document.querySelectorAll('.exploration')).map(box => {
            const slider = box.querySelector('input[type=range]');
            const img = box.querySelector('img');
            if (!slider || !img) return {ok: false, why: 'no slider or no frame image'};
            const before = img.src;
            slider.value = slider.max;
            slider.dispatchEvent(new Event('input', {bubbles: true}));
            slider.dispatchEvent(new Event('change', {bubbles: true}));
            return {ok: img.src !== before, why: 'the frame did not change', frames: Number(slider.max) + 1};
        })""")
        stuck = [f["why"] for f in frames if not f["ok"]]
        assert not stuck, f"{path}: explorations that do not respond to their slider: {stuck}"
        if name.startswith("chapter"):
            assert frames, f"{path}: a chapter should have at least one scrubbable exploration"

        # 8. Solutions (<details>) start closed, their code hidden until clicked.
        count = page.locator("details").count()
        for i in range(count):
            details = page.locator("details").nth(i)
            assert details.evaluate("d => !d.open"), f"{path}: <details> #{i} starts open"
            body = details.locator("pre")
            if body.count():
                assert not body.first.is_visible(), f"{path}: solution #{i} visible before a click"
                details.locator("summary").first.click()
                assert body.first.is_visible(), f"{path}: solution #{i} still hidden after a click"
        if count:
            page.evaluate("() => { document.activeElement && document.activeElement.blur();"
                          " window.scrollTo(0, 0); }")
            page.screenshot(path=str(SCREENSHOTS / f"{name}-solutions-open.png"), full_page=True)
    finally:
        context.close()
