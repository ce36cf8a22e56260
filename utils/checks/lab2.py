"""Checks for Lab 2, "Generate names".

    from utils.checks.lab2 import check_sample_name
    check_sample_name(sample_name)            # -> a green, grey or red box

Five exercises: ``build_vocab``, ``sample_name``, ``clip_gradient_norm``, ``novelty`` and
``log_likelihood_per_char``. The last two return one number and use the reference-comparing
``Check``. The first three are judged by what they do (``PropertyCheck``):

* ``build_vocab`` on name lists built to expose one mistake each (characters outside a-z,
  capitals, one short name, the course's names);
* ``sample_name`` on *rigged models*: stand-ins for ``CharLM`` whose next-token logits are
  fixed tables and which log every call, so the check sees exactly what the sampler fed
  them (the token, the state) and can tell a missing feedback from a missing state. Its
  randomness is judged statistically: hundreds of one-letter names, their frequencies
  compared with softmax(logits / τ) and with the distributions that known mistakes give
  (a G-test; each such test fails a right answer with probability below 1e-6). Never
  an exact string from a random draw;
* ``clip_gradient_norm`` on fresh parameters with hand-made gradients, compared with
  ``utils.training.clip_by_norm`` and with known wrong variants.

Edge inputs and result types: ``build_vocab`` is called five times in a row (a global list
extended by each call is named); its ids may be Python or numpy integers, not floats.
``novelty`` has a one-sample case and a last case with the lengths of the first and other
names; it accepts any number (`/` gives a float; `//` is named). ``log_likelihood_per_char``
must return a Python or numpy float (a 0-d torch tensor is named); its last case repeats the
first with another model. Every check has a time limit (``utils/checks/edges.py``).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from .. import data, models, sampling, training
from .core import Case, Check, CheckFailed, HintedCheck, Mistake, Probe, PropertyCheck
from .edges import again_with_new_values, with_edges

P_MIN = 1e-6        # a frequency table less likely than this under the right answer fails it


# --- Exercise 1: the vocabulary ---------------------------------------------------------------
def reference_build_vocab(names):
    """(stoi, itos) with the four special tokens first, then the sorted characters."""
    vocab = data.Vocab.from_texts(list(names))
    return dict(vocab.stoi), list(vocab.itos)


def _quote(tokens) -> str:
    return ", ".join(repr(t) for t in tokens)


def _unpack_vocab(got):
    if isinstance(got, dict):
        raise CheckFailed("`build_vocab` returned one dict; return both tables: "
                          "`return stoi, itos`.")
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        what = f"{len(got)} values" if isinstance(got, (tuple, list)) else f"a {type(got).__name__}"
        raise CheckFailed(f"`build_vocab` returned {what}; expected two: `return stoi, itos` "
                          "(a dict and a list).")
    stoi, itos = got
    if isinstance(stoi, (list, tuple)) and isinstance(itos, dict):
        raise CheckFailed("`build_vocab` returned its values in the wrong order: "
                          "`return stoi, itos` (the dict first, then the list).")
    if not isinstance(stoi, dict):
        raise CheckFailed(f"`stoi` is a {type(stoi).__name__}; expected a dict mapping each "
                          "token to its id.")
    if not isinstance(itos, (list, tuple)):
        raise CheckFailed(f"`itos` is a {type(itos).__name__}; expected a list of tokens, "
                          "`itos[i]` being the token with id i.")
    not_str = [t for t in itos if not isinstance(t, str)]
    if not_str:
        raise CheckFailed(f"`itos` holds {not_str[0]!r} ({type(not_str[0]).__name__}); it lists "
                          "tokens, which are strings: the specials and single characters.")
    return stoi, list(itos)


def _examine_itos(itos: list, names: list) -> None:
    specials, chars = list(data.SPECIALS), sorted(set("".join(names)))
    missing = [s for s in specials if s not in itos]
    if len(missing) == len(specials):
        raise CheckFailed("The special tokens are missing: `itos` must start with "
                          f"{_quote(specials)} (ids 0 to 3), then the characters.")
    if missing:
        raise CheckFailed(f"`itos` lacks {_quote(missing)}: it must start with all four special "
                          f"tokens, {_quote(specials)}.")
    if itos[:4] != specials:
        where = "come last" if itos[-4:] == specials else "are not ids 0 to 3 in this order"
        raise CheckFailed(f"The special tokens {where}: `itos` must start with "
                          f"{_quote(specials)}, so <PAD> is id 0 as the course's padding "
                          "expects, then the characters.")
    repeated = [t for t, n in Counter(itos).items() if n > 1]
    if repeated:
        raise CheckFailed(f"{_quote(repeated[:3])} appear(s) more than once in `itos`: every "
                          "token needs exactly one id. Take the *set* of the characters.")
    long = [t for t in itos[4:] if len(t) != 1]
    if long:
        raise CheckFailed(f"`itos` holds {_quote(long[:2])}: a character vocabulary lists single "
                          "characters, not whole names. `set(''.join(names))` gives them.")
    absent = [c for c in chars if c not in itos]
    if absent:
        lowered = [c for c in absent if c != c.lower() and c.lower() in itos]
        if lowered:
            raise CheckFailed(f"{_quote(lowered)} missing: keep the names as they are (don't "
                              "lower-case them); every character gets its own id.")
        raise CheckFailed(f"{_quote(absent)} missing: every character that occurs in the names "
                          "needs an id. Take the characters from the names themselves, not from "
                          "a fixed alphabet.")
    extra = [c for c in itos[4:] if c not in chars]
    if extra:
        raise CheckFailed(f"`itos` holds {_quote(extra[:5])}, which no name contains: take exactly "
                          "the characters that occur in `names` (a fixed alphabet such as a-z "
                          "adds unused ones).")
    if itos[4:] != chars:
        shown = "".join(itos[4:])
        raise CheckFailed(f"The characters are not in sorted order (got {shown!r}): sort them, "
                          "`sorted(...)`. A set's order is arbitrary, so each run, or each "
                          "machine, would give the characters different ids.")


def _examine_stoi(stoi: dict, itos: list, names: list) -> None:
    missing = [t for t in itos if t not in stoi]
    if missing:
        what = ("the special tokens too" if all(t in data.SPECIALS for t in missing)
                else f"{_quote(missing[:4])}")
        raise CheckFailed(f"`stoi` has no entry for {_quote(missing[:4])}: it must map every "
                          f"token of `itos`, {what}.")
    extra = [t for t in stoi if t not in itos]
    if extra:
        raise CheckFailed(f"`stoi` has keys that `itos` lacks: {_quote(extra[:4])}.")
    # Ids are integers: Python ints or numpy integers (`np.arange` gives those); not floats.
    bad = [t for t in itos
           if isinstance(stoi[t], bool) or not isinstance(stoi[t], (int, np.integer))]
    if bad:
        value = stoi[bad[0]]
        raise CheckFailed(f"`stoi[{bad[0]!r}]` is {value!r}, a {type(value).__name__}; ids are "
                          "integers (the token's position in `itos`), used as indices: "
                          "`{token: i for i, token in enumerate(itos)}`.")
    wrong = [(i, t) for i, t in enumerate(itos) if stoi[t] != i]
    if not wrong:
        return
    if all(stoi[t] == i - 4 for i, t in enumerate(itos) if i >= 4):
        raise CheckFailed("`stoi` numbers the characters from 0, but ids 0 to 3 belong to the "
                          "special tokens: build `stoi` from `itos`, "
                          "`{token: i for i, token in enumerate(itos)}`.")
    i, token = wrong[0]
    name = next((n for n in names if token in n), names[0])
    ids = [stoi[c] for c in name]
    back = "".join(itos[j] if 0 <= j < len(itos) else "?" for j in ids)
    raise CheckFailed(f"`stoi` and `itos` disagree: `itos[{i}]` is {token!r} but "
                      f"`stoi[{token!r}]` is {stoi[token]}. Round trip: {name!r} -> ids {ids} -> "
                      f"{back!r}. `stoi` must be the inverse of `itos`.")


def _vocab_probe(label: str, names: list, seen: list) -> Probe:
    """``seen``: the names of the probes before, shared, to recognise a vocabulary that keeps
    the characters of earlier calls."""
    def run(call):
        given = list(names)
        got = call(given)
        if given != names:
            raise CheckFailed("`build_vocab` changed its input `names` in place (e.g. "
                              "`names.sort()`); the caller still needs them. Work on a copy, "
                              "or use `sorted(...)`, which returns a new list.")
        stoi, itos = _unpack_vocab(got)
        earlier = set("".join(seen)) - set("".join(names))
        seen.extend(names)
        kept = [t for t in itos[4:] if t in earlier]
        if kept:
            raise CheckFailed(
                f"`itos` holds {_quote(kept[:5])}, characters of the names of an EARLIER call, "
                "not of these: your function extends a list that outlives the call (e.g. "
                "`itos = SPECIALS` then `itos += chars` changes the global list `SPECIALS` "
                "itself). Build a new list at every call: `itos = SPECIALS + chars`.")
        _examine_itos(itos, names)
        _examine_stoi(stoi, itos, names)
    return Probe(label, run)


def _vocab_probes(rng) -> list[Probe]:
    course = data.shuffled(data.load_names(), seed=int(rng.integers(1000)))[:400]
    emma = ["emma", "olivia", "ava", "isabella", "sophia", "mia"]
    seen: list = []
    return [
        _vocab_probe("six names", emma, seen),
        _vocab_probe("hyphens, apostrophes and capitals", ["mary-jane", "o'neil", "Zoe", "jo"],
                     seen),
        _vocab_probe("one short name", ["bob"], seen),
        _vocab_probe("the same six names in another order", emma[::-1], seen),
        _vocab_probe("400 of the course's names", course, seen),
    ]


check_build_vocab = PropertyCheck("build_vocab", reference_build_vocab, ["names"], _vocab_probes)


# --- Exercise 2: sampling -----------------------------------------------------------------------
RIG_VOCAB = data.Vocab(list("abcdefgh"))     # 4 specials (ids 0-3) + 8 letters (ids 4-11)
BIG = 60.0                                   # a logit gap that makes a token certain
LETTERS = "abcde"                            # the letters of the one-letter models
LETTER_LOGITS = torch.tensor([3.0, 2.0, 1.0, 0.0, -1.0])
UNK_LOGIT = 3.5                              # makes <UNK> about as likely as all letters together
N_DRAWS = 400


@dataclass
class _Call:
    tokens: list          # the token ids the model read in this call (first sequence)
    state_in: object      # the state passed in
    state_out: object     # the state returned


class _State:
    """The rigged model's state: the tokens each sequence of the batch has read so far."""

    def __init__(self, histories):
        self.histories = histories

    def __repr__(self) -> str:
        return "<state of the test model>"


