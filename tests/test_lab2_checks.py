"""Lab 2's checks: solutions pass, stubs read "not attempted", typical mistakes are named;
the rigged test models and the statistics behind the sampling check; PropertyCheck."""
import copy
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from utils import data, models, sampling, training
from utils.checks import lab2
from utils.checks.core import CheckFailed, Probe, PropertyCheck
from utils.checks.lab2 import CHECKS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "labs" / "lab02_generate_names.ipynb"
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).parent))
from lab_files import load_lab  # noqa: E402
from wrong_answers.lab2 import WRONG_ANSWERS  # noqa: E402


LAB = load_lab(2)
SOLUTIONS = LAB.solutions


def notebook_stubs() -> dict:
    """The exercise functions exactly as the committed notebook defines them."""
    return LAB.stubs


def test_every_exercise_has_a_check_a_solution_and_a_stub():
    assert set(CHECKS) == {"build_vocab", "sample_name", "clip_gradient_norm", "novelty",
                           "log_likelihood_per_char"}
    assert all(callable(getattr(SOLUTIONS, name, None)) for name in CHECKS)
    assert set(notebook_stubs()) == set(CHECKS)


# --- other correct ways to write the exercises: the checks must accept them all ---------------
def vocab_with_loops(names):
    seen = set()
    for name in names:
        for ch in name:
            seen.add(ch)
    itos = list(data.SPECIALS)
    itos.extend(sorted(seen))
    stoi = {}
    for i in range(len(itos)):
        stoi[itos[i]] = i
    return [stoi, itos]                     # a list is fine too


def vocab_from_the_course_class(names):
    vocab = data.Vocab.from_texts(names)
    return vocab.stoi, tuple(vocab.itos)


def sample_redrawing_unk(model, vocab, max_len, temperature, generator, reject_unk=True):
    """Rejection by drawing again; a 2-D (1, K) distribution; a while loop."""
    token, state, ids = torch.tensor([vocab.bos_id]), None, []
    while len(ids) < max_len:
        logits, state = model.step(token, state)
        probs = torch.softmax(logits / temperature, dim=-1)          # (1, K)
        token = torch.multinomial(probs, 1, generator=generator)[0]
        while reject_unk and token.item() == vocab.unk_id:
            token = torch.multinomial(probs, 1, generator=generator)[0]
        if token.item() == vocab.eos_id:
            break
        ids.append(int(token))
    return "".join(vocab.itos[i] for i in ids)


def sample_with_powered_probabilities(model, vocab, max_len, temperature, generator,
                                      reject_unk=True):
    """p ** (1 / T), renormalised, is the same distribution as softmax(logits / T)."""
    token, state, name = torch.tensor([vocab.bos_id]), None, ""
    with torch.no_grad():
        for _ in range(max_len):
            logits, state = model.step(token, state)
            probs = F.softmax(logits[0].double(), dim=-1) ** (1.0 / temperature)
            if reject_unk:
                probs[vocab.unk_id] = 0.0
            token = torch.multinomial(probs / probs.sum(), 1, generator=generator)
            if token.item() == vocab.eos_id:
                break
            name += vocab.itos[token.item()]
    return name


def sample_feeding_eos_too(model, vocab, max_len, temperature, generator, reject_unk=True):
    """log_softmax scaled by T, masking after the softmax, and one step more for <EOS>."""
    token, state, ids = torch.tensor([vocab.bos_id]), None, []
    for _ in range(max_len):
        logits, state = model.step(token, state)
        probs = F.softmax(F.log_softmax(logits[0], dim=-1) / temperature, dim=-1).clone()
        if reject_unk:
            probs[vocab.unk_id] = 0.0
        token = torch.multinomial(probs, 1, generator=generator)
        ids.append(token.item())
        if token.item() == vocab.eos_id:
            model.step(token, state)                       # harmless extra step
            break
    return vocab.decode(ids)


def clip_with_torch(parameters, max_norm):
    return float(torch.nn.utils.clip_grad_norm_([p for p in parameters if p.grad is not None],
                                                max_norm))


