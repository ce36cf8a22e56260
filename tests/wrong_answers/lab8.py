"""Typical wrong answers to Lab 8's exercises, written the way learners write them.

Each answer is registered with the exercise it answers and the words its check message
must contain (case-insensitive), so tests/test_lab_contract.py can assert that the check
rejects it AND names the mistake.
"""
import math

import torch
from torch.nn import functional as F

WRONG_ANSWERS = []   # (exercise, function, words the message must contain)


def wrong(exercise, *words):
    def register(fn):
        WRONG_ANSWERS.append((exercise, fn, words))
        return fn
    return register


# --- the notebook's right answers, which the wrong ones below build on ----------------------------
def mingru_step(x_t, h_prev, U, b):
    J = h_prev.shape[-1]
    pre = x_t @ U.T + b
    gate = torch.sigmoid(pre[:, :J])
    return gate * pre[:, J:] + (1 - gate) * h_prev


def combine(left, right):
    (a_l, b_l), (a_r, b_r) = left, right
    return a_l * a_r, a_r * b_l + b_r


# --- Exercise 1: mingru_step ------------------------------------------------------------------
@wrong("mingru_step", "wrong side", "NEW candidate")
def step_gate_on_the_old_state(x_t, h_prev, U, b):
    J = h_prev.shape[-1]
    pre = x_t @ U.T + b
    z = torch.sigmoid(pre[:, :J])
    return z * h_prev + (1 - z) * pre[:, J:]          # z keeps the old state


@wrong("mingru_step", "tanh", "GRU's candidate")
def step_with_tanh_candidate(x_t, h_prev, U, b):
    J = h_prev.shape[-1]
    pre = x_t @ U.T + b
    gate = torch.sigmoid(pre[:, :J])
    c_tilde = torch.tanh(pre[:, J:])                  # as in Chapter 4
    return gate * c_tilde + (1 - gate) * h_prev


@wrong("mingru_step", "blocks of U are swapped", "rows 0:J")
def step_blocks_swapped(x_t, h_prev, U, b):
    c_pre, u_pre = (x_t @ U.T + b).chunk(2, dim=-1)   # candidate first
    gate = torch.sigmoid(u_pre)
    return gate * c_pre + (1 - gate) * h_prev


@wrong("mingru_step", "no σ", "between 0 and 1")
def step_without_sigmoid(x_t, h_prev, U, b):
    J = h_prev.shape[-1]
    pre = x_t @ U.T + b
    gate = pre[:, :J]
    return gate * pre[:, J:] + (1 - gate) * h_prev


@wrong("mingru_step", "old state is dropped", "h_0 term")
def step_dropping_the_old_state(x_t, h_prev, U, b):
    J = h_prev.shape[-1]
    pre = x_t @ U.T + b
    return torch.sigmoid(pre[:, :J]) * pre[:, J:]


@wrong("mingru_step", "added unscaled")
def step_old_state_unscaled(x_t, h_prev, U, b):
    J = h_prev.shape[-1]
    pre = x_t @ U.T + b
    return torch.sigmoid(pre[:, :J]) * pre[:, J:] + h_prev


@wrong("mingru_step", "biases are missing")
def step_without_bias(x_t, h_prev, U, b):
    J = h_prev.shape[-1]
    pre = x_t @ U.T
    gate = torch.sigmoid(pre[:, :J])
    return gate * pre[:, J:] + (1 - gate) * h_prev


@wrong("mingru_step", "both blocks at once")
def step_without_splitting(x_t, h_prev, U, b):
    pre = x_t @ U.T + b
    return torch.sigmoid(pre) * pre


@wrong("mingru_step", "changed its input `h_prev` in place")
def step_in_place(x_t, h_prev, U, b):
    J = h_prev.shape[-1]
    pre = x_t @ U.T + b
    gate = torch.sigmoid(pre[:, :J])
    h = h_prev
    h *= 1 - gate
    h += gate * pre[:, J:]
    return h


# --- Exercise 1: mingru_sequence --------------------------------------------------------------
@wrong("mingru_sequence", "starts from zeros", "h_0")
def sequence_from_zeros(xs, h0, U, b):
    h = torch.zeros_like(h0)
    hs = []
    for t in range(xs.shape[1]):
        h = mingru_step(xs[:, t], h, U, b)
        hs.append(h)
    return torch.stack(hs, dim=1)


