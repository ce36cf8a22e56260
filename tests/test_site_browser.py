"""The built site, opened in a real (headless) browser with no internet.

Serves ``_build/html`` on 127.0.0.1 and drives Debian's Chromium through Playwright over
EVERY page: each page of _toc.yml (read at collection time, so a new page is walked
without editing this file), the index.html redirect, genindex.html and search.html; a
test fails if a TOC page was not built or if the build holds a page the walk skips.
On each page: math is typeset by the vendored MathJax, every image loads, the console
stays clean, no request leaves 127.0.0.1, the page's weight stays under 5 MB, every
scrubbable exploration responds to its slider, and solutions stay hidden until clicked.
At phone width (390 x 844) no page scrolls sideways. Every self-check of a chapter
(utils.selfcheck) is answered with the keyboard alone, its named mistakes, its wrong options
and its answer, and at 360 px none sticks out of the screen. Full-page screenshots (and phone
screenshots of the home page, chapter 1 and lab 1) go to test-artifacts/screenshots/.

Page weight is measured twice: from the files (scripts/site_weight.py: the HTML plus every
local file it references) and in the browser (the bytes of every response while the page
loads, in test-artifacts/loaded-bytes/).

Needs /usr/bin/chromium (``apt-get install chromium``). Without it the browser tests are
skipped, except under CI (env CI set), where they fail.
"""
from __future__ import annotations

import functools
import http.server
import json
import re
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
LOADED_BYTES = ROOT / "test-artifacts" / "loaded-bytes"   # one file per page: path, bytes

sys.path.insert(0, str(ROOT / "scripts"))
from conftest import source_of  # noqa: E402
from course_toc import toc_files  # noqa: E402
from site_weight import MB, LIMIT_MB, site_pages, site_weights  # noqa: E402

# Pages that every Jupyter Book site has besides those of _toc.yml.
EXTRA_PAGES = {
    "home": "index.html",                 # forwards to the root page of the TOC
    "genindex": "genindex.html",
    "search": "search.html?q=recurrent",
}


def _page_name(docname: str) -> str:
    """A short test id and screenshot name: chapter01, lab03, notation, intro, ..."""
    folder, _, stem = docname.rpartition("/")
    if folder == "chapters" and stem[:2].isdigit():
        return f"chapter{stem[:2]}"
    if folder == "labs" and stem.startswith("lab"):
        return stem[:5]
    return docname.replace("/", "-")


def site_page_list() -> dict[str, str]:
    """name -> page (relative to the site root): every page of _toc.yml, in reading order,
    then the pages Jupyter Book adds. Read from _toc.yml at collection time, so a page added
    to the TOC is walked without touching this file."""
    pages = {_page_name(doc): f"{doc}.html" for doc in toc_files(ROOT)}
    for name, path in EXTRA_PAGES.items():
        pages.setdefault(name, path)
    return pages


PAGES = site_page_list()
TOC_PAGES = {name: path for name, path in PAGES.items() if name not in EXTRA_PAGES}
# At phone width: an iPhone 12 to 15 viewport, in CSS pixels.
PHONE = {"width": 390, "height": 844}
PHONE_TOLERANCE_PX = 2
PHONE_SCREENSHOTS = ("home", "chapter01", "lab01")


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


def _open(browser, url: str, redirect_to: str | None = None, viewport: dict | None = None):
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900},
                                  service_workers="block")
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


def _redirect_target(file: Path) -> str | None:
    meta = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"',
                     file.read_text(encoding="utf-8"))
    return meta.group(1) if meta else None


def _built_file(built_site: Path, path: str) -> Path:
    file = built_site / urlparse(path).path
    if not file.is_file():
        pytest.fail(f"{path} was not built (it is in _toc.yml or is a standard page)",
                    pytrace=False)
    return file


_MATH = re.compile(r"\$\$|\$[^\s$][^$\n]*?\$|\{math\}|\\begin\{")


