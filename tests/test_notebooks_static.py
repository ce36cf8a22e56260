"""Static checks of the committed notebooks (no kernel needed): clean, valid, set up alike,
in the table of contents, with headings that do not skip levels."""
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from course_toc import toc_entries  # noqa: E402
NOTEBOOKS = sorted(p for folder in ("chapters", "labs") for p in (ROOT / folder).rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
IDS = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]


def load_sync_module():
    spec = importlib.util.spec_from_file_location("sync_setup_cell", ROOT / "scripts" / "sync_setup_cell.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SYNC = load_sync_module()


def read(path):
    return nbformat.read(path, as_version=4)


def headings(nb):
    """(level, text) of every markdown heading, skipping fenced code blocks."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.splitlines():
            if re.match(r"\s*(```|~~~)", line):
                fenced = not fenced
            elif not fenced and (m := re.match(r"(#{1,6})\s+(.*)", line)):
                found.append((len(m.group(1)), m.group(2).strip()))
    return found


def test_there_are_notebooks():
    assert any(p.parent.name == "chapters" for p in NOTEBOOKS)
    assert any(p.parent.name == "labs" for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs(path):
    nb = read(path)
    dirty = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert not dirty, f"cells {dirty} have outputs or execution counts: clear them before committing"
    assert "widgets" not in nb.metadata, "saved widget state in the notebook metadata: clear it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_valid_nbformat_and_python3_kernel(path):
    nb = read(path)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_first_cell_is_the_shared_setup_cell(path):
    nb = read(path)
    first = nb.cells[0]
    assert first.cell_type == "code"
    assert first.metadata.get("tags") == ["hide-cell", "setup"]
    assert first.source == SYNC.setup_cell_source(), "run: python scripts/sync_setup_cell.py"
    assert not SYNC.sync(path, check_only=True)
    assert not any("setup" in c.metadata.get("tags", []) for c in nb.cells[1:]), "a second setup cell"


def test_sync_setup_cell_check_passes():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "sync_setup_cell.py"), "--check"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_one_title_and_no_skipped_heading_levels(path):
    found = headings(read(path))
    assert found, "the notebook has no title"
    assert found[0][0] == 1, f"the first heading must be the '# ' title, got {found[0]}"
    titles = [text for level, text in found if level == 1]
    assert len(titles) == 1, f"exactly one '# ' title per notebook, got {titles}"
    for (previous, _), (level, text) in zip(found, found[1:]):
        assert level <= previous + 1, f"heading {'#' * level} {text!r} skips a level after {'#' * previous}"


def test_toc_lists_every_notebook_and_only_existing_ones():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    listed = {re.sub(r"\.(ipynb|md)$", "", f) for f in toc_entries(toc)}
    course = {f for f in listed if f.split("/")[0] in ("chapters", "labs") and not f.startswith("labs/solutions")}
    notebooks = {str(p.relative_to(ROOT).with_suffix("")) for p in NOTEBOOKS
                 if not str(p.relative_to(ROOT)).startswith("labs/solutions")}
    assert notebooks - course == set(), "notebooks missing from _toc.yml"
    assert course - notebooks == set(), "_toc.yml lists chapter/lab entries that are not notebooks"


def test_heading_parser_sees_skips():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title\n## A\n```\n# not a heading\n```\n#### skipped")])
    assert headings(nb) == [(1, "Title"), (2, "A"), (4, "skipped")]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_computed_sentences_show_as_prose_on_the_site(path):
    """A cell that writes a sentence with utils.claims.say hides its code on the website
    (tag remove-input), so the page reads as prose; Jupyter and Colab show both."""
    nb = read(path)
    untagged = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                and re.search(r"\bsay\(", c.source)
                and "remove-input" not in c.metadata.get("tags", [])]
    assert not untagged, f"cells {untagged} call say(...) but are not tagged remove-input"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.parent.name == "chapters"],
                         ids=lambda p: p.stem)
def test_every_chapter_checks_its_claims(path):
    """Every chapter runs experiments and states what they show: at least one claim is
    asserted by utils.claims.check as the notebook runs (see tests/test_prose_claims.py)."""
    nb = read(path)
    assert any(re.search(r"\bcheck\(", c.source) for c in nb.cells if c.cell_type == "code"), (
        f"{path.name} asserts none of its claims with utils.claims.check")
