"""Sampling novel sequences: greedy, temperature, top-k, <EOS>, <UNK>, statefulness."""
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from utils import seed_everything
from utils.data import Vocab
from utils.models import CharLM
from utils.sampling import next_token_distribution, sample, sequence_log_likelihood

VOCAB = Vocab(list("abcdefg"))


@pytest.fixture
def model():
    seed_everything(1)
    m = CharLM(len(VOCAB), hidden_size=16, cell="gru", backend="scratch")
    with torch.no_grad():  # spread the logits so that sampling and greedy differ visibly
        m.head.weight.mul_(8.0)
        for p in m.core.parameters():
            p.mul_(3.0)
    return m


class Rigged(nn.Module):
    """A fake language model with chosen logits. State: the number of steps taken so far.

    prefer: the id it strongly prefers; after ``eos_after`` tokens it prefers <EOS>.
    """

    def __init__(self, prefer, eos_after=None, K=len(VOCAB)):
        super().__init__()
        self.prefer, self.eos_after, self.K = prefer, eos_after, K
        self.weight = nn.Parameter(torch.zeros(1))
        self.calls = 0

    @property
    def device(self):
        return self.weight.device

    def step(self, idx_t, state=None):
        self.calls += 1
        n = 0 if state is None else state + 1      # tokens emitted before this prediction
        logits = torch.zeros(len(idx_t), self.K)
        logits[:, self.prefer] = 20.0
        if self.eos_after is not None and n >= self.eos_after:
            logits[:, VOCAB.eos_id] = 40.0
        return logits, n

    def forward(self, idx, state=None):
        raise AssertionError("sampling must not re-read the prefix with forward()")


# --- next_token_distribution -----------------------------------------------------------------------
def test_temperature_divides_logits_before_softmax():
    logits = torch.tensor([[2.0, 1.0, -0.5, 0.0]])
    for t in (0.5, 1.0, 3.0):
        torch.testing.assert_close(next_token_distribution(logits, t), F.softmax(logits / t, -1))
    cold = next_token_distribution(logits, 1e-3)
    torch.testing.assert_close(cold, F.one_hot(logits.argmax(-1), 4).float())
    hot = next_token_distribution(logits, 1e3)
    torch.testing.assert_close(hot, torch.full((1, 4), 0.25), atol=1e-2, rtol=0)


def test_top_k_keeps_the_k_largest():
    logits = torch.tensor([[0.1, 3.0, -1.0, 2.0, 0.5], [5.0, 4.0, 3.0, 2.0, 1.0]])
    p = next_token_distribution(logits, 1.0, top_k=2)
    assert ((p > 0).sum(-1) == 2).all()
    assert p[0, 1] > 0 and p[0, 3] > 0 and p[1, 0] > 0 and p[1, 1] > 0
    torch.testing.assert_close(p[0, [1, 3]], F.softmax(logits[0, [1, 3]], -1))
    torch.testing.assert_close(p.sum(-1), torch.ones(2))
    torch.testing.assert_close(next_token_distribution(logits, 1.0, top_k=99), F.softmax(logits, -1))


# --- sample ------------------------------------------------------------------------------------
def manual_greedy(model, max_len):
    """Greedy decoding written out: argmax over tokens other than <PAD>, <BOS>, <UNK>."""
    out, state = [], None
    logits, state = model.step(torch.tensor([VOCAB.bos_id]), state)
    for _ in range(max_len):
        logits = logits.clone()
        logits[:, [VOCAB.pad_id, VOCAB.bos_id, VOCAB.unk_id]] = -float("inf")
        token = int(logits.argmax())
        if token == VOCAB.eos_id:
            break
        out.append(VOCAB.itos[token])
        logits, state = model.step(torch.tensor([token]), state)
    return "".join(out)


def test_greedy_is_deterministic_and_equals_argmax(model):
    expected = manual_greedy(model, 30)
    got = sample(model, VOCAB, n=3, greedy=True, max_len=30)
    assert got == [expected] * 3
    assert sample(model, VOCAB, n=1, greedy=True, max_len=30) == [expected]