def _source_has_math(name: str) -> bool:
    """Whether the page's source writes math (so the page must show typeset math)."""
    if name not in TOC_PAGES:
        return False
    source = source_of(TOC_PAGES[name][:-len(".html")])
    if source.suffix == ".ipynb":
        cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        text = source.read_text(encoding="utf-8")
    return bool(_MATH.search(text))


def test_every_page_is_walked(built_site):
    """Every page of _toc.yml was built, and the walk below covers every page the build made."""
    missing = sorted(path for path in TOC_PAGES.values() if not (built_site / path).is_file())
    assert not missing, f"pages of _toc.yml missing from the build: {missing}"
    walked = {urlparse(path).path for path in PAGES.values()}
    built = {p.relative_to(built_site).as_posix() for p in site_pages(built_site)}
    unwalked = sorted(built - walked)
    assert not unwalked, (f"the build holds pages the browser test does not open: {unwalked} "
                          "(add them to _toc.yml, or to EXTRA_PAGES if Sphinx makes them)")


def test_every_page_weighs_under_the_limit(built_site):
    """Each page with the local files it references (scripts/site_weight.py) stays under 5 MB."""
    weights = site_weights(built_site)
    missing = {w.page: w.missing for w in weights if w.missing}
    assert not missing, f"pages reference local files that do not exist: {missing}"
    heavy = {w.page: round(w.total_bytes / MB, 2) for w in weights
             if w.total_bytes >= LIMIT_MB * MB}
    assert not heavy, (f"pages at or over {LIMIT_MB} MB with their assets (MB): {heavy}; "
                       "run scripts/site_weight.py for the breakdown")


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_offline(name, browser, server, built_site):
    path = PAGES[name]
    file = _built_file(built_site, path)
    context, page, visit = _open(browser, f"{server}/{path}", _redirect_target(file))
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
        if _source_has_math(name):
            assert math["containers"] > 0, (
                f"{path}: its source writes math, but the page shows no typeset math")

        # 5. Every image loaded (the theme's hidden icons included).
        broken = page.evaluate("""() => Array.from(document.images)
            .filter(img => !(img.complete && img.naturalWidth > 0))
            .map(img => img.getAttribute('src'))""")
        assert not broken, f"{path}: images that did not load: {broken}"

        # 6. What the browser loaded for this page (HTML, scripts, styles, fonts, images,
        # including what scripts fetched on their own) stays under the weight limit.
        # (Not counted: the result pages that search.html fetches to show their excerpts.)
        loaded = page.evaluate("""() => performance.getEntriesByType('navigation')
            .concat(performance.getEntriesByType('resource'))
            .filter(e => !(['fetch', 'xmlhttprequest'].includes(e.initiatorType)
                           && /\\.(html|txt)$/.test(new URL(e.name).pathname)))
            .reduce((sum, e) => sum + (e.decodedBodySize || 0), 0)""")
        LOADED_BYTES.mkdir(parents=True, exist_ok=True)
        (LOADED_BYTES / f"{name}.txt").write_text(f"{path}\t{loaded}\n")
        assert loaded < LIMIT_MB * MB, (
            f"{path}: the browser loaded {loaded / MB:.2f} MB for it, over {LIMIT_MB} MB")

        # 7. The search works offline (its index is a local file).
        if name == "search":
            page.wait_for_selector("#search-results ul.search li", timeout=15_000)
            assert page.locator("#search-results ul.search li").count() > 0, "search found nothing"

        # 8. Every scrubbable exploration responds to its slider: the shown frame changes.
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
        if TOC_PAGES.get(name, "").startswith("chapters/"):
            assert frames, f"{path}: a chapter should have at least one scrubbable exploration"

        # 9. No display equation is cut off: it fits its column, or it scrolls sideways in
        # its own box (overflow-x auto or scroll), so every part of it can be read.
        cut = page.evaluate("""() => Array.from(
                document.querySelectorAll('mjx-container[display="true"]')).filter(c => {
            const o = getComputedStyle(c).overflowX;
            const scrolls = ['auto', 'scroll'].includes(o);
            const column = c.closest('article') || document.body;
            const inner = c.scrollWidth > c.clientWidth + 1;
            const sticksOut = c.getBoundingClientRect().right >
                              column.getBoundingClientRect().right + 1;
            return sticksOut || (inner && !scrolls);
        }).map(c => (c.closest('.math') || c).textContent.slice(0, 60))""")
        assert not cut, (f"{path}: display equations wider than the column that do not scroll "
                         f"(cut off at the right edge): {cut}")

        # 10. Solutions and hints (<details>) start closed, their code hidden until clicked.
        # A hint's second level (the code) is a <details> inside the first: it opens only
        # on a second click. Document order opens the outer one first.
        count = page.locator("details").count()
        for i in range(count):
            details = page.locator("details").nth(i)
            assert details.evaluate("d => !d.open"), f"{path}: <details> #{i} starts open"
            own = details.locator("xpath=./*[not(self::details)]//pre | ./pre")  # not nested ones
            nested = details.locator("xpath=./details")
            if own.count() or nested.count():
                shown = own.first if own.count() else nested.first
                assert not shown.is_visible(), f"{path}: <details> #{i} shows its body before a click"
                details.locator("summary").first.click()
                assert shown.is_visible(), f"{path}: <details> #{i} still hidden after a click"
                if nested.count():
                    inner_code = nested.first.locator("pre")
                    assert not inner_code.count() or not inner_code.first.is_visible(), (
                        f"{path}: <details> #{i} shows its second level's code on the first click")
        if count:
            page.evaluate("() => { document.activeElement && document.activeElement.blur();"
                          " window.scrollTo(0, 0); }")
            page.screenshot(path=str(SCREENSHOTS / f"{name}-solutions-open.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_page_fits_phone_width(name, browser, server, built_site):
    """At phone width the page itself never scrolls sideways: wide tables, code and equations
    scroll inside their own boxes (the theme gives them overflow: auto)."""
    path = PAGES[name]
    file = _built_file(built_site, path)
    context, page, _ = _open(browser, f"{server}/{path}", _redirect_target(file), viewport=PHONE)
    try:
        if name in PHONE_SCREENSHOTS:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"))
            exploration = page.locator(".exploration")
            if exploration.count():
                exploration.first.scroll_into_view_if_needed()
                page.screenshot(path=str(SCREENSHOTS / f"{name}-phone-exploration.png"))
                page.evaluate("() => window.scrollTo(0, 0)")
        width = page.evaluate("""() => ({page: document.scrollingElement.scrollWidth,
                                         viewport: window.innerWidth})""")
        if width["page"] <= PHONE["width"] + PHONE_TOLERANCE_PX:
            return
        # Name the culprits: elements sticking out of the viewport that no ancestor clips
        # or scrolls, the outermost first.
        culprits = page.evaluate("""(limit) => {
            const scrolls = el => { for (let a = el.parentElement; a && a !== document.body;
                                         a = a.parentElement) {
                    const o = getComputedStyle(a).overflowX;
                    if (['auto', 'scroll', 'hidden', 'clip'].includes(o)) return true;
                } return false; };
            // Off-canvas drawers (the theme's sidebars) are fixed and hidden: not culprits.
            const fixed = el => { for (let a = el; a; a = a.parentElement)
                    if (getComputedStyle(a).position === 'fixed') return true;
                return false; };
            const out = [];
            for (const el of document.body.querySelectorAll('*')) {
                const r = el.getBoundingClientRect();
                if (r.width && r.right > limit && el.checkVisibility() && !fixed(el)
                        && !scrolls(el) && !out.some(o => o.el === el.parentElement)) {
                    const cls = el.getAttribute('class') || '';
                    out.push({el, text: `<${el.tagName.toLowerCase()} class="${cls}"> ` +
                              `"${el.textContent.trim().slice(0, 60)}" (right edge at ` +
                              `${Math.round(r.right)} px)`});
                    if (out.length >= 8) break;
                }
            }
            return out.map(o => o.text); }""", PHONE["width"] + PHONE_TOLERANCE_PX)
        pytest.fail(f"{path} at {PHONE['width']} px wide is {width['page']} px wide: the page "
                    f"scrolls sideways. Elements sticking out: {culprits}", pytrace=False)
    finally:
        context.close()


# --- self-checks (utils.selfcheck) on the chapter pages ----------------------------------------
CHAPTER_PAGES = {name: path for name, path in TOC_PAGES.items() if path.startswith("chapters/")}
SELFCHECK_PHONE = {"width": 360, "height": 780}   # the narrowest phone a self-check must fit
_PAYLOAD = re.compile(r"var data = (\{.*?\});\n")


def _selfchecks(page) -> list[dict]:
    """The payload of every self-check on the page, in page order (read from its script)."""
    scripts = page.evaluate("""() => Array.from(document.querySelectorAll('.selfcheck'))
        .map(box => { const s = box.nextElementSibling;
                      return s && s.tagName === 'SCRIPT' ? s.textContent : ''; })""")
    found = []
    for i, text in enumerate(scripts):
        payload = _PAYLOAD.search(text)
        assert payload, f"self-check #{i} has no script with its data right after it"
        found.append(json.loads(payload.group(1)))
    return found


def _plain(fragment: str) -> str:
    """The words of an HTML fragment as the browser shows them (innerText), spaces collapsed."""
    import html as html_lib
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def _said(box) -> str:
    return " ".join(box.locator("[role=status]").inner_text().split())


def _typed(value: float) -> str:
    return repr(float(value))


@pytest.mark.parametrize("name", list(CHAPTER_PAGES))
def test_self_checks_answer_by_keyboard(name, browser, server, built_site):
    """Every self-check on a chapter page works with the keyboard alone: a numeric one names
    the mistake whose value is typed (Enter submits) and says "Right." to the answer; a choice
    one, picked with the arrow keys and Space and submitted from its Check button, gives the
    chosen wrong option's feedback, then "Right."; "Show answer" appears only after a try."""
    path = CHAPTER_PAGES[name]
    _built_file(built_site, path)
    context, page, visit = _open(browser, f"{server}/{path}")
    try:
        checks = _selfchecks(page)
        assert 2 <= len(checks) <= 4, f"{path}: {len(checks)} self-checks (a chapter asks 2 to 4)"
        for i, data in enumerate(checks):
            box = page.locator(f"#{data['id']}")
            where = f"{path}: self-check #{i} ({data['kind']})"
            assert box.locator("form fieldset legend").count() == 1, f"{where}: no legend"
            assert box.locator("[role=status][aria-live=polite]").count() == 1, where
            show = box.locator("button.sc-show")
            assert not show.is_visible(), f"{where}: 'Show answer' before any try"
            if data["kind"] == "numeric":
                field = box.locator("input[type=text]")
                assert box.locator(f"label[for='{field.get_attribute('id')}']").count() == 1
                field.focus()
                page.keyboard.type("two")
                page.keyboard.press("Enter")
                assert _said(box) == "Type a number, like 0.25.", f"{where}: {_said(box)!r}"
                for value, feedback in data["mistakes"]:
                    field.fill("")
                    page.keyboard.type(_typed(value))
                    page.keyboard.press("Enter")
                    assert _said(box) == f"Not quite. {_plain(feedback)}", (
                        f"{where}: typing the mistake {value} gave {_said(box)!r}")
                field.fill("")
                page.keyboard.type(_typed(data["answer"]).replace(".", ",", 1))  # a decimal comma
                page.keyboard.press("Enter")
                assert _said(box).startswith("Right."), f"{where}: the answer gave {_said(box)!r}"
            else:
                radios = box.locator("input[type=radio]")
                wrong = [int(k) for k in data["feedback"]]
                for w in wrong:
                    radios.first.focus()
                    page.keyboard.press("Space")                     # picks the first option
                    for _ in range(w):
                        page.keyboard.press("ArrowDown")             # moves and picks
                    assert radios.nth(w).is_checked(), f"{where}: the arrows did not pick #{w}"
                    page.keyboard.press("Tab")                       # to the Check button
                    focused = page.evaluate("""() => [document.activeElement.textContent,
                        getComputedStyle(document.activeElement).outlineStyle]""")
                    assert focused[0] == "Check", f"{where}: Tab went to {focused[0]!r}"
                    assert focused[1] != "none", f"{where}: the focused button shows no outline"
                    page.keyboard.press("Enter")
                    assert _said(box) == f"Not quite. {_plain(data['feedback'][str(w)])}", (
                        f"{where}: option {w} gave {_said(box)!r}")
                radios.nth(data["answer"]).focus()
                page.keyboard.press("Space")
                page.keyboard.press("Enter")                         # Enter on a radio submits
                assert _said(box).startswith("Right."), f"{where}: the answer gave {_said(box)!r}"
            assert show.is_visible(), f"{where}: no 'Show answer' after a try"
            show.click()
            assert box.locator(".sc-answer").inner_text().startswith("Answer:"), where
        assert not visit.console_errors, f"{path}: console errors: {visit.console_errors}"
        first = page.locator(".selfcheck").first
        first.scroll_into_view_if_needed()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        first.screenshot(path=str(SCREENSHOTS / f"{name}-selfcheck.png"))
    finally:
        context.close()


@pytest.mark.parametrize("name", list(CHAPTER_PAGES))
def test_self_checks_fit_a_phone(name, browser, server, built_site):
    """At 360 px no self-check sticks out of the screen or scrolls sideways inside."""
    path = CHAPTER_PAGES[name]
    _built_file(built_site, path)
    context, page, _ = _open(browser, f"{server}/{path}", viewport=SELFCHECK_PHONE)
    try:
        boxes = page.evaluate("""() => Array.from(document.querySelectorAll('.selfcheck'))
            .map(b => { const r = b.getBoundingClientRect();
                        return {left: r.left, right: r.right, scroll: b.scrollWidth,
                                client: b.clientWidth}; })""")
        assert boxes, f"{path}: no self-check"
        limit = SELFCHECK_PHONE["width"] + PHONE_TOLERANCE_PX
        wide = [i for i, b in enumerate(boxes)
                if b["left"] < 0 or b["right"] > limit or b["scroll"] > b["client"] + 1]
        assert not wide, f"{path} at {SELFCHECK_PHONE['width']} px: self-checks too wide: {wide} {boxes}"
        if name == "chapter01":
            page.locator(".selfcheck").first.scroll_into_view_if_needed()
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}-phone-selfcheck.png"))
    finally:
        context.close()


def test_theme_icons_show(browser, server):
    """The header's icons (menu, launch, repository, download, full screen, search) are
    drawn by the theme's webfont CSS, since the icon script is a stand-in
    (test_build.test_the_theme_icon_script_is_the_course_stand_in)."""
    context, page, visit = _open(browser, f"{server}/{PAGES['chapter01']}")
    icons = page.evaluate("""() => Array.from(document.querySelectorAll(
        '.bd-header-article i[class*="fa-"], .article-header-buttons i[class*="fa-"]'))
        .map(i => ({name: i.className, width: i.getBoundingClientRect().width,
                    font: getComputedStyle(i).fontFamily}))""")
    shown = [i for i in icons if i["width"] > 0]          # menus that are closed hold some
    assert len(shown) >= 4, icons
    assert all("Font Awesome" in i["font"] for i in icons), icons
    assert not visit.console_errors, visit.console_errors
    context.close()
