"""The lab-checking framework: run a learner's function on fresh inputs, compare the result
with the course's reference, and explain the first problem found in one short message.

A lab defines one ``Check`` per exercise (see ``utils/checks/lab1.py``)::

    check_rnn_cell_forward = Check(
        "rnn_cell_forward", reference=numpy_rnn.rnn_step, make_cases=cell_cases,
        output_names="h_t", mistakes=[Mistake("the bias `b` is missing", no_bias), ...])

and the notebook calls ``check_rnn_cell_forward(rnn_cell_forward)``. The call never raises:
it returns a ``CheckResult``, which Jupyter shows as a green (passed), grey (not attempted)
or red (failed) box, and which prints as one line of text elsewhere.

For every case (a fresh set of inputs with its own sizes) the check looks, in this order, at:

1. the call: still the stub (NotImplementedError), an error inside the learner's code (its
   type, its message and the learner's line), a wrong signature;
2. a missing return value (None);
3. inputs modified in place (the learner gets deep copies, compared afterwards);
4. the structure: type, number of returned values, dict keys, dtype and the exact shape,
   all before any value is compared, so broadcasting cannot hide a wrong shape;
5. NaN and inf;
6. the values, within explicit tolerances. On a mismatch the learner's output is compared
   with known mistakes (wrong variants computed from the reference) before the largest
   error and the first index that differs are reported.

Some exercises are judged by what the function *does* rather than by one returned value: a
sampler (random output), a function that must change its inputs in place (gradient
clipping). A ``PropertyCheck`` runs a list of ``Probe``s instead of comparing cases; each
probe calls the learner's function in a situation built to expose one mistake and raises
``CheckFailed`` naming it (see ``utils/checks/lab2.py``). Stubs, errors in the learner's
code, a missing return value and the final box work as above.

After the framework, what the labs' checks share, written once:

* outputs with one row per step (Labs 1, 4, 5): ``explain_by_row``, ``rows_shape_hint``;
* random inputs for the cases (Labs 3-7): ``random_cell``, ``random_torch_module``,
  ``random_state``, ``random_inputs``;
* the numpy cells (Labs 4, 5): ``CELL_SIZES`` with ``fixture_cases``, ``gate_weights`` and
  its ``weight_mix_ups``;
* converting torch.nn weights (Labs 4, 5): ``conversion_check`` (cases, shape hints and error
  hints), ``block_order_mistakes``, ``torch_layout_mistakes``.
"""
from __future__ import annotations

import ast
import copy
import html
import itertools
import inspect
import linecache
import numbers
import os
import re
import sys
import sysconfig
import textwrap
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

RTOL, ATOL = 1e-6, 1e-8          # float64: agreement to about 6 significant digits


# --- the result ------------------------------------------------------------------------------
_LOOK = {  # status: (border colour, background, title colour, symbol), Okabe & Ito hues
    "passed": ("#009E73", "#e7f5ef", "#00664a", "✓"),
    "failed": ("#D55E00", "#fcebe1", "#9c3a00", "✗"),
    "not-attempted": ("#7F7F7F", "#f1f1f1", "#4d4d4d", "○"),
}


@dataclass(repr=False)
class CheckResult:
    """The outcome of one check: ``passed``, a ``message`` (first line = the headline)."""

    passed: bool
    message: str
    exercise: str = ""
    attempted: bool = True

    @property
    def status(self) -> str:
        """"passed", "failed" or "not-attempted"."""
        if self.passed:
            return "passed"
        return "failed" if self.attempted else "not-attempted"

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        symbol = _LOOK[self.status][3]
        return f"{symbol} {self.exercise}: {self.message}"

    def _repr_html_(self) -> str:
        border, background, title_colour, symbol = _LOOK[self.status]
        headline, *details = self.message.split("\n")
        body = "".join(f'<div style="margin-top:0.35em">{_inline_html(line)}</div>'
                       for line in details if line.strip())
        box_style = (f"border-left:5px solid {border};background:{background};color:#1b1b1b;"
                     "padding:0.55em 0.9em;margin:0.4em 0;border-radius:4px;line-height:1.45;"
                     "font-size:0.95em")
        title = (f'<strong style="color:{title_colour}">{symbol} <code style="color:inherit;'
                 f'background:none">{html.escape(self.exercise)}</code></strong>')
        return (f'<div class="lab-check lab-check-{self.status}" data-check="{self.status}" '
                f'data-exercise="{html.escape(self.exercise)}" style="{box_style}">'
                f"{title} &mdash; {_inline_html(headline)}{body}</div>")


def _inline_html(text: str) -> str:
    """Escape text for HTML and show `backticked` spans as code."""
    parts = html.escape(text).split("`")
    return "".join(f'<code style="background:rgba(0,0,0,0.06);color:inherit;padding:0 0.2em">'
                   f"{part}</code>" if i % 2 else part for i, part in enumerate(parts))


class CheckFailed(Exception):
    """Stops a check at the first problem; ``Check`` turns it into a failed CheckResult."""

    def __init__(self, message: str, attempted: bool = True):
        super().__init__(message)
        self.message = message
        self.attempted = attempted


# --- cases and known mistakes ----------------------------------------------------------------
@dataclass
class Case:
    """One set of inputs for an exercise.

    args: {parameter name: value}, passed positionally in this order.
    sizes: {letter: size}, e.g. {"T": 5, "D": 3, "J": 4}, used to name shapes in messages.
    label: a few words saying what the case is for ("non-square sizes").
    """

    args: dict
    sizes: dict
    label: str

    def describe(self) -> str:
        sizes = ", ".join(f"{k}={v}" for k, v in self.sizes.items())
        return f"{self.label} ({sizes})" if sizes else self.label


@dataclass
class Mistake:
    """A known wrong way to solve an exercise.

    variant: a function with the exercise's signature that makes the mistake (usually
        built from the reference). keys: the output entries the mistake shows up in
        (dict keys or tuple names); None means all of them.
    """

    description: str
    variant: Callable
    keys: tuple | None = None


# --- calling the learner's code --------------------------------------------------------------
def _library_dirs() -> tuple[str, ...]:
    """Folders whose code is not the learner's: this course's utils, Python and packages."""
    paths = sysconfig.get_paths()
    dirs = {Path(__file__).resolve().parents[1], Path(sys.prefix), Path(sys.base_prefix),
            Path(sys.exec_prefix), Path(paths["stdlib"]), Path(paths["purelib"]),
            Path(paths["platlib"])}
    return tuple(str(d.resolve()) + os.sep for d in dirs)


