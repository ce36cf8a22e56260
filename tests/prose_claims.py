"""Find the numerals a page's prose states, for tests/test_prose_claims.py.

A numeral in the prose of a chapter or lab is allowed only when it cannot drift from the
results: it is produced by the notebook (``utils.claims.say`` in a code cell), or it is a
number that is *set*, not measured (an equation constant, a year, a citation, a setting
such as 400 training steps), listed with its reason in ``tests/prose_numbers/<page>.txt``:

    # numeral | why it may stand in the prose
    2014 | Cho et al. (year)
    400 | training steps of the recall task (set)

Where a numeral is looked for: markdown cells, after removing math ($...$, $$...$$),
code (fenced blocks, inline code, roles such as {cite:p}`...`), solution blocks
(<details>), HTML tags, link targets, list numbers and references to numbered parts of
the course ("Chapter 3", "Labs 4-5", "exercise 2", "Figure 1"); and the literal parts of
the text passed to ``say(...)`` in code cells (the inserted values are computed).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
ALLOW_DIR = ROOT / "tests" / "prose_numbers"

_DROP = [
    re.compile(r"<details>.*?</details>", re.S),
    re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.S | re.M),       # fenced code and directives
    re.compile(r"\$\$.*?\$\$", re.S),
    re.compile(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.S),
    re.compile(r"(?<!\\)\$[^$\n]+?(?<!\\)\$"),
    re.compile(r"(\{[\w:-]+\})?`[^`\n]*`"),                   # inline code, MyST roles
    re.compile(r"<[^>\n]+>"),                                   # HTML tags
    re.compile(r"\]\([^)\s]*\)"),                               # link targets
    re.compile(r"^\s*(\d+\.|[-*])\s+", re.M),                   # list markers
    re.compile(r"^\(\S+\)=\s*$", re.M),                          # MyST labels
    re.compile(r"\b(?:Chapters?|Labs?|[Ee]xercises?|[Ss]ections?|Figures?|Fig\.|[Pp]arts?)"
               r"\s+\d+(?:\s*(?:,|and|or|to|-|\u2013)\s*\d+)*"),
]
NUMERAL = re.compile(r"(?<![\w.\\])\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _numerals(text: str) -> list[str]:
    for pattern in _DROP:
        text = pattern.sub(" ", text)
    return [m.group(0).rstrip(",") for m in NUMERAL.finditer(text)]


def _say_text(source: str) -> str:
    """Literal text of say(...) arguments; formatted values ({...}) are left out."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    texts = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and node.args
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "say"):
            for sub in ast.walk(node.args[0]):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    texts.append(sub.value)
    return " \n".join(texts)


def prose_numerals(nb) -> list[tuple[int, str]]:
    """(cell index, numeral) for every numeral stated in the prose of a notebook."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            text = cell.source
        elif cell.cell_type == "code" and "say(" in cell.source:
            text = _say_text(cell.source)
        else:
            continue
        found += [(index, n) for n in _numerals(text)]
    return found


def allow_file(notebook: Path) -> Path:
    return ALLOW_DIR / f"{notebook.stem}.txt"


def read_allowed(notebook: Path) -> dict[str, str]:
    """{numeral: reason} from the page's list; empty when the page has none."""
    path = allow_file(notebook)
    if not path.is_file():
        return {}
    allowed = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        numeral, sep, reason = (part.strip() for part in line.partition("|"))
        if not sep or not reason:
            raise ValueError(f"{path.name}: every line must read 'numeral | reason', got {line!r}")
        allowed[numeral] = reason
    return allowed


def unexplained(notebook: Path, nb=None) -> list[tuple[int, str]]:
    """Numerals in the prose that are neither computed nor on the page's list."""
    nb = nb if nb is not None else nbformat.read(notebook, as_version=4)
    allowed = read_allowed(notebook)
    return [(i, n) for i, n in prose_numerals(nb) if n not in allowed]


def context(nb, index: int, numeral: str, width: int = 60) -> str:
    source = nb.cells[index].source
    at = source.find(numeral)
    return source[max(0, at - width): at + width].replace("\n", " ") if at >= 0 else ""