class RiggedModel(torch.nn.Module):
    """A stand-in for ``CharLM`` whose next-token logits are a fixed function of what it read.

    next_logits(history) -> (K,) logits, history being the tuple of token ids read so far.
    Like CharLM (a torch.nn.Module, in eval mode, on the CPU) it offers
    ``step(idx_t (B,), state) -> (logits (B, K), state)`` and
    ``model(idx (B, T), state) -> (logits (B, T, K), state)``, and checks its inputs the
    same way. It has no parameters, records every call in ``calls`` and stops a runaway loop.
    """

    def __init__(self, vocab, next_logits, max_tokens: int = 300):
        super().__init__()
        self.vocab_size, self.next_logits, self.max_tokens = len(vocab), next_logits, max_tokens
        self.device = torch.device("cpu")
        self.eval()
        self.reset()

    def reset(self) -> None:
        self.calls, self.tokens_read, self.runaway = [], 0, False

    def step(self, idx_t, state=None):
        models.CharLM.check_ids(self, idx_t, ndim=1)
        logits, state = self._read(idx_t[:, None], state)
        return logits[:, 0], state

    def forward(self, idx, state=None):
        models.CharLM.check_ids(self, idx, ndim=2)
        return self._read(idx, state)

    def _read(self, idx, state):
        batch = idx.shape[0]
        if state is None:
            histories = [()] * batch
        elif isinstance(state, _State) and len(state.histories) == batch:
            histories = list(state.histories)
        else:
            raise TypeError(f"the test model's state must be None (start from zeros) or the state "
                            f"its last call returned, got {type(state).__name__}")
        rows = []
        for row, ids in enumerate(idx.tolist()):
            out = []
            for token in ids:
                histories[row] += (token,)
                out.append(self.next_logits(histories[row]))
            rows.append(torch.stack(out))
        new_state = _State(histories)
        self.calls.append(_Call(idx[0].tolist(), state, new_state))
        self.tokens_read += idx.shape[1]
        if self.tokens_read > self.max_tokens:
            self.runaway = True
            raise RuntimeError(f"the test model has read {self.tokens_read} tokens for one name")
        return torch.stack(rows), new_state


def _logits(**values) -> torch.Tensor:
    """A (K,) logit vector over RIG_VOCAB: 0 by default, <PAD> and <BOS> impossible;
    values maps a token (a letter, or "eos"/"unk") to its logit."""
    logits = torch.zeros(len(RIG_VOCAB))
    logits[[RIG_VOCAB.pad_id, RIG_VOCAB.bos_id, RIG_VOCAB.unk_id]] = -BIG
    for token, value in values.items():
        index = {"eos": RIG_VOCAB.eos_id, "unk": RIG_VOCAB.unk_id}.get(token)
        logits[RIG_VOCAB.stoi[token] if index is None else index] = value
    return logits


def _certain(token: str) -> torch.Tensor:
    return _logits(**{token: BIG})


