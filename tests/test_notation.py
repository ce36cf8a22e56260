"""The Notation page (notation.md) agrees with what the chapters and labs actually write.

notation.md holds the master tables: the sizes, the parameters of the recurrent unit with
their shapes, and one translation table per unit (plain, GRU, LSTM) whose columns are this
course ("Ours"), Andrew Ng, CS224N, PyTorch, ... Several notebooks repeat part of a table.
These tests find those tables in the notebooks' markdown and check, cell by cell, that they
say what notation.md says, and that the notebooks' prose and equations write the course's
own symbols, not another course's, outside the places that translate.

Symbols are compared after light normalisation: math spaces (``\\,``, ``\\ ``, blanks),
``\\hat y`` = ``\\hat{y}``, ``*`` = ``\\ast``; a math cell is split into its symbols at
top-level commas and ``=`` signs (so ``$c_t = h_t$`` and ``$h_t = c_t$`` agree); a code cell
into its identifiers. Two cells for the same quantity and the same column agree when the
symbols of one contain those of the other (a chapter may list fewer or more PyTorch names,
``output`` against ``h_n``, but never a different one).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTATION = ROOT / "notation.md"
NOTEBOOKS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")) + sorted(
    (ROOT / "labs").glob("lab[0-9][0-9]_*.ipynb"))

# A table header cell -> the notation it stands for.
COLUMN_NAMES = {"ours": "ours", "this course": "ours", "course": "ours",
                "ng": "ng", "andrew ng": "ng", "cs224n": "cs224n", "textbook": "textbook"}
# Labels that name the same quantity in different words (after _label's normalisation).
LABEL_ALIASES = {"weights": "gate weights"}
# Symbols of other notations: in a notebook they may appear only in a table, or in a
# paragraph or list item that names the notation it is quoting (NAMES_ANOTHER_NOTATION).
FOREIGN = {
    r"W_\{ax\}": "Ng's input weights (ours: U)",
    r"W_\{aa\}": "Ng's recurrent weights (ours: W)",
    r"W_\{ya\}": "Ng's output weights (ours: V)",
    r"W_a(?![\w{])": "Ng's stacked weights",
    r"b_a(?![\w{])": "Ng's hidden bias (ours: b)",
    r"\\langle": "Ng's <t> superscript (ours: subscript t)",
    r"\\Gamma_[fo](?![\w{])": "Ng's LSTM gate (ours: f_t, o_t)",
    r"[hxy]\}?\^\{\(t\)\}": "CS224N's (t) superscript (ours: subscript t)",
    r"W_[hxe](?![\w{])": "CS224N's weights (ours: W, U)",
    r"b_[12](?![\w{])": "CS224N's biases (ours: b, b_y)",
    r"W_\{[ih][a-z\\]": "PyTorch's weights (ours: U_*, W_*)",
    r"b_\{[ih][a-z\\]": "PyTorch's biases (ours: b_*)",
}
NAMES_ANOTHER_NOTATION = re.compile(
    r"\bNg\b|CS224N|PyTorch|torch\.|Cho\b|[Tt]extbook|Goodfellow|Keras|other course|"
    r"notation of")

# Symbols with one meaning in this course (notation.md), written with another meaning
# (math with spaces removed, unless marked "text").
REUSED = {
    r"o_\{?t\}?=V": "o for the logits (o is the LSTM output gate; the logits are s_t)",
    r"Vh_\{?t\}?\+c(?![\w{])": "c for the output bias (c is the memory cell; the output bias is b_y)",
    r"\\sigma_\{?\\max": "sigma for the largest singular value (sigma is the sigmoid; write \\|W\\|_2)",
    r"(?:\\prod|\\sum)_\{k=": "k as a step index (k is a distance in steps; index steps with t, t' or j)",
    r"(?<![\w\\])T\(": "T as a function or gate (T is the sequence length; the highway gate is Gamma_hw)",
    r"z\^\{\[": "z^[l] as a layer's quantity (z is PyTorch's GRU gate; see notation.md)",
    r"[ahxscf]_\{?\\tau|_\{\\tau=": "tau as a step index (tau is the sampling temperature; index steps with t' or j)",
    r"h_\{?t\}?=a_\{?t\}?": "a_t for the retention of a linear recurrence (a_t is the pre-activation; write alpha_t)",
    r"h_\{?t-1\}?\+b_\{?t\}?": "b_t for the input term of a linear recurrence (b is a bias; write beta_t)",
}
REUSED_TEXT = {
    r"spectral radius\s+\$s\$|\$s\$\s*\(the spectral radius": "s for the spectral radius (rho)",
    r"output bias\s+\$c\$": "c for the output bias (b_y)",
}

MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", re.S)
CODE = re.compile(r"`([^`]+)`")


# ---------------------------------------------------------------- reading markdown tables

def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def markdown_tables(text: str) -> list[dict]:
    """Every pipe table of a markdown text: {"header": [...], "rows": [[...], ...],
    "heading": the last heading above it}."""
    tables, heading = [], ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if (line.startswith("|") and i + 1 < len(lines)
                and re.fullmatch(r"\|[\s:|-]+\|", lines[i + 1].strip())):
            header, rows = _cells(line), []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            tables.append({"header": header, "rows": rows, "heading": heading})
            continue
        i += 1
    return tables


def notebook_markdown(path: Path) -> list[tuple[str, str]]:
    """(cell id or index, source) of each markdown cell of a notebook."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(c.get("id") or str(n), "".join(c["source"]))
            for n, c in enumerate(cells) if c["cell_type"] == "markdown"]


