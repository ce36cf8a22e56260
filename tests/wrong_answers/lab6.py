"""Typical wrong answers to Lab 6's exercises, written the way learners write them.

Each answer is registered with the exercise it answers and the words its check message
must contain (case-insensitive), so tests/test_lab_contract.py can assert that the check
rejects it AND names the mistake.
"""
import copy

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

WRONG_ANSWERS = []   # (exercise, function, words the message must contain)


def wrong(exercise, *words):
    def register(fn):
        WRONG_ANSWERS.append((exercise, fn, words))
        return fn
    return register


def run_forward(cell, xs, state):            # the notebook's given forward pass
    outputs = []
    for t in range(xs.shape[1]):
        state = cell.step(xs[:, t], state)
        outputs.append(cell.hidden(state))
    return torch.stack(outputs, dim=1), state


def run_backward(cell, xs, state):           # a correct one, for Exercise 2's answers
    outputs, final = run_forward(cell, xs.flip(1), state)
    return outputs.flip(1), final


# --- Exercise 1: run_backward ----------------------------------------------------------------
@wrong("run_backward", "order they were computed", "position t")
def backward_outputs_not_re_reversed(cell, xs, state):
    outputs = []
    for t in reversed(range(xs.shape[1])):
        state = cell.step(xs[:, t], state)
        outputs.append(cell.hidden(state))
    return torch.stack(outputs, dim=1), state


@wrong("run_backward", "left to right", "reversed(range(T))")
def backward_reads_left_to_right(cell, xs, state):
    outputs = [None] * xs.shape[1]
    for t in range(xs.shape[1]):
        state = cell.step(xs[:, t], state)
        outputs[t] = cell.hidden(state)
    return torch.stack(outputs, dim=1), state


@wrong("run_backward", "flipped afterwards", "flip the INPUT")
def backward_flips_only_the_outputs(cell, xs, state):
    outputs, final = run_forward(cell, xs, state)
    return outputs.flip(1), final


@wrong("run_backward", "started from zeros", "`state`")
def backward_from_zeros(cell, xs, state):
    state = cell.init_state(xs.shape[0], xs.device, xs.dtype)
    return run_backward(cell, xs, state)


@wrong("run_backward", "FIRST step", "xs[:, 0]")
def backward_final_state_at_the_wrong_end(cell, xs, state):
    outputs, _ = run_backward(cell, xs, state)
    return outputs, outputs[:, -1]           # "the last output is the final state"


@wrong("run_backward", "batch axis", "flip(1)")
def backward_flips_the_batch_axis(cell, xs, state):
    outputs, final = run_forward(cell, xs.flip(0), state)
    return outputs.flip(0), final


@wrong("run_backward", "one step short", "range(T - 1, -1, -1)")
def backward_skips_the_first_input(cell, xs, state):
    T = xs.shape[1]
    outputs = []
    for t in range(T - 1, 0, -1):
        state = cell.step(xs[:, t], state)
        outputs.insert(0, cell.hidden(state))
    return torch.stack(outputs, dim=1), state


@wrong("run_backward", "tuple", "cell.hidden(state)")
def backward_stacks_lstm_states(cell, xs, state):
    outputs = [None] * xs.shape[1]
    for t in reversed(range(xs.shape[1])):
        state = cell.step(xs[:, t], state)
        outputs[t] = state                   # fine for RNN and GRU; a pair for the LSTM
    return torch.stack(outputs, dim=1), state


@wrong("run_backward", "pair (h, c)", "`state` itself")
def backward_returns_only_h_as_final_state(cell, xs, state):
    outputs, final = run_backward(cell, xs, state)
    return outputs, cell.hidden(final)


@wrong("run_backward", "is a list", "torch.stack(outputs, dim=1)")
def backward_returns_a_list_of_states(cell, xs, state):
    outputs = [None] * xs.shape[1]
    for t in reversed(range(xs.shape[1])):
        state = cell.step(xs[:, t], state)
        outputs[t] = cell.hidden(state)
    return outputs, state


