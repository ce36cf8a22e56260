"""How heavy is each page of the built site? The page's HTML plus every local file it loads.

    python scripts/site_weight.py [_build/html] [--limit-mb 5]

For every .html page of a built site (``_build/html`` by default; Sphinx's helper
fragments under ``_static/`` are not pages) this reads the HTML and adds up the local
files it references:

- ``<img src/srcset>``, ``<script src>``, ``<source>``, ``<video>``, ``<audio>``,
  ``<embed>``, ``<object data>``, ``<iframe src>``;
- ``<link href>`` for stylesheets, icons and preloads (not ``rel=next/prev/index/search``,
  which point at other pages);
- inside each CSS file, recursively, every ``url(...)`` and ``@import`` (fonts,
  background images, further stylesheets).

Each file counts once per page, at its size on disk (what the browser downloads from a
plain static server without compression). Pictures embedded as ``data:`` URIs, such as the
frames of the scrubbable animations, are already part of the HTML. Not counted: files that
scripts fetch by themselves while the page runs (for example the MathJax fonts that the
vendored MathJax loads only when it typesets), and the search index that only search.html
loads through its ``<script>`` tag is counted because it *is* a tag.

Prints one row per page (HTML KB, assets KB, total KB), the largest page, and exits 1 if a
page reaches ``--limit-mb`` (default 5 MB = 5 * 1024 * 1024 bytes) or references a local
file that does not exist.
"""
from __future__ import annotations

import argparse
import dataclasses
import html.parser
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parents[1]
LIMIT_MB = 5.0
MB = 1024 * 1024

# <link rel=...> values that load a file into the page (the others link to other pages).
ASSET_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "modulepreload",
              "manifest", "mask-icon"}
FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")


class _References(html.parser.HTMLParser):
    """Collects the URLs of the files an HTML page loads."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag in ("img", "script", "source", "video", "audio", "embed", "iframe", "track",
                   "input"):
            if a.get("src"):
                self.urls.append(a["src"])
        if tag in ("img", "source") and a.get("srcset"):
            self.urls += [part.split()[0] for part in a["srcset"].split(",") if part.strip()]
        if tag == "video" and a.get("poster"):
            self.urls.append(a["poster"])
        if tag == "object" and a.get("data"):
            self.urls.append(a["data"])
        if tag == "link" and a.get("href"):
            rels = set(a.get("rel", "").lower().split())
            if rels & ASSET_RELS:
                self.urls.append(a["href"])


def _local_file(url: str, base: Path, site: Path) -> Path | None:
    """The file a (relative or site-absolute) URL names, or None for data:, http: and the like."""
    parsed = urlparse(url)
    if parsed.scheme or parsed.netloc or not parsed.path:
        return None
    path = unquote(parsed.path)
    target = (site / path.lstrip("/")) if path.startswith("/") else (base / path)
    return target.resolve()


@dataclasses.dataclass
class PageWeight:
    page: str            # relative to the site root
    html_bytes: int
    assets: dict[Path, int]
    missing: list[str]

    @property
    def asset_bytes(self) -> int:
        return sum(self.assets.values())

    @property
    def total_bytes(self) -> int:
        return self.html_bytes + self.asset_bytes


def _css_urls(text: str) -> list[str]:
    """The URLs a stylesheet loads. In an ``@font-face`` rule only the first ``src`` counts:
    the browser downloads the first format it supports (woff2 here), not every fallback."""
    urls: list[str] = []
    rest = text
    for block in FONT_FACE.finditer(text):
        first = CSS_URL.search(block.group(0))
        if first:
            urls.append(first.group(2) or first.group(4))
        rest = rest.replace(block.group(0), "", 1)
    urls += [m.group(2) or m.group(4) for m in CSS_URL.finditer(rest)]
    return urls


def _add_css(css: Path, site: Path, assets: dict[Path, int], missing: list[str]) -> None:
    for url in _css_urls(css.read_text(encoding="utf-8", errors="replace")):
        target = _local_file(url, css.parent, site)
        if target is None or target in assets:
            continue
        if not target.is_file():
            missing.append(f"{url} (from {css.relative_to(site)})")
            continue
        assets[target] = target.stat().st_size
        if target.suffix == ".css":
            _add_css(target, site, assets, missing)


def page_weight(page: Path, site: Path) -> PageWeight:
    """The HTML of ``page`` and every local file it references (each file counted once)."""
    parser = _References()
    parser.feed(page.read_text(encoding="utf-8", errors="replace"))
    assets: dict[Path, int] = {}
    missing: list[str] = []
    for url in parser.urls:
        target = _local_file(url, page.parent, site)
        if target is None or target in assets:
            continue
        if not target.is_file():
            missing.append(url)
            continue
        assets[target] = target.stat().st_size
        if target.suffix == ".css":
            _add_css(target, site, assets, missing)
    return PageWeight(page.relative_to(site).as_posix(), page.stat().st_size, assets, missing)


def site_pages(site: Path) -> list[Path]:
    """Every .html page of the site (not the template fragments under _static/ or _sources/)."""
    return sorted(p for p in site.rglob("*.html")
                  if not p.relative_to(site).parts[0].startswith("_"))


def site_weights(site: Path) -> list[PageWeight]:
    return [page_weight(p, site) for p in site_pages(site)]


def report(weights: list[PageWeight]) -> str:
    width = max(len(w.page) for w in weights)
    lines = [f"{'page':<{width}}  {'html KB':>9}  {'assets KB':>9}  {'total KB':>9}  files"]
    for w in sorted(weights, key=lambda w: -w.total_bytes):
        lines.append(f"{w.page:<{width}}  {w.html_bytes / 1024:9.1f}  {w.asset_bytes / 1024:9.1f}"
                     f"  {w.total_bytes / 1024:9.1f}  {len(w.assets):5d}")
    big = max(weights, key=lambda w: w.total_bytes)
    lines.append(f"largest page: {big.page}, {big.total_bytes / MB:.2f} MB "
                 f"({big.html_bytes / MB:.2f} MB of HTML, {big.asset_bytes / MB:.2f} MB in "
                 f"{len(big.assets)} files)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("site", nargs="?", default=str(ROOT / "_build" / "html"),
                    help="the built site (default: _build/html)")
    ap.add_argument("--limit-mb", type=float, default=LIMIT_MB,
                    help=f"fail when a page reaches this many MB (default {LIMIT_MB})")
    args = ap.parse_args(argv)
    site = Path(args.site).resolve()
    if not (site / "index.html").is_file():
        print(f"{site} holds no index.html: build the book first (make book)", file=sys.stderr)
        return 2
    weights = site_weights(site)
    print(report(weights))
    status = 0
    for w in weights:
        if w.missing:
            print(f"ERROR {w.page} references missing files: {w.missing}", file=sys.stderr)
            status = 1
        if w.total_bytes >= args.limit_mb * MB:
            print(f"ERROR {w.page} weighs {w.total_bytes / MB:.2f} MB, over the "
                  f"{args.limit_mb} MB limit", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
