"""Typical wrong answers to Lab 2's exercises, written the way learners write them.

Each answer is registered with the exercise it answers and the words its check message
must contain (case-insensitive), so tests/test_lab2_checks.py can assert that the check
rejects it AND names the mistake.
"""
import math
import string

import torch
from torch.nn import functional as F

from utils import data

WRONG_ANSWERS = []   # (exercise, function, words the message must contain)
SPECIALS = ["<PAD>", "<BOS>", "<EOS>", "<UNK>"]


def wrong(exercise, *words):
    def register(fn):
        WRONG_ANSWERS.append((exercise, fn, words))
        return fn
    return register


def _tables(itos):
    return {t: i for i, t in enumerate(itos)}, itos


# --- Exercise 1: build_vocab -----------------------------------------------------------------
@wrong("build_vocab", "special tokens are missing")
def vocab_without_specials(names):
    return _tables(sorted(set("".join(names))))


@wrong("build_vocab", "special tokens come last")
def vocab_specials_last(names):
    return _tables(sorted(set("".join(names))) + SPECIALS)


@wrong("build_vocab", "lacks", "'<UNK>'")
def vocab_without_unk(names):
    return _tables(["<PAD>", "<BOS>", "<EOS>"] + sorted(set("".join(names))))


@wrong("build_vocab", "not in sorted order", "set")
def vocab_first_appearance_order(names):
    return _tables(SPECIALS + list(dict.fromkeys("".join(names))))


@wrong("build_vocab", "which no name contains", "fixed alphabet")
def vocab_fixed_alphabet(names):
    return _tables(SPECIALS + list(string.ascii_lowercase))


@wrong("build_vocab", "missing", "lower-case")
def vocab_lower_cased(names):
    return _tables(SPECIALS + sorted(set("".join(names).lower())))


@wrong("build_vocab", "more than once", "set")
def vocab_with_repeats(names):
    return _tables(SPECIALS + sorted("".join(names)))


@wrong("build_vocab", "whole names")
def vocab_of_names(names):
    return _tables(SPECIALS + sorted(set(names)))


@wrong("build_vocab", "numbers the characters from 0")
def vocab_stoi_counts_from_zero(names):
    chars = sorted(set("".join(names)))
    stoi = {token: i for i, token in enumerate(SPECIALS)}
    stoi.update({ch: i for i, ch in enumerate(chars)})
    return stoi, SPECIALS + chars


@wrong("build_vocab", "no entry for", "special tokens too")
def vocab_stoi_without_specials(names):
    chars = sorted(set("".join(names)))
    return {ch: i + 4 for i, ch in enumerate(chars)}, SPECIALS + chars


@wrong("build_vocab", "disagree", "round trip", "inverse")
def vocab_stoi_reversed(names):
    itos = SPECIALS + sorted(set("".join(names)))
    return {t: len(itos) - 1 - i for i, t in enumerate(itos)}, itos


@wrong("build_vocab", "changed its input `names` in place")
def vocab_sorts_the_input(names):
    names.sort()
    return _tables(SPECIALS + sorted(set("".join(names))))


@wrong("build_vocab", "wrong order", "return stoi, itos")
def vocab_returned_in_the_wrong_order(names):
    stoi, itos = _tables(SPECIALS + sorted(set("".join(names))))
    return itos, stoi


@wrong("build_vocab", "one dict", "return stoi, itos")
def vocab_returns_only_stoi(names):
    return _tables(SPECIALS + sorted(set("".join(names))))[0]