def clip_by_reassigning(parameters, max_norm):
    params = [p for p in parameters if p.grad is not None]
    norm = torch.cat([p.grad.flatten() for p in params]).norm().item() if params else 0.0
    scale = min(1.0, max_norm / (norm + 1e-6))
    for p in params:
        p.grad = p.grad * scale                           # a new tensor assigned: also fine
    return norm


def novelty_with_a_loop(samples, known_names):
    new = 0
    for s in samples:
        if s not in known_names:
            new += 1
    return new / len(samples)


def loglik_batched(model, vocab, names):
    inputs, targets = data.sequence_pairs(names, vocab)
    logits, _ = model(inputs)
    log_probs = F.log_softmax(logits, dim=-1).gather(-1, targets[..., None])[..., 0]
    mask = targets != vocab.pad_id
    return ((log_probs * mask).sum() / mask.sum()).item()


def loglik_from_the_course(model, vocab, names):
    total = sampling.sequence_log_likelihood(model, vocab, names).sum()
    return float(total) / sum(len(n) + 1 for n in names)


def vocab_with_numpy_ids(names):
    itos = ["<PAD>", "<BOS>", "<EOS>", "<UNK>"] + sorted(set("".join(names)))
    return dict(zip(itos, np.arange(len(itos)))), itos      # numpy integers: accepted


def novelty_as_numpy_mean(samples, known_names):
    known = set(known_names)
    return np.mean([name not in known for name in samples])  # a numpy float


OTHER_RIGHT_ANSWERS = [
    ("build_vocab", vocab_with_loops), ("build_vocab", vocab_from_the_course_class),
    ("build_vocab", vocab_with_numpy_ids), ("novelty", novelty_as_numpy_mean),
    ("sample_name", sample_redrawing_unk), ("sample_name", sample_with_powered_probabilities),
    ("sample_name", sample_feeding_eos_too),
    ("clip_gradient_norm", clip_with_torch), ("clip_gradient_norm", clip_by_reassigning),
    ("novelty", novelty_with_a_loop),
    ("log_likelihood_per_char", loglik_batched),
    ("log_likelihood_per_char", loglik_from_the_course),
]


@pytest.mark.parametrize("name, answer", OTHER_RIGHT_ANSWERS,
                         ids=[fn.__name__ for _, fn in OTHER_RIGHT_ANSWERS])
def test_other_correct_answers_pass(name, answer):
    result = CHECKS[name](answer)
    assert result.passed, result.message


def _with_seed(check: PropertyCheck, seed: int) -> PropertyCheck:
    twin = PropertyCheck(check.name, check.reference, check.params, check.make_cases, seed=seed)
    twin.error_hints = check.error_hints
    return twin


SAMPLERS = [SOLUTIONS.sample_name, sample_redrawing_unk, sample_with_powered_probabilities]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("answer", SAMPLERS, ids=lambda fn: fn.__name__)
def test_right_samplers_pass_whatever_the_seed(answer, seed):
    """The sampling check is statistical: a right answer must pass with every seed."""
    result = _with_seed(lab2.check_sample_name, seed)(answer)
    assert result.passed, result.message


@pytest.mark.slow
@pytest.mark.parametrize("answer", SAMPLERS, ids=lambda fn: fn.__name__)
def test_right_samplers_pass_with_many_seeds(answer):
    for seed in range(3, 23):
        result = _with_seed(lab2.check_sample_name, seed)(answer)
        assert result.passed, (seed, result.message)


@pytest.mark.slow
@pytest.mark.parametrize("exercise, answer, words",
                         [w for w in WRONG_ANSWERS if w[0] == "sample_name"],
                         ids=[fn.__name__ for ex, fn, _ in WRONG_ANSWERS if ex == "sample_name"])
def test_wrong_samplers_are_named_whatever_the_seed(exercise, answer, words):
    for seed in range(1, 6):
        result = _with_seed(lab2.check_sample_name, seed)(answer)
        missing = [w for w in words if w.lower() not in result.message.lower()]
        assert not result.passed and not missing, (seed, result.message)


