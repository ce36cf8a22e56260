"""The live views (utils.live) on the built site opened from disk with networking off, and
in the notebooks' executed outputs as Jupyter and Colab show them.

For every page whose source makes a live view (``LIVE_KINDS`` lists what each page must
show), opened as a ``file://`` URL in headless Chromium with the context offline and every
request that is not a local file aborted and recorded:

* every view starts (its pre-rendered face hides, its live face shows) and its parity line
  holds: the page recomputes PyTorch's build-time numbers (hidden states, gates,
  probabilities, a sampled text, gradient norms) within ``PARITY_TOLERANCE``;
* a keystroke (``KEYSTROKES``: a letter typed, an arrow key on a slider, Enter on Generate)
  updates the view; the time it took is read from the view's ``data-ms`` (and its
  ``data-ms-*`` details) and written to test-artifacts/live-timings.json and printed
  (reported, never asserted: tests must not depend on the machine's speed);
* every control has a name a screen reader reads (a label, aria-label or text) and a
  ``role="status"`` region is there; no console errors, no request left the disk;
* at 360 px no view sticks out of the screen; without JavaScript every view shows its
  pre-rendered image with alt text, and no live face.

Screenshots of each view go to test-artifacts/screenshots/live-<page>-<n>-<kind>.png.

The executed notebooks (``_build/jupyter_execute``) hold each view's output as Jupyter
receives it: each is loaded alone in a page and must start and pass its parity check
there too; ``test_colab_start.test_live_views_start_in_simulated_colab`` does the same with
the outputs of the simulated Colab run (Colab puts every output in its own iframe).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from utils.live import PARITY_TOLERANCE

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
TIMINGS = ROOT / "test-artifacts" / "live-timings.json"

LIVE_KINDS = {
    "chapters/02_language_models": ["text", "sample"],
    "chapters/03_vanishing_exploding_gradients": ["gradient"],
    "chapters/04_gru": ["gates"],
    "chapters/05_lstm": ["gates"],
    "chapters/06_bidirectional": ["tagger"],
    "chapters/08_parallel_recurrences": ["scan"],
}
"""The live views each page must show, in page order (LiveView.kind)."""

PHONE = {"width": 360, "height": 800}


def _offline_page(browser, viewport=None, javascript=True):
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900},
                                  java_script_enabled=javascript, service_workers="block")
    context.set_offline(True)
    page = context.new_page()
    page.left_disk, page.errors = [], []

    def route(r):
        if r.request.url.startswith(("file://", "data:", "blob:")):
            r.continue_()
        else:
            page.left_disk.append(r.request.url)
            r.abort()
    page.route("**/*", route)
    page.on("pageerror", lambda e: page.errors.append(f"uncaught: {e}"))
    page.on("console", lambda m: page.errors.append(f"console.error: {m.text}")
            if m.type == "error" else None)
    return context, page


def _open_from_disk(browser, built_site: Path, doc: str, **kw):
    context, page = _offline_page(browser, **kw)
    page.goto((built_site / f"{doc}.html").resolve().as_uri(), wait_until="load")
    return context, page


def _wait_ready(page, n: int) -> None:
    page.wait_for_function(
        f"() => document.querySelectorAll('.rnn-live[data-ready]').length >= {n}", timeout=60_000)


def _parities(page) -> list[dict]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('.rnn-live')).map(r => ({
        kind: r.dataset.kind, ready: !!r.dataset.ready,
        parity: r.dataset.parity ? JSON.parse(r.dataset.parity) : null,
        line: (r.querySelector('.rl-parity') || {}).textContent || ''}))""")


def _type_at_end(page, root, clear):
    box = root.locator(".rl-live textarea, .rl-live input[type=text]").first
    box.focus()
    box.press("Control+End")                       # the end of the text, not of the line
    page.evaluate(clear, root.element_handle())
    box.press("e")


def _type_at_start(page, root, clear):
    box = root.locator(".rl-live textarea, .rl-live input[type=text]").first
    box.focus()
    box.press("Control+Home")                      # every step after it is rerun
    page.evaluate(clear, root.element_handle())
    box.press("x")


def _arrow_on_slider(page, root, clear):
    slider = root.locator(".rl-live input[type=range]").first
    slider.focus()
    page.evaluate(clear, root.element_handle())
    slider.press("ArrowLeft")


def _enter_on_generate(page, root, clear):
    button = root.get_by_role("button", name="Generate")
    button.focus()
    page.evaluate(clear, root.element_handle())
    button.press("Enter")


KEYSTROKES = {"text": _type_at_end, "sample": _enter_on_generate, "gradient": _arrow_on_slider,
              "gates": _type_at_end, "tagger": _type_at_end, "scan": _arrow_on_slider}
"""What a reader's keystroke is in each kind of view (sample: Enter on Generate, whose
data-ms is the first slice of text; the rest streams in afterwards)."""


def _keystroke(page, root, action) -> dict:
    """One keystroke in the view; the times it recorded (data-ms and its data-ms-* details)."""
    clear = "r => Array.from(r.attributes).filter(a => a.name.startsWith('data-ms'))" \
            ".forEach(a => r.removeAttribute(a.name))"
    action(page, root, clear)
    page.wait_for_function("r => r.hasAttribute('data-ms') && !r.hasAttribute('data-busy')",
                           arg=root.element_handle(), timeout=30_000)
    return root.evaluate("r => Object.fromEntries(Array.from(r.attributes).filter(a => "
                         "a.name.startsWith('data-ms')).map(a => [a.name, +a.value]))")