def test_near_zero_temperature_approaches_greedy(model):
    greedy = sample(model, VOCAB, n=1, greedy=True, max_len=20)
    cold = sample(model, VOCAB, n=4, temperature=1e-4, max_len=20,
                  generator=torch.Generator().manual_seed(0))
    assert cold == greedy * 4
    warm = sample(model, VOCAB, n=4, temperature=2.0, max_len=20,
                  generator=torch.Generator().manual_seed(0))
    assert warm != greedy * 4


def test_same_generator_seed_same_samples(model):
    def draw(seed):
        return sample(model, VOCAB, n=5, max_len=15, generator=torch.Generator().manual_seed(seed))

    assert draw(1) == draw(1)
    assert draw(1) != draw(2)


def test_top_k_one_is_greedy(model):
    greedy = sample(model, VOCAB, n=1, greedy=True, max_len=20)
    assert sample(model, VOCAB, n=3, top_k=1, max_len=20,
                  generator=torch.Generator().manual_seed(0)) == greedy * 3


def test_max_len_is_respected(model):
    texts = sample(model, VOCAB, n=6, max_len=7, stop_at_eos=False,
                   generator=torch.Generator().manual_seed(0))
    assert [len(t) for t in texts] == [7] * 6
    assert all(len(t) <= 3 for t in sample(model, VOCAB, n=6, max_len=3,
                                            generator=torch.Generator().manual_seed(0)))


def test_samples_stop_at_eos():
    rigged = Rigged(prefer=VOCAB.stoi["c"], eos_after=3)
    texts = sample(rigged, VOCAB, n=4, max_len=50, generator=torch.Generator().manual_seed(0))
    assert texts == ["ccc"] * 4
    assert rigged.calls == 4          # <BOS>, then one call per fed-back token; none after <EOS>
    rigged = Rigged(prefer=VOCAB.stoi["c"], eos_after=3)
    assert sample(rigged, VOCAB, n=2, max_len=6, stop_at_eos=False,
                  generator=torch.Generator().manual_seed(0)) == ["cccccc"] * 2


def test_reject_unk_never_draws_unk():
    rigged = Rigged(prefer=VOCAB.unk_id)
    texts = sample(rigged, VOCAB, n=20, max_len=10, stop_at_eos=False,
                   generator=torch.Generator().manual_seed(0))
    assert all("<UNK>" not in t and len(t) == 10 for t in texts)
    texts = sample(rigged, VOCAB, n=20, max_len=10, generator=torch.Generator().manual_seed(0))
    assert all("<UNK>" not in t for t in texts) and any(texts)
    greedy = sample(rigged, VOCAB, n=1, max_len=10, greedy=True, stop_at_eos=False)
    assert "<UNK>" not in greedy[0] and len(greedy[0]) == 10
    allowed = sample(Rigged(prefer=VOCAB.unk_id), VOCAB, n=2, max_len=3, reject_unk=False,
                     generator=torch.Generator().manual_seed(0))
    assert allowed == ["<UNK>" * 3] * 2     # the rig works: without rejection, <UNK> wins


def test_pad_and_bos_are_never_drawn():
    for banned in (VOCAB.pad_id, VOCAB.bos_id):
        texts = sample(Rigged(prefer=banned), VOCAB, n=5, max_len=8, stop_at_eos=False,
                       generator=torch.Generator().manual_seed(0))
        assert all(len(t) == 8 and "<" not in t for t in texts)


