"""Write the shared setup cell into every notebook under chapters/ and labs/.

    python scripts/sync_setup_cell.py          # rewrite notebooks whose first cell differs
    python scripts/sync_setup_cell.py --check  # exit 1 and list them instead

The repository URL comes from ``repository.url`` in ``_config.yml``.
"""
import argparse
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from setup_cell import SETUP_CELL_TAGS, SETUP_CELL_TEMPLATE  # noqa: E402


def repository_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    url = config["repository"]["url"].rstrip("/")
    return url if url.endswith(".git") else url + ".git"


def setup_cell_source() -> str:
    return SETUP_CELL_TEMPLATE.format(repo_url=repository_url()).rstrip("\n")


def course_notebooks() -> list[Path]:
    return sorted(p for folder in ("chapters", "labs") for p in (ROOT / folder).rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts)


def has_setup_cell(nb) -> bool:
    return bool(nb.cells) and "setup" in nb.cells[0].get("metadata", {}).get("tags", [])


def sync(path: Path, check_only: bool) -> bool:
    """Return True when the notebook was (or, with check_only, would be) changed."""
    nb = nbformat.read(path, as_version=4)
    wanted = setup_cell_source()
    if has_setup_cell(nb):
        cell = nb.cells[0]
        if cell.source == wanted and cell.metadata.get("tags") == SETUP_CELL_TAGS:
            return False
        if not check_only:
            cell.source = wanted
            cell.metadata["tags"] = list(SETUP_CELL_TAGS)
    elif not check_only:
        cell = nbformat.v4.new_code_cell(wanted, metadata={"tags": list(SETUP_CELL_TAGS)})
        nb.cells.insert(0, cell)
    if not check_only:
        nbformat.write(nb, path)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report notebooks that differ")
    args = parser.parse_args()
    changed = [p for p in course_notebooks() if sync(p, args.check)]
    for path in changed:
        print(("differs: " if args.check else "updated: ") + str(path.relative_to(ROOT)))
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
