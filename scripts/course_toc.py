"""The book's table of contents, read once for the scripts, benchmarks and tests."""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def toc_entries(node) -> list[str]:
    """Every ``file:`` entry below ``node`` of a parsed _toc.yml, in reading order."""
    if isinstance(node, dict):
        own = [node["file"]] if "file" in node else []
        return own + [f for key, value in node.items() if key != "file" for f in toc_entries(value)]
    if isinstance(node, list):
        return [f for item in node for f in toc_entries(item)]
    return []


def toc_files(root: Path = ROOT) -> list[str]:
    """Every page named in _toc.yml (as written, without suffix), the root page first."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    return [toc["root"]] + toc_entries({k: v for k, v in toc.items() if k != "root"})


def toc_notebooks(root: Path = ROOT) -> list[Path]:
    """The .ipynb files named in _toc.yml, in reading order."""
    return [root / f"{name}.ipynb" for name in toc_files(root) if (root / f"{name}.ipynb").exists()]