# ---------------------------------------------------------------- normalising symbols

def _latex(tex: str) -> str:
    tex = re.sub(r"\\[,;:! ]", "", tex)
    tex = re.sub(r"\\(left|right|big|Big)(?![a-zA-Z])", "", tex)
    tex = re.sub(r"\\(hat|tilde|bar|vec)\s*([A-Za-z])", r"\\\1{\2}", tex)
    tex = tex.replace("*", r"\ast")
    return re.sub(r"\s+", "", tex)


def _split_top(tex: str, seps: str) -> list[str]:
    """Split at separators that are not inside braces, brackets or parentheses."""
    parts, depth, current = [], 0, ""
    for ch in tex:
        depth += ch in "{[(" and 1 or 0
        depth -= ch in "}])" and 1 or 0
        if ch in seps and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [p for p in parts + [current] if p]


def symbols(cell: str) -> set[tuple[str, str]]:
    """The symbols a table cell names: ("math", normalised TeX) and ("code", identifier)."""
    found = set()
    for m in MATH.finditer(cell):
        found |= {("math", s) for s in _split_top(_latex(m.group(1) or m.group(2)), ",=")}
    for m in CODE.finditer(cell):
        found |= {("code", name) for name in re.findall(r"[A-Za-z_]\w*", m.group(1))}
    return found


def _label(text: str) -> str:
    """A quantity's label, without markup, parentheses and case."""
    text = re.sub(r"\([^)]*\)", "", text.replace("*", "").replace("`", "")).lower()
    text = " ".join(text.split())
    return LABEL_ALIASES.get(text, text)


def _column(header: str) -> str | None:
    h = " ".join(re.sub(r"[`*]", "", header).lower().split())
    if h.startswith("pytorch"):
        return "pytorch"
    if h.startswith("cho"):
        return "cho"
    return COLUMN_NAMES.get(h)


def _unit(header: list[str]) -> str:
    joined = " ".join(header)
    return "GRU" if "nn.GRU" in joined else "LSTM" if "nn.LSTM" in joined else "plain"


