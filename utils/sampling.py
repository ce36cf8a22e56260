"""Sampling novel sequences from a trained language model, one token at a time.

The model is run statefully: each new token is fed back as the next input together
with the carried state (``model.step``); the prefix is never re-read.

Sampling must start the way training did. A model trained on whole sequences that begin
with ``<BOS>`` (names) is sampled from ``<BOS>`` (``bos=True``, the default). A model
trained on windows cut from the middle of a long text (Shakespeare) never saw ``<BOS>``:
its embedding row for it was never trained. Sample it with ``bos=False`` and a prompt:
the prompt's first token is then the first input, at a zero state, as at the start of
every training window.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F

from .data import Vocab, sequence_pairs
from .training import eval_mode, model_device
from .validate import expect_positive_int, expect_positive_number, expect_tensor

MAX_SAMPLES = 100_000
"""Largest ``n`` and ``max_len`` that ``sample`` accepts: beyond it, a typo, not a request."""


def _expect_top_k(top_k):
    return None if top_k is None else expect_positive_int(top_k, "top_k")


def next_token_distribution(logits: torch.Tensor, temperature: float = 1.0,
                            top_k: int | None = None) -> torch.Tensor:
    """softmax(logits / temperature), optionally keeping only the top_k tokens. (B, K) -> (B, K).

    Temperature divides the logits BEFORE the softmax: below 1 sharpens, above 1 flattens.
    The largest logit is subtracted first (the softmax does not change), so a tiny temperature
    such as 1e-50 does not overflow: it puts all the probability on the argmax, as greedy does.
    top_k larger than K keeps every token. Logits may be -inf (a banned token), never NaN or
    +inf, and every row needs at least one finite logit.
    """
    expect_tensor(logits, "logits", ndim=(1, 2), floating=True)
    temperature = expect_positive_number(temperature, "temperature")
    top_k = _expect_top_k(top_k)
    if logits.shape[-1] == 0:
        raise ValueError(f"logits must hold at least one token, got shape {tuple(logits.shape)}")
    if torch.isnan(logits).any() or torch.isposinf(logits).any():
        raise ValueError("logits must not hold NaN or +inf (did the model's weights diverge?), "
                         f"got {int(torch.isnan(logits).sum())} NaN and "
                         f"{int(torch.isposinf(logits).sum())} +inf values")
    top = logits.max(dim=-1, keepdim=True).values
    if torch.isneginf(top).any():
        raise ValueError("every token of a row has logit -inf (all banned): nothing can be drawn")
    dtype = logits.dtype
    # float64, so that a temperature below float32's range (1e-50) is not rounded to 0
    logits = (logits.double() - top.double()) / temperature   # max 0, no overflow; -inf stays
    if top_k is not None:
        kth = torch.topk(logits, min(top_k, logits.shape[-1]), dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return F.softmax(logits, dim=-1).to(dtype)


def check_model_and_vocab(model, vocab) -> None:
    """The vocabulary must be a Vocab whose size matches the model's output (if it declares one)."""
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be a utils.data.Vocab, got {type(vocab).__name__}")
    size = getattr(model, "vocab_size", None)
    if size is not None and size != len(vocab):
        raise ValueError(f"the model predicts {size} tokens but the vocabulary has {len(vocab)}: "
                         "sample with the vocabulary the model was built for")
    if not callable(getattr(model, "step", None)):
        raise TypeError(f"model must have a step(idx_t, state) method, got {type(model).__name__}")