# --- Exercise 2: bidirectional ---------------------------------------------------------------
def _zeros(cell, xs):
    return cell.init_state(xs.shape[0], xs.device, xs.dtype)


def _directions(forward_cell, backward_cell, xs):
    out_f, fin_f = run_forward(forward_cell, xs, _zeros(forward_cell, xs))
    out_b, fin_b = run_backward(backward_cell, xs, _zeros(backward_cell, xs))
    return out_f, out_b, forward_cell.hidden(fin_f), backward_cell.hidden(fin_b)


@wrong("bidirectional", "share one set of weights", "`backward_cell`")
def bi_backward_uses_the_forward_cell(forward_cell, backward_cell, xs):
    return bidirectional_from(forward_cell, forward_cell, xs)


@wrong("bidirectional", "share one set of weights")
def bi_backward_cell_copied_from_the_forward_one(forward_cell, backward_cell, xs):
    backward_cell = copy.deepcopy(forward_cell)       # "a second cell of the same kind"
    return bidirectional_from(forward_cell, backward_cell, xs)


def bidirectional_from(forward_cell, backward_cell, xs):
    out_f, out_b, h_f, h_b = _directions(forward_cell, backward_cell, xs)
    return torch.cat([out_f, out_b], dim=-1), torch.stack([h_f, h_b])


@wrong("bidirectional", "wrong order", "forward direction first")
def bi_backward_half_first(forward_cell, backward_cell, xs):
    out_f, out_b, h_f, h_b = _directions(forward_cell, backward_cell, xs)
    return torch.cat([out_b, out_f], dim=-1), torch.stack([h_f, h_b])


@wrong("bidirectional", "not re-reversed")
def bi_backward_outputs_in_computed_order(forward_cell, backward_cell, xs):
    out_f, _, h_f, h_b = _directions(forward_cell, backward_cell, xs)
    state, outputs = _zeros(backward_cell, xs), []
    for t in reversed(range(xs.shape[1])):
        state = backward_cell.step(xs[:, t], state)
        outputs.append(backward_cell.hidden(state))
    return torch.cat([out_f, torch.stack(outputs, dim=1)], dim=-1), torch.stack([h_f, h_b])


@wrong("bidirectional", "left to right", "xs[:, 0]")
def bi_both_directions_left_to_right(forward_cell, backward_cell, xs):
    out_f, fin_f = run_forward(forward_cell, xs, _zeros(forward_cell, xs))
    out_b, fin_b = run_forward(backward_cell, xs, _zeros(backward_cell, xs))
    return (torch.cat([out_f, out_b], dim=-1),
            torch.stack([forward_cell.hidden(fin_f), backward_cell.hidden(fin_b)]))


@wrong("bidirectional", "swapped")
def bi_final_states_swapped(forward_cell, backward_cell, xs):
    out_f, out_b, h_f, h_b = _directions(forward_cell, backward_cell, xs)
    return torch.cat([out_f, out_b], dim=-1), torch.stack([h_b, h_f])


@wrong("bidirectional", "`h_n[1]`", "ENDS at t = 0", "output[:, 0, J:]")
def bi_h_n_from_the_last_step(forward_cell, backward_cell, xs):
    output, _ = bidirectional_from(forward_cell, backward_cell, xs)
    J = output.shape[-1] // 2
    last = output[:, -1]                                 # "the last output is h_n"
    return output, torch.stack([last[:, :J], last[:, J:]])


@wrong("bidirectional", "concatenated along the last axis")
def bi_directions_added(forward_cell, backward_cell, xs):
    out_f, out_b, h_f, h_b = _directions(forward_cell, backward_cell, xs)
    return out_f + out_b, torch.stack([h_f, h_b])


@wrong("bidirectional", "along time", "dim=-1")
def bi_concatenated_along_time(forward_cell, backward_cell, xs):
    out_f, out_b, h_f, h_b = _directions(forward_cell, backward_cell, xs)
    return torch.cat([out_f, out_b], dim=1), torch.stack([h_f, h_b])


