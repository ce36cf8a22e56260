"""Baselines: the uniform guess and the count-based bigram model."""
import math

import numpy as np
import pytest
import torch

from utils.baselines import BigramLM, UnigramLM, uniform_loss
from utils.data import Vocab, sequence_pairs
from utils.sampling import sample, sequence_log_likelihood
from utils.training import evaluate

VOCAB = Vocab(list("ab"))            # ids: <PAD> 0, <BOS> 1, <EOS> 2, <UNK> 3, a 4, b 5
NAMES = ["ab", "aab", "b"]


def encoded(names):
    return [VOCAB.encode(n, bos=True, eos=True) for n in names]


def test_uniform_loss_is_log_of_choices():
    assert uniform_loss(27) == pytest.approx(math.log(27))
    assert uniform_loss(1) == 0.0
    for bad in (0, -3, 2.5, True):
        with pytest.raises((ValueError, TypeError), match="choices must be a"):
            uniform_loss(bad)


def test_uniform_loss_of_a_vocab_counts_the_tokens_that_can_come_next():
    # <EOS>, <UNK>, a, b: every token but <PAD> and <BOS>
    assert uniform_loss(VOCAB) == pytest.approx(math.log(len(VOCAB) - 2))
    assert uniform_loss(VOCAB) == pytest.approx(math.log(4))


def test_unigram_is_the_smoothed_frequency_of_each_next_token():
    model = UnigramLM(len(VOCAB), k=0.5).fit(encoded(NAMES))
    # next tokens: a a a a b b b ... from the pairs <BOS>a ab b<EOS> | <BOS>a aa ab b<EOS> | <BOS>b b<EOS>
    a, b, eos = 4, 5, VOCAB.eos_id
    counts = {a: 3, b: 3, eos: 3, VOCAB.unk_id: 0}
    total = 9 + 0.5 * 4
    probs = model.log_probs.exp()
    for tok, n in counts.items():
        torch.testing.assert_close(probs[:, tok], torch.full((len(VOCAB),), (n + 0.5) / total))
    assert (probs[:, [VOCAB.pad_id, VOCAB.bos_id]] == 0).all()
    val = encoded(["ba"])
    assert model.loss(val) == pytest.approx(-np.mean([math.log((counts[t] + 0.5) / total)
                                                       for t in (b, a, eos)]))
    # one long text: the unigram loss is the entropy of the letter frequencies (k = 0)
    text = [VOCAB.encode("aab" * 20)]
    p = np.array([39, 20]) / 59                   # the 59 next tokens: a 39 times, b 20 times
    assert UnigramLM(len(VOCAB), k=0).fit(text).loss(text) == pytest.approx(
        -(p * np.log(p)).sum(), abs=1e-6)


def test_bigram_counts_and_add_k_probabilities():
    model = BigramLM(len(VOCAB), k=0.5).fit(encoded(NAMES))
    # pairs: <BOS>a ab b<EOS> | <BOS>a aa ab b<EOS> | <BOS>b b<EOS>
    a, b, bos, eos = 4, 5, VOCAB.bos_id, VOCAB.eos_id
    assert model.counts[bos, a] == 2 and model.counts[bos, b] == 1
    assert model.counts[a, b] == 2 and model.counts[a, a] == 1 and model.counts[b, eos] == 3
    assert model.counts.sum() == 9
    probs = model.log_probs.exp()
    choices = len(VOCAB) - 2                          # every token except <PAD> and <BOS>
    assert probs[a, b] == pytest.approx((2 + 0.5) / (3 + 0.5 * choices))
    assert probs[bos, a] == pytest.approx((2 + 0.5) / (3 + 0.5 * choices))
    assert probs[eos, a] == pytest.approx(1 / choices)  # never seen as "previous": uniform
    torch.testing.assert_close(probs.sum(dim=1), torch.ones(len(VOCAB)))
    assert (probs[:, [VOCAB.pad_id, VOCAB.bos_id]] == 0).all()
    assert torch.isfinite(model.log_probs).all()


def test_bigram_loss_is_mean_negative_log_probability():
    model = BigramLM(len(VOCAB), k=1.0).fit(encoded(NAMES))
    val = encoded(["ba", "a"])
    logp = model.log_probs
    pairs = [(1, 5), (5, 4), (4, 2), (1, 4), (4, 2)]
    expected = -np.mean([float(logp[p, n]) for p, n in pairs])
    assert model.loss(val) == pytest.approx(expected)


def test_shared_evaluate_and_log_likelihood_agree_with_loss():
    """The bigram plugs into the course's evaluate/sample like a CharLM."""
    model = BigramLM(len(VOCAB)).fit(encoded(NAMES))
    val = ["ba", "aab", "bb"]
    inputs, targets = sequence_pairs(val, VOCAB)
    assert evaluate(model, [(inputs, targets)]) == pytest.approx(model.loss(encoded(val)), rel=1e-6)
    total = sequence_log_likelihood(model, VOCAB, val).sum()
    n_targets = sum(len(v) + 1 for v in val)
    assert float(-total / n_targets) == pytest.approx(model.loss(encoded(val)), rel=1e-6)


def test_unsmoothed_bigram_gives_infinite_loss_on_unseen_pairs():
    model = BigramLM(len(VOCAB), k=0).fit(encoded(NAMES))
    assert math.isinf(model.loss(encoded(["ba"])))     # "ba" never seen
    assert math.isfinite(model.loss(encoded(["ab"])))


def test_text_as_one_sequence_matches_frequencies():
    vocab = Vocab(list("xyz"))
    ids = vocab.encode("xyxyxyxz")
    model = BigramLM(len(vocab), k=0).fit([ids])
    x, y, z = (vocab.stoi[c] for c in "xyz")
    assert model.log_probs[x, y].exp() == pytest.approx(3 / 4)
    assert model.log_probs[x, z].exp() == pytest.approx(1 / 4)
    assert model.log_probs[y, x].exp() == pytest.approx(1.0)


def test_sampling_follows_seen_transitions():
    model = BigramLM(len(VOCAB), k=0).fit(encoded(["ab"] * 5))   # only <BOS> a b <EOS>
    out = sample(model, VOCAB, n=20, max_len=10, generator=torch.Generator().manual_seed(0))
    assert out == ["ab"] * 20
    noisy = BigramLM(len(VOCAB), k=1.0).fit(encoded(NAMES))
    out = sample(noisy, VOCAB, n=50, max_len=10, generator=torch.Generator().manual_seed(0))
    assert len(set(out)) > 3 and all(set(s) <= {"a", "b"} for s in out)   # <UNK> rejected


def test_bad_inputs_say_what_was_expected():
    model = BigramLM(len(VOCAB))
    with pytest.raises(TypeError, match="list of id sequences.*a string"):
        model.fit("abba")
    with pytest.raises(TypeError, match="list of id sequences.*a flat list"):
        model.fit([1, 4, 5, 2])
    with pytest.raises(ValueError, match=r"token ids must lie in \[0, 6\)"):
        model.fit([[1, 4, 9]])
    with pytest.raises(ValueError, match="no \\(previous, next\\) pair"):
        model.fit([[4]])
    with pytest.raises(TypeError, match="integer token ids"):
        model.fit([[1.0, 4.0]])
    with pytest.raises(ValueError, match="k .* must be a finite number >= 0"):
        BigramLM(6, k=-1)
    with pytest.raises(ValueError, match="vocab_size must be a positive integer"):
        BigramLM(0)