def translation_tables(text: str) -> list[dict]:
    """The tables that translate this course's symbols into other notations: a column for
    ours and at least one for another notation. Each: {"unit", "columns", "rows": {label:
    {column: cell}}, "raw": [label, ...]}."""
    found = []
    for table in markdown_tables(text):
        columns = [_column(h) for h in table["header"][1:]]
        known = [c for c in columns if c]
        if "ours" not in known or len(known) < 2:
            continue
        rows = {}
        for row in table["rows"]:
            rows[_label(row[0])] = {c: cell for c, cell in zip(columns, row[1:]) if c}
        found.append({"unit": _unit(table["header"]), "columns": set(known), "rows": rows})
    return found


# ---------------------------------------------------------------- what notation.md says

@pytest.fixture(scope="module")
def notation() -> dict:
    text = NOTATION.read_text(encoding="utf-8")
    units = {t["unit"]: t for t in translation_tables(text)}
    tables = markdown_tables(text)
    # Sizes: the symbols of the "Sizes" table; parameter shapes: the "Parameter" table.
    sizes = {s[1] for t in tables if t["header"][0] == "Symbol"
             for row in t["rows"] for s in symbols(row[0])}
    shapes = {}
    for t in tables:
        if t["header"][:2] == ["Parameter", "Shape"]:
            for row in t["rows"]:
                (sym,) = symbols(row[0])
                shapes[sym[1]] = _shape(row[1])[0]
    # Vectors: "x_t \in \mathbb{R}^D" and the like, in the text and the equations.
    for vec, size in re.findall(r"\$?([^\s$&]+)\s*\\in\s*\\mathbb\{R\}\^(\w)", text):
        shapes.setdefault(_latex(vec), (size,))
    # Gate names: the subscripts of the gate weights in the GRU and LSTM equations.
    gates = set(re.findall(r"W_([a-z])\s", text))
    ours = {s for t in units.values() for row in t["rows"].values()
            for s in symbols(row.get("ours", ""))}
    for kind, sym in list(ours):
        if sym.endswith(r"_\ast"):
            ours |= {(kind, sym[:-len(r"\ast")] + g) for g in gates}
    ours |= {("math", s) for s in sizes | set(shapes)}
    return {"units": units, "sizes": sizes, "shapes": shapes, "gates": gates, "ours": ours}


def _shape(cell: str) -> list[tuple[str, ...]]:
    """The shapes a cell gives, in order: "$J \\times D$" and "$(J, D)$" are both (J, D)."""
    shapes = []
    for m in MATH.finditer(cell):
        tex = _latex(m.group(1) or m.group(2))
        if re.fullmatch(r"\(?[A-Za-z0-9]+(?:(?:\\times|,)[A-Za-z0-9]*)*\)?", tex):
            shapes.append(tuple(p for p in re.split(r"\\times|,", tex.strip("()")) if p))
    return shapes


def test_notation_page_has_its_tables(notation):
    assert set(notation["units"]) == {"plain", "GRU", "LSTM"}, (
        f"notation.md should hold a translation table for the plain unit, the GRU and the "
        f"LSTM (a column 'Ours' and PyTorch `nn.GRU` / `nn.LSTM` headers); found "
        f"{sorted(notation['units'])}")
    assert notation["sizes"] >= {"T", "B", "D", "J", "K"}, notation["sizes"]
    assert notation["shapes"].get("U") == ("J", "D"), notation["shapes"]
    assert notation["gates"] >= {"r", "u", "c", "f", "i", "o"}, notation["gates"]


# ---------------------------------------------------------------- the notebooks' tables

def _notebook_tables():
    for path in NOTEBOOKS:
        for cell_id, source in notebook_markdown(path):
            for n, table in enumerate(translation_tables(source)):
                yield pytest.param(path, table, id=f"{path.stem}-{cell_id}-{n}")


NOTEBOOK_TABLES = list(_notebook_tables())


def test_the_chapters_translation_tables_are_found():
    """The parser finds the tables it should (else the tests below would check nothing)."""
    units = {(p.values[0].stem[:2], p.values[1]["unit"]) for p in NOTEBOOK_TABLES}
    assert {("01", "plain"), ("04", "GRU"), ("05", "LSTM")} <= units, (
        f"expected the translation tables of chapters 1 (plain unit), 4 (GRU) and 5 (LSTM); "
        f"found {sorted(units)}")