# --- Exercise 2: sample_name -----------------------------------------------------------------
def _sampler(model, vocab, max_len, temperature, generator, reject_unk=True, *,
             feed_back=True, draw="sample", temp="divide", stop_at_eos=True, loop="max_len",
             unk="mask", carry_state=True, refeed=False, start=None, use_generator=True,
             reseed=False, decode="vocab", keep_eos=False, skip_unk_flag=False):
    """One sampler with switches for the mistakes learners make."""
    if reseed:
        torch.manual_seed(0)
    start_id = vocab.bos_id if start is None else start
    token, state, ids = torch.tensor([start_id]), None, []
    steps = range(max_len) if loop == "max_len" else (
        range(max_len - 1) if loop == "short" else iter(int, 1))   # iter(int, 1): forever
    for _ in steps:
        if refeed:
            logits, _ = model(torch.tensor([[start_id] + ids]))
            logits = logits[:, -1]
        else:
            logits, new_state = model.step(token, state if carry_state else None)
            state = new_state
        logits = logits[0]
        if (reject_unk or skip_unk_flag) and unk == "mask":
            logits = logits.clone()
            logits[vocab.unk_id] = float("-inf")
        if temp == "divide":
            probs = F.softmax(logits / temperature, dim=-1)
        elif temp == "multiply":
            probs = F.softmax(logits * temperature, dim=-1)
        elif temp == "after_softmax":
            probs = F.softmax(logits, dim=-1) / temperature
            probs = probs / probs.sum()
        elif temp == "softmax_twice":
            probs = F.softmax(F.softmax(logits, dim=-1) / temperature, dim=-1)
        elif temp == "logits":
            probs = logits / temperature
        if draw == "argmax":
            next_id = probs.argmax().view(1)
        elif use_generator:
            next_id = torch.multinomial(probs, 1, generator=generator)
        else:
            next_id = torch.multinomial(probs, 1)
        if reject_unk and unk == "end" and next_id.item() == vocab.unk_id:
            break
        if stop_at_eos and next_id.item() == vocab.eos_id:
            if keep_eos:
                ids.append(next_id.item())
            break
        ids.append(next_id.item())
        if feed_back:
            token = next_id
    if decode == "ids":
        return ids
    if decode == "itos":
        return "".join(vocab.itos[i] for i in ids)
    return vocab.decode(ids)


@wrong("sample_name", "never fed back", "<BOS>")
def sample_always_feeds_bos(model, vocab, max_len, temperature, generator, reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk, feed_back=False)


@wrong("sample_name", "argmax", "greedy")
def sample_argmax(model, vocab, max_len, temperature, generator, reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk, draw="argmax")


@wrong("sample_name", "temperature has no effect", "logits")
def sample_temperature_after_softmax(model, vocab, max_len, temperature, generator,
                                     reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk,
                    temp="after_softmax")


@wrong("sample_name", "wrong way round")
def sample_temperature_multiplies(model, vocab, max_len, temperature, generator,
                                  reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk, temp="multiply")


@wrong("sample_name", "softmax is applied twice")
def sample_softmax_twice(model, vocab, max_len, temperature, generator, reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk,
                    temp="softmax_twice")


@wrong("sample_name", "keeps going after <EOS>")
def sample_no_eos_stop(model, vocab, max_len, temperature, generator, reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk, stop_at_eos=False)


@wrong("sample_name", "at most max_len characters", "even when <EOS> hasn't come")
def sample_ignores_max_len(model, vocab, max_len, temperature, generator, reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk, loop="forever")


@wrong("sample_name", "one character short", "max_len")
def sample_one_short(model, vocab, max_len, temperature, generator, reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk, loop="short")


@wrong("sample_name", "'<UNK>'", "reject_unk=True")
def sample_keeps_unk(model, vocab, max_len, temperature, generator, reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk, unk="keep")


@wrong("sample_name", "empty", "ends the name", "draw")
def sample_unk_ends_the_name(model, vocab, max_len, temperature, generator, reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk, unk="end")


@wrong("sample_name", "reject_unk=False", "only reject <UNK> when")
def sample_always_rejects_unk(model, vocab, max_len, temperature, generator, reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk,
                    skip_unk_flag=True)


@wrong("sample_name", "re-reads the whole name", "model.step(token, state)")
def sample_refeeds_the_prefix(model, vocab, max_len, temperature, generator, reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk, refeed=True)