def chain_model(word: str, then: str = "eos", after_eos: str = "h") -> RiggedModel:
    """Spells ``word`` letter by letter (the next letter follows from the last one read), then
    ``then``; after <EOS> it spells ``after_eos`` (so a sampler that runs on shows)."""
    table = {RIG_VOCAB.bos_id: _certain(word[0]), RIG_VOCAB.eos_id: _certain(after_eos)}
    for a, b in zip(word, word[1:] + " "):
        table[RIG_VOCAB.stoi[a]] = _certain(b) if b != " " else _certain(then)
    fallback = _certain(after_eos)
    return RiggedModel(RIG_VOCAB, lambda history: table.get(history[-1], fallback))


def one_letter_model(unk: bool = False, letter_logits=LETTER_LOGITS) -> RiggedModel:
    """First step: letter_logits over "abcde" (and <UNK> at UNK_LOGIT when unk); after any
    other token: <EOS>. Every name has one letter (or is "<UNK>")."""
    first = _logits(**dict(zip(LETTERS, letter_logits.tolist())), eos=-BIG, f=-BIG, g=-BIG,
                    h=-BIG, **({"unk": UNK_LOGIT} if unk else {}))
    end = _certain("eos")
    return RiggedModel(RIG_VOCAB, lambda history: first if len(history) == 1 else end)


def reference_sample_name(model, vocab, max_len, temperature, generator, reject_unk=True):
    """One name drawn with the course's sampler (utils.sampling.sample)."""
    return sampling.sample(model, vocab, n=1, max_len=max_len, temperature=temperature,
                           reject_unk=reject_unk, generator=generator)[0]


_SPECIAL_OR_CHAR = re.compile("|".join(map(re.escape, data.SPECIALS)) + "|.", re.DOTALL)


def _tokens(name: str) -> list[str]:
    return _SPECIAL_OR_CHAR.findall(name)


def _expect_name(got) -> str:
    if isinstance(got, str):
        return got
    if isinstance(got, torch.Tensor):
        raise CheckFailed("`sample_name` returned a tensor; return the name as a string: collect "
                          "the drawn ids in a list and `return vocab.decode(ids)`.")
    if isinstance(got, (list, tuple)):
        if all(isinstance(x, str) for x in got):
            raise CheckFailed("`sample_name` returned a list of characters; join them into one "
                              "string (`''.join(chars)`), or `return vocab.decode(ids)`.")
        raise CheckFailed(f"`sample_name` returned a {type(got).__name__} ({got[:6]!r}...); return "
                          "the name as a string: `return vocab.decode(ids)`.")
    raise CheckFailed(f"`sample_name` returned a {type(got).__name__}; expected the name as a "
                      "string.")


RUNAWAY = ("Your sampler never stopped: the model read {n} tokens for one name with "
           "max_len = {max_len}. Stop after max_len characters even when <EOS> never comes: "
           "`for _ in range(max_len):`.")


def _sample_one(call, model, max_len, temperature, generator, reject_unk=True) -> str:
    model.reset()
    try:
        got = call(model, RIG_VOCAB, max_len, temperature, generator, reject_unk)
    except CheckFailed:
        if model.runaway:
            raise CheckFailed(RUNAWAY.format(n=model.tokens_read, max_len=max_len)) from None
        raise
    return _expect_name(got)


def _token_name(token_id: int) -> str:
    return RIG_VOCAB.itos[token_id]


def _examine_calls(model: RiggedModel, name: str) -> None:
    """What the sampler fed the model: one new token per call, from <BOS>, with the state."""
    calls = model.calls
    if not calls:
        raise CheckFailed("`sample_name` never called the model: draw every token from "
                          "`model.step(token, state)`.")
    fresh = sum(call.state_in is None for call in calls)
    if any(len(call.tokens) > 1 for call in calls) or (
            fresh > 1 and len(calls) > len(_tokens(name)) + 2):
        raise CheckFailed(
            f"Your sampler re-reads the whole name so far at every step (the model read "
            f"{model.tokens_read} tokens in {len(calls)} calls to write {name!r}). A recurrent "
            "model keeps what it has read in its state: feed only the newest token, "
            "`logits, state = model.step(token, state)`, one call per character.")
    first = calls[0].tokens[0]
    if first != RIG_VOCAB.bos_id:
        raise CheckFailed(f"The first input was {_token_name(first)!r} (id {first}); a name starts "
                          f"from <BOS>: `torch.tensor([vocab.bos_id])`.")
    if fresh > 1:
        raise CheckFailed(
            f"The state is not carried from step to step: {fresh} of the {len(calls)} calls got "
            "`state=None`, so the model forgot everything it had read. Keep the state "
            "`model.step` returns and pass it to the next call: "
            "`logits, state = model.step(token, state)`.")
    stale = [i for i in range(1, len(calls)) if calls[i].state_in is not calls[i - 1].state_out]
    if stale:
        raise CheckFailed(f"Call {stale[0] + 1} got an old state, not the one the previous call "
                          "returned: always pass the latest state, "
                          "`logits, state = model.step(token, state)`.")
    fed = [call.tokens[0] for call in calls]
    if len(fed) > 1 and all(token == RIG_VOCAB.bos_id for token in fed[1:]):
        raise CheckFailed(f"The sampled token is never fed back: all {len(fed)} inputs were "
                          f"<BOS>, so every step asked for the first letter again (got {name!r}). "
                          "The token you draw is the next input.")
    if RIG_VOCAB.eos_id in fed[:-1]:
        raise CheckFailed(f"Your sampler keeps going after <EOS> (got {name!r}): when the drawn "
                          "token is <EOS> the name is complete; stop, without adding it.")
    dropped = (RIG_VOCAB.pad_id, RIG_VOCAB.bos_id)              # vocab.decode drops these
    drawn = [t for t in (fed[1:-1] if fed[-1] == RIG_VOCAB.eos_id else fed[1:])
             if t not in dropped]
    written = [t for t in (RIG_VOCAB.stoi.get(t, -1) for t in _tokens(name)) if t not in dropped]
    if drawn != written[:len(drawn)]:
        shown = " ".join(_token_name(t) for t in drawn)
        raise CheckFailed(f"The inputs after <BOS> were `{shown}` but the name is {name!r}: "
                          "feed each drawn token back as the next input.")


def _examine_name(name: str, expected: str, max_len: int) -> bool:
    """Name the mistake when the name differs from what the model spells with certainty;
    False when no known mistake explains it."""
    if "<BOS>" in name:
        raise CheckFailed(f"The name is {name!r}: <BOS> is the start signal, an input, not part "
                          "of the name. Decode only the drawn tokens.")
    if "<EOS>" in name:
        raise CheckFailed(f"The name is {name!r}: <EOS> marks the end; stop when you draw it, "
                          "without adding it to the name.")
    if name == expected:
        return True
    if name.startswith(expected) and len(expected) < max_len:
        raise CheckFailed(f"Got {name!r} for {expected!r}: your sampler doesn't stop at <EOS>. "
                          "When the drawn token is <EOS>, the name is complete.")
    if expected.startswith(name) and len(name) == max_len - 1:
        raise CheckFailed(f"Got {name!r}, one character short: a name may have up to max_len = "
                          f"{max_len} characters (expected {expected!r}).")
    if name.startswith(expected) and len(name) == max_len + 1:
        raise CheckFailed(f"Got {name!r}, one character too many: a name has at most max_len = "
                          f"{max_len} characters (expected {expected!r}).")
    if name.startswith(expected) and len(name) > max_len:
        raise CheckFailed(f"Got {name!r} with max_len = {max_len}, expected {expected!r}: a name "
                          "has at most max_len characters. Stop drawing after max_len of them, "
                          "even when <EOS> hasn't come.")
    return False