@pytest.mark.parametrize("path,table", NOTEBOOK_TABLES)
def test_translation_table_agrees_with_notation_page(path, table, notation):
    master = notation["units"][table["unit"]]
    disagreements, compared = [], 0
    for label, cells in table["rows"].items():
        # Our symbols: every one must be a symbol that notation.md defines.
        unknown = {s for s in symbols(cells.get("ours", "")) if s[0] == "math"} - notation["ours"]
        if unknown:
            disagreements.append(f"{label!r}: ours {sorted(s for _, s in unknown)} is not "
                                 "a symbol of notation.md")
        if label not in master["rows"]:
            continue  # a detail notation.md does not tabulate (the ours check above still ran)
        for column, cell in cells.items():
            if column not in master["rows"][label]:
                continue
            mine, theirs = symbols(cell), symbols(master["rows"][label][column])
            if not mine and not theirs:
                continue
            compared += 1
            if not (mine <= theirs or theirs <= mine):
                disagreements.append(
                    f"{label!r}, column {column!r}: the notebook writes {cell!r}, "
                    f"notation.md writes {master['rows'][label][column]!r}")
    assert not disagreements, (
        f"{path.relative_to(ROOT)}: its {table['unit']} notation table disagrees with "
        "notation.md:\n  " + "\n  ".join(disagreements))
    assert compared >= 5, (f"{path.relative_to(ROOT)}: only {compared} cells could be compared "
                           f"with notation.md's {table['unit']} table "
                           f"(rows {sorted(table['rows'])})")


def _symbol_tables():
    """Notebook tables that list symbols with their shapes: "Array | Shape" or
    "Symbol | ... | Shape"."""
    for path in NOTEBOOKS:
        for cell_id, source in notebook_markdown(path):
            for table in markdown_tables(source):
                header = [h.lower() for h in table["header"]]
                if header[0] in ("array", "symbol") and "shape" in header:
                    yield pytest.param(path, table, header.index("shape"),
                                       id=f"{path.stem}-{cell_id}")


SYMBOL_TABLES = list(_symbol_tables())


def test_symbol_tables_are_found():
    assert {p.values[0].stem[:5] for p in SYMBOL_TABLES} >= {"01_re", "lab01"}, (
        "expected the symbol/shape tables of chapter 1 and lab 1")


@pytest.mark.parametrize("path,table,shape_col", SYMBOL_TABLES)
def test_symbol_shapes_agree_with_notation_page(path, table, shape_col, notation):
    expected = notation["shapes"]
    wrong, checked = [], 0
    for row in table["rows"]:
        names = [_latex(m.group(1) or m.group(2)) for m in MATH.finditer(row[0])]
        shapes = _shape(row[shape_col])
        if len(shapes) == len(names):
            pairs = zip(names, shapes)
        elif len(shapes) == 1 or (len(names) == 1 and shapes):
            pairs = ((n, shapes[0]) for n in names)
        else:
            pytest.fail(f"{path.name}: cannot read the row {row} ({len(names)} symbols, "
                        f"{len(shapes)} shapes)")
        for name, shape in pairs:
            if name in expected:
                checked += 1
                if shape != expected[name]:
                    wrong.append(f"${name}$ has shape {shape} here, "
                                 f"{expected[name]} in notation.md")
    assert not wrong, f"{path.relative_to(ROOT)}: " + "; ".join(wrong)
    assert checked >= 5, f"{path.relative_to(ROOT)}: only {checked} symbols checked"


# ---------------------------------------------------------------- the notebooks' prose

def _blocks(source: str) -> list[str]:
    """A markdown cell cut into paragraphs and list items (a table row is its own block)."""
    blocks, current = [], []
    for line in source.splitlines():
        starts = (not line.strip() or re.match(r"\s*([-*+]|\d+\.)\s", line)
                  or line.startswith("|") or line.startswith("#"))
        if starts and current:
            blocks.append("\n".join(current))
            current = []
        if line.strip():
            current.append(line)
    return blocks + (["\n".join(current)] if current else [])