@wrong("sample_name", "re-reads the whole name")
def sample_refeeds_the_prefix_step_by_step(model, vocab, max_len, temperature, generator,
                                           reject_unk=True):
    ids = []
    for _ in range(max_len):
        state = None
        for token_id in [vocab.bos_id] + ids:            # the whole prefix, from scratch
            logits, state = model.step(torch.tensor([token_id]), state)
        probs = F.softmax(logits[0] / temperature, dim=-1)
        probs[vocab.unk_id] = 0.0
        next_id = torch.multinomial(probs, 1, generator=generator).item()
        if next_id == vocab.eos_id:
            break
        ids.append(next_id)
    return vocab.decode(ids)


@wrong("sample_name", "state is not carried", "model.step(token, state)")
def sample_forgets_the_state(model, vocab, max_len, temperature, generator, reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk, carry_state=False)


@wrong("sample_name", "does not use the `generator`")
def sample_global_random_state(model, vocab, max_len, temperature, generator, reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk,
                    use_generator=False)


@wrong("sample_name", "don't vary", "re-seed")
def sample_reseeds(model, vocab, max_len, temperature, generator, reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk, reseed=True,
                    use_generator=False)


@wrong("sample_name", "don't vary", "re-seed")
def sample_makes_its_own_generator(model, vocab, max_len, temperature, generator,
                                   reject_unk=True):
    generator = torch.Generator().manual_seed(0)
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk)


@wrong("sample_name", "first input", "<BOS>")
def sample_starts_from_pad(model, vocab, max_len, temperature, generator, reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk, start=0)


@wrong("sample_name", "list", "vocab.decode")
def sample_returns_ids(model, vocab, max_len, temperature, generator, reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk, decode="ids")


@wrong("sample_name", "<EOS>", "without adding it")
def sample_keeps_eos(model, vocab, max_len, temperature, generator, reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk, keep_eos=True,
                    decode="itos")


@wrong("sample_name", "RuntimeError", "F.softmax")
def sample_from_logits(model, vocab, max_len, temperature, generator, reject_unk=True):
    return _sampler(model, vocab, max_len, temperature, generator, reject_unk, temp="logits")


@wrong("sample_name", "must be a torch.Tensor", "torch.tensor([token_id])")
def sample_passes_an_int(model, vocab, max_len, temperature, generator, reject_unk=True):
    logits, state = model.step(vocab.bos_id)
    return ""


@wrong("sample_name", "1-D", "shape (1,)")
def sample_passes_a_scalar_tensor(model, vocab, max_len, temperature, generator,
                                  reject_unk=True):
    token, state, ids = torch.tensor(vocab.bos_id), None, []
    for _ in range(max_len):
        logits, state = model.step(token, state)
        token = torch.multinomial(F.softmax(logits[0] / temperature, -1), 1, generator=generator)[0]
        if token.item() == vocab.eos_id:
            break
        ids.append(token.item())
    return vocab.decode(ids)


@wrong("sample_name", "TypeError", "token.item()")
def sample_collects_tensors(model, vocab, max_len, temperature, generator, reject_unk=True):
    token, state, ids = torch.tensor([vocab.bos_id]), None, []
    for _ in range(max_len):
        logits, state = model.step(token, state)
        token = torch.multinomial(F.softmax(logits[0] / temperature, -1), 1, generator=generator)
        if token == vocab.eos_id:
            break
        ids.append(token)
    return vocab.decode(ids)


@wrong("sample_name", "2-D", "model.step(token, state)")
def sample_calls_the_model_on_one_token(model, vocab, max_len, temperature, generator,
                                        reject_unk=True):
    logits, state = model(torch.tensor([vocab.bos_id]))
    return ""


# --- Exercise 3: clip_gradient_norm --------------------------------------------------------------
def _norm(grads):
    return float(sum((g ** 2).sum() for g in grads)) ** 0.5