def _chain_probe(label: str, model: RiggedModel, expected: str, max_len: int,
                 seed: int) -> Probe:
    def run(call):
        for i in range(3):
            generator = torch.Generator().manual_seed(seed + i)
            name = _sample_one(call, model, max_len, 1.0, generator)
            _examine_calls(model, name)
            if not _examine_name(name, expected, max_len):
                _examine_distribution(call, 1.0, seed)   # names a mistake in the draw, if any
                raise CheckFailed(f"Got {name!r}; this test model gives each next letter "
                                  f"probability 1 (its logit is {BIG:g} above the others), so "
                                  f"a sampler that draws from softmax(logits / τ) spells "
                                  f"{expected!r} (max_len = {max_len}). Check how you turn "
                                  "the logits into probabilities.")
    return Probe(label, run)


def _draw_many(call, model, temperature: float, seed: int, reject_unk: bool = True,
               n: int = N_DRAWS) -> tuple[list[str], bool]:
    """n names with one generator; also whether the sampler used that generator."""
    generator = torch.Generator().manual_seed(seed)
    before = generator.get_state().clone()
    names = [_sample_one(call, model, 4, temperature, generator, reject_unk) for _ in range(n)]
    return names, not torch.equal(before, generator.get_state())


def _p_value(counts: np.ndarray, probs: np.ndarray) -> float:
    """G-test: how likely frequencies at least this far from probs are, under probs."""
    if np.any(counts[probs == 0] > 0):
        return 0.0
    seen = counts > 0
    expected = counts.sum() * probs
    g = 2.0 * float(np.sum(counts[seen] * np.log(counts[seen] / expected[seen])))
    dof = int((probs > 0).sum()) - 1
    if dof <= 0:
        return 1.0
    return float(torch.special.gammaincc(torch.tensor(dof / 2, dtype=torch.float64),
                                         torch.tensor(max(g, 0.0) / 2, dtype=torch.float64)))


def _shares(values: np.ndarray, outcomes: list[str]) -> str:
    return ", ".join(f"{o or 'empty'} {v:.2f}" for o, v in zip(outcomes, values))


def _softmax(logits: torch.Tensor) -> np.ndarray:
    return F.softmax(logits.double(), dim=-1).numpy()


OTHER = "other"                              # a name that starts with none of the outcomes


def _first_step_logits(letter_logits=LETTER_LOGITS, unk=None) -> torch.Tensor:
    """The one-letter model's first (K,) logits, <UNK> masked (-inf) unless unk is a logit."""
    logits = one_letter_model(letter_logits=letter_logits).next_logits((RIG_VOCAB.bos_id,))
    logits = logits.double().clone()
    logits[RIG_VOCAB.unk_id] = -math.inf if unk is None else unk
    return logits


def _outcome_probs(probs: np.ndarray, outcomes: list[str]) -> np.ndarray:
    """(K,) token probabilities -> probabilities of the outcomes (first tokens of names)."""
    out = [0.0 if o in ("", OTHER) else probs[RIG_VOCAB.stoi.get(o, RIG_VOCAB.unk_id)]
           for o in outcomes]
    out = np.where(np.array(out) < 1e-12, 0.0, out)        # e^-60: never drawn in practice
    if OTHER in outcomes:
        out[outcomes.index(OTHER)] = max(0.0, 1.0 - out.sum())
        if out[outcomes.index(OTHER)] < 1e-9:
            out[outcomes.index(OTHER)] = 0.0
    return out / out.sum()


def _temperature_candidates(T: float, outcomes: list[str]) -> list[tuple[np.ndarray, str]]:
    """Distributions of the first letter that known mistakes give at temperature T."""
    first = _first_step_logits()
    unmasked = first.clone()
    unmasked[RIG_VOCAB.unk_id] = -BIG
    candidates = []
    if T != 1.0:
        candidates += [
            (_softmax(first), f"Temperature has no effect: at τ = {T:g} your names follow "
                              "softmax(logits), the τ = 1 distribution. Divide the *logits* by τ "
                              "before the softmax; dividing the probabilities by τ changes "
                              "nothing once they are renormalised."),
            (_softmax(first * T), f"The temperature works the wrong way round: at τ = {T:g} your "
                                  "names follow softmax(logits × τ) (or probabilities ** τ). "
                                  "Divide: softmax(logits / τ); τ < 1 sharpens, τ > 1 flattens."),
        ]
    twice = ("The softmax is applied twice (the second one flattens the distribution): draw "
             "from softmax(logits / τ), once.")
    candidates += [
        (_softmax(torch.tensor(_softmax(first)) / T), twice),
        (_softmax(torch.tensor(_softmax(first / T))), twice),
        (_softmax(torch.tensor(_softmax(unmasked / T))), twice),
        (np.full(len(RIG_VOCAB), 1 / len(RIG_VOCAB)),
         "The tokens come out about equally often: your draws ignore the model's "
         "probabilities. Draw with `torch.multinomial(probs, 1, generator=generator)`."),
    ]
    return [(_outcome_probs(p, outcomes), text) for p, text in candidates]


def _first_token_counts(names: list[str], outcomes: list[str]) -> np.ndarray:
    """How many names start with each outcome (OTHER: with anything else)."""
    firsts = Counter(next(iter(_tokens(n)), "") for n in names)
    counts = [firsts.pop(o, 0) for o in outcomes if o != OTHER]
    if OTHER in outcomes:
        counts.insert(outcomes.index(OTHER), sum(firsts.values()))
    return np.array(counts, dtype=float)


def _judge(counts, outcomes, expected, candidates, T: float, what: str) -> None:
    if _p_value(counts, expected) >= P_MIN:
        return
    fits = [(p, text) for p, text in candidates if _p_value(counts, p) >= P_MIN]
    if fits:
        raise CheckFailed(max(fits, key=lambda fit: _p_value(counts, fit[0]))[1])
    n = int(counts.sum())
    raise CheckFailed(f"Your {what} don't follow softmax(logits / τ) at τ = {T:g}: out of {n}, got "
                      f"{_shares(counts / n, outcomes)}; expected about "
                      f"{_shares(expected, outcomes)}. Draw from "
                      "`F.softmax(logits / temperature, dim=-1)` with torch.multinomial.")


