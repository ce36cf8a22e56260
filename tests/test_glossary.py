"""The glossary page (glossary.md) and the chapters' links to it, checked without a build.

Every entry needs a definition, a link to the chapter that introduces the term, and a Korean
equivalent; the chapters link their terms with MyST's {term} role, and every role must name
a term of the glossary (a build with -W would also fail on a missing one, but only after
executing every notebook; this test fails in a second).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "glossary.md"
CHAPTERS = sorted((ROOT / "chapters").glob("0*.ipynb"))
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# *Introduced in:* [Chapter 4, GRU](chapters/04_gru.ipynb)
INTRODUCED = re.compile(r"\*Introduced in:\*\s*\[Chapter (\d+)[^\]]*\]\((chapters/[^)\s]+\.ipynb)\)")
KOREAN = re.compile(r"\*Korean:\*\s*(.+)$")
# {term}`text <target>` or {term}`target`
TERM_ROLE = re.compile(r"\{term\}`([^`]*)`")
MIN_LINKS_PER_CHAPTER = 5


@dataclass
class Entry:
    terms: list[str]
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def glossary_block(markdown: str) -> list[str]:
    """The lines inside the ```{glossary} fence, options (":sorted:") removed."""
    match = re.search(r"^```\{glossary\}\n(.*?)^```\s*$", markdown, flags=re.S | re.M)
    assert match, "glossary.md has no ```{glossary} ... ``` block"
    return [line for line in match.group(1).splitlines() if not line.startswith(":")]


def parse_entries(markdown: str) -> list[Entry]:
    """Entries as Sphinx's glossary directive reads them: one or more unindented term lines,
    then the indented definition (blank lines inside a definition allowed)."""
    entries: list[Entry] = []
    for line in glossary_block(markdown):
        if not line.strip():
            continue
        if line[0].isspace():
            assert entries, f"definition line before any term: {line!r}"
            entries[-1].lines.append(line.strip())
        elif entries and not entries[-1].lines:
            entries[-1].terms.append(line.strip())     # another name for the same entry
        else:
            entries.append(Entry([line.strip()]))
    return entries


def entry_problems(entry: Entry, root: Path = ROOT) -> list[str]:
    """What is missing or wrong in one entry (empty when it is complete)."""
    name = " / ".join(entry.terms)
    problems = []
    definition = [line for line in entry.lines
                  if not INTRODUCED.search(line) and not KOREAN.search(line)]
    if not " ".join(definition).strip():
        problems.append(f"{name}: no definition")
    introduced = INTRODUCED.search(entry.text)
    if not introduced:
        problems.append(f"{name}: no '*Introduced in:* [Chapter N, ...](chapters/....ipynb)' link")
    else:
        number, target = int(introduced.group(1)), introduced.group(2)
        if not (root / target).is_file():
            problems.append(f"{name}: links to {target}, which does not exist")
        elif int(Path(target).name[:2]) != number:
            problems.append(f"{name}: link text says Chapter {number} but points to {target}")
    korean = next((KOREAN.search(line) for line in entry.lines if KOREAN.search(line)), None)
    if not korean:
        problems.append(f"{name}: no '*Korean:* ...'")
    elif not HANGUL.search(korean.group(1)):
        problems.append(f"{name}: the Korean equivalent {korean.group(1)!r} has no Hangul")
    return problems


def role_target(content: str) -> str:
    """The term a {term} role points to: 'text <target>' -> target, 'target' -> target."""
    explicit = re.fullmatch(r"(?s)(.*\S)\s+<([^<>]+)>", content)
    return (explicit.group(2) if explicit else content).strip()


def markdown_of(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


@pytest.fixture(scope="module")
def glossary_text() -> str:
    return GLOSSARY.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def entries(glossary_text) -> list[Entry]:
    return parse_entries(glossary_text)


@pytest.fixture(scope="module")
def defined_terms(entries) -> set[str]:
    # Sphinx resolves {term} references without regard to case.
    return {term.lower() for entry in entries for term in entry.terms}


def test_page_has_label_title_and_sorted_glossary(glossary_text):
    assert glossary_text.startswith("(glossary)=\n# Glossary\n"), \
        "glossary.md must open with the (glossary)= label and the '# Glossary' title"
    assert re.search(r"^```\{glossary\}\n:sorted:", glossary_text, flags=re.M), \
        "the glossary directive should be :sorted:"