_LIBRARY_DIRS = _library_dirs()


def _is_learner_file(filename: str) -> bool:
    if filename.startswith("<frozen"):
        return False
    if filename.startswith("<"):           # <string>, <ipython-input-...>
        return True
    return not str(Path(filename).resolve()).startswith(_LIBRARY_DIRS)


def learner_frames(error: BaseException) -> list[tuple]:
    """(code object, line number, line text) of each frame of the traceback in learner code."""
    found = []
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        filename = frame.f_code.co_filename
        if _is_learner_file(filename):
            line = linecache.getline(filename, lineno, frame.f_globals).strip()
            found.append((frame.f_code, lineno, line))
    return found


def _where(frames: list[tuple], caller: str | None = None) -> str:
    """'In `f`, line 3: `h = ...`' for the innermost learner frame."""
    if not frames:
        return ""
    code, lineno, line = frames[-1]
    called = f" (called by your `{caller}`)" if caller and code.co_name != caller else ""
    where = f"In `{code.co_name}`{called}, line {lineno}"
    return where + (f": `{line}`" if line else "")


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _raised_by_stub(fn, frames) -> bool:
    return bool(frames) and frames[-1][0] is getattr(fn, "__code__", None)


def describe_exception(fn, error: BaseException) -> str:
    """What went wrong inside the learner's code, and on which of their lines."""
    frames = learner_frames(error)
    message = f"Your code raised `{type(error).__name__}: {_short(error)}`." if str(error) \
        else f"Your code raised `{type(error).__name__}`."
    where = _where(frames, getattr(fn, "__name__", None))
    return message + (f"\n{where}" if where else "")


def call_learner(fn, args: list, name: str, shape_tip: str = "") -> Any:
    """``fn(*args)``; an exception becomes a CheckFailed that names the learner's line.

    Warnings (e.g. numpy's overflow warnings) are silenced: the check reports NaN itself.
    """
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return fn(*args)
    except NotImplementedError as error:
        frames = learner_frames(error)
        if _raised_by_stub(fn, frames) or not frames:
            raise CheckFailed(f"Not attempted yet: `{name}` still raises NotImplementedError. "
                              "Replace `raise NotImplementedError` with your code, run that cell, "
                              "then run this check again.", attempted=False) from None
        inner = frames[-1][0].co_name
        raise CheckFailed(f"Your `{name}` calls `{inner}`, which is not implemented yet (it still "
                          f"raises NotImplementedError). Finish `{inner}` first.") from None
    except (Exception, SystemExit) as error:
        message = describe_exception(fn, error)
        if shape_tip and _looks_like_shape_error(error):
            message += "\n" + shape_tip
        raise CheckFailed(message) from None


def _looks_like_shape_error(error: BaseException) -> bool:
    return isinstance(error, (ValueError, TypeError, IndexError)) and bool(
        re.search(r"shape|matmul|align|broadcast|dimension|size", str(error), re.IGNORECASE))


def check_signature(fn, params: list[str], name: str) -> None:
    """The learner's function must accept the exercise's arguments, in order."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):        # some builtins have no signature: just call them
        return
    try:
        signature.bind(*params)
    except TypeError:
        theirs = ", ".join(signature.parameters)
        raise CheckFailed(f"`{name}` must take {len(params)} arguments `({', '.join(params)})`; "
                          f"yours takes `({theirs})`. Keep the signature given in the exercise."
                          ) from None


def is_unchanged_stub(fn) -> bool:
    """True when fn's body holds nothing but a docstring, `pass`, `...` or comments."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return False
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None),
                                                             ast.Constant):
        body = body[1:]
    return all(isinstance(s, ast.Pass)
               or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)) for s in body)


def code_names(fn) -> set:
    """Every global or attribute name the function's code (and its nested code) mentions."""
    code = getattr(fn, "__code__", None)
    names, stack = set(), [code] if code is not None else []
    while stack:
        current = stack.pop()
        names |= set(current.co_names)
        stack.extend(const for const in current.co_consts if inspect.iscode(const))
    return names


def globals_read(fn) -> list[str]:
    """Names of notebook-level arrays the function reads instead of its parameters."""
    namespace = getattr(fn, "__globals__", {})
    return sorted(n for n in code_names(fn) if _is_array(namespace.get(n)))


# --- comparing structure and values ---------------------------------------------------------
def _is_torch(x) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def _is_array(x) -> bool:
    return isinstance(x, np.ndarray) or _is_torch(x)


def _to_numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if _is_torch(x) else np.asarray(x)


def _same(a, b) -> bool:
    """Exact equality for the mutation check (NaN equals NaN; shapes and dtypes must agree)."""
    if _is_array(a) or _is_array(b):
        if not (_is_array(a) and _is_array(b)):
            return False
        a, b = _to_numpy(a), _to_numpy(b)
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if _is_module(a) or _is_module(b):     # a model: the same weights and buffers
        return (type(a) is type(b) and _is_module(b)
                and _same(dict(a.state_dict()), dict(b.state_dict())))
    if type(a) is type(b) and type(a).__eq__ is object.__eq__ and hasattr(a, "__dict__"):
        return _same(vars(a), vars(b))     # a plain object (e.g. a Vocab): its attributes
    try:
        return bool(a == b)
    except Exception:
        return a is b


def _is_module(x) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.nn.Module)


def shape_text(shape: tuple, sizes: dict) -> str:
    """(5, 3) -> "(T, D) = (5, 3)" when every size names exactly one letter, else "(5, 3)"."""
    numbers_ = "(" + ", ".join(map(str, shape)) + (",)" if len(shape) == 1 else ")")
    letters = []
    for n in shape:
        matches = [k for k, v in sizes.items() if v == n]
        if len(matches) != 1:
            return numbers_
        letters.append(matches[0])
    named = "(" + ", ".join(letters) + (",)" if len(letters) == 1 else ")")
    return f"{named} = {numbers_}"


def _kind(x) -> str:
    if x is None:
        return "None"
    if _is_torch(x):
        return "a torch.Tensor"
    if isinstance(x, np.ndarray):
        return f"a numpy array of shape {x.shape}"
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of {len(x)} values"
    if isinstance(x, dict):
        return "a dict"
    return f"a {type(x).__name__}"