def _all_argmax(call, seed: int) -> bool:
    """True when the sampler returns the most likely letter whatever the model and the
    temperature; a sampler re-seeded at every call can't do that for all three settings."""
    flipped = one_letter_model(letter_logits=LETTER_LOGITS.flip(0))    # 'e' most likely
    for model, T, top in [(one_letter_model(), 50.0, "a"), (flipped, 1.0, "e")]:
        names, _ = _draw_many(call, model, T, seed, n=20)
        if any(name != top for name in names):
            return False
    return True


def _examine_distribution(call, T: float, seed: int) -> None:
    """N_DRAWS one-letter names at temperature T: drawn at random, with the generator, from
    softmax(logits / τ); else the mistake is named."""
    outcomes = list(LETTERS) + [OTHER]
    names, used = _draw_many(call, one_letter_model(), T, seed)
    counts = _first_token_counts(names, outcomes)
    expected = _outcome_probs(_softmax(_first_step_logits() / T), outcomes)
    if len(set(names)) == 1:
        only = names[0]
        if only == LETTERS[0] and not used and _all_argmax(call, seed):
            raise CheckFailed(
                f"All {len(names)} names are {only!r}, the most likely letter: that is greedy "
                "decoding (argmax), not sampling. Draw the token at random: "
                "`torch.multinomial(probs, 1, generator=generator)`.")
        raise CheckFailed(
            f"All {len(names)} names are {only!r}, although this model gives {only!r} "
            f"probability {expected[outcomes.index(only)]:.2f}: the draws don't vary. Don't "
            "create or re-seed a generator inside `sample_name`; use the one passed in: "
            "`torch.multinomial(probs, 1, generator=generator)`.")
    if not used:
        raise CheckFailed("Your sampler does not use the `generator` it is given, so its names "
                          "can't be reproduced: pass it to the draw, "
                          "`torch.multinomial(probs, 1, generator=generator)`.")
    _judge(counts, outcomes, expected, _temperature_candidates(T, outcomes), T,
           "names' first letters")


def _distribution_probe(temperatures, seed: int) -> Probe:
    label = (f"{N_DRAWS} one-letter names at temperature "
             + " and ".join(f"{T:g}" for T in temperatures))

    def run(call):
        for T in temperatures:
            _examine_distribution(call, T, seed)
    return Probe(label, run)


def _unk_probe(reject_unk: bool, seed: int) -> Probe:
    outcomes = list(LETTERS) + ["<UNK>", "", OTHER]
    with_unk = _outcome_probs(_softmax(_first_step_logits(unk=UNK_LOGIT)), outcomes)
    letters_only = _outcome_probs(_softmax(_first_step_logits()), outcomes)
    ended = with_unk.copy()                       # <UNK>'s share moved to the empty name
    ended[outcomes.index("")], ended[outcomes.index("<UNK>")] = with_unk[outcomes.index("<UNK>")], 0
    label = f"<UNK> likely, reject_unk={reject_unk}"

    def run(call):
        names, _ = _draw_many(call, one_letter_model(unk=True), 1.0, seed, reject_unk)
        counts = _first_token_counts(names, outcomes)
        unk, empty = int(counts[outcomes.index("<UNK>")]), int(counts[outcomes.index("")])
        if reject_unk:
            if unk:
                raise CheckFailed(f"{unk} of {len(names)} names are '<UNK>' although "
                                  "reject_unk=True: give <UNK> probability 0 before drawing "
                                  "(`logits[vocab.unk_id] = float('-inf')`), or draw again.")
            if empty and _p_value(counts, ended) >= P_MIN:
                raise CheckFailed(f"{empty} of {len(names)} names are empty: when <UNK> is drawn "
                                  "your sampler ends the name (or skips a step). Rejecting means "
                                  "drawing again, or masking <UNK> before the draw, so that the "
                                  "name goes on.")
            _judge(counts, outcomes, letters_only, [], 1.0, "letters (with <UNK> rejected)")
        else:
            if not unk:
                raise CheckFailed(f"No name is '<UNK>' with reject_unk=False, although this model "
                                  f"gives <UNK> probability "
                                  f"{with_unk[outcomes.index('<UNK>')]:.2f}: only reject <UNK> "
                                  "when `reject_unk` is True.")
            _judge(counts, outcomes, with_unk, [], 1.0, "tokens (with <UNK> allowed)")
    return Probe(label, run)


def _reproducible_probe(seed: int) -> Probe:
    def run(call):
        model = one_letter_model()
        with torch.random.fork_rng(devices=[]):        # the notebook's own random state is kept
            torch.default_generator.manual_seed(1)
            first, _ = _draw_many(call, model, 1.0, seed, n=30)
            torch.default_generator.manual_seed(2)
            again, _ = _draw_many(call, model, 1.0, seed, n=30)
            other, _ = _draw_many(call, model, 1.0, seed + 1, n=30)
        if first != again:
            raise CheckFailed("Two runs with equally seeded generators gave different names: "
                              "your draws also depend on something else (torch's global random "
                              "state?). Draw only with `generator`.")
        if first == other:
            raise CheckFailed("Differently seeded generators gave the same 30 names: the "
                              "`generator` passed in has no effect on the draws.")
    return Probe("equally seeded generators give the same names", run)


def _charlm_probe(seed: int) -> Probe:
    letters = set(RIG_VOCAB.itos[4:])

    def run(call):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = models.CharLM(len(RIG_VOCAB), hidden_size=16, cell="lstm", embedding_dim=8,
                                  backend="torch")
            with torch.no_grad():      # a trained model gives these (almost) no probability
                model.head.bias[[RIG_VOCAB.pad_id, RIG_VOCAB.bos_id]] = -BIG
        generator = torch.Generator().manual_seed(seed)
        for _ in range(20):
            name = _expect_name(call(model, RIG_VOCAB, 6, 1.0, generator, True))
            if len(_tokens(name)) > 6 or not set(_tokens(name)) <= letters:
                raise CheckFailed(f"An untrained CharLM gave {name!r}: expected at most 6 letters "
                                  f"from {''.join(sorted(letters))!r} (max_len = 6, <UNK> "
                                  "rejected, specials never in the name).")
    return Probe("an untrained CharLM (an LSTM, whose state is a pair of tensors)", run)


def _sample_probes(rng) -> list[Probe]:
    seed = int(rng.integers(1_000_000))
    return [
        _chain_probe("a model that spells 'abcde', then <EOS>", chain_model("abcde"), "abcde", 10,
                     seed),
        _chain_probe("the same model with max_len = 3", chain_model("abcde"), "abc", 3, seed),
        _chain_probe("a model that never draws <EOS> (max_len = 7)",
                     chain_model("abcdefgh", then="a"), "abcdefg", 7, seed),
        _distribution_probe([1.0], seed),
        _distribution_probe([0.5, 2.0], seed + 1),
        _unk_probe(True, seed + 2),
        _unk_probe(False, seed + 3),
        _reproducible_probe(seed + 4),
        _charlm_probe(seed + 5),
    ]