@wrong("clip_gradient_norm", "clipping by *value*", "direction")
def clip_each_element(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    norm = _norm(grads)
    for g in grads:
        g.clamp_(-max_norm, max_norm)
    return norm


@wrong("clip_gradient_norm", "below max_norm", "small gradients stay")
def clip_always_rescales(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    norm = _norm(grads)
    for g in grads:
        g.mul_(max_norm / (norm + 1e-6))
    return norm


@wrong("clip_gradient_norm", "its own norm", "global")
def clip_per_parameter(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    for g in grads:
        n = float(g.norm())
        if n > max_norm:
            g.mul_(max_norm / n)
    return _norm(grads)


@wrong("clip_gradient_norm", "after* clipping", "before")
def clip_returns_the_norm_after(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    norm = _norm(grads)
    if norm > max_norm:
        for g in grads:
            g.mul_(max_norm / norm)
    return _norm(grads)


@wrong("clip_gradient_norm", "scale factor")
def clip_returns_the_scale(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    norm = _norm(grads)
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    for g in grads:
        g.mul_(scale)
    return scale


@wrong("clip_gradient_norm", "NoneType", "skip them")
def clip_crashes_on_missing_grads(parameters, max_norm):
    params = list(parameters)
    norm = float(sum((p.grad ** 2).sum() for p in params)) ** 0.5
    if norm > max_norm:
        for p in params:
            p.grad.mul_(max_norm / norm)
    return norm


@wrong("clip_gradient_norm", "generator", "looped over only once")
def clip_loops_twice_over_parameters(parameters, max_norm):
    norm = float(sum((p.grad ** 2).sum() for p in parameters if p.grad is not None)) ** 0.5
    if norm > max_norm:
        for p in parameters:
            if p.grad is not None:
                p.grad.mul_(max_norm / norm)
    return norm


@wrong("clip_gradient_norm", "not changed", "in place")
def clip_rebinds_a_local_name(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    norm = _norm(grads)
    if norm > max_norm:
        for g in grads:
            g = g * (max_norm / norm)       # noqa: F841  (a new tensor, then dropped)
    return norm


@wrong("clip_gradient_norm", "not changed", "comparison")
def clip_comparison_reversed(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    norm = _norm(grads)
    if norm < max_norm:
        for g in grads:
            g.mul_(max_norm / norm)
    return norm


@wrong("clip_gradient_norm", "square root")
def clip_without_sqrt(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    norm = float(sum((g ** 2).sum() for g in grads))
    if norm > max_norm:
        for g in grads:
            g.mul_(max_norm / norm)
    return norm


@wrong("clip_gradient_norm", "added up", "sqrt")
def clip_sum_of_norms(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    norm = sum(float(g.norm()) for g in grads)
    if norm > max_norm:
        for g in grads:
            g.mul_(max_norm / norm)
    return norm


@wrong("clip_gradient_norm", "upside down")
def clip_inverted_scale(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    norm = _norm(grads)
    if norm > max_norm:
        for g in grads:
            g.mul_(norm / max_norm)
    return norm


@wrong("clip_gradient_norm", "returned a tensor", ".item()")
def clip_returns_a_tensor(parameters, max_norm):
    return torch.nn.utils.clip_grad_norm_(list(parameters), max_norm)


@wrong("clip_gradient_norm", "parameters themselves changed")
def clip_scales_the_parameters(parameters, max_norm):
    params = [p for p in parameters if p.grad is not None]
    norm = _norm([p.grad for p in params])
    if norm > max_norm:
        for p in params:
            p.data.mul_(max_norm / norm)
    return norm


# --- Exercise 4: novelty ---------------------------------------------------------------------
@wrong("novelty", "ARE known")
def novelty_inverted(samples, known_names):
    return sum(s in set(known_names) for s in samples) / len(samples)


@wrong("novelty", "count", "fraction")
def novelty_count(samples, known_names):
    return sum(s not in known_names for s in samples)


@wrong("novelty", "percentage")
def novelty_percent(samples, known_names):
    return 100 * sum(s not in known_names for s in samples) / len(samples)


@wrong("novelty", "counted once", "twice")
def novelty_of_distinct_samples(samples, known_names):
    distinct = set(samples)
    return len(distinct - set(known_names)) / len(distinct)


@wrong("novelty", "distinct new names")
def novelty_distinct_over_all(samples, known_names):
    return len(set(samples) - set(known_names)) / len(samples)


@wrong("novelty", "part of", "substrings")
def novelty_by_substring(samples, known_names):
    everything = " ".join(known_names)
    return sum(s not in everything for s in samples) / len(samples)


# --- Exercise 5: log_likelihood_per_char -----------------------------------------------------
def _targets_log_probs(model, vocab, name, bos=True, eos=True):
    ids = vocab.encode(name, bos=bos, eos=eos)
    logits, _ = model(torch.tensor([ids[:-1]]))
    log_probs = F.log_softmax(logits[0], dim=-1)
    return log_probs[torch.arange(len(ids) - 1), torch.tensor(ids[1:])]


@wrong("log_likelihood_per_char", "<EOS>", "left out")
def loglik_without_eos(model, vocab, names):
    total, count = 0.0, 0
    for name in names:
        lp = _targets_log_probs(model, vocab, name)[:-1]
        total, count = total + lp.sum().item(), count + len(lp)
    return total / count


@wrong("log_likelihood_per_char", "averages are averaged", "pool")
def loglik_mean_of_means(model, vocab, names):
    return sum(_targets_log_probs(model, vocab, n).mean().item() for n in names) / len(names)


@wrong("log_likelihood_per_char", "per *name*")
def loglik_per_name(model, vocab, names):
    return sum(_targets_log_probs(model, vocab, n).sum().item() for n in names) / len(names)


@wrong("log_likelihood_per_char", "<PAD>")
def loglik_counts_padding(model, vocab, names):
    inputs, targets = data.sequence_pairs(names, vocab)
    logits, _ = model(inputs)
    return -F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)).item()


@wrong("log_likelihood_per_char", "first character", "<BOS>")
def loglik_without_bos(model, vocab, names):
    total, count = 0.0, 0
    for name in names:
        lp = _targets_log_probs(model, vocab, name, bos=False)
        total, count = total + lp.sum().item(), count + len(lp)
    return total / count


@wrong("log_likelihood_per_char", "wrong sign", "loss")
def loglik_is_the_loss(model, vocab, names):
    inputs, targets = data.sequence_pairs(names, vocab)
    logits, _ = model(inputs)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                           ignore_index=vocab.pad_id).item()


@wrong("log_likelihood_per_char", "bits")
def loglik_in_bits(model, vocab, names):
    total, count = 0.0, 0
    for name in names:
        lp = _targets_log_probs(model, vocab, name) / math.log(2)
        total, count = total + lp.sum().item(), count + len(lp)
    return total / count


@wrong("log_likelihood_per_char", "single number", "float")
def loglik_returns_a_tensor(model, vocab, names):
    lps = torch.cat([_targets_log_probs(model, vocab, n) for n in names])
    return lps.mean()


# --- edge inputs: integer results, state kept between calls -----------------------------------
@wrong("novelty", "integer division", "`/`")
def novelty_integer_division(samples, known_names):
    known = set(known_names)
    return sum(name not in known for name in samples) // len(samples)


_known = None


@wrong("novelty", "global variable", "`_known`")
def novelty_caches_the_known_set(samples, known_names):
    global _known                           # "build the set only once: it's slow"
    if _known is None:
        _known = set(known_names)
    return sum(name not in _known for name in samples) / len(samples)


SPECIAL_TOKENS = ["<PAD>", "<BOS>", "<EOS>", "<UNK>"]


@wrong("build_vocab", "earlier call", "SPECIALS + chars")
def vocab_extends_a_global_list(names):
    itos = SPECIAL_TOKENS
    itos += sorted(set("".join(names)))     # += changes SPECIAL_TOKENS itself
    return {t: i for i, t in enumerate(itos)}, list(itos)


@wrong("build_vocab", "a float", "integers")
def vocab_with_float_ids(names):
    itos = SPECIAL_TOKENS[:4] + sorted(set("".join(names)))
    ids = torch.arange(len(itos)).float().tolist()      # "the model's inputs are floats"
    return dict(zip(itos, ids)), itos
