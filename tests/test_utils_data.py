"""Corpora, vocabularies, splits and batches."""
import re

import numpy as np
import pytest
import torch

from utils import data
from utils.data import BOS, EOS, PAD, UNK, SequenceBatches, TextWindows, Vocab


@pytest.fixture(scope="module")
def names():
    return data.load_names()


@pytest.fixture(scope="module")
def macbeth():
    return data.load_shakespeare(["macbeth"])


# --- corpora ------------------------------------------------------------------------------------
def test_load_names(names):
    assert 3000 < len(names) < 20000
    assert names == sorted(set(names))                       # unique and sorted
    assert all(n == n.lower() and n for n in names)
    assert all(re.fullmatch(r"[a-z][a-z'\-]*", n) for n in names)
    assert {"emma", "john", "mary"} <= set(names)


def test_load_last_names_and_unknown_kind():
    assert len(data.load_names("last")) > 50000
    with pytest.raises(ValueError, match="first.*last.*'middle'"):
        data.load_names("middle")


def test_load_shakespeare_is_plain_text():
    text = data.load_shakespeare()
    assert 3_000_000 < len(text) < 6_000_000
    assert "**" not in text and "\\" not in text and "_" not in text
    lines = text.splitlines()
    assert not any(line.startswith("#") for line in lines)
    assert not any(re.fullmatch(r"\[.*\]", line) for line in lines)  # no lone stage directions
    speakers = [line for line in lines if re.fullmatch(r"[A-Z][A-Z .,&'\-]*:", line)]
    assert len(speakers) > 20000
    assert "HAMLET:" in speakers and "LADY MACBETH:" in speakers
    # nearly every speech opens with a speaker line (a few prologues have none)
    paragraphs = text.split("\n\n")
    opened = sum(bool(re.fullmatch(r"[A-Z][A-Z .,&'\-]*:", p.split("\n")[0])) for p in paragraphs)
    assert opened / len(paragraphs) > 0.999


def test_markdown_play_to_text_removes_markup():
    markdown = "\n".join([
        "# Play", "## ACT I", "### SCENE I. A heath.", "",
        "_Thunder. Enter three",
        "Witches_", "",
        "**FIRST WITCH**  ",
        "When shall we three meet again  ",
        "_\\[Aside]_  ",
        "\\[Within]",
        "In thunder, *lightning*, or in rain?\\--Anon.", "",
        "**Second Witch**  ",
        "When the hurlyburly's done,", "",
    ])
    assert data.markdown_play_to_text(markdown) == (
        "FIRST WITCH:\nWhen shall we three meet again\nIn thunder, lightning, or in rain?--Anon.\n\n"
        "SECOND WITCH:\nWhen the hurlyburly's done,\n")


def test_play_subset(macbeth):
    assert 50_000 < len(macbeth) < 200_000
    assert "MACBETH:" in macbeth and "HAMLET:" not in macbeth
    two = data.load_shakespeare(["macbeth", "hamlet"])
    assert len(two) > len(macbeth) and "HAMLET:" in two


def test_unknown_play_raises():
    with pytest.raises(ValueError, match="unknown plays.*'hamlett'.*known"):
        data.load_shakespeare(["hamlet", "hamlett"])


# --- vocabulary ---------------------------------------------------------------------------------
def test_vocab_specials_and_ids():
    vocab = Vocab.from_texts(["abc", "cab", "d"])
    assert vocab.itos[:4] == [PAD, BOS, EOS, UNK]
    assert (vocab.pad_id, vocab.bos_id, vocab.eos_id, vocab.unk_id) == (0, 1, 2, 3)
    assert vocab.itos[4:] == ["a", "b", "c", "d"] and len(vocab) == 8
    assert all(vocab.stoi[t] == i for i, t in enumerate(vocab.itos))
    assert "a" in vocab and "z" not in vocab


def test_vocab_round_trip_unknown_bos_eos(names):
    vocab = Vocab.from_texts(names)
    for name in names[::97]:
        assert vocab.decode(vocab.encode(name)) == name
    ids = vocab.encode("ab!", bos=True, eos=True)
    assert ids[0] == vocab.bos_id and ids[-1] == vocab.eos_id and ids[3] == vocab.unk_id
    assert vocab.decode(ids) == "ab" + UNK
    assert vocab.decode(ids, keep_specials=True) == BOS + "ab" + UNK + EOS
    assert vocab.decode(torch.tensor(ids)) == vocab.decode(np.array(ids)) == vocab.decode(ids)