SAMPLING_HINTS = [
    (r"probability tensor contains|invalid multinomial",
     "`torch.multinomial` draws from probabilities: pass `F.softmax(logits / temperature, "
     "dim=-1)`, not the logits."),
    (r"token ids must be 1-D", "`model.step` takes a 1-D tensor with one token id per sequence: "
                               "`torch.tensor([token_id])`, shape (1,)."),
    (r"token ids must be a torch.Tensor", "`model.step` takes a tensor, not a Python number: "
                                          "`torch.tensor([token_id])`."),
    (r"must hold integer token ids", "Token ids are integers: `torch.tensor([token_id])` with an "
                                     "int (or the long tensor torch.multinomial returns)."),
    (r"test model's state", "Start from `state = None` and always pass the state that the "
                            "previous `model.step` returned."),
    (r"token ids must be 2-D", "`model(...)` reads whole (B, T) sequences; to feed one token "
                               "and carry the state, call `model.step(token, state)`."),
    (r"ids must be integer token ids", "Collect the drawn ids as Python ints, "
                                       "`ids.append(token.item())`, then `vocab.decode(ids)`."),
]

check_sample_name = PropertyCheck(
    "sample_name", reference_sample_name,
    ["model", "vocab", "max_len", "temperature", "generator", "reject_unk"],
    _sample_probes, error_hints=SAMPLING_HINTS)


# --- Exercise 3: clipping by norm ------------------------------------------------------------
def reference_clip_gradient_norm(parameters, max_norm):
    """utils.training.clip_by_norm: rescale all gradients when their global norm > max_norm."""
    return training.clip_by_norm(parameters, max_norm)


def _grads(params):
    return [p.grad for p in params if p.grad is not None]


def _global_norm(params) -> float:
    return training.gradient_norm(params)


def _scale_all(params, factor: float) -> None:
    for g in _grads(params):
        g.mul_(factor)


@torch.no_grad()
def _clip_by_value(params, max_norm):
    norm = _global_norm(params)
    training.clip_by_value(params, max_norm)
    return norm


@torch.no_grad()
def _always_rescale(params, max_norm):
    norm = _global_norm(params)
    _scale_all(params, max_norm / norm)
    return norm


@torch.no_grad()
def _per_parameter(params, max_norm):
    for p in params:
        if p.grad is not None:
            training.clip_by_norm([p], max_norm)
    return _global_norm(params)


@torch.no_grad()
def _clip_with_norm(params, max_norm, norm: float, factor=None):
    if norm > max_norm:
        _scale_all(params, max_norm / norm if factor is None else factor)
    return norm


def _no_sqrt(params, max_norm):
    return _clip_with_norm(params, max_norm, _global_norm(params) ** 2)


def _sum_of_norms(params, max_norm):
    return _clip_with_norm(params, max_norm, sum(float(g.norm()) for g in _grads(params)))


def _inverted(params, max_norm):
    norm = _global_norm(params)
    return _clip_with_norm(params, max_norm, norm, factor=norm / max_norm)


def _unit_norm(params, max_norm):
    norm = _global_norm(params)
    return _clip_with_norm(params, max_norm, norm, factor=1 / norm if norm else 1.0)


def _unchanged(params, max_norm):
    return _global_norm(params)


GRADIENT_MISTAKES = [
    Mistake("Each gradient element is clamped into [-max_norm, max_norm]: that is clipping by "
            "*value*. Clipping by norm scales every gradient by the same factor, "
            "max_norm / norm, which keeps the direction.", _clip_by_value),
    Mistake("The gradients were rescaled although their norm ({norm:.3g}) is below max_norm "
            "({max_norm:g}): clip only when norm > max_norm; small gradients stay as they are.",
            _always_rescale),
    Mistake("Each parameter's gradient is clipped by its own norm. The norm is global: one "
            "number over all parameters, sqrt(Σ_i ‖g_i‖²), and every gradient is scaled by the "
            "same factor max_norm / norm.", _per_parameter),
    Mistake("The norm misses its square root: the sum of squares is ‖g‖², not ‖g‖.", _no_sqrt),
    Mistake("The parameters' norms are added up; the global norm is sqrt(Σ_i ‖g_i‖²), the norm "
            "of all the gradients put in one long vector, not Σ_i ‖g_i‖.", _sum_of_norms),
    Mistake("The scale is upside down: multiply by max_norm / norm (less than 1), not by "
            "norm / max_norm.", _inverted),
    Mistake("The gradients are divided by the norm but not multiplied by max_norm: after "
            "clipping their norm must be max_norm, not 1.", _unit_norm),
    Mistake("The gradients were not changed, although their global norm ({norm:.3g}) exceeds "
            "max_norm ({max_norm:g}). Change them in place, `p.grad.mul_(max_norm / norm)` "
            "(`g = g * scale` only rebinds a local name); and is the comparison the right way "
            "round (clip when norm > max_norm)?", _unchanged),
]

NORM_MISTAKES = [
    (lambda norm, m: min(norm, m), "It returned the norm *after* clipping ({got:.4g}); return "
     "the norm before clipping ({norm:.4g}): the training loop records it to show how large the "
     "gradients were."),
    (lambda norm, m: m / norm if norm else math.inf, "It returned the scale factor "
     "max_norm / norm ({got:.4g}); return the norm itself ({norm:.4g})."),
    (lambda norm, m: norm ** 2, "It returned the squared norm ({got:.4g}); return its square "
     "root ({norm:.4g})."),
    (lambda norm, m: m, "It returned max_norm ({got:.4g}); return the global norm before "
                        "clipping ({norm:.4g})."),
]


def _make_params(seed: int, specs) -> list[torch.nn.Parameter]:
    """Fresh float32 parameters; specs: (shape, gradient norm or None for no gradient)."""
    rng = np.random.default_rng(seed)
    params = []
    for shape, norm in specs:
        p = torch.nn.Parameter(torch.tensor(rng.normal(size=shape), dtype=torch.float32))
        if norm is not None:
            g = rng.normal(size=shape)
            p.grad = torch.tensor(g * norm / np.linalg.norm(g), dtype=torch.float32)
        params.append(p)
    return params


def _grad_values(params):
    return [None if p.grad is None else p.grad.detach().clone() for p in params]


def _same_grads(a, b, rtol=1e-5, atol=1e-6) -> bool:
    return all((x is None and y is None) or (x is not None and y is not None
                                              and torch.allclose(x, y, rtol=rtol, atol=atol))
               for x, y in zip(a, b))


def _returned_norm(got) -> float:
    if isinstance(got, torch.Tensor):
        if got.numel() == 1:
            raise CheckFailed("`clip_gradient_norm` returned a tensor; return a Python number: "
                              "`float(norm)` or `norm.item()`.")
        raise CheckFailed(f"`clip_gradient_norm` returned a tensor of shape {tuple(got.shape)}; "
                          "return one number, the global norm before clipping.")
    if isinstance(got, (list, tuple)):
        raise CheckFailed(f"`clip_gradient_norm` returned a {type(got).__name__} of {len(got)} "
                          "values; return one number: the global norm of all the gradients "
                          "before clipping.")
    if isinstance(got, bool) or not isinstance(got, (int, float, np.floating, np.integer)):
        raise CheckFailed(f"`clip_gradient_norm` returned a {type(got).__name__}; expected a "
                          "number, the global norm before clipping.")
    return float(got)


