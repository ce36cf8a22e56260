"""The book builds from scratch with warnings as errors, and the site is self-contained.

One clean build per session (see ``built_site`` in conftest.py): every notebook is
executed, so this takes minutes. Run alone with ``pytest -m slow tests/test_build.py``.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest


pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]

CDN_HINTS = ("cdn", "unpkg", "jsdelivr", "cdnjs", "googleapis", "gstatic", "cloudflare")
MATHJAX_FILE = "_static/mathjax/tex-chtml-full.js"


class _Tags(HTMLParser):
    """Collects the tags of one page that make a browser fetch something."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict] = []   # attrs of every <script>
        self.links: list[dict] = []     # attrs of every <link>
        self.images: list[str] = []     # src of every <img>
        self.frames: list[str] = []     # src of every <iframe>/<embed>/<source>/<video>/<audio>

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "script":
            self.scripts.append(a)
        elif tag == "link":
            self.links.append(a)
        elif tag == "img":
            self.images.append(a.get("src", ""))
        elif tag in ("iframe", "embed", "source", "video", "audio") and a.get("src"):
            self.frames.append(a["src"])


def _parse(page: Path) -> _Tags:
    tags = _Tags()
    tags.feed(page.read_text(encoding="utf-8"))
    return tags


def _is_remote(url: str) -> bool:
    return url.startswith("//") or urlparse(url).scheme in ("http", "https", "ws", "wss")


def _pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.parts)


def _html_of(html: Path, docname: str) -> Path:
    return html / (docname + ".html")


def test_build_succeeds(site_build):
    """`jupyter-book build --all -W -n --keep-going` into a fresh folder exits 0."""
    assert site_build.returncode == 0, (
        f"the book build failed (exit {site_build.returncode}) after {site_build.seconds:.0f} s; "
        f"end of {site_build.log}:\n{site_build.log_tail()}")


def test_every_toc_page_is_built(built_site, toc_pages):
    assert (built_site / "index.html").is_file()
    missing = [name for name in toc_pages if not _html_of(built_site, name).is_file()]
    assert not missing, f"pages listed in _toc.yml but not built: {missing}"
    # The course's first chapter and lab exist from the start.
    for name in ("chapters/01_recurrent_unit", "labs/lab01_rnn_from_scratch"):
        assert _html_of(built_site, name).is_file(), f"{name}.html was not built"


def test_no_remote_scripts_styles_or_media(built_site):
    """Nothing a reader's browser loads comes from a CDN or any other host."""
    problems = []
    for page in _pages(built_site):
        tags = _parse(page)
        rel = page.relative_to(built_site)
        for a in tags.scripts:
            if _is_remote(a.get("src", "")):
                problems.append(f"{rel}: <script src={a['src']}>")
        for a in tags.links:
            # rel=canonical/next/prev are plain links; stylesheets, icons, preloads load.
            if _is_remote(a.get("href", "")) and a.get("rel", "") not in ("canonical", "next", "prev"):
                problems.append(f"{rel}: <link rel={a.get('rel')} href={a['href']}>")
        for src in tags.images + tags.frames:
            if _is_remote(src):
                problems.append(f"{rel}: remote media {src}")
        text = page.read_text(encoding="utf-8")
        for tag in re.findall(r"<(?:script|link)\b[^>]*>", text):
            if any(hint in tag for hint in CDN_HINTS) and re.search(r"(src|href)=\"(https?:)?//", tag):
                problems.append(f"{rel}: {tag}")
    assert not problems, "pages load remote assets (the site must work offline):\n" + "\n".join(
        sorted(set(problems)))


def test_static_css_has_no_remote_urls(built_site):
    """Theme stylesheets must not pull fonts or icons from the web (e.g. Google Fonts)."""
    bad = []
    for css in (built_site / "_static").rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(encoding="utf-8", errors="replace")):
            if _is_remote(url):
                bad.append(f"{css.relative_to(built_site)}: {url}")
        for imp in re.findall(r"@import\s+(?:url\()?['\"]?([^'\");]+)", css.read_text(encoding="utf-8", errors="replace")):
            if _is_remote(imp):
                bad.append(f"{css.relative_to(built_site)}: @import {imp}")
    assert not bad, "remote URLs in built CSS:\n" + "\n".join(bad)


def test_the_theme_icon_script_is_the_course_stand_in(built_site):
    """The theme's 1.4 MB icon script is replaced by _vendor/scripts/fontawesome.js (a
    comment): its stylesheet draws the same icons with webfonts. test_site_browser's
    test_theme_icons_show checks that they do."""
    built = built_site / "_static/scripts/fontawesome.js"
    assert built.read_bytes() == (ROOT / "_vendor/scripts/fontawesome.js").read_bytes()
    assert built.stat().st_size < 2000


