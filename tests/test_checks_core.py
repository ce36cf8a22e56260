"""The lab-checking framework (utils/checks/core.py), on small made-up exercises."""
import warnings

import numpy as np
import pytest
import torch

from utils.checks import Case, Check, CheckResult, Mistake, use_learner_or_reference
from utils.checks import core


# --- a toy exercise: y = tanh(A x + b) -------------------------------------------------------
def reference(x, A, b):
    return np.tanh(A @ x + b)


def make_cases(rng):
    cases = []
    for n, m, label in [(3, 4, "non-square"), (1, 2, "tiny"), (5, 2, "wide")]:
        args = {"x": rng.normal(size=n), "A": rng.normal(size=(m, n)), "b": rng.normal(size=m)}
        cases.append(Case(args, {"N": n, "M": m}, label))
    return cases


toy = Check("layer", reference, make_cases, output_names="y",
            mistakes=[Mistake("the bias `b` is missing", lambda x, A, b: np.tanh(A @ x))],
            shape_tip="`A @ x` is (M,).", nan_tip="Use np.tanh.")


def stub(x, A, b):
    # YOUR CODE HERE
    raise NotImplementedError


# --- CheckResult -------------------------------------------------------------------------------
def test_result_status_bool_and_text():
    passed, failed = CheckResult(True, "ok", "f"), CheckResult(False, "bad", "f")
    todo = CheckResult(False, "Not attempted yet", "f", attempted=False)
    assert (passed.status, failed.status, todo.status) == ("passed", "failed", "not-attempted")
    assert bool(passed) and not failed and not todo
    assert repr(passed).startswith("✓ f") and repr(failed).startswith("✗ f")
    assert repr(todo).startswith("○ f")


def test_result_html_is_one_escaped_box_with_a_status_attribute():
    result = CheckResult(False, "Use `W @ h` <script>alert(1)</script>\nsecond line", "f<x>")
    page = result._repr_html_()
    assert page.count('class="lab-check') == 1
    assert 'data-check="failed"' in page and 'data-exercise="f&lt;x&gt;"' in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "W @ h</code>" in page                           # `backticks` become code
    assert "second line" in page and "✗" in page
    assert 'data-check="passed"' in CheckResult(True, "ok", "f")._repr_html_()


# --- calling the learner's code ---------------------------------------------------------------
def test_stub_reads_not_attempted():
    result = toy(stub)
    assert not result.passed and result.status == "not-attempted"
    assert "not attempted" in result.message.lower()
    assert "Traceback" not in result.message


def test_body_without_code_reads_not_attempted():
    def empty(x, A, b):
        """docstring only"""
        pass
    assert toy(empty).status == "not-attempted"


def test_missing_return_is_named():
    def no_return(x, A, b):
        y = np.tanh(A @ x + b)  # noqa: F841
    result = toy(no_return)
    assert result.status == "failed" and "return" in result.message


def test_error_inside_learner_code_names_type_message_and_their_line():
    def broken(x, A, b):
        y = A @ x
        return y[100]
    result = toy(broken)
    assert "IndexError" in result.message and "out of bounds" in result.message
    assert "In `broken`" in result.message and "return y[100]" in result.message
    assert "core.py" not in result.message


def test_shape_error_gets_the_input_shapes_and_a_tip():
    result = toy(lambda x, A, b: np.tanh(x @ A + b))
    assert "ValueError" in result.message
    assert "`A` (M, N) = (4, 3)" in result.message and "`A @ x` is (M,)." in result.message


def test_not_implemented_in_a_helper_names_the_helper():
    def helper(x):
        raise NotImplementedError

    def uses_helper(x, A, b):
        return helper(x)
    result = toy(uses_helper)
    assert result.status == "failed"
    assert "calls `helper`, which is not implemented yet" in result.message


def test_error_in_a_helper_says_who_called_it():
    def helper(v):
        return v["missing"]

    def uses_helper(x, A, b):
        return helper({"a": 1})
    message = toy(uses_helper).message
    assert "KeyError" in message and "In `helper` (called by your `uses_helper`)" in message


def test_numpy_warnings_do_not_leak_out_of_the_check():
    def overflow(x, A, b):
        return np.exp(1e5 * (A @ x + b))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = toy(overflow)
    assert not caught
    assert not result.passed


def test_wrong_signature_is_explained():
    result = toy(lambda x, A: A @ x)
    assert "must take 3 arguments `(x, A, b)`" in result.message
    assert "yours takes `(x, A)`" in result.message


@pytest.mark.parametrize("not_a_function", [None, np.zeros(3), 3.0, "layer"])
def test_passing_a_value_instead_of_the_function(not_a_function):
    result = toy(not_a_function)
    assert not result.passed and "Pass the function itself" in result.message


def test_a_bug_in_the_check_itself_gives_a_result_not_a_traceback():
    def bad_reference(x, A, b):
        raise RuntimeError("reference broke")
    check = Check("layer", bad_reference, make_cases)
    result = check(reference)
    assert not result.passed and "bug in the course" in result.message


