"""Opening a live view (utils.live) alone in headless Chromium, for the tests of its module."""
from __future__ import annotations


def open_view(browser, view, width: int = 360, height: int = 800, javascript: bool = True):
    """A page holding only the view's HTML, as a Colab output iframe does. ``page.requests``
    records every request (the view must make none) and ``page.errors`` every uncaught
    error; with JavaScript, it returns once the view has read its starting state (no
    ``data-busy`` left)."""
    context = browser.new_context(viewport={"width": width, "height": height},
                                  java_script_enabled=javascript)
    page = context.new_page()
    page.requests, page.errors = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.set_content("<!doctype html><meta charset=utf-8><body style='margin:0'>"
                     + view._repr_html_() + "</body>")
    if javascript:
        page.wait_for_function("() => !document.querySelector('.rnn-live[data-busy]')")
    return page


def read_parity(page) -> dict:
    """What the view's parity check found: {maxDiff, compared, what} (data-parity)."""
    import json
    return json.loads(page.locator(".rnn-live").get_attribute("data-parity"))