@wrong("mingru_sequence", "not carried")
def sequence_forgets_the_state(xs, h0, U, b):
    return torch.stack([mingru_step(xs[:, t], h0, U, b) for t in range(xs.shape[1])], dim=1)


@wrong("mingru_sequence", "the last one", "EVERY step")
def sequence_returns_the_last_state(xs, h0, U, b):
    h = h0
    for t in range(xs.shape[1]):
        h = mingru_step(xs[:, t], h, U, b)
    return h


@wrong("mingru_sequence", "don't store `h0`")
def sequence_keeps_h0(xs, h0, U, b):
    hs = [h0]
    for t in range(xs.shape[1]):
        hs.append(mingru_step(xs[:, t], hs[-1], U, b))
    return torch.stack(hs, dim=1)


@wrong("mingru_sequence", "BEFORE the update")
def sequence_stores_the_old_state(xs, h0, U, b):
    h, hs = h0, []
    for t in range(xs.shape[1]):
        hs.append(h)
        h = mingru_step(xs[:, t], h, U, b)
    return torch.stack(hs, dim=1)


@wrong("mingru_sequence", "backwards in time")
def sequence_reversed(xs, h0, U, b):
    h, hs = h0, []
    for t in reversed(range(xs.shape[1])):
        h = mingru_step(xs[:, t], h, U, b)
        hs.insert(0, h)
    return torch.stack(hs, dim=1)


@wrong("mingru_sequence", "axis", "dim=1")
def sequence_stacked_time_first(xs, h0, U, b):
    h, hs = h0, []
    for t in range(xs.shape[1]):
        h = mingru_step(xs[:, t], h, U, b)
        hs.append(h)
    return torch.stack(hs)


@wrong("mingru_sequence", "tanh", "GRU's candidate")
def sequence_inlined_with_tanh(xs, h0, U, b):
    J = h0.shape[-1]
    h, hs = h0, []
    for t in range(xs.shape[1]):
        pre = xs[:, t] @ U.T + b
        gate = torch.sigmoid(pre[:, :J])
        h = gate * torch.tanh(pre[:, J:]) + (1 - gate) * h
        hs.append(h)
    return torch.stack(hs, dim=1)


# --- Exercise 2: combine ------------------------------------------------------------------------
@wrong("combine", "wrong order", "apply left, then right")
def combine_right_first(left, right):
    (a_l, b_l), (a_r, b_r) = left, right
    return a_l * a_r, a_l * b_r + b_l


@wrong("combine", "not scaled by α_r")
def combine_adds_the_betas(left, right):
    (a_l, b_l), (a_r, b_r) = left, right
    return a_l * a_r, b_l + b_r


@wrong("combine", "β_r is missing")
def combine_forgets_beta_r(left, right):
    (a_l, b_l), (a_r, b_r) = left, right
    return a_l * a_r, a_r * b_l


@wrong("combine", "α's are added", "multiply")
def combine_adds_the_alphas(left, right):
    (a_l, b_l), (a_r, b_r) = left, right
    return a_l + a_r, a_r * b_l + b_r


@wrong("combine", "α_r alone")
def combine_keeps_alpha_r(left, right):
    (a_l, b_l), (a_r, b_r) = left, right
    return a_r, a_r * b_l + b_r


@wrong("combine", "its own step's retention")
def combine_scales_by_alpha_l(left, right):
    (a_l, b_l), (a_r, b_r) = left, right
    return a_l * a_r, a_l * b_l + b_r


@wrong("combine", "(β, α)")
def combine_returns_beta_first(left, right):
    (a_l, b_l), (a_r, b_r) = left, right
    return a_r * b_l + b_r, a_l * a_r


@wrong("combine", "changed its input", "`left`")
def combine_in_place(left, right):
    a_l, b_l = left
    a_r, b_r = right
    a_l *= a_r
    b_l.mul_(a_r).add_(b_r)
    return a_l, b_l


# --- Exercise 2: scan ---------------------------------------------------------------------------
def _fold(alpha, beta, h0):
    return torch.cat([alpha[:, :1] * h0[:, None] + beta[:, :1], beta[:, 1:]], dim=1)


def _round(alpha, beta, s):
    new_a, new_b = combine((alpha[:, :-s], beta[:, :-s]), (alpha[:, s:], beta[:, s:]))
    return torch.cat([alpha[:, :s], new_a], dim=1), torch.cat([beta[:, :s], new_b], dim=1)


