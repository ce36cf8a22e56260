"""Every notebook runs its models on the device that ``utils.setup()`` picks (``DEVICE`` in
the setup cell), so a Colab GPU runtime is used. Read from the code, no kernel needed:

* every model or recurrent core a notebook builds is moved with ``.to(DEVICE)``, in the same
  expression (``CharLM(...).to(DEVICE)``) or later on the name it was assigned to; a small
  teaching example that stays on the CPU on purpose says so with a comment holding
  "on the CPU" on its line or the line above;
  (a model built only to count its parameters, ``count_parameters(nn.GRU(D, J))``, is exempt);
* every call of a utils function that takes a ``device`` argument passes it.
"""
from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for folder in ("chapters", "labs") for p in (ROOT / folder).glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]

MODEL_BUILDERS = {
    ("models", "CharLM"), ("models", "SequenceClassifier"), ("models", "SequenceTagger"),
    ("recurrent", "RecurrentNet"), ("recurrent", "make_core"), ("recurrent", "ResidualStack"),
    ("baselines", "BigramLM"), ("baselines", "UnigramLM"),
    ("nn", "RNN"), ("nn", "GRU"), ("nn", "LSTM"),
}
CPU_MARK = "on the CPU"


def code_of(path: Path) -> str:
    """The notebook's code cells as one module (IPython magics and shell lines dropped)."""
    nb = nbformat.read(path, as_version=4)
    lines = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            lines += [("" if line.lstrip().startswith(("%", "!")) else line)
                      for line in cell.source.splitlines()]
    return "\n".join(lines)


def builder_name(call: ast.Call):
    """("models", "CharLM") for a call of ``models.CharLM(...)``, else None."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id, func.attr
    return None


def moves_to_device(node: ast.AST) -> bool:
    """``<expr>.to(DEVICE, ...)`` or ``.to(device=DEVICE)``."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "to"):
        return False
    args = list(node.args) + [k.value for k in node.keywords]
    return any(isinstance(a, ast.Name) and a.id == "DEVICE" for a in args)


def parents_of(tree: ast.AST) -> dict:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def assigned_name(node: ast.AST, parents: dict):
    """The name a builder's result is assigned to (through method chains), if any."""
    while node in parents and not isinstance(parents[node], (ast.Assign, ast.stmt)):
        node = parents[node]
    statement = parents.get(node)
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        if isinstance(target, ast.Name):
            return target.id
        if isinstance(target, ast.Attribute):
            return ast.unparse(target)
    return None


def unmoved_models(source: str) -> list[str]:
    """The builder calls of ``source`` that never reach DEVICE, as 'line: code'."""
    tree = ast.parse(source)
    parents = parents_of(tree)
    lines = source.splitlines()
    moved_names = {ast.unparse(n.func.value) for n in ast.walk(tree)
                   if moves_to_device(n)}
    missing = []
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and builder_name(call) in MODEL_BUILDERS):
            continue
        node, chained = call, False
        while node in parents and isinstance(parents[node], (ast.Attribute, ast.Call)):
            node = parents[node]
            chained = chained or moves_to_device(node)
        counted = (isinstance(parents.get(call), ast.Call)
                   and ast.unparse(parents[call].func).endswith("count_parameters"))
        name = assigned_name(call, parents)
        nearby = " ".join(lines[max(0, call.lineno - 2):call.end_lineno])
        if counted or chained or (name is not None and name in moved_names) or CPU_MARK in nearby:
            continue
        missing.append(f"{call.lineno}: {lines[call.lineno - 1].strip()}")
    return missing


def calls_without_device(source: str) -> list[str]:
    """Calls of utils functions that take ``device`` but are not given it."""
    import utils
    missing = []
    for call in ast.walk(ast.parse(source)):
        if not isinstance(call, ast.Call) or builder_name(call) is None:
            continue
        module, name = builder_name(call)
        if module not in utils.__all__ or not hasattr(importlib.import_module(f"utils.{module}"), name):
            continue
        function = getattr(importlib.import_module(f"utils.{module}"), name)
        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):
            continue
        if "device" in parameters and not any(k.arg == "device" for k in call.keywords):
            missing.append(f"{call.lineno}: {module}.{name}(...)")
    return missing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_model_goes_to_the_setup_device(path):
    missing = unmoved_models(code_of(path))
    assert not missing, (f"{path.name}: models built without .to(DEVICE) (or a comment saying "
                         f"they stay {CPU_MARK}):\n  " + "\n  ".join(missing))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_utils_builders_get_the_device(path):
    missing = calls_without_device(code_of(path))
    assert not missing, f"{path.name}: pass device=DEVICE to\n  " + "\n  ".join(missing)


def test_the_checks_see_a_model_left_on_the_cpu():
    left = "model = models.CharLM(10, 8)\nloss = train(model)\n"
    moved_later = "model = models.CharLM(10, 8).double()\nmodel.to(DEVICE)\n"
    chained = "net = models.CharLM(10, 8).double().to(DEVICE)\n"
    marked = "# a float64 parity example, on the CPU\ncore = nn.LSTM(3, 4)\n"
    assert unmoved_models(left) == ["1: model = models.CharLM(10, 8)"]
    assert unmoved_models(moved_later) == unmoved_models(chained) == unmoved_models(marked) == []
    assert unmoved_models("m = models.CharLM(10, 8).to('cpu')\n")
    assert unmoved_models("n = models.count_parameters(nn.GRU(3, 4))\n") == []