@wrong("bidirectional", "STACKS", "torch.stack")
def bi_h_n_concatenated(forward_cell, backward_cell, xs):
    out_f, out_b, h_f, h_b = _directions(forward_cell, backward_cell, xs)
    return torch.cat([out_f, out_b], dim=-1), torch.cat([h_f, h_b], dim=-1)


@wrong("bidirectional", "`h_n` is a list", "torch.stack")
def bi_h_n_as_a_list(forward_cell, backward_cell, xs):
    out_f, out_b, h_f, h_b = _directions(forward_cell, backward_cell, xs)
    return torch.cat([out_f, out_b], dim=-1), [h_f, h_b]


@wrong("bidirectional", "cell.hidden(state)")
def bi_h_n_stacks_lstm_states(forward_cell, backward_cell, xs):
    out_f, fin_f = run_forward(forward_cell, xs, _zeros(forward_cell, xs))
    out_b, fin_b = run_backward(backward_cell, xs, _zeros(backward_cell, xs))
    return torch.cat([out_f, out_b], dim=-1), torch.stack([fin_f, fin_b])


# --- Exercise 3: sequence_summary ------------------------------------------------------------
@wrong("sequence_summary", "last step of both directions", "output[:, 0, J:]")
def summary_last_step(output, lengths):
    return output[:, -1]


@wrong("sequence_summary", "last step of the padded batch", "lengths - 1")
def summary_equal_lengths(output, lengths):
    J = output.shape[-1] // 2
    return torch.cat([output[:, -1, :J], output[:, 0, J:]], dim=-1)


@wrong("sequence_summary", "both halves", "output[:, 0, J:]")
def summary_both_at_the_last_real_step(output, lengths):
    B = output.shape[0]
    return output[torch.arange(B), lengths - 1]


@wrong("sequence_summary", "first step of both directions", "lengths - 1")
def summary_first_step(output, lengths):
    return output[:, 0]


@wrong("sequence_summary", "wrong order")
def summary_backward_first(output, lengths):
    B, J = output.shape[0], output.shape[-1] // 2
    return torch.cat([output[:, 0, J:], output[torch.arange(B), lengths - 1, :J]], dim=-1)


@wrong("sequence_summary", "wrong half")
def summary_halves_mixed_up(output, lengths):
    B, J = output.shape[0], output.shape[-1] // 2
    return torch.cat([output[torch.arange(B), lengths - 1, J:], output[:, 0, :J]], dim=-1)


@wrong("sequence_summary", "mean over time")
def summary_mean_over_time(output, lengths):
    return output.mean(dim=1)


@wrong("sequence_summary", "maximum over time")
def summary_max_pool(output, lengths):
    return output.max(dim=1)[0]


@wrong("sequence_summary", "wrong place", "shape[-1] // 2")
def summary_split_by_time(output, lengths):
    B, J = output.shape[0], output.shape[1] // 2
    return torch.cat([output[torch.arange(B), lengths - 1, :J], output[:, 0, J:]], dim=-1)


@wrong("sequence_summary", "BOTH final states", "(B, 2J)")
def summary_forward_only(output, lengths):
    B, J = output.shape[0], output.shape[-1] // 2
    return output[torch.arange(B), lengths - 1, :J]


@wrong("sequence_summary", "two whole steps")
def summary_two_whole_steps(output, lengths):
    B = output.shape[0]
    return torch.cat([output[torch.arange(B), lengths - 1], output[:, 0]], dim=-1)


@wrong("sequence_summary", "integer", "//")
def summary_float_j(output, lengths):
    B, J = output.shape[0], output.shape[-1] / 2
    return torch.cat([output[torch.arange(B), lengths - 1, :J], output[:, 0, J:]], dim=-1)


