"""Tagging tasks: one label per input position, for the bidirectional chapter (6) and after.

Two tasks whose labels depend on what comes LATER in the sequence:

* Word boundaries in real text. Shakespeare with the spaces and punctuation removed
  ("tobeornottobe"); the label of a character is 1 if a word ends there. Whether "to"
  ends a word depends on the next letters ("to be" vs "tomorrow").

      chars, labels = remove_spaces("To be, or not to be")   # 'tobeornottobe', [0,1,0,1,0,1,...]
      data = WordBoundaryData(load_shakespeare(), seq_len=48)
      model = SequenceTagger(data.vocab_size, 2, bidirectional=True)
      train(model, data.batches(), steps=300, loss_fn=training.tagging_loss)
      tagging_accuracy(model, *data.val)

* A controlled synthetic task. Random tokens; the label at t is the token at t + k.
  A left-to-right model cannot know x_{t+k} at step t for k >= 1: it is stuck at chance.

      task = LookaheadTask(k=2)
      ids, labels = task.sample(64, generator=g)   # (64, T), (64, T); -100 where t+k is off the end

Labels of -100 (``IGNORE``, from ``utils.training``) are skipped by the loss
(``training.tagging_loss``) and by the accuracy. ``marked_html`` shows a tagger's spaces
with its mistakes marked.
"""
from __future__ import annotations

import html
import numbers
import re

import torch

from .data import MAX_TOKENS, Vocab
from .training import IGNORE, eval_mode, model_device
from .validate import expect_positive_int, expect_tensor