def test_vocab_rejects_reserved_and_duplicate_tokens():
    with pytest.raises(ValueError, match="reserved"):
        Vocab(["a", EOS])
    with pytest.raises(ValueError, match="unique"):
        Vocab(["a", "b", "a"])


def test_word_vocab_and_min_count():
    texts = ["Hail, brave friend!", "hail to thee, friend", "brave new world"]
    vocab = Vocab.from_texts(texts, level="word")
    assert {"hail", "brave", "friend", ",", "!", "world"} <= set(vocab.itos)
    assert "Hail" not in vocab
    common = Vocab.from_texts(texts, level="word", min_count=2)
    assert common.itos[4:] == sorted(["hail", ",", "brave", "friend"])
    ids = common.encode(data.tokenize_words("brave new friend"), eos=True)
    assert ids == [common.stoi["brave"], common.unk_id, common.stoi["friend"], common.eos_id]
    assert common.decode(ids, sep=" ") == f"brave {UNK} friend"
    assert data.tokenize_words("Hail, brave friend!") == ["hail", ",", "brave", "friend", "!"]
    assert data.tokenize_words("I'll go") == ["i'll", "go"]


def test_vocab_unknown_level():
    with pytest.raises(ValueError, match="level"):
        Vocab.from_texts(["abc"], level="sentence")


# --- splits -------------------------------------------------------------------------------------
def test_split_contiguous_covers_everything_without_overlap():
    items = list(range(103))
    train, val = data.split_contiguous(items, 0.2)
    assert train + val == items                        # contiguous, ordered, complete
    assert len(val) == round(103 * 0.2) and not set(train) & set(val)
    assert data.split_contiguous(items, 0.2) == (train, val)
    text_train, text_val = data.split_contiguous("abcdefghij", 0.3)
    assert (text_train, text_val) == ("abcdefg", "hij")


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5])
def test_split_fraction_must_be_inside_unit_interval(fraction):
    with pytest.raises(ValueError, match="val_fraction"):
        data.split_contiguous(list(range(10)), fraction)


def test_shuffled_is_a_deterministic_permutation(names):
    a, b = data.shuffled(names, seed=1), data.shuffled(names, seed=1)
    assert a == b and sorted(a) == names and a != names
    assert data.shuffled(names, seed=2) != a
    np.random.seed(123)
    c = data.shuffled(names, seed=1)
    np.random.seed(999)
    assert data.shuffled(names, seed=1) == c == a       # independent of the global seed


# --- batches of whole sequences -----------------------------------------------------------------
def test_sequence_pairs_alignment():
    vocab = Vocab.from_texts(["ab", "abcd"])
    inputs, targets = data.sequence_pairs(["ab", "abcd"], vocab)
    assert inputs.shape == targets.shape == (2, 5) and inputs.dtype == torch.long
    a, b, c, d = (vocab.stoi[ch] for ch in "abcd")
    assert inputs.tolist() == [[1, a, b, 0, 0], [1, a, b, c, d]]
    assert targets.tolist() == [[a, b, 2, 0, 0], [a, b, c, d, 2]]


def test_sequence_batches_shapes_and_alignment(names):
    vocab = Vocab.from_texts(names)
    batches = SequenceBatches(names[:300], vocab, batch_size=16)
    g = torch.Generator().manual_seed(0)
    inputs, targets = batches(g)
    assert inputs.shape == targets.shape and inputs.shape[0] == 16
    assert inputs.dtype == targets.dtype == torch.long
    assert (inputs[:, 0] == vocab.bos_id).all()
    assert (targets != vocab.pad_id).any(dim=0).all()       # no all-padding column kept
    for x, y in zip(inputs, targets):
        n = int((y != vocab.pad_id).sum())                  # name length + 1 (<EOS>)
        assert y[n - 1] == vocab.eos_id and (y[n:] == vocab.pad_id).all()
        assert torch.equal(x[1:n], y[:n - 1])               # input[t+1] == target[t]
        assert (x[n:] == vocab.pad_id).all()
        assert vocab.decode(x) == vocab.decode(y) and vocab.decode(x) in names[:300]
    again = batches(torch.Generator().manual_seed(0))
    assert torch.equal(again[0], inputs) and torch.equal(again[1], targets)