def _container(x) -> str:
    """The rough kind of a returned value, to notice values returned in the wrong order."""
    if isinstance(x, dict):
        return "dict"
    if isinstance(x, (tuple, list)):
        return "sequence"
    if _is_array(x) and len(getattr(x, "shape", ())) > 0:
        return "array"
    return "number"


@dataclass
class _Leaf:
    """One array or number of the output: where it sits, what was expected and got."""
    path: tuple
    name: str
    got: Any
    expected: Any


def _child_name(parent: str, key, top: bool) -> str:
    return str(key) if top else f"{parent}[{key!r}]"


def collect_leaves(got, expected, name: str, sizes: dict, output_names=None,
                   path: tuple = (), top: bool = True, shape_hint=None) -> list[_Leaf]:
    """Check that got has expected's structure (types, lengths, keys); return the leaves.

    Raises CheckFailed naming the first structural problem. shape_hint: optional
    ``shape_hint(name, got_shape, expected_shape, sizes) -> str`` for exercise-specific words.
    """
    if isinstance(expected, tuple):
        count = len(expected)
        names = list(output_names) if output_names else [f"value {i + 1}" for i in range(count)]
        if not isinstance(got, (tuple, list)):
            raise CheckFailed(f"`{name}` returned {_kind(got)}; expected {count} values "
                              f"`({', '.join(names)})`, e.g. `return {', '.join(names)}`.")
        if len(got) != count:
            raise CheckFailed(f"`{name}` returned {len(got)} values; expected {count}: "
                              f"`({', '.join(names)})`.")
        kinds = [_container(x) for x in got]
        if kinds != [_container(x) for x in expected] and sorted(kinds) == sorted(
                _container(x) for x in expected):
            raise CheckFailed(f"`{name}` returned its values in the wrong order: expected "
                              f"`({', '.join(names)})`, e.g. `return {', '.join(names)}`.")
        leaves = []
        for key, g, e in zip(names, got, expected):
            leaves += collect_leaves(g, e, key, sizes, None, path + (key,), False, shape_hint)
        return leaves
    if isinstance(expected, dict):
        keys = list(expected)
        if not isinstance(got, dict):
            extra = " (a tuple: return a dict instead)" if isinstance(got, tuple) else ""
            raise CheckFailed(f"`{name}` is {_kind(got)}{extra}; expected a dict with the keys "
                              f"{', '.join(map(repr, keys))}.")
        missing = [k for k in keys if k not in got]
        if missing:
            raise CheckFailed(f"The dict `{name}` is missing the key(s) "
                              f"{', '.join(map(repr, missing))}; it has "
                              f"{', '.join(map(repr, got)) or 'no keys'}. Expected keys: "
                              f"{', '.join(map(repr, keys))}.")
        leaves = []
        for key in keys:
            child = _child_name(name, key, top and not path)
            leaves += collect_leaves(got[key], expected[key], child, sizes, None, path + (key,),
                                     False, shape_hint)
        return leaves
    if _is_array(expected):
        _check_array_structure(got, expected, name, sizes, shape_hint)
    else:
        _check_number_structure(got, name)
    return [_Leaf(path, name, got, expected)]


def _check_array_structure(got, expected, name: str, sizes: dict, shape_hint=None) -> None:
    wanted = shape_text(tuple(expected.shape), sizes)
    if _is_torch(expected) and not _is_torch(got):
        raise CheckFailed(f"`{name}` is {_kind(got)}; expected a torch.Tensor of shape {wanted}.")
    if not _is_torch(expected) and not isinstance(got, np.ndarray):
        if got is None:
            raise CheckFailed(f"`{name}` is None; expected a numpy array of shape {wanted}.")
        if _is_torch(got):
            raise CheckFailed(f"`{name}` is a torch.Tensor; this exercise uses numpy arrays "
                              f"(expected shape {wanted}).")
        if isinstance(got, tuple):
            raise CheckFailed(f"`{name}` is a tuple of {len(got)} values; expected a single numpy "
                              f"array of shape {wanted}. Return just that array.")
        if isinstance(got, list):
            raise CheckFailed(f"`{name}` is a list of {len(got)} items; expected one numpy array "
                              f"of shape {wanted}. Stack a list of rows with `np.stack(...)`, or "
                              "fill a preallocated array.")
        if isinstance(got, numbers.Number):
            raise CheckFailed(f"`{name}` is a single number; expected an array of shape {wanted}.")
        raise CheckFailed(f"`{name}` is {_kind(got)}; expected a numpy array of shape {wanted}.")
    got_dtype, expected_dtype = _to_numpy(got).dtype, _to_numpy(expected).dtype
    if not np.issubdtype(got_dtype, np.floating):
        raise CheckFailed(f"`{name}` has dtype {got_dtype}; expected floating-point numbers "
                          f"({expected_dtype}). Integer arrays silently drop fractions: create "
                          "arrays with `np.zeros(...)` (float) rather than from integers.")
    if np.finfo(got_dtype).bits < np.finfo(expected_dtype).bits:
        raise CheckFailed(f"`{name}` has dtype {got_dtype}; expected {expected_dtype}. Don't cast "
                          "to a lower precision: it loses digits the check needs.")
    got_shape, expected_shape = tuple(got.shape), tuple(expected.shape)
    if got_shape != expected_shape:
        hint = shape_hint(name, got_shape, expected_shape, sizes) if shape_hint else ""
        raise CheckFailed(f"`{name}` has shape {shape_text(got_shape, sizes)}; expected {wanted}. "
                          + (hint or _shape_hint(got_shape, expected_shape)))


def _shape_hint(got: tuple, expected: tuple) -> str:
    if len(got) == 2 and got == expected[::-1]:
        return "It looks transposed: rows and columns are swapped."
    if len(got) > len(expected):
        return ("It has an extra axis: often `*` (element-wise) where `@` (matrix product) was "
                "meant, or a column of shape (n, 1) broadcast against a row.")
    if len(got) < len(expected):
        return ("An axis is missing: was something summed over an axis that should stay, or only "
                "one row kept?")
    if int(np.prod(got)) == int(np.prod(expected)):
        return "Same number of entries, arranged differently: a reshape or a transposed product?"
    return "Check the sizes of the matrices you multiply and of the array you create."


