"""What every lab's checks add to the basic ones of ``core.py``: a time limit, and answers
that remember.

    CHECKS = {check.name: with_edges(check) for check in (check_a, check_b)}

* A time limit (``time_limit``, CPU seconds): a learner's loop that never ends, or a Python
  loop over every entry, stops the check with a message that says so, instead of hanging
  the notebook.
* Earlier exercises first: when the learner's function calls their own function of an
  earlier exercise (``depends_on``) and that one fails its check, the message says so and
  blames the earlier one.
* Answers that remember: a default argument that changed between calls (``hs=[]``), the
  answer of an earlier case returned again (a cache), and assigned globals are named.
* ``again_with_new_values(make_cases)``: one more case with the first case's sizes and new
  values, which such answers fail.
"""
from __future__ import annotations

import copy
import dis
import inspect
import signal
import threading
from contextlib import contextmanager

import numpy as np

from .core import CheckFailed, _same, code_names, collect_leaves, values_match

TIME_LIMIT_S = 3.0   # seconds of CPU time; the course's solutions need at most 0.3 s for any
                     # check of Labs 1-4 (torch on one thread; scripts/time_checks.py-style
                     # measurement in tests/test_lab1_checks.py)


class TooSlow(BaseException):
    """Raised by the time limit inside the learner's code. A BaseException, so that neither
    ``call_learner`` nor a learner's ``except Exception`` turns it into an ordinary error."""


_LIMIT_ACTIVE = False


@contextmanager
def time_limit(seconds: float):
    """Raise TooSlow once the process has used ``seconds`` of CPU time; yields whether this
    call set the limit.

    CPU time, not wall-clock time, so that a busy machine (other programs, a shared Colab
    core) doesn't make a right answer "too slow". It uses SIGPROF, so it limits only in the
    main thread on Unix (Jupyter, Colab, pytest); elsewhere (Windows), inside another time
    limit, or when some other profiling timer runs, it just runs."""
    global _LIMIT_ACTIVE
    usable = (hasattr(signal, "setitimer") and hasattr(signal, "SIGPROF") and not _LIMIT_ACTIVE
              and threading.current_thread() is threading.main_thread()
              and signal.getitimer(signal.ITIMER_PROF)[0] == 0)
    if not usable:
        yield False
        return

    def alarm(signum, frame):
        raise TooSlow()

    previous = signal.signal(signal.SIGPROF, alarm)
    _LIMIT_ACTIVE = True
    try:
        signal.setitimer(signal.ITIMER_PROF, seconds)
        yield True
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
        _LIMIT_ACTIVE = False


