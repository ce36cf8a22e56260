"""Reference solutions of Lab 6, "Look both ways": one function per exercise.

scripts/sync_solutions.py copies each function into the notebook's hidden
"Show solution" block; tests/test_labs_execute.py runs the lab with them filled in.
"""
import torch

from utils import tagging


def _given_run_forward(cell, xs, state):
    """The notebook's `run_forward` (given there, not an exercise): left to right."""
    outputs = []
    for t in range(xs.shape[1]):
        state = cell.step(xs[:, t], state)
        outputs.append(cell.hidden(state))
    return torch.stack(outputs, dim=1), state


run_forward = _given_run_forward      # the solutions below call it by its notebook name


def run_backward(cell, xs, state):
    """Right to left from `state`; outputs[:, t] is the state after reading xs[:, t]."""
    T = xs.shape[1]
    outputs = [None] * T
    for t in reversed(range(T)):           # t = T-1, ..., 1, 0
        state = cell.step(xs[:, t], state)
        outputs[t] = cell.hidden(state)    # stored at t: back in input order
    return torch.stack(outputs, dim=1), state    # final: after reading xs[:, 0]


def bidirectional(forward_cell, backward_cell, xs):
    """Both directions from zero states, in PyTorch's layout."""
    B = xs.shape[0]
    zeros_f = forward_cell.init_state(B, xs.device, xs.dtype)
    zeros_b = backward_cell.init_state(B, xs.device, xs.dtype)
    out_f, final_f = run_forward(forward_cell, xs, zeros_f)
    out_b, final_b = run_backward(backward_cell, xs, zeros_b)  # own weights
    output = torch.cat([out_f, out_b], dim=-1)       # (B, T, 2J), forward first
    h_n = torch.stack([forward_cell.hidden(final_f),
                       backward_cell.hidden(final_b)])   # (2, B, J)
    return output, h_n


def sequence_summary(output, lengths):
    """[forward h at each sequence's last real step ; backward h at step 0], (B, 2J)."""
    B, J = output.shape[0], output.shape[-1] // 2
    last = lengths - 1                                # (B,): where each forward pass ends
    forward_end = output[torch.arange(B), last, :J]   # has read x_1 .. x_length
    backward_end = output[:, 0, J:]                   # has read x_length .. x_1
    return torch.cat([forward_end, backward_end], dim=-1)


def insert_spaces(model, vocab, letters):
    """The letters with a space after each one the model tags as a word end."""
    ids = torch.tensor(vocab.encode(letters))[None]    # one sequence: (1, T)
    with torch.no_grad():
        scores = model(ids)                            # (1, T, 2)
    tags = scores[0].argmax(dim=-1)                    # (T,): 1 = a word ends
    return tagging.restore_spaces(letters, tags.tolist())