# --- word boundaries in real text ----------------------------------------------------------
def remove_spaces(text: str, lowercase: bool = True) -> tuple[str, list[int]]:
    """Words of ``text`` (letters and apostrophes) run together, and one label per character:
    1 where a word ends, else 0. Punctuation, digits and line breaks are dropped.

    >>> remove_spaces("To be, or not")
    ('tobeornot', [0, 1, 0, 1, 0, 1, 0, 0, 1])
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    if not isinstance(lowercase, bool):
        raise TypeError(f"lowercase must be True or False, got {lowercase!r}")
    words = re.findall(r"[A-Za-z']+", text.lower() if lowercase else text)
    words = [w.strip("'") for w in words]
    words = [w for w in words if w]
    labels = [lab for w in words for lab in [0] * (len(w) - 1) + [1]]
    return "".join(words), labels


def restore_spaces(chars: str, labels) -> str:
    """Insert a space after every character labelled 1: the inverse of ``remove_spaces``."""
    if not isinstance(chars, str):
        raise TypeError(f"chars must be a string, got {type(chars).__name__}")
    labels = _tags(labels, "labels", length=len(chars))
    return "".join(ch + (" " if lab == 1 else "") for ch, lab in zip(chars, labels)).rstrip()


def segmentation_slips(chars: str, predicted, truth) -> tuple[list[str], list[str]]:
    """The mistakes of a word-boundary tagger, as words: (split, joined).

    split: the true words the tagger cut inside, written as it cut them ("roman s");
    joined: the pairs of true words, neither of them cut inside, that it ran together,
    written without the space ("icome").

    >>> segmentation_slips("tobeornot", [0, 0, 0, 1, 0, 1, 0, 0, 1], [0, 1, 0, 1, 0, 1, 0, 0, 1])
    ([], ['tobe'])
    """
    predicted, truth = _tags_of(chars, predicted, truth)
    ends = [i for i, t in enumerate(truth) if t == 1]
    if truth and (not ends or ends[-1] != len(chars) - 1):
        ends.append(len(chars) - 1)                  # the text ends a word
    starts = [0] + [e + 1 for e in ends[:-1]]
    cut = [any(predicted[start:end]) for start, end in zip(starts, ends)]  # a space inside
    split = [restore_spaces(chars[start:end + 1], predicted[start:end] + [1])
             for (start, end), c in zip(zip(starts, ends), cut) if c]
    joined = [chars[starts[k]:ends[k + 1] + 1] for k in range(len(ends) - 1)
              if predicted[ends[k]] == 0 and not cut[k] and not cut[k + 1]]
    return split, joined


MISSED_SPACE = '<b style="color:#0072B2">‸</b>'   # blue caret: a space the tagger missed
WRONG_SPACE = '<b style="color:#D55E00">␣</b>'    # orange open box: a space where none is


def marked_html(letters: str, predicted, truth) -> str:
    """The letters with the tagger's spaces, as HTML, its mistakes marked: a space after a
    letter where both the tagger and the truth put one, an orange ␣ where only the tagger
    does, a blue ‸ where only the truth does. The letters are HTML-escaped.

    >>> marked_html("tobe", [0, 1, 0, 0], [0, 1, 0, 1])
    'to be<b style="color:#0072B2">‸</b>'
    """
    predicted, truth = _tags_of(letters, predicted, truth)
    out = []
    for letter, p, t in zip(letters, predicted, truth):
        out.append(html.escape(letter))
        if p and t:
            out.append(" ")
        elif p:
            out.append(WRONG_SPACE)
        elif t:
            out.append(MISSED_SPACE)
    return "".join(out)


def _tags_of(letters, predicted, truth) -> tuple[list[int], list[int]]:
    """The predicted and true tags of a string of letters, one of each per letter."""
    if not isinstance(letters, str):
        raise TypeError(f"letters must be a string, got {type(letters).__name__}")
    predicted, truth = _tags(predicted, "predicted"), _tags(truth, "truth")
    if not len(predicted) == len(truth) == len(letters):
        raise ValueError(f"need one prediction and one label per letter: {len(letters)} letters, "
                         f"{len(predicted)} predictions, {len(truth)} labels")
    return predicted, truth


def _tags(tags, name: str, length: int | None = None) -> list[int]:
    """0/1 word-end tags from a list, array or tensor (``length`` of them, if given)."""
    tags = tags.tolist() if hasattr(tags, "tolist") else tags
    if isinstance(tags, (str, bytes)) or not hasattr(tags, "__iter__"):
        raise TypeError(f"{name} must be a sequence of 0/1 tags, got {type(tags).__name__}")
    tags = list(tags)
    if length is not None and len(tags) != length:
        raise ValueError(f"need one label per character: {length} characters, "
                         f"{len(tags)} {name}")
    bad = [t for t in tags if isinstance(t, float) or t not in (0, 1)]
    if bad:
        raise ValueError(f"{name} must hold 0/1 tags (1: a word ends here), got {bad[:5]}")
    return [int(t) for t in tags]


class WordBoundaryData:
    """A text without spaces, cut into windows of ``seq_len`` characters with their labels.

    The first (1 - val_fraction) of the text trains, the rest validates (contiguous).
    Attributes: vocab, vocab_size, train (ids (N, T), labels (N, T)), val (same),
    majority (share of the most common label in the validation set: the baseline).
    """

    def __init__(self, text: str, seq_len: int = 48, val_fraction: float = 0.1,
                 max_chars: int | None = None, batch_size: int = 32):
        chars, labels = remove_spaces(text)
        if max_chars is not None:
            chars, labels = chars[:expect_positive_int(max_chars, "max_chars")], labels[:max_chars]
        self.seq_len = expect_positive_int(seq_len, "seq_len")
        self.batch_size = expect_positive_int(batch_size, "batch_size")
        if not 0 < val_fraction < 1:
            raise ValueError(f"val_fraction must lie strictly between 0 and 1, got {val_fraction}")
        n = len(chars) // seq_len
        if n < 2:
            raise ValueError(f"the text has {len(chars)} letters, too few for two windows of {seq_len}")
        self.vocab = Vocab.from_texts([chars])
        ids = torch.tensor(self.vocab.encode(chars[:n * seq_len])).view(n, seq_len)
        tags = torch.tensor(labels[:n * seq_len]).view(n, seq_len)
        cut = max(1, min(n - 1, int(round(n * (1 - val_fraction)))))
        self.train, self.val = (ids[:cut], tags[:cut]), (ids[cut:], tags[cut:])
        share = float(self.val[1].float().mean())
        self.majority = max(share, 1 - share)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def batches(self):
        """A ``batches(generator)`` callable for ``utils.training.train``: random training windows."""
        ids, labels = self.train
        return lambda generator: _random_rows(ids, labels, self.batch_size, generator)

    def decode(self, ids) -> str:
        return self.vocab.decode(ids)

    def __repr__(self) -> str:
        return (f"WordBoundaryData({len(self.train[0])} training and {len(self.val[0])} validation "
                f"windows of {self.seq_len} letters, {self.vocab_size} symbols)")


def _random_rows(ids, labels, batch_size, generator):
    rows = torch.randint(len(ids), (batch_size,), generator=generator)
    return ids[rows], labels[rows]


# --- the controlled look-ahead task ---------------------------------------------------------
def lookahead_labels(ids: torch.Tensor, k: int) -> torch.Tensor:
    """The labels of the look-ahead task for offset k: labels[:, t] = ids[:, t + k], and
    IGNORE where t + k falls outside the sequence. ids: (n, T) -> (n, T)."""
    expect_tensor(ids, "ids", ndim=2, floating=False)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"k must be an integer offset, got {k!r}")
    k, T = int(k), ids.shape[1]
    labels = torch.full_like(ids, IGNORE)
    if abs(k) >= T:
        return labels
    if k >= 0:
        labels[:, :T - k] = ids[:, k:]
    else:
        labels[:, -k:] = ids[:, :T + k]
    return labels


class LookaheadTask:
    """Random tokens x_1..x_T; the label at t is x_{t+k} (k < 0 looks back).

    Positions where t + k falls outside the sequence are labelled IGNORE. Chance accuracy
    is 1 / vocab_size, and a left-to-right model is stuck there for every k >= 1.
    """

    def __init__(self, k: int, vocab_size: int = 4, length: int = 20):
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"k must be an integer offset, got {k!r}")
        self.k = int(k)
        self.vocab_size = expect_positive_int(vocab_size, "vocab_size")
        if self.vocab_size < 2:
            raise ValueError("vocab_size must be at least 2: with one token there is nothing to predict")
        self.length = expect_positive_int(length, "length")
        if abs(self.k) >= self.length:
            raise ValueError(f"|k| must be smaller than the length {length}, got k={k}")

    @property
    def chance(self) -> float:
        return 1.0 / self.vocab_size

    def __repr__(self) -> str:
        return f"LookaheadTask(k={self.k}, vocab_size={self.vocab_size}, length={self.length})"

    def sample(self, n: int, generator: torch.Generator | None = None):
        """n sequences -> (ids (n, T), labels (n, T)), int64; labels[:, t] = ids[:, t + k]."""
        n = expect_positive_int(n, "n")
        if n * self.length > MAX_TOKENS:
            raise ValueError(f"n * length must be at most {MAX_TOKENS:,} token ids, got "
                             f"{n:,} * {self.length:,}: use fewer or shorter sequences")
        ids = torch.randint(self.vocab_size, (n, self.length), generator=generator)
        return ids, lookahead_labels(ids, self.k)

    def batches(self, batch_size: int = 64):
        """A ``batches(generator)`` callable for ``utils.training.train``: fresh sequences."""
        batch_size = expect_positive_int(batch_size, "batch_size")
        return lambda generator: self.sample(batch_size, generator)


# --- loss and accuracy ---------------------------------------------------------------------
def tag_predictions(model, ids: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """The most likely tag at every position: ids (N, T) -> (N, T), in eval mode."""
    expect_tensor(ids, "ids", ndim=2, floating=False)
    if ids.shape[0] == 0:
        raise ValueError(f"ids must hold at least one sequence, got shape {tuple(ids.shape)}")
    batch_size = expect_positive_int(batch_size, "batch_size")
    device = model_device(model)
    with eval_mode(model):
        return torch.cat([model(ids[s:s + batch_size].to(device)).argmax(-1).cpu()
                          for s in range(0, len(ids), batch_size)])


def tagging_accuracy(model, ids: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of scored positions (label != IGNORE) tagged correctly."""
    keep = _scored(model, ids, labels)
    if not keep.any():
        raise ValueError("no position is scored: every label is IGNORE")
    return float((tag_predictions(model, ids)[keep] == labels[keep]).float().mean())