def test_glossary_is_in_the_reference_part_after_notation():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    reference = next(part for part in toc["parts"] if part["caption"] == "Reference")
    files = [chapter["file"] for chapter in reference["chapters"]]
    assert "glossary" in files, f"glossary is not in the Reference part of _toc.yml: {files}"
    assert files.index("glossary") == files.index("notation") + 1, files


def test_glossary_covers_the_course(entries):
    assert len(entries) >= 50, f"only {len(entries)} glossary entries"
    introduced = {int(INTRODUCED.search(e.text).group(1)) for e in entries if INTRODUCED.search(e.text)}
    assert introduced == set(range(1, len(CHAPTERS) + 1)), \
        f"no term is introduced in chapters {set(range(1, len(CHAPTERS) + 1)) - introduced}"


def test_every_entry_is_complete(entries):
    problems = [problem for entry in entries for problem in entry_problems(entry)]
    assert not problems, "incomplete glossary entries:\n" + "\n".join(problems)


def test_terms_are_unique(entries):
    seen, duplicates = set(), []
    for term in (t for entry in entries for t in entry.terms):
        if term.lower() in seen:
            duplicates.append(term)
        seen.add(term.lower())
    assert not duplicates, f"terms defined more than once: {duplicates}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_links_its_terms_to_the_glossary(chapter, defined_terms):
    text = markdown_of(chapter)
    roles = TERM_ROLE.findall(text)
    assert len(roles) >= MIN_LINKS_PER_CHAPTER, \
        f"{chapter.name} links only {len(roles)} terms to the glossary"
    unknown = sorted({role_target(r) for r in roles if role_target(r).lower() not in defined_terms})
    assert not unknown, f"{chapter.name} links terms that the glossary does not define: {unknown}"
    in_headings = [line for line in text.splitlines()
                   if line.startswith("#") and "{term}" in line]
    assert not in_headings, f"{chapter.name}: term links in headings: {in_headings}"
    broken = re.findall(r"\{term\}(?!`[^`]+`)", text)
    assert not broken, f"{chapter.name}: a {{term}} role without `...` content"


# --- the checks above must be able to fail -------------------------------------------

GOOD = """```{glossary}
:sorted:

hidden state
  The vector $h_t$.

  *Introduced in:* [Chapter 1, The recurrent unit](chapters/01_recurrent_unit.ipynb). *Korean:* 은닉 상태
```
"""


@pytest.mark.parametrize("broken, complaint", [
    (GOOD.replace("  The vector $h_t$.\n", ""), "no definition"),
    (GOOD.replace("01_recurrent_unit", "09_missing"), "does not exist"),
    (GOOD.replace("Chapter 1,", "Chapter 2,"), "says Chapter 2"),
    (GOOD.replace("*Introduced in:* ", ""), "Introduced in"),
    (GOOD.replace(" *Korean:* 은닉 상태", ""), "Korean"),
    (GOOD.replace("은닉 상태", "eunnik sangtae"), "no Hangul"),
])
def test_entry_checks_catch_mistakes(broken, complaint):
    assert entry_problems(parse_entries(GOOD)[0]) == []
    problems = entry_problems(parse_entries(broken)[0])
    assert any(complaint in problem for problem in problems), problems


def test_aliases_share_an_entry_and_roles_name_their_target():
    entries = parse_entries(GOOD.replace("hidden state\n", "relevance gate\nreset gate\n"))
    assert [entry.terms for entry in entries] == [["relevance gate", "reset gate"]]
    assert role_target("gradients vanish <vanishing gradient>") == "vanishing gradient"
    assert role_target("softmax") == "softmax"