@wrong("sequence_summary", "n - 1")
def summary_one_step_too_far(output, lengths):
    B, J = output.shape[0], output.shape[-1] // 2
    return torch.cat([output[torch.arange(B), lengths, :J], output[:, 0, J:]], dim=-1)


@wrong("sequence_summary", "every sequence", "torch.arange(B)")
def summary_without_the_row_index(output, lengths):
    J = output.shape[-1] // 2
    return torch.cat([output[:, lengths - 1, :J], output[:, 0, J:]], dim=-1)


@wrong("sequence_summary", "last SEQUENCE")
def summary_drops_the_batch_axis(output, lengths):
    return output[-1]


# --- Exercise 4: make_tagger -----------------------------------------------------------------
class Tagger(nn.Module):
    """A learner's tagger with one typical mistake switched on (the defaults are right)."""

    def __init__(self, V, E, J, K, bidirectional=True, rnn_bidirectional=None, head_in=None,
                 pack=True, enforce_sorted=False, batch_first=True, total_length=True,
                 softmax=False, lengths_method=False, num_layers=1, head_half=None):
        super().__init__()
        both = bidirectional if rnn_bidirectional is None else rnn_bidirectional
        self.embedding = nn.Embedding(V, E)
        self.rnn = nn.GRU(E, J, batch_first=batch_first, bidirectional=both,
                          num_layers=num_layers)
        self.head = nn.Linear(head_in or (2 if bidirectional else 1) * J, K)
        self.J, self.pack, self.enforce_sorted = J, pack, enforce_sorted
        self.batch_first, self.total_length = batch_first, total_length
        self.softmax, self.lengths_method, self.head_half = softmax, lengths_method, head_half

    def forward(self, ids, lengths):
        xs = self.embedding(ids)
        if self.lengths_method:
            lengths = lengths.cpu()                # fails for a list
        if self.pack:
            packed = pack_padded_sequence(xs, lengths, batch_first=True,
                                          enforce_sorted=self.enforce_sorted)
            out, _ = self.rnn(packed)
            out, _ = pad_packed_sequence(
                out, batch_first=self.batch_first,
                total_length=ids.shape[1] if self.total_length else None)
        else:
            out, _ = self.rnn(xs)
        if self.head_half == "backward":
            out = out[..., self.J:]
        scores = self.head(out)
        return scores.softmax(-1) if self.softmax else scores


@wrong("make_tagger", "one way only", "bidirectional=True")
def tagger_forgets_bidirectional(vocab_size, embedding_dim, hidden_size, n_tags,
                                 bidirectional=True):
    return Tagger(vocab_size, embedding_dim, hidden_size, n_tags, rnn_bidirectional=False,
                  head_in=hidden_size)


@wrong("make_tagger", "2J", "nn.Linear(2 * hidden_size")
def tagger_head_reads_j(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional=True):
    return Tagger(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional,
                  head_in=hidden_size)


@wrong("make_tagger", "depend on the padding", "backward direction starts on the pads",
       "pack_padded_sequence")
def tagger_without_packing(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional=True):
    return Tagger(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional, pack=False)


@wrong("make_tagger", "depend on the padding", "pack")
def tagger_with_a_padding_idx_but_no_packing(vocab_size, embedding_dim, hidden_size, n_tags,
                                             bidirectional=True):
    model = Tagger(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional, pack=False)
    model.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)  # "pads are zeros"
    return model


@wrong("make_tagger", "sorted", "enforce_sorted=False")
def tagger_enforces_sorted_lengths(vocab_size, embedding_dim, hidden_size, n_tags,
                                   bidirectional=True):
    return Tagger(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional,
                  enforce_sorted=True)


@wrong("make_tagger", "time and batch are swapped", "batch_first=True")
def tagger_unpacks_time_first(vocab_size, embedding_dim, hidden_size, n_tags,
                              bidirectional=True):
    return Tagger(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional,
                  batch_first=False)