def _check_number_structure(got, name: str) -> None:
    if isinstance(got, bool) or got is None:
        raise CheckFailed(f"`{name}` is {_kind(got)}; expected a number.")
    if isinstance(got, numbers.Real):
        return
    if isinstance(got, np.ndarray) and got.ndim == 0 and np.issubdtype(got.dtype, np.number):
        return
    if _is_array(got):
        raise CheckFailed(f"`{name}` is an array of shape {tuple(got.shape)}; expected a single "
                          "number. Sum it to one value, or use `float(...)`.")
    raise CheckFailed(f"`{name}` is {_kind(got)}; expected a number.")


def check_finite(leaves: list[_Leaf], tip: str = "") -> None:
    for leaf in leaves:
        values = np.asarray(_to_numpy(leaf.got), dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0]) if values.ndim else ()
            what = "NaN" if np.isnan(values).any() else "inf"
            where = f" (first at index {index})" if index else ""
            message = (f"`{leaf.name}` contains {what}{where}: {int(bad.sum())} of {bad.size} "
                       "entries are not finite numbers. An overflow (`np.exp` of a large number), "
                       "a division by zero or the log of 0?")
            raise CheckFailed(message + (f"\n{tip}" if tip else ""))


def values_match(got, expected, rtol: float = RTOL, atol: float = ATOL) -> bool:
    got, expected = _to_numpy(got), _to_numpy(expected)
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def _format_index(index: tuple) -> str:
    return "[" + ", ".join(map(str, index)) + "]"


def describe_difference(name: str, got, expected, rtol: float = RTOL, atol: float = ATOL) -> str:
    """Largest error, first index that differs, and a sign / constant-factor hint."""
    got = np.asarray(_to_numpy(got), dtype=float)
    expected = np.asarray(_to_numpy(expected), dtype=float)
    tolerance = f"(tolerance: rtol={rtol:g}, atol={atol:g})"
    if got.ndim == 0:
        text = f"`{name}` is {got:.6g}; expected {expected:.6g} {tolerance}."
    else:
        diff = np.abs(got - expected)
        bad = ~np.isclose(got, expected, rtol=rtol, atol=atol)
        worst = tuple(int(i) for i in np.unravel_index(np.argmax(diff), diff.shape))
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        text = (f"`{name}` has wrong values: {int(bad.sum())} of {bad.size} entries differ "
                f"{tolerance}. The largest error is {diff[worst]:.3g}, at `{name}"
                f"{_format_index(worst)}` (got {got[worst]:.6g}, expected {expected[worst]:.6g}); "
                f"the first entry that differs is `{name}{_format_index(first)}`.")
    hint = _factor_hint(got, expected, rtol, atol)
    return text + (f" {hint}" if hint else "")


