"""Every figure can be read without seeing it, and seen without telling red from green.

* Alt text: every image on a page of the built site (chapters, labs, ...) carries an alt text
  that describes it (not empty, not the image's file name, which is what Sphinx writes
  when a notebook cell gives none). Figures get theirs from the cell's metadata,
  ``{"mystnb": {"image": {"alt": "..."}}}``; the scrubbable explorations of
  ``utils.explore`` from ``explore(..., alt=...)`` or a default made from the label.
* Colours: the course's plot style cycles through the Okabe & Ito palette, whose colours
  stay apart for the common red-green colour blindness (checked by simulating it), and the
  notebooks' plotting code never names a colour of its own (``color="red"``, ``"g-"``,
  ``"#ff0000"``, ``cmap="jet"``): it uses ``COLORS``/``CYCLE`` and the colour maps of
  ``utils.plotting``.

The site checks need the built book (see ``built_site`` in conftest.py; set
RNN_COURSE_SITE=_build/html to check an existing build); the others take a second.
"""
from __future__ import annotations

import ast
import itertools
import re
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest
from matplotlib import colors as mcolors

matplotlib.use("Agg")

from utils import plotting  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted([*ROOT.glob("chapters/[0-9]*.ipynb"), *ROOT.glob("labs/lab[0-9]*.ipynb")])

# --- Alt text on the built site -------------------------------------------------------

IMAGE_FILE = re.compile(r"\.(png|jpe?g|gif|svg|webp|bmp)\b|_images/|^data:", re.I)
HASH = re.compile(r"\b[0-9a-f]{32,}\b")
MIN_FIGURE_WORDS = 6     # a figure's alt says what it shows and what to see in it


def alt_problem(alt: str | None, src: str = "") -> str | None:
    """Why ``alt`` does not describe its image (None when it does)."""
    if alt is None:
        return "no alt attribute"
    text = alt.strip()
    if not text:
        return "empty alt"
    if text == src.strip() or IMAGE_FILE.search(text) or HASH.search(text):
        return f"alt is a file name or path: {text[:80]!r}"
    return None


class _Images(HTMLParser):
    """The <img> tags of one page and the range sliders of its explorations."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.images: list[dict] = []
        self.sliders: list[dict] = []
        self._depth = 0                  # > 0 inside <div class="exploration">
        self._divs: list[bool] = []

    def handle_starttag(self, tag, attrs):
        a = {k: v for k, v in attrs}
        if tag == "div":
            opens = "exploration" in (a.get("class") or "").split()
            self._divs.append(opens)
            self._depth += opens
        elif tag == "img":
            self.images.append({**a, "in_exploration": self._depth > 0})
        elif tag == "input" and a.get("type") == "range" and self._depth > 0:
            self.sliders.append(a)

    def handle_endtag(self, tag):
        if tag == "div" and self._divs:
            self._depth -= self._divs.pop()


def _course_pages(built_site: Path, toc_pages: dict) -> list[tuple[str, Path]]:
    """Every page of _toc.yml (the chapters and labs hold the figures)."""
    return [(name, built_site / f"{name}.html") for name in toc_pages]


def _is_figure(img: dict) -> bool:
    """A notebook's figure output or an exploration frame (not a theme icon)."""
    src = img.get("src") or ""
    return img["in_exploration"] or "_images/" in src or src.startswith("data:image")