def test_sequence_batches_all_batches_cover_the_set(names):
    vocab = Vocab.from_texts(names)
    batches = SequenceBatches(names[:50], vocab)
    decoded = [vocab.decode(x) for inputs, _ in batches.all_batches(batch_size=16) for x in inputs]
    assert decoded == names[:50]


# --- windows of a long text ---------------------------------------------------------------------
def test_text_windows_targets_are_inputs_shifted(macbeth):
    vocab = Vocab.from_texts(macbeth)
    ids = vocab.encode(macbeth[:5000])
    windows = TextWindows(ids, seq_len=32, batch_size=8)
    inputs, targets = windows(torch.Generator().manual_seed(0))
    assert inputs.shape == targets.shape == (8, 32)
    assert torch.equal(inputs[:, 1:], targets[:, :-1])
    text = torch.tensor(ids)
    for x, y in zip(inputs, targets):                        # every window is a piece of the text
        start = next(s for s in range(len(ids)) if torch.equal(text[s:s + 32], x))
        assert torch.equal(text[start + 1:start + 33], y)


def test_text_windows_can_reach_the_last_id():
    ids = list(range(10))
    windows = TextWindows(ids, seq_len=4, batch_size=200)
    _, targets = windows(torch.Generator().manual_seed(0))
    assert targets.max() == 9 and windows(None)[0].min() >= 0


def test_text_windows_all_batches_cover_without_overlap():
    ids = list(range(1000))
    windows = TextWindows(ids, seq_len=30, batch_size=4)
    batches = list(windows.all_batches(batch_size=7))
    inputs = torch.cat([x for x, _ in batches])
    targets = torch.cat([y for _, y in batches])
    n = (len(ids) - 1) // 30
    assert inputs.shape == (n, 30)
    assert inputs.flatten().tolist() == ids[:n * 30]        # consecutive, no overlap, no gap
    assert targets.flatten().tolist() == ids[1:n * 30 + 1]
    assert len(ids) - 1 - n * 30 < 30                        # only a partial window is left out
    assert sum(len(x) for x, _ in windows.all_batches(batch_size=7, max_windows=5)) == 5


def test_pad_sequences():
    padded, lengths = data.pad_sequences([[5, 6, 7], [8]], pad_id=0)
    assert padded.tolist() == [[5, 6, 7], [8, 0, 0]] and lengths.tolist() == [3, 1]
    with pytest.raises(ValueError, match="at least one"):
        data.pad_sequences([])


# --- a passage of a play ---------------------------------------------------------------------------
def test_passage_cuts_from_the_first_words_to_the_end_of_the_last():
    speech = data.passage("hamlet", "To be, or not to be", "Devoutly to be wish'd.")
    assert speech.startswith("To be, or not to be") and speech.endswith("Devoutly to be wish'd.")
    assert speech in data.load_shakespeare("hamlet")
    assert 300 < len(speech) < 1000


@pytest.mark.parametrize("args, error, pattern", [
    (("hamlet", "To be, or not to bee", "wish'd."), ValueError,
     r"'To be, or not to bee' is not in 'hamlet'"),
    (("hamlet", "Devoutly to be wish'd.", "To be, or not to be"), ValueError,
     r"'To be, or not to be' does not come after \"Devoutly to be wish'd.\" in 'hamlet'"),
    (("hamlett", "To be", "wish'd."), ValueError, r"unknown plays \['hamlett'\]"),
    (("hamlet", "", "wish'd."), TypeError, r"first_words must be a non-empty string, got ''"),
    ((["hamlet"], "To be", "wish'd."), TypeError, r"play must be a non-empty string"),
])
def test_passage_says_which_words_it_cannot_find(args, error, pattern):
    with pytest.raises(error, match=pattern):
        data.passage(*args)