# --- mutation, copies, globals ----------------------------------------------------------------
def test_input_mutation_is_caught_and_named():
    def in_place(x, A, b):
        b += A @ x
        return np.tanh(b)
    result = toy(in_place)
    assert "changed its input `b` in place" in result.message


def test_learner_gets_copies_not_the_case_arrays():
    seen = []

    def spy(x, A, b):
        seen.append(x)
        return reference(x, A, b)
    cases = make_cases(np.random.default_rng(toy.seed))
    assert toy(spy).passed
    assert all(a is not case.args["x"] for a, case in zip(seen, cases))


def test_reading_a_notebook_global_is_pointed_out():
    namespace = {"np": np, "A_global": np.ones((4, 3))}
    exec("def layer(x, A, b):\n    return np.tanh(A_global @ x + b)\n", namespace)
    result = toy(namespace["layer"])
    assert "notebook variable(s) `A_global`" in result.message


# --- structure before values ----------------------------------------------------------------
def test_a_broadcastable_wrong_shape_is_a_shape_error_not_a_match():
    got, expected = np.ones((5, 1)), np.ones((5, 10))
    assert np.allclose(got, expected)                     # the trap
    with pytest.raises(core.CheckFailed, match=r"shape \(5, 1\); expected \(5, 10\)"):
        core.collect_leaves(got, expected, "y", {})


@pytest.mark.parametrize("got, words", [
    (np.ones((4, 3)), "looks transposed"),
    (np.ones((3, 4, 1)), "extra axis"),
    (np.ones(12), "axis is missing"),
    (np.ones((6, 2)), "Same number of entries"),
])
def test_shape_hints(got, words):
    with pytest.raises(core.CheckFailed, match=words):
        core.collect_leaves(got, np.ones((3, 4)), "y", {"N": 3, "M": 4})


def test_shapes_are_named_with_the_case_sizes():
    assert core.shape_text((5, 3), {"T": 5, "D": 3}) == "(T, D) = (5, 3)"
    assert core.shape_text((4,), {"J": 4}) == "(J,) = (4,)"
    assert core.shape_text((2, 2), {"D": 2, "J": 2}) == "(2, 2)"    # ambiguous: numbers only


@pytest.mark.parametrize("got, words", [
    ([1.0, 2.0, 3.0], "list of 3 items.*np.stack"),
    ((np.ones(3), np.ones(3)), "tuple of 2 values; expected a single numpy array"),
    (torch.ones(3), "torch.Tensor; this exercise uses numpy"),
    (np.arange(3), "dtype int64; expected floating-point"),
    (np.ones(3, dtype=np.float32), "dtype float32; expected float64"),
    (2.0, "single number"),
    (None, "is None"),
])
def test_wrong_types_and_dtypes(got, words):
    with pytest.raises(core.CheckFailed, match=words):
        core.collect_leaves(got, np.ones(3), "y", {})


def test_dicts_need_their_keys():
    expected = {"dU": np.ones(2), "dW": np.ones(2)}
    with pytest.raises(core.CheckFailed, match="missing the key.*'dW'"):
        core.collect_leaves({"dU": np.ones(2)}, expected, "grads", {})
    with pytest.raises(core.CheckFailed, match="tuple: return a dict"):
        core.collect_leaves((np.ones(2), np.ones(2)), expected, "grads", {})
    leaves = core.collect_leaves({"dU": np.ones(2), "dW": np.ones(2), "extra": 1}, expected,
                                 "grads", {})
    assert [leaf.name for leaf in leaves] == ["dU", "dW"]


def test_tuples_need_their_count_and_order():
    expected = (1.0, {"dU": np.ones(2)})
    with pytest.raises(core.CheckFailed, match=r"a dict; expected 2 values `\(loss, grads"):
        core.collect_leaves({"dU": np.ones(2)}, expected, "f", {}, ("loss", "grads"))
    with pytest.raises(core.CheckFailed, match="returned 3 values; expected 2"):
        core.collect_leaves((1.0, {}, 2), expected, "f", {}, ("loss", "grads"))
    with pytest.raises(core.CheckFailed, match="wrong order"):
        core.collect_leaves(({"dU": np.ones(2)}, 1.0), expected, "f", {}, ("loss", "grads"))
    leaves = core.collect_leaves((np.float64(1.0), {"dU": np.ones(2)}), expected, "f", {},
                                 ("loss", "grads"))
    assert [leaf.name for leaf in leaves] == ["loss", "grads['dU']"]


def test_a_number_must_be_a_number():
    with pytest.raises(core.CheckFailed, match="array of shape \\(1,\\); expected a single number"):
        core.collect_leaves(np.ones(1), 1.0, "loss", {})
    core.collect_leaves(np.array(1.0), 1.0, "loss", {})    # a 0-d array is fine