def _factor_hint(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> str:
    if not np.any(np.abs(expected) > atol):
        return ""
    if np.allclose(got, 0.0, atol=atol):
        return "Your values are all zero."
    if np.allclose(got, -expected, rtol=rtol, atol=atol):
        return "They have the opposite sign: a minus sign too many or too few?"
    nonzero = np.abs(expected) > 1e-6
    factor = float(np.median(got[nonzero] / expected[nonzero]))
    if np.isfinite(factor) and factor != 0 and np.allclose(got, factor * expected, rtol=rtol * 10,
                                                           atol=atol * 10):
        return f"They are off by a constant factor of {factor:.4g}."
    return ""


# --- the check -------------------------------------------------------------------------------
_EXERCISE_NAMES: set[str] = set()     # every exercise with a check, to spot a swapped function


class Check:
    """A callable that checks one exercise: ``check(learner_function) -> CheckResult``.

    name: the exercise's function name.
    reference: a correct function with the exercise's signature (from ``utils``).
    make_cases: ``make_cases(rng) -> list[Case]``, fresh inputs generated from one spec.
    output_names: a name for the returned value ("h_t"), or one per value for a tuple.
    mistakes: known wrong variants, compared with the learner's output on a value mismatch.
    depends_on: checks of exercises this one builds on; when the learner's function calls
        one of those functions and it fails its own check, the message says so.
    shape_tip: added to errors that look like shape mismatches (e.g. "U @ x_t is (J,)").
    shape_hint: optional ``shape_hint(name, got_shape, expected_shape, sizes) -> str``, words
        for a returned array of the wrong shape (the generic hint is used when it returns "").
    nan_tip: added when the output contains NaN or inf.
    explain: optional ``explain(case, got_leaves) -> str`` for more exercise-specific hints.
    """

    def __init__(self, name: str, reference: Callable, make_cases: Callable, *,
                 output_names=None, mistakes=(), depends_on=(), shape_tip: str = "",
                 shape_hint: Callable | None = None, nan_tip: str = "",
                 explain: Callable | None = None,
                 rtol: float = RTOL, atol: float = ATOL, seed: int = 0):
        self.name, self.reference, self.make_cases = name, reference, make_cases
        self.output_names = output_names
        self.mistakes, self.depends_on = list(mistakes), list(depends_on)
        self.shape_tip, self.shape_hint = shape_tip, shape_hint
        self.nan_tip, self.explain = nan_tip, explain
        self.rtol, self.atol, self.seed = rtol, atol, seed
        _EXERCISE_NAMES.add(name)

    def __repr__(self) -> str:
        return f"<check for {self.name}: call it with your function, e.g. check({self.name})>"

    def __call__(self, fn) -> CheckResult:
        try:
            self._run(fn)
        except CheckFailed as failure:
            return CheckResult(False, failure.message, self.name, failure.attempted)
        except Exception as error:  # a bug in the check itself: still no traceback for learners
            return CheckResult(False, f"The check itself failed ({type(error).__name__}: "
                               f"{_short(error)}). This is a bug in the course, not necessarily "
                               "in your code: please report it.", self.name)
        return CheckResult(True, self._pass_message(), self.name)

    def _pass_message(self) -> str:
        labels = [case.label for case in self.make_cases(np.random.default_rng(self.seed))]
        unique = list(dict.fromkeys(labels))
        return (f"Correct! Your `{self.name}` matches the reference on {len(labels)} test cases: "
                + "; ".join(unique) + ".")

    # -- the steps --
    def _run(self, fn) -> None:
        if not callable(fn):
            raise CheckFailed(f"Pass the function itself, without calling it: "
                              f"`check_{self.name}({self.name})`. Got {_kind(fn)}.")
        cases = self.make_cases(np.random.default_rng(self.seed))
        check_signature(fn, list(cases[0].args), self.name)
        for number, case in enumerate(cases, 1):
            try:
                self._run_case(fn, case)
            except CheckFailed as failure:
                if failure.attempted:
                    failure.message = self._add_context(fn, failure.message, case, number,
                                                        len(cases))
                raise

    def _run_case(self, fn, case: Case) -> None:
        expected = self.reference(*copy.deepcopy(list(case.args.values())))
        inputs = copy.deepcopy(case.args)
        got = call_learner(fn, list(inputs.values()), self.name, self._shape_tip(case))
        if got is None:
            if is_unchanged_stub(fn):
                raise CheckFailed(f"Not attempted yet: `{self.name}` has no code and returns "
                                  "None.", attempted=False)
            raise CheckFailed(f"`{self.name}` returned None: is the `return` statement missing?")
        changed = [name for name in case.args if not _same(case.args[name], inputs[name])]
        if changed:
            names = ", ".join(f"`{n}`" for n in changed)
            raise CheckFailed(
                f"`{self.name}` changed its input {names} in place. Inputs must stay as they were "
                "(the caller still needs them): e.g. `h = h_prev` followed by `h += ...` or "
                "`h[:] = ...` writes into `h_prev` itself. Build a new array instead "
                "(`h = h_prev + ...`), or work on a `.copy()`.")
        leaves = collect_leaves(got, expected, self._top_name(), case.sizes, self._tuple_names(),
                                shape_hint=self.shape_hint)
        check_finite(leaves, self.nan_tip)
        wrong = [leaf for leaf in leaves
                 if not values_match(leaf.got, leaf.expected, self.rtol, self.atol)]
        if wrong:
            raise CheckFailed(self._explain_values(case, expected, leaves, wrong))

    def _top_name(self) -> str:
        return self.output_names if isinstance(self.output_names, str) else self.name

    def _tuple_names(self):
        return None if isinstance(self.output_names, str) else self.output_names

    def _shape_tip(self, case: Case) -> str:
        shapes = ", ".join(f"`{name}` {shape_text(tuple(value.shape), case.sizes)}"
                           for name, value in case.args.items() if _is_array(value))
        return (f"The inputs had shapes {shapes}. A shape error usually means a transposed "
                "matrix, the operands of `@` in the wrong order, or an array created with the "
                "wrong size. " + self.shape_tip).strip()

    def _explain_values(self, case: Case, expected, leaves: list[_Leaf], wrong: list[_Leaf]) -> str:
        mistake = self._matching_mistake(case, expected, leaves, wrong)
        names = ", ".join(f"`{leaf.name}`" for leaf in wrong)
        if mistake is not None:
            message = f"Wrong values in {names}. They match a known mistake: {mistake.description}"
        else:
            first = wrong[0]
            message = describe_difference(first.name, first.got, first.expected, self.rtol,
                                          self.atol)
            if len(leaves) > 1:
                right = [leaf.name for leaf in leaves if leaf not in wrong]
                message += (f"\nWrong: {names}." + (" Right: " + ", ".join(f"`{n}`" for n in right)
                                                    + "." if right else ""))
        if self.explain is not None and mistake is None:
            extra = self.explain(case, leaves)
            if extra:
                message += "\n" + extra
        return message

    def _matching_mistake(self, case: Case, expected, leaves: list[_Leaf], wrong: list[_Leaf]):
        """The first known mistake whose output equals the learner's wherever theirs is wrong."""
        wrong_paths = {leaf.path for leaf in wrong}
        for mistake in self.mistakes:
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    out = mistake.variant(*copy.deepcopy(list(case.args.values())))
                    variant = collect_leaves(out, expected,
                                             self._top_name(), case.sizes, self._tuple_names())
            except Exception:      # e.g. a transposed U that only runs when U is square
                continue
            by_path = {leaf.path: leaf.got for leaf in variant}
            concerned = {leaf.path for leaf in leaves
                         if mistake.keys is None or (leaf.path and leaf.path[-1] in mistake.keys)}
            relevant = wrong_paths & concerned
            if not relevant:
                continue
            if all(self._shows(by_path.get(leaf.path), leaf) for leaf in wrong
                   if leaf.path in relevant):
                return mistake
        return None

    def _shows(self, variant_value, leaf: _Leaf) -> bool:
        """The variant reproduces the learner's wrong value (and is itself wrong there)."""
        if variant_value is None:
            return False
        got = np.asarray(_to_numpy(leaf.got), dtype=float)
        value = np.asarray(_to_numpy(variant_value), dtype=float)
        return (got.shape == value.shape and np.all(np.isfinite(value))
                and values_match(got, value, self.rtol, self.atol)
                and not values_match(value, leaf.expected, self.rtol, self.atol))

    def _add_context(self, fn, message: str, case: Case, number: int, total: int) -> str:
        notes = []
        passed_name = getattr(fn, "__name__", "")
        if passed_name != self.name and passed_name in _EXERCISE_NAMES:
            notes.append(f"Note: you passed `{passed_name}` to the check of `{self.name}`; "
                         f"call `check_{self.name}({self.name})`.")
        for dependency in self.depends_on:
            theirs = getattr(fn, "__globals__", {}).get(dependency.name)
            if (callable(theirs) and theirs is not fn and dependency.name in code_names(fn)
                    and f"`{dependency.name}`" not in message
                    and not dependency(theirs).passed):
                notes.append(f"Note: your `{self.name}` calls `{dependency.name}`, which does not "
                             "pass its own check yet. Fix that one first.")
        stale = globals_read(fn)
        if stale:
            notes.append("Note: your function reads the notebook variable(s) "
                         + ", ".join(f"`{n}`" for n in stale)
                         + " instead of only its own arguments; the check passes fresh inputs.")
        headline, _, rest = message.partition("\n")
        lines = [headline] + ([rest] if rest else []) + notes
        lines.append(f"(Failed on test case {number} of {total}: {case.describe()}.)")
        return "\n".join(lines)


def use_learner_or_reference(fn, check: Check) -> Callable:
    """The learner's function if it passes its check, else the reference, with a note.

    Later cells of a lab use this, so the lab runs top to bottom before every exercise
    is solved (the website executes the notebooks as committed, with the stubs).
    """
    if check(fn).passed:
        print(f"✓ Using your {check.name}.")
        return fn
    print(f"Note: your {check.name} doesn't pass its check yet; using the reference\n"
          "so the rest of the lab runs.")
    return check.reference


class HintedCheck(Check):
    """A ``Check`` that explains more: hints for errors raised by the learner's code, hints
    for a wrong structure, a tip for inputs changed in place, and renamed parts.

    hints: (regular expression, hint) pairs for errors raised by the learner's code; hint is
        a string or ``hint(fn) -> str`` (to look at the names the learner's code uses).
    structure_hints: the same for every other message (a tuple where a tensor belongs, ...).
        In both lists the first pattern found in the message wins.
    in_place_tip: replaces the generic advice after "... in place." with one about this exercise.
    renames: {text: replacement} applied to every message (e.g. the core names the two parts
        of an LSTM state `value 1` and `value 2`).
    """

    def __init__(self, *args, hints=(), structure_hints=(), in_place_tip: str = "",
                 renames=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.hints = [(re.compile(p), h) for p, h in hints]
        self.structure_hints = [(re.compile(p), h) for p, h in structure_hints]
        self.in_place_tip = in_place_tip
        self.renames = dict(renames or {})

    def _run_case(self, fn, case: Case) -> None:
        try:
            self._run_one(fn, case)
        except CheckFailed as failure:
            if failure.attempted:
                failure.message = self._explain(failure.message, fn)
            raise

    def _run_one(self, fn, case: Case) -> None:
        """One case, without the hints (a subclass may run it differently)."""
        super()._run_case(fn, case)

    def _explain(self, message: str, fn) -> str:
        table = self.hints if message.startswith("Your code raised") else self.structure_hints
        for pattern, hint in table:
            if pattern.search(message):
                message += "\n" + (hint(fn) if callable(hint) else hint)
                break
        if self.in_place_tip and " in place." in message:
            message = message.split(" in place.")[0] + " in place. " + self.in_place_tip
        for old, new in self.renames.items():
            message = message.replace(old, new)
        return message


def renamed_pair(first: str, second: str, both: str) -> dict:
    """``renames`` for an output holding a pair (an LSTM state), whose parts the core calls
    `value 1` and `value 2`: e.g. ``renamed_pair("`h_n`", "`c_n`", "h_n, c_n")``."""
    return {"`value 1`": first, "`value 2`": second, "(value 1, value 2)": f"({both})",
            "value 1, value 2": both}

# --- checks of what a function does ------------------------------------------------------------
@dataclass
class Probe:
    """One test of a ``PropertyCheck``.

    label: a few words saying what the probe tests ("a model that never says <EOS>").
    run: ``run(call)``; ``call(*args)`` runs the learner's function (a stub, an error in their
        code or a missing return value stops the check, as in ``Check``). ``run`` raises
        CheckFailed with a message that names the mistake when the answer misbehaves.
    """

    label: str
    run: Callable

    def describe(self) -> str:
        return self.label


class PropertyCheck(Check):
    """A check for exercises judged by what the function *does*, not by one returned value.

    For a sampler (its output is random), for a function that must change its inputs in
    place (gradient clipping), or for an answer with several right forms, each ``Probe``
    runs the learner's function in a situation built to expose one kind of mistake (a
    rigged model, fresh tensors, thousands of draws) and inspects the result.

    params: the exercise's parameter names, in order (for the signature check).
    make_probes: ``make_probes(rng) -> list[Probe]``, run in order; the first failure is
        reported, with the probe's label.
    error_hints: (regular expression, hint) pairs; an error raised by the learner's code
        whose text matches a pattern gets that hint added.
    """

    def __init__(self, name: str, reference: Callable, params, make_probes: Callable, *,
                 depends_on=(), error_hints=(), seed: int = 0):
        super().__init__(name, reference, make_probes, depends_on=depends_on, seed=seed)
        self.params = list(params)
        self.error_hints = [(re.compile(pattern), hint) for pattern, hint in error_hints]

    def _pass_message(self) -> str:
        labels = [probe.label for probe in self.make_cases(np.random.default_rng(self.seed))]
        return (f"Correct! Your `{self.name}` passes all {len(labels)} tests: "
                + "; ".join(dict.fromkeys(labels)) + ".")

    def _run(self, fn) -> None:
        if not callable(fn):
            raise CheckFailed(f"Pass the function itself, without calling it: "
                              f"`check_{self.name}({self.name})`. Got {_kind(fn)}.")
        check_signature(fn, self.params, self.name)
        probes = self.make_cases(np.random.default_rng(self.seed))
        call = self._caller(fn)
        for number, probe in enumerate(probes, 1):
            try:
                probe.run(call)
            except CheckFailed as failure:
                if failure.attempted:
                    failure.message = self._add_context(fn, failure.message, probe, number,
                                                        len(probes))
                raise

    def _caller(self, fn) -> Callable:
        def call(*args):
            try:
                got = call_learner(fn, list(args), self.name)
            except CheckFailed as failure:
                hints = [hint for pattern, hint in self.error_hints
                         if failure.attempted and pattern.search(failure.message)]
                if hints:
                    failure.message += "\n" + hints[0]
                raise
            if got is None:
                if is_unchanged_stub(fn):
                    raise CheckFailed(f"Not attempted yet: `{self.name}` has no code and "
                                      "returns None.", attempted=False)
                raise CheckFailed(f"`{self.name}` returned None: is the `return` statement "
                                  "missing?")
            return got
        return call


# --- what the recurrent labs share (Labs 1-7) --------------------------------------------------
def explain_by_row(first: str, later: str) -> Callable:
    """An ``explain`` for outputs holding one row per step: ``first`` when row 0 is already
    wrong (the step itself), ``later`` when only a later row is (the carry; ``{row}`` is the
    first wrong one)."""
    def explain(case: Case, leaves: list[_Leaf]) -> str:
        row = min((t for leaf in leaves for t in range(len(leaf.got))
                   if not values_match(leaf.got[t], leaf.expected[t])), default=None)
        if row is None:
            return ""
        return first if row == 0 else later.format(row=row)
    return explain


def rows_shape_hint(extra_row: str, one_row: str, columns: str) -> Callable:
    """A ``shape_hint`` for outputs holding one row per step, (T, J): ``extra_row`` for
    (T + 1, J), ``one_row`` for (J,), ``columns`` for (T, D); ``{name}`` is the output."""
    def hint(name, got, expected, sizes) -> str:
        T, D, J = sizes["T"], sizes["D"], sizes["J"]
        if got == (T + 1, J):
            return extra_row.format(name=name)
        if got == (J,):
            return one_row
        if got == (T, D) and D != J:
            return columns.format(name=name)
        return ""
    return hint


def same_shape_parts(leaves: list[_Leaf]) -> list[tuple]:
    """(name, got, expected) of every tensor leaf, detached; [] when a shape differs."""
    parts = [(leaf.name, leaf.got.detach(), leaf.expected.detach()) for leaf in leaves]
    return parts if all(got.shape == expected.shape for _, got, expected in parts) else []


def gate_blocks(kind: str) -> int:
    """G, the number of row blocks of a cell's U, W and b: 1 (rnn), 3 (gru), 4 (lstm)."""
    from ..cells import CELLS
    return len(CELLS[kind].gate_names)


def fill_uniform(module, rng: np.random.Generator, bound: float):
    """Draw every parameter of a float64 torch module from ``rng``, uniform in [-bound, bound]."""
    import torch
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-bound, bound, size=tuple(p.shape))))
    return module