@wrong("make_tagger", "sequences of the batch mix", "batch_first=True")
def tagger_reads_the_batch_as_time(vocab_size, embedding_dim, hidden_size, n_tags,
                                   bidirectional=True):
    return Tagger(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional, pack=False,
                  batch_first=False)


@wrong("make_tagger", "total_length")
def tagger_without_total_length(vocab_size, embedding_dim, hidden_size, n_tags,
                                bidirectional=True):
    return Tagger(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional,
                  total_length=False)


@wrong("make_tagger", "probabilities", "logits")
def tagger_ends_with_a_softmax(vocab_size, embedding_dim, hidden_size, n_tags,
                               bidirectional=True):
    return Tagger(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional, softmax=True)


@wrong("make_tagger", "list of integers", "torch.as_tensor(lengths)")
def tagger_calls_a_method_of_lengths(vocab_size, embedding_dim, hidden_size, n_tags,
                                     bidirectional=True):
    return Tagger(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional,
                  lengths_method=True)


@wrong("make_tagger", "bidirectional=False", "still reads both ways")
def tagger_ignores_its_bidirectional_argument(vocab_size, embedding_dim, hidden_size, n_tags,
                                              bidirectional=True):
    return Tagger(vocab_size, embedding_dim, hidden_size, n_tags)        # always both ways


@wrong("make_tagger", "num_layers=2")
def tagger_with_two_layers(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional=True):
    return Tagger(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional, num_layers=2)


@wrong("make_tagger", "sizes are mixed up")
def tagger_with_swapped_sizes(vocab_size, embedding_dim, hidden_size, n_tags,
                              bidirectional=True):
    return Tagger(vocab_size, hidden_size, embedding_dim, n_tags, bidirectional)


@wrong("make_tagger", "returned a tuple", "h_n")
def tagger_returns_the_state_too(vocab_size, embedding_dim, hidden_size, n_tags,
                                 bidirectional=True):
    class WithState(Tagger):
        def forward(self, ids, lengths):
            scores = super().forward(ids, lengths)
            return scores, None
    return WithState(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional)


@wrong("make_tagger", "an `nn.Module`")
def tagger_returns_the_class(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional=True):
    return Tagger


# --- Exercise 5: train_tagger ----------------------------------------------------------------
def _real(ids, lengths):
    return torch.arange(ids.shape[1])[None, :] < torch.as_tensor(lengths)[:, None]


def _loop(model, draw_batch, steps, lr, loss_of=None, order="zbs", eval_mode=False,
          reuse=False, optimizer_each_step=False, keep_tensors=False, opt=torch.optim.Adam):
    """A training loop with one typical mistake switched on (the defaults are right)."""
    model.train() if not eval_mode else None
    optimizer = opt(model.parameters(), lr=lr)
    losses = []
    batch = draw_batch() if reuse else None
    for _ in range(steps):
        ids, lengths, tags = batch if reuse else draw_batch()
        if optimizer_each_step:
            optimizer = opt(model.parameters(), lr=lr)
        scores = model(ids, lengths)
        real = _real(ids, lengths)
        loss = (loss_of or (lambda s, t, r: F.cross_entropy(s[r], t[r])))(scores, tags, real)
        for action in order:
            {"z": optimizer.zero_grad, "b": loss.backward, "s": optimizer.step}[action]()
        losses.append(loss if keep_tensors else loss.item())
    return losses


@wrong("train_tagger", "padded positions too", "tags[real]")
def train_counts_the_pads(model, draw_batch, steps, lr):
    return _loop(model, draw_batch, steps, lr,
                 loss_of=lambda s, t, r: F.cross_entropy(s.reshape(-1, s.shape[-1]),
                                                         t.reshape(-1)))


@wrong("train_tagger", "ignore_index=0", "TAGGED 0")
def train_ignores_tag_zero(model, draw_batch, steps, lr):
    return _loop(model, draw_batch, steps, lr,
                 loss_of=lambda s, t, r: F.cross_entropy(s.reshape(-1, s.shape[-1]),
                                                         t.reshape(-1), ignore_index=0))