# --- stubs, wrong answers, garbage ------------------------------------------------------------
def test_the_mistakes_the_issue_names_are_among_the_wrong_answers():
    named = {fn.__name__ for _, fn, _ in WRONG_ANSWERS}
    assert {"sample_always_feeds_bos", "sample_argmax", "sample_temperature_after_softmax",
            "sample_no_eos_stop", "sample_ignores_max_len", "sample_keeps_unk",
            "sample_refeeds_the_prefix", "sample_global_random_state",
            "clip_each_element", "clip_always_rescales", "clip_per_parameter",
            "clip_returns_the_norm_after", "clip_crashes_on_missing_grads"} <= named


@pytest.mark.parametrize("name", ["novelty", "log_likelihood_per_char"])
def test_every_known_mistake_is_rejected_and_named(name):
    check = CHECKS[name]
    for mistake in check.mistakes:
        result = check(mistake.variant)
        assert not result.passed and mistake.description in result.message, result.message


def test_every_clipping_variant_is_rejected_and_named():
    for mistake in lab2.GRADIENT_MISTAKES:
        result = lab2.check_clip_gradient_norm(mistake.variant)
        assert not result.passed, mistake.description
        assert mistake.description.split("{")[0][:40] in result.message, result.message


@pytest.mark.parametrize("name", CHECKS)
def test_messages_never_blame_the_course(name):
    for answer in (None, 3, lambda: None, lambda *args: None, lambda *args: args,
                   lambda *args: 1 / 0, lambda *args: "x", lambda *args: {"a": 1},
                   lambda *args: torch.zeros(3), print):
        result = CHECKS[name](answer)
        assert not result.passed and "bug in the course" not in result.message, result.message


@pytest.mark.parametrize("name", CHECKS)
def test_checks_are_deterministic(name):
    first = CHECKS[name](getattr(SOLUTIONS, name))
    wrong = [fn for exercise, fn, _ in WRONG_ANSWERS if exercise == name]
    for answer in wrong[:3]:
        assert CHECKS[name](answer).message == CHECKS[name](answer).message
    assert first.message == CHECKS[name](getattr(SOLUTIONS, name)).message


@pytest.mark.parametrize("name", CHECKS)
def test_checks_leave_the_global_random_state_alone(name):
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()[1].copy()
    CHECKS[name](getattr(SOLUTIONS, name))
    assert torch.equal(torch_state, torch.get_rng_state())
    assert np.array_equal(numpy_state, np.random.get_state()[1])


# --- the rigged models ------------------------------------------------------------------------
def test_rigged_model_speaks_charlm():
    model = lab2.chain_model("abcde")
    logits, state = model.step(torch.tensor([lab2.RIG_VOCAB.bos_id]))
    assert logits.shape == (1, len(lab2.RIG_VOCAB))
    assert logits[0].argmax().item() == lab2.RIG_VOCAB.stoi["a"]
    logits, _ = model(torch.tensor([[lab2.RIG_VOCAB.bos_id, lab2.RIG_VOCAB.stoi["a"]]]))
    assert logits.shape == (1, 2, len(lab2.RIG_VOCAB))
    charlm = models.CharLM(len(lab2.RIG_VOCAB), hidden_size=4, backend="torch")
    for bad in (torch.tensor(1), torch.tensor([1.0]), 3, torch.tensor([99])):
        with pytest.raises((TypeError, ValueError)) as ours:
            model.step(bad)
        with pytest.raises((TypeError, ValueError)) as theirs:
            charlm.step(bad)
        assert str(ours.value) == str(theirs.value)


def test_rigged_model_logs_what_it_reads():
    model = lab2.chain_model("abcde")
    _, s1 = model.step(torch.tensor([lab2.RIG_VOCAB.bos_id]))
    model.step(torch.tensor([lab2.RIG_VOCAB.stoi["a"]]), s1)
    assert [c.tokens for c in model.calls] == [[lab2.RIG_VOCAB.bos_id], [lab2.RIG_VOCAB.stoi["a"]]]
    assert model.calls[0].state_in is None and model.calls[1].state_in is s1
    with pytest.raises(TypeError, match="test model's state"):
        model.step(torch.tensor([1]), torch.zeros(1, 1, 4))


