"""Load one lab's pieces for the tests: its checks, solutions, wrong answers and the
notebook's untouched stubs (shared by test_lab_contract.py and tests/test_labN_checks.py)."""
import importlib
import importlib.util
import sys
from functools import cache
from pathlib import Path
from typing import NamedTuple

import nbformat
import numpy as np
import torch
from torch.nn import functional as F

from utils import data

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).parent))
from sync_solutions import stub_names  # noqa: E402


class Lab(NamedTuple):
    checks: dict          # exercise name -> Check, from utils/checks/labN.py
    solutions: object     # the module labs/solutions/labN.py
    wrong_answers: list   # (exercise, wrong function, words the feedback must contain)
    stubs: dict           # exercise name -> the function exactly as the notebook defines it
    notebook: Path


def lab_numbers() -> list[int]:
    return sorted(int(p.stem[3:]) for p in (ROOT / "labs" / "solutions").glob("lab*.py"))


@cache
def load_lab(n: int) -> Lab:
    checks = importlib.import_module(f"utils.checks.lab{n}").CHECKS
    spec = importlib.util.spec_from_file_location(f"lab{n}_solutions", ROOT / f"labs/solutions/lab{n}.py")
    solutions = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(solutions)
    wrong = importlib.import_module(f"wrong_answers.lab{n}").WRONG_ANSWERS
    (notebook,) = (ROOT / "labs").glob(f"lab{n:02d}_*.ipynb")
    namespace = {"np": np, "torch": torch, "F": F, "data": data}
    for cell in nbformat.read(notebook, as_version=4).cells:
        if stub_names(cell):
            exec(compile(cell.source, str(notebook), "exec"), namespace)
    stubs = {name: namespace[name] for name in checks}
    return Lab(checks, solutions, wrong, stubs, notebook)
