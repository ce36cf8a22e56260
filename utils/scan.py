"""The linear recurrence h_t = α_t ⊙ h_{t-1} + β_t and three parallel scans for it (Chapter 8).

    h = linear_recurrence(alpha, beta, h0)        # the reference: one step at a time, T steps deep
    h = scan_hillis_steele(alpha, beta, h0)       # ceil(log2 T) rounds, each over the whole sequence
    h = scan_blelloch(alpha, beta, h0)            # work-efficient: an up-sweep and a down-sweep
    h = scan_log_space(log_alpha, log_beta, h0)   # α in (0, 1], β > 0 (minGRU): stable for long T
    scan_rounds(100)                              # {'loop': 100, 'hillis_steele': 7, 'blelloch': 14}

Notation (the course's Notation page): α_t ∈ R^J is the retention (how much of h_{t-1} is
kept), β_t ∈ R^J the input term; in code ``alpha``, ``beta``, ``log_alpha``, ``log_beta``.
(a_t is the RNN's pre-activation and b a bias elsewhere in the course, hence the Greek.)

Everything is element-wise: alpha, beta and h are (B, T, J), h0 is (B, J); unit j of sequence
i never meets another unit. Time is axis 1 and the course counts it from 1 in the prose
(h_1 = α_1 h_0 + β_1) and from 0 in the code (h[:, 0]).

Why a scan works: one step is the affine map h -> α h + β, written as the pair (α, β). Doing
(α_l, β_l) and then (α_r, β_r) is again such a map, ``combine``, and ``combine`` is
associative, so the T steps can be grouped in any order, e.g. as a tree of depth log2 T.
All functions are autograd-friendly (no in-place writes) and work in float32 or float64 on
any device; float64 agrees with the loop to ~1e-15, float32 to ~1e-7 (relative, α in (-1, 1)).
"""
from __future__ import annotations

import torch

from .validate import expect_positive_int, expect_tensor

__all__ = ["linear_recurrence", "combine", "scan_hillis_steele", "scan_blelloch",
           "scan_log_space", "scan_rounds"]


# --- checks -------------------------------------------------------------------------------------
def _check_inputs(alpha, beta, h0, names=("alpha", "beta")) -> None:
    """alpha, beta: (B, T, J) floating, same shape, dtype and device, T >= 1, finite;
    h0: (B, J) or None."""
    na, nb = names
    expect_tensor(alpha, na, ndim=3, floating=True)
    expect_tensor(beta, nb, ndim=3, floating=True)
    if alpha.shape != beta.shape:
        raise ValueError(f"{na} and {nb} must have the same shape (B, T, J), got "
                         f"{tuple(alpha.shape)} and {tuple(beta.shape)}")
    if alpha.dtype != beta.dtype:
        raise TypeError(f"{na} and {nb} must have the same dtype, got {alpha.dtype} and {beta.dtype}")
    if alpha.device != beta.device:
        raise ValueError(f"{na} and {nb} must be on the same device, got {alpha.device} and "
                         f"{beta.device}")
    if alpha.shape[1] == 0:
        raise ValueError(f"{na} must hold at least one time step, got shape {tuple(alpha.shape)}")
    for x, name in ((alpha, na), (beta, nb)):
        if not bool(torch.isfinite(x).all()):
            raise ValueError(f"{name} must hold finite numbers, got NaN or inf entries")
    if h0 is not None:
        B, _, J = alpha.shape
        expect_tensor(h0, "h0", shape=(B, J), floating=True)
        if h0.dtype != alpha.dtype or h0.device != alpha.device:
            raise TypeError(f"h0 must have the dtype and device of {na}, got {h0.dtype} on "
                            f"{h0.device} and {alpha.dtype} on {alpha.device}")
        if not bool(torch.isfinite(h0).all()):
            raise ValueError("h0 must hold finite numbers, got NaN or inf entries")


def _fold_h0(alpha, beta, h0):
    """β_1 <- α_1 h_0 + β_1: the start state becomes part of the first step, so every scan can
    start from zero. Out of place, so gradients reach alpha, beta and h0."""
    if h0 is None:
        return beta
    first = alpha[:, :1] * h0.unsqueeze(1) + beta[:, :1]            # (B, 1, J)
    return torch.cat([first, beta[:, 1:]], dim=1)                  # (B, T, J)


# --- the reference and the operator -------------------------------------------------------------
def linear_recurrence(alpha: torch.Tensor, beta: torch.Tensor,
                      h0: torch.Tensor | None = None) -> torch.Tensor:
    """The sequential loop h_t = α_t ⊙ h_{t-1} + β_t (element-wise), T steps one after another.

    alpha, beta: (B, T, J). h0: (B, J), or None for zeros. Returns h: (B, T, J),
    h[:, t] = h_{t+1}. The reference that every scan in this module is tested against.
    """
    _check_inputs(alpha, beta, h0)
    h = torch.zeros_like(beta[:, 0]) if h0 is None else h0          # (B, J)
    hs = []
    # unbind, not alpha[:, t]: the backward of one unbind is one stack, O(T); that of T
    # separate indexings writes T full-size (B, T, J) gradients, O(T^2)
    for alpha_t, beta_t in zip(alpha.unbind(1), beta.unbind(1)):   # T x (B, J)
        h = alpha_t * h + beta_t                                   # (B, J)
        hs.append(h)
    return torch.stack(hs, dim=1)                                  # (B, T, J)