def test_sampling_is_stateful_and_never_calls_forward(model, monkeypatch):
    steps = []
    real_step = model.step

    def counting_step(idx_t, state=None):
        assert idx_t.ndim == 1, "step must get one token per sequence"
        steps.append(idx_t.clone())
        return real_step(idx_t, state)

    def forbidden(*args, **kwargs):
        raise AssertionError("forward() over the prefix was called during sampling")

    monkeypatch.setattr(model, "step", counting_step)
    monkeypatch.setattr(model, "forward", forbidden)
    texts = sample(model, VOCAB, n=2, prompt="ab", max_len=5, stop_at_eos=False,
                   generator=torch.Generator().manual_seed(0))
    assert [len(t) for t in texts] == [5, 5]
    # <BOS>, the two prompt tokens, then the first 4 sampled tokens fed back
    assert len(steps) == 1 + 2 + 4
    assert steps[0].tolist() == [VOCAB.bos_id] * 2
    assert [s.tolist() for s in steps[1:3]] == [[VOCAB.stoi["a"]] * 2, [VOCAB.stoi["b"]] * 2]
    fed_back = torch.stack(steps[3:], 1)
    assert [VOCAB.decode(row) for row in fed_back] == [t[:4] for t in texts]


def test_without_bos_sampling_starts_from_the_prompt_at_a_zero_state(model, monkeypatch):
    """bos=False: the model trained on text windows never saw <BOS>, so it is never fed."""
    steps, states = [], []
    real_step = model.step

    def recording_step(idx_t, state=None):
        steps.append(idx_t.tolist())
        states.append(state)
        return real_step(idx_t, state)

    monkeypatch.setattr(model, "step", recording_step)
    texts = sample(model, VOCAB, n=2, prompt="ab", max_len=3, bos=False, stop_at_eos=False,
                   generator=torch.Generator().manual_seed(0))
    assert [len(t) for t in texts] == [3, 3]
    assert steps[0] == [VOCAB.stoi["a"]] * 2 and steps[1] == [VOCAB.stoi["b"]] * 2
    assert states[0] is None                      # the zero state, as at a window's start
    assert all(VOCAB.bos_id not in s for s in steps)
    monkeypatch.undo()
    # the same as running the prompt through the model from a zero state, without <BOS>
    greedy = sample(model, VOCAB, n=1, prompt="ab", max_len=1, bos=False, greedy=True,
                    stop_at_eos=False)[0]
    logits, _ = model(torch.tensor([[VOCAB.stoi["a"], VOCAB.stoi["b"]]]))
    scores = logits[0, -1].clone()
    scores[[VOCAB.pad_id, VOCAB.bos_id, VOCAB.unk_id, VOCAB.eos_id]] = float("-inf")
    assert greedy == VOCAB.itos[int(scores.argmax())]


def test_without_bos_a_prompt_is_required(model):
    with pytest.raises(ValueError, match="bos=False.*prompt"):
        sample(model, VOCAB, n=1, max_len=3, bos=False)
    with pytest.raises(TypeError, match="bos must be True or False"):
        sample(model, VOCAB, n=1, prompt="a", max_len=3, bos=1)


def test_prompt_conditions_the_samples(model):
    plain = sample(model, VOCAB, n=1, greedy=True, max_len=10)
    prompted = sample(model, VOCAB, n=1, prompt="gg", greedy=True, max_len=10)
    assert plain != prompted


def test_sample_restores_training_mode(model):
    model.train()
    sample(model, VOCAB, n=1, max_len=3)
    assert model.training


# --- sequence_log_likelihood -------------------------------------------------------------------
def test_sequence_log_likelihood_equals_sum_of_step_log_probs(model):
    texts = ["abc", "g", "fedcba"]
    got = sequence_log_likelihood(model, VOCAB, texts)
    assert got.shape == (3,)
    for text, value in zip(texts, got):
        ids = VOCAB.encode(text, eos=True)
        logits, state = model.step(torch.tensor([VOCAB.bos_id]))
        total = 0.0
        for target in ids:
            total += float(torch.log_softmax(logits[0].detach(), -1)[target])
            logits, state = model.step(torch.tensor([target]), state)
        assert float(value) == pytest.approx(total, rel=1e-5, abs=1e-5)
    assert (got < 0).all()