@wrong("train_tagger", "division", "real.sum()")
def train_divides_by_every_position(model, draw_batch, steps, lr):
    def loss_of(s, t, r):
        each = F.cross_entropy(s.transpose(1, 2), t, reduction="none")      # (B, T)
        return (each * r).mean()
    return _loop(model, draw_batch, steps, lr, loss_of=loss_of)


@wrong("train_tagger", "sum over the real letters", "MEAN")
def train_sums_the_loss(model, draw_batch, steps, lr):
    return _loop(model, draw_batch, steps, lr,
                 loss_of=lambda s, t, r: F.cross_entropy(s[r], t[r], reduction="sum"))


@wrong("train_tagger", "each name's mean")
def train_averages_per_name(model, draw_batch, steps, lr):
    def loss_of(s, t, r):
        each = F.cross_entropy(s.transpose(1, 2), t, reduction="none") * r
        return (each.sum(1) / r.sum(1)).mean()
    return _loop(model, draw_batch, steps, lr, loss_of=loss_of)


@wrong("train_tagger", "softmax")
def train_softmax_before_the_loss(model, draw_batch, steps, lr):
    return _loop(model, draw_batch, steps, lr,
                 loss_of=lambda s, t, r: F.cross_entropy(s.softmax(-1)[r], t[r]))


@wrong("train_tagger", "pile up", "zero_grad()")
def train_without_zero_grad(model, draw_batch, steps, lr):
    return _loop(model, draw_batch, steps, lr, order="bs")


@wrong("train_tagger", "wiped", "BEFORE")
def train_zero_grad_after_backward(model, draw_batch, steps, lr):
    return _loop(model, draw_batch, steps, lr, order="bzs")


@wrong("train_tagger", "came before", "loss.backward()")
def train_steps_before_backward(model, draw_batch, steps, lr):
    return _loop(model, draw_batch, steps, lr, order="zsb")


@wrong("train_tagger", "same batch every step", "INSIDE the loop")
def train_on_one_batch(model, draw_batch, steps, lr):
    return _loop(model, draw_batch, steps, lr, reuse=True)


@wrong("train_tagger", "tensors", "loss.item()")
def train_keeps_loss_tensors(model, draw_batch, steps, lr):
    return _loop(model, draw_batch, steps, lr, keep_tensors=True)


@wrong("train_tagger", "eval mode", "model.train()")
def train_in_eval_mode(model, draw_batch, steps, lr):
    return _loop(model, draw_batch, steps, lr, eval_mode=True)


@wrong("train_tagger", "new optimizer", "ONCE")
def train_with_a_new_optimizer_every_step(model, draw_batch, steps, lr):
    return _loop(model, draw_batch, steps, lr, optimizer_each_step=True)


@wrong("train_tagger", "SGD", "Adam")
def train_with_sgd(model, draw_batch, steps, lr):
    return _loop(model, draw_batch, steps, lr, opt=torch.optim.SGD)


@wrong("train_tagger", "target", "tags[real]")
def train_cross_entropy_on_the_whole_batch(model, draw_batch, steps, lr):
    return _loop(model, draw_batch, steps, lr,
                 loss_of=lambda s, t, r: F.cross_entropy(s, t))


@wrong("train_tagger", "lengths", "model(ids, lengths)")
def train_forgets_the_lengths(model, draw_batch, steps, lr):
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        ids, lengths, tags = draw_batch()
        scores = model(ids)
        loss = F.cross_entropy(scores.reshape(-1, scores.shape[-1]), tags.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("train_tagger", "draw exactly one new batch per step")
def train_draws_two_batches_per_step(model, draw_batch, steps, lr):
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        ids, lengths, tags = draw_batch()
        scores = model(ids, lengths)
        real = _real(ids, lengths)
        loss = F.cross_entropy(scores[real], tags[real])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        draw_batch()                                   # "peek at the next one"
    return losses
