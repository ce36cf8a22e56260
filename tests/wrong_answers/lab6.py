"""Typical wrong answers to Lab 6's exercises, written the way learners write them.

Each answer is registered with the exercise it answers and the words its check message
must contain (case-insensitive), so tests/test_lab_contract.py can assert that the check
rejects it AND names the mistake.
"""
import copy

import torch

from utils import tagging
from utils.data import Vocab

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


# --- Exercise 4: insert_spaces ---------------------------------------------------------------
def _tags(model, vocab, letters):
    ids = torch.tensor(vocab.encode(letters))[None]
    with torch.no_grad():
        return model(ids)[0]                  # (T, 2) scores


@wrong("insert_spaces", "BEFORE the letters")
def spaces_before(model, vocab, letters):
    tags = _tags(model, vocab, letters).argmax(-1).tolist()
    return "".join((" " + ch if tag else ch) for ch, tag in zip(letters, tags)).strip()


@wrong("insert_spaces", "inverted")
def spaces_after_tag_zero(model, vocab, letters):
    tags = _tags(model, vocab, letters).argmin(-1).tolist()
    return tagging.restore_spaces(letters, tags)


@wrong("insert_spaces", "compared with 0", "argmax")
def spaces_where_score_one_is_positive(model, vocab, letters):
    scores = _tags(model, vocab, letters)
    return tagging.restore_spaces(letters, (scores[:, 1] > 0).long().tolist())


@wrong("insert_spaces", "one letter each", "(1, T)")
def spaces_letter_by_letter(model, vocab, letters):
    tags = []
    for ch in letters:
        with torch.no_grad():
            scores = model(torch.tensor([vocab.encode(ch)]))
        tags.append(int(scores[0, 0].argmax()))
    return tagging.restore_spaces(letters, tags)


@wrong("insert_spaces", "at the very end", "rstrip")
def spaces_with_a_trailing_space(model, vocab, letters):
    tags = _tags(model, vocab, letters).argmax(-1).tolist()
    return "".join(ch + " " * tag for ch, tag in zip(letters, tags))


@wrong("insert_spaces", "2-D", "(1, T)")
def spaces_without_a_batch_axis(model, vocab, letters):
    ids = torch.tensor(vocab.encode(letters))
    tags = model(ids).argmax(-1)
    return tagging.restore_spaces(letters, tags.tolist())


@wrong("insert_spaces", "one label per character", "LAST axis")
def spaces_argmax_over_time(model, vocab, letters):
    ids = torch.tensor(vocab.encode(letters))[None]
    tags = model(ids).argmax(dim=1)[0]
    return tagging.restore_spaces(letters, tags.tolist())


@wrong("insert_spaces", "`vocab` argument", "vocab.encode(letters)")
def spaces_ids_from_ord(model, vocab, letters):
    ids = torch.tensor([[ord(ch) - ord("a") for ch in letters]])
    tags = model(ids)[0].argmax(-1)
    return tagging.restore_spaces(letters, tags.tolist())


NOTEBOOK_VOCAB = Vocab.from_texts("abcdefghijklmnopqrstuvwxyz'")   # like `words.vocab`


@wrong("insert_spaces", "`vocab` argument")
def spaces_with_the_notebook_vocabulary(model, vocab, letters):
    ids = torch.tensor(NOTEBOOK_VOCAB.encode(letters))[None]
    tags = model(ids)[0].argmax(-1)
    return tagging.restore_spaces(letters, tags.tolist())


@wrong("insert_spaces", "returned a list", "expected a string")
def spaces_returns_the_tags(model, vocab, letters):
    return _tags(model, vocab, letters).argmax(-1).tolist()


@wrong("insert_spaces", "batch axis comes first", "(1, ")
def spaces_with_a_column_of_ids(model, vocab, letters):
    ids = torch.tensor(vocab.encode(letters))[:, None]        # (T, 1)
    with torch.no_grad():
        tags = model(ids)[:, 0].argmax(-1)
    return tagging.restore_spaces(letters, tags.tolist())