@wrong("scan", "floor(log2 T)", "ceil(log2 T)")
def scan_with_int_log2(alpha, beta, h0):
    beta = _fold(alpha, beta, h0)
    for d in range(int(math.log2(alpha.shape[1]))):      # floor, not ceil
        alpha, beta = _round(alpha, beta, 2 ** d)
    return beta


@wrong("scan", "one round short")
def scan_one_round_short(alpha, beta, h0):
    beta = _fold(alpha, beta, h0)
    shift = 1
    while 2 * shift < alpha.shape[1]:
        alpha, beta = _round(alpha, beta, shift)
        shift *= 2
    return beta


@wrong("scan", "offsets start at 2")
def scan_offsets_from_two(alpha, beta, h0):
    beta = _fold(alpha, beta, h0)
    shift = 2
    while shift < alpha.shape[1]:
        alpha, beta = _round(alpha, beta, shift)
        shift *= 2
    return beta


@wrong("scan", "off by one in the shift")
def scan_shifted_by_s_minus_one(alpha, beta, h0):
    beta = _fold(alpha, beta, h0)
    T, s = alpha.shape[1], 1
    while s < T:
        new_a, new_b = combine((alpha[:, 1:T - s + 1], beta[:, 1:T - s + 1]),
                               (alpha[:, s:], beta[:, s:]))
        alpha = torch.cat([alpha[:, :s], new_a], dim=1)
        beta = torch.cat([beta[:, :s], new_b], dim=1)
        s *= 2
    return beta


@wrong("scan", "h0 is not folded in")
def scan_without_h0(alpha, beta, h0):
    shift = 1
    while shift < alpha.shape[1]:
        alpha, beta = _round(alpha, beta, shift)
        shift *= 2
    return beta


@wrong("scan", "without α_1")
def scan_adds_h0(alpha, beta, h0):
    beta = torch.cat([beta[:, :1] + h0[:, None], beta[:, 1:]], dim=1)
    shift = 1
    while shift < alpha.shape[1]:
        alpha, beta = _round(alpha, beta, shift)
        shift *= 2
    return beta


@wrong("scan", "wrong order inside the rounds", "EARLIER")
def scan_later_pairs_first(alpha, beta, h0):
    beta = _fold(alpha, beta, h0)
    s = 1
    while s < alpha.shape[1]:
        new_a, new_b = combine((alpha[:, s:], beta[:, s:]), (alpha[:, :-s], beta[:, :-s]))
        alpha = torch.cat([alpha[:, :s], new_a], dim=1)
        beta = torch.cat([beta[:, :s], new_b], dim=1)
        s *= 2
    return beta


@wrong("scan", "α part was returned")
def scan_returns_alpha(alpha, beta, h0):
    beta = _fold(alpha, beta, h0)
    shift = 1
    while shift < alpha.shape[1]:
        alpha, beta = _round(alpha, beta, shift)
        shift *= 2
    return alpha


@wrong("scan", "in-place write", "autograd")
def scan_writing_in_place(alpha, beta, h0):
    alpha, beta = alpha.clone(), _fold(alpha, beta, h0)
    shift = 1
    while shift < alpha.shape[1]:
        new_a, new_b = combine((alpha[:, :-shift], beta[:, :-shift]),
                               (alpha[:, shift:], beta[:, shift:]))
        alpha[:, shift:] = new_a                        # overwrites what autograd still needs
        beta[:, shift:] = new_b
        shift *= 2
    return beta


@wrong("scan", "changed its input", "`alpha`")
def scan_into_the_inputs(alpha, beta, h0):
    beta = _fold(alpha, beta, h0)
    shift = 1
    while shift < alpha.shape[1]:
        new_a, new_b = combine((alpha[:, :-shift].clone(), beta[:, :-shift].clone()),
                               (alpha[:, shift:].clone(), beta[:, shift:]))
        alpha[:, shift:] = new_a                        # the caller's alpha
        beta = torch.cat([beta[:, :shift], new_b], dim=1)
        shift *= 2
    return beta