def random_cell(kind: str, D: int, J: int, rng: np.random.Generator):
    """A float64 course cell (``utils.cells``), weights drawn from ``rng`` in [-2/sqrt(J),
    2/sqrt(J)] (wider than the default: clearer differences); the torch RNG is not touched."""
    import torch
    from ..cells import make_cell
    with torch.random.fork_rng(devices=[]):
        cell = make_cell(kind, D, J).double()
    return fill_uniform(cell, rng, 2.0 / J ** 0.5)


def random_torch_module(kind: str, rng: np.random.Generator, D: int, J: int,
                        num_layers: int = 1, bidirectional: bool = False, bound=None):
    """A float64 batch-first ``torch.nn.RNN/GRU/LSTM`` whose weights and BOTH biases are drawn
    from ``rng`` in [-bound, bound] (default 2/sqrt(J)), so every term of a learner's
    conversion is observable; the global torch generator is not touched."""
    import torch
    from ..cells import CELLS
    with torch.random.fork_rng(devices=[]):
        module = CELLS[kind].torch_class(D, J, num_layers=num_layers, batch_first=True,
                                         bidirectional=bidirectional).double()
    return fill_uniform(module, rng, 2.0 / J ** 0.5 if bound is None else bound)


def random_state(kind: str, shape: tuple, rng: np.random.Generator):
    """A non-zero state of ``shape`` ((B, J), or PyTorch's (L, B, J)): h in [-0.8, 0.8], and
    for an LSTM the pair (h, c) with c drawn from N(0, 1)."""
    import torch
    h = torch.from_numpy(rng.uniform(-0.8, 0.8, size=shape))
    if kind == "lstm":
        return h, torch.from_numpy(rng.normal(0.0, 1.0, size=shape))
    return h


