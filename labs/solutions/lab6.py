"""Reference solutions of Lab 6, "Look both ways": one function per exercise.

scripts/sync_solutions.py copies each function into the notebook's hidden
"Show solution" block; tests/test_labs_execute.py runs the lab with them filled in.
"""
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


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


def make_tagger(vocab_size, embedding_dim, hidden_size, n_tags, bidirectional=True):
    """Embedding -> GRU (one or both ways, over the real letters only) -> Linear."""
    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, embedding_dim)
            self.rnn = nn.GRU(embedding_dim, hidden_size, batch_first=True,
                              bidirectional=bidirectional)
            directions = 2 if bidirectional else 1
            self.head = nn.Linear(directions * hidden_size, n_tags)   # 2J numbers

        def forward(self, ids, lengths):
            xs = self.embedding(ids)                               # (B, T, E)
            packed = pack_padded_sequence(xs, torch.as_tensor(lengths).cpu(),
                                          batch_first=True, enforce_sorted=False)
            output, _ = self.rnn(packed)                           # real letters only
            output, _ = pad_packed_sequence(output, batch_first=True,
                                            total_length=ids.shape[1])   # (B, T, 2J)
            return self.head(output)                               # (B, T, n_tags)

    return Tagger()


def train_tagger(model, draw_batch, steps, lr):
    """Adam on the mean cross-entropy over the real letters; one new batch per step."""
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        ids, lengths, tags = draw_batch()                  # a new batch every step
        scores = model(ids, lengths)                       # (B, T, n_tags)
        T = ids.shape[1]
        real = torch.arange(T)[None, :] < torch.as_tensor(lengths)[:, None]   # (B, T)
        real = real.to(scores.device)
        loss = F.cross_entropy(scores[real], tags[real])   # the padding left out
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
