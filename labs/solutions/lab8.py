"""Reference solutions of Lab 8, "Build a parallel RNN": one function per exercise.

scripts/sync_solutions.py copies each function into the notebook's hidden
"Show solution" block; tests/test_labs_execute.py runs the lab with them filled in.
"""

import torch
from torch.nn import functional as F


def mingru_step(x_t, h_prev, U, b):
    """One minGRU step: the gate and the candidate read x_t only."""
    J = h_prev.shape[-1]
    pre = x_t @ U.T + b                       # (B, 2J): the gate's block, then the candidate's
    gate = torch.sigmoid(pre[:, :J])          # Γu (B, J)
    c_tilde = pre[:, J:]                      # c̃_t (B, J): no tanh
    return gate * c_tilde + (1 - gate) * h_prev


def mingru_sequence(xs, h0, U, b):
    """The loop: T steps, one after another, from h0."""
    h, hs = h0, []
    for t in range(xs.shape[1]):
        h = mingru_step(xs[:, t], h, U, b)    # (B, J)
        hs.append(h)
    return torch.stack(hs, dim=1)             # (B, T, J)


def combine(left, right):
    """Apply `left`, then `right`: h -> alpha_r (alpha_l h + beta_l) + beta_r."""
    alpha_l, beta_l = left
    alpha_r, beta_r = right
    return alpha_l * alpha_r, alpha_r * beta_l + beta_r


def scan(alpha, beta, h0):
    """Hillis-Steele: ceil(log2 T) rounds, each one combine over the whole sequence."""
    # fold h0 into the first step: beta_1 <- alpha_1 h0 + beta_1
    first = alpha[:, :1] * h0[:, None] + beta[:, :1]          # (B, 1, J)
    beta = torch.cat([first, beta[:, 1:]], dim=1)
    T, shift = alpha.shape[1], 1
    while shift < T:
        # the pairs shift steps earlier, then the pairs at t: for every t >= shift at once
        new_alpha, new_beta = combine((alpha[:, :-shift], beta[:, :-shift]),
                                      (alpha[:, shift:], beta[:, shift:]))
        alpha = torch.cat([alpha[:, :shift], new_alpha], dim=1)   # new tensors: no in-place
        beta = torch.cat([beta[:, :shift], new_beta], dim=1)
        shift *= 2
    return beta                               # beta at t: steps 1..t applied to h0 = h_t


def log_space_coefficients(a_u, a_c):
    """log alpha = log(1 - sigma(a_u)), log beta = log sigma(a_u) + log g(a_c), computed stably."""
    log_alpha = -F.softplus(a_u)              # log(1 - sigma(a_u)) = log sigma(-a_u)
    log_g = torch.where(a_c >= 0, torch.log(F.relu(a_c) + 0.5), -F.softplus(-a_c))
    log_beta = -F.softplus(-a_u) + log_g      # log sigma(a_u) + log g(a_c)
    return log_alpha, log_beta


def generate(model, prompt_ids, n, generator):
    """Warm up on the prompt once (in parallel), then one token per step, as an RNN."""
    logits, state = model(prompt_ids)         # (B, P, K) and the state after the prompt
    logits = logits[:, -1]                    # (B, K): what follows the prompt
    tokens = []
    for i in range(n):
        probs = F.softmax(logits, dim=-1)
        token = torch.multinomial(probs, 1, generator=generator).squeeze(1)   # (B,)
        tokens.append(token)
        if i < n - 1:
            logits, state = model.step(token, state)    # ONE token, the state carried
    return torch.stack(tokens, dim=1)         # (B, n)
