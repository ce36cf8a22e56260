"""Reference solutions of Lab 2, "Generate names": one function per exercise.

scripts/sync_solutions.py copies each function into the notebook's hidden
"Show solution" block; tests/test_labs_execute.py runs the lab with them
filled in.
"""
import torch
from torch.nn import functional as F


def build_vocab(names):
    """The character vocabulary of a list of names: (stoi, itos)."""
    chars = sorted(set("".join(names)))      # each character once, in order
    itos = ["<PAD>", "<BOS>", "<EOS>", "<UNK>"] + chars
    stoi = {token: i for i, token in enumerate(itos)}
    return stoi, itos


def sample_name(model, vocab, max_len, temperature, generator,
                reject_unk=True):
    """Draw one name from a character model, one token at a time."""
    token = torch.tensor([vocab.bos_id])     # (1,): one sequence, <BOS>
    state, ids = None, []                    # None: start from zeros
    for _ in range(max_len):
        logits, state = model.step(token, state)   # (1, K), new state
        logits = logits[0] / temperature     # scale the logits, (K,)
        if reject_unk:
            logits[vocab.unk_id] = float("-inf")   # probability 0
        probs = F.softmax(logits, dim=-1).cpu()   # the generator draws on the CPU
        token = torch.multinomial(probs, 1, generator=generator)   # (1,)
        if token.item() == vocab.eos_id:
            break
        ids.append(token.item())             # token is the next input
    return vocab.decode(ids)


def clip_gradient_norm(parameters, max_norm):
    """Rescale all gradients together if their global norm > max_norm."""
    grads = [p.grad for p in parameters if p.grad is not None]
    norm = float(sum((g ** 2).sum() for g in grads)) ** 0.5
    if norm > max_norm:
        for g in grads:
            g.mul_(max_norm / norm)          # in place: p.grad itself
    return norm


def novelty(samples, known_names):
    """The fraction of samples that are not in known_names."""
    known = set(known_names)                 # fast membership tests
    return sum(name not in known for name in samples) / len(samples)


def log_likelihood_per_char(model, vocab, names):
    """Average log-probability per predicted token (characters, <EOS>)."""
    total, count = 0.0, 0
    for name in names:
        ids = vocab.encode(name, bos=True, eos=True)   # <BOS> name <EOS>
        inputs = torch.tensor([ids[:-1]])    # (1, T + 1)
        targets = torch.tensor(ids[1:])      # (T + 1,)
        logits, _ = model(inputs)            # (1, T + 1, K)
        log_probs = F.log_softmax(logits[0], dim=-1)
        picked = log_probs[torch.arange(len(targets)), targets]
        total += picked.sum().item()
        count += len(targets)
    return total / count