def random_inputs(rng: np.random.Generator, B: int, T: int, D: int):
    """xs (B, T, D), float64, drawn from N(0, 1)."""
    import torch
    return torch.from_numpy(rng.normal(size=(B, T, D)))


# --- the numpy cells of Labs 4 and 5 ----------------------------------------------------------
CELL_SIZES = (  # the five cases: T steps of D inputs, J hidden units
    dict(T=5, D=3, J=4, label="non-square sizes"),
    dict(T=1, D=1, J=2, label="one step with one input (T=1, D=1)"),
    dict(T=6, D=4, J=4, label="as many inputs as hidden units (square U)"),
    dict(T=4, D=2, J=3, label="large inputs", large=True),
    dict(T=7, D=5, J=6, label="other non-square sizes"),
)


def fixture_cases(fixture: Callable, arguments, letters: str) -> Callable:
    """make_cases(rng): for each of CELL_SIZES, ``fixture(rng, T, D, J, large) -> dict`` and
    the arguments taken from it, {argument: fixture key} (a list: the same names)."""
    keys = arguments if isinstance(arguments, dict) else {name: name for name in arguments}

    def make_cases(rng: np.random.Generator) -> list[Case]:
        cases = []
        for spec in CELL_SIZES:
            f = fixture(rng, spec["T"], spec["D"], spec["J"], spec.get("large", False))
            cases.append(Case({arg: f[key] for arg, key in keys.items()},
                              {k: spec[k] for k in letters}, spec["label"]))
        return cases
    return make_cases


def gate_weights(params: dict, gate: str, transpose_W=False, transpose_U=False, swap_UW=False):
    """(U, W, b) of one gate of a numpy params dict ("U_f", "W_f", "b_f", ...), with a weight
    mix-up switched on if asked: W or U transposed, or U and W swapped."""
    U, W, b = params[f"U_{gate}"], params[f"W_{gate}"], params[f"b_{gate}"]
    if transpose_W:
        W = W.T
    if transpose_U:
        U = U.T
    return (W, U, b) if swap_UW else (U, W, b)


def weight_mix_ups(variant: Callable, gate: str, state: str) -> list[Mistake]:
    """The three mix-ups of ``gate_weights``, made by ``variant(*args, <switch>=True)``;
    ``state`` names what W multiplies (e.g. "hidden state h_prev")."""
    h = state.split()[-1]
    return [
        Mistake(f"`W_*` is used transposed: `{h} @ W_{gate}` computes W_{gate}ᵀ {h}. Use "
                f"`W_{gate} @ {h}`.", lambda *a: variant(*a, transpose_W=True)),
        Mistake(f"`U_*` is used transposed: `x_t @ U_{gate}` computes U_{gate}ᵀ x_t. Use "
                f"`U_{gate} @ x_t`.", lambda *a: variant(*a, transpose_U=True)),
        Mistake("`U_*` and `W_*` are swapped: `U_*` multiplies the input x_t, `W_*` the previous "
                f"{state}.", lambda *a: variant(*a, swap_UW=True)),
    ]


# --- converting layer 0 of a torch.nn.GRU or LSTM (Labs 4 and 5) --------------------------------
TORCH_SPECS = (  # D, J, layers, label
    (3, 4, 1, "non-square sizes"),
    (5, 2, 1, "more inputs than hidden units"),
    (4, 4, 1, "as many inputs as hidden units (D = J)"),
    (2, 3, 2, "two layers: convert layer 0"),
)