# --- junk gets a clear error ------------------------------------------------------------------------
@pytest.mark.parametrize("call, error, pattern", [
    (lambda: Vocab(list("ab")).encode(None), TypeError, r"tokens must be a string or a list of string tokens, got NoneType"),
    (lambda: Vocab(list("ab")).encode([1, 2]), TypeError, r"list of string tokens, got list of \['int'\]"),
    (lambda: Vocab(list("ab")).encode("ab", bos=1), TypeError, r"bos must be True or False, got 1"),
    (lambda: Vocab(list("ab")).decode(None), TypeError, r"ids must be a list, 1-D array or tensor.*got NoneType"),
    (lambda: Vocab(list("ab")).decode(torch.tensor(4)), ValueError, r"ids must be a 1-D sequence.*got shape \(\)"),
    (lambda: Vocab(list("ab")).decode([4], sep=None), TypeError, r"sep must be a string, got NoneType"),
    (lambda: data.pad_sequences(np.zeros((2, 0))), TypeError, r"seqs must be a list of id sequences, got ndarray"),
    (lambda: data.pad_sequences([[1.5, 2]]), TypeError, r"every sequence must hold integer token ids, got dtype torch.float"),
    (lambda: data.pad_sequences([[1], "ab"]), TypeError, r"every sequence must be token ids, got a string"),
    (lambda: data.pad_sequences([[1]], pad_id=None), TypeError, r"pad_id must be an integer id, got None"),
    (lambda: data.split_contiguous(None), TypeError, r"items must be a string, list.*got NoneType"),
    (lambda: data.split_contiguous(np.array(3.0)), TypeError, r"items must be a string, list.*got ndarray"),
    (lambda: data.split_contiguous([1, 2, 3], 0.1), ValueError, r"3 items with val_fraction=0.1 leave one part empty"),
    (lambda: data.split_contiguous([1, 2, 3], "0.5"), ValueError, r"val_fraction must lie strictly between 0 and 1, got '0.5'"),
    (lambda: TextWindows(None), TypeError, r"ids must be a list, array or tensor of integer token ids, got NoneType"),
    (lambda: TextWindows([[1], [2, 3]]), TypeError, r"ids must hold integer token ids"),
])
def test_junk_gets_a_clear_error(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_pad_sequences_takes_arrays_and_tensors_too():
    padded, lengths = data.pad_sequences([np.array([5, 6]), torch.tensor([7]), (8, 9, 1)], pad_id=2)
    assert padded.tolist() == [[5, 6, 2], [7, 2, 2], [8, 9, 1]] and lengths.tolist() == [2, 1, 3]


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: Vocab(5), TypeError, r"tokens must be a list of strings, got int"),
    (lambda: Vocab(["a", None]), TypeError, r"tokens must be strings, got NoneType among them"),
    (lambda: Vocab(["a", ""]), ValueError, r"must not hold the empty string"),
    (lambda: Vocab.from_texts(["", ""]), ValueError, r"no token occurs at least min_count=1 times"),
    (lambda: Vocab.from_texts(["ab"], min_count=0), ValueError, r"min_count must be a positive integer, got 0"),
    (lambda: data.tokenize_words(["a b"]), TypeError, r"text must be a string, got list"),
    (lambda: data.load_shakespeare([]), ValueError, r"plays must name at least one play"),
    (lambda: data.shuffled(["a"], seed=-1), ValueError, r"seed must be a non-negative integer, got -1"),
    (lambda: data.pad_sequences([[], []]), ValueError, r"every one of the 2 sequences is empty"),
    (lambda: data.pad_sequences([[1, -2]]), ValueError, r"every sequence must hold token ids >= 0, got -2"),
    (lambda: TextWindows(list(range(10)), seq_len=3, batch_size=10**9), ValueError,
     r"batch_size must be at most 100,000"),
    (lambda: list(TextWindows(list(range(10)), seq_len=3).all_batches(max_windows=-1)), ValueError,
     r"max_windows must be a positive integer, got -1"),
    (lambda: data.sequence_pairs(["ab"], "abc"), TypeError, r"vocab must be a utils.data.Vocab, got str"),
])
def test_degenerate_data_is_refused(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()