def _mutable_defaults(fn) -> dict:
    """{parameter: a copy of its default} for every list, dict, set or array default."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: copy.deepcopy(p.default) for p in parameters
            if isinstance(p.default, (list, dict, set, np.ndarray))}


def globals_written(fn) -> list[str]:
    """The global variables the function (or a function inside it) assigns (`global x`)."""
    code = getattr(fn, "__code__", None)
    found, stack = set(), [code] if code is not None else []
    while stack:
        current = stack.pop()
        found |= {i.argval for i in dis.get_instructions(current)
                  if i.opname in ("STORE_GLOBAL", "DELETE_GLOBAL")}
        stack.extend(const for const in current.co_consts if inspect.iscode(const))
    return sorted(found)


class EdgeChecks:
    """Mixed into a lab's checks (see ``with_edges``):

    * a time limit: a check whose learner code runs longer than ``time_limit_s`` stops with a
      message that says so (a loop that never ends, a Python loop over every entry), instead
      of hanging the notebook;
    * answers that remember: when a case fails, a default argument that changed between
      calls (`hs=[]`), a result equal to an EARLIER case's answer (a cached result), and
      global variables the function assigns are named as the cause.
    """

    time_limit_s = TIME_LIMIT_S
    slow_tip = ""

    def _run(self, fn) -> None:
        self._passed_cases, self._case_now = [], None     # (number, case) of cases passed
        self._defaults = _mutable_defaults(fn) if callable(fn) else {}
        with time_limit(self.time_limit_s) as owned:
            try:
                self._dependencies_first(fn)
                super()._run(fn)
            except TooSlow:
                if not owned:
                    raise
                raise CheckFailed(self._slow_message()) from None

    def _dependencies_first(self, fn) -> None:
        """When the learner's function calls their own function of an earlier exercise (their
        step inside their sequence, their clipping inside their loop), check that one first:
        if it fails, say so, instead of blaming this function for its mistake."""
        for dependency in self.depends_on:
            theirs = getattr(fn, "__globals__", {}).get(dependency.name)
            if not (callable(theirs) and theirs is not fn and dependency.name in code_names(fn)):
                continue
            result = dependency(theirs)
            if result.passed:
                continue
            if not result.attempted:
                raise CheckFailed(
                    f"Your `{self.name}` calls `{dependency.name}`, which is not implemented yet "
                    f"(it still raises NotImplementedError). Finish `{dependency.name}` first, "
                    "then run this check again.")
            raise CheckFailed(
                f"Your `{self.name}` calls your `{dependency.name}`, which was checked first and "
                f"does not pass its own check. Fix `{dependency.name}` first (run "
                f"`check_{dependency.name}({dependency.name})`); `{self.name}` is checked once it "
                f"passes. What the check of `{dependency.name}` says:\n{result.message}")

    def _slow_message(self) -> str:
        where = (f" (it was at test case {len(self._passed_cases) + 1}: "
                 f"{self._case_now.describe()})" if self._case_now is not None else "")
        return (f"`{self.name}` did not finish within {self.time_limit_s:g} s (of computing) on "
                f"the check's small inputs{where}; the course's solution needs well under a "
                "second for the whole check. Is there a loop that never ends (a `while` whose counter never "
                "changes), or a Python loop over every single entry where one numpy or torch "
                "operation on the whole array would do?" + (f" {self.slow_tip}" if self.slow_tip
                                                            else ""))

    def _run_case(self, fn, case) -> None:
        # a case may also run on its own (the tests do), without _run's set-up
        if not hasattr(self, "_passed_cases"):
            self._passed_cases, self._defaults = [], {}
        self._case_now = case
        try:
            super()._run_case(fn, case)
        except CheckFailed as failure:
            if failure.attempted:
                failure.message = self._remembering(fn, failure.message)
            raise
        self._passed_cases.append((len(self._passed_cases) + 1, case))

    def _remembering(self, fn, message: str) -> str:
        """The message, led by a default argument that changed, or noting written globals."""
        now = _mutable_defaults(fn)
        changed = [name for name, before in self._defaults.items()
                   if name in now and not _same(before, now[name])]
        if changed:
            name = changed[0]
            return (f"`{self.name}` keeps something between calls in its default argument "
                    f"`{name}`: a default list, dict or array is created ONCE, when the function "
                    "is defined, and every call shares it, so each call sees what the earlier "
                    f"ones left there. Use `{name}=None` and create a new one inside the function "
                    "(or drop the argument).\nWhat the check saw: " + message)
        written = globals_written(fn)
        if written and "global variable" not in message:
            names = ", ".join(f"`{n}`" for n in written)
            message += (f"\nNote: your function assigns the global variable(s) {names} (`global "
                        "...`): a value kept from an earlier call can leak into this one. Compute "
                        "everything from this call's arguments.")
        return message

    def _explain_values(self, case, expected, leaves, wrong) -> str:
        earlier = self._earlier_answer(case, expected, leaves)
        if earlier is not None:
            number, old = earlier
            return (f"`{self.name}` returned the answer of an earlier test case (case {number}: "
                    f"{old.describe()}), not the answer for these inputs, which have the same "
                    "sizes but new values. Your function remembers something from an earlier "
                    "call (a cache, a global variable, a default argument such as `hs=[]`): "
                    "compute everything from this call's arguments.")
        return super()._explain_values(case, expected, leaves, wrong)

    def _earlier_answer(self, case, expected, leaves):
        for number, old in self._passed_cases:
            try:
                answer = self.reference(*copy.deepcopy(list(old.args.values())))
                old_leaves = collect_leaves(answer, expected, self._top_name(), case.sizes,
                                            self._tuple_names())
            except Exception:          # other sizes: not the answer to this case
                continue
            by_path = {leaf.path: leaf.got for leaf in old_leaves}
            if all(leaf.path in by_path
                   and values_match(leaf.got, by_path[leaf.path], self.rtol, self.atol)
                   for leaf in leaves) and not all(
                    values_match(leaf.got, leaf.expected, self.rtol, self.atol)
                    for leaf in old_leaves):
                return number, old
        return None


_EDGE_CLASSES: dict = {}


def with_edges(check, time_limit_s: float | None = None, slow_tip: str = ""):
    """Give an existing check (any Check class) the EdgeChecks behaviour, in place."""
    cls = type(check)
    if not issubclass(cls, EdgeChecks):
        if cls not in _EDGE_CLASSES:
            _EDGE_CLASSES[cls] = type(cls.__name__, (EdgeChecks, cls), {"__module__": __name__})
        check.__class__ = _EDGE_CLASSES[cls]
    if time_limit_s is not None:
        check.time_limit_s = time_limit_s
    if slow_tip:
        check.slow_tip = slow_tip
    return check


def again_with_new_values(make_cases, label: str = "the sizes of case 1 again, new values"):
    """make_cases(rng) plus one more case: the first case's sizes, drawn afresh. A function that
    caches its first result, or keeps state between calls, fails it."""
    def make(rng):
        cases = make_cases(rng)
        again = make_cases(rng)[0]
        again.label = label
        return cases + [again]
    return make