def combine(left: tuple, right: tuple) -> tuple:
    """Two steps as one: apply ``left`` = (α_l, β_l) first, THEN ``right`` = (α_r, β_r).

    h -> α_r (α_l h + β_l) + β_r = (α_r α_l) h + (α_r β_l + β_r), so the result is the pair
    (α_r * α_l, α_r * β_l + β_r). The order matters: combine(left, right) != combine(right, left).

    Associative, because each pair is an affine map and composing maps is associative; in one
    line: combine(combine(x, y), z) = (α_z α_y α_x, α_z α_y β_x + α_z β_y + β_z)
    = combine(x, combine(y, z)). The identity pair is (1, 0): "leave h unchanged".

    left, right: pairs (alpha, beta) of tensors of one shape (any shape, element-wise).
    Returns a pair.
    """
    for pair, name in ((left, "left"), (right, "right")):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2
                and all(isinstance(x, torch.Tensor) for x in pair)):
            raise TypeError(f"{name} must be a pair (alpha, beta) of torch tensors, got "
                            f"{type(pair).__name__}"
                            + (f" of length {len(pair)}" if isinstance(pair, (tuple, list)) else ""))
    shapes = [tuple(x.shape) for x in (*left, *right)]
    if len(set(shapes)) != 1:
        raise ValueError(f"left and right must hold tensors of one shape, got alpha_l {shapes[0]}, "
                         f"beta_l {shapes[1]}, alpha_r {shapes[2]}, beta_r {shapes[3]}")
    return _combine(left, right)


def _combine(left, right):
    (alpha_l, beta_l), (alpha_r, beta_r) = left, right
    return alpha_r * alpha_l, alpha_r * beta_l + beta_r


# --- the parallel scans -------------------------------------------------------------------------
def scan_hillis_steele(alpha: torch.Tensor, beta: torch.Tensor,
                       h0: torch.Tensor | None = None) -> torch.Tensor:
    """The recurrence in ceil(log2 T) rounds (Hillis and Steele, 1986). Same result as the loop.

    alpha, beta: (B, T, J). h0: (B, J) or None (zeros). Returns h: (B, T, J).

    Round d (shift s = 2^d) replaces the pair at every position t >= s by
    combine(pair[t - s], pair[t]); positions t < s keep their pair. After the round, position t
    holds the composition of the last 2^(d+1) steps up to t (or all of them), so after
    ceil(log2 T) rounds it holds steps 1..t, and its β is h_t. Each round is one
    tensor operation over the whole sequence: T log2 T work, log2 T depth.
    """
    _check_inputs(alpha, beta, h0)
    beta = _fold_h0(alpha, beta, h0)
    T, shift = alpha.shape[1], 1
    while shift < T:
        # left = the pairs s positions earlier, right = the pairs at t (t = s .. T-1)
        new_alpha, new_beta = _combine((alpha[:, :-shift], beta[:, :-shift]),
                                       (alpha[:, shift:], beta[:, shift:]))   # (B, T-s, J)
        alpha = torch.cat([alpha[:, :shift], new_alpha], dim=1)              # (B, T, J)
        beta = torch.cat([beta[:, :shift], new_beta], dim=1)
        shift *= 2
    return beta


def scan_blelloch(alpha: torch.Tensor, beta: torch.Tensor,
                  h0: torch.Tensor | None = None) -> torch.Tensor:
    """The work-efficient scan (Blelloch, 1990): an up-sweep and a down-sweep, O(T) combines.

    alpha, beta: (B, T, J). h0: (B, J) or None (zeros). Returns h: (B, T, J).

    T is padded to P = 2^k with identity pairs (α = 1, β = 0), which change nothing.
    Up-sweep (k rounds): combine neighbours in pairs, level by level, into a tree whose root
    is the whole sequence. Down-sweep (k rounds): from the root (prefix = identity) down, a
    left child receives its parent's prefix, a right child the parent's prefix combined with
    its left sibling. At the leaves this gives the EXCLUSIVE prefix (steps before t); one
    last combine with step t itself gives h_t. Work: P - 1 combines up, P - 1 down, P at the
    end (against T log2 T for Hillis-Steele); depth 2 log2 P. Written out of place: every
    level of the tree is kept, so autograd can go back through it.
    """
    _check_inputs(alpha, beta, h0)
    beta = _fold_h0(alpha, beta, h0)
    B, T, J = alpha.shape
    P = 1 << (T - 1).bit_length()                                  # next power of two >= T
    if P > T:
        alpha = torch.cat([alpha, alpha.new_ones(B, P - T, J)], dim=1)   # (B, P, J)
        beta = torch.cat([beta, beta.new_zeros(B, P - T, J)], dim=1)
    levels = [(alpha, beta)]                                       # level 0: the P steps
    while levels[-1][0].shape[1] > 1:                              # up-sweep
        la, lb = levels[-1]
        levels.append(_combine((la[:, 0::2], lb[:, 0::2]), (la[:, 1::2], lb[:, 1::2])))
    prefix = (alpha.new_ones(B, 1, J), beta.new_zeros(B, 1, J))    # the root's prefix: identity
    for la, lb in reversed(levels[:-1]):                           # down-sweep
        right = _combine(prefix, (la[:, 0::2], lb[:, 0::2]))       # prefix, then the left sibling
        # interleave: position 2i gets the parent's prefix, 2i + 1 gets `right`
        prefix = tuple(torch.stack([p, r], dim=2).reshape(B, -1, J)
                       for p, r in zip(prefix, right))
    _, h = _combine(prefix, (alpha, beta))                         # exclusive -> inclusive
    return h[:, :T]