@wrong("scan", "is the loop again", "ceil(log2 T)")
def scan_one_combine_per_step(alpha, beta, h0):
    pair = (alpha[:, 0], alpha[:, 0] * h0 + beta[:, 0])
    hs = [pair[1]]
    for t in range(1, alpha.shape[1]):
        pair = combine(pair, (alpha[:, t], beta[:, t]))
        hs.append(pair[1])
    return torch.stack(hs, dim=1)


@wrong("scan", "never called `combine`", "sequential")
def scan_as_a_loop(alpha, beta, h0):
    h, hs = h0, []
    for t in range(alpha.shape[1]):
        h = alpha[:, t] * h + beta[:, t]
        hs.append(h)
    return torch.stack(hs, dim=1)


@wrong("scan", "No gradient flows")
def scan_detached(alpha, beta, h0):
    with torch.no_grad():
        beta = _fold(alpha, beta, h0)
        shift = 1
        while shift < alpha.shape[1]:
            alpha, beta = _round(alpha, beta, shift)
            shift *= 2
    return beta


# --- Exercise 3: log_space_coefficients ------------------------------------------------------
@wrong("log_space_coefficients", "log of a negative value", "log g(a_c)")
def log_of_the_raw_candidate(a_u, a_c):
    return -F.softplus(a_u), -F.softplus(-a_u) + torch.log(a_c)


@wrong("log_space_coefficients", "log(1 − σ(a_u)) computed directly", "-F.softplus(a_u)")
def log_one_minus_sigmoid(a_u, a_c):
    log_g = torch.where(a_c >= 0, torch.log(F.relu(a_c) + 0.5), -F.softplus(-a_c))
    return torch.log(1 - torch.sigmoid(a_u)), torch.log(torch.sigmoid(a_u)) + log_g


@wrong("log_space_coefficients", "log(1 + exp(a_u)) overflows")
def softplus_by_hand(a_u, a_c):
    log_g = torch.where(a_c >= 0, torch.log(F.relu(a_c) + 0.5), -F.softplus(-a_c))
    return -torch.log(1 + torch.exp(a_u)), -F.softplus(-a_u) + log_g


@wrong("log_space_coefficients", "branches of g are swapped")
def g_branches_swapped(a_u, a_c):
    log_g = torch.where(a_c >= 0, torch.log(torch.sigmoid(a_c)), torch.log(a_c + 0.5))
    return -F.softplus(a_u), -F.softplus(-a_u) + log_g


@wrong("log_space_coefficients", "log of the gate", "retention")
def log_alpha_is_log_gate(a_u, a_c):
    log_g = torch.where(a_c >= 0, torch.log(F.relu(a_c) + 0.5), -F.softplus(-a_c))
    return -F.softplus(-a_u), -F.softplus(-a_u) + log_g


@wrong("log_space_coefficients", "lacks the gate")
def log_beta_without_gate(a_u, a_c):
    return -F.softplus(a_u), torch.where(a_c >= 0, torch.log(F.relu(a_c) + 0.5), -F.softplus(-a_c))


@wrong("log_space_coefficients", "g(a_c) itself was added")
def g_not_logged(a_u, a_c):
    return -F.softplus(a_u), -F.softplus(-a_u) + torch.where(a_c >= 0, a_c + 0.5,
                                                             torch.sigmoid(a_c))


@wrong("log_space_coefficients", "not a_c", "1/2")
def g_without_the_half(a_u, a_c):
    log_g = torch.where(a_c >= 0, torch.log(a_c), F.logsigmoid(a_c))
    return -F.softplus(a_u), -F.softplus(-a_u) + log_g


@wrong("log_space_coefficients", "wrong order", "return log_alpha, log_beta")
def log_pair_swapped(a_u, a_c):
    log_g = torch.where(a_c >= 0, torch.log(F.relu(a_c) + 0.5), -F.softplus(-a_c))
    return -F.softplus(-a_u) + log_g, -F.softplus(a_u)


# --- Exercise 4: generate -----------------------------------------------------------------------
@wrong("generate", "re-reads the prefix")
def generate_rereading_the_prefix(model, prompt_ids, n, generator):
    ids = prompt_ids
    for _ in range(n):
        logits, _ = model(ids)                          # the whole prefix, every step
        probs = F.softmax(logits[:, -1], dim=-1)
        token = torch.multinomial(probs, 1, generator=generator)
        ids = torch.cat([ids, token], dim=1)
    return ids[:, prompt_ids.shape[1]:]