def test_rigged_model_returns_fresh_logits():
    model = lab2.one_letter_model()
    logits, _ = model.step(torch.tensor([lab2.RIG_VOCAB.bos_id]))
    logits[0] = 0.0                                      # a learner writing into the output
    again, _ = model.step(torch.tensor([lab2.RIG_VOCAB.bos_id]))
    assert again[0].max() == lab2.LETTER_LOGITS.max()


def test_course_sampler_spells_what_the_chain_model_dictates():
    generator = torch.Generator().manual_seed(0)
    assert lab2.reference_sample_name(lab2.chain_model("abcde"), lab2.RIG_VOCAB, 10, 1.0,
                                      generator) == "abcde"
    assert lab2.reference_sample_name(lab2.chain_model("abcdefgh", then="a"), lab2.RIG_VOCAB, 7,
                                      1.0, generator) == "abcdefg"


def test_one_letter_model_gives_softmax_of_its_logits():
    counts = Counter(lab2.reference_sample_name(lab2.one_letter_model(), lab2.RIG_VOCAB, 4, 0.5,
                                                torch.Generator().manual_seed(s))
                     for s in range(2000))
    expected = F.softmax(lab2.LETTER_LOGITS / 0.5, dim=-1).numpy()
    got = np.array([counts[c] for c in lab2.LETTERS]) / 2000
    assert np.abs(got - expected).max() < 0.03


def test_g_test_p_values():
    probs = np.array([0.5, 0.3, 0.2])
    assert lab2._p_value(np.array([50.0, 30.0, 20.0]), probs) == pytest.approx(1.0)
    assert lab2._p_value(np.array([100.0, 0.0, 0.0]), probs) < 1e-20
    assert lab2._p_value(np.array([50.0, 30.0, 20.0]), np.array([0.5, 0.5, 0.0])) == 0.0
    # chi-squared with 2 degrees of freedom: P(G > x) = exp(-x / 2)
    counts = np.array([60.0, 25.0, 15.0])
    g = 2 * np.sum(counts * np.log(counts / (100 * probs)))
    assert lab2._p_value(counts, probs) == pytest.approx(np.exp(-g / 2), rel=1e-9)


def test_temperature_mistakes_are_far_apart_at_the_probe_size():
    """Every named mistake's distribution is far from the right one at N_DRAWS samples, so
    a wrong answer cannot pass by luck: its expected G statistic, 2 N KL, is well above 33.4,
    where a right answer's p-value reaches P_MIN = 1e-6 (chi-squared, 4 degrees of freedom)."""
    outcomes = list(lab2.LETTERS) + [lab2.OTHER]
    for T in (0.5, 2.0):
        right = lab2._outcome_probs(lab2._softmax(lab2._first_step_logits() / T), outcomes)
        for probs, text in lab2._temperature_candidates(T, outcomes):
            seen = probs > 0
            kl = np.sum(probs[seen] * np.log(probs[seen] / np.maximum(right[seen], 1e-300)))
            assert 2 * lab2.N_DRAWS * kl > 60, (T, text[:40])


# --- clipping: the reference is utils.training.clip_by_norm ----------------------------------
def test_reference_clipping_matches_torch():
    params = lab2._make_params(0, [((4, 3), 8.0), ((3,), 3.0)])
    twins = lab2._make_params(0, [((4, 3), 8.0), ((3,), 3.0)])
    norm = lab2.reference_clip_gradient_norm(params, 1.0)
    torch_norm = torch.nn.utils.clip_grad_norm_(twins, 1.0)
    assert norm == pytest.approx(float(torch_norm), rel=1e-6)
    for p, q in zip(params, twins):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-5, atol=1e-6)
    assert training.gradient_norm(params) == pytest.approx(1.0, rel=1e-5)


def test_clipping_probes_make_gradients_of_the_stated_norms():
    params = lab2._make_params(3, [((5,), 8.0), ((3, 3), 0.5), ((2,), None)])
    assert params[0].grad.norm().item() == pytest.approx(8.0, rel=1e-5)
    assert params[1].grad.norm().item() == pytest.approx(0.5, rel=1e-5)
    assert params[2].grad is None