def _scored(model, ids, labels) -> torch.Tensor:
    """Checks ids (N, T) and labels (N, T) in [0, model.num_tags) or IGNORE; -> the mask
    of scored positions."""
    expect_tensor(ids, "ids", ndim=2, floating=False)
    expect_tensor(labels, "labels", shape=tuple(ids.shape), floating=False)
    keep = labels != IGNORE
    num_tags = getattr(model, "num_tags", None)
    if num_tags is not None and keep.any() and (
            int(labels[keep].min()) < 0 or int(labels[keep].max()) >= num_tags):
        raise ValueError(f"labels must lie in [0, {num_tags}) (the model's tags) or be IGNORE, "
                         f"got values from {int(labels[keep].min())} to {int(labels[keep].max())}")
    return keep


def accuracy_by_position(model, ids: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Accuracy at each position t over the batch (NaN where nothing is scored): (T,)."""
    keep = _scored(model, ids, labels).float()
    right = (tag_predictions(model, ids) == labels).float() * keep
    return right.sum(0) / keep.sum(0)


def boundary_f1(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    """F1 score of the word-end tag (1): the harmonic mean of precision and recall.
    predicted, labels: integer tensors of tags, the same number of each (any shape)."""
    for tags, name in ((predicted, "predicted"), (labels, "labels")):
        expect_tensor(tags, name, floating=False)
        if tags.numel() == 0:
            raise ValueError(f"{name} must hold at least one tag, got shape {tuple(tags.shape)}")
        if bool(((tags != 0) & (tags != 1)).any()):
            raise ValueError(f"{name} must hold 0/1 tags (1: a word ends here), got "
                             f"{sorted(set(tags.flatten().tolist()) - {0, 1})[:5]}")
    predicted, labels = predicted.flatten(), labels.flatten()
    if predicted.shape != labels.shape:
        raise ValueError(f"predicted and labels must have the same number of tags, got "
                         f"{predicted.numel()} and {labels.numel()}")
    tp = int(((predicted == 1) & (labels == 1)).sum())
    fp = int(((predicted == 1) & (labels == 0)).sum())
    fn = int(((predicted == 0) & (labels == 1)).sum())
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


__all__ = ["IGNORE", "remove_spaces", "restore_spaces", "segmentation_slips", "WordBoundaryData",
           "LookaheadTask", "lookahead_labels", "tag_predictions", "marked_html",
           "tagging_accuracy", "accuracy_by_position", "boundary_f1"]