def _examine_gradients(params, values, after, expected, norm, max_norm) -> None:
    """The parameters untouched, no gradient added or removed, no NaN."""
    if not all(torch.equal(p.detach(), v) for p, v in zip(params, values)):
        raise CheckFailed("The parameters themselves changed: clipping scales the gradients "
                          "`p.grad`, not the parameters `p` (or `p.data`).")
    if any(a is not None and e is None for a, e in zip(after, expected)):
        raise CheckFailed("A parameter that had no gradient (`p.grad` was None) has one now: "
                          "skip such parameters and leave them as they are.")
    if any(a is None and e is not None for a, e in zip(after, expected)):
        raise CheckFailed("A gradient was removed (`p.grad` is None now): scale the "
                          "gradients, don't delete them.")
    if any(not torch.isfinite(a).all() for a in after if a is not None):
        raise CheckFailed(f"The gradients contain NaN or inf after clipping (their norm was "
                          f"{norm:.3g}): dividing by a norm of 0? Only scale when "
                          "norm > max_norm.")


def _explain_gradients(make, params, after, expected, norm, max_norm, as_generator) -> None:
    """Wrong clipped gradients: name the known mistake that gives them, if any."""
    if as_generator and _same_grads(after, _grad_values(make())):
        raise CheckFailed(
            "The gradients were not changed when `parameters` came as a generator, as "
            "`model.parameters()` does: a generator can be looped over only once, so "
            "your second loop saw nothing. Make a list first: "
            "`grads = [p.grad for p in parameters if p.grad is not None]`.")
    for mistake in GRADIENT_MISTAKES:
        variant = make()
        mistake.variant(variant, max_norm)
        grads = _grad_values(variant)
        if (not _same_grads(grads, expected) and _same_grads(after, grads)
                and all(g is None or torch.isfinite(g).all() for g in grads)):
            raise CheckFailed(mistake.description.format(norm=norm, max_norm=max_norm))
    got_norm = _global_norm([p for p in params if p.grad is not None])
    raise CheckFailed(f"The gradients after clipping are wrong: their global norm is "
                      f"{got_norm:.4g}, expected {min(norm, max_norm):.4g} (the norm was "
                      f"{norm:.4g}, max_norm {max_norm:g}). Scale every gradient by the "
                      "same factor, max_norm / norm, only when norm > max_norm.")


def _explain_norm(returned: float, norm: float, max_norm: float) -> None:
    close = lambda a, b: math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-6)  # noqa: E731
    if close(returned, norm):
        return
    for wrong, text in NORM_MISTAKES:
        value = wrong(norm, max_norm)
        if not close(value, norm) and close(returned, value):
            raise CheckFailed(text.format(got=returned, norm=norm))
    raise CheckFailed(f"It returned {returned:.6g}; expected the global norm of the "
                      f"gradients before clipping, {norm:.6g}, "
                      "sqrt(Σ over every parameter of its gradient's squared entries).")


def _clip_probe(label: str, specs, max_norm: float, seed: int,
                as_generator: bool = False) -> Probe:
    """Fresh parameters with gradients of the norms in specs, clipped by the learner and
    by the reference (on identical twins); then the comparison."""
    def make():
        return _make_params(seed, specs)

    def run(call):
        params = make()
        values = [p.detach().clone() for p in params]
        got = call((p for p in params) if as_generator else list(params), max_norm)
        after = _grad_values(params)
        reference = make()
        norm = reference_clip_gradient_norm(reference, max_norm)
        expected = _grad_values(reference)
        _examine_gradients(params, values, after, expected, norm, max_norm)
        if not _same_grads(after, expected):
            _explain_gradients(make, params, after, expected, norm, max_norm, as_generator)
        _explain_norm(_returned_norm(got), norm, max_norm)
    return Probe(label, run)


def _clip_probes(rng) -> list[Probe]:
    seed = int(rng.integers(1_000_000))
    return [
        _clip_probe("large gradients, parameters of three shapes",
                    [((4, 3), 8.0), ((3,), 3.0), ((2, 2, 2), 6.0)], 1.0, seed),
        _clip_probe("small gradients (norm below max_norm)",
                    [((4, 3), 0.3), ((3,), 0.2)], 2.0, seed + 1),
        _clip_probe("one parameter's gradient dominates",
                    [((5,), 8.0), ((3, 3), 0.5)], 1.5, seed + 2),
        _clip_probe("a parameter without a gradient (grad is None)",
                    [((3, 2), 4.0), ((4,), None), ((2,), 2.0)], 1.0, seed + 3),
        _clip_probe("parameters given as a generator, like model.parameters()",
                    [((6,), 5.0), ((2, 3), 3.0)], 1.0, seed + 4, as_generator=True),
        _clip_probe("gradients that are all zero", [((3,), 0.0), ((2, 2), 0.0)], 1.0, seed + 5),
    ]


CLIPPING_HINTS = [
    (r"NoneType", "Some parameters have no gradient (`p.grad` is None, e.g. a layer the loss "
                  "doesn't use): skip them, `if p.grad is not None`."),
    (r"generator", "`parameters` may be a generator, like `model.parameters()`: it has no "
                   "length, can't be indexed, and can be looped over only once. Make a list "
                   "first: `grads = [p.grad for p in parameters if p.grad is not None]`."),
]

check_clip_gradient_norm = PropertyCheck(
    "clip_gradient_norm", reference_clip_gradient_norm, ["parameters", "max_norm"],
    _clip_probes, error_hints=CLIPPING_HINTS)


# --- Exercise 4: novelty ---------------------------------------------------------------------
def reference_novelty(samples, known_names):
    """The fraction of samples (repeats counted) that are not in known_names."""
    known = set(known_names)
    return sum(s not in known for s in samples) / len(samples)


NOVELTY_CASES = [
    (["anna", "zed", "anna", "bo", "mira", "zed"], ["anna", "mira", "tom", "bo", "eve"],
     "repeated samples"),
    (["ann", "ella", "lia", "ann", "oscar"], ["anna", "ella", "bella", "amelia", "oscar"],
     "samples that are parts of known names"),
    (["", "kim", "li"], ["kim", "liam", "noah"], "an empty name among the samples"),
    (["max", "max", "max"], ["max"], "every sample known"),
    (["ada"], ["bea", "cy"], "one sample, a new name"),
    (["mia", "leo", "mia", "ivy", "noa", "leo"], ["mia", "ivy", "sam", "ada", "eli"],
     "the lengths of case 1 again, other names"),
]


def _novelty_cases(rng) -> list[Case]:
    return [Case({"samples": list(s), "known_names": list(k)}, {}, label)
            for s, k, label in NOVELTY_CASES]