# --- the framework pieces Lab 2 added to utils/checks/core.py -------------------------------
def _toy_property_check():
    def make_probes(rng):
        def doubles(call):
            got = call(3)
            if got != 6:
                raise CheckFailed(f"double(3) gave {got!r}; expected 6.")
        return [Probe("three", doubles)]
    return PropertyCheck("double", lambda x: 2 * x, ["x"], make_probes,
                         error_hints=[(r"concatenate", "Numbers, not strings.")])


def test_property_check_passes_fails_and_reads_not_attempted():
    check = _toy_property_check()
    assert check(lambda x: 2 * x).passed
    assert "passes all 1 tests: three" in check(lambda x: 2 * x).message
    failed = check(lambda x: x + 2)
    assert failed.status == "failed" and "double(3) gave 5" in failed.message
    assert "(Failed on test case 1 of 1: three.)" in failed.message

    def double(x):
        # YOUR CODE HERE
        raise NotImplementedError
    assert check(double).status == "not-attempted"

    def empty(x):
        pass
    assert check(empty).status == "not-attempted"

    def no_return(x):
        y = 2 * x  # noqa: F841
    assert "returned None" in check(no_return).message


def test_property_check_signature_values_and_hints():
    check = _toy_property_check()
    assert "must take 1 arguments `(x)`" in check(lambda x, y: 0).message
    assert "Pass the function itself" in check(6).message
    hinted = check(lambda x: "a" + x)
    assert "TypeError" in hinted.message and "Numbers, not strings." in hinted.message


def test_property_check_works_with_use_learner_or_reference(capsys):
    from utils.checks import use_learner_or_reference
    check = _toy_property_check()
    assert use_learner_or_reference(lambda x: x, check)(4) == 8
    assert "using the reference" in capsys.readouterr().out


def test_a_model_argument_is_compared_by_its_weights():
    """A deep copy of a model or a Vocab is 'unchanged'; writing into its weights is not."""
    def nudges_the_model(model, vocab, names):
        with torch.no_grad():
            model.head.bias += 1.0
        return lab2.reference_log_likelihood_per_char(model, vocab, names)
    result = lab2.check_log_likelihood_per_char(nudges_the_model)
    assert "changed its input `model` in place" in result.message

    def eval_mode_is_fine(model, vocab, names):
        model.eval()
        return SOLUTIONS.log_likelihood_per_char(model, vocab, names)
    assert lab2.check_log_likelihood_per_char(eval_mode_is_fine).passed

    vocab = data.Vocab(list("abc"))
    from utils.checks.core import _same
    assert _same(vocab, copy.deepcopy(vocab))
    other = copy.deepcopy(vocab)
    other.itos.append("z")
    assert not _same(vocab, other)


# --- edge inputs: integer and float results, state kept between calls, time -------------------
def test_novelty_cases_hold_one_sample_and_a_second_call_with_the_same_lengths():
    cases = CHECKS["novelty"].make_cases(np.random.default_rng(0))
    assert any(len(c.args["samples"]) == 1 for c in cases)
    first, last = cases[0], cases[-1]
    assert [len(v) for v in first.args.values()] == [len(v) for v in last.args.values()]
    assert CHECKS["novelty"].reference(**first.args) != CHECKS["novelty"].reference(**last.args)


def test_a_log_likelihood_tensor_is_named():
    def loglik_tensor(model, vocab, names):
        return torch.tensor(SOLUTIONS.log_likelihood_per_char(model, vocab, names))
    result = CHECKS["log_likelihood_per_char"](loglik_tensor)
    assert not result.passed and "0-d torch tensor" in result.message


def test_every_check_needs_a_fraction_of_its_time_limit():
    """Measured with the solutions, in CPU seconds (what the limit counts)."""
    import time
    for name, check in CHECKS.items():
        check(getattr(SOLUTIONS, name))                    # warm up
        start = time.process_time()
        assert check(getattr(SOLUTIONS, name)).passed
        assert time.process_time() - start < check.time_limit_s / 5, name