# --- bad input: a clear error, never a crash inside torch.multinomial --------------------------------
@pytest.mark.parametrize("temperature", [float("inf"), float("nan"), 0, 0.0, -1.0, True, "1", None])
def test_bad_temperature_is_a_clear_error(model, temperature):
    with pytest.raises(ValueError, match="temperature must be a (finite )?positive number"):
        sample(model, VOCAB, temperature=temperature, max_len=3)
    with pytest.raises(ValueError, match="temperature"):
        next_token_distribution(torch.zeros(1, 4), temperature)


def test_tiny_temperature_does_not_overflow_and_equals_greedy(model):
    logits = torch.tensor([[2.0, 1.0, float("-inf"), 0.0]])
    torch.testing.assert_close(next_token_distribution(logits, 1e-50),
                               torch.tensor([[1.0, 0.0, 0.0, 0.0]]))
    greedy = sample(model, VOCAB, n=1, greedy=True, max_len=20)
    cold = sample(model, VOCAB, n=3, temperature=1e-50, max_len=20,
                  generator=torch.Generator().manual_seed(0))
    assert cold == greedy * 3


def test_huge_finite_temperature_is_uniform_over_allowed_tokens():
    probs = next_token_distribution(torch.tensor([[5.0, float("-inf"), 0.0]]), 1e300)
    torch.testing.assert_close(probs, torch.tensor([[0.5, 0.0, 0.5]]))


@pytest.mark.parametrize("top_k", [0, -1, 1.5, True, "2"])
def test_bad_top_k_is_a_clear_error_even_when_greedy(model, top_k):
    with pytest.raises(ValueError, match="top_k"):
        sample(model, VOCAB, top_k=top_k, greedy=True, max_len=3)
    with pytest.raises(ValueError, match="top_k"):
        next_token_distribution(torch.zeros(1, 4), 1.0, top_k)


@pytest.mark.parametrize("kwargs", [dict(max_len=0), dict(max_len=-3), dict(max_len=2.0),
                                    dict(max_len=10**9), dict(n=0), dict(n=10**9)])
def test_bad_sizes_are_a_clear_error(model, kwargs):
    with pytest.raises(ValueError, match="max_len|n must"):
        sample(model, VOCAB, **kwargs)


@pytest.mark.parametrize("kwargs", [dict(greedy=1), dict(reject_unk="no"), dict(stop_at_eos=None),
                                    dict(generator=0), dict(prompt=5)])
def test_bad_flags_are_a_type_error(model, kwargs):
    with pytest.raises(TypeError):
        sample(model, VOCAB, max_len=3, **kwargs)


@pytest.mark.parametrize("logits", [torch.tensor([[0.0, float("nan")]]),
                                    torch.tensor([[0.0, float("inf")]]),
                                    torch.full((1, 3), float("-inf")), torch.zeros(1, 0),
                                    torch.zeros(1, 2, 3), torch.tensor([[1, 2]])])
def test_bad_logits_are_a_clear_error(logits):
    with pytest.raises((ValueError, TypeError), match="logits|token"):
        next_token_distribution(logits)


def test_nan_logits_from_a_diverged_model_are_a_clear_error_and_training_mode_is_restored():
    class Diverged(Rigged):
        def step(self, idx_t, state=None):
            return torch.full((len(idx_t), self.K), float("nan")), state
    m = Diverged(prefer=5)
    m.train()
    for greedy in (True, False):
        with pytest.raises(ValueError, match="NaN"):
            sample(m, VOCAB, max_len=3, greedy=greedy)
        assert m.training


def test_sequence_log_likelihood_refuses_bad_texts(model):
    with pytest.raises(TypeError):
        sequence_log_likelihood(model, VOCAB, "abc")
    with pytest.raises(ValueError, match="at least one"):
        sequence_log_likelihood(model, VOCAB, [])
    with pytest.raises(TypeError, match="every text must be a string"):
        sequence_log_likelihood(model, VOCAB, ["ab", 3])