def torch_module_cases(kind: str, argument: str) -> Callable:
    """make_cases(rng): a random torch.nn module of ``kind`` as ``argument``, per TORCH_SPECS."""
    G = gate_blocks(kind)

    def make_cases(rng: np.random.Generator) -> list[Case]:
        return [Case({argument: random_torch_module(kind, rng, D, J, layers)},
                     {"D": D, "J": J, f"{G}J": G * J}, label)
                for D, J, layers, label in TORCH_SPECS]
    return make_cases


def torch_weight_hints(module: str) -> list[tuple]:
    """``hints`` for errors raised while reading layer 0 of the argument ``module`` ("gru")."""
    return [
        (r"numpy\(\) on Tensor that requires grad",
         "The weights are parameters that require gradients: detach them before converting, "
         f"`{module}.weight_ih_l0.detach().numpy()`."),
        (r"has no attribute '(weight|bias)_(ih|hh)'",
         "PyTorch numbers the layers: the first layer's arrays are `weight_ih_l0`, "
         "`weight_hh_l0`, `bias_ih_l0` and `bias_hh_l0`."),
        (r"AttributeError", f"`{module}` is a `torch.nn.{module.upper()}`: its first layer's "
                            f"arrays are `{module}.weight_ih_l0`, `{module}.weight_hh_l0`, "
                            f"`{module}.bias_ih_l0` and `{module}.bias_hh_l0`; its hidden size J "
                            f"is `{module}.hidden_size`."),
    ]


def torch_weight_shape_hint(G: int, whole_stack: str, stacked: str) -> Callable:
    """The ``shape_hint`` of a converter of a module with G row blocks: ``whole_stack`` for
    all blocks taken at once, ``stacked`` names what PyTorch stacks along the rows."""
    def hint(name, got, expected, sizes) -> str:
        J, D = sizes["J"], sizes["D"]
        if got in ((G * J, D), (G * J, J), (G * J,)):
            return whole_stack
        if got == tuple(expected)[::-1]:
            return (f"It looks transposed: `weight_ih_l0` is ({G}J, D), one ROW per hidden unit, "
                    "as U is; take a block of rows without `.T`.")
        if name.startswith("U") and got == (J, J) and D != J:
            return ("That is the shape of a W block: `U_*` comes from `weight_ih_l0` (the input "
                    f"weights, ({G}J, D)), `W_*` from `weight_hh_l0` (({G}J, J)).")
        if name.startswith("W") and got == (J, D) and D != J:
            return ("That is the shape of a U block: `W_*` comes from `weight_hh_l0` (the "
                    f"recurrent weights, ({G}J, J)), `U_*` from `weight_ih_l0` (({G}J, D)).")
        if name.startswith("b") and got == (2 * J,):
            return ("Twice too long: add the two biases, `bias_ih_l0 + bias_hh_l0`, don't "
                    "concatenate them.")
        if len(got) == 2 and got[0] == G * J:
            return ("The columns were split: split along the rows (axis 0), where PyTorch "
                    f"stacks {stacked}.")
        return ""
    return hint


def block_order_mistakes(order: tuple, describe: Callable, variant: Callable) -> list[Mistake]:
    """A Mistake for every wrong order of the row blocks: ``describe(wrong_order)`` names it,
    ``variant(module, order=wrong_order)`` makes it."""
    return [Mistake(describe(wrong), lambda module, o=wrong: variant(module, order=o))
            for wrong in itertools.permutations(order) if wrong != order]


def torch_layout_mistakes(variant: Callable) -> list[Mistake]:
    """Two mix-ups of torch.nn's layout, made by ``variant(module, swap_ih_hh=True)`` and
    ``variant(module, transpose=True)``."""
    return [
        Mistake("`weight_ih_l0` and `weight_hh_l0` are swapped: `U_*` (input weights) come "
                "from `weight_ih_l0` ('input to hidden'), `W_*` from `weight_hh_l0` ('hidden "
                "to hidden').", lambda module: variant(module, swap_ih_hh=True)),
        Mistake("the blocks are transposed: `weight_ih_l0` has one ROW per hidden unit, as U "
                "does, so a block of rows is already `U_*`; drop the `.T`.",
                lambda module: variant(module, transpose=True)),
    ]


def conversion_check(kind: str, reference: Callable, *, whole_stack: str, stacked: str,
                     in_place_tip: str, explain: Callable, mistakes: list) -> HintedCheck:
    """The check of ``params_from_torch_<kind>``, converting layer 0 of a torch.nn module of
    ``kind`` ("gru", "lstm") to a params dict: the TORCH_SPECS cases, shape hints
    (``whole_stack``, ``stacked``: see torch_weight_shape_hint), hints for errors."""
    return HintedCheck(
        f"params_from_torch_{kind}", reference, torch_module_cases(kind, kind),
        output_names="params", in_place_tip=in_place_tip, explain=explain,
        shape_hint=torch_weight_shape_hint(gate_blocks(kind), whole_stack, stacked),
        hints=torch_weight_hints(kind), mistakes=mistakes)


# --- what a training loop returns ----------------------------------------------------------------
def returned_losses(got, steps: int, name: str) -> list[float]:
    """The losses a learner's training loop `name` returned, as floats, or a CheckFailed that
    says what is wrong with them (a tensor, a number, the wrong count, tensors inside)."""
    import torch

    def brief(x) -> str:
        text = str(x)
        return text if len(text) < 40 else text[:37] + "..."

    if isinstance(got, (torch.Tensor, numbers.Number)):
        raise CheckFailed(f"`{name}` returned a {type(got).__name__}, `{brief(got)}`; return a "
                          "list with the loss of every step, `losses.append(loss.item())`.")
    if not isinstance(got, (list, tuple, np.ndarray)):
        raise CheckFailed(f"`{name}` returned a {type(got).__name__}; return a list with the "
                          "loss of every step.")
    if len(got) != steps:
        raise CheckFailed(f"`{name}` returned {len(got)} value(s) for steps={steps}: return a "
                          "list with one loss per step.")
    if any(isinstance(x, torch.Tensor) for x in got):
        raise CheckFailed("The losses are tensors: store numbers, `losses.append(loss.item())`. "
                          "A tensor keeps its step's whole computation graph alive (memory), and "
                          "can't be plotted directly.")
    if not all(isinstance(x, (numbers.Real, np.floating)) and not isinstance(x, bool)
               for x in got):
        raise CheckFailed("The losses must be numbers: `losses.append(loss.item())`.")
    return [float(x) for x in got]