def test_nan_and_inf_are_reported_with_their_index_and_the_tip():
    leaves = [core._Leaf((), "y", np.array([[1.0, 2.0], [np.nan, 1.0]]), np.ones((2, 2)))]
    with pytest.raises(core.CheckFailed, match=r"NaN \(first at index \(1, 0\)\).*\n.*softmax tip"):
        core.check_finite(leaves, "softmax tip")
    with pytest.raises(core.CheckFailed, match="inf"):
        core.check_finite([core._Leaf((), "y", np.array([np.inf]), np.ones(1))])


# --- values ------------------------------------------------------------------------------------
def test_tolerances_are_explicit_float64_ones():
    assert (core.RTOL, core.ATOL) == (1e-6, 1e-8)
    assert core.values_match(np.array([1.0 + 5e-7]), np.array([1.0]))
    assert not core.values_match(np.array([1.0 + 5e-6]), np.array([1.0]))
    assert not core.values_match(np.ones((5, 1)), np.ones((5, 10)))


def test_difference_reports_largest_error_and_first_index():
    expected = np.arange(12.0).reshape(3, 4)
    got = expected.copy()
    got[1, 2] += 0.5
    got[2, 3] += 3.0
    text = core.describe_difference("y", got, expected)
    assert "2 of 12 entries differ" in text
    assert "largest error is 3, at `y[2, 3]`" in text
    assert "first entry that differs is `y[1, 2]`" in text
    assert "rtol=1e-06, atol=1e-08" in text


@pytest.mark.parametrize("factor, words", [(-1.0, "opposite sign"), (0.2, "constant factor of 0.2"),
                                           (0.0, "all zero")])
def test_sign_and_factor_hints(factor, words):
    expected = np.array([1.0, -2.0, 3.0])
    assert words in core.describe_difference("y", factor * expected, expected)


def test_a_known_mistake_is_named():
    result = toy(lambda x, A, b: np.tanh(A @ x))
    assert "known mistake: the bias `b` is missing" in result.message


def test_unknown_wrong_values_report_the_error_and_the_case():
    result = toy(lambda x, A, b: np.tanh(A @ x + b) + 0.01)
    assert "largest error is 0.01" in result.message
    assert "test case 1 of 3: non-square (N=3, M=4)" in result.message


def test_mistake_keys_limit_where_a_mistake_is_looked_for():
    def ref(x):
        return {"a": x.copy(), "b": 2 * x}

    def cases(rng):
        return [Case({"x": rng.normal(size=3)}, {}, "one")]
    check = Check("pair", ref, cases, mistakes=[
        Mistake("a is doubled", lambda x: {"a": 2 * x, "b": 4 * x}, keys=("a",))])
    # wrong in "a" only, the way the mistake says: named even though its "b" differs
    assert "a is doubled" in check(lambda x: {"a": 2 * x, "b": 2 * x}).message
    # wrong in "b" only: the mistake concerns "a", so it is not blamed
    message = check(lambda x: {"a": x.copy(), "b": 3 * x}).message
    assert "a is doubled" not in message and "Wrong: `b`. Right: `a`." in message


def test_dependency_failing_its_own_check_is_pointed_out():
    namespace = {"np": np}
    exec("def helper(x, A, b):\n    return np.tanh(A @ x)\n"
         "def layer(x, A, b):\n    return helper(x, A, b)\n", namespace)
    dependent = Check("outer", reference, make_cases, depends_on=[Check("helper", reference,
                                                                        make_cases)])
    result = dependent(namespace["layer"])
    assert "calls `helper`, which does not pass its own check yet" in result.message


def test_cases_are_the_same_every_run():
    wrong = lambda x, A, b: np.tanh(A @ x + b) * 1.5  # noqa: E731
    assert toy(wrong).message == toy(wrong).message


def test_pass_message_lists_the_cases():
    result = toy(reference)
    assert result.passed and "3 test cases: non-square; tiny; wide" in result.message


def test_torch_outputs_are_compared_too():
    def ref(x):
        return 2 * x

    def cases(rng):
        return [Case({"x": torch.tensor(rng.normal(size=3), dtype=torch.float32)}, {}, "t")]
    check = Check("double", ref, cases, rtol=1e-5, atol=1e-6)
    assert check(lambda x: x + x).passed
    assert "expected a torch.Tensor" in check(lambda x: (2 * x).numpy()).message
    assert check(lambda x: x.mul_(2)).message.count("changed its input `x`") == 1


# --- use_learner_or_reference ----------------------------------------------------------------
def test_use_learner_or_reference(capsys):
    assert use_learner_or_reference(reference, toy) is reference
    assert "Using your layer" in capsys.readouterr().out
    assert use_learner_or_reference(stub, toy) is toy.reference
    assert "doesn't pass its check yet; using the reference" in capsys.readouterr().out


def test_passing_another_exercises_function_is_pointed_out():
    namespace = {"np": np}
    exec("def layer(x, A, b):\n    return np.tanh(A @ x)\n", namespace)
    other = Check("other_exercise", reference, make_cases)
    result = other(namespace["layer"])
    assert "you passed `layer` to the check of `other_exercise`" in result.message
