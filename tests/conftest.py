"""Shared fixtures.

``built_site`` builds the whole book ONCE per test session (the build executes every
notebook, so it takes minutes) and returns the folder holding the HTML. Under
pytest-xdist the workers share that one build: the first worker to ask builds, the
others wait on a file lock and reuse the result.

Set RNN_COURSE_SITE=/path/to/_build/html to test an existing build instead (handy while
working on the browser test: ``make book`` once, then
``RNN_COURSE_SITE=_build/html pytest tests/test_site_browser.py``).

``browser`` is a headless Chromium (Playwright) for one test module: skipped where Chromium
or Playwright is missing, an error when CI is set.
"""
from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, settings

# Property-based tests (tests/test_properties.py): the same examples on every run, nothing
# written to disk, no per-example deadline (CI machines are slow and busy), and few enough
# examples that the whole file runs in seconds.
settings.register_profile("course", database=None, deadline=None, derandomize=True,
                          max_examples=20, print_blob=False,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("course")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from course_toc import toc_files  # noqa: E402

# The exact command of `make book`, pointed at a fresh output folder so that nothing is
# reused from an earlier build or from the execution cache.
BUILD_ARGS = ["build", str(ROOT), "--all", "-W", "-n", "--keep-going"]
BUILD_TIMEOUT_S = 45 * 60
# As in `make book`: no live progress bars while the book executes the notebooks.
BUILD_ENV = {"RNN_COURSE_PROGRESS": "0"}


@dataclasses.dataclass(frozen=True)
class SiteBuild:
    html: Path          # <output>/_build/html
    returncode: int
    seconds: float
    log: Path           # full stdout + stderr of the build

    def log_tail(self, chars: int = 6000) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return text[-chars:]


def _shared_dir(tmp_path_factory) -> Path:
    """A folder every xdist worker of this session sees (the base temp's parent)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _build(out: Path) -> SiteBuild:
    out.mkdir(parents=True, exist_ok=True)
    log = out / "build.log"
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
           *BUILD_ARGS, "--path-output", str(out)]
    start = time.monotonic()
    with log.open("w", encoding="utf-8") as fh:
        fh.write("$ RNN_COURSE_PROGRESS=0 jupyter-book "
                 + " ".join(BUILD_ARGS + ["--path-output", str(out)]) + "\n")
        fh.flush()
        try:
            rc = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT,
                                env={**os.environ, **BUILD_ENV},
                                timeout=BUILD_TIMEOUT_S).returncode
        except subprocess.TimeoutExpired:
            fh.write(f"\nbuild killed after {BUILD_TIMEOUT_S} s\n")
            rc = -9
    return SiteBuild(out / "_build" / "html", rc, time.monotonic() - start, log)


@pytest.fixture(scope="session")
def site_build(tmp_path_factory) -> SiteBuild:
    """The result of one full, clean build of the book (built at most once per session)."""
    existing = os.environ.get("RNN_COURSE_SITE")
    if existing:
        html = Path(existing).resolve()
        if not (html / "index.html").is_file():
            pytest.fail(f"RNN_COURSE_SITE={existing} holds no index.html")
        return SiteBuild(html, 0, 0.0, html / "build.log")

    shared = _shared_dir(tmp_path_factory)
    out = shared / "book"
    record = shared / "book-build.json"
    with open(shared / "book-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)      # released when the file closes
        if not record.exists():
            result = _build(out)
            record.write_text(json.dumps({"returncode": result.returncode,
                                          "seconds": result.seconds}))
        data = json.loads(record.read_text())
    return SiteBuild(out / "_build" / "html", data["returncode"], data["seconds"],
                     out / "build.log")


@pytest.fixture(scope="session")
def built_site(site_build: SiteBuild) -> Path:
    """The built HTML folder (``_build/html``); fails the test if the build failed."""
    if site_build.returncode != 0:
        pytest.fail(f"the book build failed (exit {site_build.returncode}); "
                    f"end of {site_build.log}:\n{site_build.log_tail()}", pytrace=False)
    return site_build.html


@pytest.fixture(scope="session")
def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def source_of(docname: str) -> Path:
    """The source file of a TOC entry (.ipynb or .md)."""
    for suffix in (".ipynb", ".md"):
        path = ROOT / (docname + suffix)
        if path.exists():
            return path
    raise FileNotFoundError(f"no .ipynb or .md source for TOC entry {docname!r}")


@pytest.fixture(scope="session")
def toc_pages() -> dict[str, Path]:
    """{docname: source file} for every page of _toc.yml, in reading order."""
    return {name: source_of(name) for name in toc_files()}


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny models run fastest on one thread (and pytest -n 2 already uses both cores)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --- a headless Chromium, shared by every browser test ------------------------------------------
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def require_browser() -> None:
    """Skip when Chromium or Playwright is missing; fail instead when CI is set."""
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


@pytest.fixture(scope="module")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                      headless=True)
        yield chromium
        chromium.close()
