"""Chapter 8 (parallel recurrences), read without a kernel: its sections come in the order the
chapter promises, the notation of the linear recurrence is the course's (α, β, never a_t or
b), and the cells other parts of the course fill in (the training section, the live scan
view) are where they belong."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "08_parallel_recurrences.ipynb"


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(CHAPTER, as_version=4)


def section_titles(nb) -> list[str]:
    return [m.group(1).strip() for c in nb.cells if c.cell_type == "markdown"
            for m in re.finditer(r"^## (.+)$", c.source, flags=re.M)]


def test_sections_come_in_the_promised_order(nb):
    titles = section_titles(nb)
    expected = ["Why Chapters 1 to 7 are sequential in time", "minGRU and minLSTM",
                "The associative scan", "Linear recurrences and Chapter 3",
                "Trained side by side", "Generation stays stateful", "Where recurrence went next",
                "Summary", "What's next"]
    found = [next((i for i, t in enumerate(titles) if t.startswith(e)), None) for e in expected]
    assert None not in found, f"missing sections: {[e for e, i in zip(expected, found) if i is None]}"
    assert found == sorted(found), f"sections out of order: {titles}"


def test_every_mode_and_both_dtypes_are_compared_with_the_loop(nb):
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "parity_table(" in code and "torch.float64" in code and "torch.float32" in code
    assert "torch.autograd.grad" in code, "the parity must cover the gradients, not only the states"
    assert "name_lm.step(" in code, "the stepwise generation must be compared with the scan"


def test_the_live_scan_view_has_its_cell(nb):
    cells = [c for c in nb.cells if c.cell_type == "code" and "scan_view()" in c.source]
    assert len(cells) == 1, "one cell holds utils.live.scan_view()"
    assert "remove-input" in cells[0].metadata.get("tags", [])


def test_the_recurrence_is_written_with_alpha_and_beta(nb):
    """The Notation page keeps a_t for the pre-activation and b for a bias: the linear
    recurrence must not be written h_t = a_t h_{t-1} + b_t anywhere in the chapter."""
    text = "\n".join(c.source for c in nb.cells)
    wrong = re.findall(r"h_\{?t\}?\s*=\s*a_t[^$\n]*h_\{t-1\}[^$\n]*\+\s*b_t", text)
    assert not wrong, f"the recurrence written with a_t, b_t: {wrong}"
    assert r"h_t = \alpha_t \odot h_{t-1} + \beta_t" in text