def _own_prose(cells: list[tuple[str, str]]):
    """(cell id, block) for every paragraph or list item written in our own notation: not a
    table, and neither it, the paragraph before it (the sentence that introduces a displayed
    equation) nor the section heading names another notation."""
    heading = ""
    for cell_id, source in cells:
        previous = ""
        for block in _blocks(source):
            if block.startswith("#"):
                heading = block
            context = block + "\n" + previous + "\n" + heading
            previous = block
            if not (block.startswith("|") or NAMES_ANOTHER_NOTATION.search(context)):
                yield cell_id, block


def _math_matches(cell_id: str, block: str, patterns: dict) -> list[str]:
    found = []
    for m in MATH.finditer(block):
        tex = re.sub(r"\s+", "", m.group(1) or m.group(2))
        found += [f"cell {cell_id}: ${(m.group(1) or m.group(2)).strip()}$ uses {what}"
                  for pattern, what in patterns.items() if re.search(pattern, tex)]
    return found


def foreign_symbols(cells: list[tuple[str, str]]) -> list[str]:
    """Other notations' symbols written where nothing says whose they are."""
    return [f for cell_id, block in _own_prose(cells) for f in _math_matches(cell_id, block, FOREIGN)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_write_our_symbols(path):
    """Another course's symbols appear only where the text says whose they are."""
    found = foreign_symbols(notebook_markdown(path))
    assert not found, (f"{path.relative_to(ROOT)} writes other notations' symbols as its own "
                       "(see notation.md):\n  " + "\n  ".join(found))


def test_foreign_symbol_check_can_fail():
    """The check does flag Ng's weights written as ours, and lets a translation pass."""
    ours = "## The recurrence\n\nIt reads $h_t = \\tanh(W_{aa} h_{t-1} + W_{ax} x_t)$."
    assert len(foreign_symbols([("x", ours)])) == 2
    quoted = "## The recurrence\n\nAndrew Ng writes $W_{aa}$ where we write $W$."
    assert foreign_symbols([("x", quoted)]) == []


def reused_symbols(cells: list[tuple[str, str]]) -> list[str]:
    """Symbols that notation.md gives one meaning, written with another one, outside tables
    and outside paragraphs that quote another notation."""
    found = []
    for cell_id, block in _own_prose(cells):
        found += [f"cell {cell_id}: uses {what}" for pattern, what in REUSED_TEXT.items()
                  if re.search(pattern, block)]
        found += _math_matches(cell_id, block, REUSED)
    return found


@pytest.mark.parametrize("path", [*NOTEBOOKS, NOTATION], ids=lambda p: p.stem)
def test_no_symbol_has_two_meanings(path):
    """A symbol keeps the one meaning notation.md gives it, on every page."""
    cells = (notebook_markdown(path) if path.suffix == ".ipynb"
             else [("page", path.read_text(encoding="utf-8"))])
    found = reused_symbols(cells)
    assert not found, (f"{path.relative_to(ROOT)} gives a symbol a second meaning "
                       "(see notation.md):\n  " + "\n  ".join(found))


@pytest.mark.parametrize("text", [
    "The logits are $o_t = V h_t + c$.",                        # first edition, Chapter 1
    "with spectral radius $s$ of the recurrent matrix",
    "bounded by $\\sigma_{\\max}(W)$ to the power $k$",
    "$$\\prod_{k=j+1}^{i} \\operatorname{diag}(\\tanh'(a_k)) W$$",
    "a highway layer mixes $T(x) \\odot H(x)$ with its input",
    "a small change of $h_{\\tau-1}$ changes $a_\\tau$",
])
def test_reused_symbol_check_can_fail(text):
    assert reused_symbols([("x", "## Section\n\n" + text)])
    quoted = "## Section\n\nIn Goodfellow's textbook: " + text
    assert reused_symbols([("x", quoted)]) == []