def test_mathjax_is_vendored(built_site):
    """Pages with math load MathJax from _static/ (vendored), never from a CDN."""
    assert (built_site / MATHJAX_FILE).is_file(), f"{MATHJAX_FILE} missing: is _vendor/ committed?"
    fonts = list((built_site / "_static/mathjax/output/chtml/fonts/woff-v2").glob("*.woff"))
    assert fonts, "MathJax's CommonHTML fonts were not copied to _static/"
    with_math = 0
    for page in _pages(built_site):
        text = page.read_text(encoding="utf-8")
        if 'class="math' not in text:
            continue
        with_math += 1
        srcs = [a.get("src", "") for a in _parse(page).scripts]
        assert sum("mathjax" in s.lower() for s in srcs) <= 1, (
            f"{page.relative_to(built_site)} loads MathJax twice (is there a _static/ folder? "
            f"Jupyter Book then adds every .js of html_static_path to every page): {srcs}")
        assert any(s.split("?")[0].endswith(MATHJAX_FILE.split("/", 1)[1]) for s in srcs), (
            f"{page.relative_to(built_site)} has math but does not load the vendored MathJax: {srcs}")
    assert with_math, "no page contains math at all: is dollarmath enabled?"


def test_no_widget_javascript_or_widget_views(built_site):
    """No page loads require.js or the ipywidgets HTML manager, and none needs them.

    A widget view on a static page would render as an empty box. Interactive outputs must
    carry a static ``text/html`` face too (it wins on the site: nb_mime_priority_overrides
    in _config.yml); a bare ipywidget (for example a tqdm.auto progress bar or an
    ``interact`` without a static face) in an executed cell ends up here.
    """
    problems = []
    for page in _pages(built_site):
        rel = page.relative_to(built_site)
        for a in _parse(page).scripts:
            src, kind = a.get("src", ""), a.get("type", "")
            if re.search(r"require(\.min)?\.js|embed-amd|html-manager", src):
                problems.append(f"{rel}: loads {src}")
            if kind == "application/vnd.jupyter.widget-view+json":
                problems.append(f"{rel}: embeds a widget view (give the output a text/html face)")
    assert not problems, "\n".join(problems)


def _repo_slug(book_config) -> str:
    url = book_config["repository"]["url"].rstrip("/")
    url = url[:-4] if url.endswith(".git") else url
    return urlparse(url).path.strip("/")


def test_launch_and_download_buttons_on_notebook_pages(built_site, toc_pages, book_config):
    """Every notebook page offers 'open in Colab' and 'download .ipynb'."""
    slug = _repo_slug(book_config)
    branch = book_config["repository"].get("branch", "main")
    notebooks = [name for name, src in toc_pages.items() if src.suffix == ".ipynb"]
    assert notebooks, "no notebook pages in _toc.yml"
    for name in notebooks:
        page = _html_of(built_site, name)
        text = page.read_text(encoding="utf-8")
        colab = f"https://colab.research.google.com/github/{slug}/blob/{branch}/{name}.ipynb"
        assert colab in text, f"{name}: no Colab launch button linking to {colab}"
        links = [m for m in re.findall(r'href="([^"]+)"', text) if m.endswith(f"_sources/{name}.ipynb")]
        assert links, f"{name}: no download button for the .ipynb"
        target = (page.parent / links[0]).resolve()
        assert target.is_file(), f"{name}: the download button points at a missing file {target}"


def test_solutions_in_details_render_as_highlighted_code(built_site):
    """`<details><summary>Show solution</summary>` blocks hold highlighted code.

    MyST parses the fenced code block inside <details> only when it is surrounded by
    blank lines; otherwise the reader sees the raw ``` fences.
    """
    problems = []
    for page in _pages(built_site):
        text = page.read_text(encoding="utf-8")
        for block in re.findall(r"<details\b.*?</details>", text, flags=re.S):
            rel = page.relative_to(built_site)
            if "```" in block:
                problems.append(f"{rel}: raw ``` inside <details> (leave a blank line after "
                                "</summary> and before </details>)")
            elif "<pre" in block and 'class="highlight' not in block:
                problems.append(f"{rel}: code inside <details> is not highlighted")
    assert not problems, "\n".join(problems)


def test_bibliography_lists_every_entry(built_site):
    """The References page (``:all:``) shows one entry per key of references.bib."""
    keys = re.findall(r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text(encoding="utf-8"), flags=re.M)
    page = (built_site / "references.html").read_text(encoding="utf-8")
    entries = page.count('role="doc-biblioentry"')
    assert entries == len(keys), f"references.html lists {entries} entries for {len(keys)} bib keys"