@wrong("generate", "not carried", "state=None")
def generate_without_the_state(model, prompt_ids, n, generator):
    logits, state = model(prompt_ids)
    logits = logits[:, -1]
    out = []
    for _ in range(n):
        token = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator).squeeze(1)
        out.append(token)
        logits, _ = model.step(token)                   # state dropped
    return torch.stack(out, dim=1)


@wrong("generate", "old state")
def generate_with_the_prompt_state(model, prompt_ids, n, generator):
    logits, state = model(prompt_ids)
    logits = logits[:, -1]
    out = []
    for _ in range(n):
        token = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator).squeeze(1)
        out.append(token)
        logits, _ = model.step(token, state)            # always the prompt's state
    return torch.stack(out, dim=1)


@wrong("generate", "argmax", "multinomial")
def generate_greedy(model, prompt_ids, n, generator):
    logits, state = model(prompt_ids)
    logits = logits[:, -1]
    out = []
    for _ in range(n):
        token = logits.argmax(dim=-1)
        out.append(token)
        logits, state = model.step(token, state)
    return torch.stack(out, dim=1)


@wrong("generate", "probabilities", "softmax")
def generate_from_raw_logits(model, prompt_ids, n, generator):
    logits, state = model(prompt_ids)
    logits = logits[:, -1]
    out = []
    for _ in range(n):
        token = torch.multinomial(logits, 1, generator=generator).squeeze(1)
        out.append(token)
        logits, state = model.step(token, state)
    return torch.stack(out, dim=1)


@wrong("generate", "wrong axis", "dim=-1")
def generate_softmax_over_the_batch(model, prompt_ids, n, generator):
    logits, state = model(prompt_ids)
    logits = logits[:, -1]
    out = []
    for _ in range(n):
        token = torch.multinomial(F.softmax(logits, dim=0), 1, generator=generator).squeeze(1)
        out.append(token)
        logits, state = model.step(token, state)
    return torch.stack(out, dim=1)


@wrong("generate", "don't come from `generator`")
def generate_with_the_global_generator(model, prompt_ids, n, generator):
    logits, state = model(prompt_ids)
    logits = logits[:, -1]
    out = []
    for _ in range(n):
        token = torch.multinomial(F.softmax(logits, dim=-1), 1).squeeze(1)
        out.append(token)
        logits, state = model.step(token, state)
    return torch.stack(out, dim=1)


@wrong("generate", "not the ones just drawn")
def generate_feeding_the_prompt_end(model, prompt_ids, n, generator):
    logits, state = model(prompt_ids)
    logits, last = logits[:, -1], prompt_ids[:, -1]
    out = []
    for _ in range(n):
        token = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator).squeeze(1)
        out.append(token)
        logits, state = model.step(last, state)         # the prompt's last token again
    return torch.stack(out, dim=1)


@wrong("generate", "(B, P + n)", "only the n NEW tokens")
def generate_returns_the_prompt_too(model, prompt_ids, n, generator):
    logits, state = model(prompt_ids)
    logits = logits[:, -1]
    ids = prompt_ids
    for _ in range(n):
        token = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)
        ids = torch.cat([ids, token], dim=1)
        logits, state = model.step(token[:, 0], state)
    return ids


@wrong("generate", "ONE token per sequence", "(B,)")
def generate_steps_with_a_column(model, prompt_ids, n, generator):
    logits, state = model(prompt_ids)
    logits = logits[:, -1]
    out = []
    for _ in range(n):
        token = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)
        out.append(token)
        logits, state = model.step(token, state)        # (B, 1), not (B,)
    return torch.cat(out, dim=1)


@wrong("generate", "FIRST prompt token", "logits[:, -1]")
def generate_from_the_first_position(model, prompt_ids, n, generator):
    logits, state = model(prompt_ids)
    logits = logits[:, 0]
    out = []
    for _ in range(n):
        token = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator).squeeze(1)
        out.append(token)
        logits, state = model.step(token, state)
    return torch.stack(out, dim=1)


@wrong("generate", "never read the whole prompt", "model(prompt_ids)")
def generate_from_the_last_prompt_token(model, prompt_ids, n, generator):
    logits, state = model.step(prompt_ids[:, -1])       # only the prompt's last token
    out = []
    for _ in range(n):
        token = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator).squeeze(1)
        out.append(token)
        logits, state = model.step(token, state)
    return torch.stack(out, dim=1)
