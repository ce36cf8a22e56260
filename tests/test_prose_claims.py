"""Every number a chapter or lab states about a result is computed or checked by the page.

A numeral in the prose must be produced by the notebook (``utils.claims.say``) or be on
the page's reviewed list of numbers that are set, not measured (tests/prose_numbers/).
Claims made in words are asserted by ``utils.claims.check`` cells the build executes.
See tests/prose_claims.py for what counts as prose.
"""
from __future__ import annotations

import copy
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prose_claims import (ROOT, allow_file, context, prose_numerals, read_allowed,  # noqa: E402
                          unexplained)

sys.path.insert(0, str(ROOT / "scripts"))
from course_toc import toc_notebooks  # noqa: E402

NOTEBOOKS = [ROOT / p for p in toc_notebooks()]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_number_in_the_prose_is_computed_or_set(notebook):
    nb = nbformat.read(notebook, as_version=4)
    missing = unexplained(notebook, nb)
    lines = [f"  cell {i}: {n!r} in ...{context(nb, i, n)}..." for i, n in missing]
    assert not missing, (
        f"{notebook.name} states numbers that nothing computes or checks. Insert them with "
        f"utils.claims.say(f'...') from the value the notebook computed, state the claim in "
        f"words and assert it with utils.claims.check, or, if the number is set (not measured), "
        f"add it with its reason to {allow_file(notebook).relative_to(ROOT)}:\n" + "\n".join(lines))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_list_of_set_numbers_holds_no_stale_entry(notebook):
    nb = nbformat.read(notebook, as_version=4)
    stated = {n for _, n in prose_numerals(nb)}
    stale = sorted(set(read_allowed(notebook)) - stated)
    assert not stale, (f"{allow_file(notebook).name} lists numbers the page no longer states: "
                       f"{stale}; remove them so the list stays short and reviewed")


def test_a_hard_coded_result_in_the_prose_fails():
    notebook = ROOT / "chapters" / "04_gru.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    assert not unexplained(notebook, nb)
    mutated = copy.deepcopy(nb)
    mutated.cells.append(nbformat.v4.new_markdown_cell(
        "The vanilla RNN recalls 88.4% of the keys at distance 20, the GRU 97%."))
    found = {n for _, n in unexplained(notebook, mutated)}
    assert {"88.4", "97"} <= found


def test_a_hard_coded_number_in_a_computed_sentence_fails():
    notebook = ROOT / "chapters" / "04_gru.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    mutated = copy.deepcopy(nb)
    mutated.cells.append(nbformat.v4.new_code_cell(
        'say(f"The RNN recalls {acc:.0%} of the keys, the GRU 97.3%.")'))
    assert [n for _, n in unexplained(notebook, mutated)] == ["97.3"]


@pytest.mark.parametrize("text, expected", [
    ("Chapters 4 and 5 and Lab 3 show $W = 0.5 I$ and `lr=3e-2`.", []),
    ("1. First point with 12 units", ["12"]),
    ("[link](https://example.org/2014/x.html) after 2,500 steps", ["2,500"]),
    ("<img src='a1.png' width=300> about 1.5e-3 apart", ["1.5e-3"]),
    ("<details><summary>Show</summary>\n\n```python\nx = 42\n```\n\n</details>", []),
])
def test_what_counts_as_a_numeral_in_the_prose(text, expected):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text)])
    assert [n for _, n in prose_numerals(nb)] == expected