# The answer is a number: a Python float (what `/` gives), an int (0 or 1 when right) or a
# numpy number are all accepted; `//` (integer division) is named.
check_novelty = Check(
    "novelty", reference_novelty, _novelty_cases, output_names="novelty",
    mistakes=[
        Mistake("that is the fraction of samples that ARE known; novelty is the fraction that "
                "are not.", lambda s, k: 1 - reference_novelty(s, k)),
        Mistake("that is a count; return a fraction: divide by the number of samples.",
                lambda s, k: sum(x not in set(k) for x in s)),
        Mistake("that is a percentage; return a fraction between 0 and 1.",
                lambda s, k: 100 * reference_novelty(s, k)),
        Mistake("repeated samples are counted once: count every sample (a name drawn twice "
                "counts twice), over `len(samples)`.",
                lambda s, k: reference_novelty(sorted(set(s)), k)),
        Mistake("the distinct new names are divided by all samples: count every new sample, "
                "repeats included.", lambda s, k: len(set(s) - set(k)) / len(s)),
        Mistake("a sample counts as known when it is *part of* a known name (e.g. 'ann' in "
                "'anna'): compare whole names, `name in set(known_names)`, not substrings.",
                lambda s, k: sum(not any(x in n for n in k) for x in s) / len(s)),
        Mistake("that is integer division: `//` rounds the fraction down to 0 (or 1). Divide "
                "with `/`, which gives a float.",
                lambda s, k: sum(x not in set(k) for x in s) // len(s)),
    ],
)


# --- Exercise 5: log-likelihood per character -----------------------------------------------
def reference_log_likelihood_per_char(model, vocab, names):
    """Total log-probability of the names (each with its <EOS>) / number of predicted tokens."""
    total = sampling.sequence_log_likelihood(model, vocab, names).double().sum()
    return float(total) / sum(len(vocab.encode(n)) + 1 for n in names)


def _log_probs(model, vocab, names):
    """Per name, the log-probability of each target (its characters, then <EOS>)."""
    out = []
    with torch.no_grad():
        for name in names:
            ids = vocab.encode(name, bos=True, eos=True)
            logits, _ = model(torch.tensor([ids[:-1]]))
            logp = F.log_softmax(logits[0].double(), dim=-1)
            out.append(logp[torch.arange(len(ids) - 1), torch.tensor(ids[1:])].numpy())
    return out


def _without_eos(model, vocab, names):
    parts = [lp[:-1] for lp in _log_probs(model, vocab, names)]
    return float(sum(p.sum() for p in parts) / sum(len(p) for p in parts))


def _mean_of_means(model, vocab, names):
    return float(np.mean([lp.mean() for lp in _log_probs(model, vocab, names)]))


def _per_name(model, vocab, names):
    return float(np.mean([lp.sum() for lp in _log_probs(model, vocab, names)]))


def _padded(model, vocab, names):
    inputs, targets = data.sequence_pairs(names, vocab)
    with torch.no_grad():
        logp = F.log_softmax(model(inputs)[0].double(), dim=-1)
    return float(logp.gather(-1, targets[..., None]).mean())


def _no_bos(model, vocab, names):
    total, count = 0.0, 0
    with torch.no_grad():
        for name in names:
            ids = vocab.encode(name, eos=True)
            if len(ids) < 2:
                continue
            logits, _ = model(torch.tensor([ids[:-1]]))
            logp = F.log_softmax(logits[0].double(), dim=-1)
            total += float(logp[torch.arange(len(ids) - 1), torch.tensor(ids[1:])].sum())
            count += len(ids) - 1
    return total / count


def _tiny_model(seed: int, cell: str, vocab_size: int, hidden: int, embedding):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = models.CharLM(vocab_size, hidden_size=hidden, cell=cell,
                              embedding_dim=embedding, backend="torch")
        with torch.no_grad():                     # sharper than an untrained model's outputs
            model.head.weight.mul_(4.0)
    return model


def _likelihood_cases(rng) -> list[Case]:
    vocab = data.Vocab(list("abcde"))
    seed = int(rng.integers(1_000_000))
    specs = [
        ("names of different lengths, an RNN", "rnn", 8, None,
         ["a", "abcab", "ba", "cabbacabed", "eddie"]),
        ("one name", "rnn", 8, None, ["deed"]),
        ("an LSTM with an embedding", "lstm", 12, 6, ["bead", "cab", "abacadae", "e", "decade"]),
    ]
    return [Case({"model": _tiny_model(seed + i, cell, len(vocab), hidden, embedding),
                  "vocab": vocab, "names": names}, {}, label)
            for i, (label, cell, hidden, embedding, names) in enumerate(specs)]


# The answer is a Python float (or a numpy float); a 0-d torch tensor is named and rejected:
# `total += picked.sum()` without `.item()` keeps every name's computation graph alive.
TENSOR_RESULT = ("`log-likelihood per character` is an array of shape (); expected a single "
                 "number. Sum it to one value, or use `float(...)`.")
check_log_likelihood_per_char = HintedCheck(
    "log_likelihood_per_char", reference_log_likelihood_per_char,
    again_with_new_values(_likelihood_cases, "names of different lengths again, another model"),
    output_names="log-likelihood per character", rtol=1e-5, atol=1e-6,
    renames={TENSOR_RESULT: "The result is a 0-d torch tensor; expected a single number, a "
                            "Python float: "
                            "`total.item()` or `float(total)` (and add up `picked.sum().item()`, "
                            "so that no name's computation graph is kept alive)."},
    mistakes=[
        Mistake("the <EOS> at the end of each name is left out. The model also predicts where a "
                "name ends: the targets are the characters *and* <EOS>, "
                "`vocab.encode(name, bos=True, eos=True)`.", _without_eos),
        Mistake("the names' own averages are averaged, so a short name weighs as much as a long "
                "one. Pool instead: the sum of all log-probabilities over the number of all "
                "predicted tokens.", _mean_of_means),
        Mistake("that is the average log-likelihood per *name*; divide by the number of "
                "predicted tokens (characters + <EOS>), not by the number of names.", _per_name),
        Mistake("the <PAD> positions of a padded batch are counted: only the real targets "
                "(characters and <EOS>) count.", _padded),
        Mistake("the first character is not scored: start every name with <BOS> so the model "
                "predicts the first character too.", _no_bos),
        Mistake("it has the wrong sign: a log-likelihood is negative (the log of a probability); "
                "that is the loss, its negative.",
                lambda *a: -reference_log_likelihood_per_char(*a)),
        Mistake("it is in bits (log base 2); use the natural log (nats), like the training loss.",
                lambda *a: reference_log_likelihood_per_char(*a) / math.log(2)),
    ],
)

with_edges(check_sample_name, time_limit_s=10.0,
           slow_tip="The check draws about 3,000 names of at most 10 letters from tiny test "
                    "models: a sampler should need well under a millisecond per letter.")
CHECKS = {check.name: with_edges(check) for check in (
    check_build_vocab, check_sample_name, check_clip_gradient_norm, check_novelty,
    check_log_likelihood_per_char)}