@pytest.mark.slow
def test_every_image_on_every_page_has_alt_text(built_site, toc_pages):
    pages = _course_pages(built_site, toc_pages)
    notebooks = [name for name, _ in pages if name.startswith(("chapters/", "labs/"))]
    assert len(notebooks) >= 14, f"expected 7 chapters and 7 labs in _toc.yml, got {notebooks}"
    problems, figures = [], 0
    for name, page in pages:
        parser = _Images()
        parser.feed(page.read_text(encoding="utf-8"))
        for img in parser.images:
            src = img.get("src") or ""
            where = "exploration frame" if img["in_exploration"] else (src.rsplit("/", 1)[-1] or "<img>")
            why = alt_problem(img.get("alt"), src)
            if why is None and _is_figure(img):
                figures += 1
                words = len(img["alt"].split())
                if words < MIN_FIGURE_WORDS:
                    why = f"alt too short to describe a figure ({words} words): {img['alt']!r}"
            if why:
                problems.append(f"{name}: {where}: {why}")
    assert not problems, (
        f"{len(problems)} images without a describing alt text (give the notebook cell "
        '{"mystnb": {"image": {"alt": "..."}}} metadata, or explore(..., alt="...")):\n'
        + "\n".join(problems))
    assert figures >= 14, f"only {figures} figures found on the chapter and lab pages"


@pytest.mark.slow
def test_exploration_frames_and_sliders_are_described(built_site, toc_pages):
    """Each static exploration: the frame's alt names the value shown; the slider has a name."""
    problems, explorations = [], 0
    for name, page in _course_pages(built_site, toc_pages):
        parser = _Images()
        parser.feed(page.read_text(encoding="utf-8"))
        frames = [img for img in parser.images if img["in_exploration"]]
        if len(frames) != len(parser.sliders):
            problems.append(f"{name}: {len(frames)} exploration frames but {len(parser.sliders)} sliders")
        for img, slider in zip(frames, parser.sliders):
            explorations += 1
            label, value = slider.get("aria-label"), slider.get("aria-valuetext") or ""
            if not label:
                problems.append(f"{name}: an exploration slider has no aria-label")
            elif not value.startswith(f"{label}: "):
                problems.append(f"{name}: slider {label!r} has aria-valuetext {value!r}")
            elif not (img.get("alt") or "").endswith(f"Now showing {value}."):
                problems.append(f"{name}: the frame's alt does not name the value shown ({value!r})")
    assert not problems, "\n".join(problems)
    assert explorations >= 7, f"only {explorations} explorations found (one per chapter expected)"


def test_alt_problem_recognises_file_names():
    """The rule above, on what Sphinx writes without alt metadata and on real alt texts."""
    sphinx_default = "../_images/ae0d94f7b0c2bccccf6181cf42ab9a7e26e843398cf902db33dd7d9704924717.png"
    assert alt_problem(sphinx_default, sphinx_default)
    assert alt_problem("figure.png") and alt_problem("  ") and alt_problem(None)
    assert alt_problem("ae0d94f7b0c2bccccf6181cf42ab9a7e26e843398cf902db33dd7d9704924717")
    assert alt_problem("Loss against training step: it falls from 3.4 to 2.2.") is None
    assert alt_problem("Colab logo", "../_static/images/logo_colab.png") is None


# --- Alt text in the notebooks (fast: no build) -----------------------------------------

def _code_cells(path: Path):
    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"]


def _cell_alt(cell) -> str | None:
    return (cell.metadata.get("mystnb", {}).get("image", {}) or {}).get("alt")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_cells_that_show_a_figure_carry_alt_metadata(path):
    """Every cell that calls plt.show() has {"mystnb": {"image": {"alt": ...}}} metadata.

    (Figures shown another way are caught by the site test above.)
    """
    missing = [c.get("id") for c in _code_cells(path)
               if re.search(r"\bplt\.show\(\)", c.source) and not _cell_alt(c)]
    assert not missing, (f"{path.relative_to(ROOT)}: cells that show a figure without alt "
                         f"text (cell ids): {missing}")
    short = {c.get("id"): _cell_alt(c) for c in _code_cells(path)
             if _cell_alt(c) is not None
             and (alt_problem(_cell_alt(c)) or len(_cell_alt(c).split()) < MIN_FIGURE_WORDS)}
    assert not short, f"{path.relative_to(ROOT)}: alt texts that do not describe a figure: {short}"


# --- Colours ---------------------------------------------------------------------------