def _unnamed_controls(root) -> list[str]:
    return root.evaluate("""r => Array.from(r.querySelectorAll(
        '.rl-live input, .rl-live select, .rl-live textarea, .rl-live button')).filter(el => {
          if (el.type === 'hidden') return false;
          const byLabel = el.id && r.querySelector('label[for="' + el.id + '"]');
          const text = (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
                        || (el.tagName === 'BUTTON' && el.textContent.trim()) || el.closest('label'));
          return !(byLabel || text);
        }).map(el => el.outerHTML.slice(0, 80))""")


def _record_timings(doc: str, rows: list[dict]) -> None:
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    data[doc] = rows
    TIMINGS.write_text(json.dumps(data, indent=1))


@pytest.mark.parametrize("doc", sorted(LIVE_KINDS))
def test_live_views_run_from_disk_offline(doc, browser, built_site):
    context, page = _open_from_disk(browser, built_site, doc)
    kinds = LIVE_KINDS[doc]
    _wait_ready(page, len(kinds))
    found = _parities(page)
    assert [v["kind"] for v in found] == kinds, f"{doc}: live views {found}"
    for view in found:
        p = view["parity"]
        assert p is not None, f"{doc}: the {view['kind']} view checked nothing against PyTorch"
        assert p["compared"] > 0 and p["maxDiff"] <= PARITY_TOLERANCE, (doc, view)
        assert "please report" not in view["line"]
    roots = page.locator(".rnn-live")
    rows = []
    for i, kind in enumerate(kinds):
        root = roots.nth(i)
        assert root.locator(".rl-static").is_hidden() and root.locator(".rl-live").is_visible()
        assert root.locator("[role=status]").count() >= 1, f"{doc}: {kind} view has no status region"
        assert _unnamed_controls(root) == [], f"{doc}: {kind} view has controls without a name"
        times = _keystroke(page, root, KEYSTROKES[kind])
        rows.append({"kind": kind, "keystroke_ms": times.pop("data-ms"),
                     "details_ms": times, "parity": found[i]["parity"]})
        if KEYSTROKES[kind] is _type_at_end:         # the worst case: the first character
            times = _keystroke(page, root, _type_at_start)
            rows[-1]["first_character_ms"] = times
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        root.screenshot(path=str(SCREENSHOTS / f"live-{Path(doc).name[:2]}-{i}-{kind}.png"))
    _record_timings(doc, rows)
    print("\n" + "\n".join(f"{doc} {r['kind']}: keystroke {r['keystroke_ms']:.1f} ms "
                           f"{r['details_ms']}, at the start {r.get('first_character_ms')}, "
                           f"parity {r['parity']['maxDiff']:.1e} over "
                           f"{r['parity']['compared']}" for r in rows))
    assert page.left_disk == [], f"{doc}: requests left the disk: {page.left_disk}"
    assert page.errors == [], f"{doc}: {page.errors}"
    context.close()


@pytest.mark.parametrize("doc", sorted(LIVE_KINDS))
def test_live_views_fit_a_phone(doc, browser, built_site):
    context, page = _open_from_disk(browser, built_site, doc, viewport=PHONE)
    _wait_ready(page, len(LIVE_KINDS[doc]))
    wide = page.evaluate(f"""() => Array.from(document.querySelectorAll('.rnn-live')).map(r => {{
        const b = r.getBoundingClientRect();
        return b.width > 0 && b.right > {PHONE['width']} + 1 ? r.dataset.kind + ': ' + b.right : null;
      }}).filter(Boolean)""")
    assert wide == [], f"{doc}: views wider than {PHONE['width']} px: {wide}"
    context.close()


@pytest.mark.parametrize("doc", sorted(LIVE_KINDS))
def test_without_javascript_each_view_shows_its_image(doc, browser, built_site):
    context, page = _open_from_disk(browser, built_site, doc, javascript=False)
    roots = page.locator(".rnn-live")
    assert roots.count() == len(LIVE_KINDS[doc])
    for i in range(roots.count()):
        root = roots.nth(i)
        assert root.locator(".rl-static").is_visible() and root.locator(".rl-live").is_hidden()
        image = root.locator(".rl-static img")
        assert image.count() == 1 and len(image.get_attribute("alt") or "") > 40, (
            f"{doc}: view {i} has no pre-rendered image with a real alt text")
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    context.close()


def live_outputs(notebook: Path) -> list[str]:
    """The text/html of every live view a notebook's executed copy holds, in order."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    htmls = ["".join(out["data"]["text/html"]) for cell in cells if cell["cell_type"] == "code"
             for out in cell.get("outputs", []) if "text/html" in out.get("data", {})]
    return [h for h in htmls if 'class="rnn-live"' in h]


def check_output_alone(browser, html: str, kind: str) -> None:
    """One output loaded alone (as Colab shows each output in its own iframe), offline: it
    starts, with no request and no error, and its parity check holds."""
    context, page = _offline_page(browser, viewport=PHONE)
    page.set_content("<!doctype html><meta charset=utf-8><body>" + html + "</body>")
    _wait_ready(page, 1)
    (view,) = _parities(page)
    assert view["kind"] == kind and view["parity"]["maxDiff"] <= PARITY_TOLERANCE, view
    assert page.left_disk == [] and page.errors == [], (page.left_disk, page.errors)
    context.close()


@pytest.mark.parametrize("doc", sorted(LIVE_KINDS))
def test_each_output_works_alone_as_in_jupyter(doc, browser, site_build):
    notebook = site_build.html.parent / "jupyter_execute" / f"{doc}.ipynb"
    if not notebook.exists():
        pytest.fail(f"{notebook} was not written by the build")
    outputs = live_outputs(notebook)
    assert len(outputs) == len(LIVE_KINDS[doc]), f"{doc}: {len(outputs)} live outputs"
    for html, kind in zip(outputs, LIVE_KINDS[doc]):
        check_output_alone(browser, html, kind)