def scan_log_space(log_alpha: torch.Tensor, log_beta: torch.Tensor,
                   h0: torch.Tensor | None = None) -> torch.Tensor:
    """The recurrence for α_t in (0, 1] and β_t > 0, computed with logs (Heinsen, 2023).

    log_alpha, log_beta: (B, T, J), the LOGS of α and β (log_alpha <= 0, both finite). h0:
    (B, J), the start state itself (not its log), positive, or None for zeros. Returns
    h: (B, T, J) > 0.

    With α*_t = log α_1 + ... + log α_t (a cumulative sum), unrolling the loop gives
    h_t = exp(α*_t) (h_0 + sum_{s<=t} β_s exp(-α*_s)), so
    log h_t = α*_t + logcumsumexp(log β_s - α*_s)_t, and log h_0 enters as one more term at s = 0.

    When it applies: minGRU and minLSTM, where α = 1 - Γ_u (Γ_u a sigmoid gate) and
    β = Γ_u * c̃ with c̃ > 0, so every term is positive and has a log. A negative α or β has no
    real log.
    Why it is stable: the product exp(α*_t) of T factors below 1 underflows (0.5^2000 = 1e-602
    is 0 even in float64) and its inverse overflows, so the direct formula gives 0 * inf = NaN;
    in logs they are ordinary numbers (α*_t = -1386) and logcumsumexp subtracts the running
    maximum before exponentiating, so nothing overflows or underflows.
    The price: log h_t is a difference of large numbers (|α*_t| grows with t), so its
    relative error is about |α*_t| times the machine epsilon: ~4e-13 in float64 at α*_t = -1386,
    but ~1e-5 in float32 already at α*_t = -140. Prefer float64, or short chunks, in float32.
    """
    expect_tensor(log_alpha, "log_alpha", ndim=3, floating=True)
    expect_tensor(log_beta, "log_beta", ndim=3, floating=True)
    for x, name in ((log_alpha, "log_alpha"), (log_beta, "log_beta")):
        if bool(torch.isnan(x).any()):
            raise ValueError(f"{name} holds NaN: pass the log of a positive number; torch.log "
                             f"of a negative number is NaN (the log space needs alpha > 0, "
                             f"beta > 0)")
        if bool(torch.isinf(x).any()):
            raise ValueError(f"{name} must hold finite numbers, got inf: log(0) = -inf, so "
                             f"{name[4:]} must be strictly positive; +inf means {name[4:]} "
                             f"overflowed")
    if bool((log_alpha > 0).any()):
        raise ValueError(f"log_alpha must be <= 0 (alpha in (0, 1]), got a maximum of "
                         f"{float(log_alpha.max()):.4g}; pass log(alpha), not alpha, and keep "
                         f"alpha <= 1")
    _check_inputs(log_alpha, log_beta, h0, names=("log_alpha", "log_beta"))
    if h0 is not None and not bool((h0 > 0).all()):
        raise ValueError("h0 must be positive in the log space (its log is taken), got a "
                         f"minimum of {float(h0.min()):.4g}; pass h0=None for a zero start")
    alpha_star = torch.cumsum(log_alpha, dim=1)                    # (B, T, J): α*_t
    terms = log_beta - alpha_star                                  # log(β_s exp(-α*_s))
    if h0 is not None:
        terms = torch.cat([torch.log(h0).unsqueeze(1), terms], dim=1)   # s = 0: log h_0
        return torch.exp(alpha_star + torch.logcumsumexp(terms, dim=1)[:, 1:])
    return torch.exp(alpha_star + torch.logcumsumexp(terms, dim=1))


def scan_rounds(T: int) -> dict:
    """The depth of each computation for a sequence of T steps: how many rounds run one after
    another (each round may be as wide as the sequence).

    Returns {'loop': T, 'hillis_steele': ceil(log2 T), 'blelloch': 2 log2 P}, P = T padded to a
    power of two (an up-sweep and a down-sweep of log2 P rounds each; the final combine with
    the step itself is not counted). T = 1 needs no rounds of either scan.
    """
    T = expect_positive_int(T, "T")
    k = (T - 1).bit_length()                                       # ceil(log2 T), exact
    return {"loop": T, "hillis_steele": k, "blelloch": 2 * k}