# Okabe & Ito (2008), "Color Universal Design": the eight colours, by their names there.
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9",
             "bluish green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
             "vermillion": "#D55E00", "reddish purple": "#CC79A7"}
NEUTRAL_GREY = "#7F7F7F"   # COLORS["grey"]: reference lines, never a data series

# Machado, Oliveira & Fernandes (2009): full protanopia and deuteranopia (red-green
# colour blindness) as matrices on linear RGB.
CVD = {"protanopia": np.array([[0.152286, 1.052583, -0.204868],
                               [0.114503, 0.786281, 0.099216],
                               [-0.003882, -0.048116, 1.051998]]),
       "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                                 [0.280085, 0.672501, 0.047413],
                                 [-0.011820, 0.042940, 0.968881]])}
MIN_DELTA_E = 15.0   # CIE76 distance; matplotlib's tab10 red and green: 7.3 for deuteranopes


def _lab(color: str, cvd: np.ndarray | None = None) -> np.ndarray:
    """CIELAB of an sRGB colour, optionally as seen with a colour-vision deficiency."""
    rgb = np.array(mcolors.to_rgb(color))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    if cvd is not None:
        linear = np.clip(cvd @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ linear / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest_pair(colors: list[str], cvd: np.ndarray) -> tuple[float, str, str]:
    """The two colours of ``colors`` that look most alike under ``cvd`` and their distance."""
    return min((float(np.linalg.norm(_lab(a, cvd) - _lab(b, cvd))), a, b)
               for a, b in itertools.combinations(colors, 2))


def test_course_style_cycles_through_okabe_ito():
    saved = matplotlib.rcParams.copy()
    try:
        plotting.use_course_style()
        cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    finally:
        matplotlib.rcParams.update(saved)
    okabe_ito = {c.upper() for c in OKABE_ITO.values()}
    assert [c.upper() for c in cycle] == [c.upper() for c in plotting.CYCLE]
    assert len(cycle) >= 6 and len(set(cycle)) == len(cycle), cycle
    foreign = [c for c in cycle if c.upper() not in okabe_ito]
    assert not foreign, f"colours in the plot cycle that are not Okabe-Ito colours: {foreign}"
    assert "#F0E442" not in {c.upper() for c in cycle}, "yellow is too light for lines on white"
    others = {name: c for name, c in plotting.COLORS.items()
              if c.upper() not in okabe_ito | {NEUTRAL_GREY}}
    assert not others, f"COLORS holds colours outside the Okabe-Ito palette: {others}"


@pytest.mark.parametrize("deficiency", sorted(CVD))
def test_cycle_colours_stay_apart_for_red_green_colour_blindness(deficiency):
    distance, a, b = closest_pair(plotting.CYCLE, CVD[deficiency])
    assert distance >= MIN_DELTA_E, (
        f"with {deficiency}, the cycle's colours {a} and {b} look alike "
        f"(CIE76 distance {distance:.1f} < {MIN_DELTA_E})")


def test_the_simulation_tells_a_red_green_pair_from_okabe_ito():
    """The check above can fail: matplotlib's default red and green collapse for deuteranopes."""
    assert closest_pair(["tab:red", "tab:green"], CVD["deuteranopia"])[0] < MIN_DELTA_E
    assert closest_pair(["red", "green"], CVD["protanopia"])[0] < MIN_DELTA_E
    assert closest_pair([plotting.COLORS["vermillion"], plotting.COLORS["green"]],
                        CVD["deuteranopia"])[0] >= MIN_DELTA_E


# Keyword arguments that take a colour, or a list of colours, in matplotlib calls.
COLOR_KEYWORDS = {"color", "colors", "c", "ec", "fc", "edgecolor", "edgecolors", "facecolor",
                  "facecolors", "mec", "mfc", "markeredgecolor", "markerfacecolor",
                  "markerfacecoloralt", "ecolor", "labelcolor", "hatch_color"}
# Colour-blind-safe colour maps (perceptually uniform, or blue-red diverging).
SAFE_CMAPS = {"viridis", "cividis", "magma", "inferno", "plasma", "Greys", "gray", "grey",
              "binary", "Blues", "Oranges", "Purples", "RdBu", "RdBu_r", "PuOr", "PuOr_r",
              plotting.SEQUENTIAL, plotting.DIVERGING}
# Literal colours that need no palette: ink, paper, nothing, and the cycle by index.
NEUTRAL = {"black", "k", "white", "w", "none"}
PLOT_METHODS = {"plot", "semilogy", "semilogx", "loglog", "errorbar", "step", "plot_date"}
# matplotlib's format strings ("r-", "go", "b--"): a colour letter with a marker/line style.
FORMAT_COLOR = re.compile(r"^(?=.*[bgrcmykw])[bgrcmykw]?[-.:o,v^<>1-4sp*hH+xXdD|_]*"
                          r"[bgrcmykw]?[-.:o,v^<>1-4sp*hH+xXdD|_]*$")


def _palette_hexes() -> set[str]:
    return {c.upper() for c in plotting.COLORS.values()}


def _literal_color_problem(text: str) -> str | None:
    """Why a literal colour in plotting code is not allowed (None when it is)."""
    if text.lower() in NEUTRAL or re.fullmatch(r"C\d|0?\.\d+|[01](\.0*)?", text):
        return None   # ink, paper, a cycle colour by index, a shade of grey ("0.6")
    if text.upper() in _palette_hexes():
        return None
    if not mcolors.is_color_like(text):
        return None   # not a colour (e.g. "auto")
    return f"literal colour {text!r}: use plotting.COLORS[...] or plotting.CYCLE"


def _strings(node: ast.AST) -> list[ast.Constant]:
    """String constants of a literal, a list/tuple/set of literals, or a conditional of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [s for e in node.elts for s in _strings(e)]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


# Colour names that, kept in a list or dict or assigned to a name, mean a colour outside the
# palette (the Okabe-Ito names blue, orange, green, ... are keys of COLORS: allowed).
RED_GREEN_AND_CO = {name for name in mcolors.CSS4_COLORS if re.search("red|green", name)} | {
    "lime", "crimson", "firebrick", "tomato", "maroon", "salmon", "cyan", "magenta", "brown",
    "pink", "gray"}


def colour_problems(source: str) -> list[str]:
    """Hard-coded colours in one cell or module of Python code (comments and prose ignored)."""
    lines = [("pass  # " + line) if line.lstrip().startswith(("%", "!")) else line
             for line in source.splitlines()]
    tree = ast.parse("\n".join(lines))
    problems, seen = [], set()
    palette_names = set(plotting.COLORS)

    def report(node: ast.Constant, message: str) -> None:
        if id(node) not in seen:
            seen.add(id(node))
            problems.append(((node.lineno, node.col_offset), f"line {node.lineno}: {message}"))

    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    for node in calls:
        # 1. color=..., cmap=... arguments of any call.
        for kw in node.keywords:
            if kw.arg in COLOR_KEYWORDS:
                for s in _strings(kw.value):
                    why = _literal_color_problem(s.value)
                    if why:
                        report(s, f"{kw.arg}={s.value!r}: {why}")
            elif kw.arg == "cmap":
                for s in _strings(kw.value):
                    if s.value not in SAFE_CMAPS:
                        report(s, f"cmap={s.value!r} is not colour-blind safe: "
                                  "use plotting.SEQUENTIAL or plotting.DIVERGING")
        # 2. format strings of ax.plot(x, y, "r-") and friends.
        name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if name in PLOT_METHODS:
            for arg in node.args:
                for s in _strings(arg):
                    letters = set(re.sub(r"[^bgrcmykw]", "", s.value))
                    if s.value and FORMAT_COLOR.match(s.value) and letters - {"k", "w"}:
                        report(s, f"format string {s.value!r} picks a colour: "
                                  "give color=plotting.COLORS[...] instead")
    # 3. red, green and co. or a hex code as an element of a list, tuple, set or dict, or
    #    assigned to a name: colours kept aside and looped over (`for c in ["red", "green"]`).
    #    Text drawn or printed (`ax.text(0, 0, "red")`) is not a colour and is not looked at.
    held = [e for n in ast.walk(tree) if isinstance(n, (ast.List, ast.Tuple, ast.Set)) for e in n.elts]
    held += [v for n in ast.walk(tree) if isinstance(n, ast.Dict) for v in n.values]
    held += [n.value for n in ast.walk(tree) if isinstance(n, (ast.Assign, ast.AnnAssign))]
    for node in held:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if ((text.lower() in RED_GREEN_AND_CO and text not in palette_names)
                    or text.startswith(("tab:", "xkcd:"))
                    or re.fullmatch(r"#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?|#[0-9a-fA-F]{3}", text)):
                why = _literal_color_problem(text)
                if why:
                    report(node, why)
    return [message for _, message in sorted(problems)]


@pytest.mark.parametrize("source, expected", [
    ('ax.plot(x, y, color="red")', "'red'"),
    ('ax.plot(x, y, "g-")', "'g-'"),
    ('ax.semilogy(x, y, "ro", ms=3)', "'ro'"),
    ('ax.bar(x, y, color=["#ff0000", "#00ff00"])', "'#ff0000'"),
    ('for c in ["red", "green"]:\n    ax.plot(x, y, color=c)', "'red'"),
    ('ax.imshow(a, cmap="jet")', "'jet'"),
    ('ax.axhline(0, c="tab:green")', "'tab:green'"),
    ('plt.scatter(x, y, color="green")', "'green'"),
])
def test_colour_scan_finds_hard_coded_colours(source, expected):
    problems = colour_problems(source)
    assert problems and expected in problems[0], problems


@pytest.mark.parametrize("source", [
    'ax.plot(x, y, "o-", color=plotting.COLORS["green"])',
    'colors = ["black", "blue", "vermillion"]\nax.plot(x, y, color=COLORS[colors[0]])',
    'ax.plot(x, y, "--", color="black"); ax.text(0, 0, "red", color="white")',
    'print("red"); ax.set_title("green")',
    'ax.imshow(a, cmap=plotting.DIVERGING); ax.imshow(a, cmap="viridis")',
    '# plot the red line in green\nprint("green")  # prose is fine: "green" alone is a COLORS key',
    'title = "blue negative, red positive"; ax.plot(x, y, "s--", color=COLORS["blue"])',
    'ax.plot(x, y, color="#0072B2"); ax.plot(x, y, color="C1"); ax.axhline(0, color="0.6")',
    '%matplotlib inline\nax.plot(x, y, ":", lw=1)',
])
def test_colour_scan_accepts_the_palette_and_prose(source):
    assert colour_problems(source) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_use_the_palette_not_literal_colours(path):
    problems = [f"cell {c.get('id')}: {p}" for c in _code_cells(path) for p in colour_problems(c.source)]
    assert not problems, (f"{path.relative_to(ROOT)} hard-codes colours (not colour-blind safe):\n"
                          + "\n".join(problems))


def test_utils_plotting_code_uses_the_palette():
    """The utils modules that draw (import matplotlib) follow the same rule."""
    modules = [py for py in sorted((ROOT / "utils").rglob("*.py"))
               if re.search(r"^\s*(import|from) matplotlib", py.read_text(encoding="utf-8"), re.M)]
    assert ROOT / "utils" / "plotting.py" in modules and len(modules) >= 3, modules
    problems = [f"{py.relative_to(ROOT)}: {p}" for py in modules
                for p in colour_problems(py.read_text(encoding="utf-8"))]
    assert not problems, "utils hard-codes colours (not colour-blind safe):\n" + "\n".join(problems)