def sample(model, vocab: Vocab, n: int = 1, prompt: str = "", max_len: int = 100,
           temperature: float = 1.0, greedy: bool = False, top_k: int | None = None,
           reject_unk: bool = True, stop_at_eos: bool = True,
           generator: torch.Generator | None = None, bos: bool = True) -> list[str]:
    """Generate ``n`` continuations of ``prompt`` (the prompt is not repeated in the output).

    Starts from a zero state and <BOS>, feeds the prompt one token at a time, then draws
    each next token from the softmax (or takes the argmax when greedy), feeds it back,
    and stops at <EOS> (if stop_at_eos) or after max_len new tokens. With reject_unk the
    special tokens <PAD>, <BOS> and <UNK> get probability 0, so they are never drawn.

    bos: True for a model trained on sequences that begin with <BOS> (names); False for a
        model trained on windows cut from a long text, which never saw <BOS>: sampling
        then starts at the zero state with the prompt's first token, as every training
        window did, so the prompt must not be empty.
    """
    check_model_and_vocab(model, vocab)
    n = expect_positive_int(n, "n")
    max_len = expect_positive_int(max_len, "max_len")
    for value, name in ((n, "n"), (max_len, "max_len")):
        if value > MAX_SAMPLES:
            raise ValueError(f"{name} must be at most {MAX_SAMPLES:,} (sampling one token at a "
                             f"time would run for a very long time), got {value:,}")
    temperature = expect_positive_number(temperature, "temperature")
    top_k = _expect_top_k(top_k)
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a string, got {type(prompt).__name__}")
    for flag, name in ((bos, "bos"), (greedy, "greedy"), (reject_unk, "reject_unk"),
                       (stop_at_eos, "stop_at_eos")):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    if not bos and not prompt:
        raise ValueError("with bos=False the first input is the prompt's first token: give a "
                         "prompt the model has seen in training, e.g. prompt='\\n' or 'ROMEO:\\n'")
    with eval_mode(model):
        return _sample(model, vocab, n, prompt, max_len, temperature, greedy, top_k, reject_unk,
                       stop_at_eos, generator, bos)


def _sample(model, vocab, n, prompt, max_len, temperature, greedy, top_k, reject_unk,
            stop_at_eos, generator, bos) -> list[str]:
    device = model_device(model)
    state = None                                      # the zero state
    for token_id in vocab.encode(prompt, bos=bos):    # <BOS> first only when bos=True
        logits, state = model.step(torch.full((n,), token_id, dtype=torch.long, device=device), state)
    banned = [vocab.pad_id, vocab.bos_id] + ([vocab.unk_id] if reject_unk else [])
    out = [[] for _ in range(n)]
    finished = torch.zeros(n, dtype=torch.bool, device=device)
    for i in range(max_len):
        logits = logits.clone()
        logits[:, banned] = float("-inf")
        if not stop_at_eos:
            logits[:, vocab.eos_id] = float("-inf")
        if torch.isnan(logits).any():
            raise ValueError("the model returned NaN logits (did its weights diverge?): "
                             "nothing can be sampled")
        if greedy:
            tokens = logits.argmax(dim=-1)
        else:
            probs = next_token_distribution(logits.float().cpu(), temperature, top_k)
            tokens = torch.multinomial(probs, 1, generator=generator).squeeze(1).to(device)
        for row, tok in enumerate(tokens.tolist()):
            if not finished[row]:
                out[row].append(tok)
        finished |= tokens == vocab.eos_id
        if (stop_at_eos and bool(finished.all())) or i == max_len - 1:
            break  # no model.step for a token that nothing will follow
        logits, state = model.step(tokens, state)
    return [vocab.decode(seq) for seq in out]


def sequence_log_likelihood(model, vocab: Vocab, texts: list[str]) -> torch.Tensor:
    """log P(text + <EOS> | <BOS>) under the model, in nats, for each text. -> (N,)"""
    check_model_and_vocab(model, vocab)
    if isinstance(texts, str) or not isinstance(texts, (list, tuple)):
        raise TypeError(f"texts must be a list of strings, got {type(texts).__name__}")
    if not texts:
        raise ValueError("texts must hold at least one text, got an empty list")
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"every text must be a string, got {type(text).__name__}")
    device = model_device(model)
    inputs, targets = (t.to(device) for t in sequence_pairs(texts, vocab))
    with eval_mode(model):
        logits, _ = model(inputs)                                          # (N, T, K)
    logp = torch.log_softmax(logits.float(), dim=-1).gather(-1, targets[..., None])[..., 0]
    return (logp * (targets != vocab.pad_id)).sum(dim=1).cpu()
