"""Property-based tests (hypothesis) over the public API of utils.

Generated shapes, dtypes and values, small enough never to hang. Every call must end in
either a correct result (an invariant holds: a softmax sums to 1, clipping never raises the
norm and keeps the direction, encode/decode round-trips, a cell's step equals its torch.nn
counterpart, ...) or a clear ValueError/TypeError raised by utils itself; any other
exception fails. The hypothesis profile (tests/conftest.py) fixes the examples, writes
nothing to disk and sets no deadline.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from torch import nn

from bad_inputs import TIME_LIMIT_S, Hang, memory_limit, raised_at, raised_by_utils, time_limit
from utils import (claims, data, gradients, numpy_rnn, plotting, recurrent, sampling, stacking,
                   tagging, training)
from utils.cells import make_cell
from utils.data import Vocab

SMALL = st.integers(1, 4)
FLOATS = st.floats(-5, 5, allow_nan=False, width=64)
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True, width=64)


class Refused(Exception):
    """The call ended in a clear ValueError/TypeError from utils (an acceptable outcome)."""


def clear_or(call, *args, **kwargs):
    """call(*args, **kwargs), or Refused when utils refused the input with a ValueError or
    TypeError of its own; any other exception (or one from inside torch/numpy) fails."""
    try:
        with time_limit(TIME_LIMIT_S), memory_limit(2 * 2**30):
            return call(*args, **kwargs)
    except (ValueError, TypeError) as error:
        if not raised_by_utils(error):
            file, line = raised_at(error)
            pytest.fail(f"{type(error).__name__} at {file}:{line}, not from a raise in utils: {error}")
        raise Refused(str(error)) from None
    except Hang:
        pytest.fail("the call hung")


def refused(call, *args, **kwargs) -> bool:
    """True when utils refused the input clearly; False when the call returned."""
    try:
        clear_or(call, *args, **kwargs)
    except Refused:
        return True
    return False


def arrays(dtype=np.float64, min_dims=1, max_dims=3, elements=FLOATS, min_side=1, max_side=4):
    return hnp.arrays(dtype, hnp.array_shapes(min_dims=min_dims, max_dims=max_dims,
                                              min_side=min_side, max_side=max_side),
                      elements=elements)


# --- numpy RNN ----------------------------------------------------------------------------------
@given(arrays(elements=ANY_FLOAT, min_side=0))
def test_softmax_rows_are_distributions(s):
    try:
        p = clear_or(numpy_rnn.softmax, s)
    except Refused:
        assert s.shape[-1] == 0 or not np.isfinite(s).all()
        return
    assert p.shape == s.shape
    assert (p >= 0).all() and np.allclose(p.sum(axis=-1), 1.0)
    assert np.allclose(numpy_rnn.softmax(s + 3.0), p)          # shift invariance


@given(arrays(), st.data())
def test_relative_error_is_a_symmetric_distance(a, draw):
    b = draw.draw(hnp.arrays(np.float64, a.shape, elements=FLOATS))
    e = clear_or(numpy_rnn.relative_error, a, b)
    assert 0.0 <= e <= 1.0
    assert e == numpy_rnn.relative_error(b, a)
    assert numpy_rnn.relative_error(a, a.copy()) == 0.0


@given(arrays(), arrays(elements=ANY_FLOAT))
def test_relative_error_refuses_broadcasting_and_non_finite(a, b):
    try:
        e = clear_or(numpy_rnn.relative_error, a, b)
    except Refused:
        assert a.shape != b.shape or not np.isfinite(b).all()
        return
    assert a.shape == b.shape and 0.0 <= e <= 1.0


@given(arrays(max_dims=2), st.data())
def test_numerical_gradient_of_a_quadratic(x, draw):
    c = draw.draw(hnp.arrays(np.float64, x.shape, elements=FLOATS))
    x0 = x.copy()
    grad = clear_or(numpy_rnn.numerical_gradient, lambda: float((c * x ** 2).sum()), x)
    assert np.allclose(grad, 2 * c * x0, atol=1e-4)
    assert np.array_equal(x, x0)                                  # restored


@given(SMALL, SMALL, SMALL, SMALL, st.integers(0, 10**6))
def test_numpy_rnn_forward_and_backward_match_torch(D, J, K, T, seed):
    rng = np.random.default_rng(seed)
    params = numpy_rnn.init_params(D, J, K, rng)
    xs, h0 = rng.normal(size=(T, D)), rng.normal(size=J)
    targets = rng.integers(0, K, size=T)
    loss, grads = numpy_rnn.loss_and_gradients(params, xs, targets, h0)
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    th0 = torch.tensor(h0, requires_grad=True)
    h, total = th0, 0.0
    for t in range(T):
        h = torch.tanh(tp["W"] @ h + tp["U"] @ torch.tensor(xs[t]) + tp["b"])
        total = total - torch.log_softmax(tp["V"] @ h + tp["b_y"], dim=0)[targets[t]]
    total.backward()
    assert math.isclose(loss, float(total.detach()), rel_tol=1e-9, abs_tol=1e-9)
    for name in numpy_rnn.PARAM_NAMES:
        assert np.allclose(grads["d" + name], tp[name].grad.numpy(), atol=1e-9)
    assert np.allclose(grads["dh0"], th0.grad.numpy(), atol=1e-9)


@given(SMALL, SMALL, arrays(max_dims=1), arrays(max_dims=1))
def test_rnn_step_is_the_formula_or_refused(D, J, x, h):
    rng = np.random.default_rng(0)
    p = numpy_rnn.init_params(D, J, 2, rng)
    try:
        out = clear_or(numpy_rnn.rnn_step, x, h, p["U"], p["W"], p["b"])
    except Refused:
        assert x.shape != (D,) or h.shape != (J,)
        return
    assert np.allclose(out, np.tanh(p["W"] @ h + p["U"] @ x + p["b"]))


# --- cells and cores against torch.nn --------------------------------------------------------------
@given(st.sampled_from(["rnn", "gru", "lstm"]), SMALL, SMALL, SMALL, st.integers(0, 10**6))
def test_cell_step_equals_torch(kind, B, D, J, seed):
    torch.manual_seed(seed)
    module = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[kind](D, J, batch_first=True)
    cell = make_cell(kind, D, J).load_torch_weights(module)
    x, h = torch.randn(B, D), torch.randn(B, J)
    state = (h, torch.randn(B, J)) if kind == "lstm" else h
    torch_state = tuple(s[None] for s in state) if kind == "lstm" else h[None]
    with torch.no_grad():
        ours = cell.step(x, state)
        out, theirs = module(x[:, None], torch_state)
    if kind == "lstm":
        assert torch.allclose(ours[0], theirs[0][0], atol=1e-6)
        assert torch.allclose(ours[1], theirs[1][0], atol=1e-6)
    else:
        assert torch.allclose(ours, theirs[0], atol=1e-6)


@given(st.sampled_from(["rnn", "gru", "lstm"]), SMALL, SMALL, SMALL, st.integers(1, 2),
       st.booleans(), st.integers(0, 10**6))
def test_recurrent_net_from_torch_equals_torch(kind, B, T, J, layers, bidirectional, seed):
    torch.manual_seed(seed)
    D = 3
    module = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[kind](
        D, J, layers, batch_first=True, bidirectional=bidirectional)
    net = recurrent.RecurrentNet.from_torch(module)
    xs = torch.randn(B, T, D)
    with torch.no_grad():
        ours, our_state = net(xs)
        theirs, their_state = module(xs)
    assert torch.allclose(ours, theirs, atol=1e-5)
    for a, b in zip(*(s if kind == "lstm" else (s,) for s in (our_state, their_state))):
        assert torch.allclose(a, b, atol=1e-5)


@given(st.sampled_from(["rnn", "simple_gru", "gru", "lstm"]),
       hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4),
       st.sampled_from([torch.float32, torch.float64, torch.int64, torch.bool]))
def test_cell_step_accepts_only_matching_input(kind, shape, dtype):
    D, J = 3, 2
    cell = make_cell(kind, D, J)
    x = torch.zeros(shape, dtype=dtype)
    state = cell.init_state(2)
    try:
        out = clear_or(cell.step, x, state)
    except Refused:
        assert shape != (2, D) or dtype != torch.float32
        return
    assert shape == (2, D) and dtype == torch.float32
    assert cell.hidden(out).shape == (2, J)


# --- gradients ----------------------------------------------------------------------------------
@given(st.lists(hnp.array_shapes(min_dims=1, max_dims=2, max_side=4), min_size=1, max_size=3),
       st.floats(1e-3, 1e3), st.integers(0, 10**6), st.booleans())
def test_clip_by_norm_never_raises_the_norm_and_keeps_direction(shapes, max_norm, seed, one):
    g = torch.Generator().manual_seed(seed)
    params = []
    for shape in shapes[:1] if one else shapes:
        p = torch.zeros(shape, requires_grad=True)
        p.grad = torch.randn(shape, generator=g, dtype=torch.float32) * 10
        params.append(p)
    before = [p.grad.clone() for p in params]
    norm_before = float(torch.sqrt(sum((b.double() ** 2).sum() for b in before)))
    returned = training.clip_by_norm(params[0] if one else params, max_norm)
    assert math.isclose(returned, norm_before, rel_tol=1e-5)
    norm_after = training.gradient_norm(params)
    assert norm_after <= max(max_norm, 0) * (1 + 1e-5) + 1e-12
    assert norm_after <= norm_before * (1 + 1e-6) + 1e-12
    scale = min(1.0, max_norm / norm_before) if norm_before > 0 else 1.0
    for b, p in zip(before, params):
        assert torch.allclose(p.grad, b * scale, rtol=1e-5, atol=1e-6)


@given(arrays(dtype=np.float32, max_dims=2, elements=st.floats(-100, 100, width=32)),
       st.floats(1e-3, 50))
def test_clip_by_value_bounds_every_entry(grad, max_value):
    p = torch.zeros(grad.shape, requires_grad=True)
    p.grad = torch.tensor(grad)
    training.clip_by_value(p, max_value)                       # one tensor is accepted too
    assert (p.grad.abs() <= max_value * (1 + 1e-6)).all()
    inside = np.abs(grad) <= max_value
    assert torch.equal(p.grad[torch.tensor(inside)], torch.tensor(grad)[torch.tensor(inside)])


@given(st.one_of(ANY_FLOAT, st.integers(-5, 5), st.none(), st.text(max_size=3)))
def test_clipping_thresholds_are_checked(value):
    p = torch.zeros(3, requires_grad=True)
    p.grad = torch.ones(3)
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
          and math.isfinite(value) and value > 0)
    assert refused(training.clip_by_norm, [p], value) is not ok
    assert refused(training.clip_by_value, [p], value) is not ok


@given(st.integers(2, 6), st.floats(0.1, 2.0), st.integers(0, 1000))
def test_set_spectral_radius_sets_it(J, radius, seed):
    W = torch.randn(J, J, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    gradients.set_spectral_radius(W, radius)
    assert math.isclose(gradients.spectral_radius(W), radius, rel_tol=1e-6)
    assert gradients.largest_singular_value(W) >= radius * (1 - 1e-6)


@given(st.floats(0.05, 3.0), st.integers(3, 30), st.floats(0.1, 10))
def test_fit_decay_rate_recovers_a_geometric_rate(r, T, start):
    norms = start * r ** np.arange(T)[::-1]                  # entry t is r^(T-1-t)
    assert math.isclose(gradients.fit_decay_rate(norms, skip_last=0), r, rel_tol=1e-6)


@given(st.one_of(st.lists(st.one_of(ANY_FLOAT, st.integers(-3, 3)), max_size=6),
                 arrays(elements=ANY_FLOAT, max_dims=2)),
       st.integers(-1, 3))
def test_fit_decay_rate_fits_or_refuses(norms, skip_last):
    try:
        rate = clear_or(gradients.fit_decay_rate, norms, skip_last=skip_last)
    except Refused:
        return
    assert math.isfinite(rate) and rate > 0


# --- data ---------------------------------------------------------------------------------------
TEXT = st.text(alphabet="abcde xyz\n", max_size=30)


@given(st.lists(TEXT, min_size=1, max_size=4), TEXT)
def test_vocab_encode_decode_round_trip(texts, other):
    assume("".join(texts))
    vocab = Vocab.from_texts(texts)
    for text in texts:
        assert vocab.decode(vocab.encode(text, bos=True, eos=True)) == text
    ids = vocab.encode(other)
    assert all(0 <= i < len(vocab) for i in ids)
    known = "".join(ch if ch in vocab else "<UNK>" for ch in other)
    assert vocab.decode(ids) == known


@given(st.lists(st.lists(st.integers(0, 50), max_size=6), min_size=1, max_size=5),
       st.integers(0, 3))
def test_pad_sequences_round_trip(seqs, pad_id):
    try:
        padded, lengths = clear_or(data.pad_sequences, seqs, pad_id=pad_id)
    except Refused:
        assert all(len(s) == 0 for s in seqs)
        return
    assert padded.dtype == torch.long and padded.shape == (len(seqs), max(map(len, seqs)))
    assert lengths.tolist() == [len(s) for s in seqs]
    for row, seq in zip(padded, seqs):
        assert row[:len(seq)].tolist() == seq
        assert (row[len(seq):] == pad_id).all()


@given(st.lists(st.one_of(st.lists(st.one_of(st.integers(-3, 20), FLOATS, st.text(max_size=1)),
                                   max_size=3),
                          st.integers(), st.text(max_size=2)), max_size=3))
def test_pad_sequences_pads_or_refuses(seqs):
    try:
        padded, lengths = clear_or(data.pad_sequences, seqs)
    except Refused:
        return
    flat = [x for s in seqs for x in s]
    assert all(isinstance(x, int) and x >= 0 for x in flat)
    assert padded.shape[0] == len(seqs)


@given(st.lists(st.integers(), max_size=30), st.floats(-0.5, 1.5))
def test_split_contiguous_keeps_order_and_both_parts(items, val_fraction):
    try:
        train, val = clear_or(data.split_contiguous, items, val_fraction)
    except Refused:
        return
    assert train + val == items
    assert train and val and 0 < val_fraction < 1


@given(st.lists(st.integers(), max_size=30), st.integers(0, 2**31))
def test_shuffled_is_a_permutation(items, seed):
    out = data.shuffled(items, seed)
    assert sorted(out) == sorted(items) and out == data.shuffled(items, seed)


@given(st.lists(st.integers(0, 8), min_size=2, max_size=40), st.integers(1, 8), st.integers(1, 4),
       st.integers(0, 100))
def test_text_windows_targets_are_inputs_shifted(ids, seq_len, batch, seed):
    try:
        windows = clear_or(data.TextWindows, ids, seq_len=seq_len, batch_size=batch)
    except Refused:
        assert len(ids) < seq_len + 1
        return
    x, y = windows(torch.Generator().manual_seed(seed))
    assert x.shape == y.shape == (batch, seq_len)
    assert torch.equal(x[:, 1:], y[:, :-1])


# --- tagging ------------------------------------------------------------------------------------
WORDS = st.lists(st.text(alphabet="abcXYZ", min_size=1, max_size=6), min_size=1, max_size=6)


@given(WORDS, st.sampled_from([" ", "  ", ", ", "\n"]))
def test_remove_and_restore_spaces_round_trip(words, sep):
    chars, labels = tagging.remove_spaces(sep.join(words), lowercase=False)
    assert chars == "".join(words) and len(labels) == len(chars)
    assert tagging.restore_spaces(chars, labels) == " ".join(words)


@given(st.lists(st.integers(0, 1), max_size=20), st.data())
def test_boundary_f1_is_one_for_perfect_tags(labels, draw):
    assume(1 in labels)
    t = torch.tensor(labels)
    assert tagging.boundary_f1(t, t) == 1.0
    other = torch.tensor(draw.draw(st.lists(st.integers(0, 1), min_size=len(labels), max_size=len(labels))))
    assert 0.0 <= tagging.boundary_f1(other, t) <= 1.0


@given(st.integers(1, 3), st.integers(1, 8), st.integers(-9, 9))
def test_lookahead_labels_are_shifted_ids(n, T, k):
    ids = torch.arange(n * T).view(n, T)
    labels = tagging.lookahead_labels(ids, k)
    for t in range(T):
        expected = ids[:, t + k] if 0 <= t + k < T else torch.full((n,), tagging.IGNORE)
        assert torch.equal(labels[:, t], expected)


# --- sampling -----------------------------------------------------------------------------------
@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=6),
                  elements=st.floats(-30, 30, width=32)),
       st.floats(1e-30, 1e30), st.one_of(st.none(), st.integers(1, 8)))
def test_next_token_distribution_is_a_distribution(logits, temperature, top_k):
    p = clear_or(sampling.next_token_distribution, torch.tensor(logits), temperature, top_k)
    assert p.shape == logits.shape and bool(torch.isfinite(p).all()) and bool((p >= 0).all())
    assert torch.allclose(p.sum(-1), torch.ones(p.shape[:-1]), atol=1e-5)
    if top_k is not None:
        assert bool(((p > 0).sum(-1) >= min(top_k, logits.shape[-1])).all() | (temperature < 1e-3))


@given(st.one_of(ANY_FLOAT, st.integers(-3, 3), st.text(max_size=2)),
       st.one_of(st.none(), st.integers(-2, 5), FLOATS))
def test_next_token_distribution_checks_its_settings(temperature, top_k):
    try:
        p = clear_or(sampling.next_token_distribution, torch.randn(2, 5), temperature, top_k)
    except Refused:
        return
    assert torch.allclose(p.sum(-1), torch.ones(2), atol=1e-5)


# --- stacking -----------------------------------------------------------------------------------
@given(st.integers(1, 5), st.integers(1, 6), st.sampled_from(stacking.ORDERS))
def test_schedule_orders_pass_check_schedule(L, T, order):
    cells = stacking.schedule(L, T, order)
    assert stacking.check_schedule(cells, L, T) == cells
    grid = stacking.order_grid(L, T, order)
    assert sorted(grid.ravel().tolist()) == list(range(1, L * T + 1))


def _respects_dependencies(cells, L, T) -> bool:
    seen = set()
    for l, t in cells:
        if (l > 0 and (l - 1, t) not in seen) or (t > 0 and (l, t - 1) not in seen):
            return False
        seen.add((l, t))
    return len(seen) == L * T == len(cells)


@given(st.integers(1, 3), st.integers(1, 4), st.randoms(use_true_random=False))
def test_check_schedule_accepts_exactly_the_valid_orders(L, T, rnd):
    cells = [(l, t) for l in range(L) for t in range(T)]
    rnd.shuffle(cells)
    assert refused(stacking.check_schedule, cells, L, T) is not _respects_dependencies(cells, L, T)


# --- plotting and claims ------------------------------------------------------------------------
@given(st.lists(st.one_of(FLOATS, st.just(math.nan)), max_size=40), st.integers(1, 10))
def test_smooth_is_a_trailing_mean_that_keeps_gaps(values, window):
    out = plotting.smooth(values, window)
    v = np.array(values, dtype=float)
    assert out.shape == v.shape
    for i in range(len(v)):
        if math.isnan(v[i]):
            assert math.isnan(out[i])                          # a gap stays a gap
            continue
        chunk = v[max(0, i - window + 1):i + 1]
        assert math.isclose(out[i], np.nanmean(chunk), rel_tol=1e-9, abs_tol=1e-9)


@given(st.floats(-10, 10), st.integers(0, 4))
def test_pct_formats_a_share(x, digits):
    text = claims.pct(x, digits)
    assert text.endswith("%") and math.isclose(float(text[:-1]), 100 * x, abs_tol=10 ** -digits)


@given(st.lists(st.floats(0, 1), min_size=1, max_size=5))
def test_span_shows_the_range(values):
    text = claims.span(values, "{:.2f}")
    lo, hi = f"{min(values):.2f}", f"{max(values):.2f}"
    assert text == (lo if lo == hi else f"{lo}\u2013{hi}")


@given(st.floats(0, 700))
def test_loss_conversions(nats):
    assert math.isclose(training.bits_per_char(nats) * math.log(2), nats, abs_tol=1e-9)
    assert math.isclose(math.log(training.perplexity(nats)), nats, abs_tol=1e-9)


# --- anything at all: a result or a clear refusal ------------------------------------------------
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 20), ANY_FLOAT, st.text(max_size=4),
    st.lists(st.one_of(st.integers(-2, 9), FLOATS), max_size=4),
    arrays(elements=ANY_FLOAT, min_side=0, max_dims=3),
    arrays(dtype=np.int64, elements=st.integers(-2, 12), min_side=0, max_dims=3),
    arrays(elements=FLOATS, max_dims=3).map(torch.from_numpy),
    arrays(dtype=np.int64, elements=st.integers(-2, 12), min_side=0, max_dims=3).map(torch.from_numpy),
)
VOCAB = Vocab(list("abcde"))
TARGETS = {
    "numpy_rnn.softmax": (numpy_rnn.softmax, 1),
    "numpy_rnn.relative_error": (numpy_rnn.relative_error, 2),
    "numpy_rnn.cross_entropy": (numpy_rnn.cross_entropy, 2),
    "numpy_rnn.init_params": (lambda a, b: numpy_rnn.init_params(a, b, 2, np.random.default_rng(0)), 2),
    "gradients.fit_decay_rate": (gradients.fit_decay_rate, 2),
    "gradients.spectral_radius": (gradients.spectral_radius, 1),
    "gradients.largest_singular_value": (gradients.largest_singular_value, 1),
    "gradients.random_rnn_cell": (lambda a, b: gradients.random_rnn_cell(hidden_size=a, radius=b), 2),
    "plotting.smooth": (plotting.smooth, 2),
    "claims.pct": (claims.pct, 2),
    "claims.about": (claims.about, 1),
    "claims.span": (claims.span, 1),
    "training.gradient_norm": (training.gradient_norm, 1),
    "training.clip_by_norm": (training.clip_by_norm, 2),
    "training.perplexity": (training.perplexity, 1),
    "sampling.next_token_distribution": (sampling.next_token_distribution, 3),
    "data.pad_sequences": (data.pad_sequences, 2),
    "data.split_contiguous": (data.split_contiguous, 2),
    "data.Vocab.decode": (VOCAB.decode, 1),
    "data.Vocab.encode": (VOCAB.encode, 1),
    "data.TextWindows": (data.TextWindows, 3),
    "tagging.remove_spaces": (tagging.remove_spaces, 1),
    "tagging.restore_spaces": (tagging.restore_spaces, 2),
    "tagging.lookahead_labels": (tagging.lookahead_labels, 2),
    "tagging.boundary_f1": (tagging.boundary_f1, 2),
    "stacking.schedule": (stacking.schedule, 3),
    "stacking.check_schedule": (stacking.check_schedule, 3),
    "recurrent.RecurrentNet": (lambda a, b: recurrent.RecurrentNet("gru", 3, 2)(a, b), 2),
    "cells.GRUCell.step": (lambda a, b: make_cell("gru", 3, 2).step(a, b), 2),
    "models.CharLM": (lambda a, b: __import__("utils.models").models.CharLM(9, hidden_size=4)(a, b), 2),
    "training.lm_loss": (lambda a, b: training.lm_loss(
        __import__("utils.models").models.CharLM(9, hidden_size=4), (a, b)), 2),
}


@pytest.mark.parametrize("name", sorted(TARGETS))
@given(args=st.lists(JUNK, min_size=3, max_size=3))
def test_any_input_gets_a_result_or_a_clear_error(name, args):
    function, arity = TARGETS[name]
    try:
        clear_or(function, *args[:arity])
    except Refused:
        pass
